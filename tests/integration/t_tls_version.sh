#!/usr/bin/env bash
# tls_version is the minimum version: tlsv1.3 refuses a client limited to TLS 1.2 (paho) and
# serves TLS 1.3 clients (paho, mosquitto_pub).
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/tls_certs.sh"
tls_certs
start_broker "certfile $TLS/server.crt" "keyfile $TLS/server.key" "tls_version tlsv1.3"
tls_require_wired
tsub_bg "$T/sub.out" -t ver/x -C 2 -W 10
py - "$TLS/ca.crt" <<'PY'
import ssl, sys
from mqttc import *
def client(maxv):
    ctx = ssl.create_default_context(cafile=sys.argv[1])
    ctx.maximum_version = maxv
    c = Client()
    c.c.tls_set_context(ctx)
    return c
def t():
    c = client(ssl.TLSVersion.TLSv1_2)
    try:
        c.connect()
        raise TestFailure("a TLS 1.2 client connected to a tls_version tlsv1.3 listener")
    except ssl.SSLError as e:
        log("TLS 1.2 client refused:", e)
    c = client(ssl.TLSVersion.TLSv1_3)
    c.connect()
    check_eq("TLSv1.3", c.c.socket().version(), "negotiated version")
    c.publish("ver/x", "paho tls13", qos=1)
    c.disconnect()
main(t)
PY
tpub -t ver/x -m "mosquitto_pub tls13"
wait_pid "$SUB_PID" 12
assert_eq "paho tls13
mosquitto_pub tls13" "$(sub_payloads "$T/sub.out")" "TLS 1.3 clients only"
broker_alive
