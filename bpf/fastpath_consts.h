/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* fastpath_consts: MQTT wire constants and the verdict's internal limits. */
#ifndef MQTTGW_FASTPATH_CONSTS_H
#define MQTTGW_FASTPATH_CONSTS_H

/* Fixed header byte 1: packet type in the high nibble, flags in the low one. */
#define MQTT_TYPE_PUBLISH 3
#define MQTT_PUB_RETAIN	  0x01
#define MQTT_PUB_DUP	  0x08
#define MQTT_PUB_QOS_MASK 0x06

/* Remaining Length is a varint of at most 4 bytes (MQTT 3.1.1 2.2.3, 5.0 1.5.5). */
#define MQTT_VARINT_MAX 4

/* A frame is at least 2 bytes (type + Remaining Length 0). */
#define MQTT_FRAME_MIN 2

/*
 * Bytes loaded per frame to decode its header: type (1) + Remaining Length (<= 4) + topic
 * length (2) = 7, rounded to 8 so one bpf_skb_load_bytes() serves every frame.
 */
#define FP_HDR_PEEK 8

/*
 * bpf_loop() bound for the frame walk: one iteration per frame, and a frame is at least
 * MQTT_FRAME_MIN bytes, so len / 2 + 1 iterations always reach the end of an skb. The cap
 * only has to exceed the largest skb the stack builds (64 KiB without BIG TCP, 512 KiB with);
 * an skb beyond it loses frame tracking (FP_PASS_MALFORMED) rather than looping for long.
 */
#define FP_WALK_MAX_LOOPS (1u << 20)

/*
 * sk_skb_adjust_room() removes at most this many bytes per call; a duplicate head is cut in
 * at most FP_CUT_MAX_CALLS calls (256 KiB, more than a retransmission of a 64 KiB GSO segment
 * can overlap; beyond it tracking is lost).
 */
#define FP_CUT_MAX	 4095
#define FP_CUT_MAX_CALLS 64

/* Single loads and stores of fields another CPU or the daemon (mmap) writes concurrently. */
#define READ_ONCE(x)	 (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

#endif /* MQTTGW_FASTPATH_CONSTS_H */
