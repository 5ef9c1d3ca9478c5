/* SPDX-License-Identifier: MIT */
/*
 * bench_stats: latency histogram, sequence sets, /proc readers and the per-run result.
 */
#ifndef MQTTGW_BENCH_STATS_H
#define MQTTGW_BENCH_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * HDR-like histogram: values below 2^HIST_SUB_BITS are exact, above that each power of two is
 * split into 2^(HIST_SUB_BITS-1) linear buckets, so a bucket is at most 1/64 (1.6%) wide
 * relative to its value. Covers all of uint64_t; no allocation per sample.
 */
#define HIST_SUB_BITS 7
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 2) << (HIST_SUB_BITS - 1))

struct hist {
	uint64_t count;
	uint64_t min, max;
	uint64_t b[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
/* Value at percentile pct (0..100): the middle of the bucket holding it, clamped to [min, max];
 * 0 when empty. */
uint64_t hist_pct(const struct hist *h, double pct);

/* Set of sequence numbers received, a bitmap grown by doubling. */
struct seqset {
	uint64_t *bits;
	uint64_t nwords;
};
#define SEQSET_MAX (1ull << 34) /* a larger seq is treated as corrupt */

/* 1 if seq was already in the set, 0 if newly added, -1 if seq is out of range or no memory. */
int seqset_add(struct seqset *s, uint64_t seq);
void seqset_free(struct seqset *s);

uint64_t now_ns(void);
uint64_t thread_cpu_ns(void);
uint64_t process_cpu_ns(void);

/* Whole-machine CPU from /proc/stat, in clock ticks summed over all cores. */
struct machine_cpu {
	uint64_t total; /* user+nice+system+idle+iowait+irq+softirq+steal */
	uint64_t busy;	/* total - idle - iowait */
};
int proc_machine_cpu(struct machine_cpu *m);
/* utime + stime of a process in seconds. */
int proc_pid_cpu(int pid, double *sec);
/* VmRSS and VmHWM in KiB. */
int proc_pid_mem(int pid, uint64_t *rss_kb, uint64_t *hwm_kb);
/* Voluntary (sleeps: a wake-up each) and involuntary context switches of every thread of pid
 * (0: this process), summed over /proc/PID/task/.../status. */
int proc_pid_ctxt(int pid, uint64_t *vol, uint64_t *invol);
/* Reset VmHWM to the current RSS (writes 5 to /proc/PID/clear_refs). */
int proc_pid_reset_hwm(int pid);
double clk_tck(void);

struct bench_result {
	const char *scenario;
	const char *label;
	const char *transport; /* "tcp" or "ws" */
	int version, qos;
	uint32_t pubs, subs, size, window, inflight;
	double rate;
	double duration; /* measured window, seconds */
	double warmup;
	/* messages */
	uint64_t sent, sent_window;
	uint64_t delivered, delivered_window;
	uint64_t expected, received; /* distinct, over the whole run after the drain */
	uint64_t lost, dup, reordered, bad, stalls, errors;
	struct hist lat;
	struct hist ack_lat; /* publisher's PUBLISH to PUBACK/PUBREC */
	/* CPU, over the measured window */
	bool have_broker;
	double broker_cpu_s;
	double machine_cpu_s, machine_busy_pct;
	double bench_cpu_s;
	double bench_pub_cpu_s; /* the publisher (or connections) thread */
	double bench_sub_cpu_s; /* the busiest subscriber thread */
	/* context switches over the window, all threads (issue 15: wake-ups per message) */
	uint64_t bench_vcsw, bench_ivcsw, broker_vcsw, broker_ivcsw;
	uint64_t broker_rss_peak_kb, broker_rss_start_kb, broker_rss_end_kb;
	int ncpu;
	/* connections */
	uint32_t conns, conns_ok, conns_failed;
	double conn_rate, open_s;
	struct hist conn_lat;
	uint64_t rss_base_kb, rss_conns_kb;
};

void result_json(FILE *f, const struct bench_result *r);
void result_table(FILE *f, const struct bench_result *r);
/* True if one of the tool's threads used >= 90% of a core: it may have limited the rate. */
bool result_saturated(const struct bench_result *r);
/* True if the run violated an integrity rule: QoS 1/2 loss, any reordering, QoS 2 dups. */
bool result_failed(const struct bench_result *r);

#endif /* MQTTGW_BENCH_STATS_H */
