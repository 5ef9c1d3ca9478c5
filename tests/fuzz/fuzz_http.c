/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for daemon/io/http_parse.c (the request head parser of ws and httpd, and the
 * http_dir path mapping). Checked, on an exact-size heap copy (ASan sees any read past the end):
 *  - http_parse_request returns the head's length (ending in CRLF CRLF), -EAGAIN or -EBADMSG;
 *    every proper prefix of an accepted head is -EAGAIN; the request line's views lie inside
 *    the head; every field name is a non-empty token and no value holds CR, LF or NUL;
 *  - http_path_file of the target never yields a "." or ".." segment, a NUL, a backslash or a
 *    leading '/', whatever the %-escapes, and always fits its buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "http_parse.h"


static int on_field(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
	(void)ctx;
	CHECK(nl > 0);
	for (size_t i = 0; i < nl; i++)
		CHECK(name[i] > ' ' && name[i] != ':');
	for (size_t i = 0; i < vl; i++)
		CHECK(v[i] != '\r' && v[i] != '\n' && v[i] != '\0');
	CHECK(!vl || (v[0] != ' ' && v[vl - 1] != ' '));
	return 0;
}

static void check_path(const char *t, size_t n)
{
	char out[256];
	int r = http_path_file(t, n, out, sizeof(out));
	const char *seg;

	CHECK(r == -EINVAL || r == -EACCES || r == -ENAMETOOLONG ||
	      (r > 0 && r < (int)sizeof(out)));
	if (r < 0)
		return;
	CHECK(strlen(out) == (size_t)r && out[0] != '/' && !strchr(out, '\\'));
	for (seg = out; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
		size_t l = strchr(seg, '/') ? (size_t)(strchr(seg, '/') - seg) : strlen(seg);

		CHECK(l > 0);
		CHECK(!(l == 1 && seg[0] == '.') && !(l == 2 && seg[0] == '.' && seg[1] == '.'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct http_req req;
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = http_parse_request(buf, size, &req, on_field, NULL);
	CHECK(r == -EAGAIN || r == -EBADMSG || (r >= 4 && (size_t)r <= size));
	if (r > 0) {
		CHECK(!memcmp(buf + r - 4, "\r\n\r\n", 4));
		CHECK(req.method == buf && req.method_len > 0);
		CHECK(req.target > buf && req.target + req.target_len < buf + r);
		CHECK(req.minor >= 0 && req.minor <= 9);
		for (int k = r - 1; k > 0; k -= 1 + k / 3)
			CHECK(http_parse_request(buf, (size_t)k, &req, NULL, NULL) == -EAGAIN);
		r = http_parse_request(buf, size, &req, NULL, NULL);
		check_path(req.target, req.target_len);
	}
	check_path(buf, size);
	free(buf);
	return 0;
}
