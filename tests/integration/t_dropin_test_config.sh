#!/usr/bin/env bash
# broker: mqttgwd
# timeout: 60
# `mqttgwd -t` does everything a start does except binding and loading BPF (issue #16): it
# loads password_file, scram_password_file, acl_file and builds every TLS listener's context
# (certfile, keyfile, cafile, crlfile, dhparamfile), and reports the first problem as
# "file:line:" of the config line naming the file, exit status 3. The same at a real start.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
bin=$(broker_bin)
tls_certs
mosquitto_passwd -c -b "$T/passwd" alice secret 2>/dev/null
printf 'topic readwrite #\n' >"$T/acl"
openssl genpkey -genparam -algorithm DH -pkeyopt dh_param:ffdhe2048 -out "$T/dh.pem" 2>/dev/null
printf 'not pem\n' >"$T/bad.pem"

# good: every file there and valid
base() {
	printf '%s\n' "listener $BROKER_PORT $BROKER_HOST" "password_file $T/passwd" \
		"acl_file $T/acl" "scram_password_file $T/passwd" "listener $((BROKER_PORT + 1))" \
		"certfile $TLS/server.crt" "keyfile $TLS/server.key" "cafile $TLS/ca.crt" \
		"crlfile $TLS/crl.pem" "dhparamfile $T/dh.pem"
}
base >"$T/good.conf"
rc=0
out=$("$bin" -t -c "$T/good.conf" 2>&1) || rc=$?
assert_eq 0 "$rc" "valid config: $out"

# each file missing (or not what it should be) in turn: line N of the file names it
check() { # line-number key new-value expected-message-part
	base | awk -v n="$1" -v v="$2 $3" 'NR == n { print v; next } { print }' >"$T/t.conf"
	local rc=0
	out=$("$bin" -t -c "$T/t.conf" 2>&1) || rc=$?
	assert_eq 3 "$rc" "$2 $3: exit status ($out)"
	assert_contains "$out" "$T/t.conf:$1: " "$2: names the config line"
	assert_contains "$out" "$4" "$2: the reason"
}
check 2 password_file "$T/none.pw" "$T/none.pw"
check 3 acl_file "$T/none.acl" "$T/none.acl"
check 4 scram_password_file "$T/none.scram" "$T/none.scram"
check 6 certfile "$T/none.crt" "certfile $T/none.crt: No such file or directory"
check 7 keyfile "$T/none.key" "keyfile $T/none.key: No such file or directory"
check 7 keyfile "$TLS/other.key" "does not match certfile"
check 8 cafile "$T/none.ca" "cafile $T/none.ca: No such file or directory"
check 9 crlfile "$T/none.crl" "crlfile $T/none.crl: No such file or directory"
check 10 dhparamfile "$T/none.dh" "dhparamfile $T/none.dh: No such file or directory"
check 10 dhparamfile "$T/bad.pem" "dhparamfile $T/bad.pem"

# a real start says the same and does not listen
base | sed "s|^password_file .*|password_file $T/none.pw|" >"$T/start.conf"
rc=0
out=$(bns timeout 10 "$bin" -c "$T/start.conf" 2>&1) || rc=$?
assert_eq 3 "$rc" "start with a missing password file: $out"
assert_contains "$out" "$T/start.conf:2: "
