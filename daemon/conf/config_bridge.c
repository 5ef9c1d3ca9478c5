/* SPDX-License-Identifier: MIT */
/*
 * config_bridge: the keys of one Mosquitto `connection` block. See include/config_bridge.h.
 * Kept apart from config.c so the bridge grammar (topic mapping, addresses, backoff) is read
 * and tested on its own; config.c only routes the block's lines here.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_bridge.h"
#include "topic.h"

#define EMPTY_MARK "\"\""

static int berr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int berr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static char *tok(char **s)
{
	char *p = *s, *start;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		*s = p;
		return NULL;
	}
	start = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return start;
}

/* Exactly one token (the rest of the line must be empty). */
static int one(const char *key, char *args, char **out, char *err, size_t errlen)
{
	*out = tok(&args);
	if (!*out)
		return berr(err, errlen, "%s needs a value", key);
	if (tok(&args))
		return berr(err, errlen, "%s takes one value", key);
	return 0;
}

static int set_str(char **slot, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -ENOMEM;
	free(*slot);
	*slot = d;
	return 0;
}

static int num(const char *key, const char *v, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
	       size_t errlen)
{
	char *end;
	unsigned long long n;

	errno = 0;
	if (*v < '0' || *v > '9')
		return berr(err, errlen, "%s: '%s' is not a number", key, v);
	n = strtoull(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return berr(err, errlen, "%s: '%s' is not a number in %llu..%llu", key, v,
			    (unsigned long long)lo, (unsigned long long)hi);
	*out = n;
	return 0;
}

static int boolean(const char *key, char *args, bool *out, char *err, size_t errlen)
{
	char *v;
	int ret = one(key, args, &v, err, errlen);

	if (ret)
		return ret;
	if (!strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "false"))
		*out = false;
	else
		return berr(err, errlen, "%s must be true or false, not '%s'", key, v);
	return 0;
}

/* host[:port], or [v6addr]:port. A bare IPv6 address is refused as Mosquitto does (the port
 * would be ambiguous). */
static int parse_addr(const char *key, char *t, struct config_bridge_addr *a, char *err,
		      size_t errlen)
{
	char *host = t, *port = NULL, *colon;
	uint64_t p = CONFIG_BRIDGE_PORT;
	int ret;

	if (*t == '[') {
		char *close = strchr(t, ']');

		if (!close || (close[1] && close[1] != ':'))
			return berr(err, errlen, "%s: bad address '%s'", key, t);
		*close = '\0';
		host = t + 1;
		port = close[1] ? close + 2 : NULL;
	} else if ((colon = strchr(t, ':'))) {
		if (strchr(colon + 1, ':'))
			return berr(err, errlen, "%s: IPv6 address '%s' needs [brackets]:port", key,
				    t);
		*colon = '\0';
		port = colon + 1;
	}
	if (!*host)
		return berr(err, errlen, "%s: empty host", key);
	if (port) {
		ret = num(key, port, 1, 65535, &p, err, errlen);
		if (ret)
			return ret;
	}
	a->host = strdup(host);
	if (!a->host)
		return -ENOMEM;
	a->port = (uint16_t)p;
	return 0;
}

static int parse_address(struct config_bridge *b, const char *key, char *args, char *err,
			 size_t errlen)
{
	char *t;
	int ret;

	if (b->n_addrs)
		return berr(err, errlen, "%s given twice in connection %s", key, b->name);
	while ((t = tok(&args))) {
		if (b->n_addrs == CONFIG_BRIDGE_MAX_ADDRS)
			return berr(err, errlen, "%s: more than %d addresses", key,
				    CONFIG_BRIDGE_MAX_ADDRS);
		if (!b->addrs) {
			b->addrs = calloc(CONFIG_BRIDGE_MAX_ADDRS, sizeof(*b->addrs));
			if (!b->addrs)
				return -ENOMEM;
		}
		ret = parse_addr(key, t, &b->addrs[b->n_addrs], err, errlen);
		if (ret)
			return ret;
		b->n_addrs++;
	}
	if (!b->n_addrs)
		return berr(err, errlen, "%s needs at least one host[:port]", key);
	return 0;
}

static char *concat(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	char *s = malloc(la + lb + 1);

	if (!s)
		return NULL;
	if (la)
		memcpy(s, a, la);
	if (lb)
		memcpy(s + la, b, lb);
	s[la + lb] = '\0';
	return s;
}

static int check_prefix(const char *what, const char *p, char *err, size_t errlen)
{
	if (p && !topic_name_valid(p, strlen(p)))
		return berr(err, errlen, "topic: invalid %s prefix '%s' (no wildcards)", what, p);
	return 0;
}

/* topic PATTERN [[[out|in|both] QOS] LOCAL-PREFIX REMOTE-PREFIX] (Mosquitto's rules). */
static int parse_topic(struct config_bridge *b, char *args, char *err, size_t errlen)
{
	struct config_bridge_topic t = {.dir = CONFIG_BRIDGE_OUT}, *arr;
	char *pat = tok(&args), *dir = tok(&args), *qos = tok(&args), *lp = tok(&args);
	char *rp = tok(&args);
	uint64_t q = 0;
	int ret;

	if (!pat)
		return berr(err, errlen, "topic needs a pattern");
	if (tok(&args))
		return berr(err, errlen, "topic: too many values");
	if (dir) {
		if (!strcasecmp(dir, "out"))
			t.dir = CONFIG_BRIDGE_OUT;
		else if (!strcasecmp(dir, "in"))
			t.dir = CONFIG_BRIDGE_IN;
		else if (!strcasecmp(dir, "both"))
			t.dir = CONFIG_BRIDGE_BOTH;
		else
			return berr(err, errlen,
				    "topic: direction must be in, out or both, not '%s'", dir);
	}
	if (qos) {
		ret = num("topic", qos, 0, 2, &q, err, errlen);
		if (ret)
			return ret;
		t.qos = (uint8_t)q;
	}
	if (lp && !rp)
		return berr(err, errlen, "topic: a local prefix needs a remote prefix (use \"\")");
	if (lp && !strcmp(lp, EMPTY_MARK))
		lp = NULL;
	if (rp && !strcmp(rp, EMPTY_MARK))
		rp = NULL;
	if (!strcmp(pat, EMPTY_MARK))
		pat = NULL;
	if (!pat && (!lp || !rp))
		return berr(err, errlen,
			    "topic: an empty pattern needs both a local and a remote prefix");
	if (pat && !topic_filter_valid(pat, strlen(pat)))
		return berr(err, errlen, "topic: invalid pattern '%s'", pat);
	ret = check_prefix("local", lp, err, errlen);
	if (!ret)
		ret = check_prefix("remote", rp, err, errlen);
	if (ret)
		return ret;
	t.local_topic = concat(lp, pat);
	t.remote_topic = concat(rp, pat);
	t.pattern = pat ? strdup(pat) : NULL;
	t.local_prefix = lp ? strdup(lp) : NULL;
	t.remote_prefix = rp ? strdup(rp) : NULL;
	arr = realloc(b->topics, (b->n_topics + 1) * sizeof(*arr));
	if (!arr || !t.local_topic || !t.remote_topic || (pat && !t.pattern) ||
	    (lp && !t.local_prefix) || (rp && !t.remote_prefix)) {
		if (arr)
			b->topics = arr;
		free(t.local_topic);
		free(t.remote_topic);
		free(t.pattern);
		free(t.local_prefix);
		free(t.remote_prefix);
		return -ENOMEM;
	}
	b->topics = arr;
	b->topics[b->n_topics++] = t;
	return 0;
}

static int parse_restart(struct config_bridge *b, char *args, char *err, size_t errlen)
{
	char *base = tok(&args), *cap = tok(&args);
	uint64_t v = 0, c = 0;
	int ret;

	if (!base)
		return berr(err, errlen, "restart_timeout needs a value");
	if (tok(&args))
		return berr(err, errlen, "restart_timeout takes one or two values");
	ret = num("restart_timeout", base, 1, 86400, &v, err, errlen);
	if (!ret && cap)
		ret = num("restart_timeout", cap, v, 86400, &c, err, errlen);
	if (ret)
		return ret;
	b->restart_base = (uint32_t)v;
	b->restart_cap = (uint32_t)c;
	return 0;
}

static int parse_string(char **slot, const char *key, char *args, char *err, size_t errlen)
{
	char *v;
	int ret = one(key, args, &v, err, errlen);

	return ret ? ret : set_str(slot, v);
}

static int parse_u32(const char *key, char *args, uint64_t lo, uint64_t hi, uint64_t *out,
		     char *err, size_t errlen)
{
	char *v;
	int ret = one(key, args, &v, err, errlen);

	return ret ? ret : num(key, v, lo, hi, out, err, errlen);
}

/* Keys whose value is one string: where it goes. */
static char **string_slot(struct config_bridge *b, const char *key)
{
	static const struct {
		const char *key;
		size_t off;
	} tab[] = {
	    {"remote_clientid", offsetof(struct config_bridge, remote_clientid)},
	    {"clientid", offsetof(struct config_bridge, remote_clientid)},
	    {"local_clientid", offsetof(struct config_bridge, local_clientid)},
	    {"remote_username", offsetof(struct config_bridge, remote_username)},
	    {"username", offsetof(struct config_bridge, remote_username)},
	    {"remote_password", offsetof(struct config_bridge, remote_password)},
	    {"password", offsetof(struct config_bridge, remote_password)},
	    {"notification_topic", offsetof(struct config_bridge, notification_topic)},
	    {"bridge_cafile", offsetof(struct config_bridge, cafile)},
	    {"bridge_capath", offsetof(struct config_bridge, capath)},
	    {"bridge_certfile", offsetof(struct config_bridge, certfile)},
	    {"bridge_keyfile", offsetof(struct config_bridge, keyfile)},
	    {"bridge_alpn", offsetof(struct config_bridge, alpn)},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(key, tab[i].key))
			return (char **)((char *)b + tab[i].off);
	return NULL;
}

/* Keys whose value is true/false. */
static bool *bool_slot(struct config_bridge *b, const char *key)
{
	if (!strcmp(key, "round_robin"))
		return &b->round_robin;
	if (!strcmp(key, "cleansession"))
		return &b->cleansession;
	if (!strcmp(key, "notifications"))
		return &b->notifications;
	if (!strcmp(key, "notifications_local_only"))
		return &b->notifications_local_only;
	if (!strcmp(key, "try_private"))
		return &b->try_private;
	if (!strcmp(key, "bridge_insecure"))
		return &b->insecure;
	if (!strcmp(key, "bridge_outgoing_retain"))
		return &b->outgoing_retain;
	if (!strcmp(key, "bridge_attempt_unsubscribe"))
		return &b->attempt_unsubscribe;
	return NULL;
}

static const char *const refused[] = {
    "bridge_bind_address", "bridge_identity",	     "bridge_psk",
    "bridge_require_ocsp", "local_username",	     "local_password",
    "bridge_reload_type",  "bridge_receive_maximum", "bridge_session_expiry_interval",
};

static const char *const other_keys[] = {
    "address",
    "addresses",
    "topic",
    "bridge_protocol_version",
    "keepalive_interval",
    "restart_timeout",
    "start_type",
    "idle_timeout",
    "threshold",
    "bridge_tls_version",
    "bridge_max_packet_size",
    "max_queued_messages",
    "local_cleansession",
};

bool config_bridge_is_key(const char *key)
{
	struct config_bridge probe = {0};

	if (string_slot(&probe, key) || bool_slot(&probe, key))
		return true;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!strcmp(key, refused[i]))
			return true;
	for (size_t i = 0; i < sizeof(other_keys) / sizeof(other_keys[0]); i++)
		if (!strcmp(key, other_keys[i]))
			return true;
	return false;
}

static int parse_enum(const char *key, char *args, const char *const *names, int n, int *out,
		      char *err, size_t errlen)
{
	char *v;
	int ret = one(key, args, &v, err, errlen);

	if (ret)
		return ret;
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(v, names[i])) {
			*out = i;
			return 0;
		}
	return berr(err, errlen, "%s: unsupported value '%s'", key, v);
}

int config_bridge_key(struct config_bridge *b, const char *key, char *args, char *err,
		      size_t errlen)
{
	static const char *const protos[] = {NULL, NULL, NULL, NULL, "mqttv311", "mqttv50"};
	static const char *const starts[] = {"automatic", "lazy", "once"};
	static const char *const tlsv[] = {"tlsv1.1", "tlsv1.2", "tlsv1.3"};
	char **s = string_slot(b, key);
	bool *bo = bool_slot(b, key), lc;
	uint64_t v;
	int e = 0, ret;

	if (s)
		return parse_string(s, key, args, err, errlen);
	if (bo)
		return boolean(key, args, bo, err, errlen);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!strcmp(key, refused[i]))
			return berr(err, errlen, "%s is not supported by mqttgw bridges", key);
	if (!strcmp(key, "address") || !strcmp(key, "addresses"))
		return parse_address(b, key, args, err, errlen);
	if (!strcmp(key, "topic"))
		return parse_topic(b, args, err, errlen);
	if (!strcmp(key, "restart_timeout"))
		return parse_restart(b, args, err, errlen);
	if (!strcmp(key, "local_cleansession")) {
		ret = boolean(key, args, &lc, err, errlen);
		if (!ret)
			b->local_cleansession = lc;
		return ret;
	}
	if (!strcmp(key, "bridge_protocol_version")) {
		ret = parse_enum(key, args, protos, 6, &e, err, errlen);
		if (!ret)
			b->protocol = (uint8_t)e;
		return ret;
	}
	if (!strcmp(key, "start_type")) {
		ret = parse_enum(key, args, starts, 3, &e, err, errlen);
		if (!ret)
			b->start_type = (uint8_t)e;
		return ret;
	}
	if (!strcmp(key, "bridge_tls_version")) {
		ret = parse_enum(key, args, tlsv, 3, &e, err, errlen);
		return ret ? ret : set_str(&b->tls_version, tlsv[e]);
	}
	if (!strcmp(key, "keepalive_interval")) {
		ret = parse_u32(key, args, 5, 65535, &v, err, errlen);
		if (!ret)
			b->keepalive = (uint16_t)v;
		return ret;
	}
	if (!strcmp(key, "idle_timeout") || !strcmp(key, "threshold") ||
	    !strcmp(key, "bridge_max_packet_size") || !strcmp(key, "max_queued_messages")) {
		ret = parse_u32(key, args, key[0] == 't' ? 1 : 0, UINT32_MAX, &v, err, errlen);
		if (ret)
			return ret;
		if (key[0] == 'i')
			b->idle_timeout = (uint32_t)v;
		else if (key[0] == 't')
			b->threshold = (uint32_t)v;
		else if (key[0] == 'b')
			b->max_packet_size = (uint32_t)v;
		else
			b->max_queued = (uint32_t)v;
		return 0;
	}
	return berr(err, errlen, "%s is not a bridge key", key);
}

struct config_bridge *config_bridge_new(const char *name, char *err, size_t errlen)
{
	struct config_bridge *b;

	/* The name becomes a client id and a $SYS topic level: no wildcards, no '/'. */
	if (!name || !*name || strpbrk(name, "+#/ \t")) {
		berr(err, errlen, "connection needs a name without spaces, '/', '+' or '#'");
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b || !(b->name = strdup(name))) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	b->protocol = 4;
	b->local_cleansession = -1;
	b->keepalive = 60;
	b->restart_base = 5;
	b->restart_cap = 30;
	b->idle_timeout = 60;
	b->threshold = 10;
	b->notifications = true;
	b->try_private = true;
	b->outgoing_retain = true;
	b->attempt_unsubscribe = true;
	return b;
}

int config_bridge_finish(struct config_bridge *b, const char *hostname, char *err, size_t errlen)
{
	char buf[512];

	if (!b->n_addrs)
		return berr(err, errlen, "connection %s has no address", b->name);
	if (!b->n_topics)
		return berr(err, errlen, "connection %s has no topic", b->name);
	if (b->remote_password && !b->remote_username)
		return berr(err, errlen, "connection %s: remote_password needs remote_username",
			    b->name);
	if (!!b->certfile != !!b->keyfile)
		return berr(err, errlen,
			    "connection %s: bridge_certfile and bridge_keyfile go together",
			    b->name);
	b->tls = b->cafile || b->capath;
	if (!b->tls && (b->certfile || b->insecure || b->alpn || b->tls_version))
		return berr(err, errlen,
			    "connection %s: TLS options need bridge_cafile or bridge_capath",
			    b->name);
	if (!b->remote_clientid) {
		snprintf(buf, sizeof(buf), "%s.%s", b->name,
			 hostname && *hostname ? hostname : "mqttgw");
		if (set_str(&b->remote_clientid, buf))
			return -ENOMEM;
	}
	if (!b->local_clientid) {
		snprintf(buf, sizeof(buf), "local.%s", b->remote_clientid);
		if (set_str(&b->local_clientid, buf))
			return -ENOMEM;
	}
	if (!b->notification_topic) {
		snprintf(buf, sizeof(buf), "$SYS/broker/connection/%s/state", b->remote_clientid);
		if (set_str(&b->notification_topic, buf))
			return -ENOMEM;
	}
	if (!topic_name_valid(b->notification_topic, strlen(b->notification_topic)))
		return berr(err, errlen, "connection %s: invalid notification_topic", b->name);
	if (b->local_cleansession < 0)
		b->local_cleansession = b->cleansession;
	return 0;
}

void config_bridge_free(struct config_bridge *b)
{
	if (!b)
		return;
	for (uint32_t i = 0; i < b->n_addrs; i++)
		free(b->addrs[i].host);
	free(b->addrs);
	for (uint32_t i = 0; i < b->n_topics; i++) {
		struct config_bridge_topic *t = &b->topics[i];

		free(t->pattern);
		free(t->local_prefix);
		free(t->remote_prefix);
		free(t->local_topic);
		free(t->remote_topic);
	}
	free(b->topics);
	free(b->name);
	free(b->remote_clientid);
	free(b->local_clientid);
	free(b->remote_username);
	free(b->remote_password);
	free(b->notification_topic);
	free(b->cafile);
	free(b->capath);
	free(b->certfile);
	free(b->keyfile);
	free(b->tls_version);
	free(b->alpn);
	free(b);
}
