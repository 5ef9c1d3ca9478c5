/* SPDX-License-Identifier: MIT */
/*
 * config: listener blocks and the default listener, scopes, security keys with and without
 * per_listener_settings, the anonymous rules, config_finish().
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

#include <cmocka.h>

#include "config_test.h"

/* ---- listeners ---- */

static const struct str_key lstr_keys[] = {
    {"cafile", offsetof(struct config_listener, cafile)},
    {"capath", offsetof(struct config_listener, capath)},
    {"certfile", offsetof(struct config_listener, certfile)},
    {"keyfile", offsetof(struct config_listener, keyfile)},
    {"crlfile", offsetof(struct config_listener, crlfile)},
    {"ciphers", offsetof(struct config_listener, ciphers)},
    {"ciphers_tls1.3", offsetof(struct config_listener, ciphers_tls13)},
};

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

	(void)state;
	assert_non_null(text);
	for (i = 0; i < 1024; i++)
		len += (size_t)snprintf(text + len, cap - len, "listener %zu\n", 1000 + i);
	assert_parsed_int(text, n_listeners, 1024);
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

/* issue #16: TLS-PSK and engine-held keys (Mosquitto's psk_hint, psk_file, tls_engine,
 * tls_keyform, tls_engine_kpass_sha1) */
static void test_psk_engine_keys(void **state)
{
	struct config *cfg;

	(void)state;
	/* psk_file is scoped like password_file; a psk_hint listener is TLS without a
	 * certificate, so versions, ciphers and use_identity_as_username apply to it */
	cfg = parse_ok("psk_file /g\nlistener 8883\npsk_hint gw\ntls_version tlsv1.3\n"
		       "ciphers PSK-AES128-GCM-SHA256\nciphers_tls1.3 TLS_AES_128_GCM_SHA256\n"
		       "use_identity_as_username true\nlistener 1883\n");
	finish_ok(cfg);
	assert_string_equal(cfg->listeners[0].psk_hint, "gw");
	assert_string_equal(config_listener_psk_file(cfg, &cfg->listeners[0]), "/g");
	assert_string_equal(config_listener_psk_file(cfg, &cfg->listeners[1]), "/g");
	config_free(cfg);
	cfg = parse_ok("per_listener_settings true\nlistener 8883\npsk_hint gw\npsk_file /a\n"
		       "listener 8884\npsk_hint gw2\n");
	finish_ok(cfg);
	assert_string_equal(config_listener_psk_file(cfg, &cfg->listeners[0]), "/a");
	assert_null(config_listener_psk_file(cfg, &cfg->listeners[1]));
	config_free(cfg);
	/* what still needs a certificate */
	finish_fail("listener 8883\npsk_hint gw\nrequire_certificate true\ncafile /ca\n",
		    "listener 8883: cafile needs certfile and keyfile (TLS)");
	finish_fail("listener 8883\ntls_engine pkcs11\n",
		    "listener 8883: tls_engine needs certfile and keyfile (TLS)");
	finish_fail("listener 8883\ntls_version tlsv1.2\n",
		    "listener 8883: tls_version needs certfile and keyfile (TLS)");

	/* engine keys */
	cfg = parse_ok("listener 8883\ncertfile /c\nkeyfile pkcs11:object=k\ntls_engine pkcs11\n"
		       "tls_keyform engine\ntls_engine_kpass_sha1 "
		       "7110EDA4D09E062AA5E4A390B0A572AC0D2C0220\nlistener 8884\n");
	finish_ok(cfg);
	assert_string_equal(cfg->listeners[0].tls_engine, "pkcs11");
	assert_int_equal(cfg->listeners[0].tls_keyform, CONFIG_KEYFORM_ENGINE);
	assert_int_equal(cfg->listeners[1].tls_keyform, CONFIG_KEYFORM_PEM);
	assert_null(cfg->listeners[1].tls_engine);
	config_free(cfg);
	parse_fail("listener 1\ntls_keyform der\n",
		   "t.conf:2: tls_keyform: invalid value 'der' (expected pem or engine)");
	finish_fail("listener 8883\ncertfile /c\nkeyfile /k\ntls_keyform engine\n",
		    "listener 8883: tls_keyform engine needs tls_engine");
	finish_fail("listener 8883\ncertfile /c\nkeyfile /k\ntls_engine e\n"
		    "tls_engine_kpass_sha1 7110eda4\n",
		    "listener 8883: tls_engine_kpass_sha1 is not a SHA-1 in hex (40 hex digits)");
	finish_fail("listener 8883\ncertfile /c\nkeyfile /k\ntls_engine e\n"
		    "tls_engine_kpass_sha1 7110eda4d09e062aa5e4a390b0a572ac0d2c022g\n",
		    "listener 8883: tls_engine_kpass_sha1 is not a SHA-1 in hex (40 hex digits)");
}

/* issue 18: websockets_origin (repeatable, per listener), http_dir, metrics_listener */
static void test_http_keys(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = parse_ok("listener 9001\nprotocol websockets\nwebsockets_origin https://a.example\n"
		       "websockets_origin https://b.example:8443\nhttp_dir /srv/www\n"
		       "listener 1883\nmetrics_listener 127.0.0.1:9100\n");
	assert_int_equal(cfg->listeners[0].n_ws_origins, 2);
	assert_string_equal(cfg->listeners[0].ws_origins[1], "https://b.example:8443");
	assert_string_equal(cfg->listeners[0].http_dir, "/srv/www");
	assert_int_equal(cfg->listeners[1].n_ws_origins, 0);
	assert_null(cfg->listeners[1].http_dir);
	assert_true(cfg->metrics_on);
	assert_string_equal(cfg->metrics_addr, "127.0.0.1");
	assert_int_equal(cfg->metrics_port, 9100);
	config_free(cfg);
	cfg = parse_ok("metrics_listener [::1]:9100\n");
	assert_string_equal(cfg->metrics_addr, "::1");
	config_free(cfg);
	cfg = parse_ok("metrics_listener 9100\n");
	assert_null(cfg->metrics_addr);
	assert_int_equal(cfg->metrics_port, 9100);
	config_free(cfg);
	parse_fail("websockets_origin https://a.example\n",
		   "t.conf:1: websockets_origin: needs a 'listener' line before it");
	parse_fail("http_dir /srv\n", "t.conf:1: http_dir: needs a 'listener' line before it");
	parse_fail("metrics_listener 1:2:9100\n",
		   "t.conf:1: metrics_listener: expected ADDRESS:PORT");
	parse_fail("metrics_listener [::1]9100\n",
		   "t.conf:1: metrics_listener: expected [ADDRESS]:PORT");
	parse_fail("metrics_listener 1\nmetrics_listener 2\n",
		   "t.conf:2: metrics_listener: given twice");
	parse_fail("metrics_listener\n", "t.conf:1: metrics_listener: missing argument");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listener_line),
	    cmocka_unit_test(test_listener_keys),
	    cmocka_unit_test(test_default_listener),
	    cmocka_unit_test(test_max_connections_scope),
	    cmocka_unit_test(test_too_many_listeners),
	    cmocka_unit_test(test_security_global),
	    cmocka_unit_test(test_per_listener_settings),
	    cmocka_unit_test(test_anonymous_rules),
	    cmocka_unit_test(test_finish),
	    cmocka_unit_test(test_psk_engine_keys),
	    cmocka_unit_test(test_http_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
