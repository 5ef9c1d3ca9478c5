// SPDX-License-Identifier: MIT
/*
 * Unit tests for daemon/mqtt/codec.c, framing and the decode table: the Remaining Length, framing
 * at every split and size limit, and every packet type decoded from hand-written bytes (valid
 * and every malformed case we know of). Fields, properties and encoders: test_codec_*.c.
 */
#include "codec_test.h"

/* ---- table of decode vectors ---- */

struct vec {
	const char *name;
	uint8_t ver;
	uint8_t b0;
	const uint8_t *body;
	size_t len;
	int rc;
	uint8_t reason;
};

static const struct vec vecs[] = {
    /* CONNECT */
    {"connect v311", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c'), OK},
    {"connect v31", 3, 0x10, S(MQISDP, 3, 0x02, 0, 60, 0, 1, 'c'), OK},
    {"connect v5", 5, 0x10, S(MQTTN, 5, 0x02, 0, 60, 0, 0, 1, 'c'), OK},
    {"connect ignores conn version", 0, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c'), OK},
    {"connect header flags", 4, 0x11, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c'), MAL},
    {"connect header flags 8", 4, 0x18, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c'), MAL},
    {"connect MQTT level 3", 4, 0x10, S(MQTTN, 3, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect MQIsdp level 4", 4, 0x10, S(MQISDP, 4, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect MQIsdp level 5", 4, 0x10, S(MQISDP, 5, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect level 6", 4, 0x10, S(MQTTN, 6, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect level 0", 4, 0x10, S(MQTTN, 0, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect bridge level 0x84", 4, 0x10, S(MQTTN, 0x84, 0x02, 0, 60, 0, 1, 'c'), OK},
    {"connect bridge level 0x83", 3, 0x10, S(MQISDP, 0x83, 0x02, 0, 60, 0, 1, 'c'), OK},
    {"connect bridge level 0x85", 5, 0x10, S(MQTTN, 0x85, 0x02, 0, 60, 0, 0, 1, 'c'), UNSUP},
    {"connect MQTT bridge level 0x83", 4, 0x10, S(MQTTN, 0x83, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect MQIsdp bridge level 0x84", 4, 0x10, S(MQISDP, 0x84, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect bridge level 0x86", 4, 0x10, S(MQTTN, 0x86, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect bridge level 0x80", 4, 0x10, S(MQTTN, 0x80, 0x02, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect name mqtt", 4, 0x10, S(0, 4, 'm', 'q', 't', 't', 4, 2, 0, 60, 0, 1, 'c'), UNSUP},
    {"connect name MQTTX", 4, 0x10, S(0, 5, 'M', 'Q', 'T', 'T', 'X', 4, 2, 0, 0, 0, 1, 'c'), UNSUP},
    {"connect name empty", 4, 0x10, S(0, 0, 4, 2, 0, 0, 0, 1, 'c'), UNSUP},
    {"connect empty body", 4, 0x10, NULL, 0, MAL},
    {"connect name only", 4, 0x10, S(MQTTN), MAL},
    {"connect name overruns", 4, 0x10, S(0, 9, 'M', 'Q', 'T', 'T'), MAL},
    {"connect no flags", 4, 0x10, S(MQTTN, 4), MAL},
    {"connect no keepalive", 4, 0x10, S(MQTTN, 4, 0x02, 0), MAL},
    {"connect no client id", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60), MAL},
    {"connect client id overruns", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 5, 'c'), MAL},
    {"connect client id overlong", 4, 0x10, S(MQTTN, 4, 2, 0, 60, 0, 2, 0xc0, 0x80), MAL},
    {"connect client id U+0000", 4, 0x10, S(MQTTN, 4, 2, 0, 60, 0, 2, 'a', 0), MAL},
    {"connect trailing byte", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 1, 'c', 0), MAL},
    {"connect reserved flag", 4, 0x10, S(MQTTN, 4, 0x03, 0, 60, 0, 1, 'c'), MAL},
    {"connect v5 reserved flag", 5, 0x10, S(MQTTN, 5, 0x01, 0, 60, 0, 0, 1, 'c'), MAL},
    {"connect will qos 3", 4, 0x10, S(MQTTN, 4, 0x1e, 0, 60, 0, 1, 'c', 0, 1, 't', 0, 0), MAL},
    {"connect will qos 1 no will", 4, 0x10, S(MQTTN, 4, 0x0a, 0, 60, 0, 1, 'c'), MAL},
    {"connect will qos 2 no will", 4, 0x10, S(MQTTN, 4, 0x12, 0, 60, 0, 1, 'c'), MAL},
    {"connect will retain no will", 4, 0x10, S(MQTTN, 4, 0x22, 0, 60, 0, 1, 'c'), MAL},
    {"connect v5 will retain no will", 5, 0x10, S(MQTTN, 5, 0x22, 0, 60, 0, 0, 1, 'c'), MAL},
    {"connect will qos2 retain", 4, 0x10, S(MQTTN, 4, 0x36, 0, 60, 0, 1, 'c', 0, 1, 't', 0, 1, 'x'),
     OK},
    {"connect password no user v311", 4, 0x10, S(MQTTN, 4, 0x42, 0, 60, 0, 1, 'c', 0, 1, 'p'),
     PROTO},
    {"connect password no user v31", 3, 0x10, S(MQISDP, 3, 0x42, 0, 60, 0, 1, 'c', 0, 1, 'p'),
     PROTO},
    {"connect password no user v5", 5, 0x10, S(MQTTN, 5, 0x42, 0, 60, 0, 0, 1, 'c', 0, 1, 'p'), OK},
    {"connect v311 empty id no clean", 4, 0x10, S(MQTTN, 4, 0x00, 0, 60, 0, 0), CLIENTID},
    {"connect v311 empty id clean", 4, 0x10, S(MQTTN, 4, 0x02, 0, 60, 0, 0), OK},
    {"connect v31 empty id", 3, 0x10, S(MQISDP, 3, 0x02, 0, 60, 0, 0), CLIENTID},
    {"connect v5 empty id no clean", 5, 0x10, S(MQTTN, 5, 0x00, 0, 60, 0, 0, 0), OK},
    {"connect will topic #", 4, 0x10,
     S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 3, 'a', '/', '#', 0, 0), TNAME},
    {"connect will topic +", 4, 0x10,
     S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 3, '+', '/', 'a', 0, 0), TNAME},
    {"connect will topic empty", 4, 0x10, S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 0, 0, 0), TNAME},
    {"connect will topic 0xff", 4, 0x10, S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 1, 0xff, 0, 0),
     MAL},
    {"connect will no topic", 4, 0x10, S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c'), MAL},
    {"connect will no payload", 4, 0x10, S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 1, 't'), MAL},
    {"connect will payload overruns", 4, 0x10,
     S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 1, 't', 0, 3, 'x'), MAL},
    {"connect will payload binary", 4, 0x10,
     S(MQTTN, 4, 0x06, 0, 60, 0, 1, 'c', 0, 1, 't', 0, 2, 0xff, 0), OK},
    {"connect user flag no user", 4, 0x10, S(MQTTN, 4, 0x82, 0, 60, 0, 1, 'c'), MAL},
    {"connect user 0x80", 4, 0x10, S(MQTTN, 4, 0x82, 0, 60, 0, 1, 'c', 0, 1, 0x80), MAL},
    {"connect user ok", 4, 0x10, S(MQTTN, 4, 0x82, 0, 60, 0, 1, 'c', 0, 1, 'u'), OK},
    {"connect pass flag no pass", 4, 0x10, S(MQTTN, 4, 0xc2, 0, 60, 0, 1, 'c', 0, 1, 'u'), MAL},
    {"connect pass binary", 4, 0x10, S(MQTTN, 4, 0xc2, 0, 60, 0, 1, 'c', 0, 1, 'u', 0, 2, 0xff, 0),
     OK},
    {"connect v5 no props", 5, 0x10, S(MQTTN, 5, 0x02, 0, 60), MAL},
    {"connect v5 props overrun", 5, 0x10, S(MQTTN, 5, 0x02, 0, 60, 5, 0x11, 0, 0), MAL},
    {"connect v5 props 5-byte len", 5, 0x10,
     S(MQTTN, 5, 0x02, 0, 60, 0x80, 0x80, 0x80, 0x80, 0, 0, 1, 'c'), MAL},
    {"connect v5 will no will props", 5, 0x10, S(MQTTN, 5, 0x06, 0, 60, 0, 0, 1, 'c'), MAL},
    {"connect v5 will", 5, 0x10, S(MQTTN, 5, 0x06, 0, 60, 0, 0, 1, 'c', 0, 0, 1, 't', 0, 0), OK},
    {"connect v5 will delay in connect", 5, 0x10,
     S(MQTTN, 5, 0x02, 0, 60, 5, 0x18, 0, 0, 0, 1, 0, 1, 'c'), MAL},
    {"connect v5 session expiry in will", 5, 0x10,
     S(MQTTN, 5, 0x06, 0, 60, 0, 0, 1, 'c', 5, 0x11, 0, 0, 0, 1, 0, 1, 't', 0, 0), MAL},
    {"connect v5 will response topic #", 5, 0x10,
     S(MQTTN, 5, 0x06, 0, 60, 0, 0, 1, 'c', 4, 0x08, 0, 1, '#', 0, 1, 't', 0, 0), PROTO},

    /* PUBLISH */
    {"pub v4 qos0", 4, 0x30, S(0, 3, 'a', '/', 'b', 'x'), OK},
    {"pub v4 qos1", 4, 0x32, S(0, 3, 'a', '/', 'b', 0, 1, 'x'), OK},
    {"pub v4 qos2 dup retain", 4, 0x3d, S(0, 3, 'a', '/', 'b', 0, 1), OK},
    {"pub v3 qos1 dup", 3, 0x3a, S(0, 1, 't', 0, 1), OK},
    {"pub v4 qos3", 4, 0x36, S(0, 3, 'a', '/', 'b', 0, 1), MAL},
    {"pub v3 qos3", 3, 0x36, S(0, 3, 'a', '/', 'b', 0, 1), MAL},
    {"pub v5 qos3", 5, 0x37, S(0, 3, 'a', '/', 'b', 0, 1, 0), MAL},
    {"pub v4 dup qos0", 4, 0x38, S(0, 3, 'a', '/', 'b'), MAL},
    {"pub v3 dup qos0", 3, 0x39, S(0, 3, 'a', '/', 'b'), MAL},
    {"pub v5 dup qos0", 5, 0x38, S(0, 3, 'a', '/', 'b', 0), MAL},
    {"pub v4 qos1 pid 0", 4, 0x32, S(0, 3, 'a', '/', 'b', 0, 0), PROTO},
    {"pub v5 qos2 pid 0", 5, 0x34, S(0, 1, 't', 0, 0, 0), PROTO},
    {"pub v4 qos1 no pid", 4, 0x32, S(0, 3, 'a', '/', 'b'), MAL},
    {"pub v4 qos1 half pid", 4, 0x32, S(0, 3, 'a', '/', 'b', 0), MAL},
    {"pub empty", 4, 0x30, NULL, 0, MAL},
    {"pub one length byte", 4, 0x30, S(0), MAL},
    {"pub topic overruns", 4, 0x30, S(0, 4, 'a', '/', 'b'), MAL},
    {"pub topic +", 4, 0x30, S(0, 3, 'a', '/', '+'), TNAME},
    {"pub topic #", 4, 0x30, S(0, 1, '#'), TNAME},
    {"pub topic a+b", 4, 0x30, S(0, 3, 'a', '+', 'b'), TNAME},
    {"pub v5 topic #", 5, 0x30, S(0, 3, 'a', '/', '#', 0), TNAME},
    {"pub long topic +", 4, 0x30,
     S(0, 12, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', '+', 'k', 'l'), TNAME},
    {"pub topic 0xab 0xa3 not wildcards", 4, 0x30,
     S(0, 12, 0xc3, 0xab, 0xc2, 0xa3, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), OK},
    {"pub v4 topic empty", 4, 0x30, S(0, 0, 'x'), MAL},
    {"pub v3 topic empty", 3, 0x30, S(0, 0), MAL},
    {"pub v5 topic empty no alias", 5, 0x30, S(0, 0, 0, 'x'), PROTO},
    {"pub v5 topic empty alias", 5, 0x30, S(0, 0, 3, 0x23, 0, 1, 'x'), OK},
    {"pub topic overlong", 4, 0x30, S(0, 2, 0xc0, 0xaf), MAL},
    {"pub topic surrogate", 4, 0x30, S(0, 3, 0xed, 0xa0, 0x80), MAL},
    {"pub topic U+0000", 4, 0x30, S(0, 3, 'a', 0, 'b'), MAL},
    {"pub topic 0xff", 4, 0x30, S(0, 1, 0xff), MAL},
    {"pub topic truncated seq", 4, 0x30, S(0, 2, 'a', 0xe2, 0x82, 0xac), MAL},
    {"pub topic utf8", 4, 0x30, S(0, 5, 'a', '/', 0xe2, 0x82, 0xac), OK},
    {"pub v5 no props length", 5, 0x30, S(0, 1, 't'), MAL},
    {"pub v5 qos1 no props length", 5, 0x32, S(0, 1, 't', 0, 1), MAL},
    {"pub v5 props overrun", 5, 0x30, S(0, 1, 't', 4, 0x01, 1), MAL},
    {"pub v5 props 5-byte len", 5, 0x30, S(0, 1, 't', 0x80, 0x80, 0x80, 0x80, 0), MAL},
    {"pub v5 props len non-minimal", 5, 0x30, S(0, 1, 't', 0x80, 0x00, 'x'), OK},
    {"pub v5 empty payload", 5, 0x30, S(0, 1, 't', 0), OK},
    {"pub v5 topic alias 0", 5, 0x30, S(0, 1, 't', 3, 0x23, 0, 0), ALIAS},
    {"pub v5 topic alias twice", 5, 0x30, S(0, 1, 't', 6, 0x23, 0, 1, 0x23, 0, 2), PROTO},
    {"pub v5 payload format 2", 5, 0x30, S(0, 1, 't', 2, 0x01, 2), PROTO},
    {"pub v5 sub id twice", 5, 0x30, S(0, 1, 't', 4, 0x0b, 1, 0x0b, 2), OK},
    {"pub v5 sub id 0", 5, 0x30, S(0, 1, 't', 2, 0x0b, 0), PROTO},
    {"pub v5 sub id 5 bytes", 5, 0x30, S(0, 1, 't', 6, 0x0b, 0x80, 0x80, 0x80, 0x80, 0x01), MAL},
    {"pub v5 sub id truncated", 5, 0x30, S(0, 1, 't', 2, 0x0b, 0x80), MAL},
    {"pub v5 response topic #", 5, 0x30, S(0, 1, 't', 6, 0x08, 0, 3, 'a', '/', '#'), PROTO},
    {"pub v5 response topic empty", 5, 0x30, S(0, 1, 't', 3, 0x08, 0, 0), PROTO},
    {"pub v5 response topic 0xff", 5, 0x30, S(0, 1, 't', 4, 0x08, 0, 1, 0xff), MAL},
    {"pub v5 user props twice", 5, 0x30,
     S(0, 1, 't', 14, 0x26, 0, 1, 'k', 0, 1, 'v', 0x26, 0, 1, 'k', 0, 1, 'v'), OK},
    {"pub v5 user prop value 0xc1", 5, 0x30, S(0, 1, 't', 7, 0x26, 0, 1, 'k', 0, 1, 0xc1), MAL},
    {"pub v5 user prop no value", 5, 0x30, S(0, 1, 't', 4, 0x26, 0, 1, 'k'), MAL},
    {"pub v5 prop id 0", 5, 0x30, S(0, 1, 't', 2, 0x00, 0), MAL},
    {"pub v5 prop id 0x80", 5, 0x30, S(0, 1, 't', 3, 0x81, 0x00, 1), MAL},
    {"pub v5 session expiry", 5, 0x30, S(0, 1, 't', 5, 0x11, 0, 0, 0, 1), MAL},
    {"pub v5 message expiry cut", 5, 0x30, S(0, 1, 't', 4, 0x02, 0, 0, 1), MAL},
    {"pub v5 message expiry twice", 5, 0x30, S(0, 1, 't', 10, 0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2),
     PROTO},
    {"pub v5 content type 0xfe", 5, 0x30, S(0, 1, 't', 4, 0x03, 0, 1, 0xfe), MAL},
    {"pub no CONNECT yet", 0, 0x30, S(0, 1, 't'), PROTO},
    {"pub version 6", 6, 0x30, S(0, 1, 't'), PROTO},

    /* PUBACK, PUBREC, PUBREL, PUBCOMP */
    {"puback v4", 4, 0x40, S(0, 1), OK},
    {"pubrec v4", 4, 0x50, S(0, 1), OK},
    {"pubrel v4", 4, 0x62, S(0, 1), OK},
    {"pubcomp v4", 4, 0x70, S(0, 1), OK},
    {"puback flags", 4, 0x41, S(0, 1), MAL},
    {"pubrec flags", 4, 0x58, S(0, 1), MAL},
    {"pubcomp flags", 4, 0x72, S(0, 1), MAL},
    {"pubrel flags 0", 4, 0x60, S(0, 1), MAL},
    {"pubrel flags 3", 4, 0x63, S(0, 1), MAL},
    {"pubrel v5 flags 0", 5, 0x60, S(0, 1), MAL},
    {"pubrel v31 dup", 3, 0x6a, S(0, 1), OK},
    {"pubrel v311 dup", 4, 0x6a, S(0, 1), MAL},
    {"pubrel v5 dup", 5, 0x6a, S(0, 1), MAL},
    {"puback pid 0", 4, 0x40, S(0, 0), PROTO},
    {"pubrel pid 0", 4, 0x62, S(0, 0), PROTO},
    {"pubcomp v5 pid 0", 5, 0x70, S(0, 0), PROTO},
    {"puback short", 4, 0x40, S(0), MAL},
    {"puback empty", 4, 0x40, NULL, 0, MAL},
    {"puback v4 trailing", 4, 0x40, S(0, 1, 0), MAL},
    {"pubrec v3 trailing", 3, 0x50, S(0, 1, 0), MAL},
    {"puback v5", 5, 0x40, S(0, 1), OK},
    {"puback v5 reason only", 5, 0x40, S(0, 1, 0x10), OK},
    {"puback v5 reason empty props", 5, 0x40, S(0, 1, 0x87, 0), OK},
    {"puback v5 trailing", 5, 0x40, S(0, 1, 0, 0, 0), MAL},
    {"puback v5 reason 0x92", 5, 0x40, S(0, 1, 0x92), PROTO},
    {"pubrec v5 reason 0x01", 5, 0x50, S(0, 1, 0x01), PROTO},
    {"pubrel v5 reason 0x92", 5, 0x62, S(0, 1, 0x92), OK},
    {"pubcomp v5 reason 0x10", 5, 0x70, S(0, 1, 0x10), PROTO},
    {"puback v5 props overrun", 5, 0x40, S(0, 1, 0, 3, 0x1f, 0), MAL},
    {"puback v5 reason string", 5, 0x40, S(0, 1, 0x80, 4, 0x1f, 0, 1, 'e'), OK},
    {"puback v5 topic alias", 5, 0x40, S(0, 1, 0, 3, 0x23, 0, 1), MAL},
    {"puback v5 reason string twice", 5, 0x40, S(0, 1, 0, 8, 0x1f, 0, 1, 'e', 0x1f, 0, 1, 'f'),
     PROTO},

    /* SUBSCRIBE */
    {"sub v4", 4, 0x82, S(0, 1, 0, 3, 'a', '/', 'b', 1), OK},
    {"sub v4 three", 4, 0x82, S(0, 1, 0, 1, 'a', 0, 0, 1, '#', 2, 0, 3, '+', '/', '+', 1), OK},
    {"sub flags 0", 4, 0x80, S(0, 1, 0, 1, 'a', 0), MAL},
    {"sub flags 3", 4, 0x83, S(0, 1, 0, 1, 'a', 0), MAL},
    {"sub v31 dup", 3, 0x8a, S(0, 1, 0, 1, 'a', 0), OK},
    {"sub pid 0", 4, 0x82, S(0, 0, 0, 1, 'a', 0), PROTO},
    {"sub no entries", 4, 0x82, S(0, 1), PROTO},
    {"sub v5 no entries", 5, 0x82, S(0, 1, 0), PROTO},
    {"sub no pid", 4, 0x82, S(0), MAL},
    {"sub no options", 4, 0x82, S(0, 1, 0, 1, 'a'), MAL},
    {"sub filter overruns", 4, 0x82, S(0, 1, 0, 5, 'a', 0), MAL},
    {"sub half length", 4, 0x82, S(0, 1, 0, 1, 'a', 0, 0), MAL},
    {"sub v4 qos 3", 4, 0x82, S(0, 1, 0, 1, 'a', 3), MAL},
    {"sub v4 options 0x04", 4, 0x82, S(0, 1, 0, 1, 'a', 0x04), MAL},
    {"sub v4 options 0x80", 4, 0x82, S(0, 1, 0, 1, 'a', 0x80), MAL},
    {"sub v3 options 0x10", 3, 0x82, S(0, 1, 0, 1, 'a', 0x10), MAL},
    {"sub v5 qos 3", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 3), PROTO},
    {"sub v5 retain handling 3", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 0x30), PROTO},
    {"sub v5 options 0x40", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 0x40), MAL},
    {"sub v5 options 0x80", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 0x80), MAL},
    {"sub v5 all options", 5, 0x82, S(0, 1, 0, 0, 1, 'a', 0x2e), OK},
    {"sub filter empty", 4, 0x82, S(0, 1, 0, 0, 0), TFILTER},
    {"sub filter a+", 4, 0x82, S(0, 1, 0, 2, 'a', '+', 0), TFILTER},
    {"sub filter +a", 4, 0x82, S(0, 1, 0, 2, '+', 'a', 0), TFILTER},
    {"sub filter a/b+", 4, 0x82, S(0, 1, 0, 4, 'a', '/', 'b', '+', 0), TFILTER},
    {"sub filter #/a", 4, 0x82, S(0, 1, 0, 3, '#', '/', 'a', 0), TFILTER},
    {"sub filter a#", 4, 0x82, S(0, 1, 0, 2, 'a', '#', 0), TFILTER},
    {"sub filter a/#/b", 4, 0x82, S(0, 1, 0, 5, 'a', '/', '#', '/', 'b', 0), TFILTER},
    {"sub filter ##", 4, 0x82, S(0, 1, 0, 2, '#', '#', 0), TFILTER},
    {"sub filter ++", 4, 0x82, S(0, 1, 0, 2, '+', '+', 0), TFILTER},
    {"sub filter +#", 4, 0x82, S(0, 1, 0, 2, '+', '#', 0), TFILTER},
    {"sub filter +", 4, 0x82, S(0, 1, 0, 1, '+', 0), OK},
    {"sub filter /", 4, 0x82, S(0, 1, 0, 1, '/', 0), OK},
    {"sub filter //", 4, 0x82, S(0, 1, 0, 2, '/', '/', 0), OK},
    {"sub filter /#", 4, 0x82, S(0, 1, 0, 2, '/', '#', 0), OK},
    {"sub filter +/+/#", 4, 0x82, S(0, 1, 0, 5, '+', '/', '+', '/', '#', 0), OK},
    {"sub filter a/+/b", 4, 0x82, S(0, 1, 0, 5, 'a', '/', '+', '/', 'b', 0), OK},
    {"sub filter 0xed 0xbf", 4, 0x82, S(0, 1, 0, 3, 0xed, 0xbf, 0xbf, 0), MAL},
    {"sub filter U+0000", 4, 0x82, S(0, 1, 0, 1, 0, 0), MAL},
    {"sub bad filter then qos 3", 4, 0x82, S(0, 1, 0, 1, '#', 0, 0, 2, 'a', '#', 0, 0, 1, 'b', 3),
     MAL},
    {"sub bad filter then good", 4, 0x82, S(0, 1, 0, 2, 'a', '#', 0, 0, 1, 'b', 1), TFILTER},
    {"sub v5 $share/g/a", 5, 0x82,
     S(0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', 1), OK},
    {"sub v5 $share/g/#", 5, 0x82,
     S(0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', '#', 1), OK},
    {"sub v5 $share/g", 5, 0x82, S(0, 1, 0, 0, 8, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', 1),
     TFILTER},
    {"sub v5 $share/g/", 5, 0x82, S(0, 1, 0, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 1),
     TFILTER},
    {"sub v5 $share//a", 5, 0x82, S(0, 1, 0, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', '/', 'a', 1),
     TFILTER},
    {"sub v5 $share/+/a", 5, 0x82,
     S(0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', '+', '/', 'a', 1), TFILTER},
    {"sub v5 $share/g#/a", 5, 0x82,
     S(0, 1, 0, 0, 11, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '#', '/', 'a', 1), TFILTER},
    {"sub v5 $share/g/a+", 5, 0x82,
     S(0, 1, 0, 0, 11, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', '+', 1), TFILTER},
    {"sub v5 $share no local", 5, 0x82,
     S(0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', 0x05), PROTO},
    {"sub v5 $sharex no local", 5, 0x82, S(0, 1, 0, 0, 7, '$', 's', 'h', 'a', 'r', 'e', 'x', 0x05),
     OK},
    {"sub v4 $share/+/a plain", 4, 0x82,
     S(0, 1, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', '+', '/', 'a', 1), OK},
    {"sub v5 sub id", 5, 0x82, S(0, 1, 2, 0x0b, 7, 0, 1, 'a', 0), OK},
    {"sub v5 sub id twice", 5, 0x82, S(0, 1, 4, 0x0b, 7, 0x0b, 8, 0, 1, 'a', 0), PROTO},
    {"sub v5 sub id 0", 5, 0x82, S(0, 1, 2, 0x0b, 0, 0, 1, 'a', 0), PROTO},
    {"sub v5 reason string", 5, 0x82, S(0, 1, 4, 0x1f, 0, 1, 'x', 0, 1, 'a', 0), MAL},

    /* UNSUBSCRIBE */
    {"unsub v4", 4, 0xa2, S(0, 1, 0, 1, 'a'), OK},
    {"unsub flags 0", 4, 0xa0, S(0, 1, 0, 1, 'a'), MAL},
    {"unsub flags 3", 4, 0xa3, S(0, 1, 0, 1, 'a'), MAL},
    {"unsub v31 dup", 3, 0xaa, S(0, 1, 0, 1, 'a'), OK},
    {"unsub pid 0", 4, 0xa2, S(0, 0, 0, 1, 'a'), PROTO},
    {"unsub no entries", 4, 0xa2, S(0, 1), PROTO},
    {"unsub filter overruns", 4, 0xa2, S(0, 1, 0, 2, 'a'), MAL},
    {"unsub filter empty", 4, 0xa2, S(0, 1, 0, 0), TFILTER},
    {"unsub filter a/#/b", 4, 0xa2, S(0, 1, 0, 5, 'a', '/', '#', '/', 'b'), TFILTER},
    {"unsub filter 0xf8", 4, 0xa2, S(0, 1, 0, 1, 0xf8), MAL},
    {"unsub v5", 5, 0xa2, S(0, 1, 0, 0, 1, 'a'), OK},
    {"unsub v5 user prop", 5, 0xa2, S(0, 1, 7, 0x26, 0, 1, 'k', 0, 1, 'v', 0, 1, 'a'), OK},
    {"unsub v5 sub id", 5, 0xa2, S(0, 1, 2, 0x0b, 1, 0, 1, 'a'), MAL},
    {"unsub v5 $share/g", 5, 0xa2, S(0, 1, 0, 0, 8, '$', 's', 'h', 'a', 'r', 'e', '/', 'g'),
     TFILTER},

    /* SUBACK, UNSUBACK */
    {"suback v4", 4, 0x90, S(0, 1, 0, 1, 2, 0x80), OK},
    {"suback v4 code 3", 4, 0x90, S(0, 1, 3), PROTO},
    {"suback v4 code 0x87", 4, 0x90, S(0, 1, 0x87), PROTO},
    {"suback flags", 4, 0x91, S(0, 1, 0), MAL},
    {"suback no codes", 4, 0x90, S(0, 1), PROTO},
    {"suback pid 0", 4, 0x90, S(0, 0, 0), PROTO},
    {"suback short", 4, 0x90, S(0), MAL},
    {"suback v5", 5, 0x90,
     S(0, 1, 0, 0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2), OK},
    {"suback v5 code 0x11", 5, 0x90, S(0, 1, 0, 0x11), PROTO},
    {"suback v5 code 0x03", 5, 0x90, S(0, 1, 0, 0x03), PROTO},
    {"suback v5 code 0xff", 5, 0x90, S(0, 1, 0, 0xff), PROTO},
    {"suback v5 no props length", 5, 0x90, S(0, 1), MAL},
    {"suback v5 reason string", 5, 0x90, S(0, 1, 4, 0x1f, 0, 1, 'x', 0), OK},
    {"unsuback v4", 4, 0xb0, S(0, 1), OK},
    {"unsuback v3", 3, 0xb0, S(0, 1), OK},
    {"unsuback v4 trailing", 4, 0xb0, S(0, 1, 0), MAL},
    {"unsuback v4 pid 0", 4, 0xb0, S(0, 0), PROTO},
    {"unsuback flags", 4, 0xb2, S(0, 1), MAL},
    {"unsuback v5", 5, 0xb0, S(0, 1, 0, 0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91), OK},
    {"unsuback v5 code 1", 5, 0xb0, S(0, 1, 0, 1), PROTO},
    {"unsuback v5 no codes", 5, 0xb0, S(0, 1, 0), PROTO},

    /* CONNACK */
    {"connack v4", 4, 0x20, S(0, 0), OK},
    {"connack v4 session present", 4, 0x20, S(1, 0), OK},
    {"connack v4 refused 5", 4, 0x20, S(0, 5), OK},
    {"connack v4 present refused", 4, 0x20, S(1, 5), PROTO},
    {"connack v4 code 6", 4, 0x20, S(0, 6), PROTO},
    {"connack v4 flags 2", 4, 0x20, S(2, 0), MAL},
    {"connack v4 short", 4, 0x20, S(0), MAL},
    {"connack v4 long", 4, 0x20, S(0, 0, 0), MAL},
    {"connack v31 unused byte", 3, 0x20, S(0xff, 0), OK},
    {"connack header flags", 4, 0x21, S(0, 0), MAL},
    {"connack v5", 5, 0x20, S(0, 0, 0), OK},
    {"connack v5 no props", 5, 0x20, S(0, 0), MAL},
    {"connack v5 0x85", 5, 0x20, S(0, 0x85, 0), OK},
    {"connack v5 code 1", 5, 0x20, S(0, 1, 0), PROTO},
    {"connack v5 code 0x8b", 5, 0x20, S(0, 0x8b, 0), PROTO},
    {"connack v5 present refused", 5, 0x20, S(1, 0x80, 0), PROTO},
    {"connack v5 flags 0x80", 5, 0x20, S(0x80, 0, 0), MAL},
    {"connack v5 trailing", 5, 0x20, S(0, 0, 0, 0), MAL},

    /* PINGREQ, PINGRESP, DISCONNECT, AUTH, reserved type 0 */
    {"pingreq v4", 4, 0xc0, NULL, 0, OK},
    {"pingreq v3", 3, 0xc0, NULL, 0, OK},
    {"pingreq v5", 5, 0xc0, NULL, 0, OK},
    {"pingreq body", 4, 0xc0, S(0), MAL},
    {"pingreq v5 body", 5, 0xc0, S(0), MAL},
    {"pingreq flags", 4, 0xc1, NULL, 0, MAL},
    {"pingresp", 4, 0xd0, NULL, 0, OK},
    {"pingresp body", 4, 0xd0, S(0, 0), MAL},
    {"pingresp flags", 4, 0xd8, NULL, 0, MAL},
    {"pingreq no CONNECT yet", 0, 0xc0, NULL, 0, PROTO},
    {"disconnect v4", 4, 0xe0, NULL, 0, OK},
    {"disconnect v3", 3, 0xe0, NULL, 0, OK},
    {"disconnect v4 body", 4, 0xe0, S(0), MAL},
    {"disconnect v3 body", 3, 0xe0, S(0), MAL},
    {"disconnect flags", 4, 0xe1, NULL, 0, MAL},
    {"disconnect v5 flags", 5, 0xe2, NULL, 0, MAL},
    {"disconnect v5", 5, 0xe0, NULL, 0, OK},
    {"disconnect v5 reason only", 5, 0xe0, S(0x04), OK},
    {"disconnect v5 reason props", 5, 0xe0, S(0x8e, 0), OK},
    {"disconnect v5 reason 0x01", 5, 0xe0, S(0x01), PROTO},
    {"disconnect v5 reason 0x84", 5, 0xe0, S(0x84), PROTO},
    {"disconnect v5 props overrun", 5, 0xe0, S(0, 2, 0x11), MAL},
    {"disconnect v5 trailing", 5, 0xe0, S(0, 0, 0), MAL},
    {"disconnect v5 expiry server ref", 5, 0xe0, S(0x9c, 9, 0x11, 0, 0, 0, 5, 0x1c, 0, 1, 's'), OK},
    {"disconnect v5 auth method", 5, 0xe0, S(0, 4, 0x15, 0, 1, 'm'), MAL},
    {"auth v4", 4, 0xf0, NULL, 0, MAL},
    {"auth v3", 3, 0xf0, NULL, 0, MAL},
    {"auth v5", 5, 0xf0, NULL, 0, OK},
    {"auth v5 reason only", 5, 0xf0, S(0x18), MAL},
    {"auth v5 continue", 5, 0xf0, S(0x18, 4, 0x15, 0, 1, 'm'), OK},
    {"auth v5 reauth data", 5, 0xf0, S(0x19, 8, 0x15, 0, 1, 'm', 0x16, 0, 1, 'd'), OK},
    {"auth v5 success method", 5, 0xf0, S(0x00, 4, 0x15, 0, 1, 'm'), OK},
    {"auth v5 no method", 5, 0xf0, S(0x18, 0), PROTO},
    {"auth v5 data no method", 5, 0xf0, S(0x18, 4, 0x16, 0, 1, 'd'), PROTO},
    {"auth v5 reason 0x01", 5, 0xf0, S(0x01, 4, 0x15, 0, 1, 'm'), PROTO},
    {"auth v5 flags", 5, 0xf1, NULL, 0, MAL},
    {"auth v5 trailing", 5, 0xf0, S(0x18, 4, 0x15, 0, 1, 'm', 0), MAL},
    {"type 0 v4", 4, 0x00, NULL, 0, MAL},
    {"type 0 v3", 3, 0x00, NULL, 0, MAL},
    {"type 0 v5", 5, 0x00, NULL, 0, MAL},
    {"type 0 body", 5, 0x00, S(1, 2), MAL},
};

static void test_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		struct mqtt_packet pkt;
		uint8_t reason;
		int rc = dec(v->ver, v->b0, v->body, v->len, &pkt, &reason);

		if (rc != v->rc || reason != v->reason)
			fail_msg("%s: rc %d reason 0x%02x, want %d 0x%02x", v->name, rc, reason,
				 v->rc, v->reason);
		if (!rc) {
			assert_int_equal(pkt.type, v->b0 >> 4);
			assert_int_equal(pkt.flags, v->b0 & 0xf);
		}
	}
}

/* ---- remaining length and framing ---- */

struct frame_vec {
	const char *name;
	const uint8_t *b;
	size_t len;
	int rc;
	uint32_t hdr_len, rem_len;
};

static const struct frame_vec frame_vecs[] = {
    {"0", S(0xc0, 0x00), 0, 2, 0},
    {"127", S(0x30, 0x7f), -EAGAIN, 2, 127},
    {"128", S(0x30, 0x80, 0x01), -EAGAIN, 3, 128},
    {"16383", S(0x30, 0xff, 0x7f), -EAGAIN, 3, 16383},
    {"16384", S(0x30, 0x80, 0x80, 0x01), -EAGAIN, 4, 16384},
    {"2097151", S(0x30, 0xff, 0xff, 0x7f), -EAGAIN, 4, 2097151},
    {"2097152", S(0x30, 0x80, 0x80, 0x80, 0x01), -EAGAIN, 5, 2097152},
    {"max", S(0x30, 0xff, 0xff, 0xff, 0x7f), -EAGAIN, 5, MQTT_MAX_REMAINING},
    {"non-minimal 0 in 2", S(0xc0, 0x80, 0x00), 0, 3, 0},
    {"non-minimal 0 in 4", S(0xc0, 0x80, 0x80, 0x80, 0x00), 0, 5, 0},
    {"non-minimal 1 in 3", S(0xc0, 0x81, 0x80, 0x00, 0xaa), 0, 4, 1},
    {"5 bytes", S(0x30, 0x80, 0x80, 0x80, 0x80, 0x01), -EBADMSG, 0, 0},
    {"5 bytes all ones", S(0x30, 0xff, 0xff, 0xff, 0xff, 0x7f), -EBADMSG, 0, 0},
    {"4 continuation bytes", S(0x30, 0xff, 0xff, 0xff, 0xff), -EBADMSG, 0, 0},
    {"1 continuation byte", S(0x30, 0x80), -EAGAIN, 0, 0},
    {"3 continuation bytes", S(0x30, 0x80, 0x80, 0x80), -EAGAIN, 0, 0},
    {"type byte only", S(0x30), -EAGAIN, 0, 0},
    {"two frames", S(0xc0, 0x00, 0xd0, 0x00, 0x00), 0, 2, 0},
    {"rem 2 complete", S(0x40, 0x02, 0x00, 0x01), 0, 2, 2},
    {"rem 2 plus next", S(0x40, 0x02, 0x00, 0x01, 0xc0, 0x00), 0, 2, 2},
};

static void test_frame_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(frame_vecs) / sizeof(frame_vecs[0]); i++) {
		const struct frame_vec *v = &frame_vecs[i];
		/* Copy to an exact-size heap block so ASan sees any read past len. */
		uint8_t *b = malloc(v->len);
		struct mqtt_frame f;
		uint8_t reason = 0xee;
		int rc;

		memcpy(b, v->b, v->len);
		rc = codec_frame(b, v->len, 0, &f, &reason);
		if (rc != v->rc || f.hdr_len != v->hdr_len || f.rem_len != v->rem_len)
			fail_msg("%s: rc %d hdr %u rem %u", v->name, rc, f.hdr_len, f.rem_len);
		assert_int_equal(reason, rc == -EBADMSG ? MQTT_RC_MALFORMED : 0);
		assert_int_equal(f.type, v->b[0] >> 4);
		assert_int_equal(f.flags, v->b[0] & 0xf);
		free(b);
	}
}

/* Every prefix of a frame is -EAGAIN; hdr_len is 0 until the length is complete. */
static void test_frame_every_split(void **state)
{
	static const uint32_t sizes[] = {0, 1, 2, 127, 128, 300, 16383, 16384, 70000};
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t hdr = 1 + codec_varint_size(sizes[i]), total = hdr + sizes[i];
		uint8_t *b = calloc(1, total);
		struct mqtt_frame f;
		uint8_t reason;

		b[0] = 0x30;
		codec_varint_put(b + 1, sizes[i]);
		for (cut = 0; cut < total; cut++) {
			/* Exact-size copy each time so the fast path cannot peek further. */
			uint8_t *c = malloc(cut ? cut : 1);

			memcpy(c, b, cut);
			reason = 0xee;
			assert_int_equal(codec_frame(c, cut, 0, &f, &reason), -EAGAIN);
			assert_int_equal(reason, 0);
			assert_int_equal(f.hdr_len, cut < hdr ? 0 : hdr);
			if (cut >= hdr)
				assert_int_equal(f.rem_len, sizes[i]);
			free(c);
		}
		assert_int_equal(codec_frame(b, total, 0, &f, NULL), 0);
		assert_int_equal(f.hdr_len, hdr);
		assert_int_equal(f.rem_len, sizes[i]);
		free(b);
	}
}

static void test_frame_max_size(void **state)
{
	uint8_t big[] = {0x30, 0xff, 0xff, 0xff, 0x7f};
	uint8_t pub[] = {0x30, 0x05, 0, 1, 't', 'x', 'y'};
	struct mqtt_frame f;
	uint8_t reason;

	(void)state;
	/* Exactly max_size is fine, one more is not; the body need not be there yet. */
	assert_int_equal(codec_frame(pub, sizeof(pub), 7, &f, &reason), 0);
	assert_int_equal(codec_frame(pub, sizeof(pub), 6, &f, &reason), -EMSGSIZE);
	assert_int_equal(reason, MQTT_RC_PACKET_TOO_LARGE);
	assert_int_equal(f.hdr_len, 2);
	assert_int_equal(f.rem_len, 5);
	assert_int_equal(codec_frame(pub, 2, 6, &f, &reason), -EMSGSIZE);
	assert_int_equal(codec_frame(pub, 2, 7, &f, &reason), -EAGAIN);
	assert_int_equal(codec_frame(big, sizeof(big), 1u << 20, &f, &reason), -EMSGSIZE);
	assert_int_equal(reason, MQTT_RC_PACKET_TOO_LARGE);
	assert_int_equal(f.rem_len, MQTT_MAX_REMAINING);
	assert_int_equal(codec_frame(big, sizeof(big), 0, &f, &reason), -EAGAIN);
	assert_int_equal(codec_frame(big, sizeof(big), UINT32_MAX, &f, &reason), -EAGAIN);
	assert_int_equal(codec_frame(big, 3, 100, &f, &reason), -EAGAIN); /* length unknown */
	assert_int_equal(codec_frame(big, 4, 100, &f, &reason), -EAGAIN);
	/* 5-byte lengths stay malformed whatever the limit. */
	assert_int_equal(
	    codec_frame((const uint8_t[]){0x30, 0x80, 0x80, 0x80, 0x80}, 5, 10, &f, &reason),
	    -EBADMSG);
	assert_int_equal(reason, MQTT_RC_MALFORMED);
}

static void test_decode_length_mismatch(void **state)
{
	uint8_t b[] = {0x40, 0x02, 0x00, 0x01, 0xc0, 0x00};
	uint8_t fivebyte[] = {0xc0, 0x80, 0x80, 0x80, 0x80, 0x00};
	uint8_t nonmin[] = {0xc0, 0x80, 0x80, 0x80, 0x00};
	struct mqtt_packet pkt;
	uint8_t reason;

	(void)state;
	assert_int_equal(codec_decode(b, 4, 4, &pkt, &reason), 0);
	assert_int_equal(pkt.ack.packet_id, 1);
	assert_int_equal(codec_decode(b, 3, 4, &pkt, &reason), -EAGAIN);
	assert_int_equal(reason, 0);
	assert_int_equal(codec_decode(b, 1, 4, &pkt, &reason), -EAGAIN);
	assert_int_equal(codec_decode(b, 0, 4, &pkt, &reason), -EAGAIN);
	assert_int_equal(codec_decode(b, 6, 4, &pkt, &reason), -EBADMSG);
	assert_int_equal(reason, MQTT_RC_MALFORMED);
	assert_int_equal(codec_decode(fivebyte, sizeof(fivebyte), 4, &pkt, &reason), -EBADMSG);
	assert_int_equal(reason, MQTT_RC_MALFORMED);
	assert_int_equal(codec_decode(nonmin, sizeof(nonmin), 4, &pkt, &reason), 0);
	assert_int_equal(pkt.type, MQTT_PINGREQ);
	assert_int_equal(codec_decode(b, 4, 4, &pkt, NULL), 0); /* reason is optional */
	assert_int_equal(codec_decode(b, 6, 4, &pkt, NULL), -EBADMSG);
}

static void test_varint(void **state)
{
	static const struct {
		uint32_t v;
		size_t n;
		uint8_t b[4];
	} t[] = {
	    {0, 1, {0x00}},
	    {127, 1, {0x7f}},
	    {128, 2, {0x80, 0x01}},
	    {16383, 2, {0xff, 0x7f}},
	    {16384, 3, {0x80, 0x80, 0x01}},
	    {2097151, 3, {0xff, 0xff, 0x7f}},
	    {2097152, 4, {0x80, 0x80, 0x80, 0x01}},
	    {MQTT_MAX_REMAINING, 4, {0xff, 0xff, 0xff, 0x7f}},
	};
	uint8_t b[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(codec_varint_size(t[i].v), t[i].n);
		memset(b, 0xee, sizeof(b));
		assert_int_equal(codec_varint_put(b, t[i].v), t[i].n);
		assert_memory_equal(b, t[i].b, t[i].n);
		assert_int_equal(b[t[i].n], 0xee);
	}
	memset(b, 0xee, sizeof(b));
	assert_int_equal(codec_varint_size(MQTT_MAX_REMAINING + 1), 0);
	assert_int_equal(codec_varint_put(b, MQTT_MAX_REMAINING + 1), 0);
	assert_int_equal(codec_varint_put(b, UINT32_MAX), 0);
	assert_int_equal(b[0], 0xee);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_varint),
	    cmocka_unit_test(test_frame_vectors),
	    cmocka_unit_test(test_frame_every_split),
	    cmocka_unit_test(test_frame_max_size),
	    cmocka_unit_test(test_decode_length_mismatch),
	    cmocka_unit_test(test_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
