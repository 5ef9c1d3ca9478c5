#!/usr/bin/env bash
# `make bench` pictures: scripts/bench_plot.py turns a recorded results file
# (tests/bench/testdata/results-sample.jsonl, a real bench.sh run: lat-1k, p2p-q0, p2p-q0-ws on
# mqttgwd and Mosquitto) and a recorded timeline (stop.mosquitto.r1.tsv: QoS 0 at 500 msg/s
# through Mosquitto SIGSTOPped for 1 s, with two lost messages added) into PNGs with gnuplot:
# throughput bars, latency percentiles, latency over time. Each must be a real PNG (signature,
# IHDR size as drawn, not trivially small); results with nothing to draw give no picture and
# exit 0. No broker.
# timeout: 60
. "$(dirname "$0")/lib.sh"
if ! command -v gnuplot >/dev/null; then
	[ "${CI:-}" = true ] && fail "gnuplot missing (scripts/deps.sh installs gnuplot-nox)"
	skip "gnuplot missing (scripts/deps.sh installs gnuplot-nox)"
fi
DATA=$REPO_TOP/tests/bench/testdata
mkdir -p "$T/tl" "$T/out"
cp "$DATA/stop.mosquitto.r1.tsv" "$T/tl/"
printf '3.0 -1\n3.002 -1\n' >>"$T/tl/stop.mosquitto.r1.tsv"
echo "not a timeline" >"$T/tl/README"
"$PY" "$REPO_TOP/scripts/bench_plot.py" "$DATA/results-sample.jsonl" "$T/out" \
	--timeline-dir "$T/tl" --prefix t >"$T/pngs" 2>"$T/err" ||
	fail "bench_plot.py failed: $(cat "$T/err")"
assert_eq "$T/out/t-throughput.png
$T/out/t-latency.png
$T/out/t-timeline-stop.png" "$(cat "$T/pngs")" "pictures written"
"$PY" - "$T/out" <<'PY'
import struct, sys
want = {"t-throughput.png": (None, 480), "t-latency.png": (560, 360),
        "t-timeline-stop.png": (1000, 480)}
for name, (w, h) in want.items():
    b = open("%s/%s" % (sys.argv[1], name), "rb").read()
    assert b[:8] == b"\x89PNG\r\n\x1a\n", "%s: not a PNG" % name
    assert b[12:16] == b"IHDR", name
    pw, ph = struct.unpack(">II", b[16:24])
    assert (w is None or pw == w) and ph == h, "%s: %dx%d" % (name, pw, ph)
    assert len(b) > 8000, "%s: only %d bytes" % (name, len(b))
    assert b.rstrip(b"\0")[-8:-4] == b"IEND", "%s: truncated" % name
print("ok")
PY
# the gnuplot scripts stay for a rerun; the lost messages are drawn
grep -q 'lost (2)' "$T/out/t-plot/t-timeline-stop.gp" || fail "lost messages not drawn"
# nothing to draw: no picture, exit 0
echo '{"config":"x","round":1,"broker":"b","error":"exit 1"}' >"$T/empty.jsonl"
"$PY" "$REPO_TOP/scripts/bench_plot.py" "$T/empty.jsonl" "$T/out2" >"$T/pngs2" ||
	fail "bench_plot.py on failed runs only: exit $?"
assert_eq "" "$(cat "$T/pngs2")" "pictures from nothing"
