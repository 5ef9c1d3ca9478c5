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
 * config_parse_text() is pure (no I/O, no logging). Only config_load() and its include_dir
 * callback touch the file system.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define MQTT_MAX_PAYLOAD     268435455u
#define CONFIG_MAX_LISTENERS 1024
#define CONFIG_MAX_VALUE     65535	 /* longest string value, as Mosquitto */
#define CONFIG_MAX_FILE	     (16u << 20) /* config_load() refuses bigger files */
#define CONFIG_ERR_TOKEN     64		 /* how much of an offending token a message quotes */
#define WS		     " \t\r\v\f"
/* longest use_another_server / server_moved value: fits a CONNACK of 1200 bytes */
#define CONFIG_MAX_SERVER_REF 1024

/* parse_seen bits */
#define SEEN_LOG_DEST 0x1u /* the first log_dest line replaces the default */
#define SEEN_LOG_TYPE 0x2u /* the first log_type line replaces the default */
#define SEEN_SECURITY 0x4u /* a security key was set: per_listener_settings is too late */

enum ck_type {
	CK_BOOL,	/* bool: true|false (Mosquitto also takes 1|0) */
	CK_TRIBOOL,	/* int: -1 unset, 0, 1 */
	CK_NUM,		/* integer of .size bytes in [min, max]; signed iff min < 0 */
	CK_STRING,	/* char *: the rest of the line; .values restricts it to a list */
	CK_ENUM,	/* int-sized enum from .values */
	CK_DURATION,	/* int64_t seconds from Mosquitto's N[hdwmy] */
	CK_SPECIAL,	/* .handler does it all */
	CK_UNSUPPORTED, /* a Mosquitto key mqttgw does not implement yet */
};

enum ck_scope {
	CS_NONE,	    /* CK_SPECIAL, CK_UNSUPPORTED */
	CS_GLOBAL,	    /* struct config at .goff */
	CS_LISTENER,	    /* current listener at .loff; before any `listener`: the default one */
	CS_LISTENER_BLOCK,  /* current listener; an error before any `listener` line */
	CS_BLOCK_OR_GLOBAL, /* in a listener block: the listener, else global */
	CS_SECURITY,	    /* per_listener_settings and in a block: the listener, else global */
	CS_SECURITY_GLOBAL, /* a security key we keep global even with per_listener_settings */
};

struct ck_value {
	const char *name;
	int value;
};

struct parse;
struct config_key;
typedef int (*ck_handler)(struct parse *ps, const struct config_key *k, char *args);
typedef int (*ck_check)(struct parse *ps, const struct config_key *k, const char *val);

struct config_key {
	const char *name; /* ending in '*': a prefix (auth_opt_*) */
	enum ck_type type;
	enum ck_scope scope;
	size_t goff, loff, size;
	int64_t min;
	uint64_t max;
	const struct ck_value *values;
	ck_handler handler;
	ck_check check;
};

/* One parse of one text: config_parse_text() call. */
struct parse {
	struct config *cfg;
	const char *name;
	unsigned long line;
	config_include_fn include_fn;
	char *err;
	size_t errlen;
	long cur; /* listener of this text's last `listener` line; -1 before one */
};

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

static int parse_listener(struct parse *ps, const struct config_key *k, char *args);
static int parse_port(struct parse *ps, const struct config_key *k, char *args);
static int parse_bind_address(struct parse *ps, const struct config_key *k, char *args);
static int parse_include_dir(struct parse *ps, const struct config_key *k, char *args);
static int parse_log_dest(struct parse *ps, const struct config_key *k, char *args);
static int parse_log_type(struct parse *ps, const struct config_key *k, char *args);
static int parse_per_listener(struct parse *ps, const struct config_key *k, char *args);
static int check_mount_point(struct parse *ps, const struct config_key *k, const char *val);
static int parse_server_ref(struct parse *ps, const struct config_key *k, char *args);
static int parse_fastpath_flow_rates(struct parse *ps, const struct config_key *k, char *args);

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

static const struct ck_value share_strategy_values[] = {
	{ "round_robin", CONFIG_SHARE_ROUND_ROBIN },
	{ "random", CONFIG_SHARE_RANDOM },
	{ "sticky", CONFIG_SHARE_STICKY },
	{ "hash_topic", CONFIG_SHARE_HASH_TOPIC },
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
	BOOL("allow_zero_length_clientid", SECG(allow_zero_length_clientid)),
	NUM("autosave_interval", G(autosave_interval), 0, UINT32_MAX),
	SPECIAL("bind_address", parse_bind_address),
	STR("cafile", L(cafile)),
	STR("capath", L(capath)),
	STR("certfile", L(certfile)),
	STR("ciphers", L(ciphers)),
	STR("ciphers_tls1.3", L(ciphers_tls13)),
	NUM("connect_timeout", G(connect_timeout), 1, 86400),
	STR("crlfile", L(crlfile)),
	ENUM("fastpath", G(fastpath), fastpath_values),
	SPECIAL("fastpath_flow_rates", parse_fastpath_flow_rates),
	STR("fastpath_pin_dir", G(fastpath_pin_dir)),
	SPECIAL("include_dir", parse_include_dir),
	STR("keyfile", L(keyfile)),
	SPECIAL("listener", parse_listener),
	SPECIAL("log_dest", parse_log_dest),
	BOOL("log_timestamp", G(log_timestamp)),
	SPECIAL("log_type", parse_log_type),
	NUM("max_connections", BG(max_connections), -1, INT32_MAX),
	NUM("max_inflight_messages", G(max_inflight_messages), 0, UINT16_MAX),
	NUM("max_keepalive", G(max_keepalive), 0, UINT16_MAX),
	NUM("max_packet_size", G(max_packet_size), 20, UINT32_MAX),
	NUM("max_queued_bytes", G(max_queued_bytes), 0, INT64_MAX),
	NUM("max_queued_messages", G(max_queued_messages), 0, UINT32_MAX),
	NUM("max_receive", G(max_receive), 1, UINT16_MAX),
	/* Mosquitto has it per listener; mqttgw applies one value to all listeners. */
	NUM("max_topic_alias", G(max_topic_alias), 0, UINT16_MAX),
	NUM("memory_limit", G(memory_limit), 0, INT64_MAX),
	NUM("message_size_limit", G(message_size_limit), 0, MQTT_MAX_PAYLOAD),
	STRC("mount_point", LB(mount_point), check_mount_point),
	STR("password_file", SEC(password_file)),
	SPECIAL("per_listener_settings", parse_per_listener),
	BOOL("persistence", G(persistence)),
	STR("persistence_file", G(persistence_file)),
	STR("persistence_location", G(persistence_location)),
	DURATION("persistent_client_expiration", G(persistent_client_expiration)),
	STR("pid_file", G(pid_file)),
	SPECIAL("port", parse_port),
	ENUM("protocol", L(protocol), protocol_values),
	BOOL("queue_qos0_messages", G(queue_qos0_messages)),
	BOOL("require_certificate", L(require_certificate)),
	BOOL("retain_available", G(retain_available)),
	BOOL("retained_persistence", G(persistence)), /* Mosquitto's alias */
	STR("scram_password_file", SEC(scram_password_file)), /* mqttgw's own */
	SPECIAL("server_moved", parse_server_ref),
	ENUM("shared_subscription_strategy", G(share_strategy), share_strategy_values), /* EMQX's */
	NUM("sys_interval", G(sys_interval), 0, UINT16_MAX),
	STRV("tls_version", L(tls_version), tls_version_values),
	SPECIAL("use_another_server", parse_server_ref),
	BOOL("use_identity_as_username", L(use_identity_as_username)),
	BOOL("use_subject_as_username", L(use_subject_as_username)),

	/* Mosquitto 2.x general and listener keys not implemented yet */
	UNSUP("accept_protocol_versions"), UNSUP("allow_duplicate_messages"),
	UNSUP("auth_opt_*"), UNSUP("auth_plugin"), UNSUP("auth_plugin_deny_special_chars"),
	UNSUP("auto_id_prefix"), UNSUP("autosave_on_changes"), UNSUP("bind_interface"),
	UNSUP("check_retain_source"), UNSUP("clientid_prefixes"), UNSUP("connection_messages"),
	UNSUP("dhparamfile"), UNSUP("disable_client_cert_date_checks"),
	UNSUP("enable_control_api"), UNSUP("global_max_clients"), UNSUP("global_max_connections"),
	UNSUP("global_plugin"), UNSUP("http_dir"), UNSUP("log_facility"),
	UNSUP("log_timestamp_format"), UNSUP("max_inflight_bytes"), UNSUP("max_qos"),
	UNSUP("max_topic_alias_broker"), UNSUP("maximum_qos"), UNSUP("plugin"),
	UNSUP("plugin_opt_*"), UNSUP("psk_file"), UNSUP("psk_hint"), UNSUP("quic_log_level"),
	UNSUP("retry_interval"), UNSUP("set_tcp_nodelay"), UNSUP("socket_domain"),
	UNSUP("tls_engine"), UNSUP("tls_engine_kpass_sha1"), UNSUP("tls_keyform"),
	UNSUP("upgrade_outgoing_qos"), UNSUP("use_username_as_clientid"), UNSUP("user"),
	UNSUP("websockets_headers_size"), UNSUP("websockets_log_level"),
	UNSUP("websockets_origin"),
	/* bridges */
	UNSUP("address"), UNSUP("addresses"), UNSUP("bridge_alpn"),
	UNSUP("bridge_attempt_unsubscribe"), UNSUP("bridge_bind_address"), UNSUP("bridge_cafile"),
	UNSUP("bridge_capath"), UNSUP("bridge_certfile"), UNSUP("bridge_ciphers"),
	UNSUP("bridge_ciphers_tls1.3"), UNSUP("bridge_identity"), UNSUP("bridge_insecure"),
	UNSUP("bridge_keyfile"), UNSUP("bridge_max_packet_size"), UNSUP("bridge_max_topic_alias"),
	UNSUP("bridge_outgoing_retain"), UNSUP("bridge_protocol_version"), UNSUP("bridge_psk"),
	UNSUP("bridge_receive_maximum"), UNSUP("bridge_reload_type"),
	UNSUP("bridge_require_ocsp"), UNSUP("bridge_session_expiry_interval"),
	UNSUP("bridge_tcp_keepalive"), UNSUP("bridge_tcp_user_timeout"),
	UNSUP("bridge_tls_version"), UNSUP("cleansession"), UNSUP("clientid"),
	UNSUP("connection"), UNSUP("idle_timeout"), UNSUP("keepalive_interval"),
	UNSUP("local_cleansession"), UNSUP("local_clientid"), UNSUP("local_password"),
	UNSUP("local_username"), UNSUP("notification_topic"), UNSUP("notifications"),
	UNSUP("notifications_local_only"), UNSUP("password"), UNSUP("remote_clientid"),
	UNSUP("remote_password"), UNSUP("remote_username"), UNSUP("restart_timeout"),
	UNSUP("round_robin"), UNSUP("start_type"), UNSUP("threshold"), UNSUP("topic"),
	UNSUP("try_private"), UNSUP("username"),
};

/* clang-format on */

#define N_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* ---- errors ---- */

/* Messages quote config text and file names: keep terminal controls out of them. */
static void sanitize(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	sanitize(err);
}

/* "name:line: <fmt>" into the caller's buffer; returns -EINVAL. */
static int perr(struct parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "%s:%lu: ", ps->name, ps->line);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	sanitize(ps->err);
	return -EINVAL;
}

static int perr_nomem(struct parse *ps)
{
	perr(ps, "out of memory");
	return -ENOMEM;
}

/* Length of the token at s, capped for quoting in a message ("%.*s"). */
static int tok_len(const char *s)
{
	size_t n = strcspn(s, WS);

	return n > CONFIG_ERR_TOKEN ? CONFIG_ERR_TOKEN : (int)n;
}

/* ---- lexing ---- */

static char *skip_ws(char *s)
{
	return s + strspn(s, WS);
}

/* Nothing but maybe a `# comment`. */
static bool no_value(const char *args)
{
	return !*args || *args == '#';
}

/* Cut the first token off *s; *s moves to the next one ("" at the end). */
static char *next_token(char **s)
{
	char *tok = skip_ws(*s), *end = tok + strcspn(tok, WS);

	if (*end)
		*end++ = '\0';
	*s = skip_ws(end);
	return tok;
}

/* Exactly one token, optionally followed by a `# comment`. */
static int one_token(struct parse *ps, const struct config_key *k, char *args, char **tok)
{
	*tok = next_token(&args);
	if (no_value(*tok))
		return perr(ps, "%s: missing argument", k->name);
	if (!no_value(args))
		return perr(ps, "%s: unexpected argument '%.*s'", k->name, tok_len(args), args);
	return 0;
}

/* Well-formed UTF-8 without control characters (tab allowed), as Mosquitto checks strings. */
static bool valid_text(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		uint32_t cp, min;
		int n, i;

		if (*s < 0x80) {
			if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
				return false;
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 2, cp = *s & 0x1f, min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 3, cp = *s & 0x0f, min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 4, cp = *s & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n;
	}
	return true;
}

static int check_string(struct parse *ps, const char *key, const char *val)
{
	if (strlen(val) > CONFIG_MAX_VALUE)
		return perr(ps, "%s: value too long (max %d bytes)", key, CONFIG_MAX_VALUE);
	if (!valid_text(val))
		return perr(ps, "%s: value is not valid UTF-8 text", key);
	return 0;
}

/* "a, b or c" for messages. */
static void values_list(const struct ck_value *v, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; v[i].name && n < len; i++) {
		const char *sep = !i ? "" : v[i + 1].name ? ", " : " or ";
		int w = snprintf(buf + n, len - n, "%s%s", sep, v[i].name);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static int parse_bool(struct parse *ps, const char *key, const char *tok, bool *out)
{
	if (!strcmp(tok, "true") || !strcmp(tok, "1")) {
		*out = true;
	} else if (!strcmp(tok, "false") || !strcmp(tok, "0")) {
		*out = false;
	} else {
		return perr(ps, "%s: invalid value '%.*s' (expected true or false)", key,
			    CONFIG_ERR_TOKEN, tok);
	}
	return 0;
}

/* Digits only: 0, -1 (not a number) or 1 (overflows 64 bits). */
static int parse_digits(const char *s, const char *end, uint64_t *out)
{
	bool overflow = false;
	uint64_t v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	*out = v;
	return overflow;
}

/*
 * A decimal integer in [min, max]: digits with a '-' where min < 0. No '+', no blanks, no hex,
 * no trailing junk; overflow is "out of range". The result is the two's complement bit pattern
 * (store_num() truncates it to the field).
 */
static int parse_number(struct parse *ps, const char *key, const char *tok, int64_t min,
			uint64_t max, uint64_t *out)
{
	bool neg = *tok == '-';
	uint64_t v = 0;
	int rc;

	rc = parse_digits(tok + neg, tok + strlen(tok), &v);
	if (rc < 0)
		return perr(ps, "%s: invalid number '%.*s'", key, CONFIG_ERR_TOKEN, tok);
	if (rc > 0)
		goto range;
	if (neg && v) {
		/* -v >= min, without overflowing for INT64_MIN */
		if (min >= 0 || v > (uint64_t)(-(min + 1)) + 1)
			goto range;
		*out = (uint64_t)0 - v;
		return 0;
	}
	if (v > max || (min > 0 && v < (uint64_t)min))
		goto range;
	*out = v;
	return 0;
range:
	return perr(ps, "%s: value '%.*s' out of range (%lld..%llu)", key, CONFIG_ERR_TOKEN, tok,
		    (long long)min, (unsigned long long)max);
}

/* Mosquitto's duration: N followed by h, d, w, m (30 days) or y (365 days); N > 0. We also
 * take s (seconds): short expiries are useful on gateways and in tests. */
static int parse_duration(struct parse *ps, const char *key, const char *tok, int64_t *out)
{
	static const char units[] = "hdwmys";
	static const uint64_t secs[] = {3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400, 1};
	size_t len = strlen(tok);
	const char *u = len ? strchr(units, tok[len - 1]) : NULL;
	uint64_t n = 0;
	int rc;

	rc = u && *u ? parse_digits(tok, tok + len - 1, &n) : -1;
	if (rc < 0 || (!rc && !n))
		return perr(ps,
			    "%s: invalid duration '%.*s' (expected a number followed by s, h, d, w, "
			    "m or y)",
			    key, CONFIG_ERR_TOKEN, tok);
	if (rc > 0 || n > (uint64_t)INT64_MAX / secs[u - units])
		return perr(ps, "%s: duration '%.*s' out of range", key, CONFIG_ERR_TOKEN, tok);
	*out = (int64_t)(n * secs[u - units]);
	return 0;
}

static void store_num(void *p, size_t size, uint64_t v)
{
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (size) {
	case 1:
		memcpy(p, &v8, 1);
		break;
	case 2:
		memcpy(p, &v16, 2);
		break;
	case 4:
		memcpy(p, &v32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

/* Replace the string at *slot with a copy of val (last one wins). */
static int store_string(char **slot, const char *val)
{
	char *s = strdup(val);

	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

/* ---- listeners ---- */

static bool same_bind(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static struct config_listener *find_listener(struct config *cfg, uint16_t port, const char *bind)
{
	size_t i;

	for (i = 0; i < cfg->n_listeners; i++) {
		struct config_listener *l = &cfg->listeners[i];

		if (l->port == port && same_bind(l->bind_address, bind))
			return l;
	}
	return NULL;
}

/* The deprecated default listener (port 1883, all addresses), made on first use. */
static struct config_listener *default_listener(struct parse *ps, int *rc)
{
	struct config *cfg = ps->cfg;
	struct config_listener *l;
	size_t i;

	for (i = 0; i < cfg->n_listeners; i++) {
		if (cfg->listeners[i].is_default)
			return &cfg->listeners[i];
	}
	if (cfg->n_listeners >= CONFIG_MAX_LISTENERS) {
		*rc = perr(ps, "too many listeners (max %d)", CONFIG_MAX_LISTENERS);
		return NULL;
	}
	l = config_add_listener(cfg, 1883, NULL);
	if (!l) {
		*rc = perr_nomem(ps);
		return NULL;
	}
	l->is_default = true;
	return l;
}

static int parse_port_token(struct parse *ps, const char *key, const char *tok, uint16_t *port)
{
	uint64_t v;
	int rc;

	if (!strcmp(tok, "0"))
		return perr(ps, "%s: port 0 (unix socket) is not supported by mqttgw yet", key);
	rc = parse_number(ps, key, tok, 1, UINT16_MAX, &v);
	if (!rc)
		*port = (uint16_t)v;
	return rc;
}

/* listener PORT [BIND_ADDRESS]: starts a listener block. */
static int parse_listener(struct parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	struct config_listener *l;
	char *tok, *bind;
	uint16_t port = 0;
	int rc;

	tok = next_token(&args);
	if (no_value(tok))
		return perr(ps, "%s: missing argument", k->name);
	rc = parse_port_token(ps, k->name, tok, &port);
	if (rc)
		return rc;
	bind = next_token(&args);
	if (no_value(bind)) {
		bind = NULL;
	} else {
		if (!no_value(args))
			return perr(ps, "%s: unexpected argument '%.*s'", k->name, tok_len(args),
				    args);
		rc = check_string(ps, k->name, bind);
		if (rc)
			return rc;
	}
	if (find_listener(cfg, port, bind))
		return perr(ps, "%s: %u%s%s is already configured", k->name, port, bind ? " " : "",
			    bind ? bind : "");
	if (cfg->n_listeners >= CONFIG_MAX_LISTENERS)
		return perr(ps, "too many listeners (max %d)", CONFIG_MAX_LISTENERS);
	l = config_add_listener(cfg, port, bind);
	if (!l)
		return perr_nomem(ps);
	ps->cur = (long)(l - cfg->listeners);
	return 0;
}

/* port N: the default listener's port (deprecated in Mosquitto, still common). */
static int parse_port(struct parse *ps, const struct config_key *k, char *args)
{
	struct config_listener *l;
	uint16_t port = 0;
	char *tok;
	int rc;

	rc = one_token(ps, k, args, &tok);
	if (!rc)
		rc = parse_port_token(ps, k->name, tok, &port);
	if (rc)
		return rc;
	l = default_listener(ps, &rc);
	if (l)
		l->port = port;
	return rc;
}

/* fastpath_flow_rates HIGH LOW: the fast path's per-flow policy marks, frames/s. */
static int parse_fastpath_flow_rates(struct parse *ps, const struct config_key *k, char *args)
{
	char *hi_tok = next_token(&args), *lo_tok = next_token(&args);
	uint64_t hi, lo;
	int rc;

	if (no_value(hi_tok) || no_value(lo_tok))
		return perr(ps, "%s: expected HIGH LOW (frames/s)", k->name);
	if (!no_value(args))
		return perr(ps, "%s: unexpected argument '%.*s'", k->name, tok_len(args), args);
	rc = parse_number(ps, k->name, hi_tok, 0, UINT32_MAX, &hi);
	if (!rc)
		rc = parse_number(ps, k->name, lo_tok, 0, UINT32_MAX, &lo);
	if (rc)
		return rc;
	if (lo > hi)
		return perr(ps, "%s: LOW %llu is above HIGH %llu", k->name, (unsigned long long)lo,
			    (unsigned long long)hi);
	ps->cfg->fastpath_rate_high = (uint32_t)hi;
	ps->cfg->fastpath_rate_low = (uint32_t)lo;
	return 0;
}

/* bind_address ADDR: the default listener's address (deprecated in Mosquitto). */
static int parse_bind_address(struct parse *ps, const struct config_key *k, char *args)
{
	struct config_listener *l;
	char *tok;
	int rc;

	rc = one_token(ps, k, args, &tok);
	if (!rc)
		rc = check_string(ps, k->name, tok);
	if (rc)
		return rc;
	l = default_listener(ps, &rc);
	if (l && store_string(&l->bind_address, tok))
		rc = perr_nomem(ps);
	return rc;
}

static int check_mount_point(struct parse *ps, const struct config_key *k, const char *val)
{
	if (strpbrk(val, "+#"))
		return perr(ps, "%s: '%.*s' must not contain the wildcards + or #", k->name,
			    CONFIG_ERR_TOKEN, val);
	return 0;
}

/* ---- special keys ---- */

/*
 * use_another_server / server_moved REF [REF...]: the MQTT 5 Server Reference sent with
 * CONNACK/DISCONNECT 0x9C/0x9D (4.11). Its format is the spec's example: space-separated
 * references (host, host:port, [ipv6]:port), each without spaces, in preference order. Kept
 * normalised (single spaces) and short enough for a CONNACK of any sane Maximum Packet Size.
 */
static int parse_server_ref(struct parse *ps, const struct config_key *k, char *args)
{
	char buf[CONFIG_MAX_SERVER_REF + 1], **slot;
	size_t n = 0;
	int rc;

	if (no_value(args))
		return perr(ps, "%s: missing argument", k->name);
	while (*args) {
		char *tok = next_token(&args);
		size_t len = strlen(tok);

		rc = check_string(ps, k->name, tok);
		if (rc)
			return rc;
		if (n + !!n + len > CONFIG_MAX_SERVER_REF)
			return perr(ps, "%s: server reference too long (max %d bytes)", k->name,
				    CONFIG_MAX_SERVER_REF);
		if (n)
			buf[n++] = ' ';
		memcpy(buf + n, tok, len);
		n += len;
	}
	buf[n] = '\0';
	slot = !strcmp(k->name, "server_moved") ? &ps->cfg->server_moved
						 : &ps->cfg->use_another_server;
	if (store_string(slot, buf))
		return perr_nomem(ps);
	return 0;
}

static int parse_include_dir(struct parse *ps, const struct config_key *k, char *args)
{
	char where[256];
	int rc;

	if (no_value(args))
		return perr(ps, "%s: missing argument", k->name);
	rc = check_string(ps, k->name, args);
	if (rc)
		return rc;
	if (!ps->include_fn)
		return perr(ps, "%s is only allowed in the main configuration file", k->name);
	snprintf(where, sizeof(where), "%s:%lu", ps->name, ps->line);
	sanitize(where);
	set_err(ps->err, ps->errlen, "%s", where);
	rc = ps->include_fn(ps->cfg, args, ps->err, ps->errlen);
	if (!rc) {
		set_err(ps->err, ps->errlen, "%s", "");
		return 0;
	}
	/* the callback did not say why */
	if (ps->err && ps->errlen && !strcmp(ps->err, where))
		perr(ps, "%s '%.*s': %s", k->name, CONFIG_ERR_TOKEN, args, strerror(-rc));
	return rc == -ENOMEM ? -ENOMEM : -EINVAL;
}

/* log_dest stderr|stdout|syslog|topic|none|file PATH ...: repeats add, `none` clears. */
static int parse_log_dest(struct parse *ps, const struct config_key *k, char *args)
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

	if (no_value(args))
		return perr(ps, "%s: missing argument", k->name);
	if (!(cfg->parse_seen & SEEN_LOG_DEST)) {
		cfg->log_dest = 0;
		cfg->parse_seen |= SEEN_LOG_DEST;
	}
	while (*(tok = next_token(&args)) && *tok != '#') {
		if (!strcmp(tok, "none")) {
			cfg->log_dest = 0;
			free(cfg->log_file);
			cfg->log_file = NULL;
			continue;
		}
		if (!strcmp(tok, "file")) {
			/* the path is the rest of the line, as in Mosquitto */
			if (no_value(args))
				return perr(ps, "%s: file: missing path", k->name);
			rc = check_string(ps, k->name, args);
			if (rc)
				return rc;
			if (store_string(&cfg->log_file, args))
				return perr_nomem(ps);
			cfg->log_dest |= CONFIG_LOG_DEST_FILE;
			return 0;
		}
		if (!strcmp(tok, "dlt"))
			return perr(ps, "%s: 'dlt' is not supported by mqttgw yet", k->name);
		for (i = 0; dests[i].name && strcmp(tok, dests[i].name); i++)
			;
		if (!dests[i].name)
			return perr(ps,
				    "%s: invalid value '%.*s' (expected stderr, stdout, syslog, "
				    "topic, file PATH or none)",
				    k->name, CONFIG_ERR_TOKEN, tok);
		cfg->log_dest |= (uint32_t)dests[i].value;
	}
	return 0;
}

/* log_type error|warning|notice|information|debug|subscribe|unsubscribe|websockets|none|all */
static int parse_log_type(struct parse *ps, const struct config_key *k, char *args)
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

	if (no_value(args))
		return perr(ps, "%s: missing argument", k->name);
	if (!(cfg->parse_seen & SEEN_LOG_TYPE)) {
		cfg->log_type = 0;
		cfg->parse_seen |= SEEN_LOG_TYPE;
	}
	while (*(tok = next_token(&args)) && *tok != '#') {
		for (i = 0; types[i].name && strcmp(tok, types[i].name); i++)
			;
		if (!types[i].name) {
			values_list(types, list, sizeof(list));
			return perr(ps, "%s: invalid value '%.*s' (expected %s)", k->name,
				    CONFIG_ERR_TOKEN, tok, list);
		}
		if (!types[i].value)
			cfg->log_type = 0;
		else
			cfg->log_type |= (uint32_t)types[i].value;
	}
	return 0;
}

/* per_listener_settings true|false: like Mosquitto, only before any security key, and once
 * true it stays true (a later `false` is refused rather than ignored). */
static int parse_per_listener(struct parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	char *tok;
	bool v = false;
	int rc;

	rc = one_token(ps, k, args, &tok);
	if (!rc)
		rc = parse_bool(ps, k->name, tok, &v);
	if (rc)
		return rc;
	if (v == cfg->per_listener_settings)
		return 0;
	if (!v)
		return perr(ps, "%s: cannot be set back to false", k->name);
	if (cfg->parse_seen & SEEN_SECURITY)
		return perr(ps,
			    "%s must come before allow_anonymous, password_file, acl_file, "
			    "scram_password_file and allow_zero_length_clientid",
			    k->name);
	cfg->per_listener_settings = true;
	return 0;
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
static void *key_target(struct parse *ps, const struct config_key *k, int *rc)
{
	struct config *cfg = ps->cfg;
	struct config_listener *l = ps->cur >= 0 ? &cfg->listeners[ps->cur] : NULL;

	switch (k->scope) {
	case CS_LISTENER:
		if (!l)
			l = default_listener(ps, rc);
		return l ? (char *)l + k->loff : NULL;
	case CS_LISTENER_BLOCK:
		if (!l) {
			*rc = perr(ps, "%s: needs a 'listener' line before it", k->name);
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

static int parse_generic(struct parse *ps, const struct config_key *k, char *args)
{
	char *tok = args, list[96];
	uint64_t num = 0;
	int64_t secs = 0;
	bool b = false;
	void *dst;
	int i = 0, rc;

	/* the value first, so a bad one creates no default listener */
	if (k->type == CK_STRING) {
		if (no_value(args))
			return perr(ps, "%s: missing argument", k->name);
		rc = check_string(ps, k->name, args);
		if (!rc && k->values) {
			for (i = 0; k->values[i].name && strcmp(args, k->values[i].name); i++)
				;
			if (!k->values[i].name) {
				values_list(k->values, list, sizeof(list));
				rc = perr(ps, "%s: invalid value '%.*s' (expected %s)", k->name,
					  CONFIG_ERR_TOKEN, args, list);
			}
		}
		if (!rc && k->check)
			rc = k->check(ps, k, args);
	} else {
		rc = one_token(ps, k, args, &tok);
		if (rc)
			return rc;
		switch (k->type) {
		case CK_BOOL:
		case CK_TRIBOOL:
			rc = parse_bool(ps, k->name, tok, &b);
			break;
		case CK_NUM:
			rc = parse_number(ps, k->name, tok, k->min, k->max, &num);
			break;
		case CK_DURATION:
			rc = parse_duration(ps, k->name, tok, &secs);
			break;
		case CK_ENUM:
			for (i = 0; k->values[i].name && strcmp(tok, k->values[i].name); i++)
				;
			if (!k->values[i].name) {
				values_list(k->values, list, sizeof(list));
				rc = perr(ps, "%s: invalid value '%.*s' (expected %s)", k->name,
					  CONFIG_ERR_TOKEN, tok, list);
			}
			break;
		default:
			rc = perr(ps, "%s: internal error", k->name);
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
		store_num(dst, k->size, b);
		break;
	case CK_NUM:
		store_num(dst, k->size, num);
		break;
	case CK_DURATION:
		store_num(dst, k->size, (uint64_t)secs);
		break;
	case CK_ENUM:
		store_num(dst, k->size, (uint64_t)(int64_t)k->values[i].value);
		break;
	default: /* CK_STRING */
		if (store_string(dst, tok))
			return perr_nomem(ps);
		break;
	}
	return 0;
}

static int parse_line(struct parse *ps, char *line)
{
	const struct config_key *k;
	char *key, *args, *end;

	line = skip_ws(line);
	end = line + strlen(line);
	while (end > line && strchr(WS, end[-1]))
		*--end = '\0';
	if (!*line || *line == '#')
		return 0;
	args = line;
	key = next_token(&args);
	k = key_find(key);
	if (!k)
		return perr(ps, "unknown option '%.*s'", CONFIG_ERR_TOKEN, key);
	if (k->type == CK_UNSUPPORTED)
		return perr(ps, "option '%.*s' is not supported by mqttgw yet", CONFIG_ERR_TOKEN,
			    key);
	if (k->type == CK_SPECIAL)
		return k->handler(ps, k, args);
	return parse_generic(ps, k, args);
}

int config_parse_text(struct config *cfg, const char *text, size_t len, const char *name,
		      config_include_fn include_fn, char *err, size_t errlen)
{
	struct parse ps = {
	    .cfg = cfg,
	    .name = name ? name : "config",
	    .include_fn = include_fn,
	    .err = err,
	    .errlen = errlen,
	    .cur = -1,
	};
	char *buf = NULL;
	size_t pos = 0, cap = 0;
	int rc = 0;

	set_err(err, errlen, "%s", "");
	if (!cfg || (!text && len))
		return -EINVAL;
	while (!rc && pos < len) {
		const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;

		ps.line++;
		pos += n + 1;
		if (memchr(start, '\0', n)) {
			rc = perr(&ps, "NUL byte in line");
			break;
		}
		if (n + 1 > cap) {
			char *nbuf = realloc(buf, n + 1);

			if (!nbuf) {
				rc = perr_nomem(&ps);
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
	cfg->autosave_interval = 1800;
	cfg->fastpath = CONFIG_FASTPATH_AUTO;
	cfg->fastpath_rate_high = CONFIG_FP_RATE_HIGH;
	cfg->fastpath_rate_low = CONFIG_FP_RATE_LOW;
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
	free(cfg->fastpath_pin_dir);
	free(cfg->use_another_server);
	free(cfg->server_moved);
	free(cfg);
}

struct config_listener *config_add_listener(struct config *cfg, uint16_t port, const char *bind)
{
	struct config_listener *ls, *l;
	char *b = NULL;

	if (cfg->n_listeners >= SIZE_MAX / sizeof(*ls) - 1) {
		errno = ENOMEM;
		return NULL;
	}
	if (bind && !(b = strdup(bind)))
		return NULL;
	ls = realloc(cfg->listeners, (cfg->n_listeners + 1) * sizeof(*ls));
	if (!ls) {
		free(b);
		return NULL;
	}
	cfg->listeners = ls;
	l = &ls[cfg->n_listeners++];
	memset(l, 0, sizeof(*l));
	l->port = port;
	l->bind_address = b;
	l->protocol = CONFIG_PROTO_MQTT;
	l->max_connections = -1;
	l->allow_anonymous = -1;
	return l;
}

/* The first TLS-only option set on a listener without a certificate, or NULL. */
static const char *tls_option_without_cert(const struct config_listener *l)
{
	if (l->cafile)
		return "cafile";
	if (l->capath)
		return "capath";
	if (l->crlfile)
		return "crlfile";
	if (l->tls_version)
		return "tls_version";
	if (l->ciphers)
		return "ciphers";
	if (l->ciphers_tls13)
		return "ciphers_tls1.3";
	if (l->require_certificate)
		return "require_certificate";
	if (l->use_identity_as_username)
		return "use_identity_as_username";
	if (l->use_subject_as_username)
		return "use_subject_as_username";
	return NULL;
}

int config_finish(struct config *cfg, char *err, size_t errlen)
{
	size_t i, j;

	set_err(err, errlen, "%s", "");
	if (!cfg->n_listeners && !config_add_listener(cfg, 1883, "127.0.0.1")) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < cfg->n_listeners; i++) {
		const struct config_listener *l = &cfg->listeners[i];
		const char *b = l->bind_address ? l->bind_address : "", *sp = *b ? " " : "";
		const char *opt;

		if (l->certfile && !l->keyfile) {
			set_err(err, errlen, "listener %u%s%s: certfile without keyfile", l->port,
				sp, b);
			return -EINVAL;
		}
		if (l->keyfile && !l->certfile) {
			set_err(err, errlen, "listener %u%s%s: keyfile without certfile", l->port,
				sp, b);
			return -EINVAL;
		}
		opt = l->certfile ? NULL : tls_option_without_cert(l);
		if (opt) {
			set_err(err, errlen, "listener %u%s%s: %s needs certfile and keyfile (TLS)",
				l->port, sp, b, opt);
			return -EINVAL;
		}
		if (l->require_certificate && !l->cafile && !l->capath) {
			set_err(err, errlen,
				"listener %u%s%s: require_certificate needs cafile or capath",
				l->port, sp, b);
			return -EINVAL;
		}
		for (j = 0; l->port && j < i; j++) {
			const struct config_listener *o = &cfg->listeners[j];

			if (o->port == l->port && same_bind(o->bind_address, l->bind_address)) {
				set_err(err, errlen, "listener %u%s%s: configured twice%s", l->port,
					sp, b,
					o->is_default || l->is_default
					    ? " (one is the default listener of port/bind_address"
					      " or of listener options before any 'listener')"
					    : "");
				return -EINVAL;
			}
		}
	}
	if (cfg->use_another_server && cfg->server_moved) {
		/* 0x9C and 0x9D say opposite things (temporary vs permanent): refuse to guess */
		set_err(err, errlen,
			"use_another_server and server_moved are mutually exclusive (set one)");
		return -EINVAL;
	}
	if (cfg->persistence && !cfg->persistence_file &&
	    !(cfg->persistence_file = strdup("mosquitto.db"))) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* 127.0.0.0/8, ::1, ::ffff:127.x.y.z and "localhost". Pure: inet_pton does no I/O. */
static bool addr_is_loopback(const char *a)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (!a)
		return false;
	if (!strcasecmp(a, "localhost"))
		return true;
	if (inet_pton(AF_INET, a, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, a, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

bool config_listener_anonymous(const struct config *cfg, const struct config_listener *l)
{
	if (l->allow_anonymous >= 0)
		return l->allow_anonymous;
	if (cfg->allow_anonymous >= 0)
		return cfg->allow_anonymous;
	return addr_is_loopback(l->bind_address);
}

const char *config_listener_password_file(const struct config *cfg, const struct config_listener *l)
{
	return l->password_file ? l->password_file : cfg->password_file;
}

const char *config_listener_acl_file(const struct config *cfg, const struct config_listener *l)
{
	return l->acl_file ? l->acl_file : cfg->acl_file;
}

const char *config_listener_scram_file(const struct config *cfg, const struct config_listener *l)
{
	return l->scram_password_file ? l->scram_password_file : cfg->scram_password_file;
}

/* ---- files: config_load() and include_dir ---- */

/*
 * Whole file into a NUL-terminated buffer. `where` prefixes messages ("main.conf:3: ").
 * Opened non-blocking so that a FIFO in an include_dir cannot hang us; only the main file
 * may be something else than a regular file (mqttgwd -c /dev/stdin).
 */
static int read_file(const char *path, const char *where, bool regular_only, char **out,
		     size_t *outlen, char *err, size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "%s%s: cannot open: %s", where, path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		set_err(err, errlen, "%s%s: stat: %s", where, path, strerror(errno));
		goto err_close;
	}
	if (S_ISDIR(st.st_mode) || (regular_only && !S_ISREG(st.st_mode))) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		set_err(err, errlen, "%s%s: %s", where, path,
			S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		goto err_close;
	}
	if (!S_ISREG(st.st_mode) && fcntl(fd, F_SETFL, 0) < 0) {
		rc = -errno;
		set_err(err, errlen, "%s%s: fcntl: %s", where, path, strerror(errno));
		goto err_close;
	}
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= CONFIG_MAX_FILE) {
				set_err(err, errlen, "%s%s: larger than %u bytes", where, path,
					CONFIG_MAX_FILE);
				rc = -EFBIG;
				goto err_free;
			}
			cap = cap ? cap * 2 : 16384;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				set_err(err, errlen, "%s%s: out of memory", where, path);
				rc = -ENOMEM;
				goto err_free;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			set_err(err, errlen, "%s%s: read: %s", where, path, strerror(errno));
			goto err_free;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
err_free:
	free(buf);
err_close:
	close(fd);
	return rc;
}

/* Mosquitto's include_dir order: case-insensitively first, then upper before lower case
 * (00.conf 01.conf A.conf a.conf B.conf b.conf). ASCII only, whatever the locale. */
static int include_name_cmp(const void *pa, const void *pb)
{
	const unsigned char *a = *(const unsigned char *const *)pa;
	const unsigned char *b = *(const unsigned char *const *)pb;

	for (; *a && *b; a++, b++) {
		int ua = *a >= 'a' && *a <= 'z' ? *a - 32 : *a;
		int ub = *b >= 'a' && *b <= 'z' ? *b - 32 : *b;

		if (ua != ub)
			return ua - ub;
		if (*a != *b)
			return *a - *b;
	}
	return *a - *b;
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

/* Sorted names of the *.conf entries of dir. */
static int list_conf_files(const char *dir, const char *where, char ***out, size_t *outn, char *err,
			   size_t errlen)
{
	char **names = NULL, **nn;
	size_t n = 0, len;
	struct dirent *de;
	DIR *d;
	int rc;

	d = opendir(dir);
	if (!d) {
		rc = -errno;
		set_err(err, errlen, "%s: include_dir '%s': %s", where, dir, strerror(errno));
		return rc;
	}
	while ((errno = 0, de = readdir(d))) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			names = nn ? nn : names;
			rc = -ENOMEM;
			set_err(err, errlen, "%s: include_dir '%s': out of memory", where, dir);
			goto err_free;
		}
		names = nn;
		n++;
	}
	if (errno) {
		rc = -errno;
		set_err(err, errlen, "%s: include_dir '%s': %s", where, dir, strerror(errno));
		goto err_free;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), include_name_cmp);
	*out = names;
	*outn = n;
	return 0;
err_free:
	free_names(names, n);
	closedir(d);
	return rc;
}

/* The include_fn of config_load(): included files may not include further (as Mosquitto). */
static int include_dir_files(struct config *cfg, const char *dir, char *err, size_t errlen)
{
	char where[256], prefix[260], *path, *text, **names = NULL;
	size_t i, n = 0, len;
	int rc;

	snprintf(where, sizeof(where), "%s", err && errlen && *err ? err : "include_dir");
	snprintf(prefix, sizeof(prefix), "%s: ", where);
	rc = list_conf_files(dir, where, &names, &n, err, errlen);
	if (rc)
		return rc;
	for (i = 0; !rc && i < n; i++) {
		len = strlen(dir);
		if (asprintf(&path, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/",
			     names[i]) < 0) {
			set_err(err, errlen, "%sout of memory", prefix);
			rc = -ENOMEM;
			break;
		}
		rc = read_file(path, prefix, true, &text, &len, err, errlen);
		if (!rc) {
			rc = config_parse_text(cfg, text, len, path, NULL, err, errlen);
			free(text);
		}
		free(path);
	}
	free_names(names, n);
	return rc;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct config *cfg;
	size_t len;
	char *text;
	int rc;

	*out = NULL;
	set_err(err, errlen, "%s", "");
	rc = read_file(path, "", false, &text, &len, err, errlen);
	if (rc)
		return rc;
	cfg = config_new();
	if (!cfg) {
		free(text);
		set_err(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = config_parse_text(cfg, text, len, path, include_dir_files, err, errlen);
	free(text);
	if (rc) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}
