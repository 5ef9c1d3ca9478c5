// SPDX-License-Identifier: MIT
/*
 * bench_ws: the WebSocket transport of mqttgw-bench (--ws: MQTT over ws://, RFC 6455, the
 * `mqtt` subprotocol), the client side, on top of bench_conn's buffers:
 *  - the opening handshake: a GET Upgrade request written unframed, the answer (101, the
 *    Sec-WebSocket-Accept of our key, computed with ws_hs_accept) read from rx;
 *  - out: the MQTT bytes bench_conn appends to tx are wrapped, at each flush, into one masked
 *    binary frame in place (header inserted, payload XORed with ws_unmask);
 *  - in: received bytes are decoded in place by the daemon's decoder (ws_rx_decode with
 *    from_server: server frames are unmasked); pings answered, a close ends the connection.
 * The frame code is the daemon's (daemon/io/ws_frame.c), not a copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"
#include "ws_frame.h"

struct bws {
	struct ws_rx rx;
	uint64_t rng; /* masking keys: xorshift64 (unpredictable enough for a benchmark) */
	char key[25]; /* Sec-WebSocket-Key, base64 of 16 bytes */
};

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint32_t bws_rand(struct bws *ws)
{
	ws->rng ^= ws->rng << 13;
	ws->rng ^= ws->rng >> 7;
	ws->rng ^= ws->rng << 17;
	return (uint32_t)(ws->rng >> 16);
}

int bws_start(struct bconn *c, const struct bench_opts *o)
{
	struct bws *ws = c->ws;
	uint8_t *p;
	int n;

	if (!ws) {
		ws = c->ws = calloc(1, sizeof(*ws));
		if (!ws)
			return -ENOMEM;
	}
	memset(&ws->rx, 0, sizeof(ws->rx));
	ws->rx.from_server = true;
	ws->rx.max_payload = UINT32_MAX;
	ws->rng = (now_ns() ^ ((uint64_t)c->idx << 32) ^ c->role) | 1;
	/* 16 random bytes in base64: 21 characters of 6 bits, then one of 2 bits, then "==" */
	for (int i = 0; i < 21; i++)
		ws->key[i] = b64[bws_rand(ws) & 63];
	ws->key[21] = b64[(bws_rand(ws) & 3) << 4];
	memcpy(ws->key + 22, "==", 3);
	n = snprintf(NULL, 0,
		     "GET /mqtt HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
		     o->host, o->port, ws->key);
	p = bconn_tx_reserve(c, (size_t)n + 1);
	if (!p)
		return -ENOMEM;
	snprintf((char *)p, (size_t)n + 1,
		 "GET /mqtt HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
		 o->host, o->port, ws->key);
	c->tx_len += (uint32_t)n;
	c->tx_raw = c->tx_len; /* the request goes out as it is, unframed */
	return 0;
}

void bws_free(struct bconn *c)
{
	free(c->ws);
	c->ws = NULL;
}

/* Does the head h[0..n) have a field name: value (value compared case-insensitively)? */
static bool head_has(const char *h, size_t n, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	for (const char *l = h; l && l < h + n; l = memchr(l, '\n', (size_t)(h + n - l))) {
		if (*l == '\n')
			l++;
		if ((size_t)(h + n - l) < nl + 1 + vl || strncasecmp(l, name, nl) || l[nl] != ':')
			continue;
		l += nl + 1;
		while (*l == ' ' || *l == '\t')
			l++;
		if ((size_t)(h + n - l) >= vl + 2 && !strncasecmp(l, value, vl) &&
		    (l[vl] == '\r' || l[vl] == ' '))
			return true;
	}
	return false;
}

/* The answer to the upgrade request, in rx[0..rx_len). 1 done (the head removed from rx, the
 * bytes after it are frames still to decode), 0 incomplete, -1 refused (*why says why). */
static int bws_answer(struct bconn *c, const char **why)
{
	const char *h = (const char *)c->rx, *end;
	char accept[29];
	size_t n;

	end = memmem(h, c->rx_len, "\r\n\r\n", 4);
	if (!end) {
		*why = "websocket handshake: answer too long";
		return c->rx_len >= c->rx_cap ? -1 : 0;
	}
	n = (size_t)(end - h) + 4;
	*why = "websocket handshake: no 101 Switching Protocols";
	if (n < 13 || memcmp(h, "HTTP/1.1 101", 12))
		return -1;
	*why = "websocket handshake: bad Sec-WebSocket-Accept";
	if (ws_hs_accept(c->ws->key, strlen(c->ws->key), accept) < 0 ||
	    !head_has(h, n, "Sec-WebSocket-Accept", accept))
		return -1;
	*why = "websocket handshake: subprotocol mqtt not chosen";
	if (!head_has(h, n, "Sec-WebSocket-Protocol", "mqtt"))
		return -1;
	memmove(c->rx, c->rx + n, c->rx_len - n);
	c->rx_len -= (uint32_t)n;
	return 1;
}

/* A control frame from the broker: a ping is answered (masked pong; a zero key leaves the
 * payload as it is), a close ends the connection. 0 or -1. */
static int bws_control(struct bconn *c, const char **why)
{
	struct ws_rx *rx = &c->ws->rx;
	uint8_t *p;

	if (rx->op == WS_OP_CLOSE) {
		*why = "websocket close from broker";
		return -1;
	}
	if (rx->op != WS_OP_PING)
		return 0;
	if (bws_frame_out(c) < 0 || !(p = bconn_tx_reserve(c, 6u + rx->ctl_len)))
		goto nomem;
	p[0] = 0x80 | WS_OP_PONG;
	p[1] = 0x80 | rx->ctl_len;
	memset(p + 2, 0, 4);
	memcpy(p + 6, rx->ctl, rx->ctl_len);
	c->tx_len += 6u + rx->ctl_len;
	c->tx_raw = c->tx_len;
	return 0;
nomem:
	*why = "out of memory";
	return -1;
}

int bws_input(struct bconn *c, uint32_t from, const char **why)
{
	struct ws_rx *rx = &c->ws->rx;
	uint32_t in = from, out = from;
	int rc;

	if (c->state == BS_WSHS) {
		rc = bws_answer(c, why);
		if (rc <= 0)
			return rc < 0 ? -1 : 1;
		in = out = 0;
		c->state = BS_CONNACK;
		rc = 2;
	} else {
		rc = 0;
	}
	while (in < c->rx_len) {
		size_t used, produced;
		int r = ws_rx_decode(rx, c->rx + in, c->rx_len - in, c->rx + out, &used, &produced);

		in += (uint32_t)used;
		out += (uint32_t)produced;
		if (r < 0) {
			*why = "websocket protocol error from broker";
			return -1;
		}
		if (r == WS_RX_CONTROL && bws_control(c, why) < 0)
			return -1;
	}
	c->rx_len = out;
	return rc;
}

int bws_frame_out(struct bconn *c)
{
	uint32_t raw = c->tx_len - c->tx_raw, hl, key;
	uint8_t *f;

	if (!raw)
		return 0;
	hl = (raw < 126 ? 2 : raw <= 0xFFFF ? 4 : 10) + 4;
	if (!bconn_tx_reserve(c, hl)) /* may compact tx: tx_raw moves with it */
		return -ENOMEM;
	f = c->tx + c->tx_raw;
	memmove(f + hl, f, raw);
	ws_frame_hdr(f, WS_OP_BINARY, raw);
	f[1] |= 0x80; /* masked: RFC 6455 5.3 */
	key = bws_rand(c->ws);
	memcpy(f + hl - 4, &key, 4);
	ws_unmask(f + hl, f + hl, raw, f + hl - 4, 0); /* XOR: masking is unmasking */
	c->tx_len += hl;
	c->tx_raw = c->tx_len;
	return 0;
}
