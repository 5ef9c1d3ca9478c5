#!/usr/bin/env bash
# broker: mqttgwd
# `mqttgwd --version` exits 0 and prints one line naming mqttgwd and a version number.
. "$(dirname "$0")/lib.sh"
bin=$(broker_bin)
[ -x "$bin" ] || fail "no mqttgwd binary at $bin"
rc=0
out=$(timeout 10 "$bin" --version) || rc=$?
assert_eq 0 "$rc" "--version exit status"
assert_match "$out" '^mqttgwd.*[0-9]+\.[0-9]+' "--version output"
