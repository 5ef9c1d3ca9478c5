// SPDX-License-Identifier: MIT
/*
 * fpstatus unit tests: the in-kernel fraction (rounding, the empty base, no overflow at
 * 64-bit counts) and the report, text and JSON, for every state. The JSON is checked by
 * field, the text by line; a report that does not fit is -ENOSPC, never a truncated one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fpstatus.h"

#define NS 1000000000ull

static void fill_active(struct fpstatus *st)
{
	memset(st, 0, sizeof(*st));
	st->state = FPSTATUS_ACTIVE;
	st->pin_dir = "/sys/fs/bpf/mqttgw";
	st->meta.magic = FP_META_MAGIC;
	st->meta.pid = 4242;
	st->meta.mode = FP_META_MODE_ON;
	st->meta.start_boot_ns = 100 * NS;
	st->now_boot_ns = 100 * NS + (86400 + 3 * 3600 + 4 * 60 + 5) * NS;
	st->meta.ports[0] = 1883;
	st->meta.ports[1] = 8883;
	st->meta.n_listeners = 2;
	st->meta.sockets = 7;
	st->meta.routes = 3;
	st->meta.flows_kernel = 2;
	st->meta.flows_daemon = 1;
	st->meta.to_daemon = 4;
	st->meta.to_kernel = 5;
	st->meta.writes_held = 6;
	st->meta.daemon_frames = 25;
	memcpy(st->meta.version, "0.1.0", 6);
	st->ctr[FP_CTR_REDIR_SKBS] = 60;
	st->ctr[FP_CTR_REDIR_FRAMES] = 75;
	st->ctr[FP_CTR_REDIR_BYTES] = 1500;
	st->ctr[FP_CTR_OVER_BUDGET] = 2;
	st->ctr[FP_CTR_DUP_SKBS] = 1;
	st->ctr[FP_CTR_DUP_BYTES] = 99;
	st->ctr[FP_CTR_PASS_SKBS + FP_PASS_NO_ROUTE] = 10;
	st->ctr[FP_CTR_PASS_BYTES + FP_PASS_NO_ROUTE] = 400;
	st->ctr[FP_CTR_PASS_SKBS + FP_PASS_BUDGET] = 2;
	st->ctr[FP_CTR_PASS_FRAMES + FP_PASS_BUDGET] = 3;
	st->ctr[FP_CTR_PASS_BYTES + FP_PASS_BUDGET] = 60;
}

static void test_fraction(void **state)
{
	uint32_t ppm = 0;

	(void)state;
	assert_int_equal(fpstatus_fraction(0, 0, &ppm), -EDOM);
	assert_int_equal(fpstatus_fraction(75, 25, &ppm), 0);
	assert_int_equal(ppm, 750000);
	assert_int_equal(fpstatus_fraction(0, 9, &ppm), 0);
	assert_int_equal(ppm, 0);
	assert_int_equal(fpstatus_fraction(9, 0, &ppm), 0);
	assert_int_equal(ppm, 1000000);
	/* rounded to the nearest ppm: 2/3 = 666666.67 */
	assert_int_equal(fpstatus_fraction(2, 1, &ppm), 0);
	assert_int_equal(ppm, 666667);
	/* 1 in 3 million: 0.33 ppm rounds down, 2 in 3 million up */
	assert_int_equal(fpstatus_fraction(1, 2999999, &ppm), 0);
	assert_int_equal(ppm, 0);
	assert_int_equal(fpstatus_fraction(2, 2999998, &ppm), 0);
	assert_int_equal(ppm, 1);
	/* counters near 2^64 neither overflow the product nor the sum */
	assert_int_equal(fpstatus_fraction(UINT64_MAX, UINT64_MAX, &ppm), 0);
	assert_int_equal(ppm, 500000);
	assert_int_equal(fpstatus_fraction(UINT64_MAX, 0, &ppm), 0);
	assert_int_equal(ppm, 1000000);
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(fpstatus_reason_name(FP_PASS_EMPTY), "empty");
	assert_string_equal(fpstatus_reason_name(FP_PASS_NO_ROUTE), "no_route");
	assert_string_equal(fpstatus_reason_name(FP_PASS_NO_TARGET), "no_target");
	assert_string_equal(fpstatus_reason_name(FP_PASS_NR), "unknown");
	for (unsigned int i = 0; i < FP_PASS_NR; i++)
		assert_string_not_equal(fpstatus_reason_name(i), "unknown");
}

static void test_text_active(void **state)
{
	struct fpstatus st;
	char buf[4096];
	int n;

	(void)state;
	fill_active(&st);
	n = fpstatus_format(&st, false, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "mqttgwd fast path: active\n"));
	assert_non_null(strstr(buf, "  pin dir      /sys/fs/bpf/mqttgw\n"));
	assert_non_null(strstr(buf, "  daemon       pid 4242, version 0.1.0, fastpath on, "
				    "up 1d 03:04:05\n"));
	assert_non_null(strstr(buf, "  listeners    1883 8883\n"));
	assert_non_null(strstr(buf, "  sockets      7 in the fast path\n"));
	assert_non_null(strstr(buf, "  routes       3 cached\n"));
	assert_non_null(
	    strstr(buf, "  flows        2 on the kernel path, 1 on the daemon's path\n"));
	assert_non_null(strstr(buf, "  handovers    4 to the daemon, 5 to the kernel\n"));
	assert_non_null(strstr(buf, "  redirected   75 frames in 60 skbs, 1500 bytes\n"));
	assert_non_null(strstr(buf, "  in kernel    75.00% of QoS 0 PUBLISH frames from fast-path "
				    "sockets (75 kernel, 25 daemon)\n"));
	assert_non_null(strstr(buf, "  passed       12 skbs, 3 frames, 460 bytes to the daemon\n"));
	/* reasons with skbs only, in enum order */
	assert_non_null(strstr(buf, "    no_route     10 skbs, 0 frames, 400 bytes\n"
				    "    budget       2 skbs, 3 frames, 60 bytes\n"));
	assert_null(strstr(buf, "    qos "));
	assert_non_null(strstr(buf, "  over budget  2 skbs\n"));
	assert_non_null(strstr(buf, "  duplicates   1 skbs, 99 bytes cut\n"));
	assert_non_null(strstr(buf, "  writes held  6\n"));
}

static void test_text_fraction_undefined(void **state)
{
	struct fpstatus st;
	char buf[4096];

	(void)state;
	fill_active(&st);
	st.ctr[FP_CTR_REDIR_FRAMES] = 0;
	st.meta.daemon_frames = 0;
	st.meta.mode = FP_META_MODE_AUTO;
	st.meta.n_listeners = 6;
	for (int i = 0; i < FP_META_PORTS; i++)
		st.meta.ports[i] = (uint16_t)(1000 + i);
	assert_true(fpstatus_format(&st, false, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "  in kernel    n/a of QoS 0 PUBLISH"));
	assert_non_null(strstr(buf, "fastpath auto,"));
	assert_non_null(strstr(buf, "  listeners    1000 1001 1002 1003 (+2 more)\n"));
}

static void test_text_other_states(void **state)
{
	struct fpstatus st = {.pin_dir = "/p"};
	char buf[512];

	(void)state;
	st.state = FPSTATUS_ABSENT;
	st.detail = "no pins in /p";
	assert_true(fpstatus_format(&st, false, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "mqttgwd fast path: not found: no pins in /p\n");
	st.state = FPSTATUS_STALE;
	st.meta.pid = 77;
	assert_true(fpstatus_format(&st, false, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "mqttgwd fast path: not found: stale pins in /p (pid 77 is not "
				 "running any more); the next daemon start replaces them\n");
	st.state = FPSTATUS_ERROR;
	st.detail = "Operation not permitted";
	assert_true(fpstatus_format(&st, false, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "mqttgwd fast path: cannot read the pins in /p: Operation not "
				 "permitted\n");
}

static void test_json_active(void **state)
{
	struct fpstatus st;
	char buf[4096];
	int n;

	(void)state;
	fill_active(&st);
	st.meta.start_real = 1700000000;
	n = fpstatus_format(&st, true, buf, sizeof(buf));
	assert_true(n > 0);
	/* one line */
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', (size_t)n - 1));
	assert_true(
	    !strncmp(buf,
		     "{\"state\":\"active\",\"pin_dir\":\"/sys/fs/bpf/mqttgw\","
		     "\"pid\":4242,\"version\":\"0.1.0\",\"mode\":\"on\","
		     "\"started\":1700000000,\"uptime_s\":97445,\"ports\":[1883,8883],"
		     "\"sockets\":7,\"routes\":3,\"flows_kernel\":2,\"flows_daemon\":1,",
		     strlen("{\"state\":\"active\",\"pin_dir\":\"/sys/fs/bpf/mqttgw\","
			    "\"pid\":4242,\"version\":\"0.1.0\",\"mode\":\"on\","
			    "\"started\":1700000000,\"uptime_s\":97445,\"ports\":[1883,8883],"
			    "\"sockets\":7,\"routes\":3,\"flows_kernel\":2,\"flows_daemon\":1,")));
	assert_non_null(strstr(buf, "\"redirected_skbs\":60,\"redirected_frames\":75,"
				    "\"redirected_bytes\":1500,\"daemon_frames\":25,"
				    "\"in_kernel_fraction\":0.750000,"));
	assert_non_null(
	    strstr(buf, "\"passed_skbs\":12,\"passed_frames\":3,\"passed_bytes\":460,"));
	assert_non_null(
	    strstr(buf, "\"passed\":{\"empty\":{\"skbs\":0,\"frames\":0,\"bytes\":0},"));
	assert_non_null(strstr(buf, "\"no_route\":{\"skbs\":10,\"frames\":0,\"bytes\":400}"));
	assert_non_null(strstr(buf, "\"no_target\":{\"skbs\":0,\"frames\":0,\"bytes\":0}}}\n"));
	assert_non_null(strstr(buf, "\"over_budget_skbs\":2,\"duplicates_skbs\":1,"
				    "\"duplicates_bytes\":99,"));
	st.ctr[FP_CTR_REDIR_FRAMES] = 0;
	st.meta.daemon_frames = 0;
	assert_true(fpstatus_format(&st, true, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"in_kernel_fraction\":null,"));
	st.meta.daemon_frames = 1;
	st.ctr[FP_CTR_REDIR_FRAMES] = 1;
	assert_true(fpstatus_format(&st, true, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"in_kernel_fraction\":0.500000,"));
	st.meta.daemon_frames = 0;
	assert_true(fpstatus_format(&st, true, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"in_kernel_fraction\":1.000000,"));
}

static void test_json_escapes_and_untrusted_version(void **state)
{
	struct fpstatus st;
	char buf[4096];

	(void)state;
	fill_active(&st);
	st.pin_dir = "/a\"b\\c\n";
	/* a version field without its NUL (another process wrote it) */
	memset(st.meta.version, 'v', sizeof(st.meta.version));
	assert_true(fpstatus_format(&st, true, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"pin_dir\":\"/a\\\"b\\\\c\\u000a\","));
	assert_non_null(strstr(buf, "\"version\":\"vvvvvvvvvvvvvvvv\","));
	st.meta.mode = 9;
	assert_true(fpstatus_format(&st, true, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"mode\":\"unknown\""));
}

static void test_json_other_states(void **state)
{
	struct fpstatus st = {.pin_dir = "/p"};
	char buf[512];

	(void)state;
	st.state = FPSTATUS_ABSENT;
	st.detail = "no pins in /p";
	assert_true(fpstatus_format(&st, true, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"state\":\"absent\",\"pin_dir\":\"/p\",\"detail\":\"no pins in "
				 "/p\"}\n");
	st.state = FPSTATUS_STALE;
	st.meta.pid = 77;
	st.meta.mode = FP_META_MODE_AUTO;
	st.meta.start_real = 5;
	memcpy(st.meta.version, "1.2", 4);
	assert_true(fpstatus_format(&st, true, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"state\":\"stale\",\"pin_dir\":\"/p\",\"pid\":77,\"version\":"
				 "\"1.2\",\"mode\":\"auto\",\"started\":5}\n");
	st.state = FPSTATUS_ERROR;
	st.detail = NULL;
	assert_true(fpstatus_format(&st, true, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"state\":\"error\",\"pin_dir\":\"/p\",\"detail\":\"\"}\n");
}

static void test_no_space(void **state)
{
	struct fpstatus st;
	char buf[4096];
	int n;

	(void)state;
	fill_active(&st);
	for (int json = 0; json < 2; json++) {
		n = fpstatus_format(&st, json, buf, sizeof(buf));
		assert_true(n > 0);
		/* exactly enough (with the NUL) fits; one byte less does not */
		assert_int_equal(fpstatus_format(&st, json, buf, (size_t)n + 1), n);
		assert_int_equal(fpstatus_format(&st, json, buf, (size_t)n), -ENOSPC);
		assert_int_equal(fpstatus_format(&st, json, buf, 10), -ENOSPC);
		assert_int_equal(fpstatus_format(&st, json, buf, 0), -ENOSPC);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fraction),
	    cmocka_unit_test(test_reason_names),
	    cmocka_unit_test(test_text_active),
	    cmocka_unit_test(test_text_fraction_undefined),
	    cmocka_unit_test(test_text_other_states),
	    cmocka_unit_test(test_json_active),
	    cmocka_unit_test(test_json_escapes_and_untrusted_version),
	    cmocka_unit_test(test_json_other_states),
	    cmocka_unit_test(test_no_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
