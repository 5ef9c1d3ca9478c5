// SPDX-License-Identifier: MIT
/*
 * scram: SCRAM-SHA-256 server side and RFC 5803 secrets (see include/scram.h).
 *
 * The messages are small comma-separated "x=value" lists; each parser walks them once with a
 * cursor, accepts exactly the RFC 5802 section 7 grammar it needs and copies what later steps
 * must see into the state: the AuthMessage is built as the exchange goes, so verifying the
 * proof and signing the answer are one HMAC each.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "scram.h"

struct cur {
	const char *p, *end;
};

/* The value of "<attr>=" at the cursor, up to the next ',' (cursor left on the ',' or end). */
static bool attr(struct cur *c, char name, const char **v, size_t *vlen)
{
	const char *e;

	if (c->end - c->p < 2 || c->p[0] != name || c->p[1] != '=')
		return false;
	c->p += 2;
	e = memchr(c->p, ',', (size_t)(c->end - c->p));
	if (!e)
		e = c->end;
	*v = c->p;
	*vlen = (size_t)(e - c->p);
	c->p = e;
	return true;
}

static bool comma(struct cur *c)
{
	if (c->p == c->end || *c->p != ',')
		return false;
	c->p++;
	return true;
}

/* Printable ASCII except ',' (RFC 5802's "printable", the nonce alphabet). */
static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ',')
			return false;
	return len > 0;
}

/* saslname -> out (only "=2C" and "=3D" escapes); length or -EBADMSG. */
static int saslname_decode(const char *s, size_t len, char *out, size_t outsz)
{
	size_t w = 0;

	if (!len)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '=') {
			if (len - i < 3 || !((s[i + 1] == '2' && s[i + 2] == 'C') ||
					     (s[i + 1] == '3' && s[i + 2] == 'D')))
				return -EBADMSG;
			ch = s[i + 2] == 'C' ? ',' : '=';
			i += 2;
		} else if (ch == '\0') {
			return -EBADMSG;
		}
		if (w == outsz)
			return -EBADMSG;
		out[w++] = ch;
	}
	return (int)w;
}

/* Optional extensions "," ALPHA "=" 1*value-char, up to the end or to stop ("p=" in finals). */
static bool extensions(struct cur *c, char stop)
{
	while (c->p < c->end) {
		const char *v;
		size_t vlen;
		char a;

		if (c->end - c->p < 4 || c->p[0] != ',' || c->p[2] != '=')
			return false;
		a = c->p[1];
		if (a == stop)
			return true;
		if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z')))
			return false;
		c->p++;
		if (!attr(c, a, &v, &vlen) || !vlen)
			return false;
	}
	return true;
}

static bool auth_append(struct scram_server *st, const char *s, size_t len, bool sep)
{
	if (len + sep > sizeof(st->auth) - st->auth_len)
		return false;
	if (sep)
		st->auth[st->auth_len++] = ',';
	memcpy(st->auth + st->auth_len, s, len);
	st->auth_len += len;
	return true;
}

void scram_server_wipe(struct scram_server *st)
{
	crypto_wipe(st, sizeof(*st));
}

int scram_client_first(struct scram_server *st, const void *msg, size_t len)
{
	struct cur c = {msg, (const char *)msg + len};
	const char *v, *bare;
	size_t vlen;
	char authz[SCRAM_USER_MAX];
	int n, authz_len = -1;

	if (st->step)
		return -EPROTO;
	if (!len || len > SCRAM_MSG_MAX || memchr(msg, '\0', len))
		return -EBADMSG;
	/* gs2-cbind-flag: we offer no channel binding; "y" says the client could have used it */
	if (attr(&c, 'p', &v, &vlen))
		return -ENOTSUP;
	if (c.end - c.p < 2 || (c.p[0] != 'n' && c.p[0] != 'y') || c.p[1] != ',')
		return -EBADMSG;
	c.p += 2;
	if (attr(&c, 'a', &v, &vlen)) {
		authz_len = saslname_decode(v, vlen, authz, sizeof(authz));
		if (authz_len < 0)
			return authz_len;
	}
	if (!comma(&c))
		return -EBADMSG;
	st->gs2_len = (size_t)(c.p - (const char *)msg);
	memcpy(st->gs2, msg, st->gs2_len);
	bare = c.p;
	if (attr(&c, 'm', &v, &vlen))
		return -ENOTSUP;
	if (!attr(&c, 'n', &v, &vlen))
		return -EBADMSG;
	n = saslname_decode(v, vlen, st->user, SCRAM_USER_MAX);
	if (n < 0)
		return n;
	st->user[n] = '\0';
	st->user_len = (size_t)n;
	if (!comma(&c) || !attr(&c, 'r', &v, &vlen) || !printable(v, vlen))
		return -EBADMSG;
	st->cnonce_off = (size_t)(v - bare);
	st->cnonce_len = vlen;
	if (!extensions(&c, 0))
		return -EBADMSG;
	if (authz_len >= 0 &&
	    ((size_t)authz_len != st->user_len || memcmp(authz, st->user, st->user_len)))
		return -EPERM;
	st->auth_len = 0;
	auth_append(st, bare, (size_t)(c.end - bare), false);
	st->step = 1;
	return 0;
}

int scram_server_first(struct scram_server *st, const struct scram_secret *sec, const char *snonce,
		       size_t snlen, uint8_t *out, size_t outsz)
{
	char salt[SCRAM_SALT_MAX * 4 / 3 + 4], msg[SCRAM_MSG_MAX + 1];
	int n;

	if (st->step != 1)
		return -EPROTO;
	if (!printable(snonce, snlen) || snlen > 64 || !sec->salt_len ||
	    sec->salt_len > SCRAM_SALT_MAX || !sec->iterations)
		return -EINVAL;
	crypto_b64_encode(sec->salt, sec->salt_len, salt, sizeof(salt));
	n = snprintf(msg, sizeof(msg), "r=%.*s%.*s,s=%s,i=%u", (int)st->cnonce_len,
		     st->auth + st->cnonce_off, (int)snlen, snonce, salt, sec->iterations);
	if (n < 0 || (size_t)n >= sizeof(msg) || (size_t)n > outsz)
		return -ENOSPC;
	st->nonce_off = st->auth_len + 3;
	st->nonce_len = st->cnonce_len + snlen;
	if (!auth_append(st, msg, (size_t)n, true))
		return -ENOSPC;
	memcpy(out, msg, (size_t)n);
	st->sec = *sec;
	st->step = 2;
	return n;
}

int scram_client_final(struct scram_server *st, const void *msg, size_t len)
{
	struct cur c = {msg, (const char *)msg + len};
	char cb[SCRAM_MSG_MAX * 4 / 3 + 8];
	uint8_t proof[SCRAM_KEY_LEN + 4], sig[SCRAM_KEY_LEN], key[SCRAM_KEY_LEN];
	const char *v, *without_end;
	size_t vlen;
	bool cb_ok, ok;
	int n;

	if (st->step != 2)
		return -EPROTO;
	if (!len || len > SCRAM_MSG_MAX || memchr(msg, '\0', len))
		return -EBADMSG;
	if (!attr(&c, 'c', &v, &vlen))
		return -EBADMSG;
	/* c= is base64 of the gs2 header exactly as sent (no channel binding data) */
	crypto_b64_encode(st->gs2, st->gs2_len, cb, sizeof(cb));
	cb_ok = vlen == strlen(cb) && !memcmp(v, cb, vlen);
	if (!comma(&c) || !attr(&c, 'r', &v, &vlen) || !printable(v, vlen))
		return -EBADMSG;
	ok = vlen == st->nonce_len && !memcmp(v, st->auth + st->nonce_off, vlen);
	if (!extensions(&c, 'p') || c.p == c.end)
		return -EBADMSG;
	without_end = c.p;
	c.p++;
	if (!attr(&c, 'p', &v, &vlen) || c.p != c.end)
		return -EBADMSG;
	n = crypto_b64_decode(v, vlen, proof, sizeof(proof));
	if (n != SCRAM_KEY_LEN)
		return -EBADMSG;
	if (!cb_ok || !ok)
		return -EPROTO;
	if (!auth_append(st, msg, (size_t)(without_end - (const char *)msg), true))
		return -EBADMSG;
	/* ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) == StoredKey */
	if (crypto_hmac_sha256(st->sec.stored_key, SCRAM_KEY_LEN, st->auth, st->auth_len, sig))
		return -EIO;
	for (int i = 0; i < SCRAM_KEY_LEN; i++)
		proof[i] ^= sig[i];
	if (crypto_sha256(proof, SCRAM_KEY_LEN, key))
		return -EIO;
	ok = crypto_memeq(key, st->sec.stored_key, SCRAM_KEY_LEN) && !st->sec.fake;
	crypto_wipe(proof, sizeof(proof));
	crypto_wipe(key, sizeof(key));
	if (!ok)
		return -EACCES;
	st->step = 3;
	return 0;
}

int scram_server_final(struct scram_server *st, uint8_t *out, size_t outsz)
{
	uint8_t sig[SCRAM_KEY_LEN];
	char b64[SCRAM_KEY_LEN * 4 / 3 + 4];
	int n;

	if (st->step != 3)
		return -EPROTO;
	if (crypto_hmac_sha256(st->sec.server_key, SCRAM_KEY_LEN, st->auth, st->auth_len, sig))
		return -EIO;
	n = crypto_b64_encode(sig, sizeof(sig), b64, sizeof(b64));
	if ((size_t)n + 2 > outsz)
		return -ENOSPC;
	memcpy(out, "v=", 2);
	memcpy(out + 2, b64, (size_t)n);
	return n + 2;
}

/* ---- stored secrets ---- */

static int parse_iter(const char *p, const char *end, uint32_t *out)
{
	uint64_t v = 0;

	if (p == end || *p == '0')
		return -EINVAL;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > SCRAM_ITER_MAX)
			return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* base64 field [p, end) of exactly want bytes (want 0: 1..max). Decoded length or -EINVAL. */
static int b64_field(const char *p, const char *end, uint8_t *out, size_t max, size_t want)
{
	uint8_t buf[SCRAM_SALT_MAX + 4];
	int n = crypto_b64_decode(p, (size_t)(end - p), buf, sizeof(buf));

	if (n <= 0 || (size_t)n > max || (want && (size_t)n != want))
		return -EINVAL;
	memcpy(out, buf, (size_t)n);
	return n;
}

int scram_secret_parse(const char *s, size_t len, struct scram_secret *out)
{
	static const char pfx[] = SCRAM_METHOD "$";
	const char *end = s + len, *p = s + sizeof(pfx) - 1, *c1, *d, *c2;
	int n;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(pfx) - 1 || memcmp(s, pfx, sizeof(pfx) - 1))
		return -EINVAL;
	c1 = memchr(p, ':', (size_t)(end - p));
	d = c1 ? memchr(c1, '$', (size_t)(end - c1)) : NULL;
	c2 = d ? memchr(d, ':', (size_t)(end - d)) : NULL;
	if (!c2 || parse_iter(p, c1, &out->iterations))
		return -EINVAL;
	n = b64_field(c1 + 1, d, out->salt, SCRAM_SALT_MAX, 0);
	if (n < 0 || b64_field(d + 1, c2, out->stored_key, SCRAM_KEY_LEN, SCRAM_KEY_LEN) < 0 ||
	    b64_field(c2 + 1, end, out->server_key, SCRAM_KEY_LEN, SCRAM_KEY_LEN) < 0) {
		crypto_wipe(out, sizeof(*out));
		return -EINVAL;
	}
	out->salt_len = (uint8_t)n;
	return 0;
}

/* ClientKey and ServerKey of a salted password. */
static int keys(const uint8_t salted[SCRAM_KEY_LEN], uint8_t ck[SCRAM_KEY_LEN],
		uint8_t sk[SCRAM_KEY_LEN])
{
	if (crypto_hmac_sha256(salted, SCRAM_KEY_LEN, "Client Key", 10, ck) ||
	    crypto_hmac_sha256(salted, SCRAM_KEY_LEN, "Server Key", 10, sk))
		return -EIO;
	return 0;
}

int scram_secret_make(const void *password, size_t len, const uint8_t *salt, size_t saltlen,
		      uint32_t iterations, struct scram_secret *out)
{
	uint8_t salted[SCRAM_KEY_LEN], ck[SCRAM_KEY_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!saltlen || saltlen > SCRAM_SALT_MAX || !iterations || iterations > SCRAM_ITER_MAX)
		return -EINVAL;
	rc = crypto_pbkdf2_sha256(password, len, salt, saltlen, iterations, salted, sizeof(salted));
	if (!rc)
		rc = keys(salted, ck, out->server_key);
	if (!rc)
		rc = crypto_sha256(ck, sizeof(ck), out->stored_key);
	crypto_wipe(salted, sizeof(salted));
	crypto_wipe(ck, sizeof(ck));
	if (rc)
		return rc;
	out->iterations = iterations;
	out->salt_len = (uint8_t)saltlen;
	memcpy(out->salt, salt, saltlen);
	return 0;
}

int scram_secret_format(const struct scram_secret *sec, char *out, size_t outsz)
{
	char salt[SCRAM_SALT_MAX * 4 / 3 + 4], sk[48], vk[48];
	int n;

	if (!sec->salt_len || sec->salt_len > SCRAM_SALT_MAX || !sec->iterations)
		return -EINVAL;
	crypto_b64_encode(sec->salt, sec->salt_len, salt, sizeof(salt));
	crypto_b64_encode(sec->stored_key, SCRAM_KEY_LEN, sk, sizeof(sk));
	crypto_b64_encode(sec->server_key, SCRAM_KEY_LEN, vk, sizeof(vk));
	n = snprintf(out, outsz, SCRAM_METHOD "$%u:%s$%s:%s", sec->iterations, salt, sk, vk);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz)
			out[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

int scram_secret_verify(const struct scram_secret *sec, const void *password, size_t len)
{
	struct scram_secret t;
	int rc;

	rc = scram_secret_make(password, len, sec->salt, sec->salt_len, sec->iterations, &t);
	if (rc)
		return rc == -EINVAL ? -EACCES : rc;
	rc = crypto_memeq(t.stored_key, sec->stored_key, SCRAM_KEY_LEN) && !sec->fake ? 0 : -EACCES;
	crypto_wipe(&t, sizeof(t));
	return rc;
}

int scram_secret_fake(const uint8_t key[SCRAM_KEY_LEN], const char *user, size_t len,
		      uint32_t iterations, struct scram_secret *out)
{
	uint8_t t[SCRAM_KEY_LEN];

	memset(out, 0, sizeof(*out));
	if (crypto_hmac_sha256(key, SCRAM_KEY_LEN, user, len, t) ||
	    crypto_hmac_sha256(t, sizeof(t), "stored", 6, out->stored_key) ||
	    crypto_hmac_sha256(t, sizeof(t), "server", 6, out->server_key)) {
		crypto_wipe(t, sizeof(t));
		return -EIO;
	}
	/* 16 bytes, as mqttgw-passwd writes */
	memcpy(out->salt, t, 16);
	out->salt_len = 16;
	out->iterations = iterations ? iterations : 4096;
	out->fake = true;
	crypto_wipe(t, sizeof(t));
	return 0;
}
