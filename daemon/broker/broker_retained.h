/* SPDX-License-Identifier: MIT */
/* broker_retained: retained delivery on SUBSCRIBE, in slices (see broker_retained.c). */
#ifndef MQTTGW_BROKER_RETAINED_H
#define MQTTGW_BROKER_RETAINED_H

#include <stdint.h>

#include "broker_client.h"

/* At most this many messages, or RWALK_SLICE_US of loop time, per walk and loop turn. */
#define RWALK_SLICE_MSGS 256u
#define RWALK_SLICE_US	 50
/* and at most this many trie nodes passed (a sparse match in a large store) */
#define RWALK_SLICE_STEPS 2048u
/* A walk waits while its client has this many bytes unsent or messages queued in its session
 * (below the QoS 0 drop limit and the queue limits), polling every RWALK_WAIT_MS. */
#define RWALK_OUT_MARK	 (256u * 1024u)
#define RWALK_QUEUE_MARK 64u
#define RWALK_WAIT_MS	 2
/* A walk whose client stays that full this long sends one slice anyway. */
#define RWALK_STARVE_MS 500

/*
 * Deliver the retained messages matching filter (full, after mount_point) to c, after the
 * SUBACK already queued: the matches are taken now (references), the first slice is sent now,
 * the rest on the next loop turns. granted/opts/sub_id: the subscription's.
 */
void broker_retained_subscribe(struct client *c, const char *filter, uint16_t len, uint8_t granted,
			       uint8_t opts, uint32_t sub_id);
/* UNSUBSCRIBE of filter: what c still had to receive through it is dropped. */
void broker_retained_unsubscribe(struct client *c, const char *filter, uint16_t len);
/*
 * A live message p is about to be delivered to c, whose walk is pending: if the retained message
 * of p's topic is still waiting in it, it goes first (it must not overtake p later).
 */
void broker_retained_live(struct client *c, struct pub *p);
/* c leaves: its walk ends. */
void broker_retained_client_gone(struct client *c);
void broker_retained_stop(struct broker *b);

#endif /* MQTTGW_BROKER_RETAINED_H */
