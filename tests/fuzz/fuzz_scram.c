/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for daemon/scram.c. The input's first byte picks the parser:
 *   even: a stored secret (scram_secret_parse); what parses must format and parse back to
 *         the same secret;
 *   odd:  "client-first\nclient-final": the server side runs the exchange against the RFC 7677
 *         secret; every result is one include/scram.h promises, a parsed user name has no NUL
 *         and fits, the server-first step never fails after a parsed client-first, and the
 *         server-final step works exactly when the proof verified.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "scram.h"


static const char secret_text[] =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

static void secret(const uint8_t *d, size_t n)
{
	struct scram_secret s, back;
	char text[SCRAM_SECRET_TEXT_MAX];
	int len;

	if (scram_secret_parse((const char *)d, n, &s))
		return;
	CHECK(s.iterations && s.iterations <= SCRAM_ITER_MAX && s.salt_len &&
	      s.salt_len <= SCRAM_SALT_MAX && !s.fake);
	len = scram_secret_format(&s, text, sizeof(text));
	CHECK(len > 0);
	CHECK(!scram_secret_parse(text, (size_t)len, &back));
	CHECK(!memcmp(&s, &back, sizeof(s)));
}

static void exchange(const uint8_t *d, size_t n)
{
	static struct scram_server st;
	struct scram_secret s;
	const uint8_t *nl = memchr(d, '\n', n);
	size_t first = nl ? (size_t)(nl - d) : n;
	uint8_t out[SCRAM_MSG_MAX];
	int rc;

	CHECK(!scram_secret_parse(secret_text, sizeof(secret_text) - 1, &s));
	memset(&st, 0, sizeof(st));
	rc = scram_client_first(&st, d, first);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOTSUP || rc == -EPERM);
	if (rc)
		return;
	CHECK(st.user_len && st.user_len <= SCRAM_USER_MAX && strlen(st.user) == st.user_len);
	rc = scram_server_first(&st, &s, "srv-nonce", 9, out, sizeof(out));
	CHECK(rc > 0);
	if (!nl)
		return;
	rc = scram_client_final(&st, nl + 1, n - first - 1);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO || rc == -EACCES);
	rc = scram_server_final(&st, out, sizeof(out));
	CHECK(rc == -EPROTO || (rc == 46 && !memcmp(out, "v=", 2)));
	scram_server_wipe(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (!n)
		return 0;
	if (d[0] & 1)
		exchange(d + 1, n - 1);
	else
		secret(d + 1, n - 1);
	return 0;
}
