// SPDX-License-Identifier: MIT
/*
 * codec_encode: MQTT 3.1 / 3.1.1 / 5.0 encoders (layer L0, see include/codec.h). Each one is
 * snprintf-like: it returns the size the packet needs and writes only when all of it fits.
 */
#include <stddef.h>
#include <string.h>

#include "codec_int.h"

size_t codec_varint_size(uint32_t v)
{
	if (v > MQTT_MAX_REMAINING)
		return 0;
	return 1 + (v > 127) + (v > 16383) + (v > 2097151);
}

size_t codec_varint_put(uint8_t *p, uint32_t v)
{
	size_t n = 0;

	if (v > MQTT_MAX_REMAINING)
		return 0;
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		p[n++] = b | (v ? 0x80 : 0);
	} while (v);
	return n;
}

/* Any size above this cannot be a Remaining Length; 64-bit sums never wrap below it. */
#define TOO_BIG ((uint64_t)1 << 40)

/* Bytes a v5 property block takes (length + block); nothing for 3.x. */
static inline uint64_t props_size(uint8_t version, const uint8_t *props, uint32_t len)
{
	if (version != MQTT_V5)
		return 0;
	if (!props)
		len = 0;
	if (len > MQTT_MAX_REMAINING)
		return TOO_BIG;
	return codec_varint_size(len) + (uint64_t)len;
}

static inline uint8_t *put_props(uint8_t *p, uint8_t version, const uint8_t *props, uint32_t len)
{
	if (version != MQTT_V5)
		return p;
	if (!props)
		len = 0;
	p += codec_varint_put(p, len);
	return put_bytes(p, props, len);
}

/* Whole packet size for a Remaining Length, 0 if it cannot be encoded. */
static inline size_t frame_size(uint64_t rem)
{
	return rem > MQTT_MAX_REMAINING ? 0 : 1 + codec_varint_size((uint32_t)rem) + (size_t)rem;
}

static inline uint8_t *put_hdr(uint8_t *p, uint8_t b0, uint64_t rem)
{
	*p++ = b0;
	return p + codec_varint_put(p, (uint32_t)rem);
}

/* snprintf-like: write only when the whole packet fits. */
static inline bool fits(const uint8_t *buf, size_t cap, size_t need)
{
	return buf && need && need <= cap;
}

static inline uint64_t str_size(const struct mqtt_buf *b)
{
	return b->len > 0xffff ? TOO_BIG : 2u + b->len;
}

size_t codec_encode_connect(uint8_t *buf, size_t cap, const struct mqtt_connect *c,
			    const uint8_t *props, uint32_t props_len, const uint8_t *will_props,
			    uint32_t will_props_len)
{
	struct mqtt_buf name = c->proto_name;
	uint64_t rem;
	size_t n;
	uint8_t flags, *p;

	if (!name.len) {
		name.p = (const uint8_t *)(c->version == MQTT_V31 ? "MQIsdp" : "MQTT");
		name.len = c->version == MQTT_V31 ? 6 : 4;
	}
	rem = str_size(&name) + 1 + 1 + 2 + props_size(c->version, props, props_len) +
	      str_size(&c->client_id);
	if (c->will)
		rem += props_size(c->version, will_props, will_props_len) +
		       str_size(&c->will_topic) + str_size(&c->will_payload);
	if (c->has_username)
		rem += str_size(&c->username);
	if (c->has_password)
		rem += str_size(&c->password);
	n = frame_size(rem);
	if (!fits(buf, cap, n))
		return n;

	flags = (uint8_t)(c->clean << 1 | c->will << 2 | (c->will_qos & 3) << 3 |
			  c->will_retain << 5 | c->has_password << 6 | c->has_username << 7);
	p = put_hdr(buf, MQTT_CONNECT << 4, rem);
	p = put_str(p, name.p, (uint16_t)name.len);
	*p++ = (uint8_t)(c->version | (c->bridge ? MQTT_LEVEL_BRIDGE : 0));
	*p++ = flags;
	p = put_u16(p, c->keepalive);
	p = put_props(p, c->version, props, props_len);
	p = put_str(p, c->client_id.p, (uint16_t)c->client_id.len);
	if (c->will) {
		p = put_props(p, c->version, will_props, will_props_len);
		p = put_str(p, c->will_topic.p, (uint16_t)c->will_topic.len);
		p = put_str(p, c->will_payload.p, (uint16_t)c->will_payload.len);
	}
	if (c->has_username)
		p = put_str(p, c->username.p, (uint16_t)c->username.len);
	if (c->has_password)
		put_str(p, c->password.p, (uint16_t)c->password.len);
	return n;
}

size_t codec_encode_connack(uint8_t *buf, size_t cap, uint8_t version, bool session_present,
			    uint8_t code, const uint8_t *props, uint32_t props_len)
{
	uint64_t rem = 2 + props_size(version, props, props_len);
	size_t n = frame_size(rem);
	uint8_t *p;

	if (!fits(buf, cap, n))
		return n;
	p = put_hdr(buf, MQTT_CONNACK << 4, rem);
	*p++ = version != MQTT_V31 && session_present;
	*p++ = code;
	put_props(p, version, props, props_len);
	return n;
}

static inline uint64_t publish_rem(uint8_t version, uint8_t qos, uint16_t topic_len,
				   const uint8_t *props, uint32_t props_len, uint32_t payload_len)
{
	return 2u + topic_len + (qos ? 2u : 0u) + props_size(version, props, props_len) +
	       payload_len;
}

size_t codec_publish_header_size(uint8_t version, uint8_t qos, uint16_t topic_len,
				 uint32_t props_len, uint32_t payload_len)
{
	/* Any non-NULL pointer: only the size of the block matters here. */
	uint64_t rem =
	    publish_rem(version, qos, topic_len, (const uint8_t *)"", props_len, payload_len);
	size_t n = frame_size(rem);

	return n ? n - payload_len : 0;
}

size_t codec_encode_publish(uint8_t *buf, size_t cap, uint8_t version, uint8_t qos, bool dup,
			    bool retain, const uint8_t *topic, uint16_t topic_len,
			    uint16_t packet_id, const uint8_t *props, uint32_t props_len,
			    const uint8_t *payload, uint32_t payload_len)
{
	uint64_t rem = publish_rem(version, qos, topic_len, props, props_len, payload_len);
	size_t n = frame_size(rem);
	uint8_t *p;

	/* Without a payload only the header part must fit (the caller sends the rest). */
	if (!n || !fits(buf, cap, payload ? n : n - payload_len))
		return n;
	p = put_hdr(buf, (uint8_t)(MQTT_PUBLISH << 4 | dup << 3 | (qos & 3) << 1 | retain), rem);
	p = put_str(p, topic, topic_len);
	if (qos)
		p = put_u16(p, packet_id);
	p = put_props(p, version, props, props_len);
	if (payload)
		put_bytes(p, payload, payload_len);
	return n;
}

size_t codec_encode_ack(uint8_t *buf, size_t cap, uint8_t version, uint8_t type, uint16_t packet_id,
			uint8_t reason, const uint8_t *props, uint32_t props_len)
{
	uint64_t rem = 2;
	size_t n;
	uint8_t *p;

	if (type < MQTT_PUBACK || type > MQTT_PUBCOMP)
		return 0;
	if (!props)
		props_len = 0;
	/* 5.0 short forms: no reason and no properties, or a reason alone (3.4.2.1). */
	if (version == MQTT_V5 && (reason || props_len))
		rem += 1 + (props_len ? props_size(version, props, props_len) : 0);
	n = frame_size(rem);
	if (!fits(buf, cap, n))
		return n;
	p = put_hdr(buf, (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0)), rem);
	p = put_u16(p, packet_id);
	if (rem > 2)
		*p++ = reason;
	if (rem > 3)
		put_props(p, version, props, props_len);
	return n;
}

/* SUBSCRIBE (from entries `e`) or UNSUBSCRIBE (from `filters`): the same shape. */
static size_t encode_sub(uint8_t *buf, size_t cap, uint8_t version, uint16_t packet_id,
			 const struct mqtt_sub_entry *e, const struct mqtt_buf *filters, uint32_t n,
			 const uint8_t *props, uint32_t props_len)
{
	uint64_t rem = 2 + props_size(version, props, props_len);
	size_t size;
	uint32_t i;
	uint8_t *p;

	for (i = 0; i < n && rem <= MQTT_MAX_REMAINING; i++)
		rem += str_size(e ? &e[i].filter : &filters[i]) + !!e;
	size = frame_size(rem);
	if (!fits(buf, cap, size))
		return size;
	p = put_hdr(buf, (e ? MQTT_SUBSCRIBE : MQTT_UNSUBSCRIBE) << 4 | 2, rem);
	p = put_u16(p, packet_id);
	p = put_props(p, version, props, props_len);
	for (i = 0; i < n; i++) {
		const struct mqtt_buf *f = e ? &e[i].filter : &filters[i];

		p = put_str(p, f->p, (uint16_t)f->len);
		if (!e)
			continue;
		*p = e[i].qos & 3;
		if (version == MQTT_V5)
			*p |= (uint8_t)(e[i].no_local << 2 | e[i].retain_as_published << 3 |
					(e[i].retain_handling & 3) << 4);
		p++;
	}
	return size;
}

size_t codec_encode_subscribe(uint8_t *buf, size_t cap, uint8_t version, uint16_t packet_id,
			      const struct mqtt_sub_entry *e, uint32_t n, const uint8_t *props,
			      uint32_t props_len)
{
	return encode_sub(buf, cap, version, packet_id, e, NULL, n, props, props_len);
}

size_t codec_encode_unsubscribe(uint8_t *buf, size_t cap, uint8_t version, uint16_t packet_id,
				const struct mqtt_buf *filters, uint32_t n, const uint8_t *props,
				uint32_t props_len)
{
	return encode_sub(buf, cap, version, packet_id, NULL, filters, n, props, props_len);
}

size_t codec_encode_suback(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
			   uint16_t packet_id, const uint8_t *codes, uint32_t n,
			   const uint8_t *props, uint32_t props_len)
{
	uint64_t rem;
	size_t size;
	uint8_t *p;

	if (type != MQTT_SUBACK && type != MQTT_UNSUBACK)
		return 0;
	if (type == MQTT_UNSUBACK && version != MQTT_V5)
		n = 0;
	if (!codes)
		n = 0;
	rem = 2 + props_size(version, props, props_len) + n;
	size = frame_size(rem);
	if (!fits(buf, cap, size))
		return size;
	p = put_hdr(buf, (uint8_t)(type << 4), rem);
	p = put_u16(p, packet_id);
	p = put_props(p, version, props, props_len);
	put_bytes(p, codes, n);
	return size;
}

size_t codec_encode_simple(uint8_t *buf, size_t cap, uint8_t type)
{
	if (type != MQTT_PINGREQ && type != MQTT_PINGRESP && type != MQTT_DISCONNECT)
		return 0;
	if (fits(buf, cap, 2)) {
		buf[0] = (uint8_t)(type << 4);
		buf[1] = 0;
	}
	return 2;
}

size_t codec_encode_disconnect(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
			       uint8_t reason, const uint8_t *props, uint32_t props_len)
{
	uint64_t rem = 0;
	size_t n;
	uint8_t *p;

	if (type != MQTT_DISCONNECT && type != MQTT_AUTH)
		return 0;
	if (version != MQTT_V5)
		return type == MQTT_AUTH ? 0 : codec_encode_simple(buf, cap, type);
	if (!props)
		props_len = 0;
	/* Short forms: nothing when both are empty; DISCONNECT also has a reason-only form
	 * (3.14.2.2.1), AUTH does not (3.15.2.2.1). */
	if (props_len || (type == MQTT_AUTH && reason))
		rem = 1 + props_size(version, props, props_len);
	else if (reason)
		rem = 1;
	n = frame_size(rem);
	if (!fits(buf, cap, n))
		return n;
	p = put_hdr(buf, (uint8_t)(type << 4), rem);
	if (rem) {
		*p++ = reason;
		if (rem > 1)
			put_props(p, version, props, props_len);
	}
	return n;
}
