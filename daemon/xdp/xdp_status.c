/* SPDX-License-Identifier: MIT */
/*
 * xdp_status: `mqttgwd --xdp-status`, read from the pins a running daemon keeps (part of the
 * xdp_guard module: it includes libbpf; see daemon/xdp/xdp_int.h for the pins and how the
 * reader knows their daemon is alive).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mqttgw/xdp_abi.h"
#include "xdp_guard.h"
#include "xdp_int.h"

static int pin_open(const char *dir, const char *name)
{
	LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = BPF_F_RDONLY);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get_opts(path, &o);
	return fd < 0 ? -errno : fd;
}

/* Packets per reason, summed over CPUs, from the pinned per-CPU array. */
static int stats_read(int fd, uint64_t out[XDP_R_NR])
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *v;

	if (ncpus <= 0)
		return -EINVAL;
	v = calloc((size_t)ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < XDP_R_NR; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, v)) {
			free(v);
			return -errno;
		}
		for (int c = 0; c < ncpus; c++)
			out[k] += v[c];
	}
	free(v);
	return 0;
}

/* Bans in the pinned map, and how many of them still drop at now_ns. */
static void bans_read(int fd, uint64_t now_ns, unsigned int *all, unsigned int *active)
{
	struct xdp_addr key, next;
	struct xdp_ban ban;

	*all = *active = 0;
	while (!bpf_map_get_next_key(fd, *all ? &key : NULL, &next)) {
		key = next;
		(*all)++;
		if (!bpf_map_lookup_elem(fd, &key, &ban) && ban.expires_ns > now_ns)
			(*active)++;
	}
}

int xdp_guard_status_print(const char *pin_dir, bool json, FILE *out)
{
	struct xdp_meta m;
	uint64_t pkts[XDP_R_NR];
	unsigned int bans = 0, active = 0;
	uint32_t zero = 0;
	int mfd, sfd, bfd, pfd, r;
	uint64_t rate;

	mfd = pin_open(pin_dir, XDP_PIN_META);
	if (mfd < 0) {
		fprintf(out, "mqttgwd XDP guard: not found: no status pinned in %s (%s)\n", pin_dir,
			strerror(-mfd));
		return mfd;
	}
	r = bpf_map_lookup_elem(mfd, &zero, &m) ? -errno : 0;
	close(mfd);
	if (!r && m.magic != XDP_META_MAGIC)
		r = -EPROTO;
	if (r) {
		fprintf(out, "mqttgwd XDP guard: cannot read the status in %s: %s\n", pin_dir,
			strerror(-r));
		return r;
	}
	pfd = bpf_prog_get_fd_by_id(m.prog_id);
	if (pfd < 0) {
		fprintf(out,
			"mqttgwd XDP guard: not found: the status in %s is stale (pid %u is "
			"gone)\n",
			pin_dir, m.pid);
		return -ESRCH;
	}
	close(pfd);
	sfd = pin_open(pin_dir, XDP_PIN_STATS);
	r = sfd < 0 ? sfd : stats_read(sfd, pkts);
	if (sfd >= 0)
		close(sfd);
	if (r) {
		fprintf(out, "mqttgwd XDP guard: cannot read the counters in %s: %s\n", pin_dir,
			strerror(-r));
		return r;
	}
	bfd = pin_open(pin_dir, XDP_PIN_BANS);
	if (bfd >= 0) {
		bans_read(bfd, xdp_guard_now_ns(), &bans, &active);
		close(bfd);
	}
	rate = m.syn_interval_ns ? 1000000000ull / m.syn_interval_ns : 0;
	if (json) {
		fprintf(out, "{\"state\":\"active\",\"pid\":%u,\"prog_id\":%u,\"interfaces\":[",
			m.pid, m.prog_id);
	} else {
		fprintf(out, "mqttgwd XDP guard: pid %u, program %u, pins in %s\n", m.pid,
			m.prog_id, pin_dir);
		fprintf(out, "interfaces:");
	}
	for (uint32_t i = 0; i < m.n_ifaces && i < XDP_META_IFACES; i++) {
		const struct xdp_meta_iface *f = &m.ifaces[i];
		bool here = (int)if_nametoindex(f->name) == f->ifindex;

		f = &m.ifaces[i];
		if (json)
			fprintf(out,
				"%s{\"name\":\"%s\",\"ifindex\":%d,\"mode\":\"%s\","
				"\"present\":%s}",
				i ? "," : "", f->name, f->ifindex,
				xdp_guard_mode_name((enum xdp_guard_mode)f->mode),
				here ? "true" : "false");
		else
			fprintf(out, " %s (ifindex %d, %s%s)", f->name, f->ifindex,
				xdp_guard_mode_name((enum xdp_guard_mode)f->mode),
				here ? "" : ", gone");
	}
	if (json)
		fprintf(out, "],\"syn_rate\":%llu,\"bans\":%u,\"bans_active\":%u,\"packets\":{",
			(unsigned long long)rate, bans, active);
	else
		fprintf(out, "%s\nsyn_rate: %llu/s per source\nbans: %u (%u active)\npackets:",
			m.n_ifaces ? "" : " none", (unsigned long long)rate, bans, active);
	for (unsigned int i = 0; i < XDP_R_NR; i++)
		fprintf(out, json ? "%s\"%s\":%llu" : "%s %s %llu", json && i ? "," : "",
			xdp_guard_reason_name(i), (unsigned long long)pkts[i]);
	fputs(json ? "}}\n" : "\n", out);
	return 0;
}
