/* SPDX-License-Identifier: MIT */
/*
 * store_thread: the writer. Takes every batch waiting, applies them in one transaction (group
 * commit: one fsync for all of them in sync full), then publishes the highest durable seq and
 * wakes the loop through an eventfd. A failed transaction is rolled back (reference counts
 * included) and the same batches are retried, in order, after a back-off.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "store_int.h"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_MSG_INS] = "INSERT INTO messages(id,topic,flags,expiry,props,payload) "
		   "VALUES(?,?,?,?,?,?)",
    [ST_MSG_DEL] = "DELETE FROM messages WHERE id=?",
    [ST_MSG_RANGE_DEL] = "DELETE FROM messages WHERE id BETWEEN ? AND ?",
    [ST_SESS_PUT] = "INSERT OR REPLACE INTO sessions(id,client_id,rec) VALUES(?,?,?)",
    [ST_SESS_DEL] = "DELETE FROM sessions WHERE id=?",
    /* no RETURNING anywhere: SQLite gathers its rows in an ephemeral table, opened and closed
     * per run (a drain's deletes spent most of the writer's CPU there); a SELECT first finds
     * the rows and leaves their pages cached for the DELETE */
    [ST_SESS_OUT_GET] = "SELECT msg FROM out WHERE sid=?",
    [ST_SESS_OUT_DEL] = "DELETE FROM out WHERE sid=?",
    [ST_SESS_SUB_DEL] = "DELETE FROM subs WHERE sid=?",
    [ST_SESS_RX2_DEL] = "DELETE FROM rx2 WHERE sid=?",
    [ST_SUB_PUT] = "INSERT OR REPLACE INTO subs(sid,filter,opts,sub_id) VALUES(?,?,?,?)",
    [ST_SUB_DEL] = "DELETE FROM subs WHERE sid=? AND filter=?",
    [ST_OUT_INS] = "INSERT OR REPLACE INTO out(sid,seq,msg,flags,pid,sub_id,share) "
		   "VALUES(?,?,?,?,0,?,?)",
    /* flags: bits 0-1 QoS, 2 retain (kept), 3-4 state, 5 DUP (set here) */
    [ST_OUT_SENT] = "UPDATE out SET flags=(flags&7)|?,pid=? WHERE sid=? AND seq=?",
    [ST_OUT_GET] = "SELECT msg FROM out WHERE sid=? AND seq=?",
    [ST_OUT_PUBREL] = "UPDATE out SET flags=(flags&7)|?,pid=?,msg=NULL WHERE sid=? AND seq=?",
    [ST_OUT_DEL] = "DELETE FROM out WHERE sid=? AND seq=?",
    /* the caller knew the message: deleted only if the row still names it (not after PUBREL) */
    [ST_OUT_DEL_MSG] = "DELETE FROM out WHERE sid=? AND seq=? AND msg=?",
    [ST_OUT_RANGE_GET] = "SELECT msg FROM out WHERE sid=? AND seq BETWEEN ? AND ?",
    [ST_OUT_RANGE_DEL] = "DELETE FROM out WHERE sid=? AND seq BETWEEN ? AND ?",
    [ST_RX2_ADD] = "INSERT OR IGNORE INTO rx2(sid,pid) VALUES(?,?)",
    [ST_RX2_DEL] = "DELETE FROM rx2 WHERE sid=? AND pid=?",
    [ST_RET_GET] = "SELECT msg FROM retained WHERE topic=?",
    [ST_RET_PUT] = "INSERT OR REPLACE INTO retained(topic,msg,src_id,src_user,src_listener)"
		   " VALUES(?,?,?,?,?)",
    [ST_RET_DEL] = "DELETE FROM retained WHERE topic=?",
    [ST_BR_INS] = "INSERT OR REPLACE INTO bridge(name,seq,msg,qos,state) VALUES(?,?,?,?,?)",
    [ST_BR_STATE] = "UPDATE bridge SET state=? WHERE name=? AND seq=?",
    [ST_BR_RANGE_STATE] = "UPDATE bridge SET state=? WHERE name=? AND seq BETWEEN ? AND ?",
    [ST_BR_GET] = "SELECT msg FROM bridge WHERE name=? AND seq=?",
    [ST_BR_DEL] = "DELETE FROM bridge WHERE name=? AND seq=?",
    [ST_BR_DEL_MSG] = "DELETE FROM bridge WHERE name=? AND seq=? AND msg=?",
    [ST_BR_RANGE_GET] = "SELECT msg FROM bridge WHERE name=? AND seq BETWEEN ? AND ?",
    [ST_BR_RANGE_DEL] = "DELETE FROM bridge WHERE name=? AND seq BETWEEN ? AND ?",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

int store_stmts_prepare(struct store *st)
{
	for (int i = 0; i < ST_COUNT; i++) {
		int rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

void store_stmts_finalize(struct store *st)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
}

void store_batch_free(struct store_batch *b)
{
	while (b) {
		struct store_batch *next = b->next;

		free(b->ops);
		free(b->arena);
		free(b);
		b = next;
	}
}

void store_batch_recycle(struct store *st, struct store_batch *list)
{
	while (list) {
		struct store_batch *next = list->next;

		if (st->spare_n < STORE_SPARE && list->acap <= STORE_SPARE_MAX_BYTES &&
		    list->cap * sizeof(*list->ops) <= STORE_SPARE_MAX_BYTES) {
			list->next = st->spare;
			st->spare = list;
			st->spare_n++;
		} else {
			list->next = NULL;
			store_batch_free(list);
		}
		list = next;
	}
}

/* ---- applying a batch ---- */

static inline const void *A(const struct store_batch *b, size_t off)
{
	return b->arena + off;
}

/* Step a statement that returns no rows (or whose rows we ignore); reset it. */
static int step_done(sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_stmt_run(struct store *st, enum store_stmt_id id)
{
	return step_done(st->stmt[id]);
}

int store_msg_delete(struct store *st, uint64_t id)
{
	sqlite3_stmt *s = st->stmt[ST_MSG_DEL];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return step_done(s);
}

/* Step s, dropping one reference for each non-NULL message id it returns in column 0. */
static int step_unref(struct store *st, sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) == SQLITE_NULL)
			continue;
		if (store_refs_change(&st->rc, (uint64_t)sqlite3_column_int64(s, 0), -1) == -ENOMEM) {
			sqlite3_reset(s);
			return SQLITE_NOMEM;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Take a reference for an entry about to be written; false (op skipped) if the message is not
 * stored. */
static int ref_for_entry(struct store *st, uint64_t msg, bool *ok)
{
	int e = store_refs_change(&st->rc, msg, +1);

	*ok = e == 0;
	if (e == -ENOENT)
		st->skipped++;
	return e == -ENOMEM ? SQLITE_NOMEM : SQLITE_OK;
}

static void bind_blob(sqlite3_stmt *s, int i, const struct store_batch *b, size_t off, uint32_t len)
{
	sqlite3_bind_blob(s, i, len ? A(b, off) : "", (int)len, SQLITE_STATIC);
}

static int apply_msg(struct store *st, const struct store_batch *b, const struct store_op *o)
{
	sqlite3_stmt *s = st->stmt[ST_MSG_INS];

	/* nothing refers to it yet: deleted at the end unless an entry does by then */
	if (store_refs_append(&st->rc, o->sid) || store_refs_zero_push(&st->rc, o->sid))
		return SQLITE_NOMEM;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)o->sid);
	bind_blob(s, 2, b, o->s_off, o->s_len);
	sqlite3_bind_int(s, 3, o->qos | o->retain << 2);
	sqlite3_bind_int64(s, 4, o->expiry);
	if (o->p_len)
		bind_blob(s, 5, b, o->p_off, o->p_len);
	else
		sqlite3_bind_null(s, 5);
	bind_blob(s, 6, b, o->b_off, o->b_len);
	return step_done(s);
}

static int apply_sess_del(struct store *st, uint64_t sid)
{
	static const enum store_stmt_id ids[] = {ST_SESS_OUT_DEL, ST_SESS_SUB_DEL, ST_SESS_RX2_DEL,
						 ST_SESS_DEL};
	sqlite3_stmt *s = st->stmt[ST_SESS_OUT_GET];
	int rc;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)sid);
	rc = step_unref(st, s);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]) && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st->stmt[ids[i]], 1, (sqlite3_int64)sid);
		rc = step_done(st->stmt[ids[i]]);
	}
	return rc;
}

static int apply_out_pubrel(struct store *st, const struct store_op *o)
{
	sqlite3_stmt *s = st->stmt[ST_OUT_GET];
	int rc;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)o->sid);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)o->seq);
	rc = step_unref(st, s);
	if (rc != SQLITE_OK)
		return rc;
	s = st->stmt[ST_OUT_PUBREL];
	sqlite3_bind_int(s, 1, STORE_OUT_PUBREL << 3);
	sqlite3_bind_int(s, 2, o->pid);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)o->sid);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)o->seq);
	return step_done(s);
}

static int apply_retain_set(struct store *st, const struct store_batch *b, const struct store_op *o)
{
	sqlite3_stmt *s = st->stmt[ST_RET_PUT];
	bool ok;
	int rc = ref_for_entry(st, o->msg, &ok);

	if (rc != SQLITE_OK || !ok)
		return rc;
	/* the old message loses its reference after the new one gained its own: same id is fine */
	bind_blob(st->stmt[ST_RET_GET], 1, b, o->s_off, o->s_len);
	rc = step_unref(st, st->stmt[ST_RET_GET]);
	if (rc != SQLITE_OK)
		return rc;
	bind_blob(s, 1, b, o->s_off, o->s_len);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)o->msg);
	/* the publisher (check_retain_source): NULL columns when unknown */
	if (o->dup)
		bind_blob(s, 3, b, o->b_off, o->b_len);
	else
		sqlite3_bind_null(s, 3);
	if (o->dup && o->retain)
		bind_blob(s, 4, b, o->p_off, o->p_len);
	else
		sqlite3_bind_null(s, 4);
	if (o->dup)
		sqlite3_bind_int(s, 5, o->pid);
	else
		sqlite3_bind_null(s, 5);
	return step_done(s);
}

/* ---- deleting entries ---- */

/* Bind an entry delete's key: the session id or bridge name as 1, seq (lo) as 2, hi as 3. */
static void bind_del(sqlite3_stmt *s, const struct store_batch *b, const struct store_op *o,
		     uint64_t hi)
{
	if (o->kind == OP_BR_DEL)
		bind_blob(s, 1, b, o->s_off, o->s_len);
	else
		sqlite3_bind_int64(s, 1, (sqlite3_int64)o->sid);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)o->seq);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)hi);
}

/*
 * Delete the entries first..last (ops of one kind, one session or bridge, consecutive seqs:
 * every seq between them is deleted) and drop their messages' references. One entry whose
 * message the caller knew: one statement that deletes the row only if it names that message
 * (a row in state PUBREL names none, a row never written is not there), otherwise the row is
 * read first for its message. A run of them: a range read and a range delete, the b-tree
 * walked once instead of sought per row.
 */
static int del_run(struct store *st, const struct store_batch *b, const struct store_op *first,
		   const struct store_op *last)
{
	bool br = first->kind == OP_BR_DEL;
	sqlite3_stmt *s;
	int rc;

	if (first == last && first->msg) {
		s = st->stmt[br ? ST_BR_DEL_MSG : ST_OUT_DEL_MSG];
		bind_del(s, b, first, first->msg);
		rc = step_done(s);
		if (rc != SQLITE_OK)
			return rc; /* the transaction fails: nothing more runs in it */
		if (sqlite3_changes(st->db) != 1)
			goto read_first;
		return store_refs_change(&st->rc, first->msg, -1) == -ENOMEM ? SQLITE_NOMEM : SQLITE_OK;
	}
read_first:
	if (first == last) {
		s = st->stmt[br ? ST_BR_GET : ST_OUT_GET];
		bind_del(s, b, first, 0); /* 3 is not in the statement: no effect */
		if ((rc = step_unref(st, s)) != SQLITE_OK)
			return rc;
		s = st->stmt[br ? ST_BR_DEL : ST_OUT_DEL];
		bind_del(s, b, first, 0);
		return step_done(s);
	}
	s = st->stmt[br ? ST_BR_RANGE_GET : ST_OUT_RANGE_GET];
	bind_del(s, b, first, last->seq);
	if ((rc = step_unref(st, s)) != SQLITE_OK)
		return rc;
	s = st->stmt[br ? ST_BR_RANGE_DEL : ST_OUT_RANGE_DEL];
	bind_del(s, b, first, last->seq);
	return step_done(s);
}

/* The op after (*b, *i) that is neither cancelled nor applied yet, moving there; NULL at the
 * end. */
static struct store_op *next_live(struct store_batch **b, size_t *i)
{
	size_t j = *i + 1;

	for (struct store_batch *x = *b; x; x = x->next, j = 0)
		for (; j < x->n; j++)
			if (!x->ops[j].dead && !x->ops[j].done) {
				*b = x;
				*i = j;
				return &x->ops[j];
			}
	return NULL;
}

/* o (of batch ob) does to the entry after last's (of lb), in the same session or bridge, what
 * last does (delete it, or set the same state). */
static bool run_follows(const struct store_batch *lb, const struct store_op *last,
			const struct store_batch *ob, const struct store_op *o)
{
	if (o->kind != last->kind || o->seq != last->seq + 1 ||
	    (o->kind == OP_BR_STATE && o->state != last->state))
		return false;
	if (o->kind == OP_OUT_DEL)
		return o->sid == last->sid;
	return o->s_len == last->s_len &&
	       !memcmp(A(ob, o->s_off), A(lb, last->s_off), o->s_len);
}

/* An op that a run's next member (the entry seq) may be applied before: it changes another
 * entry's state or deletes another entry (rows apart; a delete's message reference goes
 * whenever it goes, the message is deleted at the transaction's end). */
static bool run_may_pass(const struct store_op *o, uint64_t seq)
{
	return (o->kind == OP_BR_STATE || o->kind == OP_BR_DEL || o->kind == OP_OUT_SENT ||
		o->kind == OP_OUT_DEL) &&
	       o->seq != seq;
}

/* How far a run looks past ops of other runs: a draining queue's acknowledgements (deletes)
 * and sends (state changes) alternate, in bursts of a socket read each. */
#define RUN_PASS_MAX 64

/*
 * Apply the entry delete or bridge state change at (b, i) with the same ops on the next seqs
 * (a queue drained in order sends and deletes its seqs in order): the next member may come
 * after ops of other runs on other entries, which it is applied ahead of (marked done, so
 * they are not applied again at their turn; the marks are cleared for a retry). Rows touched
 * by nothing else in between: the transaction leaves what applying each op in turn leaves.
 */
static int apply_run(struct store *st, struct store_batch *b, size_t i)
{
	struct store_op *first = &b->ops[i], *last = first, *o;
	struct store_batch *lb = b;
	/* the lowest seq above the run's end that a passed op touches: every member taken after
	 * it is applied before that op, so the run stops short of it (SENT 7 passed on the way to
	 * PUBREL 6 must not be overtaken by PUBREL 7) */
	uint64_t bar = UINT64_MAX;

	for (;;) {
		struct store_batch *nb = lb;
		size_t ni = i;
		unsigned passed = 0;

		while ((o = next_live(&nb, &ni)) && !run_follows(lb, last, nb, o) &&
		       passed++ < RUN_PASS_MAX && run_may_pass(o, last->seq + 1))
			if (o->seq > last->seq && o->seq < bar)
				bar = o->seq;
		if (!o || !run_follows(lb, last, nb, o) || o->seq >= bar)
			break;
		o->done = 1;
		last = o;
		lb = nb;
		i = ni;
	}
	if (first->kind == OP_BR_STATE) {
		sqlite3_stmt *s = st->stmt[first == last ? ST_BR_STATE : ST_BR_RANGE_STATE];

		sqlite3_bind_int(s, 1, first->state);
		bind_blob(s, 2, b, first->s_off, first->s_len);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)first->seq);
		if (first != last)
			sqlite3_bind_int64(s, 4, (sqlite3_int64)last->seq);
		return step_done(s);
	}
	return del_run(st, b, first, last);
}

/* Entry ops keyed by (sid, seq) or (name, seq) or (sid, pid). */
static int apply_entry(struct store *st, const struct store_batch *b, const struct store_op *o)
{
	sqlite3_stmt *s;
	bool ok;
	int rc;

	switch (o->kind) {
	case OP_OUT_ADD:
		if ((rc = ref_for_entry(st, o->msg, &ok)) != SQLITE_OK || !ok)
			return rc;
		s = st->stmt[ST_OUT_INS];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)o->sid);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)o->seq);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)o->msg);
		sqlite3_bind_int(s, 4, o->qos | o->retain << 2);
		sqlite3_bind_int64(s, 5, o->sub_id);
		sqlite3_bind_int(s, 6, o->share);
		return step_done(s);
	case OP_OUT_SENT:
		s = st->stmt[ST_OUT_SENT];
		sqlite3_bind_int(s, 1, STORE_OUT_SENT << 3 | (o->dup ? 1 << 5 : 0));
		sqlite3_bind_int(s, 2, o->pid);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)o->sid);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)o->seq);
		return step_done(s);
	case OP_OUT_PUBREL:
		return apply_out_pubrel(st, o);
	case OP_RX2_ADD:
	case OP_RX2_DEL:
		s = st->stmt[o->kind == OP_RX2_ADD ? ST_RX2_ADD : ST_RX2_DEL];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)o->sid);
		sqlite3_bind_int(s, 2, o->pid);
		return step_done(s);
	case OP_BR_ADD:
		if ((rc = ref_for_entry(st, o->msg, &ok)) != SQLITE_OK || !ok)
			return rc;
		s = st->stmt[ST_BR_INS];
		bind_blob(s, 1, b, o->s_off, o->s_len);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)o->seq);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)o->msg);
		sqlite3_bind_int(s, 4, o->qos);
		sqlite3_bind_int(s, 5, o->state);
		return step_done(s);
	case OP_OUT_DEL:
	case OP_BR_DEL:
		return del_run(st, b, o, o);
	}
	return SQLITE_MISUSE;
}

static int apply_op(struct store *st, const struct store_batch *b, const struct store_op *o)
{
	sqlite3_stmt *s;
	int rc;

	switch (o->kind) {
	case OP_MSG_ADD:
		return apply_msg(st, b, o);
	case OP_SESS_PUT:
		s = st->stmt[ST_SESS_PUT];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)o->sid);
		bind_blob(s, 2, b, o->s_off, o->s_len);
		bind_blob(s, 3, b, o->b_off, o->b_len);
		return step_done(s);
	case OP_SESS_DEL:
		return apply_sess_del(st, o->sid);
	case OP_SUB_PUT:
	case OP_SUB_DEL:
		s = st->stmt[o->kind == OP_SUB_PUT ? ST_SUB_PUT : ST_SUB_DEL];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)o->sid);
		bind_blob(s, 2, b, o->s_off, o->s_len);
		if (o->kind == OP_SUB_PUT) {
			sqlite3_bind_int(s, 3, o->qos);
			sqlite3_bind_int64(s, 4, o->sub_id);
		}
		return step_done(s);
	case OP_RET_SET:
		return apply_retain_set(st, b, o);
	case OP_RET_DEL:
		bind_blob(st->stmt[ST_RET_GET], 1, b, o->s_off, o->s_len);
		rc = step_unref(st, st->stmt[ST_RET_GET]);
		if (rc != SQLITE_OK)
			return rc;
		s = st->stmt[ST_RET_DEL];
		bind_blob(s, 1, b, o->s_off, o->s_len);
		return step_done(s);
	default:
		return apply_entry(st, b, o);
	}
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Messages whose count is 0 at the end of the transaction go with it. A message can reach 0
 * several times in one transaction: sorted, its repeats are neighbours (a drained bridge page
 * puts thousands of ids here; comparing each with all the later ones cost the writer thread
 * more than SQLite did). */
static bool unreferenced(struct store_refs *r, size_t z)
{
	long i = store_refs_find_near(r, r->zero[z]);

	return i >= 0 && !r->refs[i];
}

static int delete_unreferenced(struct store *st)
{
	struct store_refs *r = &st->rc;
	size_t z = 0;

	for (size_t k = 1; k < r->zero_n; k++)
		if (r->zero[k] < r->zero[k - 1]) { /* a drain's come sorted */
			qsort(r->zero, r->zero_n, sizeof(*r->zero), u64_cmp);
			break;
		}
	while (z < r->zero_n) {
		uint64_t lo = r->zero[z], hi = lo;
		sqlite3_stmt *s = st->stmt[ST_MSG_RANGE_DEL];
		int rc;
		bool dup = z && lo == r->zero[z - 1], gone = !dup && unreferenced(r, z);

		z++;
		if (!gone)
			continue; /* a repeat (done), or referred to again */
		r->live--;
		/* consecutive ids (a drained queue's messages): one range delete; every id in it
		 * is one of these */
		for (; z < r->zero_n && (r->zero[z] == hi || r->zero[z] == hi + 1); z++) {
			if (r->zero[z] == hi)
				continue;
			if (!unreferenced(r, z))
				break;
			hi++;
			r->live--;
		}
		if (lo == hi) {
			rc = store_msg_delete(st, lo);
		} else {
			sqlite3_bind_int64(s, 1, (sqlite3_int64)lo);
			sqlite3_bind_int64(s, 2, (sqlite3_int64)hi);
			rc = step_done(s);
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* Apply the ops of list that are not cancelled, in order. SQLite result code. */
static int apply_list(struct store *st, struct store_batch *list)
{
	struct store_batch *b = list;
	size_t i = 0;
	int rc = SQLITE_OK;

	for (struct store_batch *x = list; x; x = x->next) /* a retry applies everything again */
		for (size_t k = 0; k < x->n; k++)
			x->ops[k].done = 0;
	while (b && rc == SQLITE_OK) {
		const struct store_op *o;

		if (i >= b->n) {
			b = b->next;
			i = 0;
			continue;
		}
		o = &b->ops[i];
		if (o->dead || o->done)
			;
		else if (o->kind == OP_OUT_DEL || o->kind == OP_BR_DEL || o->kind == OP_BR_STATE)
			rc = apply_run(st, b, i);
		else
			rc = apply_op(st, b, o);
		store_fetch_serve_mid(st); /* a bridge's read-back: not behind this commit */
		/* an error SQLite answers by rolling back by itself (IOERR, FULL, NOMEM, in a
		 * read-back or an op) ends the transaction: the ops after it must not run one
		 * commit each, the whole list is retried instead */
		if (rc == SQLITE_OK && sqlite3_get_autocommit(st->db))
			rc = SQLITE_ABORT;
		i++;
	}
	return rc;
}

/* One transaction for every batch in list. SQLite result code. */
static int commit_batches(struct store *st, struct store_batch *list, size_t *cancelled, bool *live)
{
	int rc;

	*cancelled = store_cancel(&st->cancel, list);
	*live = false;
	for (struct store_batch *b = list; b && !*live; b = b->next)
		for (size_t i = 0; i < b->n && !*live; i++)
			*live = !b->ops[i].dead;
	/* everything cancelled out: the rows are as they were, durable as they were */
	if (!*live)
		return SQLITE_OK;
	store_refs_txn_begin(&st->rc);
	st->skipped = 0;
	rc = store_stmt_run(st, ST_BEGIN);
	if (rc == SQLITE_OK)
		rc = apply_list(st, list);
	if (rc == SQLITE_OK)
		rc = delete_unreferenced(st);
	if (rc == SQLITE_OK)
		rc = store_stmt_run(st, ST_COMMIT);
	if (rc != SQLITE_OK) {
		/* SQLite may have rolled back already (SQLITE_FULL can); harmless then */
		if (!sqlite3_get_autocommit(st->db))
			store_stmt_run(st, ST_ROLLBACK);
		store_refs_txn_rollback(&st->rc);
		return rc;
	}
	store_refs_squeeze(&st->rc);
	return SQLITE_OK;
}

uint64_t store_file_bytes(const struct store *st)
{
	char wal[4096];
	struct stat sb;
	uint64_t n = 0;

	if (stat(st->path, &sb) == 0)
		n += (uint64_t)sb.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", st->path);
	if (stat(wal, &sb) == 0)
		n += (uint64_t)sb.st_size;
	return n;
}

int64_t store_now_us(void)
{
	return clock_mono_us();
}

static void note_commit(struct store *st, struct store_batch *list, uint64_t us, size_t cancelled,
			bool wrote)
{
	static const uint64_t bounds_ms[STORE_HIST_BUCKETS - 1] = STORE_HIST_BOUNDS_MS;
	struct store_stats *s = &st->stats;
	/* two stat(2)s: only when the files may have changed */
	uint64_t bytes = wrote ? store_file_bytes(st) : st->stats.db_bytes, last = 0, n = 0;
	unsigned h = 0;

	for (struct store_batch *b = list; b; b = b->next, n++)
		last = b->seq;
	while (h < STORE_HIST_BUCKETS - 1 && us >= bounds_ms[h] * 1000)
		h++;
	pthread_mutex_lock(&st->mu);
	s->commits++;
	s->batches += n;
	s->cancelled += cancelled;
	s->last_commit_us = us;
	if (us > s->max_commit_us)
		s->max_commit_us = us;
	s->hist[h]++;
	s->commit_us_sum += us;
	s->db_bytes = bytes;
	s->messages = st->rc.live;
	s->durable_seq = last;
	s->writable = true;
	pthread_mutex_unlock(&st->mu);
	atomic_store(&st->writable, true);
	atomic_store(&st->durable, last);
	if (st->efd >= 0) {
		uint64_t one = 1;
		ssize_t w = write(st->efd, &one, sizeof(one));

		(void)w; /* EAGAIN: the counter is already non-zero, the loop will wake */
	}
}

static void note_failure(struct store *st, int rc)
{
	bool was = atomic_exchange(&st->writable, false);

	pthread_mutex_lock(&st->mu);
	st->stats.failures++;
	st->stats.writable = false;
	st->stats.last_error = rc;
	snprintf(st->stats.last_error_msg, sizeof(st->stats.last_error_msg), "%s",
		 sqlite3_errmsg(st->db));
	pthread_mutex_unlock(&st->mu);
	if (was)
		log_err("store: commit failed (%s), retrying; QoS 1/2 refused until it succeeds",
			sqlite3_errmsg(st->db));
}

/* The last batch of list to commit now (every one before it goes too): wanted, or handed over
 * linger_us ago, or closing. NULL: none is due before *due_us. */
static struct store_batch *due_cut(struct store *st, struct store_batch *list, int64_t *due_us)
{
	uint64_t want = atomic_load(&st->want);
	int64_t now = store_now_us();
	struct store_batch *cut = NULL;

	/* seqs and hand-over times grow along the list: the due batches are a prefix */
	for (struct store_batch *b = list; b; b = b->next) {
		if (!st->stop && b->seq > want && now - b->t_us < st->linger_us)
			break;
		cut = b;
	}
	*due_us = list->t_us + st->linger_us;
	return cut;
}

/* Wait on cv until CLOCK_MONOTONIC reaches until_us (or a signal). */
static void wait_until(struct store *st, int64_t until_us)
{
	int64_t d = until_us - store_now_us();
	struct timespec ts;

	if (d <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(d % 1000000) * 1000L;
	ts.tv_sec += d / 1000000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&st->cv, &st->mu, &ts);
}

static void *store_thread(void *arg)
{
	struct store *st = arg;
	struct store_batch *work = NULL, **work_tail = &work;
	unsigned backoff_ms = 0, stop_tries = 0;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		/* reads first: they are small, a commit may not be. They run with mu released:
		 * batches and reads handed over meanwhile signalled no one, so both lists are
		 * looked at after it, never before (a batch taken before it waited, after it, for
		 * the next signal: a subscriber whose QoS 2 output waited on it stalled) */
		store_fetch_serve(st);
		if (st->pend) {
			*work_tail = st->pend;
			work_tail = st->pend_tail;
			st->pend = NULL;
			st->pend_tail = &st->pend;
		}
		if (!work) {
			if (st->fetch_pend)
				continue;
			if (st->stop)
				break;
			pthread_cond_wait(&st->cv, &st->mu);
			continue;
		}
		int64_t due_us;
		struct store_batch *cut = due_cut(st, work, &due_us), *rest;

		if (!cut) {
			if (st->fetch_pend)
				continue; /* served before the wait */
			st->lingering = true;
			wait_until(st, due_us);
			st->lingering = false;
			continue;
		}
		rest = cut->next;
		cut->next = NULL;
		pthread_mutex_unlock(&st->mu);

		int64_t t0 = store_now_us();
		size_t cancelled;
		bool wrote;
		int rc = commit_batches(st, work, &cancelled, &wrote);

		if (rc == SQLITE_OK) {
			note_commit(st, work, (uint64_t)(store_now_us() - t0), cancelled, wrote);
			pthread_mutex_lock(&st->mu);
			store_batch_recycle(st, work);
			work = rest;
			if (!rest)
				work_tail = &work;
			backoff_ms = 0;
			continue;
		}
		cut->next = rest; /* retried with what came since: the list only grows at its end */
		note_failure(st, rc);
		backoff_ms = backoff_ms ? (backoff_ms * 2 > 1000 ? 1000 : backoff_ms * 2) : 10;
		pthread_mutex_lock(&st->mu);
		if (st->stop && ++stop_tries >= 3) {
			log_err("store: closing with %s: batches after %llu are lost (never "
				"acknowledged)",
				sqlite3_errstr(rc), (unsigned long long)atomic_load(&st->durable));
			break;
		}
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)backoff_ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		/* woken early by new batches or stop: those only join the retry */
		pthread_cond_timedwait(&st->cv, &st->mu, &ts);
	}
	pthread_mutex_unlock(&st->mu);
	store_batch_free(work);
	return NULL;
}

int store_thread_start(struct store *st)
{
	int e = pthread_create(&st->thread, NULL, store_thread, st);

	if (e)
		return -e;
	/* its own name: its CPU time apart from the loop's in /proc/PID/task (bench_bridge.sh) */
	pthread_setname_np(st->thread, "mqttgw-store");
	st->thread_on = true;
	return 0;
}

void store_thread_stop(struct store *st)
{
	if (!st->thread_on)
		return;
	pthread_mutex_lock(&st->mu);
	st->stop = true;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	pthread_join(st->thread, NULL);
	st->thread_on = false;
}
