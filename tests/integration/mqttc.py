"""A small synchronous wrapper around paho-mqtt 1.6 (Debian's python3-paho-mqtt) for the tests.

Each Client runs paho's network thread and turns its callbacks into bounded, blocking calls:

    from mqttc import Client
    s = Client("sub1")                       # BROKER_HOST / BROKER_PORT from the environment
    s.connect()                              # -> session_present; fails unless CONNACK 0
    s.subscribe([("a/+", 1)])                # -> granted QoS list
    p = Client("pub1"); p.connect()
    p.publish("a/b", "hi", qos=1)            # waits for the flow to complete
    m = s.get(timeout=3)                     # Msg(topic, payload, qos, retain, dup) or fail
    s.expect_none(1.0)                       # nothing more arrives within 1 s

Automatic reconnects are off: a test sees the broker's behaviour, not paho's recovery.
"""

import os
import sys
import time
from collections import namedtuple

import paho.mqtt.client as mqtt

from mqttraw import PahoBase, TestFailure, check, check_eq, main  # noqa: F401 (re-exported for tests)

HOST = os.environ.get("BROKER_HOST", "127.0.0.1")
PORT = int(os.environ.get("BROKER_PORT", "1883"))

Msg = namedtuple("Msg", "topic payload qos retain dup")

V31 = mqtt.MQTTv31
V311 = mqtt.MQTTv311


class Client(PahoBase):
    def __init__(self, client_id="", clean_session=True, protocol=V311, keepalive=60,
                 will=None, host=None, port=None):
        self.id = client_id
        self.host = host or HOST
        self.port = port or PORT
        self.keepalive = keepalive
        self._paho_init(mqtt.Client(client_id=client_id, clean_session=clean_session,
                                    protocol=protocol, reconnect_on_failure=False))
        if will:
            topic, payload, qos, retain = will
            self.c.will_set(topic, payload, qos, retain)
        self.conn_rc = None
        self.session_present = None
        self.unsubacks = set()

    # paho callbacks (network thread)
    def _on_connect(self, c, ud, flags, rc):
        self.conn_rc = rc
        self.session_present = bool(flags.get("session present", 0))
        self.connected.set()

    def _on_disconnect(self, c, ud, rc):
        self.disconnected.set()

    def _on_message(self, c, ud, m):
        self.msgs.put(Msg(m.topic, bytes(m.payload), m.qos, bool(m.retain), bool(m.dup)))

    def _on_subscribe(self, c, ud, mid, granted):
        with self.cv:
            self.subacks[mid] = list(granted)
            self.cv.notify_all()

    def _on_unsubscribe(self, c, ud, mid):
        with self.cv:
            self.unsubacks.add(mid)
            self.cv.notify_all()

    # blocking API
    def connect(self, timeout=5.0, expect_rc=0):
        """Connect and wait for CONNACK; returns session_present."""
        self.connected.clear()
        self.disconnected.clear()
        self.c.connect(self.host, self.port, self.keepalive)
        self.c.loop_start()
        if not self.connected.wait(timeout):
            raise TestFailure("%s: no CONNACK within %.1fs" % (self.id, timeout))
        check_eq(expect_rc, self.conn_rc, "%s: CONNACK return code" % self.id)
        return self.session_present

    def subscribe(self, filters, timeout=5.0):
        """filters: [(filter, qos)]; returns the granted list from SUBACK."""
        rc, mid = self.c.subscribe(filters)
        check_eq(mqtt.MQTT_ERR_SUCCESS, rc, "%s: subscribe() rc" % self.id)
        with self.cv:
            ok = self.cv.wait_for(lambda: mid in self.subacks, timeout)
        check(ok, "%s: no SUBACK within %.1fs" % (self.id, timeout))
        return self.subacks[mid]

    def unsubscribe(self, topics, timeout=5.0):
        rc, mid = self.c.unsubscribe(topics)
        check_eq(mqtt.MQTT_ERR_SUCCESS, rc, "%s: unsubscribe() rc" % self.id)
        with self.cv:
            ok = self.cv.wait_for(lambda: mid in self.unsubacks, timeout)
        check(ok, "%s: no UNSUBACK within %.1fs" % (self.id, timeout))

    def publish(self, topic, payload, qos=0, retain=False, wait=True, timeout=5.0):
        info = self.c.publish(topic, payload, qos, retain)
        check_eq(mqtt.MQTT_ERR_SUCCESS, info.rc, "%s: publish() rc" % self.id)
        if wait:
            info.wait_for_publish(timeout)
            check(info.is_published(), "%s: publish %s qos%d not completed within %.1fs"
                  % (self.id, topic, qos, timeout))
        return info

    def disconnect(self):
        """Clean DISCONNECT (no will)."""
        self.c.disconnect()
        self.disconnected.wait(3)
        self.c.loop_stop()


def log(*args):
    print("[%.3f]" % time.monotonic(), *args, file=sys.stderr, flush=True)
