#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): A frame over the subscriber's Maximum Packet Size is passed (too_large) and not sent to it; smaller ones still take the kernel path [MQTT-3.1.2-25].
# See fpspec.py rule_maxpacket. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
start_broker
py "$TEST_DIR/fpspec.py" maxpacket
