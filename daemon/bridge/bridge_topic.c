/* SPDX-License-Identifier: MIT */
/*
 * bridge_topic: Mosquitto's topic remapping between the local and the remote broker (L0, pure).
 * A line `topic PATTERN DIR QOS LP RP` makes LP+PATTERN the local filter and RP+PATTERN the
 * remote one; a message matching one side's filter loses that side's prefix and gains the
 * other's (with an empty pattern the prefixes are whole topics: LP <-> RP).
 */
#include <errno.h>
#include <string.h>

#include "bridge.h"
#include "topic.h"

static int map(const struct config_bridge *c, uint8_t dir, const char *topic, size_t len, char *out,
	       size_t cap, uint8_t *qos)
{
	for (uint32_t i = 0; i < c->n_topics; i++) {
		const struct config_bridge_topic *t = &c->topics[i];
		const char *filter = dir == CONFIG_BRIDGE_OUT ? t->local_topic : t->remote_topic;
		const char *from = dir == CONFIG_BRIDGE_OUT ? t->local_prefix : t->remote_prefix;
		const char *to = dir == CONFIG_BRIDGE_OUT ? t->remote_prefix : t->local_prefix;
		size_t fl = from ? strlen(from) : 0, tl = to ? strlen(to) : 0;

		if (!(t->dir & dir) || !topic_matches(filter, strlen(filter), topic, len))
			continue;
		/* the filter starts with the prefix, so a match always carries it */
		if (fl > len || (fl && memcmp(topic, from, fl)))
			fl = 0;
		if (tl + len - fl > 65535 || tl + len - fl + 1 > cap)
			return -ENOSPC;
		if (tl)
			memcpy(out, to, tl);
		memcpy(out + tl, topic + fl, len - fl);
		out[tl + len - fl] = '\0';
		if (qos)
			*qos = t->qos;
		return (int)(tl + len - fl);
	}
	return -ENOENT;
}

int bridge_topic_out(const struct config_bridge *c, const char *topic, size_t len, char *out,
		     size_t cap, uint8_t *qos)
{
	return map(c, CONFIG_BRIDGE_OUT, topic, len, out, cap, qos);
}

int bridge_topic_in(const struct config_bridge *c, const char *topic, size_t len, char *out,
		    size_t cap, uint8_t *qos)
{
	return map(c, CONFIG_BRIDGE_IN, topic, len, out, cap, qos);
}
