/* SPDX-License-Identifier: MIT */
/*
 * broker_fastpath: the broker's half of the kernel fast path (include/fastpath.h is the
 * kernel half; ARCHITECTURE.md "The kernel fast path" is the specification).
 *
 * Join. A plain-TCP MQTT client joins when it first takes part in an eligible flow: the
 * first QoS 0 PUBLISH whose delivery would qualify (fp_eligible()) queues the publisher and
 * its one subscriber (always after their CONNACKs). Clients that never have such a flow
 * (fan-in to $share, fan-out, QoS 1/2 only, idle) never join: the verdict then costs them
 * nothing, and idle connections hold no kernel psock. The join is a deferred step: read and
 * parse until the socket says EAGAIN with no partial frame held, fastpath_sock_add(), then
 * read once more (bytes that arrived in between go through the verdict). While a partial
 * frame is held or the client is paused, the join is retried on the tick. A client whose
 * join fails (the fast path is full) keeps its state and stays on the daemon's path.
 *
 * Route cache (the BMC pattern). The first QoS 0 PUBLISH on (publisher, topic) takes the
 * daemon's path; if its delivery was fast-path eligible (invariant 4, see fp_eligible()) the
 * exact-topic route to the one subscriber is installed. Routes are grouped in flows
 * (publisher, subscriber). A subscription change drops the routes whose topic its filter
 * matches, an ACL reload drops all, a leaving client all of its own.
 *
 * One writer (invariant 1). A joined socket's conn is gated: queueing output sets the busy
 * flag (the verdict then redirects nothing to it), a write waits until fastpath_tx_quiet()
 * proves the kernel's redirect queue towards it empty (polled every FP_RETRY_MS), an empty
 * queue clears busy. Quiet is cached while busy stays set: no redirect can happen then.
 *
 * Order (invariant 2). After each parse the bytes consumed since the join are reported as
 * drained; the verdict redirects a publisher's skb only when everything it passed earlier was
 * dispatched. Dispatching a message to a subscriber sets that subscriber busy before drained
 * moves, so a redirect never overtakes a message the daemon still holds.
 *
 * Memory (invariant 3). A target's byte credit starts at the window (max_queued_bytes, else
 * 1 MiB) and is refilled on the tick from what the socket had acknowledged, so at most about
 * a window of redirected data is queued or unacknowledged towards any subscriber; beyond it
 * the verdict passes and the daemon's QoS 0 queue limit drops and counts.
 *
 * Never worse (invariant 5). Every FP_POLICY_MS each flow's message rate is estimated (frames
 * the daemon relayed, plus kernel bytes / mean frame size); a flow above the high mark moves
 * to the daemon's batched path (its routes are withdrawn), one below the low mark moves back.
 * Both handovers are ordered by the same busy/drained rules as any other path switch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_fastpath.h"
#include "fastpath.h"
#include "log.h"

#define FP_TICK_MS	  10	/* budget refill, join retries */
#define FP_POLICY_MS	  100	/* flow rates and handovers */
#define FP_RETRY_MS	  1	/* a held-back write polls tx_quiet this often */
#define FP_CLOSE_WAIT_US  2000	/* closing: how long the last write may wait for quiet */
#define FP_WINDOW_DEFAULT (1u << 20)
/* Half the kernel's LRU route map: a cached route is then never evicted behind our back. */
#define FP_ROUTES_MAX	  8192u
#define FP_FLOWS_PER_PUB  64u
/* Flow policy (frames/s): above HIGH for FP_UP_TICKS policy ticks -> daemon; below LOW for
 * FP_DOWN_TICKS -> kernel. Measured, see README "Kernel fast path". */
#define FP_RATE_HIGH	  40000u
#define FP_RATE_LOW	  15000u
#define FP_UP_TICKS	  2
#define FP_DOWN_TICKS	  5

enum { FLOW_KERNEL = 0, FLOW_DAEMON };

struct fp_route_ent {
	struct fp_route_ent *hnext; /* hash chain */
	struct fp_route_ent *fnext; /* the flow's routes */
	struct fp_flow *flow;
	uint32_t hash;
	bool installed; /* in the kernel's route map */
	uint16_t len;
	char topic[];
};

struct fp_flow {
	struct fp_flow *next, *prev; /* every flow */
	struct fp_flow *pub_next;    /* the publisher's flows */
	struct fp_flow *sub_next;    /* the subscriber's flows */
	struct fpc *pub, *sub;
	struct fp_route_ent *routes;
	uint32_t n_routes;
	uint8_t state;	/* FLOW_* */
	uint8_t streak; /* consecutive policy ticks past the mark */
	uint32_t avg_frame;
	uint64_t slow_frames; /* relayed by the daemon since the last policy tick */
	uint64_t rate;	      /* frames/s at the last policy tick */
};

/* The two work lists a client can be on: join pending, write held back. */
enum { L_PEND = 0, L_WAIT, L_NR };

struct fp_link {
	struct fpc *next, *prev;
};

struct fp_list {
	struct fpc *head, *tail;
	uint32_t n;
};

/* Per client; allocated when it is to join, freed when it leaves. */
struct fpc {
	struct client *c;
	struct fp_link link[L_NR];
	bool on[L_NR];
	struct fp_flow *flows_out, *flows_in;
	uint32_t n_flows_out;
	uint32_t n_installed; /* routes from it in the kernel */
	struct fp_route_ent *last; /* its route used last (most publishers repeat one topic) */
	uint64_t cookie;
	uint64_t tx_base;     /* conn->tx_bytes at the join */
	uint64_t consumed;    /* bytes parsed since the join: drained */
	uint64_t spent_quiet; /* every byte redirected up to this `spent` is in the TCP queue */
	uint64_t ka_redirected;
	uint64_t s_redirected, s_spent, d_redirected, d_spent; /* policy samples */
	uint32_t sample_tick;
	uint32_t refill_tick;
	bool joined, busy, quiet, closing;
	bool joining, dead; /* inside fp_join (which may close the conn); left meanwhile */
};

struct broker_fp {
	struct broker *b;
	struct fastpath *fp;
	uint64_t window;
	uint32_t rate_high, rate_low;
	struct fp_route_ent **ht;
	uint32_t ht_mask, n_routes;
	struct fp_flow *flows;
	uint32_t n_flows, n_kflows, n_joined; /* n_kflows: flows on the kernel path */
	struct fp_list list[L_NR];
	struct loop_timer tick, retry;
	bool join_deferred;
	uint32_t tick_n;
	int64_t policy_at;
	/* counters ($SYS) */
	uint64_t routes_added, routes_removed, to_daemon, to_kernel, join_failed, writes_held;
	uint64_t daemon_frames; /* QoS 0 PUBLISH frames relayed from joined sockets */
};

/* The figures `mqttgwd --fastpath-status` reads from the pinned meta: O(1), no syscall. */
static void fp_status_sync(struct broker_fp *bf)
{
	struct fastpath_status st = {
		.sockets = bf->n_joined,
		.routes = bf->n_routes,
		.flows_kernel = bf->n_kflows,
		.flows_daemon = bf->n_flows - bf->n_kflows,
		.to_daemon = bf->to_daemon,
		.to_kernel = bf->to_kernel,
		.writes_held = bf->writes_held,
		.daemon_frames = bf->daemon_frames,
	};

	fastpath_status_set(bf->fp, &st);
}

static struct fpc *conn_fpc(struct conn *conn)
{
	return ((struct client *)conn->owner)->fp;
}

/* Work lists: appended at the tail, taken from the head, unlinked in O(1) at any time (a
 * client may leave while a list is being worked through). */
static void lst_add(struct broker_fp *bf, int k, struct fpc *pc)
{
	struct fp_list *l = &bf->list[k];

	if (pc->on[k])
		return;
	pc->link[k].next = NULL;
	pc->link[k].prev = l->tail;
	if (l->tail)
		l->tail->link[k].next = pc;
	else
		l->head = pc;
	l->tail = pc;
	l->n++;
	pc->on[k] = true;
}

static void lst_del(struct broker_fp *bf, int k, struct fpc *pc)
{
	struct fp_list *l = &bf->list[k];

	if (!pc->on[k])
		return;
	if (pc->link[k].prev)
		pc->link[k].prev->link[k].next = pc->link[k].next;
	else
		l->head = pc->link[k].next;
	if (pc->link[k].next)
		pc->link[k].next->link[k].prev = pc->link[k].prev;
	else
		l->tail = pc->link[k].prev;
	l->n--;
	pc->on[k] = false;
}

static struct fpc *lst_pop(struct broker_fp *bf, int k)
{
	struct fpc *pc = bf->list[k].head;

	if (pc)
		lst_del(bf, k, pc);
	return pc;
}

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

static void flow_free(struct broker_fp *bf, struct fp_flow *f)
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
		flow_free(bf, idle); /* a flow without routes makes room */
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
	f->avg_frame = f->avg_frame ? (f->avg_frame * 7 + (uint32_t)frame_len) / 8
				    : (uint32_t)frame_len;
	if (!f->avg_frame)
		f->avg_frame = 1;
}

static void fp_tick_arm(struct broker_fp *bf)
{
	if (!loop_timer_armed(&bf->tick))
		loop_timer_set(bf->b->loop, &bf->tick, loop_now(bf->b->loop) + FP_TICK_MS);
}

/*
 * Invariant 4: may the kernel relay this publisher's frames on this topic, unchanged, to
 * this delivery's subscriber? The broker just matched them (m): QoS 0, RETAIN 0, a frame
 * that needs no rewriting (`plain`), exactly one matching subscription, not shared, no
 * subscription identifier, no per-message read ACL, not the publisher itself (No Local, and
 * no route to itself), a subscriber online and joined, speaking the same protocol level. The
 * publisher's write ACL was checked by the caller; the kernel checks the subscriber's Maximum
 * Packet Size per frame.
 */
static void fp_want(struct client *c);

static struct client *fp_eligible(struct client *c, const struct pub *p, const struct match *m,
				  size_t frame_len, bool plain)
{
	struct client *sub;

	if (!plain || p->qos || p->retain || !p->topic_len || p->topic_len > FP_TOPIC_MAX)
		return NULL;
	if (!m)
		return NULL;
	if ((m->opts & (TOPIC_OPT_SHARED | BROKER_OPT_ACL_CHECK)) || m->sub_id ||
	    m->s == p->origin)
		return NULL;
	sub = m->s->client;
	if (!sub || sub == c || sub->state != CLIENT_ACTIVE || sub->version != c->version)
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
			fp_want(c);
			fp_want(sub);
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
		fp_want(sub);
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
	fp_status_sync(bf);
	fp_tick_arm(bf);
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
	fp_status_sync(bf);
}

void broker_fp_flush_routes(struct broker *b)
{
	struct broker_fp *bf = b->fp;

	if (!bf)
		return;
	for (struct fp_flow *f = bf->flows; f; f = f->next)
		while (f->routes)
			route_drop(bf, f->routes);
	fp_status_sync(bf);
}

/* ---- one writer: the conn gate ---- */

static void fp_busy(struct broker_fp *bf, struct fpc *pc)
{
	if (pc->busy)
		return;
	fastpath_set_busy(bf->fp, pc->cookie, true);
	pc->busy = true;
	pc->quiet = false;
}

void broker_fp_on_output(struct conn *conn)
{
	struct fpc *pc = conn_fpc(conn);

	if (pc && pc->joined)
		fp_busy(((struct client *)conn->owner)->b->fp, pc);
}

void broker_fp_on_out_empty(struct conn *conn)
{
	struct fpc *pc = conn_fpc(conn);
	struct broker_fp *bf = ((struct client *)conn->owner)->b->fp;

	if (!pc || !pc->joined || !pc->busy)
		return;
	fastpath_set_busy(bf->fp, pc->cookie, false);
	pc->busy = false;
	pc->quiet = false;
}

/* Is the kernel's redirect queue towards pc empty? Caches the answer while busy holds. */
static bool fp_quiet(struct broker_fp *bf, struct fpc *pc, struct conn *conn)
{
	struct fastpath_sock_stats st;
	int r;

	if (pc->quiet)
		return true;
	if (fastpath_sock_stats(bf->fp, pc->cookie, &st) < 0)
		return true; /* not in the fast path (any more): nothing can be queued */
	/* Nothing redirected since it was last proven quiet: still quiet (busy is set, so
	 * nothing can be redirected from now on either). */
	if (st.spent == pc->spent_quiet) {
		pc->quiet = true;
		return true;
	}
	r = fastpath_tx_quiet(bf->fp, pc->cookie, conn->tx_bytes - pc->tx_base);
	if (r < 0) {
		log_debug("fastpath: tx_quiet on %s: %s", conn->peer, strerror(-r));
		return true; /* a broken socket: the write will tell */
	}
	if (r == 1) {
		/* spent as read before the check: never claims more than was proven */
		pc->spent_quiet = st.spent;
		pc->quiet = true;
	}
	return r == 1;
}

bool broker_fp_may_write(struct conn *conn)
{
	struct client *c = conn->owner;
	struct fpc *pc = c->fp;
	struct broker_fp *bf = c->b->fp;

	if (!pc || !pc->joined)
		return true;
	fp_busy(bf, pc);
	if (fp_quiet(bf, pc, conn))
		return true;
	if (pc->closing) {
		/* The last words (a v5 DISCONNECT): wait a little for the kernel's queue rather
		 * than lose them; the close drops whatever is still queued anyway. */
		for (int us = 0; us < FP_CLOSE_WAIT_US; us += 100) {
			usleep(100);
			if (fp_quiet(bf, pc, conn))
				return true;
		}
		return false;
	}
	bf->writes_held++;
	lst_add(bf, L_WAIT, pc);
	if (!loop_timer_armed(&bf->retry))
		loop_timer_set(c->b->loop, &bf->retry, loop_now(c->b->loop) + FP_RETRY_MS);
	return false;
}

static void fp_retry_fired(struct loop *l, struct loop_timer *t)
{
	struct broker_fp *bf = t->ctx;
	uint32_t n = bf->list[L_WAIT].n;
	struct fpc *pc;

	(void)l;
	/* Only those waiting now: a flush may hold its conn back again (to the tail), or close
	 * it (pc freed: not touched after the flush). */
	while (n-- && (pc = lst_pop(bf, L_WAIT))) {
		struct conn *conn = pc->c->conn;

		if (conn && !conn->closed)
			conn_flush(conn);
	}
}

/* ---- join and leave ---- */

static uint32_t fp_max_frame(const struct client *c)
{
	const struct config *cfg = c->b->cfg;
	uint32_t m = c->max_packet_out;

	/*
	 * Frames the daemon would refuse from the publisher (max_packet_size closes it;
	 * message_size_limit bounds the payload, and a frame is larger than its payload) must
	 * reach it: passing every frame above the limits at the target is equivalent, since
	 * they are global.
	 */
	if (cfg->max_packet_size && (!m || cfg->max_packet_size < m))
		m = cfg->max_packet_size;
	if (cfg->message_size_limit && (!m || cfg->message_size_limit < m))
		m = cfg->message_size_limit;
	return m;
}

/* Everything pc holds, but not pc itself. */
static void fpc_release(struct broker_fp *bf, struct fpc *pc)
{
	while (pc->flows_out)
		flow_free(bf, pc->flows_out);
	while (pc->flows_in)
		flow_free(bf, pc->flows_in);
	for (int k = 0; k < L_NR; k++)
		lst_del(bf, k, pc);
}

static void fpc_free(struct broker_fp *bf, struct fpc *pc)
{
	fpc_release(bf, pc);
	free(pc);
}

/* 0: done (joined, or stays on the daemon's path); -EAGAIN: try again on the tick. */
static int fp_join(struct broker_fp *bf, struct fpc *pc)
{
	struct client *c = pc->c;
	struct conn *conn = c->conn;
	struct fastpath_sock_opts o = {0};
	int err;

	if (!conn || conn->closed || c->state != CLIENT_ACTIVE)
		return 0;
	if (conn->read_paused || conn->rx_len)
		return -EAGAIN;
	/* The socket must be at EAGAIN with nothing held: the verdict sees whole skbs from the
	 * add on, and a frame boundary. Reading dispatches, which may close the client. */
	pc->joining = true;
	err = conn_read_idle(conn) ? 0 : -EAGAIN;
	pc->joining = false;
	if (pc->dead || !c->conn || c->conn->closed)
		return 0;
	if (err)
		return err;
	o.proto = c->version;
	o.max_frame = fp_max_frame(c);
	o.budget = bf->window;
	err = fastpath_sock_add(bf->fp, conn->fd, &o, &pc->cookie);
	if (err) {
		bf->join_failed++;
		log_debug("fastpath: client %s stays on the daemon's path: %s", c->client_id,
			  strerror(-err));
		return 0;
	}
	pc->joined = true;
	pc->tx_base = conn->tx_bytes;
	bf->n_joined++;
	fp_status_sync(bf);
	conn->gated = true;
	if (!outq_empty(&conn->out))
		fp_busy(bf, pc);
	/* Bytes that arrived since the EAGAIN go through the verdict on the next read. */
	pc->joining = true;
	conn_read_idle(conn);
	pc->joining = false;
	return 0;
}

static void fp_join_pending(struct broker_fp *bf)
{
	uint32_t n = bf->list[L_PEND].n;
	struct fpc *pc;

	/* Only those pending now; a retry goes to the tail, as do joins queued meanwhile. */
	while (n-- && (pc = lst_pop(bf, L_PEND))) {
		int r = fp_join(bf, pc);

		if (pc->dead)
			free(pc); /* left during the join: broker_fp_leave() released the rest */
		else if (r == -EAGAIN)
			lst_add(bf, L_PEND, pc);
		/* else: joined, or it stays on the daemon's path: its fpc stays (not joined, on
		 * no list) so that the next eligible message does not try again */
	}
	if (bf->list[L_PEND].n)
		fp_tick_arm(bf);
}

static void fp_join_deferred(struct loop *l, void *ctx)
{
	struct broker_fp *bf = ctx;

	(void)l;
	bf->join_deferred = false;
	fp_join_pending(bf);
}

/* Queue c to join the fast path (it has, or is the target of, an eligible flow). */
static void fp_want(struct client *c)
{
	struct broker_fp *bf = c->b->fp;
	struct fpc *pc;

	if (!bf || c->fp || !c->conn || c->conn->tp != &conn_tcp || c->state != CLIENT_ACTIVE ||
	    c->listener->protocol != CONFIG_PROTO_MQTT || c->b->shutting_down)
		return;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return;
	pc->c = c;
	c->fp = pc;
	lst_add(bf, L_PEND, pc);
	if (!bf->join_deferred && loop_defer(c->b->loop, fp_join_deferred, bf) == 0)
		bf->join_deferred = true;
	else
		fp_tick_arm(bf);
}

void broker_fp_closing(struct client *c)
{
	if (c->fp)
		c->fp->closing = true;
}

void broker_fp_leave(struct client *c)
{
	struct broker_fp *bf = c->b->fp;
	struct fpc *pc = c->fp;
	int err;

	if (!bf || !pc)
		return;
	c->fp = NULL;
	if (pc->joined) {
		/* After close(fd) (conn_close closes before on_close): never read again. */
		err = fastpath_sock_remove(bf->fp, pc->cookie);
		if (err && err != -ENOENT)
			log_debug("fastpath: removing %s: %s", c->client_id, strerror(-err));
		pc->joined = false;
		bf->n_joined--;
	}
	if (pc->joining) {
		/* fp_join() is on the stack: its caller frees pc */
		fpc_release(bf, pc);
		pc->dead = true;
	} else {
		fpc_free(bf, pc);
	}
	fp_status_sync(bf);
}

void broker_fp_parsed(struct client *c, size_t consumed)
{
	struct fpc *pc = c->fp;

	if (!pc || !pc->joined)
		return;
	pc->consumed += consumed;
	fastpath_drained(c->b->fp->fp, pc->cookie, pc->consumed);
}

bool broker_fp_rx_activity(struct client *c)
{
	struct fastpath_sock_stats st;
	struct fpc *pc = c->fp;

	if (!pc || !pc->joined || fastpath_sock_stats(c->b->fp->fp, pc->cookie, &st) < 0 ||
	    st.redirected == pc->ka_redirected)
		return false;
	pc->ka_redirected = st.redirected;
	return true;
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
static void fp_policy(struct broker_fp *bf, int64_t dt_ms)
{
	struct fp_flow *f;

	if (dt_ms <= 0)
		return;
	bf->tick_n++;
	for (f = bf->flows; f; f = f->next) {
		uint64_t kbytes, frames;

		fp_sample(bf, f->pub);
		fp_sample(bf, f->sub);
		kbytes = f->pub->d_redirected < f->sub->d_spent ? f->pub->d_redirected
								 : f->sub->d_spent;
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
static void fp_refill(struct broker_fp *bf)
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
			fastpath_budget_refill(bf->fp, pc->cookie, pc->c->conn->tx_bytes - pc->tx_base,
					       bf->window);
	}
}

static void fp_tick_fired(struct loop *l, struct loop_timer *t)
{
	struct broker_fp *bf = t->ctx;
	int64_t now = loop_now(l);

	if (bf->list[L_PEND].n)
		fp_join_pending(bf);
	fp_refill(bf);
	if (now - bf->policy_at >= FP_POLICY_MS) {
		fp_policy(bf, now - bf->policy_at);
		bf->policy_at = now;
	}
	fp_status_sync(bf);
	/* idle (no route cached, nobody to join): no wake-ups; learning a route re-arms */
	if (bf->n_routes || bf->list[L_PEND].n)
		fp_tick_arm(bf);
}

/* ---- counters ---- */

uint64_t broker_fp_relayed(struct broker *b, uint64_t *bytes)
{
	struct fastpath_counters fc;

	*bytes = 0;
	if (!b->fp || fastpath_counters(b->fp->fp, &fc) < 0)
		return 0;
	*bytes = fc.redirected_bytes;
	return fc.redirected_frames;
}

void broker_fp_sys(struct broker *b, void (*pub)(struct broker *b, const char *topic,
						 const char *value))
{
	struct broker_fp *bf = b->fp;
	struct fastpath_counters fc;
	uint64_t pf = 0, pb = 0;
	char topic[96], v[32];

#define PUBV(t, fmt, x)                                                                          \
	do {                                                                                     \
		snprintf(v, sizeof(v), fmt, x);                                                  \
		pub(b, "$SYS/broker/fastpath/" t, v);                                            \
	} while (0)
	PUBV("active", "%d", bf ? 1 : 0);
	if (!bf || fastpath_counters(bf->fp, &fc) < 0)
		return;
	PUBV("sockets", "%u", bf->n_joined);
	PUBV("routes", "%u", bf->n_routes);
	PUBV("flows/kernel", "%u", bf->n_kflows);
	PUBV("flows/daemon", "%u", bf->n_flows - bf->n_kflows);
	PUBV("handovers/to_daemon", "%" PRIu64, bf->to_daemon);
	PUBV("handovers/to_kernel", "%" PRIu64, bf->to_kernel);
	PUBV("writes_held", "%" PRIu64, bf->writes_held);
	PUBV("redirected/skbs", "%" PRIu64, fc.redirected_skbs);
	PUBV("redirected/frames", "%" PRIu64, fc.redirected_frames);
	PUBV("redirected/bytes", "%" PRIu64, fc.redirected_bytes);
	PUBV("over_budget/skbs", "%" PRIu64, fc.over_budget);
	PUBV("duplicates/skbs", "%" PRIu64, fc.dup_skbs);
	PUBV("duplicates/bytes", "%" PRIu64, fc.dup_bytes);
	for (unsigned int i = 0; i < FP_PASS_NR; i++) {
		const char *n = fastpath_reason_name(i);

		pf += fc.passed_frames[i];
		pb += fc.passed_bytes[i];
		snprintf(topic, sizeof(topic), "$SYS/broker/fastpath/passed/%s/frames", n);
		snprintf(v, sizeof(v), "%" PRIu64, fc.passed_frames[i]);
		pub(b, topic, v);
		snprintf(topic, sizeof(topic), "$SYS/broker/fastpath/passed/%s/bytes", n);
		snprintf(v, sizeof(v), "%" PRIu64, fc.passed_bytes[i]);
		pub(b, topic, v);
	}
	PUBV("passed/frames", "%" PRIu64, pf);
	PUBV("passed/bytes", "%" PRIu64, pb);
#undef PUBV
}

/* ---- start and stop ---- */

int broker_fp_start(struct broker *b, struct fastpath *fp)
{
	struct broker_fp *bf;
	const char *env;

	if (!fastpath_active(fp))
		return 0;
	bf = calloc(1, sizeof(*bf));
	if (!bf)
		return -ENOMEM;
	bf->ht_mask = 2 * FP_ROUTES_MAX - 1;
	bf->ht = calloc(bf->ht_mask + 1, sizeof(*bf->ht));
	if (!bf->ht) {
		free(bf);
		return -ENOMEM;
	}
	bf->b = b;
	bf->fp = fp;
	bf->window = b->cfg->max_queued_bytes ? b->cfg->max_queued_bytes : FP_WINDOW_DEFAULT;
	bf->rate_high = FP_RATE_HIGH;
	bf->rate_low = FP_RATE_LOW;
	/* For tests and measurements: MQTTGW_FP_FLOW_RATES=HIGH,LOW (frames/s; HIGH 0: every
	 * flow stays on the kernel path). */
	env = getenv("MQTTGW_FP_FLOW_RATES");
	if (env) {
		unsigned int hi = 0, lo = 0;

		if (sscanf(env, "%u,%u", &hi, &lo) == 2 && lo <= hi) {
			bf->rate_high = hi;
			bf->rate_low = lo;
		}
	}
	loop_timer_init(&bf->tick, fp_tick_fired, bf);
	loop_timer_init(&bf->retry, fp_retry_fired, bf);
	bf->policy_at = loop_now(b->loop);
	b->fp = bf;
	fp_status_sync(bf);
	return 0;
}

void broker_fp_stop(struct broker *b)
{
	struct broker_fp *bf = b->fp;

	if (!bf)
		return;
	/* every client has left by now (broker_shutdown); what remains is not in the kernel */
	while (bf->flows)
		flow_free(bf, bf->flows);
	loop_timer_cancel(b->loop, &bf->tick);
	loop_timer_cancel(b->loop, &bf->retry);
	for (int k = 0; k < L_NR; k++) {
		struct fpc *pc;

		while ((pc = lst_pop(bf, k))) {
			pc->c->fp = NULL;
			fpc_free(bf, pc);
		}
	}
	free(bf->ht);
	free(bf);
	b->fp = NULL;
}

int broker_set_fastpath(struct broker *b, struct fastpath *fp)
{
	if (b->fp)
		return -EBUSY;
	return broker_fp_start(b, fp);
}
