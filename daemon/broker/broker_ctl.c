/* SPDX-License-Identifier: MIT */
/*
 * broker_ctl: mqttgwctl's commands answered from the broker's state (broker_ctl.h). Every answer
 * is built in one bounded buffer (CTL_MAX_OUT) within the loop iteration that got the request:
 * the lists are walks of what the broker already holds, no I/O but one sock_diag exchange per
 * 64 clients for `clients` (about 1.7 us of CPU per client, include/netlink.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"
#include "broker_client.h"
#include "broker_ctl.h"
#include "broker_diag.h"
#include "broker_store.h"
#include "conn.h"
#include "log.h"
#include "netlink.h"
#include "vec.h"
#include "version.h"

static const char *proto_name(uint8_t v)
{
	return v == MQTT_V5 ? "5.0" : v == MQTT_V311 ? "3.1.1" : v == MQTT_V31 ? "3.1" : "-";
}

/* ---- clients: their TCP state from sock_diag ---- */

struct diag_batch {
	struct nl_diag_key keys[NL_DIAG_MAX_BATCH];
	struct nl_tcp_info info[NL_DIAG_MAX_BATCH];
	bool found[NL_DIAG_MAX_BATCH];
	int n;
};

static void diag_found(void *ctx, const struct nl_diag_sock *s)
{
	struct diag_batch *db = ctx;

	for (int i = 0; i < db->n; i++) {
		if (db->keys[i].cookie == s->cookie && s->has_info) {
			db->info[i] = s->info;
			db->found[i] = true;
		}
	}
}

static void put_tcp(struct ctlp_buf *o, const struct nl_tcp_info *ti)
{
	ctlp_json_key(o, "tcp");
	ctlp_puts(o, "{");
	ctlp_json_ku64(o, "rtt_us", ti->rtt_us);
	ctlp_json_ku64(o, "rttvar_us", ti->rttvar_us);
	ctlp_json_ku64(o, "retransmits", ti->retransmits);
	ctlp_json_ku64(o, "total_retrans", ti->total_retrans);
	ctlp_json_ku64(o, "unacked", ti->unacked);
	ctlp_json_ku64(o, "notsent_bytes", ti->notsent_bytes);
	ctlp_json_ku64(o, "cwnd", ti->snd_cwnd);
	ctlp_puts(o, "}");
}

static void put_client(struct ctlp_buf *o, const struct client *c, const struct nl_tcp_info *ti)
{
	const struct session *s = c->session;

	ctlp_puts(o, "{");
	ctlp_json_kstr(o, "id", c->client_id, c->client_id ? strlen(c->client_id) : 0);
	ctlp_json_key(o, "user");
	if (c->username)
		ctlp_json_str(o, c->username, strlen(c->username));
	else
		ctlp_puts(o, "null");
	ctlp_json_kstr(o, "address", c->peer, strlen(c->peer));
	ctlp_json_ku64(o, "listener", c->auth_idx);
	ctlp_json_kstr(o, "protocol", proto_name(c->version), strlen(proto_name(c->version)));
	ctlp_json_ku64(o, "keepalive", c->keepalive);
	ctlp_json_kbool(o, "clean", s && s->clean);
	ctlp_json_ku64(o, "subscriptions", s ? s->n_subs : 0);
	ctlp_json_ku64(o, "inflight", s ? qos_out_active(&s->qos) : 0);
	ctlp_json_ku64(o, "queued", s ? broker_session_queued(s) : 0);
	ctlp_json_ku64(o, "queued_bytes", s ? session_queue_bytes(s) : 0);
	ctlp_json_ku64(o, "dropped", s ? s->dropped : 0);
	ctlp_json_ku64(o, "bytes_in", c->conn ? c->conn->rx_bytes : 0);
	ctlp_json_ku64(o, "bytes_out", c->conn ? c->conn->tx_bytes : 0);
	ctlp_json_kbool(o, "fastpath", c->fp != NULL);
	if (ti)
		put_tcp(o, ti);
	ctlp_puts(o, "}");
}

static bool client_listed(const struct client *c)
{
	return c->state == CLIENT_ACTIVE && c->conn && c->session;
}

/* Emit the clients of list (n of them, all client_listed) with their TCP state. */
static void put_clients(struct broker *b, struct ctlp_buf *o, struct client **list, size_t n)
{
	struct broker_ctl *bc = b->ctl;
	struct diag_batch *db = calloc(1, sizeof(*db));

	if (db && !bc->diag)
		bc->diag = nl_diag_open(); /* NULL (no sock_diag here): clients without "tcp" */
	for (size_t i = 0; i < n;) {
		size_t j = i, k;

		if (db) {
			db->n = 0;
			for (; j < n && db->n < NL_DIAG_MAX_BATCH; j++) {
				db->found[db->n] = false;
				if (!broker_diag_key(list[j]->conn->fd, &db->keys[db->n]))
					db->keys[db->n].cookie = 0;
				db->n++;
			}
			if (bc->diag)
				nl_diag_lookup(bc->diag, db->keys, db->n, diag_found, db);
		} else {
			j = n;
		}
		for (k = i; k < j; k++) {
			if (k)
				ctlp_puts(o, ",");
			put_client(o, list[k],
				   db && db->found[k - i] && db->keys[k - i].cookie
				       ? &db->info[k - i]
				       : NULL);
		}
		i = j;
	}
	free(db);
}

static void cmd_clients(struct broker *b, struct ctlp_buf *o)
{
	struct client **list = calloc(b->n_conns + 1, sizeof(*list));
	size_t n = 0;

	if (!list) {
		o->failed = true;
		return;
	}
	for (struct client *c = b->clients; c && n < b->n_conns + 1; c = c->next)
		if (client_listed(c))
			list[n++] = c;
	ctlp_puts(o, ",\"result\":[");
	put_clients(b, o, list, n);
	ctlp_puts(o, "]");
	free(list);
}

static struct client *find_client(struct broker *b, const struct ctlp_req *req)
{
	struct session *s = session_find(&b->sessions, req->argv[0], req->argl[0]);
	struct client *c = s ? s->client : NULL;

	return c && client_listed(c) ? c : NULL;
}

/* `client ID`: the connected client, or the offline session, with its subscriptions. */
static const char *cmd_client(struct broker *b, struct ctlp_buf *o, const struct ctlp_req *req)
{
	struct session *s = session_find(&b->sessions, req->argv[0], req->argl[0]);
	struct client *c = find_client(b, req);

	if (!s)
		return "no such client";
	ctlp_puts(o, ",\"result\":");
	if (c) {
		put_clients(b, o, &c, 1);
		o->len--; /* reopen the object to add the session's fields */
	} else {
		ctlp_puts(o, "{");
		ctlp_json_kstr(o, "id", s->client_id, strlen(s->client_id));
		ctlp_json_kstr(o, "protocol", proto_name(s->proto), strlen(proto_name(s->proto)));
		ctlp_json_ku64(o, "inflight", qos_out_active(&s->qos));
		ctlp_json_ku64(o, "queued", broker_session_queued(s));
		ctlp_json_ku64(o, "queued_bytes", session_queue_bytes(s));
	}
	ctlp_json_kbool(o, "connected", c != NULL);
	ctlp_json_ku64(o, "session_expiry", s->expiry_interval);
	ctlp_json_key(o, "subscription_list");
	broker_ctl_session_subs(o, s, NULL, 0, false);
	ctlp_puts(o, "}");
	return NULL;
}

static const char *cmd_kick(struct broker *b, struct ctlp_buf *o, const struct ctlp_req *req)
{
	struct client *c = find_client(b, req);

	if (!c)
		return "no such client connected";
	log_notice("Client %s disconnected by mqttgwctl (kick).", client_name(c));
	ctlp_puts(o, ",\"result\":{");
	ctlp_json_kstr(o, "kicked", req->argv[0], req->argl[0]);
	ctlp_json_kstr(o, "protocol", proto_name(c->version), strlen(proto_name(c->version)));
	ctlp_puts(o, "}");
	/* v5: DISCONNECT 0x98 Administrative action; v3 has no server DISCONNECT: closed */
	client_close(c, MQTT_RC_ADMIN_ACTION, NULL);
	return NULL;
}

static const struct {
	const char *name;
	uint32_t types;
} levels[] = {
    {"none", 0},
    {"error", CONFIG_LOG_ERR},
    {"warning", CONFIG_LOG_ERR | CONFIG_LOG_WARNING},
    {"notice", CONFIG_LOG_ERR | CONFIG_LOG_WARNING | CONFIG_LOG_NOTICE},
    {"information", CONFIG_LOG_DEFAULT},
    {"debug", CONFIG_LOG_DEFAULT | CONFIG_LOG_DEBUG},
    {"all", CONFIG_LOG_ALL},
};

static void put_level(struct ctlp_buf *o, const char *key, uint32_t types)
{
	const char *name = "custom";

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].types == types)
			name = levels[i].name;
	ctlp_json_kstr(o, key, name, strlen(name));
}

static const char *cmd_log_level(struct broker *b, struct ctlp_buf *o, const struct ctlp_req *req)
{
	uint32_t old = log_types(), types = UINT32_MAX;

	if (req->argl[0] == 6 && !memcmp(req->argv[0], "config", 6))
		types = b->cfg->log_type;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(req->argv[0], levels[i].name) && strlen(levels[i].name) == req->argl[0])
			types = levels[i].types;
	if (types == UINT32_MAX)
		return "unknown level (none, error, warning, notice, information, debug, all, "
		       "config)";
	log_set_types(types);
	log_notice("Log level set to %s by mqttgwctl.", req->argv[0]);
	ctlp_puts(o, ",\"result\":{");
	put_level(o, "previous", old);
	put_level(o, "level", types);
	ctlp_puts(o, "}");
	return NULL;
}

static void cmd_status(struct broker *b, struct ctlp_buf *o)
{
	const struct broker_stats *st = &b->st;
	const char *v = MQTTGW_VERSION;

	ctlp_puts(o, ",\"result\":{");
	ctlp_json_kstr(o, "version", v, strlen(v));
	ctlp_json_ku64(o, "pid", (uint64_t)getpid());
	ctlp_json_ki64(o, "uptime", loop_wall() - b->start_wall);
	ctlp_json_ku64(o, "clients", b->n_clients);
	ctlp_json_ku64(o, "connections", b->n_conns);
	ctlp_json_ku64(o, "clients_max", st->clients_max);
	ctlp_json_ku64(o, "sessions", b->sessions.n);
	ctlp_json_ku64(o, "subscriptions", topic_sub_count(b->topics));
	ctlp_json_ku64(o, "retained", topic_retain_count(b->topics));
	ctlp_json_ku64(o, "messages_received", st->msgs_received);
	ctlp_json_ku64(o, "messages_sent", st->msgs_sent);
	ctlp_json_ku64(o, "publish_received", st->pub_received);
	ctlp_json_ku64(o, "publish_sent", st->pub_sent);
	ctlp_json_ku64(o, "publish_dropped", st->pub_dropped);
	ctlp_json_ku64(o, "bytes_received", conn_stats.bytes_in);
	ctlp_json_ku64(o, "bytes_sent", conn_stats.bytes_out);
	ctlp_json_ku64(o, "memory_bytes", b->mem->bufs.live_bytes);
	ctlp_json_ku64(o, "memory_limit", b->cfg->memory_limit);
	ctlp_json_ku64(o, "listeners", b->n_ls);
	ctlp_json_kbool(o, "fastpath", b->fp != NULL);
	ctlp_json_kbool(o, "persistence", b->store != NULL);
	ctlp_json_ku64(o, "bridges", b->n_bridges);
	put_level(o, "log_level", log_types());
	ctlp_json_ku64(o, "control_connections", ctl_conns(b->ctl->ctl));
	ctlp_json_ku64(o, "traces", b->ctl->n_taps);
	ctlp_json_ku64(o, "trace_dropped", ctl_tap_dropped_total(b->ctl->ctl));
	ctlp_puts(o, "}");
}

/* ---- trace: a tap on every message the daemon routes ---- */

/* A traced payload is shown up to this many bytes ("bytes" says how many it had). */
#define TRACE_PAYLOAD_MAX 65536u

static void tap_publish(struct broker *b, const struct pub *p)
{
	struct broker_ctl *bc = b->ctl;
	struct ctlp_buf line = {0};
	uint32_t shown = p->payload_len < TRACE_PAYLOAD_MAX ? p->payload_len : TRACE_PAYLOAD_MAX;

	for (uint32_t i = 0; i < bc->n_taps; i++) {
		const char *f = ctl_tap_tag(bc->taps[i]);

		if (!topic_matches(f, strlen(f), p->topic, p->topic_len))
			continue;
		if (!line.len) { /* built once, for the first tap that matches */
			ctlp_puts(&line, "{");
			ctlp_json_kstr(&line, "topic", p->topic, p->topic_len);
			ctlp_json_ku64(&line, "qos", p->qos);
			ctlp_json_kbool(&line, "retain", p->retain);
			ctlp_json_ku64(&line, "bytes", p->payload_len);
			if (ctlp_utf8_text(p->payload, shown)) {
				ctlp_json_kstr(&line, "payload", (const char *)p->payload, shown);
			} else {
				ctlp_json_key(&line, "payload_hex");
				ctlp_json_hex(&line, p->payload, shown);
			}
			ctlp_puts(&line, "}\n");
		}
		if (line.failed)
			break;
		ctl_tap_send(bc->taps[i], line.p, line.len);
	}
	ctlp_buf_free(&line);
}

static const char *cmd_trace(struct broker *b, struct ctl_conn *cc, struct ctlp_buf *o,
			     const struct ctlp_req *req)
{
	struct broker_ctl *bc = b->ctl;
	char *filter;

	if (!topic_filter_valid(req->argv[0], req->argl[0]) ||
	    strlen(req->argv[0]) != req->argl[0] ||
	    topic_share_split(req->argv[0], req->argl[0], NULL, NULL, NULL, NULL))
		return "not a topic filter (and $share/ filters cannot be traced)";
	if (VEC_GROW(bc->taps, bc->n_taps, bc->taps_cap, 4))
		return "out of memory";
	if (!(filter = strdup(req->argv[0])))
		return "out of memory";
	bc->taps[bc->n_taps++] = cc;
	b->tap = tap_publish;
	ctl_tap(cc, filter);
	ctlp_json_kstr(o, "trace", filter, strlen(filter));
	/* messages the kernel relays never reach the daemon: say how many sockets that may be */
	ctlp_json_ku64(o, "fastpath_sockets", b->fp ? broker_ctl_fp_sockets(b) : 0);
	return NULL;
}

static void tap_closed(void *ctx, struct ctl_conn *cc)
{
	struct broker *b = ctx;
	struct broker_ctl *bc = b->ctl;

	for (uint32_t i = 0; i < bc->n_taps; i++) {
		if (bc->taps[i] == cc) {
			free(ctl_tap_tag(cc));
			bc->taps[i] = bc->taps[--bc->n_taps];
			break;
		}
	}
	if (!bc->n_taps)
		b->tap = NULL;
}

/* ---- dispatch ---- */

static void request(void *ctx, struct ctl_conn *cc, const struct ctlp_req *req)
{
	struct broker *b = ctx;
	struct ctlp_buf o = {.limit = CTL_MAX_OUT};
	const char *no = NULL;

	ctlp_puts(&o, "{\"ok\":true");
	switch (req->cmd) {
	case CTLP_STATUS:
		cmd_status(b, &o);
		break;
	case CTLP_CLIENTS:
		cmd_clients(b, &o);
		break;
	case CTLP_CLIENT:
		no = cmd_client(b, &o, req);
		break;
	case CTLP_KICK:
		no = cmd_kick(b, &o, req);
		break;
	case CTLP_SUBSCRIPTIONS:
		broker_ctl_subscriptions(b, &o, req);
		break;
	case CTLP_RETAINED:
		broker_ctl_retained(b, &o, req);
		break;
	case CTLP_FASTPATH:
		broker_ctl_fastpath(b, &o);
		break;
	case CTLP_BRIDGES:
		broker_ctl_bridges(b, &o);
		break;
	case CTLP_RELOAD:
		/* exactly what SIGHUP does, through the same signalfd (main.c's handler) */
		log_notice("Reload requested by mqttgwctl.");
		kill(getpid(), SIGHUP);
		ctlp_puts(&o, ",\"result\":{\"reload\":\"requested\"}");
		break;
	case CTLP_LOG_LEVEL:
		no = cmd_log_level(b, &o, req);
		break;
	case CTLP_TRACE:
		no = cmd_trace(b, cc, &o, req);
		break;
	case CTLP_NR:
		no = "unknown command";
		break;
	}
	if (!no && o.truncated)
		no = "the answer is larger than 8 MiB: give a narrower filter";
	else if (!no && o.failed)
		no = "out of memory";
	if (no) {
		o.failed = o.truncated = false;
		o.limit = 0;
		o.len = 0;
		ctlp_puts(&o, "{\"ok\":false");
		ctlp_json_kstr(&o, "error", no, strlen(no));
		ctlp_puts(&o, ",\"status\":1");
	}
	ctlp_puts(&o, "}\n");
	if (!o.failed)
		ctl_reply(cc, o.p, o.len);
	ctlp_buf_free(&o);
	if (req->cmd != CTLP_TRACE || no)
		ctl_end(cc);
}

int broker_ctl_open(struct broker *b, const struct ctl_opts *o, char *err, size_t errlen)
{
	static const struct ctl_ops ops = {.request = request, .tap_closed = tap_closed};
	struct broker_ctl *bc = calloc(1, sizeof(*bc));

	if (!bc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->ctl = bc;
	bc->ctl = ctl_new(b->loop, o, &ops, b, err, errlen);
	if (!bc->ctl) {
		int e = errno;

		free(bc);
		b->ctl = NULL;
		return -e;
	}
	return 0;
}

void broker_ctl_close(struct broker *b)
{
	struct broker_ctl *bc = b->ctl;

	if (!bc)
		return;
	ctl_free(bc->ctl); /* taps are closed through tap_closed */
	nl_diag_close(bc->diag);
	free(bc->taps);
	free(bc);
	b->ctl = NULL;
	b->tap = NULL;
}
