/* SPDX-License-Identifier: MIT */
/* mqttgwctl_fmt: the daemon's JSON answers as tables and lines for people (mqttgwctl.c). */
#ifndef MQTTGW_MQTTGWCTL_FMT_H
#define MQTTGW_MQTTGWCTL_FMT_H

#include <cjson/cJSON.h>

#include "ctlproto.h"

/* Print the answer to cmd (ans: the whole first line, {"ok":true,"result":...}). */
void fmt_answer(enum ctlp_cmd cmd, const cJSON *ans);
/* trace: the first line (to stderr: stdout carries only messages), then one per message. */
void fmt_trace_start(const cJSON *ans);
void fmt_trace_line(const cJSON *line);

#endif /* MQTTGW_MQTTGWCTL_FMT_H */
