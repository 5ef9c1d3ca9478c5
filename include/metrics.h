/* SPDX-License-Identifier: MIT */
/*
 * metrics: the Prometheus text exposition format 0.0.4 (L0: no syscalls, no logging) and the
 * latency histograms behind it.
 *
 * A page is written into a growing buffer: metrics_family() once per metric family (# HELP and
 * # TYPE), then its samples. Names are checked ([a-zA-Z_:][a-zA-Z0-9_:]*) and label values
 * escaped (\\, \", \n), so a bridge or reason name can never break the page. An error (memory,
 * a bad name) sticks in buf->err and the page is then not served.
 */
#ifndef MQTTGW_METRICS_H
#define MQTTGW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum metrics_type { METRICS_COUNTER = 0, METRICS_GAUGE, METRICS_HISTOGRAM };

struct metrics_buf {
	char *p;
	size_t len, cap;
	int err; /* 0 or the first -errno */
};

/* Latency histogram: bucket upper bounds in microseconds (cumulated when written, +Inf last).
 * 50 us .. 10 s, about three buckets per decade. */
#define METRICS_HIST_N 16
static const uint32_t metrics_hist_bounds_us[METRICS_HIST_N] = {
    50,	   100,	  250,	  500,	  1000,	  2500,	   5000,    10000,
    25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 10000000,
};

/* the bounds in seconds, as the le labels write them */
extern const char *const metrics_hist_le[METRICS_HIST_N];

struct metrics_hist {
	uint64_t bucket[METRICS_HIST_N + 1]; /* per bucket (not cumulated); last: over 10 s */
	uint64_t count;
	uint64_t sum_us;
};

static inline void metrics_hist_add(struct metrics_hist *h, uint64_t us)
{
	unsigned int i = 0;

	while (i < METRICS_HIST_N && us > metrics_hist_bounds_us[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_us += us;
}

/* Is name a valid metric or label name? */
bool metrics_name_ok(const char *name);

/* # HELP name help and # TYPE name type. help is escaped (\\ and \n). */
void metrics_family(struct metrics_buf *b, const char *name, enum metrics_type type,
		    const char *help);

/* name{label="value"} v (label NULL: no labels). Values are integers: every figure we have is. */
void metrics_sample(struct metrics_buf *b, const char *name, const char *label,
		    const char *label_value, uint64_t v);

/* " v\n": the value that ends a sample line (after metrics_append() wrote its name and labels). */
void metrics_value(struct metrics_buf *b, uint64_t v);

/* n bytes of s as they are: text made earlier by these functions (a cached page layout). */
void metrics_append(struct metrics_buf *b, const char *s, size_t n);

/* The _bucket (le in seconds, cumulative, +Inf), _sum (seconds) and _count samples of h;
 * metrics_family(..., METRICS_HISTOGRAM, ...) first. */
void metrics_hist(struct metrics_buf *b, const char *name, const struct metrics_hist *h);

/* Empty b for the next page, keeping its memory. */
void metrics_buf_reset(struct metrics_buf *b);
void metrics_buf_free(struct metrics_buf *b);

#endif /* MQTTGW_METRICS_H */
