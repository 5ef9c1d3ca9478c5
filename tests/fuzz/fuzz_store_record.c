/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for daemon/store/store_record.c. Any input is decoded as a session record;
 * the decoder must refuse what is malformed without reading past the input, and what it accepts
 * must re-encode to exactly the same bytes (the canonical-form promise of store_record.h) and
 * decode again to the same session.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "store_record.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_session s, t;
	uint8_t *buf;
	int n;

	/* a copy of exactly size bytes, so ASan catches any read past the end */
	uint8_t *in = malloc(size ? size : 1);

	CHECK(in);
	memcpy(in, data, size);
	if (store_record_session_decode(in, size, &s)) {
		free(in);
		return 0;
	}
	CHECK(store_record_session_size(&s) == size);
	buf = malloc(size);
	CHECK(buf);
	n = store_record_session_encode(&s, buf, size);
	CHECK(n == (int)size);
	CHECK(memcmp(buf, in, size) == 0);
	CHECK(store_record_session_decode(buf, size, &t) == 0);
	CHECK(t.proto == s.proto && t.expiry_interval == s.expiry_interval &&
	      t.disconnect_ms == s.disconnect_ms && t.listener == s.listener &&
	      t.has_will == s.has_will && t.username_len == s.username_len &&
	      !t.username == !s.username);
	if (s.has_will)
		CHECK(t.will.qos == s.will.qos && t.will.retain == s.will.retain &&
		      t.will.delay == s.will.delay && t.will.topic_len == s.will.topic_len &&
		      t.will.props_len == s.will.props_len &&
		      t.will.payload_len == s.will.payload_len &&
		      !memcmp(t.will.topic, s.will.topic, s.will.topic_len));
	/* too small a buffer is refused, never overrun */
	if (size)
		CHECK(store_record_session_encode(&s, buf, size - 1) == -EMSGSIZE);
	free(buf);
	free(in);
	return 0;
}
