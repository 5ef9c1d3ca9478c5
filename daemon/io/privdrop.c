/* SPDX-License-Identifier: MIT */
/*
 * privdrop: drop root for a user, keeping a set of capabilities. See include/privdrop.h.
 *
 * Written against the raw capset(2) rather than libcap: three calls (keep capabilities across
 * setuid, set the set, forget the flag) do not need a library dependency on the gateway.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"

/* The lookup itself (in the child): 1, 0 or -errno as privdrop_lookup() returns them. */
static int lookup(const char *user, struct privdrop_user *out, char *err, size_t errlen)
{
	const char *name = user ? user : "mosquitto";
	struct passwd *pw;
	int n = PRIVDROP_GROUPS_MAX;

	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		if (!user)
			return 0; /* Mosquitto: no "mosquitto" user, stay as started */
		snprintf(err, errlen, "user: no such user '%s'", name);
		return -ENOENT;
	}
	if (strlen(name) >= sizeof(out->name)) {
		snprintf(err, errlen, "user: name '%s' is too long", name);
		return -ENAMETOOLONG;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	out->ngroups = getgrouplist(name, pw->pw_gid, out->groups, &n) < 0 ? -1 : n;
	return 1;
}

/* What the child sends back, in one write (well under PIPE_BUF: atomic). */
struct lookup_answer {
	int ret;
	struct privdrop_user u;
	char err[256];
};

int privdrop_lookup(const char *user, struct privdrop_user *out, char *err, size_t errlen)
{
	struct lookup_answer a;
	int fds[2], st, e = 0;
	ssize_t n;
	pid_t pid;

	if (!strcmp(user ? user : "mosquitto", "root"))
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		goto err_errno;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(fds[0]);
		close(fds[1]);
		errno = e;
		goto err_errno;
	}
	if (!pid) {
		memset(&a, 0, sizeof(a));
		close(fds[0]);
		a.ret = lookup(user, &a.u, a.err, sizeof(a.err));
		_exit(write(fds[1], &a, sizeof(a)) == (ssize_t)sizeof(a) ? 0 : 1);
	}
	close(fds[1]);
	do
		n = read(fds[0], &a, sizeof(a));
	while (n < 0 && errno == EINTR);
	e = errno;
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(a)) {
		snprintf(err, errlen, "user: the lookup of '%s' failed: %s",
			 user ? user : "mosquitto", n < 0 ? strerror(e) : "no answer");
		return n < 0 ? -e : -EIO;
	}
	if (a.ret < 0)
		snprintf(err, errlen, "%s", a.err);
	else if (a.ret > 0)
		*out = a.u;
	return a.ret;

err_errno:
	e = errno;
	snprintf(err, errlen, "user: %s", strerror(e));
	return -e;
}

static int set_caps(uint64_t caps)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = (uint32_t)caps;
	data[1].permitted = data[1].effective = (uint32_t)(caps >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

int privdrop_apply(const struct privdrop_user *u, uint64_t caps, char *err, size_t errlen)
{
	const char *step;
	int e;

	step = u->ngroups >= 0 ? "setgroups" : "initgroups";
	if ((u->ngroups >= 0 ? setgroups((size_t)u->ngroups, u->groups)
			     : initgroups(u->name, u->gid)) < 0)
		goto fail;
	step = "setgid";
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		goto fail;
	/* without KEEPCAPS setuid() from root clears the permitted set too */
	step = "prctl(PR_SET_KEEPCAPS)";
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		goto fail;
	step = "setuid";
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		goto fail;
	step = "capset";
	if (set_caps(caps) < 0)
		goto fail;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;

fail:
	e = errno;
	snprintf(err, errlen, "user %s: %s: %s", u->name, step, strerror(e));
	return -e;
}
