/* SPDX-License-Identifier: MIT */
/*
 * outq with its struct rbuf_pool: the block cache (reuse, cap, trim), the bytes accounted
 * (live_bytes: what memory_limit reads) through every way a buffer enters and leaves a queue,
 * and queues without a pool, which must work and account nowhere.
 */
#include <errno.h>
#include <stdbool.h>

#include "outq_test.h"

/* outq_fini drops every reference the queue holds, pooled or not. */
static void test_fini_releases_everything(void **state)
{
	struct outq q;
	struct stream s = {0};
	struct rbuf *rb = rbuf_new(&pool, 100);

	(void)state;
	assert_non_null(rb);
	fill(rb->data, 100, 4);
	qinit(&q);
	for (int i = 0; i < 20; i++) {
		put(&q, &s, 3000, (uint32_t)i);
		assert_int_equal(outq_append_ref(&q, rb, (uint32_t)i, 50), 0);
	}
	put(&q, &s, 50000, 99); /* unpooled tail */
	assert_int_equal(rb->refs, 21);
	assert_true(blocks_in_use() >= 4);
	outq_consume(&q, 1234);
	outq_fini(&q);
	assert_int_equal(rb->refs, 1);
	assert_int_equal(blocks_in_use(), 0);
	assert_null(q.segs);
	assert_null(q.tail);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	assert_true(outq_empty(&q));
	/* a finished queue is an initialised one */
	put(&q, &s, 1, 1);
	outq_fini(&q);
	rbuf_unref(rb);
	stream_free(&s);
}

/* The tail block goes back to the pool as soon as the queue drains, and not before. */
static void test_tail_released_when_empty(void **state)
{
	struct outq q;
	struct stream s = {0};
	struct rbuf *rb = rbuf_new(&pool, 10);

	(void)state;
	assert_non_null(rb);
	memset(rb->data, 'r', 10);
	qinit(&q);
	put(&q, &s, 100, 1);
	outq_frame_done(&q);
	assert_int_equal(outq_append_ref(&q, rb, 0, 10), 0);
	stream_put(&s, rb->data, 10);
	outq_frame_done(&q);

	/* the in-place bytes are gone but a reference is still queued: tail is kept */
	outq_consume(&q, 100);
	stream_take(&s, 100);
	assert_non_null(q.tail);
	assert_int_equal(q.tail->refs, 1);
	assert_int_equal(q.frames, 2);
	check(&q, &s);

	outq_consume(&q, 10);
	stream_take(&s, 10);
	assert_null(q.tail);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.frames, 0);
	assert_true(outq_empty(&q));
	assert_int_equal(rb->refs, 1);
	assert_int_equal(blocks_in_use(), 0);

	/* the block comes from the pool again: pool bytes do not grow over many cycles */
	put(&q, &s, 10, 2);
	{
		size_t bytes = rbuf_pool_bytes(&pool);

		for (int i = 0; i < 1000; i++) {
			put(&q, &s, 200, (uint32_t)i);
			outq_consume(&q, q.bytes);
			stream_take(&s, s.len);
			assert_null(q.tail);
			put(&q, &s, 10, 2);
		}
		assert_int_equal(rbuf_pool_bytes(&pool), bytes);
	}
	outq_fini(&q);
	rbuf_unref(rb);
	stream_free(&s);
}

static void test_pool_accounting(void **state)
{
	struct outq qs[4];

	(void)state;
	rbuf_pool_trim(&pool);
	assert_int_equal(rbuf_pool_bytes(&pool), 0);
	for (int i = 0; i < 4; i++) {
		qinit(&qs[i]);
		assert_int_equal(outq_append(&qs[i], "x", 1), 0);
	}
	assert_int_equal(rbuf_pool_bytes(&pool), 4 * BLOCK_BYTES);
	for (int i = 0; i < 4; i++)
		outq_consume(&qs[i], 1);
	/* cached, not freed, until trimmed */
	assert_int_equal(rbuf_pool_bytes(&pool), 4 * BLOCK_BYTES);
	/* reused: no growth */
	assert_int_equal(outq_append(&qs[0], "y", 1), 0);
	assert_int_equal(rbuf_pool_bytes(&pool), 4 * BLOCK_BYTES);
	assert_int_equal(qs[0].tail->refs, 2);
	assert_int_equal(qs[0].tail->len, 1);
	rbuf_pool_trim(&pool);
	assert_int_equal(rbuf_pool_bytes(&pool), BLOCK_BYTES);
	for (int i = 0; i < 4; i++)
		outq_fini(&qs[i]);
	rbuf_pool_trim(&pool);
	assert_int_equal(rbuf_pool_bytes(&pool), 0);
}

/* More blocks in use than the pool caches: the extra ones are freed, not leaked. */
static void test_pool_overflow(void **state)
{
	enum { NQ = 300 };
	struct outq *qs = calloc(NQ, sizeof(*qs));

	(void)state;
	assert_non_null(qs);
	for (int i = 0; i < NQ; i++) {
		qinit(&qs[i]);
		assert_int_equal(outq_append(&qs[i], "z", 1), 0);
	}
	assert_int_equal(rbuf_pool_bytes(&pool), (size_t)NQ * BLOCK_BYTES);
	for (int i = 0; i < NQ; i++)
		outq_fini(&qs[i]);
	assert_true(rbuf_pool_bytes(&pool) < (size_t)NQ * BLOCK_BYTES);
	rbuf_pool_trim(&pool);
	assert_int_equal(rbuf_pool_bytes(&pool), 0);
	free(qs);
}

/* live_bytes counts bytes written into blocks and whole standalone buffers, never capacity. */
static void test_live_bytes(void **state)
{
	const size_t rb_bytes = sizeof(struct rbuf) + 1000;
	struct stream s = {0};
	struct rbuf *rb;
	struct outq q;

	(void)state;
	qinit(&q);
	put(&q, &s, 100, 1);
	assert_int_equal(pool.live_bytes, 100);
	put(&q, &s, 50, 2);
	assert_int_equal(pool.live_bytes, 150);
	rb = rbuf_new(&pool, 1000);
	assert_non_null(rb);
	assert_int_equal(pool.live_bytes, 150 + rb_bytes);
	/* a reference costs nothing more */
	assert_int_equal(outq_append_ref(&q, rb, 0, 1000), 0);
	assert_int_equal(pool.live_bytes, 150 + rb_bytes);
	rbuf_unref(rb);
	assert_int_equal(pool.live_bytes, 150 + rb_bytes);
	/* a frame over a block is a standalone buffer: its whole allocation counts */
	put(&q, &s, OUTQ_BLOCK + 1, 3);
	assert_int_equal(pool.live_bytes, 150 + rb_bytes + sizeof(struct rbuf) + OUTQ_BLOCK + 1);
	/* bytes leave the count when the buffer holding them is released, not when sent */
	outq_consume(&q, 120);
	assert_int_equal(pool.live_bytes, 150 + rb_bytes + sizeof(struct rbuf) + OUTQ_BLOCK + 1);
	outq_consume(&q, 30 + 1000);
	assert_int_equal(pool.live_bytes, sizeof(struct rbuf) + OUTQ_BLOCK + 1);
	outq_consume(&q, q.bytes);
	assert_int_equal(pool.live_bytes, 0);
	/* the same through outq_fini */
	put(&q, &s, 10, 4);
	rb = rbuf_new(&pool, 1000);
	assert_non_null(rb);
	assert_int_equal(outq_append_ref(&q, rb, 0, 1000), 0);
	rbuf_unref(rb);
	assert_int_equal(pool.live_bytes, 10 + rb_bytes);
	outq_fini(&q);
	assert_int_equal(pool.live_bytes, 0);
	stream_free(&s);
}

/*
 * Fan-out: a frame encoded into one queue's tail (outq_last_commit) is referenced by the others,
 * consecutive frames extend one segment there, and the bytes count once, for as long as any
 * queue still holds them, whichever drains first.
 */
static void test_shared_frames(void **state)
{
	struct stream sa = {0}, sb = {0}, sc = {0};
	struct outq a, b, c;
	uint32_t off;
	struct rbuf *rb;

	(void)state;
	qinit(&a);
	qinit(&b);
	qinit(&c);
	put(&c, &sc, 7, 50); /* c's own bytes first: the shared ones come after them */
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t n = 30 + i, prev;

		put(&a, &sa, n, i);
		rb = outq_last_commit(&a, n, &off);
		assert_ptr_equal(rb, a.tail);
		assert_int_equal(off, a.tail->len - n);
		assert_memory_equal(rb->data + off, sa.b + sa.off + sa.len - n, n);
		prev = b.count;
		assert_int_equal(outq_append_ref(&b, rb, off, n), 0);
		assert_int_equal(outq_append_ref(&c, rb, off, n), 0);
		stream_put(&sb, rb->data + off, n);
		stream_put(&sc, rb->data + off, n);
		/* the next frame of the block continues b's segment: one iovec for all three */
		assert_int_equal(b.count, i ? prev : 1);
		outq_frame_done(&b);
	}
	assert_int_equal(b.count, 1);
	assert_int_equal(c.count, 2);
	assert_int_equal(b.frames, 3);
	/* a holds its tail twice (as the tail and in a segment); b and c once each */
	assert_int_equal(a.tail->refs, 4);
	/* counted once: a's bytes; b and c add nothing */
	assert_int_equal(pool.live_bytes, sa.len + sc.len - sb.len);
	check(&a, &sa);
	check(&b, &sb);
	check(&c, &sc);
	/* more than the tail's last segment holds, or a queue whose last bytes are no commit */
	assert_null(outq_last_commit(&a, (uint32_t)sa.len + 1, &off));
	assert_null(outq_last_commit(&b, 1, &off));
	/* a drains first: b and c keep the block, still counted */
	outq_consume(&a, a.bytes);
	stream_take(&sa, sa.len);
	assert_null(a.tail);
	assert_int_equal(blocks_in_use(), 2); /* a's former tail and c's own */
	outq_consume(&b, 40);
	stream_take(&sb, 40);
	check(&b, &sb);
	outq_consume(&b, b.bytes);
	outq_consume(&c, c.bytes);
	assert_int_equal(pool.live_bytes, 0);
	assert_int_equal(blocks_in_use(), 0);
	outq_fini(&a);
	outq_fini(&b);
	outq_fini(&c);
	stream_free(&sa);
	stream_free(&sb);
	stream_free(&sc);
}

/* Two pools are independent: each counts only its own buffers. */
static void test_two_pools(void **state)
{
	struct rbuf_pool other;
	struct outq a, b;

	(void)state;
	rbuf_pool_init(&other);
	qinit(&a);
	outq_init(&b);
	outq_set_pool(&b, &other);
	assert_int_equal(outq_append(&a, "abc", 3), 0);
	assert_int_equal(outq_append(&b, "defgh", 5), 0);
	assert_int_equal(pool.live_bytes, 3);
	assert_int_equal(other.live_bytes, 5);
	assert_int_equal(rbuf_pool_bytes(&other), BLOCK_BYTES);
	outq_fini(&a);
	outq_fini(&b);
	assert_int_equal(other.live_bytes, 0);
	/* b's block went back to b's pool */
	assert_int_equal(other.nfree, 1);
	rbuf_pool_trim(&other);
	assert_int_equal(rbuf_pool_bytes(&other), 0);
}

/* Without a pool a queue mallocs and frees its blocks and accounts nothing (the SAN build
 * checks that nothing leaks). */
static void test_no_pool(void **state)
{
	struct stream s = {0};
	struct rbuf *rb = rbuf_new(NULL, 64);
	struct outq q;

	(void)state;
	assert_non_null(rb);
	assert_null(rb->pool);
	fill(rb->data, 64, 9);
	outq_init(&q);
	assert_null(q.pool);
	for (int i = 0; i < 50; i++) {
		put(&q, &s, 5000, (uint32_t)i);
		assert_int_equal(outq_append_ref(&q, rb, 0, 64), 0);
		stream_put(&s, rb->data, 64);
	}
	check(&q, &s);
	outq_consume(&q, 7777);
	stream_take(&s, 7777);
	check(&q, &s);
	outq_consume(&q, q.bytes);
	stream_take(&s, s.len);
	assert_null(q.tail);
	outq_fini(&q);
	rbuf_unref(rb);
	assert_int_equal(pool.live_bytes, 0);
	assert_int_equal(rbuf_pool_bytes(&pool), 0);
	stream_free(&s);
}

/* A drained queue's first-size ring goes to the pool's cache and the next queue's first ring
 * comes from there (no malloc/free per drain); a grown ring is freed; trim frees the cache. */
static void test_ring_cache(void **state)
{
	struct outq q1, q2;
	struct stream s = {0};
	struct outq_seg *ring;

	(void)state;
	qinit(&q1);
	qinit(&q2);
	assert_int_equal(pool.nrings, 0);
	put(&q1, &s, 10, 1);
	ring = q1.segs;
	assert_non_null(ring);
	assert_int_equal(q1.cap, OUTQ_RING_MIN);
	outq_consume(&q1, q1.bytes);
	stream_take(&s, s.len);
	assert_null(q1.segs);
	assert_int_equal(pool.nrings, 1);
	put(&q2, &s, 10, 2);
	assert_ptr_equal(q2.segs, ring);
	assert_int_equal(pool.nrings, 0);
	outq_fini(&q2); /* fini gives it back too */
	assert_int_equal(pool.nrings, 1);
	stream_take(&s, s.len);
	/* a grown ring is not cached */
	for (int i = 0; i < 3 * (int)OUTQ_RING_MIN; i++) {
		struct rbuf *rb = rbuf_new(&pool, 4);

		assert_non_null(rb);
		assert_int_equal(outq_append_ref(&q1, rb, 0, 4), 0);
		rbuf_unref(rb);
	}
	assert_true(q1.cap > OUTQ_RING_MIN);
	assert_int_equal(pool.nrings, 0);
	outq_consume(&q1, q1.bytes);
	assert_null(q1.segs);
	assert_int_equal(pool.nrings, 0);
	/* without a pool: malloc and free, as before */
	outq_init(&q1);
	put(&q1, &s, 10, 3);
	outq_fini(&q1);
	assert_int_equal(pool.nrings, 0);
	qinit(&q2); /* fini left it without a pool */
	put(&q2, &s, 10, 4);
	outq_fini(&q2);
	assert_int_equal(pool.nrings, 1);
	rbuf_pool_trim(&pool);
	assert_int_equal(pool.nrings, 0);
	stream_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_fini_releases_everything, teardown),
	    cmocka_unit_test_teardown(test_tail_released_when_empty, teardown),
	    cmocka_unit_test_teardown(test_pool_accounting, teardown),
	    cmocka_unit_test_teardown(test_pool_overflow, teardown),
	    cmocka_unit_test_teardown(test_live_bytes, teardown),
	    cmocka_unit_test_teardown(test_shared_frames, teardown),
	    cmocka_unit_test_teardown(test_two_pools, teardown),
	    cmocka_unit_test_teardown(test_no_pool, teardown),
	    cmocka_unit_test_teardown(test_ring_cache, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
