// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for daemon/io/ws_frame.c. The first byte picks how the rest is cut into
 * reads (as a socket would deliver them) and, with its top bit, which side decodes: the server
 * (client frames, masked) or a client (from_server: server frames, unmasked: mqttgw-bench --ws);
 * the rest is one stream: an HTTP request head, then frames. Checked:
 *  - ws_hs_parse returns the head's exact length, -EAGAIN or -EBADMSG, never reads past the
 *    end (exact-size heap copy for ASan), and -EAGAIN for every proper prefix of a head;
 *  - ws_hs_check gives one of the documented statuses and ws_hs_response always fits 256;
 *  - the frame decoder gives the same payload, controls and error whether the stream comes
 *    whole or cut into reads, decoding in place or not; output never exceeds input; after an
 *    error the stream stays dead with a close code set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"
#include "fuzz_check.h"

struct run {
	uint8_t *out;
	size_t out_len;
	int controls;
	uint32_t ctl_sum;
	int err;
	uint16_t code;
};

/* Decode data[0..len) in reads of `cut` bytes (0: whole), in place or into a separate buffer. */
static void decode(const uint8_t *data, size_t len, size_t cut, bool in_place, bool from_server,
		   struct run *r)
{
	struct ws_rx rx = {.max_payload = 4096, .from_server = from_server};
	uint8_t *buf = malloc(len ? len : 1), *out = malloc(len ? len : 1);
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	r->out = malloc(len ? len : 1);
	while (pos < len && !r->err) {
		size_t end = cut && pos + cut < len ? pos + cut : len, n = end - pos, p = 0;

		memcpy(buf, data + pos, n); /* the read */
		while (p < n) {
			size_t used, prod;
			uint8_t *dst = in_place ? buf + p : out;
			int ret = ws_rx_decode(&rx, buf + p, n - p, dst, &used, &prod);

			CHECK(used <= n - p && prod <= used);
			memcpy(r->out + r->out_len, dst, prod);
			r->out_len += prod;
			p += used;
			if (ret < 0) {
				CHECK(ret == -EPROTO || ret == -ENOTSUP || ret == -EMSGSIZE ||
				      ret == -EILSEQ);
				CHECK(rx.close_code >= 1002 && rx.close_code <= 1009);
				r->err = ret;
				r->code = rx.close_code;
				CHECK(ws_rx_decode(&rx, buf, n, out, &used, &prod) == -EPROTO);
				CHECK(used == 0 && prod == 0);
				break;
			}
			if (ret == WS_RX_CONTROL) {
				CHECK(rx.op == WS_OP_CLOSE || rx.op == WS_OP_PING ||
				      rx.op == WS_OP_PONG);
				CHECK(rx.ctl_len <= WS_CTL_MAX);
				r->controls++;
				for (size_t i = 0; i < rx.ctl_len; i++)
					r->ctl_sum = r->ctl_sum * 31 + rx.ctl[i];
				continue;
			}
			CHECK(ret == 0 && p == n);
		}
		pos = end;
	}
	free(buf);
	free(out);
}

static void check_handshake(const uint8_t *data, size_t len)
{
	char *copy = malloc(len ? len : 1), resp[256];
	struct ws_hs_req req;
	int head, st, n;

	memcpy(copy, data, len);
	head = ws_hs_parse(copy, len, &req);
	CHECK(head == -EAGAIN || head == -EBADMSG || (head >= 4 && (size_t)head <= len));
	if (head > 0) {
		static const char *const og[] = {"https://a.example"};
		const struct ws_origins o = {og, 1};

		CHECK(!memcmp(copy + head - 4, "\r\n\r\n", 4));
		for (int cut = head - 1; cut >= 0 && cut > head - 64; cut--) {
			struct ws_hs_req r2;

			CHECK(ws_hs_parse(copy, (size_t)cut, &r2) == -EAGAIN);
		}
		st = ws_hs_check(&req, &o);
		CHECK(st == 101 || st == 400 || st == 403 || st == 426);
		n = ws_hs_response(&req, st, resp, sizeof(resp));
		CHECK(n > 0 && (size_t)n < sizeof(resp));
		CHECK(!memcmp(resp + n - 4, "\r\n\r\n", 4));
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, cut, ip;
	size_t step;
	bool client;

	if (!size)
		return 0;
	step = (size_t)(data[0] & 0x7F) % 17 + 1;
	client = data[0] & 0x80;
	data++;
	size--;
	check_handshake(data, size);
	decode(data, size, 0, false, client, &whole);
	decode(data, size, step, true, client, &cut);
	decode(data, size, 1, false, client, &ip);
	CHECK(whole.out_len <= size);
	for (const struct run *r = &cut; r; r = r == &cut ? &ip : NULL) {
		CHECK(r->out_len == whole.out_len);
		CHECK(!memcmp(r->out, whole.out, whole.out_len));
		CHECK(r->controls == whole.controls && r->ctl_sum == whole.ctl_sum);
		CHECK(r->err == whole.err && r->code == whole.code);
	}
	free(whole.out);
	free(cut.out);
	free(ip.out);
	return 0;
}
