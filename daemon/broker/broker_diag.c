/* SPDX-License-Identifier: MIT */
/*
 * broker_diag: sock_diag keys of client sockets, and half-dead detection (broker_diag.h).
 *
 * A round walks the client list (newest first: descending serials) in batches of at most
 * NL_DIAG_MAX_BATCH, the position kept as the serial of the last client looked up, so a
 * client that connects or goes between two batches neither breaks the walk nor is looked up
 * twice. What a round costs on the loop: one nl_diag_lookup() of at most 64 keys (about 1.7 us
 * each, netlink.h) plus three syscalls per key per batch. Clients seen stalled are kept in a
 * small table (serial, since when): there are few of them, and struct client stays as small
 * as it is (every idle connection holds one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "broker_client.h"
#include "broker_diag.h"
#include "conn.h"
#include "log.h"

#define HD_TRACK 256 /* stalled clients followed at once; more wait for a free slot */

struct hd_stalled {
	uint64_t serial;
	int64_t since;	/* loop ms of the first check that saw it stalled */
	uint32_t round; /* the last round that saw it stalled */
};

struct broker_diag {
	struct broker *b;
	struct loop_timer timer;
	struct nl_diag *diag;
	bool diag_failed; /* logged once */
	uint64_t cursor;  /* serial of the last client looked up in this round */
	uint32_t round;
	int n;
	struct client *c[NL_DIAG_MAX_BATCH];
	struct nl_diag_key keys[NL_DIAG_MAX_BATCH];
	struct nl_diag_sock socks[NL_DIAG_MAX_BATCH];
	bool found[NL_DIAG_MAX_BATCH];
	struct hd_stalled stalled[HD_TRACK];
	int n_stalled;
};

bool broker_diag_key(int fd, struct nl_diag_key *k)
{
	struct sockaddr_storage la, pa;
	socklen_t ll = sizeof(la), pl = sizeof(pa), cl = sizeof(k->cookie);

	memset(k, 0, sizeof(*k));
	if (getsockname(fd, (struct sockaddr *)&la, &ll) < 0 ||
	    getpeername(fd, (struct sockaddr *)&pa, &pl) < 0 || la.ss_family != pa.ss_family ||
	    getsockopt(fd, SOL_SOCKET, SO_COOKIE, &k->cookie, &cl) < 0)
		return false;
	k->family = la.ss_family;
	if (la.ss_family == AF_INET) {
		const struct sockaddr_in *l4 = (void *)&la, *p4 = (void *)&pa;

		k->saddr.v4 = l4->sin_addr;
		k->daddr.v4 = p4->sin_addr;
		k->sport = ntohs(l4->sin_port);
		k->dport = ntohs(p4->sin_port);
		return true;
	}
	if (la.ss_family == AF_INET6) {
		const struct sockaddr_in6 *l6 = (void *)&la, *p6 = (void *)&pa;

		k->saddr.v6 = l6->sin6_addr;
		k->daddr.v6 = p6->sin6_addr;
		k->sport = ntohs(l6->sin6_port);
		k->dport = ntohs(p6->sin6_port);
		return true;
	}
	return false;
}

static void hd_found(void *ctx, const struct nl_diag_sock *s)
{
	struct broker_diag *d = ctx;

	for (int i = 0; i < d->n; i++)
		if (d->keys[i].cookie == s->cookie) {
			d->socks[i] = *s;
			d->found[i] = true;
		}
}

static struct hd_stalled *hd_find(struct broker_diag *d, uint64_t serial)
{
	for (int i = 0; i < d->n_stalled; i++)
		if (d->stalled[i].serial == serial)
			return &d->stalled[i];
	return NULL;
}

static void hd_forget(struct broker_diag *d, struct hd_stalled *e)
{
	*e = d->stalled[--d->n_stalled];
}

/* Judge one client from its socket s (NULL: not found, e.g. already closed by the kernel). */
static void hd_judge(struct broker_diag *d, struct client *c, const struct nl_diag_sock *s,
		     int64_t now, uint32_t timeout_ms)
{
	enum nl_diag_health h = s ? nl_diag_half_dead(s, 0) : NL_DIAG_OK;
	struct hd_stalled *e = hd_find(d, c->serial);
	const struct nl_tcp_info *ti;
	char why[200];

	if (h == NL_DIAG_OK) {
		if (e)
			hd_forget(d, e);
		return;
	}
	if (!e) {
		if (d->n_stalled == HD_TRACK)
			return;
		e = &d->stalled[d->n_stalled++];
		e->serial = c->serial;
		e->since = now;
	}
	e->round = d->round;
	if (now - e->since < (int64_t)timeout_ms)
		return;
	ti = &s->info;
	if (h == NL_DIAG_CLOSING)
		snprintf(why, sizeof(why), "half-dead (TCP state %u for %" PRId64 " ms)", s->state,
			 now - e->since);
	else
		snprintf(why, sizeof(why),
			 "half-dead (no ACK for %" PRId64 " ms: %u segments unacked, %u %s in a "
			 "row, last ACK %u ms ago, rtt %u us, rto %u us)",
			 now - e->since, ti->unacked,
			 ti->retransmits ? ti->retransmits : ti->probes,
			 ti->retransmits ? "retransmits" : "probes", ti->last_ack_recv_ms,
			 ti->rtt_us, ti->rto_us);
	hd_forget(d, e);
	d->b->st.clients_half_dead++;
	/* as an expired keepalive: the will goes out (no DISCONNECT came) */
	client_close(c, MQTT_RC_KEEPALIVE_TIMEOUT, why);
}

/* The next batch of this round: clients older than the cursor, connected, on TCP. */
static bool hd_batch(struct broker_diag *d)
{
	struct client *c;

	d->n = 0;
	for (c = d->b->clients; c && d->n < NL_DIAG_MAX_BATCH; c = c->next) {
		if (c->serial >= d->cursor)
			continue;
		d->cursor = c->serial;
		if (c->state != CLIENT_ACTIVE || !c->conn ||
		    !broker_diag_key(c->conn->fd, &d->keys[d->n]))
			continue;
		d->c[d->n] = c;
		d->found[d->n] = false;
		d->n++;
	}
	return c != NULL;
}

/* The sock_diag socket, once (a failure is said once: keepalive alone finds them then). */
static void hd_open(struct broker_diag *d)
{
	d->diag = nl_diag_open();
	if (!d->diag) {
		d->diag_failed = true;
		log_warn("Warning: no sock_diag (%s): half-dead clients are found by keepalive only.",
			 strerror(errno));
	}
}

static void hd_tick(struct loop *l, struct loop_timer *t)
{
	struct broker_diag *d = t->ctx;
	uint32_t timeout = d->b->cfg->half_dead_timeout;
	int64_t now = loop_now(l);
	bool more;

	if (!timeout) {
		d->n_stalled = 0;
		loop_timer_set(l, t, now + BROKER_DIAG_ROUND_MS);
		return;
	}
	if (!d->diag && !d->diag_failed)
		hd_open(d);
	if (!d->diag)
		return;
	more = hd_batch(d);
	if (d->n)
		nl_diag_lookup(d->diag, d->keys, d->n, hd_found, d);
	for (int i = 0; i < d->n; i++)
		hd_judge(d, d->c[i], d->found[i] ? &d->socks[i] : NULL, now, timeout * 1000u);
	if (more) {
		loop_timer_set(l, t, now + BROKER_DIAG_STEP_MS);
		return;
	}
	/* the round is over: forget stalled clients it did not see (gone, or no longer TCP) */
	for (int i = 0; i < d->n_stalled;)
		if (d->stalled[i].round != d->round)
			hd_forget(d, &d->stalled[i]);
		else
			i++;
	d->round++;
	d->cursor = UINT64_MAX;
	loop_timer_set(l, t, now + BROKER_DIAG_ROUND_MS);
}

int broker_diag_start(struct broker *b)
{
	struct broker_diag *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->b = b;
	d->cursor = UINT64_MAX;
	/* at start, not at the first round: the daemon's descriptors do not change under a
	 * running broker (t_hostile_conn_storm and t_metrics_hostile count them) */
	if (b->cfg->half_dead_timeout)
		hd_open(d);
	loop_timer_init(&d->timer, hd_tick, d);
	loop_timer_set(b->loop, &d->timer, loop_now(b->loop) + BROKER_DIAG_ROUND_MS);
	b->diag = d;
	return 0;
}

void broker_diag_stop(struct broker *b)
{
	struct broker_diag *d = b->diag;

	if (!d)
		return;
	loop_timer_cancel(b->loop, &d->timer);
	nl_diag_close(d->diag);
	free(d);
	b->diag = NULL;
}
