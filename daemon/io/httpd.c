/* SPDX-License-Identifier: MIT */
/* httpd: a small HTTP/1.1 server inside the event loop. See include/httpd.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "httpd.h"
#include "listener.h"

struct httpd_conn {
	struct httpd *h;
	struct httpd_conn *next, **pprev;
	struct loop_io io;
	struct loop_timer deadline;
	size_t in_len;
	char in[HTTPD_HEAD_MAX];
	char *out; /* the whole answer: head and body */
	size_t out_off, out_len;
};

struct httpd {
	struct loop *loop;
	struct listener *ls;
	httpd_fn fn;
	void *ctx;
	struct httpd_conn *conns;
	struct httpd_stats st;
	bool freeing; /* httpd_free: free connections at once, the loop has stopped */
};

static void conn_free_deferred(struct loop *l, void *ctx)
{
	(void)l;
	free(ctx);
}

static void conn_close(struct httpd_conn *c)
{
	struct loop *l = c->h->loop;
	int fd = c->io.fd;

	loop_io_del(l, &c->io);
	if (fd >= 0)
		close(fd);
	loop_timer_cancel(l, &c->deadline);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	c->h->st.conns--;
	free(c->out);
	c->out = NULL;
	/* the loop may still hold an event for c->io in this batch: free after it */
	if (c->h->freeing || loop_defer(l, conn_free_deferred, c) < 0)
		free(c);
}

/* Send what is left of the answer, one send per event: a scraper that reads slowly gets no
 * more of the loop than one that reads fast. Close when all of it went (or on an error). */
static void conn_send(struct httpd_conn *c)
{
	ssize_t n = send(c->io.fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->out_off += (size_t)n;
	if (n > 0 && c->out_off < c->out_len)
		return;
	conn_close(c);
}

/* The body is the handler's (borrowed: a page buffer it reuses), so the answer goes out at
 * once from where it lies, head and body in one sendmsg; only what the socket did not take is
 * copied, and sent on EPOLLOUT. A scrape over loopback costs no copy and no epoll change. */
static void conn_answer(struct httpd_conn *c, const struct httpd_resp *r, bool head_only)
{
	char hdr[256];
	int n =
	    snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
		     r->status, http_reason(r->status), r->type ? r->type : "text/plain", r->len);
	size_t blen = head_only ? 0 : r->len, hl = (size_t)n, sent, hrest, boff;
	struct iovec iov[2] = {{hdr, hl}, {(void *)r->body, blen}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = blen ? 2 : 1};
	ssize_t w;

	if (n < 0 || hl >= sizeof(hdr)) {
		conn_close(c);
		return;
	}
	do
		w = sendmsg(c->io.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	if ((w < 0 && errno != EAGAIN) || (w >= 0 && (size_t)w == hl + blen)) {
		conn_close(c);
		return;
	}
	/* keep what is left: the rest of the head (if any), then the rest of the body */
	sent = w < 0 ? 0 : (size_t)w;
	hrest = sent < hl ? hl - sent : 0;
	boff = sent > hl ? sent - hl : 0;
	c->out_len = hrest + blen - boff;
	if (!(c->out = malloc(c->out_len))) {
		conn_close(c);
		return;
	}
	memcpy(c->out, hdr + hl - hrest, hrest);
	if (blen > boff)
		memcpy(c->out + hrest, r->body + boff, blen - boff);
	/* nothing more is read: a request body or pipelined requests are not ours */
	loop_io_mod(c->h->loop, &c->io, EPOLLOUT);
}

static void conn_error(struct httpd_conn *c, int status)
{
	struct httpd_resp r = {status, "text/plain", NULL, 0};
	char body[64];

	r.len = (size_t)snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
	r.body = body;
	c->h->st.bad++;
	conn_answer(c, &r, false);
}

static void conn_request(struct httpd_conn *c)
{
	struct httpd_resp r = {500, "text/plain", NULL, 0};
	struct http_req req;
	int head = http_parse_request(c->in, c->in_len, &req, NULL, NULL);
	bool is_head;

	if (head == -EAGAIN) {
		if (c->in_len == sizeof(c->in))
			conn_error(c, 431);
		return;
	}
	if (head < 0) {
		conn_error(c, 400);
		return;
	}
	is_head = http_method_is(&req, "HEAD");
	if (!is_head && !http_method_is(&req, "GET")) {
		conn_error(c, 405);
		return;
	}
	c->h->st.requests++;
	c->h->fn(c->h->ctx, &req, &r);
	conn_answer(c, &r, is_head);
}

static void conn_event(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct httpd_conn *c = io->ctx;
	ssize_t n;

	(void)l;
	if (c->out) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_send(c);
		return;
	}
	/* one read per event: a fast sender gets no more of the loop than a slow one */
	n = recv(io->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	conn_request(c);
}

static void conn_timeout(struct loop *l, struct loop_timer *t)
{
	struct httpd_conn *c = t->ctx;

	(void)l;
	c->h->st.timeouts++;
	conn_close(c);
}

static void on_accept(struct listener *ls, int fd, const char *peer, void *ctx)
{
	struct httpd *h = ctx;
	struct httpd_conn *c;

	(void)ls;
	(void)peer;
	if (h->st.conns >= HTTPD_CONNS || !(c = calloc(1, sizeof(*c)))) {
		h->st.refused++;
		close(fd);
		return;
	}
	c->h = h;
	c->io.fd = -1;
	if (loop_io_add(h->loop, &c->io, fd, EPOLLIN, conn_event, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	loop_timer_init(&c->deadline, conn_timeout, c);
	loop_timer_set(h->loop, &c->deadline, loop_now(h->loop) + HTTPD_TIMEOUT_MS);
	c->next = h->conns;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &h->conns;
	h->conns = c;
	h->st.conns++;
}

struct httpd *httpd_new(struct loop *l, const char *addr, uint16_t port, httpd_fn fn, void *ctx,
			char *err, size_t errlen)
{
	struct httpd *h = calloc(1, sizeof(*h));

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->loop = l;
	h->fn = fn;
	h->ctx = ctx;
	h->ls = listener_new(l, 0, addr, port, on_accept, h, err, errlen);
	if (!h->ls) {
		free(h);
		return NULL;
	}
	return h;
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	h->freeing = true;
	while (h->conns)
		conn_close(h->conns);
	listener_free(h->ls);
	free(h);
}

uint16_t httpd_port(const struct httpd *h)
{
	return listener_port(h->ls);
}

void httpd_get_stats(const struct httpd *h, struct httpd_stats *st)
{
	*st = h->st;
}
