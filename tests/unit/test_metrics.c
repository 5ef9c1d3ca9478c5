/* SPDX-License-Identifier: MIT */
/* metrics: the Prometheus text exposition writer and the latency histogram. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static void test_families(void **state)
{
	struct metrics_buf b = {0};

	(void)state;
	metrics_family(&b, "mqttgw_x_total", METRICS_COUNTER, "a \\ help\nline");
	metrics_sample(&b, "mqttgw_x_total", NULL, NULL, 18446744073709551615ull);
	metrics_family(&b, "mqttgw_bridge_queued", METRICS_GAUGE, "g");
	metrics_sample(&b, "mqttgw_bridge_queued", "bridge", "a\"b\\c\nd", 3);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, "# HELP mqttgw_x_total a \\\\ help\\nline\n"
				 "# TYPE mqttgw_x_total counter\n"
				 "mqttgw_x_total 18446744073709551615\n"
				 "# HELP mqttgw_bridge_queued g\n"
				 "# TYPE mqttgw_bridge_queued gauge\n"
				 "mqttgw_bridge_queued{bridge=\"a\\\"b\\\\c\\nd\"} 3\n");
	assert_int_equal(b.len, strlen(b.p));
	metrics_buf_free(&b);
}

static void test_bad_names(void **state)
{
	struct metrics_buf b = {0};

	(void)state;
	assert_true(metrics_name_ok("a:b_c9"));
	assert_false(metrics_name_ok("9a"));
	assert_false(metrics_name_ok("a-b"));
	assert_false(metrics_name_ok(""));
	metrics_sample(&b, "bad name", NULL, NULL, 1);
	assert_int_equal(b.err, -EINVAL);
	metrics_buf_free(&b);
	metrics_sample(&b, "ok", "bad-label", "v", 1);
	assert_int_equal(b.err, -EINVAL);
	metrics_buf_free(&b);
}

static void test_hist(void **state)
{
	struct metrics_hist h = {0};
	struct metrics_buf b = {0};

	(void)state;
	metrics_hist_add(&h, 0);
	metrics_hist_add(&h, 50);	/* le 50 us: inclusive */
	metrics_hist_add(&h, 51);	/* 100 us */
	metrics_hist_add(&h, 2000000);	/* 2.5 s */
	metrics_hist_add(&h, 20000000); /* over 10 s: +Inf only */
	assert_int_equal(h.bucket[0], 2);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[14], 1);
	assert_int_equal(h.bucket[METRICS_HIST_N], 1);
	assert_int_equal(h.count, 5);
	metrics_hist(&b, "d_seconds", &h);
	assert_int_equal(b.err, 0);
	assert_non_null(strstr(b.p, "d_seconds_bucket{le=\"5e-05\"} 2\n"
				    "d_seconds_bucket{le=\"0.0001\"} 3\n"));
	assert_non_null(strstr(b.p, "d_seconds_bucket{le=\"2.5\"} 4\n"
				    "d_seconds_bucket{le=\"10\"} 4\n"
				    "d_seconds_bucket{le=\"+Inf\"} 5\n"
				    "d_seconds_sum 22.000101\n"
				    "d_seconds_count 5\n"));
	metrics_buf_free(&b);
}

static void test_grows(void **state)
{
	struct metrics_buf b = {0};
	char name[32];

	(void)state;
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "m_%d", i);
		metrics_sample(&b, name, NULL, NULL, (uint64_t)i);
	}
	assert_int_equal(b.err, 0);
	assert_non_null(strstr(b.p, "\nm_1999 1999\n"));
	metrics_buf_free(&b);
}

/* the le strings written without printf are what %g makes of the bounds */
static void test_hist_le(void **state)
{
	char g[32];

	(void)state;
	for (unsigned int i = 0; i < METRICS_HIST_N; i++) {
		snprintf(g, sizeof(g), "%g", metrics_hist_bounds_us[i] / 1e6);
		assert_string_equal(metrics_hist_le[i], g);
	}
}

/* _sum is exact microseconds, as %.6f of the seconds wrote it */
static void test_hist_sum(void **state)
{
	static const uint64_t sums[] = {
	    0, 1, 999999, 1000000, 123456789012, 18446744073709551615ull};
	struct metrics_buf b = {0};
	char want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++) {
		struct metrics_hist h = {.sum_us = sums[i]};

		metrics_buf_reset(&b);
		metrics_hist(&b, "h", &h);
		snprintf(want, sizeof(want), "\nh_sum %llu.%06llu\nh_count 0\n",
			 (unsigned long long)(sums[i] / 1000000),
			 (unsigned long long)(sums[i] % 1000000));
		assert_non_null(strstr(b.p, want));
		if (sums[i] < 1000000000000ull) {
			snprintf(want, sizeof(want), "\nh_sum %.6f\n", (double)sums[i] / 1e6);
			assert_non_null(strstr(b.p, want));
		}
	}
	metrics_buf_free(&b);
}

/* a cached layout: text appended as it is, values written after it; reset keeps the memory */
static void test_append_reset(void **state)
{
	struct metrics_buf b = {0};
	char *p;

	(void)state;
	metrics_append(&b, "a_total{x=\"1\"}", 14);
	metrics_value(&b, 0);
	metrics_append(&b, "b", 1);
	metrics_value(&b, 18446744073709551615ull);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, "a_total{x=\"1\"} 0\nb 18446744073709551615\n");
	p = b.p;
	metrics_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.p, p);
	assert_string_equal(b.p, "");
	metrics_sample(&b, "c", NULL, NULL, 7);
	assert_string_equal(b.p, "c 7\n");
	metrics_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_families),	 cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_hist),	 cmocka_unit_test(test_grows),
	    cmocka_unit_test(test_hist_le),	 cmocka_unit_test(test_hist_sum),
	    cmocka_unit_test(test_append_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
