// SPDX-License-Identifier: MIT
/* config_bridge: every key with Mosquitto's defaults, the topic grammar, and the errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_bridge.h"

static char err[256];

/* Apply "key args" lines; returns the first error (0 if none). */
static int apply(struct config_bridge *b, const char *const *lines)
{
	for (; *lines; lines++) {
		char buf[512], *args;
		int ret;

		snprintf(buf, sizeof(buf), "%s", *lines);
		args = strchr(buf, ' ');
		if (args)
			*args++ = '\0';
		else
			args = buf + strlen(buf);
		assert_true(config_bridge_is_key(buf));
		ret = config_bridge_key(b, buf, args, err, sizeof(err));
		if (ret)
			return ret;
	}
	return 0;
}

static struct config_bridge *block(const char *const *lines)
{
	struct config_bridge *b = config_bridge_new("cloud", err, sizeof(err));

	assert_non_null(b);
	assert_int_equal(apply(b, lines), 0);
	assert_int_equal(config_bridge_finish(b, "gw1", err, sizeof(err)), 0);
	return b;
}

static void test_defaults(void **state)
{
	static const char *const l[] = {"address broker.example", "topic a/#", NULL};
	struct config_bridge *b = block(l);

	(void)state;
	assert_int_equal(b->n_addrs, 1);
	assert_string_equal(b->addrs[0].host, "broker.example");
	assert_int_equal(b->addrs[0].port, 1883);
	assert_int_equal(b->topics[0].dir, CONFIG_BRIDGE_OUT);
	assert_int_equal(b->topics[0].qos, 0);
	assert_int_equal(b->protocol, 4);
	assert_string_equal(b->remote_clientid, "cloud.gw1");
	assert_string_equal(b->local_clientid, "local.cloud.gw1");
	assert_string_equal(b->notification_topic, "$SYS/broker/connection/cloud.gw1/state");
	assert_false(b->cleansession);
	assert_int_equal(b->local_cleansession, 0);
	assert_int_equal(b->keepalive, 60);
	assert_int_equal(b->restart_base, 5);
	assert_int_equal(b->restart_cap, 30);
	assert_int_equal(b->start_type, CONFIG_BRIDGE_AUTOMATIC);
	assert_int_equal(b->idle_timeout, 60);
	assert_int_equal(b->threshold, 10);
	assert_true(b->notifications);
	assert_false(b->notifications_local_only);
	assert_true(b->try_private);
	assert_true(b->outgoing_retain);
	assert_false(b->round_robin);
	assert_false(b->tls);
	assert_int_equal(b->max_packet_size, 0);
	assert_int_equal(b->max_queued, 0);
	config_bridge_free(b);
}

static void test_every_key(void **state)
{
	static const char *const l[] = {
	    "addresses 10.0.0.1:8883 [fd00::1]:1884 up.example",
	    "round_robin true",
	    "topic # both 2 local/ remote/",
	    "topic \"\" in 1 l/one r/one",
	    "bridge_protocol_version mqttv50",
	    "remote_clientid gw-7",
	    "local_clientid loc-7",
	    "remote_username u",
	    "remote_password p",
	    "cleansession true",
	    "local_cleansession false",
	    "keepalive_interval 5",
	    "restart_timeout 20",
	    "start_type lazy",
	    "idle_timeout 7",
	    "threshold 3",
	    "notifications false",
	    "notifications_local_only true",
	    "notification_topic gw/state",
	    "try_private false",
	    "bridge_cafile /ca.crt",
	    "bridge_capath /cas",
	    "bridge_certfile /c.crt",
	    "bridge_keyfile /c.key",
	    "bridge_insecure true",
	    "bridge_tls_version tlsv1.3",
	    "bridge_alpn mqtt",
	    "bridge_max_packet_size 1000",
	    "bridge_outgoing_retain false",
	    "max_queued_messages 50",
	    "bridge_attempt_unsubscribe false",
	    NULL,
	};
	struct config_bridge *b = block(l);

	(void)state;
	assert_int_equal(b->n_addrs, 3);
	assert_string_equal(b->addrs[0].host, "10.0.0.1");
	assert_int_equal(b->addrs[0].port, 8883);
	assert_string_equal(b->addrs[1].host, "fd00::1");
	assert_int_equal(b->addrs[1].port, 1884);
	assert_int_equal(b->addrs[2].port, 1883);
	assert_true(b->round_robin);
	assert_int_equal(b->n_topics, 2);
	assert_int_equal(b->topics[0].dir, CONFIG_BRIDGE_BOTH);
	assert_int_equal(b->topics[0].qos, 2);
	assert_string_equal(b->topics[0].local_topic, "local/#");
	assert_string_equal(b->topics[0].remote_topic, "remote/#");
	assert_null(b->topics[1].pattern);
	assert_string_equal(b->topics[1].local_topic, "l/one");
	assert_string_equal(b->topics[1].remote_topic, "r/one");
	assert_int_equal(b->protocol, 5);
	assert_string_equal(b->remote_clientid, "gw-7");
	assert_string_equal(b->local_clientid, "loc-7");
	assert_string_equal(b->remote_username, "u");
	assert_string_equal(b->remote_password, "p");
	assert_true(b->cleansession);
	assert_int_equal(b->local_cleansession, 0);
	assert_int_equal(b->keepalive, 5);
	assert_int_equal(b->restart_base, 20);
	assert_int_equal(b->restart_cap, 0);
	assert_int_equal(b->start_type, CONFIG_BRIDGE_LAZY);
	assert_int_equal(b->idle_timeout, 7);
	assert_int_equal(b->threshold, 3);
	assert_false(b->notifications);
	assert_true(b->notifications_local_only);
	assert_string_equal(b->notification_topic, "gw/state");
	assert_false(b->try_private);
	assert_true(b->tls);
	assert_string_equal(b->cafile, "/ca.crt");
	assert_string_equal(b->capath, "/cas");
	assert_string_equal(b->certfile, "/c.crt");
	assert_string_equal(b->keyfile, "/c.key");
	assert_true(b->insecure);
	assert_string_equal(b->tls_version, "tlsv1.3");
	assert_string_equal(b->alpn, "mqtt");
	assert_int_equal(b->max_packet_size, 1000);
	assert_false(b->outgoing_retain);
	assert_int_equal(b->max_queued, 50);
	assert_false(b->attempt_unsubscribe);
	config_bridge_free(b);
}

static void test_aliases_and_backoff(void **state)
{
	static const char *const l[] = {"address h:1", "topic a",    "clientid c",
					"username u",  "password p", "restart_timeout 2 9",
					NULL};
	struct config_bridge *b = block(l);

	(void)state;
	assert_string_equal(b->remote_clientid, "c");
	assert_string_equal(b->remote_username, "u");
	assert_string_equal(b->remote_password, "p");
	assert_int_equal(b->restart_base, 2);
	assert_int_equal(b->restart_cap, 9);
	config_bridge_free(b);
}

/* One bad line: the error, and the text that must name the cause. */
static void expect_key_error(const char *line, const char *needle)
{
	const char *lines[] = {line, NULL};
	struct config_bridge *b = config_bridge_new("c", err, sizeof(err));

	assert_non_null(b);
	err[0] = '\0';
	assert_int_equal(apply(b, lines), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("'%s': error '%s' does not name '%s'", line, err, needle);
	config_bridge_free(b);
}

static void test_key_errors(void **state)
{
	(void)state;
	expect_key_error("address", "address");
	expect_key_error("address h:0", "address");
	expect_key_error("address h:65536", "address");
	expect_key_error("address fd00::1", "[brackets]");
	expect_key_error("address [fd00::1", "address");
	expect_key_error("topic", "pattern");
	expect_key_error("topic a sideways", "direction");
	expect_key_error("topic a in 3", "topic");
	expect_key_error("topic a in 1 l/", "remote prefix");
	expect_key_error("topic \"\" in 1 l/ \"\"", "empty pattern");
	expect_key_error("topic \"\" in 1 \"\" r/", "empty pattern");
	expect_key_error("topic \"\" in 1 \"\" \"\"", "empty pattern");
	expect_key_error("topic a/#/b", "invalid pattern");
	expect_key_error("topic a in 1 l/+/ r/", "local prefix");
	expect_key_error("topic a in 1 l/ r/#", "remote prefix");
	expect_key_error("topic a in 1 l/ r/ extra", "too many");
	expect_key_error("bridge_protocol_version mqttv31", "mqttv31");
	expect_key_error("keepalive_interval 4", "keepalive_interval");
	expect_key_error("keepalive_interval x", "keepalive_interval");
	expect_key_error("restart_timeout 0", "restart_timeout");
	expect_key_error("restart_timeout 10 5", "restart_timeout");
	expect_key_error("start_type manual", "manual");
	expect_key_error("cleansession yes", "cleansession");
	expect_key_error("try_private", "try_private");
	expect_key_error("remote_clientid a b", "remote_clientid");
	expect_key_error("bridge_tls_version tlsv1.0", "tlsv1.0");
	expect_key_error("threshold 0", "threshold");
	expect_key_error("bridge_psk 00ff", "bridge_psk");
	expect_key_error("bridge_identity id", "bridge_identity");
	expect_key_error("bridge_bind_address 1.2.3.4", "bridge_bind_address");
	expect_key_error("local_username u", "local_username");
	expect_key_error("bridge_require_ocsp true", "bridge_require_ocsp");
}

static void expect_finish_error(const char *const *lines, const char *needle)
{
	struct config_bridge *b = config_bridge_new("c", err, sizeof(err));

	assert_int_equal(apply(b, lines), 0);
	assert_int_equal(config_bridge_finish(b, "h", err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not name '%s'", err, needle);
	config_bridge_free(b);
}

static void test_block_errors(void **state)
{
	static const char *const no_addr[] = {"topic a", NULL};
	static const char *const no_topic[] = {"address h", NULL};
	static const char *const pw[] = {"address h", "topic a", "remote_password p", NULL};
	static const char *const cert[] = {"address h", "topic a", "bridge_cafile c",
					   "bridge_certfile x", NULL};
	static const char *const notls[] = {"address h", "topic a", "bridge_insecure true", NULL};
	static const char *const twice[] = {"address h", "address g", NULL};
	struct config_bridge *b;

	(void)state;
	expect_finish_error(no_addr, "address");
	expect_finish_error(no_topic, "topic");
	expect_finish_error(pw, "remote_username");
	expect_finish_error(cert, "bridge_keyfile");
	expect_finish_error(notls, "bridge_cafile");
	b = config_bridge_new("c", err, sizeof(err));
	assert_int_equal(apply(b, twice), -EINVAL);
	assert_non_null(strstr(err, "twice"));
	config_bridge_free(b);
	assert_null(config_bridge_new("a/b", err, sizeof(err)));
	assert_null(config_bridge_new("", err, sizeof(err)));
	assert_null(config_bridge_new("x#", err, sizeof(err)));
	assert_false(config_bridge_is_key("listener"));
	assert_false(config_bridge_is_key("persistence"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_aliases_and_backoff),
	    cmocka_unit_test(test_key_errors),
	    cmocka_unit_test(test_block_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
