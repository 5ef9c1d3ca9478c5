// SPDX-License-Identifier: MIT
/*
 * loop unit tests, through the public API only. The loop reads the monotonic clock itself,
 * so timer times are relative to loop_now() and kept short: most heap cases use times already
 * due (they all fire in the first pass, in heap order, without sleeping); a few real waits of
 * tens of milliseconds check that nothing fires early. Total runtime stays well under 2 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static int setup_loop(void **state)
{
	struct loop *l = loop_new();

	if (!l)
		return -1;
	*state = l;
	return 0;
}

static int teardown_loop(void **state)
{
	loop_free(*state);
	return 0;
}

/* A guard: stops a test that would otherwise hang, and fails it. */
static void guard_fired(struct loop *l, struct loop_timer *t)
{
	(void)t;
	loop_stop(l);
	fail_msg("guard timer fired: the loop did not stop by itself");
}

/* ---- timers ---- */

struct tstate {
	struct loop_timer t;
	int64_t want;	   /* the time it is armed for; INT64_MIN: must not fire */
	int fired;
	uint32_t order;	   /* position in the firing sequence */
	int64_t fired_now; /* loop_now() in the callback */
};

struct tlog {
	struct tstate *ts;
	uint32_t n, fired, expect;
	int64_t last_when;
	bool stop_when_done;
};

static struct tlog *cur_log;

static void timer_cb(struct loop *l, struct loop_timer *t)
{
	struct tstate *s = t->ctx;
	struct tlog *g = cur_log;

	assert_false(loop_timer_armed(t)); /* disarmed before the callback */
	assert_true(s->want != INT64_MIN);
	assert_int_equal(t->when, s->want);
	/* time order: never earlier than the one before, never before it is due */
	assert_true(t->when >= g->last_when);
	assert_true(loop_now(l) >= t->when);
	g->last_when = t->when;
	s->fired++;
	s->order = g->fired++;
	s->fired_now = loop_now(l);
	if (g->stop_when_done && g->fired == g->expect)
		loop_stop(l);
}

/*
 * Many timers, all already due, armed in random order; random re-arms (earlier and later) and
 * cancels from anywhere in the heap. They fire in one pass, sorted by time.
 */
static void test_timers_heap_order(void **state)
{
	struct loop *l = *state;
	enum { N = 5000 };
	struct tstate *ts = calloc(N, sizeof(*ts));
	struct tlog g = { .ts = ts, .n = N, .last_when = INT64_MIN, .stop_when_done = true };
	struct loop_timer guard;
	int64_t base = loop_now(l) - 1000000;
	uint32_t expect = 0;

	assert_non_null(ts);
	cur_log = &g;
	rng_state = 12345;
	for (uint32_t i = 0; i < N; i++) {
		loop_timer_init(&ts[i].t, timer_cb, &ts[i]);
		assert_false(loop_timer_armed(&ts[i].t));
		/* few distinct values: many ties */
		ts[i].want = base + (int64_t)(rng() % 2000);
		assert_int_equal(loop_timer_set(l, &ts[i].t, ts[i].want), 0);
		assert_true(loop_timer_armed(&ts[i].t));
	}
	for (uint32_t k = 0; k < 3 * N; k++) {
		struct tstate *s = &ts[rng() % N];
		uint32_t op = rng() % 8;

		if (op == 0) {
			loop_timer_cancel(l, &s->t);
			assert_false(loop_timer_armed(&s->t));
			loop_timer_cancel(l, &s->t); /* twice: a no-op */
			s->want = INT64_MIN;
		} else if (op == 1 && s->want != INT64_MIN) {
			s->want -= rng() % 500; /* earlier */
			assert_int_equal(loop_timer_set(l, &s->t, s->want), 0);
		} else if (op == 2 && s->want != INT64_MIN) {
			s->want += rng() % 500; /* later */
			assert_int_equal(loop_timer_set(l, &s->t, s->want), 0);
		} else if (op == 3) {
			/* re-arm in place, or arm a cancelled one again */
			if (s->want == INT64_MIN)
				s->want = base + (int64_t)(rng() % 2000);
			assert_int_equal(loop_timer_set(l, &s->t, s->want), 0);
		}
	}
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(loop_timer_armed(&ts[i].t), ts[i].want != INT64_MIN);
		if (ts[i].want != INT64_MIN)
			expect++;
	}
	assert_true(expect > N / 2 && expect < N);
	g.expect = expect;
	loop_timer_init(&guard, guard_fired, NULL);
	assert_int_equal(loop_timer_set(l, &guard, loop_now(l) + 5000), 0);

	assert_int_equal(loop_run(l), 0);
	assert_int_equal(g.fired, expect);
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(ts[i].fired, ts[i].want != INT64_MIN ? 1 : 0);
		assert_false(loop_timer_armed(&ts[i].t));
	}
	/* the guard never fired; cancel it so it cannot outlive the test */
	assert_true(loop_timer_armed(&guard));
	loop_timer_cancel(l, &guard);
	free(ts);
}

/* Cancel the last slot, the root, and a slot whose replacement must move up. */
static void test_timers_cancel_positions(void **state)
{
	struct loop *l = *state;
	enum { N = 64 };
	struct tstate ts[N];
	struct tlog g = { .ts = ts, .n = N, .last_when = INT64_MIN, .stop_when_done = true };
	int64_t base = loop_now(l) - 10000;
	struct loop_timer guard;
	uint32_t expect = 0;

	memset(ts, 0, sizeof(ts));
	cur_log = &g;
	/*
	 * Two interleaved runs: even timers early, odd ones late. Cancelling an early one deep
	 * in the left subtree pulls the last (late) timer into its slot (moves down); the
	 * reverse case (last is early, the hole is in a late subtree) moves up.
	 */
	for (uint32_t i = 0; i < N; i++) {
		loop_timer_init(&ts[i].t, timer_cb, &ts[i]);
		ts[i].want = base + (i % 2 ? 5000 + i : i);
		assert_int_equal(loop_timer_set(l, &ts[i].t, ts[i].want), 0);
	}
	/* cancel: the one armed last, the earliest (the root), and a spread of others */
	{
		static const uint32_t victims[] = { 63, 0, 1, 2, 17, 40, 41, 5, 62, 33 };

		for (size_t v = 0; v < sizeof(victims) / sizeof(victims[0]); v++) {
			loop_timer_cancel(l, &ts[victims[v]].t);
			ts[victims[v]].want = INT64_MIN;
		}
	}
	/* an early timer armed last: lands at the bottom, must bubble up */
	loop_timer_cancel(l, &ts[3].t);
	ts[3].want = base - 1;
	assert_int_equal(loop_timer_set(l, &ts[3].t, ts[3].want), 0);
	for (uint32_t i = 0; i < N; i++)
		expect += ts[i].want != INT64_MIN;
	g.expect = expect;
	loop_timer_init(&guard, guard_fired, NULL);
	assert_int_equal(loop_timer_set(l, &guard, loop_now(l) + 5000), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(g.fired, expect);
	assert_int_equal(ts[3].order, 0);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(ts[i].fired, ts[i].want != INT64_MIN);
	loop_timer_cancel(l, &guard);
}

static void count_pass(struct loop *l, void *ctx)
{
	(void)l;
	(*(int *)ctx)++;
}

/* Real waits: timers a few ms apart fire in order and not before their time. */
static void test_timers_real_time(void **state)
{
	struct loop *l = *state;
	enum { N = 40 };
	struct tstate ts[N];
	struct tlog g = { .ts = ts, .n = N, .last_when = INT64_MIN, .stop_when_done = true };
	struct loop_timer guard;
	int64_t now = loop_now(l), start_us = loop_now_us();
	int passes = 0;

	memset(ts, 0, sizeof(ts));
	loop_set_before_wait(l, count_pass, &passes);
	cur_log = &g;
	rng_state = 777;
	for (uint32_t i = 0; i < N; i++) {
		loop_timer_init(&ts[i].t, timer_cb, &ts[i]);
		ts[i].want = now + 5 + (int64_t)(rng() % 120);
		assert_int_equal(loop_timer_set(l, &ts[i].t, ts[i].want), 0);
	}
	/* move some later and some earlier, cancel a few */
	for (uint32_t i = 0; i < N; i += 4) {
		ts[i].want = now + 150 + (int64_t)(rng() % 20);
		assert_int_equal(loop_timer_set(l, &ts[i].t, ts[i].want), 0);
	}
	for (uint32_t i = 1; i < N; i += 6) {
		ts[i].want = now + 2;
		assert_int_equal(loop_timer_set(l, &ts[i].t, ts[i].want), 0);
	}
	for (uint32_t i = 2; i < N; i += 9) {
		loop_timer_cancel(l, &ts[i].t);
		ts[i].want = INT64_MIN;
	}
	for (uint32_t i = 0; i < N; i++)
		g.expect += ts[i].want != INT64_MIN;
	loop_timer_init(&guard, guard_fired, NULL);
	assert_int_equal(loop_timer_set(l, &guard, now + 5000), 0);

	assert_int_equal(loop_run(l), 0);
	assert_int_equal(g.fired, g.expect);
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(ts[i].fired, ts[i].want != INT64_MIN);
		if (ts[i].fired)
			assert_true(ts[i].fired_now >= ts[i].want);
	}
	/* it really waited for the latest one (>= 150 ms after the start) */
	assert_true(loop_now_us() - start_us >= 140 * 1000);
	assert_true(loop_now(l) >= now + 150);
	/* it slept until the next timer instead of spinning: a pass per distinct due time */
	assert_true(passes <= 2 * N);
	loop_timer_cancel(l, &guard);
	loop_set_before_wait(l, NULL, NULL);
}

/* Callbacks that re-arm themselves, arm others, and cancel others. */
struct chain {
	struct loop_timer periodic, victim, child;
	int periodic_runs, victim_runs, child_runs;
	int64_t period_start;
	int seq[16], nseq;
	int pass, pass_armed, child_pass; /* loop passes (before-wait hook) */
	int self_runs, self_pass[8];
	struct loop_timer self;
};

static void chain_pass(struct loop *l, void *ctx)
{
	(void)l;
	((struct chain *)ctx)->pass++;
}

/* Re-arms itself for now, 5 times: one run per loop pass, never two in one. */
static void chain_self(struct loop *l, struct loop_timer *t)
{
	struct chain *c = t->ctx;

	c->self_pass[c->self_runs++] = c->pass;
	if (c->self_runs < 5)
		assert_int_equal(loop_timer_set(l, t, loop_now(l)), 0);
}

static void chain_child(struct loop *l, struct loop_timer *t)
{
	struct chain *c = t->ctx;

	(void)l;
	c->child_runs++;
	c->child_pass = c->pass;
	c->seq[c->nseq++] = 2;
}

static void chain_victim(struct loop *l, struct loop_timer *t)
{
	struct chain *c = t->ctx;

	(void)l;
	c->victim_runs++;
}

static void chain_periodic(struct loop *l, struct loop_timer *t)
{
	struct chain *c = t->ctx;

	c->periodic_runs++;
	c->seq[c->nseq++] = 1;
	if (c->periodic_runs == 1) {
		/* a due child armed from a callback waits for the next pass */
		assert_int_equal(loop_timer_set(l, &c->child, loop_now(l) - 1), 0);
		c->pass_armed = c->pass;
		/* the victim was due too, but is cancelled before its turn */
		loop_timer_cancel(l, &c->victim);
	}
	if (c->periodic_runs < 3)
		assert_int_equal(loop_timer_set(l, t, loop_now(l) + 10), 0);
	else
		loop_stop(l);
}

static void test_timers_from_callbacks(void **state)
{
	struct loop *l = *state;
	struct chain c;
	struct loop_timer guard;
	int64_t start;

	memset(&c, 0, sizeof(c));
	loop_timer_init(&c.periodic, chain_periodic, &c);
	loop_timer_init(&c.victim, chain_victim, &c);
	loop_timer_init(&c.child, chain_child, &c);
	loop_timer_init(&c.self, chain_self, &c);
	loop_set_before_wait(l, chain_pass, &c);
	start = loop_now(l);
	assert_int_equal(loop_timer_set(l, &c.periodic, start - 2), 0);
	assert_int_equal(loop_timer_set(l, &c.victim, start - 1), 0);
	assert_int_equal(loop_timer_set(l, &c.self, start - 3), 0);
	loop_timer_init(&guard, guard_fired, NULL);
	assert_int_equal(loop_timer_set(l, &guard, start + 5000), 0);
	assert_int_equal(loop_run(l), 0);
	loop_set_before_wait(l, NULL, NULL);
	/* armed for now from a callback: the next pass, not this one */
	assert_true(c.child_pass > c.pass_armed);
	assert_int_equal(c.self_runs, 5);
	for (int i = 1; i < 5; i++)
		assert_true(c.self_pass[i] > c.self_pass[i - 1]);
	assert_int_equal(c.periodic_runs, 3);
	assert_int_equal(c.victim_runs, 0);
	assert_int_equal(c.child_runs, 1);
	assert_int_equal(c.nseq, 4);
	assert_int_equal(c.seq[0], 1);
	assert_int_equal(c.seq[1], 2);
	assert_int_equal(c.seq[2], 1);
	assert_int_equal(c.seq[3], 1);
	assert_true(loop_now(l) >= start + 20);
	assert_false(loop_timer_armed(&c.periodic));
	loop_timer_cancel(l, &guard);
}

/* ---- deferred work ---- */

struct dstate {
	int order[300];
	int pass_of[300];
	int n;
	int pass; /* bumped by the before-wait hook: one per iteration */
	int chain_left;
};

static struct dstate *dcur;

static void before_wait(struct loop *l, void *ctx)
{
	struct dstate *d = ctx;

	(void)l;
	d->pass++;
}

static void note(int tag)
{
	assert_true(dcur->n < 300);
	dcur->order[dcur->n] = tag;
	dcur->pass_of[dcur->n] = dcur->pass;
	dcur->n++;
}

static void d_tag(struct loop *l, void *ctx)
{
	(void)l;
	note((int)(intptr_t)ctx);
}

static void d_stop(struct loop *l, void *ctx)
{
	note((int)(intptr_t)ctx);
	loop_stop(l);
}

/* Defers more work: it runs in the same pass, after what was already queued. */
static void d_spawn(struct loop *l, void *ctx)
{
	note((int)(intptr_t)ctx);
	assert_int_equal(loop_defer(l, d_tag, (void *)(intptr_t)10), 0);
	assert_int_equal(loop_defer(l, d_tag, (void *)(intptr_t)11), 0);
}

/* A chain longer than the initial array: each link defers the next (forces growth). */
static void d_chain(struct loop *l, void *ctx)
{
	note((int)(intptr_t)ctx);
	if (--dcur->chain_left > 0)
		assert_int_equal(loop_defer(l, d_chain, (void *)((intptr_t)ctx + 1)), 0);
	else
		assert_int_equal(loop_defer(l, d_stop, (void *)(intptr_t)999), 0);
}

static void test_defer_fifo_same_pass(void **state)
{
	struct loop *l = *state;
	struct dstate d;
	struct loop_timer guard;

	memset(&d, 0, sizeof(d));
	dcur = &d;
	loop_set_before_wait(l, before_wait, &d);
	assert_int_equal(loop_defer(l, d_tag, (void *)(intptr_t)1), 0);
	assert_int_equal(loop_defer(l, d_spawn, (void *)(intptr_t)2), 0);
	assert_int_equal(loop_defer(l, d_tag, (void *)(intptr_t)3), 0);
	assert_int_equal(loop_defer(l, d_stop, (void *)(intptr_t)4), 0);
	loop_timer_init(&guard, guard_fired, NULL);
	assert_int_equal(loop_timer_set(l, &guard, loop_now(l) + 5000), 0);
	assert_int_equal(loop_run(l), 0);
	/* stopped from a deferred callback: the rest of the list still ran, in order */
	assert_int_equal(d.n, 6);
	{
		static const int want[] = { 1, 2, 3, 4, 10, 11 };

		for (int i = 0; i < 6; i++) {
			assert_int_equal(d.order[i], want[i]);
			assert_int_equal(d.pass_of[i], 1);
		}
	}

	/* a chain of 150 deferrals, growing the list while it runs, all in one pass */
	memset(&d, 0, sizeof(d));
	d.chain_left = 150;
	assert_int_equal(loop_defer(l, d_chain, (void *)(intptr_t)100), 0);
	for (int i = 0; i < 70; i++)
		assert_int_equal(loop_defer(l, d_tag, (void *)(intptr_t)(i + 1)), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(d.n, 1 + 70 + 149 + 1);
	assert_int_equal(d.order[0], 100);
	for (int i = 0; i < 70; i++)
		assert_int_equal(d.order[1 + i], i + 1);
	for (int i = 1; i < 150; i++)
		assert_int_equal(d.order[70 + i], 100 + i);
	assert_int_equal(d.order[220], 999);
	for (int i = 0; i < d.n; i++)
		assert_int_equal(d.pass_of[i], 1);
	loop_timer_cancel(l, &guard);
	loop_set_before_wait(l, NULL, NULL);
}

/* ---- io ---- */

struct iostate {
	struct loop_io io;
	int fd;
	int calls;
	uint32_t events;
	struct iostate *other; /* deleted by the first callback to run */
};

static void io_read_stop(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct iostate *s = io->ctx;
	char buf[16];

	assert_ptr_equal(&s->io, io);
	assert_int_equal(io->fd, s->fd);
	s->calls++;
	s->events = events;
	if (events & EPOLLIN)
		assert_true(read(io->fd, buf, sizeof(buf)) > 0);
	loop_stop(l);
}

static void stop_timer(struct loop *l, struct loop_timer *t)
{
	int *fired = t->ctx;

	(*fired)++;
	loop_stop(l);
}

static void test_io_event_delivered(void **state)
{
	struct loop *l = *state;
	struct iostate r = { 0 }, w = { 0 };
	struct loop_timer guard;
	int p[2];

	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	loop_timer_init(&guard, guard_fired, NULL);
	assert_int_equal(loop_timer_set(l, &guard, loop_now(l) + 5000), 0);

	r.fd = p[0];
	assert_int_equal(loop_io_add(l, &r.io, p[0], EPOLLIN, io_read_stop, &r), 0);
	assert_int_equal(r.io.fd, p[0]);
	assert_int_equal(r.io.events, EPOLLIN);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(r.calls, 1);
	assert_true(r.events & EPOLLIN);

	/* the write end, first with no events, then asked for EPOLLOUT */
	w.fd = p[1];
	assert_int_equal(loop_io_add(l, &w.io, p[1], 0, io_read_stop, &w), 0);
	assert_int_equal(loop_io_mod(l, &w.io, EPOLLOUT), 0);
	assert_int_equal(w.io.events, EPOLLOUT);
	assert_int_equal(loop_io_mod(l, &w.io, EPOLLOUT), 0); /* unchanged: no-op */
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(w.calls, 1);
	assert_true(w.events & EPOLLOUT);
	assert_int_equal(r.calls, 1); /* nothing to read */

	/* after del: no more events, fd -1, and del twice is harmless */
	loop_io_del(l, &w.io);
	assert_int_equal(w.io.fd, -1);
	loop_io_del(l, &w.io);
	assert_int_equal(loop_io_mod(l, &w.io, EPOLLIN), 0); /* dead: ignored */
	loop_io_del(l, &r.io);
	assert_int_equal(write(p[1], "y", 1), 1);
	loop_timer_cancel(l, &guard);
	{
		struct loop_timer stop;
		int stopped = 0;

		loop_timer_init(&stop, stop_timer, &stopped);
		assert_int_equal(loop_timer_set(l, &stop, loop_now(l) + 20), 0);
		assert_int_equal(loop_run(l), 0);
		assert_int_equal(stopped, 1);
	}
	assert_int_equal(r.calls, 1);
	assert_int_equal(w.calls, 1);
	close(p[0]);
	close(p[1]);
}

/* A deleted registration gets no events, even with data pending. */
static void test_io_del_no_events(void **state)
{
	struct loop *l = *state;
	struct iostate r = { 0 };
	struct loop_timer stop;
	int stopped = 0, efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t one = 1;

	assert_true(efd >= 0);
	r.fd = efd;
	assert_int_equal(loop_io_add(l, &r.io, efd, EPOLLIN, io_read_stop, &r), 0);
	loop_io_del(l, &r.io);
	assert_int_equal(write(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	loop_timer_init(&stop, stop_timer, &stopped);
	assert_int_equal(loop_timer_set(l, &stop, loop_now(l) + 20), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(stopped, 1);
	assert_int_equal(r.calls, 0);

	/* registered again, the pending value is delivered */
	assert_int_equal(loop_io_add(l, &r.io, efd, EPOLLIN, io_read_stop, &r), 0);
	assert_int_equal(loop_timer_set(l, &stop, loop_now(l) + 5000), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(stopped, 1);
	loop_timer_cancel(l, &stop);
	loop_io_del(l, &r.io);
	close(efd);
}

static void io_failures_cb(struct loop *l, struct loop_io *io, uint32_t events)
{
	(void)l;
	(void)io;
	(void)events;
	fail_msg("no event expected");
}

static void test_io_add_errors(void **state)
{
	struct loop *l = *state;
	struct loop_io a, b;
	int efd = eventfd(0, EFD_CLOEXEC);

	assert_true(efd >= 0);
	assert_int_equal(loop_io_add(l, &a, -1, EPOLLIN, io_failures_cb, NULL), -EBADF);
	assert_int_equal(a.fd, -1);
	assert_int_equal(loop_io_add(l, &a, efd, EPOLLIN, io_failures_cb, NULL), 0);
	assert_int_equal(loop_io_add(l, &b, efd, EPOLLIN, io_failures_cb, NULL), -EEXIST);
	assert_int_equal(b.fd, -1);
	/* a regular file cannot be polled */
	{
		char path[] = "/tmp/test_loop.XXXXXX";
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		unlink(path);
		assert_int_equal(loop_io_add(l, &b, fd, EPOLLIN, io_failures_cb, NULL), -EPERM);
		assert_int_equal(b.fd, -1);
		close(fd);
	}
	loop_io_del(l, &a);
	close(efd);
}

/*
 * Stale events: two fds readable in the same epoll batch. Whichever callback runs first
 * deletes the other registration; the other's event, already returned by epoll_wait, must be
 * dropped.
 */
static void io_kill_other(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct iostate *s = io->ctx;
	uint64_t v;

	(void)events;
	s->calls++;
	assert_int_equal(read(io->fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	if (s->other->io.fd >= 0)
		loop_io_del(l, &s->other->io);
	loop_stop(l);
}

static void test_io_del_drops_event_in_batch(void **state)
{
	struct loop *l = *state;
	struct iostate a = { 0 }, b = { 0 };
	struct loop_timer guard;
	uint64_t one = 1;

	for (int round = 0; round < 20; round++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		a.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		b.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		assert_true(a.fd >= 0 && b.fd >= 0);
		a.other = &b;
		b.other = &a;
		/* alternate which one is registered, and made ready, first */
		{
			struct iostate *x = round % 2 ? &b : &a, *y = round % 2 ? &a : &b;

			assert_int_equal(loop_io_add(l, &x->io, x->fd, EPOLLIN, io_kill_other, x),
					 0);
			assert_int_equal(loop_io_add(l, &y->io, y->fd, EPOLLIN, io_kill_other, y),
					 0);
		}
		/* both ready before the loop waits: one batch */
		assert_int_equal(write(round % 2 ? b.fd : a.fd, &one, 8), 8);
		assert_int_equal(write(round % 2 ? a.fd : b.fd, &one, 8), 8);
		loop_timer_init(&guard, guard_fired, NULL);
		assert_int_equal(loop_timer_set(l, &guard, loop_now(l) + 5000), 0);
		assert_int_equal(loop_run(l), 0);
		assert_int_equal(a.calls + b.calls, 1);
		/* exactly one is still registered: the one that ran */
		assert_true((a.calls && a.io.fd == a.fd && b.io.fd == -1) ||
			    (b.calls && b.io.fd == b.fd && a.io.fd == -1));
		loop_timer_cancel(l, &guard);
		loop_io_del(l, &a.io);
		loop_io_del(l, &b.io);
		close(a.fd);
		close(b.fd);
	}
}

/* Freeing an owner from a deferred callback: the pattern the loop is built for. */
struct owner {
	struct loop_io io;
	int fd;
	int *calls;
	struct owner **peer;
};

static void owner_free(struct loop *l, void *ctx)
{
	struct owner *o = ctx;

	(void)l;
	close(o->fd);
	free(o);
}

static void d_loop_stop(struct loop *l, void *ctx)
{
	(void)ctx;
	loop_stop(l);
}

static void owner_ready(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct owner *o = io->ctx;
	struct owner *p = *o->peer;

	(void)events;
	(*o->calls)++;
	/* close both: the peer may already have an event in this batch */
	loop_io_del(l, &o->io);
	assert_int_equal(loop_defer(l, owner_free, o), 0);
	if (p) {
		loop_io_del(l, &p->io);
		assert_int_equal(loop_defer(l, owner_free, p), 0);
		*o->peer = NULL;
		*p->peer = NULL;
	}
	assert_int_equal(loop_defer(l, d_loop_stop, NULL), 0);
}

static void test_io_deferred_free(void **state)
{
	struct loop *l = *state;
	struct owner *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct owner *pa, *pb;
	struct loop_timer guard;
	int calls = 0;

	assert_non_null(a);
	assert_non_null(b);
	a->fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	b->fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(a->fd >= 0 && b->fd >= 0);
	pa = b;
	pb = a;
	a->peer = &pa;
	b->peer = &pb;
	a->calls = &calls;
	b->calls = &calls;
	assert_int_equal(loop_io_add(l, &a->io, a->fd, EPOLLIN, owner_ready, a), 0);
	assert_int_equal(loop_io_add(l, &b->io, b->fd, EPOLLIN, owner_ready, b), 0);
	loop_timer_init(&guard, guard_fired, NULL);
	assert_int_equal(loop_timer_set(l, &guard, loop_now(l) + 5000), 0);
	/* ASan reports a use after free if the stale event reaches the freed owner */
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(calls, 1);
	loop_timer_cancel(l, &guard);
}

/* ---- stop ---- */

static void stop_from_timer(struct loop *l, struct loop_timer *t)
{
	int *n = t->ctx;

	(*n)++;
	loop_stop(l);
}

static void test_stop_and_run_again(void **state)
{
	struct loop *l = *state;
	struct loop_timer t;
	int n = 0;

	loop_timer_init(&t, stop_from_timer, &n);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(loop_timer_set(l, &t, loop_now(l) + 1), 0);
		assert_int_equal(loop_run(l), 0);
		assert_int_equal(n, i + 1);
		assert_false(loop_timer_armed(&t));
	}
}

/* ---- signals ---- */

static int got_sig;

static void on_signal(struct loop *l, int sig)
{
	got_sig = sig;
	loop_stop(l);
}

static void test_signals(void **state)
{
	struct loop *l = *state;
	static const int sigs[] = { SIGUSR1 };
	struct loop_timer guard;

	assert_int_equal(loop_signals(l, sigs, 1, on_signal), 0);
	/* blocked now, so it stays pending until the signalfd is read */
	assert_int_equal(raise(SIGUSR1), 0);
	loop_timer_init(&guard, guard_fired, NULL);
	assert_int_equal(loop_timer_set(l, &guard, loop_now(l) + 5000), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(got_sig, SIGUSR1);
	loop_timer_cancel(l, &guard);
}

/* ---- the clock ---- */

static void test_clock(void **state)
{
	struct loop *l = *state;
	int64_t us = loop_now_us();

	/* loop_now() is read once per iteration: it does not move by itself */
	assert_true(loop_now(l) <= us / 1000);
	assert_true(loop_now(l) > 0);
	assert_true(loop_now_us() >= us);
	assert_true(loop_wall() > 1600000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timers_heap_order, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_timers_cancel_positions, setup_loop,
						teardown_loop),
		cmocka_unit_test_setup_teardown(test_timers_real_time, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_timers_from_callbacks, setup_loop,
						teardown_loop),
		cmocka_unit_test_setup_teardown(test_defer_fifo_same_pass, setup_loop,
						teardown_loop),
		cmocka_unit_test_setup_teardown(test_io_event_delivered, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_io_del_no_events, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_io_add_errors, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_io_del_drops_event_in_batch, setup_loop,
						teardown_loop),
		cmocka_unit_test_setup_teardown(test_io_deferred_free, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_stop_and_run_again, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_signals, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_clock, setup_loop, teardown_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
