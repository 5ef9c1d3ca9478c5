/* SPDX-License-Identifier: MIT */
/*
 * file: the one place that reads configuration-type files (L1). The parsers (config, acl,
 * passwd) are L0 and take (text, len, name); this module hands them the bytes.
 *
 * Errors are -errno plus, where a system call failed, the name of the step ("cannot open",
 * "stat", "fcntl", "read") so that each caller can keep its own wording of the message.
 */
#ifndef MQTTGW_FILE_H
#define MQTTGW_FILE_H

#include <stddef.h>

/* file_read() flags */
#define FILE_REGULAR 0x1u /* refuse anything but a regular file (-EINVAL) */

/*
 * The whole file at path into *text: malloc'd, NUL-terminated (not counted in *len), taken by
 * the caller. Directories are refused (-EISDIR), files over max bytes too (-EFBIG). Opened
 * non-blocking, so that a FIFO cannot hang the open; a non-regular file (`-c /dev/stdin`) is
 * then read blocking until EOF. A regular file is read into one buffer sized from its length,
 * so that a secret it holds (password hashes) is not left behind in freed copies.
 * 0, or -errno with *op naming the failed system call (NULL for -EISDIR, -EINVAL, -EFBIG,
 * -ENOMEM, whose code says it all).
 */
int file_read(const char *path, size_t max, unsigned int flags, char **text, size_t *len,
	      const char **op);

/*
 * The entry names of directory dir except "." and "..", in directory order: a malloc'd array
 * of *n malloc'd strings in *names, taken by the caller (file_names_free). 0 or -errno.
 */
int file_list(const char *dir, char ***names, size_t *n);
void file_names_free(char **names, size_t n);

/*
 * "path: reason" into err for a file_read() error: strerror, or "file over N MiB" for -EFBIG
 * (the acl_file and password_file wording).
 */
void file_strerror(char *err, size_t errlen, const char *path, int rc, size_t max);

/*
 * What the auth loaders (acl_file, password_file, psk_file) share: file_read() of path with
 * at most max bytes, and on an error file_strerror() into err and errno set. 0 or -errno.
 * file_text_free() wipes and frees the text (it may hold secrets) and keeps errno, so that the
 * caller can return its parser's result and errno as they are.
 */
int file_read_text(const char *path, size_t max, char **text, size_t *len, char *err,
		   size_t errlen);
void file_text_free(char *text, size_t len);

#endif /* MQTTGW_FILE_H */
