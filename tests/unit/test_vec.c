// SPDX-License-Identifier: MIT
/*
 * vec unit tests: the index stays exact through growth past VEC_NARROW, deletions from
 * anywhere (backward-shift deletion, also with every element in one probe chain) and shrinking;
 * positions move only as documented; an emptied vec frees its storage.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vec.h"

/* ctx selects the hash: a spreading one, or a constant that puts every key in one chain. */
static uint32_t key_hash(const void *ctx, const void *elem)
{
	uint32_t k = *(const uint32_t *)elem;

	return *(const int *)ctx ? 7u : k * 2654435761u;
}

/* Position of key k, found the way callers find things: scan, or probe the index. */
static int64_t find(const struct vec *v, uint32_t k, const int *ctx)
{
	const uint32_t *a = v->a;
	uint32_t i, mask;

	if (!v->idx) {
		for (i = 0; i < v->n; i++)
			if (a[i] == k)
				return i;
		return -1;
	}
	mask = vec_mask(v);
	for (i = key_hash(ctx, &k) & mask; v->idx[i]; i = (i + 1) & mask)
		if (a[v->idx[i] - 1] == k)
			return v->idx[i] - 1;
	return -1;
}

/* Every key below n is present exactly where find says, and nothing else is in the index. */
static void check(const struct vec *v, const bool *live, uint32_t n, const int *ctx)
{
	uint32_t k, slots = 0, i;

	for (k = 0; k < n; k++) {
		int64_t p = find(v, k, ctx);

		if (!live[k]) {
			assert_int_equal(p, -1);
			continue;
		}
		assert_true(p >= 0 && (uint32_t)p < v->n);
		assert_int_equal(*(uint32_t *)vec_at(v, sizeof(uint32_t), (uint32_t)p), k);
	}
	for (i = 0; v->idx && i < 2 * v->cap; i++)
		slots += v->idx[i] != 0;
	if (v->idx)
		assert_int_equal(slots, v->n);
	else
		assert_true(v->cap <= VEC_NARROW);
}

static void churn(int collide)
{
	enum { N = 600 };
	static bool live[N];
	struct vec v = {0};
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	uint32_t k, i, peak;

	memset(live, 0, sizeof(live));
	for (k = 0; k < N; k++) {
		assert_int_equal(vec_push(&v, sizeof(k), &k, key_hash, &collide), 0);
		live[k] = true;
		if (k == VEC_NARROW)
			assert_non_null(v.idx); /* indexed from here on */
	}
	check(&v, live, N, &collide);
	peak = v.cap;
	for (i = 0; i < N - 3; i++) {
		int64_t p;

		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		/* a random live key: from a random start, the next one still present */
		for (k = (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 40) % N; !live[k];
		     k = (k + 1) % N)
			;
		p = find(&v, k, &collide);
		assert_true(p >= 0);
		vec_del(&v, sizeof(k), (uint32_t)p, key_hash, &collide);
		live[k] = false;
		if (i % 37 == 0)
			check(&v, live, N, &collide);
	}
	check(&v, live, N, &collide);
	assert_int_equal(v.n, 3);
	assert_true(v.cap < peak); /* shrunk on the way down */
	while (v.n)
		vec_del(&v, sizeof(k), 0, key_hash, &collide);
	assert_null(v.a);
	assert_null(v.idx);
	assert_int_equal(v.cap, 0);
}

static void test_churn_spread(void **state)
{
	(void)state;
	churn(0);
}

static void test_churn_one_chain(void **state)
{
	(void)state;
	churn(1);
}

/* Deleting position p moves the last element into p and nothing else. */
static void test_del_moves_last(void **state)
{
	struct vec v = {0};
	int ctx = 0;
	uint32_t k, *a;

	(void)state;
	for (k = 0; k < 5; k++)
		assert_int_equal(vec_push(&v, sizeof(k), &k, key_hash, &ctx), 0);
	vec_del(&v, sizeof(k), 1, key_hash, &ctx);
	a = v.a;
	assert_int_equal(v.n, 4);
	assert_int_equal(a[0], 0);
	assert_int_equal(a[1], 4);
	assert_int_equal(a[2], 2);
	assert_int_equal(a[3], 3);
	vec_fini(&v);
	assert_null(v.a);
	assert_int_equal(v.n, 0);
}

/* VEC_GROW: the first growth gives `first` elements, later ones double; the contents stay. */
static void test_grow_plain(void **state)
{
	uint16_t *a = NULL;
	uint32_t n = 0, cap = 0, i;
	size_t scap = 0;
	char *b = NULL;

	(void)state;
	for (i = 0; i < 100; i++) {
		assert_int_equal(VEC_GROW(a, n, cap, 3), 0);
		assert_true(cap > n);
		a[n++] = (uint16_t)(i * 7);
	}
	assert_int_equal(cap, 192); /* 3, 6, 12, ..., 192 */
	for (i = 0; i < n; i++)
		assert_int_equal(a[i], i * 7);
	/* not full: nothing moves */
	n = 150;
	assert_int_equal(VEC_GROW(a, n, cap, 3), 0);
	assert_int_equal(cap, 192);
	free(a);
	assert_int_equal(VEC_GROW(b, 0, scap, 16), 0);
	assert_int_equal(scap, 16);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_churn_spread),
	    cmocka_unit_test(test_churn_one_chain),
	    cmocka_unit_test(test_del_moves_last),
	    cmocka_unit_test(test_grow_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
