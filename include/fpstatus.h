/* SPDX-License-Identifier: MIT */
/*
 * fpstatus: the report of `mqttgwd --fastpath-status` (L0: no syscalls, no logging).
 * daemon/fastpath.c reads the pinned maps (include/mqttgw/fp_abi.h: fp_meta, fp_stats summed
 * over CPUs) into a struct fpstatus; this module turns it into text or one line of JSON.
 *
 * The in-kernel fraction. The kernel can relay only QoS 0 PUBLISH frames, and only from a
 * socket in the fast path, so that is the base:
 *
 *     in_kernel = K / (K + D)
 *     K = frames the verdict redirected (fp_stats FP_CTR_REDIR_FRAMES)
 *     D = QoS 0 PUBLISH frames the daemon read from a socket after it joined the fast path
 *         and relayed itself (fp_meta.daemon_frames): passed by the verdict for any reason
 *         (no route yet, order, busy, budget, a flow on the daemon's path, ...); plus the
 *         eligible ones it relayed from clients not joined yet (joins are lazy: the first
 *         eligible message queues the join)
 *
 * both counted since the daemon started. QoS 1/2, non-PUBLISH packets, clients that never
 * join (TLS, WebSockets, no eligible flow) and their ineligible messages are not in it. The verdict's own "passed frames" cannot be the base:
 * it counts frames only in the skbs it walked (none in the skbs it passes unwalked), and per
 * skb rather than per packet type. Undefined (null, "n/a") while K + D is 0.
 */
#ifndef MQTTGW_FPSTATUS_H
#define MQTTGW_FPSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttgw/fp_abi.h"

enum fpstatus_state {
	FPSTATUS_ACTIVE = 0, /* pins of a running daemon, read */
	FPSTATUS_ABSENT,     /* no pins in the directory */
	FPSTATUS_STALE,	     /* pins of a daemon that is not running any more */
	FPSTATUS_ERROR,	     /* pins that cannot be read (detail says why) */
};

struct fpstatus {
	enum fpstatus_state state;
	const char *pin_dir;	 /* borrowed */
	const char *detail;	 /* ABSENT, ERROR: why (borrowed); may be NULL */
	struct fp_meta meta;	 /* ACTIVE, STALE */
	uint64_t ctr[FP_CTR_NR]; /* ACTIVE: fp_stats summed over CPUs */
	uint64_t now_boot_ns;	 /* CLOCK_BOOTTIME when read: uptime, age of the figures */
};

/* K / (K + D) in parts per million; -EDOM when K + D is 0. */
int fpstatus_fraction(uint64_t kernel, uint64_t daemon, uint32_t *ppm);

/*
 * Write the report into buf (NUL-terminated): human-readable lines, or one line of JSON
 * (ending in '\n'). Returns its length, or -ENOSPC when buf is too small (4 KiB is enough).
 */
int fpstatus_format(const struct fpstatus *st, bool json, char *buf, size_t len);

/* Short name of a pass reason ("qos", "no_route", ...), for metrics, $SYS and the report. */
const char *fpstatus_reason_name(unsigned int reason);

#endif /* MQTTGW_FPSTATUS_H */
