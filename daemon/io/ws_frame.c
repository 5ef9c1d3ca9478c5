/* SPDX-License-Identifier: MIT */
/*
 * ws_frame: RFC 6455 handshake and frames, pure (see include/ws_frame.h).
 *
 * Written by hand rather than taken from a library: what MQTT needs of WebSocket is small (one
 * subprotocol, binary frames as a byte stream, no extensions), libwebsockets would bring its
 * own event loop and allocation policy, and wslay-style callback parsers would make us copy
 * every payload once more. Here payloads are unmasked in place, 8 bytes at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "http_parse.h"
#include "ws_frame.h"

/* ---- frames ---- */

unsigned int ws_unmask(uint8_t *out, const uint8_t *in, size_t len, const uint8_t key[4],
		       unsigned int off)
{
	uint8_t k8[8];
	uint64_t m;
	size_t i = 0;

	for (int j = 0; j < 8; j++)
		k8[j] = key[(off + (unsigned int)j) & 3];
	memcpy(&m, k8, 8);
	/* memcpy through a register: no alignment assumptions, and in place is safe since each
	 * word is read before it is written and out never runs ahead of in */
	for (; i + 8 <= len; i += 8) {
		uint64_t v;

		memcpy(&v, in + i, 8);
		v ^= m;
		memcpy(out + i, &v, 8);
	}
	for (; i < len; i++)
		out[i] = in[i] ^ k8[i & 7];
	return (off + (unsigned int)len) & 3;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c = s[i], min;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			k = 1, c &= 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2, c &= 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3, c &= 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			c = c << 6 | (s[i + j] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

/* Codes a peer may send (RFC 6455 7.4.1 and 7.4.2, plus the IANA registry's 1012-1014). */
static bool close_code_valid(uint16_t code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static int rx_fail(struct ws_rx *rx, uint16_t code, int err)
{
	rx->close_code = code;
	return err;
}

/* Bytes the header in rx->hdr needs, as far as the bytes so far tell. */
static size_t hdr_need(const struct ws_rx *rx)
{
	size_t need = 2;

	if (rx->hdr_len < 2)
		return need;
	if ((rx->hdr[1] & 0x7F) == 126)
		need += 2;
	else if ((rx->hdr[1] & 0x7F) == 127)
		need += 8;
	return need + ((rx->hdr[1] & 0x80) ? 4 : 0);
}

/* A complete header: check it and start the frame. */
static int hdr_done(struct ws_rx *rx)
{
	const uint8_t *h = rx->hdr;
	unsigned int len7 = h[1] & 0x7F, op = h[0] & 0x0F;
	uint64_t len = len7;
	size_t p = 2;

	if (h[0] & 0x70) /* RSV1-3: we negotiate no extension */
		return rx_fail(rx, WS_CLOSE_PROTOCOL, -EPROTO);
	/* client frames must be masked, server frames must not (RFC 6455 5.1) */
	if (!(h[1] & 0x80) != rx->from_server)
		return rx_fail(rx, WS_CLOSE_PROTOCOL, -EPROTO);
	if (len7 == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		p = 4;
	} else if (len7 == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | h[2 + i];
		p = 10;
		if (len >> 63)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, -EPROTO);
	}
	if (rx->from_server)
		memset(rx->key, 0, 4); /* unmasking with a zero key copies */
	else
		memcpy(rx->key, h + p, 4);
	rx->key_off = 0;
	rx->op = (uint8_t)op;
	rx->fin = h[0] & 0x80;
	rx->left = len;
	if (op & 0x8) {
		if (op > WS_OP_PONG || !rx->fin || len > WS_CTL_MAX)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, -EPROTO);
		if (op == WS_OP_CLOSE && len == 1)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, -EPROTO);
		rx->ctl_len = 0;
	} else {
		if (op == WS_OP_TEXT && !rx->in_message)
			return rx_fail(rx, WS_CLOSE_UNSUPPORTED, -ENOTSUP);
		if (op > WS_OP_BINARY || (op == WS_OP_CONT) != rx->in_message)
			return rx_fail(rx, WS_CLOSE_PROTOCOL, -EPROTO);
		if (len > rx->max_payload)
			return rx_fail(rx, WS_CLOSE_TOO_BIG, -EMSGSIZE);
		rx->in_message = !rx->fin;
	}
	rx->in_frame = true;
	rx->hdr_len = 0;
	return 0;
}

/* The current frame's payload is complete. */
static int frame_done(struct ws_rx *rx)
{
	rx->in_frame = false;
	if (!(rx->op & 0x8))
		return 0;
	if (rx->op == WS_OP_CLOSE && rx->ctl_len >= 2) {
		uint16_t code = (uint16_t)(rx->ctl[0] << 8 | rx->ctl[1]);

		if (!close_code_valid(code))
			return rx_fail(rx, WS_CLOSE_PROTOCOL, -EPROTO);
		if (!utf8_valid(rx->ctl + 2, rx->ctl_len - 2u))
			return rx_fail(rx, WS_CLOSE_BAD_DATA, -EILSEQ);
	}
	return WS_RX_CONTROL;
}

int ws_rx_decode(struct ws_rx *rx, const uint8_t *in, size_t len, uint8_t *out, size_t *used,
		 size_t *produced)
{
	size_t i = 0, o = 0;
	int ret = 0;

	if (rx->close_code) {
		ret = -EPROTO;
		goto out;
	}
	while (i < len || (rx->in_frame && !rx->left)) {
		size_t n;

		if (!rx->in_frame) {
			size_t need;

			/* at most 3 rounds: the first two bytes say how many follow */
			while (i < len && rx->hdr_len < (need = hdr_need(rx)))
				rx->hdr[rx->hdr_len++] = in[i++];
			if (rx->hdr_len < hdr_need(rx))
				break;
			ret = hdr_done(rx);
			if (ret < 0)
				break;
			continue;
		}
		n = len - i < rx->left ? len - i : (size_t)rx->left;
		if (rx->op & 0x8) {
			rx->key_off = (uint8_t)ws_unmask(rx->ctl + rx->ctl_len, in + i, n, rx->key,
							 rx->key_off);
			rx->ctl_len += (uint8_t)n;
		} else {
			rx->key_off = (uint8_t)ws_unmask(out + o, in + i, n, rx->key, rx->key_off);
			o += n;
		}
		i += n;
		rx->left -= n;
		if (!rx->left) {
			ret = frame_done(rx);
			if (ret)
				break;
		}
	}
out:
	*used = i;
	*produced = o;
	return ret;
}

size_t ws_frame_hdr(uint8_t *hdr, unsigned int op, uint64_t len)
{
	hdr[0] = (uint8_t)(0x80 | (op & 0x0F));
	if (len < 126) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xFFFF) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return 4;
	}
	hdr[1] = 127;
	for (int i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

size_t ws_frame_control(uint8_t *out, unsigned int op, const void *p, size_t len)
{
	if (len > WS_CTL_MAX)
		len = WS_CTL_MAX;
	out[0] = (uint8_t)(0x80 | (op & 0x0F));
	out[1] = (uint8_t)len;
	if (len)
		memcpy(out + 2, p, len);
	return 2 + len;
}

size_t ws_frame_close(uint8_t *out, uint16_t code)
{
	uint8_t be[2] = {(uint8_t)(code >> 8), (uint8_t)code};

	return ws_frame_control(out, WS_OP_CLOSE, be, code ? 2 : 0);
}

/* ---- the opening handshake ---- */

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* Subprotocol tokens are compared exactly (RFC 6455 4.1: they are case-sensitive). */
static bool list_has_exact(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok);

	for (size_t i = 0; i + tl <= n; i++) {
		if (memcmp(v + i, tok, tl))
			continue;
		if ((i == 0 || v[i - 1] == ',' || v[i - 1] == ' ' || v[i - 1] == '\t') &&
		    (i + tl == n || v[i + tl] == ',' || v[i + tl] == ' ' || v[i + tl] == '\t'))
			return true;
	}
	return false;
}

struct hs_parse {
	struct ws_hs_req *req;
	bool mqtt, v31;
};

/* One field line of the Upgrade request (http_parse calls it). */
static int hs_field(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
	struct hs_parse *hp = ctx;
	struct ws_hs_req *req = hp->req;

	if (http_name_is(name, nl, "host")) {
		req->dup |= req->host;
		req->host = true;
	} else if (http_name_is(name, nl, "upgrade")) {
		req->upgrade |= http_list_has(v, vl, "websocket");
	} else if (http_name_is(name, nl, "connection")) {
		req->connection |= http_list_has(v, vl, "upgrade");
	} else if (http_name_is(name, nl, "sec-websocket-key")) {
		req->dup |= req->key != NULL;
		req->key = v;
		req->key_len = vl;
	} else if (http_name_is(name, nl, "sec-websocket-version")) {
		int ver = 0;

		req->dup |= req->version != 0;
		for (size_t i = 0; i < vl && ver >= 0; i++)
			ver =
			    v[i] >= '0' && v[i] <= '9' && ver < 1000 ? ver * 10 + (v[i] - '0') : -1;
		req->version = vl && ver > 0 ? ver : -1;
	} else if (http_name_is(name, nl, "sec-websocket-protocol")) {
		hp->mqtt |= list_has_exact(v, vl, "mqtt");
		hp->v31 |= list_has_exact(v, vl, "mqttv3.1");
	} else if (http_name_is(name, nl, "origin")) {
		req->dup |= req->origin != NULL;
		req->origin = v;
		req->origin_len = vl;
	}
	return 0;
}

int ws_hs_parse(const char *buf, size_t len, struct ws_hs_req *req)
{
	struct hs_parse hp = {req, false, false};
	struct http_req hr;
	int head;

	memset(req, 0, sizeof(*req));
	head = http_parse_request(buf, len, &hr, hs_field, &hp);
	if (head < 0)
		return head;
	req->get = http_method_is(&hr, "GET") && hr.minor >= 1;
	req->path = hr.target;
	req->path_len = http_path_len(hr.target, hr.target_len);
	/* MQTT 6.0: the server selects "mqtt"; MQTT 3.1 clients offered "mqttv3.1" */
	req->proto = hp.mqtt ? "mqtt" : hp.v31 ? "mqttv3.1" : NULL;
	return head;
}

int ws_hs_check(const struct ws_hs_req *req, const struct ws_origins *origins)
{
	uint8_t nonce[18];

	if (!req->get || !req->host || !req->upgrade || !req->connection || !req->key || req->dup ||
	    !req->version)
		return 400;
	/* the key is base64 of 16 random bytes (RFC 6455 4.2.1) */
	if (crypto_b64_decode(req->key, req->key_len, nonce, sizeof(nonce)) != 16)
		return 400;
	if (req->version != 13)
		return 426;
	if (origins && origins->n && req->origin) {
		size_t i;

		for (i = 0; i < origins->n; i++)
			if (strlen(origins->v[i]) == req->origin_len &&
			    !strncasecmp(origins->v[i], req->origin, req->origin_len))
				break;
		if (i == origins->n)
			return 403;
	}
	return 101;
}

int ws_hs_accept(const char *key, size_t key_len, char out[29])
{
	char buf[128];
	uint8_t md[CRYPTO_SHA1_LEN];

	if (key_len > sizeof(buf) - sizeof(ws_guid))
		return -EIO;
	memcpy(buf, key, key_len);
	memcpy(buf + key_len, ws_guid, sizeof(ws_guid) - 1);
	if (crypto_sha1(buf, key_len + sizeof(ws_guid) - 1, md) < 0)
		return -EIO;
	return crypto_b64_encode(md, sizeof(md), out, 29) == 28 ? 0 : -EIO;
}

int ws_hs_response(const struct ws_hs_req *req, int status, char *out, size_t outsz)
{
	char acc[29];
	int n;

	switch (status) {
	case 101:
		if (ws_hs_accept(req->key, req->key_len, acc) < 0)
			return -EIO;
		n = snprintf(out, outsz,
			     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
			     acc, req->proto ? "Sec-WebSocket-Protocol: " : "",
			     req->proto ? req->proto : "", req->proto ? "\r\n" : "");
		break;
	case 426:
		n = snprintf(out, outsz,
			     "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
			     "Connection: close\r\nContent-Length: 0\r\n\r\n");
		break;
	default:
		n = snprintf(out, outsz,
			     "HTTP/1.1 %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
			     status == 403 ? "403 Forbidden" : "400 Bad Request");
		break;
	}
	return n < 0 || (size_t)n >= outsz ? -ENOSPC : n;
}
