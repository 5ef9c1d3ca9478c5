// SPDX-License-Identifier: MIT
/*
 * bench_conn: one MQTT client connection on a non-blocking socket: connect, CONNECT/CONNACK,
 * SUBSCRIBE/SUBACK, framing of everything read, acknowledgements, buffered writes.
 * Packets are built and parsed with the daemon's codec (codec.h), never by hand.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec.h"
#include "bench.h"

int bconn_alloc(struct bconn *c, uint8_t role, uint32_t idx, uint32_t rx_cap)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->role = role;
	c->idx = idx;
	c->recv_max = 65535;
	c->rx_cap = rx_cap;
	c->rx = malloc(rx_cap);
	return c->rx ? 0 : -ENOMEM;
}

void bconn_release(struct bconn *c)
{
	free(c->rx);
	free(c->tx);
	c->rx = c->tx = NULL;
	bws_free(c);
}

uint8_t *bconn_tx_reserve(struct bconn *c, size_t n)
{
	if (c->tx_off && c->tx_off == c->tx_len)
		c->tx_off = c->tx_len = c->tx_raw = 0;
	if (c->tx_len + n > c->tx_cap) {
		size_t cap = c->tx_cap ? c->tx_cap : 256;
		uint8_t *nt;

		if (c->tx_off) {
			memmove(c->tx, c->tx + c->tx_off, c->tx_len - c->tx_off);
			c->tx_len -= c->tx_off;
			c->tx_raw -= c->tx_off; /* never below tx_off (used by --ws only) */
			c->tx_off = 0;
		}
		while (cap < c->tx_len + n)
			cap *= 2;
		if (cap != c->tx_cap) {
			nt = realloc(c->tx, cap);
			if (!nt)
				return NULL;
			c->tx = nt;
			c->tx_cap = (uint32_t)cap;
		}
	}
	return c->tx + c->tx_len;
}

static void bconn_want_out(struct bworker *w, struct bconn *c, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};

	if (c->want_out == on || c->fd < 0)
		return;
	c->want_out = on;
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is buffered. 0 (all written or EAGAIN: EPOLLOUT armed) or -errno (closed). */
int bconn_flush(struct bworker *w, struct bconn *c)
{
	if (c->ws && bws_frame_out(c) < 0) {
		bconn_fail(w, c, "out of memory");
		return -ENOMEM;
	}
	while (c->tx_off < c->tx_len) {
		ssize_t n = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				bconn_want_out(w, c, true);
				return 0;
			}
			bconn_fail(w, c, strerror(errno));
			return -EPIPE;
		}
		c->tx_off += (uint32_t)n;
	}
	c->tx_off = c->tx_len = c->tx_raw = 0;
	bconn_want_out(w, c, false);
	return 0;
}

void bconn_close(struct bworker *w, struct bconn *c, bool graceful)
{
	if (c->fd < 0)
		return;
	if (graceful && c->state == BS_READY) {
		uint8_t *p = bconn_tx_reserve(c, 8);
		uint8_t ver = (uint8_t)w->run->o->version;

		if (p) {
			c->tx_len += (uint32_t)codec_encode_disconnect(p, 8, ver, MQTT_DISCONNECT,
								       0, NULL, 0);
			if (c->ws)
				bws_frame_out(c);
			/* best effort: the socket is closing either way */
			send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
		}
	}
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->state = BS_CLOSED;
	c->tx_off = c->tx_len = c->tx_raw = 0;
}

void bconn_fail(struct bworker *w, struct bconn *c, const char *why)
{
	bool ready = c->state == BS_READY;

	/* a dead broker fails thousands of connections: name the first few */
	if (w->nlogged < 10) {
		static const char *const roles[] = {"pub", "sub", "conn"};

		w->nlogged++;
		fprintf(stderr, "mqttgw-bench: %s %u: %s%s\n", roles[c->role], c->idx, why,
			w->nlogged == 10 ? " (further errors not shown)" : "");
	}
	bconn_close(w, c, false);
	if (!ready) {
		if (!c->failed) {
			c->failed = true;
			bworker_conn_failed(w, c);
		}
	} else {
		__atomic_store_n(&w->errors, w->errors + 1, __ATOMIC_RELAXED);
	}
}

static const char *role_tag(uint8_t role)
{
	return role == BC_PUB ? "p" : role == BC_SUB ? "s" : "c";
}

/* The CONNECT every client of the tool sends (clean session, unless clean is false: 3.1.1 only,
 * --persistent subscribers). Size, 0 if cap is too small; buf NULL: the size only. */
size_t bench_encode_connect(uint8_t *buf, size_t cap, const struct bench_opts *o, const char *id,
			    bool clean)
{
	struct mqtt_connect mc = {0};

	mc.proto_name.p = (const uint8_t *)"MQTT";
	mc.proto_name.len = 4;
	mc.version = (uint8_t)o->version;
	mc.clean = clean;
	mc.keepalive = o->keepalive;
	mc.client_id.p = (const uint8_t *)id;
	mc.client_id.len = (uint32_t)strlen(id);
	return codec_encode_connect(buf, cap, &mc, NULL, 0, NULL, 0);
}

/* SUBSCRIBE (packet id 1) to one filter at qos. Same conventions. */
size_t bench_encode_subscribe(uint8_t *buf, size_t cap, const struct bench_opts *o,
			      const char *filter, uint8_t qos)
{
	struct mqtt_sub_entry e = {0};

	e.filter.p = (const uint8_t *)filter;
	e.filter.len = (uint32_t)strlen(filter);
	e.qos = qos;
	return codec_encode_subscribe(buf, cap, (uint8_t)o->version, 1, &e, 1, NULL, 0);
}

static int bconn_send_connect(struct bworker *w, struct bconn *c)
{
	const struct bench_opts *o = w->run->o;
	char id[64];
	uint8_t *p;
	size_t n;

	snprintf(id, sizeof(id), "mb-%s-%s%u", w->run->token, role_tag(c->role), c->idx);
	bool clean = !(o->persistent && c->role == BC_SUB);

	n = bench_encode_connect(NULL, 0, o, id, clean);
	p = bconn_tx_reserve(c, n);
	if (!p)
		return -ENOMEM;
	c->tx_len += (uint32_t)bench_encode_connect(p, n, o, id, clean);
	return bconn_flush(w, c);
}

static int bconn_send_subscribe(struct bworker *w, struct bconn *c)
{
	const struct bench_opts *o = w->run->o;
	struct bsub *s = bconn_sub(c);
	uint8_t qos = (uint8_t)w->run->qos;
	uint8_t *p;
	size_t n;

	n = bench_encode_subscribe(NULL, 0, o, s->filter, qos);
	p = bconn_tx_reserve(c, n);
	if (!p)
		return -ENOMEM;
	c->tx_len += (uint32_t)bench_encode_subscribe(p, n, o, s->filter, qos);
	c->state = BS_SUBACK;
	return bconn_flush(w, c);
}

int bconn_open(struct bworker *w, struct bconn *c)
{
	const struct bench_opts *o = w->run->o;
	bool other = c->role == BC_SUB && (o->sub_host || o->sub_port);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET,
	    .sin_port = htons(other && o->sub_port ? o->sub_port : o->port),
	};
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
	int one = 1;

	inet_pton(AF_INET, other && o->sub_host ? o->sub_host : o->host, &sa.sin_addr);
	c->t_open = now_ns();
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		bconn_fail(w, c, strerror(errno));
		return -errno;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int err = errno;

		close(c->fd);
		c->fd = -1;
		bconn_fail(w, c, strerror(err));
		return -err;
	}
	c->state = BS_CONNECTING;
	c->want_out = true;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		int err = errno;

		close(c->fd);
		c->fd = -1;
		bconn_fail(w, c, strerror(err));
		return -err;
	}
	return 0;
}

static void bconn_on_connack(struct bworker *w, struct bconn *c, const struct mqtt_connack *ca)
{
	char why[64];

	if (ca->code != 0) {
		snprintf(why, sizeof(why), "CONNACK refused, code 0x%02x", ca->code);
		bconn_fail(w, c, why);
		return;
	}
	if (ca->props.seen & MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAX))
		c->recv_max = ca->props.receive_max;
	if ((ca->props.seen & MQTT_PROP_BIT(MQTT_PROP_MAX_QOS)) &&
	    ca->props.max_qos < w->run->qos) {
		bconn_fail(w, c, "broker's Maximum QoS is below --qos");
		return;
	}
	if (c->role == BC_SUB) {
		if (bconn_send_subscribe(w, c) < 0 && c->fd >= 0)
			bconn_fail(w, c, "out of memory");
		return;
	}
	c->state = BS_READY;
	bworker_conn_ready(w, c);
}

static void bconn_on_suback(struct bworker *w, struct bconn *c, const struct mqtt_suback *sa)
{
	char why[64];

	if (c->state != BS_SUBACK || sa->codes.len < 1) {
		bconn_fail(w, c, "unexpected SUBACK");
		return;
	}
	if (sa->codes.p[0] >= 0x80 || sa->codes.p[0] < w->run->qos) {
		snprintf(why, sizeof(why), "SUBACK refused or downgraded, code 0x%02x",
			 sa->codes.p[0]);
		bconn_fail(w, c, why);
		return;
	}
	c->state = BS_READY;
	bworker_conn_ready(w, c);
}

static int bconn_ack(struct bconn *c, uint8_t ver, uint8_t type, uint16_t pid)
{
	uint8_t *p = bconn_tx_reserve(c, 8);

	if (!p)
		return -ENOMEM;
	c->tx_len += (uint32_t)codec_encode_ack(p, 8, ver, type, pid, 0, NULL, 0);
	return 0;
}

/* One complete frame. 0, or -1 when the connection was closed. */
static int bconn_frame(struct bworker *w, struct bconn *c, const uint8_t *buf, size_t len)
{
	struct mqtt_packet pkt;
	uint8_t ver = (uint8_t)w->run->o->version, reason = 0;
	char why[96];
	int rc;

	rc = codec_decode(buf, len, ver, &pkt, &reason);
	if (rc < 0) {
		snprintf(why, sizeof(why), "malformed packet type %u from broker: %d reason 0x%02x",
			 buf[0] >> 4, rc, reason);
		__atomic_store_n(&w->bad, w->bad + 1, __ATOMIC_RELAXED);
		bconn_fail(w, c, why);
		return -1;
	}
	switch (pkt.type) {
	case MQTT_PUBLISH:
		if (c->role != BC_SUB || c->state != BS_READY)
			break;
		bsub_on_publish(w, bconn_sub(c), pkt.publish.payload.p, pkt.publish.payload.len);
		if (pkt.publish.qos == 1)
			rc = bconn_ack(c, ver, MQTT_PUBACK, pkt.publish.packet_id);
		else if (pkt.publish.qos == 2)
			rc = bconn_ack(c, ver, MQTT_PUBREC, pkt.publish.packet_id);
		break;
	case MQTT_PUBREL:
		rc = bconn_ack(c, ver, MQTT_PUBCOMP, pkt.ack.packet_id);
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBCOMP:
		if (c->role == BC_PUB)
			bpub_on_ack(w, bconn_pub(c), pkt.type, pkt.ack.packet_id, pkt.ack.reason);
		break;
	case MQTT_CONNACK:
		if (c->state != BS_CONNACK) {
			bconn_fail(w, c, "unexpected CONNACK");
			return -1;
		}
		bconn_on_connack(w, c, &pkt.connack);
		break;
	case MQTT_SUBACK:
		bconn_on_suback(w, c, &pkt.suback);
		break;
	case MQTT_DISCONNECT:
		snprintf(why, sizeof(why), "DISCONNECT from broker, reason 0x%02x",
			 pkt.disconnect.reason);
		bconn_fail(w, c, why);
		return -1;
	case MQTT_PINGRESP:
	case MQTT_UNSUBACK:
		break;
	default:
		snprintf(why, sizeof(why), "unexpected packet type %u", pkt.type);
		bconn_fail(w, c, why);
		return -1;
	}
	if (rc < 0) {
		bconn_fail(w, c, "out of memory");
		return -1;
	}
	return c->fd < 0 ? -1 : 0;
}

static void bconn_readable(struct bworker *w, struct bconn *c)
{
	const char *why;
	char msg[96];
	struct mqtt_frame f;
	uint32_t off = 0;
	uint8_t reason;
	ssize_t n;
	int rc;

	n = recv(c->fd, c->rx + c->rx_len, c->rx_cap - c->rx_len, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		why = n == 0 ? "closed by broker" : strerror(errno);
		if (c->state == BS_WSHS) {
			snprintf(msg, sizeof(msg), "websocket handshake: %s", why);
			why = msg;
		}
		bconn_fail(w, c, why);
		return;
	}
	c->rx_len += (uint32_t)n;
	w->now = now_ns();
	if (c->ws) {
		rc = bws_input(c, c->rx_len - (uint32_t)n, &why);
		if (rc < 0) {
			bconn_fail(w, c, why);
			return;
		}
		if (rc == 1)
			return;
		if (rc == 2 && bconn_send_connect(w, c) < 0) {
			if (c->fd >= 0)
				bconn_fail(w, c, "out of memory");
			return;
		}
	}
	while (off < c->rx_len) {
		rc = codec_frame(c->rx + off, c->rx_len - off, 0, &f, &reason);
		if (rc == -EAGAIN) {
			uint64_t need = (uint64_t)f.hdr_len + f.rem_len;

			if (f.hdr_len && need > c->rx_cap) {
				uint8_t *nr = realloc(c->rx, need);

				if (!nr) {
					bconn_fail(w, c, "out of memory");
					return;
				}
				c->rx = nr;
				c->rx_cap = (uint32_t)need;
			}
			break;
		}
		if (rc < 0) {
			bconn_fail(w, c, "bad frame from broker");
			return;
		}
		if (bconn_frame(w, c, c->rx + off, f.hdr_len + f.rem_len) < 0)
			return;
		off += f.hdr_len + f.rem_len;
	}
	if (off) {
		memmove(c->rx, c->rx + off, c->rx_len - off);
		c->rx_len -= off;
	}
	if (c->tx_len > c->tx_off && !c->want_out)
		bconn_flush(w, c);
}

static void bconn_connected(struct bworker *w, struct bconn *c)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		bconn_fail(w, c, strerror(err));
		return;
	}
	c->want_out = false;
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	if (w->run->o->ws) {
		/* the CONNECT follows the 101 (bconn_readable) */
		c->state = BS_WSHS;
		if ((bws_start(c, w->run->o) < 0 || bconn_flush(w, c) < 0) && c->fd >= 0)
			bconn_fail(w, c, "out of memory");
		return;
	}
	c->state = BS_CONNACK;
	if (bconn_send_connect(w, c) < 0 && c->fd >= 0)
		bconn_fail(w, c, "out of memory");
}

void bconn_event(struct bworker *w, struct bconn *c, uint32_t events)
{
	if (c->fd < 0)
		return; /* closed earlier in this batch */
	if (c->state == BS_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			bconn_connected(w, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		bconn_readable(w, c);
		if (c->fd < 0)
			return;
	}
	if ((events & EPOLLOUT) && c->tx_len > c->tx_off)
		bconn_flush(w, c);
	else if (events & EPOLLOUT)
		bconn_want_out(w, c, false);
}
