// SPDX-License-Identifier: MIT
/*
 * crypto unit tests: PBKDF2-HMAC-SHA512 and salted SHA-512 against published / independently
 * computed vectors, base64 (RFC 4648 section 10 vectors + every malformed shape), constant-time
 * compare, random bytes.
 *
 * PBKDF2-HMAC-SHA512 vectors: the RFC 6070 inputs with SHA-512 (the widely published set),
 * cross-checked with an independent PBKDF2 written over Python's hmac module:
 *   def pbkdf2(p, s, c, dk):  # RFC 8018 5.2, F() = U1 ^ U2 ^ ... ^ Uc
 *       out = b''; i = 1
 *       while len(out) < dk:
 *           u = hmac.new(p, s + struct.pack('>I', i), hashlib.sha512).digest(); t = bytearray(u)
 *           for _ in range(c - 1):
 *               u = hmac.new(p, u, hashlib.sha512).digest(); t = bytearray(a ^ b for a, b in zip(t,
 * u)) out += bytes(t); i += 1 return out[:dk]
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"

static void unhex(const char *h, uint8_t *out, size_t n)
{
	size_t i;

	assert_int_equal(strlen(h), 2 * n);
	for (i = 0; i < n; i++) {
		unsigned int v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

struct pbkdf2_vec {
	const char *pass;
	size_t plen;
	const char *salt;
	size_t slen;
	uint32_t iter;
	size_t dklen;
	const char *hex;
};

static const struct pbkdf2_vec pbkdf2_vecs[] = {
    {"password", 8, "salt", 4, 1, 64,
     "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
     "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"},
    {"password", 8, "salt", 4, 2, 64,
     "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c"
     "f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e"},
    {"password", 8, "salt", 4, 4096, 64,
     "d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5"
     "143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5"},
    {"passwordPASSWORDpassword", 24, "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096, 64,
     "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71"
     "115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b8"},
    /* NUL bytes are data */
    {"pass\0word", 9, "sa\0lt", 5, 4096, 16, "9d9e9c4cd21fe4be24d5b8244c759665"},
    /* longer than one block: T1 || T2 truncated */
    {"password", 8, "salt", 4, 1, 100,
     "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
     "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"
     "7b532e206c2967d4c7d2ffa460539fc4d4e5eec70125d74c6c7cf86d25284f29"
     "7907fcea"},
};

static void test_pbkdf2_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pbkdf2_vecs) / sizeof(pbkdf2_vecs[0]); i++) {
		const struct pbkdf2_vec *v = &pbkdf2_vecs[i];
		uint8_t want[128], got[128];

		unhex(v->hex, want, v->dklen);
		memset(got, 0xaa, sizeof(got));
		assert_int_equal(crypto_pbkdf2_sha512(v->pass, v->plen, v->salt, v->slen, v->iter,
						      got, v->dklen),
				 0);
		assert_memory_equal(got, want, v->dklen);
		assert_int_equal(got[v->dklen], 0xaa); /* nothing written past dklen */
	}
}

static void test_pbkdf2_errors(void **state)
{
	uint8_t out[64];

	(void)state;
	assert_int_equal(crypto_pbkdf2_sha512("p", 1, "s", 1, 0, out, 64), -EINVAL);
	assert_int_equal(crypto_pbkdf2_sha512("p", 1, "s", 1, 1, out, 0), -EINVAL);
	assert_int_equal(crypto_pbkdf2_sha512("p", 1, "s", 1, 0x80000000u, out, 64), -EINVAL);
	/* empty password and salt are valid input */
	assert_int_equal(crypto_pbkdf2_sha512(NULL, 0, NULL, 0, 1, out, 64), 0);
}

/*
 * SHA-512(password || salt), Mosquitto's $6$, checked with Python:
 *   hashlib.sha512(b'hunter2' + b'0123456789ab').hexdigest()
 */
static void test_sha512_salted(void **state)
{
	uint8_t want[64], got[64];

	(void)state;
	unhex("2a0977031b9509eb451060c364e021e38737b2c87dc2f3dfb75d0c3c2f538ebd"
	      "6bc2c2039985042021ffcd438584cf2f0902a631bf275eb41397bab64fc6a553",
	      want, 64);
	assert_int_equal(crypto_sha512_salted("hunter2", 7, "0123456789ab", 12, got), 0);
	assert_memory_equal(got, want, 64);
	/* the empty string: SHA-512("") */
	unhex("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
	      want, 64);
	assert_int_equal(crypto_sha512_salted("", 0, "", 0, got), 0);
	assert_memory_equal(got, want, 64);
}

static const struct {
	const char *raw, *b64;
} b64_vecs[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
    {"\xff\xfe\xfd", "//79"},
    {"\xfb\xef", "++8="},
};

static void test_b64_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(b64_vecs) / sizeof(b64_vecs[0]); i++) {
		const char *raw = b64_vecs[i].raw, *b64 = b64_vecs[i].b64;
		size_t rl = strlen(raw), bl = strlen(b64);
		char enc[32];
		uint8_t dec[32];

		assert_int_equal(crypto_b64_len(rl), bl);
		assert_int_equal(crypto_b64_encode(raw, rl, enc, sizeof(enc)), (int)bl);
		assert_string_equal(enc, b64);
		assert_int_equal(crypto_b64_decode(b64, bl, dec, sizeof(dec)), (int)rl);
		assert_memory_equal(dec, raw, rl);
		/* the padding may be left out */
		while (bl && b64[bl - 1] == '=')
			bl--;
		assert_int_equal(crypto_b64_decode(b64, bl, dec, sizeof(dec)), (int)rl);
		assert_memory_equal(dec, raw, rl);
	}
}

static void test_b64_malformed(void **state)
{
	static const char *const bad[] = {
	    "Z",	/* one character cannot carry a byte */
	    "Zm9vY",	/* 4n+1 */
	    "Zg=",	/* padding that does not complete the quantum */
	    "Zg===",	/* three '=' */
	    "Zm9v=",	/* padding after a full quantum */
	    "Z===",	/* padding past the second position */
	    "Zg==Zg==", /* padding in the middle */
	    "Zm 9v",	/* whitespace */
	    "Zm9v\n",	/* newline */
	    "Zm-v",	/* url-safe alphabet */
	    "Zm_v",	/* url-safe alphabet */
	    "====",	/* padding only */
	    "Zm9\0",	/* NUL (length 4 below) */
	};
	uint8_t out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 4 : strlen(bad[i]);

		assert_int_equal(crypto_b64_decode(bad[i], len, out, sizeof(out)), -EINVAL);
	}
}

static void test_b64_sizes(void **state)
{
	uint8_t in[100], out[100];
	char enc[200];
	int n;

	(void)state;
	memset(in, 0x5a, sizeof(in));
	assert_int_equal(crypto_b64_encode(in, 3, enc, 4), -ENOSPC); /* no room for the NUL */
	assert_int_equal(crypto_b64_encode(in, 3, enc, 5), 4);
	n = crypto_b64_encode(in, 64, enc, sizeof(enc));
	assert_int_equal(n, 88);
	assert_int_equal(crypto_b64_decode(enc, 88, out, 63), -ENOSPC);
	assert_int_equal(crypto_b64_decode(enc, 88, out, 64), 64);
	assert_memory_equal(out, in, 64);
	/* an empty text decodes to nothing */
	assert_int_equal(crypto_b64_decode("", 0, out, 0), 0);
}

static void test_memeq_random_wipe(void **state)
{
	uint8_t a[32], b[32], z[32] = {0};

	(void)state;
	assert_int_equal(crypto_random(a, sizeof(a)), 0);
	memcpy(b, a, sizeof(b));
	assert_true(crypto_memeq(a, b, sizeof(a)));
	b[31] ^= 1;
	assert_false(crypto_memeq(a, b, sizeof(a)));
	b[31] ^= 1;
	b[0] ^= 0x80;
	assert_false(crypto_memeq(a, b, sizeof(a)));
	assert_true(crypto_memeq(a, b, 0));
	/* 32 random bytes are not all zero (probability 2^-256) and two draws differ */
	assert_false(crypto_memeq(a, z, sizeof(a)));
	assert_int_equal(crypto_random(b, sizeof(b)), 0);
	assert_false(crypto_memeq(a, b, sizeof(a)));
	crypto_wipe(a, sizeof(a));
	assert_memory_equal(a, z, sizeof(a));
}

/*
 * SHA-256 (FIPS 180-2 "abc"), HMAC-SHA256 (RFC 4231 test case 2) and PBKDF2-HMAC-SHA256
 * (RFC 7914 section 11's "passwd"/"salt", c=1 and "password"/"salt", c=4096 from the widely
 * published RFC 6070-style set), the primitives SCRAM-SHA-256 is built from.
 */
static void test_sha256_family(void **state)
{
	uint8_t want[64], got[65];

	(void)state;
	unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	assert_int_equal(crypto_sha256("abc", 3, got), 0);
	assert_memory_equal(got, want, 32);
	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
	assert_int_equal(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, got),
			 0);
	assert_memory_equal(got, want, 32);
	unhex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
	      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
	      want, 64);
	memset(got, 0xaa, sizeof(got));
	assert_int_equal(crypto_pbkdf2_sha256("passwd", 6, "salt", 4, 1, got, 64), 0);
	assert_memory_equal(got, want, 64);
	assert_int_equal(got[64], 0xaa);
	unhex("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a", want, 32);
	assert_int_equal(crypto_pbkdf2_sha256("password", 8, "salt", 4, 4096, got, 32), 0);
	assert_memory_equal(got, want, 32);
	assert_int_equal(crypto_pbkdf2_sha256("p", 1, "s", 1, 0, got, 32), -EINVAL);
	/* empty key and message are valid HMAC input: HMAC-SHA256("", "") */
	unhex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", want, 32);
	assert_int_equal(crypto_hmac_sha256(NULL, 0, NULL, 0, got), 0);
	assert_memory_equal(got, want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pbkdf2_vectors),    cmocka_unit_test(test_pbkdf2_errors),
	    cmocka_unit_test(test_sha512_salted),     cmocka_unit_test(test_b64_vectors),
	    cmocka_unit_test(test_b64_malformed),     cmocka_unit_test(test_b64_sizes),
	    cmocka_unit_test(test_memeq_random_wipe), cmocka_unit_test(test_sha256_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
