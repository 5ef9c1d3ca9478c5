/* SPDX-License-Identifier: MIT */
/*
 * Fuzz config_parse_text() + config_finish() + config_free() on arbitrary text. include_dir
 * reads through a config_source in memory (no I/O): a directory named "fail" cannot be listed,
 * "nomem" runs out of memory listing, "big" holds a file over the limit; any other holds
 * "b.conf", "a.conf" (a fixed snippet) and "x.txt" (skipped), so that the include paths, their
 * order, their messages and the state kept across texts (log_dest, listeners, security keys)
 * run too. "nested" adds an include_dir to the snippet, which must be refused.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char include_text[] = "listener 18830\n"
				   "log_dest syslog\n"
				   "log_type debug\n"
				   "certfile /c\n"
				   "keyfile /k\n"
				   "password_file /inc.pw\n"
				   "include_dir nested\n";

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static int fuzz_read(void *ctx, const char *path, size_t max, bool regular_only, char **text,
		     size_t *len, const char **op)
{
	(void)ctx;
	(void)regular_only;
	*op = NULL;
	if (!strncmp(path, "big/", 4))
		return -EFBIG;
	if (ends_with(path, "/b.conf")) {
		*text = strdup("sys_interval 7\n");
	} else if (ends_with(path, "/a.conf")) {
		/* cut before the nested include_dir unless asked for it */
		*len = strncmp(path, "nested/", 7) ? sizeof(include_text) - 20
						   : sizeof(include_text) - 1;
		*text = strndup(include_text, *len);
	} else {
		*op = "cannot open";
		return -ENOENT;
	}
	if (!*text)
		return -ENOMEM;
	*len = strlen(*text);
	return *len > max ? -EFBIG : 0;
}

static int fuzz_list(void *ctx, const char *dir, char ***names, size_t *n)
{
	static const char *const entries[] = {"b.conf", "x.txt", "a.conf"};

	(void)ctx;
	if (!strcmp(dir, "fail"))
		return -ENOENT;
	if (!strcmp(dir, "nomem"))
		return -ENOMEM;
	*names = calloc(3, sizeof(**names));
	if (!*names)
		return -ENOMEM;
	for (*n = 0; *n < 3; ++*n) {
		(*names)[*n] = strdup(entries[*n]);
		if (!(*names)[*n]) {
			while (*n)
				free((*names)[--*n]);
			free(*names);
			return -ENOMEM;
		}
	}
	return 0;
}

static const struct config_source fuzz_source = {.read = fuzz_read, .list = fuzz_list};

static void check_err(const char *err, size_t errlen)
{
	/* always terminated inside the buffer */
	if (!memchr(err, '\0', errlen))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], tiny[12];
	struct config *cfg;
	size_t i;
	int rc;

	cfg = config_new();
	if (!cfg)
		return 0;
	rc = config_parse_text(cfg, (const char *)data, size, "fuzz.conf", &fuzz_source, err,
			       sizeof(err));
	check_err(err, sizeof(err));
	if (rc && (rc != -EINVAL && rc != -ENOMEM))
		abort();
	if (rc && !err[0])
		abort(); /* every failure explains itself */
	if (!rc) {
		rc = config_finish(cfg, err, sizeof(err));
		check_err(err, sizeof(err));
		if (rc != 0 && rc != -EINVAL)
			abort();
		if (!rc && !cfg->n_listeners)
			abort();
		for (i = 0; i < cfg->n_listeners; i++) {
			const struct config_listener *l = &cfg->listeners[i];

			(void)config_listener_anonymous(cfg, l);
			(void)config_listener_password_file(cfg, l);
			(void)config_listener_acl_file(cfg, l);
			if (l->bind_address && strlen(l->bind_address) > 65535)
				abort();
		}
	}
	config_free(cfg);

	/* again, into a tiny error buffer: truncation must stay in bounds */
	cfg = config_new();
	if (!cfg)
		return 0;
	(void)config_parse_text(cfg, (const char *)data, size, "fuzz.conf", &fuzz_source, tiny,
				sizeof(tiny));
	check_err(tiny, sizeof(tiny));
	config_free(cfg);
	return 0;
}
