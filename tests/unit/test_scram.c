// SPDX-License-Identifier: MIT
/*
 * scram unit tests: the RFC 7677 section 3 exchange (user "user", password "pencil", the RFC's
 * nonces, salt and iteration count) byte for byte, RFC 5803 secrets, and every refusal of
 * include/scram.h with the result it promises.
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
#include "scram.h"

#define CF   "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define SN   "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define SF   "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define CFW  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define PRF  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define SFIN "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
/* RFC 5803 form of pencil's secret (computed with Python's hashlib/hmac from the RFC inputs) */
#define SECRET                                                                                     \
	"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=" \
	":"                                                                                        \
	"wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="

static struct scram_server st;

static void secret(struct scram_secret *s)
{
	assert_int_equal(scram_secret_parse(SECRET, strlen(SECRET), s), 0);
}

/* Run the exchange up to the client-final-message; returns scram_client_final's result. */
static int run(const char *cf, const char *cfinal)
{
	struct scram_secret s;
	uint8_t out[SCRAM_MSG_MAX];
	int n;

	memset(&st, 0, sizeof(st));
	secret(&s);
	n = scram_client_first(&st, cf, strlen(cf));
	if (n)
		return n;
	n = scram_server_first(&st, &s, SN, strlen(SN), out, sizeof(out));
	assert_true(n > 0);
	return scram_client_final(&st, cfinal, strlen(cfinal));
}

static void test_rfc7677(void **state)
{
	struct scram_secret s, made;
	uint8_t out[SCRAM_MSG_MAX];
	char text[SCRAM_SECRET_TEXT_MAX];
	int n;

	(void)state;
	secret(&s);
	assert_int_equal(s.iterations, 4096);
	assert_int_equal(s.salt_len, 16);
	/* the secret is what PBKDF2 etc. make of "pencil", and formats back to the same text */
	assert_int_equal(scram_secret_make("pencil", 6, s.salt, s.salt_len, 4096, &made), 0);
	assert_memory_equal(made.stored_key, s.stored_key, SCRAM_KEY_LEN);
	assert_memory_equal(made.server_key, s.server_key, SCRAM_KEY_LEN);
	assert_int_equal(scram_secret_format(&made, text, sizeof(text)), (int)strlen(SECRET));
	assert_string_equal(text, SECRET);
	assert_int_equal(scram_secret_verify(&s, "pencil", 6), 0);
	assert_int_equal(scram_secret_verify(&s, "pencil2", 7), -EACCES);

	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, CF, strlen(CF)), 0);
	assert_string_equal(st.user, "user");
	n = scram_server_first(&st, &s, SN, strlen(SN), out, sizeof(out));
	assert_int_equal(n, (int)strlen(SF));
	assert_memory_equal(out, SF, strlen(SF));
	assert_int_equal(scram_server_final(&st, out, sizeof(out)), -EPROTO); /* not yet */
	assert_int_equal(scram_client_final(&st, CFW "," PRF, strlen(CFW "," PRF)), 0);
	n = scram_server_final(&st, out, sizeof(out));
	assert_int_equal(n, (int)strlen(SFIN));
	assert_memory_equal(out, SFIN, strlen(SFIN));
	assert_int_equal(scram_server_final(&st, out, 10), -ENOSPC);
	/* a second client-final on the same state is out of order */
	assert_int_equal(scram_client_final(&st, CFW "," PRF, strlen(CFW "," PRF)), -EPROTO);
	scram_server_wipe(&st);
	assert_int_equal(st.step, 0);
}

static void test_client_first_forms(void **state)
{
	(void)state;
	/* "y,," (client supports binding, thinks we do not): c= must be eSws */
	assert_int_equal(run("y,,n=user,r=rOprNGfwEbeRWgbNEkqO", CFW "," PRF), -EPROTO);
	/* escapes: "a,b=c" is sent as a=2Cb=3Dc */
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, "n,,n=a=2Cb=3Dc,r=xyz", 20), 0);
	assert_string_equal(st.user, "a,b=c");
	assert_int_equal(st.user_len, 5);
	/* extensions after the nonce are ignored */
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, "n,,n=u,r=x,x=1,Y=2", 18), 0);
	/* authorization identity: only the user itself */
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, "n,a=u,n=u,r=x", 13), 0);
	assert_int_equal(st.gs2_len, 6);
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, "n,a=v,n=u,r=x", 13), -EPERM);
	/* UTF-8 user names pass through */
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, "n,,n=\xc3\xa9,r=x", 11), 0);
	assert_string_equal(st.user, "\xc3\xa9");
}

static void test_client_first_malformed(void **state)
{
	static const struct {
		const char *m;
		int rc;
	} v[] = {
	    {"", -EBADMSG},
	    {"n", -EBADMSG},
	    {"n,", -EBADMSG},
	    {"n,,", -EBADMSG},
	    {"x,,n=u,r=x", -EBADMSG},
	    {"nn,,n=u,r=x", -EBADMSG},
	    {"p=tls-unique,,n=u,r=x", -ENOTSUP},
	    {"p=,,n=u,r=x", -ENOTSUP},
	    {"n,,m=ext,n=u,r=x", -ENOTSUP},
	    {"n,,n=,r=x", -EBADMSG},
	    {"n,,n=u", -EBADMSG},
	    {"n,,n=u,", -EBADMSG},
	    {"n,,n=u,r=", -EBADMSG},
	    {"n,,r=x,n=u", -EBADMSG},
	    {"n,,n=u,s=x", -EBADMSG},
	    {"n,,n=a=2c,r=x", -EBADMSG},
	    {"n,,n=a=3d,r=x", -EBADMSG},
	    {"n,,n=a=2D,r=x", -EBADMSG},
	    {"n,,n=a=,r=x", -EBADMSG},
	    {"n,,n=a=3,r=x", -EBADMSG},
	    {"n,,n=u,r=a b", -EBADMSG},
	    {"n,,n=u,r=\x7f", -EBADMSG},
	    {"n,,n=u,r=x,", -EBADMSG},
	    {"n,,n=u,r=x,1=2", -EBADMSG},
	    {"n,,n=u,r=x,xy=2", -EBADMSG},
	    {"n,,n=u,r=x,x=", -EBADMSG},
	    {"n,a=,n=u,r=x", -EBADMSG},
	    {"n,a=u", -EBADMSG},
	    {"n,b=u,n=u,r=x", -EBADMSG},
	    {" n,,n=u,r=x", -EBADMSG},
	};
	char big[SCRAM_MSG_MAX + 16];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&st, 0, sizeof(st));
		if (scram_client_first(&st, v[i].m, strlen(v[i].m)) != v[i].rc)
			fail_msg("case %zu '%s': expected %d", i, v[i].m, v[i].rc);
		assert_int_equal(st.step, 0);
	}
	/* a NUL inside the user name */
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, "n,,n=a\0b,r=x", 12), -EBADMSG);
	/* over SCRAM_MSG_MAX, and a user name over SCRAM_USER_MAX */
	memset(big, 'a', sizeof(big));
	memcpy(big, "n,,n=", 5);
	memcpy(big + sizeof(big) - 4, ",r=x", 4);
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, big, sizeof(big)), -EBADMSG);
	memcpy(big + 5 + SCRAM_USER_MAX + 1, ",r=x", 4);
	assert_int_equal(scram_client_first(&st, big, 5 + SCRAM_USER_MAX + 5), -EBADMSG);
	memcpy(big + 5 + SCRAM_USER_MAX, ",r=x", 4);
	assert_int_equal(scram_client_first(&st, big, 5 + SCRAM_USER_MAX + 4), 0);
	assert_int_equal(st.user_len, SCRAM_USER_MAX);
	/* no data at all (an MQTT Authentication Data property left out) */
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, NULL, 0), -EBADMSG);
	memcpy(big + 5 + SCRAM_USER_MAX, ",r=x", 4);
	assert_int_equal(scram_client_first(&st, big, 5 + SCRAM_USER_MAX + 4), 0);
	/* twice on one state */
	assert_int_equal(scram_client_first(&st, CF, strlen(CF)), -EPROTO);
}

static void test_server_first_args(void **state)
{
	struct scram_secret s;
	uint8_t out[SCRAM_MSG_MAX];

	(void)state;
	secret(&s);
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_server_first(&st, &s, "x", 1, out, sizeof(out)), -EPROTO);
	assert_int_equal(scram_client_first(&st, CF, strlen(CF)), 0);
	assert_int_equal(scram_server_first(&st, &s, "", 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(scram_server_first(&st, &s, "a,b", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(scram_server_first(&st, &s, "a b", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(scram_server_first(&st, &s, SN, strlen(SN), out, 20), -ENOSPC);
	assert_int_equal(st.step, 1);
	assert_int_equal(scram_server_first(&st, &s, SN, strlen(SN), out, sizeof(out)),
			 (int)strlen(SF));
}

static void test_client_final_refusals(void **state)
{
	static const struct {
		const char *m;
		int rc;
	} v[] = {
	    /* wrong proof (last byte of the base64 changed) */
	    {CFW ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVA=", -EACCES},
	    /* channel binding data that is not the gs2 header */
	    {"c=eSws,r=rOprNGfwEbeRWgbNEkqO" SN "," PRF, -EPROTO},
	    {"c=biws=,r=rOprNGfwEbeRWgbNEkqO" SN "," PRF, -EPROTO},
	    {"c=,r=rOprNGfwEbeRWgbNEkqO" SN "," PRF, -EPROTO},
	    /* nonce: only the client's part, or another one */
	    {"c=biws,r=rOprNGfwEbeRWgbNEkqO," PRF, -EPROTO},
	    {"c=biws,r=rOprNGfwEbeRWgbNEkqO" SN "x," PRF, -EPROTO},
	    /* an extension before the proof changes the AuthMessage: the proof fails */
	    {CFW ",x=1," PRF, -EACCES},
	    /* syntax */
	    {"", -EBADMSG},
	    {CFW, -EBADMSG},
	    {CFW ",", -EBADMSG},
	    {CFW ",p=", -EBADMSG},
	    {CFW ",p=!!!!", -EBADMSG},
	    {CFW ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndQ==", -EBADMSG}, /* 31 bytes */
	    {CFW "," PRF ",x=1", -EBADMSG},
	    {CFW "," PRF ",", -EBADMSG},
	    {"r=rOprNGfwEbeRWgbNEkqO" SN ",c=biws," PRF, -EBADMSG},
	    {"c=biws," PRF, -EBADMSG},
	    {"c=biws,r=," PRF, -EBADMSG},
	    {CFW ",1=2," PRF, -EBADMSG},
	    {CFW ",x=," PRF, -EBADMSG},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (run(CF, v[i].m) != v[i].rc)
			fail_msg("case %zu '%s': expected %d", i, v[i].m, v[i].rc);
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_final(&st, CFW "," PRF, strlen(CFW "," PRF)), -EPROTO);
	{
		/* a NUL byte */
		struct scram_secret s;
		uint8_t out[SCRAM_MSG_MAX];
		static const char m[] = CFW "\0," PRF;

		secret(&s);
		assert_int_equal(scram_client_first(&st, CF, strlen(CF)), 0);
		assert_true(scram_server_first(&st, &s, SN, strlen(SN), out, sizeof(out)) > 0);
		assert_int_equal(scram_client_final(&st, m, sizeof(m) - 1), -EBADMSG);
		assert_int_equal(scram_client_final(&st, NULL, 0), -EBADMSG);
	}
}

/* An unknown user's stand-in: stable per name and key, different across names, never passes
 * even with the proof a real secret with the same keys would accept. */
static void test_fake(void **state)
{
	uint8_t key[SCRAM_KEY_LEN], out[SCRAM_MSG_MAX];
	struct scram_secret a, b, c;

	(void)state;
	memset(key, 7, sizeof(key));
	assert_int_equal(scram_secret_fake(key, "mallory", 7, 4096, &a), 0);
	assert_int_equal(scram_secret_fake(key, "mallory", 7, 4096, &b), 0);
	assert_int_equal(scram_secret_fake(key, "eve", 3, 0, &c), 0);
	assert_memory_equal(a.salt, b.salt, 16);
	assert_int_equal(a.salt_len, 16);
	assert_true(a.fake);
	assert_memory_not_equal(a.salt, c.salt, 16);
	assert_int_equal(c.iterations, 4096);
	key[0] = 8;
	assert_int_equal(scram_secret_fake(key, "mallory", 7, 4096, &b), 0);
	assert_memory_not_equal(a.salt, b.salt, 16);
	/* a secret with the RFC keys marked fake: the right proof still fails */
	secret(&a);
	a.fake = true;
	memset(&st, 0, sizeof(st));
	assert_int_equal(scram_client_first(&st, CF, strlen(CF)), 0);
	assert_true(scram_server_first(&st, &a, SN, strlen(SN), out, sizeof(out)) > 0);
	assert_int_equal(scram_client_final(&st, CFW "," PRF, strlen(CFW "," PRF)), -EACCES);
	assert_int_equal(scram_secret_verify(&a, "pencil", 6), -EACCES);
}

static void test_secret_parse(void **state)
{
	static const char *bad[] = {
	    "",
	    "SCRAM-SHA-256$",
	    "SCRAM-SHA-1$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "scram-sha-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    /* iterations: 0, leading zero, not a number, too many */
	    "SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "SCRAM-SHA-256$04096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "SCRAM-SHA-256$4k:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "SCRAM-SHA-256$99999999999:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLm"
	    "tbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "SCRAM-SHA-256$:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    /* salt empty / not base64 / over 64 bytes */
	    "SCRAM-SHA-256$4096:$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "SCRAM-SHA-256$4096:W22ZaJ0S!Y7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "SCRAM-SHA-256$4096:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
	    "QUFBQUFBQUFBQUFBQUFBQUFB$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    /* keys: 31 bytes, 33 bytes, missing, swapped separators, extra field */
	    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4g=="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dUAAA=",
	    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
	    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:",
	    "SCRAM-SHA-256$4096$W22ZaJ0SNY7soEsUEjb6gQ==:"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=$x",
	    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU= ",
	};
	struct scram_secret s;
	char text[SCRAM_SECRET_TEXT_MAX];
	uint8_t salt[SCRAM_SALT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (scram_secret_parse(bad[i], strlen(bad[i]), &s) != -EINVAL)
			fail_msg("bad secret %zu accepted: %s", i, bad[i]);
	/* unpadded base64 is accepted, as crypto_b64_decode does */
	assert_int_equal(scram_secret_parse(SECRET, strlen(SECRET) - 1, &s), 0);
	/* the longest salt formats within SCRAM_SECRET_TEXT_MAX and round-trips */
	memset(salt, 0xfe, sizeof(salt));
	assert_int_equal(scram_secret_make("pw", 2, salt, sizeof(salt), SCRAM_ITER_MAX + 1, &s),
			 -EINVAL);
	assert_int_equal(scram_secret_make("pw", 2, salt, 0, 1, &s), -EINVAL);
	assert_int_equal(scram_secret_make("pw", 2, salt, sizeof(salt) + 1, 1, &s), -EINVAL);
	assert_int_equal(scram_secret_make("", 0, salt, sizeof(salt), 1, &s), 0);
	{
		int n = scram_secret_format(&s, text, sizeof(text));
		struct scram_secret back;

		assert_true(n > 0);
		assert_int_equal(scram_secret_parse(text, (size_t)n, &back), 0);
		assert_memory_equal(&back, &s, sizeof(s));
		assert_int_equal(scram_secret_format(&s, text, (size_t)n), -ENOSPC);
		assert_string_equal(text, "");
	}
	assert_int_equal(scram_secret_verify(&s, "", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc7677),
	    cmocka_unit_test(test_client_first_forms),
	    cmocka_unit_test(test_client_first_malformed),
	    cmocka_unit_test(test_server_first_args),
	    cmocka_unit_test(test_client_final_refusals),
	    cmocka_unit_test(test_fake),
	    cmocka_unit_test(test_secret_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
