"""Shared pieces of the t_hostile_* tests: a bystander client that must keep working while
another client attacks the broker."""
from mqtt5raw import PUBACK, PUBLISH, check_eq
import mqttraw


def bystander():
    """A 3.1.1 client subscribed to by/# at QoS 1, connected before the attack."""
    b, _ = mqttraw.client("bystander")
    check_eq([1], mqttraw.subscribe_ok(b, [("by/#", 1)]), "bystander SUBACK")
    return b


def bystander_alive(b, tag):
    """A fresh publisher's QoS 1 message on by/<tag> reaches the bystander."""
    p, _ = mqttraw.client("by-pub")
    p.send(mqttraw.publish("by/" + tag, tag, qos=1, pid=1))
    p.expect(PUBACK)
    m = b.expect(PUBLISH, timeout=3).publish()
    check_eq(("by/" + tag, tag.encode()), (m["topic"], m["payload"]), "bystander after %s" % tag)
    b.send(mqttraw.puback(m["pid"]))
    p.send(mqttraw.disconnect())
    p.close()
