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

/* Skip root children "$..." when the filter's first level is a wildcard [MQTT-4.7.2-1]. */
static uint32_t kid_next(const struct topic_node *n, uint32_t i, bool skip_dollar)
{
	while (skip_dollar && i < n->kids.n && topic_kid(n, i)->seg_len &&
	       topic_kid(n, i)->seg[0] == '$')
		i++;
	return i;
}

/* '#': top itself and everything below it, preorder, iteratively. */
static void retain_subtree(struct topic_node *top, bool skip_dollar,
			   void (*fn)(void *ctx, void *msg), void *ctx)
{
	struct topic_node *n = top;
	uint32_t i = 0;

	if (n->retained)
		fn(ctx, n->retained);
	for (;;) {
		i = kid_next(n, i, skip_dollar && n == top);
		if (i < n->kids.n) {
			n = topic_kid(n, i);
			i = 0;
			if (n->retained)
				fn(ctx, n->retained);
			continue;
		}
		if (n == top)
			return;
		i = n->pos + 1;
		n = n->parent;
	}
}

/*
 * Walk the retained trie along filter. '+' iterates the children; climbing back from a
 * child, the parent's level in the filter says whether there are siblings left to try.
 */
void topic_retain_match(struct topic_tree *t, const char *filter, size_t len,
			void (*fn)(void *ctx, void *msg), void *ctx)
{
	struct topic_node *root = t->ret, *n = root, *c;
	size_t pos = 0, end;
	uint32_t i = 0;

	for (;;) {
		if (pos > len) {
			if (n->retained)
				fn(ctx, n->retained);
			goto up;
		}
		end = topic_level_end(filter, len, pos);
		if (topic_is_wild(filter, pos, end, '#')) {
			retain_subtree(n, n == root, fn, ctx);
			goto up;
		}
		if (topic_is_wild(filter, pos, end, '+')) {
			i = kid_next(n, i, n == root);
			if (i < n->kids.n) {
				n = topic_kid(n, i);
				pos = end + 1;
				i = 0;
				continue;
			}
			goto up;
		}
		c = topic_kid_find(n, filter + pos, end - pos,
				   hash_bytes(t->seed, filter + pos, end - pos));
		if (c) {
			n = c;
			pos = end + 1;
			i = 0;
			continue;
		}
	up:
		for (;;) {
			if (n == root)
				return;
			pos = topic_level_prev(filter, pos);
			i = n->pos + 1;
			n = n->parent;
			if (topic_is_wild(filter, pos, topic_level_end(filter, len, pos), '+'))
				break; /* resume the parent's '+' at the next sibling */
		}
	}
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
