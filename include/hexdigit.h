/* SPDX-License-Identifier: MIT */
/* One hex digit's value (L0, pure): the psk_file keys, the control protocol's and HTTP's %XX. */
#ifndef MQTTGW_HEXDIGIT_H
#define MQTTGW_HEXDIGIT_H

/* 0..15, or -1 when c is not a hex digit. */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* MQTTGW_HEXDIGIT_H */
