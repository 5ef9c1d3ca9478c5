/* SPDX-License-Identifier: MIT */
/* netlink: per-socket TCP state through sock_diag (INET_DIAG). See include/netlink.h. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink.h"
#include "netlink_int.h"

/* The kernel's TCP states (include/net/tcp_states.h, ABI); <netinet/tcp.h> names them too but
 * cannot be included next to <linux/tcp.h>, whose struct tcp_info is the complete one. */
enum {
	ST_ESTABLISHED = 1,
	ST_FIN_WAIT1 = 4,
	ST_FIN_WAIT2 = 5,
	ST_CLOSE_WAIT = 8,
	ST_LAST_ACK = 9,
	ST_LISTEN = 10,
	ST_CLOSING = 11,
};

/* Full sockets only: LISTEN is the broker's own, SYN_RECV and TIME_WAIT are mini sockets
 * with no inode and no tcp_info that no client owns. */
#define DIAG_STATES                                                                                \
	((1u << ST_ESTABLISHED) | (1u << ST_FIN_WAIT1) | (1u << ST_FIN_WAIT2) |                    \
	 (1u << ST_CLOSE_WAIT) | (1u << ST_LAST_ACK) | (1u << ST_CLOSING))

/* Waiting for a reply chunk: the kernel builds each one inside our send()/recv() calls, so
 * data is normally there at once; this bounds the pathological case. */
#define DIAG_WAIT_MS 100

/* Room for the replies to a batch of lookups (NL_DIAG_MAX_BATCH x ~2 KiB of skb each). */
#define DIAG_RCVBUF (512 << 10)

struct nl_diag {
	struct mnl_socket *nl;
	unsigned int portid;
	uint32_t seq;
	char buf[NL_BUF_SIZE] __attribute__((aligned(8))); /* netlink headers are read in place */
	/* One reply to a lookup (inet_diag_msg + tcp_info + a few attributes) is under 1 KiB. */
	char slot[NL_DIAG_MAX_BATCH][2048] __attribute__((aligned(8)));
};

struct diag_run {
	nl_diag_fn cb;
	void *ctx;
};

struct nl_diag *nl_diag_open(void)
{
	struct nl_diag *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->nl = nl_sock_open(NETLINK_SOCK_DIAG, 0, DIAG_RCVBUF);
	if (!d->nl) {
		free(d);
		return NULL;
	}
	d->portid = mnl_socket_get_portid(d->nl);
	return d;
}

void nl_diag_close(struct nl_diag *d)
{
	if (!d)
		return;
	mnl_socket_close(d->nl);
	free(d);
}

/*
 * The port filter as inet_diag bytecode: "sport == p0 || sport == p1 || ...". An op's `yes`
 * and `no` are forward jumps in bytes; a run that ends exactly at the end of the program
 * accepts, one that jumps past it rejects. The kernel audits only jumps onto the chain of
 * `yes` targets, so an OR is written as ss(8) does: each comparison (8 bytes, its port in
 * the second op) falls through on yes to a JMP (4 bytes) that skips to the end (accept), and
 * jumps on no to 4 bytes past its own end, which is the next comparison; the last one's no
 * falls 4 bytes off the end (reject).
 */
static size_t diag_bytecode(void *out, const uint16_t *ports, int n)
{
	struct inet_diag_bc_op *op = out;
	size_t len = (size_t)n * 8 + (size_t)(n - 1) * 4;
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		op[0] = (struct inet_diag_bc_op){INET_DIAG_BC_S_EQ, 8, 12};
		op[1] = (struct inet_diag_bc_op){0, 0, ports[i]};
		op += 2;
		off += 8;
		if (i == n - 1)
			break;
		*op++ = (struct inet_diag_bc_op){INET_DIAG_BC_JMP, 4, (uint16_t)(len - off)};
		off += 4;
	}
	return len;
}

static void diag_info(struct nl_tcp_info *o, const struct nlattr *at)
{
	struct tcp_info ti = {0};
	size_t len = mnl_attr_get_payload_len(at);

	/* An older kernel sends a shorter struct: what it lacks stays 0. */
	memcpy(&ti, mnl_attr_get_payload(at), len < sizeof(ti) ? len : sizeof(ti));
	o->state = ti.tcpi_state;
	o->retransmits = ti.tcpi_retransmits;
	o->probes = ti.tcpi_probes;
	o->backoff = ti.tcpi_backoff;
	o->rto_us = ti.tcpi_rto;
	o->rtt_us = ti.tcpi_rtt;
	o->rttvar_us = ti.tcpi_rttvar;
	o->min_rtt_us = ti.tcpi_min_rtt;
	o->unacked = ti.tcpi_unacked;
	o->lost = ti.tcpi_lost;
	o->retrans = ti.tcpi_retrans;
	o->total_retrans = ti.tcpi_total_retrans;
	o->snd_cwnd = ti.tcpi_snd_cwnd;
	o->snd_mss = ti.tcpi_snd_mss;
	o->last_data_sent_ms = ti.tcpi_last_data_sent;
	o->last_data_recv_ms = ti.tcpi_last_data_recv;
	o->last_ack_recv_ms = ti.tcpi_last_ack_recv;
	o->notsent_bytes = ti.tcpi_notsent_bytes;
	o->bytes_acked = ti.tcpi_bytes_acked;
	o->bytes_received = ti.tcpi_bytes_received;
	o->bytes_retrans = ti.tcpi_bytes_retrans;
	o->delivery_rate = ti.tcpi_delivery_rate;
}

/* One SOCK_DIAG_BY_FAMILY reply into *s. False if it is malformed. */
static bool diag_parse(const struct nlmsghdr *nlh, struct nl_diag_sock *s)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[INET_DIAG_MAX + 1] = {0};
	struct nl_attrs a = {tb, INET_DIAG_MAX};

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return false;
	if (mnl_attr_parse(nlh, sizeof(*m), nl_attr_cb, &a) < 0)
		return false;
	memset(s, 0, sizeof(*s));
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	s->sport = ntohs(m->id.idiag_sport);
	s->dport = ntohs(m->id.idiag_dport);
	memcpy(&s->saddr, m->id.idiag_src, sizeof(s->saddr));
	memcpy(&s->daddr, m->id.idiag_dst, sizeof(s->daddr));
	s->ifindex = m->id.idiag_if;
	s->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	s->inode = m->idiag_inode;
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	if (tb[INET_DIAG_INFO]) {
		s->has_info = true;
		diag_info(&s->info, tb[INET_DIAG_INFO]);
	}
	return true;
}

static int diag_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct diag_run *run = data;
	struct nl_diag_sock s;

	if (diag_parse(nlh, &s))
		run->cb(run->ctx, &s);
	return MNL_CB_OK;
}

/* Wait (bounded) for the next reply: the kernel builds dump chunks inside our recv calls, so
 * this returns at once unless something is wrong. 0 or -errno. */
static int diag_wait(struct nl_diag *d)
{
	struct pollfd pfd = {.fd = mnl_socket_get_fd(d->nl), .events = POLLIN};
	int ret = poll(&pfd, 1, DIAG_WAIT_MS);

	if (ret == 0)
		return -ETIMEDOUT;
	return ret < 0 && errno != EINTR ? -errno : 0;
}

static ssize_t diag_recv(struct nl_diag *d)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl, d->buf, sizeof(d->buf));
		int ret;

		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			return n < 0 ? -errno : n;
		ret = errno == EAGAIN ? diag_wait(d) : 0;
		if (ret < 0)
			return ret;
	}
}

/* Up to n replies to lookups, one datagram each, in one recvmmsg: a recv per socket would
 * cost as much as the kernel's lookup. The count received, or -errno. */
static int diag_recv_many(struct nl_diag *d, struct mmsghdr *mm, int n)
{
	for (;;) {
		int got =
		    recvmmsg(mnl_socket_get_fd(d->nl), mm, (unsigned int)n, MSG_DONTWAIT, NULL);
		int ret;

		if (got > 0)
			return got;
		if (got == 0 || (errno != EAGAIN && errno != EINTR))
			return got == 0 ? -EIO : -errno;
		ret = errno == EAGAIN ? diag_wait(d) : 0;
		if (ret < 0)
			return ret;
	}
}

/* The header every request shares: TCP of one family, with struct tcp_info. */
static struct nlmsghdr *diag_req(struct nl_diag *d, void *buf, int family, uint16_t flags,
				 struct inet_diag_req_v2 **r)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++d->seq;
	*r = mnl_nlmsg_put_extra_header(nlh, sizeof(**r));
	(*r)->sdiag_family = (uint8_t)family;
	(*r)->sdiag_protocol = IPPROTO_TCP;
	(*r)->idiag_ext = 1 << (INET_DIAG_INFO - 1);
	return nlh;
}

/* After a failure a dump or replies may still be in flight on this socket (the next request:
 * EBUSY, stale replies): go on with a new one. */
static void diag_reset(struct nl_diag *d)
{
	struct mnl_socket *nl = nl_sock_open(NETLINK_SOCK_DIAG, 0, DIAG_RCVBUF);

	if (nl) {
		mnl_socket_close(d->nl);
		d->nl = nl;
		d->portid = mnl_socket_get_portid(nl);
	}
}

static int diag_dump(struct nl_diag *d, int family, const uint16_t *ports, int n,
		     const struct diag_run *run)
{
	char req[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_req_v2)) + MNL_ATTR_HDRLEN +
		 NL_DIAG_MAX_PORTS * 12] __attribute__((aligned(8)));
	uint8_t bc[NL_DIAG_MAX_PORTS * 12] __attribute__((aligned(8)));
	struct inet_diag_req_v2 *r;
	struct nlmsghdr *nlh = diag_req(d, req, family, NLM_F_DUMP, &r);
	ssize_t len;
	int ret;

	r->idiag_states = DIAG_STATES;
	mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, (uint16_t)diag_bytecode(bc, ports, n), bc);
	if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = diag_recv(d);
		if (len < 0)
			return (int)len;
		ret = mnl_cb_run(d->buf, (size_t)len, d->seq, d->portid, diag_msg_cb, (void *)run);
	} while (ret == MNL_CB_OK);
	return ret == MNL_CB_ERROR ? -errno : 0;
}

int nl_diag_query(struct nl_diag *d, int family, const uint16_t *ports, int n, nl_diag_fn cb,
		  void *ctx)
{
	const struct diag_run run = {cb, ctx};
	int ret = 0;

	if (n <= 0 || n > NL_DIAG_MAX_PORTS || !cb ||
	    (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC))
		return -EINVAL;
	/* sock_diag has no handler for AF_UNSPEC: one dump per family. */
	if (family != AF_INET6)
		ret = diag_dump(d, AF_INET, ports, n, &run);
	if (ret == 0 && family != AF_INET)
		ret = diag_dump(d, AF_INET6, ports, n, &run);
	if (ret < 0)
		diag_reset(d);
	return ret;
}

static void diag_key_put(struct nl_diag *d, void *buf, const struct nl_diag_key *k)
{
	struct inet_diag_req_v2 *r;
	size_t alen = k->family == AF_INET ? sizeof(k->saddr.v4) : sizeof(k->saddr.v6);

	diag_req(d, buf, k->family, 0, &r);
	r->idiag_states = ~0u; /* not applied to an exact lookup */
	r->id.idiag_sport = htons(k->sport);
	r->id.idiag_dport = htons(k->dport);
	memcpy(r->id.idiag_src, &k->saddr, alen);
	memcpy(r->id.idiag_dst, &k->daddr, alen);
	r->id.idiag_cookie[0] = k->cookie ? (uint32_t)k->cookie : INET_DIAG_NOCOOKIE;
	r->id.idiag_cookie[1] = k->cookie ? (uint32_t)(k->cookie >> 32) : INET_DIAG_NOCOOKIE;
}

/* The replies in one datagram to lookups first..first+n-1: found ones go to the callback;
 * an error other than "no such socket" is kept in *err. How many were answered. */
static int diag_answer(const void *buf, int len, uint32_t first, int n, const struct diag_run *run,
		       int *found, int *err)
{
	const struct nlmsghdr *nlh = buf;
	struct nl_diag_sock s;
	int answered = 0;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq - first >= (uint32_t)n)
			continue;
		answered++;
		/* The kernel's exact lookup falls back to a listener on the port when the
		 * connection is gone (and no cookie was given): not the client. */
		if (diag_parse(nlh, &s)) {
			if (s.state != ST_LISTEN) {
				run->cb(run->ctx, &s);
				(*found)++;
			}
		} else if (nlh->nlmsg_type == NLMSG_ERROR &&
			   mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct nlmsgerr)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			/* ENOENT: closed; ESTALE: the 4-tuple is another socket's now */
			if (e->error != -ENOENT && e->error != -ESTALE && !*err)
				*err = e->error;
		}
	}
	return answered;
}

int nl_diag_lookup(struct nl_diag *d, const struct nl_diag_key *keys, int n, nl_diag_fn cb,
		   void *ctx)
{
	enum { REQ_LEN = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_req_v2)) };
	char req[NL_DIAG_MAX_BATCH * REQ_LEN] __attribute__((aligned(8)));
	const struct diag_run run = {cb, ctx};
	uint32_t first = d->seq + 1;
	int answered = 0, found = 0, err = 0;

	if (n <= 0 || n > NL_DIAG_MAX_BATCH || !cb)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		if (keys[i].family != AF_INET && keys[i].family != AF_INET6)
			return -EINVAL;
	}
	for (int i = 0; i < n; i++)
		diag_key_put(d, req + i * REQ_LEN, &keys[i]);
	/* One sendmsg: the kernel answers each request in turn into our receive queue. */
	if (mnl_socket_sendto(d->nl, req, (size_t)n * REQ_LEN) < 0)
		return -errno;
	while (answered < n) {
		struct mmsghdr mm[NL_DIAG_MAX_BATCH];
		struct iovec iov[NL_DIAG_MAX_BATCH];
		int got;

		for (int i = 0; i < n - answered; i++) {
			iov[i] = (struct iovec){d->slot[i], sizeof(d->slot[i])};
			mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		got = diag_recv_many(d, mm, n - answered);
		for (int i = 0; i < got; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				got = -EMSGSIZE;
			else
				answered += diag_answer(d->slot[i], (int)mm[i].msg_len, first, n,
							&run, &found, &err);
		}
		if (got < 0) {
			diag_reset(d);
			return got;
		}
	}
	return err ? err : found;
}

enum nl_diag_health nl_diag_half_dead(const struct nl_diag_sock *s, uint32_t stall_ms)
{
	const struct nl_tcp_info *i = &s->info;

	if (s->state != ST_ESTABLISHED)
		return NL_DIAG_CLOSING;
	if (!s->has_info || i->last_ack_recv_ms < stall_ms)
		return NL_DIAG_OK;
	if (i->unacked > 0 && i->retransmits >= NL_DIAG_MIN_RETRANS)
		return NL_DIAG_STALLED;
	if (i->probes >= NL_DIAG_MIN_RETRANS)
		return NL_DIAG_STALLED;
	return NL_DIAG_OK;
}
