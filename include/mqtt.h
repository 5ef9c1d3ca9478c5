/* SPDX-License-Identifier: MIT */
/*
 * mqtt: the numbers of the MQTT 3.1, 3.1.1 and 5.0 protocol (layer L0): size limits, packet
 * types, protocol levels, reason codes and property identifiers. Split from codec.h, which
 * includes it, so the protocol's vocabulary can be read apart from the codec's API.
 */
#ifndef MQTTGW_MQTT_H
#define MQTTGW_MQTT_H

#define MQTT_MAX_REMAINING 268435455u /* 0xFF,0xFF,0xFF,0x7F */
#define MQTT_MAX_HEADER	   5u	      /* 1 type byte + up to 4 length bytes */

enum mqtt_type {
	MQTT_CONNECT = 1,
	MQTT_CONNACK = 2,
	MQTT_PUBLISH = 3,
	MQTT_PUBACK = 4,
	MQTT_PUBREC = 5,
	MQTT_PUBREL = 6,
	MQTT_PUBCOMP = 7,
	MQTT_SUBSCRIBE = 8,
	MQTT_SUBACK = 9,
	MQTT_UNSUBSCRIBE = 10,
	MQTT_UNSUBACK = 11,
	MQTT_PINGREQ = 12,
	MQTT_PINGRESP = 13,
	MQTT_DISCONNECT = 14,
	MQTT_AUTH = 15,
};

enum mqtt_version {
	MQTT_V31 = 3,  /* protocol name "MQIsdp" */
	MQTT_V311 = 4, /* protocol name "MQTT" */
	MQTT_V5 = 5,   /* protocol name "MQTT" */
};

/* Mosquitto's bridge bit: protocol level | 0x80 says the client is a bridge (3.1 and 3.1.1 only);
 * the broker then keeps the retain flag of what it sends the bridge and does not echo back what
 * the bridge published (its subscriptions get Retain As Published and No Local). */
#define MQTT_LEVEL_BRIDGE 0x80u

/* MQTT 5 reason codes. Also the vocabulary for every error, whatever the version. */
enum mqtt_rc {
	MQTT_RC_SUCCESS = 0x00, /* also Normal disconnection, Granted QoS 0 */
	MQTT_RC_GRANTED_QOS1 = 0x01,
	MQTT_RC_GRANTED_QOS2 = 0x02,
	MQTT_RC_DISCONNECT_WITH_WILL = 0x04,
	MQTT_RC_NO_MATCHING_SUBSCRIBERS = 0x10,
	MQTT_RC_NO_SUBSCRIPTION_EXISTED = 0x11,
	MQTT_RC_CONTINUE_AUTH = 0x18,
	MQTT_RC_REAUTHENTICATE = 0x19,
	MQTT_RC_UNSPECIFIED = 0x80,
	MQTT_RC_MALFORMED = 0x81,
	MQTT_RC_PROTOCOL_ERROR = 0x82,
	MQTT_RC_IMPL_SPECIFIC = 0x83,
	MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84,
	MQTT_RC_CLIENT_ID_NOT_VALID = 0x85,
	MQTT_RC_BAD_USERNAME_OR_PASSWORD = 0x86,
	MQTT_RC_NOT_AUTHORIZED = 0x87,
	MQTT_RC_SERVER_UNAVAILABLE = 0x88,
	MQTT_RC_SERVER_BUSY = 0x89,
	MQTT_RC_BANNED = 0x8A,
	MQTT_RC_SERVER_SHUTTING_DOWN = 0x8B,
	MQTT_RC_BAD_AUTH_METHOD = 0x8C,
	MQTT_RC_KEEPALIVE_TIMEOUT = 0x8D,
	MQTT_RC_SESSION_TAKEN_OVER = 0x8E,
	MQTT_RC_TOPIC_FILTER_INVALID = 0x8F,
	MQTT_RC_TOPIC_NAME_INVALID = 0x90,
	MQTT_RC_PACKET_ID_IN_USE = 0x91,
	MQTT_RC_PACKET_ID_NOT_FOUND = 0x92,
	MQTT_RC_RECEIVE_MAX_EXCEEDED = 0x93,
	MQTT_RC_TOPIC_ALIAS_INVALID = 0x94,
	MQTT_RC_PACKET_TOO_LARGE = 0x95,
	MQTT_RC_MESSAGE_RATE_TOO_HIGH = 0x96,
	MQTT_RC_QUOTA_EXCEEDED = 0x97,
	MQTT_RC_ADMIN_ACTION = 0x98,
	MQTT_RC_PAYLOAD_FORMAT_INVALID = 0x99,
	MQTT_RC_RETAIN_NOT_SUPPORTED = 0x9A,
	MQTT_RC_QOS_NOT_SUPPORTED = 0x9B,
	MQTT_RC_USE_ANOTHER_SERVER = 0x9C,
	MQTT_RC_SERVER_MOVED = 0x9D,
	MQTT_RC_SHARED_SUBS_NOT_SUPPORTED = 0x9E,
	MQTT_RC_CONNECTION_RATE_EXCEEDED = 0x9F,
	MQTT_RC_MAX_CONNECT_TIME = 0xA0,
	MQTT_RC_SUB_IDS_NOT_SUPPORTED = 0xA1,
	MQTT_RC_WILDCARD_SUBS_NOT_SUPPORTED = 0xA2,
};

/* MQTT 3.1.1 CONNACK return codes. */
enum mqtt_connack_v3 {
	MQTT_CONNACK_ACCEPTED = 0,
	MQTT_CONNACK_BAD_PROTOCOL = 1,
	MQTT_CONNACK_ID_REJECTED = 2,
	MQTT_CONNACK_UNAVAILABLE = 3,
	MQTT_CONNACK_BAD_CREDENTIALS = 4,
	MQTT_CONNACK_NOT_AUTHORIZED = 5,
};

/* MQTT 5 property identifiers (all below 64, so a uint64_t bitmask tracks presence). */
enum mqtt_prop {
	MQTT_PROP_PAYLOAD_FORMAT = 0x01,	/* byte */
	MQTT_PROP_MESSAGE_EXPIRY = 0x02,	/* u32 */
	MQTT_PROP_CONTENT_TYPE = 0x03,		/* utf8 */
	MQTT_PROP_RESPONSE_TOPIC = 0x08,	/* utf8 */
	MQTT_PROP_CORRELATION_DATA = 0x09,	/* binary */
	MQTT_PROP_SUBSCRIPTION_ID = 0x0B,	/* varint */
	MQTT_PROP_SESSION_EXPIRY = 0x11,	/* u32 */
	MQTT_PROP_ASSIGNED_CLIENT_ID = 0x12,	/* utf8 */
	MQTT_PROP_SERVER_KEEPALIVE = 0x13,	/* u16 */
	MQTT_PROP_AUTH_METHOD = 0x15,		/* utf8 */
	MQTT_PROP_AUTH_DATA = 0x16,		/* binary */
	MQTT_PROP_REQUEST_PROBLEM_INFO = 0x17,	/* byte */
	MQTT_PROP_WILL_DELAY = 0x18,		/* u32 */
	MQTT_PROP_REQUEST_RESPONSE_INFO = 0x19, /* byte */
	MQTT_PROP_RESPONSE_INFO = 0x1A,		/* utf8 */
	MQTT_PROP_SERVER_REFERENCE = 0x1C,	/* utf8 */
	MQTT_PROP_REASON_STRING = 0x1F,		/* utf8 */
	MQTT_PROP_RECEIVE_MAX = 0x21,		/* u16 */
	MQTT_PROP_TOPIC_ALIAS_MAX = 0x22,	/* u16 */
	MQTT_PROP_TOPIC_ALIAS = 0x23,		/* u16 */
	MQTT_PROP_MAX_QOS = 0x24,		/* byte */
	MQTT_PROP_RETAIN_AVAILABLE = 0x25,	/* byte */
	MQTT_PROP_USER_PROPERTY = 0x26,		/* utf8 pair, may repeat */
	MQTT_PROP_MAX_PACKET_SIZE = 0x27,	/* u32 */
	MQTT_PROP_WILDCARD_AVAILABLE = 0x28,	/* byte */
	MQTT_PROP_SUB_ID_AVAILABLE = 0x29,	/* byte */
	MQTT_PROP_SHARED_AVAILABLE = 0x2A,	/* byte */
};

#define MQTT_PROP_BIT(id) (1ull << (id))

#endif /* MQTTGW_MQTT_H */
