/* SPDX-License-Identifier: MIT */
/*
 * store: open (probe the directory, open SQLite in WAL mode, check, migrate), move an unreadable
 * database aside, close. The thread is in store_thread.c, staging in store_stage.c, start-up
 * streaming in store_load.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

/*
 * Schema v1. Message ids, session ids and entry seqs are allocated by the loop thread and only
 * grow. The out/rx2/subs/retained/bridge tables are WITHOUT ROWID, clustered on the key the load
 * streams them by, so an entry costs its key and a few small integers, no second b-tree.
 * messages.flags: bits 0-1 QoS, bit 2 retain. out.flags: bits 0-1 QoS, 2 retain, 3-4 state
 * (enum store_out_state), 5 DUP. Message reference counts are not stored: the load counts the
 * references, so a count can never disagree with the rows.
 */
static const char schema_v1[] =
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, topic BLOB NOT NULL, flags INTEGER NOT NULL,"
    " expiry INTEGER NOT NULL, props BLOB, payload BLOB NOT NULL);"
    "CREATE TABLE sessions(id INTEGER PRIMARY KEY, client_id BLOB NOT NULL, rec BLOB NOT NULL);"
    "CREATE TABLE subs(sid INTEGER NOT NULL, filter BLOB NOT NULL, opts INTEGER NOT NULL,"
    " sub_id INTEGER NOT NULL, PRIMARY KEY(sid, filter)) WITHOUT ROWID;"
    "CREATE TABLE out(sid INTEGER NOT NULL, seq INTEGER NOT NULL, msg INTEGER,"
    " flags INTEGER NOT NULL, pid INTEGER NOT NULL, sub_id INTEGER NOT NULL,"
    " share INTEGER NOT NULL, PRIMARY KEY(sid, seq)) WITHOUT ROWID;"
    "CREATE TABLE rx2(sid INTEGER NOT NULL, pid INTEGER NOT NULL, PRIMARY KEY(sid, pid))"
    " WITHOUT ROWID;"
    "CREATE TABLE retained(topic BLOB PRIMARY KEY, msg INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE bridge(name BLOB NOT NULL, seq INTEGER NOT NULL, msg INTEGER NOT NULL,"
    " qos INTEGER NOT NULL, state INTEGER NOT NULL, PRIMARY KEY(name, seq)) WITHOUT ROWID;";

/*
 * v0 was the prototype's layout (user_version 0 with tables in it): sessions as plain columns,
 * retained messages inline, nothing else persisted. v0 -> v1 keeps both.
 */
static int migrate_v0(sqlite3 *db)
{
	sqlite3_stmt *q = NULL, *ins = NULL;
	int rc = sqlite3_exec(db,
			      "ALTER TABLE sessions RENAME TO v0_sessions;"
			      "ALTER TABLE retained RENAME TO v0_retained;",
			      NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, schema_v1, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT client_id, proto, expiry FROM v0_sessions", -1,
					&q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO sessions(client_id, rec) VALUES(?, ?)", -1,
					&ins, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_session s = {
		    .proto = (uint8_t)sqlite3_column_int(q, 1),
		    .expiry_interval = (uint32_t)sqlite3_column_int64(q, 2),
		};
		uint8_t rec[64];
		int n = store_record_session_encode(&s, rec, sizeof(rec));

		rc = SQLITE_OK;
		if (n < 0)
			continue; /* v0 had no such check: drop what v1 cannot represent */
		sqlite3_bind_blob(ins, 1, sqlite3_column_blob(q, 0), sqlite3_column_bytes(q, 0),
				  SQLITE_TRANSIENT);
		sqlite3_bind_blob(ins, 2, rec, n, SQLITE_TRANSIENT);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	/* message ids follow the v0 rowids; the retained entry points at its copy */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(
		    db,
		    "INSERT INTO messages(id, topic, flags, expiry, payload)"
		    " SELECT rowid, CAST(topic AS BLOB), qos & 3 | 4, 0, payload FROM v0_retained;"
		    "INSERT INTO retained(topic, msg) SELECT CAST(topic AS BLOB), rowid FROM "
		    "v0_retained;"
		    "DROP TABLE v0_sessions; DROP TABLE v0_retained;",
		    NULL, NULL, NULL);
	return rc;
}

static int table_exists(sqlite3 *db, const char *name, bool *yes)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
				    -1, &q, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	*yes = rc == SQLITE_ROW;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Bring the schema to STORE_SCHEMA_VERSION in one transaction. */
static int migrate(sqlite3 *db, int64_t version)
{
	bool v0 = false;
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc == SQLITE_OK && version == 0)
		rc = table_exists(db, "sessions", &v0);
	if (rc == SQLITE_OK && version == 0)
		rc = v0 ? migrate_v0(db) : sqlite3_exec(db, schema_v1, NULL, NULL, NULL);
	/* v1 -> v2: retained messages remember their publisher (check_retain_source); rows
	 * from before stay NULL: unknown, delivered unchecked as Mosquitto does */
	if (rc == SQLITE_OK && version <= 1)
		rc = sqlite3_exec(db,
				  "ALTER TABLE retained ADD COLUMN src_id BLOB;"
				  "ALTER TABLE retained ADD COLUMN src_user BLOB;"
				  "ALTER TABLE retained ADD COLUMN src_listener INTEGER;",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA user_version=2; COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static bool unreadable(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT || rc == SQLITE_FORMAT;
}

/*
 * Open st->path: exclusive locking before WAL, so no -shm file is used and a second daemon on the
 * same file gets SQLITE_BUSY instead of sharing it. *why gets a reason when the file exists but
 * cannot be read (the caller moves it aside). SQLite result code.
 */
static int db_open(struct store *st, const char **why)
{
	static const char *const sync_sql[] = {"PRAGMA synchronous=FULL",
					       "PRAGMA synchronous=NORMAL"};
	int64_t version = 0;
	sqlite3_stmt *q;
	int rc;

	*why = NULL;
	rc =
	    sqlite3_open_v2(st->path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_extended_result_codes(st->db, 1);
	/* nothing is written before the checks: a file we move aside is moved as it was. Reads go
	 * through mmap (no copy per page: the start-up scans read the whole file) */
	rc = sqlite3_exec(st->db, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA mmap_size=1073741824",
			  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = pragma_int(st->db, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK && version > STORE_SCHEMA_VERSION) {
		*why = "written by a newer mqttgw (schema version too high)";
		return SQLITE_FORMAT;
	}
	/* quick_check reads every page once: a truncated or damaged file is caught here, before
	 * the load has streamed half of it to the broker */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check(1)", -1, &q, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "ok")) {
			*why = "integrity check failed";
			rc = SQLITE_CORRUPT;
		} else if (rc == SQLITE_ROW) {
			rc = SQLITE_OK;
		}
		sqlite3_finalize(q);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc =
		    sqlite3_exec(st->db, sync_sql[st->sync == STORE_SYNC_NORMAL], NULL, NULL, NULL);
	if (rc == SQLITE_OK && version < STORE_SCHEMA_VERSION)
		rc = migrate(st->db, version);
	if (rc == SQLITE_OK)
		rc = store_stmts_prepare(st);
	if (unreadable(rc) && !*why)
		*why = sqlite3_errstr(rc);
	return rc;
}

static void db_close(struct store *st)
{
	store_stmts_finalize(st);
	sqlite3_close(st->db);
	st->db = NULL;
}

/* Rename path (and its -wal, -shm) to path.corrupt-YYYYMMDDTHHMMSS[-N]. The new name in to. */
static int move_aside(const char *path, char *to, size_t tolen)
{
	static const char *const sfx[] = {"-wal", "-shm"};
	char stamp[32], from[4200], dst[4300];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	for (int i = 0; i < 100; i++) {
		if (i)
			snprintf(to, tolen, "%s.corrupt-%s-%d", path, stamp, i);
		else
			snprintf(to, tolen, "%s.corrupt-%s", path, stamp);
		if (access(to, F_OK) == 0)
			continue;
		if (rename(path, to))
			return -errno;
		for (size_t k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
			snprintf(from, sizeof(from), "%s%s", path, sfx[k]);
			snprintf(dst, sizeof(dst), "%s%s", to, sfx[k]);
			if (rename(from, dst) && errno != ENOENT)
				return -errno;
		}
		return 0;
	}
	return -EEXIST;
}

/* The directory must take new files (the WAL comes and goes): try one. */
static int probe_dir(const char *dir)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/.mqttgw-probe-XXXXXX", dir);
	fd = mkstemp(p);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(p);
	return 0;
}

int store_check_dir(const char *dir)
{
	return probe_dir(dir);
}

static void store_free(struct store *st)
{
	if (st->efd >= 0)
		close(st->efd);
	store_batch_free(st->cur);
	store_batch_free(st->pend);
	store_batch_free(st->spare);
	store_batch_free(st->reuse);
	store_fetch_free(st->fetch_pend);
	store_fetch_free(st->fetched);
	store_refs_free(&st->rc);
	store_cancel_free(&st->cancel);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st->path);
	free(st);
}

struct store *store_open(const struct store_opts *o, char *msg, size_t msglen)
{
	const char *file = o->file && *o->file ? o->file : STORE_DEFAULT_FILE;
	struct store *st = calloc(1, sizeof(*st));
	const char *why;
	char aside[4200];
	int rc, e;

	msg[0] = 0;
	if (!st)
		return NULL;
	st->efd = -1;
	st->sync = o->sync;
	st->linger_us = STORE_LINGER_US;
	st->pend_tail = &st->pend;
	st->fetch_tail = &st->fetch_pend;
	st->fetched_tail = &st->fetched;
	st->next_msg = st->next_sid = st->next_seq = 1;
	atomic_init(&st->durable, 0);
	atomic_init(&st->writable, true);
	st->stats.writable = true;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	if (asprintf(&st->path, "%s/%s", o->dir, file) < 0) {
		st->path = NULL;
		e = ENOMEM;
		goto err_free;
	}
	e = -probe_dir(o->dir);
	if (e) {
		snprintf(msg, msglen, "store: cannot write to directory %s: %s", o->dir,
			 strerror(e));
		goto err_free;
	}
	rc = db_open(st, &why);
	if (rc != SQLITE_OK && why) {
		db_close(st);
		e = -move_aside(st->path, aside, sizeof(aside));
		if (e) {
			snprintf(msg, msglen, "store: %s cannot be read (%s) nor moved aside: %s",
				 st->path, why, strerror(e));
			goto err_free;
		}
		snprintf(msg, msglen, "store: %s cannot be read (%s): moved to %s, starting empty",
			 st->path, why, aside);
		rc = db_open(st, &why);
	}
	if (rc != SQLITE_OK) {
		e = (rc & 0xff) == SQLITE_BUSY ? EBUSY : EIO;
		snprintf(msg, msglen, "store: cannot open %s: %s", st->path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		db_close(st);
		goto err_free;
	}
	st->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (st->efd < 0) {
		e = errno;
		snprintf(msg, msglen, "store: eventfd: %s", strerror(e));
		db_close(st);
		goto err_free;
	}
	st->stats.db_bytes = store_file_bytes(st);
	return st;

err_free:
	store_free(st);
	errno = e;
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	store_commit(st);
	store_thread_stop(st);
	db_close(st);
	store_free(st);
}
