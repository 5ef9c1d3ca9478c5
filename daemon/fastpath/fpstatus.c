/* SPDX-License-Identifier: MIT */
/* fpstatus: the `mqttgwd --fastpath-status` report, text or JSON (see include/fpstatus.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fpstatus.h"

/* An append-only buffer: the first overflow sticks, the caller checks once at the end. */
struct out {
	char *buf;
	size_t len, pos;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->full = true;
		return;
	}
	o->pos += (size_t)n;
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void put_jstr(struct out *o, const char *s)
{
	put(o, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

int fpstatus_fraction(uint64_t kernel, uint64_t daemon, uint32_t *ppm)
{
	unsigned __int128 total = (unsigned __int128)kernel + daemon;

	if (!total)
		return -EDOM;
	*ppm = (uint32_t)(((unsigned __int128)kernel * 1000000u + total / 2) / total);
	return 0;
}

const char *fpstatus_reason_name(unsigned int reason)
{
	static const char *const names[FP_PASS_NR] = {
	    [FP_PASS_EMPTY] = "empty",
	    [FP_PASS_NO_SOCK] = "no_sock",
	    [FP_PASS_DISABLED] = "disabled",
	    [FP_PASS_MALFORMED] = "malformed",
	    [FP_PASS_SPLIT] = "split",
	    [FP_PASS_NOT_PUBLISH] = "not_publish",
	    [FP_PASS_QOS] = "qos",
	    [FP_PASS_RETAIN] = "retain",
	    [FP_PASS_TOPIC_LEN] = "topic_len",
	    [FP_PASS_PROPS] = "props",
	    [FP_PASS_NO_ROUTE] = "no_route",
	    [FP_PASS_MULTI_TARGET] = "multi_target",
	    [FP_PASS_TOO_LARGE] = "too_large",
	    [FP_PASS_PROTO] = "proto",
	    [FP_PASS_ORDER] = "order",
	    [FP_PASS_BUSY] = "busy",
	    [FP_PASS_BUDGET] = "budget",
	    [FP_PASS_NO_TARGET] = "no_target",
	};

	return reason < FP_PASS_NR && names[reason] ? names[reason] : "unknown";
}

static const char *state_name(enum fpstatus_state s)
{
	switch (s) {
	case FPSTATUS_ACTIVE:
		return "active";
	case FPSTATUS_ABSENT:
		return "absent";
	case FPSTATUS_STALE:
		return "stale";
	default:
		return "error";
	}
}

static const char *mode_name(uint32_t mode)
{
	return mode == FP_META_MODE_ON ? "on" : mode == FP_META_MODE_AUTO ? "auto" : "unknown";
}

/* The version field of a meta that came from another process: never trust its NUL. */
static void meta_version(const struct fp_meta *m, char *v, size_t len)
{
	size_t n = strnlen(m->version, sizeof(m->version));

	if (n >= len)
		n = len - 1;
	memcpy(v, m->version, n);
	v[n] = '\0';
}

static uint64_t uptime_s(const struct fpstatus *st)
{
	uint64_t t0 = st->meta.start_boot_ns;

	return st->now_boot_ns > t0 ? (st->now_boot_ns - t0) / 1000000000u : 0;
}

static uint64_t passed_sum(const struct fpstatus *st, unsigned int base)
{
	uint64_t s = 0;

	for (unsigned int i = 0; i < FP_PASS_NR; i++)
		s += st->ctr[base + i];
	return s;
}

static void format_json(struct out *o, const struct fpstatus *st)
{
	const struct fp_meta *m = &st->meta;
	const uint64_t *c = st->ctr;
	char ver[sizeof(m->version) + 1];
	uint32_t ppm;

	put(o, "{\"state\":\"%s\",\"pin_dir\":", state_name(st->state));
	put_jstr(o, st->pin_dir);
	if (st->state == FPSTATUS_ABSENT || st->state == FPSTATUS_ERROR) {
		put(o, ",\"detail\":");
		put_jstr(o, st->detail ? st->detail : "");
		put(o, "}\n");
		return;
	}
	meta_version(m, ver, sizeof(ver));
	put(o, ",\"pid\":%" PRIu32 ",\"version\":", m->pid);
	put_jstr(o, ver);
	put(o, ",\"mode\":\"%s\",\"started\":%" PRIu64, mode_name(m->mode),
	    (uint64_t)m->start_real);
	if (st->state == FPSTATUS_STALE) {
		put(o, "}\n");
		return;
	}
	put(o, ",\"uptime_s\":%" PRIu64 ",\"ports\":[", uptime_s(st));
	for (unsigned int i = 0; i < FP_META_PORTS && m->ports[i]; i++)
		put(o, "%s%u", i ? "," : "", m->ports[i]);
	put(o,
	    "],\"sockets\":%" PRIu32 ",\"routes\":%" PRIu32 ",\"flows_kernel\":%" PRIu32
	    ",\"flows_daemon\":%" PRIu32,
	    m->sockets, m->routes, m->flows_kernel, m->flows_daemon);
	put(o,
	    ",\"handovers_to_daemon\":%" PRIu64 ",\"handovers_to_kernel\":%" PRIu64
	    ",\"writes_held\":%" PRIu64,
	    (uint64_t)m->to_daemon, (uint64_t)m->to_kernel, (uint64_t)m->writes_held);
	put(o,
	    ",\"redirected_skbs\":%" PRIu64 ",\"redirected_frames\":%" PRIu64
	    ",\"redirected_bytes\":%" PRIu64 ",\"daemon_frames\":%" PRIu64,
	    c[FP_CTR_REDIR_SKBS], c[FP_CTR_REDIR_FRAMES], c[FP_CTR_REDIR_BYTES],
	    (uint64_t)m->daemon_frames);
	if (fpstatus_fraction(c[FP_CTR_REDIR_FRAMES], (uint64_t)m->daemon_frames, &ppm) == 0)
		put(o, ",\"in_kernel_fraction\":%" PRIu32 ".%06" PRIu32, ppm / 1000000,
		    ppm % 1000000);
	else
		put(o, ",\"in_kernel_fraction\":null");
	put(o,
	    ",\"over_budget_skbs\":%" PRIu64 ",\"duplicates_skbs\":%" PRIu64
	    ",\"duplicates_bytes\":%" PRIu64,
	    c[FP_CTR_OVER_BUDGET], c[FP_CTR_DUP_SKBS], c[FP_CTR_DUP_BYTES]);
	put(o,
	    ",\"passed_skbs\":%" PRIu64 ",\"passed_frames\":%" PRIu64 ",\"passed_bytes\":%" PRIu64
	    ",\"passed\":{",
	    passed_sum(st, FP_CTR_PASS_SKBS), passed_sum(st, FP_CTR_PASS_FRAMES),
	    passed_sum(st, FP_CTR_PASS_BYTES));
	for (unsigned int i = 0; i < FP_PASS_NR; i++)
		put(o,
		    "%s\"%s\":{\"skbs\":%" PRIu64 ",\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
		    i ? "," : "", fpstatus_reason_name(i), c[FP_CTR_PASS_SKBS + i],
		    c[FP_CTR_PASS_FRAMES + i], c[FP_CTR_PASS_BYTES + i]);
	put(o, "}}\n");
}

static void format_text(struct out *o, const struct fpstatus *st)
{
	const struct fp_meta *m = &st->meta;
	const uint64_t *c = st->ctr;
	char ver[sizeof(m->version) + 1];
	uint64_t up = uptime_s(st);
	uint32_t ppm;

	switch (st->state) {
	case FPSTATUS_ABSENT:
		put(o, "mqttgwd fast path: not found: %s\n", st->detail ? st->detail : "no pins");
		return;
	case FPSTATUS_ERROR:
		put(o, "mqttgwd fast path: cannot read the pins in %s: %s\n", st->pin_dir,
		    st->detail ? st->detail : "unknown error");
		return;
	case FPSTATUS_STALE:
		put(o,
		    "mqttgwd fast path: not found: stale pins in %s (pid %" PRIu32
		    " is not running any more); the next daemon start replaces them\n",
		    st->pin_dir, m->pid);
		return;
	case FPSTATUS_ACTIVE:
		break;
	}
	meta_version(m, ver, sizeof(ver));
	put(o, "mqttgwd fast path: active\n");
	put(o, "  pin dir      %s\n", st->pin_dir);
	put(o,
	    "  daemon       pid %" PRIu32 ", version %s, fastpath %s, up %" PRIu64 "d %02" PRIu64
	    ":%02" PRIu64 ":%02" PRIu64 "\n",
	    m->pid, ver, mode_name(m->mode), up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
	put(o, "  listeners   ");
	for (unsigned int i = 0; i < FP_META_PORTS && m->ports[i]; i++)
		put(o, " %u", m->ports[i]);
	if (m->n_listeners > FP_META_PORTS)
		put(o, " (+%" PRIu32 " more)", m->n_listeners - FP_META_PORTS);
	put(o, "\n");
	put(o, "  sockets      %" PRIu32 " in the fast path\n", m->sockets);
	put(o, "  routes       %" PRIu32 " cached\n", m->routes);
	put(o, "  flows        %" PRIu32 " on the kernel path, %" PRIu32 " on the daemon's path\n",
	    m->flows_kernel, m->flows_daemon);
	put(o, "  handovers    %" PRIu64 " to the daemon, %" PRIu64 " to the kernel\n",
	    (uint64_t)m->to_daemon, (uint64_t)m->to_kernel);
	put(o, "  redirected   %" PRIu64 " frames in %" PRIu64 " skbs, %" PRIu64 " bytes\n",
	    c[FP_CTR_REDIR_FRAMES], c[FP_CTR_REDIR_SKBS], c[FP_CTR_REDIR_BYTES]);
	if (fpstatus_fraction(c[FP_CTR_REDIR_FRAMES], (uint64_t)m->daemon_frames, &ppm) == 0)
		put(o, "  in kernel    %" PRIu32 ".%02" PRIu32 "%%", ppm / 10000, ppm / 100 % 100);
	else
		put(o, "  in kernel    n/a");
	put(o,
	    " of QoS 0 PUBLISH frames from fast-path sockets (%" PRIu64 " kernel, %" PRIu64
	    " daemon)\n",
	    c[FP_CTR_REDIR_FRAMES], (uint64_t)m->daemon_frames);
	put(o,
	    "  passed       %" PRIu64 " skbs, %" PRIu64 " frames, %" PRIu64
	    " bytes to the daemon\n",
	    passed_sum(st, FP_CTR_PASS_SKBS), passed_sum(st, FP_CTR_PASS_FRAMES),
	    passed_sum(st, FP_CTR_PASS_BYTES));
	for (unsigned int i = 0; i < FP_PASS_NR; i++) {
		if (!c[FP_CTR_PASS_SKBS + i])
			continue;
		put(o, "    %-12s %" PRIu64 " skbs, %" PRIu64 " frames, %" PRIu64 " bytes\n",
		    fpstatus_reason_name(i), c[FP_CTR_PASS_SKBS + i], c[FP_CTR_PASS_FRAMES + i],
		    c[FP_CTR_PASS_BYTES + i]);
	}
	put(o, "  over budget  %" PRIu64 " skbs\n", c[FP_CTR_OVER_BUDGET]);
	put(o, "  duplicates   %" PRIu64 " skbs, %" PRIu64 " bytes cut\n", c[FP_CTR_DUP_SKBS],
	    c[FP_CTR_DUP_BYTES]);
	put(o, "  writes held  %" PRIu64 "\n", (uint64_t)m->writes_held);
}

int fpstatus_format(const struct fpstatus *st, bool json, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (json)
		format_json(&o, st);
	else
		format_text(&o, st);
	if (o.full)
		return -ENOSPC;
	return (int)o.pos;
}
