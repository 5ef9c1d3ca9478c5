/* SPDX-License-Identifier: MIT */
/*
 * xdp_ban: the sliding window (threshold offences within the window ban, older ones do not
 * count), the reset after a ban, independent addresses, LRU eviction at capacity, seeded
 * buckets under many colliding-looking keys, and the sockaddr keys (IPv4 as v4-mapped).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xdp_ban.h"

static struct xdp_ban_key key4(const char *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct xdp_ban_key k;

	assert_int_equal(inet_pton(AF_INET, s, &a.sin_addr), 1);
	assert_int_equal(xdp_ban_key((struct sockaddr *)&a, &k), 0);
	return k;
}

static void test_new_rejects(void **state)
{
	(void)state;
	errno = 0;
	assert_null(xdp_ban_new(0, 1000, 16, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(xdp_ban_new(XDP_BAN_MAX_THRESHOLD + 1, 1000, 16, 1));
	assert_null(xdp_ban_new(3, 0, 16, 1));
	assert_null(xdp_ban_new(3, 1000, 0, 1));
}

static void test_threshold_within_window(void **state)
{
	struct xdp_ban_tab *t = xdp_ban_new(3, 10000, 16, 42);
	struct xdp_ban_key k = key4("192.0.2.7");

	(void)state;
	assert_non_null(t);
	assert_false(xdp_ban_offence(t, &k, 1000));
	assert_false(xdp_ban_offence(t, &k, 2000));
	assert_int_equal(xdp_ban_pending(t, &k, 2000), 2);
	assert_true(xdp_ban_offence(t, &k, 10999)); /* 3 within (999, 10999] */
	/* forgotten after the ban: the count starts again */
	assert_int_equal(xdp_ban_pending(t, &k, 11000), 0);
	assert_int_equal(xdp_ban_size(t), 0);
	assert_false(xdp_ban_offence(t, &k, 11000));
	xdp_ban_free(t);
}

static void test_sliding_window(void **state)
{
	struct xdp_ban_tab *t = xdp_ban_new(3, 10000, 16, 42);
	struct xdp_ban_key k = key4("192.0.2.7");

	(void)state;
	/* offences 10 s apart never reach 3 within 10 s */
	for (int64_t now = 0; now < 100000; now += 5000)
		assert_false(xdp_ban_offence(t, &k, now));
	/* the window slides: at 95000 the ones at 90000 and 95000 count; a third soon after bans */
	assert_int_equal(xdp_ban_pending(t, &k, 99999), 2);
	assert_int_equal(xdp_ban_pending(t, &k, 100000), 1); /* 90000 left the window */
	assert_false(xdp_ban_offence(t, &k, 100000));
	assert_true(xdp_ban_offence(t, &k, 100001));
	xdp_ban_free(t);
}

static void test_threshold_one(void **state)
{
	struct xdp_ban_tab *t = xdp_ban_new(1, 1000, 4, 0);
	struct xdp_ban_key k = key4("10.0.0.1");

	(void)state;
	assert_true(xdp_ban_offence(t, &k, 5));
	assert_true(xdp_ban_offence(t, &k, 6));
	xdp_ban_free(t);
}

static void test_addresses_independent(void **state)
{
	struct xdp_ban_tab *t = xdp_ban_new(2, 10000, 16, 7);
	struct xdp_ban_key a = key4("10.0.0.1"), b = key4("10.0.0.2");
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct xdp_ban_key c;

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr), 1);
	assert_int_equal(xdp_ban_key((struct sockaddr *)&s6, &c), 0);
	assert_false(xdp_ban_offence(t, &a, 0));
	assert_false(xdp_ban_offence(t, &b, 0));
	assert_false(xdp_ban_offence(t, &c, 0));
	assert_int_equal(xdp_ban_size(t), 3);
	assert_true(xdp_ban_offence(t, &b, 1));
	assert_int_equal(xdp_ban_pending(t, &a, 1), 1);
	assert_int_equal(xdp_ban_pending(t, &c, 1), 1);
	assert_int_equal(xdp_ban_size(t), 2);
	xdp_ban_free(t);
}

static void test_v4_mapped_key(void **state)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct sockaddr_un_like {
		sa_family_t family;
	} other = {AF_UNIX};
	struct xdp_ban_key k6, k4 = key4("198.51.100.9");

	(void)state;
	/* what a dual-stack listener reports for an IPv4 peer is the same key */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:198.51.100.9", &s6.sin6_addr), 1);
	assert_int_equal(xdp_ban_key((struct sockaddr *)&s6, &k6), 0);
	assert_memory_equal(&k4, &k6, sizeof(k4));
	assert_int_equal(xdp_ban_key((struct sockaddr *)&other, &k6), -EAFNOSUPPORT);
}

static void test_lru_eviction(void **state)
{
	struct xdp_ban_tab *t = xdp_ban_new(3, 100000, 3, 9);
	struct xdp_ban_key a = key4("10.0.0.1"), b = key4("10.0.0.2"), c = key4("10.0.0.3"),
			   d = key4("10.0.0.4");

	(void)state;
	assert_false(xdp_ban_offence(t, &a, 1));
	assert_false(xdp_ban_offence(t, &b, 2));
	assert_false(xdp_ban_offence(t, &c, 3));
	/* a offends again: b is now the least recent and makes room for d */
	assert_false(xdp_ban_offence(t, &a, 4));
	assert_false(xdp_ban_offence(t, &d, 5));
	assert_int_equal(xdp_ban_size(t), 3);
	assert_int_equal(xdp_ban_pending(t, &b, 6), 0);
	assert_int_equal(xdp_ban_pending(t, &c, 6), 1);
	assert_int_equal(xdp_ban_pending(t, &d, 6), 1);
	assert_int_equal(xdp_ban_pending(t, &a, 6), 2);
	/* b starts over: one offence does not ban it */
	assert_false(xdp_ban_offence(t, &b, 7));
	xdp_ban_free(t);
}

static void test_many_addresses_bounded(void **state)
{
	struct xdp_ban_tab *t = xdp_ban_new(3, 100000, 256, 12345);
	struct xdp_ban_key k;
	int bans = 0;

	(void)state;
	memset(&k, 0, sizeof(k));
	/* 100,000 addresses, each offending twice in a row: never a ban, never above capacity */
	for (uint32_t i = 0; i < 100000; i++) {
		memcpy(&k.a[12], &i, 4);
		bans += xdp_ban_offence(t, &k, i);
		bans += xdp_ban_offence(t, &k, i);
		assert_true(xdp_ban_size(t) <= 256);
	}
	assert_int_equal(bans, 0);
	assert_int_equal(xdp_ban_size(t), 256);
	/* the most recent ones are still counted: a third offence bans */
	assert_true(xdp_ban_offence(t, &k, 100000));
	xdp_ban_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_rejects),
	    cmocka_unit_test(test_threshold_within_window),
	    cmocka_unit_test(test_sliding_window),
	    cmocka_unit_test(test_threshold_one),
	    cmocka_unit_test(test_addresses_independent),
	    cmocka_unit_test(test_v4_mapped_key),
	    cmocka_unit_test(test_lru_eviction),
	    cmocka_unit_test(test_many_addresses_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
