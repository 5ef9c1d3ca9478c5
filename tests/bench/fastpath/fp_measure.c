// SPDX-License-Identifier: MIT
/*
 * fp_measure: what the kernel fast path costs and gains, measured without the broker on
 * loopback socket pairs (pc -> a -> (kernel redirect | userspace relay) -> b -> sc): throughput
 * at 1 and 32 frames per write with default, big and small socket buffers, paced streams
 * (CPU per message), and idle ping-pong latency. The figures in include/fastpath.h come from
 * it. Moved out of tests/unit/test_fastpath.c, whose harness (tests/unit/fp_harness.c) it
 * shares.
 *
 *   make fp-measure                          build it ($(BUILD)/tests/fp_measure; root to run)
 *   MQTTGW_FP_MEASURE=kernel1,relay32-big,latency build/tests/fp_measure   a subset
 *   MQTTGW_FP_MEASURE_N=N                    frames per 32-per-write run (default 2,000,000)
 *
 * Case names: {relay,kernel}{1,32}[-big|-small|-paced], latency. Exit 77 without the fast
 * path (1 with MQTTGW_REQUIRE_BPF=1); new BUG/WARNING/Oops kernel log lines fail the run.
 */
#include <inttypes.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../unit/fp_harness.h"

static void set_bufs(int pc, int a, int b, int sc)
{
	/* As the daemon would for targets (send buffer) and as a fair baseline, every
	 * buffer on the path at the sysctl maximum. */
	assert_int_equal(fastpath_sock_bufs(g_fp, pc, -1, 0), 0);
	assert_int_equal(fastpath_sock_bufs(g_fp, a, 0, -1), 0);
	assert_int_equal(fastpath_sock_bufs(g_fp, b, -1, 0), 0);
	assert_int_equal(fastpath_sock_bufs(g_fp, sc, 0, -1), 0);
}

enum bufs { BUFS_DEFAULT, BUFS_BIG, BUFS_SMALL, BUFS_PACED };
static const char *const bufs_name[] = {"", "-big", "-small", "-paced"};

static void measure_stream(bool fast, int per_write, enum bufs bufs, uint64_t n)
{
	struct stream_res res;
	uint64_t ca = 0, cb = 0;
	int pc, a, sc, b, sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);

	tcp_pair(&pc, &a);
	tcp_pair(&sc, &b);
	if (bufs == BUFS_BIG)
		set_bufs(pc, a, b, sc);
	if (bufs == BUFS_SMALL) /* a target with a 64 KiB send buffer (128 KiB effective) */
		assert_int_equal(fastpath_sock_bufs(g_fp, b, 65536, 0), 0);
	getsockopt(b, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
	if (fast) {
		ca = sock_add(a, FP_PROTO_V311, 0, 0);
		cb = sock_add(b, FP_PROTO_V311, BIG_BUDGET, 0);
		assert_int_equal(fastpath_route_add(g_fp, ca, "t/x", 3, cb), 0);
	}
	{
		/* paced: default buffers, 20,000 msg/s (1/write) or 200,000 (32/write) */
		const struct stream_cfg cfg = {.fast = fast,
					       .n = n,
					       .per_write = per_write,
					       .rate = bufs != BUFS_PACED ? 0
						       : per_write == 1	  ? 20000
									  : 200000};

		run_stream(pc, a, b, sc, ca, cb, &cfg, &res);
	}
	printf("%-6s %2d/write %-7s sndbuf(b)=%-7d %7" PRIu64
	       " msgs %5.2f s %8.0f msg/s  sys+softirq %5.2f us/msg  user %5.2f us/msg",
	       fast ? "kernel" : "relay", per_write, bufs ? bufs_name[bufs] + 1 : "default", sndbuf,
	       n, res.secs, (double)res.got / res.secs, res.sys_us, res.user_us);
	if (fast)
		printf("  redirected %.1f%%", 100.0 * (double)res.redirected / (double)n);
	if (res.sub_err || res.relay_err)
		printf("  ERROR sub=%s relay=%s got=%" PRIu64, strerror(res.sub_err),
		       strerror(res.relay_err), res.got);
	printf("\n");
	if (fast)
		print_reasons(&res);
	fflush(stdout);
	if (fast) {
		fastpath_sock_remove(g_fp, ca);
		fastpath_sock_remove(g_fp, cb);
	}
	close(pc);
	close(a);
	close(sc);
	close(b);
}

/* Userspace relay in both directions, for the latency baseline. */
struct relay2 {
	int a, b;
	volatile bool stop;
};

static void *relay2_main(void *arg)
{
	struct relay2 *r = arg;
	struct pollfd p[2] = {{.fd = r->a, .events = POLLIN}, {.fd = r->b, .events = POLLIN}};
	uint8_t buf[4096];

	while (!r->stop) {
		if (poll(p, 2, 10) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			n = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n <= 0 || xwrite(p[1 - i].fd, buf, (size_t)n))
				return NULL;
		}
	}
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void measure_latency(bool fast, int iters)
{
	struct relay2 r = {0};
	uint64_t *rtt = calloc((size_t)iters, sizeof(*rtt)), ca = 0, cb = 0;
	uint8_t ping[32], pong[32], buf[32];
	size_t np, nq;
	pthread_t t;
	int pc, a, sc, b, warm = 1000;

	assert_non_null(rtt);
	tcp_pair(&pc, &a);
	tcp_pair(&sc, &b);
	np = mk_pub(ping, 0, "ping", "0123456789");
	nq = mk_pub(pong, 0, "pong", "0123456789");
	if (fast) {
		ca = sock_add(a, FP_PROTO_V311, BIG_BUDGET, 0);
		cb = sock_add(b, FP_PROTO_V311, BIG_BUDGET, 0);
		assert_int_equal(fastpath_route_add(g_fp, ca, "ping", 4, cb), 0);
		assert_int_equal(fastpath_route_add(g_fp, cb, "pong", 4, ca), 0);
	} else {
		r.a = a;
		r.b = b;
		assert_int_equal(pthread_create(&t, NULL, relay2_main, &r), 0);
	}
	for (int i = -warm; i < iters; i++) {
		uint64_t t0 = now_ns();

		write_all(pc, ping, np);
		read_exact(sc, buf, np);
		write_all(sc, pong, nq);
		read_exact(pc, buf, nq);
		if (i >= 0)
			rtt[i] = now_ns() - t0;
		usleep(100); /* idle between messages: the light-load case */
	}
	qsort(rtt, (size_t)iters, sizeof(*rtt), cmp_u64);
	printf("%-7s ping-pong RTT over %d (one relay hop each way): p50 %.1f us"
	       "  p90 %.1f us  p99 %.1f us  (one-way p50 %.1f us)\n",
	       fast ? "kernel" : "relay", iters, rtt[iters / 2] / 1e3, rtt[iters * 9 / 10] / 1e3,
	       rtt[iters * 99 / 100] / 1e3, rtt[iters / 2] / 2e3);
	fflush(stdout);
	if (fast) {
		fastpath_sock_remove(g_fp, ca);
		fastpath_sock_remove(g_fp, cb);
	} else {
		r.stop = true;
		pthread_join(t, NULL);
	}
	close(pc);
	close(a);
	close(sc);
	close(b);
	free(rtt);
}

/* MQTTGW_FP_MEASURE is "1" (every case) or a comma-separated list of case names. */
static bool measure_case(const char *name)
{
	const char *m = getenv("MQTTGW_FP_MEASURE"), *p;
	size_t n = strlen(name);

	if (!m || !strcmp(m, "1"))
		return true;
	for (p = m; (p = strstr(p, name)); p += n)
		if ((p == m || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void test_measure(void **state)
{
	const char *nv = getenv("MQTTGW_FP_MEASURE_N");
	uint64_t n32 = nv ? strtoull(nv, NULL, 10) : 2000000, n1 = n32 / 10;
	char name[32];

	(void)state;
	printf("# throughput: pc -> a -> (kernel redirect | userspace relay) -> b -> sc\n");
	if (measure_case("relay1-paced") || measure_case("kernel1-paced")) {
		double c0[2], c1[2];

		cpu_now(c0);
		sleep(5);
		cpu_now(c1);
		printf(
		    "# machine sys+softirq with no traffic: %.1f ms/s (other processes; subtract "
		    "it from paced runs)\n",
		    (c1[0] - c0[0]) / 5e3);
	}
	for (int bufs = BUFS_DEFAULT; bufs <= BUFS_PACED; bufs++) {
		for (int fast = 0; fast < 2; fast++) {
			for (int pw = 1; pw <= 32; pw += 31) {
				snprintf(name, sizeof(name), "%s%d%s", fast ? "kernel" : "relay",
					 pw, bufs_name[bufs]);
				if (!measure_case(name))
					continue;
				if (bufs == BUFS_PACED) /* 10 s at 20,000 or 200,000 msg/s */
					measure_stream(fast, pw, BUFS_PACED,
						       pw == 1 ? 200000 : 2000000);
				else
					measure_stream(fast, pw, (enum bufs)bufs,
						       pw == 1 ? n1 : n32);
			}
		}
	}
	if (measure_case("latency")) {
		printf("# latency: pc -> a -> b -> sc, then sc -> b -> a -> pc, 100 us idle\n");
		measure_latency(false, 20000);
		measure_latency(true, 20000);
	}
}

int main(void)
{
	const struct CMUnitTest measure[] = {cmocka_unit_test(test_measure)};
	int rc = fp_harness_start(900);

	if (rc)
		return rc;
	rc = cmocka_run_group_tests_name("fastpath measurements", measure, NULL, NULL);
	return fp_harness_end(rc);
}
