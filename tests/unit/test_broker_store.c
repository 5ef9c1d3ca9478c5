/* SPDX-License-Identifier: MIT */
/*
 * broker_store: the acknowledgement list (acknowledged means durable) against a real store and
 * a real loop. client_send_ack/client_close are recorded here instead of encoded: the order of
 * the acks, and that none leaves before its batch is durable, is what is tested. Also the
 * message reference accounting (stored once, forgotten when the last durable reference goes),
 * and the hold of a subscriber's output while its QoS 2 state change is not durable, and that
 * read-back answers are handed over in the loop's dispatch, before the iteration's commit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker_store.h"
#include "store_helpers.h"
#include "store_int.h"

/* ---- the floor, recorded ---- */

struct sent {
	const struct client *c;
	uint8_t type;
	uint16_t pid;
	uint8_t reason;
	uint64_t durable; /* store_durable_seq() when it was sent */
};
static struct sent sent[64];
static int n_sent, n_closed, n_flushed;
static const struct client *flushed;
static struct store *cur_st;

void client_want_flush(struct client *c)
{
	assert_int_equal(c->store_hold, 0); /* released first, so the gate allows the write */
	flushed = c;
	n_flushed++;
}

/* a send to close_on_send closes close_victim (a failed write closing a client: as the
 * daemon's close path does, it tells broker_store the client is gone) */
static struct client *close_on_send, *close_victim;

int client_send_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason)
{
	assert_true(n_sent < 64);
	sent[n_sent++] = (struct sent){c, type, pid, reason, store_durable_seq(cur_st)};
	if (c == close_on_send)
		broker_store_client_gone(close_victim);
	return 0;
}

void client_close(struct client *c, uint8_t reason, const char *why)
{
	(void)c;
	(void)reason;
	(void)why;
	n_closed++;
}

/* ---- fixture ---- */

struct fx {
	char dir[256];
	struct loop *loop;
	struct store *st;
	struct broker b;
	struct config cfg;
	struct client c[3];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store_opts o = {0};
	char msg[256];

	assert_non_null(f);
	assert_non_null(scratch_dir(f->dir, sizeof(f->dir)));
	o.dir = f->dir;
	o.sync = STORE_SYNC_NORMAL;
	f->st = store_open(&o, msg, sizeof(msg));
	assert_non_null(f->st);
	assert_int_equal(store_load(f->st, &(struct store_load_cb){0}, NULL, NULL), 0);
	f->loop = loop_new();
	assert_non_null(f->loop);
	f->b.loop = f->loop;
	f->b.cfg = &f->cfg;
	for (int i = 0; i < 3; i++) {
		f->c[i].b = &f->b;
		f->c[i].version = MQTT_V5;
	}
	assert_int_equal(broker_store_init(&f->b, f->st), 0);
	cur_st = f->st;
	n_sent = n_closed = n_flushed = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	broker_store_fini(&f->b);
	store_close(f->st);
	loop_free(f->loop);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* Commit and run the loop until the acks are out (or 5 s). */
static void commit_and_wait(struct fx *f, int want)
{
	broker_store_commit(&f->b);
	for (int i = 0; i < 500 && n_sent < want; i++)
		loop_run_once(f->loop, 10);
}

/* Something durable staged for the current packet: a retained message. */
static void stage_something(struct fx *f, struct msg *m)
{
	broker_store_retain(&f->b, m->topic, m->topic_len, m, NULL);
}

/* ---- tests ---- */

static void test_ack_now_when_nothing_staged(void **state)
{
	struct fx *f = *state;

	assert_int_equal(broker_store_ack(&f->c[0], MQTT_PUBACK, 1, 0, broker_store_mark(&f->b)),
			 0);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].pid, 1);
}

static void test_ack_waits_for_durability_in_order(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/a", 3, "x", 1, NULL, 0, 1, 1, 0, NULL);
	uint64_t mark;

	/* c0's PUBACK waits for its batch, and c0's next one behind it (its own order); c1's,
	 * with nothing staged, goes at the iteration's end, not behind c0's fsync */
	mark = broker_store_mark(&f->b);
	stage_something(f, m);
	assert_int_equal(broker_store_ack(&f->c[0], MQTT_PUBACK, 10, 0, mark), 0);
	mark = broker_store_mark(&f->b);
	assert_int_equal(broker_store_ack(&f->c[1], MQTT_PUBREC, 20, 0x10, mark), 0);
	assert_int_equal(broker_store_ack(&f->c[0], MQTT_PUBACK, 11, 0, mark), 0);
	assert_int_equal(n_sent, 0);
	/* the before-wait hook: c1's goes (its release runs before the batch is handed over,
	 * so c0's cannot be durable yet) */
	broker_store_commit(&f->b);
	assert_int_equal(n_sent, 1);
	assert_ptr_equal(sent[0].c, &f->c[1]);
	assert_int_equal(sent[0].type, MQTT_PUBREC);
	assert_int_equal(sent[0].reason, 0x10);
	commit_and_wait(f, 3);
	assert_int_equal(n_sent, 3);
	assert_ptr_equal(sent[1].c, &f->c[0]);
	assert_int_equal(sent[1].pid, 10);
	assert_ptr_equal(sent[2].c, &f->c[0]);
	assert_int_equal(sent[2].pid, 11);
	/* the list is empty again: the next ack with nothing staged goes at once */
	assert_int_equal(broker_store_ack(&f->c[1], MQTT_PUBACK, 21, 0, broker_store_mark(&f->b)),
			 0);
	assert_int_equal(n_sent, 4);
	msg_unref(m);
}

static void test_acks_of_a_closed_client_are_dropped(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/b", 3, "x", 1, NULL, 0, 1, 1, 0, NULL);
	uint64_t mark = broker_store_mark(&f->b);

	stage_something(f, m);
	broker_store_ack(&f->c[2], MQTT_PUBACK, 30, 0, mark);
	broker_store_ack(&f->c[0], MQTT_PUBACK, 31, 0, mark);
	broker_store_client_gone(&f->c[2]);
	commit_and_wait(f, 1);
	loop_run_once(f->loop, 20);
	assert_int_equal(n_sent, 1);
	assert_ptr_equal(sent[0].c, &f->c[0]);
	msg_unref(m);
}

static void test_acks_behind_a_waiting_one_and_a_close_while_sending(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/w", 3, "x", 1, NULL, 0, 1, 1, 0, NULL);
	uint64_t mark = broker_store_mark(&f->b);

	/* c0 waits for the disk; c1 and c2 wait for nothing behind it: both leave the ring at the
	 * commit, and c1's send closes c2, whose ack, taken out already, must not go */
	stage_something(f, m);
	broker_store_ack(&f->c[0], MQTT_PUBACK, 60, 0, mark);
	mark = broker_store_mark(&f->b);
	broker_store_ack(&f->c[1], MQTT_PUBACK, 61, 0, mark);
	broker_store_ack(&f->c[2], MQTT_PUBACK, 62, 0, mark);
	broker_store_ack(&f->c[0], MQTT_PUBACK, 63, 0, mark);
	close_on_send = &f->c[1];
	close_victim = &f->c[2];
	broker_store_commit(&f->b);
	close_on_send = close_victim = NULL;
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].pid, 61);
	commit_and_wait(f, 3);
	loop_run_once(f->loop, 20);
	assert_int_equal(n_sent, 3);
	assert_int_equal(sent[1].pid, 60);
	assert_int_equal(sent[2].pid, 63);
	msg_unref(m);
}

static void test_a_reconnected_sessions_acks_wait_behind_its_old_ones(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/r", 3, "x", 1, NULL, 0, 1, 1, 0, NULL);
	/* static: a session ends in its id, which only a static object may initialise */
	static struct session s = {.client_id = "r", .expiry_interval = 60, .proto = 5};
	uint64_t mark = broker_store_mark(&f->b);

	/* c0's PUBREC waits for its batch, then c0 drops; c1 is the same session reconnected:
	 * the PUBREC of its resend (nothing new staged) must not go before the old one's state
	 * is durable, though c0 is gone; c2, another session, is not held back */
	f->c[0].session = f->c[1].session = &s;
	stage_something(f, m);
	broker_store_ack(&f->c[0], MQTT_PUBREC, 70, 0, mark);
	broker_store_client_gone(&f->c[0]);
	mark = broker_store_mark(&f->b);
	broker_store_ack(&f->c[1], MQTT_PUBREC, 70, 0, mark);
	broker_store_ack(&f->c[2], MQTT_PUBACK, 71, 0, mark);
	broker_store_commit(&f->b);
	assert_int_equal(n_sent, 1);
	assert_ptr_equal(sent[0].c, &f->c[2]);
	commit_and_wait(f, 2);
	assert_int_equal(n_sent, 2);
	assert_ptr_equal(sent[1].c, &f->c[1]);
	assert_int_equal(sent[1].pid, 70);
	assert_true(sent[1].durable >= 1);
	f->c[0].session = f->c[1].session = NULL;
	msg_unref(m);
}

static void test_many_acks_grow_the_ring(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/c", 3, "x", 1, NULL, 0, 1, 1, 0, NULL);

	for (int i = 0; i < 64; i++) {
		uint64_t mark = broker_store_mark(&f->b);

		if (i % 3 == 0)
			stage_something(f, m);
		broker_store_ack(&f->c[i % 2], MQTT_PUBACK, (uint16_t)(100 + i), 0, mark);
		if (i == 20)
			commit_and_wait(f, 1); /* some released midway, the rest still in order */
	}
	commit_and_wait(f, 64);
	assert_int_equal(n_sent, 64);
	/* each client's acks in its own order (c0 sent the even pids, c1 the odd ones) */
	for (int k = 0, last[2] = {-1, -1}; k < 64; k++) {
		int i = sent[k].pid - 100, who = sent[k].c == &f->c[1];

		assert_int_equal(i % 2, who);
		assert_true(i > last[who]);
		last[who] = i;
	}
	msg_unref(m);
}

static void test_message_stored_once_and_forgotten(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/d", 3, "x", 1, NULL, 0, 1, 1, 0, NULL);
	/* static: a session ends in its id, which only a static object may initialise */
	static struct session s = {
	    .client_id = "s", .expiry_interval = 60, .proto = 5};
	uint64_t seq1, seq2, id;

	qos_init(&s.qos);
	broker_store_session(&f->b, &s, 0, NULL, 0);
	assert_true(s.store_id != 0);
	seq1 = broker_store_queued(&f->b, &s, m, 1, 0, 0, 0);
	id = m->store_id;
	seq2 = broker_store_queued(&f->b, &s, m, 2, 0, 0, 0);
	assert_true(seq1 && seq2 && seq1 != seq2);
	assert_int_equal(m->store_id, id); /* one copy */
	assert_int_equal(m->store_refs, 2);
	assert_int_equal(broker_store_queued(&f->b, &s, m, 0, 0, 0, 0), 0); /* QoS 0: never */
	broker_store_out_del(&f->b, &s, seq1, m);
	assert_int_equal(m->store_refs, 1);
	broker_store_out_del(&f->b, &s, seq2, m);
	assert_int_equal(m->store_id, 0); /* the store drops the row: a new reference re-adds */
	/* a clean session is never stored */
	s.expiry_interval = 0;
	broker_store_session(&f->b, &s, 0, NULL, 0);
	assert_int_equal(s.store_id, 0);
	assert_int_equal(broker_store_queued(&f->b, &s, m, 1, 0, 0, 0), 0);
	qos_fini(&s.qos);
	msg_unref(m);
}

/* A QoS 1 message queued for a stored session, PUBACKed to its publisher (c[0]) as
 * broker_handle_publish does. */
static uint64_t puback_queued(struct fx *f, struct session *s, struct msg *m, uint16_t pid)
{
	uint64_t mark = broker_store_mark(&f->b), seq;

	seq = broker_store_queued(&f->b, s, m, 1, 0, 0, 0);
	assert_true(seq != 0);
	assert_int_equal(broker_store_puback(&f->c[0], pid, 0, mark, m), 0);
	return seq;
}

static void test_puback_goes_when_every_recipient_acknowledged(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/e", 3, "x", 1, NULL, 0, 1, 0, 0, NULL);
	struct msg *m2 = msg_new(NULL, "t/f", 3, "y", 1, NULL, 0, 1, 0, 0, NULL);
	/* static: a session ends in its id, which only a static object may initialise */
	static struct session s = {
	    .client_id = "e", .expiry_interval = 60, .proto = 4};
	uint64_t seq, seq2, batch = store_batch_next(f->st) + 1;

	qos_init(&s.qos);
	broker_store_session(&f->b, &s, 0, NULL, 0);
	commit_and_wait(f, 0);
	assert_int_equal(store_batch_next(f->st), batch);
	seq = puback_queued(f, &s, m, 40);
	seq2 = puback_queued(f, &s, m2, 41);
	assert_int_equal(n_sent, 0); /* held: the messages are only staged */
	/* m's recipient acknowledges it (in the same iteration): its PUBACK goes at the end of
	 * the iteration, before its batch is even handed to the store; m2's waits (in order) */
	broker_store_out_del(&f->b, &s, seq, m);
	assert_int_equal(m->store_refs, 0);
	assert_int_equal(n_sent, 0);
	broker_store_commit(&f->b);
	assert_int_equal(n_sent, 1);
	assert_int_equal(sent[0].pid, 40);
	assert_true(sent[0].durable < batch);
	/* m2 still has a recipient: its PUBACK waits for durability */
	commit_and_wait(f, 2);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[1].pid, 41);
	assert_true(sent[1].durable >= batch);
	broker_store_out_del(&f->b, &s, seq2, m2);
	qos_fini(&s.qos);
	msg_unref(m);
	msg_unref(m2);
}

static void test_puback_keeps_its_place_and_pins(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/g", 3, "x", 1, NULL, 0, 1, 1, 0, NULL);
	struct msg *m2 = msg_new(NULL, "t/h", 3, "y", 1, NULL, 0, 1, 0, 0, NULL);
	struct msg *m3 = msg_new(NULL, "t/p", 3, "z", 1, NULL, 0, 1, 1, 0, NULL);
	/* static: a session ends in its id, which only a static object may initialise */
	static struct session s = {
	    .client_id = "g", .expiry_interval = 60, .proto = 4};
	uint64_t mark, seq;

	qos_init(&s.qos);
	broker_store_session(&f->b, &s, 0, NULL, 0);
	commit_and_wait(f, 0);
	/* c0's ack waits for its batch; c0's PUBACK behind it keeps its place though m2 needs no
	 * holding once acknowledged */
	mark = broker_store_mark(&f->b);
	stage_something(f, m);
	broker_store_ack(&f->c[0], MQTT_PUBACK, 50, 0, mark);
	seq = puback_queued(f, &s, m2, 51);
	broker_store_out_del(&f->b, &s, seq, m2);
	broker_store_commit(&f->b);
	assert_int_equal(n_sent, 0);
	commit_and_wait(f, 2);
	assert_int_equal(n_sent, 2);
	assert_int_equal(sent[0].pid, 50);
	assert_int_equal(sent[1].pid, 51);
	/* a write msg.store_refs does not count (a spilled bridge entry): only durability */
	mark = broker_store_mark(&f->b);
	stage_something(f, m3);
	broker_store_pin(f->b.store);
	assert_int_equal(broker_store_puback(&f->c[0], 52, 0, mark, m2), 0);
	assert_int_equal(m2->store_refs, 0);
	assert_int_equal(n_sent, 2);
	commit_and_wait(f, 3);
	assert_int_equal(n_sent, 3);
	/* deleting a retained message must last too: its PUBACK waits for durability */
	mark = broker_store_mark(&f->b);
	broker_store_retain(&f->b, m3->topic, m3->topic_len, NULL, m3);
	assert_int_equal(m3->store_id, 0);
	assert_int_equal(broker_store_puback(&f->c[0], 54, 0, mark, m2), 0);
	broker_store_commit(&f->b);
	assert_int_equal(n_sent, 3);
	commit_and_wait(f, 4);
	assert_int_equal(n_sent, 4);
	assert_int_equal(sent[3].pid, 54);
	/* a message with no durable reference and nothing pinned: at once */
	assert_int_equal(broker_store_puback(&f->c[0], 53, 0, broker_store_mark(&f->b), m2), 0);
	assert_int_equal(n_sent, 5);
	qos_fini(&s.qos);
	msg_unref(m);
	msg_unref(m2);
	msg_unref(m3);
}

/* A stored session with one connected client (f->c[0], on a conn that is never written). */
static void hold_fixture(struct fx *f, struct session *s, struct conn *conn)
{
	qos_init(&s->qos);
	f->c[0].conn = conn;
	s->client = &f->c[0];
	broker_store_session(&f->b, s, 0, NULL, 0);
	assert_true(s->store_id != 0);
	broker_store_commit(&f->b);
}

/* Send m at qos into s's window and stage it as sent (what send_inflight does). */
static uint16_t hold_send(struct fx *f, struct session *s, struct msg *m, uint8_t qos)
{
	uint16_t pid;

	assert_int_equal(qos_out_add(&s->qos, m, qos, 0, 0, &pid), 0);
	broker_store_sent(&f->b, s, qos_out_last(&s->qos));
	return pid;
}

/* Run the loop until the hold is released (or 5 s). */
static void hold_wait(struct fx *f)
{
	broker_store_commit(&f->b);
	for (int i = 0; i < 500 && !n_flushed; i++)
		loop_run_once(f->loop, 10);
}

static void test_qos2_send_and_pubrel_hold_output_until_durable(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/h", 3, "x", 1, NULL, 0, 2, 0, 0, NULL);
	/* static: a session ends in its id, which only a static object may initialise */
	static struct session s = {
	    .client_id = "h", .expiry_interval = 60, .proto = 5};
	struct conn conn = {0};
	uint16_t pid;

	hold_fixture(f, &s, &conn);
	pid = hold_send(f, &s, m, 2);
	assert_true(f->c[0].store_hold >= store_batch_next(f->st));
	assert_true(conn.gated); /* conn asks the gate (client_may_write) before writing */
	assert_true(store_durable_seq(f->st) < f->c[0].store_hold);
	hold_wait(f);
	assert_int_equal(n_flushed, 1);
	assert_ptr_equal(flushed, &f->c[0]);
	assert_int_equal(f->c[0].store_hold, 0);
	/* the PUBREC stages the PUBREL state: the PUBREL waits in turn */
	broker_store_out_ack(&f->b, &s, MQTT_PUBREC, pid, 0);
	assert_int_equal(qos_out_ack(&s.qos, MQTT_PUBREC, pid), QOS_ACK_SEND_PUBREL);
	assert_true(f->c[0].store_hold != 0);
	n_flushed = 0;
	hold_wait(f);
	assert_int_equal(n_flushed, 1);
	/* the PUBCOMP changes nothing the subscriber holds: no hold */
	broker_store_out_ack(&f->b, &s, MQTT_PUBCOMP, pid, 0);
	qos_out_ack(&s.qos, MQTT_PUBCOMP, pid);
	assert_int_equal(f->c[0].store_hold, 0);
	qos_fini(&s.qos);
	msg_unref(m);
}

static void test_qos1_and_unstored_sessions_never_wait(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/h", 3, "x", 1, NULL, 0, 2, 0, 0, NULL);
	/* static: a session ends in its id, which only a static object may initialise */
	static struct session s = {
	    .client_id = "h", .expiry_interval = 60, .proto = 5};
	static struct session t = {.client_id = "u", .proto = 5}; /* expiry 0 */
	struct conn conn = {0};

	hold_fixture(f, &s, &conn);
	hold_send(f, &s, m, 1);
	assert_int_equal(f->c[0].store_hold, 0);
	assert_false(conn.gated);
	qos_init(&t.qos);
	t.client = &f->c[1];
	f->c[1].conn = &conn;
	broker_store_session(&f->b, &t, 0, NULL, 0);
	assert_int_equal(t.store_id, 0);
	hold_send(f, &t, m, 2);
	assert_int_equal(f->c[1].store_hold, 0);
	assert_false(conn.gated);
	qos_fini(&t.qos);
	qos_fini(&s.qos);
	msg_unref(m);
}

/* The writer may linger only on a batch whose waiters something else releases: a QoS 1 send to
 * an online session (its PUBACK goes when the subscriber acknowledges). A copy queued for an
 * offline session or a QoS 2 send is waited on at once. */
static void test_only_releasable_batches_linger(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/l", 3, "x", 1, NULL, 0, 2, 0, 0, NULL);
	static struct session s = {.client_id = "l", .expiry_interval = 60, .proto = 4};
	struct conn conn = {0};
	uint64_t mark;

	hold_fixture(f, &s, &conn);
	mark = broker_store_mark(&f->b);
	hold_send(f, &s, m, 1);
	assert_int_equal(broker_store_puback(&f->c[1], 50, 0, mark, m), 0);
	assert_int_equal(n_sent, 0);
	assert_true(atomic_load(&f->st->want) < store_batch_peek(f->st));
	/* offline: nothing acknowledges it soon */
	s.client = NULL;
	assert_true(broker_store_queued(&f->b, &s, m, 1, 0, 0, 0) != 0);
	assert_int_equal(atomic_load(&f->st->want), store_batch_peek(f->st));
	commit_and_wait(f, 1);
	assert_int_equal(n_sent, 1);
	/* a QoS 2 send holds the subscriber's output: waited on */
	s.client = &f->c[0];
	hold_send(f, &s, m, 2);
	assert_int_equal(atomic_load(&f->st->want), store_batch_peek(f->st));
	broker_store_commit(&f->b);
	qos_fini(&s.qos);
	msg_unref(m);
}

static void test_held_client_that_closes_is_forgotten(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/h", 3, "x", 1, NULL, 0, 2, 0, 0, NULL);
	/* static: a session ends in its id, which only a static object may initialise */
	static struct session s = {
	    .client_id = "h", .expiry_interval = 60, .proto = 5};
	struct conn conn = {0};

	hold_fixture(f, &s, &conn);
	hold_send(f, &s, m, 2);
	assert_true(f->c[0].store_hold != 0);
	broker_store_client_gone(&f->c[0]);
	assert_int_equal(f->c[0].store_hold, 0);
	assert_null(f->b.store->held);
	hold_wait(f);
	assert_int_equal(n_flushed, 0);
	qos_fini(&s.qos);
	msg_unref(m);
}

/* ---- read-back answers (a session's or a bridge's queue), stand-ins recording them ---- */

static struct readback {
	struct fx *f;
	struct session *s;
	struct msg *m;
	int n_session, n_bridge, n_commits_before; /* calls; commits the test made before */
	uint32_t rows;
} rb;
static int n_commits; /* broker_store_commit calls the test made */

void broker_spill_fetched(struct broker *b, const struct store_fetch *ans)
{
	assert_ptr_equal(b, &rb.f->b);
	assert_int_equal(ans->sid, rb.s->store_id);
	rb.n_session++;
	rb.rows = ans->n;
	rb.n_commits_before = n_commits;
	hold_send(rb.f, rb.s, rb.m, 2); /* what the refilled queue's pump does: a QoS 2 send */
}

void broker_bridge_fetched(struct broker *b, const struct store_fetch *ans)
{
	assert_ptr_equal(b, &rb.f->b);
	assert_int_equal(ans->sid, 0);
	rb.n_bridge++;
}

/*
 * A session's read-back answer is handled in the loop's dispatch (the store's event), like a
 * client's packet, so the QoS 2 send its refilled queue stages (output held until durable)
 * goes with the iteration's commit before the wait. Handled after that commit (before it was
 * fixed, in the before-wait hook), the send waited for some other event to wake the loop, and
 * a subscriber draining a long stored queue saw a page, then silence (t_store_crash, SAN).
 */
static void test_readback_answer_is_dispatched_before_the_commit(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/r", 3, "x", 1, NULL, 0, 2, 0, 0, NULL);
	static struct session s = {
	    .client_id = "r", .expiry_interval = 60, .proto = 5};
	struct conn conn = {0};

	hold_fixture(f, &s, &conn);
	rb = (struct readback){.f = f, .s = &s, .m = m};
	n_commits = 0;
	assert_int_equal(store_session_fetch(f->st, s.store_id, "r", 1, 0, 16), 0);
	assert_int_equal(store_bridge_fetch(f->st, "br", 2, 0, UINT64_MAX, 0, 16), 0);
	/* the loop alone, no commit: the store's event hands both answers over */
	for (int i = 0; i < 500 && !(rb.n_session && rb.n_bridge); i++)
		loop_run_once(f->loop, 10);
	assert_int_equal(rb.n_session, 1);
	assert_int_equal(rb.n_bridge, 1);
	assert_int_equal(rb.rows, 0); /* nothing queued in the store */
	assert_int_equal(rb.n_commits_before, 0);
	assert_true(f->c[0].store_hold != 0); /* the send it staged waits for durability */
	/* the iteration's one commit (before the wait) takes it: the hold ends */
	n_commits++;
	hold_wait(f);
	assert_int_equal(n_flushed, 1);
	assert_ptr_equal(flushed, &f->c[0]);
	assert_null(store_fetch_take(f->st)); /* each answer handled once */
	qos_fini(&s.qos);
	msg_unref(m);
}

static void test_resume_holds_a_resend_that_is_not_durable(void **state)
{
	struct fx *f = *state;
	struct msg *m = msg_new(NULL, "t/h", 3, "x", 1, NULL, 0, 2, 0, 0, NULL);
	/* static: a session ends in its id, which only a static object may initialise */
	static struct session s = {
	    .client_id = "h", .expiry_interval = 60, .proto = 5};
	struct conn conn = {0}, conn2 = {0};

	hold_fixture(f, &s, &conn);
	hold_send(f, &s, m, 2);
	/* the connection drops before the send was durable; a new one takes the session */
	broker_store_client_gone(&f->c[0]);
	f->c[1].conn = &conn2;
	f->c[1].session = &s;
	s.client = &f->c[1];
	broker_store_resume(&f->c[1]);
	assert_true(f->c[1].store_hold != 0);
	assert_true(conn2.gated);
	hold_wait(f);
	assert_int_equal(n_flushed, 1);
	assert_ptr_equal(flushed, &f->c[1]);
	/* once durable, a resume does not wait */
	broker_store_resume(&f->c[1]);
	assert_int_equal(f->c[1].store_hold, 0);
	qos_fini(&s.qos);
	msg_unref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ack_now_when_nothing_staged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ack_waits_for_durability_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_acks_of_a_closed_client_are_dropped, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_acks_behind_a_waiting_one_and_a_close_while_sending,
				    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_reconnected_sessions_acks_wait_behind_its_old_ones,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_acks_grow_the_ring, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_message_stored_once_and_forgotten, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_puback_goes_when_every_recipient_acknowledged,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_puback_keeps_its_place_and_pins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qos2_send_and_pubrel_hold_output_until_durable,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_qos1_and_unstored_sessions_never_wait, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_only_releasable_batches_linger, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_held_client_that_closes_is_forgotten, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_resume_holds_a_resend_that_is_not_durable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_readback_answer_is_dispatched_before_the_commit,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
