/* SPDX-License-Identifier: MIT */
/*
 * fastpath: the kernel fast path (sockmap + sk_skb verdict) for QoS 0 PUBLISH relay (L1).
 * The only module that includes libbpf or a skeleton. With `fastpath auto` it probes at start
 * and falls back to the slow path with one log line; `fastpath on` refuses to start without
 * it; `off` never loads it.
 *
 * Measured on this project's machine (6.18, loopback, 2 vCPU; `make fp-measure`, then
 * build/tests/fp_measure, noisy, ranges over 4-5 runs) — what any policy must respect:
 *   - throughput: userspace relay 0.4-0.8 M msg/s at 1 frame/write and 3-19 M at 32/write;
 *     kernel redirect 46-110 k and 0.9-1.9 M: the kernel path is 7-10x SLOWER;
 *   - idle ping-pong RTT: equal within noise (relay 33 us, kernel 32-36 us; kernel p99 worse);
 *   - CPU per message at 20 k msg/s: relay 28-44 us, kernel 46-55 us (machine-wide);
 *   - the one-jiffy (4 ms) backoff of sk_psock_backlog appears only with small target send
 *     buffers (128 KiB); loopback's default 3.9 MB avoids it;
 *   - a publisher whose TCP stack coalesces writes cuts skbs mid-frame under load: those skbs
 *     and the ones behind them go through the daemon (72% in one run) unless it uses MSG_EOR;
 *   - a target that stops reading queues ~0.5 KiB of kernel memory per skb beyond the budget.
 * So invariant 5 (never worse than the slow path) means: keep flows on the daemon's path
 * unless a flow is measured to gain; at saturation the daemon's batched relay wins.
 *
 * Model. A socket joins the fast path after CONNACK (fastpath_sock_add) and is identified by
 * its socket cookie from then on. From that moment the kernel's verdict program sees every
 * skb the socket receives. It redirects a whole skb to one subscriber socket's egress when
 * every frame in it is a PUBLISH QoS 0 / RETAIN 0 whose exact topic has a route from this
 * publisher (fastpath_route_add) and the target's state allows it; everything else reaches
 * the daemon through read() exactly as without a fast path (it is "passed").
 *
 * What the daemon owes the fast path (ARCHITECTURE.md, invariants 1-3):
 *   - Drained (order): count the bytes of the complete frames read from a fast-path socket
 *     since fastpath_sock_add() returned and dispatched (appended to the output queues), and
 *     report the count with fastpath_drained(); bytes of a frame not complete yet are not in
 *     it. Until it equals what the verdict passed, the verdict passes this publisher's skbs
 *     unjudged, so nothing overtakes what the daemon still holds; when it does, the next skb
 *     begins on a frame boundary, the only place the verdict starts walking frames (it
 *     keeps no frame state across skbs). (Every byte read after the add went through the
 *     verdict, also bytes that arrived earlier and were not read yet: the kernel runs them
 *     through it on the first read.)
 *   - Busy (one writer): before the daemon writes to a fast-path socket, or queues output
 *     for it, it sets busy (fastpath_set_busy); it writes only once fastpath_tx_quiet() says
 *     the kernel's redirect queue towards it is empty; it clears busy when its own output
 *     queue for that socket is empty again.
 *   - Budget (memory): the verdict spends a target's credit; the daemon refills it from what
 *     the socket has actually sent (fastpath_budget_refill, e.g. on every loop tick).
 *
 * Every call after fastpath_active() needs an active fast path: check fastpath_active() once
 * (the broker keeps no fast-path state without one) and make none of them otherwise. Only a
 * build without BPF (FASTPATH=0, daemon/fastpath/fastpath_stub.c) answers them, -ENOTSUP, so
 * "unavailable" is said in one place. Cookies are the kernel's SO_COOKIE values, unique per
 * socket for the boot. Not thread-safe: call from the loop.
 */
#ifndef MQTTGW_FASTPATH_H
#define MQTTGW_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "mqttgw/fp_abi.h"

struct fastpath;

/*
 * Probe and load per mode. Returns 0 with *out set (possibly to an inactive fast path), or
 * -ENOTSUP when mode is CONFIG_FASTPATH_ON and the fast path cannot run (reason in err).
 */
int fastpath_init(struct fastpath **out, enum config_fastpath mode, char *err, size_t errlen);
/* Detach, unload, close every map. Sockets still in the fast path leave it, with the effects
 * described at fastpath_sock_remove(): call it after the fast-path sockets are closed. */
void fastpath_free(struct fastpath *fp);
bool fastpath_active(const struct fastpath *fp);

/*
 * The same as fastpath_init(), in the background, so that mqttgwd listens first (issue 15:
 * loading and verifying the programs takes 0.3-0.9 s, the rest of a start 40 ms).
 * fastpath_load_start() probes here (mode off: *out NULL, returns 0; probes that fail: what
 * fastpath_init() does, at once) and loads and attaches on a thread of its own, which touches
 * nothing but the fast path it creates. fastpath_load_fd() becomes readable (an eventfd) when
 * the thread is done; fastpath_load_finish() joins it, frees ld and returns what
 * fastpath_init() would have: 0 with *fp (NULL when `auto` could not load: logged), or
 * -ENOTSUP for `on` (reason in err).
 */
struct fastpath_load;
int fastpath_load_start(struct fastpath_load **out, enum config_fastpath mode, char *err,
			size_t errlen);
int fastpath_load_fd(const struct fastpath_load *ld);
int fastpath_load_finish(struct fastpath_load *ld, struct fastpath **fp, char *err, size_t errlen);
/* A start that stops during the load: wait for the thread, unload what it loaded, free ld;
 * logs nothing (NULL: nothing to do). */
void fastpath_load_cancel(struct fastpath_load *ld);

/* How a socket joins (fastpath_sock_add). Zero-initialise, then set what applies. */
struct fastpath_sock_opts {
	uint8_t proto;	    /* MQTT protocol level of the client: 3, 4 or 5 (FP_PROTO_*) */
	uint32_t max_frame; /* largest frame it may be sent (v5 Maximum Packet Size), 0: any */
	uint64_t budget;    /* initial byte credit as a redirect target */
};

/*
 * Add a connected TCP socket (after CONNACK was queued). fd is borrowed: the caller keeps
 * it open until fastpath_sock_remove(). Returns 0 with *cookie set; -ENOSPC when the fast
 * path is full (the connection simply stays on the slow path), -EEXIST, or -errno.
 * Call it right after a read() of the socket returned EAGAIN with every frame read
 * dispatched (nothing partial held): the verdict takes the next byte for a frame boundary.
 * And right after that EAGAIN because the kernel hands the verdict
 * whole skbs (tcp_read_skb() has no offset), so an skb the daemon read only partly before
 * the add would reach the verdict, and the daemon, again from its first byte.
 * After it returns, call read() once even without an epoll event: bytes that arrived
 * before the add are delivered through the verdict on the next read.
 */
int fastpath_sock_add(struct fastpath *fp, int fd, const struct fastpath_sock_opts *opts,
		      uint64_t *cookie);
/*
 * Remove a socket: right before or right after close(fd), and never read the socket again
 * once it left. Invalidates its routes in both directions and frees its slot. For connection
 * teardown only: leaving the sockhash drops what the kernel still queued for the socket
 * (passed input not read yet, redirected output not sent yet), and on 6.18 a read after
 * that finds copied_seq behind the receive queue ("TCP recvmsg seq # bug" WARNING, the
 * socket is wedged). To stop redirecting on a live connection, use fastpath_route_flush().
 * Returns 0, -ENOENT or -errno.
 */
int fastpath_sock_remove(struct fastpath *fp, uint64_t cookie);

/*
 * Install the route (publisher, exact topic) -> subscriber, replacing an older one for the
 * same topic. The daemon checked invariant 4 (same protocol level, one matching
 * subscription, no-local, no subscription identifier, ACLs). topic is borrowed.
 * Returns 0, -ENOENT (a cookie is not in the fast path), -ENAMETOOLONG (> FP_TOPIC_MAX or
 * the configured maximum; the topic stays on the slow path), -EINVAL (empty), or -errno.
 */
int fastpath_route_add(struct fastpath *fp, uint64_t pub, const void *topic, size_t topic_len,
		       uint64_t sub);
/* Remove one route. Returns 0 or -ENOENT. */
int fastpath_route_del(struct fastpath *fp, uint64_t pub, const void *topic, size_t topic_len);
/*
 * Invalidate every route from or to this socket, at once (O(1): bumps its generation; the
 * stale entries age out of the LRU route map). For subscription, ACL, session and config
 * changes. Returns 0 or -ENOENT.
 */
int fastpath_route_flush(struct fastpath *fp, uint64_t cookie);

/*
 * Flag a socket as "daemon output pending": while set it is never a redirect target. Set it
 * before queueing output for the socket (then wait for fastpath_tx_quiet() before writing),
 * clear it when the daemon's output queue for it is empty. No syscall (shared memory).
 */
int fastpath_set_busy(struct fastpath *fp, uint64_t cookie, bool busy);
/*
 * Whether routes from this socket exist (FP_SLOT_F_ROUTED): without, its skbs are passed at
 * once, unwalked (the cost of a publisher the daemon relays stays O(1) per skb).
 * fastpath_route_add() sets it and fastpath_route_flush() clears it; the daemon, which knows
 * when the last route from a socket is deleted, clears it then (optional: a stale flag only
 * costs the walk). No syscall.
 */
int fastpath_set_routed(struct fastpath *fp, uint64_t cookie, bool routed);
/*
 * 1 when every byte the verdict redirected to this socket has entered its TCP send queue,
 * i.e. the kernel's redirect queue towards it is empty and a daemon write cannot interleave
 * with a redirected skb; 0 when not yet (poll again, e.g. next loop iteration); -errno.
 * daemon_written: bytes the daemon wrote to the socket since fastpath_sock_add().
 * Checks tcpi_bytes_acked + SIOCOUTQ == bytes written at the add + daemon_written + spent.
 */
int fastpath_tx_quiet(struct fastpath *fp, uint64_t cookie, uint64_t daemon_written);

/*
 * Report the bytes read from this socket since fastpath_sock_add() whose complete frames
 * are all dispatched (see "Drained" above). Monotonic. No syscall.
 */
int fastpath_drained(struct fastpath *fp, uint64_t cookie, uint64_t bytes);

/* Raise a target's credit by `bytes` (total it may ever be redirected grows). No syscall. */
int fastpath_budget_grant(struct fastpath *fp, uint64_t cookie, uint64_t bytes);
/*
 * Refill from what the socket has sent: credit becomes at least
 * (bytes acked since the add - daemon_written) + window, so at most about `window` bytes of
 * redirected data are queued or unacknowledged towards this subscriber. One getsockopt.
 * The budget counts payload bytes; until the redirect worker sends it, the kernel keeps
 * each redirected skb whole (sk_buff + shared info are ~0.5 KiB even for a 20-byte frame),
 * so for small frames choose the window for the number of skbs it allows, too.
 */
int fastpath_budget_refill(struct fastpath *fp, uint64_t cookie, uint64_t daemon_written,
			   uint64_t window);

/*
 * Socket buffers for a redirect target (or any socket): the kernel's redirect worker stops
 * at a full send buffer and retries one jiffy later (4 ms at HZ=250), not on write space, so
 * targets want a large SO_SNDBUF. Each value: 0 leaves it, < 0 sets the sysctl maximum
 * (net.core.wmem_max / rmem_max), > 0 sets min(value, maximum). Returns 0 or -errno.
 */
int fastpath_sock_bufs(struct fastpath *fp, int fd, int sndbuf, int rcvbuf);

/* Per-socket view (from shared memory). */
struct fastpath_sock_stats {
	uint64_t passed;     /* bytes passed to the daemon */
	uint64_t drained;    /* last fastpath_drained() value */
	uint64_t redirected; /* bytes redirected away from it (as publisher) */
	uint64_t spent;	     /* bytes redirected to it (as target) */
	uint64_t credit;     /* its credit as target */
	uint32_t gen;	     /* route generation */
	uint32_t flags;	     /* FP_SLOT_F_* */
};
int fastpath_sock_stats(const struct fastpath *fp, uint64_t cookie,
			struct fastpath_sock_stats *out);

/* Counters summed over CPUs (since fastpath_init). */
struct fastpath_counters {
	uint64_t redirected_skbs;
	uint64_t redirected_frames;
	uint64_t redirected_bytes;
	uint64_t over_budget; /* skbs refused because a target's budget was spent */
	uint64_t dup_skbs, dup_bytes; /* retransmitted bytes the socket already had, cut */
	uint64_t passed_skbs[FP_PASS_NR];
	uint64_t passed_frames[FP_PASS_NR];
	uint64_t passed_bytes[FP_PASS_NR];
};
int fastpath_counters(const struct fastpath *fp, struct fastpath_counters *out);
/* Short name of a pass reason ("qos", "no_route", ...), for metrics and $SYS. */
const char *fastpath_reason_name(unsigned int reason);

/*
 * Status pins (`mqttgwd --fastpath-status`). While the daemon runs, fp_meta (identity and the
 * figures below) and fp_stats (the per-CPU counters) are pinned in cfg->fastpath_pin_dir
 * (default CONFIG_FASTPATH_PIN_DIR, "none": never), on a bpffs, as FP_PIN_META and
 * FP_PIN_STATS. Pins of a running daemon are never taken over: this daemon then runs
 * unpinned (one warning); pins whose daemon is gone are replaced. Without a bpffs there, or
 * when pinning fails, one log line and the daemon runs unpinned. fastpath_free() removes the
 * pins (only if they are still this daemon's). version (borrowed) is shown by the reader.
 * Returns 0 when pinned, else -errno (logged).
 */
int fastpath_pin(struct fastpath *fp, const struct config *cfg, const char *version);

/* The daemon's figures for the status reader (copied into fp_meta: plain stores). */
struct fastpath_status {
	uint32_t sockets, routes, flows_kernel, flows_daemon;
	uint64_t to_daemon, to_kernel, writes_held;
	uint64_t daemon_frames; /* QoS 0 PUBLISH frames it relayed from joined sockets */
};
void fastpath_status_set(struct fastpath *fp, const struct fastpath_status *st);
/* Only daemon_frames (per frame: one store). */
void fastpath_status_frames(struct fastpath *fp, uint64_t daemon_frames);

/*
 * `mqttgwd --fastpath-status`: read the pins in pin_dir (another process: the daemon) and
 * print the report (include/fpstatus.h) to out, text or one JSON line. Returns 0 when a
 * running daemon's pins were read; -ENOENT no pins; -ESTALE pins of a daemon that is gone;
 * -ENOTSUP a build without BPF; other -errno when the pins cannot be read. Each case prints
 * what it found, with the path.
 */
int fastpath_status_print(const char *pin_dir, bool json, FILE *out);

#endif /* MQTTGW_FASTPATH_H */
