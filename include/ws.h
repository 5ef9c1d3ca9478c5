/* SPDX-License-Identifier: MIT */
/*
 * ws: MQTT over WebSocket (RFC 6455, server side), a conn transport (L1) that runs on top of
 * another one: over conn_tcp it serves ws://, over conn_tls wss://. The frames and the
 * handshake are ws_frame's (L0); this module moves bytes and keeps the transport contract of
 * conn.h, so conn and the owner see MQTT bytes only.
 *
 * Use (after conn_new, and after tls_conn_attach for wss):
 *     c = conn_new(l, fd, tls ? &conn_tls : &conn_tcp, ops, owner);
 *     if (tls) tls_conn_attach(c, tls_ctx);
 *     ws_conn_attach(c, ws_ctx);
 * ws_conn_attach wraps the transport c has at that moment (c->tp becomes &conn_ws). The
 * opening handshake then runs inside conn's reads, as TLS's does: until it is done, reads and
 * writes give EAGAIN; an unfinished one is the owner's connect timeout to enforce. A refused
 * request (HTTP 400, 403 or 426) closes the connection with one rate-limited log line.
 *
 * Frames: incoming binary and continuation frames give their payload as a stream (a frame
 * boundary need not be an MQTT packet boundary, MQTT 6.0); a ping is answered with a pong;
 * a close frame is answered with a close frame and the read side then reports end of stream.
 * Protocol errors close with the RFC's code (1002, 1003 for text frames, 1007, 1009 for a data
 * frame over conn_rx_max(c) + WS_RX_SLACK). Each writev is sent as one binary frame (at most
 * WS_TX_FRAME bytes), not one per MQTT packet, so conn's batching is kept. Closing (conn_close
 * or the lingering close) sends a close frame 1000, best effort, like TLS's close_notify.
 *
 * The kernel fast path must never take a WebSocket connection: a redirect would bypass the
 * framing. ws_conn_is() says whether c is one.
 */
#ifndef MQTTGW_WS_H
#define MQTTGW_WS_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"

#define WS_HS_MAX   8192	/* request head bound: larger is refused with 400 */
#define WS_RX_SLACK (64 * 1024) /* a frame may carry this much more than one MQTT packet */
#define WS_TX_FRAME 65535	/* largest frame we send (a 4-byte header) */

struct ws_ctx;

/* A listener's WebSocket settings: allowed Origin values (copied; n == 0: any origin, see
 * struct ws_origins in ws_frame.h). NULL with errno (ENOMEM). */
struct ws_ctx *ws_ctx_new(const char *const *origins, size_t n);
struct ws_ctx *ws_ctx_ref(struct ws_ctx *w);
/* Drop a reference (NULL is fine); the last one frees it. */
void ws_ctx_unref(struct ws_ctx *w);
/* `http_dir`: answer plain HTTP GETs (no Upgrade) with files of dir (ws_http.c). 0 or -errno
 * (the directory cannot be opened). */
int ws_ctx_set_http_dir(struct ws_ctx *w, const char *dir);

/* ws_http.c: the directory as an O_PATH descriptor, or -errno. */
int ws_http_dir_open(const char *path);
/* The whole HTTP answer to GET path[0..path_len) from the directory dirfd into *out (malloc'd,
 * taken by the caller). Returns the status (200, 400, 403, 404, 414, 500) or -ENOMEM. */
int ws_http_answer(int dirfd, const char *path, size_t path_len, uint8_t **out, uint32_t *out_len);

extern const struct conn_transport conn_ws;

/* Put WebSocket on top of c's current transport (tcp, or tls after tls_conn_attach), checked
 * against ctx (a reference is held until the handshake ends). 0 or -ENOMEM (c unchanged:
 * conn_close(c) releases it as before). */
int ws_conn_attach(struct conn *c, struct ws_ctx *ctx);

/* Is c a WebSocket connection (whatever is under it)? */
bool ws_conn_is(const struct conn *c);

/* The subprotocol the handshake selected ("mqtt", "mqttv3.1") or NULL (none offered, or the
 * handshake is not done). */
const char *ws_conn_subprotocol(const struct conn *c);

#endif /* MQTTGW_WS_H */
