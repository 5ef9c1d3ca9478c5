/* SPDX-License-Identifier: MIT */
/* psk_load: a psk_file from the file system into psk_parse() (L1); psk.c only sees text. */

#include "file.h"
#include "psk.h"

struct psk_db *psk_load(const char *path, char *err, size_t errlen)
{
	struct psk_db *db;
	size_t len;
	char *text;

	if (file_read_text(path, PSK_FILE_MAX, &text, &len, err, errlen))
		return NULL;
	db = psk_parse(text, len, path, err, errlen);
	file_text_free(text, len);
	return db;
}
