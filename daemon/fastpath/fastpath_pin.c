/* SPDX-License-Identifier: MIT */
/*
 * fastpath_pin: the fast path's status pins (part of the fastpath module, the only one that
 * includes libbpf). The daemon pins fp_meta and fp_stats in its pin directory while it runs;
 * `mqttgwd --fastpath-status`, another process, opens them read-only and prints the report
 * (include/fpstatus.h).
 *
 * Who owns a pin directory is decided by the meta pin alone: it is pinned first (BPF_OBJ_PIN
 * fails with EEXIST when it exists, so of two daemons starting at once one wins) and removed
 * last, and it names its daemon by pid and process start time (a pid reused by another
 * process does not keep stale pins alive). Pins outlive a daemon that was killed (SIGKILL,
 * crash): the reader reports them as stale and the next daemon replaces them. (Two daemons
 * that replace the same stale pins at the same instant may leave no complete set; that costs
 * the status, never the daemons.)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_util.h"
#include "fastpath.h"
#include "fastpath_int.h"
#include "fpstatus.h"
#include "log.h"

/* /proc/PID/stat: state (field 3) and start time (field 22). 0 or -errno. */
static int fp_proc_stat(uint32_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ...": comm may hold spaces and ')', so start after the last ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	*state = p[2];
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22 || sscanf(p, "%llu", &v) != 1)
		return -EINVAL;
	*start = v;
	return 0;
}

uint64_t fp_pid_start(uint32_t pid)
{
	uint64_t start;
	char state;

	return fp_proc_stat(pid, &state, &start) ? 0 : start;
}

/*
 * The daemon a meta names is running: the pid exists, is not a zombie (a killed daemon whose
 * parent has not reaped it yet still answers kill(pid, 0)), and started when the meta says
 * (not a reused pid). Without /proc, kill() alone decides.
 */
static bool fp_meta_alive(const struct fp_meta *m)
{
	uint64_t start;
	char state;

	if (!m->pid || m->pid > INT_MAX || (kill((pid_t)m->pid, 0) && errno != EPERM))
		return false;
	if (fp_proc_stat(m->pid, &state, &start))
		return true;
	if (state == 'Z' || state == 'X' || state == 'x')
		return false;
	return !m->pid_start || start == m->pid_start;
}

static void fp_pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* A pinned object, read-only (the reader needs no write permission). fd or -errno. */
static int fp_pin_open(const char *dir, const char *name)
{
	LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = BPF_F_RDONLY);
	char path[PATH_MAX];
	int fd;

	fp_pin_path(path, sizeof(path), dir, name);
	fd = bpf_obj_get_opts(path, &o);
	return fd < 0 ? -errno : fd;
}

static int fp_map_info(int fd, struct bpf_map_info *info)
{
	uint32_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/* Read a pinned meta: 0, -EPROTO (not our layout), or -errno. */
static int fp_meta_read(int fd, struct fp_meta *m)
{
	struct bpf_map_info info;
	uint32_t zero = 0;
	int err = fp_map_info(fd, &info);

	if (err)
		return err;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != sizeof(*m) ||
	    info.max_entries < 1)
		return -EPROTO;
	if (bpf_map_lookup_elem(fd, &zero, m))
		return -errno;
	return m->magic == FP_META_MAGIC ? 0 : -EPROTO;
}

/* Remove dir/name if it is the map with this id (0: whatever it is). */
static void fp_unpin_if(const char *dir, const char *name, uint32_t id)
{
	struct bpf_map_info info;
	char path[PATH_MAX];
	int fd;

	if (id) {
		fd = fp_pin_open(dir, name);
		if (fd < 0)
			return;
		if (fp_map_info(fd, &info) || info.id != id) {
			close(fd);
			return;
		}
		close(fd);
	}
	fp_pin_path(path, sizeof(path), dir, name);
	unlink(path);
}

/* Make sure dir is a directory on a bpffs (creating it when its parent is one). */
static int fp_pin_dir(const char *dir, bool *made)
{
	char parent[PATH_MAX], *slash;
	int r;

	*made = false;
	r = bpf_util_on_bpffs(dir);
	if (r != -ENOENT)
		return r < 0 ? r : r ? 0 : -ENOTSUP;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash)
		strcpy(parent, ".");
	else if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	r = bpf_util_on_bpffs(parent);
	if (r <= 0)
		return r < 0 ? r : -ENOTSUP;
	if (!mkdir(dir, 0755))
		*made = true;
	else if (errno != EEXIST)
		return -errno;
	return 0;
}

int fp_pins_claim(struct fp_pins *p, const char *dir, int meta_fd, int stats_fd)
{
	struct bpf_map_info info;
	struct fp_meta old;
	char path[PATH_MAX];
	bool made;
	int fd, err;

	memset(p, 0, sizeof(*p));
	err = fp_pin_dir(dir, &made);
	if (err) {
		if (err == -ENOTSUP)
			log_notice("Fast-path status: %s is not on a bpffs (mount -t bpf bpf "
				   "/sys/fs/bpf); not pinned, `mqttgwd --fastpath-status` cannot "
				   "see this daemon.",
				   dir);
		else
			log_warn("Warning: fast-path status: pin directory %s: %s; not pinned.",
				 dir, strerror(-err));
		return err;
	}
	fd = fp_pin_open(dir, FP_PIN_META);
	if (fd >= 0) {
		err = fp_meta_read(fd, &old);
		close(fd);
		if (err == -EPROTO) {
			log_warn("Warning: fast-path status: %s holds pins of an unknown layout "
				 "(another mqttgwd version?); this daemon runs unpinned.",
				 dir);
			return -EEXIST;
		}
		if (!err && fp_meta_alive(&old)) {
			log_warn("Warning: fast-path status: the pins in %s belong to the running "
				 "mqttgwd pid %u; this daemon runs unpinned (give it another "
				 "fastpath_pin_dir).",
				 dir, old.pid);
			return -EEXIST;
		}
		log_notice("Fast-path status: replacing the stale pins in %s (pid %u is gone).",
			   dir, err ? 0 : old.pid);
		fp_unpin_if(dir, FP_PIN_META, 0);
	} else if (fd != -ENOENT) {
		log_warn("Warning: fast-path status: cannot read %s/%s: %s; not pinned.", dir,
			 FP_PIN_META, strerror(-fd));
		return fd;
	}
	/* a counters pin without its meta is a leftover too */
	fp_unpin_if(dir, FP_PIN_STATS, 0);

	fp_pin_path(path, sizeof(path), dir, FP_PIN_META);
	if (bpf_obj_pin(meta_fd, path)) {
		err = -errno;
		if (err == -EEXIST)
			log_warn(
			    "Warning: fast-path status: another mqttgwd pinned in %s just now; "
			    "this daemon runs unpinned.",
			    dir);
		else
			log_warn("Warning: fast-path status: cannot pin %s: %s; not pinned.", path,
				 strerror(-err));
		goto err_dir;
	}
	fp_pin_path(path, sizeof(path), dir, FP_PIN_STATS);
	if (bpf_obj_pin(stats_fd, path)) {
		err = -errno;
		log_warn("Warning: fast-path status: cannot pin %s: %s; not pinned.", path,
			 strerror(-err));
		fp_unpin_if(dir, FP_PIN_META, 0);
		goto err_dir;
	}
	p->meta_id = fp_map_info(meta_fd, &info) ? 0 : info.id;
	p->stats_id = fp_map_info(stats_fd, &info) ? 0 : info.id;
	p->dir = strdup(dir);
	if (!p->dir) {
		fp_unpin_if(dir, FP_PIN_STATS, 0);
		fp_unpin_if(dir, FP_PIN_META, 0);
		err = -ENOMEM;
		goto err_dir;
	}
	p->dir_made = made;
	log_info("Fast-path status pinned in %s (mqttgwd --fastpath-status).", dir);
	return 0;

err_dir:
	if (made)
		rmdir(dir);
	return err;
}

void fp_pins_release(struct fp_pins *p)
{
	if (!p->dir)
		return;
	/* the counters first: the meta is the claim on the directory, given up last */
	fp_unpin_if(p->dir, FP_PIN_STATS, p->stats_id);
	fp_unpin_if(p->dir, FP_PIN_META, p->meta_id);
	if (p->dir_made)
		rmdir(p->dir);
	free(p->dir);
	p->dir = NULL;
}

/* ---- the reader: mqttgwd --fastpath-status ---- */

static int fp_stats_read(const char *dir, uint64_t ctr[FP_CTR_NR])
{
	struct bpf_map_info info;
	struct fp_stats *per = NULL;
	uint32_t zero = 0;
	int fd, ncpus, err;

	fd = fp_pin_open(dir, FP_PIN_STATS);
	if (fd < 0)
		return fd;
	err = fp_map_info(fd, &info);
	if (err)
		goto out;
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.value_size != sizeof(*per)) {
		err = -EPROTO;
		goto out;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		err = ncpus ? ncpus : -EINVAL;
		goto out;
	}
	per = calloc((size_t)ncpus, sizeof(*per));
	if (!per) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, per)) {
		err = -errno;
		goto out;
	}
	memset(ctr, 0, sizeof(uint64_t) * FP_CTR_NR);
	for (int c = 0; c < ncpus; c++)
		for (int i = 0; i < FP_CTR_NR; i++)
			ctr[i] += per[c].ctr[i];
out:
	free(per);
	close(fd);
	return err;
}

static const char *fp_read_error(int err, char *buf, size_t len)
{
	if (err == -EPERM || err == -EACCES)
		snprintf(buf, len, "%s (reading BPF maps needs root or CAP_BPF)", strerror(-err));
	else if (err == -EPROTO)
		snprintf(buf, len, "unknown layout (pinned by another mqttgwd version?)");
	else
		snprintf(buf, len, "%s", strerror(-err));
	return buf;
}

int fastpath_status_print(const char *pin_dir, bool json, FILE *out)
{
	struct fpstatus st = {.pin_dir = pin_dir};
	struct timespec ts;
	char detail[PATH_MAX + 128], buf[8192];
	int fd, err, n;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	st.now_boot_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	fd = fp_pin_open(pin_dir, FP_PIN_META);
	if (fd == -ENOENT) {
		struct stat sb;

		st.state = FPSTATUS_ABSENT;
		if (stat(pin_dir, &sb))
			snprintf(detail, sizeof(detail),
				 "%s does not exist (no mqttgwd with the "
				 "fast path runs, or not pinned there)",
				 pin_dir);
		else
			snprintf(detail, sizeof(detail),
				 "no pins in %s (no mqttgwd with the fast "
				 "path runs, or it runs unpinned)",
				 pin_dir);
		st.detail = detail;
		err = -ENOENT;
	} else if (fd < 0) {
		st.state = FPSTATUS_ERROR;
		st.detail = fp_read_error(fd, detail, sizeof(detail));
		err = fd;
	} else {
		err = fp_meta_read(fd, &st.meta);
		close(fd);
		if (!err && !fp_meta_alive(&st.meta)) {
			st.state = FPSTATUS_STALE;
			err = -ESTALE;
		} else if (!err) {
			err = fp_stats_read(pin_dir, st.ctr);
		}
		if (err && err != -ESTALE) {
			st.state = FPSTATUS_ERROR;
			st.detail = fp_read_error(err, detail, sizeof(detail));
		}
	}
	n = fpstatus_format(&st, json, buf, sizeof(buf));
	if (n < 0)
		return n;
	fputs(buf, out);
	fflush(out);
	return err;
}
