// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * fastpath_verdict: the kernel half of mqttgw's QoS 0 fast path.
 *
 * Attached to fp_sockhash with BPF_SK_SKB_VERDICT (no strparser): it sees each skb a socket
 * in the map receives, whole, starting at offset 0, and decides where it goes:
 *   - redirect (bpf_sk_redirect_hash to the target's egress) when the skb starts and ends on
 *     an MQTT frame boundary and every frame in it is a PUBLISH, QoS 0, RETAIN 0, whose exact
 *     topic has a route from this publisher to one same target, and the policy allows it
 *     (order, target busy, budget, frame size, protocol level);
 *   - SK_PASS otherwise: the bytes go to the daemon as if there were no fast path.
 * A frame the kernel cannot deliver is the daemon's to handle, so it never drops one: the only
 * SK_DROP is for an skb left empty once the bytes the socket already had are cut from it
 * (fp_dedup()), which has nothing to deliver.
 *
 * No frame state is kept across skbs. An skb is judged only when the daemon holds nothing of
 * its publisher (passed == drained, invariant 2), and then it starts on a frame boundary (see
 * fastpath_verdict()); an skb that ends inside a frame is passed, and so is every skb after it
 * until the daemon has dispatched that frame. What fp_socks keeps per socket is its slot, its
 * protocol level and the TCP sequence number fp_dedup() needs. See include/mqttgw/fp_abi.h for
 * the maps and counters and ARCHITECTURE.md ("The kernel fast path") for the invariants.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "mqttgw/fp_abi.h"
#include "fastpath_consts.h"
#include "fastpath_maps.h"
#include "fastpath_parse.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* Knobs (rodata): set by the loader between open and load. */
const volatile __u32 fp_cfg_enabled = 1;	      /* 0: pass everything, no tracking */
const volatile __u32 fp_cfg_max_topic = FP_TOPIC_MAX; /* longest routable topic */
const volatile __u32 fp_cfg_allow_v5 = 1;	      /* 0: never redirect MQTT 5 frames */

static __always_inline void fp_count(struct fp_stats *s, __u32 idx, __u64 v)
{
	/* Atomic although per CPU: a verdict run from process context can be preempted by
	 * another on the same CPU. The bound check keeps the verifier's index in range. */
	if (idx < FP_CTR_NR)
		__sync_fetch_and_add(&s->ctr[idx], v);
}

static __always_inline int fp_pass(struct fp_stats *s, struct fp_slot *pub, __u32 reason,
				   __u32 frames, __u32 len)
{
	if (pub)
		/* Single writer: the verdict of this socket runs under its socket lock. */
		WRITE_ONCE(pub->passed, pub->passed + len);
	if (reason >= FP_PASS_NR)
		reason = FP_PASS_MALFORMED;
	fp_count(s, FP_CTR_PASS_SKBS + reason, 1);
	fp_count(s, FP_CTR_PASS_FRAMES + reason, frames);
	fp_count(s, FP_CTR_PASS_BYTES + reason, len);
	return SK_PASS;
}

struct fp_cut {
	struct __sk_buff *skb;
	__u32 left; /* bytes still to cut */
	int err;
};

/* bpf_loop() callback: cut up to FP_CUT_MAX bytes off the skb's head. */
static long fp_cut_step(__u32 idx, void *ctx)
{
	struct fp_cut *c = ctx;
	__u32 n = c->left < FP_CUT_MAX ? c->left : FP_CUT_MAX;

	(void)idx;
	if (!n)
		return 1;
	if (bpf_skb_adjust_room(c->skb, -(__s32)n, 0, 0)) {
		c->err = 1;
		return 1;
	}
	c->left -= n;
	return 0;
}

/*
 * Cut the bytes of this skb the socket has already received. TCP queues a retransmitted
 * segment that overlaps data it already has (seq < rcv_nxt < end_seq) whole, and relies on
 * the reader to skip the overlap by copied_seq; tcp_read_skb(), which feeds the verdict, hands
 * over whole skbs without that offset (6.18), so the overlap would reach the daemon, or a
 * redirect target, twice (seen on veth under load: one MSS delivered twice). The verdict tracks
 * the next new sequence number per socket and removes the overlap from the skb's head, which
 * also keeps the kernel's copied_seq accounting (advanced by skb->len) right.
 * Returns the new length, or -1 when it cannot; the skb may then still begin with old bytes and
 * is passed unjudged. The next skb tries again (a stale next_seq only cuts nothing).
 */
static __always_inline long fp_dedup(struct __sk_buff *skb, struct fp_sock *ss,
				     struct fp_stats *s, __u32 len)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct fp_cut c = {.skb = skb};
	__u32 sq[2];

	/* TCP_SKB_CB(skb): seq, end_seq are its first two fields */
	if (bpf_probe_read_kernel(sq, sizeof(sq), kskb->cb))
		return -1;
	if (!ss->seq_known) {
		/* The first skb after the add: the daemon read everything before it (it adds
		 * right after a read hit EAGAIN), so copied_seq is where new bytes begin. */
		struct tcp_sock *tp = (struct tcp_sock *)kskb->sk; /* in fp_sockhash: TCP */

		if (!tp || bpf_core_read(&ss->next_seq, sizeof(ss->next_seq), &tp->copied_seq))
			return -1;
		ss->seq_known = 1;
	}
	if ((__s32)(sq[0] - ss->next_seq) < 0) {
		c.left = ss->next_seq - sq[0];
		if (c.left > len)
			c.left = len;
		fp_count(s, FP_CTR_DUP_SKBS, 1);
		fp_count(s, FP_CTR_DUP_BYTES, c.left);
		bpf_loop(FP_CUT_MAX_CALLS, fp_cut_step, &c, 0);
		if (c.err || c.left)
			return -1;
	}
	if ((__s32)(sq[1] - ss->next_seq) > 0)
		ss->next_seq = sq[1];
	return skb->len;
}

SEC("sk_skb")
int fastpath_verdict(struct __sk_buff *skb)
{
	struct fp_slot *pub, *tgt;
	struct fp_walk w = {};
	struct fp_sock *ss;
	struct fp_stats *s;
	__u32 zero = 0, len = skb->len, reason;
	__u64 cookie, old;
	__u32 frames;
	long cut;

	s = bpf_map_lookup_elem(&fp_stats, &zero);
	if (!s) /* cannot happen (array index 0), but the verifier wants the check */
		return SK_PASS;
	/* Empty skbs (a FIN) reach the verdict too; they carry no frame and must pass. */
	if (len == 0)
		return fp_pass(s, NULL, FP_PASS_EMPTY, 0, 0);

	cookie = bpf_get_socket_cookie(skb);
	ss = bpf_map_lookup_elem(&fp_socks, &cookie);
	if (!ss)
		return fp_pass(s, NULL, FP_PASS_NO_SOCK, 0, len);
	pub = bpf_map_lookup_elem(&fp_slots, &ss->slot);
	if (!pub || READ_ONCE(pub->cookie) != cookie)
		return fp_pass(s, NULL, FP_PASS_NO_SOCK, 0, len);
	if (!fp_cfg_enabled)
		return fp_pass(s, pub, FP_PASS_DISABLED, 0, len);
	cut = fp_dedup(skb, ss, s, len);
	len = skb->len; /* what is left, also when a cut failed half-way */
	/* all of it was old: nothing left to deliver (tcp_eat_skb() counts 0 bytes) */
	if (!len)
		return SK_DROP;
	/* old bytes may be left at its head: no frame boundary to walk from */
	if (cut < 0)
		return fp_pass(s, pub, FP_PASS_MALFORMED, 0, len);
	/*
	 * Invariant 2 first, before any walking. While the daemon still holds bytes of this
	 * publisher (passed != drained) this skb is passed whatever it holds, so there is nothing
	 * to judge: passing it at once keeps the cost of a publisher the daemon relays (slow
	 * subscriber, a flow the policy moved, frames cut by TCP) at O(1) per skb. When it holds
	 * none, this skb begins on a frame boundary: `drained` counts whole dispatched frames
	 * only, every passed byte is among them, and a redirected skb always ended on one. That
	 * is why no frame state needs to survive an skb: one that ends inside a frame (or is
	 * malformed) is passed, so the daemon holds bytes of that frame until it has all of it.
	 */
	if (READ_ONCE(pub->passed) != READ_ONCE(pub->drained))
		return fp_pass(s, pub, FP_PASS_ORDER, 0, len);
	/* No route from this publisher: nothing to judge either. */
	if (!(READ_ONCE(pub->flags) & FP_SLOT_F_ROUTED))
		return fp_pass(s, pub, FP_PASS_NO_ROUTE, 0, len);

	w.skb = skb;
	w.len = len;
	w.pub_gen = READ_ONCE(pub->gen);
	w.proto = ss->proto;
	w.max_topic = fp_cfg_max_topic;
	w.key.pub_cookie = cookie;
	/*
	 * Verifier: bpf_loop() callbacks are verified iteration by iteration until their state
	 * converges. A frame counter starting at the constant 0 would be a new constant after
	 * every iteration (1, 2, 3, ...) and never converge ("sequence of 8193 jumps is too
	 * complex"). Starting it at a value the verifier cannot know makes every iteration's
	 * counter "any u32", so the second iteration already matches the first.
	 */
	w.frames_base = bpf_get_prandom_u32();
	w.frames = w.frames_base;
	w.reason = FP_OK;
	if (ss->proto == FP_PROTO_V5 && !fp_cfg_allow_v5)
		w.reason = FP_PASS_PROTO;
	reason = fp_walk_skb(&w);
	frames = w.frames - w.frames_base;
	if (reason != FP_OK)
		return fp_pass(s, pub, reason, frames, len);

	/* Invariant 2 (again: the daemon may have read nothing new meanwhile, but the check is
	 * cheap and the walk took time). */
	if (READ_ONCE(pub->passed) != READ_ONCE(pub->drained))
		return fp_pass(s, pub, FP_PASS_ORDER, frames, len);

	tgt = bpf_map_lookup_elem(&fp_slots, &w.sub_slot);
	if (!tgt || READ_ONCE(tgt->cookie) != w.target)
		return fp_pass(s, pub, FP_PASS_NO_TARGET, frames, len);
	if (READ_ONCE(tgt->gen) != w.sub_gen)
		return fp_pass(s, pub, FP_PASS_NO_ROUTE, frames, len);
	if (tgt->proto != ss->proto)
		return fp_pass(s, pub, FP_PASS_PROTO, frames, len);
	if (tgt->max_frame && w.max_frame > tgt->max_frame)
		return fp_pass(s, pub, FP_PASS_TOO_LARGE, frames, len);

	/*
	 * Invariant 3: spend the target's budget before redirecting. The fetch-add is fully
	 * ordered, so together with the daemon's fence between setting FP_SLOT_F_BUSY and
	 * reading `spent` either the daemon sees these bytes or this verdict sees the flag
	 * (invariant 1). Refunds keep `spent` equal to what was handed to the target's queue.
	 */
	old = __sync_fetch_and_add(&tgt->spent, len);
	if (old + len > READ_ONCE(tgt->credit)) {
		__sync_fetch_and_sub(&tgt->spent, len);
		fp_count(s, FP_CTR_OVER_BUDGET, 1);
		return fp_pass(s, pub, FP_PASS_BUDGET, frames, len);
	}
	if (READ_ONCE(tgt->flags) & FP_SLOT_F_BUSY) {
		__sync_fetch_and_sub(&tgt->spent, len);
		return fp_pass(s, pub, FP_PASS_BUSY, frames, len);
	}
	/*
	 * A missing key makes the helper return SK_DROP; returning that would drop the skb
	 * silently. Pass it instead: the target went away between the checks and here.
	 */
	if (bpf_sk_redirect_hash(skb, &fp_sockhash, &w.target, 0) != SK_PASS) {
		__sync_fetch_and_sub(&tgt->spent, len);
		return fp_pass(s, pub, FP_PASS_NO_TARGET, frames, len);
	}
	WRITE_ONCE(pub->redirected, pub->redirected + len);
	fp_count(s, FP_CTR_REDIR_SKBS, 1);
	fp_count(s, FP_CTR_REDIR_FRAMES, frames);
	fp_count(s, FP_CTR_REDIR_BYTES, len);
	return SK_PASS;
}
