/* SPDX-License-Identifier: MIT */
/* broker_will: wills, made at CONNECT, published at an abnormal end or after their delay. */
#include "broker_deliver.h"
#include "broker_will.h"

struct msg *broker_will_make(struct client *c, const struct mqtt_connect *cn)
{
	uint8_t props[1024];
	struct mqtt_propbuf pb;
	int64_t expiry = 0;
	struct msg *m;

	codec_props_init(&pb, props, sizeof(props));
	if (cn->version == MQTT_V5) {
		struct mqtt_buf cur = cn->will_props.raw;
		uint8_t id;
		struct mqtt_buf v1, v2;
		uint32_t num;

		while (codec_prop_next(&cur, &id, &v1, &v2, &num) == 1) {
			switch (id) {
			case MQTT_PROP_PAYLOAD_FORMAT:
				codec_props_byte(&pb, id, (uint8_t)num);
				break;
			case MQTT_PROP_CONTENT_TYPE:
			case MQTT_PROP_RESPONSE_TOPIC:
			case MQTT_PROP_CORRELATION_DATA:
				codec_props_str(&pb, id, v1.p, (uint16_t)v1.len);
				break;
			case MQTT_PROP_USER_PROPERTY:
				codec_props_pair(&pb, id, v1.p, (uint16_t)v1.len, v2.p,
						 (uint16_t)v2.len);
				break;
			default:
				break;
			}
		}
		if (cn->will_props.seen & MQTT_PROP_BIT(MQTT_PROP_MESSAGE_EXPIRY))
			expiry =
			    loop_now(c->b->loop) + (int64_t)cn->will_props.message_expiry * 1000;
	}
	if (pb.overflow)
		return NULL;
	m = msg_new(c->b->mem, cn->will_topic.p, (uint16_t)cn->will_topic.len, cn->will_payload.p,
		    cn->will_payload.len, props, pb.len, cn->will_qos, cn->will_retain, expiry,
		    NULL);
	/* a retained will remembers its publisher (check_retain_source) */
	if (m && cn->will_retain && msg_set_source(m, c->client_id, c->username, c->auth_idx)) {
		msg_unref(m);
		return NULL;
	}
	return m;
}

void broker_will_publish(struct broker *b, struct msg *will)
{
	struct pub p;

	pub_from_msg(&p, will);
	broker_publish(b, &p);
	pub_release(&p);
}

void broker_will_fire(struct will_wait *w)
{
	struct msg *will = w->will;

	if (!will)
		return;
	w->will = NULL;
	loop_timer_cancel(w->b->loop, &w->timer);
	broker_will_publish(w->b, will);
	msg_unref(will);
}

static void will_timer(struct loop *l, struct loop_timer *t)
{
	struct will_wait *w = t->ctx;

	(void)l;
	broker_will_fire(w);
	if (w->fired)
		w->fired(w);
}

void broker_will_hold(struct broker *b, struct will_wait *w, struct msg *will, uint32_t secs,
		      void (*fired)(struct will_wait *w))
{
	w->b = b;
	w->will = will;
	w->fired = fired;
	loop_timer_init(&w->timer, will_timer, w);
	loop_timer_set(b->loop, &w->timer, loop_now(b->loop) + (int64_t)secs * 1000);
}

void broker_will_drop(struct will_wait *w)
{
	if (w->b)
		loop_timer_cancel(w->b->loop, &w->timer);
	msg_unref(w->will);
	w->will = NULL;
}
