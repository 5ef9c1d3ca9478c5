/* SPDX-License-Identifier: MIT */
/*
 * clock: the one reading of CLOCK_MONOTONIC, in the three units the daemon uses (layer L1: it
 * reads the clock; L0 code never includes it, it takes time as a parameter).
 *
 * Header-only: each is a vDSO call and a multiply, and a module of its own for that would cost
 * a call into another object file. Each unit truncates (rounds down), as every copy it replaces
 * did. The fuzz target wraps clock_gettime (-Wl,--wrap), which still sees these calls.
 */
#ifndef MQTTGW_CLOCK_H
#define MQTTGW_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds: the clock of bpf_ktime_get_ns() (XDP ban expiries). */
static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif /* MQTTGW_CLOCK_H */
