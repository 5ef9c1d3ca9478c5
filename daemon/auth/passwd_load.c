/* SPDX-License-Identifier: MIT */
/*
 * passwd_load: a password_file from the file system into passwd_parse() (L1). passwd.c stays
 * pure: it only ever sees the text.
 */

#include "file.h"
#include "passwd.h"

#define PW_FILE_MAX (64u << 20)

struct passwd_db *passwd_load(const char *path, passwd_warn_fn warn, void *ctx, char *err,
			      size_t errlen)
{
	struct passwd_db *db;
	size_t len;
	char *text;

	if (file_read_text(path, PW_FILE_MAX, &text, &len, err, errlen))
		return NULL;
	db = passwd_parse(text, len, path, warn, ctx, err, errlen);
	file_text_free(text, len);
	return db;
}
