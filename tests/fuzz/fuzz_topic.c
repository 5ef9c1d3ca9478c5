/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the topic tree (daemon/mqtt/topic*.c). The input is a script of small
 * operations (subscribe, unsubscribe, match, retain set/delete/match/foreach, validate) run
 * against one tree and a plain model of it: every result is cross-checked against the model,
 * which decides matches with topic_matches and simulates the shared-subscription rotation. Any
 * difference aborts.
 * At the end everything is removed and the tree must be back to zero nodes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "topic.h"

#define MAXS	     64 /* model subscriptions */
#define MAXR	     48 /* model retained messages */
#define MAXG	     32 /* model shared groups */
#define MAXM	     8	/* members per group */
#define STRMAX	     96 /* generated strings */
#define NSUBSCRIBERS 12 /* more than VEC_NARROW, so a node's subscriptions get indexed */


struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

struct str {
	char s[STRMAX];
	size_t len;
};

struct msub {
	struct str f;
	int sub;
	uint8_t opts;
	uint32_t id;
};

struct mmember {
	int sub;
	uint8_t opts;
	uint32_t id;
};

struct mgroup {
	struct str key; /* the whole "$share/<group>/<filter>" names one (group, filter) */
	const char *rest;
	size_t rlen;
	struct mmember m[MAXM];
	int n, rr;
};

struct mret {
	struct str topic;
	uint32_t msg;
};

struct model {
	struct msub s[MAXS];
	int ns;
	struct mgroup g[MAXG];
	int ng, nmemb;
	struct mret r[MAXR];
	int nr;
	uint16_t okmask;
	uint32_t next_msg;
};

struct hit {
	uintptr_t sub;
	uint32_t id;
	uint8_t opts;
};

struct hits {
	struct hit h[MAXS + MAXG + MAXR];
	int n;
};

#define SUBP(k) ((void *)(uintptr_t)(0x100 + (k)))
#define MSGP(k) ((void *)(uintptr_t)(0x10000 + (k)))

static const char *const levels[] = {"a", "b", "", "$x", "+", "#", "ab", "$SYS", "a+"};

static void put(struct str *s, const char *p, size_t n)
{
	if (s->len + n > STRMAX)
		n = STRMAX - s->len;
	memcpy(s->s + s->len, p, n);
	s->len += n;
}

/* Mostly well-formed levels from a small alphabet, so that matches and collisions happen. */
static void gen(struct in *in, struct str *s, bool share)
{
	uint8_t b = byte(in), nl = 1 + byte(in) % 5, i;
	char num[8];

	s->len = 0;
	if (share && b >= 200) {
		static const char *const pfx[] = {"$share/g/", "$share/h/", "$share/",
						  "$share/+/", "$share//",  "$share/g"};

		put(s, pfx[b % 6], strlen(pfx[b % 6]));
	}
	for (i = 0; i < nl; i++) {
		if (i)
			put(s, "/", 1);
		b = byte(in);
		if (b < 200) {
			put(s, levels[b % 9], strlen(levels[b % 9]));
		} else if (b < 240) {
			/* many siblings: pushes nodes past the narrow-array size into the index */
			snprintf(num, sizeof(num), "n%u", b - 200);
			put(s, num, strlen(num));
		} else {
			num[0] = (char)byte(in);
			put(s, num, 1);
		}
	}
}

static struct model M;

static bool member_ok(void *sub)
{
	return M.okmask >> ((uintptr_t)sub - 0x100) & 1;
}

static void collect(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	struct hits *hs = ctx;

	CHECK(hs->n < (int)(sizeof(hs->h) / sizeof(hs->h[0])));
	hs->h[hs->n++] = (struct hit){(uintptr_t)sub, id, opts};
}

/* topic_match's callback: also, a shared hit names a shared filter that matches the topic. */
static struct topic_tree *m_tree;
static const char *m_topic;
static size_t m_topic_len;

static void mcollect(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	const char *f, *rest;
	size_t len = 0, rlen;

	collect(ctx, sub, opts, id);
	f = topic_match_share_filter(m_tree, &len);
	CHECK(!f == !(opts & TOPIC_OPT_SHARED));
	if (f) {
		CHECK(topic_share_split(f, len, NULL, NULL, &rest, &rlen));
		CHECK(topic_matches(rest, rlen, m_topic, m_topic_len));
	}
}

static void rcollect(void *ctx, void *msg)
{
	collect(ctx, msg, 0, 0);
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->sub != y->sub)
		return x->sub < y->sub ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (int)x->opts - (int)y->opts;
}

static void hits_check(struct hits *got, struct hits *want)
{
	qsort(got->h, (size_t)got->n, sizeof(got->h[0]), hit_cmp);
	qsort(want->h, (size_t)want->n, sizeof(want->h[0]), hit_cmp);
	CHECK(got->n == want->n);
	for (int i = 0; i < got->n; i++) /* not memcmp: struct padding is undefined */
		CHECK(!hit_cmp(&got->h[i], &want->h[i]));
}

static bool same(const struct str *a, const char *s, size_t len)
{
	return a->len == len && !memcmp(a->s, s, len);
}

static int model_group(const struct str *f)
{
	int i;

	for (i = 0; i < M.ng; i++)
		if (same(&M.g[i].key, f->s, f->len))
			return i;
	return -1;
}

/* Expected return of topic_sub_add, applying it to the model; -2: model full, skip. */
static int model_add(const struct str *f, int sub, uint8_t opts, uint32_t id)
{
	const char *g, *rest;
	size_t glen, rlen;
	struct mgroup *mg;
	int i;

	opts &= (uint8_t)~TOPIC_OPT_SHARED;
	if (!topic_filter_valid(f->s, f->len))
		return -EINVAL;
	if (topic_share_split(f->s, f->len, &g, &glen, &rest, &rlen)) {
		i = model_group(f);
		if (i < 0) {
			if (M.ng == MAXG)
				return -2;
			mg = &M.g[M.ng++];
			memset(mg, 0, sizeof(*mg));
			mg->key = *f;
			mg->rest = mg->key.s + (rest - f->s);
			mg->rlen = rlen;
		}
		mg = &M.g[i < 0 ? M.ng - 1 : i];
		for (i = 0; i < mg->n; i++)
			if (mg->m[i].sub == sub) {
				mg->m[i] = (struct mmember){sub, opts, id};
				return 1;
			}
		if (mg->n == MAXM)
			return -2;
		mg->m[mg->n++] = (struct mmember){sub, opts, id};
		M.nmemb++;
		return 0;
	}
	for (i = 0; i < M.ns; i++)
		if (M.s[i].sub == sub && same(&M.s[i].f, f->s, f->len)) {
			M.s[i].opts = opts;
			M.s[i].id = id;
			return 1;
		}
	if (M.ns == MAXS)
		return -2;
	M.s[M.ns++] = (struct msub){*f, sub, opts, id};
	return 0;
}

static int model_remove(const struct str *f, int sub)
{
	const char *g, *rest;
	size_t glen, rlen;
	struct mgroup *mg;
	int i, k;

	if (!topic_filter_valid(f->s, f->len))
		return -EINVAL;
	if (topic_share_split(f->s, f->len, &g, &glen, &rest, &rlen)) {
		k = model_group(f);
		if (k < 0)
			return -ENOENT;
		mg = &M.g[k];
		for (i = 0; i < mg->n && mg->m[i].sub != sub; i++)
			;
		if (i == mg->n)
			return -ENOENT;
		memmove(mg->m + i, mg->m + i + 1, (size_t)(mg->n - i - 1) * sizeof(mg->m[0]));
		mg->n--;
		M.nmemb--;
		/* the documented rotation: the member that was next stays next */
		if (i < mg->rr)
			mg->rr--;
		if (mg->rr >= mg->n)
			mg->rr = 0;
		if (!mg->n) {
			M.g[k] = M.g[--M.ng];
			M.g[k].rest = M.g[k].key.s + (M.g[M.ng].rest - M.g[M.ng].key.s);
		}
		return 0;
	}
	for (i = 0; i < M.ns; i++)
		if (M.s[i].sub == sub && same(&M.s[i].f, f->s, f->len)) {
			M.s[i] = M.s[--M.ns];
			return 0;
		}
	return -ENOENT;
}

static void model_match(const struct str *topic, struct hits *want)
{
	struct mgroup *mg;
	int i, j, pick;

	want->n = 0;
	for (i = 0; i < M.ns; i++)
		if (topic_matches(M.s[i].f.s, M.s[i].f.len, topic->s, topic->len))
			collect(want, SUBP(M.s[i].sub), M.s[i].opts, M.s[i].id);
	for (i = 0; i < M.ng; i++) {
		mg = &M.g[i];
		if (!topic_matches(mg->rest, mg->rlen, topic->s, topic->len))
			continue;
		pick = mg->rr;
		for (j = 0; j < mg->n; j++)
			if (M.okmask >> mg->m[(mg->rr + j) % mg->n].sub & 1) {
				pick = (mg->rr + j) % mg->n;
				break;
			}
		mg->rr = (pick + 1) % mg->n;
		collect(want, SUBP(mg->m[pick].sub), mg->m[pick].opts | TOPIC_OPT_SHARED,
			mg->m[pick].id);
	}
}

static int model_retained(const char *s, size_t len)
{
	int i;

	for (i = 0; i < M.nr; i++)
		if (same(&M.r[i].topic, s, len))
			return i;
	return -1;
}

struct sweep {
	uint8_t key;
	struct hits seen;
};

static bool sweep_fn(void *ctx, void *msg)
{
	struct sweep *sw = ctx;
	uint32_t id = (uint32_t)((uintptr_t)msg - 0x10000);

	rcollect(&sw->seen, msg);
	return (id ^ sw->key) & 1;
}

static void check_validators(const uint8_t *p, size_t len)
{
	const char *s = (const char *)p, *g, *r;
	size_t gl, rl;
	bool shared = topic_share_split(s, len, &g, &gl, &r, &rl);
	bool name = topic_name_valid(s, len), filt = topic_filter_valid(s, len);

	if (shared) {
		CHECK(len >= 7 && !memcmp(s, "$share/", 7) && g == s + 7);
		CHECK(!memchr(g, '/', gl));
		if (7 + gl == len)
			CHECK(rl == 0);
		else
			CHECK(g[gl] == '/' && r == g + gl + 1 && 7 + gl + 1 + rl == len);
		CHECK(!filt || (gl && rl));
	}
	if (name && !shared)
		CHECK(filt && topic_matches(s, len, s, len));
	if (filt && !shared && !topic_filter_has_wildcard(s, len))
		CHECK(name);
	if (filt)
		CHECK(len && len <= TOPIC_MAX_LEN);
}

static void run(struct topic_tree *t, struct in *in)
{
	struct hits got, want;
	struct sweep sw;
	struct str f;
	uint8_t op, opts;
	int sub, ret, exp, i;
	uint32_t id;
	void *old;

	while (in->n) {
		op = byte(in) % 10;
		switch (op) {
		case 0:
		case 1:
			gen(in, &f, true);
			sub = byte(in) % NSUBSCRIBERS;
			opts = byte(in);
			id = byte(in);
			exp = model_add(&f, sub, opts, id);
			if (exp == -2)
				break;
			ret = topic_sub_add(t, f.s, f.len, SUBP(sub), opts, id);
			CHECK(ret == exp);
			break;
		case 2:
			sub = byte(in) % NSUBSCRIBERS;
			i = byte(in);
			if (i < M.ns)
				f = M.s[i].f;
			else if (i - M.ns < M.ng)
				f = M.g[i - M.ns].key;
			else
				gen(in, &f, true);
			exp = model_remove(&f, sub);
			CHECK(topic_sub_remove(t, f.s, f.len, SUBP(sub)) == exp);
			break;
		case 3:
		case 4:
			gen(in, &f, false);
			model_match(&f, &want);
			got.n = 0;
			m_tree = t;
			m_topic = f.s;
			m_topic_len = f.len;
			topic_match(t, f.s, f.len, mcollect, &got);
			hits_check(&got, &want);
			break;
		case 5:
			gen(in, &f, false);
			if (M.nr == MAXR && model_retained(f.s, f.len) < 0)
				break;
			id = M.next_msg++;
			old = topic_retain_set(t, f.s, f.len, MSGP(id));
			if (!topic_name_valid(f.s, f.len)) {
				CHECK(old == MSGP(id));
				break;
			}
			i = model_retained(f.s, f.len);
			CHECK(old == (i < 0 ? NULL : MSGP(M.r[i].msg)));
			if (i < 0)
				i = M.nr++;
			M.r[i] = (struct mret){f, id};
			CHECK(topic_retain_get(t, f.s, f.len) == MSGP(id));
			break;
		case 6:
			i = byte(in);
			if (i < M.nr)
				f = M.r[i].topic;
			else
				gen(in, &f, false);
			old = topic_retain_set(t, f.s, f.len, NULL);
			i = model_retained(f.s, f.len);
			CHECK(old == (i < 0 ? NULL : MSGP(M.r[i].msg)));
			if (i >= 0)
				M.r[i] = M.r[--M.nr];
			CHECK(!topic_retain_get(t, f.s, f.len));
			break;
		case 7:
			gen(in, &f, false);
			got.n = 0;
			topic_retain_match(t, f.s, f.len, rcollect, &got);
			if (!topic_filter_valid(f.s, f.len))
				break;
			want.n = 0;
			for (i = 0; i < M.nr; i++)
				if (topic_matches(f.s, f.len, M.r[i].topic.s, M.r[i].topic.len))
					rcollect(&want, MSGP(M.r[i].msg));
			hits_check(&got, &want);
			break;
		case 8:
			sw.key = byte(in);
			sw.seen.n = 0;
			topic_retain_foreach(t, sweep_fn, &sw);
			want.n = 0;
			for (i = 0; i < M.nr; i++)
				rcollect(&want, MSGP(M.r[i].msg));
			hits_check(&sw.seen, &want);
			for (i = 0; i < M.nr; i++)
				if ((M.r[i].msg ^ sw.key) & 1)
					M.r[i--] = M.r[--M.nr];
			break;
		default:
			M.okmask = (uint16_t)(byte(in) << 8 | byte(in));
			i = byte(in) % 24;
			if ((size_t)i > in->n)
				i = (int)in->n;
			check_validators(in->p, (size_t)i);
			in->p += i;
			in->n -= (size_t)i;
			break;
		}
		CHECK(topic_sub_count(t) == (size_t)(M.ns + M.nmemb));
		CHECK(topic_retain_count(t) == (size_t)M.nr);
	}
}

static int leftover;

static void retained_free(void *msg)
{
	(void)msg;
	leftover++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct topic_tree *t = topic_tree_new(member_ok);
	uint8_t seed;
	int i;

	CHECK(t);
	memset(&M, 0, sizeof(M));
	seed = byte(&in);
	CHECK(topic_tree_set_seed(t, seed) == 0);
	run(t, &in);

	if (seed & 0x80) {
		/* free a full tree: every retained message comes back, the rest LSan checks */
		leftover = 0;
		topic_tree_free(t, retained_free);
		CHECK(leftover == M.nr);
		return 0;
	}

	/* take everything out again: the tries must be empty, not just unreachable */
	while (M.ns)
		CHECK(topic_sub_remove(t, M.s[0].f.s, M.s[0].f.len, SUBP(M.s[0].sub)) ==
		      model_remove(&M.s[0].f, M.s[0].sub));
	while (M.ng) {
		struct str key = M.g[0].key;

		CHECK(topic_sub_remove(t, key.s, key.len, SUBP(M.g[0].m[0].sub)) ==
		      model_remove(&key, M.g[0].m[0].sub));
	}
	for (i = 0; i < M.nr; i++)
		CHECK(topic_retain_set(t, M.r[i].topic.s, M.r[i].topic.len, NULL) ==
		      MSGP(M.r[i].msg));
	CHECK(topic_sub_count(t) == 0);
	CHECK(topic_retain_count(t) == 0);
	CHECK(topic_node_count(t) == 0);
	leftover = 0;
	topic_tree_free(t, retained_free);
	CHECK(!leftover);
	return 0;
}
