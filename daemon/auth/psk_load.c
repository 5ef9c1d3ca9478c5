/* SPDX-License-Identifier: MIT */
/* psk_load: a psk_file from the file system into psk_parse() (L1); psk.c only sees text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "psk.h"

struct psk_db *psk_load(const char *path, char *err, size_t errlen)
{
	struct psk_db *db;
	const char *op;
	size_t len;
	char *text;
	int rc, saved;

	rc = file_read(path, PSK_FILE_MAX, 0, &text, &len, &op);
	if (rc) {
		file_strerror(err, errlen, path, rc, PSK_FILE_MAX);
		errno = -rc;
		return NULL;
	}
	db = psk_parse(text, len, path, err, errlen);
	saved = errno;
	explicit_bzero(text, len); /* the keys are secrets */
	free(text);
	errno = saved;
	return db;
}
