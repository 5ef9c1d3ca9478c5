// SPDX-License-Identifier: MIT
/*
 * psk unit tests: Mosquitto 2.0's psk_file format (identity:hexkey), the lines it skips, the
 * ones that fail the file with "name:line: reason", lookups, and psk_load's file errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "psk.h"

static struct psk_db *ok(const char *text)
{
	char err[256] = "";
	struct psk_db *db = psk_parse(text, strlen(text), "p.txt", err, sizeof(err));

	if (!db)
		fail_msg("psk_parse: %s", err);
	return db;
}

static void bad(const char *text, const char *want)
{
	char err[256] = "";

	errno = 0;
	assert_null(psk_parse(text, strlen(text), "p.txt", err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, want);
}

static void key_is(const struct psk_db *db, const char *id, const uint8_t *want, size_t n)
{
	uint8_t key[PSK_KEY_MAX];

	assert_int_equal(psk_lookup(db, id, key, sizeof(key)), (int)n);
	assert_memory_equal(key, want, n);
}

static void test_format(void **state)
{
	struct psk_db *db;
	uint8_t key[4];

	(void)state;
	db = ok("# comment\n"
		"\n"
		"no colon here\n"
		"dev1:0123456789abcdef\n"
		"  dev2 \t:  00FF \r\n"
		"dev3:abc\n"
		"dev4:0102:ignored after a second colon\n"
		"dev1:a1b2\n" /* the later line wins */
		"last:1f");   /* no final newline */
	assert_int_equal(psk_count(db), 5);
	key_is(db, "dev1", (const uint8_t *)"\xa1\xb2", 2);
	key_is(db, "dev2", (const uint8_t *)"\x00\xff", 2);
	key_is(db, "dev3", (const uint8_t *)"\x0a\xbc", 2);
	key_is(db, "dev4", (const uint8_t *)"\x01\x02", 2);
	key_is(db, "last", (const uint8_t *)"\x1f", 1);
	assert_int_equal(psk_lookup(db, "dev", key, sizeof(key)), -ENOENT);
	assert_int_equal(psk_lookup(db, "DEV1", key, sizeof(key)), -ENOENT);
	assert_int_equal(psk_lookup(db, "no colon here", key, sizeof(key)), -ENOENT);
	assert_int_equal(psk_lookup(db, "dev1", key, 1), -ENOSPC);
	psk_free(db);
	assert_int_equal(psk_lookup(NULL, "dev1", key, sizeof(key)), -ENOENT);
	db = ok("");
	assert_int_equal(psk_count(db), 0);
	assert_int_equal(psk_lookup(db, "x", key, sizeof(key)), -ENOENT);
	psk_free(db);
	psk_free(NULL);
}

static void test_bad_lines(void **state)
{
	char big[2 * PSK_KEY_MAX + 16], id[PSK_IDENTITY_MAX + 8];
	struct psk_db *db;

	(void)state;
	bad("a:00\nb:0x12\n", "p.txt:2: key for identity \"b\" is not hexadecimal");
	bad("a:12 34\n", "p.txt:1: key for identity \"a\" is not hexadecimal");
	bad("a:\n", "p.txt:1: empty key");
	bad("a:  \t\n", "p.txt:1: empty key");
	bad("\n :12\n", "p.txt:2: empty identity");
	memset(big, 'a', sizeof(big));
	memcpy(big, "k:", 2);
	big[2 + 2 * PSK_KEY_MAX] = '\0';
	db = ok(big); /* exactly the maximum */
	psk_free(db);
	big[2 + 2 * PSK_KEY_MAX] = 'a';
	big[3 + 2 * PSK_KEY_MAX] = '\0';
	bad(big, "p.txt:1: key longer than 512 bytes");
	memset(id, 'i', sizeof(id));
	snprintf(id + PSK_IDENTITY_MAX + 1, 7, ":1234");
	bad(id, "p.txt:1: identity longer than 256 bytes");
}

static void test_nul_and_many(void **state)
{
	static const char nul[] = "a\0b:12\n";
	char err[128], *text, line[64];
	struct psk_db *db;
	size_t n = 0;

	(void)state;
	assert_null(psk_parse(nul, sizeof(nul) - 1, "p", err, sizeof(err)));
	assert_string_equal(err, "p:1: NUL byte in the identity");
	/* many identities, in reverse order: every one found */
	text = calloc(5000, 32);
	assert_non_null(text);
	for (int i = 4999; i >= 0; i--)
		n += (size_t)sprintf(text + n, "id%d:%04x\n", i, i);
	db = ok(text);
	assert_int_equal(psk_count(db), 5000);
	for (int i = 0; i < 5000; i += 7) {
		uint8_t want[2] = {(uint8_t)(i >> 8), (uint8_t)i};

		snprintf(line, sizeof(line), "id%d", i);
		key_is(db, line, want, 2);
	}
	psk_free(db);
	free(text);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/test_psk.XXXXXX", path[64], err[256];
	struct psk_db *db;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/psk", dir);
	errno = 0;
	assert_null(psk_load(path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, path));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("dev:c0ffee\nbad:xyz\n", f);
	fclose(f);
	assert_null(psk_load(path, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, ":2: key for identity \"bad\" is not hexadecimal"));
	f = fopen(path, "w");
	fputs("dev:c0ffee\n", f);
	fclose(f);
	db = psk_load(path, err, sizeof(err));
	assert_non_null(db);
	key_is(db, "dev", (const uint8_t *)"\xc0\xff\xee", 3);
	psk_free(db);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_nul_and_many),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
