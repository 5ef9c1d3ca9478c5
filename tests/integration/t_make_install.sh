#!/usr/bin/env bash
# `make install DESTDIR=... PREFIX=/usr` lays out exactly the expected tree: the binaries (they
# run: --version, and the installed daemon accepts the installed config with -t), the systemd
# unit with the installed paths filled in (clean under `systemd-analyze verify`, when systemd is
# there), the example config (installed as mqttgwd.conf too, which a second install never
# overwrites) and the three manual pages (no warnings from `man --warnings`, mqttgwd.conf(5)
# lists every key of README.md's configuration table). PREFIX=/opt/mqttgw keeps its etc/ inside.
# broker: mqttgwd
# timeout: 300
. "$(dirname "$0")/lib.sh"
D=$T/root
run_fg make -C "$REPO_TOP" --no-print-directory install BUILD="$BUILD_ARG" DESTDIR="$D" PREFIX=/usr \
	>"$T/make.log" 2>&1 </dev/null || fail "make install failed: $(tail -n 20 "$T/make.log")"

expected="etc/mqttgw/mqttgwd.conf
etc/mqttgw/mqttgwd.conf.example
usr/bin/mqttgw-passwd
usr/lib/systemd/system/mqttgwd.service
usr/sbin/mqttgwctl
usr/sbin/mqttgwd
usr/share/man/man1/mqttgw-passwd.1
usr/share/man/man5/mqttgwd.conf.5
usr/share/man/man8/mqttgwctl.8
usr/share/man/man8/mqttgwd.8"
assert_eq "$expected" "$(cd "$D" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)" "installed files"
assert_eq 755 "$(stat -c %a "$D/usr/sbin/mqttgwd")" "mode of mqttgwd"
assert_eq 644 "$(stat -c %a "$D/usr/lib/systemd/system/mqttgwd.service")" "mode of the unit"
assert_eq 640 "$(stat -c %a "$D/etc/mqttgw/mqttgwd.conf")" "mode of the config (may hold paths to secrets)"

# binaries
assert_match "$("$D/usr/sbin/mqttgwd" --version)" '^mqttgwd version [0-9]+\.[0-9]+\.[0-9]+$' "mqttgwd --version"
assert_match "$("$D/usr/sbin/mqttgwctl" --version)" '^mqttgwctl version [0-9]+\.[0-9]+\.[0-9]+$' "mqttgwctl --version"
assert_match "$("$D/usr/bin/mqttgw-passwd" --version)" '^mqttgw-passwd version [0-9]+\.[0-9]+\.[0-9]+$' "mqttgw-passwd --version"
out=$("$D/usr/sbin/mqttgwd" -t -c "$D/etc/mqttgw/mqttgwd.conf" 2>&1) || fail "installed config rejected: $out"
cmp -s "$REPO_TOP/scripts/mqttgwd.conf.example" "$D/etc/mqttgw/mqttgwd.conf" || fail "mqttgwd.conf is not the example"

# manual pages: groff's warnings, and what they say
command -v man >/dev/null || skip "no man (man-db): tree checked, pages not"
for p in man1/mqttgw-passwd.1 man5/mqttgwd.conf.5 man8/mqttgwd.8 man8/mqttgwctl.8; do
	warn=$(MANWIDTH=100 man --warnings -l "$D/usr/share/man/$p" 2>&1 >"$T/page.txt") || fail "man -l $p failed: $warn"
	[ -z "$warn" ] || fail "$p: $warn"
	[ "$(wc -l <"$T/page.txt")" -gt 40 ] || fail "$p renders to only $(wc -l <"$T/page.txt") lines"
done
MANWIDTH=200 man -l "$D/usr/share/man/man5/mqttgwd.conf.5" 2>/dev/null >"$T/conf5.txt"
# the key table of "## Configuration" (its "### Mosquitto keys" status table is not the manual's)
keys=$(sed -n '/^## Configuration/,/^##* [^C]/{/^### Mosquitto keys/q;s/^| `\([a-z_0-9.]*\).*/\1/p}' "$REPO_TOP/README.md")
[ "$(wc -w <<<"$keys")" -gt 30 ] || fail "cannot read README.md's key table: $keys"
for k in $keys; do
	grep -qE "^ {7}$k( |,|$)" "$T/conf5.txt" || fail "mqttgwd.conf(5) lacks the key $k"
done
page=$(MANWIDTH=200 man -l "$D/usr/share/man/man8/mqttgwd.8" 2>/dev/null)
for opt in --config-file --port --verbose --test-config --fastpath-status --pin-dir --json SIGHUP NOTIFY_SOCKET; do
	assert_contains "$page" "$opt" "mqttgwd(8) documents $opt"
done

# the unit: installed paths, and systemd's own check
unit=$D/usr/lib/systemd/system/mqttgwd.service
assert_contains "$(cat "$unit")" "ExecStart=/usr/sbin/mqttgwd -c /etc/mqttgw/mqttgwd.conf" "unit ExecStart"
grep -qE "@[A-Z]+@" "$unit" && fail "a placeholder is left in the unit: $(grep -E "@[A-Z]+@" "$unit")"
if command -v systemd-analyze >/dev/null; then
	# verify checks that ExecStart's binary exists and runs man for Documentation=: point both at
	# the staging tree (--root would need a whole system's units there).
	mkdir -p "$T/unit"
	sed "s|=/usr/sbin/|=$D/usr/sbin/|g" "$unit" >"$T/unit/mqttgwd.service"
	rc=0
	v=$(MANPATH=$D/usr/share/man timeout 60 systemd-analyze verify "$T/unit/mqttgwd.service" 2>&1) || rc=$?
	[ "$rc" = 0 ] && [ -z "$v" ] || fail "systemd-analyze verify (status $rc): $v"
	log "systemd-analyze verify: clean"
else
	log "no systemd-analyze (package systemd): unit not verified"
fi

# a second install keeps an edited config
echo "# edited" >>"$D/etc/mqttgw/mqttgwd.conf"
run_fg make -C "$REPO_TOP" --no-print-directory install BUILD="$BUILD_ARG" DESTDIR="$D" PREFIX=/usr \
	>"$T/make2.log" 2>&1 </dev/null || fail "second make install failed: $(tail -n 20 "$T/make2.log")"
assert_eq "# edited" "$(tail -n 1 "$D/etc/mqttgw/mqttgwd.conf")" "the operator's config survives a reinstall"

# another prefix: its own etc/, and the unit points there
O=$T/opt
run_fg make -C "$REPO_TOP" --no-print-directory install BUILD="$BUILD_ARG" DESTDIR="$O" PREFIX=/opt/mqttgw \
	>"$T/make3.log" 2>&1 </dev/null || fail "make install PREFIX=/opt/mqttgw failed: $(tail -n 20 "$T/make3.log")"
[ -x "$O/opt/mqttgw/sbin/mqttgwd" ] || fail "no $O/opt/mqttgw/sbin/mqttgwd"
[ -f "$O/opt/mqttgw/etc/mqttgw/mqttgwd.conf" ] || fail "config not under the prefix: $(cd "$O" && find . -name '*.conf')"
assert_contains "$(cat "$O/opt/mqttgw/lib/systemd/system/mqttgwd.service")" \
	"ExecStart=/opt/mqttgw/sbin/mqttgwd -c /opt/mqttgw/etc/mqttgw/mqttgwd.conf" "unit paths follow PREFIX"
