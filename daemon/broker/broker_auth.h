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
/* May session s receive a message on topic (delivery with opts)? */
bool broker_acl_read(struct broker *b, const struct session *s, uint8_t opts, const char *topic,
		     size_t len);
/* check_retain_source (Mosquitto, default true): may retained message m's publisher still
 * write its topic (the ACL in force now, of the listener it published on)? True when the
 * option is off or the publisher is unknown (a message restored from an older store, or the
 * broker's own), as Mosquitto. */
bool broker_acl_retain_source(struct broker *b, const struct msg *m);
/* Topic options for a new subscription of s: opts plus BROKER_OPT_ACL_CHECK when needed;
 * false when the ACL lets the filter deliver nothing. */
bool broker_acl_subscribe(struct broker *b, const struct session *s, const char *filter, size_t len,
			  uint8_t *opts);

#endif /* MQTTGW_BROKER_AUTH_H */
