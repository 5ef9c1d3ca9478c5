/* SPDX-License-Identifier: MIT */
/*
 * store_record: the byte layout of the records the durable store keeps as blobs (L0, pure: no
 * syscalls, no allocation, no logging). Today one kind: a session (protocol, expiry, disconnect
 * time, username, listener, will). Messages, subscriptions and queue entries are plain SQL
 * columns; their MQTT 5 properties are kept as the codec encoded them.
 *
 * Layout (all integers LEB128 varints, minimal length, unless noted):
 *   u8 version (1) | u8 proto (3, 4 or 5) | expiry_interval (u32) | disconnect_ms (0..INT64_MAX)
 *   | listener (u16) | u8 flags: bit 0 username, bit 1 will, bits 2-3 will QoS, bit 4 will retain
 *   [| username_len (<= 65535) | username]
 *   [| will_delay (u32) | topic_len (1..65535) | topic | props_len | props | payload_len | payload]
 * and nothing after. The decoder accepts exactly what the encoder writes: a record that is not
 * canonical is malformed, so decode(encode(x)) == x and encode(decode(b)) == b.
 */
#ifndef MQTTGW_STORE_RECORD_H
#define MQTTGW_STORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_RECORD_VERSION 1

struct store_will {
	const uint8_t *topic; /* borrowed; not NUL-terminated */
	const uint8_t *props; /* MQTT 5 will properties as encoded by the codec, or NULL */
	const uint8_t *payload;
	uint32_t props_len;
	uint32_t payload_len;
	uint32_t delay; /* Will Delay Interval, seconds */
	uint16_t topic_len;
	uint8_t qos;
	uint8_t retain;
};

/* A session as stored. Pointers are borrowed (from the caller when staging, from the record
 * buffer when decoded or loaded). */
struct store_session {
	uint64_t id;		  /* the store's session id (store_session_put assigns it) */
	const char *client_id;	  /* not NUL-terminated */
	const char *username;	  /* NULL: none */
	int64_t disconnect_ms;	  /* wall clock (CLOCK_REALTIME ms) it went offline; 0: online */
	uint32_t expiry_interval; /* seconds; UINT32_MAX never */
	uint16_t client_id_len;
	uint16_t username_len;
	uint16_t listener; /* listener index whose password/ACL files apply */
	uint8_t proto;	   /* 3 (3.1), 4 (3.1.1), 5 */
	bool has_will;
	struct store_will will;
};

/* Bytes store_record_session_encode() writes for s. */
size_t store_record_session_size(const struct store_session *s);
/* Encode s (client_id and id are not part of the record) into buf. Bytes written, -EINVAL for
 * a session the decoder would refuse (bad proto, QoS, empty will topic), -EMSGSIZE if cap is
 * too small. */
int store_record_session_encode(const struct store_session *s, uint8_t *buf, size_t cap);
/* Decode a record into s (views into buf; id and client_id are left untouched). 0 or -EBADMSG
 * (any malformed, truncated, non-canonical or unknown-version record). */
int store_record_session_decode(const uint8_t *buf, size_t len, struct store_session *s);

#endif /* MQTTGW_STORE_RECORD_H */
