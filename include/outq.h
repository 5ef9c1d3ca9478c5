/* SPDX-License-Identifier: MIT */
/*
 * outq: refcounted byte buffers (rbuf) and per-connection output queues (L0).
 *
 * An output queue is a ring of segments, each a (buffer, offset, length) reference. Small
 * frames are encoded in place into the queue's tail block (a pooled 16 KiB rbuf owned by the
 * queue), so most messages cost a memcpy and no malloc; a large payload shared by many
 * subscribers is appended by reference (outq_append_ref) and sent from one copy by writev.
 * When a queue drains, its tail block goes back to the pool: idle connections hold no buffer.
 */
#ifndef MQTTGW_OUTQ_H
#define MQTTGW_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define OUTQ_BLOCK 16384u

struct rbuf_pool;

struct rbuf {
	uint32_t refs;
	uint32_t cap;
	uint32_t len;
	uint32_t pooled; /* 1: a pool block (returned to the pool), 0: free() on last unref */
	uint8_t *data;
	size_t alloc;		/* bytes of its allocation, for memory accounting */
	struct rbuf_pool *pool; /* accounted to (and, pool blocks, cached in); NULL: neither */
	/* called instead of free() on the last unref (e.g. back to a message pool), or NULL */
	void (*release)(struct rbuf *b);
};

#define RBUF_POOL_MAX 256 /* free blocks kept: a burst does not pin memory forever */
/* Segment rings of the first size (OUTQ_RING_MIN segments, 128 B) kept free: a queue gives its
 * ring back each time it drains, which at low load is once per message. */
#define OUTQ_RING_MIN	8u
#define OUTQ_RING_CACHE 64
struct outq_seg;

/*
 * The memory of one owner's buffers (the broker's, made by main.c): the bytes held, which is
 * what `memory_limit` is checked against, and a bounded cache of free OUTQ_BLOCK blocks. Bytes
 * held: what is written into pool blocks, standalone buffers and messages (struct msg is an
 * rbuf); neither the cached free blocks nor a block's unused room count. Every buffer made from
 * a pool points at it, so the pool must outlive them all (connections are freed by the loop,
 * after the broker). Single-threaded: plain counters.
 */
struct rbuf_pool {
	size_t live_bytes;
	size_t inuse;	/* pool blocks in use */
	uint32_t nfree; /* cached free blocks */
	struct rbuf *free[RBUF_POOL_MAX];
	uint32_t nrings; /* cached free segment rings of OUTQ_RING_MIN */
	struct outq_seg *rings[OUTQ_RING_CACHE];
};

void rbuf_pool_init(struct rbuf_pool *p);
/* Free the cached blocks and segment rings (shutdown, memory pressure). */
void rbuf_pool_trim(struct rbuf_pool *p);
/* Bytes currently held in pool blocks, in use or cached. */
size_t rbuf_pool_bytes(const struct rbuf_pool *p);

/* Account an rbuf allocated outside this module (msg_new) to p (NULL: to nothing); the last
 * rbuf_unref takes it off again. */
static inline void rbuf_account(struct rbuf *b, struct rbuf_pool *p, size_t alloc)
{
	b->alloc = alloc;
	b->pool = p;
	if (p)
		p->live_bytes += alloc;
}

/* A standalone buffer of cap bytes (data follows the header), accounted to p (may be NULL).
 * NULL on ENOMEM. */
struct rbuf *rbuf_new(struct rbuf_pool *p, uint32_t cap);
static inline struct rbuf *rbuf_ref(struct rbuf *b)
{
	b->refs++;
	return b;
}
void rbuf_unref(struct rbuf *b);

struct outq_seg {
	struct rbuf *rb;
	uint32_t off;
	uint32_t len;
};

struct outq {
	struct outq_seg *segs; /* ring */
	uint32_t head, count, cap;
	uint32_t frames;	/* frames queued (for max-queued accounting) */
	uint64_t bytes;		/* bytes queued */
	struct rbuf *tail;	/* block open for in-place appends, or NULL */
	struct rbuf_pool *pool; /* where blocks come from and are accounted; NULL: malloc, none */
};

/* An empty queue without a pool (outq_set_pool gives it one). */
void outq_init(struct outq *q);
/* Take blocks from p and account them to it; only while the queue holds nothing. */
static inline void outq_set_pool(struct outq *q, struct rbuf_pool *p)
{
	q->pool = p;
}
/* Drop everything queued and release buffers. */
void outq_fini(struct outq *q);

/* Reserve n contiguous bytes at the end of the queue for in-place encoding; commit with
 * outq_commit(q, n_used) before any other append. NULL on ENOMEM. */
uint8_t *outq_reserve(struct outq *q, uint32_t n);
void outq_commit(struct outq *q, uint32_t n);
/* Make room for nsegs more segments, so that the next nsegs commits/appends cannot fail on
 * the segment ring (use before a frame made of several pieces). 0 or -ENOMEM. */
int outq_prepare(struct outq *q, uint32_t nsegs);
/* Copy bytes in. 0 or -ENOMEM. */
int outq_append(struct outq *q, const void *p, uint32_t n);
/* Append a reference to rb->data[off .. off+n) (takes a new reference; a range that continues
 * the last segment extends it instead, so consecutive shared frames cost one iovec). 0 or
 * -ENOMEM. */
int outq_append_ref(struct outq *q, struct rbuf *rb, uint32_t off, uint32_t n);
/*
 * The buffer holding the last n bytes just committed to q (outq_commit) and their offset in it,
 * so that other queues reference that frame (outq_append_ref) instead of encoding it again:
 * committed bytes never change. Borrowed; NULL when the queue does not end with n committed
 * bytes of its tail (the commit was dropped).
 */
struct rbuf *outq_last_commit(const struct outq *q, uint32_t n, uint32_t *off);
/* Count one more complete frame (called once per frame by the encoder side). */
static inline void outq_frame_done(struct outq *q)
{
	q->frames++;
}

/* Fill up to max iovecs from the head; returns the number filled. */
int outq_iov(const struct outq *q, struct iovec *iov, int max);
/* Consume n bytes from the head (after a write). Releases buffers; returns the tail block to
 * the pool when the queue becomes empty. */
void outq_consume(struct outq *q, size_t n);
static inline bool outq_empty(const struct outq *q)
{
	return q->bytes == 0;
}

#endif /* MQTTGW_OUTQ_H */
