// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for tests/bench/bench_ws.c (mqttgw-bench --ws): what a broker sends back
 * after the upgrade request: the HTTP answer head, then server frames. The first byte picks
 * how the rest is cut into reads (as recv would deliver them into bconn's rx). Checked: no
 * out-of-bounds access (ASan), rx never grows past what was read nor past rx_cap, the handshake
 * is passed only with a 101 carrying the right Sec-WebSocket-Accept and subprotocol mqtt, and
 * tx stays ordered (tx_off <= tx_raw <= tx_len: pongs go out framed, nothing unframed is left).
 * bconn_tx_reserve and now_ns stand in for bench_conn.c and bench_stats.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "fuzz_check.h"

uint64_t now_ns(void)
{
	return 1; /* a fixed Sec-WebSocket-Key, so the corpus can hold its right answer */
}

uint8_t *bconn_tx_reserve(struct bconn *c, size_t n)
{
	if (c->tx_len + n > c->tx_cap) {
		uint8_t *t = realloc(c->tx, c->tx_len + n);

		if (!t)
			return NULL;
		c->tx = t;
		c->tx_cap = (uint32_t)(c->tx_len + n);
	}
	return c->tx + c->tx_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bench_opts o = {.host = "127.0.0.1", .port = 1883};
	struct bconn c = {.state = BS_WSHS, .rx_cap = 512};
	size_t step, pos = 0;
	bool upgraded = false;

	if (!size)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	c.rx = malloc(c.rx_cap);
	CHECK(c.rx && bws_start(&c, &o) == 0);
	c.tx_off = c.tx_len; /* the request was sent */
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step;
		const char *why = NULL;
		uint32_t from = c.rx_len;
		int rc;

		if (n > c.rx_cap - c.rx_len)
			n = c.rx_cap - c.rx_len;
		if (!n)
			break; /* bench_conn grows rx only for a known MQTT packet length */
		memcpy(c.rx + c.rx_len, data + pos, n);
		c.rx_len += (uint32_t)n;
		pos += n;
		rc = bws_input(&c, from, &why);
		CHECK(rc >= -1 && rc <= 2);
		if (rc == -1) {
			CHECK(why != NULL);
			break;
		}
		CHECK(c.rx_len <= c.rx_cap);
		CHECK(c.tx_off <= c.tx_raw && c.tx_raw == c.tx_len);
		if (rc == 2) {
			CHECK(!upgraded && c.state == BS_CONNACK);
			upgraded = true;
		}
		if (rc == 1)
			CHECK(!upgraded && c.state == BS_WSHS);
		else
			CHECK(upgraded && c.rx_len <= from + n);
		if (upgraded)
			c.rx_len = 0; /* the MQTT bytes were parsed */
	}
	if (upgraded)
		CHECK(size >= 12 && !memcmp(data, "HTTP/1.1 101", 12));
	free(c.rx);
	free(c.tx);
	bws_free(&c);
	return 0;
}
