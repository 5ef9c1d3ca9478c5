// SPDX-License-Identifier: MIT
/*
 * session unit tests: the client-id table (growth, binary ids, hash collisions, its seed), the
 * subscription list (order kept), and the offline queue (FIFO through wrap and growth, the
 * max_msgs / max_bytes limits, references released). Message ownership is checked on the
 * refcount of real msgs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "hash.h"
#include "msg.h"
#include "session.h"

static struct msg *mk(const char *payload)
{
	struct msg *m = msg_new(NULL, "t/q", 3, payload, (uint32_t)strlen(payload), NULL, 0, 1, 0,
				0, NULL);

	assert_non_null(m);
	return m;
}

static int setup_table(void **state)
{
	struct session_table *t = malloc(sizeof(*t));

	if (!t || session_table_init(t) < 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown_table(void **state)
{
	struct session_table *t = *state;

	session_table_fini(t);
	free(t);
	return 0;
}

/* ---- the table ---- */

static void id_of(char *buf, size_t sz, uint32_t i)
{
	snprintf(buf, sz, "client-%u", i);
}

static void test_table_many(void **state)
{
	struct session_table *t = *state;
	enum { N = 10000 };
	struct session **all = calloc(N, sizeof(*all));
	char id[32];

	assert_non_null(all);
	assert_int_equal(t->n, 0);
	id_of(id, sizeof(id), 0);
	assert_null(session_find(t, id, strlen(id)));
	for (uint32_t i = 0; i < N; i++) {
		id_of(id, sizeof(id), i);
		all[i] = session_create(t, id, strlen(id));
		assert_non_null(all[i]);
		assert_string_equal(all[i]->client_id, id);
		assert_int_equal(strlen(all[i]->client_id), strlen(id));
		assert_null(all[i]->client);
		assert_int_equal(all[i]->n_subs, 0);
		assert_int_equal(session_queue_count(all[i]), 0);
		assert_int_equal(qos_out_active(&all[i]->qos), 0);
	}
	assert_int_equal(t->n, N);
	/* grown: the load stays at most two sessions per bucket */
	assert_true(2 * t->nb >= N);
	assert_int_equal(t->nb & (t->nb - 1), 0);
	for (uint32_t i = 0; i < N; i++) {
		id_of(id, sizeof(id), i);
		assert_ptr_equal(session_find(t, id, strlen(id)), all[i]);
	}
	/* not there: other ids, prefixes, and a length that cuts a real id short */
	for (uint32_t i = N; i < N + 100; i++) {
		id_of(id, sizeof(id), i);
		assert_null(session_find(t, id, strlen(id)));
	}
	assert_null(session_find(t, "client-", 7));
	assert_ptr_equal(session_find(t, "client-123", 10), all[123]);
	assert_ptr_equal(session_find(t, "client-1234", 9), all[12]);

	/* destroy every other one */
	for (uint32_t i = 0; i < N; i += 2)
		session_destroy(t, all[i]);
	assert_int_equal(t->n, N / 2);
	for (uint32_t i = 0; i < N; i++) {
		id_of(id, sizeof(id), i);
		if (i % 2)
			assert_ptr_equal(session_find(t, id, strlen(id)), all[i]);
		else
			assert_null(session_find(t, id, strlen(id)));
	}
	/* re-create some of the destroyed ones: new sessions, found again */
	for (uint32_t i = 0; i < 200; i += 2) {
		id_of(id, sizeof(id), i);
		all[i] = session_create(t, id, strlen(id));
		assert_non_null(all[i]);
		assert_ptr_equal(session_find(t, id, strlen(id)), all[i]);
	}
	assert_int_equal(t->n, N / 2 + 100);
	free(all); /* the rest go with session_table_fini (LeakSanitizer checks) */
}

/* Ids are byte strings: any byte but NUL, compared on length and content. */
static void test_table_binary_ids(void **state)
{
	struct session_table *t = *state;
	static const struct {
		const char *id;
		size_t len;
	} ids[] = {
		{ "", 0 },
		{ "a", 1 },
		{ "ab", 2 },
		{ "abc", 3 },
		{ "\x01", 1 },
		{ "\xff", 1 },
		{ "\xff\xfe", 2 },
		{ "\xfe\xff", 2 },
		{ "\x01\x02\x03\x7f\x80\xc3\xa9", 7 },
		{ "\x01\x02\x03\x7f\x80\xc3\xaa", 7 },
		{ "caf\xc3\xa9", 5 },
		{ " ", 1 },
		{ "  ", 2 },
		{ "\t\n\r", 3 },
		{ "%s%n", 4 },
		{ "A", 1 },
	};
	enum { N = sizeof(ids) / sizeof(ids[0]) };
	struct session *s[N];
	char longid[65535];

	for (size_t i = 0; i < N; i++) {
		s[i] = session_create(t, ids[i].id, ids[i].len);
		assert_non_null(s[i]);
		assert_int_equal(strlen(s[i]->client_id), ids[i].len);
		assert_memory_equal(s[i]->client_id, ids[i].id, ids[i].len);
		assert_int_equal(s[i]->client_id[ids[i].len], 0);
	}
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(session_find(t, ids[i].id, ids[i].len), s[i]);
	assert_null(session_find(t, "abcd", 4));
	assert_null(session_find(t, "\xff\xff", 2));
	assert_null(session_find(t, "B", 1));

	/* the longest id MQTT allows */
	for (size_t i = 0; i < sizeof(longid); i++)
		longid[i] = (char)(1 + i % 255);
	{
		struct session *l = session_create(t, longid, sizeof(longid));

		assert_non_null(l);
		assert_int_equal(strlen(l->client_id), 65535);
		assert_ptr_equal(session_find(t, longid, sizeof(longid)), l);
		assert_null(session_find(t, longid, sizeof(longid) - 1));
		longid[40000] ^= 0x55;
		assert_null(session_find(t, longid, sizeof(longid)));
		session_destroy(t, l);
	}

	for (size_t i = 0; i < N; i += 3)
		session_destroy(t, s[i]);
	for (size_t i = 0; i < N; i++) {
		struct session *f = session_find(t, ids[i].id, ids[i].len);

		if (i % 3)
			assert_ptr_equal(f, s[i]);
		else
			assert_null(f);
	}
}

struct hid {
	uint32_t h, i;
};

static int hid_cmp(const void *a, const void *b)
{
	const struct hid *x = a, *y = b;

	return x->h != y->h ? (x->h < y->h ? -1 : 1) : 0;
}

/*
 * Two ids with the same 32-bit hash under a fixed seed (a birthday search over 2^18 ids, which
 * finds about eight pairs) still resolve to their own.
 */
static void test_table_full_hash_collision(void **state)
{
	enum { N = 1 << 18 };
	struct session_table *t = *state;
	struct hid *v = malloc(N * sizeof(*v));
	char ia[24], ib[24];
	struct session *a, *b;
	uint32_t i;

	assert_non_null(v);
	assert_int_equal(t->n, 0);
	t->seed = 0x5eed; /* an empty table may be reseeded */
	for (i = 0; i < N; i++) {
		id_of(ia, sizeof(ia), i);
		v[i] = (struct hid){ hash_bytes(t->seed, ia, strlen(ia)), i };
	}
	qsort(v, N, sizeof(*v), hid_cmp);
	for (i = 1; i < N && v[i].h != v[i - 1].h; i++)
		;
	assert_true(i < N);
	id_of(ia, sizeof(ia), v[i - 1].i);
	id_of(ib, sizeof(ib), v[i].i);
	free(v);

	a = session_create(t, ia, strlen(ia));
	b = session_create(t, ib, strlen(ib));
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(hash_bytes(t->seed, ia, strlen(ia)), hash_bytes(t->seed, ib, strlen(ib)));
	assert_ptr_equal(session_find(t, ia, strlen(ia)), a);
	assert_ptr_equal(session_find(t, ib, strlen(ib)), b);
	session_destroy(t, a);
	assert_null(session_find(t, ia, strlen(ia)));
	assert_ptr_equal(session_find(t, ib, strlen(ib)), b);
	session_destroy(t, b);
	assert_null(session_find(t, ib, strlen(ib)));
	assert_int_equal(t->n, 0);
}

/*
 * The id hash is the seeded one of hash.h, and each table has its own seed: which ids share a
 * bucket differs between two tables (an unseeded hash would give both the same values).
 */
static void test_table_seeded(void **state)
{
	struct session_table *t = *state, u;
	uint32_t i, differ = 0;
	struct session *a, *b;
	char id[24];

	assert_int_equal(session_table_init(&u), 0);
	assert_int_not_equal(t->seed, u.seed);
	for (i = 0; i < 64; i++) {
		id_of(id, sizeof(id), i);
		a = session_create(t, id, strlen(id));
		b = session_create(&u, id, strlen(id));
		assert_non_null(a);
		assert_non_null(b);
		assert_ptr_equal(session_find(t, id, strlen(id)), a);
		assert_ptr_equal(session_find(&u, id, strlen(id)), b);
		differ += hash_bytes(t->seed, id, strlen(id)) != hash_bytes(u.seed, id, strlen(id));
	}
	assert_true(differ >= 62); /* equal by chance: 2^-32 each */
	session_table_fini(&u);
}

struct visit {
	uint32_t calls;
	uint64_t gen;
	struct session_table *t;
	bool destroy;
};

static void visit_fn(void *ctx, struct session *s)
{
	struct visit *v = ctx;

	v->calls++;
	assert_int_not_equal(s->match_gen, v->gen); /* once per session */
	s->match_gen = v->gen;
	if (v->destroy)
		session_destroy(v->t, s);
}

static void test_foreach_visits_all(void **state)
{
	struct session_table *t = *state;
	struct visit v = { .gen = 1, .t = t };
	enum { N = 3000 };
	char id[32];

	session_foreach(t, visit_fn, &v);
	assert_int_equal(v.calls, 0);
	for (uint32_t i = 0; i < N; i++) {
		id_of(id, sizeof(id), i);
		assert_non_null(session_create(t, id, strlen(id)));
	}
	session_foreach(t, visit_fn, &v);
	assert_int_equal(v.calls, N);
	for (uint32_t i = 0; i < N; i++) {
		id_of(id, sizeof(id), i);
		assert_int_equal(session_find(t, id, strlen(id))->match_gen, 1);
	}
	/* fn may destroy the session it is given */
	v.calls = 0;
	v.gen = 2;
	v.destroy = true;
	session_foreach(t, visit_fn, &v);
	assert_int_equal(v.calls, N);
	assert_int_equal(t->n, 0);
	v.calls = 0;
	session_foreach(t, visit_fn, &v);
	assert_int_equal(v.calls, 0);
}

/* Destroying a session releases what it holds: queued messages and the QoS window. */
static void test_destroy_releases_messages(void **state)
{
	struct session_table *t = *state;
	struct session *s = session_create(t, "c", 1);
	struct msg *m = mk("hello");
	uint16_t pid;

	assert_non_null(s);
	for (int i = 0; i < 5; i++)
		assert_int_equal(session_queue_push(s, m, 1, 0, 0, 0, 0), 0);
	assert_int_equal(qos_out_add(&s->qos, m, 1, 0, 0, &pid), 0);
	assert_int_equal(qos_out_add(&s->qos, m, 2, 0, 0, &pid), 0);
	assert_int_equal(qos_rx2_add(&s->qos, 3), 0);
	assert_int_equal(session_sub_set(s, "a/#", 3, 1, 0), 0);
	assert_int_equal(m->rb.refs, 8);
	session_destroy(t, s);
	assert_int_equal(m->rb.refs, 1);
	assert_int_equal(t->n, 0);
	msg_unref(m);
}

/*
 * Share tags (4.8.2 redelivery): a tag names a subscription by index + 1; deleting a
 * subscription clears the tags of its messages (in flight and queued) and moves later ones
 * down, so each tag still names the same filter; a window compaction keeps them.
 */
static void test_share_tags(void **state)
{
	struct session_table *t = *state;
	struct session *s = session_create(t, "c", 1);
	struct msg *m = mk("x");
	uint16_t pid, pids[3], tag_b, tag_c;
	uint32_t i;

	assert_non_null(s);
	assert_int_equal(session_sub_set(s, "$share/g/a", 10, 1, 0), 0);
	assert_int_equal(session_sub_set(s, "$share/g/b", 10, 1, 0), 0);
	assert_int_equal(session_sub_set(s, "$share/h/c", 10, 1, 0), 0);
	assert_int_equal(session_share_tag(s, "$share/g/a", 10), 1);
	tag_b = session_share_tag(s, "$share/g/b", 10);
	tag_c = session_share_tag(s, "$share/h/c", 10);
	assert_int_equal(tag_b, 2);
	assert_int_equal(tag_c, 3);
	assert_int_equal(session_share_tag(s, "$share/g/x", 10), 0);
	assert_null(session_share_sub(s, 0));
	assert_null(session_share_sub(s, 4));
	assert_string_equal(session_share_sub(s, tag_c)->filter, "$share/h/c");
	/* new entries start untagged; in flight a, b, c (a acked later), queued a, b, c, none */
	for (i = 0; i < 3; i++) {
		assert_int_equal(qos_out_add(&s->qos, m, 1, 0, 0, &pids[i]), 0);
		assert_int_equal(qos_out_last(&s->qos)->share, 0);
		qos_out_last(&s->qos)->share = (uint16_t)(i + 1);
		assert_int_equal(session_queue_push(s, m, 1, 0, 0, 0, 0), 0);
		assert_int_equal(session_queue_last(s)->share, 0);
		session_queue_last(s)->share = (uint16_t)(i + 1);
	}
	assert_int_equal(session_queue_push(s, m, 1, 0, 0, 0, 0), 0);
	assert_int_equal(qos_out_ack(&s->qos, MQTT_PUBACK, pids[1]), QOS_ACK_DONE); /* a hole */
	/* the first subscription goes: its messages lose the tag, the others move down */
	assert_int_equal(session_sub_del(s, "$share/g/a", 10), 0);
	assert_int_equal(session_share_tag(s, "$share/h/c", 10), 2);
	i = 0;
	assert_int_equal(qos_out_at(&s->qos, &i)->share, 0);
	assert_int_equal(qos_out_at(&s->qos, &i)->share, 2);
	assert_null(qos_out_at(&s->qos, &i));
	assert_int_equal(session_queue_at(s, 0)->share, 0);
	assert_int_equal(session_queue_at(s, 1)->share, 1);
	assert_int_equal(session_queue_at(s, 2)->share, 2);
	assert_int_equal(session_queue_at(s, 3)->share, 0);
	assert_string_equal(session_share_sub(s, 2)->filter, "$share/h/c");
	/* a window compaction (growth past the holes) keeps the tags in order */
	for (i = 0; i < 40; i++)
		assert_int_equal(qos_out_add(&s->qos, m, 1, 0, 0, &pid), 0);
	i = 0;
	assert_int_equal(qos_out_at(&s->qos, &i)->share, 0);
	assert_int_equal(qos_out_at(&s->qos, &i)->share, 2);
	/* the last one goes: the tags that named it are cleared, none other changes */
	assert_int_equal(session_sub_del(s, "$share/h/c", 10), 0);
	i = 0;
	assert_int_equal(qos_out_at(&s->qos, &i)->share, 0);
	assert_int_equal(qos_out_at(&s->qos, &i)->share, 0);
	assert_int_equal(session_queue_at(s, 1)->share, 1);
	assert_int_equal(session_queue_at(s, 2)->share, 0);
	session_destroy(t, s);
	msg_unref(m);
}

/* session_table_fini does the same for every session left. */
static void test_table_fini_releases_messages(void **state)
{
	struct session_table t;
	struct msg *m = mk("x");
	char id[32];

	(void)state;
	assert_int_equal(session_table_init(&t), 0);
	for (uint32_t i = 0; i < 300; i++) {
		struct session *s;
		uint16_t pid;

		id_of(id, sizeof(id), i);
		s = session_create(&t, id, strlen(id));
		assert_non_null(s);
		assert_int_equal(session_queue_push(s, m, 0, 0, 0, 0, 0), 0);
		assert_int_equal(qos_out_add(&s->qos, m, 1, 0, 0, &pid), 0);
	}
	assert_int_equal(m->rb.refs, 601);
	session_table_fini(&t);
	assert_int_equal(m->rb.refs, 1);
	assert_null(t.b);
	msg_unref(m);
}

/* ---- subscriptions ---- */

static void expect_subs(const struct session *s, const char *const *want, uint32_t n)
{
	assert_int_equal(s->n_subs, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(s->subs[i].len, strlen(want[i]));
		assert_string_equal(s->subs[i].filter, want[i]);
	}
}

static void test_subs_order(void **state)
{
	struct session_table *t = *state;
	struct session *s = session_create(t, "subs", 4);

	assert_non_null(s);
	assert_int_equal(session_sub_del(s, "a", 1), -ENOENT);
	assert_int_equal(session_sub_set(s, "a/b", 3, 1, 10), 0);
	assert_int_equal(session_sub_set(s, "a/b/c", 5, 2, 11), 0);
	assert_int_equal(session_sub_set(s, "a/", 2, 0, 0), 0);
	assert_int_equal(session_sub_set(s, "#", 1, 1, 13), 0);
	/* the filter is taken by length: trailing bytes are not part of it */
	assert_int_equal(session_sub_set(s, "+/x////", 3, 0, 14), 0);
	{
		static const char *const want[] = { "a/b", "a/b/c", "a/", "#", "+/x" };

		expect_subs(s, want, 5);
	}

	/* replace: same place, new options */
	assert_int_equal(session_sub_set(s, "a/b/c", 5, 0x26, 99), 1);
	assert_int_equal(s->subs[1].opts, 0x26);
	assert_int_equal(s->subs[1].sub_id, 99);
	assert_int_equal(s->subs[0].opts, 1);
	assert_int_equal(s->subs[0].sub_id, 10);
	{
		static const char *const want[] = { "a/b", "a/b/c", "a/", "#", "+/x" };

		expect_subs(s, want, 5);
	}

	/* delete from the middle, the front and the end; order of the rest is kept */
	assert_int_equal(session_sub_del(s, "a/", 2), 0);
	assert_int_equal(session_sub_del(s, "a/", 2), -ENOENT);
	assert_int_equal(session_sub_del(s, "a/b/", 4), -ENOENT); /* prefix of a filter */
	assert_int_equal(session_sub_del(s, "a", 1), -ENOENT);
	{
		static const char *const want[] = { "a/b", "a/b/c", "#", "+/x" };

		expect_subs(s, want, 4);
	}
	assert_int_equal(session_sub_del(s, "a/b", 3), 0);
	assert_int_equal(session_sub_del(s, "+/x", 3), 0);
	{
		static const char *const want[] = { "a/b/c", "#" };

		expect_subs(s, want, 2);
	}
	assert_int_equal(s->subs[0].opts, 0x26);
	assert_int_equal(s->subs[0].sub_id, 99);
	assert_int_equal(s->subs[1].sub_id, 13);

	/* a deleted filter subscribed again goes to the end */
	assert_int_equal(session_sub_set(s, "a/b", 3, 2, 7), 0);
	{
		static const char *const want[] = { "a/b/c", "#", "a/b" };

		expect_subs(s, want, 3);
	}
	assert_int_equal(s->subs[2].opts, 2);
	session_destroy(t, s);
}

static void test_subs_many(void **state)
{
	struct session_table *t = *state;
	struct session *s = session_create(t, "many", 4);
	enum { N = 500 };
	char f[32];

	assert_non_null(s);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(f, sizeof(f), "t/%u/+", i);
		assert_int_equal(session_sub_set(s, f, strlen(f), (uint8_t)(i % 3), i), 0);
	}
	for (uint32_t i = 0; i < N; i += 5) {
		snprintf(f, sizeof(f), "t/%u/+", i);
		assert_int_equal(session_sub_set(s, f, strlen(f), 2, i + 1000), 1);
	}
	assert_int_equal(s->n_subs, N);
	for (uint32_t i = 0; i < N; i += 2) {
		snprintf(f, sizeof(f), "t/%u/+", i);
		assert_int_equal(session_sub_del(s, f, strlen(f)), 0);
	}
	assert_int_equal(s->n_subs, N / 2);
	for (uint32_t k = 0; k < s->n_subs; k++) {
		uint32_t i = 2 * k + 1;

		snprintf(f, sizeof(f), "t/%u/+", i);
		assert_string_equal(s->subs[k].filter, f);
		assert_int_equal(s->subs[k].sub_id, i % 5 ? i : i + 1000);
		assert_int_equal(s->subs[k].opts, i % 5 ? i % 3 : 2);
	}
	/* the array has no capacity field: regrowing after deletions crosses the powers of two
	 * from a count that was never one (ASan catches a write past the end) */
	for (uint32_t i = 0; i < N; i++) {
		snprintf(f, sizeof(f), "u/%u", i);
		assert_int_equal(session_sub_set(s, f, strlen(f), 1, i), 0);
	}
	assert_int_equal(s->n_subs, N / 2 + N);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(f, sizeof(f), "u/%u", i);
		assert_string_equal(s->subs[N / 2 + i].filter, f);
	}
	while (s->n_subs > 1)
		assert_int_equal(session_sub_del(s, s->subs[0].filter, s->subs[0].len), 0);
	for (uint32_t i = 0; i < 9; i++) {
		snprintf(f, sizeof(f), "v/%u", i);
		assert_int_equal(session_sub_set(s, f, strlen(f), 0, i), 0);
	}
	assert_int_equal(s->n_subs, 10);
	assert_string_equal(s->subs[9].filter, "v/8");
	session_destroy(t, s);
}

/* ---- the queue ---- */

static void test_queue_fifo_wrap_growth(void **state)
{
	struct session_table *t = *state;
	struct session *s = session_create(t, "q", 1);
	struct msg *m[64];
	struct session_queued e;
	uint64_t bytes = 0;
	uint32_t next_in = 0, next_out = 0;
	char p[16];

	assert_non_null(s);
	for (int i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), "m%d", i);
		m[i] = mk(p);
	}
	/* a new session holds neither a queue nor QoS state until a message needs one
	 * (README "Footprint": an idle connection's session) */
	assert_null(s->q);
	assert_null(s->qos.r);
	assert_int_equal(session_queue_count(s), 0);
	assert_int_equal(session_queue_bytes(s), 0);
	assert_null(session_queue_last(s));
	assert_false(session_queue_pop(s, &e));
	assert_null(s->q);

#define PUSH()                                                                                    \
	do {                                                                                      \
		struct msg *x = m[next_in % 64];                                                  \
		assert_int_equal(session_queue_push(s, x, (uint8_t)(next_in % 3),                 \
						    (uint8_t)(next_in % 2), next_in, 0, 0),       \
				 0);                                                              \
		bytes += msg_size(x);                                                             \
		next_in++;                                                                        \
	} while (0)
#define POP()                                                                                     \
	do {                                                                                      \
		assert_true(session_queue_pop(s, &e));                                            \
		assert_ptr_equal(e.msg, m[next_out % 64]);                                        \
		assert_int_equal(e.qos, next_out % 3);                                            \
		assert_int_equal(e.retain, next_out % 2);                                         \
		assert_int_equal(e.sub_id, next_out);                                             \
		bytes -= msg_size(e.msg);                                                         \
		msg_unref(e.msg); /* the caller owns the popped reference */                      \
		next_out++;                                                                       \
	} while (0)

	for (int i = 0; i < 5; i++)
		PUSH();
	for (int i = 0; i < 3; i++)
		POP();
	assert_int_equal(s->q->cap, 8);
	for (int i = 0; i < 6; i++)
		PUSH(); /* wraps: head 3, 8 queued */
	assert_int_equal(session_queue_count(s), 8);
	assert_true(s->q->head + s->q->count > s->q->cap);
	assert_int_equal(session_queue_bytes(s), bytes);
	for (int i = 0; i < 20; i++)
		PUSH(); /* grows while wrapped */
	assert_int_equal(s->q->cap, 32);
	assert_int_equal(session_queue_bytes(s), bytes);
	/* steady churn across the wrap point */
	for (int r = 0; r < 500; r++) {
		for (int i = 0; i < 3; i++)
			POP();
		for (int i = 0; i < 3 + r % 2; i++)
			PUSH();
		assert_int_equal(session_queue_count(s), next_in - next_out);
		assert_int_equal(session_queue_bytes(s), bytes);
	}
	while (session_queue_count(s))
		POP();
	assert_false(session_queue_pop(s, &e));
	assert_int_equal(session_queue_bytes(s), 0);
	assert_int_equal(next_in, next_out);
	/* a big ring is given back when it drains */
	assert_null(s->q);
	PUSH();
	POP();
#undef PUSH
#undef POP
	for (int i = 0; i < 64; i++) {
		assert_int_equal(m[i]->rb.refs, 1);
		msg_unref(m[i]);
	}
	session_destroy(t, s);
}

struct limit_case {
	const char *name;
	uint32_t max_msgs;
	uint64_t max_bytes; /* in units of msg_size(small); -1: one byte less than that */
	int64_t bytes_adj;
	int accepted; /* pushes of the small message accepted before -ENOBUFS */
};

static const struct limit_case limit_cases[] = {
	{ "no limits", 0, 0, 0, 100 },
	{ "max_msgs 1", 1, 0, 0, 1 },
	{ "max_msgs 3", 3, 0, 0, 3 },
	{ "bytes exactly 3", 0, 3, 0, 3 },
	{ "bytes 3 minus one", 0, 3, -1, 2 },
	{ "bytes 3 plus one", 0, 3, 1, 3 },
	{ "bytes below one", 0, 1, -1, 0 },
	{ "both, msgs binds", 2, 10, 0, 2 },
	{ "both, bytes binds", 10, 2, 0, 2 },
};

static void test_queue_limits(void **state)
{
	struct session_table *t = *state;
	struct msg *small = mk("0123456789");

	for (size_t c = 0; c < sizeof(limit_cases) / sizeof(limit_cases[0]); c++) {
		const struct limit_case *tc = &limit_cases[c];
		struct session *s = session_create(t, tc->name, strlen(tc->name));
		uint64_t maxb = tc->max_bytes
					? (uint64_t)((int64_t)(tc->max_bytes * msg_size(small)) +
						     tc->bytes_adj)
					: 0;
		int ok = 0, r;
		struct session_queued e;

		assert_non_null(s);
		while (ok < 100 &&
		       (r = session_queue_push(s, small, 1, 0, 0, tc->max_msgs, maxb)) == 0)
			ok++;
		if (ok != tc->accepted)
			fail_msg("%s: %d accepted, want %d", tc->name, ok, tc->accepted);
		if (ok < 100) {
			assert_int_equal(r, -ENOBUFS);
			/* a refused push takes no reference and changes nothing */
			assert_int_equal(small->rb.refs, 1 + ok);
			assert_int_equal(session_queue_count(s), ok);
			assert_int_equal(session_queue_bytes(s), ok * msg_size(small));
			/* room again after a pop */
			if (ok) {
				assert_true(session_queue_pop(s, &e));
				msg_unref(e.msg);
				assert_int_equal(session_queue_push(s, small, 1, 0, 0, tc->max_msgs,
								    maxb),
						 0);
				assert_int_equal(session_queue_push(s, small, 1, 0, 0, tc->max_msgs,
								    maxb),
						 -ENOBUFS);
			}
		}
		session_queue_clear(s);
		assert_int_equal(small->rb.refs, 1);
		session_destroy(t, s);
	}
	msg_unref(small);
}

/* Bytes are accounted per message with msg_size(): topic, properties and payload. */
static void test_queue_limit_mixed_sizes(void **state)
{
	struct session_table *t = *state;
	struct session *s = session_create(t, "mixed", 5);
	static const uint8_t props[] = { 0x01, 0x01, 0x23, 0x00, 0x05 };
	struct msg *a = mk("a");
	struct msg *big = msg_new(NULL, "some/longer/topic", 17,
				  "0123456789012345678901234567890123456789", 40, props,
				  sizeof(props), 2, 1, 0, NULL);
	uint64_t limit;
	struct session_queued e;

	assert_non_null(s);
	assert_non_null(big);
	assert_int_equal(msg_size(big), sizeof(struct msg) + 17 + 1 + sizeof(props) + 40);
	assert_true(msg_size(big) > msg_size(a));
	limit = msg_size(a) + msg_size(big);

	assert_int_equal(session_queue_push(s, big, 2, 0, 0, 0, limit), 0);
	assert_int_equal(session_queue_push(s, big, 2, 0, 0, 0, limit), -ENOBUFS);
	assert_int_equal(session_queue_push(s, a, 1, 0, 0, 0, limit), 0); /* exactly full */
	assert_int_equal(session_queue_bytes(s), limit);
	assert_int_equal(session_queue_push(s, a, 1, 0, 0, 0, limit), -ENOBUFS);
	/* no limit set: always accepted */
	assert_int_equal(session_queue_push(s, a, 1, 0, 0, 0, 0), 0);
	assert_int_equal(session_queue_bytes(s), limit + msg_size(a));
	/* popping the big one frees its bytes */
	assert_true(session_queue_pop(s, &e));
	assert_ptr_equal(e.msg, big);
	msg_unref(e.msg);
	assert_int_equal(session_queue_bytes(s), 2 * msg_size(a));
	assert_int_equal(session_queue_push(s, big, 2, 0, 0, 0, limit), -ENOBUFS);
	assert_int_equal(session_queue_push(s, big, 2, 0, 0, 0, limit + msg_size(a)), 0);
	session_destroy(t, s);
	assert_int_equal(a->rb.refs, 1);
	assert_int_equal(big->rb.refs, 1);
	msg_unref(a);
	msg_unref(big);
}

static void test_queue_clear_releases(void **state)
{
	struct session_table *t = *state;
	struct session *s = session_create(t, "clear", 5);
	struct msg *a = mk("a"), *b = mk("bb");
	struct session_queued e;

	assert_non_null(s);
	for (int i = 0; i < 100; i++)
		assert_int_equal(session_queue_push(s, i % 3 ? a : b, 1, 0, 0, 0, 0), 0);
	assert_int_equal(a->rb.refs, 1 + 66);
	assert_int_equal(b->rb.refs, 1 + 34);
	/* move the head off zero before clearing */
	for (int i = 0; i < 7; i++) {
		assert_true(session_queue_pop(s, &e));
		msg_unref(e.msg);
	}
	session_queue_clear(s);
	assert_int_equal(a->rb.refs, 1);
	assert_int_equal(b->rb.refs, 1);
	assert_int_equal(session_queue_count(s), 0);
	assert_int_equal(session_queue_bytes(s), 0);
	assert_false(session_queue_pop(s, &e));
	session_queue_clear(s); /* on an empty queue: nothing */
	assert_int_equal(session_queue_push(s, a, 1, 0, 0, 0, 0), 0);
	assert_true(session_queue_pop(s, &e));
	assert_ptr_equal(e.msg, a);
	msg_unref(e.msg);
	session_destroy(t, s);
	msg_unref(a);
	msg_unref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_many, setup_table, teardown_table),
		cmocka_unit_test_setup_teardown(test_table_binary_ids, setup_table, teardown_table),
		cmocka_unit_test_setup_teardown(test_table_full_hash_collision, setup_table,
						teardown_table),
		cmocka_unit_test_setup_teardown(test_table_seeded, setup_table, teardown_table),
		cmocka_unit_test_setup_teardown(test_foreach_visits_all, setup_table,
						teardown_table),
		cmocka_unit_test_setup_teardown(test_destroy_releases_messages, setup_table,
						teardown_table),
		cmocka_unit_test(test_table_fini_releases_messages),
		cmocka_unit_test_setup_teardown(test_share_tags, setup_table, teardown_table),
		cmocka_unit_test_setup_teardown(test_subs_order, setup_table, teardown_table),
		cmocka_unit_test_setup_teardown(test_subs_many, setup_table, teardown_table),
		cmocka_unit_test_setup_teardown(test_queue_fifo_wrap_growth, setup_table,
						teardown_table),
		cmocka_unit_test_setup_teardown(test_queue_limits, setup_table, teardown_table),
		cmocka_unit_test_setup_teardown(test_queue_limit_mixed_sizes, setup_table,
						teardown_table),
		cmocka_unit_test_setup_teardown(test_queue_clear_releases, setup_table,
						teardown_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
