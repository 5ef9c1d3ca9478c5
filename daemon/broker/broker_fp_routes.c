/* SPDX-License-Identifier: MIT */
/*
 * broker_fp_routes: the kernel fast path's route cache and per-flow policy, the half of
 * broker_fastpath.c that decides what the kernel relays (state in broker_fp.h).
 *
 * Route cache (the BMC pattern). The first QoS 0 PUBLISH on (publisher, topic) takes the
 * daemon's path; if its delivery was fast-path eligible (invariant 4, see fp_eligible()) the
 * exact-topic route to the one subscriber is installed. Routes are grouped in flows
 * (publisher, subscriber). A subscription change drops the routes whose topic its filter
 * matches, an ACL reload drops all, a leaving client all of its own.
 *
 * Never worse (invariant 5). Every FP_POLICY_MS each flow's message rate is estimated (frames
 * the daemon relayed, plus kernel bytes / mean frame size); a flow above the high mark moves
 * to the daemon's batched path (its routes are withdrawn), one below the low mark moves back.
 * Both handovers are ordered by the same busy/drained rules as any other path switch.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "broker_fp.h"
#include "log.h"

/* ---- the route cache ---- */

static uint32_t route_hash(const struct fpc *pub, const char *topic, uint16_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)pub;

	for (uint16_t i = 0; i < len; i++) {
		h ^= (uint8_t)topic[i];
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static struct fp_route_ent *route_find(struct broker_fp *bf, const struct fpc *pub,
				       const char *topic, uint16_t len, uint32_t h)
{
	struct fp_route_ent *r;

	for (r = bf->ht[h & bf->ht_mask]; r; r = r->hnext)
		if (r->hash == h && r->len == len && r->flow->pub == pub &&
		    !memcmp(r->topic, topic, len))
			return r;
	return NULL;
}

static int route_install(struct broker_fp *bf, struct fp_route_ent *r)
{
	struct fpc *pub = r->flow->pub;
	int err;

	/* sets FP_SLOT_F_ROUTED: the verdict walks a publisher's skbs only while it has routes */
	err = fastpath_route_add(bf->fp, pub->cookie, r->topic, r->len, r->flow->sub->cookie);
	if (err) {
		if (!pub->n_installed)
			fastpath_set_routed(bf->fp, pub->cookie, false);
		log_debug("fastpath: route '%.*s' not installed: %s", r->len, r->topic,
			  strerror(-err));
		return err;
	}
	r->installed = true;
	pub->n_installed++;
	bf->routes_added++;
	return 0;
}

static void route_uninstall(struct broker_fp *bf, struct fp_route_ent *r)
{
	if (!r->installed)
		return;
	/* -ENOENT: the socket left (its routes went stale with it) or the LRU evicted it */
	fastpath_route_del(bf->fp, r->flow->pub->cookie, r->topic, r->len);
	r->installed = false;
	if (!--r->flow->pub->n_installed)
		fastpath_set_routed(bf->fp, r->flow->pub->cookie, false);
	bf->routes_removed++;
}

static void route_free(struct broker_fp *bf, struct fp_route_ent *r)
{
	struct fp_route_ent **pp = &bf->ht[r->hash & bf->ht_mask];

	if (r->flow->pub->last == r)
		r->flow->pub->last = NULL;
	route_uninstall(bf, r);
	while (*pp != r)
		pp = &(*pp)->hnext;
	*pp = r->hnext;
	bf->n_routes--;
	free(r);
}

void broker_fp_flow_free(struct broker_fp *bf, struct fp_flow *f)
{
	struct fp_flow **pp;

	while (f->routes) {
		struct fp_route_ent *r = f->routes;

		f->routes = r->fnext;
		route_free(bf, r);
	}
	for (pp = &f->pub->flows_out; *pp != f; pp = &(*pp)->pub_next)
		;
	*pp = f->pub_next;
	f->pub->n_flows_out--;
	for (pp = &f->sub->flows_in; *pp != f; pp = &(*pp)->sub_next)
		;
	*pp = f->sub_next;
	if (f->prev)
		f->prev->next = f->next;
	else
		bf->flows = f->next;
	if (f->next)
		f->next->prev = f->prev;
	bf->n_flows--;
	if (f->state == FLOW_KERNEL)
		bf->n_kflows--;
	free(f);
}

/*
 * Drop one route. Its flow stays, with its policy state, until the publisher or the
 * subscriber leaves: a flow the policy moved to the daemon's path stays there when its
 * routes come back after a subscription change.
 */
static void route_drop(struct broker_fp *bf, struct fp_route_ent *r)
{
	struct fp_flow *f = r->flow;
	struct fp_route_ent **pp;

	for (pp = &f->routes; *pp != r; pp = &(*pp)->fnext)
		;
	*pp = r->fnext;
	f->n_routes--;
	route_free(bf, r);
}

static struct fp_flow *flow_get(struct broker_fp *bf, struct fpc *pub, struct fpc *sub)
{
	struct fp_flow *f, *idle = NULL;

	for (f = pub->flows_out; f; f = f->pub_next) {
		if (f->sub == sub)
			return f;
		if (!f->routes)
			idle = f;
	}
	if (pub->n_flows_out >= FP_FLOWS_PER_PUB) {
		if (!idle)
			return NULL;
		broker_fp_flow_free(bf, idle); /* a flow without routes makes room */
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->pub = pub;
	f->sub = sub;
	f->pub_next = pub->flows_out;
	pub->flows_out = f;
	pub->n_flows_out++;
	f->sub_next = sub->flows_in;
	sub->flows_in = f;
	f->next = bf->flows;
	if (bf->flows)
		bf->flows->prev = f;
	bf->flows = f;
	bf->n_flows++;
	bf->n_kflows++; /* FLOW_KERNEL */
	return f;
}

static void flow_count(struct fp_flow *f, size_t frame_len)
{
	f->slow_frames++;
	f->avg_frame =
	    f->avg_frame ? (f->avg_frame * 7 + (uint32_t)frame_len) / 8 : (uint32_t)frame_len;
	if (!f->avg_frame)
		f->avg_frame = 1;
}

/*
 * Invariant 4: may the kernel relay this publisher's frames on this topic, unchanged, to
 * this delivery's subscriber? The broker just matched them (m): QoS 0, RETAIN 0, a frame
 * that needs no rewriting (`plain`), exactly one matching subscription, not shared, no
 * subscription identifier, no per-message read ACL (nor an ACL re-check under way after a
 * reload), not the publisher itself (No Local, and
 * no route to itself), a subscriber online and joined, speaking the same protocol level. The
 * publisher's write ACL was checked by the caller; the kernel checks the subscriber's Maximum
 * Packet Size per frame.
 */
static struct client *fp_eligible(struct client *c, const struct pub *p, const struct match *m,
				  size_t frame_len, bool plain)
{
	struct client *sub;

	if (!plain || p->qos || p->retain || !p->topic_len || p->topic_len > FP_TOPIC_MAX)
		return NULL;
	if (!m)
		return NULL;
	if ((m->opts & (TOPIC_OPT_SHARED | BROKER_OPT_ACL_CHECK)) || m->sub_id ||
	    m->s == p->origin || c->b->acl_walk)
		return NULL;
	sub = m->s->client;
	if (!sub || sub == c || sub->state != CLIENT_ACTIVE || sub->version != c->version)
		return NULL;
	if (sub->rwalk) /* retained messages to send first (broker_retained.c) */
		return NULL;
	if (sub->max_packet_out && frame_len > sub->max_packet_out)
		return NULL;
	return sub;
}

void broker_fp_learn(struct client *c, const struct pub *p, const struct match *m,
		     size_t frame_len, bool plain)
{
	struct broker_fp *bf = c->b->fp;
	struct fpc *pc = c->fp;
	struct fp_route_ent *r;
	struct client *sub;
	struct fp_flow *f;
	uint32_t h;

	if (!bf)
		return;
	if (!pc || !pc->joined) {
		/* Joins are lazy: only a client with an eligible flow pays for the verdict on its
		 * skbs (fan-in to $share, fan-out, QoS 1/2 never do). Not joined yet: ask for
		 * both ends; the route comes with a later message, once both are in. */
		if (!(sub = fp_eligible(c, p, m, frame_len, plain)))
			return;
		/* counted as the daemon's (the in-kernel fraction's base): it could be the
		 * kernel's once both are in */
		fastpath_status_frames(bf->fp, ++bf->daemon_frames);
		if (!pc) {
			broker_fp_want(c);
			broker_fp_want(sub);
		}
		return;
	}
	if (pc->closing)
		return;
	fastpath_status_frames(bf->fp, ++bf->daemon_frames);
	/*
	 * A cached route is eligible by construction: whatever could change that (subscriptions,
	 * ACL, either client leaving) dropped it. So the publisher's last route, when the topic
	 * is the same, needs no checks: this frame was passed (order, busy, budget), or the flow
	 * is on the daemon's path. (The common case at high rates: keep it cheap.)
	 */
	r = pc->last;
	if (r && r->len == p->topic_len && !memcmp(r->topic, p->topic, r->len)) {
		flow_count(r->flow, frame_len);
		if (r->flow->state == FLOW_KERNEL && !r->installed)
			route_install(bf, r);
		return;
	}
	sub = fp_eligible(c, p, m, frame_len, plain);
	if (!sub)
		return;
	if (!sub->fp) {
		broker_fp_want(sub);
		return;
	}
	if (!sub->fp->joined || sub->fp->closing)
		return;
	h = route_hash(pc, p->topic, p->topic_len);
	r = route_find(bf, pc, p->topic, p->topic_len, h);
	if (r && r->flow->sub == sub->fp) {
		pc->last = r;
		flow_count(r->flow, frame_len);
		if (r->flow->state == FLOW_KERNEL && !r->installed)
			route_install(bf, r);
		return;
	}
	if (r) /* another subscriber now: cannot happen without an invalidation, but be safe */
		route_drop(bf, r);
	if (bf->n_routes >= FP_ROUTES_MAX)
		return;
	f = flow_get(bf, pc, sub->fp);
	if (!f)
		return;
	r = calloc(1, sizeof(*r) + p->topic_len);
	if (!r)
		return;
	r->flow = f;
	r->hash = h;
	r->len = p->topic_len;
	memcpy(r->topic, p->topic, p->topic_len);
	r->hnext = bf->ht[h & bf->ht_mask];
	bf->ht[h & bf->ht_mask] = r;
	bf->n_routes++;
	r->fnext = f->routes;
	f->routes = r;
	f->n_routes++;
	flow_count(f, frame_len);
	pc->last = r;
	if (f->state == FLOW_KERNEL)
		route_install(bf, r);
	broker_fp_status_sync(bf);
	broker_fp_tick_arm(bf);
}

void broker_fp_filter_changed(struct broker *b, const char *filter, size_t len)
{
	struct broker_fp *bf = b->fp;
	struct fp_flow *f, *fn;
	const char *rest = filter;
	size_t rest_len = len;

	if (!bf || !bf->n_routes)
		return;
	topic_share_split(filter, len, NULL, NULL, &rest, &rest_len);
	for (f = bf->flows; f; f = fn) {
		struct fp_route_ent *r, *rn;

		fn = f->next;
		for (r = f->routes; r; r = rn) {
			rn = r->fnext;
			if (topic_matches(rest, rest_len, r->topic, r->len))
				route_drop(bf, r);
		}
	}
	broker_fp_status_sync(bf);
}

void broker_fp_flush_routes(struct broker *b)
{
	struct broker_fp *bf = b->fp;

	if (!bf)
		return;
	for (struct fp_flow *f = bf->flows; f; f = f->next)
		while (f->routes)
			route_drop(bf, f->routes);
	broker_fp_status_sync(bf);
}

/* ---- the tick: budgets, joins, the flow policy ---- */

static void fp_sample(struct broker_fp *bf, struct fpc *pc)
{
	struct fastpath_sock_stats st;

	if (pc->sample_tick == bf->tick_n)
		return;
	pc->sample_tick = bf->tick_n;
	if (fastpath_sock_stats(bf->fp, pc->cookie, &st) < 0) {
		pc->d_redirected = pc->d_spent = 0;
		return;
	}
	pc->d_redirected = st.redirected - pc->s_redirected;
	pc->d_spent = st.spent - pc->s_spent;
	pc->s_redirected = st.redirected;
	pc->s_spent = st.spent;
}

static void flow_to(struct broker_fp *bf, struct fp_flow *f, uint8_t state)
{
	struct fp_route_ent *r;

	if (state != f->state)
		bf->n_kflows += state == FLOW_KERNEL ? 1 : -1;
	f->state = state;
	f->streak = 0;
	for (r = f->routes; r; r = r->fnext) {
		if (state == FLOW_DAEMON)
			route_uninstall(bf, r);
		else if (!r->installed)
			route_install(bf, r);
	}
	if (state == FLOW_DAEMON)
		bf->to_daemon++;
	else
		bf->to_kernel++;
	log_debug("fastpath: flow %s -> %s at %" PRIu64 " msg/s: %s path", f->pub->c->client_id,
		  f->sub->c->client_id, f->rate, state == FLOW_DAEMON ? "daemon" : "kernel");
}

/*
 * Each flow's rate: frames the daemon relayed for it, plus the kernel's share estimated from
 * bytes (the publisher's redirected bytes and the subscriber's received ones are exact when
 * the flow is the only one on either side; otherwise their minimum bounds it from above,
 * which errs towards the daemon's path, the one that does not lose at high rates).
 */
void broker_fp_policy(struct broker_fp *bf, int64_t dt_ms)
{
	struct fp_flow *f;

	if (dt_ms <= 0)
		return;
	bf->tick_n++;
	for (f = bf->flows; f; f = f->next) {
		uint64_t kbytes, frames;

		fp_sample(bf, f->pub);
		fp_sample(bf, f->sub);
		kbytes =
		    f->pub->d_redirected < f->sub->d_spent ? f->pub->d_redirected : f->sub->d_spent;
		frames = f->slow_frames + (f->avg_frame ? kbytes / f->avg_frame : 0);
		f->slow_frames = 0;
		f->rate = frames * 1000 / (uint64_t)dt_ms;
		if (!bf->rate_high)
			continue;
		if (f->state == FLOW_KERNEL) {
			f->streak = f->rate > bf->rate_high ? f->streak + 1 : 0;
			if (f->streak >= FP_UP_TICKS)
				flow_to(bf, f, FLOW_DAEMON);
		} else {
			f->streak = f->rate < bf->rate_low ? f->streak + 1 : 0;
			if (f->streak >= FP_DOWN_TICKS)
				flow_to(bf, f, FLOW_KERNEL);
		}
	}
}

/* Refill the credit of every socket that is the target of a kernel-path flow. */
void broker_fp_refill(struct broker_fp *bf)
{
	struct fp_flow *f;

	bf->tick_n++;
	for (f = bf->flows; f; f = f->next) {
		struct fpc *pc = f->sub;
		struct fastpath_sock_stats st;

		if (f->state != FLOW_KERNEL || pc->refill_tick == bf->tick_n)
			continue;
		pc->refill_tick = bf->tick_n;
		if (fastpath_sock_stats(bf->fp, pc->cookie, &st) < 0)
			continue;
		/* one getsockopt only when at least half the window is spent */
		if (st.credit - st.spent < bf->window / 2)
			fastpath_budget_refill(bf->fp, pc->cookie,
					       pc->c->conn->tx_bytes - pc->tx_base, bf->window);
	}
}
