/* SPDX-License-Identifier: MIT */
/*
 * store_cancel: before the writer applies the batches it merged into one transaction, drop the
 * writes that cancel out inside them. An outgoing entry added and deleted within them (a QoS 1
 * message its online subscriber acknowledged while the previous commit was fsyncing) is never
 * written: its add, its state changes and its delete all go. A message whose every reference
 * went that way is not written either. The rows the transaction leaves are the same as if each
 * op had been applied, so what is durable after it is unchanged; only the work is not done.
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
size_t store_cancel(struct store_cancel *c, struct store_batch *list)
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
