#!/usr/bin/env python3
"""Time one broker start (scripts/bench_startup.sh): startup_time.py NAME PORT LOG -- CMD...

From exec to the first TCP connection 127.0.0.1:PORT accepts (listen_ms), to the CONNACK of an
MQTT 3.1.1 CONNECT sent on it (connack_ms), and to the broker's "version ... running" line in LOG
(complete_ms; Mosquitto's is its CONNACK); then SIGTERM. One JSON line on stdout. Polls every millisecond."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

CONNECT = bytes([0x10, 14, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 2]) + b"st"


def main():
    name, port, logpath = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    log = open(logpath, "ab")
    start = os.path.getsize(logpath)
    res = {"broker": name}
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=log, stderr=log)
    ms = lambda: round((time.monotonic() - t0) * 1000, 1)
    try:
        while "listen_ms" not in res:
            if p.poll() is not None:
                raise RuntimeError("exited with %s" % p.returncode)
            if time.monotonic() - t0 > 60:
                raise RuntimeError("not listening after 60 s")
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                time.sleep(0.001)
                continue
            res["listen_ms"] = ms()
            s.settimeout(60)
            s.sendall(CONNECT)
            b = s.recv(4)
            if len(b) < 4 or b[0] != 0x20 or b[3] != 0:
                raise RuntimeError("no CONNACK 0: %r" % b)
            res["connack_ms"] = ms()
            s.close()
        if name.startswith("mosquitto"):
            # Mosquitto loads nothing behind its listeners (and logs its "running" line
            # before it reads log_dest): complete once serving
            res["complete_ms"] = res["connack_ms"]
        while "complete_ms" not in res and time.monotonic() - t0 < 60:
            with open(logpath, "rb") as f:
                f.seek(start)
                if b" running" in f.read():
                    res["complete_ms"] = ms()
                    break
            if p.poll() is not None:
                raise RuntimeError("exited with %s" % p.returncode)
            time.sleep(0.001)
    except (RuntimeError, OSError) as e:
        res["error"] = str(e)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    print(json.dumps(res), flush=True)
    return 1 if "error" in res else 0


if __name__ == "__main__":
    sys.exit(main())
