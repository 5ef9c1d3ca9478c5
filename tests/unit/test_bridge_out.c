/* SPDX-License-Identifier: MIT */
/*
 * bridge_out: a bridge's QoS 1/2 queue against a real store (scratch directory, writer thread)
 * and a real loop, driven as the broker drives it: bridge_enqueue, then each "iteration"
 * store_commit, the answers of store_fetch_take to bridge_fetched, bridge_store_durable; the
 * upstream's PUBACKs are bridge_out_ack calls. The link is up on a connection whose output is
 * kept, never written (conn_want_flush is recorded); bridge_connect_now only belongs to a lazy
 * bridge, which this is not. Those two are the stubs.
 *
 * What is tested is the read-back of the spilled tail (the head in memory is BRIDGE_MEM_ENTRIES
 * entries): a page that could not be taken is asked for again without waiting on a store batch
 * that nothing writes to, and an answer read before its rows were durable is asked for again
 * once they are.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge_int.h"
#include "mqtt.h"
#include "store_helpers.h"

/* ---- the two stubs ---- */

static int n_flush;

void conn_want_flush(struct conn *c)
{
	(void)c;
	n_flush++;
}

void bridge_connect_now(struct bridge *b)
{
	(void)b;
	fail_msg("bridge_connect_now: the bridge is up, not lazy");
}

/* ---- fixture ---- */

#define SPILLED 100u /* entries past the head in memory */
#define WINDOW 1000u

struct fx {
	char dir[256];
	struct store *st;
	struct loop *loop;
	struct config_bridge_topic topic;
	struct config_bridge cfg;
	struct bridge_ops ops;
	struct conn conn;
	struct bridge b;
	int enomem;	   /* fetched_msg fails this many more times */
	uint64_t answers;  /* bridge_fetched calls */
	uint64_t released; /* ops->release calls */
};

static struct msg *fx_fetched_msg(void *ctx, struct bridge *b, const struct store_msg *sm)
{
	struct fx *f = ctx;

	(void)b;
	if (f->enomem) {
		f->enomem--;
		return NULL;
	}
	return msg_new(NULL, sm->topic, sm->topic_len, sm->payload, sm->payload_len, sm->props,
		       sm->props_len, sm->qos, sm->retain, 0, NULL);
}

static void fx_release(void *ctx, struct bridge *b, struct msg *m, uint64_t msg_id)
{
	struct fx *f = ctx;

	(void)b, (void)m, (void)msg_id;
	f->released++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char msg[512];

	if (!f || !scratch_dir(f->dir, sizeof(f->dir)))
		return -1;
	f->st = open_dir(f->dir, STORE_SYNC_NORMAL, msg, sizeof(msg));
	f->loop = loop_new();
	if (!f->st || !f->loop || store_load(f->st, NULL, NULL, NULL))
		return -1;
	f->topic = (struct config_bridge_topic){
	    .local_topic = "#", .remote_topic = "#", .dir = CONFIG_BRIDGE_OUT, .qos = 2};
	f->cfg = (struct config_bridge){.name = "up", .topics = &f->topic, .n_topics = 1};
	f->ops = (struct bridge_ops){.release = fx_release, .fetched_msg = fx_fetched_msg};
	outq_init(&f->conn.out);
	f->b = (struct bridge){
	    .loop = f->loop,
	    .store = f->st,
	    .cfg = &f->cfg,
	    .ops = &f->ops,
	    .ctx = f,
	    .name_len = (uint16_t)strlen(f->cfg.name),
	    .state = BRIDGE_UP,
	    .conn = &f->conn,
	    .version = MQTT_V311,
	    .window = WINDOW,
	    .max_inflight = WINDOW,
	    .up_retain = true,
	};
	if (bridge_out_init(&f->b) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bridge_out_fini(&f->b);
	outq_fini(&f->conn.out);
	store_close(f->st);
	loop_free(f->loop);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* ---- the broker's side, by hand ---- */

/* n QoS 1 messages published to the bridge: the first ones into memory, the rest (past
 * BRIDGE_MEM_ENTRIES) to the store only. */
static void publish(struct fx *f, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct msg *m = msg_new(NULL, "t", 1, "x", 1, NULL, 0, 1, 0, 0, NULL);
		uint64_t id = 0;
		int ret;

		assert_non_null(m);
		ret = bridge_enqueue(&f->b, m, &id);
		assert_true(ret == 0 || ret == BRIDGE_SPILLED);
		msg_unref(m);
	}
}

/* Hand the read-back answers the store has to the bridge, as the loop's dispatch does. */
static void take_answers(struct fx *f)
{
	struct store_fetch *a;

	store_dispatch(f->st);
	while ((a = store_fetch_take(f->st))) {
		assert_int_equal(a->sid, 0);
		bridge_fetched(&f->b, a);
		store_fetch_free(a);
		f->answers++;
	}
}

/* Wait (10 s at most) for the answer to the read-back the bridge asked for; hand it over. */
static void answer_wait(struct fx *f)
{
	struct store_fetch *a;

	assert_true(f->b.fetching);
	a = fetch_take_wait(f->st);
	assert_non_null(a);
	assert_int_equal(a->sid, 0);
	bridge_fetched(&f->b, a);
	store_fetch_free(a);
	f->answers++;
}

/* One loop iteration's end: the commit, then (the batch durable) what waited for it goes. */
static void iteration(struct fx *f)
{
	uint64_t seq = store_commit(f->st);

	assert_true(wait_durable(f->st, seq, 10000));
	take_answers(f);
	bridge_store_durable(&f->b);
}

/* The upstream acknowledges the oldest entries in flight until `left` remain in memory (or
 * none is in flight). */
static void ack_until(struct fx *f, uint32_t left)
{
	struct bridge_queue *q = &f->b.q;

	while (q->n > left && q->inflight) {
		const struct bridge_entry *e = &q->e[q->head];

		assert_int_equal(e->state, BRIDGE_E_SENT);
		assert_int_equal(
		    bridge_out_ack(&f->b, MQTT_PUBACK, (uint16_t)(e->seq % BRIDGE_PID_SPAN + 1), 0),
		    0);
	}
}

/* The publisher stopped: everything goes upstream and leaves the bridge and its store. */
static void drain_all(struct fx *f, uint64_t total)
{
	for (int turns = 0; turns < 1000 && (f->b.q.n || f->b.spill_n); turns++) {
		ack_until(f, 0);
		iteration(f);
		if (f->b.fetching)
			answer_wait(f);
	}
	assert_int_equal(f->b.q.n, 0);
	assert_int_equal(f->b.spill_n, 0);
	assert_int_equal(f->b.st.acked, total);
	assert_int_equal(f->b.st.dropped, 0);
	assert_int_equal(f->released, total);
}

/* ---- tests ---- */

/*
 * A page the bridge could not take (its message could not be built: ENOMEM) is asked for again.
 * The second ask comes right after a commit, so the store batch open then has no write yet; the
 * page after it must not wait for that batch, which nothing will commit while the broker is
 * quiet (ca9a405: it waited for it and the drain stalled with the tail in the store).
 */
static void test_refill_after_failed_page(void **state)
{
	struct fx *f = *state;
	const uint32_t total = BRIDGE_MEM_ENTRIES + SPILLED;

	publish(f, total);
	assert_int_equal(f->b.q.n, BRIDGE_MEM_ENTRIES);
	assert_int_equal(f->b.spill_n, SPILLED);
	iteration(f); /* durable: the window goes out */
	assert_int_equal(f->b.q.inflight, WINDOW);
	assert_true(n_flush > 0);

	/* half drained: the ack that gets there asks for the tail; its page fails */
	f->enomem = 1;
	ack_until(f, BRIDGE_MEM_ENTRIES / 2);
	answer_wait(f);
	assert_int_equal(f->enomem, 0);
	assert_int_equal(f->b.spill_n, SPILLED);
	assert_false(f->b.fetching); /* waits for its deletes to be durable */

	/* they are: asked again after the commit, with nothing staged since; fails again */
	f->enomem = 1;
	iteration(f);
	answer_wait(f);
	assert_int_equal(f->enomem, 0);
	assert_int_equal(f->b.spill_n, SPILLED);
	/* nothing is staged: the open batch will not be committed until something is */
	assert_int_equal(store_commit(f->st), store_durable_seq(f->st));

	/* no write comes (the publisher stopped, nothing is acked): the bridge asks anyway */
	for (int turns = 0; turns < 3 && f->b.spill_n; turns++) {
		iteration(f);
		if (f->b.fetching)
			answer_wait(f);
	}
	assert_int_equal(f->b.spill_n, 0);
	assert_int_equal(f->b.q.n, BRIDGE_MEM_ENTRIES / 2 + SPILLED);
	drain_all(f, total);
}

/*
 * The publisher still publishes while the bridge drains: the tail asked for was staged in the
 * batch still open, so the store reads none of it (an empty answer, read before the batch
 * holding those rows is durable). The bridge asks again once that batch is durable.
 */
static void test_refill_before_rows_durable(void **state)
{
	struct fx *f = *state;
	const uint32_t total = BRIDGE_MEM_ENTRIES + SPILLED;
	uint64_t open;

	publish(f, BRIDGE_MEM_ENTRIES);
	iteration(f); /* durable: the window goes out */
	assert_int_equal(f->b.spill_n, 0);
	publish(f, SPILLED); /* behind a full head: to the store only, in the open batch */
	open = store_batch_peek(f->st);
	assert_int_equal(f->b.spill_n, SPILLED);
	assert_int_equal(f->b.spill_batch, open);
	ack_until(f, BRIDGE_MEM_ENTRIES / 2); /* half drained: asks for the tail */
	answer_wait(f);
	assert_true(store_durable_seq(f->st) < open);
	assert_int_equal(f->b.spill_n, SPILLED); /* none of it was there */
	assert_false(f->b.fetching);
	assert_int_equal(f->answers, 1);

	for (int turns = 0; turns < 3 && f->b.spill_n; turns++) {
		iteration(f);
		if (f->b.fetching)
			answer_wait(f);
	}
	assert_int_equal(f->b.spill_n, 0);
	assert_int_equal(f->answers, 2);
	drain_all(f, total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_refill_after_failed_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refill_before_rows_durable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
