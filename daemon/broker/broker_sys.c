/* SPDX-License-Identifier: MIT */
/* broker_sys: $SYS/broker/... topics (Mosquitto's names), published retained every sys_interval. */
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker_deliver.h"
#include "broker_fastpath.h"
#include "broker_store.h"
#include "broker_sys.h"
#include "version.h"

static void sys_pub(struct broker *b, const char *topic, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sys_pub(struct broker *b, const char *topic, const char *fmt, ...)
{
	char val[128];
	va_list ap;
	int n;
	struct pub p = { 0 };

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return;
	p.topic = topic;
	p.topic_len = (uint16_t)strlen(topic);
	p.payload = (const uint8_t *)val;
	p.payload_len = (uint32_t)n;
	p.retain = 1;
	broker_publish(b, &p);
	pub_release(&p);
}

static void sys_pub_str(struct broker *b, const char *topic, const char *value)
{
	sys_pub(b, topic, "%s", value);
}

/* $SYS/broker/store/...: the durable store, when persistence is on */
static void sys_store(struct broker *b)
{
	struct store_stats ss;

	if (!b->store)
		return;
	store_stats(b->store->st, &ss);
	sys_pub(b, "$SYS/broker/store/bytes", "%" PRIu64, ss.db_bytes);
	sys_pub(b, "$SYS/broker/store/messages", "%" PRIu64, ss.messages);
	sys_pub(b, "$SYS/broker/store/commits", "%" PRIu64, ss.commits);
	sys_pub(b, "$SYS/broker/store/commit_latency_us", "%" PRIu64, ss.last_commit_us);
	sys_pub(b, "$SYS/broker/store/commit_latency_max_us", "%" PRIu64, ss.max_commit_us);
	sys_pub(b, "$SYS/broker/store/writable", "%s", ss.writable ? "true" : "false");
	sys_pub(b, "$SYS/broker/store/last_error", "%s",
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

void broker_sys_publish(struct broker *b)
{
	static uint64_t heap_max;
	const struct broker_stats *st = &b->st;
	uint64_t heap = heap_current();
	uint64_t total = b->sessions.n;
	/* PUBLISHes the kernel relayed count as received and sent, as if the daemon had */
	uint64_t kbytes, kmsgs = broker_fp_relayed(b, &kbytes);

	if (heap > heap_max)
		heap_max = heap;
	sys_pub(b, "$SYS/broker/version", "mqttgw version %s", MQTTGW_VERSION);
	sys_pub(b, "$SYS/broker/uptime", "%" PRId64 " seconds", loop_wall() - b->start_wall);
	sys_pub(b, "$SYS/broker/clients/connected", "%u", b->n_clients);
	sys_pub(b, "$SYS/broker/clients/active", "%u", b->n_clients);
	sys_pub(b, "$SYS/broker/clients/total", "%" PRIu64, total);
	sys_pub(b, "$SYS/broker/clients/disconnected", "%" PRIu64,
		total > b->n_clients ? total - b->n_clients : 0);
	sys_pub(b, "$SYS/broker/clients/inactive", "%" PRIu64,
		total > b->n_clients ? total - b->n_clients : 0);
	sys_pub(b, "$SYS/broker/clients/maximum", "%" PRIu64, st->clients_max);
	sys_pub(b, "$SYS/broker/clients/expired", "%" PRIu64, st->clients_expired);
	sys_pub(b, "$SYS/broker/clients/auth_failed", "%" PRIu64, st->auth_failed);
	sys_pub(b, "$SYS/broker/messages/received", "%" PRIu64, st->msgs_received + kmsgs);
	sys_pub(b, "$SYS/broker/messages/sent", "%" PRIu64, st->msgs_sent + kmsgs);
	sys_pub(b, "$SYS/broker/publish/messages/received", "%" PRIu64, st->pub_received + kmsgs);
	sys_pub(b, "$SYS/broker/publish/messages/sent", "%" PRIu64, st->pub_sent + kmsgs);
	sys_pub(b, "$SYS/broker/publish/messages/dropped", "%" PRIu64, st->pub_dropped);
	sys_pub(b, "$SYS/broker/publish/bytes/received", "%" PRIu64, st->pub_bytes_received);
	sys_pub(b, "$SYS/broker/publish/bytes/sent", "%" PRIu64, st->pub_bytes_sent);
	sys_pub(b, "$SYS/broker/bytes/received", "%" PRIu64, conn_stats.bytes_in + kbytes);
	sys_pub(b, "$SYS/broker/bytes/sent", "%" PRIu64, conn_stats.bytes_out + kbytes);
	sys_pub(b, "$SYS/broker/subscriptions/count", "%zu", topic_sub_count(b->topics));
	sys_pub(b, "$SYS/broker/heap/current", "%" PRIu64, heap);
	sys_pub(b, "$SYS/broker/heap/maximum", "%" PRIu64, heap_max);
	broker_fp_sys(b, sys_pub_str);
	sys_store(b);
	/* after every other value, so it counts the $SYS messages themselves */
	sys_pub(b, "$SYS/broker/retained messages/count", "%zu",
		topic_retain_count(b->topics) + 1);
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
