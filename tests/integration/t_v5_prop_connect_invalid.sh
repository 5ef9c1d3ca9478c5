#!/usr/bin/env bash
# A CONNECT with a bad property is refused [MQTT-3.1.4-1]: the connection closes, with at most a
# CONNACK 0x81 (malformed) or 0x82 (protocol error) before (4.13), never a CONNACK 0x00, and a
# PINGREQ sent right behind the CONNECT is not processed [MQTT-3.1.4-6]. Cases: unknown identifier,
# Will Delay Interval among the CONNECT properties, Subscription Identifier in the Will Properties
# (malformed); Session Expiry Interval or Topic Alias Maximum twice, Receive Maximum 0, Maximum
# Packet Size 0, Request Problem / Response Information 2 (protocol errors, 3.1.2.11.x).
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    cases = (
        ("unknown id", RC_MALFORMED, dict(props=bytes([0x7F, 0]))),
        ("Will Delay in CONNECT", RC_MALFORMED, dict(props=[(WILL_DELAY, 1)])),
        ("Subscription Identifier in Will", RC_MALFORMED,
         dict(will=("pci/w", "x", 0, False, [(SUBSCRIPTION_ID, 1)]))),
        ("truncated Will Properties", RC_MALFORMED,
         dict(will=("pci/w", "x", 0, False, bytes([MESSAGE_EXPIRY, 0])))),
        ("Session Expiry twice", RC_PROTOCOL_ERROR, dict(props=[(SESSION_EXPIRY, 1), (SESSION_EXPIRY, 1)])),
        ("Topic Alias Maximum twice", RC_PROTOCOL_ERROR, dict(props=[(TOPIC_ALIAS_MAX, 1), (TOPIC_ALIAS_MAX, 1)])),
        ("Receive Maximum 0", RC_PROTOCOL_ERROR, dict(props=[(RECEIVE_MAX, 0)])),
        ("Maximum Packet Size 0", RC_PROTOCOL_ERROR, dict(props=[(MAX_PACKET_SIZE, 0)])),
        ("Request Problem Information 2", RC_PROTOCOL_ERROR, dict(props=[(REQUEST_PROBLEM_INFO, 2)])),
        ("Request Response Information 2", RC_PROTOCOL_ERROR, dict(props=[(REQUEST_RESPONSE_INFO, 2)])),
    )
    for i, (what, rc, kw) in enumerate(cases):
        c = Conn()
        c.send(connect5("pci-%d" % i, **kw) + pingreq())
        try:
            expect_refused(c, [rc])
        except TestFailure as e:
            raise TestFailure("%s: %s" % (what, e))
    assert_broker_serves5()
PY
