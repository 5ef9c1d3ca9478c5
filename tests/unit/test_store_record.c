// SPDX-License-Identifier: MIT
/*
 * store_record unit tests: session records round-trip byte for byte, every truncation and every
 * malformed or non-canonical variant is refused, and the encoder refuses what the decoder would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_record.h"

static const uint8_t will_props[] = {0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x3c};

static struct store_session full(void)
{
	struct store_session s = {
	    .proto = 5,
	    .expiry_interval = 3600,
	    .disconnect_ms = 1700000000123,
	    .listener = 2,
	    .username = "alice",
	    .username_len = 5,
	    .has_will = true,
	    .will =
		{
		    .topic = (const uint8_t *)"dev/1/status",
		    .topic_len = 12,
		    .props = will_props,
		    .props_len = sizeof(will_props),
		    .payload = (const uint8_t *)"offline",
		    .payload_len = 7,
		    .delay = 30,
		    .qos = 2,
		    .retain = 1,
		},
	};
	return s;
}

static void assert_same(const struct store_session *a, const struct store_session *b)
{
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->expiry_interval, b->expiry_interval);
	assert_int_equal(a->disconnect_ms, b->disconnect_ms);
	assert_int_equal(a->listener, b->listener);
	assert_int_equal(!!a->username, !!b->username);
	assert_int_equal(a->username_len, b->username_len);
	if (a->username_len)
		assert_memory_equal(a->username, b->username, a->username_len);
	assert_int_equal(a->has_will, b->has_will);
	if (!a->has_will)
		return;
	assert_int_equal(a->will.qos, b->will.qos);
	assert_int_equal(a->will.retain, b->will.retain);
	assert_int_equal(a->will.delay, b->will.delay);
	assert_int_equal(a->will.topic_len, b->will.topic_len);
	assert_memory_equal(a->will.topic, b->will.topic, a->will.topic_len);
	assert_int_equal(a->will.props_len, b->will.props_len);
	if (a->will.props_len)
		assert_memory_equal(a->will.props, b->will.props, a->will.props_len);
	assert_int_equal(a->will.payload_len, b->will.payload_len);
	if (a->will.payload_len)
		assert_memory_equal(a->will.payload, b->will.payload, a->will.payload_len);
}

/* Encode, decode, compare; re-encode the decoded record and compare bytes. Returns the size. */
static int roundtrip(const struct store_session *s, uint8_t *buf, size_t cap)
{
	struct store_session d = {0};
	uint8_t again[512];
	int n = store_record_session_encode(s, buf, cap);

	assert_true(n > 0);
	assert_int_equal((size_t)n, store_record_session_size(s));
	assert_int_equal(store_record_session_decode(buf, (size_t)n, &d), 0);
	assert_same(s, &d);
	assert_int_equal(store_record_session_encode(&d, again, sizeof(again)), n);
	assert_memory_equal(buf, again, (size_t)n);
	return n;
}

static void test_roundtrip_full(void **state)
{
	struct store_session s = full();
	uint8_t buf[512];

	(void)state;
	roundtrip(&s, buf, sizeof(buf));
	s.disconnect_ms = INT64_MAX;
	s.expiry_interval = UINT32_MAX;
	s.listener = UINT16_MAX;
	s.will.delay = UINT32_MAX;
	s.will.props = NULL;
	s.will.props_len = 0;
	s.will.payload = NULL;
	s.will.payload_len = 0;
	roundtrip(&s, buf, sizeof(buf));
}

static void test_roundtrip_minimal(void **state)
{
	struct store_session s = {.proto = 4};
	uint8_t buf[64];

	(void)state;
	assert_int_equal(roundtrip(&s, buf, sizeof(buf)), 6);
	/* an empty username is still a username (v5 allows it) */
	s.username = "";
	s.username_len = 0;
	roundtrip(&s, buf, sizeof(buf));
	struct store_session d;

	assert_int_equal(store_record_session_decode(buf, 7, &d), 0);
	assert_non_null(d.username);
}

static void test_every_truncation_refused(void **state)
{
	struct store_session s = full(), d;
	uint8_t buf[512];
	int n;

	(void)state;
	n = store_record_session_encode(&s, buf, sizeof(buf));
	for (int i = 0; i < n; i++)
		assert_int_equal(store_record_session_decode(buf, (size_t)i, &d), -EBADMSG);
	/* and one byte too many */
	buf[n] = 0;
	assert_int_equal(store_record_session_decode(buf, (size_t)n + 1, &d), -EBADMSG);
}

static void expect_bad(const uint8_t *b, size_t len)
{
	struct store_session d;

	assert_int_equal(store_record_session_decode(b, len, &d), -EBADMSG);
}

static void test_malformed(void **state)
{
	/* version, proto, expiry, disconnect, listener, flags */
	static const uint8_t ok[] = {1, 4, 0, 0, 0, 0};
	struct store_session d;

	(void)state;
	assert_int_equal(store_record_session_decode(ok, sizeof(ok), &d), 0);
	expect_bad((const uint8_t[]){2, 4, 0, 0, 0, 0}, 6);	  /* unknown version */
	expect_bad((const uint8_t[]){1, 2, 0, 0, 0, 0}, 6);	  /* proto 2 */
	expect_bad((const uint8_t[]){1, 6, 0, 0, 0, 0}, 6);	  /* proto 6 */
	expect_bad((const uint8_t[]){1, 4, 0, 0, 0, 0x20}, 6);	  /* reserved flag */
	expect_bad((const uint8_t[]){1, 4, 0, 0, 0, 0x04}, 6);	  /* will QoS, no will */
	expect_bad((const uint8_t[]){1, 4, 0, 0, 0, 0x10}, 6);	  /* will retain, no will */
	expect_bad((const uint8_t[]){1, 4, 0x80, 0, 0, 0, 0}, 7); /* non-minimal varint */
	expect_bad((const uint8_t[]){1, 4, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0, 0}, 10); /* >u32 */
	expect_bad((const uint8_t[]){1, 4, 0, 0, 0x80, 0x80, 0x04, 0}, 8); /* listener > u16 */
	/* disconnect_ms above INT64_MAX: 2^63 */
	expect_bad((const uint8_t[]){1, 4, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
				     0x01, 0, 0},
		   15);
	/* username length past the end */
	expect_bad((const uint8_t[]){1, 4, 0, 0, 0, 0x01, 5, 'a'}, 8);
	/* will QoS 3 */
	expect_bad((const uint8_t[]){1, 4, 0, 0, 0, 0x0e, 0, 1, 't', 0, 0}, 11);
	/* empty will topic */
	expect_bad((const uint8_t[]){1, 4, 0, 0, 0, 0x02, 0, 0, 0, 0}, 10);
	/* valid will for comparison */
	assert_int_equal(store_record_session_decode(
			     (const uint8_t[]){1, 4, 0, 0, 0, 0x02, 0, 1, 't', 0, 0}, 11, &d),
			 0);
	assert_int_equal(d.will.topic_len, 1);
	assert_null(d.will.props);
}

static void test_encode_refuses(void **state)
{
	struct store_session s = full();
	uint8_t buf[512];

	(void)state;
	assert_int_equal(store_record_session_encode(&s, buf, store_record_session_size(&s) - 1),
			 -EMSGSIZE);
	s.proto = 2;
	assert_int_equal(store_record_session_encode(&s, buf, sizeof(buf)), -EINVAL);
	s = full();
	s.will.qos = 3;
	assert_int_equal(store_record_session_encode(&s, buf, sizeof(buf)), -EINVAL);
	s = full();
	s.will.topic_len = 0;
	assert_int_equal(store_record_session_encode(&s, buf, sizeof(buf)), -EINVAL);
	s = full();
	s.disconnect_ms = -1;
	assert_int_equal(store_record_session_encode(&s, buf, sizeof(buf)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_full),
	    cmocka_unit_test(test_roundtrip_minimal),
	    cmocka_unit_test(test_every_truncation_refused),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_encode_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
