#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): v5 <-> v3.1.1 are re-encoded by the daemon; v5 -> v5 without properties may take the kernel path.
# See fpspec.py rule_proto. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
start_broker
py "$TEST_DIR/fpspec.py" proto
