#!/usr/bin/env bash
# metrics_listener (issue 18): GET /metrics is the Prometheus text format 0.0.4, read by a strict
# parser (promcheck.py: HELP/TYPE once per family, contiguous families, escaping, counters in
# _total, cumulative histograms); it carries the figures $SYS carries (every numeric
# $SYS/broker topic has its family, with the same value for a counter that no longer moves);
# values move as messages flow (publish counters, the delivery histogram); /healthz is 200
# "ok"; HEAD answers without a body; other paths 404, POST 405, a malformed request 400.
# broker: mqttgwd
# (mqttgwd only: metrics_listener is mqttgw's own key (Mosquitto has no metrics endpoint))
. "$(dirname "$0")/lib.sh"
MPORT=21885
[ "${NETMODE:-}" = netns ] || MPORT=$(free_port)
SYS_INTERVAL=1 start_broker "metrics_listener $BROKER_HOST:$MPORT"
wait_listening "$MPORT" 5 "$BROKER_PID"
MPORT=$MPORT py <<'PY'
import os, re, socket, time, urllib.request
import paho.mqtt.client as mqtt
from promcheck import parse, value
from mqttc import *

HOST, PORT, MPORT = os.environ["BROKER_HOST"], int(os.environ["BROKER_PORT"]), int(os.environ["MPORT"])
URL = "http://%s:%d" % (HOST, MPORT)

def get(path, method="GET"):
    req = urllib.request.Request(URL + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()

def scrape():
    st, h, body = get("/metrics")
    assert st == 200, st
    assert h["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", h["Content-Type"]
    return parse(body.decode())

m0 = scrape()
for fam in ("mqttgw_build_info", "mqttgw_clients_connected", "mqttgw_uptime_seconds",
            "mqttgw_publish_messages_received_total", "mqttgw_publish_messages_sent_total",
            "mqttgw_bytes_received_total", "mqttgw_subscriptions_count",
            "mqttgw_retained_messages_count", "mqttgw_delivery_seconds",
            "mqttgw_metrics_requests_total"):
    assert fam in m0, fam
assert m0["mqttgw_delivery_seconds"]["type"] == "histogram"
assert m0["mqttgw_clients_connected"]["type"] == "gauge"
assert m0["mqttgw_publish_messages_received_total"]["help"] == "$SYS/broker/publish/messages/received"

# the same figures as $SYS: every numeric $SYS/broker topic has its family
sysv = {}
c = mqtt.Client(client_id="sysreader")
c.on_message = lambda c_, u, m: sysv.__setitem__(m.topic, m.payload.decode())
c.connect(HOST, PORT, 30); c.loop_start(); c.subscribe("$SYS/broker/#")
time.sleep(2.5)
c.disconnect(); c.loop_stop()
assert len(sysv) > 20, sysv
m1 = scrape()
helps = {f["help"]: n for n, f in m1.items()}
for t, v in sysv.items():
    if not re.match(r"^-?\d+( seconds)?$|^(true|false)$", v):
        continue
    assert t in helps, "no family for %s" % t
# a counter nothing moves now has the same value on both
assert str(int(value(m1, "mqttgw_clients_auth_failed_total"))) == sysv["$SYS/broker/clients/auth_failed"]

# values move: 50 QoS 1 messages to a subscriber
sub = Client("msub"); sub.connect(); sub.subscribe([("m/#", 1)])
pub = Client("mpub"); pub.connect()
for i in range(50):
    pub.publish("m/t", b"x%d" % i, 1)
for i in range(50):
    sub.get(10)
pub.disconnect(); sub.disconnect()
m2 = scrape()
d = value(m2, "mqttgw_publish_messages_received_total") - value(m1, "mqttgw_publish_messages_received_total")
assert d >= 50, d
assert value(m2, "mqttgw_delivery_seconds_count") - value(m1, "mqttgw_delivery_seconds_count") >= 50
assert value(m2, "mqttgw_delivery_seconds_sum") > 0
assert value(m2, "mqttgw_metrics_requests_total") > value(m1, "mqttgw_metrics_requests_total")

st, h, body = get("/healthz")
assert (st, body) == (200, b"ok"), (st, body)
st, h, body = get("/metrics", "HEAD")
assert st == 200 and body == b"" and int(h["Content-Length"]) > 1000, (st, h["Content-Length"])
assert get("/nope")[0] == 404
assert get("/metrics?x=1")[0] == 200
assert get("/metrics", "POST")[0] == 405
s = socket.create_connection((HOST, MPORT), timeout=5)
s.sendall(b"GARBAGE\r\n\r\n")
assert s.recv(100).startswith(b"HTTP/1.1 400 "), "malformed request"
s.close()
print("ok")
PY
stop_broker
