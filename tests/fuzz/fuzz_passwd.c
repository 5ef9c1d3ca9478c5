/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for daemon/passwd.c (and the base64 of daemon/crypto.c). The input is
 * password-file text: it is parsed, every message must be "pw:<line>: ...", counts must add
 * up, and (when the hashes in it are cheap: no argon2id, $7$ counts under 1000) every line's
 * hash is verified and users are looked up, so that decode and verify paths agree: a hash
 * passwd_hash_valid() accepts never verifies as -EINVAL. Then a $7$ entry is made from the
 * input's bytes and must verify, both alone and through a parsed file, and the input's bytes
 * must survive a base64 round trip.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "crypto.h"
#include "passwd.h"


static size_t nwarn;

static void warn(void *ctx, const char *msg)
{
	(void)ctx;
	CHECK(!strncmp(msg, "pw:", 3) && msg[3] >= '1' && msg[3] <= '9');
	CHECK(strlen(msg) < 512);
	nwarn++;
}

/* No argon2id (memory-hard: too slow here) and no $7$ or SCRAM-SHA-256$ count of 4 digits
 * or more. */
static bool cheap(const char *s, size_t n)
{
	size_t i;

	if (memmem(s, n, "argon2", 6))
		return false;
	for (i = 0; i < n; i++) {
		size_t at = 0, d = 0;

		if (i + 3 <= n && !memcmp(s + i, "$7$", 3))
			at = i + 3;
		else if (i + 14 <= n && !memcmp(s + i, "SCRAM-SHA-256$", 14))
			at = i + 14;
		if (!at)
			continue;
		while (at + d < n && s[at + d] >= '0' && s[at + d] <= '9')
			d++;
		if (d > 3)
			return false;
	}
	return true;
}

static void per_line(const struct passwd_db *db, const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(le - p));

		if (colon) {
			const char *h = colon + 1;
			size_t hl = (size_t)(le - h);
			char user[64];
			size_t ul = (size_t)(colon - p) < sizeof(user) - 1 ? (size_t)(colon - p)
									   : sizeof(user) - 1;
			int rc;

			rc = passwd_hash_verify(h, hl, "secret", 6);
			CHECK(rc == 0 || rc == -EACCES || rc == -EINVAL);
			if (passwd_hash_valid(h, hl))
				CHECK(rc != -EINVAL);
			memcpy(user, p, ul);
			user[ul] = '\0';
			rc = passwd_check(db, user, "secret", 6);
			CHECK(rc == 0 || rc == -EACCES || rc == -ENOENT);
		}
		p = nl ? nl + 1 : end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[256], enc[PASSWD_ENCODED_MAX], line[PASSWD_ENCODED_MAX + 8];
	uint8_t salt[PASSWD_SALT_LEN] = {0}, dec[512];
	char b64[700];
	struct passwd_db *db;
	int n;

	nwarn = 0;
	memset(err, 0x55, sizeof(err));
	db = passwd_parse(text, size, "pw", warn, NULL, err, sizeof(err));
	CHECK(db);
	CHECK(passwd_rejected(db) <= nwarn);
	if (cheap(text, size)) {
		per_line(db, text, size);
		CHECK(passwd_check(db, "no such user\x01", "x", 1) == -ENOENT);
	}
	CHECK(passwd_check(db, "", NULL, 0) == -ENOENT || passwd_check(db, "", NULL, 0) == -EACCES);
	passwd_free(db);

	/* a $7$ entry from the input's bytes verifies, alone and through a file */
	memcpy(salt, data, size < sizeof(salt) ? size : sizeof(salt));
	n = passwd_hash_pbkdf2(data, size, salt, sizeof(salt), 1 + (size & 3), enc, sizeof(enc));
	CHECK(n > 0 && passwd_hash_valid(enc, (size_t)n));
	CHECK(passwd_hash_verify(enc, (size_t)n, data, size) == 0);
	snprintf(line, sizeof(line), "u:%s\n", enc);
	db = passwd_parse(line, strlen(line), "pw", warn, NULL, err, sizeof(err));
	CHECK(db && passwd_count(db) == 1 && passwd_check(db, "u", data, size) == 0);
	passwd_free(db);

	/* base64 round trip of (a prefix of) the input */
	if (size <= sizeof(dec)) {
		n = crypto_b64_encode(data, size, b64, sizeof(b64));
		CHECK(n >= 0 && (size_t)n == crypto_b64_len(size));
		CHECK(crypto_b64_decode(b64, (size_t)n, dec, sizeof(dec)) == (int)size);
		CHECK(!memcmp(dec, data, size));
		n = crypto_b64_decode(text, size, dec, sizeof(dec));
		CHECK(n == -EINVAL || n == -ENOSPC || (n >= 0 && (size_t)n <= size));
	}
	return 0;
}
