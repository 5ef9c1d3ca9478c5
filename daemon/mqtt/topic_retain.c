/* SPDX-License-Identifier: MIT */
/* topic_retain: the retained-message store, a trie keyed by topic level (see topic_int.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topic_int.h"

void *topic_retain_set(struct topic_tree *t, const char *topic, size_t len, void *msg)
{
	struct topic_node *n;
	void *old;

	if (!topic_name_valid(topic, len))
		return msg;
	n = topic_path_node(t, t->ret, topic, len, msg != NULL);
	if (!n)
		return msg;
	old = n->retained;
	n->retained = msg;
	n->rgen = ++t->rgen;
	if (msg && !old)
		t->nretained++;
	if (!msg && old)
		t->nretained--;
	if (!msg)
		topic_prune(t, n);
	return old;
}

void *topic_retain_get(struct topic_tree *t, const char *topic, size_t len)
{
	struct topic_node *n;

	if (!topic_name_valid(topic, len))
		return NULL;
	n = topic_path_node(t, t->ret, topic, len, false);
	return n ? n->retained : NULL;
}

/* The plain match: a cursor run to its end in one go (topic_rcursor.c walks the trie). */
void topic_retain_match(struct topic_tree *t, const char *filter, size_t len,
			void (*fn)(void *ctx, void *msg), void *ctx)
{
	struct topic_rcursor c;
	uint32_t steps;
	void *m;

	topic_rcursor_init(t, &c, filter, len);
	do {
		steps = UINT32_MAX;
		while ((m = topic_rcursor_next(t, &c, &steps)))
			fn(ctx, m);
	} while (!topic_rcursor_done(&c));
	topic_rcursor_fini(t, &c);
}

static struct topic_node *deepest_last(struct topic_node *n)
{
	while (n->kids.n)
		n = topic_kid(n, n->kids.n - 1);
	return n;
}

/*
 * Postorder, children from last to first: removing a child moves the last one (already
 * visited) into its place, so nothing is skipped or seen twice, and emptied nodes are pruned
 * on the way up.
 */
void topic_retain_foreach(struct topic_tree *t, bool (*fn)(void *ctx, void *msg), void *ctx)
{
	struct topic_node *root = t->ret, *n = deepest_last(root), *p;
	uint32_t i;

	while (n != root) {
		p = n->parent;
		i = n->pos;
		if (n->retained && fn(ctx, n->retained)) {
			n->retained = NULL;
			t->nretained--;
		}
		if (topic_node_empty(n) && !t->rwalkers) {
			topic_node_unlink(t, p, n);
			topic_node_free(t, n);
		}
		n = i ? deepest_last(topic_kid(p, i - 1)) : p;
	}
}

size_t topic_retain_count(const struct topic_tree *t)
{
	return t->nretained;
}
