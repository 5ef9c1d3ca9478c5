#!/usr/bin/env bash
# broker: mqttgwd
# `mqttgwd --help` (and -h) exits 0 and prints a usage naming -c, -p, -v and --version, on stdout.
. "$(dirname "$0")/lib.sh"
bin=$(broker_bin)
[ -x "$bin" ] || fail "no mqttgwd binary at $bin"
for opt in --help -h; do
	rc=0
	out=$(timeout 10 "$bin" "$opt" 2>"$T/err") || rc=$?
	assert_eq 0 "$rc" "$opt exit status"
	assert_contains "$out" "Usage" "$opt output"
	for o in -c -p -v --version; do
		grep -q -- "$o\b" <<<"$out" || fail "$opt: usage does not mention $o: $out"
	done
done
