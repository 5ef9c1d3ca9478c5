// SPDX-License-Identifier: MIT
/*
 * acl unit tests: one acl_file exercising every rule kind, and tables of
 * (client id, username, topic, access) -> decision, checked against what Mosquitto does
 * (2.0.11 run with the same file: see include/acl.h for where we follow Mosquitto >= 2.0.16).
 * acl_filter_read() is checked on its own table and, as a property, against acl_check(READ)
 * on every sample topic each sample filter matches (topic_matches from the topic module).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "acl.h"
#include "topic.h"
#include "warns_test.h"

static const char acl_text[] = "# anonymous clients: rules before the first user line\n"
			       "topic read anon/#\n"
			       "topic read $SYS/#\n"
			       "topic deny anon/secret\n"
			       "\n"
			       "user alice\n"
			       "topic readwrite a/#\n"
			       "topic deny a/secret/#\n"
			       "topic read shared/+/status\n"
			       "topic write pre%u/x\n"
			       "user bob\n"
			       "topic write b/#\n"
			       "topic   b/both\n"
			       "user alice\n"
			       "topic read alice2/#\n"
			       "user plus+user\n"
			       "topic read plus/#\n"
			       "user john doe\n"
			       "topic read spaced topic/#\n"
			       "pattern write sensors/%u/#\n"
			       "pattern read cmd/%c/in\n"
			       "pattern deny sensors/%u/locked\n"
			       "pattern readwrite p%u/x\n"
			       "pattern write $SYS/broker/connection/%c/state\n";

static struct acl_db *load_text(const char *text, struct warns *w)
{
	char err[512] = "";
	struct acl_db *db = acl_parse(text, strlen(text), "acl", collect, w, err, sizeof(err));

	if (!db)
		fail_msg("parse failed: %s", err);
	return db;
}

#define R ACL_READ
#define W ACL_WRITE
#define S ACL_SUBSCRIBE

static const struct {
	const char *cid, *user, *topic;
	enum acl_access access;
	bool ok;
} matrix[] = {
    /* anonymous */
    {"c1", NULL, "anon/x", R, true},
    {"c1", NULL, "anon", R, true}, /* "anon/#" matches its parent */
    {"c1", NULL, "anon/x", W, false},
    {"c1", NULL, "anon/secret", R, false},  /* deny before allow, whatever the order */
    {"c1", NULL, "anon/secret/x", R, true}, /* deny is exact: not below */
    {"c1", NULL, "$SYS/broker/uptime", R, true},
    {"c1", NULL, "$SYS/broker/uptime", W, false},
    {"c1", NULL, "other", R, false},
    {"c1", NULL, "cmd/c1/in", R, true},	   /* patterns apply to anonymous clients... */
    {"c1", NULL, "sensors/x/y", W, false}, /* ...except those with %u */
    {"c1", NULL, "p%u/x", R, false},
    /* alice: her two blocks are merged */
    {"dev1", "alice", "a/b", R, true},
    {"dev1", "alice", "a/b", W, true},
    {"dev1", "alice", "a", W, true},
    {"dev1", "alice", "a/secret", R, false},
    {"dev1", "alice", "a/secret/x/y", W, false},
    {"dev1", "alice", "alice2/q", R, true},
    {"dev1", "alice", "alice2/q", W, false},
    {"dev1", "alice", "shared/k/status", R, true},
    {"dev1", "alice", "shared/k/status/x", R, false},
    {"dev1", "alice", "shared/status", R, false},
    {"dev1", "alice", "pre%u/x", W, true}, /* topic rules never substitute */
    {"dev1", "alice", "prealice/x", W, false},
    {"dev1", "alice", "anon/x", R, false}, /* the anonymous block is not hers */
    {"dev1", "alice", "sensors/alice/x", W, true},
    {"dev1", "alice", "sensors/alice", W, true},
    {"dev1", "alice", "sensors/alice/x/y/z", W, true},
    {"dev1", "alice", "sensors/alicex/x", W, false}, /* %u fills the whole level only */
    {"dev1", "alice", "sensors/xalice/x", W, false},
    {"dev1", "alice", "sensors/bob/x", W, false},
    {"dev1", "alice", "sensors/alice/x", R, false},
    {"dev1", "alice", "sensors/alice/locked", W, false}, /* deny pattern */
    {"dev1", "alice", "sensors/alice/locked/x", W, true},
    {"dev1", "alice", "cmd/dev1/in", R, true},
    {"dev1", "alice", "cmd/dev2/in", R, false},
    {"dev1", "alice", "cmd/dev1/in", W, false},
    {"dev1", "alice", "p%u/x", W, true},     /* not a whole level: literal */
    {"dev1", "alice", "palice/x", R, false}, /* (Mosquitto 2.0.11: allowed) */
    {"dev1", "alice", "$SYS/broker/connection/dev1/state", W, true},
    {"dev1", "alice", "$SYS/broker/connection/dev2/state", W, false},
    {"dev1", "alice", "$SYS/broker/connection/dev1/state/x", W, false},
    {"dev1", "alice", "$SYS/broker/uptime", W, false}, /* $SYS writes: refused first */
    {"dev1", "alice", "$SYS/broker/uptime", R, false}, /* no $SYS rule of hers */
    /* SUBSCRIBE is never refused by the acl_file (Mosquitto 2.0.11: SUBACK 0) */
    {"dev1", "alice", "#", S, true},
    {"dev1", "alice", "x/y", S, true},
    {"dev1", "alice", "$SYS/#", S, true},
    {"dev1", "alice", "$share/g/x/#", S, true},
    /* bob */
    {"c2", "bob", "b/1", W, true},
    {"c2", "bob", "b/1", R, false},
    {"c2", "bob", "b/both", R, true}, /* no access word: readwrite; extra spaces skipped */
    {"c2", "bob", "b/both", W, true},
    {"c2", "bob", "sensors/bob/t", W, true},
    {"c2", "bob", "a/b", R, false},
    /* a user without a block: patterns only */
    {"c3", "carol", "sensors/carol/a", W, true},
    {"c3", "carol", "a/b", R, false},
    {"c3", "carol", "cmd/c3/in", R, true},
    /* usernames with spaces */
    {"c4", "john doe", "spaced topic/x", R, true},
    {"c4", "john doe", "sensors/john doe/x", W, true},
    /* '+' or '#' in the username or client id: no patterns at all, own block still works */
    {"c5", "plus+user", "plus/x", R, true},
    {"c5", "plus+user", "sensors/plus+user/x", W, false},
    {"c5", "plus+user", "cmd/c5/in", R, false},
    {"bad#id", "alice", "a/b", R, true},
    {"bad#id", "alice", "cmd/bad#id/in", R, false},
    {"bad+id", NULL, "cmd/bad+id/in", R, false},
    /* a client id with '/' never fills a level; an empty username never matches %u */
    {"x/y", "alice", "cmd/x/y/in", R, false},
    {"c6", "", "sensors//x", W, false},
    {"", "alice", "cmd//in", R, false},
    /* $share topics cannot be read or written */
    {"c1", NULL, "$share/g/anon/x", R, false},
    {"dev1", "alice", "$share/g/a/b", W, false},
    /* no client id: refused, as Mosquitto */
    {NULL, "alice", "a/b", R, false},
};

static void test_matrix(void **state)
{
	struct warns w = {0};
	struct acl_db *db = load_text(acl_text, &w);
	size_t i;

	(void)state;
	assert_int_equal(acl_rule_count(db), 17);
	for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		bool got = acl_check(db, matrix[i].cid, matrix[i].user, matrix[i].topic,
				     strlen(matrix[i].topic), matrix[i].access);

		if (got != matrix[i].ok)
			fail_msg("row %zu: cid %s user %s topic '%s' access %d: expected %d", i,
				 matrix[i].cid, matrix[i].user, matrix[i].topic, matrix[i].access,
				 matrix[i].ok);
	}
	/* the topic is (pointer, length): nothing past len is read */
	assert_true(acl_check(db, "dev1", "alice", "a/bXXX", 3, R));
	assert_false(acl_check(db, "dev1", "alice", "a/b", 0, R));
	assert_false(acl_check(db, "dev1", "alice", "a/b", 3, 0));
	acl_free(db);
}

static void test_warnings(void **state)
{
	struct warns w = {0};
	struct acl_db *db = load_text(acl_text, &w);

	(void)state;
	assert_int_equal(w.n, 1);
	assert_string_equal(w.m[0], "acl:23: pattern 'p%u/x': %c/%u are substituted only when they "
				    "fill a whole topic level; here they are literal text "
				    "(Mosquitto 2.0.11 substituted them inside a level)");
	acl_free(db);
	memset(&w, 0, sizeof(w));
	db = load_text("pattern read a/b\n", &w);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.m[0], "acl:1: pattern 'a/b' contains neither %c nor %u");
	acl_free(db);
}

static void test_no_db_and_empty(void **state)
{
	struct warns w = {0};
	struct acl_db *db;

	(void)state;
	/* no acl_file: everything but the $-rules */
	assert_true(acl_check(NULL, "c", NULL, "x/y", 3, R));
	assert_true(acl_check(NULL, "c", "u", "x/y", 3, W));
	assert_false(acl_check(NULL, "c", "u", "$SYS/x", 6, W));
	assert_true(acl_check(NULL, "c", "u", "$SYS/broker/connection/b1/state", 31, W));
	assert_true(acl_check(NULL, "c", "u", "$SYS/x", 6, R));
	assert_false(acl_check(NULL, "c", "u", "$share/g/x", 10, R));
	assert_true(acl_check(NULL, "c", "u", "$share/g/x", 10, S));
	assert_true(acl_check(NULL, "c", "u", "$other/x", 8, W));
	/* an acl_file with no rules refuses everything (CVE-2018-12550), SUBSCRIBE aside */
	db = load_text("# nothing\n\n", &w);
	assert_int_equal(acl_rule_count(db), 0);
	assert_false(acl_check(db, "c", NULL, "x", 1, R));
	assert_false(acl_check(db, "c", "u", "x", 1, W));
	assert_true(acl_check(db, "c", "u", "x", 1, S));
	assert_int_equal(acl_filter_read(db, "c", "u", "#", 1), ACL_REACH_NONE);
	acl_free(db);
	/* user lines alone are no rules */
	db = load_text("user a\nuser b\n", &w);
	assert_int_equal(acl_rule_count(db), 0);
	assert_false(acl_check(db, "c", "a", "x", 1, R));
	acl_free(db);
}

static const struct {
	const char *text, *err;
} bad_files[] = {
    {"topic\n", "acl:1: empty topic"},
    {"pattern   \n", "acl:1: empty topic"},
    {"topic reed a/b\n", "acl:1: invalid access type 'reed' (read, write, readwrite or deny)"},
    {"topic read a/#/b\n", "acl:1: invalid ACL topic 'a/#/b'"},
    {"topic read a+\n", "acl:1: invalid ACL topic 'a+'"},
    {"topic read a/b#\n", "acl:1: invalid ACL topic 'a/b#'"},
    {"\n\nuser\n", "acl:3: missing username"},
    {"user   \n", "acl:1: missing username"},
    {"  # indented comment\n", "acl:1: invalid line (topic, pattern or user expected): "
			       "'  # indented comment'"},
    {"topic\tread\ta\n", "acl:1: invalid line (topic, pattern or user expected): "
			 "'topic\tread\ta'"},
    {"Topic read a\n", "acl:1: invalid line (topic, pattern or user expected): 'Topic read a'"},
    {"user a\ntopic read x\nfoo\n", "acl:3: invalid line (topic, pattern or user expected): "
				    "'foo'"},
    {"topic read a\0b\n", "acl:1: NUL byte in the line"},
};

static void test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const char *t = bad_files[i].text;
		/* the last one holds a NUL byte: its length is that of the literal */
		size_t len = i + 1 == sizeof(bad_files) / sizeof(bad_files[0])
				 ? sizeof("topic read a\0b\n") - 1
				 : strlen(t);
		char err[512] = "";

		errno = 0;
		assert_null(acl_parse(t, len, "acl", NULL, NULL, err, sizeof(err)));
		assert_int_equal(errno, EINVAL);
		assert_string_equal(err, bad_files[i].err);
	}
}

static void test_syntax_quirks(void **state)
{
	struct warns w = {0};
	struct acl_db *db;

	(void)state;
	/* "topic read" alone: a rule for the topic "read" with readwrite; CRLF and trailing
	 * blanks are trimmed; blanks inside a topic are kept; '#' only at column 0 is a comment */
	db = load_text("topic read\r\ntopic write  x y  \t\r\n#topic read z\nuser  u v \n"
		       "topic deny #\ntopic read +/x\n",
		       &w);
	assert_int_equal(acl_rule_count(db), 4);
	assert_true(acl_check(db, "c", NULL, "read", 4, W));
	assert_true(acl_check(db, "c", NULL, "x y", 3, W));
	assert_false(acl_check(db, "c", NULL, "z", 1, R));
	/* the user "u v": a deny-all wins over a later allow */
	assert_false(acl_check(db, "c", "u v", "a/x", 3, R));
	/* '#' and '+' rules do not match $-topics */
	assert_false(acl_check(db, "c", "u", "$x/x", 4, R));
	acl_free(db);
	db = load_text("topic read #\ntopic read +/+\n", &w);
	assert_false(acl_check(db, "c", NULL, "$SYS/x", 6, R));
	assert_true(acl_check(db, "c", NULL, "SYS/x", 5, R));
	assert_true(acl_check(db, "c", NULL, "/x", 2, R)); /* empty levels are levels */
	acl_free(db);
}

static const struct {
	const char *cid, *user, *filter;
	enum acl_reach want;
} reach[] = {
    {"dev1", "alice", "a/#", ACL_REACH_SOME}, /* the deny a/secret/# meets it */
    {"dev1", "alice", "a/b/+", ACL_REACH_ALL},
    {"dev1", "alice", "a/secret/#", ACL_REACH_NONE},
    {"dev1", "alice", "a/secret", ACL_REACH_NONE},
    {"dev1", "alice", "x/#", ACL_REACH_NONE},
    {"dev1", "alice", "#", ACL_REACH_SOME},
    {"dev1", "alice", "+/+/status", ACL_REACH_SOME},
    {"dev1", "alice", "shared/+/status", ACL_REACH_ALL},
    {"dev1", "alice", "$SYS/#", ACL_REACH_NONE},
    {"dev1", "alice", "cmd/dev1/in", ACL_REACH_ALL},
    {"dev1", "alice", "cmd/+/in", ACL_REACH_SOME},
    {"dev1", "alice", "sensors/alice/#", ACL_REACH_NONE}, /* write-only */
    {"c1", NULL, "$SYS/#", ACL_REACH_ALL},
    {"c1", NULL, "#", ACL_REACH_SOME},
    {"c1", NULL, "anon/+", ACL_REACH_SOME},
    {"c1", NULL, "anon/x/#", ACL_REACH_ALL},
    {"c1", NULL, "anon/secret", ACL_REACH_NONE},
    {"c1", NULL, "cmd/c1/in", ACL_REACH_ALL},
    {"c9", "carol", "cmd/c9/in", ACL_REACH_ALL},
    {"c9", "carol", "cmd/c9/+", ACL_REACH_SOME},
    {"c5", "plus+user", "cmd/c5/in", ACL_REACH_NONE},
    {"c5", "plus+user", "plus/#", ACL_REACH_ALL},
    {"c1", NULL, "$share/g/anon/x", ACL_REACH_NONE},
    {"c1", NULL, "anon/#/x", ACL_REACH_NONE}, /* invalid filter */
    {NULL, NULL, "anon/x", ACL_REACH_NONE},
};

static void test_filter_read(void **state)
{
	struct warns w = {0};
	struct acl_db *db = load_text(acl_text, &w);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reach) / sizeof(reach[0]); i++) {
		enum acl_reach got = acl_filter_read(db, reach[i].cid, reach[i].user,
						     reach[i].filter, strlen(reach[i].filter));

		if (got != reach[i].want)
			fail_msg("row %zu: %s/%s '%s': got %d, expected %d", i, reach[i].cid,
				 reach[i].user, reach[i].filter, got, reach[i].want);
	}
	assert_int_equal(acl_filter_read(NULL, "c", NULL, "#", 1), ACL_REACH_ALL);
	acl_free(db);
}

/* ALL and NONE must agree with acl_check(READ) on every topic the filter matches. */
static void test_filter_read_property(void **state)
{
	static const char *const topics[] = {
	    "a",
	    "a/b",
	    "a/b/c",
	    "a/secret",
	    "a/secret/x",
	    "alice2/q",
	    "shared/k/status",
	    "anon",
	    "anon/x",
	    "anon/secret",
	    "anon/secret/y",
	    "$SYS/broker/uptime",
	    "$SYS",
	    "cmd/dev1/in",
	    "cmd/c1/in",
	    "cmd/c9/in",
	    "sensors/alice/x",
	    "plus/x",
	    "x",
	    "x/y",
	    "/x",
	    "b/both",
	    "p%u/x",
	    "b/1",
	};
	static const char *const filters[] = {
	    "#",	   "+",	     "+/#",	   "a/#",    "a/+",	 "a/+/c", "a/secret/#",
	    "anon/#",	   "anon/+", "+/+/status", "$SYS/#", "cmd/+/in", "cmd/#", "+/secret",
	    "sensors/+/x", "x/#",    "/#",	   "+/+",    "b/#",	 "p%u/+",
	};
	static const struct {
		const char *cid, *user;
	} who[] = {
	    {"c1", NULL}, {"dev1", "alice"}, {"c2", "bob"}, {"c9", "carol"}, {"c5", "plus+user"}};
	struct warns w = {0};
	struct acl_db *db = load_text(acl_text, &w);
	size_t i, j, k;

	(void)state;
	for (k = 0; k < sizeof(who) / sizeof(who[0]); k++)
		for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
			const char *f = filters[i];
			enum acl_reach r =
			    acl_filter_read(db, who[k].cid, who[k].user, f, strlen(f));

			for (j = 0; j < sizeof(topics) / sizeof(topics[0]); j++) {
				const char *t = topics[j];
				bool ok;

				if (!topic_matches(f, strlen(f), t, strlen(t)))
					continue;
				ok = acl_check(db, who[k].cid, who[k].user, t, strlen(t), R);
				if ((r == ACL_REACH_ALL && !ok) || (r == ACL_REACH_NONE && ok))
					fail_msg(
					    "%s/%s filter '%s' reach %d but topic '%s' read %d",
					    who[k].cid, who[k].user, f, r, t, ok);
			}
		}
	acl_free(db);
}

static void test_load(void **state)
{
	char path[] = "/tmp/test_acl.XXXXXX", err[512];
	struct acl_db *db;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, acl_text, strlen(acl_text)), (ssize_t)strlen(acl_text));
	close(fd);
	db = acl_load(path, NULL, NULL, err, sizeof(err));
	assert_non_null(db);
	assert_true(acl_check(db, "dev1", "alice", "a/b", 3, W));
	acl_free(db);
	/* errors name the file */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "bogus\n", 6), 6);
	close(fd);
	assert_null(acl_load(path, NULL, NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, ":25: invalid line"));
	unlink(path);
	assert_null(acl_load(path, NULL, NULL, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_null(acl_load("/tmp", NULL, NULL, err, sizeof(err)));
	assert_int_equal(errno, EISDIR);
	acl_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matrix),
	    cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_no_db_and_empty),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_syntax_quirks),
	    cmocka_unit_test(test_filter_read),
	    cmocka_unit_test(test_filter_read_property),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
