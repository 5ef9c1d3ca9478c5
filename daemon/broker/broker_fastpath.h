/* SPDX-License-Identifier: MIT */
#ifndef MQTTGW_BROKER_FASTPATH_H
#define MQTTGW_BROKER_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker_client.h"

/*
 * broker_fastpath: the kernel fast path (sockmap, include/fastpath.h) seen from the broker:
 * joining (lazily, when a client first has an eligible flow, as publisher or subscriber; always
 * after its CONNACK), the route cache and its invalidation, the one-writer gate, drained
 * accounting, budgets, the per-flow policy and counters. Every hook is a no-op while the fast
 * path is inactive (b->fp NULL) or the client has not joined (c->fp NULL).
 */
struct fastpath;
int broker_fp_start(struct broker *b, struct fastpath *fp);
void broker_fp_stop(struct broker *b);
void broker_fp_closing(struct client *c);		  /* server-side close: last output */
void broker_fp_leave(struct client *c);			  /* connection closed */
void broker_fp_parsed(struct client *c, size_t consumed); /* after each parse: drained */
/* After broker_publish() of a QoS 0 PUBLISH from c: maybe cache a route, or queue c and its
 * one subscriber to join when the flow is eligible and they are not in. m: the one
 * subscription the PUBLISH matched (pub_result.one), NULL when it matched none or several.
 * frame_len: the PUBLISH as received; plain: nothing in it the kernel could not forward
 * unchanged (no v5 properties, no alias). */
void broker_fp_learn(struct client *c, const struct pub *p, const struct match *m, size_t frame_len,
		     bool plain);
/* A subscription to filter was added, changed or removed: drop the routes it may affect. */
void broker_fp_filter_changed(struct broker *b, const char *filter, size_t len);
void broker_fp_flush_routes(struct broker *b); /* ACL or config reload: drop every route */
/* Frames (and bytes) the kernel relayed since the start. */
uint64_t broker_fp_relayed(struct broker *b, uint64_t *bytes);
/* Keepalive: did the kernel relay anything from c since the last call? */
bool broker_fp_rx_activity(struct client *c);
/* conn_ops write gate (broker.c passes them to the floor as client_hooks) */
void broker_fp_on_output(struct conn *conn);
bool broker_fp_may_write(struct conn *conn);
void broker_fp_on_out_empty(struct conn *conn);
/* $SYS/broker/fastpath/...: calls pub(b, topic, value) for each figure. */
void broker_fp_sys(struct broker *b,
		   void (*pub)(struct broker *b, const char *topic, const char *value));

#endif /* MQTTGW_BROKER_FASTPATH_H */
