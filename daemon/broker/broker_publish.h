/* SPDX-License-Identifier: MIT */
/* broker_publish: PUBLISH and its acknowledgements (see broker_publish.c). */
#ifndef MQTTGW_BROKER_PUBLISH_H
#define MQTTGW_BROKER_PUBLISH_H

#include "broker_client.h"

/* 0, 1 (handled; a subscriber's queue is full: stop reading c), or -1 (close c). */
int broker_handle_publish(struct client *c, struct mqtt_packet *pkt);
/* PUBACK, PUBREC, PUBCOMP; PUBREL. 0 or -1 (close c). */
int broker_handle_ack(struct client *c, struct mqtt_packet *pkt);
int broker_handle_pubrel(struct client *c, struct mqtt_packet *pkt);

#endif /* MQTTGW_BROKER_PUBLISH_H */
