// SPDX-License-Identifier: MIT
/*
 * bench_worker: the epoll loop of one thread, the publisher's flow control (window, pacing,
 * QoS inflight) and the receivers' accounting (sequence sets, latency, levels).
 *
 * Window protocol between a publisher and the sub workers (Dekker-style, seq_cst):
 *   publisher: store wake_at; store waiting = 1; reload the levels; sleep in epoll_wait if
 *              still blocked.
 *   sub worker: store its level; if waiting and level >= wake_at, exchange waiting to 0 and
 *              write the publisher worker's eventfd.
 * One of the two always sees the other's store, so no wake-up is lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "codec.h"
#include "bench.h"

#define EV_WAKE	    1ull
#define EV_TIMER    2ull
#define LOAD(x)	    __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

int bworker_init(struct bworker *w, struct brun *r, enum bworker_kind kind)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_WAKE};

	memset(w, 0, sizeof(*w));
	w->run = r;
	w->kind = kind;
	w->tfd = -1;
	w->t1 = UINT64_MAX;
	hist_reset(&w->lat);
	hist_reset(&w->conn_lat);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->evfd < 0)
		return -errno;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) < 0)
		return -errno;
	if (kind == BW_SUB && r->npubs) {
		w->lv = calloc(r->npubs, sizeof(*w->lv));
		w->dirty = calloc(r->npubs, sizeof(*w->dirty));
		if (!w->lv || !w->dirty)
			return -ENOMEM;
	}
	return 0;
}

/* --timeline: keep one sample (amortised growth, at most BENCH_TL_MAX, then counted). */
static void btl_add(struct bworker *w, uint64_t ts, uint64_t lat)
{
	if (w->tl_n == w->tl_cap) {
		uint32_t cap = w->tl_cap ? w->tl_cap * 2 : 65536;
		uint64_t *n = cap <= BENCH_TL_MAX ? realloc(w->tl, (size_t)cap * 16) : NULL;

		if (!n) {
			w->tl_dropped++;
			return;
		}
		w->tl = n;
		w->tl_cap = cap;
	}
	w->tl[2 * w->tl_n] = ts;
	w->tl[2 * w->tl_n + 1] = lat;
	w->tl_n++;
}

void bworker_fini(struct bworker *w)
{
	free(w->tl);
	if (w->lv)
		for (uint32_t i = 0; i < w->run->npubs; i++)
			free(w->lv[i].units);
	free(w->lv);
	free(w->dirty);
	free(w->conns);
	if (w->tfd >= 0)
		close(w->tfd);
	if (w->evfd >= 0)
		close(w->evfd);
	if (w->epfd >= 0)
		close(w->epfd);
}

void bworker_kick(struct bworker *w)
{
	uint64_t one = 1;

	if (write(w->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("mqttgw-bench: eventfd");
}

void bworker_conn_ready(struct bworker *w, struct bconn *c)
{
	w->pending--;
	hist_add(&w->conn_lat, now_ns() - c->t_open);
	if (c->role == BC_PUB)
		bpub_ready(w, bconn_pub(c));
	__atomic_store_n(&w->ready, w->ready + 1, __ATOMIC_RELEASE);
}

void bworker_conn_failed(struct bworker *w, struct bconn *c)
{
	(void)c;
	w->pending--;
	__atomic_store_n(&w->failed, w->failed + 1, __ATOMIC_RELEASE);
}

/* ---- publishers ---- */

void bpub_ready(struct bworker *w, struct bpub *p)
{
	const struct bench_opts *o = w->run->o;
	uint8_t qos = (uint8_t)w->run->qos, ver = (uint8_t)o->version, reason;
	uint16_t tlen = (uint16_t)strlen(p->topic);
	struct mqtt_frame f;
	uint8_t *pay;
	size_t n;

	pay = calloc(1, o->size);
	n = codec_encode_publish(NULL, 0, ver, qos, false, false, (const uint8_t *)p->topic, tlen,
				 qos ? 1 : 0, NULL, 0, pay, o->size);
	p->tmpl = malloc(n);
	if (!pay || !p->tmpl) {
		free(pay);
		bconn_fail(w, &p->c, "out of memory");
		return;
	}
	/* padding: a recognisable pattern, not zeros that compress or hide bugs */
	for (uint32_t i = BENCH_PAYLOAD_MIN; i < o->size; i++)
		pay[i] = (uint8_t)('a' + i % 26);
	p->tmpl_len = (uint32_t)codec_encode_publish(p->tmpl, n, ver, qos, false, false,
						     (const uint8_t *)p->topic, tlen, qos ? 1 : 0,
						     NULL, 0, pay, o->size);
	free(pay);
	codec_frame(p->tmpl, p->tmpl_len, 0, &f, &reason);
	p->pid_off = f.hdr_len + 2 + tlen;
	p->pay_off = p->tmpl_len - o->size;
	p->next_pid = 1;
}

static uint64_t bpub_level(const struct brun *r, const struct bpub *p)
{
	uint64_t m = UINT64_MAX;

	for (uint32_t i = 0; i < r->nsubw; i++) {
		uint64_t l = __atomic_load_n(&p->level[i], __ATOMIC_SEQ_CST);

		if (l < m)
			m = l;
	}
	return m == UINT64_MAX ? 0 : m;
}

static uint16_t bpub_alloc_pid(struct bpub *p)
{
	for (;;) {
		uint16_t id = p->next_pid;

		p->next_pid = id == 65535 ? 1 : id + 1;
		if (!(p->pid_used[id >> 6] & (1ull << (id & 63)))) {
			p->pid_used[id >> 6] |= 1ull << (id & 63);
			return id;
		}
	}
}

/* The broker's acknowledgement latency of a PUBLISH encoded within the measured window (with
 * persistence it includes the store's commit: what a persistent QoS 1 publisher waits for). */
static void ack_latency(struct bworker *w, struct bpub *p, uint16_t pid)
{
	uint64_t ts = p->pid_ns[pid], now = now_ns();

	if (ts >= w->t0 && ts <= w->t1 && now >= ts)
		hist_add(&w->ack_lat, now - ts);
}

void bpub_on_ack(struct bworker *w, struct bpub *p, uint8_t type, uint16_t pid, uint8_t reason)
{
	uint64_t bit = 1ull << (pid & 63);
	uint8_t *q;

	/* an MQTT 5 refusal (0x80 and up) still ends the exchange; count it as a fault */
	if (reason >= 0x80)
		STORE(w->bad, w->bad + 1);

	if (!p->pid_used || !(p->pid_used[pid >> 6] & bit)) {
		STORE(w->bad, w->bad + 1);
		return;
	}
	if (type == MQTT_PUBREC && reason < 0x80) {
		if (w->run->qos != 2) {
			STORE(w->bad, w->bad + 1);
			return;
		}
		ack_latency(w, p, pid);
		q = bconn_tx_reserve(&p->c, 8);
		if (q)
			p->c.tx_len += (uint32_t)codec_encode_ack(q, 8, (uint8_t)w->run->o->version,
								  MQTT_PUBREL, pid, 0, NULL, 0);
		return;
	}
	if ((type == MQTT_PUBACK) != (w->run->qos == 1)) {
		STORE(w->bad, w->bad + 1);
		return;
	}
	p->pid_used[pid >> 6] &= ~bit;
	if (type == MQTT_PUBACK)
		ack_latency(w, p, pid);
	p->inflight--;
	p->acks++;
	STORE(p->inflight_pub, p->inflight);
}

/* How many messages the window lets p send now; handles the wait flag and stall timeouts. */
static uint64_t bpub_window(struct bworker *w, struct bpub *p, uint64_t sent)
{
	struct brun *r = w->run;
	uint64_t lvl = bpub_level(r, p) + p->forgiven, ahead, half;

	ahead = lvl >= sent ? 0 : sent - lvl;
	if (ahead < r->window) {
		p->stall_start = 0;
		return r->window - ahead;
	}
	if (!p->stall_start) {
		p->stall_start = w->now;
	} else if (w->now - p->stall_start > (uint64_t)r->o->stall_ms * 1000000ull) {
		/* the broker dropped what we wait for (QoS 0): assume it lost and go on */
		p->forgiven = sent - bpub_level(r, p);
		p->stall_start = 0;
		p->stalls++;
		STORE(w->stalls, w->stalls + 1);
		return r->window;
	}
	half = r->window / 2 ? r->window / 2 : 1;
	/* wake when level + forgiven >= sent - window + half */
	__atomic_store_n(&p->wake_at, sent - r->window + half - p->forgiven, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->waiting, 1, __ATOMIC_SEQ_CST);
	lvl = bpub_level(r, p) + p->forgiven;
	ahead = lvl >= sent ? 0 : sent - lvl;
	if (ahead < r->window) {
		__atomic_store_n(&p->waiting, 0, __ATOMIC_RELAXED);
		p->stall_start = 0;
		return r->window - ahead;
	}
	return 0;
}

/*
 * Send what the window, the pace and the in-flight limit allow, at most BENCH_TX_BATCH bytes.
 * Returns true when it stopped at the batch limit with the window still open: the caller
 * must not sleep then (nothing would wake it before the loop's timeout).
 */
static bool bpub_step(struct bworker *w, struct bpub *p, uint32_t phase)
{
	struct brun *r = w->run;
	struct bconn *c = &p->c;
	uint64_t sent = p->sent, n, due, ts;
	uint32_t mlen = p->tmpl_len, size = r->o->size;
	uint8_t *out;

	if (c->state != BS_READY || c->fd < 0)
		return false;
	if (c->tx_len > c->tx_off) {
		if (!c->want_out)
			bconn_flush(w, c);
		if (c->tx_len > c->tx_off)
			return false;
	}
	if (phase != PH_RUN)
		return false;
	n = BENCH_TX_BATCH / mlen ? BENCH_TX_BATCH / mlen : 1;
	if (w->pub_rate > 0) {
		due = (uint64_t)((double)(w->now - w->run_start) * 1e-9 * w->pub_rate) + 1;
		if (due <= sent)
			return false;
		if (due - sent < n)
			n = due - sent;
	}
	if (r->qos) {
		uint32_t lim = c->recv_max < 65000 ? c->recv_max : 65000;

		if (r->o->inflight && r->o->inflight < lim)
			lim = r->o->inflight;

		if (p->inflight >= lim)
			return false;
		if (lim - p->inflight < n)
			n = lim - p->inflight;
	}
	due = bpub_window(w, p, sent);
	if (due < n)
		n = due;
	if (!n)
		return false;
	out = bconn_tx_reserve(c, n * mlen);
	if (!out)
		return false;
	ts = now_ns();
	for (uint64_t i = 0; i < n; i++, out += mlen) {
		uint64_t seq = sent + i;
		uint32_t id = p->id;

		memcpy(out, p->tmpl, mlen);
		if (r->qos) {
			uint16_t pid = bpub_alloc_pid(p);

			p->pid_ns[pid] = ts;
			out[p->pid_off] = (uint8_t)(pid >> 8);
			out[p->pid_off + 1] = (uint8_t)pid;
		}
		memcpy(out + p->pay_off, &seq, 8);
		memcpy(out + p->pay_off + 8, &ts, 8);
		memcpy(out + p->pay_off + 16, &id, 4);
	}
	(void)size;
	c->tx_len += (uint32_t)(n * mlen);
	if (r->qos) {
		p->inflight += (uint32_t)n;
		STORE(p->inflight_pub, p->inflight);
	}
	__atomic_store_n(&p->sent, sent + n, __ATOMIC_RELEASE);
	bconn_flush(w, c);
	/* The window is now full: arm the wake-up before epoll_wait, or we would sleep until the
	 * loop's timeout instead of until the receivers catch up. */
	if (n == due) {
		bpub_window(w, p, sent + n);
		return false;
	}
	return w->pub_rate <= 0;
}

/* ---- receivers ---- */

static void blevel_rescan(struct brun *r, struct blevel *lv, uint32_t pub)
{
	uint64_t m = UINT64_MAX;
	uint32_t n = 0;

	for (uint32_t i = 0; i < lv->nunits; i++) {
		uint64_t u = r->units[lv->units[i]].uniq[pub];

		if (u < m) {
			m = u;
			n = 1;
		} else if (u == m) {
			n++;
		}
	}
	lv->min = m;
	lv->n_at_min = n;
}

void bsub_on_publish(struct bworker *w, struct bsub *s, const uint8_t *pay, uint32_t len)
{
	struct brun *r = w->run;
	uint64_t seq, ts;
	uint32_t id;
	struct bunit *u;
	struct blevel *lv;
	int dup;

	STORE(w->delivered, w->delivered + 1);
	if (len < BENCH_PAYLOAD_MIN) {
		STORE(w->bad, w->bad + 1);
		return;
	}
	memcpy(&seq, pay, 8);
	memcpy(&ts, pay + 8, 8);
	memcpy(&id, pay + 16, 4);
	if (id >= r->npubs) {
		STORE(w->bad, w->bad + 1);
		return;
	}
	u = &r->units[s->unit];
	if (!u->expect[id]) {
		STORE(w->bad, w->bad + 1);
		return;
	}
	dup = seqset_add(&u->set[id], seq);
	if (dup < 0) {
		STORE(w->bad, w->bad + 1);
		return;
	}
	if (dup) {
		STORE(w->dup, w->dup + 1);
		return;
	}
	if (seq < s->next_seq[id])
		STORE(w->reordered, w->reordered + 1);
	else
		s->next_seq[id] = seq + 1;
	if (ts >= w->t0 && ts <= w->t1 && w->now >= ts) {
		hist_add(&w->lat, w->now - ts);
		if (r->o->timeline)
			btl_add(w, ts, w->now - ts);
	}
	STORE(w->uniq, w->uniq + 1);
	lv = &w->lv[id];
	if (u->uniq[id]++ == lv->min && --lv->n_at_min == 0) {
		blevel_rescan(r, lv, id);
		if (!lv->dirty) {
			lv->dirty = true;
			w->dirty[w->ndirty++] = id;
		}
	}
}

/* Publish this worker's levels and wake the publisher worker if a window opened. */
static void bsub_levels(struct bworker *w)
{
	struct brun *r = w->run;
	bool wake = false;

	for (uint32_t i = 0; i < w->ndirty; i++) {
		uint32_t id = w->dirty[i];
		struct bpub *p = &r->pubs[id];
		uint64_t m = w->lv[id].min;

		w->lv[id].dirty = false;
		__atomic_store_n(&p->level[w->sub_idx], m, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&p->waiting, __ATOMIC_SEQ_CST) &&
		    m >= __atomic_load_n(&p->wake_at, __ATOMIC_SEQ_CST) &&
		    __atomic_exchange_n(&p->waiting, 0, __ATOMIC_SEQ_CST))
			wake = true;
	}
	w->ndirty = 0;
	if (wake && r->pubw)
		bworker_kick(r->pubw);
}

/* ---- the loop ---- */

static void bworker_open(struct bworker *w)
{
	uint64_t due = w->nconns;

	if (w->open_rate > 0) {
		if (!w->open_start)
			w->open_start = now_ns();
		due = (uint64_t)((double)(now_ns() - w->open_start) * 1e-9 * w->open_rate) + 1;
	}
	while (w->next_open < w->nconns && w->next_open < due &&
	       (!w->max_pending || w->pending < w->max_pending)) {
		w->pending++;
		bconn_open(w, w->conns[w->next_open++]);
	}
}

static int bworker_timer(struct bworker *w)
{
	double per = 1e9 / (w->pub_rate * (w->nconns ? w->nconns : 1));
	struct itimerspec its = {0};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_TIMER};
	uint64_t ns = per < 50000 ? 50000 : (uint64_t)per;

	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->tfd < 0)
		return -errno;
	its.it_interval.tv_sec = (time_t)(ns / 1000000000ull);
	its.it_interval.tv_nsec = (long)(ns % 1000000000ull);
	its.it_value = its.it_interval;
	if (timerfd_settime(w->tfd, 0, &its, NULL) < 0)
		return -errno;
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &ev) < 0 ? -errno : 0;
}

static void *bworker_main(void *arg)
{
	struct bworker *w = arg;
	struct brun *r = w->run;
	struct epoll_event evs[256];
	uint64_t cnt;
	bool running = false;

	for (;;) {
		uint32_t phase = __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE);
		int timeout = 20, n;

		if (phase == PH_QUIT)
			break;
		if (w->next_open < w->nconns) {
			bworker_open(w);
			if (w->open_rate > 0)
				timeout = 1;
		}
		if (w->kind == BW_PUB && phase == PH_RUN && !running) {
			running = true;
			w->run_start = now_ns();
			if (w->pub_rate > 0 && bworker_timer(w) < 0)
				perror("mqttgw-bench: timerfd");
		}
		w->now = now_ns();
		if (w->kind == BW_PUB)
			for (uint32_t i = 0; i < w->nconns; i++)
				if (bpub_step(w, bconn_pub(w->conns[i]), phase))
					timeout = 0;
		n = epoll_wait(w->epfd, evs, 256, timeout);
		if (n < 0 && errno != EINTR) {
			perror("mqttgw-bench: epoll_wait");
			break;
		}
		w->t0 = __atomic_load_n(&r->t0, __ATOMIC_ACQUIRE);
		w->t1 = __atomic_load_n(&r->t1, __ATOMIC_ACQUIRE);
		w->now = now_ns();
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == EV_WAKE) {
				if (read(w->evfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
					perror("mqttgw-bench: eventfd read");
			} else if (evs[i].data.u64 == EV_TIMER) {
				if (read(w->tfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
					perror("mqttgw-bench: timerfd read");
			} else {
				bconn_event(w, evs[i].data.ptr, evs[i].events);
			}
		}
		if (w->kind == BW_SUB && w->ndirty)
			bsub_levels(w);
	}
	for (uint32_t i = 0; i < w->nconns; i++)
		bconn_close(w, w->conns[i], true);
	w->cpu_ns = thread_cpu_ns();
	return NULL;
}

int bworker_start(struct bworker *w)
{
	int rc = pthread_create(&w->thread, NULL, bworker_main, w);
	char name[16];

	if (rc)
		return -rc;
	/* named, so that per-thread counts (perf stat --per-thread, /proc/PID/task) say which */
	if (w->kind == BW_SUB)
		snprintf(name, sizeof(name), "bench-sub%u", w->sub_idx);
	else
		snprintf(name, sizeof(name), "bench-%s", w->kind == BW_PUB ? "pub" : "idle");
	pthread_setname_np(w->thread, name);
	return 0;
}
