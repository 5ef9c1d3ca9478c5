// SPDX-License-Identifier: MIT
/*
 * xdp_guard tests: the XDP program through BPF_PROG_TEST_RUN (packet in, verdict and counter
 * out, katran's fixture style) with its maps driven by the loader's API, plus the loader's
 * pure parsers and the pinned ban map.
 *
 * Each fixture is built by pkt_build() from a spec (VLAN tags, IPv4 options, IPv6 extension
 * headers, fragments, truncation) and run once; expect() checks the verdict and that exactly
 * the named reason's counter rose by one, so every case proves which stage decided.
 *
 * Needs root and a kernel with XDP: otherwise exits 77 (skip), or 1 when
 * MQTTGW_REQUIRE_BPF=1. The parser tests run everywhere.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#ifdef MQTTGW_FASTPATH
#include <bpf/bpf.h>
#endif

#include "xdp_guard.h"

#define PORT	   1883
#define PORT_TLS   8883
#define OTHER_PORT 22

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* Without BPF (FASTPATH=0) only the parsers are tested; the rest needs libbpf. */
#ifdef MQTTGW_FASTPATH
static struct xdp_guard *g_xg;
/* ---- fixtures: packet builder ---- */

struct pkt_spec {
	uint16_t ethertype; /* 0: IPv4 or IPv6 by src */
	int vlans;	    /* 802.1Q tags; 2 and more: the first is an 802.1ad S-tag */
	const char *src;    /* source address */
	uint8_t l4;	    /* 0: TCP */
	uint16_t dport;
	uint8_t flags;	  /* TCP flags */
	uint8_t doff;	  /* TCP data offset, 0: 5 */
	int ip_opt_words; /* IPv4 options (NOPs), in 32-bit words */
	uint8_t ihl;	  /* IPv4 IHL, 0: from the options */
	uint16_t frag;	  /* IPv4 frag_off field, or the IPv6 fragment header's */
	uint8_t exts[12]; /* IPv6 extension headers in order */
	int nexts;
	size_t cut; /* truncate to this many bytes (0: whole) */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Extension header of type t at p, followed by next; returns its length. */
static size_t put_ext(uint8_t *p, uint8_t t, uint8_t next, uint16_t frag)
{
	p[0] = next;
	if (t == 44) { /* fragment: offset and M flag in frag */
		put16(p + 2, frag);
		return 8;
	}
	if (t == 51) { /* AH: length in 4-byte units minus 2 */
		p[1] = 4;
		return 24;
	}
	p[1] = 1; /* 16 bytes: PadN options fill it */
	p[2] = 1;
	p[3] = 12;
	return 16;
}

static size_t pkt_build(const struct pkt_spec *s, uint8_t *b, size_t cap)
{
	bool v6 = strchr(s->src, ':') != NULL;
	uint8_t l4 = s->l4 ? s->l4 : IPPROTO_TCP, *ip;
	size_t n = 12, hl, l4off;
	int i;

	memset(b, 0, cap);
	memset(b, 0x02, 12);
	for (i = 0; i < s->vlans; i++, n += 4) {
		put16(b + n, i == 0 && s->vlans > 1 ? 0x88a8 : 0x8100);
		put16(b + n + 2, (uint16_t)(100 + i));
	}
	put16(b + n, s->ethertype ? s->ethertype : v6 ? 0x86dd : 0x0800);
	n += 2;
	if (s->ethertype && s->ethertype != 0x0800 && s->ethertype != 0x86dd)
		return s->cut ? s->cut : n + 46;
	ip = b + n;
	if (!v6) {
		hl = 20 + (size_t)s->ip_opt_words * 4;
		ip[0] = (uint8_t)(0x40 | (s->ihl ? s->ihl : hl / 4));
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = l4;
		assert_int_equal(inet_pton(AF_INET, s->src, ip + 12), 1);
		inet_pton(AF_INET, "10.9.9.9", ip + 16);
		memset(ip + 20, 1, hl - 20); /* NOP options */
	} else {
		ip[0] = 0x60;
		ip[6] = s->nexts ? s->exts[0] : l4;
		ip[7] = 64;
		assert_int_equal(inet_pton(AF_INET6, s->src, ip + 8), 1);
		inet_pton(AF_INET6, "2001:db8:ffff::9", ip + 24);
		hl = 40;
		for (i = 0; i < s->nexts; i++)
			hl += put_ext(ip + hl, s->exts[i], i + 1 < s->nexts ? s->exts[i + 1] : l4,
				      s->frag);
	}
	l4off = n + hl;
	put16(b + l4off, 40000);
	put16(b + l4off + 2, s->dport);
	if (l4 == IPPROTO_TCP) {
		b[l4off + 12] = (uint8_t)((s->doff ? s->doff : 5) << 4);
		b[l4off + 13] = s->flags;
		n = l4off + 20;
	} else {
		n = l4off + 12;
	}
	if (v6)
		put16(ip + 4, (uint16_t)(n - (size_t)(ip - b) - 40));
	else
		put16(ip + 2, (uint16_t)(n - (size_t)(ip - b)));
	assert_true(n <= cap);
	return s->cut ? s->cut : n;
}

/* ---- fixtures: run and expect ---- */

static uint64_t counter(unsigned int reason)
{
	struct xdp_guard_counters c;

	assert_int_equal(xdp_guard_counters(g_xg, &c), 0);
	return c.pkts[reason];
}

/* Run the program on the packet `repeat` times; returns its verdict. */
static int run(const struct pkt_spec *s, int repeat)
{
	uint8_t b[512];
	size_t len = pkt_build(s, b, sizeof(b));
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = b, .data_size_in = (uint32_t)len,
		    .repeat = repeat);

	assert_int_equal(bpf_prog_test_run_opts(xdp_guard_prog_fd(g_xg), &o), 0);
	return (int)o.retval;
}

#define expect(spec, verdict, reason) expect_at(spec, verdict, reason, __LINE__)

static void expect_at(const struct pkt_spec *s, int verdict, unsigned int reason, int line)
{
	struct xdp_guard_counters before, after;
	unsigned int r;
	int v;

	assert_int_equal(xdp_guard_counters(g_xg, &before), 0);
	v = run(s, 1);
	assert_int_equal(xdp_guard_counters(g_xg, &after), 0);
	for (r = 0; r < XDP_R_NR; r++) {
		if (after.pkts[r] - before.pkts[r] != (r == reason)) {
			fail_msg("line %d: counter %s rose by %llu (expected reason %s)", line,
				 xdp_guard_reason_name(r),
				 (unsigned long long)(after.pkts[r] - before.pkts[r]),
				 xdp_guard_reason_name(reason));
		}
	}
	if (v != verdict)
		fail_msg("line %d: verdict %d, expected %d (%s)", line, v, verdict,
			 xdp_guard_reason_name(reason));
}

static void cidr(enum xdp_guard_list list, const char *s)
{
	struct xdp_guard_cidr c;

	assert_int_equal(xdp_guard_parse_cidr(s, &c), 0);
	assert_int_equal(xdp_guard_cidr_add(g_xg, list, &c), 0);
}

static int reset(void **state)
{
	(void)state;
	assert_int_equal(xdp_guard_cidr_clear(g_xg, XDP_GUARD_ALLOW), 0);
	assert_int_equal(xdp_guard_cidr_clear(g_xg, XDP_GUARD_DENY), 0);
	assert_int_equal(xdp_guard_set_syn_rate(g_xg, 0, 0), 0);
	return 0;
}

/* ---- what is not ours passes ---- */

static void test_not_ours_passes(void **state)
{
	(void)state;
	/* Every source below is denied: only the parser may let them through. */
	cidr(XDP_GUARD_DENY, "0.0.0.0/0");
	cidr(XDP_GUARD_DENY, "::/0");
	expect(&((struct pkt_spec){.ethertype = 0x88cc, .src = "1.2.3.4"}), XDP_PASS,
	       XDP_R_NOT_IP); /* LLDP */
	expect(&((struct pkt_spec){.ethertype = 0x0806, .src = "1.2.3.4"}), XDP_PASS,
	       XDP_R_NOT_IP); /* ARP */
	expect(&((struct pkt_spec){.src = "1.2.3.4", .l4 = IPPROTO_UDP, .dport = PORT}), XDP_PASS,
	       XDP_R_NOT_TCP);
	expect(&((struct pkt_spec){.src = "2001:db8::1", .l4 = IPPROTO_UDP, .dport = PORT}),
	       XDP_PASS, XDP_R_NOT_TCP);
	expect(&((struct pkt_spec){.src = "2001:db8::1", .l4 = 58, .dport = PORT}), XDP_PASS,
	       XDP_R_NOT_TCP); /* ICMPv6 */
	expect(&((struct pkt_spec){.src = "1.2.3.4", .dport = OTHER_PORT, .flags = TCP_SYN}),
	       XDP_PASS, XDP_R_OTHER_PORT);
	expect(&((struct pkt_spec){.src = "2001:db8::1", .dport = OTHER_PORT, .flags = TCP_SYN}),
	       XDP_PASS, XDP_R_OTHER_PORT);
	/* ... and to the guarded ports they are judged (both ports). */
	expect(&((struct pkt_spec){.src = "1.2.3.4", .dport = PORT, .flags = TCP_SYN}), XDP_DROP,
	       XDP_R_DENIED);
	expect(&((struct pkt_spec){.src = "2001:db8::1", .dport = PORT_TLS, .flags = TCP_ACK}),
	       XDP_DROP, XDP_R_DENIED);
}

/* ---- SYN rate per source ---- */

static void syn_burst(const char *src, const char *same_bucket, const char *other)
{
	struct pkt_spec syn = {.src = src, .dport = PORT, .flags = TCP_SYN};
	struct pkt_spec ack = {.src = src, .dport = PORT, .flags = TCP_ACK};
	struct pkt_spec synack = {.src = src, .dport = PORT, .flags = TCP_SYN | TCP_ACK};
	int i;

	/* 1/s, burst 3: the 4th SYN within 1 s is over the rate (a second, not 100 ms: a test
	 * descheduled for 100 ms on a loaded machine saw a token come back too early) */
	assert_int_equal(xdp_guard_set_syn_rate(g_xg, 1, 3), 0);
	for (i = 0; i < 3; i++)
		expect(&syn, XDP_PASS, XDP_R_PASSED);
	expect(&syn, XDP_DROP, XDP_R_SYN_LIMITED);
	expect(&syn, XDP_DROP, XDP_R_SYN_LIMITED);
	/* only a connection attempt counts: the source's other segments pass */
	expect(&ack, XDP_PASS, XDP_R_PASSED);
	expect(&synack, XDP_PASS, XDP_R_PASSED);
	syn.src = same_bucket;
	expect(&syn, XDP_DROP, XDP_R_SYN_LIMITED);
	/* another source has its own bucket */
	syn.src = other;
	expect(&syn, XDP_PASS, XDP_R_PASSED);
	/* one interval later one more SYN conforms, the next does not (unless 900 ms more passed) */
	usleep(1100 * 1000);
	syn.src = src;
	expect(&syn, XDP_PASS, XDP_R_PASSED);
	expect(&syn, XDP_DROP, XDP_R_SYN_LIMITED);
	/* the limit off: everything passes */
	assert_int_equal(xdp_guard_set_syn_rate(g_xg, 0, 0), 0);
	expect(&syn, XDP_PASS, XDP_R_PASSED);
}

static void test_syn_limit_v4(void **state)
{
	(void)state;
	syn_burst("198.51.100.10", "198.51.100.10", "198.51.100.11");
}

static void test_syn_limit_v6(void **state)
{
	(void)state;
	/* IPv6 sources share a bucket per /64 */
	syn_burst("2001:db8:10:1::1", "2001:db8:10:1::2", "2001:db8:10:2::1");
}

/* ---- L2: VLAN and QinQ ---- */

static void test_vlan(void **state)
{
	struct pkt_spec s = {.src = "203.0.113.5", .dport = PORT, .flags = TCP_SYN};

	(void)state;
	cidr(XDP_GUARD_DENY, "203.0.113.0/24");
	cidr(XDP_GUARD_DENY, "2001:db8:66::/48");
	s.vlans = 1;
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.vlans = 2;
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.src = "2001:db8:66::5";
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.dport = OTHER_PORT;
	expect(&s, XDP_PASS, XDP_R_OTHER_PORT);
	/* a third tag is beyond what we parse: not ours */
	s.vlans = 3;
	s.dport = PORT;
	expect(&s, XDP_PASS, XDP_R_NOT_IP);
	/* a tag cut short */
	s.vlans = 1;
	s.cut = 16;
	expect(&s, XDP_PASS, XDP_R_UNPARSED);
}

/* ---- L3: IPv4 options, IPv6 extension headers, fragments ---- */

static void test_ipv4_options(void **state)
{
	struct pkt_spec s = {.src = "203.0.113.7", .dport = PORT, .flags = TCP_SYN};

	(void)state;
	cidr(XDP_GUARD_DENY, "203.0.113.7");
	s.ip_opt_words = 1;
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.ip_opt_words = 10; /* IHL 15, the largest */
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.dport = OTHER_PORT; /* the port is read after the options */
	expect(&s, XDP_PASS, XDP_R_OTHER_PORT);
	s.ip_opt_words = 0;
	s.ihl = 4; /* invalid: the stack drops it */
	s.dport = PORT;
	expect(&s, XDP_PASS, XDP_R_UNPARSED);
}

static void test_ipv4_fragments(void **state)
{
	struct pkt_spec s = {.src = "203.0.113.8", .dport = PORT, .flags = TCP_SYN};

	(void)state;
	cidr(XDP_GUARD_DENY, "203.0.113.8");
	/* first fragment (MF, offset 0): judged */
	s.frag = 0x2000;
	expect(&s, XDP_DROP, XDP_R_DENIED);
	/* a non-first fragment has no TCP header: passes */
	s.frag = 0x2000 | 185;
	expect(&s, XDP_PASS, XDP_R_FRAGMENT);
	s.frag = 3;
	expect(&s, XDP_PASS, XDP_R_FRAGMENT);
	/* a first fragment with a cut TCP header to our port (RFC 1858 tiny fragment) */
	xdp_guard_cidr_clear(g_xg, XDP_GUARD_DENY);
	s.frag = 0x2000;
	s.cut = 14 + 20 + 8;
	expect(&s, XDP_DROP, XDP_R_MALFORMED);
}

static void test_ipv6_extension_headers(void **state)
{
	struct pkt_spec s = {.src = "2001:db8:77::1", .dport = PORT, .flags = TCP_SYN};
	int i;

	(void)state;
	cidr(XDP_GUARD_DENY, "2001:db8:77::/64");
	/* hop-by-hop, destination options */
	s.nexts = 2;
	s.exts[0] = 0;
	s.exts[1] = 60;
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.dport = OTHER_PORT;
	expect(&s, XDP_PASS, XDP_R_OTHER_PORT);
	/* hop-by-hop, routing, AH, fragment (first), destination options */
	s.dport = PORT;
	s.nexts = 5;
	memcpy(s.exts, (uint8_t[]){0, 43, 51, 44, 60}, 5);
	s.frag = 1; /* offset 0, M set */
	expect(&s, XDP_DROP, XDP_R_DENIED);
	/* a non-first fragment */
	s.frag = 8 << 3;
	expect(&s, XDP_PASS, XDP_R_FRAGMENT);
	/* 8 extension headers are walked, a 9th is a chain too long to judge */
	s.frag = 0;
	s.nexts = 8;
	for (i = 0; i < 8; i++)
		s.exts[i] = 60;
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.nexts = 9;
	s.exts[8] = 60;
	expect(&s, XDP_DROP, XDP_R_MALFORMED);
	/* an extension header cut short */
	s.nexts = 1;
	s.cut = 14 + 40 + 4;
	expect(&s, XDP_PASS, XDP_R_UNPARSED);
	/* ESP: opaque, passes */
	s.cut = 0;
	s.l4 = 50;
	s.nexts = 0;
	expect(&s, XDP_PASS, XDP_R_NOT_TCP);
}

/* ---- truncated and malformed headers ---- */

static void test_truncated(void **state)
{
	struct pkt_spec s = {.src = "198.51.100.20", .dport = PORT, .flags = TCP_SYN};

	(void)state;
	/* Ethernet header alone (the test run's minimum), IP header cut */
	s.cut = 14;
	expect(&s, XDP_PASS, XDP_R_UNPARSED);
	s.cut = 14 + 19;
	expect(&s, XDP_PASS, XDP_R_UNPARSED);
	s.src = "2001:db8::20";
	s.cut = 14 + 39;
	expect(&s, XDP_PASS, XDP_R_UNPARSED);
	/* TCP header without its ports: cannot be ours for sure, the stack drops it */
	s.src = "198.51.100.20";
	s.cut = 14 + 20 + 3;
	expect(&s, XDP_PASS, XDP_R_UNPARSED);
	/* ports there, to our port, header cut: malformed */
	s.cut = 14 + 20 + 19;
	expect(&s, XDP_DROP, XDP_R_MALFORMED);
	s.src = "2001:db8::20";
	s.cut = 14 + 40 + 10;
	expect(&s, XDP_DROP, XDP_R_MALFORMED);
	/* ... to another port: not ours */
	s.dport = OTHER_PORT;
	expect(&s, XDP_PASS, XDP_R_OTHER_PORT);
	/* data offset below 5 or past the end */
	s.cut = 0;
	s.dport = PORT;
	s.doff = 4;
	expect(&s, XDP_DROP, XDP_R_MALFORMED);
	s.doff = 6;
	expect(&s, XDP_DROP, XDP_R_MALFORMED);
	s.src = "198.51.100.20";
	expect(&s, XDP_DROP, XDP_R_MALFORMED);
}

/* ---- lists ---- */

static void test_allow_beats_deny(void **state)
{
	struct pkt_spec s = {.src = "10.1.2.3", .dport = PORT, .flags = TCP_SYN};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct xdp_guard_cidr c;

	(void)state;
	cidr(XDP_GUARD_DENY, "10.1.0.0/16");
	cidr(XDP_GUARD_ALLOW, "10.1.2.3/32");
	cidr(XDP_GUARD_DENY, "2001:db8:5::/48");
	cidr(XDP_GUARD_ALLOW, "2001:db8:5:1::/64");
	expect(&s, XDP_PASS, XDP_R_ALLOWED);
	s.src = "10.1.2.4";
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.src = "2001:db8:5:1::7";
	expect(&s, XDP_PASS, XDP_R_ALLOWED);
	s.src = "2001:db8:5:2::7";
	expect(&s, XDP_DROP, XDP_R_DENIED);
	/* ... and beats a ban and the SYN limit */
	inet_pton(AF_INET, "10.1.2.3", &sa.sin_addr);
	assert_int_equal(xdp_guard_ban(g_xg, (struct sockaddr *)&sa, UINT64_MAX), 0);
	assert_int_equal(xdp_guard_set_syn_rate(g_xg, 1, 1), 0);
	s.src = "10.1.2.3";
	expect(&s, XDP_PASS, XDP_R_ALLOWED);
	expect(&s, XDP_PASS, XDP_R_ALLOWED);
	assert_int_equal(xdp_guard_unban(g_xg, (struct sockaddr *)&sa), 0);
	assert_int_equal(xdp_guard_unban(g_xg, (struct sockaddr *)&sa), -ENOENT);
	/* removing the allow entry lets the deny apply */
	assert_int_equal(xdp_guard_parse_cidr("10.1.2.3", &c), 0);
	assert_int_equal(xdp_guard_cidr_del(g_xg, XDP_GUARD_ALLOW, &c), 0);
	assert_int_equal(xdp_guard_cidr_del(g_xg, XDP_GUARD_ALLOW, &c), -ENOENT);
	expect(&s, XDP_DROP, XDP_R_DENIED);
}

static void test_deny_prefixes(void **state)
{
	struct pkt_spec s = {.src = "192.0.2.77", .dport = PORT, .flags = TCP_ACK};

	(void)state;
	cidr(XDP_GUARD_DENY, "192.0.2.0/24");
	cidr(XDP_GUARD_DENY, "2001:db8:1:2::/64");
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.src = "192.0.2.0";
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.src = "192.0.2.255";
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.src = "192.0.3.1";
	expect(&s, XDP_PASS, XDP_R_PASSED);
	s.src = "192.0.1.255";
	expect(&s, XDP_PASS, XDP_R_PASSED);
	s.src = "2001:db8:1:2::99";
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.src = "2001:db8:1:2:ffff:ffff:ffff:ffff";
	expect(&s, XDP_DROP, XDP_R_DENIED);
	s.src = "2001:db8:1:3::1";
	expect(&s, XDP_PASS, XDP_R_PASSED);
	/* an IPv4 rule never matches IPv6 and the reverse */
	s.src = "::ffff:192.0.2.77";
	expect(&s, XDP_PASS, XDP_R_PASSED);
	/* cleared (a reload): passes */
	assert_int_equal(xdp_guard_cidr_clear(g_xg, XDP_GUARD_DENY), 0);
	s.src = "192.0.2.77";
	expect(&s, XDP_PASS, XDP_R_PASSED);
}

/* ---- bans ---- */

static void test_ban_expiry(void **state)
{
	struct pkt_spec s = {.src = "198.51.100.30", .dport = PORT, .flags = TCP_SYN};
	struct sockaddr_in6 mapped = {.sin6_family = AF_INET6};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct sockaddr other = {.sa_family = AF_UNIX};
	uint64_t now = xdp_guard_now_ns();
	int base = xdp_guard_ban_count(g_xg);

	(void)state;
	assert_true(base >= 0);
	inet_pton(AF_INET, "198.51.100.30", &sa.sin_addr);
	inet_pton(AF_INET6, "::ffff:198.51.100.31", &mapped.sin6_addr);
	inet_pton(AF_INET6, "2001:db8:99::30", &sa6.sin6_addr);
	assert_int_equal(xdp_guard_ban(g_xg, &other, now), -EAFNOSUPPORT);
	/* until now + 150 ms; the v4-mapped form bans the IPv4 address */
	assert_int_equal(xdp_guard_ban(g_xg, (struct sockaddr *)&sa, now + 150000000), 0);
	assert_int_equal(xdp_guard_ban(g_xg, (struct sockaddr *)&mapped, now + 150000000), 0);
	assert_int_equal(xdp_guard_ban(g_xg, (struct sockaddr *)&sa6, now + 150000000), 0);
	assert_int_equal(xdp_guard_ban_count(g_xg), base + 3);
	expect(&s, XDP_DROP, XDP_R_BANNED);
	s.flags = TCP_ACK; /* every segment, not only SYNs */
	expect(&s, XDP_DROP, XDP_R_BANNED);
	s.src = "198.51.100.31";
	expect(&s, XDP_DROP, XDP_R_BANNED);
	s.src = "2001:db8:99::30";
	expect(&s, XDP_DROP, XDP_R_BANNED);
	s.src = "2001:db8:99::31"; /* bans are per address */
	expect(&s, XDP_PASS, XDP_R_PASSED);
	/* nothing expired yet */
	assert_int_equal(xdp_guard_expire(g_xg, xdp_guard_now_ns()), 0);
	/* past the expiry: passes before the daemon deletes anything */
	usleep(160 * 1000);
	s.src = "198.51.100.30";
	expect(&s, XDP_PASS, XDP_R_PASSED);
	s.src = "2001:db8:99::30";
	expect(&s, XDP_PASS, XDP_R_PASSED);
	assert_int_equal(xdp_guard_ban_count(g_xg), base + 3);
	assert_int_equal(xdp_guard_expire(g_xg, xdp_guard_now_ns()), 3);
	assert_int_equal(xdp_guard_ban_count(g_xg), base);
	/* a second ban replaces the first */
	assert_int_equal(xdp_guard_ban(g_xg, (struct sockaddr *)&sa, now), 0);
	assert_int_equal(xdp_guard_ban(g_xg, (struct sockaddr *)&sa, UINT64_MAX), 0);
	s.src = "198.51.100.30";
	expect(&s, XDP_DROP, XDP_R_BANNED);
	assert_int_equal(xdp_guard_unban(g_xg, (struct sockaddr *)&sa), 0);
	expect(&s, XDP_PASS, XDP_R_PASSED);
}

/* Pinned: bans survive the guard (the daemon) and a new one reuses them. */
static void test_ban_pinned(void **state)
{
	char dir[64], path[128], err[256];
	struct xdp_guard_opts o = {.pin_dir = dir};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct xdp_guard *a = NULL, *b = NULL;
	struct stat st;
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/mqttgw-test-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/%s", dir, XDP_PIN_BANS);
	if (stat("/sys/fs/bpf", &st)) {
		skip();
		return;
	}
	inet_pton(AF_INET, "198.51.100.40", &sa.sin_addr);
	assert_int_equal(xdp_guard_new(&a, &o, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(xdp_guard_ban(a, (struct sockaddr *)&sa, UINT64_MAX), 0);
	xdp_guard_free(a);
	assert_int_equal(xdp_guard_new(&b, &o, err, sizeof(err)), 0);
	assert_int_equal(xdp_guard_ban_count(b), 1);
	xdp_guard_free(b);
	/* a pin of another layout is replaced (its bans are lost), not misread */
	unlink(path);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 16, 8, 16, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(xdp_guard_new(&b, &o, err, sizeof(err)), 0);
	assert_int_equal(xdp_guard_ban_count(b), 0);
	assert_int_equal(xdp_guard_ban(b, (struct sockaddr *)&sa, UINT64_MAX), 0);
	xdp_guard_free(b);
	assert_int_equal(xdp_guard_new(&b, &o, err, sizeof(err)), 0);
	assert_int_equal(xdp_guard_ban_count(b), 1);
	xdp_guard_free(b);
	unlink(path);
	rmdir(dir);
}

/* ---- counters ---- */

static void test_counters_sum(void **state)
{
	struct pkt_spec s = {.src = "198.51.100.50", .dport = OTHER_PORT, .flags = TCP_SYN};
	uint64_t before = counter(XDP_R_OTHER_PORT);

	(void)state;
	assert_int_equal(run(&s, 100), XDP_PASS);
	assert_int_equal(counter(XDP_R_OTHER_PORT) - before, 100);
	assert_string_equal(xdp_guard_reason_name(XDP_R_SYN_LIMITED), "syn_limited");
	assert_string_equal(xdp_guard_reason_name(XDP_R_NR), "?");
	/* ports replaced: 22 guarded, 1883 no longer */
	assert_int_equal(xdp_guard_set_ports(g_xg, (uint16_t[]){OTHER_PORT}, 1), 0);
	expect(&s, XDP_PASS, XDP_R_PASSED);
	s.dport = PORT;
	expect(&s, XDP_PASS, XDP_R_OTHER_PORT);
	assert_int_equal(xdp_guard_set_ports(g_xg, (uint16_t[]){PORT, PORT_TLS}, 2), 0);
}

#endif /* MQTTGW_FASTPATH */

/* ---- pure parsers (no BPF needed) ---- */

static void test_parse_cidr(void **state)
{
	struct xdp_guard_cidr c;
	static const char *const bad[] = {
	    "",
	    "10.0.0.0/",
	    "10.0.0.0/33",
	    "10.0.0.1/8",
	    "10.0.0.0/-1",
	    "10.0.0.0/8x",
	    "2001:db8::/129",
	    "2001:db8::1/64",
	    "example.org",
	    "10.0.0.0/ 8",
	    "/8",
	};
	unsigned int i;

	(void)state;
	assert_int_equal(xdp_guard_parse_cidr("10.0.0.0/8", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(c.addr[0], 10);
	assert_int_equal(xdp_guard_parse_cidr("192.0.2.1", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(xdp_guard_parse_cidr("192.0.2.128/25", &c), 0);
	assert_int_equal(xdp_guard_parse_cidr("0.0.0.0/0", &c), 0);
	assert_int_equal(c.prefix, 0);
	assert_int_equal(xdp_guard_parse_cidr("2001:db8::/32", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(c.addr[1], 0x01);
	assert_int_equal(c.addr[3], 0xb8);
	assert_int_equal(xdp_guard_parse_cidr("2001:db8::1", &c), 0);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(xdp_guard_parse_cidr("2001:db8:0:1::/63", &c), -EINVAL);
	assert_int_equal(xdp_guard_parse_cidr("2001:db8:0:2::/63", &c), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (xdp_guard_parse_cidr(bad[i], &c) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

static void test_parse_mode(void **state)
{
	enum xdp_guard_mode m = XDP_GUARD_AUTO;

	(void)state;
	assert_int_equal(xdp_guard_parse_mode("native", &m), 0);
	assert_int_equal(m, XDP_GUARD_NATIVE);
	assert_int_equal(xdp_guard_parse_mode("generic", &m), 0);
	assert_int_equal(m, XDP_GUARD_GENERIC);
	assert_int_equal(xdp_guard_parse_mode("auto", &m), 0);
	assert_int_equal(m, XDP_GUARD_AUTO);
	assert_int_equal(xdp_guard_parse_mode("skb", &m), -EINVAL);
	assert_string_equal(xdp_guard_mode_name(XDP_GUARD_GENERIC), "generic");
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	    cmocka_unit_test(test_parse_cidr),
	    cmocka_unit_test(test_parse_mode),
	};
#ifdef MQTTGW_FASTPATH
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_not_ours_passes, reset),
	    cmocka_unit_test_setup(test_syn_limit_v4, reset),
	    cmocka_unit_test_setup(test_syn_limit_v6, reset),
	    cmocka_unit_test_setup(test_vlan, reset),
	    cmocka_unit_test_setup(test_ipv4_options, reset),
	    cmocka_unit_test_setup(test_ipv4_fragments, reset),
	    cmocka_unit_test_setup(test_ipv6_extension_headers, reset),
	    cmocka_unit_test_setup(test_truncated, reset),
	    cmocka_unit_test_setup(test_allow_beats_deny, reset),
	    cmocka_unit_test_setup(test_deny_prefixes, reset),
	    cmocka_unit_test_setup(test_ban_expiry, reset),
	    cmocka_unit_test_setup(test_ban_pinned, reset),
	    cmocka_unit_test_setup(test_counters_sum, reset),
	};
#endif

	const uint16_t ports[] = {PORT, PORT_TLS};
	struct xdp_guard_opts o = {.ports = ports, .nports = 2, .pin_dir = "none"};
	const char *req = getenv("MQTTGW_REQUIRE_BPF"), *why = NULL;
	char err[256] = "";
	int rc;

	alarm(120);
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = cmocka_run_group_tests_name("xdp_guard parsers", pure, NULL, NULL);
#ifndef MQTTGW_FASTPATH
	(void)o, (void)err;
	why = "built without BPF (FASTPATH=0)";
#else
	if (geteuid() != 0)
		why = "not root";
	else if (xdp_guard_new(&g_xg, &o, err, sizeof(err)))
		why = err[0] ? err : "xdp_guard_new failed";
#endif
	if (why) {
		if (req && !strcmp(req, "1")) {
			printf("FAIL: MQTTGW_REQUIRE_BPF=1 but the XDP guard is unavailable: %s\n",
			       why);
			return 1;
		}
		printf("SKIP: XDP guard unavailable: %s\n", why);
		return rc ? rc : 77;
	}
#ifdef MQTTGW_FASTPATH
	rc |= cmocka_run_group_tests_name("xdp_guard program", tests, NULL, NULL);
	xdp_guard_free(g_xg);
#endif
	return rc;
}
