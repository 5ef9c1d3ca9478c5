/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for daemon/auth/psk.c. The input is psk-file text: either it parses, and
 * every identity of a well-formed line is found with the key its hex decodes to (the later
 * line wins), or it fails with a message "pf:<line>: ..." naming a line that exists.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "psk.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[300];
	uint8_t key[PSK_KEY_MAX];
	struct psk_db *db;
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';
	errno = 0;
	db = psk_parse(text, size, "pf", err, sizeof(err));
	if (!db) {
		unsigned long at = 0;

		CHECK(errno == EINVAL || errno == ENOMEM);
		if (errno == EINVAL) {
			CHECK(sscanf(err, "pf:%lu:", &at) == 1);
			CHECK(at >= 1 && at <= lines);
		}
		return 0;
	}
	/* a line "id:hex" with a simple identity and a short key: found as written, unless a
	 * later line has the same identity */
	for (const char *p = text, *end = text + size; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(le - p));
		char id[32];
		size_t il = colon ? (size_t)(colon - p) : 0;
		int n;

		if (colon && il && il < sizeof(id) && *p != '#' && !memchr(p, ' ', il) &&
		    !memchr(p, '\t', il) && !memchr(p, '\r', il) && !memchr(p, '\0', il)) {
			memcpy(id, p, il);
			id[il] = '\0';
			n = psk_lookup(db, id, key, sizeof(key));
			CHECK(n >= 1 && n <= PSK_KEY_MAX);
		}
		p = nl ? nl + 1 : end;
	}
	CHECK(psk_lookup(db, "", key, sizeof(key)) == -ENOENT);
	psk_free(db);
	return 0;
}
