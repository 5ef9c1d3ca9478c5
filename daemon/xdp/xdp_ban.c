/* SPDX-License-Identifier: MIT */
/*
 * xdp_ban: per-address offence counting with a sliding window and bounded memory (L0). See
 * include/xdp_ban.h. One slab of entries: a seeded hash (chains through `hnext`), an LRU
 * list (most recent first) and a free list, all as 32-bit indices; each entry's offence times
 * are a ring of `threshold` slots in a second slab.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "xdp_ban.h"

#define NIL UINT32_MAX

struct xb_entry {
	struct xdp_ban_key key;
	uint32_t hnext;	     /* next in the bucket's chain */
	uint32_t prev, next; /* LRU list; the free list uses next */
	uint32_t start, n;   /* the ring: oldest time at start, n times */
};

struct xdp_ban_tab {
	uint32_t threshold;
	int64_t window;
	uint32_t cap, used, nbuckets; /* nbuckets: a power of two */
	uint64_t seed;
	uint32_t lru_head, lru_tail, free_head;
	uint32_t *buckets;
	struct xb_entry *e;
	int64_t *times; /* cap * threshold */
};

struct xdp_ban_tab *xdp_ban_new(uint32_t threshold, int64_t window_ms, size_t capacity,
				uint64_t seed)
{
	struct xdp_ban_tab *t;
	uint32_t nb = 1;

	if (!threshold || threshold > XDP_BAN_MAX_THRESHOLD || window_ms <= 0 || !capacity ||
	    capacity > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < capacity)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->threshold = threshold;
	t->window = window_ms;
	t->cap = (uint32_t)capacity;
	t->nbuckets = nb;
	t->seed = seed;
	t->buckets = malloc(nb * sizeof(*t->buckets));
	t->e = calloc(capacity, sizeof(*t->e));
	t->times = calloc(capacity * threshold, sizeof(*t->times));
	if (!t->buckets || !t->e || !t->times) {
		xdp_ban_free(t);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		t->buckets[i] = NIL;
	for (uint32_t i = 0; i < t->cap; i++)
		t->e[i].next = i + 1 < t->cap ? i + 1 : NIL;
	t->free_head = 0;
	t->lru_head = t->lru_tail = NIL;
	return t;
}

void xdp_ban_free(struct xdp_ban_tab *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t->e);
	free(t->times);
	free(t);
}

int xdp_ban_key(const struct sockaddr *sa, struct xdp_ban_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		k->a[10] = k->a[11] = 0xff;
		memcpy(&k->a[12], &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(k->a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* FNV-1a over the seed and the address, then a final mix: cheap, and seeded. */
static uint32_t xb_bucket(const struct xdp_ban_tab *t, const struct xdp_ban_key *k)
{
	uint64_t h = 0xcbf29ce484222325ull ^ t->seed;

	for (int i = 0; i < 16; i++)
		h = (h ^ k->a[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h & (t->nbuckets - 1);
}

static uint32_t xb_find(const struct xdp_ban_tab *t, const struct xdp_ban_key *k)
{
	uint32_t i = t->buckets[xb_bucket(t, k)];

	while (i != NIL && memcmp(&t->e[i].key, k, sizeof(*k)))
		i = t->e[i].hnext;
	return i;
}

static void xb_lru_unlink(struct xdp_ban_tab *t, uint32_t i)
{
	struct xb_entry *e = &t->e[i];

	if (e->prev != NIL)
		t->e[e->prev].next = e->next;
	else
		t->lru_head = e->next;
	if (e->next != NIL)
		t->e[e->next].prev = e->prev;
	else
		t->lru_tail = e->prev;
}

static void xb_lru_push_front(struct xdp_ban_tab *t, uint32_t i)
{
	t->e[i].prev = NIL;
	t->e[i].next = t->lru_head;
	if (t->lru_head != NIL)
		t->e[t->lru_head].prev = i;
	t->lru_head = i;
	if (t->lru_tail == NIL)
		t->lru_tail = i;
}

/* Take entry i out of its chain and the LRU list, onto the free list. */
static void xb_remove(struct xdp_ban_tab *t, uint32_t i)
{
	uint32_t *p = &t->buckets[xb_bucket(t, &t->e[i].key)];

	while (*p != i)
		p = &t->e[*p].hnext;
	*p = t->e[i].hnext;
	xb_lru_unlink(t, i);
	t->e[i].next = t->free_head;
	t->free_head = i;
	t->used--;
}

/* A new entry for k: a free one, else the least recently offending address's. */
static uint32_t xb_insert(struct xdp_ban_tab *t, const struct xdp_ban_key *k)
{
	uint32_t i, b;

	if (t->free_head == NIL)
		xb_remove(t, t->lru_tail);
	i = t->free_head;
	t->free_head = t->e[i].next;
	t->used++;
	t->e[i].key = *k;
	t->e[i].start = t->e[i].n = 0;
	b = xb_bucket(t, k);
	t->e[i].hnext = t->buckets[b];
	t->buckets[b] = i;
	xb_lru_push_front(t, i);
	return i;
}

/* Drop the times of entry i that fell out of the window at now. */
static void xb_expire(const struct xdp_ban_tab *t, struct xb_entry *e, const int64_t *ring,
		      int64_t now)
{
	while (e->n && now - ring[e->start] >= t->window) {
		e->start = (e->start + 1) % t->threshold;
		e->n--;
	}
}

bool xdp_ban_offence(struct xdp_ban_tab *t, const struct xdp_ban_key *k, int64_t now_ms)
{
	uint32_t i = xb_find(t, k);
	struct xb_entry *e;
	int64_t *ring;

	if (i == NIL) {
		i = xb_insert(t, k);
	} else {
		xb_lru_unlink(t, i);
		xb_lru_push_front(t, i);
	}
	e = &t->e[i];
	ring = &t->times[(size_t)i * t->threshold];
	if (e->n == t->threshold) { /* full ring: the oldest time makes room */
		e->start = (e->start + 1) % t->threshold;
		e->n--;
	}
	ring[(e->start + e->n) % t->threshold] = now_ms;
	e->n++;
	xb_expire(t, e, ring, now_ms);
	if (e->n < t->threshold)
		return false;
	xb_remove(t, i);
	return true;
}

uint32_t xdp_ban_pending(const struct xdp_ban_tab *t, const struct xdp_ban_key *k, int64_t now_ms)
{
	uint32_t i = xb_find(t, k), n = 0;

	if (i == NIL)
		return 0;
	for (uint32_t j = 0; j < t->e[i].n; j++) {
		int64_t when =
		    t->times[(size_t)i * t->threshold + (t->e[i].start + j) % t->threshold];

		n += now_ms - when < t->window;
	}
	return n;
}

size_t xdp_ban_size(const struct xdp_ban_tab *t)
{
	return t->used;
}
