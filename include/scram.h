/* SPDX-License-Identifier: MIT */
/*
 * scram: the server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) and the stored-secret form of
 * RFC 5803, as pure functions over caller buffers (L0: no I/O, no randomness, no logging).
 *
 * One exchange, in order, on one struct scram_server (zeroed or from scram_server_init):
 *   scram_client_first()   parse "gs2-header client-first-message-bare"; the user name
 *                          (saslname decoded) is then in st->user for the caller's lookup
 *   scram_server_first()   the caller's secret (or a fake one, see scram_secret_fake) and
 *                          server nonce (random printable characters, passed in) ->
 *                          "r=<client nonce><server nonce>,s=<salt>,i=<iterations>"
 *   scram_client_final()   parse "c=..,r=..[,ext],p=.." and verify binding, nonce, proof
 *   scram_server_final()   "v=<ServerSignature>"
 * A call out of order returns -EPROTO.
 *
 * Stored secret (one line of scram_password_file after "user:"):
 *   SCRAM-SHA-256$<iterations>:<b64 salt>$<b64 StoredKey>:<b64 ServerKey>
 * StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword,
 * "Server Key"), SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, iterations, 32).
 *
 * What is refused, with which result:
 *   -EBADMSG   syntax: not "n,"/"y," gs2 flags, missing or misordered n=/r=/c=/p=, bad
 *              saslname escapes (only =2C and =3D), empty user or nonce, non-printable nonce,
 *              bad base64, NUL bytes, a message over SCRAM_MSG_MAX
 *   -ENOTSUP   channel binding requested ("p=<type>": we offer none), or a mandatory
 *              extension "m=" (RFC 5802 section 5.1: MUST fail)
 *   -EPERM     an authorization identity ("a=") other than the user name
 *   -EPROTO    c= does not repeat the gs2 header, r= is not the combined nonce, or call order
 *   -EACCES    the proof does not verify (wrong password, or a fake secret)
 *   -EIO       the hash functions failed
 */
#ifndef MQTTGW_SCRAM_H
#define MQTTGW_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRAM_METHOD   "SCRAM-SHA-256"
#define SCRAM_KEY_LEN  32
#define SCRAM_SALT_MAX 64
#define SCRAM_MSG_MAX  1024 /* longest client or server message we handle */
#define SCRAM_USER_MAX 512  /* decoded user name bytes */
/* Iterations accepted in a stored secret: RFC 7677 asks for at least 4096 from new
 * secrets; older ones with fewer still load (the tool writes 4096 by default). */
#define SCRAM_ITER_MAX 10000000u
/* Longest "SCRAM-SHA-256$..." secret text scram_secret_format writes, with NUL. */
#define SCRAM_SECRET_TEXT_MAX 256

struct scram_secret {
	uint32_t iterations;
	uint8_t salt_len;
	bool fake; /* an unknown user's stand-in: never verifies */
	uint8_t salt[SCRAM_SALT_MAX];
	uint8_t stored_key[SCRAM_KEY_LEN];
	uint8_t server_key[SCRAM_KEY_LEN];
};

struct scram_server {
	uint8_t step; /* 0 new, 1 client-first parsed, 2 server-first built, 3 proof verified */
	char gs2[SCRAM_MSG_MAX]; /* the gs2 header as sent ("n,,"), for c= */
	size_t gs2_len;
	char user[SCRAM_USER_MAX + 1]; /* NUL-terminated, may not contain NUL */
	size_t user_len;
	/* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
	char auth[3 * SCRAM_MSG_MAX + 2];
	size_t auth_len;
	size_t cnonce_off, cnonce_len; /* the client nonce, inside auth[] */
	size_t nonce_off, nonce_len;   /* the combined nonce, inside auth[] (after step 2) */
	struct scram_secret sec;
};

/* Wipe a state (it holds key material once scram_server_first ran). */
void scram_server_wipe(struct scram_server *st);

int scram_client_first(struct scram_server *st, const void *msg, size_t len);

/*
 * sec is copied into st. snonce[0..snlen): printable ASCII other than ',' (1..64 chars).
 * Writes the message (not NUL-terminated) to out; returns its length, -ENOSPC, -EINVAL.
 */
int scram_server_first(struct scram_server *st, const struct scram_secret *sec, const char *snonce,
		       size_t snlen, uint8_t *out, size_t outsz);

int scram_client_final(struct scram_server *st, const void *msg, size_t len);

/* After a verified proof only. Returns the length, -ENOSPC, -EPROTO, -EIO. */
int scram_server_final(struct scram_server *st, uint8_t *out, size_t outsz);

/* Parse the secret text (the part after "user:"). 0 or -EINVAL. */
int scram_secret_parse(const char *s, size_t len, struct scram_secret *out);

/* Derive the secret of password/salt/iterations (salt 1..SCRAM_SALT_MAX bytes). 0, -EINVAL, -EIO.
 */
int scram_secret_make(const void *password, size_t len, const uint8_t *salt, size_t saltlen,
		      uint32_t iterations, struct scram_secret *out);

/* Secret -> "SCRAM-SHA-256$..." NUL-terminated. Length, or -ENOSPC / -EINVAL. */
int scram_secret_format(const struct scram_secret *sec, char *out, size_t outsz);

/*
 * Verify a plain password against a secret (for password_file-style checks): 0, -EACCES,
 * -EIO. Costs `iterations` HMAC-SHA256 pairs.
 */
int scram_secret_verify(const struct scram_secret *sec, const void *password, size_t len);

/*
 * An unknown user's stand-in: salt derived from key (a per-boot random secret) and the user
 * name, so the same name always gets the same salt and nothing tells it from a real user
 * before the proof fails. 0 or -EIO.
 */
int scram_secret_fake(const uint8_t key[SCRAM_KEY_LEN], const char *user, size_t len,
		      uint32_t iterations, struct scram_secret *out);

#endif /* MQTTGW_SCRAM_H */
