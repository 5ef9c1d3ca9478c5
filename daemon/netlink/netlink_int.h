/* SPDX-License-Identifier: MIT */
/* netlink: what the watch (netlink.c) and sock_diag (netlink_diag.c) halves share. */
#ifndef MQTTGW_NETLINK_INT_H
#define MQTTGW_NETLINK_INT_H

#include <libmnl/libmnl.h>

/*
 * One receive buffer: the kernel sizes dump chunks after the largest buffer a reader has
 * offered (up to 32 KiB), and MSG_TRUNC on a smaller one would lose messages.
 */
#define NL_BUF_SIZE 32768

/* A non-blocking, close-on-exec netlink socket bound to the multicast groups, with a receive
 * queue of rcvbuf bytes where allowed. NULL + errno. */
struct mnl_socket *nl_sock_open(int bus, unsigned int groups, int rcvbuf);

/* Store each attribute of a known type (<= max) into tb[type]; for mnl_attr_parse(). */
struct nl_attrs {
	const struct nlattr **tb;
	int max;
};
int nl_attr_cb(const struct nlattr *attr, void *data);

#endif /* MQTTGW_NETLINK_INT_H */
