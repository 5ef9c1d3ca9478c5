/* SPDX-License-Identifier: MIT */
/*
 * bpf_util: what the two BPF modules (fastpath, xdp) share (L1): the libbpf print hook (libbpf
 * one log level lower than it asks, its debug output dropped), the capability check before a
 * load, and the bpffs check before pinning. Only BPF modules include it.
 */
#ifndef MQTTGW_BPF_UTIL_H
#define MQTTGW_BPF_UTIL_H

#include <stdarg.h>
#include <stdbool.h>

#include <bpf/libbpf.h>

/* For libbpf_set_print(): warnings become info lines, info becomes debug, debug is dropped. */
int bpf_util_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);
/*
 * on: while a BPF load runs on a thread of its own (fastpath_load.c), bpf_util_libbpf_print
 * keeps what libbpf says, from any thread (the XDP guard may load meanwhile), since the log
 * module is the loop's alone; off (from the loop): log what was kept, print directly again.
 */
void bpf_util_print_hold(bool on);
/* CAP_NET_ADMIN and CAP_BPF (or CAP_SYS_ADMIN) in the effective set; euid 0 if capget fails. */
bool bpf_util_have_caps(void);
/* 1: path is on a bpffs; 0: it is not; -errno: statfs failed. */
int bpf_util_on_bpffs(const char *path);
/*
 * A skeleton's embedded object, stored deflated (scripts/bpf_skel_z.py rewrites the generated
 * NAME__elf_bytes() to call this): z inflated into a heap buffer of len bytes, *sz = len; NULL
 * and *sz = 0 if that fails (bpf_object__open_skeleton then fails with EINVAL).
 */
const void *bpf_util_elf_inflate(const char *z, size_t zlen, size_t len, size_t *sz);
/* Frees that buffer once bpf_object__open_skeleton() has returned (libbpf keeps no pointer). */
void bpf_util_elf_release(struct bpf_object_skeleton *s);

#endif /* MQTTGW_BPF_UTIL_H */
