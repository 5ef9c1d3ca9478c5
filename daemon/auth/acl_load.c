/* SPDX-License-Identifier: MIT */
/*
 * acl_load: an acl_file from the file system into acl_parse() (L1). acl.c stays pure: it only
 * ever sees the text.
 */

#include "acl.h"
#include "file.h"

#define ACL_FILE_MAX (64u << 20)

struct acl_db *acl_load(const char *path, acl_warn_fn warn, void *ctx, char *err, size_t errlen)
{
	struct acl_db *db;
	size_t len;
	char *text;

	if (file_read_text(path, ACL_FILE_MAX, &text, &len, err, errlen))
		return NULL;
	db = acl_parse(text, len, path, warn, ctx, err, errlen);
	file_text_free(text, len);
	return db;
}
