// SPDX-License-Identifier: MIT
/*
 * qos unit tests: packet-id allocation, the QoS 1/2 outbound state machine, send-order
 * iteration with holes, and inbound QoS 2 ids. Message ownership is checked on the refcount
 * of real msgs (msg.rb.refs): the window holds exactly one reference per entry until the
 * message is released (PUBACK, PUBREC, qos_fini).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "msg.h"
#include "qos.h"

static struct msg *mk(uint8_t qos)
{
	struct msg *m = msg_new(NULL, "a/b", 3, "payload", 7, NULL, 0, qos, 0, 0, NULL);

	assert_non_null(m);
	assert_int_equal(m->rb.refs, 1);
	return m;
}

static uint16_t add(struct qos_window *w, struct msg *m, uint8_t qos)
{
	uint16_t pid = 0;

	assert_int_equal(qos_out_add(w, m, qos, 0, 0, &pid), 0);
	assert_int_not_equal(pid, 0);
	return pid;
}

/* Collect the pids qos_out_at() yields, in order. */
static uint32_t walk(struct qos_window *w, uint16_t *pids, uint32_t max)
{
	struct qos_entry *e;
	uint32_t i = 0, n = 0;

	while ((e = qos_out_at(w, &i))) {
		assert_int_not_equal(e->state, QOS_FREE);
		assert_true(n < max);
		pids[n++] = e->pid;
	}
	/* exhausted: stays exhausted */
	assert_null(qos_out_at(w, &i));
	assert_int_equal(n, qos_out_active(w));
	return n;
}

/* ---- packet ids ---- */

static void test_pid_starts_at_one(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	struct qos_entry *e;
	uint16_t pid;
	uint32_t i = 0;

	(void)state;
	qos_init(&w);
	assert_int_equal(qos_out_active(&w), 0);
	assert_null(qos_out_at(&w, &i));

	assert_int_equal(qos_out_add(&w, m, 1, 1, 42, &pid), 0);
	assert_int_equal(pid, 1);
	assert_int_equal(add(&w, m, 2), 2);
	assert_int_equal(add(&w, m, 1), 3);
	assert_int_equal(qos_out_active(&w), 3);
	assert_int_equal(m->rb.refs, 4);

	i = 0;
	e = qos_out_at(&w, &i);
	assert_non_null(e);
	assert_int_equal(e->pid, 1);
	assert_ptr_equal(e->msg, m);
	assert_int_equal(e->qos, 1);
	assert_int_equal(e->retain, 1);
	assert_int_equal(e->sub_id, 42);
	assert_int_equal(e->state, QOS_WAIT_PUBACK);
	e = qos_out_at(&w, &i);
	assert_int_equal(e->pid, 2);
	assert_int_equal(e->qos, 2);
	assert_int_equal(e->state, QOS_WAIT_PUBREC);
	assert_int_equal(e->retain, 0);

	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/* Ids run to 65535, then wrap to 1: 0 is never handed out. */
static void test_pid_wrap_skips_zero(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);

	(void)state;
	qos_init(&w);
	for (uint32_t id = 1; id <= 65534; id++) {
		uint16_t pid = add(&w, m, 1);

		assert_int_equal(pid, id);
		assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, pid), QOS_ACK_DONE);
	}
	assert_int_equal(add(&w, m, 1), 65535);
	assert_int_equal(add(&w, m, 1), 1);
	assert_int_equal(add(&w, m, 1), 2);
	assert_int_equal(m->rb.refs, 4);
	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/* After a wrap, ids still in flight are skipped. */
static void test_pid_skips_in_use(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	uint16_t pids[8];

	(void)state;
	qos_init(&w);
	assert_int_equal(add(&w, m, 1), 1); /* stays in flight */
	assert_int_equal(add(&w, m, 2), 2); /* stays in flight, past PUBREC */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, 2), QOS_ACK_SEND_PUBREL);
	assert_int_equal(add(&w, m, 1), 3); /* completed below */
	assert_int_equal(add(&w, m, 1), 4); /* stays in flight */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 3), QOS_ACK_DONE);
	for (uint32_t id = 5; id <= 65535; id++) {
		uint16_t pid = add(&w, m, 1);

		assert_int_equal(pid, id);
		assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, pid), QOS_ACK_DONE);
	}
	/* wrapped: 0 skipped, 1 and 2 in use, 3 free, 4 in use, 5 free */
	assert_int_equal(add(&w, m, 1), 3);
	assert_int_equal(add(&w, m, 1), 5);
	assert_int_equal(walk(&w, pids, 8), 5);
	assert_int_equal(pids[0], 1);
	assert_int_equal(pids[1], 2);
	assert_int_equal(pids[2], 4);
	assert_int_equal(pids[3], 3);
	assert_int_equal(pids[4], 5);
	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/* All 65535 ids in flight: -EBUSY without side effects; one completion frees exactly one. */
static void test_pid_exhaustion(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	uint16_t pid = 0;

	(void)state;
	qos_init(&w);
	for (uint32_t id = 1; id <= 65535; id++)
		assert_int_equal(add(&w, m, (uint8_t)(1 + id % 2)), id);
	assert_int_equal(qos_out_active(&w), 65535);
	assert_int_equal(m->rb.refs, 65536);

	pid = 7;
	assert_int_equal(qos_out_add(&w, m, 1, 0, 0, &pid), -EBUSY);
	assert_int_equal(pid, 7);
	assert_int_equal(m->rb.refs, 65536);
	assert_int_equal(qos_out_active(&w), 65535);

	/* odd ids are QoS 2 here (1 + id % 2) */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, 30001), QOS_ACK_SEND_PUBREL);
	/* past PUBREC the id is still in use */
	assert_int_equal(qos_out_add(&w, m, 1, 0, 0, &pid), -EBUSY);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBCOMP, 30001), QOS_ACK_DONE);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 30000), QOS_ACK_DONE);
	assert_int_equal(add(&w, m, 1), 30000);
	assert_int_equal(add(&w, m, 1), 30001);
	assert_int_equal(qos_out_add(&w, m, 2, 0, 0, &pid), -EBUSY);
	assert_int_equal(qos_out_active(&w), 65535);
	assert_int_equal(m->rb.refs, 1 + 65535);

	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/* ---- the state machine ---- */

static void test_qos1_puback(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	uint16_t pid;

	(void)state;
	qos_init(&w);
	pid = add(&w, m, 1);
	assert_int_equal(m->rb.refs, 2);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, pid), QOS_ACK_DONE);
	assert_int_equal(m->rb.refs, 1);
	assert_int_equal(qos_out_active(&w), 0);
	assert_int_equal(w.r->count, 0);
	/* a second PUBACK for the same id: gone */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, pid), QOS_ACK_UNKNOWN);
	assert_int_equal(m->rb.refs, 1);
	qos_fini(&w);
	msg_unref(m);
}

static void test_qos2_flow(void **state)
{
	struct qos_window w;
	struct msg *m = mk(2);
	struct qos_entry *e;
	uint16_t pid;
	uint32_t i = 0;

	(void)state;
	qos_init(&w);
	pid = add(&w, m, 2);
	assert_int_equal(m->rb.refs, 2);

	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, pid), QOS_ACK_SEND_PUBREL);
	/* the message is released at PUBREC; the entry stays for PUBREL resends */
	assert_int_equal(m->rb.refs, 1);
	assert_int_equal(qos_out_active(&w), 1);
	e = qos_out_at(&w, &i);
	assert_non_null(e);
	assert_int_equal(e->pid, pid);
	assert_null(e->msg);
	assert_int_equal(e->state, QOS_WAIT_PUBCOMP);

	/* a duplicate PUBREC asks for PUBREL again and does not release twice */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, pid), QOS_ACK_SEND_PUBREL);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, pid), QOS_ACK_SEND_PUBREL);
	assert_int_equal(m->rb.refs, 1);
	assert_int_equal(qos_out_active(&w), 1);

	assert_int_equal(qos_out_ack(&w, MQTT_PUBCOMP, pid), QOS_ACK_DONE);
	assert_int_equal(qos_out_active(&w), 0);
	assert_int_equal(w.r->count, 0);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBCOMP, pid), QOS_ACK_UNKNOWN);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, pid), QOS_ACK_UNKNOWN);
	assert_int_equal(m->rb.refs, 1);
	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

struct ack_step {
	uint8_t type;
	enum qos_ack want;
};

struct ack_case {
	const char *name;
	uint8_t qos;
	struct ack_step steps[4];
	int n;
	uint8_t final_state; /* QOS_FREE: completed */
	uint32_t final_refs; /* refs of the msg afterwards (1: only the test's) */
};

static const struct ack_case ack_cases[] = {
	{ "qos1 PUBACK", 1, { { MQTT_PUBACK, QOS_ACK_DONE } }, 1, QOS_FREE, 1 },
	{ "qos1 PUBREC", 1, { { MQTT_PUBREC, QOS_ACK_WRONG_STATE } }, 1, QOS_WAIT_PUBACK, 2 },
	{ "qos1 PUBCOMP", 1, { { MQTT_PUBCOMP, QOS_ACK_WRONG_STATE } }, 1, QOS_WAIT_PUBACK, 2 },
	{ "qos1 PUBREL type", 1, { { MQTT_PUBREL, QOS_ACK_WRONG_STATE } }, 1, QOS_WAIT_PUBACK, 2 },
	{ "qos1 PUBLISH type", 1, { { MQTT_PUBLISH, QOS_ACK_WRONG_STATE } }, 1, QOS_WAIT_PUBACK,
	  2 },
	{ "qos1 wrong then right",
	  1,
	  { { MQTT_PUBREC, QOS_ACK_WRONG_STATE }, { MQTT_PUBACK, QOS_ACK_DONE } },
	  2,
	  QOS_FREE,
	  1 },
	{ "qos2 PUBACK", 2, { { MQTT_PUBACK, QOS_ACK_WRONG_STATE } }, 1, QOS_WAIT_PUBREC, 2 },
	{ "qos2 PUBCOMP before PUBREC",
	  2,
	  { { MQTT_PUBCOMP, QOS_ACK_WRONG_STATE } },
	  1,
	  QOS_WAIT_PUBREC,
	  2 },
	{ "qos2 PUBREC", 2, { { MQTT_PUBREC, QOS_ACK_SEND_PUBREL } }, 1, QOS_WAIT_PUBCOMP, 1 },
	{ "qos2 PUBACK after PUBREC",
	  2,
	  { { MQTT_PUBREC, QOS_ACK_SEND_PUBREL }, { MQTT_PUBACK, QOS_ACK_WRONG_STATE } },
	  2,
	  QOS_WAIT_PUBCOMP,
	  1 },
	{ "qos2 PUBREL type after PUBREC",
	  2,
	  { { MQTT_PUBREC, QOS_ACK_SEND_PUBREL }, { MQTT_PUBREL, QOS_ACK_WRONG_STATE } },
	  2,
	  QOS_WAIT_PUBCOMP,
	  1 },
	{ "qos2 full, duplicate PUBREC",
	  2,
	  { { MQTT_PUBREC, QOS_ACK_SEND_PUBREL },
	    { MQTT_PUBREC, QOS_ACK_SEND_PUBREL },
	    { MQTT_PUBCOMP, QOS_ACK_DONE },
	    { MQTT_PUBCOMP, QOS_ACK_UNKNOWN } },
	  4,
	  QOS_FREE,
	  1 },
	{ "qos2 wrong then full",
	  2,
	  { { MQTT_PUBCOMP, QOS_ACK_WRONG_STATE },
	    { MQTT_PUBACK, QOS_ACK_WRONG_STATE },
	    { MQTT_PUBREC, QOS_ACK_SEND_PUBREL },
	    { MQTT_PUBCOMP, QOS_ACK_DONE } },
	  4,
	  QOS_FREE,
	  1 },
};

static void test_ack_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(ack_cases) / sizeof(ack_cases[0]); c++) {
		const struct ack_case *tc = &ack_cases[c];
		struct qos_window w;
		struct msg *m = mk(tc->qos);
		struct qos_entry *e;
		uint32_t i = 0;
		uint16_t pid;

		qos_init(&w);
		pid = add(&w, m, tc->qos);
		for (int s = 0; s < tc->n; s++) {
			enum qos_ack got = qos_out_ack(&w, tc->steps[s].type, pid);

			if (got != tc->steps[s].want)
				fail_msg("%s: step %d: ack %d, want %d", tc->name, s, got,
					 tc->steps[s].want);
		}
		e = qos_out_at(&w, &i);
		if (tc->final_state == QOS_FREE) {
			assert_null(e);
			assert_int_equal(qos_out_active(&w), 0);
		} else {
			assert_non_null(e);
			if (e->state != tc->final_state)
				fail_msg("%s: state %u, want %u", tc->name, e->state,
					 tc->final_state);
			assert_int_equal(qos_out_active(&w), 1);
		}
		if (m->rb.refs != tc->final_refs)
			fail_msg("%s: refs %u, want %u", tc->name, m->rb.refs, tc->final_refs);
		qos_fini(&w);
		assert_int_equal(m->rb.refs, 1);
		msg_unref(m);
	}
}

static void test_unknown_ids(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	static const uint8_t types[] = { MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBCOMP };

	(void)state;
	qos_init(&w);
	/* empty window, before any allocation */
	for (size_t t = 0; t < sizeof(types); t++) {
		assert_int_equal(qos_out_ack(&w, types[t], 1), QOS_ACK_UNKNOWN);
		assert_int_equal(qos_out_ack(&w, types[t], 0), QOS_ACK_UNKNOWN);
		assert_int_equal(qos_out_ack(&w, types[t], 65535), QOS_ACK_UNKNOWN);
	}
	add(&w, m, 1);
	add(&w, m, 2);
	for (size_t t = 0; t < sizeof(types); t++) {
		assert_int_equal(qos_out_ack(&w, types[t], 0), QOS_ACK_UNKNOWN);
		assert_int_equal(qos_out_ack(&w, types[t], 3), QOS_ACK_UNKNOWN);
		assert_int_equal(qos_out_ack(&w, types[t], 256 + 1), QOS_ACK_UNKNOWN);
		assert_int_equal(qos_out_ack(&w, types[t], 65535), QOS_ACK_UNKNOWN);
	}
	assert_int_equal(qos_out_active(&w), 2);
	assert_int_equal(m->rb.refs, 3);
	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/* A window no QoS 1/2 message ever used holds no state: every question about it has the empty
 * answer without making one (README "Footprint": an idle session holds only the pointer). */
static void test_lazy_state(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	uint32_t i = 0;
	uint16_t pid;

	(void)state;
	qos_init(&w);
	assert_null(w.r);
	assert_null(qos_out_find(&w, 1));
	assert_null(qos_out_at(&w, &i));
	assert_null(qos_out_last(&w));
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 1), QOS_ACK_UNKNOWN);
	assert_int_equal(qos_rx2_release(&w, 1), -ENOENT);
	assert_int_equal(qos_out_active(&w), 0);
	assert_int_equal(qos_out_bytes(&w), 0);
	assert_int_equal(qos_rx2_count(&w), 0);
	assert_int_equal(qos_out_restore(&w, NULL, 1, 0, 0, 5, QOS_WAIT_PUBACK), -EINVAL);
	assert_null(w.r);
	qos_fini(&w); /* nothing to free */
	assert_null(w.r);

	/* an inbound QoS 2 id alone makes the state, without the packet-id map */
	assert_int_equal(qos_rx2_add(&w, 7), 0);
	assert_non_null(w.r);
	assert_null(w.r->pid_used);
	assert_int_equal(qos_rx2_at(&w, 0), 7);
	assert_int_equal(qos_rx2_release(&w, 7), 0);
	/* the first outbound message starts at id 1 */
	assert_int_equal(qos_out_add(&w, m, 1, 0, 0, &pid), 0);
	assert_int_equal(pid, 1);
	assert_ptr_equal(qos_out_last(&w), qos_out_find(&w, 1));
	qos_fini(&w);
	assert_null(w.r);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/* ---- send order, holes, compaction ---- */

static void test_out_of_order_holes(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	uint16_t pids[16];

	(void)state;
	qos_init(&w);
	for (int i = 1; i <= 6; i++)
		assert_int_equal(add(&w, m, 1), i);

	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 2), QOS_ACK_DONE);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 5), QOS_ACK_DONE);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 4), QOS_ACK_DONE);
	assert_int_equal(qos_out_active(&w), 3);
	assert_int_equal(w.r->count, 6); /* holes stay until the head completes */
	assert_int_equal(walk(&w, pids, 16), 3);
	assert_int_equal(pids[0], 1);
	assert_int_equal(pids[1], 3);
	assert_int_equal(pids[2], 6);
	assert_int_equal(m->rb.refs, 4);

	/* the head completes: the hole behind it is compacted too */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 1), QOS_ACK_DONE);
	assert_int_equal(w.r->count, 4);
	assert_int_equal(walk(&w, pids, 16), 2);
	assert_int_equal(pids[0], 3);
	assert_int_equal(pids[1], 6);

	/* new entries go after the holes, in send order */
	assert_int_equal(add(&w, m, 1), 7);
	assert_int_equal(walk(&w, pids, 16), 3);
	assert_int_equal(pids[2], 7);

	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 3), QOS_ACK_DONE);
	assert_int_equal(w.r->count, 2); /* 3, 4, 5 gone: 6, 7 */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 7), QOS_ACK_DONE);
	assert_int_equal(w.r->count, 2); /* a hole at the end is not the head */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 6), QOS_ACK_DONE);
	assert_int_equal(w.r->count, 0);
	assert_int_equal(qos_out_active(&w), 0);
	assert_int_equal(walk(&w, pids, 16), 0);
	assert_int_equal(m->rb.refs, 1);
	qos_fini(&w);
	msg_unref(m);
}

/* A completed entry left as a hole is never found again, whatever the ack type. */
static void test_holes_not_found(void **state)
{
	struct qos_window w;
	struct msg *m = mk(2);
	static const uint8_t types[] = { MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBCOMP };

	(void)state;
	qos_init(&w);
	assert_int_equal(add(&w, m, 1), 1); /* head, stays: keeps the holes in the ring */
	assert_int_equal(add(&w, m, 1), 2);
	assert_int_equal(add(&w, m, 2), 3);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 2), QOS_ACK_DONE);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, 3), QOS_ACK_SEND_PUBREL);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBCOMP, 3), QOS_ACK_DONE);
	assert_int_equal(w.r->count, 3);
	for (size_t t = 0; t < sizeof(types); t++) {
		assert_int_equal(qos_out_ack(&w, types[t], 2), QOS_ACK_UNKNOWN);
		assert_int_equal(qos_out_ack(&w, types[t], 3), QOS_ACK_UNKNOWN);
	}
	assert_int_equal(qos_out_active(&w), 1);
	assert_int_equal(m->rb.refs, 2);
	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/*
 * One message never acknowledged (a stuck head) while everything after it completes: the
 * holes behind the head must not pile up. Regression: the ring used to grow by one entry per
 * message sent for as long as the head stayed, and every ack scanned all of it.
 */
static void test_stuck_head_stays_bounded(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	uint16_t pids[8];

	(void)state;
	qos_init(&w);
	assert_int_equal(add(&w, m, 1), 1);
	for (uint32_t k = 0; k < 200000; k++) {
		uint16_t pid = add(&w, m, (uint8_t)(1 + k % 2));

		assert_int_not_equal(pid, 1);
		if (k % 2) {
			assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, pid), QOS_ACK_SEND_PUBREL);
			assert_int_equal(qos_out_ack(&w, MQTT_PUBCOMP, pid), QOS_ACK_DONE);
		} else {
			assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, pid), QOS_ACK_DONE);
		}
		assert_true(w.r->cap <= 16);
	}
	assert_int_equal(qos_out_active(&w), 1);
	assert_int_equal(walk(&w, pids, 8), 1);
	assert_int_equal(pids[0], 1);
	assert_int_equal(m->rb.refs, 2);

	/* live entries behind the stuck head keep their order through compactions */
	for (uint16_t k = 0; k < 5; k++) {
		uint16_t keep = add(&w, m, 1);

		for (int j = 0; j < 11; j++)
			assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, add(&w, m, 1)), QOS_ACK_DONE);
		assert_int_equal(walk(&w, pids, 8), k + 2);
		assert_int_equal(pids[k + 1], keep);
	}
	assert_true(w.r->cap <= 32);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 1), QOS_ACK_DONE);
	assert_int_equal(walk(&w, pids, 8), 5);
	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/* The ring wraps and grows while wrapped; send order survives both. */
static void test_ring_wrap_and_growth(void **state)
{
	struct qos_window w;
	struct msg *m = mk(1);
	uint16_t pids[64];
	uint16_t want = 1, next = 1;
	uint32_t n;

	(void)state;
	qos_init(&w);
	for (int i = 0; i < 6; i++)
		assert_int_equal(add(&w, m, 1), next++);
	for (int i = 0; i < 5; i++)
		assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, want++), QOS_ACK_DONE);
	assert_int_equal(w.r->head, 5);
	for (int i = 0; i < 7; i++)
		assert_int_equal(add(&w, m, 1), next++);
	assert_int_equal(w.r->cap, 8);
	assert_true(w.r->head + w.r->count > w.r->cap); /* wrapped */
	for (int i = 0; i < 20; i++)
		assert_int_equal(add(&w, m, 1), next++);
	assert_int_equal(w.r->cap, 32);
	n = walk(&w, pids, 64);
	assert_int_equal(n, 28);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(pids[i], want + i);

	/* out-of-order completions across the wrapped, grown ring */
	for (uint16_t p = want + 1; p < next; p += 2)
		assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, p), QOS_ACK_DONE);
	n = walk(&w, pids, 64);
	assert_int_equal(n, 14);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(pids[i], want + 2 * i);
	assert_int_equal(m->rb.refs, 1 + 14);
	qos_fini(&w);
	assert_int_equal(m->rb.refs, 1);
	msg_unref(m);
}

/* qos_fini drops exactly the references still held, whatever state each entry is in. */
static void test_fini_releases(void **state)
{
	struct qos_window w;
	struct msg *a = mk(1), *b = mk(2), *c = mk(2);
	uint16_t pa, pb, pc;

	(void)state;
	qos_init(&w);
	pa = add(&w, a, 1);
	pb = add(&w, b, 2);
	pc = add(&w, c, 2);
	add(&w, a, 1);
	add(&w, b, 2);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, pb), QOS_ACK_SEND_PUBREL);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, pc), QOS_ACK_SEND_PUBREL);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, pa), QOS_ACK_DONE);
	assert_int_equal(a->rb.refs, 2);
	assert_int_equal(b->rb.refs, 2);
	assert_int_equal(c->rb.refs, 1);
	qos_rx2_add(&w, 9);
	qos_fini(&w);
	assert_int_equal(a->rb.refs, 1);
	assert_int_equal(b->rb.refs, 1);
	assert_int_equal(c->rb.refs, 1);
	assert_int_equal(qos_out_active(&w), 0);
	assert_int_equal(qos_rx2_count(&w), 0);
	assert_null(w.r); /* the state went with what it held */

	/* reusable afterwards, ids from 1 again */
	assert_int_equal(add(&w, a, 1), 1);
	qos_fini(&w);
	qos_fini(&w); /* idempotent */
	assert_int_equal(a->rb.refs, 1);
	msg_unref(a);
	msg_unref(b);
	msg_unref(c);
}

/* ---- inbound QoS 2 ---- */

static void test_rx2_add_release(void **state)
{
	struct qos_window w;

	(void)state;
	qos_init(&w);
	assert_int_equal(qos_rx2_release(&w, 7), -ENOENT);
	assert_int_equal(qos_rx2_add(&w, 7), 0);
	assert_int_equal(qos_rx2_count(&w), 1);
	assert_int_equal(qos_rx2_add(&w, 7), 1); /* resent PUBLISH: do not deliver again */
	assert_int_equal(qos_rx2_count(&w), 1);
	assert_int_equal(qos_rx2_release(&w, 7), 0);
	assert_int_equal(qos_rx2_count(&w), 0);
	assert_int_equal(qos_rx2_release(&w, 7), -ENOENT);
	/* after PUBREL the id is new again */
	assert_int_equal(qos_rx2_add(&w, 7), 0);
	assert_int_equal(qos_rx2_add(&w, 65535), 0);
	assert_int_equal(qos_rx2_add(&w, 1), 0);
	assert_int_equal(qos_rx2_release(&w, 8), -ENOENT);
	assert_int_equal(qos_rx2_count(&w), 3);
	qos_fini(&w);
}

static void test_rx2_many(void **state)
{
	struct qos_window w;
	enum { N = 3000 };

	(void)state;
	qos_init(&w);
	/* spread over the id space, including the extremes */
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(qos_rx2_add(&w, (uint16_t)(1 + i * 21)), 0);
	assert_int_equal(qos_rx2_count(&w), N);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(qos_rx2_add(&w, (uint16_t)(1 + i * 21)), 1);
	assert_int_equal(qos_rx2_count(&w), N);
	/* ids never added are unknown */
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(qos_rx2_release(&w, (uint16_t)(2 + i * 21)), -ENOENT);
	/* release the odd ones (swap-removal reorders: all others must stay findable) */
	for (uint32_t i = 1; i < N; i += 2)
		assert_int_equal(qos_rx2_release(&w, (uint16_t)(1 + i * 21)), 0);
	assert_int_equal(qos_rx2_count(&w), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		int want = i % 2 ? 0 : 1;

		assert_int_equal(qos_rx2_add(&w, (uint16_t)(1 + i * 21)), want);
	}
	assert_int_equal(qos_rx2_count(&w), N);
	/* release all, in reverse */
	for (uint32_t i = N; i-- > 0;)
		assert_int_equal(qos_rx2_release(&w, (uint16_t)(1 + i * 21)), 0);
	assert_int_equal(qos_rx2_count(&w), 0);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(qos_rx2_release(&w, (uint16_t)(1 + i * 21)), -ENOENT);
	/* inbound ids are independent of the outbound ones */
	{
		struct msg *m = mk(2);

		assert_int_equal(add(&w, m, 2), 1);
		assert_int_equal(qos_rx2_add(&w, 1), 0);
		assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, 1), QOS_ACK_SEND_PUBREL);
		assert_int_equal(qos_rx2_add(&w, 1), 1);
		qos_fini(&w);
		assert_int_equal(m->rb.refs, 1);
		msg_unref(m);
	}
}

/* ---- entries the durable store put back ---- */

/* max_inflight_bytes: payload bytes in flight, QoS 2 until PUBCOMP, holes included */
static void test_bytes_in_flight(void **state)
{
	struct qos_window w;
	struct msg *m1 = mk(1), *m2 = mk(2), *m3 = mk(1);
	uint16_t p1, p2, p3;

	(void)state;
	qos_init(&w);
	assert_int_equal(qos_out_bytes(&w), 0);
	p1 = add(&w, m1, 1);
	p2 = add(&w, m2, 2);
	p3 = add(&w, m3, 1);
	assert_int_equal(qos_out_bytes(&w), 21);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, p3), QOS_ACK_DONE); /* a hole */
	assert_int_equal(qos_out_bytes(&w), 14);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, p2), QOS_ACK_SEND_PUBREL);
	assert_int_equal(qos_out_bytes(&w), 14); /* released message, still in flight */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBCOMP, p2), QOS_ACK_DONE);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, p1), QOS_ACK_DONE);
	assert_int_equal(qos_out_bytes(&w), 0);
	/* restored entries count too; one waiting for PUBCOMP has no message: 0 bytes */
	assert_int_equal(qos_out_restore(&w, m1, 1, 0, 0, 9, QOS_WAIT_PUBACK), 0);
	assert_int_equal(qos_out_restore(&w, NULL, 2, 0, 0, 10, QOS_WAIT_PUBCOMP), 0);
	assert_int_equal(qos_out_bytes(&w), 7);
	qos_fini(&w);
	msg_unref(m1);
	msg_unref(m2);
	msg_unref(m3);
}

static void test_restore(void **state)
{
	struct qos_window w;
	struct msg *m1 = mk(1), *m2 = mk(2);
	uint16_t pids[4], pid;

	(void)state;
	qos_init(&w);
	assert_int_equal(qos_out_restore(&w, m1, 1, 0, 7, 40, QOS_WAIT_PUBACK), 0);
	assert_int_equal(qos_out_restore(&w, NULL, 2, 0, 0, 41, QOS_WAIT_PUBCOMP), 0);
	assert_int_equal(qos_out_restore(&w, m2, 2, 1, 0, 9, QOS_WAIT_PUBREC), 0);
	/* a pid in use, a state without its message, a wrong QoS: refused */
	assert_int_equal(qos_out_restore(&w, m1, 1, 0, 0, 40, QOS_WAIT_PUBACK), -EEXIST);
	assert_int_equal(qos_out_restore(&w, NULL, 1, 0, 0, 50, QOS_WAIT_PUBACK), -EINVAL);
	assert_int_equal(qos_out_restore(&w, m1, 2, 0, 0, 50, QOS_WAIT_PUBACK), -EINVAL);
	assert_int_equal(qos_out_restore(&w, m1, 1, 0, 0, 0, QOS_WAIT_PUBACK), -EINVAL);
	/* send order kept, references taken only with a message */
	assert_int_equal(walk(&w, pids, 4), 3);
	assert_int_equal(pids[0], 40);
	assert_int_equal(pids[1], 41);
	assert_int_equal(pids[2], 9);
	assert_int_equal(m1->rb.refs, 2);
	assert_null(qos_out_find(&w, 41)->msg);
	assert_int_equal(qos_out_find(&w, 40)->sub_id, 7);
	assert_null(qos_out_find(&w, 77));
	/* they complete as any entry does, and new ids avoid theirs */
	assert_int_equal(qos_out_ack(&w, MQTT_PUBCOMP, 41), QOS_ACK_DONE);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBREC, 9), QOS_ACK_SEND_PUBREL);
	pid = add(&w, m1, 1);
	assert_true(pid != 40 && pid != 9);
	assert_int_equal(qos_out_ack(&w, MQTT_PUBACK, 40), QOS_ACK_DONE);
	qos_fini(&w);
	assert_int_equal(m1->rb.refs, 1);
	assert_int_equal(m2->rb.refs, 1);
	msg_unref(m1);
	msg_unref(m2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pid_starts_at_one),
	    cmocka_unit_test(test_lazy_state),
	    cmocka_unit_test(test_pid_wrap_skips_zero),
	    cmocka_unit_test(test_pid_skips_in_use),
	    cmocka_unit_test(test_pid_exhaustion),
	    cmocka_unit_test(test_qos1_puback),
	    cmocka_unit_test(test_qos2_flow),
	    cmocka_unit_test(test_ack_table),
	    cmocka_unit_test(test_unknown_ids),
	    cmocka_unit_test(test_out_of_order_holes),
	    cmocka_unit_test(test_holes_not_found),
	    cmocka_unit_test(test_stuck_head_stays_bounded),
	    cmocka_unit_test(test_ring_wrap_and_growth),
	    cmocka_unit_test(test_fini_releases),
	    cmocka_unit_test(test_rx2_add_release),
	    cmocka_unit_test(test_rx2_many),
	    cmocka_unit_test(test_restore),
	    cmocka_unit_test(test_bytes_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
