/* SPDX-License-Identifier: MIT */
/* metrics: Prometheus text exposition 0.0.4 (L0). See include/metrics.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

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

/* s with \\ and \n escaped (and \" when quoted: label values) */
static void put_escaped(struct metrics_buf *b, const char *s, bool quoted)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(b, "\\\\");
		else if (*s == '\n')
			puts_(b, "\\n");
		else if (*s == '"' && quoted)
			puts_(b, "\\\"");
		else
			put(b, s, 1);
	}
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
		putf(b, "{%s=\"", label);
		put_escaped(b, label_value, true);
		puts_(b, "\"}");
	}
	putf(b, " %" PRIu64 "\n", v);
}

void metrics_hist(struct metrics_buf *b, const char *name, const struct metrics_hist *h)
{
	uint64_t cum = 0;

	if (!check_name(b, name))
		return;
	for (unsigned int i = 0; i <= METRICS_HIST_N; i++) {
		cum += h->bucket[i];
		if (i < METRICS_HIST_N)
			putf(b, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
			     metrics_hist_bounds_us[i] / 1e6, cum);
		else
			putf(b, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
	}
	putf(b, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name, (double)h->sum_us / 1e6, name,
	     h->count);
}

void metrics_buf_free(struct metrics_buf *b)
{
	free(b->p);
	*b = (struct metrics_buf){0};
}
