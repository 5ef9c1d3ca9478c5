/* SPDX-License-Identifier: MIT */
/* log: Mosquitto-style log lines to stderr/stdout/syslog/file. See include/log.h. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static struct {
	uint32_t dest;
	uint32_t types;
	int timestamp;
	char ts_format[128]; /* log_timestamp_format; "" = seconds since the epoch */
	int facility;
	FILE *file;
	int verbose;
	void (*topic_fn)(void *ctx, uint32_t type, const char *line, size_t len);
	void *topic_ctx;
	int in_topic; /* topic_fn is running: what it logs is not published again */
} lg = { .dest = CONFIG_LOG_DEST_STDERR, .types = CONFIG_LOG_DEFAULT, .timestamp = 1,
	  .facility = LOG_DAEMON };

int log_init(const struct config *cfg)
{
	log_fini();
	lg.dest = cfg->log_dest;
	lg.types = cfg->log_type;
	lg.timestamp = cfg->log_timestamp;
	snprintf(lg.ts_format, sizeof(lg.ts_format), "%s",
		 cfg->log_timestamp_format ? cfg->log_timestamp_format : "");
	/* Mosquitto's log_facility N is LOG_LOCALN */
	lg.facility = cfg->log_facility >= 0 ? LOG_LOCAL0 + (cfg->log_facility << 3) : LOG_DAEMON;
	if ((lg.dest & CONFIG_LOG_DEST_FILE) && cfg->log_file) {
		lg.file = fopen(cfg->log_file, "a");
		if (!lg.file) {
			lg.dest |= CONFIG_LOG_DEST_STDERR;
			log_err("Error: unable to open log file %s: %m", cfg->log_file);
		} else {
			setvbuf(lg.file, NULL, _IOLBF, 0);
		}
	}
	if (lg.dest & CONFIG_LOG_DEST_SYSLOG)
		openlog("mqttgwd", LOG_PID, lg.facility);
	return 0;
}

void log_fini(void)
{
	if (lg.file) {
		fclose(lg.file);
		lg.file = NULL;
	}
	if (lg.dest & CONFIG_LOG_DEST_SYSLOG)
		closelog();
}

void log_set_verbose(int verbose)
{
	lg.verbose = verbose;
}

void log_set_types(uint32_t types)
{
	lg.types = types;
	lg.verbose = 0;
}

uint32_t log_types(void)
{
	return lg.verbose ? CONFIG_LOG_ALL : lg.types;
}

int log_enabled(uint32_t type)
{
	return lg.verbose || (lg.types & type);
}

void log_set_topic_hook(void (*fn)(void *ctx, uint32_t type, const char *line, size_t len),
			void *ctx)
{
	lg.topic_fn = fn;
	lg.topic_ctx = ctx;
}

static int syslog_prio(uint32_t type)
{
	switch (type) {
	case CONFIG_LOG_ERR:
		return LOG_ERR;
	case CONFIG_LOG_WARNING:
		return LOG_WARNING;
	case CONFIG_LOG_NOTICE:
		return LOG_NOTICE;
	case CONFIG_LOG_DEBUG:
		return LOG_DEBUG;
	default:
		return LOG_INFO;
	}
}

void log_vmsg(uint32_t type, const char *fmt, va_list ap)
{
	char line[1024];
	int off = 0;

	if (!log_enabled(type) || !lg.dest)
		return;
	if (lg.timestamp && lg.ts_format[0]) {
		time_t now = time(NULL);
		struct tm tm;

		off = (int)strftime(line, sizeof(line) - 2, lg.ts_format,
				    localtime_r(&now, &tm));
		line[off++] = ':';
		line[off++] = ' ';
	} else if (lg.timestamp) {
		off = snprintf(line, sizeof(line), "%lld: ", (long long)time(NULL));
	}
	vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	if (lg.dest & CONFIG_LOG_DEST_STDERR)
		fprintf(stderr, "%s\n", line);
	if (lg.dest & CONFIG_LOG_DEST_STDOUT) {
		fprintf(stdout, "%s\n", line);
		fflush(stdout);
	}
	if (lg.file)
		fprintf(lg.file, "%s\n", line);
	if (lg.dest & CONFIG_LOG_DEST_SYSLOG)
		syslog(syslog_prio(type), "%s", line + off);
	/* debug lines are not published (Mosquitto): delivering one would log another */
	if ((lg.dest & CONFIG_LOG_DEST_TOPIC) && lg.topic_fn && !lg.in_topic &&
	    type != CONFIG_LOG_DEBUG) {
		lg.in_topic = 1;
		lg.topic_fn(lg.topic_ctx, type, line, strlen(line));
		lg.in_topic = 0;
	}
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
	int64_t now = (int64_t)time(NULL);
	va_list ap;

	if (now - rl->window_start >= 10) {
		if (rl->suppressed)
			log_msg(type, "(%u similar messages suppressed)", rl->suppressed);
		rl->window_start = now;
		rl->in_window = 0;
		rl->suppressed = 0;
	}
	if (++rl->in_window > 10) {
		rl->suppressed++;
		return;
	}
	va_start(ap, fmt);
	log_vmsg(type, fmt, ap);
	va_end(ap);
}
