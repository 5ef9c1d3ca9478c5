#!/usr/bin/env bash
# Kernel fast path, invariant 4 (spec rules): ACL: a refused write is never relayed, a per-message read check keeps the daemon's path, and a reload that revokes a right stops a cached route at once.
# See fpspec.py rule_acl. With fastpath off (matrix leg) the same traffic is checked on the daemon's path.
# broker: mqttgwd
# needs: bpf
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
export FP_ACL_FILE=$T/acl
printf 'topic readwrite fp/ok/#\ntopic read fp/ro/#\ntopic read $SYS/#\n' >"$FP_ACL_FILE"
chmod 644 "$FP_ACL_FILE"
start_broker "acl_file $FP_ACL_FILE"
export FP_BROKER_PID=$BROKER_PID
py "$TEST_DIR/fpspec.py" acl
