// SPDX-License-Identifier: MIT
/*
 * hash unit tests (include/hash.h, header-only): deterministic per seed, the seed changes every
 * value, only the len bytes are read (each key sits at the end of its own allocation, so ASan
 * catches an overread), every byte and the length take part, and keys that differ in one level
 * spread evenly over buckets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

static void test_deterministic_and_seeded(void **state)
{
	static const char *const keys[] = {"", "a", "site/1/temp", "client-123456789abcdef"};
	uint32_t differ = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i]);

		assert_int_equal(hash_bytes(1, keys[i], n), hash_bytes(1, keys[i], n));
		differ += hash_bytes(1, keys[i], n) != hash_bytes(2, keys[i], n);
	}
	assert_int_equal(differ, 4);
	assert_int_equal(hash_ptr(7, &differ), hash_ptr(7, &differ));
	assert_int_not_equal(hash_ptr(7, &differ), hash_ptr(8, &differ));
	assert_int_not_equal(hash_ptr(7, &differ), hash_ptr(7, &i));
}

/* Every length 0..40 from an exact-size buffer; bytes beyond len never count. */
static void test_reads_only_len(void **state)
{
	char big[64];
	size_t n;

	(void)state;
	memset(big, 'x', sizeof(big));
	for (n = 0; n <= 40; n++) {
		char *p = malloc(n ? n : 1);

		assert_non_null(p);
		memset(p, 'x', n);
		assert_int_equal(hash_bytes(42, p, n), hash_bytes(42, big, n));
		big[n] = 'y'; /* the byte after the key changes: the hash must not */
		assert_int_equal(hash_bytes(42, p, n), hash_bytes(42, big, n));
		big[n] = 'x';
		free(p);
	}
}

/* Flipping any one bit of a key, or appending a NUL, changes the hash. */
static void test_every_byte_counts(void **state)
{
	char k[24] = "dev/0042/temperature/x";
	uint32_t h0 = hash_bytes(9, k, sizeof(k) - 2);
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < sizeof(k) - 2; i++)
		for (b = 0; b < 8; b++) {
			k[i] ^= (char)(1 << b);
			assert_int_not_equal(hash_bytes(9, k, sizeof(k) - 2), h0);
			k[i] ^= (char)(1 << b);
		}
	assert_int_not_equal(hash_bytes(9, k, sizeof(k) - 1), h0);
	assert_int_not_equal(hash_bytes(9, "", 0), hash_bytes(9, "\0", 1));
}

/* 16384 sequential ids in 1024 buckets: the fullest bucket stays near the mean of 16. */
static void test_spread(void **state)
{
	enum { N = 16384, B = 1024 };
	static uint32_t count[B];
	uint32_t i, max = 0;
	char id[32];

	(void)state;
	for (i = 0; i < N; i++) {
		int n = snprintf(id, sizeof(id), "client-%u", i);

		count[hash_bytes(0x5eed, id, (size_t)n) & (B - 1)]++;
	}
	for (i = 0; i < B; i++)
		max = count[i] > max ? count[i] : max;
	assert_true(max < 40);
}

static void test_seed_of(void **state)
{
	int a, b;

	(void)state;
	assert_int_equal(hash_seed_of(&a), hash_seed_of(&a));
	assert_int_not_equal(hash_seed_of(&a), hash_seed_of(&b));
	assert_int_not_equal(hash_mix64(1), hash_mix64(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deterministic_and_seeded),
	    cmocka_unit_test(test_reads_only_len),
	    cmocka_unit_test(test_every_byte_counts),
	    cmocka_unit_test(test_spread),
	    cmocka_unit_test(test_seed_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
