#!/usr/bin/env bash
# A TLS listener (certfile + keyfile, no client certificates): mosquitto_pub/sub with --cafile
# relay a message (TLS 1.3); a paho publisher limited to TLS 1.2 relays one too; a client that
# trusts another CA, and a plain MQTT client on the TLS port, are refused.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
tls_certs
start_broker "certfile $TLS/server.crt" "keyfile $TLS/server.key"
tls_require_wired
tsub_bg "$T/sub.out" -t tls/x -C 2 -W 10
tpub -t tls/x -m "over TLS"
py - "$TLS/ca.crt" <<'PY'
import ssl, sys
from mqttc import *
def t():
    ctx = ssl.create_default_context(cafile=sys.argv[1])
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    p = Client("tls12-pub")
    p.c.tls_set_context(ctx)
    p.connect()
    check_eq("TLSv1.2", p.c.socket().version(), "negotiated version")
    p.publish("tls/x", "over TLS 1.2", qos=1)
    p.disconnect()
main(t)
PY
wait_pid "$SUB_PID" 12
assert_eq "over TLS
over TLS 1.2" "$(sub_payloads "$T/sub.out")" "messages over TLS"
tls_fails pub --cafile "$TLS/ca2.crt" -t tls/x -m untrusted
tls_fails pub -t tls/x -m plain
broker_alive
