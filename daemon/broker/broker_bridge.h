/* SPDX-License-Identifier: MIT */
/* broker_bridge: the bridges (bridge.h) seen from the broker (see broker_bridge.c). */
#ifndef MQTTGW_BROKER_BRIDGE_H
#define MQTTGW_BROKER_BRIDGE_H

#include <stdbool.h>

#include "broker_core.h"

/* broker_publish()'s hook: hand p to every bridge with an out topic matching it, except the
 * bridge it came in through. true: a bridge took it (the message must stay off the kernel
 * fast path, which would bypass the daemon). */
bool broker_bridge_out(struct broker *b, struct pub *p);
/* $SYS/broker/bridges/NAME/...: each value through pub. */
void broker_bridge_sys(struct broker *b,
		       void (*pub)(struct broker *b, const char *topic, const char *value));

/* Each loop iteration, after the store's commit: upstream acks and out entries whose batch is
 * durable go out. Only with a store: broker_before_wait() tests b->store once for the commit
 * and this, so a broker without a store makes no call per iteration. */
void broker_bridges_durable(struct broker *b);
/* broker_free(): DISCONNECT and free every bridge (their durable queues stay in the store). */
void broker_bridges_free(struct broker *b);

#endif /* MQTTGW_BROKER_BRIDGE_H */
