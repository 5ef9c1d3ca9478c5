/* SPDX-License-Identifier: MIT */
/*
 * xdp_guard: loader and map keeper of the XDP guard (bpf/xdp_guard.bpf.c). The only file
 * that includes the xdp_guard skeleton. See include/xdp_guard.h for the API and its wiring,
 * include/mqttgw/xdp_abi.h for the maps.
 *
 * Lifecycle as libbpf-bootstrap's: open -> size maps, reuse the pinned ban map -> load ->
 * write the config map -> attach (one bpf_link per interface) -> ... -> destroy. Links, not
 * netlink attachments: a daemon that dies takes its program off the interfaces with it,
 * while the ban map, pinned, outlives it.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "bpf_util.h"
#include "clock.h"
#include "xdp_guard.h"
#include "xdp_guard.skel.h"
#include "xdp_int.h"

#define XG_MAX_CIDRS   1024u
#define XG_MAX_BANS    65536u
#define XG_MAX_SOURCES 65536u
#define XG_MAX_IFACES  64u

struct xg_link {
	char name[IF_NAMESIZE];
	int ifindex;
	int fd; /* the bpf_link */
	enum xdp_guard_mode mode;
};

struct xdp_guard {
	struct xdp_guard_bpf *skel;
	int cfg_fd, bans_fd, stats_fd;
	int lists[2][2]; /* [enum xdp_guard_list][0: v4, 1: v6] map fds */
	struct xdp_cfg cfg;
	struct xg_link links[XG_MAX_IFACES];
	unsigned int nlinks;
	int ncpus;
	bool pinned; /* the ban map is pinned (reused or pinned by us) */
	int meta_fd; /* the status meta map; -1 when the status is not pinned */
	char status_dir[256];
};

/* ---- probing ---- */

const char *xdp_guard_probe(char *buf, size_t len)
{
	static const struct {
		enum bpf_map_type type;
		const char *name;
	} maps[] = {
	    {BPF_MAP_TYPE_LPM_TRIE, "LPM_TRIE"},
	    {BPF_MAP_TYPE_LRU_HASH, "LRU_HASH"},
	    {BPF_MAP_TYPE_PERCPU_ARRAY, "PERCPU_ARRAY"},
	};
	unsigned int i;
	int r;

	if (!bpf_util_have_caps())
		return "mqttgwd lacks CAP_BPF and CAP_NET_ADMIN (run as root or grant them)";
	r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL);
	if (r <= 0) {
		snprintf(buf, len, "the kernel has no XDP programs (%s)",
			 r ? strerror(-r) : "not supported");
		return buf;
	}
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		r = libbpf_probe_bpf_map_type(maps[i].type, NULL);
		if (r <= 0) {
			snprintf(buf, len, "the kernel has no %s maps (%s)", maps[i].name,
				 r ? strerror(-r) : "not supported");
			return buf;
		}
	}
	return NULL;
}

uint64_t xdp_guard_now_ns(void)
{
	return clock_mono_ns();
}

/* ---- the pinned ban map ---- */

/* Before load: hand the pinned ban map to the skeleton when it has our layout. */
static void xg_pin_reuse(struct xdp_guard *g, const char *path)
{
	struct bpf_map_info info = {0};
	uint32_t ilen = sizeof(info);
	struct bpf_map *m = g->skel->maps.xg_bans;
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	err = bpf_obj_get_info_by_fd(fd, &info, &ilen);
	if (!err && info.type == bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	    info.value_size == bpf_map__value_size(m) &&
	    info.max_entries == bpf_map__max_entries(m) &&
	    info.map_flags == bpf_map__map_flags(m)) {
		err = bpf_map__reuse_fd(m, fd);
		g->pinned = !err;
		if (!err)
			log_info("XDP guard: reusing the pinned ban map %s.", path);
	} else {
		log_notice("XDP guard: the pinned ban map %s has another layout; replacing it "
			   "(its bans are lost).",
			   path);
		unlink(path);
	}
	close(fd);
}

/* After load: pin the ban map unless it was reused (already pinned). */
static void xg_pin(struct xdp_guard *g, const char *dir, const char *path)
{
	if (mkdir(dir, 0755) && errno != EEXIST) {
		log_notice("XDP guard: cannot create %s (%s); bans last as long as the daemon.",
			   dir, strerror(errno));
		return;
	}
	g->pinned = !bpf_obj_pin(g->bans_fd, path);
	if (!g->pinned)
		log_notice("XDP guard: cannot pin the ban map at %s (%s); bans last as long as "
			   "the daemon.",
			   path, strerror(errno));
}

/* Reuse or pin the ban map under dir (both halves, by phase). */
static void xg_pin_phase(struct xdp_guard *g, const char *dir, bool loaded)
{
	char path[512];
	int r;

	if (dir && !strcmp(dir, "none"))
		return;
	if (!dir)
		dir = XDP_GUARD_PIN_DIR;
	snprintf(path, sizeof(path), "%s/%s", dir, XDP_PIN_BANS);
	if (!loaded) {
		xg_pin_reuse(g, path);
		return;
	}
	if (g->pinned)
		return;
	/* The directory, or the bpffs it is to be made in. */
	r = bpf_util_on_bpffs(dir);
	if (r == -ENOENT) {
		char parent[512], *slash;

		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = '\0';
		r = bpf_util_on_bpffs(parent);
	}
	if (r <= 0) {
		log_notice("XDP guard: %s is not on a bpffs; bans last as long as the daemon.",
			   dir);
		return;
	}
	xg_pin(g, dir, path);
}

/* ---- the status pins (daemon/xdp/xdp_int.h) ---- */

static uint32_t xg_prog_id(int fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The meta as it is now: program, SYN limit, attached interfaces. */
static void xg_meta_write(struct xdp_guard *g)
{
	struct xdp_meta m;
	uint32_t zero = 0;

	if (g->meta_fd < 0)
		return;
	memset(&m, 0, sizeof(m));
	m.magic = XDP_META_MAGIC;
	m.pid = (uint32_t)getpid();
	m.prog_id = xg_prog_id(xdp_guard_prog_fd(g));
	m.syn_interval_ns = g->cfg.syn_interval_ns;
	m.syn_tau_ns = g->cfg.syn_tau_ns;
	m.start_wall = (uint64_t)time(NULL);
	for (unsigned int i = 0; i < g->nlinks && i < XDP_META_IFACES; i++, m.n_ifaces++) {
		snprintf(m.ifaces[i].name, sizeof(m.ifaces[i].name), "%s", g->links[i].name);
		m.ifaces[i].ifindex = g->links[i].ifindex;
		m.ifaces[i].mode = (uint32_t)g->links[i].mode;
	}
	bpf_map_update_elem(g->meta_fd, &zero, &m, BPF_ANY);
}

/* The program of the meta pinned at path is loaded: a running daemon owns the pins. */
static bool xg_pins_alive(const char *path)
{
	struct xdp_meta m;
	uint32_t zero = 0;
	int fd = bpf_obj_get(path), pfd;
	bool alive = false;

	if (fd < 0)
		return false;
	if (!bpf_map_lookup_elem(fd, &zero, &m) && m.magic == XDP_META_MAGIC &&
	    (pfd = bpf_prog_get_fd_by_id(m.prog_id)) >= 0) {
		alive = true;
		close(pfd);
	}
	close(fd);
	return alive;
}

/* Pin stats and meta in dir, replacing stale ones; never fatal (one log line). */
static void xg_status_pin(struct xdp_guard *g, const char *dir)
{
	char meta[512], stats[512];
	int sfd = bpf_map__fd(g->skel->maps.xg_stats);

	snprintf(meta, sizeof(meta), "%s/%s", dir, XDP_PIN_META);
	snprintf(stats, sizeof(stats), "%s/%s", dir, XDP_PIN_STATS);
	if (xg_pins_alive(meta)) {
		log_notice("XDP guard: another running daemon's status is pinned in %s; this one's "
			   "is not (--xdp-status shows the other).",
			   dir);
		return;
	}
	unlink(meta);
	unlink(stats);
	g->meta_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xg_meta", 4, sizeof(struct xdp_meta), 1,
				    NULL);
	if (g->meta_fd < 0)
		return;
	xg_meta_write(g);
	if (bpf_obj_pin(sfd, stats) || bpf_obj_pin(g->meta_fd, meta)) {
		log_notice("XDP guard: cannot pin the status in %s (%s).", dir, strerror(errno));
		unlink(stats);
		close(g->meta_fd);
		g->meta_fd = -1;
		return;
	}
	snprintf(g->status_dir, sizeof(g->status_dir), "%s", dir);
}

static void xg_status_unpin(struct xdp_guard *g)
{
	char path[512];

	if (g->meta_fd < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", g->status_dir, XDP_PIN_META);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", g->status_dir, XDP_PIN_STATS);
	unlink(path);
	close(g->meta_fd);
	g->meta_fd = -1;
}

/* ---- load ---- */

static void xg_destroy(struct xdp_guard *g)
{
	unsigned int i;

	if (!g)
		return;
	xg_status_unpin(g);
	for (i = 0; i < g->nlinks; i++)
		close(g->links[i].fd);
	xdp_guard_bpf__destroy(g->skel);
	free(g);
}

int xdp_guard_open(struct xdp_guard **out, const struct xdp_guard_opts *opts, char *err,
		   size_t errlen)
{
	struct xdp_guard *g;
	const char *why;
	char buf[256];
	int r;

	*out = NULL;
	libbpf_set_print(bpf_util_libbpf_print);
	why = xdp_guard_probe(buf, sizeof(buf));
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -ENOTSUP;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	g->meta_fd = -1;
	g->ncpus = libbpf_num_possible_cpus();
	if (g->ncpus <= 0) {
		r = g->ncpus ? g->ncpus : -EINVAL;
		snprintf(err, errlen, "cannot count possible CPUs");
		goto err_free;
	}
	g->skel = xdp_guard_bpf__open();
	if (!g->skel) {
		r = -errno;
		snprintf(err, errlen, "opening the XDP object failed: %s", strerror(-r));
		goto err_free;
	}
	bpf_map__set_max_entries(g->skel->maps.xg_bans, XG_MAX_BANS);
	bpf_map__set_max_entries(g->skel->maps.xg_syn, XG_MAX_SOURCES);
	xg_pin_phase(g, opts->pin_dir, false);
	*out = g;
	return 0;

err_free:
	xg_destroy(g);
	return r;
}

void xdp_guard_print_hold(bool on)
{
	bpf_util_print_hold(on);
}

int xdp_guard_load(struct xdp_guard *g, char *err, size_t errlen)
{
	int r = xdp_guard_bpf__load(g->skel);

	if (r)
		snprintf(err, errlen, "loading the XDP program failed: %s", strerror(-r));
	return r;
}

int xdp_guard_finish(struct xdp_guard *g, const struct xdp_guard_opts *opts, char *err,
		     size_t errlen)
{
	int r;

	g->cfg_fd = bpf_map__fd(g->skel->maps.xg_cfg);
	g->bans_fd = bpf_map__fd(g->skel->maps.xg_bans);
	g->stats_fd = bpf_map__fd(g->skel->maps.xg_stats);
	g->lists[XDP_GUARD_ALLOW][0] = bpf_map__fd(g->skel->maps.xg_allow4);
	g->lists[XDP_GUARD_ALLOW][1] = bpf_map__fd(g->skel->maps.xg_allow6);
	g->lists[XDP_GUARD_DENY][0] = bpf_map__fd(g->skel->maps.xg_deny4);
	g->lists[XDP_GUARD_DENY][1] = bpf_map__fd(g->skel->maps.xg_deny6);
	xg_pin_phase(g, opts->pin_dir, true);
	r = xdp_guard_set_syn_rate(g, opts->syn_rate, opts->syn_burst);
	if (!r)
		r = xdp_guard_set_ports(g, opts->ports, opts->nports);
	if (r) {
		snprintf(err, errlen, "writing the XDP config map failed: %s", strerror(-r));
		return r;
	}
	if (g->pinned)
		xg_status_pin(g, opts->pin_dir ? opts->pin_dir : XDP_GUARD_PIN_DIR);
	return 0;
}

int xdp_guard_new(struct xdp_guard **out, const struct xdp_guard_opts *opts, char *err,
		  size_t errlen)
{
	int r = xdp_guard_open(out, opts, err, errlen);

	if (!r)
		r = xdp_guard_load(*out, err, errlen);
	if (!r)
		r = xdp_guard_finish(*out, opts, err, errlen);
	if (r && *out) {
		xg_destroy(*out);
		*out = NULL;
	}
	return r;
}

void xdp_guard_free(struct xdp_guard *g)
{
	xg_destroy(g);
}

int xdp_guard_prog_fd(const struct xdp_guard *g)
{
	return bpf_program__fd(g->skel->progs.xdp_guard_rx);
}

static int xg_cfg_write(struct xdp_guard *g)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(g->cfg_fd, &zero, &g->cfg, BPF_ANY))
		return -errno;
	xg_meta_write(g);
	return 0;
}

int xdp_guard_set_ports(struct xdp_guard *g, const uint16_t *ports, size_t nports)
{
	size_t i;

	memset(g->cfg.ports, 0, sizeof(g->cfg.ports));
	for (i = 0; i < nports; i++)
		g->cfg.ports[ports[i] >> 3] |= (uint8_t)(1u << (ports[i] & 7));
	return xg_cfg_write(g);
}

int xdp_guard_set_syn_rate(struct xdp_guard *g, uint32_t rate, uint32_t burst)
{
	if (!rate) {
		g->cfg.syn_interval_ns = 0;
		g->cfg.syn_tau_ns = 0;
	} else {
		if (!burst)
			burst = rate;
		g->cfg.syn_interval_ns = 1000000000ull / rate;
		if (!g->cfg.syn_interval_ns)
			g->cfg.syn_interval_ns = 1;
		g->cfg.syn_tau_ns = (uint64_t)(burst - 1) * g->cfg.syn_interval_ns;
	}
	return xg_cfg_write(g);
}

/* ---- interfaces ---- */

static struct xg_link *xg_link_find(struct xdp_guard *g, const char *ifname)
{
	unsigned int i;

	for (i = 0; i < g->nlinks; i++)
		if (!strcmp(g->links[i].name, ifname))
			return &g->links[i];
	return NULL;
}

static void xg_link_drop(struct xdp_guard *g, struct xg_link *l)
{
	close(l->fd);
	*l = g->links[--g->nlinks];
	xg_meta_write(g);
}

static int xg_link_create(struct xdp_guard *g, int ifindex, enum xdp_guard_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, o,
		    .flags = mode == XDP_GUARD_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	int fd = bpf_link_create(xdp_guard_prog_fd(g), ifindex, BPF_XDP, &o);

	return fd < 0 ? -errno : fd;
}

/* The link still holds its device (a deleted device leaves the link defunct, ifindex 0):
 * a re-created device may, rarely, get the old ifindex back. */
static bool xg_link_alive(const struct xg_link *l)
{
	struct bpf_link_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return !bpf_obj_get_info_by_fd(l->fd, &info, &len) &&
	       info.xdp.ifindex == (uint32_t)l->ifindex;
}

int xdp_guard_attach(struct xdp_guard *g, const char *ifname, enum xdp_guard_mode mode,
		     enum xdp_guard_mode *took)
{
	enum xdp_guard_mode m = mode == XDP_GUARD_GENERIC ? XDP_GUARD_GENERIC : XDP_GUARD_NATIVE;
	struct xg_link *l = xg_link_find(g, ifname);
	int ifindex = (int)if_nametoindex(ifname), fd;

	if (!ifindex) {
		log_warn("XDP guard: no interface %s: %s.", ifname, strerror(errno));
		return -ENODEV;
	}
	if (l && l->ifindex == ifindex && xg_link_alive(l)) {
		if (took)
			*took = l->mode;
		return 0;
	}
	if (l) /* re-created under the same name: the old link died with the old device */
		xg_link_drop(g, l);
	if (g->nlinks == XG_MAX_IFACES || strlen(ifname) >= IF_NAMESIZE)
		return -ENOSPC;
	fd = xg_link_create(g, ifindex, m);
	if (fd < 0 && mode == XDP_GUARD_AUTO) {
		log_info("XDP guard: native mode on %s failed (%s); trying generic.", ifname,
			 strerror(-fd));
		m = XDP_GUARD_GENERIC;
		fd = xg_link_create(g, ifindex, m);
	}
	if (fd < 0) {
		log_warn("XDP guard: attaching to %s in %s mode failed: %s.", ifname,
			 xdp_guard_mode_name(m), strerror(-fd));
		return fd;
	}
	l = &g->links[g->nlinks++];
	snprintf(l->name, sizeof(l->name), "%s", ifname);
	l->ifindex = ifindex;
	l->fd = fd;
	l->mode = m;
	xg_meta_write(g);
	if (took)
		*took = m;
	log_info("XDP guard attached to %s (ifindex %d, %s mode).", ifname, ifindex,
		 xdp_guard_mode_name(m));
	return 0;
}

int xdp_guard_detach(struct xdp_guard *g, const char *ifname)
{
	struct xg_link *l = xg_link_find(g, ifname);

	if (!l)
		return -ENOENT;
	xg_link_drop(g, l);
	log_info("XDP guard detached from %s.", ifname);
	return 0;
}

/* ---- lists ---- */

/* The LPM key of c in buf (struct xdp_lpm4 or xdp_lpm6): its map fd, or -EAFNOSUPPORT. */
static int xg_cidr_key(struct xdp_guard *g, enum xdp_guard_list list,
		       const struct xdp_guard_cidr *c, void *buf)
{
	bool v6 = c->family == AF_INET6;

	if ((c->family != AF_INET && !v6) || (unsigned int)list > XDP_GUARD_DENY)
		return -EAFNOSUPPORT;
	*(uint32_t *)buf = c->prefix;
	memcpy((uint8_t *)buf + 4, c->addr, v6 ? 16 : 4);
	return g->lists[list][v6];
}

/*
 * cfg.lists after a change to `list`: its two XDP_CFG_* bits say which of its tries hold an
 * entry, so the program skips an empty trie's lookup. Set after an add (the entry is in before
 * the program looks) and cleared after the last delete.
 */
static int xg_lists_sync(struct xdp_guard *g, enum xdp_guard_list list)
{
	uint32_t lists = g->cfg.lists;
	struct xdp_lpm6 key;
	int i;

	for (i = 0; i < 2; i++) {
		uint32_t bit = 1u << ((unsigned int)list * 2 + (unsigned int)i);

		if (!bpf_map_get_next_key(g->lists[list][i], NULL, &key))
			lists |= bit;
		else
			lists &= ~bit;
	}
	if (lists == g->cfg.lists)
		return 0;
	g->cfg.lists = lists;
	return xg_cfg_write(g);
}

int xdp_guard_cidr_add(struct xdp_guard *g, enum xdp_guard_list list,
		       const struct xdp_guard_cidr *c)
{
	struct xdp_lpm6 key; /* the larger of the two */
	uint32_t one = 1;
	int fd = xg_cidr_key(g, list, c, &key);

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &key, &one, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return xg_lists_sync(g, list);
}

int xdp_guard_cidr_del(struct xdp_guard *g, enum xdp_guard_list list,
		       const struct xdp_guard_cidr *c)
{
	struct xdp_lpm6 key;
	int fd = xg_cidr_key(g, list, c, &key);

	if (fd < 0)
		return fd;
	if (bpf_map_delete_elem(fd, &key))
		return -errno;
	return xg_lists_sync(g, list);
}

int xdp_guard_cidr_clear(struct xdp_guard *g, enum xdp_guard_list list)
{
	struct xdp_lpm6 key;
	int i, fd;

	if ((unsigned int)list > XDP_GUARD_DENY)
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		fd = g->lists[list][i];
		/* Always the first key: deleting while walking would restart the walk anyway. */
		while (!bpf_map_get_next_key(fd, NULL, &key))
			if (bpf_map_delete_elem(fd, &key))
				return -errno;
	}
	return xg_lists_sync(g, list);
}

/* ---- bans ---- */

static int xg_addr_of(const struct sockaddr *sa, struct xdp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		a->w[2] = htonl(0xffff);
		a->w[3] = ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		/* v4-mapped stays as is: it is how the program keys IPv4 sources. */
		memcpy(a->w, &((const struct sockaddr_in6 *)sa)->sin6_addr, sizeof(a->w));
		return 0;
	}
	return -EAFNOSUPPORT;
}

int xdp_guard_ban(struct xdp_guard *g, const struct sockaddr *sa, uint64_t until_ns)
{
	struct xdp_ban ban = {.expires_ns = until_ns};
	struct xdp_addr a;
	int r = xg_addr_of(sa, &a);

	if (r)
		return r;
	if (bpf_map_update_elem(g->bans_fd, &a, &ban, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

bool xdp_guard_banned(struct xdp_guard *g, const struct sockaddr *sa, uint64_t now_ns)
{
	struct xdp_ban ban;
	struct xdp_addr a;

	return !xg_addr_of(sa, &a) && !bpf_map_lookup_elem(g->bans_fd, &a, &ban) &&
	       ban.expires_ns > now_ns;
}

int xdp_guard_unban(struct xdp_guard *g, const struct sockaddr *sa)
{
	struct xdp_addr a;
	int r = xg_addr_of(sa, &a);

	if (r)
		return r;
	return bpf_map_delete_elem(g->bans_fd, &a) ? -errno : 0;
}

/*
 * Walk the ban map: count entries, and collect those expired at now_ns into *dead (NULL: only
 * count). Keys are collected first and deleted after: deleting during a hash walk restarts it.
 */
static int xg_bans_walk(struct xdp_guard *g, uint64_t now_ns, struct xdp_addr **dead,
			unsigned int *ndead)
{
	struct xdp_addr key, next, *p = NULL;
	struct xdp_ban ban;
	unsigned int n = 0, cap = 0;
	int count = 0;

	while (!bpf_map_get_next_key(g->bans_fd, count ? &key : NULL, &next)) {
		key = next;
		count++;
		if (!dead || bpf_map_lookup_elem(g->bans_fd, &key, &ban) || ban.expires_ns > now_ns)
			continue;
		if (n == cap) {
			struct xdp_addr *q = realloc(p, (cap ? cap * 2 : 64) * sizeof(*p));

			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap = cap ? cap * 2 : 64;
		}
		p[n++] = key;
	}
	if (dead) {
		*dead = p;
		*ndead = n;
	}
	return count;
}

int xdp_guard_expire(struct xdp_guard *g, uint64_t now_ns)
{
	struct xdp_addr *dead = NULL;
	unsigned int n = 0, i;
	int r = xg_bans_walk(g, now_ns, &dead, &n), deleted = 0;

	if (r < 0)
		return r;
	for (i = 0; i < n; i++)
		deleted += !bpf_map_delete_elem(g->bans_fd, &dead[i]);
	free(dead);
	return deleted;
}

int xdp_guard_ban_count(struct xdp_guard *g)
{
	return xg_bans_walk(g, 0, NULL, NULL);
}

/* ---- counters ---- */

int xdp_guard_counters(const struct xdp_guard *g, struct xdp_guard_counters *out)
{
	uint64_t *v = calloc((size_t)g->ncpus, sizeof(*v));
	uint32_t k;
	int c;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	for (k = 0; k < XDP_R_NR; k++) {
		if (bpf_map_lookup_elem(g->stats_fd, &k, v)) {
			free(v);
			return -errno;
		}
		for (c = 0; c < g->ncpus; c++)
			out->pkts[k] += v[c];
	}
	free(v);
	return 0;
}
