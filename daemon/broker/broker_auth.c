/* SPDX-License-Identifier: MIT */
/* broker_auth: password and ACL files per listener, and their checks (reload: broker_reload.c);
 * password hashing runs on the broker's worker pool (io/workpool.c). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_auth.h"
#include "broker_client.h"
#include "crypto.h"
#include "guard.h"
#include "hash.h"
#include "log.h"
#include "workpool.h"

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

bool broker_acl_read_check(struct broker *b, const struct session *s, const char *topic, size_t len)
{
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

/*
 * Password checks off the loop. The job owns copies of what run() reads (user name, password,
 * a reference to the password db) and of what done() needs (the caller's bytes: the CONNECT);
 * the client and the job point at each other, and whichever ends first clears the other's
 * pointer, both on the loop thread, so no side ever sees freed memory.
 */
struct broker_pwjob {
	struct workpool_job wj;
	struct client *c; /* NULL: the client is gone; the job only frees itself */
	atomic_bool skip; /* the client is gone: run() does not hash (set on the loop thread) */
	struct passwd_db *db;
	broker_pwcheck_fn fn;
	int result;
	size_t pw_len, keep_len;
	char *user;
	uint8_t *keep;
	uint8_t pw[];
};

static void pwjob_free(struct broker_pwjob *j)
{
	passwd_free(j->db);
	free(j->user);
	free(j->keep);
	crypto_wipe(j->pw, j->pw_len);
	free(j);
}

static void pwjob_run(struct workpool_job *wj)
{
	struct broker_pwjob *j = (struct broker_pwjob *)wj;

	j->result = atomic_load_explicit(&j->skip, memory_order_relaxed)
			? -ECANCELED
			: passwd_check(j->db, j->user, j->pw, j->pw_len);
}

static void pwjob_done(struct workpool_job *wj, int status)
{
	struct broker_pwjob *j = (struct broker_pwjob *)wj;
	struct client *c = j->c;

	if (c) {
		c->pwjob = NULL;
		if (status < 0)
			j->result = status;
		/* a reload swapped the file while the job ran: the caller checks again */
		else if (j->db != broker_auth_for(c->b, c->auth_idx)->pw)
			j->result = -ESTALE;
		j->fn(c, j->result, j->result ? 0 : passwd_entry_id(j->db, j->user), j->keep,
		      j->keep_len);
	}
	pwjob_free(j);
}

/* The job's fairness key: the client's address (c->peer without the port), hashed; 0: none. */
static uint64_t peer_key(const struct client *c)
{
	size_t n = client_peer_addr_len(c);

	return n ? (uint64_t)hash_bytes(0, c->peer, n) << 1 | 1 : 0;
}

int broker_auth_password_start(struct client *c, struct passwd_db *db, const void *pw, size_t len,
			       const void *keep, size_t keep_len, broker_pwcheck_fn fn)
{
	struct broker *b = c->b;
	struct broker_pwjob *j;
	int rc;

	if (!b->pool) {
		b->pool = workpool_new(b->loop, BROKER_AUTH_THREADS);
		if (!b->pool)
			return -errno;
	}
	j = calloc(1, sizeof(*j) + len);
	if (!j)
		return -ENOMEM;
	j->wj.run = pwjob_run;
	j->wj.done = pwjob_done;
	j->c = c;
	j->fn = fn;
	j->pw_len = len;
	memcpy(j->pw, pw, len);
	j->user = strdup(c->username);
	j->keep = malloc(keep_len ? keep_len : 1);
	if (!j->user || !j->keep) {
		pwjob_free(j);
		return -ENOMEM;
	}
	memcpy(j->keep, keep, keep_len);
	j->keep_len = keep_len;
	j->db = passwd_ref(db);
	/* fair order: one address's checks queue behind each other's, a suspect address's (recent
	 * failed logins, counted by the XDP guard) behind everyone's (see workpool.h) */
	j->wj.key = peer_key(c);
	j->wj.rank = c->conn ? guard_suspicion_fd(c->conn->fd) * WORKPOOL_RANK_SUSPECT : 0;
	rc = workpool_submit(b->pool, &j->wj);
	if (rc < 0) {
		pwjob_free(j);
		return rc;
	}
	c->pwjob = j;
	return 0;
}

void broker_auth_client_free(struct client *c)
{
	if (c->pwjob) {
		c->pwjob->c = NULL;
		atomic_store_explicit(&c->pwjob->skip, true, memory_order_relaxed);
	}
	c->pwjob = NULL;
}

void broker_auth_pool_free(struct broker *b)
{
	workpool_free(b->pool);
	b->pool = NULL;
}
