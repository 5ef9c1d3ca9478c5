/* SPDX-License-Identifier: MIT */
/* conn: transport connections, receive buffering and writev flushing. See include/conn.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conn.h"

#define RX_SCRATCH (64 * 1024)
#define FLUSH_IOV 64

struct conn_stats conn_stats;

/* One scratch buffer for the whole (single-threaded) daemon. */
static uint8_t rx_scratch[RX_SCRATCH];
/*
 * Conns with output to write at the end of the loop iteration, in the order they got it
 * (FIFO): a publisher's PUBACK, queued after the deliveries it acknowledges, goes out after
 * them, so a subscriber does not wait for the send (and the wake-up) of the ack.
 */
static struct conn *flush_head, **flush_tail = &flush_head;

static ssize_t tcp_read(struct conn *c, void *buf, size_t len)
{
	return read(c->fd, buf, len);
}

static ssize_t tcp_writev(struct conn *c, const struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };

	return sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void tcp_close(struct conn *c)
{
	close(c->fd);
}

static void tcp_shutdown(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
}

const struct conn_transport conn_tcp = {
	.name = "tcp",
	.read = tcp_read,
	.writev = tcp_writev,
	.close = tcp_close,
	.shutdown = tcp_shutdown,
};

static void conn_free_deferred(struct loop *l, void *ctx);

/* ---- lingering close ---- */

/* Connections lingering at once, at most: each holds an fd for up to its max_ms. */
#define LINGER_MAX 1024

struct conn_linger {
	struct loop_timer timer;
	struct conn *c;
	struct conn_linger *next, **pprev; /* every lingering close, for conn_linger_end_all */
	uint32_t left;			   /* bytes we still read and discard */
	bool shut;			   /* write side shut down */
	char peer[64];			   /* c->peer: the owner's text is gone */
};

static struct conn_linger *linger_head;
static uint32_t linger_count;

static void linger_end(struct conn *c)
{
	struct conn_linger *lg = c->linger;

	loop_timer_cancel(c->loop, &lg->timer);
	*lg->pprev = lg->next;
	if (lg->next)
		lg->next->pprev = lg->pprev;
	linger_count--;
	free(lg);
	c->linger = NULL;
	c->lingering = false;
	loop_io_del(c->loop, &c->io);
	c->tp->close(c);
	conn_stats.conns_open--;
	loop_defer(c->loop, conn_free_deferred, c);
}

static void linger_timer_fired(struct loop *l, struct loop_timer *t)
{
	struct conn_linger *lg = t->ctx;

	(void)l;
	linger_end(lg->c);
}

/* Write what is queued, then shut the write side, then read and discard. true: ended. */
static bool linger_step(struct conn *c)
{
	struct conn_linger *lg = c->linger;
	struct iovec iov[16];
	uint8_t sink[4096];

	while (!outq_empty(&c->out) || (c->tp_flags & CONN_TP_WRITE_PENDING)) {
		ssize_t w = c->tp->writev(c, iov, outq_iov(&c->out, iov, 16));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			uint32_t ev = (c->tp_flags & CONN_TP_WRITE_WANTS_IN) ? EPOLLIN : EPOLLOUT;

			if (loop_io_mod(c->loop, &c->io, ev) < 0)
				break;
			return false;
		}
		if (w < 0)
			break; /* the peer is gone: nothing left to say */
		conn_stats.bytes_out += (uint64_t)w;
		c->tx_bytes += (uint64_t)w;
		outq_consume(&c->out, (size_t)w);
	}
	if (!lg->shut) {
		lg->shut = true;
		outq_fini(&c->out);
		c->tp->shutdown(c);
		if (loop_io_mod(c->loop, &c->io, EPOLLIN) < 0) {
			linger_end(c);
			return true;
		}
	}
	for (;;) {
		/* raw reads: what the transport would make of them no longer matters */
		ssize_t n = read(c->fd, sink, sizeof(sink));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0 || (size_t)n >= lg->left) {
			linger_end(c);
			return true;
		}
		lg->left -= (uint32_t)n;
	}
}

static void linger_event(struct loop *l, struct loop_io *io, uint32_t events)
{
	(void)l;
	(void)events;
	linger_step(io->ctx);
}

void conn_close_linger(struct conn *c, int err, int64_t max_ms, uint32_t max_bytes)
{
	struct conn_linger *lg;

	if (c->closed)
		return;
	if (!c->tp->shutdown || linger_count >= LINGER_MAX || !(lg = calloc(1, sizeof(*lg)))) {
		conn_close(c, err);
		return;
	}
	c->closed = true;
	c->gated = false;
	snprintf(lg->peer, sizeof(lg->peer), "%s", conn_peer(c));
	if (c->ops->on_close)
		c->ops->on_close(c, err);
	free(c->rx);
	c->rx = NULL;
	lg->c = c;
	lg->left = max_bytes;
	lg->next = linger_head;
	lg->pprev = &linger_head;
	if (linger_head)
		linger_head->pprev = &lg->next;
	linger_head = lg;
	linger_count++;
	c->linger = lg;
	c->lingering = true;
	c->io.fn = linger_event;
	loop_timer_init(&lg->timer, linger_timer_fired, lg);
	if (loop_timer_set(c->loop, &lg->timer, loop_now(c->loop) + max_ms) < 0) {
		linger_end(c);
		return;
	}
	linger_step(c);
}

void conn_linger_end_all(void)
{
	while (linger_head)
		linger_end(linger_head->c);
}

const char *conn_peer(const struct conn *c)
{
	if (c->lingering)
		return c->linger->peer;
	return c->owner && c->ops->peer ? c->ops->peer(c) : "";
}

static void conn_free_deferred(struct loop *l, void *ctx)
{
	struct conn *c = ctx;

	(void)l;
	if (c->flush_pending) {
		/* Rare: closed from deferred work after being queued for a flush. */
		struct conn **pp = &flush_head;

		while (*pp && *pp != c)
			pp = &(*pp)->flush_next;
		if (*pp) {
			*pp = c->flush_next;
			if (flush_tail == &c->flush_next)
				flush_tail = pp;
		}
	}
	outq_fini(&c->out);
	free(c->rx);
	free(c);
}

void conn_close(struct conn *c, int err)
{
	if (c->closed)
		return;
	c->closed = true;
	loop_io_del(c->loop, &c->io);
	c->tp->close(c);
	conn_stats.conns_open--;
	if (c->ops->on_close)
		c->ops->on_close(c, err);
	c->owner = NULL; /* it may go before the deferred free: conn_peer() says "" */
	/* If this fails we leak one conn rather than free it under a pending event. */
	loop_defer(c->loop, conn_free_deferred, c);
}

/*
 * The events we wait for. A transport read that must write first (a TLS handshake flight)
 * waits for EPOLLOUT instead of EPOLLIN, and a write that must read first for EPOLLIN; while
 * reading is paused, the read side waits for nothing.
 */
static void conn_update_events(struct conn *c)
{
	uint32_t ev = 0;

	if (c->tp_flags & CONN_TP_BUSY) {
		/* out of epoll: a hang-up would otherwise be reported over and over */
		loop_io_del(c->loop, &c->io);
		return;
	}
	if (!c->read_paused)
		ev |= (c->tp_flags & CONN_TP_READ_WANTS_OUT) ? EPOLLOUT : EPOLLIN;
	if (c->write_blocked && !(c->tp_flags & CONN_TP_WRITE_WANTS_IN))
		ev |= EPOLLOUT;
	if (loop_io_mod(c->loop, &c->io, ev) < 0)
		conn_close(c, -errno);
}

static void conn_parse(struct conn *c, const uint8_t *buf, size_t len, bool from_rx);
static void conn_read(struct conn *c);

/* Input the transport holds (decrypted, or read ahead) gets no socket event: read it now,
 * unless the transport must write before it can go on (then EPOLLOUT brings us back). */
static void conn_read_pending(struct conn *c)
{
	while ((c->tp_flags & (CONN_TP_READ_PENDING | CONN_TP_READ_WANTS_OUT)) ==
		       CONN_TP_READ_PENDING &&
	       !c->closed && !c->read_paused)
		conn_read(c);
}

static void conn_reparse(struct loop *l, void *ctx)
{
	struct conn *c = ctx;

	(void)l;
	c->reparse_pending = false;
	if (!c->closed && !c->read_paused && c->rx)
		conn_parse(c, c->rx->data, c->rx->len, true);
	conn_read_pending(c);
}

void conn_pause_read(struct conn *c, bool pause)
{
	if (c->closed || c->read_paused == pause)
		return;
	c->read_paused = pause;
	conn_update_events(c);
	if (!pause && (c->rx || (c->tp_flags & CONN_TP_READ_PENDING)) && !c->reparse_pending &&
	    loop_defer(c->loop, conn_reparse, c) == 0)
		c->reparse_pending = true;
}

int conn_flush(struct conn *c)
{
	if (c->gated && !c->closed && !outq_empty(&c->out) && !c->ops->may_write(c)) {
		/* held back: the owner flushes again; no EPOLLOUT spin meanwhile */
		if (c->write_blocked) {
			c->write_blocked = false;
			conn_update_events(c);
		}
		return 0;
	}
	struct iovec iov[FLUSH_IOV];
	uint8_t tpf = c->tp_flags;

	while (!c->closed &&
	       (!outq_empty(&c->out) || (c->tp_flags & CONN_TP_WRITE_PENDING))) {
		int n = outq_iov(&c->out, iov, FLUSH_IOV);
		ssize_t w = c->tp->writev(c, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (!c->write_blocked || c->tp_flags != tpf) {
					c->write_blocked = true;
					conn_update_events(c);
				}
				return 0;
			}
			int err = -errno;

			conn_close(c, err);
			return err;
		}
		conn_stats.bytes_out += (uint64_t)w;
		c->tx_bytes += (uint64_t)w;
		outq_consume(&c->out, (size_t)w);
	}
	if (c->gated && !c->closed && outq_empty(&c->out))
		c->ops->on_out_empty(c);
	if (c->write_blocked && !c->closed) {
		c->write_blocked = false;
		conn_update_events(c);
	}
	return 0;
}

void conn_want_flush(struct conn *c)
{
	if (c->gated && !c->closed)
		c->ops->on_output(c);
	if (c->flush_pending || c->closed || c->write_blocked)
		return;
	c->flush_pending = true;
	c->flush_next = NULL;
	*flush_tail = c;
	flush_tail = &c->flush_next;
}

void conn_flush_all(void)
{
	while (flush_head) {
		struct conn *c = flush_head;

		flush_head = c->flush_next;
		if (!flush_head)
			flush_tail = &flush_head;
		c->flush_pending = false;
		/* A closed conn is still allocated until the deferred free, which runs after
		 * this (the before-wait hook runs first). */
		if (!c->closed)
			conn_flush(c);
	}
}

/* Deliver buffered data to the owner; keep what it did not consume. */
static void conn_parse(struct conn *c, const uint8_t *buf, size_t len, bool from_rx)
{
	ssize_t used = c->ops->on_read(c, buf, len);
	uint32_t cap;
	size_t left;

	if (used < 0) {
		conn_close(c, 0);
		return;
	}
	if (c->closed)
		return;
	left = len - (size_t)used;
	if (!left) {
		if (c->rx) { /* mostly there is none: no free(NULL) call per read */
			free(c->rx);
			c->rx = NULL;
		}
		return;
	}
	if (from_rx) {
		memmove(c->rx->data, c->rx->data + used, left);
		c->rx->len = (uint32_t)left;
		return;
	}
	/* Partial frame out of the scratch buffer: keep a private copy. */
	cap = left < 4096 ? 4096 : (uint32_t)left * 2;
	c->rx = malloc(sizeof(*c->rx) + cap);
	if (!c->rx) {
		conn_close(c, -ENOMEM);
		return;
	}
	c->rx->cap = cap;
	memcpy(c->rx->data, buf + used, left);
	c->rx->len = (uint32_t)left;
}

static void conn_read(struct conn *c)
{
	uint8_t tpf = c->tp_flags;
	uint8_t *buf = rx_scratch;
	size_t len = sizeof(rx_scratch);
	ssize_t n;

	if (c->rx) {
		if (c->rx->len == c->rx->cap) {
			uint32_t cap = c->rx->cap * 2;
			struct conn_rx *p;

			uint32_t max = conn_rx_max(c);

			if (max && cap > max + 8)
				cap = max + 8;
			if (cap <= c->rx->cap) {
				/* The owner lets frames grow past rx_max: a bug, not peer input. */
				conn_close(c, -EMSGSIZE);
				return;
			}
			p = realloc(c->rx, sizeof(*p) + cap);
			if (!p) {
				conn_close(c, -ENOMEM);
				return;
			}
			c->rx = p;
			c->rx->cap = cap;
		}
		buf = c->rx->data + c->rx->len;
		len = c->rx->cap - c->rx->len;
	}
	n = c->tp->read(c, buf, len);
	if ((c->tp_flags ^ tpf) & (CONN_TP_READ_WANTS_OUT | CONN_TP_BUSY)) {
		int e = errno;

		conn_update_events(c);
		if (c->closed)
			return;
		errno = e;
	}
	if (n > 0) {
		conn_stats.bytes_in += (uint64_t)n;
		c->rx_bytes += (uint64_t)n;
		if (!c->rx) {
			conn_parse(c, rx_scratch, (size_t)n, false);
		} else {
			c->rx->len += (uint32_t)n;
			conn_parse(c, c->rx->data, c->rx->len, true);
		}
		return;
	}
	if (n == 0)
		conn_close(c, -EPIPE);
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		conn_close(c, -errno);
}

bool conn_read_idle(struct conn *c)
{
	for (int i = 0; i < 64; i++) {
		uint64_t in = conn_stats.bytes_in;

		if (c->closed || c->read_paused)
			return false;
		conn_read(c);
		/* conn_read() counts what it read: nothing new means EAGAIN (or EINTR: the
		 * caller simply tries again later) */
		if (!c->closed && conn_stats.bytes_in == in)
			return !c->rx && !c->read_paused;
	}
	return false;
}

void conn_transport_ready(struct conn *c)
{
	c->tp_flags &= (uint8_t)~CONN_TP_BUSY;
	if (c->io.fd < 0 && !(c->closed && !c->lingering) &&
	    loop_io_add(c->loop, &c->io, c->fd, c->lingering ? EPOLLIN | EPOLLOUT : 0, c->io.fn,
			c) < 0) {
		if (c->lingering)
			linger_end(c);
		else
			conn_close(c, -errno);
		return;
	}
	if (c->closed)
		return; /* lingering: linger_event takes it from here */
	c->tp_flags |= CONN_TP_READ_PENDING;
	conn_update_events(c);
	conn_read_pending(c);
	if (!c->closed && c->write_blocked && (c->tp_flags & CONN_TP_WRITE_WANTS_IN))
		conn_flush(c);
}

static void conn_event(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct conn *c = io->ctx;
	bool read_wants_out = c->tp_flags & CONN_TP_READ_WANTS_OUT;

	(void)l;
	if (events & EPOLLOUT)
		conn_flush(c);
	if (c->closed)
		return;
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || (read_wants_out && (events & EPOLLOUT))) {
		if (c->read_paused && !(events & (EPOLLHUP | EPOLLERR)))
			return;
		conn_read(c);
		conn_read_pending(c);
		/* A write that waited for the read side (TLS handshake) may go now. */
		if (!c->closed && c->write_blocked && (c->tp_flags & CONN_TP_WRITE_WANTS_IN))
			conn_flush(c);
	}
}

struct conn *conn_new(struct loop *l, int fd, const struct conn_transport *tp,
		      const struct conn_ops *ops, void *owner)
{
	struct conn *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return NULL;
	c->loop = l;
	c->fd = fd;
	c->tp = tp;
	c->ops = ops;
	c->owner = owner;
	outq_init(&c->out);
	ret = loop_io_add(l, &c->io, fd, EPOLLIN, conn_event, c);
	if (ret < 0) {
		free(c);
		errno = -ret;
		return NULL;
	}
	conn_stats.conns_open++;
	return c;
}
