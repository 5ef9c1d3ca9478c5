// SPDX-License-Identifier: MIT
/* codec_client: CONNECT vectors (3.1.1, bridge bit, v5 properties, will, credentials), the
 * direction rules of the client-side decoder, malformed input, CONNACK sentences. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codec_client.h"

static void test_connect_v311_bridge_bit(void **state)
{
	static const uint8_t want[] = {
	    0x10, 0x0e, 0x00, 0x04, 'M',  'Q',	'T', 'T',
	    0x84, 0x00, 0x00, 0x3c, 0x00, 0x02, 'g', 'w',
	};
	struct codec_client_connect c = {
	    .version = MQTT_V311, .try_private = true, .keepalive = 60, .client_id = "gw"};
	uint8_t buf[64];
	size_t n = codec_client_connect(buf, sizeof(buf), &c);

	(void)state;
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	c.try_private = false;
	c.clean = true;
	codec_client_connect(buf, sizeof(buf), &c);
	assert_int_equal(buf[8], 0x04);
	assert_int_equal(buf[9], 0x02);
}

static void test_connect_v5_will_credentials(void **state)
{
	struct codec_client_connect c = {
	    .version = MQTT_V5,
	    .try_private = true, /* no bridge bit in v5 */
	    .keepalive = 5,
	    .client_id = "gw",
	    .username = "u",
	    .password = "pw",
	    .will_topic = "s",
	    .will_payload = "0",
	    .will_len = 1,
	    .will_qos = 1,
	    .will_retain = true,
	    .session_expiry = 0xFFFFFFFF,
	    .receive_max = 100,
	    .max_packet_size = 4096,
	};
	uint8_t buf[128];
	struct mqtt_packet pk;
	uint8_t reason;
	size_t n = codec_client_connect(buf, sizeof(buf), &c);

	(void)state;
	assert_true(n > 0 && n < sizeof(buf));
	assert_int_equal(codec_client_connect(NULL, 0, &c), n);
	/* the server-side decoder reads back what we meant */
	assert_int_equal(codec_decode(buf, n, 0, &pk, &reason), 0);
	assert_int_equal(pk.connect.version, MQTT_V5);
	assert_int_equal(pk.connect.keepalive, 5);
	assert_true(pk.connect.will && pk.connect.will_retain);
	assert_int_equal(pk.connect.will_qos, 1);
	assert_memory_equal(pk.connect.will_topic.p, "s", 1);
	assert_memory_equal(pk.connect.username.p, "u", 1);
	assert_memory_equal(pk.connect.password.p, "pw", 2);
	assert_int_equal(pk.connect.props.session_expiry, 0xFFFFFFFF);
	assert_int_equal(pk.connect.props.receive_max, 100);
	assert_int_equal(pk.connect.props.max_packet_size, 4096);
	/* small buffers are sized, not written */
	assert_int_equal(codec_client_connect(buf, 3, &c), n);
	c.version = MQTT_V31;
	assert_int_equal(codec_client_connect(buf, sizeof(buf), &c), 0);
}

struct vec {
	const char *name;
	uint8_t version;
	uint8_t bytes[16];
	size_t len;
	int ret;
	uint8_t type;
};

static void test_decode_direction(void **state)
{
	static const struct vec v[] = {
	    {"connack ok", 4, {0x20, 0x02, 0x00, 0x00}, 4, 0, MQTT_CONNACK},
	    {"connack bad creds", 4, {0x20, 0x02, 0x00, 0x04}, 4, 0, MQTT_CONNACK},
	    {"connack v3 code 6", 4, {0x20, 0x02, 0x00, 0x06}, 4, -EBADMSG, 0},
	    {"connack refused+sp", 4, {0x20, 0x02, 0x01, 0x05}, 4, -EBADMSG, 0},
	    {"connack v5 0x86", 5, {0x20, 0x03, 0x00, 0x86, 0x00}, 5, 0, MQTT_CONNACK},
	    {"connack v5 code 0x10", 5, {0x20, 0x03, 0x00, 0x10, 0x00}, 5, -EBADMSG, 0},
	    {"puback", 4, {0x40, 0x02, 0x00, 0x07}, 4, 0, MQTT_PUBACK},
	    {"pubrec", 4, {0x50, 0x02, 0x00, 0x07}, 4, 0, MQTT_PUBREC},
	    {"pubrel", 4, {0x62, 0x02, 0x00, 0x07}, 4, 0, MQTT_PUBREL},
	    {"pubcomp", 4, {0x70, 0x02, 0x00, 0x07}, 4, 0, MQTT_PUBCOMP},
	    {"suback", 4, {0x90, 0x03, 0x00, 0x01, 0x01}, 5, 0, MQTT_SUBACK},
	    {"pingresp", 4, {0xd0, 0x00}, 2, 0, MQTT_PINGRESP},
	    {"publish", 4, {0x32, 0x06, 0x00, 0x01, 'a', 0x00, 0x05, 'x'}, 8, 0, MQTT_PUBLISH},
	    {"v5 disconnect", 5, {0xe0, 0x01, 0x8b}, 3, 0, MQTT_DISCONNECT},
	    {"v3 disconnect", 4, {0xe0, 0x00}, 2, -EBADMSG, 0},
	    {"pingreq", 4, {0xc0, 0x00}, 2, -EBADMSG, 0},
	    {"subscribe", 4, {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}, 8, -EBADMSG, 0},
	    {"unsubscribe", 4, {0xa2, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}, 7, -EBADMSG, 0},
	    {"v3 auth", 4, {0xf0, 0x00}, 2, -EBADMSG, 0},
	    {"truncated", 4, {0x40, 0x02, 0x00}, 3, -EAGAIN, 0},
	    {"puback id 0", 4, {0x40, 0x02, 0x00, 0x00}, 4, -EBADMSG, 0},
	    {"publish qos3", 4, {0x36, 0x03, 0x00, 0x01, 'a'}, 5, -EBADMSG, 0},
	    {"too long", 4, {0x40, 0x02, 0x00, 0x01, 0x00}, 5, -EBADMSG, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct mqtt_packet pk;
		uint8_t reason = 0xff;
		int ret = codec_client_decode(v[i].bytes, v[i].len, v[i].version, &pk, &reason);

		if (ret != v[i].ret)
			fail_msg("%s: got %d, want %d", v[i].name, ret, v[i].ret);
		if (!ret)
			assert_int_equal(pk.type, v[i].type);
		if (ret == -EBADMSG)
			assert_true(reason >= MQTT_RC_UNSPECIFIED);
		else
			assert_int_equal(reason, MQTT_RC_SUCCESS);
	}
}

static void test_connack_str(void **state)
{
	(void)state;
	assert_string_equal(codec_client_connack_str(4, 4), "bad user name or password");
	assert_string_equal(codec_client_connack_str(4, 5), "not authorized");
	assert_string_equal(codec_client_connack_str(4, 9), "unknown return code");
	assert_string_equal(codec_client_connack_str(5, 0x86), "bad user name or password");
	assert_string_equal(codec_client_connack_str(5, 0x8a), "banned");
	assert_string_equal(codec_client_connack_str(5, 0xfe), "refused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect_v311_bridge_bit),
	    cmocka_unit_test(test_connect_v5_will_credentials),
	    cmocka_unit_test(test_decode_direction),
	    cmocka_unit_test(test_connack_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
