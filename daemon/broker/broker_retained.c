/* SPDX-License-Identifier: MIT */
/*
 * broker_retained: retained delivery on SUBSCRIBE, in slices (issue 15: a new `#` subscriber
 * with 10,000 retained messages held the loop for 76 ms in one dispatch).
 *
 * Each filter of a SUBSCRIBE gets a cursor on the retained trie (topic_rcursor in topic.h: it
 * keeps its place while messages are set and deleted between slices, and reports only messages
 * stored before the SUBSCRIBE that are still the retained one of their topic: a newer one
 * reached the subscriber live). Taking a snapshot of 20,000 references instead cost 14-176 ms
 * in one dispatch (SAN build, loaded machine): the walk itself has to be cut. Each loop turn
 * gives the pending walks, round robin, one budget of RWALK_SLICE_MSGS messages or
 * RWALK_SLICE_US; a walk whose client has RWALK_OUT_MARK bytes unsent or RWALK_QUEUE_MARK
 * messages queued waits (polled every RWALK_WAIT_MS), so the queue limits never drop what the
 * walk has yet to send. A live message on a topic whose retained message the walk has yet to
 * reach sends that one first (broker_retained_live): an old retained message never overtakes a
 * newer live one. While a walk is pending the client is no fast-path target
 * (broker_fp_routes.c): the kernel would let live frames overtake it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_auth.h"
#include "broker_deliver.h"
#include "broker_retained.h"
#include "log.h"

/* One filter's walk: its cursor and what its deliveries need. */
struct rwalk_seg {
	struct topic_rcursor *cur;
	uint32_t sub_id;
	uint8_t granted; /* the QoS granted in the SUBACK */
	uint8_t opts;	 /* the subscription's options after the ACL (TOPIC_OPT_*) */
};

struct broker_rwalk {
	struct rwalk_seg *seg; /* in SUBSCRIBE order: the first one walks first */
	uint32_t nseg, first;  /* first: segments before it are done */
	struct client *c;
	struct broker_rwalk *next, *prev; /* b->rwalks: a ring, the head is served first */
	/* for the log line of a walk that took more than one slice */
	int64_t start_us, longest_us;
	int64_t full_since; /* loop ms since when the client has been too full; 0: it is not */
	uint32_t sent, slices;
	bool force; /* this slice goes past the marks (see slice_run) */
};

static void ring_del(struct broker *b, struct broker_rwalk *r)
{
	if (r->next == r) {
		b->rwalks = NULL;
	} else {
		r->prev->next = r->next;
		r->next->prev = r->prev;
		if (b->rwalks == r)
			b->rwalks = r->next;
	}
}

static void walk_end(struct broker *b, struct broker_rwalk *r)
{
	if (r->slices > 1)
		log_info("Retained messages to %s: %u sent in %u slices (longest %lld us), %.1f ms "
			 "in all.",
			 client_name(r->c), r->sent, r->slices, (long long)r->longest_us,
			 (double)(loop_now_us() - r->start_us) / 1000.0);
	ring_del(b, r);
	r->c->rwalk = NULL;
	for (uint32_t k = 0; k < r->nseg; k++)
		topic_rcursor_free(b->topics, r->seg[k].cur);
	free(r->seg);
	free(r);
	if (!b->rwalks)
		loop_timer_cancel(b->loop, &b->rwalk_timer);
}

/* Sent with RETAIN=1 [MQTT-3.3.1-8] if the ACL (read, and check_retain_source) lets c have
 * it. m is borrowed from the trie. */
static void item_send(struct broker_rwalk *r, const struct rwalk_seg *sg, struct msg *m)
{
	struct client *c = r->c;
	struct broker *b = c->b;
	struct session *s = c->session;
	struct pub p = {0};

	if (!broker_acl_read(b, s, sg->opts, m->topic, m->topic_len) ||
	    !broker_acl_retain_source(b, m))
		return;
	pub_from_msg(&p, m);
	broker_deliver(b, s, &p, broker_out_qos(b, m->qos, sg->granted), 1, sg->sub_id, 0);
	pub_release(&p);
	r->sent++;
}

/* Is c's output or session queue too full to take more now? */
static bool client_full(const struct client *c)
{
	const struct config *cfg = c->b->cfg;
	const struct session *s = c->session;
	uint64_t out = RWALK_OUT_MARK;
	uint32_t q = RWALK_QUEUE_MARK;

	if (cfg->max_queued_bytes && cfg->max_queued_bytes / 2 < out)
		out = cfg->max_queued_bytes / 2;
	if (cfg->max_queued_messages && cfg->max_queued_messages / 2 < q)
		q = cfg->max_queued_messages / 2 ? cfg->max_queued_messages / 2 : 1;
	return c->conn->out.bytes >= out || session_queue_count(s) >= q ||
	       (cfg->max_queued_bytes && session_queue_bytes(s) >= cfg->max_queued_bytes / 2);
}

static bool client_gone(const struct client *c)
{
	return !c->conn || c->conn->closed || c->state != CLIENT_ACTIVE;
}

enum slice_end { SLICE_DONE, SLICE_MORE, SLICE_FULL };

/* One slice of r's walk, within the turn that began at t0 (loop_now_us). */
static enum slice_end slice_run(struct broker_rwalk *r, int64_t t0)
{
	struct client *c = r->c;
	struct topic_tree *t = c->b->topics;
	uint32_t steps = RWALK_SLICE_STEPS;
	struct msg *m;

	for (uint32_t n = 0; n < RWALK_SLICE_MSGS; n++) {
		if (client_gone(c))
			return SLICE_DONE;
		if (!r->force && client_full(c)) {
			int64_t now = loop_now(c->b->loop);

			if (!r->full_since)
				r->full_since = now;
			if (now - r->full_since < RWALK_STARVE_MS)
				return SLICE_FULL;
			/* A live flow that keeps the client full would starve the walk for good (a
			 * slow reader under a QoS 0 flood): one slice now, as an unsliced delivery
			 * would have sent it (the queue limits then apply as to any delivery). */
			r->force = true;
		}
		if ((n & 15) == 15 && loop_now_us() - t0 > RWALK_SLICE_US)
			return SLICE_MORE;
		for (;;) {
			struct rwalk_seg *sg;

			if (r->first == r->nseg)
				return SLICE_DONE;
			sg = &r->seg[r->first];
			if (!sg->cur || topic_rcursor_done(sg->cur)) {
				r->first++;
				continue;
			}
			m = topic_rcursor_next(t, sg->cur, &steps);
			if (m) {
				item_send(r, sg, m);
				break;
			}
			if (!steps)
				return SLICE_MORE; /* a sparse match: the nodes passed count too */
		}
	}
	return r->first == r->nseg ? SLICE_DONE : SLICE_MORE;
}

static enum slice_end slice(struct broker_rwalk *r, int64_t t0)
{
	int64_t s0 = loop_now_us();
	enum slice_end e = slice_run(r, t0);
	int64_t took = loop_now_us() - s0;

	if (r->force) {
		r->force = false;
		r->full_since = 0;
	}

	r->slices++;
	if (took > r->longest_us)
		r->longest_us = took;
	return e;
}

/* The next turn in `after` ms. Without a timer (no memory for the loop's heap) the walks stay
 * pending: the next SUBSCRIBE's walk arms it again. */
static void rwalk_arm(struct broker *b, int64_t after)
{
	if (loop_timer_set(b->loop, &b->rwalk_timer, loop_now(b->loop) + after) < 0)
		log_warn("retained deliveries: out of memory for a timer; pending walks wait");
}

/*
 * The timer: one turn over the ring from its head, within one budget; the next turn starts at
 * the walk after the last one served, so several walks take turns. It re-arms itself for now
 * (the loop runs it in its next pass, after that pass's events) or, when every walk waits for
 * its client to drain, RWALK_WAIT_MS later.
 */
static void rwalk_turn(struct loop *l, struct loop_timer *t)
{
	struct broker *b = t->ctx;
	int64_t t0 = loop_now_us();
	struct broker_rwalk *r = b->rwalks, *next;
	uint32_t served = 0, ring = 0;
	bool busy = false;

	(void)l;
	for (struct broker_rwalk *x = r; x && (!ring || x != r); x = x->next)
		ring++;
	while (r && served < ring) {
		enum slice_end e = slice(r, t0);

		served++;
		next = r->next == r ? NULL : r->next;
		if (e == SLICE_DONE)
			walk_end(b, r);
		else
			busy |= e == SLICE_MORE;
		r = next;
		if (loop_now_us() - t0 > RWALK_SLICE_US) {
			busy |= served < ring; /* the next ones did not get their turn */
			break;
		}
	}
	if (r && b->rwalks)
		b->rwalks = r;
	if (b->rwalks)
		rwalk_arm(b, busy ? 0 : RWALK_WAIT_MS);
}

/* c's walk, made on first use and put at the ring's tail. */
static struct broker_rwalk *walk_of(struct client *c)
{
	struct broker *b = c->b;
	struct broker_rwalk *r = c->rwalk;

	if (r)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->c = c;
	r->start_us = loop_now_us();
	c->rwalk = r;
	if (!b->rwalks) {
		r->next = r->prev = r;
		b->rwalks = r;
		loop_timer_init(&b->rwalk_timer, rwalk_turn, b);
	} else {
		r->prev = b->rwalks->prev;
		r->next = b->rwalks;
		r->prev->next = r;
		b->rwalks->prev = r;
	}
	return r;
}

void broker_retained_subscribe(struct client *c, const char *filter, uint16_t len, uint8_t granted,
			       uint8_t opts, uint32_t sub_id)
{
	struct broker *b = c->b;
	struct broker_rwalk *r = walk_of(c);
	struct rwalk_seg *sg = r ? realloc(r->seg, (r->nseg + 1) * sizeof(*sg)) : NULL;
	struct topic_rcursor *cur = NULL;

	if (sg) {
		r->seg = sg;
		cur = topic_rcursor_new(b->topics, filter, len);
	}
	if (!cur) {
		log_warn("client=%s: out of memory: no retained messages for '%.*s'",
			 client_name(c), (int)len, filter);
		if (r && r->first == r->nseg)
			walk_end(b, r);
		return;
	}
	r->seg[r->nseg++] = (struct rwalk_seg){cur, sub_id, granted, opts};
	/* The first slice now (after the SUBACK, already queued), whatever the client's queue
	 * holds: most walks end here, and a client kept full by a live flow still gets the
	 * retained messages of each SUBSCRIBE (t_fastpath_one_writer re-subscribes every 100 ms
	 * while a slow reader is flooded: it got 6 for 23 SUBACKs while this slice waited). */
	r->force = true;
	if (slice(r, loop_now_us()) == SLICE_DONE)
		walk_end(b, r);
	else if (!loop_timer_armed(&b->rwalk_timer))
		rwalk_arm(b, 0);
}

void broker_retained_unsubscribe(struct client *c, const char *filter, uint16_t len)
{
	struct broker_rwalk *r = c->rwalk;
	size_t flen;

	for (uint32_t k = 0; r && k < r->nseg; k++) {
		const char *f = r->seg[k].cur ? topic_rcursor_filter(r->seg[k].cur, &flen) : NULL;

		if (f && flen == len && !memcmp(f, filter, len)) {
			topic_rcursor_free(c->b->topics, r->seg[k].cur);
			r->seg[k].cur = NULL; /* passed over by slice_run */
		}
	}
}

void broker_retained_live(struct client *c, struct pub *p)
{
	struct broker_rwalk *r = c->rwalk;

	for (uint32_t k = r->first; k < r->nseg; k++) {
		struct rwalk_seg *sg = &r->seg[k];
		struct msg *m;

		if (sg->cur &&
		    (m = topic_rcursor_take(c->b->topics, sg->cur, p->topic, p->topic_len)) &&
		    m != p->msg)
			item_send(r, sg, m);
	}
}

void broker_retained_client_gone(struct client *c)
{
	if (c->rwalk)
		walk_end(c->b, c->rwalk);
}

void broker_retained_stop(struct broker *b)
{
	while (b->rwalks)
		walk_end(b, b->rwalks);
	loop_timer_cancel(b->loop, &b->rwalk_timer);
}
