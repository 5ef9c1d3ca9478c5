/* SPDX-License-Identifier: MIT */
/*
 * broker: listeners, client lifecycle, framing and dispatch, keepalive, shutdown.
 * Packet handling lives in broker_connect.c, broker_publish.c, broker_subscribe.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_int.h"
#include "log.h"

/* A CONNECT can legitimately carry a will payload, user name and password of 64 KiB each
 * plus properties; nothing before CONNECT needs more. */
#define PRE_CONNECT_MAX (512u * 1024u)

static void client_free_deferred(struct loop *l, void *ctx)
{
	struct client *c = ctx;

	(void)l;
	msg_unref(c->will);
	if (c->alias_in) {
		for (uint32_t i = 0; i <= c->alias_in_max; i++)
			free(c->alias_in[i]);
		free(c->alias_in);
	}
	for (uint32_t i = 0; i < c->alias_out_n; i++)
		free(c->alias_out[i].topic);
	free(c->alias_out);
	broker_authflow_free(c);
	free(c->client_id);
	free(c->username);
	free(c);
}

static const char *client_name(const struct client *c)
{
	return c->client_id ? c->client_id : "<unknown>";
}

void client_log_proto(struct client *c, const char *fmt, ...)
{
	static struct log_ratelimit rl;
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_msg_rl(&rl, CONFIG_LOG_INFO, "Client %s [%s] protocol error: %s", client_name(c),
		   c->peer, why);
}

/* Bytes of a varint-encoded length. */
static uint32_t varint_len(uint32_t v)
{
	return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : 4;
}

/* Size of a packet whose body (after the fixed header) is `body` bytes plus a property block
 * of plen bytes with its length. */
static uint64_t packet_size(uint32_t body, uint32_t plen)
{
	uint64_t rem = (uint64_t)body + varint_len(plen) + plen;

	return 1 + varint_len((uint32_t)rem) + rem;
}

long client_props_room(const struct client *c, uint32_t body, uint32_t cap)
{
	uint32_t max = c->max_packet_out, p;

	if (!max || packet_size(body, cap) <= max)
		return cap;
	if (packet_size(body, 0) > max)
		return -1;
	/* an upper bound, then down past the few steps where a varint shrinks */
	p = max - body < cap ? max - body : cap;
	while (p && packet_size(body, p) > max)
		p--;
	return p;
}

void client_send_raw(struct client *c, const uint8_t *p, size_t n)
{
	if (!c->conn)
		return;
	/* never more than the client's Maximum Packet Size [MQTT-3.1.2-24]; the builders leave
	 * out what is optional to fit, so this only stops what cannot be made to fit */
	if (c->max_packet_out && n > c->max_packet_out) {
		log_debug("Client %s [%s]: %zu-byte packet type %u over its Maximum Packet Size %u: "
			  "not sent.",
			  client_name(c), c->peer, n, p[0] >> 4, c->max_packet_out);
		return;
	}
	if (outq_append(&c->conn->out, p, (uint32_t)n) < 0)
		return;
	outq_frame_done(&c->conn->out);
	c->b->st.msgs_sent++;
	conn_want_flush(c->conn);
}

int client_send_simple(struct client *c, uint8_t type)
{
	uint8_t buf[2];

	client_send_raw(c, buf, codec_encode_simple(buf, sizeof(buf), type));
	return 0;
}

int client_send_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason)
{
	uint8_t buf[8];
	size_t n = codec_encode_ack(buf, sizeof(buf), c->version, type, pid, reason, NULL, 0);

	client_send_raw(c, buf, n);
	return 0;
}

/*
 * The one place a server-side close is decided. v5 clients past CONNECT get a DISCONNECT
 * with `reason` first (unless reason is 0xFF: close silently); v3 has no server DISCONNECT.
 * The will is published by on_close unless the client sent DISCONNECT.
 */
/* A server-initiated close reads and discards for at most this long, or this much. */
#define CLIENT_LINGER_MS 2000
#define CLIENT_LINGER_BYTES (64 * 1024)

void client_close(struct client *c, uint8_t reason, const char *why)
{
	struct conn *conn = c->conn;

	if (!conn)
		return;
	if (why)
		log_info_rl("Client %s [%s] disconnected: %s.", client_name(c), c->peer, why);
	if (c->version == MQTT_V5 && c->state == CLIENT_ACTIVE && reason != 0xFF) {
		uint8_t buf[300], props[280];
		struct mqtt_propbuf pb;
		long room = client_props_room(c, 1, sizeof(props));
		size_t n;

		/* a reason string only for clients that asked for problem information, and only
		 * if it fits their Maximum Packet Size */
		codec_props_init(&pb, props, room > 0 ? (uint32_t)room : 0);
		if (why && c->problem_info)
			codec_props_str(&pb, MQTT_PROP_REASON_STRING, why,
					(uint16_t)strnlen(why, 256));
		n = codec_encode_disconnect(buf, sizeof(buf), MQTT_V5, MQTT_DISCONNECT, reason,
					    props, pb.overflow ? 0 : pb.len);
		if (n <= sizeof(buf))
			client_send_raw(c, buf, n);
	}
	/* What was answered before the fault (e.g. the CONNACK before a second CONNECT in the
	 * same read) still goes out, best effort, without waiting. */
	broker_fp_closing(c);
	conn_flush(conn);
	/* Lingering: a peer that is still sending would otherwise get an RST that can destroy
	 * the DISCONNECT before it reads it (issue #12). */
	if (c->conn)
		conn_close_linger(conn, 0, CLIENT_LINGER_MS, CLIENT_LINGER_BYTES);
}

int broker_close_each(struct broker *b, bool (*fn)(struct client *c, void *ctx), void *ctx)
{
	struct client **v, *c;
	uint32_t n = 0;
	int closed = 0;

	v = calloc(b->n_conns ? b->n_conns : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (c = b->clients; c && n < b->n_conns; c = c->next)
		if (c->state == CLIENT_ACTIVE)
			v[n++] = c;
	for (uint32_t i = 0; i < n; i++)
		if (v[i]->conn && v[i]->state == CLIENT_ACTIVE && fn(v[i], ctx))
			closed++;
	free(v);
	return closed;
}

static void client_pause(struct client *c)
{
	struct broker *b = c->b;

	if (c->paused || !c->conn)
		return;
	c->paused = true;
	c->paused_next = b->paused;
	b->paused = c;
	conn_pause_read(c->conn, true);
	if (!loop_timer_armed(&b->bp_timer))
		loop_timer_set(b->loop, &b->bp_timer, loop_now(b->loop) + BROKER_BP_MAX_MS);
}

static void client_unpause_unlink(struct client *c)
{
	struct client **pp = &c->b->paused;

	while (*pp && *pp != c)
		pp = &(*pp)->paused_next;
	if (*pp)
		*pp = c->paused_next;
	c->paused = false;
}

/*
 * Let every held-back publisher read again. Called when a subscriber's queue drained or the
 * subscriber left; publishers that still meet a full queue are paused again by the next
 * PUBLISH they send, so resuming all of them is simple and still correct.
 */
void broker_resume_publishers(struct broker *b)
{
	while (b->paused) {
		struct client *c = b->paused;

		b->paused = c->paused_next;
		c->paused = false;
		c->last_rx = loop_now(b->loop);
		if (c->conn)
			conn_pause_read(c->conn, false);
	}
	loop_timer_cancel(b->loop, &b->bp_timer);
}

static void bp_timer_fired(struct loop *l, struct loop_timer *t)
{
	(void)l;
	broker_resume_publishers(t->ctx);
}

static void client_timer(struct loop *l, struct loop_timer *t)
{
	struct client *c = t->ctx;
	int64_t now = loop_now(l);

	/* a publisher we stopped reading is not silent: its packets wait in its socket; one
	 * whose PUBLISHes the kernel relays is not either */
	if (c->paused || broker_fp_rx_activity(c))
		c->last_rx = now;

	if (c->state == CLIENT_NEW || c->state == CLIENT_AUTH) {
		client_close(c, 0xFF,
			     c->state == CLIENT_NEW
				     ? "no CONNECT within connect_timeout"
				     : "authentication not finished within connect_timeout");
		return;
	}
	/* Packets only update last_rx; the timer re-arms itself lazily, so the hot path never
	 * touches the timer heap. [MQTT-3.1.2-24]: 1.5 x keepalive. */
	int64_t deadline = c->last_rx + (int64_t)c->keepalive * 1500;

	if (now >= deadline) {
		client_close(c, MQTT_RC_KEEPALIVE_TIMEOUT, "keepalive timeout");
		return;
	}
	loop_timer_set(l, t, deadline);
}

void client_keepalive_arm(struct client *c)
{
	if (c->keepalive)
		loop_timer_set(c->b->loop, &c->timer, c->last_rx + (int64_t)c->keepalive * 1500);
	else
		loop_timer_cancel(c->b->loop, &c->timer);
}

/* Packets a server never receives, or receives only in another state. */
static int client_dispatch(struct client *c, const uint8_t *buf, size_t len,
			   const struct mqtt_frame *f)
{
	struct mqtt_packet pkt;
	uint8_t reason = MQTT_RC_MALFORMED;
	int ret;

	if (c->state == CLIENT_NEW) {
		if (f->type != MQTT_CONNECT) {
			client_log_proto(c, "first packet is type %u, not CONNECT", f->type);
			return -1;
		}
		return broker_handle_connect(c, buf, len);
	}
	if (c->state == CLIENT_AUTH)
		return broker_authflow_packet(c, buf, len);
	if (f->type == MQTT_CONNECT) {
		client_log_proto(c, "second CONNECT");
		client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
		return -1;
	}
	ret = codec_decode(buf, len, c->version, &pkt, &reason);
	/* A well-formed (UN)SUBSCRIBE with a bad filter is answered per filter (0x80 / 0x8F). */
	if (ret < 0 && reason == MQTT_RC_TOPIC_FILTER_INVALID &&
	    (f->type == MQTT_SUBSCRIBE || f->type == MQTT_UNSUBSCRIBE))
		ret = 0;
	if (ret < 0) {
		client_log_proto(c, "malformed packet type %u (reason 0x%02x)", f->type, reason);
		client_close(c, reason, NULL);
		return -1;
	}
	switch (pkt.type) {
	case MQTT_PUBLISH:
		return broker_handle_publish(c, &pkt);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBCOMP:
		return broker_handle_ack(c, &pkt);
	case MQTT_PUBREL:
		return broker_handle_pubrel(c, &pkt);
	case MQTT_SUBSCRIBE:
		return broker_handle_subscribe(c, &pkt);
	case MQTT_UNSUBSCRIBE:
		return broker_handle_unsubscribe(c, &pkt);
	case MQTT_PINGREQ:
		return client_send_simple(c, MQTT_PINGRESP);
	case MQTT_AUTH:
		return broker_handle_auth(c, &pkt);
	case MQTT_DISCONNECT:
		if (c->version == MQTT_V5) {
			if (pkt.disconnect.props.seen & MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY)) {
				/* [MQTT-3.14.2-2]: 0 at CONNECT may not become non-zero */
				if (c->session && !c->session->expiry_interval &&
				    pkt.disconnect.props.session_expiry) {
					client_log_proto(c, "session expiry set at DISCONNECT");
					client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
					return -1;
				}
				if (c->session)
					c->session->expiry_interval =
						pkt.disconnect.props.session_expiry;
			}
			c->got_disconnect = pkt.disconnect.reason != MQTT_RC_DISCONNECT_WITH_WILL;
		} else {
			c->got_disconnect = true;
		}
		log_info_rl("Client %s [%s] disconnected.", client_name(c), c->peer);
		conn_close(c->conn, 0);
		return -1;
	default:
		/* CONNACK, SUBACK, UNSUBACK, PINGRESP (server to client only) */
		client_log_proto(c, "unexpected packet type %u", pkt.type);
		client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
		return -1;
	}
}

static ssize_t client_on_read(struct conn *conn, const uint8_t *buf, size_t len)
{
	struct client *c = conn->owner;
	uint32_t max = c->state == CLIENT_NEW ? PRE_CONNECT_MAX : c->b->max_packet_in;
	size_t off = 0;

	c->last_rx = loop_now(c->b->loop);
	while (off < len) {
		struct mqtt_frame f;
		uint8_t reason = MQTT_RC_MALFORMED;
		int ret;

		/* the first packet must be CONNECT [MQTT-3.1.0-1]: judge it by its first byte,
		 * not after buffering whatever length it claims */
		if (c->state == CLIENT_NEW && (buf[off] >> 4) != MQTT_CONNECT) {
			client_log_proto(c, "first packet is type %u, not CONNECT", buf[off] >> 4);
			client_close(c, 0xFF, NULL);
			return -1;
		}
		ret = codec_frame(buf + off, len - off, max, &f, &reason);
		if (ret == -EAGAIN)
			break;
		if (ret < 0) {
			client_log_proto(c, ret == -EMSGSIZE ? "packet larger than %u bytes"
							     : "bad remaining length (limit %u)",
					 max);
			client_close(c, reason, NULL);
			return -1;
		}
		size_t flen = f.hdr_len + f.rem_len;

		/* MQTT 5 requires the shortest Remaining Length encoding [MQTT-1.5.5-1] */
		if (c->version == MQTT_V5 && f.hdr_len != 1 + codec_varint_size(f.rem_len)) {
			client_log_proto(c, "non-minimal Remaining Length");
			client_close(c, MQTT_RC_MALFORMED, NULL);
			return -1;
		}
		c->b->st.msgs_received++;
		c->b->pause_request = false;
		if (client_dispatch(c, buf + off, flen, &f) < 0 || conn->closed) {
			client_close(c, 0xFF, NULL);
			return -1;
		}
		off += flen;
		if (c->b->pause_request && f.type == MQTT_PUBLISH) {
			/* a subscriber's queue is full: read no more from this publisher */
			c->b->pause_request = false;
			client_pause(c);
			break;
		}
		max = c->b->max_packet_in;
	}
	conn->rx_max = max;
	broker_fp_parsed(c, off);
	return (ssize_t)off;
}

static void client_on_close(struct conn *conn, int err)
{
	struct client *c = conn->owner;
	struct broker *b = c->b;

	loop_timer_cancel(b->loop, &c->timer);
	broker_fp_leave(c);
	if (c->paused)
		client_unpause_unlink(c);
	if (c->state == CLIENT_ACTIVE) {
		if (err && err != -EPIPE)
			log_info_rl("Client %s [%s] closed its connection: %s.", client_name(c),
				    c->peer, strerror(-err));
		else if (err == -EPIPE && !c->got_disconnect)
			log_info_rl("Client %s [%s] closed its connection.", client_name(c),
				    c->peer);
		b->n_clients--;
		broker_session_detach(c);
	}
	c->state = CLIENT_CLOSED;
	c->conn = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		b->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	b->n_conns--;
	loop_defer(b->loop, client_free_deferred, c);
}

static const struct conn_ops client_ops = {
	.on_read = client_on_read,
	.on_close = client_on_close,
	.on_output = broker_fp_on_output,
	.may_write = broker_fp_may_write,
	.on_out_empty = broker_fp_on_out_empty,
};

static void broker_accept(struct listener *ls, int fd, const char *peer, void *ctx)
{
	broker_attach_fd(ctx, fd, peer, listener_data(ls));
}

int broker_attach_fd(struct broker *b, int fd, const char *peer,
		     const struct config_listener *cl)
{
	size_t idx = (size_t)(cl - b->cfg->listeners);
	struct tls_ctx *tls = b->tls && idx < b->cfg->n_listeners ? b->tls[idx] : NULL;
	struct client *c;
	int max = cl->max_connections >= 0 ? cl->max_connections : b->cfg->max_connections;

	if (b->shutting_down || (max >= 0 && b->n_conns >= (uint32_t)max)) {
		log_info_rl("Connection from %s refused: max_connections (%d) reached.", peer,
			    max);
		b->st.conns_refused++;
		close(fd);
		return -ECONNREFUSED;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->b = b;
	c->listener = cl;
	c->auth_idx = (uint16_t)(cl - b->cfg->listeners);
	c->serial = ++b->serial;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->conn = conn_new(b->loop, fd, tls ? &conn_tls : &conn_tcp, &client_ops, c);
	if (!c->conn) {
		close(fd);
		free(c);
		return -ENOMEM;
	}
	outq_set_pool(&c->conn->out, &b->mem->bufs);
	snprintf(c->conn->peer, sizeof(c->conn->peer), "%s", peer);
	c->conn->rx_max = PRE_CONNECT_MAX;
	c->next = b->clients;
	if (b->clients)
		b->clients->prev = c;
	b->clients = c;
	b->n_conns++;
	c->last_rx = loop_now(b->loop);
	loop_timer_init(&c->timer, client_timer, c);
	if (b->cfg->connect_timeout)
		loop_timer_set(b->loop, &c->timer,
			       c->last_rx + (int64_t)b->cfg->connect_timeout * 1000);
	/* The handshake runs in the connection's reads; connect_timeout bounds it too. */
	if (tls && tls_conn_attach(c->conn, tls) < 0) {
		conn_close(c->conn, -ENOMEM); /* client_on_close unlinks and frees c */
		return -ENOMEM;
	}
	return 0;
}

void broker_tls_reload(struct broker *b)
{
	for (size_t i = 0; b->tls && i < b->cfg->n_listeners; i++) {
		const struct config_listener *cl = &b->cfg->listeners[i];
		struct tls_ctx *t;
		char err[512];

		if (!b->tls[i])
			continue;
		t = tls_ctx_new(cl, err, sizeof(err));
		if (!t) {
			log_err("Error: reload: %s; keeping the previous TLS settings.", err);
			continue;
		}
		tls_ctx_unref(b->tls[i]);
		b->tls[i] = t;
		log_notice("Reloaded the TLS certificates of listener %u.", cl->port);
	}
}

static bool member_online(void *subscriber)
{
	return ((struct session *)subscriber)->client != NULL;
}

static void broker_before_wait(struct loop *l, void *ctx)
{
	(void)l;
	(void)ctx;
	conn_flush_all();
}

struct broker *broker_new(struct loop *l, const struct config *cfg, struct msg_pool *mem,
			  char *err, size_t errlen)
{
	struct broker *b = calloc(1, sizeof(*b));
	int e;

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->loop = l;
	b->cfg = cfg;
	b->mem = mem;
	b->start_wall = loop_wall();
	b->max_packet_in = cfg->max_packet_size ? cfg->max_packet_size : MQTT_MAX_REMAINING + 5;
	b->topics = topic_tree_new(member_online);
	if (!b->topics || session_table_init(&b->sessions) < 0) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto err_free;
	}
	_Static_assert((int)CONFIG_SHARE_HASH_TOPIC == (int)TOPIC_SHARE_HASH_TOPIC &&
			       (int)CONFIG_SHARE_STICKY == (int)TOPIC_SHARE_STICKY &&
			       (int)CONFIG_SHARE_RANDOM == (int)TOPIC_SHARE_RANDOM,
		       "config and topic share strategies");
	topic_tree_set_share_strategy(b->topics, (enum topic_share_strategy)cfg->share_strategy);
	if (broker_auth_load(b, err, errlen) < 0) {
		errno = EINVAL;
		goto err_free;
	}
	if (broker_redirect(b, cfg, false) < 0) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto err_free;
	}
	b->ls = calloc(cfg->n_listeners, sizeof(*b->ls));
	b->tls = calloc(cfg->n_listeners, sizeof(*b->tls));
	if ((!b->ls || !b->tls) && cfg->n_listeners) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto err_free;
	}
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct config_listener *cl = &cfg->listeners[i];

		if (cl->certfile && !(b->tls[i] = tls_ctx_new(cl, err, errlen)))
			goto err_free; /* errno EINVAL (a configuration error) or ENOMEM */
		b->ls[i] = listener_new(l, cl->bind_address, cl->port, broker_accept, b, err,
					errlen);
		if (!b->ls[i])
			goto err_free;
		b->n_ls++;
		listener_set_data(b->ls[i], cl);
		log_notice("Opening ipv4/ipv6 listen socket on %s port %u%s.",
			   cl->bind_address ? cl->bind_address : "*", listener_port(b->ls[i]),
			   b->tls[i] ? " (TLS)" : "");
	}
	loop_set_before_wait(l, broker_before_wait, b);
	loop_timer_init(&b->bp_timer, bp_timer_fired, b);
	broker_sys_start(b);
	return b;

err_free:
	e = errno;
	broker_free(b);
	errno = e;
	return NULL;
}

uint16_t broker_listener_port(const struct broker *b, size_t i)
{
	return i < b->n_ls ? listener_port(b->ls[i]) : 0;
}

void broker_shutdown(struct broker *b)
{
	b->shutting_down = true;
	for (size_t i = 0; i < b->n_ls; i++)
		listener_pause(b->ls[i], 1);
	while (b->clients) {
		struct client *c = b->clients;

		/* No wills at shutdown: the server is going away, not the client. */
		c->got_disconnect = true;
		client_close(c, MQTT_RC_SERVER_SHUTTING_DOWN, NULL);
	}
	conn_flush_all();
}

static void session_drop_expiry(void *ctx, struct session *s)
{
	broker_session_expiry_cancel(ctx, s);
}

void broker_free(struct broker *b)
{
	if (!b)
		return;
	loop_timer_cancel(b->loop, &b->sys_timer);
	loop_timer_cancel(b->loop, &b->bp_timer);
	broker_fp_stop(b);
	for (size_t i = 0; i < b->n_ls; i++)
		listener_free(b->ls[i]);
	free(b->ls);
	for (size_t i = 0; b->tls && i < b->cfg->n_listeners; i++)
		tls_ctx_unref(b->tls[i]); /* connections still open hold their own reference */
	free(b->tls);
	broker_auth_free(b);
	if (b->sessions.b) {
		session_foreach(&b->sessions, session_drop_expiry, b);
		/* subscriptions point at sessions: drop the tree first */
		topic_tree_free(b->topics, broker_retained_free);
		b->topics = NULL;
		session_table_fini(&b->sessions);
	}
	if (b->topics)
		topic_tree_free(b->topics, broker_retained_free);
	free(b->m);
	free(b->redirect_ref);
	free(b);
}
