// SPDX-License-Identifier: MIT
/*
 * mqttgw-latprobe: the smallest light-load latency client (issue #15, "two benches disagree").
 *
 * One process, one thread, one epoll loop: a publisher socket and a subscriber socket on the
 * same broker and topic, QoS 0, paced by a periodic timerfd (CLOCK_MONOTONIC, one PUBLISH per
 * expiration). Each payload carries the send time (CLOCK_MONOTONIC, taken just before the
 * write); the receive time is taken when epoll_wait returns with the subscriber readable, as
 * mqttgw-bench does. Nothing else runs in the process: no sampler thread, no cross-thread
 * window, no eventfd, so the client adds exactly one wake-up per message (the subscriber's
 * readiness) to the chain publisher -> broker -> subscriber, and the timer's.
 *
 * It reports latency percentiles of the messages sent within the measured window, and per
 * message its own context switches (getrusage), epoll_wait returns and CPU time, so that the
 * client's share of the work is a count, not a guess.
 *
 * Usage: mqttgw-latprobe [--host A] [--port P] [--rate R] [--duration S] [--warmup S]
 *                        [--size N] [--label NAME] [--json]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "codec_client.h"
#include "mqtt.h"

#define LP_PAYLOAD_MIN 20u /* seq (8) + send time (8) + id (4), as mqttgw-bench's payload */
#define LP_RX_CAP      65536u

struct lp_opts {
	const char *host, *label;
	uint16_t port;
	double rate, duration, warmup;
	uint32_t size;
	int json;
};

struct lp_stats {
	uint64_t *lat; /* ns, messages sent within the window */
	uint64_t nlat, cap;
	uint64_t sent, received, bad;
	uint64_t wakeups; /* epoll_wait returns with events */
};

static uint64_t lp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t lp_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int lp_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read one whole frame on a blocking socket (setup only: CONNACK, SUBACK). */
static int lp_read_frame(int fd, uint8_t *buf, size_t cap, struct mqtt_packet *pkt)
{
	struct mqtt_frame f;
	uint8_t reason;
	size_t have = 0;

	for (;;) {
		ssize_t k;

		if (have && codec_frame(buf, have, (uint32_t)cap, &f, &reason) == 0 &&
		    have >= f.hdr_len + f.rem_len)
			return codec_client_decode(buf, f.hdr_len + f.rem_len, MQTT_V311, pkt,
						   &reason);
		if (have == cap)
			return -1;
		k = read(fd, buf + have, cap - have);
		if (k <= 0)
			return -1;
		have += (size_t)k;
	}
}

/* Connect, CONNECT/CONNACK and (filter) SUBSCRIBE/SUBACK, then non-blocking. */
static int lp_client(const struct lp_opts *o, const char *id, const char *filter)
{
	struct codec_client_connect cc = {
	    .version = MQTT_V311, .clean = true, .keepalive = 60, .client_id = id};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(o->port)};
	struct mqtt_packet pkt;
	uint8_t buf[256];
	int fd, one = 1;
	size_t n;

	if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	n = codec_client_connect(buf, sizeof(buf), &cc);
	if (!n || lp_write_all(fd, buf, n) < 0 || lp_read_frame(fd, buf, sizeof(buf), &pkt) < 0 ||
	    pkt.type != MQTT_CONNACK || pkt.connack.code)
		goto fail;
	if (filter) {
		struct mqtt_sub_entry e = {
		    .filter = {(const uint8_t *)filter, (uint32_t)strlen(filter)}};

		n = codec_encode_subscribe(buf, sizeof(buf), MQTT_V311, 1, &e, 1, NULL, 0);
		if (!n || lp_write_all(fd, buf, n) < 0 ||
		    lp_read_frame(fd, buf, sizeof(buf), &pkt) < 0 || pkt.type != MQTT_SUBACK)
			goto fail;
	}
	return fd;
fail:
	fprintf(stderr, "mqttgw-latprobe: %s: setup failed (%s)\n", id, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int lp_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double lp_pct(const struct lp_stats *s, double q)
{
	uint64_t i;

	if (!s->nlat)
		return 0;
	i = (uint64_t)(q * (double)(s->nlat - 1) + 0.5);
	return (double)s->lat[i] / 1000.0;
}

/* Every complete PUBLISH in rx: its latency if sent within [t0, t1]. Returns bytes used. */
static size_t lp_consume(struct lp_stats *s, const uint8_t *rx, size_t len, uint64_t now,
			 uint64_t t0, uint64_t t1)
{
	size_t off = 0;

	for (;;) {
		struct mqtt_frame f;
		struct mqtt_packet pkt;
		uint8_t reason;
		uint64_t ts;

		if (codec_frame(rx + off, len - off, LP_RX_CAP, &f, &reason) != 0 ||
		    len - off < f.hdr_len + f.rem_len)
			return off;
		if (codec_client_decode(rx + off, f.hdr_len + f.rem_len, MQTT_V311, &pkt, &reason) <
			0 ||
		    pkt.type != MQTT_PUBLISH || pkt.publish.payload.len < LP_PAYLOAD_MIN) {
			s->bad++;
		} else {
			memcpy(&ts, pkt.publish.payload.p + 8, 8);
			s->received++;
			if (ts >= t0 && ts <= t1 && now >= ts && s->nlat < s->cap)
				s->lat[s->nlat++] = now - ts;
		}
		off += f.hdr_len + f.rem_len;
	}
}

static int lp_timer(int ep, double rate)
{
	uint64_t ns = (uint64_t)(1e9 / rate);
	struct itimerspec its = {
	    .it_interval = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)}};
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	its.it_value = its.it_interval;
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	return fd;
}

static void lp_report(const struct lp_opts *o, const struct lp_stats *s, uint64_t msgs,
		      const struct rusage *a, const struct rusage *b, uint64_t cpu_ns)
{
	double m = msgs ? (double)msgs : 1;
	long vcs = b->ru_nvcsw - a->ru_nvcsw, ivcs = b->ru_nivcsw - a->ru_nivcsw;

	if (o->json) {
		printf("{\"tool\":\"latprobe\",\"broker\":\"%s\",\"rate\":%.0f,\"samples\":%llu,"
		       "\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f,"
		       "\"lat_max_us\":%.1f,\"lost\":%llu,\"bad\":%llu,\"vcsw_per_msg\":%.3f,"
		       "\"ivcsw_per_msg\":%.3f,\"wakeups_per_msg\":%.3f,\"cpu_us_per_msg\":%.2f}\n",
		       o->label, o->rate, (unsigned long long)s->nlat, lp_pct(s, 0.5),
		       lp_pct(s, 0.99), lp_pct(s, 0.999), lp_pct(s, 1.0),
		       (unsigned long long)(s->sent - s->received), (unsigned long long)s->bad,
		       (double)vcs / m, (double)ivcs / m, (double)s->wakeups / m,
		       (double)cpu_ns / 1000.0 / m);
		return;
	}
	printf("%s: %.0f msg/s QoS 0, %llu samples: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f us; "
	       "lost %llu, bad %llu\n",
	       o->label, o->rate, (unsigned long long)s->nlat, lp_pct(s, 0.5), lp_pct(s, 0.99),
	       lp_pct(s, 0.999), lp_pct(s, 1.0), (unsigned long long)(s->sent - s->received),
	       (unsigned long long)s->bad);
	printf("  per message (measured window): %.3f voluntary + %.3f involuntary context "
	       "switches, %.3f epoll wake-ups, %.2f us CPU\n",
	       (double)vcs / m, (double)ivcs / m, (double)s->wakeups / m,
	       (double)cpu_ns / 1000.0 / m);
}

static int lp_parse(int argc, char **argv, struct lp_opts *o)
{
	static const struct option lo[] = {{"host", required_argument, NULL, 'h'},
					   {"port", required_argument, NULL, 'p'},
					   {"rate", required_argument, NULL, 'r'},
					   {"duration", required_argument, NULL, 'd'},
					   {"warmup", required_argument, NULL, 'w'},
					   {"size", required_argument, NULL, 's'},
					   {"label", required_argument, NULL, 'l'},
					   {"json", no_argument, NULL, 'j'},
					   {NULL, 0, NULL, 0}};
	int c;

	*o = (struct lp_opts){.host = "127.0.0.1",
			      .port = 1883,
			      .rate = 1000,
			      .duration = 5,
			      .warmup = 1,
			      .size = 64,
			      .label = "broker"};
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			o->host = optarg;
			break;
		case 'p':
			o->port = (uint16_t)atoi(optarg);
			break;
		case 'r':
			o->rate = atof(optarg);
			break;
		case 'd':
			o->duration = atof(optarg);
			break;
		case 'w':
			o->warmup = atof(optarg);
			break;
		case 's':
			o->size = (uint32_t)atoi(optarg);
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		default:
			return -1;
		}
	}
	if (o->rate <= 0 || o->rate > 1e6 || o->duration <= 0 || o->warmup < 0 ||
	    o->size < LP_PAYLOAD_MIN || o->size > 4096)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct lp_opts o;
	struct lp_stats s = {0};
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1}, evs[4];
	struct rusage ra = {0}, rb = {0};
	char topic[64], id[2][80];
	uint8_t *rx, *msg = NULL, *pay;
	size_t rx_len = 0, mlen;
	uint64_t start, t0, t1, end, cpu0 = 0, recv0 = 0, w0 = 0;
	int ep = -1, pub = -1, sub = -1, tfd = -1, rc = 1;
	bool measuring = false, captured = false;

	if (lp_parse(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: mqttgw-latprobe [--host A] [--port P] [--rate R] "
				"[--duration S] [--warmup S] [--size N] [--label NAME] [--json]\n");
		return 2;
	}
	snprintf(topic, sizeof(topic), "mqttgw-latprobe/%d", (int)getpid());
	snprintf(id[0], sizeof(id[0]), "latprobe-pub-%d", (int)getpid());
	snprintf(id[1], sizeof(id[1]), "latprobe-sub-%d", (int)getpid());
	s.cap = (uint64_t)(o.rate * o.duration) + 16;
	s.lat = malloc(s.cap * sizeof(*s.lat));
	rx = malloc(LP_RX_CAP);
	pay = calloc(1, o.size);
	mlen = codec_encode_publish(NULL, 0, MQTT_V311, 0, false, false, (const uint8_t *)topic,
				    (uint16_t)strlen(topic), 0, NULL, 0, pay, o.size);
	if (pay)
		msg = malloc(mlen);
	if (!s.lat || !rx || !pay || !msg)
		goto out;
	for (uint32_t i = LP_PAYLOAD_MIN; i < o.size; i++)
		pay[i] = (uint8_t)('a' + i % 26);
	codec_encode_publish(msg, mlen, MQTT_V311, 0, false, false, (const uint8_t *)topic,
			     (uint16_t)strlen(topic), 0, NULL, 0, pay, o.size);
	free(pay);
	pay = NULL;
	sub = lp_client(&o, id[1], topic);
	pub = lp_client(&o, id[0], NULL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sub < 0 || pub < 0 || ep < 0 || fcntl(sub, F_SETFL, O_NONBLOCK) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, sub, &ev) < 0)
		goto out;
	tfd = lp_timer(ep, o.rate);
	if (tfd < 0)
		goto out;
	start = lp_now();
	t0 = start + (uint64_t)(o.warmup * 1e9);
	t1 = t0 + (uint64_t)(o.duration * 1e9);
	end = t1 + 2000000000ull; /* the drain: at most 2 s for the last messages */

	for (;;) {
		uint64_t now = lp_now();
		int n;

		if (!measuring && now >= t0) {
			measuring = true;
			getrusage(RUSAGE_SELF, &ra);
			cpu0 = lp_cpu_ns();
			recv0 = s.received;
			w0 = s.wakeups;
		}
		if (measuring && now > t1 && !captured) {
			captured = true;
			getrusage(RUSAGE_SELF, &rb);
			cpu0 = lp_cpu_ns() - cpu0;
			recv0 = s.received - recv0;
			w0 = s.wakeups - w0;
		}
		if (now >= end || (captured && s.received == s.sent))
			break;
		n = epoll_wait(ep, evs, 4, 50);
		if (n < 0 && errno != EINTR)
			goto out;
		if (n <= 0)
			continue;
		s.wakeups++;
		now = lp_now();
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 0) {
				uint64_t exp = 0;

				if (read(tfd, &exp, sizeof(exp)) < 0 || now > t1)
					continue;
				for (uint64_t k = 0; k < exp; k++) {
					uint64_t ts = lp_now(), seq = s.sent++;

					memcpy(msg + mlen - o.size, &seq, 8);
					memcpy(msg + mlen - o.size + 8, &ts, 8);
					if (lp_write_all(pub, msg, mlen) < 0)
						goto out;
				}
			} else {
				ssize_t k = read(sub, rx + rx_len, LP_RX_CAP - rx_len);
				size_t used;

				if (k <= 0) {
					if (k < 0 && errno == EAGAIN)
						continue;
					fprintf(stderr, "mqttgw-latprobe: subscriber closed\n");
					goto out;
				}
				rx_len += (size_t)k;
				used = lp_consume(&s, rx, rx_len, now, t0, t1);
				memmove(rx, rx + used, rx_len - used);
				rx_len -= used;
			}
		}
	}
	qsort(s.lat, s.nlat, sizeof(*s.lat), lp_cmp);
	s.wakeups = w0;
	lp_report(&o, &s, recv0, &ra, &rb, cpu0);
	rc = s.nlat ? 0 : 3;
out:
	for (int i = 0, fds[4] = {tfd, ep, pub, sub}; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(s.lat);
	free(rx);
	free(pay);
	free(msg);
	return rc;
}
