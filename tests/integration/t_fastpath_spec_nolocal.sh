#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): No Local: a client's own messages never come back and never get a route to itself; others' messages to it take the kernel path [MQTT-3.8.3-3].
# See fpspec.py rule_nolocal. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
start_broker
py "$TEST_DIR/fpspec.py" nolocal
