/* SPDX-License-Identifier: MIT */
/* broker_store: staging the broker's durable state and holding acks until it is durable. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "broker_store.h"
#include "log.h"

int64_t broker_store_wall_ms(const struct broker *b, int64_t loop_ms)
{
	return loop_wall() * 1000 + (loop_ms - loop_now(b->loop));
}

int64_t broker_store_loop_ms(const struct broker *b, int64_t wall_ms)
{
	return loop_now(b->loop) + (wall_ms - loop_wall() * 1000);
}

struct msg *broker_store_msg_new(struct broker *b, const struct store_msg *sm)
{
	int64_t expiry = 0;
	struct msg *m;

	if (sm->expiry_ms) {
		expiry = broker_store_loop_ms(b, sm->expiry_ms);
		if (expiry < 1)
			expiry = 1; /* expired: still "has an expiry" */
	}
	m = msg_new(b->mem, sm->topic, sm->topic_len, sm->payload, sm->payload_len, sm->props,
		    sm->props_len, sm->qos, sm->retain, expiry, NULL);
	if (m)
		m->store_id = sm->id;
	return m;
}

/* A durable reference to m: stages m the first time (the store keeps one copy). Its id, 0 on
 * ENOMEM. */
static uint64_t msg_hold(struct broker *b, struct msg *m)
{
	if (!m->store_id) {
		struct store_msg sm = {
		    .topic = m->topic,
		    .props = m->props_len ? m->props : NULL,
		    .payload = m->payload,
		    .expiry_ms = m->expiry ? broker_store_wall_ms(b, m->expiry) : 0,
		    .props_len = m->props_len,
		    .payload_len = m->payload_len,
		    .topic_len = m->topic_len,
		    .qos = m->qos,
		    .retain = m->retain,
		};

		m->store_id = store_msg_add(b->store->st, &sm);
		m->store_refs = 0;
		if (!m->store_id)
			return 0;
	}
	m->store_refs++;
	return m->store_id;
}

/* A durable reference to m is gone: at 0 the store deletes the row with this batch. */
static void msg_drop(struct msg *m)
{
	if (m && m->store_id && m->store_refs && !--m->store_refs)
		m->store_id = 0;
}

/* Hold c's output until batch seq is durable (see broker_store.h). */
static void out_hold_until(struct broker_store *bs, struct client *c, uint64_t seq)
{
	if (!c || !c->conn)
		return;
	if (!c->store_hold) {
		c->hold_prev = NULL;
		c->hold_next = bs->held;
		if (bs->held)
			bs->held->hold_prev = c;
		bs->held = c;
	}
	if (seq > c->store_hold)
		c->store_hold = seq;
	store_want(bs->st, seq);
	/* conn consults the gate only while gated; left set after the hold ends (the fast path
	 * does the same), the gate then allows every write */
	c->conn->gated = true;
}

/* Hold c's output until what is staged now is durable. */
static void out_hold(struct broker_store *bs, struct client *c)
{
	out_hold_until(bs, c, store_batch_next(bs->st));
}

static void out_unhold(struct broker_store *bs, struct client *c)
{
	if (!c->store_hold)
		return;
	if (c->hold_prev)
		c->hold_prev->hold_next = c->hold_next;
	else
		bs->held = c->hold_next;
	if (c->hold_next)
		c->hold_next->hold_prev = c->hold_prev;
	c->hold_next = c->hold_prev = NULL;
	c->store_hold = 0;
}

/* An ack may go: durable, nothing staged, or (a QoS 1 PUBACK) its message needs no holding. */
static bool ack_ready(const struct broker_ack *a, uint64_t durable)
{
	return a->seq <= durable || (a->m && !a->m->store_refs);
}

/* One pass looks at most this far behind the head and tells at most this many waiting
 * sessions apart; what lies beyond waits for a later pass (as every ack did before): the pass
 * costs O(ACKS_SCAN) whatever the ring holds (1,000 publishers x 20 in flight). */
#define ACKS_SCAN 64
#define ACKS_BLOCKED_MAX 16

static bool owner_in(const void *const *v, unsigned n, const void *o)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == o)
			return true;
	return false;
}

/* Append a to bs->tx; false when it cannot grow (a then stays in the ring). */
static bool tx_push(struct broker_store *bs, const struct broker_ack *a)
{
	if (bs->tx_n == bs->tx_cap) {
		uint32_t cap = bs->tx_cap ? bs->tx_cap * 2 : 16;
		struct broker_ack *n = realloc(bs->tx, cap * sizeof(*n));

		if (!n)
			return false;
		bs->tx = n;
		bs->tx_cap = cap;
	}
	bs->tx[bs->tx_n++] = *a;
	return true;
}

/*
 * The acks behind a waiting one: those that are ready and whose session (struct broker_ack.owner:
 * also when its client is gone, so a reconnected client's resends wait) has no earlier ack still
 * waiting leave the ring into bs->tx (marked type 0 in place), the others of the window close
 * ranks toward its end (the head moves up), in order. They are sent only once the ring is whole
 * again: a send that fails closes its client, whose entries broker_store_client_gone() clears,
 * in the ring and in bs->tx alike.
 */
static void acks_release_behind(struct broker_store *bs, uint64_t durable)
{
	const void *blocked[ACKS_BLOCKED_MAX];
	uint32_t mask = bs->a_cap - 1, n = bs->a_count < ACKS_SCAN ? bs->a_count : ACKS_SCAN;
	uint32_t w = n;
	unsigned nb = 0;

	for (uint32_t j = 0; j < n && nb < ACKS_BLOCKED_MAX; j++) {
		struct broker_ack *a = &bs->acks[(bs->a_head + j) & mask];

		if (owner_in(blocked, nb, a->owner))
			continue;
		if (ack_ready(a, durable) && tx_push(bs, a))
			a->type = 0;
		else
			blocked[nb++] = a->owner; /* its client may be gone: its session waits */
	}
	if (!bs->tx_n)
		return;
	for (uint32_t j = n; j-- > 0;) {
		struct broker_ack *a = &bs->acks[(bs->a_head + j) & mask];

		if (a->type)
			bs->acks[(bs->a_head + --w) & mask] = *a;
	}
	bs->a_head = (bs->a_head + w) & mask;
	bs->a_count -= w;
	for (bs->tx_i = 0; bs->tx_i < bs->tx_n; bs->tx_i++) {
		struct broker_ack *a = &bs->tx[bs->tx_i];

		if (a->c)
			client_send_ack(a->c, a->type, a->pid, a->reason);
		msg_unref(a->m);
	}
	bs->tx_n = bs->tx_i = 0;
}

/* Send the acks that may go: the head of the ring in order, then those behind a waiting
 * one whose own session waits for nothing before them. */
static void acks_release(struct broker_store *bs, uint64_t durable)
{
	if (bs->tx_n)
		return; /* a send below closed a client whose close released again */
	while (bs->a_count && ack_ready(&bs->acks[bs->a_head], durable)) {
		struct broker_ack a = bs->acks[bs->a_head];

		bs->a_head = (bs->a_head + 1) & (bs->a_cap - 1);
		bs->a_count--;
		if (a.c)
			client_send_ack(a.c, a.type, a.pid, a.reason);
		msg_unref(a.m);
	}
	if (bs->a_count > 1)
		acks_release_behind(bs, durable);
}

static void store_ready(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct broker *b = io->ctx;
	struct broker_store *bs = b->store;
	uint64_t durable = store_dispatch(bs->st);
	struct client *c, *next;

	(void)l;
	(void)events;
	acks_release(bs, durable);
	for (c = bs->held; c; c = next) {
		next = c->hold_next;
		if (c->store_hold <= durable) {
			out_unhold(bs, c);
			client_want_flush(c);
		}
	}
	/* Read-back answers are handled here, in the loop's dispatch like a client's packets, so
	 * that what they stage goes into this iteration's batch (broker_store_commit, before the
	 * wait): a session's refilled queue sends QoS 2 messages whose output waits for their
	 * state to be durable, and staged after the commit, nothing handed it over until another
	 * event woke the loop (its subscriber saw a page, then silence). */
	for (struct store_fetch *f; (f = store_fetch_take(bs->st)); store_fetch_free(f)) {
		if (f->sid)
			broker_spill_fetched(b, f);
		else
			broker_bridge_fetched(b, f);
	}
}

int broker_store_init(struct broker *b, struct store *st)
{
	struct broker_store *bs = calloc(1, sizeof(*bs));
	int ret;

	if (!bs)
		return -ENOMEM;
	bs->st = st;
	bs->io.fd = -1;
	ret = loop_io_add(b->loop, &bs->io, store_event_fd(st), EPOLLIN, store_ready, b);
	if (ret < 0) {
		free(bs);
		return ret;
	}
	b->store = bs;
	return 0;
}

void broker_store_fini(struct broker *b)
{
	struct broker_store *bs = b->store;

	if (!bs)
		return;
	if (bs->io.fd >= 0)
		loop_io_del(b->loop, &bs->io);
	for (uint32_t i = 0; i < bs->a_count; i++)
		msg_unref(bs->acks[(bs->a_head + i) & (bs->a_cap - 1)].m);
	free(bs->acks);
	free(bs->tx);
	broker_spill_unpin(bs);
	free(bs->pins);
	free(bs);
	b->store = NULL;
}

void broker_store_commit(struct broker *b)
{
	struct broker_store *bs = b->store;
	bool w;

	if (!bs)
		return;
	/* PUBACKs whose messages every recipient acknowledged in this iteration go before the
	 * batch that cancels their writes is even handed over */
	acks_release(bs, store_durable_seq(bs->st));
	store_commit(bs->st);
	broker_spill_unpin(bs);
	bs->committed = bs->staged;
	w = store_writable(bs->st);
	/* the store's thread logs the failure (once); the recovery is said here */
	if (!w && !bs->down) {
		bs->down = true;
	} else if (w && bs->down) {
		log_notice("store: commits succeed again; QoS 1/2 accepted.");
		bs->down = false;
	}
}

/* Queue an ack behind those that wait; m (a reference taken) lets it go early. */
static int ack_push(struct client *c, uint8_t type, uint16_t pid, uint8_t reason, uint64_t mark,
		    struct msg *m)
{
	struct broker_store *bs = c->b->store;
	struct broker_ack *a;

	if (bs->a_count == bs->a_cap) {
		uint32_t cap = bs->a_cap ? bs->a_cap * 2 : 64;
		struct broker_ack *n = malloc(cap * sizeof(*n));

		if (!n) {
			client_close(c, MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < bs->a_count; i++)
			n[i] = bs->acks[(bs->a_head + i) & (bs->a_cap - 1)];
		free(bs->acks);
		bs->acks = n;
		bs->a_cap = cap;
		bs->a_head = 0;
	}
	a = &bs->acks[(bs->a_head + bs->a_count) & (bs->a_cap - 1)];
	/* seq 0, nothing staged: it only keeps its place behind the acks that wait. An ack
	 * that its message's recipients may release lets the writer linger (store_batch_peek) */
	a->seq = bs->staged == mark ? 0 : m ? store_batch_peek(bs->st) : store_batch_next(bs->st);
	a->m = m ? msg_ref(m) : NULL;
	a->c = c;
	a->owner = c->session ? (const void *)c->session : (const void *)c;
	a->pid = pid;
	a->type = type;
	a->reason = reason;
	bs->a_count++;
	return 0;
}

int broker_store_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason, uint64_t mark)
{
	struct broker_store *bs = c->b->store;

	if (!bs || (bs->staged == mark && !bs->a_count))
		return client_send_ack(c, type, pid, reason);
	return ack_push(c, type, pid, reason, mark, NULL);
}

int broker_store_puback(struct client *c, uint16_t pid, uint8_t reason, uint64_t mark,
			struct msg *m)
{
	struct broker_store *bs = c->b->store;

	/* a write msg.store_refs does not count was staged: only durability releases it */
	if (bs && bs->pinned > mark)
		m = NULL;
	if (!bs || (!bs->a_count && (bs->staged == mark || (m && !m->store_refs))))
		return client_send_ack(c, MQTT_PUBACK, pid, reason);
	return ack_push(c, MQTT_PUBACK, pid, reason, mark, m);
}

void broker_store_client_gone(struct client *c)
{
	struct broker_store *bs = c->b->store;

	if (bs)
		out_unhold(bs, c);
	for (uint32_t i = 0; bs && i < bs->a_count; i++) {
		struct broker_ack *a = &bs->acks[(bs->a_head + i) & (bs->a_cap - 1)];

		if (a->c == c)
			a->c = NULL;
	}
	for (uint32_t i = bs ? bs->tx_i + 1 : 0; bs && i < bs->tx_n; i++)
		if (bs->tx[i].c == c)
			bs->tx[i].c = NULL;
}

int broker_store_admit(struct client *c, uint8_t qos, uint16_t pid)
{
	struct broker_store *bs = c->b->store;

	if (!bs || !qos || store_writable(bs->st))
		return 1;
	if (c->version == MQTT_V5) {
		client_send_ack(c, qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, pid,
				MQTT_RC_QUOTA_EXCEEDED);
		return 0;
	}
	/* 3.1.1 has no negative ack: the client sends it again after it reconnects */
	client_close(c, 0xFF, "the store cannot be written");
	return -1;
}

/* ---- sessions ---- */

/* Stage an outgoing entry for m; its seq, 0 when nothing was staged. */
static uint64_t out_add(struct broker *b, struct session *s, struct msg *m, uint8_t qos,
			uint8_t retain, uint32_t sub_id, uint16_t share)
{
	uint64_t id = msg_hold(b, m), seq;

	if (!id)
		return 0;
	seq = store_out_add(b->store->st, s->store_id, id, qos, retain, sub_id, share);
	if (!seq)
		msg_drop(m);
	else
		b->store->staged++;
	return seq;
}

uint64_t broker_store_spill(struct broker *b, struct session *s, struct msg *m, uint8_t qos,
			    uint8_t retain, uint32_t sub_id, uint16_t share)
{
	struct broker_store *bs = b->store;
	uint64_t seq = out_add(b, s, m, qos, retain, sub_id, share);

	if (!seq)
		return 0;
	broker_store_pin(bs); /* no reference in memory stands for it: the PUBACK waits */
	/* m's reference goes at the commit: until then the next session's entry reuses the id */
	if (bs->n_pins && bs->pins[bs->n_pins - 1] == m) {
		msg_drop(m);
		return seq;
	}
	if (bs->n_pins == bs->pins_cap) {
		uint32_t cap = bs->pins_cap ? bs->pins_cap * 2 : 16;
		struct msg **n = realloc(bs->pins, cap * sizeof(*n));

		if (!n) {
			msg_drop(m); /* a later entry stores its own copy */
			return seq;
		}
		bs->pins = n;
		bs->pins_cap = cap;
	}
	bs->pins[bs->n_pins++] = msg_ref(m);
	return seq;
}

void broker_spill_unpin(struct broker_store *bs)
{
	for (uint32_t i = 0; i < bs->n_pins; i++) {
		msg_drop(bs->pins[i]);
		msg_unref(bs->pins[i]);
	}
	bs->n_pins = 0;
}

/* A session stored for the first time: what it already holds goes with it. */
static void session_contents(struct broker *b, struct session *s)
{
	struct store *st = b->store->st;
	struct qos_entry *e;
	uint32_t i = 0;

	for (uint32_t k = 0; k < s->n_subs; k++)
		store_sub_put(st, s->store_id, s->subs[k].filter, s->subs[k].len, s->subs[k].opts,
			      s->subs[k].sub_id);
	while ((e = qos_out_at(&s->qos, &i)))
		broker_store_sent(b, s, e); /* a PUBREL-state entry has no message: not kept */
	for (uint32_t k = 0; k < session_queue_count(s); k++) {
		struct session_queued *q = session_queue_at(s, k);

		if (q->qos && !q->store_seq)
			q->store_seq =
			    out_add(b, s, q->msg, q->qos, q->retain, q->sub_id, q->share);
	}
	for (uint32_t k = 0; k < qos_rx2_count(&s->qos); k++)
		store_rx2_add(st, s->store_id, qos_rx2_at(&s->qos, k));
}

void broker_store_session(struct broker *b, struct session *s, int64_t disconnect_ms,
			  const struct msg *will, uint32_t will_delay)
{
	struct store_session ss;
	bool fresh = !s->store_id;

	if (!b->store)
		return;
	if (!s->expiry_interval) {
		broker_store_session_del(b, s);
		return;
	}
	ss = (struct store_session){
	    .id = s->store_id,
	    .client_id = s->client_id,
	    .username = s->username,
	    .disconnect_ms = disconnect_ms,
	    .expiry_interval = s->expiry_interval,
	    .client_id_len = (uint16_t)strlen(s->client_id),
	    .username_len = s->username ? (uint16_t)strlen(s->username) : 0,
	    .listener = s->auth_idx,
	    .proto = s->proto ? s->proto : 4,
	    .has_will = will != NULL,
	};
	if (will)
		ss.will = (struct store_will){
		    .topic = (const uint8_t *)will->topic,
		    .props = will->props_len ? will->props : NULL,
		    .payload = will->payload,
		    .props_len = will->props_len,
		    .payload_len = will->payload_len,
		    .delay = will_delay,
		    .topic_len = will->topic_len,
		    .qos = will->qos,
		    .retain = will->retain,
		};
	if (store_session_put(b->store->st, &ss) < 0)
		return;
	s->store_id = ss.id;
	b->store->staged++;
	if (fresh)
		session_contents(b, s);
}

void broker_store_session_del(struct broker *b, struct session *s)
{
	struct qos_entry *e;
	uint32_t i = 0;

	if (!b->store || !s->store_id)
		return;
	while ((e = qos_out_at(&s->qos, &i))) {
		if (e->store_seq)
			msg_drop(e->msg); /* NULL once PUBREC released it (dropped then) */
		e->store_seq = 0;
	}
	for (uint32_t k = 0; k < session_queue_count(s); k++) {
		struct session_queued *q = session_queue_at(s, k);

		if (q->store_seq)
			msg_drop(q->msg);
		q->store_seq = 0;
	}
	store_session_del(b->store->st, s->store_id);
	b->store->staged++;
	if (s->spill) { /* its queue's tail in the store went with it (broker_spill.c) */
		if (s->spill->n && s->client)
			log_info("Client %s: %u queued messages kept in the store end with its "
				 "stored session.",
				 s->client_id, s->spill->n);
		free(s->spill);
		s->spill = NULL;
	}
	s->store_id = 0;
}

void broker_store_sub(struct broker *b, struct session *s, const char *filter, uint16_t len,
		      uint8_t opts, uint32_t sub_id)
{
	if (b->store && s->store_id &&
	    !store_sub_put(b->store->st, s->store_id, filter, len, opts, sub_id))
		b->store->staged++;
}

void broker_store_unsub(struct broker *b, struct session *s, const char *filter, uint16_t len)
{
	if (b->store && s->store_id && !store_sub_del(b->store->st, s->store_id, filter, len))
		b->store->staged++;
}

/* ---- messages ---- */

uint64_t broker_store_queued(struct broker *b, struct session *s, struct msg *m, uint8_t qos,
			     uint8_t retain, uint32_t sub_id, uint16_t share)
{
	if (!b->store || !s->store_id || !qos)
		return 0;
	/* for an offline session: no acknowledgement releases its publisher's PUBACK soon (an
	 * online one's queue drains as it acknowledges; at worst the writer lingers once) */
	if (!s->client)
		store_want(b->store->st, store_batch_peek(b->store->st));
	return out_add(b, s, m, qos, retain, sub_id, share);
}

void broker_store_sent(struct broker *b, struct session *s, struct qos_entry *e)
{
	if (!b->store || !s->store_id || !e->msg)
		return;
	if (!e->store_seq)
		e->store_seq = out_add(b, s, e->msg, e->qos, e->retain, e->sub_id, e->share);
	if (e->store_seq &&
	    !store_out_sent(b->store->st, s->store_id, e->store_seq, e->pid, false)) {
		b->store->staged++;
		if (e->qos == 2)
			out_hold(b->store, s->client);
	}
}

void broker_store_out_ack(struct broker *b, struct session *s, uint8_t type, uint16_t pid,
			  uint8_t reason)
{
	struct qos_entry *e;
	bool pubrel;

	if (!b->store || !s->store_id || !(e = qos_out_find(&s->qos, pid)) || !e->store_seq)
		return;
	pubrel = type == MQTT_PUBREC && e->state == QOS_WAIT_PUBREC && reason < 0x80;
	if (!((type == MQTT_PUBACK && e->state == QOS_WAIT_PUBACK) ||
	      (type == MQTT_PUBREC && e->state == QOS_WAIT_PUBREC) ||
	      (type == MQTT_PUBCOMP && e->state == QOS_WAIT_PUBCOMP) || !type))
		return; /* a duplicate or a protocol error: nothing changes */
	if (pubrel) {
		store_out_pubrel(b->store->st, s->store_id, e->store_seq, pid);
		out_hold(b->store, s->client);
	} else {
		/* the row's message, so the writer need not read it (after PUBREL it has none) */
		uint64_t id = e->msg && e->state != QOS_WAIT_PUBCOMP ? e->msg->store_id : 0;

		store_out_del_msg(b->store->st, s->store_id, e->store_seq, id);
	}
	msg_drop(e->msg);
	if (!pubrel)
		e->store_seq = 0;
	b->store->staged++;
}

void broker_store_resume(struct client *c)
{
	struct broker_store *bs = c->b->store;
	struct session *s = c->session;
	struct qos_entry *e;
	uint32_t i = 0;
	uint64_t last;

	if (!bs || !s->store_id)
		return;
	/* the last batch with content: an empty one is never committed, so never durable */
	last = store_batch_peek(bs->st) - (bs->staged == bs->committed);
	if (last <= store_durable_seq(bs->st))
		return;
	while ((e = qos_out_at(&s->qos, &i))) {
		if (e->qos == 2 && e->store_seq) {
			out_hold_until(bs, c, last);
			return;
		}
	}
}

void broker_store_out_del(struct broker *b, struct session *s, uint64_t seq, struct msg *m)
{
	if (!b->store || !s->store_id || !seq)
		return;
	store_out_del_msg(b->store->st, s->store_id, seq, m ? m->store_id : 0);
	msg_drop(m);
	b->store->staged++;
}

void broker_store_rx2(struct broker *b, struct session *s, uint16_t pid, bool add)
{
	int r;

	if (!b->store || !s->store_id)
		return;
	r = add ? store_rx2_add(b->store->st, s->store_id, pid)
		: store_rx2_del(b->store->st, s->store_id, pid);
	if (!r)
		b->store->staged++;
}

void broker_store_retain(struct broker *b, const char *topic, uint16_t len, struct msg *m,
			 struct msg *old)
{
	uint64_t id;

	/* $SYS topics are the broker's own, made again at start: never stored */
	if (!b->store || (len && topic[0] == '$') || (!m && !(old && old->store_id)))
		return;
	if (m) {
		id = msg_hold(b, m);
		if (!id)
			return;
		const struct msg_source *ms = m->source;
		struct store_source src = {0};

		if (ms) {
			src.id = ms->id;
			src.id_len = (uint16_t)strnlen(ms->id, UINT16_MAX);
			src.username = ms->username;
			src.username_len =
			    ms->username ? (uint16_t)strnlen(ms->username, UINT16_MAX) : 0;
			src.listener = ms->listener;
		}
		if (store_retain_set(b->store->st, topic, len, id, ms ? &src : NULL) < 0) {
			msg_drop(m);
			return;
		}
	} else if (store_retain_del(b->store->st, topic, len) < 0) {
		return;
	}
	msg_drop(old);
	b->store->staged++;
	store_want(b->store->st, store_batch_peek(b->store->st)); /* nothing else releases it */
	/* a deletion holds no message: the publisher's PUBACK waits for it to be durable */
	if (!m)
		broker_store_pin(b->store);
}
