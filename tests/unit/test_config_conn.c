/* SPDX-License-Identifier: MIT */
/*
 * config_conn: `connection` blocks in a config file: which lines are the block's, where a
 * block ends (next `connection`, end of its file), the checks of a whole block and the
 * file:line of every error.
 */
#include "config_test.h"
#include "config_bridge.h"

static void test_two_blocks(void **state)
{
	struct config *cfg;
	const struct config_bridge *a, *b;

	(void)state;
	cfg = parse_ok("listener 1883\n"
		       "connection cloud\n"
		       "address 10.0.0.1:8883 10.0.0.2\n"
		       "topic sensors/# out 1 site/ cloud/\n"
		       "topic cmd/# in 2 local/ cloud/\n"
		       "max_queued_messages 77\n"
		       "max_inflight_messages 5\n" /* a global key: not the block's */
		       "connection backup\n"
		       "address backup.example\n"
		       "topic # both 0\n"
		       "bridge_protocol_version mqttv50\n");
	assert_int_equal(cfg->n_bridges, 2);
	a = cfg->bridges[0];
	b = cfg->bridges[1];
	assert_string_equal(a->name, "cloud");
	assert_int_equal(a->n_addrs, 2);
	assert_string_equal(a->addrs[0].host, "10.0.0.1");
	assert_int_equal(a->addrs[0].port, 8883);
	assert_int_equal(a->addrs[1].port, CONFIG_BRIDGE_PORT);
	assert_int_equal(a->n_topics, 2);
	assert_string_equal(a->topics[0].local_topic, "site/sensors/#");
	assert_string_equal(a->topics[0].remote_topic, "cloud/sensors/#");
	assert_int_equal(a->topics[1].dir, CONFIG_BRIDGE_IN);
	assert_int_equal(a->topics[1].qos, 2);
	/* inside a block max_queued_messages is the bridge's (issue #17: per bridge) */
	assert_int_equal(a->max_queued, 77);
	assert_int_equal(cfg->max_queued_messages, 1000);
	assert_int_equal(cfg->max_inflight_messages, 5);
	/* finished at the next `connection`: defaults that depend on other keys are set; no
	 * hostname given to the pure parser: "mqttgw" */
	assert_string_equal(a->remote_clientid, "cloud.mqttgw");
	assert_string_equal(a->local_clientid, "local.cloud.mqttgw");
	assert_string_equal(a->notification_topic, "$SYS/broker/connection/cloud.mqttgw/state");
	assert_int_equal(b->protocol, 5);
	assert_int_equal(b->topics[0].dir, CONFIG_BRIDGE_BOTH);
	/* finished at the end of the file too */
	assert_string_equal(b->remote_clientid, "backup.mqttgw");
	config_free(cfg);
}

static void test_hostname(void **state)
{
	struct config *cfg = config_new();

	(void)state;
	assert_non_null(cfg);
	cfg->hostname = strdup("gw7");
	assert_int_equal(parse_into(cfg, "connection up\naddress h\ntopic #\n", NULL), 0);
	assert_string_equal(cfg->bridges[0]->remote_clientid, "up.gw7");
	config_free(cfg);
}

static void test_errors(void **state)
{
	(void)state;
	/* bridge-only keys outside a block */
	parse_fail(
	    "listener 1883\ntopic a/#\n",
	    "t.conf:2: topic: outside a connection block (needs a 'connection' line before it)");
	parse_fail("remote_username u\n", "t.conf:1: remote_username: outside a connection block "
					  "(needs a 'connection' line before it)");
	/* a global key that is also a bridge key stays global outside a block */
	{
		struct config *cfg = parse_ok("max_queued_messages 9\n");

		assert_int_equal(cfg->max_queued_messages, 9);
		assert_int_equal(cfg->n_bridges, 0);
		config_free(cfg);
	}
	/* the block's own checks name the `connection` line, at the next block or at the end */
	parse_fail("connection a\ntopic x\nconnection b\naddress h\ntopic y\n",
		   "t.conf:1: connection a has no address");
	parse_fail("# c\nconnection a\naddress h\n", "t.conf:2: connection a has no topic");
	parse_fail("connection a\naddress h\ntopic x\nremote_password p\n",
		   "t.conf:1: connection a: remote_password needs remote_username");
	/* one line's errors name that line */
	parse_fail("connection a\naddress h\ntopic x sideways\n",
		   "t.conf:3: topic: direction must be in, out or both, not 'sideways'");
	parse_fail("connection a\nlocal_username u\n",
		   "t.conf:2: local_username is not supported by mqttgw bridges");
	parse_fail("connection a\naddress h\ntopic x\nconnection a\n",
		   "t.conf:4: connection a: the name is already used");
	parse_fail("connection\n", "t.conf:1: connection: missing name");
	parse_fail("connection a b\n", "t.conf:1: connection: one name expected");
	parse_fail("connection a/b\n",
		   "t.conf:1: connection needs a name without spaces, '/', '+' or '#'");
	/* Mosquitto bridge keys mqttgw does not know are still refused */
	parse_fail("connection a\naddress h\ntopic x\nbridge_tcp_user_timeout 5\n",
		   "t.conf:4: option 'bridge_tcp_user_timeout' is not supported by mqttgw yet");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_blocks),
	    cmocka_unit_test(test_hostname),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
