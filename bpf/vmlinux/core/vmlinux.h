/* SPDX-License-Identifier: MIT */
/*
 * A minimal, architecture-neutral stand-in for vmlinux.h: what the programs in bpf/ use, and
 * nothing else. Used for every architecture without a full dump in bpf/vmlinux/<arch>/ (arm64
 * today).
 *
 * Why not a per-architecture `bpftool btf dump` as for x86: there is no arm64 kernel (or its
 * BTF) on the build machines, and the programs need no architecture-specific type. They are
 * sk_skb and XDP programs: their context (__sk_buff, xdp_md), the map and attach enums and the
 * packet headers are UAPI, the same on every architecture, taken from the kernel's own UAPI
 * headers. The two kernel-internal structs the fast path reads (sk_buff's cb and sk,
 * tcp_sock's copied_seq) are declared with preserve_access_index and only those fields: libbpf
 * relocates each access by field name against the running kernel's BTF (CO-RE), so their real
 * layout, which differs by architecture and kernel config, never matters here. The x86 build
 * loads with this header too (tests/integration/t_bpf_core_header.sh).
 */
#ifndef MQTTGW_VMLINUX_CORE_H
#define MQTTGW_VMLINUX_CORE_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
/* as the kernel's own types, which vmlinux.h carries */
typedef _Bool bool;
enum { false = 0, true = 1 };

/* Wire formats the kernel keeps out of UAPI (include/linux/if_vlan.h, include/net/ipv6.h). */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/* Kernel memory, read through CO-RE: only the fields used, relocated by name at load. */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
struct sock;

struct sk_buff {
	struct sock *sk;
	char cb[48];
};

struct tcp_sock {
	__u32 copied_seq;
};
#pragma clang attribute pop

#endif /* MQTTGW_VMLINUX_CORE_H */
