/* SPDX-License-Identifier: MIT */
/* msg: refcounted application messages. See include/msg.h. */
#include <stdlib.h>
#include <string.h>

#include "msg.h"

struct msg *msg_new(const void *topic, uint16_t topic_len, const void *payload,
		    uint32_t payload_len, const void *props, uint32_t props_len, uint8_t qos,
		    uint8_t retain, int64_t expiry, const void *origin)
{
	size_t sz = sizeof(struct msg) + topic_len + 1u + props_len + payload_len;
	struct msg *m = malloc(sz);
	uint8_t *p;

	if (!m)
		return NULL;
	p = (uint8_t *)(m + 1);
	m->topic = (char *)p;
	memcpy(p, topic, topic_len);
	p[topic_len] = 0;
	p += topic_len + 1u;
	m->props = p;
	if (props_len)
		memcpy(p, props, props_len);
	p += props_len;
	m->payload = p;
	if (payload_len)
		memcpy(p, payload, payload_len);
	m->rb.refs = 1;
	m->rb.cap = payload_len;
	m->rb.len = payload_len;
	m->rb.pooled = 0;
	m->rb.data = m->payload;
	rbuf_account(&m->rb, sz);
	m->expiry = expiry;
	m->origin = origin;
	m->payload_len = payload_len;
	m->props_len = props_len;
	m->topic_len = topic_len;
	m->qos = qos;
	m->retain = retain;
	return m;
}
