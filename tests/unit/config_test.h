/* SPDX-License-Identifier: MIT */
/*
 * What the config tests (test_config*.c) share: parse text into a config and check the result
 * or the exact "file:line: reason" message.
 */
#ifndef MQTTGW_TEST_CONFIG_H
#define MQTTGW_TEST_CONFIG_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#define NAME "t.conf"

static char err[1024];

static inline const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static inline const char *fmt(const char *f, ...)
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

static inline int parse_into(struct config *cfg, const char *text, const struct config_source *src)
{
	return config_parse_text(cfg, text, strlen(text), NAME, src, err, sizeof(err));
}

/* A fresh config from text; the parse must succeed. */
static inline struct config *parse_ok(const char *text)
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

/* Parse text (it must parse) and check one integer field of the result. */
#define assert_parsed_int(text, field, want)                                                       \
	do {                                                                                       \
		struct config *cfg_ = parse_ok(text);                                              \
		assert_int_equal(cfg_->field, (want));                                             \
		config_free(cfg_);                                                                 \
	} while (0)

/* The parse must fail with -EINVAL and exactly this message. */
static inline void parse_fail(const char *text, const char *msg)
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

static inline void finish_ok(struct config *cfg)
{
	int rc = config_finish(cfg, err, sizeof(err));

	if (rc)
		fail_msg("config_finish: %d %s", rc, err);
}

static inline void finish_fail(const char *text, const char *msg)
{
	struct config *cfg = parse_ok(text);

	assert_int_equal(config_finish(cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	config_free(cfg);
}

/* A string-valued key and where it is stored (struct config or struct config_listener). */
struct str_key {
	const char *key;
	size_t off;
};

static inline const char *read_str(const void *base, size_t off)
{
	const char *s;

	memcpy(&s, (const char *)base + off, sizeof(s));
	return s;
}

#endif /* MQTTGW_TEST_CONFIG_H */
