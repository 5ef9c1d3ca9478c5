#!/usr/bin/env bash
# scripts/bench_scraper.py, the scraper of scripts/bench_scrape.sh (issue 18): against mqttgwd's
# metrics_listener every 50 ms for 2 s it counts only good pages (none bad) and exits 0; against
# a server whose page breaks the exposition format (a bad line, a wrong Content-Length) it counts
# every page bad and exits 1: the bench's scrape count means whole, valid pages.
# broker: mqttgwd
# (mqttgwd only: metrics_listener is mqttgw's own key)
# timeout: 60
. "$(dirname "$0")/lib.sh"
MPORT=21887
[ "${NETMODE:-}" = netns ] || MPORT=$(free_port)
start_broker "metrics_listener $BROKER_HOST:$MPORT"
wait_listening "$MPORT" 5 "$BROKER_PID"
SCRAPER=$(cd "$(dirname "$0")/../.." && pwd)/scripts/bench_scraper.py \
MPORT=$MPORT PY_TIMEOUT=50 py <<'PY'
import os, signal, socket, subprocess, sys, tempfile, threading, time

HOST, MPORT, SCRAPER = os.environ["BROKER_HOST"], int(os.environ["MPORT"]), os.environ["SCRAPER"]
tmp = tempfile.mkdtemp()

def scrape(host, port, secs):
    out = os.path.join(tmp, "count%d" % port)
    p = subprocess.Popen([sys.executable, SCRAPER, host, str(port), "50", out],
                         stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not os.path.exists(out + ".started") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(secs)
    p.send_signal(signal.SIGTERM)
    err = p.communicate(timeout=10)[1].decode()
    good, bad, cpu = open(out).read().split()
    return p.returncode, int(good), int(bad), err

rc, good, bad, err = scrape(HOST, MPORT, 2)
print("mqttgwd: rc %d, %d good, %d bad" % (rc, good, bad), err[:300])
assert rc == 0 and bad == 0 and good >= 20, (rc, good, bad, err)

# a server with broken pages: a line that is no sample, then a Content-Length that lies
pages = [b"# HELP a x\n# TYPE a gauge\na 1\nnot a sample\nmqttgw_metrics_timeouts_total 0\n",
         b"# HELP a x\n# TYPE a gauge\na 1\nmqttgw_metrics_timeouts_total 0\n"]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
served = []
def serve():
    while True:
        try:
            c, _ = srv.accept()
        except OSError:
            return
        c.recv(4096)
        body = pages[len(served) % 2]
        clen = len(body) + (len(served) % 2) * 5
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % clen + body)
        served.append(1)
        c.close()
threading.Thread(target=serve, daemon=True).start()
rc, good, bad, err = scrape("127.0.0.1", srv.getsockname()[1], 1)
srv.close()
print("broken server: rc %d, %d good, %d bad" % (rc, good, bad))
assert rc == 1 and good == 0 and bad >= 5, (rc, good, bad)
assert "not an exposition page" in err and "Content-Length" in err, err[:500]
print("ok")
PY
stop_broker
