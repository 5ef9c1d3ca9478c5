/* SPDX-License-Identifier: MIT */
/* bridge internals shared by the files of daemon/bridge (not for other modules). */
#ifndef MQTTGW_BRIDGE_INT_H
#define MQTTGW_BRIDGE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bridge.h"
#include "conn.h"
#include "loop.h"

/* Entry states, as stored (store_bridge_state). */
enum bridge_entry_state {
	BRIDGE_E_QUEUED = 0,
	BRIDGE_E_SENT,	 /* PUBLISH sent, waiting for PUBACK / PUBREC */
	BRIDGE_E_PUBREL, /* PUBREC received, PUBREL sent, waiting for PUBCOMP */
	BRIDGE_E_DONE,	 /* acknowledged or dropped: a hole until the head passes it */
};

/* A QoS 1/2 outbound entry. */
struct bridge_entry {
	uint64_t seq;	/* store seq (or the bridge's own counter without a store) */
	uint64_t batch; /* store batch holding it: sendable once durable; 0: already durable */
	uint64_t msg_id;
	struct msg *m;
	uint8_t qos, state;
};

/* Ring of entries in seq order; positions are absolute (first_abs + offset). */
struct bridge_queue {
	struct bridge_entry *e;
	uint32_t head, n, cap;
	uint32_t first_abs; /* absolute index of e[head] */
	uint32_t next_send; /* offset of the first QUEUED entry at or after which we send */
	uint32_t inflight;
	uint32_t queued; /* entries in state QUEUED */
};

#define BRIDGE_PID_FREE 0u
/* Entry packet ids are 1..BRIDGE_PID_SPAN; the ids above are the bridge's own (SUBSCRIBE,
 * notification PUBLISH). */
#define BRIDGE_PID_SPAN 65279u

/* Entries a bridge keeps in memory (with their messages) when it has a store; a read-back is
 * asked when fewer than half are left. 8192 x 64 B messages: about 2 MiB. */
#define BRIDGE_MEM_ENTRIES 8192u

struct bridge_dns;

struct bridge {
	struct loop *loop;
	struct store *store;
	const struct config_bridge *cfg;
	const struct bridge_ops *ops;
	void *ctx;
	uint64_t rng;
	uint16_t name_len;

	enum bridge_state state;
	struct loop_timer timer; /* backoff, connect deadline, keepalive */
	struct loop_io cio;	 /* the socket while TCP connects */
	int cfd;
	struct bridge_dns *dns;
	struct loop_io dio;
	struct conn *conn;
	char peer[64]; /* "host:port" of the upstream, conn_peer(conn) */
	struct tls_ctx *tls;
	uint32_t gen;	     /* connection generation (tokens of older ones are ignored) */
	uint32_t addr;	     /* index of the address in use */
	uint32_t fails;	     /* consecutive failed attempts since the last CONNACK */
	uint64_t backoff_ms; /* last decorrelated-jitter delay */
	int64_t deadline, last_rx, last_tx, last_busy;
	bool ping_out, ever_up;
	uint8_t version; /* MQTT_V311 / MQTT_V5 */
	uint16_t window, max_inflight;
	uint32_t up_max_packet; /* upstream's Maximum Packet Size (0: none) */
	bool up_retain;		/* upstream accepts retained messages */
	uint16_t next_ctrl_pid;

	struct bridge_queue q;
	/* With a store, q holds at most BRIDGE_MEM_ENTRIES; later entries live in the store only
	 * and are read back (store_bridge_fetch) as q drains. */
	uint64_t spill_n;     /* entries in the store only, all with seq > spill_after */
	uint64_t spill_after; /* seq of the newest entry taken into q */
	uint64_t spill_batch; /* store batch of the newest spilled entry */
	uint64_t spill_last;  /* seq of the newest spilled entry */
	uint64_t del_batch;   /* store batch of the newest staged delete (never empty: commits) */
	uint64_t refill_at;   /* no fetch before this store batch is durable (it holds a write) */
	bool fetching;	      /* a fetch is asked and not answered yet */
	uint32_t *pidmap; /* pid -> absolute entry index + 1, BRIDGE_PID_CTRL, or 0 */
	uint64_t own_seq;
	struct msg **q0; /* QoS 0 ring */
	uint32_t q0_head, q0_n, q0_cap;
	uint8_t rx2[65536 / 8]; /* inbound QoS 2 ids waiting for PUBREL */

	struct bridge_stats st;
};

/* bridge_dns.c */
struct bridge_dns *bridge_dns_start(const char *host, uint16_t port);
int bridge_dns_fd(const struct bridge_dns *d);
int bridge_dns_result(struct bridge_dns *d, struct sockaddr_storage *ss, socklen_t *len,
		      const char **why);
void bridge_dns_free(struct bridge_dns *d);

/* bridge_out.c: the outbound queues */
int bridge_out_init(struct bridge *b);
void bridge_out_fini(struct bridge *b);
/* Send what the window and durability allow (link up). */
void bridge_out_pump(struct bridge *b);
/* A new connection is up: resend what was in flight (DUP / PUBREL), then pump. */
void bridge_out_resume(struct bridge *b);
/* An ack from upstream for pid: PUBACK, PUBREC (reason), PUBCOMP. 0 or -EBADMSG (unknown id
 * in a state that makes it a protocol error: ignored, logged by the caller). */
int bridge_out_ack(struct bridge *b, uint8_t type, uint16_t pid, uint8_t reason);
/* Encode one frame into the connection's output (0 or -ENOMEM). */
uint8_t *bridge_out_reserve(struct bridge *b, size_t n);
void bridge_out_commit(struct bridge *b, size_t n);
uint16_t bridge_ctrl_pid(struct bridge *b);

/* bridge.c */
void bridge_connect_now(struct bridge *b);
void bridge_fail(struct bridge *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* MQTTGW_BRIDGE_INT_H */
