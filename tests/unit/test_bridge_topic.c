// SPDX-License-Identifier: MIT
/* bridge_topic: Mosquitto's remapping table (mosquitto.conf(5)), direction, first match wins. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bridge.h"

static struct config_bridge *mk(const char *const *topics)
{
	char err[256], buf[256];
	struct config_bridge *b = config_bridge_new("c", err, sizeof(err));

	assert_non_null(b);
	snprintf(buf, sizeof(buf), "h");
	assert_int_equal(config_bridge_key(b, "address", buf, err, sizeof(err)), 0);
	for (; *topics; topics++) {
		snprintf(buf, sizeof(buf), "%s", *topics);
		assert_int_equal(config_bridge_key(b, "topic", buf, err, sizeof(err)), 0);
	}
	assert_int_equal(config_bridge_finish(b, "h", err, sizeof(err)), 0);
	return b;
}

static void out_is(const struct config_bridge *b, const char *local, const char *remote, int qos)
{
	char out[128];
	uint8_t q = 9;
	int n = bridge_topic_out(b, local, strlen(local), out, sizeof(out), &q);

	if (!remote) {
		assert_int_equal(n, -ENOENT);
		return;
	}
	assert_int_equal(n, (int)strlen(remote));
	assert_string_equal(out, remote);
	assert_int_equal(q, qos);
}

static void in_is(const struct config_bridge *b, const char *remote, const char *local)
{
	char out[128];
	int n = bridge_topic_in(b, remote, strlen(remote), out, sizeof(out), NULL);

	if (!local) {
		assert_int_equal(n, -ENOENT);
		return;
	}
	assert_string_equal(out, local);
}

static void test_table(void **state)
{
	/* the rows of mosquitto.conf(5)'s table, one line each */
	static const char *const t1[] = {"pattern both 1 L/ R/", NULL};
	static const char *const t2[] = {"pattern both 1 L/ \"\"", NULL};
	static const char *const t3[] = {"pattern both 1 \"\" R/", NULL};
	static const char *const t4[] = {"pattern both 1 \"\" \"\"", NULL};
	static const char *const t5[] = {"\"\" both 2 local remote", NULL};
	struct config_bridge *b;

	(void)state;
	b = mk(t1);
	out_is(b, "L/pattern", "R/pattern", 1);
	in_is(b, "R/pattern", "L/pattern");
	out_is(b, "pattern", NULL, 0);
	config_bridge_free(b);
	b = mk(t2);
	out_is(b, "L/pattern", "pattern", 1);
	in_is(b, "pattern", "L/pattern");
	config_bridge_free(b);
	b = mk(t3);
	out_is(b, "pattern", "R/pattern", 1);
	in_is(b, "R/pattern", "pattern");
	config_bridge_free(b);
	b = mk(t4);
	out_is(b, "pattern", "pattern", 1);
	in_is(b, "pattern", "pattern");
	config_bridge_free(b);
	b = mk(t5);
	out_is(b, "local", "remote", 2);
	in_is(b, "remote", "local");
	out_is(b, "local/x", NULL, 0);
	config_bridge_free(b);
}

static void test_wildcards_and_direction(void **state)
{
	static const char *const t[] = {
	    "sensors/+/temp out 1 site/ cloud/site7/",
	    "cmd/# in 2 local/ cloud/",
	    "# both 0 all/ up/",
	    NULL,
	};
	struct config_bridge *b = mk(t);

	(void)state;
	out_is(b, "site/sensors/a/temp", "cloud/site7/sensors/a/temp", 1);
	out_is(b, "site/sensors/a/hum", NULL, 0);
	/* `in` lines never map outbound, but the `both` line catches its own prefix */
	out_is(b, "local/cmd/x", NULL, 0);
	out_is(b, "all/x/y", "up/x/y", 0);
	in_is(b, "cloud/cmd/reboot", "local/cmd/reboot");
	in_is(b, "cloud/cmd", "local/cmd"); /* "a/#" matches "a" */
	in_is(b, "up/z", "all/z");
	in_is(b, "cloud/site7/sensors/a/temp", NULL); /* out only */
	config_bridge_free(b);
}

static void test_space(void **state)
{
	static const char *const t[] = {"# out 0 \"\" a-long-remote-prefix/", NULL};
	struct config_bridge *b = mk(t);
	char small[8];

	(void)state;
	assert_int_equal(bridge_topic_out(b, "x", 1, small, sizeof(small), NULL), -ENOSPC);
	config_bridge_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_wildcards_and_direction),
	    cmocka_unit_test(test_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
