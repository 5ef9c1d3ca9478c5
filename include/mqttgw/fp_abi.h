/* SPDX-License-Identifier: MIT */
/*
 * fp_abi: the one header shared by bpf/fastpath.bpf.c and daemon/fastpath/.
 *
 * Everything here is a map key, a map value, an index or a flag. Fixed-width types, explicit
 * padding (the kernel hashes and copies keys and values as raw bytes, so padding must be
 * zero and never depend on the compiler), no pointers. Both compilers check the layout with
 * the static assertions at the end.
 *
 * Maps (declared in bpf/fastpath_maps.h):
 *   fp_sockhash  SOCKHASH   socket cookie -> socket            redirect targets
 *   fp_socks     HASH       socket cookie -> struct fp_sock    slot index, TCP sequence
 *   fp_slots     ARRAY      slot -> struct fp_slot             mmap()ed by the daemon
 *   fp_routes    LRU_HASH   struct fp_route_key -> struct fp_route
 *   fp_stats     PERCPU_ARRAY [0] -> struct fp_stats           counters
 *   fp_meta      ARRAY     [0] -> struct fp_meta               daemon status (mmap()ed)
 *
 * fp_stats and fp_meta are pinned in `fastpath_pin_dir` (files FP_PIN_STATS, FP_PIN_META)
 * while the daemon runs, for `mqttgwd --fastpath-status`: their layouts are also read by
 * another process, possibly of another build, which checks FP_META_MAGIC and the value sizes.
 */
#ifndef MQTTGW_FP_ABI_H
#define MQTTGW_FP_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Longest topic a route key holds. A longer topic is never redirected (FP_PASS_TOPIC_LEN). */
#define FP_TOPIC_MAX 128

/* MQTT protocol levels (CONNECT "Protocol Level"). */
#define FP_PROTO_V31  3
#define FP_PROTO_V311 4
#define FP_PROTO_V5   5

/*
 * fp_socks value: per-socket state, keyed by bpf_get_socket_cookie(). The daemon writes it
 * once, before the socket enters fp_sockhash, and deletes it after the socket left; in
 * between only the verdict of that socket writes it (next_seq, seq_known), and the verdict of
 * one socket never runs twice at once (it runs under the socket lock), so no field needs
 * atomics. No frame state: the verdict judges an skb only when it starts on a frame boundary.
 */
struct fp_sock {
	__u32 slot;	/* index into fp_slots */
	__u32 next_seq; /* TCP sequence number of the next new byte (end_seq of the last skb) */
	__u8 proto;	/* FP_PROTO_* of the client on this socket */
	__u8 seq_known; /* next_seq is set (by the first skb after the add) */
	__u8 pad[6];
};

/* fp_slot.flags, written by the daemon. */
#define FP_SLOT_F_BUSY (1u << 0) /* daemon has output pending for this socket: not a target */
/* The daemon installed routes from this socket. Without it its skbs pass unjudged (no frame
 * walk): a stale flag only ever makes the verdict pass more, never redirect wrongly. */
#define FP_SLOT_F_ROUTED (1u << 1)

/*
 * fp_slots value, one per socket in the fast path, shared memory with the daemon
 * (BPF_F_MMAPABLE). The first cache line is written only by the daemon, the second only
 * by verdicts, so each 64-bit field has one writer (spent: the verdicts of every publisher,
 * with atomic adds) and both sides read the others' fields with single loads.
 */
struct fp_slot {
	/* Written by the daemon. */
	__u64 cookie;	 /* owner socket; 0 while the slot is free */
	__u64 drained;	 /* as publisher: passed bytes the daemon has read and dispatched */
	__u64 credit;	 /* as target: bytes it may ever be redirected (monotonic budget) */
	__u32 gen;	 /* route generation: routes that carry another value are stale */
	__u32 flags;	 /* FP_SLOT_F_* */
	__u32 max_frame; /* as target: largest frame it accepts (Maximum Packet Size), 0: any */
	__u8 proto;	 /* FP_PROTO_* */
	__u8 pad0[27];
	/* Written by verdicts. */
	__u64 passed;	  /* as publisher: bytes passed to the daemon (SK_PASS) */
	__u64 spent;	  /* as target: bytes redirected to it (atomic; budget spent) */
	__u64 redirected; /* as publisher: bytes redirected away from it */
	__u8 pad1[40];
};

/* fp_routes key: an exact topic published on one socket. Bytes past topic_len are zero. */
struct fp_route_key {
	__u64 pub_cookie;
	__u16 topic_len;
	__u8 pad[6];
	__u8 topic[FP_TOPIC_MAX];
};

/* fp_routes value: where frames with that topic go. */
struct fp_route {
	__u64 sub_cookie; /* the target socket (key of fp_sockhash) */
	__u32 sub_slot;	  /* its fp_slots index */
	__u32 pub_gen;	  /* fp_slot.gen of the publisher when installed */
	__u32 sub_gen;	  /* fp_slot.gen of the target when installed */
	__u32 pad;
};

/*
 * Why an skb was passed to the daemon. One reason per skb: the first one found walking its
 * frames in order (the policy checks after the walk come last); all its frames and bytes
 * are counted under it.
 */
enum fp_pass_reason {
	FP_PASS_EMPTY = 0,    /* zero-length skb (FIN) */
	FP_PASS_NO_SOCK,      /* socket has no fp_socks/fp_slots entry */
	FP_PASS_DISABLED,     /* rodata knob fp_cfg_enabled is 0 */
	FP_PASS_MALFORMED,    /* bad Remaining Length or PUBLISH layout, or old bytes not cut */
	FP_PASS_SPLIT,	      /* skb ends inside a frame */
	FP_PASS_NOT_PUBLISH,  /* a frame is not a PUBLISH */
	FP_PASS_QOS,	      /* a PUBLISH has QoS 1 or 2 */
	FP_PASS_RETAIN,	      /* a PUBLISH has RETAIN set */
	FP_PASS_TOPIC_LEN,    /* topic empty (v5 alias) or longer than the key */
	FP_PASS_PROPS,	      /* v5 PUBLISH carries properties */
	FP_PASS_NO_ROUTE,     /* no route (or a stale one) for a topic */
	FP_PASS_MULTI_TARGET, /* frames of the skb route to different targets */
	FP_PASS_TOO_LARGE,    /* a frame exceeds the target's max_frame */
	FP_PASS_PROTO,	      /* publisher and target speak different protocol levels */
	FP_PASS_ORDER,	      /* publisher: passed != drained (daemon still has its bytes) */
	FP_PASS_BUSY,	      /* target flagged FP_SLOT_F_BUSY */
	FP_PASS_BUDGET,	      /* target's credit does not cover the skb */
	FP_PASS_NO_TARGET,    /* target slot or socket gone (redirect refused) */
	FP_PASS_NR
};

/* Counter indices in fp_stats.ctr. */
enum fp_ctr {
	FP_CTR_REDIR_SKBS = 0,
	FP_CTR_REDIR_FRAMES,
	FP_CTR_REDIR_BYTES,
	FP_CTR_OVER_BUDGET, /* skbs refused because a target's budget was spent */
	FP_CTR_PASS_SKBS,   /* + reason */
	FP_CTR_PASS_FRAMES = FP_CTR_PASS_SKBS + FP_PASS_NR,
	FP_CTR_PASS_BYTES = FP_CTR_PASS_FRAMES + FP_PASS_NR,
	/* skbs that began with bytes the socket had already received, and those bytes (cut) */
	FP_CTR_DUP_SKBS = FP_CTR_PASS_BYTES + FP_PASS_NR,
	FP_CTR_DUP_BYTES,
	FP_CTR_NR
};

/* fp_stats value (per CPU). Frames are counted where they start. */
struct fp_stats {
	__u64 ctr[FP_CTR_NR];
};

/* Pinned file names inside fastpath_pin_dir. */
#define FP_PIN_META  "meta"
#define FP_PIN_STATS "stats"

/* fp_meta.magic: "MQGWFP" + layout version 1. A new layout takes a new value. */
#define FP_META_MAGIC 0x4d51475746500001ull
#define FP_META_MODE_AUTO 1 /* `fastpath auto` */
#define FP_META_MODE_ON	  2 /* `fastpath on` */
#define FP_META_PORTS	  4

/*
 * fp_meta value: what only the daemon knows, for the status reader. The verdict never
 * touches it. The daemon fills it before pinning (identity) and refreshes the figures with
 * plain stores into its mmap() (on joins, leaves, route changes and its 10 ms tick); a reader
 * copies it with one lookup, so a figure may be a tick old.
 */
struct fp_meta {
	__u64 magic;	       /* FP_META_MAGIC */
	__u32 pid;	       /* the daemon (in its pid namespace) */
	__u32 mode;	       /* FP_META_MODE_* */
	__u64 pid_start;       /* its start time, /proc/PID/stat field 22: tells pid reuse */
	__u64 start_boot_ns;   /* CLOCK_BOOTTIME at the start: uptime */
	__u64 start_real;      /* CLOCK_REALTIME seconds at the start */
	__u16 ports[FP_META_PORTS]; /* first listener ports, 0: none */
	__u32 n_listeners;
	__u32 sockets;	       /* sockets in the fast path */
	__u32 routes;	       /* routes cached by the daemon */
	__u32 flows_kernel;    /* (publisher, subscriber) flows on the kernel path */
	__u32 flows_daemon;    /* ... moved to the daemon's path by the flow policy */
	__u32 pad;
	__u64 to_daemon;       /* handovers of a flow to the daemon's path */
	__u64 to_kernel;       /* ... back to the kernel path */
	__u64 writes_held;     /* daemon writes held back until the redirect queue was empty */
	__u64 daemon_frames;   /* QoS 0 PUBLISH frames the daemon relayed from joined sockets,
				 * and eligible ones from clients about to join */
	__u64 updated_boot_ns; /* CLOCK_BOOTTIME of the last refresh */
	char version[16];      /* daemon version, NUL-terminated */
};

_Static_assert(sizeof(struct fp_sock) == 16, "fp_sock layout");
_Static_assert(sizeof(struct fp_slot) == 128, "fp_slot layout");
_Static_assert(__builtin_offsetof(struct fp_slot, passed) == 64, "fp_slot cache lines");
_Static_assert(sizeof(struct fp_route_key) == 16 + FP_TOPIC_MAX, "fp_route_key layout");
_Static_assert(sizeof(struct fp_route) == 24, "fp_route layout");
_Static_assert(sizeof(struct fp_meta) == 128, "fp_meta layout");

#endif /* MQTTGW_FP_ABI_H */
