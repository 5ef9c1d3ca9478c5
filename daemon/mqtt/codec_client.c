/* SPDX-License-Identifier: MIT */
/*
 * codec_client: CONNECT encoding, direction-checked decoding and CONNACK codes for the client
 * role. See include/codec_client.h.
 */
#include <errno.h>
#include <string.h>

#include "codec_client.h"

static struct mqtt_buf str_buf(const char *s)
{
	return (struct mqtt_buf){.p = (const uint8_t *)s, .len = s ? (uint32_t)strlen(s) : 0};
}

size_t codec_client_connect(uint8_t *buf, size_t cap, const struct codec_client_connect *c)
{
	struct mqtt_connect k = {
	    .proto_name = str_buf("MQTT"),
	    .version = c->version,
	    .clean = c->clean,
	    .keepalive = c->keepalive,
	    .client_id = str_buf(c->client_id),
	};
	uint8_t props[32];
	struct mqtt_propbuf pb;

	if (c->version != MQTT_V311 && c->version != MQTT_V5)
		return 0;
	/* v5 has No Local on the subscriptions instead of the bridge bit */
	k.bridge = c->try_private && c->version == MQTT_V311;
	if (c->will_topic) {
		k.will = true;
		k.will_topic = str_buf(c->will_topic);
		k.will_payload = (struct mqtt_buf){.p = c->will_payload, .len = c->will_len};
		k.will_qos = c->will_qos;
		k.will_retain = c->will_retain;
	}
	if (c->username) {
		k.has_username = true;
		k.username = str_buf(c->username);
	}
	if (c->password) {
		k.has_password = true;
		k.password = str_buf(c->password);
	}
	codec_props_init(&pb, props, sizeof(props));
	if (c->version == MQTT_V5) {
		if (c->session_expiry)
			codec_props_u32(&pb, MQTT_PROP_SESSION_EXPIRY, c->session_expiry);
		if (c->receive_max)
			codec_props_u16(&pb, MQTT_PROP_RECEIVE_MAX, c->receive_max);
		if (c->max_packet_size)
			codec_props_u32(&pb, MQTT_PROP_MAX_PACKET_SIZE, c->max_packet_size);
	}
	/* 3 small properties always fit: overflow would be a bug here, not input */
	return codec_encode_connect(buf, cap, &k, props, pb.len, NULL, 0);
}

int codec_client_decode(const uint8_t *buf, size_t len, uint8_t version, struct mqtt_packet *pkt,
			uint8_t *reason)
{
	uint8_t rc = MQTT_RC_SUCCESS;
	int ret = codec_decode(buf, len, version, pkt, &rc);

	if (ret == 0) {
		switch (pkt->type) {
		case MQTT_CONNECT:
		case MQTT_SUBSCRIBE:
		case MQTT_UNSUBSCRIBE:
		case MQTT_PINGREQ:
			ret = -EBADMSG; /* client-to-server only */
			break;
		case MQTT_DISCONNECT:
		case MQTT_AUTH:
			if (version != MQTT_V5)
				ret = -EBADMSG; /* v3 servers just close */
			break;
		case MQTT_CONNACK:
			if (version != MQTT_V5 && pkt->connack.code > MQTT_CONNACK_NOT_AUTHORIZED)
				ret = -EBADMSG;
			if (version == MQTT_V5 && pkt->connack.code &&
			    pkt->connack.code < MQTT_RC_UNSPECIFIED)
				ret = -EBADMSG;
			/* session present must be 0 on a refusal [MQTT-3.2.2-4] */
			if (pkt->connack.code && pkt->connack.session_present)
				ret = -EBADMSG;
			break;
		default:
			break;
		}
		if (ret)
			rc = MQTT_RC_PROTOCOL_ERROR;
	}
	if (reason)
		*reason = rc;
	return ret;
}

const char *codec_client_connack_str(uint8_t version, uint8_t code)
{
	static const char *const v3[] = {
	    "accepted",		  "unacceptable protocol version", "client id rejected",
	    "server unavailable", "bad user name or password",	   "not authorized",
	};

	if (version != MQTT_V5)
		return code < sizeof(v3) / sizeof(v3[0]) ? v3[code] : "unknown return code";
	switch (code) {
	case MQTT_RC_SUCCESS:
		return "accepted";
	case MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION:
		return "unsupported protocol version";
	case MQTT_RC_CLIENT_ID_NOT_VALID:
		return "client id not valid";
	case MQTT_RC_BAD_USERNAME_OR_PASSWORD:
		return "bad user name or password";
	case MQTT_RC_NOT_AUTHORIZED:
		return "not authorized";
	case MQTT_RC_SERVER_UNAVAILABLE:
		return "server unavailable";
	case MQTT_RC_SERVER_BUSY:
		return "server busy";
	case MQTT_RC_BANNED:
		return "banned";
	case MQTT_RC_BAD_AUTH_METHOD:
		return "bad authentication method";
	case MQTT_RC_USE_ANOTHER_SERVER:
		return "use another server";
	case MQTT_RC_SERVER_MOVED:
		return "server moved";
	case MQTT_RC_CONNECTION_RATE_EXCEEDED:
		return "connection rate exceeded";
	case MQTT_RC_PACKET_TOO_LARGE:
		return "packet too large";
	case MQTT_RC_QUOTA_EXCEEDED:
		return "quota exceeded";
	default:
		return "refused";
	}
}
