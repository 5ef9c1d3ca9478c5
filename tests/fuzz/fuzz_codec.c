// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the codec (daemon/mqtt/codec*.c). The input is a byte stream cut into
 * frames, as a connection would see it, and decoded as 3.1, 3.1.1 and 5.0. For every frame:
 *  - return codes and reason codes must be among those the header documents;
 *  - a frame one byte short must be -EAGAIN, and max_size must cut exactly at its size;
 *  - decoded invariants are checked against naive reference implementations (UTF-8, topic
 *    names, topic filters), property blocks and entry lists are walked with the iterators;
 *  - whatever decoded is encoded again, decoded again, and must give the same fields (and
 *    encoding that must give the same bytes: encode(decode(encode(x))) == encode(x)).
 * Any mismatch abort()s. Frames are copied into exact-size heap blocks so ASan catches reads
 * past the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "codec.h"


/* ---- reference implementations, written for clarity, not speed ---- */

static bool ref_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0, j, k;

	while (i < n) {
		uint32_t c = s[i], min;

		if (c < 0x80) {
			if (!c)
				return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1, c &= 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, c &= 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, c &= 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + k >= n)
			return false;
		for (j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static bool ref_topic_name(struct mqtt_buf t)
{
	return t.len && ref_utf8(t.p, t.len) && !memchr(t.p, '+', t.len) &&
	       !memchr(t.p, '#', t.len);
}

/* Level by level: each level is "+", "#" (last only) or free of both. */
static bool ref_filter_levels(const uint8_t *s, size_t n)
{
	size_t start = 0, i;

	if (!n)
		return false;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		{
			const uint8_t *lv = s + start;
			size_t len = i - start;

			if (len == 1 && lv[0] == '#') {
				if (i != n)
					return false;
			} else if (!(len == 1 && lv[0] == '+') &&
				   (memchr(lv, '+', len) || memchr(lv, '#', len))) {
				return false;
			}
		}
		start = i + 1;
	}
	return true;
}

static bool ref_filter(struct mqtt_buf f, uint8_t ver)
{
	const uint8_t *s = f.p, *slash;
	size_t n = f.len;

	if (ver == 5 && n >= 7 && !memcmp(s, "$share/", 7)) {
		slash = memchr(s + 7, '/', n - 7);
		if (!slash || slash == s + 7)
			return false;
		if (memchr(s + 7, '+', (size_t)(slash - s - 7)) ||
		    memchr(s + 7, '#', (size_t)(slash - s - 7)))
			return false;
		n -= (size_t)(slash + 1 - s);
		s = slash + 1;
	}
	return ref_filter_levels(s, n);
}

/* ---- comparing decoded packets ---- */

static bool buf_same(struct mqtt_buf a, struct mqtt_buf b)
{
	return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

static void props_same(const struct mqtt_props *a, const struct mqtt_props *b)
{
	CHECK(a->seen == b->seen);
	CHECK(buf_same(a->raw, b->raw));
	CHECK(a->message_expiry == b->message_expiry);
	CHECK(a->session_expiry == b->session_expiry);
	CHECK(a->will_delay == b->will_delay);
	CHECK(a->max_packet_size == b->max_packet_size);
	CHECK(a->subscription_id == b->subscription_id);
	CHECK(a->user_count == b->user_count);
	CHECK(a->server_keepalive == b->server_keepalive);
	CHECK(a->receive_max == b->receive_max);
	CHECK(a->topic_alias_max == b->topic_alias_max);
	CHECK(a->topic_alias == b->topic_alias);
	CHECK(a->payload_format == b->payload_format);
	CHECK(a->request_problem_info == b->request_problem_info);
	CHECK(a->request_response_info == b->request_response_info);
	CHECK(a->max_qos == b->max_qos);
	CHECK(a->retain_available == b->retain_available);
	CHECK(a->wildcard_available == b->wildcard_available);
	CHECK(a->sub_id_available == b->sub_id_available);
	CHECK(a->shared_available == b->shared_available);
	CHECK(buf_same(a->content_type, b->content_type));
	CHECK(buf_same(a->response_topic, b->response_topic));
	CHECK(buf_same(a->correlation_data, b->correlation_data));
	CHECK(buf_same(a->assigned_client_id, b->assigned_client_id));
	CHECK(buf_same(a->auth_method, b->auth_method));
	CHECK(buf_same(a->auth_data, b->auth_data));
	CHECK(buf_same(a->response_info, b->response_info));
	CHECK(buf_same(a->server_reference, b->server_reference));
	CHECK(buf_same(a->reason_string, b->reason_string));
}

static void pkt_same(const struct mqtt_packet *a, const struct mqtt_packet *b)
{
	CHECK(a->type == b->type);
	/* 3.1 accepts DUP on PUBREL/SUBSCRIBE/UNSUBSCRIBE; the encoders never set it. */
	CHECK(a->flags == b->flags || (a->type != MQTT_PUBLISH && (a->flags & ~8) == b->flags));
	switch (a->type) {
	case MQTT_CONNECT: {
		const struct mqtt_connect *x = &a->connect, *y = &b->connect;

		CHECK(buf_same(x->proto_name, y->proto_name));
		CHECK(x->version == y->version && x->clean == y->clean && x->will == y->will);
		CHECK(x->bridge == y->bridge);
		CHECK(x->will_qos == y->will_qos && x->will_retain == y->will_retain);
		CHECK(x->has_username == y->has_username && x->has_password == y->has_password);
		CHECK(x->keepalive == y->keepalive);
		props_same(&x->props, &y->props);
		props_same(&x->will_props, &y->will_props);
		CHECK(buf_same(x->client_id, y->client_id));
		CHECK(buf_same(x->will_topic, y->will_topic));
		CHECK(buf_same(x->will_payload, y->will_payload));
		CHECK(buf_same(x->username, y->username));
		CHECK(buf_same(x->password, y->password));
		break;
	}
	case MQTT_CONNACK:
		CHECK(a->connack.session_present == b->connack.session_present);
		CHECK(a->connack.code == b->connack.code);
		props_same(&a->connack.props, &b->connack.props);
		break;
	case MQTT_PUBLISH:
		CHECK(a->publish.qos == b->publish.qos && a->publish.dup == b->publish.dup);
		CHECK(a->publish.retain == b->publish.retain);
		CHECK(buf_same(a->publish.topic, b->publish.topic));
		CHECK(a->publish.packet_id == b->publish.packet_id);
		props_same(&a->publish.props, &b->publish.props);
		CHECK(buf_same(a->publish.payload, b->publish.payload));
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		CHECK(a->ack.packet_id == b->ack.packet_id && a->ack.reason == b->ack.reason);
		props_same(&a->ack.props, &b->ack.props);
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		CHECK(a->subscribe.packet_id == b->subscribe.packet_id);
		CHECK(a->subscribe.count == b->subscribe.count);
		CHECK(buf_same(a->subscribe.entries, b->subscribe.entries));
		props_same(&a->subscribe.props, &b->subscribe.props);
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		CHECK(a->suback.packet_id == b->suback.packet_id);
		CHECK(buf_same(a->suback.codes, b->suback.codes));
		props_same(&a->suback.props, &b->suback.props);
		break;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		CHECK(a->disconnect.reason == b->disconnect.reason);
		props_same(&a->disconnect.props, &b->disconnect.props);
		break;
	}
}

/* ---- walking what was decoded ---- */

/* Add one walked property to a builder, by the type its identifier has. */
static void rebuild(struct mqtt_propbuf *pb, uint8_t id, struct mqtt_buf v, struct mqtt_buf v2,
		    uint32_t num)
{
	switch (id) {
	case MQTT_PROP_PAYLOAD_FORMAT:
	case MQTT_PROP_REQUEST_PROBLEM_INFO:
	case MQTT_PROP_REQUEST_RESPONSE_INFO:
	case MQTT_PROP_MAX_QOS:
	case MQTT_PROP_RETAIN_AVAILABLE:
	case MQTT_PROP_WILDCARD_AVAILABLE:
	case MQTT_PROP_SUB_ID_AVAILABLE:
	case MQTT_PROP_SHARED_AVAILABLE:
		CHECK(v.len == 1 && num <= 1);
		codec_props_byte(pb, id, (uint8_t)num);
		break;
	case MQTT_PROP_SERVER_KEEPALIVE:
	case MQTT_PROP_RECEIVE_MAX:
	case MQTT_PROP_TOPIC_ALIAS_MAX:
	case MQTT_PROP_TOPIC_ALIAS:
		CHECK(v.len == 2);
		codec_props_u16(pb, id, (uint16_t)num);
		break;
	case MQTT_PROP_MESSAGE_EXPIRY:
	case MQTT_PROP_SESSION_EXPIRY:
	case MQTT_PROP_WILL_DELAY:
	case MQTT_PROP_MAX_PACKET_SIZE:
		CHECK(v.len == 4);
		codec_props_u32(pb, id, num);
		break;
	case MQTT_PROP_SUBSCRIPTION_ID:
		CHECK(v.len >= 1 && v.len <= 4 && num);
		/* Non-minimal varints are accepted but re-encoded minimally: keep the bytes. */
		if (codec_varint_size(num) == v.len) {
			codec_props_varint(pb, id, num);
		} else {
			codec_props_raw(pb, &id, 1);
			codec_props_raw(pb, v.p, v.len);
		}
		break;
	case MQTT_PROP_USER_PROPERTY:
		codec_props_pair(pb, id, v.p, (uint16_t)v.len, v2.p, (uint16_t)v2.len);
		break;
	default:
		codec_props_str(pb, id, v.p, (uint16_t)v.len);
		break;
	}
}

static void walk_props(const struct mqtt_props *pr, uint8_t ver, uint8_t type)
{
	struct mqtt_buf cur = pr->raw, v, v2;
	uint64_t seen = 0;
	uint32_t users = 0, num, first_sub = 0;
	struct mqtt_propbuf pb, small;
	uint8_t id, *blk;

	CHECK(pr->request_problem_info <= 1);
	if (ver != MQTT_V5) {
		CHECK(pr->seen == 0 && pr->raw.len == 0);
		return;
	}
	{
		/* The block on its own parses to the same thing. */
		struct mqtt_props alone;
		uint8_t reason = 0xee;

		CHECK(codec_props_parse(pr->raw.p, pr->raw.len, type, &alone, &reason) == 0);
		CHECK(reason == 0);
		props_same(pr, &alone);
	}
	/* The builder must give back the same block; one byte short, it must overflow. */
	blk = malloc(pr->raw.len + 1);
	codec_props_init(&pb, blk, pr->raw.len);
	codec_props_init(&small, blk + 1, pr->raw.len ? pr->raw.len - 1 : 0);
	while (codec_prop_next(&cur, &id, &v, &v2, &num) == 1) {
		rebuild(&pb, id, v, v2, num);
		CHECK(id < 64 && (pr->seen & MQTT_PROP_BIT(id)));
		seen |= MQTT_PROP_BIT(id);
		if (id == MQTT_PROP_USER_PROPERTY) {
			users++;
			CHECK(ref_utf8(v.p, v.len) && ref_utf8(v2.p, v2.len));
		}
		if (id == MQTT_PROP_SUBSCRIPTION_ID && !first_sub)
			first_sub = num;
		if (id == MQTT_PROP_RESPONSE_TOPIC)
			CHECK(ref_topic_name(v));
		if (id == MQTT_PROP_REASON_STRING)
			CHECK(buf_same(v, pr->reason_string));
		if (id == MQTT_PROP_TOPIC_ALIAS)
			CHECK(num == pr->topic_alias && num);
	}
	CHECK(cur.len == 0);
	CHECK(!pb.overflow && pb.len == pr->raw.len);
	CHECK(!pb.len || !memcmp(blk, pr->raw.p, pb.len));
	cur = pr->raw;
	while (codec_prop_next(&cur, &id, &v, &v2, &num) == 1)
		rebuild(&small, id, v, v2, num);
	CHECK(small.len == pr->raw.len && small.overflow == (pr->raw.len != 0));
	free(blk);
	CHECK(seen == pr->seen);
	CHECK(users == pr->user_count);
	CHECK(first_sub == pr->subscription_id);
}

/* Every props struct of a decoded packet. */
static void walk_all_props(const struct mqtt_packet *pkt, uint8_t ver)
{
	switch (pkt->type) {
	case MQTT_CONNECT:
		walk_props(&pkt->connect.props, pkt->connect.version, MQTT_CONNECT);
		walk_props(&pkt->connect.will_props, pkt->connect.version, 0);
		break;
	case MQTT_CONNACK:
		walk_props(&pkt->connack.props, ver, pkt->type);
		break;
	case MQTT_PUBLISH:
		walk_props(&pkt->publish.props, ver, pkt->type);
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		walk_props(&pkt->ack.props, ver, pkt->type);
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		walk_props(&pkt->subscribe.props, ver, pkt->type);
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		walk_props(&pkt->suback.props, ver, pkt->type);
		break;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		walk_props(&pkt->disconnect.props, ver, pkt->type);
		break;
	}
}

/* ---- encode again ---- */

/* Encode `pkt` with the matching encoder. Returns the size (snprintf-like). */
static size_t encode(const struct mqtt_packet *pkt, uint8_t ver, uint8_t *b, size_t cap,
		     const struct mqtt_sub_entry *es, const struct mqtt_buf *fs)
{
	const struct mqtt_props *pr;

	switch (pkt->type) {
	case MQTT_CONNECT:
		return codec_encode_connect(b, cap, &pkt->connect, pkt->connect.props.raw.p,
					    pkt->connect.props.raw.len,
					    pkt->connect.will_props.raw.p,
					    pkt->connect.will_props.raw.len);
	case MQTT_CONNACK:
		pr = &pkt->connack.props;
		return codec_encode_connack(b, cap, ver, pkt->connack.session_present,
					    pkt->connack.code, pr->raw.p, pr->raw.len);
	case MQTT_PUBLISH: {
		const struct mqtt_publish *m = &pkt->publish;

		return codec_encode_publish(b, cap, ver, m->qos, m->dup, m->retain, m->topic.p,
					    (uint16_t)m->topic.len, m->packet_id, m->props.raw.p,
					    m->props.raw.len,
					    m->payload.p ? m->payload.p : (const uint8_t *)"",
					    m->payload.len);
	}
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		pr = &pkt->ack.props;
		return codec_encode_ack(b, cap, ver, pkt->type, pkt->ack.packet_id,
					pkt->ack.reason, pr->raw.p, pr->raw.len);
	case MQTT_SUBSCRIBE:
		pr = &pkt->subscribe.props;
		return codec_encode_subscribe(b, cap, ver, pkt->subscribe.packet_id, es,
					      pkt->subscribe.count, pr->raw.p, pr->raw.len);
	case MQTT_UNSUBSCRIBE:
		pr = &pkt->subscribe.props;
		return codec_encode_unsubscribe(b, cap, ver, pkt->subscribe.packet_id, fs,
						pkt->subscribe.count, pr->raw.p, pr->raw.len);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		pr = &pkt->suback.props;
		return codec_encode_suback(b, cap, ver, pkt->type, pkt->suback.packet_id,
					   pkt->suback.codes.p, pkt->suback.codes.len, pr->raw.p,
					   pr->raw.len);
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return codec_encode_simple(b, cap, pkt->type);
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		pr = &pkt->disconnect.props;
		return codec_encode_disconnect(b, cap, ver, pkt->type, pkt->disconnect.reason,
					       pr->raw.p, pr->raw.len);
	}
	abort();
}

/* Entries of a (UN)SUBSCRIBE, checked against the reference filter rules. */
static void walk_entries(const struct mqtt_packet *pkt, uint8_t ver, int rc, uint8_t reason,
			 struct mqtt_sub_entry *es, struct mqtt_buf *fs)
{
	bool unsub = pkt->type == MQTT_UNSUBSCRIBE, any_bad = false;
	struct mqtt_buf cur = pkt->subscribe.entries;
	struct mqtt_sub_entry e;
	uint32_t n = 0;

	while (codec_sub_next(&cur, ver, unsub, &e) == 1) {
		CHECK(n < pkt->subscribe.count);
		CHECK(ref_utf8(e.filter.p, e.filter.len));
		CHECK(e.qos < 3 && e.retain_handling < 3);
		if (ver != MQTT_V5 || unsub)
			CHECK(!e.no_local && !e.retain_as_published && !e.retain_handling);
		any_bad |= !ref_filter(e.filter, ver);
		es[n] = e;
		fs[n] = e.filter;
		n++;
	}
	CHECK(cur.len == 0);
	CHECK(n == pkt->subscribe.count && n >= 1);
	CHECK(any_bad == (rc != 0));
	CHECK(rc == 0 || reason == MQTT_RC_TOPIC_FILTER_INVALID);
}

static void check_encoder(const struct mqtt_packet *pkt, uint8_t ver, int rc, uint8_t reason,
			  const struct mqtt_sub_entry *es, const struct mqtt_buf *fs)
{
	uint8_t dver = pkt->type == MQTT_CONNECT ? 0 : ver, reason2;
	size_t n = encode(pkt, ver, NULL, 0, es, fs), n2;
	struct mqtt_packet pkt2, pkt3;
	uint8_t *b, *b2;
	int rc2;

	CHECK(n >= 2);
	/* One byte short: nothing written (canary intact). */
	b = malloc(n);
	b[0] = 0xa5;
	CHECK(encode(pkt, ver, b, n - 1, es, fs) == n);
	CHECK(b[0] == 0xa5);
	CHECK(encode(pkt, ver, b, n, es, fs) == n);
	rc2 = codec_decode(b, n, dver, &pkt2, &reason2);
	CHECK(rc2 == rc && reason2 == reason);
	pkt_same(pkt, &pkt2);

	/* Idempotent: encoding the re-decoded packet gives the same bytes. */
	n2 = encode(&pkt2, ver, NULL, 0, es, fs);
	CHECK(n2 == n);
	b2 = malloc(n);
	CHECK(encode(&pkt2, ver, b2, n, es, fs) == n);
	CHECK(!memcmp(b, b2, n));
	CHECK(codec_decode(b2, n, dver, &pkt3, &reason2) == rc);
	pkt_same(&pkt2, &pkt3);

	/* PUBLISH by reference: header part + payload are the same bytes. */
	if (pkt->type == MQTT_PUBLISH) {
		const struct mqtt_publish *m = &pkt->publish;
		size_t h = codec_publish_header_size(ver, m->qos, (uint16_t)m->topic.len,
						     m->props.raw.len, m->payload.len);

		CHECK(h + m->payload.len == n);
		memset(b2, 0, n);
		CHECK(codec_encode_publish(b2, h, ver, m->qos, m->dup, m->retain, m->topic.p,
					   (uint16_t)m->topic.len, m->packet_id, m->props.raw.p,
					   m->props.raw.len, NULL, m->payload.len) == n);
		CHECK(!memcmp(b, b2, h));
	}
	free(b);
	free(b2);
}

static void check_frame(const uint8_t *fr, size_t n, uint8_t ver)
{
	struct mqtt_sub_entry *es = NULL;
	struct mqtt_buf *fs = NULL;
	struct mqtt_packet pkt;
	uint8_t reason = 0xee;
	bool complete;
	int rc;

	CHECK(codec_decode(fr, n - 1, ver, &pkt, NULL) == -EAGAIN);
	if ((fr[0] >> 4) != MQTT_CONNECT) {
		/* Before CONNECT (no version yet) anything else is a protocol error. */
		CHECK(codec_decode(fr, n, 0, &pkt, &reason) == -EBADMSG);
		CHECK(reason == MQTT_RC_PROTOCOL_ERROR);
	}
	{
		/* One byte more than the frame is malformed. */
		uint8_t *more = malloc(n + 1);

		memcpy(more, fr, n);
		more[n] = 0;
		CHECK(codec_decode(more, n + 1, ver, &pkt, &reason) == -EBADMSG);
		CHECK(reason == MQTT_RC_MALFORMED);
		free(more);
	}
	rc = codec_decode(fr, n, ver, &pkt, &reason);
	switch (rc) {
	case 0:
		CHECK(reason == MQTT_RC_SUCCESS);
		break;
	case -EPROTONOSUPPORT:
		CHECK(reason == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION);
		CHECK((fr[0] >> 4) == MQTT_CONNECT);
		return;
	case -EBADMSG:
		CHECK(reason == MQTT_RC_MALFORMED || reason == MQTT_RC_PROTOCOL_ERROR ||
		      reason == MQTT_RC_TOPIC_NAME_INVALID ||
		      reason == MQTT_RC_TOPIC_FILTER_INVALID ||
		      reason == MQTT_RC_CLIENT_ID_NOT_VALID ||
		      reason == MQTT_RC_TOPIC_ALIAS_INVALID);
		break;
	default:
		CHECK(!"unexpected return code");
	}
	/* Errors after which the header promises a complete description. */
	complete = !rc || reason == MQTT_RC_CLIENT_ID_NOT_VALID ||
		   reason == MQTT_RC_TOPIC_FILTER_INVALID;
	if (!complete)
		return;
	CHECK(pkt.type >= MQTT_CONNECT && pkt.type <= MQTT_AUTH);
	if (pkt.type == MQTT_CONNECT) {
		ver = pkt.connect.version;
		CHECK(ver >= MQTT_V31 && ver <= MQTT_V5);
		CHECK(ref_utf8(pkt.connect.client_id.p, pkt.connect.client_id.len));
		if (pkt.connect.will)
			CHECK(ref_topic_name(pkt.connect.will_topic));
		CHECK(rc == 0 || !pkt.connect.client_id.len);
	}
	if (pkt.type == MQTT_PUBLISH) {
		CHECK(pkt.publish.topic.len || ver == MQTT_V5);
		if (pkt.publish.topic.len)
			CHECK(ref_topic_name(pkt.publish.topic));
		CHECK(pkt.publish.qos < 3 && (pkt.publish.qos || !pkt.publish.packet_id));
	}
	if (reason == MQTT_RC_TOPIC_FILTER_INVALID)
		CHECK(pkt.type == MQTT_SUBSCRIBE || pkt.type == MQTT_UNSUBSCRIBE);
	if (reason == MQTT_RC_CLIENT_ID_NOT_VALID)
		CHECK(pkt.type == MQTT_CONNECT);
	walk_all_props(&pkt, ver);
	if (pkt.type == MQTT_SUBSCRIBE || pkt.type == MQTT_UNSUBSCRIBE) {
		es = calloc(pkt.subscribe.count, sizeof(*es));
		fs = calloc(pkt.subscribe.count, sizeof(*fs));
		walk_entries(&pkt, ver, rc, reason, es, fs);
	}
	check_encoder(&pkt, ver, rc, reason, es, fs);
	free(es);
	free(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off;
	uint8_t ver;

	/* The UTF-8 scanner against the reference, at a few alignments. */
	for (off = 0; off < 8 && off <= size; off++)
		CHECK(codec_utf8_valid(data + off, size - off) == ref_utf8(data + off, size - off));

	for (ver = MQTT_V31; ver <= MQTT_V5; ver++) {
		const uint8_t *p = data;
		size_t left = size;

		while (left) {
			struct mqtt_frame f;
			uint8_t reason = 0xee, *fr;
			size_t n;
			int rc = codec_frame(p, left, 0, &f, &reason);

			if (rc == -EAGAIN) {
				CHECK(reason == 0);
				CHECK(f.hdr_len == 0 || f.hdr_len + (size_t)f.rem_len > left);
				break;
			}
			if (rc) {
				CHECK(rc == -EBADMSG && reason == MQTT_RC_MALFORMED);
				CHECK(left >= 5 && (p[1] & p[2] & p[3] & p[4] & 0x80));
				break;
			}
			n = f.hdr_len + (size_t)f.rem_len;
			CHECK(f.hdr_len >= 2 && f.hdr_len <= 5 && n <= left);
			CHECK(f.type == p[0] >> 4 && f.flags == (p[0] & 15));
			{
				/* Only the fixed header: the short-buffer path must agree. */
				struct mqtt_frame h;
				uint8_t *hb = malloc(f.hdr_len);

				memcpy(hb, p, f.hdr_len);
				rc = codec_frame(hb, f.hdr_len, 0, &h, NULL);
				CHECK(rc == (f.rem_len ? -EAGAIN : 0));
				CHECK(h.hdr_len == f.hdr_len && h.rem_len == f.rem_len);
				free(hb);
			}
			CHECK(codec_frame(p, left, (uint32_t)n, &f, NULL) == 0);
			CHECK(codec_frame(p, left, (uint32_t)n - 1, &f, &reason) == -EMSGSIZE);
			CHECK(reason == MQTT_RC_PACKET_TOO_LARGE);
			fr = malloc(n);
			memcpy(fr, p, n);
			check_frame(fr, n, ver);
			free(fr);
			p += n;
			left -= n;
		}
	}
	return 0;
}
