/* SPDX-License-Identifier: MIT */
/*
 * httpd: a small HTTP/1.1 server inside the event loop (L1), for the metrics listener.
 *
 * It never blocks the loop and a client cannot make it hold much: one request per connection
 * (Connection: close), a request head of at most HTTPD_HEAD_MAX bytes (431 beyond), one
 * deadline of HTTPD_TIMEOUT_MS for the whole exchange (reading the request and the client
 * reading the answer: a slowloris or a scraper that never reads is closed then), at most
 * HTTPD_CONNS connections (more are accepted and closed at once, so a flood neither fills
 * the backlog nor holds descriptors), one read per readable event and one send per writable
 * one. GET and HEAD only.
 */
#ifndef MQTTGW_HTTPD_H
#define MQTTGW_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "loop.h"

#define HTTPD_HEAD_MAX	 4096
#define HTTPD_TIMEOUT_MS 5000
#define HTTPD_CONNS	 32

struct httpd;

/* The answer to one request: the handler sets status, type (a static string) and body
 * (borrowed: valid during the call only, httpd copies what the socket does not take at once;
 * NULL with len 0 for none). */
struct httpd_resp {
	int status;
	const char *type;
	const char *body;
	size_t len;
};

/* req: the parsed request line, valid during the call. */
typedef void (*httpd_fn)(void *ctx, const struct http_req *req, struct httpd_resp *resp);

struct httpd_stats {
	uint64_t requests, refused, timeouts, bad;
	unsigned int conns;
};

/* Listen on addr ("host", "[v6]" or NULL for any) and port; NULL with err set. */
struct httpd *httpd_new(struct loop *l, const char *addr, uint16_t port, httpd_fn fn, void *ctx,
			char *err, size_t errlen);
void httpd_free(struct httpd *h);
uint16_t httpd_port(const struct httpd *h);
void httpd_get_stats(const struct httpd *h, struct httpd_stats *st);

#endif /* MQTTGW_HTTPD_H */
