/* SPDX-License-Identifier: MIT */
/*
 * drainsub: the upstream's counter of scripts/bench_bridge.sh. One MQTT 3.1.1 subscriber with a
 * persistent session, on an epoll loop, cheap enough not to be what a drain measures: a QoS 1
 * mosquitto_sub spent 35-74% of a CPU there (one write per PUBACK, a printf per message), more
 * than either broker. Here every PUBACK of one read goes out in one write, and nothing is
 * printed until the end.
 *
 *   drainsub HOST PORT CLIENT_ID N FILTER [FILTER...]
 *
 * Subscribes to every FILTER at QoS 2 (the broker grants what it sends), prints "subscribed" on
 * stderr once the SUBACK is in, and ends once N distinct sequence numbers arrived (a payload
 * starting with 10 digits, as storegen writes them), or after DRAINSUB_TIMEOUT seconds (600)
 * without a message. A message on a "$SYS/" topic with payload "1" is the bridge's connection
 * notification: the drain's clock starts there. Prints one JSON line: received, distinct, lost,
 * dup, out_of_order (a new sequence number below one already seen), the times, its rate and
 * its own CPU seconds. Exit 0 when nothing was lost, 1 otherwise, 2 on a usage or link error.
 * Packets are built and parsed with the daemon's codec, never by hand.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "codec_client.h"

#define RX_CAP	 (1u << 20)
#define TX_CAP	 (1u << 16)
#define SUB_PID	 1u
#define MAX_SUBS 8

struct counter {
	uint64_t n, received, distinct, dup, out_of_order, sys_msgs;
	uint64_t max_seq;
	bool any;
	uint8_t *seen; /* a bit per sequence number */
	double t_conn, t_first, t_last;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The socket blocks: one send writes all of it (no signal handlers to interrupt it). */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai, *a;
	int fd = -1, one = 1;

	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, a->ai_addr, a->ai_addrlen))
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Count one PUBLISH. */
static void count(struct counter *c, const struct mqtt_publish *p)
{
	const uint8_t *d = p->payload.p;
	uint64_t seq = 0;
	double t = now_s();

	if (p->topic.len >= 5 && !memcmp(p->topic.p, "$SYS/", 5)) {
		c->sys_msgs++;
		if (!c->t_conn && p->payload.len == 1 && d[0] == '1')
			c->t_conn = t;
		return;
	}
	c->received++;
	if (!c->t_first)
		c->t_first = t;
	c->t_last = t;
	if (p->payload.len < 10)
		return;
	for (int i = 0; i < 10; i++) {
		if (d[i] < '0' || d[i] > '9')
			return;
		seq = seq * 10 + (uint64_t)(d[i] - '0');
	}
	if (seq >= c->n)
		return;
	if (c->seen[seq / 8] & (1u << (seq % 8))) {
		c->dup++;
		return;
	}
	c->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	c->distinct++;
	if (c->any && seq < c->max_seq)
		c->out_of_order++;
	if (!c->any || seq > c->max_seq)
		c->max_seq = seq;
	c->any = true;
}

/* Handle the frames in rx[0..*len): returns the bytes used, -1 on a protocol error. Acks go to
 * tx (flushed by the caller once per read). */
static long frames(struct counter *c, const uint8_t *rx, size_t len, uint8_t *tx, size_t *tlen,
		   bool *subscribed)
{
	size_t off = 0;

	for (;;) {
		struct mqtt_frame f;
		struct mqtt_packet pkt;
		uint8_t reason, type = 0;
		uint16_t pid = 0;
		int r = codec_frame(rx + off, len - off, 0, &f, &reason);

		if (r == -EAGAIN)
			return (long)off;
		if (r < 0 || TX_CAP - *tlen < 16)
			return r < 0 ? -1
				     : (long)off; /* tx full: the caller flushes and comes back */
		if (codec_client_decode(rx + off, f.hdr_len + f.rem_len, MQTT_V311, &pkt, &reason))
			return -1;
		switch (pkt.type) {
		case MQTT_CONNACK:
			if (pkt.connack.code) {
				fprintf(stderr, "drainsub: CONNACK %s\n",
					codec_client_connack_str(MQTT_V311, pkt.connack.code));
				return -1;
			}
			break;
		case MQTT_SUBACK:
			*subscribed = true;
			fprintf(stderr, "subscribed\n");
			break;
		case MQTT_PUBLISH:
			count(c, &pkt.publish);
			pid = pkt.publish.packet_id;
			type = pkt.publish.qos == 1   ? MQTT_PUBACK
			       : pkt.publish.qos == 2 ? MQTT_PUBREC
						      : 0;
			break;
		case MQTT_PUBREL:
			pid = pkt.ack.packet_id;
			type = MQTT_PUBCOMP;
			break;
		default:
			break;
		}
		if (type)
			*tlen += codec_encode_ack(tx + *tlen, TX_CAP - *tlen, MQTT_V311, type, pid,
						  0, NULL, 0);
		off += f.hdr_len + f.rem_len;
	}
}

static int session(int fd, const char *id, char **filters, int nf)
{
	static uint8_t buf[4096];
	struct mqtt_sub_entry e[MAX_SUBS];
	struct codec_client_connect cc = {
	    .version = MQTT_V311, .clean = false, .keepalive = 0, .client_id = id};
	size_t n = codec_client_connect(buf, sizeof(buf), &cc), m;

	for (int i = 0; i < nf; i++)
		e[i] = (struct mqtt_sub_entry){
		    .filter = {(const uint8_t *)filters[i], (uint32_t)strlen(filters[i])},
		    .qos = 2};
	m = codec_encode_subscribe(buf + n, sizeof(buf) - n, MQTT_V311, SUB_PID, e, (uint32_t)nf,
				   NULL, 0);
	if (!n || !m || n + m > sizeof(buf))
		return -1;
	return write_all(fd, buf, n + m);
}

int main(int argc, char **argv)
{
	struct counter c = {0};
	const char *tmo = getenv("DRAINSUB_TIMEOUT");
	int timeout_ms = (tmo ? atoi(tmo) : 600) * 1000, fd, ep, nf = argc - 5;
	uint8_t *rx = malloc(RX_CAP), *tx = malloc(TX_CAP);
	size_t rlen = 0, tlen = 0;
	bool subscribed = false, failed = false;
	struct epoll_event ev = {.events = EPOLLIN};
	struct rusage ru;
	double secs, start;

	if (argc < 6 || nf > MAX_SUBS || !rx || !tx) {
		fprintf(stderr,
			"usage: drainsub HOST PORT CLIENT_ID N FILTER [FILTER...] (up to "
			"%d filters)\n",
			MAX_SUBS);
		return 2;
	}
	c.n = strtoull(argv[4], NULL, 10);
	c.seen = calloc(c.n / 8 + 1, 1);
	fd = dial(argv[1], argv[2]);
	ep = epoll_create1(0);
	if (!c.seen || fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ||
	    session(fd, argv[3], argv + 5, nf)) {
		fprintf(stderr, "drainsub: cannot connect to %s:%s (%s)\n", argv[1], argv[2],
			strerror(errno));
		return 2;
	}
	while (c.distinct < c.n) {
		struct epoll_event got;
		int k = epoll_wait(ep, &got, 1, timeout_ms);
		ssize_t r;
		long used;

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "drainsub: nothing for %d s\n", timeout_ms / 1000);
			failed = true;
			break;
		}
		r = read(fd, rx + rlen, RX_CAP - rlen);
		if (r <= 0) {
			fprintf(stderr, "drainsub: connection %s\n",
				r ? strerror(errno) : "closed");
			failed = true;
			break;
		}
		rlen += (size_t)r;
		do {
			used = frames(&c, rx, rlen, tx, &tlen, &subscribed);
			if (used < 0) {
				fprintf(stderr, "drainsub: bad packet from the broker\n");
				return 2;
			}
			memmove(rx, rx + used, rlen - (size_t)used);
			rlen -= (size_t)used;
			if (tlen && write_all(fd, tx, tlen)) { /* one write per read's acks */
				failed = true;
				break;
			}
			tlen = 0;
		} while (used > 0 && rlen);
		if (failed)
			break;
	}
	close(fd);
	getrusage(RUSAGE_SELF, &ru);
	start = c.t_conn ? c.t_conn : c.t_first;
	secs = c.t_last > start && start ? c.t_last - start : 0;
	printf("{\"n\":%llu,\"received\":%llu,\"distinct\":%llu,\"lost\":%llu,\"dup\":%llu,"
	       "\"out_of_order\":%llu,\"from_notification\":%s,\"seconds\":%.6f,"
	       "\"msgs_per_s\":%.1f,\"first_after_connect_ms\":%.3f,\"counter_cpu_s\":%.3f}\n",
	       (unsigned long long)c.n, (unsigned long long)c.received,
	       (unsigned long long)c.distinct, (unsigned long long)(c.n - c.distinct),
	       (unsigned long long)(c.received - c.distinct), (unsigned long long)c.out_of_order,
	       c.t_conn ? "true" : "false", secs, secs > 0 ? (double)c.distinct / secs : 0.0,
	       c.t_conn && c.t_first ? (c.t_first - c.t_conn) * 1e3 : 0.0,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	free(c.seen);
	free(rx);
	free(tx);
	return failed || c.distinct < c.n ? 1 : 0;
}
