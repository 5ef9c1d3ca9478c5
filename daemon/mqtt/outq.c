/* SPDX-License-Identifier: MIT */
/* outq: refcounted buffers and output queues. See include/outq.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "outq.h"

static struct rbuf *rbuf_alloc(struct rbuf_pool *p, uint32_t cap, uint32_t pooled)
{
	struct rbuf *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->refs = 1;
	b->cap = cap;
	b->len = 0;
	b->pooled = pooled;
	b->data = (uint8_t *)(b + 1);
	b->release = NULL;
	/* pool blocks count the bytes written into them (outq_commit), not their capacity: the
	 * slack of one block per busy connection is bounded by the connection count */
	if (pooled) {
		b->alloc = sizeof(*b) + cap;
		b->pool = p;
	} else {
		rbuf_account(b, p, sizeof(*b) + cap);
	}
	return b;
}

struct rbuf *rbuf_new(struct rbuf_pool *p, uint32_t cap)
{
	return rbuf_alloc(p, cap, 0);
}

static struct rbuf *pool_get(struct rbuf_pool *p)
{
	struct rbuf *b;

	if (p && p->nfree) {
		b = p->free[--p->nfree];
		b->refs = 1;
		b->len = 0;
	} else {
		b = rbuf_alloc(p, OUTQ_BLOCK, 1);
		if (!b)
			return NULL;
	}
	if (p)
		p->inuse++;
	return b;
}

void rbuf_unref(struct rbuf *b)
{
	struct rbuf_pool *p = b->pool;

	if (--b->refs)
		return;
	if (b->release) {
		b->release(b);
		return;
	}
	if (b->pooled && p) {
		p->inuse--;
		p->live_bytes -= b->len;
		if (p->nfree < RBUF_POOL_MAX) {
			p->free[p->nfree++] = b;
			return;
		}
	} else if (p) {
		p->live_bytes -= b->alloc;
	}
	free(b);
}

void rbuf_pool_init(struct rbuf_pool *p)
{
	memset(p, 0, sizeof(*p));
}

void rbuf_pool_trim(struct rbuf_pool *p)
{
	while (p->nfree)
		free(p->free[--p->nfree]);
	while (p->nrings)
		free(p->rings[--p->nrings]);
}

size_t rbuf_pool_bytes(const struct rbuf_pool *p)
{
	return (p->inuse + p->nfree) * (sizeof(struct rbuf) + OUTQ_BLOCK);
}

void outq_init(struct outq *q)
{
	memset(q, 0, sizeof(*q));
}

/* A drained queue's ring goes back to the pool's cache (free() when there is none, it is
 * full, or the ring is larger than the first size), and a queue's first ring comes from there:
 * a malloc and a free per drain were 135 instructions per message at low load (callgrind). */
static void ring_put(struct outq *q)
{
	struct rbuf_pool *p = q->pool;

	if (p && q->cap == OUTQ_RING_MIN && p->nrings < OUTQ_RING_CACHE)
		p->rings[p->nrings++] = q->segs;
	else
		free(q->segs);
	q->segs = NULL;
	q->cap = 0;
}

void outq_fini(struct outq *q)
{
	while (q->count) {
		struct outq_seg *s = &q->segs[q->head];

		rbuf_unref(s->rb);
		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
	}
	if (q->tail)
		rbuf_unref(q->tail);
	ring_put(q);
	outq_init(q);
}

static struct outq_seg *seg_last(const struct outq *q)
{
	if (!q->count)
		return NULL;
	return &q->segs[(q->head + q->count - 1) & (q->cap - 1)];
}

int outq_prepare(struct outq *q, uint32_t nsegs)
{
	uint32_t cap = q->cap ? q->cap : OUTQ_RING_MIN;
	struct outq_seg *segs;

	while (cap < q->count + nsegs)
		cap *= 2;
	if (cap == q->cap)
		return 0;
	if (!q->cap && cap == OUTQ_RING_MIN && q->pool && q->pool->nrings) {
		q->segs = q->pool->rings[--q->pool->nrings];
		q->cap = cap;
		q->head = 0;
		return 0;
	}
	segs = malloc(cap * sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	/* unroll the ring into the new array (cap is a power of two) */
	for (uint32_t i = 0; i < q->count; i++)
		segs[i] = q->segs[(q->head + i) & (q->cap - 1)];
	free(q->segs);
	q->segs = segs;
	q->cap = cap;
	q->head = 0;
	return 0;
}

static int seg_push(struct outq *q, struct rbuf *rb, uint32_t off, uint32_t n)
{
	struct outq_seg *s;

	if (q->count == q->cap && outq_prepare(q, 1) < 0)
		return -ENOMEM;
	s = &q->segs[(q->head + q->count) & (q->cap - 1)];
	s->rb = rb;
	s->off = off;
	s->len = n;
	q->count++;
	return 0;
}

uint8_t *outq_reserve(struct outq *q, uint32_t n)
{
	if (q->tail && q->tail->cap - q->tail->len >= n)
		return q->tail->data + q->tail->len;
	if (q->tail) {
		rbuf_unref(q->tail);
		q->tail = NULL;
	}
	q->tail = n <= OUTQ_BLOCK ? pool_get(q->pool) : rbuf_new(q->pool, n);
	return q->tail ? q->tail->data : NULL;
}

void outq_commit(struct outq *q, uint32_t n)
{
	struct rbuf *t = q->tail;
	struct outq_seg *last = seg_last(q);

	if (!n)
		return;
	/* Extend the last segment when it ends where we just wrote (the common case). */
	if (last && last->rb == t && last->off + last->len == t->len) {
		last->len += n;
	} else if (seg_push(q, rbuf_ref(t), t->len, n) < 0) {
		rbuf_unref(t);
		return; /* dropped: the caller counts it as not queued via bytes */
	}
	t->len += n;
	q->bytes += n;
	if (t->pooled && t->pool)
		t->pool->live_bytes += n;
}

int outq_append(struct outq *q, const void *p, uint32_t n)
{
	uint8_t *dst = outq_reserve(q, n);
	uint64_t before = q->bytes;

	if (!dst)
		return -ENOMEM;
	memcpy(dst, p, n);
	outq_commit(q, n);
	return q->bytes == before + n ? 0 : -ENOMEM;
}

int outq_append_ref(struct outq *q, struct rbuf *rb, uint32_t off, uint32_t n)
{
	struct outq_seg *last = seg_last(q);

	if (!n)
		return 0;
	/* the next frame of the same shared block (fan-out): the segment already holds a
	 * reference; never the tail, whose segment outq_commit extends itself */
	if (last && last->rb == rb && rb != q->tail && last->off + last->len == off) {
		last->len += n;
		q->bytes += n;
		return 0;
	}
	if (seg_push(q, rbuf_ref(rb), off, n) < 0) {
		rbuf_unref(rb);
		return -ENOMEM;
	}
	q->bytes += n;
	return 0;
}

struct rbuf *outq_last_commit(const struct outq *q, uint32_t n, uint32_t *off)
{
	const struct outq_seg *last = seg_last(q);

	if (!last || last->rb != q->tail || last->len < n || last->off + last->len != q->tail->len)
		return NULL;
	*off = q->tail->len - n;
	return q->tail;
}

int outq_iov(const struct outq *q, struct iovec *iov, int max)
{
	int n = 0;

	for (uint32_t i = 0; i < q->count && n < max; i++) {
		const struct outq_seg *s = &q->segs[(q->head + i) & (q->cap - 1)];

		iov[n].iov_base = s->rb->data + s->off;
		iov[n].iov_len = s->len;
		n++;
	}
	return n;
}

void outq_consume(struct outq *q, size_t n)
{
	q->bytes -= n;
	while (n && q->count) {
		struct outq_seg *s = &q->segs[q->head];

		if (n < s->len) {
			s->off += (uint32_t)n;
			s->len -= (uint32_t)n;
			return;
		}
		n -= s->len;
		rbuf_unref(s->rb);
		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
	}
	if (!q->count) {
		/* Idle: give the tail block back so idle connections hold no buffers. */
		q->frames = 0;
		q->head = 0;
		if (q->tail) {
			rbuf_unref(q->tail);
			q->tail = NULL;
		}
		/* and the segment ring: an idle connection holds no output memory at all (its
		 * 128 bytes were 15% of an idle client's); a busy one takes it back from the
		 * pool's ring cache (ring_put) */
		ring_put(q);
	}
}
