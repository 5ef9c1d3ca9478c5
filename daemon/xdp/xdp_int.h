/* SPDX-License-Identifier: MIT */
/*
 * xdp_guard's private header: the status pins, written by daemon/xdp/xdp_guard.c while the
 * daemon runs, read by daemon/xdp/xdp_status.c (`mqttgwd --xdp-status`, another process).
 *
 * Next to the ban map (XDP_PIN_BANS) the daemon pins the program's per-CPU packet counters
 * (xg_stats, XDP_PIN_STATS) and a one-entry ARRAY map of its own making (XDP_PIN_META) that
 * names the program (by id: the reader knows the daemon is alive when the program is still
 * loaded, which it is exactly as long as the daemon holds it) and the interfaces it attached.
 */
#ifndef MQTTGW_XDP_INT_H
#define MQTTGW_XDP_INT_H

#include <stdint.h>

#define XDP_PIN_STATS	"xdp_stats_v1"
#define XDP_PIN_META	"xdp_meta_v1"
#define XDP_META_MAGIC	0x31706478u /* "xdp1" */
#define XDP_META_IFACES 16

struct xdp_meta_iface {
	char name[16];
	int32_t ifindex;
	uint32_t mode; /* enum xdp_guard_mode that took */
};

struct xdp_meta {
	uint32_t magic;
	uint32_t pid;
	uint32_t prog_id;
	uint32_t n_ifaces;
	uint64_t syn_interval_ns, syn_tau_ns;
	uint64_t start_wall; /* seconds since the epoch */
	struct xdp_meta_iface ifaces[XDP_META_IFACES];
};

#endif /* MQTTGW_XDP_INT_H */
