/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for daemon/mqtt/topic_valid.c: topic name and filter validation tables and
 * topic_share_split.
 */
#include "topic_test.h"

/* ---- validation ---- */

static void test_name_valid(void **state)
{
	static const char *ok[] = {"a", "/",	    "//", "a/b",	"$SYS/x",     "a//b",
				   " ", "\xc3\xbc", "$",  "$share/g/a", "a/b/c/d/e/f"};
	static const char *bad[] = {"a+", "+", "#", "a/#", "a/+/b", "sport+", "#a"};
	char *big = malloc(TOPIC_MAX_LEN + 1);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(topic_name_valid(ok[i], strlen(ok[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(topic_name_valid(bad[i], strlen(bad[i])));
	assert_false(topic_name_valid("", 0));
	assert_false(topic_name_valid("a\0b", 3));
	assert_non_null(big);
	memset(big, 'x', TOPIC_MAX_LEN + 1);
	assert_true(topic_name_valid(big, TOPIC_MAX_LEN));
	assert_false(topic_name_valid(big, TOPIC_MAX_LEN + 1));
	assert_true(topic_filter_valid(big, TOPIC_MAX_LEN));
	assert_false(topic_filter_valid(big, TOPIC_MAX_LEN + 1));
	free(big);
}

static void test_filter_valid(void **state)
{
	static const char *ok[] = {
	    "a",
	    "+",
	    "#",
	    "a/+",
	    "a/#",
	    "+/+",
	    "/#",
	    "+/#",
	    "a//+",
	    "/",
	    "//",
	    "+/+/+",
	    "$SYS/#",
	    "$SYS/+/x",
	    "$share",
	    "$sharex/+",
	    "$SHARE/g",
	    "a/$share/g",
	    "$share/g/a",
	    "$share/g/#",
	    "$share/g/+/x",
	    "$share/g//",
	    "$share/g/a/b/#",
	    "$share/grp.1/$SYS/#",
	    "$share/g/$share/h/x",
	};
	static const char *bad[] = {
	    "a+",	   "+a",	   "a/#/b",	 "#/a",		"a#",
	    "##",	   "++",	   "a/b#",	 "a/+b",	"a/b+/c",
	    "$share/",	   "$share//a",	   "$share/g",	 "$share/g/",	"$share/g+/a",
	    "$share/g#/a", "$share/+/a",   "$share/#/a", "$share/g/a#", "$share/g/#/a",
	    "$share//",	   "$share/a+b/c",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(topic_filter_valid(ok[i], strlen(ok[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(topic_filter_valid(bad[i], strlen(bad[i])));
	assert_false(topic_filter_valid("", 0));
	assert_false(topic_filter_valid("a\0", 2));
	assert_false(topic_filter_valid("$share/g\0/a", 11));
}

static void test_share_split(void **state)
{
	const char *g, *r;
	size_t gl, rl;

	(void)state;
	assert_true(topic_share_split(S("$share/g/a/b"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 1);
	assert_memory_equal(g, "g", 1);
	assert_int_equal(rl, 3);
	assert_memory_equal(r, "a/b", 3);
	assert_true(topic_share_split(S("$share/grp/#"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 3);
	assert_int_equal(rl, 1);
	assert_memory_equal(r, "#", 1);
	assert_true(topic_share_split(S("$share/g"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 1);
	assert_int_equal(rl, 0);
	assert_true(topic_share_split(S("$share/"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 0);
	assert_int_equal(rl, 0);
	assert_true(topic_share_split(S("$share//x"), &g, &gl, &r, &rl));
	assert_int_equal(gl, 0);
	assert_int_equal(rl, 1);
	assert_false(topic_share_split(S("$share"), &g, &gl, &r, &rl));
	assert_false(topic_share_split(S("$shar/x/y"), &g, &gl, &r, &rl));
	assert_false(topic_share_split(S("$SHARE/g/a"), &g, &gl, &r, &rl));
	assert_false(topic_share_split(S("a/$share/g/a"), &g, &gl, &r, &rl));
	assert_true(topic_share_split(S("$share/g/a"), NULL, NULL, NULL, NULL));
	assert_false(topic_share_split(S("$shar"), NULL, NULL, NULL, NULL));

	assert_true(topic_filter_has_wildcard(S("a/+")));
	assert_true(topic_filter_has_wildcard(S("#")));
	assert_true(topic_filter_has_wildcard(S("$share/g/a/#")));
	assert_true(topic_filter_has_wildcard(S("$share/g/+")));
	assert_false(topic_filter_has_wildcard(S("a/b")));
	assert_false(topic_filter_has_wildcard(S("$share/g/a")));
	assert_false(topic_filter_has_wildcard(S("$SYS/x")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_valid),
	    cmocka_unit_test(test_filter_valid),
	    cmocka_unit_test(test_share_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
