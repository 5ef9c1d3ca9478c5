// SPDX-License-Identifier: MIT
/*
 * bench_report: one JSON line per run and a human table.
 */
#include <stdio.h>
#include <time.h>

#include "bench_stats.h"

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static double per(double n, double d)
{
	return d > 0 ? n / d : 0;
}

static bool is_conn(const struct bench_result *r)
{
	return r->scenario[0] == 'c';
}

bool result_saturated(const struct bench_result *r)
{
	return r->duration > 0 &&
	       (r->bench_pub_cpu_s >= 0.9 * r->duration || r->bench_sub_cpu_s >= 0.9 * r->duration);
}

bool result_failed(const struct bench_result *r)
{
	if (is_conn(r))
		return r->conns_failed > 0 || r->errors > 0;
	return (r->qos > 0 && r->lost > 0) || r->reordered > 0 || (r->qos == 2 && r->dup > 0) ||
	       r->bad > 0 || r->errors > 0;
}

/* A JSON number, or null for a figure that was not measured. */
static void jnum(FILE *f, const char *key, double v, bool have)
{
	if (have)
		fprintf(f, ",\"%s\":%.6g", key, v);
	else
		fprintf(f, ",\"%s\":null", key);
}

void result_json(FILE *f, const struct bench_result *r)
{
	double rate = per((double)r->delivered_window, r->duration);
	bool b = r->have_broker;

	fprintf(f, "{\"scenario\":\"%s\",\"broker\":\"%s\",\"time\":%lld,\"mqtt\":%d,\"qos\":%d",
		r->scenario, r->label ? r->label : "", (long long)time(NULL), r->version, r->qos);
	fprintf(f, ",\"ncpu\":%d,\"duration_s\":%.3f,\"warmup_s\":%.3f", r->ncpu, r->duration,
		r->warmup);
	if (r->transport)
		fprintf(f, ",\"transport\":\"%s\"", r->transport);
	if (is_conn(r)) {
		fprintf(f, ",\"conns\":%u,\"conns_ok\":%u,\"conns_failed\":%u,\"errors\":%llu",
			r->conns, r->conns_ok, r->conns_failed, (unsigned long long)r->errors);
		fprintf(f, ",\"conn_rate_target\":%.6g,\"open_s\":%.3f", r->conn_rate, r->open_s);
		fprintf(f, ",\"conn_rate\":%.6g", per(r->conns_ok, r->open_s));
		fprintf(f, ",\"conn_p50_us\":%.1f,\"conn_p99_us\":%.1f,\"conn_max_us\":%.1f",
			us(hist_pct(&r->conn_lat, 50)), us(hist_pct(&r->conn_lat, 99)),
			us(r->conn_lat.count ? r->conn_lat.max : 0));
		jnum(f, "broker_rss_base_kb", (double)r->rss_base_kb, b);
		jnum(f, "broker_rss_conns_kb", (double)r->rss_conns_kb, b);
		jnum(f, "rss_per_conn_b",
		     per(((double)r->rss_conns_kb - (double)r->rss_base_kb) * 1024.0, r->conns_ok),
		     b && r->conns_ok);
	} else {
		fprintf(f, ",\"pubs\":%u,\"subs\":%u,\"size\":%u,\"window\":%u,\"inflight\":%u",
			r->pubs, r->subs, r->size, r->window, r->inflight);
		fprintf(f, ",\"rate\":%.6g", r->rate);
		fprintf(f, ",\"sent\":%llu,\"expected\":%llu,\"received\":%llu,\"delivered\":%llu",
			(unsigned long long)r->sent, (unsigned long long)r->expected,
			(unsigned long long)r->received, (unsigned long long)r->delivered);
		fprintf(f, ",\"lost\":%llu,\"dup\":%llu,\"reordered\":%llu,\"bad\":%llu",
			(unsigned long long)r->lost, (unsigned long long)r->dup,
			(unsigned long long)r->reordered, (unsigned long long)r->bad);
		fprintf(f, ",\"stalls\":%llu,\"errors\":%llu", (unsigned long long)r->stalls,
			(unsigned long long)r->errors);
		fprintf(f, ",\"pub_rate\":%.6g,\"msgs_per_s\":%.6g",
			per((double)r->sent_window, r->duration), rate);
		fprintf(f, ",\"lat_samples\":%llu,\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f",
			(unsigned long long)r->lat.count, us(hist_pct(&r->lat, 50)),
			us(hist_pct(&r->lat, 99)));
		if (r->ack_lat.count)
			fprintf(f, ",\"ack_samples\":%llu,\"ack_p50_us\":%.1f,\"ack_p99_us\":%.1f",
				(unsigned long long)r->ack_lat.count, us(hist_pct(&r->ack_lat, 50)),
				us(hist_pct(&r->ack_lat, 99)));
		fprintf(f, ",\"lat_p999_us\":%.1f,\"lat_max_us\":%.1f", us(hist_pct(&r->lat, 99.9)),
			us(r->lat.count ? r->lat.max : 0));
		jnum(f, "msgs_per_broker_cpu_s", per((double)r->delivered_window, r->broker_cpu_s),
		     b && r->broker_cpu_s > 0);
		jnum(f, "msgs_per_machine_cpu_s",
		     per((double)r->delivered_window, r->machine_cpu_s), r->machine_cpu_s > 0);
		/* wake-ups (voluntary context switches) per delivery: what a light-load latency
		 * is made of (README "Light-load latency: which bench is right") */
		jnum(f, "bench_wakeups_per_msg",
		     per((double)r->bench_vcsw, (double)r->delivered_window), true);
		jnum(f, "broker_wakeups_per_msg",
		     per((double)r->broker_vcsw, (double)r->delivered_window), b);
		jnum(f, "broker_preempted_per_msg",
		     per((double)r->broker_ivcsw, (double)r->delivered_window), b);
	}
	jnum(f, "broker_cpu_s", r->broker_cpu_s, b);
	jnum(f, "broker_cpu_pct", 100.0 * per(r->broker_cpu_s, r->duration), b);
	fprintf(f, ",\"machine_cpu_s\":%.3f,\"machine_busy_pct\":%.1f", r->machine_cpu_s,
		r->machine_busy_pct);
	fprintf(f, ",\"bench_cpu_s\":%.3f,\"bench_cpu_pct\":%.1f", r->bench_cpu_s,
		100.0 * per(r->bench_cpu_s, r->duration));
	fprintf(f, ",\"bench_pub_thread_pct\":%.1f,\"bench_sub_thread_pct\":%.1f",
		100.0 * per(r->bench_pub_cpu_s, r->duration),
		100.0 * per(r->bench_sub_cpu_s, r->duration));
	fprintf(f, ",\"bench_saturated\":%s", result_saturated(r) ? "true" : "false");
	jnum(f, "other_cpu_s", r->machine_cpu_s - r->broker_cpu_s - r->bench_cpu_s, b);
	jnum(f, "broker_rss_peak_kb", (double)r->broker_rss_peak_kb, b);
	jnum(f, "broker_rss_start_kb", (double)r->broker_rss_start_kb, b);
	fprintf(f, ",\"ok\":%s}\n", result_failed(r) ? "false" : "true");
	fflush(f);
}

static void row(FILE *f, const char *k, const char *fmt, double v)
{
	fprintf(f, "  %-28s ", k);
	fprintf(f, fmt, v);
	fputc('\n', f);
}

void result_table(FILE *f, const struct bench_result *r)
{
	bool b = r->have_broker;

	fprintf(f, "%s  broker=%s  mqtt=%s  qos=%d  (%.1f s measured, %d cpus)\n", r->scenario,
		r->label ? r->label : "?", r->version == 5 ? "5.0" : "3.1.1", r->qos, r->duration,
		r->ncpu);
	if (is_conn(r)) {
		row(f, "connections ok", "%.0f", r->conns_ok);
		row(f, "connections failed", "%.0f", r->conns_failed);
		row(f, "dropped while held", "%.0f", (double)r->errors);
		row(f, "open time s", "%.3f", r->open_s);
		row(f, "connect rate /s", "%.0f", per(r->conns_ok, r->open_s));
		row(f, "connect p50 us", "%.1f", us(hist_pct(&r->conn_lat, 50)));
		row(f, "connect p99 us", "%.1f", us(hist_pct(&r->conn_lat, 99)));
		row(f, "connect max us", "%.1f", us(r->conn_lat.count ? r->conn_lat.max : 0));
		if (b) {
			row(f, "broker RSS before KiB", "%.0f", (double)r->rss_base_kb);
			row(f, "broker RSS with conns KiB", "%.0f", (double)r->rss_conns_kb);
			row(f, "RSS per connection B", "%.0f",
			    per(((double)r->rss_conns_kb - (double)r->rss_base_kb) * 1024.0,
				r->conns_ok));
		}
	} else {
		fprintf(f, "  pubs=%u subs=%u size=%u window=%u inflight=%u rate=%s\n", r->pubs,
			r->subs, r->size, r->window, r->inflight,
			r->rate > 0 ? "fixed" : "closed-loop");
		if (r->rate > 0)
			row(f, "target rate /s", "%.0f", r->rate);
		row(f, "published /s", "%.0f", per((double)r->sent_window, r->duration));
		row(f, "delivered /s", "%.0f", per((double)r->delivered_window, r->duration));
		row(f, "sent (whole run)", "%.0f", (double)r->sent);
		row(f, "expected deliveries", "%.0f", (double)r->expected);
		row(f, "received (distinct)", "%.0f", (double)r->received);
		row(f, "lost", "%.0f", (double)r->lost);
		row(f, "duplicates", "%.0f", (double)r->dup);
		row(f, "reordered", "%.0f", (double)r->reordered);
		if (r->bad || r->errors || r->stalls) {
			row(f, "malformed/unexpected", "%.0f", (double)r->bad);
			row(f, "connection errors", "%.0f", (double)r->errors);
			row(f, "window stalls", "%.0f", (double)r->stalls);
		}
		row(f, "latency p50 us", "%.1f", us(hist_pct(&r->lat, 50)));
		row(f, "latency p99 us", "%.1f", us(hist_pct(&r->lat, 99)));
		row(f, "latency p99.9 us", "%.1f", us(hist_pct(&r->lat, 99.9)));
		row(f, "latency max us", "%.1f", us(r->lat.count ? r->lat.max : 0));
		if (r->ack_lat.count) {
			row(f, "PUBACK/PUBREC p50 us", "%.1f", us(hist_pct(&r->ack_lat, 50)));
			row(f, "PUBACK/PUBREC p99 us", "%.1f", us(hist_pct(&r->ack_lat, 99)));
		}
		if (b && r->broker_cpu_s > 0)
			row(f, "msgs per broker CPU-s", "%.0f",
			    per((double)r->delivered_window, r->broker_cpu_s));
		if (r->machine_cpu_s > 0)
			row(f, "msgs per machine CPU-s", "%.0f",
			    per((double)r->delivered_window, r->machine_cpu_s));
		row(f, "bench wake-ups per msg", "%.3f",
		    per((double)r->bench_vcsw, (double)r->delivered_window));
		if (b)
			row(f, "broker wake-ups per msg", "%.3f",
			    per((double)r->broker_vcsw, (double)r->delivered_window));
	}
	if (b) {
		row(f, "broker CPU s", "%.2f", r->broker_cpu_s);
		row(f, "broker CPU %", "%.1f", 100.0 * per(r->broker_cpu_s, r->duration));
		row(f, "broker peak RSS KiB", "%.0f", (double)r->broker_rss_peak_kb);
	}
	row(f, "machine CPU s (all cores)", "%.2f", r->machine_cpu_s);
	row(f, "machine busy %", "%.1f", r->machine_busy_pct);
	row(f, "bench CPU s", "%.2f", r->bench_cpu_s);
	row(f, "bench CPU %", "%.1f", 100.0 * per(r->bench_cpu_s, r->duration));
	row(f, "bench pub thread %", "%.1f", 100.0 * per(r->bench_pub_cpu_s, r->duration));
	if (!is_conn(r))
		row(f, "bench sub thread % (max)", "%.1f",
		    100.0 * per(r->bench_sub_cpu_s, r->duration));
	if (b) {
		double other = r->machine_cpu_s - r->broker_cpu_s - r->bench_cpu_s;

		row(f, "other CPU s (kernel, others)", "%.2f", other);
		if (other > 0.5 * r->duration)
			fprintf(f, "  %-28s %s\n", "WARNING",
				"other load used over half a core: figures are disturbed");
	}
	if (result_saturated(r))
		fprintf(f, "  %-28s %s\n", "WARNING",
			"a bench thread used >= 90% of a core: the tool may be the bottleneck");
	fprintf(f, "  %-28s %s\n", "integrity", result_failed(r) ? "FAILED" : "ok");
	fflush(f);
}
