// SPDX-License-Identifier: MIT
/*
 * fuzz_fpparse: the verdict's frame walk (bpf/fastpath_parse.h), compiled natively through
 * tests/unit/fpparse_shim.h, on arbitrary skbs. Input: byte 0 picks the protocol level and
 * the topic knob, the rest is the skb. Checked against a plain reference framer written here:
 * the frames counted, where tracking is lost (a fifth length byte) and where the skb ends
 * inside a frame must agree, and a redirectable skb must be whole QoS 0, RETAIN 0 PUBLISH
 * frames on routed topics with one target.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"
#include "fpparse_shim.h"


#define PUB	42ULL
#define PUB_GEN 5

static struct fp_route route;

/* Routes: every one-byte topic; its byte picks one of two targets (so MULTI_TARGET happens). */
struct fp_route *fpparse_route_lookup(const struct fp_route_key *key)
{
	CHECK(key->pub_cookie == PUB);
	CHECK(key->topic_len >= 1 && key->topic_len <= FP_TOPIC_MAX);
	for (size_t i = key->topic_len; i < FP_TOPIC_MAX; i++)
		CHECK(key->topic[i] == 0); /* the kernel hashes the whole key */
	if (key->topic_len != 1)
		return NULL;
	route.sub_cookie = 100 + (key->topic[0] & 1);
	route.sub_slot = key->topic[0] & 1;
	route.pub_gen = PUB_GEN;
	route.sub_gen = 1;
	return &route;
}

/* The reference: frames starting in buf, and how the walk over them must end. */
struct ref {
	uint32_t frames, max_frame;
	bool lost, split;
};

static struct ref ref_frame(const uint8_t *buf, size_t len)
{
	struct ref r = {0};
	size_t pos = 0;

	while (pos < len) {
		uint64_t val = 0, total;
		size_t k;

		r.frames++;
		for (k = 0; k < 4 && pos + 1 + k < len; k++) {
			val |= (uint64_t)(buf[pos + 1 + k] & 0x7f) << (7 * k);
			if (!(buf[pos + 1 + k] & 0x80))
				break;
		}
		if (k == 4) {
			r.lost = true;
			return r;
		}
		if (pos + 1 + k >= len) {
			r.split = true;
			return r;
		}
		total = 2 + k + val;
		if (total > len - pos) {
			r.split = true;
			return r;
		}
		if (total > r.max_frame)
			r.max_frame = (uint32_t)total;
		pos += total;
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct __sk_buff skb;
	struct fp_walk w;
	struct ref ref;
	uint8_t proto;
	uint32_t frames, reason, max_topic;

	if (size < 2)
		return 0;
	proto = (data[0] & 3) == 0   ? FP_PROTO_V5
		: (data[0] & 3) == 1 ? FP_PROTO_V31
				     : FP_PROTO_V311;
	max_topic = data[0] & 4 ? 1 : FP_TOPIC_MAX;
	skb.data = data + 1;
	skb.len = (uint32_t)(size - 1);
	fpparse_init(&w, &skb, proto, max_topic, PUB, PUB_GEN, (uint32_t)size * 2654435761u);
	reason = fp_walk_skb(&w);
	frames = w.frames - w.frames_base;
	ref = ref_frame(skb.data, skb.len);

	CHECK(reason == FP_OK || reason < FP_PASS_NR);
	CHECK(w.pos <= skb.len);
	CHECK(frames == ref.frames);
	CHECK(w.lost == ref.lost);
	CHECK(!w.lost || reason == FP_PASS_MALFORMED);
	CHECK(w.lost || w.split == ref.split);
	if (reason != FP_OK)
		return 0;
	/* redirectable: whole frames, all of them judged and routed to the one target */
	CHECK(!ref.lost && !ref.split && w.pos == skb.len);
	CHECK(w.max_frame == ref.max_frame);
	CHECK(w.target == 100 || w.target == 101);
	for (size_t pos = 0; pos < skb.len;) {
		const uint8_t *f = skb.data + pos;
		uint32_t val = 0, k = 0, tl;

		CHECK(f[0] == 0x30); /* PUBLISH, QoS 0, no DUP, no RETAIN */
		do
			val |= (uint32_t)(f[1 + k] & 0x7f) << (7 * k);
		while (f[1 + k++] & 0x80);
		tl = (uint32_t)f[1 + k] << 8 | f[2 + k];
		CHECK(tl == 1 && tl <= max_topic && val >= 2 + tl);
		CHECK(100u + (f[3 + k] & 1) == w.target);
		if (proto == FP_PROTO_V5)
			CHECK(val >= 3 + tl && f[3 + k + tl] == 0 && (k == 1 || f[k] != 0));
		pos += 1 + k + val;
	}
	return 0;
}
