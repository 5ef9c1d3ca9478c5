/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/mqtt/topic_retain.c: the retained store (set, get, match, foreach with
 * removal) and pruning of both tries under churn.
 */
#include "topic_test.h"

static void test_retain_basic(void **state)
{
	struct topic_tree *t = tree(NULL);

	(void)state;
	assert_null(rset(t, "a/b", MSG(1)));
	assert_int_equal(topic_retain_count(t), 1);
	assert_ptr_equal(topic_retain_get(t, S("a/b")), MSG(1));
	assert_null(topic_retain_get(t, S("a")));
	assert_null(topic_retain_get(t, S("a/b/c")));
	assert_null(topic_retain_get(t, S("a/+")));
	assert_ptr_equal(rset(t, "a/b", MSG(2)), MSG(1)); /* replace */
	assert_int_equal(topic_retain_count(t), 1);
	assert_null(rset(t, "a", MSG(3))); /* inner node */
	assert_int_equal(topic_retain_count(t), 2);
	assert_null(rset(t, "x", NULL)); /* delete of nothing */
	assert_null(rset(t, "a/b/c", NULL));
	assert_int_equal(topic_retain_count(t), 2);
	/* invalid names are not stored: the message comes back */
	assert_ptr_equal(rset(t, "a/+", MSG(4)), MSG(4));
	assert_ptr_equal(topic_retain_set(t, "", 0, MSG(4)), MSG(4));
	assert_null(rset(t, "a/#", NULL));
	assert_int_equal(topic_retain_count(t), 2);
	assert_ptr_equal(rset(t, "a/b", NULL), MSG(2)); /* delete */
	assert_null(topic_retain_get(t, S("a/b")));
	assert_ptr_equal(topic_retain_get(t, S("a")), MSG(3));
	assert_int_equal(topic_node_count(t), 1);
	assert_ptr_equal(rset(t, "a", NULL), MSG(3));
	assert_int_equal(topic_retain_count(t), 0);
	assert_int_equal(topic_node_count(t), 0);
	/* retained and subscriptions are separate */
	assert_null(rset(t, "s", MSG(5)));
	assert_int_equal(match(t, "s", &H1), 0);
	assert_int_equal(add(t, "s", 1, 0, 0), 0);
	assert_int_equal(del(t, "s", 1), 0);
	assert_ptr_equal(topic_retain_get(t, S("s")), MSG(5));
	topic_tree_free(t, NULL);
}

static const char *const rtopics[] = {
    "a",
    "a/b",
    "a/b/c",
    "a/c",
    "a//c",
    "/a",
    "/",
    "b",
    "$SYS",
    "$SYS/x",
    "$SYS/x/y",
    "$",
    "a/$x",
    "ab",
    "a/bc",
    "sport/tennis/player1",
    "sport/tennis/player1/ranking",
    "sport",
    "sport/",
    "//",
};

#define NRTOPICS (sizeof(rtopics) / sizeof(rtopics[0]))

static void test_retain_match(void **state)
{
	static const char *filters[] = {
	    "#",
	    "+",
	    "+/+",
	    "+/#",
	    "a/#",
	    "a/+",
	    "a/+/c",
	    "/#",
	    "/+",
	    "$SYS/#",
	    "$SYS/+",
	    "$",
	    "+/+/+",
	    "a/b/#",
	    "a//c",
	    "+/$x",
	    "sport/+",
	    "sport/#",
	    "sport/tennis/+",
	    "x/#",
	    "a/b",
	    "//",
	    "+/b/#",
	};
	struct topic_tree *t = tree(NULL);
	size_t i, j;

	(void)state;
	for (i = 0; i < NRTOPICS; i++)
		assert_null(rset(t, rtopics[i], MSG(i)));
	for (i = 0; i < NMATRIX; i++)
		(void)rset(t, matrix[i].t, MSG(1000 + i));
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]) + NMATRIX; i++) {
		const char *f = i < sizeof(filters) / sizeof(filters[0])
				    ? filters[i]
				    : matrix[i - sizeof(filters) / sizeof(filters[0])].f;

		H2.n = 0;
		for (j = 0; j < NRTOPICS; j++)
			if (tm(f, rtopics[j]) &&
			    topic_retain_get(t, rtopics[j], strlen(rtopics[j])) == MSG(j))
				rcollect(&H2, MSG(j));
		for (j = 0; j < NMATRIX; j++)
			if (tm(f, matrix[j].t) &&
			    topic_retain_get(t, matrix[j].t, strlen(matrix[j].t)) == MSG(1000 + j))
				rcollect(&H2, MSG(1000 + j));
		hits_sort(&H2);
		rmatch(t, f, &H1);
		assert_hits_equal(&H1, &H2);
	}
	assert_int_equal(rmatch(t, "#", &H1), rmatch(t, "#", &H2));
	topic_tree_free(t, NULL);
}

static int freed;

static void count_free(void *msg)
{
	(void)msg;
	freed++;
}

static bool take_odd(void *ctx, void *msg)
{
	int *seen = ctx;

	(*seen)++;
	return ((uintptr_t)msg - 0x9000) % 2;
}

static bool take_all(void *ctx, void *msg)
{
	(void)msg;
	(*(int *)ctx)++;
	return true;
}

static void test_retain_foreach(void **state)
{
	struct topic_tree *t = tree(NULL);
	char buf[64];
	int i, seen = 0;

	(void)state;
	for (i = 0; i < 3000; i++) {
		/* a mix of wide and deep, with messages on inner nodes too */
		snprintf(buf, sizeof(buf), "r/%d/%d", i % 50, i);
		assert_null(rset(t, buf, MSG(i)));
		if (i < 50) {
			snprintf(buf, sizeof(buf), "r/%d", i);
			assert_null(rset(t, buf, MSG(i + 10000)));
		}
	}
	assert_int_equal(topic_retain_count(t), 3050);
	topic_retain_foreach(t, take_odd, &seen);
	assert_int_equal(seen, 3050);
	assert_int_equal(topic_retain_count(t), 1525);
	seen = 0;
	topic_retain_foreach(t, take_odd, &seen);
	assert_int_equal(seen, 1525);
	assert_int_equal(topic_retain_count(t), 1525);
	assert_int_equal(rmatch(t, "r/+/+", &H1), 1500);
	assert_int_equal(rmatch(t, "r/+", &H1), 25);
	assert_int_equal(rmatch(t, "r/#", &H1), 1525);
	assert_int_equal(rmatch(t, "r", &H1), 0);
	for (i = 0; i < 3000; i += 2) {
		snprintf(buf, sizeof(buf), "r/%d/%d", i % 50, i);
		assert_ptr_equal(topic_retain_get(t, buf, strlen(buf)), MSG(i));
	}
	seen = 0;
	topic_retain_foreach(t, take_all, &seen);
	assert_int_equal(seen, 1525);
	assert_int_equal(topic_retain_count(t), 0);
	assert_int_equal(topic_node_count(t), 0);
	seen = 0;
	topic_retain_foreach(t, take_all, &seen);
	assert_int_equal(seen, 0);
	/* topic_tree_free hands back what is left */
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "f/%d", i);
		assert_null(rset(t, buf, MSG(i)));
	}
	freed = 0;
	topic_tree_free(t, count_free);
	assert_int_equal(freed, 100);
}

/* Churn on unique topics must leave the tries as they were. */
static void test_prune_churn(void **state)
{
	struct topic_tree *t = tree(NULL);
	char buf[96];
	size_t base;
	int i;

	(void)state;
	assert_int_equal(add(t, "keep/+/x", 1, 0, 0), 0);
	assert_null(rset(t, "keep/r", MSG(0)));
	base = topic_node_count(t);
	assert_int_equal(base, 5);
	for (i = 0; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "dev/%d/%s/%d", i, i % 3 ? "+" : "t", i % 7);
		assert_int_equal(add(t, buf, i, 0, 0), 0);
		snprintf(buf, sizeof(buf), "$share/g%d/keep/%d/#", i % 5, i);
		assert_int_equal(add(t, buf, i, 0, 0), 0);
		snprintf(buf, sizeof(buf), "keep/%d/x", i);
		assert_null(rset(t, buf, MSG(i)));
		match(t, buf, &H1);
		if (i >= 100) { /* keep 100 alive at any time */
			snprintf(buf, sizeof(buf), "dev/%d/%s/%d", i - 100,
				 (i - 100) % 3 ? "+" : "t", (i - 100) % 7);
			assert_int_equal(del(t, buf, i - 100), 0);
			snprintf(buf, sizeof(buf), "$share/g%d/keep/%d/#", (i - 100) % 5, i - 100);
			assert_int_equal(del(t, buf, i - 100), 0);
			snprintf(buf, sizeof(buf), "keep/%d/x", i - 100);
			assert_ptr_equal(rset(t, buf, NULL), MSG(i - 100));
		}
	}
	assert_true(topic_node_count(t) < base + 100 * 12);
	for (i = 19900; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "dev/%d/%s/%d", i, i % 3 ? "+" : "t", i % 7);
		assert_int_equal(del(t, buf, i), 0);
		snprintf(buf, sizeof(buf), "$share/g%d/keep/%d/#", i % 5, i);
		assert_int_equal(del(t, buf, i), 0);
		snprintf(buf, sizeof(buf), "keep/%d/x", i);
		assert_ptr_equal(rset(t, buf, NULL), MSG(i));
	}
	assert_int_equal(topic_node_count(t), base);
	assert_int_equal(topic_sub_count(t), 1);
	assert_int_equal(topic_retain_count(t), 1);
	topic_tree_free(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_retain_basic),
	    cmocka_unit_test(test_retain_match),
	    cmocka_unit_test(test_retain_foreach),
	    cmocka_unit_test(test_prune_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
