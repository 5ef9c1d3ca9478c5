/* SPDX-License-Identifier: MIT */
/* broker_will: the will of a CONNECT, published now or after its Will Delay Interval. */
#ifndef MQTTGW_BROKER_WILL_H
#define MQTTGW_BROKER_WILL_H

#include <stdint.h>

#include "broker_client.h"

/* The will message of cn (forwardable v5 will properties, message expiry); NULL when out of
 * memory or its properties do not fit. */
struct msg *broker_will_make(struct client *c, const struct mqtt_connect *cn);
/* Publish will (borrowed) as any message. */
void broker_will_publish(struct broker *b, struct msg *will);

/*
 * A will waiting for its Will Delay Interval [MQTT-3.1.3-9], embedded in its holder (the
 * offline session). It goes out when the delay runs out (then fired(w) tells the holder) or
 * when the holder calls broker_will_fire() (the session ends first); broker_will_drop()
 * discards it (the client reconnected in time).
 */
struct will_wait {
	struct broker *b;
	struct loop_timer timer;
	struct msg *will; /* NULL: none waiting */
	void (*fired)(struct will_wait *w);
};
/* Hold will (taken) for secs seconds. */
void broker_will_hold(struct broker *b, struct will_wait *w, struct msg *will, uint32_t secs,
		      void (*fired)(struct will_wait *w));
void broker_will_fire(struct will_wait *w);
void broker_will_drop(struct will_wait *w);

#endif /* MQTTGW_BROKER_WILL_H */
