/* SPDX-License-Identifier: MIT */
/*
 * qos: QoS 1/2 state of one session (L0, pure; time is not needed by these rules).
 *
 * Outbound: a window of messages sent and not yet completed, in send order (resend on
 * reconnect goes in that order), with packet-id allocation. Each entry moves
 *   QoS 1: WAIT_PUBACK  --PUBACK-->  done
 *   QoS 2: WAIT_PUBREC  --PUBREC-->  WAIT_PUBCOMP (message released; PUBREL to send)
 *                                    --PUBCOMP--> done
 * Inbound QoS 2: the packet ids received (PUBREC sent) whose PUBREL has not come yet, so a
 * resent PUBLISH is not delivered twice.
 */
#ifndef MQTTGW_QOS_H
#define MQTTGW_QOS_H

#include <stdbool.h>
#include <stdint.h>

struct msg;

enum qos_state {
	QOS_FREE = 0, /* hole left by an out-of-order completion */
	QOS_WAIT_PUBACK,
	QOS_WAIT_PUBREC,
	QOS_WAIT_PUBCOMP,
};

struct qos_entry {
	struct msg *msg; /* held reference; NULL once PUBREC released it */
	uint16_t pid;
	uint8_t qos;
	uint8_t state; /* enum qos_state */
	uint8_t retain; /* RETAIN flag it was sent with */
	uint16_t share; /* session.h: shared subscription it came through + 1, 0: none */
	uint32_t sub_id;
	uint32_t bytes;	    /* payload bytes, counted in qos_window.bytes until done */
	uint64_t store_seq; /* the store's entry (store_out_add), 0: not stored */
};

enum qos_ack {
	QOS_ACK_DONE,	     /* completed: entry freed */
	QOS_ACK_SEND_PUBREL, /* PUBREC accepted: send PUBREL */
	QOS_ACK_UNKNOWN,     /* no such packet id in flight */
	QOS_ACK_WRONG_STATE, /* e.g. PUBACK for a QoS 2 message: protocol error */
};

/* A window's state, allocated at its first use (qos_out_add, qos_out_restore, qos_rx2_add):
 * every connection has a session, most never send or receive QoS 1/2, and an idle one then
 * holds only the pointer (RSS per idle connection is a benchmark figure, README "Footprint"). */
struct qos_ring {
	struct qos_entry *e; /* ring, cap a power of two */
	uint32_t head, count, cap;
	uint32_t active;    /* entries not FREE */
	uint64_t bytes;	    /* payload bytes of those entries (max_inflight_bytes) */
	uint64_t *pid_used; /* 65536-bit map, allocated at the first outbound message */
	uint16_t *rx2;	    /* inbound QoS 2 ids awaiting PUBREL, unordered */
	uint32_t rx2_n, rx2_cap;
	uint16_t next_pid;
};

struct qos_window {
	struct qos_ring *r; /* NULL until first used */
};

void qos_init(struct qos_window *w);
/* Releases every message held. */
void qos_fini(struct qos_window *w);

/* Add an outbound message (takes a new reference to msg). *pid gets its packet id.
 * 0, -ENOMEM, or -EBUSY when all 65535 ids are in use. */
int qos_out_add(struct qos_window *w, struct msg *msg, uint8_t qos, uint8_t retain,
		uint32_t sub_id, uint16_t *pid);
/* The entry the last successful qos_out_add() made (to tag it; valid until the window changes),
 * or NULL when the window is empty. */
static inline struct qos_entry *qos_out_last(struct qos_window *w)
{
	const struct qos_ring *r = w->r;

	return r && r->count ? &r->e[(r->head + r->count - 1) & (r->cap - 1)] : NULL;
}
/* Put back an entry the durable store kept (start-up, in send order): state QOS_WAIT_PUBACK or
 * QOS_WAIT_PUBREC with its message (a reference is taken), or QOS_WAIT_PUBCOMP with msg NULL,
 * keeping its packet id. 0, -ENOMEM, -EEXIST (pid already in use), -EINVAL (bad state/qos). */
int qos_out_restore(struct qos_window *w, struct msg *msg, uint8_t qos, uint8_t retain,
		    uint32_t sub_id, uint16_t pid, uint8_t state);
/* The entry in flight with packet id pid, or NULL. */
struct qos_entry *qos_out_find(struct qos_window *w, uint16_t pid);
/* An acknowledgement from the peer: type is MQTT_PUBACK, MQTT_PUBREC or MQTT_PUBCOMP. */
enum qos_ack qos_out_ack(struct qos_window *w, uint8_t type, uint16_t pid);
/* Entries in send order, FREE ones skipped: i from 0 while qos_out_at() returns non-NULL. */
struct qos_entry *qos_out_at(struct qos_window *w, uint32_t *i);
static inline uint32_t qos_out_active(const struct qos_window *w)
{
	return w->r ? w->r->active : 0;
}
/* Payload bytes of the messages in flight, from add to completion (PUBACK or PUBCOMP: a QoS 2
 * message counts until its PUBCOMP, as in Mosquitto). */
static inline uint64_t qos_out_bytes(const struct qos_window *w)
{
	return w->r ? w->r->bytes : 0;
}

/* Inbound QoS 2: 1 if pid was already recorded (a resend: do not deliver again), 0 if added,
 * -ENOMEM. */
int qos_rx2_add(struct qos_window *w, uint16_t pid);
/* PUBREL: 0 if pid was recorded (now forgotten), -ENOENT otherwise. */
int qos_rx2_release(struct qos_window *w, uint16_t pid);
static inline uint32_t qos_rx2_count(const struct qos_window *w)
{
	return w->r ? w->r->rx2_n : 0;
}
/* The i-th inbound QoS 2 id awaiting PUBREL, i < qos_rx2_count(). */
static inline uint16_t qos_rx2_at(const struct qos_window *w, uint32_t i)
{
	return w->r->rx2[i];
}

#endif /* MQTTGW_QOS_H */
