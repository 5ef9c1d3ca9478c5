/* SPDX-License-Identifier: MIT */
/* broker_sys: $SYS/broker/... topics (Mosquitto's names), published retained every sys_interval. */
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_bridge.h"
#include "broker_deliver.h"
#include "broker_fastpath.h"
#include "broker_store.h"
#include "broker_sys.h"
#include "guard.h"
#include "version.h"

#define C BROKER_FIG_COUNTER
#define G BROKER_FIG_GAUGE

/* One figure into the sink; value printf-formatted (at most 127 bytes: longer ones are dropped). */
static void fig(struct broker_figures *f, enum broker_fig_kind kind, const char *topic,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fig(struct broker_figures *f, enum broker_fig_kind kind, const char *topic,
		const char *fmt, ...)
{
	char val[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return;
	f->fn(f->ctx, topic, val, kind);
}

/* The figures of the fast path, the bridges and the XDP guard come as (topic, value): a value
 * that is not a number is information; the few that go down as well as up are gauges. */
static enum broker_fig_kind kind_of(const char *topic, const char *value)
{
	static const char *const gauges[] = {
	    "/fastpath/active", "/fastpath/sockets", "/fastpath/routes", "/fastpath/flows/",
	    "/xdp/bans",	"/queued",	     "/inflight",
	};
	char *end;

	if (!*value || (strtoull(value, &end, 10), *end))
		return BROKER_FIG_INFO;
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (strstr(topic, gauges[i]))
			return BROKER_FIG_GAUGE;
	return BROKER_FIG_COUNTER;
}

static void fig_str(struct broker *b, const char *topic, const char *value)
{
	struct broker_figures *f = b->figs;

	f->fn(f->ctx, topic, value, kind_of(topic, value));
}

/* $SYS/broker/store/...: the durable store, when persistence is on */
static void sys_store(struct broker *b, struct broker_figures *f)
{
	struct store_stats ss;

	if (!b->store)
		return;
	store_stats(b->store->st, &ss);
	fig(f, G, "$SYS/broker/store/bytes", "%" PRIu64, ss.db_bytes);
	fig(f, G, "$SYS/broker/store/messages", "%" PRIu64, ss.messages);
	fig(f, C, "$SYS/broker/store/commits", "%" PRIu64, ss.commits);
	fig(f, C, "$SYS/broker/store/cancelled", "%" PRIu64, ss.cancelled);
	fig(f, G, "$SYS/broker/store/commit_latency_us", "%" PRIu64, ss.last_commit_us);
	fig(f, G, "$SYS/broker/store/commit_latency_max_us", "%" PRIu64, ss.max_commit_us);
	/* "true"/"false" on $SYS, 1/0 in /metrics */
	fig(f, BROKER_FIG_BOOL, "$SYS/broker/store/writable", "%s", ss.writable ? "true" : "false");
	fig(f, BROKER_FIG_INFO, "$SYS/broker/store/last_error", "%s",
	    ss.last_error ? ss.last_error_msg : "none");
}

static uint64_t heap_current(void)
{
	struct mallinfo2 mi = mallinfo2();
	uint64_t heap = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
	unsigned long pages[7] = { 0 };
	FILE *f;

	if (heap)
		return heap;
	/* another allocator (e.g. a sanitizer's) hides glibc's numbers: report the data
	 * segment (data + stack pages of /proc/self/statm) instead */
	f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu %lu %lu %lu %lu", &pages[0], &pages[1], &pages[2], &pages[3],
		   &pages[4], &pages[5]) != 6)
		pages[5] = 0;
	fclose(f);
	return (uint64_t)pages[5] * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * mallinfo2() walks the allocator's free lists: its cost grows with the heap. $SYS samples it
 * every sys_interval; a /metrics scrape reuses that sample while it is younger than
 * max(sys_interval, HEAP_SAMPLE_S), so scraping every 100 ms adds no heap walk to the loop.
 */
#define HEAP_SAMPLE_S 10

static uint64_t heap_sample(struct broker *b, bool sys)
{
	static uint64_t heap;
	static int64_t at; /* loop_now() of the sample, 0: none yet */
	int64_t now = loop_now(b->loop);
	uint32_t max_s = b->cfg->sys_interval;

	if (max_s < HEAP_SAMPLE_S)
		max_s = HEAP_SAMPLE_S;
	if (sys || !at || now - at >= (int64_t)max_s * 1000) {
		heap = heap_current();
		at = now ? now : 1;
	}
	return heap;
}

/* guard_sys_each's names are relative to $SYS/broker/ */
static void sys_guard(void *ctx, const char *name, const char *value)
{
	char topic[128];

	if (snprintf(topic, sizeof(topic), "$SYS/broker/%s", name) < (int)sizeof(topic))
		fig_str(ctx, topic, value);
}

void broker_set_guard(struct broker *b, const struct guard *g)
{
	b->guard = g;
}

void broker_figures(struct broker *b, bool sys, struct broker_figures *f)
{
	static uint64_t heap_max;
	const struct broker_stats *st = &b->st;
	uint64_t heap = heap_sample(b, sys);
	uint64_t total = b->sessions.n;
	uint64_t off = total > b->n_clients ? total - b->n_clients : 0;
	/* PUBLISHes the kernel relayed count as received and sent, as if the daemon had */
	uint64_t kbytes, kmsgs = broker_fp_relayed(b, &kbytes);

	if (heap > heap_max)
		heap_max = heap;
	b->figs = f;
	fig(f, BROKER_FIG_INFO, "$SYS/broker/version", "mqttgw version %s", MQTTGW_VERSION);
	fig(f, G, "$SYS/broker/uptime", "%" PRId64 " seconds", loop_wall() - b->start_wall);
	fig(f, G, "$SYS/broker/clients/connected", "%u", b->n_clients);
	fig(f, G, "$SYS/broker/clients/active", "%u", b->n_clients);
	fig(f, G, "$SYS/broker/clients/total", "%" PRIu64, total);
	fig(f, G, "$SYS/broker/clients/disconnected", "%" PRIu64, off);
	fig(f, G, "$SYS/broker/clients/inactive", "%" PRIu64, off);
	fig(f, G, "$SYS/broker/clients/maximum", "%" PRIu64, st->clients_max);
	fig(f, C, "$SYS/broker/clients/expired", "%" PRIu64, st->clients_expired);
	fig(f, C, "$SYS/broker/clients/auth_failed", "%" PRIu64, st->auth_failed);
	fig(f, C, "$SYS/broker/clients/half_dead", "%" PRIu64, st->clients_half_dead);
	fig(f, C, "$SYS/broker/messages/received", "%" PRIu64, st->msgs_received + kmsgs);
	fig(f, C, "$SYS/broker/messages/sent", "%" PRIu64, st->msgs_sent + kmsgs);
	fig(f, C, "$SYS/broker/publish/messages/received", "%" PRIu64, st->pub_received + kmsgs);
	fig(f, C, "$SYS/broker/publish/messages/sent", "%" PRIu64, st->pub_sent + kmsgs);
	fig(f, C, "$SYS/broker/publish/messages/dropped", "%" PRIu64, st->pub_dropped);
	fig(f, C, "$SYS/broker/publish/bytes/received", "%" PRIu64, st->pub_bytes_received);
	fig(f, C, "$SYS/broker/publish/bytes/sent", "%" PRIu64, st->pub_bytes_sent);
	fig(f, C, "$SYS/broker/bytes/received", "%" PRIu64, conn_stats.bytes_in + kbytes);
	fig(f, C, "$SYS/broker/bytes/sent", "%" PRIu64, conn_stats.bytes_out + kbytes);
	fig(f, G, "$SYS/broker/subscriptions/count", "%zu", topic_sub_count(b->topics));
	fig(f, G, "$SYS/broker/heap/current", "%" PRIu64, heap);
	fig(f, G, "$SYS/broker/heap/maximum", "%" PRIu64, heap_max);
	broker_fp_sys(b, fig_str);
	if (b->guard)
		guard_sys_each(b->guard, sys_guard, b);
	broker_bridge_sys(b, fig_str);
	sys_store(b, f);
	/* after every other value; on $SYS it counts the $SYS messages themselves */
	fig(f, G, "$SYS/broker/retained messages/count", "%zu",
	    topic_retain_count(b->topics) + (sys ? 1 : 0));
	b->figs = NULL;
}

/* $SYS: every figure as a retained message (Mosquitto's topics) */
static void sys_pub(void *ctx, const char *topic, const char *value, enum broker_fig_kind kind)
{
	struct broker *b = ctx;
	struct pub p = {0};

	(void)kind;
	p.topic = topic;
	p.topic_len = (uint16_t)strlen(topic);
	p.payload = (const uint8_t *)value;
	p.payload_len = (uint32_t)strlen(value);
	p.retain = 1;
	broker_publish(b, &p);
	pub_release(&p);
}

void broker_sys_publish(struct broker *b)
{
	struct broker_figures f = {sys_pub, b};

	broker_figures(b, true, &f);
}

static void sys_timer(struct loop *l, struct loop_timer *t)
{
	struct broker *b = t->ctx;

	broker_sys_publish(b);
	loop_timer_set(l, t, loop_now(l) + (int64_t)b->cfg->sys_interval * 1000);
}

void broker_sys_start(struct broker *b)
{
	loop_timer_init(&b->sys_timer, sys_timer, b);
	if (!b->cfg->sys_interval)
		return;
	broker_sys_publish(b);
	loop_timer_set(b->loop, &b->sys_timer,
		       loop_now(b->loop) + (int64_t)b->cfg->sys_interval * 1000);
}
