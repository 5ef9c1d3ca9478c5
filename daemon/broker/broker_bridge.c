/* SPDX-License-Identifier: MIT */
/*
 * broker_bridge: the bridges (bridge.h, one per `connection` block) wired into the broker.
 *
 * Outbound: broker_publish() hands every message to broker_bridge_out(), which gives it to each
 * bridge with an out topic that matches it. The bridge does its own topic mapping, so the
 * broker needs no subscription in the topic tree for it; the check here is only the filters of
 * the out lines, so a message no bridge wants costs no msg. A message a bridge took never joins
 * the kernel fast path (the kernel would relay later ones past the daemon and the bridge).
 *
 * Inbound: the bridge's deliver callback publishes locally with the QoS and retain flag it came
 * with, as if a local client had published it, with the bridge as its origin: the bridge it
 * came through does not get it back (loop prevention between brokers; the upstream side is
 * try_private / No Local).
 *
 * With a store (persistence true) a QoS 1/2 out entry is staged with the publisher's other
 * writes and the publisher's acknowledgement waits for that batch (broker_store_ack sees the
 * staged count move); the entry holds a durable reference to the message (msg.store_refs, as
 * broker_store.c counts them) until the bridge releases it. An inbound QoS 1/2 message that
 * staged something (a stored session's entry, a retained row) is acknowledged upstream only once
 * that batch is durable; acknowledgements keep their order behind any that wait.
 * Without a store the QoS 1/2 out queue lives in memory: start-up says so once per bridge that
 * has such topics (README "Bridges": what that loses on a crash).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "broker_bridge.h"
#include "broker_deliver.h"
#include "broker_store.h"
#include "log.h"

/* The bridge as a message origin (identity only: never a session, never dereferenced). */
static const struct session *bridge_origin(const struct bridge *br)
{
	return (const struct session *)(const void *)br;
}

/* The QoS of the first out line that matches p (the line the bridge maps it by), or -1. */
static int out_qos(const struct config_bridge *c, const struct pub *p)
{
	for (uint32_t i = 0; i < c->n_topics; i++) {
		const struct config_bridge_topic *t = &c->topics[i];

		if ((t->dir & CONFIG_BRIDGE_OUT) && t->local_topic &&
		    topic_matches(t->local_topic, strlen(t->local_topic), p->topic, p->topic_len))
			return t->qos;
	}
	return -1;
}

bool broker_bridge_out(struct broker *b, struct pub *p)
{
	bool took = false;

	for (size_t i = 0; i < b->n_bridges; i++) {
		struct bridge *br = b->bridges[i];
		int tq = out_qos(b->cfg->bridges[i], p);
		bool durable = b->store && p->qos && tq > 0;
		uint64_t msg_id = 0;
		struct msg *m;
		int ret;

		if (p->origin == bridge_origin(br) || tq < 0)
			continue;
		took = true;
		m = pub_msg(b, p);
		if (m && durable)
			msg_id = m->store_id;
		ret = m ? bridge_enqueue(br, m, &msg_id) : -ENOMEM;
		if (ret == -ENOBUFS || ret == -ENOMEM)
			b->st.pub_dropped++;
		if (ret < 0 || !durable)
			continue;
		if (ret == BRIDGE_SPILLED) { /* in the store only: the bridge holds no m */
			b->store->staged++;
			broker_store_pin(b->store); /* no m->store_refs: the PUBACK waits for it */
			continue;
		}
		/* a durable entry now refers to m (staged with it when it was not stored) */
		if (m->store_id != msg_id) {
			m->store_id = msg_id;
			m->store_refs = 0;
		}
		m->store_refs++;
		b->store->staged++; /* the publisher's ack waits for this batch */
	}
	return took;
}

/* ---- the bridge's callbacks ---- */

/* An upstream acknowledgement waiting for the store (see the top of this file). */
struct bridge_wait {
	struct bridge *br;
	uint64_t token;
	uint64_t seq; /* batch that must be durable first */
};

static int wait_push(struct broker *b, struct bridge *br, uint64_t token, bool staged)
{
	struct bridge_wait *w;

	if (b->bw_n == b->bw_cap) {
		uint32_t cap = b->bw_cap ? b->bw_cap * 2 : 64;

		if (b->bw_head) {
			memmove(b->bw, b->bw + b->bw_head, (b->bw_n - b->bw_head) * sizeof(*w));
			b->bw_n -= b->bw_head;
			b->bw_head = 0;
		}
		if (b->bw_n == b->bw_cap) {
			w = realloc(b->bw, cap * sizeof(*w));
			if (!w)
				return -ENOMEM;
			b->bw = w;
			b->bw_cap = cap;
		}
	}
	w = &b->bw[b->bw_n];
	*w = (struct bridge_wait){br, token,
				  staged ? store_batch_next(b->store->st) : b->bw[b->bw_n - 1].seq};
	b->bw_n++;
	return 0;
}

static int bridge_deliver(void *ctx, struct bridge *br, const struct bridge_inbound *in)
{
	struct broker *b = ctx;
	uint64_t mark = broker_store_mark(b);
	struct mqtt_props pr;
	uint8_t fwd[1024], reason;
	struct pub p = {
	    .topic = in->topic,
	    .topic_len = in->topic_len,
	    .payload = in->payload,
	    .payload_len = in->payload_len,
	    .qos = in->qos,
	    .retain = in->retain,
	    .origin = bridge_origin(br),
	};
	bool staged;

	/* a store that cannot be written refuses QoS 1/2 (the upstream sends it again) */
	if (in->qos && b->store && b->store->down)
		return -EAGAIN;
	if (in->retain && !b->cfg->retain_available)
		p.retain = 0;
	if (in->props_len &&
	    codec_props_parse(in->props, in->props_len, MQTT_PUBLISH, &pr, &reason) == 0) {
		uint32_t n = pub_props_forwardable(&pr, fwd, sizeof(fwd));

		/* properties over 1 KiB are not forwarded rather than refused */
		if (n != UINT32_MAX) {
			p.props = fwd;
			p.props_len = n;
		}
		if (pr.seen & MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY))
			p.expiry = loop_now(b->loop) + (int64_t)pr.message_expiry * 1000;
	}
	b->st.pub_received++;
	b->st.pub_bytes_received += in->payload_len;
	broker_publish(b, &p);
	pub_release(&p);
	staged = broker_store_mark(b) != mark;
	if (!in->qos || (!staged && b->bw_head == b->bw_n))
		return 0; /* delivered to every matching session, nothing to wait for */
	return wait_push(b, br, in->token, staged) < 0 ? -ENOMEM : BRIDGE_ACK_LATER;
}

/* Send the upstream acknowledgements whose batch is durable, in order. */
static void waits_release(struct broker *b)
{
	uint64_t durable = store_durable_seq(b->store->st);

	while (b->bw_head < b->bw_n && b->bw[b->bw_head].seq <= durable) {
		const struct bridge_wait *w = &b->bw[b->bw_head++];

		bridge_ack(w->br, w->token, 0);
	}
	if (b->bw_head == b->bw_n)
		b->bw_head = b->bw_n = 0;
}

/* The bridge no longer refers to the stored message (acknowledged upstream, or dropped). */
static void bridge_release(void *ctx, struct bridge *br, struct msg *m, uint64_t msg_id)
{
	(void)ctx;
	(void)br;
	if (m && m->store_id == msg_id && m->store_refs && !--m->store_refs)
		m->store_id = 0;
}

static void bridge_notify(void *ctx, struct bridge *br, const char *topic, bool up)
{
	struct broker *b = ctx;
	struct pub p = {
	    .topic = topic,
	    .topic_len = (uint16_t)strlen(topic),
	    .payload = (const uint8_t *)(up ? "1" : "0"),
	    .payload_len = 1,
	    .retain = 1,
	    .origin = bridge_origin(br),
	};

	broker_publish(b, &p);
	pub_release(&p);
}

/* A spilled entry read back: its message, holding the entry's durable reference. */
static struct msg *bridge_fetched_msg(void *ctx, struct bridge *br, const struct store_msg *sm)
{
	struct msg *m = broker_store_msg_new(ctx, sm);

	(void)br;
	if (m)
		m->store_refs = 1;
	return m;
}

static const struct bridge_ops bridge_ops = {
    .deliver = bridge_deliver,
    .notify = bridge_notify,
    .release = bridge_release,
    .fetched_msg = bridge_fetched_msg,
};

/* ---- lifecycle ---- */

static bool has_durable_out(const struct config_bridge *c)
{
	for (uint32_t i = 0; i < c->n_topics; i++) {
		if ((c->topics[i].dir & CONFIG_BRIDGE_OUT) && c->topics[i].qos)
			return true;
	}
	return false;
}

int broker_bridges_new(struct broker *b, struct store *st, char *err, size_t errlen)
{
	const struct config *cfg = b->cfg;

	if (!cfg->n_bridges)
		return 0;
	b->bridges = calloc(cfg->n_bridges, sizeof(*b->bridges));
	if (!b->bridges) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_bridges; i++) {
		const struct config_bridge *c = cfg->bridges[i];
		struct bridge_opts o = {
		    .loop = b->loop,
		    .store = st,
		    .cfg = c,
		    .ops = &bridge_ops,
		    .ctx = b,
		    .seed = (uint64_t)loop_now_us() ^ ((uint64_t)i << 32),
		    .max_inflight = (uint16_t)cfg->max_inflight_messages,
		};

		b->bridges[i] = bridge_new(&o);
		if (!b->bridges[i]) {
			snprintf(err, errlen, "bridge %s: %s", c->name, strerror(errno));
			return -errno;
		}
		b->n_bridges++;
		if (!st && has_durable_out(c))
			log_warn(
			    "Warning: bridge %s: persistence is false, so its QoS 1/2 queue is "
			    "in memory only: messages already acknowledged to their publishers "
			    "are lost if mqttgwd stops before the upstream has them.",
			    c->name);
	}
	return 0;
}

int broker_bridge_load(struct broker *b, const struct store_bridge_entry *e)
{
	for (size_t i = 0; i < b->n_bridges; i++) {
		const char *name = bridge_name(b->bridges[i]);

		struct msg *m = e->msg;
		int ret;

		if (strlen(name) != e->bridge_len || memcmp(name, e->bridge, e->bridge_len))
			continue;
		ret = bridge_load(b->bridges[i], e);
		if (!ret && m && m->store_id == e->msg_id)
			m->store_refs++;
		return bridge_load_result(ret);
	}
	return 0; /* a bridge no longer configured: its entries stay in the store */
}

/* From the loop's first iteration: start-up may have taken seconds since the loop last read
 * its clock (BPF loading), and a connect timeout armed from that stale time would expire at
 * once. */
static void bridges_start_timer(struct loop *l, struct loop_timer *t)
{
	struct broker *b = t->ctx;

	(void)l;
	for (size_t i = 0; i < b->n_bridges; i++) {
		const struct config_bridge *c = b->cfg->bridges[i];
		int ret = bridge_start(b->bridges[i]);

		if (ret < 0) {
			log_err("Error: bridge %s: cannot start: %s.", c->name, strerror(-ret));
			continue;
		}
		log_notice("Bridge %s: %u address(es), %u topic line(s), start_type %s.", c->name,
			   c->n_addrs, c->n_topics,
			   c->start_type == CONFIG_BRIDGE_LAZY	 ? "lazy"
			   : c->start_type == CONFIG_BRIDGE_ONCE ? "once"
								 : "automatic");
	}
}

int broker_bridges_start(struct broker *b)
{
	loop_timer_init(&b->bridge_timer, bridges_start_timer, b);
	return b->n_bridges ? loop_timer_set(b->loop, &b->bridge_timer, loop_now(b->loop)) : 0;
}

void broker_bridge_fetched(struct broker *b, const struct store_fetch *f)
{
	for (size_t i = 0; i < b->n_bridges; i++) {
		const char *name = bridge_name(b->bridges[i]);

		if (strlen(name) == f->bridge_len && !memcmp(name, f->bridge, f->bridge_len)) {
			bridge_fetched(b->bridges[i], f);
			return;
		}
	}
}

void broker_bridges_durable(struct broker *b)
{
	waits_release(b);
	for (size_t i = 0; i < b->n_bridges; i++)
		bridge_store_durable(b->bridges[i]);
	broker_spill_durable(b);
}

void broker_bridges_free(struct broker *b)
{
	if (b->n_bridges)
		loop_timer_cancel(b->loop, &b->bridge_timer);
	for (size_t i = 0; i < b->n_bridges; i++)
		bridge_free(b->bridges[i]);
	free(b->bridges);
	b->bridges = NULL;
	b->n_bridges = 0;
	free(b->bw);
}

void broker_bridge_sys(struct broker *b,
		       void (*pub)(struct broker *b, const char *topic, const char *value))
{
	for (size_t i = 0; i < b->n_bridges; i++) {
		struct bridge_stats s;
		char topic[256], val[32];
		const char *name = bridge_name(b->bridges[i]);

		bridge_stats(b->bridges[i], &s);
		const struct {
			const char *key;
			uint64_t v;
		} nums[] = {
		    {"queued", s.queued},
		    {"queued_in_memory", s.in_memory},
		    {"inflight", s.inflight},
		    {"sent", s.sent},
		    {"acked", s.acked},
		    {"dropped", s.dropped},
		    {"received", s.received},
		    {"reconnects", s.reconnects},
		};

		snprintf(topic, sizeof(topic), "$SYS/broker/bridges/%s/state", name);
		pub(b, topic, bridge_state_name(s.state));
		for (size_t j = 0; j < sizeof(nums) / sizeof(nums[0]); j++) {
			snprintf(topic, sizeof(topic), "$SYS/broker/bridges/%s/%s", name,
				 nums[j].key);
			snprintf(val, sizeof(val), "%" PRIu64, nums[j].v);
			pub(b, topic, val);
		}
		snprintf(topic, sizeof(topic), "$SYS/broker/bridges/%s/last_error", name);
		pub(b, topic, s.last_error[0] ? s.last_error : "none");
	}
}
