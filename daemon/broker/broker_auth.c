/* SPDX-License-Identifier: MIT */
/* broker_auth: password and ACL files per listener, and their checks (reload: broker_reload.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_auth.h"
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
	struct broker_auth *a = auth_load_all(b->cfg, err, errlen);

	if (!a)
		return -EINVAL;
	auth_free_all(b->auth, b->cfg->n_listeners);
	b->auth = a;
	return 0;
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

bool broker_acl_retain_source(struct broker *b, const struct msg *m)
{
	const struct msg_source *src = m->source;

	if (!b->cfg->check_retain_source || !src)
		return true;
	return acl_check(broker_auth_for(b, src->listener)->acl, src->id, src->username, m->topic,
			 m->topic_len, ACL_WRITE);
}

bool broker_acl_subscribe(struct broker *b, const struct session *s, const char *filter, size_t len,
			  uint8_t *opts)
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
