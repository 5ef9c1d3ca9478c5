/* SPDX-License-Identifier: MIT */
/*
 * bridge: one MQTT client session to an upstream broker inside the daemon's event loop (L2).
 * One struct bridge per `connection` block (config_bridge.h).
 *
 * Link. Addresses are tried in order (failover; round_robin or not, the next address is tried
 * at once after a failure, and a full round of failures waits restart_timeout: a constant, or
 * Mosquitto's "decorrelated jitter" backoff from base to cap). Host names are resolved by a
 * short-lived thread per lookup that posts back through an eventfd (not getaddrinfo_a: it
 * notifies by signal or by a thread of its own anyway, cannot cancel a running lookup, and
 * musl, common on gateways, lacks it). The TCP connect is non-blocking (EPOLLOUT), then
 * conn.c (tcp, or tls with a client context) carries the session. A connect or CONNACK that
 * does not come within keepalive_interval fails the attempt. Once up: PINGREQ after
 * keepalive_interval without sending, or without hearing from the upstream; nothing heard for
 * 1.5 x keepalive_interval is a dead link (a silent cut, no FIN/RST): closed and reconnected.
 * One log line per state change (up, down with the reason), retries at debug level.
 *
 * Outbound (`out` and `both` topics). The broker hands each local message that matched an
 * out topic to bridge_enqueue(); the bridge maps its topic (bridge_topic_out) and takes
 * QoS = min(message, topic line).
 *   QoS 1/2: a durable entry in the store's bridge queue (store_bridge_add, staged with the
 *   broker's other writes of this loop iteration: the broker acknowledges its publisher only
 *   once that batch is durable, as for any durable write). An entry is sent only once the
 *   batch that holds it is durable (so a crash cannot make an upstream QoS 2 copy of a message
 *   the local publisher will send again), in order, within a window: the upstream's Receive
 *   Maximum (v5) capped by max_inflight_messages (global, default 20, as Mosquitto's bridges).
 *   The packet id is derived from the entry's seq (seq % 65535 + 1), so it is the same after a
 *   restart of the gateway: with cleansession false the upstream still knows it, and a QoS 2
 *   message whose PUBREC was lost is completed, not duplicated. An entry leaves the queue
 *   only when the upstream acknowledged it (PUBACK; PUBCOMP for QoS 2); after a reconnect the
 *   entries in flight are sent again at once, with DUP (PUBREL for those past PUBREC).
 *   Without a store (persistence off) the same queue lives in memory only.
 *   QoS 0: a bounded in-memory queue while the link is down (max_queued_messages, default
 *   1000); when full, or when the uplink's output backs up past 4 MiB, messages are dropped
 *   and counted.
 *
 * Inbound (`in` and `both` topics): SUBSCRIBE upstream (v5: No Local and Retain As Published
 * when try_private); each PUBLISH is mapped (bridge_topic_in) and handed to ops->deliver with
 * its QoS. The bridge acknowledges upstream when deliver returns 0, or later, when the broker
 * calls bridge_ack() with the token (BRIDGE_ACK_LATER: e.g. after its store commit). A refusal
 * (< 0) is a v5 PUBACK/PUBREC 0x80, or for v3 a closed link (the upstream sends it again).
 * Incoming QoS 2 packet ids wait for PUBREL in memory: a resent PUBLISH is not delivered twice.
 *
 * Notifications (notifications true): ops->notify(topic, up) on every up/down change, for the
 * broker to publish retained "1"/"0" locally; unless notifications_local_only, the CONNECT
 * carries a retained will "0" on that topic and "1" is published upstream (QoS 1, retained).
 */
#ifndef MQTTGW_BRIDGE_H
#define MQTTGW_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_bridge.h"
#include "msg.h"
#include "store.h"

struct loop;
struct bridge;

enum bridge_state {
	BRIDGE_STOPPED = 0, /* not started, or start_type once after a failure, or freed */
	BRIDGE_IDLE,	    /* lazy: waiting for `threshold` queued messages */
	BRIDGE_RESOLVING,   /* name lookup */
	BRIDGE_CONNECTING,  /* TCP connect */
	BRIDGE_HANDSHAKE,   /* TLS + CONNECT sent, waiting for CONNACK */
	BRIDGE_UP,
	BRIDGE_BACKOFF, /* waiting restart_timeout */
};

/* bridge_enqueue / bridge_load: the entry went to the store only (the queue's head in memory is
 * full): the bridge keeps no reference to the message, so the caller counts none. */
#define BRIDGE_SPILLED 1
/* bridge_load: the entry came without its message (not built yet) and is kept in memory: call
 * again with it. */
#define BRIDGE_WANT_MSG 2

/* ops->deliver's "accepted, acknowledge when I call bridge_ack()". */
#define BRIDGE_ACK_LATER 1

/* Default bounds (max_queued_messages 0). */
#define BRIDGE_QOS0_QUEUE_DEFAULT 1000u
#define BRIDGE_QOS0_OUT_MAX	  (4u << 20) /* uplink output bytes past which QoS 0 drops */

/* An inbound message (borrowed views, valid during the call). */
struct bridge_inbound {
	const char *topic; /* local topic, NUL-terminated */
	uint16_t topic_len;
	uint8_t qos;
	bool retain;
	const uint8_t *payload;
	uint32_t payload_len;
	const uint8_t *props; /* v5 properties as received (may include a subscription id) */
	uint32_t props_len;
	uint64_t token; /* for bridge_ack() */
};

struct bridge_ops {
	/* 0: accepted, acked now; BRIDGE_ACK_LATER; < 0: refused. Required. */
	int (*deliver)(void *ctx, struct bridge *b, const struct bridge_inbound *in);
	/* Link up/down: publish retained "1"/"0" on topic locally. Optional. */
	void (*notify)(void *ctx, struct bridge *b, const char *topic, bool up);
	/* The bridge dropped its durable reference to stored message msg_id (entry acked or
	 * dropped): for the broker's store_refs accounting. Optional. */
	void (*release)(void *ctx, struct bridge *b, struct msg *m, uint64_t msg_id);
	/* A stored message read back for a spilled entry (see bridge_fetched): a new struct msg
	 * with one reference, which the entry takes, counted as one durable reference (release()
	 * is called for it as for any entry). NULL: ENOMEM. Required with a store. */
	struct msg *(*fetched_msg)(void *ctx, struct bridge *b, const struct store_msg *sm);
};

struct bridge_opts {
	struct loop *loop;
	struct store *store;		 /* NULL: the QoS 1/2 queue is in memory only */
	const struct config_bridge *cfg; /* borrowed: must outlive the bridge */
	const struct bridge_ops *ops;
	void *ctx;
	uint64_t seed; /* for the backoff jitter */
	/* v3.1.1 window; v5: capped by the upstream's Receive Maximum. The global
	 * max_inflight_messages, as Mosquitto's bridges; 0: no maximum. */
	uint16_t max_inflight;
};

struct bridge_stats {
	enum bridge_state state;
	uint64_t queued;     /* waiting to be sent (QoS 1/2 entries + QoS 0 queue) */
	uint64_t in_memory;  /* QoS 1/2 entries held in memory (the rest is in the store only) */
	uint64_t inflight;   /* sent, not yet acknowledged */
	uint64_t sent;	     /* PUBLISH sent upstream (resends included) */
	uint64_t acked;	     /* QoS 1/2 entries acknowledged (PUBACK / PUBCOMP) */
	uint64_t dropped;    /* outbound messages dropped (QoS 0 queue full, too large, refused) */
	uint64_t received;   /* inbound PUBLISH delivered locally */
	uint64_t reconnects; /* connections established after the first */
	uint64_t connects;   /* connections established */
	uint32_t address;    /* index in cfg->addrs of the current / last address */
	char last_error[160];
};

/* NULL with errno (ENOMEM; EINVAL without deliver). The bridge is STOPPED until bridge_start. */
struct bridge *bridge_new(const struct bridge_opts *o);
/* automatic / once: connect now; lazy: IDLE until `threshold` messages are queued. 0 or -errno. */
int bridge_start(struct bridge *b);
/* DISCONNECT (best effort), close, free. The durable queue stays in the store. NULL is fine. */
void bridge_free(struct bridge *b);
const char *bridge_name(const struct bridge *b);
const char *bridge_state_name(enum bridge_state s);

/*
 * A local message that matched an out topic (m->topic is the local topic; a reference is
 * taken). QoS 1/2: *msg_id is m's store id, or 0, and then the bridge stages m
 * (store_msg_add) and writes the id back, so the broker can share it. 0; -ENOENT (no out
 * topic matches); -ENOBUFS (queue full: counted as dropped); -ENOMEM; BRIDGE_SPILLED (staged,
 * kept in the store only).
 */
int bridge_enqueue(struct bridge *b, struct msg *m, uint64_t *msg_id);
/* A durable entry store_load() found for this bridge (e->msg is the struct msg the load's msg
 * callback returned, or NULL when not built yet; a reference is taken, unless BRIDGE_SPILLED:
 * past the head in memory, read back later, the message need not be built). Entries must come
 * in seq order. 0, BRIDGE_SPILLED, BRIDGE_WANT_MSG (e->msg NULL, kept: call again with it) or
 * -ENOMEM. */
int bridge_load(struct bridge *b, const struct store_bridge_entry *e);
/* bridge_load()'s result as store_load()'s bridge callback returns it: BRIDGE_WANT_MSG asks the
 * load for the message (STORE_LOAD_WANT_MSG, it calls again); BRIDGE_SPILLED is done (0: read
 * back later, the message need not be built); -errno stops the load. */
static inline int bridge_load_result(int ret)
{
	if (ret == BRIDGE_WANT_MSG)
		return STORE_LOAD_WANT_MSG;
	return ret < 0 ? ret : 0;
}
/* A read-back the bridge asked for (store_fetch_take() answers whose name is this bridge's). */
void bridge_fetched(struct bridge *b, const struct store_fetch *f);
/* Batches became durable (call after store_dispatch()): sends what waited for them. */
void bridge_store_durable(struct bridge *b);
/* Acknowledge an inbound message delivered with BRIDGE_ACK_LATER (reason: 0, or a v5 error
 * code >= 0x80: refused). A token of a connection that has since closed is ignored (the
 * upstream resends the message). */
void bridge_ack(struct bridge *b, uint64_t token, uint8_t reason);
void bridge_stats(const struct bridge *b, struct bridge_stats *s);

/*
 * Topic mapping, Mosquitto's rules (L0, pure): the first topic line in the direction whose
 * filter on that side matches `topic`; its prefix on that side is removed and the other side's
 * prefix added. Returns the length written to out (NUL-terminated) and *qos = the line's QoS,
 * or -ENOENT (no line matches), -ENOSPC (out too small or topic over 65535 bytes).
 */
int bridge_topic_out(const struct config_bridge *c, const char *topic, size_t len, char *out,
		     size_t cap, uint8_t *qos);
int bridge_topic_in(const struct config_bridge *c, const char *topic, size_t len, char *out,
		    size_t cap, uint8_t *qos);

#endif /* MQTTGW_BRIDGE_H */
