/* SPDX-License-Identifier: MIT */
/*
 * bridge: the link to one upstream broker (state machine, connect, keepalive, backoff and
 * failover) and the inbound side. The outbound queues are in bridge_out.c. See
 * include/bridge.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge_int.h"
#include "codec_client.h"
#include "log.h"
#include "tls_client.h"

#define BRIDGE_RX_MAX	    (16u << 20) /* largest packet accepted from the upstream */
#define SESSION_EXPIRY_KEEP 0xFFFFFFFFu

static const char *const state_names[] = {
    [BRIDGE_STOPPED] = "stopped",     [BRIDGE_IDLE] = "idle",
    [BRIDGE_RESOLVING] = "resolving", [BRIDGE_CONNECTING] = "connecting",
    [BRIDGE_HANDSHAKE] = "handshake", [BRIDGE_UP] = "up",
    [BRIDGE_BACKOFF] = "backoff",
};

const char *bridge_state_name(enum bridge_state s)
{
	return s <= BRIDGE_BACKOFF ? state_names[s] : "?";
}

const char *bridge_name(const struct bridge *b)
{
	return b->cfg->name;
}

static uint64_t rnd(struct bridge *b)
{
	/* xorshift64*: jitter only, not security */
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 2685821657736338717ull;
}

static int64_t ka_ms(const struct bridge *b)
{
	return (int64_t)b->cfg->keepalive * 1000;
}

/* ---- link teardown, backoff ---- */

static void close_attempt(struct bridge *b)
{
	if (b->dns) {
		loop_io_del(b->loop, &b->dio);
		bridge_dns_free(b->dns);
		b->dns = NULL;
	}
	if (b->cfd >= 0) {
		loop_io_del(b->loop, &b->cio);
		close(b->cfd);
		b->cfd = -1;
	}
	if (b->conn) {
		struct conn *c = b->conn;

		b->conn = NULL; /* on_close sees a conn that is no longer ours */
		conn_close(c, 0);
	}
}

/* Mosquitto's "decorrelated jitter": min(cap, random_between(base, previous * 3)). */
static int64_t backoff_delay(struct bridge *b)
{
	uint64_t base = (uint64_t)b->cfg->restart_base * 1000,
		 cap = (uint64_t)b->cfg->restart_cap * 1000;
	uint64_t hi;

	if (!cap)
		return (int64_t)base;
	hi = b->backoff_ms ? b->backoff_ms * 3 : base;
	if (hi < base)
		hi = base;
	b->backoff_ms = base + (hi > base ? rnd(b) % (hi - base + 1) : 0);
	if (b->backoff_ms > cap)
		b->backoff_ms = cap;
	return (int64_t)b->backoff_ms;
}

static void set_link_state(struct bridge *b, enum bridge_state s)
{
	b->state = s;
	b->st.state = s;
}

/*
 * The attempt or the link failed: tear down, say why (a log line when the link was up; at
 * debug level for failed attempts, which repeat), and schedule the next attempt: the next
 * address at once, or after restart_timeout once every address failed in a row.
 */
void bridge_fail(struct bridge *b, const char *fmt, ...)
{
	const struct config_bridge_addr *a = &b->cfg->addrs[b->addr];
	bool was_up = b->state == BRIDGE_UP;
	int64_t delay = 0;
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(b->st.last_error, sizeof(b->st.last_error), "%s:%u: %s", a->host, a->port, why);
	close_attempt(b);
	b->ping_out = false;
	if (was_up) {
		log_notice("Bridge %s: connection to %s:%u lost: %s.", b->cfg->name, a->host,
			   a->port, why);
		if (b->cfg->notifications && b->ops->notify)
			b->ops->notify(b->ctx, b, b->cfg->notification_topic, false);
		b->fails = 0;
	} else if (!b->fails) {
		log_notice("Bridge %s: cannot connect to %s:%u: %s (retrying).", b->cfg->name,
			   a->host, a->port, why);
	} else {
		log_debug("Bridge %s: attempt on %s:%u failed: %s.", b->cfg->name, a->host, a->port,
			  why);
	}
	b->fails++;
	b->addr = (b->addr + 1) % b->cfg->n_addrs;
	if (b->cfg->start_type == CONFIG_BRIDGE_ONCE) {
		loop_timer_cancel(b->loop, &b->timer);
		set_link_state(b, BRIDGE_STOPPED);
		log_notice("Bridge %s: stopped (start_type once).", b->cfg->name);
		return;
	}
	if (b->fails % b->cfg->n_addrs == 0)
		delay = backoff_delay(b);
	set_link_state(b, BRIDGE_BACKOFF);
	loop_timer_set(b->loop, &b->timer, loop_now(b->loop) + delay);
}

/* ---- sending control packets ---- */

static void send_connect(struct bridge *b)
{
	const struct config_bridge *c = b->cfg;
	bool remote_note = c->notifications && !c->notifications_local_only;
	struct codec_client_connect k = {
	    .version = b->version,
	    .try_private = c->try_private,
	    .clean = c->cleansession,
	    .keepalive = c->keepalive,
	    .client_id = c->remote_clientid,
	    .username = c->remote_username,
	    .password = c->remote_password,
	    .will_topic = remote_note ? c->notification_topic : NULL,
	    .will_payload = "0",
	    .will_len = 1,
	    .will_qos = 1,
	    .will_retain = true,
	    .session_expiry = c->cleansession ? 0 : SESSION_EXPIRY_KEEP,
	    .receive_max = 65535,
	    .max_packet_size = BRIDGE_RX_MAX,
	};
	size_t n = codec_client_connect(NULL, 0, &k);
	uint8_t *p = n ? bridge_out_reserve(b, n) : NULL;

	if (!p) {
		bridge_fail(b, "cannot encode CONNECT");
		return;
	}
	codec_client_connect(p, n, &k);
	bridge_out_commit(b, n);
}

static void send_subscribe_entries(struct bridge *b, const struct mqtt_sub_entry *e, uint32_t n)
{
	uint16_t pid = bridge_ctrl_pid(b);
	size_t len = codec_encode_subscribe(NULL, 0, b->version, pid, e, n, NULL, 0);
	uint8_t *p = bridge_out_reserve(b, len);

	if (p) {
		codec_encode_subscribe(p, len, b->version, pid, e, n, NULL, 0);
		bridge_out_commit(b, len);
	}
}

/* SUBSCRIBE the `in` and `both` lines' remote filters, 64 per packet. */
static void send_subscribe(struct bridge *b)
{
	const struct config_bridge *c = b->cfg;
	struct mqtt_sub_entry e[64];
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->n_topics; i++) {
		const struct config_bridge_topic *t = &c->topics[i];

		if (!(t->dir & CONFIG_BRIDGE_IN))
			continue;
		e[n++] = (struct mqtt_sub_entry){
		    .filter = {(const uint8_t *)t->remote_topic, (uint32_t)strlen(t->remote_topic)},
		    .qos = t->qos,
		    /* v5: loop prevention without the v3 bridge bit */
		    .no_local = c->try_private,
		    .retain_as_published = c->try_private,
		};
		if (n == sizeof(e) / sizeof(e[0])) {
			send_subscribe_entries(b, e, n);
			n = 0;
		}
	}
	if (n)
		send_subscribe_entries(b, e, n);
}

static void send_simple(struct bridge *b, uint8_t type)
{
	uint8_t *p = bridge_out_reserve(b, 2);

	if (p) {
		codec_encode_simple(p, 2, type);
		bridge_out_commit(b, 2);
	}
}

static void send_ack(struct bridge *b, uint8_t type, uint16_t pid, uint8_t reason)
{
	size_t n = codec_encode_ack(NULL, 0, b->version, type, pid, reason, NULL, 0);
	uint8_t *p = bridge_out_reserve(b, n);

	if (p) {
		codec_encode_ack(p, n, b->version, type, pid, reason, NULL, 0);
		bridge_out_commit(b, n);
	}
}

static void send_note_up(struct bridge *b)
{
	const char *t = b->cfg->notification_topic;
	uint16_t pid = bridge_ctrl_pid(b);
	size_t n = codec_encode_publish(NULL, 0, b->version, 1, false, true, (const uint8_t *)t,
					(uint16_t)strlen(t), pid, NULL, 0, (const uint8_t *)"1", 1);
	uint8_t *p = bridge_out_reserve(b, n);

	if (p) {
		codec_encode_publish(p, n, b->version, 1, false, true, (const uint8_t *)t,
				     (uint16_t)strlen(t), pid, NULL, 0, (const uint8_t *)"1", 1);
		bridge_out_commit(b, n);
	}
}

/* ---- timers: connect deadline, keepalive, lazy idle ---- */

static void arm_keepalive(struct bridge *b)
{
	int64_t ka = ka_ms(b), when = b->last_rx + ka + ka / 2;
	int64_t ping = b->last_tx + ka;

	if (!b->ping_out && b->last_rx + ka < ping)
		ping = b->last_rx + ka;
	if (!b->ping_out && ping < when)
		when = ping;
	if (b->cfg->start_type == CONFIG_BRIDGE_LAZY) {
		int64_t idle = b->last_busy + (int64_t)b->cfg->idle_timeout * 1000;

		if (idle < when)
			when = idle;
	}
	loop_timer_set(b->loop, &b->timer, when);
}

static void on_timer(struct loop *l, struct loop_timer *t)
{
	struct bridge *b = t->ctx;
	int64_t now = loop_now(l), ka = ka_ms(b);

	switch (b->state) {
	case BRIDGE_BACKOFF:
		bridge_connect_now(b);
		return;
	case BRIDGE_RESOLVING:
	case BRIDGE_CONNECTING:
	case BRIDGE_HANDSHAKE:
		bridge_fail(b, "no %s within %u s",
			    b->state == BRIDGE_HANDSHAKE ? "CONNACK" : "connection",
			    b->cfg->keepalive);
		return;
	case BRIDGE_UP:
		if (now >= b->last_rx + ka + ka / 2) {
			bridge_fail(b, "no packet from the upstream for %lld ms (keepalive %u s)",
				    (long long)(now - b->last_rx), b->cfg->keepalive);
			return;
		}
		if (b->cfg->start_type == CONFIG_BRIDGE_LAZY && !b->q.n && !b->q0_n &&
		    now >= b->last_busy + (int64_t)b->cfg->idle_timeout * 1000) {
			log_notice("Bridge %s: idle for %u s, disconnecting (start_type lazy).",
				   b->cfg->name, b->cfg->idle_timeout);
			send_simple(b, MQTT_DISCONNECT);
			conn_flush(b->conn);
			if (b->cfg->notifications && b->ops->notify)
				b->ops->notify(b->ctx, b, b->cfg->notification_topic, false);
			close_attempt(b);
			set_link_state(b, BRIDGE_IDLE);
			return;
		}
		if (!b->ping_out && (now >= b->last_tx + ka || now >= b->last_rx + ka)) {
			send_simple(b, MQTT_PINGREQ);
			b->ping_out = true;
		}
		arm_keepalive(b);
		return;
	default:
		return;
	}
}

/* ---- inbound ---- */

static void handle_connack(struct bridge *b, const struct mqtt_connack *ca)
{
	const struct config_bridge_addr *a = &b->cfg->addrs[b->addr];

	if (ca->code) {
		bridge_fail(b, "connection refused: %s",
			    codec_client_connack_str(b->version, ca->code));
		return;
	}
	b->window = b->max_inflight && b->max_inflight < BRIDGE_PID_SPAN ? b->max_inflight
									 : BRIDGE_PID_SPAN;
	b->up_max_packet = 0;
	b->up_retain = true;
	if (b->version == MQTT_V5) {
		const struct mqtt_props *p = &ca->props;

		if ((p->seen & MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAX)) && p->receive_max < b->window)
			b->window = p->receive_max;
		if (p->seen & MQTT_PROP_BIT(MQTT_PROP_MAX_PACKET_SIZE))
			b->up_max_packet = p->max_packet_size;
		if (p->seen & MQTT_PROP_BIT(MQTT_PROP_RETAIN_AVAILABLE))
			b->up_retain = p->retain_available;
	}
	set_link_state(b, BRIDGE_UP);
	b->fails = 0;
	b->backoff_ms = 0;
	b->st.connects++;
	if (b->ever_up)
		b->st.reconnects++;
	b->ever_up = true;
	b->st.address = b->addr;
	b->st.last_error[0] = '\0';
	b->last_busy = loop_now(b->loop);
	log_notice("Bridge %s: connected to %s:%u (MQTT %s%s).", b->cfg->name, a->host, a->port,
		   b->version == MQTT_V5 ? "5.0" : "3.1.1",
		   ca->session_present ? ", session present" : "");
	if (b->cfg->notifications && b->ops->notify)
		b->ops->notify(b->ctx, b, b->cfg->notification_topic, true);
	if (b->cfg->notifications && !b->cfg->notifications_local_only)
		send_note_up(b);
	send_subscribe(b);
	memset(b->rx2, 0, sizeof(b->rx2));
	bridge_out_resume(b);
	arm_keepalive(b);
}

static uint64_t token_of(const struct bridge *b, uint16_t pid, uint8_t qos)
{
	return (uint64_t)b->gen << 32 | (uint64_t)qos << 16 | pid;
}

static int handle_publish(struct bridge *b, const struct mqtt_publish *p)
{
	static char local[65536];
	struct bridge_inbound in;
	uint8_t tq;
	int tl, ret;

	if (p->qos == 2 && (b->rx2[p->packet_id / 8] & (1u << (p->packet_id % 8)))) {
		send_ack(b, MQTT_PUBREC, p->packet_id, 0); /* delivered already: PUBREL is due */
		return 0;
	}
	tl = bridge_topic_in(b->cfg, (const char *)p->topic.p, p->topic.len, local, sizeof(local),
			     &tq);
	if (tl < 0) {
		/* an old subscription of a persistent session: not ours any more */
		log_info_rl("Bridge %s: dropped an inbound message on a topic no in line maps.",
			    b->cfg->name);
		if (p->qos)
			send_ack(b, p->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, p->packet_id,
				 b->version == MQTT_V5 ? MQTT_RC_NO_MATCHING_SUBSCRIBERS : 0);
		return 0;
	}
	in = (struct bridge_inbound){
	    .topic = local,
	    .topic_len = (uint16_t)tl,
	    .qos = p->qos,
	    .retain = p->retain,
	    .payload = p->payload.p,
	    .payload_len = p->payload.len,
	    .props = p->props.raw.p,
	    .props_len = b->version == MQTT_V5 ? p->props.raw.len : 0,
	    .token = token_of(b, p->packet_id, p->qos),
	};
	ret = b->ops->deliver(b->ctx, b, &in);
	if (ret >= 0)
		b->st.received++;
	if (ret == BRIDGE_ACK_LATER || !p->qos)
		return 0;
	if (ret < 0 && b->version != MQTT_V5)
		return -EIO; /* v3 has no refusal: the upstream sends it again later */
	bridge_ack(b, in.token, ret < 0 ? MQTT_RC_UNSPECIFIED : 0);
	return 0;
}

void bridge_ack(struct bridge *b, uint64_t token, uint8_t reason)
{
	uint16_t pid = (uint16_t)token;
	uint8_t qos = (uint8_t)(token >> 16);

	if ((uint32_t)(token >> 32) != b->gen || b->state != BRIDGE_UP || !qos)
		return;
	if (reason >= MQTT_RC_UNSPECIFIED && b->version != MQTT_V5) {
		bridge_fail(b, "inbound message refused locally");
		return;
	}
	if (qos == 2 && reason < MQTT_RC_UNSPECIFIED)
		b->rx2[pid / 8] |= (uint8_t)(1u << (pid % 8));
	send_ack(b, qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, pid, reason);
}

static int handle_packet(struct bridge *b, const struct mqtt_packet *pk)
{
	if (b->state == BRIDGE_HANDSHAKE) {
		if (pk->type != MQTT_CONNACK)
			return -EPROTO;
		handle_connack(b, &pk->connack);
		return 0;
	}
	switch (pk->type) {
	case MQTT_PUBLISH:
		return handle_publish(b, &pk->publish);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBCOMP:
		if (bridge_out_ack(b, pk->type, pk->ack.packet_id, pk->ack.reason) == -EBADMSG)
			log_info_rl("Bridge %s: unexpected ack type %u for id %u.", b->cfg->name,
				    pk->type, pk->ack.packet_id);
		return 0;
	case MQTT_PUBREL:
		b->rx2[pk->ack.packet_id / 8] &= (uint8_t) ~(1u << (pk->ack.packet_id % 8));
		send_ack(b, MQTT_PUBCOMP, pk->ack.packet_id, 0);
		return 0;
	case MQTT_SUBACK:
		for (uint32_t i = 0; i < pk->suback.codes.len; i++)
			if (pk->suback.codes.p[i] >= MQTT_RC_UNSPECIFIED)
				log_warn("Bridge %s: the upstream refused an in subscription "
					 "(code 0x%02x).",
					 b->cfg->name, pk->suback.codes.p[i]);
		return 0;
	case MQTT_PINGRESP:
	case MQTT_UNSUBACK:
		return 0;
	case MQTT_DISCONNECT:
		bridge_fail(b, "DISCONNECT from the upstream (reason 0x%02x)",
			    pk->disconnect.reason);
		return -ECONNRESET;
	default:
		return -EPROTO; /* AUTH: no enhanced authentication asked for */
	}
}

static ssize_t on_read(struct conn *c, const uint8_t *buf, size_t len)
{
	struct bridge *b = c->owner;
	size_t off = 0;

	if (!b || b->conn != c)
		return -1;
	while (off < len) {
		struct mqtt_frame f;
		struct mqtt_packet pk;
		uint8_t reason;
		uint32_t gen = b->gen;
		int ret = codec_frame(buf + off, len - off, BRIDGE_RX_MAX, &f, &reason);

		if (ret == -EAGAIN)
			break;
		if (ret == 0)
			ret = codec_client_decode(buf + off, f.hdr_len + f.rem_len, b->version, &pk,
						  &reason);
		if (ret < 0) {
			bridge_fail(b, "malformed packet from the upstream (reason 0x%02x)",
				    reason);
			return -1;
		}
		off += f.hdr_len + f.rem_len;
		b->last_rx = loop_now(b->loop);
		b->ping_out = false;
		ret = handle_packet(b, &pk);
		if (gen != b->gen || !b->conn)
			return -1; /* the handler closed the link */
		if (ret < 0) {
			bridge_fail(b, "protocol error from the upstream (packet type %u)",
				    pk.type);
			return -1;
		}
	}
	if (b->state == BRIDGE_UP)
		arm_keepalive(b);
	return (ssize_t)off;
}

static void on_close(struct conn *c, int err)
{
	struct bridge *b = c->owner;

	if (!b || b->conn != c)
		return;
	b->conn = NULL;
	bridge_fail(b, "%s",
		    err == -EPIPE || !err ? "connection closed by the upstream" : strerror(-err));
}

static const char *conn_peer_of(const struct conn *c)
{
	return ((const struct bridge *)c->owner)->peer;
}

static uint32_t conn_rx_max_of(const struct conn *c)
{
	(void)c;
	return BRIDGE_RX_MAX;
}

static const struct conn_ops bridge_conn_ops = {
    .on_read = on_read,
    .on_close = on_close,
    .peer = conn_peer_of,
    .rx_max = conn_rx_max_of,
};

/* ---- connecting ---- */

static void tcp_ready(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct bridge *b = io->ctx;
	const struct config_bridge_addr *a = &b->cfg->addrs[b->addr];
	int err = 0, fd = b->cfd;
	socklen_t sl = sizeof(err);

	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err) {
		bridge_fail(b, "%s", strerror(err));
		return;
	}
	loop_io_del(l, &b->cio);
	b->cfd = -1;
	b->conn = conn_new(l, fd, b->tls ? &conn_tls : &conn_tcp, &bridge_conn_ops, b);
	if (!b->conn) {
		close(fd);
		bridge_fail(b, "%s", strerror(errno));
		return;
	}
	snprintf(b->peer, sizeof(b->peer), "%s:%u", a->host, a->port);
	b->gen++;
	if (b->tls && tls_client_attach(b->conn, b->tls, a->host, !b->cfg->insecure) < 0) {
		bridge_fail(b, "TLS setup failed");
		return;
	}
	b->last_rx = b->last_tx = loop_now(l);
	set_link_state(b, BRIDGE_HANDSHAKE);
	send_connect(b);
	if (b->tls && b->conn)
		conn_read_idle(b->conn); /* a client speaks first: start the handshake */
}

static void tcp_start(struct bridge *b, const struct sockaddr *sa, socklen_t len)
{
	int one = 1, fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		bridge_fail(b, "socket: %s", strerror(errno));
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		bridge_fail(b, "%s", strerror(e));
		return;
	}
	b->cfd = fd;
	if (loop_io_add(b->loop, &b->cio, fd, EPOLLOUT, tcp_ready, b) < 0) {
		bridge_fail(b, "cannot watch the socket");
		return;
	}
	set_link_state(b, BRIDGE_CONNECTING);
}

static void dns_ready(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct bridge *b = io->ctx;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	const char *why;
	int ret;

	(void)events;
	ret = bridge_dns_result(b->dns, &ss, &len, &why);
	loop_io_del(l, &b->dio);
	bridge_dns_free(b->dns);
	b->dns = NULL;
	if (ret < 0) {
		bridge_fail(b, "cannot resolve: %s", why);
		return;
	}
	tcp_start(b, (struct sockaddr *)&ss, len);
}

void bridge_connect_now(struct bridge *b)
{
	const struct config_bridge_addr *a = &b->cfg->addrs[b->addr];
	struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(a->port)};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(a->port)};

	close_attempt(b);
	loop_timer_set(b->loop, &b->timer, loop_now(b->loop) + ka_ms(b));
	if (inet_pton(AF_INET, a->host, &v4.sin_addr) == 1) {
		tcp_start(b, (struct sockaddr *)&v4, sizeof(v4));
		return;
	}
	if (inet_pton(AF_INET6, a->host, &v6.sin6_addr) == 1) {
		tcp_start(b, (struct sockaddr *)&v6, sizeof(v6));
		return;
	}
	b->dns = bridge_dns_start(a->host, a->port);
	if (!b->dns) {
		bridge_fail(b, "cannot start the name lookup: %s", strerror(errno));
		return;
	}
	if (loop_io_add(b->loop, &b->dio, bridge_dns_fd(b->dns), EPOLLIN, dns_ready, b) < 0) {
		bridge_fail(b, "cannot watch the name lookup");
		return;
	}
	set_link_state(b, BRIDGE_RESOLVING);
}

/* ---- lifecycle ---- */

struct bridge *bridge_new(const struct bridge_opts *o)
{
	struct bridge *b;
	char err[256];

	if (!o->ops || !o->ops->deliver || !o->cfg || !o->cfg->n_addrs) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	b->loop = o->loop;
	b->store = o->store;
	b->cfg = o->cfg;
	b->ops = o->ops;
	b->ctx = o->ctx;
	b->rng = o->seed | 1;
	b->max_inflight = o->max_inflight;
	b->cfd = -1;
	b->name_len = (uint16_t)strlen(o->cfg->name);
	b->version = o->cfg->protocol == 5 ? MQTT_V5 : MQTT_V311;
	loop_timer_init(&b->timer, on_timer, b);
	if (bridge_out_init(b) < 0) {
		bridge_out_fini(b);
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	if (o->cfg->tls) {
		struct tls_client_opts t = {
		    .cafile = o->cfg->cafile,
		    .capath = o->cfg->capath,
		    .certfile = o->cfg->certfile,
		    .keyfile = o->cfg->keyfile,
		    .tls_version = o->cfg->tls_version,
		    .alpn = o->cfg->alpn,
		};

		b->tls = tls_client_ctx_new(&t, err, sizeof(err));
		if (!b->tls) {
			int e = errno;

			log_err("Bridge %s: %s.", o->cfg->name, err);
			bridge_out_fini(b);
			free(b);
			errno = e;
			return NULL;
		}
	}
	return b;
}

int bridge_start(struct bridge *b)
{
	if (b->cfg->start_type == CONFIG_BRIDGE_LAZY) {
		set_link_state(b, BRIDGE_IDLE);
		if (b->q.queued + b->spill_n + b->q0_n >= b->cfg->threshold)
			bridge_connect_now(b);
		return 0;
	}
	bridge_connect_now(b);
	return 0;
}

void bridge_free(struct bridge *b)
{
	if (!b)
		return;
	if (b->conn && b->state == BRIDGE_UP) {
		send_simple(b, MQTT_DISCONNECT);
		conn_flush(b->conn);
	}
	close_attempt(b);
	loop_timer_cancel(b->loop, &b->timer);
	bridge_out_fini(b);
	tls_ctx_unref(b->tls);
	free(b);
}

void bridge_stats(const struct bridge *b, struct bridge_stats *s)
{
	*s = b->st;
	s->state = b->state;
	s->queued = b->q.queued + b->spill_n + b->q0_n;
	s->in_memory = b->q.n;
	s->inflight = b->q.inflight;
}
