/* SPDX-License-Identifier: MIT */
/* broker_redirect: server redirection (MQTT 5 4.11); broker_redirect() is in broker.h. */
#ifndef MQTTGW_BROKER_REDIRECT_H
#define MQTTGW_BROKER_REDIRECT_H

#include <stdint.h>

#include "broker_client.h"

/* While redirection is configured, refuse a CONNECT (CONNACK 0x9C/0x9D with the Server
 * Reference, v3: CONNACK 3) and close: -1. 0 when not redirecting.
 * max_packet: the client's Maximum Packet Size (0 = none). */
int broker_redirect_connect(struct client *c, uint8_t version, uint32_t max_packet);

#endif /* MQTTGW_BROKER_REDIRECT_H */
