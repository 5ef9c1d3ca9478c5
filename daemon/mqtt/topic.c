/* SPDX-License-Identifier: MIT */
/*
 * topic: topic validation, the subscription trie and the retained store (L0, see topic.h).
 *
 * Two tries of the same node type hang off one tree: `subs` keyed by filter level (with '+'
 * and '#' children in dedicated slots) and `ret` keyed by topic-name level. A node's literal
 * children live in a dense array; once the array outgrows VEC_NARROW it also gets an
 * open-addressed index of positions, so a node with thousands of siblings is still one probe
 * away. Subscriptions of a node are a dense array of 16-byte entries indexed the same way by
 * subscriber pointer. Dense arrays keep iteration cheap and let every traversal (match,
 * retained match, foreach with removal, free) run without recursion: each node knows its
 * parent and its position in the parent's array. Deep topics ("////..." has 65536 levels)
 * therefore cannot blow the stack.
 *
 * In front of the trie sits an exact-topic cache: the records a topic_match produced
 * (non-shared subscriptions and shared groups) are kept in an arena, found through a hash
 * table of slots, and replayed on the next match of the same topic. Any subscription change
 * bumps a generation number that invalidates every slot in O(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topic.h"

#define VEC_NARROW 8u /* arrays up to this capacity are scanned; larger ones are indexed */
#define VEC_MAX	   (1u << 30)

#define CACHE_SLOTS_MIN	  64u
#define CACHE_SLOTS_MAX	  8192u /* filled at most half: 4096 topics */
#define CACHE_ARENA_MIN	  4096u
#define CACHE_ARENA_MAX	  (1u << 20)
#define CACHE_TOPIC_MAX	  1024u /* longer topics are rare and always walk the trie */
#define CACHE_UNCACHEABLE UINT32_MAX

#define SHARE_PREFIX	 "$share/"
#define SHARE_PREFIX_LEN (sizeof(SHARE_PREFIX) - 1)

/*
 * One subscription. Also the record format of the cache, where a shared group is stored as
 * {group, 0, TOPIC_OPT_SHARED}: stored options never carry that bit, so it tags groups.
 */
struct topic_sub {
	void *subscriber;
	uint32_t sub_id;
	uint8_t opts;
};

/* A dense array, plus (when cap > VEC_NARROW) 2*cap index slots holding position + 1. */
struct topic_vec {
	void *a;
	uint32_t *idx;
	uint32_t n, cap;
};

/* One shared subscription: a (group, filter) pair; the filter is the node it hangs on. */
struct topic_share {
	struct topic_share *next;
	struct topic_sub *memb; /* insertion order, so round robin is fair and predictable */
	uint32_t n, cap;
	uint32_t rr; /* next member to try, < n */
	uint32_t glen;
	uint32_t flen;
	char *group;   /* inside filter: after "$share/" */
	char filter[]; /* the whole "$share/<group>/<filter>", for topic_match_share_filter() */
};

struct topic_node {
	struct topic_node *parent;
	struct topic_vec kids; /* of struct topic_node * */
	uint32_t h;	       /* hash of seg */
	uint32_t pos;	       /* position in parent->kids (unused for '+' and '#' nodes) */
	void *retained;	       /* retained trie only */
	/* subscription trie only: */
	struct topic_node *plus, *hash;
	struct topic_vec subs; /* of struct topic_sub, unordered */
	struct topic_share *shares;
	uint32_t seg_len;
	char seg[];
};

/* A cache slot is live iff gen == cache.gen. Topic bytes at off, records after (aligned). */
struct topic_cslot {
	uint64_t gen;
	uint32_t hash, tlen, off, nrec;
};

struct topic_cache {
	struct topic_cslot *slot;
	unsigned char *arena;
	uint64_t gen;
	size_t acap, aused;
	uint32_t nslot, count;
	bool disabled; /* allocation failed: retried after the next invalidation */
	bool busy;     /* a fill or replay is running: a nested topic_match must not touch it */
};

struct topic_tree {
	struct topic_node *subs, *ret;
	bool (*member_ok)(void *subscriber);
	uint64_t seed;
	uint64_t rng; /* TOPIC_SHARE_RANDOM's state (xorshift64*) */
	uint8_t share_strategy;
	size_t nsubs, nretained, nnodes;
	struct topic_cache cache;
	const struct topic_share *cur_share; /* the group a match callback is reporting */
};

#define WALK_MEMO 32 /* levels whose hash a walk remembers */

/*
 * State of one topic_match: the callback, the cache records being written (if any), and the
 * hashes of the first topic levels, which the walk needs once per node at that depth.
 */
struct topic_walk {
	struct topic_tree *t;
	topic_match_fn fn;
	void *ctx;
	struct topic_sub *rec;
	size_t nrec, room;
	uint32_t hknown; /* bit d: hmemo[d] is set */
	uint32_t th;	 /* hash of the whole topic (TOPIC_SHARE_HASH_TOPIC only) */
	uint32_t hmemo[WALK_MEMO];
};

/* ---- hashing ---- */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * Not cryptographic, but every step is a bijection of the state and the seed enters first,
 * so which strings collide depends on the seed: clients cannot precompute level names that
 * pile up in one probe chain.
 */
static uint32_t hash_bytes(uint64_t seed, const char *s, size_t len)
{
	uint64_t h = seed ^ ((uint64_t)len * 0x9e3779b97f4a7c15ULL), w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	if (len)
		memcpy(&w, s, len);
	return (uint32_t)mix64(h ^ w);
}

static uint32_t hash_ptr(uint64_t seed, const void *p)
{
	return (uint32_t)mix64((uintptr_t)p ^ seed);
}

/* ---- dense arrays with an optional index ---- */

typedef uint32_t (*vec_hash_fn)(const struct topic_tree *t, const void *elem);

static void *vec_at(const struct topic_vec *v, size_t esz, uint32_t pos)
{
	return (char *)v->a + (size_t)pos * esz;
}

static uint32_t vec_mask(const struct topic_vec *v)
{
	return 2 * v->cap - 1;
}

static void idx_put(uint32_t *idx, uint32_t mask, uint32_t h, uint32_t pos)
{
	uint32_t i = h & mask;

	while (idx[i])
		i = (i + 1) & mask;
	idx[i] = pos + 1;
}

/* The index slot holding pos, which must be present. */
static uint32_t idx_slot(const uint32_t *idx, uint32_t mask, uint32_t h, uint32_t pos)
{
	uint32_t i = h & mask;

	while (idx[i] != pos + 1)
		i = (i + 1) & mask;
	return i;
}

/* Backward-shift deletion: linear probing without tombstones, so churn cannot clog it. */
static void idx_erase(const struct topic_tree *t, struct topic_vec *v, size_t esz, uint32_t pos,
		      vec_hash_fn hf)
{
	uint32_t mask = vec_mask(v), i, j, home;

	i = idx_slot(v->idx, mask, hf(t, vec_at(v, esz, pos)), pos);
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!v->idx[j])
			break;
		home = hf(t, vec_at(v, esz, v->idx[j] - 1)) & mask;
		/* an entry whose home lies cyclically in (i, j] must stay where it is */
		if (((j - home) & mask) < ((j - i) & mask))
			continue;
		v->idx[i] = v->idx[j];
		i = j;
	}
	v->idx[i] = 0;
}

/* Resize to cap (>= n) and rebuild the index. On failure nothing changes. */
static int vec_resize(const struct topic_tree *t, struct topic_vec *v, size_t esz, uint32_t cap,
		      vec_hash_fn hf)
{
	uint32_t *idx = NULL, i;
	void *a;

	if (cap > VEC_NARROW) {
		idx = calloc(2 * (size_t)cap, sizeof(*idx));
		if (!idx)
			return -ENOMEM;
	}
	a = realloc(v->a, (size_t)cap * esz);
	if (!a) {
		free(idx);
		return -ENOMEM;
	}
	free(v->idx);
	v->a = a;
	v->idx = idx;
	v->cap = cap;
	for (i = 0; idx && i < v->n; i++)
		idx_put(idx, vec_mask(v), hf(t, vec_at(v, esz, i)), i);
	return 0;
}

static int vec_push(const struct topic_tree *t, struct topic_vec *v, size_t esz, const void *elem,
		    vec_hash_fn hf)
{
	if (v->n == v->cap) {
		/* most nodes have one child or one subscriber: start at 1 */
		if (v->cap >= VEC_MAX || vec_resize(t, v, esz, v->cap ? 2 * v->cap : 1, hf))
			return -ENOMEM;
	}
	memcpy(vec_at(v, esz, v->n), elem, esz);
	if (v->idx)
		idx_put(v->idx, vec_mask(v), hf(t, elem), v->n);
	v->n++;
	return 0;
}

static void vec_fini(struct topic_vec *v)
{
	free(v->a);
	free(v->idx);
	memset(v, 0, sizeof(*v));
}

/* Remove position pos by moving the last element into it. Shrinks so churn returns memory. */
static void vec_del(const struct topic_tree *t, struct topic_vec *v, size_t esz, uint32_t pos,
		    vec_hash_fn hf)
{
	uint32_t last = v->n - 1;

	if (v->idx)
		idx_erase(t, v, esz, pos, hf);
	if (pos != last) {
		memcpy(vec_at(v, esz, pos), vec_at(v, esz, last), esz);
		if (v->idx)
			v->idx[idx_slot(v->idx, vec_mask(v), hf(t, vec_at(v, esz, pos)), last)] =
			    pos + 1;
	}
	v->n--;
	if (!v->n)
		vec_fini(v);
	else if (v->cap > VEC_NARROW && v->n <= v->cap / 4)
		(void)vec_resize(t, v, esz, v->cap / 2, hf); /* failing to shrink is harmless */
}

static uint32_t kid_hash(const struct topic_tree *t, const void *elem)
{
	(void)t;
	return (*(struct topic_node *const *)elem)->h;
}

static uint32_t sub_hash(const struct topic_tree *t, const void *elem)
{
	return hash_ptr(t->seed, ((const struct topic_sub *)elem)->subscriber);
}

static struct topic_node *kid(const struct topic_node *n, uint32_t i)
{
	return ((struct topic_node **)n->kids.a)[i];
}

static bool seg_eq(const struct topic_node *n, uint32_t h, const char *s, size_t len)
{
	return n->h == h && n->seg_len == len && !memcmp(n->seg, s, len);
}

static struct topic_node *kid_find(const struct topic_node *n, const char *s, size_t len,
				   uint32_t h)
{
	uint32_t i, mask;

	if (!n->kids.idx) {
		for (i = 0; i < n->kids.n; i++)
			if (seg_eq(kid(n, i), h, s, len))
				return kid(n, i);
		return NULL;
	}
	mask = vec_mask(&n->kids);
	for (i = h & mask; n->kids.idx[i]; i = (i + 1) & mask)
		if (seg_eq(kid(n, n->kids.idx[i] - 1), h, s, len))
			return kid(n, n->kids.idx[i] - 1);
	return NULL;
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

static void node_free(struct topic_tree *t, struct topic_node *n)
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

static bool node_empty(const struct topic_node *n)
{
	return !n->kids.n && !n->plus && !n->hash && !n->subs.n && !n->shares && !n->retained;
}

static void node_unlink(struct topic_tree *t, struct topic_node *p, struct topic_node *n)
{
	if (p->plus == n) {
		p->plus = NULL;
	} else if (p->hash == n) {
		p->hash = NULL;
	} else {
		vec_del(t, &p->kids, sizeof(n), n->pos, kid_hash);
		if (n->pos < p->kids.n)
			kid(p, n->pos)->pos = n->pos;
	}
}

/* Free n and its ancestors while they hold nothing: churn must not grow the tries. */
static void prune(struct topic_tree *t, struct topic_node *n)
{
	struct topic_node *p;

	while (n->parent && node_empty(n)) {
		p = n->parent;
		node_unlink(t, p, n);
		node_free(t, n);
		n = p;
	}
}

static size_t level_end(const char *s, size_t len, size_t pos)
{
	const char *e = memchr(s + pos, '/', len - pos);

	return e ? (size_t)(e - s) : len;
}

/*
 * Start of the level that ends just before pos (pos is one past its '/' or its end). Used to
 * step back up the tries without a stack.
 */
static size_t level_prev(const char *s, size_t pos)
{
	size_t i = pos - 1;

	while (i > 0 && s[i - 1] != '/')
		i--;
	return i;
}

static bool is_wild(const char *s, size_t pos, size_t end, char c)
{
	return end - pos == 1 && s[pos] == c;
}

/*
 * The node of a valid filter or topic name below root; with create, missing nodes are made
 * (and on -ENOMEM the part already made is pruned again). NULL if absent or out of memory.
 */
static struct topic_node *path_node(struct topic_tree *t, struct topic_node *root, const char *s,
				    size_t len, bool create)
{
	struct topic_node *n = root, *c, **slot;
	size_t pos = 0, end;
	uint32_t h;

	for (;;) {
		end = level_end(s, len, pos);
		if (is_wild(s, pos, end, '+') || is_wild(s, pos, end, '#')) {
			slot = s[pos] == '+' ? &n->plus : &n->hash;
			if (!*slot && create)
				*slot = node_new(t, n, s + pos, 1, 0);
			c = *slot;
		} else {
			h = hash_bytes(t->seed, s + pos, end - pos);
			c = kid_find(n, s + pos, end - pos, h);
			if (!c && create) {
				c = node_new(t, n, s + pos, end - pos, h);
				if (c) {
					c->pos = n->kids.n;
					if (vec_push(t, &n->kids, sizeof(c), &c, kid_hash)) {
						node_free(t, c);
						c = NULL;
					}
				}
			}
		}
		if (!c) {
			if (create)
				prune(t, n);
			return NULL;
		}
		n = c;
		if (end == len)
			return n;
		pos = end + 1;
	}
}

/* ---- validation ---- */

bool topic_name_valid(const char *s, size_t len)
{
	size_t i;

	if (!len || len > TOPIC_MAX_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '+' || s[i] == '#' || !s[i])
			return false;
	return true;
}

static bool filter_levels_valid(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		if (!s[i])
			return false;
		if (s[i] != '+' && s[i] != '#')
			continue;
		/* a wildcard fills its whole level [MQTT-4.7.1-2, 4.7.1-3]; '#' is last */
		if ((i > 0 && s[i - 1] != '/') || (i + 1 < len && s[i + 1] != '/'))
			return false;
		if (s[i] == '#' && i + 1 != len)
			return false;
	}
	return true;
}

bool topic_share_split(const char *s, size_t len, const char **group, size_t *group_len,
		       const char **rest, size_t *rest_len)
{
	const char *g = s + SHARE_PREFIX_LEN, *e;

	if (len < SHARE_PREFIX_LEN || memcmp(s, SHARE_PREFIX, SHARE_PREFIX_LEN))
		return false;
	e = memchr(g, '/', len - SHARE_PREFIX_LEN);
	/* callers that only ask "is it shared?" pass NULL for everything */
	if (group)
		*group = g;
	if (group_len)
		*group_len = e ? (size_t)(e - g) : len - SHARE_PREFIX_LEN;
	if (rest)
		*rest = e ? e + 1 : s + len;
	if (rest_len)
		*rest_len = e ? (size_t)(s + len - e - 1) : 0;
	return true;
}

bool topic_filter_valid(const char *s, size_t len)
{
	const char *g, *r;
	size_t glen, rlen, i;

	if (len > TOPIC_MAX_LEN)
		return false;
	if (!topic_share_split(s, len, &g, &glen, &r, &rlen))
		return filter_levels_valid(s, len);
	/* MQTT 5 §4.8.2: ShareName at least one character, no '/', '+' or '#' */
	if (!glen)
		return false;
	for (i = 0; i < glen; i++)
		if (g[i] == '+' || g[i] == '#' || !g[i])
			return false;
	return filter_levels_valid(r, rlen);
}

bool topic_filter_has_wildcard(const char *s, size_t len)
{
	const char *g, *r = s;
	size_t glen, rlen = len;

	topic_share_split(s, len, &g, &glen, &r, &rlen);
	return (rlen && memchr(r, '+', rlen)) || (rlen && memchr(r, '#', rlen));
}

bool topic_matches(const char *filter, size_t flen, const char *topic, size_t tlen)
{
	size_t f = 0, t = 0, fe, te;

	/* [MQTT-4.7.2-1]: wildcards at the first level do not match "$SYS/..." and the like */
	if (tlen && topic[0] == '$' && flen && (filter[0] == '+' || filter[0] == '#'))
		return false;
	/* f and t index the start of the current level; past the end means no level left */
	for (;;) {
		if (f > flen)
			return t > tlen;
		fe = level_end(filter, flen, f);
		if (is_wild(filter, f, fe, '#'))
			return true; /* also with no level left: "a/#" matches "a" */
		if (t > tlen)
			return false;
		te = level_end(topic, tlen, t);
		if (!is_wild(filter, f, fe, '+') &&
		    (fe - f != te - t || memcmp(filter + f, topic + t, fe - f)))
			return false;
		f = fe + 1;
		t = te + 1;
	}
}

/* ---- the tree ---- */

struct topic_tree *topic_tree_new(bool (*member_ok)(void *subscriber))
{
	struct topic_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->member_ok = member_ok;
	/* without topic_tree_set_seed, ASLR still makes the layout hard to predict */
	t->seed = mix64((uintptr_t)t ^ 0x2545f4914f6cdd1dULL);
	t->rng = mix64(t->seed ^ 0x9e3779b97f4a7c15ULL) | 1;
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
			n = kid(n, n->kids.n - 1);
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
		node_free(t, n);
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
	free(t->cache.slot);
	free(t->cache.arena);
	free(t);
}

size_t topic_node_count(const struct topic_tree *t)
{
	return t->nnodes - 2;
}

static void cache_invalidate(struct topic_tree *t)
{
	t->cache.gen++;
	t->cache.count = 0;
	t->cache.aused = 0;
	t->cache.disabled = false;
}

int topic_tree_set_seed(struct topic_tree *t, uint64_t seed)
{
	if (t->nnodes != 2)
		return -EBUSY; /* stored hashes would go stale */
	t->seed = seed;
	t->rng = mix64(seed ^ 0x9e3779b97f4a7c15ULL) | 1;
	cache_invalidate(t);
	return 0;
}

void topic_tree_set_share_strategy(struct topic_tree *t, enum topic_share_strategy s)
{
	t->share_strategy = (uint8_t)s;
}

/* ---- subscriptions ---- */

static struct topic_share *share_find(const struct topic_node *n, const char *g, size_t glen)
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
	struct topic_share *g = share_find(n, gname, glen);
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
	n = path_node(t, t->subs, rest, rlen, true);
	if (!n)
		return -ENOMEM;
	if (g) {
		ret = share_add(n, filter, len, g, glen, &s);
	} else if ((i = sub_find(t, n, subscriber)) >= 0) {
		((struct topic_sub *)n->subs.a)[i] = s;
		ret = 1;
	} else {
		ret = vec_push(t, &n->subs, sizeof(s), &s, sub_hash);
	}
	if (ret < 0) {
		prune(t, n);
		return ret;
	}
	t->nsubs += !ret;
	cache_invalidate(t);
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
	n = path_node(t, t->subs, rest, rlen, false);
	if (!n)
		return -ENOENT;
	if (g) {
		if (share_remove(n, g, glen, subscriber))
			return -ENOENT;
	} else {
		i = sub_find(t, n, subscriber);
		if (i < 0)
			return -ENOENT;
		vec_del(t, &n->subs, sizeof(struct topic_sub), (uint32_t)i, sub_hash);
	}
	t->nsubs--;
	prune(t, n);
	cache_invalidate(t);
	return 0;
}

size_t topic_sub_count(const struct topic_tree *t)
{
	return t->nsubs;
}

/* ---- matching ---- */

static uint32_t share_random(struct topic_tree *t, uint32_t n)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return (uint32_t)(((t->rng * 0x2545f4914f6cdd1dULL) >> 32) % n);
}

/*
 * One member of group g, by the tree's strategy (th: the topic's hash, for HASH_TOPIC; 0 and
 * round robin without a topic), passing over members member_ok refuses while one is ok.
 */
static void share_deliver(struct topic_tree *t, struct topic_share *g, topic_match_fn fn, void *ctx,
			  bool has_topic, uint32_t th)
{
	uint32_t start, pick, i, j;
	const struct topic_sub *m;
	const struct topic_share *prev;

	switch (t->share_strategy) {
	case TOPIC_SHARE_RANDOM:
		start = share_random(t, g->n);
		break;
	case TOPIC_SHARE_HASH_TOPIC:
		start = has_topic ? th % g->n : g->rr;
		break;
	default: /* ROUND_ROBIN from the next one, STICKY from the last one */
		start = g->rr;
		break;
	}
	pick = start;
	if (t->member_ok) {
		for (i = 0; i < g->n; i++) {
			j = start + i < g->n ? start + i : start + i - g->n;
			if (t->member_ok(g->memb[j].subscriber)) {
				pick = j;
				break;
			}
		}
	}
	if (t->share_strategy == TOPIC_SHARE_STICKY)
		g->rr = pick;
	else if (t->share_strategy != TOPIC_SHARE_RANDOM &&
		 (t->share_strategy != TOPIC_SHARE_HASH_TOPIC || !has_topic))
		g->rr = pick + 1 < g->n ? pick + 1 : 0;
	m = &g->memb[pick];
	prev = t->cur_share; /* fn may match again (nested) */
	t->cur_share = g;
	fn(ctx, m->subscriber, m->opts | TOPIC_OPT_SHARED, m->sub_id);
	t->cur_share = prev;
}

const char *topic_match_share_filter(const struct topic_tree *t, size_t *len)
{
	if (!t->cur_share)
		return NULL;
	*len = t->cur_share->flen;
	return t->cur_share->filter;
}

int topic_share_pick(struct topic_tree *t, const char *filter, size_t len, topic_match_fn fn,
		     void *ctx)
{
	const char *g, *rest;
	size_t glen, rlen;
	struct topic_node *n;
	struct topic_share *sh;

	if (!topic_filter_valid(filter, len) ||
	    !topic_share_split(filter, len, &g, &glen, &rest, &rlen))
		return -EINVAL;
	n = path_node(t, t->subs, rest, rlen, false);
	sh = n ? share_find(n, g, glen) : NULL;
	if (!sh)
		return -ENOENT;
	share_deliver(t, sh, fn, ctx, false, 0);
	return 0;
}

static void walk_record(struct topic_walk *w, void *p, uint8_t opts, uint32_t sub_id)
{
	/* keep counting past the room: the total decides what the cache does next */
	if (w->nrec < w->room)
		w->rec[w->nrec] = (struct topic_sub){p, sub_id, opts};
	w->nrec++;
}

/*
 * Deliver everything subscribed at n. Each node is one filter and the walk reaches it at
 * most once per topic, so each shared subscription (group, filter) delivers exactly once.
 * The same group name on several matching filters delivers once per filter: MQTT 5 §4.8.2
 * makes each shared subscription a separate subscription, as with ordinary overlaps.
 */
static void node_deliver(struct topic_walk *w, struct topic_node *n)
{
	const struct topic_sub *s = n->subs.a;
	struct topic_share *g;
	uint32_t i;

	for (i = 0; i < n->subs.n; i++) {
		w->fn(w->ctx, s[i].subscriber, s[i].opts, s[i].sub_id);
		if (w->rec)
			walk_record(w, s[i].subscriber, s[i].opts, s[i].sub_id);
	}
	for (g = n->shares; g; g = g->next) {
		share_deliver(w->t, g, w->fn, w->ctx, true, w->th);
		if (w->rec)
			walk_record(w, g, TOPIC_OPT_SHARED, 0);
	}
}

static uint32_t walk_hash(struct topic_walk *w, size_t depth, const char *s, size_t len)
{
	uint32_t h;

	if (depth < WALK_MEMO && (w->hknown >> depth & 1))
		return w->hmemo[depth];
	h = hash_bytes(w->t->seed, s, len);
	if (depth < WALK_MEMO) {
		w->hmemo[depth] = h;
		w->hknown |= 1u << depth;
	}
	return h;
}

/*
 * Depth-first over the filters that match topic, without recursion: at each node try '#',
 * then '+', then the literal child; coming back up, the parent's phase follows from which
 * child we return from. `pending` counts '+' edges on the path: with none, no node above
 * has anything left to try, so the common literal-only walk ends without climbing back.
 * Cost: O(levels + matches), plus one level hash per node visited.
 */
static void trie_walk(struct topic_walk *w, const char *topic, size_t len)
{
	struct topic_node *root = w->t->subs, *n = root, *c;
	bool dollar = len && topic[0] == '$', wild;
	size_t pos = 0, end, pending = 0, depth = 0;
	int phase = 0; /* 0: entering n, 1: back from n->plus, 2: back from the literal child */

	w->hknown = 0;
	for (;;) {
		wild = !(dollar && n == root); /* [MQTT-4.7.2-1] */
		if (phase == 0) {
			if (wild && n->hash)
				node_deliver(w, n->hash);
			if (pos > len) {
				node_deliver(w, n);
				goto up;
			}
			if (wild && n->plus) {
				n = n->plus;
				pos = level_end(topic, len, pos) + 1;
				pending++;
				depth++;
				continue;
			}
		}
		if (phase < 2) {
			end = level_end(topic, len, pos);
			c = kid_find(n, topic + pos, end - pos,
				     walk_hash(w, depth, topic + pos, end - pos));
			if (c) {
				n = c;
				pos = end + 1;
				phase = 0;
				depth++;
				continue;
			}
		}
	up:
		if (!pending)
			return;
		phase = n == n->parent->plus ? 1 : 2;
		pending -= phase == 1;
		n = n->parent;
		pos = level_prev(topic, pos);
		depth--;
	}
}

static struct topic_cslot *cache_slot(struct topic_cache *c, uint32_t h, const char *topic,
				      size_t len)
{
	uint32_t i, mask = c->nslot - 1;
	struct topic_cslot *s;

	/* terminates: at most half the slots are live */
	for (i = h & mask;; i = (i + 1) & mask) {
		s = &c->slot[i];
		if (s->gen != c->gen)
			return s;
		if (s->hash == h && s->tlen == len && !memcmp(c->arena + s->off, topic, len))
			return s;
	}
}

/* Empty the cache, first growing the part that ran out (until the maxima). */
static void cache_reset(struct topic_cache *c, bool more_slots, bool more_arena)
{
	void *p;

	c->gen++;
	c->count = 0;
	c->aused = 0;
	if (more_slots && c->nslot < CACHE_SLOTS_MAX &&
	    (p = calloc(2 * (size_t)c->nslot, sizeof(*c->slot)))) {
		free(c->slot);
		c->slot = p;
		c->nslot *= 2;
	}
	if (more_arena && c->acap < CACHE_ARENA_MAX && (p = malloc(2 * c->acap))) {
		free(c->arena);
		c->arena = p;
		c->acap *= 2;
	}
}

static bool cache_ready(struct topic_cache *c)
{
	if (c->slot)
		return true;
	if (c->disabled)
		return false;
	c->slot = calloc(CACHE_SLOTS_MIN, sizeof(*c->slot));
	c->arena = malloc(CACHE_ARENA_MIN);
	if (!c->slot || !c->arena) {
		free(c->slot);
		free(c->arena);
		c->slot = NULL;
		c->arena = NULL;
		c->disabled = true;
		return false;
	}
	c->nslot = CACHE_SLOTS_MIN;
	c->acap = CACHE_ARENA_MIN;
	return true;
}

static size_t align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

/*
 * A miss: walk the trie, delivering and writing the records behind the topic bytes in the
 * arena. If they fit, the slot goes live. If they could never fit (over a quarter of the
 * largest arena), the slot says so and the topic stops trying. Otherwise the arena is full:
 * it is emptied and grown (up to its maximum), and the topic gets in on its next match.
 */
static void cache_fill(struct topic_walk *w, struct topic_cslot *s, uint32_t h, const char *topic,
		       size_t len)
{
	struct topic_cache *c = &w->t->cache;
	size_t off, roff, need;

	if (c->count >= c->nslot / 2) {
		cache_reset(c, true, false);
		s = cache_slot(c, h, topic, len);
	}
	off = c->aused;
	roff = align8(off + len);
	if (roff > c->acap) {
		cache_reset(c, false, true);
		s = cache_slot(c, h, topic, len);
		off = 0;
		roff = align8(len);
	}
	w->rec = (struct topic_sub *)(c->arena + roff);
	w->room = (c->acap - roff) / sizeof(*w->rec);
	c->busy = true;
	trie_walk(w, topic, len);
	c->busy = false;
	need = w->nrec * sizeof(*w->rec);
	if (w->nrec <= w->room) {
		c->aused = roff + need;
		s->nrec = (uint32_t)w->nrec;
	} else if (need > CACHE_ARENA_MAX / 4) {
		c->aused = off + len;
		s->nrec = CACHE_UNCACHEABLE;
	} else {
		cache_reset(c, false, true);
		return;
	}
	memcpy(c->arena + off, topic, len);
	s->gen = c->gen;
	s->hash = h;
	s->tlen = (uint32_t)len;
	s->off = (uint32_t)off;
	c->count++;
}

void topic_match(struct topic_tree *t, const char *topic, size_t len, topic_match_fn fn, void *ctx)
{
	struct topic_walk w; /* not zeroed as a whole: hmemo is only read where hknown says */
	struct topic_cache *c = &t->cache;
	const struct topic_sub *rec;
	struct topic_cslot *s;
	uint32_t h, i;

	w.t = t;
	w.fn = fn;
	w.ctx = ctx;
	w.rec = NULL;
	w.nrec = w.room = 0;
	w.th = t->share_strategy == TOPIC_SHARE_HASH_TOPIC ? hash_bytes(t->seed, topic, len) : 0;
	if (len > CACHE_TOPIC_MAX || c->busy || !cache_ready(c)) {
		trie_walk(&w, topic, len);
		return;
	}
	h = hash_bytes(t->seed, topic, len);
	s = cache_slot(c, h, topic, len);
	if (s->gen != c->gen) {
		cache_fill(&w, s, h, topic, len);
		return;
	}
	if (s->nrec == CACHE_UNCACHEABLE) {
		trie_walk(&w, topic, len);
		return;
	}
	/* a hit: replay, choosing shared members afresh so the rotation goes on */
	rec = (const struct topic_sub *)(c->arena + align8(s->off + s->tlen));
	c->busy = true;
	for (i = 0; i < s->nrec; i++) {
		if (rec[i].opts == TOPIC_OPT_SHARED)
			share_deliver(t, rec[i].subscriber, fn, ctx, true, w.th);
		else
			fn(ctx, rec[i].subscriber, rec[i].opts, rec[i].sub_id);
	}
	c->busy = false;
}

/* ---- retained messages ---- */

void *topic_retain_set(struct topic_tree *t, const char *topic, size_t len, void *msg)
{
	struct topic_node *n;
	void *old;

	if (!topic_name_valid(topic, len))
		return msg;
	n = path_node(t, t->ret, topic, len, msg != NULL);
	if (!n)
		return msg;
	old = n->retained;
	n->retained = msg;
	if (msg && !old)
		t->nretained++;
	if (!msg && old)
		t->nretained--;
	if (!msg)
		prune(t, n);
	return old;
}

void *topic_retain_get(struct topic_tree *t, const char *topic, size_t len)
{
	struct topic_node *n;

	if (!topic_name_valid(topic, len))
		return NULL;
	n = path_node(t, t->ret, topic, len, false);
	return n ? n->retained : NULL;
}

/* Skip root children "$..." when the filter's first level is a wildcard [MQTT-4.7.2-1]. */
static uint32_t kid_next(const struct topic_node *n, uint32_t i, bool skip_dollar)
{
	while (skip_dollar && i < n->kids.n && kid(n, i)->seg_len && kid(n, i)->seg[0] == '$')
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
			n = kid(n, i);
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
		end = level_end(filter, len, pos);
		if (is_wild(filter, pos, end, '#')) {
			retain_subtree(n, n == root, fn, ctx);
			goto up;
		}
		if (is_wild(filter, pos, end, '+')) {
			i = kid_next(n, i, n == root);
			if (i < n->kids.n) {
				n = kid(n, i);
				pos = end + 1;
				i = 0;
				continue;
			}
			goto up;
		}
		c = kid_find(n, filter + pos, end - pos,
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
			pos = level_prev(filter, pos);
			i = n->pos + 1;
			n = n->parent;
			if (is_wild(filter, pos, level_end(filter, len, pos), '+'))
				break; /* resume the parent's '+' at the next sibling */
		}
	}
}

static struct topic_node *deepest_last(struct topic_node *n)
{
	while (n->kids.n)
		n = kid(n, n->kids.n - 1);
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
		if (node_empty(n)) {
			node_unlink(t, p, n);
			node_free(t, n);
		}
		n = i ? deepest_last(kid(p, i - 1)) : p;
	}
}

size_t topic_retain_count(const struct topic_tree *t)
{
	return t->nretained;
}
