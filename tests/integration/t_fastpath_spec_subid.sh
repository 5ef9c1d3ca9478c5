#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): A subscription identifier is added per delivery: the daemon's path; without one the flow is relayed in the kernel [MQTT-3.3.4-3].
# See fpspec.py rule_subid. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
start_broker
py "$TEST_DIR/fpspec.py" subid
