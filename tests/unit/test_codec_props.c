// SPDX-License-Identifier: MIT
/*
 * Unit tests for daemon/mqtt/codec_props.c: the v5 property rules checked exhaustively against
 * an independent copy of the spec's property table, value rules, duplicates, truncation,
 * walking a block and building one.
 */
#include "codec_test.h"

/* ---- v5 properties, exhaustively ---- */

/* MQTT 5.0 table 2.2.2.2 written per packet (index 0: Will Properties); 0 ends a list. */
static const uint8_t spec_props[16][20] = {
    [0] = {0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26},
    [MQTT_CONNECT] = {0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27},
    [MQTT_CONNACK] = {0x11, 0x12, 0x13, 0x15, 0x16, 0x1a, 0x1c, 0x1f, 0x21, 0x22, 0x24, 0x25, 0x26,
		      0x27, 0x28, 0x29, 0x2a},
    [MQTT_PUBLISH] = {0x01, 0x02, 0x03, 0x08, 0x09, 0x0b, 0x23, 0x26},
    [MQTT_PUBACK] = {0x1f, 0x26},
    [MQTT_PUBREC] = {0x1f, 0x26},
    [MQTT_PUBREL] = {0x1f, 0x26},
    [MQTT_PUBCOMP] = {0x1f, 0x26},
    [MQTT_SUBSCRIBE] = {0x0b, 0x26},
    [MQTT_SUBACK] = {0x1f, 0x26},
    [MQTT_UNSUBSCRIBE] = {0x26},
    [MQTT_UNSUBACK] = {0x1f, 0x26},
    [MQTT_DISCONNECT] = {0x11, 0x1c, 0x1f, 0x26},
    [MQTT_AUTH] = {0x15, 0x16, 0x1f, 0x26},
};

static bool spec_allows(unsigned int ctx, uint8_t id)
{
	const uint8_t *l = spec_props[ctx];

	for (; *l; l++)
		if (*l == id)
			return true;
	return false;
}

enum { T_NONE, T_BYTE, T_U16, T_U32, T_VAR, T_STR, T_BIN, T_PAIR };

/* Data types from the same table. */
static int spec_type(uint8_t id)
{
	switch (id) {
	case 0x01:
	case 0x17:
	case 0x19:
	case 0x24:
	case 0x25:
	case 0x28:
	case 0x29:
	case 0x2a:
		return T_BYTE;
	case 0x13:
	case 0x21:
	case 0x22:
	case 0x23:
		return T_U16;
	case 0x02:
	case 0x11:
	case 0x18:
	case 0x27:
		return T_U32;
	case 0x0b:
		return T_VAR;
	case 0x03:
	case 0x08:
	case 0x12:
	case 0x15:
	case 0x1a:
	case 0x1c:
	case 0x1f:
		return T_STR;
	case 0x09:
	case 0x16:
		return T_BIN;
	case 0x26:
		return T_PAIR;
	}
	return T_NONE;
}

/* A valid value of the property's type (every rule satisfied). */
static void prop_add(struct bb *b, uint8_t id)
{
	bb_u8(b, id);
	switch (spec_type(id)) {
	case T_BYTE:
		bb_u8(b, 1);
		break;
	case T_U16:
		bb_u16(b, 10);
		break;
	case T_U32:
		bb_u16(b, 0);
		bb_u16(b, 10);
		break;
	case T_VAR:
		bb_varint(b, 300);
		break;
	case T_STR:
		bb_str(b, "a/b");
		break;
	case T_BIN:
		bb_u16(b, 2);
		bb_u8(b, 0);
		bb_u8(b, 0xff);
		break;
	case T_PAIR:
		bb_str(b, "k");
		bb_str(b, "v");
		break;
	default:
		bb_u8(b, 0);
		break;
	}
}

/*
 * A minimal valid v5 packet of context `ctx` (0: CONNECT with will properties) carrying the
 * property block `props` (without its length) in `out`. Returns the first byte.
 */
static uint8_t build_v5(unsigned int ctx, const struct bb *props, struct bb *o)
{
	static const uint8_t b0[16] = {0x10, 0x10, 0x20, 0x30, 0x40, 0x50, 0x62, 0x70,
				       0x82, 0x90, 0xa2, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0};

	o->n = 0;
	if (ctx == 0 || ctx == MQTT_CONNECT) {
		bb_mem(o, "\x00\x04MQTT\x05", 7);
		bb_u8(o, ctx ? 0x02 : 0x06);
		bb_u16(o, 10);
		if (ctx)
			bb_varint(o, (uint32_t)props->n);
		else
			bb_u8(o, 0); /* no CONNECT properties */
		bb_mem(o, props->d, ctx ? props->n : 0);
		bb_str(o, "c");
		if (!ctx) {
			bb_varint(o, (uint32_t)props->n);
			bb_mem(o, props->d, props->n);
			bb_str(o, "w");
			bb_u16(o, 0);
		}
		return b0[ctx];
	}
	switch (ctx) {
	case MQTT_CONNACK:
		bb_u16(o, 0);
		break;
	case MQTT_PUBLISH:
		bb_str(o, "t");
		break;
	case MQTT_DISCONNECT:
		bb_u8(o, 0);
		break;
	case MQTT_AUTH:
		bb_u8(o, 0x18);
		break;
	default: /* everything with a packet id */
		bb_u16(o, 1);
		if (ctx <= MQTT_PUBCOMP)
			bb_u8(o, 0);
		break;
	}
	bb_varint(o, (uint32_t)props->n);
	bb_mem(o, props->d, props->n);
	switch (ctx) {
	case MQTT_PUBLISH:
		bb_u8(o, 'x');
		break;
	case MQTT_SUBSCRIBE:
		bb_str(o, "t");
		bb_u8(o, 0);
		break;
	case MQTT_UNSUBSCRIBE:
		bb_str(o, "t");
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		bb_u8(o, 0);
		break;
	}
	return b0[ctx];
}

/* Properties `id` needs beside it in `ctx`: an Authentication Method for data, and in AUTH. */
static void prop_prereq(struct bb *b, unsigned int ctx, uint8_t id)
{
	if (id == MQTT_PROP_AUTH_METHOD)
		return;
	if (ctx == MQTT_AUTH || (id == MQTT_PROP_AUTH_DATA && spec_allows(ctx, id)))
		prop_add(b, MQTT_PROP_AUTH_METHOD);
}

static int dec_props(unsigned int ctx, const struct bb *props, struct mqtt_packet *pkt,
		     uint8_t *reason)
{
	struct bb body;
	uint8_t b0 = build_v5(ctx, props, &body);

	return dec(5, b0, body.d, body.n, pkt, reason);
}

static const struct mqtt_props *props_of(unsigned int ctx, const struct mqtt_packet *pkt)
{
	switch (ctx) {
	case 0:
		return &pkt->connect.will_props;
	case MQTT_CONNECT:
		return &pkt->connect.props;
	case MQTT_CONNACK:
		return &pkt->connack.props;
	case MQTT_PUBLISH:
		return &pkt->publish.props;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		return &pkt->subscribe.props;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return &pkt->suback.props;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		return &pkt->disconnect.props;
	default:
		return &pkt->ack.props;
	}
}

/* Every identifier 0..255 in every packet that has properties: allowed iff the spec says. */
static void test_prop_matrix(void **state)
{
	unsigned int ctx, id;

	(void)state;
	for (ctx = 0; ctx < 16; ctx++) {
		struct mqtt_packet pkt;
		struct bb p = {.n = 0};
		uint8_t reason;

		if (ctx == MQTT_PINGREQ || ctx == MQTT_PINGRESP)
			continue;
		/* Baseline: the template itself is valid. */
		prop_prereq(&p, ctx, 0);
		if (dec_props(ctx, &p, &pkt, &reason))
			fail_msg("ctx %u: template rejected (0x%02x)", ctx, reason);
		for (id = 0; id < 256; id++) {
			bool ok = id < 0x80 && spec_allows(ctx, (uint8_t)id);
			int rc;

			p.n = 0;
			prop_prereq(&p, ctx, (uint8_t)id);
			prop_add(&p, (uint8_t)id);
			rc = dec_props(ctx, &p, &pkt, &reason);
			if (rc != (ok ? 0 : -EBADMSG) || reason != (ok ? 0 : MQTT_RC_MALFORMED))
				fail_msg("ctx %u id 0x%02x: rc %d reason 0x%02x", ctx, id, rc,
					 reason);
			if (ok) {
				const struct mqtt_props *pr = props_of(ctx, &pkt);

				assert_true(pr->seen & MQTT_PROP_BIT(id));
				assert_int_equal(pr->raw.len, p.n);
			}
		}
	}
}

/* Each allowed property: twice is a Protocol Error (but for the repeatable ones), a cut value
 * is malformed, and a string holding an overlong NUL is malformed. */
static void test_prop_dup_truncate_utf8(void **state)
{
	unsigned int ctx;
	const uint8_t *id;

	(void)state;
	for (ctx = 0; ctx < 16; ctx++) {
		for (id = spec_props[ctx]; *id; id++) {
			bool repeat = *id == MQTT_PROP_USER_PROPERTY ||
				      (*id == MQTT_PROP_SUBSCRIPTION_ID && ctx == MQTT_PUBLISH);
			struct mqtt_packet pkt;
			struct bb p = {.n = 0};
			uint8_t reason;
			int rc;

			prop_prereq(&p, ctx, *id);
			prop_add(&p, *id);
			prop_add(&p, *id);
			rc = dec_props(ctx, &p, &pkt, &reason);
			if (repeat ? rc != 0 : rc != -EBADMSG || reason != MQTT_RC_PROTOCOL_ERROR)
				fail_msg("dup ctx %u id 0x%02x: rc %d 0x%02x", ctx, *id, rc,
					 reason);
			if (repeat && *id == MQTT_PROP_USER_PROPERTY)
				assert_int_equal(props_of(ctx, &pkt)->user_count, 2);

			p.n = 0;
			prop_prereq(&p, ctx, *id);
			prop_add(&p, *id);
			p.n--;
			rc = dec_props(ctx, &p, &pkt, &reason);
			if (rc != -EBADMSG || reason != MQTT_RC_MALFORMED)
				fail_msg("cut ctx %u id 0x%02x: rc %d 0x%02x", ctx, *id, rc,
					 reason);

			if (spec_type(*id) != T_STR && spec_type(*id) != T_PAIR)
				continue;
			p.n = 0;
			prop_prereq(&p, ctx, *id);
			bb_u8(&p, *id);
			bb_mem(&p, "\x00\x02\xc0\x80", 4);
			if (spec_type(*id) == T_PAIR)
				bb_str(&p, "v");
			rc = dec_props(ctx, &p, &pkt, &reason);
			if (rc != -EBADMSG || reason != MQTT_RC_MALFORMED)
				fail_msg("utf8 ctx %u id 0x%02x: rc %d 0x%02x", ctx, *id, rc,
					 reason);
		}
	}
}

struct value_vec {
	const char *name;
	unsigned int ctx;
	const uint8_t *prop;
	size_t len;
	int rc;
	uint8_t reason;
};

static const struct value_vec value_vecs[] = {
    {"payload format 0", MQTT_PUBLISH, S(0x01, 0), OK},
    {"payload format 2", MQTT_PUBLISH, S(0x01, 2), PROTO},
    {"will payload format 2", 0, S(0x01, 2), PROTO},
    {"request problem info 0", MQTT_CONNECT, S(0x17, 0), OK},
    {"request problem info 2", MQTT_CONNECT, S(0x17, 2), PROTO},
    {"request response info 2", MQTT_CONNECT, S(0x19, 2), PROTO},
    {"max qos 0", MQTT_CONNACK, S(0x24, 0), OK},
    {"max qos 2", MQTT_CONNACK, S(0x24, 2), PROTO},
    {"retain available 2", MQTT_CONNACK, S(0x25, 2), PROTO},
    {"wildcard available 2", MQTT_CONNACK, S(0x28, 2), PROTO},
    {"sub id available 0xff", MQTT_CONNACK, S(0x29, 0xff), PROTO},
    {"shared available 2", MQTT_CONNACK, S(0x2a, 2), PROTO},
    {"receive max 0", MQTT_CONNECT, S(0x21, 0, 0), PROTO},
    {"connack receive max 0", MQTT_CONNACK, S(0x21, 0, 0), PROTO},
    {"receive max 1", MQTT_CONNECT, S(0x21, 0, 1), OK},
    {"max packet size 0", MQTT_CONNECT, S(0x27, 0, 0, 0, 0), PROTO},
    {"connack max packet size 0", MQTT_CONNACK, S(0x27, 0, 0, 0, 0), PROTO},
    {"topic alias max 0", MQTT_CONNECT, S(0x22, 0, 0), OK},
    {"session expiry 0", MQTT_CONNECT, S(0x11, 0, 0, 0, 0), OK},
    {"server keepalive 0", MQTT_CONNACK, S(0x13, 0, 0), OK},
    {"sub id 0 in SUBSCRIBE", MQTT_SUBSCRIBE, S(0x0b, 0), PROTO},
    {"sub id max", MQTT_SUBSCRIBE, S(0x0b, 0xff, 0xff, 0xff, 0x7f), OK},
    {"sub id 5 bytes", MQTT_SUBSCRIBE, S(0x0b, 0xff, 0xff, 0xff, 0xff, 0x7f), MAL},
    {"topic alias 0", MQTT_PUBLISH, S(0x23, 0, 0), ALIAS},
    {"topic alias 65535", MQTT_PUBLISH, S(0x23, 0xff, 0xff), OK},
    {"response topic +", MQTT_PUBLISH, S(0x08, 0, 3, 'a', '/', '+'), PROTO},
    {"will response topic empty", 0, S(0x08, 0, 0), PROTO},
    {"will response topic U+0000", 0, S(0x08, 0, 1, 0), MAL},
    {"correlation data binary", MQTT_PUBLISH, S(0x09, 0, 2, 0xff, 0x00), OK},
    {"auth data without method", MQTT_CONNECT, S(0x16, 0, 1, 'd'), PROTO},
    {"connack auth data without method", MQTT_CONNACK, S(0x16, 0, 0), PROTO},
    {"auth method then data", MQTT_CONNECT, S(0x16, 0, 0, 0x15, 0, 1, 'm'), OK},
    {"user property empty strings", MQTT_PUBACK, S(0x26, 0, 0, 0, 0), OK},
    {"reason string empty", MQTT_PUBACK, S(0x1f, 0, 0), OK},
    {"id only", MQTT_PUBACK, S(0x1f), MAL},
    {"string length cut", MQTT_PUBACK, S(0x1f, 0), MAL},
};

static void test_prop_values(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(value_vecs) / sizeof(value_vecs[0]); i++) {
		const struct value_vec *v = &value_vecs[i];
		struct mqtt_packet pkt;
		struct bb p = {.n = 0};
		uint8_t reason;
		int rc;

		bb_mem(&p, v->prop, v->len);
		rc = dec_props(v->ctx, &p, &pkt, &reason);
		if (rc != v->rc || reason != v->reason)
			fail_msg("%s: rc %d reason 0x%02x", v->name, rc, reason);
	}
}

/* A block kept apart from its packet parses exactly as inside it. */
static void test_props_parse(void **state)
{
	static const uint8_t pub[] = {0x23, 0, 7, 0x0b, 1, 0x0b, 2, 0x26, 0, 1, 'k', 0, 0};
	struct mqtt_props pr;
	uint8_t reason;

	(void)state;
	reason = 0xee;
	assert_int_equal(codec_props_parse(pub, sizeof(pub), MQTT_PUBLISH, &pr, &reason), 0);
	assert_int_equal(reason, 0);
	assert_int_equal(pr.topic_alias, 7);
	assert_int_equal(pr.subscription_id, 1);
	assert_int_equal(pr.user_count, 1);
	assert_int_equal(pr.request_problem_info, 1);
	assert_ptr_equal(pr.raw.p, pub);
	assert_int_equal(pr.raw.len, sizeof(pub));
	/* The same block is wrong elsewhere: in SUBSCRIBE (alias) and as Will Properties. */
	assert_int_equal(codec_props_parse(pub, sizeof(pub), MQTT_SUBSCRIBE, &pr, &reason),
			 -EBADMSG);
	assert_int_equal(reason, MQTT_RC_MALFORMED);
	assert_int_equal(codec_props_parse(pub, sizeof(pub), 0, &pr, &reason), -EBADMSG);
	assert_int_equal(codec_props_parse(pub + 3, 4, MQTT_SUBSCRIBE, &pr, &reason), -EBADMSG);
	assert_int_equal(reason, MQTT_RC_PROTOCOL_ERROR); /* two subscription ids */
	assert_int_equal(codec_props_parse(pub + 3, 2, MQTT_SUBSCRIBE, &pr, NULL), 0);
	assert_int_equal(pr.subscription_id, 1);
	/* Will Properties, truncated values, empty and NULL blocks, a bogus packet type. */
	assert_int_equal(
	    codec_props_parse((const uint8_t *)"\x18\x00\x00\x00\x05", 5, 0, &pr, &reason), 0);
	assert_int_equal(pr.will_delay, 5);
	assert_int_equal(
	    codec_props_parse((const uint8_t *)"\x18\x00\x00\x00\x05", 4, 0, &pr, &reason),
	    -EBADMSG);
	assert_int_equal(reason, MQTT_RC_MALFORMED);
	assert_int_equal(codec_props_parse(NULL, 0, MQTT_CONNECT, &pr, &reason), 0);
	assert_int_equal(pr.seen, 0);
	assert_int_equal(pr.raw.len, 0);
	assert_int_equal(codec_props_parse(pub, 0, 99, &pr, &reason), 0);
	assert_int_equal(codec_props_parse(pub + 7, 6, 99, &pr, &reason), -EBADMSG);
	assert_int_equal(codec_props_parse(pub + 7, 6, MQTT_PINGREQ, &pr, &reason), -EBADMSG);
}

/* codec_prop_next over a block holding every type. */
static void test_prop_next(void **state)
{
	uint8_t blk[128], id;
	struct mqtt_propbuf pb;
	struct mqtt_buf cur, v, v2;
	uint32_t num;

	(void)state;
	codec_props_init(&pb, blk, sizeof(blk));
	codec_props_byte(&pb, MQTT_PROP_PAYLOAD_FORMAT, 1);
	codec_props_u16(&pb, MQTT_PROP_TOPIC_ALIAS, 0x1234);
	codec_props_u32(&pb, MQTT_PROP_MESSAGE_EXPIRY, 0xdeadbeef);
	codec_props_varint(&pb, MQTT_PROP_SUBSCRIPTION_ID, 268435455);
	codec_props_str(&pb, MQTT_PROP_CONTENT_TYPE, "text", 4);
	codec_props_str(&pb, MQTT_PROP_CORRELATION_DATA, "\x00\x01", 2);
	codec_props_pair(&pb, MQTT_PROP_USER_PROPERTY, "key", 3, "value", 5);
	assert_false(pb.overflow);
	assert_int_equal(pb.len, 2 + 3 + 5 + 5 + 7 + 5 + 13);

	cur.p = blk;
	cur.len = pb.len;
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 1);
	assert_int_equal(id, 1);
	assert_int_equal(num, 1);
	buf_eq(v, "\x01", 1);
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 1);
	assert_int_equal(id, MQTT_PROP_TOPIC_ALIAS);
	assert_int_equal(num, 0x1234);
	buf_eq(v, "\x12\x34", 2);
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 1);
	assert_int_equal(num, 0xdeadbeef);
	assert_int_equal(v.len, 4);
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 1);
	assert_int_equal(id, MQTT_PROP_SUBSCRIPTION_ID);
	assert_int_equal(num, 268435455);
	buf_eq(v, "\xff\xff\xff\x7f", 4);
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 1);
	assert_int_equal(id, MQTT_PROP_CONTENT_TYPE);
	BUF_EQ(v, "text");
	assert_int_equal(codec_prop_next(&cur, &id, &v, NULL, NULL), 1);
	buf_eq(v, "\x00\x01", 2);
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 1);
	assert_int_equal(id, MQTT_PROP_USER_PROPERTY);
	BUF_EQ(v, "key");
	BUF_EQ(v2, "value");
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 0);
	assert_int_equal(cur.len, 0);

	/* It also parses what the decoder stored, e.g. two subscription ids. */
	{
		struct mqtt_packet pkt;
		uint8_t reason;
		int subs = 0;

		assert_int_equal(
		    dec(5, 0x30, S(0, 1, 't', 5, 0x0b, 1, 0x0b, 0x80, 0x01), &pkt, &reason), 0);
		cur = pkt.publish.props.raw;
		while (codec_prop_next(&cur, &id, &v, NULL, &num) == 1) {
			assert_int_equal(id, MQTT_PROP_SUBSCRIPTION_ID);
			assert_int_equal(num, subs ? 128 : 1);
			subs++;
		}
		assert_int_equal(subs, 2);
	}
	/* Unknown id or cut value ends the walk. */
	cur.p = (const uint8_t *)"\x04\x00";
	cur.len = 2;
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 0);
	assert_int_equal(cur.len, 0);
	cur.p = (const uint8_t *)"\x02\x00\x00";
	cur.len = 3;
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 0);
	cur.p = (const uint8_t *)"\x26\x00\x01k\x00\x05v";
	cur.len = 7;
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 0);
	cur.p = (const uint8_t *)"\x0b\x80\x80\x80\x80\x01";
	cur.len = 6;
	assert_int_equal(codec_prop_next(&cur, &id, &v, &v2, &num), 0);
}

static void test_props_builder(void **state)
{
	uint8_t blk[8], big[64];
	struct mqtt_propbuf pb;

	(void)state;
	memset(blk, 0xee, sizeof(blk));
	codec_props_init(&pb, blk, 6);
	codec_props_u32(&pb, MQTT_PROP_SESSION_EXPIRY, 1); /* 5 bytes: fits */
	assert_false(pb.overflow);
	codec_props_u16(&pb, MQTT_PROP_RECEIVE_MAX, 2); /* 3 bytes: does not */
	assert_true(pb.overflow);
	codec_props_byte(&pb, MQTT_PROP_MAX_QOS, 1); /* would fit, but nothing after overflow */
	assert_int_equal(pb.len, 10);
	assert_memory_equal(blk, "\x11\x00\x00\x00\x01\xee\xee", 7);

	/* Pure sizing. */
	codec_props_init(&pb, NULL, 100);
	codec_props_str(&pb, MQTT_PROP_REASON_STRING, "abc", 3);
	codec_props_pair(&pb, MQTT_PROP_USER_PROPERTY, "a", 1, "", 0);
	codec_props_varint(&pb, MQTT_PROP_SUBSCRIPTION_ID, 128);
	codec_props_raw(&pb, "\x01\x01", 2);
	assert_true(pb.overflow);
	assert_int_equal(pb.len, 6 + 6 + 3 + 2);

	/* Exact fit, and raw bytes appended verbatim. */
	codec_props_init(&pb, big, 17);
	codec_props_str(&pb, MQTT_PROP_REASON_STRING, "abc", 3);
	codec_props_pair(&pb, MQTT_PROP_USER_PROPERTY, "a", 1, "", 0);
	codec_props_varint(&pb, MQTT_PROP_SUBSCRIPTION_ID, 128);
	codec_props_raw(&pb, "\x01\x01", 2);
	assert_false(pb.overflow);
	assert_int_equal(pb.len, 17);
	assert_memory_equal(big,
			    "\x1f\x00\x03"
			    "abc"
			    "\x26\x00\x01"
			    "a\x00\x00"
			    "\x0b\x80\x01"
			    "\x01\x01",
			    17);

	/* An unencodable varint. */
	codec_props_init(&pb, big, sizeof(big));
	codec_props_varint(&pb, MQTT_PROP_SUBSCRIPTION_ID, MQTT_MAX_REMAINING + 1);
	assert_true(pb.overflow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prop_matrix), cmocka_unit_test(test_prop_dup_truncate_utf8),
	    cmocka_unit_test(test_prop_values), cmocka_unit_test(test_props_parse),
	    cmocka_unit_test(test_prop_next),	cmocka_unit_test(test_props_builder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
