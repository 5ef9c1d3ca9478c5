/* SPDX-License-Identifier: MIT */
/*
 * config: every key (valid, invalid, missing), listener blocks and scopes, per_listener_settings,
 * include_dir on real temp directories, config_finish, the anonymous rules, error texts with
 * file:line. The SAN build checks that every path frees what it allocated.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define NAME "t.conf"

static char err[1024];

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
	static char bufs[4][1024];
	static int n;
	char *b = bufs[n++ % 4];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return b;
}

static int parse_into(struct config *cfg, const char *text, config_include_fn fn)
{
	return config_parse_text(cfg, text, strlen(text), NAME, fn, err, sizeof(err));
}

/* A fresh config from text; the parse must succeed. */
static struct config *parse_ok(const char *text)
{
	struct config *cfg = config_new();
	int rc;

	assert_non_null(cfg);
	rc = parse_into(cfg, text, NULL);
	if (rc)
		fail_msg("parse failed (%d): %s\n--- text:\n%s", rc, err, text);
	assert_string_equal(err, "");
	return cfg;
}

/* The parse must fail with -EINVAL and exactly this message. */
static void parse_fail(const char *text, const char *msg)
{
	struct config *cfg = config_new();
	int rc;

	assert_non_null(cfg);
	rc = parse_into(cfg, text, NULL);
	if (rc != -EINVAL)
		fail_msg("expected -EINVAL, got %d for:\n%s", rc, text);
	if (strcmp(err, msg))
		fail_msg("for text:\n%s\nexpected: %s\n     got: %s", text, msg, err);
	config_free(cfg);
}

static void finish_ok(struct config *cfg)
{
	int rc = config_finish(cfg, err, sizeof(err));

	if (rc)
		fail_msg("config_finish: %d %s", rc, err);
}

static void finish_fail(const char *text, const char *msg)
{
	struct config *cfg = parse_ok(text);

	assert_int_equal(config_finish(cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	config_free(cfg);
}

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

	cfg = parse_ok("");
	assert_int_equal(cfg->n_listeners, 0);
	config_free(cfg);
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

struct str_key {
	const char *key;
	size_t off;
};

static const struct str_key gstr_keys[] = {
    {"acl_file", offsetof(struct config, acl_file)},
    {"fastpath_pin_dir", offsetof(struct config, fastpath_pin_dir)},
    {"password_file", offsetof(struct config, password_file)},
    {"persistence_file", offsetof(struct config, persistence_file)},
    {"persistence_location", offsetof(struct config, persistence_location)},
    {"pid_file", offsetof(struct config, pid_file)},
    {"scram_password_file", offsetof(struct config, scram_password_file)},
};

static const struct str_key lstr_keys[] = {
    {"cafile", offsetof(struct config_listener, cafile)},
    {"capath", offsetof(struct config_listener, capath)},
    {"certfile", offsetof(struct config_listener, certfile)},
    {"keyfile", offsetof(struct config_listener, keyfile)},
    {"crlfile", offsetof(struct config_listener, crlfile)},
    {"ciphers", offsetof(struct config_listener, ciphers)},
    {"ciphers_tls1.3", offsetof(struct config_listener, ciphers_tls13)},
};

static const char *read_str(const void *base, size_t off)
{
	const char *s;

	memcpy(&s, (const char *)base + off, sizeof(s));
	return s;
}

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

/* ---- listeners ---- */

static void test_listener_line(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("listener 1883\n"
		       "listener 8883 0.0.0.0\n"
		       "listener 1884 ::1 # loopback only\n"
		       "listener 65535 localhost\n"
		       "listener 1 10.0.0.1\n");
	assert_int_equal(cfg->n_listeners, 5);
	assert_int_equal(cfg->listeners[0].port, 1883);
	assert_null(cfg->listeners[0].bind_address);
	assert_string_equal(cfg->listeners[1].bind_address, "0.0.0.0");
	assert_int_equal(cfg->listeners[2].port, 1884);
	assert_string_equal(cfg->listeners[2].bind_address, "::1");
	assert_int_equal(cfg->listeners[3].port, 65535);
	assert_string_equal(cfg->listeners[3].bind_address, "localhost");
	assert_int_equal(cfg->listeners[4].port, 1);
	assert_false(cfg->listeners[0].is_default);
	assert_int_equal(cfg->listeners[0].protocol, CONFIG_PROTO_MQTT);
	assert_int_equal(cfg->listeners[0].max_connections, -1);
	assert_int_equal(cfg->listeners[0].allow_anonymous, -1);
	config_free(cfg);

	/* a listener per address on one port is fine; the same one twice is not */
	cfg = parse_ok("listener 1883 127.0.0.1\nlistener 1883 ::1\n");
	config_free(cfg);
	parse_fail("listener 1883\nlistener 1883 # again\n",
		   "t.conf:2: listener: 1883 is already configured");
	parse_fail("listener 1883 ::1\nlistener 1883 ::1\n",
		   "t.conf:2: listener: 1883 ::1 is already configured");
	parse_fail("listener\n", "t.conf:1: listener: missing argument");
	parse_fail("listener 0 /tmp/mqtt.sock\n",
		   "t.conf:1: listener: port 0 (unix socket) is not supported by mqttgw yet");
	parse_fail("listener 65536\n", "t.conf:1: listener: value '65536' out of range (1..65535)");
	parse_fail("listener -1\n", "t.conf:1: listener: value '-1' out of range (1..65535)");
	parse_fail("listener http\n", "t.conf:1: listener: invalid number 'http'");
	parse_fail("listener 1883 127.0.0.1 extra\n",
		   "t.conf:1: listener: unexpected argument 'extra'");
	parse_fail("listener 1883 127.0.0.\xff\n",
		   "t.conf:1: listener: value is not valid UTF-8 text");
}

static void test_listener_keys(void **state)
{
	struct config *cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lstr_keys) / sizeof(lstr_keys[0]); i++) {
		const struct str_key *k = &lstr_keys[i];

		/* in a block: that listener only */
		cfg = parse_ok(fmt("listener 1883\nlistener 8883\n%s /etc/x y\n%s /etc/z\n"
				   "listener 9000\n",
				   k->key, k->key));
		assert_int_equal(cfg->n_listeners, 3);
		assert_null(read_str(&cfg->listeners[0], k->off));
		assert_string_equal(read_str(&cfg->listeners[1], k->off), "/etc/z");
		assert_null(read_str(&cfg->listeners[2], k->off));
		config_free(cfg);
		/* before any listener: the default listener (port 1883, all addresses) */
		cfg = parse_ok(fmt("%s /etc/x\nlistener 8883\n", k->key));
		assert_int_equal(cfg->n_listeners, 2);
		assert_true(cfg->listeners[0].is_default);
		assert_int_equal(cfg->listeners[0].port, 1883);
		assert_null(cfg->listeners[0].bind_address);
		assert_string_equal(read_str(&cfg->listeners[0], k->off), "/etc/x");
		assert_null(read_str(&cfg->listeners[1], k->off));
		config_free(cfg);
		parse_fail(fmt("listener 1\n%s\n", k->key),
			   fmt("t.conf:2: %s: missing argument", k->key));
		parse_fail(fmt("%s \xfe\n", k->key),
			   fmt("t.conf:1: %s: value is not valid UTF-8 text", k->key));
	}

	/* boolean listener keys */
	cfg = parse_ok("listener 8883\nrequire_certificate true\nuse_identity_as_username 1\n"
		       "use_subject_as_username true\nlistener 8884\nrequire_certificate false\n");
	assert_true(cfg->listeners[0].require_certificate);
	assert_true(cfg->listeners[0].use_identity_as_username);
	assert_true(cfg->listeners[0].use_subject_as_username);
	assert_false(cfg->listeners[1].require_certificate);
	assert_false(cfg->listeners[1].use_identity_as_username);
	config_free(cfg);
	cfg = parse_ok("require_certificate true\n");
	assert_int_equal(cfg->n_listeners, 1);
	assert_true(cfg->listeners[0].is_default);
	assert_true(cfg->listeners[0].require_certificate);
	config_free(cfg);
	parse_fail("listener 1\nuse_subject_as_username maybe\n",
		   "t.conf:2: use_subject_as_username: invalid value 'maybe' (expected true or "
		   "false)");
	/* a bad value creates no default listener on the way: the error is the value's */
	parse_fail("require_certificate\n", "t.conf:1: require_certificate: missing argument");

	/* tls_version: Mosquitto's values only */
	cfg = parse_ok("listener 8883\ntls_version tlsv1.2\nlistener 8884\ntls_version tlsv1.3\n"
		       "listener 8885\ntls_version tlsv1.1\n");
	assert_string_equal(cfg->listeners[0].tls_version, "tlsv1.2");
	assert_string_equal(cfg->listeners[1].tls_version, "tlsv1.3");
	assert_string_equal(cfg->listeners[2].tls_version, "tlsv1.1");
	config_free(cfg);
	parse_fail("listener 8883\ntls_version tlsv1\n",
		   "t.conf:2: tls_version: invalid value 'tlsv1' (expected tlsv1.3, tlsv1.2 or "
		   "tlsv1.1)");
	parse_fail("listener 8883\ntls_version TLSv1.2\n",
		   "t.conf:2: tls_version: invalid value 'TLSv1.2' (expected tlsv1.3, tlsv1.2 or "
		   "tlsv1.1)");

	/* protocol */
	cfg = parse_ok("listener 1883\nprotocol mqtt\nlistener 9001\nprotocol websockets\n");
	assert_int_equal(cfg->listeners[0].protocol, CONFIG_PROTO_MQTT);
	assert_int_equal(cfg->listeners[1].protocol, CONFIG_PROTO_WEBSOCKETS);
	config_free(cfg);
	cfg = parse_ok("protocol websockets\n");
	assert_true(cfg->listeners[0].is_default);
	assert_int_equal(cfg->listeners[0].protocol, CONFIG_PROTO_WEBSOCKETS);
	config_free(cfg);
	parse_fail("listener 1\nprotocol http\n",
		   "t.conf:2: protocol: invalid value 'http' (expected mqtt or websockets)");
	parse_fail("listener 1\nprotocol\n", "t.conf:2: protocol: missing argument");
	parse_fail("listener 1\nprotocol mqtt websockets\n",
		   "t.conf:2: protocol: unexpected argument 'websockets'");

	/* mount_point: needs a listener, no wildcards */
	cfg = parse_ok("listener 1883\nmount_point tenant/a/\nlistener 1884\n");
	assert_string_equal(cfg->listeners[0].mount_point, "tenant/a/");
	assert_null(cfg->listeners[1].mount_point);
	config_free(cfg);
	parse_fail("mount_point x/\n", "t.conf:1: mount_point: needs a 'listener' line before it");
	parse_fail("port 1883\nmount_point x/\n",
		   "t.conf:2: mount_point: needs a 'listener' line before it");
	parse_fail("listener 1\nmount_point a/+/b\n",
		   "t.conf:2: mount_point: 'a/+/b' must not contain the wildcards + or #");
	parse_fail("listener 1\nmount_point a/#\n",
		   "t.conf:2: mount_point: 'a/#' must not contain the wildcards + or #");
	parse_fail("listener 1\nmount_point\n", "t.conf:2: mount_point: missing argument");
}

static void test_default_listener(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("port 1884\n");
	assert_int_equal(cfg->n_listeners, 1);
	assert_true(cfg->listeners[0].is_default);
	assert_int_equal(cfg->listeners[0].port, 1884);
	assert_null(cfg->listeners[0].bind_address);
	config_free(cfg);

	cfg = parse_ok("bind_address 127.0.0.1\n");
	assert_int_equal(cfg->n_listeners, 1);
	assert_int_equal(cfg->listeners[0].port, 1883);
	assert_string_equal(cfg->listeners[0].bind_address, "127.0.0.1");
	config_free(cfg);

	/* port and bind_address update one listener, last one wins, also after a block */
	cfg = parse_ok("port 1000\nbind_address 10.0.0.1\nlistener 8883\ncertfile /c\n"
		       "port 2000 # moved\nbind_address 10.0.0.2\nkeyfile /k\n");
	assert_int_equal(cfg->n_listeners, 2);
	assert_int_equal(cfg->listeners[0].port, 2000);
	assert_string_equal(cfg->listeners[0].bind_address, "10.0.0.2");
	assert_null(cfg->listeners[0].certfile);
	assert_int_equal(cfg->listeners[1].port, 8883);
	assert_string_equal(cfg->listeners[1].certfile, "/c");
	assert_string_equal(cfg->listeners[1].keyfile, "/k");
	config_free(cfg);

	/* the classic pre-listener TLS config */
	cfg = parse_ok("cafile /ca\nport 8883\ncertfile /c\nkeyfile /k\nprotocol mqtt\n");
	assert_int_equal(cfg->n_listeners, 1);
	assert_int_equal(cfg->listeners[0].port, 8883);
	assert_string_equal(cfg->listeners[0].cafile, "/ca");
	finish_ok(cfg);
	assert_int_equal(cfg->n_listeners, 1);
	config_free(cfg);

	/* the default listener clashing with an explicit one */
	parse_fail("port 1883\nlistener 1883\n", "t.conf:2: listener: 1883 is already configured");
	parse_fail("port\n", "t.conf:1: port: missing argument");
	parse_fail("port 0\n",
		   "t.conf:1: port: port 0 (unix socket) is not supported by mqttgw yet");
	parse_fail("port 70000\n", "t.conf:1: port: value '70000' out of range (1..65535)");
	parse_fail("port 1883 1884\n", "t.conf:1: port: unexpected argument '1884'");
	parse_fail("bind_address\n", "t.conf:1: bind_address: missing argument");
	parse_fail("bind_address a b\n", "t.conf:1: bind_address: unexpected argument 'b'");
	parse_fail("bind_address \x80\n", "t.conf:1: bind_address: value is not valid UTF-8 text");
}

static void test_max_connections_scope(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("max_connections 100\nlistener 1883\nmax_connections 10\nlistener 1884\n"
		       "listener 1885\nmax_connections -1\n");
	assert_int_equal(cfg->max_connections, 100);
	assert_int_equal(cfg->listeners[0].max_connections, 10);
	assert_int_equal(cfg->listeners[1].max_connections, -1);
	assert_int_equal(cfg->listeners[2].max_connections, -1);
	assert_int_equal(cfg->n_listeners, 3);
	config_free(cfg);
}

static void test_too_many_listeners(void **state)
{
	size_t i, len = 0, cap = 1100 * 20;
	char *text = malloc(cap);
	struct config *cfg;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < 1024; i++)
		len += (size_t)snprintf(text + len, cap - len, "listener %zu\n", 1000 + i);
	cfg = parse_ok(text);
	assert_int_equal(cfg->n_listeners, 1024);
	config_free(cfg);
	snprintf(text + len, cap - len, "listener 9\n");
	parse_fail(text, "t.conf:1025: too many listeners (max 1024)");
	snprintf(text + len, cap - len, "port 9\n");
	parse_fail(text, "t.conf:1025: too many listeners (max 1024)");
	free(text);
}

/* ---- security keys and per_listener_settings ---- */

static void test_security_global(void **state)
{
	struct config *cfg;

	(void)state;
	/* per_listener_settings false (default): security keys are global wherever they are */
	cfg = parse_ok("listener 1883\nallow_anonymous true\npassword_file /pw\n"
		       "listener 1884\nacl_file /acl\nallow_zero_length_clientid false\n"
		       "scram_password_file /scram\n");
	assert_false(cfg->per_listener_settings);
	assert_int_equal(cfg->allow_anonymous, 1);
	assert_string_equal(cfg->password_file, "/pw");
	assert_string_equal(cfg->acl_file, "/acl");
	assert_false(cfg->allow_zero_length_clientid);
	assert_int_equal(cfg->listeners[0].allow_anonymous, -1);
	assert_null(cfg->listeners[0].password_file);
	assert_null(cfg->listeners[1].acl_file);
	assert_string_equal(config_listener_password_file(cfg, &cfg->listeners[0]), "/pw");
	assert_string_equal(config_listener_acl_file(cfg, &cfg->listeners[1]), "/acl");
	assert_null(cfg->listeners[1].scram_password_file);
	assert_string_equal(config_listener_scram_file(cfg, &cfg->listeners[0]), "/scram");
	config_free(cfg);

	cfg = parse_ok("allow_anonymous false\n");
	assert_int_equal(cfg->allow_anonymous, 0);
	assert_int_equal(cfg->n_listeners, 0);
	config_free(cfg);
	parse_fail("allow_anonymous yes\n",
		   "t.conf:1: allow_anonymous: invalid value 'yes' (expected true or false)");
	parse_fail("allow_anonymous\n", "t.conf:1: allow_anonymous: missing argument");

	cfg = parse_ok("");
	assert_int_equal(config_finish(cfg, err, sizeof(err)), 0);
	assert_null(config_listener_password_file(cfg, &cfg->listeners[0]));
	assert_null(config_listener_acl_file(cfg, &cfg->listeners[0]));
	config_free(cfg);
}

static void test_per_listener_settings(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("per_listener_settings true\n"
		       "allow_anonymous false\n" /* before any listener: the global fallback */
		       "password_file /global.pw\n"
		       "listener 1883 127.0.0.1\n"
		       "allow_anonymous true\n"
		       "listener 8883\n"
		       "password_file /8883.pw\n"
		       "acl_file /8883.acl\n"
		       "scram_password_file /8883.scram\n"
		       "allow_zero_length_clientid false\n"
		       "listener 9001\n"
		       "per_listener_settings true\n");
	assert_true(cfg->per_listener_settings);
	assert_int_equal(cfg->allow_anonymous, 0);
	assert_string_equal(cfg->password_file, "/global.pw");
	assert_null(cfg->acl_file);
	assert_int_equal(cfg->listeners[0].allow_anonymous, 1);
	assert_null(cfg->listeners[0].password_file);
	assert_int_equal(cfg->listeners[1].allow_anonymous, -1);
	assert_string_equal(cfg->listeners[1].password_file, "/8883.pw");
	assert_string_equal(cfg->listeners[1].acl_file, "/8883.acl");
	/* kept global in mqttgw */
	assert_false(cfg->allow_zero_length_clientid);

	assert_true(config_listener_anonymous(cfg, &cfg->listeners[0]));
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[1]));
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[2]));
	assert_string_equal(config_listener_password_file(cfg, &cfg->listeners[0]), "/global.pw");
	assert_string_equal(config_listener_password_file(cfg, &cfg->listeners[1]), "/8883.pw");
	assert_string_equal(config_listener_password_file(cfg, &cfg->listeners[2]), "/global.pw");
	assert_null(config_listener_acl_file(cfg, &cfg->listeners[0]));
	assert_string_equal(config_listener_acl_file(cfg, &cfg->listeners[1]), "/8883.acl");
	assert_null(cfg->scram_password_file);
	assert_null(config_listener_scram_file(cfg, &cfg->listeners[0]));
	assert_string_equal(config_listener_scram_file(cfg, &cfg->listeners[1]), "/8883.scram");
	finish_ok(cfg);
	config_free(cfg);

	cfg = parse_ok("per_listener_settings false\nlistener 1\nallow_anonymous true\n");
	assert_false(cfg->per_listener_settings);
	assert_int_equal(cfg->allow_anonymous, 1);
	config_free(cfg);

	/* as Mosquitto: only before every security key */
	parse_fail("allow_anonymous true\nper_listener_settings true\n",
		   "t.conf:2: per_listener_settings must come before allow_anonymous, "
		   "password_file, acl_file, scram_password_file and allow_zero_length_clientid");
	parse_fail("listener 1\nacl_file /a\nper_listener_settings true\n",
		   "t.conf:3: per_listener_settings must come before allow_anonymous, "
		   "password_file, acl_file, scram_password_file and allow_zero_length_clientid");
	parse_fail("scram_password_file /s\nper_listener_settings true\n",
		   "t.conf:2: per_listener_settings must come before allow_anonymous, "
		   "password_file, acl_file, scram_password_file and allow_zero_length_clientid");
	parse_fail("allow_zero_length_clientid true\nper_listener_settings true\n",
		   "t.conf:2: per_listener_settings must come before allow_anonymous, "
		   "password_file, acl_file, scram_password_file and allow_zero_length_clientid");
	/* once true it stays true */
	parse_fail("per_listener_settings true\nper_listener_settings false\n",
		   "t.conf:2: per_listener_settings: cannot be set back to false");
	parse_fail("per_listener_settings on\n",
		   "t.conf:1: per_listener_settings: invalid value 'on' (expected true or false)");
	parse_fail("per_listener_settings\n", "t.conf:1: per_listener_settings: missing argument");
	parse_fail("per_listener_settings true x\n",
		   "t.conf:1: per_listener_settings: unexpected argument 'x'");
	/* a false one after security keys changes nothing and is fine */
	cfg = parse_ok("password_file /p\nper_listener_settings false\n");
	config_free(cfg);
}

static void test_anonymous_rules(void **state)
{
	/* clang-format off */
	static const struct {
		const char *bind;
		bool anon;
	} cases[] = {
		{ "127.0.0.1", true }, { "127.8.9.10", true }, { "127.255.255.255", true },
		{ "::1", true }, { "localhost", true }, { "LocalHost", true },
		{ "::ffff:127.0.0.1", true }, { "0.0.0.0", false }, { "::", false },
		{ "10.0.0.1", false }, { "128.0.0.1", false }, { "::2", false },
		{ "::ffff:10.0.0.1", false }, { "myhost", false }, { "localhost.lan", false },
		{ "127.0.0.1.5", false }, { "fe80::1", false },
	};
	/* clang-format on */
	struct config *cfg;
	size_t i;

	(void)state;
	cfg = config_new();
	assert_non_null(cfg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_non_null(config_add_listener(cfg, (uint16_t)(1000 + i), cases[i].bind));
	assert_non_null(config_add_listener(cfg, 2000, NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (config_listener_anonymous(cfg, &cfg->listeners[i]) != cases[i].anon)
			fail_msg("bind %s: expected %d", cases[i].bind, cases[i].anon);
	}
	/* all addresses: not loopback */
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[i]));
	/* the global value overrides the address rule both ways */
	cfg->allow_anonymous = 1;
	assert_true(config_listener_anonymous(cfg, &cfg->listeners[i]));
	cfg->allow_anonymous = 0;
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[0]));
	/* and the listener's value overrides the global one */
	cfg->listeners[0].allow_anonymous = 1;
	assert_true(config_listener_anonymous(cfg, &cfg->listeners[0]));
	config_free(cfg);

	/* Mosquitto 2.0's local-only mode: no listener -> 127.0.0.1:1883, anonymous allowed */
	cfg = parse_ok("");
	finish_ok(cfg);
	assert_int_equal(cfg->n_listeners, 1);
	assert_int_equal(cfg->listeners[0].port, 1883);
	assert_string_equal(cfg->listeners[0].bind_address, "127.0.0.1");
	assert_true(config_listener_anonymous(cfg, &cfg->listeners[0]));
	config_free(cfg);
	cfg = parse_ok("allow_anonymous false\n");
	finish_ok(cfg);
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[0]));
	config_free(cfg);
	cfg = parse_ok("listener 1883\n");
	finish_ok(cfg);
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[0]));
	config_free(cfg);
}

/* ---- log_dest, log_type, durations, enums ---- */

static void test_log_dest(void **state)
{
	struct config *cfg;

	(void)state;
	/* the first log_dest line replaces the default stderr, the next ones add */
	cfg = parse_ok("log_dest stdout\n");
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT);
	config_free(cfg);
	cfg = parse_ok("log_dest stdout\nlog_dest syslog\nlog_dest topic\nlog_dest stderr\n");
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG |
					    CONFIG_LOG_DEST_TOPIC | CONFIG_LOG_DEST_STDERR);
	config_free(cfg);
	cfg = parse_ok("log_dest stdout syslog # two on a line\n");
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG);
	config_free(cfg);
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
	cfg = parse_ok("log_dest none\nlog_dest stderr\n");
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDERR);
	config_free(cfg);

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
		cfg = parse_ok(fmt("log_type %s\n", types[i].name));
		assert_int_equal(cfg->log_type, types[i].bit);
		config_free(cfg);
	}
	cfg = parse_ok("log_type error\nlog_type debug\nlog_type subscribe unsubscribe\n");
	assert_int_equal(cfg->log_type, CONFIG_LOG_ERR | CONFIG_LOG_DEBUG | CONFIG_LOG_SUBSCRIBE |
					    CONFIG_LOG_UNSUBSCRIBE);
	config_free(cfg);
	cfg = parse_ok("log_type all\nlog_type none\nlog_type warning\n");
	assert_int_equal(cfg->log_type, CONFIG_LOG_WARNING);
	config_free(cfg);
	cfg = parse_ok("log_type none\nlog_type all # everything\n");
	assert_int_equal(cfg->log_type, CONFIG_LOG_ALL);
	config_free(cfg);
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
	    {"1h", 3600},	    {"14d", 14 * 86400},	{"2s", 2},
	    {"2w", 14 * 86400},	    {"2m", 60 * 86400},
	    {"1y", 365 * 86400},    {"0001h", 3600},
	    {"100y", 3153600000LL}, {"106751991167h", 106751991167LL * 3600},
	};
	static const char *const bad[] = {"14",	 "0d", "d",   "14x", "-1d", "1.5d",
					  "+1d", "1H", "1 d", "h1",  "0x1d"};
	struct config *cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cfg = parse_ok(fmt("persistent_client_expiration %s\n", ok[i].in));
		assert_int_equal(cfg->persistent_client_expiration, ok[i].secs);
		config_free(cfg);
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

static void test_fastpath(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("fastpath on\n");
	assert_int_equal(cfg->fastpath, CONFIG_FASTPATH_ON);
	config_free(cfg);
	cfg = parse_ok("fastpath on\nfastpath off\n");
	assert_int_equal(cfg->fastpath, CONFIG_FASTPATH_OFF);
	config_free(cfg);
	cfg = parse_ok("fastpath off\nfastpath auto\n");
	assert_int_equal(cfg->fastpath, CONFIG_FASTPATH_AUTO);
	config_free(cfg);
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
	cfg = parse_ok("\n");
	assert_int_equal(cfg->share_strategy, CONFIG_SHARE_ROUND_ROBIN);
	config_free(cfg);
	cfg = parse_ok("shared_subscription_strategy hash_topic\n");
	assert_int_equal(cfg->share_strategy, CONFIG_SHARE_HASH_TOPIC);
	config_free(cfg);
	cfg = parse_ok("shared_subscription_strategy sticky\nshared_subscription_strategy random\n");
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
	parse_fail("server_moved h\xff:1\n", "t.conf:1: server_moved: value is not valid UTF-8 text");
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
	parse_fail(text, "t.conf:1: use_another_server: server reference too long (max 1024 bytes)");
	free(text);
}

/* ---- unsupported keys, missing arguments ---- */

static void test_unsupported(void **state)
{
	/* clang-format off */
	static const char *const keys[] = {
		"connection", "address", "addresses", "topic", "auth_plugin", "plugin",
		"auth_opt_db_host", "plugin_opt_x", "websockets_log_level", "http_dir", "psk_hint",
		"psk_file", "upgrade_outgoing_qos", "set_tcp_nodelay", "check_retain_source",
		"user", "max_qos", "bind_interface", "socket_domain", "bridge_cafile",
		"remote_username", "try_private", "log_facility", "retry_interval",
		"auto_id_prefix", "max_inflight_bytes", "dhparamfile", "cleansession",
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
		"persistence", "persistence_file", "persistence_location",
		"persistent_client_expiration", "pid_file", "port", "protocol",
		"queue_qos0_messages", "require_certificate", "retain_available",
		"retained_persistence", "sys_interval", "tls_version", "use_identity_as_username",
		"use_subject_as_username", "use_another_server", "server_moved",
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

/* ---- include_dir through a callback (pure) ---- */

static char cb_where[256], cb_dir[256];
static int cb_rc;
static const char *cb_text, *cb_msg;

static int fake_include(struct config *cfg, const char *dir, char *e, size_t elen)
{
	snprintf(cb_where, sizeof(cb_where), "%s", e);
	snprintf(cb_dir, sizeof(cb_dir), "%s", dir);
	if (cb_msg)
		snprintf(e, elen, "%s", cb_msg);
	if (cb_text)
		return config_parse_text(cfg, cb_text, strlen(cb_text), "inc.conf", NULL, e, elen);
	return cb_rc;
}

static void test_include_callback(void **state)
{
	struct config *cfg;

	(void)state;
	cb_rc = 0;
	cb_text = "listener 2000\nlog_dest syslog\n";
	cb_msg = NULL;
	cfg = config_new();
	assert_int_equal(parse_into(cfg,
				    "log_dest stdout\n"
				    "include_dir /etc/my dir.d  \n"
				    "# the main file's block is not the included one's\n"
				    "certfile /c\n",
				    fake_include),
			 0);
	assert_string_equal(err, "");
	assert_string_equal(cb_where, "t.conf:2");
	assert_string_equal(cb_dir, "/etc/my dir.d");
	/* log_dest keeps adding across files */
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG);
	/* certfile is before any `listener` of t.conf: the default listener */
	assert_int_equal(cfg->n_listeners, 2);
	assert_int_equal(cfg->listeners[0].port, 2000);
	assert_null(cfg->listeners[0].certfile);
	assert_true(cfg->listeners[1].is_default);
	assert_string_equal(cfg->listeners[1].certfile, "/c");
	config_free(cfg);

	/* an error inside the included text names that text */
	cb_text = "\nbogus 1\n";
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "include_dir x\n", fake_include), -EINVAL);
	assert_string_equal(err, "inc.conf:2: unknown option 'bogus'");
	config_free(cfg);
	/* nested include_dir: only in the main file */
	cb_text = "include_dir y\n";
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "include_dir x\n", fake_include), -EINVAL);
	assert_string_equal(
	    err, "inc.conf:1: include_dir is only allowed in the main configuration file");
	config_free(cfg);

	/* a failing callback that says nothing */
	cb_text = NULL;
	cb_rc = -ENOENT;
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "\ninclude_dir /nope\n", fake_include), -EINVAL);
	assert_string_equal(err, "t.conf:2: include_dir '/nope': No such file or directory");
	config_free(cfg);
	/* ... one that explains itself */
	cb_msg = "t.conf:2: include_dir '/nope': my reason";
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "\ninclude_dir /nope\n", fake_include), -EINVAL);
	assert_string_equal(err, "t.conf:2: include_dir '/nope': my reason");
	config_free(cfg);
	cb_msg = NULL;
	cb_rc = -ENOMEM;
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "include_dir /x\n", fake_include), -ENOMEM);
	config_free(cfg);

	parse_fail("include_dir /etc\n",
		   "t.conf:1: include_dir is only allowed in the main configuration file");
	parse_fail("include_dir\n", "t.conf:1: include_dir: missing argument");
	parse_fail("include_dir /\xff\n", "t.conf:1: include_dir: value is not valid UTF-8 text");
}

static void test_parse_appends(void **state)
{
	struct config *cfg = config_new();

	(void)state;
	assert_int_equal(parse_into(cfg, "log_type error\nlog_dest stdout\n", NULL), 0);
	assert_int_equal(parse_into(cfg, "log_type debug\nlog_dest topic\n", NULL), 0);
	assert_int_equal(cfg->log_type, CONFIG_LOG_ERR | CONFIG_LOG_DEBUG);
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_TOPIC);
	/* a listener from an earlier text is still a duplicate */
	assert_int_equal(parse_into(cfg, "listener 1883\n", NULL), 0);
	assert_int_equal(parse_into(cfg, "listener 1883\n", NULL), -EINVAL);
	assert_string_equal(err, "t.conf:1: listener: 1883 is already configured");
	/* security keys are remembered too */
	assert_int_equal(parse_into(cfg, "password_file /p\n", NULL), 0);
	assert_int_equal(parse_into(cfg, "per_listener_settings true\n", NULL), -EINVAL);
	config_free(cfg);
}

/* ---- include_dir and config_load on real files ---- */

static char tmpdir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *tpath(const char *rel)
{
	return fmt("%s/%s", tmpdir, rel);
}

static void write_file(const char *rel, const char *text)
{
	FILE *f = fopen(tpath(rel), "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void make_dir(const char *rel)
{
	assert_int_equal(mkdir(tpath(rel), 0755), 0);
}

static int load(const char *rel, struct config **cfg)
{
	return config_load(tpath(rel), cfg, err, sizeof(err));
}

static void test_include_dir_order(void **state)
{
	struct config *cfg;

	(void)state;
	make_dir("order.d");
	/* Mosquitto's order: 00 01 A a B b */
	write_file("order.d/b.conf", "listener 1005\n");
	write_file("order.d/A.conf", "listener 1002\n");
	write_file("order.d/01.conf", "listener 1001\n");
	write_file("order.d/a.conf", "listener 1003\n");
	write_file("order.d/B.conf", "listener 1004\n");
	write_file("order.d/00.conf", "# first\nlistener 1000\nlog_dest syslog\n");
	write_file("order.d/notes.txt", "bogus\n");
	write_file("order.d/.conf", "bogus\n");
	write_file("order.d/x.conf.bak", "bogus\n");
	make_dir("one.d");
	make_dir("two.d");
	make_dir("empty.d");
	write_file("one.d/B.conf", "listener 2001\n");
	write_file("one.d/C.conf", "listener 2002\n");
	write_file("two.d/A.conf", "listener 2003\n");
	write_file("two.d/D.conf", "listener 2004\n");
	write_file("main.conf", fmt("log_dest stdout\ninclude_dir %s/order.d\nmax_keepalive 30\n"
				    "include_dir %s/one.d/\ninclude_dir %s/two.d\n"
				    "include_dir %s/empty.d\n",
				    tmpdir, tmpdir, tmpdir, tmpdir));
	if (load("main.conf", &cfg))
		fail_msg("%s", err);
	assert_int_equal(cfg->n_listeners, 10);
	assert_int_equal(cfg->listeners[0].port, 1000);
	assert_int_equal(cfg->listeners[1].port, 1001);
	assert_int_equal(cfg->listeners[2].port, 1002);
	assert_int_equal(cfg->listeners[3].port, 1003);
	assert_int_equal(cfg->listeners[4].port, 1004);
	assert_int_equal(cfg->listeners[5].port, 1005);
	/* each include_dir completely, in the order written (man page example) */
	assert_int_equal(cfg->listeners[6].port, 2001);
	assert_int_equal(cfg->listeners[7].port, 2002);
	assert_int_equal(cfg->listeners[8].port, 2003);
	assert_int_equal(cfg->listeners[9].port, 2004);
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG);
	assert_int_equal(cfg->max_keepalive, 30);
	finish_ok(cfg);
	config_free(cfg);
}

static void test_include_dir_errors(void **state)
{
	struct config *cfg = (struct config *)1;

	(void)state;
	make_dir("bad.d");
	write_file("bad.d/a.conf", "listener 3000\n");
	write_file("bad.d/b.conf", "# fine so far\nmax_keepalive x\n");
	write_file("bad.d/c.conf", "bogus\n");
	write_file("main1.conf", fmt("\ninclude_dir %s/bad.d\n", tmpdir));
	assert_int_equal(load("main1.conf", &cfg), -EINVAL);
	assert_null(cfg);
	assert_string_equal(err,
			    fmt("%s/bad.d/b.conf:2: max_keepalive: invalid number 'x'", tmpdir));

	write_file("main2.conf", fmt("include_dir %s/missing.d\n", tmpdir));
	assert_int_equal(load("main2.conf", &cfg), -EINVAL);
	assert_string_equal(err, fmt("%s:1: include_dir '%s/missing.d': No such file or directory",
				     tpath("main2.conf"), tmpdir));

	write_file("main3.conf", fmt("include_dir %s\n", tpath("main1.conf")));
	assert_int_equal(load("main3.conf", &cfg), -EINVAL);
	assert_string_equal(err, fmt("%s:1: include_dir '%s': Not a directory", tpath("main3.conf"),
				     tpath("main1.conf")));

	make_dir("nest.d");
	write_file("nest.d/n.conf", "max_keepalive 5\ninclude_dir /etc\n");
	write_file("main4.conf", fmt("include_dir %s/nest.d\n", tmpdir));
	assert_int_equal(load("main4.conf", &cfg), -EINVAL);
	assert_string_equal(err, fmt("%s/nest.d/n.conf:2: include_dir is only allowed in the main "
				     "configuration file",
				     tmpdir));

	make_dir("dir.d");
	make_dir("dir.d/sub.conf");
	write_file("main5.conf", fmt("include_dir %s/dir.d\n", tmpdir));
	assert_int_equal(load("main5.conf", &cfg), -EINVAL);
	assert_string_equal(
	    err, fmt("%s:1: %s/dir.d/sub.conf: is a directory", tpath("main5.conf"), tmpdir));

	/* a FIFO named *.conf must not hang the load */
	make_dir("fifo.d");
	assert_int_equal(mkfifo(tpath("fifo.d/x.conf"), 0600), 0);
	write_file("main7.conf", fmt("include_dir %s/fifo.d\n", tmpdir));
	assert_int_equal(load("main7.conf", &cfg), -EINVAL);
	assert_string_equal(
	    err, fmt("%s:1: %s/fifo.d/x.conf: not a regular file", tpath("main7.conf"), tmpdir));

	/* config_load itself; the main file may be a device or a pipe */
	assert_int_equal(config_load("/dev/null", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->n_listeners, 0);
	config_free(cfg);
	assert_int_equal(load("nothere.conf", &cfg), -ENOENT);
	assert_null(cfg);
	assert_string_equal(
	    err, fmt("%s: cannot open: No such file or directory", tpath("nothere.conf")));
	assert_int_equal(load("dir.d", &cfg), -EISDIR);
	assert_string_equal(err, fmt("%s: is a directory", tpath("dir.d")));
	write_file("main6.conf", "max_keepalive 10\n\nlisten 1883\n");
	assert_int_equal(load("main6.conf", &cfg), -EINVAL);
	assert_string_equal(err, fmt("%s:3: unknown option 'listen'", tpath("main6.conf")));
}

static void test_load_realistic(void **state)
{
	struct config *cfg;

	(void)state;
	/* Debian's /etc/mosquitto/mosquitto.conf with a conf.d */
	make_dir("conf.d");
	write_file("conf.d/local.conf", "listener 1883\nallow_anonymous false\n"
					"password_file /etc/mosquitto/passwd\n");
	write_file("conf.d/README", "Any files placed in this directory with a .conf ending\n");
	write_file("mosquitto.conf",
		   fmt("# Place your local configuration in /etc/mosquitto/conf.d/\n"
		       "#\n"
		       "# A full description of the configuration file is at\n"
		       "# /usr/share/doc/mosquitto/examples/mosquitto.conf.example\n"
		       "\n"
		       "pid_file /run/mosquitto/mosquitto.pid\n"
		       "\n"
		       "persistence true\n"
		       "persistence_location /var/lib/mosquitto/\n"
		       "\n"
		       "log_dest file /var/log/mosquitto/mosquitto.log\n"
		       "\n"
		       "include_dir %s/conf.d\n",
		       tmpdir));
	if (load("mosquitto.conf", &cfg))
		fail_msg("%s", err);
	assert_string_equal(cfg->pid_file, "/run/mosquitto/mosquitto.pid");
	assert_true(cfg->persistence);
	assert_string_equal(cfg->persistence_location, "/var/lib/mosquitto/");
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_FILE);
	assert_string_equal(cfg->log_file, "/var/log/mosquitto/mosquitto.log");
	assert_int_equal(cfg->n_listeners, 1);
	assert_string_equal(cfg->password_file, "/etc/mosquitto/passwd");
	finish_ok(cfg);
	assert_string_equal(cfg->persistence_file, "mosquitto.db");
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[0]));
	config_free(cfg);
}

/* ---- config_finish ---- */

/* config text -> config_finish() error */
static const char *const tls_bad[][2] = {
    {"listener 8883\ncertfile /c\n", "listener 8883: certfile without keyfile"},
    {"listener 8883 10.0.0.1\nkeyfile /k\n", "listener 8883 10.0.0.1: keyfile without certfile"},
    {"listener 8883\ncafile /ca\n", "listener 8883: cafile needs certfile and keyfile (TLS)"},
    {"listener 8883\ncapath /ca\n", "listener 8883: capath needs certfile and keyfile (TLS)"},
    {"listener 8883\ncrlfile /x\n", "listener 8883: crlfile needs certfile and keyfile (TLS)"},
    {"listener 8883\ntls_version tlsv1.2\n",
     "listener 8883: tls_version needs certfile and keyfile (TLS)"},
    {"listener 8883\nciphers x\n", "listener 8883: ciphers needs certfile and keyfile (TLS)"},
    {"listener 8883\nciphers_tls1.3 x\n",
     "listener 8883: ciphers_tls1.3 needs certfile and keyfile (TLS)"},
    {"listener 8883\nrequire_certificate true\n",
     "listener 8883: require_certificate needs certfile and keyfile (TLS)"},
    {"listener 8883\nuse_identity_as_username true\n",
     "listener 8883: use_identity_as_username needs certfile and keyfile (TLS)"},
    {"listener 8883\nuse_subject_as_username true\n",
     "listener 8883: use_subject_as_username needs certfile and keyfile (TLS)"},
    {"listener 8883\ncertfile /c\nkeyfile /k\nrequire_certificate true\n",
     "listener 8883: require_certificate needs cafile or capath"},
    {"cafile /ca\n", "listener 1883: cafile needs certfile and keyfile (TLS)"},
};

static void test_finish(void **state)
{
	struct config *cfg;
	size_t i;

	(void)state;
	/* idempotent */
	cfg = parse_ok("persistence true\npersistence_file my.db\n");
	finish_ok(cfg);
	finish_ok(cfg);
	assert_int_equal(cfg->n_listeners, 1);
	assert_string_equal(cfg->persistence_file, "my.db");
	config_free(cfg);
	cfg = parse_ok("persistence false\n");
	finish_ok(cfg);
	assert_null(cfg->persistence_file);
	config_free(cfg);

	/* a full TLS listener */
	cfg = parse_ok(
	    "listener 8883\ncertfile /c\nkeyfile /k\ncafile /ca\nrequire_certificate true\n"
	    "crlfile /crl\ntls_version tlsv1.2\nciphers ECDHE-RSA-AES128-GCM-SHA256\n"
	    "ciphers_tls1.3 TLS_AES_128_GCM_SHA256\nuse_subject_as_username true\n"
	    "listener 8884\ncertfile /c\nkeyfile /k\ncapath /etc/ssl/certs\n"
	    "require_certificate true\nuse_identity_as_username true\n");
	finish_ok(cfg);
	assert_int_equal(cfg->n_listeners, 2);
	config_free(cfg);

	for (i = 0; i < sizeof(tls_bad) / sizeof(tls_bad[0]); i++)
		finish_fail(tls_bad[i][0], tls_bad[i][1]);
	/* the default listener moved onto an explicit one */
	finish_fail("listener 1884\nport 1884\n",
		    "listener 1884: configured twice (one is the default listener of "
		    "port/bind_address or of listener options before any 'listener')");
	finish_fail("listener 1883 ::1\nport 1\nbind_address ::1\nport 1883\n",
		    "listener 1883 ::1: configured twice (one is the default listener of "
		    "port/bind_address or of listener options before any 'listener')");

	/* config_add_listener: port 0 ("pick one") may repeat, others may not */
	cfg = config_new();
	assert_non_null(config_add_listener(cfg, 0, NULL));
	assert_non_null(config_add_listener(cfg, 0, NULL));
	finish_ok(cfg);
	assert_non_null(config_add_listener(cfg, 1883, "127.0.0.1"));
	assert_non_null(config_add_listener(cfg, 1883, "127.0.0.1"));
	assert_int_equal(config_finish(cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "listener 1883 127.0.0.1: configured twice");
	/* NULL err is fine */
	assert_int_equal(config_finish(cfg, NULL, 0), -EINVAL);
	config_free(cfg);
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
		       "listener 9001 ::\nprotocol websockets\nmount_point ws/\n");
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
	assert_string_equal(cfg->listeners[2].mount_point, "ws/");
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
	    cmocka_unit_test(test_listener_line),
	    cmocka_unit_test(test_listener_keys),
	    cmocka_unit_test(test_default_listener),
	    cmocka_unit_test(test_max_connections_scope),
	    cmocka_unit_test(test_too_many_listeners),
	    cmocka_unit_test(test_security_global),
	    cmocka_unit_test(test_per_listener_settings),
	    cmocka_unit_test(test_anonymous_rules),
	    cmocka_unit_test(test_log_dest),
	    cmocka_unit_test(test_log_type),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_fastpath),
	    cmocka_unit_test(test_server_redirect),
	    cmocka_unit_test(test_unsupported),
	    cmocka_unit_test(test_missing_argument_everywhere),
	    cmocka_unit_test(test_include_callback),
	    cmocka_unit_test(test_parse_appends),
	    cmocka_unit_test(test_include_dir_order),
	    cmocka_unit_test(test_include_dir_errors),
	    cmocka_unit_test(test_load_realistic),
	    cmocka_unit_test(test_finish),
	    cmocka_unit_test(test_everything),
	    cmocka_unit_test(test_err_buffer),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
