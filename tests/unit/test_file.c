/* SPDX-License-Identifier: MIT */
/*
 * file: file_read and file_list on real files in a mkdtemp directory: contents, the NUL, empty
 * files, missing and unreadable files (as root: in a child that dropped to nobody), directories,
 * FIFOs (must not hang), the size limit on regular files and on pipes, a failing read(), and the
 * "path: reason" texts of file_strerror.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "file.h"
#include "tmpdir_test.h"

static char pbuf[PATH_MAX + 64];

static const char *tpath(const char *rel)
{
	snprintf(pbuf, sizeof(pbuf), "%s/%s", tmpdir, rel);
	return pbuf;
}

static void write_file(const char *rel, const void *data, size_t len, mode_t mode)
{
	int fd = open(tpath(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void test_read_contents(void **state)
{
	static const char data[] = "line 1\nline\0two\n";
	const char *op = "unset";
	char *text = NULL;
	size_t len = 0;

	(void)state;
	write_file("a.conf", data, sizeof(data) - 1, 0644);
	assert_int_equal(file_read(tpath("a.conf"), 1024, FILE_REGULAR, &text, &len, &op), 0);
	assert_null(op);
	assert_int_equal(len, sizeof(data) - 1);
	assert_memory_equal(text, data, len); /* NUL bytes inside are kept */
	assert_int_equal(text[len], '\0');
	free(text);

	write_file("empty", "", 0, 0644);
	assert_int_equal(file_read(tpath("empty"), 1024, 0, &text, &len, &op), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);

	/* bigger than the first buffer of an unknown size */
	{
		size_t n = 100000;
		char *big = malloc(n);

		assert_non_null(big);
		for (size_t i = 0; i < n; i++)
			big[i] = (char)('a' + i % 26);
		write_file("big", big, n, 0644);
		assert_int_equal(file_read(tpath("big"), n, 0, &text, &len, &op), 0);
		assert_int_equal(len, n);
		assert_memory_equal(text, big, n);
		free(text);
		free(big);
	}
}

static void test_missing_and_directories(void **state)
{
	const char *op;
	char *text = NULL;
	size_t len;

	(void)state;
	assert_int_equal(file_read(tpath("nothere"), 1024, 0, &text, &len, &op), -ENOENT);
	assert_string_equal(op, "cannot open");
	assert_null(text);
	write_file("plain", "x", 1, 0644);
	assert_int_equal(file_read(tpath("plain/sub"), 1024, 0, &text, &len, &op), -ENOTDIR);
	assert_string_equal(op, "cannot open");
	assert_int_equal(file_read(tmpdir, 1024, 0, &text, &len, &op), -EISDIR);
	assert_null(op);
	assert_int_equal(file_read(tmpdir, 1024, FILE_REGULAR, &text, &len, &op), -EISDIR);
	assert_null(text);
}

/* A FIFO without a writer neither hangs the open nor the read; FILE_REGULAR refuses it. */
static void test_fifo_and_devices(void **state)
{
	const char *op;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
	alarm(10); /* a hang fails the test instead of the whole run */
	assert_int_equal(file_read(tpath("fifo"), 1024, FILE_REGULAR, &text, &len, &op), -EINVAL);
	assert_null(op);
	assert_int_equal(file_read(tpath("fifo"), 1024, 0, &text, &len, &op), 0);
	assert_int_equal(len, 0);
	free(text);
	alarm(0);
	assert_int_equal(file_read("/dev/null", 1024, 0, &text, &len, &op), 0);
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(file_read("/dev/null", 1024, FILE_REGULAR, &text, &len, &op), -EINVAL);
}

static void test_too_big(void **state)
{
	char data[64], path[64], *text;
	const char *op;
	int p[2];
	size_t len;

	(void)state;
	memset(data, 'x', sizeof(data));
	write_file("ten", data, 10, 0644);
	write_file("eleven", data, 11, 0644);
	assert_int_equal(file_read(tpath("ten"), 10, 0, &text, &len, &op), 0);
	assert_int_equal(len, 10);
	free(text);
	assert_int_equal(file_read(tpath("eleven"), 10, 0, &text, &len, &op), -EFBIG);
	assert_null(op);

	/* a pipe has no size: the limit holds while reading */
	for (size_t n = 10; n <= 11; n++) {
		assert_int_equal(pipe(p), 0);
		assert_int_equal(write(p[1], data, n), (ssize_t)n);
		close(p[1]);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
		if (n == 10) {
			assert_int_equal(file_read(path, 10, 0, &text, &len, &op), 0);
			assert_int_equal(len, 10);
			free(text);
		} else {
			assert_int_equal(file_read(path, 10, 0, &text, &len, &op), -EFBIG);
		}
		close(p[0]);
	}
}

/* What an unprivileged process gets for a mode 000 file: -EACCES from open. */
static int read_as_nobody(const char *path)
{
	const char *op = NULL;
	size_t len;
	char *text;
	int rc;

	if (getuid() == 0 && (setgid(65534) || setuid(65534)))
		return 100;
	rc = file_read(path, 1024, 0, &text, &len, &op);
	if (rc == -EACCES && op && !strcmp(op, "cannot open"))
		return 0;
	return 101;
}

static void test_unreadable(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	write_file("secret", "x", 1, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(read_as_nobody(tpath("secret")));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* read() failing after a good open: /proc/self/mem at offset 0 is unmapped memory (EIO). */
static void test_read_error(void **state)
{
	const char *op;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(file_read("/proc/self/mem", 1024, 0, &text, &len, &op), -EIO);
	assert_string_equal(op, "read");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_list(void **state)
{
	char **names;
	size_t n;

	(void)state;
	assert_int_equal(mkdir(tpath("d"), 0755), 0);
	write_file("d/b.conf", "", 0, 0644);
	write_file("d/.hidden", "", 0, 0644);
	write_file("d/A.conf", "", 0, 0644);
	assert_int_equal(mkdir(tpath("d/sub"), 0755), 0);
	assert_int_equal(file_list(tpath("d"), &names, &n), 0);
	assert_int_equal(n, 4);
	qsort(names, n, sizeof(*names), name_cmp);
	assert_string_equal(names[0], ".hidden");
	assert_string_equal(names[1], "A.conf");
	assert_string_equal(names[2], "b.conf");
	assert_string_equal(names[3], "sub");
	file_names_free(names, n);

	assert_int_equal(mkdir(tpath("e"), 0755), 0);
	assert_int_equal(file_list(tpath("e"), &names, &n), 0);
	assert_int_equal(n, 0);
	file_names_free(names, n);
	assert_int_equal(file_list(tpath("missing"), &names, &n), -ENOENT);
	write_file("f", "", 0, 0644);
	assert_int_equal(file_list(tpath("f"), &names, &n), -ENOTDIR);
}

static void test_strerror(void **state)
{
	char err[128];

	(void)state;
	file_strerror(err, sizeof(err), "/etc/x", -ENOENT, 64u << 20);
	assert_string_equal(err, "/etc/x: No such file or directory");
	file_strerror(err, sizeof(err), "/etc/x", -EFBIG, 64u << 20);
	assert_string_equal(err, "/etc/x: file over 64 MiB");
	file_strerror(err, 4, "/etc/x", -EISDIR, 1);
	assert_string_equal(err, "/et");
	file_strerror(NULL, 0, "/etc/x", -EISDIR, 1);
}

/* file_read_text: the loaders' read, its message and errno; file_text_free keeps errno. */
static void test_read_text(void **state)
{
	char err[PATH_MAX + 128], *text = NULL;
	size_t len = 0;

	(void)state;
	write_file("t.txt", "key:value\n", 10, 0644);
	assert_int_equal(file_read_text(tpath("t.txt"), 64, &text, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 10);
	assert_string_equal(text, "key:value\n");
	errno = EPERM;
	file_text_free(text, len);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(file_read_text(tpath("none"), 64, &text, &len, err, sizeof(err)), -ENOENT);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/none: No such file or directory"));
	assert_int_equal(file_read_text(tpath("t.txt"), 9, &text, &len, err, sizeof(err)), -EFBIG);
	assert_int_equal(errno, EFBIG);
	errno = EACCES;
	file_text_free(NULL, 0);
	assert_int_equal(errno, EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_contents),
	    cmocka_unit_test(test_missing_and_directories),
	    cmocka_unit_test(test_fifo_and_devices),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_read_error),
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_read_text),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
