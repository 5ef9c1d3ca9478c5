/* SPDX-License-Identifier: MIT */
/*
 * msg: the layout of one message (topic, properties, payload in one allocation, the rbuf over
 * the payload), references, size classes, the pool's free lists (reuse, cap, trim) and the bytes
 * accounted to the pool while a message lives, queued in an outq included. Messages without a
 * pool are plain allocations (the SAN build checks they are freed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msg.h"

static struct msg *mk(struct msg_pool *mp, uint32_t payload_len)
{
	static uint8_t payload[8192];
	struct msg *m;

	memset(payload, 'p', sizeof(payload));
	m = msg_new(mp, "a/b", 3, payload, payload_len, NULL, 0, 0, 0, 0, NULL);
	assert_non_null(m);
	return m;
}

static void test_layout_and_refs(void **state)
{
	static const uint8_t props[] = {0x01, 0x01}; /* Payload Format Indicator 1 */
	int origin = 0;
	struct msg *m =
	    msg_new(NULL, "t/x/y", 5, "hello", 5, props, sizeof(props), 1, 1, 1234, &origin);

	(void)state;
	assert_non_null(m);
	assert_string_equal(m->topic, "t/x/y");
	assert_int_equal(m->topic_len, 5);
	assert_memory_equal(m->props, props, sizeof(props));
	assert_int_equal(m->props_len, 2);
	assert_memory_equal(m->payload, "hello", 5);
	assert_int_equal(m->payload_len, 5);
	assert_int_equal(m->qos, 1);
	assert_int_equal(m->retain, 1);
	assert_int_equal(m->expiry, 1234);
	assert_ptr_equal(m->origin, &origin);
	/* the rbuf is the payload, so queues can reference it */
	assert_ptr_equal(m->rb.data, m->payload);
	assert_int_equal(m->rb.len, 5);
	assert_int_equal(m->rb.refs, 1);
	assert_null(m->rb.pool);
	assert_int_equal(msg_size(m), sizeof(*m) + 5 + 1 + 2 + 5);
	assert_ptr_equal(msg_ref(m), m);
	assert_int_equal(m->rb.refs, 2);
	msg_unref(m);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
	msg_unref(NULL);

	/* empty payload and properties */
	m = msg_new(NULL, "t", 1, NULL, 0, NULL, 0, 0, 0, 0, NULL);
	assert_non_null(m);
	assert_string_equal(m->topic, "t");
	assert_int_equal(m->payload_len, 0);
	msg_unref(m);
}

/* Small messages take a whole size class, which is what is accounted; big ones their size. */
static void test_classes_and_accounting(void **state)
{
	const size_t hdr = sizeof(struct msg) + 3 + 1;
	static const struct {
		uint32_t payload;
		size_t alloc;
	} cases[] = {
	    {0, 256},
	    {256 - sizeof(struct msg) - 4, 256},
	    {256 - sizeof(struct msg) - 3, 1024},
	    {800, 1024},
	    {4096 - sizeof(struct msg) - 4, 4096},
	    {5000, 0},
	};
	struct msg_pool mp;

	(void)state;
	msg_pool_init(&mp);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t want = cases[i].alloc ? cases[i].alloc : hdr + cases[i].payload;
		struct msg *m = mk(&mp, cases[i].payload);

		assert_int_equal(m->rb.alloc, want);
		assert_int_equal(mp.bufs.live_bytes, want);
		assert_ptr_equal(m->rb.pool, &mp.bufs);
		msg_unref(m);
		assert_int_equal(mp.bufs.live_bytes, 0);
	}
	/* classed messages were cached, the big one freed */
	assert_int_equal(mp.nfree[0], 1);
	assert_int_equal(mp.nfree[1], 1);
	assert_int_equal(mp.nfree[2], 1);
	msg_pool_trim(&mp);
	assert_int_equal(mp.nfree[0] + mp.nfree[1] + mp.nfree[2], 0);
	assert_null(mp.free[0]);
}

/* fit (a restore): a message is allocated at its own size, accounted as such, and freed, not
 * cached, when released; a cached one is still taken first. */
static void test_fit(void **state)
{
	const size_t hdr = sizeof(struct msg) + 3 + 1;
	struct msg_pool mp;
	struct msg *a, *b;

	(void)state;
	msg_pool_init(&mp);
	a = mk(&mp, 10);
	msg_unref(a); /* cached */
	mp.fit = true;
	b = mk(&mp, 10);
	assert_ptr_equal(b, a);
	assert_int_equal(b->rb.alloc, 256);
	a = mk(&mp, 64);
	assert_int_equal(a->rb.alloc, hdr + 64);
	assert_int_equal(mp.bufs.live_bytes, 256 + hdr + 64);
	msg_unref(a);
	msg_unref(b);
	assert_int_equal(mp.bufs.live_bytes, 0);
	assert_int_equal(mp.nfree[0], 1); /* b only */
	msg_pool_trim(&mp);
}

/* A released message is the next one of its class, with fresh contents. */
static void test_reuse(void **state)
{
	struct msg_pool mp;
	struct msg *a, *b, *c;

	(void)state;
	msg_pool_init(&mp);
	a = mk(&mp, 10);
	b = mk(&mp, 10);
	assert_ptr_not_equal(a, b);
	msg_unref(a);
	msg_unref(b);
	assert_int_equal(mp.nfree[0], 2);
	/* last in, first out */
	c = msg_new(&mp, "x/y/z", 5, "new", 3, NULL, 0, 2, 0, 0, NULL);
	assert_ptr_equal(c, b);
	assert_int_equal(mp.nfree[0], 1);
	assert_string_equal(c->topic, "x/y/z");
	assert_memory_equal(c->payload, "new", 3);
	assert_null(c->origin); /* the free-list link is not left behind */
	assert_int_equal(c->rb.refs, 1);
	assert_int_equal(mp.bufs.live_bytes, 256);
	/* another class does not take it */
	a = mk(&mp, 500);
	assert_int_equal(mp.nfree[0], 1);
	msg_unref(a);
	msg_unref(c);
	assert_int_equal(mp.bufs.live_bytes, 0);
	msg_pool_trim(&mp);
}

/* check_retain_source: a message's publisher, replaced, freed with it (pooled or not: ASan
 * reports a leak otherwise), never left on a recycled message */
static void test_source(void **state)
{
	struct msg_pool mp;
	struct msg *a, *b;

	(void)state;
	msg_pool_init(&mp);
	a = mk(&mp, 10);
	assert_null(a->source);
	assert_int_equal(msg_set_source(a, "dev-1", "alice", 3), 0);
	assert_string_equal(a->source->id, "dev-1");
	assert_string_equal(a->source->username, "alice");
	assert_int_equal(a->source->listener, 3);
	assert_int_equal(msg_set_source(a, "dev-2", NULL, 0), 0);
	assert_string_equal(a->source->id, "dev-2");
	assert_null(a->source->username);
	msg_unref(a);
	b = mk(&mp, 10);
	assert_ptr_equal(a, b); /* the cached one again, without its old source */
	assert_null(b->source);
	msg_unref(b);
	msg_pool_trim(&mp);
	a = msg_new(NULL, "t", 1, "p", 1, NULL, 0, 1, 1, 0, NULL);
	assert_non_null(a);
	assert_int_equal(msg_set_source(a, "", "", 0), 0);
	assert_string_equal(a->source->username, "");
	msg_unref(a);
}

/* Each free list keeps at most 1024 messages: the rest of a burst is freed. */
static void test_cache_cap(void **state)
{
	enum { N = 1100 };
	struct msg **ms = calloc(N, sizeof(*ms));
	struct msg_pool mp;

	(void)state;
	assert_non_null(ms);
	msg_pool_init(&mp);
	for (int i = 0; i < N; i++)
		ms[i] = mk(&mp, 1);
	assert_int_equal(mp.bufs.live_bytes, (size_t)N * 256);
	for (int i = 0; i < N; i++)
		msg_unref(ms[i]);
	assert_int_equal(mp.nfree[0], 1024);
	assert_int_equal(mp.bufs.live_bytes, 0);
	msg_pool_trim(&mp);
	assert_int_equal(mp.nfree[0], 0);
	free(ms);
}

/* A message referenced by a queue stays accounted until the queue lets it go. */
static void test_queued_message(void **state)
{
	struct msg_pool mp;
	struct outq q;
	struct msg *m;

	(void)state;
	msg_pool_init(&mp);
	outq_init(&q);
	outq_set_pool(&q, &mp.bufs);
	m = mk(&mp, 2000);
	assert_int_equal(outq_append(&q, "hdr", 3), 0);
	assert_int_equal(outq_append_ref(&q, &m->rb, 0, m->payload_len), 0);
	msg_unref(m); /* the queue holds the only reference */
	assert_int_equal(m->rb.refs, 1);
	assert_int_equal(mp.bufs.live_bytes, 3 + 4096);
	assert_int_equal(mp.nfree[2], 0);
	/* partly sent: the message stays, and so do the bytes of the block still open */
	outq_consume(&q, 3 + 1000);
	assert_int_equal(mp.bufs.live_bytes, 3 + 4096);
	outq_consume(&q, 1000);
	/* sent: back to the free list, out of the count */
	assert_int_equal(mp.bufs.live_bytes, 0);
	assert_int_equal(mp.nfree[2], 1);
	outq_fini(&q);
	/* the trim frees the output block cached by the queue too */
	assert_int_equal(rbuf_pool_bytes(&mp.bufs), sizeof(struct rbuf) + OUTQ_BLOCK);
	msg_pool_trim(&mp);
	assert_int_equal(rbuf_pool_bytes(&mp.bufs), 0);
	assert_int_equal(mp.nfree[2], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_and_refs),
	    cmocka_unit_test(test_classes_and_accounting),
	    cmocka_unit_test(test_reuse),
	    cmocka_unit_test(test_cache_cap),
	    cmocka_unit_test(test_queued_message),
	    cmocka_unit_test(test_source),
	    cmocka_unit_test(test_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
