#!/usr/bin/env bash
# broker: mqttgwd
# A bad command line exits 2: an unknown option, -c without its file, -p with a bad port.
. "$(dirname "$0")/lib.sh"
bin=$(broker_bin)
[ -x "$bin" ] || fail "no mqttgwd binary at $bin"
for args in "--no-such-option" "-Z" "-c" "-p" "-p 70000" "-p abc"; do
	rc=0
	# shellcheck disable=SC2086
	bns timeout 10 "$bin" $args >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "mqttgwd $args: exit status; stderr: $(cat "$T/err")"
	[ -s "$T/err" ] || fail "mqttgwd $args: nothing on stderr"
done
