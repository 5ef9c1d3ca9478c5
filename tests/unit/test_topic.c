/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/mqtt/topic.c: subscriptions (overlap, replace, remove), shared
 * subscriptions (rotation, strategies, filters, groups) and allocation failures (outside
 * sanitizer builds). Validation, matching and the retained store: test_topic_*.c.
 */
#include "topic_test.h"

/* ---- allocation failure injection (not under ASan, which owns malloc) ---- */

#if defined(__SANITIZE_ADDRESS__)
#define FAULTS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULTS 0
#endif
#endif
#ifndef FAULTS
#define FAULTS 1
#endif

#if FAULTS
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static long fault_countdown = -1; /* fail the allocation this many allocations from now */
static long fault_live;		  /* allocations not yet freed */

static int fault_hit(void)
{
	return fault_countdown >= 0 && fault_countdown-- == 0;
}

void *malloc(size_t n)
{
	void *p = fault_hit() ? NULL : __libc_malloc(n);

	fault_live += p != NULL;
	return p;
}

void *calloc(size_t n, size_t m)
{
	void *p = fault_hit() ? NULL : __libc_calloc(n, m);

	fault_live += p != NULL;
	return p;
}

void *realloc(void *o, size_t n)
{
	void *p = fault_hit() ? NULL : __libc_realloc(o, n);

	fault_live += p && !o;
	return p;
}

void free(void *p)
{
	fault_live -= p != NULL;
	__libc_free(p);
}
#endif

/* ---- subscriptions ---- */

static void test_overlap_replace_remove(void **state)
{
	struct topic_tree *t = tree(NULL);

	(void)state;
	assert_int_equal(add(t, "a/+", 1, 0, 1), 0);
	assert_int_equal(add(t, "a/#", 1, 1, 2), 0);
	assert_int_equal(add(t, "+/b", 1, 2, 3), 0);
	assert_int_equal(add(t, "#", 1, 0, 4), 0);
	assert_int_equal(add(t, "a/b", 2, 0, 5), 0);
	/* one report per matching filter, even for one subscriber */
	assert_int_equal(match(t, "a/b", &H1), 5);
	assert_int_equal(match(t, "a", &H1), 2); /* a/# and # */
	assert_int_equal(topic_sub_count(t), 5);

	/* replace: same (subscriber, filter) updates opts and sub_id, count unchanged */
	assert_int_equal(add(t, "a/+", 1, 0x2a, 99), 1);
	assert_int_equal(topic_sub_count(t), 5);
	match(t, "a/x", &H1);
	assert_int_equal(H1.n, 3);
	assert_int_equal(H1.h[0].id + H1.h[1].id + H1.h[2].id, 99 + 2 + 4);
	/* our output bit is not stored */
	assert_int_equal(add(t, "a/+", 1, 0x80 | 2, 98), 1);
	match(t, "a/x", &H1);
	for (size_t i = 0; i < H1.n; i++)
		if (H1.h[i].id == 98)
			assert_int_equal(H1.h[i].opts, 2);
	/* different subscriber on the same filter is a new subscription */
	assert_int_equal(add(t, "a/+", 3, 0, 7), 0);
	assert_int_equal(topic_sub_count(t), 6);

	/* remove */
	assert_int_equal(del(t, "a/+", 2), -ENOENT);
	assert_int_equal(del(t, "a/c", 1), -ENOENT);
	assert_int_equal(del(t, "a/b/c", 2), -ENOENT);
	assert_int_equal(del(t, "$share/g/a/+", 1), -ENOENT);
	assert_int_equal(del(t, "a/+/", 1), -ENOENT);
	assert_int_equal(del(t, "a/#/b", 1), -EINVAL);
	assert_int_equal(del(t, "", 1), -EINVAL);
	assert_int_equal(del(t, "a/+", 1), 0);
	assert_int_equal(del(t, "a/+", 1), -ENOENT);
	assert_int_equal(topic_sub_count(t), 5);
	assert_int_equal(match(t, "a/b", &H1), 5);

	/* invalid filters are refused */
	assert_int_equal(add(t, "a/#/b", 1, 0, 0), -EINVAL);
	assert_int_equal(add(t, "$share/g", 1, 0, 0), -EINVAL);
	assert_int_equal(add(t, "", 1, 0, 0), -EINVAL);
	assert_int_equal(topic_sub_count(t), 5);

	/* the seed can only be set while nothing is stored */
	assert_int_equal(topic_tree_set_seed(t, 1), -EBUSY);
	topic_tree_free(t, NULL);
}

static bool offline[8];

static bool member_ok(void *subscriber)
{
	return !offline[(uintptr_t)subscriber - 0x1000];
}

/* Subscribers of the single shared delivery of each match, in order. */
static void shared_seq(struct topic_tree *t, const char *topic, int n, char *out)
{
	int i;

	for (i = 0; i < n; i++) {
		match(t, topic, &H1);
		assert_int_equal(H1.n, 1);
		assert_true(H1.h[0].opts & TOPIC_OPT_SHARED);
		out[i] = (char)('A' + (uintptr_t)H1.h[0].sub - 0x1000);
	}
	out[n] = 0;
}

static void test_shared_round_robin(void **state)
{
	struct topic_tree *t = tree(member_ok);
	char seq[32];

	(void)state;
	memset(offline, 0, sizeof(offline));
	assert_int_equal(add(t, "$share/g/s/+", 0, 1, 10), 0);
	assert_int_equal(add(t, "$share/g/s/+", 1, 2, 11), 0);
	assert_int_equal(add(t, "$share/g/s/+", 2, 0, 12), 0);
	assert_int_equal(topic_sub_count(t), 3);
	shared_seq(t, "s/x", 7, seq);
	assert_string_equal(seq, "ABCABCA");
	/* options and sub_id are the chosen member's, with the shared bit */
	match(t, "s/y", &H1);
	assert_ptr_equal(H1.h[0].sub, SUB(1));
	assert_int_equal(H1.h[0].opts, 2 | TOPIC_OPT_SHARED);
	assert_int_equal(H1.h[0].id, 11);
	/* different topics share one rotation: the group is the unit */
	shared_seq(t, "s/z", 2, seq);
	assert_string_equal(seq, "CA");

	/* member_ok: offline members are skipped */
	offline[1] = true;
	shared_seq(t, "s/x", 4, seq);
	assert_string_equal(seq, "CACA");
	/* nobody ok: the plain round robin stands (it was at B) */
	offline[0] = offline[2] = true;
	shared_seq(t, "s/x", 4, seq);
	assert_string_equal(seq, "BCAB");
	memset(offline, 0, sizeof(offline));

	/* replace keeps the member's place */
	assert_int_equal(add(t, "$share/g/s/+", 0, 1, 20), 1);
	assert_int_equal(topic_sub_count(t), 3);
	shared_seq(t, "s/x", 3, seq);
	assert_string_equal(seq, "CAB");
	/* removing a member before the next one in line keeps the rotation on it (C) */
	assert_int_equal(del(t, "$share/g/s/+", 0), 0);
	shared_seq(t, "s/x", 3, seq);
	assert_string_equal(seq, "CBC");
	assert_int_equal(del(t, "$share/g/s/+", 0), -ENOENT);
	assert_int_equal(del(t, "$share/h/s/+", 1), -ENOENT);
	assert_int_equal(del(t, "$share/g/s/#", 1), -ENOENT);
	assert_int_equal(del(t, "s/+", 1), -ENOENT);
	/* a new member joins at the end */
	assert_int_equal(add(t, "$share/g/s/+", 0, 1, 10), 0);
	shared_seq(t, "s/x", 4, seq);
	assert_string_equal(seq, "BCAB");
	/* removing the next one in line passes the turn to the one after it */
	assert_int_equal(del(t, "$share/g/s/+", 2), 0);
	shared_seq(t, "s/x", 2, seq);
	assert_string_equal(seq, "AB");
	assert_int_equal(del(t, "$share/g/s/+", 1), 0);
	shared_seq(t, "s/x", 2, seq);
	assert_string_equal(seq, "AA");
	assert_int_equal(del(t, "$share/g/s/+", 0), 0);
	assert_int_equal(match(t, "s/x", &H1), 0);
	assert_int_equal(topic_sub_count(t), 0);
	assert_int_equal(topic_node_count(t), 0);
	topic_tree_free(t, NULL);
}

/* The other strategies: random, sticky, hash_topic (round robin is above). */
static void test_shared_strategies(void **state)
{
	struct topic_tree *t;
	char seq[64], seq2[64];
	int cnt[3] = {0};

	(void)state;
	memset(offline, 0, sizeof(offline));
	/* random: every member gets some of 600 (about 200 each), reproducible per seed */
	t = tree(member_ok);
	topic_tree_set_share_strategy(t, TOPIC_SHARE_RANDOM);
	for (int i = 0; i < 3; i++)
		assert_int_equal(add(t, "$share/g/s/+", i, 0, 0), 0);
	for (int k = 0; k < 10; k++) {
		shared_seq(t, "s/x", 60, seq);
		for (int i = 0; i < 60; i++)
			cnt[seq[i] - 'A']++;
	}
	for (int i = 0; i < 3; i++)
		assert_in_range(cnt[i], 150, 250);
	assert_string_not_equal(seq,
				"ABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABC");
	/* offline members are passed over */
	offline[0] = offline[1] = true;
	shared_seq(t, "s/x", 20, seq);
	assert_string_equal(seq, "CCCCCCCCCCCCCCCCCCCC");
	memset(offline, 0, sizeof(offline));
	topic_tree_free(t, NULL);

	/* sticky: the same member until it is not ok, then the next one sticks */
	t = tree(member_ok);
	topic_tree_set_share_strategy(t, TOPIC_SHARE_STICKY);
	for (int i = 0; i < 3; i++)
		assert_int_equal(add(t, "$share/g/s/+", i, 0, 0), 0);
	shared_seq(t, "s/x", 4, seq);
	assert_string_equal(seq, "AAAA");
	shared_seq(t, "s/y", 2, seq);
	assert_string_equal(seq, "AA");
	offline[0] = true;
	shared_seq(t, "s/x", 3, seq);
	assert_string_equal(seq, "BBB");
	offline[0] = false; /* A back: B keeps it */
	shared_seq(t, "s/x", 2, seq);
	assert_string_equal(seq, "BB");
	assert_int_equal(del(t, "$share/g/s/+", 1), 0); /* B leaves: the next one in line */
	shared_seq(t, "s/x", 2, seq);
	assert_string_equal(seq, "CC");
	topic_tree_free(t, NULL);

	/* hash_topic: one topic, one member; several topics spread over the members */
	t = tree(member_ok);
	topic_tree_set_share_strategy(t, TOPIC_SHARE_HASH_TOPIC);
	for (int i = 0; i < 3; i++)
		assert_int_equal(add(t, "$share/g/s/+", i, 0, 0), 0);
	memset(cnt, 0, sizeof(cnt));
	for (int k = 0; k < 30; k++) {
		char topic[16];

		snprintf(topic, sizeof(topic), "s/t%d", k);
		shared_seq(t, topic, 5, seq); /* the trie walk, then cache hits */
		for (int i = 1; i < 5; i++)
			assert_int_equal(seq[i], seq[0]);
		shared_seq(t, topic, 1, seq2);
		assert_int_equal(seq2[0], seq[0]);
		cnt[seq[0] - 'A']++;
	}
	for (int i = 0; i < 3; i++)
		assert_true(cnt[i] > 0);
	/* its member offline: the next ok one, the same for every message of the topic */
	shared_seq(t, "s/t0", 1, seq);
	offline[seq[0] - 'A'] = true;
	shared_seq(t, "s/t0", 3, seq2);
	assert_int_not_equal(seq2[0], seq[0]);
	assert_int_equal(seq2[1], seq2[0]);
	assert_int_equal(seq2[2], seq2[0]);
	memset(offline, 0, sizeof(offline));
	topic_tree_free(t, NULL);
}

/* The shared filter a callback reports, copied per hit ("" for non-shared hits). */
static struct topic_tree *sf_tree;
static char sf_seen[4][48];
static int sf_n;

static void collect_share_filter(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	size_t len = 0;
	const char *f = topic_match_share_filter(sf_tree, &len);

	collect(ctx, sub, opts, id);
	assert_int_equal(!!f, !!(opts & TOPIC_OPT_SHARED));
	if (sf_n < 4)
		snprintf(sf_seen[sf_n], sizeof(sf_seen[0]), "%.*s", (int)len, f ? f : "");
	sf_n++;
}

static void sf_sort(void)
{
	qsort(sf_seen, sf_n < 4 ? (size_t)sf_n : 4, sizeof(sf_seen[0]),
	      (int (*)(const void *, const void *))strcmp);
}

/* Which shared subscription delivered (4.8.2 redelivery needs it), and picking a member of
 * one group by its rotation, outside a match. */
static void test_shared_filter_and_pick(void **state)
{
	struct topic_tree *t = tree(member_ok);
	char seq[8];
	int i;

	(void)state;
	memset(offline, 0, sizeof(offline));
	sf_tree = t;
	/* subscriber 0 in two groups whose filters both match, and a plain subscription */
	assert_int_equal(add(t, "$share/g1/a/#", 0, 1, 0), 0);
	assert_int_equal(add(t, "$share/g2/a/+", 0, 1, 0), 0);
	assert_int_equal(add(t, "$share/g1/a/+", 1, 1, 0), 0);
	assert_int_equal(add(t, "a/b", 2, 0, 0), 0);
	for (i = 0; i < 2; i++) { /* the second time from the cache */
		sf_n = 0;
		H1.n = 0;
		topic_match(t, "a/b", 3, collect_share_filter, &H1);
		assert_int_equal(sf_n, 4);
		sf_sort();
		assert_string_equal(sf_seen[0], "");
		assert_string_equal(sf_seen[1], "$share/g1/a/#");
		assert_string_equal(sf_seen[2], "$share/g1/a/+");
		assert_string_equal(sf_seen[3], "$share/g2/a/+");
	}
	assert_null(topic_match_share_filter(t, &(size_t){0}));

	/* pick: the group's own rotation, offline members skipped */
	assert_int_equal(add(t, "$share/g1/a/+", 3, 2, 7), 0);
	for (i = 0; i < 4; i++) {
		H1.n = 0;
		assert_int_equal(topic_share_pick(t, S("$share/g1/a/+"), collect, &H1), 0);
		assert_int_equal(H1.n, 1);
		assert_true(H1.h[0].opts & TOPIC_OPT_SHARED);
		seq[i] = (char)('A' + (uintptr_t)H1.h[0].sub - 0x1000);
	}
	seq[4] = 0;
	assert_string_equal(seq, "BDBD");
	offline[3] = true;
	H1.n = 0;
	assert_int_equal(topic_share_pick(t, S("$share/g1/a/+"), collect, &H1), 0);
	assert_ptr_equal(H1.h[0].sub, SUB(1));
	offline[3] = false;
	H1.n = 0;
	assert_int_equal(topic_share_pick(t, S("$share/g1/a/+"), collect, &H1), 0);
	assert_ptr_equal(H1.h[0].sub, SUB(3));
	assert_int_equal(H1.h[0].id, 7);
	assert_int_equal(topic_share_pick(t, S("$share/g3/a/+"), collect, &H1), -ENOENT);
	assert_int_equal(topic_share_pick(t, S("$share/g1/x"), collect, &H1), -ENOENT);
	assert_int_equal(topic_share_pick(t, S("a/+"), collect, &H1), -EINVAL);
	assert_int_equal(del(t, "$share/g2/a/+", 0), 0);
	assert_int_equal(topic_share_pick(t, S("$share/g2/a/+"), collect, &H1), -ENOENT);
	topic_tree_free(t, NULL);
}

static void test_shared_groups(void **state)
{
	struct topic_tree *t = tree(NULL);
	size_t i, shared = 0, plain = 0;

	(void)state;
	/* group g on two filters that both match: one delivery per (group, filter) */
	assert_int_equal(add(t, "$share/g/a/+", 0, 0, 1), 0);
	assert_int_equal(add(t, "$share/g/a/+", 1, 0, 1), 0);
	assert_int_equal(add(t, "$share/g/a/#", 0, 0, 2), 0);
	/* another group on the same filter is independent */
	assert_int_equal(add(t, "$share/h/a/+", 2, 0, 3), 0);
	/* the same subscriber also subscribed directly */
	assert_int_equal(add(t, "a/+", 0, 0, 4), 0);
	for (int k = 0; k < 3; k++) {
		match(t, "a/b", &H1);
		assert_int_equal(H1.n, 4);
		for (i = 0, shared = 0, plain = 0; i < H1.n; i++) {
			if (H1.h[i].opts & TOPIC_OPT_SHARED)
				shared++;
			else
				plain++;
		}
		assert_int_equal(shared, 3);
		assert_int_equal(plain, 1);
	}
	/* "a" only matches a/# */
	assert_int_equal(match(t, "a", &H1), 1);
	assert_int_equal(H1.h[0].id, 2);
	/* $ rule applies inside $share too */
	assert_int_equal(add(t, "$share/g/#", 0, 0, 5), 0);
	assert_int_equal(add(t, "$share/g/+/x", 0, 0, 6), 0);
	assert_int_equal(match(t, "$SYS/x", &H1), 0);
	assert_int_equal(add(t, "$share/g/$SYS/#", 1, 0, 7), 0);
	assert_int_equal(match(t, "$SYS/x", &H1), 1);
	assert_int_equal(H1.h[0].id, 7);
	assert_int_equal(topic_sub_count(t), 8);
	topic_tree_free(t, NULL);
}

/* ---- allocation failures ---- */

#if FAULTS
/*
 * Fail the k-th allocation of a script, for every k until the script runs clean. After each
 * run: the tree is consistent with what succeeded, empties to zero nodes, and nothing leaks.
 */
static void test_enomem(void **state)
{
	static const char *filters[] = {
	    "a/b/c",	    "a/+/c",	      "a/#", "#", "$share/g/a/b/c",
	    "$share/g/a/#", "$share/h/+/+/+", "x/y"};
	enum { NF = sizeof(filters) / sizeof(filters[0]), NSUBS = 12, NTOP = 40 };
	static int addret[NF][NSUBS];
	static void *setret[NTOP];
	static size_t matched[4];
	char buf[32];
	long k, live0;
	int f, s, i, injected;

	(void)state;
	for (k = 0;; k++) {
		struct topic_tree *t;
		size_t nsub = 0, nret = 0;

		live0 = fault_live;
		t = topic_tree_new(NULL);
		assert_non_null(t);
		fault_countdown = k;
		for (f = 0; f < NF; f++)
			for (s = 0; s < NSUBS; s++)
				addret[f][s] = add(t, filters[f], s, 0, (uint32_t)f);
		for (i = 0; i < 4; i++) {
			H1.n = 0;
			topic_match(t, S("a/b/c"), collect, &H1);
			matched[i] = H1.n;
		}
		for (i = 0; i < NTOP; i++) {
			snprintf(buf, sizeof(buf), "w/%d/%d", i % 3, i);
			setret[i] = rset(t, buf, MSG(i));
		}
		injected = fault_countdown < 0;
		fault_countdown = -1;

		for (f = 0; f < NF; f++)
			for (s = 0; s < NSUBS; s++) {
				assert_true(addret[f][s] == 0 || addret[f][s] == -ENOMEM);
				nsub += addret[f][s] == 0;
			}
		assert_int_equal(topic_sub_count(t), nsub);
		H2.n = 0;
		topic_match(t, S("a/b/c"), collect, &H2);
		for (i = 0; i < 4; i++)
			assert_int_equal(matched[i], H2.n);
		/* a/b/c, a/+/c, a/#, # and one per shared group that has members */
		for (i = 0, s = 0; s < NSUBS; s++)
			i += (addret[0][s] == 0) + (addret[1][s] == 0) + (addret[2][s] == 0) +
			     (addret[3][s] == 0);
		for (f = 4; f < 7; f++)
			for (s = 0; s < NSUBS; s++)
				if (addret[f][s] == 0) {
					i++;
					break;
				}
		assert_int_equal(H2.n, (size_t)i);
		for (i = 0; i < NTOP; i++) {
			snprintf(buf, sizeof(buf), "w/%d/%d", i % 3, i);
			assert_true(setret[i] == NULL || setret[i] == MSG(i));
			nret += !setret[i];
			assert_ptr_equal(topic_retain_get(t, buf, strlen(buf)),
					 setret[i] ? NULL : MSG(i));
		}
		assert_int_equal(topic_retain_count(t), nret);
		for (f = 0; f < NF; f++)
			for (s = 0; s < NSUBS; s++)
				assert_int_equal(del(t, filters[f], s), addret[f][s] ? -ENOENT : 0);
		for (i = 0; i < NTOP; i++) {
			snprintf(buf, sizeof(buf), "w/%d/%d", i % 3, i);
			(void)rset(t, buf, NULL);
		}
		assert_int_equal(topic_node_count(t), 0);
		topic_tree_free(t, NULL);
		assert_int_equal(fault_live, live0);
		if (!injected)
			break;
	}
	print_message("enomem: %ld failure points\n", k);
	assert_true(k > 50);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlap_replace_remove),
		cmocka_unit_test(test_shared_round_robin),
		cmocka_unit_test(test_shared_strategies),
		cmocka_unit_test(test_shared_filter_and_pick),
		cmocka_unit_test(test_shared_groups),
#if FAULTS
		cmocka_unit_test(test_enomem),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
