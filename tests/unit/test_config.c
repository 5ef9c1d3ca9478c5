/* SPDX-License-Identifier: MIT */
/*
 * config: defaults, lexing, every key type (numbers, booleans, strings, durations, enums),
 * log_dest/log_type, server redirection, unsupported keys and missing arguments, error texts
 * with file:line. Listeners are in test_config_listener.c, files in test_config_files.c. The
 * SAN build checks that every path frees what it allocated.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "config_test.h"

/* ---- defaults, lexing ---- */

static void test_defaults(void **state)
{
	struct config *cfg = config_new();

	(void)state;
	assert_non_null(cfg);
	assert_null(cfg->listeners);
	assert_int_equal(cfg->n_listeners, 0);
	assert_int_equal(cfg->max_connections, -1);
	assert_int_equal(cfg->allow_anonymous, -1);
	assert_int_equal(cfg->max_inflight_messages, 20);
	assert_int_equal(cfg->max_queued_messages, 1000);
	assert_int_equal(cfg->max_queued_bytes, 0);
	assert_int_equal(cfg->message_size_limit, 0);
	assert_int_equal(cfg->max_packet_size, 0);
	assert_int_equal(cfg->max_keepalive, 65535);
	assert_int_equal(cfg->sys_interval, 10);
	assert_true(cfg->retain_available);
	assert_int_equal(cfg->persistent_client_expiration, -1);
	assert_false(cfg->queue_qos0_messages);
	assert_true(cfg->allow_zero_length_clientid);
	assert_int_equal(cfg->connect_timeout, 10);
	assert_int_equal(cfg->memory_limit, 0);
	assert_int_equal(cfg->max_topic_alias, 10);
	assert_int_equal(cfg->max_receive, 65535);
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDERR);
	assert_null(cfg->log_file);
	assert_int_equal(cfg->log_type, CONFIG_LOG_DEFAULT);
	assert_true(cfg->log_timestamp);
	assert_null(cfg->password_file);
	assert_null(cfg->acl_file);
	assert_false(cfg->persistence);
	assert_null(cfg->persistence_location);
	assert_null(cfg->persistence_file);
	assert_int_equal(cfg->autosave_interval, 1800);
	assert_int_equal(cfg->fastpath, CONFIG_FASTPATH_AUTO);
	assert_null(cfg->fastpath_pin_dir);
	assert_null(cfg->pid_file);
	assert_false(cfg->per_listener_settings);
	config_free(cfg);
	config_free(NULL);
}

static void test_lexing(void **state)
{
	struct config *cfg;

	(void)state;
	/* comments, blank lines, indentation, tabs, CRLF, trailing blanks, no final newline */
	cfg = parse_ok("# a comment\n"
		       "\n"
		       "   \t \n"
		       "  # an indented comment\n"
		       "max_keepalive 60   \r\n"
		       "\tsys_interval\t\t30\t\n"
		       "max_receive 100 # trailing comment\n"
		       "#max_inflight_messages 5\n"
		       "retain_available false");
	assert_int_equal(cfg->max_keepalive, 60);
	assert_int_equal(cfg->sys_interval, 30);
	assert_int_equal(cfg->max_receive, 100);
	assert_int_equal(cfg->max_inflight_messages, 20);
	assert_false(cfg->retain_available);
	config_free(cfg);

	assert_parsed_int("", n_listeners, 0);
	cfg = config_new();
	assert_int_equal(config_parse_text(cfg, NULL, 0, NAME, NULL, err, sizeof(err)), 0);
	assert_int_equal(config_parse_text(cfg, NULL, 5, NAME, NULL, err, sizeof(err)), -EINVAL);
	/* NULL name still gives a usable message */
	assert_int_equal(config_parse_text(cfg, "x", 1, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config:1: unknown option 'x'");
	/* only len bytes are read */
	assert_int_equal(
	    config_parse_text(cfg, "max_receive 77 junk", 14, NAME, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg->max_receive, 77);
	config_free(cfg);

	/* a NUL byte inside the text */
	cfg = config_new();
	assert_int_equal(config_parse_text(cfg, "sys_interval 5\nsys_\0interval 6\n", 31, NAME,
					   NULL, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.conf:2: NUL byte in line");
	config_free(cfg);

	/* keys are case-sensitive, as in Mosquitto; line numbers count comments and blanks */
	parse_fail("# c\n\nLISTENER 1883\n", "t.conf:3: unknown option 'LISTENER'");
	parse_fail("Max_keepalive 5\n", "t.conf:1: unknown option 'Max_keepalive'");
	parse_fail("max_keepalive 5\nfoo bar\n", "t.conf:2: unknown option 'foo'");
	parse_fail("port=1883\n", "t.conf:1: unknown option 'port=1883'");
	/* no terminal controls in messages */
	parse_fail("fo\x1b[2Jo 1\n", "t.conf:1: unknown option 'fo?[2Jo'");
	parse_fail("listener 1\nprotocol \x1b\x7f\n", "t.conf:2: protocol: invalid value '?"
						      "?' (expected mqtt or websockets)");
	parse_fail("\n\n\n\n\n\nfoo\n", "t.conf:7: unknown option 'foo'");
}

/* ---- numbers ---- */

struct num_key {
	const char *key;
	size_t off, size;
	long long min;
	unsigned long long max;
};

#define NUMG(k, f, lo, hi)                                                                         \
	{                                                                                          \
		k, offsetof(struct config, f), sizeof(((struct config *)0)->f), lo, hi             \
	}

static const struct num_key num_keys[] = {
    NUMG("autosave_interval", autosave_interval, 0, UINT32_MAX),
    NUMG("connect_timeout", connect_timeout, 1, 86400),
    NUMG("max_connections", max_connections, -1, INT32_MAX),
    NUMG("max_inflight_messages", max_inflight_messages, 0, 65535),
    NUMG("max_keepalive", max_keepalive, 0, 65535),
    NUMG("max_packet_size", max_packet_size, 20, UINT32_MAX),
    NUMG("max_queued_bytes", max_queued_bytes, 0, INT64_MAX),
    NUMG("max_queued_messages", max_queued_messages, 0, UINT32_MAX),
    NUMG("max_receive", max_receive, 1, 65535),
    NUMG("max_topic_alias", max_topic_alias, 0, 65535),
    NUMG("memory_limit", memory_limit, 0, INT64_MAX),
    NUMG("message_size_limit", message_size_limit, 0, 268435455),
    NUMG("sys_interval", sys_interval, 0, 65535),
};

static long long read_num(const struct config *cfg, const struct num_key *k)
{
	union {
		uint16_t u16;
		uint32_t u32;
		int32_t i32;
		int64_t i64;
	} v;

	memcpy(&v, (const char *)cfg + k->off, k->size);
	if (k->size == 2)
		return v.u16;
	if (k->size == 4 && k->min < 0)
		return v.i32;
	if (k->size == 4)
		return v.u32;
	return v.i64;
}

static void num_expect(const struct num_key *k, const char *val, long long want)
{
	struct config *cfg = parse_ok(fmt("# line 1\n%s %s\n", k->key, val));

	if (read_num(cfg, k) != want)
		fail_msg("%s %s: got %lld want %lld", k->key, val, read_num(cfg, k), want);
	config_free(cfg);
}

static void test_numbers(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++) {
		const struct num_key *k = &num_keys[i];
		char below[32], above[32], range[64];

		snprintf(range, sizeof(range), "(%lld..%llu)", k->min, k->max);
		snprintf(below, sizeof(below), "%lld", k->min - 1);
		snprintf(above, sizeof(above), "%llu", k->max + 1);
		num_expect(k, fmt("%lld", k->min), k->min);
		num_expect(k, fmt("%llu", k->max), (long long)k->max);
		num_expect(k, "25", 25);
		num_expect(k, "0025", 25);
		num_expect(k, "25 # comment", 25);
		num_expect(k, fmt("%s\t ", "25"), 25);
		/* last one wins */
		num_expect(k, fmt("30\n%s 40", k->key), 40);

		parse_fail(fmt("\n%s %s\n", k->key, below),
			   fmt("t.conf:2: %s: value '%s' out of range %s", k->key, below, range));
		parse_fail(fmt("%s %s\n", k->key, above),
			   fmt("t.conf:1: %s: value '%s' out of range %s", k->key, above, range));
		parse_fail(fmt("%s -5\n", k->key),
			   fmt("t.conf:1: %s: value '-5' out of range %s", k->key, range));
		parse_fail(fmt("%s 99999999999999999999999\n", k->key),
			   fmt("t.conf:1: %s: value '99999999999999999999999' out of range %s",
			       k->key, range));
		parse_fail(fmt("%s -99999999999999999999999\n", k->key),
			   fmt("t.conf:1: %s: value '-99999999999999999999999' out of range %s",
			       k->key, range));
		parse_fail(fmt("%s abc\n", k->key),
			   fmt("t.conf:1: %s: invalid number 'abc'", k->key));
		parse_fail(fmt("%s 25abc\n", k->key),
			   fmt("t.conf:1: %s: invalid number '25abc'", k->key));
		parse_fail(fmt("%s 0x20\n", k->key),
			   fmt("t.conf:1: %s: invalid number '0x20'", k->key));
		parse_fail(fmt("%s +25\n", k->key),
			   fmt("t.conf:1: %s: invalid number '+25'", k->key));
		parse_fail(fmt("%s 2.5\n", k->key),
			   fmt("t.conf:1: %s: invalid number '2.5'", k->key));
		parse_fail(fmt("%s -\n", k->key), fmt("t.conf:1: %s: invalid number '-'", k->key));
		parse_fail(fmt("%s\n", k->key), fmt("t.conf:1: %s: missing argument", k->key));
		parse_fail(fmt("%s   \n", k->key), fmt("t.conf:1: %s: missing argument", k->key));
		parse_fail(fmt("%s 25 26\n", k->key),
			   fmt("t.conf:1: %s: unexpected argument '26'", k->key));
	}
	/* -1 is max_connections' "unlimited"; other negatives are not */
	parse_fail("max_connections -2\n",
		   "t.conf:1: max_connections: value '-2' out of range (-1..2147483647)");
	/* "-0" is zero */
	num_expect(&num_keys[3], "-0", 0);
}

/* ---- booleans ---- */

struct bool_key {
	const char *key;
	size_t off;
	bool def;
};

static const struct bool_key bool_keys[] = {
    {"allow_zero_length_clientid", offsetof(struct config, allow_zero_length_clientid), true},
    {"autosave_on_changes", offsetof(struct config, autosave_on_changes), false},
    {"log_timestamp", offsetof(struct config, log_timestamp), true},
    {"persistence", offsetof(struct config, persistence), false},
    {"queue_qos0_messages", offsetof(struct config, queue_qos0_messages), false},
    {"retain_available", offsetof(struct config, retain_available), true},
    {"retained_persistence", offsetof(struct config, persistence), false},
};

static bool read_bool(const struct config *cfg, size_t off)
{
	bool b;

	memcpy(&b, (const char *)cfg + off, sizeof(b));
	return b;
}

static void test_bools(void **state)
{
	static const char *const bad[] = {"yes", "no", "TRUE", "False", "on", "2", "truee"};
	struct config *cfg;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(bool_keys) / sizeof(bool_keys[0]); i++) {
		const struct bool_key *k = &bool_keys[i];

		cfg = parse_ok(fmt("%s true\n", k->key));
		assert_true(read_bool(cfg, k->off));
		config_free(cfg);
		cfg = parse_ok(fmt("%s false # comment\n", k->key));
		assert_false(read_bool(cfg, k->off));
		config_free(cfg);
		/* Mosquitto 2.0 also takes 1 and 0 */
		cfg = parse_ok(fmt("%s 1\n", k->key));
		assert_true(read_bool(cfg, k->off));
		config_free(cfg);
		cfg = parse_ok(fmt("%s true\n%s 0\n", k->key, k->key));
		assert_false(read_bool(cfg, k->off));
		config_free(cfg);
		cfg = parse_ok("");
		assert_int_equal(read_bool(cfg, k->off), k->def);
		config_free(cfg);

		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++)
			parse_fail(fmt("\n%s %s\n", k->key, bad[j]),
				   fmt("t.conf:2: %s: invalid value '%s' (expected true or false)",
				       k->key, bad[j]));
		parse_fail(fmt("%s\n", k->key), fmt("t.conf:1: %s: missing argument", k->key));
		parse_fail(fmt("%s true false\n", k->key),
			   fmt("t.conf:1: %s: unexpected argument 'false'", k->key));
	}
}

/* ---- strings ---- */

static const struct str_key gstr_keys[] = {
    {"acl_file", offsetof(struct config, acl_file)},
    {"fastpath_pin_dir", offsetof(struct config, fastpath_pin_dir)},
    {"password_file", offsetof(struct config, password_file)},
    {"persistence_file", offsetof(struct config, persistence_file)},
    {"persistence_location", offsetof(struct config, persistence_location)},
    {"pid_file", offsetof(struct config, pid_file)},
    {"scram_password_file", offsetof(struct config, scram_password_file)},
};

static void test_global_strings(void **state)
{
	struct config *cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(gstr_keys) / sizeof(gstr_keys[0]); i++) {
		const struct str_key *k = &gstr_keys[i];

		cfg = parse_ok("");
		assert_null(read_str(cfg, k->off));
		config_free(cfg);
		/* the value is the rest of the line, blanks inside kept (Mosquitto) */
		cfg = parse_ok(fmt("%s   /var/lib/my dir/x # not a comment  \n", k->key));
		assert_string_equal(read_str(cfg, k->off), "/var/lib/my dir/x # not a comment");
		config_free(cfg);
		/* last one wins, previous value freed */
		cfg = parse_ok(fmt("%s /a\n%s /b\n", k->key, k->key));
		assert_string_equal(read_str(cfg, k->off), "/b");
		config_free(cfg);
		/* UTF-8 is fine */
		cfg = parse_ok(fmt("%s /tmp/p\xc3\xa4sswort\xe2\x82\xac\n", k->key));
		assert_string_equal(read_str(cfg, k->off), "/tmp/p\xc3\xa4sswort\xe2\x82\xac");
		config_free(cfg);

		parse_fail(fmt("%s\n", k->key), fmt("t.conf:1: %s: missing argument", k->key));
		parse_fail(fmt("%s \t \n", k->key), fmt("t.conf:1: %s: missing argument", k->key));
		parse_fail(fmt("%s /tmp/\xff\n", k->key),
			   fmt("t.conf:1: %s: value is not valid UTF-8 text", k->key));
		parse_fail(fmt("%s /tmp/\xc0\xaf\n", k->key), /* overlong '/' */
			   fmt("t.conf:1: %s: value is not valid UTF-8 text", k->key));
		parse_fail(fmt("%s /tmp/\xed\xa0\x80\n", k->key), /* a surrogate */
			   fmt("t.conf:1: %s: value is not valid UTF-8 text", k->key));
		parse_fail(fmt("%s /tmp/\xe2\x82\n", k->key), /* truncated */
			   fmt("t.conf:1: %s: value is not valid UTF-8 text", k->key));
		parse_fail(fmt("%s /tmp/a\x01z\n", k->key),
			   fmt("t.conf:1: %s: value is not valid UTF-8 text", k->key));
	}
}

static void test_long_values(void **state)
{
	size_t n = 70000;
	char *text = malloc(n + 64);
	struct config *cfg;

	(void)state;
	assert_non_null(text);
	strcpy(text, "pid_file ");
	memset(text + 9, 'a', 65535);
	strcpy(text + 9 + 65535, "\n");
	cfg = parse_ok(text);
	assert_int_equal(strlen(cfg->pid_file), 65535);
	config_free(cfg);
	memset(text + 9, 'a', n);
	strcpy(text + 9 + n, "\n");
	parse_fail(text, "t.conf:1: pid_file: value too long (max 65535 bytes)");
	/* an unknown key is quoted only in part */
	memset(text, 'k', n);
	text[n] = '\0';
	parse_fail(text, fmt("t.conf:1: unknown option '%.64s'", text));
	free(text);
}

/* ---- log_dest, log_type, durations, enums ---- */

static void test_log_dest(void **state)
{
	struct config *cfg;

	(void)state;
	/* the first log_dest line replaces the default stderr, the next ones add */
	assert_parsed_int("log_dest stdout\n", log_dest, CONFIG_LOG_DEST_STDOUT);
	cfg = parse_ok("log_dest stdout\nlog_dest syslog\nlog_dest stderr\n");
	assert_int_equal(cfg->log_dest,
			 CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG | CONFIG_LOG_DEST_STDERR);
	config_free(cfg);
	cfg = parse_ok("log_dest stdout\nlog_dest syslog topic\n");
	assert_int_equal(cfg->log_dest,
			 CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG | CONFIG_LOG_DEST_TOPIC);
	config_free(cfg);
	assert_parsed_int("log_dest stdout syslog # two on a line\n", log_dest,
			  CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG);
	cfg = parse_ok("log_dest syslog\nlog_dest file /var/log/my log.txt  \n");
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_SYSLOG | CONFIG_LOG_DEST_FILE);
	assert_string_equal(cfg->log_file, "/var/log/my log.txt");
	config_free(cfg);
	cfg = parse_ok("log_dest file /a\nlog_dest file /b\n");
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_FILE);
	assert_string_equal(cfg->log_file, "/b");
	config_free(cfg);
	/* none clears, including the file */
	cfg = parse_ok("log_dest file /a\nlog_dest stdout\nlog_dest none\n");
	assert_int_equal(cfg->log_dest, 0);
	assert_null(cfg->log_file);
	config_free(cfg);
	assert_parsed_int("log_dest none\nlog_dest stderr\n", log_dest, CONFIG_LOG_DEST_STDERR);

	parse_fail("log_dest\n", "t.conf:1: log_dest: missing argument");
	parse_fail("log_dest file\n", "t.conf:1: log_dest: file: missing path");
	parse_fail("log_dest file   # c\n", "t.conf:1: log_dest: file: missing path");
	parse_fail("log_dest file /tmp/\x01\n",
		   "t.conf:1: log_dest: value is not valid UTF-8 text");
	parse_fail("log_dest dlt\n", "t.conf:1: log_dest: 'dlt' is not supported by mqttgw yet");
	parse_fail("log_dest stdout console\n",
		   "t.conf:1: log_dest: invalid value 'console' (expected stderr, stdout, syslog, "
		   "topic, file PATH or none)");
}

static void test_log_type(void **state)
{
	/* clang-format off */
	static const struct {
		const char *name;
		uint32_t bit;
	} types[] = {
		{ "error", CONFIG_LOG_ERR }, { "warning", CONFIG_LOG_WARNING },
		{ "notice", CONFIG_LOG_NOTICE }, { "information", CONFIG_LOG_INFO },
		{ "debug", CONFIG_LOG_DEBUG }, { "subscribe", CONFIG_LOG_SUBSCRIBE },
		{ "unsubscribe", CONFIG_LOG_UNSUBSCRIBE }, { "websockets", CONFIG_LOG_WEBSOCKETS },
		{ "all", CONFIG_LOG_ALL }, { "none", 0 },
	};
	/* clang-format on */
	struct config *cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_parsed_int(fmt("log_type %s\n", types[i].name), log_type, types[i].bit);
	}
	cfg = parse_ok("log_type error\nlog_type debug\nlog_type subscribe unsubscribe\n");
	assert_int_equal(cfg->log_type, CONFIG_LOG_ERR | CONFIG_LOG_DEBUG | CONFIG_LOG_SUBSCRIBE |
					    CONFIG_LOG_UNSUBSCRIBE);
	config_free(cfg);
	assert_parsed_int("log_type all\nlog_type none\nlog_type warning\n", log_type,
			  CONFIG_LOG_WARNING);
	assert_parsed_int("log_type none\nlog_type all # everything\n", log_type, CONFIG_LOG_ALL);
	parse_fail("log_type\n", "t.conf:1: log_type: missing argument");
	parse_fail("log_type error internal\n",
		   "t.conf:1: log_type: invalid value 'internal' (expected error, warning, notice, "
		   "information, debug, subscribe, unsubscribe, websockets, all or none)");
	parse_fail("log_type Error\n",
		   "t.conf:1: log_type: invalid value 'Error' (expected error, warning, notice, "
		   "information, debug, subscribe, unsubscribe, websockets, all or none)");

	cfg = parse_ok("log_timestamp false\n");
	assert_false(cfg->log_timestamp);
	config_free(cfg);
}

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t secs;
	} ok[] = {
	    {"1h", 3600},	{"14d", 14 * 86400},	{"2s", 2},
	    {"2w", 14 * 86400}, {"2m", 60 * 86400},	{"1y", 365 * 86400},
	    {"0001h", 3600},	{"100y", 3153600000LL}, {"106751991167h", 106751991167LL * 3600},
	};
	static const char *const bad[] = {"14",	 "0d", "d",   "14x", "-1d", "1.5d",
					  "+1d", "1H", "1 d", "h1",  "0x1d"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_parsed_int(fmt("persistent_client_expiration %s\n", ok[i].in),
				  persistent_client_expiration, ok[i].secs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *tok = bad[i];

		if (!strcmp(tok, "1 d")) {
			parse_fail(
			    "persistent_client_expiration 1 d\n",
			    "t.conf:1: persistent_client_expiration: unexpected argument 'd'");
			continue;
		}
		parse_fail(fmt("persistent_client_expiration %s\n", tok),
			   fmt("t.conf:1: persistent_client_expiration: invalid duration '%s' "
			       "(expected a number followed by s, h, d, w, m or y)",
			       tok));
	}
	parse_fail("persistent_client_expiration 300000000000y\n",
		   "t.conf:1: persistent_client_expiration: duration '300000000000y' out of range");
	parse_fail("persistent_client_expiration 99999999999999999999999h\n",
		   "t.conf:1: persistent_client_expiration: duration '99999999999999999999999h' "
		   "out of range");
	parse_fail("persistent_client_expiration\n",
		   "t.conf:1: persistent_client_expiration: missing argument");
}

/* The persistence keys are applied (issue #13): values kept, autosave_* checked and kept. */
static void test_persistence(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("persistence true\n");
	assert_true(cfg->persistence);
	assert_null(cfg->persistence_file); /* the store's default, mqttgw.db */
	assert_null(cfg->persistence_location);
	assert_int_equal(cfg->persistence_sync, CONFIG_PSYNC_FULL);
	config_free(cfg);
	cfg = parse_ok("persistence true\npersistence_location /var/lib/mqttgw\n"
		       "persistence_file x.db\npersistence_sync normal\nautosave_interval 60\n"
		       "autosave_on_changes true\n");
	assert_string_equal(cfg->persistence_location, "/var/lib/mqttgw");
	assert_string_equal(cfg->persistence_file, "x.db");
	assert_int_equal(cfg->persistence_sync, CONFIG_PSYNC_NORMAL);
	assert_int_equal(cfg->autosave_interval, 60);
	assert_true(cfg->autosave_on_changes);
	config_free(cfg);
	parse_fail("persistence_sync always\n", "t.conf:1: persistence_sync: invalid value "
						  "'always' (expected full or normal)");
}

static void test_fastpath(void **state)
{
	struct config *cfg;

	(void)state;
	assert_parsed_int("fastpath on\n", fastpath, CONFIG_FASTPATH_ON);
	assert_parsed_int("fastpath on\nfastpath off\n", fastpath, CONFIG_FASTPATH_OFF);
	assert_parsed_int("fastpath off\nfastpath auto\n", fastpath, CONFIG_FASTPATH_AUTO);
	parse_fail("fastpath yes\n",
		   "t.conf:1: fastpath: invalid value 'yes' (expected auto, on or off)");
	parse_fail("fastpath\n", "t.conf:1: fastpath: missing argument");
	cfg = parse_ok("\n");
	assert_int_equal(cfg->fastpath_rate_high, 40000);
	assert_int_equal(cfg->fastpath_rate_low, 15000);
	config_free(cfg);
	cfg = parse_ok("fastpath_flow_rates 2500 800 # frames/s\n");
	assert_int_equal(cfg->fastpath_rate_high, 2500);
	assert_int_equal(cfg->fastpath_rate_low, 800);
	config_free(cfg);
	cfg = parse_ok("fastpath_flow_rates 0 0\n");
	assert_int_equal(cfg->fastpath_rate_high, 0);
	assert_int_equal(cfg->fastpath_rate_low, 0);
	config_free(cfg);
	parse_fail("\nfastpath_flow_rates 800 2500\n",
		   "t.conf:2: fastpath_flow_rates: LOW 2500 is above HIGH 800");
	parse_fail("fastpath_flow_rates 0 1\n", "t.conf:1: fastpath_flow_rates: LOW 1 is above HIGH 0");
	parse_fail("fastpath_flow_rates 40000\n",
		   "t.conf:1: fastpath_flow_rates: expected HIGH LOW (frames/s)");
	parse_fail("fastpath_flow_rates 3 2 1\n",
		   "t.conf:1: fastpath_flow_rates: unexpected argument '1'");
	parse_fail("fastpath_flow_rates 40000,15000 1\n",
		   "t.conf:1: fastpath_flow_rates: invalid number '40000,15000'");
	parse_fail("fastpath_flow_rates 4294967296 0\n",
		   "t.conf:1: fastpath_flow_rates: value '4294967296' out of range (0..4294967295)");
	assert_parsed_int("\n", share_strategy, CONFIG_SHARE_ROUND_ROBIN);
	assert_parsed_int("shared_subscription_strategy hash_topic\n", share_strategy,
			  CONFIG_SHARE_HASH_TOPIC);
	cfg =
	    parse_ok("shared_subscription_strategy sticky\nshared_subscription_strategy random\n");
	assert_int_equal(cfg->share_strategy, CONFIG_SHARE_RANDOM);
	config_free(cfg);
	parse_fail("shared_subscription_strategy local\n",
		   "t.conf:1: shared_subscription_strategy: invalid value 'local' (expected "
		   "round_robin, random, sticky or hash_topic)");
}

/* server redirection: references normalised to single spaces, checked, exclusive */
static void test_server_redirect(void **state)
{
	struct config *cfg;
	char *text;
	size_t n;

	(void)state;
	cfg = parse_ok("use_another_server  h1:1883 \t [fe80::1]:8883\n");
	assert_string_equal(cfg->use_another_server, "h1:1883 [fe80::1]:8883");
	assert_null(cfg->server_moved);
	finish_ok(cfg);
	config_free(cfg);
	cfg = parse_ok("server_moved a:1\nserver_moved b.example\n"); /* the last one wins */
	assert_string_equal(cfg->server_moved, "b.example");
	finish_ok(cfg);
	config_free(cfg);
	finish_fail("use_another_server a:1\nserver_moved b:2\n",
		    "use_another_server and server_moved are mutually exclusive (set one)");
	parse_fail("server_moved h\xff:1\n",
		   "t.conf:1: server_moved: value is not valid UTF-8 text");
	/* "use_another_server " + a 1024-byte reference + "\n": at the limit, then over it */
	text = malloc(1200);
	assert_non_null(text);
	n = (size_t)snprintf(text, 1200, "use_another_server ");
	memset(text + n, 'a', 1024);
	strcpy(text + n + 1024, "\n");
	cfg = parse_ok(text);
	assert_int_equal(strlen(cfg->use_another_server), 1024);
	config_free(cfg);
	strcpy(text + n + 1020, " bbbb\n"); /* two references: 1025 bytes with the space */
	parse_fail(text,
		   "t.conf:1: use_another_server: server reference too long (max 1024 bytes)");
	free(text);
}

/* ---- unsupported keys, missing arguments ---- */

static void test_unsupported(void **state)
{
	/* clang-format off */
	static const char *const keys[] = {
		"auth_plugin", "plugin", "bridge_ciphers", "bridge_tcp_keepalive",
		"auth_opt_db_host", "plugin_opt_x", "websockets_log_level",
		"retry_interval", "global_plugin",
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		parse_fail(fmt("listener 1883\n%s some value\n", keys[i]),
			   fmt("t.conf:2: option '%s' is not supported by mqttgw yet", keys[i]));
		parse_fail(fmt("%s\n", keys[i]),
			   fmt("t.conf:1: option '%s' is not supported by mqttgw yet", keys[i]));
	}
	/* a prefix row matches its prefix only */
	parse_fail("auth_opt\n", "t.conf:1: unknown option 'auth_opt'");
}

/* ---- issue #16: Mosquitto keys with their meaning, pending ones refused, origins ---- */

static void test_dropin_keys(void **state)
{
	/* clang-format off */
	static const char *const pending[] = {
		NULL, /* none now */
	};
	/* clang-format on */
	struct config *cfg;
	char key[64];

	(void)state;
	cfg = parse_ok("");
	assert_true(cfg->connection_messages);
	config_free(cfg);
	cfg = parse_ok("connection_messages false\n");
	assert_false(cfg->connection_messages);
	config_free(cfg);
	cfg = parse_ok("");
	assert_true(cfg->set_tcp_nodelay);
	assert_int_equal(cfg->log_facility, -1);
	assert_null(cfg->user);
	assert_null(cfg->log_timestamp_format);
	config_free(cfg);
	cfg = parse_ok("user mosquitto\nset_tcp_nodelay false\nlog_facility 5\n"
		       "log_timestamp_format %Y-%m-%dT%H:%M:%S\nlistener 1883\n"
		       "listener 1884\n"
		       "listener 8883\ncertfile /c\nkeyfile /k\ndhparamfile /dh.pem\n");
	assert_string_equal(cfg->user, "mosquitto");
	assert_false(cfg->set_tcp_nodelay);
	assert_int_equal(cfg->log_facility, 5);
	assert_string_equal(cfg->log_timestamp_format, "%Y-%m-%dT%H:%M:%S");
	assert_int_equal(cfg->listeners[2].socket_domain, 0);
	assert_string_equal(cfg->listeners[2].dhparamfile, "/dh.pem");
	finish_ok(cfg);
	/* where each file was named: the listener's own line, else the global one */
	assert_string_equal(config_origin(cfg, &cfg->listeners[2], "dhparamfile"), "t.conf:10");
	assert_null(config_origin(cfg, &cfg->listeners[0], "dhparamfile"));
	assert_string_equal(config_origin(cfg, &cfg->listeners[0], "user"), "t.conf:1");
	config_free(cfg);
	parse_fail("log_facility 8\n", "t.conf:1: log_facility: value '8' out of range (0..7)");
	parse_fail("listener 1\nsocket_domain ipx\n",
		   "t.conf:2: socket_domain: invalid value 'ipx' (expected ipv4 or ipv6)");
	cfg = parse_ok("listener 1\ndhparamfile /dh\n");
	assert_int_equal(config_finish(cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "listener 1: dhparamfile needs certfile and keyfile (TLS)");
	config_free(cfg);

	/* parsed (a bad value is still a bad value), then refused until the broker applies it */
	for (size_t i = 0; pending[i]; i++) {
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(pending[i], " "), pending[i]);
		parse_fail(fmt("listener 1\n%s\n", pending[i]),
			   fmt("t.conf:2: option '%s' is parsed but not applied by mqttgw yet", key));
	}
	parse_fail("listener 1\nmax_qos 3\n", "t.conf:2: max_qos: value '3' out of range (0..2)");
	/* socket_domain (per listener), check_retain_source and max_inflight_bytes (global, even
	 * in a listener block, as Mosquitto): Mosquitto's defaults, then set */
	cfg = parse_ok("listener 1\n");
	assert_true(cfg->check_retain_source);
	assert_int_equal(cfg->max_inflight_bytes, 0);
	assert_int_equal(cfg->listeners[0].socket_domain, 0);
	config_free(cfg);
	cfg = parse_ok("per_listener_settings true\nlistener 1\nsocket_domain ipv6\n"
		       "check_retain_source false\nmax_inflight_bytes 100\nlistener 2\n"
		       "socket_domain ipv4\nlistener 3\n");
	assert_int_equal(cfg->listeners[0].socket_domain, AF_INET6);
	assert_int_equal(cfg->listeners[1].socket_domain, AF_INET);
	assert_int_equal(cfg->listeners[2].socket_domain, 0);
	assert_false(cfg->check_retain_source);
	assert_int_equal(cfg->max_inflight_bytes, 100);
	config_free(cfg);
	parse_fail("check_retain_source maybe\n",
		   "t.conf:1: check_retain_source: invalid value 'maybe' (expected true or false)");
	parse_fail(
	    "max_inflight_bytes -1\n",
	    "t.conf:1: max_inflight_bytes: value '-1' out of range (0..9223372036854775807)");
	/* without per_listener_settings, allow_zero_length_clientid in a block is the global one */
	cfg = parse_ok("max_topic_alias 3\nallow_zero_length_clientid false\nlistener 1\n"
		       "allow_zero_length_clientid true\n");
	assert_int_equal(cfg->max_topic_alias, 3);
	assert_true(cfg->allow_zero_length_clientid);
	config_free(cfg);
	/* max_topic_alias in a block: that listener's (Mosquitto); -1: the global one */
	cfg = parse_ok("listener 1\nmax_topic_alias 3\nlistener 2\n");
	finish_ok(cfg);
	assert_int_equal(cfg->listeners[0].max_topic_alias, 3);
	assert_int_equal(cfg->listeners[1].max_topic_alias, -1);
	assert_int_equal(cfg->max_topic_alias, 10);
	config_free(cfg);
	/* per_listener_settings: the listener's own (-1: the global one applies) */
	cfg = parse_ok("per_listener_settings true\nlistener 1\nallow_zero_length_clientid false\n"
		       "listener 2\n");
	assert_int_equal(cfg->listeners[0].allow_zero_length_clientid, 0);
	assert_int_equal(cfg->listeners[1].allow_zero_length_clientid, -1);
	config_free(cfg);
	cfg = parse_ok("auto_id_prefix dev-\nclientid_prefixes sensor-\nlistener 1\n"
		       "use_username_as_clientid true\nlistener 2\n");
	assert_string_equal(cfg->auto_id_prefix, "dev-");
	assert_string_equal(cfg->clientid_prefixes, "sensor-");
	assert_true(cfg->listeners[0].use_username_as_clientid);
	assert_false(cfg->listeners[1].use_username_as_clientid);
	config_free(cfg);
}

static void test_missing_argument_everywhere(void **state)
{
	/* clang-format off */
	static const char *const keys[] = {
		"acl_file", "allow_anonymous", "allow_zero_length_clientid", "autosave_interval",
		"bind_address", "cafile", "capath", "certfile", "ciphers", "ciphers_tls1.3",
		"connect_timeout", "crlfile", "fastpath", "fastpath_pin_dir", "include_dir",
		"keyfile", "listener", "log_dest", "log_timestamp", "log_type", "max_connections",
		"max_inflight_messages", "max_keepalive", "max_packet_size", "max_queued_bytes",
		"max_queued_messages", "max_receive", "max_topic_alias", "memory_limit",
		"message_size_limit", "mount_point", "password_file", "per_listener_settings",
		"persistence", "persistence_file", "persistence_location", "persistence_sync",
		"autosave_on_changes",
		"persistent_client_expiration", "pid_file", "port", "protocol",
		"queue_qos0_messages", "require_certificate", "retain_available",
		"retained_persistence", "sys_interval", "tls_version", "use_identity_as_username",
		"use_subject_as_username", "use_another_server", "server_moved", "user",
		"set_tcp_nodelay", "socket_domain", "log_facility", "log_timestamp_format",
		"dhparamfile", "psk_file", "psk_hint", "max_qos", "connection_messages",
		"tls_engine", "tls_keyform", "tls_engine_kpass_sha1",
		"clientid_prefixes", "auto_id_prefix", "max_inflight_bytes",
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		parse_fail(fmt("listener 1\n\n%s\n", keys[i]),
			   fmt("t.conf:3: %s: missing argument", keys[i]));
		parse_fail(fmt("%s   # only a comment\n", keys[i]),
			   fmt("t.conf:1: %s: missing argument", keys[i]));
	}
}

/* ---- a realistic file with every supported key, error buffer edges ---- */

static void test_everything(void **state)
{
	struct config *cfg;

	(void)state;
	/* several lines per source line, to keep the whole file in view */
	cfg = parse_ok("per_listener_settings true\nallow_anonymous false\n"
		       "allow_zero_length_clientid false\nautosave_interval 60\nconnect_timeout 5\n"
		       "fastpath off\nlog_dest syslog\nlog_dest file /var/log/mqttgw.log\n"
		       "log_type all\nlog_timestamp false\nmax_connections 5000\n"
		       "max_inflight_messages 100\nmax_keepalive 600\nmax_packet_size 1048576\n"
		       "max_queued_bytes 1073741824\nmax_queued_messages 5000\nmax_receive 1000\n"
		       "max_topic_alias 100\nmemory_limit 536870912\nmessage_size_limit 262144\n"
		       "acl_file /etc/mqttgw/acl\npassword_file /etc/mqttgw/passwd\n"
		       "persistence true\npersistence_file mqttgw.db\n"
		       "persistence_location /var/lib/mqttgw/\npersistent_client_expiration 14d\n"
		       "pid_file /run/mqttgw.pid\nqueue_qos0_messages true\n"
		       "retain_available false\nsys_interval 0\n"
		       "listener 1883 127.0.0.1\nallow_anonymous true\n"
		       "listener 8883\nprotocol mqtt\nmax_connections 1000\n"
		       "cafile /etc/mqttgw/ca.crt\ncapath /etc/ssl/certs\n"
		       "certfile /etc/mqttgw/server.crt\nkeyfile /etc/mqttgw/server.key\n"
		       "crlfile /etc/mqttgw/crl.pem\ntls_version tlsv1.2\n"
		       "ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384\n"
		       "ciphers_tls1.3 TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\n"
		       "require_certificate true\nuse_identity_as_username true\n"
		       "use_subject_as_username false\npassword_file /etc/mqttgw/passwd.8883\n"
		       "acl_file /etc/mqttgw/acl.8883\n"
		       "listener 9001 ::\nprotocol websockets\n");
	assert_int_equal(cfg->n_listeners, 3);
	assert_int_equal(cfg->autosave_interval, 60);
	assert_int_equal(cfg->connect_timeout, 5);
	assert_int_equal(cfg->fastpath, CONFIG_FASTPATH_OFF);
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_SYSLOG | CONFIG_LOG_DEST_FILE);
	assert_int_equal(cfg->log_type, CONFIG_LOG_ALL);
	assert_int_equal(cfg->max_connections, 5000);
	assert_int_equal(cfg->max_queued_bytes, 1073741824);
	assert_int_equal(cfg->memory_limit, 536870912);
	assert_int_equal(cfg->persistent_client_expiration, 14 * 86400);
	assert_int_equal(cfg->sys_interval, 0);
	assert_int_equal(cfg->listeners[1].max_connections, 1000);
	assert_string_equal(cfg->listeners[1].password_file, "/etc/mqttgw/passwd.8883");
	assert_int_equal(cfg->listeners[2].protocol, CONFIG_PROTO_WEBSOCKETS);
	finish_ok(cfg);
	assert_true(config_listener_anonymous(cfg, &cfg->listeners[0]));
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[1]));
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[2]));
	config_free(cfg);
}

static void test_err_buffer(void **state)
{
	struct config *cfg = config_new();
	char small[8];

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_int_equal(config_parse_text(cfg, "foo\n", 4, NAME, NULL, small, sizeof(small)),
			 -EINVAL);
	assert_string_equal(small, "t.conf:");
	assert_int_equal(config_parse_text(cfg, "foo\n", 4, NAME, NULL, small, 1), -EINVAL);
	assert_string_equal(small, "");
	assert_int_equal(config_parse_text(cfg, "foo\n", 4, NAME, NULL, NULL, 0), -EINVAL);
	assert_int_equal(config_parse_text(cfg, "sys_interval 1\n", 15, NAME, NULL, NULL, 0), 0);
	/* success clears a stale message */
	strcpy(err, "stale");
	assert_int_equal(parse_into(cfg, "sys_interval 2\n", NULL), 0);
	assert_string_equal(err, "");
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_lexing),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_bools),
	    cmocka_unit_test(test_global_strings),
	    cmocka_unit_test(test_long_values),
	    cmocka_unit_test(test_log_dest),
	    cmocka_unit_test(test_log_type),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_persistence),
	    cmocka_unit_test(test_fastpath),
	    cmocka_unit_test(test_server_redirect),
	    cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_dropin_keys),
	    cmocka_unit_test(test_missing_argument_everywhere),
	    cmocka_unit_test(test_everything),
	    cmocka_unit_test(test_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
