/* SPDX-License-Identifier: MIT */
/*
 * xdp_parse: the pure half of the xdp_guard module (include/xdp_guard.h): CIDR and mode
 * parsing and the names of modes and reasons. No BPF, no syscalls: the config parser and
 * builds without BPF use it too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mqttgw/xdp_abi.h"
#include "xdp_parse.h"

int xdp_guard_parse_cidr(const char *s, struct xdp_guard_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned int max, i, bits;
	unsigned long pfx;
	size_t len = strlen(s);

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	memset(out, 0, sizeof(*out));
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	pfx = max;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		pfx = strtoul(slash + 1, &end, 10);
		if (errno || *end || pfx > max)
			return -EINVAL;
	}
	out->prefix = (uint8_t)pfx;
	/* Host bits set: the rule would not mean what it says. */
	for (i = 0; i < max / 8; i++) {
		bits = i * 8 >= pfx ? 8 : (pfx - i * 8 >= 8 ? 0 : 8 - (pfx - i * 8));
		if (out->addr[i] & ((1u << bits) - 1))
			return -EINVAL;
	}
	return 0;
}

static const char *const xg_mode_names[] = {
    [XDP_GUARD_AUTO] = "auto",
    [XDP_GUARD_NATIVE] = "native",
    [XDP_GUARD_GENERIC] = "generic",
};

int xdp_guard_parse_mode(const char *s, enum xdp_guard_mode *mode)
{
	unsigned int i;

	for (i = 0; i < sizeof(xg_mode_names) / sizeof(xg_mode_names[0]); i++) {
		if (!strcmp(s, xg_mode_names[i])) {
			*mode = (enum xdp_guard_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *xdp_guard_mode_name(enum xdp_guard_mode mode)
{
	return (unsigned int)mode < sizeof(xg_mode_names) / sizeof(xg_mode_names[0])
		   ? xg_mode_names[mode]
		   : "?";
}

static const char *const xg_reason_names[XDP_R_NR] = {
    [XDP_R_NOT_IP] = "not_ip",	       [XDP_R_NOT_TCP] = "not_tcp",
    [XDP_R_OTHER_PORT] = "other_port", [XDP_R_FRAGMENT] = "fragment",
    [XDP_R_UNPARSED] = "unparsed",     [XDP_R_ALLOWED] = "allowed",
    [XDP_R_PASSED] = "passed",	       [XDP_R_DENIED] = "denied",
    [XDP_R_BANNED] = "banned",	       [XDP_R_SYN_LIMITED] = "syn_limited",
    [XDP_R_MALFORMED] = "malformed",
};

const char *xdp_guard_reason_name(unsigned int reason)
{
	return reason < XDP_R_NR ? xg_reason_names[reason] : "?";
}
