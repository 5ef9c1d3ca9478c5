/* SPDX-License-Identifier: MIT */
/* listener: listening sockets and accept. See include/listener.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

struct listener {
	struct loop *loop;
	struct loop_io io;
	struct loop_timer resume;
	int fd;
	int spare_fd; /* kept open to shed a connection under EMFILE */
	uint16_t port;
	int paused;
	listener_accept_fn fn;
	void *ctx;
	const void *data;
};

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
	loop_io_mod(ls->loop, &ls->io, ls->paused ? 0 : EPOLLIN);
}

static void listener_resume(struct loop *l, struct loop_timer *t)
{
	struct listener *ls = t->ctx;

	(void)l;
	ls->paused &= ~2;
	listener_set_events(ls);
}

static void listener_shed(struct listener *ls)
{
	static struct log_ratelimit rl;
	int fd;

	/* Free one descriptor to accept and drop the connection at the head of the backlog,
	 * then stop accepting briefly: no busy loop on a permanently readable socket. */
	if (ls->spare_fd >= 0) {
		close(ls->spare_fd);
		ls->spare_fd = -1;
		fd = accept4(ls->fd, NULL, NULL, SOCK_CLOEXEC);
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
		int fd = accept4(ls->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				listener_shed(ls);
			/* EAGAIN and transient errors (ECONNABORTED, EPROTO...): try later */
			return;
		}
		if (nodelay)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay));
		addr_format(&ss, peer, sizeof(peer));
		ls->fn(ls, fd, peer, ls->ctx);
	}
}

void listener_set_tcp_nodelay(bool on)
{
	tcp_nodelay = on;
}

struct listener *listener_new(struct loop *l, const char *addr, uint16_t port,
			      listener_accept_fn fn, void *ctx, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	struct listener *ls;
	char portstr[8];
	int fd = -1, one = 1, ret, e;

	ls = calloc(1, sizeof(*ls));
	if (!ls) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	hints.ai_family = addr ? AF_UNSPEC : AF_INET6;
	ret = getaddrinfo(addr, portstr, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "cannot resolve bind address '%s': %s", addr ? addr : "*",
			 gai_strerror(ret));
		free(ls);
		errno = EINVAL;
		return NULL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err_errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6) {
		int v6only = 0;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 4096) < 0)
		goto err_errno;
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
	loop_io_del(ls->loop, &ls->io);
	close(ls->fd);
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
