#!/usr/bin/env bash
# README's "Mosquitto keys" table is true (issue #16). The key list is read from the installed
# mosquitto.conf(5) (every option of GENERAL OPTIONS, LISTENERS and CONFIGURING BRIDGES), not
# from a hand list, plus the keys of Debian's /etc/mosquitto/mosquitto.conf. Every key has
# exactly one row, and no row names another key. Each row's claim is checked with `mqttgwd -t`
# on a minimal valid configuration holding the key in the context it needs (a `listener` for
# listener keys, a TLS listener for TLS keys, a `connection` block for bridge keys):
# "supported" (with or without a difference) -> exit 0; "refused" -> exit 3 and a message
# naming file:line of the key's line.
# broker: mqttgwd
# (mqttgwd's own configuration check and README; Mosquitto's is the source of the key list)
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
MAN=/usr/share/man/man5/mosquitto.conf.5.gz
[ -r "$MAN" ] || skip "mosquitto.conf(5) not installed ($MAN)"
README=$TEST_DIR/../../README.md
bin=$(broker_bin)

# the keys: in the option sections, a paragraph (.PP) that starts with \fBkey\fR (several
# keys: "\fBaddress\fR ..., \fBaddresses\fR ...")
zcat "$MAN" | awk '
	/^\.SH "GENERAL OPTIONS"/ { on = 1 }
	/^\.SH "FILES"/ { on = 0 }
	on && prev == ".PP" {
		s = $0
		while (match(s, /(^|, )\\fB[a-z_0-9.*]+\\fR/)) {
			k = substr(s, RSTART, RLENGTH); sub(/^, /, "", k)
			print substr(k, 4, length(k) - 6); s = substr(s, RSTART + RLENGTH)
		}
	}
	{ prev = $0 }' >"$T/keys.man"
if [ -r /etc/mosquitto/mosquitto.conf ]; then
	awk '!/^[ \t]*#/ && NF { print $1 }' /etc/mosquitto/mosquitto.conf >"$T/keys.deb"
else
	: >"$T/keys.deb"
fi
sort -u "$T/keys.man" "$T/keys.deb" >"$T/keys"
n=$(wc -l <"$T/keys")
[ "$n" -ge 100 ] || fail "only $n keys read from $MAN: $(tr '\n' ' ' <"$T/keys")"

# the table: rows "| `key` | status | ..." between "### Mosquitto keys" and the next heading
awk '/^### Mosquitto keys/ { on = 1; next } on && /^#/ { on = 0 } on && /^\| `/' "$README" |
	awk -F'|' '{ k = $2; gsub(/[ `]/, "", k); s = $3; gsub(/^ +| +$/, "", s); print k "\t" s }' \
		>"$T/rows"
if [ -z "${KEYTABLE_PRINT:-}" ]; then
	[ -s "$T/rows" ] || fail "no '### Mosquitto keys' table in README.md"
	dups=$(cut -f1 "$T/rows" | sort | uniq -d | tr '\n' ' ')
	[ -z "$dups" ] || fail "keys with more than one row: $dups"
	missing=$(cut -f1 "$T/rows" | sort | comm -23 "$T/keys" - | tr '\n' ' ')
	[ -z "$missing" ] || fail "keys of mosquitto.conf(5) without a row in README: $missing"
	extra=$(cut -f1 "$T/rows" | sort | comm -13 "$T/keys" - | tr '\n' ' ')
	[ -z "$extra" ] || fail "rows for keys mosquitto.conf(5) does not document: $extra"
fi

# what each key needs around it
tls_certs
mosquitto_passwd -c -b "$T/passwd" alice secret 2>/dev/null
printf 'topic readwrite #\n' >"$T/acl"
printf 'id:0123456789abcdef\n' >"$T/psk"
openssl genpkey -genparam -algorithm DH -pkeyopt dh_param:ffdhe2048 -out "$T/dh.pem" 2>/dev/null
mkdir -p "$T/inc" "$T/www" "$T/p"
P=$BROKER_PORT
L="listener $P 127.0.0.1"
TLSL="$L
certfile $TLS/server.crt
keyfile $TLS/server.key"
BR="connection b
address 127.0.0.1:1885
topic b/# both 0"
# context and a valid value of each key (Mosquitto's syntax)
conf() {
	local k=$1 ctx=G v post=
	case $k in
	acl_file) v="$T/acl" ;;
	password_file) v="$T/passwd" ;;
	allow_anonymous | allow_duplicate_messages | allow_zero_length_clientid | \
		check_retain_source | connection_messages | log_timestamp | retain_available | \
		auth_plugin_deny_special_chars) v=true ;;
	autosave_on_changes | queue_qos0_messages | set_tcp_nodelay | upgrade_outgoing_qos | \
		per_listener_settings | persistence) v=false ;;
	auth_opt_*) k=auth_opt_db v=x ;;
	auth_plugin) v=/usr/lib/x.so ;;
	auto_id_prefix) v=auto- ;;
	autosave_interval) v=1800 ;;
	bind_address) v=127.0.0.1 ;;
	clientid_prefixes) v=dev- ;;
	include_dir) v="$T/inc" ;;
	log_dest) v=stderr ;;
	log_facility) v=5 ;;
	log_timestamp_format) v=%Y-%m-%dT%H:%M:%S ;;
	log_type) v=all ;;
	max_connections) v=10 ;;
	max_inflight_bytes) v=100 ;;
	max_inflight_messages) v=20 ;;
	max_keepalive) v=60 ;;
	max_packet_size) v=1000 ;;
	max_queued_bytes) v=0 ;;
	max_queued_messages) v=100 ;;
	max_topic_alias) v=10 ;;
	memory_limit) v=0 ;;
	message_size_limit) v=0 ;;
	persistence_file) v=x.db ;;
	persistence_location) v="$T/p" ;;
	persistent_client_expiration) v=1d ;;
	pid_file) v="$T/pid" ;;
	port) v=$((P + 1)) ;;
	psk_file) v="$T/psk" ;;
	sys_interval) v=10 ;;
	tls_engine) ctx=T v=pkcs11 ;;
	tls_engine_kpass_sha1) ctx=TE v=0123456789abcdef0123456789abcdef01234567 ;;
	tls_keyform) v=pem ;;
	user) v=nobody ;;
	websockets_headers_size) v=4096 ;;
	websockets_log_level) v=0 ;;
	listener) v="$((P + 1))" ;;
	# listener keys
	bind_interface) ctx=LN v=lo ;;
	max_qos) ctx=L v=1 ;;
	mount_point) ctx=L v=m/ ;;
	protocol) ctx=L v=mqtt ;;
	socket_domain) ctx=LN v=ipv4 ;;
	use_username_as_clientid) ctx=L v=false ;;
	psk_hint) ctx=L v=hint ;;
	http_dir) ctx=WS v="$T/www" ;;
	# TLS listener keys
	cafile) ctx=T v="$TLS/ca.crt" ;;
	capath) ctx=T v="$TLS" ;;
	crlfile) ctx=T2 v="$TLS/crl.pem" ;;
	ciphers) ctx=T v=HIGH ;;
	dhparamfile) ctx=T v="$T/dh.pem" ;;
	require_certificate | use_identity_as_username | use_subject_as_username) ctx=T v=false ;;
	tls_version) ctx=T v=tlsv1.2 ;;
	certfile) ctx=TK v="$TLS/server.crt" ;;
	keyfile) ctx=TC v="$TLS/server.key" ;;
	# bridges
	connection) ctx=C v=b ;;
	address | addresses) ctx=BA v=127.0.0.1:1885 ;;
	bridge_insecure) ctx=BT v=false ;;
	bridge_attempt_unsubscribe | bridge_outgoing_retain | \
		bridge_require_ocsp | cleansession | local_cleansession | notifications | \
		notifications_local_only | round_robin | try_private) ctx=B v=true ;;
	bridge_alpn) ctx=BT v=mqtt ;;
	bridge_bind_address) ctx=B v=127.0.0.1 ;;
	bridge_cafile) ctx=B v="$TLS/ca.crt" ;;
	bridge_capath) ctx=B v="$TLS" ;;
	bridge_certfile) ctx=BK v="$TLS/client.crt" ;;
	bridge_keyfile) ctx=BC v="$TLS/client.key" ;;
	bridge_identity) ctx=BP v=id ;;
	bridge_psk) ctx=BI v=0123456789abcdef ;;
	bridge_max_packet_size) ctx=B v=1000 ;;
	bridge_protocol_version) ctx=B v=mqttv311 ;;
	bridge_tls_version) ctx=BT v=tlsv1.2 ;;
	idle_timeout) ctx=B v=60 ;;
	keepalive_interval) ctx=B v=60 ;;
	local_clientid) ctx=B v=local ;;
	local_password) ctx=BU v=pw ;;
	local_username) ctx=B v=lu ;;
	notification_topic) ctx=B v=n/state ;;
	remote_clientid) ctx=B v=remote ;;
	remote_password) ctx=BR v=pw ;;
	remote_username) ctx=B v=ru ;;
	restart_timeout) ctx=B v=10 ;;
	start_type) ctx=B v=automatic ;;
	threshold) ctx=B v=10 ;;
	topic) ctx=B v="t/# both 0" ;;
	*) v=x ;;
	esac
	case $ctx in
	G) ;;
	L) echo "$L" ;;
	LN) echo "listener $P" ;;
	WS) printf '%s\n' "$L" "protocol websockets" ;;
	T) echo "$TLSL" ;;
	TE) echo "$TLSL" && post="tls_engine pkcs11" ;;
	T2) printf '%s\n' "$TLSL" "cafile $TLS/ca.crt" ;;
	TK) printf '%s\n' "$L" "keyfile $TLS/server.key" ;;
	TC) printf '%s\n' "$L" "certfile $TLS/server.crt" ;;
	BA) echo "connection b" && post="topic b/# both 0" ;;
	B) echo "$BR" ;;
	BK) printf '%s\n' "$BR" "bridge_cafile $TLS/ca.crt" "bridge_keyfile $TLS/client.key" ;;
	BC) printf '%s\n' "$BR" "bridge_cafile $TLS/ca.crt" "bridge_certfile $TLS/client.crt" ;;
	BT) printf '%s\n' "$BR" "bridge_cafile $TLS/ca.crt" ;;
	# a key that needs a partner comes first, so that a refusal names its own line
	BP) echo "$BR" && post="bridge_psk 0123456789abcdef" ;;
	BI) echo "$BR" && post="bridge_identity id" ;;
	BU) echo "$BR" && post="local_username lu" ;;
	BR) echo "$BR" && post="remote_username ru" ;;
	C) post="address 127.0.0.1:1885
topic b/# both 0" ;;
	esac
	echo "$k $v"
	[ -z "$post" ] || echo "$post"
}

bad=0
while read -r key; do
	conf "$key" >"$T/k.conf"
	line=$(grep -n "^${key%\*}" "$T/k.conf" | head -n 1 | cut -d: -f1)
	rc=0
	out=$("$bin" -t -c "$T/k.conf" 2>&1) || rc=$?
	status=$(awk -F'\t' -v k="$key" '$1 == k { print $2 }' "$T/rows")
	if [ -n "${KEYTABLE_PRINT:-}" ]; then
		printf '%s\t%s\t%s\n' "$key" "$rc" "$(echo "$out" | tail -n 1)"
		continue
	fi
	case $status in
	supported | "supported with a difference")
		if [ "$rc" != 0 ]; then
			echo "README says '$status' but mqttgwd -t refuses $key (exit $rc): $out"
			bad=$((bad + 1))
		fi
		;;
	refused)
		if [ "$rc" != 3 ] || [[ $out != *"$T/k.conf:$line: "* ]]; then
			echo "README says refused but for $key mqttgwd -t exits $rc without naming" \
				"k.conf:$line: $out"
			bad=$((bad + 1))
		fi
		;;
	*)
		echo "$key: unknown status '$status' (supported, supported with a difference, refused)"
		bad=$((bad + 1))
		;;
	esac
done <"$T/keys"
[ -z "${KEYTABLE_PRINT:-}" ] || exit 0
[ "$bad" = 0 ] || fail "$bad rows of README's Mosquitto key table are not true (above)"
log "$n keys, every row checked"
