/* SPDX-License-Identifier: MIT */
/*
 * mqttgwctl: the control tool. Sends one request line to mqttgwd's control socket and prints
 * the JSON answer as tables for people or as is (--json) for scripts; `trace` prints messages
 * as `mosquitto_sub -v` does. The wire format is include/ctlproto.h; the answers are parsed
 * with cJSON (Debian's libcjson: 40 KB, already what a parser this size would be if written
 * here, and well fuzzed upstream).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ctlproto.h"
#include "mqttgwctl_fmt.h"
#include "version.h"

#define DEFAULT_SOCKET "/run/mqttgw/mqttgwd.sock"

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1, /* the daemon said no: no such client, a bad filter, ... */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_PROTO = 4, /* the answer was cut off, not JSON, or did not come in time */
};

static const char usage_text[] =
    "Usage: mqttgwctl [-s PATH] [--json] [-t SECONDS] COMMAND [ARG]...\n"
    "       mqttgwctl --help | --version\n"
    "\n"
    "mqttgwctl talks to a running mqttgwd over its control socket (the `control_socket`\n"
    "key of mqttgwd.conf; a UNIX socket, never TCP). It is not an MQTT client: it sees\n"
    "the broker's own state.\n"
    "\n"
    "Options:\n"
    "  -s, --socket PATH    the control socket (default: $MQTTGW_CONTROL_SOCKET, else\n"
    "                       " DEFAULT_SOCKET ", where the systemd unit's\n"
    "                       example configuration puts it).\n"
    "  -j, --json           print the daemon's answer as one line of JSON (trace: one\n"
    "                       line per message) instead of tables.\n"
    "  -t, --timeout SECS   wait at most SECS for an answer (default 10; not for trace).\n"
    "  -h, --help           show this help and exit.\n"
    "      --version        show the version and exit.\n"
    "\n"
    "Commands:\n"
    "  status               version, uptime, clients, sessions, subscriptions, retained\n"
    "                       messages, message and byte counters, memory, fast path.\n"
    "  clients              the connected clients: id, user, address, protocol,\n"
    "                       keepalive, QoS 1/2 messages in flight and queued, bytes in\n"
    "                       and out, whether the socket is in the kernel fast path,\n"
    "                       and its TCP round-trip time and retransmissions (sock_diag).\n"
    "  client ID            one client (or an offline persistent session) in detail,\n"
    "                       with its subscriptions.\n"
    "  kick ID              disconnect a client: MQTT 5 clients get DISCONNECT 0x98\n"
    "                       (Administrative action), 3.1.1 clients are closed. Its will\n"
    "                       is published; a persistent session stays.\n"
    "  subscriptions [FILTER]\n"
    "                       every session's subscriptions; with FILTER, those whose\n"
    "                       filter is FILTER or is matched by it (sensors/# shows\n"
    "                       sensors/+/t).\n"
    "  retained [FILTER]    retained messages whose topic FILTER matches (default #),\n"
    "                       the first 1024 bytes of each payload.\n"
    "  fastpath             the kernel fast path: sockets, routes, flows, frames\n"
    "                       redirected and passed per reason.\n"
    "  bridges              each bridge: state, upstream, queued, in flight, sent,\n"
    "                       acknowledged, dropped, received, last error.\n"
    "  reload               what SIGHUP does: reopen the log, reload password, ACL and\n"
    "                       TLS files, re-read the server redirection keys.\n"
    "  log-level LEVEL      log LEVEL and everything more severe from now on: none,\n"
    "                       error, warning, notice, information, debug, all; `config`\n"
    "                       restores log_type (so does a reload).\n"
    "  trace FILTER         print every message the daemon routes whose topic FILTER\n"
    "                       matches, as `mosquitto_sub -v` does (topic, a space, the\n"
    "                       payload), until interrupted. The tap is not a client: no\n"
    "                       session, no effect on delivery. QoS 0 messages the kernel\n"
    "                       fast path relays never reach the daemon and are not shown\n"
    "                       (the first message of each flow is). A reader slower than\n"
    "                       the traffic loses messages: the count is reported.\n"
    "\n"
    "Exit status:\n"
    "  0  the command was carried out (trace: ended by a signal)\n"
    "  1  the daemon refused it: no such client, not a topic filter, unknown level, ...\n"
    "  2  bad command line, or a request the daemon could not parse\n"
    "  3  the daemon cannot be reached: no socket at PATH, permission denied, or too\n"
    "     many control connections\n"
    "  4  the answer was cut off, malformed, or did not come within the timeout\n"
    "\n"
    "See mqttgwctl(8) and the README's \"Operating mqttgw\" section.\n";

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mqttgwctl: ");
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'mqttgwctl --help' for more information.\n", stderr);
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- the exchange ---- */

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

/* Read one line into *buf (grown); its length without the newline, 0 at a clean EOF before any
 * byte, -1 on error or a cut line (errno EPROTO). */
struct reader {
	int fd;
	char *buf;
	size_t len, cap, start;
};

static ssize_t read_line(struct reader *r, char **line)
{
	for (;;) {
		char *nl =
		    r->len > r->start ? memchr(r->buf + r->start, '\n', r->len - r->start) : NULL;
		ssize_t n;

		if (nl) {
			*line = r->buf + r->start;
			*nl = '\0';
			n = nl - *line;
			r->start += (size_t)n + 1;
			return n;
		}
		if (r->start) {
			memmove(r->buf, r->buf + r->start, r->len - r->start);
			r->len -= r->start;
			r->start = 0;
		}
		if (r->len + 65536 > r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 131072;
			char *p = realloc(r->buf, cap);

			if (!p)
				return -1;
			r->buf = p;
			r->cap = cap;
		}
		n = read(r->fd, r->buf + r->len, r->cap - r->len - 1);
		if (n < 0 && errno == EINTR && !stop)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPROTO;
			return r->len ? -1 : 0;
		}
		r->len += (size_t)n;
	}
}

static int trace_loop(struct reader *r, bool json)
{
	for (;;) {
		char *line;
		ssize_t n = read_line(r, &line);
		cJSON *j;

		if (stop)
			return EXIT_OK;
		if (n <= 0) {
			fprintf(stderr, "mqttgwctl: the daemon closed the trace\n");
			return EXIT_PROTO;
		}
		if (json) {
			printf("%s\n", line);
			fflush(stdout);
			continue;
		}
		j = cJSON_Parse(line);
		if (!j) {
			fprintf(stderr, "mqttgwctl: malformed line from the daemon\n");
			return EXIT_PROTO;
		}
		fmt_trace_line(j);
		cJSON_Delete(j);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},  {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},       {0},
	};
	const char *path = getenv("MQTTGW_CONTROL_SOCKET");
	struct reader r = {0};
	char req[CTLP_MAX_LINE], *line;
	enum ctlp_cmd cmd;
	long timeout = 10;
	bool json = false;
	int opt, min, max, fd, rc, status;
	size_t len = 0;
	ssize_t n = -1;
	cJSON *ans, *ok;

	if (!path || !*path)
		path = DEFAULT_SOCKET;
	while ((opt = getopt_long(argc, argv, "+s:jt:h", longopts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*end || end == optarg || timeout < 1 || timeout > 86400) {
				usage_error("invalid timeout '%s' (1-86400 seconds)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("mqttgwctl version %s\n", MQTTGW_VERSION);
			return EXIT_OK;
		default:
			fputs("Try 'mqttgwctl --help' for more information.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage_error("%s", "no command given");
		return EXIT_USAGE;
	}
	if (ctlp_cmd_lookup(argv[optind], strlen(argv[optind]), &cmd) < 0) {
		usage_error("unknown command '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	ctlp_cmd_args(cmd, &min, &max);
	if (argc - optind - 1 < min || argc - optind - 1 > max) {
		usage_error("wrong number of arguments for '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		int w;

		if (len)
			req[len++] = ' ';
		w = ctlp_encode_word(argv[i], strlen(argv[i]), req + len, sizeof(req) - len - 1);
		if (w < 0) {
			usage_error("argument '%.60s' is empty or too long", argv[i]);
			return EXIT_USAGE;
		}
		len += (size_t)w;
	}
	req[len++] = '\n';

	fd = ctl_connect(path);
	if (fd < 0) {
		fprintf(stderr, "mqttgwctl: cannot reach mqttgwd at %s: %s\n", path,
			strerror(errno));
		if (errno == ENOENT)
			fprintf(stderr, "mqttgwctl: is mqttgwd running with `control_socket %s`?\n",
				path);
		return EXIT_UNREACHABLE;
	}
	signal(SIGPIPE, SIG_IGN); /* a refused connection: its answer is still read */
	if (cmd != CTLP_TRACE) {
		struct timeval tv = {.tv_sec = timeout};

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	} else {
		struct sigaction sa = {.sa_handler = on_sigint};

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	r.fd = fd;
	/* a write error (the daemon refused the connection) still leaves its answer to read */
	if ((write_all(fd, req, len) < 0 && errno != EPIPE) || (n = read_line(&r, &line)) <= 0) {
		if (errno == EAGAIN)
			fprintf(stderr, "mqttgwctl: no answer from mqttgwd within %ld s\n",
				timeout);
		else
			fprintf(stderr, "mqttgwctl: no answer from mqttgwd at %s: %s\n", path,
				n == 0 ? "connection closed" : strerror(errno));
		close(fd);
		free(r.buf);
		return EXIT_PROTO;
	}
	ans = cJSON_Parse(line);
	ok = ans ? cJSON_GetObjectItemCaseSensitive(ans, "ok") : NULL;
	if (!cJSON_IsBool(ok)) {
		fprintf(stderr, "mqttgwctl: malformed answer from mqttgwd\n");
		rc = EXIT_PROTO;
	} else if (cJSON_IsFalse(ok)) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(ans, "error");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(ans, "status");

		status = cJSON_IsNumber(s) ? s->valueint : EXIT_REFUSED;
		if (json)
			printf("%s\n", line);
		fprintf(stderr, "mqttgwctl: %s: %s\n", argv[optind],
			cJSON_IsString(e) ? e->valuestring : "refused");
		/* the socket's connection limit: the daemon could not take this request at all */
		rc = status == 2 ? EXIT_USAGE
		     : cJSON_IsString(e) && strstr(e->valuestring, "too many control connections")
			 ? EXIT_UNREACHABLE
			 : EXIT_REFUSED;
	} else if (cmd == CTLP_TRACE) {
		if (json)
			printf("%s\n", line);
		else
			fmt_trace_start(ans);
		fflush(stdout);
		rc = trace_loop(&r, json);
	} else {
		if (json)
			printf("%s\n", line);
		else
			fmt_answer(cmd, ans);
		rc = EXIT_OK;
	}
	cJSON_Delete(ans);
	close(fd);
	free(r.buf);
	return rc;
}
