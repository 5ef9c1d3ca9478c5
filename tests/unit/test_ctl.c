// SPDX-License-Identifier: MIT
/*
 * ctl unit tests on a real loop and real UNIX sockets: a request reaches the handler and its
 * answer the client, followed by EOF; a bad request is answered with status 2 without reaching
 * the handler; a tap whose reader does not read drops lines beyond CTL_TAP_MAX_OUT (counted),
 * and reports `{"dropped":N}` once the reader catches up; the 17th connection is refused with a
 * line; the socket file: mode applied, a stale socket replaced, a live one or a plain file
 * refused, removed by ctl_free.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"

struct h {
	int requests, taps_closed;
	struct ctl_conn *tap;
	enum ctlp_cmd last;
};

static void on_request(void *ctx, struct ctl_conn *cc, const struct ctlp_req *req)
{
	struct h *h = ctx;
	static const char ok[] = "{\"ok\":true}\n";

	h->requests++;
	h->last = req->cmd;
	if (req->cmd == CTLP_TRACE) {
		h->tap = cc;
		ctl_reply(cc, ok, sizeof(ok) - 1);
		ctl_tap(cc, h);
		return;
	}
	ctl_reply(cc, ok, sizeof(ok) - 1);
	ctl_end(cc);
}

static void on_tap_closed(void *ctx, struct ctl_conn *cc)
{
	struct h *h = ctx;

	assert_ptr_equal(cc, h->tap);
	h->taps_closed++;
	h->tap = NULL;
}

static const struct ctl_ops ops = {.request = on_request, .tap_closed = on_tap_closed};

static char path[108];

static int dial(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void spin(struct loop *l, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(loop_run_once(l, 2), 0);
}

/* Everything the daemon sent until EOF (the loop runs while we wait). */
static size_t read_all(struct loop *l, int fd, char *buf, size_t cap)
{
	size_t n = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 2000; i++) {
		ssize_t r = read(fd, buf + n, cap - n - 1);

		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
		else
			spin(l, 1);
	}
	buf[n] = '\0';
	return n;
}

static struct ctl *open_ctl(struct loop *l, struct h *h, mode_t mode)
{
	struct ctl_opts o = {.path = path, .mode = mode};
	char err[256];
	struct ctl *c = ctl_new(l, &o, &ops, h, err, sizeof(err));

	assert_non_null(c);
	return c;
}

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_ctl.%d.sock", (int)getpid());
	unlink(path);
	return 0;
}

static void test_request(void **state)
{
	struct loop *l = loop_new();
	struct h h = {0};
	struct ctl *c = open_ctl(l, &h, 0600);
	char buf[512];
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = dial();
	assert_int_equal(write(fd, "kick a%20b\n", 11), 11);
	read_all(l, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true}\n");
	assert_int_equal(h.requests, 1);
	assert_int_equal(h.last, CTLP_KICK);
	close(fd);
	/* bad: answered here, the handler never sees it */
	fd = dial();
	assert_int_equal(write(fd, "kick\n", 5), 5);
	read_all(l, fd, buf, sizeof(buf));
	assert_string_equal(
	    buf, "{\"ok\":false,\"error\":\"wrong number of arguments\",\"status\":2}\n");
	assert_int_equal(h.requests, 1);
	close(fd);
	spin(l, 5);
	assert_int_equal(ctl_conns(c), 0);
	ctl_free(c);
	assert_int_equal(access(path, F_OK), -1); /* removed */
	loop_free(l);
}

static void test_tap_drops(void **state)
{
	struct loop *l = loop_new();
	struct h h = {0};
	struct ctl *c = open_ctl(l, &h, 0600);
	char line[1024], *buf = malloc(4 << 20);
	size_t n = 0, sent = 0, dropped = 0;
	int fd = dial();

	(void)state;
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	assert_int_equal(write(fd, "trace #\n", 8), 8);
	for (int i = 0; i < 50 && !h.tap; i++)
		spin(l, 1);
	assert_non_null(h.tap);
	/* 2 MiB of lines in one loop iteration to a reader that reads nothing: what fits the cap
	 * is taken, the rest dropped and counted, nothing blocks */
	for (int i = 0; i < 2048; i++) {
		if (ctl_tap_send(h.tap, line, sizeof(line)))
			sent++;
		else
			dropped++;
	}
	assert_int_equal(sent, (CTL_TAP_MAX_OUT - 12) / sizeof(line));
	assert_int_equal(ctl_tap_dropped(h.tap), dropped);
	assert_int_equal(ctl_tap_dropped_total(c), dropped);
	/* the reader catches up: it gets what was sent, then the drop count before the next line */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 4000; i++) {
		ssize_t r = read(fd, buf + n, (4 << 20) - n - 1);

		if (r > 0)
			n += (size_t)r;
		else
			spin(l, 1);
		if (n >= 12 + sent * sizeof(line))
			break;
	}
	assert_int_equal(n, 12 + sent * sizeof(line));
	assert_true(ctl_tap_send(h.tap, "{\"m\":1}\n", 8));
	spin(l, 3);
	n = 0;
	for (int i = 0; i < 200; i++) {
		ssize_t r = read(fd, buf + n, 256);

		if (r > 0)
			n += (size_t)r;
		else if (n)
			break;
		else
			spin(l, 1);
	}
	buf[n] = '\0';
	snprintf(line, sizeof(line), "{\"dropped\":%zu}\n{\"m\":1}\n", dropped);
	assert_string_equal(buf, line);
	/* the reader leaves: the handler hears of it */
	close(fd);
	for (int i = 0; i < 50 && h.taps_closed == 0; i++)
		spin(l, 1);
	assert_int_equal(h.taps_closed, 1);
	ctl_free(c);
	loop_free(l);
	free(buf);
}

static void test_limit(void **state)
{
	struct loop *l = loop_new();
	struct h h = {0};
	struct ctl *c = open_ctl(l, &h, 0600);
	int fds[CTL_MAX_CONNS], fd;
	char buf[256];

	(void)state;
	for (int i = 0; i < CTL_MAX_CONNS; i++) {
		fds[i] = dial();
		spin(l, 1);
	}
	spin(l, 3);
	assert_int_equal(ctl_conns(c), CTL_MAX_CONNS);
	fd = dial();
	read_all(l, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":false,\"error\":\"too many control connections\","
				 "\"status\":1}\n");
	assert_int_equal(ctl_refused(c), 1);
	close(fd);
	for (int i = 0; i < CTL_MAX_CONNS; i++)
		close(fds[i]);
	ctl_free(c);
	loop_free(l);
}

static void test_path(void **state)
{
	struct loop *l = loop_new();
	struct ctl_opts o = {.path = path, .mode = 0660};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct h h = {0};
	struct ctl *c, *c2;
	char err[256];
	int fd;

	(void)state;
	/* a stale socket (bound, nobody listening) is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	c = ctl_new(l, &o, &ops, &h, err, sizeof(err));
	assert_non_null(c);
	/* a live one is not */
	c2 = ctl_new(l, &o, &ops, &h, err, sizeof(err));
	assert_null(c2);
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, "another daemon is serving it"));
	ctl_free(c);
	/* nor a plain file, which stays */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(ctl_new(l, &o, &ops, &h, err, sizeof(err)));
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(err, "exists and is not a socket"));
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_request, setup),
	    cmocka_unit_test_setup(test_tap_drops, setup),
	    cmocka_unit_test_setup(test_limit, setup),
	    cmocka_unit_test_setup(test_path, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
