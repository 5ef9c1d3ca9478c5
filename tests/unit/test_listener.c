/* SPDX-License-Identifier: MIT */
/* listener: set_tcp_nodelay decides TCP_NODELAY on accepted sockets (issue #16). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"
#include "loop.h"

static int accepted_nodelay = -1;

static void on_accept(struct listener *ls, int fd, const char *peer, void *ctx)
{
	socklen_t len = sizeof(accepted_nodelay);

	(void)ls;
	(void)peer;
	(void)ctx;
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &accepted_nodelay, &len), 0);
	close(fd);
}

/* Accept one connection on a fresh loopback listener; TCP_NODELAY of the accepted socket. */
static int accept_one(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct loop *l = loop_new();
	struct listener *ls;
	char err[256];
	int c;

	assert_non_null(l);
	ls = listener_new(l, 0, "127.0.0.1", 0, on_accept, NULL, err, sizeof(err));
	assert_non_null(ls);
	sa.sin_port = htons(listener_port(ls));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	accepted_nodelay = -1;
	for (int i = 0; i < 50 && accepted_nodelay < 0; i++)
		loop_run_once(l, 100);
	close(c);
	listener_free(ls);
	loop_free(l);
	return accepted_nodelay;
}

static void test_tcp_nodelay(void **state)
{
	(void)state;
	assert_int_not_equal(accept_one(), 0); /* default: on */
	listener_set_tcp_nodelay(false);
	assert_int_equal(accept_one(), 0);
	listener_set_tcp_nodelay(true);
	assert_int_not_equal(accept_one(), 0);
}

/* socket_domain: the family of the one listening socket, and IPv6-only for ipv6 */
static void test_socket_domain(void **state)
{
	static const struct {
		int family;
		const char *addr;
		int want_family, want_v6only; /* want_family 0: refused */
	} cases[] = {
	    {0, NULL, AF_INET6, 0},	   /* dual-stack */
	    {AF_INET, NULL, AF_INET, -1},  /* 0.0.0.0 */
	    {AF_INET6, NULL, AF_INET6, 1}, /* :: only */
	    {AF_INET, "127.0.0.1", AF_INET, -1},
	    {AF_INET6, "127.0.0.1", 0, 0}, /* the other family: no listener */
	};
	struct loop *l = loop_new();
	char err[256];

	(void)state;
	assert_non_null(l);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct listener *ls = listener_new(l, cases[i].family, cases[i].addr, 0, on_accept,
						   NULL, err, sizeof(err));
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int v6only = -1;
		socklen_t ol = sizeof(v6only);

		if (!cases[i].want_family) {
			assert_null(ls);
			assert_non_null(strstr(err, "socket_domain ipv6"));
			continue;
		}
		assert_non_null(ls);
		assert_int_equal(getsockname(listener_fd(ls), (struct sockaddr *)&ss, &sl), 0);
		assert_int_equal(ss.ss_family, cases[i].want_family);
		if (ss.ss_family == AF_INET6)
			assert_int_equal(
			    getsockopt(listener_fd(ls), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &ol),
			    0);
		assert_int_equal(v6only, cases[i].want_v6only);
		listener_free(ls);
	}
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_nodelay),
	    cmocka_unit_test(test_socket_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
