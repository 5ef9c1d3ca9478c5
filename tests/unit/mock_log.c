/* SPDX-License-Identifier: MIT */
/* Unit-test stand-in for daemon/log.c: log lines go to stderr only when MQTTGW_TEST_LOG is set. */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

int log_init(const struct config *cfg)
{
	(void)cfg;
	return 0;
}

void log_fini(void)
{
}

void log_set_verbose(int verbose)
{
	(void)verbose;
}

void log_set_topic_hook(void (*fn)(void *ctx, uint32_t type, const char *line, size_t len),
			void *ctx)
{
	(void)fn;
	(void)ctx;
}

void log_set_types(uint32_t types)
{
	(void)types;
}

uint32_t log_types(void)
{
	return 0;
}

int log_enabled(uint32_t type)
{
	(void)type;
	return getenv("MQTTGW_TEST_LOG") != NULL;
}

void log_vmsg(uint32_t type, const char *fmt, va_list ap)
{
	if (!log_enabled(type))
		return;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(uint32_t type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(type, fmt, ap);
	va_end(ap);
}

void log_msg_rl(struct log_ratelimit *rl, uint32_t type, const char *fmt, ...)
{
	va_list ap;

	(void)rl;
	va_start(ap, fmt);
	log_vmsg(type, fmt, ap);
	va_end(ap);
}
