/* SPDX-License-Identifier: MIT */
/* broker_session: a session's life after its client: detach, expiry, end. */
#ifndef MQTTGW_BROKER_SESSION_H
#define MQTTGW_BROKER_SESSION_H

#include "broker_client.h"

/*
 * c's connection is gone: publish its will (or hold it for its Will Delay Interval), release
 * the publishers its queue held back, and end its session now (expiry 0), later (expiry
 * timer) or never.
 */
void broker_session_detach(struct client *c);
/* End s now: its delayed will goes out, its subscriptions go, its unacknowledged shared
 * messages go to other members of their groups, and s is destroyed. */
void broker_session_end(struct broker *b, struct session *s);
/* s is taken again (reconnect) or the broker stops: no expiry, and a will that waited for
 * its delay is discarded [MQTT-3.1.3-9]. */
void broker_session_expiry_cancel(struct broker *b, struct session *s);
/* s was restored offline from the store, offline since disconnect_ms (wall clock): its will
 * (taken, NULL: none) goes out in will_secs seconds, and it ends in expiry_secs (UINT32_MAX:
 * never). */
void broker_session_restored(struct broker *b, struct session *s, int64_t disconnect_ms,
			     struct msg *will, uint32_t will_secs, uint32_t expiry_secs);

#endif /* MQTTGW_BROKER_SESSION_H */
