/* SPDX-License-Identifier: MIT */
/* config: listener blocks, the default listener, config_finish() and the per-listener views. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

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
struct config_listener *config_default_listener(struct config_parse *ps, int *rc)
{
	struct config *cfg = ps->cfg;
	struct config_listener *l;
	size_t i;

	for (i = 0; i < cfg->n_listeners; i++) {
		if (cfg->listeners[i].is_default)
			return &cfg->listeners[i];
	}
	if (cfg->n_listeners >= CONFIG_MAX_LISTENERS) {
		*rc = config_perr(ps, "too many listeners (max %d)", CONFIG_MAX_LISTENERS);
		return NULL;
	}
	l = config_add_listener(cfg, 1883, NULL);
	if (!l) {
		*rc = config_perr_nomem(ps);
		return NULL;
	}
	l->is_default = true;
	return l;
}

static int parse_port_token(struct config_parse *ps, const char *key, const char *tok,
			    uint16_t *port)
{
	uint64_t v;
	int rc;

	if (!strcmp(tok, "0"))
		return config_perr(ps, "%s: port 0 (unix socket) is not supported by mqttgw yet",
				   key);
	rc = config_parse_number(ps, key, tok, 1, UINT16_MAX, &v);
	if (!rc)
		*port = (uint16_t)v;
	return rc;
}

/* listener PORT [BIND_ADDRESS]: starts a listener block. */
int config_key_listener(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	struct config_listener *l;
	char *tok, *bind;
	uint16_t port = 0;
	int rc;

	tok = config_next_token(&args);
	if (config_no_value(tok))
		return config_perr(ps, "%s: missing argument", k->name);
	rc = parse_port_token(ps, k->name, tok, &port);
	if (rc)
		return rc;
	bind = config_next_token(&args);
	if (config_no_value(bind)) {
		bind = NULL;
	} else {
		if (!config_no_value(args))
			return config_perr(ps, "%s: unexpected argument '%.*s'", k->name,
					   config_tok_len(args), args);
		rc = config_check_string(ps, k->name, bind);
		if (rc)
			return rc;
	}
	if (find_listener(cfg, port, bind))
		return config_perr(ps, "%s: %u%s%s is already configured", k->name, port,
				   bind ? " " : "", bind ? bind : "");
	if (cfg->n_listeners >= CONFIG_MAX_LISTENERS)
		return config_perr(ps, "too many listeners (max %d)", CONFIG_MAX_LISTENERS);
	l = config_add_listener(cfg, port, bind);
	if (!l)
		return config_perr_nomem(ps);
	ps->cur = (long)(l - cfg->listeners);
	return 0;
}

/* port N: the default listener's port (deprecated in Mosquitto, still common). */
int config_key_port(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config_listener *l;
	uint16_t port = 0;
	char *tok;
	int rc;

	rc = config_one_token(ps, k, args, &tok);
	if (!rc)
		rc = parse_port_token(ps, k->name, tok, &port);
	if (rc)
		return rc;
	l = config_default_listener(ps, &rc);
	if (l)
		l->port = port;
	return rc;
}

/* bind_address ADDR: the default listener's address (deprecated in Mosquitto). */
int config_key_bind_address(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config_listener *l;
	char *tok;
	int rc;

	rc = config_one_string(ps, k, args, &tok);
	if (rc)
		return rc;
	l = config_default_listener(ps, &rc);
	if (l && config_store_string(&l->bind_address, tok))
		rc = config_perr_nomem(ps);
	return rc;
}

int config_check_mount_point(struct config_parse *ps, const struct config_key *k, const char *val)
{
	if (strpbrk(val, "+#"))
		return config_perr(ps, "%s: '%.*s' must not contain the wildcards + or #", k->name,
				   CONFIG_ERR_TOKEN, val);
	return 0;
}

/* ---- lifecycle of listeners, config_finish ---- */

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
	l->max_qos = 2;
	l->max_topic_alias = -1;
	l->allow_zero_length_clientid = -1;
	return l;
}

/*
 * The first TLS-only option set on a listener without a certificate, or NULL. A TLS-PSK
 * listener (psk_hint, Mosquitto) has TLS without one: versions, ciphers and
 * use_identity_as_username (the PSK identity) apply to it.
 */
static const char *tls_option_without_cert(const struct config_listener *l)
{
	bool psk = l->psk_hint != NULL;

	if (l->cafile)
		return "cafile";
	if (l->capath)
		return "capath";
	if (l->crlfile)
		return "crlfile";
	if (l->tls_version && !psk)
		return "tls_version";
	if (l->ciphers && !psk)
		return "ciphers";
	if (l->ciphers_tls13 && !psk)
		return "ciphers_tls1.3";
	if (l->require_certificate)
		return "require_certificate";
	if (l->use_identity_as_username && !psk)
		return "use_identity_as_username";
	if (l->use_subject_as_username)
		return "use_subject_as_username";
	if (l->dhparamfile)
		return "dhparamfile";
	if (l->tls_engine)
		return "tls_engine";
	if (l->tls_keyform != CONFIG_KEYFORM_PEM)
		return "tls_keyform";
	if (l->tls_engine_kpass_sha1)
		return "tls_engine_kpass_sha1";
	return NULL;
}

/* tls_keyform engine needs tls_engine; tls_engine_kpass_sha1 is a SHA-1 in hex (Mosquitto
 * refuses anything else at start). The offending key, or NULL. */
static const char *engine_option_bad(const struct config_listener *l, const char **why)
{
	const char *k = l->tls_engine_kpass_sha1;

	if (l->tls_keyform == CONFIG_KEYFORM_ENGINE && !l->tls_engine) {
		*why = "needs tls_engine";
		return "tls_keyform engine";
	}
	if (k && (strlen(k) != 40 || strspn(k, "0123456789abcdefABCDEF") != 40)) {
		*why = "is not a SHA-1 in hex (40 hex digits)";
		return "tls_engine_kpass_sha1";
	}
	return NULL;
}

int config_finish(struct config *cfg, char *err, size_t errlen)
{
	size_t i, j;
	int rc;

	config_set_err(err, errlen, "%s", "");
	if (!cfg->n_listeners && !config_add_listener(cfg, 1883, "127.0.0.1")) {
		config_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < cfg->n_listeners; i++) {
		const struct config_listener *l = &cfg->listeners[i];
		const char *b = l->bind_address ? l->bind_address : "", *sp = *b ? " " : "";
		const char *opt, *why;

		if (l->certfile && !l->keyfile) {
			config_set_err(err, errlen, "listener %u%s%s: certfile without keyfile",
				       l->port, sp, b);
			return -EINVAL;
		}
		if (l->keyfile && !l->certfile) {
			config_set_err(err, errlen, "listener %u%s%s: keyfile without certfile",
				       l->port, sp, b);
			return -EINVAL;
		}
		opt = l->certfile ? NULL : tls_option_without_cert(l);
		if (opt) {
			config_set_err(err, errlen,
				       "listener %u%s%s: %s needs certfile and keyfile (TLS)",
				       l->port, sp, b, opt);
			return -EINVAL;
		}
		opt = engine_option_bad(l, &why);
		if (opt) {
			config_set_err(err, errlen, "listener %u%s%s: %s %s", l->port, sp, b, opt,
				       why);
			return -EINVAL;
		}
		if (l->require_certificate && !l->cafile && !l->capath) {
			config_set_err(
			    err, errlen,
			    "listener %u%s%s: require_certificate needs cafile or capath", l->port,
			    sp, b);
			return -EINVAL;
		}
		for (j = 0; l->port && j < i; j++) {
			const struct config_listener *o = &cfg->listeners[j];

			if (o->port == l->port && same_bind(o->bind_address, l->bind_address)) {
				config_set_err(
				    err, errlen, "listener %u%s%s: configured twice%s", l->port, sp,
				    b,
				    o->is_default || l->is_default
					? " (one is the default listener of port/bind_address"
					  " or of listener options before any 'listener')"
					: "");
				return -EINVAL;
			}
		}
	}
	rc = config_finish_bind_interface(cfg, err, errlen);
	if (rc < 0)
		return rc;
	if (cfg->use_another_server && cfg->server_moved) {
		/* 0x9C and 0x9D say opposite things (temporary vs permanent): refuse to guess */
		config_set_err(
		    err, errlen,
		    "use_another_server and server_moved are mutually exclusive (set one)");
		return -EINVAL;
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

const char *config_listener_psk_file(const struct config *cfg, const struct config_listener *l)
{
	return l->psk_file ? l->psk_file : cfg->psk_file;
}

const char *config_listener_scram_file(const struct config *cfg, const struct config_listener *l)
{
	return l->scram_password_file ? l->scram_password_file : cfg->scram_password_file;
}
