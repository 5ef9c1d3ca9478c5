/* SPDX-License-Identifier: MIT */
/* mqttgwd: parse arguments, initialise in order, run the loop, tear down in reverse. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acl.h"
#include "broker.h"
#include "config.h"
#include "conn.h"
#include "ctl.h"
#include "fastpath.h"
#include "guard.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "msg.h"
#include "passwd.h"
#include "psk.h"
#include "privdrop.h"
#include "store.h"
#include "tls.h"
#include "sdnotify.h"
#include "version.h"
#include "xdp_guard.h"

/* Exit codes (documented in --help and the README). */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_CONFIG = 3,
	EXIT_LISTEN = 4,
	EXIT_FASTPATH = 5,
	EXIT_XDP = 6,
};

/* Capabilities kept after the drop to `user` (bit n = capability n): see README "user". */
#ifndef DROP_CAPS
#define DROP_CAPS 0ull
#endif
/* Kept besides when the XDP guard runs: attaching it again to an xdp_interface that is
 * deleted and created again (netlink IFLA_XDP) needs CAP_NET_ADMIN, and nothing more on 6.x
 * (the program and maps are loaded; only BPF_PROG_LOAD and BPF_MAP_CREATE need CAP_BPF).
 * Measured: tests/integration/t_netlink_xdp_reattach.sh run as `user mosquitto`. */
#define DROP_CAPS_XDP (1ull << 12) /* CAP_NET_ADMIN */

static const char usage_text[] =
	"Usage: mqttgwd [-c FILE] [-p PORT]... [-v] [-t]\n"
	"       mqttgwd --fastpath-status [-c FILE | --pin-dir DIR] [--json]\n"
	"       mqttgwd --xdp-status [-c FILE | --pin-dir DIR] [--json]\n"
	"       mqttgwd --help | --version\n"
	"\n"
	"mqttgwd is an MQTT 3.1, 3.1.1 and 5.0 broker for Linux edge gateways. It reads a\n"
	"Mosquitto-compatible configuration file; QoS 0 traffic can be relayed inside the\n"
	"kernel by eBPF (`fastpath auto|on|off`).\n"
	"\n"
	"Options:\n"
	"  -c, --config-file FILE  read the configuration from FILE (mosquitto.conf syntax).\n"
	"                          Without it: listen on 127.0.0.1:1883, anonymous clients\n"
	"                          allowed (Mosquitto 2.0's local-only mode).\n"
	"  -p, --port PORT         add a listener on 127.0.0.1:PORT; may be repeated and\n"
	"                          combines with -c.\n"
	"  -v, --verbose           log every message type (as `log_type all`).\n"
	"  -t, --test-config       check the configuration, print the result, and exit.\n"
	"  -h, --help              show this help and exit.\n"
	"      --version           show the version and exit.\n"
	"\n"
	"Fast-path status:\n"
	"      --fastpath-status   print the running daemon's kernel fast path and exit:\n"
	"                          pid, uptime, mode; sockets, routes, flows on the\n"
	"                          kernel and on the daemon's path; frames, skbs and\n"
	"                          bytes redirected in the kernel; skbs, frames and bytes\n"
	"                          passed to the daemon, per reason; over-budget skbs;\n"
	"                          duplicates cut; the in-kernel fraction K / (K + D),\n"
	"                          K: frames redirected, D: QoS 0 PUBLISH frames the\n"
	"                          daemon relayed from sockets in the fast path, or\n"
	"                          eligible ones from clients about to join it, both\n"
	"                          since its start. Reads the maps the daemon pins in\n"
	"                          `fastpath_pin_dir` (default " CONFIG_FASTPATH_PIN_DIR ";\n"
	"                          needs root or CAP_BPF); -c FILE is read for that key.\n"
	"      --pin-dir DIR       read the pins in DIR instead.\n"
	"      --xdp-status        print the running daemon's XDP guard from the same pin\n"
	"                          directory: attached interfaces and their mode, the\n"
	"                          SYN limit, bans, packets per reason (passed, allowed,\n"
	"                          syn_limited, banned, denied, ...). Same options and\n"
	"                          exit status as --fastpath-status.\n"
	"      --json              print the status as one line of JSON.\n"
	"\n"
	"Signals:\n"
	"  SIGTERM, SIGINT         graceful shutdown (MQTT 5 clients get DISCONNECT 0x8B).\n"
	"  SIGHUP                  reopen the log file; reload password_file,\n"
	"                          scram_password_file, acl_file, psk_file and TLS\n"
	"                          files (connected clients stay and their rights\n"
	"                          change at once; those whose\n"
	"                          user was deleted or whose password changed are\n"
	"                          disconnected); re-read\n"
	"                          use_another_server / server_moved from the config\n"
	"                          file (when set, connected clients are redirected).\n"
	"\n"
	"Exit status:\n"
	"  0  clean shutdown (or --help, --version, a valid --test-config)\n"
	"  1  runtime failure (out of memory, event loop error)\n"
	"  2  bad command line\n"
	"  3  configuration error (the message names file:line), including a password or\n"
	"     ACL file that cannot be loaded\n"
	"  4  a listener could not be opened (address in use, permission)\n"
	"  5  `fastpath on` but the kernel fast path is unavailable (its load runs\n"
	"     behind the listeners: a load that fails stops the daemon after it listened)\n"
	"  6  `xdp_required true` but the XDP guard cannot run or an xdp_interface\n"
	"     cannot be attached (no such interface, no XDP, no CAP_BPF/CAP_NET_ADMIN)\n"
	"With --fastpath-status:\n"
	"  0  a running daemon's fast path was read and printed\n"
	"  1  none found: no pins in the directory, or stale pins of a daemon that is\n"
	"     gone (the report says which, with the path), or they cannot be read\n"
	"  5  this mqttgwd was built without the kernel fast path (FASTPATH=0)\n"
	"\n"
	"See README.md for the configuration reference.\n";

static struct {
	const struct config *cfg;
	struct broker *b;
	const char *conf_path;
	struct sdnotify sd; /* systemd notifications; off outside a Type=notify unit */
	/* start-up: listeners first, the fast path behind them (issue 15) */
	struct fastpath *fp;
	struct fastpath_load *fpl; /* the loader thread, until it is joined */
	struct loop_io fpl_io;
	struct guard *guard;
	int loading; /* loads behind the listeners still running: fast path, XDP guard */
	struct loop *loop;
	struct privdrop_user user;
	bool drop;
	int rc; /* an exit status set from the loop (0: none) */
	int64_t t0_us, listen_us;
} app = { .sd.fd = -1, .fpl_io.fd = -1 };

/*
 * SIGHUP, server redirection: re-read the config file and take use_another_server /
 * server_moved from it, and max_inflight_bytes (broker_reload_limits). The rest of the running
 * config stays (listeners and limits are borrowed by live connections); a file that no longer
 * parses changes nothing.
 */
static void reload_redirect(void)
{
	struct config *ncfg = NULL;
	char err[512];

	if (!app.conf_path || !app.b)
		return;
	if (config_load(app.conf_path, &ncfg, err, sizeof(err)) < 0 ||
	    config_finish(ncfg, err, sizeof(err)) < 0) {
		log_err("Error: reload of %s failed, keeping the server redirection setting: %s",
			app.conf_path, err);
		config_free(ncfg);
		return;
	}
	if (broker_redirect(app.b, ncfg, true) < 0)
		log_err("Error: server redirection: out of memory");
	broker_reload_limits(app.b, ncfg);
	config_free(ncfg);
}

static void on_signal(struct loop *l, int sig)
{
	if (sig == SIGHUP) {
		log_notice("Received SIGHUP: reopening the log, reloading password and ACL files.");
		/* systemd: the unit is "reloading" until the next READY=1 (MONOTONIC_USEC
		 * tells it which reload this is); not while the start's fast path loads: the
		 * first READY=1 is start_complete()'s */
		if (!app.fpl)
			sdnotify_send(&app.sd, "RELOADING=1\nMONOTONIC_USEC=%lld\nSTATUS=Reloading",
				      (long long)loop_now_us());
		log_init(app.cfg);
		if (app.b)
			broker_reload(app.b);
		reload_redirect();
		if (!app.fpl)
			sdnotify_send(&app.sd, "READY=1\nSTATUS=Serving (reloaded)");
		return;
	}
	log_notice("Received %s, shutting down.", sig == SIGINT ? "SIGINT" : "SIGTERM");
	sdnotify_send(&app.sd, "STOPPING=1\nSTATUS=Shutting down");
	loop_stop(l);
}

static void check_warn(void *ctx, const char *msg)
{
	(void)ctx;
	log_warn("Warning: %s", msg);
}

/* "file:line: msg" when the config names where key was set for l, else msg. */
static void where_err(const struct config *cfg, const struct config_listener *l, const char *key,
		      const char *msg, char *err, size_t errlen)
{
	const char *where = config_origin(cfg, l, key);

	if (where)
		snprintf(err, errlen, "%.200s: %.300s", where, msg);
	else
		snprintf(err, errlen, "%.500s", msg);
}

/*
 * The control socket's options: control_socket_user / _group by name (unknown: a configuration
 * error naming the line), else the user the daemon drops to (u, when drop), else unchanged.
 */
static int ctl_options(const struct config *cfg, const struct privdrop_user *u, bool drop,
		       struct ctl_opts *o, char *err, size_t errlen)
{
	char msg[300];

	*o = (struct ctl_opts){.path = cfg->control_socket,
			       .mode = cfg->control_socket_mode,
			       .uid = (uid_t)-1,
			       .gid = (gid_t)-1};
	if (drop) {
		/* the default owner: a sandbox without CAP_CHOWN (the systemd unit) keeps root's */
		o->uid = u->uid;
		o->gid = u->gid;
		o->chown_optional = !cfg->control_socket_user && !cfg->control_socket_group;
	}
	if (cfg->control_socket_user) {
		struct passwd *pw = getpwnam(cfg->control_socket_user);

		if (!pw) {
			snprintf(msg, sizeof(msg), "control_socket_user: no such user '%.200s'",
				 cfg->control_socket_user);
			where_err(cfg, NULL, "control_socket_user", msg, err, errlen);
			return -EINVAL;
		}
		o->uid = pw->pw_uid;
		o->gid = pw->pw_gid;
	}
	if (cfg->control_socket_group) {
		struct group *gr = getgrnam(cfg->control_socket_group);

		if (!gr) {
			snprintf(msg, sizeof(msg), "control_socket_group: no such group '%.200s'",
				 cfg->control_socket_group);
			where_err(cfg, NULL, "control_socket_group", msg, err, errlen);
			return -EINVAL;
		}
		o->gid = gr->gr_gid;
	}
	o->do_chown = o->uid != (uid_t)-1 || o->gid != (gid_t)-1;
	return 0;
}

/*
 * Everything a start loads except sockets and BPF (`-t` runs exactly this): the user to drop
 * to, every listener's password, SCRAM and ACL files and TLS context. The first problem, with
 * the config line that named the file, in err; -EINVAL (-ENOMEM). *u and *drop: the user.
 */
static int check_start(const struct config *cfg, struct privdrop_user *u, bool *drop, char *err,
		       size_t errlen)
{
	char msg[512];
	int ret;

	ret = privdrop_lookup(cfg->user, u, msg, sizeof(msg));
	if (ret < 0) {
		where_err(cfg, NULL, "user", msg, err, errlen);
		return -EINVAL;
	}
	*drop = ret > 0;
	if (cfg->control_socket) {
		struct ctl_opts co;

		ret = ctl_options(cfg, u, *drop && geteuid() == 0, &co, err, errlen);
		if (ret < 0)
			return ret;
	}
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct config_listener *l = &cfg->listeners[i];
		enum { PW, ACL, PSK };
		const struct {
			const char *key, *path;
			int kind;
		} files[] = {
			{ "password_file", config_listener_password_file(cfg, l), PW },
			{ "scram_password_file", config_listener_scram_file(cfg, l), PW },
			{ "acl_file", config_listener_acl_file(cfg, l), ACL },
			/* a psk_hint listener's context loads it below; Mosquitto loads it anyway */
			{ "psk_file", l->psk_hint ? NULL : config_listener_psk_file(cfg, l), PSK },
		};

		for (size_t j = 0; j < sizeof(files) / sizeof(files[0]); j++) {
			void *db;

			if (!files[j].path)
				continue;
			if (files[j].kind == ACL)
				db = acl_load(files[j].path, check_warn, NULL, msg, sizeof(msg));
			else if (files[j].kind == PSK)
				db = psk_load(files[j].path, msg, sizeof(msg));
			else
				db = passwd_load(files[j].path, check_warn, NULL, msg, sizeof(msg));
			if (!db) {
				where_err(cfg, l, files[j].key, msg, err, errlen);
				return -EINVAL;
			}
			if (files[j].kind == ACL)
				acl_free(db);
			else if (files[j].kind == PSK)
				psk_free(db);
			else
				passwd_free(db);
		}
		if ((l->certfile || l->psk_hint) && (ret = tls_ctx_check(cfg, l, err, errlen)) < 0)
			return ret;
	}
	return 0;
}

/* The fast-path pins become the user's, so that it can remove them at exit. */
static void chown_pins(const struct config *cfg, const struct privdrop_user *u)
{
	const char *dir = cfg->fastpath_pin_dir ? cfg->fastpath_pin_dir : CONFIG_FASTPATH_PIN_DIR;
	struct dirent *de;
	DIR *d;

	if (!strcmp(dir, "none") || !(d = opendir(dir)))
		return;
	if (fchown(dirfd(d), u->uid, u->gid) < 0)
		log_warn("Warning: cannot give %s to user %s: %m", dir, u->name);
	while ((de = readdir(d))) {
		if (de->d_name[0] != '.' &&
		    fchownat(dirfd(d), de->d_name, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_warn("Warning: cannot give %s/%s to user %s: %m", dir, de->d_name,
				 u->name);
	}
	closedir(d);
}

/* The store's files (database, -wal, -shm; not the directory, which may be the current one)
 * go to the user: SQLite opens the -shm again and truncates the WAL as the user. */
static void chown_store(const struct config *cfg, const struct privdrop_user *u)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	const char *dir = cfg->persistence_location ? cfg->persistence_location : ".";
	const char *file = cfg->persistence_file ? cfg->persistence_file : STORE_DEFAULT_FILE;
	char path[4096];

	for (size_t i = 0; cfg->persistence && i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, file, sfx[i]);
		if (lchown(path, u->uid, u->gid) < 0 && errno != ENOENT)
			log_warn("Warning: cannot give %s to user %s: %m", path, u->name);
	}
}

/*
 * Files a SIGHUP re-reads are read as the user: say at start which it cannot read (the
 * reload would then keep the old contents and log an error).
 */
static void warn_unreadable(const struct config *cfg, const char *user)
{
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct config_listener *l = &cfg->listeners[i];
		const char *files[] = {
			config_listener_password_file(cfg, l), config_listener_scram_file(cfg, l),
			config_listener_acl_file(cfg, l),      l->certfile,
			l->tls_keyform ? NULL : l->keyfile,    l->cafile,
			l->crlfile,			       config_listener_psk_file(cfg, l),
		};

		for (size_t j = 0; j < sizeof(files) / sizeof(files[0]); j++) {
			if (files[j] && access(files[j], R_OK) < 0)
				log_warn("Warning: %s is not readable by user %s (%m): a SIGHUP "
					 "reload keeps its old contents.",
					 files[j], user);
		}
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;

	/* One fd per client: use what the administrator allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int start_complete(void);

/* One load behind the listeners is done: the last one completes the start. */
static void start_loaded(struct loop *l)
{
	if (--app.loading == 0)
		app.rc = start_complete();
	if (app.rc)
		loop_stop(l);
}

/* The XDP guard's load is done (guard_new's ready). */
static void guard_ready(struct guard *g, int ret, const char *err)
{
	(void)g;
	if (ret < 0) {
		log_err("Error: %s (xdp_required is true); stopping (the listeners were open "
			"already).",
			err);
		app.rc = ret == -ENOMEM ? EXIT_RUNTIME : EXIT_XDP;
		loop_stop(app.loop);
		return;
	}
	start_loaded(app.loop);
}

/* The XDP guard on the listeners' actual ports (after broker_new: port 0 is picked there). */
static int guard_start(struct loop *l, const struct config *cfg, struct broker *b,
		       struct guard **g, char *err, size_t errlen)
{
	uint16_t *ports = calloc(cfg->n_listeners + 1, sizeof(*ports));
	int ret;

	if (!ports) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_listeners; i++)
		ports[i] = broker_listener_port(b, i);
	ret = guard_new(g, l, cfg, ports, cfg->n_listeners, guard_ready, err, errlen);
	free(ports);
	return ret;
}

/* --fastpath-status, --xdp-status: pin directory from --pin-dir, else -c FILE's
 * fastpath_pin_dir (the guard pins there too), else the default; print() reads it. */
static int fastpath_status(const char *conf_path, const char *pin_dir, bool json,
			   int (*print)(const char *pin_dir, bool json, FILE *out))
{
	struct config *cfg = NULL;
	char err[512] = "";
	int ret;

	if (!pin_dir && conf_path) {
		if (config_load(conf_path, &cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "mqttgwd: Error: %s\n", err);
			return EXIT_CONFIG;
		}
		pin_dir = cfg->fastpath_pin_dir;
	}
	if (!pin_dir)
		pin_dir = CONFIG_FASTPATH_PIN_DIR;
	if (!strcmp(pin_dir, "none")) {
		printf("mqttgwd fast path: not found: %s%s (a daemon pins nothing then)\n",
		       cfg ? conf_path : "--pin-dir none",
		       cfg ? " sets `fastpath_pin_dir none`" : "");
		config_free(cfg);
		return EXIT_RUNTIME;
	}
	ret = print(pin_dir, json, stdout);
	config_free(cfg);
	return !ret ? EXIT_OK : ret == -ENOTSUP ? EXIT_FASTPATH : EXIT_RUNTIME;
}

/* persistence: open (or create) the store; a corrupt one is moved aside and said once. NULL
 * (logged) when the directory cannot be used at all: a configuration error, as Mosquitto. */
static struct store *persistence_open(const struct config *cfg)
{
	struct store_opts so = {
		.dir = cfg->persistence_location ? cfg->persistence_location : ".",
		.file = cfg->persistence_file,
		.sync = cfg->persistence_sync == CONFIG_PSYNC_NORMAL ? STORE_SYNC_NORMAL
								     : STORE_SYNC_FULL,
	};
	char msg[512] = "";
	struct store *st = store_open(&so, msg, sizeof(msg));

	if (!st) {
		if (msg[0])
			log_err("Error: %s", msg); /* names the directory */
		else
			log_err("Error: persistence_location %s: %s", so.dir, strerror(errno));
		return NULL;
	}
	if (msg[0])
		log_err("Error: %s", msg);
	return st;
}

/*
 * The end of a start, once the fast path is settled (in place, or given up under `auto`):
 * pins, the privilege drop (after BPF is loaded and pinned, as always), READY=1 and the
 * "running" line. Until here clients are served already, as root when a drop is pending.
 * 0, or the exit status.
 */
static int start_complete(void)
{
	const struct config *cfg = app.cfg;
	char err[512];

	/* the status pins: never fatal (fastpath_pin logs what it did) */
	if (fastpath_active(app.fp))
		fastpath_pin(app.fp, cfg, MQTTGW_VERSION);
	if (app.drop && geteuid() == 0) {
		chown_pins(cfg, &app.user);
		chown_store(cfg, &app.user);
		if (privdrop_apply(&app.user,
				   DROP_CAPS | (guard_active(app.guard) ? DROP_CAPS_XDP : 0), err,
				   sizeof(err)) < 0) {
			log_err("Error: %s", err);
			return EXIT_RUNTIME;
		}
		log_notice("Dropped privileges to user %s.", app.user.name);
		warn_unreadable(cfg, app.user.name);
	}
	log_notice("mqttgw version %s running (listening after %lld ms, started after %lld ms, "
		   "kernel fast path %s).",
		   MQTTGW_VERSION, (long long)(app.listen_us - app.t0_us) / 1000,
		   (long long)(loop_now_us() - app.t0_us) / 1000,
		   fastpath_active(app.fp) ? "on" : "off");
	/* Every listener is open and the fast path is in place: what the configuration asks for
	 * holds (`fastpath on`: the fast path runs). */
	sdnotify_send(&app.sd, "READY=1\nMAINPID=%d\nSTATUS=Serving %zu listener%s, fast path %s",
		      (int)getpid(), cfg->n_listeners, cfg->n_listeners == 1 ? "" : "s",
		      fastpath_active(app.fp) ? "on" : "off");
	return 0;
}

/* The loader thread is done: the broker takes the fast path (clients join as their flows
 * become eligible), or, `fastpath on` without one, the daemon stops with exit status 5. */
static void fastpath_loaded(struct loop *l, struct loop_io *io, uint32_t events)
{
	char err[512] = "";
	int ret;

	(void)events;
	loop_io_del(l, io);
	ret = fastpath_load_finish(app.fpl, &app.fp, err, sizeof(err));
	app.fpl = NULL;
	if (ret < 0) {
		log_err("Error: %s; stopping (the listeners were open already).", err);
		app.rc = EXIT_FASTPATH;
	} else if (app.fp && (ret = broker_set_fastpath(app.b, app.fp)) < 0) {
		log_err("Error: fast path: %s", strerror(-ret));
		app.rc = EXIT_RUNTIME;
	} else {
		start_loaded(l);
		return;
	}
	loop_stop(l);
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config-file", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "test-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "fastpath-status", no_argument, NULL, 'S' },
		{ "xdp-status", no_argument, NULL, 'X' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'J' },
		{ 0 },
	};
	const char *conf_path = NULL, *pin_dir = NULL;
	bool status = false, json = false, xdp_status = false;
	uint16_t ports[16];
	size_t n_ports = 0;
	bool verbose = false, test_only = false;
	struct config *cfg = NULL;
	struct loop *loop = NULL;
	struct broker *b = NULL;
	struct store *store = NULL;
	struct msg_pool mem; /* the broker's messages and buffers: outlive loop_free */
	char err[512] = "";
	int opt, rc = EXIT_OK, ret;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	app.t0_us = loop_now_us();
	msg_pool_init(&mem);
	while ((opt = getopt_long(argc, argv, "c:p:vth", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'p':
			if (n_ports == sizeof(ports) / sizeof(ports[0]) ||
			    parse_port(optarg, &ports[n_ports]) < 0) {
				fprintf(stderr, "mqttgwd: invalid port '%s' (1-65535, at most 16)\n",
					optarg);
				return EXIT_USAGE;
			}
			n_ports++;
			break;
		case 'v':
			verbose = true;
			break;
		case 't':
			test_only = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("mqttgwd version %s\n", MQTTGW_VERSION);
			return EXIT_OK;
		case 'S':
			status = true;
			break;
		case 'X':
			status = xdp_status = true;
			break;
		case 'P':
			pin_dir = optarg;
			break;
		case 'J':
			json = true;
			break;
		default:
			fputs("Try 'mqttgwd --help' for more information.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mqttgwd: unexpected argument '%s'\n", argv[optind]);
		fputs("Try 'mqttgwd --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}
	if (status ? n_ports || test_only : pin_dir || json) {
		fprintf(stderr, "mqttgwd: %s\n",
			status ? "--fastpath-status takes only -c, --pin-dir and --json"
			       : "--pin-dir and --json go with --fastpath-status");
		fputs("Try 'mqttgwd --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}
	if (status)
		return fastpath_status(conf_path, pin_dir, json,
				       xdp_status ? xdp_guard_status_print : fastpath_status_print);

	if (conf_path) {
		ret = config_load(conf_path, &cfg, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "mqttgwd: Error: %s\n", err);
			return EXIT_CONFIG;
		}
	} else {
		cfg = config_new();
		if (!cfg) {
			fprintf(stderr, "mqttgwd: out of memory\n");
			return EXIT_RUNTIME;
		}
	}
	for (size_t i = 0; i < n_ports; i++) {
		if (!config_add_listener(cfg, ports[i], "127.0.0.1")) {
			fprintf(stderr, "mqttgwd: out of memory\n");
			config_free(cfg);
			return EXIT_RUNTIME;
		}
	}
	if (config_finish(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "mqttgwd: Error: %s\n", err);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	ret = check_start(cfg, &app.user, &app.drop, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "mqttgwd: Error: %s\n", err);
		config_free(cfg);
		return ret == -ENOMEM ? EXIT_RUNTIME : EXIT_CONFIG;
	}
	if (test_only) {
		printf("mqttgwd: configuration %s is valid\n", conf_path ? conf_path : "(default)");
		config_free(cfg);
		return EXIT_OK;
	}
	app.cfg = cfg;
	app.conf_path = conf_path;
	log_init(cfg);
	log_set_verbose(verbose);
	listener_set_tcp_nodelay(cfg->set_tcp_nodelay);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	log_notice("mqttgw version %s starting", MQTTGW_VERSION);
	if (conf_path)
		log_notice("Config loaded from %s.", conf_path);
	else
		log_notice("Using default config: local only mode, anonymous clients allowed.");

	ret = sdnotify_init(&app.sd);
	if (ret < 0)
		log_warn("Warning: NOTIFY_SOCKET: %s; not notifying the service manager",
			 strerror(-ret));
	loop = app.loop = loop_new();
	if (!loop || loop_signals(loop, sigs, 3, on_signal) < 0) {
		log_err("Error: event loop: %s", strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	/* probes here (what is missing stops the start before it listens); the load and the
	 * verifier run on a thread while the listeners open and the store is restored */
	ret = fastpath_load_start(&app.fpl, cfg->fastpath, err, sizeof(err));
	if (ret < 0) {
		log_err("Error: %s", err);
		rc = EXIT_FASTPATH;
		goto out;
	}
	/* a persistence_location that cannot be written stops the start before any listener
	 * opens, as Mosquitto; the store is opened and restored behind the listeners (below) */
	if (cfg->persistence) {
		const char *dir = cfg->persistence_location ? cfg->persistence_location : ".";

		ret = store_check_dir(dir);
		if (ret < 0) {
			log_err("Error: store: cannot write to directory %s: %s", dir,
				strerror(-ret));
			rc = EXIT_CONFIG;
			goto out;
		}
	}
	b = broker_new(loop, cfg, &mem, err, sizeof(err));
	if (!b) {
		log_err("Error: %s", err);
		rc = errno == ENOMEM ? EXIT_RUNTIME : errno == EINVAL ? EXIT_CONFIG : EXIT_LISTEN;
		goto out;
	}
	app.b = b;
	app.listen_us = loop_now_us();
	/* listening, not serving yet: opening the store (0.6-1 s with 300k messages) and its
	 * restore below run before the loop serves anyone, while the kernel already completes
	 * the clients' TCP handshakes */
	if (cfg->persistence && !(store = persistence_open(cfg))) {
		rc = EXIT_CONFIG;
		goto out_shutdown;
	}
	/* bridges before the store's load, which hands them their queues */
	if (broker_bridges_new(b, store, err, sizeof(err)) < 0) {
		log_err("Error: %s", err);
		rc = EXIT_RUNTIME;
		goto out_shutdown;
	}
	/* before the loop runs: no client is served before the store is restored */
	if (store && (ret = broker_store_attach(b, store)) < 0) {
		log_err("Error: cannot load the store: %s", strerror(-ret));
		rc = EXIT_RUNTIME;
		goto out_shutdown;
	}
	ret = guard_start(loop, cfg, b, &app.guard, err, sizeof(err));
	if (ret < 0) {
		log_err("Error: %s (xdp_required is true)", err);
		rc = ret == -ENOMEM ? EXIT_RUNTIME : EXIT_XDP;
		goto out_shutdown;
	}
	broker_set_guard(b, app.guard);
	/* mqttgwctl's socket: owned by whom it names before the privilege drop below */
	if (cfg->control_socket) {
		struct ctl_opts co;
		struct stat st;

		ret = ctl_options(cfg, &app.user, app.drop && geteuid() == 0, &co, err, sizeof(err));
		if (ret == 0)
			ret = broker_ctl_open(b, &co, err, sizeof(err));
		if (ret == 0 && co.chown_optional && stat(co.path, &st) == 0 && st.st_uid != co.uid)
			log_warn("Warning: control_socket %s stays owned by %u (cannot chown it to "
				 "user %s); set control_socket_user/_group to choose.",
				 co.path, (unsigned)st.st_uid, app.user.name);
		if (ret < 0) {
			log_err("Error: %s", err);
			rc = ret == -ENOMEM   ? EXIT_RUNTIME
			     : ret == -EINVAL ? EXIT_CONFIG
					      : EXIT_LISTEN;
			goto out_shutdown;
		}
	}
	if (broker_bridges_start(b) < 0) {
		log_err("Error: bridges: %s", strerror(errno));
		rc = EXIT_RUNTIME;
		goto out_shutdown;
	}
	if (cfg->pid_file) {
		FILE *f = fopen(cfg->pid_file, "w");

		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		} else {
			log_warn("Warning: cannot write pid_file %s: %m", cfg->pid_file);
		}
	}
	if (app.fpl) {
		/* serving from here; start_complete() when the loaders are done */
		ret = loop_io_add(loop, &app.fpl_io, fastpath_load_fd(app.fpl), EPOLLIN,
				  fastpath_loaded, NULL);
		if (ret < 0) {
			log_err("Error: event loop: %s", strerror(-ret));
			rc = EXIT_RUNTIME;
			goto out_shutdown;
		}
		app.loading++;
		sdnotify_send(&app.sd, "STATUS=Serving, loading the kernel fast path");
	}
	if (guard_loading(app.guard))
		app.loading++; /* guard_ready() */
	if (!app.loading && (rc = start_complete()) != EXIT_OK)
		goto out_shutdown;
	if (sdnotify_watchdog_start(&app.sd, loop) < 0)
		log_warn("Warning: systemd watchdog timer: out of memory");
	ret = loop_run(loop);
	if (ret < 0) {
		log_err("Error: event loop: %s", strerror(-ret));
		rc = EXIT_RUNTIME;
	} else if (app.rc) {
		rc = app.rc;
	}
out_shutdown:
	broker_shutdown(b);
	log_notice("mqttgw version %s terminating", MQTTGW_VERSION);
out:
	/* stopped during the load: wait for the thread, then unload what it loaded */
	if (app.fpl_io.fd >= 0)
		loop_io_del(loop, &app.fpl_io);
	fastpath_load_cancel(app.fpl);
	guard_free(app.guard);
	sdnotify_fini(&app.sd);
	/* the clients closed at shutdown, and lingering closes, are freed before the broker they
	 * point to */
	conn_linger_end_all();
	tls_handshake_pool_free(); /* after every close: frees what closes during a step left */
	if (loop)
		loop_run_deferred(loop);
	broker_free(b);
	store_close(store); /* commits what the shutdown staged */
	fastpath_free(app.fp);
	loop_free(loop);
	if (cfg && cfg->pid_file && rc == EXIT_OK)
		unlink(cfg->pid_file);
	log_fini();
	config_free(cfg);
	msg_pool_trim(&mem);
	return rc;
}
