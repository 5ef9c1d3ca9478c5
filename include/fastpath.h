/* SPDX-License-Identifier: MIT */
/*
 * fastpath: the kernel fast path (sockmap + sk_skb verdict) for QoS 0 PUBLISH relay (L1).
 * The only module that includes libbpf or a skeleton. With `fastpath auto` it probes at start
 * and falls back to the slow path with one log line; `fastpath on` refuses to start without
 * it; `off` never loads it.
 */
#ifndef MQTTGW_FASTPATH_H
#define MQTTGW_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct fastpath;

/*
 * Probe and load per mode. Returns 0 with *out set (possibly to an inactive fast path), or
 * -ENOTSUP when mode is CONFIG_FASTPATH_ON and the fast path cannot run (reason in err).
 */
int fastpath_init(struct fastpath **out, enum config_fastpath mode, char *err, size_t errlen);
void fastpath_free(struct fastpath *fp);
bool fastpath_active(const struct fastpath *fp);

#endif /* MQTTGW_FASTPATH_H */
