/* SPDX-License-Identifier: MIT */
/*
 * passwd_load: a password_file from the file system into passwd_parse() (L1). passwd.c stays
 * pure: it only ever sees the text.
 */
#include <errno.h>
#include <stdlib.h>

#include "crypto.h"
#include "file.h"
#include "passwd.h"

#define PW_FILE_MAX (64u << 20)

struct passwd_db *passwd_load(const char *path, passwd_warn_fn warn, void *ctx, char *err,
			      size_t errlen)
{
	struct passwd_db *db;
	const char *op;
	size_t len;
	char *text;
	int rc, saved;

	rc = file_read(path, PW_FILE_MAX, 0, &text, &len, &op);
	if (rc) {
		file_strerror(err, errlen, path, rc, PW_FILE_MAX);
		errno = -rc;
		return NULL;
	}
	db = passwd_parse(text, len, path, warn, ctx, err, errlen);
	saved = errno;
	/* the hashes are not secrets, but nothing gains from leaving them in freed memory */
	crypto_wipe(text, len);
	free(text);
	errno = saved;
	return db;
}
