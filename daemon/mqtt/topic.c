/* SPDX-License-Identifier: MIT */
/*
 * topic: nodes, the tree and subscriptions (L0, see topic.h; the data structures are
 * described in topic_int.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topic_int.h"

static uint32_t kid_hash(const void *ctx, const void *elem)
{
	(void)ctx;
	return (*(struct topic_node *const *)elem)->h;
}

static uint32_t sub_hash(const void *ctx, const void *elem)
{
	const struct topic_tree *t = ctx;

	return hash_ptr(t->seed, ((const struct topic_sub *)elem)->subscriber);
}

/* Position of subscriber's entry in n->subs, or -1. */
static int64_t sub_find(const struct topic_tree *t, const struct topic_node *n, void *subscriber)
{
	const struct topic_sub *s = n->subs.a;
	uint32_t i, mask;

	if (!n->subs.idx) {
		for (i = 0; i < n->subs.n; i++)
			if (s[i].subscriber == subscriber)
				return i;
		return -1;
	}
	mask = vec_mask(&n->subs);
	for (i = hash_ptr(t->seed, subscriber) & mask; n->subs.idx[i]; i = (i + 1) & mask)
		if (s[n->subs.idx[i] - 1].subscriber == subscriber)
			return n->subs.idx[i] - 1;
	return -1;
}

/* ---- nodes ---- */

static struct topic_node *node_new(struct topic_tree *t, struct topic_node *parent, const char *s,
				   size_t len, uint32_t h)
{
	struct topic_node *n = calloc(1, sizeof(*n) + len);

	if (!n)
		return NULL;
	n->parent = parent;
	n->h = h;
	n->seg_len = (uint32_t)len;
	memcpy(n->seg, s, len);
	t->nnodes++;
	return n;
}

static void share_free(struct topic_share *g)
{
	free(g->memb);
	free(g);
}

void topic_node_free(struct topic_tree *t, struct topic_node *n)
{
	struct topic_share *g;

	while ((g = n->shares)) {
		n->shares = g->next;
		share_free(g);
	}
	vec_fini(&n->kids);
	vec_fini(&n->subs);
	free(n);
	t->nnodes--;
}

void topic_node_unlink(struct topic_tree *t, struct topic_node *p, struct topic_node *n)
{
	if (p->plus == n) {
		p->plus = NULL;
	} else if (p->hash == n) {
		p->hash = NULL;
	} else {
		vec_del(&p->kids, sizeof(n), n->pos, kid_hash, t);
		if (n->pos < p->kids.n)
			topic_kid(p, n->pos)->pos = n->pos;
	}
}

/* The root above n (O(depth): only on the way to a prune). */
static const struct topic_node *root_of(const struct topic_node *n)
{
	while (n->parent)
		n = n->parent;
	return n;
}

void topic_husk_add(struct topic_tree *t, const struct topic_node *n)
{
	size_t len = 0, off;
	const struct topic_node *x;
	char *s, **h;

	if (!n->parent)
		return;
	for (x = n; x->parent; x = x->parent)
		len += x->seg_len + (x->parent->parent ? 1 : 0);
	if (t->nhusks == t->husks_cap) {
		uint32_t cap = t->husks_cap ? t->husks_cap * 2 : 16;

		h = realloc(t->husks, cap * sizeof(*h));
		if (!h)
			return;
		t->husks = h;
		t->husks_cap = cap;
	}
	s = malloc(len + 1);
	if (!s)
		return;
	s[len] = '\0';
	off = len;
	for (x = n; x->parent; x = x->parent) {
		off -= x->seg_len;
		memcpy(s + off, x->seg, x->seg_len);
		if (x->parent->parent)
			s[--off] = '/';
	}
	t->husks[t->nhusks++] = s;
}

void topic_prune(struct topic_tree *t, struct topic_node *n)
{
	struct topic_node *p;

	if (t->rwalkers && topic_node_empty(n) && root_of(n) == t->ret) {
		topic_husk_add(t, n); /* a cursor may stand on it or count its siblings */
		return;
	}

	while (n->parent && topic_node_empty(n)) {
		p = n->parent;
		topic_node_unlink(t, p, n);
		topic_node_free(t, n);
		n = p;
	}
}

struct topic_node *topic_path_node(struct topic_tree *t, struct topic_node *root, const char *s,
				   size_t len, bool create)
{
	struct topic_node *n = root, *c, **slot;
	size_t pos = 0, end;
	uint32_t h;

	for (;;) {
		end = topic_level_end(s, len, pos);
		if (topic_is_wild(s, pos, end, '+') || topic_is_wild(s, pos, end, '#')) {
			slot = s[pos] == '+' ? &n->plus : &n->hash;
			if (!*slot && create)
				*slot = node_new(t, n, s + pos, 1, 0);
			c = *slot;
		} else {
			h = hash_bytes(t->seed, s + pos, end - pos);
			c = topic_kid_find(n, s + pos, end - pos, h);
			if (!c && create) {
				c = node_new(t, n, s + pos, end - pos, h);
				if (c) {
					c->pos = n->kids.n;
					if (vec_push(&n->kids, sizeof(c), &c, kid_hash, t)) {
						topic_node_free(t, c);
						c = NULL;
					}
				}
			}
		}
		if (!c) {
			if (create)
				topic_prune(t, n);
			return NULL;
		}
		n = c;
		if (end == len)
			return n;
		pos = end + 1;
	}
}

/* ---- the tree ---- */

struct topic_tree *topic_tree_new(bool (*member_ok)(void *subscriber))
{
	struct topic_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->member_ok = member_ok;
	/* until topic_tree_set_seed: derived from the address (see hash.h) */
	t->seed = hash_seed_of(t);
	t->rng = hash_mix64(t->seed ^ 0x9e3779b97f4a7c15ULL) | 1;
	t->cache.gen = 1;
	t->subs = node_new(t, NULL, "", 0, 0);
	t->ret = node_new(t, NULL, "", 0, 0);
	if (!t->subs || !t->ret) {
		free(t->subs);
		free(t->ret);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

/* Postorder and iterative: a trie can be as deep as a topic has levels. */
static void trie_free(struct topic_tree *t, struct topic_node *n, void (*retained_free)(void *))
{
	struct topic_node *p;
	bool done;

	for (;;) {
		if (n->kids.n) {
			n = topic_kid(n, n->kids.n - 1);
			continue;
		}
		if (n->plus || n->hash) {
			n = n->plus ? n->plus : n->hash;
			continue;
		}
		if (n->retained && retained_free)
			retained_free(n->retained);
		p = n->parent;
		done = !p;
		if (p && p->plus == n)
			p->plus = NULL;
		else if (p && p->hash == n)
			p->hash = NULL;
		else if (p)
			p->kids.n--;
		topic_node_free(t, n);
		if (done)
			return;
		n = p;
	}
}

void topic_tree_free(struct topic_tree *t, void (*retained_free)(void *msg))
{
	if (!t)
		return;
	trie_free(t, t->subs, NULL);
	trie_free(t, t->ret, retained_free);
	for (uint32_t i = 0; i < t->nhusks; i++)
		free(t->husks[i]);
	free(t->husks);
	free(t->cache.slot);
	free(t->cache.arena);
	free(t);
}

size_t topic_node_count(const struct topic_tree *t)
{
	return t->nnodes - 2;
}

int topic_tree_set_seed(struct topic_tree *t, uint64_t seed)
{
	if (t->nnodes != 2)
		return -EBUSY; /* stored hashes would go stale */
	t->seed = seed;
	t->rng = hash_mix64(seed ^ 0x9e3779b97f4a7c15ULL) | 1;
	topic_cache_invalidate(t);
	return 0;
}

void topic_tree_set_share_strategy(struct topic_tree *t, enum topic_share_strategy s)
{
	t->share_strategy = (uint8_t)s;
}

/* ---- subscriptions ---- */

struct topic_share *topic_share_find(const struct topic_node *n, const char *g, size_t glen)
{
	struct topic_share *s;

	for (s = n->shares; s; s = s->next)
		if (s->glen == glen && !memcmp(s->group, g, glen))
			return s;
	return NULL;
}

static int64_t share_member(const struct topic_share *g, void *subscriber)
{
	uint32_t i;

	for (i = 0; i < g->n; i++)
		if (g->memb[i].subscriber == subscriber)
			return i;
	return -1;
}

/*
 * Members are kept in insertion order and looked up linearly: groups are a handful of
 * workers, and order is what makes the rotation fair.
 */
static int share_add(struct topic_node *n, const char *filter, size_t flen, const char *gname,
		     size_t glen, const struct topic_sub *s)
{
	struct topic_share *g = topic_share_find(n, gname, glen);
	struct topic_sub *m;
	bool fresh = !g;
	int64_t i;

	if (g && (i = share_member(g, s->subscriber)) >= 0) {
		g->memb[i] = *s;
		return 1;
	}
	if (fresh) {
		g = calloc(1, sizeof(*g) + flen);
		if (!g)
			return -ENOMEM;
		memcpy(g->filter, filter, flen);
		g->flen = (uint32_t)flen;
		g->group = g->filter + (gname - filter);
		g->glen = (uint32_t)glen;
	}
	if (g->n == g->cap) {
		m = g->cap < VEC_MAX ? realloc(g->memb, (g->cap ? 2 * g->cap : 2) * sizeof(*m))
				     : NULL;
		if (!m) {
			if (fresh)
				share_free(g);
			return -ENOMEM;
		}
		g->memb = m;
		g->cap = g->cap ? 2 * g->cap : 2;
	}
	g->memb[g->n++] = *s;
	if (fresh) {
		g->next = n->shares;
		n->shares = g;
	}
	return 0;
}

static int share_remove(struct topic_node *n, const char *gname, size_t glen, void *subscriber)
{
	struct topic_share **pp, *g;
	int64_t i;

	for (pp = &n->shares; (g = *pp); pp = &g->next)
		if (g->glen == glen && !memcmp(g->group, gname, glen))
			break;
	if (!g || (i = share_member(g, subscriber)) < 0)
		return -ENOENT;
	memmove(g->memb + i, g->memb + i + 1, (g->n - i - 1) * sizeof(*g->memb));
	g->n--;
	if (g->cap > VEC_NARROW && g->n <= g->cap / 4) {
		struct topic_sub *m = realloc(g->memb, g->cap / 2 * sizeof(*m));

		if (m) { /* failing to shrink is harmless */
			g->memb = m;
			g->cap /= 2;
		}
	}
	/* keep pointing at the member that was next in line */
	if ((uint32_t)i < g->rr)
		g->rr--;
	if (g->rr >= g->n)
		g->rr = 0;
	if (!g->n) {
		*pp = g->next;
		share_free(g);
	}
	return 0;
}

int topic_sub_add(struct topic_tree *t, const char *filter, size_t len, void *subscriber,
		  uint8_t opts, uint32_t sub_id)
{
	struct topic_sub s = {subscriber, sub_id, (uint8_t)(opts & ~TOPIC_OPT_SHARED)};
	const char *g = NULL, *rest = filter;
	size_t glen = 0, rlen = len;
	struct topic_node *n;
	int64_t i;
	int ret;

	if (!topic_filter_valid(filter, len))
		return -EINVAL;
	if (!topic_share_split(filter, len, &g, &glen, &rest, &rlen))
		g = NULL;
	n = topic_path_node(t, t->subs, rest, rlen, true);
	if (!n)
		return -ENOMEM;
	if (g) {
		ret = share_add(n, filter, len, g, glen, &s);
	} else if ((i = sub_find(t, n, subscriber)) >= 0) {
		((struct topic_sub *)n->subs.a)[i] = s;
		ret = 1;
	} else {
		ret = vec_push(&n->subs, sizeof(s), &s, sub_hash, t);
	}
	if (ret < 0) {
		topic_prune(t, n);
		return ret;
	}
	t->nsubs += !ret;
	topic_cache_invalidate(t);
	return ret;
}

int topic_sub_remove(struct topic_tree *t, const char *filter, size_t len, void *subscriber)
{
	const char *g = NULL, *rest = filter;
	size_t glen = 0, rlen = len;
	struct topic_node *n;
	int64_t i;

	if (!topic_filter_valid(filter, len))
		return -EINVAL;
	if (!topic_share_split(filter, len, &g, &glen, &rest, &rlen))
		g = NULL;
	n = topic_path_node(t, t->subs, rest, rlen, false);
	if (!n)
		return -ENOENT;
	if (g) {
		if (share_remove(n, g, glen, subscriber))
			return -ENOENT;
	} else {
		i = sub_find(t, n, subscriber);
		if (i < 0)
			return -ENOENT;
		vec_del(&n->subs, sizeof(struct topic_sub), (uint32_t)i, sub_hash, t);
	}
	t->nsubs--;
	topic_prune(t, n);
	topic_cache_invalidate(t);
	return 0;
}

size_t topic_sub_count(const struct topic_tree *t)
{
	return t->nsubs;
}
