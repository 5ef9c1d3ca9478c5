/* SPDX-License-Identifier: MIT */
/* broker_sys: $SYS/broker/... topics, published retained every sys_interval. */
#ifndef MQTTGW_BROKER_SYS_H
#define MQTTGW_BROKER_SYS_H

#include "broker_core.h"

/* Publish once now and arm the sys_interval timer (none when sys_interval is 0). */
void broker_sys_start(struct broker *b);
void broker_sys_publish(struct broker *b);

#endif /* MQTTGW_BROKER_SYS_H */
