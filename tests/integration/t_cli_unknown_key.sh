#!/usr/bin/env bash
# broker: mqttgwd
# A configuration error stops start-up with exit code 3 and a "file:line:" message on stderr:
# an unknown key on line 3, a bad value on line 2, a missing argument.
. "$(dirname "$0")/lib.sh"
bin=$(broker_bin)
[ -x "$bin" ] || fail "no mqttgwd binary at $bin"
check_conf() { # name expected-line text
	local f=$T/$1.conf rc=0
	printf '%s\n' "$3" >"$f"
	bns timeout 10 "$bin" -c "$f" >"$T/$1.out" 2>"$T/$1.err" || rc=$?
	assert_eq 3 "$rc" "$1: exit status; stderr: $(cat "$T/$1.err")"
	grep -q -- "$f:$2:" "$T/$1.err" || fail "$1: no '$f:$2:' on stderr: $(cat "$T/$1.err")"
}
check_conf unknown 3 "listener $BROKER_PORT $BROKER_HOST
allow_anonymous true
no_such_key_at_all 1"
check_conf badvalue 2 "listener $BROKER_PORT $BROKER_HOST
max_keepalive banana"
check_conf noarg 1 "max_connections"
# nothing is listening after the failures
port_listening "$BROKER_PORT" && fail "something listens on $BROKER_PORT after failed starts"
true
