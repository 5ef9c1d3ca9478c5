/* SPDX-License-Identifier: MIT */
/*
 * fastpath_load: the fast path loaded on a thread of its own, so that mqttgwd listens first
 * (issue 15). Loading and verifying the programs is most of a start's time (0.3-0.9 s against
 * 40 ms for the rest); the thread runs fp_load(), which touches nothing but the struct
 * fastpath it creates, then writes an eventfd the loop watches. fastpath_load_finish() joins
 * the thread, so everything it wrote is the loop's from then on. See include/fastpath.h.
 *
 * What libbpf says meanwhile, from either thread, is held (bpf_util_print_hold) and logged by
 * the loop at the finish, since the log module is the loop's alone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf_util.h"
#include "fastpath.h"
#include "fastpath_int.h"

struct fastpath_load {
	pthread_t thread;
	int efd;
	enum config_fastpath mode;
	struct fastpath *fp; /* the thread's result */
	int ret;
	char why[256];
};

static void *load_thread(void *arg)
{
	struct fastpath_load *ld = arg;
	uint64_t one = 1;

	ld->ret = fp_load(&ld->fp, ld->why, sizeof(ld->why));
	/* an eventfd write of 1 to a fresh counter cannot fail or block */
	(void)!write(ld->efd, &one, sizeof(one));
	return NULL;
}

int fastpath_load_start(struct fastpath_load **out, enum config_fastpath mode, char *err,
			size_t errlen)
{
	struct fastpath_load *ld;
	char buf[256];
	const char *why;
	int ret;

	*out = NULL;
	if (mode == CONFIG_FASTPATH_OFF)
		return 0;
	libbpf_set_print(bpf_util_libbpf_print);
	/* the probes load a few instructions each: here, so that what is missing stops a start
	 * before it listens, as before */
	why = fp_probe(buf, sizeof(buf));
	if (why)
		return fp_settle(mode, why, err, errlen);
	ld = calloc(1, sizeof(*ld));
	if (!ld)
		return fp_settle(mode, "out of memory", err, errlen);
	ld->mode = mode;
	ld->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ld->efd < 0) {
		snprintf(buf, sizeof(buf), "eventfd: %s", strerror(errno));
		free(ld);
		return fp_settle(mode, buf, err, errlen);
	}
	bpf_util_print_hold(true);
	ret = pthread_create(&ld->thread, NULL, load_thread, ld);
	if (ret) {
		bpf_util_print_hold(false);
		close(ld->efd);
		free(ld);
		snprintf(buf, sizeof(buf), "cannot start the loader thread: %s", strerror(ret));
		return fp_settle(mode, buf, err, errlen);
	}
	*out = ld;
	return 0;
}

int fastpath_load_fd(const struct fastpath_load *ld)
{
	return ld->efd;
}

int fastpath_load_finish(struct fastpath_load *ld, struct fastpath **fp, char *err, size_t errlen)
{
	int ret;

	*fp = NULL;
	pthread_join(ld->thread, NULL);
	bpf_util_print_hold(false);
	close(ld->efd);
	if (!ld->ret)
		*fp = ld->fp;
	ret = fp_settle(ld->mode, ld->ret ? ld->why : NULL, err, errlen);
	free(ld);
	return ret;
}

void fastpath_load_cancel(struct fastpath_load *ld)
{
	if (!ld)
		return;
	pthread_join(ld->thread, NULL);
	bpf_util_print_hold(false);
	close(ld->efd);
	if (!ld->ret)
		fastpath_free(ld->fp);
	free(ld);
}
