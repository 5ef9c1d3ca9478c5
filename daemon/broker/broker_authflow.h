/* SPDX-License-Identifier: MIT */
/* broker_authflow: MQTT 5 enhanced authentication with SCRAM-SHA-256 (broker_authflow.c). */
#ifndef MQTTGW_BROKER_AUTHFLOW_H
#define MQTTGW_BROKER_AUTHFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker_client.h"
#include "scram.h"

/* The exchange at CONNECT succeeded: what the CONNECT needs to go on (broker_connect_resume). */
struct authflow_done {
	uint8_t *connect; /* the CONNECT as received: taken by the caller (free) */
	size_t connect_len;
	bool assigned;		     /* its client identifier was assigned by us */
	uint8_t data[SCRAM_MSG_MAX]; /* server-final-message, for the CONNACK */
	size_t data_len;
};

/* CONNECT carried an Authentication Method: start the exchange (or refuse). 0 or -1. */
int broker_authflow_connect(struct client *c, const struct mqtt_connect *cn, const uint8_t *buf,
			    size_t len, bool assigned);
/* A packet while CLIENT_AUTH (only AUTH and DISCONNECT belong there): 1 with *done filled
 * when the client proved its password, or -1 (refused or closed). */
int broker_authflow_packet(struct client *c, const uint8_t *buf, size_t len,
			   struct authflow_done *done);
/* AUTH after CONNACK: re-authentication (4.12.1). 0 or -1. */
int broker_handle_auth(struct client *c, struct mqtt_packet *pkt);
/* Free the exchange in progress, if any (the client goes). */
void broker_authflow_free(struct client *c);

#endif /* MQTTGW_BROKER_AUTHFLOW_H */
