/* SPDX-License-Identifier: MIT */
/*
 * storegen: write a durable store directly through the store API (include/store.h), for the
 * restart tests and benchmarks (t_store_1m.sh, scripts/bench.sh): one offline persistent
 * session with a subscription and N queued QoS 1 messages. Publishing a million messages over
 * MQTT to an offline session takes minutes on the CI machine; through the API it takes seconds,
 * and what mqttgwd loads is the same rows its own staging would write.
 *
 *   storegen DIR FILE N [PAYLOAD_BYTES [CLIENT_ID [TOPIC [BRIDGE]]]]
 *
 * CLIENT_ID "bridge:NAME": the N messages are queued for bridge NAME's uplink instead (QoS 1,
 * as the bridge stages them), with no session (the store overhead of a bridge queue).
 *
 * Session: CLIENT_ID (default "offline-1"), MQTT 3.1.1, session expiry never, offline since now;
 * subscription TOPIC's first level + "/#" at QoS 1 (default topic "bench/queued"). Message i
 * (from 0) has a payload that starts with "%010llu:" (i) padded with 'p' to PAYLOAD_BYTES
 * (default 64), so that a reader can check order and content. Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

enum { PER_BATCH = 20000 };

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for batch seq to be durable, as the broker's loop would (poll on the event fd). */
static int wait_durable(struct store *st, uint64_t seq)
{
	while (store_dispatch(st) < seq) {
		struct pollfd p = {.fd = store_event_fd(st), .events = POLLIN};

		if (poll(&p, 1, 60000) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "storegen: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	return 1;
}

int main(int argc, char **argv)
{
	char msg[512], filter[256], *payload;
	const char *cid, *topic, *slash, *bridge;
	struct store_opts o = {0};
	struct store_session s = {0};
	struct store_stats stats;
	struct store *st;
	unsigned long long n;
	size_t size;

	if (argc < 4)
		return fail(
		    "usage: storegen DIR FILE N [PAYLOAD_BYTES [CLIENT_ID [TOPIC [BRIDGE]]]]",
		    NULL);
	n = strtoull(argv[3], NULL, 10);
	size = argc > 4 ? strtoul(argv[4], NULL, 10) : 64;
	cid = argc > 5 ? argv[5] : "offline-1";
	bridge = strncmp(cid, "bridge:", 7) ? NULL : cid + 7;
	topic = argc > 6 ? argv[6] : "bench/queued";
	bridge = argc > 7 ? argv[7] : NULL;
	if (size < 12 || size > 65536)
		return fail("PAYLOAD_BYTES must be 12..65536", NULL);
	slash = strchr(topic, '/');
	snprintf(filter, sizeof(filter), "%.*s/#",
		 (int)(slash ? slash - topic : (long)strlen(topic)), topic);

	o.dir = argv[1];
	o.file = argv[2];
	/* normal: the generator's own durability does not matter, store_close() flushes */
	o.sync = STORE_SYNC_NORMAL;
	st = store_open(&o, msg, sizeof(msg));
	if (!st)
		return fail("store_open", msg);
	if (msg[0])
		fprintf(stderr, "storegen: %s\n", msg);
	if (store_load(st, NULL, NULL, NULL))
		return fail("store_load", NULL);

	s.client_id = cid;
	s.client_id_len = (uint16_t)strlen(cid);
	s.proto = 4;
	s.expiry_interval = UINT32_MAX;
	s.disconnect_ms = wall_ms();
	if (!bridge && (store_session_put(st, &s) ||
			store_sub_put(st, s.id, filter, (uint16_t)strlen(filter), 1, 0)))
		return fail("staging the session", strerror(ENOMEM));

	payload = malloc(size);
	if (!payload)
		return fail("malloc", NULL);
	memset(payload, 'p', size);
	for (unsigned long long i = 0; i < n; i++) {
		struct store_msg m = {
		    .topic = topic,
		    .topic_len = (uint16_t)strlen(topic),
		    .payload = (const uint8_t *)payload,
		    .payload_len = (uint32_t)size,
		    .qos = 1,
		};
		char head[24];
		uint64_t id;

		snprintf(head, sizeof(head), "%010llu:", i);
		memcpy(payload, head, 11);
		id = store_msg_add(st, &m);
		if (!id || !(bridge ? store_bridge_add(st, bridge, (uint16_t)strlen(bridge), id, 1)
				    : store_out_add(st, s.id, id, 1, 0, 0, 0)))
			return fail("staging a message", strerror(ENOMEM));
		/* bounded memory: commit every PER_BATCH, at most one batch ahead of the disk */
		if (i % PER_BATCH == PER_BATCH - 1 && wait_durable(st, store_commit(st)))
			return fail("commit", "not durable within 60 s");
	}
	if (wait_durable(st, store_commit(st)))
		return fail("commit", "not durable within 60 s");
	store_stats(st, &stats);
	if (!stats.writable)
		return fail("store not writable", stats.last_error_msg);
	printf("storegen: %llu messages of %zu bytes queued for %s%s (filter %s) in %s/%s\n", n,
	       size, bridge ? "bridge " : "", bridge ? bridge : cid, filter, o.dir, o.file);
	free(payload);
	store_close(st);
	return 0;
}
