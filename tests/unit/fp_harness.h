/* SPDX-License-Identifier: MIT */
/*
 * fp_harness: shared by tests/unit/test_fastpath.c and tests/bench/fastpath/fp_measure.c
 * (see fp_harness.c). The functions that can fail do so with a cmocka assertion.
 */
#ifndef MQTTGW_FP_HARNESS_H
#define MQTTGW_FP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fastpath.h"

#define IO_TIMEOUT_MS 5000
#define QUIET_MS      30
#define BIG_BUDGET    (1ULL << 40)
/* A stream frame: PUBLISH "t/x" QoS 0 with a 64-bit sequence number as payload. */
#define SEQ_FRAME 15

/* The fast path under test (fastpath on), set by fp_harness_start(). */
extern struct fastpath *g_fp;

/*
 * Root check, fastpath_init(), a loopback listener for tcp_pair(), the kernel log mark and an
 * alarm after timeout_s. Returns 0 to go on, else the exit status: 77 skip (no fast path),
 * 1 when MQTTGW_REQUIRE_BPF=1 or the listener fails. fp_harness_end() checks the kernel log
 * (invariant 6: a new BUG/WARNING/Oops fails the run), frees, and returns the exit status.
 */
int fp_harness_start(unsigned int timeout_s);
int fp_harness_end(int rc);

/* ---- time, sockets, I/O ---- */
uint64_t now_ns(void);
/* A connected loopback pair, TCP_NODELAY on both ends: cli is the peer, srv the daemon's. */
void tcp_pair(int *cli, int *srv);
/* Write everything, waiting at most IO_TIMEOUT_MS for buffer space each time. Thread-safe
 * (no cmocka assertion): returns 0 or -errno. */
int xsend(int fd, const void *buf, size_t len, int flags);
int xwrite(int fd, const void *buf, size_t len);
void write_all(int fd, const void *buf, size_t len);
int wait_readable(int fd, int ms);
/* Read exactly len bytes within IO_TIMEOUT_MS (per read). */
void read_exact(int fd, void *buf, size_t len);
void expect_bytes(int fd, const void *exp, size_t len);
/* Nothing (more) to read on fd for QUIET_MS. */
void expect_quiet(int fd);

/* ---- MQTT frames ---- */
/* PUBLISH with fixed-header flags `flags` (DUP/QoS/RETAIN), packet id 1 when QoS > 0, and for
 * v5 a Property Length of 0 (or the given raw properties). */
size_t mk_pub_props(uint8_t *buf, unsigned int flags, const char *topic, size_t tl,
		    const void *payload, size_t plen, uint8_t proto, const uint8_t *props,
		    size_t proplen);
size_t mk_pub(uint8_t *buf, unsigned int flags, const char *topic, const char *payload);
/* Length of the complete frame at p[0..len), or 0 when incomplete. */
size_t frame_len(const uint8_t *p, size_t len);

/* ---- the fast path ---- */
struct fastpath_counters counters_now(void);
uint64_t passed_frames_total(const struct fastpath_counters *c);
/* fastpath_sock_add() that must succeed; returns the cookie. */
uint64_t sock_add(int fd, uint8_t proto, uint64_t budget, uint32_t max_frame);

/* ---- streams: a stand-in daemon, a subscriber that checks every frame ---- */
struct stream_res {
	struct fastpath_counters d;   /* counter deltas */
	double secs, sys_us, user_us; /* per message */
	uint64_t redirected, passed;
	int sub_err, relay_err;
	uint64_t bad_at, got;
};

/* What run_stream() sends. */
struct stream_cfg {
	bool fast;     /* through the fast path (a and b joined, route installed) */
	uint64_t n;    /* frames */
	int per_write; /* frames per send() */
	int wflags;    /* send() flags, e.g. MSG_EOR */
	int cut_every; /* every cut_every-th write is sent in two parts, cut inside a frame */
	uint64_t rate; /* frames per second, 0: as fast as possible */
};

/*
 * Stream sequence frames pc -> (a -> b) -> sc: through the fast path, where the stand-in
 * daemon follows the protocol of include/fastpath.h for what is passed, or through a plain
 * userspace relay. Socket setup is the caller's.
 */
void run_stream(int pc, int a, int b, int sc, uint64_t ca, uint64_t cb,
		const struct stream_cfg *cfg, struct stream_res *res);
/* "reason=frames/skbs ..." of the pass counters that moved. */
void print_reasons(const struct stream_res *res);
/* CPU time so far, in us: [0] machine-wide system+irq+softirq, [1] this process's user. */
void cpu_now(double t[2]);

#endif /* MQTTGW_FP_HARNESS_H */
