/* SPDX-License-Identifier: MIT */
/* topic_valid: topic name and filter rules, and matching one filter against one topic. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topic_int.h"

#define SHARE_PREFIX	 "$share/"
#define SHARE_PREFIX_LEN (sizeof(SHARE_PREFIX) - 1)

bool topic_name_valid(const char *s, size_t len)
{
	size_t i;

	if (!len || len > TOPIC_MAX_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '+' || s[i] == '#' || !s[i])
			return false;
	return true;
}

static bool filter_levels_valid(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		if (!s[i])
			return false;
		if (s[i] != '+' && s[i] != '#')
			continue;
		/* a wildcard fills its whole level [MQTT-4.7.1-2, 4.7.1-3]; '#' is last */
		if ((i > 0 && s[i - 1] != '/') || (i + 1 < len && s[i + 1] != '/'))
			return false;
		if (s[i] == '#' && i + 1 != len)
			return false;
	}
	return true;
}

bool topic_share_split(const char *s, size_t len, const char **group, size_t *group_len,
		       const char **rest, size_t *rest_len)
{
	const char *g = s + SHARE_PREFIX_LEN, *e;

	if (len < SHARE_PREFIX_LEN || memcmp(s, SHARE_PREFIX, SHARE_PREFIX_LEN))
		return false;
	e = memchr(g, '/', len - SHARE_PREFIX_LEN);
	/* callers that only ask "is it shared?" pass NULL for everything */
	if (group)
		*group = g;
	if (group_len)
		*group_len = e ? (size_t)(e - g) : len - SHARE_PREFIX_LEN;
	if (rest)
		*rest = e ? e + 1 : s + len;
	if (rest_len)
		*rest_len = e ? (size_t)(s + len - e - 1) : 0;
	return true;
}

bool topic_filter_valid(const char *s, size_t len)
{
	const char *g, *r;
	size_t glen, rlen, i;

	if (len > TOPIC_MAX_LEN)
		return false;
	if (!topic_share_split(s, len, &g, &glen, &r, &rlen))
		return filter_levels_valid(s, len);
	/* MQTT 5 §4.8.2: ShareName at least one character, no '/', '+' or '#' */
	if (!glen)
		return false;
	for (i = 0; i < glen; i++)
		if (g[i] == '+' || g[i] == '#' || !g[i])
			return false;
	return filter_levels_valid(r, rlen);
}

bool topic_filter_has_wildcard(const char *s, size_t len)
{
	const char *g, *r = s;
	size_t glen, rlen = len;

	topic_share_split(s, len, &g, &glen, &r, &rlen);
	return (rlen && memchr(r, '+', rlen)) || (rlen && memchr(r, '#', rlen));
}

bool topic_matches(const char *filter, size_t flen, const char *topic, size_t tlen)
{
	size_t f = 0, t = 0, fe, te;

	/* [MQTT-4.7.2-1]: wildcards at the first level do not match "$SYS/..." and the like */
	if (tlen && topic[0] == '$' && flen && (filter[0] == '+' || filter[0] == '#'))
		return false;
	/* f and t index the start of the current level; past the end means no level left */
	for (;;) {
		if (f > flen)
			return t > tlen;
		fe = topic_level_end(filter, flen, f);
		if (topic_is_wild(filter, f, fe, '#'))
			return true; /* also with no level left: "a/#" matches "a" */
		if (t > tlen)
			return false;
		te = topic_level_end(topic, tlen, t);
		if (!topic_is_wild(filter, f, fe, '+') &&
		    (fe - f != te - t || memcmp(filter + f, topic + t, fe - f)))
			return false;
		f = fe + 1;
		t = te + 1;
	}
}
