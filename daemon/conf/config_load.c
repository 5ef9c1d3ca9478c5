/* SPDX-License-Identifier: MIT */
/*
 * config_load: the configuration from the file system (L1). The pure parser reads every file
 * (the main one and include_dir's) through a struct config_source; this is the one backed by
 * file.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "file.h"

static int fs_read(void *ctx, const char *path, size_t max, bool regular_only, char **text,
		   size_t *len, const char **op)
{
	(void)ctx;
	return file_read(path, max, regular_only ? FILE_REGULAR : 0, text, len, op);
}

static int fs_list(void *ctx, const char *dir, char ***names, size_t *n)
{
	(void)ctx;
	return file_list(dir, names, n);
}

static const struct config_source fs_source = {
    .read = fs_read,
    .list = fs_list,
};

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct config *cfg;
	char host[256] = "";
	int rc;

	*out = NULL;
	cfg = config_new();
	if (!cfg) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* bridges name themselves after the machine by default (remote_clientid) */
	if (gethostname(host, sizeof(host) - 1) == 0 && *host && !(cfg->hostname = strdup(host))) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		config_free(cfg);
		return -ENOMEM;
	}
	rc = config_parse_file(cfg, path, &fs_source, err, errlen);
	if (rc) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}
