/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * xdp_guard_parse: the header stages of the guard, Ethernet -> VLAN -> IPv4/IPv6 -> TCP.
 * Each returns XG_CONTINUE when the next stage must look, or the packet's enum xdp_reason.
 *
 * The rule for what cannot be parsed: pass what the stack drops by itself (truncated or
 * invalid L2/L3 headers never reach a socket) or what provably is not TCP to our ports;
 * drop, as malformed, what could still reach our listener but cannot be judged (a TCP header
 * to our port that is cut or invalid, an IPv6 extension chain longer than we walk).
 */
#ifndef MQTTGW_XDP_GUARD_PARSE_H
#define MQTTGW_XDP_GUARD_PARSE_H

/* What the stages learn about one packet. */
struct xg_pkt {
	void *data;
	void *end;
	__u32 off;	     /* offset of the next header to parse */
	__u16 proto;	     /* L3 ethertype (host order), after the VLAN tags */
	__u8 first_frag;     /* a first fragment (more follow): its TCP header must be whole */
	__u8 syn;	     /* SYN without ACK: a connection attempt */
	struct xdp_addr src; /* source, IPv4 as v4-mapped IPv6 */
};

/*
 * Largest L3 header length we follow (IPv6 with its extension headers). The verifier needs a
 * bound on the variable packet offset; a longer chain is dropped like an overlong one.
 */
#define XG_L3_MAX 1024

static __always_inline int xg_parse_eth(struct xg_pkt *p)
{
	struct ethhdr *eth = p->data;
	struct vlan_hdr *vh;
	__u32 off = ETH_HLEN;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > p->end)
		return XDP_R_UNPARSED;
	proto = bpf_ntohs(eth->h_proto);
	/* Unrolled: the offsets stay constants for the verifier. */
#pragma unroll
	for (i = 0; i < XG_VLAN_MAX; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		vh = p->data + off;
		if ((void *)(vh + 1) > p->end)
			return XDP_R_UNPARSED;
		proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
		off += VLAN_HLEN;
	}
	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return XDP_R_NOT_IP;
	p->proto = proto;
	p->off = off;
	return XG_CONTINUE;
}

/* IPv4 with options (IHL). A non-first fragment carries no TCP header: it passes, and the
 * stack discards it when its first fragment was dropped here. */
static __always_inline int xg_parse_ipv4(struct xg_pkt *p)
{
	struct iphdr *ip = p->data + p->off;
	__u32 hl;
	__u16 frag;

	if (p->off > ETH_HLEN + XG_VLAN_MAX * VLAN_HLEN || (void *)(ip + 1) > p->end)
		return XDP_R_UNPARSED;
	hl = ip->ihl * 4;
	if (ip->version != 4 || hl < sizeof(*ip))
		return XDP_R_UNPARSED;
	if (ip->protocol != IPPROTO_TCP)
		return XDP_R_NOT_TCP;
	frag = bpf_ntohs(ip->frag_off);
	if (frag & IP_OFFSET)
		return XDP_R_FRAGMENT;
	p->first_frag = !!(frag & IP_MF);
	p->src.w[0] = 0;
	p->src.w[1] = 0;
	p->src.w[2] = bpf_htonl(0xffff);
	p->src.w[3] = ip->saddr;
	p->off += hl;
	return XG_CONTINUE;
}

/* The length of the extension header nh at oh (at least 8 bytes are there). */
static __always_inline __u32 xg_ext_len(__u8 nh, const struct ipv6_opt_hdr *oh)
{
	if (nh == NEXTHDR_FRAGMENT)
		return 8;
	if (nh == NEXTHDR_AUTH)
		return ((__u32)oh->hdrlen + 2) * 4;
	return ((__u32)oh->hdrlen + 1) * 8;
}

/* IPv6, walking at most XG_IPV6_EXT_MAX extension headers to the TCP header. */
static __always_inline int xg_parse_ipv6(struct xg_pkt *p)
{
	struct ipv6hdr *ip6 = p->data + p->off;
	struct ipv6_opt_hdr *oh;
	struct frag_hdr *fh;
	__u32 off;
	__u8 nh;
	int i;

	if (p->off > ETH_HLEN + XG_VLAN_MAX * VLAN_HLEN || (void *)(ip6 + 1) > p->end)
		return XDP_R_UNPARSED;
	if (ip6->version != 6)
		return XDP_R_UNPARSED;
	__builtin_memcpy(&p->src, &ip6->saddr, sizeof(p->src));
	nh = ip6->nexthdr;
	off = p->off + sizeof(*ip6);
	for (i = 0; i <= XG_IPV6_EXT_MAX; i++) {
		if (nh == IPPROTO_TCP) {
			p->off = off;
			return XG_CONTINUE;
		}
		if (nh != NEXTHDR_HOP && nh != NEXTHDR_ROUTING && nh != NEXTHDR_DEST &&
		    nh != NEXTHDR_AUTH && nh != NEXTHDR_FRAGMENT)
			return XDP_R_NOT_TCP; /* UDP, ICMPv6, ESP, no next header, ... */
		if (i == XG_IPV6_EXT_MAX || off > XG_L3_MAX)
			return XDP_R_MALFORMED;
		oh = p->data + off;
		/* Every extension header is at least 8 bytes long. */
		if ((void *)oh + 8 > p->end)
			return XDP_R_UNPARSED;
		if (nh == NEXTHDR_FRAGMENT) {
			fh = (void *)oh;
			if (bpf_ntohs(fh->frag_off) & ~7)
				return XDP_R_FRAGMENT;
			p->first_frag = !!(fh->frag_off & bpf_htons(1));
		}
		off += xg_ext_len(nh, oh);
		nh = oh->nexthdr;
	}
	return XDP_R_MALFORMED;
}

/*
 * The TCP header: the destination port decides whether the packet is ours at all. Ours with
 * a cut or invalid header is malformed; a first fragment must carry the whole header (the
 * tiny-fragment defence of RFC 1858: no later fragment may rewrite the flags we judged).
 */
static __always_inline int xg_parse_tcp(struct xg_pkt *p, const struct xdp_cfg *cfg)
{
	struct tcphdr *th;
	__u16 dport;
	__u8 flags;

	if (p->off > XG_L3_MAX + 64)
		return XDP_R_MALFORMED;
	th = p->data + p->off;
	if ((void *)th + 4 > p->end)
		return XDP_R_UNPARSED;
	dport = bpf_ntohs(th->dest);
	if (!(cfg->ports[dport >> 3] & (1u << (dport & 7))))
		return XDP_R_OTHER_PORT;
	if ((void *)(th + 1) > p->end || th->doff < 5 || (void *)th + th->doff * 4 > p->end)
		return XDP_R_MALFORMED;
	flags = ((__u8 *)th)[13];
	p->syn = (flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
	return XG_CONTINUE;
}

#endif /* MQTTGW_XDP_GUARD_PARSE_H */
