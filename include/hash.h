/* SPDX-License-Identifier: MIT */
/*
 * hash: the one seeded hash of the daemon's tables (layer L0: pure; no globals, no syscalls).
 *
 * Keys of topic levels, subscribers and client ids are chosen by clients, so every table keyed
 * by them hashes with a seed the caller owns: which keys collide depends on the seed, and a
 * client cannot precompute names that pile up in one chain. Not cryptographic.
 *
 * Header-only on purpose: hash_bytes runs once per topic level of every match, and a call
 * into another object file (no LTO) would cost more than the hash of a short level.
 */
#ifndef MQTTGW_HASH_H
#define MQTTGW_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The 64-bit finaliser of MurmurHash3: a bijection that spreads every input bit. */
static inline uint64_t hash_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * A default seed for a table that was given none: derived from the table's own address, which
 * ASLR makes hard to predict from outside. Callers with random bytes should pass those.
 */
static inline uint64_t hash_seed_of(const void *table)
{
	return hash_mix64((uintptr_t)table ^ 0x2545f4914f6cdd1dULL);
}

/*
 * Every step is a bijection of the state and the seed enters first, so which strings collide
 * depends on the seed. Eight bytes per step.
 */
static inline uint32_t hash_bytes(uint64_t seed, const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = seed ^ ((uint64_t)len * 0x9e3779b97f4a7c15ULL), w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	if (len)
		memcpy(&w, s, len);
	return (uint32_t)hash_mix64(h ^ w);
}

/* A pointer as a key (e.g. a subscriber), keyed the same way. */
static inline uint32_t hash_ptr(uint64_t seed, const void *p)
{
	return (uint32_t)hash_mix64((uintptr_t)p ^ seed);
}

#endif /* MQTTGW_HASH_H */
