/* SPDX-License-Identifier: MIT */
/*
 * msg: one application message, immutable once made, refcounted (L0). Made once per
 * inbound PUBLISH that has to be kept (retained, queued, QoS 1/2 in flight); live QoS 0
 * fan-out encodes straight from the decoded packet and never makes one.
 * A msg is an rbuf whose data is the payload, so output queues can reference a large payload
 * instead of copying it (outq_append_ref(&q, &m->rb, 0, m->payload_len)).
 */
#ifndef MQTTGW_MSG_H
#define MQTTGW_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "outq.h"

/*
 * Who published a retained message (check_retain_source): the client id, user name (NULL:
 * none) and the listener index whose ACL applied. One allocation, owned by the msg.
 */
struct msg_source {
	uint16_t listener;
	char *username; /* into id[]'s allocation, or NULL */
	char id[];
};

struct msg {
	struct rbuf rb;	    /* must be first: refcount, and data = payload */
	int64_t expiry;	    /* absolute loop time (ms) after which it is dropped; 0 = never */
	const void *origin; /* publishing session (identity only, for No Local) */
	uint32_t payload_len;
	uint32_t props_len; /* forwardable MQTT 5 properties, encoded */
	uint16_t topic_len;
	uint8_t qos;
	uint8_t retain;
	char *topic; /* NUL-terminated */
	/* the durable store (broker_store.c): its id for this message (0: not stored) and the
	 * durable references the broker staged to it; the id is dropped when they reach 0 */
	uint64_t store_id;
	uint32_t store_refs;
	uint8_t *props;
	uint8_t *payload;
	struct msg_source *source; /* retained messages: their publisher; NULL: unknown */
};

#define MSG_CLASSES 3 /* size classes of cached messages: 256, 1024 and 4096 bytes */

/*
 * The memory behind one broker's messages and output queues (made by main.c, handed to the
 * broker): bufs accounts every byte held (memory_limit) and caches output blocks; the free lists
 * keep small messages, so storing a QoS 1/2 message costs no malloc in steady state. Each list
 * is capped so a burst does not pin memory forever. Messages and buffers point at it: it must
 * outlive them all. Single-threaded.
 */
struct msg_pool {
	struct rbuf_pool bufs;
	struct msg *free[MSG_CLASSES]; /* threaded through the unused origin field */
	uint32_t nfree[MSG_CLASSES];
	/* set: a message not taken from the cache is allocated at its own size, not its class's
	 * (a restore building a million long-lived messages: a quarter less memory to touch) */
	bool fit;
};

void msg_pool_init(struct msg_pool *mp);
/* Free the cached messages and output blocks (shutdown, memory pressure). */
void msg_pool_trim(struct msg_pool *mp);

/*
 * One allocation holding everything, accounted to mp->bufs and taken from mp's cache when
 * small; mp NULL: plain malloc, accounted nowhere (tests, tools). NULL on ENOMEM.
 */
struct msg *msg_new(struct msg_pool *mp, const void *topic, uint16_t topic_len, const void *payload,
		    uint32_t payload_len, const void *props, uint32_t props_len, uint8_t qos,
		    uint8_t retain, int64_t expiry, const void *origin);

/* Record m's publisher (replacing any); username may be NULL. 0 or -ENOMEM (m unchanged). */
int msg_set_source(struct msg *m, const char *id, const char *username, uint16_t listener);

static inline struct msg *msg_ref(struct msg *m)
{
	rbuf_ref(&m->rb);
	return m;
}

static inline void msg_unref(struct msg *m)
{
	if (m)
		rbuf_unref(&m->rb);
}

/* Bytes accounted to a message (for queue limits and memory accounting). */
static inline uint64_t msg_size(const struct msg *m)
{
	return sizeof(*m) + m->topic_len + 1u + m->props_len + m->payload_len;
}

#endif /* MQTTGW_MSG_H */
