/* SPDX-License-Identifier: MIT */
/*
 * passwd: Mosquitto `password_file` -> an immutable user database -> CONNECT decisions (L0).
 *
 * File format, as Mosquitto 2.0 reads it: one `username:hash` per line; lines whose first
 * character is '#' and blank lines are skipped; blanks around the username and the hash are
 * trimmed. Accepted hashes:
 *   $6$<b64 salt>$<b64 hash>               hash = SHA-512(password || salt)   (mosquitto_passwd
 *                                          -H sha512, Mosquitto <= 1.6)
 *   $7$<iterations>$<b64 salt>$<b64 hash>  hash = PBKDF2-HMAC-SHA512(password, salt, iterations,
 *                                          64 bytes)                          (Mosquitto >= 2.0)
 *   $argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>   libargon2's encoding (argon2id_verify)
 *   SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>  RFC 5803 (include/scram.h; mqttgw-passwd
 *                                          -H scram-sha-256): usable for SCRAM exchanges
 *                                          (passwd_scram_lookup) and plain passwords alike
 * Salts of 12 (what mosquitto_passwd writes) to 64 bytes; $6$/$7$ hashes are 64 bytes; base64
 * is the standard alphabet, padded (as Mosquitto writes it) or not.
 *
 * A line that cannot be used (unknown or plain-text hash, bad base64, wrong sizes, no ':',
 * empty username, ...) is REJECTED: it is reported through the `warn` callback as
 * "file:line: reason" and counted in passwd_rejected(); the rest of the file still loads.
 * Whether a rejected line fails start-up or a reload is the caller's policy (Mosquitto 2.0
 * logs an error and drops the entry). The same username on two lines: the later line wins,
 * as in Mosquitto 2.0.11 (reported through `warn`, not counted as rejected).
 *
 * Ownership and threads: a passwd_db is immutable once returned; any number of threads may
 * call passwd_check() on it at once. Reload (SIGHUP) = passwd_load() a new db, swap the
 * pointer, passwd_free() the old one: a check running elsewhere holds its own reference
 * (passwd_ref), so the old db lives until it ends; if the load fails, keep the old db.
 * Strings passed in are borrowed for the duration of the call only.
 *
 * Cost: passwd_check() runs the entry's hash function: a $7$ entry costs `iterations`
 * HMAC-SHA512 pairs (about 0.5 us each on this project's 2-core x86 reference machine: the
 * mqttgw-passwd default costs a few ms, see daemon/tool_passwd.c); $argon2id$ entries cost
 * what their m/t/p say (m KiB of memory, e.g. 64 MiB). Run it where a few ms of blocking is
 * acceptable, or off the event loop.
 */
#ifndef MQTTGW_PASSWD_H
#define MQTTGW_PASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scram.h"

/* What mqttgw-passwd writes: 12-byte salts, as mosquitto_passwd. */
#define PASSWD_SALT_LEN 12
#define PASSWD_SALT_MIN 12
#define PASSWD_SALT_MAX 64
#define PASSWD_HASH_LEN 64
/* Longest "$7$..." line field passwd_hash_pbkdf2() can produce (with NUL). */
#define PASSWD_ENCODED_MAX 192

struct passwd_db;

/* Receives one "file:line: reason" message (borrowed: copy it to keep it). */
typedef void (*passwd_warn_fn)(void *ctx, const char *msg);

/*
 * Parse password-file text. `name` prefixes messages. `warn` may be NULL. Returns the db, or
 * NULL with errno ENOMEM (err filled). Unusable lines never fail the parse: see above.
 */
struct passwd_db *passwd_parse(const char *text, size_t len, const char *name, passwd_warn_fn warn,
			       void *ctx, char *err, size_t errlen);

/*
 * Read and parse a file. NULL with errno (ENOENT, EACCES, EISDIR, EFBIG over 64 MiB, ENOMEM,
 * ...) and "path: reason" in err. The file is read once, whole; the db keeps no reference to it.
 * Not part of the pure module: defined in daemon/auth/passwd_load.c (L1, reads through file.h).
 */
struct passwd_db *passwd_load(const char *path, passwd_warn_fn warn, void *ctx, char *err,
			      size_t errlen);

/* One more reference (a job checking a password off the loop while a reload may swap the
 * db); returns db. NULL is fine. */
struct passwd_db *passwd_ref(struct passwd_db *db);
/* Drop a reference; the last one frees the db and wipes the stored hashes. NULL is fine.
 * References may be taken and dropped on any thread. */
void passwd_free(struct passwd_db *db);

/* Usable entries (distinct usernames), and lines rejected at load. */
size_t passwd_count(const struct passwd_db *db);
size_t passwd_rejected(const struct passwd_db *db);

/*
 * Authenticate username (NUL-terminated, as CONNECT's user name) with password[0..len)
 * (binary, all `len` bytes are hashed; Mosquitto 2.0 stops at the first NUL byte).
 *   0        the password matches
 *   -EACCES  wrong password, or password == NULL (CONNECT without a password)
 *   -ENOENT  no such user: Mosquitto 2.0 refuses these too (CONNACK "not authorized"); the
 *            distinct code is for logging. The time taken is that of a wrong password (a
 *            dummy hash with the file's last $7$ iteration count is computed), so response
 *            time does not tell which usernames exist.
 *   -EINVAL  db or username NULL; -ENOMEM / -EIO: hashing failed (refuse, "server unavailable")
 * Comparison of hashes is constant-time.
 */
int passwd_check(const struct passwd_db *db, const char *username, const void *password,
		 size_t len);

/*
 * One hash string (the part after "username:") against a password, with the same rules and
 * results as passwd_check() (-EINVAL: not a usable hash). For tools and tests.
 */
int passwd_hash_verify(const char *hash, size_t hlen, const void *password, size_t len);

/* True if the string is a hash this module accepts (mqttgw-passwd -U keeps such lines). */
bool passwd_hash_valid(const char *hash, size_t hlen);

/*
 * Encode "$7$<iterations>$<b64 salt>$<b64 hash>" (NUL-terminated) for password/salt into out
 * (PASSWD_ENCODED_MAX is enough for salts up to PASSWD_SALT_MAX). The salt is the caller's
 * (random bytes: crypto_random). Returns the length, -EINVAL (salt size, iterations 0),
 * -ENOSPC, -EIO.
 */
int passwd_hash_pbkdf2(const void *password, size_t len, const uint8_t *salt, size_t saltlen,
		       uint32_t iterations, char *out, size_t outsz);

/* The same for "$6$<b64 salt>$<b64 hash>" (legacy: mosquitto_passwd -H sha512). */
int passwd_hash_sha512(const void *password, size_t len, const uint8_t *salt, size_t saltlen,
		       char *out, size_t outsz);

/*
 * The SCRAM-SHA-256 secret of username (NUL-terminated): 0 and *out filled, or -ENOENT (no
 * such user, or its entry is another hash type) with out->iterations set to what a stand-in
 * should show (scram_secret_fake): the last SCRAM entry's count, else 4096. -EINVAL: NULLs.
 */
int passwd_scram_lookup(const struct passwd_db *db, const char *username,
			struct scram_secret *out);

/*
 * A fingerprint of username's entry: 0 when there is no such user, else a non-zero 32-bit value
 * that changes when the entry's hash, salt, iterations or type change (FNV-1a over them, folded;
 * not a secret, not for authentication). A reload compares the fingerprint a client authenticated
 * against with the new file's, to drop clients whose user was deleted or whose password was
 * changed, as Mosquitto does, without keeping any password.
 */
uint32_t passwd_entry_id(const struct passwd_db *db, const char *username);

#endif /* MQTTGW_PASSWD_H */
