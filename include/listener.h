/* SPDX-License-Identifier: MIT */
/*
 * listener: listening TCP sockets and accept (L1). Accepted sockets are non-blocking,
 * close-on-exec, TCP_NODELAY. Under EMFILE/ENFILE the listener sheds the pending connection
 * (a spare fd is released, the connection accepted and closed, the spare reopened) and stops
 * accepting for a short pause instead of spinning on a level-triggered event.
 */
#ifndef MQTTGW_LISTENER_H
#define MQTTGW_LISTENER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

struct listener;

/* fd: the accepted socket (owned by the callee from now on); peer: "addr:port". */
typedef void (*listener_accept_fn)(struct listener *ls, int fd, const char *peer, void *ctx);

/*
 * Bind and listen on addr (NULL = all, IPv6 dual-stack) : port. port 0 picks one.
 * family (`socket_domain`): 0 any; AF_INET or AF_INET6 only that family, as Mosquitto passes it
 * to getaddrinfo(): with addr NULL, 0.0.0.0 or an IPv6-only ::; an addr of the other family is
 * an error.
 * addr "%IFNAME" or "ADDR%IFNAME" is Mosquitto 2's bind_interface: one socket per family on
 * the interface's first address of that family (IPv6 link-local skipped), or on ADDR only
 * when the interface has it; port 0 is refused. An interface without such an address (not
 * up yet, PPPoE down) is not an error: one log line, and listener_iface_changed() opens the
 * sockets when the address comes, moves them when it changes, closes them when it goes
 * (connections already accepted stay).
 * NULL with errno set and a message in err on failure.
 */
struct listener *listener_new(struct loop *l, int family, const char *addr, uint16_t port,
			      listener_accept_fn fn, void *ctx, char *err, size_t errlen);
void listener_free(struct listener *ls);
/* `set_tcp_nodelay`: whether accepted sockets get TCP_NODELAY (default true). Every listener. */
void listener_set_tcp_nodelay(bool on);
uint16_t listener_port(const struct listener *ls);
/* The configuration listener this one was made from (opaque to this module). */
void listener_set_data(struct listener *ls, const void *data);
const void *listener_data(const struct listener *ls);
/* Stop/resume accepting (max_connections reached, shutdown). */
void listener_pause(struct listener *ls, int pause);
int listener_fd(const struct listener *ls);
/* The addresses of ifname (NULL: of any interface) may have changed: every bind_interface
 * listener on it re-reads them (getifaddrs) and follows, one log line per socket moved. */
void listener_iface_changed(const char *ifname);

#endif /* MQTTGW_LISTENER_H */
