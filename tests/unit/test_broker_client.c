// SPDX-License-Identifier: MIT
/*
 * broker_client unit tests: the floor of L2 on a real loop and real sockets. Each client is
 * served on one end of a socketpair; the test plays the peer on the other end and stands in
 * for the layers above through client_hooks (it counts what the floor hands up). Nothing is
 * stubbed but log (mock_log.c) and the XDP guard's offence sink (recorded below). Timers run on the real clock; the one test that waits (the
 * keepalive) waits 1.5 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker_client.h"
#include "guard.h"

#define MAX_CLIENTS 8

/* One test's world: a loop, a config with one listener, a broker holding only what the floor
 * uses, and the hooks' record of what they saw. */
struct world {
	struct loop *l;
	struct config cfg;
	struct config_listener lis;
	struct broker b;
	struct msg_pool mem;
	int peer[MAX_CLIENTS]; /* the test's ends, -1 when closed */
	struct client *c[MAX_CLIENTS];
	int n;
	/* what the hooks saw */
	int packets, parsed_bytes, closing, closed, freed;
	uint8_t last_type;
	size_t last_len;
	int hold_next;		/* on_packet returns 1 this many times */
	bool fail_next;		/* on_packet returns -1 once */
	struct client *pair[2]; /* on_packet for one of them closes the other (stale events) */
	bool rx_activity;
};

static struct world *W;

/* guard.h's sink, which the floor calls for protocol violations and refused logins: which fd,
 * which kind, how often. */
static int offences[2], offence_fd = -1;

bool guard_offence_fd(int fd, enum guard_offence kind)
{
	offence_fd = fd;
	offences[kind]++;
	return false;
}

static int hook_packet(struct client *c, const uint8_t *buf, size_t len, const struct mqtt_frame *f)
{
	W->packets++;
	W->last_type = f->type;
	W->last_len = len;
	assert_int_equal(buf[0] >> 4, f->type);
	if (W->pair[0] && (c == W->pair[0] || c == W->pair[1])) {
		client_close(c == W->pair[0] ? W->pair[1] : W->pair[0], 0xFF, NULL);
		W->pair[0] = W->pair[1] = NULL;
	}
	if (W->fail_next) {
		W->fail_next = false;
		return -1;
	}
	if (W->hold_next) {
		W->hold_next--;
		return 1;
	}
	return 0;
}

static void hook_parsed(struct client *c, size_t consumed)
{
	(void)c;
	W->parsed_bytes += (int)consumed;
}

static void hook_closing(struct client *c)
{
	(void)c;
	W->closing++;
}

static void hook_close(struct client *c, int err)
{
	(void)err;
	/* still linked and counted here; the conn is already closed */
	assert_int_not_equal(c->state, CLIENT_CLOSED);
	assert_false(c->paused); /* out of the backpressure list first */
	W->closed++;
}

static void hook_free(struct client *c)
{
	assert_int_equal(c->state, CLIENT_CLOSED);
	assert_null(c->conn);
	W->freed++;
}

static bool hook_rx_activity(struct client *c)
{
	(void)c;
	return W->rx_activity;
}

static const struct client_hooks hooks = {
    .on_packet = hook_packet,
    .on_parsed = hook_parsed,
    .on_closing = hook_closing,
    .on_close = hook_close,
    .on_free = hook_free,
    .rx_activity = hook_rx_activity,
};

static void flush_hook(struct loop *l, void *ctx)
{
	(void)l;
	(void)ctx;
	conn_flush_all();
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	offences[0] = offences[1] = 0;
	w->l = loop_new();
	if (!w->l)
		return -1;
	w->lis.max_connections = -1;
	w->cfg.listeners = &w->lis;
	w->cfg.n_listeners = 1;
	w->cfg.max_connections = -1;
	w->b.loop = w->l;
	w->b.cfg = &w->cfg;
	msg_pool_init(&w->mem);
	w->b.mem = &w->mem;
	w->b.max_packet_in = 1024;
	w->b.hooks = &hooks;
	loop_set_before_wait(w->l, flush_hook, NULL);
	for (int i = 0; i < MAX_CLIENTS; i++)
		w->peer[i] = -1;
	W = w;
	*state = w;
	return 0;
}

/* Let the loop run a few passes: reads, end-of-iteration work, flushes. */
static void pump(struct world *w)
{
	for (int i = 0; i < 4; i++)
		assert_int_equal(loop_run_once(w->l, 5), 0);
}

static int teardown(void **state)
{
	struct world *w = *state;

	while (w->b.clients)
		client_close(w->b.clients, 0xFF, NULL);
	pump(w); /* deferred frees */
	assert_int_equal(w->b.n_conns, 0);
	assert_int_equal(w->freed, w->closed);
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (w->peer[i] >= 0)
			close(w->peer[i]);
	loop_timer_cancel(w->l, &w->b.bp_timer);
	conn_linger_end_all();
	loop_free(w->l);
	msg_pool_trim(&w->mem);
	free(w);
	W = NULL;
	return 0;
}

/* A new client on a fresh socketpair; its index in w->c / w->peer. */
static int attach(struct world *w)
{
	int sv[2], i = w->n++;

	assert_true(i < MAX_CLIENTS);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	w->peer[i] = sv[0];
	w->c[i] = client_new(&w->b, sv[1], "test:1", &w->lis, &conn_tcp);
	assert_non_null(w->c[i]);
	return i;
}

static void peer_send(struct world *w, int i, const void *p, size_t n)
{
	assert_int_equal(write(w->peer[i], p, n), (ssize_t)n);
}

/* What the floor sent to peer i (waits up to 200 ms for the first byte). 0 at EOF. */
static ssize_t peer_recv(struct world *w, int i, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = w->peer[i], .events = POLLIN};

	assert_int_equal(poll(&pfd, 1, 200), 1);
	return read(w->peer[i], buf, cap);
}

/* The peer sees the floor's end closed: EOF after whatever was still queued. */
static void assert_peer_eof(struct world *w, int i)
{
	uint8_t buf[64];

	assert_int_equal(peer_recv(w, i, buf, sizeof(buf)), 0);
}

/* A minimal 3.1.1 CONNECT: "MQTT" level 4, clean, keepalive 60, client id "a". */
static const uint8_t connect_pkt[] = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'a'};

static void test_new_links_and_counts(void **state)
{
	struct world *w = *state;
	int a = attach(w), b = attach(w);

	assert_int_equal(w->b.n_conns, 2);
	assert_ptr_equal(w->b.clients, w->c[b]); /* newest first */
	assert_ptr_equal(w->c[b]->next, w->c[a]);
	assert_ptr_equal(w->c[a]->prev, w->c[b]);
	assert_int_equal(w->c[a]->state, CLIENT_NEW);
	assert_string_equal(w->c[a]->peer, "test:1");
	assert_string_equal(client_name(w->c[a]), "<unknown>");
	/* each client a new serial: what tells a reused fd's client from the old one */
	assert_true(w->c[b]->serial > w->c[a]->serial);
	assert_int_equal(conn_rx_max(w->c[a]->conn), CLIENT_PRE_CONNECT_MAX);
	assert_string_equal(conn_peer(w->c[a]->conn), "test:1");
}

static void test_max_connections_refused(void **state)
{
	struct world *w = *state;
	int sv[2];
	uint8_t buf[4];

	w->cfg.max_connections = 1;
	attach(w);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	errno = 0;
	assert_null(client_new(&w->b, sv[1], "test:2", &w->lis, &conn_tcp));
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(w->b.st.conns_refused, 1);
	assert_int_equal(w->b.n_conns, 1);
	/* the fd was taken and closed */
	assert_int_equal(read(sv[0], buf, sizeof(buf)), 0);
	close(sv[0]);
	/* the listener's own limit wins over the global one */
	w->lis.max_connections = 2;
	attach(w);
	assert_int_equal(w->b.n_conns, 2);
}

static void test_frames_reach_hook_whole(void **state)
{
	struct world *w = *state;
	int i = attach(w);

	/* split in the middle: nothing goes up until the frame is whole */
	peer_send(w, i, connect_pkt, 5);
	pump(w);
	assert_int_equal(w->packets, 0);
	peer_send(w, i, connect_pkt + 5, sizeof(connect_pkt) - 5);
	pump(w);
	assert_int_equal(w->packets, 1);
	assert_int_equal(w->last_type, MQTT_CONNECT);
	assert_int_equal(w->last_len, sizeof(connect_pkt));
	assert_int_equal(w->parsed_bytes, (int)sizeof(connect_pkt));
	assert_int_equal(w->b.st.msgs_received, 1);
	assert_non_null(w->c[i]->conn);
}

static void test_first_packet_not_connect_closes(void **state)
{
	struct world *w = *state;
	static const uint8_t ping[] = {0xC0, 0};
	int i = attach(w);

	peer_send(w, i, ping, sizeof(ping));
	pump(w);
	assert_int_equal(w->packets, 0); /* judged by its first byte, never handed up */
	assert_int_equal(w->closed, 1);
	assert_int_equal(offences[GUARD_PROTOCOL], 1); /* the guard counts it against the peer */
	assert_int_equal(offences[GUARD_AUTH_FAILED], 0);
	assert_true(offence_fd >= 0);
	assert_int_equal(w->b.n_conns, 0);
	assert_null(w->b.clients);
	assert_peer_eof(w, i); /* no DISCONNECT before CONNECT */
}

static void test_oversized_frame_closes(void **state)
{
	struct world *w = *state;
	/* PUBLISH claiming 2000 bytes, over max_packet_in (1024) */
	static const uint8_t big[] = {0x30, 0xD0, 0x0F};
	int i = attach(w);

	peer_send(w, i, connect_pkt, sizeof(connect_pkt));
	pump(w);
	w->c[i]->state = CLIENT_ACTIVE;
	peer_send(w, i, big, sizeof(big));
	pump(w);
	assert_int_equal(w->packets, 1);
	assert_int_equal(w->closed, 1);
	assert_peer_eof(w, i);
}

static void test_hook_error_closes(void **state)
{
	struct world *w = *state;
	int i = attach(w);

	/* the layer above refuses the packet: the floor closes, silently */
	w->fail_next = true;
	peer_send(w, i, connect_pkt, sizeof(connect_pkt));
	pump(w);
	assert_int_equal(w->packets, 1);
	assert_int_equal(w->closing, 1);
	assert_int_equal(w->closed, 1);
	assert_peer_eof(w, i);
}

/* on_packet 1 (a subscriber is full): the client is not read until client_resume_all(). */
static void test_hold_pauses_until_resume(void **state)
{
	struct world *w = *state;
	uint8_t two[2 * sizeof(connect_pkt)];
	int i = attach(w);

	memcpy(two, connect_pkt, sizeof(connect_pkt));
	memcpy(two + sizeof(connect_pkt), connect_pkt, sizeof(connect_pkt));
	w->hold_next = 1;
	peer_send(w, i, two, sizeof(two));
	pump(w);
	assert_int_equal(w->packets, 1); /* the second frame waits */
	assert_true(w->c[i]->paused);
	assert_int_equal(w->b.n_paused, 1);
	assert_ptr_equal(w->b.paused[0], w->c[i]);
	assert_true(loop_timer_armed(&w->b.bp_timer));
	assert_int_equal(w->parsed_bytes, (int)sizeof(connect_pkt));
	client_resume_all(&w->b);
	assert_false(w->c[i]->paused);
	assert_int_equal(w->b.n_paused, 0);
	assert_null(w->b.paused); /* the array goes with the last paused client */
	assert_false(loop_timer_armed(&w->b.bp_timer));
	pump(w); /* what was already buffered is parsed without a new EPOLLIN */
	assert_int_equal(w->packets, 2);
	assert_int_equal(w->parsed_bytes, (int)sizeof(two));
}

/* A paused client that goes away leaves the backpressure list before on_close. */
static void test_paused_client_closed(void **state)
{
	struct world *w = *state;
	int i = attach(w), j = attach(w);

	w->hold_next = 2;
	peer_send(w, i, connect_pkt, sizeof(connect_pkt));
	peer_send(w, j, connect_pkt, sizeof(connect_pkt));
	pump(w);
	assert_true(w->c[i]->paused && w->c[j]->paused);
	client_close(w->c[i], 0xFF, NULL); /* hook_close asserts it is unlinked */
	assert_int_equal(w->b.n_paused, 1);
	assert_ptr_equal(w->b.paused[0], w->c[j]);
	client_resume_all(&w->b);
	assert_false(w->c[j]->paused);
}

static void test_keepalive_timeout(void **state)
{
	struct world *w = *state;
	uint8_t buf[16];
	int i = attach(w);
	int64_t start = loop_now(w->l);

	w->c[i]->state = CLIENT_ACTIVE;
	w->c[i]->version = MQTT_V5;
	w->c[i]->keepalive = 1;
	client_keepalive_arm(w->c[i]);
	assert_true(loop_timer_armed(&w->c[i]->timer));
	for (int k = 0; k < 400 && !w->closed; k++)
		assert_int_equal(loop_run_once(w->l, 10), 0);
	assert_int_equal(w->closed, 1);
	/* at 1.5 x keepalive, not before */
	assert_true(loop_now(w->l) - start >= 1500);
	assert_int_equal(peer_recv(w, i, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, ((uint8_t[]){0xE0, 1, MQTT_RC_KEEPALIVE_TIMEOUT}), 3);
}

static void test_keepalive_zero_disarms(void **state)
{
	struct world *w = *state;
	int i = attach(w);

	w->c[i]->state = CLIENT_ACTIVE;
	w->c[i]->keepalive = 5;
	client_keepalive_arm(w->c[i]);
	assert_true(loop_timer_armed(&w->c[i]->timer));
	w->c[i]->keepalive = 0;
	client_keepalive_arm(w->c[i]);
	assert_false(loop_timer_armed(&w->c[i]->timer));
}

static bool close_odd(struct client *c, void *ctx)
{
	int *seen = ctx;

	(*seen)++;
	if (!(c->serial & 1))
		return false;
	client_close(c, 0xFF, NULL);
	return true;
}

static void test_close_each(void **state)
{
	struct world *w = *state;
	int seen = 0;

	for (int k = 0; k < 5; k++)
		w->c[attach(w)]->state = k == 4 ? CLIENT_NEW : CLIENT_ACTIVE;
	/* serials 1..5; 5 is not active: 1 and 3 are closed */
	assert_int_equal(client_close_each(&w->b, close_odd, &seen), 2);
	assert_int_equal(seen, 4);
	assert_int_equal(w->b.n_conns, 3);
	assert_int_equal(w->closed, 2);
}

static void test_send_ack_and_simple(void **state)
{
	struct world *w = *state;
	uint8_t buf[16];
	int i = attach(w);

	w->c[i]->version = MQTT_V311;
	client_send_ack(w->c[i], MQTT_PUBACK, 0x1234, 0);
	client_send_simple(w->c[i], MQTT_PINGRESP);
	assert_int_equal(w->b.st.msgs_sent, 2);
	pump(w); /* flushed before the loop waits */
	assert_int_equal(peer_recv(w, i, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, ((uint8_t[]){0x40, 2, 0x12, 0x34, 0xD0, 0}), 6);
}

static void test_refuse_sends_connack_then_closes(void **state)
{
	struct world *w = *state;
	uint8_t buf[16];
	int i = attach(w);

	assert_int_equal(client_refuse(w->c[i], MQTT_V311, MQTT_CONNACK_NOT_AUTHORIZED,
				       MQTT_RC_NOT_AUTHORIZED, "test"),
			 -1);
	assert_null(w->c[i]->conn); /* closed at once */
	assert_int_equal(w->closed, 1);
	assert_int_equal(peer_recv(w, i, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, ((uint8_t[]){0x20, 2, 0, MQTT_CONNACK_NOT_AUTHORIZED}), 4);
	assert_peer_eof(w, i);
}

static void test_close_v5_sends_disconnect(void **state)
{
	struct world *w = *state;
	uint8_t buf[16];
	int i = attach(w), j = attach(w);

	w->c[i]->version = MQTT_V5;
	w->c[i]->state = CLIENT_ACTIVE;
	client_close(w->c[i], MQTT_RC_SESSION_TAKEN_OVER, "taken over");
	assert_int_equal(peer_recv(w, i, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, ((uint8_t[]){0xE0, 1, MQTT_RC_SESSION_TAKEN_OVER}), 3);
	assert_peer_eof(w, i);
	/* before CONNACK (or v3, or 0xFF) a close says nothing */
	w->c[j]->version = MQTT_V5;
	client_close(w->c[j], MQTT_RC_PROTOCOL_ERROR, NULL);
	assert_peer_eof(w, j);
	/* closing again is a no-op */
	client_close(w->c[j], MQTT_RC_PROTOCOL_ERROR, NULL);
	assert_int_equal(w->closed, 2);
	assert_int_equal(w->closing, 2);
}

/* The struct outlives the close until the end of the iteration (events of the same batch may
 * still name it); then it is freed once. */
static void test_close_defers_free(void **state)
{
	struct world *w = *state;
	int i = attach(w);

	client_close(w->c[i], 0xFF, NULL);
	assert_int_equal(w->closed, 1);
	assert_int_equal(w->freed, 0);
	assert_int_equal(w->c[i]->state, CLIENT_CLOSED); /* still readable */
	assert_null(w->c[i]->conn);
	assert_int_equal(w->b.n_conns, 0);
	assert_null(w->b.clients);
	pump(w);
	assert_int_equal(w->freed, 1);
}

/* Peer close: the same path, from the other side. */
static void test_peer_close(void **state)
{
	struct world *w = *state;
	int i = attach(w);

	close(w->peer[i]);
	w->peer[i] = -1;
	pump(w);
	assert_int_equal(w->closed, 1);
	assert_int_equal(w->freed, 1);
	assert_int_equal(w->b.n_conns, 0);
}

/*
 * Stale events: two clients' data arrive in the same epoll batch and the first one handed up
 * closes the other. The other's event in that batch must not reach it (its fd is unregistered,
 * its struct not yet freed: ASan in the SAN build checks it is not touched after the free),
 * and a new client on the reused fd number is a new client.
 */
static void test_stale_event_dropped_and_fd_reuse(void **state)
{
	struct world *w = *state;
	int a = attach(w), b = attach(w), c;
	uint64_t newest = w->c[b]->serial;
	int fd_a = w->c[a]->conn->fd, fd_b = w->c[b]->conn->fd;

	w->pair[0] = w->c[a];
	w->pair[1] = w->c[b];
	peer_send(w, a, connect_pkt, sizeof(connect_pkt));
	peer_send(w, b, connect_pkt, sizeof(connect_pkt));
	pump(w);
	assert_int_equal(w->packets, 1);
	assert_int_equal(w->closed, 1);
	assert_int_equal(w->freed, 1);
	assert_int_equal(w->b.n_conns, 1);
	/* the close lingers (the fd stays open until the peer closes or the time runs out):
	 * end it now; the closed fd number comes back with the next socketpair, as a new client */
	conn_linger_end_all();
	pump(w);
	c = attach(w);
	assert_true(w->c[c]->conn->fd == fd_a || w->c[c]->conn->fd == fd_b || w->peer[c] == fd_a ||
		    w->peer[c] == fd_b);
	assert_true(w->c[c]->serial > newest);
	peer_send(w, c, connect_pkt, sizeof(connect_pkt));
	pump(w);
	assert_int_equal(w->packets, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_new_links_and_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_connections_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frames_reach_hook_whole, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_packet_not_connect_closes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized_frame_closes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hook_error_closes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_pauses_until_resume, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_paused_client_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_zero_disarms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_each, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_ack_and_simple, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuse_sends_connack_then_closes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_v5_sends_disconnect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_defers_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_event_dropped_and_fd_reuse, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
