/* SPDX-License-Identifier: MIT */
/*
 * xdp_guard_stub: the XDP guard in a build without BPF (FASTPATH=0). The probe says why;
 * every other call returns -ENOTSUP. The pure half (daemon/xdp/xdp_parse.c) is linked as
 * usual, so the config still parses and checks xdp_* keys.
 */
#include <errno.h>
#include <stdio.h>

#include "clock.h"
#include "xdp_guard.h"

const char *xdp_guard_probe(char *buf, size_t len)
{
	snprintf(buf, len, "mqttgwd was built without BPF (FASTPATH=0)");
	return buf;
}

int xdp_guard_new(struct xdp_guard **out, const struct xdp_guard_opts *opts, char *err,
		  size_t errlen)
{
	(void)opts;
	*out = NULL;
	xdp_guard_probe(err, errlen);
	return -ENOTSUP;
}

int xdp_guard_open(struct xdp_guard **out, const struct xdp_guard_opts *opts, char *err,
		   size_t errlen)
{
	return xdp_guard_new(out, opts, err, errlen);
}

int xdp_guard_load(struct xdp_guard *g, char *err, size_t errlen)
{
	(void)g;
	xdp_guard_probe(err, errlen);
	return -ENOTSUP;
}

int xdp_guard_finish(struct xdp_guard *g, const struct xdp_guard_opts *opts, char *err,
		     size_t errlen)
{
	(void)g, (void)opts;
	xdp_guard_probe(err, errlen);
	return -ENOTSUP;
}

void xdp_guard_print_hold(bool on)
{
	(void)on;
}

void xdp_guard_free(struct xdp_guard *g)
{
	(void)g;
}

int xdp_guard_prog_fd(const struct xdp_guard *g)
{
	(void)g;
	return -ENOTSUP;
}

int xdp_guard_set_ports(struct xdp_guard *g, const uint16_t *ports, size_t nports)
{
	(void)g, (void)ports, (void)nports;
	return -ENOTSUP;
}

int xdp_guard_set_syn_rate(struct xdp_guard *g, uint32_t rate, uint32_t burst)
{
	(void)g, (void)rate, (void)burst;
	return -ENOTSUP;
}

int xdp_guard_attach(struct xdp_guard *g, const char *ifname, enum xdp_guard_mode mode,
		     enum xdp_guard_mode *took)
{
	(void)g, (void)ifname, (void)mode, (void)took;
	return -ENOTSUP;
}

int xdp_guard_detach(struct xdp_guard *g, const char *ifname)
{
	(void)g, (void)ifname;
	return -ENOTSUP;
}

int xdp_guard_cidr_add(struct xdp_guard *g, enum xdp_guard_list list,
		       const struct xdp_guard_cidr *c)
{
	(void)g, (void)list, (void)c;
	return -ENOTSUP;
}

int xdp_guard_cidr_del(struct xdp_guard *g, enum xdp_guard_list list,
		       const struct xdp_guard_cidr *c)
{
	(void)g, (void)list, (void)c;
	return -ENOTSUP;
}

int xdp_guard_cidr_clear(struct xdp_guard *g, enum xdp_guard_list list)
{
	(void)g, (void)list;
	return -ENOTSUP;
}

int xdp_guard_ban(struct xdp_guard *g, const struct sockaddr *sa, uint64_t until_ns)
{
	(void)g, (void)sa, (void)until_ns;
	return -ENOTSUP;
}

bool xdp_guard_banned(struct xdp_guard *g, const struct sockaddr *sa, uint64_t now_ns)
{
	(void)g, (void)sa, (void)now_ns;
	return false;
}

int xdp_guard_unban(struct xdp_guard *g, const struct sockaddr *sa)
{
	(void)g, (void)sa;
	return -ENOTSUP;
}

int xdp_guard_expire(struct xdp_guard *g, uint64_t now_ns)
{
	(void)g, (void)now_ns;
	return -ENOTSUP;
}

int xdp_guard_ban_count(struct xdp_guard *g)
{
	(void)g;
	return -ENOTSUP;
}

uint64_t xdp_guard_now_ns(void)
{
	return clock_mono_ns();
}

int xdp_guard_counters(const struct xdp_guard *g, struct xdp_guard_counters *out)
{
	(void)g, (void)out;
	return -ENOTSUP;
}

int xdp_guard_status_print(const char *pin_dir, bool json, FILE *out)
{
	(void)pin_dir, (void)json;
	fprintf(out, "mqttgwd XDP guard: this mqttgwd was built without BPF (FASTPATH=0)\n");
	return -ENOTSUP;
}
