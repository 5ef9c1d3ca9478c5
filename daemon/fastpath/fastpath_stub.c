/* SPDX-License-Identifier: MIT */
/*
 * fastpath without BPF (FASTPATH=0, or no BPF program in this build): always the slow path.
 * The one place that answers "unavailable": the real module (fastpath.c) assumes an active
 * fast path in every call after fastpath_active(), as include/fastpath.h asks of callers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fastpath.h"
#include "log.h"

struct fastpath {
	int unused;
};

int fastpath_init(struct fastpath **out, enum config_fastpath mode, char *err, size_t errlen)
{
	*out = NULL;
	if (mode == CONFIG_FASTPATH_ON) {
		snprintf(err, errlen, "fastpath on: this build has no kernel fast path");
		return -ENOTSUP;
	}
	if (mode == CONFIG_FASTPATH_AUTO)
		log_notice("Kernel fast path unavailable: this build has no BPF program; "
			   "QoS 0 traffic is relayed by the daemon (slow path).");
	return 0;
}

/* No thread to run: fastpath_init()'s answer at once, and never a loader. */
int fastpath_load_start(struct fastpath_load **out, enum config_fastpath mode, char *err,
			size_t errlen)
{
	struct fastpath *fp;

	*out = NULL;
	return fastpath_init(&fp, mode, err, errlen);
}

int fastpath_load_fd(const struct fastpath_load *ld)
{
	(void)ld;
	return -1;
}

int fastpath_load_finish(struct fastpath_load *ld, struct fastpath **fp, char *err, size_t errlen)
{
	(void)ld;
	(void)err;
	(void)errlen;
	*fp = NULL;
	return 0;
}

void fastpath_load_cancel(struct fastpath_load *ld)
{
	(void)ld;
}

void fastpath_free(struct fastpath *fp)
{
	free(fp);
}

bool fastpath_active(const struct fastpath *fp)
{
	(void)fp;
	return false;
}

/* Everything below is only reachable with an active fast path, which this build never has. */

int fastpath_sock_add(struct fastpath *fp, int fd, const struct fastpath_sock_opts *opts,
		      uint64_t *cookie)
{
	(void)fp, (void)fd, (void)opts, (void)cookie;
	return -ENOTSUP;
}

int fastpath_sock_remove(struct fastpath *fp, uint64_t cookie)
{
	(void)fp, (void)cookie;
	return -ENOTSUP;
}

int fastpath_route_add(struct fastpath *fp, uint64_t pub, const void *topic, size_t topic_len,
		       uint64_t sub)
{
	(void)fp, (void)pub, (void)topic, (void)topic_len, (void)sub;
	return -ENOTSUP;
}

int fastpath_route_del(struct fastpath *fp, uint64_t pub, const void *topic, size_t topic_len)
{
	(void)fp, (void)pub, (void)topic, (void)topic_len;
	return -ENOTSUP;
}

int fastpath_route_flush(struct fastpath *fp, uint64_t cookie)
{
	(void)fp, (void)cookie;
	return -ENOTSUP;
}

int fastpath_set_busy(struct fastpath *fp, uint64_t cookie, bool busy)
{
	(void)fp, (void)cookie, (void)busy;
	return -ENOTSUP;
}

int fastpath_set_routed(struct fastpath *fp, uint64_t cookie, bool routed)
{
	(void)fp, (void)cookie, (void)routed;
	return -ENOTSUP;
}

int fastpath_tx_quiet(struct fastpath *fp, uint64_t cookie, uint64_t daemon_written)
{
	(void)fp, (void)cookie, (void)daemon_written;
	return -ENOTSUP;
}

int fastpath_drained(struct fastpath *fp, uint64_t cookie, uint64_t bytes)
{
	(void)fp, (void)cookie, (void)bytes;
	return -ENOTSUP;
}

int fastpath_budget_grant(struct fastpath *fp, uint64_t cookie, uint64_t bytes)
{
	(void)fp, (void)cookie, (void)bytes;
	return -ENOTSUP;
}

int fastpath_budget_refill(struct fastpath *fp, uint64_t cookie, uint64_t daemon_written,
			   uint64_t window)
{
	(void)fp, (void)cookie, (void)daemon_written, (void)window;
	return -ENOTSUP;
}

int fastpath_sock_bufs(struct fastpath *fp, int fd, int sndbuf, int rcvbuf)
{
	(void)fp, (void)fd, (void)sndbuf, (void)rcvbuf;
	return -ENOTSUP;
}

int fastpath_sock_stats(const struct fastpath *fp, uint64_t cookie, struct fastpath_sock_stats *out)
{
	(void)fp, (void)cookie, (void)out;
	return -ENOTSUP;
}

int fastpath_counters(const struct fastpath *fp, struct fastpath_counters *out)
{
	(void)fp, (void)out;
	return -ENOTSUP;
}

const char *fastpath_reason_name(unsigned int reason)
{
	(void)reason;
	return "unknown";
}

int fastpath_pin(struct fastpath *fp, const struct config *cfg, const char *version)
{
	(void)fp, (void)cfg, (void)version;
	return -ENOTSUP;
}

void fastpath_status_set(struct fastpath *fp, const struct fastpath_status *st)
{
	(void)fp, (void)st;
}

void fastpath_status_frames(struct fastpath *fp, uint64_t daemon_frames)
{
	(void)fp, (void)daemon_frames;
}

int fastpath_status_print(const char *pin_dir, bool json, FILE *out)
{
	(void)pin_dir;
	if (json)
		fputs("{\"state\":\"unsupported\",\"detail\":\"this mqttgwd was built without the "
		      "kernel fast path (FASTPATH=0)\"}\n",
		      out);
	else
		fputs("mqttgwd fast path: unsupported: this mqttgwd was built without the kernel "
		      "fast path (FASTPATH=0); there is no fast-path status to show.\n",
		      out);
	fflush(out);
	return -ENOTSUP;
}
