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
/* SIGHUP: reload password and ACL files (keeping the old ones if a file fails to load) and
 * re-check every subscription against the new ACL. 0 or -errno (logged). */
int broker_reload(struct broker *b);
/* Server redirection (MQTT 5 4.11) from cfg's use_another_server / server_moved (copied; cfg
 * may be a freshly re-read config that is freed afterwards). At start (reload false) it only
 * takes effect for new CONNECTs; on reload, when set, every connected client is sent away
 * (v5: DISCONNECT 0x9C/0x9D with the Server Reference, v3: closed; wills are published) and
 * one line says how many. 0 or -ENOMEM (the previous setting stays). */
int broker_redirect(struct broker *b, const struct config *cfg, bool reload);
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
