#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): Two subscribers: the route is dropped when the second subscribes, both get every message from the daemon, and the route is learned again when it leaves.
# See fpspec.py rule_two_subs. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
start_broker
py "$TEST_DIR/fpspec.py" two_subs
