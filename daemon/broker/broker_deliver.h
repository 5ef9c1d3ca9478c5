/* SPDX-License-Identifier: MIT */
/* broker_deliver: matching and per-session delivery (see broker_deliver.c). */
#ifndef MQTTGW_BROKER_DELIVER_H
#define MQTTGW_BROKER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "broker_client.h"

/* The message of p as a msg, made on first use; borrowed (p holds the reference). NULL when
 * out of memory. */
struct msg *pub_msg(struct broker *b, struct pub *p);
/* p views m and holds a reference to it until pub_release(). Sets every field of p (a caller
 * need not clear it first: broker_session_pump does not, once per queued message). */
void pub_from_msg(struct pub *p, struct msg *m);
void pub_frames_release(struct pub *p);
/* Drop what p holds: the shared frames (fan-out only) and its msg. */
static inline void pub_release(struct pub *p)
{
	if (p->framed)
		pub_frames_release(p);
	msg_unref(p->msg);
	p->msg = NULL;
}
/* An empty pub (what `= {0}` makes) without clearing its frames, which `framed` guards: the
 * 96 bytes were a third of an inbound PUBLISH's stores. */
static inline void pub_clear(struct pub *p)
{
	memset(p, 0, offsetof(struct pub, frame));
}
/* The v5 properties of in a receiver must get unchanged (payload format, content type, response
 * topic, correlation data, user properties, in order) into out; UINT32_MAX if over cap. */
uint32_t pub_props_forwardable(const struct mqtt_props *in, uint8_t *out, uint32_t cap);
/* The topic tree's free function for retained messages. */
void broker_retained_free(void *msg);

/* What broker_publish() did. */
struct pub_result {
	uint32_t delivered; /* sessions the message was delivered (or queued) to */
	bool hold;	    /* a subscriber's queue is over its mark: stop reading the publisher */
	bool single;	    /* exactly one subscription matched: `one` (the fast path's test) */
	struct match one;
};

/* Store p if retained, match it and forward it to every matching session. */
struct pub_result broker_publish(struct broker *b, struct pub *p);

/*
 * Deliver a message to one session at qos (retain: RETAIN flag to send; share: the session's
 * share tag when it comes through a shared subscription, else 0): sent, queued, or dropped and
 * counted. true: the subscriber's queue is over its backpressure mark (hold the publisher).
 */
bool broker_deliver(struct broker *b, struct session *s, struct pub *p, uint8_t qos, uint8_t retain,
		    uint32_t sub_id, uint16_t share);

enum broker_fwd {
	BROKER_FWD_DENIED = 0, /* the ACL does not let the session read the topic */
	BROKER_FWD_DONE,       /* delivered (sent, queued or dropped by the session's limits) */
	BROKER_FWD_HOLD,       /* delivered, and the subscriber asks to hold the publisher */
};
/* The QoS a message published at pub_qos goes out at through a subscription granted sub_qos:
 * the lower one, or sub_qos with upgrade_outgoing_qos (Mosquitto). */
static inline uint8_t broker_out_qos(const struct broker *b, uint8_t pub_qos, uint8_t sub_qos)
{
	return b->cfg->upgrade_outgoing_qos || sub_qos < pub_qos ? sub_qos : pub_qos;
}

/* Forward p to s through a subscription granted sub_qos with topic options opts: at
 * broker_out_qos, RETAIN kept only with Retain As Published, if the ACL lets s read the topic. */
enum broker_fwd broker_forward(struct broker *b, struct session *s, struct pub *p, uint8_t sub_qos,
			       uint8_t opts, uint32_t sub_id, uint16_t share);

/* Send what the session has in flight (DUP) and then its queue, within the window. */
void broker_session_resume(struct client *c);
/* Send from the session's queue while the window has room. */
void broker_session_pump(struct client *c);
/* The session's queue drained (or its client left): release the publishers it held back. */
void broker_backpressure_release(struct broker *b, struct session *s);

#endif /* MQTTGW_BROKER_DELIVER_H */
