// SPDX-License-Identifier: MIT
/*
 * ws_frame unit tests: the RFC 6455 vectors (handshake key, the masked "Hello" of 5.7), every
 * length form, masking, fragmentation with control frames in between, every refusal with its
 * close code, input split at every byte boundary, the unmasking against a naive loop, the
 * server frame encoders, and the handshake request checks and answers.
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

#include "ws_frame.h"

static const uint8_t key4[4] = {0x37, 0xfa, 0x21, 0x3d};

/* A client frame: b0 (FIN, RSV, opcode) as given, masked with key4 if masked, the shortest
 * length form unless lenform forces one (7, 16, 64). Returns its size. */
static size_t mk(uint8_t *out, uint8_t b0, bool masked, int lenform, const void *p, size_t len)
{
	size_t h = 2;

	out[0] = b0;
	if (lenform == 7 || (!lenform && len < 126)) {
		out[1] = (uint8_t)len;
	} else if (lenform == 16 || (!lenform && len <= 0xFFFF)) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	if (masked) {
		out[1] |= 0x80;
		memcpy(out + h, key4, 4);
		h += 4;
	}
	for (size_t i = 0; i < len; i++)
		out[h + i] = ((const uint8_t *)p)[i] ^ (masked ? key4[i & 3] : 0);
	return h + len;
}

static void rx_init(struct ws_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->max_payload = 1 << 20;
}

/* Decode all of in at once; controls counted and the last one's opcode kept. */
struct result {
	int ret;
	size_t out_len;
	int controls;
	uint8_t last_op;
	uint8_t ctl[WS_CTL_MAX];
	size_t ctl_len;
};

static struct result decode_chunks(struct ws_rx *rx, const uint8_t *in, size_t len, uint8_t *out,
				   size_t chunk)
{
	struct result r = {0};
	size_t pos = 0;

	while (pos < len) {
		size_t end = chunk && pos + chunk < len ? pos + chunk : len;

		while (pos < end) {
			size_t used, prod;

			r.ret =
			    ws_rx_decode(rx, in + pos, end - pos, out + r.out_len, &used, &prod);
			pos += used;
			r.out_len += prod;
			if (r.ret < 0)
				return r;
			if (r.ret == WS_RX_CONTROL) {
				r.controls++;
				r.last_op = rx->op;
				memcpy(r.ctl, rx->ctl, rx->ctl_len);
				r.ctl_len = rx->ctl_len;
			} else {
				assert_int_equal(pos, end);
			}
		}
	}
	return r;
}

static void test_rfc_hello(void **state)
{
	/* RFC 6455 5.7, "A single-frame masked text message", as a binary frame */
	uint8_t in[] = {0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	uint8_t out[16];
	struct ws_rx rx;
	struct result r;

	(void)state;
	rx_init(&rx);
	r = decode_chunks(&rx, in, sizeof(in), out, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.out_len, 5);
	assert_memory_equal(out, "Hello", 5);
	/* the same bytes as a text frame: refused with 1003 [MQTT-6.0.0-1] */
	in[0] = 0x81;
	rx_init(&rx);
	r = decode_chunks(&rx, in, sizeof(in), out, 0);
	assert_int_equal(r.ret, -ENOTSUP);
	assert_int_equal(rx.close_code, WS_CLOSE_UNSUPPORTED);
}

/* Every length form, payload decoded whole and in place. */
static void test_lengths(void **state)
{
	static const size_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 70000};
	static const int forms[] = {0, 16, 64};
	uint8_t *p = malloc(70000), *buf = malloc(70000 + 14);

	(void)state;
	for (size_t i = 0; i < 70000; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	for (size_t f = 0; f < 3; f++) {
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			struct ws_rx rx;
			struct result r;
			size_t n;

			if (forms[f] == 16 && lens[i] > 0xFFFF)
				continue;
			n = mk(buf, 0x82, true, forms[f], p, lens[i]);
			rx_init(&rx);
			r = decode_chunks(&rx, buf, n, buf, 0); /* in place */
			assert_int_equal(r.ret, 0);
			assert_int_equal(r.out_len, lens[i]);
			assert_memory_equal(buf, p, lens[i]);
			assert_false(rx.in_frame);
		}
	}
	free(p);
	free(buf);
}

/* A fragmented message with a ping and a pong between its frames, at every split point and
 * byte by byte: the same output and the same controls every time. */
static void test_fragments_and_splits(void **state)
{
	uint8_t in[512], out[512];
	size_t n = 0;

	(void)state;
	n += mk(in + n, 0x02, true, 0, "MQTT-", 5);   /* binary, not FIN */
	n += mk(in + n, 0x89, true, 0, "ping!", 5);   /* ping in between */
	n += mk(in + n, 0x00, true, 16, "bytes ", 6); /* continuation, 16-bit len */
	n += mk(in + n, 0x8A, true, 0, "", 0);	      /* pong: ignored by the owner */
	n += mk(in + n, 0x80, true, 64, "stream", 6); /* continuation FIN, 64-bit */
	n += mk(in + n, 0x82, true, 0, "!", 1);	      /* a new message */
	n += mk(in + n, 0x88, true, 0,
		"\x03\xe8"
		"bye",
		5); /* close 1000 "bye" */
	for (size_t chunk = 0; chunk <= n; chunk++) {
		struct ws_rx rx;
		struct result r;

		rx_init(&rx);
		r = decode_chunks(&rx, in, n, out, chunk);
		assert_int_equal(r.ret, WS_RX_CONTROL);
		assert_int_equal(r.controls, 3);
		assert_int_equal(r.last_op, WS_OP_CLOSE);
		assert_int_equal(r.ctl_len, 5);
		assert_memory_equal(r.ctl,
				    "\x03\xe8"
				    "bye",
				    5);
		assert_int_equal(r.out_len, 18);
		assert_memory_equal(out, "MQTT-bytes stream!", 18);
	}
	/* two chunks split at every boundary */
	for (size_t cut = 1; cut < n; cut++) {
		struct ws_rx rx;
		size_t used, prod, o = 0, pos = 0;
		int controls = 0, ret;

		rx_init(&rx);
		while (pos < n) {
			size_t end = pos < cut ? cut : n;

			ret = ws_rx_decode(&rx, in + pos, end - pos, out + o, &used, &prod);
			assert_true(ret >= 0);
			controls += ret == WS_RX_CONTROL;
			pos += used;
			o += prod;
		}
		assert_int_equal(controls, 3);
		assert_int_equal(o, 18);
		assert_memory_equal(out, "MQTT-bytes stream!", 18);
	}
}

struct refusal {
	const char *what;
	uint8_t b0;
	bool masked;
	size_t len;
	const char *payload; /* NULL: zeros */
	uint16_t code;
	int err;
	bool in_message; /* a fragmented message is open before this frame */
};

static void test_refusals(void **state)
{
	static const struct refusal t[] = {
	    {"text", 0x81, true, 3, NULL, WS_CLOSE_UNSUPPORTED, -ENOTSUP, false},
	    {"unmasked", 0x82, false, 3, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"RSV1", 0xC2, true, 3, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"RSV2", 0xA2, true, 3, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"RSV3", 0x92, true, 3, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"opcode 3", 0x83, true, 0, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"opcode 7", 0x87, true, 0, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"opcode 0xB", 0x8B, true, 0, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"opcode 0xF", 0x8F, true, 0, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"ping 126", 0x89, true, 126, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"ping fragmented", 0x09, true, 1, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"close fragmented", 0x08, true, 0, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"continuation first", 0x80, true, 1, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"binary inside", 0x82, true, 1, NULL, WS_CLOSE_PROTOCOL, -EPROTO, true},
	    {"text inside", 0x81, true, 1, NULL, WS_CLOSE_PROTOCOL, -EPROTO, true},
	    {"too big", 0x82, true, 1001, NULL, WS_CLOSE_TOO_BIG, -EMSGSIZE, false},
	    {"close len 1", 0x88, true, 1, NULL, WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"close 999", 0x88, true, 2, "\x03\xe7", WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"close 1005", 0x88, true, 2, "\x03\xed", WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"close 1006", 0x88, true, 2, "\x03\xee", WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"close 2000", 0x88, true, 2, "\x07\xd0", WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"close 5000", 0x88, true, 2, "\x13\x88", WS_CLOSE_PROTOCOL, -EPROTO, false},
	    {"close bad utf-8", 0x88, true, 4, "\x03\xe8\xc0\xaf", WS_CLOSE_BAD_DATA, -EILSEQ,
	     false},
	    {"close surrogate", 0x88, true, 5, "\x03\xe8\xed\xa0\x80", WS_CLOSE_BAD_DATA, -EILSEQ,
	     false},
	};
	uint8_t in[2048], out[2048], zeros[1100] = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ws_rx rx;
		struct result r;
		size_t n = 0;

		rx_init(&rx);
		rx.max_payload = 1000;
		if (t[i].in_message)
			n += mk(in, 0x02, true, 0, "a", 1);
		n += mk(in + n, t[i].b0, t[i].masked, 0,
			t[i].payload ? t[i].payload : (void *)zeros, t[i].len);
		r = decode_chunks(&rx, in, n, out, 0);
		if (r.ret != t[i].err || rx.close_code != t[i].code)
			fail_msg("%s: ret %d code %u", t[i].what, r.ret, rx.close_code);
		/* and the stream stays dead */
		{
			size_t used, prod;

			assert_int_equal(ws_rx_decode(&rx, in, n, out, &used, &prod), -EPROTO);
			assert_int_equal(used, 0);
		}
	}
	/* a 64-bit length with the top bit set */
	{
		uint8_t f[14] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
		struct ws_rx rx;
		struct result r;

		rx_init(&rx);
		r = decode_chunks(&rx, f, sizeof(f), out, 0);
		assert_int_equal(r.ret, -EPROTO);
		assert_int_equal(rx.close_code, WS_CLOSE_PROTOCOL);
	}
	/* limits that hold: max_payload exactly, a 125-byte ping, close without payload, a
	 * valid close with a UTF-8 reason, the registered codes 1011 and 4000 */
	{
		static const char *const ok_close[] = {"", "\x03\xf3", "\x0f\xa0",
						       "\x03\xe8h\xc3\xa9"};
		static const size_t ok_len[] = {0, 2, 2, 5};
		struct ws_rx rx;
		struct result r;
		size_t n;

		rx_init(&rx);
		rx.max_payload = 1000;
		n = mk(in, 0x82, true, 0, zeros, 1000);
		r = decode_chunks(&rx, in, n, out, 0);
		assert_int_equal(r.ret, 0);
		assert_int_equal(r.out_len, 1000);
		n = mk(in, 0x89, true, 0, zeros, 125);
		r = decode_chunks(&rx, in, n, out, 0);
		assert_int_equal(r.ret, WS_RX_CONTROL);
		assert_int_equal(r.ctl_len, 125);
		for (size_t i = 0; i < 4; i++) {
			rx_init(&rx);
			n = mk(in, 0x88, true, 0, ok_close[i], ok_len[i]);
			r = decode_chunks(&rx, in, n, out, 0);
			assert_int_equal(r.ret, WS_RX_CONTROL);
			assert_int_equal(r.last_op, WS_OP_CLOSE);
			assert_int_equal(r.ctl_len, ok_len[i]);
		}
	}
}

static void test_unmask(void **state)
{
	uint8_t in[64], out[64], ref[64];
	const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 31 + 1);
	for (unsigned int off = 0; off < 4; off++) {
		for (size_t len = 0; len <= 40; len++) {
			for (size_t i = 0; i < len; i++)
				ref[i] = in[i] ^ key[(off + i) & 3];
			assert_int_equal(ws_unmask(out, in, len, key, off), (off + len) & 3);
			assert_memory_equal(out, ref, len);
			/* in place, and a second pass gives the input back */
			memcpy(out, in, len);
			ws_unmask(out, out, len, key, off);
			assert_memory_equal(out, ref, len);
			ws_unmask(out, out, len, key, off);
			assert_memory_equal(out, in, len);
		}
	}
}

static void test_encoders(void **state)
{
	uint8_t h[WS_SHDR_MAX], f[WS_CTL_FRAME];

	(void)state;
	assert_int_equal(ws_frame_hdr(h, WS_OP_BINARY, 0), 2);
	assert_memory_equal(h, "\x82\x00", 2);
	assert_int_equal(ws_frame_hdr(h, WS_OP_BINARY, 125), 2);
	assert_memory_equal(h, "\x82\x7d", 2);
	assert_int_equal(ws_frame_hdr(h, WS_OP_BINARY, 126), 4);
	assert_memory_equal(h, "\x82\x7e\x00\x7e", 4);
	assert_int_equal(ws_frame_hdr(h, WS_OP_BINARY, 65535), 4);
	assert_memory_equal(h, "\x82\x7e\xff\xff", 4);
	assert_int_equal(ws_frame_hdr(h, WS_OP_BINARY, 65536), 10);
	assert_memory_equal(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
	assert_int_equal(ws_frame_control(f, WS_OP_PONG, "Hello", 5), 7);
	assert_memory_equal(f, "\x8a\x05Hello", 7); /* RFC 6455 5.7: unmasked pong */
	assert_int_equal(ws_frame_close(f, 1002), 4);
	assert_memory_equal(f, "\x88\x02\x03\xea", 4);
	assert_int_equal(ws_frame_close(f, 0), 2);
	assert_memory_equal(f, "\x88\x00", 2);
}

/* from_server (a client's decoder: tests/bench): server frames are unmasked and decoded as
 * they are; a masked one is refused with 1002; the length forms and controls work alike. */
static void test_from_server(void **state)
{
	static uint8_t in[70016], out[70016], pay[70000];
	struct ws_rx rx;
	struct result r;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 7);
	n += mk(in + n, 0x02, false, 0, pay, 5);  /* a data frame, not final */
	n += mk(in + n, 0x89, false, 0, "hi", 2); /* a ping in between */
	n += mk(in + n, 0x80, false, 0, pay + 5, sizeof(pay) - 5);
	for (size_t chunk = 0; chunk <= 7; chunk += 7) {
		rx_init(&rx);
		rx.from_server = true;
		r = decode_chunks(&rx, in, n, out, chunk);
		assert_int_equal(r.ret, 0);
		assert_int_equal(r.out_len, sizeof(pay));
		assert_memory_equal(out, pay, sizeof(pay));
		assert_int_equal(r.controls, 1);
		assert_int_equal(r.last_op, WS_OP_PING);
		assert_memory_equal(r.ctl, "hi", 2);
	}
	rx_init(&rx);
	rx.from_server = true;
	n = mk(in, 0x82, true, 0, "Hello", 5);
	r = decode_chunks(&rx, in, n, out, 0);
	assert_int_equal(r.ret, -EPROTO);
	assert_int_equal(rx.close_code, WS_CLOSE_PROTOCOL);
}

/* ---- handshake ---- */

#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="

static const char rfc_req[] = "GET /mqtt HTTP/1.1\r\n"
			      "Host: server.example.com\r\n"
			      "Upgrade: websocket\r\n"
			      "Connection: Upgrade\r\n"
			      "Sec-WebSocket-Key: " RFC_KEY "\r\n"
			      "Origin: http://example.com\r\n"
			      "Sec-WebSocket-Protocol: mqtt\r\n"
			      "Sec-WebSocket-Version: 13\r\n"
			      "\r\n";

static void test_accept_vector(void **state)
{
	char acc[29];

	(void)state;
	assert_int_equal(ws_hs_accept(RFC_KEY, strlen(RFC_KEY), acc), 0);
	assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_handshake_ok(void **state)
{
	struct ws_hs_req req;
	char resp[256], buf[sizeof(rfc_req) + 8];
	int n;

	(void)state;
	/* incomplete at every length short of the blank line */
	for (size_t i = 0; i < sizeof(rfc_req) - 1; i++)
		assert_int_equal(ws_hs_parse(rfc_req, i, &req), -EAGAIN);
	/* frame bytes after the head are not part of it */
	memcpy(buf, rfc_req, sizeof(rfc_req) - 1);
	memcpy(buf + sizeof(rfc_req) - 1, "\x82\x80", 2);
	assert_int_equal(ws_hs_parse(buf, sizeof(rfc_req) + 1, &req), (int)sizeof(rfc_req) - 1);
	assert_string_equal(req.proto, "mqtt");
	assert_int_equal(req.key_len, strlen(RFC_KEY));
	assert_int_equal(ws_hs_check(&req, NULL), 101);
	n = ws_hs_response(&req, 101, resp, sizeof(resp));
	assert_true(n > 0);
	resp[n] = '\0';
	assert_string_equal(resp, "HTTP/1.1 101 Switching Protocols\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
				  "Sec-WebSocket-Protocol: mqtt\r\n\r\n");
	assert_int_equal(ws_hs_response(&req, 101, resp, 40), -ENOSPC);
}

struct hs_case {
	const char *what;
	const char *fields; /* after the request line, before the blank line */
	const char *line;   /* request line; NULL: GET / HTTP/1.1 */
	int status;	    /* 0: parse fails (-EBADMSG) */
	const char *proto;
};

#define F_HOST	  "Host: h\r\n"
#define F_UP	  "Upgrade: websocket\r\n"
#define F_CONN	  "Connection: Upgrade\r\n"
#define F_KEY	  "Sec-WebSocket-Key: " RFC_KEY "\r\n"
#define F_VER	  "Sec-WebSocket-Version: 13\r\n"
#define F_ALL	  F_HOST F_UP F_CONN F_KEY F_VER
#define F_NOORIG  F_ALL
#define F_ORIG_OK F_ALL "Origin: https://Dash.Example\r\n"

static void test_handshake_cases(void **state)
{
	static const struct hs_case t[] = {
	    {"minimal", F_ALL, NULL, 101, NULL},
	    {"lists and case",
	     "host: h\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
	     "SEC-WEBSOCKET-KEY:" RFC_KEY "  \r\nsec-websocket-version:  13\r\n",
	     NULL, 101, NULL},
	    {"mqtt among others", F_ALL "Sec-WebSocket-Protocol: chat, mqtt\r\n", NULL, 101,
	     "mqtt"},
	    {"mqtt on a second line",
	     F_ALL "Sec-WebSocket-Protocol: chat\r\n"
		   "Sec-WebSocket-Protocol: mqtt\r\n",
	     NULL, 101, "mqtt"},
	    {"mqtt preferred", F_ALL "Sec-WebSocket-Protocol: mqttv3.1, mqtt\r\n", NULL, 101,
	     "mqtt"},
	    {"mqttv3.1", F_ALL "Sec-WebSocket-Protocol: mqttv3.1\r\n", NULL, 101, "mqttv3.1"},
	    {"MQTT is not mqtt", F_ALL "Sec-WebSocket-Protocol: MQTT, mqttx\r\n", NULL, 101, NULL},
	    {"HTTP/1.2", F_ALL, "GET / HTTP/1.2", 101, NULL},
	    {"POST", F_ALL, "POST / HTTP/1.1", 400, NULL},
	    {"HTTP/1.0", F_ALL, "GET / HTTP/1.0", 400, NULL},
	    {"HTTP/2", F_ALL, "GET / HTTP/2.0", 0, NULL},
	    {"no target", F_ALL, "GET  HTTP/1.1", 0, NULL},
	    {"empty target", F_ALL, "GET  / HTTP/1.1", 0, NULL}, /* http_parse: malformed */
	    {"no host", F_UP F_CONN F_KEY F_VER, NULL, 400, NULL},
	    {"no upgrade", F_HOST F_CONN F_KEY F_VER, NULL, 400, NULL},
	    {"upgrade h2c", F_HOST "Upgrade: h2c\r\n" F_CONN F_KEY F_VER, NULL, 400, NULL},
	    {"no connection", F_HOST F_UP F_KEY F_VER, NULL, 400, NULL},
	    {"connection close", F_HOST F_UP "Connection: close\r\n" F_KEY F_VER, NULL, 400, NULL},
	    {"no key", F_HOST F_UP F_CONN F_VER, NULL, 400, NULL},
	    {"short key", F_HOST F_UP F_CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\n" F_VER, NULL,
	     400, NULL},
	    {"key not base64",
	     F_HOST F_UP F_CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ!!\r\n" F_VER, NULL, 400,
	     NULL},
	    {"two keys", F_ALL F_KEY, NULL, 400, NULL},
	    {"two hosts", F_ALL F_HOST, NULL, 400, NULL},
	    {"no version", F_HOST F_UP F_CONN F_KEY, NULL, 400, NULL},
	    {"version 8", F_HOST F_UP F_CONN F_KEY "Sec-WebSocket-Version: 8\r\n", NULL, 426, NULL},
	    {"version x", F_HOST F_UP F_CONN F_KEY "Sec-WebSocket-Version: x\r\n", NULL, 426, NULL},
	    {"no colon", F_ALL "Bogus\r\n", NULL, 0, NULL},
	    {"space before colon", F_ALL "Origin : x\r\n", NULL, 0, NULL},
	    {"folded line", F_ALL " continued\r\n", NULL, 0, NULL},
	    {"origin listed", F_ORIG_OK, NULL, 101, NULL},
	    {"origin not listed", F_ALL "Origin: https://evil.example\r\n", NULL, 403, NULL},
	    {"no origin (not a browser)", F_NOORIG, NULL, 101, NULL},
	    {"two origins", F_ORIG_OK "Origin: https://dash.example\r\n", NULL, 400, NULL},
	};
	static const char *const allowed[] = {"https://other.example", "https://dash.example"};
	const struct ws_origins og = {allowed, 2};
	char buf[1024], resp[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ws_hs_req req;
		int len = snprintf(buf, sizeof(buf), "%s\r\n%s\r\n",
				   t[i].line ? t[i].line : "GET / HTTP/1.1", t[i].fields);
		int head = ws_hs_parse(buf, (size_t)len, &req), st, n;

		if (!t[i].status) {
			if (head != -EBADMSG)
				fail_msg("%s: parse %d", t[i].what, head);
			continue;
		}
		if (head != len)
			fail_msg("%s: parse %d, not %d", t[i].what, head, len);
		st = ws_hs_check(&req, &og);
		if (st != t[i].status)
			fail_msg("%s: status %d, not %d", t[i].what, st, t[i].status);
		if (st == 101 &&
		    (t[i].proto ? !req.proto || strcmp(req.proto, t[i].proto) : req.proto != NULL))
			fail_msg("%s: subprotocol %s", t[i].what, req.proto ? req.proto : "(none)");
		n = ws_hs_response(&req, st, resp, sizeof(resp));
		assert_true(n > 0);
		resp[n] = '\0';
		if (st == 426)
			assert_non_null(strstr(resp, "426 Upgrade Required\r\n"
						     "Sec-WebSocket-Version: 13\r\n"));
		if (st == 403)
			assert_non_null(strstr(resp, "HTTP/1.1 403 Forbidden\r\n"));
		if (st == 400)
			assert_non_null(strstr(resp, "HTTP/1.1 400 Bad Request\r\n"));
	}
	/* no list: any origin */
	{
		struct ws_hs_req req;
		int len = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n%s%s\r\n", F_ALL,
				   "Origin: https://evil.example\r\n");

		assert_int_equal(ws_hs_parse(buf, (size_t)len, &req), len);
		assert_int_equal(ws_hs_check(&req, NULL), 101);
		assert_int_equal(ws_hs_check(&req, &(struct ws_origins){NULL, 0}), 101);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_hello),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_fragments_and_splits),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_unmask),
	    cmocka_unit_test(test_encoders),
	    cmocka_unit_test(test_from_server),
	    cmocka_unit_test(test_accept_vector),
	    cmocka_unit_test(test_handshake_ok),
	    cmocka_unit_test(test_handshake_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
