/* SPDX-License-Identifier: MIT */
/* broker_connect: the steps of a CONNECT, run in order by broker.c (see broker_connect.c). */
#ifndef MQTTGW_BROKER_CONNECT_H
#define MQTTGW_BROKER_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker_client.h"

/* Decode the CONNECT in buf into pkt (views into buf) and take the protocol version and client
 * id (assigned: made up by us for an empty one). 0, or -1 (refused or to be closed). */
int broker_connect_decode(struct client *c, const uint8_t *buf, size_t len, struct mqtt_packet *pkt,
			  bool *assigned);
/* The user name: the client certificate's on listeners that say so (1: the certificate is the
 * credential), else the CONNECT's (0). -1: refused. */
int broker_connect_username(struct client *c, const struct mqtt_connect *cn);
/* Authenticate (a password check unless preauth; the will topic's write ACL) and accept:
 * keepalive, will, v5 limits, session attach or take-over, CONNACK (auth_data: enhanced
 * authentication's last message, for its Authentication Data). 0, or -1 (refused). */
int broker_connect_accept(struct client *c, const struct mqtt_connect *cn, bool assigned,
			  bool preauth, const uint8_t *auth_data, size_t auth_len);
/* The password check, on the worker pool when there is a hash to compute (broker_auth.c), then
 * broker_connect_accept. buf: the whole CONNECT (copied for the job). 0, -1 as accept, or
 * CLIENT_HOLD: the check runs; c is not read until it ends (client_hold_release). */
int broker_connect_check(struct client *c, const struct mqtt_connect *cn, const uint8_t *buf,
			 size_t len, bool assigned, bool preauth);
/* Finish a CONNECT (buf: the packet again) whose enhanced authentication succeeded. 0/-1. */
int broker_connect_resume(struct client *c, const uint8_t *buf, size_t len, bool assigned,
			  const uint8_t *auth_data, size_t auth_len);

#endif /* MQTTGW_BROKER_CONNECT_H */
