/* SPDX-License-Identifier: MIT */
/*
 * loop: epoll, one ordered timer structure (a binary heap), signalfd and end-of-iteration
 * work (deferred frees, output flushes). Knows fds and callbacks, not MQTT.
 *
 * Stale events: an io registration is embedded in its owner; loop_io_del() marks it dead
 * (fd = -1) and owners free themselves only from a loop_defer() callback, which runs after
 * every event of the current epoll batch has been dispatched. So an event in the same batch
 * for a closed connection sees fd == -1 and is dropped, and a reused fd number never reaches
 * the old owner.
 */
#ifndef MQTTGW_LOOP_H
#define MQTTGW_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_io;
struct loop_timer;

typedef void (*loop_io_fn)(struct loop *l, struct loop_io *io, uint32_t events);
typedef void (*loop_timer_fn)(struct loop *l, struct loop_timer *t);
typedef void (*loop_fn)(struct loop *l, void *ctx);

struct loop_io {
	int fd;		 /* -1 when not registered */
	uint32_t events; /* EPOLLIN/EPOLLOUT currently asked for */
	loop_io_fn fn;
	void *ctx;
};

struct loop_timer {
	int64_t when;	/* absolute, loop clock (ms) */
	uint32_t idx;	/* heap slot + 1; 0 = not armed */
	uint32_t pass;	/* the loop's timer pass when armed (loop.c) */
	loop_timer_fn fn;
	void *ctx;
};

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Register fd for events (EPOLLIN / EPOLLOUT). 0 or -errno. */
int loop_io_add(struct loop *l, struct loop_io *io, int fd, uint32_t events, loop_io_fn fn,
		void *ctx);
/* Change the event mask; a no-op when unchanged. */
int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events);
/* Unregister (does not close fd); io->fd becomes -1. */
void loop_io_del(struct loop *l, struct loop_io *io);

/* Monotonic clock in ms, read once per iteration (cheap). loop_now_us reads it fresh. */
int64_t loop_now(const struct loop *l);
int64_t loop_now_us(void);
/* Wall clock seconds (for $SYS and logs). */
int64_t loop_wall(void);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *ctx);
/* Arm (or re-arm) at absolute time `when` (loop clock, ms). Due timers run after the pass's
 * events, in time order; one armed for now by a timer callback runs in the next pass (so a
 * timer re-arming itself for now is a slice per loop pass, not a busy loop). */
int loop_timer_set(struct loop *l, struct loop_timer *t, int64_t when);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->idx != 0;
}

/* Run fn(ctx) at the end of this iteration (after all events). FIFO. 0 or -ENOMEM. */
int loop_defer(struct loop *l, loop_fn fn, void *ctx);
/* Run the deferred work now (shutdown: before freeing what it refers to). */
void loop_run_deferred(struct loop *l);
/* Run fn(ctx) before every epoll_wait (e.g. flush pending output). One hook. */
void loop_set_before_wait(struct loop *l, loop_fn fn, void *ctx);

/* Signals: blocks them and delivers through a signalfd. fn gets the signal number in ctx as
 * (intptr_t). 0 or -errno. */
int loop_signals(struct loop *l, const int *signals, int n, void (*fn)(struct loop *, int sig));

/* One pass of the loop, waiting at most max_wait ms (-1: until an event or the next timer).
 * For tests and fuzzing. 0 or -errno. */
int loop_run_once(struct loop *l, int max_wait);
/* Run until loop_stop(); returns 0 or -errno on a fatal epoll error. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif /* MQTTGW_LOOP_H */
