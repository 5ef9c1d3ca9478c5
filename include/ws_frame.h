/* SPDX-License-Identifier: MIT */
/*
 * ws_frame: RFC 6455 (WebSocket) server side, the pure part (L0): the opening handshake
 * (parse the client's HTTP/1.1 Upgrade request, check it, write the answer) and the frames
 * (an incremental decoder of client frames, encoders of server frames). No syscalls, no
 * allocation, no logging; the transport that drives it is ws (include/ws.h).
 *
 * MQTT over WebSocket (MQTT 3.1.1 and 5.0, section 6): MQTT bytes travel in binary frames,
 * and a frame boundary need not be a packet boundary, so the decoder hands out payload bytes
 * as a stream, as they come, and never gathers a whole frame or message. Only control frame
 * payloads (at most 125 bytes) are gathered, in struct ws_rx itself.
 */
#ifndef MQTTGW_WS_FRAME_H
#define MQTTGW_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_OP_CONT   0x0
#define WS_OP_TEXT   0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE  0x8
#define WS_OP_PING   0x9
#define WS_OP_PONG   0xA

/* Close codes (RFC 6455 section 7.4.1) this side sends. */
#define WS_CLOSE_NORMAL	     1000
#define WS_CLOSE_PROTOCOL    1002 /* protocol error */
#define WS_CLOSE_UNSUPPORTED 1003 /* a data type we do not accept (text) */
#define WS_CLOSE_BAD_DATA    1007 /* a close reason that is not UTF-8 */
#define WS_CLOSE_TOO_BIG     1009 /* a frame over the limit */

#define WS_HDR_MAX   14	 /* a client frame header: 2 + 8 (length) + 4 (mask key) */
#define WS_SHDR_MAX  10	 /* a server frame header (unmasked) */
#define WS_CTL_MAX   125 /* largest control frame payload */
#define WS_CTL_FRAME (2 + WS_CTL_MAX)

/* ---- frames ---- */

/* Decoder state of one connection's client-to-server stream. Zero it, then set max_payload.
 * from_server: decode a server's frames instead (a client: tests/bench), which must be
 * unmasked (RFC 6455 5.1); everything else is checked alike. */
struct ws_rx {
	uint64_t max_payload; /* data frames with a larger payload are refused (1009) */
	bool from_server;
	uint64_t left;	      /* payload bytes of the current frame still to come */
	uint8_t hdr[WS_HDR_MAX];
	uint8_t hdr_len;
	uint8_t key[4];	 /* the current frame's masking key */
	uint8_t key_off; /* where in the key the next payload byte is */
	uint8_t op;	 /* the current frame's opcode */
	bool fin;
	bool in_frame;		 /* header complete: payload bytes follow */
	bool in_message;	 /* a fragmented binary message goes on (continuation frames) */
	uint8_t ctl[WS_CTL_MAX]; /* a control frame's payload, unmasked */
	uint8_t ctl_len;
	uint16_t close_code; /* after an error: the close code to send */
};

#define WS_RX_CONTROL 1

/*
 * Decode client frames in in[0..len): the payload of binary and continuation frames, unmasked,
 * goes to out (which has room for len bytes and may be in itself: decoding in place works,
 * since the output never overtakes the input). Sets *used (input consumed) and *produced
 * (bytes written to out). Returns:
 *   0              all input consumed (a frame may be partly done: its state is in rx);
 *   WS_RX_CONTROL  a complete control frame stopped decoding: rx->op (CLOSE, PING or PONG)
 *                  and rx->ctl[0..ctl_len), valid until the next call; call again for the rest;
 *   -EPROTO        a protocol error (1002): unmasked frame, RSV bits, reserved opcode, bad
 *                  control frame, continuation out of place, bad close code;
 *   -ENOTSUP       a text frame (1003): MQTT is binary only [MQTT-6.0.0-1];
 *   -EMSGSIZE      a data frame over max_payload (1009);
 *   -EILSEQ        a close reason that is not UTF-8 (1007).
 * After an error rx->close_code is the code to close with and the stream is dead.
 */
int ws_rx_decode(struct ws_rx *rx, const uint8_t *in, size_t len, uint8_t *out, size_t *used,
		 size_t *produced);

/* XOR in[0..len) with the 4-byte key starting at key[off & 3] into out (out may be in).
 * Returns the key offset for the byte after. Works 8 bytes at a time. */
unsigned int ws_unmask(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[4],
		       unsigned int off);

/* The header of a server frame (FIN set, unmasked) with a payload of len bytes into
 * hdr[0..WS_SHDR_MAX). Returns its length: 2, 4 or 10. */
size_t ws_frame_hdr(uint8_t *hdr, unsigned int op, uint64_t len);

/* A whole control frame (op, payload p[0..len), len <= WS_CTL_MAX) into out[0..WS_CTL_FRAME).
 * Returns its length. */
size_t ws_frame_control(uint8_t *out, unsigned int op, const void *p, size_t len);

/* A close frame with code (no reason) into out; code 0: no payload. Returns its length. */
size_t ws_frame_close(uint8_t *out, uint16_t code);

/* ---- the opening handshake ---- */

/* What a client's Upgrade request said; the strings are views into the parsed buffer. */
struct ws_hs_req {
	const char *key; /* Sec-WebSocket-Key (as sent: base64 of 16 bytes) */
	size_t key_len;
	const char *origin; /* Origin, or NULL */
	size_t origin_len;
	const char *proto; /* the subprotocol we choose ("mqtt", "mqttv3.1"), or NULL */
	const char *path;  /* the request-target without its query (http_dir serves it) */
	size_t path_len;
	bool get;	   /* method GET and HTTP/1.1 or later */
	bool host;	   /* a Host field */
	bool upgrade;	   /* Upgrade lists "websocket" */
	bool connection;   /* Connection lists "upgrade" */
	int version;	   /* Sec-WebSocket-Version: 0 absent, -1 not a number */
	bool dup;	   /* a field that must appear once appeared twice */
};

/* The origins a listener accepts: Origin fields compared whole, case-insensitively. n == 0:
 * any. A request without Origin (not a browser) is accepted: the check is the browser's
 * cross-site protection, and anything else can send whatever Origin it likes. Borrowed. */
struct ws_origins {
	const char *const *v;
	size_t n;
};

/*
 * Parse the request head in buf[0..len) (request line, fields, blank line; CRLF line ends).
 * Returns the head's length (bytes after it are the first frames), -EAGAIN when the blank
 * line has not come yet, -EBADMSG when it is not HTTP/1.x. The HTTP itself is http_parse's.
 */
int ws_hs_parse(const char *buf, size_t len, struct ws_hs_req *req);

/* The HTTP status to answer with: 101 (switch), 400 (bad request), 403 (origin not allowed),
 * 426 (a version other than 13: the answer says which we speak). */
int ws_hs_check(const struct ws_hs_req *req, const struct ws_origins *origins);

/* Sec-WebSocket-Accept for key: base64(SHA-1(key + GUID)), NUL-terminated, into out[29].
 * 0 or -EIO. */
int ws_hs_accept(const char *key, size_t key_len, char out[29]);

/* The answer for status (from ws_hs_check) into out, not NUL-terminated. Returns its length,
 * -ENOSPC, or -EIO. 256 bytes always suffice. */
int ws_hs_response(const struct ws_hs_req *req, int status, char *out, size_t outsz);

#endif /* MQTTGW_WS_FRAME_H */
