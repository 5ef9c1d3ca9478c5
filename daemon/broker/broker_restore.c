/* SPDX-License-Identifier: MIT */
/*
 * broker_restore: start-up from the durable store (broker.h's broker_store_attach). Streams the
 * stored sessions, subscriptions, queues, in-flight entries, inbound QoS 2 ids and retained
 * messages back into the broker, then applies the time that passed while it was down (wall
 * clock): sessions past their expiry end (their will goes out), wills past their delay go out,
 * expired messages are dropped; each change is staged like any other. In-flight entries resume
 * with DUP when their client reconnects (broker_session_resume).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_auth.h"
#include "broker_deliver.h"
#include "broker_fastpath.h"
#include "broker_session.h"
#include "broker_store.h"
#include "broker_will.h"
#include "log.h"
#include "vec.h"

/* A restored session and what the end of the load decides about it. */
struct rsess {
	uint64_t sid;
	struct session *s;
	int64_t disconnect_ms;
	struct msg *will; /* waiting for its delay, or NULL */
	uint32_t will_delay;
};

struct restore {
	struct broker *b;
	struct rsess *v;
	size_t n, cap;
	uint64_t out, retained, dropped;
};

static struct rsess *rs_find(struct restore *r, uint64_t sid)
{
	size_t lo = 0, hi = r->n;

	/* the store streams sessions in id order */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->v[mid].sid == sid)
			return &r->v[mid];
		if (r->v[mid].sid < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cb_session(void *ctx, const struct store_session *ss)
{
	struct restore *r = ctx;
	struct broker *b = r->b;
	struct session *s;
	struct rsess *rs;

	if (r->n && ss->id <= r->v[r->n - 1].sid)
		return 0; /* out of order: cannot happen with the store's ORDER BY; skipped */
	if (session_find(&b->sessions, ss->client_id, ss->client_id_len))
		return 0;
	if (VEC_GROW(r->v, r->n, r->cap, 64))
		return -ENOMEM;
	s = session_create(&b->sessions, ss->client_id, ss->client_id_len);
	if (!s)
		return -ENOMEM;
	s->store_id = ss->id;
	s->proto = ss->proto;
	s->expiry_interval = ss->expiry_interval;
	s->auth_idx = ss->listener < b->cfg->n_listeners ? ss->listener : 0;
	if (ss->username && !(s->username = strndup(ss->username, ss->username_len)))
		return -ENOMEM;
	rs = &r->v[r->n++];
	*rs = (struct rsess){ss->id, s, ss->disconnect_ms, NULL, 0};
	if (ss->has_will) {
		const struct store_will *w = &ss->will;

		rs->will = msg_new(b->mem, w->topic, w->topic_len, w->payload, w->payload_len,
				   w->props, w->props_len, w->qos, w->retain, 0, NULL);
		if (!rs->will)
			return -ENOMEM;
		/* a retained will's publisher is the session (check_retain_source) */
		if (w->retain && msg_set_source(rs->will, s->client_id, s->username, s->auth_idx))
			return -ENOMEM;
		rs->will_delay = w->delay;
	}
	return 0;
}

static int cb_sub(void *ctx, uint64_t sid, const char *filter, uint16_t len, uint8_t opts,
		  uint32_t sub_id)
{
	struct restore *r = ctx;
	struct rsess *rs = rs_find(r, sid);

	if (!rs)
		return 0;
	/* the ACL may have changed while down: its check flag is worked out again (reload) */
	opts &= (uint8_t)~BROKER_OPT_ACL_CHECK;
	if (!broker_acl_subscribe(r->b, rs->s, filter, len, &opts))
		opts |= BROKER_OPT_ACL_CHECK;
	if (topic_sub_add(r->b->topics, filter, len, rs->s, opts, sub_id) < 0)
		return -ENOMEM;
	if (session_sub_set(rs->s, filter, len, opts, sub_id) < 0)
		return -ENOMEM;
	broker_fp_filter_changed(r->b, filter, len);
	return 0;
}

static void *cb_msg(void *ctx, const struct store_msg *sm)
{
	return broker_store_msg_new(((struct restore *)ctx)->b, sm);
}

static bool expired(const struct restore *r, const struct msg *m)
{
	return m && m->expiry && m->expiry <= loop_now(r->b->loop);
}

static int cb_out(void *ctx, uint64_t sid, const struct store_out *e)
{
	struct restore *r = ctx;
	struct broker *b = r->b;
	struct rsess *rs = rs_find(r, sid);
	struct msg *m = e->msg;
	struct session *s;
	int ret = -EINVAL;

	if (!rs)
		return 0;
	s = rs->s;
	if (e->state == STORE_OUT_PUBREL) {
		if (qos_out_restore(&s->qos, NULL, 2, e->retain, e->sub_id, e->pid,
				    QOS_WAIT_PUBCOMP) == 0)
			qos_out_last(&s->qos)->store_seq = e->seq;
		else
			store_out_del(b->store->st, sid, e->seq);
		return 0;
	}
	if (e->state == STORE_OUT_QUEUED && e->qos) {
		/* past the first page, a queued entry stays in the store (broker_spill.c) */
		ret = broker_spill_restore(s, e);
		if (ret < 0)
			return ret;
		if (ret > 0) {
			r->out++;
			return 0;
		}
		if (!m)
			return STORE_LOAD_WANT_MSG;
		ret = -EINVAL;
	}
	if (!m || expired(r, m) || !e->qos || e->qos > 2) {
		store_out_del(b->store->st, sid, e->seq);
		r->dropped++;
		return 0;
	}
	if (e->state == STORE_OUT_SENT)
		ret = qos_out_restore(&s->qos, m, e->qos, e->retain, e->sub_id, e->pid,
				      e->qos == 1 ? QOS_WAIT_PUBACK : QOS_WAIT_PUBREC);
	if (ret == 0) {
		qos_out_last(&s->qos)->store_seq = e->seq;
		qos_out_last(&s->qos)->share = e->share;
	} else if (ret == -ENOMEM) {
		return ret;
	} else {
		/* queued, or a sent entry whose packet id cannot be kept: sent again anew */
		if (session_queue_push(s, m, e->qos, e->retain, e->sub_id, 0, 0) < 0)
			return -ENOMEM;
		session_queue_last(s)->store_seq = e->seq;
		session_queue_last(s)->share = e->share;
	}
	m->store_refs++;
	r->out++;
	return 0;
}

static int cb_rx2(void *ctx, uint64_t sid, uint16_t pid)
{
	struct restore *r = ctx;
	struct rsess *rs = rs_find(r, sid);

	return rs && qos_rx2_add(&rs->s->qos, pid) < 0 ? -ENOMEM : 0;
}

/* msg_set_source() from the store's views (not NUL-terminated). 0 or -ENOMEM. */
static int src_set(struct msg *m, const struct store_source *src, size_t n_listeners)
{
	/* a listener that is no longer configured: the first one's files, as for sessions */
	uint16_t li = src->listener < n_listeners ? src->listener : 0;
	char *id = strndup(src->id, src->id_len);
	char *user = src->username ? strndup(src->username, src->username_len) : NULL;
	int r = -ENOMEM;

	if (id && (user || !src->username))
		r = msg_set_source(m, id, user, li);
	free(id);
	free(user);
	return r;
}

static int cb_retained(void *ctx, const char *topic, uint16_t len, void *msg, uint64_t msg_id,
		       const struct store_source *src)
{
	struct restore *r = ctx;
	struct msg *m = msg;

	(void)msg_id;
	if (!m || expired(r, m)) {
		store_retain_del(r->b->store->st, topic, len);
		return 0;
	}
	/* its publisher, for check_retain_source (unknown in a store from before schema v2) */
	if (src && src_set(m, src, r->b->cfg->n_listeners))
		return -ENOMEM;
	msg_unref(topic_retain_set(r->b->topics, topic, len, msg_ref(m)));
	m->store_refs++;
	r->retained++;
	return 0;
}

static void cb_release(void *ctx, void *msg)
{
	(void)ctx;
	msg_unref(msg);
}

/* Seconds left of secs since since_ms (wall), 0 when none are. */
static uint32_t secs_left(int64_t since_ms, uint32_t secs, int64_t now_ms)
{
	int64_t left = since_ms + (int64_t)secs * 1000 - now_ms;

	return left <= 0 ? 0 : (uint32_t)((left + 999) / 1000);
}

/* The time that passed while down: expiries and wills. 1 when the session ended. */
static int session_catch_up(struct broker *b, struct rsess *rs, int64_t now_ms)
{
	struct session *s = rs->s;
	uint32_t expiry = s->expiry_interval, left = UINT32_MAX, will_left = 0;

	/* online when the daemon stopped (crash, power cut): its connection ended at this start,
	 * so its expiry and will delay run from now */
	if (!rs->disconnect_ms) {
		rs->disconnect_ms = now_ms;
	}

	if (expiry == SESSION_EXPIRY_NEVER && b->cfg->persistent_client_expiration > 0)
		expiry = b->cfg->persistent_client_expiration > UINT32_MAX - 1
			     ? UINT32_MAX - 1
			     : (uint32_t)b->cfg->persistent_client_expiration;
	if (expiry != SESSION_EXPIRY_NEVER)
		left = secs_left(rs->disconnect_ms, expiry, now_ms);
	if (rs->will)
		will_left = secs_left(rs->disconnect_ms, rs->will_delay, now_ms);
	if (rs->will && (!will_left || !left)) {
		/* its delay (or its session) ran out while we were down */
		broker_will_publish(b, rs->will);
		msg_unref(rs->will);
		rs->will = NULL;
		if (left)
			broker_store_session(b, s, rs->disconnect_ms, NULL, 0);
	}
	if (!left) {
		broker_session_end(b, s);
		return 1;
	}
	broker_session_restored(b, s, rs->disconnect_ms, rs->will, will_left, left);
	rs->will = NULL;
	return 0;
}

/* A bridge's outbound queue entry goes back to its bridge (include/broker.h). */
static int cb_bridge(void *ctx, const struct store_bridge_entry *e)
{
	return broker_bridge_load(((struct restore *)ctx)->b, e);
}

int broker_store_attach(struct broker *b, struct store *st)
{
	static const struct store_load_cb cb = {
	    .session = cb_session,
	    .sub = cb_sub,
	    .msg = cb_msg,
	    .out = cb_out,
	    .rx2 = cb_rx2,
	    .retained = cb_retained,
	    .bridge = cb_bridge,
	    .release = cb_release,
	};
	struct restore r = {.b = b};
	struct store_load_result res = {0};
	int64_t t0 = loop_now_us(), now_ms;
	uint64_t live = 0;
	int ret;

	ret = broker_store_init(b, st);
	if (ret < 0)
		return ret;
	b->mem->fit = true;
	ret = store_load(st, &cb, &r, &res);
	b->mem->fit = false;
	if (ret < 0) {
		for (size_t i = 0; i < r.n; i++)
			msg_unref(r.v[i].will);
		free(r.v);
		return ret;
	}
	now_ms = loop_wall() * 1000;
	for (size_t i = 0; i < r.n; i++)
		live += !session_catch_up(b, &r.v[i], now_ms);
	free(r.v);
	broker_store_commit(b);
	log_notice("Restored %llu sessions, %llu queued messages, %llu retained in %lld ms.",
		   (unsigned long long)live, (unsigned long long)r.out,
		   (unsigned long long)r.retained, (long long)((loop_now_us() - t0) / 1000));
	if (res.skipped || r.dropped)
		log_info("Store: %llu unreadable records and %llu expired messages dropped.",
			 (unsigned long long)res.skipped, (unsigned long long)r.dropped);
	return 0;
}
