/* SPDX-License-Identifier: MIT */
/* broker_log: `log_dest topic`, log lines published on Mosquitto's $SYS/broker/log/... */
#ifndef MQTTGW_BROKER_LOG_H
#define MQTTGW_BROKER_LOG_H

#include "broker_core.h"

/* Take log lines from log.c (it passes them only while log_dest has topic). 0 or -ENOMEM. */
int broker_log_start(struct broker *b);
/* Stop taking them and drop the ones not yet published. */
void broker_log_stop(struct broker *b);

#endif /* MQTTGW_BROKER_LOG_H */
