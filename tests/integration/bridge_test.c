/* SPDX-License-Identifier: MIT */
/*
 * bridge-test: one bridge without the broker, for tests/integration/t_bridge_*.sh (until the
 * bridge is wired into mqttgwd). It reads a file holding one `connection` block, runs the
 * bridge in an event loop (with the durable store when -s is given), enqueues messages as a
 * local publisher would, and prints what the broker would see, one line each (stdout):
 *   STATE <state> queued= inflight= sent= acked= dropped= received= connects= reconnects=
 *         addr= err=<last error>        (on every change of state or counters, <= 10/s)
 *   IN <topic> <qos> <retain> <payload> an inbound message (deliver callback)
 *   NOTIFY <topic> <1|0>                a notification
 *   LOADED <n>                          entries the store gave back at start
 *   DURABLE <n>                         all n messages enqueued are durable in the store
 *                                       (-s; kill the process only after it: before, the
 *                                       store may not hold them, as a broker would not have
 *                                       acknowledged them yet)
 *   DRAINED                             -x: every enqueued message was acknowledged
 * Options: -c FILE (required), -s DIR (store), -t TOPIC -n COUNT -q QOS -p PREFIX (enqueue
 * COUNT messages "PREFIX<i>" on local TOPIC), -r N (N per 10 ms instead of all at once),
 * -x (exit 0 when drained), -T SECS (exit after SECS; 3 if -x did not drain), -L (deliver
 * answers BRIDGE_ACK_LATER; acked 20 ms later).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bridge.h"
#include "config_bridge.h"
#include "conn.h"
#include "loop.h"
#include "msg.h"
#include "store.h"

static struct loop *loop;
static struct bridge *br;
static struct store *st;
static struct loop_io store_io;
static struct loop_timer tick, acker;
static const char *topic = "t", *prefix = "m";
static long count, rate, sent_n;
static int qos, exit_code;
static bool drain, ack_later;
static uint64_t later[1024];
static unsigned n_later;
static char last_line[512];
static uint64_t durable_batch; /* the store batch holding the last enqueued message */
static bool durable_printed;
static int64_t last_print;

static void print_stats(bool force)
{
	struct bridge_stats s;
	char line[512];

	bridge_stats(br, &s);
	snprintf(line, sizeof(line),
		 "STATE %s queued=%" PRIu64 " inflight=%" PRIu64 " sent=%" PRIu64 " acked=%" PRIu64
		 " dropped=%" PRIu64 " received=%" PRIu64 " connects=%" PRIu64
		 " reconnects=%" PRIu64 " addr=%u err=%s",
		 bridge_state_name(s.state), s.queued, s.inflight, s.sent, s.acked, s.dropped,
		 s.received, s.connects, s.reconnects, s.address, s.last_error);
	if (strcmp(line, last_line) &&
	    (force || strncmp(line, last_line, 12) || loop_now(loop) - last_print >= 100)) {
		printf("%s\n", line);
		snprintf(last_line, sizeof(last_line), "%s", line);
		last_print = loop_now(loop);
	}
}

static int deliver(void *ctx, struct bridge *b, const struct bridge_inbound *in)
{
	(void)ctx;
	(void)b;
	printf("IN %s %u %u %.*s\n", in->topic, in->qos, in->retain, (int)in->payload_len,
	       (const char *)in->payload);
	if (ack_later && in->qos && n_later < 1024) {
		later[n_later++] = in->token;
		loop_timer_set(loop, &acker, loop_now(loop) + 20);
		return BRIDGE_ACK_LATER;
	}
	return 0;
}

static void notify(void *ctx, struct bridge *b, const char *t, bool up)
{
	(void)ctx;
	(void)b;
	printf("NOTIFY %s %d\n", t, up);
}

static const struct bridge_ops ops = {.deliver = deliver, .notify = notify};

static void ack_fn(struct loop *l, struct loop_timer *t)
{
	(void)l;
	(void)t;
	for (unsigned i = 0; i < n_later; i++)
		bridge_ack(br, later[i], 0);
	n_later = 0;
}

static void enqueue_some(long n)
{
	char payload[64];

	for (; n > 0 && sent_n < count; n--, sent_n++) {
		int len = snprintf(payload, sizeof(payload), "%s%ld", prefix, sent_n);
		struct msg *m = msg_new(NULL, topic, (uint16_t)strlen(topic), payload,
					(uint32_t)len, NULL, 0, (uint8_t)qos, 0, 0, NULL);
		uint64_t id = 0;
		int ret;

		if (!m) {
			fprintf(stderr, "bridge-test: out of memory\n");
			exit(1);
		}
		ret = bridge_enqueue(br, m, &id);
		msg_unref(m);
		if (ret < 0)
			printf("ENQUEUE-FAILED %ld %s\n", sent_n, strerror(-ret));
	}
}

static void tick_fn(struct loop *l, struct loop_timer *t)
{
	struct bridge_stats s;

	if (sent_n < count)
		enqueue_some(rate ? rate : count);
	bridge_stats(br, &s);
	if (drain && sent_n == count && !s.queued && !s.inflight) {
		printf("DRAINED\n");
		exit_code = 0;
		loop_stop(l);
		return;
	}
	loop_timer_set(l, t, loop_now(l) + 10);
}

static void print_durable(void)
{
	if (durable_batch && !durable_printed && store_durable_seq(st) >= durable_batch) {
		printf("DURABLE %ld\n", sent_n);
		durable_printed = true;
	}
}

static void before_wait(struct loop *l, void *ctx)
{
	(void)l;
	(void)ctx;
	if (st) {
		uint64_t seq = store_commit(st);

		if (count && sent_n == count && !durable_batch) {
			durable_batch = seq;
			store_want(st, seq);
		}
		print_durable();
	}
	conn_flush_all();
	print_stats(false);
	fflush(stdout);
}

static void store_ready(struct loop *l, struct loop_io *io, uint32_t ev)
{
	(void)l;
	(void)io;
	(void)ev;
	store_dispatch(st);
	bridge_store_durable(br);
	print_durable();
}

static void on_signal(struct loop *l, int sig)
{
	(void)sig;
	loop_stop(l);
}

static void on_timeout(struct loop *l, struct loop_timer *t)
{
	(void)t;
	exit_code = drain ? 3 : 0;
	loop_stop(l);
}

static struct config_bridge *read_conf(const char *path)
{
	struct config_bridge *b = NULL;
	char line[1024], err[256];
	FILE *f = fopen(path, "r");
	int ln = 0;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *key, *args = line;

		ln++;
		line[strcspn(line, "\r\n")] = '\0';
		key = strtok_r(line, " \t", &args);
		if (!key || key[0] == '#')
			continue;
		if (!strcmp(key, "connection")) {
			b = config_bridge_new(strtok_r(NULL, " \t", &args), err, sizeof(err));
		} else if (!b || !config_bridge_is_key(key)) {
			snprintf(err, sizeof(err), "%s: not a key of a connection block", key);
			b = NULL;
		} else if (config_bridge_key(b, key, args, err, sizeof(err)) == 0) {
			continue;
		} else {
			b = NULL;
		}
		if (!b) {
			fprintf(stderr, "%s:%d: %s\n", path, ln, err);
			exit(2);
		}
	}
	fclose(f);
	if (!b || config_bridge_finish(b, "test", err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, b ? err : "no connection block");
		exit(2);
	}
	return b;
}

static void *load_msg(void *ctx, const struct store_msg *m)
{
	(void)ctx;
	return msg_new(NULL, m->topic, m->topic_len, m->payload, m->payload_len, m->props,
		       m->props_len, m->qos, m->retain, 0, NULL);
}

static int load_bridge(void *ctx, const struct store_bridge_entry *e)
{
	(void)ctx;
	if (e->bridge_len != strlen(bridge_name(br)) ||
	    memcmp(e->bridge, bridge_name(br), e->bridge_len))
		return 0;
	/* as broker_bridge_load: a kept entry whose message is not built yet asks the load for
	 * it; a spilled one stays in the store */
	return bridge_load_result(bridge_load(br, e));
}

static void load_release(void *ctx, void *m)
{
	(void)ctx;
	msg_unref(m);
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGTERM, SIGINT};
	struct config_bridge *cfg = NULL;
	const char *dir = NULL;
	struct loop_timer deadline;
	double secs = 0;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "c:s:t:n:q:p:r:xT:L")) != -1) {
		switch (opt) {
		case 'c':
			cfg = read_conf(optarg);
			break;
		case 's':
			dir = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 'n':
			count = atol(optarg);
			break;
		case 'q':
			qos = atoi(optarg);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'r':
			rate = atol(optarg);
			break;
		case 'x':
			drain = true;
			break;
		case 'T':
			secs = atof(optarg);
			break;
		case 'L':
			ack_later = true;
			break;
		default:
			fprintf(stderr, "usage: bridge-test -c FILE [-s DIR] [-t TOPIC -n N -q QOS "
					"-p PREFIX -r N] [-x] [-T SECS] [-L]\n");
			return 2;
		}
	}
	if (!cfg) {
		fprintf(stderr, "bridge-test: -c FILE is required\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	loop = loop_new();
	if (!loop || loop_signals(loop, sigs, 2, on_signal) < 0)
		return 1;
	if (dir) {
		struct store_opts so = {.dir = dir};
		char msg[256];

		st = store_open(&so, msg, sizeof(msg));
		if (!st) {
			fprintf(stderr, "bridge-test: store: %s\n", msg);
			return 1;
		}
	}
	br = bridge_new(&(struct bridge_opts){.loop = loop,
					      .store = st,
					      .cfg = cfg,
					      .ops = &ops,
					      .ctx = NULL,
					      .seed = (uint64_t)getpid(),
					      .max_inflight = 20});
	if (!br) {
		perror("bridge_new");
		return 1;
	}
	if (st) {
		struct store_load_cb cb = {
		    .msg = load_msg, .bridge = load_bridge, .release = load_release};
		struct store_load_result res;

		if (store_load(st, &cb, NULL, &res) < 0) {
			fprintf(stderr, "bridge-test: store_load failed\n");
			return 1;
		}
		printf("LOADED %" PRIu64 "\n", res.bridge);
		loop_io_add(loop, &store_io, store_event_fd(st), EPOLLIN, store_ready, NULL);
	}
	loop_set_before_wait(loop, before_wait, NULL);
	loop_timer_init(&tick, tick_fn, NULL);
	loop_timer_init(&acker, ack_fn, NULL);
	loop_timer_set(loop, &tick, loop_now(loop));
	if (secs > 0) {
		loop_timer_init(&deadline, on_timeout, NULL);
		loop_timer_set(loop, &deadline, loop_now(loop) + (int64_t)(secs * 1000));
	}
	bridge_start(br);
	loop_run(loop);
	print_stats(true);
	bridge_free(br);
	if (st) {
		loop_io_del(loop, &store_io);
		store_close(st);
	}
	conn_linger_end_all();
	loop_free(loop);
	config_bridge_free(cfg);
	return exit_code;
}
