/* SPDX-License-Identifier: MIT */
/* CHECK(cond): a fuzz target's invariant; a violation aborts, so libFuzzer keeps the input. */
#ifndef MQTTGW_FUZZ_CHECK_H
#define MQTTGW_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif /* MQTTGW_FUZZ_CHECK_H */
