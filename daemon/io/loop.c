/* SPDX-License-Identifier: MIT */
/* loop: epoll + timer heap + signalfd + deferred work. See include/loop.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "vec.h"

#define LOOP_MAX_EVENTS 256

struct loop_deferred {
	loop_fn fn;
	void *ctx;
};

struct loop {
	int epfd;
	bool stop;
	int64_t now;
	struct loop_timer **heap;
	uint32_t heap_len, heap_cap;
	struct loop_deferred *defer;
	uint32_t defer_len, defer_cap;
	loop_fn before_wait;
	void *before_wait_ctx;
	uint32_t pass;	   /* timers_run() passes; a timer armed during one waits for the next */
	bool in_timers;	   /* timers_run() is running callbacks */
	struct loop_io sig_io;
	void (*sig_fn)(struct loop *, int);
};

static void defer_run(struct loop *l);

int64_t loop_now_us(void)
{
	return clock_mono_us();
}

int64_t loop_wall(void)
{
	return (int64_t)time(NULL);
}

int64_t loop_now(const struct loop *l)
{
	return l->now;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;

		free(l);
		errno = e;
		return NULL;
	}
	l->sig_io.fd = -1;
	l->now = clock_mono_ms();
	return l;
}

void loop_run_deferred(struct loop *l)
{
	defer_run(l);
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	/* Deferred frees queued after the last iteration (shutdown) still have to run. */
	defer_run(l);
	if (l->sig_io.fd >= 0) {
		int fd = l->sig_io.fd;

		loop_io_del(l, &l->sig_io);
		close(fd);
	}
	close(l->epfd);
	free(l->heap);
	free(l->defer);
	free(l);
}

int loop_io_add(struct loop *l, struct loop_io *io, int fd, uint32_t events, loop_io_fn fn,
		void *ctx)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->fd = fd;
	io->events = events;
	io->fn = fn;
	io->ctx = ctx;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		io->fd = -1;
		return -errno;
	}
	return 0;
}

int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (io->fd < 0 || io->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	return 0;
}

void loop_io_del(struct loop *l, struct loop_io *io)
{
	if (io->fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
}

/* ---- timers: a binary min-heap of pointers; t->idx is slot + 1 ---- */

static void heap_place(struct loop *l, uint32_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i + 1;
}

/* Heap order: due time, then the pass that armed it (a timer armed during timers_run() goes
 * after every one that was due before it; wrap-around safe). */
static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->when < b->when || (a->when == b->when && (int32_t)(a->pass - b->pass) < 0);
}

static void heap_up(struct loop *l, uint32_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!timer_before(t, l->heap[p]))
			break;
		heap_place(l, i, l->heap[p]);
		i = p;
	}
	heap_place(l, i, t);
}

static void heap_down(struct loop *l, uint32_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= l->heap_len)
			break;
		if (c + 1 < l->heap_len && timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		heap_place(l, i, l->heap[c]);
		i = c;
	}
	heap_place(l, i, t);
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *ctx)
{
	t->when = 0;
	t->idx = 0;
	t->fn = fn;
	t->ctx = ctx;
}

int loop_timer_set(struct loop *l, struct loop_timer *t, int64_t when)
{
	/* Armed by a timer callback for now or earlier: it runs in the next pass, after the loop
	 * has taken its events (timers_run() stops at the first timer of its own pass, and
	 * clamping keeps every timer that was due before it ahead of it). */
	if (l->in_timers && when < l->now)
		when = l->now;
	if (t->idx) {
		t->when = when;
		t->pass = l->pass;
		heap_up(l, t->idx - 1);
		heap_down(l, t->idx - 1);
		return 0;
	}
	if (l->heap_len == l->heap_cap) {
		uint32_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
		struct loop_timer **h = realloc(l->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->heap_cap = cap;
	}
	t->when = when;
	t->pass = l->pass;
	l->heap[l->heap_len] = t;
	heap_up(l, l->heap_len++);
	return 0;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	uint32_t i;
	struct loop_timer *last;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	last = l->heap[--l->heap_len];
	if (i == l->heap_len)
		return;
	l->heap[i] = last;
	last->idx = i + 1;
	if (i > 0 && timer_before(last, l->heap[(i - 1) / 2]))
		heap_up(l, i);
	else
		heap_down(l, i);
}

/*
 * Run the timers due at this pass's time, in order. One that a callback arms for now (a sliced
 * walk's next slice, a periodic timer that fell behind) waits for the next pass: the loop takes
 * its events in between, and such a timer can never keep this pass going.
 */
static void timers_run(struct loop *l)
{
	uint32_t pass = ++l->pass;

	l->in_timers = true;
	while (l->heap_len && l->heap[0]->when <= l->now && l->heap[0]->pass != pass) {
		struct loop_timer *t = l->heap[0];

		loop_timer_cancel(l, t);
		t->fn(l, t);
	}
	l->in_timers = false;
}

/* ---- deferred work ---- */

int loop_defer(struct loop *l, loop_fn fn, void *ctx)
{
	if (VEC_GROW(l->defer, l->defer_len, l->defer_cap, 64))
		return -ENOMEM;
	l->defer[l->defer_len].fn = fn;
	l->defer[l->defer_len].ctx = ctx;
	l->defer_len++;
	return 0;
}

static void defer_run(struct loop *l)
{
	/* Callbacks may defer more work: run until the list is empty. */
	for (uint32_t i = 0; i < l->defer_len; i++)
		l->defer[i].fn(l, l->defer[i].ctx);
	l->defer_len = 0;
}

void loop_set_before_wait(struct loop *l, loop_fn fn, void *ctx)
{
	l->before_wait = fn;
	l->before_wait_ctx = ctx;
}

/* ---- signals ---- */

static void sig_ready(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		l->sig_fn(l, (int)si.ssi_signo);
}

int loop_signals(struct loop *l, const int *signals, int n, void (*fn)(struct loop *, int sig))
{
	sigset_t set;
	int fd, ret;

	sigemptyset(&set);
	for (int i = 0; i < n; i++)
		sigaddset(&set, signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	l->sig_fn = fn;
	ret = loop_io_add(l, &l->sig_io, fd, EPOLLIN, sig_ready, NULL);
	if (ret < 0)
		close(fd);
	return ret;
}

/* ---- the loop ---- */

/* One pass: flush and deferred work, wait (at most max_wait ms, -1 = until the next timer),
 * dispatch events, run due timers. 0, or -errno from epoll_wait. */
int loop_run_once(struct loop *l, int max_wait)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int timeout = max_wait, n;

	if (l->before_wait)
		l->before_wait(l, l->before_wait_ctx);
	defer_run(l);
	/* deferred work may have produced output (e.g. a resumed reader): flush it now, not
	 * after the next wakeup */
	if (l->before_wait)
		l->before_wait(l, l->before_wait_ctx);
	if (l->stop)
		return 0;
	if (l->heap_len) {
		int64_t d = l->heap[0]->when - clock_mono_ms();
		int t = d < 0 ? 0 : (d > 60000 ? 60000 : (int)d);

		if (timeout < 0 || t < timeout)
			timeout = t;
	}
	n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->now = clock_mono_ms();
	for (int i = 0; i < n; i++) {
		struct loop_io *io = evs[i].data.ptr;

		/* Dead registration (closed earlier in this batch): drop the event. */
		if (io->fd < 0)
			continue;
		io->fn(l, io, evs[i].events);
	}
	timers_run(l);
	/* Deferred work runs at the top of the next pass, after before_wait: so output flushing
	 * never meets a connection already freed in this pass. */
	return 0;
}

int loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int ret = loop_run_once(l, -1);

		if (ret < 0)
			return ret;
	}
	if (l->before_wait)
		l->before_wait(l, l->before_wait_ctx);
	defer_run(l);
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
