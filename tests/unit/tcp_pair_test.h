/* SPDX-License-Identifier: MIT */
/*
 * A connected loopback TCP pair for tests that drive a real conn from the other end: *a is
 * non-blocking (for conn), *b blocking with TCP_NODELAY (the test's peer: each write its own
 * segment). Include after <cmocka.h>.
 */
#ifndef MQTTGW_TEST_TCP_PAIR_H
#define MQTTGW_TEST_TCP_PAIR_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void tcp_pair(int *a, int *b)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	*b = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*b, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*a = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
	assert_true(*a >= 0);
	setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	close(ls);
}

#endif
