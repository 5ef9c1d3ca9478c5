// SPDX-License-Identifier: MIT
/*
 * mqttgw-bench: command line, defaults per scenario, and the report.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"

static const char usage[] =
    "usage: mqttgw-bench SCENARIO [options]\n"
    "\n"
    "MQTT load generator: raw non-blocking sockets, epoll, one publisher thread and\n"
    "--sub-threads subscriber threads. Payloads carry an 8-byte sequence number, an 8-byte\n"
    "CLOCK_MONOTONIC send time and a 4-byte publisher id; receivers count lost, duplicated\n"
    "and reordered messages. Publishers are closed-loop: at most --window messages ahead of\n"
    "the slowest receiver of their messages, so a broker cannot win by dropping.\n"
    "\n"
    "Scenarios:\n"
    "  latency      1 publisher -> 1 subscriber at --rate (default 5000/s); latency percentiles\n"
    "  p2p          --pairs publishers -> as many subscribers, one topic per pair\n"
    "  fanout       1 publisher -> --subs subscribers on one topic (default window 10)\n"
    "  fanin        --pubs publishers, one topic each -> a --subs member $share group\n"
    "  connections  open --conns connections at --conn-rate, hold --duration s, close;\n"
    "               connect latency and broker RSS per connection\n"
    "  pingpong     A publishes on P, B (subscribed to P) publishes the same payload on Q at\n"
    "               once, A (subscribed to Q) sends the next: one message in flight, QoS 0;\n"
    "               latency = round trip / 2. A and B are two threads, each in its own epoll\n"
    "\n"
    "Options (defaults in brackets):\n"
    "  --host H           broker address, IPv4 [127.0.0.1]\n"
    "  --port P           broker port [1883]\n"
    "  --sub-host H, --sub-port P  subscribers connect there instead (another broker that gets\n"
    "                     the messages through a bridge: latency over the bridge) [--host/--port]\n"
    "  --qos N            0, 1 or 2 [0]\n"
    "  --pairs N          p2p publisher/subscriber pairs [4]\n"
    "  --subs N           fanout subscribers [1000], fanin group members [5]\n"
    "  --pubs N           fanin publishers [1000]\n"
    "  --rate MSG/S       total publish rate over all publishers, paced by a timerfd with\n"
    "                     catch-up; 0 = as fast as the window allows [latency 5000, else 0]\n"
    "  --size B           payload bytes, >= 20 [32]\n"
    "  --duration S       measured seconds; connections: hold time [5]\n"
    "  --warmup S         traffic before measuring [1]\n"
    "  --drain S          at most this long to wait for in-flight messages at the end [5]\n"
    "  --window N         messages a publisher may be ahead of its slowest receiver\n"
    "                     [QoS 0: 1000, QoS 1/2: 256; fanout 10; fanin 4]\n"
    "  --inflight N       unacknowledged QoS 1/2 PUBLISHes per publisher; 0 = the broker's\n"
    "                     Receive Maximum (MQTT 5) or unlimited [5: 0; 3.1.1: 20, the\n"
    "                     default of Mosquitto's client library and of its broker's\n"
    "                     max_inflight_messages: Mosquitto 2.0 loses QoS 2 messages beyond it]\n"
    "  --mqtt-version V   4 (MQTT 3.1.1) or 5 (MQTT 5.0) [4]\n"
    "  --broker-pid PID   broker process: CPU seconds (utime+stime, /proc/PID/stat) and\n"
    "                     peak RSS (VmHWM reset at the start, VmRSS sampled every 100 ms)\n"
    "  --conns N          connections scenario: how many [10000]\n"
    "  --conn-rate N      connections opened per second [2000]\n"
    "  --sub-threads N    subscriber threads [1]\n"
    "  --stall-ms MS      a window blocked this long is taken as lost (QoS 0 drops) [1000]\n"
    "  --keepalive S      MQTT keepalive in CONNECT [300]\n"
    "  --direct           pingpong without a broker: A and B on one loopback TCP\n"
    "                     connection, B echoes each frame (the physical floor)\n"
    "  --persistent       subscribers keep their session (MQTT 3.1.1 clean session 0): with\n"
    "                     persistence on, each QoS 1/2 message is stored before its ack\n"
    "  --ws               MQTT over WebSocket: ws://HOST:PORT/mqtt (--port: the broker's\n"
    "                     `protocol websockets` listener), masked binary frames\n"
    "  --timeline FILE    write every latency sample of the measured window to FILE, a line\n"
    "                     '<t_s> <latency_us>' (scripts/bench_plot.py draws it)\n"
    "  --label NAME       broker name written in the report\n"
    "  --json             print one JSON line on stdout; the table goes to stderr\n"
    "  --help             this text\n"
    "\n"
    "Reported per run: published and delivered msgs/s over the measured window; lost\n"
    "(expected - distinct received after the drain), duplicates, reordered; latency\n"
    "p50/p99/p99.9/max in us of messages sent within the window; broker CPU seconds, machine\n"
    "CPU seconds over all cores (/proc/stat: total - idle - iowait), msgs per broker CPU-s and\n"
    "per machine CPU-s, broker peak RSS, and this tool's own CPU seconds.\n"
    "MQTTGW_BENCH_DEBUG=1 in the environment prints the first missing sequence numbers.\n"
    "Exit status: 0 ok, 1 setup failed, 2 usage, 3 integrity violated (QoS 1/2 loss,\n"
    "reordering, QoS 2 duplicates, malformed packets or dropped connections).\n";

enum {
	OPT_HOST = 256,
	OPT_PORT,
	OPT_QOS,
	OPT_PAIRS,
	OPT_SUBS,
	OPT_PUBS,
	OPT_RATE,
	OPT_SIZE,
	OPT_DURATION,
	OPT_WARMUP,
	OPT_DRAIN,
	OPT_WINDOW,
	OPT_INFLIGHT,
	OPT_VERSION,
	OPT_PID,
	OPT_CONNS,
	OPT_CONN_RATE,
	OPT_SUBT,
	OPT_STALL,
	OPT_KEEPALIVE,
	OPT_LABEL,
	OPT_JSON,
	OPT_DIRECT,
	OPT_PERSISTENT,
	OPT_WS,
	OPT_TIMELINE,
	OPT_SUB_HOST,
	OPT_SUB_PORT,
	OPT_HELP,
};

static const struct option long_opts[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"qos", required_argument, NULL, OPT_QOS},
    {"pairs", required_argument, NULL, OPT_PAIRS},
    {"subs", required_argument, NULL, OPT_SUBS},
    {"pubs", required_argument, NULL, OPT_PUBS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"size", required_argument, NULL, OPT_SIZE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"inflight", required_argument, NULL, OPT_INFLIGHT},
    {"mqtt-version", required_argument, NULL, OPT_VERSION},
    {"broker-pid", required_argument, NULL, OPT_PID},
    {"conns", required_argument, NULL, OPT_CONNS},
    {"conn-rate", required_argument, NULL, OPT_CONN_RATE},
    {"sub-threads", required_argument, NULL, OPT_SUBT},
    {"stall-ms", required_argument, NULL, OPT_STALL},
    {"keepalive", required_argument, NULL, OPT_KEEPALIVE},
    {"label", required_argument, NULL, OPT_LABEL},
    {"json", no_argument, NULL, OPT_JSON},
    {"direct", no_argument, NULL, OPT_DIRECT},
    {"persistent", no_argument, NULL, OPT_PERSISTENT},
    {"ws", no_argument, NULL, OPT_WS},
    {"timeline", required_argument, NULL, OPT_TIMELINE},
    {"sub-host", required_argument, NULL, OPT_SUB_HOST},
    {"sub-port", required_argument, NULL, OPT_SUB_PORT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int num(const char *name, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "mqttgw-bench: --%s: expected a number in [%g, %g], got '%s'\n",
			name, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Parse argv into o. 0, 1 for --help, -1 on a usage error. */
static int parse(int argc, char **argv, struct bench_opts *o)
{
	static const char *names[] = {"latency", "p2p", "fanout", "fanin", "connections",
				      "pingpong"};
	const int nnames = (int)(sizeof(names) / sizeof(names[0]));
	double v, inflight = -1, window = -1, rate = -1, subs = -1, dur = 5;
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 1883;
	o->pairs = 4;
	o->pubs = 1000;
	o->size = 32;
	o->warmup = 1;
	o->drain = 5;
	o->version = 4;
	o->conns = 10000;
	o->conn_rate = 2000;
	o->sub_threads = 1;
	o->stall_ms = 1000;
	o->keepalive = 300;
	while ((c = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		const char *n = c >= OPT_HOST ? long_opts[c - OPT_HOST].name : "?";

		switch (c) {
		case OPT_HOST:
			o->host = optarg;
			continue;
		case OPT_LABEL:
			o->label = optarg;
			continue;
		case OPT_JSON:
			o->json = true;
			continue;
		case OPT_DIRECT:
			o->direct = true;
			continue;
		case OPT_PERSISTENT:
			o->persistent = true;
			continue;
		case OPT_WS:
			o->ws = true;
			continue;
		case OPT_TIMELINE:
			o->timeline = optarg;
			continue;
		case OPT_SUB_HOST:
			o->sub_host = optarg;
			continue;
		case OPT_HELP:
		case 'h':
			return 1;
		case '?':
			return -1;
		}
		if (num(n, optarg, 0, 1e12, &v) < 0)
			return -1;
		switch (c) {
		case OPT_PORT:
			if (v < 1 || v > 65535)
				return num(n, optarg, 1, 65535, &v);
			o->port = (uint16_t)v;
			break;
		case OPT_SUB_PORT:
			if (v < 1 || v > 65535)
				return num(n, optarg, 1, 65535, &v);
			o->sub_port = (uint16_t)v;
			break;
		case OPT_QOS:
			if (v > 2)
				return num(n, optarg, 0, 2, &v);
			o->qos = (int)v;
			break;
		case OPT_PAIRS:
			o->pairs = (uint32_t)v;
			break;
		case OPT_SUBS:
			subs = v;
			break;
		case OPT_PUBS:
			o->pubs = (uint32_t)v;
			break;
		case OPT_RATE:
			rate = v;
			break;
		case OPT_SIZE:
			if (v < BENCH_PAYLOAD_MIN || v > 16 * 1024 * 1024)
				return num(n, optarg, BENCH_PAYLOAD_MIN, 16 * 1024 * 1024, &v);
			o->size = (uint32_t)v;
			break;
		case OPT_DURATION:
			dur = v;
			break;
		case OPT_WARMUP:
			o->warmup = v;
			break;
		case OPT_DRAIN:
			o->drain = v;
			break;
		case OPT_WINDOW:
			window = v;
			break;
		case OPT_INFLIGHT:
			inflight = v;
			break;
		case OPT_VERSION:
			if (v != 4 && v != 5) {
				fprintf(stderr, "mqttgw-bench: --mqtt-version: 4 or 5\n");
				return -1;
			}
			o->version = (int)v;
			break;
		case OPT_PID:
			o->broker_pid = (int)v;
			break;
		case OPT_CONNS:
			o->conns = (uint32_t)v;
			break;
		case OPT_CONN_RATE:
			o->conn_rate = v;
			break;
		case OPT_SUBT:
			if (v < 1 || v > BENCH_MAX_SUBT)
				return num(n, optarg, 1, BENCH_MAX_SUBT, &v);
			o->sub_threads = (uint32_t)v;
			break;
		case OPT_STALL:
			o->stall_ms = (uint32_t)v;
			break;
		case OPT_KEEPALIVE:
			o->keepalive = (uint16_t)(v > 65535 ? 65535 : v);
			break;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "mqttgw-bench: expected one SCENARIO\n");
		return -1;
	}
	for (idx = 0; idx < nnames; idx++)
		if (!strcmp(argv[optind], names[idx]))
			break;
	if (idx == nnames) {
		fprintf(stderr, "mqttgw-bench: unknown scenario '%s'\n", argv[optind]);
		return -1;
	}
	o->scen = (enum bench_scen)idx;
	if (o->persistent && o->version != 4) {
		fprintf(stderr, "mqttgw-bench: --persistent is for MQTT 3.1.1 (--mqtt-version 4)\n");
		return -1;
	}
	if (o->ws && o->scen == SCEN_PINGPONG) {
		fprintf(stderr, "mqttgw-bench: --ws is not for pingpong\n");
		return -1;
	}
	if (o->direct && o->scen != SCEN_PINGPONG) {
		fprintf(stderr, "mqttgw-bench: --direct is for pingpong only\n");
		return -1;
	}
	if (o->scen == SCEN_PINGPONG && (o->qos || rate > 0)) {
		fprintf(stderr, "mqttgw-bench: pingpong is QoS 0 with one message in flight, no --rate\n");
		return -1;
	}
	o->duration = dur;
	o->rate = rate >= 0 ? rate : o->scen == SCEN_LATENCY ? 5000 : 0;
	o->subs = subs >= 0 ? (uint32_t)subs : o->scen == SCEN_FANOUT ? 1000 : 5;
	if (window >= 1)
		o->window = (uint32_t)window;
	else if (o->scen == SCEN_FANOUT)
		o->window = 10;
	else if (o->scen == SCEN_FANIN)
		o->window = 4;
	else
		o->window = o->qos ? 256 : 1000;
	if ((o->scen == SCEN_P2P && !o->pairs) || (o->scen == SCEN_FANIN && !o->pubs) ||
	    ((o->scen == SCEN_FANOUT || o->scen == SCEN_FANIN) && !o->subs) ||
	    (o->scen == SCEN_CONNECTIONS && (!o->conns || o->conn_rate <= 0))) {
		fprintf(stderr, "mqttgw-bench: nothing to do with zero clients\n");
		return -1;
	}
	if (inflight >= 0)
		o->inflight = (uint32_t)inflight;
	else
		o->inflight = o->version == 5 ? 0 : 20;
	if (o->qos && o->window > 65000)
		o->window = 65000;
	return 0;
}

/* Many connections need many descriptors: take the hard limit. */
static void raise_nofile(const struct bench_opts *o)
{
	struct rlimit rl;
	uint64_t need = (uint64_t)o->conns + o->pubs + o->subs + o->pairs * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (o->scen == SCEN_CONNECTIONS && need > rl.rlim_cur)
		fprintf(stderr, "mqttgw-bench: warning: %llu descriptors needed, limit %llu\n",
			(unsigned long long)need, (unsigned long long)rl.rlim_cur);
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_result *res;
	int rc = parse(argc, argv, &o);

	if (rc) {
		fputs(usage, rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(&o);
	res = calloc(1, sizeof(*res));
	if (!res)
		return 1;
	rc = bench_run(&o, res);
	if (rc < 0) {
		fprintf(stderr, "mqttgw-bench: %s run failed: %s\n", res->scenario, strerror(-rc));
		free(res);
		return 1;
	}
	if (o.json)
		result_json(stdout, res);
	result_table(o.json ? stderr : stdout, res);
	rc = result_failed(res) ? 3 : 0;
	free(res);
	return rc;
}
