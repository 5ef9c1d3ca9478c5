/* SPDX-License-Identifier: MIT */
/*
 * guard: the XDP guard wired into the daemon. See include/guard.h. Start order: open the
 * program, load it (BPF verification, 0.6-1.5 s of a start) on a thread of its own behind the
 * listeners (issue 15), then on the loop: pins and config (ports, SYN limit, lists), attach to
 * each interface, the netlink watcher, the once-a-second expiry; guard_free() undoes it in
 * reverse. The pinned ban map is the program's from its load on: its bans apply the moment
 * it attaches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "guard.h"
#include "listener.h"
#include "log.h"
#include "netlink.h"
#include "xdp_ban.h"
#include "xdp_guard.h"

#define GUARD_TICK_MS	1000
#define GUARD_BAN_TRACK 4096 /* source addresses whose offences are counted at once */

struct guard_iface {
	const char *name; /* the config's */
	enum xdp_guard_mode mode;
	int ifindex; /* attached to this ifindex; 0: not attached */
};

struct guard {
	struct loop *loop;
	const struct config *cfg;
	struct xdp_guard *xg; /* NULL: unguarded */
	struct guard_iface *ifaces;
	size_t nifaces;
	struct xdp_ban_tab *bans; /* NULL: banning off */
	struct nl_watch *nl;
	struct loop_io nl_io;
	struct loop_timer tick;
	bool follow_listeners; /* some listener has bind_interface */
	/* the load on its thread: ld_xg is the thread's until the eventfd says it is done */
	struct xdp_guard *ld_xg;
	pthread_t thread;
	int efd; /* -1: no load running */
	struct loop_io ld_io;
	int ld_ret;
	char ld_err[256];
	uint16_t *ports; /* copy, for the config map */
	size_t nports;
	void (*ready)(struct guard *g, int ret, const char *err);
};

/* The process's guard, for guard_offence() (see guard.h). */
static struct guard *the_guard;

bool guard_active(const struct guard *g)
{
	return g && g->xg;
}

/* Attach iface unless already attached to ifindex. 0 or -errno (logged by xdp_guard). */
static int guard_attach(struct guard *g, struct guard_iface *gi, int ifindex)
{
	int r;

	if (gi->ifindex && gi->ifindex == ifindex)
		return 0;
	r = xdp_guard_attach(g->xg, gi->name, gi->mode, NULL);
	gi->ifindex = r ? 0 : (int)if_nametoindex(gi->name);
	return r;
}

static struct guard_iface *guard_iface_find(struct guard *g, const char *name)
{
	for (size_t i = 0; name && i < g->nifaces; i++)
		if (!strcmp(g->ifaces[i].name, name))
			return &g->ifaces[i];
	return NULL;
}

/* ---- netlink events ---- */

static void guard_on_link(void *ctx, const struct nl_link *link, enum nl_event ev)
{
	struct guard *g = ctx;
	struct guard_iface *gi = g->xg ? guard_iface_find(g, link->name) : NULL;

	if (gi && ev == NL_DEL && gi->ifindex == link->ifindex) {
		log_notice("XDP guard: interface %s (ifindex %d) is gone; re-attaching when it "
			   "comes back.",
			   gi->name, link->ifindex);
		gi->ifindex = 0;
	} else if (gi && ev == NL_NEW && gi->ifindex != link->ifindex) {
		guard_attach(g, gi, link->ifindex); /* logs "attached" or why not */
	}
	if (g->follow_listeners && link->name)
		listener_iface_changed(link->name);
}

static void guard_on_addr(void *ctx, const struct nl_addr *addr, enum nl_event ev)
{
	struct guard *g = ctx;
	char name[IF_NAMESIZE];

	(void)ev;
	if (!g->follow_listeners)
		return;
	/* a DEL may come after its interface is gone: then every such listener re-reads */
	listener_iface_changed(if_indextoname((unsigned int)addr->ifindex, name) ? name : NULL);
}

static void guard_on_sync(void *ctx, enum nl_sync what)
{
	struct guard *g = ctx;

	if (what != NL_SYNC_DONE)
		return;
	/* events may have been lost (overrun): converge on what exists now */
	for (size_t i = 0; g->xg && i < g->nifaces; i++) {
		int ifindex = (int)if_nametoindex(g->ifaces[i].name);

		if (!ifindex)
			g->ifaces[i].ifindex = 0;
		else if (ifindex != g->ifaces[i].ifindex)
			guard_attach(g, &g->ifaces[i], ifindex);
	}
	if (g->follow_listeners)
		listener_iface_changed(NULL);
}

static const struct nl_watch_ops guard_nl_ops = {
    .link = guard_on_link,
    .addr = guard_on_addr,
    .sync = guard_on_sync,
};

static void guard_nl_ready(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct guard *g = io->ctx;
	static struct log_ratelimit rl;
	int r;

	(void)l, (void)events;
	r = nl_watch_dispatch(g->nl);
	if (r < 0)
		log_msg_rl(&rl, CONFIG_LOG_WARNING, "Warning: netlink watcher: %s", strerror(-r));
}

/* Once a second: free the entries of expired bans (they already pass). */
static void guard_tick(struct loop *l, struct loop_timer *t)
{
	struct guard *g = t->ctx;
	int n = xdp_guard_expire(g->xg, xdp_guard_now_ns());

	if (n > 0)
		log_info("XDP guard: %d ban%s expired.", n, n == 1 ? "" : "s");
	loop_timer_set(l, t, loop_now(l) + GUARD_TICK_MS);
}

/* ---- start and stop ---- */

static int guard_lists(struct guard *g, char *err, size_t errlen)
{
	const struct config *cfg = g->cfg;
	struct xdp_guard_cidr c;
	int r;

	for (int list = XDP_GUARD_ALLOW; list <= XDP_GUARD_DENY; list++) {
		char **v = list == XDP_GUARD_ALLOW ? cfg->xdp_allow : cfg->xdp_deny;
		size_t n = list == XDP_GUARD_ALLOW ? cfg->n_xdp_allow : cfg->n_xdp_deny;

		for (size_t i = 0; i < n; i++) {
			r = xdp_guard_parse_cidr(v[i], &c);
			if (!r)
				r = xdp_guard_cidr_add(g->xg, (enum xdp_guard_list)list, &c);
			if (r) {
				snprintf(err, errlen, "XDP guard: %s %s: %s",
					 list == XDP_GUARD_ALLOW ? "xdp_allow" : "xdp_deny", v[i],
					 strerror(-r));
				return r;
			}
		}
	}
	return 0;
}

static struct xdp_guard_opts guard_opts(const struct guard *g)
{
	const struct config *cfg = g->cfg;

	return (struct xdp_guard_opts){
	    .ports = g->ports,
	    .nports = g->nports,
	    .syn_rate = cfg->xdp_syn_rate,
	    .syn_burst = cfg->xdp_syn_burst,
	    .pin_dir = cfg->fastpath_pin_dir,
	};
}

/* Loaded: configure and attach. 0, or -errno with err (the caller decides if that is fatal). */
static int guard_configure(struct guard *g, char *err, size_t errlen)
{
	int r, missing = 0;

	r = guard_lists(g, err, errlen);
	for (size_t i = 0; !r && i < g->nifaces; i++) {
		int a = guard_attach(g, &g->ifaces[i], 0);

		if (a == -ENODEV && !missing++)
			snprintf(err, errlen, "XDP guard: no interface %s", g->ifaces[i].name);
		else if (a && a != -ENODEV)
			r = a, snprintf(err, errlen, "XDP guard: attaching to %s: %s",
					g->ifaces[i].name, strerror(-a));
	}
	if (!r && missing)
		r = -ENODEV;
	return r;
}

/* The netlink watcher: interfaces coming back, bind_interface addresses. Never fatal. */
static void guard_watch(struct guard *g)
{
	int r;

	g->nl = nl_watch_open(&guard_nl_ops, g);
	if (!g->nl) {
		log_warn("Warning: cannot open the netlink watcher (%s): interfaces that come "
			 "back are not followed.",
			 strerror(errno));
		return;
	}
	r = loop_io_add(g->loop, &g->nl_io, nl_watch_fd(g->nl), EPOLLIN, guard_nl_ready, g);
	if (r < 0) {
		log_warn("Warning: netlink watcher: epoll: %s", strerror(-r));
		nl_watch_close(g->nl);
		g->nl = NULL;
	}
}

/*
 * After the load (r: its result, err: why it failed): a failure is fatal with xdp_required,
 * else the daemon runs unguarded (or, for a missing interface, waits for it). Then the ban
 * counting, the expiry and the netlink watcher. 0, or r when fatal.
 */
static int guard_settle(struct guard *g, int r, const char *err)
{
	const struct config *cfg = g->cfg;

	if (r && cfg->xdp_required)
		return r;
	if (r == -ENODEV) {
		log_warn("Warning: %s yet; attaching when it appears.", err);
	} else if (r) {
		log_warn("Warning: XDP guard unavailable, running unguarded: %s", err);
		xdp_guard_free(g->xg);
		g->xg = NULL;
	}
	if (g->xg && cfg->ban_auth_failures) {
		g->bans = xdp_ban_new(
		    cfg->ban_auth_failures, (int64_t)cfg->ban_window * 1000, GUARD_BAN_TRACK,
		    xdp_guard_now_ns() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)g);
		if (!g->bans)
			log_warn("Warning: XDP guard: no memory for ban counting; banning is off.");
	}
	if (g->xg)
		loop_timer_set(g->loop, &g->tick, loop_now(g->loop) + GUARD_TICK_MS);
	if ((g->xg || g->follow_listeners) && !g->nl)
		guard_watch(g);
	return 0;
}

/* The rest of a load, on the loop: pins, config map, lists, attach. */
static int guard_up(struct guard *g, struct xdp_guard *xg, int r, char *err, size_t errlen)
{
	struct xdp_guard_opts o = guard_opts(g);

	if (!r)
		r = xdp_guard_finish(xg, &o, err, errlen);
	if (r) {
		xdp_guard_free(xg);
		return r;
	}
	g->xg = xg;
	return guard_configure(g, err, errlen);
}

static void *guard_load_thread(void *arg)
{
	struct guard *g = arg;
	uint64_t one = 1;

	g->ld_ret = xdp_guard_load(g->ld_xg, g->ld_err, sizeof(g->ld_err));
	/* an eventfd write of 1 to a fresh counter cannot fail or block */
	(void)!write(g->efd, &one, sizeof(one));
	return NULL;
}

/* Wait for the thread (done, or about to be) and take back what it loaded. */
static struct xdp_guard *guard_join(struct guard *g)
{
	struct xdp_guard *xg = g->ld_xg;

	if (g->efd < 0)
		return NULL;
	loop_io_del(g->loop, &g->ld_io);
	pthread_join(g->thread, NULL);
	xdp_guard_print_hold(false);
	close(g->efd);
	g->efd = -1;
	g->ld_xg = NULL;
	return xg;
}

static void guard_loaded(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct guard *g = io->ctx;
	struct xdp_guard *xg;
	char err[256];
	int r;

	(void)l, (void)events;
	xg = guard_join(g);
	snprintf(err, sizeof(err), "%s", g->ld_err);
	r = guard_settle(g, guard_up(g, xg, g->ld_ret, err, sizeof(err)), err);
	if (g->xg)
		log_info("XDP guard up behind the listeners.");
	if (g->ready)
		g->ready(g, r, err);
}

/* Load xg on a thread (0: guard_loaded() follows), or here when no thread can run (1: the
 * load's result in ld_ret and ld_err). */
static int guard_load_start(struct guard *g, struct xdp_guard *xg)
{
	g->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->efd < 0) {
		g->ld_ret = xdp_guard_load(xg, g->ld_err, sizeof(g->ld_err));
		return 1;
	}
	g->ld_xg = xg;
	xdp_guard_print_hold(true);
	if (!pthread_create(&g->thread, NULL, guard_load_thread, g)) {
		if (loop_io_add(g->loop, &g->ld_io, g->efd, EPOLLIN, guard_loaded, g) == 0)
			return 0;
		pthread_join(g->thread, NULL); /* it loaded: its result stands */
	} else {
		g->ld_ret = xdp_guard_load(xg, g->ld_err, sizeof(g->ld_err));
	}
	xdp_guard_print_hold(false);
	close(g->efd);
	g->efd = -1;
	g->ld_xg = NULL;
	return 1;
}

int guard_new(struct guard **out, struct loop *l, const struct config *cfg, const uint16_t *ports,
	      size_t nports, void (*ready)(struct guard *g, int ret, const char *err), char *err,
	      size_t errlen)
{
	struct guard *g = calloc(1, sizeof(*g));
	struct xdp_guard *xg = NULL;
	struct xdp_guard_opts o;
	int r = 0;

	*out = NULL;
	if (!g ||
	    (cfg->n_xdp_ifaces && !(g->ifaces = calloc(cfg->n_xdp_ifaces, sizeof(*g->ifaces)))) ||
	    !(g->ports = calloc(nports + 1, sizeof(*g->ports)))) {
		if (g)
			free(g->ifaces);
		free(g);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(g->ports, ports, nports * sizeof(*ports));
	g->nports = nports;
	g->efd = -1;
	g->loop = l;
	g->cfg = cfg;
	g->ready = ready;
	g->nifaces = cfg->n_xdp_ifaces;
	for (size_t i = 0; i < g->nifaces; i++) {
		g->ifaces[i].name = cfg->xdp_ifaces[i].name;
		g->ifaces[i].mode = (enum xdp_guard_mode)cfg->xdp_ifaces[i].mode;
	}
	for (size_t i = 0; i < cfg->n_listeners; i++)
		g->follow_listeners |= cfg->listeners[i].bind_interface != NULL;
	loop_timer_init(&g->tick, guard_tick, g);
	if (!g->nifaces && cfg->xdp_required) {
		snprintf(err, errlen, "xdp_required is true but no xdp_interface is configured");
		guard_free(g);
		return -EINVAL;
	}
	the_guard = g;
	*out = g;
	if (g->nifaces) {
		o = guard_opts(g);
		r = xdp_guard_open(&xg, &o, err, errlen); /* the probes: what is missing, now */
		if (!r && guard_load_start(g, xg) == 0)
			return 0; /* the rest in guard_loaded() */
		if (!r) {
			snprintf(err, errlen, "%s", g->ld_err);
			r = guard_up(g, xg, g->ld_ret, err, errlen);
		}
	}
	r = guard_settle(g, r, err);
	if (r) {
		guard_free(g);
		*out = NULL;
	}
	return r;
}

bool guard_loading(const struct guard *g)
{
	return g && g->efd >= 0;
}

void guard_free(struct guard *g)
{
	if (!g)
		return;
	if (the_guard == g)
		the_guard = NULL;
	xdp_guard_free(guard_join(g)); /* stopped during the load */
	if (g->nl) {
		loop_io_del(g->loop, &g->nl_io);
		nl_watch_close(g->nl);
	}
	loop_timer_cancel(g->loop, &g->tick);
	xdp_ban_free(g->bans);
	xdp_guard_free(g->xg);
	free(g->ports);
	free(g->ifaces);
	free(g);
}

/* ---- fail2ban ---- */

/* k as users read it: IPv4 (as accepted on a dual-stack listener: v4-mapped) dotted. */
static void guard_addr_text(const struct xdp_ban_key *k, char *buf, size_t len)
{
	static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (!memcmp(k->a, v4mapped, sizeof(v4mapped)))
		inet_ntop(AF_INET, &k->a[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, k->a, buf, (socklen_t)len);
}

bool guard_offence(const struct sockaddr *peer, enum guard_offence kind)
{
	struct guard *g = the_guard;
	struct xdp_ban_key k;
	char a[INET6_ADDRSTRLEN];
	uint64_t now, until;
	int r;

	if (!g || !g->bans || !peer || xdp_ban_key(peer, &k))
		return false;
	now = xdp_guard_now_ns();
	/* an attempt already under way when its address was banned: the ban is counted and
	 * logged once, not again for every attempt that was queued behind it */
	if (xdp_guard_banned(g->xg, peer, now))
		return true;
	if (!xdp_ban_offence(g->bans, &k, loop_now(g->loop)))
		return false;
	until = now + (uint64_t)g->cfg->ban_time * 1000000000ull;
	r = xdp_guard_ban(g->xg, peer, until);
	guard_addr_text(&k, a, sizeof(a));
	if (r) {
		log_warn("Warning: XDP guard: cannot ban %s: %s", a, strerror(-r));
		return false;
	}
	log_notice("XDP guard: banned %s for %u s after %u %s within %u s.", a, g->cfg->ban_time,
		   g->cfg->ban_auth_failures,
		   kind == GUARD_PROTOCOL ? "offences (the last a protocol violation)"
					  : "offences (the last a failed login)",
		   g->cfg->ban_window);
	return true;
}

static bool guard_peer(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	return the_guard && the_guard->bans && !getpeername(fd, (struct sockaddr *)ss, &len);
}

bool guard_offence_fd(int fd, enum guard_offence kind)
{
	struct sockaddr_storage ss;

	return guard_peer(fd, &ss) && guard_offence((struct sockaddr *)&ss, kind);
}

unsigned int guard_suspicion_fd(int fd)
{
	struct sockaddr_storage ss;
	struct xdp_ban_key k;

	if (!guard_peer(fd, &ss) || xdp_ban_key((struct sockaddr *)&ss, &k))
		return 0;
	if (xdp_guard_banned(the_guard->xg, (struct sockaddr *)&ss, xdp_guard_now_ns()))
		return the_guard->cfg->ban_auth_failures;
	return xdp_ban_pending(the_guard->bans, &k, loop_now(the_guard->loop));
}

/* ---- $SYS ---- */

int guard_sys_each(const struct guard *g,
		   void (*fn)(void *ctx, const char *name, const char *value), void *ctx)
{
	struct xdp_guard_counters c;
	char name[64], val[IF_NAMESIZE * 8 + 8];
	size_t off = 0;
	int n = 0, r;

	if (!guard_active(g))
		return 0;
	r = xdp_guard_counters(g->xg, &c);
	if (r)
		return r;
	for (unsigned int i = 0; i < XDP_R_NR; i++, n++) {
		snprintf(name, sizeof(name), "xdp/%s", xdp_guard_reason_name(i));
		snprintf(val, sizeof(val), "%llu", (unsigned long long)c.pkts[i]);
		fn(ctx, name, val);
	}
	r = xdp_guard_ban_count(g->xg);
	snprintf(val, sizeof(val), "%d", r < 0 ? 0 : r);
	fn(ctx, "xdp/bans", val);
	val[0] = '\0';
	for (size_t i = 0; i < g->nifaces && off < sizeof(val) - IF_NAMESIZE - 1; i++)
		if (g->ifaces[i].ifindex)
			off += (size_t)snprintf(val + off, sizeof(val) - off, "%s%s",
						off ? " " : "", g->ifaces[i].name);
	fn(ctx, "xdp/interfaces", val);
	return n + 2;
}
