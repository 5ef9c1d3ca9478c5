/* SPDX-License-Identifier: MIT */
/*
 * config: the main file and include_dir, read through a struct config_source. Which entries
 * are included, in which order, and every message stay here, in the pure module; the source
 * only opens, reads and lists.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* "<where><path>: reason" for a failed src->read. */
static void read_err(char *err, size_t errlen, const char *where, const char *path, int rc,
		     const char *op)
{
	if (op)
		config_set_err(err, errlen, "%s%s: %s: %s", where, path, op, strerror(-rc));
	else if (rc == -EISDIR)
		config_set_err(err, errlen, "%s%s: is a directory", where, path);
	else if (rc == -EINVAL)
		config_set_err(err, errlen, "%s%s: not a regular file", where, path);
	else if (rc == -EFBIG)
		config_set_err(err, errlen, "%s%s: larger than %u bytes", where, path,
			       CONFIG_MAX_FILE);
	else if (rc == -ENOMEM)
		config_set_err(err, errlen, "%s%s: out of memory", where, path);
	else
		config_set_err(err, errlen, "%s%s: %s", where, path, strerror(-rc));
}

/* Mosquitto's include_dir order: case-insensitively first, then upper before lower case
 * (00.conf 01.conf A.conf a.conf B.conf b.conf). ASCII only, whatever the locale. */
static int include_name_cmp(const void *pa, const void *pb)
{
	const unsigned char *a = *(const unsigned char *const *)pa;
	const unsigned char *b = *(const unsigned char *const *)pb;

	for (; *a && *b; a++, b++) {
		int ua = *a >= 'a' && *a <= 'z' ? *a - 32 : *a;
		int ub = *b >= 'a' && *b <= 'z' ? *b - 32 : *b;

		if (ua != ub)
			return ua - ub;
		if (*a != *b)
			return *a - *b;
	}
	return *a - *b;
}

/* "x.conf", not ".conf" alone (Mosquitto skips that one too). */
static bool is_conf(const char *name)
{
	size_t len = strlen(name);

	return len > 5 && !strcmp(name + len - 5, ".conf");
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

/* The *.conf names of dir, sorted. */
static int conf_names(const struct config_source *src, const char *where, const char *dir,
		      char ***out, size_t *outn, char *err, size_t errlen)
{
	char **names = NULL;
	size_t i, n = 0, keep = 0;
	int rc;

	rc = src->list(src->ctx, dir, &names, &n);
	if (rc) {
		config_set_err(err, errlen, "%s: include_dir '%s': %s", where, dir,
			       rc == -ENOMEM ? "out of memory" : strerror(-rc));
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (is_conf(names[i]))
			names[keep++] = names[i];
		else
			free(names[i]);
	}
	if (keep)
		qsort(names, keep, sizeof(*names), include_name_cmp);
	*out = names;
	*outn = keep;
	return 0;
}

int config_include_dir(struct config *cfg, const struct config_source *src, const char *where,
		       const char *dir, char *err, size_t errlen)
{
	char prefix[260], *path, *text, **names = NULL;
	size_t i, n = 0, len, dlen = strlen(dir);
	const char *op;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s: ", where);
	rc = conf_names(src, where, dir, &names, &n, err, errlen);
	if (rc)
		return rc;
	for (i = 0; !rc && i < n; i++) {
		if (asprintf(&path, "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/",
			     names[i]) < 0) {
			config_set_err(err, errlen, "%sout of memory", prefix);
			rc = -ENOMEM;
			break;
		}
		rc = src->read(src->ctx, path, CONFIG_MAX_FILE, true, &text, &len, &op);
		if (rc) {
			read_err(err, errlen, prefix, path, rc, op);
		} else {
			rc = config_parse_text(cfg, text, len, path, NULL, err, errlen);
			free(text);
		}
		free(path);
	}
	free_names(names, n);
	return rc;
}

int config_parse_file(struct config *cfg, const char *path, const struct config_source *src,
		      char *err, size_t errlen)
{
	const char *op;
	size_t len;
	char *text;
	int rc;

	config_set_err(err, errlen, "%s", "");
	/* the main file may be a pipe or a device (mqttgwd -c /dev/stdin) */
	rc = src->read(src->ctx, path, CONFIG_MAX_FILE, false, &text, &len, &op);
	if (rc) {
		read_err(err, errlen, "", path, rc, op);
		return rc;
	}
	rc = config_parse_text(cfg, text, len, path, src, err, errlen);
	free(text);
	return rc;
}
