/* SPDX-License-Identifier: MIT */
/* topic_match: matching, shared-group delivery and the exact-topic cache (see topic_int.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topic_int.h"

#define CACHE_SLOTS_MIN	  64u
#define CACHE_SLOTS_MAX	  8192u /* filled at most half: 4096 topics */
#define CACHE_ARENA_MIN	  4096u
#define CACHE_ARENA_MAX	  (1u << 20)
#define CACHE_TOPIC_MAX	  1024u /* longer topics are rare and always walk the trie */
#define CACHE_UNCACHEABLE UINT32_MAX

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
	n = topic_path_node(t, t->subs, rest, rlen, false);
	sh = n ? topic_share_find(n, g, glen) : NULL;
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
				pos = topic_level_end(topic, len, pos) + 1;
				pending++;
				depth++;
				continue;
			}
		}
		if (phase < 2) {
			end = topic_level_end(topic, len, pos);
			c = topic_kid_find(n, topic + pos, end - pos,
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
		pos = topic_level_prev(topic, pos);
		depth--;
	}
}

/* ---- the exact-topic cache ---- */

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
