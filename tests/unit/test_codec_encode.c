// SPDX-License-Identifier: MIT
/*
 * Unit tests for daemon/mqtt/codec_encode.c: encoders checked against spec bytes and sizing,
 * and round tripped through the decoder for 3.1, 3.1.1 and 5.0.
 */
#include "codec_test.h"

/* ---- encoders: spec bytes, sizing, round trips ---- */

static void test_encode_bytes(void **state)
{
	uint8_t b[64];
	struct mqtt_connect c = {0};

	(void)state;
	/* CONNECT, v3.1.1, clean, keep alive 60, id "c". */
	c.version = 4;
	c.clean = true;
	c.keepalive = 60;
	c.client_id.p = (const uint8_t *)"c";
	c.client_id.len = 1;
	assert_int_equal(codec_encode_connect(b, sizeof(b), &c, NULL, 0, NULL, 0), 15);
	assert_memory_equal(b,
			    "\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01"
			    "c",
			    15);
	c.version = 3;
	assert_int_equal(codec_encode_connect(b, sizeof(b), &c, NULL, 0, NULL, 0), 17);
	assert_memory_equal(b,
			    "\x10\x0f\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01"
			    "c",
			    17);
	c.version = 5;
	assert_int_equal(codec_encode_connect(b, sizeof(b), &c, NULL, 0, NULL, 0), 16);
	assert_memory_equal(b,
			    "\x10\x0e\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x01"
			    "c",
			    16);

	assert_int_equal(codec_encode_connack(b, sizeof(b), 4, true, 0, NULL, 0), 4);
	assert_memory_equal(b, "\x20\x02\x01\x00", 4);
	assert_int_equal(codec_encode_connack(b, sizeof(b), 3, true, 2, NULL, 0), 4);
	assert_memory_equal(b, "\x20\x02\x00\x02", 4);
	assert_int_equal(codec_encode_connack(b, sizeof(b), 5, false, 0x84, NULL, 0), 5);
	assert_memory_equal(b, "\x20\x03\x00\x84\x00", 5);

	/* MQTT 3.1.1 3.3.2.3 example: topic a/b, packet id 10. */
	assert_int_equal(codec_encode_publish(b, sizeof(b), 4, 1, false, false,
					      (const uint8_t *)"a/b", 3, 10, NULL, 0,
					      (const uint8_t *)"x", 1),
			 10);
	assert_memory_equal(b,
			    "\x32\x08\x00\x03"
			    "a/b\x00\x0a"
			    "x",
			    10);
	assert_int_equal(codec_encode_publish(b, sizeof(b), 5, 0, false, true, (const uint8_t *)"t",
					      1, 99, NULL, 0, NULL, 0),
			 6);
	assert_memory_equal(b, "\x31\x04\x00\x01t\x00", 6);

	/* Acks: v3 always 4 bytes; v5 short forms. */
	assert_int_equal(codec_encode_ack(b, sizeof(b), 4, MQTT_PUBREL, 7, 0x92, NULL, 0), 4);
	assert_memory_equal(b, "\x62\x02\x00\x07", 4);
	assert_int_equal(codec_encode_ack(b, sizeof(b), 5, MQTT_PUBACK, 7, 0, NULL, 0), 4);
	assert_memory_equal(b, "\x40\x02\x00\x07", 4);
	assert_int_equal(codec_encode_ack(b, sizeof(b), 5, MQTT_PUBREC, 7, 0x10, NULL, 0), 5);
	assert_memory_equal(b, "\x50\x03\x00\x07\x10", 5);
	assert_int_equal(codec_encode_ack(b, sizeof(b), 5, MQTT_PUBCOMP, 7, 0,
					  (const uint8_t *)"\x1f\x00\x00", 3),
			 9);
	assert_memory_equal(b, "\x70\x07\x00\x07\x00\x03\x1f\x00\x00", 9);
	assert_int_equal(codec_encode_ack(b, sizeof(b), 5, MQTT_PUBLISH, 7, 0, NULL, 0), 0);
	assert_int_equal(codec_encode_ack(b, sizeof(b), 5, MQTT_SUBACK, 7, 0, NULL, 0), 0);

	assert_int_equal(codec_encode_suback(b, sizeof(b), 4, MQTT_UNSUBACK, 5,
					     (const uint8_t *)"\x00", 1, NULL, 0),
			 4);
	assert_memory_equal(b, "\xb0\x02\x00\x05", 4);
	assert_int_equal(codec_encode_suback(b, sizeof(b), 5, MQTT_UNSUBACK, 5,
					     (const uint8_t *)"\x11", 1, NULL, 0),
			 6);
	assert_memory_equal(b, "\xb0\x04\x00\x05\x00\x11", 6);
	assert_int_equal(codec_encode_suback(b, sizeof(b), 5, MQTT_PUBACK, 5, NULL, 0, NULL, 0), 0);

	assert_int_equal(codec_encode_simple(b, sizeof(b), MQTT_PINGREQ), 2);
	assert_memory_equal(b, "\xc0\x00", 2);
	assert_int_equal(codec_encode_simple(b, sizeof(b), MQTT_PINGRESP), 2);
	assert_memory_equal(b, "\xd0\x00", 2);
	assert_int_equal(codec_encode_simple(b, sizeof(b), MQTT_DISCONNECT), 2);
	assert_memory_equal(b, "\xe0\x00", 2);
	assert_int_equal(codec_encode_simple(b, sizeof(b), MQTT_PUBLISH), 0);

	assert_int_equal(codec_encode_disconnect(b, sizeof(b), 4, MQTT_DISCONNECT, 0x8e, NULL, 0),
			 2);
	assert_memory_equal(b, "\xe0\x00", 2);
	assert_int_equal(codec_encode_disconnect(b, sizeof(b), 4, MQTT_AUTH, 0, NULL, 0), 0);
	assert_int_equal(codec_encode_disconnect(b, sizeof(b), 5, MQTT_DISCONNECT, 0, NULL, 0), 2);
	assert_int_equal(codec_encode_disconnect(b, sizeof(b), 5, MQTT_DISCONNECT, 0x8e, NULL, 0),
			 3);
	assert_memory_equal(b, "\xe0\x01\x8e", 3);
	assert_int_equal(codec_encode_disconnect(b, sizeof(b), 5, MQTT_DISCONNECT, 0,
						 (const uint8_t *)"\x11\x00\x00\x00\x01", 5),
			 9);
	assert_memory_equal(b, "\xe0\x07\x00\x05\x11\x00\x00\x00\x01", 9);
	assert_int_equal(codec_encode_disconnect(b, sizeof(b), 5, MQTT_AUTH, 0, NULL, 0), 2);
	assert_memory_equal(b, "\xf0\x00", 2);
	assert_int_equal(codec_encode_disconnect(b, sizeof(b), 5, MQTT_AUTH, 0x18,
						 (const uint8_t *)"\x15\x00\x01m", 4),
			 8);
	assert_memory_equal(b, "\xf0\x06\x18\x04\x15\x00\x01m", 8);
	assert_int_equal(codec_encode_disconnect(b, sizeof(b), 5, MQTT_PUBACK, 0, NULL, 0), 0);
}

/* Encoder number i (0..8) with fixed, valid arguments into (b, cap). */
static size_t encode_nth(unsigned int i, uint8_t *b, size_t cap)
{
	/* A User Property: valid in every packet with properties. */
	static const uint8_t props[] = {0x26, 0, 1, 'k', 0, 0};
	static const struct mqtt_sub_entry e = {{(const uint8_t *)"a/b", 3}, 1};
	static const struct mqtt_buf f = {(const uint8_t *)"a/b", 3};
	struct mqtt_connect c = {.version = 5, .will = true, .client_id = f, .will_topic = f};

	switch (i) {
	case 0:
		return codec_encode_connect(b, cap, &c, props, 6, props, 0);
	case 1:
		return codec_encode_connack(b, cap, 5, false, 0, props, 6);
	case 2:
		return codec_encode_publish(b, cap, 5, 2, 1, 1, f.p, 3, 1, props, 6, f.p, 3);
	case 3:
		return codec_encode_ack(b, cap, 5, MQTT_PUBACK, 1, 0x80, props, 6);
	case 4:
		return codec_encode_subscribe(b, cap, 5, 1, &e, 1, props, 0);
	case 5:
		return codec_encode_unsubscribe(b, cap, 5, 1, &f, 1, props, 0);
	case 6:
		return codec_encode_suback(b, cap, 5, MQTT_SUBACK, 1, (const uint8_t *)"\x01", 1,
					   props, 6);
	case 7:
		return codec_encode_disconnect(b, cap, 5, MQTT_DISCONNECT, 0, props, 6);
	default:
		return codec_encode_simple(b, cap, MQTT_PINGREQ);
	}
}

/* snprintf semantics: size with (NULL, 0); a buffer one byte short is left untouched. */
static void test_encode_sizing(void **state)
{
	uint8_t b[300], props[] = {0x1f, 0, 1, 'x'};
	struct mqtt_sub_entry e = {{(const uint8_t *)"a/b", 3}, 1};
	struct mqtt_buf f = {(const uint8_t *)"a/b", 3};
	struct mqtt_connect c = {.version = 5, .client_id = f};
	unsigned int i;

	(void)state;
	for (i = 0; i < 9; i++) {
		size_t n = encode_nth(i, NULL, 0);
		struct mqtt_packet pkt;
		uint8_t reason;

		assert_true(n > 0 && n < sizeof(b));
		memset(b, 0xee, sizeof(b));
		assert_int_equal(encode_nth(i, b, n - 1), n);
		assert_int_equal(b[0], 0xee);
		assert_int_equal(encode_nth(i, b, n), n);
		assert_int_equal(b[n], 0xee);
		assert_int_equal(codec_decode(b, n, 5, &pkt, &reason), 0);
	}
	/* Too large to encode at all. */
	assert_int_equal(
	    codec_encode_publish(NULL, 0, 4, 0, 0, 0, f.p, 3, 0, NULL, 0, f.p, MQTT_MAX_REMAINING),
	    0);
	assert_int_equal(codec_encode_publish(NULL, 0, 4, 0, 0, 0, f.p, 3, 0, NULL, 0, f.p,
					      MQTT_MAX_REMAINING - 5),
			 MQTT_MAX_REMAINING + 5);
	assert_int_equal(codec_encode_connack(NULL, 0, 5, 0, 0, props, MQTT_MAX_REMAINING), 0);
	assert_int_equal(codec_encode_connack(NULL, 0, 5, 0, 0, props, MQTT_MAX_REMAINING + 1), 0);
	/* NULL codes or properties count as none. */
	assert_int_equal(codec_encode_suback(NULL, 0, 5, MQTT_SUBACK, 1, NULL, 3, NULL, 9), 5);
	c.client_id.len = 70000;
	assert_int_equal(codec_encode_connect(NULL, 0, &c, NULL, 0, NULL, 0), 0);
	e.filter.len = 65536;
	assert_int_equal(codec_encode_subscribe(NULL, 0, 4, 1, &e, 1, NULL, 0), 0);
	/* v3 ignores properties entirely. */
	assert_int_equal(codec_encode_connack(NULL, 0, 4, false, 0, props, 4), 4);
}

/* PUBLISH with payload == NULL: header part only, full size returned, for writev. */
static size_t pub_hdr(uint8_t *b, size_t cap, uint8_t ver, uint8_t qos, const uint8_t *payload,
		      uint32_t len)
{
	static const uint8_t props[] = {0x23, 0, 5};

	return codec_encode_publish(b, cap, ver, qos, false, false, (const uint8_t *)"a/b", 3, 42,
				    props, sizeof(props), payload, len);
}

static void test_encode_publish_header_only(void **state)
{
	static const uint8_t payload[200] = {1, 2, 3};
	uint8_t full[300], hdr[300], ver, qos;

	(void)state;
	for (ver = 3; ver <= 5; ver++) {
		for (qos = 0; qos < 3; qos++) {
			size_t n = pub_hdr(full, sizeof(full), ver, qos, payload, sizeof(payload));
			size_t h = codec_publish_header_size(ver, qos, 3, 3, sizeof(payload));
			struct mqtt_packet pkt;
			uint8_t reason;

			assert_int_equal(h + sizeof(payload), n);
			assert_int_equal(h, 1 + 2 + 2 + 3 + (qos ? 2 : 0) + (ver == 5 ? 4 : 0));
			/* Only the header part must fit. */
			memset(hdr, 0xee, sizeof(hdr));
			assert_int_equal(pub_hdr(hdr, h - 1, ver, qos, NULL, sizeof(payload)), n);
			assert_int_equal(hdr[0], 0xee);
			assert_int_equal(pub_hdr(hdr, h, ver, qos, NULL, sizeof(payload)), n);
			assert_memory_equal(hdr, full, h);
			assert_int_equal(hdr[h], 0xee);
			/* Header + payload as two pieces decode as one packet. */
			memcpy(hdr + h, payload, sizeof(payload));
			assert_int_equal(codec_decode(hdr, n, ver, &pkt, &reason), 0);
			assert_int_equal(pkt.publish.payload.len, sizeof(payload));
			assert_int_equal(pkt.publish.packet_id, qos ? 42 : 0);
		}
	}
	/* Sizing alone, and a size that cannot be encoded. */
	assert_int_equal(pub_hdr(NULL, 0, 4, 1, NULL, 1000), 1 + 2 + 2 + 3 + 2 + 1000);
	assert_int_equal(codec_publish_header_size(4, 0, 3, 0, MQTT_MAX_REMAINING), 0);
}

/* Encode with every encoder, decode back, compare fields: for 3.1, 3.1.1 and 5.0. */
static void test_roundtrip_connect(void **state)
{
	static const uint8_t pw[] = {0, 0xff, 'p'};
	uint8_t b[512], props[64], wprops[64];
	struct mqtt_propbuf pb, wb;
	unsigned int ver, flags;

	(void)state;
	codec_props_init(&pb, props, sizeof(props));
	codec_props_u32(&pb, MQTT_PROP_SESSION_EXPIRY, 3600);
	codec_props_u16(&pb, MQTT_PROP_RECEIVE_MAX, 100);
	codec_props_pair(&pb, MQTT_PROP_USER_PROPERTY, "k", 1, "v", 1);
	codec_props_init(&wb, wprops, sizeof(wprops));
	codec_props_u32(&wb, MQTT_PROP_WILL_DELAY, 5);
	codec_props_str(&wb, MQTT_PROP_RESPONSE_TOPIC, "r/t", 3);
	for (ver = 3; ver <= 5; ver++) {
		/* every combination of clean, will (+qos, retain), username, password */
		for (flags = 0; flags < 64; flags++) {
			struct mqtt_connect c = {0}, *d;
			struct mqtt_packet pkt;
			uint8_t reason;
			size_t n;

			c.version = (uint8_t)ver;
			c.clean = flags & 1;
			c.will = flags & 2;
			c.will_qos = c.will ? (flags >> 2) % 3 : 0;
			c.will_retain = c.will && (flags & 8);
			c.has_username = flags & 16;
			c.has_password = (flags & 32) && (c.has_username || ver == 5);
			c.keepalive = (uint16_t)(flags * 1000);
			c.client_id.p = (const uint8_t *)"client-\xc3\xa9";
			c.client_id.len = 9;
			c.will_topic.p = (const uint8_t *)"will/topic";
			c.will_topic.len = 10;
			c.will_payload.p = (const uint8_t *)"gone";
			c.will_payload.len = 4;
			c.username.p = (const uint8_t *)"user";
			c.username.len = 4;
			c.password.p = pw;
			c.password.len = sizeof(pw);
			n = codec_encode_connect(b, sizeof(b), &c, props, pb.len, wprops, wb.len);
			assert_true(n > 0 && n <= sizeof(b));
			assert_int_equal(codec_decode(b, n, 0, &pkt, &reason), 0);
			d = &pkt.connect;
			assert_int_equal(d->version, ver);
			if (ver == 3)
				BUF_EQ(d->proto_name, "MQIsdp");
			else
				BUF_EQ(d->proto_name, "MQTT");
			assert_int_equal(d->clean, c.clean);
			assert_int_equal(d->will, c.will);
			assert_int_equal(d->will_qos, c.will_qos);
			assert_int_equal(d->will_retain, c.will_retain);
			assert_int_equal(d->has_username, c.has_username);
			assert_int_equal(d->has_password, c.has_password);
			assert_int_equal(d->keepalive, c.keepalive);
			buf_eq(d->client_id, c.client_id.p, c.client_id.len);
			if (c.will) {
				BUF_EQ(d->will_topic, "will/topic");
				BUF_EQ(d->will_payload, "gone");
			} else {
				assert_int_equal(d->will_topic.len, 0);
			}
			if (c.has_username)
				BUF_EQ(d->username, "user");
			if (c.has_password)
				buf_eq(d->password, pw, sizeof(pw));
			if (ver == 5) {
				buf_eq(d->props.raw, props, pb.len);
				assert_int_equal(d->props.session_expiry, 3600);
				assert_int_equal(d->props.receive_max, 100);
				assert_int_equal(d->props.user_count, 1);
				if (c.will) {
					assert_int_equal(d->will_props.will_delay, 5);
					BUF_EQ(d->will_props.response_topic, "r/t");
				}
			} else {
				assert_int_equal(d->props.seen, 0);
				assert_int_equal(d->will_props.seen, 0);
			}
		}
	}
}

static void roundtrip_publish(uint8_t ver, uint8_t qos, bool dup, bool retain,
			      const uint8_t *payload, uint32_t len, uint8_t *b)
{
	static const uint8_t props[] = {0x01, 1, 0x02, 0, 0, 0, 9, 0x23, 0, 3};
	static const uint8_t topic[] = "s/\xe2\x82\xac";
	struct mqtt_packet pkt;
	struct mqtt_frame f;
	uint8_t reason;
	size_t n;

	n = codec_encode_publish(b, len + 64, ver, qos, dup, retain, topic, 5, qos ? 0xbeef : 0,
				 props, sizeof(props), payload, len);
	assert_int_equal(codec_frame(b, n, 0, &f, &reason), 0);
	assert_int_equal(f.hdr_len + f.rem_len, n);
	assert_int_equal(f.hdr_len, 1 + codec_varint_size(f.rem_len));
	assert_int_equal(codec_decode(b, n, ver, &pkt, &reason), 0);
	assert_int_equal(pkt.publish.qos, qos);
	assert_int_equal(pkt.publish.dup, dup);
	assert_int_equal(pkt.publish.retain, retain);
	buf_eq(pkt.publish.topic, topic, 5);
	assert_int_equal(pkt.publish.packet_id, qos ? 0xbeef : 0);
	buf_eq(pkt.publish.payload, payload, len);
	if (ver == 5) {
		buf_eq(pkt.publish.props.raw, props, sizeof(props));
		assert_int_equal(pkt.publish.props.payload_format, 1);
		assert_int_equal(pkt.publish.props.topic_alias, 3);
		assert_int_equal(pkt.publish.props.message_expiry, 9);
	} else {
		assert_int_equal(pkt.publish.props.seen, 0);
	}
}

/* Payload sizes around every Remaining Length byte count, for every version and flag. */
static void test_roundtrip_publish(void **state)
{
	static const uint32_t sizes[] = {0, 1, 100, 127 - 7, 127 - 6, 16384, 2100000};
	unsigned int i, fl;
	uint8_t ver, qos;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *payload = malloc(sizes[i] + 1), *b = malloc(sizes[i] + 64);
		uint32_t k;

		for (k = 0; k < sizes[i]; k++)
			payload[k] = (uint8_t)(k * 7);
		for (ver = 3; ver <= 5; ver++)
			for (qos = 0; qos < 3; qos++)
				for (fl = 0; fl < 4; fl++)
					roundtrip_publish(ver, qos, qos && (fl & 1), fl & 2,
							  payload, sizes[i], b);
		free(payload);
		free(b);
	}
}

static void test_roundtrip_acks(void **state)
{
	static const uint8_t rs[] = {0x1f, 0, 2, 'o', 'k'};
	uint8_t ver, type, form;

	(void)state;
	for (ver = 3; ver <= 5; ver++) {
		for (type = MQTT_PUBACK; type <= MQTT_PUBCOMP; type++) {
			for (form = 0; form < 3; form++) {
				uint8_t code = form ? (type <= MQTT_PUBREC ? 0x10 : 0x92) : 0;
				uint32_t plen = form == 2 ? sizeof(rs) : 0;
				struct mqtt_packet pkt;
				uint8_t b[32], reason;
				size_t n;

				n = codec_encode_ack(b, sizeof(b), ver, type, 0x0102, code, rs,
						     plen);
				if (ver < 5)
					assert_int_equal(n, 4);
				else
					assert_int_equal(n, 4 + !!form + (plen ? 1 + plen : 0));
				assert_int_equal(codec_decode(b, n, ver, &pkt, &reason), 0);
				assert_int_equal(pkt.type, type);
				assert_int_equal(pkt.flags, type == MQTT_PUBREL ? 2 : 0);
				assert_int_equal(pkt.ack.packet_id, 0x0102);
				assert_int_equal(pkt.ack.reason, ver < 5 ? 0 : code);
				if (ver == 5 && plen)
					BUF_EQ(pkt.ack.props.reason_string, "ok");
				else
					assert_int_equal(pkt.ack.props.seen, 0);
			}
		}
	}
}

static void test_roundtrip_subscribe(void **state)
{
	static const struct mqtt_sub_entry in[] = {
	    {{(const uint8_t *)"a/+/c", 5}, 0, false, false, 0},
	    {{(const uint8_t *)"#", 1}, 1, true, false, 1},
	    {{(const uint8_t *)"$share/g/x/#", 12}, 2, false, true, 2},
	    {{(const uint8_t *)"\xf0\x9f\x98\x80/z", 6}, 1, true, true, 0},
	};
	struct mqtt_buf filters[4];
	uint8_t b[256], props[] = {0x0b, 0x2a};
	unsigned int ver, i;

	(void)state;
	for (i = 0; i < 4; i++)
		filters[i] = in[i].filter;
	for (ver = 3; ver <= 5; ver++) {
		struct mqtt_sub_entry e;
		struct mqtt_packet pkt;
		struct mqtt_buf cur;
		uint8_t reason;
		size_t n;

		n = codec_encode_subscribe(b, sizeof(b), (uint8_t)ver, 77, in, 4, props, 2);
		assert_int_equal(codec_decode(b, n, (uint8_t)ver, &pkt, &reason), 0);
		assert_int_equal(pkt.type, MQTT_SUBSCRIBE);
		assert_int_equal(pkt.flags, 2);
		assert_int_equal(pkt.subscribe.packet_id, 77);
		assert_int_equal(pkt.subscribe.count, 4);
		assert_int_equal(pkt.subscribe.props.subscription_id, ver == 5 ? 42 : 0);
		cur = pkt.subscribe.entries;
		for (i = 0; i < 4; i++) {
			assert_int_equal(codec_sub_next(&cur, (uint8_t)ver, false, &e), 1);
			buf_eq(e.filter, in[i].filter.p, in[i].filter.len);
			assert_int_equal(e.qos, in[i].qos);
			assert_int_equal(e.no_local, ver == 5 && in[i].no_local);
			assert_int_equal(e.retain_as_published,
					 ver == 5 && in[i].retain_as_published);
			assert_int_equal(e.retain_handling, ver == 5 ? in[i].retain_handling : 0);
		}
		assert_int_equal(codec_sub_next(&cur, (uint8_t)ver, false, &e), 0);

		n = codec_encode_unsubscribe(b, sizeof(b), (uint8_t)ver, 78, filters, 4, NULL, 0);
		assert_int_equal(codec_decode(b, n, (uint8_t)ver, &pkt, &reason), 0);
		assert_int_equal(pkt.type, MQTT_UNSUBSCRIBE);
		assert_int_equal(pkt.subscribe.packet_id, 78);
		assert_int_equal(pkt.subscribe.count, 4);
		cur = pkt.subscribe.entries;
		for (i = 0; i < 4; i++) {
			assert_int_equal(codec_sub_next(&cur, (uint8_t)ver, true, &e), 1);
			buf_eq(e.filter, in[i].filter.p, in[i].filter.len);
		}
		assert_int_equal(codec_sub_next(&cur, (uint8_t)ver, true, &e), 0);

		n = codec_encode_suback(b, sizeof(b), (uint8_t)ver, MQTT_SUBACK, 77,
					(const uint8_t *)"\x00\x01\x02\x80", 4, NULL, 0);
		assert_int_equal(codec_decode(b, n, (uint8_t)ver, &pkt, &reason), 0);
		assert_int_equal(pkt.suback.packet_id, 77);
		buf_eq(pkt.suback.codes, "\x00\x01\x02\x80", 4);

		n = codec_encode_suback(b, sizeof(b), (uint8_t)ver, MQTT_UNSUBACK, 78,
					(const uint8_t *)"\x00\x11\x00\x11", 4,
					(const uint8_t *)"\x1f\x00\x00", 3);
		assert_int_equal(codec_decode(b, n, (uint8_t)ver, &pkt, &reason), 0);
		assert_int_equal(pkt.type, MQTT_UNSUBACK);
		assert_int_equal(pkt.suback.packet_id, 78);
		if (ver == 5) {
			buf_eq(pkt.suback.codes, "\x00\x11\x00\x11", 4);
			assert_true(pkt.suback.props.seen & MQTT_PROP_BIT(MQTT_PROP_REASON_STRING));
		} else {
			assert_int_equal(pkt.suback.codes.len, 0);
			assert_int_equal(n, 4);
		}
	}
}

static void test_roundtrip_control(void **state)
{
	static const uint8_t types[] = {MQTT_PINGREQ, MQTT_PINGRESP, MQTT_DISCONNECT};
	static const uint8_t codes[] = {0x00, 0x04, 0x8e, 0xa2};
	uint8_t b[64], reason;
	struct mqtt_packet pkt;
	unsigned int ver, i, with_props;

	(void)state;
	for (ver = 3; ver <= 5; ver++) {
		for (i = 0; i < sizeof(types); i++) {
			size_t n = codec_encode_simple(b, sizeof(b), types[i]);

			assert_int_equal(codec_decode(b, n, (uint8_t)ver, &pkt, &reason), 0);
			assert_int_equal(pkt.type, types[i]);
		}
		for (i = 0; i < 6; i++) {
			bool present = i & 1 && ver != 3;
			uint8_t code = (uint8_t)(i / 2);
			size_t n = codec_encode_connack(b, sizeof(b), (uint8_t)ver, present,
							ver == 5 && code ? 0x80 + code : code,
							(const uint8_t *)"\x24\x01", 2);

			if (present && code)
				continue; /* a refusal never has a session */
			assert_int_equal(codec_decode(b, n, (uint8_t)ver, &pkt, &reason), 0);
			assert_int_equal(pkt.connack.session_present, present);
			assert_int_equal(pkt.connack.code, ver == 5 && code ? 0x80 + code : code);
			assert_int_equal(pkt.connack.props.max_qos, ver == 5 ? 1 : 0);
		}
	}
	for (i = 0; i < sizeof(codes); i++) {
		for (with_props = 0; with_props < 2; with_props++) {
			uint32_t pl = with_props ? 5 : 0;
			const uint8_t *p = (const uint8_t *)"\x11\x00\x00\x01\x00";
			size_t n = codec_encode_disconnect(b, sizeof(b), 5, MQTT_DISCONNECT,
							   codes[i], p, pl);

			assert_int_equal(codec_decode(b, n, 5, &pkt, &reason), 0);
			assert_int_equal(pkt.disconnect.reason, codes[i]);
			assert_int_equal(pkt.disconnect.props.session_expiry, with_props ? 256 : 0);
		}
	}
	for (i = 0; i < 3; i++) {
		static const uint8_t auth_codes[] = {0x00, 0x18, 0x19};
		size_t n = codec_encode_disconnect(b, sizeof(b), 5, MQTT_AUTH, auth_codes[i],
						   (const uint8_t *)"\x15\x00\x01m", 4);

		assert_int_equal(codec_decode(b, n, 5, &pkt, &reason), 0);
		assert_int_equal(pkt.type, MQTT_AUTH);
		assert_int_equal(pkt.disconnect.reason, auth_codes[i]);
		BUF_EQ(pkt.disconnect.props.auth_method, "m");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_bytes),
	    cmocka_unit_test(test_encode_sizing),
	    cmocka_unit_test(test_encode_publish_header_only),
	    cmocka_unit_test(test_roundtrip_connect),
	    cmocka_unit_test(test_roundtrip_publish),
	    cmocka_unit_test(test_roundtrip_acks),
	    cmocka_unit_test(test_roundtrip_subscribe),
	    cmocka_unit_test(test_roundtrip_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
