// SPDX-License-Identifier: MIT
/*
 * topic_rcursor unit tests: resumed after every step it reports what topic_retain_match reports,
 * once each, for every filter shape; between steps, deletions of passed siblings (which the
 * trie's swap-delete would move an unvisited sibling behind the cursor for) skip nothing,
 * messages set or replaced after it are not reported, deleted ones are not; emptied nodes are
 * pruned when the last cursor goes; take() hands out a pending message once, never a passed one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topic.h"

#define N 600

static int objs[N + 8];
static char names[N + 8][32];

static int idx_of(void *m)
{
	return (int)((int *)m - objs);
}

static void put(struct topic_tree *t, int i, const char *topic)
{
	snprintf(names[i], sizeof(names[i]), "%s", topic);
	assert_null(topic_retain_set(t, names[i], strlen(names[i]), &objs[i]));
}

static struct topic_tree *tree_fill(void)
{
	struct topic_tree *t = topic_tree_new(NULL);
	char buf[32];

	assert_non_null(t);
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "s/%d/%d", i / 20, i % 20);
		put(t, i, buf);
	}
	put(t, N, "s");
	put(t, N + 1, "$SYS/x");
	put(t, N + 2, "s/1");
	return t;
}

static void count_cb(void *ctx, void *msg)
{
	((int *)ctx)[idx_of(msg)]++;
}

/* With one step at a time (every place is a resume point): the same set as the plain match. */
static void test_same_as_match(void **state)
{
	static const char *const filters[] = {"#",   "s/#", "s/+/3", "+/+/+",  "s/1",
					      "s/+", "+/#", "s/+/#", "$SYS/#", "x/#"};
	struct topic_tree *t = tree_fill();

	(void)state;
	for (size_t f = 0; f < sizeof(filters) / sizeof(filters[0]); f++) {
		int want[N + 8] = {0}, got[N + 8] = {0};
		struct topic_rcursor *c = topic_rcursor_new(t, filters[f], strlen(filters[f]));
		void *m;

		topic_retain_match(t, filters[f], strlen(filters[f]), count_cb, want);
		for (;;) {
			uint32_t steps = 1;

			m = topic_rcursor_next(t, c, &steps);
			if (m)
				got[idx_of(m)]++;
			else if (topic_rcursor_done(c))
				break;
		}
		assert_null(topic_rcursor_next(t, c, &(uint32_t){100}));
		assert_memory_equal(want, got, sizeof(want));
		topic_rcursor_free(t, c);
	}
	topic_tree_free(t, NULL);
}

/* Changes between steps: nothing original is skipped or repeated; new, replaced and deleted
 * messages are not reported; the husks go with the last cursor. */
static void test_changes_between_steps(void **state)
{
	struct topic_tree *t = tree_fill();
	struct topic_rcursor *c = topic_rcursor_new(t, "s/#", 3);
	struct topic_rcursor *c2 = topic_rcursor_new(t, "x", 1);
	int got[N + 8] = {0}, seen = 0;
	size_t nodes = topic_node_count(t);
	void *m;

	(void)state;
	while ((m = topic_rcursor_next(t, c, &(uint32_t){1000}))) {
		int i = idx_of(m);

		got[i]++;
		if (++seen == N / 2) {
			/* delete everything reported so far (swap-deletes in the old trie), one
			 * not reported yet, replace another, and add new topics */
			for (int k = 0; k < N; k++)
				if (got[k])
					assert_ptr_equal(
					    topic_retain_set(t, names[k], strlen(names[k]), NULL),
					    &objs[k]);
			for (int k = N - 1; k >= 0; k--)
				if (!got[k] && k != N / 3) {
					assert_ptr_equal(
					    topic_retain_set(t, names[k], strlen(names[k]), NULL),
					    &objs[k]);
					got[k] = -1; /* deleted: must not come */
					break;
				}
			for (int k = N - 1; k >= 0; k--)
				if (!got[k]) {
					topic_retain_set(t, names[k], strlen(names[k]),
							 &objs[N + 3]);
					got[k] = -1; /* replaced: neither message comes */
					break;
				}
			put(t, N + 4, "s/new/1");
			put(t, N + 5, "s/0/new");
			assert_int_equal(topic_node_count(t) >= nodes, 1); /* nothing pruned */
		}
	}
	assert_true(topic_rcursor_done(c));
	for (int k = 0; k < N; k++)
		assert_int_equal(got[k] == 1 || got[k] == -1, 1);
	assert_int_equal(got[N], 1); /* "s" itself: '#' takes the parent */
	assert_int_equal(got[N + 3] + got[N + 4] + got[N + 5], 0);
	/* everything deleted now: the nodes stay while a cursor exists, then all go */
	for (int k = 0; k < N + 8; k++)
		if (names[k][0])
			topic_retain_set(t, names[k], strlen(names[k]), NULL);
	topic_rcursor_free(t, c);
	assert_true(topic_node_count(t) >= nodes); /* c2 still walks */
	topic_rcursor_free(t, c2);
	assert_int_equal(topic_node_count(t), 0);
	topic_tree_free(t, NULL);
}

static void test_take(void **state)
{
	struct topic_tree *t = tree_fill();
	struct topic_rcursor *c = topic_rcursor_new(t, "s/+/+", 5);
	int got[N + 8] = {0};
	void *m;

	(void)state;
	/* pass the first 100 */
	for (int k = 0; k < 100; k++) {
		m = topic_rcursor_next(t, c, &(uint32_t){1000});
		assert_non_null(m);
		got[idx_of(m)]++;
	}
	assert_null(topic_rcursor_take(t, c, names[0], strlen(names[0]))); /* passed */
	assert_null(topic_rcursor_take(t, c, "s/1", 3));		   /* no match */
	assert_null(topic_rcursor_take(t, c, "s/9/99", 6));		   /* not stored */
	assert_ptr_equal(topic_rcursor_take(t, c, names[500], strlen(names[500])), &objs[500]);
	assert_null(topic_rcursor_take(t, c, names[500], strlen(names[500]))); /* once */
	topic_retain_set(t, names[501], strlen(names[501]), &objs[N + 6]);
	assert_null(topic_rcursor_take(t, c, names[501], strlen(names[501]))); /* newer */
	while ((m = topic_rcursor_next(t, c, &(uint32_t){1000})))
		got[idx_of(m)]++;
	for (int k = 0; k < N; k++)
		assert_int_equal(got[k], k == 500 || k == 501 ? 0 : 1);
	assert_null(topic_rcursor_take(t, c, names[10], strlen(names[10]))); /* over */
	topic_rcursor_free(t, c);
	topic_tree_free(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_as_match),
	    cmocka_unit_test(test_changes_between_steps),
	    cmocka_unit_test(test_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
