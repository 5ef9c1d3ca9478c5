/* SPDX-License-Identifier: MIT */
/*
 * broker_metrics: `metrics_listener` (issue 18): GET /metrics renders broker_figures() (the
 * same figures as $SYS) in the Prometheus text format, plus latency histograms; GET /healthz.
 */
#ifndef MQTTGW_BROKER_METRICS_H
#define MQTTGW_BROKER_METRICS_H

#include "broker_core.h"

/* Open the metrics listener when configured. 0, or -errno with err set. */
int broker_metrics_start(struct broker *b, char *err, size_t errlen);
void broker_metrics_stop(struct broker *b);
/* A PUBLISH came in (its delivery latency is measured to the end of the next write pass). */
void broker_metrics_pub_in(struct broker *b);
/* The write pass of this loop iteration is done. */
void broker_metrics_flushed(struct broker *b);
uint16_t broker_metrics_port(const struct broker *b);

#endif /* MQTTGW_BROKER_METRICS_H */
