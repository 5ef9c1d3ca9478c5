/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * fastpath_parse: walk the MQTT frames of one skb and judge each against the redirect
 * rules that depend on the frame alone (type, QoS, RETAIN, topic, properties, route).
 * The skb starts on a frame boundary (the verdict walks only then); nothing is carried to
 * the next skb. tests/unit/test_fpparse.c and tests/fuzz/fuzz_fpparse.c compile this header
 * natively (tests/unit/fpparse_shim.h stands in for the BPF types and helpers).
 *
 * skb data is read with bpf_skb_load_bytes(), never with direct packet access: on loopback
 * the payload of a TCP skb usually sits in page fragments (skb_headlen() can be 0), which
 * direct access cannot see, and the helper copies across fragments.
 */
#ifndef MQTTGW_FASTPATH_PARSE_H
#define MQTTGW_FASTPATH_PARSE_H

/* fp_walk.reason while every frame seen so far may be redirected. */
#define FP_OK 0xff

/*
 * State of the walk over one skb, on the verdict's stack and handed to bpf_loop() by
 * pointer. Inputs are set by the verdict; the walk fills the outputs.
 */
struct fp_walk {
	struct __sk_buff *skb;	 /* in */
	__u64 target;		 /* out: target cookie of the first routed frame, 0: none */
	__u32 len;		 /* in: skb->len */
	__u32 pos;		 /* in/out: offset of the next frame */
	__u32 frames;		 /* out: frames starting in this skb, plus frames_base */
	__u32 frames_base;	 /* in: unknown to the verifier, see fastpath_verdict() */
	__u32 max_frame;	 /* out: largest complete frame */
	__u32 sub_slot;		 /* out: fp_slots index of target */
	__u32 sub_gen;		 /* out: route's target generation */
	__u32 pub_gen;		 /* in: publisher's fp_slot.gen */
	__u32 max_topic;	 /* in: knob, <= FP_TOPIC_MAX */
	__u8 split;		 /* out: the skb ends inside a frame (its header or body) */
	__u8 proto;		 /* in: publisher's FP_PROTO_* */
	__u8 reason;		 /* in/out: FP_OK or the first FP_PASS_* found */
	__u8 lost;		 /* out: stream is malformed, tracking gave up */
	struct fp_route_key key; /* scratch: route lookup key; pub_cookie set by the verdict */
};

/* Byte i of a little-endian 64-bit load. */
static __always_inline __u32 fp_byte(__u64 w, __u32 i)
{
	return (w >> (8 * i)) & 0xff;
}

/*
 * Judge one complete frame at w->pos: hw holds its first n (>= 2) bytes, vlen the size of
 * its Remaining Length and val the value. Sets w->reason to the first rule it breaks.
 */
static __always_inline void fp_judge_frame(struct fp_walk *w, __u64 hw, __u32 n, __u32 vlen,
					   __u32 val)
{
	__u32 type = fp_byte(hw, 0);
	struct fp_route *r;
	__u32 tl, off;

	if ((type >> 4) != MQTT_TYPE_PUBLISH) {
		w->reason = FP_PASS_NOT_PUBLISH;
		return;
	}
	if (type & MQTT_PUB_QOS_MASK) {
		w->reason = FP_PASS_QOS;
		return;
	}
	if (type & MQTT_PUB_RETAIN) {
		w->reason = FP_PASS_RETAIN;
		return;
	}
	/* MQTT 5 requires the shortest Remaining Length [MQTT-1.5.5-1]: the daemon closes a
	 * client that sends a longer one (a last length byte of 0). */
	if (w->proto == FP_PROTO_V5 && vlen > 1 && !fp_byte(hw, vlen)) {
		w->reason = FP_PASS_MALFORMED;
		return;
	}
	/* DUP on QoS 0 is malformed [MQTT-3.3.1-2]: the daemon closes such a client. */
	if (type & MQTT_PUB_DUP) {
		w->reason = FP_PASS_MALFORMED;
		return;
	}
	/* Topic Name: 2-byte length + bytes, inside the Remaining Length. */
	if (val < 2 || n < 3 + vlen) {
		w->reason = FP_PASS_MALFORMED;
		return;
	}
	tl = fp_byte(hw, 1 + vlen) << 8 | fp_byte(hw, 2 + vlen);
	if (val < 2 + tl) {
		w->reason = FP_PASS_MALFORMED;
		return;
	}
	/*
	 * Both bounds are needed by the verifier: it cannot know max_topic (a runtime value in
	 * the walk state) is <= FP_TOPIC_MAX, the size of key.topic, and the helper's size
	 * argument must be > 0.
	 */
	if (tl == 0 || tl > w->max_topic || tl > FP_TOPIC_MAX) {
		w->reason = FP_PASS_TOPIC_LEN;
		return;
	}
	off = w->pos + 3 + vlen;
	if (w->proto == FP_PROTO_V5) {
		__u8 plen = 1;

		/*
		 * v5: Property Length follows the topic (no Packet Identifier at QoS 0). Only a
		 * PUBLISH without properties is redirected: a Topic Alias must be seen by the
		 * daemon, and a client must not send Subscription Identifiers.
		 */
		if (val < 3 + tl || bpf_skb_load_bytes(w->skb, off + tl, &plen, 1) || plen) {
			w->reason = FP_PASS_PROPS;
			return;
		}
	}
	/* Bytes past the topic must be zero: the kernel compares the whole key. */
	__builtin_memset(w->key.topic, 0, FP_TOPIC_MAX);
	w->key.topic_len = tl;
	if (bpf_skb_load_bytes(w->skb, off, w->key.topic, tl)) {
		w->reason = FP_PASS_MALFORMED;
		return;
	}
	r = bpf_map_lookup_elem(&fp_routes, &w->key);
	if (!r || r->pub_gen != w->pub_gen) {
		w->reason = FP_PASS_NO_ROUTE;
		return;
	}
	if (!w->target) {
		w->target = r->sub_cookie;
		w->sub_slot = r->sub_slot;
		w->sub_gen = r->sub_gen;
	} else if (w->target != r->sub_cookie || w->sub_gen != r->sub_gen) {
		w->reason = FP_PASS_MULTI_TARGET;
	}
}

/*
 * bpf_loop() callback: one frame per call. Returns 1 to stop (end of skb, frame split, or
 * malformed), 0 to go on. A loop, not an unrolled one: a single skb can carry thousands of
 * frames (1,800+ measured in one 131 KB skb) and all of them must be judged. After the first
 * frame that breaks a rule the walk goes on without judging, only to count the skb's frames
 * (fp_stats counts passed frames per reason).
 */
static long fp_walk_frame(__u32 idx, void *ctx)
{
	struct fp_walk *w = ctx;
	__u32 avail, n, val = 0, vlen = 0, total, k;
	bool complete = false;
	__u64 hw = 0;
	__u32 b;

	(void)idx;
	if (w->pos >= w->len)
		return 1;
	avail = w->len - w->pos;
	n = avail < FP_HDR_PEEK ? avail : FP_HDR_PEEK;
	/* The verifier needs n in [1, sizeof(hw)] as a provable range for the helper. */
	if (n < 1 || n > FP_HDR_PEEK)
		return 1;
	if (bpf_skb_load_bytes(w->skb, w->pos, &hw, n)) {
		w->lost = 1;
		return 1;
	}
	w->frames++;
	/* Remaining Length: 1 to 4 bytes, 7 bits each, least significant first. */
#pragma unroll
	for (k = 0; k < MQTT_VARINT_MAX; k++) {
		if (1 + k >= n)
			break;
		b = fp_byte(hw, 1 + k);
		val |= (b & 0x7f) << (7 * k);
		vlen = k + 1;
		if (!(b & 0x80)) {
			complete = true;
			break;
		}
	}
	if (!complete) {
		if (vlen == MQTT_VARINT_MAX) {
			w->lost = 1; /* a fifth length byte: not MQTT, stop tracking */
			return 1;
		}
		/* The skb ends inside the fixed header. */
		w->split = 1;
		w->pos = w->len;
		return 1;
	}
	total = 1 + vlen + val;
	if (total > avail) {
		w->split = 1;
		w->pos = w->len;
		return 1;
	}
	if (total > w->max_frame)
		w->max_frame = total;
	if (w->reason == FP_OK)
		fp_judge_frame(w, hw, n, vlen, val);
	w->pos += total;
	return 0;
}

/*
 * Walk every frame of w->skb (w->pos 0, inputs set) and return FP_OK when all of them may be
 * redirected to w->target, else the reason to pass the skb: the first rule a frame breaks
 * (or w->reason preset by the caller), then malformed tracking, then an skb that ends inside
 * a frame. w->frames - w->frames_base frames start in it.
 */
static __always_inline __u32 fp_walk_skb(struct fp_walk *w)
{
	__u32 loops = w->len / MQTT_FRAME_MIN + 1;

	if (loops > FP_WALK_MAX_LOOPS)
		loops = FP_WALK_MAX_LOOPS;
	bpf_loop(loops, fp_walk_frame, w, 0);
	if (w->pos < w->len)
		w->lost = 1; /* loop bound hit: the end of the last frame is unknown */
	if (w->lost)
		return FP_PASS_MALFORMED;
	if (w->reason != FP_OK)
		return w->reason;
	if (w->split)
		return FP_PASS_SPLIT;
	if (w->frames == w->frames_base || !w->target)
		return FP_PASS_NO_ROUTE; /* cannot happen: a judged frame set the target */
	return FP_OK;
}

#endif /* MQTTGW_FASTPATH_PARSE_H */
