// SPDX-License-Identifier: MIT
/*
 * outq unit tests: every case keeps a model of the byte stream the queue must deliver (what was
 * appended, minus what was consumed) and compares the gathered iovecs with it byte by byte.
 * Every queue takes its blocks from one pool (outq_test.h), and every test must leave neither a
 * block in use nor a byte accounted. Pools and accounting on their own: test_outq_pool.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "outq_test.h"

/* ---- reserve / commit ---- */

static void test_reserve_commit_merges(void **state)
{
	struct outq q;
	struct stream s = { 0 };
	uint8_t *p1, *p2, *p3;

	(void)state;
	qinit(&q);
	assert_true(outq_empty(&q));
	assert_null(q.tail);

	p1 = outq_reserve(&q, 10);
	assert_non_null(p1);
	fill(p1, 10, 1);
	outq_commit(&q, 10);
	outq_frame_done(&q);
	stream_put(&s, p1, 10);

	/* reserve more than is used: only the committed bytes count */
	p2 = outq_reserve(&q, 100);
	assert_ptr_equal(p2, p1 + 10);
	fill(p2, 15, 2);
	outq_commit(&q, 15);
	outq_frame_done(&q);
	stream_put(&s, p2, 15);

	/* a zero commit queues nothing and does not split the segment */
	p3 = outq_reserve(&q, 5);
	assert_ptr_equal(p3, p1 + 25);
	outq_commit(&q, 0);

	put(&q, &s, 5, 3);
	outq_frame_done(&q);

	assert_int_equal(q.count, 1);
	assert_int_equal(q.segs[q.head].len, 30);
	assert_int_equal(q.segs[q.head].off, 0);
	assert_ptr_equal(q.segs[q.head].rb, q.tail);
	assert_int_equal(q.tail->len, 30);
	assert_int_equal(q.tail->pooled, 1);
	/* the queue's own reference plus the segment's */
	assert_int_equal(q.tail->refs, 2);
	assert_int_equal(q.frames, 3);
	check(&q, &s);
	assert_int_equal(blocks_in_use(), 1);

	outq_fini(&q);
	assert_null(q.tail);
	assert_null(q.segs);
	assert_int_equal(q.bytes, 0);
	assert_int_equal(blocks_in_use(), 0);
	stream_free(&s);
}

/* A commit after partial consumption of the same block still extends the segment. */
static void test_commit_merges_after_partial_consume(void **state)
{
	struct outq q;
	struct stream s = { 0 };

	(void)state;
	qinit(&q);
	put(&q, &s, 100, 1);
	outq_consume(&q, 40);
	stream_take(&s, 40);
	put(&q, &s, 50, 2);
	assert_int_equal(q.count, 1);
	assert_int_equal(q.segs[q.head].off, 40);
	assert_int_equal(q.segs[q.head].len, 110);
	check(&q, &s);
	outq_fini(&q);
	stream_free(&s);
}

/* ---- block rollover and big frames ---- */

struct rollover_case {
	const char *name;
	uint32_t sizes[8];
	int n;
	uint32_t want_segs;
	uint32_t want_pool_blocks; /* pooled blocks in use afterwards */
};

static const struct rollover_case rollover_cases[] = {
	{ "fits one block", { 1000, 2000, 4000, 8000 }, 4, 1, 1 },
	{ "exact fill", { OUTQ_BLOCK - 1, 1 }, 2, 1, 1 },
	{ "exact fill then one", { OUTQ_BLOCK - 1, 1, 1 }, 3, 2, 2 },
	{ "one byte over", { OUTQ_BLOCK - 10, 11 }, 2, 2, 2 },
	{ "whole block frames", { OUTQ_BLOCK, OUTQ_BLOCK, OUTQ_BLOCK }, 3, 3, 3 },
	{ "small then block", { 1, OUTQ_BLOCK }, 2, 2, 2 },
	{ "big alone", { OUTQ_BLOCK + 1 }, 1, 1, 0 },
	{ "small big small", { 10, 100000, 10 }, 3, 3, 2 },
	{ "big big", { 3 * OUTQ_BLOCK, OUTQ_BLOCK + 7 }, 2, 2, 0 },
	{ "big then fills", { 20000, 16000, 400, 384 }, 4, 3, 2 },
};

static void test_block_rollover(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(rollover_cases) / sizeof(rollover_cases[0]); c++) {
		const struct rollover_case *tc = &rollover_cases[c];
		struct outq q;
		struct stream s = { 0 };

		qinit(&q);
		for (int i = 0; i < tc->n; i++) {
			put(&q, &s, tc->sizes[i], (uint32_t)(c * 10 + i));
			assert_true(q.tail->len <= q.tail->cap);
		}
		if (q.count != tc->want_segs)
			fail_msg("%s: %u segments, want %u", tc->name, q.count, tc->want_segs);
		check(&q, &s);
		if (blocks_in_use() != tc->want_pool_blocks)
			fail_msg("%s: %zu pool blocks, want %u", tc->name, blocks_in_use(),
				 tc->want_pool_blocks);
		outq_fini(&q);
		assert_int_equal(blocks_in_use(), 0);
		stream_free(&s);
	}
}

/* A frame larger than a block gets its own unpooled buffer of exactly that size. */
static void test_frame_larger_than_block(void **state)
{
	struct outq q;
	struct stream s = { 0 };
	uint32_t big = 3 * OUTQ_BLOCK + 5;
	uint8_t *p;

	(void)state;
	qinit(&q);
	put(&q, &s, 10, 1);
	p = outq_reserve(&q, big);
	assert_non_null(p);
	assert_int_equal(q.tail->pooled, 0);
	assert_int_equal(q.tail->cap, big);
	fill(p, big, 2);
	outq_commit(&q, big);
	stream_put(&s, p, big);
	assert_int_equal(q.count, 2);
	assert_int_equal(q.segs[(q.head + 1) & (q.cap - 1)].len, big);
	/* the small block is still referenced by its segment */
	assert_int_equal(blocks_in_use(), 1);
	check(&q, &s);

	/* the next small frame cannot fit in the full big buffer: a pool block again */
	put(&q, &s, 10, 3);
	assert_int_equal(q.count, 3);
	assert_int_equal(q.tail->pooled, 1);
	assert_int_equal(blocks_in_use(), 2);
	check(&q, &s);

	/* consume across the big frame at an odd offset */
	outq_consume(&q, 10 + OUTQ_BLOCK + 1);
	stream_take(&s, 10 + OUTQ_BLOCK + 1);
	check(&q, &s);
	assert_int_equal(blocks_in_use(), 1);
	outq_consume(&q, s.len);
	stream_take(&s, s.len);
	check(&q, &s);
	assert_null(q.tail);
	assert_int_equal(blocks_in_use(), 0);
	outq_fini(&q);
	stream_free(&s);
}

/* ---- references ---- */

static void test_append_ref_shared(void **state)
{
	struct outq q1, q2;
	struct stream s1 = { 0 }, s2 = { 0 };
	struct rbuf *rb = rbuf_new(&pool, 1000);

	(void)state;
	assert_non_null(rb);
	assert_int_equal(rb->refs, 1);
	assert_int_equal(rb->pooled, 0);
	fill(rb->data, 1000, 9);
	rb->len = 1000;

	qinit(&q1);
	qinit(&q2);
	put(&q1, &s1, 5, 1); /* fixed header in place ... */
	assert_int_equal(outq_append_ref(&q1, rb, 100, 300), 0); /* ... payload by reference */
	stream_put(&s1, rb->data + 100, 300);
	put(&q1, &s1, 7, 2);
	assert_int_equal(outq_append_ref(&q2, rb, 0, 1000), 0);
	stream_put(&s2, rb->data, 1000);
	put(&q2, &s2, 3, 3);
	assert_int_equal(rb->refs, 3);

	/* zero-length reference: nothing queued, no reference taken */
	assert_int_equal(outq_append_ref(&q1, rb, 0, 0), 0);
	assert_int_equal(rb->refs, 3);

	assert_int_equal(q1.count, 3); /* tail, ref, tail: no merge across the reference */
	assert_ptr_equal(q1.segs[(q1.head + 1) & (q1.cap - 1)].rb, rb);
	check(&q1, &s1);
	check(&q2, &s2);

	/* drop ours: the two queues keep it alive (ASan would catch a use after free) */
	rbuf_unref(rb);
	assert_int_equal(rb->refs, 2);

	/* consuming q1 into the middle of the reference keeps it */
	outq_consume(&q1, 5 + 150);
	stream_take(&s1, 155);
	assert_int_equal(rb->refs, 2);
	check(&q1, &s1);
	outq_consume(&q1, 150);
	stream_take(&s1, 150);
	assert_int_equal(rb->refs, 1);
	check(&q1, &s1);

	outq_consume(&q2, 999);
	stream_take(&s2, 999);
	assert_int_equal(rb->refs, 1);
	check(&q2, &s2);
	/* the last byte of the reference goes: freed here (LeakSanitizer checks it was) */
	outq_consume(&q2, 1);
	stream_take(&s2, 1);
	check(&q2, &s2);

	outq_fini(&q1);
	outq_fini(&q2);
	stream_free(&s1);
	stream_free(&s2);
}

/* Both queues drain fully; the rbuf outlives whichever finishes first. */
static void test_append_ref_freed_after_both(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++) {
		struct outq qa, qb, *first, *second;
		struct rbuf *rb = rbuf_new(&pool, 64);

		assert_non_null(rb);
		memset(rb->data, 0xab, 64);
		qinit(&qa);
		qinit(&qb);
		assert_int_equal(outq_append_ref(&qa, rb, 0, 64), 0);
		assert_int_equal(outq_append_ref(&qb, rb, 32, 32), 0);
		assert_int_equal(rb->refs, 3);
		first = order ? &qb : &qa;
		second = order ? &qa : &qb;

		outq_consume(first, first->bytes);
		assert_int_equal(rb->refs, 2);
		assert_true(outq_empty(first));
		assert_int_equal(first->count, 0);
		outq_consume(second, second->bytes);
		assert_int_equal(rb->refs, 1);
		rbuf_unref(rb);
		outq_fini(&qa);
		outq_fini(&qb);
	}
}

/* ---- iovecs ---- */

static void test_iov_order_and_max(void **state)
{
	struct outq q;
	struct rbuf *rb = rbuf_new(&pool, 26);
	struct iovec iov[8];
	int n;

	(void)state;
	assert_non_null(rb);
	for (int i = 0; i < 26; i++)
		rb->data[i] = (uint8_t)('a' + i);
	qinit(&q);
	n = outq_iov(&q, iov, 8);
	assert_int_equal(n, 0);

	assert_int_equal(outq_append(&q, "AB", 2), 0);
	assert_int_equal(outq_append_ref(&q, rb, 0, 3), 0);
	assert_int_equal(outq_append(&q, "CD", 2), 0);
	assert_int_equal(outq_append_ref(&q, rb, 23, 3), 0);
	assert_int_equal(outq_append_ref(&q, rb, 10, 1), 0);
	assert_int_equal(outq_append(&q, "E", 1), 0);
	assert_int_equal(outq_append(&q, "F", 1), 0); /* merges with "E" */

	n = outq_iov(&q, iov, 8);
	assert_int_equal(n, 6);
	{
		static const char *const want[] = { "AB", "abc", "CD", "xyz", "k", "EF" };

		for (int i = 0; i < n; i++) {
			assert_int_equal(iov[i].iov_len, strlen(want[i]));
			assert_memory_equal(iov[i].iov_base, want[i], iov[i].iov_len);
		}
	}
	/* max caps the count; the first ones come in order */
	n = outq_iov(&q, iov, 2);
	assert_int_equal(n, 2);
	assert_memory_equal(iov[1].iov_base, "abc", 3);
	assert_int_equal(outq_iov(&q, iov, 0), 0);

	/* after a partial consume the first iovec starts mid-segment */
	outq_consume(&q, 3);
	n = outq_iov(&q, iov, 8);
	assert_int_equal(n, 5);
	assert_int_equal(iov[0].iov_len, 2);
	assert_memory_equal(iov[0].iov_base, "bc", 2);
	outq_fini(&q);
	rbuf_unref(rb);
}

/* ---- partial consume ---- */

/*
 * A fixed layout mixing in-place segments (merged and not), references and a big frame.
 * Sizes are small except one big frame so every offset can be tried.
 */
static struct rbuf *shared_rb;
static size_t big_at, big_len; /* where the big frame sits in the stream */

/* Every offset, except deep inside the big frame where only a sample is tried. */
static bool offset_wanted(size_t k)
{
	if (k < big_at + 64 || k > big_at + big_len - 64)
		return true;
	return (k - big_at) % 509 == 0;
}

static void build_layout(struct outq *q, struct stream *s)
{
	static const struct {
		char kind; /* 'c' copy, 'r' reference, 'b' big copy */
		uint32_t a, b;
	} ops[] = {
		{ 'c', 3, 0 },	 { 'c', 4, 0 },	 { 'r', 0, 5 },	 { 'c', 1, 0 },	 { 'r', 5, 1 },
		{ 'r', 40, 17 }, { 'c', 9, 0 },	 { 'c', 2, 0 },	 { 'r', 0, 64 }, { 'b', 40, 0 },
		{ 'c', 6, 0 },	 { 'r', 63, 1 }, { 'c', 11, 0 },
	};

	qinit(q);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		switch (ops[i].kind) {
		case 'c':
			put(q, s, ops[i].a, (uint32_t)i);
			break;
		case 'b':
			big_at = s->len;
			big_len = OUTQ_BLOCK + ops[i].a;
			put(q, s, OUTQ_BLOCK + ops[i].a, (uint32_t)i);
			break;
		case 'r':
			assert_int_equal(outq_append_ref(q, shared_rb, ops[i].a, ops[i].b), 0);
			stream_put(s, shared_rb->data + ops[i].a, ops[i].b);
			break;
		}
	}
}

static void test_partial_consume_every_offset(void **state)
{
	struct outq q;
	struct stream s = { 0 };
	size_t total;

	(void)state;
	shared_rb = rbuf_new(&pool, 64);
	assert_non_null(shared_rb);
	fill(shared_rb->data, 64, 77);

	build_layout(&q, &s);
	total = s.len;
	check(&q, &s);
	assert_true(q.count >= 9);
	outq_fini(&q);
	stream_free(&s);
	assert_int_equal(shared_rb->refs, 1);

	/* one consume of k bytes, then the rest in one go */
	for (size_t k = 0; k <= total; k++) {
		if (!offset_wanted(k))
			continue;
		build_layout(&q, &s);
		outq_consume(&q, k);
		stream_take(&s, k);
		check(&q, &s);
		if (k == total) {
			assert_int_equal(q.count, 0);
			assert_null(q.tail);
			assert_int_equal(q.frames, 0);
			assert_int_equal(shared_rb->refs, 1);
		} else {
			assert_true(q.count > 0);
		}
		outq_consume(&q, s.len);
		stream_take(&s, s.len);
		check(&q, &s);
		assert_null(q.tail);
		assert_int_equal(shared_rb->refs, 1);
		assert_int_equal(blocks_in_use(), 0);
		outq_fini(&q);
		stream_free(&s);
	}

	/* two steps: k then a prime-ish stride, crossing segment boundaries */
	for (size_t k = 0; k <= total; k += 7) {
		if (!offset_wanted(k))
			continue;
		for (size_t j = 1; j < 200 && k + j <= total; j += 13) {
			build_layout(&q, &s);
			outq_consume(&q, k);
			stream_take(&s, k);
			outq_consume(&q, j);
			stream_take(&s, j);
			check(&q, &s);
			outq_fini(&q);
			stream_free(&s);
		}
	}

	/* byte by byte from start to end */
	build_layout(&q, &s);
	while (s.len) {
		outq_consume(&q, 1);
		stream_take(&s, 1);
		if (s.len < 400 || s.len % 97 == 0)
			check(&q, &s);
	}
	check(&q, &s);
	assert_null(q.tail);
	assert_int_equal(shared_rb->refs, 1);
	outq_fini(&q);
	stream_free(&s);
	rbuf_unref(shared_rb);
	shared_rb = NULL;
}

/* ---- the segment ring ---- */

/* References never merge, so each append_ref is one segment: a direct handle on the ring. */
static void test_ring_growth_and_wrap(void **state)
{
	struct outq q;
	struct stream s = { 0 };
	struct rbuf *rb = rbuf_new(&pool, 256);

	(void)state;
	assert_non_null(rb);
	fill(rb->data, 256, 5);
	qinit(&q);
	for (uint32_t i = 0; i < 6; i++) { /* apart: adjacent ranges would share a segment */
		assert_int_equal(outq_append_ref(&q, rb, 10 * i, i + 1), 0);
		stream_put(&s, rb->data + 10 * i, i + 1);
	}
	assert_int_equal(q.cap, 8);
	/* consume the first five segments and one byte of the sixth: head moves to 5 */
	outq_consume(&q, 1 + 2 + 3 + 4 + 5 + 1);
	stream_take(&s, 16);
	assert_int_equal(q.head, 5);
	assert_int_equal(q.count, 1);
	check(&q, &s);

	/* fill past the end of the array: wraps */
	for (uint32_t i = 0; i < 7; i++) {
		assert_int_equal(outq_append_ref(&q, rb, 100 + i, 2 + i), 0);
		stream_put(&s, rb->data + 100 + i, 2 + i);
	}
	assert_int_equal(q.cap, 8);
	assert_int_equal(q.count, 8);
	assert_true(q.head + q.count > q.cap);
	check(&q, &s);

	/* growing while wrapped unrolls in order */
	for (uint32_t i = 0; i < 30; i++) {
		assert_int_equal(outq_append_ref(&q, rb, 220 - i, 1 + i % 5), 0);
		stream_put(&s, rb->data + 220 - i, 1 + i % 5);
		if (i % 2)
			put(&q, &s, 1 + i, i);
	}
	assert_int_equal(q.count, 8 + 30 + 15);
	assert_int_equal(q.cap, 64);
	check(&q, &s);
	assert_int_equal(rb->refs, 1 + 1 + 7 + 30);

	/* wrap the grown ring too: consume some, append more, repeatedly */
	for (int round = 0; round < 40; round++) {
		size_t take = s.len / 8 + 1;

		outq_consume(&q, take);
		stream_take(&s, take);
		check(&q, &s);
		for (uint32_t i = 0; i < 20; i++) {
			assert_int_equal(outq_append_ref(&q, rb, i * 7, 3), 0);
			stream_put(&s, rb->data + i * 7, 3);
		}
		check(&q, &s);
	}
	assert_true(q.cap >= 128);
	outq_consume(&q, s.len);
	stream_take(&s, s.len);
	/* a drained big ring is freed; a small one would be kept */
	assert_int_equal(q.cap, 0);
	assert_null(q.segs);
	assert_int_equal(rb->refs, 1);
	/* and works again from scratch */
	assert_int_equal(outq_append_ref(&q, rb, 0, 1), 0);
	assert_int_equal(q.cap, 8);
	outq_fini(&q);
	assert_int_equal(rb->refs, 1);
	rbuf_unref(rb);
	stream_free(&s);
}

/* ---- randomized model check ---- */

static void test_random_ops_against_model(void **state)
{
	struct outq q;
	struct stream s = { 0 };
	struct rbuf *rb = rbuf_new(&pool, 4096);
	uint8_t *tmp = malloc(3 * OUTQ_BLOCK);

	(void)state;
	assert_non_null(rb);
	assert_non_null(tmp);
	fill(rb->data, 4096, 42);
	rng_state = 0x5eed;
	qinit(&q);
	for (int step = 0; step < 20000; step++) {
		uint32_t op = rng() % 16;

		if (op < 5) {
			uint32_t n = rng() % 300;

			put(&q, &s, n, (uint32_t)step);
		} else if (op < 7) {
			/* reserve a bound, encode less */
			uint32_t want = 1 + rng() % 2000, used = rng() % (want + 1);
			uint8_t *p = outq_reserve(&q, want);

			assert_non_null(p);
			assert_true(q.tail->cap - q.tail->len >= want);
			fill(p, used, (uint32_t)step);
			outq_commit(&q, used);
			stream_put(&s, p, used);
		} else if (op < 10) {
			uint32_t off = rng() % 4096, n = rng() % (4096 - off + 1);

			assert_int_equal(outq_append_ref(&q, rb, off, n), 0);
			stream_put(&s, rb->data + off, n);
		} else if (op == 10 && rng() % 8 == 0) {
			uint32_t n = OUTQ_BLOCK + rng() % (2 * OUTQ_BLOCK);

			fill(tmp, n, (uint32_t)step);
			assert_int_equal(outq_append(&q, tmp, n), 0);
			stream_put(&s, tmp, n);
		} else if (op >= 11) {
			size_t n = s.len ? rng() % (s.len + 1) : 0;

			if (op == 15)
				n = s.len;
			outq_consume(&q, n);
			stream_take(&s, n);
			if (!s.len)
				assert_null(q.tail);
		}
		check(&q, &s);
		if (s.off > (1u << 20)) { /* keep the model small */
			memmove(s.b, s.b + s.off, s.len);
			s.off = 0;
		}
	}
	outq_fini(&q);
	assert_int_equal(rb->refs, 1);
	rbuf_unref(rb);
	free(tmp);
	stream_free(&s);
}

/* ---- the intended use: writev until EAGAIN, consume what was written ---- */

static void test_writev_through_pipe(void **state)
{
	struct outq q;
	struct stream s = { 0 };
	struct rbuf *rb = rbuf_new(&pool, 50000);
	uint8_t *got, buf[7000];
	size_t total, have = 0;
	int fds[2];

	(void)state;
	assert_non_null(rb);
	fill(rb->data, 50000, 3);
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	qinit(&q);
	for (uint32_t i = 0; i < 60; i++) {
		put(&q, &s, 10 + i * 37, i);
		assert_int_equal(outq_append_ref(&q, rb, i * 500, 1000 + i * 300), 0);
		stream_put(&s, rb->data + i * 500, 1000 + i * 300);
	}
	put(&q, &s, 70000, 1000);
	total = s.len;
	got = malloc(total);
	assert_non_null(got);

	while (!outq_empty(&q) || have < total) {
		struct iovec iov[16];
		int n = outq_iov(&q, iov, 16);
		ssize_t w = n ? writev(fds[1], iov, n) : 0;
		ssize_t r;

		if (w > 0) {
			outq_consume(&q, (size_t)w);
			stream_take(&s, (size_t)w);
			check(&q, &s);
		} else if (w < 0) {
			assert_int_equal(errno, EAGAIN);
		}
		r = read(fds[0], buf, sizeof(buf));
		if (r > 0) {
			assert_true(have + (size_t)r <= total);
			memcpy(got + have, buf, (size_t)r);
			have += (size_t)r;
		}
	}
	/* the model's buffer still holds every byte ever appended, from offset 0 */
	assert_memory_equal(got, s.b, total);
	assert_null(q.tail);
	assert_int_equal(rb->refs, 1);
	outq_fini(&q);
	close(fds[0]);
	close(fds[1]);
	free(got);
	rbuf_unref(rb);
	stream_free(&s);
}

/* ---- the pool ---- */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_reserve_commit_merges, teardown),
		cmocka_unit_test_teardown(test_commit_merges_after_partial_consume, teardown),
		cmocka_unit_test_teardown(test_block_rollover, teardown),
		cmocka_unit_test_teardown(test_frame_larger_than_block, teardown),
		cmocka_unit_test_teardown(test_append_ref_shared, teardown),
		cmocka_unit_test_teardown(test_append_ref_freed_after_both, teardown),
		cmocka_unit_test_teardown(test_iov_order_and_max, teardown),
		cmocka_unit_test_teardown(test_partial_consume_every_offset, teardown),
		cmocka_unit_test_teardown(test_ring_growth_and_wrap, teardown),
		cmocka_unit_test_teardown(test_random_ops_against_model, teardown),
		cmocka_unit_test_teardown(test_writev_through_pipe, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
