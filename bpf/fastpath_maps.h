/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * fastpath_maps: the maps of the fast path. Layouts are in include/mqttgw/fp_abi.h; the
 * loader (daemon/fastpath/fastpath.c) may resize max_entries before load. The maps live as long as
 * the daemon's file descriptors; only fp_stats and fp_meta are pinned (for the status
 * reader), and the daemon removes those pins when it exits.
 */
#ifndef MQTTGW_FASTPATH_MAPS_H
#define MQTTGW_FASTPATH_MAPS_H

#define FP_DEFAULT_SOCKS  16384
#define FP_DEFAULT_ROUTES 16384

/*
 * Redirect targets, keyed by socket cookie (the value written from user space is the fd).
 * The verdict program is attached to this map (BPF_SK_SKB_VERDICT), so it runs on every
 * socket in it: publishers and subscribers alike.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, FP_DEFAULT_SOCKS);
	__type(key, __u64);
	__type(value, __u64);
} fp_sockhash SEC(".maps");

/* Per-socket slot index, protocol level and TCP sequence, keyed by bpf_get_socket_cookie(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_DEFAULT_SOCKS);
	__type(key, __u64);
	__type(value, struct fp_sock);
} fp_socks SEC(".maps");

/*
 * Per-socket fields the daemon and the verdict exchange (budget, drained/passed, busy). An
 * mmap()able array: the daemon reads and writes them with plain loads and stores, no
 * syscall; a map update would replace the whole value and lose the verdict's concurrent
 * writes.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, FP_DEFAULT_SOCKS);
	__type(key, __u32);
	__type(value, struct fp_slot);
} fp_slots SEC(".maps");

/*
 * Exact-topic routes, a cache the daemon fills (the BMC pattern). LRU: an evicted route
 * only sends its next PUBLISH through the daemon, which reinstalls it; stale routes (older
 * generation) age out without a sweep.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FP_DEFAULT_ROUTES);
	__type(key, struct fp_route_key);
	__type(value, struct fp_route);
} fp_routes SEC(".maps");

/* Counters, one struct per CPU; the daemon sums them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_stats);
} fp_stats SEC(".maps");

/*
 * The daemon's status for `mqttgwd --fastpath-status` (another process, through the pin).
 * No program uses it: it is here so that the object declares every map of the ABI. mmap()able
 * so the daemon refreshes it without a syscall.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_meta);
} fp_meta SEC(".maps");

#endif /* MQTTGW_FASTPATH_MAPS_H */
