/* SPDX-License-Identifier: MIT */
/*
 * netlink: the daemon's netlink sockets (L1), the only module that includes libmnl. Two
 * independent objects, each owning one socket:
 *
 *   - nl_watch: a non-blocking NETLINK_ROUTE socket subscribed to link and IPv4/IPv6 address
 *     events (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR). The event loop polls its fd
 *     for EPOLLIN and calls nl_watch_dispatch(), which reads what is queued and never blocks.
 *     A full dump (links, then addresses) goes through the same callbacks, bracketed by
 *     ops->sync(START or OVERRUN) ... sync(DONE), so a caller can mark its state stale at the
 *     start and sweep what the dump did not report at the end. A receive-queue overrun
 *     (ENOBUFS: the kernel dropped events) starts such a dump by itself.
 *   - nl_diag: a NETLINK_SOCK_DIAG socket that dumps the TCP sockets (IPv4 and IPv6) whose
 *     local port is in a given set, with struct tcp_info, inode and cookie, so the broker can
 *     match them to its clients and see link quality or find half-dead peers before keepalive.
 *
 * Wiring plan (for the lead; nothing here is wired yet):
 *   1. main.c, after loop_new(): w = nl_watch_open(&ops, broker) (NULL: log one line and run
 *      without it, like `fastpath auto`); loop_io_add(l, &io, nl_watch_fd(w), EPOLLIN, fn, w)
 *      with fn calling nl_watch_dispatch(w) (a -errno return is logged; the watch stays
 *      usable); nl_watch_dump(w) once before the listeners are bound, so bind_interface
 *      listeners start from the interface's current addresses; nl_watch_close() at teardown
 *      after loop_io_del().
 *   2. The callbacks (broker or a small L2 "iface" file) keep ifindex -> name and the address
 *      list per interface; one log line per event. XDP: on link NEW with a configured
 *      xdp_interface name and an ifindex different from the attached one (or IFF_UP newly
 *      set), call the fastpath/XDP attach for the new ifindex; on DEL, forget the attachment.
 *      bind_interface: on addr NEW/DEL for that interface's ifindex, open/close the listener
 *      socket for that address (IPv6 addresses with IFA_F_TENTATIVE set: wait for the NEW
 *      that clears it). On sync(OVERRUN/START) mark everything stale; on sync(DONE) drop what
 *      is still stale (a DEL may have been among the lost events).
 *   3. sock_diag: d = nl_diag_open() at start. On a loop timer (e.g. every keepalive/2, at
 *      most 1 s), nl_diag_lookup() on the clients' 4-tuples and cookies (kept from accept),
 *      up to 64 per loop iteration; a client whose socket nl_diag_half_dead() calls STALLED or
 *      CLOSING is closed as an expired keepalive would close it (the peer is gone: no v5
 *      DISCONNECT), and rtt/retransmits feed $SYS, metrics and the control tool.
 *      nl_diag_query(d, AF_UNSPEC, listener ports, ...) gives a full view on demand (control
 *      tool); its entries match clients by inode (fstat of the client fd) or 4-tuple.
 *
 * Return conventions: 0 or -errno; constructors return NULL with errno set. Not thread-safe:
 * call from the loop thread. Callbacks must not close the object they are called from.
 */
#ifndef MQTTGW_NETLINK_H
#define MQTTGW_NETLINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* An IPv4 or IPv6 address, network order; which one is the family next to it. */
union nl_inaddr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* ---- link and address watcher ---- */

enum nl_event {
	NL_NEW, /* exists now, with these attributes: added, changed (flags, name) or dumped */
	NL_DEL, /* removed (or moved to another network namespace) */
};

enum nl_sync {
	NL_SYNC_START,	 /* a full dump begins (nl_watch_dump) */
	NL_SYNC_OVERRUN, /* events were lost (ENOBUFS); a full dump begins */
	NL_SYNC_DONE,	 /* the dump is complete: what was not reported since the begin is gone */
};

struct nl_link {
	int ifindex;
	const char *name;   /* borrowed: valid during the callback only */
	unsigned int flags; /* IFF_UP, IFF_RUNNING, IFF_LOWER_UP, ... (<net/if.h>) */
};

struct nl_addr {
	int ifindex;
	int family; /* AF_INET or AF_INET6 */
	unsigned int prefixlen;
	uint32_t flags; /* IFA_F_TENTATIVE, IFA_F_DEPRECATED, ... (<linux/if_addr.h>) */
	union nl_inaddr addr;
};

struct nl_watch_ops {
	void (*link)(void *ctx, const struct nl_link *link, enum nl_event ev);
	void (*addr)(void *ctx, const struct nl_addr *addr, enum nl_event ev);
	void (*sync)(void *ctx, enum nl_sync what); /* may be NULL */
};

struct nl_watch;

/* ops and ctx are borrowed for the watch's lifetime. NULL with errno set on failure. */
struct nl_watch *nl_watch_open(const struct nl_watch_ops *ops, void *ctx);
void nl_watch_close(struct nl_watch *w);
/* The socket to poll for EPOLLIN (owned by the watch). */
int nl_watch_fd(const struct nl_watch *w);
/* Read and dispatch everything queued; never blocks. 0, or -errno on a socket error. */
int nl_watch_dispatch(struct nl_watch *w);
/* Dump the current links and addresses through the callbacks and wait (at most timeout_ms,
 * dispatching events that arrive meanwhile) until it is complete. For start-up; in the loop,
 * the dump after an overrun runs asynchronously through nl_watch_dispatch(). 0, -ETIMEDOUT
 * (the dump goes on through dispatch), or -errno. */
int nl_watch_dump(struct nl_watch *w, int timeout_ms);
/* True while a dump is in progress. */
bool nl_watch_dumping(const struct nl_watch *w);

/* ---- per-socket TCP state (sock_diag) ---- */

/* The part of struct tcp_info the broker uses (fields of older kernels that lack them are 0). */
struct nl_tcp_info {
	uint8_t state;	     /* TCP_ESTABLISHED, TCP_CLOSE_WAIT, ... */
	uint8_t retransmits; /* RTO expiries in a row without an ACK of new data */
	uint8_t probes;	     /* zero-window or keepalive probes sent without an answer */
	uint8_t backoff;
	uint32_t rto_us;
	uint32_t rtt_us, rttvar_us, min_rtt_us;
	uint32_t unacked; /* segments sent and not acknowledged */
	uint32_t lost, retrans, total_retrans;
	uint32_t snd_cwnd, snd_mss;
	uint32_t last_data_sent_ms, last_data_recv_ms, last_ack_recv_ms; /* ago */
	uint32_t notsent_bytes;
	uint64_t bytes_acked, bytes_received, bytes_retrans;
	uint64_t delivery_rate; /* bytes/s */
};

struct nl_diag_sock {
	int family; /* AF_INET or AF_INET6 (a v4-mapped peer on a dual-stack listener: AF_INET6) */
	uint8_t state;
	uint16_t sport, dport; /* host order */
	union nl_inaddr saddr, daddr;
	uint32_t ifindex;	 /* bound device, 0 if none */
	uint64_t inode;		 /* st_ino of the socket's fd; 0 for orphans */
	uint64_t cookie;	 /* SO_COOKIE */
	uint32_t rqueue, wqueue; /* bytes not yet read / not yet acknowledged */
	bool has_info;		 /* the kernel sent INET_DIAG_INFO */
	struct nl_tcp_info info;
};

typedef void (*nl_diag_fn)(void *ctx, const struct nl_diag_sock *s);

struct nl_diag;

struct nl_diag *nl_diag_open(void);
void nl_diag_close(struct nl_diag *d);
/* The kernel's port filter is a bytecode chain whose size bounds the set of ports. */
#define NL_DIAG_MAX_PORTS 64
/*
 * Dump: call cb for every TCP socket of family (AF_INET, AF_INET6, or AF_UNSPEC for both) with
 * a local port in ports[0..n) and a state other than LISTEN, SYN_RECV and TIME_WAIT. The kernel
 * filters by port; cb runs while the replies are read. 0 or -errno (-ETIMEDOUT if a reply chunk
 * takes over 100 ms).
 * Cost: the kernel walks its whole established-socket hash table for each family, whatever the
 * number of matches: 262,144 buckets here (sized from RAM, shared by all network namespaces).
 * Thread CPU time on the test machine, both families: 2.2-2.8 ms with nothing matching,
 * 2.9-3.6 ms with 1,000 matches. Too long for the loop thread at a high rate: use
 * nl_diag_lookup() for the broker's own clients, the dump for a rare full view (control tool).
 */
int nl_diag_query(struct nl_diag *d, int family, const uint16_t *ports, int n, nl_diag_fn cb,
		  void *ctx);

/* One socket to look up by its 4-tuple, as the broker sees it (getsockname, getpeername). */
struct nl_diag_key {
	int family; /* AF_INET or AF_INET6 (a v4-mapped peer: AF_INET6, mapped addresses) */
	union nl_inaddr saddr, daddr; /* local, peer */
	uint16_t sport, dport;	      /* host order */
	uint64_t cookie;	      /* SO_COOKIE to guard against a reused 4-tuple; 0: any */
};

/* Requests per nl_diag_lookup() call: all replies must fit the socket's receive queue. */
#define NL_DIAG_MAX_BATCH 64
/*
 * Exact lookups: one request per key (hash lookups in the kernel, no table walk), sent in one
 * sendmsg, the replies read with one recvmmsg; cb for each socket found, in no particular
 * order. Returns how many were found (a closed socket, or one whose cookie differs, is not),
 * or -errno. Cost: about 1.7 us of CPU per key on the test machine (1,000 sockets: 1.3-1.7 ms
 * in calls of 64), so about 25 keys per loop iteration fit the loop's 50 us budget.
 */
int nl_diag_lookup(struct nl_diag *d, const struct nl_diag_key *keys, int n, nl_diag_fn cb,
		   void *ctx);

enum nl_diag_health {
	NL_DIAG_OK = 0,
	NL_DIAG_CLOSING, /* not ESTABLISHED: the peer closed (CLOSE_WAIT) or teardown began */
	NL_DIAG_STALLED, /* data or probes outstanding, repeatedly unanswered, no ACK for long */
};

/* RTO expiries (or unanswered probes) in a row before a socket can count as stalled: one
 * lost segment after an idle period must not make a live peer look dead. */
#define NL_DIAG_MIN_RETRANS 2
/*
 * The half-dead rule. A socket is
 *   - CLOSING when its state is not ESTABLISHED;
 *   - STALLED when it has something outstanding (unacked > 0, or probes > 0 for a zero
 *     window), the kernel has retransmitted or probed at least NL_DIAG_MIN_RETRANS times in a
 *     row without an answer (retransmits or probes; any ACK of new data resets them), and the
 *     last ACK arrived at least stall_ms ago;
 *   - OK otherwise (an idle socket with nothing outstanding is OK: only keepalive can tell).
 * A peer that is alive but slow keeps ACKing (a zero window is ACKed too), so it stays OK.
 * Without tcp_info (has_info false), only the state rule applies.
 */
enum nl_diag_health nl_diag_half_dead(const struct nl_diag_sock *s, uint32_t stall_ms);

#endif /* MQTTGW_NETLINK_H */
