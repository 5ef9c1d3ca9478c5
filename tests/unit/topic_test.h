/* SPDX-License-Identifier: MIT */
/*
 * topic_test.h: helpers of the topic unit tests (test_topic*.c): collecting and comparing
 * matches, short forms of the calls, a tree with a fixed seed, a reproducible PRNG.
 */
#ifndef MQTTGW_TOPIC_TEST_H
#define MQTTGW_TOPIC_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topic.h"

#define S(x)   x, sizeof(x) - 1
#define SUB(k) ((void *)(uintptr_t)(0x1000 + (k)))
#define MSG(k) ((void *)(uintptr_t)(0x9000 + (k)))

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

/* Match results of the test running now (large: static, not on the stack). */
static struct hits H1 __attribute__((unused)), H2 __attribute__((unused));

static inline void collect(void *ctx, void *sub, uint8_t opts, uint32_t id)
{
	struct hits *hs = ctx;

	if (hs->n < HITS_MAX)
		hs->h[hs->n] = (struct hit){sub, id, opts};
	hs->n++;
}

static inline int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->sub != y->sub)
		return x->sub < y->sub ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (int)x->opts - (int)y->opts;
}

static inline void hits_sort(struct hits *hs)
{
	qsort(hs->h, hs->n < HITS_MAX ? hs->n : HITS_MAX, sizeof(hs->h[0]), hit_cmp);
}

static inline size_t match(struct topic_tree *t, const char *topic, struct hits *hs)
{
	hs->n = 0;
	topic_match(t, topic, strlen(topic), collect, hs);
	hits_sort(hs);
	return hs->n;
}

static inline void assert_hits_equal(const struct hits *a, const struct hits *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n && i < HITS_MAX; i++) {
		assert_ptr_equal(a->h[i].sub, b->h[i].sub);
		assert_int_equal(a->h[i].id, b->h[i].id);
		assert_int_equal(a->h[i].opts, b->h[i].opts);
	}
}

static inline void rcollect(void *ctx, void *msg)
{
	collect(ctx, msg, 0, 0);
}

static inline bool tm(const char *f, const char *topic)
{
	return topic_matches(f, strlen(f), topic, strlen(topic));
}

static inline int add(struct topic_tree *t, const char *f, int sub, uint8_t opts, uint32_t id)
{
	return topic_sub_add(t, f, strlen(f), SUB(sub), opts, id);
}

static inline int del(struct topic_tree *t, const char *f, int sub)
{
	return topic_sub_remove(t, f, strlen(f), SUB(sub));
}

static inline struct topic_tree *tree(bool (*member_ok)(void *))
{
	struct topic_tree *t = topic_tree_new(member_ok);

	assert_non_null(t);
	assert_int_equal(topic_tree_set_seed(t, 0x5eed), 0);
	return t;
}

/* Deterministic PRNG (xorshift64*): fixed seeds keep failures reproducible. */
static uint64_t rng_state __attribute__((unused));

static inline uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static inline size_t rmatch(struct topic_tree *t, const char *f, struct hits *hs)
{
	hs->n = 0;
	topic_retain_match(t, f, strlen(f), rcollect, hs);
	hits_sort(hs);
	return hs->n;
}

static inline void *rset(struct topic_tree *t, const char *topic, void *msg)
{
	return topic_retain_set(t, topic, strlen(topic), msg);
}

/* Filter, topic, expected: for topic_matches, the trie and the retained store alike. */
static const struct {
	const char *f, *t;
	bool match;
} matrix[] __attribute__((unused)) = {
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

#endif /* MQTTGW_TOPIC_TEST_H */
