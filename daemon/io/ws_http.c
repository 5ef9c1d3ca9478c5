/* SPDX-License-Identifier: MIT */
/*
 * ws_http: `http_dir` (Mosquitto's key): a plain HTTP GET on a websocket listener is answered
 * with a file of that directory. L1: it opens and reads files.
 *
 * No way out of the directory: http_path_file() (L0) refuses "." and ".." segments, encoded
 * or not, encoded slashes, backslashes and NUL; openat2(RESOLVE_BENEATH) then refuses any
 * symlink or ".." that would resolve outside it, and RESOLVE_NO_MAGICLINKS /proc-style links.
 * Regular files only, at most WS_HTTP_FILE_MAX bytes: the file is read in the loop thread and
 * sent by the connection's lingering close (2 s), so it is meant for a small dashboard (HTML,
 * a script bundle, CSS), as Mosquitto's is.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "http_parse.h"
#include "ws.h"

#define WS_HTTP_FILE_MAX (1024 * 1024)

int ws_http_dir_open(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* status for an errno of openat2/read */
static int status_of(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return 404;
	case EXDEV: /* RESOLVE_BENEATH: it would leave the directory */
	case ELOOP:
	case EACCES:
	case EPERM:
		return 403;
	case ENAMETOOLONG:
		return 414;
	case EINVAL:
		return 400;
	default:
		return 500;
	}
}

static int read_file(int dirfd, const char *name, char **body, size_t *len)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;
	size_t got = 0;
	int fd, e = 0;

	fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		e = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = -ENOENT;
		goto out;
	}
	if (st.st_size > WS_HTTP_FILE_MAX) {
		e = -EFBIG;
		goto out;
	}
	*body = malloc((size_t)st.st_size + 1);
	if (!*body) {
		e = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *body + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? -errno : -EIO;
			free(*body);
			*body = NULL;
			goto out;
		}
		got += (size_t)n;
	}
	*len = got;
out:
	close(fd);
	return e;
}

int ws_http_answer(int dirfd, const char *path, size_t path_len, uint8_t **out, uint32_t *out_len)
{
	char name[1024], head[256];
	char *body = NULL;
	size_t blen = 0;
	const char *type = "text/plain; charset=utf-8";
	int r = http_path_file(path, path_len, name, sizeof(name)), status = 200, n;

	if (r == -EACCES)
		status = 403;
	else if (r == -ENAMETOOLONG)
		status = 414;
	else if (r < 0)
		status = 400;
	else if ((r = read_file(dirfd, name, &body, &blen)) < 0)
		status = r == -EFBIG ? 500 : status_of(-r);
	else
		type = http_content_type(name);
	if (status != 200) {
		blen = 0;
		body = malloc(64);
		if (body)
			blen = (size_t)snprintf(body, 64, "%d %s\n", status, http_reason(status));
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
		     status, http_reason(status), type, blen);
	*out = malloc((size_t)n + blen);
	if (!*out) {
		free(body);
		return -ENOMEM;
	}
	memcpy(*out, head, (size_t)n);
	if (blen)
		memcpy(*out + n, body, blen);
	*out_len = (uint32_t)((size_t)n + blen);
	free(body);
	return status;
}
