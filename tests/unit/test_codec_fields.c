// SPDX-License-Identifier: MIT
/*
 * Unit tests for the codec's decoded fields: the UTF-8 and wildcard scanner at every position,
 * and the fields of each packet type decoded from spec bytes.
 */
#include "codec_test.h"

/* ---- UTF-8 ---- */

struct utf8_vec {
	const char *name;
	const uint8_t *s;
	size_t len;
	bool ok;
};

static const struct utf8_vec utf8_vecs[] = {
    {"ascii", S('h', 'e', 'l', 'l', 'o'), true},
    {"U+0001", S(0x01), true},
    {"U+007F", S(0x7f), true},
    {"U+0080", S(0xc2, 0x80), true},
    {"U+07FF", S(0xdf, 0xbf), true},
    {"U+0800", S(0xe0, 0xa0, 0x80), true},
    {"U+D7FF", S(0xed, 0x9f, 0xbf), true},
    {"U+E000", S(0xee, 0x80, 0x80), true},
    {"U+FEFF BOM", S(0xef, 0xbb, 0xbf), true},
    {"U+FFFF", S(0xef, 0xbf, 0xbf), true},
    {"U+10000", S(0xf0, 0x90, 0x80, 0x80), true},
    {"U+40000", S(0xf1, 0x80, 0x80, 0x80), true},
    {"U+FFFFF", S(0xf3, 0xbf, 0xbf, 0xbf), true},
    {"U+10FFFF", S(0xf4, 0x8f, 0xbf, 0xbf), true},
    {"mixed", S('a', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 'z'), true},
    {"U+0000", S(0x00), false},
    {"U+0000 inside", S('a', 0x00, 'b'), false},
    {"lone continuation", S(0x80), false},
    {"lone continuation bf", S(0xbf), false},
    {"overlong 2 c0", S(0xc0, 0x80), false},
    {"overlong 2 c1", S(0xc1, 0xbf), false},
    {"overlong NUL c0 80 inside", S('a', 0xc0, 0x80, 'b'), false},
    {"truncated 2", S(0xc2), false},
    {"bad continuation 2", S(0xc2, 0x41), false},
    {"bad continuation c0", S(0xc2, 0xc0), false},
    {"overlong 3 e0 80", S(0xe0, 0x80, 0x80), false},
    {"overlong 3 e0 9f", S(0xe0, 0x9f, 0xbf), false},
    {"truncated 3", S(0xe0, 0xa0), false},
    {"truncated 3 one byte", S(0xe2), false},
    {"bad continuation 3", S(0xe2, 0x82, 0x41), false},
    {"surrogate D800", S(0xed, 0xa0, 0x80), false},
    {"surrogate DB7F", S(0xed, 0xad, 0xbf), false},
    {"surrogate DFFF", S(0xed, 0xbf, 0xbf), false},
    {"surrogate pair", S(0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9), false},
    {"overlong 4 f0 80", S(0xf0, 0x80, 0x80, 0x80), false},
    {"overlong 4 f0 8f", S(0xf0, 0x8f, 0xbf, 0xbf), false},
    {"above U+10FFFF", S(0xf4, 0x90, 0x80, 0x80), false},
    {"f5", S(0xf5, 0x80, 0x80, 0x80), false},
    {"f8 5-byte", S(0xf8, 0x88, 0x80, 0x80, 0x80), false},
    {"fc 6-byte", S(0xfc, 0x84, 0x80, 0x80, 0x80, 0x80), false},
    {"fe", S(0xfe), false},
    {"ff", S(0xff), false},
    {"truncated 4", S(0xf0, 0x90, 0x80), false},
    {"bad continuation 4", S(0xf0, 0x90, 0x80, 0x41), false},
    {"bad continuation 4 pos 2", S(0xf0, 0x90, 0x41, 0x80), false},
};

static void test_utf8_vectors(void **state)
{
	size_t i;

	(void)state;
	assert_true(codec_utf8_valid(NULL, 0));
	for (i = 0; i < sizeof(utf8_vecs) / sizeof(utf8_vecs[0]); i++) {
		const struct utf8_vec *v = &utf8_vecs[i];
		uint8_t *b = malloc(v->len);

		memcpy(b, v->s, v->len);
		if (codec_utf8_valid(b, v->len) != v->ok)
			fail_msg("%s: want %d", v->name, v->ok);
		free(b);
	}
}

/* codec_utf8_valid on an exact-size heap copy, so ASan sees any read past the end. */
static bool utf8_exact(const uint8_t *s, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	bool ok;

	memcpy(c, s, n);
	ok = codec_utf8_valid(c, n);
	free(c);
	return ok;
}

/* Exercise the word-at-a-time path: a bad or multi-byte character at every offset. */
static void test_utf8_positions(void **state)
{
	static const uint8_t bad[] = {0x00, 0x80, 0xff, 0xc0};
	uint8_t b[64];
	size_t len, pos, k;

	(void)state;
	for (len = 1; len <= 40; len++) {
		for (pos = 0; pos < len; pos++) {
			for (k = 0; k < sizeof(bad); k++) {
				memset(b, 'a', len);
				b[pos] = bad[k];
				if (utf8_exact(b, len))
					fail_msg("len %zu pos %zu byte %02x", len, pos, bad[k]);
			}
			/* A 3-byte character ending exactly at pos + 3, and one cut by len. */
			memset(b, 'a', len + 3);
			memcpy(b + pos, "\xe2\x82\xac", 3);
			assert_true(utf8_exact(b, pos + 3));
			if (pos + 3 > len)
				assert_false(utf8_exact(b, len));
			else
				assert_true(utf8_exact(b, len));
			/* Two 4-byte characters straddling the word boundaries. */
			memset(b, 'a', len + 8);
			memcpy(b + pos, "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 8);
			assert_true(utf8_exact(b, len + 8));
			assert_false(utf8_exact(b, pos + 7));
		}
		memset(b, 'a', len);
		assert_true(utf8_exact(b, len));
	}
}

/* PUBLISH topic scanning: a wildcard at every offset, past multi-byte text too. */
static void test_topic_wildcard_positions(void **state)
{
	struct mqtt_packet pkt;
	uint8_t body[64], reason;
	size_t len, pos, pre;

	(void)state;
	for (pre = 0; pre <= 2; pre += 2) {
		for (len = 1; len <= 30; len++) {
			for (pos = 0; pos < len; pos++) {
				body[0] = 0;
				body[1] = (uint8_t)(len + pre);
				memcpy(body + 2, "\xc3\xa9", pre);
				memset(body + 2 + pre, 'a', len);
				body[2 + pre + pos] = pos & 1 ? '+' : '#';
				assert_int_equal(dec(4, 0x30, body, 2 + pre + len, &pkt, &reason),
						 -EBADMSG);
				assert_int_equal(reason, MQTT_RC_TOPIC_NAME_INVALID);
				body[2 + pre + pos] = '/';
				assert_int_equal(dec(4, 0x30, body, 2 + pre + len, &pkt, &reason),
						 0);
				assert_int_equal(pkt.publish.topic.len, len + pre);
			}
		}
	}
}

/* ---- decoded fields from hand-written bytes ---- */

/* MQTT 3.1.1 section 3.1.2.10 example variable header (flags 0xCE, keep alive 10). */
static void test_spec_connect_v311(void **state)
{
	static const uint8_t pkt_bytes[] = {
	    0x10, 35,  0,   4,	 'M', 'Q', 'T', 'T', 4,	  0xce, 0,   10,  0,
	    3,	  'c', 'i', 'd', 0,   3,   'w', '/', 't', 0,	3,   'b', 'y',
	    'e',  0,   4,   'u', 's', 'e', 'r', 0,   2,	  'p',	'w',
	};
	struct mqtt_packet pkt;
	uint8_t reason = 0xee;
	struct mqtt_connect *c = &pkt.connect;

	(void)state;
	assert_int_equal(sizeof(pkt_bytes), 37);
	assert_int_equal(codec_decode(pkt_bytes, sizeof(pkt_bytes), 0, &pkt, &reason), 0);
	assert_int_equal(reason, 0);
	assert_int_equal(pkt.type, MQTT_CONNECT);
	BUF_EQ(c->proto_name, "MQTT");
	assert_int_equal(c->version, 4);
	assert_true(c->clean);
	assert_true(c->will);
	assert_int_equal(c->will_qos, 1);
	assert_false(c->will_retain);
	assert_true(c->has_username);
	assert_true(c->has_password);
	assert_int_equal(c->keepalive, 10);
	BUF_EQ(c->client_id, "cid");
	BUF_EQ(c->will_topic, "w/t");
	BUF_EQ(c->will_payload, "bye");
	BUF_EQ(c->username, "user");
	BUF_EQ(c->password, "pw");
	assert_int_equal(c->props.seen, 0);
	assert_int_equal(c->props.request_problem_info, 1);
	assert_int_equal(c->will_props.seen, 0);
}

/* MQTT 5.0 section 3.1.2.11 style: properties in CONNECT and in the will. */
static void test_spec_connect_v5(void **state)
{
	static const uint8_t body[] = {
	    0,
	    4,
	    'M',
	    'Q',
	    'T',
	    'T',
	    5,
	    0xc6,
	    0,
	    10,
	    /* properties */
	    27,
	    0x11,
	    0,
	    0,
	    0,
	    10,
	    0x21,
	    0,
	    20,
	    0x22,
	    0,
	    5,
	    0x27,
	    0,
	    0,
	    4,
	    0,
	    0x17,
	    0,
	    0x19,
	    1,
	    0x26,
	    0,
	    1,
	    'k',
	    0,
	    1,
	    'v',
	    /* client id */
	    0,
	    1,
	    'c',
	    /* will properties */
	    15,
	    0x18,
	    0,
	    0,
	    0,
	    30,
	    0x01,
	    1,
	    0x03,
	    0,
	    1,
	    't',
	    0x09,
	    0,
	    1,
	    0xff,
	    /* will topic, payload, user, password */
	    0,
	    1,
	    'w',
	    0,
	    1,
	    'x',
	    0,
	    1,
	    'u',
	    0,
	    1,
	    'p',
	};
	struct mqtt_packet pkt;
	uint8_t reason;
	struct mqtt_connect *c = &pkt.connect;

	(void)state;
	assert_int_equal(dec(4, 0x10, body, sizeof(body), &pkt, &reason), 0);
	assert_int_equal(c->version, 5);
	assert_true(c->clean && c->will && c->has_username && c->has_password);
	assert_int_equal(c->will_qos, 0);
	assert_int_equal(c->props.seen, MQTT_PROP_BIT(0x11) | MQTT_PROP_BIT(0x21) |
					    MQTT_PROP_BIT(0x22) | MQTT_PROP_BIT(0x27) |
					    MQTT_PROP_BIT(0x17) | MQTT_PROP_BIT(0x19) |
					    MQTT_PROP_BIT(0x26));
	assert_int_equal(c->props.session_expiry, 10);
	assert_int_equal(c->props.receive_max, 20);
	assert_int_equal(c->props.topic_alias_max, 5);
	assert_int_equal(c->props.max_packet_size, 1024);
	assert_int_equal(c->props.request_problem_info, 0);
	assert_int_equal(c->props.request_response_info, 1);
	assert_int_equal(c->props.user_count, 1);
	assert_int_equal(c->props.raw.len, 27);
	assert_ptr_equal(c->props.raw.p, frame_buf + 2 + 10 + 1);
	BUF_EQ(c->client_id, "c");
	assert_int_equal(c->will_props.will_delay, 30);
	assert_int_equal(c->will_props.payload_format, 1);
	BUF_EQ(c->will_props.content_type, "t");
	BUF_EQ(c->will_props.correlation_data, "\xff");
	assert_int_equal(c->will_props.raw.len, 15);
	assert_int_equal(c->will_props.request_problem_info, 1);
	BUF_EQ(c->will_topic, "w");
	BUF_EQ(c->will_payload, "x");
	BUF_EQ(c->username, "u");
	BUF_EQ(c->password, "p");
}

static void test_connect_errors_fill_fields(void **state)
{
	struct mqtt_packet pkt;
	uint8_t reason;

	(void)state;
	/* Unsupported: the level seen is reported, for CONNACK 0x01 (3.x) or 0x84 (5.0). */
	assert_int_equal(dec(0, 0x10, S(MQTTN, 7, 2, 0, 60, 0, 0, 1, 'c'), &pkt, &reason),
			 -EPROTONOSUPPORT);
	assert_int_equal(reason, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION);
	assert_int_equal(pkt.connect.version, 7);
	BUF_EQ(pkt.connect.proto_name, "MQTT");
	assert_int_equal(dec(0, 0x10, S(MQISDP, 4, 2, 0, 60, 0, 1, 'c'), &pkt, &reason),
			 -EPROTONOSUPPORT);
	assert_int_equal(pkt.connect.version, 4);
	BUF_EQ(pkt.connect.proto_name, "MQIsdp");
	/* Identifier rejected: the whole packet is there for the CONNACK. */
	assert_int_equal(dec(0, 0x10, S(MQTTN, 4, 0x80, 0, 9, 0, 0, 0, 1, 'u'), &pkt, &reason),
			 -EBADMSG);
	assert_int_equal(reason, MQTT_RC_CLIENT_ID_NOT_VALID);
	assert_int_equal(pkt.connect.version, 4);
	assert_int_equal(pkt.connect.keepalive, 9);
	assert_int_equal(pkt.connect.client_id.len, 0);
	BUF_EQ(pkt.connect.username, "u");
	assert_int_equal(dec(0, 0x10, S(MQISDP, 3, 0x02, 0, 9, 0, 0), &pkt, &reason), -EBADMSG);
	assert_int_equal(reason, MQTT_RC_CLIENT_ID_NOT_VALID);
	assert_int_equal(pkt.connect.version, 3);
	assert_true(pkt.connect.clean);
}

/* The bridge bit (Mosquitto): level 0x84/0x83 is 3.1.1/3.1 from a bridge; 0x85 is refused. */
static void test_connect_bridge_bit(void **state)
{
	struct mqtt_packet pkt;
	uint8_t reason;

	(void)state;
	assert_int_equal(dec(0, 0x10, S(MQTTN, 0x84, 2, 0, 60, 0, 1, 'c'), &pkt, &reason), 0);
	assert_int_equal(pkt.connect.version, MQTT_V311);
	assert_true(pkt.connect.bridge);
	assert_int_equal(dec(0, 0x10, S(MQISDP, 0x83, 2, 0, 60, 0, 1, 'c'), &pkt, &reason), 0);
	assert_int_equal(pkt.connect.version, MQTT_V31);
	assert_true(pkt.connect.bridge);
	assert_int_equal(dec(0, 0x10, S(MQTTN, 4, 2, 0, 60, 0, 1, 'c'), &pkt, &reason), 0);
	assert_false(pkt.connect.bridge);
	assert_int_equal(dec(0, 0x10, S(MQTTN, 0x85, 2, 0, 60, 0, 0, 1, 'c'), &pkt, &reason),
			 -EPROTONOSUPPORT);
	assert_int_equal(pkt.connect.version, 0x85);
}

static void test_publish_fields(void **state)
{
	static const uint8_t body[] = {
	    0,
	    3,
	    'a',
	    '/',
	    'b',
	    0x12,
	    0x34,
	    /* properties: 2+5+4+4+4+2+3+7+3 = 34 */
	    34,
	    0x01,
	    1,
	    0x02,
	    0,
	    0,
	    0,
	    60,
	    0x03,
	    0,
	    1,
	    'j',
	    0x08,
	    0,
	    1,
	    'r',
	    0x09,
	    0,
	    1,
	    0x00,
	    0x0b,
	    5,
	    0x0b,
	    0x80,
	    0x01,
	    0x26,
	    0,
	    1,
	    'k',
	    0,
	    1,
	    'v',
	    0x23,
	    0,
	    7,
	    /* payload */
	    'h',
	    'i',
	};
	struct mqtt_packet pkt;
	uint8_t reason;
	struct mqtt_publish *m = &pkt.publish;

	(void)state;
	assert_int_equal(dec(5, 0x3b, body, sizeof(body), &pkt, &reason), 0);
	assert_int_equal(pkt.type, MQTT_PUBLISH);
	assert_int_equal(pkt.flags, 0xb);
	assert_int_equal(m->qos, 1);
	assert_true(m->dup);
	assert_true(m->retain);
	BUF_EQ(m->topic, "a/b");
	assert_int_equal(m->packet_id, 0x1234);
	assert_int_equal(m->props.payload_format, 1);
	assert_int_equal(m->props.message_expiry, 60);
	BUF_EQ(m->props.content_type, "j");
	BUF_EQ(m->props.response_topic, "r");
	assert_int_equal(m->props.correlation_data.len, 1);
	assert_int_equal(m->props.subscription_id, 5); /* the first one */
	assert_int_equal(m->props.user_count, 1);
	assert_int_equal(m->props.topic_alias, 7);
	assert_int_equal(m->props.raw.len, 34);
	assert_int_equal(m->props.seen, MQTT_PROP_BIT(1) | MQTT_PROP_BIT(2) | MQTT_PROP_BIT(3) |
					    MQTT_PROP_BIT(8) | MQTT_PROP_BIT(9) |
					    MQTT_PROP_BIT(0x0b) | MQTT_PROP_BIT(0x26) |
					    MQTT_PROP_BIT(0x23));
	BUF_EQ(m->payload, "hi");

	/* v3: the same header parses without properties; qos 0 has no packet id. */
	assert_int_equal(dec(4, 0x31, S(0, 1, 't', 'p', 'l'), &pkt, &reason), 0);
	assert_int_equal(m->qos, 0);
	assert_false(m->dup);
	assert_true(m->retain);
	assert_int_equal(m->packet_id, 0);
	BUF_EQ(m->payload, "pl");
	assert_int_equal(m->props.seen, 0);
	assert_int_equal(m->props.raw.len, 0);
	assert_int_equal(m->props.request_problem_info, 1);
	/* Empty payload. */
	assert_int_equal(dec(5, 0x30, S(0, 1, 't', 0), &pkt, &reason), 0);
	assert_int_equal(m->payload.len, 0);
	assert_int_equal(m->props.raw.len, 0);
}

static void test_connack_fields(void **state)
{
	static const uint8_t body[] = {
	    1,
	    0,
	    /* 5+5+3+3+3+2+2+2+2+2+4+4+4+4+4+5 = 54 */
	    54,
	    0x11,
	    0,
	    0,
	    1,
	    0,
	    0x27,
	    0,
	    1,
	    0,
	    0,
	    0x21,
	    0,
	    9,
	    0x22,
	    0,
	    8,
	    0x13,
	    0,
	    30,
	    0x24,
	    1,
	    0x25,
	    0,
	    0x28,
	    0,
	    0x29,
	    1,
	    0x2a,
	    0,
	    0x12,
	    0,
	    1,
	    'a',
	    0x1a,
	    0,
	    1,
	    'i',
	    0x1c,
	    0,
	    1,
	    's',
	    0x1f,
	    0,
	    1,
	    'r',
	    0x15,
	    0,
	    1,
	    'm',
	    0x16,
	    0,
	    2,
	    'd',
	    'd',
	};
	struct mqtt_packet pkt;
	uint8_t reason;
	struct mqtt_props *p = &pkt.connack.props;

	(void)state;
	assert_int_equal(dec(5, 0x20, body, sizeof(body), &pkt, &reason), 0);
	assert_true(pkt.connack.session_present);
	assert_int_equal(pkt.connack.code, 0);
	assert_int_equal(p->session_expiry, 256);
	assert_int_equal(p->max_packet_size, 65536);
	assert_int_equal(p->receive_max, 9);
	assert_int_equal(p->topic_alias_max, 8);
	assert_int_equal(p->server_keepalive, 30);
	assert_int_equal(p->max_qos, 1);
	assert_int_equal(p->retain_available, 0);
	assert_int_equal(p->wildcard_available, 0);
	assert_int_equal(p->sub_id_available, 1);
	assert_int_equal(p->shared_available, 0);
	BUF_EQ(p->assigned_client_id, "a");
	BUF_EQ(p->response_info, "i");
	BUF_EQ(p->server_reference, "s");
	BUF_EQ(p->reason_string, "r");
	BUF_EQ(p->auth_method, "m");
	BUF_EQ(p->auth_data, "dd");
	assert_true(p->seen & MQTT_PROP_BIT(MQTT_PROP_RETAIN_AVAILABLE));
	assert_int_equal(__builtin_popcountll(p->seen), 16);

	assert_int_equal(dec(4, 0x20, S(1, 0), &pkt, &reason), 0);
	assert_true(pkt.connack.session_present);
	assert_int_equal(dec(3, 0x20, S(1, 2), &pkt, &reason), 0);
	assert_false(pkt.connack.session_present); /* 3.1 has no such flag */
	assert_int_equal(pkt.connack.code, 2);
}

static void test_ack_fields(void **state)
{
	struct mqtt_packet pkt;
	uint8_t reason;

	(void)state;
	assert_int_equal(dec(5, 0x50, S(0xab, 0xcd, 0x97, 4, 0x1f, 0, 1, 'q'), &pkt, &reason), 0);
	assert_int_equal(pkt.type, MQTT_PUBREC);
	assert_int_equal(pkt.ack.packet_id, 0xabcd);
	assert_int_equal(pkt.ack.reason, 0x97);
	BUF_EQ(pkt.ack.props.reason_string, "q");
	assert_int_equal(dec(5, 0x62, S(0, 9), &pkt, &reason), 0);
	assert_int_equal(pkt.ack.reason, 0);
	assert_int_equal(pkt.ack.props.seen, 0);
	assert_int_equal(dec(5, 0x70, S(0, 9, 0x92), &pkt, &reason), 0);
	assert_int_equal(pkt.ack.reason, 0x92);
	/* An empty block is still a view at its place in the frame. */
	assert_int_equal(dec(5, 0x40, S(0, 1, 0x87, 0), &pkt, &reason), 0);
	assert_ptr_equal(pkt.ack.props.raw.p, frame_buf + 6);
	assert_int_equal(pkt.ack.props.raw.len, 0);
	assert_int_equal(dec(4, 0x40, S(0xff, 0xff), &pkt, &reason), 0);
	assert_int_equal(pkt.ack.packet_id, 0xffff);
	assert_int_equal(pkt.ack.reason, 0);
}

/* MQTT 3.1.1 section 3.8.3 / 3.9.3 / 3.10.3 examples, and the entry walk. */
static void test_spec_subscribe(void **state)
{
	static const uint8_t sub[] = {0x82, 0x0e, 0x00, 0x0a, 0,   3,	'a', '/',
				      'b',  1,	  0,	3,    'c', '/', 'd', 2};
	static const uint8_t suback[] = {0x90, 0x05, 0x00, 0x0a, 0x00, 0x02, 0x80};
	static const uint8_t unsub[] = {0xa2, 0x0c, 0x00, 0x0a, 0,   3,	  'a',
					'/',  'b',  0,	  3,	'c', '/', 'd'};
	struct mqtt_sub_entry e;
	struct mqtt_packet pkt;
	struct mqtt_buf cur;
	uint8_t reason;

	(void)state;
	assert_int_equal(codec_decode(sub, sizeof(sub), 4, &pkt, &reason), 0);
	assert_int_equal(pkt.subscribe.packet_id, 10);
	assert_int_equal(pkt.subscribe.count, 2);
	assert_int_equal(pkt.subscribe.entries.len, 12);
	cur = pkt.subscribe.entries;
	assert_int_equal(codec_sub_next(&cur, 4, false, &e), 1);
	BUF_EQ(e.filter, "a/b");
	assert_int_equal(e.qos, 1);
	assert_int_equal(codec_sub_next(&cur, 4, false, &e), 1);
	BUF_EQ(e.filter, "c/d");
	assert_int_equal(e.qos, 2);
	assert_false(e.no_local);
	assert_int_equal(codec_sub_next(&cur, 4, false, &e), 0);
	assert_int_equal(codec_sub_next(&cur, 4, false, &e), 0);

	assert_int_equal(codec_decode(suback, sizeof(suback), 4, &pkt, &reason), 0);
	assert_int_equal(pkt.suback.packet_id, 10);
	buf_eq(pkt.suback.codes, "\x00\x02\x80", 3);

	assert_int_equal(codec_decode(unsub, sizeof(unsub), 4, &pkt, &reason), 0);
	assert_int_equal(pkt.subscribe.count, 2);
	cur = pkt.subscribe.entries;
	assert_int_equal(codec_sub_next(&cur, 4, true, &e), 1);
	BUF_EQ(e.filter, "a/b");
	assert_int_equal(e.qos, 0);
	assert_int_equal(codec_sub_next(&cur, 4, true, &e), 1);
	BUF_EQ(e.filter, "c/d");
	assert_int_equal(codec_sub_next(&cur, 4, true, &e), 0);

	/* The same bytes encode back. */
	{
		struct mqtt_sub_entry es[2] = {{{(const uint8_t *)"a/b", 3}, 1},
					       {{(const uint8_t *)"c/d", 3}, 2}};
		struct mqtt_buf fs[2] = {{(const uint8_t *)"a/b", 3}, {(const uint8_t *)"c/d", 3}};
		uint8_t out[64];

		assert_int_equal(codec_encode_subscribe(out, sizeof(out), 4, 10, es, 2, NULL, 0),
				 sizeof(sub));
		assert_memory_equal(out, sub, sizeof(sub));
		assert_int_equal(codec_encode_suback(out, sizeof(out), 4, MQTT_SUBACK, 10,
						     (const uint8_t *)"\x00\x02\x80", 3, NULL, 0),
				 sizeof(suback));
		assert_memory_equal(out, suback, sizeof(suback));
		assert_int_equal(codec_encode_unsubscribe(out, sizeof(out), 4, 10, fs, 2, NULL, 0),
				 sizeof(unsub));
		assert_memory_equal(out, unsub, sizeof(unsub));
	}
}

static void test_subscribe_v5_fields(void **state)
{
	struct mqtt_sub_entry e;
	struct mqtt_packet pkt;
	struct mqtt_buf cur;
	uint8_t reason;

	(void)state;
	assert_int_equal(
	    dec(5, 0x82,
		S(0, 7, 3, 0x0b, 0xff, 0x7f, 0, 1, 'a', 0x2e, 0, 1, 'b', 0x11, 0, 1, 'c', 0x08),
		&pkt, &reason),
	    0);
	assert_int_equal(pkt.subscribe.packet_id, 7);
	assert_int_equal(pkt.subscribe.props.subscription_id, 16383);
	assert_int_equal(pkt.subscribe.count, 3);
	cur = pkt.subscribe.entries;
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 1);
	BUF_EQ(e.filter, "a");
	assert_int_equal(e.qos, 2);
	assert_true(e.no_local);
	assert_true(e.retain_as_published);
	assert_int_equal(e.retain_handling, 2);
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 1);
	assert_int_equal(e.qos, 1);
	assert_false(e.no_local);
	assert_false(e.retain_as_published);
	assert_int_equal(e.retain_handling, 1);
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 1);
	assert_int_equal(e.qos, 0);
	assert_true(e.retain_as_published);
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 0);

	/* A bad filter still yields a complete packet description for the SUBACK. */
	assert_int_equal(dec(5, 0x82, S(0, 9, 0, 0, 1, 'a', 1, 0, 2, 'a', '#', 2), &pkt, &reason),
			 -EBADMSG);
	assert_int_equal(reason, MQTT_RC_TOPIC_FILTER_INVALID);
	assert_int_equal(pkt.subscribe.packet_id, 9);
	assert_int_equal(pkt.subscribe.count, 2);
	cur = pkt.subscribe.entries;
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 1);
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 1);
	BUF_EQ(e.filter, "a#");
	assert_int_equal(e.qos, 2);
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 0);

	/* A truncated cursor (never from the decoder) ends the walk. */
	cur.p = (const uint8_t *)"\x00\x05"
				 "ab";
	cur.len = 4;
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 0);
	assert_int_equal(cur.len, 0);
	cur.p = (const uint8_t *)"\x00\x01"
				 "a";
	cur.len = 3;
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 0); /* no options byte */
	cur.p = (const uint8_t *)"\x00\x01"
				 "a";
	cur.len = 3;
	assert_int_equal(codec_sub_next(&cur, 5, true, &e), 1);
	cur.p = (const uint8_t *)"\x00";
	cur.len = 1;
	assert_int_equal(codec_sub_next(&cur, 5, true, &e), 0);
}

static void test_disconnect_auth_fields(void **state)
{
	struct mqtt_packet pkt;
	uint8_t reason;

	(void)state;
	assert_int_equal(dec(5, 0xe0, S(0x9c, 9, 0x11, 0, 0, 0, 5, 0x1c, 0, 1, 's'), &pkt, &reason),
			 0);
	assert_int_equal(pkt.disconnect.reason, 0x9c);
	assert_int_equal(pkt.disconnect.props.session_expiry, 5);
	BUF_EQ(pkt.disconnect.props.server_reference, "s");
	assert_int_equal(dec(5, 0xe0, S(0x04), &pkt, &reason), 0);
	assert_int_equal(pkt.disconnect.reason, 4);
	assert_int_equal(pkt.disconnect.props.seen, 0);
	assert_int_equal(dec(5, 0xe0, NULL, 0, &pkt, &reason), 0);
	assert_int_equal(pkt.disconnect.reason, 0);
	assert_int_equal(dec(5, 0xf0, S(0x19, 8, 0x15, 0, 1, 'm', 0x16, 0, 1, 'd'), &pkt, &reason),
			 0);
	assert_int_equal(pkt.type, MQTT_AUTH);
	assert_int_equal(pkt.disconnect.reason, 0x19);
	BUF_EQ(pkt.disconnect.props.auth_method, "m");
	BUF_EQ(pkt.disconnect.props.auth_data, "d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_vectors),
	    cmocka_unit_test(test_utf8_positions),
	    cmocka_unit_test(test_topic_wildcard_positions),
	    cmocka_unit_test(test_spec_connect_v311),
	    cmocka_unit_test(test_spec_connect_v5),
	    cmocka_unit_test(test_connect_errors_fill_fields),
	    cmocka_unit_test(test_connect_bridge_bit),
	    cmocka_unit_test(test_publish_fields),
	    cmocka_unit_test(test_connack_fields),
	    cmocka_unit_test(test_ack_fields),
	    cmocka_unit_test(test_spec_subscribe),
	    cmocka_unit_test(test_subscribe_v5_fields),
	    cmocka_unit_test(test_disconnect_auth_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
