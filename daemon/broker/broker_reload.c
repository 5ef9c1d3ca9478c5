/* SPDX-License-Identifier: MIT */
/*
 * broker_reload: SIGHUP (broker_reload() in broker.h). New TLS contexts from the listeners'
 * files, new password and ACL files, every stored subscription re-checked against the new
 * ACL, fast-path routes dropped, and clients whose password entry changed disconnected.
 */
#include <errno.h>
#include <stdio.h>

#include "broker_auth.h"
#include "broker_client.h"
#include "broker_fastpath.h"
#include "broker_store.h"
#include "log.h"

void broker_reload_limits(struct broker *b, const struct config *cfg)
{
	if (cfg->max_inflight_bytes == b->max_inflight_bytes)
		return;
	log_notice("max_inflight_bytes: %llu (was %llu).",
		   (unsigned long long)cfg->max_inflight_bytes,
		   (unsigned long long)b->max_inflight_bytes);
	b->max_inflight_bytes = cfg->max_inflight_bytes;
}

/* New TLS contexts from the listeners' files, psk_file included (existing connections keep
 * theirs, as Mosquitto's already connected PSK clients stay); a listener
 * whose files fail to load keeps its current one. */
static void tls_reload(struct broker *b)
{
	for (size_t i = 0; b->tls && i < b->cfg->n_listeners; i++) {
		const struct config_listener *cl = &b->cfg->listeners[i];
		struct tls_ctx *t;
		char err[512];

		if (!b->tls[i])
			continue;
		t = tls_ctx_listener(b->cfg, cl, NULL, err, sizeof(err));
		if (!t) {
			log_err("Error: reload: %s; keeping the previous TLS settings.", err);
			continue;
		}
		tls_ctx_unref(b->tls[i]);
		b->tls[i] = t;
		log_notice("Reloaded the TLS %s of listener %u.",
			   cl->psk_hint ? (cl->certfile ? "certificates and PSK keys" : "PSK keys")
					: "certificates",
			   cl->port);
	}
}

/* After a reload: every stored subscription gets its check flag from the new ACL. A filter
 * the new ACL lets deliver nothing stays subscribed and is checked per message. */
static void resubscribe_acl(void *ctx, struct session *s)
{
	struct broker *b = ctx;

	for (uint32_t i = 0; i < s->n_subs; i++) {
		struct session_sub *sub = &s->subs[i];
		uint8_t opts = sub->opts;

		if (!broker_acl_subscribe(b, s, sub->filter, sub->len, &opts))
			opts |= BROKER_OPT_ACL_CHECK;
		if (opts == sub->opts)
			continue;
		sub->opts = opts;
		topic_sub_add(b->topics, sub->filter, sub->len, s, opts, sub->sub_id);
		broker_store_sub(b, s, sub->filter, sub->len, opts, sub->sub_id);
	}
}

/* A client whose password file entry changed or went away since it logged in: closed. */
static bool recheck_client(struct client *c, void *ctx)
{
	const struct broker_auth *au = broker_auth_for(c->b, c->auth_idx);

	(void)ctx;
	if (!c->pw_id || passwd_entry_id(c->enhanced ? au->scram : au->pw, c->username) == c->pw_id)
		return false;
	client_close(c, MQTT_RC_NOT_AUTHORIZED,
		     "user deleted or password changed in the reloaded password file");
	return true;
}

int broker_reload(struct broker *b)
{
	char err[512];
	int dropped;

	tls_reload(b);
	if (broker_auth_load(b, err, sizeof(err)) < 0) {
		log_err("Error: reload failed, keeping the previous password and ACL files: %s",
			err);
		return -EINVAL;
	}
	session_foreach(&b->sessions, resubscribe_acl, b);
	broker_fp_flush_routes(b); /* routes were installed under the old ACL */
	dropped = client_close_each(b, recheck_client, NULL);
	if (dropped > 0)
		log_notice(
		    "Reloaded password and ACL files: %d client%s disconnected (user deleted "
		    "or password changed).",
		    dropped, dropped == 1 ? "" : "s");
	else
		log_notice("Reloaded password and ACL files.");
	return 0;
}
