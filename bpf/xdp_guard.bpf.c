// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * xdp_guard_rx: the XDP guard in front of mqttgw's listeners.
 *
 * Attached to the listening interfaces (native where the driver has XDP, generic otherwise),
 * it judges TCP to the guarded ports and passes everything else untouched. For ours, in
 * order: an allowlisted source passes at once; a denylisted or banned (not expired) source is
 * dropped; a SYN without ACK over its source's rate is dropped; the rest passes. Every packet
 * counts under one reason (xg_stats). Header parsing and what happens to packets that cannot
 * be parsed: bpf/xdp_guard_parse.h. Maps and counters: include/mqttgw/xdp_abi.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "mqttgw/xdp_abi.h"
#include "xdp_guard_consts.h"
#include "xdp_guard_maps.h"
#include "xdp_guard_parse.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/*
 * 1: the source is in one of the two tries (v4 or v6 by its form). `has` is the pair's
 * XDP_CFG_* bits shifted to bit 0 (v4) and 1 (v6): an empty trie is not looked up (two
 * lookups were 15 of the 70 ns a flood SYN cost).
 */
static __always_inline int xg_listed(const struct xg_pkt *p, void *trie4, void *trie6, __u32 has)
{
	struct xdp_lpm4 k4;
	struct xdp_lpm6 k6;

	if (p->proto == ETH_P_IP) {
		if (!(has & 1))
			return 0;
		k4.prefixlen = 32;
		k4.addr = p->src.w[3];
		return bpf_map_lookup_elem(trie4, &k4) != NULL;
	}
	if (!(has & 2))
		return 0;
	k6.prefixlen = 128;
	__builtin_memcpy(k6.addr, p->src.w, sizeof(k6.addr));
	return bpf_map_lookup_elem(trie6, &k6) != NULL;
}

/*
 * GCRA per source (IPv4 address, IPv6 /64: one host holds a whole /64). A flood is rejected
 * with a read alone (no write, no cache-line bouncing between CPUs); a SYN that may pass
 * reserves its interval with an atomic add and gives it back if the add lost a race.
 */
static __always_inline int xg_syn_limit(const struct xg_pkt *p, const struct xdp_cfg *cfg)
{
	__u64 t = cfg->syn_interval_ns, now, limit, tat;
	struct xdp_addr key = p->src;
	struct xdp_syn *s, init = {};

	if (p->proto == ETH_P_IPV6) {
		key.w[2] = 0;
		key.w[3] = 0;
	}
	now = bpf_ktime_get_coarse_ns();
	limit = now + cfg->syn_tau_ns;
	s = bpf_map_lookup_elem(&xg_syn, &key);
	if (!s) {
		init.tat_ns = now + t;
		bpf_map_update_elem(&xg_syn, &key, &init, BPF_NOEXIST);
		return XDP_R_PASSED;
	}
	tat = READ_ONCE(s->tat_ns);
	if (tat > limit)
		goto limited;
	/* Idle source: restart its schedule at now (its unused past does not accumulate). */
	if (tat < now && __sync_val_compare_and_swap(&s->tat_ns, tat, now + t) == tat)
		return XDP_R_PASSED;
	tat = __sync_fetch_and_add(&s->tat_ns, t);
	if (tat <= limit)
		return XDP_R_PASSED;
	__sync_fetch_and_add(&s->tat_ns, -t);
limited:
	return XDP_R_SYN_LIMITED;
}

/* The policy, for TCP to a guarded port. */
static __always_inline int xg_judge(const struct xg_pkt *p, const struct xdp_cfg *cfg)
{
	struct xdp_ban *ban;

	if (xg_listed(p, &xg_allow4, &xg_allow6, cfg->lists))
		return XDP_R_ALLOWED;
	if (xg_listed(p, &xg_deny4, &xg_deny6, cfg->lists >> 2))
		return XDP_R_DENIED;
	/* The precise clock (23 ns here) only when there is a ban to judge. */
	ban = bpf_map_lookup_elem(&xg_bans, &p->src);
	if (ban && bpf_ktime_get_ns() < READ_ONCE(ban->expires_ns)) {
		__sync_fetch_and_add(&ban->drops, 1);
		return XDP_R_BANNED;
	}
	if (p->syn && cfg->syn_interval_ns)
		return xg_syn_limit(p, cfg);
	return XDP_R_PASSED;
}

SEC("xdp")
int xdp_guard_rx(struct xdp_md *ctx)
{
	struct xg_pkt p = {
	    .data = (void *)(long)ctx->data,
	    .end = (void *)(long)ctx->data_end,
	};
	const struct xdp_cfg *cfg = NULL;
	__u32 zero = 0, idx;
	__u64 *ctr;
	int r;

	r = xg_parse_eth(&p);
	if (r == XG_CONTINUE)
		r = p.proto == ETH_P_IP ? xg_parse_ipv4(&p) : xg_parse_ipv6(&p);
	if (r == XG_CONTINUE) {
		cfg = bpf_map_lookup_elem(&xg_cfg, &zero);
		r = cfg ? xg_parse_tcp(&p, cfg) : XDP_R_OTHER_PORT;
	}
	if (r == XG_CONTINUE && cfg)
		r = xg_judge(&p, cfg);
	idx = r < 0 || r >= XDP_R_NR ? XDP_R_MALFORMED : r;
	ctr = bpf_map_lookup_elem(&xg_stats, &idx);
	if (ctr)
		/* Per CPU and XDP runs with bottom halves off (native and generic): no atomic. */
		*ctr += 1;
	return idx < XDP_R_FIRST_DROP ? XDP_PASS : XDP_DROP;
}
