// SPDX-License-Identifier: MIT
/*
 * ws unit tests: a real conn with conn_ws over conn_tcp in a real loop, over a loopback TCP
 * pair whose other end the test drives as a hand-written WebSocket client (frames built and
 * masked here, server frames parsed here). Covered: the handshake (split, pipelined with the
 * first frame, each refusal with its HTTP status), frames split across reads and MQTT bytes
 * split across frames, writes as one binary frame per writev, large writes in several
 * frames, ping/pong, the close handshake, each protocol error with its close code, the close
 * frame on the owner's close and on the lingering close, and a peer that stops reading
 * (partial frames kept and resumed, the stream intact).
 *
 * MQTTGW_WS_BENCH=1 also runs a micro-benchmark: the same conn over tcp and over ws, MQTT
 * QoS 0 sized messages in both directions, MB/s printed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conn.h"
#include "loop.h"
#include "tcp_pair_test.h"
#include "ws.h"
#include "ws_frame.h"

struct owner {
	int closes;
	int close_err;
	uint8_t *data; /* everything on_read was given */
	size_t got, cap;
};

static ssize_t on_read(struct conn *c, const uint8_t *buf, size_t len)
{
	struct owner *o = c->owner;

	if (o->got + len > o->cap) {
		o->cap = (o->got + len) * 2;
		o->data = realloc(o->data, o->cap);
		assert_non_null(o->data);
	}
	memcpy(o->data + o->got, buf, len);
	o->got += len;
	return (ssize_t)len;
}

static void on_close(struct conn *c, int err)
{
	struct owner *o = c->owner;

	o->closes++;
	o->close_err = err;
}

/* the owner's frame bound, asked by ws.c at each decode */
static uint32_t rx_max(const struct conn *c)
{
	(void)c;
	return 4096;
}

static const struct conn_ops ops = {.on_read = on_read, .on_close = on_close, .rx_max = rx_max};

struct fixture {
	struct loop *l;
	struct conn *c;
	struct ws_ctx *ctx;
	int peer;
	struct owner o;
};

static struct fixture *fixture_new(bool ws)
{
	static const char *const origins[] = {"https://ok.example"};
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	f->l = loop_new();
	assert_non_null(f->l);
	tcp_pair(&fd, &f->peer);
	/* TCP_NODELAY on the server side too */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	f->c = conn_new(f->l, fd, &conn_tcp, &ops, &f->o);
	assert_non_null(f->c);
	if (ws) {
		f->ctx = ws_ctx_new(origins, 1);
		assert_non_null(f->ctx);
		assert_int_equal(ws_conn_attach(f->c, f->ctx), 0);
		assert_true(ws_conn_is(f->c));
	}
	return f;
}

static void fixture_free(struct fixture *f)
{
	if (f->o.closes == 0)
		conn_close(f->c, 0);
	conn_linger_end_all();
	loop_run_once(f->l, 0); /* deferred frees */
	loop_free(f->l);
	ws_ctx_unref(f->ctx);
	if (f->peer >= 0)
		close(f->peer);
	free(f->o.data);
	free(f);
}

static int setup(void **state)
{
	*state = fixture_new(true);
	return 0;
}

static int teardown(void **state)
{
	fixture_free(*state);
	return 0;
}

static void spin(struct fixture *f, int ms)
{
	for (int i = 0; i < ms / 5 + 1; i++) {
		conn_flush_all();
		loop_run_once(f->l, 5);
	}
}

static void psend(struct fixture *f, const void *p, size_t n)
{
	assert_int_equal(send(f->peer, p, n, 0), (ssize_t)n);
}

/* Read from the peer until want bytes, the end, or ms of silence. */
static size_t peer_read(struct fixture *f, void *buf, size_t want, int ms)
{
	size_t got = 0;
	int idle = 0;

	/* the conn and the peer share this thread: run the loop between polls */
	while (got < want && idle < ms) {
		struct pollfd p = {.fd = f->peer, .events = POLLIN};
		ssize_t n;

		spin(f, 0);
		if (poll(&p, 1, 1) <= 0) {
			idle += 6;
			continue;
		}
		n = recv(f->peer, (uint8_t *)buf + got, want - got, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		idle = 0;
	}
	return got;
}

/* The peer's end of stream comes (after anything still unread, which is returned). */
static bool peer_eof(struct fixture *f, int ms)
{
	uint8_t b[256];

	for (int i = 0; i < ms / 10 + 1; i++) {
		ssize_t n = recv(f->peer, b, sizeof(b), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		spin(f, 10);
	}
	return false;
}

static const uint8_t key4[4] = {0x11, 0x22, 0x33, 0x44};

/* A masked client frame (b0: FIN + opcode). */
static size_t cframe(uint8_t *out, uint8_t b0, const void *p, size_t len)
{
	size_t h = 2;

	out[0] = b0;
	if (len < 126) {
		out[1] = (uint8_t)(0x80 | len);
	} else if (len <= 0xFFFF) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	memcpy(out + h, key4, 4);
	for (size_t i = 0; i < len; i++)
		out[h + 4 + i] = ((const uint8_t *)p)[i] ^ key4[i & 3];
	return h + 4 + len;
}

/* One server frame from the peer: opcode, payload into buf (cap). -1: none, or malformed. */
static int sframe(struct fixture *f, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t h[10];
	size_t n = 2;

	if (peer_read(f, h, 2, 1000) != 2)
		return -1;
	assert_int_equal(h[0] & 0x70, 0);
	assert_int_equal(h[1] & 0x80, 0); /* server frames are not masked */
	assert_true(h[0] & 0x80);	  /* we never fragment */
	*len = h[1] & 0x7F;
	if (*len >= 126) {
		n = *len == 126 ? 2 : 8;
		assert_int_equal(peer_read(f, h + 2, n, 1000), n);
		*len = 0;
		for (size_t i = 0; i < n; i++)
			*len = *len << 8 | h[2 + i];
	}
	assert_true(*len <= cap);
	assert_int_equal(peer_read(f, buf, *len, 1000), *len);
	return h[0] & 0x0F;
}

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define REQ(extra)                                                                                 \
	"GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"           \
	"Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n" extra "\r\n"

static const char resp101[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			      "Connection: Upgrade\r\n"
			      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
			      "Sec-WebSocket-Protocol: mqtt\r\n\r\n";

static void handshake(struct fixture *f)
{
	static const char req[] = REQ("Sec-WebSocket-Protocol: mqtt\r\n");
	char buf[sizeof(resp101)];

	psend(f, req, sizeof(req) - 1);
	assert_int_equal(peer_read(f, buf, sizeof(resp101) - 1, 1000), sizeof(resp101) - 1);
	assert_memory_equal(buf, resp101, sizeof(resp101) - 1);
	assert_string_equal(ws_conn_subprotocol(f->c), "mqtt");
}

static void queue(struct conn *c, const void *p, size_t n)
{
	assert_int_equal(outq_append(&c->out, p, n), 0);
	conn_want_flush(c);
}

/* ---- tests ---- */

/* The request in three pieces, the answer, then MQTT bytes split across frames and frames
 * split across reads: the owner sees the byte stream. */
static void test_handshake_and_stream(void **state)
{
	struct fixture *f = *state;
	static const char req[] =
	    REQ("Sec-WebSocket-Protocol: mqtt\r\nOrigin: https://OK.example\r\n");
	uint8_t fr[256], out[64];
	size_t n = 0;
	char buf[sizeof(resp101)];

	assert_null(ws_conn_subprotocol(f->c));
	psend(f, req, 10);
	spin(f, 10);
	psend(f, req + 10, 50);
	spin(f, 10);
	/* the owner's output waits for the 101 (it may not go first) */
	queue(f->c, "early", 5);
	spin(f, 10);
	psend(f, req + 60, sizeof(req) - 1 - 60);
	assert_int_equal(peer_read(f, buf, sizeof(resp101) - 1, 1000), sizeof(resp101) - 1);
	assert_memory_equal(buf, resp101, sizeof(resp101) - 1);
	assert_int_equal(sframe(f, out, sizeof(out), &n), WS_OP_BINARY);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "early", 5);
	/* "\x10\x0c..." split over 3 frames, the frames sent a byte at a time */
	n = cframe(fr, 0x82, "\x30\x07\x00\x01", 4);
	n += cframe(fr + n, 0x82, "ta", 2);
	n += cframe(fr + n, 0x82, "hello", 5);
	for (size_t i = 0; i < n; i++) {
		psend(f, fr + i, 1);
		spin(f, 0);
	}
	spin(f, 10);
	assert_int_equal(f->o.got, 11);
	assert_memory_equal(f->o.data, "\x30\x07\x00\x01tahello", 11);
	assert_int_equal(f->o.closes, 0);
}

/* The first frame in the same segment as the request: read ahead, then delivered. */
static void test_pipelined_frame(void **state)
{
	struct fixture *f = *state;
	static const char req[] = REQ("");
	uint8_t buf[512];
	size_t n = sizeof(req) - 1;

	memcpy(buf, req, n);
	n += cframe(buf + n, 0x82, "\x10\x02", 2);
	n += cframe(buf + n, 0x82, "\x00\x04", 2);
	psend(f, buf, n);
	spin(f, 20);
	assert_int_equal(f->o.got, 4);
	assert_memory_equal(f->o.data, "\x10\x02\x00\x04", 4);
	/* no subprotocol offered: none in the answer */
	assert_true(peer_read(f, buf, sizeof(resp101) - 1 - 32, 1000) > 0);
	assert_null(strstr((char *)buf, "Sec-WebSocket-Protocol"));
}

/* Two queued packets leave as one frame; a large write as several, under WS_TX_FRAME. */
static void test_writes(void **state)
{
	struct fixture *f = *state;
	size_t big = 3 * WS_TX_FRAME + 1000, n, got = 0;
	uint8_t *p = malloc(big), *in = malloc(WS_TX_FRAME);
	int frames = 0;

	handshake(f);
	queue(f->c, "\x30\x03\x00\x01t", 5);
	queue(f->c, "\x30\x03\x00\x01u", 5);
	spin(f, 10);
	assert_int_equal(sframe(f, in, WS_TX_FRAME, &n), WS_OP_BINARY);
	assert_int_equal(n, 10);
	assert_memory_equal(in, "\x30\x03\x00\x01t\x30\x03\x00\x01u", 10);
	for (size_t i = 0; i < big; i++)
		p[i] = (uint8_t)(i * 13);
	queue(f->c, p, big);
	while (got < big) {
		assert_int_equal(sframe(f, in, WS_TX_FRAME, &n), WS_OP_BINARY);
		assert_memory_equal(in, p + got, n);
		got += n;
		frames++;
	}
	assert_int_equal(got, big);
	assert_int_equal(frames, 4);
	free(p);
	free(in);
}

/* Pings (one inside a fragmented message) answered with their payload; pongs ignored. */
static void test_ping_pong(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[256], out[256];
	size_t n = 0, len;

	handshake(f);
	n += cframe(fr + n, 0x02, "ab", 2);
	n += cframe(fr + n, 0x89, "are you there", 13);
	n += cframe(fr + n, 0x8A, "unsolicited", 11);
	n += cframe(fr + n, 0x80, "cd", 2);
	psend(f, fr, n);
	assert_int_equal(sframe(f, out, sizeof(out), &len), WS_OP_PONG);
	assert_int_equal(len, 13);
	assert_memory_equal(out, "are you there", 13);
	spin(f, 10);
	assert_int_equal(f->o.got, 4);
	assert_memory_equal(f->o.data, "abcd", 4);
	/* nothing else was sent (no pong for the pong) */
	queue(f->c, "x", 1);
	assert_int_equal(sframe(f, out, sizeof(out), &len), WS_OP_BINARY);
}

/* The peer's close: data before it delivered, the code echoed, then the end. */
static void test_peer_close(void **state)
{
	struct fixture *f = *state;
	uint8_t fr[64], out[64];
	size_t n = 0, len;

	handshake(f);
	n += cframe(fr + n, 0x82, "last", 4);
	n += cframe(fr + n, 0x88, "\x03\xe9", 2); /* 1001 going away */
	n += cframe(fr + n, 0x82, "ignored", 7);
	psend(f, fr, n);
	spin(f, 20);
	assert_int_equal(f->o.got, 4);
	assert_int_equal(f->o.closes, 1);
	assert_int_equal(f->o.close_err, -EPIPE);
	assert_int_equal(sframe(f, out, sizeof(out), &len), WS_OP_CLOSE);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "\x03\xe9", 2);
	assert_true(peer_eof(f, 500));
}

/* Each protocol error: a close frame with its code, then the end of stream. */
static void test_protocol_errors(void **state)
{
	static const struct {
		uint8_t b0;
		size_t len;
		bool unmasked;
		uint16_t code;
	} t[] = {
	    {0x81, 3, false, 1003},			 /* text */
	    {0x82, 3, true, 1002},			 /* unmasked */
	    {0xC2, 3, false, 1002},			 /* RSV1 */
	    {0x83, 0, false, 1002},			 /* reserved opcode */
	    {0x80, 1, false, 1002},			 /* continuation without a message */
	    {0x09, 1, false, 1002},			 /* fragmented ping */
	    {0x82, 4096 + WS_RX_SLACK + 1, false, 1009}, /* over rx_max + slack */
	};
	uint8_t *fr = malloc(4096 + WS_RX_SLACK + 64), *zeros = calloc(1, 4096 + WS_RX_SLACK + 1);

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fixture *f = fixture_new(true);
		uint8_t out[64];
		size_t n, len;

		handshake(f);
		psend(f, fr, cframe(fr, 0x82, "ok", 2));
		n = cframe(fr, t[i].b0, zeros, t[i].len);
		if (t[i].unmasked) { /* drop the mask bit and key */
			fr[1] &= 0x7F;
			memmove(fr + 2, fr + 6, n - 6);
			n -= 4;
		}
		/* the 1009 case: the header alone is enough to refuse */
		psend(f, fr, t[i].code == 1009 ? 14 : n);
		spin(f, 20);
		if (f->o.got != 2 || f->o.closes != 1)
			fail_msg("case %zu: got %zu, closes %d", i, f->o.got, f->o.closes);
		assert_int_equal(f->o.close_err, t[i].code == 1009 ? -EMSGSIZE : -EPROTO);
		assert_int_equal(sframe(f, out, sizeof(out), &len), WS_OP_CLOSE);
		assert_int_equal(len, 2);
		if ((out[0] << 8 | out[1]) != t[i].code)
			fail_msg("case %zu: close code %u, not %u", i, out[0] << 8 | out[1],
				 t[i].code);
		assert_true(peer_eof(f, 500));
		fixture_free(f);
	}
	free(fr);
	free(zeros);
}

/* Refused handshakes: the HTTP answer, then the end; the owner never sees a byte. */
static void test_handshake_refusals(void **state)
{
	static const struct {
		const char *req;
		const char *status;
	} t[] = {
	    {REQ("Origin: https://evil.example\r\n"), "HTTP/1.1 403 Forbidden\r\n"},
	    {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	     "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 8\r\n\r\n",
	     "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"},
	    {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
	    {"\x10\x0cMQTT\x04\x02\x3c\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"}, /* not HTTP */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fixture *f = fixture_new(true);
		char buf[256] = {0};

		psend(f, t[i].req, strlen(t[i].req));
		peer_read(f, buf, strlen(t[i].status), 1000);
		assert_string_equal(buf, t[i].status);
		assert_true(peer_eof(f, 500));
		assert_int_equal(f->o.closes, 1);
		assert_int_equal(f->o.got, 0);
		fixture_free(f);
	}
	/* a head over WS_HS_MAX without its blank line */
	{
		struct fixture *f = fixture_new(true);
		char *big = malloc(WS_HS_MAX + 100), buf[64] = {0};

		memset(big, 'a', WS_HS_MAX + 100);
		memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
		psend(f, big, WS_HS_MAX + 100);
		peer_read(f, buf, 26, 1000);
		assert_string_equal(buf, "HTTP/1.1 400 Bad Request\r\n");
		assert_int_equal(f->o.closes, 1);
		free(big);
		fixture_free(f);
	}
}

/* Our close: 1000 on conn_close, and on the lingering close after the queued output. */
static void test_our_close(void **state)
{
	struct fixture *f = *state;
	uint8_t out[64];
	size_t len;

	handshake(f);
	conn_close(f->c, 0);
	assert_int_equal(sframe(f, out, sizeof(out), &len), WS_OP_CLOSE);
	assert_memory_equal(out, "\x03\xe8", 2);
	assert_true(peer_eof(f, 500));

	f = fixture_new(true);
	handshake(f);
	queue(f->c, "\xe0\x00", 2); /* a DISCONNECT */
	conn_close_linger(f->c, 0, 2000, 65536);
	assert_int_equal(sframe(f, out, sizeof(out), &len), WS_OP_BINARY);
	assert_memory_equal(out, "\xe0\x00", 2);
	assert_int_equal(sframe(f, out, sizeof(out), &len), WS_OP_CLOSE);
	assert_memory_equal(out, "\x03\xe8", 2);
	assert_true(peer_eof(f, 500));
	fixture_free(f);
}

/* A peer that stops reading: frames cut by a full socket are kept and finished first, pings
 * answered meanwhile go between frames, and the stream parses whole in the end. */
static void test_backpressure(void **state)
{
	struct fixture *f = *state;
	size_t total = 0, got = 0, chunk = 1000, n;
	uint8_t msg[1000], *in = malloc(WS_TX_FRAME), fr[64];
	int small = 4096, pongs = 0;

	handshake(f);
	setsockopt(f->c->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(f->peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	/* queue until the conn cannot write any more */
	for (int i = 0; i < 4000 && !f->c->write_blocked; i++) {
		msg[0] = (uint8_t)i;
		queue(f->c, msg, chunk);
		total += chunk;
		conn_flush_all();
	}
	assert_true(f->c->write_blocked);
	psend(f, fr, cframe(fr, 0x89, "p", 1));
	spin(f, 10);
	while (got < total || !pongs) {
		int op = sframe(f, in, WS_TX_FRAME, &n);

		assert_true(op == WS_OP_BINARY || op == WS_OP_PONG);
		if (op == WS_OP_PONG) {
			pongs++;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			size_t pos = got + i;
			uint8_t want =
			    pos % chunk ? (uint8_t)(pos % chunk) : (uint8_t)(pos / chunk);

			if (in[i] != want)
				fail_msg("byte %zu: %u, not %u", pos, in[i], want);
		}
		got += n;
	}
	assert_int_equal(got, total);
	assert_int_equal(pongs, 1);
	assert_int_equal(f->o.closes, 0);
	free(in);
}

/* ---- micro-benchmark (MQTTGW_WS_BENCH=1) ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* MB/s of MQTT bytes: the peer sends `total` bytes of 64-byte PUBLISH-sized messages (ws:
 * one masked frame per 32 messages, as a client's write would), the conn reads them. */
static double bench_in(bool ws, size_t total)
{
	struct fixture *f = fixture_new(ws);
	uint8_t msg[64 * 32], *fr = malloc(sizeof(msg) + 14);
	size_t sent = 0, n;
	double t0;

	memset(msg, 0x30, sizeof(msg));
	if (ws)
		handshake(f);
	n = ws ? cframe(fr, 0x82, msg, sizeof(msg)) : sizeof(msg);
	if (!ws)
		memcpy(fr, msg, n);
	t0 = now_s();
	while (sent < total) {
		struct pollfd p = {.fd = f->peer, .events = POLLOUT};

		if (poll(&p, 1, 0) > 0 && send(f->peer, fr, n, MSG_DONTWAIT) == (ssize_t)n)
			sent += sizeof(msg);
		else
			loop_run_once(f->l, 0);
		f->o.got = 0; /* the owner keeps nothing */
	}
	for (int i = 0; i < 50; i++)
		loop_run_once(f->l, 0);
	t0 = now_s() - t0;
	fixture_free(f);
	free(fr);
	return (double)total / t0 / 1e6;
}

/* The conn writes 64-byte messages, 32 per flush; the peer reads and drops. */
static double bench_out(bool ws, size_t total)
{
	struct fixture *f = fixture_new(ws);
	uint8_t msg[64], sink[1 << 16];
	size_t queued = 0;
	double t0;

	memset(msg, 0x30, sizeof(msg));
	if (ws)
		handshake(f);
	t0 = now_s();
	while (queued < total || !outq_empty(&f->c->out)) {
		for (int i = 0; i < 32 && queued < total && f->c->out.bytes < (1 << 20); i++) {
			assert_int_equal(outq_append(&f->c->out, msg, sizeof(msg)), 0);
			queued += sizeof(msg);
		}
		conn_want_flush(f->c);
		conn_flush_all();
		while (recv(f->peer, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		loop_run_once(f->l, 0);
	}
	t0 = now_s() - t0;
	fixture_free(f);
	return (double)total / t0 / 1e6;
}

static void test_bench(void **state)
{
	size_t total = 256u << 20, big = 64u << 20;
	uint8_t *a, *b, key[4] = {1, 2, 3, 4};
	double t0, tin, win, tout, wout, um;

	(void)state;
	if (!getenv("MQTTGW_WS_BENCH"))
		skip();
	a = malloc(big);
	b = malloc(big);
	assert_true(a && b);
	memset(a, 0x5a, big);
	memset(b, 0, big); /* fault the pages in first: the loop is what is timed */
	t0 = now_s();
	ws_unmask(b, a, big, key, 1);
	um = (double)big / (now_s() - t0) / 1e9;
	tin = bench_in(false, total);
	win = bench_in(true, total);
	tout = bench_out(false, total / 4);
	wout = bench_out(true, total / 4);
	fprintf(stderr,
		"ws bench: unmask %.2f GB/s; in tcp %.0f MB/s, ws %.0f MB/s (%.2fx); "
		"out tcp %.0f MB/s, ws %.0f MB/s (%.2fx)\n",
		um, tin, win, win / tin, tout, wout, wout / tout);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_handshake_and_stream, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipelined_frame, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ping_pong, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_close, setup, teardown),
	    cmocka_unit_test(test_protocol_errors),
	    cmocka_unit_test(test_handshake_refusals),
	    cmocka_unit_test_setup_teardown(test_our_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
	    cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
