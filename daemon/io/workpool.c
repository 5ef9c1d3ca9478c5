/* SPDX-License-Identifier: MIT */
/*
 * workpool: worker threads and an eventfd back to the loop (include/workpool.h).
 *
 * Why by hand: the loop is our own epoll loop, and what it needs is a FIFO, a mutex, a
 * condition variable and an eventfd. libuv's pool serves only uv loops, GLib's GThreadPool
 * brings GLib's main loop and allocator with it; neither is worth a dependency for this.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "workpool.h"

struct jobq {
	struct workpool_job *head, *tail;
};

struct workpool {
	struct loop *loop;
	struct loop_io io; /* the eventfd */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct jobq todo; /* submitted, not yet picked up */
	struct jobq fin;  /* run, done() not yet called */
	unsigned int want, started;
	uint64_t running[WORKPOOL_MAX_THREADS]; /* key of each worker's job; 0: none */
	uint32_t running_rank[WORKPOOL_MAX_THREADS];
	unsigned int ids;			/* workers that took their index in running */
	unsigned int pending; /* loop thread only */
	bool stop;
	pthread_t th[WORKPOOL_MAX_THREADS];
};

static void jobq_push(struct jobq *q, struct workpool_job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct workpool_job *jobq_take_all(struct jobq *q)
{
	struct workpool_job *j = q->head;

	q->head = q->tail = NULL;
	return j;
}

/* Take the job of lowest rank among the first WORKPOOL_SCAN (the oldest among equals). */
static struct workpool_job *jobq_take_best(struct jobq *q)
{
	struct workpool_job **best = &q->head, **pp = &q->head, *j, *prev = NULL, *bprev = NULL;

	for (int n = 0; *pp && n < WORKPOOL_SCAN; n++, prev = *pp, pp = &(*pp)->next)
		if ((*pp)->rank < (*best)->rank)
			best = pp, bprev = prev;
	j = *best;
	*best = j->next;
	if (q->tail == j)
		q->tail = bprev;
	return j;
}

/*
 * The rank of a new job of key whose caller gave it `base`: behind the last job of the same key
 * queued or running (so one key's jobs keep their order), never below base. The caller holds
 * the mutex; WORKPOOL_SCAN queued jobs looked at, at most.
 */
static uint32_t rank_of(const struct workpool *p, uint64_t key, uint32_t base)
{
	uint32_t r = base;
	int i = 0;

	for (const struct workpool_job *j = p->todo.head; j && i < WORKPOOL_SCAN; j = j->next, i++)
		if (j->key == key && j->rank + WORKPOOL_RANK_SAME > r)
			r = j->rank + WORKPOOL_RANK_SAME;
	for (unsigned int t = 0; t < p->started; t++)
		if (p->running[t] == key && p->running_rank[t] + WORKPOOL_RANK_SAME > r)
			r = p->running_rank[t] + WORKPOOL_RANK_SAME;
	return r;
}

static void *worker(void *arg)
{
	struct workpool *p = arg;
	unsigned int self;
	uint64_t one = 1;

	/* Linux: a thread's nice value is its own (setpriority on its tid) */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKPOOL_NICE);
	pthread_mutex_lock(&p->mu);
	self = p->ids++;
	for (;;) {
		struct workpool_job *j;

		while (!p->stop && !p->todo.head)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		j = jobq_take_best(&p->todo);
		p->running[self] = j->key;
		p->running_rank[self] = j->rank;
		pthread_mutex_unlock(&p->mu);
		j->run(j);
		pthread_mutex_lock(&p->mu);
		p->running[self] = 0;
		jobq_push(&p->fin, j);
		/* a full counter (never, in practice) still leaves the fd readable */
		if (write(p->io.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			break;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void run_done(struct workpool *p, struct workpool_job *j, int status)
{
	while (j) {
		struct workpool_job *next = j->next;

		p->pending--;
		j->done(j, status);
		j = next;
	}
}

static void on_event(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct workpool *p = io->ctx;
	struct workpool_job *j;
	uint64_t n;

	(void)l;
	(void)events;
	if (read(io->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&p->mu);
	j = jobq_take_all(&p->fin);
	pthread_mutex_unlock(&p->mu);
	run_done(p, j, 0);
}

struct workpool *workpool_new(struct loop *l, unsigned int threads)
{
	struct workpool *p;
	int fd, rc;

	if (!threads || threads > WORKPOOL_MAX_THREADS) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->loop = l;
	p->want = threads;
	p->io.fd = -1;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		goto err_free;
	rc = loop_io_add(l, &p->io, fd, EPOLLIN, on_event, p);
	if (rc < 0) {
		close(fd);
		errno = -rc;
		goto err_free;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;

err_free:
	free(p);
	return NULL;
}

int workpool_submit(struct workpool *p, struct workpool_job *j)
{
	while (p->started < p->want) {
		int rc = pthread_create(&p->th[p->started], NULL, worker, p);

		if (rc) {
			if (!p->started)
				return -rc;
			break; /* fewer workers than asked, still working */
		}
		p->started++;
	}
	pthread_mutex_lock(&p->mu);
	if (j->key)
		j->rank = rank_of(p, j->key, j->rank);
	jobq_push(&p->todo, j);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	p->pending++;
	return 0;
}

unsigned int workpool_pending(const struct workpool *p)
{
	return p ? p->pending : 0;
}

void workpool_free(struct workpool *p)
{
	struct workpool_job *fin, *todo;
	int fd;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned int i = 0; i < p->started; i++)
		pthread_join(p->th[i], NULL);
	fin = jobq_take_all(&p->fin);
	todo = jobq_take_all(&p->todo);
	run_done(p, fin, 0);
	run_done(p, todo, -ECANCELED);
	fd = p->io.fd;
	loop_io_del(p->loop, &p->io);
	close(fd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
