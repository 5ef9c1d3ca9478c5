/* SPDX-License-Identifier: MIT */
/* broker_client: client I/O and lifecycle, the floor of L2 (see broker_client.h). */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_client.h"
#include "guard.h"
#include "log.h"
#include "vec.h"

/* Largest packet client_send_raw puts in a buffer of its own on an idle queue. */
#define CLIENT_LONE_MAX 256u
/* Freed clients (with their conn and session about 0.5 KiB each) that trim the heap at once, and
 * how long fewer wait for it. */
#define CLIENT_TRIM_AFTER    512u
#define CLIENT_TRIM_DELAY_MS 2000

/*
 * glibc's free() gives memory back only from the top of the heap, and a chunk still in use
 * there (a table that grew last) holds everything below it: after 10,000 clients came and went
 * an idle daemon kept 6.2 MiB of anonymous memory instead of 1.1 MiB. malloc_trim() hands the
 * free pages inside the heap back too: at every 512th client freed (a wave of 10,000 walks the
 * heap 20 times, 40-120 us each), and 2 s after the first of fewer, so that what a wave leaves
 * behind is bounded and does not depend on when it is looked at.
 */
static void client_trim(struct broker *b)
{
	b->freed_since_trim = 0;
	loop_timer_cancel(b->loop, &b->trim_timer);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void client_trim_fired(struct loop *l, struct loop_timer *t)
{
	(void)l;
	client_trim(t->ctx);
}

static void client_trim_count(struct broker *b)
{
	if (++b->freed_since_trim >= CLIENT_TRIM_AFTER) {
		client_trim(b);
	} else if (!loop_timer_armed(&b->trim_timer)) {
		loop_timer_init(&b->trim_timer, client_trim_fired, b);
		loop_timer_set(b->loop, &b->trim_timer, loop_now(b->loop) + CLIENT_TRIM_DELAY_MS);
	}
}

static void client_free_deferred(struct loop *l, void *ctx)
{
	struct client *c = ctx;
	struct broker *b = c->b;
	const struct client_hooks *h = b->hooks;

	(void)l;
	if (h && h->on_free)
		h->on_free(c);
	msg_unref(c->will);
	if (c->alias) {
		for (uint32_t i = 0; i <= c->alias->in_max; i++)
			free(c->alias->in[i]);
		for (uint32_t i = 0; i < c->alias->out_n; i++)
			free(c->alias->out[i].topic);
		free(c->alias->out);
		free(c->alias);
	}
	if (!c->session || c->client_id != c->session->client_id) /* else the session's */
		free(c->client_id);
	free(c->username);
	free(c);
	client_trim_count(b);
}

struct client_alias *client_alias(struct client *c)
{
	uint16_t max = client_alias_max(c);

	if (!c->alias) {
		c->alias = calloc(1, sizeof(*c->alias) + ((size_t)max + 1) * sizeof(char *));
		if (c->alias)
			c->alias->in_max = max;
	}
	return c->alias;
}

const char *client_name(const struct client *c)
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
	if (c->conn)
		guard_offence_fd(c->conn->fd, GUARD_PROTOCOL);
}

size_t client_peer_addr_len(const struct client *c)
{
	const char *colon = strrchr(c->peer, ':');

	return colon ? (size_t)(colon - c->peer) : strlen(c->peer);
}

/*
 * c's address was just banned: its other connections whose CONNECT waits for a password
 * check are closed now, without the check (broker_auth_client_free() skips a hash not yet
 * started). Their answer would be a refusal anyway and the guard drops their packets.
 */
static void client_drop_banned(struct client *c)
{
	size_t alen = client_peer_addr_len(c), n = 0, cap = 0;
	struct client **v = NULL, *o;

	for (o = c->b->clients; o; o = o->next) {
		if (o == c || !o->pwjob || !o->conn || client_peer_addr_len(o) != alen ||
		    memcmp(o->peer, c->peer, alen))
			continue;
		if (n == cap) {
			struct client **w = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

			if (!w)
				break;
			v = w;
		}
		v[n++] = o;
	}
	for (size_t i = 0; i < n; i++)
		client_close(v[i], 0xFF, "address banned");
	free(v);
}

void client_auth_failed(struct client *c)
{
	c->b->st.auth_failed++;
	if (c->conn && guard_offence_fd(c->conn->fd, GUARD_AUTH_FAILED))
		client_drop_banned(c);
}

/* Size of a packet whose body (after the fixed header) is `body` bytes plus a property block
 * of plen bytes with its length. */
static uint64_t packet_size(uint32_t body, uint32_t plen)
{
	/* the callers' bodies and property buffers are far below the 4-byte varint limit */
	uint64_t rem = (uint64_t)body + codec_varint_size(plen) + plen;

	return 1 + codec_varint_size((uint32_t)rem) + rem;
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
	if (outq_empty(&c->conn->out) && n <= CLIENT_LONE_MAX) {
		/* A lone packet on an idle queue (a CONNACK, PINGRESP or ack) gets a buffer of
		 * its own size instead of a 16 KiB pool block: a connect burst queues a CONNACK
		 * per client per loop iteration, and each block held two touched pages until the
		 * flush (measured: 62 blocks live for 1,000 connects at 2,000/s). */
		struct rbuf *rb = rbuf_new(c->conn->out.pool, (uint32_t)n);
		int r;

		if (!rb)
			return;
		memcpy(rb->data, p, n);
		rb->len = (uint32_t)n;
		r = outq_append_ref(&c->conn->out, rb, 0, (uint32_t)n);
		rbuf_unref(rb);
		if (r < 0)
			return;
	} else if (outq_append(&c->conn->out, p, (uint32_t)n) < 0) {
		return;
	}
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

void client_want_flush(struct client *c)
{
	if (c->conn)
		conn_want_flush(c->conn);
}

void client_send_connack(struct client *c, uint8_t version, bool present, uint8_t code,
			 const uint8_t *props, uint32_t props_len)
{
	uint8_t buf[512];
	size_t n = codec_encode_connack(buf, sizeof(buf), version, present, code, props, props_len);

	if (n <= sizeof(buf))
		client_send_raw(c, buf, n);
}

int client_refuse(struct client *c, uint8_t version, uint8_t v3code, uint8_t v5code,
		  const char *why)
{
	log_info_rl("Client %s [%s] refused: %s.", client_name(c), c->peer, why);
	client_send_connack(c, version == MQTT_V5 ? MQTT_V5 : MQTT_V311, false,
			    version == MQTT_V5 ? v5code : v3code, NULL, 0);
	if (c->conn)
		conn_flush(c->conn);
	if (c->conn)
		conn_close(c->conn, 0);
	return -1;
}

/* A server-initiated close reads and discards for at most this long, or this much. */
#define CLIENT_LINGER_MS 2000
#define CLIENT_LINGER_BYTES (64 * 1024)

void client_close(struct client *c, uint8_t reason, const char *why)
{
	const struct client_hooks *h = c->b->hooks;
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
	if (h && h->on_closing)
		h->on_closing(c);
	conn_flush(conn);
	/* Lingering: a peer that is still sending would otherwise get an RST that can destroy
	 * the DISCONNECT before it reads it (issue #12). */
	/* A lingering close writes the queue without the gate: held output (a QoS 2 PUBLISH or
	 * PUBREL whose store state is not durable yet) must not go out, so it is dropped; the
	 * session resends what is durable when the client comes back. */
	if (c->conn && c->store_hold)
		conn_close(conn, 0);
	else if (c->conn)
		conn_close_linger(conn, 0, CLIENT_LINGER_MS, CLIENT_LINGER_BYTES);
}

int client_close_each(struct broker *b, bool (*fn)(struct client *c, void *ctx), void *ctx)
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

void client_resume_all(struct broker *b)
{
	while (b->n_paused) {
		struct client *c = b->paused[--b->n_paused];

		c->paused = false;
		c->last_rx = (uint32_t)loop_now(b->loop);
		if (c->conn)
			conn_pause_read(c->conn, false);
	}
	free(b->paused);
	b->paused = NULL;
	b->paused_cap = 0;
	loop_timer_cancel(b->loop, &b->bp_timer);
}

static void bp_timer_fired(struct loop *l, struct loop_timer *t)
{
	(void)l;
	client_resume_all(t->ctx);
}

/* Stop reading c until client_resume_all(); the backpressure timer resumes everyone after
 * BROKER_BP_MAX_MS: a subscriber that took nothing for that long holds nobody back any more,
 * and one that is still taking messages pauses them again at their next message to it. */
static void client_pause(struct client *c)
{
	struct broker *b = c->b;

	/* without room to remember it, it is not paused: it is read on (no backpressure) */
	if (c->paused || !c->conn || VEC_GROW(b->paused, b->n_paused, b->paused_cap, 16))
		return;
	c->paused = true;
	b->paused[b->n_paused++] = c;
	conn_pause_read(c->conn, true);
	if (!loop_timer_armed(&b->bp_timer)) {
		loop_timer_init(&b->bp_timer, bp_timer_fired, b);
		loop_timer_set(b->loop, &b->bp_timer, loop_now(b->loop) + BROKER_BP_MAX_MS);
	}
}

static void client_unpause_unlink(struct client *c)
{
	struct broker *b = c->b;

	for (uint32_t i = 0; i < b->n_paused; i++) {
		if (b->paused[i] == c) {
			b->paused[i] = b->paused[--b->n_paused];
			break;
		}
	}
	c->paused = false;
}

/* The loop time of c's last packet from its low 32 bits (c->last_rx): it is read only to place
 * the keepalive deadline, at most 1.5 x 65,535 s after it was written, far inside the 49 days
 * the 32 bits take to wrap. */
static int64_t client_last_rx(const struct client *c, int64_t now)
{
	return now - (int64_t)(uint32_t)((uint32_t)now - c->last_rx);
}

static void client_timer(struct loop *l, struct loop_timer *t)
{
	struct client *c = t->ctx;
	const struct client_hooks *h = c->b->hooks;
	int64_t now = loop_now(l);

	/* a publisher we stopped reading is not silent: its packets wait in its socket; one
	 * whose PUBLISHes the kernel relays is not either */
	if (c->paused || (h && h->rx_activity && h->rx_activity(c)))
		c->last_rx = (uint32_t)now;

	if (c->state == CLIENT_NEW || c->state == CLIENT_AUTH) {
		client_close(c, 0xFF,
			     c->pwjob ? "password check not finished within connect_timeout"
			     : c->state == CLIENT_NEW
				 ? "no CONNECT within connect_timeout"
				 : "authentication not finished within connect_timeout");
		return;
	}
	/* Packets only update last_rx; the timer re-arms itself lazily, so the hot path never
	 * touches the timer heap. [MQTT-3.1.2-24]: 1.5 x keepalive. */
	int64_t deadline = client_last_rx(c, now) + (int64_t)c->keepalive * 1500;

	if (now >= deadline) {
		client_close(c, MQTT_RC_KEEPALIVE_TIMEOUT, "keepalive timeout");
		return;
	}
	loop_timer_set(l, t, deadline);
}

void client_keepalive_arm(struct client *c)
{
	if (c->keepalive)
		loop_timer_set(c->b->loop, &c->timer,
			       client_last_rx(c, loop_now(c->b->loop)) +
				   (int64_t)c->keepalive * 1500);
	else
		loop_timer_cancel(c->b->loop, &c->timer);
}

/* Frame what arrived and hand each whole packet up; pause after a packet that asks for it. */
static ssize_t client_on_read(struct conn *conn, const uint8_t *buf, size_t len)
{
	struct client *c = conn->owner;
	const struct client_hooks *h = c->b->hooks;
	uint32_t max = c->state == CLIENT_NEW ? CLIENT_PRE_CONNECT_MAX : c->b->max_packet_in;
	size_t off = 0;

	c->last_rx = (uint32_t)loop_now(c->b->loop);
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
			client_log_proto(c,
					 ret == -EMSGSIZE ? "packet larger than %u bytes"
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
		ret = h && h->on_packet ? h->on_packet(c, buf + off, flen, &f) : 0;
		if (ret < 0 || conn->closed) {
			client_close(c, 0xFF, NULL);
			return -1;
		}
		off += flen;
		if (ret == CLIENT_HOLD) {
			conn_pause_read(conn, true);
			break;
		}
		if (ret > 0) {
			/* a subscriber's queue is full: read no more from this publisher */
			client_pause(c);
			break;
		}
		max = c->b->max_packet_in;
	}
	if (h && h->on_parsed)
		h->on_parsed(c, off);
	return (ssize_t)off;
}

void client_hold_release(struct client *c)
{
	if (c->conn && !c->paused)
		conn_pause_read(c->conn, false);
}

static void client_on_close(struct conn *conn, int err)
{
	struct client *c = conn->owner;
	struct broker *b = c->b;

	loop_timer_cancel(b->loop, &c->timer);
	if (c->paused)
		client_unpause_unlink(c);
	if (c->state == CLIENT_ACTIVE && b->cfg->connection_messages) {
		if (err && err != -EPIPE)
			log_info_rl("Client %s [%s] closed its connection: %s.", client_name(c),
				    c->peer, strerror(-err));
		else if (err == -EPIPE && !c->got_disconnect)
			log_info_rl("Client %s [%s] closed its connection.", client_name(c),
				    c->peer);
	}
	if (b->hooks && b->hooks->on_close)
		b->hooks->on_close(c, err);
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

/* The write gate: the store's hold (client_may_write) and whoever else gates the conn (the fast
 * path), whose hooks are passed through. */
static void client_on_output(struct conn *conn)
{
	const struct client_hooks *h = ((struct client *)conn->owner)->b->hooks;

	if (h && h->on_output)
		h->on_output(conn);
}

/* Both gates must allow the write: the store's hold first (it costs nothing to ask), then the
 * owner's (the fast path's one-writer rule, which may poll the kernel). */
static bool client_may_write(struct conn *conn)
{
	const struct client *c = conn->owner;
	const struct client_hooks *h = c->b->hooks;

	if (c->store_hold)
		return false;
	return !h || !h->may_write || h->may_write(conn);
}

static void client_on_out_empty(struct conn *conn)
{
	const struct client_hooks *h = ((struct client *)conn->owner)->b->hooks;

	if (h && h->on_out_empty)
		h->on_out_empty(conn);
}

static const char *client_conn_peer(const struct conn *conn)
{
	return ((const struct client *)conn->owner)->peer;
}

/* What client_on_read frames with: a CONNECT's bound until the CONNECT was read (a client
 * that sent it is past CLIENT_NEW, or held while its password is checked), then ours. */
static uint32_t client_conn_rx_max(const struct conn *conn)
{
	const struct client *c = conn->owner;

	return c->state == CLIENT_NEW && !c->pwjob ? CLIENT_PRE_CONNECT_MAX : c->b->max_packet_in;
}

static const struct conn_ops client_ops = {
    .on_read = client_on_read,
    .on_close = client_on_close,
    .on_output = client_on_output,
    .may_write = client_may_write,
    .on_out_empty = client_on_out_empty,
    .peer = client_conn_peer,
    .rx_max = client_conn_rx_max,
};

struct client *client_new(struct broker *b, int fd, const char *peer,
			  const struct config_listener *cl, const struct conn_transport *tp)
{
	struct client *c;
	size_t peer_len = strlen(peer);
	int max = cl->max_connections >= 0 ? cl->max_connections : b->cfg->max_connections;

	if (b->shutting_down || (max >= 0 && b->n_conns >= (uint32_t)max)) {
		log_info_rl("Connection from %s refused: max_connections (%d) reached.", peer, max);
		b->st.conns_refused++;
		close(fd);
		errno = ECONNREFUSED;
		return NULL;
	}
	c = calloc(1, offsetof(struct client, peer) + peer_len + 1);
	if (!c) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	c->b = b;
	c->auth_idx = (uint16_t)(cl - b->cfg->listeners);
	c->serial = ++b->serial;
	memcpy(c->peer, peer, peer_len + 1);
	c->conn = conn_new(b->loop, fd, tp, &client_ops, c);
	if (!c->conn) {
		close(fd);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	outq_set_pool(&c->conn->out, &b->mem->bufs);
	c->next = b->clients;
	if (b->clients)
		b->clients->prev = c;
	b->clients = c;
	b->n_conns++;
	c->last_rx = (uint32_t)loop_now(b->loop);
	loop_timer_init(&c->timer, client_timer, c);
	if (b->cfg->connect_timeout)
		loop_timer_set(b->loop, &c->timer,
			       loop_now(b->loop) + (int64_t)b->cfg->connect_timeout * 1000);
	return c;
}
