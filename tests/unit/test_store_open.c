// SPDX-License-Identifier: MIT
/*
 * store unit tests of opening a store file, on real files in a scratch directory: an unreadable
 * database (garbage, truncated mid-page, newer schema) is moved aside byte for byte and the store
 * starts empty; a v0 database is migrated; a missing directory fails clearly; a second opener of
 * the same file is refused. The store's records, commits and read-backs are in test_store.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store_fx.h"
#include "store_helpers.h"

/* A file at the store path that cannot be read: moved aside byte for byte, store empty. */
static void expect_moved_aside(struct fx *f, const void *orig, size_t len)
{
	char path[600], aside[700];
	FILE *fp;

	store_close(f->st);
	f->st = NULL;
	reopen(f, STORE_SYNC_FULL);
	assert_non_null(strstr(f->msg, "moved to"));
	assert_non_null(strstr(f->msg, ".corrupt-"));
	assert_int_equal(f->l.res.sessions + f->l.res.messages, 0);
	snprintf(path, sizeof(path), "%s/%s", f->dir, STORE_DEFAULT_FILE);
	snprintf(aside, sizeof(aside), "%s", strstr(f->msg, "moved to ") + 9);
	*strchr(aside, ',') = 0;
	assert_int_equal(strncmp(aside, path, strlen(path)), 0);
	fp = fopen(aside, "rb");
	assert_non_null(fp);
	char *buf = malloc(len + 1);

	assert_int_equal(fread(buf, 1, len + 1, fp), len);
	assert_memory_equal(buf, orig, len);
	free(buf);
	fclose(fp);
	/* and the new store works */
	add_msg(f->st, "x", "y", 0);
	commit_wait(f);
}

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, len, fp), len);
	fclose(fp);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void test_corrupt_garbage(void **state)
{
	struct fx *f = *state;
	char path[600], garbage[8192];

	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	snprintf(path, sizeof(path), "%s/%s", f->dir, STORE_DEFAULT_FILE);
	write_file(path, garbage, sizeof(garbage));
	expect_moved_aside(f, garbage, sizeof(garbage));
}

static void test_corrupt_truncated(void **state)
{
	struct fx *f = *state;
	struct store_session s = {.client_id = "t", .client_id_len = 1, .proto = 5};
	char path[600], big[1000];
	size_t len;

	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	reopen(f, STORE_SYNC_FULL);
	store_session_put(f->st, &s);
	for (int i = 0; i < 400; i++)
		store_out_add(f->st, s.id, add_msg(f->st, "big", big, 1), 1, 0, 0, 0);
	commit_wait(f);
	store_close(f->st); /* checkpoints the WAL into the file */
	f->st = NULL;
	snprintf(path, sizeof(path), "%s/%s", f->dir, STORE_DEFAULT_FILE);
	char *orig = read_file(path, &len);

	assert_true(len > 100 * 4096);
	assert_int_equal(truncate(path, (off_t)(len / 2 + 1000)), 0); /* mid-page */
	expect_moved_aside(f, orig, len / 2 + 1000);
	free(orig);
}

static void test_newer_schema(void **state)
{
	struct fx *f = *state;
	char path[600];
	sqlite3 *db;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", f->dir, STORE_DEFAULT_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "CREATE TABLE future(x); PRAGMA user_version=99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	char *orig = read_file(path, &len);

	expect_moved_aside(f, orig, len);
	assert_non_null(strstr(f->msg, "newer"));
	free(orig);
}

static void test_migrate_v0(void **state)
{
	struct fx *f = *state;
	char path[600];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", f->dir, STORE_DEFAULT_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
			 "CREATE TABLE sessions(client_id TEXT PRIMARY KEY, proto INTEGER,"
			 " expiry INTEGER);"
			 "CREATE TABLE retained(topic TEXT PRIMARY KEY, qos INTEGER, payload BLOB);"
			 "INSERT INTO sessions VALUES('old-1', 4, 600), ('old-2', 5, 0),"
			 " ('broken', 9, 0);"
			 "INSERT INTO retained VALUES('r/1', 1, x'0102'), ('r/2', 0, 'two');",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	reopen(f, STORE_SYNC_FULL);
	assert_string_equal(f->msg, "");
	assert_int_equal(f->l.nsess, 2); /* proto 9 could not be represented */
	assert_string_equal(f->l.sess_ids[0], "old-1");
	assert_int_equal(f->l.sess[0].proto, 4);
	assert_int_equal(f->l.sess[0].expiry_interval, 600);
	assert_string_equal(f->l.sess_ids[1], "old-2");
	assert_int_equal(f->l.nret, 2);
	assert_string_equal(f->l.ret[0].topic, "r/1");
	assert_int_equal(f->l.ret[0].m->m.qos, 1);
	assert_int_equal(f->l.ret[0].m->m.retain, 1);
	assert_int_equal(f->l.ret[0].m->m.payload_len, 2);
	assert_memory_equal(f->l.ret[1].m->m.payload, "two", 3);
	/* the migrated store is a v1 store: it takes writes and reopens as such */
	store_retain_del(f->st, "r/1", 3);
	commit_wait(f);
	reopen(f, STORE_SYNC_FULL);
	assert_int_equal(f->l.nret, 1);
	assert_int_equal(f->l.nmsgs, 1);
}

static void test_missing_dir(void **state)
{
	struct fx *f = *state;
	char dir[600], msg[512];

	snprintf(dir, sizeof(dir), "%s/does/not/exist", f->dir);
	errno = 0;
	assert_null(open_dir(dir, STORE_SYNC_FULL, msg, sizeof(msg)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(msg, "cannot write to directory"));
	assert_non_null(strstr(msg, dir));
}

/* A second daemon on the same file is refused, not given a shared or moved-aside store. */
static void test_locked(void **state)
{
	struct fx *f = *state;
	char msg[512];

	reopen(f, STORE_SYNC_FULL);
	add_msg(f->st, "x", "y", 0);
	commit_wait(f);
	errno = 0;
	assert_null(open_dir(f->dir, STORE_SYNC_FULL, msg, sizeof(msg)));
	assert_int_equal(errno, EBUSY);
	assert_null(strstr(msg, "moved"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_corrupt_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v0, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
