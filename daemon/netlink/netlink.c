/* SPDX-License-Identifier: MIT */
/* netlink: link and address watcher on rtnetlink. See include/netlink.h. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "netlink.h"
#include "netlink_int.h"

/* A larger queue than the default (208 KiB) makes an overrun rarer when many interfaces change
 * at once. */
#define WATCH_RCVBUF (1 << 20)

enum watch_dump {
	DUMP_IDLE,
	DUMP_LINKS,
	DUMP_ADDRS,
};

struct nl_watch {
	struct mnl_socket *nl;
	const struct nl_watch_ops *ops;
	void *ctx;
	uint32_t seq; /* of the dump request in flight */
	enum watch_dump dump;
	bool dump_pending; /* start a dump once the queue is drained (after an overrun) */
	bool dump_again;   /* restart the dump in flight at its end (overrun, NLM_F_DUMP_INTR) */
	char buf[NL_BUF_SIZE] __attribute__((aligned(8))); /* netlink headers are read in place */
};

struct mnl_socket *nl_sock_open(int bus, unsigned int groups, int rcvbuf)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int err, fd;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	/* root may exceed net.core.rmem_max; others keep what SO_RCVBUF grants */
	fd = mnl_socket_get_fd(nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return nl;
}

int nl_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nl_attrs *a = data;
	int type = mnl_attr_get_type(attr);

	/* Unknown (newer) attributes are skipped, not an error: the kernel adds them freely. */
	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static void watch_sync(struct nl_watch *w, enum nl_sync what)
{
	if (w->ops->sync)
		w->ops->sync(w->ctx, what);
}

static int watch_request(struct nl_watch *w, uint16_t type)
{
	char req[NLMSG_ALIGN(sizeof(struct nlmsghdr)) + NLMSG_ALIGN(sizeof(struct ifinfomsg))]
	    __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++w->seq;
	/* The family-specific header, not a bare rtgenmsg: strict-checking kernels want it. */
	if (type == RTM_GETLINK) {
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

		ifi->ifi_family = AF_UNSPEC;
	} else {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = AF_UNSPEC;
	}
	if (mnl_socket_sendto(w->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	w->dump = type == RTM_GETLINK ? DUMP_LINKS : DUMP_ADDRS;
	return 0;
}

/* The dump in flight answered NLMSG_DONE: on to addresses, restart, or report completion. */
static int watch_dump_step(struct nl_watch *w)
{
	if (w->dump == DUMP_LINKS)
		return watch_request(w, RTM_GETADDR);
	if (w->dump_again) {
		w->dump_again = false;
		return watch_request(w, RTM_GETLINK);
	}
	w->dump = DUMP_IDLE;
	watch_sync(w, NL_SYNC_DONE);
	return 0;
}

static void watch_link(struct nl_watch *w, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	struct nl_attrs a = {tb, IFLA_MAX};
	struct nl_link link;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi) ||
	    mnl_attr_parse(nlh, sizeof(*ifi), nl_attr_cb, &a) < 0)
		return;
	link.ifindex = ifi->ifi_index;
	link.flags = ifi->ifi_flags;
	link.name = "";
	if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		link.name = mnl_attr_get_str(tb[IFLA_IFNAME]);
	w->ops->link(w->ctx, &link, nlh->nlmsg_type == RTM_DELLINK ? NL_DEL : NL_NEW);
}

static void watch_addr(struct nl_watch *w, const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	struct nl_attrs a = {tb, IFA_MAX};
	const struct nlattr *at;
	struct nl_addr addr = {0};
	size_t len;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    mnl_attr_parse(nlh, sizeof(*ifa), nl_attr_cb, &a) < 0)
		return;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return;
	len = ifa->ifa_family == AF_INET ? sizeof(addr.addr.v4) : sizeof(addr.addr.v6);
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on a
	 * point-to-point link (PPPoE) and the only one IPv6 usually sends. */
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!at || mnl_attr_get_payload_len(at) != len)
		return;
	memcpy(&addr.addr, mnl_attr_get_payload(at), len);
	addr.ifindex = (int)ifa->ifa_index;
	addr.family = ifa->ifa_family;
	addr.prefixlen = ifa->ifa_prefixlen;
	/* ifa_flags has 8 bits; IFA_FLAGS carries all of them where the kernel sends it. */
	addr.flags = ifa->ifa_flags;
	if (tb[IFA_FLAGS] && mnl_attr_validate(tb[IFA_FLAGS], MNL_TYPE_U32) == 0)
		addr.flags = mnl_attr_get_u32(tb[IFA_FLAGS]);
	w->ops->addr(w->ctx, &addr, nlh->nlmsg_type == RTM_DELADDR ? NL_DEL : NL_NEW);
}

static int watch_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_watch *w = data;

	/* A dump that raced with changes is marked; its end restarts it (the sweep at
	 * NL_SYNC_DONE must see every object once). */
	if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && w->dump != DUMP_IDLE)
		w->dump_again = true;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		watch_link(w, nlh);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		watch_addr(w, nlh);
		break;
	}
	return MNL_CB_OK;
}

struct nl_watch *nl_watch_open(const struct nl_watch_ops *ops, void *ctx)
{
	struct nl_watch *w;

	if (!ops || !ops->link || !ops->addr) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->nl = nl_sock_open(NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
			     WATCH_RCVBUF);
	if (!w->nl) {
		free(w);
		return NULL;
	}
	w->ops = ops;
	w->ctx = ctx;
	return w;
}

void nl_watch_close(struct nl_watch *w)
{
	if (!w)
		return;
	mnl_socket_close(w->nl);
	free(w);
}

int nl_watch_fd(const struct nl_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

bool nl_watch_dumping(const struct nl_watch *w)
{
	return w->dump != DUMP_IDLE || w->dump_pending;
}

/* Begin a full dump now, or at the end of the one in flight (a netlink socket runs one dump
 * at a time: a second request would fail with EBUSY). */
static int watch_dump_begin(struct nl_watch *w)
{
	if (w->dump != DUMP_IDLE) {
		w->dump_again = true;
		return 0;
	}
	return watch_request(w, RTM_GETLINK);
}

int nl_watch_dispatch(struct nl_watch *w)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(w->nl, w->buf, sizeof(w->buf));
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* The kernel dropped events: what we know may be stale. Read
				 * what is still queued, then dump from an empty queue. */
				watch_sync(w, NL_SYNC_OVERRUN);
				w->dump_pending = true;
				continue;
			}
			if (errno != EAGAIN)
				return -errno;
			if (!w->dump_pending)
				return 0;
			w->dump_pending = false;
			ret = watch_dump_begin(w);
			if (ret < 0)
				return ret;
			continue;
		}
		/* No sequence or port check: a notification carries the sequence number and port
		 * of the request that caused it (`ip` from another process), not ours. */
		ret = mnl_cb_run(w->buf, (size_t)n, 0, 0, watch_msg_cb, w);
		if (ret == MNL_CB_STOP && w->dump != DUMP_IDLE) {
			ret = watch_dump_step(w);
		} else if (ret == MNL_CB_ERROR) {
			/* Only a dump request gets an NLMSG_ERROR back: it did not start. */
			ret = -errno;
			if (w->dump != DUMP_IDLE) {
				w->dump = DUMP_IDLE;
				w->dump_pending = true;
			}
		}
		if (ret < 0)
			return ret;
	}
}

int nl_watch_dump(struct nl_watch *w, int timeout_ms)
{
	int64_t end = clock_mono_ms() + timeout_ms;
	struct pollfd pfd = {.fd = nl_watch_fd(w), .events = POLLIN};
	int ret;

	watch_sync(w, NL_SYNC_START);
	ret = watch_dump_begin(w);
	while (ret == 0 && nl_watch_dumping(w)) {
		int64_t left = end - clock_mono_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0)
			ret = errno == EINTR ? 0 : -errno;
		else
			ret = nl_watch_dispatch(w);
	}
	return ret;
}
