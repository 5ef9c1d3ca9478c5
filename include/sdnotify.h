/* SPDX-License-Identifier: MIT */
/*
 * sdnotify: the client side of systemd's service notification protocol (sd_notify(3)), L1.
 *
 * The protocol is one datagram per notification ("KEY=VALUE" lines) sent to the AF_UNIX socket
 * named by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). It is written here
 * (1.7 KB of code) rather than linked from libsystemd: on Debian 12 libsystemd.so.0 (845 KB)
 * brings libgcrypt, libgpg-error, libzstd, liblzma, liblz4 and libcap, 3.5 MB of shared
 * libraries in all that mqttgwd does not load today, to a daemon of about 300 KB meant for
 * routers that often run no systemd at all, for one sendto().
 *
 * Everything is a no-op when the service manager did not ask for notifications, so the daemon
 * calls it unconditionally. The socket is non-blocking: the event loop never waits for the
 * service manager (a full queue loses one notification and returns -EAGAIN).
 */
#ifndef MQTTGW_SDNOTIFY_H
#define MQTTGW_SDNOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "loop.h"

struct sdnotify {
	int fd; /* -1: notifications off */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_usec; /* 0: no watchdog */
	struct loop *loop;	/* borrowed; set while the watchdog timer runs */
	struct loop_timer wd;
};

/*
 * Parse $WATCHDOG_USEC / $WATCHDOG_PID as the service manager sets them: the interval in
 * microseconds when the watchdog is meant for process `self`, else 0 (unset, malformed, zero,
 * or meant for another process, e.g. a parent that kept its environment). Pure.
 */
uint64_t sdnotify_watchdog_parse(const char *usec, const char *pid, pid_t self);

/*
 * Open a client of the notification socket `path` ("/abs/path" or "@abstract"); NULL or ""
 * leaves notifications off and returns 0. -EINVAL for a malformed or over-long address,
 * -EAFNOSUPPORT for a non-AF_UNIX one (systemd's "vsock:"), or socket()'s -errno.
 */
int sdnotify_open(struct sdnotify *n, const char *path);

/* sdnotify_open($NOTIFY_SOCKET) plus the watchdog interval from the environment. */
int sdnotify_init(struct sdnotify *n);

/* Send one notification (printf format, lines "KEY=VALUE\n"). 0, or -errno; 0 when off. */
int sdnotify_send(struct sdnotify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Start sending WATCHDOG=1 from a loop timer every half interval (sd_watchdog_enabled(3)'s
 * advice), so a stalled event loop is what the service manager sees as a hung daemon.
 * No-op without a watchdog. 0 or -errno.
 */
int sdnotify_watchdog_start(struct sdnotify *n, struct loop *l);

/* The watchdog period in ms (half the interval, at least 1), 0 without a watchdog. */
int64_t sdnotify_watchdog_period_ms(const struct sdnotify *n);

/* Stop the timer and close the socket. Safe on an unopened or closed struct. */
void sdnotify_fini(struct sdnotify *n);

#endif /* MQTTGW_SDNOTIFY_H */
