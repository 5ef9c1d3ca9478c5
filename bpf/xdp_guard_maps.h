/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * xdp_guard_maps: the maps of the XDP guard. Layouts are in include/mqttgw/xdp_abi.h; the
 * loader (daemon/xdp/xdp_guard.c) may resize max_entries before load and reuses a pinned
 * xg_bans, so bans survive a daemon restart.
 */
#ifndef MQTTGW_XDP_GUARD_MAPS_H
#define MQTTGW_XDP_GUARD_MAPS_H

#define XG_DEFAULT_CIDRS   1024 /* per list and family */
#define XG_DEFAULT_BANS	   65536
#define XG_DEFAULT_SOURCES 65536 /* SYN buckets: LRU, an evicted source starts a full bucket */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_cfg);
} xg_cfg SEC(".maps");

/* LPM tries must be created with BPF_F_NO_PREALLOC. */
#define XG_LPM(name, key_t)                                                                        \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);                                               \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__uint(max_entries, XG_DEFAULT_CIDRS);                                             \
		__type(key, key_t);                                                                \
		__type(value, __u32);                                                              \
	} name SEC(".maps")

XG_LPM(xg_allow4, struct xdp_lpm4);
XG_LPM(xg_allow6, struct xdp_lpm6);
XG_LPM(xg_deny4, struct xdp_lpm4);
XG_LPM(xg_deny6, struct xdp_lpm6);

/* Not LRU: a ban must never be evicted by a flood of new ones; a full map refuses the new ban
 * (the daemon logs it) and keeps the old. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XG_DEFAULT_BANS);
	__type(key, struct xdp_addr);
	__type(value, struct xdp_ban);
} xg_bans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XG_DEFAULT_SOURCES);
	__type(key, struct xdp_addr);
	__type(value, struct xdp_syn);
} xg_syn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_R_NR);
	__type(key, __u32);
	__type(value, __u64);
} xg_stats SEC(".maps");

#endif /* MQTTGW_XDP_GUARD_MAPS_H */
