#!/usr/bin/env bash
# broker: mqttgwd
# `mqttgwd -t` (issue #16) loads psk_file as a start does and reports the first problem as
# "config:line: ... psk-file:line: reason", exit status 3: a missing file, a non-hex key, an
# empty key; a global psk_file is loaded even without a psk_hint listener (Mosquitto loads it
# too). A real start refuses the same way. (-t output is mqttgwd's: Mosquitto has no -t.)
. "$(dirname "$0")/lib.sh"
bin=$(broker_bin)
printf '# ok\ndev1:00112233\n' >"$T/good.psk"
printf 'dev1:00112233\ndev2:0x1234\n' >"$T/nonhex.psk"
printf 'dev1:00112233\n\ndev3:\n' >"$T/empty.psk"

conf() { # psk_file-path [extra lines]
	local f=$1
	shift
	printf '%s\n' "listener $BROKER_PORT $BROKER_HOST" "psk_hint gw" "psk_file $f" "$@" \
		>"$T/t.conf"
}
check() { # expected-message-part
	local rc=0
	out=$("$bin" -t -c "$T/t.conf" 2>&1) || rc=$?
	assert_eq 3 "$rc" "exit status ($out)"
	assert_contains "$out" "$T/t.conf:3: " "names the config line"
	assert_contains "$out" "$1" "the reason"
}

conf "$T/good.psk"
rc=0
out=$("$bin" -t -c "$T/t.conf" 2>&1) || rc=$?
assert_eq 0 "$rc" "valid psk file: $out"
conf "$T/none.psk"
check "$T/none.psk"
conf "$T/nonhex.psk"
check "$T/nonhex.psk:2: key for identity \"dev2\" is not hexadecimal"
conf "$T/empty.psk"
check "$T/empty.psk:3: empty key"

# a global psk_file with no PSK listener is still loaded
printf '%s\n' "psk_file $T/nonhex.psk" "listener $BROKER_PORT $BROKER_HOST" >"$T/t2.conf"
rc=0
out=$("$bin" -t -c "$T/t2.conf" 2>&1) || rc=$?
assert_eq 3 "$rc" "global psk_file, no PSK listener ($out)"
assert_contains "$out" "$T/t2.conf:1: " "names the config line"
assert_contains "$out" "$T/nonhex.psk:2: "

# per_listener_settings: the listener's own file
printf '%s\n' "per_listener_settings true" "listener $BROKER_PORT $BROKER_HOST" "psk_hint gw" \
	"psk_file $T/good.psk" "listener $((BROKER_PORT + 1)) $BROKER_HOST" "psk_hint gw2" \
	"psk_file $T/empty.psk" >"$T/t3.conf"
rc=0
out=$("$bin" -t -c "$T/t3.conf" 2>&1) || rc=$?
assert_eq 3 "$rc" "per-listener psk_file ($out)"
assert_contains "$out" "$T/t3.conf:7: " "names the second listener's line"

# a real start says the same and does not listen
conf "$T/nonhex.psk" "user root"
rc=0
out=$(bns timeout 10 "$bin" -c "$T/t.conf" 2>&1) || rc=$?
assert_eq 3 "$rc" "start with a bad psk file: $out"
assert_contains "$out" "$T/t.conf:3: "
assert_contains "$out" "not hexadecimal"
