/* SPDX-License-Identifier: MIT */
/* broker_subscribe: SUBSCRIBE / UNSUBSCRIBE and retained delivery on subscribe. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_auth.h"
#include "broker_deliver.h"
#include "broker_fastpath.h"
#include "broker_store.h"
#include "broker_mount.h"
#include "broker_retained.h"
#include "broker_subscribe.h"
#include "log.h"

/* SUBACK or UNSUBACK, encoded straight into the output queue. */
static void send_suback(struct client *c, uint8_t type, uint16_t pid, const uint8_t *codes,
			uint32_t n)
{
	size_t len = codec_encode_suback(NULL, 0, c->version, type, pid, codes, n, NULL, 0);
	uint8_t *dst = outq_reserve(&c->conn->out, (uint32_t)len);

	if (!dst)
		return;
	codec_encode_suback(dst, len, c->version, type, pid, codes, n, NULL, 0);
	outq_commit(&c->conn->out, (uint32_t)len);
	outq_frame_done(&c->conn->out);
	c->b->st.msgs_sent++;
	conn_want_flush(c->conn);
}

/*
 * A topic filter that breaks the syntax (empty [MQTT-4.7.3-1], a misplaced wildcard
 * [MQTT-4.7.1-1/-2], a shared filter without ShareName or filter [MQTT-4.8.2-1/-2]) makes the
 * packet malformed (4.13: it cannot be parsed by the specification's rules): the connection is
 * closed, with DISCONNECT 0x81 in MQTT 5, as Mosquitto does. Only well-formed filters that are
 * refused (ACL, limits) get a per-filter failure code in the SUBACK.
 */
static void filter_malformed(struct client *c, const char *f, uint16_t len)
{
	client_log_proto(c, "malformed topic filter '%.*s'", (int)(len < 128 ? len : 128), f);
	client_close(c, MQTT_RC_MALFORMED, NULL);
}

/* The reason codes of a (UN)SUBSCRIBE's count filters: stack when they fit, else allocated;
 * NULL when out of memory (the client is closed). */
static uint8_t *reason_codes(struct client *c, uint32_t count, uint8_t *stack, size_t stack_len)
{
	uint8_t *codes;

	if (count <= stack_len)
		return stack;
	codes = malloc(count);
	if (!codes)
		client_close(c, MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
	return codes;
}

int broker_handle_subscribe(struct client *c, struct mqtt_packet *pkt)
{
	struct broker *b = c->b;
	struct session *s = c->session;
	struct mqtt_subscribe *sp = &pkt->subscribe;
	struct mqtt_sub_entry e;
	struct mqtt_buf cur = sp->entries;
	uint8_t codes_stack[64] = {0}, *codes;
	uint8_t *isnew = NULL, *acl_opts;
	uint32_t i = 0;
	/* [MQTT-3.8.2-...]: one Subscription Identifier for every filter of the packet */
	uint32_t sub_id = c->version == MQTT_V5 ? sp->props.subscription_id : 0;

	codes = reason_codes(c, sp->count, codes_stack, sizeof(codes_stack));
	if (!codes)
		return -1;
	isnew = calloc(sp->count, 2);
	if (!isnew) {
		if (codes != codes_stack)
			free(codes);
		client_close(c, MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
		return -1;
	}
	acl_opts = isnew + sp->count;
	while (i < sp->count && codec_sub_next(&cur, c->version, false, &e) == 1) {
		const char *f = (const char *)e.filter.p;
		uint16_t flen = (uint16_t)e.filter.len;
		/* at most the listener's max_qos (Mosquitto) */
		uint8_t granted =
		    e.qos > client_listener(c)->max_qos ? client_listener(c)->max_qos : e.qos;
		uint8_t opts = granted;
		bool shared;
		char *mf;
		int r;

		if (c->version == MQTT_V5)
			opts |= (e.no_local ? TOPIC_OPT_NO_LOCAL : 0) |
				(e.retain_as_published ? TOPIC_OPT_RAP : 0) |
				(uint8_t)(e.retain_handling << TOPIC_OPT_RH_SHIFT);
		else if (c->bridge) /* the bridge bit: as Mosquitto 2.0 does (handle_subscribe.c) */
			opts |= TOPIC_OPT_NO_LOCAL | TOPIC_OPT_RAP;
		if (!topic_filter_valid(f, e.filter.len)) {
			filter_malformed(c, f, e.filter.len);
			goto out;
		}
		shared = topic_share_split(f, e.filter.len, NULL, NULL, NULL, NULL);
		if (shared && e.no_local) {
			/* [MQTT-3.8.3-4] */
			client_log_proto(c, "No Local on a shared subscription");
			client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
			goto out;
		}
		/* from here on the filter is the full one (mount_point) */
		if (broker_mount_in(c, &f, &flen, &mf) < 0)
			goto out;
		if (!broker_acl_subscribe(b, s, f, flen, &opts)) {
			free(mf);
			codes[i++] = c->version == MQTT_V5 ? MQTT_RC_NOT_AUTHORIZED : 0x80;
			continue;
		}
		acl_opts[i] = opts;
		r = topic_sub_add(b->topics, f, flen, s, opts, sub_id);
		if (r >= 0 && session_sub_set(s, f, flen, opts, sub_id) < 0) {
			topic_sub_remove(b->topics, f, flen, s);
			r = -ENOMEM;
		}
		if (r < 0) {
			free(mf);
			codes[i++] = c->version == MQTT_V5 ? MQTT_RC_UNSPECIFIED : 0x80;
			continue;
		}
		broker_fp_filter_changed(b, f, flen);
		broker_store_sub(b, s, f, (uint16_t)flen, opts, sub_id);
		isnew[i] = r == 0;
		codes[i++] = granted;
		if (log_enabled(CONFIG_LOG_SUBSCRIBE))
			log_msg(CONFIG_LOG_SUBSCRIBE, "%s %u %.*s", s->client_id, granted,
				(int)flen, f);
		free(mf);
	}
	send_suback(c, MQTT_SUBACK, sp->packet_id, codes, i);

	/* retained messages after the SUBACK, per Retain Handling [MQTT-3.3.1-9..11], in slices
	 * (broker_retained.c) */
	cur = sp->entries;
	for (uint32_t k = 0; k < i && codec_sub_next(&cur, c->version, false, &e) == 1; k++) {
		const char *f = (const char *)e.filter.p;
		uint16_t flen = (uint16_t)e.filter.len;
		char *mf;

		/* no retained messages for shared subscriptions [MQTT-3.8.4-...] */
		if (codes[k] >= 0x80 || e.retain_handling == 2 ||
		    (e.retain_handling == 1 && !isnew[k]) ||
		    topic_share_split(f, flen, NULL, NULL, NULL, NULL))
			continue;
		if (broker_mount_in(c, &f, &flen, &mf) < 0)
			goto out;
		broker_retained_subscribe(c, f, flen, codes[k], acl_opts[k], sub_id);
		free(mf);
	}
out:
	if (codes != codes_stack)
		free(codes);
	free(isnew);
	return c->conn ? 0 : -1;
}

int broker_handle_unsubscribe(struct client *c, struct mqtt_packet *pkt)
{
	struct broker *b = c->b;
	struct session *s = c->session;
	struct mqtt_subscribe *sp = &pkt->subscribe;
	struct mqtt_sub_entry e;
	struct mqtt_buf cur = sp->entries;
	uint8_t codes_stack[64] = {0}, *codes;
	uint32_t i = 0;

	codes = reason_codes(c, sp->count, codes_stack, sizeof(codes_stack));
	if (!codes)
		return -1;
	while (i < sp->count && codec_sub_next(&cur, c->version, true, &e) == 1) {
		const char *f = (const char *)e.filter.p;
		uint16_t flen = (uint16_t)e.filter.len;
		char *mf;
		int r;

		if (!topic_filter_valid(f, e.filter.len)) {
			filter_malformed(c, f, e.filter.len);
			if (codes != codes_stack)
				free(codes);
			return -1;
		}
		if (broker_mount_in(c, &f, &flen, &mf) < 0) {
			if (codes != codes_stack)
				free(codes);
			return -1;
		}
		r = topic_sub_remove(b->topics, f, flen, s);
		broker_retained_unsubscribe(c, f, flen);
		if (session_sub_del(s, f, flen) == 0)
			broker_store_unsub(b, s, f, (uint16_t)flen);
		broker_fp_filter_changed(b, f, flen);
		codes[i++] = r == 0 ? MQTT_RC_SUCCESS : MQTT_RC_NO_SUBSCRIPTION_EXISTED;
		if (log_enabled(CONFIG_LOG_UNSUBSCRIBE))
			log_msg(CONFIG_LOG_UNSUBSCRIBE, "%s %.*s", s->client_id, (int)flen, f);
		free(mf);
	}
	send_suback(c, MQTT_UNSUBACK, sp->packet_id, codes, i);
	if (codes != codes_stack)
		free(codes);
	return 0;
}
