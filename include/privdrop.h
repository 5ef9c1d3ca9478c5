/* SPDX-License-Identifier: MIT */
/*
 * privdrop: the process's credentials (L1). Mosquitto's `user`: a daemon started as root
 * drops to an unprivileged user and its groups once everything that needs root is open,
 * keeping only the capabilities the running daemon needs.
 */
#ifndef MQTTGW_PRIVDROP_H
#define MQTTGW_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Supplementary groups looked up with the user; a user in more gets initgroups() at the drop. */
#define PRIVDROP_GROUPS_MAX 64

/* The user `user` names (NULL: Mosquitto's default, "mosquitto" when it exists). */
struct privdrop_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	int ngroups; /* groups[] as getgrouplist() gave them, -1: too many (initgroups) */
	gid_t groups[PRIVDROP_GROUPS_MAX];
};

/*
 * Which user a start as root drops to: 1 with *out filled, 0 when it stays (`user root`, no
 * `user` and no "mosquitto" user), -ENOENT when the named user does not exist (err says so).
 * The lookup (user and groups) runs in a short-lived child process: the NSS modules it loads
 * (libnss_systemd and what it links, about 350 KiB of RSS) stay out of the daemon.
 */
int privdrop_lookup(const char *user, struct privdrop_user *out, char *err, size_t errlen);

/*
 * Become u: its supplementary groups (those looked up, else initgroups), its gid and uid, keeping
 * exactly the capabilities in caps (bit n = capability n) permitted and effective, none inheritable
 * or ambient. 0 or -errno with err.
 */
int privdrop_apply(const struct privdrop_user *u, uint64_t caps, char *err, size_t errlen);

#endif /* MQTTGW_PRIVDROP_H */
