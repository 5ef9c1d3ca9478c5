/* SPDX-License-Identifier: MIT */
/*
 * mqtt_varint: the MQTT Variable Byte Integer (Remaining Length) writer of the fast path's test
 * programs (fp_harness.c, test_fpparse.c). Not the codec's encoder on purpose: the kernel's
 * frame walk is checked against bytes written independently of the daemon.
 */
#ifndef MQTTGW_TEST_MQTT_VARINT_H
#define MQTTGW_TEST_MQTT_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* Write v in the shortest form (1 to 4 bytes for v < 2^28); returns the bytes written. */
static inline size_t put_varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;

	do {
		p[n] = v & 0x7f;
		v >>= 7;
		if (v)
			p[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

#endif /* MQTTGW_TEST_MQTT_VARINT_H */
