#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): RETAIN=1: the daemon stores it and forwards it with RETAIN 0 (passed/retain), never the kernel [MQTT-3.3.1-12].
# See fpspec.py rule_retain. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
start_broker
py "$TEST_DIR/fpspec.py" retain
