/* SPDX-License-Identifier: MIT */
/*
 * fastpath_int: private to the fastpath module (fastpath.c: loader and map keeper;
 * fastpath_pin.c: status pins and their reader). Nothing else includes it.
 */
#ifndef MQTTGW_FASTPATH_INT_H
#define MQTTGW_FASTPATH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
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

struct fastpath;
/* Why the fast path cannot run here (CAP_BPF, program and map types, bpf_loop), or NULL when
 * the probes pass; buf holds the text when it is not a constant. */
const char *fp_probe(char *buf, size_t len);
/* Open, load (the verifier: most of a start's time), mmap and attach a new fast path that
 * nothing else references yet, so fastpath_load.c runs it on its own thread. Logs nothing
 * itself (libbpf may). -errno with the reason in buf. */
int fp_load(struct fastpath **out, char *buf, size_t len);
/* What a start makes of the outcome, why (NULL: loaded): logs it; -ENOTSUP with err for `on`. */
int fp_settle(enum config_fastpath mode, const char *why, char *err, size_t errlen);

#endif /* MQTTGW_FASTPATH_INT_H */
