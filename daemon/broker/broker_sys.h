/* SPDX-License-Identifier: MIT */
/* broker_sys: $SYS/broker/... topics, published retained every sys_interval. */
#ifndef MQTTGW_BROKER_SYS_H
#define MQTTGW_BROKER_SYS_H

#include "broker_core.h"

/*
 * The broker's figures, one list for every reader: $SYS publishes them (Mosquitto's topics,
 * broker_sys_publish), /metrics renders them (broker_metrics.c). Each comes as its $SYS topic,
 * its value as $SYS shows it, and what kind of figure it is.
 */
enum broker_fig_kind {
	BROKER_FIG_COUNTER = 0, /* only goes up (until a restart) */
	BROKER_FIG_GAUGE,	/* goes up and down; a value like "12 seconds" is its number */
	BROKER_FIG_BOOL,	/* "true" or "false" */
	BROKER_FIG_INFO,	/* text (version, states, last errors) */
};

struct broker_figures {
	void (*fn)(void *ctx, const char *topic, const char *value, enum broker_fig_kind kind);
	void *ctx;
};

/* Every figure into f, in a fixed order. sys: for $SYS (the retained count then includes
 * the retained message that will carry it). */
void broker_figures(struct broker *b, bool sys, struct broker_figures *f);

/* Publish once now and arm the sys_interval timer (none when sys_interval is 0). */
void broker_sys_start(struct broker *b);
void broker_sys_publish(struct broker *b);

#endif /* MQTTGW_BROKER_SYS_H */
