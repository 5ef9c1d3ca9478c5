// SPDX-License-Identifier: MIT
/*
 * workpool unit tests on a real loop: jobs run off the loop thread and come back through the
 * eventfd, every done() runs on the loop thread exactly once; the loop keeps serving its
 * timers while a slow job runs; workpool_free() ends what is left (done(0) for jobs that ran,
 * done(-ECANCELED) for the rest); bad arguments.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "workpool.h"

struct tjob {
	struct workpool_job wj;
	pthread_t loop_thread, ran_on;
	unsigned int sleep_us;
	int ran, done, status, order;
	int *n_done;
};

static void tjob_run(struct workpool_job *wj)
{
	struct tjob *j = (struct tjob *)wj;

	j->ran_on = pthread_self();
	static int seq;

	j->order = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	if (j->sleep_us)
		usleep(j->sleep_us);
	__atomic_add_fetch(&j->ran, 1, __ATOMIC_RELAXED);
}

static void tjob_done(struct workpool_job *wj, int status)
{
	struct tjob *j = (struct tjob *)wj;

	assert_true(pthread_equal(pthread_self(), j->loop_thread));
	j->done++;
	j->status = status;
	(*j->n_done)++;
}

static void tjob_init(struct tjob *j, int *n_done, unsigned int sleep_us)
{
	memset(j, 0, sizeof(*j));
	j->wj.run = tjob_run;
	j->wj.done = tjob_done;
	j->loop_thread = pthread_self();
	j->sleep_us = sleep_us;
	j->n_done = n_done;
}

static void run_until(struct loop *l, const int *n, int want, int max_ms)
{
	for (int i = 0; i < max_ms / 10 && *n < want; i++)
		loop_run_once(l, 10);
	assert_int_equal(*n, want);
}

static void test_jobs_come_back(void **state)
{
	struct loop *l = loop_new();
	struct workpool *p = l ? workpool_new(l, 2) : NULL;
	struct tjob j[50];
	int n_done = 0;

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 50; i++) {
		tjob_init(&j[i], &n_done, i % 5 ? 0 : 1000);
		assert_int_equal(workpool_submit(p, &j[i].wj), 0);
	}
	assert_int_equal(workpool_pending(p), 50);
	run_until(l, &n_done, 50, 10000);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(j[i].ran, 1);
		assert_int_equal(j[i].done, 1);
		assert_int_equal(j[i].status, 0);
		assert_false(pthread_equal(j[i].ran_on, j[i].loop_thread));
	}
	assert_int_equal(workpool_pending(p), 0);
	workpool_free(p);
	loop_free(l);
}

static void tick(struct loop *l, struct loop_timer *t)
{
	int *n = t->ctx;

	(*n)++;
	loop_timer_set(l, t, loop_now(l) + 5);
}

/* A 300 ms job does not hold the loop: a 5 ms timer keeps firing meanwhile. */
static void test_loop_not_blocked(void **state)
{
	struct loop *l = loop_new();
	struct workpool *p = workpool_new(l, 1);
	struct loop_timer t;
	struct tjob j;
	int n_done = 0, ticks = 0;

	(void)state;
	assert_non_null(p);
	loop_timer_init(&t, tick, &ticks);
	loop_timer_set(l, &t, loop_now(l) + 5);
	tjob_init(&j, &n_done, 300000);
	assert_int_equal(workpool_submit(p, &j.wj), 0);
	run_until(l, &n_done, 1, 10000);
	/* 300 ms / 5 ms = 60 ticks; a loaded machine may lose many, a blocked loop all but 1 */
	assert_true(ticks >= 10);
	loop_timer_cancel(l, &t);
	workpool_free(p);
	loop_free(l);
}

/* Free with jobs queued behind a slow one: the slow one finishes (done 0), the rest are
 * cancelled without running. */
static void test_free_cancels(void **state)
{
	struct loop *l = loop_new();
	struct workpool *p = workpool_new(l, 1);
	struct tjob j[5];
	int n_done = 0;

	(void)state;
	for (int i = 0; i < 5; i++) {
		tjob_init(&j[i], &n_done, i == 0 ? 200000 : 0);
		assert_int_equal(workpool_submit(p, &j[i].wj), 0);
	}
	usleep(50000); /* the worker has picked up the slow job */
	workpool_free(p);
	assert_int_equal(n_done, 5);
	assert_int_equal(j[0].ran, 1);
	assert_int_equal(j[0].status, 0);
	for (int i = 1; i < 5; i++) {
		assert_int_equal(j[i].done, 1);
		assert_int_equal(j[i].ran, 0);
		assert_int_equal(j[i].status, -ECANCELED);
	}
	workpool_free(NULL);
	loop_free(l);
}

/*
 * Fair order on one worker: while a slow job of key A runs, 8 more of key A and then one of
 * key B are queued: B runs right after the running one (its rank is 0, A's are 1..8), and A's
 * keep their order; a job ranked suspect by its caller runs after every plain one.
 */
static void test_fair_order(void **state)
{
	struct loop *l = loop_new();
	struct workpool *p = l ? workpool_new(l, 1) : NULL;
	struct tjob j[11];
	int n_done = 0;

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 11; i++) {
		tjob_init(&j[i], &n_done, i ? 0 : 100000);
		j[i].wj.key = i < 9 ? 0xa : 0xb + (uint64_t)i;
	}
	j[10].wj.rank = 3 * WORKPOOL_RANK_SUSPECT; /* suspect, of its own key */
	assert_int_equal(workpool_submit(p, &j[0].wj), 0);
	for (int i = 0; i < 200 && !__atomic_load_n(&j[0].order, __ATOMIC_RELAXED); i++)
		usleep(1000); /* j[0] is running */
	assert_int_equal(workpool_submit(p, &j[10].wj), 0);
	for (int i = 1; i < 10; i++)
		assert_int_equal(workpool_submit(p, &j[i].wj), 0);
	run_until(l, &n_done, 11, 10000);
	assert_int_equal(j[9].order, j[0].order + 1);
	for (int i = 2; i < 9; i++)
		assert_true(j[i].order > j[i - 1].order);
	assert_true(j[10].order > j[8].order);
	workpool_free(p);
	loop_free(l);
}

/* Wait (bounded) until job j has started on a worker. */
static void wait_started(const struct tjob *j)
{
	for (int i = 0; i < 2000 && !__atomic_load_n(&j->order, __ATOMIC_RELAXED); i++)
		usleep(1000);
	assert_true(__atomic_load_n(&j->order, __ATOMIC_RELAXED) > 0);
}

/*
 * One key's jobs keep their order when the queue shrinks between submits: A0 runs, A1 A2 A3
 * are queued (A3 ranks 3); once A2 runs (A0, A1 done), A4 is queued: it ranks behind A3, not
 * by how many of its key are left (2), which would put it ahead of A3.
 */
static void test_fair_order_same_key(void **state)
{
	struct loop *l = loop_new();
	struct workpool *p = l ? workpool_new(l, 1) : NULL;
	struct tjob j[5];
	int n_done = 0;

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 5; i++) {
		tjob_init(&j[i], &n_done, i < 3 ? 100000 : 0);
		j[i].wj.key = 0xa;
	}
	assert_int_equal(workpool_submit(p, &j[0].wj), 0);
	wait_started(&j[0]);
	for (int i = 1; i < 4; i++)
		assert_int_equal(workpool_submit(p, &j[i].wj), 0);
	wait_started(&j[2]);
	assert_int_equal(workpool_submit(p, &j[4].wj), 0);
	run_until(l, &n_done, 5, 10000);
	for (int i = 1; i < 5; i++)
		assert_true(j[i].order > j[i - 1].order);
	workpool_free(p);
	loop_free(l);
}

static void test_bad_args(void **state)
{
	struct loop *l = loop_new();

	(void)state;
	errno = 0;
	assert_null(workpool_new(l, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(workpool_new(l, WORKPOOL_MAX_THREADS + 1));
	assert_int_equal(workpool_pending(NULL), 0);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jobs_come_back),	cmocka_unit_test(test_loop_not_blocked),
	    cmocka_unit_test(test_free_cancels),	cmocka_unit_test(test_fair_order),
	    cmocka_unit_test(test_fair_order_same_key), cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
