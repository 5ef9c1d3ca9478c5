/* SPDX-License-Identifier: MIT */
/*
 * xdp_abi: the one header shared by bpf/xdp_guard.bpf.c and daemon/xdp/xdp_guard.c.
 *
 * Map keys, map values and indices only: fixed-width types, explicit padding (the kernel
 * hashes and compares keys as raw bytes), no pointers. Addresses are in network byte order.
 * Both compilers check the layouts with the static assertions at the end.
 *
 * Maps (declared in bpf/xdp_guard_maps.h):
 *   xg_cfg      ARRAY [0] -> struct xdp_cfg              guarded ports, SYN rate
 *   xg_allow4   LPM_TRIE struct xdp_lpm4 -> __u32        allowlist: skips every other check
 *   xg_allow6   LPM_TRIE struct xdp_lpm6 -> __u32
 *   xg_deny4    LPM_TRIE struct xdp_lpm4 -> __u32        denylist (static, from config)
 *   xg_deny6    LPM_TRIE struct xdp_lpm6 -> __u32
 *   xg_bans     HASH struct xdp_addr -> struct xdp_ban   dynamic bans, pinned (XDP_PIN_BANS)
 *   xg_syn      LRU_HASH struct xdp_addr -> struct xdp_syn   SYN token buckets
 *   xg_stats    PERCPU_ARRAY [enum xdp_reason] -> __u64  packets per reason
 */
#ifndef MQTTGW_XDP_ABI_H
#define MQTTGW_XDP_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/*
 * An address as one 16-byte key: IPv6 as is, IPv4 as the v4-mapped IPv6 address
 * ::ffff:a.b.c.d, the form a dual-stack socket reports its IPv4 peers in, so the daemon can
 * ban what accept() gave it without converting. Network byte order.
 */
struct xdp_addr {
	__u32 w[4];
};

/* LPM trie keys: prefixlen first (the kernel's struct bpf_lpm_trie_key layout). */
struct xdp_lpm4 {
	__u32 prefixlen;
	__u32 addr;
};

struct xdp_lpm6 {
	__u32 prefixlen;
	__u32 addr[4];
};

/*
 * xg_bans value. expires_ns is CLOCK_MONOTONIC (bpf_ktime_get_ns()); an entry at or past it
 * no longer drops, and the daemon deletes it when it expires bans. The clock survives a
 * daemon restart (not a reboot, which also empties the bpffs), so a pinned ban keeps its
 * meaning. drops: packets dropped for this ban since it was set (atomic adds).
 */
struct xdp_ban {
	__u64 expires_ns;
	__u64 drops;
};

/*
 * xg_syn value: the SYN limiter of one source, as GCRA (a token bucket stated in time): tat
 * is the theoretical arrival time of the next SYN; a SYN conforms while tat <= now + tau and
 * moves tat one interval on. One word, so CPUs update it with atomics and no lock. Its clock
 * is CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns(): one jiffy, 1-10 ms): the precise
 * clock cost a flood 23 of the 70 ns the guard spent on each SYN (BPF_PROG_TEST_RUN), and a
 * one-tick clock lets at most rate x tick more SYNs than the burst through within one tick.
 * What a source had dropped is in xg_stats (per reason), not here: a per-source count cost
 * every dropped SYN an atomic add on a line all CPUs share, and nothing read it.
 */
struct xdp_syn {
	__u64 tat_ns;
};

/* Guarded TCP destination ports as a bitmap: bit (port & 7) of byte (port >> 3). */
#define XDP_PORT_BYTES 8192

/*
 * xg_cfg value. Written whole by the daemon (at load and on reload); the program reads it
 * once per packet. A SYN interval of 0 disables the SYN limit.
 */
struct xdp_cfg {
	__u64 syn_interval_ns; /* 1e9 / rate: time one SYN costs */
	__u64 syn_tau_ns;      /* (burst - 1) * interval: how far tat may run ahead of now */
	__u32 lists;	       /* XDP_CFG_*: which tries hold an entry (empty ones are not read) */
	__u32 pad;
	__u8 ports[XDP_PORT_BYTES];
};

/* xdp_cfg.lists: bit (list * 2 + family), list 0 allow / 1 deny, family 0 IPv4 / 1 IPv6. */
#define XDP_CFG_ALLOW4 0x1u
#define XDP_CFG_ALLOW6 0x2u
#define XDP_CFG_DENY4  0x4u
#define XDP_CFG_DENY6  0x8u

/*
 * Why a packet got its verdict; xg_stats index. Every packet counts under exactly one
 * reason. Reasons below XDP_R_FIRST_DROP are XDP_PASS, the others XDP_DROP.
 */
enum xdp_reason {
	XDP_R_NOT_IP = 0,  /* not IPv4/IPv6 (ARP, ...) or more VLAN tags than we parse */
	XDP_R_NOT_TCP,	   /* IP, another protocol (also IPsec ESP: its payload is opaque) */
	XDP_R_OTHER_PORT,  /* TCP to a port we do not guard */
	XDP_R_FRAGMENT,	   /* a non-first fragment: no TCP header to judge */
	XDP_R_UNPARSED,	   /* headers too short or invalid to tell; the stack drops it itself */
	XDP_R_ALLOWED,	   /* guarded port, allowlisted source: no other check */
	XDP_R_PASSED,	   /* guarded port, every check passed */
	XDP_R_DENIED,	   /* guarded port, denylisted source */
	XDP_R_BANNED,	   /* guarded port, source banned (not expired) */
	XDP_R_SYN_LIMITED, /* guarded port, SYN over the source's rate */
	XDP_R_MALFORMED,   /* guarded port (or one we cannot rule out), headers malformed */
	XDP_R_NR
};
#define XDP_R_FIRST_DROP XDP_R_DENIED

/* Pinned file names inside the pin directory. The suffix is the layout version of the map:
 * a build with another layout uses another file and never misreads an old one. */
#define XDP_PIN_BANS "xdp_bans_v1"

_Static_assert(sizeof(struct xdp_addr) == 16, "xdp_addr layout");
_Static_assert(sizeof(struct xdp_lpm4) == 8, "xdp_lpm4 layout");
_Static_assert(sizeof(struct xdp_lpm6) == 20, "xdp_lpm6 layout");
_Static_assert(sizeof(struct xdp_ban) == 16, "xdp_ban layout");
_Static_assert(sizeof(struct xdp_syn) == 8, "xdp_syn layout");
_Static_assert(sizeof(struct xdp_cfg) == 24 + XDP_PORT_BYTES, "xdp_cfg layout");

#endif /* MQTTGW_XDP_ABI_H */
