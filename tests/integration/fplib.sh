# shellcheck shell=bash disable=SC2034
# Sourced after lib.sh by the kernel fast-path tests (t_fastpath_*.sh).
#
# The fast path is what they test, so they run it `on` unless the matrix leg asks for `off`
# (MQTTGW_FASTPATH=off): then they run the same traffic through the daemon alone and check what
# the clients see, without the kernel-path assertions (FP_ON=0, FP_EXPECT=0 for the helpers).
# $SYS every second: the fastpath counters are how a test knows which path a frame took.
if [ "${MQTTGW_FASTPATH:-on}" = off ]; then
	FP_ON=0
else
	FP_ON=1
	MQTTGW_FASTPATH=on
fi
export MQTTGW_FASTPATH
export FP_EXPECT=$FP_ON
SYS_INTERVAL=1
FPLOAD=$TEST_DIR/fpload.py

# fp_sys FILE: the $SYS/broker/fastpath/... figures of a fresh publication cycle, as JSON.
fp_sys() { py "$FPLOAD" sys --json "$1"; }

# fp_get FILE KEY: one figure of an fp_sys file (0 if absent).
fp_get() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' "$1" "$2"; }

# fp_json FILE EXPR: evaluate a Python expression over the JSON object `d` of FILE.
fp_json() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
