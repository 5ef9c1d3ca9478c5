/* SPDX-License-Identifier: MIT */
/*
 * ctl: the control socket (include/ctl.h). Its connections are not MQTT connections, so they do
 * not use conn: what they need is smaller and different (one request line, one answer, or a tap
 * whose lines are dropped, not queued, behind a slow reader), and keeping them apart means a
 * control client can never count against max_connections or memory_limit, or take part in the
 * output flush of MQTT clients.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

/* CC_DRAIN: answered and shut down for writing; what the peer still sends is read and dropped
 * until it closes (or CTL_DRAIN_MS), so that our close never resets a connection whose answer
 * the peer has not read yet (a close with unread input would). */
enum cc_state { CC_REQUEST, CC_ENDING, CC_DRAIN, CC_TAP };

#define CTL_DRAIN_MS 2000

struct ctl_conn {
	struct ctl *ctl;
	struct loop_io io;
	struct loop_timer deadline;
	struct ctl_conn *next, *prev;
	enum cc_state state;
	bool closed, flush_queued;
	char *out;
	size_t out_off, out_len, out_cap;
	uint64_t dropped, dropped_unsent;
	void *tag;
	size_t rx_len;
	char rx[CTLP_MAX_LINE];
};

struct ctl {
	struct loop *loop;
	struct loop_io io;
	const struct ctl_ops *ops;
	void *ctx;
	char *path;
	struct ctl_conn *conns;
	unsigned n_conns;
	uint64_t refused, dropped;
};

static void cc_free(struct loop *l, void *ctx)
{
	struct ctl_conn *cc = ctx;

	(void)l;
	free(cc->out);
	free(cc);
}

static void cc_close(struct ctl_conn *cc)
{
	struct ctl *c = cc->ctl;

	if (cc->closed)
		return;
	cc->closed = true;
	loop_timer_cancel(c->loop, &cc->deadline);
	if (cc->io.fd >= 0) {
		int fd = cc->io.fd;

		loop_io_del(c->loop, &cc->io);
		close(fd);
	}
	if (cc->prev)
		cc->prev->next = cc->next;
	else
		c->conns = cc->next;
	if (cc->next)
		cc->next->prev = cc->prev;
	c->n_conns--;
	if (cc->state == CC_TAP && c->ops->tap_closed)
		c->ops->tap_closed(c->ctx, cc);
	/* an event or a queued flush of this iteration may still name cc: free it after them */
	if (loop_defer(c->loop, cc_free, cc) < 0) {
		/* cannot defer (ENOMEM): leak it rather than free what the loop may still use */
	}
}

static void cc_finish(struct ctl_conn *cc);

/* Write what is queued; wait for EPOLLOUT when the socket is full. */
static void cc_flush(struct ctl_conn *cc)
{
	while (!cc->closed && cc->out_off < cc->out_len) {
		ssize_t n = write(cc->io.fd, cc->out + cc->out_off, cc->out_len - cc->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			loop_io_mod(cc->ctl->loop, &cc->io, EPOLLIN | EPOLLOUT);
			return;
		}
		if (n <= 0) {
			cc_close(cc);
			return;
		}
		cc->out_off += (size_t)n;
	}
	if (cc->closed)
		return;
	cc->out_off = cc->out_len = 0;
	loop_io_mod(cc->ctl->loop, &cc->io, EPOLLIN);
	if (cc->state == CC_ENDING)
		cc_finish(cc);
}

static void cc_finish(struct ctl_conn *cc)
{
	struct loop *l = cc->ctl->loop;

	cc->state = CC_DRAIN;
	if (shutdown(cc->io.fd, SHUT_WR) < 0) {
		cc_close(cc);
		return;
	}
	loop_timer_set(l, &cc->deadline, loop_now(l) + CTL_DRAIN_MS);
}

static void cc_flush_deferred(struct loop *l, void *ctx)
{
	struct ctl_conn *cc = ctx;

	(void)l;
	cc->flush_queued = false;
	cc_flush(cc);
}

static void cc_want_flush(struct ctl_conn *cc)
{
	if (cc->flush_queued || cc->closed || (cc->io.events & EPOLLOUT))
		return;
	if (loop_defer(cc->ctl->loop, cc_flush_deferred, cc) == 0)
		cc->flush_queued = true;
	else
		cc_flush(cc);
}

/* Append n bytes; false (nothing appended) on ENOMEM or past max bytes pending. */
static bool cc_append(struct ctl_conn *cc, const char *s, size_t n, size_t max)
{
	size_t pending = cc->out_len - cc->out_off;

	if (cc->closed || pending + n > max)
		return false;
	if (cc->out_off && cc->out_len + n > cc->out_cap) {
		memmove(cc->out, cc->out + cc->out_off, pending);
		cc->out_off = 0;
		cc->out_len = pending;
	}
	if (cc->out_len + n > cc->out_cap) {
		size_t cap = cc->out_cap ? cc->out_cap : 4096;
		char *p;

		while (cap < cc->out_len + n)
			cap *= 2;
		p = realloc(cc->out, cap);
		if (!p)
			return false;
		cc->out = p;
		cc->out_cap = cap;
	}
	memcpy(cc->out + cc->out_len, s, n);
	cc->out_len += n;
	cc_want_flush(cc);
	return true;
}

void ctl_reply(struct ctl_conn *cc, const char *s, size_t n)
{
	if (!cc_append(cc, s, n, CTL_MAX_OUT + CTLP_MAX_LINE))
		cc_close(cc); /* an answer we cannot hold: the client sees the connection end */
}

void ctl_end(struct ctl_conn *cc)
{
	if (cc->closed)
		return;
	cc->state = CC_ENDING;
	loop_timer_cancel(cc->ctl->loop, &cc->deadline);
	if (cc->out_off == cc->out_len)
		cc_finish(cc);
}

void ctl_tap(struct ctl_conn *cc, void *tag)
{
	cc->state = CC_TAP;
	cc->tag = tag;
	loop_timer_cancel(cc->ctl->loop, &cc->deadline);
}

void *ctl_tap_tag(const struct ctl_conn *cc)
{
	return cc->tag;
}

bool ctl_tap_send(struct ctl_conn *cc, const char *s, size_t n)
{
	size_t pending = cc->out_len - cc->out_off;
	char note[48];
	int k = 0;

	/* the count of what was dropped goes first, and only together with the line: a full
	 * buffer takes neither */
	if (cc->dropped_unsent)
		k = snprintf(note, sizeof(note), "{\"dropped\":%llu}\n",
			     (unsigned long long)cc->dropped);
	if (cc->closed || pending + (size_t)k + n > CTL_TAP_MAX_OUT ||
	    (k && !cc_append(cc, note, (size_t)k, CTL_TAP_MAX_OUT)) ||
	    !cc_append(cc, s, n, CTL_TAP_MAX_OUT)) {
		cc->dropped++;
		cc->dropped_unsent++;
		cc->ctl->dropped++;
		return false;
	}
	cc->dropped_unsent = 0;
	return true;
}

uint64_t ctl_tap_dropped(const struct ctl_conn *cc)
{
	return cc->dropped;
}

uint64_t ctl_tap_dropped_total(const struct ctl *c)
{
	return c->dropped;
}

unsigned ctl_conns(const struct ctl *c)
{
	return c->n_conns;
}

uint64_t ctl_refused(const struct ctl *c)
{
	return c->refused;
}

static void cc_error(struct ctl_conn *cc, int status, const char *why)
{
	struct ctlp_buf b = {0};

	ctlp_puts(&b, "{\"ok\":false");
	ctlp_json_kstr(&b, "error", why, strlen(why));
	ctlp_json_ku64(&b, "status", (uint64_t)status);
	ctlp_puts(&b, "}\n");
	if (!b.failed)
		ctl_reply(cc, b.p, b.len);
	ctlp_buf_free(&b);
	ctl_end(cc);
}

static void cc_request(struct ctl_conn *cc)
{
	struct ctlp_req req;
	const char *why;
	int r = ctlp_parse(cc->rx, cc->rx_len, &req, &why);

	if (r == -EAGAIN)
		return;
	if (r < 0) {
		cc_error(cc, 2, why);
		return;
	}
	cc->ctl->ops->request(cc->ctl->ctx, cc, &req);
	if (cc->state == CC_REQUEST) /* a handler that did neither: end it */
		ctl_end(cc);
}

static void cc_event(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct ctl_conn *cc = io->ctx;

	(void)l;
	if (cc->closed)
		return;
	if (events & EPOLLOUT)
		cc_flush(cc);
	if (cc->closed || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (int i = 0; i < 4 && !cc->closed; i++) {
		char scratch[512];
		bool req = cc->state == CC_REQUEST;
		char *dst = req ? cc->rx + cc->rx_len : scratch;
		size_t room = req ? sizeof(cc->rx) - cc->rx_len : sizeof(scratch);
		ssize_t n = read(io->fd, dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* the reader went: a tap ends; an answer still queued has nowhere to go */
			cc_close(cc);
			return;
		}
		if (!req)
			continue; /* after the request, input is read and ignored (EOF ends a tap)
				   */
		cc->rx_len += (size_t)n;
		cc_request(cc);
	}
}

static void cc_timeout(struct loop *l, struct loop_timer *t)
{
	struct ctl_conn *cc = t->ctx;

	(void)l;
	if (cc->state == CC_DRAIN)
		cc_close(cc);
	else
		cc_error(cc, 2, "no request within 10 s");
}

static void ctl_accept(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct ctl *c = io->ctx;

	(void)events;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_conn *cc;

		if (fd < 0)
			return; /* EAGAIN, or a transient error (EMFILE): try at the next event */
		if (c->n_conns >= CTL_MAX_CONNS || !(cc = calloc(1, sizeof(*cc)))) {
			static const char busy[] =
			    "{\"ok\":false,\"error\":\"too many control connections\","
			    "\"status\":1}\n";

			char sink[CTLP_MAX_LINE];

			c->refused++;
			if (write(fd, busy, sizeof(busy) - 1) < 0) {
				/* best effort: the client sees the connection close either way */
			}
			/* its request, if already there, is read first: a close with unread input
			 * would reset the connection before the client reads why */
			while (read(fd, sink, sizeof(sink)) > 0)
				;
			close(fd);
			continue;
		}
		cc->ctl = c;
		if (loop_io_add(l, &cc->io, fd, EPOLLIN, cc_event, cc) < 0) {
			close(fd);
			free(cc);
			continue;
		}
		cc->next = c->conns;
		if (c->conns)
			c->conns->prev = cc;
		c->conns = cc;
		c->n_conns++;
		loop_timer_init(&cc->deadline, cc_timeout, cc);
		loop_timer_set(l, &cc->deadline, loop_now(l) + CTL_REQUEST_MS);
	}
}

/* Is a daemon serving path? Replace a socket file nobody listens on; refuse anything else. */
static int clear_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control_socket %s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0 || errno == EAGAIN) {
		snprintf(err, errlen, "control_socket %s: another daemon is serving it", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

struct ctl *ctl_new(struct loop *l, const struct ctl_opts *o, const struct ctl_ops *ops, void *ctx,
		    char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *step = "socket";
	struct ctl *c;
	mode_t old;
	int fd, r;

	if (strlen(o->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control_socket %s: path longer than %zu bytes", o->path,
			 sizeof(sa.sun_path) - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	err[0] = '\0';
	r = clear_path(o->path, err, errlen);
	if (r < 0) {
		if (!err[0])
			snprintf(err, errlen, "control_socket %s: %s", o->path, strerror(-r));
		errno = -r;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(o->path))) {
		free(c);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	memcpy(sa.sun_path, o->path, strlen(o->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	/* never reachable with wider permissions than configured, not even for a moment */
	old = umask(0777);
	step = "bind";
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		goto fail_close;
	step = "chown";
	if (o->do_chown && lchown(o->path, o->uid, o->gid) < 0 &&
	    !(o->chown_optional && errno == EPERM))
		goto fail_unlink;
	step = "chmod";
	if (chmod(o->path, o->mode) < 0)
		goto fail_unlink;
	step = "listen";
	if (listen(fd, CTL_MAX_CONNS) < 0 || loop_io_add(l, &c->io, fd, EPOLLIN, ctl_accept, c) < 0)
		goto fail_unlink;
	c->loop = l;
	c->ops = ops;
	c->ctx = ctx;
	return c;

fail_unlink:
	r = errno;
	unlink(o->path);
	errno = r;
fail_close:
	r = errno;
	close(fd);
	errno = r;
fail:
	r = errno;
	snprintf(err, errlen, "control_socket %s: %s: %s", o->path, step, strerror(r));
	free(c->path);
	free(c);
	errno = r;
	return NULL;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	while (c->conns)
		cc_close(c->conns);
	if (c->io.fd >= 0) {
		int fd = c->io.fd;

		loop_io_del(c->loop, &c->io);
		close(fd);
	}
	unlink(c->path);
	free(c->path);
	free(c);
}
