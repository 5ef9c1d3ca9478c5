// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the whole per-connection state machine: a real broker (every daemon
 * module but main, log and the BPF fast path) serving up to four clients over
 * socketpair(AF_UNIX, SOCK_STREAM), attached with broker_attach_fd() as if accepted. Nothing
 * listens on the network.
 *
 * Input:
 *   byte 0   configuration bits (CFG_* below: small limits, queues, aliases, ...)
 *   records  tag [len data]; slot = tag & 3, arg = (tag >> 2) & 7, op = tag >> 5:
 *     op 0-2  write: `len` bytes of `data` to the slot's connection (opened on first use,
 *             reopened after a close: a second connection with the same client id is a
 *             takeover, a reconnect resumes a session)
 *     op 3    tag len fill data: the same, then fill * 64 bytes of 'p' (large payloads, sent
 *             by reference from 4 KiB on, without large inputs)
 *     op 4    close the slot's socket without DISCONNECT (will, session detach)
 *     op 5    shutdown(SHUT_WR): half-closed client
 *     op 6    advance the loop clock by clock_steps[arg] ms and run due timers (connect
 *             timeout, keepalive, will delay, session and message expiry, $SYS, backpressure)
 *     op 7    toggle reading the slot's output: unread, the broker's writes block (4 KiB
 *             socket buffers) and its output queue and backpressure paths run
 *   After every record the loop runs (loop_run_once(l, 0)) and the output is drained.
 *
 * Oracles, besides ASan/UBSan/LSan (per input):
 *   - every frame the broker sends parses and decodes (codec_decode) under the version of the
 *     client's CONNECT, is a server-to-client type, DISCONNECT/AUTH only to v5 clients;
 *   - CONNACK comes first, at most once, and nothing follows a refusing CONNACK;
 *   - after teardown no connection is left open (conn_stats), every broker-side fd of this
 *     input is closed, and the bytes memory_limit counts (the input's msg_pool) are back to 0:
 *     an accounting drift would leave the broker refusing messages for good.
 *
 * Clock: with -Wl,--wrap=clock_gettime (FUZZ_LIBS_broker) CLOCK_MONOTONIC as seen by the
 * daemon objects is offset by op 6; without the wrap op 6 only runs the loop. The offset is
 * reset per input, as nothing outlives an input.
 *
 * The broker is made from a config with no listener, so no socket is opened. Clients are
 * attached "as if accepted on" a listener entry that lives in the config's listener array but
 * is not counted (n_listeners stays 0 for the broker's whole life, so every per-listener table
 * the broker sizes by n_listeners - auth, TLS - is consistently empty; the entry is counted
 * again only for config_free).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "codec.h"
#include "config.h"
#include "conn.h"
#include "loop.h"
#include "msg.h"
#include "outq.h"

#define SLOTS	 4
#define MAX_FDS	 256 /* broker-side fds remembered per input for the leak check */
#define SOCK_BUF 4096

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---- the loop clock ---- */

static int64_t clock_offset_ms;

int __real_clock_gettime(clockid_t id, struct timespec *ts) __attribute__((weak));

/* Only references from the objects linked with --wrap come here (the daemon's loop). */
int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = __real_clock_gettime(id, ts);

	if (!r && id == CLOCK_MONOTONIC && clock_offset_ms) {
		int64_t ns = (int64_t)ts->tv_nsec + (clock_offset_ms % 1000) * 1000000;

		ts->tv_sec += (time_t)(clock_offset_ms / 1000 + ns / 1000000000);
		ts->tv_nsec = (long)(ns % 1000000000);
	}
	return r;
}

static uint8_t filler[255 * 64];

static const int64_t clock_steps[8] = {500, 1000, 2000, 5000, 16000, 65000, 600000, 7200000};

/* ---- configuration ---- */

enum {
	CFG_SMALL_PACKETS = 0x01,  /* max_packet_size 300 */
	CFG_SMALL_QUEUES = 0x02,   /* inflight 2, queue 3 messages / 2000 bytes */
	CFG_QUEUE_QOS0 = 0x04,	   /* queue_qos0_messages; memory_limit 64 KiB */
	CFG_NO_RETAIN = 0x08,	   /* retain_available false */
	CFG_ALIASES = 0x10,	   /* max_topic_alias 0 (else 3) */
	CFG_STRICT_CONNECT = 0x20, /* no zero-length client ids; max_keepalive 30 */
	CFG_EXPIRY = 0x40,	   /* persistent_client_expiration 10 s; message_size_limit 100 */
	CFG_RECEIVE_MAX = 0x80,	   /* max_receive 2; $SYS off */
};

static struct config *fuzz_config(uint8_t bits)
{
	struct config *cfg = config_new();

	if (!cfg)
		return NULL;
	if (!config_add_listener(cfg, 0, "127.0.0.1")) {
		config_free(cfg);
		return NULL;
	}
	cfg->allow_anonymous = 1;
	cfg->max_topic_alias = 3;
	if (bits & CFG_SMALL_PACKETS)
		cfg->max_packet_size = 300;
	if (bits & CFG_SMALL_QUEUES) {
		cfg->max_inflight_messages = 2;
		cfg->max_queued_messages = 3;
		cfg->max_queued_bytes = 2000;
	}
	if (bits & CFG_QUEUE_QOS0) {
		cfg->queue_qos0_messages = true;
		cfg->memory_limit = 64 * 1024;
	}
	if (bits & CFG_NO_RETAIN)
		cfg->retain_available = false;
	if (bits & CFG_ALIASES)
		cfg->max_topic_alias = 0;
	if (bits & CFG_STRICT_CONNECT) {
		cfg->allow_zero_length_clientid = false;
		cfg->max_keepalive = 30;
	}
	if (bits & CFG_EXPIRY) {
		cfg->persistent_client_expiration = 10;
		cfg->message_size_limit = 100;
	}
	if (bits & CFG_RECEIVE_MAX) {
		cfg->max_receive = 2;
		cfg->sys_interval = 0;
	}
	return cfg;
}

/* ---- one client connection ---- */

struct slot {
	int fd;	      /* client side, -1 when not connected */
	bool no_read; /* op 7: leave the broker's output unread */
	/* what the client sent until its first frame is complete: the connection's version */
	uint8_t *first;
	size_t first_len, first_cap;
	int version; /* 0 unknown, -1 first frame not a CONNECT, else 3/4/5 */
	/* what the broker sent, frames checked and consumed as they complete */
	uint8_t *out;
	size_t out_len, out_cap;
	uint32_t n_frames;
	bool refused; /* a CONNACK with a non-zero code came */
};

struct fuzz {
	struct loop *l;
	struct broker *b;
	struct config *cfg;
	struct msg_pool mem;
	struct slot s[SLOTS];
	int fds[MAX_FDS];
	int n_fds;
	uint32_t serial;
};

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu bytes):", what, n);
	for (size_t i = 0; i < n && i < 256; i++)
		fprintf(stderr, " %02x", p[i]);
	fputc('\n', stderr);
}

/* The first frame a client sent decides the version its answers are encoded in. */
static void slot_note_sent(struct slot *s, const uint8_t *p, size_t n)
{
	struct mqtt_frame f;
	struct mqtt_packet pkt;
	uint8_t reason;
	int r;

	if (s->version)
		return;
	if (s->first_cap - s->first_len < n) {
		size_t cap = s->first_len + n + 256;
		uint8_t *q = realloc(s->first, cap);

		CHECK(q, "out of memory");
		s->first = q;
		s->first_cap = cap;
	}
	memcpy(s->first + s->first_len, p, n);
	s->first_len += n;
	r = codec_frame(s->first, s->first_len, 0, &f, &reason);
	if (r == -EAGAIN)
		return;
	if (r < 0 || f.type != MQTT_CONNECT) {
		s->version = -1;
		return;
	}
	memset(&pkt, 0, sizeof(pkt));
	r = codec_decode(s->first, f.hdr_len + f.rem_len, 0, &pkt, &reason);
	if (r == 0 || r == -EPROTONOSUPPORT || reason == MQTT_RC_CLIENT_ID_NOT_VALID)
		s->version = pkt.connect.version == MQTT_V5 ? MQTT_V5 : MQTT_V311;
	else
		s->version = -1;
}

static void check_frame(struct slot *s, const uint8_t *p, size_t n, const struct mqtt_frame *f)
{
	struct mqtt_packet pkt;
	uint8_t reason = 0;
	int r;

	CHECK(s->version > 0, "output to a connection whose first frame was no CONNECT");
	CHECK(!s->refused, "packet type %u after a refusing CONNACK", f->type);
	if (!s->n_frames++)
		CHECK(f->type == MQTT_CONNACK, "first packet type %u is not CONNACK", f->type);
	else
		CHECK(f->type != MQTT_CONNACK, "second CONNACK");
	switch (f->type) {
	case MQTT_CONNACK:
	case MQTT_PUBLISH:
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
	case MQTT_PINGRESP:
		break;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		CHECK(s->version == MQTT_V5, "type %u to a v%d client", f->type, s->version);
		break;
	default:
		hexdump("frame", p, n);
		CHECK(0, "server sent packet type %u", f->type);
	}
	memset(&pkt, 0, sizeof(pkt));
	r = codec_decode(p, n, (uint8_t)s->version, &pkt, &reason);
	if (r) {
		hexdump("frame", p, n);
		CHECK(0, "broker output does not decode (v%d): %d reason 0x%02x", s->version, r,
		      reason);
	}
	if (f->type == MQTT_CONNACK && pkt.connack.code)
		s->refused = true;
}

static void slot_check_output(struct slot *s)
{
	size_t off = 0;

	while (off < s->out_len) {
		struct mqtt_frame f;
		uint8_t reason;
		int r = codec_frame(s->out + off, s->out_len - off, 0, &f, &reason);

		if (r == -EAGAIN)
			break;
		if (r) {
			hexdump("output", s->out + off, s->out_len - off);
			CHECK(0, "broker output does not frame: %d", r);
		}
		check_frame(s, s->out + off, f.hdr_len + f.rem_len, &f);
		off += f.hdr_len + f.rem_len;
	}
	memmove(s->out, s->out + off, s->out_len - off);
	s->out_len -= off;
}

static void slot_close(struct fuzz *z, struct slot *s)
{
	(void)z;
	if (s->fd >= 0)
		close(s->fd);
	free(s->first);
	free(s->out);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* Read what the broker sent; a closed connection frees the slot for a new one. */
static void slot_drain(struct fuzz *z, struct slot *s)
{
	if (s->fd < 0 || s->no_read)
		return;
	for (;;) {
		ssize_t n;

		if (s->out_cap - s->out_len < 65536) {
			size_t cap = s->out_cap ? s->out_cap * 2 : 65536;
			uint8_t *p = realloc(s->out, cap);

			CHECK(p, "out of memory");
			s->out = p;
			s->out_cap = cap;
		}
		n = recv(s->fd, s->out + s->out_len, s->out_cap - s->out_len, MSG_DONTWAIT);
		if (n > 0) {
			s->out_len += (size_t)n;
			slot_check_output(s);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF or reset: the broker closed. A partial frame left over is fine: a close
		 * may cut the output queue anywhere. */
		slot_close(z, s);
		return;
	}
}

static void run(struct fuzz *z, int times)
{
	for (int i = 0; i < times; i++) {
		loop_run_once(z->l, 0);
		for (int k = 0; k < SLOTS; k++)
			slot_drain(z, &z->s[k]);
	}
}

static void note_fd(struct fuzz *z, int fd)
{
	for (int i = 0; i < z->n_fds; i++)
		if (z->fds[i] == fd)
			return;
	if (z->n_fds < MAX_FDS)
		z->fds[z->n_fds++] = fd;
}

static bool slot_open(struct fuzz *z, struct slot *s)
{
	int sv[2], sz = SOCK_BUF;
	char peer[32];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	note_fd(z, sv[1]);
	snprintf(peer, sizeof(peer), "fuzz:%u", ++z->serial);
	s->fd = sv[0];
	/* takes sv[1], closes it on failure (max_connections is unlimited here) */
	CHECK(broker_attach_fd(z->b, sv[1], peer, &z->cfg->listeners[0]) == 0, "attach failed");
	return true;
}

static void slot_write(struct fuzz *z, struct slot *s, const uint8_t *p, size_t n)
{
	int tries = 0;

	if (s->fd < 0 && !slot_open(z, s))
		return;
	while (n && s->fd >= 0) {
		ssize_t w = send(s->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w > 0) {
			slot_note_sent(s, p, (size_t)w);
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EAGAIN && tries++ < 8) {
			/* the broker is not reading (backpressure): let it run, then retry */
			run(z, 1);
			continue;
		}
		return; /* closed by the broker, or still full: the rest is lost */
	}
}

static void teardown(struct fuzz *z)
{
	for (int k = 0; k < SLOTS; k++) {
		if (z->s[k].fd >= 0) {
			z->s[k].no_read = false;
			slot_drain(z, &z->s[k]);
		}
		slot_close(z, &z->s[k]);
	}
	/* the broker sees the closes (wills, session detach), then shuts down */
	loop_run_once(z->l, 0);
	loop_run_once(z->l, 0);
	broker_shutdown(z->b);
	loop_run_once(z->l, 0);
	broker_free(z->b);
	loop_free(z->l);
	z->cfg->n_listeners = 1; /* counted again so that config_free frees it */
	config_free(z->cfg);
	msg_pool_trim(&z->mem); /* what main does at exit: the caches are not leaks */
	for (int i = 0; i < z->n_fds; i++)
		CHECK(fcntl(z->fds[i], F_GETFD) < 0 && errno == EBADF,
		      "broker-side fd %d still open after broker_free", z->fds[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	memset(filler, 'p', sizeof(filler));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz z = {0};
	uint64_t conns_before = conn_stats.conns_open;
	char err[256];
	size_t i = 1;

	if (size < 1)
		return 0;
	clock_offset_ms = 0;
	for (int k = 0; k < SLOTS; k++)
		z.s[k].fd = -1;
	z.cfg = fuzz_config(data[0]);
	z.l = loop_new();
	CHECK(z.cfg && z.l, "setup: out of memory");
	/* the listener entry stays in the array, uncounted: broker_new opens no socket */
	z.cfg->n_listeners = 0;
	msg_pool_init(&z.mem);
	z.b = broker_new(z.l, z.cfg, &z.mem, err, sizeof(err));
	CHECK(z.b, "broker_new: %s", err);

	while (i < size) {
		uint8_t tag = data[i++];
		struct slot *s = &z.s[tag & 3];
		unsigned arg = (tag >> 2) & 7, op = tag >> 5;

		switch (op) {
		case 4:
			slot_close(&z, s);
			break;
		case 5:
			if (s->fd >= 0)
				shutdown(s->fd, SHUT_WR);
			break;
		case 6:
			clock_offset_ms += clock_steps[arg];
			break;
		case 7:
			s->no_read = !s->no_read;
			break;
		default: {
			size_t n = i < size ? data[i++] : 0;
			size_t fill = op == 3 && i < size ? (size_t)data[i++] * 64 : 0;

			if (n > size - i)
				n = size - i;
			slot_write(&z, s, data + i, n);
			i += n;
			if (fill)
				slot_write(&z, s, filler, fill);
			break;
		}
		}
		run(&z, 2);
	}
	teardown(&z);
	CHECK(conn_stats.conns_open == conns_before, "%llu connections left open",
	      (unsigned long long)(conn_stats.conns_open - conns_before));
	CHECK(z.mem.bufs.live_bytes == 0, "%zu bytes accounted after teardown",
	      z.mem.bufs.live_bytes);
	return 0;
}
