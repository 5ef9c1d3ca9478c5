// SPDX-License-Identifier: MIT
/*
 * fastpath tests: the kernel fast path on real loopback TCP sockets, without the broker.
 * A fixture is two socket pairs: the publisher's client end `pc` writes MQTT frames that
 * arrive on the server socket `a` (the daemon's), and the server socket `b` (the subscriber's
 * connection) sends to the subscriber's client end `sc`. a and b are in the fast path with a
 * route (a, "t/x") -> b: what the verdict redirects shows up on sc, what it passes on a. The
 * test plays the daemon: it reads a and reports drained. Each write's outcome is awaited
 * before the next write (the kernel may merge segments waiting in a backlog into one skb).
 *
 * Needs root and a kernel with sk_skb/SOCKHASH/bpf_loop: otherwise exits 77 (skip), or 1
 * when MQTTGW_REQUIRE_BPF=1. New BUG/WARNING/Oops lines in the kernel log fail the run.
 * MQTTGW_FP_MEASURE=1 runs the measurements (throughput, latency) instead of the tests
 * (or =kernel1,relay32-big,latency,... a subset; MQTTGW_FP_MEASURE_N sets the count);
 * MQTTGW_FP_TEST=PATTERN runs only the matching tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fastpath.h"

#define IO_TIMEOUT_MS 5000
#define QUIET_MS      30
#define BIG_BUDGET    (1ULL << 40)

static struct fastpath *g_fp;
static int g_lfd = -1;
static in_port_t g_port;

/* ---- time, sockets, I/O ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void tcp_pair(int *cli, int *srv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = g_port};
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*cli >= 0);
	assert_int_equal(connect(*cli, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*srv = accept4(g_lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*srv >= 0);
	/* Each write is its own segment (small writes must not wait for an ACK). */
	assert_int_equal(setsockopt(*cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
}

/* Write everything, waiting at most IO_TIMEOUT_MS for buffer space each time. Thread-safe
 * (no cmocka assertion): returns 0 or -errno. */
static int xsend(int fd, const void *buf, size_t len, int flags)
{
	const uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		ssize_t n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL | flags);

		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, IO_TIMEOUT_MS) != 1)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int xwrite(int fd, const void *buf, size_t len)
{
	return xsend(fd, buf, len, 0);
}

static void write_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(xwrite(fd, buf, len), 0);
}

static int wait_readable(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, ms);
}

/* Read exactly len bytes within IO_TIMEOUT_MS (per read). */
static void read_exact(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n;

		assert_int_equal(wait_readable(fd, IO_TIMEOUT_MS), 1);
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static void expect_bytes(int fd, const void *exp, size_t len)
{
	uint8_t *got = malloc(len);

	assert_non_null(got);
	read_exact(fd, got, len);
	assert_memory_equal(got, exp, len);
	free(got);
}

/* Nothing (more) to read on fd for a short while. */
static void expect_quiet(int fd)
{
	uint8_t b;

	if (wait_readable(fd, QUIET_MS) == 1)
		assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK), -1);
}

/* ---- MQTT frames ---- */

static size_t put_varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;

	do {
		p[n] = v & 0x7f;
		v >>= 7;
		if (v)
			p[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

/* PUBLISH with fixed-header flags `flags` (DUP/QoS/RETAIN), packet id 1 when QoS > 0, and for
 * v5 a Property Length of 0 (or the given raw properties). */
static size_t mk_pub_props(uint8_t *buf, unsigned int flags, const char *topic, size_t tl,
			   const void *payload, size_t plen, uint8_t proto, const uint8_t *props,
			   size_t proplen)
{
	unsigned int qos = (flags >> 1) & 3;
	uint32_t rl = 2 + (uint32_t)tl + (qos ? 2 : 0) + (uint32_t)plen;
	size_t n = 0;

	if (proto == FP_PROTO_V5)
		rl += (uint32_t)(props ? proplen : 1);
	buf[n++] = 0x30 | (flags & 0x0f);
	n += put_varint(buf + n, rl);
	buf[n++] = (uint8_t)(tl >> 8);
	buf[n++] = (uint8_t)tl;
	memcpy(buf + n, topic, tl);
	n += tl;
	if (qos) {
		buf[n++] = 0;
		buf[n++] = 1;
	}
	if (proto == FP_PROTO_V5) {
		if (props) {
			memcpy(buf + n, props, proplen);
			n += proplen;
		} else {
			buf[n++] = 0;
		}
	}
	memcpy(buf + n, payload, plen);
	return n + plen;
}

static size_t mk_pub(uint8_t *buf, unsigned int flags, const char *topic, const char *payload)
{
	return mk_pub_props(buf, flags, topic, strlen(topic), payload, strlen(payload),
			    FP_PROTO_V311, NULL, 0);
}

/* Length of the complete frame at p[0..len), or 0 when incomplete. */
static size_t frame_len(const uint8_t *p, size_t len)
{
	uint32_t v = 0;
	size_t i;

	for (i = 1; i < len && i <= 4; i++) {
		v |= (uint32_t)(p[i] & 0x7f) << (7 * (i - 1));
		if (!(p[i] & 0x80))
			return 1 + i + v <= len ? 1 + i + v : 0;
	}
	return 0;
}

/* ---- counters ---- */

static struct fastpath_counters counters_now(void)
{
	struct fastpath_counters c;

	assert_int_equal(fastpath_counters(g_fp, &c), 0);
	return c;
}

static uint64_t passed_frames_total(const struct fastpath_counters *c)
{
	uint64_t t = 0;

	for (int i = 0; i < FP_PASS_NR; i++)
		t += c->passed_frames[i];
	return t;
}

/* ---- fixture ---- */

struct fx {
	int pc, a, sc, b;
	uint64_t ca, cb;
	uint64_t a_read; /* bytes the "daemon" read from a since it joined */
	uint8_t hold[65536]; /* the "daemon's" partial frame (drained counts whole frames only) */
	size_t hold_len;
	int seq;	 /* sentinel counter */
	struct fastpath_counters c0;
};

static uint64_t sock_add(int fd, uint8_t proto, uint64_t budget, uint32_t max_frame)
{
	struct fastpath_sock_opts o = {.proto = proto, .budget = budget, .max_frame = max_frame};
	uint64_t ck = 0;

	assert_int_equal(fastpath_sock_add(g_fp, fd, &o, &ck), 0);
	assert_true(ck != 0);
	return ck;
}

static struct fx *fx_new(uint8_t pa, uint8_t pb, uint64_t budget_b, uint32_t max_frame_b)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tcp_pair(&f->pc, &f->a);
	tcp_pair(&f->sc, &f->b);
	f->ca = sock_add(f->a, pa, 0, 0);
	f->cb = sock_add(f->b, pb, budget_b, max_frame_b);
	assert_int_equal(fastpath_route_add(g_fp, f->ca, "t/x", 3, f->cb), 0);
	f->c0 = counters_now();
	return f;
}

static void fx_free(struct fx *f)
{
	if (f->ca)
		fastpath_sock_remove(g_fp, f->ca);
	if (f->cb)
		fastpath_sock_remove(g_fp, f->cb);
	close(f->pc);
	close(f->a);
	close(f->sc);
	close(f->b);
	free(f);
}

static int fx_setup(void **state)
{
	*state = fx_new(FP_PROTO_V311, FP_PROTO_V311, BIG_BUDGET, 0);
	return 0;
}

static int fx_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* The daemon's side: what reaches a; `drain` reports it as dispatched. */
static void fx_expect_a(struct fx *f, const void *exp, size_t len, bool drain)
{
	const uint8_t *p = exp;
	size_t fl;

	expect_bytes(f->a, exp, len);
	f->a_read += len;
	if (!drain)
		return;
	/* Dispatch the complete frames: drained counts them, not a partial one (fastpath.h). */
	for (; len; p++, len--) {
		assert_true(f->hold_len < sizeof(f->hold));
		f->hold[f->hold_len++] = *p;
		fl = frame_len(f->hold, f->hold_len);
		if (fl && fl == f->hold_len)
			f->hold_len = 0;
	}
	assert_int_equal(fastpath_drained(g_fp, f->ca, f->a_read - f->hold_len), 0);
}

/* Write one chunk, expect it whole on sc (redirected) and nothing on a. */
static void send_redirected(struct fx *f, const void *buf, size_t len)
{
	write_all(f->pc, buf, len);
	expect_bytes(f->sc, buf, len);
}

/* Write one chunk, expect it whole on a (passed); the daemon drains it. */
static void send_passed(struct fx *f, const void *buf, size_t len)
{
	write_all(f->pc, buf, len);
	fx_expect_a(f, buf, len, true);
}

/*
 * An eligible frame must be redirected and arrive alone: proves the tracking is on a frame
 * boundary, nothing is pending in the daemon, and nothing else went to the subscriber.
 */
static void fx_sentinel(struct fx *f)
{
	uint8_t buf[64];
	char pl[32];
	size_t n;

	snprintf(pl, sizeof(pl), "sentinel-%d", f->seq++);
	n = mk_pub(buf, 0, "t/x", pl);
	send_redirected(f, buf, n);
	expect_quiet(f->sc);
	expect_quiet(f->a);
}

/* Change of a counter since the fixture was made, e.g. D(f, passed_frames[FP_PASS_QOS]). */
#define D(f, field) (counters_now().field - (f)->c0.field)

/* ---- tests: what is redirected ---- */

static void test_redirect_eligible(void **state)
{
	struct fx *f = *state;
	uint8_t buf[1024];
	size_t n = 0;

	for (int i = 0; i < 5; i++) {
		char pl[16];

		snprintf(pl, sizeof(pl), "batch-%d", i);
		n += mk_pub(buf + n, 0, "t/x", pl);
	}
	send_redirected(f, buf, n); /* five frames, one write */
	for (int i = 0; i < 3; i++) {
		n = mk_pub(buf, 0, "t/x", "single");
		send_redirected(f, buf, n);
	}
	expect_quiet(f->a);
	assert_int_equal(D(f, redirected_frames), 8);
	assert_int_equal(D(f, redirected_skbs), 4);
	{
		struct fastpath_counters c = counters_now();

		assert_int_equal(passed_frames_total(&c), passed_frames_total(&f->c0));
	}
}

/* ---- tests: what is passed ---- */

static void test_pass_qos_retain(void **state)
{
	struct fx *f = *state;
	uint8_t buf[128];
	size_t n;

	n = mk_pub(buf, 0x02, "t/x", "qos1");
	send_passed(f, buf, n);
	n = mk_pub(buf, 0x04, "t/x", "qos2");
	send_passed(f, buf, n);
	n = mk_pub(buf, 0x01, "t/x", "retained");
	send_passed(f, buf, n);
	/* DUP on QoS 0 is malformed [MQTT-3.3.1-2]: the daemon closes the client, the kernel
	 * must not forward it */
	n = mk_pub(buf, 0x08, "t/x", "dup at qos 0");
	send_passed(f, buf, n);
	fx_sentinel(f);
	assert_int_equal(D(f, passed_frames[FP_PASS_QOS]), 2);
	assert_int_equal(D(f, passed_frames[FP_PASS_RETAIN]), 1);
	assert_int_equal(D(f, passed_frames[FP_PASS_MALFORMED]), 1);
	assert_int_equal(D(f, redirected_frames), 1);
}

static void test_pass_no_route(void **state)
{
	struct fx *f = *state;
	uint8_t buf[128];
	size_t n;

	n = mk_pub(buf, 0, "t/unknown", "x");
	send_passed(f, buf, n);
	n = mk_pub(buf, 0, "t/xx", "prefix of a routed topic is not the topic");
	send_passed(f, buf, n);
	n = mk_pub(buf, 0, "t/", "nor is a prefix");
	send_passed(f, buf, n);
	fx_sentinel(f);
	assert_int_equal(D(f, passed_frames[FP_PASS_NO_ROUTE]), 3);
}

static void test_pass_other_types(void **state)
{
	static const uint8_t pingreq[] = {0xc0, 0x00};
	static const uint8_t puback[] = {0x40, 0x02, 0x00, 0x07};
	static const uint8_t subscribe[] = {0x82, 0x08, 0x00, 0x01, 0x00,
					    0x03, 't',	'/',  'x',  0x00};
	struct fx *f = *state;

	send_passed(f, pingreq, sizeof(pingreq));
	send_passed(f, puback, sizeof(puback));
	send_passed(f, subscribe, sizeof(subscribe));
	fx_sentinel(f);
	assert_int_equal(D(f, passed_frames[FP_PASS_NOT_PUBLISH]), 3);
}

static void test_pass_topic_too_long(void **state)
{
	struct fx *f = *state;
	char topic[200];
	uint8_t buf[512];
	size_t n;

	memset(topic, 'L', sizeof(topic));
	assert_int_equal(fastpath_route_add(g_fp, f->ca, topic, sizeof(topic), f->cb),
			 -ENAMETOOLONG);
	assert_int_equal(fastpath_route_add(g_fp, f->ca, topic, 0, f->cb), -EINVAL);
	/* The longest routable topic works. */
	assert_int_equal(fastpath_route_add(g_fp, f->ca, topic, FP_TOPIC_MAX, f->cb), 0);
	n = mk_pub_props(buf, 0, topic, FP_TOPIC_MAX, "max", 3, FP_PROTO_V311, NULL, 0);
	send_redirected(f, buf, n);
	n = mk_pub_props(buf, 0, topic, sizeof(topic), "long", 4, FP_PROTO_V311, NULL, 0);
	send_passed(f, buf, n);
	fx_sentinel(f);
	assert_int_equal(D(f, passed_frames[FP_PASS_TOPIC_LEN]), 1);
}

static void test_pass_mixed_skb(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	size_t n = 0;

	n += mk_pub(buf + n, 0, "t/x", "eligible");
	n += mk_pub(buf + n, 0x02, "t/x", "qos1 spoils the skb");
	n += mk_pub(buf + n, 0, "t/x", "eligible again");
	send_passed(f, buf, n);
	n = 0;
	n += mk_pub(buf + n, 0, "t/x", "eligible");
	n += mk_pub(buf + n, 0, "t/nowhere", "unrouted");
	send_passed(f, buf, n);
	fx_sentinel(f);
	/* One reason per skb: all its frames are counted under the first reason found. */
	assert_int_equal(D(f, passed_frames[FP_PASS_QOS]), 3);
	assert_int_equal(D(f, passed_frames[FP_PASS_NO_ROUTE]), 2);
}

static void test_pass_multi_target(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	uint64_t cc;
	size_t n = 0, n1;
	int cli, srv;

	tcp_pair(&cli, &srv);
	cc = sock_add(srv, FP_PROTO_V311, BIG_BUDGET, 0);
	assert_int_equal(fastpath_route_add(g_fp, f->ca, "t/y", 3, cc), 0);
	n += mk_pub(buf + n, 0, "t/x", "to b");
	n1 = n;
	n += mk_pub(buf + n, 0, "t/y", "to c");
	send_passed(f, buf, n);
	send_redirected(f, buf, n1);
	write_all(f->pc, buf + n1, n - n1);
	expect_bytes(cli, buf + n1, n - n1);
	fx_sentinel(f);
	assert_int_equal(D(f, passed_frames[FP_PASS_MULTI_TARGET]), 2);
	assert_int_equal(fastpath_sock_remove(g_fp, cc), 0);
	close(cli);
	close(srv);
}

/* ---- tests: frame tracking across skbs ---- */

static void test_split_frame(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	size_t n, m;

	/* One frame in two writes: both halves pass. */
	n = mk_pub(buf, 0, "t/x", "a frame cut in two");
	send_passed(f, buf, 10);
	send_passed(f, buf + 10, n - 10);
	fx_sentinel(f);
	/* [frame][half] then [rest][frame]: both skbs pass (end / start inside a frame). */
	n = mk_pub(buf, 0, "t/x", "first");
	m = mk_pub(buf + n, 0, "t/x", "second, cut");
	m += mk_pub(buf + n + m, 0, "t/x", "third");
	send_passed(f, buf, n + 7);
	send_passed(f, buf + n + 7, m - 7);
	fx_sentinel(f);
	/* A frame in three writes, the middle one all body. */
	n = mk_pub(buf, 0, "t/x", "0123456789012345678901234567890123456789");
	send_passed(f, buf, 3);
	send_passed(f, buf + 3, 20);
	send_passed(f, buf + 23, n - 23);
	fx_sentinel(f);
	/* The first skb of each cut ends inside a frame; the rest pass while the daemon holds
	 * the partial frame (order), unwalked. */
	assert_int_equal(D(f, passed_skbs[FP_PASS_SPLIT]), 3);
	assert_int_equal(D(f, passed_skbs[FP_PASS_ORDER]), 4);
}

static void test_split_remaining_length(void **state)
{
	struct fx *f = *state;
	static uint8_t buf[20000 + 64], payload[20000];
	size_t n;

	memset(payload, 'p', sizeof(payload));
	/* 2-byte Remaining Length, cut after the type byte and after its first byte. */
	n = mk_pub_props(buf, 0, "t/x", 3, payload, 300, FP_PROTO_V311, NULL, 0);
	assert_int_equal(buf[1] & 0x80, 0x80);
	send_passed(f, buf, 1);
	send_passed(f, buf + 1, 1);
	send_passed(f, buf + 2, n - 2);
	fx_sentinel(f);
	/* 3-byte Remaining Length, cut between every header byte, body in two. */
	n = mk_pub_props(buf, 0, "t/x", 3, payload, sizeof(payload), FP_PROTO_V311, NULL, 0);
	assert_true((buf[1] & 0x80) && (buf[2] & 0x80) && !(buf[3] & 0x80));
	send_passed(f, buf, 2);
	send_passed(f, buf + 2, 1);
	send_passed(f, buf + 3, 101);
	send_passed(f, buf + 104, n - 104);
	fx_sentinel(f);
	/* The same frame whole is eligible (one skb on loopback: MSS is 64 KiB). */
	n = mk_pub_props(buf, 0, "t/x", 3, payload, sizeof(payload), FP_PROTO_V311, NULL, 0);
	send_redirected(f, buf, n);
	fx_sentinel(f);
}

static void test_malformed_stream(void **state)
{
	static const uint8_t bad[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
	struct fastpath_sock_stats st;
	struct fx *f = *state;
	uint8_t buf[64];
	size_t n;

	/* The daemon cannot dispatch garbage (it closes the client): never drained. */
	write_all(f->pc, bad, sizeof(bad));
	fx_expect_a(f, bad, sizeof(bad), false);
	/* So even an eligible frame after it passes. */
	n = mk_pub(buf, 0, "t/x", "after garbage");
	write_all(f->pc, buf, n);
	fx_expect_a(f, buf, n, false);
	assert_int_equal(D(f, passed_skbs[FP_PASS_MALFORMED]), 1);
	assert_int_equal(D(f, passed_skbs[FP_PASS_ORDER]), 1);
	assert_int_equal(fastpath_sock_stats(g_fp, f->ca, &st), 0);
	assert_int_equal(st.passed, f->a_read);
}

/* ---- tests: policy ---- */

static void test_order(void **state)
{
	struct fx *f = *state;
	uint8_t q1[64], e[64];
	size_t nq, ne;

	nq = mk_pub(q1, 0x02, "t/x", "qos1 through the daemon");
	ne = mk_pub(e, 0, "t/x", "must not overtake");
	write_all(f->pc, q1, nq);
	fx_expect_a(f, q1, nq, false); /* read, not yet dispatched */
	write_all(f->pc, e, ne);
	fx_expect_a(f, e, ne, false); /* passed: the daemon still holds q1 */
	expect_quiet(f->sc);
	/* an skb passed for order is not walked: counted as an skb (and bytes), not frames */
	assert_int_equal(D(f, passed_skbs[FP_PASS_ORDER]), 1);
	assert_int_equal(fastpath_drained(g_fp, f->ca, f->a_read), 0);
	fx_sentinel(f);
}

static void test_budget(void **state)
{
	struct fastpath_sock_stats st;
	uint8_t buf[64];
	struct fx *f;
	size_t n;
	int i;

	(void)state;
	n = mk_pub(buf, 0, "t/x", "0123456789");
	f = fx_new(FP_PROTO_V311, FP_PROTO_V311, 2 * n, 0);
	send_redirected(f, buf, n);
	send_redirected(f, buf, n);
	send_passed(f, buf, n); /* budget spent */
	assert_int_equal(D(f, passed_frames[FP_PASS_BUDGET]), 1);
	assert_int_equal(D(f, over_budget), 1);
	assert_int_equal(fastpath_budget_grant(g_fp, f->cb, n), 0);
	send_redirected(f, buf, n);
	send_passed(f, buf, n);
	/* Refill from what b has sent and the subscriber acknowledged: one frame of window. */
	for (i = 0; i < 1000; i++) {
		assert_int_equal(fastpath_budget_refill(g_fp, f->cb, 0, n), 0);
		assert_int_equal(fastpath_sock_stats(g_fp, f->cb, &st), 0);
		if (st.credit == st.spent + n)
			break;
		usleep(1000);
	}
	assert_int_equal(st.spent, 3 * n);
	assert_int_equal(st.credit, 4 * n);
	send_redirected(f, buf, n);
	send_passed(f, buf, n);
	assert_int_equal(D(f, passed_frames[FP_PASS_BUDGET]), 3);
	fx_free(f);
}

static void test_busy(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	size_t n;

	n = mk_pub(buf, 0, "t/x", "daemon has output for b");
	assert_int_equal(fastpath_set_busy(g_fp, f->cb, true), 0);
	send_passed(f, buf, n);
	assert_int_equal(fastpath_set_busy(g_fp, f->cb, false), 0);
	fx_sentinel(f);
	assert_int_equal(D(f, passed_frames[FP_PASS_BUSY]), 1);
}

static void test_route_removed(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	size_t n;

	n = mk_pub(buf, 0, "t/x", "x");
	assert_int_equal(fastpath_route_del(g_fp, f->ca, "t/x", 3), 0);
	assert_int_equal(fastpath_route_del(g_fp, f->ca, "t/x", 3), -ENOENT);
	send_passed(f, buf, n);
	assert_int_equal(fastpath_route_add(g_fp, f->ca, "t/x", 3, f->cb), 0);
	fx_sentinel(f);
	/* Flushing the publisher's or the subscriber's routes invalidates the route at once. */
	assert_int_equal(fastpath_route_flush(g_fp, f->ca), 0);
	send_passed(f, buf, n);
	assert_int_equal(fastpath_route_add(g_fp, f->ca, "t/x", 3, f->cb), 0);
	fx_sentinel(f);
	assert_int_equal(fastpath_route_flush(g_fp, f->cb), 0);
	send_passed(f, buf, n);
	assert_int_equal(fastpath_route_add(g_fp, f->ca, "t/x", 3, f->cb), 0);
	fx_sentinel(f);
	/* after a flush of the publisher its skbs pass unwalked (FP_SLOT_F_ROUTED cleared) */
	assert_int_equal(D(f, passed_skbs[FP_PASS_NO_ROUTE]), 3);
}

static void test_target_removed(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	size_t n;

	n = mk_pub(buf, 0, "t/x", "target left the fast path");
	assert_int_equal(fastpath_sock_remove(g_fp, f->cb), 0);
	assert_int_equal(fastpath_sock_remove(g_fp, f->cb), -ENOENT);
	send_passed(f, buf, n);
	expect_quiet(f->sc);
	/* b joins again (new slot, same cookie): routes of its first life stay invalid. */
	f->cb = sock_add(f->b, FP_PROTO_V311, BIG_BUDGET, 0);
	send_passed(f, buf, n);
	assert_int_equal(fastpath_route_add(g_fp, f->ca, "t/x", 3, f->cb), 0);
	fx_sentinel(f);
	assert_int_equal(
	    D(f, passed_frames[FP_PASS_NO_TARGET]) + D(f, passed_frames[FP_PASS_NO_ROUTE]), 2);
}

static void test_target_closed(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64], c;
	size_t n;

	/* Closed without fastpath_sock_remove(): the kernel took it out of the sockhash, the
	 * slot still looks alive, the redirect helper finds no socket -> must pass, not drop. */
	n = mk_pub(buf, 0, "t/x", "target closed");
	close(f->b);
	f->b = -1;
	assert_int_equal(wait_readable(f->sc, IO_TIMEOUT_MS), 1);
	assert_int_equal(recv(f->sc, &c, 1, 0), 0); /* EOF */
	send_passed(f, buf, n);
	assert_int_equal(D(f, passed_frames[FP_PASS_NO_TARGET]), 1);
	assert_int_equal(fastpath_sock_remove(g_fp, f->cb), 0);
	f->cb = 0;
}

static void test_too_large_and_proto(void **state)
{
	uint8_t buf[128];
	struct fx *f;
	size_t n;

	(void)state;
	f = fx_new(FP_PROTO_V311, FP_PROTO_V311, BIG_BUDGET, 40);
	n = mk_pub(buf, 0, "t/x", "fits in 40");
	assert_true(n <= 40);
	send_redirected(f, buf, n);
	n = mk_pub(buf, 0, "t/x", "this frame is longer than forty bytes, so it passes");
	send_passed(f, buf, n);
	assert_int_equal(D(f, passed_frames[FP_PASS_TOO_LARGE]), 1);
	fx_free(f);

	f = fx_new(FP_PROTO_V5, FP_PROTO_V311, BIG_BUDGET, 0);
	n = mk_pub_props(buf, 0, "t/x", 3, "v5 to v3.1.1", 12, FP_PROTO_V5, NULL, 0);
	send_passed(f, buf, n);
	assert_int_equal(D(f, passed_frames[FP_PASS_PROTO]), 1);
	fx_free(f);
}

static void test_v5(void **state)
{
	static const uint8_t alias[] = {3, 0x23, 0x00, 0x01}; /* Topic Alias 1 */
	uint8_t buf[128];
	struct fx *f;
	size_t n;

	(void)state;
	f = fx_new(FP_PROTO_V5, FP_PROTO_V5, BIG_BUDGET, 0);
	n = mk_pub_props(buf, 0, "t/x", 3, "no properties", 13, FP_PROTO_V5, NULL, 0);
	send_redirected(f, buf, n);
	n = mk_pub_props(buf, 0, "t/x", 3, "aliased", 7, FP_PROTO_V5, alias, sizeof(alias));
	send_passed(f, buf, n);
	n = mk_pub_props(buf, 0, "", 0, "alias only", 10, FP_PROTO_V5, alias, sizeof(alias));
	send_passed(f, buf, n);
	assert_int_equal(D(f, passed_frames[FP_PASS_PROPS]), 1);
	assert_int_equal(D(f, passed_frames[FP_PASS_TOPIC_LEN]), 1);
	/* a Remaining Length longer than needed is malformed in v5 [MQTT-1.5.5-1] */
	n = mk_pub_props(buf + 1, 0, "t/x", 3, "long length", 11, FP_PROTO_V5, NULL, 0);
	buf[0] = buf[1];
	buf[1] = buf[2] | 0x80;
	buf[2] = 0;
	send_passed(f, buf, n + 1);
	assert_int_equal(D(f, passed_frames[FP_PASS_MALFORMED]), 1);
	n = mk_pub_props(buf, 0, "t/x", 3, "again", 5, FP_PROTO_V5, NULL, 0);
	send_redirected(f, buf, n);
	fx_free(f);
}

static void test_fin_passes(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64], c;
	size_t n;

	n = mk_pub(buf, 0, "t/x", "last words");
	send_redirected(f, buf, n);
	assert_int_equal(shutdown(f->pc, SHUT_WR), 0);
	assert_int_equal(wait_readable(f->a, IO_TIMEOUT_MS), 1);
	assert_int_equal(recv(f->a, &c, 1, 0), 0); /* the FIN reached the daemon */
	expect_quiet(f->sc);
}

/* Bytes that arrived before the add go through the verdict on the first read. */
static void test_pre_attach_data(void **state)
{
	struct fastpath_sock_stats st;
	uint8_t buf[256], tmp[256];
	struct fx *f = *state;
	uint64_t ck;
	size_t n = 0;
	int cli, srv;

	tcp_pair(&cli, &srv);
	n += mk_pub(buf + n, 0, "t/x", "early one");
	n += mk_pub(buf + n, 0, "t/x", "early two");
	write_all(cli, buf, n);
	usleep(20000); /* in srv's receive queue, before the add */
	ck = sock_add(srv, FP_PROTO_V311, 0, 0);
	/* No route yet: passed to the daemon, and counted as passed. */
	expect_bytes(srv, buf, n);
	assert_int_equal(fastpath_sock_stats(g_fp, ck, &st), 0);
	assert_int_equal(st.passed, n);
	assert_int_equal(fastpath_drained(g_fp, ck, n), 0);
	/* With a route, early bytes are redirected by the first read (which finds nothing). */
	assert_int_equal(fastpath_sock_remove(g_fp, ck), 0);
	write_all(cli, buf, n);
	usleep(20000);
	ck = sock_add(srv, FP_PROTO_V311, 0, 0);
	assert_int_equal(fastpath_route_add(g_fp, ck, "t/x", 3, f->cb), 0);
	assert_int_equal(recv(srv, tmp, sizeof(tmp), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	expect_bytes(f->sc, buf, n);
	assert_int_equal(fastpath_sock_remove(g_fp, ck), 0);
	close(cli);
	close(srv);
}

/*
 * Invariant 1: fastpath_tx_quiet() is false while redirected bytes wait in the kernel's
 * queue towards b and true once they all entered b's TCP send queue; daemon writes count.
 */
static void test_tx_quiet(void **state)
{
	static uint8_t buf[64 * 1024];
	struct fx *f = *state;
	uint8_t frame[64];
	size_t n, total = 0;
	int i, q = 0, rounds;

	n = mk_pub(frame, 0, "t/x", "0123456789abcdef0123456789abcdef");
	assert_int_equal(fastpath_tx_quiet(g_fp, f->cb, 0), 1);
	/*
	 * 8 MiB while the subscriber does not read: b's send buffer and sc's receive buffer
	 * fill, the rest waits in b's psock queue. Writes of whole frames below the MSS (one
	 * write, one segment): a larger write is cut at MSS boundaries, inside frames, and
	 * those skbs would pass.
	 */
	for (i = 0; i + n <= 16384; i += n)
		memcpy(buf + i, frame, n);
	rounds = (8 << 20) / i;
	for (int r = 0; r < rounds; r++) {
		write_all(f->pc, buf, (size_t)i);
		total += (size_t)i;
	}
	usleep(50000);
	assert_int_equal(fastpath_tx_quiet(g_fp, f->cb, 0), 0);
	/* Read everything (intact), then the queue drains. */
	for (size_t got = 0; got < total; got += sizeof(buf) / n * n) {
		size_t chunk =
		    total - got < sizeof(buf) / n * n ? total - got : sizeof(buf) / n * n;

		read_exact(f->sc, buf, chunk);
		for (size_t k = 0; k < chunk; k += n)
			assert_memory_equal(buf + k, frame, n);
	}
	for (i = 0; i < 2000 && (q = fastpath_tx_quiet(g_fp, f->cb, 0)) == 0; i++)
		usleep(1000);
	assert_int_equal(q, 1);
	/* The daemon's own write, done by the book: busy, quiet, write. */
	assert_int_equal(fastpath_set_busy(g_fp, f->cb, true), 0);
	assert_int_equal(fastpath_tx_quiet(g_fp, f->cb, 0), 1);
	write_all(f->b, frame, n);
	expect_bytes(f->sc, frame, n);
	for (i = 0; i < 2000 && (q = fastpath_tx_quiet(g_fp, f->cb, n)) == 0; i++)
		usleep(1000);
	assert_int_equal(q, 1);
	assert_int_equal(fastpath_set_busy(g_fp, f->cb, false), 0);
	fx_sentinel(f);
}

/* ---- streams: a stand-in daemon, a subscriber that checks every frame ---- */

/* A 15-byte PUBLISH "t/x" QoS 0 whose payload is a 64-bit sequence number. */
#define SEQ_FRAME 15

static void mk_seq_frame(uint8_t *p, uint64_t seq)
{
	static const uint8_t hdr[7] = {0x30, 13, 0, 3, 't', '/', 'x'};

	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), &seq, sizeof(seq));
}

/*
 * The daemon's half of a flow a -> b, run in a thread. With the fast path it follows the
 * protocol of include/fastpath.h: dispatch what was passed, set b busy while it holds output
 * for b, report drained, write to b only when the redirect queue is quiet. Without it, it is
 * the plain userspace relay of the measurements (read, write).
 */
struct relay {
	int in_fd, out_fd;
	uint64_t cin, cout; /* cookies, fast mode */
	bool fast;
	volatile bool stop;
	uint64_t read_bytes, written;
	int err; /* errno of the first failure, 0 */
};

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	size_t cap = 1 << 20, inlen = 0, qlen = 0, qoff = 0, qcap = 1 << 20;
	uint8_t *in = malloc(cap), *q = malloc(qcap);
	bool busy = false;

	if (!in || !q) {
		r->err = ENOMEM;
		goto out;
	}
	while (!r->stop) {
		if (wait_readable(r->in_fd, qlen ? 0 : 2) == 1) {
			ssize_t n = recv(r->in_fd, in + inlen, cap - inlen, MSG_DONTWAIT);

			if (n == 0)
				break;
			if (n < 0 && errno != EAGAIN) {
				r->err = errno;
				break;
			}
			if (n > 0 && !r->fast) {
				int e = xwrite(r->out_fd, in, (size_t)n);

				if (e) {
					r->err = -e;
					break;
				}
				r->read_bytes += (uint64_t)n;
				continue;
			}
			if (n > 0) {
				size_t off = 0, fl;

				r->read_bytes += (uint64_t)n;
				inlen += (size_t)n;
				while ((fl = frame_len(in + off, inlen - off)))
					off += fl; /* dispatch complete frames to b's queue */
				if (qoff + qlen + off > qcap) {
					memmove(q, q + qoff, qlen);
					qoff = 0;
				}
				if (qlen + off > qcap) {
					qcap = 2 * (qlen + off);
					q = realloc(q, qcap);
					if (!q) {
						r->err = ENOMEM;
						goto out;
					}
				}
				memcpy(q + qoff + qlen, in, off);
				qlen += off;
				memmove(in, in + off, inlen - off);
				inlen -= off;
				/* Busy before drained: once drained says "nothing pending", a
				 * redirect to b would overtake the frames queued here. */
				if (qlen && !busy) {
					fastpath_set_busy(g_fp, r->cout, true);
					busy = true;
				}
				/* whole frames only: the partial one left in `in` is not drained */
				fastpath_drained(g_fp, r->cin, r->read_bytes - inlen);
			}
		}
		if (qlen && fastpath_tx_quiet(g_fp, r->cout, r->written) == 1) {
			ssize_t w = send(r->out_fd, q + qoff, qlen, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w < 0 && errno != EAGAIN) {
				r->err = errno;
				break;
			}
			if (w > 0) {
				r->written += (uint64_t)w;
				qoff += (size_t)w;
				qlen -= (size_t)w;
			}
		}
		if (!qlen && busy) {
			qoff = 0;
			fastpath_set_busy(g_fp, r->cout, false);
			busy = false;
		}
	}
out:
	free(in);
	free(q);
	return NULL;
}

/* The subscriber: reads fd until `expect` sequence frames arrived, each intact and in order. */
struct sub {
	int fd;
	uint64_t expect, next;
	uint64_t t_done;
	int err;	 /* 0, ETIMEDOUT, EBADMSG (corrupt or out of order) */
	uint64_t bad_at; /* sequence where it went wrong */
};

static void *sub_main(void *arg)
{
	struct sub *s = arg;
	size_t cap = 1 << 20, len = 0, off;
	uint8_t *buf = malloc(cap), exp[SEQ_FRAME];

	if (!buf) {
		s->err = ENOMEM;
		return NULL;
	}
	while (s->next < s->expect) {
		ssize_t n;

		if (wait_readable(s->fd, 20000) != 1) {
			s->err = ETIMEDOUT;
			break;
		}
		n = recv(s->fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && errno == EAGAIN)
				continue;
			s->err = n ? errno : EPIPE;
			break;
		}
		len += (size_t)n;
		for (off = 0; len - off >= SEQ_FRAME; off += SEQ_FRAME) {
			mk_seq_frame(exp, s->next);
			if (memcmp(buf + off, exp, SEQ_FRAME)) {
				s->err = EBADMSG;
				s->bad_at = s->next;
				goto out;
			}
			s->next++;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
out:
	s->t_done = now_ns();
	free(buf);
	return NULL;
}

/* CPU time so far, in us: [0] machine-wide system+irq+softirq (the kernel path's work runs
 * in softirq and kworkers, not in this process), [1] this process's user time. */
static void cpu_now(double t[2])
{
	unsigned long long v[7] = {0};
	FILE *f = fopen("/proc/stat", "re");
	struct rusage ru;

	if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			&v[4], &v[5], &v[6]) != 7)
		memset(v, 0, sizeof(v));
	if (f)
		fclose(f);
	t[0] = (double)(v[2] + v[5] + v[6]) * 1e6 / (double)sysconf(_SC_CLK_TCK);
	getrusage(RUSAGE_SELF, &ru);
	t[1] = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec;
}

struct stream_res {
	struct fastpath_counters d;   /* counter deltas */
	double secs, sys_us, user_us; /* per message */
	uint64_t redirected, passed;
	int sub_err, relay_err;
	uint64_t bad_at, got;
};

/* What run_stream() sends. */
struct stream_cfg {
	bool fast;     /* through the fast path (a and b joined, route installed) */
	uint64_t n;    /* frames */
	int per_write; /* frames per send() */
	int wflags;    /* send() flags, e.g. MSG_EOR */
	int cut_every; /* every cut_every-th write is sent in two parts, cut inside a frame */
	uint64_t rate; /* frames per second, 0: as fast as possible */
};

/*
 * Stream sequence frames pc -> (a -> b) -> sc: through the fast path, where the stand-in
 * daemon follows the protocol for what is passed, or through the plain relay. Socket setup
 * is the caller's.
 */
static void run_stream(int pc, int a, int b, int sc, uint64_t ca, uint64_t cb,
		       const struct stream_cfg *cfg, struct stream_res *res)
{
	struct relay r = {.in_fd = a, .out_fd = b, .cin = ca, .cout = cb, .fast = cfg->fast};
	struct sub s = {.fd = sc, .expect = cfg->n};
	struct fastpath_counters c0, c1;
	double cpu0[2], cpu1[2];
	pthread_t tr, ts;
	uint8_t *batch = malloc((size_t)cfg->per_write * SEQ_FRAME);
	uint64_t t0, seq = 0, writes = 0;

	assert_non_null(batch);
	c0 = counters_now();
	assert_int_equal(pthread_create(&ts, NULL, sub_main, &s), 0);
	assert_int_equal(pthread_create(&tr, NULL, relay_main, &r), 0);
	cpu_now(cpu0);
	t0 = now_ns();
	while (seq < cfg->n) {
		size_t len, cut = 0;
		int k = 0;

		for (; k < cfg->per_write && seq < cfg->n; k++, seq++)
			mk_seq_frame(batch + (size_t)k * SEQ_FRAME, seq);
		len = (size_t)k * SEQ_FRAME;
		if (cfg->cut_every && ++writes % (uint64_t)cfg->cut_every == 0)
			cut = len - SEQ_FRAME / 2;
		if (cut) {
			assert_int_equal(xsend(pc, batch, cut, cfg->wflags), 0);
			usleep(200); /* let the first part be its own skb at a */
		}
		assert_int_equal(xsend(pc, batch + cut, len - cut, cfg->wflags), 0);
		if (cfg->rate) { /* paced: sleep until this write's time (same cost both paths) */
			uint64_t at = t0 + seq * 1000000000ULL / cfg->rate;
			struct timespec ts_at = {.tv_sec = (time_t)(at / 1000000000ULL),
						 .tv_nsec = (long)(at % 1000000000ULL)};

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts_at, NULL);
		}
	}
	pthread_join(ts, NULL);
	res->secs = (double)(s.t_done - t0) / 1e9;
	cpu_now(cpu1);
	res->sys_us = (cpu1[0] - cpu0[0]) / (double)cfg->n;
	res->user_us = (cpu1[1] - cpu0[1]) / (double)cfg->n;
	r.stop = true;
	pthread_join(tr, NULL);
	c1 = counters_now();
	res->d.redirected_skbs = c1.redirected_skbs - c0.redirected_skbs;
	for (int i = 0; i < FP_PASS_NR; i++) {
		res->d.passed_skbs[i] = c1.passed_skbs[i] - c0.passed_skbs[i];
		res->d.passed_frames[i] = c1.passed_frames[i] - c0.passed_frames[i];
	}
	res->redirected = c1.redirected_frames - c0.redirected_frames;
	res->passed = passed_frames_total(&c1) - passed_frames_total(&c0);
	res->sub_err = s.err;
	res->relay_err = r.err;
	res->bad_at = s.bad_at;
	res->got = s.next;
	free(batch);
}

/* "reason=frames/skbs ..." of the pass counters that moved. */
static void print_reasons(const struct stream_res *res)
{
	printf("#   redirected skbs %" PRIu64 "; passed (frames/skbs):", res->d.redirected_skbs);
	for (int i = 0; i < FP_PASS_NR; i++)
		if (res->d.passed_skbs[i])
			printf(" %s=%" PRIu64 "/%" PRIu64, fastpath_reason_name((unsigned int)i),
			       res->d.passed_frames[i], res->d.passed_skbs[i]);
	printf("\n");
}

/* ---- tests: volume ---- */

static void stream_report(const char *what, const struct stream_cfg *cfg,
			  const struct stream_res *res)
{
	printf("# %s: %" PRIu64 " frames in %.2f s, %.0f msg/s, %" PRIu64 " redirected, %" PRIu64
	       " through the daemon\n",
	       what, cfg->n, res->secs, (double)res->got / res->secs, res->redirected, res->passed);
	print_reasons(res);
	if (res->sub_err)
		printf("# subscriber: %s at sequence %" PRIu64 " (%" PRIu64 " received)\n",
		       strerror(res->sub_err), res->bad_at, res->got);
}

/*
 * One million frames, 32 per write, each write sent with MSG_EOR: the publisher's TCP then
 * never merges two writes into one skb (it does under load otherwise, and cuts segments at
 * its size goal, inside frames), so every skb holds whole frames and all are redirected.
 * Every frame must arrive intact and in order.
 */
static void test_million_frames(void **state)
{
	const struct stream_cfg cfg = {
	    .fast = true, .n = 1000000, .per_write = 32, .wflags = MSG_EOR};
	struct fx *f = *state;
	struct stream_res res;

	run_stream(f->pc, f->a, f->b, f->sc, f->ca, f->cb, &cfg, &res);
	stream_report("32 per write, MSG_EOR", &cfg, &res);
	assert_int_equal(res.sub_err, 0);
	assert_int_equal(res.relay_err, 0);
	assert_int_equal(res.got, cfg.n);
	assert_int_equal(res.redirected, cfg.n);
	assert_int_equal(res.passed, 0);
	assert_true(res.secs < 60.0);
	fx_sentinel(f);
}

/*
 * Path switches under load: every 500th write is cut inside a frame, so its two skbs pass
 * (split), the skbs after them pass until the stand-in daemon drained (order) and while it
 * still has output for b (busy), then redirects resume. Every frame must still arrive
 * intact and in order (invariants 1 and 2), and both paths must have carried frames.
 */
static void test_million_frames_path_switches(void **state)
{
	const struct stream_cfg cfg = {
	    .fast = true, .n = 1000000, .per_write = 32, .cut_every = 500};
	struct fx *f = *state;
	struct stream_res res;

	run_stream(f->pc, f->a, f->b, f->sc, f->ca, f->cb, &cfg, &res);
	stream_report("32 per write, every 500th cut", &cfg, &res);
	assert_int_equal(res.sub_err, 0);
	assert_int_equal(res.relay_err, 0);
	assert_int_equal(res.got, cfg.n);
	/* skbs passed for order are not walked: their frames are not counted */
	assert_true(res.redirected + res.passed <= cfg.n);
	/* Not every cut makes a split skb: both parts can still meet in a's backlog. */
	assert_true(res.d.passed_skbs[FP_PASS_SPLIT] > 0);
	assert_true(res.redirected > 0);
	assert_true(res.secs < 60.0);
	fx_sentinel(f);
}

/* ---- measurements (MQTTGW_FP_MEASURE=1) ---- */

static void set_bufs(int pc, int a, int b, int sc)
{
	/* As the daemon would for targets (send buffer) and as a fair baseline, every
	 * buffer on the path at the sysctl maximum. */
	assert_int_equal(fastpath_sock_bufs(g_fp, pc, -1, 0), 0);
	assert_int_equal(fastpath_sock_bufs(g_fp, a, 0, -1), 0);
	assert_int_equal(fastpath_sock_bufs(g_fp, b, -1, 0), 0);
	assert_int_equal(fastpath_sock_bufs(g_fp, sc, 0, -1), 0);
}

enum bufs { BUFS_DEFAULT, BUFS_BIG, BUFS_SMALL, BUFS_PACED };
static const char *const bufs_name[] = {"", "-big", "-small", "-paced"};

static void measure_stream(bool fast, int per_write, enum bufs bufs, uint64_t n)
{
	struct stream_res res;
	uint64_t ca = 0, cb = 0;
	int pc, a, sc, b, sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);

	tcp_pair(&pc, &a);
	tcp_pair(&sc, &b);
	if (bufs == BUFS_BIG)
		set_bufs(pc, a, b, sc);
	if (bufs == BUFS_SMALL) /* a target with a 64 KiB send buffer (128 KiB effective) */
		assert_int_equal(fastpath_sock_bufs(g_fp, b, 65536, 0), 0);
	getsockopt(b, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
	if (fast) {
		ca = sock_add(a, FP_PROTO_V311, 0, 0);
		cb = sock_add(b, FP_PROTO_V311, BIG_BUDGET, 0);
		assert_int_equal(fastpath_route_add(g_fp, ca, "t/x", 3, cb), 0);
	}
	{
		/* paced: default buffers, 20,000 msg/s (1/write) or 200,000 (32/write) */
		const struct stream_cfg cfg = {.fast = fast,
					       .n = n,
					       .per_write = per_write,
					       .rate = bufs != BUFS_PACED ? 0
						       : per_write == 1	  ? 20000
									  : 200000};

		run_stream(pc, a, b, sc, ca, cb, &cfg, &res);
	}
	printf("%-6s %2d/write %-7s sndbuf(b)=%-7d %7" PRIu64
	       " msgs %5.2f s %8.0f msg/s  sys+softirq %5.2f us/msg  user %5.2f us/msg",
	       fast ? "kernel" : "relay", per_write, bufs ? bufs_name[bufs] + 1 : "default", sndbuf,
	       n, res.secs, (double)res.got / res.secs, res.sys_us, res.user_us);
	if (fast)
		printf("  redirected %.1f%%", 100.0 * (double)res.redirected / (double)n);
	if (res.sub_err || res.relay_err)
		printf("  ERROR sub=%s relay=%s got=%" PRIu64, strerror(res.sub_err),
		       strerror(res.relay_err), res.got);
	printf("\n");
	if (fast)
		print_reasons(&res);
	fflush(stdout);
	if (fast) {
		fastpath_sock_remove(g_fp, ca);
		fastpath_sock_remove(g_fp, cb);
	}
	close(pc);
	close(a);
	close(sc);
	close(b);
}

/* Userspace relay in both directions, for the latency baseline. */
struct relay2 {
	int a, b;
	volatile bool stop;
};

static void *relay2_main(void *arg)
{
	struct relay2 *r = arg;
	struct pollfd p[2] = {{.fd = r->a, .events = POLLIN}, {.fd = r->b, .events = POLLIN}};
	uint8_t buf[4096];

	while (!r->stop) {
		if (poll(p, 2, 10) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			n = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n <= 0 || xwrite(p[1 - i].fd, buf, (size_t)n))
				return NULL;
		}
	}
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void measure_latency(bool fast, int iters)
{
	struct relay2 r = {0};
	uint64_t *rtt = calloc((size_t)iters, sizeof(*rtt)), ca = 0, cb = 0;
	uint8_t ping[32], pong[32], buf[32];
	size_t np, nq;
	pthread_t t;
	int pc, a, sc, b, warm = 1000;

	assert_non_null(rtt);
	tcp_pair(&pc, &a);
	tcp_pair(&sc, &b);
	np = mk_pub(ping, 0, "ping", "0123456789");
	nq = mk_pub(pong, 0, "pong", "0123456789");
	if (fast) {
		ca = sock_add(a, FP_PROTO_V311, BIG_BUDGET, 0);
		cb = sock_add(b, FP_PROTO_V311, BIG_BUDGET, 0);
		assert_int_equal(fastpath_route_add(g_fp, ca, "ping", 4, cb), 0);
		assert_int_equal(fastpath_route_add(g_fp, cb, "pong", 4, ca), 0);
	} else {
		r.a = a;
		r.b = b;
		assert_int_equal(pthread_create(&t, NULL, relay2_main, &r), 0);
	}
	for (int i = -warm; i < iters; i++) {
		uint64_t t0 = now_ns();

		write_all(pc, ping, np);
		read_exact(sc, buf, np);
		write_all(sc, pong, nq);
		read_exact(pc, buf, nq);
		if (i >= 0)
			rtt[i] = now_ns() - t0;
		usleep(100); /* idle between messages: the light-load case */
	}
	qsort(rtt, (size_t)iters, sizeof(*rtt), cmp_u64);
	printf("%-7s ping-pong RTT over %d (one relay hop each way): p50 %.1f us"
	       "  p90 %.1f us  p99 %.1f us  (one-way p50 %.1f us)\n",
	       fast ? "kernel" : "relay", iters, rtt[iters / 2] / 1e3, rtt[iters * 9 / 10] / 1e3,
	       rtt[iters * 99 / 100] / 1e3, rtt[iters / 2] / 2e3);
	fflush(stdout);
	if (fast) {
		fastpath_sock_remove(g_fp, ca);
		fastpath_sock_remove(g_fp, cb);
	} else {
		r.stop = true;
		pthread_join(t, NULL);
	}
	close(pc);
	close(a);
	close(sc);
	close(b);
	free(rtt);
}

/* MQTTGW_FP_MEASURE is "1" (every case) or a comma-separated list of case names. */
static bool measure_case(const char *name)
{
	const char *m = getenv("MQTTGW_FP_MEASURE"), *p;
	size_t n = strlen(name);

	if (!m || !strcmp(m, "1"))
		return true;
	for (p = m; (p = strstr(p, name)); p += n)
		if ((p == m || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void test_measure(void **state)
{
	const char *nv = getenv("MQTTGW_FP_MEASURE_N");
	uint64_t n32 = nv ? strtoull(nv, NULL, 10) : 2000000, n1 = n32 / 10;
	char name[32];

	(void)state;
	printf("# throughput: pc -> a -> (kernel redirect | userspace relay) -> b -> sc\n");
	if (measure_case("relay1-paced") || measure_case("kernel1-paced")) {
		double c0[2], c1[2];

		cpu_now(c0);
		sleep(5);
		cpu_now(c1);
		printf(
		    "# machine sys+softirq with no traffic: %.1f ms/s (other processes; subtract "
		    "it from paced runs)\n",
		    (c1[0] - c0[0]) / 5e3);
	}
	for (int bufs = BUFS_DEFAULT; bufs <= BUFS_PACED; bufs++) {
		for (int fast = 0; fast < 2; fast++) {
			for (int pw = 1; pw <= 32; pw += 31) {
				snprintf(name, sizeof(name), "%s%d%s", fast ? "kernel" : "relay",
					 pw, bufs_name[bufs]);
				if (!measure_case(name))
					continue;
				if (bufs == BUFS_PACED) /* 10 s at 20,000 or 200,000 msg/s */
					measure_stream(fast, pw, BUFS_PACED,
						       pw == 1 ? 200000 : 2000000);
				else
					measure_stream(fast, pw, (enum bufs)bufs,
						       pw == 1 ? n1 : n32);
			}
		}
	}
	if (measure_case("latency")) {
		printf("# latency: pc -> a -> b -> sc, then sc -> b -> a -> pc, 100 us idle\n");
		measure_latency(false, 20000);
		measure_latency(true, 20000);
	}
}

/* ---- kernel log (invariant 6) ---- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Number of new BUG/WARNING/Oops records since kmsg_open(); prints them. */
static int kmsg_check(int fd)
{
	char rec[8192];
	int bad = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg;

		if (n < 0)
			continue; /* overwritten records: keep reading */
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (strstr(msg, "BUG") || strstr(msg, "WARNING") || strstr(msg, "Oops")) {
			printf("kernel: %s", msg);
			bad++;
		}
	}
	return bad;
}

/* ---- main ---- */

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_redirect_eligible, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pass_qos_retain, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pass_no_route, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pass_other_types, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pass_topic_too_long, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pass_mixed_skb, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pass_multi_target, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_split_frame, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_split_remaining_length, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_stream, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_order, fx_setup, fx_teardown),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test_setup_teardown(test_busy, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_route_removed, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_target_removed, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_target_closed, fx_setup, fx_teardown),
	    cmocka_unit_test(test_too_large_and_proto),
	    cmocka_unit_test(test_v5),
	    cmocka_unit_test_setup_teardown(test_fin_passes, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pre_attach_data, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_tx_quiet, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_million_frames, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_million_frames_path_switches, fx_setup,
					    fx_teardown),
	};
	const struct CMUnitTest measure[] = {cmocka_unit_test(test_measure)};
	const char *req = getenv("MQTTGW_REQUIRE_BPF"), *why = NULL;
	bool measuring = getenv("MQTTGW_FP_MEASURE") && *getenv("MQTTGW_FP_MEASURE") &&
			 strcmp(getenv("MQTTGW_FP_MEASURE"), "0");
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	char err[512] = "";
	int rc, kfd, bad;

	signal(SIGPIPE, SIG_IGN);
	/* Everything below is bounded: a wedged socket fails the run instead of hanging it. */
	alarm(measuring ? 900 : 240);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		why = "not root";
	else if (fastpath_init(&g_fp, CONFIG_FASTPATH_ON, err, sizeof(err)) || !g_fp)
		why = err[0] ? err : "fastpath_init failed";
	if (why) {
		if (req && !strcmp(req, "1")) {
			printf("FAIL: MQTTGW_REQUIRE_BPF=1 but the kernel fast path is "
			       "unavailable: %s\n",
			       why);
			return 1;
		}
		printf("SKIP: kernel fast path unavailable: %s\n", why);
		return 77;
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g_lfd < 0 || bind(g_lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(g_lfd, 16) ||
	    getsockname(g_lfd, (struct sockaddr *)&sa, &sl)) {
		printf("FAIL: loopback listener: %s\n", strerror(errno));
		return 1;
	}
	g_port = sa.sin_port;

	kfd = kmsg_open();
	if (getenv("MQTTGW_FP_TEST")) /* run only the tests matching this pattern */
		cmocka_set_test_filter(getenv("MQTTGW_FP_TEST"));
	if (measuring)
		rc = cmocka_run_group_tests_name("fastpath measurements", measure, NULL, NULL);
	else
		rc = cmocka_run_group_tests_name("fastpath", tests, NULL, NULL);
	bad = kmsg_check(kfd);
	if (kfd >= 0)
		close(kfd);
	else
		printf("# /dev/kmsg unavailable: kernel log not checked\n");
	if (bad) {
		printf("FAIL: %d new BUG/WARNING/Oops line(s) in the kernel log (invariant 6)\n",
		       bad);
		rc = rc ? rc : 1;
	}
	close(g_lfd);
	fastpath_free(g_fp);
	return rc;
}
