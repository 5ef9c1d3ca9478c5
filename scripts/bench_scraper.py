#!/usr/bin/env python3
"""A Prometheus-like scraper for scripts/bench_scrape.sh: GET /metrics every EVERY_MS on a new TCP
connection (Connection: close, as Prometheus does with keep-alive off), read the whole answer
and check it: status 200, Content-Length equal to the body, every line a # HELP, # TYPE or a
sample, the last family present. The first and the last page also go through promcheck's strict
reader. Ticks are on an absolute schedule (a slow scrape delays the next one, never shifts all
the rest); a tick missed by a whole period is skipped, as Prometheus does.

One persistent process instead of forking curl (and awk and sleep) every 100 ms: on the bench's
2 shared cores the fork+exec loop cost more CPU than the broker's render (see the commit that
added this file), and a real Prometheus runs on another host. The daemon's own cost per scrape is
what the bench must show.

    bench_scraper.py HOST PORT EVERY_MS COUNT_FILE
creates COUNT_FILE.started after its first scrape (the bench starts its load then, so the
scraper's own start-up is not measured), runs until SIGTERM/SIGINT, then writes
"<good> <bad> <cpu_ms>" to COUNT_FILE (cpu_ms: its own CPU time from the first scrape on) and
exits 0 (1 when a page was bad).
"""
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from promcheck import parse  # noqa: E402

PAGE = re.compile(rb"(?:(?:# (?:HELP|TYPE) [^\n]*|[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^\n]*\})? "
                  rb"[-+0-9.eEInfNa]+)\n)+")
LAST = b"\nmqttgw_metrics_timeouts_total "


def scrape(host, port):
    """One GET: the body, or raises with what was wrong."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                  % host.encode())
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    data = b"".join(chunks)
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, "no end of head"
    lines = head.split(b"\r\n")
    assert lines[0].startswith(b"HTTP/1.1 200 "), lines[0]
    clen = [int(x.split(b":", 1)[1]) for x in lines[1:] if x.lower().startswith(b"content-length:")]
    assert clen == [len(body)], "Content-Length %r, body %d" % (clen, len(body))
    assert PAGE.fullmatch(body), "not an exposition page"
    assert LAST in body, "last family missing"
    return body


def main():
    host, port, every, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000, sys.argv[4]
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    good = bad = 0
    last = None
    nxt = time.monotonic()
    cpu0 = None
    while not stop:
        try:
            body = scrape(host, port)
            if good == 0:
                parse(body.decode())
            last = body
            good += 1
        except (OSError, AssertionError, ValueError) as e:
            bad += 1
            print("bench_scraper.py: bad scrape: %s" % e, file=sys.stderr)
        if cpu0 is None:
            cpu0 = os.times()
            open(out + ".started", "w").close()
        nxt += every
        now = time.monotonic()
        if nxt < now - every:
            nxt = now
        if nxt > now:
            time.sleep(nxt - now)
    if last is not None:
        try:
            parse(last.decode())
        except AssertionError as e:
            bad += 1
            print("bench_scraper.py: bad last page: %s" % e, file=sys.stderr)
    cpu = os.times()
    cpu_ms = (cpu.user + cpu.system - cpu0.user - cpu0.system) * 1000 if cpu0 else 0
    with open(out, "w") as f:
        f.write("%d %d %.1f\n" % (good, bad, cpu_ms))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
