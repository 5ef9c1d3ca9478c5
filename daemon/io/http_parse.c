/* SPDX-License-Identifier: MIT */
/* http_parse: the HTTP/1.x request head (L0). See include/http_parse.h. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "hexdigit.h"
#include "http_parse.h"

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

bool http_name_is(const char *name, size_t nl, const char *want)
{
	return strlen(want) == nl && !strncasecmp(name, want, nl);
}

bool http_method_is(const struct http_req *req, const char *want)
{
	return strlen(want) == req->method_len && !memcmp(req->method, want, req->method_len);
}

bool http_list_has(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok);

	while (n) {
		const char *comma = memchr(v, ',', n);
		size_t e = comma ? (size_t)(comma - v) : n, b = 0, l;

		while (b < e && is_ows(v[b]))
			b++;
		l = e;
		while (l > b && is_ows(v[l - 1]))
			l--;
		if (l - b == tl && !strncasecmp(v + b, tok, tl))
			return true;
		if (!comma)
			break;
		v += e + 1;
		n -= e + 1;
	}
	return false;
}

/* method SP request-target SP HTTP/1.x, line[0..n) */
static int parse_line(const char *line, size_t n, struct http_req *req)
{
	const char *sp1 = memchr(line, ' ', n), *sp2;
	size_t i;

	if (!sp1 || sp1 == line)
		return -EBADMSG;
	for (i = 0; line + i < sp1; i++)
		if (!is_tchar((unsigned char)line[i]))
			return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(line + n - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || line + n - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    sp2[8] < '0' || sp2[8] > '9')
		return -EBADMSG;
	for (const char *p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -EBADMSG;
	req->method = line;
	req->method_len = (size_t)(sp1 - line);
	req->target = sp1 + 1;
	req->target_len = (size_t)(sp2 - sp1 - 1);
	req->minor = sp2[8] - '0';
	return 0;
}

/* name ":" OWS value OWS, line[0..n) */
static int parse_field(const char *line, size_t n, http_field_fn field, void *ctx)
{
	const char *colon = memchr(line, ':', n), *v;
	size_t nl, vl;

	if (!colon || colon == line)
		return -EBADMSG;
	nl = (size_t)(colon - line);
	for (size_t i = 0; i < nl; i++)
		if (!is_tchar((unsigned char)line[i]))
			return -EBADMSG; /* also whitespace before the colon, line folding */
	v = colon + 1;
	vl = n - nl - 1;
	while (vl && is_ows(*v))
		v++, vl--;
	while (vl && is_ows(v[vl - 1]))
		vl--;
	for (size_t i = 0; i < vl; i++)
		if (((unsigned char)v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f)
			return -EBADMSG; /* CR, LF, NUL inside a value */
	return field ? field(ctx, line, nl, v, vl) : 0;
}

int http_parse_request(const char *buf, size_t len, struct http_req *req, http_field_fn field,
		       void *ctx)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *p, *eol;
	int r;

	memset(req, 0, sizeof(*req));
	if (!end) {
		/* a bare LF or a NUL in what came so far can never become a valid head */
		for (size_t i = 0; i < len; i++)
			if (!buf[i] || (buf[i] == '\n' && (!i || buf[i - 1] != '\r')))
				return -EBADMSG;
		return -EAGAIN;
	}
	for (p = buf; p < end; p++)
		if (!*p || (*p == '\n' && (p == buf || p[-1] != '\r')) ||
		    (*p == '\r' && p[1] != '\n'))
			return -EBADMSG;
	eol = memmem(buf, (size_t)(end - buf) + 2, "\r\n", 2);
	r = parse_line(buf, (size_t)(eol - buf), req);
	if (r < 0)
		return r;
	for (p = eol + 2; p < end + 2; p = eol + 2) {
		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		r = parse_field(p, (size_t)(eol - p), field, ctx);
		if (r < 0)
			return r;
	}
	return (int)(end + 4 - buf);
}

size_t http_path_len(const char *target, size_t len)
{
	const char *q = memchr(target, '?', len);

	return q ? (size_t)(q - target) : len;
}

int http_path_file(const char *target, size_t len, char *out, size_t outsz)
{
	size_t n = http_path_len(target, len), o = 0, seg = 0;
	static const char index[] = "index.html";

	if (!n || target[0] != '/' || !outsz)
		return -EINVAL;
	for (size_t i = 1; i <= n; i++) {
		char c;

		if (i == n || target[i] == '/') {
			/* a segment ends: out[seg..o) */
			size_t sl = o - seg;

			if ((sl == 1 && out[seg] == '.') ||
			    (sl == 2 && out[seg] == '.' && out[seg + 1] == '.'))
				return -EACCES;
			if (!sl && i < n)
				return -EACCES; /* "a//b" or "//" */
			if (i == n)
				break;
			if (o + 1 >= outsz)
				return -ENAMETOOLONG;
			out[o++] = '/';
			seg = o;
			continue;
		}
		c = target[i];
		if (c == '%') {
			int hi = i + 2 < n ? hex_digit(target[i + 1]) : -1;
			int lo = i + 2 < n ? hex_digit(target[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			i += 2;
			if (c == '/' || c == '\\' || !c)
				return -EINVAL;
		}
		if ((unsigned char)c < ' ' || c == 0x7f || c == '\\')
			return -EINVAL;
		if (o + 1 >= outsz)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	if (!o || out[o - 1] == '/') {
		if (o + sizeof(index) > outsz)
			return -ENAMETOOLONG;
		memcpy(out + o, index, sizeof(index));
		return (int)(o + sizeof(index) - 1);
	}
	out[o] = '\0';
	return (int)o;
}

const char *http_content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {"html", "text/html; charset=utf-8"},
	    {"htm", "text/html; charset=utf-8"},
	    {"js", "text/javascript; charset=utf-8"},
	    {"mjs", "text/javascript; charset=utf-8"},
	    {"css", "text/css; charset=utf-8"},
	    {"json", "application/json"},
	    {"map", "application/json"},
	    {"txt", "text/plain; charset=utf-8"},
	    {"svg", "image/svg+xml"},
	    {"png", "image/png"},
	    {"jpg", "image/jpeg"},
	    {"jpeg", "image/jpeg"},
	    {"gif", "image/gif"},
	    {"ico", "image/x-icon"},
	    {"wasm", "application/wasm"},
	    {"woff2", "font/woff2"},
	};
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

const char *http_reason(int status)
{
	switch (status) {
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 426:
		return "Upgrade Required";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}
