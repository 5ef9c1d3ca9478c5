/* SPDX-License-Identifier: MIT */
/* http_parse: the request head parser shared by ws and httpd, path mapping, content types. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_parse.h"

struct fields {
	int n;
	char names[8][32], values[8][64];
};

static int on_field(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
	struct fields *f = ctx;

	if (f->n == 8)
		return -E2BIG;
	snprintf(f->names[f->n], sizeof(f->names[0]), "%.*s", (int)nl, name);
	snprintf(f->values[f->n], sizeof(f->values[0]), "%.*s", (int)vl, v);
	f->n++;
	return 0;
}

static int parse(const char *s, struct http_req *req, struct fields *f)
{
	memset(f, 0, sizeof(*f));
	return http_parse_request(s, strlen(s), req, on_field, f);
}

static void test_request(void **state)
{
	static const char ok[] = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nX-Y:\t v w \t\r\n"
				 "Empty:\r\n\r\nBODY";
	struct http_req req;
	struct fields f;

	(void)state;
	assert_int_equal(parse(ok, &req, &f), (int)strlen(ok) - 4);
	assert_true(http_method_is(&req, "GET"));
	assert_false(http_method_is(&req, "get"));
	assert_int_equal(req.target_len, 12);
	assert_memory_equal(req.target, "/metrics?x=1", 12);
	assert_int_equal(http_path_len(req.target, req.target_len), 8);
	assert_int_equal(req.minor, 1);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.names[1], "X-Y");
	assert_string_equal(f.values[1], "v w");
	assert_string_equal(f.values[2], "");
	assert_true(http_name_is("hOsT", 4, "host"));
	/* no fields at all; HTTP/1.0 */
	assert_int_equal(parse("HEAD / HTTP/1.0\r\n\r\n", &req, &f), 19);
	assert_int_equal(req.minor, 0);
	assert_int_equal(f.n, 0);
}

static void test_incomplete_and_malformed(void **state)
{
	static const char *const bad[] = {
	    "GET / HTTP/1.1\nHost: a\r\n\r\n",	   /* bare LF */
	    "GET / HTTP/1.1\r\nHost: a\n\r\n\r\n", /* bare LF in a field */
	    "GET  / HTTP/1.1\r\n\r\n",		   /* empty target */
	    "GET / HTTP/2.0\r\n\r\n",		   /* not 1.x */
	    "GET / HTTP/1.1 \r\n\r\n",		   /* trailing space */
	    "G(T / HTTP/1.1\r\n\r\n",		   /* not a token */
	    "GET /\x01 HTTP/1.1\r\n\r\n",	   /* control byte in the target */
	    "GET / HTTP/1.1\r\nHost : a\r\n\r\n",  /* space before the colon */
	    "GET / HTTP/1.1\r\n folded\r\n\r\n",   /* obsolete folding */
	    "GET / HTTP/1.1\r\n: v\r\n\r\n",	   /* no name */
	    "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
	    "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", /* bare CR */
	    "/ HTTP/1.1\r\n\r\n",
	    "GET /\r\n\r\n",
	};
	struct http_req req;
	struct fields f;
	static const char nul[] = "GET / HTTP/1.1\r\nA: \0\r\n\r\n";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &req, &f) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(http_parse_request(nul, sizeof(nul) - 1, &req, NULL, NULL), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n", &req, &f), -EAGAIN);
	assert_int_equal(parse("", &req, &f), -EAGAIN);
	assert_int_equal(parse("GET / HTTP/1.1\nX", &req, &f), -EBADMSG); /* early */
	/* the callback's error stops the parse */
	assert_int_equal(parse("GET / HTTP/1.1\r\n1:1\r\n2:2\r\n3:3\r\n4:4\r\n5:5\r\n6:6\r\n7:7\r\n"
			       "8:8\r\n9:9\r\n\r\n",
			       &req, &f),
			 -E2BIG);
}

static void test_list(void **state)
{
	(void)state;
	assert_true(http_list_has("keep-alive, Upgrade", 19, "upgrade"));
	assert_true(http_list_has(" websocket ", 11, "websocket"));
	assert_false(http_list_has("upgrades", 8, "upgrade"));
	assert_false(http_list_has("", 0, "upgrade"));
}

static void test_path_file(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *out;
	} t[] = {
	    {"/", 10, "index.html"},
	    {"/index.html", 10, "index.html"},
	    {"/js/app.js?v=3", 9, "js/app.js"},
	    {"/d/", 12, "d/index.html"},
	    {"/a%20b.css", 7, "a b.css"},
	    {"/..", -EACCES, NULL},
	    {"/../etc/passwd", -EACCES, NULL},
	    {"/a/../../b", -EACCES, NULL},
	    {"/a/./b", -EACCES, NULL},
	    {"/%2e%2e/x", -EACCES, NULL},
	    {"/%2E%2e", -EACCES, NULL},
	    {"/.%2e/x", -EACCES, NULL},
	    {"/a//b", -EACCES, NULL},
	    {"//etc/passwd", -EACCES, NULL},
	    {"/..%2fetc", -EINVAL, NULL},
	    {"/a%2Fb", -EINVAL, NULL},
	    {"/a%5c..", -EINVAL, NULL},
	    {"/a\\b", -EINVAL, NULL},
	    {"/a%00b", -EINVAL, NULL},
	    {"/a%0ab", -EINVAL, NULL},
	    {"/a%zz", -EINVAL, NULL},
	    {"/a%2", -EINVAL, NULL},
	    {"x", -EINVAL, NULL},
	    {"http://h/x", -EINVAL, NULL},
	    {"/.hidden", 7, ".hidden"},
	    {"/a..b", 4, "a..b"},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = http_path_file(t[i].in, strlen(t[i].in), out, sizeof(out));

		if (rc != t[i].rc)
			fail_msg("%s: %d, not %d", t[i].in, rc, t[i].rc);
		if (rc >= 0 && strcmp(out, t[i].out))
			fail_msg("%s: %s", t[i].in, out);
	}
	assert_int_equal(http_path_file("/abcdef", 7, out, 6), -ENAMETOOLONG);
	assert_int_equal(http_path_file("/", 1, out, 10), -ENAMETOOLONG);
	assert_int_equal(http_path_file("/", 1, out, 11), 10);
}

static void test_types(void **state)
{
	(void)state;
	assert_string_equal(http_content_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(http_content_type("a/b.JS"), "text/javascript; charset=utf-8");
	assert_string_equal(http_content_type("s.css"), "text/css; charset=utf-8");
	assert_string_equal(http_content_type("x.json"), "application/json");
	assert_string_equal(http_content_type("d.html/x"), "application/octet-stream");
	assert_string_equal(http_content_type("noext"), "application/octet-stream");
	assert_string_equal(http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_reason(299), "Error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request), cmocka_unit_test(test_incomplete_and_malformed),
	    cmocka_unit_test(test_list),    cmocka_unit_test(test_path_file),
	    cmocka_unit_test(test_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
