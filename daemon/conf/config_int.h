/* SPDX-License-Identifier: MIT */
/*
 * config's private header: the key table's types, the state of one parse, and the helpers the
 * daemon/conf/config*.c files share. Nothing outside daemon/conf/ includes it.
 */
#ifndef MQTTGW_CONFIG_INT_H
#define MQTTGW_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "config_bridge.h"

#define MQTT_MAX_PAYLOAD     268435455u
#define CONFIG_MAX_LISTENERS 1024
#define CONFIG_MAX_VALUE     65535	 /* longest string value, as Mosquitto */
#define CONFIG_MAX_FILE	     (16u << 20) /* bigger files are refused */
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

struct config_parse;
struct config_key;
typedef int (*ck_handler)(struct config_parse *ps, const struct config_key *k, char *args);
typedef int (*ck_check)(struct config_parse *ps, const struct config_key *k, const char *val);

struct config_key {
	const char *name; /* ending in '*': a prefix (auth_opt_*) */
	/* 56 bytes a row, not 80 (-2.7 KB of mqttgwd); -Werror=overflow guards the widths */
	enum ck_type type : 8;
	enum ck_scope scope : 8;
	uint16_t goff, loff, size;
	int64_t min;
	uint64_t max;
	const struct ck_value *values;
	ck_handler handler;
	ck_check check;
};

/* One parse of one text: one config_parse_text() call. */
struct config_parse {
	struct config *cfg;
	const char *name;
	unsigned long line;
	const struct config_source *src; /* NULL: include_dir is refused */
	char *err;
	size_t errlen;
	long cur; /* listener of this text's last `listener` line; -1 before one */
	struct config_bridge *br; /* this text's open `connection` block, or NULL */
	unsigned long br_line;	  /* its `connection` line */
};

/* config_lex.c: errors (every message is sanitised: it quotes config text) */
void config_sanitize(char *s);
void config_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "name:line: <fmt>" into the parse's buffer; returns -EINVAL. */
int config_perr(struct config_parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int config_perr_nomem(struct config_parse *ps);
int config_tok_len(const char *s);

/* config_lex.c: tokens and values */
char *config_skip_ws(char *s);
bool config_no_value(const char *args);
char *config_next_token(char **s);
int config_one_token(struct config_parse *ps, const struct config_key *k, char *args, char **tok);
int config_check_string(struct config_parse *ps, const char *key, const char *val);
int config_one_string(struct config_parse *ps, const struct config_key *k, char *args, char **tok);
void config_values_list(const struct ck_value *v, char *buf, size_t len);
int config_parse_bool(struct config_parse *ps, const char *key, const char *tok, bool *out);
int config_parse_number(struct config_parse *ps, const char *key, const char *tok, int64_t min,
			uint64_t max, uint64_t *out);
int config_parse_duration(struct config_parse *ps, const char *key, const char *tok, int64_t *out);
void config_store_num(void *p, size_t size, uint64_t v);
int config_store_string(char **slot, const char *val);

/* config_listener.c */
struct config_listener *config_default_listener(struct config_parse *ps, int *rc);
int config_key_listener(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_port(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_bind_address(struct config_parse *ps, const struct config_key *k, char *args);
int config_check_mount_point(struct config_parse *ps, const struct config_key *k, const char *val);

/* config_special.c */
int config_key_fastpath_flow_rates(struct config_parse *ps, const struct config_key *k,
				   char *args);
/* control_socket_mode MODE: octal permission bits (0-0777) */
int config_key_control_socket_mode(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_server_ref(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_include_dir(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_log_dest(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_log_type(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_listener_setting(struct config_parse *ps, const struct config_key *k, char *args);
/* "name:line: option 'what' is parsed but not applied by mqttgw yet"; returns -EINVAL */
int config_pending(struct config_parse *ps, const char *what);
/* config_http.c */
int config_key_metrics_listener(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_websockets_origin(struct config_parse *ps, const struct config_key *k, char *args);
void config_http_listener_fini(struct config_listener *l);
int config_key_per_listener(struct config_parse *ps, const struct config_key *k, char *args);

/* config_xdp.c: the XDP guard's keys, and config_finish()'s bind_interface step */
int config_key_xdp_interface(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_xdp_syn_rate(struct config_parse *ps, const struct config_key *k, char *args);
int config_key_xdp_cidr(struct config_parse *ps, const struct config_key *k, char *args);
int config_check_ifname(struct config_parse *ps, const struct config_key *k, const char *val);
int config_finish_bind_interface(struct config *cfg, char *err, size_t errlen);
void config_xdp_free(struct config *cfg);

/* config_conn.c: `connection` blocks (bridges). A bridge key (config_bridge_is_key) goes to
 * the open block; keys that are only bridge keys are an error outside one. */
int config_key_connection(struct config_parse *ps, const struct config_key *k, char *args);
int config_bridge_line(struct config_parse *ps, const char *key, char *args);
/* End of a text: finish its open block (defaults, whole-block checks). 0 or -EINVAL/-ENOMEM. */
int config_bridge_close(struct config_parse *ps);
void config_bridges_free(struct config *cfg);

/*
 * config_files.c: parse every "*.conf" file of dir, in Mosquitto's order, into cfg, through src
 * (included files may not include further). `where` ("main.conf:3") prefixes messages about
 * the directory and reading its files. 0 or -errno with err filled.
 */
int config_include_dir(struct config *cfg, const struct config_source *src, const char *where,
		       const char *dir, char *err, size_t errlen);

#endif /* MQTTGW_CONFIG_INT_H */
