/* SPDX-License-Identifier: MIT */
/* metrics: Prometheus text exposition 0.0.4 (L0). See include/metrics.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* metrics_hist_bounds_us in seconds as %g writes them (test_metrics checks they agree) */
const char *const metrics_hist_le[METRICS_HIST_N] = {
    "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025", "0.05",   "0.1",	  "0.25",   "0.5",   "1",      "2.5",	"10",
};

static bool reserve(struct metrics_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->err)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void put(struct metrics_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct metrics_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct metrics_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct metrics_buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!b->err)
			b->err = -ENOSPC;
		return;
	}
	put(b, tmp, (size_t)n);
}

/* s with \\ and \n escaped (and \" when quoted: label values); plain runs copied whole */
static void put_escaped(struct metrics_buf *b, const char *s, bool quoted)
{
	const char *special = quoted ? "\\\n\"" : "\\\n";

	for (;;) {
		size_t n = strcspn(s, special);

		put(b, s, n);
		s += n;
		if (!*s)
			return;
		put(b, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2);
		s++;
	}
}

/* v in decimal: no printf on the render path (it was a tenth of a scrape's time) */
static void put_u64(struct metrics_buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b, tmp + i, sizeof(tmp) - i);
}

bool metrics_name_ok(const char *name)
{
	if (!name || !*name || (*name >= '0' && *name <= '9'))
		return false;
	for (; *name; name++)
		if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
		      (*name >= '0' && *name <= '9') || *name == '_' || *name == ':'))
			return false;
	return true;
}

static bool check_name(struct metrics_buf *b, const char *name)
{
	if (metrics_name_ok(name))
		return true;
	if (!b->err)
		b->err = -EINVAL;
	return false;
}

void metrics_family(struct metrics_buf *b, const char *name, enum metrics_type type,
		    const char *help)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};

	if (!check_name(b, name))
		return;
	putf(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	putf(b, "\n# TYPE %s %s\n", name, types[type]);
}

void metrics_sample(struct metrics_buf *b, const char *name, const char *label,
		    const char *label_value, uint64_t v)
{
	if (!check_name(b, name) || (label && !check_name(b, label)))
		return;
	puts_(b, name);
	if (label) {
		put(b, "{", 1);
		puts_(b, label);
		put(b, "=\"", 2);
		put_escaped(b, label_value, true);
		put(b, "\"}", 2);
	}
	metrics_value(b, v);
}

void metrics_value(struct metrics_buf *b, uint64_t v)
{
	put(b, " ", 1);
	put_u64(b, v);
	put(b, "\n", 1);
}

void metrics_append(struct metrics_buf *b, const char *s, size_t n)
{
	put(b, s, n);
}

void metrics_hist(struct metrics_buf *b, const char *name, const struct metrics_hist *h)
{
	uint64_t cum = 0;

	if (!check_name(b, name))
		return;
	for (unsigned int i = 0; i <= METRICS_HIST_N; i++) {
		cum += h->bucket[i];
		puts_(b, name);
		put(b, "_bucket{le=\"", 12);
		puts_(b, i < METRICS_HIST_N ? metrics_hist_le[i] : "+Inf");
		put(b, "\"}", 2);
		metrics_value(b, cum);
	}
	/* the sum in seconds with six decimals, exactly (it counts microseconds) */
	puts_(b, name);
	put(b, "_sum ", 5);
	put_u64(b, h->sum_us / 1000000);
	putf(b, ".%06u\n", (unsigned int)(h->sum_us % 1000000));
	puts_(b, name);
	put(b, "_count", 6);
	metrics_value(b, h->count);
}

void metrics_buf_reset(struct metrics_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = '\0';
}

void metrics_buf_free(struct metrics_buf *b)
{
	free(b->p);
	*b = (struct metrics_buf){0};
}
