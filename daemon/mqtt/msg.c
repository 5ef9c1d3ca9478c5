/* SPDX-License-Identifier: MIT */
/* msg: refcounted application messages. See include/msg.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

/*
 * Small messages come from per-size-class free lists, so storing a QoS 1/2 message costs no
 * malloc in steady state. Single-threaded daemon: plain lists, each capped so a burst does
 * not pin memory forever (what is cached still counts in rbuf_live_bytes).
 */
#define MSG_CLASSES 3
#define MSG_CACHE_MAX 1024

static const size_t msg_class_size[MSG_CLASSES] = { 256, 1024, 4096 };
static struct msg *msg_cache[MSG_CLASSES];
static uint32_t msg_cache_len[MSG_CLASSES];

static int msg_class(size_t sz)
{
	for (int i = 0; i < MSG_CLASSES; i++)
		if (sz <= msg_class_size[i])
			return i;
	return -1;
}

static void msg_release(struct rbuf *b)
{
	struct msg *m = (struct msg *)b;
	int k = msg_class(b->alloc);

	if (k >= 0 && b->alloc == msg_class_size[k] && msg_cache_len[k] < MSG_CACHE_MAX) {
		/* the free list is threaded through the (unused) origin field */
		m->origin = msg_cache[k];
		msg_cache[k] = m;
		msg_cache_len[k]++;
		rbuf_live_bytes -= b->alloc; /* cached: not in use */
		return;
	}
	rbuf_live_bytes -= b->alloc;
	free(b);
}

void msg_cache_trim(void)
{
	for (int k = 0; k < MSG_CLASSES; k++) {
		while (msg_cache[k]) {
			struct msg *m = msg_cache[k];

			msg_cache[k] = (struct msg *)m->origin;
			free(m);
		}
		msg_cache_len[k] = 0;
	}
}

struct msg *msg_new(const void *topic, uint16_t topic_len, const void *payload,
		    uint32_t payload_len, const void *props, uint32_t props_len, uint8_t qos,
		    uint8_t retain, int64_t expiry, const void *origin)
{
	size_t sz = sizeof(struct msg) + topic_len + 1u + props_len + payload_len;
	int k = msg_class(sz);
	struct msg *m;
	uint8_t *p;
	bool cached = false;

	if (k >= 0 && msg_cache[k]) {
		m = msg_cache[k];
		msg_cache[k] = (struct msg *)m->origin;
		msg_cache_len[k]--;
		rbuf_live_bytes += m->rb.alloc;
		cached = true;
	} else {
		if (k >= 0)
			sz = msg_class_size[k];
		m = malloc(sz);
	}
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
	m->rb.release = msg_release;
	if (!cached)
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
