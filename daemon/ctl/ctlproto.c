/* SPDX-License-Identifier: MIT */
/*
 * ctlproto: the control socket's request line and the JSON the daemon emits (include/ctlproto.h).
 * Pure: no I/O, no globals but constant tables.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexdigit.h"
#include "ctlproto.h"

static const struct {
	const char *name;
	uint8_t min, max;
} cmds[CTLP_NR] = {
    [CTLP_STATUS] = {"status", 0, 0},
    [CTLP_CLIENTS] = {"clients", 0, 0},
    [CTLP_CLIENT] = {"client", 1, 1},
    [CTLP_KICK] = {"kick", 1, 1},
    [CTLP_SUBSCRIPTIONS] = {"subscriptions", 0, 1},
    [CTLP_RETAINED] = {"retained", 0, 1},
    [CTLP_FASTPATH] = {"fastpath", 0, 0},
    [CTLP_BRIDGES] = {"bridges", 0, 0},
    [CTLP_RELOAD] = {"reload", 0, 0},
    [CTLP_LOG_LEVEL] = {"log-level", 1, 1},
    [CTLP_TRACE] = {"trace", 1, 1},
};

const char *ctlp_cmd_name(enum ctlp_cmd cmd)
{
	return (unsigned)cmd < CTLP_NR ? cmds[cmd].name : NULL;
}

int ctlp_cmd_lookup(const char *name, size_t len, enum ctlp_cmd *cmd)
{
	for (int i = 0; i < CTLP_NR; i++) {
		if (strlen(cmds[i].name) == len && !memcmp(cmds[i].name, name, len)) {
			*cmd = (enum ctlp_cmd)i;
			return 0;
		}
	}
	return -ENOENT;
}

void ctlp_cmd_args(enum ctlp_cmd cmd, int *min, int *max)
{
	*min = (unsigned)cmd < CTLP_NR ? cmds[cmd].min : 0;
	*max = (unsigned)cmd < CTLP_NR ? cmds[cmd].max : 0;
}

static bool must_escape(unsigned char c)
{
	return c <= 0x20 || c == '%' || c == 0x7f;
}

/* Decode the word w[0..n) in place: its new length, or -EBADMSG. */
static int decode_word(char *w, size_t n)
{
	size_t i = 0, o = 0;

	if (!n)
		return -EBADMSG;
	while (i < n) {
		if (w[i] == '%') {
			int hi, lo;

			if (n - i < 3 || (hi = hex_digit(w[i + 1])) < 0 ||
			    (lo = hex_digit(w[i + 2])) < 0)
				return -EBADMSG;
			w[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else if (must_escape((unsigned char)w[i])) {
			return -EBADMSG; /* a raw control byte: not one of our requests */
		} else {
			w[o++] = w[i++];
		}
	}
	return (int)o;
}

int ctlp_parse(char *buf, size_t len, struct ctlp_req *req, const char **why)
{
	char *nl = memchr(buf, '\n', len < CTLP_MAX_LINE ? len : CTLP_MAX_LINE);
	char *words[1 + CTLP_MAX_ARGS];
	size_t wlen[1 + CTLP_MAX_ARGS], end, n = 0, i = 0;
	int min, max;

	*why = NULL;
	if (!nl) {
		*why = "request line too long";
		return len < CTLP_MAX_LINE ? -EAGAIN : -EMSGSIZE;
	}
	end = (size_t)(nl - buf);
	if (end && buf[end - 1] == '\r') /* typed into a terminal tool that sends CRLF */
		end--;
	while (i < end) {
		size_t j = i;

		while (j < end && buf[j] != ' ')
			j++;
		if (j == i || n == 1 + CTLP_MAX_ARGS) {
			*why = j == i ? "empty word (two spaces, or one at an end)"
				      : "too many arguments";
			return j == i ? -EBADMSG : -EINVAL;
		}
		words[n] = buf + i;
		wlen[n++] = j - i;
		i = j + (j < end);
		if (j < end && i == end) {
			*why = "empty word (two spaces, or one at an end)";
			return -EBADMSG;
		}
	}
	if (!n) {
		*why = "empty request";
		return -EBADMSG;
	}
	for (i = 0; i < n; i++) {
		int r = decode_word(words[i], wlen[i]);

		if (r < 0) {
			*why = "bad %-escape or control byte in a word";
			return r;
		}
		words[i][r] = '\0'; /* decoding never grows: there is room */
		wlen[i] = (size_t)r;
	}
	if (ctlp_cmd_lookup(words[0], wlen[0], &req->cmd) < 0) {
		*why = "unknown command";
		return -ENOENT;
	}
	ctlp_cmd_args(req->cmd, &min, &max);
	if ((int)n - 1 < min || (int)n - 1 > max) {
		*why = "wrong number of arguments";
		return -EINVAL;
	}
	req->argc = (int)n - 1;
	for (i = 1; i < n; i++) {
		req->argv[i - 1] = words[i];
		req->argl[i - 1] = wlen[i];
	}
	return (int)(nl - buf) + 1;
}

int ctlp_encode_word(const char *w, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[i];

		if (o + (must_escape(c) ? 3 : 1) >= cap)
			return -ENOSPC;
		if (must_escape(c)) {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (!len || o >= cap)
		return -ENOSPC; /* an empty word cannot be sent */
	out[o] = '\0';
	return (int)o;
}

/* ---- JSON output ---- */

void ctlp_buf_free(struct ctlp_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static bool reserve(struct ctlp_buf *b, size_t n)
{
	size_t want;
	char *p;

	if (b->failed)
		return false;
	if (b->limit && b->len + n > b->limit) {
		b->failed = b->truncated = true;
		return false;
	}
	if (b->len + n + 1 <= b->cap)
		return true;
	want = b->cap ? b->cap : 256;
	while (want < b->len + n + 1)
		want *= 2;
	p = realloc(b->p, want);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = want;
	return true;
}

void ctlp_put(struct ctlp_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ctlp_puts(struct ctlp_buf *b, const char *s)
{
	ctlp_put(b, s, strlen(s));
}

void ctlp_printf(struct ctlp_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		ctlp_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Length of the valid UTF-8 sequence at s[0..n) (1-4), or 0 if it is not one. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

bool ctlp_utf8_text(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(s + i, n - i);

		if (!k || !s[i])
			return false;
		i += k;
	}
	return true;
}

void ctlp_json_str(struct ctlp_buf *b, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;

	ctlp_put(b, "\"", 1);
	while (i < n && !b->failed) {
		size_t run = i, k;

		/* copy runs of plain characters at once */
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			ctlp_put(b, str + i, run - i);
			i = run;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\') {
			char e[2] = {'\\', (char)s[i]};

			ctlp_put(b, e, 2);
			i++;
		} else if (s[i] < 0x20) {
			ctlp_printf(b, "\\u%04x", s[i]);
			i++;
		} else if ((k = utf8_seq(s + i, n - i))) {
			ctlp_put(b, str + i, k);
			i += k;
		} else {
			ctlp_puts(b, "\\ufffd");
			i++;
		}
	}
	ctlp_put(b, "\"", 1);
}

void ctlp_json_key(struct ctlp_buf *b, const char *key)
{
	if (b->len && b->p[b->len - 1] != '{' && b->p[b->len - 1] != '[')
		ctlp_put(b, ",", 1);
	ctlp_put(b, "\"", 1);
	ctlp_puts(b, key);
	ctlp_put(b, "\":", 2);
}

void ctlp_json_kstr(struct ctlp_buf *b, const char *key, const char *s, size_t n)
{
	ctlp_json_key(b, key);
	ctlp_json_str(b, s ? s : "", s ? n : 0);
}

void ctlp_json_ku64(struct ctlp_buf *b, const char *key, uint64_t v)
{
	ctlp_json_key(b, key);
	ctlp_printf(b, "%llu", (unsigned long long)v);
}

void ctlp_json_ki64(struct ctlp_buf *b, const char *key, int64_t v)
{
	ctlp_json_key(b, key);
	ctlp_printf(b, "%lld", (long long)v);
}

void ctlp_json_kbool(struct ctlp_buf *b, const char *key, bool v)
{
	ctlp_json_key(b, key);
	ctlp_puts(b, v ? "true" : "false");
}

void ctlp_json_hex(struct ctlp_buf *b, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	ctlp_put(b, "\"", 1);
	for (size_t i = 0; i < n && !b->failed; i++) {
		char h[2] = {hex[s[i] >> 4], hex[s[i] & 15]};

		ctlp_put(b, h, 2);
	}
	ctlp_put(b, "\"", 1);
}
