/* SPDX-License-Identifier: MIT */
/*
 * guard: the daemon's wiring of the XDP guard (L1 glue over xdp_guard, netlink, listener,
 * loop and the pure xdp_ban). It owns, for the life of the daemon:
 *   - the loaded guard, attached to every `xdp_interface` (and re-attached when one of them
 *     is deleted and created again: rtnetlink, within the loop iteration of the event);
 *   - the allow/deny lists and the SYN limit from the config, the guarded ports (the
 *     listeners' ports);
 *   - fail2ban: offences counted per source (xdp_ban), `ban_auth_failures` within
 *     `ban_window` -> banned at XDP for `ban_time`; expired bans deleted once a second;
 *   - the netlink watcher that also moves bind_interface listeners (listener_iface_changed).
 * Graceful absence: without XDP (no BPF, no capabilities, FASTPATH=0) or without any
 * xdp_interface the daemon runs unguarded after one log line; `xdp_required true` makes it a
 * start-up error instead.
 *
 * One guard per process: guard_offence() is a plain function so the broker's failure sites
 * (which have a peer, not a guard) can call it in one line; it does nothing without a guard
 * or with banning off. Call everything from the loop thread.
 */
#ifndef MQTTGW_GUARD_H
#define MQTTGW_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "loop.h"

struct guard;

enum guard_offence {
	GUARD_AUTH_FAILED = 0, /* bad user name or password, not authorised, SCRAM failure */
	GUARD_PROTOCOL,	       /* a protocol violation that closed the connection */
};

/*
 * Start what cfg asks for (borrowed: must outlive the guard). ports: the listeners' actual
 * TCP ports (copied). Returns 0 with *out set (a guard that may be inactive: see
 * guard_active), or -errno with the reason in err when xdp_required and the guard cannot
 * run (the probes, at once; -EINVAL: no xdp_interface). The program loads on a thread behind
 * the listeners (guard_loading); when that is done, on the loop, it is attached and ready(g,
 * ret, err) is called: ret 0, or -errno when xdp_required and it cannot run or attach
 * everywhere (-ENODEV: an interface does not exist): the caller stops the daemon then.
 */
int guard_new(struct guard **out, struct loop *l, const struct config *cfg, const uint16_t *ports,
	      size_t nports, void (*ready)(struct guard *g, int ret, const char *err), char *err,
	      size_t errlen);
/* The load still runs (ready() comes later). */
bool guard_loading(const struct guard *g);
/* Detach and unload (the pinned ban map keeps its bans), close the watcher. */
void guard_free(struct guard *g);
/* The XDP program is loaded (attached or waiting for an interface). */
bool guard_active(const struct guard *g);

/*
 * One offence of peer (AF_INET or AF_INET6, as accept() gave it). See the header comment.
 * true: peer is banned now (by this offence, or already: then it is not counted again), and
 * the caller may drop what else that address has under way.
 */
bool guard_offence(const struct sockaddr *peer, enum guard_offence kind);
/* The same for the peer of a connected socket (getpeername). */
bool guard_offence_fd(int fd, enum guard_offence kind);
/*
 * How suspect the peer of a connected socket is: its offences within ban_window
 * (ban_auth_failures when banned), 0 without banning. The broker queues the password checks
 * of suspect addresses behind the others' (workpool ranks).
 */
unsigned int guard_suspicion_fd(int fd);

/*
 * The guard's figures for $SYS: fn(ctx, "xdp/<name>", "<value>") for each packet counter
 * (xdp_guard_reason_name: passed, syn_limited, banned, ...), "xdp/bans" (bans in the map) and
 * "xdp/interfaces" (attached ones, space-separated). The caller prefixes "$SYS/broker/".
 * Nothing without an active guard. Returns how many were given, or -errno.
 */
int guard_sys_each(const struct guard *g,
		   void (*fn)(void *ctx, const char *name, const char *value), void *ctx);

#endif /* MQTTGW_GUARD_H */
