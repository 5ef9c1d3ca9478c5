/* SPDX-License-Identifier: MIT */
/*
 * bench-store: the durable store alone, on the disk of the scratch directory ($TMPDIR or
 * /var/tmp). Per sync mode: sequential batches (commit, wait durable: the latency a PUBACK waits)
 * and pipelined batches (a commit every 100 us without waiting: what group commit gives). Then N
 * stored queued messages (default 1,000,000, 64-byte payloads, 100 sessions): database bytes per
 * message and the time to open (includes the integrity check) and load them back.
 *   build/bench-store [messages [load]]   (load: skip the sync-mode runs)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../unit/store_helpers.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t clock_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

/* CPU time of the calling thread: on a shared, loaded machine wall time mostly measures the
 * other tenants; the load runs on this thread alone */
static int64_t cpu_us(void)
{
	return clock_us(CLOCK_THREAD_CPUTIME_ID);
}

static struct store *open_fresh(char *dir, size_t len, enum store_sync sync)
{
	char msg[512];
	struct store *st;

	if (!scratch_dir(dir, len)) {
		perror("mkdtemp");
		exit(1);
	}
	st = open_dir(dir, sync, msg, sizeof(msg));
	if (!st || store_load(st, NULL, NULL, NULL)) {
		fprintf(stderr, "open: %s\n", msg);
		exit(1);
	}
	return st;
}

static void one_publish(struct store *st, uint64_t sid)
{
	static const char payload[65] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct store_msg m = {.topic = "site/dev0042/temp",
			      .topic_len = 17,
			      .payload = (const uint8_t *)payload,
			      .payload_len = 64,
			      .qos = 1};

	store_out_add(st, sid, store_msg_add(st, &m), 1, 0, 0, 0);
}

static void bench_sync(enum store_sync sync, const char *name)
{
	enum { SEQ = 1000 };
	struct store_session s = {.client_id = "bench", .client_id_len = 5, .proto = 5};
	static uint64_t lat[SEQ];
	struct store_stats a, b;
	char dir[256];
	struct store *st = open_fresh(dir, sizeof(dir), sync);
	int64_t t0, t1;

	store_session_put(st, &s);
	wait_durable(st, store_commit(st), 10000);
	t0 = now_us();
	for (int i = 0; i < SEQ; i++) {
		int64_t t = now_us();

		one_publish(st, s.id);
		wait_durable(st, store_commit(st), 10000);
		lat[i] = (uint64_t)(now_us() - t);
	}
	t1 = now_us();
	qsort(lat, SEQ, sizeof(lat[0]), cmp_u64);
	printf("%-6s sequential: %d batches in %.2f s = %.0f commits/s; latency p50 %llu us, p99 "
	       "%llu us, max %llu us\n",
	       name, SEQ, (t1 - t0) / 1e6, SEQ / ((t1 - t0) / 1e6),
	       (unsigned long long)lat[SEQ / 2], (unsigned long long)lat[SEQ * 99 / 100],
	       (unsigned long long)lat[SEQ - 1]);

	/* pipelined: one batch (one publish) per 100 us "loop iteration" for 2 s */
	store_stats(st, &a);
	uint64_t last = 0, n = 0;

	t0 = now_us();
	while (now_us() - t0 < 2000000) {
		one_publish(st, s.id);
		last = store_commit(st);
		n++;
		usleep(100);
		store_dispatch(st);
	}
	wait_durable(st, last, 10000);
	t1 = now_us();
	store_stats(st, &b);
	printf("%-6s pipelined: %llu batches/s, %llu transactions (%.1f batches each), max commit "
	       "%llu us\n",
	       name, (unsigned long long)(n * 1000000 / (uint64_t)(t1 - t0)),
	       (unsigned long long)(b.commits - a.commits),
	       (double)(b.batches - a.batches) / (double)(b.commits - a.commits),
	       (unsigned long long)b.max_commit_us);
	store_close(st);
	rm_rf(dir);
}

struct counts {
	uint64_t msgs, out, bytes;
};

static void *count_msg(void *ctx, const struct store_msg *m)
{
	struct counts *c = ctx;
	/* what the broker would do: one allocation holding the message */
	void *p = malloc(m->topic_len + m->payload_len + 64);

	memcpy(p, m->payload, m->payload_len);
	c->msgs++;
	c->bytes += m->payload_len;
	return p;
}

static int count_out(void *ctx, uint64_t sid, const struct store_out *e)
{
	(void)sid;
	(void)e;
	((struct counts *)ctx)->out++;
	return 0;
}

static void release(void *ctx, void *msg)
{
	(void)ctx;
	free(msg);
}

static void bench_load(uint64_t nmsg)
{
	enum { SESSIONS = 100, PER_BATCH = 10000 };
	struct store_session s[SESSIONS];
	struct store_load_cb cb = {.msg = count_msg, .out = count_out, .release = release};
	struct store_load_result res;
	struct counts c = {0};
	char dir[256], msg[512], path[600];
	struct store *st = open_fresh(dir, sizeof(dir), STORE_SYNC_NORMAL);
	struct stat sb;
	int64_t t0;

	for (int i = 0; i < SESSIONS; i++) {
		char *id = malloc(16);

		snprintf(id, 16, "client-%03d", i);
		s[i] = (struct store_session){
		    .client_id = id, .client_id_len = 10, .proto = 5, .expiry_interval = 86400};
		store_session_put(st, &s[i]);
	}
	t0 = now_us();
	for (uint64_t i = 0; i < nmsg; i++) {
		one_publish(st, s[i % SESSIONS].id);
		if (i % PER_BATCH == PER_BATCH - 1)
			store_commit(st);
	}
	wait_durable(st, store_commit(st), 600000);
	printf("stored %llu queued messages in %.2f s (batches of %d)\n", (unsigned long long)nmsg,
	       (now_us() - t0) / 1e6, PER_BATCH);
	store_close(st);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DEFAULT_FILE);
	stat(path, &sb);
	printf("database %lld bytes: %.1f bytes per message (payload 64, topic 17): overhead %.1f "
	       "bytes beyond the payload, %.1f beyond payload and topic\n",
	       (long long)sb.st_size, (double)sb.st_size / (double)nmsg,
	       (double)sb.st_size / (double)nmsg - 64, (double)sb.st_size / (double)nmsg - 64 - 17);

	int64_t c0 = cpu_us();

	t0 = now_us();
	st = open_dir(dir, STORE_SYNC_FULL, msg, sizeof(msg));
	int64_t t1 = now_us(), c1 = cpu_us();

	if (!st || store_load(st, &cb, &c, &res)) {
		fprintf(stderr, "reopen failed: %s\n", msg);
		exit(1);
	}
	int64_t t2 = now_us(), c2 = cpu_us();

	printf(
	    "restart: open %.0f ms (integrity check included), load %.0f ms, total %.0f ms wall; "
	    "CPU %.0f + %.0f = %.0f ms: %llu messages, %llu entries, %llu sessions\n",
	    (t1 - t0) / 1e3, (t2 - t1) / 1e3, (t2 - t0) / 1e3, (c1 - c0) / 1e3, (c2 - c1) / 1e3,
	    (c2 - c0) / 1e3, (unsigned long long)res.messages, (unsigned long long)res.out,
	    (unsigned long long)res.sessions);
	store_close(st);
	rm_rf(dir);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;

	if (argc < 3 || strcmp(argv[2], "load")) {
		bench_sync(STORE_SYNC_FULL, "full");
		bench_sync(STORE_SYNC_NORMAL, "normal");
	}
	bench_load(n);
	return 0;
}
