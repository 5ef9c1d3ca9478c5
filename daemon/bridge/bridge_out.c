/* SPDX-License-Identifier: MIT */
/*
 * bridge_out: the outbound queues of a bridge (QoS 1/2 entries mirrored in the store, QoS 0 in
 * memory), the send window, packet ids and acknowledgements. See include/bridge.h.
 *
 * With a store, memory holds only the head of the QoS 1/2 queue (BRIDGE_MEM_ENTRIES entries
 * with their messages): an entry staged while the head is full, or behind entries that already
 * spilled, is written to the store alone (bridge_enqueue returns BRIDGE_SPILLED), and the store
 * thread reads the next page back (store_bridge_fetch -> bridge_fetched) once the head is half
 * drained. A backlog of millions therefore costs disk, not RSS. Order holds: spilled entries
 * all come after every entry in memory, and a fetch returns them in seq order.
 *
 * Packet ids of entries are seq % BRIDGE_PID_SPAN + 1, so an entry keeps its id across a
 * restart of the gateway (the store keeps seqs, not ids); an entry whose id is still in use by
 * an older one waits, which keeps the order. Ids above BRIDGE_PID_SPAN are for the bridge's own
 * packets (SUBSCRIBE, the notification PUBLISH).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_int.h"
#include "codec.h"
#include "log.h"

#define PAYLOAD_BY_REF 512u

static char topic_buf[65536]; /* the loop is single-threaded */

static struct bridge_entry *at(const struct bridge_queue *q, uint32_t off)
{
	return &q->e[(q->head + off) % q->cap];
}

static uint16_t entry_pid(const struct bridge_entry *e)
{
	return (uint16_t)(e->seq % BRIDGE_PID_SPAN + 1);
}

uint16_t bridge_ctrl_pid(struct bridge *b)
{
	b->next_ctrl_pid = (uint16_t)((b->next_ctrl_pid + 1) % (65535 - BRIDGE_PID_SPAN));
	return (uint16_t)(BRIDGE_PID_SPAN + 1 + b->next_ctrl_pid);
}

int bridge_out_init(struct bridge *b)
{
	b->q0_cap = b->cfg->max_queued ? b->cfg->max_queued : BRIDGE_QOS0_QUEUE_DEFAULT;
	b->q0 = calloc(b->q0_cap, sizeof(*b->q0));
	b->pidmap = calloc(BRIDGE_PID_SPAN + 1, sizeof(*b->pidmap));
	return b->q0 && b->pidmap ? 0 : -ENOMEM;
}

void bridge_out_fini(struct bridge *b)
{
	for (uint32_t i = 0; i < b->q.n; i++)
		msg_unref(at(&b->q, i)->m);
	free(b->q.e);
	for (uint32_t i = 0; i < b->q0_n; i++)
		msg_unref(b->q0[(b->q0_head + i) % b->q0_cap]);
	free(b->q0);
	free(b->pidmap);
}

uint8_t *bridge_out_reserve(struct bridge *b, size_t n)
{
	if (!b->conn || n > UINT32_MAX || outq_prepare(&b->conn->out, 1) < 0)
		return NULL;
	return outq_reserve(&b->conn->out, (uint32_t)n);
}

void bridge_out_commit(struct bridge *b, size_t n)
{
	outq_commit(&b->conn->out, (uint32_t)n);
	outq_frame_done(&b->conn->out);
	b->last_tx = loop_now(b->loop);
	conn_want_flush(b->conn);
}

/* PUBLISH m upstream. 0; -EMSGSIZE / -ENOENT (cannot be sent: the caller drops it); -ENOMEM. */
static int send_publish(struct bridge *b, struct msg *m, uint8_t qos, uint16_t pid, bool dup)
{
	struct outq *q = &b->conn->out;
	uint32_t limit = b->cfg->max_packet_size;
	const uint8_t *props = b->version == MQTT_V5 ? m->props : NULL;
	uint32_t props_len = props ? m->props_len : 0;
	bool retain = m->retain && b->cfg->outgoing_retain && b->up_retain;
	size_t hdr, total;
	uint8_t *dst;
	int tl;

	tl = bridge_topic_out(b->cfg, m->topic, m->topic_len, topic_buf, sizeof(topic_buf), NULL);
	if (tl < 0)
		return -ENOENT; /* stored under a mapping the config no longer has */
	if (b->up_max_packet && (!limit || b->up_max_packet < limit))
		limit = b->up_max_packet;
	hdr = codec_publish_header_size(b->version, qos, (uint16_t)tl, props_len, m->payload_len);
	total = hdr + m->payload_len;
	if (limit && total > limit)
		return -EMSGSIZE;
	if (m->payload_len >= PAYLOAD_BY_REF) {
		if (outq_prepare(q, 2) < 0 || !(dst = outq_reserve(q, (uint32_t)hdr)))
			return -ENOMEM;
		codec_encode_publish(dst, hdr, b->version, qos, dup, retain,
				     (const uint8_t *)topic_buf, (uint16_t)tl, pid, props,
				     props_len, NULL, m->payload_len);
		outq_commit(q, (uint32_t)hdr);
		if (outq_append_ref(q, &m->rb, 0, m->payload_len) < 0)
			return -ENOMEM;
	} else {
		if (outq_prepare(q, 1) < 0 || !(dst = outq_reserve(q, (uint32_t)total)))
			return -ENOMEM;
		codec_encode_publish(dst, total, b->version, qos, dup, retain,
				     (const uint8_t *)topic_buf, (uint16_t)tl, pid, props,
				     props_len, m->payload, m->payload_len);
		outq_commit(q, (uint32_t)total);
	}
	outq_frame_done(q);
	b->st.sent++;
	b->last_tx = b->last_busy = loop_now(b->loop);
	conn_want_flush(b->conn);
	return 0;
}

static int send_pubrel(struct bridge *b, uint16_t pid)
{
	size_t n = codec_encode_ack(NULL, 0, b->version, MQTT_PUBREL, pid, 0, NULL, 0);
	uint8_t *p = bridge_out_reserve(b, n);

	if (!p)
		return -ENOMEM;
	codec_encode_ack(p, n, b->version, MQTT_PUBREL, pid, 0, NULL, 0);
	bridge_out_commit(b, n);
	return 0;
}

static int q_push(struct bridge_queue *q, const struct bridge_entry *e)
{
	if (q->n == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 64;
		struct bridge_entry *ne = malloc(cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		for (uint32_t i = 0; i < q->n; i++)
			ne[i] = *at(q, i);
		free(q->e);
		q->e = ne;
		q->head = 0;
		q->cap = cap;
	}
	*at(q, q->n++) = *e;
	if (e->state == BRIDGE_E_QUEUED)
		q->queued++;
	return 0;
}

/* Leave DONE entries at the head. */
static void q_trim(struct bridge_queue *q)
{
	while (q->n && at(q, 0)->state == BRIDGE_E_DONE) {
		q->head = (q->head + 1) % q->cap;
		q->first_abs++;
		q->n--;
		if (q->next_send)
			q->next_send--;
	}
}

/* The entry leaves the bridge (acknowledged, or dropped when `acked` is false). */
static void entry_done(struct bridge *b, struct bridge_entry *e, bool acked)
{
	if (e->state == BRIDGE_E_SENT || e->state == BRIDGE_E_PUBREL) {
		b->pidmap[entry_pid(e)] = BRIDGE_PID_FREE;
		b->q.inflight--;
	} else if (e->state == BRIDGE_E_QUEUED) {
		b->q.queued--;
	}
	e->state = BRIDGE_E_DONE;
	if (b->store) {
		b->del_batch = store_batch_peek(b->store);
		store_bridge_del_msg(b->store, b->cfg->name, b->name_len, e->seq, e->msg_id);
	}
	if (b->ops->release && b->store)
		b->ops->release(b->ctx, b, e->m, e->msg_id);
	msg_unref(e->m);
	e->m = NULL;
	if (acked)
		b->st.acked++;
	else
		b->st.dropped++;
	b->last_busy = loop_now(b->loop);
}

static void set_state(struct bridge *b, struct bridge_entry *e, uint8_t state)
{
	e->state = state;
	if (b->store)
		store_bridge_state(b->store, b->cfg->name, b->name_len, e->seq, state);
}

/* A new entry goes to the store only: the head in memory is full, or entries spilled before it
 * (order). Without a store, or a way to read entries back, everything stays in memory. */
static bool must_spill(const struct bridge *b)
{
	return b->store && b->ops->fetched_msg && (b->spill_n || b->q.n >= BRIDGE_MEM_ENTRIES);
}

/* Ask for the next page of spilled entries when the head in memory is half drained. The store
 * answers without waiting for a commit in progress (store_fetch.c), so a drain can ack faster
 * than the writer deletes: the deletes staged before the last page was asked must be durable
 * before the next one is, or they pile up in memory (a 300k drain peaked at 100 MB RSS). The
 * gate is the batch of the newest delete, never the batch open at the ask: an open batch that
 * gets no write is never committed, and a bridge waiting on it stalled until an unrelated write
 * came (a quiet broker: never). */
static void refill(struct bridge *b)
{
	if (!b->spill_n || b->fetching || b->q.n > BRIDGE_MEM_ENTRIES / 2)
		return;
	if (store_durable_seq(b->store) < b->refill_at)
		return; /* bridge_store_durable comes back here */
	if (!store_bridge_fetch(b->store, b->cfg->name, b->name_len, b->spill_after, b->spill_last,
				b->spill_batch, BRIDGE_MEM_ENTRIES - b->q.n)) {
		b->fetching = true;
		b->refill_at = b->del_batch;
	}
}

void bridge_out_pump(struct bridge *b)
{
	struct bridge_queue *q = &b->q;
	uint64_t durable = b->store ? store_durable_seq(b->store) : UINT64_MAX;
	uint32_t off;

	if (b->state != BRIDGE_UP || !b->conn)
		return;
	for (off = q->next_send; off < q->n && q->inflight < b->window; off++) {
		struct bridge_entry *e = at(q, off);
		uint16_t pid = entry_pid(e);
		int ret;

		if (e->state != BRIDGE_E_QUEUED)
			continue;
		if (e->batch > durable || b->pidmap[pid] != BRIDGE_PID_FREE)
			break;
		ret = send_publish(b, e->m, e->qos, pid, false);
		if (ret == -ENOMEM)
			break;
		if (ret < 0) {
			log_info_rl("Bridge %s: dropped a message on %s (%s).", b->cfg->name,
				    e->m->topic, ret == -EMSGSIZE ? "too large" : "no out topic");
			entry_done(b, e, false);
			continue;
		}
		q->queued--;
		q->inflight++;
		b->pidmap[pid] = q->first_abs + off + 1;
		set_state(b, e, BRIDGE_E_SENT);
	}
	q->next_send = off;
	q_trim(q);
	while (b->q0_n && b->conn->out.bytes < BRIDGE_QOS0_OUT_MAX) {
		struct msg *m = b->q0[b->q0_head];

		if (send_publish(b, m, 0, 0, false) == -ENOMEM)
			break;
		b->q0_head = (b->q0_head + 1) % b->q0_cap;
		b->q0_n--;
		msg_unref(m);
	}
	refill(b);
}

void bridge_out_resume(struct bridge *b)
{
	struct bridge_queue *q = &b->q;

	for (uint32_t off = 0; off < q->next_send; off++) {
		struct bridge_entry *e = at(q, off);

		if (e->state == BRIDGE_E_SENT) {
			int ret = send_publish(b, e->m, e->qos, entry_pid(e), true);

			if (ret < 0 && ret != -ENOMEM)
				entry_done(b, e, false);
		} else if (e->state == BRIDGE_E_PUBREL) {
			send_pubrel(b, entry_pid(e));
		}
	}
	q_trim(q);
	bridge_out_pump(b);
}

int bridge_out_ack(struct bridge *b, uint8_t type, uint16_t pid, uint8_t reason)
{
	struct bridge_entry *e;
	uint32_t v = pid <= BRIDGE_PID_SPAN ? b->pidmap[pid] : BRIDGE_PID_FREE;
	uint32_t off;

	if (pid > BRIDGE_PID_SPAN)
		return 0; /* the notification PUBLISH: nothing kept */
	if (v == BRIDGE_PID_FREE)
		return -ENOENT;
	off = v - 1 - b->q.first_abs;
	if (off >= b->q.n)
		return -ENOENT;
	e = at(&b->q, off);
	switch (type) {
	case MQTT_PUBACK:
		if (e->qos != 1 || e->state != BRIDGE_E_SENT)
			return -EBADMSG;
		entry_done(b, e, reason < MQTT_RC_UNSPECIFIED);
		break;
	case MQTT_PUBREC:
		if (e->qos != 2 || e->state == BRIDGE_E_DONE)
			return -EBADMSG;
		if (reason >= MQTT_RC_UNSPECIFIED) {
			entry_done(b, e, false); /* the upstream refused it: the flow ends here */
			break;
		}
		if (e->state == BRIDGE_E_SENT)
			set_state(b, e, BRIDGE_E_PUBREL);
		send_pubrel(b, pid);
		break;
	case MQTT_PUBCOMP:
		if (e->state != BRIDGE_E_PUBREL)
			return -EBADMSG;
		entry_done(b, e, true);
		break;
	default:
		return -EBADMSG;
	}
	q_trim(&b->q);
	bridge_out_pump(b);
	return 0;
}

/* Lazy start: enough queued to connect. */
static void maybe_wake(struct bridge *b)
{
	if (b->state == BRIDGE_IDLE && b->q.queued + b->spill_n + b->q0_n >= b->cfg->threshold)
		bridge_connect_now(b);
}

static int enqueue_qos0(struct bridge *b, struct msg *m)
{
	if (b->state == BRIDGE_UP && !b->q0_n && b->conn->out.bytes < BRIDGE_QOS0_OUT_MAX) {
		int ret = send_publish(b, m, 0, 0, false);

		if (ret != -ENOMEM) {
			if (ret < 0)
				b->st.dropped++;
			return ret == -ENOENT ? -ENOENT : 0;
		}
	}
	if (b->q0_n == b->q0_cap) {
		b->st.dropped++;
		return -ENOBUFS;
	}
	b->q0[(b->q0_head + b->q0_n++) % b->q0_cap] = msg_ref(m);
	maybe_wake(b);
	return 0;
}

static uint64_t stage_msg(struct bridge *b, const struct msg *m)
{
	int64_t exp = 0;
	struct store_msg sm;

	if (m->expiry)
		exp = loop_wall() * 1000 + (m->expiry - loop_now(b->loop));
	sm = (struct store_msg){
	    .topic = m->topic,
	    .props = m->props_len ? m->props : NULL,
	    .payload = m->payload,
	    .expiry_ms = exp,
	    .props_len = m->props_len,
	    .payload_len = m->payload_len,
	    .topic_len = m->topic_len,
	    .qos = m->qos,
	    .retain = m->retain,
	};
	return store_msg_add(b->store, &sm);
}

int bridge_enqueue(struct bridge *b, struct msg *m, uint64_t *msg_id)
{
	struct bridge_entry e = {0};
	uint8_t tq;
	int ret;

	ret = bridge_topic_out(b->cfg, m->topic, m->topic_len, topic_buf, sizeof(topic_buf), &tq);
	if (ret < 0)
		return ret == -ENOSPC ? -ENOBUFS : ret;
	e.qos = m->qos < tq ? m->qos : tq;
	if (!e.qos)
		return enqueue_qos0(b, m);
	if (b->cfg->max_queued && b->q.n + b->spill_n >= b->cfg->max_queued) {
		b->st.dropped++;
		return -ENOBUFS;
	}
	if (b->store) {
		if (!*msg_id)
			*msg_id = stage_msg(b, m);
		if (!*msg_id)
			return -ENOMEM;
		e.msg_id = *msg_id;
		e.batch = store_batch_next(b->store);
		e.seq = store_bridge_add(b->store, b->cfg->name, b->name_len, e.msg_id, e.qos);
		if (!e.seq)
			return -ENOMEM;
		if (must_spill(b)) {
			b->spill_n++;
			b->spill_batch = e.batch;
			b->spill_last = e.seq;
			maybe_wake(b);
			return BRIDGE_SPILLED;
		}
	} else {
		e.seq = ++b->own_seq;
	}
	e.m = msg_ref(m);
	ret = q_push(&b->q, &e);
	if (ret < 0) {
		msg_unref(m);
		if (b->store)
			store_bridge_del_msg(b->store, b->cfg->name, b->name_len, e.seq, e.msg_id);
		return ret;
	}
	b->spill_after = e.seq;
	maybe_wake(b);
	bridge_out_pump(b);
	return 0;
}

int bridge_load(struct bridge *b, const struct store_bridge_entry *se)
{
	struct bridge_entry e = {
	    .seq = se->seq,
	    .msg_id = se->msg_id,
	    .qos = se->qos,
	    .m = se->msg,
	};
	int ret;

	if (e.qos < 1 || e.qos > 2)
		return 0; /* nothing to send: dropped by the next delete of the bridge row */
	/* A SENT entry goes out again with DUP; its packet id is the one it had. */
	e.state = se->state == BRIDGE_E_PUBREL ? BRIDGE_E_PUBREL
		  : se->state == BRIDGE_E_SENT ? BRIDGE_E_SENT
					       : BRIDGE_E_QUEUED;
	if (e.state != BRIDGE_E_QUEUED && b->q.next_send != b->q.n) {
		/* out of order (sent entries always precede queued ones): resend as queued */
		e.state = BRIDGE_E_QUEUED;
	}
	if (e.state != BRIDGE_E_QUEUED) {
		if (b->pidmap[entry_pid(&e)] != BRIDGE_PID_FREE)
			e.state = BRIDGE_E_QUEUED;
	}
	if (b->own_seq < e.seq)
		b->own_seq = e.seq;
	if (must_spill(b)) {
		b->spill_n++; /* read back when the head drains (sent entries are all in the head) */
		b->spill_last = e.seq;
		return BRIDGE_SPILLED;
	}
	if (!e.m)
		return BRIDGE_WANT_MSG; /* kept in memory: the load builds its message */
	msg_ref(e.m);
	ret = q_push(&b->q, &e);
	if (ret < 0) {
		msg_unref(e.m);
		return ret;
	}
	b->spill_after = e.seq;
	if (e.state != BRIDGE_E_QUEUED) {
		b->pidmap[entry_pid(&e)] = b->q.first_abs + b->q.n;
		b->q.inflight++;
		b->q.next_send = b->q.n;
	}
	return 0;
}

void bridge_fetched(struct bridge *b, const struct store_fetch *f)
{
	uint32_t i;

	b->fetching = false;
	if (f->err) {
		log_warn("Bridge %s: reading the queue back from the store failed (%s); retrying.",
			 b->cfg->name, strerror(-f->err));
		return;
	}
	for (i = 0; i < f->n && b->spill_n; i++) {
		const struct store_fetch_row *r = &f->rows[i];
		struct bridge_entry e = {
		    .seq = r->e.seq,
		    .msg_id = r->e.msg_id,
		    .qos = r->e.qos,
		    .state = BRIDGE_E_QUEUED, /* never sent: sent entries are all in the head */
		};

		if (e.seq <= b->spill_after)
			continue;
		if (e.qos < 1 || e.qos > 2) { /* a damaged row: skipped, as bridge_load skips it */
			b->spill_after = e.seq;
			b->spill_n--;
			b->st.dropped++;
			continue;
		}
		if (!(e.m = b->ops->fetched_msg(b->ctx, b, &r->m)))
			break; /* ENOMEM: the next fetch asks again from here */
		if (q_push(&b->q, &e) < 0) {
			b->ops->release(b->ctx, b, e.m, e.msg_id);
			msg_unref(e.m);
			break;
		}
		b->spill_after = e.seq;
		b->spill_n--;
	}
	if (!f->n && b->spill_n && f->durable < f->batch) {
		/* read before the batch holding the rows asked for was durable: again once it is
		 * (it holds those rows' writes, so it commits) */
		if (f->batch > b->refill_at)
			b->refill_at = f->batch;
	} else if (!f->n && b->spill_n && f->upto < b->spill_last) {
		b->spill_after = f->upto; /* none up to upto is there: ask for the later ones */
	} else if (!f->n && b->spill_n) {
		/* everything spilled was durable when read and none of it is there (rows dropped
		 * at load); the durable seq of now could be of a commit after the read */
		log_warn("Bridge %s: %llu queued messages are missing from the store.",
			 b->cfg->name, (unsigned long long)b->spill_n);
		b->st.dropped += b->spill_n;
		b->spill_n = 0;
	}
	bridge_out_pump(b);
}

void bridge_store_durable(struct bridge *b)
{
	bridge_out_pump(b);
}
