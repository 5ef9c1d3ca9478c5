/* SPDX-License-Identifier: MIT */
/*
 * bench-store-drain: the store writer's work per drained bridge entry (issue #17), without the
 * network: N bridge entries (64-byte payloads) are stored, the store is reopened, then drained
 * as a bridge drains it: read back a page (store_bridge_fetch, on the writer), per entry its SENT
 * state and its delete (carrying the message id), one batch per page, each waited durable.
 * Prints the writer thread's CPU seconds per 100k entries (/proc/self/task: a work count, not a
 * rate; for instructions run it under valgrind --tool=callgrind --separate-threads=yes).
 *   build/bench-store-drain [N [PAGE [MODE]]]   (defaults 100000 1000 0)
 * MODE 0: a page's states and deletes in one transaction (the states are cancelled);
 *      1: the deletes one transaction after their states (a page's deletes, then the next
 *         page's states); 2: the same, deletes and states alternating one by one.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../unit/store_helpers.h"

#define NAME   "up"
#define NAME_L 2

static int br_store_only(void *ctx, const struct store_bridge_entry *e)
{
	(void)ctx;
	(void)e;
	return 0; /* kept in the store: read back by the drain */
}

/* utime + stime of the writer thread (named mqttgw-store), in clock ticks; -1: not found. */
static long writer_ticks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	long ticks = -1;

	while (d && (de = readdir(d))) {
		char path[300], buf[512], *p;
		unsigned long ut, stt;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", de->d_name);
		if (de->d_name[0] == '.' || !(f = fopen(path, "r")))
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && strstr(buf, "(mqttgw-store)") &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) ==
			2)
			ticks = (long)(ut + stt);
	}
	if (d)
		closedir(d);
	return ticks;
}

static void fill(const char *dir, uint64_t n)
{
	char msg[512], p[65];
	struct store *st = open_dir(dir, STORE_SYNC_NORMAL, msg, sizeof(msg));

	if (!st || store_load(st, NULL, NULL, NULL)) {
		fprintf(stderr, "open: %s\n", msg);
		exit(1);
	}
	memset(p, 'p', 64);
	p[64] = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (!store_bridge_add(st, NAME, NAME_L, add_msg(st, "bench/q", p, 1), 1))
			exit(1);
		if (i % 20000 == 19999 && !wait_durable(st, store_commit(st), 60000))
			exit(1);
	}
	store_close(st);
}

/* The next answered fetch (the writer answers before its next commit). */
static struct store_fetch *take(struct store *st)
{
	struct store_fetch *f;

	while (!(f = store_fetch_take(st))) {
		struct pollfd pf = {.fd = store_event_fd(st), .events = POLLIN};

		poll(&pf, 1, 1000);
		store_dispatch(st);
	}
	return f;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000, after = 0, total = 0;
	uint32_t page = argc > 2 ? (uint32_t)atoi(argv[2]) : 1000, pn = 0;
	int mode = argc > 3 ? atoi(argv[3]) : 0;
	uint64_t *pseq = calloc(page, sizeof(*pseq)), *pmsg = calloc(page, sizeof(*pmsg));
	struct store_load_cb cb = {.bridge = br_store_only};
	char dir[256], msg[512];
	struct store *st;
	long t0;

	if (!pseq || !pmsg || !page || !scratch_dir(dir, sizeof(dir)))
		return 1;
	fill(dir, n);
	st = open_dir(dir, STORE_SYNC_FULL, msg, sizeof(msg));
	if (!st || store_load(st, &cb, NULL, NULL))
		return 1;
	t0 = writer_ticks();
	for (;;) {
		struct store_fetch *f;

		store_bridge_fetch(st, NAME, NAME_L, after, UINT64_MAX, 0, page);
		f = take(st);
		for (uint32_t i = 0; mode && i < (pn > f->n ? pn : f->n); i++) {
			/* mode 1: the last page's deletes, then this page's states */
			if (mode == 2 && i < pn)
				store_bridge_del_msg(st, NAME, NAME_L, pseq[i], pmsg[i]);
			if (mode == 2 && i < f->n)
				store_bridge_state(st, NAME, NAME_L, f->rows[i].e.seq, 1);
		}
		for (uint32_t i = 0; mode == 1 && i < pn; i++)
			store_bridge_del_msg(st, NAME, NAME_L, pseq[i], pmsg[i]);
		for (uint32_t i = 0; mode != 2 && i < f->n; i++)
			store_bridge_state(st, NAME, NAME_L, f->rows[i].e.seq, 1);
		for (uint32_t i = 0; !mode && i < f->n; i++)
			store_bridge_del_msg(st, NAME, NAME_L, f->rows[i].e.seq, f->rows[i].e.msg_id);
		for (pn = 0; mode && pn < f->n; pn++) {
			pseq[pn] = f->rows[pn].e.seq;
			pmsg[pn] = f->rows[pn].e.msg_id;
		}
		total += f->n;
		after = f->n ? f->rows[f->n - 1].e.seq : after;
		if (!wait_durable(st, store_commit(st), 60000))
			return 1;
		if (!f->n) {
			store_fetch_free(f);
			break;
		}
		store_fetch_free(f);
	}
	printf("bench-store-drain: %llu entries, page %u, mode %d: writer %.3f CPU-s per 100k\n",
	       (unsigned long long)total, page, mode,
	       (double)(writer_ticks() - t0) / (double)sysconf(_SC_CLK_TCK) * 1e5 /
		   (double)(total ? total : 1));
	store_close(st);
	rm_rf(dir);
	free(pseq);
	free(pmsg);
	return total == n ? 0 : 1;
}
