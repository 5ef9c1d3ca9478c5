// SPDX-License-Identifier: MIT
/*
 * codec_test.h: helpers of the codec unit tests (test_codec*.c): byte literals, expected
 * results, framing a body, decoding it, and a byte builder.
 */
#ifndef MQTTGW_CODEC_TEST_H
#define MQTTGW_CODEC_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"

#define S(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define MQTTN  0, 4, 'M', 'Q', 'T', 'T'
#define MQISDP 0, 6, 'M', 'Q', 'I', 's', 'd', 'p'

#define OK	 0, 0
#define MAL	 -EBADMSG, MQTT_RC_MALFORMED
#define PROTO	 -EBADMSG, MQTT_RC_PROTOCOL_ERROR
#define UNSUP	 -EPROTONOSUPPORT, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION
#define TNAME	 -EBADMSG, MQTT_RC_TOPIC_NAME_INVALID
#define TFILTER	 -EBADMSG, MQTT_RC_TOPIC_FILTER_INVALID
#define CLIENTID -EBADMSG, MQTT_RC_CLIENT_ID_NOT_VALID
#define ALIAS	 -EBADMSG, MQTT_RC_TOPIC_ALIAS_INVALID

/* Frame storage: decoded views point here, so it outlives each decode. */
static uint8_t frame_buf[1 << 16];

/* First byte + Remaining Length (computed) + body. */
static inline size_t mkframe(uint8_t *out, uint8_t b0, const uint8_t *body, size_t n)
{
	size_t h;

	out[0] = b0;
	h = 1 + codec_varint_put(out + 1, (uint32_t)n);
	if (n)
		memcpy(out + h, body, n);
	return h + n;
}

static inline int dec(uint8_t ver, uint8_t b0, const uint8_t *body, size_t n,
		      struct mqtt_packet *pkt, uint8_t *reason)
{
	size_t len = mkframe(frame_buf, b0, body, n);

	*reason = 0xee;
	return codec_decode(frame_buf, len, ver, pkt, reason);
}

static inline void buf_eq(struct mqtt_buf b, const void *s, size_t n)
{
	assert_int_equal(b.len, n);
	if (n)
		assert_memory_equal(b.p, s, n);
}

#define BUF_EQ(b, lit) buf_eq((b), (lit), sizeof(lit) - 1)

/* A small byte builder for property blocks and bodies. */
struct bb {
	uint8_t d[1024];
	size_t n;
};

static inline void bb_u8(struct bb *b, uint8_t v)
{
	b->d[b->n++] = v;
}

static inline void bb_u16(struct bb *b, uint16_t v)
{
	bb_u8(b, v >> 8);
	bb_u8(b, v & 0xff);
}

static inline void bb_mem(struct bb *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static inline void bb_str(struct bb *b, const char *s)
{
	bb_u16(b, (uint16_t)strlen(s));
	bb_mem(b, s, strlen(s));
}

static inline void bb_varint(struct bb *b, uint32_t v)
{
	b->n += codec_varint_put(b->d + b->n, v);
}

#endif /* MQTTGW_CODEC_TEST_H */
