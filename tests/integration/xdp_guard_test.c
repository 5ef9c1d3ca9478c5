// SPDX-License-Identifier: MIT
/*
 * xdp-guard-test: the XDP guard's loader without the daemon, for tests/integration/t_xdp_*.sh.
 *
 *   xdp-guard-test guard [-p PORT]... [-r RATE] [-b BURST] [-P PINDIR] IFNAME:MODE...
 *       load, attach to each IFNAME (MODE native|generic|auto), print "> attached IF MODE"
 *       per interface and "> ready", then serve one command per stdin line, one "> ..."
 *       reply line each: allow CIDR | deny CIDR | undeny CIDR | ban ADDR SECONDS |
 *       unban ADDR | expire | bans | counters | attach IF MODE | detach IF | quit.
 *       Errors reply "> err -ERRNO text". EOF or quit: detach and exit 0.
 *   xdp-guard-test flood DST PORT SECONDS
 *       raw-socket SYN generator (IPv4 or IPv6 by DST): SYNs from the local address to
 *       DST:PORT with a new source port each, as fast as it can for SECONDS; prints the
 *       count sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xdp_guard.h"

#define MAX_PORTS 16

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	va_list ap;

	fputs("> ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static int reply_rc(int rc)
{
	if (rc < 0)
		reply("err %d %s", rc, strerror(-rc));
	else
		reply("ok %d", rc);
	return rc;
}

/* An address (no prefix) into a sockaddr. */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int cmd_cidr(struct xdp_guard *g, enum xdp_guard_list list, bool del, const char *arg)
{
	struct xdp_guard_cidr c;
	int r = xdp_guard_parse_cidr(arg, &c);

	if (r)
		return r;
	return del ? xdp_guard_cidr_del(g, list, &c) : xdp_guard_cidr_add(g, list, &c);
}

static int cmd_attach(struct xdp_guard *g, const char *ifname, const char *mode_s,
		      enum xdp_guard_mode *took)
{
	enum xdp_guard_mode mode;
	int r = xdp_guard_parse_mode(mode_s, &mode);

	return r ? r : xdp_guard_attach(g, ifname, mode, took);
}

static void cmd_counters(struct xdp_guard *g)
{
	struct xdp_guard_counters c;
	char line[512];
	size_t n = 0;
	unsigned int i;
	int r = xdp_guard_counters(g, &c);

	if (r) {
		reply_rc(r);
		return;
	}
	for (i = 0; i < XDP_R_NR; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s=%llu", i ? " " : "",
				      xdp_guard_reason_name(i), (unsigned long long)c.pkts[i]);
	reply("%s", line);
}

static int serve(struct xdp_guard *g)
{
	char line[256], a[128], b[128], verb[32];
	enum xdp_guard_mode took;
	struct sockaddr_storage ss;
	int n, r;

	reply("ready");
	while (fgets(line, sizeof(line), stdin)) {
		a[0] = b[0] = '\0';
		n = sscanf(line, "%31s %127s %127s", verb, a, b);
		if (n < 1)
			continue;
		if (!strcmp(verb, "quit"))
			break;
		if (!strcmp(verb, "counters")) {
			cmd_counters(g);
			continue;
		}
		if (!strcmp(verb, "allow") && n == 2)
			r = cmd_cidr(g, XDP_GUARD_ALLOW, false, a);
		else if (!strcmp(verb, "deny") && n == 2)
			r = cmd_cidr(g, XDP_GUARD_DENY, false, a);
		else if (!strcmp(verb, "undeny") && n == 2)
			r = cmd_cidr(g, XDP_GUARD_DENY, true, a);
		else if (!strcmp(verb, "ban") && n == 3 && !parse_addr(a, &ss))
			r = xdp_guard_ban(g, (struct sockaddr *)&ss,
					  xdp_guard_now_ns() +
					      strtoull(b, NULL, 10) * 1000000000ull);
		else if (!strcmp(verb, "unban") && n == 2 && !parse_addr(a, &ss))
			r = xdp_guard_unban(g, (struct sockaddr *)&ss);
		else if (!strcmp(verb, "expire"))
			r = xdp_guard_expire(g, xdp_guard_now_ns());
		else if (!strcmp(verb, "bans"))
			r = xdp_guard_ban_count(g);
		else if (!strcmp(verb, "attach") && n == 3)
			r = cmd_attach(g, a, b, &took);
		else if (!strcmp(verb, "detach") && n == 2)
			r = xdp_guard_detach(g, a);
		else
			r = -EINVAL;
		if (!r && !strcmp(verb, "attach"))
			reply("ok 0 %s", xdp_guard_mode_name(took));
		else
			reply_rc(r);
	}
	return 0;
}

static int guard_main(int argc, char **argv)
{
	struct xdp_guard_opts o = {0};
	enum xdp_guard_mode took;
	uint16_t ports[MAX_PORTS];
	struct xdp_guard *g;
	char err[256], *mode;
	int opt, i, r;

	while ((opt = getopt(argc, argv, "p:r:b:P:")) != -1) {
		if (opt == 'p' && o.nports < MAX_PORTS)
			ports[o.nports++] = (uint16_t)atoi(optarg);
		else if (opt == 'r')
			o.syn_rate = (uint32_t)atoi(optarg);
		else if (opt == 'b')
			o.syn_burst = (uint32_t)atoi(optarg);
		else if (opt == 'P')
			o.pin_dir = optarg;
		else
			return 2;
	}
	o.ports = ports;
	r = xdp_guard_new(&g, &o, err, sizeof(err));
	if (r) {
		fprintf(stderr, "xdp-guard-test: %s\n", err);
		return 1;
	}
	for (i = optind; i < argc; i++) {
		mode = strchr(argv[i], ':');
		if (mode)
			*mode++ = '\0';
		r = cmd_attach(g, argv[i], mode ? mode : "auto", &took);
		if (!r)
			reply("attached %s %s", argv[i], xdp_guard_mode_name(took));
		if (r) {
			fprintf(stderr, "xdp-guard-test: attach %s: %s\n", argv[i], strerror(-r));
			xdp_guard_free(g);
			return 1;
		}
	}
	r = serve(g);
	xdp_guard_free(g);
	return r;
}

/* ---- the SYN generator ---- */

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static int flood_main(int argc, char **argv)
{
	struct sockaddr_storage dst, src;
	socklen_t sl = sizeof(src);
	uint8_t th[20] = {0};
	unsigned long long sent = 0;
	uint16_t port, sport = 1024;
	int fd, probe, fam, off = 16;
	time_t end;

	if (argc != 4 || parse_addr(argv[1], &dst))
		return 2;
	fam = dst.ss_family;
	port = (uint16_t)atoi(argv[2]);
	end = time(NULL) + atoi(argv[3]);
	((struct sockaddr_in *)&dst)->sin_port = 0; /* same offset in sockaddr_in6 */
	/* The source address the kernel would pick, for the IPv4 pseudo-header checksum. */
	probe = socket(fam, SOCK_DGRAM, 0);
	((struct sockaddr_in *)&dst)->sin_port = htons(port);
	if (probe < 0 || connect(probe, (struct sockaddr *)&dst, sizeof(dst)) ||
	    getsockname(probe, (struct sockaddr *)&src, &sl)) {
		perror("flood: source address");
		return 1;
	}
	close(probe);
	((struct sockaddr_in *)&dst)->sin_port = 0;
	fd = socket(fam, SOCK_RAW, IPPROTO_TCP);
	/* IPv6 raw sockets fill in the checksum at the offset we name. */
	if (fd < 0 ||
	    (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)))) {
		perror("flood: raw socket");
		return 1;
	}
	th[2] = (uint8_t)(port >> 8);
	th[3] = (uint8_t)port;
	th[12] = 5 << 4;
	th[13] = 0x02; /* SYN */
	th[14] = 0xff;
	th[15] = 0xff;
	while (time(NULL) < end) {
		uint32_t sum;
		int k;

		for (k = 0; k < 256; k++) {
			if (++sport < 1024)
				sport = 1024;
			th[0] = (uint8_t)(sport >> 8);
			th[1] = (uint8_t)sport;
			th[4] = (uint8_t)k;
			th[16] = th[17] = 0;
			if (fam == AF_INET) {
				sum = csum_add(0, &((struct sockaddr_in *)&src)->sin_addr, 4);
				sum = csum_add(sum, &((struct sockaddr_in *)&dst)->sin_addr, 4);
				sum += IPPROTO_TCP + sizeof(th);
				sum = csum_add(sum, th, sizeof(th));
				sum = csum_fold(sum);
				th[16] = (uint8_t)(sum >> 8);
				th[17] = (uint8_t)sum;
			}
			if (sendto(fd, th, sizeof(th), 0, (struct sockaddr *)&dst,
				   fam == AF_INET ? sizeof(struct sockaddr_in)
						  : sizeof(struct sockaddr_in6)) == sizeof(th))
				sent++;
		}
	}
	printf("%llu\n", sent);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "guard"))
		return guard_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "flood"))
		return flood_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: xdp-guard-test guard [-p PORT]... [-r RATE] [-b BURST] "
			"[-P PINDIR] IFNAME:MODE...\n"
			"       xdp-guard-test flood DST PORT SECONDS\n");
	return 2;
}
