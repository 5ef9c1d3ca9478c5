/* SPDX-License-Identifier: MIT */
/*
 * xdp_guard: the XDP guard in front of the MQTT listeners (L1). The only module that includes
 * the xdp_guard skeleton (bpf/xdp_guard.bpf.c). One loaded program serves every guarded
 * interface; its maps (lists, bans, counters) are shared by all of them.
 *
 * What the program does with a packet: bpf/xdp_guard.bpf.c and bpf/xdp_guard_parse.h. In
 * short, only TCP to the guarded ports is judged: allowlist (passes at once) > denylist >
 * ban > per-source SYN rate (GCRA; IPv4 per address, IPv6 per /64); everything else passes
 * untouched. A non-first IP fragment passes (no TCP header; the stack drops it when its first
 * fragment was dropped here).
 *
 * Wiring (config keys -> calls), for the daemon:
 *   xdp_interface IFNAME [native|generic|auto]  xdp_guard_parse_mode(), then per interface
 *                                  xdp_guard_attach() (again on RTM_NEWLINK of that name:
 *                                  it re-attaches when the ifindex changed)
 *   xdp_syn_rate N [BURST]         xdp_guard_opts.syn_rate/.syn_burst, or on reload
 *                                  xdp_guard_set_syn_rate()
 *   xdp_allow CIDR / xdp_deny CIDR  xdp_guard_parse_cidr() at config parse (L0, no BPF), then
 *                                  xdp_guard_cidr_add(); on reload xdp_guard_cidr_clear() first
 *   xdp_required true|false        true: xdp_guard_new() failing, or an attach failing, is
 *                                  fatal; false: one log line and the daemon runs unguarded
 *   ban_auth_failures N, ban_window SECONDS, ban_time SECONDS
 *                                  the broker counts failures per peer and calls
 *                                  xdp_guard_ban(peer, now_mono_ns + ban_time * 1e9); a timer
 *                                  calls xdp_guard_expire(now) (e.g. once per second)
 *   listener ports                 xdp_guard_opts.ports, or xdp_guard_set_ports()
 *
 * Errors: 0 or -errno, logged once through log.h where the caller cannot know more (libbpf's
 * own messages one level lower). Not thread-safe: call from the loop.
 */
#ifndef MQTTGW_XDP_GUARD_H
#define MQTTGW_XDP_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "mqttgw/xdp_abi.h"
#include "xdp_parse.h"

struct xdp_guard;

/* Default pin directory of the ban map (shared with the fast path's status pins). */
#define XDP_GUARD_PIN_DIR "/sys/fs/bpf/mqttgw"

/*
 * Why the guard cannot run here (no capabilities, no XDP or map type in the kernel, a build
 * without BPF), written into buf; NULL when the probes pass. The daemon logs it in one line
 * and runs unguarded, unless xdp_required.
 */
const char *xdp_guard_probe(char *buf, size_t len);

struct xdp_guard_opts {
	const uint16_t *ports; /* guarded TCP ports, host order (borrowed) */
	size_t nports;
	uint32_t syn_rate;   /* SYNs per second per source; 0: no SYN limit */
	uint32_t syn_burst;  /* SYNs a source may send at once; 0: syn_rate (at least 1) */
	const char *pin_dir; /* ban map pin: NULL XDP_GUARD_PIN_DIR, "none" never pinned */
};

/*
 * Probe, open, load; reuse the pinned ban map (pin_dir/XDP_PIN_BANS) when it is there and
 * compatible, else pin a new one (an incompatible pin is replaced, its bans lost: logged).
 * A pin directory that is not on a bpffs, or a failed pin: one log line, bans then live as
 * long as the process. Returns 0 with *out set, or -errno with the reason in err.
 */
int xdp_guard_new(struct xdp_guard **out, const struct xdp_guard_opts *opts, char *err,
		  size_t errlen);
/*
 * xdp_guard_new in three steps, so that the load (BPF verification: most of a start's time)
 * can run on another thread behind the listeners (issue 15): open (probe, open, the pinned ban
 * map's reuse; logs), load (touches nothing but g and libbpf: any thread, with
 * bpf_util_print_hold), finish (fds, pins, config map; logs). After a failed load or finish
 * the caller frees g with xdp_guard_free.
 */
int xdp_guard_open(struct xdp_guard **out, const struct xdp_guard_opts *opts, char *err,
		   size_t errlen);
int xdp_guard_load(struct xdp_guard *g, char *err, size_t errlen);
int xdp_guard_finish(struct xdp_guard *g, const struct xdp_guard_opts *opts, char *err,
		     size_t errlen);
/* While a load runs on another thread: hold what libbpf says, logged at the release. */
void xdp_guard_print_hold(bool on);
/* Detach from every interface and unload. The pinned ban map stays (with its bans). */
void xdp_guard_free(struct xdp_guard *g);

/* The program's fd (borrowed, valid until xdp_guard_free()): for BPF_PROG_TEST_RUN fixtures. */
int xdp_guard_prog_fd(const struct xdp_guard *g);

/* Replace the guarded ports, and the SYN limit (rate 0: none; burst 0: = rate). 0/-errno. */
int xdp_guard_set_ports(struct xdp_guard *g, const uint16_t *ports, size_t nports);
int xdp_guard_set_syn_rate(struct xdp_guard *g, uint32_t rate, uint32_t burst);

/*
 * Attach to ifname (a bpf_link: it detaches when the daemon exits, even killed). auto tries
 * native and falls back to generic; *took (may be NULL) says which mode took. Attaching a
 * name already attached with the same ifindex is a no-op (0); with a new ifindex (the
 * interface was deleted and re-created) the old link is dropped and the program re-attached.
 * Returns 0, -ENODEV (no such interface), -EBUSY (another XDP program is there), -EOPNOTSUPP
 * (native mode unsupported by the driver), or -errno. Logs the outcome.
 */
int xdp_guard_attach(struct xdp_guard *g, const char *ifname, enum xdp_guard_mode mode,
		     enum xdp_guard_mode *took);
/* Detach from ifname. 0 or -ENOENT (not attached). */
int xdp_guard_detach(struct xdp_guard *g, const char *ifname);

/* Add / remove a CIDR of a list. 0, -ENOENT (del: not there), -ENOSPC (list full), -errno. */
int xdp_guard_cidr_add(struct xdp_guard *g, enum xdp_guard_list list,
		       const struct xdp_guard_cidr *c);
int xdp_guard_cidr_del(struct xdp_guard *g, enum xdp_guard_list list,
		       const struct xdp_guard_cidr *c);
/* Empty a list (both families), for a config reload. */
int xdp_guard_cidr_clear(struct xdp_guard *g, enum xdp_guard_list list);

/*
 * Ban the address of sa (AF_INET, or AF_INET6 incl. v4-mapped, as accept() reports it) until
 * until_ns, CLOCK_MONOTONIC (xdp_guard_now_ns()). A second ban of the same address replaces
 * the first. 0, -EAFNOSUPPORT, -ENOSPC (ban map full), -errno.
 */
int xdp_guard_ban(struct xdp_guard *g, const struct sockaddr *sa, uint64_t until_ns);
/* sa's address is banned at now_ns (a ban in the map that has not expired). */
bool xdp_guard_banned(struct xdp_guard *g, const struct sockaddr *sa, uint64_t now_ns);
/* 0 or -ENOENT. */
int xdp_guard_unban(struct xdp_guard *g, const struct sockaddr *sa);
/*
 * Delete the bans expired at now_ns (they already pass; this frees their entries). Returns
 * the number deleted, or -errno.
 */
int xdp_guard_expire(struct xdp_guard *g, uint64_t now_ns);
/* Bans in the map (expired ones included until xdp_guard_expire()), or -errno. */
int xdp_guard_ban_count(struct xdp_guard *g);
/* CLOCK_MONOTONIC in ns: the clock of ban expiries (bpf_ktime_get_ns()). */
uint64_t xdp_guard_now_ns(void);

/* Packets per reason, summed over CPUs, since the program was loaded. */
struct xdp_guard_counters {
	uint64_t pkts[XDP_R_NR];
};
int xdp_guard_counters(const struct xdp_guard *g, struct xdp_guard_counters *out);

/*
 * `mqttgwd --xdp-status`: the running daemon's guard as pinned in pin_dir (next to the ban
 * map: its program, attached interfaces, SYN limit, bans, packets per reason), as text or one
 * line of JSON. 0; -ENOENT (no pins), -ESRCH (stale pins: their daemon is gone), -errno
 * (unreadable), each with a line saying so; -ENOTSUP in a build without BPF.
 */
int xdp_guard_status_print(const char *pin_dir, bool json, FILE *out);

#endif /* MQTTGW_XDP_GUARD_H */
