/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/mqtt/topic_match.c: a matching matrix checked against both
 * topic_matches and the trie (cached and not), a randomized oracle comparison, the exact-topic
 * cache (invalidation, nesting, capacity), wide and deep tries, and a small benchmark that only
 * prints.
 */
#include <time.h>

#include "topic_test.h"

/* ---- the matching matrix ---- */

static void test_matches_matrix(void **state)
{
	struct topic_tree *t;
	size_t i, j, k;

	(void)state;
	for (i = 0; i < NMATRIX; i++) {
		assert_true(topic_filter_valid(matrix[i].f, strlen(matrix[i].f)));
		assert_true(topic_name_valid(matrix[i].t, strlen(matrix[i].t)));
		assert_int_equal(tm(matrix[i].f, matrix[i].t), matrix[i].match);
		/* the same row through the trie, twice: a trie walk, then the cache */
		t = tree(NULL);
		assert_int_equal(add(t, matrix[i].f, 1, 1, 7), 0);
		for (k = 0; k < 2; k++) {
			assert_int_equal(match(t, matrix[i].t, &H1), matrix[i].match);
			if (matrix[i].match) {
				assert_ptr_equal(H1.h[0].sub, SUB(1));
				assert_int_equal(H1.h[0].opts, 1);
				assert_int_equal(H1.h[0].id, 7);
			}
		}
		/* and as a shared subscription */
		{
			char f[128];

			snprintf(f, sizeof(f), "$share/g/%s", matrix[i].f);
			assert_int_equal(add(t, f, 2, 2, 9), 0);
		}
		for (k = 0; k < 2; k++)
			assert_int_equal(match(t, matrix[i].t, &H1), 2 * matrix[i].match);
		topic_tree_free(t, NULL);
	}

	/* every filter of the matrix in one tree, sub_id = row; every topic against all */
	t = tree(NULL);
	for (i = 0; i < NMATRIX; i++)
		assert_true(add(t, matrix[i].f, 1, 0, (uint32_t)i) >= 0);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < NMATRIX; i++) {
			H2.n = 0;
			for (j = 0; j < NMATRIX; j++) {
				/* filters repeat in the table: the last add's sub_id stands */
				size_t last = j, m;

				for (m = j + 1; m < NMATRIX; m++)
					if (!strcmp(matrix[m].f, matrix[j].f))
						last = m;
				if (last == j && tm(matrix[j].f, matrix[i].t))
					collect(&H2, SUB(1), 0, (uint32_t)j);
			}
			hits_sort(&H2);
			match(t, matrix[i].t, &H1);
			assert_hits_equal(&H1, &H2);
		}
	}
	topic_tree_free(t, NULL);
}

/* ---- randomized comparison with topic_matches ---- */

static const char *const rlevels[] = {"a", "b", "", "$x", "ab", "+", "#"};

static void rand_str(char *buf, bool filter)
{
	uint32_t n = 1 + rnd(4), i, l;

	buf[0] = 0;
	for (i = 0; i < n; i++) {
		do
			l = rnd(filter ? 7 : 5);
		while (l == 6 && i + 1 != n);
		if (i)
			strcat(buf, "/");
		strcat(buf, rlevels[l]);
	}
	if (!buf[0]) /* "" is neither a name nor a filter */
		strcpy(buf, "c");
}

struct model_sub {
	char f[64];
	int sub;
	uint8_t opts;
	uint32_t id;
	bool live;
};

static void test_match_random_oracle(void **state)
{
	enum { NSUB = 600, OPS = 20000 };
	struct model_sub *m = calloc(NSUB, sizeof(*m));
	struct topic_tree *t = tree(NULL);
	size_t live = 0, i, checks = 0;
	char buf[64];
	int op, k, ret;
	bool replaced;

	(void)state;
	assert_non_null(m);
	rng_state = 0x1234567;
	for (op = 0; op < OPS; op++) {
		k = (int)rnd(NSUB);
		switch (rnd(5)) {
		case 0:
		case 1: /* add or replace slot k */
			replaced = m[k].live;
			if (!m[k].live) {
				rand_str(m[k].f, true);
				m[k].sub = (int)rnd(4);
			}
			/* another slot may hold the same (filter, subscriber): that is a replace */
			for (i = 0; i < NSUB; i++)
				if ((int)i != k && m[i].live && m[i].sub == m[k].sub &&
				    !strcmp(m[i].f, m[k].f)) {
					m[i].live = false;
					replaced = true;
					live--;
				}
			m[k].opts = (uint8_t)rnd(0x40);
			m[k].id = (uint32_t)op;
			ret = add(t, m[k].f, m[k].sub, m[k].opts, m[k].id);
			assert_int_equal(ret, replaced ? 1 : 0);
			live += !m[k].live;
			m[k].live = true;
			break;
		case 2: /* remove */
			if (!m[k].live) {
				rand_str(buf, true);
				assert_true(del(t, buf, 9) == -ENOENT);
				break;
			}
			assert_int_equal(del(t, m[k].f, m[k].sub), 0);
			assert_int_equal(del(t, m[k].f, m[k].sub), -ENOENT);
			m[k].live = false;
			live--;
			break;
		default: /* match, twice to hit the cache */
			rand_str(buf, false);
			H2.n = 0;
			for (i = 0; i < NSUB; i++)
				if (m[i].live && tm(m[i].f, buf))
					collect(&H2, SUB(m[i].sub), m[i].opts, m[i].id);
			hits_sort(&H2);
			match(t, buf, &H1);
			assert_hits_equal(&H1, &H2);
			match(t, buf, &H1);
			assert_hits_equal(&H1, &H2);
			checks++;
		}
		assert_int_equal(topic_sub_count(t), live);
	}
	print_message("random oracle: %zu checks, %zu subscriptions live\n", checks, live);
	for (i = 0; i < NSUB; i++)
		if (m[i].live)
			assert_int_equal(del(t, m[i].f, m[i].sub), 0);
	assert_int_equal(topic_sub_count(t), 0);
	assert_int_equal(topic_node_count(t), 0);
	topic_tree_free(t, NULL);
	free(m);
}

/* ---- the exact-topic cache ---- */

static void test_cache_invalidation(void **state)
{
	struct topic_tree *t = tree(NULL);
	char seq[16];

	(void)state;
	assert_int_equal(add(t, "a/b", 1, 0, 1), 0);
	assert_int_equal(match(t, "a/b", &H1), 1);
	assert_int_equal(match(t, "a/b", &H1), 1); /* cached now */
	assert_int_equal(match(t, "x", &H1), 0);   /* an empty result is cached too */
	assert_int_equal(add(t, "a/+", 2, 0, 2), 0);
	assert_int_equal(match(t, "a/b", &H1), 2);
	assert_int_equal(add(t, "+", 3, 0, 3), 0);
	assert_int_equal(match(t, "x", &H1), 1);
	assert_int_equal(del(t, "a/b", 1), 0);
	assert_int_equal(match(t, "a/b", &H1), 1);
	assert_ptr_equal(H1.h[0].sub, SUB(2));
	/* a replace changes what the cache must return */
	assert_int_equal(add(t, "a/+", 2, 1, 42), 1);
	match(t, "a/b", &H1);
	assert_int_equal(H1.h[0].id, 42);
	assert_int_equal(H1.h[0].opts, 1);
	/* a failed add or remove changes nothing */
	assert_int_equal(add(t, "a/#/x", 2, 0, 0), -EINVAL);
	assert_int_equal(del(t, "a/c", 2), -ENOENT);
	assert_int_equal(match(t, "a/b", &H1), 1);
	/* shared rotation continues through cache hits and across invalidations */
	assert_int_equal(add(t, "$share/g/a/b", 4, 0, 0), 0);
	assert_int_equal(add(t, "$share/g/a/b", 5, 0, 0), 0);
	assert_int_equal(add(t, "$share/g/a/b", 6, 0, 0), 0);
	for (int i = 0; i < 9; i++) {
		match(t, "a/b", &H1);
		assert_int_equal(H1.n, 2);
		seq[i] = (char)('0' + (uintptr_t)H1.h[1].sub - 0x1000);
	}
	seq[9] = 0;
	assert_string_equal(seq, "456456456");
	assert_int_equal(del(t, "a/+", 2), 0);
	assert_int_equal(match(t, "a/b", &H1), 1);
	assert_ptr_equal(H1.h[0].sub, SUB(4));
	assert_int_equal(del(t, "$share/g/a/b", 5), 0);
	assert_int_equal(match(t, "a/b", &H1), 1);
	assert_ptr_equal(H1.h[0].sub, SUB(6));
	topic_tree_free(t, NULL);
}

/* A callback may match again (it only must not change the tree): that bypasses the cache. */
struct nested {
	struct topic_tree *t;
	int depth;
	size_t inner;
};

static void nested_fn(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	struct nested *ns = ctx;
	char topic[16];

	(void)sub;
	(void)opts;
	(void)id;
	if (ns->depth)
		return;
	ns->depth++;
	for (int i = 0; i < 50; i++) { /* enough distinct topics to fill and grow the cache */
		snprintf(topic, sizeof(topic), "n/%d", i);
		H2.n = 0;
		topic_match(ns->t, topic, strlen(topic), collect, &H2);
		ns->inner += H2.n;
	}
	ns->depth--;
}

static void test_nested_match(void **state)
{
	struct topic_tree *t = tree(NULL);
	struct nested ns = {t, 0, 0};
	int i, round;

	(void)state;
	for (i = 0; i < 40; i++)
		assert_int_equal(add(t, "a/#", i, 0, 0), 0);
	assert_int_equal(add(t, "n/+", 1, 0, 0), 0);
	for (round = 0; round < 3; round++) { /* a fill, then replays */
		ns.inner = 0;
		topic_match(t, S("a/b"), nested_fn, &ns);
		assert_int_equal(ns.inner, 40 * 50);
	}
	assert_int_equal(match(t, "a/b", &H1), 40);
	assert_int_equal(match(t, "n/7", &H1), 1);
	topic_tree_free(t, NULL);
}

static void test_cache_capacity(void **state)
{
	struct topic_tree *t = tree(NULL);
	char buf[64];
	int i, round;

	(void)state;
	/* more distinct topics than the cache holds: correct through clears and growth */
	assert_int_equal(add(t, "t/+/x", 1, 0, 1), 0);
	assert_int_equal(add(t, "t/#", 2, 0, 2), 0);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 10000; i++) {
			snprintf(buf, sizeof(buf), "t/%d/%s", i, i % 2 ? "x" : "y");
			assert_int_equal(match(t, buf, &H1), i % 2 ? 2 : 1);
		}
	/* big fan-out: grows the arena, then is too big to cache and must still be right */
	for (i = 0; i < 20000; i++)
		assert_int_equal(add(t, "big", 100 + i, 0, (uint32_t)i), 0);
	for (round = 0; round < 3; round++) {
		assert_int_equal(match(t, "big", &H1), 20000);
		assert_int_equal(match(t, "t/1/x", &H1), 2);
	}
	for (i = 0; i < 15000; i++)
		assert_int_equal(del(t, "big", 100 + i), 0);
	for (round = 0; round < 3; round++) {
		assert_int_equal(match(t, "big", &H1), 5000);
		assert_int_equal(match(t, "t/1/x", &H1), 2);
	}
	/* a topic longer than the cache takes is walked each time */
	{
		char *lng = malloc(5000);

		assert_non_null(lng);
		memset(lng, 'q', 5000);
		memcpy(lng, "t/", 2);
		assert_int_equal(add(t, "#", 3, 0, 3), 0);
		for (round = 0; round < 2; round++) {
			H1.n = 0;
			topic_match(t, lng, 5000, collect, &H1);
			assert_int_equal(H1.n, 2);
		}
		free(lng);
	}
	topic_tree_free(t, NULL);
}

/* Wide nodes: 10000 siblings (fan-in) are looked up by hash and all found. */
static void test_wide_fanin(void **state)
{
	struct topic_tree *t = tree(NULL);
	char buf[64];
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "fan/%d", i);
		assert_int_equal(add(t, buf, i, 0, (uint32_t)i), 0);
	}
	assert_int_equal(add(t, "fan/+", 99999, 0, 99999), 0);
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "fan/%d", i);
		assert_int_equal(match(t, buf, &H1), 2);
		assert_int_equal(H1.h[0].id, (uint32_t)i);
	}
	assert_int_equal(match(t, "fan/x", &H1), 1);
	/* remove in an order unlike insertion to exercise index deletion and shrinking */
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "fan/%d", (i * 7919) % 10000);
		assert_int_equal(del(t, buf, (i * 7919) % 10000), 0);
		if (i % 997 == 0) {
			int j = (i * 7919 + 7919) % 10000;

			snprintf(buf, sizeof(buf), "fan/%d", j);
			assert_int_equal(match(t, buf, &H1), 2);
		}
	}
	assert_int_equal(topic_node_count(t), 2); /* fan and fan/+ */
	/* many subscribers on one filter also get an index */
	for (i = 0; i < 5000; i++)
		assert_int_equal(add(t, "one", i, 0, 0), 0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(add(t, "one", i, 1, 1), 1);
	for (i = 0; i < 5000; i += 2)
		assert_int_equal(del(t, "one", i), 0);
	assert_int_equal(match(t, "one", &H1), 2500);
	for (i = 1; i < 5000; i += 2)
		assert_int_equal(del(t, "one", i), 0);
	assert_int_equal(del(t, "fan/+", 99999), 0);
	assert_int_equal(topic_node_count(t), 0);
	topic_tree_free(t, NULL);
}

/* 30000 levels: nothing in the module may recurse per level. */
static void test_deep(void **state)
{
	enum { LEVELS = 30000 };
	struct topic_tree *t = tree(NULL);
	size_t len = 2 * LEVELS - 1, i;
	char *topic = malloc(len), *filter = malloc(len);

	(void)state;
	assert_non_null(topic);
	assert_non_null(filter);
	for (i = 0; i < len; i++) {
		topic[i] = i % 2 ? '/' : 'a';
		filter[i] = i % 2 ? '/' : '+';
	}
	assert_int_equal(topic_sub_add(t, filter, len, SUB(1), 0, 1), 0);
	filter[len - 1] = '#';
	assert_int_equal(topic_sub_add(t, filter, len, SUB(2), 0, 2), 0);
	assert_int_equal(topic_sub_add(t, topic, len, SUB(3), 0, 3), 0);
	assert_int_equal(topic_sub_add(t, S("#"), SUB(4), 0, 4), 0);
	for (i = 0; i < 2; i++) {
		H1.n = 0;
		topic_match(t, topic, len, collect, &H1);
		assert_int_equal(H1.n, 4);
	}
	H1.n = 0;
	topic_match(t, topic, len - 2, collect, &H1);
	assert_int_equal(H1.n, 2); /* "+/.../#" (parent rule) and "#" */
	assert_null(topic_retain_set(t, topic, len, MSG(1)));
	assert_null(topic_retain_set(t, topic, len - 2, MSG(2)));
	H1.n = 0;
	topic_retain_match(t, filter, len, rcollect, &H1);
	assert_int_equal(H1.n, 2);
	topic_tree_free(t, NULL);
	free(topic);
	free(filter);
}

/* ---- a micro-benchmark: prints, never asserts on time ---- */

static void nop_fn(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	(void)sub;
	(void)opts;
	(void)id;
	(*(size_t *)ctx)++;
}

static double now_ns(void)
{
	struct timespec ts;

	/* CPU time, not wall time: parallel builds share the machine */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void test_bench(void **state)
{
	enum { N = 200000, NT = 1000, NDEV = 10000 };
	struct topic_tree *t = tree(NULL);
	static char topics[NT][48];
	double t0, hit, miss, inval;
	size_t count = 0;
	char buf[64];
	int i;

	(void)state;
	/* one exact subscription per device, a '+' per site, a '#' and a miss at depth 4 */
	for (i = 0; i < NDEV; i++) {
		snprintf(buf, sizeof(buf), "site/%d/dev%d/temp", i % 100, i);
		assert_int_equal(add(t, buf, i, 0, 0), 0);
	}
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "site/%d/+/temp", i);
		assert_int_equal(add(t, buf, i, 0, 0), 0);
	}
	assert_int_equal(add(t, "site/#", 0, 0, 0), 0);
	assert_int_equal(add(t, "+/+/+/humidity", 0, 0, 0), 0);
	for (i = 0; i < NT; i++)
		snprintf(topics[i], sizeof(topics[i]), "site/%d/dev%d/temp", i * 7 % 100, i * 7);
	assert_int_equal(match(t, topics[5], &H1), 3);

	/* a miss is measured as (invalidate + match) - (invalidate alone) */
	t0 = now_ns();
	for (i = 0; i < N; i++)
		(void)add(t, "inval", 0, 0, (uint32_t)i);
	inval = (now_ns() - t0) / N;
	t0 = now_ns();
	for (i = 0; i < N; i++) {
		(void)add(t, "inval", 0, 0, (uint32_t)i);
		topic_match(t, topics[i % NT], strlen(topics[i % NT]), nop_fn, &count);
	}
	miss = (now_ns() - t0) / N - inval;
	t0 = now_ns();
	for (i = 0; i < N; i++)
		topic_match(t, topics[i % NT], strlen(topics[i % NT]), nop_fn, &count);
	hit = (now_ns() - t0) / N;
	print_message(
	    "bench: %d subscriptions, %d topics, 3 matches each: cache hit %.0f ns/match, "
	    "miss (walk + fill) %.0f ns/match; invalidation %.0f ns (%zu deliveries)\n",
	    NDEV + 102, NT, hit, miss, inval, count);
	topic_tree_free(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches_matrix),
	    cmocka_unit_test(test_match_random_oracle),
	    cmocka_unit_test(test_cache_invalidation),
	    cmocka_unit_test(test_nested_match),
	    cmocka_unit_test(test_cache_capacity),
	    cmocka_unit_test(test_wide_fanin),
	    cmocka_unit_test(test_deep),
	    cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
