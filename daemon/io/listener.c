/* SPDX-License-Identifier: MIT */
/* listener: listening sockets and accept. See include/listener.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"

#define ACCEPT_BATCH 64
#define EMFILE_PAUSE_MS 100

/* A socket of a bind_interface listener: one per family, as Mosquitto opens them. */
struct listener_isock {
	struct loop_io io;
	int fd; /* -1: none (the interface has no usable address of this family now) */
	struct sockaddr_storage addr;
};

struct listener {
	struct loop *loop;
	struct loop_io io;
	struct loop_timer resume;
	int fd; /* -1 for a bind_interface listener: its sockets are isock[] */
	int spare_fd; /* kept open to shed a connection under EMFILE */
	uint16_t port;
	int family; /* socket_domain: 0, AF_INET or AF_INET6 */
	int paused;
	listener_accept_fn fn;
	void *ctx;
	const void *data;
	/* bind_interface ("ADDR%IFNAME" or "%IFNAME"): */
	char ifname[IF_NAMESIZE];      /* "" when not bound to an interface */
	struct sockaddr_storage want;  /* ADDR; ss_family 0: the interface's first ones */
	struct listener_isock isock[2]; /* [0] IPv4, [1] IPv6 */
	struct listener *inext;	       /* iface_listeners */
};

/* Every live bind_interface listener, for listener_iface_changed(). */
static struct listener *iface_listeners;
/* set_tcp_nodelay: process-wide, as in Mosquitto (one value for every listener) */
static bool tcp_nodelay = true;

static void addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	uint16_t port = 0;

	host[0] = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		/* show v4-mapped peers as plain IPv4, as users expect */
		if (!strncmp(host, "::ffff:", 7) && strchr(host + 7, '.'))
			memmove(host, host + 7, strlen(host + 7) + 1);
	}
	snprintf(buf, len, "%s:%u", host, port);
}

static void listener_set_events(struct listener *ls)
{
	if (ls->fd >= 0)
		loop_io_mod(ls->loop, &ls->io, ls->paused ? 0 : EPOLLIN);
	for (int i = 0; i < 2; i++)
		if (ls->isock[i].fd >= 0)
			loop_io_mod(ls->loop, &ls->isock[i].io, ls->paused ? 0 : EPOLLIN);
}

static void listener_resume(struct loop *l, struct loop_timer *t)
{
	struct listener *ls = t->ctx;

	(void)l;
	ls->paused &= ~2;
	listener_set_events(ls);
}

static void listener_shed(struct listener *ls, int lfd)
{
	static struct log_ratelimit rl;
	int fd;

	/* Free one descriptor to accept and drop the connection at the head of the backlog,
	 * then stop accepting briefly: no busy loop on a permanently readable socket. */
	if (ls->spare_fd >= 0) {
		close(ls->spare_fd);
		ls->spare_fd = -1;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	log_msg_rl(&rl, CONFIG_LOG_WARNING,
		   "Out of file descriptors on port %u: refusing connections for %d ms",
		   ls->port, EMFILE_PAUSE_MS);
	ls->paused |= 2;
	listener_set_events(ls);
	loop_timer_set(ls->loop, &ls->resume, loop_now(ls->loop) + EMFILE_PAUSE_MS);
}

static void listener_ready(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct listener *ls = io->ctx;

	(void)l;
	(void)events;
	for (int i = 0; i < ACCEPT_BATCH && !ls->paused; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char peer[64];
		int nodelay = tcp_nodelay;
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				listener_shed(ls, io->fd);
			/* EAGAIN and transient errors (ECONNABORTED, EPROTO...): try later */
			return;
		}
		if (nodelay)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay));
		addr_format(&ss, peer, sizeof(peer));
		ls->fn(ls, fd, peer, ls->ctx);
	}
}

/* A bound, listening, non-blocking socket on sa; v6only for an IPv6 socket. fd or -errno. */
static int listener_socket(const struct sockaddr *sa, socklen_t len, bool v6only)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	int only = v6only, e;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only));
	if (bind(fd, sa, len) < 0 || listen(fd, 4096) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static struct listener *listener_new_iface(struct loop *l, int family, const char *addr,
					   uint16_t port, listener_accept_fn fn, void *ctx,
					   char *err, size_t errlen);
static void iface_unlist(struct listener *ls);

void listener_set_tcp_nodelay(bool on)
{
	tcp_nodelay = on;
}

struct listener *listener_new(struct loop *l, int family, const char *addr, uint16_t port,
			      listener_accept_fn fn, void *ctx, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	struct listener *ls;
	char portstr[8];
	int fd = -1, ret, e;

	if (addr && strchr(addr, '%'))
		return listener_new_iface(l, family, addr, port, fn, ctx, err, errlen);
	ls = calloc(1, sizeof(*ls));
	if (!ls) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	/* no family, no address: one dual-stack socket; socket_domain ipv6: IPv6 only, as
	 * Mosquitto (which sets IPV6_V6ONLY on every IPv6 socket) */
	hints.ai_family = family ? family : addr ? AF_UNSPEC : AF_INET6;
	ret = getaddrinfo(addr, portstr, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "cannot resolve bind address '%s'%s: %s", addr ? addr : "*",
			 family == AF_INET    ? " (socket_domain ipv4)"
			 : family == AF_INET6 ? " (socket_domain ipv6)"
					      : "",
			 gai_strerror(ret));
		free(ls);
		errno = EINVAL;
		return NULL;
	}
	fd = listener_socket(res->ai_addr, res->ai_addrlen, family == AF_INET6);
	if (fd < 0) {
		errno = -fd;
		goto err_errno;
	}
	if (!port) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		getsockname(fd, (struct sockaddr *)&ss, &sl);
		port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	freeaddrinfo(res);
	ls->loop = l;
	ls->fd = fd;
	ls->port = port;
	ls->fn = fn;
	ls->ctx = ctx;
	ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ls->isock[0].fd = ls->isock[1].fd = -1;
	loop_timer_init(&ls->resume, listener_resume, ls);
	ret = loop_io_add(l, &ls->io, fd, EPOLLIN, listener_ready, ls);
	if (ret < 0) {
		errno = -ret;
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		goto err_close;
	}
	return ls;

err_errno:
	e = errno;
	snprintf(err, errlen, "cannot listen on %s:%u: %s", addr ? addr : "*", port, strerror(e));
	freeaddrinfo(res);
	errno = e;
err_close:
	e = errno;
	if (fd >= 0)
		close(fd);
	free(ls);
	errno = e;
	return NULL;
}

void listener_free(struct listener *ls)
{
	if (!ls)
		return;
	loop_timer_cancel(ls->loop, &ls->resume);
	if (ls->ifname[0])
		iface_unlist(ls);
	if (ls->fd >= 0) {
		loop_io_del(ls->loop, &ls->io);
		close(ls->fd);
	}
	if (ls->spare_fd >= 0)
		close(ls->spare_fd);
	free(ls);
}

uint16_t listener_port(const struct listener *ls)
{
	return ls->port;
}

void listener_set_data(struct listener *ls, const void *data)
{
	ls->data = data;
}

const void *listener_data(const struct listener *ls)
{
	return ls->data;
}

void listener_pause(struct listener *ls, int pause)
{
	if (pause)
		ls->paused |= 1;
	else
		ls->paused &= ~1;
	listener_set_events(ls);
}

int listener_fd(const struct listener *ls)
{
	return ls->fd;
}

/* ---- bind_interface: the interface's addresses, followed ---- */

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static bool sa_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return a->ss_family != AF_INET6 ||
	       !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

/*
 * The address ls should listen on for family (AF_INET, AF_INET6) now, as Mosquitto 2 picks
 * it (src/net.c net__bind_interface): the interface's first address of that family in
 * getifaddrs() order, or ls->want when the interface has it. IPv6 link-local addresses are
 * skipped (they need a scope and are not what a broker is reached on). ss_family 0: none.
 */
static void iface_pick(const struct listener *ls, int family, struct sockaddr_storage *out)
{
	struct ifaddrs *ifa0, *ifa;

	memset(out, 0, sizeof(*out));
	if ((ls->want.ss_family && ls->want.ss_family != family) || getifaddrs(&ifa0))
		return;
	for (ifa = ifa0; ifa; ifa = ifa->ifa_next) {
		struct sockaddr_storage ss;

		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family ||
		    strcmp(ifa->ifa_name, ls->ifname))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ifa->ifa_addr, sa_len((const void *)ifa->ifa_addr));
		if (family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)&ss)->sin6_addr))
			continue;
		if (ls->want.ss_family && !sa_same(&ss, &ls->want))
			continue;
		*out = ss;
		break;
	}
	freeifaddrs(ifa0);
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons(ls->port);
	else if (out->ss_family == AF_INET6)
		((struct sockaddr_in6 *)out)->sin6_port = htons(ls->port);
}

static void sa_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	addr_format(ss, buf, len);
	/* the port is the listener's, said elsewhere in the line */
	char *colon = strrchr(buf, ':');

	if (colon)
		*colon = '\0';
}

static void isock_close(struct listener *ls, struct listener_isock *is, bool quiet)
{
	char a[INET6_ADDRSTRLEN + 8];

	if (is->fd < 0)
		return;
	loop_io_del(ls->loop, &is->io);
	close(is->fd);
	is->fd = -1;
	sa_text(&is->addr, a, sizeof(a));
	if (!quiet)
		log_notice("Listener on port %u (bind_interface %s): closed the socket on %s.",
			   ls->port, ls->ifname, a);
}

/*
 * Open or move the per-family sockets to the addresses iface_pick() gives now. At start
 * (err != NULL) a socket that cannot be opened fails the listener, as any listener; later it
 * is logged and retried at the next change. An address that is not usable yet (IPv6 still
 * doing duplicate address detection: EADDRNOTAVAIL) waits for the next address event.
 */
static int iface_sync(struct listener *ls, char *err, size_t errlen)
{
	static const int fams[2] = {AF_INET, AF_INET6};
	char a[INET6_ADDRSTRLEN + 8];

	for (int i = 0; i < 2; i++) {
		struct listener_isock *is = &ls->isock[i];
		struct sockaddr_storage ss;
		int fd, r;

		if (ls->family && ls->family != fams[i])
			continue;
		iface_pick(ls, fams[i], &ss);
		if (is->fd >= 0 && sa_same(&ss, &is->addr))
			continue;
		isock_close(ls, is, false);
		if (!ss.ss_family)
			continue;
		sa_text(&ss, a, sizeof(a));
		fd = listener_socket((struct sockaddr *)&ss, sa_len(&ss), true);
		if (fd == -EADDRNOTAVAIL && !err)
			continue;
		if (fd < 0) {
			if (err) {
				snprintf(err, errlen, "cannot listen on %s:%u (bind_interface %s): %s",
					 a, ls->port, ls->ifname, strerror(-fd));
				return fd;
			}
			log_warn("Warning: listener on port %u (bind_interface %s): cannot listen "
				 "on %s: %s.",
				 ls->port, ls->ifname, a, strerror(-fd));
			continue;
		}
		r = loop_io_add(ls->loop, &is->io, fd, ls->paused ? 0 : EPOLLIN, listener_ready, ls);
		if (r < 0) {
			close(fd);
			if (err) {
				snprintf(err, errlen, "epoll: %s", strerror(-r));
				return r;
			}
			continue;
		}
		is->fd = fd;
		is->addr = ss;
		log_notice("Listener on port %u (bind_interface %s): listening on %s.", ls->port,
			   ls->ifname, a);
	}
	return 0;
}

static struct listener *listener_new_iface(struct loop *l, int family, const char *addr,
					   uint16_t port, listener_accept_fn fn, void *ctx,
					   char *err, size_t errlen)
{
	const char *pct = strchr(addr, '%');
	struct listener *ls;
	char host[INET6_ADDRSTRLEN];
	size_t hlen = (size_t)(pct - addr);
	int r;

	if (!port || !pct[1] || strlen(pct + 1) >= IF_NAMESIZE || hlen >= sizeof(host)) {
		snprintf(err, errlen, "listener %s:%u: bind_interface needs a port and an interface "
			 "name", addr, port);
		errno = EINVAL;
		return NULL;
	}
	ls = calloc(1, sizeof(*ls));
	if (!ls) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	if (hlen && inet_pton(AF_INET, host, &((struct sockaddr_in *)&ls->want)->sin_addr) == 1) {
		ls->want.ss_family = AF_INET;
	} else if (hlen &&
		   inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ls->want)->sin6_addr) == 1) {
		ls->want.ss_family = AF_INET6;
	} else if (hlen) {
		/* as Mosquitto: the address must be the interface's, so it must be one */
		snprintf(err, errlen, "listener %s:%u: with bind_interface the bind address must "
			 "be a numeric address", addr, port);
		free(ls);
		errno = EINVAL;
		return NULL;
	}
	snprintf(ls->ifname, sizeof(ls->ifname), "%s", pct + 1);
	ls->loop = l;
	ls->fd = -1;
	ls->isock[0].fd = ls->isock[1].fd = -1;
	ls->port = port;
	ls->family = family;
	ls->fn = fn;
	ls->ctx = ctx;
	ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	loop_timer_init(&ls->resume, listener_resume, ls);
	r = iface_sync(ls, err, errlen);
	if (r < 0) {
		for (int i = 0; i < 2; i++)
			isock_close(ls, &ls->isock[i], true);
		if (ls->spare_fd >= 0)
			close(ls->spare_fd);
		free(ls);
		errno = -r;
		return NULL;
	}
	if (ls->isock[0].fd < 0 && ls->isock[1].fd < 0)
		log_warn("Warning: listener on port %u: interface %s has no usable %saddress yet; "
			 "listening when it gets one.",
			 port, ls->ifname, hlen ? "matching " : "");
	ls->inext = iface_listeners;
	iface_listeners = ls;
	return ls;
}

static void iface_unlist(struct listener *ls)
{
	struct listener **p = &iface_listeners;

	while (*p && *p != ls)
		p = &(*p)->inext;
	if (*p)
		*p = ls->inext;
	for (int i = 0; i < 2; i++)
		isock_close(ls, &ls->isock[i], true);
}

void listener_iface_changed(const char *ifname)
{
	for (struct listener *ls = iface_listeners; ls; ls = ls->inext)
		if (!ifname || !strcmp(ls->ifname, ifname))
			iface_sync(ls, NULL, 0);
}
