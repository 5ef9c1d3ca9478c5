/* SPDX-License-Identifier: MIT */
/*
 * codec: frame, decode and encode MQTT 3.1, 3.1.1 and 5.0 packets (layer L0: pure).
 *
 * Decoding works on one complete frame held by the caller and returns *borrowed views*
 * (struct mqtt_buf) into that buffer: they are valid as long as the buffer is.
 * No function here allocates, logs, reads the clock or makes a syscall.
 *
 * Errors: 0 on success; -EAGAIN the frame is incomplete; -EBADMSG malformed or a protocol
 * error; -EMSGSIZE larger than the caller's maximum; -EPROTONOSUPPORT (CONNECT only) unknown
 * protocol name/level. Whenever a negative value is returned and a `reason` pointer is given,
 * *reason holds the MQTT 5 reason code that describes the fault (MQTT_RC_MALFORMED,
 * MQTT_RC_PROTOCOL_ERROR, MQTT_RC_PACKET_TOO_LARGE, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION,
 * MQTT_RC_TOPIC_NAME_INVALID, MQTT_RC_CLIENT_ID_NOT_VALID, ...). The broker maps that to a
 * CONNACK/DISCONNECT code (v5) or a plain close (v3) in one place.
 *
 * On success *reason is MQTT_RC_SUCCESS, and on -EAGAIN too (incomplete is not a fault).
 *
 * Encoders are snprintf-like: they return the number of bytes the packet needs and write it
 * only if it fits in `cap` (so `codec_encode_x(NULL, 0, ...)` sizes a packet). They return 0
 * when the packet cannot be encoded at all (Remaining Length above MQTT_MAX_REMAINING, a
 * string longer than 65535 bytes, a `type` the function does not encode). They encode the
 * fields they are given without judging them (tests craft invalid packets with them).
 */
#ifndef MQTTGW_CODEC_H
#define MQTTGW_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt.h"

/* A borrowed view into a caller's buffer. */
struct mqtt_buf {
	const uint8_t *p;
	uint32_t len;
};

/*
 * Decoded MQTT 5 properties. `seen` has MQTT_PROP_BIT(id) set for every identifier present.
 * `raw` is the whole property block (without its length prefix), for forwarding and for
 * iterating repeated properties (user properties, subscription identifiers).
 * Fields not present keep the defaults set by the decoder (0 / empty), except
 * request_problem_info which defaults to 1 as the spec says.
 */
struct mqtt_props {
	uint64_t seen;
	struct mqtt_buf raw;
	uint32_t message_expiry;
	uint32_t session_expiry;
	uint32_t will_delay;
	uint32_t max_packet_size;
	uint32_t subscription_id; /* the first one seen */
	uint32_t user_count;	  /* number of user properties */
	uint16_t server_keepalive;
	uint16_t receive_max;
	uint16_t topic_alias_max;
	uint16_t topic_alias;
	uint8_t payload_format;
	uint8_t request_problem_info;
	uint8_t request_response_info;
	uint8_t max_qos;
	uint8_t retain_available;
	uint8_t wildcard_available;
	uint8_t sub_id_available;
	uint8_t shared_available;
	struct mqtt_buf content_type;
	struct mqtt_buf response_topic;
	struct mqtt_buf correlation_data;
	struct mqtt_buf assigned_client_id;
	struct mqtt_buf auth_method;
	struct mqtt_buf auth_data;
	struct mqtt_buf response_info;
	struct mqtt_buf server_reference;
	struct mqtt_buf reason_string;
};

struct mqtt_connect {
	struct mqtt_buf proto_name;
	uint8_t version; /* enum mqtt_version; set even when -EPROTONOSUPPORT is returned */
	bool bridge;	 /* level | MQTT_LEVEL_BRIDGE (3.x); version is without it */
	bool clean;	 /* Clean Session (v3) / Clean Start (v5) */
	bool will;
	uint8_t will_qos;
	bool will_retain;
	bool has_username;
	bool has_password;
	uint16_t keepalive;
	struct mqtt_props props;      /* v5 only */
	struct mqtt_buf client_id;    /* may be empty */
	struct mqtt_props will_props; /* v5 only */
	struct mqtt_buf will_topic;
	struct mqtt_buf will_payload;
	struct mqtt_buf username;
	struct mqtt_buf password;
};

struct mqtt_connack {
	bool session_present;
	uint8_t code; /* v3 return code or v5 reason code */
	struct mqtt_props props;
};

struct mqtt_publish {
	uint8_t qos;
	bool dup;
	bool retain;
	struct mqtt_buf topic; /* may be empty in v5 when a topic alias is used */
	uint16_t packet_id;    /* 0 for QoS 0 */
	struct mqtt_props props;
	struct mqtt_buf payload;
};

/* PUBACK, PUBREC, PUBREL, PUBCOMP. */
struct mqtt_ack {
	uint16_t packet_id;
	uint8_t reason; /* 0 when absent */
	struct mqtt_props props;
};

/* SUBSCRIBE / UNSUBSCRIBE: entries are validated by the decoder, then walked with codec_sub_next. */
struct mqtt_subscribe {
	uint16_t packet_id;
	struct mqtt_props props;
	struct mqtt_buf entries; /* raw entry list */
	uint32_t count;		 /* number of entries, >= 1 */
};

struct mqtt_sub_entry {
	struct mqtt_buf filter;
	uint8_t qos;		 /* requested maximum QoS */
	bool no_local;		 /* v5 */
	bool retain_as_published; /* v5 */
	uint8_t retain_handling;  /* v5: 0, 1 or 2 */
};

/* SUBACK / UNSUBACK (decoded for clients and tests). */
struct mqtt_suback {
	uint16_t packet_id;
	struct mqtt_props props;
	struct mqtt_buf codes; /* one byte per filter; empty for a v3 UNSUBACK */
};

/* DISCONNECT, AUTH. */
struct mqtt_disconnect {
	uint8_t reason;
	struct mqtt_props props;
};

struct mqtt_packet {
	uint8_t type;  /* enum mqtt_type */
	uint8_t flags; /* low nibble of the first byte */
	union {
		struct mqtt_connect connect;
		struct mqtt_connack connack;
		struct mqtt_publish publish;
		struct mqtt_ack ack;
		struct mqtt_subscribe subscribe; /* also UNSUBSCRIBE */
		struct mqtt_suback suback;	 /* also UNSUBACK */
		struct mqtt_disconnect disconnect; /* also AUTH */
	};
};

/* One frame found at the start of a buffer. */
struct mqtt_frame {
	uint8_t type;
	uint8_t flags;
	uint32_t hdr_len; /* fixed header bytes: 2..5 */
	uint32_t rem_len; /* Remaining Length */
};

/*
 * Find the frame at the start of buf. 0: a complete frame of hdr_len + rem_len bytes is there.
 * -EAGAIN: more bytes needed (f->hdr_len is 0 while the length itself is incomplete).
 * -EBADMSG: Remaining Length longer than 4 bytes (reason MALFORMED). Non-minimal encodings are
 * accepted, as the spec's text does not forbid them.
 * -EMSGSIZE: hdr_len + rem_len > max_size (checked as soon as the length is known; reason
 * PACKET_TOO_LARGE), so callers never buffer an oversized packet. max_size 0 means no limit.
 */
int codec_frame(const uint8_t *buf, size_t len, uint32_t max_size, struct mqtt_frame *f,
		uint8_t *reason);

/*
 * Decode one complete frame (buf/len exactly as codec_frame delimited it, header included).
 * `version` is the connection's protocol version; ignored for CONNECT, which carries its own.
 * Validates everything the spec requires of a packet in isolation: fixed-header flags, lengths,
 * UTF-8 (well-formed, no U+0000, no surrogates), topic names (no wildcards, non-empty unless a
 * v5 topic alias is present), topic filters (wildcard placement, non-empty), packet id != 0
 * where one is required, QoS 3, SUBSCRIBE option reserved bits, v5 property identifiers valid
 * for the packet, types, duplicates where forbidden, and lengths.
 * State-dependent rules (CONNECT first, alias ranges, receive maximum) are the caller's.
 *
 * Details the broker relies on:
 * - len must be exactly the frame: fewer bytes give -EAGAIN, more give -EBADMSG (MALFORMED).
 * - A packet other than CONNECT with `version` not 3, 4 or 5 (no CONNECT seen yet) is
 *   -EBADMSG with PROTOCOL_ERROR [MQTT-3.1.0-1].
 * - CONNECT: -EBADMSG with CLIENT_ID_NOT_VALID (empty client id in 3.1, or in 3.1.1 without
 *   Clean Session [MQTT-3.1.3-8]) is returned only after the whole packet decoded, so
 *   pkt->connect is complete for the CONNACK 0x02. Will topic with a wildcard or empty:
 *   TOPIC_NAME_INVALID.
 * - SUBSCRIBE/UNSUBSCRIBE: a filter that breaks the wildcard or $share rules (5.0) gives
 *   -EBADMSG with TOPIC_FILTER_INVALID only once the rest of the packet proved well formed;
 *   pkt->subscribe is then complete, so the broker can answer SUBACK/UNSUBACK per entry
 *   (walk with codec_sub_next, judge each filter with topic_filter_valid). Any malformed or
 *   protocol error anywhere in the packet wins over TOPIC_FILTER_INVALID.
 * - PUBLISH: Topic Alias 0 gives TOPIC_ALIAS_INVALID. Subscription Identifiers may repeat
 *   (server to client); a client must not send any [MQTT-3.3.4-6]: the codec does not know
 *   the direction, so the broker rejects a PUBLISH with MQTT_PROP_SUBSCRIPTION_ID in `seen`.
 */
int codec_decode(const uint8_t *buf, size_t len, uint8_t version, struct mqtt_packet *pkt,
		 uint8_t *reason);

/* Walk SUBSCRIBE (unsub=false) or UNSUBSCRIBE (unsub=true) entries of a decoded packet.
 * `cursor` starts as a copy of pkt.subscribe.entries. Returns 1 with *e filled, 0 at the end
 * (also at a truncated entry, which a decoded packet never has; the cursor is then emptied). */
int codec_sub_next(struct mqtt_buf *cursor, uint8_t version, bool unsub, struct mqtt_sub_entry *e);

/* Walk properties in a raw block. Returns 1 with *id and *val (the value bytes; for a user
 * property *val is the key and *val2 the value; for varint/int types *num is set), 0 at end.
 * For numbers *val is the encoded bytes; for strings and binary data it is the content
 * without its length. val, val2 and num may be NULL. An unknown identifier or a malformed
 * value ends the walk (returns 0, cursor emptied); blocks from codec_decode never have one. */
int codec_prop_next(struct mqtt_buf *cursor, uint8_t *id, struct mqtt_buf *val,
		    struct mqtt_buf *val2, uint32_t *num);

/*
 * Check and parse a v5 property block (`block`/`len`, without its length prefix) exactly as
 * codec_decode does for packet `type` (MQTT_CONNECT..MQTT_AUTH, or 0 for Will Properties):
 * 0 with *pr filled (defaults first, raw = the block), or -EBADMSG with *reason. For blocks
 * kept apart from their packet, e.g. the properties of a stored retained message.
 */
int codec_props_parse(const uint8_t *block, uint32_t len, uint8_t type, struct mqtt_props *pr,
		      uint8_t *reason);

/* UTF-8 string check as MQTT requires (well formed, no U+0000, no surrogates). */
bool codec_utf8_valid(const uint8_t *s, size_t len);

/* Variable byte integer helpers. Both return 0 (and write nothing) for v > MQTT_MAX_REMAINING. */
size_t codec_varint_size(uint32_t v);	       /* 1..4 */
size_t codec_varint_put(uint8_t *p, uint32_t v); /* returns bytes written */

/* ---- encoding ---- */

/*
 * Properties to encode: a builder over a caller buffer. Start with codec_props_init(&pb, buf,
 * cap), add properties, then pass the block to an encoder. If the buffer is too small,
 * pb.overflow is set and pb.len still counts the bytes needed (nothing more is written once
 * it is set). codec_props_varint with a value above MQTT_MAX_REMAINING also sets overflow.
 */
struct mqtt_propbuf {
	uint8_t *buf;
	uint32_t cap;
	uint32_t len;
	bool overflow;
};
void codec_props_init(struct mqtt_propbuf *pb, uint8_t *buf, uint32_t cap);
void codec_props_byte(struct mqtt_propbuf *pb, uint8_t id, uint8_t v);
void codec_props_u16(struct mqtt_propbuf *pb, uint8_t id, uint16_t v);
void codec_props_u32(struct mqtt_propbuf *pb, uint8_t id, uint32_t v);
void codec_props_varint(struct mqtt_propbuf *pb, uint8_t id, uint32_t v);
void codec_props_str(struct mqtt_propbuf *pb, uint8_t id, const void *s, uint16_t len);
void codec_props_pair(struct mqtt_propbuf *pb, uint8_t id, const void *k, uint16_t klen,
		      const void *v, uint16_t vlen);
void codec_props_raw(struct mqtt_propbuf *pb, const void *raw, uint32_t len);

/* `props`/`props_len` is an encoded property block (without its length). For v3 versions the
 * property block is omitted entirely, whatever is passed. */

size_t codec_encode_connect(uint8_t *buf, size_t cap, const struct mqtt_connect *c,
			    const uint8_t *props, uint32_t props_len, const uint8_t *will_props,
			    uint32_t will_props_len);
size_t codec_encode_connack(uint8_t *buf, size_t cap, uint8_t version, bool session_present,
			    uint8_t code, const uint8_t *props, uint32_t props_len);

/*
 * PUBLISH. The fixed header, topic, packet id and properties are written; the payload is
 * appended unless `payload` is NULL, in which case only the header part is written and the
 * Remaining Length still accounts for payload_len (so a caller can send the payload by
 * reference with writev). Returns the full packet size in both cases.
 */
size_t codec_encode_publish(uint8_t *buf, size_t cap, uint8_t version, uint8_t qos, bool dup,
			    bool retain, const uint8_t *topic, uint16_t topic_len,
			    uint16_t packet_id, const uint8_t *props, uint32_t props_len,
			    const uint8_t *payload, uint32_t payload_len);
/* Size of the header part codec_encode_publish writes when payload is NULL. */
size_t codec_publish_header_size(uint8_t version, uint8_t qos, uint16_t topic_len,
				 uint32_t props_len, uint32_t payload_len);

/* PUBACK/PUBREC/PUBREL/PUBCOMP: `type` selects; v5 omits reason+props when reason is 0 and
 * there are no props (the spec's short form). */
size_t codec_encode_ack(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
			uint16_t packet_id, uint8_t reason, const uint8_t *props,
			uint32_t props_len);

size_t codec_encode_subscribe(uint8_t *buf, size_t cap, uint8_t version, uint16_t packet_id,
			      const struct mqtt_sub_entry *e, uint32_t n, const uint8_t *props,
			      uint32_t props_len);
size_t codec_encode_unsubscribe(uint8_t *buf, size_t cap, uint8_t version, uint16_t packet_id,
				const struct mqtt_buf *filters, uint32_t n, const uint8_t *props,
				uint32_t props_len);
/* SUBACK (type MQTT_SUBACK) or UNSUBACK (MQTT_UNSUBACK; for v3 `codes` is ignored). */
size_t codec_encode_suback(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
			   uint16_t packet_id, const uint8_t *codes, uint32_t n,
			   const uint8_t *props, uint32_t props_len);
/* PINGREQ / PINGRESP, and a v3 DISCONNECT. */
size_t codec_encode_simple(uint8_t *buf, size_t cap, uint8_t type);
/* DISCONNECT or AUTH: v3 DISCONNECT is 2 bytes; v5 omits reason+props when both are empty. */
size_t codec_encode_disconnect(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
			       uint8_t reason, const uint8_t *props, uint32_t props_len);

#endif /* MQTTGW_CODEC_H */
