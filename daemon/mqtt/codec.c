// SPDX-License-Identifier: MIT
/*
 * codec: MQTT 3.1 / 3.1.1 / 5.0 framing, decoding and encoding (layer L0, see include/codec.h).
 *
 * Internally every check returns 0 or the MQTT 5 reason code of the fault (all of them are
 * >= 0x80, so "non-zero" means "error"); decode_fail() turns that into -errno and *reason in
 * one place. Readers work on a cursor (struct rd) bounded by the end of the frame, so a length
 * field that points past the frame is a Malformed Packet, never an overread.
 *
 * Speed: framing and PUBLISH are the data plane. They use no per-byte loops except the UTF-8
 * scan, which checks 8 bytes per step while the text is ASCII.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "codec.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x)     __builtin_expect(!!(x), 1)
#define unlikely(x)   __builtin_expect(!!(x), 0)

#define RC_MALFORMED MQTT_RC_MALFORMED
#define RC_PROTOCOL  MQTT_RC_PROTOCOL_ERROR

/* ---- byte helpers ---- */

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint8_t *put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

/* memcpy with a NULL source is undefined even for 0 bytes, and empty views may be NULL. */
static inline uint8_t *put_bytes(uint8_t *p, const void *src, size_t n)
{
	if (n)
		memcpy(p, src, n);
	return p + n;
}

static inline uint8_t *put_str(uint8_t *p, const void *s, uint16_t n)
{
	return put_bytes(put_u16(p, n), s, n);
}

size_t codec_varint_size(uint32_t v)
{
	if (v > MQTT_MAX_REMAINING)
		return 0;
	return 1 + (v > 127) + (v > 16383) + (v > 2097151);
}

size_t codec_varint_put(uint8_t *p, uint32_t v)
{
	size_t n = 0;

	if (v > MQTT_MAX_REMAINING)
		return 0;
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		p[n++] = b | (v ? 0x80 : 0);
	} while (v);
	return n;
}

/* ---- UTF-8 ---- */

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t load64le(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t load32le(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

/*
 * The n (1..7) bytes at p as a little-endian word, read without a loop and without touching
 * p[n]: two overlapping 4-byte loads, or three single bytes for n < 4 (bytes read twice are
 * OR-ed onto themselves).
 */
static inline uint64_t load_partial(const uint8_t *p, size_t n)
{
	if (n >= 4)
		return load32le(p) | (uint64_t)load32le(p + n - 4) << (8 * (n - 4));
	return p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) | (uint64_t)p[n - 1] << (8 * (n - 1));
}

/* High bit set in a byte of the result iff some byte is 0x00 (exact as an "any" test). */
static inline uint64_t swar_zero(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/*
 * High bit set for bytes that are 0x00 or >= 0x80. Bytes below the first such byte are
 * 0x01..0x7F, so they cause no borrow: the lowest flagged byte is exactly the first bad one.
 */
static inline uint64_t swar_not_ascii(uint64_t v)
{
	return ((v - ONES) | v) & HIGHS;
}

/*
 * Length of the well-formed multi-byte sequence at s (s[0] >= 0x80), 0 if ill-formed.
 * Unicode table 3-7: this rejects overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates
 * (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF).
 */
static inline size_t utf8_seq(const uint8_t *s, const uint8_t *end)
{
	uint8_t b = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (b < 0xc2)
		return 0;
	if (b < 0xe0) {
		n = 2;
	} else if (b < 0xf0) {
		n = 3;
		lo = b == 0xe0 ? 0xa0 : 0x80;
		hi = b == 0xed ? 0x9f : 0xbf;
	} else if (b < 0xf5) {
		n = 4;
		lo = b == 0xf0 ? 0x90 : 0x80;
		hi = b == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
		return 0;
	if (n > 2 && (s[2] & 0xc0) != 0x80)
		return 0;
	if (n > 3 && (s[3] & 0xc0) != 0x80)
		return 0;
	return n;
}

/*
 * MQTT string scan: 0 if valid, RC_MALFORMED if not well-formed UTF-8 or it contains U+0000.
 * With `topic` (a constant at every call site, so the compiler drops the wildcard code where
 * it is not wanted), MQTT_RC_TOPIC_NAME_INVALID if a '+' or '#' is found; both are ASCII, so
 * they can never hide inside a multi-byte sequence.
 *
 * The text is checked a word (8 bytes, or the 1..7 left) at a time; only a word holding a
 * non-ASCII byte or a NUL goes through the per-character path, for one character.
 */
static inline __attribute__((always_inline)) int utf8_scan(const uint8_t *s, size_t len,
							   bool topic)
{
	const uint8_t *end = s + len;
	uint64_t wild = 0;

	while (s < end) {
		size_t left = (size_t)(end - s), n;
		uint64_t v, bad, keep = ~0ull;

		if (likely(left >= 8)) {
			v = load64le(s);
		} else {
			v = load_partial(s, left);
			keep = (1ull << (8 * left)) - 1;
		}
		/* The padding bytes read as NUL; borrows only run upwards, so masking the top
		 * keeps the low bytes exact. */
		bad = swar_not_ascii(v) & keep;
		if (topic)
			wild |= (swar_zero(v ^ (ONES * '+')) | swar_zero(v ^ (ONES * '#'))) & keep;
		if (likely(!bad)) {
			s += left < 8 ? left : 8;
			continue;
		}
		/* Skip the good ASCII prefix (already wildcard-checked): s is at NUL or at a
		 * lead byte, and one character is checked the slow way. */
		s += __builtin_ctzll(bad) >> 3;
		n = *s ? utf8_seq(s, end) : 0;
		if (!n)
			return RC_MALFORMED;
		s += n;
	}
	return wild ? MQTT_RC_TOPIC_NAME_INVALID : 0;
}

/* The two instances of utf8_scan; each caller gets the loop without a runtime `topic` test. */
static int utf8_check(const uint8_t *s, size_t len)
{
	return utf8_scan(s, len, false);
}

static int topic_scan(const uint8_t *s, size_t len)
{
	return utf8_scan(s, len, true);
}

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

/* ---- reading cursor ---- */

struct rd {
	const uint8_t *p;
	const uint8_t *end;
};

static inline size_t rd_left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

static inline int rd_u8(struct rd *r, uint8_t *v)
{
	if (unlikely(r->p >= r->end))
		return RC_MALFORMED;
	*v = *r->p++;
	return 0;
}

static inline int rd_u16(struct rd *r, uint16_t *v)
{
	if (unlikely(rd_left(r) < 2))
		return RC_MALFORMED;
	*v = get_u16(r->p);
	r->p += 2;
	return 0;
}

/* Variable Byte Integer inside a packet: truncated or longer than 4 bytes is malformed. */
static inline int rd_varint(struct rd *r, uint32_t *v)
{
	uint32_t val = 0;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		uint8_t b;

		if (r->p >= r->end)
			return RC_MALFORMED;
		b = *r->p++;
		val |= (uint32_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = val;
			return 0;
		}
	}
	return RC_MALFORMED;
}

/* Two-byte length then that many bytes (Binary Data; also the shape of a UTF-8 string). */
static inline int rd_bin(struct rd *r, struct mqtt_buf *b)
{
	uint16_t n;

	if (unlikely(rd_left(r) < 2))
		return RC_MALFORMED;
	n = get_u16(r->p);
	if (unlikely(rd_left(r) - 2 < n))
		return RC_MALFORMED;
	b->p = r->p + 2;
	b->len = n;
	r->p += 2 + n;
	return 0;
}

static inline int rd_str(struct rd *r, struct mqtt_buf *b)
{
	int rc = rd_bin(r, b);

	return rc ? rc : utf8_check(b->p, b->len);
}

/* A topic name (PUBLISH, Will Topic, Response Topic): UTF-8, no wildcards. */
static inline int topic_name_check(const struct mqtt_buf *t)
{
	return topic_scan(t->p, t->len);
}

/* ---- reason-code sets: bit c of lo for codes 0x00..0x3F, bit c-0x80 of hi for 0x80..0xBF ---- */

#define L(c) (1ull << (c))
#define H(c) (1ull << ((c) - 0x80))

struct rc_set {
	uint64_t lo, hi;
};

static const struct rc_set rcs_puback = {
	L(0x00) | L(0x10),
	H(0x80) | H(0x83) | H(0x87) | H(0x90) | H(0x91) | H(0x97) | H(0x99),
};
static const struct rc_set rcs_pubrel = { L(0x00), H(0x92) };
static const struct rc_set rcs_suback = {
	L(0x00) | L(0x01) | L(0x02),
	H(0x80) | H(0x83) | H(0x87) | H(0x8f) | H(0x91) | H(0x97) | H(0x9e) | H(0xa1) | H(0xa2),
};
static const struct rc_set rcs_suback_v3 = { L(0x00) | L(0x01) | L(0x02), H(0x80) };
static const struct rc_set rcs_unsuback = {
	L(0x00) | L(0x11),
	H(0x80) | H(0x83) | H(0x87) | H(0x8f) | H(0x91),
};
static const struct rc_set rcs_connack = {
	L(0x00),
	H(0x80) | H(0x81) | H(0x82) | H(0x83) | H(0x84) | H(0x85) | H(0x86) | H(0x87) | H(0x88) |
		H(0x89) | H(0x8a) | H(0x8c) | H(0x90) | H(0x95) | H(0x97) | H(0x99) | H(0x9a) |
		H(0x9b) | H(0x9c) | H(0x9d) | H(0x9f),
};
static const struct rc_set rcs_connack_v3 = { L(0) | L(1) | L(2) | L(3) | L(4) | L(5), 0 };
static const struct rc_set rcs_disconnect = {
	L(0x00) | L(0x04),
	H(0x80) | H(0x81) | H(0x82) | H(0x83) | H(0x87) | H(0x89) | H(0x8b) | H(0x8d) | H(0x8e) |
		H(0x8f) | H(0x90) | H(0x93) | H(0x94) | H(0x95) | H(0x96) | H(0x97) | H(0x98) |
		H(0x99) | H(0x9a) | H(0x9b) | H(0x9c) | H(0x9d) | H(0x9e) | H(0x9f) | H(0xa0) |
		H(0xa1) | H(0xa2),
};
static const struct rc_set rcs_auth = { L(0x00) | L(0x18) | L(0x19), 0 };

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

/* ---- properties (parsed in codec_props.c) ---- */

/*
 * Defaults: all zero but request_problem_info. Cleared in three pieces on purpose: gcc turns a
 * memset of the whole 208 bytes into `rep stosq`, whose start-up cost was most of the time
 * spent decoding a small PUBLISH; pieces under 128 bytes become a few vector stores.
 */
static inline void props_init(struct mqtt_props *pr)
{
	enum { THIRD = (sizeof(*pr) + 2) / 3 };
	char *p = (char *)pr;

	memset(p, 0, THIRD);
	memset(p + THIRD, 0, THIRD);
	memset(p + 2 * THIRD, 0, sizeof(*pr) - 2 * THIRD);
	pr->request_problem_info = 1;
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
	if (!c->client_id.len &&
	    (c->version == MQTT_V31 || (c->version == MQTT_V311 && !c->clean)))
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

/* ---- encoders ---- */

/* Any size above this cannot be a Remaining Length; 64-bit sums never wrap below it. */
#define TOO_BIG ((uint64_t)1 << 40)

/* Bytes a v5 property block takes (length + block); nothing for 3.x. */
static inline uint64_t props_size(uint8_t version, const uint8_t *props, uint32_t len)
{
	if (version != MQTT_V5)
		return 0;
	if (!props)
		len = 0;
	if (len > MQTT_MAX_REMAINING)
		return TOO_BIG;
	return codec_varint_size(len) + (uint64_t)len;
}

static inline uint8_t *put_props(uint8_t *p, uint8_t version, const uint8_t *props, uint32_t len)
{
	if (version != MQTT_V5)
		return p;
	if (!props)
		len = 0;
	p += codec_varint_put(p, len);
	return put_bytes(p, props, len);
}

/* Whole packet size for a Remaining Length, 0 if it cannot be encoded. */
static inline size_t frame_size(uint64_t rem)
{
	return rem > MQTT_MAX_REMAINING ? 0 : 1 + codec_varint_size((uint32_t)rem) + (size_t)rem;
}

static inline uint8_t *put_hdr(uint8_t *p, uint8_t b0, uint64_t rem)
{
	*p++ = b0;
	return p + codec_varint_put(p, (uint32_t)rem);
}

/* snprintf-like: write only when the whole packet fits. */
static inline bool fits(const uint8_t *buf, size_t cap, size_t need)
{
	return buf && need && need <= cap;
}

static inline uint64_t str_size(const struct mqtt_buf *b)
{
	return b->len > 0xffff ? TOO_BIG : 2u + b->len;
}

size_t codec_encode_connect(uint8_t *buf, size_t cap, const struct mqtt_connect *c,
			    const uint8_t *props, uint32_t props_len, const uint8_t *will_props,
			    uint32_t will_props_len)
{
	struct mqtt_buf name = c->proto_name;
	uint64_t rem;
	size_t n;
	uint8_t flags, *p;

	if (!name.len) {
		name.p = (const uint8_t *)(c->version == MQTT_V31 ? "MQIsdp" : "MQTT");
		name.len = c->version == MQTT_V31 ? 6 : 4;
	}
	rem = str_size(&name) + 1 + 1 + 2 + props_size(c->version, props, props_len) +
	      str_size(&c->client_id);
	if (c->will)
		rem += props_size(c->version, will_props, will_props_len) +
		       str_size(&c->will_topic) + str_size(&c->will_payload);
	if (c->has_username)
		rem += str_size(&c->username);
	if (c->has_password)
		rem += str_size(&c->password);
	n = frame_size(rem);
	if (!fits(buf, cap, n))
		return n;

	flags = (uint8_t)(c->clean << 1 | c->will << 2 | (c->will_qos & 3) << 3 |
			  c->will_retain << 5 | c->has_password << 6 | c->has_username << 7);
	p = put_hdr(buf, MQTT_CONNECT << 4, rem);
	p = put_str(p, name.p, (uint16_t)name.len);
	*p++ = c->version;
	*p++ = flags;
	p = put_u16(p, c->keepalive);
	p = put_props(p, c->version, props, props_len);
	p = put_str(p, c->client_id.p, (uint16_t)c->client_id.len);
	if (c->will) {
		p = put_props(p, c->version, will_props, will_props_len);
		p = put_str(p, c->will_topic.p, (uint16_t)c->will_topic.len);
		p = put_str(p, c->will_payload.p, (uint16_t)c->will_payload.len);
	}
	if (c->has_username)
		p = put_str(p, c->username.p, (uint16_t)c->username.len);
	if (c->has_password)
		put_str(p, c->password.p, (uint16_t)c->password.len);
	return n;
}

size_t codec_encode_connack(uint8_t *buf, size_t cap, uint8_t version, bool session_present,
			    uint8_t code, const uint8_t *props, uint32_t props_len)
{
	uint64_t rem = 2 + props_size(version, props, props_len);
	size_t n = frame_size(rem);
	uint8_t *p;

	if (!fits(buf, cap, n))
		return n;
	p = put_hdr(buf, MQTT_CONNACK << 4, rem);
	*p++ = version != MQTT_V31 && session_present;
	*p++ = code;
	put_props(p, version, props, props_len);
	return n;
}

static inline uint64_t publish_rem(uint8_t version, uint8_t qos, uint16_t topic_len,
				   const uint8_t *props, uint32_t props_len, uint32_t payload_len)
{
	return 2u + topic_len + (qos ? 2u : 0u) + props_size(version, props, props_len) +
	       payload_len;
}

size_t codec_publish_header_size(uint8_t version, uint8_t qos, uint16_t topic_len,
				 uint32_t props_len, uint32_t payload_len)
{
	/* Any non-NULL pointer: only the size of the block matters here. */
	uint64_t rem = publish_rem(version, qos, topic_len, (const uint8_t *)"", props_len,
				   payload_len);
	size_t n = frame_size(rem);

	return n ? n - payload_len : 0;
}

size_t codec_encode_publish(uint8_t *buf, size_t cap, uint8_t version, uint8_t qos, bool dup,
			    bool retain, const uint8_t *topic, uint16_t topic_len,
			    uint16_t packet_id, const uint8_t *props, uint32_t props_len,
			    const uint8_t *payload, uint32_t payload_len)
{
	uint64_t rem = publish_rem(version, qos, topic_len, props, props_len, payload_len);
	size_t n = frame_size(rem);
	uint8_t *p;

	/* Without a payload only the header part must fit (the caller sends the rest). */
	if (!n || !fits(buf, cap, payload ? n : n - payload_len))
		return n;
	p = put_hdr(buf, (uint8_t)(MQTT_PUBLISH << 4 | dup << 3 | (qos & 3) << 1 | retain), rem);
	p = put_str(p, topic, topic_len);
	if (qos)
		p = put_u16(p, packet_id);
	p = put_props(p, version, props, props_len);
	if (payload)
		put_bytes(p, payload, payload_len);
	return n;
}

size_t codec_encode_ack(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
			uint16_t packet_id, uint8_t reason, const uint8_t *props,
			uint32_t props_len)
{
	uint64_t rem = 2;
	size_t n;
	uint8_t *p;

	if (type < MQTT_PUBACK || type > MQTT_PUBCOMP)
		return 0;
	if (!props)
		props_len = 0;
	/* 5.0 short forms: no reason and no properties, or a reason alone (3.4.2.1). */
	if (version == MQTT_V5 && (reason || props_len))
		rem += 1 + (props_len ? props_size(version, props, props_len) : 0);
	n = frame_size(rem);
	if (!fits(buf, cap, n))
		return n;
	p = put_hdr(buf, (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0)), rem);
	p = put_u16(p, packet_id);
	if (rem > 2)
		*p++ = reason;
	if (rem > 3)
		put_props(p, version, props, props_len);
	return n;
}

/* SUBSCRIBE (from entries `e`) or UNSUBSCRIBE (from `filters`): the same shape. */
static size_t encode_sub(uint8_t *buf, size_t cap, uint8_t version, uint16_t packet_id,
			 const struct mqtt_sub_entry *e, const struct mqtt_buf *filters, uint32_t n,
			 const uint8_t *props, uint32_t props_len)
{
	uint64_t rem = 2 + props_size(version, props, props_len);
	size_t size;
	uint32_t i;
	uint8_t *p;

	for (i = 0; i < n && rem <= MQTT_MAX_REMAINING; i++)
		rem += str_size(e ? &e[i].filter : &filters[i]) + !!e;
	size = frame_size(rem);
	if (!fits(buf, cap, size))
		return size;
	p = put_hdr(buf, (e ? MQTT_SUBSCRIBE : MQTT_UNSUBSCRIBE) << 4 | 2, rem);
	p = put_u16(p, packet_id);
	p = put_props(p, version, props, props_len);
	for (i = 0; i < n; i++) {
		const struct mqtt_buf *f = e ? &e[i].filter : &filters[i];

		p = put_str(p, f->p, (uint16_t)f->len);
		if (!e)
			continue;
		*p = e[i].qos & 3;
		if (version == MQTT_V5)
			*p |= (uint8_t)(e[i].no_local << 2 | e[i].retain_as_published << 3 |
					(e[i].retain_handling & 3) << 4);
		p++;
	}
	return size;
}

size_t codec_encode_subscribe(uint8_t *buf, size_t cap, uint8_t version, uint16_t packet_id,
			      const struct mqtt_sub_entry *e, uint32_t n, const uint8_t *props,
			      uint32_t props_len)
{
	return encode_sub(buf, cap, version, packet_id, e, NULL, n, props, props_len);
}

size_t codec_encode_unsubscribe(uint8_t *buf, size_t cap, uint8_t version, uint16_t packet_id,
				const struct mqtt_buf *filters, uint32_t n, const uint8_t *props,
				uint32_t props_len)
{
	return encode_sub(buf, cap, version, packet_id, NULL, filters, n, props, props_len);
}

size_t codec_encode_suback(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
			   uint16_t packet_id, const uint8_t *codes, uint32_t n,
			   const uint8_t *props, uint32_t props_len)
{
	uint64_t rem;
	size_t size;
	uint8_t *p;

	if (type != MQTT_SUBACK && type != MQTT_UNSUBACK)
		return 0;
	if (type == MQTT_UNSUBACK && version != MQTT_V5)
		n = 0;
	if (!codes)
		n = 0;
	rem = 2 + props_size(version, props, props_len) + n;
	size = frame_size(rem);
	if (!fits(buf, cap, size))
		return size;
	p = put_hdr(buf, (uint8_t)(type << 4), rem);
	p = put_u16(p, packet_id);
	p = put_props(p, version, props, props_len);
	put_bytes(p, codes, n);
	return size;
}

size_t codec_encode_simple(uint8_t *buf, size_t cap, uint8_t type)
{
	if (type != MQTT_PINGREQ && type != MQTT_PINGRESP && type != MQTT_DISCONNECT)
		return 0;
	if (fits(buf, cap, 2)) {
		buf[0] = (uint8_t)(type << 4);
		buf[1] = 0;
	}
	return 2;
}

size_t codec_encode_disconnect(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
			       uint8_t reason, const uint8_t *props, uint32_t props_len)
{
	uint64_t rem = 0;
	size_t n;
	uint8_t *p;

	if (type != MQTT_DISCONNECT && type != MQTT_AUTH)
		return 0;
	if (version != MQTT_V5)
		return type == MQTT_AUTH ? 0 : codec_encode_simple(buf, cap, type);
	if (!props)
		props_len = 0;
	/* Short forms: nothing when both are empty; DISCONNECT also has a reason-only form
	 * (3.14.2.2.1), AUTH does not (3.15.2.2.1). */
	if (props_len || (type == MQTT_AUTH && reason))
		rem = 1 + props_size(version, props, props_len);
	else if (reason)
		rem = 1;
	n = frame_size(rem);
	if (!fits(buf, cap, n))
		return n;
	p = put_hdr(buf, (uint8_t)(type << 4), rem);
	if (rem) {
		*p++ = reason;
		if (rem > 1)
			put_props(p, version, props, props_len);
	}
	return n;
}
