/* SPDX-License-Identifier: MIT */
/*
 * bridge_dns: resolve a host name without blocking the event loop. One detached thread per
 * lookup runs getaddrinfo() and posts back through an eventfd; the request is shared by the
 * thread and the bridge with a reference count, so a bridge that gives up (stop, shutdown)
 * just drops its reference and the thread frees the request when the lookup ends.
 * Why not getaddrinfo_a(): see include/bridge.h.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bridge_int.h"

struct bridge_dns {
	atomic_int refs;
	int efd;
	int gai; /* getaddrinfo's result */
	struct addrinfo *res;
	char port[8];
	char host[];
};

static void dns_unref(struct bridge_dns *d)
{
	if (atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	if (d->res)
		freeaddrinfo(d->res);
	close(d->efd);
	free(d);
}

static void *dns_thread(void *arg)
{
	struct bridge_dns *d = arg;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	uint64_t one = 1;

	d->gai = getaddrinfo(d->host, d->port, &hints, &d->res);
	/* the eventfd write publishes res/gai to the loop thread (a syscall is a full barrier) */
	if (write(d->efd, &one, sizeof(one)) < 0) {
		/* cannot happen with a counter far from its maximum */
	}
	dns_unref(d);
	return NULL;
}

struct bridge_dns *bridge_dns_start(const char *host, uint16_t port)
{
	size_t n = strlen(host);
	struct bridge_dns *d = calloc(1, sizeof(*d) + n + 1);
	pthread_attr_t attr;
	pthread_t th;
	int ret;

	if (!d)
		return NULL;
	memcpy(d->host, host, n + 1);
	snprintf(d->port, sizeof(d->port), "%u", port);
	d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->efd < 0) {
		free(d);
		return NULL;
	}
	atomic_init(&d->refs, 2);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	ret = pthread_create(&th, &attr, dns_thread, d);
	pthread_attr_destroy(&attr);
	if (ret) {
		close(d->efd);
		free(d);
		errno = ret;
		return NULL;
	}
	return d;
}

int bridge_dns_fd(const struct bridge_dns *d)
{
	return d->efd;
}

int bridge_dns_result(struct bridge_dns *d, struct sockaddr_storage *ss, socklen_t *len,
		      const char **why)
{
	const struct addrinfo *a;

	*why = NULL;
	if (d->gai) {
		*why = gai_strerror(d->gai);
		return -EHOSTUNREACH;
	}
	for (a = d->res; a; a = a->ai_next)
		if (a->ai_family == AF_INET || a->ai_family == AF_INET6)
			break;
	if (!a || a->ai_addrlen > sizeof(*ss)) {
		*why = "no IPv4 or IPv6 address";
		return -EHOSTUNREACH;
	}
	memcpy(ss, a->ai_addr, a->ai_addrlen);
	*len = a->ai_addrlen;
	return 0;
}

void bridge_dns_free(struct bridge_dns *d)
{
	if (d)
		dns_unref(d);
}
