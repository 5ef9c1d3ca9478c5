/* SPDX-License-Identifier: MIT */
/* broker_session: detach, expiry and end of a session (attach is broker_connect.c's). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "broker_deliver.h"
#include "broker_fastpath.h"
#include "broker_session.h"
#include "broker_share.h"
#include "broker_store.h"
#include "broker_will.h"
#include "log.h"

/*
 * What a session needs from the loop while it is offline: its expiry timer, and a will that
 * waits for its Will Delay Interval [MQTT-3.1.3-9]. Allocated only while needed (not in struct
 * session: every idle connection has one, README "Footprint").
 */
struct session_ext {
	struct broker *b;
	struct session *s;
	struct loop_timer expiry;
	struct will_wait will;
	int64_t offline_since; /* wall clock ms it went offline: its stored record's */
};

static struct session_ext *session_ext_get(struct broker *b, struct session *s)
{
	struct session_ext *se = s->owner_data;

	if (se)
		return se;
	se = calloc(1, sizeof(*se));
	if (!se)
		return NULL;
	se->b = b;
	se->s = s;
	s->owner_data = se;
	return se;
}

static void session_ext_put(struct session *s)
{
	struct session_ext *se = s->owner_data;

	if (se && !loop_timer_armed(&se->expiry) && !se->will.will) {
		free(se);
		s->owner_data = NULL;
	}
}

/* The delayed will went out: the session may no longer need its extra. */
static void session_will_fired(struct will_wait *w)
{
	struct session_ext *se =
	    (struct session_ext *)((char *)w - offsetof(struct session_ext, will));

	broker_store_session(se->b, se->s, se->offline_since, NULL, 0); /* will gone */
	session_ext_put(se->s);
}

void broker_session_expiry_cancel(struct broker *b, struct session *s)
{
	struct session_ext *se = s->owner_data;

	if (!se)
		return;
	loop_timer_cancel(b->loop, &se->expiry);
	/* A reconnect within the will delay cancels the will [MQTT-3.1.3-9]. */
	broker_will_drop(&se->will);
	free(se);
	s->owner_data = NULL;
}

static void session_unsubscribe_all(struct broker *b, struct session *s)
{
	for (uint32_t i = 0; i < s->n_subs; i++) {
		topic_sub_remove(b->topics, s->subs[i].filter, s->subs[i].len, s);
		broker_fp_filter_changed(b, s->subs[i].filter, s->subs[i].len);
	}
}

void broker_session_end(struct broker *b, struct session *s)
{
	struct session_ext *se = s->owner_data;

	/* the will goes out at the earlier of its delay and the session's end */
	if (se)
		broker_will_fire(&se->will);
	broker_session_expiry_cancel(b, s);
	session_unsubscribe_all(b, s);
	broker_store_session_del(b, s); /* before the handover takes its entries */
	broker_share_handover(b, s);	/* out of the groups now: others get its messages */
	session_destroy(&b->sessions, s);
}

static void session_expired(struct loop *l, struct loop_timer *t)
{
	struct session_ext *se = t->ctx;
	struct session *s = se->s;

	(void)l;
	log_notice("Expiring client %s due to timeout.", s->client_id);
	se->b->st.clients_expired++;
	broker_session_end(se->b, s);
}

static void session_expiry_arm(struct broker *b, struct session *s, uint32_t secs)
{
	struct session_ext *se = session_ext_get(b, s);

	if (!se)
		return; /* the session just never expires */
	loop_timer_init(&se->expiry, session_expired, se);
	loop_timer_set(b->loop, &se->expiry, loop_now(b->loop) + (int64_t)secs * 1000);
}

void broker_session_detach(struct client *c)
{
	struct broker *b = c->b;
	struct session *s = c->session;
	struct session_ext *se;
	uint32_t expiry;
	int64_t off;

	if (c->will && !c->got_disconnect) {
		if (c->will_delay && s && (se = session_ext_get(b, s))) {
			/* held by the session until the delay runs out or the session ends */
			broker_will_hold(b, &se->will, c->will, c->will_delay, session_will_fired);
			c->will = NULL;
		} else {
			broker_will_publish(b, c->will);
		}
	}
	msg_unref(c->will);
	c->will = NULL;
	if (!s)
		return;
	s->client = NULL;
	if (c->client_id == s->client_id) /* the id for logs outlives the session (ENOMEM: none) */
		c->client_id = strdup(s->client_id);
	c->session = NULL;
	broker_backpressure_release(b, s);
	expiry = s->expiry_interval;
	if (expiry == SESSION_EXPIRY_NEVER && b->cfg->persistent_client_expiration > 0)
		expiry = b->cfg->persistent_client_expiration > UINT32_MAX - 1
			     ? UINT32_MAX - 1
			     : (uint32_t)b->cfg->persistent_client_expiration;
	if (!expiry) {
		broker_session_end(b, s);
		return;
	}
	off = loop_wall() * 1000;
	se = s->owner_data;
	if (se)
		se->offline_since = off;
	if (s->store_id)
		broker_store_session(b, s, off, se ? se->will.will : NULL, c->will_delay);
	if (expiry != SESSION_EXPIRY_NEVER)
		session_expiry_arm(b, s, expiry);
}

void broker_session_restored(struct broker *b, struct session *s, int64_t disconnect_ms,
			     struct msg *will, uint32_t will_secs, uint32_t expiry_secs)
{
	struct session_ext *se;

	if (will && (se = session_ext_get(b, s))) {
		se->offline_since = disconnect_ms;
		broker_will_hold(b, &se->will, will, will_secs, session_will_fired);
	} else {
		msg_unref(will);
	}
	if (expiry_secs != UINT32_MAX)
		session_expiry_arm(b, s, expiry_secs);
}
