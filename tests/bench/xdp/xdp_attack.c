// SPDX-License-Identifier: MIT
/*
 * mqttgw-attack: the load of the XDP guard's benchmark (scripts/bench_xdp.sh, issue #14).
 *
 *   mqttgw-attack syn DST PORT SECONDS [-t THREADS] [-r PPS]
 *       raw IPv4 SYNs from the local address to DST:PORT, a new source port each, in batches
 *       of 64 per sendmmsg() from THREADS threads (default 2), paced to PPS in all (0: as fast
 *       as possible). xdp-guard-test's flood sends one SYN per syscall from one thread, about
 *       40k/s here; the benchmark needs 200k/s.
 *   mqttgw-attack guess DST PORT SECONDS [-t THREADS] -u USER -P PASSWORD
 *       password guessing: each thread (default 16) connects, sends CONNECT with USER and the
 *       (wrong) PASSWORD, waits for CONNACK (500 ms at most per step), closes, again.
 *   mqttgw-attack legit DST PORT SECONDS [-r PER_S] [-T TIMEOUT_MS] -u USER -P PASSWORD
 *       one legitimate client: an authenticated CONNECT -> CONNACK every 1/PER_S s (default
 *       20/s), timed from connect() to the CONNACK; one that is not accepted within
 *       TIMEOUT_MS (default 3000) counts as failed.
 *   mqttgw-attack xsyn DST PORT SECONDS -i IFNAME -m DSTMAC [-r PPS] [-s SRC6] [-R RELAY]
 *       (an IPv6 DST needs -s, the frames' source address)
 *       the same SYN (one source port) as XDP frames, not skbs: BPF_PROG_TEST_RUN in live-frames
 *       mode runs `return XDP_TX` on IFNAME (the attacker's veth), whose peer receives each
 *       frame as a NIC would hand it to XDP, before any skb exists (a veth only accepts them
 *       when the peer has NAPI on: an XDP program, e.g. `xpass`). Paced to PPS (default 200k).
 *       -R RELAY: where live frames are refused (mqttgw-attack xprobe), the relay generator: a
 *       redirect-everything XDP program on RELAY's veth peer (same namespace) sends each frame
 *       to IFNAME with bpf_redirect(), and the SYNs are written to RELAY by an AF_PACKET socket
 *       (sendmmsg, 64 a call). IFNAME's peer still receives xdp_frames through ndo_xdp_xmit,
 *       no skb; the relay's own skb -> page copy is the generator's cost (the floor run).
 *   mqttgw-attack xprobe
 *       exit 0 if BPF_PROG_TEST_RUN accepts live frames here (one XDP_DROP run on lo), else
 *       print why on stderr and exit 1.
 *   mqttgw-attack xpass IFNAME SECONDS [drop]
 *       attach `return XDP_PASS` (or XDP_DROP) to IFNAME (native mode) for SECONDS: the
 *       receiving veth's NAPI for xsyn when nothing else is attached (the nftables and
 *       no-limit runs); `drop` is the floor: what the sender and the veth cost by themselves.
 * syn and xsyn report their own CPU time (cpu_s): on veth the receiver's softirq mostly runs
 * in the sender's context (when it re-enables bottom halves), so it is part of it. They also
 * report the exact NET_RX softirq time of their run (net_rx_ns on the CPU they ended on,
 * net_rx_ns_all on every CPU, net_rx_ns_own in their own context, i.e. without other
 * processes' NET_RX and ksoftirqd's; -1 if the counter could not load): two raw tracepoint
 * programs on softirq_entry/softirq_exit sum the ns between them per CPU. /proc/stat's softirq column is
 * sampled at the tick (250 Hz, no IRQ_TIME_ACCOUNTING here): a few dozen samples a run.
 * Each prints one JSON line on stdout at the end.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "codec_client.h"

#define MAX_THREADS 64
#define BATCH	    64
#define MAX_SAMPLES 100000

struct opts {
	struct sockaddr_in dst;
	struct in6_addr dst6, src6; /* xsyn to an IPv6 DST (v6 set): -s SRC6 is the source */
	bool v6;
	double seconds, rate;
	int threads, timeout_ms;
	const char *user, *pass, *ifname, *dmac, *relay;
};

static struct opts O;
static atomic_ullong n_sent, n_refused, n_accepted, n_timeout, n_error;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* ---- exact NET_RX softirq time (softirq_entry/softirq_exit raw tracepoints) ---- */

#define NET_RX_VEC 3 /* NET_RX_SOFTIRQ in the kernel's softirq numbering */

/*
 * One per-CPU slot: the running softirq's entry time, the ns summed, the softirqs counted, the
 * ns of those that ran in this process's context (other processes' NET_RX on the CPU left out).
 */
struct softirq_slot {
	uint64_t start, ns, count, own_ns;
};

static int sirq_map = -1, sirq_ncpu;

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LD_MAP(r)                                                                                  \
	INSN(BPF_LD | BPF_DW | BPF_IMM, r, BPF_PSEUDO_MAP_FD, 0, sirq_map), INSN(0, 0, 0, 0, 0)

static int sirq_prog(const struct bpf_insn *insns, unsigned int n, const char *tp)
{
	union bpf_attr a;
	int prog;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = n;
	a.license = (uintptr_t) "GPL";
	prog = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (prog < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uintptr_t)tp;
	a.raw_tracepoint.prog_fd = (uint32_t)prog;
	/* the attachment lives as long as this process holds the returned fd */
	return (int)syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a)) < 0 ? -errno : 0;
}

/*
 * Both programs start alike: r6 = vec_nr (the tracepoints' one argument), not NET_RX: jump by
 * skip to the exit; r7 = now; r0 = this CPU's slot (or NULL).
 */
#define SIRQ_HEAD(skip)                                                                            \
	INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_6, BPF_REG_1, 0, 0),                              \
	    INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_6, 0, skip, NET_RX_VEC),                       \
	    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns),                              \
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0),                         \
	    INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0),                                  \
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),                        \
	    INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4), LD_MAP(BPF_REG_1),             \
	    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem)

/*
 * Hand-assembled like prog_load(): 14 and 30 instructions do not need a compiler and an object
 * file. NET_RX only. Built once sirq_map exists.
 */
static int softirq_progs(void)
{
	const struct bpf_insn entry[] = {
	    SIRQ_HEAD(10),
	    INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0),
	    INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_7, 0, 0), /* start = now */
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
	    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	const struct bpf_insn leave[] = {
	    SIRQ_HEAD(26),
	    INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 17, 0),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0),
	    INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_8, 0, 0),
	    /* entered before the counter attached: not counted */
	    INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 14, 0),
	    INSN(BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_7, BPF_REG_1, 0, 0),
	    INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_8, 8, 0),
	    INSN(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_2, BPF_REG_7, 0, 0),
	    INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_8, BPF_REG_2, 8, 0),
	    INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_8, 16, 0),
	    INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, 1),
	    INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_8, BPF_REG_2, 16, 0),
	    INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_8, 0, 0, 0), /* start = 0 */
	    /* ran in this process's context (bottom halves re-enabled in its syscalls) */
	    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid),
	    INSN(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32),
	    INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 3, getpid()),
	    INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_8, 24, 0),
	    INSN(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_2, BPF_REG_7, 0, 0),
	    INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_8, BPF_REG_2, 24, 0),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
	    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	int r = sirq_prog(entry, sizeof(entry) / sizeof(entry[0]), "softirq_entry");

	return r ? r : sirq_prog(leave, sizeof(leave) / sizeof(leave[0]), "softirq_exit");
}

static int softirq_open(void)
{
	union bpf_attr a;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	int lo = 0, hi = 0, r;

	/* per-CPU values come back for every possible CPU: "0-N" */
	if (!f)
		return -errno;
	r = fscanf(f, "%d-%d", &lo, &hi);
	fclose(f);
	if (r < 1)
		return -EINVAL;
	sirq_ncpu = (r == 2 ? hi : lo) + 1;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_PERCPU_ARRAY;
	a.key_size = 4;
	a.value_size = sizeof(struct softirq_slot);
	a.max_entries = 1;
	sirq_map = (int)syscall(__NR_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	if (sirq_map < 0)
		return -errno;
	r = softirq_progs();
	if (r) {
		fprintf(stderr, "softirq counter: %s (net_rx_ns -1)\n", strerror(-r));
		sirq_map = -1;
	}
	return r;
}

/* NET_RX ns so far on CPU cpu, on all CPUs, in this process's context; -1 without the counter. */
static void softirq_read(int cpu, long long *on_cpu, long long *all, long long *own)
{
	struct softirq_slot v[1024];
	uint32_t key = 0;
	union bpf_attr a;
	int i;

	*on_cpu = *all = *own = -1;
	if (sirq_map < 0 || sirq_ncpu > 1024)
		return;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)sirq_map;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)v;
	if (syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)))
		return;
	*all = *own = 0;
	for (i = 0; i < sirq_ncpu; i++) {
		*all += (long long)v[i].ns;
		*own += (long long)v[i].own_ns;
	}
	*on_cpu = cpu >= 0 && cpu < sirq_ncpu ? (long long)v[cpu].ns : -1;
}

/* The JSON fields of a flood's softirq time (since softirq_open()), on the CPU it ended on. */
static void softirq_print(void)
{
	long long on_cpu, all, own;
	int cpu = sched_getcpu();

	softirq_read(cpu, &on_cpu, &all, &own);
	printf(
	    ",\"net_rx_cpu\":%d,\"net_rx_ns\":%lld,\"net_rx_ns_all\":%lld,\"net_rx_ns_own\":%lld",
	    cpu, on_cpu, all, own);
}

/* ---- SYN flood ---- */

/* RFC 1071 sum of 16-bit big-endian words, not yet folded. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	return sum;
}

static void *syn_thread(void *arg)
{
	uint8_t pkt[BATCH][20];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];
	struct sockaddr_in src, dst = O.dst;
	socklen_t sl = sizeof(src);
	double t0, end, rate = O.rate / O.threads;
	uint32_t base;
	uint16_t sport = (uint16_t)(1024 + (uintptr_t)arg * 7919);
	unsigned long long sent = 0;
	int fd, i;

	/* The source address the kernel picks, for the pseudo-header checksum. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) ||
	    getsockname(fd, (struct sockaddr *)&src, &sl)) {
		perror("syn: source address");
		exit(1);
	}
	close(fd);
	dst.sin_port = 0; /* raw sockets: the port field is the protocol */
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (fd < 0) {
		perror("syn: raw socket");
		exit(1);
	}
	memset(pkt, 0, sizeof(pkt));
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		pkt[i][2] = (uint8_t)(ntohs(O.dst.sin_port) >> 8);
		pkt[i][3] = (uint8_t)ntohs(O.dst.sin_port);
		pkt[i][12] = 5 << 4;
		pkt[i][13] = 0x02; /* SYN */
		pkt[i][14] = pkt[i][15] = 0xff;
		iov[i] = (struct iovec){pkt[i], sizeof(pkt[i])};
		msg[i].msg_hdr = (struct msghdr){.msg_name = &dst,
						 .msg_namelen = sizeof(dst),
						 .msg_iov = &iov[i],
						 .msg_iovlen = 1};
	}
	/* Everything but the source port is fixed: its sum is added per packet. */
	base = sum16(0, (uint8_t *)&src.sin_addr, 4);
	base = sum16(base, (uint8_t *)&O.dst.sin_addr, 4);
	base = sum16(base + IPPROTO_TCP + 20, pkt[0], 20);
	t0 = now_s();
	end = t0 + O.seconds;
	while (now_s() < end) {
		for (i = 0; i < BATCH; i++) {
			uint32_t s;

			if (++sport < 1024)
				sport = 1024;
			pkt[i][0] = (uint8_t)(sport >> 8);
			pkt[i][1] = (uint8_t)sport;
			s = base + sport;
			while (s >> 16)
				s = (s & 0xffff) + (s >> 16);
			s = ~s & 0xffff;
			pkt[i][16] = (uint8_t)(s >> 8);
			pkt[i][17] = (uint8_t)s;
		}
		i = sendmmsg(fd, msg, BATCH, 0);
		if (i > 0)
			sent += (unsigned long long)i;
		if (rate > 0)
			sleep_until(t0 + (double)sent / rate);
	}
	close(fd);
	atomic_fetch_add(&n_sent, sent);
	return NULL;
}

/* ---- SYNs as XDP frames (xsyn, xpass) ---- */

/*
 * Two-instruction programs loaded with the bpf() syscall: libbpf and an object file would
 * add nothing to `r0 = verdict; exit`. A verdict of XDP_REDIRECT is the relay's program:
 * `return bpf_redirect(redirect_ifindex, 0)`.
 */
static int prog_load(int verdict, int redirect_ifindex)
{
	struct bpf_insn insns[4] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = verdict},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	struct bpf_insn redirect[4] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = redirect_ifindex},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uintptr_t)(verdict == XDP_REDIRECT ? redirect : insns);
	a.insn_cnt = verdict == XDP_REDIRECT ? 4 : 2;
	a.license = (uintptr_t) "GPL";
	return (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

/* Attach prog to ifindex (native mode); the returned link fd holds it until this process ends. */
static int xdp_attach(int prog, unsigned int ifindex)
{
	union bpf_attr a;

	if (prog < 0 || !ifindex)
		return -1;
	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = (uint32_t)prog;
	a.link_create.target_ifindex = ifindex;
	a.link_create.attach_type = BPF_XDP;
	return (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
}

static int xpass_main(void)
{
	int drop = O.user && !strcmp(O.user, "drop");

	if (xdp_attach(prog_load(drop ? XDP_DROP : XDP_PASS, 0), if_nametoindex(O.ifname)) < 0) {
		perror("xpass: attach");
		return 1;
	}
	sleep_until(now_s() + O.seconds);
	printf("{\"attached\":\"%s\"}\n", O.ifname);
	return 0;
}

/* One live-frames test run of XDP_DROP: does this kernel (and its policy) allow xsyn? */
static int xprobe_main(void)
{
	uint8_t frame[64] = {0};
	union bpf_attr a;
	int prog = prog_load(XDP_DROP, 0);

	frame[12] = 0x08; /* IPv4 ethertype, nothing else: dropped anyway */
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)prog;
	a.test.data_in = (uintptr_t)frame;
	a.test.data_size_in = sizeof(frame);
	a.test.repeat = 1;
	a.test.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	if (prog < 0 || syscall(__NR_bpf, BPF_PROG_TEST_RUN, &a, sizeof(a))) {
		fprintf(stderr, "xprobe: live frames refused: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* The TCP SYN header at th (20 bytes) to O.dst's port; checksum over the pseudo-header sum. */
static void build_syn(uint8_t *th, uint32_t pseudo)
{
	uint32_t s;

	th[0] = 40000 >> 8;
	th[1] = 40000 & 0xff;
	memcpy(th + 2, &O.dst.sin_port, 2);
	th[7] = 1; /* sequence number */
	th[12] = 5 << 4;
	th[13] = 0x02; /* SYN */
	th[14] = th[15] = 0xff;
	for (s = sum16(pseudo, th, 20); s >> 16;)
		s = (s & 0xffff) + (s >> 16);
	th[16] = (uint8_t)(~s >> 8);
	th[17] = (uint8_t)~s;
}

/* Ethernet + IPv6 + TCP SYN from O.src6 and IFNAME's MAC to O.dst6, O.dmac; 74 bytes. */
static int build_frame6(uint8_t *f)
{
	struct ifreq ifr;
	struct ether_addr *dm = ether_aton(O.dmac);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t *ip = f + 14;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", O.ifname);
	if (!dm || fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -1;
	close(fd);
	memcpy(f, dm, 6);
	memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
	f[12] = 0x86;
	f[13] = 0xdd; /* IPv6 */
	ip[0] = 0x60;
	ip[5] = 20; /* payload length */
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, &O.src6, 16);
	memcpy(ip + 24, &O.dst6, 16);
	build_syn(ip + 40, sum16(IPPROTO_TCP + 20, ip + 8, 32));
	return 0;
}

/* Ethernet + IPv4 + TCP SYN from IFNAME's address and MAC to O.dst, O.dmac; 54 bytes. */
static int build_frame(uint8_t *f)
{
	struct ifreq ifr;
	struct ether_addr *dm = ether_aton(O.dmac);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t *ip = f + 14, *th = f + 34;
	uint32_t s;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", O.ifname);
	if (!dm || fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(f, dm, 6);
	memcpy(f + 6, ifr.ifr_hwaddr.sa_data, 6);
	f[12] = 0x08; /* IPv4 */
	if (ioctl(fd, SIOCGIFADDR, &ifr))
		return -1;
	close(fd);
	ip[0] = 0x45;
	ip[3] = 40;   /* total length */
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr, 4);
	memcpy(ip + 16, &O.dst.sin_addr, 4);
	for (s = sum16(0, ip, 20); s >> 16;)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
	build_syn(th, sum16(IPPROTO_TCP + 20, ip + 12, 8));
	return 0;
}

/* xsyn's live generator: BPF_PROG_TEST_RUN XDP_TX on IFNAME. Returns the frames sent or -1. */
static long long xsyn_live(const uint8_t *frame, uint32_t len, double rate, double end)
{
	struct xdp_md ctx = {0};
	union bpf_attr a;
	double t0 = now_s();
	long long sent = 0;
	int prog = prog_load(XDP_TX, 0);
	/*
	 * Each call sets up a page pool and writes the frame into its pages: measured here, 200
	 * frames a call reached 50-80k/s, so about 50 calls a second (pacing within 20 ms).
	 */
	uint32_t burst = rate / 50 < 64 ? 64 : (uint32_t)(rate / 50);

	ctx.data_end = len; /* the kernel checks that the context spans the frame */
	ctx.ingress_ifindex = if_nametoindex(O.ifname);
	if (prog < 0 || !ctx.ingress_ifindex) {
		perror("xsyn: setup");
		return -1;
	}
	while (now_s() < end) {
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = (uint32_t)prog;
		a.test.data_in = (uintptr_t)frame;
		a.test.data_size_in = len;
		a.test.ctx_in = (uintptr_t)&ctx;
		a.test.ctx_size_in = sizeof(ctx);
		a.test.repeat = burst;
		a.test.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
		if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &a, sizeof(a))) {
			perror("xsyn: BPF_PROG_TEST_RUN (mqttgw-attack xprobe; -R RELAY)");
			return -1;
		}
		sent += burst;
		sleep_until(t0 + (double)sent / rate);
	}
	return sent;
}

/*
 * xsyn's relay generator: RELAY's veth peer redirects every frame to IFNAME, whose peer gets
 * them as xdp_frames (veth's ndo_xdp_xmit); an AF_PACKET socket writes the frames to RELAY,
 * bypassing the qdisc layer, 64 per sendmmsg(). Returns the frames sent or -1.
 */
static long long xsyn_relay(uint8_t *frame, uint32_t len, double rate, double end)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov = {frame, len};
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	unsigned int peer = 0, out = if_nametoindex(O.ifname);
	double t0 = now_s();
	long long sent = 0;
	char path[96];
	FILE *f;
	int fd, one = 1, i;

	/* a veth's iflink is its peer's ifindex; both ends are in this namespace */
	snprintf(path, sizeof(path), "/sys/class/net/%s/iflink", O.relay);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%u", &peer) != 1 || !out) {
		fprintf(stderr, "xsyn: relay %s or %s: no such veth\n", O.relay, O.ifname);
		return -1;
	}
	fclose(f);
	if (xdp_attach(prog_load(XDP_REDIRECT, (int)out), peer) < 0) {
		perror("xsyn: relay redirect program");
		return -1;
	}
	/* protocol 0: a send-only socket, no copy of received packets */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(O.relay);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		perror("xsyn: relay socket");
		return -1;
	}
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++)
		msg[i].msg_hdr = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
	while (now_s() < end) {
		i = sendmmsg(fd, msg, BATCH, 0);
		if (i > 0)
			sent += i;
		else if (errno != ENOBUFS && errno != EAGAIN) {
			perror("xsyn: relay sendmmsg");
			return -1;
		}
		sleep_until(t0 + (double)sent / rate);
	}
	close(fd);
	return sent;
}

static int xsyn_main(void)
{
	uint8_t frame[74] = {0};
	uint32_t len = O.v6 ? 74 : 54;
	double t0, rate = O.rate > 0 ? O.rate : 200000;
	long long sent;

	if (O.v6 ? build_frame6(frame) : build_frame(frame)) {
		perror("xsyn: frame");
		return 1;
	}
	softirq_open();
	t0 = now_s();
	sent = O.relay ? xsyn_relay(frame, len, rate, t0 + O.seconds)
		       : xsyn_live(frame, len, rate, t0 + O.seconds);
	if (sent < 0)
		return 1;
	printf("{\"gen\":\"%s\",\"sent\":%lld,\"pps\":%.0f,\"cpu_s\":%.3f",
	       O.relay ? "relay" : "live", sent, (double)sent / (now_s() - t0), cpu_s());
	softirq_print();
	printf("}\n");
	return 0;
}

/* ---- MQTT CONNECT attempts ---- */

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = {fd, ev, 0};
	int r = poll(&p, 1, ms);

	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

/*
 * One CONNECT -> CONNACK on a new connection, each step within timeout_ms. Returns the
 * CONNACK's return code (0 accepted), -ETIMEDOUT, or another -errno.
 */
static int attempt(const char *id, int timeout_ms)
{
	struct codec_client_connect cc = {.version = MQTT_V311,
					  .clean = true,
					  .keepalive = 60,
					  .client_id = id,
					  .username = O.user,
					  .password = O.pass};
	uint8_t buf[512];
	struct mqtt_packet pkt;
	size_t n = codec_client_connect(buf, sizeof(buf), &cc), got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r;
	uint8_t reason;
	ssize_t k;

	if (fd < 0 || !n)
		return fd < 0 ? -errno : -EINVAL;
	r = 0;
	if (connect(fd, (struct sockaddr *)&O.dst, sizeof(O.dst)) && errno != EINPROGRESS)
		r = -errno;
	if (!r)
		r = wait_fd(fd, POLLOUT, timeout_ms);
	if (!r && (k = send(fd, buf, n, MSG_NOSIGNAL)) != (ssize_t)n)
		r = k < 0 ? -errno : -EIO;
	while (!r) {
		r = wait_fd(fd, POLLIN, timeout_ms);
		if (r)
			break;
		k = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (k <= 0) {
			r = k ? -errno : -ECONNRESET;
			break;
		}
		got += (size_t)k;
		r = codec_client_decode(buf, got, MQTT_V311, &pkt, &reason);
		if (r == -EAGAIN) {
			r = 0;
			continue;
		}
		if (!r)
			r = pkt.type == MQTT_CONNACK ? pkt.connack.code : -EPROTO;
		if (r == 0) /* accepted: leave cleanly, the broker must not count a lost client */
			send(fd, "\xe0\x00", 2, MSG_NOSIGNAL);
		break;
	}
	close(fd);
	return r;
}

static void *guess_thread(void *arg)
{
	double end = now_s() + O.seconds;
	unsigned long i = 0;
	char id[32];
	int r;

	while (now_s() < end) {
		snprintf(id, sizeof(id), "guess-%lu-%lu", (unsigned long)(uintptr_t)arg, i++);
		r = attempt(id, 500);
		if (r > 0)
			atomic_fetch_add(&n_refused, 1);
		else if (r == 0)
			atomic_fetch_add(&n_accepted, 1);
		else if (r == -ETIMEDOUT)
			atomic_fetch_add(&n_timeout, 1);
		else
			atomic_fetch_add(&n_error, 1);
		if (r < 0 && r != -ETIMEDOUT)
			usleep(1000); /* refused at once (RST): do not spin */
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int legit_main(void)
{
	static double ms[MAX_SAMPLES];
	double t0 = now_s(), t, rate = O.rate > 0 ? O.rate : 20;
	int n = 0, ok = 0, r;
	char id[32];

	while ((t = now_s()) < t0 + O.seconds && n < MAX_SAMPLES) {
		snprintf(id, sizeof(id), "legit-%d", n);
		r = attempt(id, O.timeout_ms);
		if (!r)
			ms[ok++] = (now_s() - t) * 1e3;
		n++;
		sleep_until(t0 + n / rate);
	}
	qsort(ms, (size_t)ok, sizeof(ms[0]), cmp_double);
	printf("{\"n\":%d,\"ok\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n", n, ok,
	       ok ? ms[ok / 2] : 0.0, ok ? ms[(ok * 99 + 99) / 100 - 1] : 0.0,
	       ok ? ms[ok - 1] : 0.0);
	return ok == n ? 0 : 1;
}

static int run_threads(void *(*fn)(void *))
{
	pthread_t th[MAX_THREADS];
	int i;

	for (i = 0; i < O.threads; i++)
		if (pthread_create(&th[i], NULL, fn, (void *)(uintptr_t)i))
			return 1;
	for (i = 0; i < O.threads; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: mqttgw-attack syn|guess|legit|xsyn DST PORT SECONDS [-t THREADS] "
	    "[-r RATE] [-T TIMEOUT_MS] [-u USER] [-P PASSWORD] [-i IFNAME -m DSTMAC]\n"
	    "       mqttgw-attack xsyn DST6 PORT SECONDS -i IFNAME -m DSTMAC -s SRC6 [-r RATE]\n"
	    "       (xsyn: -R RELAY sends through a relay veth instead of live frames)\n"
	    "       mqttgw-attack xpass IFNAME SECONDS [drop]\n"
	    "       mqttgw-attack xprobe\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode;
	double t0;
	int opt;

	if (argc < 2)
		return usage();
	mode = argv[1];
	if (!strcmp(mode, "xprobe"))
		return xprobe_main();
	if (argc < 4)
		return usage();
	if (!strcmp(mode, "xpass")) {
		O.ifname = argv[2];
		O.seconds = atof(argv[3]);
		O.user = argc > 4 ? argv[4] : NULL;
		return O.seconds > 0 ? xpass_main() : usage();
	}
	if (argc < 5)
		return usage();
	O.dst.sin_family = AF_INET;
	O.v6 = !strcmp(mode, "xsyn") && inet_pton(AF_INET6, argv[2], &O.dst6) == 1;
	if (!O.v6 && inet_pton(AF_INET, argv[2], &O.dst.sin_addr) != 1)
		return usage();
	O.dst.sin_port = htons((uint16_t)atoi(argv[3]));
	O.seconds = atof(argv[4]);
	O.threads = !strcmp(mode, "syn") ? 2 : 16;
	O.timeout_ms = 3000;
	optind = 5;
	while ((opt = getopt(argc, argv, "t:r:T:u:P:i:m:s:R:")) != -1) {
		if (opt == 't')
			O.threads = atoi(optarg);
		else if (opt == 'r')
			O.rate = atof(optarg);
		else if (opt == 'T')
			O.timeout_ms = atoi(optarg);
		else if (opt == 'u')
			O.user = optarg;
		else if (opt == 'P')
			O.pass = optarg;
		else if (opt == 'i')
			O.ifname = optarg;
		else if (opt == 'm')
			O.dmac = optarg;
		else if (opt == 'R')
			O.relay = optarg;
		else if (opt == 's') {
			if (inet_pton(AF_INET6, optarg, &O.src6) != 1)
				return usage();
		} else
			return usage();
	}
	if (O.threads < 1 || O.threads > MAX_THREADS || O.seconds <= 0)
		return usage();
	t0 = now_s();
	if (!strcmp(mode, "legit"))
		return legit_main();
	if (!strcmp(mode, "xsyn"))
		return O.ifname && O.dmac && (!O.v6 || !IN6_IS_ADDR_UNSPECIFIED(&O.src6))
			   ? xsyn_main()
			   : usage();
	if (!strcmp(mode, "syn")) {
		softirq_open();
		t0 = now_s();
		if (run_threads(syn_thread))
			return 1;
		printf("{\"gen\":\"syn\",\"sent\":%llu,\"pps\":%.0f,\"cpu_s\":%.3f",
		       (unsigned long long)n_sent, (double)n_sent / (now_s() - t0), cpu_s());
		softirq_print();
		printf("}\n");
		return 0;
	}
	if (!strcmp(mode, "guess")) {
		if (run_threads(guess_thread))
			return 1;
		printf("{\"attempts\":%llu,\"refused\":%llu,\"accepted\":%llu,\"timeouts\":%llu,"
		       "\"errors\":%llu}\n",
		       (unsigned long long)(n_refused + n_accepted + n_timeout + n_error),
		       (unsigned long long)n_refused, (unsigned long long)n_accepted,
		       (unsigned long long)n_timeout, (unsigned long long)n_error);
		return 0;
	}
	return usage();
}
