/* SPDX-License-Identifier: MIT */
/* qos: outbound QoS 1/2 window and inbound QoS 2 ids. See include/qos.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "msg.h"
#include "qos.h"
#include "vec.h"

void qos_init(struct qos_window *w)
{
	w->r = NULL;
}

void qos_fini(struct qos_window *w)
{
	struct qos_ring *r = w->r;

	if (!r)
		return;
	for (uint32_t i = 0; i < r->count; i++)
		msg_unref(r->e[(r->head + i) & (r->cap - 1)].msg);
	free(r->e);
	free(r->pid_used);
	free(r->rx2);
	free(r);
	w->r = NULL;
}

/* The window's state, made at its first use. NULL on ENOMEM. */
static struct qos_ring *ring(struct qos_window *w)
{
	if (!w->r) {
		w->r = calloc(1, sizeof(*w->r));
		if (w->r)
			w->r->next_pid = 1;
	}
	return w->r;
}

static bool pid_test(const struct qos_ring *w, uint16_t pid)
{
	return w->pid_used && (w->pid_used[pid >> 6] >> (pid & 63)) & 1;
}

static void pid_set(struct qos_ring *w, uint16_t pid, bool on)
{
	if (on)
		w->pid_used[pid >> 6] |= 1ull << (pid & 63);
	else
		w->pid_used[pid >> 6] &= ~(1ull << (pid & 63));
}

/* Room for one more entry at the tail (and the pid map). 0 or -ENOMEM. */
static int out_room(struct qos_ring *w)
{
	if (!w->pid_used) {
		w->pid_used = calloc(65536 / 64, sizeof(uint64_t));
		if (!w->pid_used)
			return -ENOMEM;
	}
	if (w->count == w->cap) {
		/* Drop the holes while copying, and grow only if the live entries need it:
		 * behind a head that is never acked, holes would otherwise pile up forever. */
		uint32_t cap = w->active * 2 >= w->cap ? (w->cap ? w->cap * 2 : 8) : w->cap;
		struct qos_entry *ne = malloc(cap * sizeof(*ne));
		uint32_t n = 0;

		if (!ne)
			return -ENOMEM;
		for (uint32_t i = 0; i < w->count; i++) {
			const struct qos_entry *o = &w->e[(w->head + i) & (w->cap - 1)];

			if (o->state != QOS_FREE)
				ne[n++] = *o;
		}
		free(w->e);
		w->e = ne;
		w->cap = cap;
		w->count = n;
		w->head = 0;
	}
	return 0;
}

/* Append an entry with packet id id (free, room made). */
static void out_push(struct qos_ring *w, struct msg *msg, uint8_t qos, uint8_t retain,
		     uint32_t sub_id, uint16_t id, uint8_t state)
{
	struct qos_entry *e = &w->e[(w->head + w->count) & (w->cap - 1)];

	pid_set(w, id, true);
	e->msg = msg ? msg_ref(msg) : NULL;
	e->pid = id;
	e->qos = qos;
	e->state = state;
	e->retain = retain;
	e->share = 0;
	e->sub_id = sub_id;
	e->bytes = msg ? msg->payload_len : 0;
	e->store_seq = 0;
	w->count++;
	w->active++;
	w->bytes += e->bytes;
}

int qos_out_add(struct qos_window *win, struct msg *msg, uint8_t qos, uint8_t retain,
		uint32_t sub_id, uint16_t *pid)
{
	struct qos_ring *w = ring(win);
	uint16_t id;

	if (!w)
		return -ENOMEM;
	if (w->active >= 65535)
		return -EBUSY;
	if (out_room(w) < 0)
		return -ENOMEM;
	id = w->next_pid;
	while (id == 0 || pid_test(w, id))
		id++;
	w->next_pid = (uint16_t)(id + 1);
	out_push(w, msg, qos, retain, sub_id, id, qos == 1 ? QOS_WAIT_PUBACK : QOS_WAIT_PUBREC);
	*pid = id;
	return 0;
}

int qos_out_restore(struct qos_window *win, struct msg *msg, uint8_t qos, uint8_t retain,
		    uint32_t sub_id, uint16_t pid, uint8_t state)
{
	struct qos_ring *w;
	bool ok = (state == QOS_WAIT_PUBACK && qos == 1 && msg) ||
		  (state == QOS_WAIT_PUBREC && qos == 2 && msg) ||
		  (state == QOS_WAIT_PUBCOMP && qos == 2);

	if (!ok || !pid)
		return -EINVAL;
	w = ring(win);
	if (!w || out_room(w) < 0)
		return -ENOMEM;
	if (pid_test(w, pid))
		return -EEXIST;
	out_push(w, state == QOS_WAIT_PUBCOMP ? NULL : msg, qos, retain, sub_id, pid, state);
	w->next_pid = (uint16_t)(pid + 1);
	return 0;
}

/* The entry in flight with packet id pid in a window's state, or NULL. */
static struct qos_entry *out_find(struct qos_ring *w, uint16_t pid)
{
	/* Acks almost always come in send order: the head is the usual hit. */
	for (uint32_t i = 0; i < w->count; i++) {
		struct qos_entry *e = &w->e[(w->head + i) & (w->cap - 1)];

		if (e->state != QOS_FREE && e->pid == pid)
			return e;
	}
	return NULL;
}

struct qos_entry *qos_out_find(struct qos_window *win, uint16_t pid)
{
	return win->r ? out_find(win->r, pid) : NULL;
}

static void out_release(struct qos_ring *w, struct qos_entry *e)
{
	msg_unref(e->msg);
	e->msg = NULL;
	e->state = QOS_FREE;
	pid_set(w, e->pid, false);
	w->active--;
	w->bytes -= e->bytes;
	while (w->count && w->e[w->head].state == QOS_FREE) {
		w->head = (w->head + 1) & (w->cap - 1);
		w->count--;
	}
}

enum qos_ack qos_out_ack(struct qos_window *win, uint8_t type, uint16_t pid)
{
	struct qos_ring *w = win->r;
	struct qos_entry *e = w ? out_find(w, pid) : NULL;

	if (!e)
		return QOS_ACK_UNKNOWN;
	switch (type) {
	case MQTT_PUBACK:
		if (e->state != QOS_WAIT_PUBACK)
			return QOS_ACK_WRONG_STATE;
		out_release(w, e);
		return QOS_ACK_DONE;
	case MQTT_PUBREC:
		if (e->state == QOS_WAIT_PUBCOMP)
			return QOS_ACK_SEND_PUBREL; /* duplicate PUBREC: PUBREL again */
		if (e->state != QOS_WAIT_PUBREC)
			return QOS_ACK_WRONG_STATE;
		/* The receiver owns the message now; only the id stays in use. */
		msg_unref(e->msg);
		e->msg = NULL;
		e->state = QOS_WAIT_PUBCOMP;
		return QOS_ACK_SEND_PUBREL;
	case MQTT_PUBCOMP:
		if (e->state != QOS_WAIT_PUBCOMP)
			return QOS_ACK_WRONG_STATE;
		out_release(w, e);
		return QOS_ACK_DONE;
	default:
		return QOS_ACK_WRONG_STATE;
	}
}

struct qos_entry *qos_out_at(struct qos_window *win, uint32_t *i)
{
	struct qos_ring *w = win->r;

	while (w && *i < w->count) {
		struct qos_entry *e = &w->e[(w->head + *i) & (w->cap - 1)];

		(*i)++;
		if (e->state != QOS_FREE)
			return e;
	}
	return NULL;
}

int qos_rx2_add(struct qos_window *win, uint16_t pid)
{
	struct qos_ring *w = ring(win);

	if (!w)
		return -ENOMEM;
	for (uint32_t i = 0; i < w->rx2_n; i++)
		if (w->rx2[i] == pid)
			return 1;
	if (VEC_GROW(w->rx2, w->rx2_n, w->rx2_cap, 4))
		return -ENOMEM;
	w->rx2[w->rx2_n++] = pid;
	return 0;
}

int qos_rx2_release(struct qos_window *win, uint16_t pid)
{
	struct qos_ring *w = win->r;

	if (!w)
		return -ENOENT;
	for (uint32_t i = 0; i < w->rx2_n; i++) {
		if (w->rx2[i] == pid) {
			w->rx2[i] = w->rx2[--w->rx2_n];
			if (!w->rx2_n) {
				free(w->rx2);
				w->rx2 = NULL;
				w->rx2_cap = 0;
			}
			return 0;
		}
	}
	return -ENOENT;
}
