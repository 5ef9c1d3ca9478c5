/* SPDX-License-Identifier: MIT */
/*
 * store_stage: the loop-thread side. Staging copies into the open batch (an op array and one
 * byte arena), allocates ids, and never touches SQLite; store_commit() hands the batch over
 * under the mutex. Nothing here blocks on I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"
#include "vec.h"

static struct store_batch *batch(struct store *st)
{
	struct store_batch *b = st->reuse;

	if (st->cur)
		return st->cur;
	if (b) {
		/* the thread's memory is ours once store_commit() took it under mu */
		st->reuse = b->next;
		b->next = NULL;
		b->n = b->alen = 0;
		st->cur = b;
	} else {
		st->cur = calloc(1, sizeof(*st->cur));
	}
	return st->cur;
}

/* A new op in the open batch, zeroed, or NULL on ENOMEM. */
static struct store_op *op_new(struct store *st, enum store_op_kind kind)
{
	struct store_batch *b = batch(st);

	if (!b)
		return NULL;
	if (VEC_GROW(b->ops, b->n, b->cap, 64))
		return NULL;
	memset(&b->ops[b->n], 0, sizeof(b->ops[0]));
	b->ops[b->n].kind = (uint8_t)kind;
	return &b->ops[b->n++];
}

/* Copy len bytes into the arena (p NULL: just reserve them); offset in *off. 0 or -ENOMEM. */
static int copy_in(struct store *st, const void *p, size_t len, size_t *off)
{
	struct store_batch *b = st->cur;

	if (b->alen + len > b->acap) {
		size_t ncap = b->acap ? b->acap : 4096;
		uint8_t *n;

		while (ncap < b->alen + len)
			ncap *= 2;
		n = realloc(b->arena, ncap);
		if (!n)
			return -ENOMEM;
		b->arena = n;
		b->acap = ncap;
	}
	*off = b->alen;
	if (p && len)
		memcpy(b->arena + b->alen, p, len);
	b->alen += len;
	return 0;
}

/* Forget the last op (its copy failed). */
static int op_drop(struct store *st)
{
	st->cur->n--;
	return -ENOMEM;
}

/* An op with a key string (topic, filter, client id, bridge name). */
static struct store_op *op_key(struct store *st, enum store_op_kind kind, const void *key,
			       uint16_t len)
{
	struct store_op *o = op_new(st, kind);

	if (!o)
		return NULL;
	o->s_len = len;
	if (copy_in(st, key, len, &o->s_off)) {
		op_drop(st);
		return NULL;
	}
	return o;
}

uint64_t store_msg_add(struct store *st, const struct store_msg *m)
{
	struct store_op *o = op_key(st, OP_MSG_ADD, m->topic, m->topic_len);

	if (!o)
		return 0;
	o->qos = m->qos;
	o->retain = m->retain;
	o->expiry = m->expiry_ms;
	o->p_len = m->props_len;
	o->b_len = m->payload_len;
	if (copy_in(st, m->props, m->props_len, &o->p_off) ||
	    copy_in(st, m->payload, m->payload_len, &o->b_off)) {
		op_drop(st);
		return 0;
	}
	o->sid = st->next_msg++;
	return o->sid;
}

int store_session_put(struct store *st, struct store_session *s)
{
	size_t n = store_record_session_size(s);
	struct store_op *o = op_key(st, OP_SESS_PUT, s->client_id, s->client_id_len);
	int len;

	if (!o)
		return -ENOMEM;
	if (copy_in(st, NULL, n, &o->b_off))
		return op_drop(st);
	len = store_record_session_encode(s, st->cur->arena + o->b_off, n);
	if (len < 0) {
		st->cur->alen -= n;
		st->cur->n--;
		return len;
	}
	o->b_len = (uint32_t)len;
	if (!s->id)
		s->id = st->next_sid++;
	o->sid = s->id;
	return 0;
}

int store_session_del(struct store *st, uint64_t sid)
{
	struct store_op *o = op_new(st, OP_SESS_DEL);

	if (!o)
		return -ENOMEM;
	o->sid = sid;
	return 0;
}

int store_sub_put(struct store *st, uint64_t sid, const char *filter, uint16_t len, uint8_t opts,
		  uint32_t sub_id)
{
	struct store_op *o = op_key(st, OP_SUB_PUT, filter, len);

	if (!o)
		return -ENOMEM;
	o->sid = sid;
	o->qos = opts;
	o->sub_id = sub_id;
	return 0;
}

int store_sub_del(struct store *st, uint64_t sid, const char *filter, uint16_t len)
{
	struct store_op *o = op_key(st, OP_SUB_DEL, filter, len);

	if (!o)
		return -ENOMEM;
	o->sid = sid;
	return 0;
}

uint64_t store_out_add(struct store *st, uint64_t sid, uint64_t msg_id, uint8_t qos, uint8_t retain,
		       uint32_t sub_id, uint16_t share)
{
	struct store_op *o = op_new(st, OP_OUT_ADD);

	if (!o)
		return 0;
	o->sid = sid;
	o->msg = msg_id;
	o->qos = qos;
	o->retain = retain;
	o->sub_id = sub_id;
	o->share = share;
	o->seq = st->next_seq++;
	return o->seq;
}

/* An op on one (sid, seq) or (sid, pid) entry. */
static int op_entry(struct store *st, enum store_op_kind kind, uint64_t sid, uint64_t seq,
		    uint16_t pid, bool dup)
{
	struct store_op *o = op_new(st, kind);

	if (!o)
		return -ENOMEM;
	o->sid = sid;
	o->seq = seq;
	o->pid = pid;
	o->dup = dup;
	return 0;
}

int store_out_sent(struct store *st, uint64_t sid, uint64_t seq, uint16_t pid, bool dup)
{
	return op_entry(st, OP_OUT_SENT, sid, seq, pid, dup);
}

int store_out_pubrel(struct store *st, uint64_t sid, uint64_t seq, uint16_t pid)
{
	return op_entry(st, OP_OUT_PUBREL, sid, seq, pid, false);
}

int store_out_del(struct store *st, uint64_t sid, uint64_t seq)
{
	return op_entry(st, OP_OUT_DEL, sid, seq, 0, false);
}

int store_out_del_msg(struct store *st, uint64_t sid, uint64_t seq, uint64_t msg_id)
{
	int e = op_entry(st, OP_OUT_DEL, sid, seq, 0, false);

	if (!e)
		st->cur->ops[st->cur->n - 1].msg = msg_id;
	return e;
}

int store_rx2_add(struct store *st, uint64_t sid, uint16_t pid)
{
	return op_entry(st, OP_RX2_ADD, sid, 0, pid, false);
}

int store_rx2_del(struct store *st, uint64_t sid, uint16_t pid)
{
	return op_entry(st, OP_RX2_DEL, sid, 0, pid, false);
}

int store_retain_set(struct store *st, const char *topic, uint16_t len, uint64_t msg_id,
		     const struct store_source *src)
{
	struct store_op *o = op_key(st, OP_RET_SET, topic, len);

	if (!o)
		return -ENOMEM;
	o->msg = msg_id;
	if (!src || !src->id)
		return 0;
	/* the publisher: id as the blob, user name as the props, dup: known, retain: has a user */
	o->dup = 1;
	o->retain = src->username != NULL;
	o->pid = src->listener;
	o->b_len = src->id_len;
	o->p_len = src->username ? src->username_len : 0;
	if (copy_in(st, src->id, o->b_len, &o->b_off) ||
	    copy_in(st, src->username, o->p_len, &o->p_off)) {
		op_drop(st);
		return -ENOMEM;
	}
	return 0;
}

int store_retain_del(struct store *st, const char *topic, uint16_t len)
{
	return op_key(st, OP_RET_DEL, topic, len) ? 0 : -ENOMEM;
}

uint64_t store_bridge_add(struct store *st, const char *bridge, uint16_t len, uint64_t msg_id,
			  uint8_t qos)
{
	struct store_op *o = op_key(st, OP_BR_ADD, bridge, len);

	if (!o)
		return 0;
	o->msg = msg_id;
	o->qos = qos;
	o->seq = st->next_seq++;
	return o->seq;
}

int store_bridge_state(struct store *st, const char *bridge, uint16_t len, uint64_t seq,
		       uint8_t state)
{
	struct store_op *o = op_key(st, OP_BR_STATE, bridge, len);

	if (!o)
		return -ENOMEM;
	o->seq = seq;
	o->state = state;
	return 0;
}

int store_bridge_del(struct store *st, const char *bridge, uint16_t len, uint64_t seq)
{
	return store_bridge_del_msg(st, bridge, len, seq, 0);
}

int store_bridge_del_msg(struct store *st, const char *bridge, uint16_t len, uint64_t seq,
			 uint64_t msg_id)
{
	struct store_op *o = op_key(st, OP_BR_DEL, bridge, len);

	if (!o)
		return -ENOMEM;
	o->seq = seq;
	o->msg = msg_id;
	return 0;
}

uint64_t store_commit(struct store *st)
{
	struct store_batch *b = st->cur;

	if (!b || !b->n)
		return st->last_batch;
	st->cur = NULL;
	b->seq = ++st->last_batch;
	b->t_us = store_now_us();
	pthread_mutex_lock(&st->mu);
	*st->pend_tail = b;
	st->pend_tail = &b->next;
	st->stats.committed_seq = b->seq;
	if (!st->reuse) {
		st->reuse = st->spare;
		st->spare = NULL;
		st->spare_n = 0;
	}
	/* a lingering thread wakes at its deadline anyway: only a wanted batch cuts it short */
	if (!st->lingering || b->seq <= atomic_load(&st->want))
		pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	/* b is the thread's now (it may be freed already) */
	return st->last_batch;
}

uint64_t store_batch_peek(const struct store *st)
{
	return st->last_batch + 1;
}

void store_want(struct store *st, uint64_t seq)
{
	if (seq <= atomic_load(&st->want))
		return;
	atomic_store(&st->want, seq); /* only this thread raises it */
	if (seq > st->last_batch)
		return; /* the open batch: store_commit() signals when it is handed over */
	/* handed over already (a resumed session's resend): cut the linger short */
	pthread_mutex_lock(&st->mu);
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

uint64_t store_batch_next(struct store *st)
{
	store_want(st, st->last_batch + 1);
	return st->last_batch + 1;
}

uint64_t store_durable_seq(const struct store *st)
{
	return atomic_load(&((struct store *)st)->durable);
}

int store_event_fd(const struct store *st)
{
	return st->efd;
}

uint64_t store_dispatch(struct store *st)
{
	uint64_t v;
	ssize_t r = read(st->efd, &v, sizeof(v));

	(void)r; /* EAGAIN: nothing new since the last read */
	return store_durable_seq(st);
}

bool store_writable(const struct store *st)
{
	return atomic_load(&((struct store *)st)->writable);
}

void store_stats(const struct store *st, struct store_stats *out)
{
	struct store *s = (struct store *)st;

	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}
