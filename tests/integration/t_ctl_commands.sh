#!/usr/bin/env bash
# mqttgwctl's commands against a broker with real clients connected (a v5 paho subscriber, a
# v3.1.1 mosquitto_sub, retained messages): status, clients, client ID, subscriptions [FILTER],
# retained [FILTER], fastpath, bridges, reload (the SIGHUP path: its log line), log-level; each
# --json answer parsed by Python and its fields checked, the tables checked for the same data;
# exit status 1 when the daemon says no, 2 for a bad command line.
# mqttgwd only: mqttgwctl and its control socket are mqttgw's own.
# broker: mqttgwd
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/ctllib.sh"
start_broker_ctl
sub_bg "$T/s3.out" -W 300 -i v3sub -V mqttv311 -q 1 -t 'cmd/a/#' -t 'cmd/b'
bg "$T/py.out" "${CLI[@]}" env PYTHONPATH="$TEST_DIR" BROKER_HOST="$BROKER_HOST" \
	BROKER_PORT="$BROKER_PORT" "$PY" -c '
import time, paho.mqtt.client as mqtt
c = mqtt.Client("v5sub", protocol=mqtt.MQTTv5)
c.username_pw_set("alice")
c.connect("'"$BROKER_HOST"'", '"$BROKER_PORT"', keepalive=33)
c.subscribe("cmd/+/x", qos=2)
c.loop_start()
time.sleep(60)'
PYPID=$BG_PID
pub -t cmd/r1 -m 'retained one' -r
pub -t cmd/r2 -m 'retained two' -r
pub -t other/r3 -m 'retained three' -r
for i in $(seq 50); do
	j=$(ctl_json clients)
	[ "$(jq_py "$j" 'len(j["result"])')" = 2 ] && break
	sleep 0.1
done

# status
j=$(ctl_json status)
assert_eq true "$(jq_py "$j" 'j["ok"]')" "status ok"
assert_eq 2 "$(jq_py "$j" 'j["result"]["clients"]')" "status: clients"
assert_eq 3 "$(jq_py "$j" 'j["result"]["subscriptions"]')" "status: subscriptions"
assert_eq true "$(jq_py "$j" 'j["result"]["pid"] == '"$BROKER_PID"'')" "status: the daemon's pid"
assert_eq true "$(jq_py "$j" 'j["result"]["retained"] >= 3')" "status: retained"
ctl status
assert_eq 0 "$CTL_RC" "status exit"

# clients: both, with their protocol, keepalive, user, address and TCP state
j=$(ctl_json clients)
assert_eq '["v3sub", "v5sub"]' "$(jq_py "$j" 'sorted(c["id"] for c in j["result"])')"
v5='[c for c in j["result"] if c["id"]=="v5sub"][0]'
v3='[c for c in j["result"] if c["id"]=="v3sub"][0]'
assert_eq 5.0 "$(jq_py "$j" "$v5[\"protocol\"]")" "v5 protocol"
assert_eq 3.1.1 "$(jq_py "$j" "$v3[\"protocol\"]")" "v3 protocol"
assert_eq 33 "$(jq_py "$j" "$v5[\"keepalive\"]")" "v5 keepalive"
assert_eq alice "$(jq_py "$j" "$v5[\"user\"]")" "v5 user"
assert_eq null "$(jq_py "$j" "$v3[\"user\"]")" "v3 user"
addr=$(sed -n 's/.*New client connected from \([^ ]*\) as v3sub .*/\1/p' "$BROKER_LOG")
assert_eq "$addr" "$(jq_py "$j" "$v3[\"address\"]")" "v3 address, as the log says"
assert_eq true "$(jq_py "$j" "all(c['bytes_in'] > 0 and c['bytes_out'] > 0 for c in j['result'])")" \
	"bytes in/out"
assert_eq true "$(jq_py "$j" "all(isinstance(c['fastpath'], bool) and c['inflight'] == 0 and c['queued'] == 0 for c in j['result'])")" \
	"fast path, in flight and queued"
assert_eq true "$(jq_py "$j" "all(c['tcp']['rtt_us'] > 0 and c['tcp']['total_retrans'] >= 0 for c in j['result'])")" \
	"sock_diag rtt and retransmits"
out=$(ctl clients)
assert_match "$out" $'^ID +USER +ADDRESS +PROTO +KEEPALIVE .*RTT_MS +RETRANS\n'
assert_match "$out" $'\nv5sub +alice +[^ ]+ +5\\.0 +33 '

# client ID: the session's subscriptions
j=$(ctl_json client v3sub)
assert_eq '["cmd/a/#", "cmd/b"]' "$(jq_py "$j" 'sorted(s["filter"] for s in j["result"]["subscription_list"])')"
assert_eq true "$(jq_py "$j" 'j["result"]["connected"]')"
out=$(ctl client v5sub)
assert_contains "$out" "protocol: 5.0"
assert_match "$out" $'\ncmd/\\+/x +2 '
ctl client nobody-here
assert_eq 1 "$CTL_RC" "client: no such client"

# subscriptions [FILTER]
j=$(ctl_json subscriptions)
assert_eq 3 "$(jq_py "$j" 'len(j["result"])')" "all subscriptions"
j=$(ctl_json subscriptions 'cmd/a/#')
assert_eq '["cmd/a/#"]' "$(jq_py "$j" '[s["filter"] for s in j["result"]]')" "filter cmd/a/#"
j=$(ctl_json subscriptions 'cmd/#')
assert_eq '["cmd/+/x", "cmd/a/#", "cmd/b"]' "$(jq_py "$j" 'sorted(s["filter"] for s in j["result"])')"
assert_eq 2 "$(jq_py "$j" '[s["qos"] for s in j["result"] if s["client"]=="v5sub"][0]')"

# retained [FILTER]
j=$(ctl_json retained 'cmd/#')
assert_eq '[["cmd/r1", "retained one"], ["cmd/r2", "retained two"]]' \
	"$(jq_py "$j" 'sorted([m["topic"], m["payload"]] for m in j["result"])')"
j=$(ctl_json retained)
assert_eq true "$(jq_py "$j" '"other/r3" in [m["topic"] for m in j["result"]] and not any(m["topic"].startswith("$") for m in j["result"])')"
out=$(ctl retained 'cmd/#')
assert_match "$out" $'\ncmd/r2 +0 +12 +retained two'

# fastpath, bridges
j=$(ctl_json fastpath)
assert_eq true "$(jq_py "$j" 'j["result"]["active"] in (0, 1)')"
j=$(ctl_json bridges)
assert_eq '[]' "$(jq_py "$j" 'j["result"]')"
assert_eq "no bridges configured" "$(ctl bridges)"

# log-level: takes effect (debug lines appear in a log_type without debug), `config` restores
j=$(ctl_json log-level error)
assert_eq '["error", "all"]' "$(jq_py "$j" '[j["result"]["level"], j["result"]["previous"]]')"
assert_eq error "$(jq_py "$(ctl_json status)" 'j["result"]["log_level"]')"
ctl log-level verbose
assert_eq 1 "$CTL_RC" "unknown level"
assert_eq "log level: all (was error)" "$(ctl log-level config)"

# reload: what SIGHUP does
n=$(grep -c 'Received SIGHUP' "$BROKER_LOG" || true)
ctl reload
assert_eq 0 "$CTL_RC" "reload"
for i in $(seq 50); do
	[ "$(grep -c 'Received SIGHUP' "$BROKER_LOG")" -gt "$n" ] && break
	sleep 0.1
done
assert_eq $((n + 1)) "$(grep -c 'Received SIGHUP' "$BROKER_LOG")" "reload ran the SIGHUP path"
ctl status >/dev/null
assert_eq 0 "$CTL_RC" "serving after reload"

# bad command lines: 2, before anything is sent
ctl frobnicate
assert_eq 2 "$CTL_RC" "unknown command"
ctl kick
assert_eq 2 "$CTL_RC" "missing argument"
ctl status extra
assert_eq 2 "$CTL_RC" "extra argument"
ctl trace 'a/#/b'
assert_eq 1 "$CTL_RC" "trace of an invalid filter: the daemon says no"
kill "$PYPID" 2>/dev/null || true
