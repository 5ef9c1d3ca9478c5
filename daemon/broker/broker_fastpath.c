/* SPDX-License-Identifier: MIT */
/*
 * broker_fastpath: the broker's half of the kernel fast path (include/fastpath.h is the
 * kernel half; ARCHITECTURE.md "The kernel fast path" is the specification): joining and
 * leaving, the conn gate, drained, the tick, counters, start and stop. broker_fp.h holds the
 * state this file shares with broker_fp_routes.c.
 *
 * Join. A plain-TCP MQTT client joins when it first takes part in an eligible flow: the
 * first QoS 0 PUBLISH whose delivery would qualify (fp_eligible(), broker_fp_routes.c) queues the
 * publisher and its one subscriber (always after their CONNACKs). Clients that never have such a
 * flow (fan-in to $share, fan-out, QoS 1/2 only, idle) never join: the verdict then costs them
 * nothing, and idle connections hold no kernel psock. The join is a deferred step: read and
 * parse until the socket says EAGAIN with no partial frame held, fastpath_sock_add(), then
 * read once more (bytes that arrived in between go through the verdict). While a partial
 * frame is held or the client is paused, the join is retried on the tick. A client whose
 * join fails (the fast path is full) keeps its state and stays on the daemon's path.
 *
 * Route cache and flow policy (invariants 4 and 5): broker_fp_routes.c.
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
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "broker_fp.h"
#include "broker_mount.h"
#include "broker_sys.h"
#include "log.h"
#include "ws.h"

/* The figures `mqttgwd --fastpath-status` reads from the pinned meta: O(1), no syscall. */
void broker_fp_status_sync(struct broker_fp *bf)
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

void broker_fp_tick_arm(struct broker_fp *bf)
{
	if (!loop_timer_armed(&bf->tick))
		loop_timer_set(bf->b->loop, &bf->tick, loop_now(bf->b->loop) + FP_TICK_MS);
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
		log_debug("fastpath: tx_quiet on %s: %s", conn_peer(conn), strerror(-r));
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
		broker_fp_flow_free(bf, pc->flows_out);
	while (pc->flows_in)
		broker_fp_flow_free(bf, pc->flows_in);
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
	if (conn->read_paused || conn_rx_held(conn))
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
	broker_fp_status_sync(bf);
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
		broker_fp_tick_arm(bf);
}

static void fp_join_deferred(struct loop *l, void *ctx)
{
	struct broker_fp *bf = ctx;

	(void)l;
	bf->join_deferred = false;
	fp_join_pending(bf);
}

/* Queue c to join the fast path (it has, or is the target of, an eligible flow). */
void broker_fp_want(struct client *c)
{
	struct broker_fp *bf = c->b->fp;
	struct fpc *pc;

	/* the kernel relays bytes as they are: never a WebSocket (framing) or a mounted client
	 * (its topics differ from the broker's by the mount_point) */
	if (!bf || c->fp || !c->conn || c->conn->tp != &conn_tcp || c->state != CLIENT_ACTIVE ||
	    client_listener(c)->protocol != CONFIG_PROTO_MQTT || ws_conn_is(c->conn) ||
	    broker_mount_is(c) || c->b->shutting_down)
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
		broker_fp_tick_arm(bf);
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
	broker_fp_status_sync(bf);
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

static void fp_tick_fired(struct loop *l, struct loop_timer *t)
{
	struct broker_fp *bf = t->ctx;
	int64_t now = loop_now(l);

	if (bf->list[L_PEND].n)
		fp_join_pending(bf);
	broker_fp_refill(bf);
	if (now - bf->policy_at >= FP_POLICY_MS) {
		broker_fp_policy(bf, now - bf->policy_at);
		bf->policy_at = now;
	}
	broker_fp_status_sync(bf);
	/* idle (no route cached, nobody to join): no wake-ups; learning a route re-arms */
	if (bf->n_routes || bf->list[L_PEND].n)
		broker_fp_tick_arm(bf);
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

void broker_fp_sys(struct broker *b,
		   void (*pub)(struct broker *b, const char *topic, const char *value))
{
	struct broker_fp *bf = b->fp;
	struct fastpath_counters fc;
	uint64_t pf = 0, pb = 0;
	char topic[96], v[32];

#define PUBV(t, fmt, x)                                                                            \
	do {                                                                                       \
		snprintf(v, sizeof(v), fmt, x);                                                    \
		pub(b, "$SYS/broker/fastpath/" t, v);                                              \
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

#define ROUTE_HT_BYTES(bf) (((size_t)(bf)->ht_mask + 1) * sizeof(*(bf)->ht))

int broker_fp_start(struct broker *b, struct fastpath *fp)
{
	struct broker_fp *bf;

	if (!fastpath_active(fp))
		return 0;
	bf = calloc(1, sizeof(*bf));
	if (!bf)
		return -ENOMEM;
	bf->ht_mask = 2 * FP_ROUTES_MAX - 1;
	/* Zero pages of their own, not calloc(): glibc serves 128 KiB from the heap once libbpf's
	 * big freed buffers have raised its mmap threshold, and clears it there, so an empty table
	 * held 128 KiB of an idle daemon's RSS; mapped pages are resident only once a route
	 * lands in them. */
	bf->ht = mmap(NULL, ROUTE_HT_BYTES(bf), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (bf->ht == MAP_FAILED) {
		free(bf);
		return -ENOMEM;
	}
	bf->b = b;
	bf->fp = fp;
	bf->window = b->cfg->max_queued_bytes ? b->cfg->max_queued_bytes : FP_WINDOW_DEFAULT;
	/* `fastpath_flow_rates`, as at the start (a reload keeps the running policy) */
	bf->rate_high = b->cfg->fastpath_rate_high;
	bf->rate_low = b->cfg->fastpath_rate_low;
	loop_timer_init(&bf->tick, fp_tick_fired, bf);
	loop_timer_init(&bf->retry, fp_retry_fired, bf);
	bf->policy_at = loop_now(b->loop);
	b->fp = bf;
	broker_fp_status_sync(bf);
	return 0;
}

void broker_fp_stop(struct broker *b)
{
	struct broker_fp *bf = b->fp;

	if (!bf)
		return;
	/* every client has left by now (broker_shutdown); what remains is not in the kernel */
	while (bf->flows)
		broker_fp_flow_free(bf, bf->flows);
	loop_timer_cancel(b->loop, &bf->tick);
	loop_timer_cancel(b->loop, &bf->retry);
	for (int k = 0; k < L_NR; k++) {
		struct fpc *pc;

		while ((pc = lst_pop(bf, k))) {
			pc->c->fp = NULL;
			fpc_free(bf, pc);
		}
	}
	munmap(bf->ht, ROUTE_HT_BYTES(bf));
	free(bf);
	b->fp = NULL;
}

int broker_set_fastpath(struct broker *b, struct fastpath *fp)
{
	int ret;

	if (b->fp)
		return -EBUSY;
	ret = broker_fp_start(b, fp);
	/* $SYS/broker/fastpath/... went out at the start without it (it loads behind the
	 * listeners): say it is active now, not a sys_interval later */
	if (!ret && b->fp && b->cfg->sys_interval)
		broker_sys_publish(b);
	return ret;
}
