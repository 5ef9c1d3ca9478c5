// SPDX-License-Identifier: MIT
/*
 * Unit tests for daemon/codec.c: framing, every packet type decoded from hand-written bytes
 * (valid and every malformed case we know of), encoders checked against spec bytes and round
 * tripped through the decoder for 3.1, 3.1.1 and 5.0, and the v5 property rules checked
 * exhaustively against an independent copy of the spec's property table.
 */
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

/* ---- helpers ---- */

#define S(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define MQTTN  0, 4, 'M', 'Q', 'T', 'T'
#define MQISDP 0, 6, 'M', 'Q', 'I', 's', 'd', 'p'

#define OK	  0, 0
#define MAL	  -EBADMSG, MQTT_RC_MALFORMED
#define PROTO	  -EBADMSG, MQTT_RC_PROTOCOL_ERROR
#define UNSUP	  -EPROTONOSUPPORT, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION
#define TNAME	  -EBADMSG, MQTT_RC_TOPIC_NAME_INVALID
#define TFILTER	  -EBADMSG, MQTT_RC_TOPIC_FILTER_INVALID
#define CLIENTID  -EBADMSG, MQTT_RC_CLIENT_ID_NOT_VALID
#define ALIAS	  -EBADMSG, MQTT_RC_TOPIC_ALIAS_INVALID

/* Frame storage: decoded views point here, so it outlives each decode. */
static uint8_t frame_buf[1 << 16];

/* First byte + Remaining Length (computed) + body. */
static size_t mkframe(uint8_t *out, uint8_t b0, const uint8_t *body, size_t n)
{
	size_t h;

	out[0] = b0;
	h = 1 + codec_varint_put(out + 1, (uint32_t)n);
	if (n)
		memcpy(out + h, body, n);
	return h + n;
}

static int dec(uint8_t ver, uint8_t b0, const uint8_t *body, size_t n, struct mqtt_packet *pkt,
	       uint8_t *reason)
{
	size_t len = mkframe(frame_buf, b0, body, n);

	*reason = 0xee;
	return codec_decode(frame_buf, len, ver, pkt, reason);
}

static void buf_eq(struct mqtt_buf b, const void *s, size_t n)
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

static void bb_u8(struct bb *b, uint8_t v)
{
	b->d[b->n++] = v;
}

static void bb_u16(struct bb *b, uint16_t v)
{
	bb_u8(b, v >> 8);
	bb_u8(b, v & 0xff);
}

static void bb_mem(struct bb *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void bb_str(struct bb *b, const char *s)
{
	bb_u16(b, (uint16_t)strlen(s));
	bb_mem(b, s, strlen(s));
}

static void bb_varint(struct bb *b, uint32_t v)
{
	b->n += codec_varint_put(b->d + b->n, v);
}

/* ---- table of decode vectors ---- */

struct vec {
	const char *name;
	uint8_t ver;
	uint8_t b0;
	const uint8_t *body;
	size_t len;
	int rc;
	uint8_t reason;
};

static const struct vec vecs[] = {
	/* CONNECT */
	{ "connect v311", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c'), OK },
	{ "connect v31", 3, 0x10, S(MQISDP, 3, 0x02, 0, 60, 0, 1, 'c'), OK },
	{ "connect v5", 5, 0x10, S(MQTTN, 5, 0x02, 0, 60, 0, 0, 1, 'c'), OK },
	{ "connect ignores conn version", 0, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c'), OK },
	{ "connect header flags", 4, 0x11, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c'), MAL },
	{ "connect header flags 8", 4, 0x18, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c'), MAL },
	{ "connect MQTT level 3", 4, 0x10, S(MQTTN, 3, 0x02, 0, 60, 0, 1, 'c'), UNSUP },
	{ "connect MQIsdp level 4", 4, 0x10, S(MQISDP, 4, 0x02, 0, 60, 0, 1, 'c'), UNSUP },
	{ "connect MQIsdp level 5", 4, 0x10, S(MQISDP, 5, 0x02, 0, 60, 0, 1, 'c'), UNSUP },
	{ "connect level 6", 4, 0x10, S(MQTTN, 6, 0x02, 0, 60, 0, 1, 'c'), UNSUP },
	{ "connect level 0", 4, 0x10, S(MQTTN, 0, 0x02, 0, 60, 0, 1, 'c'), UNSUP },
	{ "connect bridge level 0x84", 4, 0x10, S(MQTTN, 0x84, 0x02, 0, 60, 0, 1, 'c'), UNSUP },
	{ "connect name mqtt", 4, 0x10, S(0, 4, 'm', 'q', 't', 't', 4, 2, 0, 60, 0, 1, 'c'),
	  UNSUP },
	{ "connect name MQTTX", 4, 0x10, S(0, 5, 'M', 'Q', 'T', 'T', 'X', 4, 2, 0, 0, 0, 1, 'c'),
	  UNSUP },
	{ "connect name empty", 4, 0x10, S(0, 0, 4, 2, 0, 0, 0, 1, 'c'), UNSUP },
	{ "connect empty body", 4, 0x10, NULL, 0, MAL },
	{ "connect name only", 4, 0x10, S(MQTTN), MAL },
	{ "connect name overruns", 4, 0x10, S(0, 9, 'M', 'Q', 'T', 'T'), MAL },
	{ "connect no flags", 4, 0x10, S(MQTTN, 4), MAL },
	{ "connect no keepalive", 4, 0x10, S(MQTTN, 4, 0x02, 0), MAL },
	{ "connect no client id", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60), MAL },
	{ "connect client id overruns", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 5, 'c'), MAL },
	{ "connect client id overlong", 4, 0x10, S(MQTTN, 4, 2, 0, 60, 0, 2, 0xc0, 0x80), MAL },
	{ "connect client id U+0000", 4, 0x10, S(MQTTN, 4, 2, 0, 60, 0, 2, 'a', 0), MAL },
	{ "connect trailing byte", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c', 0), MAL },
	{ "connect reserved flag", 4, 0x10, S(MQTTN, 4, 0x03, 0, 60, 0, 1, 'c'), MAL },
	{ "connect v5 reserved flag", 5, 0x10, S(MQTTN, 5, 0x01, 0, 60, 0, 0, 1, 'c'), MAL },
	{ "connect will qos 3", 4, 0x10,
	  S(MQTTN, 4, 0x1e, 0, 60, 0, 1, 'c', 0, 1, 't', 0, 0), MAL },
	{ "connect will qos 1 no will", 4, 0x10, S(MQTTN, 4, 0x0a, 0, 60, 0, 1, 'c'), MAL },
	{ "connect will qos 2 no will", 4, 0x10, S(MQTTN, 4, 0x12, 0, 60, 0, 1, 'c'), MAL },
	{ "connect will retain no will", 4, 0x10, S(MQTTN, 4, 0x22, 0, 60, 0, 1, 'c'), MAL },
	{ "connect v5 will retain no will", 5, 0x10, S(MQTTN, 5, 0x22, 0, 60, 0, 0, 1, 'c'),
	  MAL },
	{ "connect will qos2 retain", 4, 0x10,
	  S(MQTTN, 4, 0x36, 0, 60, 0, 1, 'c', 0, 1, 't', 0, 1, 'x'), OK },
	{ "connect password no user v311", 4, 0x10,
	  S(MQTTN, 4, 0x42, 0, 60, 0, 1, 'c', 0, 1, 'p'), PROTO },
	{ "connect password no user v31", 3, 0x10,
	  S(MQISDP, 3, 0x42, 0, 60, 0, 1, 'c', 0, 1, 'p'), PROTO },
	{ "connect password no user v5", 5, 0x10,
	  S(MQTTN, 5, 0x42, 0, 60, 0, 0, 1, 'c', 0, 1, 'p'), OK },
	{ "connect v311 empty id no clean", 4, 0x10, S(MQTTN, 4, 0x00, 0, 60, 0, 0), CLIENTID },
	{ "connect v311 empty id clean", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 0), OK },
	{ "connect v31 empty id", 3, 0x10, S(MQISDP, 3, 0x02, 0, 60, 0, 0), CLIENTID },
	{ "connect v5 empty id no clean", 5, 0x10, S(MQTTN, 5, 0x00, 0, 60, 0, 0, 0), OK },
	{ "connect will topic #", 4, 0x10,
	  S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 3, 'a', '/', '#', 0, 0), TNAME },
	{ "connect will topic +", 4, 0x10,
	  S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 3, '+', '/', 'a', 0, 0), TNAME },
	{ "connect will topic empty", 4, 0x10,
	  S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 0, 0, 0), TNAME },
	{ "connect will topic 0xff", 4, 0x10,
	  S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 1, 0xff, 0, 0), MAL },
	{ "connect will no topic", 4, 0x10, S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c'), MAL },
	{ "connect will no payload", 4, 0x10, S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 1, 't'),
	  MAL },
	{ "connect will payload overruns", 4, 0x10,
	  S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 1, 't', 0, 3, 'x'), MAL },
	{ "connect will payload binary", 4, 0x10,
	  S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 1, 't', 0, 2, 0xff, 0), OK },
	{ "connect user flag no user", 4, 0x10, S(MQTTN, 4, 0x82, 0, 60, 0, 1, 'c'), MAL },
	{ "connect user 0x80", 4, 0x10, S(MQTTN, 4, 0x82, 0, 60, 0, 1, 'c', 0, 1, 0x80), MAL },
	{ "connect user ok", 4, 0x10, S(MQTTN, 4, 0x82, 0, 60, 0, 1, 'c', 0, 1, 'u'), OK },
	{ "connect pass flag no pass", 4, 0x10,
	  S(MQTTN, 4, 0xc2, 0, 60, 0, 1, 'c', 0, 1, 'u'), MAL },
	{ "connect pass binary", 4, 0x10,
	  S(MQTTN, 4, 0xc2, 0, 60, 0, 1, 'c', 0, 1, 'u', 0, 2, 0xff, 0), OK },
	{ "connect v5 no props", 5, 0x10, S(MQTTN, 5, 0x02, 0, 60), MAL },
	{ "connect v5 props overrun", 5, 0x10, S(MQTTN, 5, 0x02, 0, 60, 5, 0x11, 0, 0), MAL },
	{ "connect v5 props 5-byte len", 5, 0x10,
	  S(MQTTN, 5, 0x02, 0, 60, 0x80, 0x80, 0x80, 0x80, 0, 0, 1, 'c'), MAL },
	{ "connect v5 will no will props", 5, 0x10, S(MQTTN, 5, 0x06, 0, 60, 0, 0, 1, 'c'), MAL },
	{ "connect v5 will", 5, 0x10,
	  S(MQTTN, 5, 0x06, 0, 60, 0, 0, 1, 'c', 0, 0, 1, 't', 0, 0), OK },
	{ "connect v5 will delay in connect", 5, 0x10,
	  S(MQTTN, 5, 0x02, 0, 60, 5, 0x18, 0, 0, 0, 1, 0, 1, 'c'), MAL },
	{ "connect v5 session expiry in will", 5, 0x10,
	  S(MQTTN, 5, 0x06, 0, 60, 0, 0, 1, 'c', 5, 0x11, 0, 0, 0, 1, 0, 1, 't', 0, 0), MAL },
	{ "connect v5 will response topic #", 5, 0x10,
	  S(MQTTN, 5, 0x06, 0, 60, 0, 0, 1, 'c', 4, 0x08, 0, 1, '#', 0, 1, 't', 0, 0), PROTO },

	/* PUBLISH */
	{ "pub v4 qos0", 4, 0x30, S(0, 3, 'a', '/', 'b', 'x'), OK },
	{ "pub v4 qos1", 4, 0x32, S(0, 3, 'a', '/', 'b', 0, 1, 'x'), OK },
	{ "pub v4 qos2 dup retain", 4, 0x3d, S(0, 3, 'a', '/', 'b', 0, 1), OK },
	{ "pub v3 qos1 dup", 3, 0x3a, S(0, 1, 't', 0, 1), OK },
	{ "pub v4 qos3", 4, 0x36, S(0, 3, 'a', '/', 'b', 0, 1), MAL },
	{ "pub v3 qos3", 3, 0x36, S(0, 3, 'a', '/', 'b', 0, 1), MAL },
	{ "pub v5 qos3", 5, 0x37, S(0, 3, 'a', '/', 'b', 0, 1, 0), MAL },
	{ "pub v4 dup qos0", 4, 0x38, S(0, 3, 'a', '/', 'b'), MAL },
	{ "pub v3 dup qos0", 3, 0x39, S(0, 3, 'a', '/', 'b'), MAL },
	{ "pub v5 dup qos0", 5, 0x38, S(0, 3, 'a', '/', 'b', 0), MAL },
	{ "pub v4 qos1 pid 0", 4, 0x32, S(0, 3, 'a', '/', 'b', 0, 0), PROTO },
	{ "pub v5 qos2 pid 0", 5, 0x34, S(0, 1, 't', 0, 0, 0), PROTO },
	{ "pub v4 qos1 no pid", 4, 0x32, S(0, 3, 'a', '/', 'b'), MAL },
	{ "pub v4 qos1 half pid", 4, 0x32, S(0, 3, 'a', '/', 'b', 0), MAL },
	{ "pub empty", 4, 0x30, NULL, 0, MAL },
	{ "pub one length byte", 4, 0x30, S(0), MAL },
	{ "pub topic overruns", 4, 0x30, S(0, 4, 'a', '/', 'b'), MAL },
	{ "pub topic +", 4, 0x30, S(0, 3, 'a', '/', '+'), TNAME },
	{ "pub topic #", 4, 0x30, S(0, 1, '#'), TNAME },
	{ "pub topic a+b", 4, 0x30, S(0, 3, 'a', '+', 'b'), TNAME },
	{ "pub v5 topic #", 5, 0x30, S(0, 3, 'a', '/', '#', 0), TNAME },
	{ "pub long topic +", 4, 0x30,
	  S(0, 12, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', '+', 'k', 'l'), TNAME },
	{ "pub topic 0xab 0xa3 not wildcards", 4, 0x30,
	  S(0, 12, 0xc3, 0xab, 0xc2, 0xa3, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), OK },
	{ "pub v4 topic empty", 4, 0x30, S(0, 0, 'x'), MAL },
	{ "pub v3 topic empty", 3, 0x30, S(0, 0), MAL },
	{ "pub v5 topic empty no alias", 5, 0x30, S(0, 0, 0, 'x'), PROTO },
	{ "pub v5 topic empty alias", 5, 0x30, S(0, 0, 3, 0x23, 0, 1, 'x'), OK },
	{ "pub topic overlong", 4, 0x30, S(0, 2, 0xc0, 0xaf), MAL },
	{ "pub topic surrogate", 4, 0x30, S(0, 3, 0xed, 0xa0, 0x80), MAL },
	{ "pub topic U+0000", 4, 0x30, S(0, 3, 'a', 0, 'b'), MAL },
	{ "pub topic 0xff", 4, 0x30, S(0, 1, 0xff), MAL },
	{ "pub topic truncated seq", 4, 0x30, S(0, 2, 'a', 0xe2, 0x82, 0xac), MAL },
	{ "pub topic utf8", 4, 0x30, S(0, 5, 'a', '/', 0xe2, 0x82, 0xac), OK },
	{ "pub v5 no props length", 5, 0x30, S(0, 1, 't'), MAL },
	{ "pub v5 qos1 no props length", 5, 0x32, S(0, 1, 't', 0, 1), MAL },
	{ "pub v5 props overrun", 5, 0x30, S(0, 1, 't', 4, 0x01, 1), MAL },
	{ "pub v5 props 5-byte len", 5, 0x30, S(0, 1, 't', 0x80, 0x80, 0x80, 0x80, 0), MAL },
	{ "pub v5 props len non-minimal", 5, 0x30, S(0, 1, 't', 0x80, 0x00, 'x'), OK },
	{ "pub v5 empty payload", 5, 0x30, S(0, 1, 't', 0), OK },
	{ "pub v5 topic alias 0", 5, 0x30, S(0, 1, 't', 3, 0x23, 0, 0), ALIAS },
	{ "pub v5 topic alias twice", 5, 0x30, S(0, 1, 't', 6, 0x23, 0, 1, 0x23, 0, 2), PROTO },
	{ "pub v5 payload format 2", 5, 0x30, S(0, 1, 't', 2, 0x01, 2), PROTO },
	{ "pub v5 sub id twice", 5, 0x30, S(0, 1, 't', 4, 0x0b, 1, 0x0b, 2), OK },
	{ "pub v5 sub id 0", 5, 0x30, S(0, 1, 't', 2, 0x0b, 0), PROTO },
	{ "pub v5 sub id 5 bytes", 5, 0x30,
	  S(0, 1, 't', 6, 0x0b, 0x80, 0x80, 0x80, 0x80, 0x01), MAL },
	{ "pub v5 sub id truncated", 5, 0x30, S(0, 1, 't', 2, 0x0b, 0x80), MAL },
	{ "pub v5 response topic #", 5, 0x30, S(0, 1, 't', 6, 0x08, 0, 3, 'a', '/', '#'), PROTO },
	{ "pub v5 response topic empty", 5, 0x30, S(0, 1, 't', 3, 0x08, 0, 0), PROTO },
	{ "pub v5 response topic 0xff", 5, 0x30, S(0, 1, 't', 4, 0x08, 0, 1, 0xff), MAL },
	{ "pub v5 user props twice", 5, 0x30,
	  S(0, 1, 't', 14, 0x26, 0, 1, 'k', 0, 1, 'v', 0x26, 0, 1, 'k', 0, 1, 'v'), OK },
	{ "pub v5 user prop value 0xc1", 5, 0x30,
	  S(0, 1, 't', 7, 0x26, 0, 1, 'k', 0, 1, 0xc1), MAL },
	{ "pub v5 user prop no value", 5, 0x30, S(0, 1, 't', 4, 0x26, 0, 1, 'k'), MAL },
	{ "pub v5 prop id 0", 5, 0x30, S(0, 1, 't', 2, 0x00, 0), MAL },
	{ "pub v5 prop id 0x80", 5, 0x30, S(0, 1, 't', 3, 0x81, 0x00, 1), MAL },
	{ "pub v5 session expiry", 5, 0x30, S(0, 1, 't', 5, 0x11, 0, 0, 0, 1), MAL },
	{ "pub v5 message expiry cut", 5, 0x30, S(0, 1, 't', 4, 0x02, 0, 0, 1), MAL },
	{ "pub v5 message expiry twice", 5, 0x30,
	  S(0, 1, 't', 10, 0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2), PROTO },
	{ "pub v5 content type 0xfe", 5, 0x30, S(0, 1, 't', 4, 0x03, 0, 1, 0xfe), MAL },
	{ "pub no CONNECT yet", 0, 0x30, S(0, 1, 't'), PROTO },
	{ "pub version 6", 6, 0x30, S(0, 1, 't'), PROTO },

	/* PUBACK, PUBREC, PUBREL, PUBCOMP */
	{ "puback v4", 4, 0x40, S(0, 1), OK },
	{ "pubrec v4", 4, 0x50, S(0, 1), OK },
	{ "pubrel v4", 4, 0x62, S(0, 1), OK },
	{ "pubcomp v4", 4, 0x70, S(0, 1), OK },
	{ "puback flags", 4, 0x41, S(0, 1), MAL },
	{ "pubrec flags", 4, 0x58, S(0, 1), MAL },
	{ "pubcomp flags", 4, 0x72, S(0, 1), MAL },
	{ "pubrel flags 0", 4, 0x60, S(0, 1), MAL },
	{ "pubrel flags 3", 4, 0x63, S(0, 1), MAL },
	{ "pubrel v5 flags 0", 5, 0x60, S(0, 1), MAL },
	{ "pubrel v31 dup", 3, 0x6a, S(0, 1), OK },
	{ "pubrel v311 dup", 4, 0x6a, S(0, 1), MAL },
	{ "pubrel v5 dup", 5, 0x6a, S(0, 1), MAL },
	{ "puback pid 0", 4, 0x40, S(0, 0), PROTO },
	{ "pubrel pid 0", 4, 0x62, S(0, 0), PROTO },
	{ "pubcomp v5 pid 0", 5, 0x70, S(0, 0), PROTO },
	{ "puback short", 4, 0x40, S(0), MAL },
	{ "puback empty", 4, 0x40, NULL, 0, MAL },
	{ "puback v4 trailing", 4, 0x40, S(0, 1, 0), MAL },
	{ "pubrec v3 trailing", 3, 0x50, S(0, 1, 0), MAL },
	{ "puback v5", 5, 0x40, S(0, 1), OK },
	{ "puback v5 reason only", 5, 0x40, S(0, 1, 0x10), OK },
	{ "puback v5 reason empty props", 5, 0x40, S(0, 1, 0x87, 0), OK },
	{ "puback v5 trailing", 5, 0x40, S(0, 1, 0, 0, 0), MAL },
	{ "puback v5 reason 0x92", 5, 0x40, S(0, 1, 0x92), PROTO },
	{ "pubrec v5 reason 0x01", 5, 0x50, S(0, 1, 0x01), PROTO },
	{ "pubrel v5 reason 0x92", 5, 0x62, S(0, 1, 0x92), OK },
	{ "pubcomp v5 reason 0x10", 5, 0x70, S(0, 1, 0x10), PROTO },
	{ "puback v5 props overrun", 5, 0x40, S(0, 1, 0, 3, 0x1f, 0), MAL },
	{ "puback v5 reason string", 5, 0x40, S(0, 1, 0x80, 4, 0x1f, 0, 1, 'e'), OK },
	{ "puback v5 topic alias", 5, 0x40, S(0, 1, 0, 3, 0x23, 0, 1), MAL },
	{ "puback v5 reason string twice", 5, 0x40,
	  S(0, 1, 0, 8, 0x1f, 0, 1, 'e', 0x1f, 0, 1, 'f'), PROTO },

	/* SUBSCRIBE */
	{ "sub v4", 4, 0x82, S(0, 1, 0, 3, 'a', '/', 'b', 1), OK },
	{ "sub v4 three", 4, 0x82, S(0, 1, 0, 1, 'a', 0, 0, 1, '#', 2, 0, 3, '+', '/', '+', 1),
	  OK },
	{ "sub flags 0", 4, 0x80, S(0, 1, 0, 1, 'a', 0), MAL },
	{ "sub flags 3", 4, 0x83, S(0, 1, 0, 1, 'a', 0), MAL },
	{ "sub v31 dup", 3, 0x8a, S(0, 1, 0, 1, 'a', 0), OK },
	{ "sub pid 0", 4, 0x82, S(0, 0, 0, 1, 'a', 0), PROTO },
	{ "sub no entries", 4, 0x82, S(0, 1), PROTO },
	{ "sub v5 no entries", 5, 0x82, S(0, 1, 0), PROTO },
	{ "sub no pid", 4, 0x82, S(0), MAL },
	{ "sub no options", 4, 0x82, S(0, 1, 0, 1, 'a'), MAL },
	{ "sub filter overruns", 4, 0x82, S(0, 1, 0, 5, 'a', 0), MAL },
	{ "sub half length", 4, 0x82, S(0, 1, 0, 1, 'a', 0, 0), MAL },
	{ "sub v4 qos 3", 4, 0x82, S(0, 1, 0, 1, 'a', 3), MAL },
	{ "sub v4 options 0x04", 4, 0x82, S(0, 1, 0, 1, 'a', 0x04), MAL },
	{ "sub v4 options 0x80", 4, 0x82, S(0, 1, 0, 1, 'a', 0x80), MAL },
	{ "sub v3 options 0x10", 3, 0x82, S(0, 1, 0, 1, 'a', 0x10), MAL },
	{ "sub v5 qos 3", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 3), PROTO },
	{ "sub v5 retain handling 3", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 0x30), PROTO },
	{ "sub v5 options 0x40", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 0x40), MAL },
	{ "sub v5 options 0x80", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 0x80), MAL },
	{ "sub v5 all options", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 0x2e), OK },
	{ "sub filter empty", 4, 0x82, S(0, 1, 0, 0, 0), TFILTER },
	{ "sub filter a+", 4, 0x82, S(0, 1, 0, 2, 'a', '+', 0), TFILTER },
	{ "sub filter +a", 4, 0x82, S(0, 1, 0, 2, '+', 'a', 0), TFILTER },
	{ "sub filter a/b+", 4, 0x82, S(0, 1, 0, 4, 'a', '/', 'b', '+', 0), TFILTER },
	{ "sub filter #/a", 4, 0x82, S(0, 1, 0, 3, '#', '/', 'a', 0), TFILTER },
	{ "sub filter a#", 4, 0x82, S(0, 1, 0, 2, 'a', '#', 0), TFILTER },
	{ "sub filter a/#/b", 4, 0x82, S(0, 1, 0, 5, 'a', '/', '#', '/', 'b', 0), TFILTER },
	{ "sub filter ##", 4, 0x82, S(0, 1, 0, 2, '#', '#', 0), TFILTER },
	{ "sub filter ++", 4, 0x82, S(0, 1, 0, 2, '+', '+', 0), TFILTER },
	{ "sub filter +#", 4, 0x82, S(0, 1, 0, 2, '+', '#', 0), TFILTER },
	{ "sub filter +", 4, 0x82, S(0, 1, 0, 1, '+', 0), OK },
	{ "sub filter /", 4, 0x82, S(0, 1, 0, 1, '/', 0), OK },
	{ "sub filter //", 4, 0x82, S(0, 1, 0, 2, '/', '/', 0), OK },
	{ "sub filter /#", 4, 0x82, S(0, 1, 0, 2, '/', '#', 0), OK },
	{ "sub filter +/+/#", 4, 0x82, S(0, 1, 0, 5, '+', '/', '+', '/', '#', 0), OK },
	{ "sub filter a/+/b", 4, 0x82, S(0, 1, 0, 5, 'a', '/', '+', '/', 'b', 0), OK },
	{ "sub filter 0xed 0xbf", 4, 0x82, S(0, 1, 0, 3, 0xed, 0xbf, 0xbf, 0), MAL },
	{ "sub filter U+0000", 4, 0x82, S(0, 1, 0, 1, 0, 0), MAL },
	{ "sub bad filter then qos 3", 4, 0x82, S(0, 1, 0, 1, '#', 0, 0, 2, 'a', '#', 0, 0, 1,
						   'b', 3), MAL },
	{ "sub bad filter then good", 4, 0x82, S(0, 1, 0, 2, 'a', '#', 0, 0, 1, 'b', 1), TFILTER },
	{ "sub v5 $share/g/a", 5, 0x82, S(0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g',
					  '/', 'a', 1), OK },
	{ "sub v5 $share/g/#", 5, 0x82, S(0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g',
					  '/', '#', 1), OK },
	{ "sub v5 $share/g", 5, 0x82, S(0, 1, 0, 0, 8, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', 1),
	  TFILTER },
	{ "sub v5 $share/g/", 5, 0x82, S(0, 1, 0, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', 'g',
					 '/', 1), TFILTER },
	{ "sub v5 $share//a", 5, 0x82, S(0, 1, 0, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', '/',
					 'a', 1), TFILTER },
	{ "sub v5 $share/+/a", 5, 0x82, S(0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', '+',
					  '/', 'a', 1), TFILTER },
	{ "sub v5 $share/g#/a", 5, 0x82, S(0, 1, 0, 0, 11, '$', 's', 'h', 'a', 'r', 'e', '/', 'g',
					   '#', '/', 'a', 1), TFILTER },
	{ "sub v5 $share/g/a+", 5, 0x82, S(0, 1, 0, 0, 11, '$', 's', 'h', 'a', 'r', 'e', '/', 'g',
					   '/', 'a', '+', 1), TFILTER },
	{ "sub v5 $share no local", 5, 0x82, S(0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/',
						'g', '/', 'a', 0x05), PROTO },
	{ "sub v5 $sharex no local", 5, 0x82, S(0, 1, 0, 0, 7, '$', 's', 'h', 'a', 'r', 'e', 'x',
						 0x05), OK },
	{ "sub v4 $share/+/a plain", 4, 0x82, S(0, 1, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/',
						 '+', '/', 'a', 1), OK },
	{ "sub v5 sub id", 5, 0x82, S(0, 1, 2, 0x0b, 7, 0, 1, 'a', 0), OK },
	{ "sub v5 sub id twice", 5, 0x82, S(0, 1, 4, 0x0b, 7, 0x0b, 8, 0, 1, 'a', 0), PROTO },
	{ "sub v5 sub id 0", 5, 0x82, S(0, 1, 2, 0x0b, 0, 0, 1, 'a', 0), PROTO },
	{ "sub v5 reason string", 5, 0x82, S(0, 1, 4, 0x1f, 0, 1, 'x', 0, 1, 'a', 0), MAL },

	/* UNSUBSCRIBE */
	{ "unsub v4", 4, 0xa2, S(0, 1, 0, 1, 'a'), OK },
	{ "unsub flags 0", 4, 0xa0, S(0, 1, 0, 1, 'a'), MAL },
	{ "unsub flags 3", 4, 0xa3, S(0, 1, 0, 1, 'a'), MAL },
	{ "unsub v31 dup", 3, 0xaa, S(0, 1, 0, 1, 'a'), OK },
	{ "unsub pid 0", 4, 0xa2, S(0, 0, 0, 1, 'a'), PROTO },
	{ "unsub no entries", 4, 0xa2, S(0, 1), PROTO },
	{ "unsub filter overruns", 4, 0xa2, S(0, 1, 0, 2, 'a'), MAL },
	{ "unsub filter empty", 4, 0xa2, S(0, 1, 0, 0), TFILTER },
	{ "unsub filter a/#/b", 4, 0xa2, S(0, 1, 0, 5, 'a', '/', '#', '/', 'b'), TFILTER },
	{ "unsub filter 0xf8", 4, 0xa2, S(0, 1, 0, 1, 0xf8), MAL },
	{ "unsub v5", 5, 0xa2, S(0, 1, 0, 0, 1, 'a'), OK },
	{ "unsub v5 user prop", 5, 0xa2, S(0, 1, 7, 0x26, 0, 1, 'k', 0, 1, 'v', 0, 1, 'a'), OK },
	{ "unsub v5 sub id", 5, 0xa2, S(0, 1, 2, 0x0b, 1, 0, 1, 'a'), MAL },
	{ "unsub v5 $share/g", 5, 0xa2, S(0, 1, 0, 0, 8, '$', 's', 'h', 'a', 'r', 'e', '/', 'g'),
	  TFILTER },

	/* SUBACK, UNSUBACK */
	{ "suback v4", 4, 0x90, S(0, 1, 0, 1, 2, 0x80), OK },
	{ "suback v4 code 3", 4, 0x90, S(0, 1, 3), PROTO },
	{ "suback v4 code 0x87", 4, 0x90, S(0, 1, 0x87), PROTO },
	{ "suback flags", 4, 0x91, S(0, 1, 0), MAL },
	{ "suback no codes", 4, 0x90, S(0, 1), PROTO },
	{ "suback pid 0", 4, 0x90, S(0, 0, 0), PROTO },
	{ "suback short", 4, 0x90, S(0), MAL },
	{ "suback v5", 5, 0x90,
	  S(0, 1, 0, 0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2), OK },
	{ "suback v5 code 0x11", 5, 0x90, S(0, 1, 0, 0x11), PROTO },
	{ "suback v5 code 0x03", 5, 0x90, S(0, 1, 0, 0x03), PROTO },
	{ "suback v5 code 0xff", 5, 0x90, S(0, 1, 0, 0xff), PROTO },
	{ "suback v5 no props length", 5, 0x90, S(0, 1), MAL },
	{ "suback v5 reason string", 5, 0x90, S(0, 1, 4, 0x1f, 0, 1, 'x', 0), OK },
	{ "unsuback v4", 4, 0xb0, S(0, 1), OK },
	{ "unsuback v3", 3, 0xb0, S(0, 1), OK },
	{ "unsuback v4 trailing", 4, 0xb0, S(0, 1, 0), MAL },
	{ "unsuback v4 pid 0", 4, 0xb0, S(0, 0), PROTO },
	{ "unsuback flags", 4, 0xb2, S(0, 1), MAL },
	{ "unsuback v5", 5, 0xb0, S(0, 1, 0, 0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91), OK },
	{ "unsuback v5 code 1", 5, 0xb0, S(0, 1, 0, 1), PROTO },
	{ "unsuback v5 no codes", 5, 0xb0, S(0, 1, 0), PROTO },

	/* CONNACK */
	{ "connack v4", 4, 0x20, S(0, 0), OK },
	{ "connack v4 session present", 4, 0x20, S(1, 0), OK },
	{ "connack v4 refused 5", 4, 0x20, S(0, 5), OK },
	{ "connack v4 present refused", 4, 0x20, S(1, 5), PROTO },
	{ "connack v4 code 6", 4, 0x20, S(0, 6), PROTO },
	{ "connack v4 flags 2", 4, 0x20, S(2, 0), MAL },
	{ "connack v4 short", 4, 0x20, S(0), MAL },
	{ "connack v4 long", 4, 0x20, S(0, 0, 0), MAL },
	{ "connack v31 unused byte", 3, 0x20, S(0xff, 0), OK },
	{ "connack header flags", 4, 0x21, S(0, 0), MAL },
	{ "connack v5", 5, 0x20, S(0, 0, 0), OK },
	{ "connack v5 no props", 5, 0x20, S(0, 0), MAL },
	{ "connack v5 0x85", 5, 0x20, S(0, 0x85, 0), OK },
	{ "connack v5 code 1", 5, 0x20, S(0, 1, 0), PROTO },
	{ "connack v5 code 0x8b", 5, 0x20, S(0, 0x8b, 0), PROTO },
	{ "connack v5 present refused", 5, 0x20, S(1, 0x80, 0), PROTO },
	{ "connack v5 flags 0x80", 5, 0x20, S(0x80, 0, 0), MAL },
	{ "connack v5 trailing", 5, 0x20, S(0, 0, 0, 0), MAL },

	/* PINGREQ, PINGRESP, DISCONNECT, AUTH, reserved type 0 */
	{ "pingreq v4", 4, 0xc0, NULL, 0, OK },
	{ "pingreq v3", 3, 0xc0, NULL, 0, OK },
	{ "pingreq v5", 5, 0xc0, NULL, 0, OK },
	{ "pingreq body", 4, 0xc0, S(0), MAL },
	{ "pingreq v5 body", 5, 0xc0, S(0), MAL },
	{ "pingreq flags", 4, 0xc1, NULL, 0, MAL },
	{ "pingresp", 4, 0xd0, NULL, 0, OK },
	{ "pingresp body", 4, 0xd0, S(0, 0), MAL },
	{ "pingresp flags", 4, 0xd8, NULL, 0, MAL },
	{ "pingreq no CONNECT yet", 0, 0xc0, NULL, 0, PROTO },
	{ "disconnect v4", 4, 0xe0, NULL, 0, OK },
	{ "disconnect v3", 3, 0xe0, NULL, 0, OK },
	{ "disconnect v4 body", 4, 0xe0, S(0), MAL },
	{ "disconnect v3 body", 3, 0xe0, S(0), MAL },
	{ "disconnect flags", 4, 0xe1, NULL, 0, MAL },
	{ "disconnect v5 flags", 5, 0xe2, NULL, 0, MAL },
	{ "disconnect v5", 5, 0xe0, NULL, 0, OK },
	{ "disconnect v5 reason only", 5, 0xe0, S(0x04), OK },
	{ "disconnect v5 reason props", 5, 0xe0, S(0x8e, 0), OK },
	{ "disconnect v5 reason 0x01", 5, 0xe0, S(0x01), PROTO },
	{ "disconnect v5 reason 0x84", 5, 0xe0, S(0x84), PROTO },
	{ "disconnect v5 props overrun", 5, 0xe0, S(0, 2, 0x11), MAL },
	{ "disconnect v5 trailing", 5, 0xe0, S(0, 0, 0), MAL },
	{ "disconnect v5 expiry server ref", 5, 0xe0,
	  S(0x9c, 9, 0x11, 0, 0, 0, 5, 0x1c, 0, 1, 's'), OK },
	{ "disconnect v5 auth method", 5, 0xe0, S(0, 4, 0x15, 0, 1, 'm'), MAL },
	{ "auth v4", 4, 0xf0, NULL, 0, MAL },
	{ "auth v3", 3, 0xf0, NULL, 0, MAL },
	{ "auth v5", 5, 0xf0, NULL, 0, OK },
	{ "auth v5 reason only", 5, 0xf0, S(0x18), MAL },
	{ "auth v5 continue", 5, 0xf0, S(0x18, 4, 0x15, 0, 1, 'm'), OK },
	{ "auth v5 reauth data", 5, 0xf0, S(0x19, 8, 0x15, 0, 1, 'm', 0x16, 0, 1, 'd'), OK },
	{ "auth v5 success method", 5, 0xf0, S(0x00, 4, 0x15, 0, 1, 'm'), OK },
	{ "auth v5 no method", 5, 0xf0, S(0x18, 0), PROTO },
	{ "auth v5 data no method", 5, 0xf0, S(0x18, 4, 0x16, 0, 1, 'd'), PROTO },
	{ "auth v5 reason 0x01", 5, 0xf0, S(0x01, 4, 0x15, 0, 1, 'm'), PROTO },
	{ "auth v5 flags", 5, 0xf1, NULL, 0, MAL },
	{ "auth v5 trailing", 5, 0xf0, S(0x18, 4, 0x15, 0, 1, 'm', 0), MAL },
	{ "type 0 v4", 4, 0x00, NULL, 0, MAL },
	{ "type 0 v3", 3, 0x00, NULL, 0, MAL },
	{ "type 0 v5", 5, 0x00, NULL, 0, MAL },
	{ "type 0 body", 5, 0x00, S(1, 2), MAL },
};

static void test_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		struct mqtt_packet pkt;
		uint8_t reason;
		int rc = dec(v->ver, v->b0, v->body, v->len, &pkt, &reason);

		if (rc != v->rc || reason != v->reason)
			fail_msg("%s: rc %d reason 0x%02x, want %d 0x%02x", v->name, rc, reason,
				 v->rc, v->reason);
		if (!rc) {
			assert_int_equal(pkt.type, v->b0 >> 4);
			assert_int_equal(pkt.flags, v->b0 & 0xf);
		}
	}
}

/* ---- remaining length and framing ---- */

struct frame_vec {
	const char *name;
	const uint8_t *b;
	size_t len;
	int rc;
	uint32_t hdr_len, rem_len;
};

static const struct frame_vec frame_vecs[] = {
	{ "0", S(0xc0, 0x00), 0, 2, 0 },
	{ "127", S(0x30, 0x7f), -EAGAIN, 2, 127 },
	{ "128", S(0x30, 0x80, 0x01), -EAGAIN, 3, 128 },
	{ "16383", S(0x30, 0xff, 0x7f), -EAGAIN, 3, 16383 },
	{ "16384", S(0x30, 0x80, 0x80, 0x01), -EAGAIN, 4, 16384 },
	{ "2097151", S(0x30, 0xff, 0xff, 0x7f), -EAGAIN, 4, 2097151 },
	{ "2097152", S(0x30, 0x80, 0x80, 0x80, 0x01), -EAGAIN, 5, 2097152 },
	{ "max", S(0x30, 0xff, 0xff, 0xff, 0x7f), -EAGAIN, 5, MQTT_MAX_REMAINING },
	{ "non-minimal 0 in 2", S(0xc0, 0x80, 0x00), 0, 3, 0 },
	{ "non-minimal 0 in 4", S(0xc0, 0x80, 0x80, 0x80, 0x00), 0, 5, 0 },
	{ "non-minimal 1 in 3", S(0xc0, 0x81, 0x80, 0x00, 0xaa), 0, 4, 1 },
	{ "5 bytes", S(0x30, 0x80, 0x80, 0x80, 0x80, 0x01), -EBADMSG, 0, 0 },
	{ "5 bytes all ones", S(0x30, 0xff, 0xff, 0xff, 0xff, 0x7f), -EBADMSG, 0, 0 },
	{ "4 continuation bytes", S(0x30, 0xff, 0xff, 0xff, 0xff), -EBADMSG, 0, 0 },
	{ "1 continuation byte", S(0x30, 0x80), -EAGAIN, 0, 0 },
	{ "3 continuation bytes", S(0x30, 0x80, 0x80, 0x80), -EAGAIN, 0, 0 },
	{ "type byte only", S(0x30), -EAGAIN, 0, 0 },
	{ "two frames", S(0xc0, 0x00, 0xd0, 0x00, 0x00), 0, 2, 0 },
	{ "rem 2 complete", S(0x40, 0x02, 0x00, 0x01), 0, 2, 2 },
	{ "rem 2 plus next", S(0x40, 0x02, 0x00, 0x01, 0xc0, 0x00), 0, 2, 2 },
};

static void test_frame_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(frame_vecs) / sizeof(frame_vecs[0]); i++) {
		const struct frame_vec *v = &frame_vecs[i];
		/* Copy to an exact-size heap block so ASan sees any read past len. */
		uint8_t *b = malloc(v->len);
		struct mqtt_frame f;
		uint8_t reason = 0xee;
		int rc;

		memcpy(b, v->b, v->len);
		rc = codec_frame(b, v->len, 0, &f, &reason);
		if (rc != v->rc || f.hdr_len != v->hdr_len || f.rem_len != v->rem_len)
			fail_msg("%s: rc %d hdr %u rem %u", v->name, rc, f.hdr_len, f.rem_len);
		assert_int_equal(reason, rc == -EBADMSG ? MQTT_RC_MALFORMED : 0);
		assert_int_equal(f.type, v->b[0] >> 4);
		assert_int_equal(f.flags, v->b[0] & 0xf);
		free(b);
	}
}

/* Every prefix of a frame is -EAGAIN; hdr_len is 0 until the length is complete. */
static void test_frame_every_split(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 2, 127, 128, 300, 16383, 16384, 70000 };
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t hdr = 1 + codec_varint_size(sizes[i]), total = hdr + sizes[i];
		uint8_t *b = calloc(1, total);
		struct mqtt_frame f;
		uint8_t reason;

		b[0] = 0x30;
		codec_varint_put(b + 1, sizes[i]);
		for (cut = 0; cut < total; cut++) {
			/* Exact-size copy each time so the fast path cannot peek further. */
			uint8_t *c = malloc(cut ? cut : 1);

			memcpy(c, b, cut);
			reason = 0xee;
			assert_int_equal(codec_frame(c, cut, 0, &f, &reason), -EAGAIN);
			assert_int_equal(reason, 0);
			assert_int_equal(f.hdr_len, cut < hdr ? 0 : hdr);
			if (cut >= hdr)
				assert_int_equal(f.rem_len, sizes[i]);
			free(c);
		}
		assert_int_equal(codec_frame(b, total, 0, &f, NULL), 0);
		assert_int_equal(f.hdr_len, hdr);
		assert_int_equal(f.rem_len, sizes[i]);
		free(b);
	}
}

static void test_frame_max_size(void **state)
{
	uint8_t big[] = { 0x30, 0xff, 0xff, 0xff, 0x7f };
	uint8_t pub[] = { 0x30, 0x05, 0, 1, 't', 'x', 'y' };
	struct mqtt_frame f;
	uint8_t reason;

	(void)state;
	/* Exactly max_size is fine, one more is not; the body need not be there yet. */
	assert_int_equal(codec_frame(pub, sizeof(pub), 7, &f, &reason), 0);
	assert_int_equal(codec_frame(pub, sizeof(pub), 6, &f, &reason), -EMSGSIZE);
	assert_int_equal(reason, MQTT_RC_PACKET_TOO_LARGE);
	assert_int_equal(f.hdr_len, 2);
	assert_int_equal(f.rem_len, 5);
	assert_int_equal(codec_frame(pub, 2, 6, &f, &reason), -EMSGSIZE);
	assert_int_equal(codec_frame(pub, 2, 7, &f, &reason), -EAGAIN);
	assert_int_equal(codec_frame(big, sizeof(big), 1u << 20, &f, &reason), -EMSGSIZE);
	assert_int_equal(reason, MQTT_RC_PACKET_TOO_LARGE);
	assert_int_equal(f.rem_len, MQTT_MAX_REMAINING);
	assert_int_equal(codec_frame(big, sizeof(big), 0, &f, &reason), -EAGAIN);
	assert_int_equal(codec_frame(big, sizeof(big), UINT32_MAX, &f, &reason), -EAGAIN);
	assert_int_equal(codec_frame(big, 3, 100, &f, &reason), -EAGAIN); /* length unknown */
	assert_int_equal(codec_frame(big, 4, 100, &f, &reason), -EAGAIN);
	/* 5-byte lengths stay malformed whatever the limit. */
	assert_int_equal(codec_frame((const uint8_t[]){ 0x30, 0x80, 0x80, 0x80, 0x80 }, 5, 10, &f,
				     &reason),
			 -EBADMSG);
	assert_int_equal(reason, MQTT_RC_MALFORMED);
}

static void test_decode_length_mismatch(void **state)
{
	uint8_t b[] = { 0x40, 0x02, 0x00, 0x01, 0xc0, 0x00 };
	uint8_t fivebyte[] = { 0xc0, 0x80, 0x80, 0x80, 0x80, 0x00 };
	uint8_t nonmin[] = { 0xc0, 0x80, 0x80, 0x80, 0x00 };
	struct mqtt_packet pkt;
	uint8_t reason;

	(void)state;
	assert_int_equal(codec_decode(b, 4, 4, &pkt, &reason), 0);
	assert_int_equal(pkt.ack.packet_id, 1);
	assert_int_equal(codec_decode(b, 3, 4, &pkt, &reason), -EAGAIN);
	assert_int_equal(reason, 0);
	assert_int_equal(codec_decode(b, 1, 4, &pkt, &reason), -EAGAIN);
	assert_int_equal(codec_decode(b, 0, 4, &pkt, &reason), -EAGAIN);
	assert_int_equal(codec_decode(b, 6, 4, &pkt, &reason), -EBADMSG);
	assert_int_equal(reason, MQTT_RC_MALFORMED);
	assert_int_equal(codec_decode(fivebyte, sizeof(fivebyte), 4, &pkt, &reason), -EBADMSG);
	assert_int_equal(reason, MQTT_RC_MALFORMED);
	assert_int_equal(codec_decode(nonmin, sizeof(nonmin), 4, &pkt, &reason), 0);
	assert_int_equal(pkt.type, MQTT_PINGREQ);
	assert_int_equal(codec_decode(b, 4, 4, &pkt, NULL), 0); /* reason is optional */
	assert_int_equal(codec_decode(b, 6, 4, &pkt, NULL), -EBADMSG);
}

static void test_varint(void **state)
{
	static const struct {
		uint32_t v;
		size_t n;
		uint8_t b[4];
	} t[] = {
		{ 0, 1, { 0x00 } },
		{ 127, 1, { 0x7f } },
		{ 128, 2, { 0x80, 0x01 } },
		{ 16383, 2, { 0xff, 0x7f } },
		{ 16384, 3, { 0x80, 0x80, 0x01 } },
		{ 2097151, 3, { 0xff, 0xff, 0x7f } },
		{ 2097152, 4, { 0x80, 0x80, 0x80, 0x01 } },
		{ MQTT_MAX_REMAINING, 4, { 0xff, 0xff, 0xff, 0x7f } },
	};
	uint8_t b[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(codec_varint_size(t[i].v), t[i].n);
		memset(b, 0xee, sizeof(b));
		assert_int_equal(codec_varint_put(b, t[i].v), t[i].n);
		assert_memory_equal(b, t[i].b, t[i].n);
		assert_int_equal(b[t[i].n], 0xee);
	}
	memset(b, 0xee, sizeof(b));
	assert_int_equal(codec_varint_size(MQTT_MAX_REMAINING + 1), 0);
	assert_int_equal(codec_varint_put(b, MQTT_MAX_REMAINING + 1), 0);
	assert_int_equal(codec_varint_put(b, UINT32_MAX), 0);
	assert_int_equal(b[0], 0xee);
}

/* ---- UTF-8 ---- */

struct utf8_vec {
	const char *name;
	const uint8_t *s;
	size_t len;
	bool ok;
};

static const struct utf8_vec utf8_vecs[] = {
	{ "ascii", S('h', 'e', 'l', 'l', 'o'), true },
	{ "U+0001", S(0x01), true },
	{ "U+007F", S(0x7f), true },
	{ "U+0080", S(0xc2, 0x80), true },
	{ "U+07FF", S(0xdf, 0xbf), true },
	{ "U+0800", S(0xe0, 0xa0, 0x80), true },
	{ "U+D7FF", S(0xed, 0x9f, 0xbf), true },
	{ "U+E000", S(0xee, 0x80, 0x80), true },
	{ "U+FEFF BOM", S(0xef, 0xbb, 0xbf), true },
	{ "U+FFFF", S(0xef, 0xbf, 0xbf), true },
	{ "U+10000", S(0xf0, 0x90, 0x80, 0x80), true },
	{ "U+40000", S(0xf1, 0x80, 0x80, 0x80), true },
	{ "U+FFFFF", S(0xf3, 0xbf, 0xbf, 0xbf), true },
	{ "U+10FFFF", S(0xf4, 0x8f, 0xbf, 0xbf), true },
	{ "mixed", S('a', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 'z'), true },
	{ "U+0000", S(0x00), false },
	{ "U+0000 inside", S('a', 0x00, 'b'), false },
	{ "lone continuation", S(0x80), false },
	{ "lone continuation bf", S(0xbf), false },
	{ "overlong 2 c0", S(0xc0, 0x80), false },
	{ "overlong 2 c1", S(0xc1, 0xbf), false },
	{ "overlong NUL c0 80 inside", S('a', 0xc0, 0x80, 'b'), false },
	{ "truncated 2", S(0xc2), false },
	{ "bad continuation 2", S(0xc2, 0x41), false },
	{ "bad continuation c0", S(0xc2, 0xc0), false },
	{ "overlong 3 e0 80", S(0xe0, 0x80, 0x80), false },
	{ "overlong 3 e0 9f", S(0xe0, 0x9f, 0xbf), false },
	{ "truncated 3", S(0xe0, 0xa0), false },
	{ "truncated 3 one byte", S(0xe2), false },
	{ "bad continuation 3", S(0xe2, 0x82, 0x41), false },
	{ "surrogate D800", S(0xed, 0xa0, 0x80), false },
	{ "surrogate DB7F", S(0xed, 0xad, 0xbf), false },
	{ "surrogate DFFF", S(0xed, 0xbf, 0xbf), false },
	{ "surrogate pair", S(0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9), false },
	{ "overlong 4 f0 80", S(0xf0, 0x80, 0x80, 0x80), false },
	{ "overlong 4 f0 8f", S(0xf0, 0x8f, 0xbf, 0xbf), false },
	{ "above U+10FFFF", S(0xf4, 0x90, 0x80, 0x80), false },
	{ "f5", S(0xf5, 0x80, 0x80, 0x80), false },
	{ "f8 5-byte", S(0xf8, 0x88, 0x80, 0x80, 0x80), false },
	{ "fc 6-byte", S(0xfc, 0x84, 0x80, 0x80, 0x80, 0x80), false },
	{ "fe", S(0xfe), false },
	{ "ff", S(0xff), false },
	{ "truncated 4", S(0xf0, 0x90, 0x80), false },
	{ "bad continuation 4", S(0xf0, 0x90, 0x80, 0x41), false },
	{ "bad continuation 4 pos 2", S(0xf0, 0x90, 0x41, 0x80), false },
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
	static const uint8_t bad[] = { 0x00, 0x80, 0xff, 0xc0 };
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
		0x10, 35, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xce, 0, 10, 0, 3, 'c', 'i', 'd', 0, 3,
		'w', '/', 't', 0, 3, 'b', 'y', 'e', 0, 4, 'u', 's', 'e', 'r', 0, 2, 'p', 'w',
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
		0, 4, 'M', 'Q', 'T', 'T', 5, 0xc6, 0, 10,
		/* properties */
		27, 0x11, 0, 0, 0, 10, 0x21, 0, 20, 0x22, 0, 5, 0x27, 0, 0, 4, 0, 0x17, 0, 0x19, 1,
		0x26, 0, 1, 'k', 0, 1, 'v',
		/* client id */
		0, 1, 'c',
		/* will properties */
		15, 0x18, 0, 0, 0, 30, 0x01, 1, 0x03, 0, 1, 't', 0x09, 0, 1, 0xff,
		/* will topic, payload, user, password */
		0, 1, 'w', 0, 1, 'x', 0, 1, 'u', 0, 1, 'p',
	};
	struct mqtt_packet pkt;
	uint8_t reason;
	struct mqtt_connect *c = &pkt.connect;

	(void)state;
	assert_int_equal(dec(4, 0x10, body, sizeof(body), &pkt, &reason), 0);
	assert_int_equal(c->version, 5);
	assert_true(c->clean && c->will && c->has_username && c->has_password);
	assert_int_equal(c->will_qos, 0);
	assert_int_equal(c->props.seen,
			 MQTT_PROP_BIT(0x11) | MQTT_PROP_BIT(0x21) | MQTT_PROP_BIT(0x22) |
				 MQTT_PROP_BIT(0x27) | MQTT_PROP_BIT(0x17) | MQTT_PROP_BIT(0x19) |
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

static void test_publish_fields(void **state)
{
	static const uint8_t body[] = {
		0, 3, 'a', '/', 'b', 0x12, 0x34,
		/* properties: 2+5+4+4+4+2+3+7+3 = 34 */
		34, 0x01, 1, 0x02, 0, 0, 0, 60, 0x03, 0, 1, 'j', 0x08, 0, 1, 'r', 0x09, 0, 1, 0x00,
		0x0b, 5, 0x0b, 0x80, 0x01, 0x26, 0, 1, 'k', 0, 1, 'v', 0x23, 0, 7,
		/* payload */
		'h', 'i',
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
	assert_int_equal(m->props.seen,
			 MQTT_PROP_BIT(1) | MQTT_PROP_BIT(2) | MQTT_PROP_BIT(3) | MQTT_PROP_BIT(8) |
				 MQTT_PROP_BIT(9) | MQTT_PROP_BIT(0x0b) | MQTT_PROP_BIT(0x26) |
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
		1, 0,
		/* 5+5+3+3+3+2+2+2+2+2+4+4+4+4+4+5 = 54 */
		54, 0x11, 0, 0, 1, 0, 0x27, 0, 1, 0, 0, 0x21, 0, 9, 0x22, 0, 8, 0x13, 0, 30,
		0x24, 1, 0x25, 0, 0x28, 0, 0x29, 1, 0x2a, 0, 0x12, 0, 1, 'a', 0x1a, 0, 1, 'i',
		0x1c, 0, 1, 's', 0x1f, 0, 1, 'r', 0x15, 0, 1, 'm', 0x16, 0, 2, 'd', 'd',
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
	static const uint8_t sub[] = { 0x82, 0x0e, 0x00, 0x0a, 0, 3, 'a', '/', 'b', 1, 0,
				       3,    'c',  '/',  'd',  2 };
	static const uint8_t suback[] = { 0x90, 0x05, 0x00, 0x0a, 0x00, 0x02, 0x80 };
	static const uint8_t unsub[] = { 0xa2, 0x0c, 0x00, 0x0a, 0, 3, 'a', '/', 'b', 0, 3,
					 'c',  '/',  'd' };
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
		struct mqtt_sub_entry es[2] = { { { (const uint8_t *)"a/b", 3 }, 1 },
						{ { (const uint8_t *)"c/d", 3 }, 2 } };
		struct mqtt_buf fs[2] = { { (const uint8_t *)"a/b", 3 },
					  { (const uint8_t *)"c/d", 3 } };
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
	assert_int_equal(dec(5, 0x82,
			     S(0, 7, 3, 0x0b, 0xff, 0x7f, 0, 1, 'a', 0x2e, 0, 1, 'b', 0x11, 0, 1,
			       'c', 0x08),
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
	cur.p = (const uint8_t *)"\x00\x05" "ab";
	cur.len = 4;
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 0);
	assert_int_equal(cur.len, 0);
	cur.p = (const uint8_t *)"\x00\x01" "a";
	cur.len = 3;
	assert_int_equal(codec_sub_next(&cur, 5, false, &e), 0); /* no options byte */
	cur.p = (const uint8_t *)"\x00\x01" "a";
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
	assert_int_equal(dec(5, 0xe0, S(0x9c, 9, 0x11, 0, 0, 0, 5, 0x1c, 0, 1, 's'), &pkt,
			     &reason),
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

/* ---- v5 properties, exhaustively ---- */

/* MQTT 5.0 table 2.2.2.2 written per packet (index 0: Will Properties); 0 ends a list. */
static const uint8_t spec_props[16][20] = {
	[0] = { 0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26 },
	[MQTT_CONNECT] = { 0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27 },
	[MQTT_CONNACK] = { 0x11, 0x12, 0x13, 0x15, 0x16, 0x1a, 0x1c, 0x1f, 0x21, 0x22, 0x24, 0x25,
			   0x26, 0x27, 0x28, 0x29, 0x2a },
	[MQTT_PUBLISH] = { 0x01, 0x02, 0x03, 0x08, 0x09, 0x0b, 0x23, 0x26 },
	[MQTT_PUBACK] = { 0x1f, 0x26 },
	[MQTT_PUBREC] = { 0x1f, 0x26 },
	[MQTT_PUBREL] = { 0x1f, 0x26 },
	[MQTT_PUBCOMP] = { 0x1f, 0x26 },
	[MQTT_SUBSCRIBE] = { 0x0b, 0x26 },
	[MQTT_SUBACK] = { 0x1f, 0x26 },
	[MQTT_UNSUBSCRIBE] = { 0x26 },
	[MQTT_UNSUBACK] = { 0x1f, 0x26 },
	[MQTT_DISCONNECT] = { 0x11, 0x1c, 0x1f, 0x26 },
	[MQTT_AUTH] = { 0x15, 0x16, 0x1f, 0x26 },
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
	case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2a:
		return T_BYTE;
	case 0x13: case 0x21: case 0x22: case 0x23:
		return T_U16;
	case 0x02: case 0x11: case 0x18: case 0x27:
		return T_U32;
	case 0x0b:
		return T_VAR;
	case 0x03: case 0x08: case 0x12: case 0x15: case 0x1a: case 0x1c: case 0x1f:
		return T_STR;
	case 0x09: case 0x16:
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
	case T_BYTE: bb_u8(b, 1); break;
	case T_U16: bb_u16(b, 10); break;
	case T_U32: bb_u16(b, 0); bb_u16(b, 10); break;
	case T_VAR: bb_varint(b, 300); break;
	case T_STR: bb_str(b, "a/b"); break;
	case T_BIN: bb_u16(b, 2); bb_u8(b, 0); bb_u8(b, 0xff); break;
	case T_PAIR: bb_str(b, "k"); bb_str(b, "v"); break;
	default: bb_u8(b, 0); break;
	}
}

/*
 * A minimal valid v5 packet of context `ctx` (0: CONNECT with will properties) carrying the
 * property block `props` (without its length) in `out`. Returns the first byte.
 */
static uint8_t build_v5(unsigned int ctx, const struct bb *props, struct bb *o)
{
	static const uint8_t b0[16] = { 0x10, 0x10, 0x20, 0x30, 0x40, 0x50, 0x62, 0x70,
					0x82, 0x90, 0xa2, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0 };

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
	case 0: return &pkt->connect.will_props;
	case MQTT_CONNECT: return &pkt->connect.props;
	case MQTT_CONNACK: return &pkt->connack.props;
	case MQTT_PUBLISH: return &pkt->publish.props;
	case MQTT_SUBSCRIBE: case MQTT_UNSUBSCRIBE: return &pkt->subscribe.props;
	case MQTT_SUBACK: case MQTT_UNSUBACK: return &pkt->suback.props;
	case MQTT_DISCONNECT: case MQTT_AUTH: return &pkt->disconnect.props;
	default: return &pkt->ack.props;
	}
}

/* Every identifier 0..255 in every packet that has properties: allowed iff the spec says. */
static void test_prop_matrix(void **state)
{
	unsigned int ctx, id;

	(void)state;
	for (ctx = 0; ctx < 16; ctx++) {
		struct mqtt_packet pkt;
		struct bb p = { .n = 0 };
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
			struct bb p = { .n = 0 };
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
	{ "payload format 0", MQTT_PUBLISH, S(0x01, 0), OK },
	{ "payload format 2", MQTT_PUBLISH, S(0x01, 2), PROTO },
	{ "will payload format 2", 0, S(0x01, 2), PROTO },
	{ "request problem info 0", MQTT_CONNECT, S(0x17, 0), OK },
	{ "request problem info 2", MQTT_CONNECT, S(0x17, 2), PROTO },
	{ "request response info 2", MQTT_CONNECT, S(0x19, 2), PROTO },
	{ "max qos 0", MQTT_CONNACK, S(0x24, 0), OK },
	{ "max qos 2", MQTT_CONNACK, S(0x24, 2), PROTO },
	{ "retain available 2", MQTT_CONNACK, S(0x25, 2), PROTO },
	{ "wildcard available 2", MQTT_CONNACK, S(0x28, 2), PROTO },
	{ "sub id available 0xff", MQTT_CONNACK, S(0x29, 0xff), PROTO },
	{ "shared available 2", MQTT_CONNACK, S(0x2a, 2), PROTO },
	{ "receive max 0", MQTT_CONNECT, S(0x21, 0, 0), PROTO },
	{ "connack receive max 0", MQTT_CONNACK, S(0x21, 0, 0), PROTO },
	{ "receive max 1", MQTT_CONNECT, S(0x21, 0, 1), OK },
	{ "max packet size 0", MQTT_CONNECT, S(0x27, 0, 0, 0, 0), PROTO },
	{ "connack max packet size 0", MQTT_CONNACK, S(0x27, 0, 0, 0, 0), PROTO },
	{ "topic alias max 0", MQTT_CONNECT, S(0x22, 0, 0), OK },
	{ "session expiry 0", MQTT_CONNECT, S(0x11, 0, 0, 0, 0), OK },
	{ "server keepalive 0", MQTT_CONNACK, S(0x13, 0, 0), OK },
	{ "sub id 0 in SUBSCRIBE", MQTT_SUBSCRIBE, S(0x0b, 0), PROTO },
	{ "sub id max", MQTT_SUBSCRIBE, S(0x0b, 0xff, 0xff, 0xff, 0x7f), OK },
	{ "sub id 5 bytes", MQTT_SUBSCRIBE, S(0x0b, 0xff, 0xff, 0xff, 0xff, 0x7f), MAL },
	{ "topic alias 0", MQTT_PUBLISH, S(0x23, 0, 0), ALIAS },
	{ "topic alias 65535", MQTT_PUBLISH, S(0x23, 0xff, 0xff), OK },
	{ "response topic +", MQTT_PUBLISH, S(0x08, 0, 3, 'a', '/', '+'), PROTO },
	{ "will response topic empty", 0, S(0x08, 0, 0), PROTO },
	{ "will response topic U+0000", 0, S(0x08, 0, 1, 0), MAL },
	{ "correlation data binary", MQTT_PUBLISH, S(0x09, 0, 2, 0xff, 0x00), OK },
	{ "auth data without method", MQTT_CONNECT, S(0x16, 0, 1, 'd'), PROTO },
	{ "connack auth data without method", MQTT_CONNACK, S(0x16, 0, 0), PROTO },
	{ "auth method then data", MQTT_CONNECT, S(0x16, 0, 0, 0x15, 0, 1, 'm'), OK },
	{ "user property empty strings", MQTT_PUBACK, S(0x26, 0, 0, 0, 0), OK },
	{ "reason string empty", MQTT_PUBACK, S(0x1f, 0, 0), OK },
	{ "id only", MQTT_PUBACK, S(0x1f), MAL },
	{ "string length cut", MQTT_PUBACK, S(0x1f, 0), MAL },
};

static void test_prop_values(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(value_vecs) / sizeof(value_vecs[0]); i++) {
		const struct value_vec *v = &value_vecs[i];
		struct mqtt_packet pkt;
		struct bb p = { .n = 0 };
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
	static const uint8_t pub[] = { 0x23, 0, 7, 0x0b, 1, 0x0b, 2, 0x26, 0, 1, 'k', 0, 0 };
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
	assert_int_equal(codec_props_parse((const uint8_t *)"\x18\x00\x00\x00\x05", 5, 0, &pr,
					   &reason),
			 0);
	assert_int_equal(pr.will_delay, 5);
	assert_int_equal(codec_props_parse((const uint8_t *)"\x18\x00\x00\x00\x05", 4, 0, &pr,
					   &reason),
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

		assert_int_equal(dec(5, 0x30, S(0, 1, 't', 5, 0x0b, 1, 0x0b, 0x80, 0x01), &pkt,
				     &reason),
				 0);
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
			    "\x1f\x00\x03" "abc"
			    "\x26\x00\x01" "a\x00\x00"
			    "\x0b\x80\x01"
			    "\x01\x01",
			    17);

	/* An unencodable varint. */
	codec_props_init(&pb, big, sizeof(big));
	codec_props_varint(&pb, MQTT_PROP_SUBSCRIPTION_ID, MQTT_MAX_REMAINING + 1);
	assert_true(pb.overflow);
}

/* ---- encoders: spec bytes, sizing, round trips ---- */

static void test_encode_bytes(void **state)
{
	uint8_t b[64];
	struct mqtt_connect c = { 0 };

	(void)state;
	/* CONNECT, v3.1.1, clean, keep alive 60, id "c". */
	c.version = 4;
	c.clean = true;
	c.keepalive = 60;
	c.client_id.p = (const uint8_t *)"c";
	c.client_id.len = 1;
	assert_int_equal(codec_encode_connect(b, sizeof(b), &c, NULL, 0, NULL, 0), 15);
	assert_memory_equal(b, "\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01" "c", 15);
	c.version = 3;
	assert_int_equal(codec_encode_connect(b, sizeof(b), &c, NULL, 0, NULL, 0), 17);
	assert_memory_equal(b, "\x10\x0f\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01" "c", 17);
	c.version = 5;
	assert_int_equal(codec_encode_connect(b, sizeof(b), &c, NULL, 0, NULL, 0), 16);
	assert_memory_equal(b, "\x10\x0e\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x01" "c", 16);

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
	assert_memory_equal(b, "\x32\x08\x00\x03" "a/b\x00\x0a" "x", 10);
	assert_int_equal(codec_encode_publish(b, sizeof(b), 5, 0, false, true,
					      (const uint8_t *)"t", 1, 99, NULL, 0, NULL, 0),
			 6);
	assert_memory_equal(b, "\x31\x04\x00\x01t\x00", 6);

	/* Acks: v3 always 4 bytes; v5 short forms. */
	assert_int_equal(codec_encode_ack(b, sizeof(b), 4, MQTT_PUBREL, 7, 0x92, NULL, 0), 4);
	assert_memory_equal(b, "\x62\x02\x00\x07", 4);
	assert_int_equal(codec_encode_ack(b, sizeof(b), 5, MQTT_PUBACK, 7, 0, NULL, 0), 4);
	assert_memory_equal(b, "\x40\x02\x00\x07", 4);
	assert_int_equal(codec_encode_ack(b, sizeof(b), 5, MQTT_PUBREC, 7, 0x10, NULL, 0), 5);
	assert_memory_equal(b, "\x50\x03\x00\x07\x10", 5);
	assert_int_equal(codec_encode_ack(b, sizeof(b), 5, MQTT_PUBCOMP, 7, 0, (const uint8_t *)
					  "\x1f\x00\x00", 3), 9);
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
	static const uint8_t props[] = { 0x26, 0, 1, 'k', 0, 0 };
	static const struct mqtt_sub_entry e = { { (const uint8_t *)"a/b", 3 }, 1 };
	static const struct mqtt_buf f = { (const uint8_t *)"a/b", 3 };
	struct mqtt_connect c = { .version = 5, .will = true, .client_id = f, .will_topic = f };

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
	uint8_t b[300], props[] = { 0x1f, 0, 1, 'x' };
	struct mqtt_sub_entry e = { { (const uint8_t *)"a/b", 3 }, 1 };
	struct mqtt_buf f = { (const uint8_t *)"a/b", 3 };
	struct mqtt_connect c = { .version = 5, .client_id = f };
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
	assert_int_equal(codec_encode_publish(NULL, 0, 4, 0, 0, 0, f.p, 3, 0, NULL, 0, f.p,
					      MQTT_MAX_REMAINING),
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
	static const uint8_t props[] = { 0x23, 0, 5 };

	return codec_encode_publish(b, cap, ver, qos, false, false, (const uint8_t *)"a/b", 3, 42,
				    props, sizeof(props), payload, len);
}

static void test_encode_publish_header_only(void **state)
{
	static const uint8_t payload[200] = { 1, 2, 3 };
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
	static const uint8_t pw[] = { 0, 0xff, 'p' };
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
			struct mqtt_connect c = { 0 }, *d;
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
	static const uint8_t props[] = { 0x01, 1, 0x02, 0, 0, 0, 9, 0x23, 0, 3 };
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
	static const uint32_t sizes[] = { 0, 1, 100, 127 - 7, 127 - 6, 16384, 2100000 };
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
	static const uint8_t rs[] = { 0x1f, 0, 2, 'o', 'k' };
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
		{ { (const uint8_t *)"a/+/c", 5 }, 0, false, false, 0 },
		{ { (const uint8_t *)"#", 1 }, 1, true, false, 1 },
		{ { (const uint8_t *)"$share/g/x/#", 12 }, 2, false, true, 2 },
		{ { (const uint8_t *)"\xf0\x9f\x98\x80/z", 6 }, 1, true, true, 0 },
	};
	struct mqtt_buf filters[4];
	uint8_t b[256], props[] = { 0x0b, 0x2a };
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
	static const uint8_t types[] = { MQTT_PINGREQ, MQTT_PINGRESP, MQTT_DISCONNECT };
	static const uint8_t codes[] = { 0x00, 0x04, 0x8e, 0xa2 };
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
		static const uint8_t auth_codes[] = { 0x00, 0x18, 0x19 };
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
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_frame_vectors),
		cmocka_unit_test(test_frame_every_split),
		cmocka_unit_test(test_frame_max_size),
		cmocka_unit_test(test_decode_length_mismatch),
		cmocka_unit_test(test_utf8_vectors),
		cmocka_unit_test(test_utf8_positions),
		cmocka_unit_test(test_topic_wildcard_positions),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_spec_connect_v311),
		cmocka_unit_test(test_spec_connect_v5),
		cmocka_unit_test(test_connect_errors_fill_fields),
		cmocka_unit_test(test_publish_fields),
		cmocka_unit_test(test_connack_fields),
		cmocka_unit_test(test_ack_fields),
		cmocka_unit_test(test_spec_subscribe),
		cmocka_unit_test(test_subscribe_v5_fields),
		cmocka_unit_test(test_disconnect_auth_fields),
		cmocka_unit_test(test_prop_matrix),
		cmocka_unit_test(test_prop_dup_truncate_utf8),
		cmocka_unit_test(test_prop_values),
		cmocka_unit_test(test_props_parse),
		cmocka_unit_test(test_prop_next),
		cmocka_unit_test(test_props_builder),
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
