/* SPDX-License-Identifier: MIT */
/*
 * codec_int.h: what the codec files share (private to daemon/mqtt/codec*.c; see codec.h).
 *
 * Byte helpers, the UTF-8 scanner and the reading cursor, all inline: framing and PUBLISH are
 * the data plane, and each file gets its own copy of the loops with nothing to call.
 *
 * Internally every check returns 0 or the MQTT 5 reason code of the fault (all of them are
 * >= 0x80, so "non-zero" means "error"). Readers work on a cursor (struct rd) bounded by the
 * end of the frame, so a length field that points past the frame is a Malformed Packet, never
 * an overread.
 *
 * The files: codec.c (framing and decoding), codec_encode.c (encoding), codec_props.c (MQTT 5
 * properties: the table, parsing, walking and building a block).
 */
#ifndef MQTTGW_CODEC_INT_H
#define MQTTGW_CODEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
static inline __attribute__((always_inline)) int utf8_scan(const uint8_t *s, size_t len, bool topic)
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
static inline int utf8_check(const uint8_t *s, size_t len)
{
	return utf8_scan(s, len, false);
}

static inline int topic_scan(const uint8_t *s, size_t len)
{
	return utf8_scan(s, len, true);
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

/* ---- properties ---- */

/*
 * Defaults: all zero but request_problem_info, written as 16-byte vector stores. A memset of the
 * whole 208 bytes is `rep stosq` at -O2, and at -Os (the release build) even a memset of a third
 * is `rep stosb`, whose start-up cost was most of the time spent decoding a small PUBLISH; two
 * decodes per QoS 1 message (PUBLISH, PUBACK). Measured on this 2-vCPU EPYC, ns per call, -Os:
 * three memsets 45-84, vector stores 11-23; -O2: 14-21 and 16-20 (/tmp micro-benchmark, issue 15).
 */
typedef uint8_t props_v16 __attribute__((vector_size(16), may_alias, aligned(1)));

static inline void props_init(struct mqtt_props *pr)
{
	const props_v16 z = {0};
	uint8_t *p = (uint8_t *)pr;

	_Static_assert(sizeof(*pr) >= 16, "props_init stores 16 bytes at a time");
#pragma GCC unroll 16
	for (size_t i = 0; i + 16 <= sizeof(*pr); i += 16)
		*(props_v16 *)(p + i) = z;
	if (sizeof(*pr) % 16)
		*(props_v16 *)(p + sizeof(*pr) - 16) = z;
	pr->request_problem_info = 1;
}

#endif /* MQTTGW_CODEC_INT_H */
