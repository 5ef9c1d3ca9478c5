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

#include <stdint.h>

#include "outq.h"

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
	uint8_t *props;
	uint8_t *payload;
};

/* Free the cached message buffers (shutdown). */
void msg_cache_trim(void);

/* One allocation holding everything (from a size-class cache when small). NULL on ENOMEM. */
struct msg *msg_new(const void *topic, uint16_t topic_len, const void *payload,
		    uint32_t payload_len, const void *props, uint32_t props_len, uint8_t qos,
		    uint8_t retain, int64_t expiry, const void *origin);

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
