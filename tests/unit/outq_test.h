/* SPDX-License-Identifier: MIT */
/*
 * What the outq tests share: one block pool for every queue, a model of the byte stream a queue
 * must deliver, and the check that compares them.
 */
#ifndef MQTTGW_TEST_OUTQ_H
#define MQTTGW_TEST_OUTQ_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <cmocka.h>

#include "outq.h"

/* Zero-initialised is an empty pool (rbuf_pool_init does no more). */
static struct rbuf_pool pool;

/* A queue on the test's pool. */
static inline void qinit(struct outq *q)
{
	outq_init(q);
	outq_set_pool(q, &pool);
}

#define BLOCK_BYTES (sizeof(struct rbuf) + OUTQ_BLOCK)

/* ---- the expected stream ---- */

struct stream {
	uint8_t *b;
	size_t off, len, cap; /* live bytes are b[off .. off+len) */
};

static inline void stream_put(struct stream *s, const void *p, size_t n)
{
	if (s->off + s->len + n > s->cap) {
		s->cap = (s->off + s->len + n) * 2 + 64;
		s->b = realloc(s->b, s->cap);
		assert_non_null(s->b);
	}
	memcpy(s->b + s->off + s->len, p, n);
	s->len += n;
}

static inline void stream_take(struct stream *s, size_t n)
{
	assert_true(n <= s->len);
	s->off += n;
	s->len -= n;
}

static inline void stream_free(struct stream *s)
{
	free(s->b);
	memset(s, 0, sizeof(*s));
}

static uint32_t rng_state;

static inline uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Deterministic content: byte i of the pattern with seed `seed`. */
static inline void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8));
}

/* Append n pattern bytes (copy) to the queue and to the model. */
static inline void put(struct outq *q, struct stream *s, uint32_t n, uint32_t seed)
{
	uint8_t *tmp = malloc(n ? n : 1);

	assert_non_null(tmp);
	fill(tmp, n, seed);
	assert_int_equal(outq_append(q, tmp, n), 0);
	stream_put(s, tmp, n);
	free(tmp);
}

/* Queue and model agree: byte count, segment lengths sum, and the gathered bytes. */
static inline void check(const struct outq *q, const struct stream *s)
{
	uint32_t max = q->count ? q->count : 1;
	struct iovec *iov = calloc(max, sizeof(*iov));
	size_t at = 0;
	int n;

	assert_non_null(iov);
	assert_int_equal(q->bytes, s->len);
	assert_int_equal(outq_empty(q), s->len == 0);
	n = outq_iov(q, iov, (int)max);
	assert_int_equal(n, q->count);
	for (int i = 0; i < n; i++) {
		assert_true(iov[i].iov_len > 0);
		assert_true(at + iov[i].iov_len <= s->len);
		assert_memory_equal(iov[i].iov_base, s->b + s->off + at, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	assert_int_equal(at, s->len);
	free(iov);
}

static inline size_t blocks_in_use(void)
{
	rbuf_pool_trim(&pool);
	return rbuf_pool_bytes(&pool) / BLOCK_BYTES;
}

static inline int teardown(void **state)
{
	(void)state;
	rbuf_pool_trim(&pool);
	/* every test leaves no pooled block in use and no byte accounted behind */
	return rbuf_pool_bytes(&pool) == 0 && pool.live_bytes == 0 ? 0 : -1;
}

#endif /* MQTTGW_TEST_OUTQ_H */
