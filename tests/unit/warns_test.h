/* SPDX-License-Identifier: MIT */
/*
 * The warnings a parser reports through its (ctx, msg) callback (acl_parse, passwd_parse), kept
 * in order for the test to check: pass collect and a zeroed struct warns.
 */
#ifndef MQTTGW_TEST_WARNS_H
#define MQTTGW_TEST_WARNS_H

#include <stdio.h>

struct warns {
	char m[16][512];
	int n;
};

static inline void collect(void *ctx, const char *msg)
{
	struct warns *w = ctx;

	assert_true(w->n < 16);
	snprintf(w->m[w->n++], sizeof(w->m[0]), "%s", msg);
}

#endif /* MQTTGW_TEST_WARNS_H */
