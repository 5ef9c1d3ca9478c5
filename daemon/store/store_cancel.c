/* SPDX-License-Identifier: MIT */
/*
 * store_cancel: before the writer applies the batches it merged into one transaction, drop the
 * writes that cancel out inside them. An outgoing entry added and deleted within them (a QoS 1
 * message its online subscriber acknowledged while the previous commit was fsyncing) is never
 * written: its add, its state changes and its delete all go. A message whose every reference
 * went that way is not written either. An entry stored earlier and deleted within them (a
 * draining bridge or session queue: sent, then acknowledged) loses its state changes: the
 * delete removes the row whatever its state. The rows the transaction leaves are the same as if
 * each op had been applied, so what is durable after it is unchanged; only the work is not done.
 * Run again on a retry (the list only grows at its end; a decision never needs undoing: a
 * message nothing refers to any more is forgotten by the broker, nothing later names it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* Grow *p to hold n elements of size elem. 0 or -ENOMEM. */
static int grow_to(void **p, size_t *cap, size_t n, size_t elem)
{
	void *np;

	if (n <= *cap)
		return 0;
	np = realloc(*p, n * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = n;
	return 0;
}

void store_cancel_free(struct store_cancel *c)
{
	free(c->seq_state);
	free(c->msg_refs);
	free(c->dels);
	memset(c, 0, sizeof(*c));
}

enum { SEQ_NONE = 0, SEQ_ADDED = 1, SEQ_GONE = 2 };
#define NOT_HERE UINT32_MAX /* msg_refs: a message not added in this transaction */

static bool refers_msg(uint8_t kind)
{
	return kind == OP_OUT_ADD || kind == OP_RET_SET || kind == OP_BR_ADD;
}

static bool out_op(uint8_t kind)
{
	return kind == OP_OUT_ADD || kind == OP_OUT_SENT || kind == OP_OUT_PUBREL ||
	       kind == OP_OUT_DEL;
}

/*
 * Entry seqs and message ids are allocated in increasing order as ops are staged, so those
 * added in one transaction form a dense range: plain arrays indexed from its first one, read
 * and written almost in order (a hash table of random slots cost a cache miss per op).
 */
static size_t cancel_added(struct store_cancel *c, struct store_batch *list)
{
	uint64_t s_lo = UINT64_MAX, s_hi = 0, m_lo = UINT64_MAX, m_hi = 0;
	size_t n = 0, msgs = 0, sr, mr;

	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			const struct store_op *o = &b->ops[i];

			if (o->dead)
				continue;
			n++;
			if (o->kind == OP_OUT_ADD) {
				s_lo = o->seq < s_lo ? o->seq : s_lo;
				s_hi = o->seq > s_hi ? o->seq : s_hi;
			} else if (o->kind == OP_MSG_ADD) {
				m_lo = o->sid < m_lo ? o->sid : m_lo;
				m_hi = o->sid > m_hi ? o->sid : m_hi;
			}
		}
	if (s_lo > s_hi)
		return 0; /* no entry added: none can cancel */
	if (m_lo > m_hi)
		m_lo = m_hi = 0;
	sr = (size_t)(s_hi - s_lo + 1);
	mr = (size_t)(m_hi - m_lo + 1);
	/* not dense (cannot happen with ids that only grow): nothing is cancelled. Likewise
	 * without memory for the arrays: every op is then applied */
	if (sr > 2 * n + 64 || mr > 2 * n + 64 ||
	    grow_to((void **)&c->seq_state, &c->seq_cap, sr, sizeof(*c->seq_state)) ||
	    grow_to((void **)&c->msg_refs, &c->msg_cap, mr, sizeof(*c->msg_refs)))
		return 0;
	memset(c->seq_state, SEQ_NONE, sr);
	memset(c->msg_refs, 0xff, mr * sizeof(*c->msg_refs));
	/* entries added here, and which of them are deleted here too */
	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			const struct store_op *o = &b->ops[i];
			uint64_t k = o->seq - s_lo;

			if (o->dead || (o->kind != OP_OUT_ADD && o->kind != OP_OUT_DEL) ||
			    o->seq < s_lo || k >= sr)
				continue;
			if (o->kind == OP_OUT_ADD)
				c->seq_state[k] = SEQ_ADDED;
			else if (c->seq_state[k] == SEQ_ADDED)
				c->seq_state[k] = SEQ_GONE;
		}
	/* drop every op on those; count what still refers to the messages added here */
	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			struct store_op *o = &b->ops[i];

			if (o->dead)
				continue;
			if (o->kind == OP_MSG_ADD) {
				c->msg_refs[o->sid - m_lo] = 0;
			} else if (out_op(o->kind) && o->seq >= s_lo && o->seq - s_lo < sr &&
				   c->seq_state[o->seq - s_lo] == SEQ_GONE) {
				o->dead = 1;
			} else if (refers_msg(o->kind) && o->msg >= m_lo && o->msg - m_lo < mr &&
				   c->msg_refs[o->msg - m_lo] != NOT_HERE) {
				c->msg_refs[o->msg - m_lo]++;
			}
		}
	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			struct store_op *o = &b->ops[i];

			if (o->kind == OP_MSG_ADD && !o->dead && !c->msg_refs[o->sid - m_lo]) {
				o->dead = 1;
				msgs++;
			}
		}
	return msgs;
}

/* The op a later delete in the transaction makes moot: a state change of the same entry. */
static bool state_op(uint8_t kind)
{
	return kind == OP_OUT_SENT || kind == OP_OUT_PUBREL || kind == OP_BR_STATE;
}

static int del_cmp(const void *a, const void *b)
{
	const struct store_cancel_del *x = a, *y = b;

	if (x->seq != y->seq)
		return (x->seq > y->seq) - (x->seq < y->seq);
	return (x->ord > y->ord) - (x->ord < y->ord);
}

/* d deletes the entry that state op o (of batch b) changes. Seqs are store-wide (sessions and
 * bridges draw from one counter), the key is compared all the same: a caller's mistake must
 * not lose a write. */
static bool same_entry(const struct store_cancel_del *d, const struct store_batch *b,
		       const struct store_op *o)
{
	if (o->kind == OP_BR_STATE)
		return d->op->kind == OP_BR_DEL && d->op->s_len == o->s_len &&
		       !memcmp(d->b->arena + d->op->s_off, b->arena + o->s_off, o->s_len);
	return d->op->kind == OP_OUT_DEL && d->op->sid == o->sid;
}

/*
 * State changes (SENT, PUBREL, a bridge entry's state) of entries deleted later in the same
 * transaction: a drained queue's entries are sent and acknowledged a round trip apart, often
 * within one group commit. PUBREL also lets go of the message: its delete then finds the
 * message still on the row and lets go of it itself (store_thread.c). Deletes are gathered
 * by seq (they come in seq order when a queue drains: the sort is skipped then).
 */
static void cancel_state_del(struct store_cancel *c, struct store_batch *list)
{
	size_t nd = 0, ord = 0, ns = 0;
	bool sorted = true;

	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			const struct store_op *o = &b->ops[i];

			if (o->dead)
				continue;
			if (state_op(o->kind))
				ns++;
			if (o->kind == OP_OUT_DEL || o->kind == OP_BR_DEL)
				nd++;
		}
	if (!nd || !ns || grow_to((void **)&c->dels, &c->dels_cap, nd, sizeof(*c->dels)))
		return;
	nd = 0;
	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++, ord++) {
			const struct store_op *o = &b->ops[i];

			if (o->dead || (o->kind != OP_OUT_DEL && o->kind != OP_BR_DEL))
				continue;
			c->dels[nd] = (struct store_cancel_del){o->seq, ord, o, b};
			sorted = sorted && (!nd || c->dels[nd - 1].seq <= o->seq);
			nd++;
		}
	if (!sorted)
		qsort(c->dels, nd, sizeof(*c->dels), del_cmp);
	ord = 0;
	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++, ord++) {
			struct store_op *o = &b->ops[i];
			size_t lo = 0, hi = nd;

			if (o->dead || !state_op(o->kind))
				continue;
			while (lo < hi) { /* the first delete of o's seq */
				size_t mid = lo + (hi - lo) / 2;

				if (c->dels[mid].seq < o->seq)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < nd && c->dels[lo].seq == o->seq; lo++)
				if (c->dels[lo].ord > ord && same_entry(&c->dels[lo], b, o)) {
					o->dead = 1;
					break;
				}
		}
}

size_t store_cancel(struct store_cancel *c, struct store_batch *list)
{
	size_t msgs = cancel_added(c, list);

	cancel_state_del(c, list);
	return msgs;
}
