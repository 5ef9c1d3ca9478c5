// SPDX-License-Identifier: MIT
/*
 * bench_stats: latency histogram, sequence sets and /proc readers.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define HIST_HALF (1u << (HIST_SUB_BITS - 1))

static unsigned int hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < (1u << HIST_SUB_BITS))
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS + 1;
	return (shift << (HIST_SUB_BITS - 1)) + (unsigned int)(v >> shift);
}

/* Lowest value of bucket idx, and its width. */
static void hist_bucket(unsigned int idx, uint64_t *lo, uint64_t *width)
{
	unsigned int shift;

	if (idx < (1u << HIST_SUB_BITS)) {
		*lo = idx;
		*width = 1;
		return;
	}
	shift = (idx >> (HIST_SUB_BITS - 1)) - 1;
	*lo = (uint64_t)(idx - (shift << (HIST_SUB_BITS - 1))) << shift;
	*width = 1ull << shift;
}

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->count++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_pct(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0, lo, width, v;

	if (!h->count)
		return 0;
	if (pct >= 100.0)
		return h->max;
	rank = (uint64_t)((pct / 100.0) * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > rank) {
			hist_bucket(i, &lo, &width);
			v = lo + width / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

int seqset_add(struct seqset *s, uint64_t seq)
{
	uint64_t w = seq >> 6, bit = 1ull << (seq & 63);

	if (seq >= SEQSET_MAX)
		return -1;
	if (w >= s->nwords) {
		uint64_t n = s->nwords ? s->nwords : 1024;
		uint64_t *nb;

		while (n <= w)
			n *= 2;
		nb = realloc(s->bits, n * sizeof(*nb));
		if (!nb)
			return -1;
		memset(nb + s->nwords, 0, (n - s->nwords) * sizeof(*nb));
		s->bits = nb;
		s->nwords = n;
	}
	if (s->bits[w] & bit)
		return 1;
	s->bits[w] |= bit;
	return 0;
}

void seqset_free(struct seqset *s)
{
	free(s->bits);
	s->bits = NULL;
	s->nwords = 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

uint64_t process_cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

double clk_tck(void)
{
	static long t;

	if (!t)
		t = sysconf(_SC_CLK_TCK);
	return t > 0 ? (double)t : 100.0;
}

static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

int proc_machine_cpu(struct machine_cpu *m)
{
	char buf[512];
	unsigned long long v[8] = {0};
	ssize_t n = read_file("/proc/stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) < 5)
		return -EINVAL;
	m->total = 0;
	for (int i = 0; i < 8; i++)
		m->total += v[i];
	m->busy = m->total - v[3] - v[4];
	return 0;
}

int proc_pid_cpu(int pid, double *sec)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* comm may hold spaces and parentheses: fields resume after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* state(3) ... utime is field 14, stime 15: skip 11 fields after ')' */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EINVAL;
	*sec = (double)(ut + st) / clk_tck();
	return 0;
}

int proc_pid_mem(int pid, uint64_t *rss_kb, uint64_t *hwm_kb)
{
	char path[64], buf[4096], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	*rss_kb = *hwm_kb = 0;
	p = strstr(buf, "VmHWM:");
	if (p)
		*hwm_kb = strtoull(p + 6, NULL, 10);
	p = strstr(buf, "VmRSS:");
	if (p)
		*rss_kb = strtoull(p + 6, NULL, 10);
	return 0;
}

int proc_pid_ctxt(int pid, uint64_t *vol, uint64_t *invol)
{
	char dir[64], path[352], buf[4096], *p;
	struct dirent *e;
	DIR *d;

	*vol = *invol = 0;
	if (pid)
		snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	else
		snprintf(dir, sizeof(dir), "/proc/self/task");
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", dir, e->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0)
			continue; /* the thread ended meanwhile */
		p = strstr(buf, "\nvoluntary_ctxt_switches:");
		if (p)
			*vol += strtoull(p + 25, NULL, 10);
		p = strstr(buf, "nonvoluntary_ctxt_switches:");
		if (p)
			*invol += strtoull(p + 27, NULL, 10);
	}
	closedir(d);
	return 0;
}

int proc_pid_reset_hwm(int pid)
{
	char path[64];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "5", 1) != 1)
		rc = -errno;
	close(fd);
	return rc;
}
