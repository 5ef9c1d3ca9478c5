#!/usr/bin/env bash
# scripts/grafana/mqttgw-dashboard.json (issue 18) is valid JSON with a Prometheus datasource
# variable and the panels the README lists, and every mqttgw_* metric its queries name exists in
# a live /metrics of a daemon that has all of them: persistence on (store commit histogram), a
# bridge (queue), the XDP guard on the broker's veth (drops), the fast path (redirected/passed;
# with the fast path off only mqttgw_fastpath_active is served, and the check allows that).
# broker: mqttgwd
# (mqttgwd only: metrics_listener is mqttgw's own key)
# needs: bpf
. "$(dirname "$0")/lib.sh"
[ "${NETMODE:-}" = netns ] || skip "needs the namespaces (XDP on the broker's veth)"
MPORT=21885
PIN=$T/pin
mkdir -p "$T/persist"
start_broker "metrics_listener $BROKER_HOST:$MPORT" "persistence true" \
	"persistence_location $T/persist" "fastpath_pin_dir none" "xdp_interface veth0" \
	"connection up1" "address 127.0.0.1:1" "topic a/# out 1"
wait_listening "$MPORT" 5 "$BROKER_PID"
pub -q 1 -t a/b -m x
MPORT=$MPORT DASH="$TEST_DIR/../../scripts/grafana/mqttgw-dashboard.json" py <<'PY'
import json, os, re, urllib.request
from promcheck import parse, value

d = json.load(open(os.environ["DASH"]))
tv = {v["name"]: v for v in d["templating"]["list"]}
assert tv["datasource"]["type"] == "datasource" and tv["datasource"]["query"] == "prometheus"
titles = [p["title"] for p in d["panels"]]
for want in ("Connections", "Message rates", "Delivery latency (daemon path)",
             "Store commit latency", "Fast path: redirected vs passed", "XDP guard drops",
             "Bridge queues"):
    assert want in titles, want
names = set()
for p in d["panels"]:
    assert p["datasource"]["uid"] == "${datasource}", p["title"]
    for t in p["targets"]:
        names |= set(re.findall(r"\bmqttgw_[a-z0-9_]+", t["expr"]))
url = "http://%s:%s/metrics" % (os.environ["BROKER_HOST"], os.environ["MPORT"])
m = parse(urllib.request.urlopen(url, timeout=5).read().decode())
series = {s[0] for f in m.values() for s in f["samples"]}
# with `fastpath off` (the matrix's second leg) the fast path has only mqttgw_fastpath_active
fp_off = value(m, "mqttgw_fastpath_active") == 0
missing = sorted(n for n in names if n not in series and n not in m
                 and not (fp_off and n.startswith("mqttgw_fastpath_")))
assert not missing, "queried but not served: %s" % missing
assert len(names) >= 20, names
print("ok: %d metric names" % len(names))
PY
stop_broker
