/* SPDX-License-Identifier: MIT */
/*
 * workpool: a few worker threads for CPU-heavy work the event loop must not do (password
 * hashing: PBKDF2, argon2id), with each result posted back to the loop through an eventfd (L1).
 *
 * A job is the caller's struct with a workpool_job embedded. run() executes on a worker thread
 * and may touch only what the job owns (copies, references it holds); done() executes on the
 * loop thread, in completion order, with the job's status, and ends the job's life (the pool
 * never touches it again). workpool_free() calls done() of every job left, on the calling (loop)
 * thread: done(j, 0) for those that ran, done(j, -ECANCELED) without run() for the others.
 *
 * The threads start at the first submit, so a daemon that forks at start-up forks before any
 * thread exists. Workers run at a lower priority (nice +WORKPOOL_NICE) than the loop thread:
 * on a small machine the loop wins the CPU while a storm of hashes queues up.
 */
#ifndef MQTTGW_WORKPOOL_H
#define MQTTGW_WORKPOOL_H

#include <stdint.h>

struct loop;
struct workpool;

#define WORKPOOL_MAX_THREADS 16
#define WORKPOOL_NICE	     5

/*
 * Order: a worker takes the queued job of lowest rank, the oldest among equals (FIFO when all
 * are 0), looking at the first WORKPOOL_SCAN queued. The caller sets rank (0: plain) and key
 * (0: none); workpool_submit() raises a job's rank to WORKPOOL_RANK_SAME above the last job of
 * the same key queued or running, so one key's jobs (one address's logins) queue behind each
 * other in their order, and a burst from one key cannot hold another key's job back by more
 * than the jobs running.
 */
#define WORKPOOL_SCAN	      256
#define WORKPOOL_RANK_SAME    1u
#define WORKPOOL_RANK_SUSPECT 4u /* a caller's unit for "suspect" (broker_auth.c) */

struct workpool_job {
	void (*run)(struct workpool_job *j);
	void (*done)(struct workpool_job *j, int status); /* 0: run() ran; -ECANCELED */
	uint64_t key;					  /* the caller's; 0: none */
	uint32_t rank;					  /* the caller's, then the pool's */
	struct workpool_job *next;			  /* the pool's */
};

/* A pool of `threads` (1..WORKPOOL_MAX_THREADS) workers posting to loop l. NULL with errno. */
struct workpool *workpool_new(struct loop *l, unsigned int threads);
/* Queue j (its run and done set). 0, or -errno when no thread could be started (j untouched:
 * the caller may do the work itself). */
int workpool_submit(struct workpool *p, struct workpool_job *j);
/* Jobs queued or running now (submitted, done() not yet called). */
unsigned int workpool_pending(const struct workpool *p);
/* Stop and join the workers (a running job finishes first), then done(-ECANCELED) what is left.
 * NULL is fine. */
void workpool_free(struct workpool *p);

#endif /* MQTTGW_WORKPOOL_H */
