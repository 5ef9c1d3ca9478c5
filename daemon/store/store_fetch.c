/* SPDX-License-Identifier: MIT */
/*
 * store_fetch: reading a bridge queue, or a session's queue, back while running. A bridge keeps
 * only the head of a long queue in memory (bridge_out.c), and so does a stored session
 * (broker_spill.c); the rest lives in the store alone and is read back here,
 * a page at a time, by the writer thread (the one SQLite connection; a read of a few thousand
 * rows takes milliseconds, which the event loop must not spend). The loop asks with
 * store_bridge_fetch(); the thread answers before its next commit, or in the middle of one
 * (store_fetch_serve_mid) when every row the fetch may read is committed, and makes
 * store_event_fd() readable; the loop takes answers with store_fetch_take().
 *
 * Entries are staged in seq order and batches become durable in order, so what a fetch sees of
 * a queue is always a prefix of what was staged after `after`: rows of batches not yet written
 * are simply not there yet. In the middle of a transaction the connection also sees that
 * transaction's rows: a fetch is served there only once its `batch` is durable, and reads no
 * seq above `upto`, so what it returns is committed. A drain acknowledges thousands of entries
 * per commit, and each commit then took 45-600 ms (load 25): the bridge's head ran dry waiting
 * behind it for a read that takes 1.5 ms.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

#define FETCH_SQL                                                                                  \
	"SELECT b.seq, b.qos, b.state, m.id, m.topic, m.flags, m.expiry, m.props, m.payload"       \
	" FROM bridge b JOIN messages m ON m.id = b.msg"                                           \
	" WHERE b.name = ?1 AND b.seq > ?2 AND b.seq <= ?4 ORDER BY b.seq LIMIT ?3"
/* a session's queued entries: the same columns, then the entry's flags, sub_id and share */
#define FETCH_SESSION_SQL                                                                          \
	"SELECT o.seq, o.flags & 3, 0, m.id, m.topic, m.flags, m.expiry, m.props, m.payload,"      \
	" o.flags, o.sub_id, o.share FROM out o JOIN messages m ON m.id = o.msg"                   \
	" WHERE o.sid = ?1 AND o.seq > ?2 AND (o.flags >> 3 & 3) = 0 ORDER BY o.seq LIMIT ?3"

static int fetch_ask(struct store *st, uint64_t sid, const char *bridge, uint16_t len,
		     uint64_t after, uint64_t upto, uint64_t batch, uint32_t max)
{
	struct store_fetch *f = calloc(1, sizeof(*f) + len);

	if (!f)
		return -ENOMEM;
	f->sid = sid;
	memcpy(f + 1, bridge, len);
	f->bridge = (const char *)(f + 1);
	f->bridge_len = len;
	f->after = after;
	f->upto = upto;
	f->batch = batch;
	f->max = max;
	pthread_mutex_lock(&st->mu);
	*st->fetch_tail = f;
	st->fetch_tail = &f->next;
	atomic_store(&st->fetch_asked, true);
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	return 0;
}

int store_bridge_fetch(struct store *st, const char *bridge, uint16_t len, uint64_t after,
		       uint64_t upto, uint64_t batch, uint32_t max)
{
	return fetch_ask(st, 0, bridge, len, after, upto, batch, max);
}

/* A session's read-back has no `upto`: the open transaction may hold its queue's rows (new
 * entries, sends, deletes), so it is served between commits only (batch UINT64_MAX is never
 * durable mid-commit; store_fetch_serve_mid serves a prefix, so it also holds back the reads
 * asked after it until that commit). */
int store_session_fetch(struct store *st, uint64_t sid, const char *key, uint16_t len,
			uint64_t after, uint32_t max)
{
	return sid ? fetch_ask(st, sid, key, len, after, UINT64_MAX, UINT64_MAX, max) : -EINVAL;
}

struct store_fetch *store_fetch_take(struct store *st)
{
	struct store_fetch *f;

	pthread_mutex_lock(&st->mu);
	f = st->fetched;
	if (f) {
		st->fetched = f->next;
		if (!st->fetched)
			st->fetched_tail = &st->fetched;
		f->next = NULL;
	}
	pthread_mutex_unlock(&st->mu);
	return f;
}

void store_fetch_free(struct store_fetch *f)
{
	while (f) {
		struct store_fetch *next = f->next;

		free(f->rows);
		free(f->arena);
		free(f);
		f = next;
	}
}

/* Copy a column into the arena; the views are fixed up once the arena stops moving. */
static int arena_put(struct store_fetch *f, size_t *cap, sqlite3_stmt *q, int col, size_t *off,
		     uint32_t *len)
{
	const void *p = sqlite3_column_blob(q, col);
	uint32_t n = (uint32_t)sqlite3_column_bytes(q, col);

	if (f->alen + n > *cap) {
		size_t nc = *cap ? *cap : 4096;
		uint8_t *a;

		while (nc < f->alen + n)
			nc *= 2;
		if (!(a = realloc(f->arena, nc)))
			return -ENOMEM;
		f->arena = a;
		*cap = nc;
	}
	if (n)
		memcpy(f->arena + f->alen, p, n);
	*off = f->alen;
	*len = n;
	f->alen += n;
	return 0;
}

struct row_offs {
	size_t topic, props, payload;
};

static int fetch_run(struct store *st, struct store_fetch *f)
{
	sqlite3_stmt *q = NULL;
	struct row_offs *offs = NULL;
	size_t acap = 0;
	int rc, e = 0;

	if (sqlite3_prepare_v2(st->db, f->sid ? FETCH_SESSION_SQL : FETCH_SQL, -1, &q, NULL) !=
	    SQLITE_OK)
		return -EIO;
	if (f->sid)
		sqlite3_bind_int64(q, 1, (sqlite3_int64)f->sid);
	else
		sqlite3_bind_blob(q, 1, f->bridge, f->bridge_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)f->after);
	sqlite3_bind_int64(q, 3, f->max);
	if (!f->sid)
		sqlite3_bind_int64(q, 4, f->upto > INT64_MAX ? INT64_MAX : (sqlite3_int64)f->upto);
	f->rows = calloc(f->max ? f->max : 1, sizeof(*f->rows));
	offs = calloc(f->max ? f->max : 1, sizeof(*offs));
	if (!f->rows || !offs)
		e = -ENOMEM;
	while (!e && f->n < f->max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_fetch_row *r = &f->rows[f->n];
		struct row_offs *o = &offs[f->n];
		int flags = sqlite3_column_int(q, 5);
		uint32_t tlen;

		r->e.seq = (uint64_t)sqlite3_column_int64(q, 0);
		r->e.qos = (uint8_t)sqlite3_column_int(q, 1);
		r->e.state = (uint8_t)sqlite3_column_int(q, 2);
		r->m.id = r->e.msg_id = (uint64_t)sqlite3_column_int64(q, 3);
		r->m.expiry_ms = sqlite3_column_int64(q, 6);
		r->m.qos = flags & 3;
		r->m.retain = !!(flags & 4);
		r->e.bridge = f->bridge;
		r->e.bridge_len = f->bridge_len;
		if (f->sid) {
			r->retain = !!(sqlite3_column_int(q, 9) & 4);
			r->sub_id = (uint32_t)sqlite3_column_int64(q, 10);
			r->share = (uint16_t)sqlite3_column_int(q, 11);
		}
		if (arena_put(f, &acap, q, 4, &o->topic, &tlen) ||
		    arena_put(f, &acap, q, 7, &o->props, &r->m.props_len) ||
		    arena_put(f, &acap, q, 8, &o->payload, &r->m.payload_len)) {
			e = -ENOMEM;
			break;
		}
		r->m.topic_len = (uint16_t)tlen;
		f->n++;
	}
	if (!e && f->n < f->max && rc != SQLITE_DONE)
		e = -EIO;
	for (uint32_t i = 0; !e && i < f->n; i++) {
		struct store_fetch_row *r = &f->rows[i];

		r->m.topic = (const char *)f->arena + offs[i].topic;
		r->m.props = r->m.props_len ? f->arena + offs[i].props : NULL;
		r->m.payload = f->arena + offs[i].payload;
		r->e.msg = NULL;
	}
	free(offs);
	sqlite3_finalize(q);
	return e;
}

/* Answer list (mu not held), hand the answers over; returns with mu held. */
static void answer(struct store *st, struct store_fetch *list)
{
	struct store_fetch *f;

	for (f = list; f; f = f->next) {
		f->durable = atomic_load(&st->durable);
		f->err = fetch_run(st, f);
		if (f->err)
			f->n = 0;
	}
	pthread_mutex_lock(&st->mu);
	*st->fetched_tail = list;
	while (list->next)
		list = list->next;
	st->fetched_tail = &list->next;
	if (st->efd >= 0) {
		uint64_t one = 1;
		ssize_t w = write(st->efd, &one, sizeof(one));

		(void)w; /* EAGAIN: already readable */
	}
}

void store_fetch_serve(struct store *st)
{
	struct store_fetch *list;

	if (!st->fetch_pend)
		return;
	list = st->fetch_pend;
	st->fetch_pend = NULL;
	st->fetch_tail = &st->fetch_pend;
	atomic_store(&st->fetch_asked, false);
	pthread_mutex_unlock(&st->mu);
	answer(st, list);
}

void store_fetch_serve_mid(struct store *st)
{
	uint64_t durable = atomic_load(&st->durable); /* as of before this transaction */
	struct store_fetch *list, **cut;

	if (!atomic_load_explicit(&st->fetch_asked, memory_order_relaxed))
		return;
	pthread_mutex_lock(&st->mu);
	list = st->fetch_pend;
	/* a prefix, so answers stay in the order asked */
	for (cut = &list; *cut && (*cut)->batch <= durable; cut = &(*cut)->next)
		;
	st->fetch_pend = *cut;
	if (!st->fetch_pend)
		st->fetch_tail = &st->fetch_pend;
	*cut = NULL;
	/* what is left waits for the commit: not looked at again before a new ask */
	atomic_store(&st->fetch_asked, false);
	if (!list) {
		pthread_mutex_unlock(&st->mu);
		return;
	}
	pthread_mutex_unlock(&st->mu);
	answer(st, list);
	pthread_mutex_unlock(&st->mu);
}
