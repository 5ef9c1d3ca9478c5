/* SPDX-License-Identifier: MIT */
/*
 * config_http: the keys of the daemon's HTTP (issue 18): `metrics_listener ADDR:PORT`
 * (mqttgw's), and on websocket listeners Mosquitto's `http_dir DIR` and `websockets_origin
 * ORIGIN` (Mosquitto 2.1's name; 2.0.11 has no origin check).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* metrics_listener ADDR:PORT, [V6ADDR]:PORT or PORT (every address). Once. */
int config_key_metrics_listener(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	char *tok, *colon, *addr;
	uint64_t port = 0;
	int rc;

	rc = config_one_token(ps, k, args, &tok);
	if (rc)
		return rc;
	if (cfg->metrics_on)
		return config_perr(ps, "%s: given twice", k->name);
	colon = strrchr(tok, ':');
	if (tok[0] == '[') {
		char *close = strchr(tok, ']');

		if (!close || close[1] != ':')
			return config_perr(ps, "%s: expected [ADDRESS]:PORT", k->name);
		*close = '\0';
		addr = tok + 1;
		colon = close + 1;
	} else if (colon) {
		*colon = '\0';
		addr = tok;
	} else {
		addr = NULL;
		colon = tok - 1;
	}
	if (addr && (!*addr || strchr(addr, ':') != NULL) && tok[0] != '[')
		return config_perr(ps, "%s: expected ADDRESS:PORT", k->name);
	rc = config_parse_number(ps, k->name, colon + 1, 0, UINT16_MAX, &port);
	if (rc)
		return rc;
	if (addr && config_store_string(&cfg->metrics_addr, addr))
		return config_perr_nomem(ps);
	cfg->metrics_port = (uint16_t)port;
	cfg->metrics_on = true;
	return 0;
}

/* websockets_origin ORIGIN: in a listener block, once per origin allowed. */
int config_key_websockets_origin(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config_listener *l;
	char **v, *tok;
	int rc;

	rc = config_one_string(ps, k, args, &tok);
	if (rc)
		return rc;
	if (ps->cur < 0)
		return config_perr(ps, "%s: needs a 'listener' line before it", k->name);
	l = &ps->cfg->listeners[ps->cur];
	v = realloc(l->ws_origins, (l->n_ws_origins + 1) * sizeof(*v));
	if (!v)
		return config_perr_nomem(ps);
	l->ws_origins = v;
	if (!(v[l->n_ws_origins] = strdup(tok)))
		return config_perr_nomem(ps);
	l->n_ws_origins++;
	return 0;
}

void config_http_listener_fini(struct config_listener *l)
{
	for (size_t i = 0; i < l->n_ws_origins; i++)
		free(l->ws_origins[i]);
	free(l->ws_origins);
	free(l->http_dir);
}
