/* SPDX-License-Identifier: MIT */
/* config: the control socket's keys (control_socket, control_socket_mode, _user, _group). */
#include "config_test.h"

static void test_ctl_keys(void **state)
{
	struct config *cfg = parse_ok("");

	(void)state;
	assert_null(cfg->control_socket);
	assert_int_equal(cfg->control_socket_mode, 0660);
	assert_null(cfg->control_socket_user);
	assert_null(cfg->control_socket_group);
	config_free(cfg);
	cfg = parse_ok("control_socket /run/mqttgw/mqttgwd.sock\n"
		       "control_socket_mode 0600 # owner only\n"
		       "control_socket_user nobody\n"
		       "control_socket_group adm\n");
	assert_string_equal(cfg->control_socket, "/run/mqttgw/mqttgwd.sock");
	assert_int_equal(cfg->control_socket_mode, 0600);
	assert_string_equal(cfg->control_socket_user, "nobody");
	assert_string_equal(cfg->control_socket_group, "adm");
	assert_string_equal(config_origin(cfg, NULL, "control_socket_user"), "t.conf:3");
	config_free(cfg);
	/* chmod(1)'s forms: with or without the leading 0 */
	assert_parsed_int("control_socket_mode 660\ncontrol_socket_mode 0\n", control_socket_mode,
			  0);
	assert_parsed_int("control_socket_mode 0777\n", control_socket_mode, 0777);
	parse_fail("control_socket_mode 01000\n",
		   "t.conf:1: control_socket_mode: '01000' is not an octal mode from 0 to 0777");
	parse_fail("control_socket_mode 0680\n",
		   "t.conf:1: control_socket_mode: '0680' is not an octal mode from 0 to 0777");
	parse_fail("control_socket_mode -1\n",
		   "t.conf:1: control_socket_mode: '-1' is not an octal mode from 0 to 0777");
	parse_fail("control_socket_mode\n",
		   "t.conf:1: control_socket_mode: expected an octal mode such as 0660");
	parse_fail("control_socket_mode 0660 0600\n",
		   "t.conf:1: control_socket_mode: unexpected argument '0600'");
	parse_fail("control_socket\n", "t.conf:1: control_socket: missing argument");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ctl_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
