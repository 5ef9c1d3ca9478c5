/* SPDX-License-Identifier: MIT */
/* sdnotify: systemd's notification protocol, client side. Why not libsystemd: sdnotify.h. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

/* One datagram; systemd takes up to 4096 bytes, ours are a few short lines. */
#define SDNOTIFY_MAX 1024

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

uint64_t sdnotify_watchdog_parse(const char *usec, const char *pid, pid_t self)
{
	uint64_t us, p;

	if (parse_u64(usec, &us) < 0 || us == 0)
		return 0;
	/* WATCHDOG_PID is optional (old systemd); when present it must be us. */
	if (pid && (parse_u64(pid, &p) < 0 || p != (uint64_t)self))
		return 0;
	return us;
}

int sdnotify_open(struct sdnotify *n, const char *path)
{
	size_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (!path || !*path)
		return 0;
	if (path[0] != '/' && path[0] != '@')
		return strncmp(path, "vsock:", 6) ? -EINVAL : -EAFNOSUPPORT;
	len = strlen(path);
	if (len < 2 || len > sizeof(n->addr.sun_path))
		return -EINVAL;
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	/* Abstract namespace: a leading NUL and no terminating one; the length says where the
	 * name ends. A path socket's length includes its NUL when it fits. */
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0';
	else if (len < sizeof(n->addr.sun_path))
		len++;
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	return n->fd < 0 ? -errno : 0;
}

int sdnotify_init(struct sdnotify *n)
{
	int ret = sdnotify_open(n, getenv("NOTIFY_SOCKET"));

	if (ret < 0 || n->fd < 0)
		return ret;
	n->watchdog_usec =
	    sdnotify_watchdog_parse(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid());
	return 0;
}

int sdnotify_send(struct sdnotify *n, const char *fmt, ...)
{
	char buf[SDNOTIFY_MAX];
	va_list ap;
	int len;

	if (n->fd < 0)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -EMSGSIZE;
	/* The kernel attaches our credentials when the manager asks (SO_PASSCRED): that is how
	 * systemd checks NotifyAccess=main. */
	if (sendto(n->fd, buf, (size_t)len, MSG_NOSIGNAL, (const struct sockaddr *)&n->addr,
		   n->addr_len) < 0)
		return -errno;
	return 0;
}

int64_t sdnotify_watchdog_period_ms(const struct sdnotify *n)
{
	int64_t ms;

	if (n->fd < 0 || !n->watchdog_usec)
		return 0;
	ms = (int64_t)(n->watchdog_usec / 2000);
	return ms > 0 ? ms : 1;
}

static void watchdog_tick(struct loop *l, struct loop_timer *t)
{
	struct sdnotify *n = t->ctx;
	int64_t period = sdnotify_watchdog_period_ms(n), next = t->when + period;

	/* A lost ping (full queue) is made up by the next one, half an interval later. The pace
	 * is kept from the schedule, not from when this ran, so lateness does not add up; after a
	 * stall longer than a period, one ping now and the next a period later (no burst). */
	sdnotify_send(n, "WATCHDOG=1");
	if (next <= loop_now(l))
		next = loop_now(l) + period;
	loop_timer_set(l, t, next);
}

int sdnotify_watchdog_start(struct sdnotify *n, struct loop *l)
{
	int64_t period = sdnotify_watchdog_period_ms(n);

	if (!period)
		return 0;
	n->loop = l;
	loop_timer_init(&n->wd, watchdog_tick, n);
	/* The first ping now: the interval runs from READY=1, which the caller just sent. */
	return loop_timer_set(l, &n->wd, loop_now(l));
}

void sdnotify_fini(struct sdnotify *n)
{
	if (n->loop)
		loop_timer_cancel(n->loop, &n->wd);
	n->loop = NULL;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
