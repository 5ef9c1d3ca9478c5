/* SPDX-License-Identifier: MIT */
/*
 * topic_int.h: what the topic files share (private to daemon/mqtt/topic*.c; see topic.h).
 *
 * Two tries of the same node type hang off one tree: `subs` keyed by filter level (with '+'
 * and '#' children in dedicated slots) and `ret` keyed by topic-name level. A node's literal
 * children live in a dense array (vec.h); once the array outgrows VEC_NARROW it also gets an
 * open-addressed index of positions, so a node with thousands of siblings is still one probe
 * away. Subscriptions of a node are a dense array of 16-byte entries indexed the same way by
 * subscriber pointer. Dense arrays keep iteration cheap and let every traversal (match,
 * retained match, foreach with removal, free) run without recursion: each node knows its
 * parent and its position in the parent's array. Deep topics ("////..." has 65536 levels)
 * therefore cannot blow the stack.
 *
 * In front of the trie sits an exact-topic cache (topic_match.c): the records a topic_match
 * produced (non-shared subscriptions and shared groups) are kept in an arena, found through a
 * hash table of slots, and replayed on the next match of the same topic. Any subscription
 * change bumps a generation number that invalidates every slot in O(1).
 *
 * The files: topic.c (nodes, the tree, subscriptions), topic_match.c (matching, shared
 * groups, the cache), topic_retain.c (the retained store), topic_valid.c (validation).
 */
#ifndef MQTTGW_TOPIC_INT_H
#define MQTTGW_TOPIC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "topic.h"
#include "vec.h"

/*
 * One subscription. Also the record format of the cache, where a shared group is stored as
 * {group, 0, TOPIC_OPT_SHARED}: stored options never carry that bit, so it tags groups.
 */
struct topic_sub {
	void *subscriber;
	uint32_t sub_id;
	uint8_t opts;
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
	struct vec kids; /* of struct topic_node * */
	uint32_t h;	 /* hash of seg */
	uint32_t pos;	 /* position in parent->kids (unused for '+' and '#' nodes) */
	void *retained;	 /* retained trie only */
	/* subscription trie only: */
	struct topic_node *plus, *hash;
	struct vec subs; /* of struct topic_sub, unordered */
	struct topic_share *shares;
	uint32_t seg_len;
	uint32_t rgen; /* retained trie: t->rgen when `retained` was set (topic_rcursor.c) */
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
	uint64_t seed; /* of every hash in the tree (hash.h) */
	uint64_t rng;  /* TOPIC_SHARE_RANDOM's state (xorshift64*) */
	uint8_t share_strategy;
	size_t nsubs, nretained, nnodes;
	struct topic_cache cache;
	const struct topic_share *cur_share; /* the group a match callback is reporting */
	/* topic_rcursor.c: retained sets are numbered (rgen); while a cursor walks (rwalkers),
	 * no retained node is unlinked, so cursors keep their place: the topics of nodes left
	 * empty meanwhile (husks) are pruned when the last cursor ends */
	uint32_t rgen, rwalkers;
	uint32_t nhusks, husks_cap;
	char **husks; /* NUL-terminated topics */
};

/* ---- nodes and levels (inline: the match walk calls them once per level) ---- */

static inline struct topic_node *topic_kid(const struct topic_node *n, uint32_t i)
{
	return ((struct topic_node **)n->kids.a)[i];
}

static inline bool topic_seg_eq(const struct topic_node *n, uint32_t h, const char *s, size_t len)
{
	return n->h == h && n->seg_len == len && !memcmp(n->seg, s, len);
}

/* The literal child of n for level s (hash h = hash_bytes(seed, s, len)), or NULL. */
static inline struct topic_node *topic_kid_find(const struct topic_node *n, const char *s,
						size_t len, uint32_t h)
{
	uint32_t i, mask;

	if (!n->kids.idx) {
		for (i = 0; i < n->kids.n; i++)
			if (topic_seg_eq(topic_kid(n, i), h, s, len))
				return topic_kid(n, i);
		return NULL;
	}
	mask = vec_mask(&n->kids);
	for (i = h & mask; n->kids.idx[i]; i = (i + 1) & mask)
		if (topic_seg_eq(topic_kid(n, n->kids.idx[i] - 1), h, s, len))
			return topic_kid(n, n->kids.idx[i] - 1);
	return NULL;
}

static inline bool topic_node_empty(const struct topic_node *n)
{
	return !n->kids.n && !n->plus && !n->hash && !n->subs.n && !n->shares && !n->retained;
}

/* End of the level that starts at pos: its '/' or len. */
static inline size_t topic_level_end(const char *s, size_t len, size_t pos)
{
	const char *e = memchr(s + pos, '/', len - pos);

	return e ? (size_t)(e - s) : len;
}

/*
 * Start of the level that ends just before pos (pos is one past its '/' or its end). Used to
 * step back up the tries without a stack.
 */
static inline size_t topic_level_prev(const char *s, size_t pos)
{
	size_t i = pos - 1;

	while (i > 0 && s[i - 1] != '/')
		i--;
	return i;
}

/* Is the level [pos, end) exactly the wildcard c? */
static inline bool topic_is_wild(const char *s, size_t pos, size_t end, char c)
{
	return end - pos == 1 && s[pos] == c;
}

/* Any subscription change: every cached match goes stale at once. */
static inline void topic_cache_invalidate(struct topic_tree *t)
{
	t->cache.gen++;
	t->cache.count = 0;
	t->cache.aused = 0;
	t->cache.disabled = false;
}

/* ---- topic_rcursor.c ---- */

struct topic_rcursor {
	struct topic_node *n;	/* where it stands; NULL: the walk is over */
	struct topic_node *top; /* walking below this '#' node; NULL: matching levels */
	const char *filter;	/* topic_rcursor_new: its own copy; _init: the caller's */
	size_t len, pos;	/* pos: the filter level n's children are matched against */
	uint32_t i;		/* n's next child to try */
	uint32_t gen;		/* t->rgen when it was made */
	bool up;		/* n was reported: climb first */
	/* nodes whose message topic_rcursor_take handed out: skipped when reached (an
	 * open-addressed set of pointers; nodes are not freed while the cursor exists) */
	const struct topic_node **taken;
	uint32_t ntaken, taken_cap;
	uint64_t seed;
};

/* A cursor in the caller's memory on the caller's filter (which must outlive it). */
void topic_rcursor_init(struct topic_tree *t, struct topic_rcursor *c, const char *filter,
			size_t len);
void topic_rcursor_fini(struct topic_tree *t, struct topic_rcursor *c);

/* ---- topic.c ---- */

/* Remember n's topic for a prune after the last cursor (no memory: n stays, empty). */
void topic_husk_add(struct topic_tree *t, const struct topic_node *n);

/*
 * The node of a valid filter or topic name below root; with create, missing nodes are made
 * (and on -ENOMEM the part already made is pruned again). NULL if absent or out of memory.
 */
struct topic_node *topic_path_node(struct topic_tree *t, struct topic_node *root, const char *s,
				   size_t len, bool create);
/* Free n and its ancestors while they hold nothing: churn must not grow the tries. */
void topic_prune(struct topic_tree *t, struct topic_node *n);
/* Take n out of its parent p (n stays allocated). */
void topic_node_unlink(struct topic_tree *t, struct topic_node *p, struct topic_node *n);
void topic_node_free(struct topic_tree *t, struct topic_node *n);
/* The shared group named g (glen bytes) at n, or NULL. */
struct topic_share *topic_share_find(const struct topic_node *n, const char *g, size_t glen);

#endif /* MQTTGW_TOPIC_INT_H */
