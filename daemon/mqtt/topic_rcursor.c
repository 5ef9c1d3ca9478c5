/* SPDX-License-Identifier: MIT */
/*
 * topic_rcursor: the retained-message match of topic_retain.c as a cursor that stops after
 * each message and resumes later, with the trie changing in between (L0, see topic.h).
 *
 * Why the place survives: while any cursor exists (t->rwalkers) no retained node is unlinked
 * (topic_prune leaves it, remembering its topic as a husk, pruned when the last cursor ends), so
 * the node a cursor stands on stays, and so do its siblings' positions (vec_del would move the
 * last sibling into a freed slot, before the cursor). New nodes are appended after every
 * existing sibling. Which messages it reports: those set before the cursor was made (node rgen
 * <= the cursor's gen); a message set since then replaced the old one (a subscriber got it
 * live), so neither is reported; a deleted one is gone.
 *
 * The cursor's place, for topic_rcursor_take: the walk is a preorder of the trie (children in
 * array order), so "already passed" is a comparison of a node with the cursor's frontier
 * (n, i): n and every child of n before i, with their subtrees, are behind it; `up`: all of n's
 * subtree is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topic_int.h"

void topic_rcursor_init(struct topic_tree *t, struct topic_rcursor *c, const char *filter,
			size_t len)
{
	memset(c, 0, sizeof(*c));
	c->filter = filter;
	c->len = len;
	c->n = t->ret;
	c->gen = t->rgen;
	c->seed = t->seed;
	t->rwalkers++;
}

void topic_rcursor_fini(struct topic_tree *t, struct topic_rcursor *c)
{
	free(c->taken);
	c->taken = NULL;
	if (--t->rwalkers)
		return;
	/* the last cursor: the husks go now, each a path lookup and a prune */
	for (uint32_t k = 0; k < t->nhusks; k++) {
		const char *s = t->husks[k];
		struct topic_node *n = topic_path_node(t, t->ret, s, strlen(s), false);

		if (n)
			topic_prune(t, n);
		free(t->husks[k]);
	}
	t->nhusks = 0;
}

struct topic_rcursor *topic_rcursor_new(struct topic_tree *t, const char *filter, size_t len)
{
	struct topic_rcursor *c = malloc(sizeof(*c));
	char *f = malloc(len + 1);

	if (!c || !f) {
		free(c);
		free(f);
		return NULL;
	}
	memcpy(f, filter, len);
	f[len] = '\0';
	topic_rcursor_init(t, c, f, len);
	return c;
}

void topic_rcursor_free(struct topic_tree *t, struct topic_rcursor *c)
{
	if (!c)
		return;
	free((char *)c->filter);
	topic_rcursor_fini(t, c);
	free(c);
}

const char *topic_rcursor_filter(const struct topic_rcursor *c, size_t *len)
{
	*len = c->len;
	return c->filter;
}

static bool taken_has(const struct topic_rcursor *c, const struct topic_node *n)
{
	uint32_t mask = c->taken_cap - 1, i;

	if (!c->ntaken)
		return false;
	for (i = hash_ptr(c->seed, n) & mask; c->taken[i]; i = (i + 1) & mask)
		if (c->taken[i] == n)
			return true;
	return false;
}

static void taken_put(const struct topic_node **set, uint32_t cap, uint64_t seed,
		      const struct topic_node *n)
{
	uint32_t i;

	for (i = hash_ptr(seed, n) & (cap - 1); set[i]; i = (i + 1) & (cap - 1))
		;
	set[i] = n;
}

static int taken_add(struct topic_rcursor *c, const struct topic_node *n)
{
	if ((c->ntaken + 1) * 2 > c->taken_cap) {
		uint32_t cap = c->taken_cap ? c->taken_cap * 2 : 16;
		const struct topic_node **set = calloc(cap, sizeof(*set));

		if (!set)
			return -ENOMEM;
		for (uint32_t k = 0; k < c->taken_cap; k++)
			if (c->taken[k])
				taken_put(set, cap, c->seed, c->taken[k]);
		free(c->taken);
		c->taken = set;
		c->taken_cap = cap;
	}
	taken_put(c->taken, c->taken_cap, c->seed, n);
	c->ntaken++;
	return 0;
}

/* n's message if the cursor reports it: set before the cursor, not handed out already. */
static void *report(const struct topic_rcursor *c, const struct topic_node *n)
{
	if (!n->retained || (int32_t)(n->rgen - c->gen) > 0 || taken_has(c, n))
		return NULL;
	return n->retained;
}

/* Skip root children "$..." below a wildcard first level [MQTT-4.7.2-1]. */
static uint32_t kid_next(const struct topic_node *n, uint32_t i, bool skip_dollar)
{
	while (skip_dollar && i < n->kids.n && topic_kid(n, i)->seg_len &&
	       topic_kid(n, i)->seg[0] == '$')
		i++;
	return i;
}

void *topic_rcursor_next(struct topic_tree *t, struct topic_rcursor *c, uint32_t *steps)
{
	struct topic_node *root = t->ret, *n = c->n, *k;
	const char *f = c->filter;
	size_t len = c->len, pos = c->pos, end;
	uint32_t i = c->i;
	void *m = NULL;

	if (!n)
		return NULL;
	for (;;) {
		if (!*steps)
			goto out; /* the place is a frontier like any other (see passed()) */
		--*steps;
		if (c->top) {
			/* below a '#': preorder, iteratively */
			i = kid_next(n, i, c->top == root && n == c->top);
			if (i < n->kids.n) {
				n = topic_kid(n, i);
				i = 0;
				if ((m = report(c, n)))
					goto out;
				continue;
			}
			if (n != c->top) {
				i = n->pos + 1;
				n = n->parent;
				continue;
			}
			c->top = NULL;
			goto up;
		}
		if (c->up)
			goto up;
		if (pos > len) {
			c->up = true;
			if ((m = report(c, n)))
				goto out;
			goto up;
		}
		end = topic_level_end(f, len, pos);
		if (topic_is_wild(f, pos, end, '#')) {
			c->top = n;
			i = 0;
			if ((m = report(c, n)))
				goto out;
			continue;
		}
		if (topic_is_wild(f, pos, end, '+')) {
			i = kid_next(n, i, n == root);
			if (i < n->kids.n) {
				n = topic_kid(n, i);
				pos = end + 1;
				i = 0;
				continue;
			}
			goto up;
		}
		k = topic_kid_find(n, f + pos, end - pos, hash_bytes(t->seed, f + pos, end - pos));
		if (k) {
			n = k;
			pos = end + 1;
			i = 0;
			continue;
		}
	up:
		c->up = false;
		for (;;) {
			if (n == root) {
				n = NULL;
				goto out;
			}
			pos = topic_level_prev(f, pos);
			i = n->pos + 1;
			n = n->parent;
			if (topic_is_wild(f, pos, topic_level_end(f, len, pos), '+'))
				break; /* resume the parent's '+' at the next sibling */
		}
	}
out:
	c->n = n;
	c->pos = pos;
	c->i = i;
	return m;
}

bool topic_rcursor_done(const struct topic_rcursor *c)
{
	return !c->n;
}

static uint32_t depth(const struct topic_node *n)
{
	uint32_t d = 0;

	while (n->parent) {
		n = n->parent;
		d++;
	}
	return d;
}

/* Is x behind the cursor (reported, or passed over)? */
static bool passed(const struct topic_rcursor *c, const struct topic_node *x)
{
	const struct topic_node *n = c->n, *a = x, *b;
	uint32_t dx, dn;

	if (!n)
		return true;
	dx = depth(x);
	dn = depth(n);
	if (dx > dn) {
		/* below n? then by the child of n it is under */
		for (uint32_t d = dx; d > dn + 1; d--)
			a = a->parent;
		if (a->parent == n)
			return c->up || a->pos < c->i;
		a = a->parent;
	}
	if (a == n)
		return true; /* n itself (reported when the cursor stops on it) */
	b = n;
	while (dn > dx) {
		b = b->parent;
		dn--;
	}
	if (a == b)
		return true; /* x is an ancestor of n: preorder put it first */
	while (a->parent != b->parent) {
		a = a->parent;
		b = b->parent;
	}
	return a->pos < b->pos;
}

void *topic_rcursor_take(struct topic_tree *t, struct topic_rcursor *c, const char *topic,
			 size_t len)
{
	struct topic_node *x;
	void *m;

	if (!c->n || !topic_matches(c->filter, c->len, topic, len))
		return NULL;
	x = topic_path_node(t, t->ret, topic, len, false);
	if (!x || !(m = report(c, x)) || passed(c, x) || taken_add(c, x) < 0)
		return NULL;
	return m;
}
