/* SPDX-License-Identifier: MIT */
/* broker_share: a leaving member's shared-subscription messages (see broker_share.c). */
#ifndef MQTTGW_BROKER_SHARE_H
#define MQTTGW_BROKER_SHARE_H

#include "broker_core.h"

/* s ends (unsubscribed from the tree, not destroyed yet): its unacknowledged
 * shared-subscription messages go to other members of their groups (MQTT 5 4.8.2). */
void broker_share_handover(struct broker *b, struct session *s);

#endif /* MQTTGW_BROKER_SHARE_H */
