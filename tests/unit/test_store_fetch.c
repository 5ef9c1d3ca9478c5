// SPDX-License-Identifier: MIT
/*
 * store_session_fetch and the lazy load of a session's queue (issue #13): a session's queued
 * entries are read back in seq order with their messages, subscription ids, share tags and
 * retain flags, past `after`, only the session's own, never the in-flight (SENT) ones; at load a
 * queued entry whose out() keeps it in the store only is counted and its message never built.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_helpers.h"
#include "store_int.h"

struct fx {
	char dir[256];
	char msg[512];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || !scratch_dir(f->dir, sizeof(f->dir)))
		return -1;
	f->st = open_dir(f->dir, STORE_SYNC_NORMAL, f->msg, sizeof(f->msg));
	if (!f->st || store_load(f->st, NULL, NULL, NULL))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static void commit_wait(struct fx *f)
{
	assert_true(wait_durable(f->st, store_commit(f->st), 10000));
}

static struct store_fetch *fetch_wait(struct fx *f, uint64_t sid, uint64_t after, uint32_t max)
{
	struct store_fetch *r;

	assert_int_equal(store_session_fetch(f->st, sid, "key", 3, after, max), 0);
	r = fetch_take_wait(f->st);
	assert_non_null(r);
	assert_int_equal(r->err, 0);
	assert_int_equal(r->sid, sid);
	assert_int_equal(r->bridge_len, 3);
	assert_memory_equal(r->bridge, "key", 3);
	return r;
}

struct lazy {
	uint64_t out, built, kept_null;
};

static void *lazy_msg(void *ctx, const struct store_msg *m)
{
	(void)m;
	((struct lazy *)ctx)->built++;
	return malloc(1);
}

/* keeps every queued entry in the store only */
static int lazy_out(void *ctx, uint64_t sid, const struct store_out *e)
{
	struct lazy *l = ctx;

	(void)sid;
	l->out++;
	if (e->state == STORE_OUT_QUEUED) {
		assert_null(e->msg);
		assert_int_equal(e->payload_len, 2);
		l->kept_null++;
	}
	return 0;
}

static void lazy_release(void *ctx, void *msg)
{
	(void)ctx;
	free(msg);
}

static void test_session_fetch(void **state)
{
	struct fx *f = *state;
	struct store_session a = {.client_id = "a", .client_id_len = 1, .proto = 4};
	struct store_session b = {.client_id = "b", .client_id_len = 1, .proto = 5};
	uint64_t seq[6];
	struct store_fetch *r;
	char p[8];

	store_session_put(f->st, &a);
	store_session_put(f->st, &b);
	for (int i = 0; i < 6; i++) {
		snprintf(p, sizeof(p), "m%d", i);
		seq[i] = store_out_add(f->st, a.id, add_msg(f->st, "q/s", p, 2), 1 + (i & 1),
				       i == 1, 100 + i, i == 1 ? 3 : 0);
		assert_true(store_out_add(f->st, b.id, add_msg(f->st, "x", "xx", 1), 1, 0, 0, 0) >
			    0);
	}
	store_out_sent(f->st, a.id, seq[2], 7, false); /* in flight: never read back */
	commit_wait(f);
	r = fetch_wait(f, a.id, 0, 10);
	assert_int_equal(r->n, 5);
	for (uint32_t k = 0, i = 0; k < r->n; k++, i++) {
		if (i == 2)
			i++;
		snprintf(p, sizeof(p), "m%u", i);
		assert_int_equal(r->rows[k].e.seq, seq[i]);
		assert_int_equal(r->rows[k].e.qos, 1 + (i & 1));
		assert_int_equal(r->rows[k].retain, i == 1);
		assert_int_equal(r->rows[k].sub_id, 100 + i);
		assert_int_equal(r->rows[k].share, i == 1 ? 3 : 0);
		assert_int_equal(r->rows[k].m.payload_len, 2);
		assert_memory_equal(r->rows[k].m.payload, p, 2);
		assert_memory_equal(r->rows[k].m.topic, "q/s", 3);
	}
	store_fetch_free(r);
	r = fetch_wait(f, a.id, seq[3], 1);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->rows[0].e.seq, seq[4]);
	store_fetch_free(r);
	/* staged, not written yet: not there */
	store_out_del(f->st, a.id, seq[5]);
	store_out_add(f->st, a.id, add_msg(f->st, "q/s", "zz", 1), 1, 0, 0, 0);
	r = fetch_wait(f, a.id, seq[4], 10);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->rows[0].e.seq, seq[5]);
	store_fetch_free(r);
	assert_int_equal(store_session_fetch(f->st, 0, "k", 1, 0, 1), -EINVAL);
}

/*
 * A batch handed over while the writer runs a read-back (with its mutex released: that signal
 * reaches no one) is committed without another signal. Before the fix the writer took the
 * batch list before the read and waited after it: the batch stayed until the next commit or
 * read, and a subscriber whose QoS 2 output waited on it saw nothing (t_store_crash, SAN).
 */
static void test_batch_during_fetch_is_committed(void **state)
{
	struct fx *f = *state;
	struct store_session a = {.client_id = "a", .client_id_len = 1, .proto = 4};
	uint64_t id, seq;
	struct store_fetch *r;
	bool taken = false;
	int64_t end;

	store_session_put(f->st, &a);
	id = add_msg(f->st, "q/s", "m", 1);
	for (int i = 0; i < 20000; i++) /* a read that takes long enough to land a commit in */
		assert_true(store_out_add(f->st, a.id, id, 1, 0, 0, 0) > 0);
	commit_wait(f);
	assert_int_equal(store_session_fetch(f->st, a.id, "key", 3, 0, 20000), 0);
	/* the writer took the read (and runs it unlocked, or has run it) */
	for (end = helper_ms() + 10000; !taken && helper_ms() < end;) {
		pthread_mutex_lock(&f->st->mu);
		taken = !f->st->fetch_pend;
		pthread_mutex_unlock(&f->st->mu);
	}
	assert_true(taken);
	store_out_add(f->st, a.id, id, 1, 0, 0, 0);
	seq = store_commit(f->st);
	assert_true(wait_durable(f->st, seq, 5000));
	r = fetch_take_wait(f->st);
	assert_non_null(r);
	assert_int_equal(r->n, 20000);
	store_fetch_free(r);
}

static void test_lazy_load(void **state)
{
	struct fx *f = *state;
	struct store_session a = {.client_id = "a", .client_id_len = 1, .proto = 4};
	struct store_load_cb cb = {.msg = lazy_msg, .out = lazy_out, .release = lazy_release};
	struct store_load_result res;
	struct lazy l = {0};
	uint64_t first = 0;

	store_session_put(f->st, &a);
	for (int i = 0; i < 50; i++) {
		uint64_t s = store_out_add(f->st, a.id, add_msg(f->st, "q", "pp", 1), 1, 0, 0, 0);

		first = first ? first : s;
	}
	store_out_sent(f->st, a.id, first, 1, false);
	commit_wait(f);
	store_close(f->st);
	f->st = open_dir(f->dir, STORE_SYNC_NORMAL, f->msg, sizeof(f->msg));
	assert_non_null(f->st);
	assert_int_equal(store_load(f->st, &cb, &l, &res), 0);
	assert_int_equal(res.out, 50);
	assert_int_equal(l.out, 50);
	assert_int_equal(l.kept_null, 49);
	assert_int_equal(l.built, 1); /* the in-flight entry's message only */
	assert_int_equal(res.messages, 1);
	assert_int_equal(res.orphans, 0); /* counted: the store keeps them */
	/* and they are all there to read back */
	struct store_fetch *r = fetch_wait(f, a.id, first, 100);

	assert_int_equal(r->n, 49);
	store_fetch_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_session_fetch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lazy_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_during_fetch_is_committed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
