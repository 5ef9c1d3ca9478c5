/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the store's cmocka tests on one store (test_store.c, test_store_open.c,
 * test_store_drain.c): a
 * scratch directory per test, the store opened and loaded into a struct loaded (reopen), and a
 * commit awaited until durable (commit_wait). Include after <cmocka.h>.
 */
#ifndef MQTTGW_TEST_STORE_FX_H
#define MQTTGW_TEST_STORE_FX_H

#include "store_helpers.h"

struct fx {
	char dir[256];
	char msg[512];
	struct store *st;
	struct loaded l;
};

static inline int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || !scratch_dir(f->dir, sizeof(f->dir)))
		return -1;
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	loaded_free(&f->l);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* (Re)open the store in f->dir and load it into f->l. */
static inline void reopen(struct fx *f, enum store_sync sync)
{
	store_close(f->st);
	loaded_free(&f->l);
	f->st = open_dir(f->dir, sync, f->msg, sizeof(f->msg));
	if (!f->st)
		print_error("store_open: %s\n", f->msg);
	assert_non_null(f->st);
	assert_int_equal(store_load(f->st, &loaded_cb, &f->l, &f->l.res), 0);
	/* every handle released exactly once, after the entries took theirs */
	for (size_t i = 0; i < f->l.nmsgs; i++)
		assert_int_equal(f->l.msgs[i]->released, 1);
}

static inline void commit_wait(struct fx *f)
{
	uint64_t seq = store_commit(f->st);
	bool ok = wait_durable(f->st, seq, 10000);

	if (!ok) {
		struct store_stats s;

		store_stats(f->st, &s);
		print_error("batch %llu not durable: durable %llu, committed %llu, %s\n",
			    (unsigned long long)seq, (unsigned long long)s.durable_seq,
			    (unsigned long long)s.committed_seq, s.last_error_msg);
	}
	assert_true(ok);
}

#endif /* MQTTGW_TEST_STORE_FX_H */
