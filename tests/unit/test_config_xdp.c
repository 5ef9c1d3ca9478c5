/* SPDX-License-Identifier: MIT */
/*
 * config: the XDP guard's keys (xdp_interface, xdp_syn_rate, xdp_allow, xdp_deny,
 * xdp_required, ban_*) and bind_interface (per listener, handed to listener_new() as
 * "ADDR%IFNAME" by config_finish()).
 */
#include "config_test.h"
#include "xdp_guard.h"

static void test_xdp_defaults(void **state)
{
	struct config *cfg = parse_ok("");

	(void)state;
	assert_int_equal(cfg->n_xdp_ifaces, 0);
	assert_int_equal(cfg->xdp_syn_rate, 0);
	assert_false(cfg->xdp_required);
	assert_int_equal(cfg->ban_auth_failures, 0);
	assert_int_equal(cfg->ban_window, CONFIG_BAN_WINDOW);
	assert_int_equal(cfg->ban_time, CONFIG_BAN_TIME);
	assert_int_equal(cfg->half_dead_timeout, CONFIG_HALF_DEAD_TIMEOUT);
	config_free(cfg);
}

static void test_xdp_keys(void **state)
{
	struct config *cfg = parse_ok("xdp_interface eth0\n"
				      "xdp_interface wan0 native\n"
				      "xdp_interface veth1 generic # a comment\n"
				      "xdp_syn_rate 100 300\n"
				      "xdp_allow 10.0.0.0/8\n"
				      "xdp_allow 2001:db8::/32\n"
				      "xdp_deny 192.0.2.1\n"
				      "xdp_required true\n"
				      "ban_auth_failures 5\n"
				      "ban_window 60\n"
				      "ban_time 3600\n"
				      "half_dead_timeout 0\n");

	(void)state;
	assert_int_equal(cfg->n_xdp_ifaces, 3);
	assert_string_equal(cfg->xdp_ifaces[0].name, "eth0");
	assert_int_equal(cfg->xdp_ifaces[0].mode, XDP_GUARD_AUTO);
	assert_int_equal(cfg->xdp_ifaces[1].mode, XDP_GUARD_NATIVE);
	assert_string_equal(cfg->xdp_ifaces[2].name, "veth1");
	assert_int_equal(cfg->xdp_ifaces[2].mode, XDP_GUARD_GENERIC);
	assert_int_equal(cfg->xdp_syn_rate, 100);
	assert_int_equal(cfg->xdp_syn_burst, 300);
	assert_int_equal(cfg->n_xdp_allow, 2);
	assert_string_equal(cfg->xdp_allow[1], "2001:db8::/32");
	assert_int_equal(cfg->n_xdp_deny, 1);
	assert_string_equal(cfg->xdp_deny[0], "192.0.2.1");
	assert_true(cfg->xdp_required);
	assert_int_equal(cfg->ban_auth_failures, 5);
	assert_int_equal(cfg->ban_window, 60);
	assert_int_equal(cfg->ban_time, 3600);
	assert_int_equal(cfg->half_dead_timeout, 0);
	config_free(cfg);

	/* the burst is optional; the last xdp_syn_rate wins */
	cfg = parse_ok("xdp_syn_rate 50 10\nxdp_syn_rate 20\n");
	assert_int_equal(cfg->xdp_syn_rate, 20);
	assert_int_equal(cfg->xdp_syn_burst, 0);
	config_free(cfg);
}

static void test_xdp_errors(void **state)
{
	(void)state;
	parse_fail("xdp_interface\n", "t.conf:1: xdp_interface: missing argument");
	parse_fail(
	    "\nxdp_interface eth0 turbo\n",
	    "t.conf:2: xdp_interface: invalid mode 'turbo' (expected native, generic or auto)");
	parse_fail("xdp_interface eth0 native extra\n",
		   "t.conf:1: xdp_interface: unexpected argument 'extra'");
	parse_fail("xdp_interface eth0\nxdp_interface eth0 generic\n",
		   "t.conf:2: xdp_interface: eth0 is already configured");
	parse_fail("xdp_interface averyveryverylongname\n",
		   "t.conf:1: xdp_interface: invalid interface name 'averyveryverylongname'");
	parse_fail("xdp_syn_rate\n", "t.conf:1: xdp_syn_rate: missing argument");
	parse_fail("xdp_syn_rate 10 0\n",
		   "t.conf:1: xdp_syn_rate: value '0' out of range (1..100000000)");
	parse_fail(
	    "xdp_allow 10.0.0.1/8\n",
	    "t.conf:1: xdp_allow: invalid CIDR '10.0.0.1/8' (ADDR or ADDR/PREFIX, host bits zero)");
	parse_fail(
	    "xdp_deny 10.0.0.0/33\n",
	    "t.conf:1: xdp_deny: invalid CIDR '10.0.0.0/33' (ADDR or ADDR/PREFIX, host bits zero)");
	parse_fail("xdp_deny 10.0.0.0/8 10.1.0.0/16\n",
		   "t.conf:1: xdp_deny: unexpected argument '10.1.0.0/16'");
	parse_fail("xdp_required maybe\n",
		   "t.conf:1: xdp_required: invalid value 'maybe' (expected true or false)");
	parse_fail("ban_auth_failures 101\n",
		   "t.conf:1: ban_auth_failures: value '101' out of range (0..100)");
	parse_fail("ban_time 0\n", "t.conf:1: ban_time: value '0' out of range (1..31536000)");
	parse_fail("half_dead_timeout 86401\n",
		   "t.conf:1: half_dead_timeout: value '86401' out of range (0..86400)");
}

static void test_bind_interface(void **state)
{
	struct config *cfg = parse_ok("listener 1883\n"
				      "bind_interface eth0\n"
				      "listener 1884 192.0.2.1\n"
				      "bind_interface eth1\n"
				      "listener 1885\n");

	(void)state;
	assert_string_equal(cfg->listeners[0].bind_interface, "eth0");
	assert_null(cfg->listeners[0].bind_address);
	finish_ok(cfg);
	assert_string_equal(cfg->listeners[0].bind_address, "%eth0");
	assert_string_equal(cfg->listeners[1].bind_address, "192.0.2.1%eth1");
	assert_null(cfg->listeners[2].bind_address);
	assert_null(cfg->listeners[2].bind_interface);
	/* idempotent */
	finish_ok(cfg);
	assert_string_equal(cfg->listeners[1].bind_address, "192.0.2.1%eth1");
	config_free(cfg);

	/* before any listener: the default listener's, as Mosquitto */
	cfg = parse_ok("bind_interface lan0\nport 1999\n");
	finish_ok(cfg);
	assert_int_equal(cfg->n_listeners, 1);
	assert_int_equal(cfg->listeners[0].port, 1999);
	assert_string_equal(cfg->listeners[0].bind_address, "%lan0");
	config_free(cfg);

	finish_fail("listener 1883 fe80::1%eth0\nbind_interface eth1\n",
		    "listener 1883 fe80::1%eth0: an address with a %zone and bind_interface: give "
		    "only one");
	parse_fail("listener 1883\nbind_interface a/b\n",
		   "t.conf:2: bind_interface: invalid interface name 'a/b'");
	parse_fail("listener 1883\nbind_interface eth0 eth1\n",
		   "t.conf:2: bind_interface: invalid interface name 'eth0 eth1'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_xdp_defaults),
	    cmocka_unit_test(test_xdp_keys),
	    cmocka_unit_test(test_xdp_errors),
	    cmocka_unit_test(test_bind_interface),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
