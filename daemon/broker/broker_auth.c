/* SPDX-License-Identifier: MIT */
/* broker: password and ACL files per listener, their checks, and reload on SIGHUP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_int.h"
#include "log.h"

static void auth_warn(void *ctx, const char *msg)
{
	(void)ctx;
	log_warn("Warning: %s", msg);
}

static void auth_free_all(struct broker_auth *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		passwd_free(a[i].pw);
		passwd_free(a[i].scram);
		acl_free(a[i].acl);
	}
	free(a);
}

/* Load every listener's files into a new array; NULL with err on the first failure. */
static struct broker_auth *auth_load_all(const struct config *cfg, char *err, size_t errlen)
{
	struct broker_auth *a = calloc(cfg->n_listeners ? cfg->n_listeners : 1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const char *pf = config_listener_password_file(cfg, &cfg->listeners[i]);
		const char *af = config_listener_acl_file(cfg, &cfg->listeners[i]);
		const char *sf = config_listener_scram_file(cfg, &cfg->listeners[i]);

		if (pf && !(a[i].pw = passwd_load(pf, auth_warn, NULL, err, errlen)))
			goto err_free;
		/* the same file format; only its SCRAM-SHA-256 lines serve SCRAM exchanges */
		if (sf && !(a[i].scram = passwd_load(sf, auth_warn, NULL, err, errlen)))
			goto err_free;
		if (af && !(a[i].acl = acl_load(af, auth_warn, NULL, err, errlen)))
			goto err_free;
	}
	return a;

err_free:
	auth_free_all(a, cfg->n_listeners);
	return NULL;
}

int broker_auth_load(struct broker *b, char *err, size_t errlen)
{
	b->auth = auth_load_all(b->cfg, err, errlen);
	return b->auth ? 0 : -EINVAL;
}

void broker_auth_free(struct broker *b)
{
	auth_free_all(b->auth, b->cfg->n_listeners);
	b->auth = NULL;
}

const struct broker_auth *broker_auth_for(const struct broker *b, uint16_t idx)
{
	static const struct broker_auth none;

	return (b->auth && idx < b->cfg->n_listeners) ? &b->auth[idx] : &none;
}

bool broker_acl_read(struct broker *b, const struct session *s, uint8_t opts, const char *topic,
		     size_t len)
{
	if (!(opts & BROKER_OPT_ACL_CHECK))
		return true;
	return acl_check(broker_auth_for(b, s->auth_idx)->acl, s->client_id, s->username, topic,
			 len, ACL_READ);
}

bool broker_acl_subscribe(struct broker *b, const struct session *s, const char *filter,
			  size_t len, uint8_t *opts)
{
	const struct acl_db *acl = broker_auth_for(b, s->auth_idx)->acl;
	const char *rest = filter;
	size_t rest_len = len;

	*opts &= (uint8_t)~BROKER_OPT_ACL_CHECK;
	if (!acl_check(acl, s->client_id, s->username, filter, len, ACL_SUBSCRIBE))
		return false;
	topic_share_split(filter, len, NULL, NULL, &rest, &rest_len);
	switch (acl_filter_read(acl, s->client_id, s->username, rest, rest_len)) {
	case ACL_REACH_NONE:
		return false;
	case ACL_REACH_SOME:
		*opts |= BROKER_OPT_ACL_CHECK;
		return true;
	default:
		return true;
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
	}
}

/* A client whose password file entry changed or went away since it logged in: closed. */
static bool recheck_client(struct client *c, void *ctx)
{
	const struct broker_auth *au = broker_auth_for(c->b, c->auth_idx);

	(void)ctx;
	if (!c->pw_id ||
	    passwd_entry_id(c->enhanced ? au->scram : au->pw, c->username) == c->pw_id)
		return false;
	client_close(c, MQTT_RC_NOT_AUTHORIZED,
		     "user deleted or password changed in the reloaded password file");
	return true;
}

int broker_reload(struct broker *b)
{
	char err[512];
	struct broker_auth *a;
	int dropped;

	broker_tls_reload(b);
	a = auth_load_all(b->cfg, err, sizeof(err));

	if (!a) {
		log_err("Error: reload failed, keeping the previous password and ACL files: %s",
			err);
		return -EINVAL;
	}
	auth_free_all(b->auth, b->cfg->n_listeners);
	b->auth = a;
	session_foreach(&b->sessions, resubscribe_acl, b);
	broker_fp_flush_routes(b); /* routes were installed under the old ACL */
	dropped = broker_close_each(b, recheck_client, NULL);
	if (dropped > 0)
		log_notice("Reloaded password and ACL files: %d client%s disconnected (user deleted "
			   "or password changed).", dropped, dropped == 1 ? "" : "s");
	else
		log_notice("Reloaded password and ACL files.");
	return 0;
}
