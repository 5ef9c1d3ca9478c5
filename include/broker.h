/* SPDX-License-Identifier: MIT */
/*
 * broker: MQTT orchestration (L2). Owns listeners, clients, sessions, the topic tree and
 * $SYS; drives the L0 modules with decoded packets. One file per packet family.
 */
#ifndef MQTTGW_BROKER_H
#define MQTTGW_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

struct broker;

/* Opens every listener of cfg (borrowed: must outlive the broker or be swapped by reload).
 * mem (borrowed) holds the messages and output buffers: it must outlive every connection, so
 * free it after loop_free. NULL with errno and a message in err; errno EADDRINUSE/EACCES...
 * when a listener failed. */
struct msg_pool;
struct broker *broker_new(struct loop *l, const struct config *cfg, struct msg_pool *mem,
			  char *err, size_t errlen);
/* Hand the broker the kernel fast path (fastpath_init's, borrowed: free it after
 * broker_free). Without this call, or with an inactive one, everything takes the daemon's
 * path. 0 or -errno. */
struct fastpath;
int broker_set_fastpath(struct broker *b, struct fastpath *fp);
/* Hand the broker the XDP guard (guard_new's, borrowed: free it after the loop stops) for its
 * figures in $SYS/broker/xdp/...; NULL or an inactive guard: none. The guard's offences need
 * no call: guard_offence() finds the process's guard itself. */
struct guard;
void broker_set_guard(struct broker *b, const struct guard *g);
/* SIGHUP: reload password and ACL files (keeping the old ones if a file fails to load) and
 * re-check every subscription against the new ACL. 0 or -errno (logged). */
int broker_reload(struct broker *b);
/* Server redirection (MQTT 5 4.11) from cfg's use_another_server / server_moved (copied; cfg
 * may be a freshly re-read config that is freed afterwards). At start (reload false) it only
 * takes effect for new CONNECTs; on reload, when set, every connected client is sent away
 * (v5: DISCONNECT 0x9C/0x9D with the Server Reference, v3: closed; wills are published) and
 * one line says how many. 0 or -ENOMEM (the previous setting stays). */
int broker_redirect(struct broker *b, const struct config *cfg, bool reload);
/* SIGHUP: the limits Mosquitto reloads, from a freshly re-read cfg (not kept): today
 * max_inflight_bytes (a raised limit lets more go at the next acknowledgement). */
void broker_reload_limits(struct broker *b, const struct config *cfg);
/* Stop the subscriptions' re-check a reload started (at exit). */
void broker_acl_walk_stop(struct broker *b);
/*
 * Bridges (README "Bridges"): one per `connection` block of the config, their QoS 1/2 out queues
 * in st (borrowed; NULL: in memory only, and a warning per bridge with QoS 1/2 out topics).
 * With a store, call broker_bridges_new before broker_store_attach, whose store_load bridge
 * callback must hand each entry to broker_bridge_load (entries of a bridge no longer configured
 * are skipped); then broker_bridges_start (they connect from the loop's first iteration). The
 * broker itself sends what becomes durable (once per loop iteration); broker_free frees them,
 * before store_close. 0 or -errno (+ err).
 */
struct store;
struct store_bridge_entry;
int broker_bridges_new(struct broker *b, struct store *st, char *err, size_t errlen);
int broker_bridge_load(struct broker *b, const struct store_bridge_entry *e);
int broker_bridges_start(struct broker *b);
/* The control socket for mqttgwctl (ctl.h; README "Operating mqttgw"): its commands are answered
 * from the broker's state. Call after broker_new, before the privilege drop (the socket's owner
 * is set here). Closed by broker_shutdown. 0 or -errno with err. */
struct ctl_opts;
int broker_ctl_open(struct broker *b, const struct ctl_opts *o, char *err, size_t errlen);
/* Graceful stop: refuse new connections, tell v5 clients (DISCONNECT 0x8B), flush, close. */
void broker_shutdown(struct broker *b);
struct store;
/* persistence: hand the broker the opened store (borrowed; close it after broker_free) and
 * restore what it holds (broker_restore.c); logs "Restored N sessions, M queued messages, R
 * retained in X ms.". Call before the loop runs. 0 or -errno. */
int broker_store_attach(struct broker *b, struct store *st);
void broker_free(struct broker *b);
/* Serve an already connected socket as if accepted on listener cl (accept path; also tests
 * and fuzzing over socketpairs). fd is taken (closed on failure). 0 or -errno. */
struct config_listener;
int broker_attach_fd(struct broker *b, int fd, const char *peer,
		     const struct config_listener *cl);
/* Actual port of listener i (for port 0 in tests). */
uint16_t broker_listener_port(const struct broker *b, size_t i);

#endif /* MQTTGW_BROKER_H */
