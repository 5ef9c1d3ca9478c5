/* SPDX-License-Identifier: MIT */
/*
 * config: Mosquitto-compatible configuration text -> struct config (L0).
 *
 * Every key is one row of config_keys[]: how its value is parsed (type), where it is stored
 * (scope and offset) and its limits. Keys that need more than a store are CK_SPECIAL rows with
 * a handler. Mosquitto keys mqttgw does not implement yet are CK_UNSUPPORTED rows, so that a
 * migrated config fails loudly instead of silently losing a setting; supporting one later is
 * turning its row into a real one.
 *
 * The parser is pure (no I/O, no logging): files, include_dir's too, come through a struct
 * config_source; config_load() (config_load.c, L1) is the one that reads the file system.
 * This file: the key table, the generic keys and the parse loop; config_lex.c: errors and
 * values; config_listener.c: listeners and config_finish(); config_special.c: keys with their
 * own handler; config_files.c: include_dir.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_int.h"

/* Tables read better aligned by hand. */
/* clang-format off */
#define FSIZE(type, f) sizeof(((type *)0)->f)
#define G(f) CS_GLOBAL, offsetof(struct config, f), 0, FSIZE(struct config, f)
#define L(f) CS_LISTENER, 0, offsetof(struct config_listener, f), FSIZE(struct config_listener, f)
#define LB(f)                                                                                    \
	CS_LISTENER_BLOCK, 0, offsetof(struct config_listener, f), FSIZE(struct config_listener, f)
#define BG(f)                                                                                    \
	CS_BLOCK_OR_GLOBAL, offsetof(struct config, f), offsetof(struct config_listener, f),       \
		FSIZE(struct config, f)
#define SEC(f)                                                                                   \
	CS_SECURITY, offsetof(struct config, f), offsetof(struct config_listener, f),              \
		FSIZE(struct config, f)
#define SECG(f) CS_SECURITY_GLOBAL, offsetof(struct config, f), 0, FSIZE(struct config, f)

#define BOOL(k, where) { k, CK_BOOL, where, 0, 0, NULL, NULL, NULL }
#define TRIBOOL(k, where) { k, CK_TRIBOOL, where, 0, 0, NULL, NULL, NULL }
#define NUM(k, where, lo, hi) { k, CK_NUM, where, lo, hi, NULL, NULL, NULL }
#define STR(k, where) { k, CK_STRING, where, 0, 0, NULL, NULL, NULL }
#define STRV(k, where, vals) { k, CK_STRING, where, 0, 0, vals, NULL, NULL }
#define STRC(k, where, chk) { k, CK_STRING, where, 0, 0, NULL, NULL, chk }
#define ENUM(k, where, vals) { k, CK_ENUM, where, 0, 0, vals, NULL, NULL }
#define DURATION(k, where) { k, CK_DURATION, where, 0, 0, NULL, NULL, NULL }
#define SPECIAL(k, fn) { k, CK_SPECIAL, CS_NONE, 0, 0, 0, 0, 0, NULL, fn, NULL }
#define UNSUP(k) { k, CK_UNSUPPORTED, CS_NONE, 0, 0, 0, 0, 0, NULL, NULL, NULL }

/* Keys stored in both structs must have one type. */
_Static_assert(FSIZE(struct config, max_connections) ==
		       FSIZE(struct config_listener, max_connections),
	       "max_connections");
_Static_assert(FSIZE(struct config, allow_anonymous) ==
		       FSIZE(struct config_listener, allow_anonymous),
	       "allow_anonymous");
_Static_assert(sizeof(enum config_protocol) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_fastpath) == sizeof(int), "enum size");

/* clang-format on */

/* clang-format off */
static const struct ck_value protocol_values[] = {
	{ "mqtt", CONFIG_PROTO_MQTT },
	{ "websockets", CONFIG_PROTO_WEBSOCKETS },
	{ NULL, 0 },
};

static const struct ck_value fastpath_values[] = {
	{ "auto", CONFIG_FASTPATH_AUTO },
	{ "on", CONFIG_FASTPATH_ON },
	{ "off", CONFIG_FASTPATH_OFF },
	{ NULL, 0 },
};

static const struct ck_value persistence_sync_values[] = {
	{ "full", CONFIG_PSYNC_FULL },
	{ "normal", CONFIG_PSYNC_NORMAL },
	{ NULL, 0 },
};

static const struct ck_value share_strategy_values[] = {
	{ "round_robin", CONFIG_SHARE_ROUND_ROBIN },
	{ "random", CONFIG_SHARE_RANDOM },
	{ "sticky", CONFIG_SHARE_STICKY },
	{ "hash_topic", CONFIG_SHARE_HASH_TOPIC },
	{ NULL, 0 },
};

static const struct ck_value socket_domain_values[] = {
	{ "ipv4", AF_INET },
	{ "ipv6", AF_INET6 },
	{ NULL, 0 },
};

static const struct ck_value tls_keyform_values[] = {
	{ "pem", CONFIG_KEYFORM_PEM },
	{ "engine", CONFIG_KEYFORM_ENGINE },
	{ NULL, 0 },
};

static const struct ck_value tls_version_values[] = {
	{ "tlsv1.3", 0 },
	{ "tlsv1.2", 0 },
	{ "tlsv1.1", 0 },
	{ NULL, 0 },
};

static const struct config_key config_keys[] = {
	STR("acl_file", SEC(acl_file)),
	TRIBOOL("allow_anonymous", SEC(allow_anonymous)),
	SPECIAL("allow_zero_length_clientid", config_key_listener_setting),
	BOOL("allow_duplicate_messages", G(allow_duplicate_messages)),
	STR("auto_id_prefix", G(auto_id_prefix)),
	NUM("autosave_interval", G(autosave_interval), 0, UINT32_MAX),
	BOOL("autosave_on_changes", G(autosave_on_changes)),
	SPECIAL("bind_address", config_key_bind_address),
	STRC("bind_interface", L(bind_interface), config_check_ifname),
	NUM("ban_auth_failures", G(ban_auth_failures), 0, 100), /* XDP_BAN_MAX_THRESHOLD */
	NUM("ban_time", G(ban_time), 1, 31536000),
	NUM("ban_window", G(ban_window), 1, 31536000),
	NUM("half_dead_timeout", G(half_dead_timeout), 0, 86400),
	STR("cafile", L(cafile)),
	STR("capath", L(capath)),
	STR("certfile", L(certfile)),
	BOOL("check_retain_source", G(check_retain_source)),
	STR("ciphers", L(ciphers)),
	STR("ciphers_tls1.3", L(ciphers_tls13)),
	STR("clientid_prefixes", G(clientid_prefixes)),
	BOOL("connection_messages", G(connection_messages)),
	STR("control_socket", G(control_socket)),				/* mqttgw's */
	STR("control_socket_group", G(control_socket_group)),			/* mqttgw's */
	SPECIAL("control_socket_mode", config_key_control_socket_mode),		/* mqttgw's */
	STR("control_socket_user", G(control_socket_user)),			/* mqttgw's */
	NUM("connect_timeout", G(connect_timeout), 1, 86400),
	STR("crlfile", L(crlfile)),
	STR("dhparamfile", L(dhparamfile)),
	ENUM("fastpath", G(fastpath), fastpath_values),
	SPECIAL("fastpath_flow_rates", config_key_fastpath_flow_rates),
	STR("fastpath_pin_dir", G(fastpath_pin_dir)),
	SPECIAL("include_dir", config_key_include_dir),
	STR("keyfile", L(keyfile)),
	/* issue 18 (config_http.c): metrics listener, http_dir and origins of websocket listeners */
	SPECIAL("metrics_listener", config_key_metrics_listener),
	STR("http_dir", LB(http_dir)),
	SPECIAL("websockets_origin", config_key_websockets_origin),
	SPECIAL("listener", config_key_listener),
	SPECIAL("log_dest", config_key_log_dest),
	NUM("log_facility", G(log_facility), 0, 7),
	BOOL("log_timestamp", G(log_timestamp)),
	STR("log_timestamp_format", G(log_timestamp_format)),
	SPECIAL("log_type", config_key_log_type),
	NUM("max_connections", BG(max_connections), -1, INT32_MAX),
	NUM("max_inflight_bytes", G(max_inflight_bytes), 0, INT64_MAX),
	NUM("max_inflight_messages", G(max_inflight_messages), 0, UINT16_MAX),
	NUM("max_keepalive", G(max_keepalive), 0, UINT16_MAX),
	NUM("max_packet_size", G(max_packet_size), 20, UINT32_MAX),
	NUM("max_queued_bytes", G(max_queued_bytes), 0, INT64_MAX),
	NUM("max_qos", L(max_qos), 0, 2),
	NUM("max_queued_messages", G(max_queued_messages), 0, UINT32_MAX),
	NUM("max_receive", G(max_receive), 1, UINT16_MAX),
	/* before any listener: every listener; in a block: that listener (pending) */
	SPECIAL("max_topic_alias", config_key_listener_setting),
	NUM("memory_limit", G(memory_limit), 0, INT64_MAX),
	NUM("message_size_limit", G(message_size_limit), 0, MQTT_MAX_PAYLOAD),
	STRC("mount_point", LB(mount_point), config_check_mount_point),
	STR("password_file", SEC(password_file)),
	SPECIAL("per_listener_settings", config_key_per_listener),
	BOOL("persistence", G(persistence)),
	STR("persistence_file", G(persistence_file)),
	STR("persistence_location", G(persistence_location)),
	ENUM("persistence_sync", G(persistence_sync), persistence_sync_values), /* mqttgw's */
	DURATION("persistent_client_expiration", G(persistent_client_expiration)),
	STR("pid_file", G(pid_file)),
	SPECIAL("port", config_key_port),
	ENUM("protocol", L(protocol), protocol_values),
	STR("psk_file", SEC(psk_file)),
	STR("psk_hint", L(psk_hint)),
	BOOL("queue_qos0_messages", G(queue_qos0_messages)),
	BOOL("require_certificate", L(require_certificate)),
	BOOL("retain_available", G(retain_available)),
	BOOL("retained_persistence", G(persistence)), /* Mosquitto's alias */
	STR("scram_password_file", SEC(scram_password_file)), /* mqttgw's own */
	SPECIAL("server_moved", config_key_server_ref),
	BOOL("set_tcp_nodelay", G(set_tcp_nodelay)),
	ENUM("shared_subscription_strategy", G(share_strategy), share_strategy_values), /* EMQX's */
	ENUM("socket_domain", L(socket_domain), socket_domain_values),
	NUM("sys_interval", G(sys_interval), 0, UINT16_MAX),
	STR("tls_engine", L(tls_engine)),
	STR("tls_engine_kpass_sha1", L(tls_engine_kpass_sha1)),
	ENUM("tls_keyform", L(tls_keyform), tls_keyform_values),
	STRV("tls_version", L(tls_version), tls_version_values),
	BOOL("upgrade_outgoing_qos", G(upgrade_outgoing_qos)),
	SPECIAL("use_another_server", config_key_server_ref),
	BOOL("use_identity_as_username", L(use_identity_as_username)),
	BOOL("use_subject_as_username", L(use_subject_as_username)),
	BOOL("use_username_as_clientid", L(use_username_as_clientid)),
	STR("user", G(user)),
	SPECIAL("xdp_allow", config_key_xdp_cidr),
	SPECIAL("xdp_deny", config_key_xdp_cidr),
	SPECIAL("xdp_interface", config_key_xdp_interface),
	BOOL("xdp_required", G(xdp_required)),
	SPECIAL("xdp_syn_rate", config_key_xdp_syn_rate),

	/* Mosquitto 2.x general and listener keys not implemented yet */
	UNSUP("accept_protocol_versions"),
	UNSUP("auth_opt_*"), UNSUP("auth_plugin"), UNSUP("auth_plugin_deny_special_chars"),
	UNSUP("disable_client_cert_date_checks"),
	UNSUP("enable_control_api"), UNSUP("global_max_clients"), UNSUP("global_max_connections"),
	UNSUP("global_plugin"),
	UNSUP("max_topic_alias_broker"), UNSUP("maximum_qos"), UNSUP("plugin"),
	UNSUP("plugin_opt_*"), UNSUP("quic_log_level"),
	UNSUP("retry_interval"),
	UNSUP("websockets_headers_size"), UNSUP("websockets_log_level"),
	/* bridges: `connection` opens a block (config_conn.c), whose keys config_bridge.c parses;
	 * these are Mosquitto bridge keys it does not know */
	SPECIAL("connection", config_key_connection),
	UNSUP("bridge_ciphers"), UNSUP("bridge_ciphers_tls1.3"), UNSUP("bridge_max_topic_alias"),
	UNSUP("bridge_tcp_keepalive"), UNSUP("bridge_tcp_user_timeout"),
};

/* clang-format on */

#define N_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/*
 * Keys parsed into struct config that the broker does not apply yet: refused after their value
 * is checked, so a migrated file fails loudly instead of silently losing the setting. Wiring
 * one is deleting its line here and its "pending" mark in README.md's key table.
 */
static const char *const pending_keys[] = {
	NULL, /* none now: every parsed key is applied */
};

int config_pending(struct config_parse *ps, const char *what)
{
	return config_perr(ps, "option '%s' is parsed but not applied by mqttgw yet", what);
}

static bool key_pending(const char *name)
{
	for (size_t i = 0; pending_keys[i]; i++) {
		if (!strcmp(name, pending_keys[i]))
			return true;
	}
	return false;
}

/* Remember the line that set a string key (see config_origin()); dst is where it went. */
static int origin_set(struct config_parse *ps, const char *key, const void *dst)
{
	struct config *cfg = ps->cfg;
	const char *base = (const char *)cfg->listeners;
	struct config_origin *o = NULL;
	long li = -1;
	char where[256];
	size_t i;

	if (base && (const char *)dst >= base &&
	    (const char *)dst < base + cfg->n_listeners * sizeof(*cfg->listeners))
		li = (long)(((const char *)dst - base) / (long)sizeof(*cfg->listeners));
	for (i = 0; i < cfg->n_origins && !o; i++) {
		if (cfg->origins[i].listener == li && !strcmp(cfg->origins[i].key, key))
			o = &cfg->origins[i];
	}
	if (!o) {
		o = realloc(cfg->origins, (cfg->n_origins + 1) * sizeof(*o));
		if (!o)
			return -ENOMEM;
		cfg->origins = o;
		o = &o[cfg->n_origins++];
		*o = (struct config_origin){ .listener = li, .key = key };
	}
	snprintf(where, sizeof(where), "%s:%lu", ps->name, ps->line);
	config_sanitize(where);
	return config_store_string(&o->where, where);
}

const char *config_origin(const struct config *cfg, const struct config_listener *l,
			  const char *key)
{
	long li = l ? (long)(l - cfg->listeners) : -1;
	const char *global = NULL;

	for (size_t i = 0; i < cfg->n_origins; i++) {
		const struct config_origin *o = &cfg->origins[i];

		if (strcmp(o->key, key))
			continue;
		if (o->listener == li)
			return o->where;
		if (o->listener < 0)
			global = o->where;
	}
	return global;
}

/* ---- the generic keys ---- */

static const struct config_key *key_find(const char *name)
{
	size_t i, n;

	for (i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];

		n = strlen(k->name);
		if (k->name[n - 1] == '*' ? !strncmp(name, k->name, n - 1) : !strcmp(name, k->name))
			return k;
	}
	return NULL;
}

/* Where a scoped key's value goes (NULL and *rc on error). */
static void *key_target(struct config_parse *ps, const struct config_key *k, int *rc)
{
	struct config *cfg = ps->cfg;
	struct config_listener *l = ps->cur >= 0 ? &cfg->listeners[ps->cur] : NULL;

	switch (k->scope) {
	case CS_LISTENER:
		if (!l)
			l = config_default_listener(ps, rc);
		return l ? (char *)l + k->loff : NULL;
	case CS_LISTENER_BLOCK:
		if (!l) {
			*rc = config_perr(ps, "%s: needs a 'listener' line before it", k->name);
			return NULL;
		}
		return (char *)l + k->loff;
	case CS_BLOCK_OR_GLOBAL:
		return l ? (char *)l + k->loff : (char *)cfg + k->goff;
	case CS_SECURITY:
		cfg->parse_seen |= SEEN_SECURITY;
		if (l && cfg->per_listener_settings)
			return (char *)l + k->loff;
		return (char *)cfg + k->goff;
	case CS_SECURITY_GLOBAL:
		cfg->parse_seen |= SEEN_SECURITY;
		return (char *)cfg + k->goff;
	case CS_GLOBAL:
	default:
		return (char *)cfg + k->goff;
	}
}

static int parse_generic(struct config_parse *ps, const struct config_key *k, char *args)
{
	char *tok = args, list[96];
	uint64_t num = 0;
	int64_t secs = 0;
	bool b = false;
	void *dst;
	int i = 0, rc;

	/* the value first, so a bad one creates no default listener */
	if (k->type == CK_STRING) {
		if (config_no_value(args))
			return config_perr(ps, "%s: missing argument", k->name);
		rc = config_check_string(ps, k->name, args);
		if (!rc && k->values) {
			for (i = 0; k->values[i].name && strcmp(args, k->values[i].name); i++)
				;
			if (!k->values[i].name) {
				config_values_list(k->values, list, sizeof(list));
				rc = config_perr(ps, "%s: invalid value '%.*s' (expected %s)",
						 k->name, CONFIG_ERR_TOKEN, args, list);
			}
		}
		if (!rc && k->check)
			rc = k->check(ps, k, args);
	} else {
		rc = config_one_token(ps, k, args, &tok);
		if (rc)
			return rc;
		switch (k->type) {
		case CK_BOOL:
		case CK_TRIBOOL:
			rc = config_parse_bool(ps, k->name, tok, &b);
			break;
		case CK_NUM:
			rc = config_parse_number(ps, k->name, tok, k->min, k->max, &num);
			break;
		case CK_DURATION:
			rc = config_parse_duration(ps, k->name, tok, &secs);
			break;
		case CK_ENUM:
			for (i = 0; k->values[i].name && strcmp(tok, k->values[i].name); i++)
				;
			if (!k->values[i].name) {
				config_values_list(k->values, list, sizeof(list));
				rc = config_perr(ps, "%s: invalid value '%.*s' (expected %s)",
						 k->name, CONFIG_ERR_TOKEN, tok, list);
			}
			break;
		default:
			rc = config_perr(ps, "%s: internal error", k->name);
			break;
		}
	}
	if (rc)
		return rc;

	dst = key_target(ps, k, &rc);
	if (!dst)
		return rc;
	switch (k->type) {
	case CK_BOOL:
		memcpy(dst, &b, sizeof(b));
		break;
	case CK_TRIBOOL:
		config_store_num(dst, k->size, b);
		break;
	case CK_NUM:
		config_store_num(dst, k->size, num);
		break;
	case CK_DURATION:
		config_store_num(dst, k->size, (uint64_t)secs);
		break;
	case CK_ENUM:
		config_store_num(dst, k->size, (uint64_t)(int64_t)k->values[i].value);
		break;
	default: /* CK_STRING */
		if (config_store_string(dst, tok) || origin_set(ps, k->name, dst))
			return config_perr_nomem(ps);
		break;
	}
	return key_pending(k->name) ? config_pending(ps, k->name) : 0;
}

static int parse_line(struct config_parse *ps, char *line)
{
	const struct config_key *k;
	char *key, *args, *end;

	line = config_skip_ws(line);
	end = line + strlen(line);
	while (end > line && strchr(WS, end[-1]))
		*--end = '\0';
	if (!*line || *line == '#')
		return 0;
	args = line;
	key = config_next_token(&args);
	k = key_find(key);
	if (config_bridge_is_key(key) && (ps->br || !k))
		return config_bridge_line(ps, key, args);
	if (!k)
		return config_perr(ps, "unknown option '%.*s'", CONFIG_ERR_TOKEN, key);
	if (k->type == CK_UNSUPPORTED)
		return config_perr(ps, "option '%.*s' is not supported by mqttgw yet",
				   CONFIG_ERR_TOKEN, key);
	if (k->type == CK_SPECIAL)
		return k->handler(ps, k, args);
	return parse_generic(ps, k, args);
}

int config_parse_text(struct config *cfg, const char *text, size_t len, const char *name,
		      const struct config_source *src, char *err, size_t errlen)
{
	struct config_parse ps = {
	    .cfg = cfg,
	    .name = name ? name : "config",
	    .src = src,
	    .err = err,
	    .errlen = errlen,
	    .cur = -1,
	};
	char *buf = NULL;
	size_t pos = 0, cap = 0;
	int rc = 0;

	config_set_err(err, errlen, "%s", "");
	if (!cfg || (!text && len))
		return -EINVAL;
	while (!rc && pos < len) {
		const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;

		ps.line++;
		pos += n + 1;
		if (memchr(start, '\0', n)) {
			rc = config_perr(&ps, "NUL byte in line");
			break;
		}
		if (n + 1 > cap) {
			char *nbuf = realloc(buf, n + 1);

			if (!nbuf) {
				rc = config_perr_nomem(&ps);
				break;
			}
			buf = nbuf;
			cap = n + 1;
		}
		memcpy(buf, start, n);
		buf[n] = '\0';
		rc = parse_line(&ps, buf);
	}
	free(buf);
	if (!rc)
		rc = config_bridge_close(&ps);
	return rc;
}

/* ---- lifecycle ---- */

struct config *config_new(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->max_connections = -1;
	cfg->allow_anonymous = -1;
	cfg->max_inflight_messages = 20;
	cfg->max_queued_messages = 1000;
	cfg->max_keepalive = 65535;
	cfg->sys_interval = 10;
	cfg->retain_available = true;
	cfg->persistent_client_expiration = -1;
	cfg->allow_zero_length_clientid = true;
	cfg->connect_timeout = 10;
	cfg->max_topic_alias = 10;
	cfg->max_receive = 65535;
	cfg->log_dest = CONFIG_LOG_DEST_STDERR;
	cfg->log_type = CONFIG_LOG_DEFAULT;
	cfg->log_timestamp = true;
	cfg->log_facility = -1;
	cfg->set_tcp_nodelay = true;
	cfg->connection_messages = true;
	cfg->allow_duplicate_messages = true;
	cfg->check_retain_source = true; /* Mosquitto's manual (2.0.11 itself: false) */
	cfg->autosave_interval = 1800;
	cfg->fastpath = CONFIG_FASTPATH_AUTO;
	cfg->fastpath_rate_high = CONFIG_FP_RATE_HIGH;
	cfg->control_socket_mode = CONFIG_CTL_MODE;
	cfg->fastpath_rate_low = CONFIG_FP_RATE_LOW;
	cfg->ban_window = CONFIG_BAN_WINDOW;
	cfg->ban_time = CONFIG_BAN_TIME;
	cfg->half_dead_timeout = CONFIG_HALF_DEAD_TIMEOUT;
	return cfg;
}

static void listener_fini(struct config_listener *l)
{
	free(l->bind_address);
	free(l->mount_point);
	free(l->cafile);
	free(l->capath);
	free(l->certfile);
	free(l->keyfile);
	free(l->crlfile);
	free(l->tls_version);
	free(l->ciphers);
	free(l->ciphers_tls13);
	free(l->password_file);
	free(l->acl_file);
	free(l->scram_password_file);
	free(l->bind_interface);
	free(l->dhparamfile);
	free(l->psk_hint);
	free(l->psk_file);
	free(l->tls_engine);
	free(l->tls_engine_kpass_sha1);
	config_http_listener_fini(l);
}

void config_free(struct config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_listeners; i++)
		listener_fini(&cfg->listeners[i]);
	free(cfg->listeners);
	free(cfg->log_file);
	free(cfg->password_file);
	free(cfg->acl_file);
	free(cfg->scram_password_file);
	free(cfg->persistence_location);
	free(cfg->persistence_file);
	free(cfg->pid_file);
	free(cfg->control_socket);
	free(cfg->control_socket_user);
	free(cfg->control_socket_group);
	free(cfg->fastpath_pin_dir);
	free(cfg->use_another_server);
	free(cfg->server_moved);
	config_xdp_free(cfg);
	config_bridges_free(cfg);
	free(cfg->log_timestamp_format);
	free(cfg->user);
	free(cfg->psk_file);
	free(cfg->clientid_prefixes);
	free(cfg->auto_id_prefix);
	free(cfg->metrics_addr);
	for (i = 0; i < cfg->n_origins; i++)
		free(cfg->origins[i].where);
	free(cfg->origins);
	free(cfg);
}
