/* SPDX-License-Identifier: MIT */
/*
 * A scratch directory for tests on real files: cmocka group setup/teardown that make a fresh
 * /tmp/<test program>.XXXXXX and remove it with everything in it.
 */
#ifndef MQTTGW_TEST_TMPDIR_H
#define MQTTGW_TEST_TMPDIR_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

static char tmpdir[PATH_MAX];

static inline int tmpdir_rm_entry(const char *path, const struct stat *st, int flag,
				  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* 0755, so that a test may read it from an unprivileged child. */
static inline int setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", program_invocation_short_name);
	return mkdtemp(tmpdir) && !chmod(tmpdir, 0755) ? 0 : -1;
}

static inline int teardown_tmpdir(void **state)
{
	(void)state;
	return nftw(tmpdir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* MQTTGW_TEST_TMPDIR_H */
