// SPDX-License-Identifier: MIT
/*
 * bench_scen: the scenarios. Each one is a set of publishers, subscribers and receiver units
 * (a subscriber, or a $share group as a whole) wired by topic; then the same phases run:
 * connect and subscribe, warm up, measure, stop publishing, drain, disconnect.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define SETUP_PENDING 64 /* connection handshakes in flight during setup */
#define RX_BIG	      (256u * 1024)
#define RX_SMALL      (16u * 1024)
#define RX_IDLE	      256u

static const char *scen_names[] = {"latency", "p2p", "fanout", "fanin", "connections", "pingpong"};

static const char *run_str(struct brun *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		r->strs[r->nstrs++] = s;
	return s;
}

static int run_alloc(struct brun *r)
{
	r->pubs = aligned_alloc(64, ((sizeof(*r->pubs) * r->npubs + 63) & ~63ul) + 64);
	r->subs = calloc(r->nsubs + 1, sizeof(*r->subs));
	r->units = calloc(r->nunits + 1, sizeof(*r->units));
	r->pub_nunits = calloc(r->npubs + 1, sizeof(*r->pub_nunits));
	r->pub_units = calloc(r->npubs + 1, sizeof(*r->pub_units));
	r->idle = calloc(r->nidle + 1, sizeof(*r->idle));
	r->strs = calloc(r->npubs + r->nsubs + 4, sizeof(*r->strs));
	if (!r->pubs || !r->subs || !r->units || !r->pub_nunits || !r->pub_units || !r->idle ||
	    !r->strs)
		return -ENOMEM;
	memset(r->pubs, 0, sizeof(*r->pubs) * r->npubs);
	for (uint32_t i = 0; i < r->nunits; i++) {
		struct bunit *u = &r->units[i];

		u->uniq = calloc(r->npubs, sizeof(*u->uniq));
		u->set = calloc(r->npubs, sizeof(*u->set));
		u->expect = calloc(r->npubs, 1);
		if (!u->uniq || !u->set || !u->expect)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->npubs; i++) {
		struct bpub *p = &r->pubs[i];

		if (bconn_alloc(&p->c, BC_PUB, i, RX_SMALL) < 0)
			return -ENOMEM;
		p->id = i;
		for (uint32_t k = 0; k < BENCH_MAX_SUBT; k++)
			p->level[k] = UINT64_MAX;
		if (r->qos) {
			p->pid_used = calloc(1024, sizeof(uint64_t));
			p->pid_ns = calloc(65536, sizeof(uint64_t));
			if (!p->pid_used || !p->pid_ns)
				return -ENOMEM;
		}
	}
	for (uint32_t i = 0; i < r->nsubs; i++) {
		struct bsub *s = &r->subs[i];

		if (bconn_alloc(&s->c, BC_SUB, i, r->nsubs > 64 ? RX_SMALL : RX_BIG) < 0)
			return -ENOMEM;
		s->next_seq = calloc(r->npubs, sizeof(*s->next_seq));
		if (!s->next_seq)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->nidle; i++)
		if (bconn_alloc(&r->idle[i], BC_IDLE, i, RX_IDLE) < 0)
			return -ENOMEM;
	return 0;
}

/* Unit u receives publisher p. */
static int run_link(struct brun *r, uint32_t p, uint32_t u)
{
	uint32_t *nu = realloc(r->pub_units[p], (r->pub_nunits[p] + 1) * sizeof(*nu));

	if (!nu)
		return -ENOMEM;
	nu[r->pub_nunits[p]++] = u;
	r->pub_units[p] = nu;
	r->units[u].expect[p] = 1;
	return 0;
}

static int run_build(struct brun *r, const struct bench_opts *o)
{
	const char *t = r->token;
	int rc;

	r->o = o;
	r->qos = (uint32_t)o->qos;
	switch (o->scen) {
	case SCEN_LATENCY:
		r->npubs = r->nsubs = r->nunits = 1;
		break;
	case SCEN_P2P:
		r->npubs = r->nsubs = r->nunits = o->pairs;
		break;
	case SCEN_FANOUT:
		r->npubs = 1;
		r->nsubs = r->nunits = o->subs;
		break;
	case SCEN_FANIN:
		r->npubs = o->pubs;
		r->nsubs = o->subs;
		r->nunits = 1;
		break;
	case SCEN_CONNECTIONS:
		r->nidle = o->conns;
		break;
	case SCEN_PINGPONG: /* bench_pingpong.c */
		return -EINVAL;
	}
	rc = run_alloc(r);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < r->npubs; i++) {
		struct bpub *p = &r->pubs[i];

		if (o->scen == SCEN_P2P)
			p->topic = run_str(r, "mqttgw-bench/%s/p2p/%u", t, i);
		else if (o->scen == SCEN_FANIN)
			p->topic = run_str(r, "mqttgw-bench/%s/in/%u", t, i);
		else
			p->topic = run_str(r, "mqttgw-bench/%s/%s", t, scen_names[o->scen]);
		if (!p->topic)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < r->nsubs; i++) {
		struct bsub *s = &r->subs[i];

		if (o->scen == SCEN_FANIN) {
			s->unit = 0;
			s->filter = run_str(r, "$share/mb%s/mqttgw-bench/%s/in/+", t, t);
		} else {
			s->unit = i;
			s->filter = r->pubs[o->scen == SCEN_P2P ? i : 0].topic;
		}
		if (!s->filter)
			return -ENOMEM;
	}
	for (uint32_t p = 0; p < r->npubs; p++) {
		if (o->scen == SCEN_P2P || o->scen == SCEN_LATENCY) {
			rc = run_link(r, p, p);
		} else if (o->scen == SCEN_FANIN) {
			rc = run_link(r, p, 0);
		} else {
			for (uint32_t u = 0; u < r->nunits && !rc; u++)
				rc = run_link(r, p, u);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int run_workers(struct brun *r)
{
	const struct bench_opts *o = r->o;
	uint32_t nsubw = 0, nw, wi = 0;
	int rc;

	if (r->nsubs)
		nsubw = o->sub_threads < r->nunits ? o->sub_threads : r->nunits;
	if (!nsubw && r->nsubs)
		nsubw = 1;
	r->nsubw = nsubw;
	nw = nsubw + (r->npubs ? 1 : 0) + (r->nidle ? 1 : 0);
	r->workers = calloc(nw, sizeof(*r->workers));
	if (!r->workers)
		return -ENOMEM;
	r->nworkers = nw;
	for (uint32_t k = 0; k < nsubw; k++, wi++) {
		struct bworker *w = &r->workers[wi];

		rc = bworker_init(w, r, BW_SUB);
		if (rc)
			return rc;
		w->sub_idx = k;
		w->max_pending = SETUP_PENDING;
		w->conns = calloc(r->nsubs, sizeof(*w->conns));
		if (!w->conns)
			return -ENOMEM;
		/* all members of a unit (a $share group) live in one worker */
		for (uint32_t i = 0; i < r->nsubs; i++)
			if (r->subs[i].unit % nsubw == k)
				w->conns[w->nconns++] = &r->subs[i].c;
		for (uint32_t p = 0; p < r->npubs; p++) {
			struct blevel *lv = &w->lv[p];

			lv->units = calloc(r->pub_nunits[p] + 1, sizeof(*lv->units));
			if (!lv->units)
				return -ENOMEM;
			for (uint32_t j = 0; j < r->pub_nunits[p]; j++)
				if (r->pub_units[p][j] % nsubw == k)
					lv->units[lv->nunits++] = r->pub_units[p][j];
			lv->min = lv->nunits ? 0 : UINT64_MAX;
			lv->n_at_min = lv->nunits;
			r->pubs[p].level[k] = lv->min;
		}
	}
	if (r->npubs) {
		struct bworker *w = &r->workers[wi++];

		rc = bworker_init(w, r, BW_PUB);
		if (rc)
			return rc;
		r->pubw = w;
		w->max_pending = SETUP_PENDING;
		w->pub_rate = o->rate > 0 ? o->rate / r->npubs : 0;
		w->conns = calloc(r->npubs, sizeof(*w->conns));
		if (!w->conns)
			return -ENOMEM;
		for (uint32_t i = 0; i < r->npubs; i++)
			w->conns[w->nconns++] = &r->pubs[i].c;
	}
	if (r->nidle) {
		struct bworker *w = &r->workers[wi++];

		rc = bworker_init(w, r, BW_IDLE);
		if (rc)
			return rc;
		w->open_rate = o->conn_rate;
		w->conns = calloc(r->nidle, sizeof(*w->conns));
		if (!w->conns)
			return -ENOMEM;
		for (uint32_t i = 0; i < r->nidle; i++)
			w->conns[w->nconns++] = &r->idle[i];
	}
	return 0;
}

static void run_free(struct brun *r)
{
	for (uint32_t i = 0; i < r->nworkers; i++)
		bworker_fini(&r->workers[i]);
	free(r->workers);
	for (uint32_t i = 0; i < r->npubs; i++) {
		bconn_release(&r->pubs[i].c);
		free(r->pubs[i].pid_used);
		free(r->pubs[i].pid_ns);
		free(r->pubs[i].tmpl);
		free(r->pub_units[i]);
	}
	for (uint32_t i = 0; i < r->nsubs; i++) {
		bconn_release(&r->subs[i].c);
		free(r->subs[i].next_seq);
	}
	for (uint32_t i = 0; i < r->nunits; i++) {
		for (uint32_t p = 0; p < r->npubs; p++)
			seqset_free(&r->units[i].set[p]);
		free(r->units[i].uniq);
		free(r->units[i].set);
		free(r->units[i].expect);
	}
	for (uint32_t i = 0; i < r->nidle; i++)
		bconn_release(&r->idle[i]);
	for (uint32_t i = 0; i < r->nstrs; i++)
		free(r->strs[i]);
	free(r->pubs);
	free(r->subs);
	free(r->units);
	free(r->pub_nunits);
	free(r->pub_units);
	free(r->idle);
	free(r->strs);
}

static void run_phase(struct brun *r, enum bphase ph)
{
	__atomic_store_n(&r->phase, ph, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < r->nworkers; i++)
		bworker_kick(&r->workers[i]);
}

void bench_sleep(const struct bench_opts *o, struct bench_result *res, double secs)
{
	uint64_t end = now_ns() + (uint64_t)(secs * 1e9), rss, hwm, t;

	while ((t = now_ns()) < end) {
		uint64_t left = end - t;

		if (o->broker_pid && proc_pid_mem(o->broker_pid, &rss, &hwm) == 0 &&
		    rss > res->broker_rss_peak_kb)
			res->broker_rss_peak_kb = rss;
		usleep((useconds_t)((left < 100000000ull ? left : 100000000ull) / 1000));
	}
}

/* Wait until every connection of workers of `kind` is ready or failed. */
static int run_wait_ready(struct brun *r, enum bworker_kind kind, uint32_t want, double tmo,
			  uint32_t *failed)
{
	uint64_t end = now_ns() + (uint64_t)(tmo * 1e9);

	for (;;) {
		uint32_t ready = 0, fail = 0;

		for (uint32_t i = 0; i < r->nworkers; i++) {
			if (r->workers[i].kind != kind)
				continue;
			ready += __atomic_load_n(&r->workers[i].ready, __ATOMIC_ACQUIRE);
			fail += __atomic_load_n(&r->workers[i].failed, __ATOMIC_ACQUIRE);
		}
		*failed = fail;
		if (ready + fail >= want)
			return fail ? -ECONNREFUSED : 0;
		if (now_ns() > end)
			return -ETIMEDOUT;
		usleep(2000);
	}
}

struct snap {
	uint64_t t, delivered, sent, self_ns;
	uint64_t wcpu[BENCH_MAX_SUBT + 2]; /* per worker thread, ns */
	/* context switches: this process, the broker */
	uint64_t vcsw, ivcsw, bvcsw, bivcsw;
	double broker_s;
	struct machine_cpu m;
};

static void run_snap(struct brun *r, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->t = now_ns();
	for (uint32_t i = 0; i < r->nworkers; i++)
		s->delivered += __atomic_load_n(&r->workers[i].delivered, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < r->npubs; i++)
		s->sent += __atomic_load_n(&r->pubs[i].sent, __ATOMIC_RELAXED);
	s->self_ns = process_cpu_ns();
	for (uint32_t i = 0; i < r->nworkers; i++) {
		clockid_t cid;
		struct timespec ts;

		if (r->workers[i].thread && !pthread_getcpuclockid(r->workers[i].thread, &cid) &&
		    !clock_gettime(cid, &ts))
			s->wcpu[i] = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	proc_pid_ctxt(0, &s->vcsw, &s->ivcsw);
	if (r->o->broker_pid) {
		proc_pid_cpu(r->o->broker_pid, &s->broker_s);
		proc_pid_ctxt(r->o->broker_pid, &s->bvcsw, &s->bivcsw);
	}
	proc_machine_cpu(&s->m);
}

static void run_cpu(struct brun *r, const struct snap *a, const struct snap *b,
		    struct bench_result *res)
{
	double tck = clk_tck();

	res->duration = (double)(b->t - a->t) * 1e-9;
	res->bench_cpu_s = (double)(b->self_ns - a->self_ns) * 1e-9;
	for (uint32_t i = 0; i < r->nworkers; i++) {
		double sec = (double)(b->wcpu[i] - a->wcpu[i]) * 1e-9;

		if (r->workers[i].kind == BW_SUB) {
			if (sec > res->bench_sub_cpu_s)
				res->bench_sub_cpu_s = sec;
		} else if (sec > res->bench_pub_cpu_s) {
			res->bench_pub_cpu_s = sec;
		}
	}
	res->have_broker = r->o->broker_pid > 0;
	res->broker_cpu_s = b->broker_s - a->broker_s;
	res->bench_vcsw = b->vcsw - a->vcsw;
	res->bench_ivcsw = b->ivcsw - a->ivcsw;
	res->broker_vcsw = b->bvcsw - a->bvcsw;
	res->broker_ivcsw = b->bivcsw - a->bivcsw;
	res->machine_cpu_s = (double)(b->m.busy - a->m.busy) / tck;
	res->machine_busy_pct = b->m.total > a->m.total ? 100.0 * (double)(b->m.busy - a->m.busy) /
							      (double)(b->m.total - a->m.total)
							: 0;
}

/* Stop publishing and wait for what is in flight: all expected messages received and every
 * QoS > 0 publish acknowledged, or no progress for a second, or o->drain seconds. */
static void run_drain(struct brun *r)
{
	uint64_t end = now_ns() + (uint64_t)(r->o->drain * 1e9), last_change = now_ns();
	uint64_t prev = UINT64_MAX;

	run_phase(r, PH_STOP);
	for (;;) {
		uint64_t expected = 0, got = 0, inflight = 0;

		usleep(5000);
		for (uint32_t p = 0; p < r->npubs; p++) {
			expected +=
			    __atomic_load_n(&r->pubs[p].sent, __ATOMIC_ACQUIRE) * r->pub_nunits[p];
			inflight += __atomic_load_n(&r->pubs[p].inflight_pub, __ATOMIC_RELAXED);
		}
		for (uint32_t i = 0; i < r->nworkers; i++)
			got += __atomic_load_n(&r->workers[i].uniq, __ATOMIC_RELAXED);
		if (got >= expected && !inflight)
			return;
		if (got + inflight != prev) {
			prev = got + inflight;
			last_change = now_ns();
		}
		if (now_ns() > end || now_ns() - last_change > 1000000000ull) {
			fprintf(
			    stderr,
			    "mqttgw-bench: drain gave up: %llu of %llu received, %llu unacked\n",
			    (unsigned long long)got, (unsigned long long)expected,
			    (unsigned long long)inflight);
			return;
		}
	}
}

/* Debug aid: the first sequence numbers missing, for the first (unit, publisher) pairs with a
 * gap. */
static void run_dump_missing(struct brun *r)
{
	uint32_t pairs = 0;

	for (uint32_t p = 0; p < r->npubs && pairs < 8; p++) {
		for (uint32_t j = 0; j < r->pub_nunits[p] && pairs < 8; j++) {
			struct bunit *u = &r->units[r->pub_units[p][j]];
			struct seqset *s = &u->set[p];
			uint32_t shown = 0;

			if (u->uniq[p] >= r->pubs[p].sent)
				continue;
			pairs++;
			fprintf(stderr, "missing pub %u unit %u (sent %llu, got %llu):", p,
				r->pub_units[p][j], (unsigned long long)r->pubs[p].sent,
				(unsigned long long)u->uniq[p]);
			for (uint64_t q = 0; q < r->pubs[p].sent && shown < 24; q++) {
				if (q >> 6 >= s->nwords ||
				    !(s->bits[q >> 6] & (1ull << (q & 63)))) {
					fprintf(stderr, " %llu", (unsigned long long)q);
					shown++;
				}
			}
			fputc('\n', stderr);
		}
	}
}

static void run_collect(struct brun *r, struct bench_result *res)
{
	for (uint32_t i = 0; i < r->nworkers; i++) {
		struct bworker *w = &r->workers[i];

		hist_merge(&res->lat, &w->lat);
		hist_merge(&res->ack_lat, &w->ack_lat);
		res->delivered += w->delivered;
		res->dup += w->dup;
		res->reordered += w->reordered;
		res->bad += w->bad;
		res->stalls += w->stalls;
		res->errors += w->errors;
	}
	for (uint32_t p = 0; p < r->npubs; p++) {
		res->sent += r->pubs[p].sent;
		res->expected += r->pubs[p].sent * r->pub_nunits[p];
		for (uint32_t j = 0; j < r->pub_nunits[p]; j++)
			res->received += r->units[r->pub_units[p][j]].uniq[p];
	}
	res->lost = res->expected > res->received ? res->expected - res->received : 0;
	if (res->lost && getenv("MQTTGW_BENCH_DEBUG"))
		run_dump_missing(r);
}

static int run_traffic(struct brun *r, struct bench_result *res)
{
	const struct bench_opts *o = r->o;
	struct snap a, b;
	uint32_t failed;
	int rc;

	for (uint32_t i = 0; i < r->nsubw; i++)
		if ((rc = bworker_start(&r->workers[i])) < 0)
			return rc;
	rc = run_wait_ready(r, BW_SUB, r->nsubs, 30 + r->nsubs / 100.0, &failed);
	if (rc < 0) {
		fprintf(stderr, "mqttgw-bench: subscribers not ready: %s (%u failed)\n",
			strerror(-rc), failed);
		return rc;
	}
	if ((rc = bworker_start(r->pubw)) < 0)
		return rc;
	rc = run_wait_ready(r, BW_PUB, r->npubs, 30 + r->npubs / 100.0, &failed);
	if (rc < 0) {
		fprintf(stderr, "mqttgw-bench: publishers not ready: %s (%u failed)\n",
			strerror(-rc), failed);
		return rc;
	}
	if (o->broker_pid) {
		uint64_t hwm;

		proc_pid_reset_hwm(o->broker_pid);
		proc_pid_mem(o->broker_pid, &res->broker_rss_start_kb, &hwm);
	}
	run_phase(r, PH_RUN);
	bench_sleep(o, res, o->warmup);
	__atomic_store_n(&r->t0, now_ns(), __ATOMIC_RELEASE);
	run_snap(r, &a);
	bench_sleep(o, res, o->duration);
	run_snap(r, &b);
	__atomic_store_n(&r->t1, b.t, __ATOMIC_RELEASE);
	run_cpu(r, &a, &b, res);
	res->sent_window = b.sent - a.sent;
	res->delivered_window = b.delivered - a.delivered;
	run_drain(r);
	return 0;
}

static int run_connections(struct brun *r, struct bench_result *res)
{
	const struct bench_opts *o = r->o;
	struct bworker *w = &r->workers[r->nworkers - 1];
	uint64_t hwm, t_start;
	struct snap a, b;
	uint32_t failed;
	int rc;

	if (o->broker_pid) {
		proc_pid_reset_hwm(o->broker_pid);
		proc_pid_mem(o->broker_pid, &res->rss_base_kb, &hwm);
		res->broker_rss_start_kb = res->rss_base_kb;
	}
	run_snap(r, &a);
	t_start = a.t;
	__atomic_store_n(&r->phase, PH_RUN, __ATOMIC_RELEASE);
	if ((rc = bworker_start(w)) < 0)
		return rc;
	rc = run_wait_ready(r, BW_IDLE, r->nidle, 60 + 3.0 * r->nidle / o->conn_rate, &failed);
	res->open_s = (double)(now_ns() - t_start) * 1e-9;
	if (rc == -ETIMEDOUT)
		fprintf(stderr, "mqttgw-bench: connections: timed out opening\n");
	bench_sleep(o, res, o->duration);
	if (o->broker_pid)
		proc_pid_mem(o->broker_pid, &res->rss_conns_kb, &hwm);
	run_snap(r, &b);
	run_cpu(r, &a, &b, res);
	res->conns_failed = __atomic_load_n(&w->failed, __ATOMIC_ACQUIRE);
	res->conns_ok = __atomic_load_n(&w->ready, __ATOMIC_ACQUIRE);
	return 0;
}

/* --timeline: every latency sample of the measured window, in the format scripts/bench_plot.py
 * reads ("<t_s> <latency_us>" a line, t_s from the start of the window; by sub worker, each in
 * arrival order). 0 or -errno. */
static int run_timeline(const struct brun *r, const char *path)
{
	uint32_t dropped = 0;
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "# mqttgw-bench %s broker=%s qos=%d rate=%g: t_s latency_us\n",
		scen_names[r->o->scen], r->o->label ? r->o->label : "?", r->o->qos, r->o->rate);
	for (uint32_t i = 0; i < r->nworkers; i++) {
		const struct bworker *w = &r->workers[i];

		for (uint32_t k = 0; k < w->tl_n; k++)
			fprintf(f, "%.6f %.1f\n", (double)(w->tl[2 * k] - r->t0) * 1e-9,
				(double)w->tl[2 * k + 1] * 1e-3);
		dropped += w->tl_dropped;
	}
	if (dropped)
		fprintf(f, "# %u samples not kept (over %u per worker)\n", dropped, BENCH_TL_MAX);
	return fclose(f) ? -errno : 0;
}

int bench_run(const struct bench_opts *o, struct bench_result *res)
{
	struct brun r;
	uint64_t rss = 0, hwm = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(r.token, sizeof(r.token), "%x%lx", (unsigned int)getpid(),
		 (unsigned long)(now_ns() / 1000) & 0xffffff);
	r.t0 = r.t1 = UINT64_MAX;
	r.window = o->window;
	res->scenario = scen_names[o->scen];
	res->label = o->label;
	res->transport = o->ws ? "ws" : "tcp";
	res->version = o->version;
	res->qos = o->qos;
	res->size = o->size;
	res->window = o->window;
	res->inflight = o->inflight;
	res->rate = o->rate;
	res->warmup = o->warmup;
	res->conns = o->conns;
	res->conn_rate = o->conn_rate;
	res->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	hist_reset(&res->lat);
	hist_reset(&res->conn_lat);
	if (o->scen == SCEN_PINGPONG)
		return bench_pingpong(o, res);
	rc = run_build(&r, o);
	if (!rc)
		rc = run_workers(&r);
	res->pubs = r.npubs;
	res->subs = r.nsubs;
	if (!rc)
		rc = o->scen == SCEN_CONNECTIONS ? run_connections(&r, res) : run_traffic(&r, res);
	run_phase(&r, PH_QUIT);
	for (uint32_t i = 0; i < r.nworkers; i++)
		if (r.workers[i].thread)
			pthread_join(r.workers[i].thread, NULL);
	if (!rc) {
		run_collect(&r, res);
		int err = o->timeline ? run_timeline(&r, o->timeline) : 0;

		if (err < 0)
			fprintf(stderr, "mqttgw-bench: --timeline %s: %s\n", o->timeline,
				strerror(-err));
		for (uint32_t i = 0; i < r.nworkers; i++)
			hist_merge(&res->conn_lat, &r.workers[i].conn_lat);
		if (o->broker_pid && proc_pid_mem(o->broker_pid, &rss, &hwm) == 0) {
			res->broker_rss_end_kb = rss;
			if (hwm > res->broker_rss_peak_kb)
				res->broker_rss_peak_kb = hwm;
		}
	}
	run_free(&r);
	return rc;
}
