/* SPDX-License-Identifier: MIT */
/*
 * mqttgw-bench: a load generator that speaks MQTT 3.1.1 / 5.0 over raw non-blocking sockets.
 *
 * Threads: one publisher worker and one or more subscriber workers, each with its own epoll
 * loop; the main thread only drives phases and samples /proc. Publishers are closed-loop: a
 * publisher stays at most `window` messages ahead of the slowest receiver of its messages, so
 * a broker cannot win by dropping. Every payload carries a sequence number, a send timestamp
 * and the publisher id; receivers count lost, duplicated and reordered messages.
 *
 * Cross-thread state is plain memory accessed with __atomic builtins; everything else belongs
 * to exactly one worker.
 */
#ifndef MQTTGW_BENCH_H
#define MQTTGW_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_stats.h"

#define BENCH_MAX_SUBT	  8	 /* subscriber worker threads at most */
#define BENCH_PAYLOAD_MIN 20u	 /* seq (8) + timestamp (8) + publisher id (4) */
#define BENCH_TX_BATCH	  65536u /* bytes of PUBLISH frames encoded per write() at most */
#define BENCH_TL_MAX	  (4u << 20) /* --timeline: samples kept per sub worker at most */

enum bench_scen { SCEN_LATENCY, SCEN_P2P, SCEN_FANOUT, SCEN_FANIN, SCEN_CONNECTIONS, SCEN_PINGPONG };

struct bench_opts {
	enum bench_scen scen;
	const char *host;
	uint16_t port;
	const char *sub_host; /* subscribers' broker (--sub-host/--sub-port), NULL/0: host/port */
	uint16_t sub_port;
	int qos;
	uint32_t pairs;	      /* p2p */
	uint32_t subs;	      /* fanout subscribers, fanin group members */
	uint32_t pubs;	      /* fanin publishers */
	double rate;	      /* total messages/s over all publishers; 0 = closed loop only */
	uint32_t size;	      /* payload bytes */
	double duration;      /* measured seconds (connections: hold time) */
	double warmup;	      /* seconds of traffic before measuring */
	double drain;	      /* at most this many seconds to wait for the last messages */
	uint32_t window;      /* messages a publisher may be ahead of its slowest receiver */
	uint32_t inflight;    /* unacknowledged QoS 1/2 PUBLISHes per publisher, 0 = auto */
	int version;	      /* 4 = MQTT 3.1.1, 5 = MQTT 5.0 */
	int broker_pid;	      /* 0 = unknown */
	uint32_t conns;	      /* connections scenario */
	double conn_rate;     /* connections opened per second */
	uint32_t stall_ms;    /* a window blocked this long is assumed lost (QoS 0 drops) */
	uint32_t sub_threads; /* subscriber workers */
	uint16_t keepalive;
	bool json;
	bool direct;	   /* pingpong: one loopback TCP connection, no broker */
	bool persistent;   /* subscribers keep a session (3.1.1 clean 0, 5.0 expiry): durable */
	bool ws;	   /* MQTT over WebSocket (ws://HOST:PORT/mqtt), bench_ws.c */
	const char *timeline; /* write every latency sample to this file (bench_plot.py) */
	const char *label; /* broker name for the report */
};

enum bconn_role { BC_PUB, BC_SUB, BC_IDLE };
/* BS_WSHS: --ws, the WebSocket opening handshake (between TCP connect and CONNECT) */
enum bconn_state { BS_NEW, BS_CONNECTING, BS_WSHS, BS_CONNACK, BS_SUBACK, BS_READY, BS_CLOSED };

struct bworker;

/* One MQTT client connection. Owned by exactly one worker. */
struct bconn {
	int fd;
	uint8_t role;	   /* enum bconn_role */
	uint8_t state;	   /* enum bconn_state */
	bool want_out;	   /* EPOLLOUT registered */
	bool failed;	   /* counted as a failure already */
	uint32_t idx;	   /* index within its role */
	uint16_t recv_max; /* broker's Receive Maximum (v5), else 65535 */
	uint64_t t_open;   /* ns, when connect() was called */
	uint8_t *rx;
	uint32_t rx_len, rx_cap;
	uint8_t *tx;
	uint32_t tx_off, tx_len, tx_cap;
	uint32_t tx_raw; /* --ws: tx[tx_raw..tx_len) is MQTT not yet framed (tx_off <= tx_raw) */
	struct bws *ws;	 /* --ws: the WebSocket state, else NULL */
	struct bworker *w;
};

/* A publisher. The first cache line is shared with subscriber workers. */
struct bpub {
	/* shared */
	uint64_t sent;			/* atomic: messages encoded so far */
	uint64_t level[BENCH_MAX_SUBT]; /* atomic: per sub worker, min unique count received */
	uint64_t wake_at;		/* atomic: level that unblocks the window */
	uint32_t waiting;		/* atomic: 1 while blocked on the window */
	uint32_t inflight_pub;		/* atomic copy of inflight, for the drain check */
	/* publisher worker only */
	struct bconn c __attribute__((aligned(64)));
	uint32_t id;
	uint32_t inflight; /* QoS > 0 not yet acknowledged by the broker */
	uint16_t next_pid;
	uint64_t *pid_used; /* 65536-bit map (QoS > 0) */
	uint64_t *pid_ns;   /* per packet id: when its PUBLISH was encoded (ack latency) */
	uint64_t forgiven;  /* messages assumed lost after a stall */
	uint64_t stall_start;
	uint64_t stalls;
	uint64_t acks;
	const char *topic;
	uint8_t *tmpl; /* one encoded PUBLISH, patched per message */
	uint32_t tmpl_len, pid_off, pay_off;
};

/* A subscriber connection. */
struct bsub {
	struct bconn c;
	uint32_t unit;	    /* receiver unit: itself, or its shared-subscription group */
	uint64_t *next_seq; /* per publisher: highest seq seen + 1 (reorder check) */
	const char *filter;
};

/* What one receiver (a subscriber, or a whole $share group) got from each publisher. */
struct bunit {
	uint64_t *uniq;	    /* per publisher: distinct sequence numbers received */
	struct seqset *set; /* per publisher */
	uint8_t *expect;    /* per publisher: 1 if this unit subscribed to its topic */
};

/* Per sub worker, per publisher: the minimum unique count over this worker's units. */
struct blevel {
	uint64_t min;
	uint32_t n_at_min;
	uint32_t nunits;
	uint32_t *units;
	bool dirty;
};

struct brun;

enum bworker_kind { BW_PUB, BW_SUB, BW_IDLE };

struct bworker {
	struct brun *run;
	pthread_t thread;
	enum bworker_kind kind;
	uint32_t sub_idx; /* BW_SUB: index into bpub.level */
	int epfd, evfd, tfd;
	struct bconn **conns;
	uint32_t nconns;
	/* opening */
	uint32_t next_open;
	uint32_t pending;     /* connects/handshakes in progress */
	uint32_t max_pending; /* 0 = unlimited */
	double open_rate;     /* conns/s, 0 = as fast as max_pending allows */
	uint64_t open_start;
	/* pacing (BW_PUB with a rate) */
	double pub_rate; /* per publisher */
	uint64_t run_start;
	/* --timeline: (send time, latency) pairs, ns, of the measured window */
	uint64_t *tl;
	uint32_t tl_n, tl_cap, tl_dropped;
	/* counters, published with __atomic stores for the main thread */
	uint32_t ready, failed, errors;
	uint32_t nlogged;   /* connection errors printed */
	uint64_t delivered; /* PUBLISH frames received */
	uint64_t uniq;	    /* distinct (unit, publisher, seq) */
	uint64_t dup, reordered, bad, stalls;
	uint64_t t0, t1; /* copies of the measure window, read each iteration */
	uint64_t now;
	struct blevel *lv; /* BW_SUB: per publisher */
	uint32_t *dirty;
	uint32_t ndirty;
	bool wake_pub;
	struct hist lat;      /* end-to-end latency, ns, samples sent within [t0, t1] */
	struct hist ack_lat;  /* PUBLISH to its PUBACK (QoS 1) / PUBREC (QoS 2), same window */
	struct hist conn_lat; /* connect() to CONNACK, ns */
	uint64_t cpu_ns;      /* thread CPU at exit */
};

enum bphase { PH_SETUP, PH_RUN, PH_STOP, PH_QUIT };

struct brun {
	const struct bench_opts *o;
	uint32_t phase;	 /* atomic enum bphase */
	uint64_t t0, t1; /* atomic: measure window, ns (t1 = UINT64_MAX while open) */
	uint32_t window;
	uint32_t qos;
	char token[24];
	struct bpub *pubs;
	uint32_t npubs;
	struct bsub *subs;
	uint32_t nsubs;
	struct bunit *units;
	uint32_t nunits;
	uint32_t *pub_nunits; /* per publisher: how many units receive it */
	uint32_t **pub_units; /* per publisher: those units */
	struct bconn *idle;   /* connections scenario */
	uint32_t nidle;
	struct bworker *workers;
	uint32_t nworkers;
	struct bworker *pubw; /* the publisher worker, or NULL */
	uint32_t nsubw;	      /* subscriber workers (entries of bpub.level in use) */
	char **strs;	      /* topics and filters, freed with the run */
	uint32_t nstrs;
};

/* bench_conn.c */
int bconn_alloc(struct bconn *c, uint8_t role, uint32_t idx, uint32_t rx_cap);
void bconn_release(struct bconn *c);
int bconn_open(struct bworker *w, struct bconn *c);
void bconn_event(struct bworker *w, struct bconn *c, uint32_t events);
int bconn_flush(struct bworker *w, struct bconn *c);
uint8_t *bconn_tx_reserve(struct bconn *c, size_t n);
void bconn_close(struct bworker *w, struct bconn *c, bool graceful);
void bconn_fail(struct bworker *w, struct bconn *c, const char *why);

/* bench_ws.c: the --ws transport of one connection (see there). bws_start: (re)start the
 * handshake, its request queued in tx. bws_input: rx[from..rx_len) was just read: decode it in
 * place (during BS_WSHS, read the answer first); 0 MQTT bytes may follow, 1 wait for more, 2 the
 * handshake is done (send CONNECT), -1 failed (*why). bws_frame_out: wrap the unframed MQTT
 * bytes of tx into one masked binary frame. -errno on allocation failures. */
int bws_start(struct bconn *c, const struct bench_opts *o);
int bws_input(struct bconn *c, uint32_t from, const char **why);
int bws_frame_out(struct bconn *c);
void bws_free(struct bconn *c);
size_t bench_encode_connect(uint8_t *buf, size_t cap, const struct bench_opts *o, const char *id,
			    bool clean);
size_t bench_encode_subscribe(uint8_t *buf, size_t cap, const struct bench_opts *o,
			      const char *filter, uint8_t qos);

/* bench_worker.c */
int bworker_init(struct bworker *w, struct brun *r, enum bworker_kind kind);
void bworker_fini(struct bworker *w);
int bworker_start(struct bworker *w);
void bworker_kick(struct bworker *w);
void bpub_ready(struct bworker *w, struct bpub *p);
void bpub_on_ack(struct bworker *w, struct bpub *p, uint8_t type, uint16_t pid, uint8_t reason);
void bsub_on_publish(struct bworker *w, struct bsub *s, const uint8_t *pay, uint32_t len);
void bworker_conn_ready(struct bworker *w, struct bconn *c);
void bworker_conn_failed(struct bworker *w, struct bconn *c);

/* bench_scen.c */
struct bench_result;
int bench_run(const struct bench_opts *o, struct bench_result *res);
/* Sleep secs, sampling the broker's RSS every 100 ms into res. */
void bench_sleep(const struct bench_opts *o, struct bench_result *res, double secs);

/* bench_pingpong.c */
int bench_pingpong(const struct bench_opts *o, struct bench_result *res);

static inline struct bpub *bconn_pub(struct bconn *c)
{
	return (struct bpub *)((char *)c - offsetof(struct bpub, c));
}

static inline struct bsub *bconn_sub(struct bconn *c)
{
	return (struct bsub *)((char *)c - offsetof(struct bsub, c));
}

#endif /* MQTTGW_BENCH_H */
