/* SPDX-License-Identifier: MIT */
/*
 * store_load: stream the database back at start-up (sessions, subscriptions, the message ids,
 * then the entries with their message's handle), count message references as it goes, then clean
 * up in one transaction what nothing refers to or what is damaged, and start the writer thread.
 * Everything here is sequential scans in key order: one pass over each table; entries join their
 * message by id (ids and seqs grow together, so the lookups walk the messages table in order).
 *
 * A message is built (cb->msg) when the first entry that keeps it in memory comes, not before:
 * the bridge and each session keep only the head of their queue in memory and read the rest
 * back while running (store_fetch.c), so a message that only queued entries past those heads
 * refer to is counted, never built, and a backlog costs no memory at start-up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_int.h"
#include "vec.h"

struct load {
	struct store *st;
	const struct store_load_cb *cb;
	void *ctx;
	struct store_load_result *res;
	uint64_t *sids; /* loaded session ids, ascending */
	size_t nsids, capsids;
	void **handles; /* parallel to st->rc.ids during the load; NULL: not built (yet) */
	size_t hcap;
	size_t hint; /* index of the last message referred to: the next is usually the one after */
	bool dangling; /* an entry names a missing session or message: delete those */
	uint64_t *bad_sess, *bad_msg;
	size_t nbad_sess, nbad_msg, capbad_sess, capbad_msg;
	uint64_t max_seq;
};

static int push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	if (VEC_GROW(*v, *n, *cap, 256))
		return -ENOMEM;
	(*v)[(*n)++] = x;
	return 0;
}

static bool sid_known(const struct load *l, uint64_t sid)
{
	return store_u64_find(l->sids, l->nsids, sid) >= 0;
}

static int prep(struct load *l, const char *sql, sqlite3_stmt **q)
{
	int rc = sqlite3_prepare_v2(l->st->db, sql, -1, q, NULL);

	return rc == SQLITE_OK ? 0 : -EIO;
}

/* Step q to its end; row() per row; -EIO on an SQL error, or row()'s non-zero value. */
static int scan(struct load *l, const char *sql, int (*row)(struct load *, sqlite3_stmt *))
{
	sqlite3_stmt *q;
	int rc = SQLITE_DONE, e = prep(l, sql, &q);

	while (!e && (rc = sqlite3_step(q)) == SQLITE_ROW)
		e = row(l, q);
	if (!e && rc != SQLITE_DONE)
		e = -EIO;
	sqlite3_finalize(q);
	return e;
}

static const void *col_blob(sqlite3_stmt *q, int i, uint32_t *len)
{
	const void *p = sqlite3_column_blob(q, i);

	*len = (uint32_t)sqlite3_column_bytes(q, i);
	return p;
}

static int row_session(struct load *l, sqlite3_stmt *q)
{
	struct store_session s = {.id = (uint64_t)sqlite3_column_int64(q, 0)};
	uint32_t idlen, reclen;
	const void *rec;

	s.client_id = col_blob(q, 1, &idlen);
	rec = col_blob(q, 2, &reclen);
	s.client_id_len = (uint16_t)idlen;
	if (s.id >= l->st->next_sid)
		l->st->next_sid = s.id + 1;
	/* a client id holds no NUL (a CONNECT with one is refused, [MQTT-1.5.4-2]): one read
	 * back is a damaged row, and the session table hashes ids as C strings */
	if (idlen > UINT16_MAX || (idlen && memchr(s.client_id, 0, idlen)) ||
	    store_record_session_decode(rec, reclen, &s)) {
		l->res->skipped++;
		l->dangling = true;
		return push_u64(&l->bad_sess, &l->nbad_sess, &l->capbad_sess, s.id);
	}
	if (push_u64(&l->sids, &l->nsids, &l->capsids, s.id))
		return -ENOMEM;
	l->res->sessions++;
	return l->cb->session ? l->cb->session(l->ctx, &s) : 0;
}

static int row_sub(struct load *l, sqlite3_stmt *q)
{
	uint64_t sid = (uint64_t)sqlite3_column_int64(q, 0);
	uint32_t len;
	const char *f = col_blob(q, 1, &len);

	if (!sid_known(l, sid) || !len || len > UINT16_MAX) {
		l->res->skipped++;
		l->dangling = true;
		return 0;
	}
	l->res->subs++;
	return l->cb->sub
		   ? l->cb->sub(l->ctx, sid, f, (uint16_t)len, (uint8_t)sqlite3_column_int(q, 2),
				(uint32_t)sqlite3_column_int64(q, 3))
		   : 0;
}

/* A message id: counted, its handle made when an entry first needs it (ref_msg). */
static int row_msg(struct load *l, sqlite3_stmt *q)
{
	struct store_refs *r = &l->st->rc;
	uint64_t id = (uint64_t)sqlite3_column_int64(q, 0);

	if (id >= l->st->next_msg)
		l->st->next_msg = id + 1;
	if (store_refs_append(r, id))
		return -ENOMEM;
	if (r->cap > l->hcap) {
		void **n = realloc(l->handles, r->cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + l->hcap, 0, (r->cap - l->hcap) * sizeof(*n));
		l->handles = n;
		l->hcap = r->cap;
	}
	return 0;
}

/* The columns MSG_COLS from column c on. */
#define MSG_COLS "m.topic, m.flags, m.expiry, m.props, m.payload"

/* Build message ids[i] from the joined MSG_COLS at column c of q. 0; 1 when the row is
 * damaged (the message is deleted, its entries dropped); -ENOMEM. */
static int build_msg(struct load *l, size_t i, sqlite3_stmt *q, int c)
{
	struct store_msg m = {.id = l->st->rc.ids[i]};
	int flags = sqlite3_column_int(q, c + 1);
	uint32_t tlen;

	m.topic = col_blob(q, c, &tlen);
	m.expiry_ms = sqlite3_column_int64(q, c + 2);
	m.props = col_blob(q, c + 3, &m.props_len);
	m.payload = col_blob(q, c + 4, &m.payload_len);
	m.qos = flags & 3;
	m.retain = !!(flags & 4);
	m.topic_len = (uint16_t)tlen;
	if (!tlen || tlen > UINT16_MAX || m.qos > 2 || (flags & ~7)) {
		l->st->rc.refs[i] = UINT32_MAX; /* damaged: never counted, deleted by cleanup() */
		l->res->skipped++;
		l->dangling = true;
		return push_u64(&l->bad_msg, &l->nbad_msg, &l->capbad_msg, m.id) ? -ENOMEM : 1;
	}
	if (!l->cb->msg)
		return 0;
	if (!(l->handles[i] = l->cb->msg(l->ctx, &m)))
		return -ENOMEM;
	l->res->messages++;
	return 0;
}

/* Message id, referred to by the entry in q (its MSG_COLS at column c): *i its index with one
 * more reference counted, its handle built if need is set. 0; 1 when the entry must be dropped (no
 * such message, or a damaged one); -ENOMEM. */
static int ref_msg(struct load *l, uint64_t id, bool need, sqlite3_stmt *q, int c, size_t *i)
{
	struct store_refs *r = &l->st->rc;
	size_t h = l->hint + 1;
	long k = h < r->n && r->ids[h] == id ? (long)h : store_refs_find(r, id);
	int e;

	if (k < 0 || r->refs[k] == UINT32_MAX) {
		l->res->skipped++;
		l->dangling = true;
		return 1;
	}
	*i = l->hint = (size_t)k;
	if (need && !l->handles[k] && (e = build_msg(l, (size_t)k, q, c))) {
		l->res->skipped += e > 0; /* the entry, as well as the message */
		return e;
	}
	r->refs[k]++;
	return 0;
}

static int row_out(struct load *l, sqlite3_stmt *q)
{
	uint64_t sid = (uint64_t)sqlite3_column_int64(q, 0);
	int flags = sqlite3_column_int(q, 3);
	struct store_out e = {
	    .seq = (uint64_t)sqlite3_column_int64(q, 1),
	    .qos = flags & 3,
	    .retain = !!(flags & 4),
	    .state = (flags >> 3) & 3,
	    .dup = !!(flags & 32),
	    .pid = (uint16_t)sqlite3_column_int(q, 4),
	    .sub_id = (uint32_t)sqlite3_column_int64(q, 5),
	    .share = (uint16_t)sqlite3_column_int(q, 6),
	};
	bool no_msg = sqlite3_column_type(q, 2) == SQLITE_NULL;

	if (e.seq > l->max_seq)
		l->max_seq = e.seq;
	if (!sid_known(l, sid) || no_msg != (e.state == STORE_OUT_PUBREL) || e.state > 2) {
		l->res->skipped++;
		l->dangling = true;
		return 0;
	}
	e.msg_id = no_msg ? 0 : (uint64_t)sqlite3_column_int64(q, 2);
	e.payload_len = (uint32_t)sqlite3_column_int64(q, 12);
	if (!no_msg) {
		size_t i;
		/* a queued entry may stay in the store only: its message is built on demand */
		int r = ref_msg(l, e.msg_id, e.state != STORE_OUT_QUEUED, q, 7, &i);

		if (r)
			return r < 0 ? r : 0;
		e.msg = l->handles[i];
		l->res->out++;
		if (!l->cb->out)
			return 0;
		r = l->cb->out(l->ctx, sid, &e);
		if (r != STORE_LOAD_WANT_MSG || e.msg || !l->cb->msg)
			return r == STORE_LOAD_WANT_MSG ? 0 : r;
		/* the session keeps this entry in memory: its message is built now */
		if ((r = build_msg(l, i, q, 7))) { /* damaged: the entry goes too (cleanup) */
			l->res->skipped += r > 0;
			l->res->out -= r > 0;
			return r < 0 ? r : 0;
		}
		e.msg = l->handles[i];
		r = l->cb->out(l->ctx, sid, &e);
		return r == STORE_LOAD_WANT_MSG ? 0 : r;
	}
	l->res->out++;
	return l->cb->out ? l->cb->out(l->ctx, sid, &e) : 0;
}

static int row_rx2(struct load *l, sqlite3_stmt *q)
{
	uint64_t sid = (uint64_t)sqlite3_column_int64(q, 0);

	if (!sid_known(l, sid)) {
		l->res->skipped++;
		l->dangling = true;
		return 0;
	}
	l->res->rx2++;
	return l->cb->rx2 ? l->cb->rx2(l->ctx, sid, (uint16_t)sqlite3_column_int(q, 1)) : 0;
}

static int row_retained(struct load *l, sqlite3_stmt *q)
{
	uint64_t id = (uint64_t)sqlite3_column_int64(q, 1);
	uint32_t len, il = 0, ul = 0;
	const char *t = col_blob(q, 0, &len);
	struct store_source src = {0};
	size_t i;
	int r = ref_msg(l, id, true, q, 5, &i);

	if (r)
		return r < 0 ? r : 0;
	l->res->retained++;
	/* the publisher, when the row has one (written by schema v2 on) */
	if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
		src.id = col_blob(q, 2, &il);
		if (sqlite3_column_type(q, 3) != SQLITE_NULL)
			src.username = col_blob(q, 3, &ul);
		src.id_len = (uint16_t)il;
		src.username_len = (uint16_t)ul;
		src.listener = (uint16_t)sqlite3_column_int(q, 4);
	}
	return l->cb->retained
		   ? l->cb->retained(l->ctx, t, (uint16_t)len, l->handles[i], id,
				     src.id && il <= UINT16_MAX && ul <= UINT16_MAX ? &src : NULL)
		   : 0;
}

static int row_bridge(struct load *l, sqlite3_stmt *q)
{
	uint32_t len;
	struct store_bridge_entry e = {
	    .bridge = col_blob(q, 0, &len),
	    .seq = (uint64_t)sqlite3_column_int64(q, 1),
	    .msg_id = (uint64_t)sqlite3_column_int64(q, 2),
	    .qos = (uint8_t)sqlite3_column_int(q, 3),
	    .state = (uint8_t)sqlite3_column_int(q, 4),
	};

	size_t i;
	int r;

	e.bridge_len = (uint16_t)len;
	if (e.seq > l->max_seq)
		l->max_seq = e.seq;
	if ((r = ref_msg(l, e.msg_id, false, q, 5, &i)))
		return r < 0 ? r : 0;
	l->res->bridge++;
	e.msg = l->handles[i];
	r = l->cb->bridge ? l->cb->bridge(l->ctx, &e) : 0;
	if (r != STORE_LOAD_WANT_MSG || e.msg || !l->cb->msg)
		return r == STORE_LOAD_WANT_MSG ? 0 : r;
	/* the bridge keeps this entry in memory: its message is built now */
	if ((r = build_msg(l, i, q, 5)))
		return r < 0 ? r : 0; /* damaged: the entry goes (cleanup) */
	e.msg = l->handles[i];
	r = l->cb->bridge(l->ctx, &e);
	return r == STORE_LOAD_WANT_MSG ? 0 : r;
}

static int exec_ids(struct store *st, const char *sql, const uint64_t *ids, size_t n)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);

	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(q, 1, (sqlite3_int64)ids[i]);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(q);
	return rc;
}

/* Delete damaged rows, what refers to nothing, and messages nothing refers to. */
static int cleanup(struct load *l)
{
	struct store *st = l->st;
	struct store_refs *r = &st->rc;
	int rc = store_stmt_run(st, ST_BEGIN);

	if (rc == SQLITE_OK)
		rc = exec_ids(st, "DELETE FROM sessions WHERE id=?", l->bad_sess, l->nbad_sess);
	if (rc == SQLITE_OK)
		rc = exec_ids(st, "DELETE FROM messages WHERE id=?", l->bad_msg, l->nbad_msg);
	/* set-wise, only when a scan saw a dangling row: these scan whole tables */
	if (rc == SQLITE_OK && l->dangling)
		rc = sqlite3_exec(
		    st->db,
		    "DELETE FROM subs WHERE sid NOT IN (SELECT id FROM sessions);"
		    "DELETE FROM rx2 WHERE sid NOT IN (SELECT id FROM sessions);"
		    "DELETE FROM out WHERE sid NOT IN (SELECT id FROM sessions)"
		    " OR (msg IS NULL) != ((flags >> 3 & 3) = 2) OR (flags >> 3 & 3) = 3"
		    " OR msg NOT IN (SELECT id FROM messages);"
		    "DELETE FROM retained WHERE msg NOT IN (SELECT id FROM messages);"
		    "DELETE FROM bridge WHERE msg NOT IN (SELECT id FROM messages);",
		    NULL, NULL, NULL);
	for (size_t i = 0; i < r->n && rc == SQLITE_OK; i++) {
		if (r->refs[i] == UINT32_MAX) { /* damaged, deleted above */
			r->refs[i] = 0;
			r->live--;
			continue;
		}
		if (r->refs[i])
			continue;
		rc = store_msg_delete(st, r->ids[i]);
		r->live--;
		l->res->orphans++;
	}
	if (rc == SQLITE_OK)
		rc = store_stmt_run(st, ST_COMMIT);
	else if (!sqlite3_get_autocommit(st->db))
		store_stmt_run(st, ST_ROLLBACK);
	store_refs_squeeze(r);
	return rc == SQLITE_OK ? 0 : -EIO;
}

int store_load(struct store *st, const struct store_load_cb *cb, void *ctx,
	       struct store_load_result *res)
{
	static const struct store_load_cb none;
	struct store_load_result dummy;
	struct load l = {.st = st, .cb = cb ? cb : &none, .ctx = ctx, .res = res ? res : &dummy};
	uint64_t t0 = clock_mono_ms();
	int e;

	if (st->loaded)
		return -EALREADY;
	memset(l.res, 0, sizeof(*l.res));
	e = scan(&l, "SELECT id, client_id, rec FROM sessions ORDER BY id", row_session);
	if (!e)
		e = scan(&l, "SELECT sid, filter, opts, sub_id FROM subs ORDER BY sid, filter",
			 row_sub);
	if (!e)
		e = scan(&l, "SELECT id FROM messages ORDER BY id", row_msg);
	if (!e)
		e = scan(&l,
			 "SELECT o.sid, o.seq, o.msg, o.flags, o.pid, o.sub_id, o.share, " MSG_COLS
			 ", length(m.payload) FROM out o LEFT JOIN messages m ON m.id = o.msg "
			 "ORDER BY o.sid, o.seq",
			 row_out);
	if (!e)
		e = scan(&l, "SELECT sid, pid FROM rx2 ORDER BY sid, pid", row_rx2);
	if (!e)
		e = scan(&l,
			 "SELECT r.topic, r.msg, r.src_id, r.src_user, r.src_listener, " MSG_COLS
			 " FROM retained r LEFT JOIN messages m ON m.id = r.msg ORDER BY r.topic",
			 row_retained);
	if (!e)
		e = scan(
		    &l,
		    "SELECT b.name, b.seq, b.msg, b.qos, b.state, " MSG_COLS
		    " FROM bridge b LEFT JOIN messages m ON m.id = b.msg ORDER BY b.name, b.seq",
		    row_bridge);
	/* the load's own reference on each message goes, whatever happened */
	for (size_t i = 0; l.handles && i < st->rc.n; i++)
		if (l.handles[i] && l.cb->release)
			l.cb->release(ctx, l.handles[i]);
	free(l.handles);
	free(l.sids);
	if (!e)
		e = cleanup(&l);
	free(l.bad_sess);
	free(l.bad_msg);
	if (e)
		return e;
	st->next_seq = l.max_seq + 1;
	st->stats.messages = st->rc.live;
	st->stats.db_bytes = store_file_bytes(st);
	e = store_thread_start(st);
	if (e)
		return e;
	st->loaded = true;
	l.res->ms = clock_mono_ms() - t0;
	return 0;
}
