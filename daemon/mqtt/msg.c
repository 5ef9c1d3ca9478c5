/* SPDX-License-Identifier: MIT */
/* msg: refcounted application messages. See include/msg.h. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#define MSG_CACHE_MAX 1024 /* per size class */

static const size_t msg_class_size[MSG_CLASSES] = {256, 1024, 4096};

static int msg_class(size_t sz)
{
	for (int i = 0; i < MSG_CLASSES; i++)
		if (sz <= msg_class_size[i])
			return i;
	return -1;
}

/* The last unref of a message made from a pool: back to its free list or to free(); without
 * a pool, free(). */
static void msg_release(struct rbuf *b)
{
	struct msg_pool *mp;
	struct msg *m = (struct msg *)b;
	int k = msg_class(b->alloc);

	free(m->source);
	m->source = NULL;
	if (!b->pool) {
		free(b);
		return;
	}
	mp = (struct msg_pool *)((char *)b->pool - offsetof(struct msg_pool, bufs));
	/* cached or freed, it is no longer in use */
	mp->bufs.live_bytes -= b->alloc;
	if (k >= 0 && b->alloc == msg_class_size[k] && mp->nfree[k] < MSG_CACHE_MAX) {
		m->origin = mp->free[k];
		mp->free[k] = m;
		mp->nfree[k]++;
		return;
	}
	free(b);
}

void msg_pool_init(struct msg_pool *mp)
{
	memset(mp, 0, sizeof(*mp));
	rbuf_pool_init(&mp->bufs);
}

void msg_pool_trim(struct msg_pool *mp)
{
	for (int k = 0; k < MSG_CLASSES; k++) {
		while (mp->free[k]) {
			struct msg *m = mp->free[k];

			mp->free[k] = (struct msg *)m->origin;
			free(m);
		}
		mp->nfree[k] = 0;
	}
	rbuf_pool_trim(&mp->bufs);
}

struct msg *msg_new(struct msg_pool *mp, const void *topic, uint16_t topic_len, const void *payload,
		    uint32_t payload_len, const void *props, uint32_t props_len, uint8_t qos,
		    uint8_t retain, int64_t expiry, const void *origin)
{
	size_t sz = sizeof(struct msg) + topic_len + 1u + props_len + payload_len;
	int k = mp ? msg_class(sz) : -1;
	struct msg *m;
	uint8_t *p;

	if (k >= 0 && mp->free[k]) {
		m = mp->free[k];
		mp->free[k] = (struct msg *)m->origin;
		mp->nfree[k]--;
	} else {
		if (k >= 0 && !mp->fit)
			sz = msg_class_size[k];
		m = malloc(sz);
		if (!m)
			return NULL;
		m->rb.alloc = sz;
	}
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
	m->rb.release = msg_release; /* frees the source too */
	rbuf_account(&m->rb, mp ? &mp->bufs : NULL, m->rb.alloc);
	m->expiry = expiry;
	m->origin = origin;
	m->payload_len = payload_len;
	m->props_len = props_len;
	m->topic_len = topic_len;
	m->qos = qos;
	m->retain = retain;
	m->store_id = 0;
	m->store_refs = 0;
	m->source = NULL;
	return m;
}

int msg_set_source(struct msg *m, const char *id, const char *username, uint16_t listener)
{
	size_t il = strlen(id), ul = username ? strlen(username) + 1 : 0;
	struct msg_source *src = malloc(sizeof(*src) + il + 1 + ul);

	if (!src)
		return -ENOMEM;
	memcpy(src->id, id, il + 1);
	src->username = username ? memcpy(src->id + il + 1, username, ul) : NULL;
	src->listener = listener;
	free(m->source);
	m->source = src;
	return 0;
}
