/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/topic.c: validation tables, a matching matrix checked against both
 * topic_matches and the trie (cached and not), a randomized oracle comparison, shared
 * subscriptions, cache invalidation, the retained store, pruning under churn, deep topics,
 * allocation failures (outside sanitizer builds) and a small benchmark that only prints.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "topic.h"

#define S(x)   x, sizeof(x) - 1
#define SUB(k) ((void *)(uintptr_t)(0x1000 + (k)))
#define MSG(k) ((void *)(uintptr_t)(0x9000 + (k)))

/* ---- allocation failure injection (not under ASan, which owns malloc) ---- */

#if defined(__SANITIZE_ADDRESS__)
#define FAULTS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULTS 0
#endif
#endif
#ifndef FAULTS
#define FAULTS 1
#endif

#if FAULTS
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static long fault_countdown = -1; /* fail the allocation this many allocations from now */
static long fault_live;		  /* allocations not yet freed */

static int fault_hit(void)
{
	return fault_countdown >= 0 && fault_countdown-- == 0;
}

void *malloc(size_t n)
{
	void *p = fault_hit() ? NULL : __libc_malloc(n);

	fault_live += p != NULL;
	return p;
}

void *calloc(size_t n, size_t m)
{
	void *p = fault_hit() ? NULL : __libc_calloc(n, m);

	fault_live += p != NULL;
	return p;
}

void *realloc(void *o, size_t n)
{
	void *p = fault_hit() ? NULL : __libc_realloc(o, n);

	fault_live += p && !o;
	return p;
}

void free(void *p)
{
	fault_live -= p != NULL;
	__libc_free(p);
}
#endif

/* ---- collecting matches ---- */

struct hit {
	void *sub;
	uint32_t id;
	uint8_t opts;
};

#define HITS_MAX 65536
struct hits {
	size_t n;
	struct hit h[HITS_MAX];
};

static struct hits H1, H2;

static void collect(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	struct hits *hs = ctx;

	if (hs->n < HITS_MAX)
		hs->h[hs->n] = (struct hit){sub, id, opts};
	hs->n++;
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

static void hits_sort(struct hits *hs)
{
	qsort(hs->h, hs->n < HITS_MAX ? hs->n : HITS_MAX, sizeof(hs->h[0]), hit_cmp);
}

static size_t match(struct topic_tree *t, const char *topic, struct hits *hs)
{
	hs->n = 0;
	topic_match(t, topic, strlen(topic), collect, hs);
	hits_sort(hs);
	return hs->n;
}

static void assert_hits_equal(const struct hits *a, const struct hits *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n && i < HITS_MAX; i++) {
		assert_ptr_equal(a->h[i].sub, b->h[i].sub);
		assert_int_equal(a->h[i].id, b->h[i].id);
		assert_int_equal(a->h[i].opts, b->h[i].opts);
	}
}

static void rcollect(void *ctx, void *msg)
{
	collect(ctx, msg, 0, 0);
}

static bool tm(const char *f, const char *topic)
{
	return topic_matches(f, strlen(f), topic, strlen(topic));
}

static int add(struct topic_tree *t, const char *f, int sub, uint8_t opts, uint32_t id)
{
	return topic_sub_add(t, f, strlen(f), SUB(sub), opts, id);
}

static int del(struct topic_tree *t, const char *f, int sub)
{
	return topic_sub_remove(t, f, strlen(f), SUB(sub));
}

static struct topic_tree *tree(bool (*member_ok)(void *))
{
	struct topic_tree *t = topic_tree_new(member_ok);

	assert_non_null(t);
	assert_int_equal(topic_tree_set_seed(t, 0x5eed), 0);
	return t;
}

/* Deterministic PRNG (xorshift64*): fixed seeds keep failures reproducible. */
static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

/* ---- validation ---- */

static void test_name_valid(void **state)
{
	static const char *ok[] = {"a", "/",	    "//", "a/b",	"$SYS/x",     "a//b",
				   " ", "\xc3\xbc", "$",  "$share/g/a", "a/b/c/d/e/f"};
	static const char *bad[] = {"a+", "+", "#", "a/#", "a/+/b", "sport+", "#a"};
	char *big = malloc(TOPIC_MAX_LEN + 1);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(topic_name_valid(ok[i], strlen(ok[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(topic_name_valid(bad[i], strlen(bad[i])));
	assert_false(topic_name_valid("", 0));
	assert_false(topic_name_valid("a\0b", 3));
	assert_non_null(big);
	memset(big, 'x', TOPIC_MAX_LEN + 1);
	assert_true(topic_name_valid(big, TOPIC_MAX_LEN));
	assert_false(topic_name_valid(big, TOPIC_MAX_LEN + 1));
	assert_true(topic_filter_valid(big, TOPIC_MAX_LEN));
	assert_false(topic_filter_valid(big, TOPIC_MAX_LEN + 1));
	free(big);
}

static void test_filter_valid(void **state)
{
	static const char *ok[] = {
	    "a",
	    "+",
	    "#",
	    "a/+",
	    "a/#",
	    "+/+",
	    "/#",
	    "+/#",
	    "a//+",
	    "/",
	    "//",
	    "+/+/+",
	    "$SYS/#",
	    "$SYS/+/x",
	    "$share",
	    "$sharex/+",
	    "$SHARE/g",
	    "a/$share/g",
	    "$share/g/a",
	    "$share/g/#",
	    "$share/g/+/x",
	    "$share/g//",
	    "$share/g/a/b/#",
	    "$share/grp.1/$SYS/#",
	    "$share/g/$share/h/x",
	};
	static const char *bad[] = {
	    "a+",	   "+a",	   "a/#/b",	 "#/a",		"a#",
	    "##",	   "++",	   "a/b#",	 "a/+b",	"a/b+/c",
	    "$share/",	   "$share//a",	   "$share/g",	 "$share/g/",	"$share/g+/a",
	    "$share/g#/a", "$share/+/a",   "$share/#/a", "$share/g/a#", "$share/g/#/a",
	    "$share//",	   "$share/a+b/c",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(topic_filter_valid(ok[i], strlen(ok[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(topic_filter_valid(bad[i], strlen(bad[i])));
	assert_false(topic_filter_valid("", 0));
	assert_false(topic_filter_valid("a\0", 2));
	assert_false(topic_filter_valid("$share/g\0/a", 11));
}

static void test_share_split(void **state)
{
	const char *g, *r;
	size_t gl, rl;

	(void)state;
	assert_true(topic_share_split(S("$share/g/a/b"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 1);
	assert_memory_equal(g, "g", 1);
	assert_int_equal(rl, 3);
	assert_memory_equal(r, "a/b", 3);
	assert_true(topic_share_split(S("$share/grp/#"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 3);
	assert_int_equal(rl, 1);
	assert_memory_equal(r, "#", 1);
	assert_true(topic_share_split(S("$share/g"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 1);
	assert_int_equal(rl, 0);
	assert_true(topic_share_split(S("$share/"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 0);
	assert_int_equal(rl, 0);
	assert_true(topic_share_split(S("$share//x"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 0);
	assert_int_equal(rl, 1);
	assert_false(topic_share_split(S("$share"), &g, &gl, &r, &rl));
	assert_false(topic_share_split(S("$shar/x/y"), &g, &gl, &r, &rl));
	assert_false(topic_share_split(S("$SHARE/g/a"), &g, &gl, &r, &rl));
	assert_false(topic_share_split(S("a/$share/g/a"), &g, &gl, &r, &rl));
	assert_true(topic_share_split(S("$share/g/a"), NULL, NULL, NULL, NULL));
	assert_false(topic_share_split(S("$shar"), NULL, NULL, NULL, NULL));

	assert_true(topic_filter_has_wildcard(S("a/+")));
	assert_true(topic_filter_has_wildcard(S("#")));
	assert_true(topic_filter_has_wildcard(S("$share/g/a/#")));
	assert_true(topic_filter_has_wildcard(S("$share/g/+")));
	assert_false(topic_filter_has_wildcard(S("a/b")));
	assert_false(topic_filter_has_wildcard(S("$share/g/a")));
	assert_false(topic_filter_has_wildcard(S("$SYS/x")));
}

/* ---- the matching matrix ---- */

static const struct {
	const char *f, *t;
	bool match;
} matrix[] = {
    {"a", "a", 1},
    {"a", "b", 0},
    {"a", "A", 0},
    {"a", "a/b", 0},
    {"a", "a/", 0},
    {"a/b", "a", 0},
    {"a/b", "a/b", 1},
    {"a/b", "a/bc", 0},
    {"+", "a", 1},
    {"+", "a/b", 0},
    {"+", "/", 0},
    {"+/+", "/", 1},
    {"/+", "/", 1},
    {"#", "a", 1},
    {"#", "a/b/c", 1},
    {"#", "/", 1},
    {"#", "a//", 1},
    {"#", "$SYS", 0},
    {"#", "$SYS/a", 0},
    {"#", "$", 0},
    {"+", "$", 0},
    {"+", "$a", 0},
    {"+/a", "$SYS/a", 0},
    {"+/#", "$SYS/x", 0},
    {"$SYS/#", "$SYS", 1},
    {"$SYS/#", "$SYS/a/b", 1},
    {"$SYS/+", "$SYS/a", 1},
    {"$SYS/+", "$SYS", 0},
    {"$", "$", 1},
    {"a/$b", "a/$b", 1},
    {"+/$b", "a/$b", 1},
    {"a/+", "a/$b", 1},
    {"a/#", "a/$b/c", 1},
    {"a/#", "a", 1},
    {"a/#", "a/", 1},
    {"a/#", "a/b/c", 1},
    {"a/#", "ab", 0},
    {"a/#", "b", 0},
    {"a/#", "b/a", 0},
    {"a/b/#", "a/b", 1},
    {"a/b/#", "a", 0},
    {"a/+", "a", 0},
    {"a/+", "a/", 1},
    {"a/+", "a/b", 1},
    {"a/+", "a/b/c", 0},
    {"a/+/c", "a/b/c", 1},
    {"a/+/c", "a//c", 1},
    {"a/+/c", "a/b/d", 0},
    {"a/+/c", "a/c", 0},
    {"+/+", "a/b", 1},
    {"+/+", "/b", 1},
    {"+/+", "a/", 1},
    {"+/+", "//", 0},
    {"+/+/+", "//", 1},
    {"+/+/+", "a/b/c", 1},
    {"/#", "/", 1},
    {"/#", "/a", 1},
    {"/#", "a", 0},
    {"+/#", "a", 1},
    {"+/#", "/", 1},
    {"+/#", "a/b/c", 1},
    {"+/b/#", "a/b", 1},
    {"+/b/#", "a/c", 0},
    {"a//b", "a//b", 1},
    {"a//b", "a/b", 0},
    {"a/+/b", "a//b", 1},
    {"/a", "/a", 1},
    {"/a", "a", 0},
    {"a/", "a/", 1},
    {"a/", "a", 0},
    {"//", "//", 1},
    {"/", "//", 0},
    {"sport/tennis/player1/#", "sport/tennis/player1", 1},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", 1},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", 1},
    {"sport/tennis/+", "sport/tennis/player1", 1},
    {"sport/tennis/+", "sport/tennis/player1/ranking", 0},
    {"sport/+", "sport", 0},
    {"sport/+", "sport/", 1},
    {"+/+", "/finance", 1},
    {"/+", "/finance", 1},
    {"+", "/finance", 0},
    {"+/monitor/Clients", "$SYS/monitor/Clients", 0},
    {"$SYS/monitor/+", "$SYS/monitor/Clients", 1},
};

#define NMATRIX (sizeof(matrix) / sizeof(matrix[0]))

static void test_matches_matrix(void **state)
{
	struct topic_tree *t;
	size_t i, j, k;

	(void)state;
	for (i = 0; i < NMATRIX; i++) {
		assert_true(topic_filter_valid(matrix[i].f, strlen(matrix[i].f)));
		assert_true(topic_name_valid(matrix[i].t, strlen(matrix[i].t)));
		assert_int_equal(tm(matrix[i].f, matrix[i].t), matrix[i].match);
		/* the same row through the trie, twice: a trie walk, then the cache */
		t = tree(NULL);
		assert_int_equal(add(t, matrix[i].f, 1, 1, 7), 0);
		for (k = 0; k < 2; k++) {
			assert_int_equal(match(t, matrix[i].t, &H1), matrix[i].match);
			if (matrix[i].match) {
				assert_ptr_equal(H1.h[0].sub, SUB(1));
				assert_int_equal(H1.h[0].opts, 1);
				assert_int_equal(H1.h[0].id, 7);
			}
		}
		/* and as a shared subscription */
		{
			char f[128];

			snprintf(f, sizeof(f), "$share/g/%s", matrix[i].f);
			assert_int_equal(add(t, f, 2, 2, 9), 0);
		}
		for (k = 0; k < 2; k++)
			assert_int_equal(match(t, matrix[i].t, &H1), 2 * matrix[i].match);
		topic_tree_free(t, NULL);
	}

	/* every filter of the matrix in one tree, sub_id = row; every topic against all */
	t = tree(NULL);
	for (i = 0; i < NMATRIX; i++)
		assert_true(add(t, matrix[i].f, 1, 0, (uint32_t)i) >= 0);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < NMATRIX; i++) {
			H2.n = 0;
			for (j = 0; j < NMATRIX; j++) {
				/* filters repeat in the table: the last add's sub_id stands */
				size_t last = j, m;

				for (m = j + 1; m < NMATRIX; m++)
					if (!strcmp(matrix[m].f, matrix[j].f))
						last = m;
				if (last == j && tm(matrix[j].f, matrix[i].t))
					collect(&H2, SUB(1), 0, (uint32_t)j);
			}
			hits_sort(&H2);
			match(t, matrix[i].t, &H1);
			assert_hits_equal(&H1, &H2);
		}
	}
	topic_tree_free(t, NULL);
}

/* ---- randomized comparison with topic_matches ---- */

static const char *const rlevels[] = {"a", "b", "", "$x", "ab", "+", "#"};

static void rand_str(char *buf, bool filter)
{
	uint32_t n = 1 + rnd(4), i, l;

	buf[0] = 0;
	for (i = 0; i < n; i++) {
		do
			l = rnd(filter ? 7 : 5);
		while (l == 6 && i + 1 != n);
		if (i)
			strcat(buf, "/");
		strcat(buf, rlevels[l]);
	}
	if (!buf[0]) /* "" is neither a name nor a filter */
		strcpy(buf, "c");
}

struct model_sub {
	char f[64];
	int sub;
	uint8_t opts;
	uint32_t id;
	bool live;
};

static void test_match_random_oracle(void **state)
{
	enum { NSUB = 600, OPS = 20000 };
	struct model_sub *m = calloc(NSUB, sizeof(*m));
	struct topic_tree *t = tree(NULL);
	size_t live = 0, i, checks = 0;
	char buf[64];
	int op, k, ret;
	bool replaced;

	(void)state;
	assert_non_null(m);
	rng_state = 0x1234567;
	for (op = 0; op < OPS; op++) {
		k = (int)rnd(NSUB);
		switch (rnd(5)) {
		case 0:
		case 1: /* add or replace slot k */
			replaced = m[k].live;
			if (!m[k].live) {
				rand_str(m[k].f, true);
				m[k].sub = (int)rnd(4);
			}
			/* another slot may hold the same (filter, subscriber): that is a replace */
			for (i = 0; i < NSUB; i++)
				if ((int)i != k && m[i].live && m[i].sub == m[k].sub &&
				    !strcmp(m[i].f, m[k].f)) {
					m[i].live = false;
					replaced = true;
					live--;
				}
			m[k].opts = (uint8_t)rnd(0x40);
			m[k].id = (uint32_t)op;
			ret = add(t, m[k].f, m[k].sub, m[k].opts, m[k].id);
			assert_int_equal(ret, replaced ? 1 : 0);
			live += !m[k].live;
			m[k].live = true;
			break;
		case 2: /* remove */
			if (!m[k].live) {
				rand_str(buf, true);
				assert_true(del(t, buf, 9) == -ENOENT);
				break;
			}
			assert_int_equal(del(t, m[k].f, m[k].sub), 0);
			assert_int_equal(del(t, m[k].f, m[k].sub), -ENOENT);
			m[k].live = false;
			live--;
			break;
		default: /* match, twice to hit the cache */
			rand_str(buf, false);
			H2.n = 0;
			for (i = 0; i < NSUB; i++)
				if (m[i].live && tm(m[i].f, buf))
					collect(&H2, SUB(m[i].sub), m[i].opts, m[i].id);
			hits_sort(&H2);
			match(t, buf, &H1);
			assert_hits_equal(&H1, &H2);
			match(t, buf, &H1);
			assert_hits_equal(&H1, &H2);
			checks++;
		}
		assert_int_equal(topic_sub_count(t), live);
	}
	print_message("random oracle: %zu checks, %zu subscriptions live\n", checks, live);
	for (i = 0; i < NSUB; i++)
		if (m[i].live)
			assert_int_equal(del(t, m[i].f, m[i].sub), 0);
	assert_int_equal(topic_sub_count(t), 0);
	assert_int_equal(topic_node_count(t), 0);
	topic_tree_free(t, NULL);
	free(m);
}

/* ---- subscriptions ---- */

static void test_overlap_replace_remove(void **state)
{
	struct topic_tree *t = tree(NULL);

	(void)state;
	assert_int_equal(add(t, "a/+", 1, 0, 1), 0);
	assert_int_equal(add(t, "a/#", 1, 1, 2), 0);
	assert_int_equal(add(t, "+/b", 1, 2, 3), 0);
	assert_int_equal(add(t, "#", 1, 0, 4), 0);
	assert_int_equal(add(t, "a/b", 2, 0, 5), 0);
	/* one report per matching filter, even for one subscriber */
	assert_int_equal(match(t, "a/b", &H1), 5);
	assert_int_equal(match(t, "a", &H1), 2); /* a/# and # */
	assert_int_equal(topic_sub_count(t), 5);

	/* replace: same (subscriber, filter) updates opts and sub_id, count unchanged */
	assert_int_equal(add(t, "a/+", 1, 0x2a, 99), 1);
	assert_int_equal(topic_sub_count(t), 5);
	match(t, "a/x", &H1);
	assert_int_equal(H1.n, 3);
	assert_int_equal(H1.h[0].id + H1.h[1].id + H1.h[2].id, 99 + 2 + 4);
	/* our output bit is not stored */
	assert_int_equal(add(t, "a/+", 1, 0x80 | 2, 98), 1);
	match(t, "a/x", &H1);
	for (size_t i = 0; i < H1.n; i++)
		if (H1.h[i].id == 98)
			assert_int_equal(H1.h[i].opts, 2);
	/* different subscriber on the same filter is a new subscription */
	assert_int_equal(add(t, "a/+", 3, 0, 7), 0);
	assert_int_equal(topic_sub_count(t), 6);

	/* remove */
	assert_int_equal(del(t, "a/+", 2), -ENOENT);
	assert_int_equal(del(t, "a/c", 1), -ENOENT);
	assert_int_equal(del(t, "a/b/c", 2), -ENOENT);
	assert_int_equal(del(t, "$share/g/a/+", 1), -ENOENT);
	assert_int_equal(del(t, "a/+/", 1), -ENOENT);
	assert_int_equal(del(t, "a/#/b", 1), -EINVAL);
	assert_int_equal(del(t, "", 1), -EINVAL);
	assert_int_equal(del(t, "a/+", 1), 0);
	assert_int_equal(del(t, "a/+", 1), -ENOENT);
	assert_int_equal(topic_sub_count(t), 5);
	assert_int_equal(match(t, "a/b", &H1), 5);

	/* invalid filters are refused */
	assert_int_equal(add(t, "a/#/b", 1, 0, 0), -EINVAL);
	assert_int_equal(add(t, "$share/g", 1, 0, 0), -EINVAL);
	assert_int_equal(add(t, "", 1, 0, 0), -EINVAL);
	assert_int_equal(topic_sub_count(t), 5);

	/* the seed can only be set while nothing is stored */
	assert_int_equal(topic_tree_set_seed(t, 1), -EBUSY);
	topic_tree_free(t, NULL);
}

static bool offline[8];

static bool member_ok(void *subscriber)
{
	return !offline[(uintptr_t)subscriber - 0x1000];
}

/* Subscribers of the single shared delivery of each match, in order. */
static void shared_seq(struct topic_tree *t, const char *topic, int n, char *out)
{
	int i;

	for (i = 0; i < n; i++) {
		match(t, topic, &H1);
		assert_int_equal(H1.n, 1);
		assert_true(H1.h[0].opts & TOPIC_OPT_SHARED);
		out[i] = (char)('A' + (uintptr_t)H1.h[0].sub - 0x1000);
	}
	out[n] = 0;
}

static void test_shared_round_robin(void **state)
{
	struct topic_tree *t = tree(member_ok);
	char seq[32];

	(void)state;
	memset(offline, 0, sizeof(offline));
	assert_int_equal(add(t, "$share/g/s/+", 0, 1, 10), 0);
	assert_int_equal(add(t, "$share/g/s/+", 1, 2, 11), 0);
	assert_int_equal(add(t, "$share/g/s/+", 2, 0, 12), 0);
	assert_int_equal(topic_sub_count(t), 3);
	shared_seq(t, "s/x", 7, seq);
	assert_string_equal(seq, "ABCABCA");
	/* options and sub_id are the chosen member's, with the shared bit */
	match(t, "s/y", &H1);
	assert_ptr_equal(H1.h[0].sub, SUB(1));
	assert_int_equal(H1.h[0].opts, 2 | TOPIC_OPT_SHARED);
	assert_int_equal(H1.h[0].id, 11);
	/* different topics share one rotation: the group is the unit */
	shared_seq(t, "s/z", 2, seq);
	assert_string_equal(seq, "CA");

	/* member_ok: offline members are skipped */
	offline[1] = true;
	shared_seq(t, "s/x", 4, seq);
	assert_string_equal(seq, "CACA");
	/* nobody ok: the plain round robin stands (it was at B) */
	offline[0] = offline[2] = true;
	shared_seq(t, "s/x", 4, seq);
	assert_string_equal(seq, "BCAB");
	memset(offline, 0, sizeof(offline));

	/* replace keeps the member's place */
	assert_int_equal(add(t, "$share/g/s/+", 0, 1, 20), 1);
	assert_int_equal(topic_sub_count(t), 3);
	shared_seq(t, "s/x", 3, seq);
	assert_string_equal(seq, "CAB");
	/* removing a member before the next one in line keeps the rotation on it (C) */
	assert_int_equal(del(t, "$share/g/s/+", 0), 0);
	shared_seq(t, "s/x", 3, seq);
	assert_string_equal(seq, "CBC");
	assert_int_equal(del(t, "$share/g/s/+", 0), -ENOENT);
	assert_int_equal(del(t, "$share/h/s/+", 1), -ENOENT);
	assert_int_equal(del(t, "$share/g/s/#", 1), -ENOENT);
	assert_int_equal(del(t, "s/+", 1), -ENOENT);
	/* a new member joins at the end */
	assert_int_equal(add(t, "$share/g/s/+", 0, 1, 10), 0);
	shared_seq(t, "s/x", 4, seq);
	assert_string_equal(seq, "BCAB");
	/* removing the next one in line passes the turn to the one after it */
	assert_int_equal(del(t, "$share/g/s/+", 2), 0);
	shared_seq(t, "s/x", 2, seq);
	assert_string_equal(seq, "AB");
	assert_int_equal(del(t, "$share/g/s/+", 1), 0);
	shared_seq(t, "s/x", 2, seq);
	assert_string_equal(seq, "AA");
	assert_int_equal(del(t, "$share/g/s/+", 0), 0);
	assert_int_equal(match(t, "s/x", &H1), 0);
	assert_int_equal(topic_sub_count(t), 0);
	assert_int_equal(topic_node_count(t), 0);
	topic_tree_free(t, NULL);
}

/* The other strategies: random, sticky, hash_topic (round robin is above). */
static void test_shared_strategies(void **state)
{
	struct topic_tree *t;
	char seq[64], seq2[64];
	int cnt[3] = {0};

	(void)state;
	memset(offline, 0, sizeof(offline));
	/* random: every member gets some of 600 (about 200 each), reproducible per seed */
	t = tree(member_ok);
	topic_tree_set_share_strategy(t, TOPIC_SHARE_RANDOM);
	for (int i = 0; i < 3; i++)
		assert_int_equal(add(t, "$share/g/s/+", i, 0, 0), 0);
	for (int k = 0; k < 10; k++) {
		shared_seq(t, "s/x", 60, seq);
		for (int i = 0; i < 60; i++)
			cnt[seq[i] - 'A']++;
	}
	for (int i = 0; i < 3; i++)
		assert_in_range(cnt[i], 150, 250);
	assert_string_not_equal(seq, "ABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABCABC");
	/* offline members are passed over */
	offline[0] = offline[1] = true;
	shared_seq(t, "s/x", 20, seq);
	assert_string_equal(seq, "CCCCCCCCCCCCCCCCCCCC");
	memset(offline, 0, sizeof(offline));
	topic_tree_free(t, NULL);

	/* sticky: the same member until it is not ok, then the next one sticks */
	t = tree(member_ok);
	topic_tree_set_share_strategy(t, TOPIC_SHARE_STICKY);
	for (int i = 0; i < 3; i++)
		assert_int_equal(add(t, "$share/g/s/+", i, 0, 0), 0);
	shared_seq(t, "s/x", 4, seq);
	assert_string_equal(seq, "AAAA");
	shared_seq(t, "s/y", 2, seq);
	assert_string_equal(seq, "AA");
	offline[0] = true;
	shared_seq(t, "s/x", 3, seq);
	assert_string_equal(seq, "BBB");
	offline[0] = false; /* A back: B keeps it */
	shared_seq(t, "s/x", 2, seq);
	assert_string_equal(seq, "BB");
	assert_int_equal(del(t, "$share/g/s/+", 1), 0); /* B leaves: the next one in line */
	shared_seq(t, "s/x", 2, seq);
	assert_string_equal(seq, "CC");
	topic_tree_free(t, NULL);

	/* hash_topic: one topic, one member; several topics spread over the members */
	t = tree(member_ok);
	topic_tree_set_share_strategy(t, TOPIC_SHARE_HASH_TOPIC);
	for (int i = 0; i < 3; i++)
		assert_int_equal(add(t, "$share/g/s/+", i, 0, 0), 0);
	memset(cnt, 0, sizeof(cnt));
	for (int k = 0; k < 30; k++) {
		char topic[16];

		snprintf(topic, sizeof(topic), "s/t%d", k);
		shared_seq(t, topic, 5, seq); /* the trie walk, then cache hits */
		for (int i = 1; i < 5; i++)
			assert_int_equal(seq[i], seq[0]);
		shared_seq(t, topic, 1, seq2);
		assert_int_equal(seq2[0], seq[0]);
		cnt[seq[0] - 'A']++;
	}
	for (int i = 0; i < 3; i++)
		assert_true(cnt[i] > 0);
	/* its member offline: the next ok one, the same for every message of the topic */
	shared_seq(t, "s/t0", 1, seq);
	offline[seq[0] - 'A'] = true;
	shared_seq(t, "s/t0", 3, seq2);
	assert_int_not_equal(seq2[0], seq[0]);
	assert_int_equal(seq2[1], seq2[0]);
	assert_int_equal(seq2[2], seq2[0]);
	memset(offline, 0, sizeof(offline));
	topic_tree_free(t, NULL);
}

/* The shared filter a callback reports, copied per hit ("" for non-shared hits). */
static struct topic_tree *sf_tree;
static char sf_seen[4][48];
static int sf_n;

static void collect_share_filter(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	size_t len = 0;
	const char *f = topic_match_share_filter(sf_tree, &len);

	collect(ctx, sub, opts, id);
	assert_int_equal(!!f, !!(opts & TOPIC_OPT_SHARED));
	if (sf_n < 4)
		snprintf(sf_seen[sf_n], sizeof(sf_seen[0]), "%.*s", (int)len, f ? f : "");
	sf_n++;
}

static void sf_sort(void)
{
	qsort(sf_seen, sf_n < 4 ? (size_t)sf_n : 4, sizeof(sf_seen[0]),
	      (int (*)(const void *, const void *))strcmp);
}

/* Which shared subscription delivered (4.8.2 redelivery needs it), and picking a member of
 * one group by its rotation, outside a match. */
static void test_shared_filter_and_pick(void **state)
{
	struct topic_tree *t = tree(member_ok);
	char seq[8];
	int i;

	(void)state;
	memset(offline, 0, sizeof(offline));
	sf_tree = t;
	/* subscriber 0 in two groups whose filters both match, and a plain subscription */
	assert_int_equal(add(t, "$share/g1/a/#", 0, 1, 0), 0);
	assert_int_equal(add(t, "$share/g2/a/+", 0, 1, 0), 0);
	assert_int_equal(add(t, "$share/g1/a/+", 1, 1, 0), 0);
	assert_int_equal(add(t, "a/b", 2, 0, 0), 0);
	for (i = 0; i < 2; i++) { /* the second time from the cache */
		sf_n = 0;
		H1.n = 0;
		topic_match(t, "a/b", 3, collect_share_filter, &H1);
		assert_int_equal(sf_n, 4);
		sf_sort();
		assert_string_equal(sf_seen[0], "");
		assert_string_equal(sf_seen[1], "$share/g1/a/#");
		assert_string_equal(sf_seen[2], "$share/g1/a/+");
		assert_string_equal(sf_seen[3], "$share/g2/a/+");
	}
	assert_null(topic_match_share_filter(t, &(size_t){ 0 }));

	/* pick: the group's own rotation, offline members skipped */
	assert_int_equal(add(t, "$share/g1/a/+", 3, 2, 7), 0);
	for (i = 0; i < 4; i++) {
		H1.n = 0;
		assert_int_equal(topic_share_pick(t, S("$share/g1/a/+"), collect, &H1), 0);
		assert_int_equal(H1.n, 1);
		assert_true(H1.h[0].opts & TOPIC_OPT_SHARED);
		seq[i] = (char)('A' + (uintptr_t)H1.h[0].sub - 0x1000);
	}
	seq[4] = 0;
	assert_string_equal(seq, "BDBD");
	offline[3] = true;
	H1.n = 0;
	assert_int_equal(topic_share_pick(t, S("$share/g1/a/+"), collect, &H1), 0);
	assert_ptr_equal(H1.h[0].sub, SUB(1));
	offline[3] = false;
	H1.n = 0;
	assert_int_equal(topic_share_pick(t, S("$share/g1/a/+"), collect, &H1), 0);
	assert_ptr_equal(H1.h[0].sub, SUB(3));
	assert_int_equal(H1.h[0].id, 7);
	assert_int_equal(topic_share_pick(t, S("$share/g3/a/+"), collect, &H1), -ENOENT);
	assert_int_equal(topic_share_pick(t, S("$share/g1/x"), collect, &H1), -ENOENT);
	assert_int_equal(topic_share_pick(t, S("a/+"), collect, &H1), -EINVAL);
	assert_int_equal(del(t, "$share/g2/a/+", 0), 0);
	assert_int_equal(topic_share_pick(t, S("$share/g2/a/+"), collect, &H1), -ENOENT);
	topic_tree_free(t, NULL);
}

static void test_shared_groups(void **state)
{
	struct topic_tree *t = tree(NULL);
	size_t i, shared = 0, plain = 0;

	(void)state;
	/* group g on two filters that both match: one delivery per (group, filter) */
	assert_int_equal(add(t, "$share/g/a/+", 0, 0, 1), 0);
	assert_int_equal(add(t, "$share/g/a/+", 1, 0, 1), 0);
	assert_int_equal(add(t, "$share/g/a/#", 0, 0, 2), 0);
	/* another group on the same filter is independent */
	assert_int_equal(add(t, "$share/h/a/+", 2, 0, 3), 0);
	/* the same subscriber also subscribed directly */
	assert_int_equal(add(t, "a/+", 0, 0, 4), 0);
	for (int k = 0; k < 3; k++) {
		match(t, "a/b", &H1);
		assert_int_equal(H1.n, 4);
		for (i = 0, shared = 0, plain = 0; i < H1.n; i++) {
			if (H1.h[i].opts & TOPIC_OPT_SHARED)
				shared++;
			else
				plain++;
		}
		assert_int_equal(shared, 3);
		assert_int_equal(plain, 1);
	}
	/* "a" only matches a/# */
	assert_int_equal(match(t, "a", &H1), 1);
	assert_int_equal(H1.h[0].id, 2);
	/* $ rule applies inside $share too */
	assert_int_equal(add(t, "$share/g/#", 0, 0, 5), 0);
	assert_int_equal(add(t, "$share/g/+/x", 0, 0, 6), 0);
	assert_int_equal(match(t, "$SYS/x", &H1), 0);
	assert_int_equal(add(t, "$share/g/$SYS/#", 1, 0, 7), 0);
	assert_int_equal(match(t, "$SYS/x", &H1), 1);
	assert_int_equal(H1.h[0].id, 7);
	assert_int_equal(topic_sub_count(t), 8);
	topic_tree_free(t, NULL);
}

/* ---- the exact-topic cache ---- */

static void test_cache_invalidation(void **state)
{
	struct topic_tree *t = tree(NULL);
	char seq[16];

	(void)state;
	assert_int_equal(add(t, "a/b", 1, 0, 1), 0);
	assert_int_equal(match(t, "a/b", &H1), 1);
	assert_int_equal(match(t, "a/b", &H1), 1); /* cached now */
	assert_int_equal(match(t, "x", &H1), 0);   /* an empty result is cached too */
	assert_int_equal(add(t, "a/+", 2, 0, 2), 0);
	assert_int_equal(match(t, "a/b", &H1), 2);
	assert_int_equal(add(t, "+", 3, 0, 3), 0);
	assert_int_equal(match(t, "x", &H1), 1);
	assert_int_equal(del(t, "a/b", 1), 0);
	assert_int_equal(match(t, "a/b", &H1), 1);
	assert_ptr_equal(H1.h[0].sub, SUB(2));
	/* a replace changes what the cache must return */
	assert_int_equal(add(t, "a/+", 2, 1, 42), 1);
	match(t, "a/b", &H1);
	assert_int_equal(H1.h[0].id, 42);
	assert_int_equal(H1.h[0].opts, 1);
	/* a failed add or remove changes nothing */
	assert_int_equal(add(t, "a/#/x", 2, 0, 0), -EINVAL);
	assert_int_equal(del(t, "a/c", 2), -ENOENT);
	assert_int_equal(match(t, "a/b", &H1), 1);
	/* shared rotation continues through cache hits and across invalidations */
	assert_int_equal(add(t, "$share/g/a/b", 4, 0, 0), 0);
	assert_int_equal(add(t, "$share/g/a/b", 5, 0, 0), 0);
	assert_int_equal(add(t, "$share/g/a/b", 6, 0, 0), 0);
	for (int i = 0; i < 9; i++) {
		match(t, "a/b", &H1);
		assert_int_equal(H1.n, 2);
		seq[i] = (char)('0' + (uintptr_t)H1.h[1].sub - 0x1000);
	}
	seq[9] = 0;
	assert_string_equal(seq, "456456456");
	assert_int_equal(del(t, "a/+", 2), 0);
	assert_int_equal(match(t, "a/b", &H1), 1);
	assert_ptr_equal(H1.h[0].sub, SUB(4));
	assert_int_equal(del(t, "$share/g/a/b", 5), 0);
	assert_int_equal(match(t, "a/b", &H1), 1);
	assert_ptr_equal(H1.h[0].sub, SUB(6));
	topic_tree_free(t, NULL);
}

/* A callback may match again (it only must not change the tree): that bypasses the cache. */
struct nested {
	struct topic_tree *t;
	int depth;
	size_t inner;
};

static void nested_fn(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	struct nested *ns = ctx;
	char topic[16];

	(void)sub;
	(void)opts;
	(void)id;
	if (ns->depth)
		return;
	ns->depth++;
	for (int i = 0; i < 50; i++) { /* enough distinct topics to fill and grow the cache */
		snprintf(topic, sizeof(topic), "n/%d", i);
		H2.n = 0;
		topic_match(ns->t, topic, strlen(topic), collect, &H2);
		ns->inner += H2.n;
	}
	ns->depth--;
}

static void test_nested_match(void **state)
{
	struct topic_tree *t = tree(NULL);
	struct nested ns = {t, 0, 0};
	int i, round;

	(void)state;
	for (i = 0; i < 40; i++)
		assert_int_equal(add(t, "a/#", i, 0, 0), 0);
	assert_int_equal(add(t, "n/+", 1, 0, 0), 0);
	for (round = 0; round < 3; round++) { /* a fill, then replays */
		ns.inner = 0;
		topic_match(t, S("a/b"), nested_fn, &ns);
		assert_int_equal(ns.inner, 40 * 50);
	}
	assert_int_equal(match(t, "a/b", &H1), 40);
	assert_int_equal(match(t, "n/7", &H1), 1);
	topic_tree_free(t, NULL);
}

static void test_cache_capacity(void **state)
{
	struct topic_tree *t = tree(NULL);
	char buf[64];
	int i, round;

	(void)state;
	/* more distinct topics than the cache holds: correct through clears and growth */
	assert_int_equal(add(t, "t/+/x", 1, 0, 1), 0);
	assert_int_equal(add(t, "t/#", 2, 0, 2), 0);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 10000; i++) {
			snprintf(buf, sizeof(buf), "t/%d/%s", i, i % 2 ? "x" : "y");
			assert_int_equal(match(t, buf, &H1), i % 2 ? 2 : 1);
		}
	/* big fan-out: grows the arena, then is too big to cache and must still be right */
	for (i = 0; i < 20000; i++)
		assert_int_equal(add(t, "big", 100 + i, 0, (uint32_t)i), 0);
	for (round = 0; round < 3; round++) {
		assert_int_equal(match(t, "big", &H1), 20000);
		assert_int_equal(match(t, "t/1/x", &H1), 2);
	}
	for (i = 0; i < 15000; i++)
		assert_int_equal(del(t, "big", 100 + i), 0);
	for (round = 0; round < 3; round++) {
		assert_int_equal(match(t, "big", &H1), 5000);
		assert_int_equal(match(t, "t/1/x", &H1), 2);
	}
	/* a topic longer than the cache takes is walked each time */
	{
		char *lng = malloc(5000);

		assert_non_null(lng);
		memset(lng, 'q', 5000);
		memcpy(lng, "t/", 2);
		assert_int_equal(add(t, "#", 3, 0, 3), 0);
		for (round = 0; round < 2; round++) {
			H1.n = 0;
			topic_match(t, lng, 5000, collect, &H1);
			assert_int_equal(H1.n, 2);
		}
		free(lng);
	}
	topic_tree_free(t, NULL);
}

/* Wide nodes: 10000 siblings (fan-in) are looked up by hash and all found. */
static void test_wide_fanin(void **state)
{
	struct topic_tree *t = tree(NULL);
	char buf[64];
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "fan/%d", i);
		assert_int_equal(add(t, buf, i, 0, (uint32_t)i), 0);
	}
	assert_int_equal(add(t, "fan/+", 99999, 0, 99999), 0);
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "fan/%d", i);
		assert_int_equal(match(t, buf, &H1), 2);
		assert_int_equal(H1.h[0].id, (uint32_t)i);
	}
	assert_int_equal(match(t, "fan/x", &H1), 1);
	/* remove in an order unlike insertion to exercise index deletion and shrinking */
	for (i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "fan/%d", (i * 7919) % 10000);
		assert_int_equal(del(t, buf, (i * 7919) % 10000), 0);
		if (i % 997 == 0) {
			int j = (i * 7919 + 7919) % 10000;

			snprintf(buf, sizeof(buf), "fan/%d", j);
			assert_int_equal(match(t, buf, &H1), 2);
		}
	}
	assert_int_equal(topic_node_count(t), 2); /* fan and fan/+ */
	/* many subscribers on one filter also get an index */
	for (i = 0; i < 5000; i++)
		assert_int_equal(add(t, "one", i, 0, 0), 0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(add(t, "one", i, 1, 1), 1);
	for (i = 0; i < 5000; i += 2)
		assert_int_equal(del(t, "one", i), 0);
	assert_int_equal(match(t, "one", &H1), 2500);
	for (i = 1; i < 5000; i += 2)
		assert_int_equal(del(t, "one", i), 0);
	assert_int_equal(del(t, "fan/+", 99999), 0);
	assert_int_equal(topic_node_count(t), 0);
	topic_tree_free(t, NULL);
}

/* 30000 levels: nothing in the module may recurse per level. */
static void test_deep(void **state)
{
	enum { LEVELS = 30000 };
	struct topic_tree *t = tree(NULL);
	size_t len = 2 * LEVELS - 1, i;
	char *topic = malloc(len), *filter = malloc(len);

	(void)state;
	assert_non_null(topic);
	assert_non_null(filter);
	for (i = 0; i < len; i++) {
		topic[i] = i % 2 ? '/' : 'a';
		filter[i] = i % 2 ? '/' : '+';
	}
	assert_int_equal(topic_sub_add(t, filter, len, SUB(1), 0, 1), 0);
	filter[len - 1] = '#';
	assert_int_equal(topic_sub_add(t, filter, len, SUB(2), 0, 2), 0);
	assert_int_equal(topic_sub_add(t, topic, len, SUB(3), 0, 3), 0);
	assert_int_equal(topic_sub_add(t, S("#"), SUB(4), 0, 4), 0);
	for (i = 0; i < 2; i++) {
		H1.n = 0;
		topic_match(t, topic, len, collect, &H1);
		assert_int_equal(H1.n, 4);
	}
	H1.n = 0;
	topic_match(t, topic, len - 2, collect, &H1);
	assert_int_equal(H1.n, 2); /* "+/.../#" (parent rule) and "#" */
	assert_null(topic_retain_set(t, topic, len, MSG(1)));
	assert_null(topic_retain_set(t, topic, len - 2, MSG(2)));
	H1.n = 0;
	topic_retain_match(t, filter, len, rcollect, &H1);
	assert_int_equal(H1.n, 2);
	topic_tree_free(t, NULL);
	free(topic);
	free(filter);
}

/* ---- retained ---- */

static size_t rmatch(struct topic_tree *t, const char *f, struct hits *hs)
{
	hs->n = 0;
	topic_retain_match(t, f, strlen(f), rcollect, hs);
	hits_sort(hs);
	return hs->n;
}

static void *rset(struct topic_tree *t, const char *topic, void *msg)
{
	return topic_retain_set(t, topic, strlen(topic), msg);
}

static void test_retain_basic(void **state)
{
	struct topic_tree *t = tree(NULL);

	(void)state;
	assert_null(rset(t, "a/b", MSG(1)));
	assert_int_equal(topic_retain_count(t), 1);
	assert_ptr_equal(topic_retain_get(t, S("a/b")), MSG(1));
	assert_null(topic_retain_get(t, S("a")));
	assert_null(topic_retain_get(t, S("a/b/c")));
	assert_null(topic_retain_get(t, S("a/+")));
	assert_ptr_equal(rset(t, "a/b", MSG(2)), MSG(1)); /* replace */
	assert_int_equal(topic_retain_count(t), 1);
	assert_null(rset(t, "a", MSG(3))); /* inner node */
	assert_int_equal(topic_retain_count(t), 2);
	assert_null(rset(t, "x", NULL)); /* delete of nothing */
	assert_null(rset(t, "a/b/c", NULL));
	assert_int_equal(topic_retain_count(t), 2);
	/* invalid names are not stored: the message comes back */
	assert_ptr_equal(rset(t, "a/+", MSG(4)), MSG(4));
	assert_ptr_equal(topic_retain_set(t, "", 0, MSG(4)), MSG(4));
	assert_null(rset(t, "a/#", NULL));
	assert_int_equal(topic_retain_count(t), 2);
	assert_ptr_equal(rset(t, "a/b", NULL), MSG(2)); /* delete */
	assert_null(topic_retain_get(t, S("a/b")));
	assert_ptr_equal(topic_retain_get(t, S("a")), MSG(3));
	assert_int_equal(topic_node_count(t), 1);
	assert_ptr_equal(rset(t, "a", NULL), MSG(3));
	assert_int_equal(topic_retain_count(t), 0);
	assert_int_equal(topic_node_count(t), 0);
	/* retained and subscriptions are separate */
	assert_null(rset(t, "s", MSG(5)));
	assert_int_equal(match(t, "s", &H1), 0);
	assert_int_equal(add(t, "s", 1, 0, 0), 0);
	assert_int_equal(del(t, "s", 1), 0);
	assert_ptr_equal(topic_retain_get(t, S("s")), MSG(5));
	topic_tree_free(t, NULL);
}

static const char *const rtopics[] = {
    "a",
    "a/b",
    "a/b/c",
    "a/c",
    "a//c",
    "/a",
    "/",
    "b",
    "$SYS",
    "$SYS/x",
    "$SYS/x/y",
    "$",
    "a/$x",
    "ab",
    "a/bc",
    "sport/tennis/player1",
    "sport/tennis/player1/ranking",
    "sport",
    "sport/",
    "//",
};

#define NRTOPICS (sizeof(rtopics) / sizeof(rtopics[0]))

static void test_retain_match(void **state)
{
	static const char *filters[] = {
	    "#",
	    "+",
	    "+/+",
	    "+/#",
	    "a/#",
	    "a/+",
	    "a/+/c",
	    "/#",
	    "/+",
	    "$SYS/#",
	    "$SYS/+",
	    "$",
	    "+/+/+",
	    "a/b/#",
	    "a//c",
	    "+/$x",
	    "sport/+",
	    "sport/#",
	    "sport/tennis/+",
	    "x/#",
	    "a/b",
	    "//",
	    "+/b/#",
	};
	struct topic_tree *t = tree(NULL);
	size_t i, j;

	(void)state;
	for (i = 0; i < NRTOPICS; i++)
		assert_null(rset(t, rtopics[i], MSG(i)));
	for (i = 0; i < NMATRIX; i++)
		(void)rset(t, matrix[i].t, MSG(1000 + i));
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]) + NMATRIX; i++) {
		const char *f = i < sizeof(filters) / sizeof(filters[0])
				    ? filters[i]
				    : matrix[i - sizeof(filters) / sizeof(filters[0])].f;

		H2.n = 0;
		for (j = 0; j < NRTOPICS; j++)
			if (tm(f, rtopics[j]) &&
			    topic_retain_get(t, rtopics[j], strlen(rtopics[j])) == MSG(j))
				rcollect(&H2, MSG(j));
		for (j = 0; j < NMATRIX; j++)
			if (tm(f, matrix[j].t) &&
			    topic_retain_get(t, matrix[j].t, strlen(matrix[j].t)) == MSG(1000 + j))
				rcollect(&H2, MSG(1000 + j));
		hits_sort(&H2);
		rmatch(t, f, &H1);
		assert_hits_equal(&H1, &H2);
	}
	assert_int_equal(rmatch(t, "#", &H1), rmatch(t, "#", &H2));
	topic_tree_free(t, NULL);
}

static int freed;

static void count_free(void *msg)
{
	(void)msg;
	freed++;
}

static bool take_odd(void *ctx, void *msg)
{
	int *seen = ctx;

	(*seen)++;
	return ((uintptr_t)msg - 0x9000) % 2;
}

static bool take_all(void *ctx, void *msg)
{
	(void)msg;
	(*(int *)ctx)++;
	return true;
}

static void test_retain_foreach(void **state)
{
	struct topic_tree *t = tree(NULL);
	char buf[64];
	int i, seen = 0;

	(void)state;
	for (i = 0; i < 3000; i++) {
		/* a mix of wide and deep, with messages on inner nodes too */
		snprintf(buf, sizeof(buf), "r/%d/%d", i % 50, i);
		assert_null(rset(t, buf, MSG(i)));
		if (i < 50) {
			snprintf(buf, sizeof(buf), "r/%d", i);
			assert_null(rset(t, buf, MSG(i + 10000)));
		}
	}
	assert_int_equal(topic_retain_count(t), 3050);
	topic_retain_foreach(t, take_odd, &seen);
	assert_int_equal(seen, 3050);
	assert_int_equal(topic_retain_count(t), 1525);
	seen = 0;
	topic_retain_foreach(t, take_odd, &seen);
	assert_int_equal(seen, 1525);
	assert_int_equal(topic_retain_count(t), 1525);
	assert_int_equal(rmatch(t, "r/+/+", &H1), 1500);
	assert_int_equal(rmatch(t, "r/+", &H1), 25);
	assert_int_equal(rmatch(t, "r/#", &H1), 1525);
	assert_int_equal(rmatch(t, "r", &H1), 0);
	for (i = 0; i < 3000; i += 2) {
		snprintf(buf, sizeof(buf), "r/%d/%d", i % 50, i);
		assert_ptr_equal(topic_retain_get(t, buf, strlen(buf)), MSG(i));
	}
	seen = 0;
	topic_retain_foreach(t, take_all, &seen);
	assert_int_equal(seen, 1525);
	assert_int_equal(topic_retain_count(t), 0);
	assert_int_equal(topic_node_count(t), 0);
	seen = 0;
	topic_retain_foreach(t, take_all, &seen);
	assert_int_equal(seen, 0);
	/* topic_tree_free hands back what is left */
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "f/%d", i);
		assert_null(rset(t, buf, MSG(i)));
	}
	freed = 0;
	topic_tree_free(t, count_free);
	assert_int_equal(freed, 100);
}

/* Churn on unique topics must leave the tries as they were. */
static void test_prune_churn(void **state)
{
	struct topic_tree *t = tree(NULL);
	char buf[96];
	size_t base;
	int i;

	(void)state;
	assert_int_equal(add(t, "keep/+/x", 1, 0, 0), 0);
	assert_null(rset(t, "keep/r", MSG(0)));
	base = topic_node_count(t);
	assert_int_equal(base, 5);
	for (i = 0; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "dev/%d/%s/%d", i, i % 3 ? "+" : "t", i % 7);
		assert_int_equal(add(t, buf, i, 0, 0), 0);
		snprintf(buf, sizeof(buf), "$share/g%d/keep/%d/#", i % 5, i);
		assert_int_equal(add(t, buf, i, 0, 0), 0);
		snprintf(buf, sizeof(buf), "keep/%d/x", i);
		assert_null(rset(t, buf, MSG(i)));
		match(t, buf, &H1);
		if (i >= 100) { /* keep 100 alive at any time */
			snprintf(buf, sizeof(buf), "dev/%d/%s/%d", i - 100,
				 (i - 100) % 3 ? "+" : "t", (i - 100) % 7);
			assert_int_equal(del(t, buf, i - 100), 0);
			snprintf(buf, sizeof(buf), "$share/g%d/keep/%d/#", (i - 100) % 5, i - 100);
			assert_int_equal(del(t, buf, i - 100), 0);
			snprintf(buf, sizeof(buf), "keep/%d/x", i - 100);
			assert_ptr_equal(rset(t, buf, NULL), MSG(i - 100));
		}
	}
	assert_true(topic_node_count(t) < base + 100 * 12);
	for (i = 19900; i < 20000; i++) {
		snprintf(buf, sizeof(buf), "dev/%d/%s/%d", i, i % 3 ? "+" : "t", i % 7);
		assert_int_equal(del(t, buf, i), 0);
		snprintf(buf, sizeof(buf), "$share/g%d/keep/%d/#", i % 5, i);
		assert_int_equal(del(t, buf, i), 0);
		snprintf(buf, sizeof(buf), "keep/%d/x", i);
		assert_ptr_equal(rset(t, buf, NULL), MSG(i));
	}
	assert_int_equal(topic_node_count(t), base);
	assert_int_equal(topic_sub_count(t), 1);
	assert_int_equal(topic_retain_count(t), 1);
	topic_tree_free(t, NULL);
}

/* ---- allocation failures ---- */

#if FAULTS
/*
 * Fail the k-th allocation of a script, for every k until the script runs clean. After each
 * run: the tree is consistent with what succeeded, empties to zero nodes, and nothing leaks.
 */
static void test_enomem(void **state)
{
	static const char *filters[] = {
	    "a/b/c",	    "a/+/c",	      "a/#", "#", "$share/g/a/b/c",
	    "$share/g/a/#", "$share/h/+/+/+", "x/y"};
	enum { NF = sizeof(filters) / sizeof(filters[0]), NSUBS = 12, NTOP = 40 };
	static int addret[NF][NSUBS];
	static void *setret[NTOP];
	static size_t matched[4];
	char buf[32];
	long k, live0;
	int f, s, i, injected;

	(void)state;
	for (k = 0;; k++) {
		struct topic_tree *t;
		size_t nsub = 0, nret = 0;

		live0 = fault_live;
		t = topic_tree_new(NULL);
		assert_non_null(t);
		fault_countdown = k;
		for (f = 0; f < NF; f++)
			for (s = 0; s < NSUBS; s++)
				addret[f][s] = add(t, filters[f], s, 0, (uint32_t)f);
		for (i = 0; i < 4; i++) {
			H1.n = 0;
			topic_match(t, S("a/b/c"), collect, &H1);
			matched[i] = H1.n;
		}
		for (i = 0; i < NTOP; i++) {
			snprintf(buf, sizeof(buf), "w/%d/%d", i % 3, i);
			setret[i] = rset(t, buf, MSG(i));
		}
		injected = fault_countdown < 0;
		fault_countdown = -1;

		for (f = 0; f < NF; f++)
			for (s = 0; s < NSUBS; s++) {
				assert_true(addret[f][s] == 0 || addret[f][s] == -ENOMEM);
				nsub += addret[f][s] == 0;
			}
		assert_int_equal(topic_sub_count(t), nsub);
		H2.n = 0;
		topic_match(t, S("a/b/c"), collect, &H2);
		for (i = 0; i < 4; i++)
			assert_int_equal(matched[i], H2.n);
		/* a/b/c, a/+/c, a/#, # and one per shared group that has members */
		for (i = 0, s = 0; s < NSUBS; s++)
			i += (addret[0][s] == 0) + (addret[1][s] == 0) + (addret[2][s] == 0) +
			     (addret[3][s] == 0);
		for (f = 4; f < 7; f++)
			for (s = 0; s < NSUBS; s++)
				if (addret[f][s] == 0) {
					i++;
					break;
				}
		assert_int_equal(H2.n, (size_t)i);
		for (i = 0; i < NTOP; i++) {
			snprintf(buf, sizeof(buf), "w/%d/%d", i % 3, i);
			assert_true(setret[i] == NULL || setret[i] == MSG(i));
			nret += !setret[i];
			assert_ptr_equal(topic_retain_get(t, buf, strlen(buf)),
					 setret[i] ? NULL : MSG(i));
		}
		assert_int_equal(topic_retain_count(t), nret);
		for (f = 0; f < NF; f++)
			for (s = 0; s < NSUBS; s++)
				assert_int_equal(del(t, filters[f], s), addret[f][s] ? -ENOENT : 0);
		for (i = 0; i < NTOP; i++) {
			snprintf(buf, sizeof(buf), "w/%d/%d", i % 3, i);
			(void)rset(t, buf, NULL);
		}
		assert_int_equal(topic_node_count(t), 0);
		topic_tree_free(t, NULL);
		assert_int_equal(fault_live, live0);
		if (!injected)
			break;
	}
	print_message("enomem: %ld failure points\n", k);
	assert_true(k > 50);
}
#endif

/* ---- a micro-benchmark: prints, never asserts on time ---- */

static void nop_fn(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	(void)sub;
	(void)opts;
	(void)id;
	(*(size_t *)ctx)++;
}

static double now_ns(void)
{
	struct timespec ts;

	/* CPU time, not wall time: parallel builds share the machine */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void test_bench(void **state)
{
	enum { N = 200000, NT = 1000, NDEV = 10000 };
	struct topic_tree *t = tree(NULL);
	static char topics[NT][48];
	double t0, hit, miss, inval;
	size_t count = 0;
	char buf[64];
	int i;

	(void)state;
	/* one exact subscription per device, a '+' per site, a '#' and a miss at depth 4 */
	for (i = 0; i < NDEV; i++) {
		snprintf(buf, sizeof(buf), "site/%d/dev%d/temp", i % 100, i);
		assert_int_equal(add(t, buf, i, 0, 0), 0);
	}
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "site/%d/+/temp", i);
		assert_int_equal(add(t, buf, i, 0, 0), 0);
	}
	assert_int_equal(add(t, "site/#", 0, 0, 0), 0);
	assert_int_equal(add(t, "+/+/+/humidity", 0, 0, 0), 0);
	for (i = 0; i < NT; i++)
		snprintf(topics[i], sizeof(topics[i]), "site/%d/dev%d/temp", i * 7 % 100, i * 7);
	assert_int_equal(match(t, topics[5], &H1), 3);

	/* a miss is measured as (invalidate + match) - (invalidate alone) */
	t0 = now_ns();
	for (i = 0; i < N; i++)
		(void)add(t, "inval", 0, 0, (uint32_t)i);
	inval = (now_ns() - t0) / N;
	t0 = now_ns();
	for (i = 0; i < N; i++) {
		(void)add(t, "inval", 0, 0, (uint32_t)i);
		topic_match(t, topics[i % NT], strlen(topics[i % NT]), nop_fn, &count);
	}
	miss = (now_ns() - t0) / N - inval;
	t0 = now_ns();
	for (i = 0; i < N; i++)
		topic_match(t, topics[i % NT], strlen(topics[i % NT]), nop_fn, &count);
	hit = (now_ns() - t0) / N;
	print_message(
	    "bench: %d subscriptions, %d topics, 3 matches each: cache hit %.0f ns/match, "
	    "miss (walk + fill) %.0f ns/match; invalidation %.0f ns (%zu deliveries)\n",
	    NDEV + 102, NT, hit, miss, inval, count);
	topic_tree_free(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_filter_valid),
		cmocka_unit_test(test_share_split),
		cmocka_unit_test(test_matches_matrix),
		cmocka_unit_test(test_match_random_oracle),
		cmocka_unit_test(test_overlap_replace_remove),
		cmocka_unit_test(test_shared_round_robin),
		cmocka_unit_test(test_shared_strategies),
		cmocka_unit_test(test_shared_filter_and_pick),
		cmocka_unit_test(test_shared_groups),
		cmocka_unit_test(test_cache_invalidation),
		cmocka_unit_test(test_nested_match),
		cmocka_unit_test(test_cache_capacity),
		cmocka_unit_test(test_wide_fanin),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_retain_basic),
		cmocka_unit_test(test_retain_match),
		cmocka_unit_test(test_retain_foreach),
		cmocka_unit_test(test_prune_churn),
#if FAULTS
		cmocka_unit_test(test_enomem),
#endif
		cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
