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
#include "version.h"

/* PUBLISHes timed per loop iteration; beyond that the rest of the iteration is not sampled */
#define PENDING_MAX 1024

struct broker_metrics {
	struct broker *b;
	struct httpd *httpd;
	struct metrics_hist deliver;
	uint32_t n_pending;
	int64_t pending[PENDING_MAX];
};

struct sample {
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
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 128;

		s = realloc(r->s, cap * sizeof(*s));
		if (!s) {
			r->err = -ENOMEM;
			return;
		}
		r->s = s;
		r->cap = cap;
	}
	s = &r->s[r->n];
	memset(s, 0, sizeof(*s));
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
	s->v = kind == BROKER_FIG_BOOL ? !strcmp(value, "true") : strtoull(value, NULL, 10);
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

static int render(struct broker *b, struct metrics_buf *mb)
{
	struct render r = {0};
	struct broker_figures f = {add_figure, &r};
	struct httpd_stats hs;

	broker_figures(b, false, &f);
	if (r.err) {
		free(r.s);
		return r.err;
	}
	qsort(r.s, r.n, sizeof(*r.s), by_name);
	metrics_family(mb, "mqttgw_build_info", METRICS_GAUGE, "mqttgw's version (the label)");
	metrics_sample(mb, "mqttgw_build_info", "version", MQTTGW_VERSION, 1);
	for (size_t i = 0; i < r.n; i++) {
		const struct sample *s = &r.s[i];

		if (!i || strcmp(s->name, r.s[i - 1].name))
			metrics_family(mb, s->name, s->type, s->help);
		metrics_sample(mb, s->name, s->label[0] ? "bridge" : NULL, s->label, s->v);
	}
	free(r.s);
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
		struct metrics_buf mb = {0};

		if (render(b, &mb) < 0) {
			metrics_buf_free(&mb);
			resp->status = 500;
			return;
		}
		resp->status = 200;
		resp->type = "text/plain; version=0.0.4; charset=utf-8";
		resp->body = mb.p;
		resp->len = mb.len;
		return;
	}
	if (pl == 8 && !memcmp(req->target, "/healthz", 8)) {
		why = unhealthy(b);
		resp->status = why ? 503 : 200;
		resp->body = strdup(why ? why : "ok");
		resp->len = resp->body ? strlen(resp->body) : 0;
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
