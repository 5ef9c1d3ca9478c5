/* SPDX-License-Identifier: MIT */
/* broker_ctl_show: mqttgwctl's subscriptions, retained, fastpath and bridges (broker_ctl.h). */
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "config_bridge.h"
#include "broker_ctl.h"
#include "broker_fastpath.h"
#include "broker_fp.h"

/* Entries a list shows at most; "truncated":true says there were more. */
#define SHOW_MAX 100000u

uint32_t broker_ctl_fp_sockets(const struct broker *b)
{
	return b->fp ? b->fp->n_joined : 0;
}

/* With a FILTER argument, a subscription is shown when its filter is that filter or is matched
 * by it as a topic (`sensors/#` shows `sensors/+/t` and `sensors/a`). */
static bool sub_shown(const struct session_sub *sub, const char *filter, size_t flen)
{
	return !filter || (sub->len == flen && !memcmp(sub->filter, filter, flen)) ||
	       topic_matches(filter, flen, sub->filter, sub->len);
}

static void put_sub(struct ctlp_buf *o, const struct session *s, const struct session_sub *sub,
		    bool with_client)
{
	ctlp_puts(o, "{");
	if (with_client) {
		ctlp_json_kstr(o, "client", s->client_id, strlen(s->client_id));
		ctlp_json_kbool(o, "connected", s->client != NULL);
	}
	ctlp_json_kstr(o, "filter", sub->filter, sub->len);
	ctlp_json_ku64(o, "qos", sub->opts & TOPIC_OPT_QOS_MASK);
	ctlp_json_kbool(o, "no_local", sub->opts & TOPIC_OPT_NO_LOCAL);
	ctlp_json_kbool(o, "retain_as_published", sub->opts & TOPIC_OPT_RAP);
	ctlp_json_ku64(o, "retain_handling", (sub->opts & TOPIC_OPT_RH_MASK) >> TOPIC_OPT_RH_SHIFT);
	if (sub->sub_id)
		ctlp_json_ku64(o, "subscription_id", sub->sub_id);
	ctlp_puts(o, "}");
}

void broker_ctl_session_subs(struct ctlp_buf *o, const struct session *s, const char *filter,
			     size_t flen, bool with_client)
{
	bool first = true;

	ctlp_puts(o, "[");
	for (uint32_t i = 0; i < s->n_subs; i++) {
		if (!sub_shown(&s->subs[i], filter, flen))
			continue;
		if (!first)
			ctlp_puts(o, ",");
		first = false;
		put_sub(o, s, &s->subs[i], with_client);
	}
	ctlp_puts(o, "]");
}

struct subs_walk {
	struct ctlp_buf *o;
	const char *filter;
	size_t flen;
	uint32_t n;
	bool truncated;
};

static void subs_one(void *ctx, struct session *s)
{
	struct subs_walk *w = ctx;

	for (uint32_t i = 0; i < s->n_subs; i++) {
		if (!sub_shown(&s->subs[i], w->filter, w->flen))
			continue;
		if (w->n == SHOW_MAX) {
			w->truncated = true;
			return;
		}
		if (w->n++)
			ctlp_puts(w->o, ",");
		put_sub(w->o, s, &s->subs[i], true);
	}
}

void broker_ctl_subscriptions(struct broker *b, struct ctlp_buf *o, const struct ctlp_req *req)
{
	struct subs_walk w = {.o = o};

	if (req->argc) {
		w.filter = req->argv[0];
		w.flen = req->argl[0];
	}
	ctlp_puts(o, ",\"result\":[");
	session_foreach(&b->sessions, subs_one, &w);
	ctlp_puts(o, "]");
	ctlp_json_kbool(o, "truncated", w.truncated);
}

struct retained_walk {
	struct ctlp_buf *o;
	uint32_t n;
	bool truncated;
};

/* A retained payload is shown up to this many bytes ("bytes" has its size). */
#define RETAINED_SHOW 1024u

static void retained_one(void *ctx, void *msg)
{
	struct retained_walk *w = ctx;
	const struct msg *m = msg;
	uint32_t shown = m->payload_len < RETAINED_SHOW ? m->payload_len : RETAINED_SHOW;

	if (w->n == SHOW_MAX) {
		w->truncated = true;
		return;
	}
	if (w->n++)
		ctlp_puts(w->o, ",");
	ctlp_puts(w->o, "{");
	ctlp_json_kstr(w->o, "topic", m->topic, m->topic_len);
	ctlp_json_ku64(w->o, "qos", m->qos);
	ctlp_json_ku64(w->o, "bytes", m->payload_len);
	if (ctlp_utf8_text(m->payload, shown)) {
		ctlp_json_kstr(w->o, "payload", (const char *)m->payload, shown);
	} else {
		ctlp_json_key(w->o, "payload_hex");
		ctlp_json_hex(w->o, m->payload, shown);
	}
	ctlp_puts(w->o, "}");
}

void broker_ctl_retained(struct broker *b, struct ctlp_buf *o, const struct ctlp_req *req)
{
	struct retained_walk w = {.o = o};
	const char *f = req->argc ? req->argv[0] : "#";
	size_t flen = req->argc ? req->argl[0] : 1;

	ctlp_puts(o, ",\"result\":[");
	if (topic_filter_valid(f, flen) && !topic_share_split(f, flen, NULL, NULL, NULL, NULL))
		topic_retain_match(b->topics, f, flen, retained_one, &w);
	ctlp_puts(o, "]");
	ctlp_json_kbool(o, "truncated", w.truncated);
}

/* The $SYS walks give name/value pairs: each becomes one JSON member, a number when it is
 * one. */
static void sys_pair(struct broker *b, const char *topic, const char *value)
{
	struct broker_ctl *bc = b->ctl;
	const char *name = topic + (strlen(topic) > bc->sys_strip ? bc->sys_strip : 0);
	size_t n = strlen(value), i = 0;

	while (i < n && value[i] >= '0' && value[i] <= '9')
		i++;
	if (n && i == n && n < 20) {
		ctlp_json_key(bc->sys_out, name);
		ctlp_puts(bc->sys_out, value);
	} else {
		ctlp_json_key(bc->sys_out, name);
		ctlp_json_str(bc->sys_out, value, n);
	}
}

void broker_ctl_fastpath(struct broker *b, struct ctlp_buf *o)
{
	static const char prefix[] = "$SYS/broker/fastpath/";

	b->ctl->sys_out = o;
	b->ctl->sys_strip = sizeof(prefix) - 1;
	ctlp_puts(o, ",\"result\":{");
	broker_fp_sys(b, sys_pair);
	ctlp_puts(o, "}");
	b->ctl->sys_out = NULL;
}

void broker_ctl_bridges(struct broker *b, struct ctlp_buf *o)
{
	ctlp_puts(o, ",\"result\":[");
	for (size_t i = 0; i < b->n_bridges; i++) {
		const struct bridge *br = b->bridges[i];
		const struct config_bridge *cb = b->cfg->bridges[i];
		const char *name = bridge_name(br), *state;
		struct bridge_stats st;

		bridge_stats(br, &st);
		state = bridge_state_name(st.state);
		if (i)
			ctlp_puts(o, ",");
		ctlp_puts(o, "{");
		ctlp_json_kstr(o, "name", name, strlen(name));
		ctlp_json_kstr(o, "state", state, strlen(state));
		if (st.address < cb->n_addrs) {
			const struct config_bridge_addr *a = &cb->addrs[st.address];

			ctlp_json_kstr(o, "host", a->host, strlen(a->host));
			ctlp_json_ku64(o, "port", a->port);
		}
		ctlp_json_ku64(o, "queued", st.queued);
		ctlp_json_ku64(o, "inflight", st.inflight);
		ctlp_json_ku64(o, "sent", st.sent);
		ctlp_json_ku64(o, "acked", st.acked);
		ctlp_json_ku64(o, "dropped", st.dropped);
		ctlp_json_ku64(o, "received", st.received);
		ctlp_json_ku64(o, "connects", st.connects);
		ctlp_json_kstr(o, "last_error", st.last_error, strlen(st.last_error));
		ctlp_puts(o, "}");
	}
	ctlp_puts(o, "]");
}
