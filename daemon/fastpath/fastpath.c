/* SPDX-License-Identifier: MIT */
/*
 * fastpath: loader and map keeper of the kernel fast path (bpf/fastpath.bpf.c). The only
 * file that includes libbpf or the skeleton. See include/fastpath.h for the model and the
 * daemon's duties, include/mqttgw/fp_abi.h for the maps.
 *
 * Per socket the kernel side has three entries: fp_sockhash (the socket itself), fp_socks
 * (slot, protocol level, TCP sequence kept by the verdict) and a slot in fp_slots, an array shared
 * with us through mmap(). Hot-path calls (drained, busy, budget) are plain stores into that slot;
 * only adding/removing sockets and routes costs syscalls. Here we keep cookie -> slot and
 * per-slot data the kernel does not need (fd, send-queue base).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_util.h"
#include "fastpath.h"
#include "fastpath.skel.h"
#include "fastpath_int.h"
#include "fpstatus.h"
#include "log.h"

#define FP_MAX_SOCKS  16384u /* sockets in the fast path at once (power of two) */
#define FP_MAX_ROUTES 16384u /* cached routes */
#define FP_SLOT_NONE  UINT32_MAX

/* Per slot, daemon side only. */
struct fp_ent {
	uint64_t cookie;     /* 0: free */
	int fd;		     /* borrowed */
	uint64_t tx_base;    /* bytes the socket had queued for sending ever, at the add */
	uint64_t acked_base; /* tcpi_bytes_acked at the add */
};

struct fastpath {
	struct fastpath_bpf *skel;
	int sockhash_fd, socks_fd, routes_fd, stats_fd;
	bool attached;
	struct fp_slot *slots; /* mmap()ed fp_slots */
	size_t slots_len;
	struct fp_meta *meta; /* mmap()ed fp_meta (status for the pins' reader) */
	size_t meta_len;
	struct fp_pins pins;
	uint32_t nslots;
	uint32_t max_topic;
	struct fp_ent *ents;
	/* Free slots, FIFO: a slot is reused as late as possible, so a verdict that looked it
	 * up just before the socket left never writes into a slot that has a new owner. Slots
	 * never handed out ([fresh, nslots)) go first and are not in the ring, so neither
	 * table is written at start (their pages stay out of an idle daemon's RSS). */
	uint32_t *fifo;
	uint32_t fifo_head, fifo_len;
	uint32_t fresh;
	/* cookie -> slot + 1 (0: empty, so a calloc()ed table is empty): open addressing,
	 * linear probing, backward-shift deletion; fp_ht_at() reads it. */
	uint32_t *ht;
	uint32_t ht_mask;
	int ncpus;
	int wmem_max, rmem_max;
};

/* ---- cookie -> slot ---- */

static uint32_t fp_hash(uint64_t cookie)
{
	cookie ^= cookie >> 33;
	cookie *= 0xff51afd7ed558ccdULL;
	cookie ^= cookie >> 33;
	return (uint32_t)cookie;
}

/* The slot in ht[i], or FP_SLOT_NONE (UINT32_MAX) for an empty one. */
static inline uint32_t fp_ht_at(const struct fastpath *fp, uint32_t i)
{
	return fp->ht[i] - 1;
}

static uint32_t fp_find(const struct fastpath *fp, uint64_t cookie)
{
	uint32_t i, s;

	if (!cookie)
		return FP_SLOT_NONE;
	for (i = fp_hash(cookie) & fp->ht_mask;; i = (i + 1) & fp->ht_mask) {
		s = fp_ht_at(fp, i);
		if (s == FP_SLOT_NONE)
			return FP_SLOT_NONE;
		if (fp->ents[s].cookie == cookie)
			return s;
	}
}

static void fp_ht_insert(struct fastpath *fp, uint32_t slot)
{
	uint32_t i = fp_hash(fp->ents[slot].cookie) & fp->ht_mask;

	while (fp->ht[i])
		i = (i + 1) & fp->ht_mask;
	fp->ht[i] = slot + 1;
}

static void fp_ht_delete(struct fastpath *fp, uint64_t cookie)
{
	uint32_t i = fp_hash(cookie) & fp->ht_mask, j, k;

	while (fp->ht[i] && fp->ents[fp_ht_at(fp, i)].cookie != cookie)
		i = (i + 1) & fp->ht_mask;
	if (!fp->ht[i])
		return;
	/* Backward shift: move later entries of the cluster into the hole if their home
	 * position does not lie cyclically in (hole, their position]. */
	for (j = i;;) {
		fp->ht[i] = 0;
		for (;;) {
			j = (j + 1) & fp->ht_mask;
			if (!fp->ht[j])
				return;
			k = fp_hash(fp->ents[fp_ht_at(fp, j)].cookie) & fp->ht_mask;
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		fp->ht[i] = fp->ht[j];
		i = j;
	}
}

/* The slot of a socket in the fast path, or NULL. */
static struct fp_slot *fp_slot_of(const struct fastpath *fp, uint64_t cookie, uint32_t *idx)
{
	uint32_t s;

	s = fp_find(fp, cookie);
	if (s == FP_SLOT_NONE)
		return NULL;
	if (idx)
		*idx = s;
	return &fp->slots[s];
}

/* ---- probing and loading ---- */

static int fp_read_sysctl(const char *path, int dflt)
{
	FILE *f = fopen(path, "re");
	int v = dflt;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

const char *fp_probe(char *buf, size_t len)
{
	int r;

	if (!bpf_util_have_caps())
		return "mqttgwd lacks CAP_BPF and CAP_NET_ADMIN (run as root or grant them)";
	r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SK_SKB, NULL);
	if (r <= 0) {
		snprintf(buf, len, "the kernel has no sk_skb BPF programs (%s)",
			 r ? strerror(-r) : "not supported");
		return buf;
	}
	r = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SOCKHASH, NULL);
	if (r <= 0) {
		snprintf(buf, len, "the kernel has no SOCKHASH maps (%s)",
			 r ? strerror(-r) : "not supported");
		return buf;
	}
	r = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SK_SKB, BPF_FUNC_loop, NULL);
	if (r <= 0) {
		snprintf(buf, len,
			 "the kernel lacks bpf_loop() for sk_skb programs (Linux >= 5.17)");
		return buf;
	}
	return NULL;
}

static void fp_destroy(struct fastpath *fp)
{
	if (!fp)
		return;
	fp_pins_release(&fp->pins);
	if (fp->attached)
		bpf_prog_detach2(bpf_program__fd(fp->skel->progs.fastpath_verdict), fp->sockhash_fd,
				 BPF_SK_SKB_VERDICT);
	if (fp->slots)
		munmap(fp->slots, fp->slots_len);
	if (fp->meta)
		munmap(fp->meta, fp->meta_len);
	fastpath_bpf__destroy(fp->skel);
	free(fp->ents);
	free(fp->fifo);
	free(fp->ht);
	free(fp);
}

/* The values of a BPF_F_MMAPABLE map, shared with the kernel; NULL with -errno in *err. */
static void *fp_map_mmap(int fd, size_t bytes, size_t *maplen, int *err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	*maplen = (bytes + page - 1) / page * page;
	p = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	return p;
}

int fp_load(struct fastpath **out, char *buf, size_t len)
{
	struct fastpath *fp;
	int err;

	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return -ENOMEM;
	fp->nslots = FP_MAX_SOCKS;
	fp->max_topic = FP_TOPIC_MAX;
	fp->ht_mask = 2 * FP_MAX_SOCKS - 1;
	fp->ents = calloc(fp->nslots, sizeof(*fp->ents));
	fp->fifo = malloc(fp->nslots * sizeof(*fp->fifo)); /* written as slots come back */
	fp->ht = calloc(fp->ht_mask + 1, sizeof(*fp->ht));
	if (!fp->ents || !fp->fifo || !fp->ht) {
		err = -ENOMEM;
		snprintf(buf, len, "out of memory");
		goto err_free;
	}
	fp->ncpus = libbpf_num_possible_cpus();
	if (fp->ncpus <= 0) {
		err = fp->ncpus ? fp->ncpus : -EINVAL;
		snprintf(buf, len, "cannot count possible CPUs");
		goto err_free;
	}
	fp->wmem_max = fp_read_sysctl("/proc/sys/net/core/wmem_max", 212992);
	fp->rmem_max = fp_read_sysctl("/proc/sys/net/core/rmem_max", 212992);

	fp->skel = fastpath_bpf__open();
	if (!fp->skel) {
		err = -errno;
		snprintf(buf, len, "opening the BPF object failed: %s", strerror(-err));
		goto err_free;
	}
	fp->skel->rodata->fp_cfg_enabled = 1;
	fp->skel->rodata->fp_cfg_max_topic = fp->max_topic;
	fp->skel->rodata->fp_cfg_allow_v5 = 1;
	bpf_map__set_max_entries(fp->skel->maps.fp_sockhash, fp->nslots);
	bpf_map__set_max_entries(fp->skel->maps.fp_socks, fp->nslots);
	bpf_map__set_max_entries(fp->skel->maps.fp_slots, fp->nslots);
	bpf_map__set_max_entries(fp->skel->maps.fp_routes, FP_MAX_ROUTES);
	err = fastpath_bpf__load(fp->skel);
	if (err) {
		snprintf(buf, len, "loading the BPF program failed: %s", strerror(-err));
		goto err_free;
	}
	fp->sockhash_fd = bpf_map__fd(fp->skel->maps.fp_sockhash);
	fp->socks_fd = bpf_map__fd(fp->skel->maps.fp_socks);
	fp->routes_fd = bpf_map__fd(fp->skel->maps.fp_routes);
	fp->stats_fd = bpf_map__fd(fp->skel->maps.fp_stats);

	fp->slots = fp_map_mmap(bpf_map__fd(fp->skel->maps.fp_slots),
				(size_t)fp->nslots * sizeof(struct fp_slot), &fp->slots_len, &err);
	if (!fp->slots) {
		snprintf(buf, len, "mmap of the slot map failed: %s", strerror(-err));
		goto err_free;
	}
	fp->meta = fp_map_mmap(bpf_map__fd(fp->skel->maps.fp_meta), sizeof(struct fp_meta),
			       &fp->meta_len, &err);
	if (!fp->meta) {
		snprintf(buf, len, "mmap of the meta map failed: %s", strerror(-err));
		goto err_free;
	}
	/* Verdict-only attach: no strparser; libbpf 1.1 has no section name for it. */
	err = bpf_prog_attach(bpf_program__fd(fp->skel->progs.fastpath_verdict), fp->sockhash_fd,
			      BPF_SK_SKB_VERDICT, 0);
	if (err) {
		err = -errno;
		snprintf(buf, len, "attaching the sk_skb verdict failed: %s", strerror(-err));
		goto err_free;
	}
	fp->attached = true;
	*out = fp;
	return 0;

err_free:
	fp_destroy(fp);
	return err;
}

int fp_settle(enum config_fastpath mode, const char *why, char *err, size_t errlen)
{
	if (!why) {
		log_info("Kernel fast path active: QoS 0 PUBLISH relayed by sk_skb verdict "
			 "(up to %u sockets, %u routes).",
			 FP_MAX_SOCKS, FP_MAX_ROUTES);
		return 0;
	}
	if (mode == CONFIG_FASTPATH_ON) {
		snprintf(err, errlen, "fastpath on: kernel fast path unavailable: %s", why);
		return -ENOTSUP;
	}
	log_notice("Kernel fast path unavailable: %s; QoS 0 traffic is relayed by the daemon "
		   "(slow path).",
		   why);
	return 0;
}

int fastpath_init(struct fastpath **out, enum config_fastpath mode, char *err, size_t errlen)
{
	const char *why;
	char buf[256];

	*out = NULL;
	if (mode == CONFIG_FASTPATH_OFF)
		return 0;
	libbpf_set_print(bpf_util_libbpf_print);
	why = fp_probe(buf, sizeof(buf));
	if (!why && fp_load(out, buf, sizeof(buf)) < 0)
		why = buf;
	return fp_settle(mode, why, err, errlen);
}

void fastpath_free(struct fastpath *fp)
{
	fp_destroy(fp);
}

bool fastpath_active(const struct fastpath *fp)
{
	return fp != NULL;
}

/* ---- sockets ---- */

/* Bytes the socket ever queued for sending (tcpi_bytes_acked + SIOCOUTQ) and acked. */
static int fp_tx_total(int fd, uint64_t *total, uint64_t *acked)
{
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	int outq;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) || ioctl(fd, SIOCOUTQ, &outq))
		return -errno;
	if (tl < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked))
		return -ENOTSUP;
	*acked = ti.tcpi_bytes_acked;
	*total = ti.tcpi_bytes_acked + (uint64_t)outq;
	return 0;
}

int fastpath_sock_add(struct fastpath *fp, int fd, const struct fastpath_sock_opts *opts,
		      uint64_t *cookie)
{
	struct fp_sock ss = {0};
	struct fp_slot *sl;
	struct fp_ent *e;
	socklen_t cl = sizeof(uint64_t);
	uint64_t ck, fdv = (uint64_t)fd, total, acked;
	uint32_t s;
	int err;

	if (!opts || (opts->proto != FP_PROTO_V31 && opts->proto != FP_PROTO_V311 &&
		      opts->proto != FP_PROTO_V5))
		return -EINVAL;
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &ck, &cl))
		return -errno;
	if (fp_find(fp, ck) != FP_SLOT_NONE)
		return -EEXIST;
	if (fp->fresh == fp->nslots && !fp->fifo_len)
		return -ENOSPC;
	err = fp_tx_total(fd, &total, &acked);
	if (err)
		return err;

	s = fp->fresh < fp->nslots ? fp->fresh : fp->fifo[fp->fifo_head];
	sl = &fp->slots[s];
	/* Fill the slot completely before any map points at it. The generation keeps
	 * counting across owners so a route of an earlier owner never matches. */
	__atomic_store_n(&sl->cookie, 0, __ATOMIC_RELAXED);
	sl->drained = 0;
	sl->credit = opts->budget;
	sl->gen++;
	sl->flags = 0;
	sl->max_frame = opts->max_frame;
	sl->proto = opts->proto;
	sl->passed = 0;
	sl->spent = 0;
	sl->redirected = 0;
	__atomic_store_n(&sl->cookie, ck, __ATOMIC_RELEASE);

	ss.slot = s;
	ss.proto = opts->proto;
	if (bpf_map_update_elem(fp->socks_fd, &ck, &ss, BPF_NOEXIST)) {
		err = -errno;
		goto err_slot;
	}
	/* Last: from here on the verdict runs on this socket. */
	if (bpf_map_update_elem(fp->sockhash_fd, &ck, &fdv, BPF_NOEXIST)) {
		err = -errno;
		goto err_socks;
	}
	if (s == fp->fresh) {
		fp->fresh++;
	} else {
		fp->fifo_head = (fp->fifo_head + 1) % fp->nslots;
		fp->fifo_len--;
	}
	e = &fp->ents[s];
	e->cookie = ck;
	e->fd = fd;
	e->tx_base = total;
	e->acked_base = acked;
	fp_ht_insert(fp, s);
	*cookie = ck;
	return 0;

err_socks:
	bpf_map_delete_elem(fp->socks_fd, &ck);
err_slot:
	__atomic_store_n(&sl->cookie, 0, __ATOMIC_RELEASE);
	return err;
}

int fastpath_sock_remove(struct fastpath *fp, uint64_t cookie)
{
	struct fp_slot *sl;
	uint32_t s;
	int err = 0;

	sl = fp_slot_of(fp, cookie, &s);
	if (!sl)
		return -ENOENT;
	/* Stop routing to and from it first (routes check the generation, the verdict the
	 * cookie), then take it out of the maps. */
	__atomic_store_n(&sl->gen, sl->gen + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sl->cookie, 0, __ATOMIC_RELEASE);
	if (bpf_map_delete_elem(fp->sockhash_fd, &cookie) && errno != ENOENT)
		err = -errno;
	if (bpf_map_delete_elem(fp->socks_fd, &cookie) && errno != ENOENT && !err)
		err = -errno;
	fp_ht_delete(fp, cookie);
	fp->ents[s].cookie = 0;
	fp->ents[s].fd = -1;
	fp->fifo[(fp->fifo_head + fp->fifo_len) % fp->nslots] = s;
	fp->fifo_len++;
	return err;
}

/* ---- routes ---- */

static int fp_route_key(const struct fastpath *fp, struct fp_route_key *k, uint64_t pub,
			const void *topic, size_t len)
{
	if (!len)
		return -EINVAL;
	if (len > fp->max_topic)
		return -ENAMETOOLONG;
	memset(k, 0, sizeof(*k));
	k->pub_cookie = pub;
	k->topic_len = (uint16_t)len;
	memcpy(k->topic, topic, len);
	return 0;
}

int fastpath_route_add(struct fastpath *fp, uint64_t pub, const void *topic, size_t topic_len,
		       uint64_t sub)
{
	struct fp_slot *ps, *ss;
	struct fp_route_key k;
	struct fp_route r = {0};
	uint32_t sidx;
	int err;

	ps = fp_slot_of(fp, pub, NULL);
	ss = fp_slot_of(fp, sub, &sidx);
	if (!ps || !ss)
		return -ENOENT;
	err = fp_route_key(fp, &k, pub, topic, topic_len);
	if (err)
		return err;
	r.sub_cookie = sub;
	r.sub_slot = sidx;
	r.pub_gen = ps->gen;
	r.sub_gen = ss->gen;
	/* before the route exists: the verdict walks this publisher's skbs from now on */
	__atomic_store_n(&ps->flags, ps->flags | FP_SLOT_F_ROUTED, __ATOMIC_RELEASE);
	if (bpf_map_update_elem(fp->routes_fd, &k, &r, BPF_ANY))
		return -errno;
	return 0;
}

int fastpath_route_del(struct fastpath *fp, uint64_t pub, const void *topic, size_t topic_len)
{
	struct fp_route_key k;
	int err;

	err = fp_route_key(fp, &k, pub, topic, topic_len);
	if (err)
		return err == -EINVAL ? -ENOENT : err;
	if (bpf_map_delete_elem(fp->routes_fd, &k))
		return -errno;
	return 0;
}

int fastpath_route_flush(struct fastpath *fp, uint64_t cookie)
{
	struct fp_slot *sl = fp_slot_of(fp, cookie, NULL);

	if (!sl)
		return -ENOENT;
	__atomic_store_n(&sl->gen, sl->gen + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sl->flags, sl->flags & ~FP_SLOT_F_ROUTED, __ATOMIC_RELEASE);
	return 0;
}

/* ---- per-socket state shared with the verdict ---- */

/* Set or clear one FP_SLOT_F_* flag of a socket's slot (only the daemon writes flags). */
static int fp_flag_set(struct fastpath *fp, uint64_t cookie, uint32_t flag, bool on)
{
	struct fp_slot *sl = fp_slot_of(fp, cookie, NULL);

	if (!sl)
		return -ENOENT;
	__atomic_store_n(&sl->flags, on ? sl->flags | flag : sl->flags & ~flag, __ATOMIC_RELEASE);
	return 0;
}

int fastpath_set_busy(struct fastpath *fp, uint64_t cookie, bool busy)
{
	int err = fp_flag_set(fp, cookie, FP_SLOT_F_BUSY, busy);

	/*
	 * Store-load fence: the daemon's next step reads `spent` (fastpath_tx_quiet). Either
	 * it sees every redirect that did not see the flag, or the verdict sees the flag
	 * (it reads the flag after its fully ordered add to `spent`).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return err;
}

int fastpath_set_routed(struct fastpath *fp, uint64_t cookie, bool routed)
{
	return fp_flag_set(fp, cookie, FP_SLOT_F_ROUTED, routed);
}

int fastpath_tx_quiet(struct fastpath *fp, uint64_t cookie, uint64_t daemon_written)
{
	struct fp_slot *sl;
	uint64_t total, acked, spent;
	uint32_t s;
	int err;

	sl = fp_slot_of(fp, cookie, &s);
	if (!sl)
		return -ENOENT;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	spent = __atomic_load_n(&sl->spent, __ATOMIC_ACQUIRE);
	err = fp_tx_total(fp->ents[s].fd, &total, &acked);
	if (err)
		return err;
	return total - fp->ents[s].tx_base == daemon_written + spent;
}

int fastpath_drained(struct fastpath *fp, uint64_t cookie, uint64_t bytes)
{
	struct fp_slot *sl = fp_slot_of(fp, cookie, NULL);

	if (!sl)
		return -ENOENT;
	__atomic_store_n(&sl->drained, bytes, __ATOMIC_RELEASE);
	return 0;
}

int fastpath_budget_grant(struct fastpath *fp, uint64_t cookie, uint64_t bytes)
{
	struct fp_slot *sl = fp_slot_of(fp, cookie, NULL);

	if (!sl)
		return -ENOENT;
	__atomic_store_n(&sl->credit, sl->credit + bytes, __ATOMIC_RELEASE);
	return 0;
}

int fastpath_budget_refill(struct fastpath *fp, uint64_t cookie, uint64_t daemon_written,
			   uint64_t window)
{
	struct fp_slot *sl;
	uint64_t total, acked, done, credit;
	uint32_t s;
	int err;

	sl = fp_slot_of(fp, cookie, &s);
	if (!sl)
		return -ENOENT;
	err = fp_tx_total(fp->ents[s].fd, &total, &acked);
	if (err)
		return err;
	/*
	 * Redirected bytes acknowledged by the peer: what was acked past everything queued
	 * before the add, minus all the daemon wrote since (an underestimate when part of
	 * the daemon's bytes are still in flight: the budget errs on the small side).
	 */
	done = acked > fp->ents[s].tx_base + daemon_written
		   ? acked - fp->ents[s].tx_base - daemon_written
		   : 0;
	credit = done + window;
	if (credit > sl->credit)
		__atomic_store_n(&sl->credit, credit, __ATOMIC_RELEASE);
	return 0;
}

int fastpath_sock_bufs(struct fastpath *fp, int fd, int sndbuf, int rcvbuf)
{
	if (sndbuf) {
		int v = sndbuf < 0 || sndbuf > fp->wmem_max ? fp->wmem_max : sndbuf;

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)))
			return -errno;
	}
	if (rcvbuf) {
		int v = rcvbuf < 0 || rcvbuf > fp->rmem_max ? fp->rmem_max : rcvbuf;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
			return -errno;
	}
	return 0;
}

int fastpath_sock_stats(const struct fastpath *fp, uint64_t cookie, struct fastpath_sock_stats *out)
{
	const struct fp_slot *sl = fp_slot_of(fp, cookie, NULL);

	if (!sl)
		return -ENOENT;
	out->passed = __atomic_load_n(&sl->passed, __ATOMIC_ACQUIRE);
	out->drained = __atomic_load_n(&sl->drained, __ATOMIC_RELAXED);
	out->redirected = __atomic_load_n(&sl->redirected, __ATOMIC_RELAXED);
	out->spent = __atomic_load_n(&sl->spent, __ATOMIC_RELAXED);
	out->credit = __atomic_load_n(&sl->credit, __ATOMIC_RELAXED);
	out->gen = __atomic_load_n(&sl->gen, __ATOMIC_RELAXED);
	out->flags = __atomic_load_n(&sl->flags, __ATOMIC_RELAXED);
	return 0;
}

/* ---- counters ---- */

int fastpath_counters(const struct fastpath *fp, struct fastpath_counters *out)
{
	struct fp_stats *per;
	uint64_t sum[FP_CTR_NR] = {0};
	uint32_t zero = 0;
	int c, i, err = 0;

	per = calloc(fp->ncpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fp->stats_fd, &zero, per)) {
		err = -errno;
		goto out;
	}
	for (c = 0; c < fp->ncpus; c++)
		for (i = 0; i < FP_CTR_NR; i++)
			sum[i] += per[c].ctr[i];
	memset(out, 0, sizeof(*out));
	out->redirected_skbs = sum[FP_CTR_REDIR_SKBS];
	out->redirected_frames = sum[FP_CTR_REDIR_FRAMES];
	out->redirected_bytes = sum[FP_CTR_REDIR_BYTES];
	out->over_budget = sum[FP_CTR_OVER_BUDGET];
	out->dup_skbs = sum[FP_CTR_DUP_SKBS];
	out->dup_bytes = sum[FP_CTR_DUP_BYTES];
	for (i = 0; i < FP_PASS_NR; i++) {
		out->passed_skbs[i] = sum[FP_CTR_PASS_SKBS + i];
		out->passed_frames[i] = sum[FP_CTR_PASS_FRAMES + i];
		out->passed_bytes[i] = sum[FP_CTR_PASS_BYTES + i];
	}
out:
	free(per);
	return err;
}

const char *fastpath_reason_name(unsigned int reason)
{
	return fpstatus_reason_name(reason);
}

/* ---- status pins (fastpath_pin.c) ---- */

static uint64_t fp_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int fastpath_pin(struct fastpath *fp, const struct config *cfg, const char *version)
{
	const char *dir = cfg->fastpath_pin_dir ? cfg->fastpath_pin_dir : CONFIG_FASTPATH_PIN_DIR;
	struct fp_meta *m;

	if (!*dir || !strcmp(dir, "none"))
		return -ENOENT;
	/* identity first: the pin makes it visible at once */
	m = fp->meta;
	m->pid = (uint32_t)getpid();
	m->mode = cfg->fastpath == CONFIG_FASTPATH_ON ? FP_META_MODE_ON : FP_META_MODE_AUTO;
	m->pid_start = fp_pid_start(m->pid);
	m->start_boot_ns = fp_clock_ns(CLOCK_BOOTTIME);
	m->start_real = (uint64_t)time(NULL);
	m->updated_boot_ns = m->start_boot_ns;
	m->n_listeners = (uint32_t)cfg->n_listeners;
	for (size_t i = 0; i < cfg->n_listeners && i < FP_META_PORTS; i++)
		m->ports[i] = cfg->listeners[i].port;
	snprintf(m->version, sizeof(m->version), "%s", version ? version : "");
	__atomic_store_n(&m->magic, FP_META_MAGIC, __ATOMIC_RELEASE);
	return fp_pins_claim(&fp->pins, dir, bpf_map__fd(fp->skel->maps.fp_meta), fp->stats_fd);
}

void fastpath_status_set(struct fastpath *fp, const struct fastpath_status *st)
{
	struct fp_meta *m = fp->meta;

	m->sockets = st->sockets;
	m->routes = st->routes;
	m->flows_kernel = st->flows_kernel;
	m->flows_daemon = st->flows_daemon;
	m->to_daemon = st->to_daemon;
	m->to_kernel = st->to_kernel;
	m->writes_held = st->writes_held;
	m->daemon_frames = st->daemon_frames;
	m->updated_boot_ns = fp_clock_ns(CLOCK_BOOTTIME);
}

void fastpath_status_frames(struct fastpath *fp, uint64_t daemon_frames)
{
	fp->meta->daemon_frames = daemon_frames;
}
