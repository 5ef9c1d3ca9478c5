#!/usr/bin/env bash
# broker: mqttgwd
# needs: bpf
# timeout: 90
# `user` (Mosquitto's semantics, issue #16): started as root, mqttgwd drops to the user (here
# the Debian package's `mosquitto`) and its groups once listeners are open and BPF is loaded
# and pinned, keeping only the capabilities it needs. The running process's credentials come
# from /proc; the kernel fast path still relays flows of clients that join after the drop;
# SIGHUP still reloads a password file the user can read; a user that does not exist is a
# configuration error naming file:line.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/fplib.sh"
# what the daemon keeps (README "user"): measured, see the commit that set DROP_CAPS
DROP_CAPS_HEX=${DROP_CAPS_HEX:-0000000000000000}
[ "$(id -u)" = 0 ] || skip "needs root"
id mosquitto >/dev/null 2>&1 || skip "no mosquitto user"
bin=$(broker_bin)

# a named user that does not exist: exit 3 with the config line, with -t and without
printf 'listener %s %s\nuser no-such-user-xyz\n' "$BROKER_PORT" "$BROKER_HOST" >"$T/nouser.conf"
for args in "-t" ""; do
	rc=0
	# shellcheck disable=SC2086
	bns timeout 10 "$bin" $args -c "$T/nouser.conf" >"$T/nouser.out" 2>&1 || rc=$?
	assert_eq 3 "$rc" "unknown user ($args): exit status"
	assert_contains "$(cat "$T/nouser.out")" "$T/nouser.conf:2: user: no such user 'no-such-user-xyz'"
done

# files the user can read for the SIGHUP reload: a directory of its own
D=$T/pw
mkdir -p "$D"
chmod 755 "$T"
mosquitto_passwd -c -b "$D/passwd" alice secret1 2>/dev/null
chown -R mosquitto: "$D"
# status pins on a bpffs of the test's own: the user must be able to remove them at exit
mkdir -p "$T/bpf"
mount -t bpf bpf "$T/bpf" || skip "cannot mount a bpffs"
at_cleanup "umount $T/bpf"
# anonymous clients stay allowed (fpspec.py's); a wrong password is still refused
BROKER_USER=mosquitto start_broker "password_file $D/passwd" "fastpath_pin_dir $T/bpf/mqttgw"
st=/proc/$BROKER_PID/status
uid=$(id -u mosquitto) gid=$(id -g mosquitto)
assert_eq "$uid	$uid	$uid	$uid" "$(awk '/^Uid:/{print $2"\t"$3"\t"$4"\t"$5}' "$st")" "Uid"
assert_eq "$gid	$gid	$gid	$gid" "$(awk '/^Gid:/{print $2"\t"$3"\t"$4"\t"$5}' "$st")" "Gid"
assert_eq "$(id -G mosquitto | tr ' ' '\n' | sort -n | xargs)" \
	"$(awk '/^Groups:/{$1=""; print}' "$st" | tr ' ' '\n' | sort -n | xargs)" "Groups"
assert_eq "$DROP_CAPS_HEX" "$(awk '/^CapEff:/{print $2}' "$st")" "CapEff"
assert_eq "$DROP_CAPS_HEX" "$(awk '/^CapPrm:/{print $2}' "$st")" "CapPrm"
assert_eq 0000000000000000 "$(awk '/^CapInh:/{print $2}' "$st")" "CapInh"
assert_eq 0000000000000000 "$(awk '/^CapAmb:/{print $2}' "$st")" "CapAmb"
assert_contains "$(cat "$BROKER_LOG")" "Dropped privileges to user mosquitto."
if [ "$FP_ON" = 1 ]; then
	rc=0
	"$bin" --fastpath-status --pin-dir "$T/bpf/mqttgw" >"$T/status.out" 2>&1 || rc=$?
	assert_eq 0 "$rc" "--fastpath-status of the dropped daemon: $(cat "$T/status.out")"
	assert_eq "$uid" "$(stat -c %u "$T/bpf/mqttgw")" "the pin directory is the user's"
fi

# clients that join after the drop: the kernel still relays their flow (fast path legs; the
# `off` leg of the matrix checks the same traffic through the daemon, fplib.sh)
py "$TEST_DIR/fpspec.py" two_subs

rc=0
pub -u alice -P secret1 -t u/x -m before-reload || rc=$?
assert_eq 0 "$rc" "publish with the password before the reload"
# SIGHUP reloads the password file as the user: a new password works at once
mosquitto_passwd -b "$D/passwd" alice secret2 2>/dev/null
chown mosquitto: "$D/passwd"
kill -HUP "$BROKER_PID"
sleep 1
broker_alive
rc=0
pub -u alice -P secret2 -t u/x -m after-reload || rc=$?
assert_eq 0 "$rc" "publish with the reloaded password"
rc=0
pub -u alice -P secret1 -t u/x -m old 2>/dev/null || rc=$?
assert_ne 0 "$rc" "the old password is refused after the reload"
stop_broker
assert_eq "" "$(ls -A "$T/bpf/mqttgw" 2>/dev/null)" "pins removed at exit by the dropped daemon"
