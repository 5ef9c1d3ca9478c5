# shellcheck shell=bash
# Helpers for the mqttgwctl tests (t_ctl_*.sh), sourced after lib.sh.
#   start_broker_ctl [lines...]   start_broker with `control_socket $CTL_SOCK`
#   ctl ARGS...                   mqttgwctl -s $CTL_SOCK ARGS (output on stdout, status in $CTL_RC)
#   ctl_json ARGS...              ctl --json ARGS; fails unless it exits 0
#   jq_py FILE EXPR               a Python expression on the parsed JSON `j` (FILE: one line)
CTL_BIN=${MQTTGWCTL:-$BUILD/mqttgwctl}
CTL_SOCK=$T/ctl.sock
[ -x "$CTL_BIN" ] || fail "mqttgwctl not built: $CTL_BIN"

start_broker_ctl() {
	start_broker "control_socket $CTL_SOCK" "$@"
}

ctl() {
	CTL_RC=0
	timeout -k 2 20 "$CTL_BIN" -s "$CTL_SOCK" "$@" || CTL_RC=$?
}

ctl_json() {
	local out
	out=$(timeout -k 2 20 "$CTL_BIN" -s "$CTL_SOCK" --json "$@") ||
		fail "mqttgwctl --json $* exited $?: $out"
	printf '%s\n' "$out"
}

# jq_py JSON EXPR: print eval(EXPR) with j = json.loads(JSON).
jq_py() {
	"$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); r=eval(sys.argv[2]); print(json.dumps(r) if not isinstance(r, str) else r)' "$1" "$2"
}
