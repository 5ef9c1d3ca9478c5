// SPDX-License-Identifier: MIT
/*
 * codec: MQTT 3.1 / 3.1.1 / 5.0 framing and decoding (layer L0, see include/codec.h; the
 * helpers shared with codec_encode.c and codec_props.c are in codec_int.h).
 *
 * Checks return 0 or a reason code; decode_fail() turns that into -errno and *reason in one
 * place.
 *
 * Speed: framing and PUBLISH are the data plane. They use no per-byte loops except the UTF-8
 * scan, which checks 8 bytes per step while the text is ASCII.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "codec_int.h"

bool codec_utf8_valid(const uint8_t *s, size_t len)
{
	/* An empty string may come as NULL (NULL + 0 is undefined in utf8_scan). */
	return !len || utf8_check(s, len) == 0;
}

/*
 * Topic filter rules (wildcards alone in their level, '#' last; v5 shared subscription syntax
 * $share/<name>/<filter>). The string is already known to be valid UTF-8. Returns 0 or
 * MQTT_RC_TOPIC_FILTER_INVALID; *shared tells whether it is a $share/ filter.
 */
static int filter_check(const uint8_t *s, size_t len, uint8_t version, bool *shared)
{
	size_t i;

	*shared = version == MQTT_V5 && len >= 7 && !memcmp(s, "$share/", 7);
	if (*shared) {
		const uint8_t *name = s + 7;
		size_t n = 0;

		while (7 + n < len && name[n] != '/') {
			if (name[n] == '+' || name[n] == '#')
				return MQTT_RC_TOPIC_FILTER_INVALID;
			n++;
		}
		/* ShareName non-empty, then '/' and a non-empty filter. */
		if (!n || 7 + n + 1 >= len)
			return MQTT_RC_TOPIC_FILTER_INVALID;
		s += 7 + n + 1;
		len -= 7 + n + 1;
	}
	if (!len)
		return MQTT_RC_TOPIC_FILTER_INVALID;
	for (i = 0; i < len; i++) {
		if (s[i] != '+' && s[i] != '#')
			continue;
		if (i && s[i - 1] != '/')
			return MQTT_RC_TOPIC_FILTER_INVALID;
		if (s[i] == '#' ? i + 1 != len : i + 1 < len && s[i + 1] != '/')
			return MQTT_RC_TOPIC_FILTER_INVALID;
	}
	return 0;
}

/* A topic name (PUBLISH, Will Topic, Response Topic): UTF-8, no wildcards. */
static inline int topic_name_check(const struct mqtt_buf *t)
{
	return topic_scan(t->p, t->len);
}

/* ---- reason-code sets: bit c of lo for codes 0x00..0x3F, bit c-0x80 of hi for 0x80..0xBF ---- */

#define L(c) (1ull << (c))
#define H(c) (1ull << ((c)-0x80))

struct rc_set {
	uint64_t lo, hi;
};

static const struct rc_set rcs_puback = {
    L(0x00) | L(0x10),
    H(0x80) | H(0x83) | H(0x87) | H(0x90) | H(0x91) | H(0x97) | H(0x99),
};
static const struct rc_set rcs_pubrel = {L(0x00), H(0x92)};
static const struct rc_set rcs_suback = {
    L(0x00) | L(0x01) | L(0x02),
    H(0x80) | H(0x83) | H(0x87) | H(0x8f) | H(0x91) | H(0x97) | H(0x9e) | H(0xa1) | H(0xa2),
};
static const struct rc_set rcs_suback_v3 = {L(0x00) | L(0x01) | L(0x02), H(0x80)};
static const struct rc_set rcs_unsuback = {
    L(0x00) | L(0x11),
    H(0x80) | H(0x83) | H(0x87) | H(0x8f) | H(0x91),
};
static const struct rc_set rcs_connack = {
    L(0x00),
    H(0x80) | H(0x81) | H(0x82) | H(0x83) | H(0x84) | H(0x85) | H(0x86) | H(0x87) | H(0x88) |
	H(0x89) | H(0x8a) | H(0x8c) | H(0x90) | H(0x95) | H(0x97) | H(0x99) | H(0x9a) | H(0x9b) |
	H(0x9c) | H(0x9d) | H(0x9f),
};
static const struct rc_set rcs_connack_v3 = {L(0) | L(1) | L(2) | L(3) | L(4) | L(5), 0};
static const struct rc_set rcs_disconnect = {
    L(0x00) | L(0x04),
    H(0x80) | H(0x81) | H(0x82) | H(0x83) | H(0x87) | H(0x89) | H(0x8b) | H(0x8d) | H(0x8e) |
	H(0x8f) | H(0x90) | H(0x93) | H(0x94) | H(0x95) | H(0x96) | H(0x97) | H(0x98) | H(0x99) |
	H(0x9a) | H(0x9b) | H(0x9c) | H(0x9d) | H(0x9e) | H(0x9f) | H(0xa0) | H(0xa1) | H(0xa2),
};
static const struct rc_set rcs_auth = {L(0x00) | L(0x18) | L(0x19), 0};

#undef L
#undef H

static inline bool rc_valid(const struct rc_set *s, uint8_t c)
{
	if (c < 0x40)
		return s->lo >> c & 1;
	if (c >= 0x80 && c < 0xc0)
		return s->hi >> (c - 0x80) & 1;
	return false;
}

/* A property block: its length is read here, its content checked by codec_props.c. */
static int props_block(struct rd *r, uint8_t type, struct mqtt_props *pr)
{
	uint8_t reason;
	uint32_t len;
	int rc;

	rc = rd_varint(r, &len);
	if (rc)
		return rc;
	if (len > rd_left(r))
		return RC_MALFORMED;
	rc = codec_props_parse(r->p, len, type, pr, &reason);
	r->p += len;
	return rc ? reason : 0;
}

/* ---- framing ---- */

static int decode_fail(int rc, uint8_t *reason)
{
	if (reason)
		*reason = (uint8_t)rc;
	if (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION)
		return -EPROTONOSUPPORT;
	if (rc == MQTT_RC_PACKET_TOO_LARGE)
		return -EMSGSIZE;
	return -EBADMSG;
}

/* Incomplete is not a fault: reason is Success. */
static inline int again(uint8_t *reason)
{
	if (reason)
		*reason = MQTT_RC_SUCCESS;
	return -EAGAIN;
}

/* Internal status of frame_parse besides 0 and reason codes (which are all >= 0x80). */
#define FRAME_AGAIN 1

/* The body of codec_frame, inlined into codec_decode too. */
static inline int frame_parse(const uint8_t *buf, size_t len, uint32_t max_size,
			      struct mqtt_frame *f)
{
	uint32_t rem, n;

	f->hdr_len = 0;
	f->rem_len = 0;
	f->type = len ? buf[0] >> 4 : 0;
	f->flags = len ? buf[0] & 0x0f : 0;

	if (likely(len >= MQTT_MAX_HEADER)) {
		/*
		 * All four possible length bytes are here: find the last one with a single mask
		 * (the first byte without the continuation bit) instead of a loop.
		 */
		uint32_t w = (uint32_t)buf[1] | (uint32_t)buf[2] << 8 | (uint32_t)buf[3] << 16 |
			     (uint32_t)buf[4] << 24;
		uint32_t stop = ~w & 0x80808080u;

		if (unlikely(!stop))
			return RC_MALFORMED;
		n = ((uint32_t)__builtin_ctz(stop) >> 3) + 1;
		w &= (uint32_t)((1ull << (n * 8)) - 1) & 0x7f7f7f7fu;
		rem = (w & 0x7f) | (w >> 1 & 0x3f80) | (w >> 2 & 0x1fc000) | (w >> 3 & 0xfe00000);
	} else {
		/* Fewer than 5 bytes: at most 3 length bytes, so never a 5-byte length here. */
		rem = 0;
		for (n = 1;; n++) {
			if (n >= len)
				return FRAME_AGAIN;
			rem |= (uint32_t)(buf[n] & 0x7f) << (7 * (n - 1));
			if (!(buf[n] & 0x80))
				break;
		}
	}
	f->hdr_len = n + 1;
	f->rem_len = rem;
	if (max_size && (uint64_t)f->hdr_len + rem > max_size)
		return MQTT_RC_PACKET_TOO_LARGE;
	return len - f->hdr_len < rem ? FRAME_AGAIN : 0;
}

static int frame_fail(int rc, uint8_t *reason)
{
	return rc == FRAME_AGAIN ? again(reason) : decode_fail(rc, reason);
}

int codec_frame(const uint8_t *buf, size_t len, uint32_t max_size, struct mqtt_frame *f,
		uint8_t *reason)
{
	int rc = frame_parse(buf, len, max_size, f);

	if (unlikely(rc))
		return frame_fail(rc, reason);
	if (reason)
		*reason = MQTT_RC_SUCCESS;
	return 0;
}

/* ---- decoders: each returns 0 or a reason code ---- */

static int dec_publish(struct rd *r, uint8_t flags, uint8_t version, struct mqtt_publish *m)
{
	uint8_t qos = (flags >> 1) & 3;
	uint16_t tlen;
	int rc;

	/* QoS 3 [MQTT-3.3.1-4], DUP on QoS 0 [MQTT-3.3.1-2]. */
	if (unlikely(qos == 3 || (flags & 0x0e) == 0x08))
		return RC_MALFORMED;
	m->qos = qos;
	m->dup = flags & 0x08;
	m->retain = flags & 0x01;
	if (unlikely(rd_left(r) < 2))
		return RC_MALFORMED;
	tlen = get_u16(r->p);
	if (unlikely(rd_left(r) - 2 < (size_t)tlen + (qos ? 2 : 0)))
		return RC_MALFORMED;
	m->topic.p = r->p + 2;
	m->topic.len = tlen;
	r->p += 2 + tlen;
	m->packet_id = 0;
	if (qos) {
		m->packet_id = get_u16(r->p);
		r->p += 2;
		if (unlikely(!m->packet_id))
			return RC_PROTOCOL;
	}
	props_init(&m->props);
	if (version == MQTT_V5) {
		/* Most PUBLISH packets carry no properties: skip the parser for them. */
		if (likely(r->p < r->end && *r->p == 0)) {
			m->props.raw.p = ++r->p;
		} else {
			rc = props_block(r, MQTT_PUBLISH, &m->props);
			if (rc)
				return rc;
		}
	}
	if (unlikely(!tlen)) {
		/* An empty topic needs a v5 Topic Alias [MQTT-3.3.2-1, 3.3.2.3.4]. */
		if (version != MQTT_V5)
			return RC_MALFORMED;
		if (!(m->props.seen & MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS)))
			return RC_PROTOCOL;
	} else {
		rc = topic_name_check(&m->topic);
		if (rc)
			return rc;
	}
	m->payload.p = r->p;
	m->payload.len = (uint32_t)rd_left(r);
	r->p = r->end;
	return 0;
}

static bool proto_ok(const struct mqtt_buf *name, uint8_t level)
{
	if (name->len == 4 && !memcmp(name->p, "MQTT", 4))
		return level == MQTT_V311 || level == MQTT_V5;
	if (name->len == 6 && !memcmp(name->p, "MQIsdp", 6))
		return level == MQTT_V31;
	return false;
}

static int dec_connect(struct rd *r, struct mqtt_connect *c)
{
	uint8_t flags;
	int rc;

	memset(c, 0, sizeof(*c));
	props_init(&c->props);
	props_init(&c->will_props);
	rc = rd_bin(r, &c->proto_name);
	if (!rc)
		rc = rd_u8(r, &c->version);
	if (rc)
		return rc;
	/* The bridge bit (Mosquitto): a 3.1 or 3.1.1 bridge sends level 0x83/0x84 [MQTT-3.1.2-2
	 * allows a broker to accept it]; 5.0 bridges use No Local instead, so 0x85 stays refused.
	 */
	if ((c->version & MQTT_LEVEL_BRIDGE) && (c->version & ~MQTT_LEVEL_BRIDGE) != MQTT_V5) {
		c->bridge = true;
		c->version &= (uint8_t)~MQTT_LEVEL_BRIDGE;
	}
	if (!proto_ok(&c->proto_name, c->version))
		return MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION;
	rc = rd_u8(r, &flags);
	if (!rc)
		rc = rd_u16(r, &c->keepalive);
	if (rc)
		return rc;
	c->clean = flags & 0x02;
	c->will = flags & 0x04;
	c->will_qos = (flags >> 3) & 3;
	c->will_retain = flags & 0x20;
	c->has_password = flags & 0x40;
	c->has_username = flags & 0x80;
	/* Reserved bit [MQTT-3.1.2-3]; Will QoS 3 and Will QoS/Retain without a Will
	 * [MQTT-3.1.2-11..15] make the flags byte itself unparseable. */
	if ((flags & 0x01) || c->will_qos == 3 || (!c->will && (flags & 0x38)))
		return RC_MALFORMED;
	/* 3.1 and 3.1.1 need a user name for a password [MQTT-3.1.2-22]; 5.0 dropped that. */
	if (c->version != MQTT_V5 && c->has_password && !c->has_username)
		return RC_PROTOCOL;
	if (c->version == MQTT_V5) {
		rc = props_block(r, MQTT_CONNECT, &c->props);
		if (rc)
			return rc;
	}
	rc = rd_str(r, &c->client_id);
	if (rc)
		return rc;
	if (c->will) {
		if (c->version == MQTT_V5) {
			rc = props_block(r, 0, &c->will_props);
			if (rc)
				return rc;
		}
		rc = rd_str(r, &c->will_topic);
		if (rc)
			return rc;
		if (!c->will_topic.len || topic_name_check(&c->will_topic))
			return MQTT_RC_TOPIC_NAME_INVALID;
		rc = rd_bin(r, &c->will_payload);
		if (rc)
			return rc;
	}
	if (c->has_username) {
		rc = rd_str(r, &c->username);
		if (rc)
			return rc;
	}
	if (c->has_password) {
		rc = rd_bin(r, &c->password);
		if (rc)
			return rc;
	}
	if (r->p != r->end)
		return RC_MALFORMED;
	/*
	 * Checked last so that the whole packet is decoded when the broker answers CONNACK 0x02:
	 * 3.1 requires a client id, 3.1.1 one unless Clean Session is set [MQTT-3.1.3-8].
	 */
	if (!c->client_id.len && (c->version == MQTT_V31 || (c->version == MQTT_V311 && !c->clean)))
		return MQTT_RC_CLIENT_ID_NOT_VALID;
	return 0;
}

static int dec_connack(struct rd *r, uint8_t version, struct mqtt_connack *m)
{
	uint8_t flags;
	int rc;

	props_init(&m->props);
	rc = rd_u8(r, &flags);
	if (!rc)
		rc = rd_u8(r, &m->code);
	if (rc)
		return rc;
	/* 3.1 has no flags (the byte is unused); later versions reserve bits 7-1. */
	m->session_present = version != MQTT_V31 && (flags & 1);
	if (version != MQTT_V31 && (flags & 0xfe))
		return RC_MALFORMED;
	if (version == MQTT_V5) {
		rc = props_block(r, MQTT_CONNACK, &m->props);
		if (rc)
			return rc;
	}
	if (r->p != r->end)
		return RC_MALFORMED;
	if (!rc_valid(version == MQTT_V5 ? &rcs_connack : &rcs_connack_v3, m->code))
		return RC_PROTOCOL;
	/* A refusal never has a session [MQTT-3.2.2-4 (3.1.1), MQTT-3.2.2-6 (5.0)]. */
	if (m->session_present && m->code)
		return RC_PROTOCOL;
	return 0;
}

static int dec_ack(struct rd *r, uint8_t type, uint8_t version, struct mqtt_ack *m)
{
	int rc;

	props_init(&m->props);
	m->reason = 0;
	rc = rd_u16(r, &m->packet_id);
	if (rc)
		return rc;
	if (version == MQTT_V5) {
		/* Reason and property length may each be omitted (3.4.2.1). */
		if (r->p < r->end)
			m->reason = *r->p++;
		if (r->p < r->end) {
			rc = props_block(r, type, &m->props);
			if (rc)
				return rc;
		}
	}
	if (r->p != r->end)
		return RC_MALFORMED;
	if (!m->packet_id)
		return RC_PROTOCOL;
	if (!rc_valid(type <= MQTT_PUBREC ? &rcs_puback : &rcs_pubrel, m->reason))
		return RC_PROTOCOL;
	return 0;
}

/* SUBSCRIBE and UNSUBSCRIBE: validates every entry once, so codec_sub_next need not. */
static int dec_subscribe(struct rd *r, uint8_t type, uint8_t version, struct mqtt_subscribe *m)
{
	bool unsub = type == MQTT_UNSUBSCRIBE;
	int rc, filter_rc = 0;

	props_init(&m->props);
	m->count = 0;
	rc = rd_u16(r, &m->packet_id);
	if (rc)
		return rc;
	if (!m->packet_id)
		return RC_PROTOCOL; /* [MQTT-2.3.1-1] */
	if (version == MQTT_V5) {
		rc = props_block(r, type, &m->props);
		if (rc)
			return rc;
	}
	m->entries.p = r->p;
	m->entries.len = (uint32_t)rd_left(r);
	/* At least one entry [MQTT-3.8.3-3, MQTT-3.10.3-2]. */
	if (r->p == r->end)
		return RC_PROTOCOL;
	while (r->p < r->end) {
		struct mqtt_buf f;
		uint8_t opt = 0;
		bool shared;

		rc = rd_str(r, &f);
		if (!rc && !unsub)
			rc = rd_u8(r, &opt);
		if (rc)
			return rc;
		if (version == MQTT_V5) {
			/* Reserved bits 6-7 [MQTT-3.8.3-5]; QoS 3 and Retain Handling 3 are
			 * Protocol Errors in 5.0 (3.8.3.1). */
			if (opt & 0xc0)
				return RC_MALFORMED;
			if ((opt & 3) == 3 || (opt & 0x30) == 0x30)
				return RC_PROTOCOL;
		} else if ((opt & 0xfc) || (opt & 3) == 3) {
			return RC_MALFORMED; /* [MQTT-3.8.3-4] */
		}
		/*
		 * A bad filter is remembered, not returned: the broker may answer it in SUBACK /
		 * UNSUBACK, so the rest of the packet must still be checked and described.
		 */
		rc = filter_check(f.p, f.len, version, &shared);
		if (rc && !filter_rc)
			filter_rc = rc;
		/* No Local on a shared subscription [MQTT-3.8.3-4 (5.0)]. */
		if (shared && (opt & 0x04))
			return RC_PROTOCOL;
		m->count++;
	}
	return filter_rc;
}

static int dec_suback(struct rd *r, uint8_t type, uint8_t version, struct mqtt_suback *m)
{
	const struct rc_set *set;
	uint32_t i;
	int rc;

	props_init(&m->props);
	rc = rd_u16(r, &m->packet_id);
	if (rc)
		return rc;
	if (version == MQTT_V5) {
		rc = props_block(r, type, &m->props);
		if (rc)
			return rc;
	}
	m->codes.p = r->p;
	m->codes.len = (uint32_t)rd_left(r);
	r->p = r->end;
	if (type == MQTT_UNSUBACK && version != MQTT_V5) {
		/* A 3.x UNSUBACK is just the packet id. */
		if (m->codes.len)
			return RC_MALFORMED;
	} else if (!m->codes.len) {
		return RC_PROTOCOL; /* one code per filter, and there is at least one filter */
	}
	if (!m->packet_id)
		return RC_PROTOCOL;
	if (type == MQTT_SUBACK)
		set = version == MQTT_V5 ? &rcs_suback : &rcs_suback_v3;
	else
		set = &rcs_unsuback;
	for (i = 0; i < m->codes.len; i++)
		if (!rc_valid(set, m->codes.p[i]))
			return RC_PROTOCOL;
	return 0;
}

/* DISCONNECT and AUTH. */
static int dec_disconnect(struct rd *r, uint8_t type, uint8_t version, struct mqtt_disconnect *m)
{
	size_t left = rd_left(r);
	int rc;

	props_init(&m->props);
	m->reason = 0;
	if (version != MQTT_V5)
		return left ? RC_MALFORMED : 0; /* a 3.x DISCONNECT is empty */
	/* DISCONNECT may stop after the reason (3.14.2.2.1); AUTH has both or neither. */
	if (left == 1 && type == MQTT_AUTH)
		return RC_MALFORMED;
	if (left)
		m->reason = *r->p++;
	if (left > 1) {
		rc = props_block(r, type, &m->props);
		if (rc)
			return rc;
		if (r->p != r->end)
			return RC_MALFORMED;
	}
	if (!rc_valid(type == MQTT_AUTH ? &rcs_auth : &rcs_disconnect, m->reason))
		return RC_PROTOCOL;
	/* The long form of AUTH must name its method (3.15.2.2.2). */
	if (type == MQTT_AUTH && left && !(m->props.seen & MQTT_PROP_BIT(MQTT_PROP_AUTH_METHOD)))
		return RC_PROTOCOL;
	return 0;
}

/* Required low nibble of the first byte; PUBLISH (3) is checked by dec_publish. */
static const uint8_t fixed_flags[16] = {
    [MQTT_PUBREL] = 0x2,
    [MQTT_SUBSCRIBE] = 0x2,
    [MQTT_UNSUBSCRIBE] = 0x2,
};

static int dec_other(struct rd *r, uint8_t type, uint8_t flags, uint8_t version,
		     struct mqtt_packet *pkt)
{
	if (version < MQTT_V31 || version > MQTT_V5)
		return RC_PROTOCOL; /* no CONNECT seen yet [MQTT-3.1.0-1] */
	if (flags != fixed_flags[type]) {
		/* 3.1 still had a meaningful DUP bit on PUBREL, SUBSCRIBE and UNSUBSCRIBE. */
		if (version != MQTT_V31 || fixed_flags[type] != 0x2 || flags != 0xa)
			return RC_MALFORMED;
	}
	switch (type) {
	case MQTT_CONNACK:
		return dec_connack(r, version, &pkt->connack);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return dec_ack(r, type, version, &pkt->ack);
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		return dec_subscribe(r, type, version, &pkt->subscribe);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return dec_suback(r, type, version, &pkt->suback);
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return r->p == r->end ? 0 : RC_MALFORMED;
	case MQTT_AUTH:
		if (version != MQTT_V5)
			return RC_MALFORMED; /* type 15 is reserved before 5.0 */
					     /* fall through */
	case MQTT_DISCONNECT:
		return dec_disconnect(r, type, version, &pkt->disconnect);
	}
	return RC_MALFORMED; /* type 0 is reserved */
}

int codec_decode(const uint8_t *buf, size_t len, uint8_t version, struct mqtt_packet *pkt,
		 uint8_t *reason)
{
	struct mqtt_frame f;
	struct rd r;
	int rc;

	rc = frame_parse(buf, len, 0, &f);
	if (unlikely(rc))
		return frame_fail(rc, reason);
	if (unlikely(len != (size_t)f.hdr_len + f.rem_len))
		return decode_fail(RC_MALFORMED, reason);
	pkt->type = f.type;
	pkt->flags = f.flags;
	r.p = buf + f.hdr_len;
	r.end = buf + len;
	if (likely(f.type == MQTT_PUBLISH)) {
		if (unlikely(version < MQTT_V31 || version > MQTT_V5))
			rc = RC_PROTOCOL;
		else
			rc = dec_publish(&r, f.flags, version, &pkt->publish);
	} else if (f.type == MQTT_CONNECT) {
		rc = f.flags ? RC_MALFORMED : dec_connect(&r, &pkt->connect);
	} else {
		rc = dec_other(&r, f.type, f.flags, version, pkt);
	}
	if (unlikely(rc))
		return decode_fail(rc, reason);
	if (reason)
		*reason = MQTT_RC_SUCCESS;
	return 0;
}

int codec_sub_next(struct mqtt_buf *cursor, uint8_t version, bool unsub, struct mqtt_sub_entry *e)
{
	uint32_t need;
	uint16_t flen;

	if (!cursor->len)
		return 0; /* the view may be NULL: no pointer arithmetic on it */
	if (cursor->len < 2)
		goto stop;
	flen = get_u16(cursor->p);
	need = 2u + flen + !unsub;
	if (cursor->len < need)
		goto stop;
	e->filter.p = cursor->p + 2;
	e->filter.len = flen;
	e->qos = 0;
	e->no_local = false;
	e->retain_as_published = false;
	e->retain_handling = 0;
	if (!unsub) {
		uint8_t o = cursor->p[2 + flen];

		e->qos = o & 3;
		if (version == MQTT_V5) {
			e->no_local = o & 0x04;
			e->retain_as_published = o & 0x08;
			e->retain_handling = (o >> 4) & 3;
		}
	}
	cursor->p += need;
	cursor->len -= need;
	return 1;
stop:
	cursor->p += cursor->len;
	cursor->len = 0;
	return 0;
}
