/* SPDX-License-Identifier: MIT */
/*
 * broker_log: `log_dest topic` (Mosquitto): each log line but debug is published on
 * $SYS/broker/log/<E|W|N|I|WS>, or $SYS/broker/log/M/subscribe and .../M/unsubscribe, QoS 2,
 * not retained, expiring after 20 s, the payload the line with its timestamp.
 *
 * Lines are not published where they are logged: a log call can sit inside a delivery (whose
 * match scratch a nested broker_publish would overwrite) or a client's close. They wait in a
 * bounded queue for a zero-delay timer. What is logged while that queue is published (a
 * subscriber dropped, say) is not queued again, so the broker never logs its own publishes
 * in a loop; lines beyond the bound are counted and dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_deliver.h"
#include "broker_log.h"
#include "log.h"

#define LOGQ_MAX      256
#define LOG_EXPIRY_MS 20000 /* Mosquitto's message expiry for its log messages */

struct broker_logq {
	struct broker *b;
	struct loop_timer timer;
	bool publishing;
	uint32_t n;
	uint64_t dropped;
	struct {
		uint32_t type;
		char *line;
	} e[LOGQ_MAX];
};

static const char *log_topic(uint32_t type)
{
	switch (type) {
	case CONFIG_LOG_WARNING:
		return "$SYS/broker/log/W";
	case CONFIG_LOG_NOTICE:
		return "$SYS/broker/log/N";
	case CONFIG_LOG_INFO:
		return "$SYS/broker/log/I";
	case CONFIG_LOG_SUBSCRIBE:
		return "$SYS/broker/log/M/subscribe";
	case CONFIG_LOG_UNSUBSCRIBE:
		return "$SYS/broker/log/M/unsubscribe";
	case CONFIG_LOG_WEBSOCKETS:
		return "$SYS/broker/log/WS";
	default:
		return "$SYS/broker/log/E";
	}
}

static void logq_publish(struct loop *l, struct loop_timer *t)
{
	struct broker_logq *q = t->ctx;

	q->publishing = true;
	for (uint32_t i = 0; i < q->n; i++) {
		const char *topic = log_topic(q->e[i].type);
		struct pub p = {0};

		p.topic = topic;
		p.topic_len = (uint16_t)strlen(topic);
		p.payload = (const uint8_t *)q->e[i].line;
		p.payload_len = (uint32_t)strlen(q->e[i].line);
		p.qos = 2;
		p.expiry = loop_now(l) + LOG_EXPIRY_MS;
		if (!q->b->shutting_down)
			broker_publish(q->b, &p);
		pub_release(&p);
		free(q->e[i].line);
	}
	q->n = 0;
	q->publishing = false;
}

static void logq_add(void *ctx, uint32_t type, const char *line, size_t len)
{
	struct broker_logq *q = ctx;
	char *s;

	if (q->publishing)
		return;
	if (q->n == LOGQ_MAX || !(s = strndup(line, len))) {
		q->dropped++;
		return;
	}
	q->e[q->n].type = type;
	q->e[q->n++].line = s;
	if (!loop_timer_armed(&q->timer))
		loop_timer_set(q->b->loop, &q->timer, loop_now(q->b->loop));
}

int broker_log_start(struct broker *b)
{
	struct broker_logq *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->b = b;
	loop_timer_init(&q->timer, logq_publish, q);
	b->logq = q;
	log_set_topic_hook(logq_add, q);
	return 0;
}

void broker_log_stop(struct broker *b)
{
	struct broker_logq *q = b->logq;

	if (!q)
		return;
	log_set_topic_hook(NULL, NULL);
	loop_timer_cancel(b->loop, &q->timer);
	for (uint32_t i = 0; i < q->n; i++)
		free(q->e[i].line);
	free(q);
	b->logq = NULL;
}
