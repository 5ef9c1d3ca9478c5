// SPDX-License-Identifier: MIT
/*
 * store unit tests on real files in a scratch directory with real fsync: every record kind
 * round-trips through close/reopen; messages are shared by handle and deleted with their last
 * reference; entry order; group commit and in-order completions; writes that cancel out and the
 * writer's linger; a bridge queue is read back a page at a time (store_bridge_fetch), in the
 * middle of a commit when its rows are committed. Opening a store file (damaged, newer, v0,
 * missing directory, locked) is in test_store_open; disk full, read-only directories and SIGKILL
 * are in test_store_crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store_fx.h"
#include "store_helpers.h"
#include "store_int.h"

static void roundtrip(void **state, enum store_sync sync)
{
	static const uint8_t props[] = {0x03, 0x00, 0x04, 't', 'e', 'x', 't'};
	struct fx *f = *state;
	struct store_session s = {
	    .client_id = "dev-1",
	    .client_id_len = 5,
	    .proto = 5,
	    .expiry_interval = 86400,
	    .disconnect_ms = 1700000000000,
	    .listener = 1,
	    .username = "alice",
	    .username_len = 5,
	    .has_will = true,
	    .will = {.topic = (const uint8_t *)"dev/1/lwt",
		     .topic_len = 9,
		     .payload = (const uint8_t *)"gone",
		     .payload_len = 4,
		     .delay = 10,
		     .qos = 1,
		     .retain = 1},
	};
	struct store_session s2 = {.client_id = "dev-2", .client_id_len = 5, .proto = 4};
	struct store_msg m = {.topic = "a/b",
			      .topic_len = 3,
			      .props = props,
			      .props_len = sizeof(props),
			      .payload = (const uint8_t *)"hello",
			      .payload_len = 5,
			      .expiry_ms = 1800000000000,
			      .qos = 2,
			      .retain = 1};
	uint64_t a, b, c, q1, q2, q3;

	reopen(f, sync);
	assert_int_equal(store_session_put(f->st, &s), 0);
	assert_int_equal(store_session_put(f->st, &s2), 0);
	assert_int_not_equal(s.id, 0);
	assert_int_not_equal(s.id, s2.id);
	assert_int_equal(store_sub_put(f->st, s.id, "a/#", 3, 0x05, 7), 0);
	assert_int_equal(store_sub_put(f->st, s.id, "$share/g/x", 10, 0x81, 0), 0);
	assert_int_equal(store_sub_put(f->st, s2.id, "gone", 4, 0, 0), 0);
	assert_int_equal(store_sub_del(f->st, s2.id, "gone", 4), 0);
	a = store_msg_add(f->st, &m);
	b = add_msg(f->st, "c/d", "world", 1);
	c = add_msg(f->st, "e", "pubrel-me", 2);
	q1 = store_out_add(f->st, s.id, a, 2, 1, 7, 0);
	q2 = store_out_add(f->st, s.id, b, 1, 0, 0, 2);
	q3 = store_out_add(f->st, s.id, c, 2, 0, 0, 0);
	assert_true(a && b && c && q1 < q2 && q2 < q3);
	assert_int_equal(store_out_sent(f->st, s.id, q2, 77, true), 0);
	assert_int_equal(store_out_sent(f->st, s.id, q3, 78, false), 0);
	assert_int_equal(store_out_pubrel(f->st, s.id, q3, 78), 0);
	assert_int_equal(store_rx2_add(f->st, s.id, 300), 0);
	assert_int_equal(store_rx2_add(f->st, s.id, 301), 0);
	assert_int_equal(store_rx2_del(f->st, s.id, 300), 0);
	assert_int_equal(
	    store_retain_set(f->st, "a/b", 3, a, &(struct store_source){"pub-1", "bob", 5, 3, 2}),
	    0);
	/* a second retained entry without a user name, and one with an unknown publisher */
	assert_int_equal(
	    store_retain_set(f->st, "c/d", 3, b, &(struct store_source){"anon", NULL, 4, 0, 0}), 0);
	assert_int_equal(store_retain_set(f->st, "e", 1, b, NULL), 0);
	assert_true(store_bridge_add(f->st, "up", 2, b, 1) > q3);
	commit_wait(f);
	reopen(f, sync);

	struct loaded *l = &f->l;

	assert_int_equal(l->res.sessions, 2);
	assert_int_equal(l->nsess, 2);
	assert_int_equal(l->sess[0].id, s.id);
	assert_string_equal(l->sess_ids[0], "dev-1");
	assert_string_equal(l->sess_user[0], "alice");
	assert_int_equal(l->sess[0].proto, 5);
	assert_int_equal(l->sess[0].expiry_interval, 86400);
	assert_int_equal(l->sess[0].disconnect_ms, 1700000000000);
	assert_int_equal(l->sess[0].listener, 1);
	assert_true(l->sess[0].has_will);
	assert_int_equal(l->sess[0].will.delay, 10);
	assert_int_equal(l->sess[0].will.qos, 1);
	assert_int_equal(l->sess[0].will.retain, 1);
	assert_int_equal(l->sess[0].will.topic_len, 9);
	assert_int_equal(l->sess[0].will.payload_len, 4);
	assert_false(l->sess[1].has_will);
	assert_null(l->sess[1].username);

	assert_int_equal(l->nsubs, 2);
	assert_int_equal(l->subs[0].sid, s.id);
	assert_string_equal(l->subs[0].filter, "$share/g/x"); /* key order: (sid, filter) */
	assert_int_equal(l->subs[0].opts, 0x81);
	assert_string_equal(l->subs[1].filter, "a/#");
	assert_int_equal(l->subs[1].opts, 0x05);
	assert_int_equal(l->subs[1].sub_id, 7);

	/* c lost its only reference at PUBREC: not stored any more */
	assert_int_equal(l->nmsgs, 2);
	struct lmsg *la = loaded_msg(l, a), *lb = loaded_msg(l, b);

	assert_non_null(la);
	assert_non_null(lb);
	assert_null(loaded_msg(l, c));
	assert_string_equal(la->m.topic, "a/b");
	assert_int_equal(la->m.payload_len, 5);
	assert_memory_equal(la->m.payload, "hello", 5);
	assert_int_equal(la->m.props_len, sizeof(props));
	assert_memory_equal(la->m.props, props, sizeof(props));
	assert_int_equal(la->m.expiry_ms, 1800000000000);
	assert_int_equal(la->m.qos, 2);
	assert_int_equal(la->m.retain, 1);
	assert_int_equal(lb->m.props_len, 0);

	assert_int_equal(l->nout, 3);
	assert_int_equal(l->out[0].e.seq, q1);
	assert_ptr_equal(l->out[0].e.msg, la);
	assert_int_equal(l->out[0].e.state, STORE_OUT_QUEUED);
	assert_int_equal(l->out[0].e.qos, 2);
	assert_int_equal(l->out[0].e.retain, 1);
	assert_int_equal(l->out[0].e.sub_id, 7);
	assert_int_equal(l->out[1].e.state, STORE_OUT_SENT);
	assert_int_equal(l->out[1].e.pid, 77);
	assert_int_equal(l->out[1].e.dup, 1);
	assert_int_equal(l->out[1].e.share, 2);
	assert_ptr_equal(l->out[1].e.msg, lb);
	assert_int_equal(l->out[2].e.state, STORE_OUT_PUBREL);
	assert_int_equal(l->out[2].e.pid, 78);
	assert_null(l->out[2].e.msg);

	assert_int_equal(l->nrx2, 1);
	assert_int_equal(l->rx2[0].pid, 301);
	assert_int_equal(l->nret, 3);
	assert_string_equal(l->ret[0].topic, "a/b");
	assert_ptr_equal(l->ret[0].m, la); /* one handle per stored message, shared */
	/* the publisher of each retained message (check_retain_source), NULL columns: unknown */
	assert_string_equal(l->ret[0].src, "pub-1/bob/2");
	assert_string_equal(l->ret[1].topic, "c/d");
	assert_string_equal(l->ret[1].src, "anon/NULL/0");
	assert_string_equal(l->ret[2].topic, "e");
	assert_string_equal(l->ret[2].src, "");
	assert_int_equal(la->refs, 2);
	assert_int_equal(l->nbr, 1);
	assert_ptr_equal(l->br[0].msg, lb);
	assert_int_equal(l->br[0].qos, 1);
	assert_int_equal(l->res.orphans, 0);
	assert_int_equal(l->res.skipped, 0);

	/* new ids continue past the loaded ones */
	struct store_session s3 = {.client_id = "dev-3", .client_id_len = 5, .proto = 4};

	assert_int_equal(store_session_put(f->st, &s3), 0);
	assert_true(s3.id > s2.id);
	assert_true(add_msg(f->st, "x", "y", 1) > b);
	assert_true(store_out_add(f->st, s3.id, a, 1, 0, 0, 0) > l->br[0].seq);

	/* bridge state and deletion, session deletion drops everything it held */
	assert_int_equal(store_bridge_state(f->st, "up", 2, l->br[0].seq, 1), 0);
	assert_int_equal(store_session_del(f->st, s.id), 0);
	commit_wait(f);
	reopen(f, sync);
	assert_int_equal(f->l.res.sessions, 2);
	assert_int_equal(f->l.nsubs, 0);
	assert_int_equal(f->l.nrx2, 0);
	assert_int_equal(f->l.nout, 1); /* s3's entry */
	assert_int_equal(f->l.nbr, 1);
	assert_int_equal(f->l.br[0].state, 1);
	assert_int_equal(f->l.nmsgs, 2); /* a (retained, s3) and b (bridge) */
}

static void test_roundtrip_full(void **state)
{
	roundtrip(state, STORE_SYNC_FULL);
}

static void test_roundtrip_normal(void **state)
{
	roundtrip(state, STORE_SYNC_NORMAL);
}

static void test_refcount(void **state)
{
	struct fx *f = *state;
	struct store_session s = {.client_id = "c", .client_id_len = 1, .proto = 4};
	struct store_session t = {.client_id = "d", .client_id_len = 1, .proto = 4};
	struct store_stats stats;
	uint64_t m, e1, e2, lone;

	reopen(f, STORE_SYNC_NORMAL);
	store_session_put(f->st, &s);
	store_session_put(f->st, &t);
	m = add_msg(f->st, "t", "shared", 1);
	lone = add_msg(f->st, "t", "nobody refers to me", 1);
	e1 = store_out_add(f->st, s.id, m, 1, 0, 0, 0);
	e2 = store_out_add(f->st, t.id, m, 1, 0, 0, 0);
	store_retain_set(f->st, "t", 1, m, NULL);
	commit_wait(f);
	store_stats(f->st, &stats);
	assert_int_equal(stats.messages, 1); /* the unreferenced one was not kept */

	/* handover inside one batch: the last reference goes before the new one comes */
	store_out_del(f->st, s.id, e1);
	store_out_del(f->st, t.id, e2);
	store_retain_del(f->st, "t", 1);
	uint64_t e3 = store_out_add(f->st, t.id, m, 1, 0, 0, 0);

	commit_wait(f);
	reopen(f, STORE_SYNC_NORMAL);
	assert_int_equal(f->l.nmsgs, 1);
	assert_null(loaded_msg(&f->l, lone));
	assert_int_equal(f->l.nout, 1);
	assert_int_equal(f->l.out[0].e.seq, e3);

	/* the last reference goes: the message goes in the same transaction */
	store_out_del(f->st, t.id, e3);
	commit_wait(f);
	store_stats(f->st, &stats);
	assert_int_equal(stats.messages, 0);
	/* a later reference to the deleted id is refused (not a dangling row) */
	store_out_add(f->st, t.id, m, 1, 0, 0, 0);
	commit_wait(f);
	reopen(f, STORE_SYNC_NORMAL);
	assert_int_equal(f->l.nmsgs, 0);
	assert_int_equal(f->l.nout, 0);
	assert_int_equal(f->l.res.orphans, 0);
	assert_int_equal(f->l.res.skipped, 0);

	/* retained replace: the old message goes, the new one stays */
	uint64_t r1 = add_msg(f->st, "r", "old", 0), r2;

	store_retain_set(f->st, "r", 1, r1, NULL);
	commit_wait(f);
	r2 = add_msg(f->st, "r", "new", 0);
	store_retain_set(f->st, "r", 1, r2, NULL);
	commit_wait(f);
	reopen(f, STORE_SYNC_NORMAL);
	assert_int_equal(f->l.nmsgs, 1);
	assert_non_null(loaded_msg(&f->l, r2));
	assert_ptr_equal(f->l.ret[0].m, loaded_msg(&f->l, r2));
}

static void test_order(void **state)
{
	struct fx *f = *state;
	struct store_session s[2] = {{.client_id = "a", .client_id_len = 1, .proto = 5},
				     {.client_id = "b", .client_id_len = 1, .proto = 5}};
	uint64_t seqs[2][500];

	reopen(f, STORE_SYNC_NORMAL);
	store_session_put(f->st, &s[0]);
	store_session_put(f->st, &s[1]);
	for (int i = 0; i < 1000; i++) {
		char p[16];

		snprintf(p, sizeof(p), "%d", i);
		uint64_t m = add_msg(f->st, "o", p, 1);

		seqs[i & 1][i / 2] = store_out_add(f->st, s[i & 1].id, m, 1, 0, 0, 0);
		if (i % 100 == 99)
			store_commit(f->st); /* several batches */
	}
	commit_wait(f);
	reopen(f, STORE_SYNC_NORMAL);
	assert_int_equal(f->l.nout, 1000);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 500; i++) {
			const struct lout *o = &f->l.out[k * 500 + i];
			char p[16];

			assert_int_equal(o->sid, s[k].id);
			assert_int_equal(o->e.seq, seqs[k][i]);
			snprintf(p, sizeof(p), "%d", 2 * i + k);
			assert_int_equal(((struct lmsg *)o->e.msg)->m.payload_len, strlen(p));
			assert_memory_equal(((struct lmsg *)o->e.msg)->m.payload, p, strlen(p));
		}
}

/* Ask for a page of bridge "up" after seq `after` and wait for the answer. */
/* Ask for a page of bridge "up" (rows up to upto, the newest in store batch `batch`) and wait
 * for the answer. */
static struct store_fetch *fetch_upto(struct fx *f, uint64_t after, uint64_t upto, uint64_t batch,
				      uint32_t max)
{
	struct store_fetch *r;

	assert_int_equal(store_bridge_fetch(f->st, "up", 2, after, upto, batch, max), 0);
	r = fetch_take_wait(f->st);
	assert_non_null(r);
	assert_int_equal(r->err, 0);
	return r;
}

/* Everything after `after`, never answered in the middle of a commit. */
static struct store_fetch *fetch_wait(struct fx *f, uint64_t after, uint32_t max)
{
	return fetch_upto(f, after, UINT64_MAX, UINT64_MAX, max);
}

/* A spilled bridge queue is read back in seq order, with its messages, a page at a time, only
 * for its own bridge, and only as far as batches were written. */
static void test_bridge_fetch(void **state)
{
	struct fx *f = *state;
	uint64_t seq[100];
	struct store_fetch *r;
	char p[16];

	reopen(f, STORE_SYNC_NORMAL);
	for (int i = 0; i < 100; i++) {
		snprintf(p, sizeof(p), "m%d", i);
		seq[i] = store_bridge_add(f->st, "up", 2, add_msg(f->st, "q/b", p, 1), 1 + (i & 1));
		assert_true(store_bridge_add(f->st, "upx", 3, add_msg(f->st, "x", "x", 1), 1) > 0);
		if (i == 59)
			commit_wait(f);
	}
	r = fetch_wait(f, 0, 50);
	assert_int_equal(r->n, 50);
	for (uint32_t i = 0; i < r->n; i++) {
		snprintf(p, sizeof(p), "m%u", i);
		assert_int_equal(r->rows[i].e.seq, seq[i]);
		assert_int_equal(r->rows[i].e.qos, 1 + (i & 1));
		assert_int_equal(r->rows[i].m.payload_len, strlen(p));
		assert_memory_equal(r->rows[i].m.payload, p, strlen(p));
		assert_int_equal(r->rows[i].m.topic_len, 3);
		assert_memory_equal(r->rows[i].m.topic, "q/b", 3);
	}
	store_fetch_free(r);
	/* entries 60.. are staged, not written: the answer stops at 59 */
	r = fetch_wait(f, seq[49], 50);
	assert_int_equal(r->n, 10);
	assert_int_equal(r->rows[9].e.seq, seq[59]);
	store_fetch_free(r);
	commit_wait(f);
	r = fetch_wait(f, seq[59], 1000);
	assert_int_equal(r->n, 40);
	assert_int_equal(r->rows[0].e.seq, seq[60]);
	assert_int_equal(r->rows[39].e.seq, seq[99]);
	store_fetch_free(r);
	store_bridge_del(f->st, "up", 2, seq[0]);
	commit_wait(f);
	r = fetch_wait(f, 0, 1);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->rows[0].e.seq, seq[1]);
	store_fetch_free(r);
}

/* A fetch whose rows are all committed is answered in the middle of a long commit, not after it
 * (a drain's commits of thousands of deletes made the bridge's head run dry waiting), and
 * returns none of that transaction's rows; one that needs the commit still waits for it. */
static void test_bridge_fetch_mid_commit(void **state)
{
	struct fx *f = *state;
	uint64_t seq[100], last = 0, batch, big;
	struct store_fetch *r;
	char p[16];

	reopen(f, STORE_SYNC_FULL);
	for (int i = 0; i < 100; i++) {
		snprintf(p, sizeof(p), "m%d", i);
		seq[i] = store_bridge_add(f->st, "up", 2, add_msg(f->st, "q/b", p, 1), 1);
	}
	batch = store_batch_next(f->st);
	commit_wait(f);
	/* one long transaction: 40,000 messages, each for a bridge, "up" among them */
	for (int i = 0; i < 40000; i++) {
		snprintf(p, sizeof(p), "n%d", i);
		last = store_bridge_add(f->st, i & 1 ? "upx" : "up", i & 1 ? 3 : 2,
					add_msg(f->st, "q/b", p, 1), 1);
		assert_true(last > 0);
	}
	big = store_commit(f->st);
	store_want(f->st, big);
	usleep(20000); /* the writer is inside that transaction by now */
	r = fetch_upto(f, 0, seq[99], batch, 1000);
	assert_true(r->durable < big);
	assert_true(store_durable_seq(f->st) < big); /* answered before the commit ended */
	assert_int_equal(r->n, 100);
	assert_int_equal(r->rows[0].e.seq, seq[0]);
	assert_int_equal(r->rows[99].e.seq, seq[99]);
	store_fetch_free(r);
	/* rows of the open transaction: only once it is durable */
	r = fetch_upto(f, seq[99], last, big, 10);
	assert_true(r->durable >= big);
	assert_int_equal(r->n, 10);
	assert_true(r->rows[0].e.seq > seq[99]);
	store_fetch_free(r);
}

/* A message that only bridge entries past the bridge's head in memory refer to is counted (it
 * stays stored) but never built at load; one that an outgoing entry also needs is built once. */
static void test_bridge_lazy_load(void **state)
{
	struct fx *f = *state;
	struct store_session s = {.client_id = "c", .client_id_len = 1, .proto = 4};
	uint64_t ids[10];
	char p[16];

	reopen(f, STORE_SYNC_NORMAL);
	store_session_put(f->st, &s);
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "m%d", i);
		ids[i] = add_msg(f->st, "q/b", p, 1);
		assert_true(store_bridge_add(f->st, "up", 2, ids[i], 1) > 0);
	}
	assert_true(store_out_add(f->st, s.id, ids[7], 1, 0, 0, 0) > 0);
	commit_wait(f);
	f->l.br_mem = 3;
	reopen(f, STORE_SYNC_NORMAL);
	assert_int_equal(f->l.nbr, 3);
	assert_int_equal(f->l.br_stored, 7);
	assert_int_equal(f->l.res.bridge, 10);
	/* the head's three and the one the session's entry needs */
	assert_int_equal(f->l.nmsgs, 4);
	assert_int_equal(f->l.res.messages, 4);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(f->l.br[i].msg, loaded_msg(&f->l, ids[i]));
	assert_non_null(loaded_msg(&f->l, ids[7]));
	assert_null(loaded_msg(&f->l, ids[8]));
	assert_int_equal(f->l.res.orphans, 0);
	/* nothing was dropped: every entry and message is still there, in memory or not */
	f->l.br_mem = 0;
	reopen(f, STORE_SYNC_NORMAL);
	assert_int_equal(f->l.nbr, 10);
	assert_int_equal(f->l.nmsgs, 10);
	assert_int_equal(f->l.res.orphans + f->l.res.skipped, 0);
	for (int i = 0; i < 10; i++)
		assert_ptr_equal(f->l.br[i].msg, loaded_msg(&f->l, ids[i]));
}

/* A damaged message row is found when an entry first needs it: the message and its entries go,
 * the rest loads. */
static void test_damaged_msg(void **state)
{
	struct fx *f = *state;
	struct store_session s = {.client_id = "c", .client_id_len = 1, .proto = 4};
	char path[600], sql[128];
	uint64_t bad, good;
	sqlite3 *db;

	reopen(f, STORE_SYNC_NORMAL);
	store_session_put(f->st, &s);
	bad = add_msg(f->st, "t", "bad", 1);
	good = add_msg(f->st, "t", "good", 1);
	store_out_add(f->st, s.id, bad, 1, 0, 0, 0);
	store_out_add(f->st, s.id, good, 1, 0, 0, 0);
	store_retain_set(f->st, "t", 1, bad, NULL);
	commit_wait(f);
	store_close(f->st);
	f->st = NULL;
	snprintf(path, sizeof(path), "%s/%s", f->dir, STORE_DEFAULT_FILE);
	snprintf(sql, sizeof(sql), "UPDATE messages SET flags = 99 WHERE id = %llu",
		 (unsigned long long)bad);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	reopen(f, STORE_SYNC_NORMAL);
	assert_int_equal(f->l.nout, 1);
	assert_ptr_equal(f->l.out[0].e.msg, loaded_msg(&f->l, good));
	assert_int_equal(f->l.nret, 0);
	assert_int_equal(f->l.res.skipped, 3); /* the message, its entry, its retained row */
	reopen(f, STORE_SYNC_NORMAL);
	assert_int_equal(f->l.nout, 1);
	assert_int_equal(f->l.nmsgs, 1);
	assert_int_equal(f->l.res.skipped + f->l.res.orphans, 0);
}

/* Many stages, one commit: one transaction. Many commits while the thread is busy: fewer
 * transactions than batches, and completions reported only in order. */
static void test_group_commit(void **state)
{
	struct fx *f = *state;
	struct store_session s = {.client_id = "g", .client_id_len = 1, .proto = 5};
	struct store_stats st0, st1;
	uint64_t last = 0, seen = 0;

	reopen(f, STORE_SYNC_FULL);
	store_session_put(f->st, &s);
	for (int i = 0; i < 10000; i++)
		store_out_add(f->st, s.id, add_msg(f->st, "g", "x", 1), 1, 0, 0, 0);
	store_stats(f->st, &st0);
	commit_wait(f);
	store_stats(f->st, &st1);
	assert_int_equal(st1.commits - st0.commits, 1);
	assert_int_equal(st1.messages, 10000);

	st0 = st1;
	for (int i = 0; i < 300; i++) {
		store_out_add(f->st, s.id, add_msg(f->st, "g", "y", 1), 1, 0, 0, 0);
		uint64_t seq = store_commit(f->st);

		assert_int_equal(seq, last + (last ? 1 : seq));
		last = seq;
		uint64_t d = store_dispatch(f->st);

		assert_true(d >= seen && d <= seq); /* monotonic, never ahead of what was handed */
		seen = d;
	}
	assert_true(wait_durable(f->st, last, 10000));
	store_stats(f->st, &st1);
	assert_int_equal(st1.batches - st0.batches, 300);
	assert_true(st1.commits - st0.commits < 300);
	assert_int_equal(st1.durable_seq, last);
	assert_int_equal(st1.committed_seq, last);
	assert_true(st1.max_commit_us > 0);
	assert_true(st1.db_bytes > 10000 * 20);
	uint64_t h = 0;

	for (int i = 0; i < STORE_HIST_BUCKETS; i++)
		h += st1.hist[i];
	assert_int_equal(h, st1.commits);
	/* nothing staged: the same seq again, already durable */
	assert_int_equal(store_commit(f->st), last);
	print_message("group commit: 300 batches in %llu transactions (sync full)\n",
		      (unsigned long long)(st1.commits - st0.commits));
}

/* Writes that cancel out inside one transaction are not done (store_cancel.c): what is left
 * is what applying every op would leave. */
static void test_cancel(void **state)
{
	struct fx *f = *state;
	struct store_session s = {.client_id = "k", .client_id_len = 1, .proto = 4};
	struct store_stats st0, st1;
	uint64_t gone, kept, ret, e1, e2, e3, e4;

	reopen(f, STORE_SYNC_FULL);
	store_session_put(f->st, &s);
	commit_wait(f);
	store_stats(f->st, &st0);
	/* added, sent and acknowledged before its commit: nothing of it is written */
	gone = add_msg(f->st, "k", "acked", 1);
	e1 = store_out_add(f->st, s.id, gone, 1, 0, 0, 0);
	store_out_sent(f->st, s.id, e1, 7, false);
	store_out_del(f->st, s.id, e1);
	/* one entry acknowledged, one still queued: the message stays for the second */
	kept = add_msg(f->st, "k", "queued", 1);
	e2 = store_out_add(f->st, s.id, kept, 1, 0, 0, 0);
	e3 = store_out_add(f->st, s.id, kept, 1, 0, 0, 0);
	store_out_sent(f->st, s.id, e2, 8, false);
	store_out_del(f->st, s.id, e2);
	/* its entry goes, the retained row keeps it */
	ret = add_msg(f->st, "r", "retained", 1);
	e4 = store_out_add(f->st, s.id, ret, 1, 1, 0, 0);
	store_retain_set(f->st, "r", 1, ret, NULL);
	store_out_del(f->st, s.id, e4);
	commit_wait(f);
	store_stats(f->st, &st1);
	assert_int_equal(st1.cancelled - st0.cancelled, 1);
	assert_int_equal(st1.messages, 2);
	/* a batch that cancels out entirely is durable without a transaction */
	gone = add_msg(f->st, "k", "acked too", 1);
	store_out_del(f->st, s.id, store_out_add(f->st, s.id, gone, 1, 0, 0, 0));
	commit_wait(f);
	store_stats(f->st, &st0);
	assert_int_equal(st0.cancelled - st1.cancelled, 1);
	reopen(f, STORE_SYNC_FULL);
	assert_int_equal(f->l.nmsgs, 2);
	assert_null(loaded_msg(&f->l, gone));
	assert_non_null(loaded_msg(&f->l, kept));
	assert_non_null(loaded_msg(&f->l, ret));
	assert_int_equal(f->l.nout, 1);
	assert_int_equal(f->l.out[0].e.seq, e3);
	assert_int_equal(f->l.nret, 1);
	assert_int_equal(f->l.res.skipped, 0);
	assert_int_equal(f->l.res.orphans, 0);
}

/* Linger: a batch nothing waits on stays with the thread (here for ever), so the next batch's
 * deletion cancels its writes; a wanted batch (store_batch_next, store_want) is committed at
 * once, with every batch before it. */
static void test_linger(void **state)
{
	struct fx *f = *state;
	struct store_session s = {.client_id = "k", .client_id_len = 1, .proto = 4};
	struct store_stats st0, st1;
	uint64_t m, e, seq, kept, e_kept;

	reopen(f, STORE_SYNC_FULL);
	store_session_put(f->st, &s);
	commit_wait(f);
	f->st->linger_us = 600 * 1000000LL; /* the thread is idle: it reads it after a commit */
	store_stats(f->st, &st0);
	/* sent in one batch, acknowledged in the next: neither is written */
	m = add_msg(f->st, "k", "acked", 1);
	e = store_out_add(f->st, s.id, m, 1, 0, 0, 0);
	store_out_sent(f->st, s.id, e, 7, false);
	seq = store_commit(f->st);
	store_out_del(f->st, s.id, e);
	store_commit(f->st);
	assert_false(wait_durable(f->st, seq, 300));
	/* a batch someone waits on goes now and takes the lingering ones with it */
	kept = add_msg(f->st, "k", "queued", 1);
	e_kept = store_out_add(f->st, s.id, kept, 1, 0, 0, 0);
	seq = store_batch_next(f->st);
	assert_int_equal(store_commit(f->st), seq);
	assert_true(wait_durable(f->st, seq, 10000));
	store_stats(f->st, &st1);
	assert_int_equal(st1.cancelled - st0.cancelled, 1);
	assert_int_equal(st1.messages, 1);
	/* wanted after it was handed over (a resumed session's resend): the linger ends */
	m = add_msg(f->st, "k", "late", 1);
	store_out_add(f->st, s.id, m, 1, 0, 0, 0);
	seq = store_commit(f->st);
	assert_false(wait_durable(f->st, seq, 300));
	store_want(f->st, seq);
	assert_true(wait_durable(f->st, seq, 10000));
	reopen(f, STORE_SYNC_FULL);
	assert_int_equal(f->l.nmsgs, 2);
	assert_non_null(loaded_msg(&f->l, kept));
	assert_int_equal(f->l.nout, 2);
	assert_int_equal(f->l.out[0].e.seq, e_kept);
}

/* store_cancel() across the batches of one transaction, and run again on a retry. */
static void test_cancel_merged(void **state)
{
	struct store_op o1[] = {
	    {.kind = OP_MSG_ADD, .sid = 5},
	    {.kind = OP_OUT_ADD, .sid = 1, .seq = 10, .msg = 5},
	    {.kind = OP_MSG_ADD, .sid = 6},
	    {.kind = OP_OUT_ADD, .sid = 1, .seq = 11, .msg = 6},
	    {.kind = OP_OUT_ADD, .sid = 2, .seq = 12, .msg = 6},
	};
	struct store_op o2[] = {
	    {.kind = OP_OUT_SENT, .sid = 1, .seq = 10},
	    {.kind = OP_OUT_DEL, .sid = 1, .seq = 10},
	    {.kind = OP_OUT_DEL, .sid = 1, .seq = 11},
	    {.kind = OP_OUT_DEL, .sid = 3, .seq = 9}, /* added by an earlier transaction */
	};
	struct store_op o3[] = {{.kind = OP_OUT_PUBREL, .sid = 2, .seq = 12},
				{.kind = OP_OUT_DEL, .sid = 2, .seq = 12}};
	struct store_batch b2 = {.ops = o2, .n = 4}, b1 = {.ops = o1, .n = 5, .next = &b2};
	struct store_batch b3 = {.ops = o3, .n = 2};
	struct store_cancel c = {0};

	(void)state;
	/* message 5 goes with its only entry; 6 keeps one live entry */
	assert_int_equal(store_cancel(&c, &b1), 1);
	assert_true(o1[0].dead && o1[1].dead && o2[0].dead && o2[1].dead);
	assert_true(o1[3].dead && o2[2].dead);
	assert_false(o1[2].dead || o1[4].dead || o2[3].dead);
	/* a retry that merged one more batch: its delete cancels the rest */
	b2.next = &b3;
	assert_int_equal(store_cancel(&c, &b1), 1);
	assert_true(o1[2].dead && o1[4].dead && o3[0].dead && o3[1].dead);
	assert_false(o2[3].dead);
	assert_int_equal(store_cancel(&c, &b1), 0); /* nothing left to cancel */
	store_cancel_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_roundtrip_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roundtrip_normal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refcount, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	    cmocka_unit_test(test_cancel_merged),
	    cmocka_unit_test_setup_teardown(test_bridge_fetch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bridge_fetch_mid_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bridge_lazy_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_msg, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linger, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
