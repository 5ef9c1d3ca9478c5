// SPDX-License-Identifier: MIT
/*
 * sdnotify unit tests: the environment parsing, the address forms (path, abstract, malformed),
 * what arrives at a real AF_UNIX datagram receiver, and the watchdog timer's pace on a real loop.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "sdnotify.h"

/* A receiver bound to `name` ("/path" or "@abstract"), non-blocking. */
static int receiver(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(a.sun_path, name, len);
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	else
		unlink(name);
	assert_int_equal(
	    bind(fd, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + len), 0);
	return fd;
}

/* The next datagram, NUL-terminated; "" when none is queued. */
static const char *next_msg(int fd)
{
	static char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A receiver at `name` and a client of it; returns the receiver. */
static int open_pair(const char *name, struct sdnotify *n)
{
	int rx = receiver(name);

	assert_int_equal(sdnotify_open(n, name), 0);
	assert_true(n->fd >= 0);
	return rx;
}

static void test_watchdog_parse(void **state)
{
	(void)state;
	assert_int_equal(sdnotify_watchdog_parse("30000000", NULL, 42), 30000000);
	assert_int_equal(sdnotify_watchdog_parse("30000000", "42", 42), 30000000);
	/* meant for another process (a parent that passed its environment on) */
	assert_int_equal(sdnotify_watchdog_parse("30000000", "41", 42), 0);
	assert_int_equal(sdnotify_watchdog_parse(NULL, "42", 42), 0);
	assert_int_equal(sdnotify_watchdog_parse("", NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_parse("0", NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_parse("-5", NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_parse("10s", NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_parse("99999999999999999999999", NULL, 42), 0);
	assert_int_equal(sdnotify_watchdog_parse("1000", "x42", 42), 0);
	assert_int_equal(sdnotify_watchdog_parse("1000", "", 42), 0);
}

static void test_off(void **state)
{
	struct sdnotify n;

	(void)state;
	assert_int_equal(sdnotify_open(&n, NULL), 0);
	assert_int_equal(n.fd, -1);
	assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
	assert_int_equal(sdnotify_watchdog_period_ms(&n), 0);
	assert_int_equal(sdnotify_open(&n, ""), 0);
	assert_int_equal(n.fd, -1);
	sdnotify_fini(&n);
	sdnotify_fini(&n);
}

static void test_bad_address(void **state)
{
	char longp[200];
	struct sdnotify n;

	(void)state;
	assert_int_equal(sdnotify_open(&n, "relative/notify"), -EINVAL);
	assert_int_equal(n.fd, -1);
	assert_int_equal(sdnotify_open(&n, "vsock:2:1234"), -EAFNOSUPPORT);
	assert_int_equal(sdnotify_open(&n, "@"), -EINVAL);
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(sdnotify_open(&n, longp), -EINVAL);
	assert_int_equal(n.fd, -1);
}

/* Both address forms systemd uses: a path, and "@name" in the abstract namespace. */
static void test_socket_forms(void **state)
{
	char names[2][64];
	struct sdnotify n;

	(void)state;
	snprintf(names[0], sizeof(names[0]), "/tmp/mqttgw-sdn-%d.sock", (int)getpid());
	snprintf(names[1], sizeof(names[1]), "@mqttgw-sdn-test-%d", (int)getpid());
	for (int i = 0; i < 2; i++) {
		int rx = open_pair(names[i], &n);

		assert_int_equal(sdnotify_send(&n, "READY=1\nSTATUS=Serving %d listener%s", 2, "s"),
				 0);
		assert_string_equal(next_msg(rx), "READY=1\nSTATUS=Serving 2 listeners");
		assert_string_equal(next_msg(rx), "");
		sdnotify_fini(&n);
		assert_int_equal(n.fd, -1);
		close(rx);
	}
	unlink(names[0]);
}

static void test_send_errors(void **state)
{
	char path[64], big[1500];
	struct sdnotify n;
	int rx;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/mqttgw-sdn-err-%d.sock", (int)getpid());
	rx = open_pair(path, &n);
	/* a notification larger than one datagram may carry is refused, not cut */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sdnotify_send(&n, "STATUS=%s", big), -EMSGSIZE);
	assert_string_equal(next_msg(rx), "");
	/* the manager went away: an error for the caller, never a signal or a block */
	close(rx);
	unlink(path);
	assert_true(sdnotify_send(&n, "WATCHDOG=1") < 0);
	sdnotify_fini(&n);
}

static void test_init_from_env(void **state)
{
	char name[64], pid[16];
	struct sdnotify n;
	int rx;

	(void)state;
	snprintf(name, sizeof(name), "@mqttgw-sdn-env-%d", (int)getpid());
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	rx = receiver(name);
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "3000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_init(&n), 0);
	assert_int_equal(n.watchdog_usec, 3000000);
	assert_int_equal(sdnotify_watchdog_period_ms(&n), 1500);
	sdnotify_fini(&n);
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(sdnotify_init(&n), 0);
	assert_int_equal(n.watchdog_usec, 0);
	sdnotify_fini(&n);
	/* a watchdog without a socket to ping is no watchdog */
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_init(&n), 0);
	assert_int_equal(n.fd, -1);
	assert_int_equal(sdnotify_watchdog_period_ms(&n), 0);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	close(rx);
}

/* 20 ms interval: a ping every 10 ms, the first at once: ~105 ms of loop gives at most 12. */
static void test_watchdog_timer(void **state)
{
	char name[64];
	struct sdnotify n;
	struct loop *l = loop_new();
	int rx, pings = 0;
	int64_t end;

	(void)state;
	assert_non_null(l);
	snprintf(name, sizeof(name), "@mqttgw-sdn-wd-%d", (int)getpid());
	rx = open_pair(name, &n);
	n.watchdog_usec = 20000;
	assert_int_equal(sdnotify_watchdog_period_ms(&n), 10);
	assert_int_equal(sdnotify_watchdog_start(&n, l), 0);
	end = loop_now_us() + 105000;
	while (loop_now_us() < end)
		assert_int_equal(loop_run_once(l, 5), 0);
	while (!strcmp(next_msg(rx), "WATCHDOG=1"))
		pings++;
	assert_in_range(pings, 3, 12); /* late under load, never early */
	/* fini stops the timer: no more pings */
	sdnotify_fini(&n);
	end = loop_now_us() + 30000;
	while (loop_now_us() < end)
		assert_int_equal(loop_run_once(l, 5), 0);
	assert_string_equal(next_msg(rx), "");
	/* a sub-millisecond interval still gets a 1 ms period, never 0 (a busy loop) */
	assert_int_equal(sdnotify_open(&n, name), 0);
	n.watchdog_usec = 1500;
	assert_int_equal(sdnotify_watchdog_period_ms(&n), 1);
	sdnotify_fini(&n);
	close(rx);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_watchdog_parse), cmocka_unit_test(test_off),
	    cmocka_unit_test(test_bad_address),	   cmocka_unit_test(test_socket_forms),
	    cmocka_unit_test(test_send_errors),	   cmocka_unit_test(test_init_from_env),
	    cmocka_unit_test(test_watchdog_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
