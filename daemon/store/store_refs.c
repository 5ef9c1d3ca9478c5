/* SPDX-License-Identifier: MIT */
/*
 * store_refs: message reference counts (struct store_refs, store_int.h), kept by the writer
 * thread and by the load before it starts; pure memory, no SQLite. Changes made inside a
 * transaction are undone if it rolls back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

int store_refs_append(struct store_refs *r, uint64_t id)
{
	size_t cap = r->cap;

	if (r->n == r->cap) {
		if (grow((void **)&r->ids, &cap, r->n + 1, sizeof(*r->ids)))
			return -ENOMEM;
		cap = r->cap;
		if (grow((void **)&r->refs, &cap, r->n + 1, sizeof(*r->refs)))
			return -ENOMEM;
		r->cap = cap;
	}
	r->ids[r->n] = id;
	r->refs[r->n++] = 0;
	r->live++;
	return 0;
}

long store_u64_find(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == x ? (long)lo : -1;
}

long store_refs_find(const struct store_refs *r, uint64_t id)
{
	return store_u64_find(r->ids, r->n, id);
}

/* store_refs_find for the writer: ids drained in order are found at the last index or the next
 * one, without a binary search over every stored message. */
long store_refs_find_near(struct store_refs *r, uint64_t id)
{
	size_t h = r->hint;
	long i;

	if (h + 1 < r->n && r->ids[h + 1] == id)
		i = (long)(h + 1);
	else if (h < r->n && r->ids[h] == id)
		i = (long)h;
	else
		i = store_refs_find(r, id);
	if (i >= 0)
		r->hint = (size_t)i;
	return i;
}

int store_refs_zero_push(struct store_refs *r, uint64_t id)
{
	if (grow((void **)&r->zero, &r->zero_cap, r->zero_n + 1, sizeof(*r->zero)))
		return -ENOMEM;
	r->zero[r->zero_n++] = id;
	return 0;
}

void store_refs_squeeze(struct store_refs *r)
{
	size_t j = 0;

	if (r->n < 1024 || r->live > r->n / 2)
		return;
	for (size_t i = 0; i < r->n; i++) {
		if (!r->refs[i])
			continue;
		r->ids[j] = r->ids[i];
		r->refs[j++] = r->refs[i];
	}
	r->n = j;
}

void store_refs_free(struct store_refs *r)
{
	free(r->ids);
	free(r->refs);
	free(r->undo);
	free(r->zero);
	memset(r, 0, sizeof(*r));
}

void store_refs_txn_begin(struct store_refs *r)
{
	r->txn_n = r->n;
	r->txn_live = r->live;
	r->undo_n = 0;
	r->zero_n = 0;
}

void store_refs_txn_rollback(struct store_refs *r)
{
	while (r->undo_n) {
		r->undo_n--;
		r->refs[r->undo[r->undo_n].i] = r->undo[r->undo_n].old;
	}
	r->n = r->txn_n;
	r->live = r->txn_live;
	r->zero_n = 0;
}

int store_refs_change(struct store_refs *r, uint64_t id, int delta)
{
	long i = store_refs_find_near(r, id);

	if (i < 0 || (delta < 0 && !r->refs[i]))
		return -ENOENT;
	/* a message whose count already reached 0 in an earlier transaction is deleted; one that
	 * reached 0 in this one is still there (deleted at its end) and may be referred to again */
	if (!r->refs[i] && (size_t)i < r->txn_n) {
		bool pending = false;

		for (size_t z = r->zero_n; z-- > 0 && !pending;)
			pending = r->zero[z] == id;
		if (!pending)
			return -ENOENT;
	}
	if ((size_t)i < r->txn_n) {
		if (grow((void **)&r->undo, &r->undo_cap, r->undo_n + 1, sizeof(*r->undo)))
			return -ENOMEM;
		r->undo[r->undo_n].i = (size_t)i;
		r->undo[r->undo_n++].old = r->refs[i];
	}
	r->refs[i] += delta;
	return r->refs[i] ? 0 : store_refs_zero_push(r, id);
}
