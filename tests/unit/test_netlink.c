// SPDX-License-Identifier: MIT
/*
 * netlink tests: the link/address watcher and sock_diag on a real kernel, in network
 * namespaces of this process. main() moves the process into a fresh namespace A (unshare) and
 * makes a second one, B, kept as an fd; a veth pair joins them (nlv0 10.10.0.1 / fd00:10::1 in
 * A, nlv1 10.10.0.2 / fd00:10::2 in B). Links and addresses are changed with `ip` (iproute2),
 * i.e. by another program, as on a router. Sockets in B are made by switching this thread to B
 * for the socket() call. Needs root and `ip`: otherwise exits 77 (skip) with the reason.
 * Every wait is bounded (WAIT_MS). MQTTGW_TEST_LOG=1 prints what the callbacks saw.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "netlink.h"

#define WAIT_MS	   2000
#define MAX_EVENTS 4096
#define N_OVERRUN  40
#define N_BENCH	   1000

static int g_ns_a = -1, g_ns_b = -1;
static bool g_verbose;

/* ---- helpers: time, commands, namespaces ---- */

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CPU time of this thread, kernel time included: what a query costs the loop thread,
 * whatever else the machine runs (wall time on a loaded 2-CPU machine is mostly waiting). */
static int64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (g_verbose)
		fprintf(stderr, "+ %s\n", cmd);
	return system(cmd);
}

#define SH(...) assert_int_equal(sh(__VA_ARGS__), 0)

static void ns_enter(int ns)
{
	assert_int_equal(setns(ns, CLONE_NEWNET), 0);
}

/* ---- the watcher's callbacks record into an array ---- */

struct rec_ev {
	char kind; /* 'l' link, 'a' address, 's' sync */
	int ev;	   /* enum nl_event, or enum nl_sync for 's' */
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned int flags;
	int family;
	unsigned int prefixlen;
	union nl_inaddr addr;
};

struct rec {
	struct rec_ev ev[MAX_EVENTS];
	int n;
	int lost;
};

static struct rec_ev *rec_add(struct rec *r, char kind, int ev)
{
	struct rec_ev *e;

	if (r->n == MAX_EVENTS) {
		r->lost++;
		return NULL;
	}
	e = &r->ev[r->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ev = ev;
	return e;
}

static void on_link(void *ctx, const struct nl_link *link, enum nl_event ev)
{
	struct rec_ev *e = rec_add(ctx, 'l', ev);

	if (g_verbose)
		fprintf(stderr, "link %s %d %s flags %#x\n", ev == NL_NEW ? "new" : "del",
			link->ifindex, link->name, link->flags);
	if (!e)
		return;
	e->ifindex = link->ifindex;
	snprintf(e->name, sizeof(e->name), "%s", link->name);
	e->flags = link->flags;
}

static void on_addr(void *ctx, const struct nl_addr *a, enum nl_event ev)
{
	struct rec_ev *e = rec_add(ctx, 'a', ev);

	if (g_verbose) {
		char buf[INET6_ADDRSTRLEN];

		inet_ntop(a->family, &a->addr, buf, sizeof(buf));
		fprintf(stderr, "addr %s %d %s/%u flags %#x\n", ev == NL_NEW ? "new" : "del",
			a->ifindex, buf, a->prefixlen, a->flags);
	}
	if (!e)
		return;
	e->ifindex = a->ifindex;
	e->family = a->family;
	e->prefixlen = a->prefixlen;
	e->flags = a->flags;
	e->addr = a->addr;
}

static void on_sync(void *ctx, enum nl_sync what)
{
	if (g_verbose)
		fprintf(stderr, "sync %d\n", what);
	rec_add(ctx, 's', what);
}

static const struct nl_watch_ops g_ops = {on_link, on_addr, on_sync};

/* What to look for: kind and ev always; the rest only when set (name, addr non-NULL; flags,
 * ifindex non-zero). */
struct want {
	char kind;
	int ev;
	const char *name;
	unsigned int flags;
	int ifindex;
	const char *addr; /* "10.0.0.1/24" */
};

static bool ev_match(const struct rec_ev *e, const struct want *w)
{
	if (e->kind != w->kind || e->ev != w->ev)
		return false;
	if (w->name && strcmp(e->name, w->name))
		return false;
	if ((e->flags & w->flags) != w->flags || (w->ifindex && e->ifindex != w->ifindex))
		return false;
	if (w->addr) {
		char buf[INET6_ADDRSTRLEN + 8];

		inet_ntop(e->family, &e->addr, buf, INET6_ADDRSTRLEN);
		snprintf(buf + strlen(buf), 8, "/%u", e->prefixlen);
		if (strcmp(buf, w->addr))
			return false;
	}
	return true;
}

static int rec_find(const struct rec *r, int from, int to, const struct want *w)
{
	for (int i = from; i < to && i < r->n; i++)
		if (ev_match(&r->ev[i], w))
			return i;
	return -1;
}

/* Dispatch until an event matching w is recorded at index >= from; its index. */
static int wait_ev(struct nl_watch *nw, struct rec *r, int from, const struct want *w)
{
	struct pollfd pfd = {.fd = nl_watch_fd(nw), .events = POLLIN};
	int64_t end = now_us() + WAIT_MS * 1000;
	int i;

	while ((i = rec_find(r, from, r->n, w)) < 0 && now_us() < end) {
		poll(&pfd, 1, 50);
		assert_int_equal(nl_watch_dispatch(nw), 0);
	}
	if (i < 0)
		fail_msg("no event %c/%d name=%s addr=%s after %d ms", w->kind, w->ev,
			 w->name ? w->name : "-", w->addr ? w->addr : "-", WAIT_MS);
	return i;
}

/* ---- the watcher ---- */

static void test_watch_dump(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct nl_watch *w = nl_watch_open(&g_ops, r);
	int start, done;

	(void)state;
	assert_non_null(w);
	/* nothing queued: returns at once */
	assert_int_equal(nl_watch_dispatch(w), 0);
	assert_int_equal(r->n, 0);
	assert_int_equal(nl_watch_dump(w, WAIT_MS), 0);
	assert_false(nl_watch_dumping(w));
	start = rec_find(r, 0, r->n, &(struct want){'s', NL_SYNC_START});
	done = rec_find(r, 0, r->n, &(struct want){'s', NL_SYNC_DONE});
	assert_int_equal(start, 0);
	assert_true(done == r->n - 1);
	/* what exists: loopback, both ends' links and addresses in A */
	assert_true(rec_find(r, start, done, &(struct want){'l', NL_NEW, "lo", IFF_UP}) > 0);
	assert_true(rec_find(r, start, done, &(struct want){'l', NL_NEW, "nlv0", IFF_UP}) > 0);
	assert_true(rec_find(r, start, done, &(struct want){'a', NL_NEW, .addr = "127.0.0.1/8"}) >
		    0);
	assert_true(rec_find(r, start, done, &(struct want){'a', NL_NEW, .addr = "10.10.0.1/24"}) >
		    0);
	assert_true(rec_find(r, start, done, &(struct want){'a', NL_NEW, .addr = "fd00:10::1/64"}) >
		    0);
	/* nlv1 is in B: not ours */
	assert_true(rec_find(r, start, done, &(struct want){'l', NL_NEW, "nlv1"}) < 0);
	nl_watch_close(w);
	free(r);
}

static void test_watch_events(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct nl_watch *w = nl_watch_open(&g_ops, r);
	int i, ifindex, start, done;

	(void)state;
	assert_non_null(w);
	SH("ip link add nlt0 type veth peer name nlt0p");
	i = wait_ev(w, r, 0, &(struct want){'l', NL_NEW, "nlt0"});
	ifindex = r->ev[i].ifindex;
	assert_true(ifindex > 0);
	assert_false(r->ev[i].flags & IFF_UP);

	/* up, then running when the peer's end comes up (carrier) */
	SH("ip link set nlt0 up");
	i = wait_ev(w, r, i + 1, &(struct want){'l', NL_NEW, "nlt0", IFF_UP, ifindex});
	assert_false(r->ev[i].flags & IFF_RUNNING);
	SH("ip link set nlt0p up");
	i = wait_ev(w, r, i + 1,
		    &(struct want){'l', NL_NEW, "nlt0", IFF_UP | IFF_RUNNING, ifindex});

	SH("ip addr add 10.9.0.1/24 dev nlt0");
	i = wait_ev(w, r, 0,
		    &(struct want){'a', NL_NEW, .ifindex = ifindex, .addr = "10.9.0.1/24"});
	assert_int_equal(r->ev[i].family, AF_INET);
	SH("ip -6 addr add fd00:9::1/64 dev nlt0 nodad");
	i = wait_ev(w, r, 0,
		    &(struct want){'a', NL_NEW, .ifindex = ifindex, .addr = "fd00:9::1/64"});
	assert_int_equal(r->ev[i].family, AF_INET6);
	assert_false(r->ev[i].flags & IFA_F_TENTATIVE);
	assert_true(r->ev[i].flags & IFA_F_NODAD);

	SH("ip addr del 10.9.0.1/24 dev nlt0");
	wait_ev(w, r, 0, &(struct want){'a', NL_DEL, .ifindex = ifindex, .addr = "10.9.0.1/24"});

	/* a dump now reports the v6 address and not the deleted v4 one */
	assert_int_equal(nl_watch_dump(w, WAIT_MS), 0);
	start = rec_find(r, 0, r->n, &(struct want){'s', NL_SYNC_START});
	done = rec_find(r, start, r->n, &(struct want){'s', NL_SYNC_DONE});
	assert_true(start >= 0 && done > start);
	assert_true(rec_find(r, start, done, &(struct want){'l', NL_NEW, "nlt0", IFF_UP, ifindex}) >
		    0);
	assert_true(rec_find(r, start, done, &(struct want){'a', NL_NEW, .addr = "fd00:9::1/64"}) >
		    0);
	assert_true(rec_find(r, start, done, &(struct want){'a', NL_NEW, .addr = "10.9.0.1/24"}) <
		    0);

	/* delete: the link goes (with its address), then comes back with a new ifindex */
	i = r->n;
	SH("ip link del nlt0");
	wait_ev(w, r, i, &(struct want){'a', NL_DEL, .ifindex = ifindex, .addr = "fd00:9::1/64"});
	i = wait_ev(w, r, i, &(struct want){'l', NL_DEL, "nlt0", .ifindex = ifindex});
	SH("ip link add nlt0 type veth peer name nlt0p");
	i = wait_ev(w, r, i + 1, &(struct want){'l', NL_NEW, "nlt0"});
	assert_int_not_equal(r->ev[i].ifindex, ifindex);
	SH("ip link del nlt0");
	assert_int_equal(r->lost, 0);
	nl_watch_close(w);
	free(r);
}

/* What a caller following the contract believes about link `name` after the events so far:
 * NEW/DEL as they come; at a dump's start (START/OVERRUN) everything is marked stale; at its end
 * (DONE) what is still stale is gone. */
static bool model_has(const struct rec *r, const char *name)
{
	bool present = false, stale = false;

	for (int i = 0; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];

		if (e->kind == 's' && e->ev == NL_SYNC_DONE) {
			present = present && !stale;
			stale = false;
		} else if (e->kind == 's') {
			stale = present;
		} else if (e->kind == 'l' && !strcmp(e->name, name)) {
			present = e->ev == NL_NEW;
			stale = false;
		}
	}
	return present;
}

/* Dispatch until nothing arrives for 200 ms and no dump is in progress (at most WAIT_MS). */
static void settle(struct nl_watch *w)
{
	struct pollfd pfd = {.fd = nl_watch_fd(w), .events = POLLIN};
	int64_t end = now_us() + WAIT_MS * 1000;

	while (now_us() < end) {
		if (poll(&pfd, 1, 200) == 0 && !nl_watch_dumping(w))
			return;
		assert_int_equal(nl_watch_dispatch(w), 0);
	}
	fail_msg("events still coming or a dump in progress after %d ms", WAIT_MS);
}

static void ip_batch(const char *verb)
{
	char path[] = "/tmp/mqttgw-test-netlink.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	for (int i = 0; i < N_OVERRUN; i++) {
		if (!strcmp(verb, "add"))
			fprintf(f, "link add nlo%d type veth peer name nlp%d\n", i, i);
		else
			fprintf(f, "link del nlo%d\n", i);
	}
	fclose(f);
	SH("ip -batch %s", path);
	unlink(path);
}

/* A receive queue too small for a burst of events: the kernel drops events, the watcher tells
 * the caller and dumps. A caller that marks and sweeps (model_has) ends up knowing exactly what
 * exists, for additions and for deletions whose events were lost. */
static void test_watch_overrun(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct nl_watch *w = nl_watch_open(&g_ops, r);
	int small = 1, overrun, n;
	char name[IF_NAMESIZE];

	(void)state;
	assert_non_null(w);
	assert_int_equal(setsockopt(nl_watch_fd(w), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
			 0);
	ip_batch("add");
	overrun = wait_ev(w, r, 0, &(struct want){'s', NL_SYNC_OVERRUN});
	settle(w);
	assert_true(rec_find(r, overrun, r->n, &(struct want){'s', NL_SYNC_DONE}) > overrun);
	for (int i = 0; i < N_OVERRUN; i++) {
		snprintf(name, sizeof(name), "nlo%d", i);
		assert_true(model_has(r, name));
	}
	assert_true(model_has(r, "nlv0"));
	n = r->n;
	ip_batch("del");
	settle(w);
	assert_true(r->n > n);
	for (int i = 0; i < N_OVERRUN; i++) {
		snprintf(name, sizeof(name), "nlo%d", i);
		assert_false(model_has(r, name));
	}
	assert_true(model_has(r, "nlv0"));
	assert_int_equal(r->lost, 0);
	nl_watch_close(w);
	free(r);
}

/* ---- sock_diag ---- */

#define MAX_SOCKS (N_BENCH + 16)

struct found {
	struct nl_diag_sock s[MAX_SOCKS];
	int n;
};

static void on_sock(void *ctx, const struct nl_diag_sock *s)
{
	struct found *f = ctx;

	if (f->n < MAX_SOCKS)
		f->s[f->n] = *s;
	f->n++;
}

static int query(struct nl_diag *d, struct found *f, const uint16_t *ports, int n)
{
	f->n = 0;
	return nl_diag_query(d, AF_UNSPEC, ports, n, on_sock, f);
}

/* The lookup key of a server socket, as the broker would keep it from accept. */
static void key_of(int fd, struct nl_diag_key *k)
{
	struct sockaddr_storage l, p;
	socklen_t ll = sizeof(l), pl = sizeof(p), cl = sizeof(k->cookie);

	memset(k, 0, sizeof(*k));
	assert_int_equal(getsockname(fd, (struct sockaddr *)&l, &ll), 0);
	assert_int_equal(getpeername(fd, (struct sockaddr *)&p, &pl), 0);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &k->cookie, &cl), 0);
	k->family = l.ss_family;
	if (k->family == AF_INET) {
		k->saddr.v4 = ((struct sockaddr_in *)&l)->sin_addr;
		k->daddr.v4 = ((struct sockaddr_in *)&p)->sin_addr;
		k->sport = ntohs(((struct sockaddr_in *)&l)->sin_port);
		k->dport = ntohs(((struct sockaddr_in *)&p)->sin_port);
	} else {
		k->saddr.v6 = ((struct sockaddr_in6 *)&l)->sin6_addr;
		k->daddr.v6 = ((struct sockaddr_in6 *)&p)->sin6_addr;
		k->sport = ntohs(((struct sockaddr_in6 *)&l)->sin6_port);
		k->dport = ntohs(((struct sockaddr_in6 *)&p)->sin6_port);
	}
}

static int lookup(struct nl_diag *d, struct found *f, const struct nl_diag_key *keys, int n)
{
	f->n = 0;
	return nl_diag_lookup(d, keys, n, on_sock, f);
}

static int tcp_listen(int family, uint16_t *port)
{
	struct sockaddr_storage ss = {.ss_family = (sa_family_t)family};
	socklen_t len =
	    family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (family == AF_INET6)
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	((struct sockaddr_in *)&ss)->sin_port = htons(*port); /* same offset in sockaddr_in6 */
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, N_BENCH + 24), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* A client socket made in namespace ns (this thread switches there for socket() only), connected
 * to addr:port in A; *srv is the server's end, accepted from lfd. */
static int tcp_connect(int ns, const char *addr, uint16_t port, int lfd, int *srv)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	bool v6 = strchr(addr, ':') != NULL;
	int one = 1, fd;

	ns_enter(ns);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ns_enter(g_ns_a);
	assert_true(fd >= 0);
	if (v6) {
		assert_int_equal(inet_pton(AF_INET6, addr, &a6.sin6_addr), 1);
		assert_int_equal(connect(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	} else {
		assert_int_equal(inet_pton(AF_INET, addr, &a4.sin_addr), 1);
		assert_int_equal(connect(fd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	}
	*srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*srv >= 0);
	setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Ping-pong so each side has RTT samples. */
static void traffic(int cli, int srv, int rounds)
{
	char buf[512] = {0};

	for (int i = 0; i < rounds; i++) {
		assert_int_equal(write(cli, buf, sizeof(buf)), sizeof(buf));
		assert_int_equal(recv(srv, buf, sizeof(buf), MSG_WAITALL), sizeof(buf));
		assert_int_equal(write(srv, buf, sizeof(buf)), sizeof(buf));
		assert_int_equal(recv(cli, buf, sizeof(buf), MSG_WAITALL), sizeof(buf));
	}
}

static void close_hard(int fd)
{
	struct linger lg = {1, 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* The entry for the server socket srv, found by inode; checked against its cookie and
 * 4-tuple. */
static const struct nl_diag_sock *find_srv(const struct found *f, int srv)
{
	const struct nl_diag_sock *s = NULL;
	struct nl_diag_key k;
	struct stat st;

	assert_int_equal(fstat(srv, &st), 0);
	key_of(srv, &k);
	for (int i = 0; i < f->n && i < MAX_SOCKS; i++)
		if (f->s[i].inode == st.st_ino)
			s = &f->s[i];
	assert_non_null(s);
	assert_int_equal(s->cookie, k.cookie);
	assert_int_equal(s->family, k.family);
	assert_int_equal(s->sport, k.sport);
	assert_int_equal(s->dport, k.dport);
	assert_memory_equal(&s->saddr, &k.saddr, k.family == AF_INET ? 4 : 16);
	assert_memory_equal(&s->daddr, &k.daddr, k.family == AF_INET ? 4 : 16);
	return s;
}

static void test_diag_match(void **state)
{
	static const char *const peers[] = {"10.10.0.1", "10.10.0.1", "fd00:10::1"};
	struct found *f = calloc(1, sizeof(*f));
	struct nl_diag *d = nl_diag_open();
	uint16_t port = 0, other = 0;
	struct nl_diag_key keys[5];
	int l4, l6, lo, cli[4], srv[4];

	(void)state;
	assert_non_null(d);
	l4 = tcp_listen(AF_INET, &port);
	l6 = tcp_listen(AF_INET6, &port); /* same port, v6 only */
	lo = tcp_listen(AF_INET, &other);
	for (int i = 0; i < 3; i++) {
		cli[i] =
		    tcp_connect(g_ns_b, peers[i], port, strchr(peers[i], ':') ? l6 : l4, &srv[i]);
		traffic(cli[i], srv[i], 5);
	}
	cli[3] = tcp_connect(g_ns_b, "10.10.0.1", other, lo, &srv[3]);
	traffic(cli[3], srv[3], 1);

	/* the listeners and the other port are not reported; each connection is, with info */
	assert_int_equal(query(d, f, &port, 1), 0);
	assert_int_equal(f->n, 3);
	for (int i = 0; i < 3; i++) {
		const struct nl_diag_sock *s = find_srv(f, srv[i]);

		assert_int_equal(s->state, TCP_ESTABLISHED);
		assert_true(s->has_info);
		assert_int_equal(s->info.state, TCP_ESTABLISHED);
		assert_true(s->info.rtt_us > 0);
		assert_true(s->info.snd_cwnd > 0);
		if (g_verbose)
			fprintf(stderr, "rtt %u us acked %llu received %llu unacked %u\n",
				s->info.rtt_us, (unsigned long long)s->info.bytes_acked,
				(unsigned long long)s->info.bytes_received, s->info.unacked);
		/* the last reply's ACK may still be delayed */
		assert_true(s->info.bytes_acked >= 4 * 512);
		assert_true(s->info.bytes_received >= 5 * 512);
		assert_int_equal(nl_diag_half_dead(s, 500), NL_DIAG_OK);
	}
	/* two ports: one more; the filter really is by local port */
	assert_int_equal(query(d, f, (uint16_t[]){other, port}, 2), 0);
	assert_int_equal(f->n, 4);
	find_srv(f, srv[3]);
	assert_int_equal(query(d, f, (uint16_t[]){(uint16_t)(other ^ port ^ 1)}, 1), 0);
	assert_int_equal(f->n, 0);
	/* bytes waiting to be read show in rqueue */
	assert_int_equal(write(cli[0], "abc", 3), 3);
	usleep(20000);
	assert_int_equal(query(d, f, &port, 1), 0);
	assert_int_equal(find_srv(f, srv[0])->rqueue, 3);
	/* one family only */
	f->n = 0;
	assert_int_equal(nl_diag_query(d, AF_INET6, &port, 1, on_sock, f), 0);
	assert_int_equal(f->n, 1);
	find_srv(f, srv[2]);

	/* exact lookups: each of the four found, with the same answers as the dump */
	for (int i = 0; i < 4; i++)
		key_of(srv[i], &keys[i]);
	assert_int_equal(lookup(d, f, keys, 4), 4);
	for (int i = 0; i < 4; i++)
		assert_true(find_srv(f, srv[i])->info.rtt_us > 0);
	/* a wrong cookie (the 4-tuple reused by another socket) and a closed socket, with and
	 * without its cookie: not found (without a cookie, the kernel's lookup falls back to the
	 * listener on that port, which must not be reported) */
	keys[0].cookie ^= 1;
	keys[4] = keys[3];
	keys[3].cookie = 0;
	close_hard(cli[3]);
	close_hard(srv[3]);
	usleep(20000);
	assert_int_equal(lookup(d, f, keys, 5), 2);
	find_srv(f, srv[1]);
	find_srv(f, srv[2]);

	for (int i = 0; i < 3; i++) {
		close_hard(cli[i]);
		close_hard(srv[i]);
	}
	close(l4);
	close(l6);
	close(lo);
	nl_diag_close(d);
	free(f);
}

/* The peer closes: the server's end is in CLOSE_WAIT until the daemon reads the EOF. */
static void test_diag_closing(void **state)
{
	struct found *f = calloc(1, sizeof(*f));
	struct nl_diag *d = nl_diag_open();
	uint16_t port = 0;
	int lfd, cli, srv;

	(void)state;
	lfd = tcp_listen(AF_INET, &port);
	cli = tcp_connect(g_ns_b, "10.10.0.1", port, lfd, &srv);
	traffic(cli, srv, 1);
	close(cli);
	usleep(20000);
	assert_int_equal(query(d, f, &port, 1), 0);
	assert_int_equal(find_srv(f, srv)->state, TCP_CLOSE_WAIT);
	assert_int_equal(nl_diag_half_dead(find_srv(f, srv), 500), NL_DIAG_CLOSING);
	close_hard(srv);
	close(lfd);
	nl_diag_close(d);
	free(f);
}

/* The peer's ACKs stop reaching us (a blackhole route in B towards A: B receives, but nothing
 * comes back, as with a peer behind a dead uplink) with data in flight: the server's end
 * retransmits without an ACK and the rule calls it stalled in well under 2 s (RTO 200 ms, then
 * 400 ms: 2 expiries at ~600 ms). Setting a link down would not do: the local end would see
 * its own carrier drop and not even send. A live peer stays OK (test_diag_match). */
static void test_diag_half_dead(void **state)
{
	struct found *f = calloc(1, sizeof(*f));
	struct nl_diag *d = nl_diag_open();
	const struct nl_diag_sock *s;
	enum nl_diag_health h = NL_DIAG_OK;
	struct nl_diag_key key;
	uint16_t port = 0;
	char buf[1000] = {0};
	int lfd, cli, srv;
	int64_t t0, dt;

	(void)state;
	lfd = tcp_listen(AF_INET6, &port);
	cli = tcp_connect(g_ns_b, "fd00:10::1", port, lfd, &srv);
	traffic(cli, srv, 3);
	ns_enter(g_ns_b);
	SH("ip -6 route add blackhole fd00:10::1/128");
	ns_enter(g_ns_a);
	t0 = now_us();
	assert_int_equal(write(srv, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(query(d, f, &port, 1), 0);
	s = find_srv(f, srv);
	assert_true(s->info.unacked > 0);
	assert_int_equal(nl_diag_half_dead(s, 500), NL_DIAG_OK);
	while (h == NL_DIAG_OK && now_us() - t0 < 3000000) {
		usleep(50000);
		assert_int_equal(query(d, f, &port, 1), 0);
		s = find_srv(f, srv);
		h = nl_diag_half_dead(s, 500);
	}
	dt = now_us() - t0;
	if (g_verbose)
		fprintf(stderr, "stalled after %lld ms: retransmits %u unacked %u last_ack %u ms\n",
			(long long)dt / 1000, s->info.retransmits, s->info.unacked,
			s->info.last_ack_recv_ms);
	assert_int_equal(h, NL_DIAG_STALLED);
	assert_true(s->info.retransmits >= NL_DIAG_MIN_RETRANS);
	assert_true(s->info.total_retrans >= NL_DIAG_MIN_RETRANS);
	assert_true(s->wqueue >= sizeof(buf));
	assert_true(dt < 2000000);
	/* the broker's way to ask, by 4-tuple and cookie: the same verdict */
	key_of(srv, &key);
	assert_int_equal(lookup(d, f, &key, 1), 1);
	assert_int_equal(nl_diag_half_dead(&f->s[0], 500), NL_DIAG_STALLED);

	ns_enter(g_ns_b);
	SH("ip -6 route del blackhole fd00:10::1/128");
	ns_enter(g_ns_a);
	close_hard(cli);
	close_hard(srv);
	close(lfd);
	nl_diag_close(d);
	free(f);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

#define RUNS 15

struct bench {
	struct nl_diag *d;
	struct found *f;
	uint16_t port;
	const struct nl_diag_key *keys;
	int expect;
};

/* One full pass: a port dump (both families), or the lookups in calls of NL_DIAG_MAX_BATCH. */
static void bench_pass(const struct bench *b)
{
	int n;

	if (!b->keys) {
		assert_int_equal(query(b->d, b->f, &b->port, 1), 0);
		assert_int_equal(b->f->n, b->expect);
		return;
	}
	for (int i = 0; i < b->expect; i += n) {
		n = b->expect - i < NL_DIAG_MAX_BATCH ? b->expect - i : NL_DIAG_MAX_BATCH;
		assert_int_equal(lookup(b->d, b->f, b->keys + i, n), n);
	}
}

/* The median thread CPU time of RUNS passes, printed with the minimum. */
static int64_t bench_run(const char *what, const struct bench *b)
{
	int64_t t[RUNS];

	for (int i = 0; i < RUNS; i++) {
		int64_t t0 = cpu_us();

		bench_pass(b);
		t[i] = cpu_us() - t0;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_i64);
	printf("%s: thread CPU time min %lld us, median %lld us\n", what, (long long)t[0],
	       (long long)t[RUNS / 2]);
	return t[RUNS / 2];
}

/* N_BENCH connections on loopback: one query (both families) must find them all, quickly; and
 * so must exact lookups of each. Prints the costs (thread CPU time, system time included). */
static void test_diag_bounded(void **state)
{
	static int cli[N_BENCH], srv[N_BENCH];
	static struct nl_diag_key keys[N_BENCH];
	struct rlimit rl = {4 * N_BENCH + 64, 4 * N_BENCH + 64};
	struct bench b = {nl_diag_open(), calloc(1, sizeof(*b.f)), 0, NULL, N_BENCH};
	int64_t dump, lookups;
	int lfd, lfd2;

	(void)state;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	lfd = tcp_listen(AF_INET, &b.port);
	for (int i = 0; i < N_BENCH; i++) {
		cli[i] = tcp_connect(g_ns_a, "127.0.0.1", b.port, lfd, &srv[i]);
		key_of(srv[i], &keys[i]);
	}
	dump = bench_run("nl_diag_query, 1000 connections, IPv4 + IPv6 dumps", &b);
	find_srv(b.f, srv[N_BENCH / 2]);
	/* the same walk of the kernel's tables with nothing to report: the fixed part (a port our
	 * own idle listener holds: no other socket has it as its local port, and a listener is
	 * not reported; port ^ 1 was sometimes another process's) */
	b.port = 0;
	lfd2 = tcp_listen(AF_INET, &b.port);
	b.expect = 0;
	bench_run("nl_diag_query, same, a port without sockets", &b);
	close(lfd2);
	/* the broker's way: exact lookups of its own clients */
	b.keys = keys;
	b.expect = N_BENCH;
	lookups = bench_run("nl_diag_lookup, 1000 connections in calls of 64", &b);
	/* loose, for a loaded machine: a per-socket syscall or a quadratic walk would break it */
	assert_true(dump < 50000);
	assert_true(lookups < 50000);
	for (int i = 0; i < N_BENCH; i++) {
		close_hard(cli[i]);
		close_hard(srv[i]);
	}
	close(lfd);
	nl_diag_close(b.d);
	free(b.f);
}

static void test_diag_args(void **state)
{
	uint16_t ports[NL_DIAG_MAX_PORTS + 1] = {0};
	struct nl_diag *d = nl_diag_open();
	struct found *f = calloc(1, sizeof(*f));

	(void)state;
	struct nl_diag_key keys[NL_DIAG_MAX_BATCH + 1] = {0};

	assert_int_equal(nl_diag_query(d, AF_UNSPEC, ports, 0, on_sock, f), -EINVAL);
	assert_int_equal(nl_diag_query(d, AF_UNSPEC, ports, NL_DIAG_MAX_PORTS + 1, on_sock, f),
			 -EINVAL);
	assert_int_equal(nl_diag_query(d, AF_UNIX, ports, 1, on_sock, f), -EINVAL);
	assert_int_equal(nl_diag_lookup(d, keys, 0, on_sock, f), -EINVAL);
	assert_int_equal(nl_diag_lookup(d, keys, NL_DIAG_MAX_BATCH + 1, on_sock, f), -EINVAL);
	assert_int_equal(nl_diag_lookup(d, keys, 1, on_sock, f), -EINVAL); /* family 0 */
	/* a full batch of sockets that do not exist: answered, none found */
	for (int i = 0; i < NL_DIAG_MAX_BATCH; i++) {
		keys[i].family = AF_INET;
		keys[i].sport = (uint16_t)(1000 + i);
		keys[i].dport = 1;
	}
	assert_int_equal(lookup(d, f, keys, NL_DIAG_MAX_BATCH), 0);
	/* the longest chain passes the kernel's audit */
	for (int i = 0; i < NL_DIAG_MAX_PORTS; i++)
		ports[i] = (uint16_t)(1000 + i); /* not ephemeral, nobody's */
	assert_int_equal(query(d, f, ports, NL_DIAG_MAX_PORTS), 0);
	assert_int_equal(f->n, 0);
	nl_diag_close(d);
	free(f);
}

/* ---- setup: namespaces A (this process) and B, joined by a veth pair ---- */

static int skip_all(const char *why)
{
	printf("SKIP: test_netlink: %s\n", why);
	return 77;
}

static int setup_namespaces(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	g_ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	g_ns_b = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (g_ns_a < 0 || g_ns_b < 0 || setns(g_ns_b, CLONE_NEWNET) < 0)
		return -errno;
	if (sh("ip link set lo up") || setns(g_ns_a, CLONE_NEWNET) < 0)
		return -EIO;
	if (sh("ip link set lo up") ||
	    sh("ip link add nlv0 type veth peer name nlv1 netns /proc/%d/fd/%d", getpid(),
	       g_ns_b) ||
	    sh("ip addr add 10.10.0.1/24 dev nlv0") ||
	    sh("ip -6 addr add fd00:10::1/64 dev nlv0 nodad") || sh("ip link set nlv0 up"))
		return -EIO;
	if (setns(g_ns_b, CLONE_NEWNET) < 0)
		return -errno;
	if (sh("ip addr add 10.10.0.2/24 dev nlv1") ||
	    sh("ip -6 addr add fd00:10::2/64 dev nlv1 nodad") || sh("ip link set nlv1 up"))
		return -EIO;
	return setns(g_ns_a, CLONE_NEWNET) < 0 ? -errno : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_watch_dump),	  cmocka_unit_test(test_watch_events),
	    cmocka_unit_test(test_watch_overrun), cmocka_unit_test(test_diag_match),
	    cmocka_unit_test(test_diag_closing),  cmocka_unit_test(test_diag_half_dead),
	    cmocka_unit_test(test_diag_bounded),  cmocka_unit_test(test_diag_args),
	};

	g_verbose = getenv("MQTTGW_TEST_LOG") != NULL;
	if (geteuid() != 0)
		return skip_all("needs root (network namespaces)");
	if (system("ip -V >/dev/null 2>&1") != 0)
		return skip_all("needs ip (iproute2)");
	if (setup_namespaces() < 0)
		return skip_all("cannot create network namespaces and a veth pair");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
