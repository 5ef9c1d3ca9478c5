"""A timed MQTT flow beside whatever a test does to the broker: a paho publisher and subscriber
(ids PREFIX+"pub"/"sub") on one topic; each payload is the send time, so every message's
latency is known. run(secs) publishes every gap seconds for secs, waits (at most 5 s) for all of
them and returns (p99, max) in seconds; a lost message fails the assertion."""
import threading
import time

import paho.mqtt.client as mqtt


class Flow:
    def __init__(self, host, port, prefix, topic, qos, gap):
        self.topic, self.qos, self.gap = topic, qos, gap
        self.lat, self.lock = [], threading.Lock()
        self.sub = mqtt.Client(client_id=prefix + "sub")
        self.sub.on_message = self._on_msg
        self.sub.connect(host, port, 30)
        self.sub.loop_start()
        self.sub.subscribe(topic, qos)
        self.pub = mqtt.Client(client_id=prefix + "pub")
        self.pub.max_inflight_messages_set(1000)
        self.pub.connect(host, port, 30)
        self.pub.loop_start()
        time.sleep(0.5)

    def _on_msg(self, c, u, m):
        with self.lock:
            self.lat.append(time.monotonic() - float(m.payload.decode()))

    def run(self, secs):
        with self.lock:
            self.lat.clear()
        end = time.monotonic() + secs
        n = 0
        while time.monotonic() < end:
            self.pub.publish(self.topic, repr(time.monotonic()).encode(), self.qos)
            n += 1
            time.sleep(self.gap)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.lat) >= n:
                    break
            time.sleep(0.05)
        with self.lock:
            got = sorted(self.lat)
        assert len(got) == n, "lost messages: %d of %d" % (len(got), n)
        return got[int(len(got) * 0.99) - 1], got[-1]

    def close(self):
        self.sub.disconnect()
        self.pub.disconnect()
        self.sub.loop_stop()
        self.pub.loop_stop()
