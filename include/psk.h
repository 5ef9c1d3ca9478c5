/* SPDX-License-Identifier: MIT */
/*
 * psk: Mosquitto `psk_file` -> an immutable identity -> key table (L0).
 *
 * File format, as Mosquitto 2.0 reads it (its password-file reader, then a hex check): one
 * `identity:key` per line, the key a hexadecimal string without "0x"; lines whose first
 * character is '#' and lines without ':' are skipped; blanks (space, tab, CR) around the
 * identity and the key are trimmed; the key ends at the next ':' if there is one. A key of
 * odd length has an implied leading 0 nibble ("abc" is 0a bc), as Mosquitto's BIGNUM
 * conversion reads it. The same identity twice: the later line wins.
 *
 * Unlike the password file, a bad line fails the whole file (Mosquitto 2.0 refuses to start on
 * a non-hexadecimal key): an empty identity or key, a key that is not hexadecimal, an identity
 * over PSK_IDENTITY_MAX bytes or a key over PSK_KEY_MAX bytes (what OpenSSL can use). The
 * first one is reported as "name:line: reason".
 *
 * Ownership and threads: a psk_db is immutable once returned; lookups may run in any thread.
 * Reload = parse a new db and swap it in (tls keeps one per TLS context). Keys are wiped on free.
 */
#ifndef MQTTGW_PSK_H
#define MQTTGW_PSK_H

#include <stddef.h>
#include <stdint.h>

#define PSK_IDENTITY_MAX 256 /* OpenSSL 3's PSK_MAX_IDENTITY_LEN */
#define PSK_KEY_MAX	 512 /* OpenSSL 3's PSK_MAX_PSK_LEN */
#define PSK_FILE_MAX	 (16u << 20)

struct psk_db;

/* Parse psk-file text; `name` prefixes messages. NULL with errno EINVAL ("name:line: reason"
 * in err) or ENOMEM. */
struct psk_db *psk_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);

/*
 * Read and parse a file: NULL with errno (ENOENT, EACCES, EFBIG, EINVAL, ENOMEM ...) and
 * "path: reason" or "path:line: reason" in err. Defined in daemon/auth/psk_load.c (L1).
 */
struct psk_db *psk_load(const char *path, char *err, size_t errlen);

/* NULL is fine. */
void psk_free(struct psk_db *db);

/* Identities in the table. */
size_t psk_count(const struct psk_db *db);

/*
 * The key of `identity` (NUL-terminated) copied to key[0..max): its length (1..PSK_KEY_MAX),
 * -ENOENT (unknown identity, or db NULL), -ENOSPC (max too small).
 */
int psk_lookup(const struct psk_db *db, const char *identity, uint8_t *key, size_t max);

#endif /* MQTTGW_PSK_H */
