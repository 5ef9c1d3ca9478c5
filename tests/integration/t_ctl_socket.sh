#!/usr/bin/env bash
# The control socket's file: control_socket_mode and control_socket_user/_group applied (and
# enforced: a user without write permission cannot connect, exit 3), the defaults (0660, owned by
# the user the daemon drops to), a stale socket left behind replaced at the next start, a live one
# (another daemon serves it) or a file that is not a socket refused (exit 4), an unknown user or
# group and a bad mode refused at start with file:line (exit 3, also by -t), and mqttgwctl's exit 3
# when nothing listens.
# mqttgwd only: control_socket is mqttgw's own.
# broker: mqttgwd
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/ctllib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (socket owners)"
getent passwd mosquitto >/dev/null || skip "needs the mosquitto user"
chmod 0711 "$T" # other users may reach the socket; its own mode decides
# mini_conf FILE PORT LINES...: a config of its own for the daemons that must not start
mini_conf() {
	local f=$1 port=$2
	shift 2
	printf '%s\n' "listener $port $BROKER_HOST" "user root" "fastpath off" "log_dest stderr" \
		"$@" >"$f"
}

# nothing there yet: exit 3
ctl status
assert_eq 3 "$CTL_RC" "no daemon: exit 3"

start_broker_ctl "control_socket_mode 0640" "control_socket_user nobody" \
	"control_socket_group mosquitto"
assert_eq "srw-r----- nobody mosquitto" "$(stat -c '%A %U %G' "$CTL_SOCK")" "mode and owner"
rc=0
setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL_BIN" -s "$CTL_SOCK" status \
	>/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "the owner (rw) may connect"
rc=0
out=$(setpriv --reuid=mosquitto --regid=mosquitto --clear-groups "$CTL_BIN" -s "$CTL_SOCK" \
	status 2>&1) || rc=$?
assert_eq 3 "$rc" "the group (read only) may not connect"
assert_contains "$out" "Permission denied"

# another daemon on the same socket: refused, the first one keeps it
mini_conf "$T/second.conf" "$BROKER_PORT2" "control_socket $CTL_SOCK"
rc=0
bns timeout 20 "$BUILD/mqttgwd" -c "$T/second.conf" >"$T/second.log" 2>&1 || rc=$?
assert_eq 4 "$rc" "second daemon on a live socket"
assert_contains "$(cat "$T/second.log")" "another daemon is serving it"
ctl status >/dev/null
assert_eq 0 "$CTL_RC" "the first daemon still answers"
stop_broker
[ -e "$CTL_SOCK" ] && fail "socket left behind by a daemon that stayed root"

# defaults: 0660, owned by the user it drops to; such a daemon cannot remove the socket from a
# directory it cannot write, and the next start replaces the stale one
BROKER_USER=mosquitto start_broker_ctl
assert_eq "srw-rw---- mosquitto mosquitto" "$(stat -c '%A %U %G' "$CTL_SOCK")" "defaults"
ctl status >/dev/null
assert_eq 0 "$CTL_RC" "root may connect"
stop_broker
[ -S "$CTL_SOCK" ] || fail "expected a stale socket (the dropped daemon cannot unlink it)"
ctl status
assert_eq 3 "$CTL_RC" "a stale socket: exit 3"
start_broker_ctl
ctl status >/dev/null
assert_eq 0 "$CTL_RC" "stale socket replaced"
stop_broker

# not a socket: refused, the file stays
echo keep >"$T/plain"
mini_conf "$T/plain.conf" "$BROKER_PORT2" "control_socket $T/plain"
rc=0
bns timeout 20 "$BUILD/mqttgwd" -c "$T/plain.conf" >"$T/plain.log" 2>&1 || rc=$?
assert_eq 4 "$rc" "control_socket on a regular file"
assert_contains "$(cat "$T/plain.log")" "exists and is not a socket"
assert_eq keep "$(cat "$T/plain")"

# configuration errors, with file:line, at start and with -t
for bad in "control_socket_user no-such-user-x" "control_socket_group no-such-group-x" \
	"control_socket_mode 0999" "control_socket_mode rw"; do
	mini_conf "$T/bad.conf" "$BROKER_PORT2" "control_socket $CTL_SOCK" "$bad"
	line=$(grep -n "^$bad\$" "$T/bad.conf" | cut -d: -f1)
	for t in "" -t; do
		rc=0
		out=$(bns timeout 20 "$BUILD/mqttgwd" -c "$T/bad.conf" $t 2>&1) || rc=$?
		assert_eq 3 "$rc" "'$bad' $t: exit 3"
		assert_contains "$out" "bad.conf:$line: control_socket_" "'$bad' $t: names the line"
	done
done
