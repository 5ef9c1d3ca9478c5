/* SPDX-License-Identifier: MIT */
/* broker_auth: each listener's password and ACL files, and the checks made with them. */
#ifndef MQTTGW_BROKER_AUTH_H
#define MQTTGW_BROKER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker_core.h"

/* Load every listener's files and, when all loaded, replace b->auth with them (the previous
 * set is freed); on failure b->auth stays as it was. 0, or -EINVAL with err. */
int broker_auth_load(struct broker *b, char *err, size_t errlen);
void broker_auth_free(struct broker *b);
/* The databases of listener idx (never NULL; empty when none apply). */
const struct broker_auth *broker_auth_for(const struct broker *b, uint16_t idx);
/* May session s receive a message on topic (delivery with opts)? A subscription the ACL
 * vouched for at SUBSCRIBE is not checked again (inline: no call per delivery) unless a
 * reload's re-check is running. */
bool broker_acl_read_check(struct broker *b, const struct session *s, const char *topic,
			   size_t len);
static inline bool broker_acl_read(struct broker *b, const struct session *s, uint8_t opts,
				   const char *topic, size_t len)
{
	if (!(opts & BROKER_OPT_ACL_CHECK) && !b->acl_walk)
		return true;
	return broker_acl_read_check(b, s, topic, len);
}
/* check_retain_source (Mosquitto, default true): may retained message m's publisher still
 * write its topic (the ACL in force now, of the listener it published on)? True when the
 * option is off or the publisher is unknown (a message restored from an older store, or the
 * broker's own), as Mosquitto. */
bool broker_acl_retain_source(struct broker *b, const struct msg *m);
/* Topic options for a new subscription of s: opts plus BROKER_OPT_ACL_CHECK when needed;
 * false when the ACL lets the filter deliver nothing. */
bool broker_acl_subscribe(struct broker *b, const struct session *s, const char *filter, size_t len,
			  uint8_t *opts);

/* Worker threads hashing passwords: one, at a lower priority than the loop (workpool.h), so
 * a storm of CONNECTs queues there and the loop keeps a core on a two-core gateway. */
#define BROKER_AUTH_THREADS 1

/*
 * The result of a password check started by broker_auth_password_start, on the loop thread:
 * result as passwd_check() (0, -EACCES, -ENOENT, -ENOMEM, -EIO), -ESTALE when the password
 * file was reloaded meanwhile (check again), -ECANCELED at shutdown; pw_id the entry's
 * passwd_entry_id when result is 0; keep[0..keep_len) the caller's bytes (borrowed for the
 * call). Not called when c is freed first.
 */
typedef void (*broker_pwcheck_fn)(struct client *c, int result, uint32_t pw_id, uint8_t *keep,
				  size_t keep_len);
/*
 * Check c->username with password[0..len) against db (the file of c's listener) on the worker
 * pool, then call fn. Copies what it needs; keep[0..keep_len) is copied and handed back to fn.
 * 0 (c->pwjob set), or -errno when it cannot be queued (the caller checks in line).
 */
int broker_auth_password_start(struct client *c, struct passwd_db *db, const void *pw, size_t len,
			       const void *keep, size_t keep_len, broker_pwcheck_fn fn);
/* c is being freed: its running check, if any, will not call back. */
void broker_auth_client_free(struct client *c);
/* Stop the worker pool (broker_free; clients are gone by then). */
void broker_auth_pool_free(struct broker *b);

#endif /* MQTTGW_BROKER_AUTH_H */
