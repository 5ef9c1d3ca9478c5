/* SPDX-License-Identifier: MIT */
/* broker_subscribe: SUBSCRIBE and UNSUBSCRIBE (see broker_subscribe.c). */
#ifndef MQTTGW_BROKER_SUBSCRIBE_H
#define MQTTGW_BROKER_SUBSCRIBE_H

#include "broker_client.h"

/* 0 or -1 (close c). */
int broker_handle_subscribe(struct client *c, struct mqtt_packet *pkt);
int broker_handle_unsubscribe(struct client *c, struct mqtt_packet *pkt);

#endif /* MQTTGW_BROKER_SUBSCRIBE_H */
