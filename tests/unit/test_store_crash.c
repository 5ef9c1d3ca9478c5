// SPDX-License-Identifier: MIT
/*
 * store failure tests: a child staging and committing in a loop is SIGKILLed at a random moment
 * and every batch it saw reported durable must be there after reopening; a size-limited tmpfs
 * fills up (commits fail, the store says not writable, batches are kept) and the store recovers
 * by itself when space returns, with every staged op landing; a read-only directory fails
 * store_open with a clear message. The mounts need root: skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "store_helpers.h"

/* The child: batch k adds message "k" to sessions A and B and deletes B's entry of batch k-5, so
 * batch seq == k. Reports each new durable seq on fd. Never returns. */
static void child_loop(const char *dir, enum store_sync sync, int fd)
{
	struct store_session a = {.client_id = "A", .client_id_len = 1, .proto = 5};
	struct store_session b = {.client_id = "B", .client_id_len = 1, .proto = 5};
	static uint64_t seq_b[1 << 20];
	char msg[256], p[24];
	uint64_t seen = 0;
	struct store *st = open_dir(dir, sync, msg, sizeof(msg));

	if (!st || store_load(st, NULL, NULL, NULL))
		_exit(2);
	store_session_put(st, &a);
	store_session_put(st, &b);
	for (uint64_t k = 1; k < (1 << 20); k++) {
		snprintf(p, sizeof(p), "%llu", (unsigned long long)k);
		uint64_t m = add_msg(st, "crash/test", p, 1);

		store_out_add(st, a.id, m, 1, 0, 0, 0);
		seq_b[k] = store_out_add(st, b.id, m, 1, 0, 0, 0);
		if (k > 5)
			store_out_del(st, b.id, seq_b[k - 5]);
		if (store_commit(st) != k)
			_exit(3);
		struct pollfd pf = {.fd = store_event_fd(st), .events = POLLIN};

		poll(&pf, 1, 1);
		uint64_t d = store_dispatch(st);

		if (d > seen) {
			seen = d;
			if (write(fd, &d, sizeof(d)) != sizeof(d))
				_exit(4);
		}
	}
	_exit(0);
}

static void crash_round(unsigned round, enum store_sync sync)
{
	char dir[256], msg[256];
	int pfd[2];
	uint64_t d, durable = 0;
	struct loaded l = {0};
	pid_t pid;

	assert_non_null(scratch_dir(dir, sizeof(dir)));
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		child_loop(dir, sync, pfd[1]);
	}
	close(pfd[1]);
	/* let it get going (a loaded machine or a sanitizer build starts slowly), then kill it at a
	 * random moment */
	while (durable <= 5 && read(pfd[0], &d, sizeof(d)) == sizeof(d))
		durable = d;
	srand(round * 7919u + (unsigned)getpid());
	usleep((useconds_t)(rand() % 400) * 1000);
	kill(pid, SIGKILL);
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	while (read(pfd[0], &d, sizeof(d)) == sizeof(d)) {
		assert_true(d > durable); /* reported in order */
		durable = d;
	}
	close(pfd[0]);
	assert_true(durable > 5); /* the round proved something */

	struct store *st = open_dir(dir, sync, msg, sizeof(msg));

	assert_non_null(st);
	assert_string_equal(msg, "");
	assert_int_equal(store_load(st, &loaded_cb, &l, &l.res), 0);
	assert_int_equal(l.res.sessions, 2);
	assert_int_equal(l.res.orphans, 0);
	assert_int_equal(l.res.skipped, 0);

	/* A has every k <= durable, in order; B has none of k <= durable - 5 */
	uint64_t next_a = 1, max_b_missing_ok = durable > 5 ? durable - 5 : 0;

	for (size_t i = 0; i < l.nout; i++) {
		const struct lmsg *m = l.out[i].e.msg;
		char num[24];

		snprintf(num, sizeof(num), "%.*s", (int)m->m.payload_len, m->m.payload);
		uint64_t k = strtoull(num, NULL, 10);

		if (l.out[i].sid == l.sess[0].id) {
			if (k <= durable)
				assert_int_equal(k, next_a);
			next_a = k + 1;
		} else {
			assert_true(k > max_b_missing_ok);
		}
	}
	assert_true(next_a > durable);
	print_message("round %u (%s): killed after durable batch %llu, %zu entries restored\n",
		      round, sync == STORE_SYNC_FULL ? "full" : "normal",
		      (unsigned long long)durable, l.nout);
	store_close(st);
	loaded_free(&l);
	rm_rf(dir);
}

static void test_sigkill(void **state)
{
	(void)state;
	for (unsigned r = 0; r < 8; r++)
		crash_round(r, r & 1 ? STORE_SYNC_NORMAL : STORE_SYNC_FULL);
}

/* Mount a size-limited tmpfs on a scratch dir; false (and the test skips) when we cannot. */
static bool mount_tmpfs(char *dir, size_t len, const char *opts)
{
	if (geteuid() != 0) {
		print_message("skip: not root (needs a size-limited tmpfs mount)\n");
		return false;
	}
	assert_non_null(scratch_dir(dir, len));
	if (mount("tmpfs", dir, "tmpfs", 0, opts)) {
		print_message("skip: mount tmpfs: %s\n", strerror(errno));
		rmdir(dir);
		return false;
	}
	return true;
}

static void unmount_dir(const char *dir)
{
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

static uint64_t stage_big(struct store *st, uint64_t sid, int n, uint64_t *staged)
{
	static char payload[4096];

	memset(payload, 'f', sizeof(payload) - 1);
	for (int i = 0; i < n; i++) {
		char t[32];

		snprintf(t, sizeof(t), "full/%llu", (unsigned long long)++*staged);
		uint64_t m = add_msg(st, t, payload, 1);

		store_out_add(st, sid, m, 1, 0, 0, 0);
	}
	return store_commit(st);
}

static void test_disk_full(void **state)
{
	char dir[256], msg[256], filler[300];
	struct store_session s = {.client_id = "F", .client_id_len = 1, .proto = 5};
	struct store_stats stats;
	struct loaded l = {0};
	uint64_t staged = 0, last = 0, seen = 0;
	struct store *st;

	(void)state;
	if (!mount_tmpfs(dir, sizeof(dir), "size=2m"))
		skip();
	st = open_dir(dir, STORE_SYNC_FULL, msg, sizeof(msg));
	assert_non_null(st);
	assert_int_equal(store_load(st, NULL, NULL, NULL), 0);
	store_session_put(st, &s);
	/* a filler takes half the space: deleting it later is "space returns" */
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	int fd = open(filler, O_WRONLY | O_CREAT, 0600);
	static char mb[1 << 20];

	assert_true(fd >= 0);
	assert_int_equal(write(fd, mb, sizeof(mb)), (ssize_t)sizeof(mb));
	close(fd);

	/* fill: commit until one fails */
	for (int i = 0; i < 64 && store_writable(st); i++) {
		last = stage_big(st, s.id, 8, &staged);
		int64_t end = helper_ms() + 3000;

		while (store_dispatch(st) < last && store_writable(st) && helper_ms() < end)
			usleep(1000);
	}
	assert_false(store_writable(st));
	/* more batches while full: kept, not durable, never out of order */
	for (int i = 0; i < 3; i++)
		last = stage_big(st, s.id, 2, &staged);
	usleep(100000);
	store_stats(st, &stats);
	assert_true(stats.failures > 0);
	assert_true(stats.durable_seq < last);
	assert_false(stats.writable);
	assert_non_null(strstr(stats.last_error_msg, "full"));
	seen = store_dispatch(st);
	assert_true(seen < last);

	/* space returns: the store recovers by itself, every batch lands in order */
	assert_int_equal(unlink(filler), 0);
	assert_true(wait_durable(st, last, 10000));
	assert_true(store_writable(st));
	store_stats(st, &stats);
	assert_int_equal(stats.durable_seq, last);
	print_message("disk full: %llu failed commits, recovered; %llu messages staged\n",
		      (unsigned long long)stats.failures, (unsigned long long)staged);
	store_close(st);

	st = open_dir(dir, STORE_SYNC_FULL, msg, sizeof(msg));
	assert_non_null(st);
	assert_int_equal(store_load(st, &loaded_cb, &l, &l.res), 0);
	assert_int_equal(l.nout, staged);
	for (size_t i = 0; i < l.nout; i++) {
		char t[32];

		snprintf(t, sizeof(t), "full/%zu", i + 1);
		assert_string_equal(((struct lmsg *)l.out[i].e.msg)->m.topic, t);
	}
	store_close(st);
	loaded_free(&l);
	unmount_dir(dir);
}

static void test_readonly_dir(void **state)
{
	char dir[256], msg[256];
	struct store *st;

	(void)state;
	if (!mount_tmpfs(dir, sizeof(dir), "size=1m"))
		skip();
	/* a store that was fine, then its filesystem went read-only */
	st = open_dir(dir, STORE_SYNC_FULL, msg, sizeof(msg));
	assert_non_null(st);
	assert_int_equal(store_load(st, NULL, NULL, NULL), 0);
	add_msg(st, "x", "y", 0);
	assert_true(wait_durable(st, store_commit(st), 5000));
	store_close(st);
	assert_int_equal(mount("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_RDONLY, "size=1m"), 0);
	errno = 0;
	assert_null(open_dir(dir, STORE_SYNC_FULL, msg, sizeof(msg)));
	assert_int_equal(errno, EROFS);
	assert_non_null(strstr(msg, "cannot write to directory"));
	assert_non_null(strstr(msg, "Read-only"));
	unmount_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigkill),
	    cmocka_unit_test(test_disk_full),
	    cmocka_unit_test(test_readonly_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
