/* SPDX-License-Identifier: MIT */
/*
 * acl_load: an acl_file from the file system into acl_parse() (L1). acl.c stays pure: it only
 * ever sees the text.
 */
#include <errno.h>
#include <stdlib.h>

#include "acl.h"
#include "file.h"

#define ACL_FILE_MAX (64u << 20)

struct acl_db *acl_load(const char *path, acl_warn_fn warn, void *ctx, char *err, size_t errlen)
{
	struct acl_db *db;
	const char *op;
	size_t len;
	char *text;
	int rc, saved;

	rc = file_read(path, ACL_FILE_MAX, 0, &text, &len, &op);
	if (rc) {
		file_strerror(err, errlen, path, rc, ACL_FILE_MAX);
		errno = -rc;
		return NULL;
	}
	db = acl_parse(text, len, path, warn, ctx, err, errlen);
	saved = errno;
	free(text);
	errno = saved;
	return db;
}
