/* SPDX-License-Identifier: MIT */
/* vec: dense arrays with an optional index of positions. See include/vec.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

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
static void idx_erase(struct vec *v, size_t esz, uint32_t pos, vec_hash_fn hf, const void *ctx)
{
	uint32_t mask = vec_mask(v), i, j, home;

	i = idx_slot(v->idx, mask, hf(ctx, vec_at(v, esz, pos)), pos);
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!v->idx[j])
			break;
		home = hf(ctx, vec_at(v, esz, v->idx[j] - 1)) & mask;
		/* an entry whose home lies cyclically in (i, j] must stay where it is */
		if (((j - home) & mask) < ((j - i) & mask))
			continue;
		v->idx[i] = v->idx[j];
		i = j;
	}
	v->idx[i] = 0;
}

/* Resize to cap (>= n) and rebuild the index. On failure nothing changes. */
static int vec_resize(struct vec *v, size_t esz, uint32_t cap, vec_hash_fn hf, const void *ctx)
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
		idx_put(idx, vec_mask(v), hf(ctx, vec_at(v, esz, i)), i);
	return 0;
}

int vec_push(struct vec *v, size_t esz, const void *elem, vec_hash_fn hf, const void *ctx)
{
	if (v->n == v->cap) {
		/* most nodes have one child or one subscriber: start at 1 */
		if (v->cap >= VEC_MAX || vec_resize(v, esz, v->cap ? 2 * v->cap : 1, hf, ctx))
			return -ENOMEM;
	}
	memcpy(vec_at(v, esz, v->n), elem, esz);
	if (v->idx)
		idx_put(v->idx, vec_mask(v), hf(ctx, elem), v->n);
	v->n++;
	return 0;
}

void vec_fini(struct vec *v)
{
	free(v->a);
	free(v->idx);
	memset(v, 0, sizeof(*v));
}

void vec_del(struct vec *v, size_t esz, uint32_t pos, vec_hash_fn hf, const void *ctx)
{
	uint32_t last = v->n - 1;

	if (v->idx)
		idx_erase(v, esz, pos, hf, ctx);
	if (pos != last) {
		memcpy(vec_at(v, esz, pos), vec_at(v, esz, last), esz);
		if (v->idx)
			v->idx[idx_slot(v->idx, vec_mask(v), hf(ctx, vec_at(v, esz, pos)), last)] =
			    pos + 1;
	}
	v->n--;
	if (!v->n)
		vec_fini(v);
	else if (v->cap > VEC_NARROW && v->n <= v->cap / 4)
		(void)vec_resize(v, esz, v->cap / 2, hf, ctx); /* failing to shrink is harmless */
}
