// SPDX-License-Identifier: MIT
/*
 * codec_props: MQTT 5 properties (see include/codec.h): the spec's property table, checking
 * and parsing a block (for codec_decode, and for blocks stored by the broker), walking one
 * (codec_prop_next) and building one (codec_props_*). Layer L0: pure.
 *
 * It shares the byte helpers and the reading cursor of codec_int.h with codec.c. Checks
 * return 0 or an MQTT 5 reason code.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "codec_int.h"

/* ---- the property table and the rules ---- */

enum prop_type { PT_NONE, PT_BYTE, PT_U16, PT_U32, PT_VARINT, PT_STR, PT_BIN, PT_PAIR };

/* Value rules beyond the type (section 3 of MQTT 5.0). */
enum prop_rule {
	PR_ANY,
	PR_BOOL,    /* 0 or 1, else Protocol Error */
	PR_NONZERO, /* 0 is a Protocol Error */
	PR_ALIAS,   /* 0 is never a valid alias [MQTT-3.3.2-8]; the range is the caller's */
	PR_TOPIC,   /* a topic name: non-empty, no wildcards [MQTT-3.3.2-14] */
};

/* Where a property may appear: bit n is packet type n; bit 0 (no such type) is Will Properties. */
#define IN(t)	(1u << MQTT_##t)
#define IN_WILL 1u
#define IN_ACKS (IN(PUBACK) | IN(PUBREC) | IN(PUBREL) | IN(PUBCOMP))
#define AT(f)	offsetof(struct mqtt_props, f)

struct prop_def {
	uint8_t type;
	uint8_t rule;
	uint16_t where;
	uint16_t off; /* the field of struct mqtt_props that receives the value */
};

/* The property table of MQTT 5.0 section 2.2.2.2. Identifiers not listed are invalid. */
static const struct prop_def prop_defs[] = {
    [MQTT_PROP_PAYLOAD_FORMAT] = {PT_BYTE, PR_BOOL, IN(PUBLISH) | IN_WILL, AT(payload_format)},
    [MQTT_PROP_MESSAGE_EXPIRY] = {PT_U32, PR_ANY, IN(PUBLISH) | IN_WILL, AT(message_expiry)},
    [MQTT_PROP_CONTENT_TYPE] = {PT_STR, PR_ANY, IN(PUBLISH) | IN_WILL, AT(content_type)},
    [MQTT_PROP_RESPONSE_TOPIC] = {PT_STR, PR_TOPIC, IN(PUBLISH) | IN_WILL, AT(response_topic)},
    [MQTT_PROP_CORRELATION_DATA] = {PT_BIN, PR_ANY, IN(PUBLISH) | IN_WILL, AT(correlation_data)},
    [MQTT_PROP_SUBSCRIPTION_ID] = {PT_VARINT, PR_NONZERO, IN(PUBLISH) | IN(SUBSCRIBE),
				   AT(subscription_id)},
    [MQTT_PROP_SESSION_EXPIRY] = {PT_U32, PR_ANY, IN(CONNECT) | IN(CONNACK) | IN(DISCONNECT),
				  AT(session_expiry)},
    [MQTT_PROP_ASSIGNED_CLIENT_ID] = {PT_STR, PR_ANY, IN(CONNACK), AT(assigned_client_id)},
    [MQTT_PROP_SERVER_KEEPALIVE] = {PT_U16, PR_ANY, IN(CONNACK), AT(server_keepalive)},
    [MQTT_PROP_AUTH_METHOD] = {PT_STR, PR_ANY, IN(CONNECT) | IN(CONNACK) | IN(AUTH),
			       AT(auth_method)},
    [MQTT_PROP_AUTH_DATA] = {PT_BIN, PR_ANY, IN(CONNECT) | IN(CONNACK) | IN(AUTH), AT(auth_data)},
    [MQTT_PROP_REQUEST_PROBLEM_INFO] = {PT_BYTE, PR_BOOL, IN(CONNECT), AT(request_problem_info)},
    [MQTT_PROP_WILL_DELAY] = {PT_U32, PR_ANY, IN_WILL, AT(will_delay)},
    [MQTT_PROP_REQUEST_RESPONSE_INFO] = {PT_BYTE, PR_BOOL, IN(CONNECT), AT(request_response_info)},
    [MQTT_PROP_RESPONSE_INFO] = {PT_STR, PR_ANY, IN(CONNACK), AT(response_info)},
    [MQTT_PROP_SERVER_REFERENCE] = {PT_STR, PR_ANY, IN(CONNACK) | IN(DISCONNECT),
				    AT(server_reference)},
    [MQTT_PROP_REASON_STRING] = {PT_STR, PR_ANY,
				 IN(CONNACK) | IN_ACKS | IN(SUBACK) | IN(UNSUBACK) |
				     IN(DISCONNECT) | IN(AUTH),
				 AT(reason_string)},
    [MQTT_PROP_RECEIVE_MAX] = {PT_U16, PR_NONZERO, IN(CONNECT) | IN(CONNACK), AT(receive_max)},
    [MQTT_PROP_TOPIC_ALIAS_MAX] = {PT_U16, PR_ANY, IN(CONNECT) | IN(CONNACK), AT(topic_alias_max)},
    [MQTT_PROP_TOPIC_ALIAS] = {PT_U16, PR_ALIAS, IN(PUBLISH), AT(topic_alias)},
    [MQTT_PROP_MAX_QOS] = {PT_BYTE, PR_BOOL, IN(CONNACK), AT(max_qos)},
    [MQTT_PROP_RETAIN_AVAILABLE] = {PT_BYTE, PR_BOOL, IN(CONNACK), AT(retain_available)},
    [MQTT_PROP_USER_PROPERTY] = {PT_PAIR, PR_ANY,
				 IN(CONNECT) | IN(CONNACK) | IN(PUBLISH) | IN_WILL | IN_ACKS |
				     IN(SUBSCRIBE) | IN(SUBACK) | IN(UNSUBSCRIBE) | IN(UNSUBACK) |
				     IN(DISCONNECT) | IN(AUTH),
				 AT(user_count)},
    [MQTT_PROP_MAX_PACKET_SIZE] = {PT_U32, PR_NONZERO, IN(CONNECT) | IN(CONNACK),
				   AT(max_packet_size)},
    [MQTT_PROP_WILDCARD_AVAILABLE] = {PT_BYTE, PR_BOOL, IN(CONNACK), AT(wildcard_available)},
    [MQTT_PROP_SUB_ID_AVAILABLE] = {PT_BYTE, PR_BOOL, IN(CONNACK), AT(sub_id_available)},
    [MQTT_PROP_SHARED_AVAILABLE] = {PT_BYTE, PR_BOOL, IN(CONNACK), AT(shared_available)},
};

#undef IN
#undef AT

/* A property value as read from the wire: a number, or one or two byte views. */
struct prop_val {
	uint32_t num;
	struct mqtt_buf a, b;
};

/* Read a value of the given type. Returns 0 or RC_MALFORMED (truncated, varint, UTF-8). */
static int prop_read(struct rd *r, uint8_t type, struct prop_val *v)
{
	int rc;

	switch (type) {
	case PT_BYTE:
		if (r->p >= r->end)
			return RC_MALFORMED;
		v->num = *r->p++;
		return 0;
	case PT_U16:
		if (rd_left(r) < 2)
			return RC_MALFORMED;
		v->num = get_u16(r->p);
		r->p += 2;
		return 0;
	case PT_U32:
		if (rd_left(r) < 4)
			return RC_MALFORMED;
		v->num = (uint32_t)get_u16(r->p) << 16 | get_u16(r->p + 2);
		r->p += 4;
		return 0;
	case PT_VARINT:
		return rd_varint(r, &v->num);
	case PT_STR:
		return rd_str(r, &v->a);
	case PT_BIN:
		return rd_bin(r, &v->a);
	case PT_PAIR:
		rc = rd_str(r, &v->a);
		return rc ? rc : rd_str(r, &v->b);
	}
	return RC_MALFORMED;
}

/* Apply the value rule of `d`, then store the value in its field. */
static int prop_store(struct mqtt_props *pr, const struct prop_def *d, const struct prop_val *v)
{
	void *field = (char *)pr + d->off;

	switch (d->rule) {
	case PR_BOOL:
		if (v->num > 1)
			return RC_PROTOCOL;
		break;
	case PR_NONZERO:
		if (!v->num)
			return RC_PROTOCOL;
		break;
	case PR_ALIAS:
		if (!v->num)
			return MQTT_RC_TOPIC_ALIAS_INVALID;
		break;
	case PR_TOPIC:
		/* Already valid UTF-8; non-empty and no wildcards. */
		if (!v->a.len || memchr(v->a.p, '+', v->a.len) || memchr(v->a.p, '#', v->a.len))
			return RC_PROTOCOL;
		break;
	}
	switch (d->type) {
	case PT_BYTE:
		*(uint8_t *)field = (uint8_t)v->num;
		break;
	case PT_U16:
		*(uint16_t *)field = (uint16_t)v->num;
		break;
	case PT_U32:
	case PT_VARINT:
		/* A repeated Subscription Identifier (PUBLISH only) keeps the first value. */
		if (!*(uint32_t *)field)
			*(uint32_t *)field = v->num;
		break;
	case PT_STR:
	case PT_BIN:
		*(struct mqtt_buf *)field = v->a;
		break;
	case PT_PAIR:
		(*(uint32_t *)field)++;
		break;
	}
	return 0;
}

/*
 * A property block for packet type `type` (0: Will Properties). An identifier unknown or not
 * allowed in this packet, or a value of the wrong shape, is a Malformed Packet (2.2.2.2); a
 * forbidden repeat or a bad value is a Protocol Error. Only User Property repeats, and
 * Subscription Identifier in PUBLISH (server to client: that a client sends none at all is the
 * broker's check, the codec does not know the direction).
 */
static int props_parse(const uint8_t *block, uint32_t len, uint8_t type, struct mqtt_props *pr)
{
	uint64_t repeatable = MQTT_PROP_BIT(MQTT_PROP_USER_PROPERTY);
	uint32_t where = type < 16 ? 1u << type : 0;
	struct rd b = {block, block + len};
	int rc;

	props_init(pr);
	pr->raw.p = block;
	pr->raw.len = len;
	if (type == MQTT_PUBLISH)
		repeatable |= MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID);
	while (b.p < b.end) {
		struct prop_val v = {0};
		uint8_t id = *b.p++;
		uint64_t bit;

		/* Every identifier is below 0x80: a longer varint can only be invalid. */
		if (id >= ARRAY_SIZE(prop_defs) || !(prop_defs[id].where & where))
			return RC_MALFORMED;
		rc = prop_read(&b, prop_defs[id].type, &v);
		if (rc)
			return rc;
		bit = MQTT_PROP_BIT(id);
		if (pr->seen & bit & ~repeatable)
			return RC_PROTOCOL;
		pr->seen |= bit;
		rc = prop_store(pr, &prop_defs[id], &v);
		if (rc)
			return rc;
	}
	/* Authentication Data without a method [MQTT 3.1.2.11.10, 3.2.2.3.18, 3.15.2.2.3]. */
	if ((pr->seen & MQTT_PROP_BIT(MQTT_PROP_AUTH_DATA)) &&
	    !(pr->seen & MQTT_PROP_BIT(MQTT_PROP_AUTH_METHOD)))
		return RC_PROTOCOL;
	return 0;
}

int codec_props_parse(const uint8_t *block, uint32_t len, uint8_t type, struct mqtt_props *pr,
		      uint8_t *reason)
{
	int rc;

	/* An empty block may be NULL: no pointer arithmetic on it. */
	if (!block) {
		block = (const uint8_t *)"";
		len = 0;
	}
	rc = props_parse(block, len, type, pr);
	if (reason)
		*reason = (uint8_t)rc;
	return rc ? -EBADMSG : 0;
}

int codec_prop_next(struct mqtt_buf *cursor, uint8_t *id, struct mqtt_buf *val,
		    struct mqtt_buf *val2, uint32_t *num)
{
	struct prop_val v = {0};
	struct rd r;
	uint8_t i;

	/* Checked first: an empty view may be NULL, and NULL + 0 is undefined. */
	if (!cursor->len)
		return 0;
	r.p = cursor->p;
	r.end = cursor->p + cursor->len;
	i = *r.p++;
	if (i >= ARRAY_SIZE(prop_defs) || prop_read(&r, prop_defs[i].type, &v)) {
		/* Not a valid block (those from codec_decode always are): end the walk. */
		cursor->p += cursor->len;
		cursor->len = 0;
		return 0;
	}
	if (prop_defs[i].type <= PT_VARINT) {
		/* For numbers the value view is the encoded bytes. */
		v.a.p = cursor->p + 1;
		v.a.len = (uint32_t)(r.p - v.a.p);
	}
	*id = i;
	if (val)
		*val = v.a;
	if (val2)
		*val2 = v.b;
	if (num)
		*num = v.num;
	cursor->len -= (uint32_t)(r.p - cursor->p);
	cursor->p = r.p;
	return 1;
}

/* ---- building ---- */

void codec_props_init(struct mqtt_propbuf *pb, uint8_t *buf, uint32_t cap)
{
	pb->buf = buf;
	pb->cap = buf ? cap : 0;
	pb->len = 0;
	pb->overflow = false;
}

/* Room for n more bytes, or NULL (overflow set). len always counts what is needed. */
static uint8_t *pb_reserve(struct mqtt_propbuf *pb, uint32_t n)
{
	uint8_t *p = NULL;

	if (!pb->overflow && n <= pb->cap - pb->len)
		p = pb->buf + pb->len;
	else
		pb->overflow = true;
	pb->len = n > UINT32_MAX - pb->len ? UINT32_MAX : pb->len + n;
	return p;
}

/* Identifier written, room for an n-byte value: where it goes, or NULL. */
static uint8_t *pb_prop(struct mqtt_propbuf *pb, uint8_t id, uint32_t n)
{
	uint8_t *p = pb_reserve(pb, 1 + n);

	if (p)
		*p++ = id;
	return p;
}

void codec_props_byte(struct mqtt_propbuf *pb, uint8_t id, uint8_t v)
{
	uint8_t *p = pb_prop(pb, id, 1);

	if (p)
		*p = v;
}

void codec_props_u16(struct mqtt_propbuf *pb, uint8_t id, uint16_t v)
{
	uint8_t *p = pb_prop(pb, id, 2);

	if (p)
		put_u16(p, v);
}

void codec_props_u32(struct mqtt_propbuf *pb, uint8_t id, uint32_t v)
{
	uint8_t *p = pb_prop(pb, id, 4);

	if (p)
		put_u16(put_u16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

void codec_props_varint(struct mqtt_propbuf *pb, uint8_t id, uint32_t v)
{
	size_t n = codec_varint_size(v);
	uint8_t *p;

	if (!n) {
		pb->overflow = true; /* not encodable */
		return;
	}
	p = pb_prop(pb, id, (uint32_t)n);
	if (p)
		codec_varint_put(p, v);
}

void codec_props_str(struct mqtt_propbuf *pb, uint8_t id, const void *s, uint16_t len)
{
	uint8_t *p = pb_prop(pb, id, 2u + len);

	if (p)
		put_str(p, s, len);
}

void codec_props_pair(struct mqtt_propbuf *pb, uint8_t id, const void *k, uint16_t klen,
		      const void *v, uint16_t vlen)
{
	uint8_t *p = pb_prop(pb, id, 4u + klen + vlen);

	if (p)
		put_str(put_str(p, k, klen), v, vlen);
}

void codec_props_raw(struct mqtt_propbuf *pb, const void *raw, uint32_t len)
{
	uint8_t *p = pb_reserve(pb, len);

	if (p)
		put_bytes(p, raw, len);
}
