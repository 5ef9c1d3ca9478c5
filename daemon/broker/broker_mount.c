/* SPDX-License-Identifier: MIT */
/* broker_mount: per-listener mount_point (see broker_mount.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_mount.h"

static const char *mount_of(const struct client *c)
{
	const char *m = client_listener(c) ? client_listener(c)->mount_point : NULL;

	return m && *m ? m : NULL;
}

bool broker_mount_of(const struct client *c)
{
	return mount_of(c) != NULL;
}

bool broker_mount_any(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_listeners; i++)
		if (cfg->listeners[i].mount_point && *cfg->listeners[i].mount_point)
			return true;
	return false;
}

int broker_mount_add(struct client *c, const char **t, uint16_t *len, char **heap)
{
	const char *m = mount_of(c);
	const char *rest = *t;
	size_t mlen, head = 0, n;
	char *s;

	*heap = NULL;
	if (!m)
		return 0;
	/* $share/<group>/ stays in front: the group is the broker's, the filter the client's */
	if (topic_share_split(*t, *len, NULL, NULL, &rest, NULL))
		head = (size_t)(rest - *t);
	mlen = strlen(m);
	n = *len + mlen;
	if (n > UINT16_MAX) {
		client_close(c, MQTT_RC_TOPIC_NAME_INVALID, "topic too long under mount_point");
		return -1;
	}
	s = malloc(n + 1);
	if (!s) {
		client_close(c, MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
		return -1;
	}
	memcpy(s, *t, head);
	memcpy(s + head, m, mlen);
	memcpy(s + head + mlen, *t + head, *len - head);
	s[n] = '\0';
	*heap = s;
	*t = s;
	*len = (uint16_t)n;
	return 0;
}

bool broker_mount_strip(const struct client *c, const char **t, uint16_t *len)
{
	const char *m = mount_of(c);
	size_t mlen;

	if (!m)
		return true;
	mlen = strlen(m);
	if (*len <= mlen || memcmp(*t, m, mlen))
		return false;
	*t += mlen;
	*len = (uint16_t)(*len - mlen);
	return true;
}
