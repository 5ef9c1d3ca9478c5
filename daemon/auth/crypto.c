// SPDX-License-Identifier: MIT
/*
 * crypto: EVP wrappers for password hashing (see include/crypto.h).
 *
 * Base64 goes through EVP_EncodeBlock/EVP_DecodeBlock, but those are lax about what they
 * accept (whitespace, padding anywhere), so the text is validated here first and then
 * decoded one 4-character quantum at a time: no size limits and no temporary allocation.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "crypto.h"

/* PBKDF2 with HMAC over md; the checks both public variants share. */
static int pbkdf2(const EVP_MD *md, const void *pass, size_t plen, const void *salt, size_t slen,
		  uint32_t iterations, uint8_t *out, size_t outlen)
{
	/* PKCS5_PBKDF2_HMAC takes NULL for an empty password only with length 0 */
	static const char empty[1];

	if (!iterations || iterations > INT_MAX || plen > INT_MAX || slen > INT_MAX || !outlen ||
	    outlen > INT_MAX)
		return -EINVAL;
	if (!PKCS5_PBKDF2_HMAC(plen ? pass : empty, (int)plen, slen ? salt : (const void *)empty,
			       (int)slen, (int)iterations, md, (int)outlen, out))
		return -EIO;
	return 0;
}

int crypto_pbkdf2_sha512(const void *pass, size_t plen, const void *salt, size_t slen,
			 uint32_t iterations, uint8_t *out, size_t outlen)
{
	return pbkdf2(EVP_sha512(), pass, plen, salt, slen, iterations, out, outlen);
}

int crypto_pbkdf2_sha256(const void *pass, size_t plen, const void *salt, size_t slen,
			 uint32_t iterations, uint8_t *out, size_t outlen)
{
	return pbkdf2(EVP_sha256(), pass, plen, salt, slen, iterations, out, outlen);
}

int crypto_sha256(const void *msg, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(msg, len, out, &n, EVP_sha256(), NULL) == 1 && n == CRYPTO_SHA256_LEN
		       ? 0
		       : -EIO;
}

int crypto_sha1(const void *msg, size_t len, uint8_t out[CRYPTO_SHA1_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(msg, len, out, &n, EVP_sha1(), NULL) == 1 && n == CRYPTO_SHA1_LEN ? 0
											     : -EIO;
}

int crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t len,
		       uint8_t out[CRYPTO_SHA256_LEN])
{
	static const char empty[1];
	unsigned int n = 0;

	if (klen > INT_MAX)
		return -EINVAL;
	/* HMAC() treats a NULL message as "no output buffer" on some versions: never pass it */
	if (!HMAC(EVP_sha256(), klen ? key : empty, (int)klen, len ? msg : (const void *)empty,
		  len, out, &n) ||
	    n != CRYPTO_SHA256_LEN)
		return -EIO;
	return 0;
}

int crypto_sha512_salted(const void *pass, size_t plen, const void *salt, size_t slen,
			 uint8_t out[CRYPTO_SHA512_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int rc = -EIO;

	if (!ctx)
		return -EIO;
	if (EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, pass, plen) == 1 && EVP_DigestUpdate(ctx, salt, slen) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == CRYPTO_SHA512_LEN)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

size_t crypto_b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

int crypto_b64_encode(const void *in, size_t len, char *out, size_t outsz)
{
	const uint8_t *p = in;
	size_t need = crypto_b64_len(len), done = 0;

	if (outsz < need + 1)
		return -ENOSPC;
	/* EVP_EncodeBlock takes an int length: feed it in chunks of a multiple of 3 */
	while (len) {
		size_t chunk = len > 3 * 65536 ? 3 * 65536 : len;

		done += (size_t)EVP_EncodeBlock((unsigned char *)out + done, p, (int)chunk);
		p += chunk;
		len -= chunk;
	}
	out[done] = '\0';
	return (int)done;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int crypto_b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	size_t pad = 0, data, nbytes, i, w = 0;

	/* padding: at most two '=' at the very end, and only on a whole number of quanta */
	while (pad < len && pad < 3 && in[len - 1 - pad] == '=')
		pad++;
	if (pad > 2 || (pad && len % 4))
		return -EINVAL;
	data = len - pad;
	if (data % 4 == 1)
		return -EINVAL;
	for (i = 0; i < data; i++)
		if (!b64_char(in[i]))
			return -EINVAL;
	/* with padding, the characters must fill the last quantum exactly as '=' says */
	if (pad && (4 - data % 4) % 4 != pad)
		return -EINVAL;
	nbytes = data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0);
	if (nbytes > outsz || nbytes > INT_MAX)
		return -ENOSPC;
	for (i = 0; i < data; i += 4) {
		unsigned char q[4] = {'A', 'A', 'A', 'A'}, b[3];
		size_t n = data - i < 4 ? data - i : 4, k = n == 4 ? 3 : n - 1;

		memcpy(q, in + i, n);
		if (EVP_DecodeBlock(b, q, 4) != 3)
			return -EINVAL;
		memcpy(out + w, b, k);
		w += k;
	}
	return (int)w;
}

bool crypto_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void crypto_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

int crypto_random(void *buf, size_t len)
{
	if (len > INT_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}
