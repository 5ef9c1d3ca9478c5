/* SPDX-License-Identifier: MIT */
/* file: whole-file reads and directory listings for the parsers. See include/file.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

#define FILE_CHUNK 16384u /* first buffer (and growth step) when the size is not known */

/* Grow buf to hold at least need + 1 bytes, never beyond max + 1 (one byte to see EOF). */
static int grow(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t ncap = *cap ? *cap * 2 : FILE_CHUNK;
	char *nbuf;

	if (ncap < need)
		ncap = need;
	if (ncap > max)
		ncap = max;
	nbuf = realloc(*buf, ncap + 2);
	if (!nbuf)
		return -ENOMEM;
	*buf = nbuf;
	*cap = ncap + 1;
	return 0;
}

int file_read(const char *path, size_t max, unsigned int flags, char **text, size_t *len,
	      const char **op)
{
	size_t n = 0, cap = 0;
	char *buf = NULL;
	struct stat st;
	ssize_t r;
	int fd, rc;

	*op = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*op = "cannot open";
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		*op = "stat";
		rc = -errno;
		goto err_close;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto err_close;
	}
	if ((flags & FILE_REGULAR) && !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode) && fcntl(fd, F_SETFL, 0) < 0) {
		*op = "fcntl";
		rc = -errno;
		goto err_close;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		rc = -EFBIG;
		goto err_close;
	}
	rc = grow(&buf, &cap, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, max);
	if (rc)
		goto err_close;
	for (;;) {
		if (n == cap) {
			/* cap is max + 1 at most: a full buffer at that size is over max */
			if (cap > max) {
				rc = -EFBIG;
				goto err_free;
			}
			rc = grow(&buf, &cap, cap + 1, max);
			if (rc)
				goto err_free;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*op = "read";
			rc = -errno;
			goto err_free;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
err_free:
	free(buf);
err_close:
	close(fd);
	return rc;
}

void file_names_free(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

int file_list(const char *dir, char ***names, size_t *n)
{
	char **v = NULL, **nv;
	size_t cnt = 0;
	struct dirent *de;
	DIR *d;
	int rc;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			rc = -ENOMEM;
			goto err_free;
		}
		v = nv;
		v[cnt] = strdup(de->d_name);
		if (!v[cnt]) {
			rc = -ENOMEM;
			goto err_free;
		}
		cnt++;
	}
	if (errno) {
		rc = -errno;
		goto err_free;
	}
	closedir(d);
	*names = v;
	*n = cnt;
	return 0;
err_free:
	file_names_free(v, cnt);
	closedir(d);
	return rc;
}

void file_strerror(char *err, size_t errlen, const char *path, int rc, size_t max)
{
	if (!err || !errlen)
		return;
	if (rc == -EFBIG)
		snprintf(err, errlen, "%s: file over %zu MiB", path, max >> 20);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
}

int file_read_text(const char *path, size_t max, char **text, size_t *len, char *err, size_t errlen)
{
	const char *op;
	int rc = file_read(path, max, 0, text, len, &op);

	if (rc) {
		file_strerror(err, errlen, path, rc, max);
		errno = -rc;
	}
	return rc;
}

void file_text_free(char *text, size_t len)
{
	int saved = errno;

	if (text)
		explicit_bzero(text, len);
	free(text);
	errno = saved;
}
