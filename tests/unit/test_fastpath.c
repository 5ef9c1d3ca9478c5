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
 * MQTTGW_FP_TEST=PATTERN runs only the matching tests. The measurements (throughput, latency)
 * are a program of their own: tests/bench/fastpath/fp_measure.c. Shared helpers: fp_harness.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fp_harness.h"

/* ---- fixture ---- */

struct fx {
	int pc, a, sc, b;
	uint64_t ca, cb;
	uint64_t a_read;     /* bytes the "daemon" read from a since it joined */
	uint8_t hold[65536]; /* the "daemon's" partial frame (drained counts whole frames only) */
	size_t hold_len;
	int seq; /* sentinel counter */
	struct fastpath_counters c0;
};

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

/* ---- main ---- */

/* The load behind the listeners (fastpath_load.c): a thread loads, its eventfd says when, the
 * finish hands over an active fast path; a cancel during the load unloads it; `off` loads
 * nothing. The same program as fastpath_init(), so the harness's g_fp is what it checks. */
static void test_load_background(void **state)
{
	struct fastpath_load *ld = NULL;
	struct fastpath *fp = NULL;
	struct pollfd pfd = { .events = POLLIN };
	char err[256] = "";

	(void)state;
	assert_int_equal(fastpath_load_start(&ld, CONFIG_FASTPATH_OFF, err, sizeof(err)), 0);
	assert_null(ld);
	assert_int_equal(fastpath_load_start(&ld, CONFIG_FASTPATH_ON, err, sizeof(err)), 0);
	assert_non_null(ld);
	pfd.fd = fastpath_load_fd(ld);
	assert_int_equal(poll(&pfd, 1, 120000), 1);
	assert_int_equal(fastpath_load_finish(ld, &fp, err, sizeof(err)), 0);
	assert_true(fastpath_active(fp));
	assert_int_equal(fastpath_set_busy(fp, 12345, true), -ENOENT);
	fastpath_free(fp);
	assert_int_equal(fastpath_load_start(&ld, CONFIG_FASTPATH_AUTO, err, sizeof(err)), 0);
	assert_non_null(ld);
	fastpath_load_cancel(ld);
}

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
	    cmocka_unit_test(test_load_background),
	    cmocka_unit_test_setup_teardown(test_fin_passes, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pre_attach_data, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_tx_quiet, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_million_frames, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_million_frames_path_switches, fx_setup,
					    fx_teardown),
	};
	int rc = fp_harness_start(240);

	if (rc)
		return rc;
	if (getenv("MQTTGW_FP_TEST")) /* run only the tests matching this pattern */
		cmocka_set_test_filter(getenv("MQTTGW_FP_TEST"));
	rc = cmocka_run_group_tests_name("fastpath", tests, NULL, NULL);
	return fp_harness_end(rc);
}
