/* SPDX-License-Identifier: MIT */
/*
 * store_record: encode/decode the session record blob (layout in store_record.h). Pure: the
 * store thread decodes what it loads from disk through here, so a damaged row is refused with
 * -EBADMSG instead of being trusted.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "store_record.h"

#define F_USERNAME	 0x01u
#define F_WILL		 0x02u
#define F_WILL_QOS_SHIFT 2
#define F_WILL_QOS_MASK	 0x0cu
#define F_WILL_RETAIN	 0x10u
#define F_KNOWN		 0x1fu

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

struct rd {
	const uint8_t *p, *end;
};

/* A minimal-length varint no larger than max: -EBADMSG otherwise. Minimal so that every value
 * has exactly one encoding (the round-trip property in the header). */
static int varint_get(struct rd *r, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;

	for (;;) {
		if (r->p == r->end || shift > 63)
			return -EBADMSG;
		uint8_t b = *r->p++;
		uint64_t bits = b & 0x7fu;

		if (shift == 63 && bits > 1)
			return -EBADMSG;
		v |= bits << shift;
		if (!(b & 0x80)) {
			if (b == 0 && shift)
				return -EBADMSG; /* trailing zero group: not minimal */
			break;
		}
		shift += 7;
	}
	if (v > max)
		return -EBADMSG;
	*out = v;
	return 0;
}

static int bytes_get(struct rd *r, uint64_t max, const uint8_t **p, uint64_t *len)
{
	if (varint_get(r, max, len))
		return -EBADMSG;
	if ((uint64_t)(r->end - r->p) < *len)
		return -EBADMSG;
	*p = *len ? r->p : NULL;
	r->p += *len;
	return 0;
}

static bool session_valid(const struct store_session *s)
{
	if (s->proto < 3 || s->proto > 5 || s->disconnect_ms < 0)
		return false;
	if (s->has_will && (s->will.qos > 2 || s->will.retain > 1 || !s->will.topic_len))
		return false;
	return true;
}

size_t store_record_session_size(const struct store_session *s)
{
	size_t n = 2 + varint_size(s->expiry_interval) + varint_size((uint64_t)s->disconnect_ms) +
		   varint_size(s->listener) + 1;

	if (s->username)
		n += varint_size(s->username_len) + s->username_len;
	if (s->has_will) {
		const struct store_will *w = &s->will;

		n += varint_size(w->delay) + varint_size(w->topic_len) + w->topic_len +
		     varint_size(w->props_len) + w->props_len + varint_size(w->payload_len) +
		     w->payload_len;
	}
	return n;
}

static uint8_t *bytes_put(uint8_t *p, const void *b, uint32_t len)
{
	p = varint_put(p, len);
	if (len)
		memcpy(p, b, len);
	return p + len;
}

int store_record_session_encode(const struct store_session *s, uint8_t *buf, size_t cap)
{
	size_t n = store_record_session_size(s);
	uint8_t flags = 0, *p = buf;

	if (!session_valid(s))
		return -EINVAL;
	if (n > cap)
		return -EMSGSIZE;
	if (s->username)
		flags |= F_USERNAME;
	if (s->has_will)
		flags |= F_WILL | (uint8_t)(s->will.qos << F_WILL_QOS_SHIFT) |
			 (s->will.retain ? F_WILL_RETAIN : 0);
	*p++ = STORE_RECORD_VERSION;
	*p++ = s->proto;
	p = varint_put(p, s->expiry_interval);
	p = varint_put(p, (uint64_t)s->disconnect_ms);
	p = varint_put(p, s->listener);
	*p++ = flags;
	if (s->username)
		p = bytes_put(p, s->username, s->username_len);
	if (s->has_will) {
		p = varint_put(p, s->will.delay);
		p = bytes_put(p, s->will.topic, s->will.topic_len);
		p = bytes_put(p, s->will.props, s->will.props_len);
		p = bytes_put(p, s->will.payload, s->will.payload_len);
	}
	return (int)(p - buf);
}

static int will_decode(struct rd *r, uint8_t flags, struct store_will *w)
{
	uint64_t v;

	w->qos = (flags & F_WILL_QOS_MASK) >> F_WILL_QOS_SHIFT;
	w->retain = !!(flags & F_WILL_RETAIN);
	if (w->qos > 2 || varint_get(r, UINT32_MAX, &v))
		return -EBADMSG;
	w->delay = (uint32_t)v;
	if (bytes_get(r, UINT16_MAX, &w->topic, &v) || !v)
		return -EBADMSG;
	w->topic_len = (uint16_t)v;
	if (bytes_get(r, UINT32_MAX, &w->props, &v))
		return -EBADMSG;
	w->props_len = (uint32_t)v;
	if (bytes_get(r, UINT32_MAX, &w->payload, &v))
		return -EBADMSG;
	w->payload_len = (uint32_t)v;
	return 0;
}

int store_record_session_decode(const uint8_t *buf, size_t len, struct store_session *s)
{
	struct rd r = {buf, buf + len};
	uint64_t v;
	uint8_t flags;

	if (len < 2 || buf[0] != STORE_RECORD_VERSION || buf[1] < 3 || buf[1] > 5)
		return -EBADMSG;
	s->proto = buf[1];
	r.p += 2;
	if (varint_get(&r, UINT32_MAX, &v))
		return -EBADMSG;
	s->expiry_interval = (uint32_t)v;
	if (varint_get(&r, INT64_MAX, &v))
		return -EBADMSG;
	s->disconnect_ms = (int64_t)v;
	if (varint_get(&r, UINT16_MAX, &v))
		return -EBADMSG;
	s->listener = (uint16_t)v;
	if (r.p == r.end)
		return -EBADMSG;
	flags = *r.p++;
	/* Will bits without a will would be dropped by a re-encode: not canonical. */
	if ((flags & ~F_KNOWN) ||
	    (!(flags & F_WILL) && (flags & (F_WILL_QOS_MASK | F_WILL_RETAIN))))
		return -EBADMSG;
	s->username = NULL;
	s->username_len = 0;
	if (flags & F_USERNAME) {
		const uint8_t *u;

		if (bytes_get(&r, UINT16_MAX, &u, &v))
			return -EBADMSG;
		/* an empty username is a username: keep a non-NULL pointer */
		s->username = u ? (const char *)u : (const char *)r.p;
		s->username_len = (uint16_t)v;
	}
	s->has_will = flags & F_WILL;
	memset(&s->will, 0, sizeof(s->will));
	if (s->has_will && will_decode(&r, flags, &s->will))
		return -EBADMSG;
	return r.p == r.end ? 0 : -EBADMSG;
}
