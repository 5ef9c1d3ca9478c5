/* SPDX-License-Identifier: MIT */
/*
 * psk: Mosquitto psk_file text -> a sorted identity table (include/psk.h). Pure: no I/O, no
 * logging. Lookups are a binary search: a gateway may hold thousands of device identities.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexdigit.h"
#include "psk.h"
#include "vec.h"

struct psk_entry {
	char *identity;
	uint8_t *key;
	size_t key_len;
	size_t line; /* for "the later line wins" after sorting */
};

struct psk_db {
	struct psk_entry *e;
	size_t n;
};

static int perr(char *err, size_t errlen, const char *name, size_t line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errlen)
		snprintf(err, errlen, "%.200s:%zu: %s", name, line, msg);
	errno = EINVAL;
	return -EINVAL;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && blank(**s))
		(*s)++;
	while (*e > *s && blank((*e)[-1]))
		(*e)--;
}

/* Hex digits s[0..n) to bytes (odd n: a leading 0 nibble). -EINVAL on a non-hex digit. */
static int hex_decode(const char *s, size_t n, uint8_t *out)
{
	size_t o = 0, i = 0;

	if (n & 1) {
		if (hex_digit(s[0]) < 0)
			return -EINVAL;
		out[o++] = (uint8_t)hex_digit(s[0]);
		i = 1;
	}
	for (; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[o++] = (uint8_t)(hi << 4 | lo);
	}
	return (int)o;
}

static void entry_wipe(struct psk_entry *e)
{
	if (e->key)
		explicit_bzero(e->key, e->key_len);
	free(e->key);
	free(e->identity);
}

void psk_free(struct psk_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++)
		entry_wipe(&db->e[i]);
	free(db->e);
	free(db);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct psk_entry *x = a, *y = b;
	int c = strcmp(x->identity, y->identity);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* One "identity:key" line (no '\n'); 0 (added, or skipped as Mosquitto skips it) or -errno. */
static int parse_line(struct psk_db *db, size_t *cap, const char *p, const char *le,
		      const char *name, size_t line, char *err, size_t errlen)
{
	const char *colon = memchr(p, ':', (size_t)(le - p)), *ks, *ke, *is = p, *ie;
	struct psk_entry *e;
	size_t hex_len;
	int n;

	if (p == le || *p == '#' || !colon)
		return 0;
	ie = colon;
	ks = colon + 1;
	ke = memchr(ks, ':', (size_t)(le - ks));
	if (!ke)
		ke = le;
	trim(&is, &ie);
	trim(&ks, &ke);
	if (is == ie)
		return perr(err, errlen, name, line, "empty identity");
	if (memchr(is, '\0', (size_t)(ie - is)))
		return perr(err, errlen, name, line, "NUL byte in the identity");
	if ((size_t)(ie - is) > PSK_IDENTITY_MAX)
		return perr(err, errlen, name, line, "identity longer than %d bytes",
			    PSK_IDENTITY_MAX);
	hex_len = (size_t)(ke - ks);
	if (!hex_len)
		return perr(err, errlen, name, line, "empty key");
	if (hex_len > 2 * PSK_KEY_MAX)
		return perr(err, errlen, name, line, "key longer than %d bytes", PSK_KEY_MAX);
	if (VEC_GROW(db->e, db->n, *cap, 16))
		goto err_nomem;
	e = &db->e[db->n];
	*e = (struct psk_entry){.line = line};
	e->identity = strndup(is, (size_t)(ie - is));
	e->key = malloc((hex_len + 1) / 2);
	if (!e->identity || !e->key) {
		entry_wipe(e);
		goto err_nomem;
	}
	n = hex_decode(ks, hex_len, e->key);
	if (n < 0) {
		entry_wipe(e);
		return perr(err, errlen, name, line, "key for identity \"%.*s\" is not hexadecimal",
			    (int)((ie - is) > 64 ? 64 : (ie - is)), is);
	}
	e->key_len = (size_t)n;
	db->n++;
	return 0;

err_nomem:
	if (errlen)
		snprintf(err, errlen, "%.200s: out of memory", name);
	errno = ENOMEM;
	return -ENOMEM;
}

struct psk_db *psk_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
	struct psk_db *db = calloc(1, sizeof(*db));
	const char *p = text, *end = text + len;
	size_t cap = 0, line = 0, w = 0;

	if (!db) {
		if (errlen)
			snprintf(err, errlen, "%.200s: out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;

		if (parse_line(db, &cap, p, le, name, ++line, err, errlen) < 0) {
			int saved = errno;

			psk_free(db);
			errno = saved;
			return NULL;
		}
		p = nl ? nl + 1 : end;
	}
	/* sorted by identity, then line; of equal identities keep the last (Mosquitto 2.0.11's
	 * password-file reader: the later line wins) */
	if (db->n)
		qsort(db->e, db->n, sizeof(*db->e), entry_cmp);
	for (size_t i = 0; i < db->n; i++) {
		if (i + 1 < db->n && !strcmp(db->e[i].identity, db->e[i + 1].identity)) {
			entry_wipe(&db->e[i]);
			continue;
		}
		db->e[w++] = db->e[i];
	}
	db->n = w;
	return db;
}

size_t psk_count(const struct psk_db *db)
{
	return db ? db->n : 0;
}

static int find_cmp(const void *k, const void *m)
{
	return strcmp(k, ((const struct psk_entry *)m)->identity);
}

int psk_lookup(const struct psk_db *db, const char *identity, uint8_t *key, size_t max)
{
	const struct psk_entry *e;

	if (!db || !db->n || !identity)
		return -ENOENT;
	e = bsearch(identity, db->e, db->n, sizeof(*db->e), find_cmp);
	if (!e)
		return -ENOENT;
	if (e->key_len > max)
		return -ENOSPC;
	memcpy(key, e->key, e->key_len);
	return (int)e->key_len;
}
