/* SPDX-License-Identifier: MIT */
/*
 * vec: a dense array of fixed-size elements with an optional open-addressed index of positions
 * (layer L0: pure). Small arrays (capacity up to VEC_NARROW) are scanned; larger ones also keep
 * 2 * cap index slots holding position + 1, probed linearly from hash & vec_mask(). The caller
 * owns the key: it supplies the hash of an element (hf, with its ctx) and walks the index
 * itself when it looks something up, so the hot lookup stays inline in the caller.
 *
 * Dense storage keeps iteration cheap; removal moves the last element into the hole, so an
 * element's position changes only on vec_del (callers that remember positions fix that one).
 */
#ifndef MQTTGW_VEC_H
#define MQTTGW_VEC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define VEC_NARROW 8u /* arrays up to this capacity are scanned; larger ones are indexed */
#define VEC_MAX	   (1u << 30)

struct vec {
	void *a;
	uint32_t *idx; /* NULL while cap <= VEC_NARROW */
	uint32_t n, cap;
};

/* The hash of an element; the same element must always hash the same while stored. */
typedef uint32_t (*vec_hash_fn)(const void *ctx, const void *elem);

static inline void *vec_at(const struct vec *v, size_t esz, uint32_t pos)
{
	return (char *)v->a + (size_t)pos * esz;
}

/* Mask of the index (2 * cap slots); only meaningful when v->idx is set. */
static inline uint32_t vec_mask(const struct vec *v)
{
	return 2 * v->cap - 1;
}

/* Append a copy of elem (esz bytes). 0 or -ENOMEM (nothing changed). */
int vec_push(struct vec *v, size_t esz, const void *elem, vec_hash_fn hf, const void *ctx);
/* Remove position pos by moving the last element into it; shrinks so churn returns memory. */
void vec_del(struct vec *v, size_t esz, uint32_t pos, vec_hash_fn hf, const void *ctx);
/* Free the storage; v is empty and reusable afterwards. */
void vec_fini(struct vec *v);

/*
 * VEC_GROW(a, n, cap, first): room for one more element at a[n] in a plain array a (any element
 * type) of cap elements (any integer type), for arrays that need no index: when n == cap, a is
 * reallocated to twice cap, or to first while cap is 0. 0, or -ENOMEM with a and cap unchanged.
 */
#define VEC_GROW(a, n, cap, first)                                                                 \
	({                                                                                         \
		int vg_rc_ = 0;                                                                    \
		if ((n) == (cap)) {                                                                \
			__typeof__(cap) vg_cap_ = (cap) ? 2 * (cap) : (first);                     \
			__typeof__(a) vg_a_ = realloc((a), vg_cap_ * sizeof(*(a)));                \
			if (vg_a_) {                                                               \
				(a) = vg_a_;                                                       \
				(cap) = vg_cap_;                                                   \
			} else {                                                                   \
				vg_rc_ = -ENOMEM;                                                  \
			}                                                                          \
		}                                                                                  \
		vg_rc_;                                                                            \
	})

#endif /* MQTTGW_VEC_H */
