/* SPDX-License-Identifier: MIT */
/*
 * config: the XDP guard's keys (xdp_interface, xdp_syn_rate, xdp_allow, xdp_deny) and the
 * bind_interface step of config_finish(). Values are checked with the xdp_guard module's pure
 * half (daemon/xdp/xdp_parse.c), so a typo fails at file:line, not when the guard loads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "xdp_parse.h"

/* Longest interface name the kernel takes (IFNAMSIZ - 1), without including <net/if.h>. */
#define CONFIG_IFNAME_MAX 15

/* Append a copy of s to a growing array of strings. 0 or -ENOMEM. */
static int str_append(char ***arr, size_t *n, const char *s)
{
	char **a, *c = strdup(s);

	if (!c)
		return -ENOMEM;
	a = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!a) {
		free(c);
		return -ENOMEM;
	}
	a[(*n)++] = c;
	*arr = a;
	return 0;
}

static int check_ifname(struct config_parse *ps, const char *key, const char *name)
{
	if (!*name || strlen(name) > CONFIG_IFNAME_MAX || strpbrk(name, "/:% \t"))
		return config_perr(ps, "%s: invalid interface name '%.*s'", key, CONFIG_ERR_TOKEN,
				   name);
	return config_check_string(ps, key, name);
}

int config_check_ifname(struct config_parse *ps, const struct config_key *k, const char *val)
{
	return check_ifname(ps, k->name, val);
}

/* xdp_interface IFNAME [native|generic|auto]: repeatable; the same name twice is an error. */
int config_key_xdp_interface(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	char *name = config_next_token(&args), *mode_tok = config_next_token(&args);
	struct config_xdp_iface *a;
	enum xdp_guard_mode mode = XDP_GUARD_AUTO;
	int rc;

	if (config_no_value(name))
		return config_perr(ps, "%s: missing argument", k->name);
	if (!config_no_value(args))
		return config_perr(ps, "%s: unexpected argument '%.*s'", k->name,
				   config_tok_len(args), args);
	rc = check_ifname(ps, k->name, name);
	if (rc)
		return rc;
	if (!config_no_value(mode_tok) && xdp_guard_parse_mode(mode_tok, &mode) < 0)
		return config_perr(ps, "%s: invalid mode '%.*s' (expected native, generic or auto)",
				   k->name, CONFIG_ERR_TOKEN, mode_tok);
	for (size_t i = 0; i < cfg->n_xdp_ifaces; i++)
		if (!strcmp(cfg->xdp_ifaces[i].name, name))
			return config_perr(ps, "%s: %s is already configured", k->name, name);
	a = realloc(cfg->xdp_ifaces, (cfg->n_xdp_ifaces + 1) * sizeof(*a));
	if (!a)
		return config_perr_nomem(ps);
	cfg->xdp_ifaces = a;
	a[cfg->n_xdp_ifaces].name = strdup(name);
	if (!a[cfg->n_xdp_ifaces].name)
		return config_perr_nomem(ps);
	a[cfg->n_xdp_ifaces++].mode = (int)mode;
	return 0;
}

/* xdp_syn_rate N [BURST]: SYNs per second per source (0: no limit), burst default N. */
int config_key_xdp_syn_rate(struct config_parse *ps, const struct config_key *k, char *args)
{
	char *rate_tok = config_next_token(&args), *burst_tok = config_next_token(&args);
	uint64_t rate, burst = 0;
	int rc;

	if (config_no_value(rate_tok))
		return config_perr(ps, "%s: missing argument", k->name);
	if (!config_no_value(args))
		return config_perr(ps, "%s: unexpected argument '%.*s'", k->name,
				   config_tok_len(args), args);
	rc = config_parse_number(ps, k->name, rate_tok, 0, 100000000, &rate);
	if (!rc && !config_no_value(burst_tok))
		rc = config_parse_number(ps, k->name, burst_tok, 1, 100000000, &burst);
	if (rc)
		return rc;
	ps->cfg->xdp_syn_rate = (uint32_t)rate;
	ps->cfg->xdp_syn_burst = (uint32_t)burst;
	return 0;
}

/* xdp_allow CIDR / xdp_deny CIDR: repeatable, one CIDR per line. */
int config_key_xdp_cidr(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	bool allow = !strcmp(k->name, "xdp_allow");
	struct xdp_guard_cidr c;
	char *tok;
	int rc;

	rc = config_one_token(ps, k, args, &tok);
	if (rc)
		return rc;
	if (xdp_guard_parse_cidr(tok, &c) < 0)
		return config_perr(ps,
				   "%s: invalid CIDR '%.*s' (ADDR or ADDR/PREFIX, host bits zero)",
				   k->name, CONFIG_ERR_TOKEN, tok);
	if (allow ? str_append(&cfg->xdp_allow, &cfg->n_xdp_allow, tok)
		  : str_append(&cfg->xdp_deny, &cfg->n_xdp_deny, tok))
		return config_perr_nomem(ps);
	return 0;
}

/*
 * bind_interface: check the name, then hand listener_new() "ADDR%IFNAME" (or "%IFNAME") in
 * bind_address: the broker opens listeners from bind_address alone, and a zone suffix is what
 * getaddrinfo() users already know for "this address on that interface". Idempotent.
 */
int config_finish_bind_interface(struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		struct config_listener *l = &cfg->listeners[i];
		const char *b = l->bind_address ? l->bind_address : "";
		size_t blen = strlen(b), ilen;
		char *nb;

		if (!l->bind_interface)
			continue;
		ilen = strlen(l->bind_interface);
		if (ilen > CONFIG_IFNAME_MAX || strpbrk(l->bind_interface, "/:% \t")) {
			config_set_err(err, errlen, "listener %u: invalid bind_interface '%.*s'",
				       l->port, CONFIG_ERR_TOKEN, l->bind_interface);
			return -EINVAL;
		}
		if (blen > ilen && b[blen - ilen - 1] == '%' &&
		    !strcmp(b + blen - ilen, l->bind_interface))
			continue; /* done by an earlier call */
		if (strchr(b, '%')) {
			config_set_err(
			    err, errlen,
			    "listener %u %s: an address with a %%zone and bind_interface: "
			    "give only one",
			    l->port, b);
			return -EINVAL;
		}
		nb = malloc(blen + ilen + 2);
		if (!nb) {
			config_set_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
		snprintf(nb, blen + ilen + 2, "%s%%%s", b, l->bind_interface);
		free(l->bind_address);
		l->bind_address = nb;
	}
	return 0;
}

void config_xdp_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_xdp_ifaces; i++)
		free(cfg->xdp_ifaces[i].name);
	free(cfg->xdp_ifaces);
	for (size_t i = 0; i < cfg->n_xdp_allow; i++)
		free(cfg->xdp_allow[i]);
	free(cfg->xdp_allow);
	for (size_t i = 0; i < cfg->n_xdp_deny; i++)
		free(cfg->xdp_deny[i]);
	free(cfg->xdp_deny);
}
