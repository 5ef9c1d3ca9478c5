/* SPDX-License-Identifier: MIT */
/*
 * acl: Mosquitto `acl_file` -> an immutable rule set -> access decisions (L0).
 *
 * File syntax (Mosquitto 2.0): one directive per line, fields separated by spaces (not tabs):
 *   topic [read|write|readwrite|deny] <filter>   no access word: readwrite
 *   pattern [read|write|readwrite|deny] <filter> for every client, with %c (client id) and
 *                                                %u (username) substituted
 *   user <username>                              following `topic` lines apply to that user
 * `topic` lines before the first `user` line apply to anonymous clients (no username).
 * `pattern` lines apply to every client wherever they appear. A line whose FIRST character is
 * '#' is a comment (an indented '#' is an error, as in Mosquitto); blank lines are skipped.
 * Filters may hold spaces; '+' and '#' must fill a whole level ('#' last). Any other line is
 * an error and fails the load ("file:line: reason"), as it fails Mosquitto's start-up.
 *
 * Decisions, as Mosquitto 2.0's default ACL check (src/security.c + security_default.c):
 *  1. $-topics first: WRITE to "$SYS..." is refused except "$SYS/broker/connection/<x>/state"
 *     (which still needs a rule); READ/WRITE of "$share..." is refused. This applies with or
 *     without an acl_file (db == NULL).
 *  2. No acl_file (db == NULL): everything else is allowed.
 *  3. SUBSCRIBE: Mosquitto's acl_file never refuses a SUBSCRIBE (checked against 2.0.11: a
 *     user with only `topic read a/b` gets SUBACK 0 for "#", "x/y" or "$SYS/#"); what the
 *     subscription may deliver is decided per message with READ. acl_check(ACL_SUBSCRIBE) is
 *     therefore true. acl_filter_read() tells what a filter can deliver (refuse NONE filters
 *     with 0x87 if you want to be stricter than Mosquitto; skip per-message checks for ALL).
 *  4. The user's rules (the anonymous block for username NULL): any matching `deny` rule
 *     refuses; else any matching rule granting the access allows.
 *  5. Else the patterns, but not at all if the username or client id holds '+' or '#': any
 *     matching `deny` pattern refuses, else a matching pattern granting the access allows.
 *     Patterns containing %u are skipped for anonymous clients.
 *  6. Else refused. An acl_file without rules refuses everything (Mosquitto >= 1.5.3).
 * Matching is MQTT's: '+' one level, '#' any number of levels including none ("a/#" matches
 * "a"); a rule beginning with '$' matches only topics beginning with '$' and vice versa.
 * %c and %u are substituted only where they fill a whole level ("sensors/%u/#"); elsewhere
 * they are literal text (as in Mosquitto >= 2.0.16; 2.0.11 substituted them inside a level
 * too, e.g. "p%u/x" -> "palice/x": such patterns get a warning at load). A client id or
 * username containing '/' or that is empty never matches a %c / %u level.
 *
 * Broker integration (what Mosquitto does, the broker's side):
 *   - PUBLISH in: acl_check(WRITE) on the topic (after mount point / alias resolution);
 *     refused: drop it (v5: PUBACK/PUBREC 0x87; the connection stays). Wills: WRITE on the
 *     will topic at CONNECT.
 *   - each delivery, retained messages included: acl_check(READ) for the subscriber.
 *   - SUBSCRIBE: acl_check(SUBSCRIBE) on the filter as sent ($share/<group>/... included);
 *     acl_filter_read() on the filter without its $share/<group>/ prefix.
 *   - bridges bypass the ACL in Mosquitto; so should ours.
 *   - no acl_file configured: db = NULL (step 1 still applies).
 *
 * Ownership and threads: an acl_db is immutable once returned; concurrent checks are fine.
 * Reload = acl_load() a new db, swap, acl_free() the old (keep the old db if the load fails).
 * Arguments are borrowed for the call. Checks never allocate; cost is linear in the number of
 * rules that apply to the client (the user's block is found by binary search) times depth.
 */
#ifndef MQTTGW_ACL_H
#define MQTTGW_ACL_H

#include <stdbool.h>
#include <stddef.h>

enum acl_access {
	ACL_READ = 1,	   /* deliver a message on `topic` to this client */
	ACL_WRITE = 2,	   /* accept a PUBLISH (or will) on `topic` from this client */
	ACL_SUBSCRIBE = 4, /* accept a SUBSCRIBE to the filter `topic` */
};

/* What a subscription filter can deliver to a client under READ. */
enum acl_reach {
	ACL_REACH_NONE, /* no topic the filter matches is readable */
	ACL_REACH_SOME, /* unknown or mixed: check each message with acl_check(READ) */
	ACL_REACH_ALL,	/* every topic the filter matches is readable: no per-message check */
};

struct acl_db;

/* Receives one "file:line: reason" warning (borrowed). */
typedef void (*acl_warn_fn)(void *ctx, const char *msg);

/*
 * Parse acl_file text; `name` prefixes messages; `warn` may be NULL. Returns the db, or NULL
 * with errno EINVAL ("name:line: reason" in err) or ENOMEM.
 */
struct acl_db *acl_parse(const char *text, size_t len, const char *name, acl_warn_fn warn,
			 void *ctx, char *err, size_t errlen);

/*
 * Read and parse a file: as acl_parse, plus errno from open/read ("path: reason"). Not part of
 * the pure module: defined in daemon/auth/acl_load.c (L1, reads through file.h).
 */
struct acl_db *acl_load(const char *path, acl_warn_fn warn, void *ctx, char *err, size_t errlen);

/* NULL is fine. */
void acl_free(struct acl_db *db);

/* topic + pattern rules loaded (0: the file denies everything). */
size_t acl_rule_count(const struct acl_db *db);

/*
 * May this client do `access` on topic[0..len)? client_id NUL-terminated and required (NULL:
 * refused, as Mosquitto); username NUL-terminated, NULL for anonymous. db NULL = no acl_file.
 */
bool acl_check(const struct acl_db *db, const char *client_id, const char *username,
	       const char *topic, size_t len, enum acl_access access);

/*
 * What the (non-shared) filter[0..len) can deliver under READ for this client. Exact for single
 * rules, conservative otherwise: ALL and NONE are always right, SOME may hide either.
 * An invalid filter or client_id NULL gives NONE.
 */
enum acl_reach acl_filter_read(const struct acl_db *db, const char *client_id, const char *username,
			       const char *filter, size_t len);

#endif /* MQTTGW_ACL_H */
