/* SPDX-License-Identifier: MIT */
/*
 * Fuzz config_parse_text() + config_finish() + config_free() on arbitrary text. include_dir
 * goes to an in-memory callback (no I/O): a directory named "fail" fails without a message,
 * "nomem" fails with -ENOMEM, any other parses a fixed snippet, so that the include paths,
 * their messages and the state kept across texts (log_dest, listeners, security keys) run too.
 */
#include <errno.h>
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

static int fuzz_include(struct config *cfg, const char *dir, char *err, size_t errlen)
{
	if (!strcmp(dir, "fail"))
		return -ENOENT;
	if (!strcmp(dir, "nomem"))
		return -ENOMEM;
	/* cut before the nested include_dir unless asked for it */
	return config_parse_text(cfg, include_text,
				 strcmp(dir, "nested") ? sizeof(include_text) - 20
						       : sizeof(include_text) - 1,
				 "inc.conf", NULL, err, errlen);
}

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
	rc = config_parse_text(cfg, (const char *)data, size, "fuzz.conf", fuzz_include, err,
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
	(void)config_parse_text(cfg, (const char *)data, size, "fuzz.conf", fuzz_include, tiny,
				sizeof(tiny));
	check_err(tiny, sizeof(tiny));
	config_free(cfg);
	return 0;
}
