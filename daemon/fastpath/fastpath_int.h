/* SPDX-License-Identifier: MIT */
/*
 * fastpath_int: private to the fastpath module (fastpath.c: loader and map keeper;
 * fastpath_pin.c: status pins and their reader). Nothing else includes it.
 */
#ifndef MQTTGW_FASTPATH_INT_H
#define MQTTGW_FASTPATH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "mqttgw/fp_abi.h"

/* The pins one daemon holds in its pin directory. */
struct fp_pins {
	char *dir;	  /* NULL: not pinned */
	bool dir_made;	  /* we created dir: removed with the pins */
	uint32_t meta_id; /* map ids: a pin is removed only if it is still ours */
	uint32_t stats_id;
};

/*
 * Pin meta_fd and stats_fd in dir, unless a live daemon's pins are there (see
 * fastpath_pin() in include/fastpath.h). meta is the mmap()ed fp_meta, identity filled in.
 * Logs the outcome once. Returns 0 when pinned (p filled), else -errno.
 */
int fp_pins_claim(struct fp_pins *p, const char *dir, int meta_fd, int stats_fd);
/* Remove the pins if they are still ours (idempotent). */
void fp_pins_release(struct fp_pins *p);
/* /proc/PID/stat start time (field 22), or 0 when it cannot be read. */
uint64_t fp_pid_start(uint32_t pid);

#endif /* MQTTGW_FASTPATH_INT_H */
