// SPDX-License-Identifier: MIT
/*
 * bench_pingpong: one message in flight, no pacing timer.
 *
 * Client A publishes QoS 0 on topic P (seq, send time, id 0); client B, subscribed to P,
 * publishes the same payload on topic Q at once; A, subscribed to Q, takes RTT/2 as the one-way
 * latency and sends the next. A and B are two threads, each blocking in its own epoll, so every
 * hop is a real wake-up as between processes. --direct replaces the broker by one loopback TCP
 * connection between A and B (B echoes each frame unchanged): the physical floor of the same
 * chain, measured on the same machine in the same run.
 *
 * Setup (connect, CONNECT/CONNACK, SUBSCRIBE/SUBACK) is synchronous with a deadline; the loop is
 * non-blocking. Every packet goes through include/codec.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "bench.h"

#define PP_SETUP_MS 5000
#define PP_RX_SLACK 65536u

struct pp;

struct pp_side {
	struct pp *pp;
	bool is_a;
	int fd, epfd, evfd;
	pthread_t thread;
	bool started;
	uint8_t *rx, *tx;
	uint32_t rx_len, rx_cap, tx_cap;
	const char *pub_topic;
	/* A: the message in flight */
	uint64_t seq, sent_at;
	bool outstanding;
	/* counters, read by the main thread (atomic where it reads them while running) */
	uint64_t sent, delivered, good, bad, reordered, stalls, errors;
	struct hist lat;
};

struct pp {
	const struct bench_opts *o;
	uint32_t phase; /* atomic enum bphase */
	uint64_t t0, t1; /* atomic: measure window */
	char topic_p[64], topic_q[64];
	struct pp_side a, b;
};

static int pp_poll(int fd, short ev, uint64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};
	uint64_t now = now_ns();
	int n;

	if (now >= deadline)
		return -ETIMEDOUT;
	n = poll(&p, 1, (int)((deadline - now) / 1000000 + 1));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* Write all of buf: the socket is non-blocking, so a full send buffer waits in poll (it never
 * happens with one small message in flight, but must not lose bytes if it does). */
static int pp_send(struct pp_side *s, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (pp_poll(s->fd, POLLOUT, now_ns() + 1000000000ull) < 0)
				return -ETIMEDOUT;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Setup only: the next whole frame into pkt (a view into s->rx; consumed by the next call). */
static int pp_read_packet(struct pp_side *s, uint64_t deadline, struct mqtt_packet *pkt,
			  uint32_t *consumed)
{
	uint8_t ver = (uint8_t)s->pp->o->version, reason;
	struct mqtt_frame f;
	int rc;

	if (*consumed) {
		memmove(s->rx, s->rx + *consumed, s->rx_len - *consumed);
		s->rx_len -= *consumed;
		*consumed = 0;
	}
	for (;;) {
		ssize_t n;

		rc = codec_frame(s->rx, s->rx_len, s->rx_cap, &f, &reason);
		if (rc == 0)
			break;
		if (rc != -EAGAIN)
			return rc;
		rc = pp_poll(s->fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
		n = recv(s->fd, s->rx + s->rx_len, s->rx_cap - s->rx_len, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0)
			s->rx_len += (uint32_t)n;
	}
	*consumed = f.hdr_len + f.rem_len;
	return codec_decode(s->rx, *consumed, ver, pkt, &reason);
}

static int pp_connect_tcp(const struct bench_opts *o, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd;

	if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* CONNECT/CONNACK, then SUBSCRIBE (QoS 0) to filter and wait for its SUBACK. */
static int pp_mqtt_setup(struct pp_side *s, const char *id, const char *filter)
{
	const struct bench_opts *o = s->pp->o;
	uint64_t deadline = now_ns() + PP_SETUP_MS * 1000000ull;
	struct mqtt_packet pkt;
	uint32_t used = 0;
	size_t n;
	int rc;

	n = bench_encode_connect(s->tx, s->tx_cap, o, id, true);
	if (!n || (rc = pp_send(s, s->tx, n)) < 0)
		return n ? rc : -ENOBUFS;
	rc = pp_read_packet(s, deadline, &pkt, &used);
	if (rc < 0)
		return rc;
	if (pkt.type != MQTT_CONNACK || pkt.connack.code)
		return -ECONNREFUSED;
	n = bench_encode_subscribe(s->tx, s->tx_cap, o, filter, 0);
	if (!n || (rc = pp_send(s, s->tx, n)) < 0)
		return n ? rc : -ENOBUFS;
	rc = pp_read_packet(s, deadline, &pkt, &used);
	if (rc < 0)
		return rc;
	if (pkt.type != MQTT_SUBACK || pkt.suback.codes.len < 1 || pkt.suback.codes.p[0] >= 0x80)
		return -ECONNREFUSED;
	memmove(s->rx, s->rx + used, s->rx_len - used);
	s->rx_len -= used;
	return 0;
}

/* Two ends of one loopback TCP connection, for --direct. */
static int pp_direct_setup(struct pp *pp)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int one = 1, lfd, rc = 0;

	inet_pton(AF_INET, pp->o->host, &sa.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
		rc = -errno;
		goto out;
	}
	pp->a.fd = pp_connect_tcp(pp->o, ntohs(sa.sin_port));
	if (pp->a.fd < 0) {
		rc = pp->a.fd;
		goto out;
	}
	pp->b.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (pp->b.fd < 0)
		rc = -errno;
	else
		setsockopt(pp->b.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
out:
	close(lfd);
	return rc;
}

static void pp_fail(struct pp_side *s, const char *why)
{
	fprintf(stderr, "mqttgw-bench: pingpong %s: %s\n", s->is_a ? "A" : "B", why);
	__atomic_store_n(&s->errors, s->errors + 1, __ATOMIC_RELAXED);
	if (s->fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		s->fd = -1;
	}
}

/* A: send the next message (seq, send time, publisher id 0) on P. */
static void pp_ping(struct pp_side *s)
{
	uint32_t size = s->pp->o->size, off = s->tx_cap - size, id = 0;
	uint8_t *pay = s->tx + off;
	uint64_t ts;
	size_t n;

	/* the frame was encoded once at the end of tx; only seq and time change */
	memcpy(pay, &s->seq, 8);
	memcpy(pay + 16, &id, 4);
	n = codec_publish_header_size((uint8_t)s->pp->o->version, 0,
				      (uint16_t)strlen(s->pub_topic), 0, size);
	ts = now_ns();
	memcpy(pay + 8, &ts, 8);
	s->sent_at = ts;
	s->outstanding = true;
	/* counted before the send: the main thread's drain waits for echoes of everything counted,
	 * so it must never see the echo's wait end between a send and its count */
	__atomic_store_n(&s->sent, s->sent + 1, __ATOMIC_SEQ_CST);
	if (pp_send(s, pay - n, n + size) < 0)
		pp_fail(s, "send failed");
}

/* B: the same payload back on Q (direct: the same frame back). */
static int pp_pong(struct pp_side *s, const uint8_t *frame, uint32_t flen, const uint8_t *pay,
		   uint32_t plen)
{
	const char *t = s->pub_topic;
	size_t n;

	if (s->pp->o->direct)
		return pp_send(s, frame, flen);
	n = codec_encode_publish(s->tx, s->tx_cap, (uint8_t)s->pp->o->version, 0, false, false,
				 (const uint8_t *)t, (uint16_t)strlen(t), 0, NULL, 0, pay, plen);
	if (!n)
		return -ENOBUFS;
	return pp_send(s, s->tx, n);
}

/* A: the echo of the message in flight arrived. */
static void pp_echo(struct pp_side *s, const uint8_t *pay, uint64_t now)
{
	struct pp *pp = s->pp;
	uint64_t seq, ts;

	memcpy(&seq, pay, 8);
	memcpy(&ts, pay + 8, 8);
	if (!s->outstanding || seq != s->seq) {
		/* a late echo after a stall, or a stranger: never a latency sample */
		__atomic_store_n(&s->reordered, s->reordered + 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&s->good, s->good + 1, __ATOMIC_RELAXED);
	if (ts >= __atomic_load_n(&pp->t0, __ATOMIC_ACQUIRE) &&
	    ts <= __atomic_load_n(&pp->t1, __ATOMIC_ACQUIRE) && now >= ts)
		hist_add(&s->lat, (now - ts) / 2);
	s->outstanding = false;
	s->seq++;
	if (__atomic_load_n(&pp->phase, __ATOMIC_ACQUIRE) == PH_RUN)
		pp_ping(s);
}

static void pp_frame(struct pp_side *s, const uint8_t *buf, uint32_t len, uint64_t now)
{
	const struct bench_opts *o = s->pp->o;
	struct mqtt_packet pkt;
	uint8_t reason;
	const char *want = s->is_a ? s->pp->topic_q : s->pp->topic_p;
	int rc;

	/* direct: the bytes A wrote come back unchanged, so the topic is P both ways */
	if (o->direct)
		want = s->pp->topic_p;
	rc = codec_decode(buf, len, (uint8_t)o->version, &pkt, &reason);
	if (rc < 0 || pkt.type != MQTT_PUBLISH) {
		if (rc == 0 && pkt.type == MQTT_PINGRESP)
			return;
		__atomic_store_n(&s->bad, s->bad + 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&s->delivered, s->delivered + 1, __ATOMIC_RELAXED);
	if (pkt.publish.payload.len != o->size || pkt.publish.topic.len != strlen(want) ||
	    memcmp(pkt.publish.topic.p, want, pkt.publish.topic.len)) {
		__atomic_store_n(&s->bad, s->bad + 1, __ATOMIC_RELAXED);
		return;
	}
	if (s->is_a) {
		pp_echo(s, pkt.publish.payload.p, now);
		return;
	}
	__atomic_store_n(&s->good, s->good + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->sent, s->sent + 1, __ATOMIC_RELAXED);
	if (pp_pong(s, buf, len, pkt.publish.payload.p, pkt.publish.payload.len) < 0)
		pp_fail(s, "send failed");
}

static void pp_readable(struct pp_side *s)
{
	struct mqtt_frame f;
	uint32_t off = 0;
	uint8_t reason;
	uint64_t now;
	ssize_t n;

	n = recv(s->fd, s->rx + s->rx_len, s->rx_cap - s->rx_len, 0);
	now = now_ns();
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		pp_fail(s, n ? strerror(errno) : "closed by peer");
		return;
	}
	s->rx_len += (uint32_t)n;
	while (s->fd >= 0 && codec_frame(s->rx + off, s->rx_len - off, s->rx_cap, &f, &reason) == 0) {
		pp_frame(s, s->rx + off, f.hdr_len + f.rem_len, now);
		off += f.hdr_len + f.rem_len;
	}
	if (s->fd >= 0 && off == 0 && s->rx_len == s->rx_cap) {
		pp_fail(s, "frame larger than the receive buffer");
		return;
	}
	memmove(s->rx, s->rx + off, s->rx_len - off);
	s->rx_len -= off;
}

static void *pp_main(void *arg)
{
	struct pp_side *s = arg;
	struct pp *pp = s->pp;
	struct epoll_event evs[4];
	uint64_t cnt, stall = (uint64_t)pp->o->stall_ms * 1000000ull;

	for (;;) {
		uint32_t phase = __atomic_load_n(&pp->phase, __ATOMIC_ACQUIRE);
		int n;

		if (phase == PH_QUIT)
			break;
		if (s->is_a && s->fd >= 0 && phase == PH_RUN) {
			if (s->outstanding && now_ns() - s->sent_at > stall) {
				/* lost (QoS 0 may drop): count it, go on with the next */
				__atomic_store_n(&s->stalls, s->stalls + 1, __ATOMIC_RELAXED);
				s->outstanding = false;
				s->seq++;
			}
			if (!s->outstanding)
				pp_ping(s);
		}
		n = epoll_wait(s->epfd, evs, 4, 100);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == s->evfd) {
				if (read(s->evfd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
					perror("mqttgw-bench: eventfd read");
			} else if (s->fd >= 0) {
				pp_readable(s);
			}
		}
	}
	return NULL;
}

static int pp_side_init(struct pp *pp, struct pp_side *s, bool is_a, const char *pub_topic)
{
	uint32_t size = pp->o->size;
	struct epoll_event ev = {.events = EPOLLIN};

	s->pp = pp;
	s->is_a = is_a;
	s->fd = s->epfd = s->evfd = -1;
	s->pub_topic = pub_topic;
	hist_reset(&s->lat);
	s->rx_cap = 2 * (size + 256) + PP_RX_SLACK;
	s->tx_cap = size + 1024;
	s->rx = malloc(s->rx_cap);
	s->tx = malloc(s->tx_cap);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!s->rx || !s->tx || s->epfd < 0 || s->evfd < 0)
		return -ENOMEM;
	ev.data.fd = s->evfd;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) < 0 ? -errno : 0;
}

/* After setup: non-blocking, in this side's epoll; A encodes its frame once. */
static int pp_side_arm(struct pp *pp, struct pp_side *s)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = s->fd};
	const struct bench_opts *o = pp->o;
	uint16_t tlen = (uint16_t)strlen(s->pub_topic);
	size_t hdr;

	if (fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		return -errno;
	if (!s->is_a)
		return 0;
	hdr = codec_publish_header_size((uint8_t)o->version, 0, tlen, 0, o->size);
	/* the payload sits at the end of tx, its header right before it; padding as elsewhere */
	codec_encode_publish(s->tx + s->tx_cap - o->size - hdr, hdr, (uint8_t)o->version, 0, false,
			     false, (const uint8_t *)s->pub_topic, tlen, 0, NULL, 0, NULL, o->size);
	for (uint32_t i = 0; i < o->size; i++)
		s->tx[s->tx_cap - o->size + i] = (uint8_t)('a' + i % 26);
	return 0;
}

/* Only after both threads were joined: in --direct A's close is B's end of stream. */
static void pp_side_fini(struct pp_side *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->evfd >= 0)
		close(s->evfd);
	free(s->rx);
	free(s->tx);
}

static void pp_phase(struct pp *pp, enum bphase ph)
{
	uint64_t one = 1;

	__atomic_store_n(&pp->phase, ph, __ATOMIC_RELEASE);
	for (struct pp_side *s = &pp->a; s <= &pp->b; s++)
		if (s->evfd >= 0 && write(s->evfd, &one, sizeof(one)) < 0)
			perror("mqttgw-bench: eventfd");
}

static int pp_setup(struct pp *pp, const char *token)
{
	char id[64];
	int rc;

	if ((rc = pp_side_init(pp, &pp->a, true, pp->topic_p)) < 0 ||
	    (rc = pp_side_init(pp, &pp->b, false, pp->topic_q)) < 0)
		return rc;
	if (pp->o->direct) {
		rc = pp_direct_setup(pp);
	} else {
		pp->b.fd = pp_connect_tcp(pp->o, pp->o->port);
		if (pp->b.fd < 0)
			return pp->b.fd;
		snprintf(id, sizeof(id), "mb-%s-ppb", token);
		rc = pp_mqtt_setup(&pp->b, id, pp->topic_p);
		if (rc < 0)
			return rc;
		pp->a.fd = pp_connect_tcp(pp->o, pp->o->port);
		if (pp->a.fd < 0)
			return pp->a.fd;
		snprintf(id, sizeof(id), "mb-%s-ppa", token);
		rc = pp_mqtt_setup(&pp->a, id, pp->topic_q);
	}
	if (rc < 0)
		return rc;
	if ((rc = pp_side_arm(pp, &pp->a)) < 0 || (rc = pp_side_arm(pp, &pp->b)) < 0)
		return rc;
	for (struct pp_side *s = &pp->a; s <= &pp->b; s++) {
		rc = pthread_create(&s->thread, NULL, pp_main, s);
		if (rc)
			return -rc;
		s->started = true;
	}
	return 0;
}

struct pp_snap {
	uint64_t t, delivered, sent, self_ns, a_ns, b_ns;
	uint64_t vcsw, ivcsw, bvcsw, bivcsw; /* context switches: this process, the broker */
	double broker_s;
	struct machine_cpu m;
};

static uint64_t pp_thread_ns(pthread_t th)
{
	clockid_t cid;
	struct timespec ts;

	if (pthread_getcpuclockid(th, &cid) || clock_gettime(cid, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pp_snap(struct pp *pp, struct pp_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->t = now_ns();
	s->delivered = __atomic_load_n(&pp->a.delivered, __ATOMIC_RELAXED) +
		       __atomic_load_n(&pp->b.delivered, __ATOMIC_RELAXED);
	s->sent = __atomic_load_n(&pp->a.sent, __ATOMIC_RELAXED) +
		  __atomic_load_n(&pp->b.sent, __ATOMIC_RELAXED);
	s->self_ns = process_cpu_ns();
	s->a_ns = pp_thread_ns(pp->a.thread);
	s->b_ns = pp_thread_ns(pp->b.thread);
	proc_pid_ctxt(0, &s->vcsw, &s->ivcsw);
	if (pp->o->broker_pid) {
		proc_pid_cpu(pp->o->broker_pid, &s->broker_s);
		proc_pid_ctxt(pp->o->broker_pid, &s->bvcsw, &s->bivcsw);
	}
	proc_machine_cpu(&s->m);
}

static void pp_result(struct pp *pp, const struct pp_snap *a, const struct pp_snap *b,
		      struct bench_result *res)
{
	res->duration = (double)(b->t - a->t) * 1e-9;
	res->sent_window = b->sent - a->sent;
	res->delivered_window = b->delivered - a->delivered;
	res->bench_cpu_s = (double)(b->self_ns - a->self_ns) * 1e-9;
	res->bench_pub_cpu_s = (double)(b->a_ns - a->a_ns) * 1e-9;
	res->bench_sub_cpu_s = (double)(b->b_ns - a->b_ns) * 1e-9;
	res->have_broker = pp->o->broker_pid > 0;
	res->broker_cpu_s = b->broker_s - a->broker_s;
	res->bench_vcsw = b->vcsw - a->vcsw;
	res->bench_ivcsw = b->ivcsw - a->ivcsw;
	res->broker_vcsw = b->bvcsw - a->bvcsw;
	res->broker_ivcsw = b->bivcsw - a->bivcsw;
	res->machine_cpu_s = (double)(b->m.busy - a->m.busy) / clk_tck();
	if (b->m.total > a->m.total)
		res->machine_busy_pct = 100.0 * (double)(b->m.busy - a->m.busy) /
					(double)(b->m.total - a->m.total);
}

/* Collect after the threads stopped: sent counts both legs, so does delivered; a message is
 * lost when it was published and its receiver never took it. */
static void pp_collect(struct pp *pp, struct bench_result *res)
{
	struct pp_side *a = &pp->a, *b = &pp->b;

	hist_merge(&res->lat, &a->lat);
	res->sent = a->sent + b->sent;
	res->delivered = a->delivered + b->delivered;
	res->expected = res->sent;
	res->received = a->good + b->good;
	res->lost = res->expected > res->received ? res->expected - res->received : 0;
	res->bad = a->bad + b->bad;
	res->reordered = a->reordered;
	res->stalls = a->stalls;
	res->errors = a->errors + b->errors;
}

int bench_pingpong(const struct bench_opts *o, struct bench_result *res)
{
	struct pp *pp = calloc(1, sizeof(*pp));
	struct pp_snap a, b;
	char token[24];
	uint64_t end, hwm;
	int rc;

	if (!pp)
		return -ENOMEM;
	pp->o = o;
	pp->t0 = pp->t1 = UINT64_MAX;
	snprintf(token, sizeof(token), "%x%lx", (unsigned int)getpid(),
		 (unsigned long)(now_ns() / 1000) & 0xffffff);
	snprintf(pp->topic_p, sizeof(pp->topic_p), "mqttgw-bench/%s/pp/p", token);
	snprintf(pp->topic_q, sizeof(pp->topic_q), "mqttgw-bench/%s/pp/q", token);
	res->pubs = res->subs = 2;
	res->window = 1;
	rc = pp_setup(pp, token);
	if (rc < 0) {
		fprintf(stderr, "mqttgw-bench: pingpong setup: %s\n", strerror(-rc));
		goto out;
	}
	if (o->broker_pid) {
		proc_pid_reset_hwm(o->broker_pid);
		proc_pid_mem(o->broker_pid, &res->broker_rss_start_kb, &hwm);
	}
	pp_phase(pp, PH_RUN);
	bench_sleep(o, res, o->warmup);
	__atomic_store_n(&pp->t0, now_ns(), __ATOMIC_RELEASE);
	pp_snap(pp, &a);
	bench_sleep(o, res, o->duration);
	pp_snap(pp, &b);
	__atomic_store_n(&pp->t1, b.t, __ATOMIC_RELEASE);
	pp_result(pp, &a, &b, res);
	/* stop: A sends no new message; wait until the one in flight is back (A's count of echoes
	 * reaches its count of pings), at most a stall's time: then it is lost */
	__atomic_store_n(&pp->phase, PH_STOP, __ATOMIC_RELEASE);
	end = now_ns() + (uint64_t)o->stall_ms * 1000000ull;
	while (now_ns() < end && __atomic_load_n(&pp->a.delivered, __ATOMIC_RELAXED) <
				     __atomic_load_n(&pp->a.sent, __ATOMIC_RELAXED))
		usleep(1000);
out:
	pp_phase(pp, PH_QUIT);
	for (struct pp_side *s = &pp->a; s <= &pp->b; s++)
		if (s->started)
			pthread_join(s->thread, NULL);
	pp_side_fini(&pp->a);
	pp_side_fini(&pp->b);
	if (!rc) {
		pp_collect(pp, res);
		if (o->broker_pid && proc_pid_mem(o->broker_pid, &res->broker_rss_end_kb, &hwm) == 0 &&
		    hwm > res->broker_rss_peak_kb)
			res->broker_rss_peak_kb = hwm;
	}
	free(pp);
	return rc;
}
