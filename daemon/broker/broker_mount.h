/* SPDX-License-Identifier: MIT */
/*
 * broker_mount: Mosquitto's per-listener `mount_point`, part of the floor. A client of a
 * mounted listener lives under the prefix: its topics and filters get the prefix on the way
 * in (PUBLISH topic, SUBSCRIBE/UNSUBSCRIBE filters, will topic), and lose it on the way out
 * (every PUBLISH encoded for it, retained ones included). Everything between (ACLs, retained
 * store, matching, $SYS) sees the full topic only.
 *
 * No way out: the prefix goes before the first level, so `#`, `+/x` and `$SYS/#` from such a
 * client match only topics under the prefix ("site1/$SYS/#" is an ordinary filter, not the
 * broker's $SYS). A shared subscription keeps working inside the mount:
 * `$share/g/f` becomes `$share/g/<mount>f` (Mosquitto prefixes the whole filter, which makes
 * it an ordinary filter with a literal "$share" level; ours is the same isolation, and the
 * subscription stays shared). A message outside the prefix (a session subscribed on another
 * listener and resumed on this one) is never delivered to such a client.
 */
#ifndef MQTTGW_BROKER_MOUNT_H
#define MQTTGW_BROKER_MOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "broker_client.h"

/* *t (a topic name or filter of *len bytes, already validated) as the broker sees it: with a
 * mount point, *t and *len are replaced by a new string held in *heap (free it); without one
 * nothing changes and *heap is NULL. 0, or -1 when c was closed (no memory, or the result
 * would be longer than an MQTT string). */
int broker_mount_add(struct client *c, const char **t, uint16_t *len, char **heap);
static inline int broker_mount_in(struct client *c, const char **t, uint16_t *len, char **heap)
{
	*heap = NULL;
	return c->b->mounted ? broker_mount_add(c, t, len, heap) : 0;
}

/* The topic c is sent for the full topic *t (*t and *len updated: a view into it). false: the
 * topic is not under c's mount point (or is the mount point itself): not for c. */
bool broker_mount_strip(const struct client *c, const char **t, uint16_t *len);
static inline bool broker_mount_out(const struct client *c, const char **t, uint16_t *len)
{
	return !c->b->mounted || broker_mount_strip(c, t, len);
}

/* c's listener has a mount point (its clients never join the kernel fast path: the kernel
 * relays a PUBLISH's bytes as they are, topic included). */
bool broker_mount_of(const struct client *c);
static inline bool broker_mount_is(const struct client *c)
{
	return c->b->mounted && broker_mount_of(c);
}

/* Whether any listener of cfg has a mount point (broker.mounted: the inline tests above, so a
 * broker without one pays a flag test per PUBLISH in and out, not a call). */
bool broker_mount_any(const struct config *cfg);

#endif /* MQTTGW_BROKER_MOUNT_H */
