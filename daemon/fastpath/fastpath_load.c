/* SPDX-License-Identifier: MIT */
/*
 * fastpath_load: the fast path loaded on a thread of its own, so that mqttgwd listens first
 * (issue 15). Loading and verifying the programs is most of a start's time (0.3-0.9 s against
 * 40 ms for the rest); the thread runs fp_load(), which touches nothing but the struct
 * fastpath it creates, then writes an eventfd the loop watches. fastpath_load_finish() joins
 * the thread, so everything it wrote is the loop's from then on. See include/fastpath.h.
 *
 * libbpf's print hook is one global: while the thread runs, what libbpf says (from either
 * thread: the XDP guard may load meanwhile) is kept here, under a mutex, and logged by the
 * loop at the finish, since the log module is the loop's alone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf_util.h"
#include "fastpath.h"
#include "fastpath_int.h"
#include "log.h"

struct fastpath_load {
	pthread_t thread;
	int efd;
	enum config_fastpath mode;
	struct fastpath *fp; /* the thread's result */
	int ret;
	char why[256];
};

/* libbpf's messages while a thread loads: warnings only, as bpf_util_libbpf_print keeps. */
static struct {
	pthread_mutex_t mu;
	char text[2048];
	size_t len;
} held = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int hold_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level != LIBBPF_WARN)
		return 0;
	pthread_mutex_lock(&held.mu);
	if (held.len < sizeof(held.text) - 1) {
		n = vsnprintf(held.text + held.len, sizeof(held.text) - held.len, fmt, ap);
		if (n > 0)
			held.len += (size_t)n < sizeof(held.text) - held.len
					? (size_t)n
					: sizeof(held.text) - held.len - 1;
	}
	pthread_mutex_unlock(&held.mu);
	return 0;
}

/* What the thread held back, one log line per line, then libbpf prints straight again. */
static void hold_flush(void)
{
	char *line, *save = NULL;

	libbpf_set_print(bpf_util_libbpf_print);
	pthread_mutex_lock(&held.mu);
	for (line = strtok_r(held.text, "\n", &save); held.len && line;
	     line = strtok_r(NULL, "\n", &save))
		log_info("%s", line);
	held.len = 0;
	held.text[0] = '\0';
	pthread_mutex_unlock(&held.mu);
}

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
	libbpf_set_print(hold_print);
	ret = pthread_create(&ld->thread, NULL, load_thread, ld);
	if (ret) {
		hold_flush();
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
	hold_flush();
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
	libbpf_set_print(bpf_util_libbpf_print);
	pthread_mutex_lock(&held.mu);
	held.len = 0; /* a load nobody waits for any more: what libbpf said does not matter */
	pthread_mutex_unlock(&held.mu);
	close(ld->efd);
	if (!ld->ret)
		fastpath_free(ld->fp);
	free(ld);
}
