/* SPDX-License-Identifier: MIT */
/*
 * config: `connection NAME` blocks (Mosquitto's bridges). config_bridge.c parses one block's
 * keys; this file keeps the blocks in struct config and decides which lines are theirs. A block
 * runs from its `connection` line to the next one or to the end of its file (as Mosquitto:
 * an included file neither continues nor closes the including file's block), so the checks of
 * the whole block run there, and their errors name the `connection` line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

static int block_err(struct config_parse *ps, unsigned long line, const char *msg)
{
	unsigned long cur = ps->line;
	int rc;

	ps->line = line;
	rc = config_perr(ps, "%s", msg);
	ps->line = cur;
	return rc;
}

int config_bridge_close(struct config_parse *ps)
{
	struct config_bridge *b = ps->br;
	char msg[256];
	int rc;

	if (!b)
		return 0;
	ps->br = NULL;
	rc = config_bridge_finish(b, ps->cfg->hostname, msg, sizeof(msg));
	if (rc == -ENOMEM)
		return config_perr_nomem(ps);
	return rc ? block_err(ps, ps->br_line, msg) : 0;
}

int config_key_connection(struct config_parse *ps, const struct config_key *k, char *args)
{
	struct config *cfg = ps->cfg;
	struct config_bridge **v, *b;
	char msg[256], *name = args;
	int rc;

	(void)k;
	rc = config_bridge_close(ps);
	if (rc)
		return rc;
	name = config_next_token(&args);
	if (!name || !*name)
		return config_perr(ps, "connection: missing name");
	if (*config_skip_ws(args))
		return config_perr(ps, "connection: one name expected");
	for (size_t i = 0; i < cfg->n_bridges; i++) {
		if (!strcmp(cfg->bridges[i]->name, name))
			return config_perr(ps, "connection %.*s: the name is already used",
					   CONFIG_ERR_TOKEN, name);
	}
	v = realloc(cfg->bridges, (cfg->n_bridges + 1) * sizeof(*v));
	if (!v)
		return config_perr_nomem(ps);
	cfg->bridges = v;
	b = config_bridge_new(name, msg, sizeof(msg));
	if (!b)
		return errno == ENOMEM ? config_perr_nomem(ps) : config_perr(ps, "%s", msg);
	cfg->bridges[cfg->n_bridges++] = b;
	ps->br = b;
	ps->br_line = ps->line;
	return 0;
}

int config_bridge_line(struct config_parse *ps, const char *key, char *args)
{
	char msg[256];
	int rc;

	if (!ps->br)
		return config_perr(ps,
				   "%.*s: outside a connection block (needs a 'connection' "
				   "line before it)",
				   CONFIG_ERR_TOKEN, key);
	rc = config_bridge_key(ps->br, key, args, msg, sizeof(msg));
	if (rc == -ENOMEM)
		return config_perr_nomem(ps);
	return rc ? config_perr(ps, "%s", msg) : 0;
}

void config_bridges_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_bridges; i++)
		config_bridge_free(cfg->bridges[i]);
	free(cfg->bridges);
	free(cfg->hostname);
}
