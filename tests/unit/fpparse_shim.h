/* SPDX-License-Identifier: MIT */
/*
 * fpparse_shim: compile bpf/fastpath_parse.h, the verdict's frame walk, as native C for
 * tests/unit/test_fpparse.c and tests/fuzz/fuzz_fpparse.c. It stands in for what the BPF
 * build gets from vmlinux.h and libbpf: an skb is a flat buffer, bpf_skb_load_bytes() copies
 * from it with the helper's bounds check, bpf_loop() is a plain loop with the same contract,
 * and the route map is a function the including file defines (fpparse_route_lookup()).
 * Build with -Ibpf (and -Wno-unknown-pragmas for gcc: the walk's `#pragma unroll` is clang's).
 */
#ifndef MQTTGW_FPPARSE_SHIM_H
#define MQTTGW_FPPARSE_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mqttgw/fp_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The verdict's context, reduced to what the walk reads: its bytes. */
struct __sk_buff {
	const uint8_t *data;
	__u32 len;
};

static inline long bpf_skb_load_bytes(const struct __sk_buff *skb, __u32 off, void *to, __u32 len)
{
	if (off > skb->len || len > skb->len - off)
		return -EFAULT;
	memcpy(to, skb->data + off, len);
	return 0;
}

/* Calls cb up to nr times, stopping when it returns non-zero; returns the calls made. */
static inline long bpf_loop(__u32 nr, long (*cb)(__u32 idx, void *ctx), void *ctx, __u64 flags)
{
	__u32 i;

	(void)flags;
	for (i = 0; i < nr;)
		if (cb(i++, ctx))
			break;
	return i;
}

/* The fp_routes lookup: the including file defines it (the kernel compares whole keys). */
struct fp_route *fpparse_route_lookup(const struct fp_route_key *key);
#define bpf_map_lookup_elem(map, key) fpparse_route_lookup(key)

#include "fastpath_consts.h"
#include "fastpath_parse.h"

/* Set w up as fastpath_verdict() does for an skb of `skb` from publisher pub_cookie. */
static inline void fpparse_init(struct fp_walk *w, struct __sk_buff *skb, __u8 proto,
				__u32 max_topic, __u64 pub_cookie, __u32 pub_gen, __u32 frames_base)
{
	memset(w, 0, sizeof(*w));
	w->skb = skb;
	w->len = skb->len;
	w->pub_gen = pub_gen;
	w->proto = proto;
	w->max_topic = max_topic;
	w->key.pub_cookie = pub_cookie;
	w->frames_base = frames_base;
	w->frames = frames_base;
	w->reason = FP_OK;
}

#endif /* MQTTGW_FPPARSE_SHIM_H */
