// SPDX-License-Identifier: MIT
/*
 * ctlproto unit tests: the request line (every command, argument counts, %-escapes, every
 * malformed form, the length limit), word encoding round trips, and the JSON writer (escapes,
 * invalid UTF-8, the comma rule, the output limit).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctlproto.h"

/* Parse a copy of s (NUL not included); the result, and *req filled. */
static int parse(const char *s, struct ctlp_req *req, char *copy)
{
	const char *why;
	int r;

	strcpy(copy, s);
	r = ctlp_parse(copy, strlen(s), req, &why);
	if (r < 0)
		assert_non_null(why);
	return r;
}

static void test_commands(void **state)
{
	static const struct {
		const char *line;
		int ret;
		enum ctlp_cmd cmd;
		int argc;
	} cases[] = {
	    {"status\n", 7, CTLP_STATUS, 0},
	    {"status\r\n", 8, CTLP_STATUS, 0},
	    {"clients\n", 8, CTLP_CLIENTS, 0},
	    {"client abc\n", 11, CTLP_CLIENT, 1},
	    {"kick abc\nstatus\n", 9, CTLP_KICK, 1},
	    {"subscriptions\n", 14, CTLP_SUBSCRIPTIONS, 0},
	    {"subscriptions a/#\n", 18, CTLP_SUBSCRIPTIONS, 1},
	    {"retained\n", 9, CTLP_RETAINED, 0},
	    {"retained +/x\n", 13, CTLP_RETAINED, 1},
	    {"fastpath\n", 9, CTLP_FASTPATH, 0},
	    {"bridges\n", 8, CTLP_BRIDGES, 0},
	    {"reload\n", 7, CTLP_RELOAD, 0},
	    {"log-level debug\n", 16, CTLP_LOG_LEVEL, 1},
	    {"trace #\n", 8, CTLP_TRACE, 1},
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctlp_req req;

		assert_int_equal(parse(cases[i].line, &req, buf), cases[i].ret);
		assert_int_equal(req.cmd, cases[i].cmd);
		assert_int_equal(req.argc, cases[i].argc);
		assert_string_equal(ctlp_cmd_name(req.cmd),
				    i == 1 ? "status"
					   : strtok(strcpy(buf, cases[i].line), " \r\n"));
	}
	assert_null(ctlp_cmd_name(CTLP_NR));
}

static void test_bad_requests(void **state)
{
	static const struct {
		const char *line;
		int ret;
	} cases[] = {
	    {"status", -EAGAIN},	       /* no newline yet */
	    {"\n", -EBADMSG},		       /* empty */
	    {"status \n", -EBADMSG},	       /* trailing space */
	    {" status\n", -EBADMSG},	       /* leading space */
	    {"kick  a\n", -EBADMSG},	       /* two spaces */
	    {"kick a%2\n", -EBADMSG},	       /* short escape */
	    {"kick a%zz\n", -EBADMSG},	       /* not hex */
	    {"kick a\tb\n", -EBADMSG},	       /* raw control byte */
	    {"kick a\x7f\n", -EBADMSG},	       /* DEL */
	    {"statusx\n", -ENOENT},	       /* unknown */
	    {"STATUS\n", -ENOENT},	       /* case matters */
	    {"status now\n", -EINVAL},	       /* too many */
	    {"kick\n", -EINVAL},	       /* too few */
	    {"trace a b\n", -EINVAL},	       /* too many */
	    {"status a b c d e f\n", -EINVAL}, /* beyond CTLP_MAX_ARGS */
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctlp_req req;

		assert_int_equal(parse(cases[i].line, &req, buf), cases[i].ret);
	}
}

static void test_length_limit(void **state)
{
	char *buf = malloc(CTLP_MAX_LINE + 16);
	struct ctlp_req req;
	const char *why;

	(void)state;
	memset(buf, 'a', CTLP_MAX_LINE + 16);
	memcpy(buf, "kick ", 5);
	/* incomplete and still short: wait */
	assert_int_equal(ctlp_parse(buf, CTLP_MAX_LINE - 1, &req, &why), -EAGAIN);
	/* a full buffer without a newline: too long */
	assert_int_equal(ctlp_parse(buf, CTLP_MAX_LINE, &req, &why), -EMSGSIZE);
	/* a newline just past the limit does not count */
	buf[CTLP_MAX_LINE] = '\n';
	assert_int_equal(ctlp_parse(buf, CTLP_MAX_LINE + 1, &req, &why), -EMSGSIZE);
	/* the longest accepted line: CTLP_MAX_LINE bytes with its newline */
	buf[CTLP_MAX_LINE - 1] = '\n';
	assert_int_equal(ctlp_parse(buf, CTLP_MAX_LINE + 1, &req, &why), CTLP_MAX_LINE);
	assert_int_equal(req.argl[0], CTLP_MAX_LINE - 6);
	free(buf);
}

static void test_escapes(void **state)
{
	static const char id[] = "a b%c\nd\0e";
	char word[64], line[80];
	struct ctlp_req req;
	const char *why;
	int n;

	(void)state;
	n = ctlp_encode_word(id, sizeof(id) - 1, word, sizeof(word));
	assert_string_equal(word, "a%20b%25c%0Ad%00e");
	assert_int_equal(n, 17);
	snprintf(line, sizeof(line), "client %s\n", word);
	/* ctlp_parse decodes in place (NULs after words): take the length first, as the order in
	 * which the arguments are evaluated is unspecified (arm64's gcc took it after the call) */
	n = (int)strlen(line);
	assert_int_equal(ctlp_parse(line, (size_t)n, &req, &why), n);
	assert_int_equal(req.argl[0], sizeof(id) - 1);
	assert_memory_equal(req.argv[0], id, sizeof(id) - 1);
	/* lowercase hex decodes too; UTF-8 passes as is */
	strcpy(line, "trace caf\xc3\xa9/%2b\n");
	assert_true(ctlp_parse(line, strlen(line), &req, &why) > 0);
	assert_string_equal(req.argv[0], "caf\xc3\xa9/+");
	/* no room, and an empty word, are refused */
	assert_int_equal(ctlp_encode_word("abcdef", 6, word, 6), -ENOSPC);
	assert_int_equal(ctlp_encode_word(" ", 1, word, 3), -ENOSPC);
	assert_int_equal(ctlp_encode_word("", 0, word, sizeof(word)), -ENOSPC);
	assert_int_equal(ctlp_encode_word("abc", 3, word, 4), 3);
}

static void test_json(void **state)
{
	struct ctlp_buf b = {0};

	(void)state;
	ctlp_puts(&b, "{");
	ctlp_json_kstr(&b, "s", "q\"b\\c\n\x01\x7f", 8);
	ctlp_json_ku64(&b, "n", 18446744073709551615ull);
	ctlp_json_ki64(&b, "i", -5);
	ctlp_json_kbool(&b, "t", true);
	ctlp_json_key(&b, "a");
	ctlp_puts(&b, "[");
	ctlp_json_str(&b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9); /* é € 😀: as they are */
	ctlp_puts(&b, ",");
	ctlp_json_str(&b, "\xff\xc3(\xed\xa0\x80\xc0\xaf", 8); /* invalid: each byte U+FFFD */
	ctlp_puts(&b, "]");
	ctlp_json_key(&b, "h");
	ctlp_json_hex(&b, (const uint8_t *)"\x00\xab", 2);
	ctlp_puts(&b, "}");
	assert_false(b.failed);
	assert_string_equal(b.p,
			    "{\"s\":\"q\\\"b\\\\c\\u000a\\u0001\x7f\",\"n\":18446744073709551615,"
			    "\"i\":-5,\"t\":true,\"a\":[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
			    "\"\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"],"
			    "\"h\":\"00ab\"}");
	ctlp_buf_free(&b);
	/* the limit: appending past it fails once and for all */
	b = (struct ctlp_buf){.limit = 8};
	ctlp_puts(&b, "12345678");
	assert_false(b.failed);
	ctlp_puts(&b, "9");
	assert_true(b.failed && b.truncated);
	ctlp_puts(&b, "");
	assert_int_equal(b.len, 8);
	ctlp_buf_free(&b);
	/* text payloads: UTF-8 without NUL */
	assert_true(ctlp_utf8_text((const uint8_t *)"21.5 \xc2\xb0"
						    "C",
				   8));
	assert_false(ctlp_utf8_text((const uint8_t *)"a\0b", 3));
	assert_false(ctlp_utf8_text((const uint8_t *)"\xc3", 1));
	assert_false(ctlp_utf8_text((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_true(ctlp_utf8_text((const uint8_t *)"", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_commands),	 cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_length_limit), cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
