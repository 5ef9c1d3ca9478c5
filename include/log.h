/* SPDX-License-Identifier: MIT */
/*
 * log: the daemon's one logging sink (L1). Types are Mosquitto's log_type names, as the
 * CONFIG_LOG_* bits of config.h. L0 modules never log; the boundary that sees an error logs
 * it once, naming `client=` and `peer=` where there is one.
 */
#ifndef MQTTGW_LOG_H
#define MQTTGW_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Apply log_dest/log_type/log_timestamp of cfg. Before log_init, errors go to stderr. */
int log_init(const struct config *cfg);
void log_fini(void);
/* Raise verbosity (-v): every type is logged. */
void log_set_verbose(int verbose);
/* mqttgwctl log-level: log exactly these CONFIG_LOG_* types from now on (-v ends too) until
 * the next log_init (a SIGHUP restores the configured log_type). */
void log_set_types(uint32_t types);
/* The CONFIG_LOG_* types logged now. */
uint32_t log_types(void);
/* True if messages of this type are currently logged (to skip building expensive ones). */
int log_enabled(uint32_t type);

/*
 * `log_dest topic`: fn(ctx, type, line, len) gets each logged line (with its timestamp) of
 * every type but debug, while log_dest has topic; the broker publishes it on
 * $SYS/broker/log/... (fn NULL: none). A line logged while fn runs is not given to fn again.
 */
void log_set_topic_hook(void (*fn)(void *ctx, uint32_t type, const char *line, size_t len),
			void *ctx);

void log_msg(uint32_t type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(uint32_t type, const char *fmt, va_list ap);

/*
 * Rate-limited variant: at most `burst` lines per `interval` seconds per call site; the
 * number suppressed is reported on the next line that gets through.
 */
struct log_ratelimit {
	int64_t window_start;
	uint32_t in_window;
	uint32_t suppressed;
};
void log_msg_rl(struct log_ratelimit *rl, uint32_t type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...) log_msg(CONFIG_LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(CONFIG_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(CONFIG_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(CONFIG_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(CONFIG_LOG_DEBUG, __VA_ARGS__)

/* Once-per-call-site, rate-limited info line (10 per 10 s). */
#define log_info_rl(...)                                                                     \
	do {                                                                                 \
		static struct log_ratelimit rl_;                                             \
		log_msg_rl(&rl_, CONFIG_LOG_INFO, __VA_ARGS__);                              \
	} while (0)

#endif /* MQTTGW_LOG_H */
