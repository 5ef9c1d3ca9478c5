#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): A shared subscription (even with one member) is delivered by the daemon; a plain one of the same client takes the kernel path.
# See fpspec.py rule_shared. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
start_broker
py "$TEST_DIR/fpspec.py" shared
