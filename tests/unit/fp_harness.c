// SPDX-License-Identifier: MIT
/*
 * fp_harness: what the kernel fast path's tests (test_fastpath.c) and its measurements
 * (tests/bench/fastpath/fp_measure.c) share: loopback socket pairs, MQTT frames, the fast
 * path's counters, a stand-in daemon and a checking subscriber for streams, and the kernel
 * log check of invariant 6. Failures are cmocka assertions: both programs run cmocka groups.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fp_harness.h"
#include "mqtt_varint.h"

struct fastpath *g_fp;
static int g_lfd = -1;
static in_port_t g_port;
static int g_kfd = -1;

/* ---- time, sockets, I/O ---- */

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void tcp_pair(int *cli, int *srv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = g_port};
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*cli >= 0);
	assert_int_equal(connect(*cli, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*srv = accept4(g_lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*srv >= 0);
	/* Each write is its own segment (small writes must not wait for an ACK). */
	assert_int_equal(setsockopt(*cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
}

/* Write everything, waiting at most IO_TIMEOUT_MS for buffer space each time. Thread-safe
 * (no cmocka assertion): returns 0 or -errno. */
int xsend(int fd, const void *buf, size_t len, int flags)
{
	const uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		ssize_t n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL | flags);

		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, IO_TIMEOUT_MS) != 1)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int xwrite(int fd, const void *buf, size_t len)
{
	return xsend(fd, buf, len, 0);
}

void write_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(xwrite(fd, buf, len), 0);
}

int wait_readable(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, ms);
}

/* Read exactly len bytes within IO_TIMEOUT_MS (per read). */
void read_exact(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n;

		assert_int_equal(wait_readable(fd, IO_TIMEOUT_MS), 1);
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

void expect_bytes(int fd, const void *exp, size_t len)
{
	uint8_t *got = malloc(len);

	assert_non_null(got);
	read_exact(fd, got, len);
	assert_memory_equal(got, exp, len);
	free(got);
}

/* Nothing (more) to read on fd for a short while. */
void expect_quiet(int fd)
{
	uint8_t b;

	if (wait_readable(fd, QUIET_MS) == 1)
		assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK), -1);
}

/* ---- MQTT frames ---- */

/* PUBLISH with fixed-header flags `flags` (DUP/QoS/RETAIN), packet id 1 when QoS > 0, and for
 * v5 a Property Length of 0 (or the given raw properties). */
size_t mk_pub_props(uint8_t *buf, unsigned int flags, const char *topic, size_t tl,
		    const void *payload, size_t plen, uint8_t proto, const uint8_t *props,
		    size_t proplen)
{
	unsigned int qos = (flags >> 1) & 3;
	uint32_t rl = 2 + (uint32_t)tl + (qos ? 2 : 0) + (uint32_t)plen;
	size_t n = 0;

	if (proto == FP_PROTO_V5)
		rl += (uint32_t)(props ? proplen : 1);
	buf[n++] = 0x30 | (flags & 0x0f);
	n += put_varint(buf + n, rl);
	buf[n++] = (uint8_t)(tl >> 8);
	buf[n++] = (uint8_t)tl;
	memcpy(buf + n, topic, tl);
	n += tl;
	if (qos) {
		buf[n++] = 0;
		buf[n++] = 1;
	}
	if (proto == FP_PROTO_V5) {
		if (props) {
			memcpy(buf + n, props, proplen);
			n += proplen;
		} else {
			buf[n++] = 0;
		}
	}
	memcpy(buf + n, payload, plen);
	return n + plen;
}

size_t mk_pub(uint8_t *buf, unsigned int flags, const char *topic, const char *payload)
{
	return mk_pub_props(buf, flags, topic, strlen(topic), payload, strlen(payload),
			    FP_PROTO_V311, NULL, 0);
}

/* Length of the complete frame at p[0..len), or 0 when incomplete. */
size_t frame_len(const uint8_t *p, size_t len)
{
	uint32_t v = 0;
	size_t i;

	for (i = 1; i < len && i <= 4; i++) {
		v |= (uint32_t)(p[i] & 0x7f) << (7 * (i - 1));
		if (!(p[i] & 0x80))
			return 1 + i + v <= len ? 1 + i + v : 0;
	}
	return 0;
}

/* ---- counters ---- */

struct fastpath_counters counters_now(void)
{
	struct fastpath_counters c;

	assert_int_equal(fastpath_counters(g_fp, &c), 0);
	return c;
}

uint64_t passed_frames_total(const struct fastpath_counters *c)
{
	uint64_t t = 0;

	for (int i = 0; i < FP_PASS_NR; i++)
		t += c->passed_frames[i];
	return t;
}

uint64_t sock_add(int fd, uint8_t proto, uint64_t budget, uint32_t max_frame)
{
	struct fastpath_sock_opts o = {.proto = proto, .budget = budget, .max_frame = max_frame};
	uint64_t ck = 0;

	assert_int_equal(fastpath_sock_add(g_fp, fd, &o, &ck), 0);
	assert_true(ck != 0);
	return ck;
}

/* ---- streams: a stand-in daemon, a subscriber that checks every frame ---- */

/* A SEQ_FRAME-byte PUBLISH "t/x" QoS 0 whose payload is a 64-bit sequence number. */
static void mk_seq_frame(uint8_t *p, uint64_t seq)
{
	static const uint8_t hdr[7] = {0x30, 13, 0, 3, 't', '/', 'x'};

	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), &seq, sizeof(seq));
}

/*
 * The daemon's half of a flow a -> b, run in a thread. With the fast path it follows the
 * protocol of include/fastpath.h: dispatch what was passed, set b busy while it holds output
 * for b, report drained, write to b only when the redirect queue is quiet. Without it, it is
 * the plain userspace relay of the measurements (read, write).
 */
struct relay {
	int in_fd, out_fd;
	uint64_t cin, cout; /* cookies, fast mode */
	bool fast;
	volatile bool stop;
	uint64_t read_bytes, written;
	int err; /* errno of the first failure, 0 */
};

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	size_t cap = 1 << 20, inlen = 0, qlen = 0, qoff = 0, qcap = 1 << 20;
	uint8_t *in = malloc(cap), *q = malloc(qcap);
	bool busy = false;

	if (!in || !q) {
		r->err = ENOMEM;
		goto out;
	}
	while (!r->stop) {
		if (wait_readable(r->in_fd, qlen ? 0 : 2) == 1) {
			ssize_t n = recv(r->in_fd, in + inlen, cap - inlen, MSG_DONTWAIT);

			if (n == 0)
				break;
			if (n < 0 && errno != EAGAIN) {
				r->err = errno;
				break;
			}
			if (n > 0 && !r->fast) {
				int e = xwrite(r->out_fd, in, (size_t)n);

				if (e) {
					r->err = -e;
					break;
				}
				r->read_bytes += (uint64_t)n;
				continue;
			}
			if (n > 0) {
				size_t off = 0, fl;

				r->read_bytes += (uint64_t)n;
				inlen += (size_t)n;
				while ((fl = frame_len(in + off, inlen - off)))
					off += fl; /* dispatch complete frames to b's queue */
				if (qoff + qlen + off > qcap) {
					memmove(q, q + qoff, qlen);
					qoff = 0;
				}
				if (qlen + off > qcap) {
					qcap = 2 * (qlen + off);
					q = realloc(q, qcap);
					if (!q) {
						r->err = ENOMEM;
						goto out;
					}
				}
				memcpy(q + qoff + qlen, in, off);
				qlen += off;
				memmove(in, in + off, inlen - off);
				inlen -= off;
				/* Busy before drained: once drained says "nothing pending", a
				 * redirect to b would overtake the frames queued here. */
				if (qlen && !busy) {
					fastpath_set_busy(g_fp, r->cout, true);
					busy = true;
				}
				/* whole frames only: the partial one left in `in` is not drained */
				fastpath_drained(g_fp, r->cin, r->read_bytes - inlen);
			}
		}
		if (qlen && fastpath_tx_quiet(g_fp, r->cout, r->written) == 1) {
			ssize_t w = send(r->out_fd, q + qoff, qlen, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w < 0 && errno != EAGAIN) {
				r->err = errno;
				break;
			}
			if (w > 0) {
				r->written += (uint64_t)w;
				qoff += (size_t)w;
				qlen -= (size_t)w;
			}
		}
		if (!qlen && busy) {
			qoff = 0;
			fastpath_set_busy(g_fp, r->cout, false);
			busy = false;
		}
	}
out:
	free(in);
	free(q);
	return NULL;
}

/* The subscriber: reads fd until `expect` sequence frames arrived, each intact and in order. */
struct sub {
	int fd;
	uint64_t expect, next;
	uint64_t t_done;
	int err;	 /* 0, ETIMEDOUT, EBADMSG (corrupt or out of order) */
	uint64_t bad_at; /* sequence where it went wrong */
};

static void *sub_main(void *arg)
{
	struct sub *s = arg;
	size_t cap = 1 << 20, len = 0, off;
	uint8_t *buf = malloc(cap), exp[SEQ_FRAME];

	if (!buf) {
		s->err = ENOMEM;
		return NULL;
	}
	while (s->next < s->expect) {
		ssize_t n;

		if (wait_readable(s->fd, 20000) != 1) {
			s->err = ETIMEDOUT;
			break;
		}
		n = recv(s->fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && errno == EAGAIN)
				continue;
			s->err = n ? errno : EPIPE;
			break;
		}
		len += (size_t)n;
		for (off = 0; len - off >= SEQ_FRAME; off += SEQ_FRAME) {
			mk_seq_frame(exp, s->next);
			if (memcmp(buf + off, exp, SEQ_FRAME)) {
				s->err = EBADMSG;
				s->bad_at = s->next;
				goto out;
			}
			s->next++;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
out:
	s->t_done = now_ns();
	free(buf);
	return NULL;
}

/* CPU time so far, in us: [0] machine-wide system+irq+softirq (the kernel path's work runs
 * in softirq and kworkers, not in this process), [1] this process's user time. */
void cpu_now(double t[2])
{
	unsigned long long v[7] = {0};
	FILE *f = fopen("/proc/stat", "re");
	struct rusage ru;

	if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			&v[4], &v[5], &v[6]) != 7)
		memset(v, 0, sizeof(v));
	if (f)
		fclose(f);
	t[0] = (double)(v[2] + v[5] + v[6]) * 1e6 / (double)sysconf(_SC_CLK_TCK);
	getrusage(RUSAGE_SELF, &ru);
	t[1] = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec;
}

/*
 * Stream sequence frames pc -> (a -> b) -> sc: through the fast path, where the stand-in
 * daemon follows the protocol for what is passed, or through the plain relay. Socket setup
 * is the caller's.
 */
void run_stream(int pc, int a, int b, int sc, uint64_t ca, uint64_t cb,
		const struct stream_cfg *cfg, struct stream_res *res)
{
	struct relay r = {.in_fd = a, .out_fd = b, .cin = ca, .cout = cb, .fast = cfg->fast};
	struct sub s = {.fd = sc, .expect = cfg->n};
	struct fastpath_counters c0, c1;
	double cpu0[2], cpu1[2];
	pthread_t tr, ts;
	uint8_t *batch = malloc((size_t)cfg->per_write * SEQ_FRAME);
	uint64_t t0, seq = 0, writes = 0;

	assert_non_null(batch);
	c0 = counters_now();
	assert_int_equal(pthread_create(&ts, NULL, sub_main, &s), 0);
	assert_int_equal(pthread_create(&tr, NULL, relay_main, &r), 0);
	cpu_now(cpu0);
	t0 = now_ns();
	while (seq < cfg->n) {
		size_t len, cut = 0;
		int k = 0;

		for (; k < cfg->per_write && seq < cfg->n; k++, seq++)
			mk_seq_frame(batch + (size_t)k * SEQ_FRAME, seq);
		len = (size_t)k * SEQ_FRAME;
		if (cfg->cut_every && ++writes % (uint64_t)cfg->cut_every == 0)
			cut = len - SEQ_FRAME / 2;
		if (cut) {
			assert_int_equal(xsend(pc, batch, cut, cfg->wflags), 0);
			usleep(200); /* let the first part be its own skb at a */
		}
		assert_int_equal(xsend(pc, batch + cut, len - cut, cfg->wflags), 0);
		if (cfg->rate) { /* paced: sleep until this write's time (same cost both paths) */
			uint64_t at = t0 + seq * 1000000000ULL / cfg->rate;
			struct timespec ts_at = {.tv_sec = (time_t)(at / 1000000000ULL),
						 .tv_nsec = (long)(at % 1000000000ULL)};

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts_at, NULL);
		}
	}
	pthread_join(ts, NULL);
	res->secs = (double)(s.t_done - t0) / 1e9;
	cpu_now(cpu1);
	res->sys_us = (cpu1[0] - cpu0[0]) / (double)cfg->n;
	res->user_us = (cpu1[1] - cpu0[1]) / (double)cfg->n;
	r.stop = true;
	pthread_join(tr, NULL);
	c1 = counters_now();
	res->d.redirected_skbs = c1.redirected_skbs - c0.redirected_skbs;
	for (int i = 0; i < FP_PASS_NR; i++) {
		res->d.passed_skbs[i] = c1.passed_skbs[i] - c0.passed_skbs[i];
		res->d.passed_frames[i] = c1.passed_frames[i] - c0.passed_frames[i];
	}
	res->redirected = c1.redirected_frames - c0.redirected_frames;
	res->passed = passed_frames_total(&c1) - passed_frames_total(&c0);
	res->sub_err = s.err;
	res->relay_err = r.err;
	res->bad_at = s.bad_at;
	res->got = s.next;
	free(batch);
}

/* "reason=frames/skbs ..." of the pass counters that moved. */
void print_reasons(const struct stream_res *res)
{
	printf("#   redirected skbs %" PRIu64 "; passed (frames/skbs):", res->d.redirected_skbs);
	for (int i = 0; i < FP_PASS_NR; i++)
		if (res->d.passed_skbs[i])
			printf(" %s=%" PRIu64 "/%" PRIu64, fastpath_reason_name((unsigned int)i),
			       res->d.passed_frames[i], res->d.passed_skbs[i]);
	printf("\n");
}

/* ---- kernel log (invariant 6) ---- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Number of new BUG/WARNING/Oops records since kmsg_open(); prints them. */
static int kmsg_check(int fd)
{
	char rec[8192];
	int bad = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg;

		if (n < 0)
			continue; /* overwritten records: keep reading */
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (strstr(msg, "BUG") || strstr(msg, "WARNING") || strstr(msg, "Oops")) {
			printf("kernel: %s", msg);
			bad++;
		}
	}
	return bad;
}

int fp_harness_start(unsigned int timeout_s)
{
	const char *req = getenv("MQTTGW_REQUIRE_BPF"), *why = NULL;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	char err[512] = "";

	signal(SIGPIPE, SIG_IGN);
	/* Everything below is bounded: a wedged socket fails the run instead of hanging it. */
	alarm(timeout_s);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		why = "not root";
	else if (fastpath_init(&g_fp, CONFIG_FASTPATH_ON, err, sizeof(err)) || !g_fp)
		why = err[0] ? err : "fastpath_init failed";
	if (why) {
		if (req && !strcmp(req, "1")) {
			printf("FAIL: MQTTGW_REQUIRE_BPF=1 but the kernel fast path is "
			       "unavailable: %s\n",
			       why);
			return 1;
		}
		printf("SKIP: kernel fast path unavailable: %s\n", why);
		return 77;
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g_lfd < 0 || bind(g_lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(g_lfd, 16) ||
	    getsockname(g_lfd, (struct sockaddr *)&sa, &sl)) {
		printf("FAIL: loopback listener: %s\n", strerror(errno));
		return 1;
	}
	g_port = sa.sin_port;
	g_kfd = kmsg_open();
	return 0;
}

int fp_harness_end(int rc)
{
	int bad = kmsg_check(g_kfd);

	if (g_kfd >= 0)
		close(g_kfd);
	else
		printf("# /dev/kmsg unavailable: kernel log not checked\n");
	if (bad) {
		printf("FAIL: %d new BUG/WARNING/Oops line(s) in the kernel log (invariant 6)\n",
		       bad);
		rc = rc ? rc : 1;
	}
	close(g_lfd);
	fastpath_free(g_fp);
	return rc;
}
