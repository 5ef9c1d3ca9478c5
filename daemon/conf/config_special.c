/* SPDX-License-Identifier: MIT */
/* config: the keys that need more than a store (CK_SPECIAL rows of config_keys[]). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* ---- special keys ---- */

/*
 * use_another_server / server_moved REF [REF...]: the MQTT 5 Server Reference sent with
 * CONNACK/DISCONNECT 0x9C/0x9D (4.11). Its format is the spec's example: space-separated
 * references (host, host:port, [ipv6]:port), each without spaces, in preference order. Kept
 * normalised (single spaces) and short enough for a CONNACK of any sane Maximum Packet Size.
 */
/* fastpath_flow_rates HIGH LOW: the fast path's per-flow policy marks, frames/s. */
int config_key_fastpath_flow_rates(struct config_parse *ps, const struct config_key *k, char *args)
{
	char *hi_tok = config_next_token(&args), *lo_tok = config_next_token(&args);
	uint64_t hi, lo;
	int rc;

	if (config_no_value(hi_tok) || config_no_value(lo_tok))
		return config_perr(ps, "%s: expected HIGH LOW (frames/s)", k->name);
	if (!config_no_value(args))
		return config_perr(ps, "%s: unexpected argument '%.*s'", k->name,
				   config_tok_len(args), args);
	rc = config_parse_number(ps, k->name, hi_tok, 0, UINT32_MAX, &hi);
	if (!rc)
		rc = config_parse_number(ps, k->name, lo_tok, 0, UINT32_MAX, &lo);
	if (rc)
		return rc;
	if (lo > hi)
		return config_perr(ps, "%s: LOW %llu is above HIGH %llu", k->name,
				   (unsigned long long)lo, (unsigned long long)hi);
	ps->cfg->fastpath_rate_high = (uint32_t)hi;
	ps->cfg->fastpath_rate_low = (uint32_t)lo;
	return 0;
}

/* control_socket_mode MODE: octal as chmod(1) takes it (0660, 660); permission bits only. */
int config_key_control_socket_mode(struct config_parse *ps, const struct config_key *k, char *args)
{
	char *tok = config_next_token(&args), *end;
	unsigned long v;

	if (config_no_value(tok))
		return config_perr(ps, "%s: expected an octal mode such as 0660", k->name);
	if (!config_no_value(args))
		return config_perr(ps, "%s: unexpected argument '%.*s'", k->name,
				   config_tok_len(args), args);
	errno = 0;
	v = strtoul(tok, &end, 8);
	if (errno || *end || end == tok || *tok == '-' || *tok == '+' || v > 0777)
		return config_perr(ps, "%s: '%s' is not an octal mode from 0 to 0777", k->name,
				   tok);
	ps->cfg->control_socket_mode = (uint32_t)v;
	return 0;
}

int config_key_server_ref(struct config_parse *ps, const struct config_key *k, char *args)
{
	char buf[CONFIG_MAX_SERVER_REF + 1], **slot;
	size_t n = 0;
	int rc;

	if (config_no_value(args))
		return config_perr(ps, "%s: missing argument", k->name);
	while (*args) {
		char *tok = config_next_token(&args);
		size_t len = strlen(tok);

		rc = config_check_string(ps, k->name, tok);
		if (rc)
			return rc;
		if (n + !!n + len > CONFIG_MAX_SERVER_REF)
			return config_perr(ps, "%s: server reference too long (max %d bytes)",
					   k->name, CONFIG_MAX_SERVER_REF);
		if (n)
			buf[n++] = ' ';
		memcpy(buf + n, tok, len);
		n += len;
	}
	buf[n] = '\0';
	slot = !strcmp(k->name, "server_moved") ? &ps->cfg->server_moved
						: &ps->cfg->use_another_server;
	if (config_store_string(slot, buf))
		return config_perr_nomem(ps);
	return 0;
}

int config_key_include_dir(struct config_parse *ps, const struct config_key *k, char *args)
{
	char where[256];
	int rc;

	if (config_no_value(args))
		return config_perr(ps, "%s: missing argument", k->name);
	rc = config_check_string(ps, k->name, args);
	if (rc)
		return rc;
	if (!ps->src)
		return config_perr(ps, "%s is only allowed in the main configuration file",
				   k->name);
	snprintf(where, sizeof(where), "%s:%lu", ps->name, ps->line);
	config_sanitize(where);
	rc = config_include_dir(ps->cfg, ps->src, where, args, ps->err, ps->errlen);
	if (!rc)
		return 0;
	return rc == -ENOMEM ? -ENOMEM : -EINVAL;
}

/* log_dest stderr|stdout|syslog|topic|none|file PATH ...: repeats add, `none` clears. */
int config_key_log_dest(struct config_parse *ps, const struct config_key *k, char *args)
{
	/* clang-format off */
	static const struct ck_value dests[] = {
		{ "stderr", CONFIG_LOG_DEST_STDERR }, { "stdout", CONFIG_LOG_DEST_STDOUT },
		{ "syslog", CONFIG_LOG_DEST_SYSLOG }, { "topic", CONFIG_LOG_DEST_TOPIC },
		{ NULL, 0 },
	};
	/* clang-format on */
	struct config *cfg = ps->cfg;
	char *tok;
	int i, rc;

	if (config_no_value(args))
		return config_perr(ps, "%s: missing argument", k->name);
	if (!(cfg->parse_seen & SEEN_LOG_DEST)) {
		cfg->log_dest = 0;
		cfg->parse_seen |= SEEN_LOG_DEST;
	}
	while (*(tok = config_next_token(&args)) && *tok != '#') {
		if (!strcmp(tok, "none")) {
			cfg->log_dest = 0;
			free(cfg->log_file);
			cfg->log_file = NULL;
			continue;
		}
		if (!strcmp(tok, "file")) {
			/* the path is the rest of the line, as in Mosquitto */
			if (config_no_value(args))
				return config_perr(ps, "%s: file: missing path", k->name);
			rc = config_check_string(ps, k->name, args);
			if (rc)
				return rc;
			if (config_store_string(&cfg->log_file, args))
				return config_perr_nomem(ps);
			cfg->log_dest |= CONFIG_LOG_DEST_FILE;
			return 0;
		}
		if (!strcmp(tok, "dlt"))
			return config_perr(ps, "%s: 'dlt' is not supported by mqttgw yet", k->name);
		for (i = 0; dests[i].name && strcmp(tok, dests[i].name); i++)
			;
		if (!dests[i].name)
			return config_perr(
			    ps,
			    "%s: invalid value '%.*s' (expected stderr, stdout, syslog, "
			    "topic, file PATH or none)",
			    k->name, CONFIG_ERR_TOKEN, tok);
		cfg->log_dest |= (uint32_t)dests[i].value;
	}
	return 0;
}

/* log_type error|warning|notice|information|debug|subscribe|unsubscribe|websockets|none|all */
int config_key_log_type(struct config_parse *ps, const struct config_key *k, char *args)
{
	/* clang-format off */
	static const struct ck_value types[] = {
		{ "error", CONFIG_LOG_ERR },
		{ "warning", CONFIG_LOG_WARNING },
		{ "notice", CONFIG_LOG_NOTICE },
		{ "information", CONFIG_LOG_INFO },
		{ "debug", CONFIG_LOG_DEBUG },
		{ "subscribe", CONFIG_LOG_SUBSCRIBE },
		{ "unsubscribe", CONFIG_LOG_UNSUBSCRIBE },
		{ "websockets", CONFIG_LOG_WEBSOCKETS },
		{ "all", CONFIG_LOG_ALL },
		{ "none", 0 },
		{ NULL, 0 },
	};
	/* clang-format on */
	struct config *cfg = ps->cfg;
	char *tok, list[160];
	int i;

	if (config_no_value(args))
		return config_perr(ps, "%s: missing argument", k->name);
	if (!(cfg->parse_seen & SEEN_LOG_TYPE)) {
		cfg->log_type = 0;
		cfg->parse_seen |= SEEN_LOG_TYPE;
	}
	while (*(tok = config_next_token(&args)) && *tok != '#') {
		for (i = 0; types[i].name && strcmp(tok, types[i].name); i++)
			;
		if (!types[i].name) {
			config_values_list(types, list, sizeof(list));
			return config_perr(ps, "%s: invalid value '%.*s' (expected %s)", k->name,
					   CONFIG_ERR_TOKEN, tok, list);
		}
		if (!types[i].value)
			cfg->log_type = 0;
		else
			cfg->log_type |= (uint32_t)types[i].value;
	}
	return 0;
}

/*
 * max_topic_alias N / allow_zero_length_clientid BOOL: global (every listener), but in a listener
 * block Mosquitto makes max_topic_alias that listener's, and allow_zero_length_clientid too under
 * per_listener_settings (the broker reads the listener's value, -1: the global one).
 */
int config_key_listener_setting(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	bool alias = !strcmp(k->name, "max_topic_alias"), b = false;
	struct config_listener *l = ps->cur >= 0 ? &cfg->listeners[ps->cur] : NULL;
	uint64_t n = 0;
	char *tok;
	int rc;

	rc = config_one_token(ps, k, args, &tok);
	if (!rc)
		rc = alias ? config_parse_number(ps, k->name, tok, 0, UINT16_MAX, &n)
			   : config_parse_bool(ps, k->name, tok, &b);
	if (rc)
		return rc;
	if (!alias) {
		cfg->parse_seen |= SEEN_SECURITY;
		if (!cfg->per_listener_settings)
			l = NULL;
	}
	if (!l) {
		if (alias)
			cfg->max_topic_alias = (uint16_t)n;
		else
			cfg->allow_zero_length_clientid = b;
		return 0;
	}
	if (alias) {
		l->max_topic_alias = (int)n;
		return 0;
	}
	l->allow_zero_length_clientid = b;
	return 0;
}

/* per_listener_settings true|false: like Mosquitto, only before any security key, and once
 * true it stays true (a later `false` is refused rather than ignored). */
int config_key_per_listener(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	char *tok;
	bool v = false;
	int rc;

	rc = config_one_token(ps, k, args, &tok);
	if (!rc)
		rc = config_parse_bool(ps, k->name, tok, &v);
	if (rc)
		return rc;
	if (v == cfg->per_listener_settings)
		return 0;
	if (!v)
		return config_perr(ps, "%s: cannot be set back to false", k->name);
	if (cfg->parse_seen & SEEN_SECURITY)
		return config_perr(ps,
				   "%s must come before allow_anonymous, password_file, acl_file, "
				   "scram_password_file and allow_zero_length_clientid",
				   k->name);
	cfg->per_listener_settings = true;
	return 0;
}
