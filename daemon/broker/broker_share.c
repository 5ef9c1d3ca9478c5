/* SPDX-License-Identifier: MIT */
/*
 * broker: shared subscriptions, a leaving member's unacknowledged messages (MQTT 5 4.8.2: "If
 * the Client's Session terminates before the Client reconnects, the Server SHOULD send the
 * Application Message to another Client that is subscribed to the same Shared Subscription").
 *
 * When a session ends (Session Expiry 0 and its connection goes, a persistent session expires,
 * a clean start discards it), each message it got through a shared subscription and has not
 * acknowledged goes once to another member of that group chosen by the group's rotation (online
 * members first; with none online, a member's offline persistent session queues it): QoS 1 in
 * flight, then the queue (QoS 1 and 2), in the order the leaver got them. A QoS 2 message
 * already sent to the leaver stays with it and ends with its session: "the Server MUST NOT send
 * the Application Message to any other subscribed Client" [MQTT-4.8.2-5] (whether or not its
 * PUBREC came); a queued QoS 2 message was never in the process of being sent, so it moves.
 * With no other member the message is dropped and counted (pub_dropped). An UNSUBSCRIBE from
 * the share hands nothing over: what is in flight to the still connected client stays with it
 * (session.h: its tags are cleared).
 */
#include "broker_deliver.h"
#include "broker_share.h"
#include "log.h"

struct handover {
	struct broker *b;
	struct pub *p;
	const char *filter;
	size_t flen;
	bool delivered;
};

/* topic_share_pick's choice: deliver as a publish to that member would have. */
static void handover_cb(void *ctx, void *subscriber, uint8_t opts, uint32_t sub_id)
{
	struct handover *h = ctx;
	struct session *s = subscriber;

	if (broker_forward(h->b, s, h->p, opts & TOPIC_OPT_QOS_MASK, opts, sub_id,
			   session_share_tag(s, h->filter, h->flen)))
		h->delivered = true;
}

/* One message of the leaving session s, tagged with its shared subscription. */
static bool handover_one(struct broker *b, struct session *s, struct msg *m, uint16_t tag)
{
	const struct session_sub *sub = session_share_sub(s, tag);
	struct pub p;
	struct handover h = { b, &p, NULL, 0, false };

	if (!sub)
		return false;
	h.filter = sub->filter;
	h.flen = sub->len;
	pub_from_msg(&p, m);
	if (!p.expiry || p.expiry > loop_now(b->loop))
		topic_share_pick(b->topics, sub->filter, sub->len, handover_cb, &h);
	else
		h.delivered = true; /* expired: nobody gets it, not a loss to count */
	pub_release(&p);
	return h.delivered;
}

void broker_share_handover(struct broker *b, struct session *s)
{
	struct qos_entry *e;
	struct session_queued q;
	uint32_t i = 0, moved = 0, lost = 0;

	/* in flight (sent first): QoS 1 only [MQTT-4.8.2-5] */
	while ((e = qos_out_at(&s->qos, &i))) {
		if (!e->share || !e->msg || e->qos != 1)
			continue;
		if (handover_one(b, s, e->msg, e->share))
			moved++;
		else
			lost++;
	}
	/* then the queue, in order; what is taken from it is gone from s either way */
	while (session_queue_pop(s, &q)) {
		if (q.share && q.qos) {
			if (handover_one(b, s, q.msg, q.share))
				moved++;
			else
				lost++;
		}
		msg_unref(q.msg);
	}
	if (lost) {
		b->st.pub_dropped += lost;
		s->dropped += lost;
	}
	if (moved || lost)
		log_info_rl("Client %s: %u unacknowledged shared-subscription message%s handed to "
			    "other members, %u dropped (no other member).",
			    s->client_id, moved, moved == 1 ? "" : "s", lost);
}
