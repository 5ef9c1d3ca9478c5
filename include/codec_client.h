/* SPDX-License-Identifier: MIT */
/*
 * codec_client: the client role of the MQTT codec (layer L0: pure), for the bridge.
 *
 * codec.h already encodes every packet a client sends (codec_encode_publish, _ack, _subscribe,
 * _simple, _disconnect) and decodes every packet it receives (codec_decode). What the client
 * role adds, and only that, is here:
 *   - CONNECT from a plain description (protocol 3.1.1 or 5, Mosquitto's try_private bridge
 *     bit, will, credentials, the v5 properties a bridge sends);
 *   - decoding with the direction checked: a broker never sends CONNECT, SUBSCRIBE,
 *     UNSUBSCRIBE or PINGREQ, a v3 broker never sends DISCONNECT or AUTH, and a CONNACK's
 *     return code must exist for its version;
 *   - the meaning of a refused CONNACK, as a sentence for logs and $SYS.
 * Errors follow codec.h (-EAGAIN, -EBADMSG + *reason, -EMSGSIZE).
 */
#ifndef MQTTGW_CODEC_CLIENT_H
#define MQTTGW_CODEC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

struct codec_client_connect {
	uint8_t version;  /* MQTT_V311 or MQTT_V5 */
	bool try_private; /* 3.1.1: protocol level 0x84; ignored for v5 */
	bool clean;
	uint16_t keepalive;
	const char *client_id;
	const char *username, *password; /* NULL: absent */
	const char *will_topic;		 /* NULL: no will */
	const void *will_payload;
	uint16_t will_len;
	uint8_t will_qos;
	bool will_retain;
	/* v5 only (0: not sent) */
	uint32_t session_expiry;
	uint16_t receive_max;
	uint32_t max_packet_size;
};

/* Encode CONNECT (snprintf-like as codec.h's encoders; 0 when it cannot be encoded). */
size_t codec_client_connect(uint8_t *buf, size_t cap, const struct codec_client_connect *c);

/*
 * Decode one complete frame received from a broker (codec_decode plus the direction rules
 * above). `version` is the one the client connected with (without the bridge bit).
 */
int codec_client_decode(const uint8_t *buf, size_t len, uint8_t version, struct mqtt_packet *pkt,
			uint8_t *reason);

/* A CONNACK code (v3 return code or v5 reason code) as a short sentence. */
const char *codec_client_connack_str(uint8_t version, uint8_t code);

#endif /* MQTTGW_CODEC_CLIENT_H */
