# shellcheck shell=bash
# Sourced by tests/integration/t_tls_*.sh after lib.sh. Gives:
#   tls_certs: makes, in $T/tls, with the openssl command (nothing is committed):
#     ca.crt, ca2.crt                 two test CAs (ca2 signs nothing the broker trusts)
#     server.crt/key                  by ca, for IP $BROKER_HOST and localhost
#     server2.crt/key                 by ca2, the same names (for reload tests)
#     client.crt/key                  by ca, subject C=GB, O=Example, CN=sensor-7
#     monitor.crt/key                 by ca, subject C=GB, O=Example, CN=monitor
#     expired.crt/key, revoked.crt/key  by ca (revoked is listed in crl.pem)
#     other.crt/key                   by ca2
#     crl.pem                         ca's CRL
#   tls_require_wired: after start_broker, skip (77) when mqttgwd serves no TLS on the port
#     (the broker side of TLS not wired in yet); Mosquitto always serves it.
#   tpub/tsub/tsub_bg ARGS: pub/sub/sub_bg with --cafile $T/tls/ca.crt.
#   tls_fails CMD...: CMD must fail (exit non-zero), within its own timeout.

TLS=$T/tls

tls_certs() {
	mkdir -p "$TLS"
	(
		set -e
		cd "$TLS"
		export SAN="IP:$BROKER_HOST,DNS:localhost"
		cat >ca.cnf <<'EOF'
[ca]
default_ca = ca_default
[ca_default]
dir = $ENV::CADIR
new_certs_dir = $dir
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = policy
unique_subject = no
email_in_dn = no
[policy]
countryName = optional
organizationName = optional
commonName = optional
[server]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = $ENV::SAN
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
EOF
		key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
		ca() {
			local c=$1
			shift
			CADIR=$c.db openssl ca -batch -config ca.cnf -cert "$c.crt" -keyfile "$c.key" "$@"
		}
		mkca() {
			key "$1"
			mkdir "$1.db"
			: >"$1.db/index.txt"
			echo 1000 >"$1.db/serial"
			echo 1000 >"$1.db/crlnumber"
			openssl req -x509 -new -key "$1.key" -out "$1.crt" -days 3650 \
				-subj "/CN=mqttgw test $1" -addext basicConstraints=critical,CA:TRUE
		}
		mkcert() { # ca name extensions subject [openssl ca options]
			local c=$1 n=$2 e=$3 s=$4
			shift 4
			key "$n"
			openssl req -new -key "$n.key" -out "$n.csr" -subj "$s"
			ca "$c" -notext -extensions "$e" -in "$n.csr" -out "$n.crt" "$@"
		}
		mkca ca
		mkca ca2
		mkcert ca server server /CN=localhost
		mkcert ca2 server2 server /CN=localhost
		mkcert ca client client /C=GB/O=Example/CN=sensor-7
		mkcert ca monitor client /C=GB/O=Example/CN=monitor
		mkcert ca expired client /CN=expired -startdate 20200101000000Z -enddate 20200201000000Z
		mkcert ca revoked client /CN=revoked
		mkcert ca2 other client /CN=other
		ca ca -revoke revoked.crt
		ca ca -gencrl -out crl.pem
		chmod 644 ./*.key
	) >"$T/tls-certs.log" 2>&1 || fail "making certificates: $(tail -n 5 "$T/tls-certs.log")"
}

tls_require_wired() {
	is_mosquitto && return 0
	grep -q "port $BROKER_PORT (TLS)" "$BROKER_LOG" ||
		skip "TLS not wired into the broker yet (no '(TLS)' listener in the log)"
}

tpub() { pub --cafile "$TLS/ca.crt" "$@"; }
tsub() { sub --cafile "$TLS/ca.crt" "$@"; }
tsub_bg() {
	local out=$1
	shift
	sub_bg "$out" --cafile "$TLS/ca.crt" "$@"
}

tls_fails() {
	if "$@" >"$T/fails.out" 2>&1; then
		fail "expected to fail: $*; output: $(cat "$T/fails.out")"
	fi
}
