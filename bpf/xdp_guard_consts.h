/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* xdp_guard_consts: wire constants (vmlinux.h has the structs, not the uapi macros) and the
 * parser's bounds. */
#ifndef MQTTGW_XDP_GUARD_CONSTS_H
#define MQTTGW_XDP_GUARD_CONSTS_H

#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100 /* VLAN tag (C-tag) */
#define ETH_P_8021AD 0x88A8 /* QinQ service tag (S-tag) */
#define ETH_HLEN     14
#define VLAN_HLEN    4

#define IP_MF	  0x2000
#define IP_OFFSET 0x1fff

/* IPv6 extension headers we walk (RFC 8200 section 4). */
#define NEXTHDR_HOP	 0
#define NEXTHDR_ROUTING	 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_ESP	 50
#define NEXTHDR_AUTH	 51
#define NEXTHDR_NONE	 59
#define NEXTHDR_DEST	 60

#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/* Tags parsed: one 802.1Q, or an 802.1ad S-tag plus its C-tag. A third tag is not ours to
 * judge (the stack needs three nested VLAN devices to deliver it). */
#define XG_VLAN_MAX 2

/*
 * IPv6 extension headers walked before giving up. Real traffic carries 0-3; a longer chain
 * could hide TCP to our port, and the stack would still deliver it, so past the bound the
 * packet is dropped as malformed (fail closed) rather than passed unjudged.
 */
#define XG_IPV6_EXT_MAX 8

/* Stage result: the packet needs the next stage. Any other value is its enum xdp_reason. */
#define XG_CONTINUE (-1)

#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))

#endif /* MQTTGW_XDP_GUARD_CONSTS_H */
