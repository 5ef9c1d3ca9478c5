/* SPDX-License-Identifier: MIT */
/*
 * ws: the WebSocket transport over another transport (see include/ws.h).
 *
 * The inner transport (tcp or tls) keeps its own per-connection state and flags; we call it
 * with c->tp_state and c->tp_flags swapped to its own (inner_enter/inner_leave), so tls.c
 * works unchanged under us, and c->tp_flags is then what both layers wait for.
 *
 * Reads. Socket bytes are read straight into the caller's buffer and decoded there, in place:
 * headers are dropped and payloads unmasked down over them, so a read costs no copy beyond
 * the unmasking. Only input read ahead with the request head is kept here (in), and handed
 * out before the socket is read again (CONN_TP_READ_PENDING).
 *
 * Writes. Each writev becomes one binary frame: a header in front of the caller's iovecs and
 * one inner writev. What the inner transport did not take of that frame is copied (tx) and
 * reported as taken, since the header promised those bytes, and conn's queue may drop what
 * it still holds; tx goes out first next time (CONN_TP_WRITE_PENDING), then a pending pong,
 * then our close frame, so a control frame never lands inside a data frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "ws.h"
#include "ws_frame.h"

/* Reads per call when what arrives holds no payload (control frames): then EAGAIN, and a
 * peer that only pings cannot hold the loop here (epoll is level-triggered). */
#define WS_READS 8
/* The frame limit while the owner sets none (conn_rx_max): MQTT's largest packet. */
#define WS_RX_DEFAULT (268435455u + 5u)

struct ws_ctx {
	unsigned int refs;
	size_t n;
	char **origins;
	int http_dir; /* `http_dir` (O_PATH), -1: none */
};

struct ws_conn {
	const struct conn_transport *inner;
	void *inner_state;
	uint8_t in_flags;   /* the inner transport's tp_flags */
	bool open;	    /* the handshake is done */
	bool hs_wait;	    /* a write waits for the handshake (reads drive it) */
	bool got_close;	    /* the peer sent close: reads report end of stream */
	bool close_queued;  /* our close frame is queued or sent: no more data frames */
	int failed;	    /* errno for every later read */
	struct ws_ctx *ctx; /* until the handshake ends */
	const char *proto;
	struct ws_rx rx;
	/* the request head being read; then what was read ahead with it: in[in_off..in_len) */
	uint8_t *in;
	uint32_t in_off, in_len;
	/* taken and not sent yet: tx[tx_off..tx_len) (a frame's rest, the handshake answer) */
	uint8_t *tx;
	uint32_t tx_off, tx_len;
	uint8_t pong_off, pong_len, cls_off, cls_len;
	uint8_t pong[WS_CTL_FRAME];
	uint8_t cls[WS_CTL_FRAME];
};

/* ---- contexts ---- */

struct ws_ctx *ws_ctx_new(const char *const *origins, size_t n)
{
	struct ws_ctx *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->refs = 1;
	w->http_dir = -1;
	if (n && !(w->origins = calloc(n, sizeof(*w->origins))))
		goto err_free;
	for (; w->n < n; w->n++)
		if (!(w->origins[w->n] = strdup(origins[w->n])))
			goto err_free;
	return w;
err_free:
	ws_ctx_unref(w);
	errno = ENOMEM;
	return NULL;
}

struct ws_ctx *ws_ctx_ref(struct ws_ctx *w)
{
	if (w)
		w->refs++;
	return w;
}

void ws_ctx_unref(struct ws_ctx *w)
{
	if (!w || --w->refs)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->origins[i]);
	free(w->origins);
	if (w->http_dir >= 0)
		close(w->http_dir);
	free(w);
}

int ws_ctx_set_http_dir(struct ws_ctx *w, const char *dir)
{
	int fd = ws_http_dir_open(dir);

	if (fd < 0)
		return fd;
	if (w->http_dir >= 0)
		close(w->http_dir);
	w->http_dir = fd;
	return 0;
}

/* ---- calling the inner transport ---- */

static bool own_pending(const struct ws_conn *w)
{
	return w->tx_off < w->tx_len || w->pong_off < w->pong_len || w->cls_off < w->cls_len;
}

/* c->tp_flags from both layers' state. */
static void ws_flags(struct conn *c, const struct ws_conn *w)
{
	uint8_t f = w->in_flags;

	if ((w->open && w->in_off < w->in_len) || w->got_close || w->failed)
		f |= CONN_TP_READ_PENDING; /* conn must call again: data, end or error */
	if (own_pending(w))
		f |= CONN_TP_WRITE_PENDING;
	if (w->hs_wait)
		f |= CONN_TP_WRITE_WANTS_IN;
	c->tp_flags = f;
}

static void inner_enter(struct conn *c, struct ws_conn *w)
{
	c->tp_state = w->inner_state;
	c->tp_flags = w->in_flags;
}

static void inner_leave(struct conn *c, struct ws_conn *w)
{
	int e = errno;

	w->inner_state = c->tp_state;
	w->in_flags = c->tp_flags;
	c->tp_state = w;
	ws_flags(c, w);
	errno = e;
}

static ssize_t inner_read(struct conn *c, struct ws_conn *w, void *buf, size_t len)
{
	ssize_t r;

	inner_enter(c, w);
	r = w->inner->read(c, buf, len);
	inner_leave(c, w);
	return r;
}

static ssize_t inner_writev(struct conn *c, struct ws_conn *w, const struct iovec *iov, int n)
{
	ssize_t r;

	inner_enter(c, w);
	r = w->inner->writev(c, iov, n);
	inner_leave(c, w);
	return r;
}

/* Send what we hold (tx, pong, close, in that order). 0 when all is sent, else -1 with errno
 * (EAGAIN: the rest waits). */
static int flush_own(struct conn *c, struct ws_conn *w)
{
	struct iovec v[3];
	size_t left;
	ssize_t r;
	int k = 0;

	if (w->tx_off < w->tx_len)
		v[k++] = (struct iovec){w->tx + w->tx_off, w->tx_len - w->tx_off};
	if (w->pong_off < w->pong_len)
		v[k++] = (struct iovec){w->pong + w->pong_off, (size_t)(w->pong_len - w->pong_off)};
	if (w->cls_off < w->cls_len)
		v[k++] = (struct iovec){w->cls + w->cls_off, (size_t)(w->cls_len - w->cls_off)};
	if (!k)
		return 0;
	r = inner_writev(c, w, v, k);
	if (r < 0)
		return -1;
	left = (size_t)r;
	if (w->tx_off < w->tx_len) {
		size_t t = left < w->tx_len - w->tx_off ? left : w->tx_len - w->tx_off;

		w->tx_off += (uint32_t)t;
		left -= t;
		if (w->tx_off == w->tx_len) {
			free(w->tx);
			w->tx = NULL;
			w->tx_off = w->tx_len = 0;
		}
	}
	if (w->pong_off < w->pong_len) {
		size_t t = left < (size_t)(w->pong_len - w->pong_off)
			       ? left
			       : (size_t)(w->pong_len - w->pong_off);

		w->pong_off += (uint8_t)t;
		left -= t;
		if (w->pong_off == w->pong_len)
			w->pong_off = w->pong_len = 0;
	}
	if (w->cls_off < w->cls_len)
		w->cls_off += (uint8_t)left; /* the last iovec: left fits */
	ws_flags(c, w);
	if (own_pending(w)) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

/* Control frames we answer go out with the end-of-iteration flush. */
static void want_flush(struct conn *c, struct ws_conn *w)
{
	ws_flags(c, w);
	if (!c->closed)
		conn_want_flush(c);
}

static void queue_close(struct ws_conn *w, uint16_t code)
{
	if (w->close_queued)
		return;
	w->close_queued = true;
	w->cls_off = 0;
	w->cls_len = (uint8_t)ws_frame_close(w->cls, code);
}

/* ---- the handshake ---- */

static const char *status_why(int status)
{
	return status == 403   ? "origin not allowed"
	       : status == 426 ? "WebSocket version not supported"
			       : "not a valid WebSocket upgrade request";
}

/* http_dir: a plain GET gets a file (or an error page) and the connection ends after it:
 * the answer waits in tx, which the owner's lingering close sends. */
static int http_get(struct conn *c, struct ws_conn *w, const struct ws_hs_req *req)
{
	static struct log_ratelimit rl;
	int st = ws_http_answer(w->ctx->http_dir, req->path, req->path_len, &w->tx, &w->tx_len);

	ws_ctx_unref(w->ctx);
	w->ctx = NULL;
	if (st != 200 && st != 404)
		log_msg_rl(&rl, CONFIG_LOG_INFO, "HTTP GET from %s refused (%d).", conn_peer(c), st);
	w->failed = st < 0 ? ENOMEM : EPROTO; /* no MQTT follows: end the connection */
	ws_flags(c, w);
	errno = w->failed;
	return -1;
}

/* Read and answer the request head: 1 (open), -1 with errno (EAGAIN: not complete), 0 (end
 * of stream before it was complete). */
static int hs_step(struct conn *c, struct ws_conn *w)
{
	static struct log_ratelimit rl;
	struct ws_hs_req req;
	struct ws_origins og = {NULL, 0};
	char resp[256];
	ssize_t r;
	int head, status, n;

	if (!w->in && !(w->in = malloc(WS_HS_MAX))) {
		errno = ENOMEM;
		return -1;
	}
	r = inner_read(c, w, w->in + w->in_len, WS_HS_MAX - w->in_len);
	if (r <= 0)
		return (int)r;
	w->in_len += (uint32_t)r;
	head = ws_hs_parse((const char *)w->in, w->in_len, &req);
	if (head == -EAGAIN && w->in_len < WS_HS_MAX) {
		errno = EAGAIN;
		return -1;
	}
	if (head >= 0 && w->ctx && w->ctx->http_dir >= 0 && req.get && !req.upgrade)
		return http_get(c, w, &req);
	if (w->ctx)
		og = (struct ws_origins){(const char *const *)w->ctx->origins, w->ctx->n};
	status = head < 0 ? 400 : ws_hs_check(&req, &og);
	n = ws_hs_response(&req, status, resp, sizeof(resp));
	ws_ctx_unref(w->ctx);
	w->ctx = NULL;
	if (n > 0 && (w->tx = malloc((size_t)n))) {
		memcpy(w->tx, resp, (size_t)n);
		w->tx_len = (uint32_t)n;
	}
	if (status != 101 || !w->tx) {
		log_msg_rl(&rl, CONFIG_LOG_INFO, "WebSocket handshake from %s refused (%d): %s.",
			   conn_peer(c), status, status_why(status));
		w->failed = status == 101 ? ENOMEM : EPROTO;
		errno = w->failed;
		return -1;
	}
	w->open = true;
	w->proto = req.proto;
	w->in_off = (uint32_t)head;
	want_flush(c, w);
	return 1;
}

/* ---- reading ---- */

static void on_control(struct conn *c, struct ws_conn *w)
{
	const struct ws_rx *rx = &w->rx;

	if (rx->op == WS_OP_PING && !w->close_queued && !w->pong_off) {
		/* an unanswered ping is replaced by the newer one (RFC 6455 5.5.3) */
		w->pong_len = (uint8_t)ws_frame_control(w->pong, WS_OP_PONG, rx->ctl, rx->ctl_len);
		want_flush(c, w);
	} else if (rx->op == WS_OP_CLOSE) {
		/* echo the peer's code (5.5.1); the close itself goes out as conn closes */
		w->got_close = true;
		queue_close(w, rx->ctl_len >= 2 ? (uint16_t)(rx->ctl[0] << 8 | rx->ctl[1]) : 0);
	}
}

/* Decode src[0..n) into out (may be src): the payload bytes, or -1 when a protocol error
 * left nothing to return (errno set). Stops at the peer's close. */
static ssize_t decode(struct conn *c, struct ws_conn *w, const uint8_t *src, size_t n, uint8_t *out)
{
	static struct log_ratelimit rl;
	size_t pos = 0, o = 0;
	uint32_t max = conn_rx_max(c);

	w->rx.max_payload = (uint64_t)(max ? max : WS_RX_DEFAULT) + WS_RX_SLACK;
	for (;;) {
		size_t used, prod;
		int ret = ws_rx_decode(&w->rx, src + pos, n - pos, out + o, &used, &prod);

		pos += used;
		o += prod;
		if (ret == WS_RX_CONTROL) {
			on_control(c, w);
			if (w->got_close)
				break;
			continue;
		}
		if (ret < 0) {
			log_msg_rl(&rl, CONFIG_LOG_INFO,
				   "WebSocket protocol error from %s: closing with %u.", conn_peer(c),
				   w->rx.close_code);
			queue_close(w, w->rx.close_code);
			w->failed = ret == -EMSGSIZE ? EMSGSIZE : EPROTO;
		}
		break;
	}
	ws_flags(c, w);
	if (!o && w->failed) {
		errno = w->failed;
		return -1;
	}
	return (ssize_t)o;
}

static ssize_t ws_read(struct conn *c, void *buf, size_t len)
{
	struct ws_conn *w = c->tp_state;
	ssize_t got = 0;

	if (w->failed) {
		errno = w->failed;
		return -1;
	}
	if (w->got_close)
		return 0;
	if (!w->open) {
		int r = hs_step(c, w);

		if (r <= 0)
			return r;
	}
	for (int i = 0; !got && i < WS_READS && !w->got_close; i++) {
		if (w->in_off < w->in_len) {
			size_t n = w->in_len - w->in_off < len ? w->in_len - w->in_off : len;

			got = decode(c, w, w->in + w->in_off, n, buf);
			w->in_off += (uint32_t)n;
			if (w->in_off == w->in_len || w->got_close || w->failed) {
				free(w->in);
				w->in = NULL;
				w->in_off = w->in_len = 0;
			}
		} else {
			ssize_t n = inner_read(c, w, buf, len);

			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					errno = EAGAIN;
				return n;
			}
			got = decode(c, w, buf, (size_t)n, buf);
		}
		if (got < 0)
			return -1;
	}
	ws_flags(c, w);
	if (got)
		return got;
	if (w->got_close)
		return 0;
	errno = EAGAIN;
	return -1;
}

/* ---- writing ---- */

static ssize_t ws_writev(struct conn *c, const struct iovec *iov, int n)
{
	struct ws_conn *w = c->tp_state;
	struct iovec v[1 + 64];
	uint8_t hdr[WS_SHDR_MAX];
	size_t L = 0, hl, sent;
	ssize_t r;
	int k = 0;

	w->hs_wait = false;
	if (flush_own(c, w) < 0)
		return -1;
	for (int i = 0; i < n && k < 64 && L < WS_TX_FRAME; i++) {
		size_t take = iov[i].iov_len < WS_TX_FRAME - L ? iov[i].iov_len : WS_TX_FRAME - L;

		if (take)
			v[1 + k++] = (struct iovec){iov[i].iov_base, take};
		L += take;
	}
	if (!L)
		return (w->in_flags & CONN_TP_WRITE_PENDING) ? inner_writev(c, w, iov, 0) : 0;
	if (!w->open) {
		/* nothing of the owner's before our 101; reads drive the handshake */
		w->hs_wait = true;
		ws_flags(c, w);
		errno = EAGAIN;
		return -1;
	}
	if (w->close_queued) {
		errno = EPIPE;
		return -1;
	}
	hl = ws_frame_hdr(hdr, WS_OP_BINARY, L);
	v[0] = (struct iovec){hdr, hl};
	r = inner_writev(c, w, v, k + 1);
	if (r < 0)
		return -1;
	sent = (size_t)r;
	if (sent < hl + L) {
		/* the header promised L bytes: keep the rest of the frame (see the top) */
		uint8_t *p = malloc(hl + L - sent);

		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		w->tx = p;
		w->tx_off = 0;
		w->tx_len = (uint32_t)(hl + L - sent);
		for (int i = 0; i <= k; i++) {
			size_t skip = sent < v[i].iov_len ? sent : v[i].iov_len;

			memcpy(p, (const uint8_t *)v[i].iov_base + skip, v[i].iov_len - skip);
			p += v[i].iov_len - skip;
			sent -= skip;
		}
		ws_flags(c, w);
	}
	return (ssize_t)L;
}

/* ---- closing ---- */

/* Our close frame, best effort (as TLS's close_notify): never waits. */
static void say_goodbye(struct conn *c, struct ws_conn *w)
{
	if (w->open && !w->close_queued)
		queue_close(w, WS_CLOSE_NORMAL);
	flush_own(c, w);
}

static void ws_shutdown(struct conn *c)
{
	struct ws_conn *w = c->tp_state;

	say_goodbye(c, w);
	inner_enter(c, w);
	if (w->inner->shutdown)
		w->inner->shutdown(c);
	else
		shutdown(c->fd, SHUT_WR);
	inner_leave(c, w);
}

static void ws_close(struct conn *c)
{
	struct ws_conn *w = c->tp_state;

	say_goodbye(c, w);
	inner_enter(c, w);
	w->inner->close(c); /* closes the fd */
	c->tp_state = NULL;
	ws_ctx_unref(w->ctx);
	free(w->in);
	free(w->tx);
	free(w);
}

const struct conn_transport conn_ws = {
    .name = "ws",
    .read = ws_read,
    .writev = ws_writev,
    .close = ws_close,
    .shutdown = ws_shutdown,
};

int ws_conn_attach(struct conn *c, struct ws_ctx *ctx)
{
	struct ws_conn *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->inner = c->tp;
	w->inner_state = c->tp_state;
	w->in_flags = c->tp_flags;
	w->ctx = ws_ctx_ref(ctx);
	c->tp = &conn_ws;
	c->tp_state = w;
	ws_flags(c, w);
	return 0;
}

bool ws_conn_is(const struct conn *c)
{
	return c->tp == &conn_ws;
}

const char *ws_conn_subprotocol(const struct conn *c)
{
	const struct ws_conn *w = ws_conn_is(c) ? c->tp_state : NULL;

	return w && w->open ? w->proto : NULL;
}
