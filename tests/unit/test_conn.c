// SPDX-License-Identifier: MIT
/*
 * conn unit tests: a real conn_tcp connection in a real loop, over a loopback TCP pair whose
 * other end the test drives. Covered: reads handed to the owner and partial frames kept,
 * output flushed by conn_flush_all, close (on_close once, deferred free), and the lingering
 * close: on_close at once, queued output still delivered, then the end of stream (not RST),
 * input discarded until the peer closes, the time limit, the byte limit, and
 * conn_linger_end_all at shutdown.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conn.h"
#include "loop.h"
#include "tcp_pair_test.h"

struct owner {
	int closes;
	int close_err;
	size_t got;
	size_t frame; /* consume input only in units of this many bytes (0: all) */
};

static ssize_t on_read(struct conn *c, const uint8_t *buf, size_t len)
{
	struct owner *o = c->owner;
	size_t use = o->frame ? len / o->frame * o->frame : len;

	(void)buf;
	o->got += use;
	return (ssize_t)use;
}

static void on_close(struct conn *c, int err)
{
	struct owner *o = c->owner;

	o->closes++;
	o->close_err = err;
}

static const struct conn_ops ops = {.on_read = on_read, .on_close = on_close};

struct fixture {
	struct loop *l;
	struct conn *c;
	int peer;
	struct owner o;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	f->l = loop_new();
	assert_non_null(f->l);
	tcp_pair(&fd, &f->peer);
	f->c = conn_new(f->l, fd, &conn_tcp, &ops, &f->o);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->o.closes == 0)
		conn_close(f->c, 0);
	conn_linger_end_all();
	loop_free(f->l);
	if (f->peer >= 0)
		close(f->peer);
	free(f);
	return 0;
}

/* Run loop iterations (flushing as the daemon's before-wait hook does) for about ms. */
static void spin(struct fixture *f, int ms)
{
	for (int i = 0; i < ms / 5 + 1; i++) {
		conn_flush_all();
		loop_run_once(f->l, 5);
	}
}

static void queue(struct conn *c, const char *s)
{
	assert_int_equal(outq_append(&c->out, s, strlen(s)), 0);
	conn_want_flush(c);
}

/* Read from the peer until `want` bytes or the end; returns bytes, -errno on error. */
static ssize_t peer_read(struct fixture *f, char *buf, size_t want, int ms)
{
	size_t got = 0;

	while (got < want) {
		struct pollfd p = {.fd = f->peer, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			break;
		n = recv(f->peer, buf + got, want - got, 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The conn's socket is closed: the peer's writes fail (RST) within 2 s. */
static bool peer_gone(struct fixture *f)
{
	for (int i = 0; i < 200; i++) {
		if (send(f->peer, "x", 1, MSG_NOSIGNAL) < 0)
			return true;
		usleep(10000);
		spin(f, 1);
	}
	return false;
}

static void test_read_and_partial_frames(void **state)
{
	struct fixture *f = *state;

	f->o.frame = 4;
	assert_int_equal(send(f->peer, "abcdefghij", 10, 0), 10);
	spin(f, 20);
	assert_int_equal(f->o.got, 8); /* two whole frames, two bytes kept */
	assert_int_equal(conn_rx_held(f->c), 2);
	assert_int_equal(send(f->peer, "kl", 2, 0), 2);
	spin(f, 20);
	assert_int_equal(f->o.got, 12);
	assert_null(f->c->rx);
}

static void test_flush_and_close(void **state)
{
	struct fixture *f = *state;
	char buf[16];

	queue(f->c, "hello");
	spin(f, 10);
	assert_int_equal(peer_read(f, buf, 5, 500), 5);
	assert_memory_equal(buf, "hello", 5);
	conn_close(f->c, 0);
	conn_close(f->c, -EIO); /* idempotent */
	assert_int_equal(f->o.closes, 1);
	assert_int_equal(peer_read(f, buf, 1, 500), 0); /* end of stream */
}

/* Queued output arrives, then an orderly end of stream, although the peer's data is unread. */
static void test_linger_delivers_then_fin(void **state)
{
	struct fixture *f = *state;
	uint64_t open_before = conn_stats.conns_open;
	char buf[64];

	conn_pause_read(f->c, true); /* the bytes stay in the kernel's receive buffer */
	assert_int_equal(send(f->peer, "unread input", 12, 0), 12);
	spin(f, 20);
	queue(f->c, "last words");
	conn_close_linger(f->c, 0, 2000, 65536);
	assert_int_equal(f->o.closes, 1); /* gone for the owner at once */
	spin(f, 20);
	assert_int_equal(peer_read(f, buf, sizeof(buf), 500), 10);
	assert_memory_equal(buf, "last words", 10);
	/* still lingering: more input is discarded, not answered with RST */
	assert_int_equal(send(f->peer, "more", 4, 0), 4);
	spin(f, 20);
	close(f->peer);
	f->peer = -1;
	assert_int_equal(conn_stats.conns_open, open_before); /* still lingering */
	spin(f, 20);					      /* the peer's FIN ends the linger */
	assert_int_equal(conn_stats.conns_open, open_before - 1);
}

/* With plain conn_close the same situation ends in RST: what the linger is for. */
static void test_plain_close_resets(void **state)
{
	struct fixture *f = *state;
	char buf[64];

	conn_pause_read(f->c, true);
	assert_int_equal(send(f->peer, "unread input", 12, 0), 12);
	spin(f, 20);
	queue(f->c, "last words");
	conn_flush(f->c);
	conn_close(f->c, 0);
	spin(f, 20);
	ssize_t n = peer_read(f, buf, sizeof(buf), 500);

	/* the kernel may hand out the data before the error; then the next read fails */
	if (n > 0)
		n = peer_read(f, buf, sizeof(buf), 500);
	assert_int_equal(n, -ECONNRESET);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_linger_time_limit(void **state)
{
	struct fixture *f = *state;
	uint64_t open_before = conn_stats.conns_open;
	int64_t t0 = now_ms();
	char buf[64];

	conn_close_linger(f->c, 0, 300, 65536);
	assert_true(f->c->lingering); /* the peer never closes */
	spin(f, 10);
	assert_int_equal(peer_read(f, buf, sizeof(buf), 200), 0); /* FIN */
	/* ended by the timer, not before it */
	while (conn_stats.conns_open == open_before && now_ms() - t0 < 3000)
		spin(f, 10);
	assert_int_equal(conn_stats.conns_open, open_before - 1);
	assert_true(now_ms() - t0 >= 290);
}

static void test_linger_byte_limit(void **state)
{
	struct fixture *f = *state;
	static char big[32768];

	conn_close_linger(f->c, 0, 5000, 4096);
	spin(f, 10);
	assert_int_equal(send(f->peer, big, sizeof(big), 0), (ssize_t)sizeof(big));
	/* more than 4 KiB discarded: closed well before the 5 s */
	assert_true(peer_gone(f));
}

static void test_linger_end_all(void **state)
{
	struct fixture *f = *state;
	char buf[8];

	conn_close_linger(f->c, 0, 60000, 65536);
	spin(f, 10);
	conn_linger_end_all();
	spin(f, 10);
	assert_int_equal(peer_read(f, buf, sizeof(buf), 200), 0);
	assert_true(peer_gone(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read_and_partial_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flush_and_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linger_delivers_then_fin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plain_close_resets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linger_time_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linger_byte_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linger_end_all, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
