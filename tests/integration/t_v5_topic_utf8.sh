#!/usr/bin/env bash
# Topics are matched byte for byte: a leading U+FEFF (0xEF 0xBB 0xBF) is kept, never stripped
# [MQTT-1.5.4-3]; no Unicode normalisation, so "é" as U+00E9 and as e + U+0301 are different
# topics [MQTT-4.7.3-4].
# timeout: 30
. "$(dirname "$0")/lib.sh"
py_test mqtt5raw <<'PY'
def t():
    bom, nfc, nfd = "\ufeffbom/t", "caf\u00e9", "cafe\u0301"
    s = subscriber5("tu-sub", [(bom, 1), (nfc, 1)])
    p, _ = client5("tu-pub")
    for i, tp in enumerate((bom, "bom/t", nfd, nfc)):
        publish5_ok(p, tp, "m%d" % i, qos=1, pid=i + 1)
    got = [(m["topic"], m["payload"]) for m in collect_publishes(s, 1.0)]
    check_eq([(bom, b"m0"), (nfc, b"m3")], got, "deliveries")
PY
