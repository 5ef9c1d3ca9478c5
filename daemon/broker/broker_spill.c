/* SPDX-License-Identifier: MIT */
/*
 * broker_spill: a stored session's long queue lives in the durable store, not in memory.
 *
 * A stored session keeps at most BROKER_SPILL_MEM queued entries in memory (session.q, with
 * their messages): a QoS 1/2 message for it that comes while it is offline and that head is
 * full, or while entries already wait in the store only, is staged to the store alone
 * (session.spill counts them: entries, payload bytes, the seq after which they start). Every
 * such entry comes after every entry in memory, and the store returns them in seq order, so the
 * order holds. When the session is online and its head in memory is half drained, the store
 * thread reads the next page back (store_session_fetch -> broker_spill_fetched), as a bridge
 * reads its spilled queue (bridge_out.c). At start-up the store hands over the first
 * BROKER_SPILL_MEM queued entries of each session with their messages and only counts the rest
 * (broker_spill_restore), so a start with a million queued messages builds a thousand.
 *
 * What stays as it was: max_queued_messages / max_queued_bytes count the tail (messages from
 * the store's counts, bytes from payload lengths); a message that expired in the store is
 * dropped (and its entry deleted) when it is read back; a session's end deletes its tail with
 * it (store_session_del); in-flight entries (sent, PUBREL) are always in memory. Not carried
 * over: when a session stops being stored while it is in use (it reconnects with Session
 * Expiry 0) its tail goes with the store's copy, and the tail of a session that ends does not
 * go to the other members of its shared subscriptions (its head in memory does).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_deliver.h"
#include "broker_store.h"
#include "log.h"

static struct session_spill *spill_get(struct session *s)
{
	if (!s->spill)
		s->spill = calloc(1, sizeof(*s->spill));
	return s->spill;
}

/* Tail bookkeeping: one entry of size bytes taken from the tail (read back, expired, gone). */
static void tail_take(struct session_spill *sp, uint64_t seq, uint64_t bytes)
{
	sp->after = seq;
	sp->n--;
	sp->bytes -= bytes < sp->bytes ? bytes : sp->bytes;
}

static void tail_add(struct session_spill *sp, uint64_t seq, uint64_t bytes)
{
	if (!sp->n)
		sp->after = seq - 1; /* every entry in memory is older */
	sp->n++;
	sp->bytes += bytes;
}

int broker_spill_deliver(struct broker *b, struct session *s, struct msg *m, uint8_t qos,
			 uint8_t retain, uint32_t sub_id, uint16_t share, bool online,
			 uint32_t mult)
{
	const struct config *cfg = b->cfg;
	uint32_t n = broker_spill_n(s);
	uint64_t bytes = s->spill ? s->spill->bytes : 0, seq;
	struct session_spill *sp;

	if (!b->store || !s->store_id || !qos)
		return 0;
	if (!n && (online || session_queue_count(s) < BROKER_SPILL_MEM))
		return 0;
	if (cfg->max_queued_messages &&
	    broker_session_queued(s) >= (uint64_t)cfg->max_queued_messages * mult)
		return -ENOBUFS;
	if (cfg->max_queued_bytes &&
	    session_queue_bytes(s) + bytes + m->payload_len > cfg->max_queued_bytes * mult)
		return -ENOBUFS;
	if (!(sp = spill_get(s)))
		return -ENOMEM;
	seq = broker_store_spill(b, s, m, qos, retain, sub_id, share);
	if (!seq)
		return -ENOMEM;
	tail_add(sp, seq, m->payload_len);
	sp->batch = store_batch_next(b->store->st);
	return 1;
}

int broker_spill_restore(struct session *s, const struct store_out *e)
{
	struct session_spill *sp;

	if (!broker_spill_n(s) && session_queue_count(s) < BROKER_SPILL_MEM)
		return 0;
	if (!(sp = spill_get(s)))
		return -ENOMEM;
	tail_add(sp, e->seq, e->payload_len);
	return 1;
}

void broker_spill_refill(struct broker *b, struct session *s)
{
	struct session_spill *sp = s->spill;

	if (!sp || !sp->n || sp->fetching || !b->store || !s->store_id ||
	    session_queue_count(s) > BROKER_SPILL_MEM / 2)
		return;
	if (!store_session_fetch(b->store->st, s->store_id, s->client_id,
				 (uint16_t)strlen(s->client_id), sp->after,
				 BROKER_SPILL_MEM - session_queue_count(s)))
		sp->fetching = true;
}

/* Row r of s's tail into its queue in memory. 0, or -ENOMEM (the next read-back asks again
 * from this row). */
static int take_row(struct broker *b, struct session *s, const struct store_fetch_row *r)
{
	struct session_spill *sp = s->spill;
	struct msg *m;

	if (r->e.qos < 1 || r->e.qos > 2 || !r->m.topic_len) { /* damaged: dropped */
		store_out_del(b->store->st, s->store_id, r->e.seq);
		b->store->staged++;
		s->dropped++;
		tail_take(sp, r->e.seq, r->m.payload_len);
		return 0;
	}
	if (!(m = broker_store_msg_new(b, &r->m)))
		return -ENOMEM;
	m->store_refs = 1; /* the entry's durable reference */
	if (m->expiry && m->expiry <= loop_now(b->loop)) {
		broker_store_out_del(b, s, r->e.seq, m); /* expired in the store */
	} else if (session_queue_push(s, m, r->e.qos, r->retain, r->sub_id, 0, 0) < 0) {
		msg_unref(m);
		return -ENOMEM;
	} else {
		session_queue_last(s)->store_seq = r->e.seq;
		session_queue_last(s)->share = r->share;
	}
	msg_unref(m);
	tail_take(sp, r->e.seq, r->m.payload_len);
	return 0;
}

void broker_spill_fetched(struct broker *b, const struct store_fetch *f)
{
	struct session *s = session_find(&b->sessions, f->bridge, f->bridge_len);
	struct session_spill *sp = s ? s->spill : NULL;
	struct client *c;

	/* the session ended, or was stored again under another id, since it asked: stale */
	if (!sp || !sp->fetching || s->store_id != f->sid)
		return;
	sp->fetching = false;
	if (f->err) {
		log_warn("Client %s: reading its queue back from the store failed (%s); retrying.",
			 s->client_id, strerror(-f->err));
		sp->waiting = b->store->spill_waiting = true;
		return;
	}
	for (uint32_t i = 0; i < f->n && sp->n; i++) {
		if (f->rows[i].e.seq > sp->after && take_row(b, s, &f->rows[i]) < 0)
			break;
	}
	if (!f->n && sp->n) {
		if (store_durable_seq(b->store->st) >= sp->batch) {
			/* everything in the tail is durable and none of it is there */
			log_warn("Client %s: %u queued messages are missing from the store.",
				 s->client_id, sp->n);
			s->dropped += sp->n;
			sp->n = 0;
			sp->bytes = 0;
		} else {
			sp->waiting = b->store->spill_waiting = true;
		}
	}
	c = s->client;
	if (c && c->state == CLIENT_ACTIVE)
		broker_session_pump(c); /* asks for the next page when it drains */
}

static void retry_one(void *ctx, struct session *s)
{
	if (s->spill && s->spill->waiting) {
		s->spill->waiting = false;
		broker_spill_refill(ctx, s);
	}
}

void broker_spill_durable(struct broker *b)
{
	if (!b->store || !b->store->spill_waiting)
		return;
	b->store->spill_waiting = false;
	session_foreach(&b->sessions, retry_one, b);
}
