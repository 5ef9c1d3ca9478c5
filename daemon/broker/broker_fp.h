/* SPDX-License-Identifier: MIT */
/*
 * broker_fp: the state of the broker's kernel fast path, private to broker_fastpath.c (join,
 * leave, conn gate, tick, start and stop) and broker_fp_routes.c (route cache, flow policy).
 */
#ifndef MQTTGW_BROKER_FP_H
#define MQTTGW_BROKER_FP_H

#include <stdbool.h>
#include <stdint.h>

#include "broker_fastpath.h"
#include "fastpath.h"

#define FP_TICK_MS	  10   /* budget refill, join retries */
#define FP_POLICY_MS	  100  /* flow rates and handovers */
#define FP_RETRY_MS	  1    /* a held-back write polls tx_quiet this often */
#define FP_CLOSE_WAIT_US  2000 /* closing: how long the last write may wait for quiet */
#define FP_WINDOW_DEFAULT (1u << 20)
/* Half the kernel's LRU route map: a cached route is then never evicted behind our back. */
#define FP_ROUTES_MAX	 8192u
#define FP_FLOWS_PER_PUB 64u
/* Flow policy: above `fastpath_flow_rates` HIGH for FP_UP_TICKS policy ticks -> daemon; below
 * LOW for FP_DOWN_TICKS -> kernel. */
#define FP_UP_TICKS   2
#define FP_DOWN_TICKS 5

enum { FLOW_KERNEL = 0, FLOW_DAEMON };

struct fp_route_ent {
	struct fp_route_ent *hnext; /* hash chain */
	struct fp_route_ent *fnext; /* the flow's routes */
	struct fp_flow *flow;
	uint32_t hash;
	bool installed; /* in the kernel's route map */
	uint16_t len;
	char topic[];
};

struct fp_flow {
	struct fp_flow *next, *prev; /* every flow */
	struct fp_flow *pub_next;    /* the publisher's flows */
	struct fp_flow *sub_next;    /* the subscriber's flows */
	struct fpc *pub, *sub;
	struct fp_route_ent *routes;
	uint32_t n_routes;
	uint8_t state;	/* FLOW_* */
	uint8_t streak; /* consecutive policy ticks past the mark */
	uint32_t avg_frame;
	uint64_t slow_frames; /* relayed by the daemon since the last policy tick */
	uint64_t rate;	      /* frames/s at the last policy tick */
};

/* The two work lists a client can be on: join pending, write held back. */
enum { L_PEND = 0, L_WAIT, L_NR };

struct fp_link {
	struct fpc *next, *prev;
};

struct fp_list {
	struct fpc *head, *tail;
	uint32_t n;
};

/* Per client; allocated when it is to join, freed when it leaves. */
struct fpc {
	struct client *c;
	struct fp_link link[L_NR];
	bool on[L_NR];
	struct fp_flow *flows_out, *flows_in;
	uint32_t n_flows_out;
	uint32_t n_installed;	   /* routes from it in the kernel */
	struct fp_route_ent *last; /* its route used last (most publishers repeat one topic) */
	uint64_t cookie;
	uint64_t tx_base;     /* conn->tx_bytes at the join */
	uint64_t consumed;    /* bytes parsed since the join: drained */
	uint64_t spent_quiet; /* every byte redirected up to this `spent` is in the TCP queue */
	uint64_t ka_redirected;
	uint64_t s_redirected, s_spent, d_redirected, d_spent; /* policy samples */
	uint32_t sample_tick;
	uint32_t refill_tick;
	bool joined, busy, quiet, closing;
	bool joining, dead; /* inside fp_join (which may close the conn); left meanwhile */
};

struct broker_fp {
	struct broker *b;
	struct fastpath *fp;
	uint64_t window;
	uint32_t rate_high, rate_low;
	struct fp_route_ent **ht;
	uint32_t ht_mask, n_routes;
	struct fp_flow *flows;
	uint32_t n_flows, n_kflows, n_joined; /* n_kflows: flows on the kernel path */
	struct fp_list list[L_NR];
	struct loop_timer tick, retry;
	bool join_deferred;
	uint32_t tick_n;
	int64_t policy_at;
	/* counters ($SYS) */
	uint64_t routes_added, routes_removed, to_daemon, to_kernel, join_failed, writes_held;
	uint64_t daemon_frames; /* QoS 0 PUBLISH frames relayed from joined sockets */
};

/* broker_fastpath.c */
/* The figures `mqttgwd --fastpath-status` reads from the pinned meta: O(1), no syscall. */
void broker_fp_status_sync(struct broker_fp *bf);
/* Run the tick (budgets, joins, policy) FP_TICK_MS from now, unless it is armed. */
void broker_fp_tick_arm(struct broker_fp *bf);
/* Queue c to join the fast path (it has, or is the target of, an eligible flow). */
void broker_fp_want(struct client *c);

/* broker_fp_routes.c */
/* Free a flow and its routes (uninstalled from the kernel). */
void broker_fp_flow_free(struct broker_fp *bf, struct fp_flow *f);
/* Every FP_POLICY_MS: each flow's rate, and handovers past the marks. */
void broker_fp_policy(struct broker_fp *bf, int64_t dt_ms);
/* Every tick: refill the credit of each kernel-path flow's target. */
void broker_fp_refill(struct broker_fp *bf);

#endif /* MQTTGW_BROKER_FP_H */
