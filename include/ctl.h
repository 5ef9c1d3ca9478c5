/* SPDX-License-Identifier: MIT */
/*
 * ctl: the control socket (L1) that mqttgwctl talks to. Owns one listening UNIX stream socket
 * (`control_socket PATH`; nothing on TCP) and its connections, served from the event loop,
 * never blocking: a bounded request buffer, a bounded output buffer per connection, a limit on
 * connections and a deadline for the request. It knows the wire format (include/ctlproto.h),
 * not what a command means: each parsed request goes up to ops->request, whose handler (the
 * broker's broker_ctl.c) answers with ctl_reply and ctl_end, or makes the connection a tap
 * with ctl_tap and feeds it with ctl_tap_send.
 *
 * Slow readers: an answer larger than CTL_MAX_OUT is cut (the handler builds it with that
 * limit); a tap's lines beyond CTL_TAP_MAX_OUT pending bytes are dropped and counted, and the
 * count is sent as `{"dropped":N}` once the reader catches up. Nothing is buffered without
 * bound, and the loop never waits for a control client.
 */
#ifndef MQTTGW_CTL_H
#define MQTTGW_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctlproto.h"
#include "loop.h"

#define CTL_MAX_CONNS	16
#define CTL_MAX_OUT	(8u << 20)   /* one answer */
#define CTL_TAP_MAX_OUT (256u << 10) /* a tap's pending lines */
#define CTL_REQUEST_MS	10000	     /* a connection has this long to send its request */

struct ctl;
struct ctl_conn;

struct ctl_ops {
	/* One request per connection; req's words live until this returns. The handler must
	 * call ctl_end (after ctl_reply) or ctl_tap before it returns. */
	void (*request)(void *ctx, struct ctl_conn *cc, const struct ctlp_req *req);
	/* A tap's connection is gone (the reader closed it, or ctl_free): forget cc. */
	void (*tap_closed)(void *ctx, struct ctl_conn *cc);
};

struct ctl_opts {
	const char *path;
	mode_t mode;
	uid_t uid; /* chown to uid/gid when do_chown (before the privilege drop) */
	gid_t gid;
	bool do_chown;
	bool chown_optional; /* a chown refused (EPERM: no CAP_CHOWN) leaves the owner as is */
};

/*
 * Bind and listen on o->path with o->mode (and owner): a stale socket file left by a daemon
 * that is gone is replaced; a live one (another daemon answers) is an error, as is any other
 * file there. ops/ctx are borrowed. NULL with errno and a message in err.
 */
struct ctl *ctl_new(struct loop *l, const struct ctl_opts *o, const struct ctl_ops *ops, void *ctx,
		    char *err, size_t errlen);
/* Close every connection (taps get tap_closed) and the socket, and remove the path. */
void ctl_free(struct ctl *c);

/* Queue bytes (whole JSON lines) for cc; they are written at the end of this loop iteration. */
void ctl_reply(struct ctl_conn *cc, const char *s, size_t n);
/* Close cc once what is queued is written (or the peer goes). */
void ctl_end(struct ctl_conn *cc);
/* Make cc a tap (tag: the handler's, e.g. its filter); it stays open until the reader closes. */
void ctl_tap(struct ctl_conn *cc, void *tag);
void *ctl_tap_tag(const struct ctl_conn *cc);
/* Queue one line for a tap: false when it was dropped (the reader is CTL_TAP_MAX_OUT behind). */
bool ctl_tap_send(struct ctl_conn *cc, const char *s, size_t n);
/* Lines dropped for cc so far, and the process-wide total (for status). */
uint64_t ctl_tap_dropped(const struct ctl_conn *cc);
uint64_t ctl_tap_dropped_total(const struct ctl *c);
/* Open control connections now, and refused for CTL_MAX_CONNS since the start. */
unsigned ctl_conns(const struct ctl *c);
uint64_t ctl_refused(const struct ctl *c);

#endif /* MQTTGW_CTL_H */
