/* SPDX-License-Identifier: MIT */
/*
 * broker_diag: the broker's clients seen through sock_diag (netlink.h), a service:
 *   - broker_diag_key(): a client socket's 4-tuple and cookie as sock_diag keys it (the control
 *     tool's per-client TCP figures use it too);
 *   - half-dead detection: a few times a second at most NL_DIAG_MAX_BATCH connected clients are
 *     looked up (bounded work per loop iteration; every client once per round, a round every
 *     BROKER_DIAG_ROUND_MS). A client whose socket the kernel sees stalled (data or probes
 *     outstanding, retransmitted at least NL_DIAG_MIN_RETRANS times in a row without an ACK)
 *     or closing, at every check for `half_dead_timeout` seconds, is closed as an expired
 *     keepalive closes it: its will is published, one log line gives the reason and the TCP
 *     figures, and $SYS/broker/clients/half_dead counts it. `half_dead_timeout 0`: off.
 */
#ifndef MQTTGW_BROKER_DIAG_H
#define MQTTGW_BROKER_DIAG_H

#include <stdbool.h>

#include "broker_core.h"
#include "netlink.h"

#define BROKER_DIAG_ROUND_MS 2000 /* a round of checks starts this often */
#define BROKER_DIAG_STEP_MS  20	  /* between two batches of one round */

/* The socket's 4-tuple and cookie as sock_diag keys it. false for a socket that is not TCP. */
bool broker_diag_key(int fd, struct nl_diag_key *k);

/* Start the checks (a timer; the sock_diag socket opens at the first check). 0 or -ENOMEM. */
int broker_diag_start(struct broker *b);
void broker_diag_stop(struct broker *b);

#endif /* MQTTGW_BROKER_DIAG_H */
