/* SPDX-License-Identifier: MIT */
/* config: error messages, tokens and values (see config_int.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* ---- errors ---- */

/* Messages quote config text and file names: keep terminal controls out of them. */
void config_sanitize(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

void config_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	config_sanitize(err);
}

int config_perr(struct config_parse *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "%s:%lu: ", ps->name, ps->line);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	config_sanitize(ps->err);
	return -EINVAL;
}

int config_perr_nomem(struct config_parse *ps)
{
	config_perr(ps, "out of memory");
	return -ENOMEM;
}

/* Length of the token at s, capped for quoting in a message ("%.*s"). */
int config_tok_len(const char *s)
{
	size_t n = strcspn(s, WS);

	return n > CONFIG_ERR_TOKEN ? CONFIG_ERR_TOKEN : (int)n;
}

/* ---- lexing ---- */

char *config_skip_ws(char *s)
{
	return s + strspn(s, WS);
}

/* Nothing but maybe a `# comment`. */
bool config_no_value(const char *args)
{
	return !*args || *args == '#';
}

/* Cut the first token off *s; *s moves to the next one ("" at the end). */
char *config_next_token(char **s)
{
	char *tok = config_skip_ws(*s), *end = tok + strcspn(tok, WS);

	if (*end)
		*end++ = '\0';
	*s = config_skip_ws(end);
	return tok;
}

/* Exactly one token, optionally followed by a `# comment`. */
int config_one_token(struct config_parse *ps, const struct config_key *k, char *args, char **tok)
{
	*tok = config_next_token(&args);
	if (config_no_value(*tok))
		return config_perr(ps, "%s: missing argument", k->name);
	if (!config_no_value(args))
		return config_perr(ps, "%s: unexpected argument '%.*s'", k->name,
				   config_tok_len(args), args);
	return 0;
}

/* config_one_token, then config_check_string on the token. */
int config_one_string(struct config_parse *ps, const struct config_key *k, char *args, char **tok)
{
	int rc = config_one_token(ps, k, args, tok);

	return rc ? rc : config_check_string(ps, k->name, *tok);
}

/* Well-formed UTF-8 without control characters (tab allowed), as Mosquitto checks strings. */
static bool valid_text(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		uint32_t cp, min;
		int n, i;

		if (*s < 0x80) {
			if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
				return false;
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 2, cp = *s & 0x1f, min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 3, cp = *s & 0x0f, min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 4, cp = *s & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n;
	}
	return true;
}

int config_check_string(struct config_parse *ps, const char *key, const char *val)
{
	if (strlen(val) > CONFIG_MAX_VALUE)
		return config_perr(ps, "%s: value too long (max %d bytes)", key, CONFIG_MAX_VALUE);
	if (!valid_text(val))
		return config_perr(ps, "%s: value is not valid UTF-8 text", key);
	return 0;
}

/* "a, b or c" for messages. */
void config_values_list(const struct ck_value *v, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; v[i].name && n < len; i++) {
		const char *sep = !i ? "" : v[i + 1].name ? ", " : " or ";
		int w = snprintf(buf + n, len - n, "%s%s", sep, v[i].name);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

int config_parse_bool(struct config_parse *ps, const char *key, const char *tok, bool *out)
{
	if (!strcmp(tok, "true") || !strcmp(tok, "1")) {
		*out = true;
	} else if (!strcmp(tok, "false") || !strcmp(tok, "0")) {
		*out = false;
	} else {
		return config_perr(ps, "%s: invalid value '%.*s' (expected true or false)", key,
				   CONFIG_ERR_TOKEN, tok);
	}
	return 0;
}

/* Digits only: 0, -1 (not a number) or 1 (overflows 64 bits). */
static int parse_digits(const char *s, const char *end, uint64_t *out)
{
	bool overflow = false;
	uint64_t v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	*out = v;
	return overflow;
}

/*
 * A decimal integer in [min, max]: digits with a '-' where min < 0. No '+', no blanks, no hex,
 * no trailing junk; overflow is "out of range". The result is the two's complement bit pattern
 * (config_store_num() truncates it to the field).
 */
int config_parse_number(struct config_parse *ps, const char *key, const char *tok, int64_t min,
			uint64_t max, uint64_t *out)
{
	bool neg = *tok == '-';
	uint64_t v = 0;
	int rc;

	rc = parse_digits(tok + neg, tok + strlen(tok), &v);
	if (rc < 0)
		return config_perr(ps, "%s: invalid number '%.*s'", key, CONFIG_ERR_TOKEN, tok);
	if (rc > 0)
		goto range;
	if (neg && v) {
		/* -v >= min, without overflowing for INT64_MIN */
		if (min >= 0 || v > (uint64_t)(-(min + 1)) + 1)
			goto range;
		*out = (uint64_t)0 - v;
		return 0;
	}
	if (v > max || (min > 0 && v < (uint64_t)min))
		goto range;
	*out = v;
	return 0;
range:
	return config_perr(ps, "%s: value '%.*s' out of range (%lld..%llu)", key, CONFIG_ERR_TOKEN,
			   tok, (long long)min, (unsigned long long)max);
}

/* Mosquitto's duration: N followed by h, d, w, m (30 days) or y (365 days); N > 0. We also
 * take s (seconds): short expiries are useful on gateways and in tests. */
int config_parse_duration(struct config_parse *ps, const char *key, const char *tok, int64_t *out)
{
	static const char units[] = "hdwmys";
	static const uint64_t secs[] = {3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400, 1};
	size_t len = strlen(tok);
	const char *u = len ? strchr(units, tok[len - 1]) : NULL;
	uint64_t n = 0;
	int rc;

	rc = u && *u ? parse_digits(tok, tok + len - 1, &n) : -1;
	if (rc < 0 || (!rc && !n))
		return config_perr(
		    ps,
		    "%s: invalid duration '%.*s' (expected a number followed by s, h, d, w, "
		    "m or y)",
		    key, CONFIG_ERR_TOKEN, tok);
	if (rc > 0 || n > (uint64_t)INT64_MAX / secs[u - units])
		return config_perr(ps, "%s: duration '%.*s' out of range", key, CONFIG_ERR_TOKEN,
				   tok);
	*out = (int64_t)(n * secs[u - units]);
	return 0;
}

void config_store_num(void *p, size_t size, uint64_t v)
{
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (size) {
	case 1:
		memcpy(p, &v8, 1);
		break;
	case 2:
		memcpy(p, &v16, 2);
		break;
	case 4:
		memcpy(p, &v32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

/* Replace the string at *slot with a copy of val (last one wins). */
int config_store_string(char **slot, const char *val)
{
	char *s = strdup(val);

	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}
