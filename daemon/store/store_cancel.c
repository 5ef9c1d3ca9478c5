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

/* Open addressing, keys != 0, linear probing; cleared for each use. */
static int tab_reset(struct store_cancel_tab *t, size_t n)
{
	size_t cap = 64;

	while (cap < n * 2)
		cap *= 2;
	if (cap > t->cap) {
		void *k = realloc(t->keys, cap * sizeof(*t->keys));

		if (!k)
			return -ENOMEM;
		t->keys = k;
		k = realloc(t->vals, cap * sizeof(*t->vals));
		if (!k)
			return -ENOMEM;
		t->vals = k;
		t->cap = cap;
	}
	t->mask = cap - 1;
	memset(t->keys, 0, cap * sizeof(*t->keys));
	return 0;
}

static size_t tab_slot(const struct store_cancel_tab *t, uint64_t key)
{
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & t->mask;

	while (t->keys[i] && t->keys[i] != key)
		i = (i + 1) & t->mask;
	return i;
}

/* The value of key, inserted with 0 when absent. */
static uint32_t *tab_get(struct store_cancel_tab *t, uint64_t key)
{
	size_t i = tab_slot(t, key);

	if (!t->keys[i]) {
		t->keys[i] = key;
		t->vals[i] = 0;
	}
	return &t->vals[i];
}

/* The value of key, or NULL. */
static uint32_t *tab_find(struct store_cancel_tab *t, uint64_t key)
{
	size_t i = tab_slot(t, key);

	return t->keys[i] ? &t->vals[i] : NULL;
}

void store_cancel_free(struct store_cancel *c)
{
	free(c->seqs.keys);
	free(c->seqs.vals);
	free(c->msgs.keys);
	free(c->msgs.vals);
	memset(c, 0, sizeof(*c));
}

enum { SEQ_ADDED = 1, SEQ_GONE = 2 };

static bool refers_msg(uint8_t kind)
{
	return kind == OP_OUT_ADD || kind == OP_RET_SET || kind == OP_BR_ADD;
}

size_t store_cancel(struct store_cancel *c, struct store_batch *list)
{
	size_t n = 0, msgs = 0;

	for (struct store_batch *b = list; b; b = b->next)
		n += b->n;
	/* no room for the tables: nothing is cancelled, every op is applied */
	if (tab_reset(&c->seqs, n) || tab_reset(&c->msgs, n))
		return 0;
	/* entries added here, and which of them are deleted here too */
	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			const struct store_op *o = &b->ops[i];
			uint32_t *v;

			if (o->kind == OP_OUT_ADD && !o->dead)
				*tab_get(&c->seqs, o->seq) = SEQ_ADDED;
			else if (o->kind == OP_OUT_DEL && (v = tab_find(&c->seqs, o->seq)))
				*v = SEQ_GONE;
		}
	/* drop every op on those; count what still refers to the messages added here */
	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			struct store_op *o = &b->ops[i];
			uint32_t *v;

			if (o->dead)
				continue;
			if (o->kind == OP_MSG_ADD) {
				tab_get(&c->msgs, o->sid);
				continue;
			}
			if ((o->kind == OP_OUT_ADD || o->kind == OP_OUT_SENT ||
			     o->kind == OP_OUT_PUBREL || o->kind == OP_OUT_DEL) &&
			    (v = tab_find(&c->seqs, o->seq)) && *v == SEQ_GONE) {
				o->dead = 1;
				continue;
			}
			if (refers_msg(o->kind) && (v = tab_find(&c->msgs, o->msg)))
				++*v;
		}
	for (struct store_batch *b = list; b; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			struct store_op *o = &b->ops[i];
			uint32_t *v;

			if (o->kind == OP_MSG_ADD && !o->dead && (v = tab_find(&c->msgs, o->sid)) &&
			    !*v) {
				o->dead = 1;
				msgs++;
			}
		}
	return msgs;
}
