/* SPDX-License-Identifier: MIT */
/*
 * broker: the top of L2. The broker's lifecycle (broker.h): listeners, TLS contexts, the topic
 * tree and sessions, shutdown. And the dispatcher: the floor (broker_client.c) hands up each
 * whole frame of a client, which goes to the handler of its packet type; the handlers never
 * call each other. The CONNECT's steps run here in order, so connect, redirection and
 * enhanced authentication stay separate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_auth.h"
#include "broker_authflow.h"
#include "broker_bridge.h"
#include "broker_client.h"
#include "broker_connect.h"
#include "broker_ctl.h"
#include "broker_deliver.h"
#include "broker_diag.h"
#include "broker_fastpath.h"
#include "broker_log.h"
#include "broker_publish.h"
#include "broker_redirect.h"
#include "broker_retained.h"
#include "broker_session.h"
#include "broker_store.h"
#include "broker_subscribe.h"
#include "broker_sys.h"
#include "broker_metrics.h"
#include "broker_mount.h"
#include "log.h"
#include "ws.h"

/* CONNECT: decode, redirection, user name, then enhanced authentication or accept. */
static int dispatch_connect(struct client *c, const uint8_t *buf, size_t len)
{
	struct mqtt_packet pkt;
	bool assigned;
	int preauth;

	if (broker_connect_decode(c, buf, len, &pkt, &assigned) < 0)
		return -1;
	/* server redirection (4.11): before authentication, this server is not serving */
	if (broker_redirect_connect(c, c->version, pkt.connect.props.max_packet_size) < 0)
		return -1;
	preauth = broker_connect_username(c, &pkt.connect);
	if (preauth < 0)
		return -1;
	if (c->version == MQTT_V5 &&
	    (pkt.connect.props.seen & MQTT_PROP_BIT(MQTT_PROP_AUTH_METHOD)))
		return broker_authflow_connect(c, &pkt.connect, buf, len, assigned);
	return broker_connect_check(c, &pkt.connect, buf, len, assigned, preauth);
}

/* While CLIENT_AUTH: the exchange goes on, or the CONNECT it held back goes on. */
static int dispatch_auth(struct client *c, const uint8_t *buf, size_t len)
{
	struct authflow_done d;
	int ret = broker_authflow_packet(c, buf, len, &d);

	if (ret <= 0)
		return ret;
	ret = broker_connect_resume(c, d.connect, d.connect_len, d.assigned, d.data, d.data_len);
	free(d.connect);
	return ret;
}

static int dispatch_disconnect(struct client *c, const struct mqtt_packet *pkt)
{
	if (c->version == MQTT_V5) {
		if (pkt->disconnect.props.seen & MQTT_PROP_BIT(MQTT_PROP_SESSION_EXPIRY)) {
			/* [MQTT-3.14.2-2]: 0 at CONNECT may not become non-zero */
			if (c->session && !c->session->expiry_interval &&
			    pkt->disconnect.props.session_expiry) {
				client_log_proto(c, "session expiry set at DISCONNECT");
				client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
				return -1;
			}
			if (c->session)
				c->session->expiry_interval = pkt->disconnect.props.session_expiry;
		}
		c->got_disconnect = pkt->disconnect.reason != MQTT_RC_DISCONNECT_WITH_WILL;
	} else {
		c->got_disconnect = true;
	}
	if (c->b->cfg->connection_messages)
		log_info_rl("Client %s [%s] disconnected.", client_name(c), c->peer);
	conn_close(c->conn, 0);
	return -1;
}

/* client_hooks.on_packet: one whole frame. Packets a server never receives, or receives only
 * in another state, close the client. */
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
		return dispatch_connect(c, buf, len);
	}
	if (c->state == CLIENT_AUTH)
		return dispatch_auth(c, buf, len);
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
		return dispatch_disconnect(c, &pkt);
	default:
		/* CONNACK, SUBACK, UNSUBACK, PINGRESP (server to client only) */
		client_log_proto(c, "unexpected packet type %u", pkt.type);
		client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
		return -1;
	}
}

/* client_hooks.on_close: the connection is gone; its session lives on without it. */
static void client_gone(struct client *c, int err)
{
	(void)err;
	broker_auth_client_free(c); /* a password check not started yet is skipped */
	broker_fp_leave(c);
	broker_retained_client_gone(c);
	broker_store_client_gone(c);
	if (c->state == CLIENT_ACTIVE) {
		c->b->n_clients--;
		broker_session_detach(c);
	}
}

/* client_hooks.on_free: what the CONNECT's authentication still holds. */
static void client_auth_gone(struct client *c)
{
	broker_authflow_free(c);
	broker_auth_client_free(c);
}

static const struct client_hooks client_hooks = {
    .on_packet = client_dispatch,
    .on_parsed = broker_fp_parsed,
    .on_closing = broker_fp_closing,
    .on_close = client_gone,
    .on_free = client_auth_gone,
    .rx_activity = broker_fp_rx_activity,
    .on_output = broker_fp_on_output,
    .may_write = broker_fp_may_write,
    .on_out_empty = broker_fp_on_out_empty,
};

static void broker_accept(struct listener *ls, int fd, const char *peer, void *ctx)
{
	broker_attach_fd(ctx, fd, peer, listener_data(ls));
}

int broker_attach_fd(struct broker *b, int fd, const char *peer, const struct config_listener *cl)
{
	size_t idx = (size_t)(cl - b->cfg->listeners);
	struct tls_ctx *tls = b->tls && idx < b->cfg->n_listeners ? b->tls[idx] : NULL;
	struct ws_ctx *ws = b->ws && idx < b->cfg->n_listeners ? b->ws[idx] : NULL;
	struct client *c = client_new(b, fd, peer, cl, tls ? &conn_tls : &conn_tcp);

	if (!c)
		return -errno;
	/* The handshake runs in the connection's reads; connect_timeout bounds it too. */
	if ((tls && tls_conn_attach(c->conn, tls) < 0) || (ws && ws_conn_attach(c->conn, ws) < 0)) {
		conn_close(c->conn, -ENOMEM); /* the floor unlinks and frees c */
		return -ENOMEM;
	}
	return 0;
}

static bool member_online(void *subscriber)
{
	return ((struct session *)subscriber)->client != NULL;
}

static void broker_before_wait(struct loop *l, void *ctx)
{
	struct broker *b = ctx;

	(void)l;
	/* each hook behind the flag that says it has work: once per loop turn, which at low load
	 * is once per message, calls that return at once cost instructions */
	if (b->store) {
		broker_store_commit(b);	   /* group commit: one batch per iteration */
		broker_bridges_durable(b); /* send and ack what the store made durable */
	}
	conn_flush_all();
	if (b->metrics)
		broker_metrics_flushed(b);
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
	b->hooks = &client_hooks;
	b->start_wall = loop_wall();
	b->max_packet_in = cfg->max_packet_size ? cfg->max_packet_size : MQTT_MAX_REMAINING + 5;
	b->max_inflight_bytes = cfg->max_inflight_bytes;
	b->mounted = broker_mount_any(cfg);
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
	b->ws = calloc(cfg->n_listeners, sizeof(*b->ws));
	if ((!b->ls || !b->tls || !b->ws) && cfg->n_listeners) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto err_free;
	}
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct config_listener *cl = &cfg->listeners[i];

		if ((cl->certfile || cl->psk_hint) &&
		    !(b->tls[i] = tls_ctx_listener(cfg, cl, NULL, err, errlen)))
			goto err_free; /* errno EINVAL (a configuration error) or ENOMEM */
		if (cl->protocol == CONFIG_PROTO_WEBSOCKETS &&
		    !(b->ws[i] =
			  ws_ctx_new((const char *const *)cl->ws_origins, cl->n_ws_origins))) {
			snprintf(err, errlen, "out of memory");
			goto err_free;
		}
		if (b->ws[i] && cl->http_dir &&
		    (e = ws_ctx_set_http_dir(b->ws[i], cl->http_dir)) < 0) {
			snprintf(err, errlen, "http_dir %s: %s", cl->http_dir, strerror(-e));
			errno = EINVAL;
			goto err_free;
		}
		b->ls[i] = listener_new(l, cl->socket_domain, cl->bind_address, cl->port,
					broker_accept, b, err, errlen);
		if (!b->ls[i])
			goto err_free;
		b->n_ls++;
		listener_set_data(b->ls[i], cl);
		log_notice("Opening %s listen socket on %s port %u%s.",
			   b->ws[i]			   ? "websockets"
			   : cl->socket_domain == AF_INET  ? "ipv4"
			   : cl->socket_domain == AF_INET6 ? "ipv6"
							   : "ipv4/ipv6",
			   cl->bind_address ? cl->bind_address : "*", listener_port(b->ls[i]),
			   b->tls[i] ? " (TLS)" : "");
	}
	loop_set_before_wait(l, broker_before_wait, b);
	if (broker_log_start(b) < 0) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto err_free;
	}
	if (broker_metrics_start(b, err, errlen) < 0) {
		errno = EINVAL;
		goto err_free;
	}
	broker_sys_start(b);
	if (broker_diag_start(b) < 0) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto err_free;
	}
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
	broker_ctl_close(b);
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
	broker_ctl_close(b);
	broker_diag_stop(b);
	loop_timer_cancel(b->loop, &b->sys_timer);
	loop_timer_cancel(b->loop, &b->bp_timer);
	loop_timer_cancel(b->loop, &b->trim_timer);
	free(b->paused);
	broker_acl_walk_stop(b);
	broker_retained_stop(b);
	broker_bridges_free(b);
	broker_log_stop(b);
	broker_metrics_stop(b);
	broker_fp_stop(b);
	broker_store_fini(b);
	for (size_t i = 0; i < b->n_ls; i++)
		listener_free(b->ls[i]);
	free(b->ls);
	for (size_t i = 0; b->tls && i < b->cfg->n_listeners; i++)
		tls_ctx_unref(b->tls[i]); /* connections still open hold their own reference */
	free(b->tls);
	for (size_t i = 0; b->ws && i < b->cfg->n_listeners; i++)
		ws_ctx_unref(b->ws[i]);
	free(b->ws);
	broker_auth_pool_free(b);
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
