/* SPDX-License-Identifier: MIT */
/*
 * broker_deliver: the data plane below the packet handlers. Matching a message against the
 * topic tree, per-session delivery (QoS downgrade, in-flight window, queues, outbound topic
 * aliases), retained storage, resending and pumping a session's queue, and backpressure, which
 * it reports to its callers as a result (the caller decides whom to stop reading).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_bridge.h"
#include "broker_deliver.h"
#include "broker_auth.h"
#include "broker_store.h"
#include "broker_mount.h"
#include "broker_retained.h"
#include "log.h"
#include "vec.h"

/* Payloads at least this large are sent by reference from the one msg copy. */
#define PAYLOAD_BY_REF 4096u
/* QoS 0 output allowed to pile up for one online subscriber when max_queued_bytes is 0. */
#define QOS0_QUEUE_BYTES (1u << 20)

struct msg *pub_msg(struct broker *b, struct pub *p)
{
	if (!p->msg)
		p->msg = msg_new(b->mem, p->topic, p->topic_len, p->payload, p->payload_len,
				 p->props, p->props_len, p->qos, p->retain, p->expiry, p->origin);
	return p->msg;
}

void pub_from_msg(struct pub *p, struct msg *m)
{
	p->topic = m->topic;
	p->topic_len = m->topic_len;
	p->payload = m->payload;
	p->payload_len = m->payload_len;
	p->props = m->props;
	p->props_len = m->props_len;
	p->qos = m->qos;
	p->retain = m->retain;
	p->expiry = m->expiry;
	p->origin = m->origin;
	p->msg = msg_ref(m);
	p->fan = false;
	p->framed = 0;
}

/* Keep the v5 properties a receiver must get unchanged [MQTT-3.3.2-...]: payload format,
 * content type, response topic, correlation data, user properties (in order). */
uint32_t pub_props_forwardable(const struct mqtt_props *in, uint8_t *out, uint32_t cap)
{
	struct mqtt_buf cur = in->raw;
	uint32_t len = 0;

	for (;;) {
		const uint8_t *start = cur.p;
		uint8_t id;
		struct mqtt_buf v1, v2;
		uint32_t num, n;

		if (codec_prop_next(&cur, &id, &v1, &v2, &num) != 1)
			break;
		if (id != MQTT_PROP_PAYLOAD_FORMAT && id != MQTT_PROP_CONTENT_TYPE &&
		    id != MQTT_PROP_RESPONSE_TOPIC && id != MQTT_PROP_CORRELATION_DATA &&
		    id != MQTT_PROP_USER_PROPERTY)
			continue;
		n = (uint32_t)(cur.p - start);
		if (len + n > cap)
			return UINT32_MAX;
		memcpy(out + len, start, n);
		len += n;
	}
	return len;
}

void pub_frames_release(struct pub *p)
{
	struct pub_frame *f = &p->frame[0][0];

	for (unsigned i = 0; p->framed; i++) {
		if (p->framed & (1u << i)) {
			rbuf_unref(f[i].rb);
			p->framed &= (uint8_t) ~(1u << i);
		}
	}
}

void broker_retained_free(void *msg)
{
	msg_unref(msg);
}

/*
 * Every Subscription Identifier of the session's subscriptions that match this message
 * [MQTT-3.3.4-3]: used when several matched (BROKER_SUBID_MULTI), computed at send time from
 * the session's subscription list so queued and resent messages need to store only one id.
 */
static uint32_t delivery_subids(const struct session *s, const struct pub *p, uint32_t first,
				uint32_t *ids, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; s && i < s->n_subs && n < max; i++) {
		const struct session_sub *sub = &s->subs[i];
		const char *f = sub->filter, *rest;
		size_t flen = sub->len, rest_len;

		if (!sub->sub_id)
			continue;
		if (topic_share_split(f, flen, NULL, NULL, &rest, &rest_len)) {
			f = rest;
			flen = rest_len;
		}
		if (topic_matches(f, flen, p->topic, p->topic_len))
			ids[n++] = sub->sub_id;
	}
	if (!n && (first & ~BROKER_SUBID_MULTI))
		ids[n++] = first & ~BROKER_SUBID_MULTI;
	return n;
}

static int client_alias_out_add(struct client *c, const char *topic, uint16_t len)
{
	struct client_alias *al = client_alias(c);
	struct alias_out *a;

	if (!al)
		return -ENOMEM;
	if (!al->out) {
		al->out = calloc(c->alias_out_max, sizeof(*al->out));
		if (!al->out)
			return -ENOMEM;
	}
	a = &al->out[al->out_n];
	a->topic = malloc(len ? len : 1);
	if (!a->topic)
		return -ENOMEM;
	memcpy(a->topic, topic, len);
	a->len = len;
	al->out_n++;
	return 0;
}

/* Every QoS 0 subscriber of p that gets these bytes unchanged (v3, or v5 without topic alias,
 * Message Expiry or Subscription Identifier; no mount point) shares one frame: NULL when c's
 * frame is its own. */
static struct pub_frame *shared_frame(const struct client *c, struct pub *p, uint8_t qos,
				      uint8_t retain, uint32_t sub_id)
{
	bool v5 = c->version == MQTT_V5;

	if (!p->fan || qos || broker_mount_is(c) ||
	    (v5 && (c->alias_out_max || p->expiry || sub_id)))
		return NULL;
	return &p->frame[v5][retain & 1];
}

static void sent_publish(struct client *c, const struct pub *p)
{
	struct broker *b = c->b;

	outq_frame_done(&c->conn->out);
	b->st.msgs_sent++;
	b->st.pub_sent++;
	b->st.pub_bytes_sent += p->payload_len;
	conn_want_flush(c->conn);
}

/* Queue f, encoded for an earlier subscriber, by reference (fan-out: no encoding, no copy). */
static int send_shared(struct client *c, struct pub *p, const struct pub_frame *f)
{
	struct outq *q = &c->conn->out;
	uint32_t pl = f->payload_ref ? p->payload_len : 0;

	if (c->max_packet_out && (uint64_t)f->len + pl > c->max_packet_out)
		return -EMSGSIZE;
	/* header and payload reference must both get in, or neither */
	if (outq_prepare(q, 2) < 0 || outq_append_ref(q, f->rb, f->off, f->len) < 0 ||
	    (pl && outq_append_ref(q, &p->msg->rb, 0, pl) < 0))
		return -ENOMEM;
	sent_publish(c, p);
	return 0;
}

/* p's `framed` bit of f (one of p->frame) */
static uint8_t frame_bit(const struct pub *p, const struct pub_frame *f)
{
	return (uint8_t)(1u << (f - &p->frame[0][0]));
}

/* Keep the frame just encoded into c's queue (len bytes; the payload follows by reference
 * when payload_ref) for the next subscribers of p that get the same bytes. */
static void frame_keep(struct client *c, struct pub *p, struct pub_frame *f, uint32_t len,
		       bool payload_ref)
{
	struct rbuf *rb = outq_last_commit(&c->conn->out, len, &f->off);

	if (!rb)
		return;
	f->rb = rbuf_ref(rb);
	f->len = len;
	f->payload_ref = payload_ref;
	p->framed |= frame_bit(p, f);
}

/*
 * Encode one PUBLISH into c's output queue. v5 receivers get the forwardable properties plus
 * the remaining Message Expiry and the Subscription Identifier; v3 receivers get none.
 * Returns 0, or -EMSGSIZE when the packet exceeds the client's Maximum Packet Size (the
 * message is then dropped for that client [MQTT-3.1.2-25]) or its topic is outside the
 * client's mount point, -ENOMEM.
 */
static int client_send_publish(struct client *c, struct pub *p, uint8_t qos, uint8_t retain,
			       bool dup, uint16_t pid, uint32_t sub_id)
{
	struct broker *b = c->b;
	struct outq *q = &c->conn->out;
	uint8_t propbuf[2048];
	const uint8_t *props = NULL;
	uint32_t props_len = 0;
	size_t hdr, total;
	uint8_t *dst;

	const char *topic = p->topic;
	uint16_t topic_len = p->topic_len, alias = 0, full_len;
	bool alias_new = false;
	struct pub_frame *shared = dup ? NULL : shared_frame(c, p, qos, retain, sub_id);

	if (shared && (p->framed & frame_bit(p, shared)))
		return send_shared(c, p, shared);
	/* a mounted client sees its topics without the prefix, and nothing outside it (dropped
	 * for this client like a message over its Maximum Packet Size) */
	if (!broker_mount_out(c, &topic, &topic_len))
		return -EMSGSIZE;
	full_len = topic_len;

	if (c->version == MQTT_V5) {
		struct mqtt_propbuf pb;

		/* outbound topic aliases, when the client allows them: the first topics get one
		 * each, later messages on them carry the alias and an empty topic */
		if (c->alias_out_max) {
			const struct client_alias *al = c->alias;
			uint16_t n = al ? al->out_n : 0;

			for (uint16_t i = 0; i < n; i++) {
				if (al->out[i].len == full_len &&
				    !memcmp(al->out[i].topic, topic, full_len)) {
					alias = (uint16_t)(i + 1);
					topic_len = 0;
					break;
				}
			}
			if (!alias && n < c->alias_out_max) {
				alias = (uint16_t)(n + 1);
				alias_new = true;
			}
		}
		codec_props_init(&pb, propbuf, sizeof(propbuf));
		if (alias)
			codec_props_u16(&pb, MQTT_PROP_TOPIC_ALIAS, alias);
		if (p->expiry) {
			int64_t left = (p->expiry - loop_now(b->loop) + 999) / 1000;

			codec_props_u32(&pb, MQTT_PROP_MESSAGE_EXPIRY,
					left > 0 ? (uint32_t)left : 0);
		}
		if (sub_id & BROKER_SUBID_MULTI) {
			uint32_t ids[16];
			uint32_t n = delivery_subids(c->session, p, sub_id, ids, 16);

			for (uint32_t i = 0; i < n; i++)
				codec_props_varint(&pb, MQTT_PROP_SUBSCRIPTION_ID, ids[i]);
		} else if (sub_id) {
			codec_props_varint(&pb, MQTT_PROP_SUBSCRIPTION_ID, sub_id);
		}
		codec_props_raw(&pb, p->props, p->props_len);
		if (pb.overflow)
			return -ENOMEM;
		props = propbuf;
		props_len = pb.len;
	}
	hdr = codec_publish_header_size(c->version, qos, topic_len, props_len, p->payload_len);
	total = hdr + p->payload_len;
	if (c->max_packet_out && total > c->max_packet_out)
		return -EMSGSIZE;
	if (alias_new && client_alias_out_add(c, topic, full_len) < 0)
		return -ENOMEM;
	if (p->payload_len >= PAYLOAD_BY_REF && pub_msg(c->b, p)) {
		/* header and payload reference must both get in, or neither */
		if (outq_prepare(q, 2) < 0)
			return -ENOMEM;
		dst = outq_reserve(q, (uint32_t)hdr);
		if (!dst)
			return -ENOMEM;
		codec_encode_publish(dst, hdr, c->version, qos, dup, retain, (const uint8_t *)topic,
				     topic_len, pid, props, props_len, NULL, p->payload_len);
		outq_commit(q, (uint32_t)hdr);
		if (shared)
			frame_keep(c, p, shared, (uint32_t)hdr, true);
		if (outq_append_ref(q, &p->msg->rb, 0, p->payload_len) < 0)
			return -ENOMEM;
	} else {
		dst = outq_reserve(q, (uint32_t)total);
		if (!dst || outq_prepare(q, 1) < 0)
			return -ENOMEM;
		codec_encode_publish(dst, total, c->version, qos, dup, retain,
				     (const uint8_t *)topic, topic_len, pid, props, props_len,
				     p->payload, p->payload_len);
		outq_commit(q, (uint32_t)total);
		if (shared)
			frame_keep(c, p, shared, (uint32_t)total, false);
	}
	sent_publish(c, p);
	return 0;
}

static uint32_t client_window(const struct client *c)
{
	uint32_t w = c->b->cfg->max_inflight_messages;

	if (c->version == MQTT_V5 && (!w || c->recv_max_out < w))
		w = c->recv_max_out;
	return w ? w : UINT32_MAX;
}

/*
 * May one more message go in flight to c? Within the window of client_window() and, with
 * max_inflight_bytes, while the payload bytes in flight are below it: a message larger than
 * the limit still goes, alone (Mosquitto's manual).
 */
static bool window_open(const struct client *c, uint32_t window)
{
	const struct qos_window *q = &c->session->qos;
	uint64_t lim = c->b->max_inflight_bytes;

	return qos_out_active(q) < window && (!lim || qos_out_bytes(q) < lim);
}

static void drop(struct broker *b, struct session *s, const char *why)
{
	b->st.pub_dropped++;
	s->dropped++;
	if (log_enabled(CONFIG_LOG_DEBUG))
		log_debug("Dropped message for %s: %s.", s->client_id, why);
}

/* A message too large for this client [MQTT-3.1.2-25]: complete it locally so the window
 * moves on. Must not be called while walking the window with qos_out_at. */
static void inflight_abandon(struct client *c, uint16_t pid, uint8_t qos)
{
	struct session *s = c->session;

	broker_store_out_ack(c->b, s, 0, pid, 0);
	if (qos == 1) {
		qos_out_ack(&s->qos, MQTT_PUBACK, pid);
	} else {
		qos_out_ack(&s->qos, MQTT_PUBREC, pid);
		qos_out_ack(&s->qos, MQTT_PUBCOMP, pid);
	}
	drop(c->b, s, "larger than the client's maximum packet size");
}

/* Send a QoS 1/2 message now: into the window, then onto the wire. store_seq: its store entry
 * when it comes from the queue, else 0. */
static void send_inflight(struct client *c, struct pub *p, uint8_t qos, uint8_t retain,
			  uint32_t sub_id, uint16_t share, uint64_t store_seq)
{
	struct session *s = c->session;
	struct qos_entry *e;
	uint16_t pid;

	if (qos_out_add(&s->qos, pub_msg(c->b, p), qos, retain, sub_id, &pid) < 0) {
		broker_store_out_del(c->b, s, store_seq, p->msg);
		drop(c->b, s, "no packet id");
		return;
	}
	e = qos_out_last(&s->qos);
	e->share = share;
	e->store_seq = store_seq;
	broker_store_sent(c->b, s, e);
	if (client_send_publish(c, p, qos, retain, false, pid, sub_id) == -EMSGSIZE)
		inflight_abandon(c, pid, qos);
}

/*
 * QoS 1/2 to an online subscriber whose queue is half full: true asks the caller to stop
 * reading the publisher instead of letting the queue overflow and drop. A subscriber that
 * takes nothing from its queue for BROKER_BP_MAX_MS no longer holds anyone back: it gets
 * Mosquitto's policy (drop beyond max_queued_messages / max_queued_bytes) until it drains.
 */
static bool backpressure_check(struct broker *b, struct session *s)
{
	const struct config *cfg = b->cfg;
	int64_t now = loop_now(b->loop);

	uint64_t n = broker_session_queued(s);

	if (!((cfg->max_queued_messages && n >= cfg->max_queued_messages / 2) ||
	      (cfg->max_queued_bytes && session_queue_bytes(s) >= cfg->max_queued_bytes / 2)))
		return false;
	if (!s->bp_since)
		s->bp_since = now;
	else if (now - s->bp_since > BROKER_BP_MAX_MS)
		return false;
	return true;
}

/* The queue drained (or its client left): release the publishers it held back. */
void broker_backpressure_release(struct broker *b, struct session *s)
{
	const struct config *cfg = b->cfg;
	uint64_t n = broker_session_queued(s);

	if (!s->bp_since)
		return;
	if (s->client && ((cfg->max_queued_messages && n > cfg->max_queued_messages / 4) ||
			  (cfg->max_queued_bytes && session_queue_bytes(s) > cfg->max_queued_bytes / 4)))
		return;
	s->bp_since = 0;
	client_resume_all(b);
}

bool broker_deliver(struct broker *b, struct session *s, struct pub *p, uint8_t qos, uint8_t retain,
		    uint32_t sub_id, uint16_t share)
{
	struct client *c = s->client;
	const struct config *cfg = b->cfg;
	int r;

	if (p->expiry && p->expiry <= loop_now(b->loop))
		return false;
	if (c && c->state != CLIENT_ACTIVE)
		c = NULL;
	if (qos == 0) {
		if (c) {
			uint64_t lim =
			    cfg->max_queued_bytes ? cfg->max_queued_bytes : QOS0_QUEUE_BYTES;

			if (!outq_empty(&c->conn->out) && c->conn->out.bytes + p->payload_len > lim)
				drop(b, s, "QoS 0 output queue full");
			else if (broker_memory_full(b))
				drop(b, s, "memory_limit reached");
			else if (client_send_publish(c, p, 0, retain, false, 0, sub_id) < 0)
				drop(b, s, "QoS 0 message not sent");
			return false;
		}
		if (!cfg->queue_qos0_messages || !pub_msg(b, p))
			return false;
	} else if (!pub_msg(b, p)) {
		drop(b, s, "out of memory");
		return false;
	}
	/* Keep order: nothing overtakes what is already queued (in memory or in the store). */
	r = broker_spill_deliver(b, s, p->msg, qos, retain, sub_id, share, c != NULL, 1);
	if (r == -ENOBUFS && c &&
	    (!s->bp_since || loop_now(b->loop) - s->bp_since <= BROKER_BP_MAX_MS))
		r = broker_spill_deliver(b, s, p->msg, qos, retain, sub_id, share, true, 4);
	if (r < 0) {
		drop(b, s, r == -ENOBUFS ? "queue full" : "out of memory");
		return false;
	}
	if (r > 0)
		return c && backpressure_check(b, s);
	if (c && !session_queue_count(s) && !broker_spill_n(s) && window_open(c, client_window(c))) {
		if (qos)
			send_inflight(c, p, qos, retain, sub_id, share, 0);
		else if (client_send_publish(c, p, 0, retain, false, 0, sub_id) < 0)
			drop(b, s, "QoS 0 message not sent");
		return false;
	}
	r = session_queue_push(s, p->msg, qos, retain, sub_id, cfg->max_queued_messages,
			       cfg->max_queued_bytes);
	/*
	 * An online subscriber that is holding publishers back may go past its limits: each
	 * publisher is paused right after the message that filled the queue, so with many
	 * publishers the overshoot is one message per publisher, bounded here by 4x the limits.
	 */
	if (r == -ENOBUFS && c && qos &&
	    (!s->bp_since || loop_now(b->loop) - s->bp_since <= BROKER_BP_MAX_MS))
		r = session_queue_push(s, p->msg, qos, retain, sub_id, cfg->max_queued_messages * 4,
				       cfg->max_queued_bytes * 4);
	if (r < 0) {
		drop(b, s, "queue full");
		return false;
	}
	session_queue_last(s)->share = share;
	session_queue_last(s)->store_seq =
	    broker_store_queued(b, s, p->msg, qos, retain, sub_id, share);
	return c && qos && backpressure_check(b, s);
}

void broker_session_pump(struct client *c)
{
	struct session *s = c->session;
	struct session_queued e;
	uint32_t window = client_window(c);
	bool took = false;

	while (session_queue_count(s) && window_open(c, window) && session_queue_pop(s, &e)) {
		struct pub p; /* pub_from_msg sets every field: no clearing (rep stos at -Os) */

		took = true;

		pub_from_msg(&p, e.msg);
		msg_unref(e.msg); /* pub_from_msg took its own reference */
		if (!p.expiry || p.expiry > loop_now(c->b->loop)) {
			if (e.qos)
				send_inflight(c, &p, e.qos, e.retain, e.sub_id, e.share,
					      e.store_seq);
			else
				client_send_publish(c, &p, 0, e.retain, false, 0, e.sub_id);
		} else {
			broker_store_out_del(c->b, s, e.store_seq, p.msg);
		}
		pub_release(&p);
		if (!c->conn || c->conn->closed)
			return;
	}
	/* a subscriber that takes messages is live, however far behind: it holds publishers
	 * back for as long as it keeps taking them (BROKER_BP_MAX_MS counts from its last one) */
	if (took && s->bp_since)
		s->bp_since = loop_now(c->b->loop);
	broker_backpressure_release(c->b, s);
	broker_spill_refill(c->b, s); /* the queue's tail in the store, a page at a time */
}

void broker_session_resume(struct client *c)
{
	struct session *s = c->session;
	struct qos_entry *e;
	uint32_t i = 0, n_big = 0;
	uint16_t *big = NULL; /* too large for this client: completed after the walk */
	uint8_t *big_qos = NULL;

	broker_store_resume(c);
	/* [MQTT-4.4.0-1]: resend unacknowledged PUBLISH (DUP) and PUBREL, in order */
	while ((e = qos_out_at(&s->qos, &i))) {
		if (e->state == QOS_WAIT_PUBCOMP) {
			client_send_ack(c, MQTT_PUBREL, e->pid, 0);
		} else {
			struct pub p = {0};

			pub_from_msg(&p, e->msg);
			if (client_send_publish(c, &p, e->qos, e->retain, true, e->pid,
						e->sub_id) == -EMSGSIZE) {
				uint16_t *nb = realloc(big, (n_big + 1) * sizeof(*big));
				uint8_t *nq = nb ? realloc(big_qos, n_big + 1) : NULL;

				if (nb)
					big = nb;
				if (nq) {
					big_qos = nq;
					big[n_big] = e->pid;
					big_qos[n_big++] = e->qos;
				}
			}
			pub_release(&p);
		}
	}
	for (uint32_t k = 0; k < n_big; k++)
		inflight_abandon(c, big[k], big_qos[k]);
	free(big);
	free(big_qos);
	broker_session_pump(c);
}

/* topic_match's context: the broker (its match scratch) and the subscriptions seen */
struct match_ctx {
	struct broker *b;
	uint32_t subs; /* before merging */
};

static void match_cb(void *ctx, void *subscriber, uint8_t opts, uint32_t sub_id)
{
	struct match_ctx *mc = ctx;
	struct broker *b = mc->b;
	struct session *s = subscriber;
	struct match *m;

	mc->subs++;
	/* overlapping subscriptions: one delivery at the highest QoS [MQTT-3.3.5-1] */
	if (s->match_gen == b->match_gen && !(opts & TOPIC_OPT_SHARED)) {
		m = &b->m[s->match_idx];
		if ((opts & TOPIC_OPT_QOS_MASK) > m->qos)
			m->qos = opts & TOPIC_OPT_QOS_MASK;
		m->opts |= opts & TOPIC_OPT_RAP;
		/* an overlapping subscription without the ACL check flag vouches for the topic */
		if (!(opts & BROKER_OPT_ACL_CHECK))
			m->opts &= (uint8_t)~BROKER_OPT_ACL_CHECK;
		if (!m->sub_id)
			m->sub_id = sub_id;
		else if (sub_id && sub_id != (m->sub_id & ~BROKER_SUBID_MULTI))
			m->sub_id |= BROKER_SUBID_MULTI;
		return;
	}
	if (VEC_GROW(b->m, b->m_len, b->m_cap, 64))
		return;
	if (!(opts & TOPIC_OPT_SHARED)) {
		s->match_gen = b->match_gen;
		s->match_idx = b->m_len;
	}
	m = &b->m[b->m_len++];
	m->s = s;
	m->qos = opts & TOPIC_OPT_QOS_MASK;
	m->opts = opts;
	m->sub_id = sub_id;
	m->share = 0;
	if (opts & TOPIC_OPT_SHARED) {
		/* which of s's shared subscriptions: its messages go to the group if s ends */
		size_t flen;
		const char *f = topic_match_share_filter(b->topics, &flen);

		if (f)
			m->share = session_share_tag(s, f, flen);
	}
}

static void retain_store(struct broker *b, struct pub *p)
{
	void *old;

	if (!p->payload_len) {
		/* an empty retained message deletes [MQTT-3.3.1-10] */
		old = topic_retain_set(b->topics, p->topic, p->topic_len, NULL);
		broker_store_retain(b, p->topic, p->topic_len, NULL, old);
		msg_unref(old);
		return;
	}
	if (!pub_msg(b, p))
		return;
	old = topic_retain_set(b->topics, p->topic, p->topic_len, msg_ref(p->msg));
	if (old != p->msg)
		broker_store_retain(b, p->topic, p->topic_len, p->msg, old);
	msg_unref(old); /* the replaced message, or ours again when the store had no memory */
}

/* broker_forward(), inlined into broker_publish's loop over the matches (a call per delivery
 * was 21 instructions of saving and restoring registers) */
static inline enum broker_fwd forward(struct broker *b, struct session *s, struct pub *p,
				      uint8_t sub_qos, uint8_t opts, uint32_t sub_id,
				      uint16_t share)
{
	uint8_t qos = broker_out_qos(b, p->qos, sub_qos);
	/* RETAIN is cleared on normal forwarding unless Retain As Published
	 * [MQTT-3.3.1-9], [MQTT-3.3.1-12] */
	uint8_t retain = (opts & TOPIC_OPT_RAP) ? p->retain : 0;

	if (!broker_acl_read(b, s, opts, p->topic, p->topic_len))
		return BROKER_FWD_DENIED;
	if (s->client && ((struct client *)s->client)->rwalk)
		broker_retained_live(s->client, p); /* an older retained one first */
	return broker_deliver(b, s, p, qos, retain, sub_id, share) ? BROKER_FWD_HOLD
								   : BROKER_FWD_DONE;
}

enum broker_fwd broker_forward(struct broker *b, struct session *s, struct pub *p, uint8_t sub_qos,
			       uint8_t opts, uint32_t sub_id, uint16_t share)
{
	return forward(b, s, p, sub_qos, opts, sub_id, share);
}

struct pub_result broker_publish(struct broker *b, struct pub *p)
{
	struct pub_result res = {0};
	struct match_ctx mc = {b, 0};

	if (p->retain)
		retain_store(b, p);
	if (b->tap) /* mqttgwctl trace */
		b->tap(b, p);
	b->match_gen++;
	b->m_len = 0;
	topic_match(b->topics, p->topic, p->topic_len, match_cb, &mc);
	/* a message a bridge takes stays off the fast path: the kernel would bypass the bridge */
	if (!(b->n_bridges && broker_bridge_out(b, p)) && mc.subs == 1 && b->m_len == 1) {
		res.single = true;
		res.one = b->m[0];
	}
	p->fan = b->m_len > 1;
	for (uint32_t i = 0; i < b->m_len; i++) {
		struct match *m = &b->m[i];
		enum broker_fwd r;

		if ((m->opts & TOPIC_OPT_NO_LOCAL) && m->s == p->origin)
			continue;
		r = forward(b, m->s, p, m->qos, m->opts, m->sub_id, m->share);
		res.delivered += r != BROKER_FWD_DENIED;
		res.hold |= r == BROKER_FWD_HOLD;
	}
	return res;
}
