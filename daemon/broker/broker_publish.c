/* SPDX-License-Identifier: MIT */
/*
 * broker_publish: the inbound PUBLISH (limits, v5 rules and topic aliases, write ACL, QoS 2
 * receive state) and the acknowledgements of both directions. Delivery is broker_deliver.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_auth.h"
#include "broker_deliver.h"
#include "broker_fastpath.h"
#include "broker_metrics.h"
#include "broker_mount.h"
#include "broker_publish.h"
#include "broker_store.h"
#include "log.h"

/* v5 acknowledgements tell a publisher nobody matched (0x10); success otherwise. */
static uint8_t ack_reason(const struct client *c, uint32_t matched)
{
	return (c->version == MQTT_V5 && !matched) ? MQTT_RC_NO_MATCHING_SUBSCRIBERS : 0;
}

/* MQTT 5 rules on an inbound PUBLISH: topic alias (resolved into p), no subscription
 * identifier from a client, payload format. -1 when the connection was closed. */
static int publish_v5_checks(struct client *c, struct mqtt_publish *pp, struct pub *p)
{
	uint16_t alias_max = client_alias_max(c); /* the listener's */

	if (pp->props.seen & MQTT_PROP_BIT(MQTT_PROP_SUBSCRIPTION_ID)) {
		client_log_proto(c, "PUBLISH with a subscription identifier");
		client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
		return -1;
	}
	if (pp->props.seen & MQTT_PROP_BIT(MQTT_PROP_TOPIC_ALIAS)) {
		uint16_t a = pp->props.topic_alias;
		struct client_alias *al;

		/* 0 or above our Topic Alias Maximum [MQTT-3.3.2-8], [MQTT-3.3.2-9] */
		if (!a || a > alias_max) {
			client_log_proto(c, "topic alias %u outside 1..%u", a, alias_max);
			client_close(c, MQTT_RC_TOPIC_ALIAS_INVALID, NULL);
			return -1;
		}
		if (!(al = client_alias(c))) {
			client_close(c, MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
			return -1;
		}
		if (pp->topic.len) {
			char *t = strndup((const char *)pp->topic.p, pp->topic.len);

			if (!t) {
				client_close(c, MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
				return -1;
			}
			free(al->in[a]);
			al->in[a] = t;
		} else if (!al->in[a]) {
			client_log_proto(c, "topic alias %u used before it was set", a);
			client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
			return -1;
		} else {
			p->topic = al->in[a];
			p->topic_len = (uint16_t)strlen(al->in[a]);
		}
	}
	if (pp->props.payload_format == 1 && !codec_utf8_valid(pp->payload.p, pp->payload.len)) {
		/* [MQTT-3.3.2-4]: the receiver may check it; we do, and refuse the message */
		if (pp->qos) {
			client_send_ack(c, pp->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, pp->packet_id,
					MQTT_RC_PAYLOAD_FORMAT_INVALID);
			return 1;
		}
		client_log_proto(c, "payload marked UTF-8 is not valid UTF-8");
		client_close(c, MQTT_RC_PAYLOAD_FORMAT_INVALID, NULL);
		return -1;
	}
	return 0;
}

int broker_handle_publish(struct client *c, struct mqtt_packet *pkt)
{
	struct broker *b = c->b;
	const struct config *cfg = b->cfg;
	struct mqtt_publish *pp = &pkt->publish;
	struct session *s = c->session;
	uint8_t fwd[4096];
	uint8_t *fwd_heap = NULL;
	char *mounted;
	struct pub p;
	struct pub_result res = {0};
	uint64_t mark = broker_store_mark(b);
	int ret = 0;

	pub_clear(&p);
	b->st.pub_received++;
	broker_metrics_pub_in(b);
	b->st.pub_bytes_received += pp->payload.len;
	if (broker_memory_full(b)) {
		static struct log_ratelimit rl;

		log_msg_rl(&rl, CONFIG_LOG_WARNING,
			   "memory_limit (%llu bytes) reached: refusing new messages.",
			   (unsigned long long)cfg->memory_limit);
		b->st.pub_dropped++;
		if (!pp->qos)
			return 0;
		if (c->version == MQTT_V5) {
			/* [MQTT-3.4.2-...]: Quota exceeded; the client may retry later */
			client_send_ack(c, pp->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, pp->packet_id,
					MQTT_RC_QUOTA_EXCEEDED);
			return 0; /* a failing PUBREC ends the QoS 2 exchange: no PUBREL */
		}
		/* 3.1.1 has no negative acknowledgement: close without acknowledging, so the
		 * client sends the message again when it reconnects (nothing is lost). */
		client_close(c, 0xFF, "memory_limit reached");
		return -1;
	}
	/* acknowledged means durable: a store that cannot be written takes no QoS 1/2 */
	ret = broker_store_admit(c, pp->qos, pp->packet_id);
	if (ret < 1)
		return ret;
	ret = 0;
	if (pp->retain && !cfg->retain_available) {
		client_log_proto(c, "retained PUBLISH but retain_available is false");
		client_close(c, MQTT_RC_RETAIN_NOT_SUPPORTED, NULL);
		return -1;
	}
	if (pp->qos > client_listener(c)->max_qos) {
		/* Mosquitto: v5 DISCONNECT 0x9B (QoS not supported), v3 closed */
		client_close(c, MQTT_RC_QOS_NOT_SUPPORTED, "PUBLISH QoS above max_qos");
		return -1;
	}
	if (cfg->message_size_limit && pp->payload.len > cfg->message_size_limit) {
		client_log_proto(c, "payload of %u bytes over message_size_limit %u",
				 pp->payload.len, cfg->message_size_limit);
		client_close(c, MQTT_RC_PACKET_TOO_LARGE, NULL);
		return -1;
	}
	p.topic = (const char *)pp->topic.p;
	p.topic_len = (uint16_t)pp->topic.len;
	if (c->version == MQTT_V5) {
		int r = publish_v5_checks(c, pp, &p);

		if (r)
			return r < 0 ? -1 : 0; /* closed, or refused with an acknowledgement */
	}
	if (broker_mount_in(c, &p.topic, &p.topic_len, &mounted) < 0)
		return -1;
	p.payload = pp->payload.p;
	p.payload_len = pp->payload.len;
	p.qos = pp->qos;
	p.retain = pp->retain;
	p.origin = s;
	if (c->version == MQTT_V5 && pp->props.raw.len) {
		uint32_t n = pub_props_forwardable(&pp->props, fwd, sizeof(fwd));

		if (n == UINT32_MAX) {
			fwd_heap = malloc(pp->props.raw.len);
			n = fwd_heap ? pub_props_forwardable(&pp->props, fwd_heap, pp->props.raw.len)
				     : 0;
		}
		p.props = fwd_heap ? fwd_heap : fwd;
		p.props_len = n;
		if (pp->props.seen & MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY))
			p.expiry = loop_now(b->loop) + (int64_t)pp->props.message_expiry * 1000;
	}
	/* from here on every exit goes through `out`, which frees what p holds */
	if (!acl_check(broker_auth_for(b, c->auth_idx)->acl, c->client_id, c->username, p.topic,
		       p.topic_len, ACL_WRITE)) {
		/* refused: dropped, acknowledged as usual (v5 says why) */
		if (log_enabled(CONFIG_LOG_DEBUG))
			log_debug("Denied PUBLISH from %s to '%.*s'.", c->client_id, p.topic_len,
				  p.topic);
		if (pp->qos == 2 && qos_rx2_add(&s->qos, pp->packet_id) == 0)
			broker_store_rx2(b, s, pp->packet_id, true);
		if (pp->qos)
			broker_store_ack(c, pp->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, pp->packet_id,
					 c->version == MQTT_V5 ? MQTT_RC_NOT_AUTHORIZED : 0, mark);
		goto out;
	}
	/* a retained message remembers its publisher (check_retain_source); without memory for
	 * it the retained message is not stored either (retain_store needs the same msg) */
	if (p.retain && p.payload_len && pub_msg(b, &p) &&
	    msg_set_source(p.msg, c->client_id, c->username, c->auth_idx))
		p.retain = 0;
	if (pp->qos == 2) {
		int r = qos_rx2_add(&s->qos, pp->packet_id);

		if (r < 0) {
			client_close(c, MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
			ret = -1;
			goto out;
		}
		if (r == 0 && c->version == MQTT_V5 && qos_rx2_count(&s->qos) > cfg->max_receive) {
			/* more unreleased QoS 2 than our Receive Maximum [MQTT-3.3.4-7] */
			qos_rx2_release(&s->qos, pp->packet_id);
			client_log_proto(c, "more than %u QoS 2 messages in flight",
					 cfg->max_receive);
			client_close(c, MQTT_RC_RECEIVE_MAX_EXCEEDED, NULL);
			ret = -1;
			goto out;
		}
		/* r == 1: a resend of a message we already have: acknowledge only [MQTT-4.3.3] */
		if (r == 0) {
			broker_store_rx2(b, s, pp->packet_id, true);
			res = broker_publish(b, &p);
		} else {
			res.delivered = 1;
		}
		broker_store_ack(c, MQTT_PUBREC, pp->packet_id, ack_reason(c, res.delivered), mark);
	} else {
		res = broker_publish(b, &p);
		if (pp->qos == 1)
			broker_store_puback(c, pp->packet_id, ack_reason(c, res.delivered), mark,
					    p.msg);
		/* the kernel relays as is: not the unmounted topic, not at an upgraded QoS */
		else if (b->fp && !mounted &&
			 !(cfg->upgrade_outgoing_qos && res.single && res.one.qos))
			broker_fp_learn(c, &p, res.single ? &res.one : NULL,
					codec_publish_header_size(c->version, 0, p.topic_len, 0,
								  p.payload_len) +
					    p.payload_len,
					c->version != MQTT_V5 || !pp->props.raw.len);
	}
	/* a subscriber's queue is full: the floor stops reading this publisher */
	ret = res.hold ? 1 : 0;
out:
	pub_release(&p);
	free(fwd_heap);
	free(mounted);
	return ret;
}

int broker_handle_pubrel(struct client *c, struct mqtt_packet *pkt)
{
	uint16_t pid = pkt->ack.packet_id;
	uint64_t mark = broker_store_mark(c->b);
	int r = qos_rx2_release(&c->session->qos, pid);

	if (!r)
		broker_store_rx2(c->b, c->session, pid, false);
	/* Always answer, so the client can complete; v5 says why [MQTT-4.3.3-...]. The
	 * PUBCOMP waits for the id's release to be durable: a restart must not take the
	 * client's next message with this id for a resend. */
	broker_store_ack(c, MQTT_PUBCOMP, pid,
			 (r < 0 && c->version == MQTT_V5) ? MQTT_RC_PACKET_ID_NOT_FOUND : 0, mark);
	return 0;
}

int broker_handle_ack(struct client *c, struct mqtt_packet *pkt)
{
	struct session *s = c->session;
	uint16_t pid = pkt->ack.packet_id;

	broker_store_out_ack(c->b, s, pkt->type, pid, pkt->ack.reason);
	switch (qos_out_ack(&s->qos, pkt->type, pid)) {
	case QOS_ACK_DONE:
		broker_session_pump(c);
		return 0;
	case QOS_ACK_SEND_PUBREL:
		if (pkt->ack.reason >= 0x80) {
			/* a failing PUBREC ends the exchange: no PUBREL, the message counts as
			 * acknowledged and frees its Receive Maximum slot [MQTT-4.3.3-4] */
			qos_out_ack(&s->qos, MQTT_PUBCOMP, pid);
			broker_session_pump(c);
			return 0;
		}
		client_send_ack(c, MQTT_PUBREL, pid, 0);
		return 0;
	case QOS_ACK_UNKNOWN:
		/* A PUBREC for an id we do not know still gets its PUBREL so the peer can
		 * finish; stray PUBACK/PUBCOMP are ignored. */
		if (pkt->type == MQTT_PUBREC)
			client_send_ack(c, MQTT_PUBREL, pid,
					c->version == MQTT_V5 ? MQTT_RC_PACKET_ID_NOT_FOUND : 0);
		return 0;
	case QOS_ACK_WRONG_STATE:
	default:
		client_log_proto(c, "acknowledgement type %u does not fit packet id %u", pkt->type,
				 pid);
		client_close(c, MQTT_RC_PROTOCOL_ERROR, NULL);
		return -1;
	}
}
