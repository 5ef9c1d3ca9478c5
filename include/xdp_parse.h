/* SPDX-License-Identifier: MIT */
/*
 * xdp_parse: the XDP guard's pure half (L0: no BPF, no syscalls): interface modes and CIDRs as
 * the configuration writes them. The config parser uses it to fail at file:line; the loader
 * (include/xdp_guard.h) takes what it produces.
 */
#ifndef MQTTGW_XDP_PARSE_H
#define MQTTGW_XDP_PARSE_H

#include <stdint.h>

enum xdp_guard_mode {
	XDP_GUARD_AUTO = 0, /* native, falling back to generic */
	XDP_GUARD_NATIVE,   /* the driver's XDP hook (XDP_FLAGS_DRV_MODE) */
	XDP_GUARD_GENERIC,  /* the stack's hook after skb allocation (XDP_FLAGS_SKB_MODE) */
};

enum xdp_guard_list {
	XDP_GUARD_ALLOW = 0,
	XDP_GUARD_DENY,
};

/* A parsed CIDR: family AF_INET (addr[0..3]) or AF_INET6, host bits cleared. */
struct xdp_guard_cidr {
	int family;
	uint8_t prefix;
	uint8_t addr[16];
};

/*
 * "10.0.0.0/8", "2001:db8::/32", or an address alone (/32, /128). Host bits must be zero
 * ("10.0.0.1/8" is -EINVAL: almost always a typo). Pure: usable by the config parser.
 */
int xdp_guard_parse_cidr(const char *s, struct xdp_guard_cidr *out);
/* "native", "generic", "auto" -> mode. 0 or -EINVAL. */
int xdp_guard_parse_mode(const char *s, enum xdp_guard_mode *mode);
const char *xdp_guard_mode_name(enum xdp_guard_mode mode);
/* Short name of a reason ("passed", "syn_limited", ...), for metrics and $SYS. */
const char *xdp_guard_reason_name(unsigned int reason);

#endif /* MQTTGW_XDP_PARSE_H */
