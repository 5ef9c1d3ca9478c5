#!/usr/bin/env bash
# mqttgw-passwd against the real Mosquitto 2.0 tools, whatever broker the suite runs against:
#  - the same command-line errors give the same message and exit status as mosquitto_passwd;
#  - it writes "$7$<default>$<12-byte salt>$<64-byte hash>" lines, mode 0600, replaces files
#    atomically, keeps owner/group, updates/deletes/converts (-U) like mosquitto_passwd;
#  - on a terminal it prompts twice without echo (mismatch: exit 2);
#  - files made by mosquitto_passwd ($7$ and -H sha512 $6$) are kept and extended;
#  - our passwd module (mqttgw-passwd --check) verifies entries mosquitto_passwd makes now;
#  - /usr/sbin/mosquitto accepts the users it wrote (right password: CONNACK 0; wrong: 5).
# timeout: 360
# shellcheck disable=SC2016 # the '$7$...' in single quotes are regular expressions
# shellcheck disable=SC2034 # read by lib.sh: the cross-check broker is Mosquitto itself
MQTTGW_TEST_BROKER=mosquitto
. "$(dirname "$0")/lib.sh"

TOOL=${MQTTGW_PASSWD:-$BUILD/mqttgw-passwd}
[ -x "$TOOL" ] || fail "no mqttgw-passwd at $TOOL (make BUILD=... all)"
command -v mosquitto_passwd >/dev/null || skip "mosquitto_passwd not installed"
[ -x /usr/sbin/mosquitto ] || skip "mosquitto not installed"
if [ "$(id -u)" != 0 ] || ! id mosquitto >/dev/null 2>&1; then
	skip "needs root and the mosquitto user (files are chowned to the broker's user)"
fi
cd "$T" || fail "cd $T"

# ---- 1. error cases: same stderr and exit status as mosquitto_passwd ----
: >exists
cases=(
	"-c -D f u" "-c -U f" "-D -U f" "-b -D f u" "-c" "-c f" "-c -b f u" "-D f" "-U" "-U f x"
	"-b -c f a:b p" "-H md5 -b f u p" "-H" "-I" "-I 0 -b f u p" "-b nonexist u p"
	"-D nonexist u" "-D exists nosuch"
)
for args in "${cases[@]}"; do
	rc_m=0 rc_g=0
	# shellcheck disable=SC2086
	mosquitto_passwd $args >m.out 2>m.err </dev/null || rc_m=$?
	# shellcheck disable=SC2086
	"$TOOL" $args >g.out 2>g.err </dev/null || rc_g=$?
	assert_eq "$rc_m" "$rc_g" "exit status of '$args'"
	assert_eq "$(cat m.err)" "$(cat g.err)" "stderr of '$args'"
done
# usage (no arguments, or a wrong count) goes to stdout with status 1
rc=0
"$TOOL" >g.out 2>&1 || rc=$?
assert_eq 1 "$rc" "no arguments"
assert_contains "$(cat g.out)" "Usage: mqttgw-passwd"

# ---- 2. create, add, update, delete ----
"$TOOL" -c -b pw alice 'secret one' || fail "-c -b"
assert_eq 600 "$(stat -c %a pw)" "mode of a new file"
assert_match "$(cat pw)" '^alice:\$7\$5000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$' "entry format"
"$TOOL" -b pw bob bobpw || fail "add bob"
"$TOOL" -I 1000 -b pw carol carolpw || fail "add carol with -I"
assert_match "$(grep '^carol:' pw)" '^carol:\$7\$1000\$' "-I"
old_alice=$(grep '^alice:' pw)
"$TOOL" -b pw alice 'secret two' || fail "update alice"
assert_ne "$old_alice" "$(grep '^alice:' pw)" "alice's line changed"
assert_eq "alice bob carol" "$(cut -d: -f1 pw | xargs)" "order kept, updated in place"
"$TOOL" -D pw bob || fail "delete bob"
assert_eq "alice carol" "$(cut -d: -f1 pw | xargs)" "bob deleted"
# an existing file keeps its owner/group; no temp file is left behind
chown mosquitto:mosquitto pw
"$TOOL" -b pw dave davepw || fail "add dave"
assert_eq "mosquitto:mosquitto 600" "$(stat -c '%U:%G %a' pw)" "owner and mode after update"
assert_eq "" "$(find . -name '*.tmp-*')" "temp files left"
# a corrupt line: error, file unchanged (mosquitto_passwd 2.0.11 rewrote it and exited 0)
cp pw pw.save
echo "corrupt" >>pw
cp pw pw.corrupt
rc=0
"$TOOL" -b pw erin erinpw 2>err || rc=$?
assert_eq 1 "$rc" "corrupt file"
assert_eq "Error: Corrupt password file at line 4." "$(cat err)"
cmp -s pw pw.corrupt || fail "corrupt file was modified"
cp pw.save pw

# ---- 3. -U: plain text converted, hashed lines kept ----
mosquitto_passwd -c -H sha512 -b plain heidi heidipw
heidi=$(cat plain)
printf '# plain file\nfrank: frankpw \ngrace:gracepw\n%s\n' "$heidi" >plain
"$TOOL" -U plain || fail "-U"
assert_eq "$heidi" "$(grep '^heidi:' plain)" "-U keeps hashed lines"
assert_eq "# plain file" "$(head -n 1 plain)" "-U keeps comments"
assert_match "$(grep '^frank:' plain)" '^frank:\$7\$5000\$' "-U hashes plain text"

# ---- 4. a terminal: two prompts, no echo ----
py - "$TOOL" "$T/tty.pw" <<'PY'
import os, pty, sys, time
tool, path = sys.argv[1], sys.argv[2]
def run(args, answers):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(tool, [tool] + args)
    out = b""
    for a in answers:
        deadline = time.time() + 10
        while not out.rstrip().endswith(b":") and time.time() < deadline:
            out += os.read(fd, 1024)
        os.write(fd, a)
        out += b"|"
    try:
        while True:
            d = os.read(fd, 1024)
            if not d:
                break
            out += d
    except OSError:
        pass
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st), out
rc, out = run(["-c", path, "ivan"], [b"tty-secret\n", b"tty-secret\n"])
assert rc == 0, (rc, out)
assert b"Password:" in out and b"Reenter password:" in out, out
assert b"tty-secret" not in out, "password echoed: %r" % out
rc, out = run(["-c", path + ".2", "ivan"], [b"one\n", b"two\n"])
assert rc == 2 and b"Error: Passwords do not match." in out, (rc, out)
assert not os.path.exists(path + ".2")
PY
assert_match "$(cat tty.pw)" '^ivan:\$7\$' "entry written from the terminal"
cat tty.pw >>pw

# ---- 5. files made by mosquitto_passwd: extended by mqttgw-passwd ----
mosquitto_passwd -c -b mpw judy judypw
mosquitto_passwd -H sha512 -b mpw ken kenpw
"$TOOL" -b mpw leo leopw || fail "extend a mosquitto_passwd file"
cat mpw plain >>pw

# ---- 6. our passwd module (--check = passwd_load + passwd_check) reads mosquitto_passwd's
# files made now: its default ($7$ 101 iterations), -H sha512 ($6$) and -I ----
mosquitto_passwd -c -b live mia 'mia pw'
mosquitto_passwd -H sha512 -b live ned nedpw
mosquitto_passwd -I 2000 -b live oz ozpw
assert_match "$(grep '^mia:' live)" '^mia:\$7\$101\$' "mosquitto_passwd default format"
assert_match "$(grep '^ned:' live)" '^ned:\$6\$' "mosquitto_passwd -H sha512 format"
assert_match "$(grep '^oz:' live)" '^oz:\$7\$2000\$' "mosquitto_passwd -I format"
for up in "mia:mia pw" ned:nedpw oz:ozpw; do
	rc=0
	"$TOOL" --check live "${up%%:*}" "${up#*:}" >/dev/null || rc=$?
	assert_eq 0 "$rc" "--check ${up%%:*} (mosquitto_passwd entry)"
	rc=0
	"$TOOL" --check live "${up%%:*}" wrong 2>/dev/null || rc=$?
	assert_eq 2 "$rc" "--check ${up%%:*} with a wrong password"
done
rc=0
"$TOOL" --check live nobody x 2>err || rc=$?
assert_eq "2 Error: Unknown user." "$rc $(cat err)" "--check unknown user"
assert_eq 0 "$("$TOOL" --check pw carol carolpw >/dev/null && echo 0)" "--check our entry"

# ---- 7. the real broker accepts what we wrote ----
chown mosquitto:mosquitto pw # Mosquitto reads it after dropping to its user
start_broker "password_file $T/pw" "allow_anonymous false"
login() { # user password -> mosquitto_pub exit status
	local rc=0
	pub -u "$1" -P "$2" -t t -m x >/dev/null 2>&1 || rc=$?
	echo "$rc"
}
for up in "alice:secret two" carol:carolpw dave:davepw ivan:tty-secret judy:judypw ken:kenpw \
	leo:leopw frank:frankpw grace:gracepw heidi:heidipw; do
	assert_eq 0 "$(login "${up%%:*}" "${up#*:}")" "mosquitto login ${up%%:*}"
done
assert_ne 0 "$(login alice 'secret one')" "old password refused"
assert_ne 0 "$(login alice wrong)" "wrong password refused"
assert_ne 0 "$(login bob bobpw)" "deleted user refused"
assert_ne 0 "$(login nobody x)" "unknown user refused"
stop_broker
