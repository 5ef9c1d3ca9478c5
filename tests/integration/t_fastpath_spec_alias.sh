#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): Frames with a v5 topic alias are passed (props / topic_len) and delivered with the resolved topic; plain frames of the same flow take the kernel path.
# See fpspec.py rule_alias. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
start_broker
py "$TEST_DIR/fpspec.py" alias
