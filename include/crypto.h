/* SPDX-License-Identifier: MIT */
/*
 * crypto: the few primitives password files need, as thin wrappers over OpenSSL's EVP
 * (plus CRYPTO_memcmp, OPENSSL_cleanse and RAND_bytes). With tls, the only module that
 * includes OpenSSL headers; nothing OpenSSL-typed leaves this header.
 *
 * Every function but crypto_random() is a pure function of its arguments (no state, no
 * allocation that outlives the call), so L0 modules (passwd) may call them; randomness is
 * only drawn by callers that need it (mqttgw-passwd's salts) and passed in from there.
 * All functions are safe to call from several threads at once (OpenSSL 3).
 *
 * Buffers are (pointer, length); nothing is NUL-terminated unless said so.
 */
#ifndef MQTTGW_CRYPTO_H
#define MQTTGW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA512_LEN 64
#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SHA1_LEN 20

/*
 * PBKDF2-HMAC-SHA512 (RFC 8018 section 5.2) of pass/salt with `iterations` rounds into
 * out[0..outlen). Mosquitto's "$7$" uses outlen 64. Returns 0, -EINVAL (iterations 0, a length
 * over INT_MAX, outlen 0) or -EIO (OpenSSL failed).
 */
int crypto_pbkdf2_sha512(const void *pass, size_t plen, const void *salt, size_t slen,
			 uint32_t iterations, uint8_t *out, size_t outlen);

/* The same with HMAC-SHA256 (SCRAM-SHA-256's Hi(), RFC 7677). Same results. */
int crypto_pbkdf2_sha256(const void *pass, size_t plen, const void *salt, size_t slen,
			 uint32_t iterations, uint8_t *out, size_t outlen);

/* out = SHA-256(msg). 0 or -EIO. */
int crypto_sha256(const void *msg, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

/* out = SHA-1(msg): only for protocols that name it (the WebSocket handshake, RFC 6455),
 * never for secrets. 0 or -EIO. */
int crypto_sha1(const void *msg, size_t len, uint8_t out[CRYPTO_SHA1_LEN]);

/* out = HMAC-SHA256(key, msg) (RFC 2104). 0, -EINVAL (klen over INT_MAX) or -EIO. */
int crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t len,
		       uint8_t out[CRYPTO_SHA256_LEN]);

/* out = SHA-512(pass || salt): Mosquitto's "$6$" construction. 0 or -EIO. */
int crypto_sha512_salted(const void *pass, size_t plen, const void *salt, size_t slen,
			 uint8_t out[CRYPTO_SHA512_LEN]);

/* Length of the padded standard base64 (RFC 4648 section 4) text for n bytes, without NUL. */
size_t crypto_b64_len(size_t n);

/*
 * Padded standard base64 of in[0..len) into out, NUL-terminated. Returns the text length, or
 * -ENOSPC if outsz < crypto_b64_len(len) + 1 (out untouched).
 */
int crypto_b64_encode(const void *in, size_t len, char *out, size_t outsz);

/*
 * Decode standard base64 (alphabet A-Z a-z 0-9 + /). The '=' padding may be present (then it
 * must be right) or left out; whitespace and other characters are errors. Returns the number
 * of bytes written to out, -EINVAL on malformed text, -ENOSPC if outsz is too small.
 */
int crypto_b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz);

/* Constant-time equality of a[0..len) and b[0..len) (time depends on len only). */
bool crypto_memeq(const void *a, const void *b, size_t len);

/* Overwrite p[0..len) with zeros in a way the compiler cannot drop (password buffers). */
void crypto_wipe(void *p, size_t len);

/* len bytes from OpenSSL's CSPRNG. 0 or -EIO. Not for L0 callers: pass the bytes in. */
int crypto_random(void *buf, size_t len);

#endif /* MQTTGW_CRYPTO_H */
