/* SPDX-License-Identifier: MIT */
/*
 * broker_metrics: the metrics listener. /metrics is broker_figures() (the list $SYS publishes)
 * turned into Prometheus families by one rule, so a figure added for $SYS shows here too:
 *   $SYS/broker/a/b c           -> mqttgw_a_b_c_total (counter) or mqttgw_a_b_c (gauge)
 *   $SYS/broker/bridges/N/key   -> mqttgw_bridge_key{bridge="N"}
 *   "true"/"false"              -> 1/0; "12 seconds" -> 12 (mqttgw_uptime_seconds)
 *   text figures (states, last errors) stay on $SYS; the version is mqttgw_build_info.
 * # HELP names the $SYS topic. Then the histograms: delivery latency (a PUBLISH read to the
 * end of the write pass that sent its copies: daemon path only, a copy held back by a full
 * subscriber is not followed) and store commits (transaction + fsync, the store thread's).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_metrics.h"
#include "broker_store.h"
#include "broker_sys.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "vec.h"
#include "version.h"

/* PUBLISHes timed per loop iteration; beyond that the rest of the iteration is not sampled */
#define PENDING_MAX 1024

/*
 * The page's layout: the text between the values (# HELP and # TYPE lines, names, labels),
 * made from one broker_figures() pass and kept while the figures come with the same topics and
 * kinds in the same order (a bridge, the store or the fast path coming or going makes a new
 * one). A scrape then only checks each topic and writes the values into the text: no name
 * building, sorting or escaping on the loop each time.
 */
struct layout {
	size_t n;      /* figures (text figures left out) */
	char **topics; /* figure order: what the layout was made from */
	uint8_t *kinds;
	uint64_t *vals; /* this scrape's values, figure order */
	size_t *order;	/* order[k]: the figure whose value is the page's k-th sample */
	size_t *start;	/* the text of sample k: start[k] .. name_end[k]; start[n]: the tail */
	size_t *name_end;
	struct metrics_buf text;
};

struct broker_metrics {
	struct broker *b;
	struct httpd *httpd;
	struct layout lay;
	struct metrics_buf page; /* reused by every scrape */
	struct metrics_hist deliver;
	uint32_t n_pending;
	int64_t pending[PENDING_MAX];
};

struct sample {
	char *topic;
	enum broker_fig_kind kind;
	char name[112];
	char help[160];
	char label[64]; /* the bridge, or "" */
	enum metrics_type type;
	uint64_t v;
	size_t idx; /* keeps $SYS's order within a family */
};

struct render {
	struct sample *s;
	size_t n, cap;
	int err;
};

static uint64_t fig_value(const char *value, enum broker_fig_kind kind)
{
	return kind == BROKER_FIG_BOOL ? !strcmp(value, "true") : strtoull(value, NULL, 10);
}

static void add_figure(void *ctx, const char *topic, const char *value, enum broker_fig_kind kind)
{
	static const char pre[] = "$SYS/broker/";
	struct render *r = ctx;
	const char *path = topic, *label = NULL, *slash;
	struct sample *s;
	size_t o = 6, ll = 0;

	if (r->err || kind == BROKER_FIG_INFO)
		return;
	if (!strncmp(path, pre, sizeof(pre) - 1))
		path += sizeof(pre) - 1;
	if (VEC_GROW(r->s, r->n, r->cap, 128)) {
		r->err = -ENOMEM;
		return;
	}
	s = &r->s[r->n];
	memset(s, 0, sizeof(*s));
	if (!(s->topic = strdup(topic))) {
		r->err = -ENOMEM;
		return;
	}
	s->kind = kind;
	s->idx = r->n;
	snprintf(s->help, sizeof(s->help), "%s", topic);
	memcpy(s->name, "mqttgw", 6);
	if (!strncmp(path, "bridges/", 8) && (slash = strchr(path + 8, '/'))) {
		label = path + 8;
		ll = (size_t)(slash - label);
		snprintf(s->label, sizeof(s->label), "%.*s", (int)ll, label);
		snprintf(s->help, sizeof(s->help), "$SYS/broker/bridges/<bridge>%s", slash);
		memcpy(s->name + o, "_bridge", 7);
		o += 7;
		path = slash;
	} else {
		s->name[o++] = '_';
	}
	for (; *path && o < sizeof(s->name) - 16; path++)
		s->name[o++] =
		    (*path >= 'a' && *path <= 'z') || (*path >= '0' && *path <= '9') ? *path : '_';
	if (!strcmp(s->name, "mqttgw_uptime"))
		memcpy(s->name + o, "_seconds", 8), o += 8;
	if (kind == BROKER_FIG_COUNTER)
		memcpy(s->name + o, "_total", 6), o += 6;
	s->name[o] = '\0';
	s->type = kind == BROKER_FIG_COUNTER ? METRICS_COUNTER : METRICS_GAUGE;
	s->v = fig_value(value, kind);
	r->n++;
}

static int by_name(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static void render_store(struct broker *b, struct metrics_buf *mb)
{
	static const uint64_t bounds_ms[STORE_HIST_BUCKETS - 1] = STORE_HIST_BOUNDS_MS;
	struct store_stats ss;
	struct metrics_hist h = {0};
	unsigned int j = 0;

	if (!b->store)
		return;
	store_stats(b->store->st, &ss);
	/* the store's buckets (ms) onto ours (us): each of its bounds is one of ours */
	for (unsigned int i = 0; i < STORE_HIST_BUCKETS; i++) {
		while (j < METRICS_HIST_N && i < STORE_HIST_BUCKETS - 1 &&
		       metrics_hist_bounds_us[j] < bounds_ms[i] * 1000)
			j++;
		h.bucket[i < STORE_HIST_BUCKETS - 1 ? j : METRICS_HIST_N] += ss.hist[i];
		h.count += ss.hist[i];
	}
	h.sum_us = ss.commit_us_sum;
	metrics_family(mb, "mqttgw_store_commit_seconds", METRICS_HISTOGRAM,
		       "Store commits: one transaction and its fsync, on the store thread");
	metrics_hist(mb, "mqttgw_store_commit_seconds", &h);
}

static void layout_free(struct layout *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->topics[i]);
	free(l->topics);
	free(l->kinds);
	free(l->vals);
	free(l->order);
	free(l->start);
	free(l->name_end);
	metrics_buf_free(&l->text);
	memset(l, 0, sizeof(*l));
}

/* A new layout from a full pass (the samples sorted by name): the page's text with each value
 * left out. The values of this pass go into l->vals. The topics are taken from r. */
static int layout_make(struct layout *l, struct render *r)
{
	struct metrics_buf *t = &l->text;
	size_t n = r->n;

	layout_free(l);
	l->topics = calloc(n + 1, sizeof(*l->topics));
	l->kinds = calloc(n + 1, sizeof(*l->kinds));
	l->vals = calloc(n + 1, sizeof(*l->vals));
	l->order = calloc(n + 1, sizeof(*l->order));
	l->start = calloc(n + 1, sizeof(*l->start));
	l->name_end = calloc(n + 1, sizeof(*l->name_end));
	if (!l->topics || !l->kinds || !l->vals || !l->order || !l->start || !l->name_end) {
		layout_free(l);
		return -ENOMEM;
	}
	l->n = n;
	metrics_family(t, "mqttgw_build_info", METRICS_GAUGE, "mqttgw's version (the label)");
	metrics_sample(t, "mqttgw_build_info", "version", MQTTGW_VERSION, 1);
	for (size_t k = 0; k < n; k++) {
		struct sample *s = &r->s[k];

		l->topics[s->idx] = s->topic;
		s->topic = NULL;
		l->kinds[s->idx] = (uint8_t)s->kind;
		l->vals[s->idx] = s->v;
		l->order[k] = s->idx;
		l->start[k] = k ? t->len : 0; /* the first one carries mqttgw_build_info */
		if (!k || strcmp(s->name, r->s[k - 1].name))
			metrics_family(t, s->name, s->type, s->help);
		/* written with 0, which is cut off again: the text stops at the name and labels */
		metrics_sample(t, s->name, s->label[0] ? "bridge" : NULL, s->label, 0);
		l->name_end[k] = t->len - 3;
	}
	l->start[n] = n ? t->len : 0;
	if (t->err) {
		int err = t->err;

		layout_free(l);
		return err;
	}
	return 0;
}

static void render_free(struct render *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->s[i].topic);
	free(r->s);
}

/* The full pass: every figure named, sorted and laid out anew (at the first scrape and when
 * the list of figures changed). */
static int layout_renew(struct broker *b, struct layout *l)
{
	struct render r = {0};
	struct broker_figures f = {add_figure, &r};
	int err;

	broker_figures(b, false, &f);
	if (!r.err) {
		qsort(r.s, r.n, sizeof(*r.s), by_name);
		r.err = layout_make(l, &r);
	}
	err = r.err;
	render_free(&r);
	return err;
}

struct collect {
	struct layout *l;
	size_t i;
	bool stale;
};

/* One figure of a scrape: its value, if the figure is the one the layout expects here. */
static void collect(void *ctx, const char *topic, const char *value, enum broker_fig_kind kind)
{
	struct collect *c = ctx;
	struct layout *l = c->l;

	if (kind == BROKER_FIG_INFO || c->stale)
		return;
	if (c->i >= l->n || l->kinds[c->i] != kind || strcmp(l->topics[c->i], topic)) {
		c->stale = true;
		return;
	}
	l->vals[c->i++] = fig_value(value, kind);
}

static int render(struct broker *b, struct metrics_buf *mb)
{
	struct layout *l = &b->metrics->lay;
	struct collect c = {l, 0, !l->topics};
	struct broker_figures f = {collect, &c};
	struct httpd_stats hs;
	int err;

	if (l->topics)
		broker_figures(b, false, &f);
	if ((c.stale || c.i != l->n) && (err = layout_renew(b, l)) < 0)
		return err;
	for (size_t k = 0; k < l->n; k++) {
		metrics_append(mb, l->text.p + l->start[k], l->name_end[k] - l->start[k]);
		metrics_value(mb, l->vals[l->order[k]]);
	}
	metrics_append(mb, l->text.p + l->start[l->n], l->text.len - l->start[l->n]);
	metrics_family(
	    mb, "mqttgw_delivery_seconds", METRICS_HISTOGRAM,
	    "PUBLISH read to the end of the write pass that sent its copies (daemon path)");
	metrics_hist(mb, "mqttgw_delivery_seconds", &b->metrics->deliver);
	render_store(b, mb);
	httpd_get_stats(b->metrics->httpd, &hs);
	metrics_family(mb, "mqttgw_metrics_requests_total", METRICS_COUNTER,
		       "HTTP requests answered by the metrics listener");
	metrics_sample(mb, "mqttgw_metrics_requests_total", NULL, NULL, hs.requests);
	metrics_family(mb, "mqttgw_metrics_refused_total", METRICS_COUNTER,
		       "Metrics connections closed at once: over the connection limit");
	metrics_sample(mb, "mqttgw_metrics_refused_total", NULL, NULL, hs.refused);
	metrics_family(mb, "mqttgw_metrics_timeouts_total", METRICS_COUNTER,
		       "Metrics connections closed by the request deadline");
	metrics_sample(mb, "mqttgw_metrics_timeouts_total", NULL, NULL, hs.timeouts);
	return mb->err;
}

/* What /healthz checks: the broker is not shutting down, every configured listener is open,
 * and the durable store (when persistence is on) accepts writes. */
static const char *unhealthy(const struct broker *b)
{
	if (b->shutting_down)
		return "shutting down";
	if (b->n_ls != b->cfg->n_listeners)
		return "a listener is not open";
	if (b->store && !store_writable(b->store->st))
		return "the store cannot be written";
	return NULL;
}

static void on_request(void *ctx, const struct http_req *req, struct httpd_resp *resp)
{
	struct broker *b = ctx;
	size_t pl = http_path_len(req->target, req->target_len);
	const char *why;

	if (pl == 8 && !memcmp(req->target, "/metrics", 8)) {
		struct metrics_buf *mb = &b->metrics->page;

		metrics_buf_reset(mb);
		if (render(b, mb) < 0) {
			/* a layout that failed half-way is made anew at the next scrape */
			layout_free(&b->metrics->lay);
			resp->status = 500;
			return;
		}
		resp->status = 200;
		resp->type = "text/plain; version=0.0.4; charset=utf-8";
		resp->body = mb->p;
		resp->len = mb->len;
		return;
	}
	if (pl == 8 && !memcmp(req->target, "/healthz", 8)) {
		why = unhealthy(b);
		resp->status = why ? 503 : 200;
		resp->body = why ? why : "ok";
		resp->len = strlen(resp->body);
		return;
	}
	resp->status = 404;
}

int broker_metrics_start(struct broker *b, char *err, size_t errlen)
{
	const struct config *cfg = b->cfg;
	struct broker_metrics *m;

	if (!cfg->metrics_on)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->b = b;
	m->httpd =
	    httpd_new(b->loop, cfg->metrics_addr, cfg->metrics_port, on_request, b, err, errlen);
	if (!m->httpd) {
		free(m);
		return -EINVAL;
	}
	b->metrics = m;
	log_notice("Opening metrics listen socket on %s port %u (/metrics, /healthz).",
		   cfg->metrics_addr ? cfg->metrics_addr : "*", httpd_port(m->httpd));
	return 0;
}

void broker_metrics_stop(struct broker *b)
{
	if (!b->metrics)
		return;
	httpd_free(b->metrics->httpd);
	layout_free(&b->metrics->lay);
	metrics_buf_free(&b->metrics->page);
	free(b->metrics);
	b->metrics = NULL;
}

void broker_metrics_pub_in(struct broker *b)
{
	struct broker_metrics *m = b->metrics;

	if (m && m->n_pending < PENDING_MAX)
		m->pending[m->n_pending++] = loop_now_us();
}

void broker_metrics_flushed(struct broker *b)
{
	struct broker_metrics *m = b->metrics;
	int64_t now;

	if (!m || !m->n_pending)
		return;
	now = loop_now_us();
	for (uint32_t i = 0; i < m->n_pending; i++)
		metrics_hist_add(&m->deliver, (uint64_t)(now - m->pending[i]));
	m->n_pending = 0;
}

uint16_t broker_metrics_port(const struct broker *b)
{
	return b->metrics ? httpd_port(b->metrics->httpd) : 0;
}
