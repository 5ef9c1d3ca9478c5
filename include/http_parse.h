/* SPDX-License-Identifier: MIT */
/*
 * http_parse: the HTTP/1.x request head, server side (L0: no syscalls, no allocation, no
 * logging). One parser for every HTTP the daemon speaks: the WebSocket upgrade (ws_frame.c
 * reads its fields through the callback), the static files of http_dir and the metrics
 * listener (io/httpd.c).
 *
 * Only what a small server needs: the request line, field lines (name and value, optional
 * whitespace trimmed), the end of the head. Obsolete line folding, a field without a name,
 * whitespace before the colon (RFC 9112 5.1: must be rejected) and bare LF line ends are
 * malformed. A body is never read: none of our requests has one.
 */
#ifndef MQTTGW_HTTP_PARSE_H
#define MQTTGW_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* The request line; the strings are views into the parsed buffer. */
struct http_req {
	const char *method;
	size_t method_len;
	const char *target; /* request-target as sent (origin-form for us: "/path?query") */
	size_t target_len;
	int minor; /* HTTP/1.minor */
};

/* Called once per field line, in order. A negative return stops the parse with it. */
typedef int (*http_field_fn)(void *ctx, const char *name, size_t name_len, const char *value,
			     size_t value_len);

/*
 * Parse the request head in buf[0..len) (request line, fields, blank line; CRLF line ends).
 * Returns the head's length (bytes after it are not part of it), -EAGAIN when the blank line
 * has not come yet, -EBADMSG when it is not an HTTP/1.x request head, or what field returned.
 * field may be NULL.
 */
int http_parse_request(const char *buf, size_t len, struct http_req *req, http_field_fn field,
		       void *ctx);

/* Is name[0..nl) want, case-insensitively (field names, methods are case-sensitive: use
 * http_method_is)? */
bool http_name_is(const char *name, size_t nl, const char *want);
bool http_method_is(const struct http_req *req, const char *want);

/* Does the comma-separated list v[0..n) hold tok, case-insensitively (Connection, Upgrade)? */
bool http_list_has(const char *v, size_t n, const char *tok);

/*
 * The path of target[0..len) as a file name relative to a served directory, into out
 * (NUL-terminated): the query is dropped, %XX decoded, "/" becomes "index.html" (as does a
 * path ending in '/': "d/" -> "d/index.html"). Returns its length, or:
 *   -EINVAL  not an origin-form path, a bad %-escape, an encoded '/' or NUL, a control byte;
 *   -EACCES  a "." or ".." segment (also when encoded) or an empty one ("a//b"): no way up;
 *   -ENAMETOOLONG  it does not fit in outsz.
 */
int http_path_file(const char *target, size_t len, char *out, size_t outsz);

/* The path without the query: target[0..return). */
size_t http_path_len(const char *target, size_t len);

/* Content-Type by file name extension (html, js, css, json, svg, png, ...); default
 * "application/octet-stream". */
const char *http_content_type(const char *path);

/* The reason phrase of status ("OK", "Not Found"...; "Error" for ones we never send). */
const char *http_reason(int status);

#endif /* MQTTGW_HTTP_PARSE_H */
