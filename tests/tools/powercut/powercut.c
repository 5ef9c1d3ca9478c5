/*
 * powercut: a FUSE filesystem that forgets, on command, everything that was not synced.
 *
 * Durability tests run a program (mqttgwd's store, SQLite) inside it, "cut the power" and check
 * that everything the program acknowledged is still there. The whole filesystem lives in memory
 * and keeps two states: the CURRENT one, which every read, stat and readdir sees, and the DURABLE
 * one, what a disk would hold after a power cut at this instant. A cut reverts the current state
 * to the durable one.
 *
 *   powercut MOUNTPOINT [-f] [-o FUSE options]     (echo exit > MOUNTPOINT/.powercut ends it)
 *
 * (libfuse 3.14's fuse_main prints "Ignoring invalid max threads value": its own default,
 * harmless.)
 *
 * Durability rules (ext4 with data=ordered, but with an infinitely lazy writeback: nothing ever
 * becomes durable by itself, only through the syncs below; a real disk may keep more, never less):
 *  - fsync(fd) and fdatasync(fd) on a file make its data, size, mode, owner and times durable,
 *    exactly as they are now (both calls do the same here: ext4's fdatasync also writes the size).
 *  - A file or directory whose entry is not durable anywhere (created since the last sync of its
 *    directory) also gets its entry made durable by its own fsync, and so do its parents that are
 *    new as well, as the journal commit that ext4's fsync forces holds their creation. A renamed or
 *    unlinked file's fsync does not make the rename or unlink durable: that takes the directory.
 *  - fsync(fd) on a directory makes every entry of that directory durable as it is now: creates,
 *    unlinks, renames into and out of it. A rename is one journal transaction, so making it
 *    durable through either directory makes both halves durable (the file never ends up in both
 *    directories, nor in neither). A new entry made durable this way has its file's durable data
 *    (empty if the file was never fsynced: the zero-length file of delayed allocation).
 *  - Nothing else is durable: write, pwrite, ftruncate, create, mkdir, rename, unlink, rmdir,
 *    chmod, close, and writes through a shared mmap until an fsync writes the dirty pages.
 *  - No torn writes: a cut loses each file's unsynced changes whole, at page granularity
 *    (4 KiB), never part of a write and never a later write while keeping an earlier one. This
 *    tests "acknowledged means durable"; it does not test recovery from a half-written page.
 *
 * Control: the file /.powercut (not listed by readdir). Write "cut" to it to cut the power,
 * "sync" to make everything durable (a clean shutdown); the write returns when it is done.
 * "exit" unmounts and ends the daemon (status 0). Prefer it to fusermount3 -u: a mount
 * namespace created while we are mounted (ip netns exec, unshare -m, by any process on the
 * machine) holds a copy of the mount, and the daemon then outlives fusermount3 -u until the
 * last such namespace is gone; after "exit" those copies fail with ENOTCONN instead. Read
 * it for counters, one "name value" per line: fsyncs, fdatasyncs, dirsyncs, cuts, writes,
 * bytes_written, stale_ops, nodes, unsynced_pages, and what the last cut threw away:
 * cut_lost_bytes (current bytes in the pages it reverted, plus whole lost files),
 * cut_lost_pages, cut_lost_entries (names created, removed or renamed since their directory's
 * last sync), cut_lost_files (files and directories that no longer exist).
 *
 * After a cut the "machine" has rebooted: every file descriptor opened before it fails with EIO
 * (reads, writes, fsync, readdir; not fstat, which the kernel answers by path), while new opens
 * see the durable state. The kernel's page cache of every file that has a name is dropped at
 * the cut, so nothing cached before it is read after it; kill what runs on the mount first.
 *
 * What SQLite needs works: pread/pwrite at any offset, ftruncate, fsync/fdatasync, fsync of a
 * directory fd, unlink, rename, and shared writable mmap (the WAL index in the -shm file: the
 * page cache is kept across opens, the kernel writes dirty pages back through FUSE). POSIX
 * advisory locks (fcntl F_SETLK) and flock are left to the kernel, which handles them locally
 * when the filesystem has no lock operation: right here, as every user is on this machine.
 * SQLite's default locking mode works across processes (tested); PRAGMA locking_mode=EXCLUSIVE
 * is not needed.
 * Not supported: hard links, symlinks, device nodes, xattrs (ENOSYS or EPERM).
 */
#define FUSE_USE_VERSION 31

#include "pcstate.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PC_CTL "/.powercut"

struct pc_handle {
	struct pc_node *node; /* NULL: the control file */
	uint64_t gen;	      /* pc.gen at open: an older one means "opened before the cut" */
	int flags;
	struct pc_handle *prev, *next; /* every handle: freed at exit if never released */
};

/* Every open handle, under pc.lock. */
static struct pc_handle *pc_handles;

static int handle_new(struct fuse_file_info *fi, struct pc_node *n)
{
	struct pc_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->node = n;
	h->gen = pc.gen;
	h->flags = fi->flags;
	if (n)
		n->nopen++;
	h->next = pc_handles;
	if (pc_handles)
		pc_handles->prev = h;
	pc_handles = h;
	fi->fh = (uintptr_t)h;
	return 0;
}

static struct pc_handle *handle_of(struct fuse_file_info *fi)
{
	return fi ? (struct pc_handle *)(uintptr_t)fi->fh : NULL;
}

/* The node behind an open file, or -EIO when it was opened before the last cut. */
static int handle_node(struct fuse_file_info *fi, struct pc_node **n)
{
	struct pc_handle *h = handle_of(fi);

	if (h->gen != pc.gen) {
		pc.st.stale_ops++;
		return -EIO;
	}
	*n = h->node;
	return 0;
}

static void handle_free(struct fuse_file_info *fi)
{
	struct pc_handle *h = handle_of(fi);

	if (h->node) {
		h->node->nopen--;
		pcs_gc(h->node);
	}
	if (h->prev)
		h->prev->next = h->next;
	else
		pc_handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	free(h);
}

static bool is_ctl(const char *path)
{
	return path && !strcmp(path, PC_CTL);
}

/* The node an operation is about: its open handle if it has one, else its path. */
static int target(const char *path, struct fuse_file_info *fi, struct pc_node **n)
{
	if (fi && fi->fh)
		return handle_node(fi, n);
	return pcs_resolve(path, n);
}

static int ctl_command(const char *buf, size_t len, struct pc_paths *ps, bool *exit)
{
	char cmd[16];
	size_t n = 0, i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t'))
		i++;
	while (i < len && buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t' && n < sizeof(cmd) - 1)
		cmd[n++] = buf[i++];
	cmd[n] = 0;
	if (!strcmp(cmd, "cut"))
		return pcs_cut(ps);
	if (!strcmp(cmd, "sync"))
		return pcs_sync_all();
	if (!strcmp(cmd, "exit"))
		*exit = true;
	return *exit ? 0 : -EINVAL;
}

/* ---- FUSE operations: each takes the lock, does one thing, returns 0 or -errno ---- */

static void *pc_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* Our inode numbers; an unlinked open file keeps working by handle. */
	cfg->use_ino = 1;
	cfg->hard_remove = 1;
	cfg->nullpath_ok = 1;
	/* A cut changes names behind the kernel's back: never trust cached names or attributes. */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	/*
	 * Page cache: every write goes through us at once (no writeback cache, or the kernel would
	 * hold writes a cut cannot see), the cache is kept across opens (keep_cache: the -shm file
	 * is mapped by several processes) and dropped at a cut, not whenever mtime moves.
	 */
	conn->want &= ~(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_AUTO_INVAL_DATA);
	return NULL;
}

static void pc_destroy(void *data)
{
	(void)data;
	/* after "exit" the kernel sends no release for what is still open */
	while (pc_handles) {
		struct pc_handle *h = pc_handles;

		pc_handles = h->next;
		free(h);
	}
	pcs_fini();
}

static int pc_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct pc_handle *h = handle_of(fi);
	struct pc_node *n;
	int err = 0;

	memset(st, 0, sizeof(*st));
	if (is_ctl(path) || (h && !h->node)) {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_ino = UINT32_MAX;
		return 0;
	}
	pthread_mutex_lock(&pc.lock);
	err = target(path, fi, &n);
	if (!err) {
		st->st_ino = n->ino;
		st->st_mode = n->cur.mode;
		st->st_nlink = n->dir ? 2 : !!n->lcur.parent || n == pc.root;
		st->st_uid = n->cur.uid;
		st->st_gid = n->cur.gid;
		st->st_size = n->dir ? 0 : n->cur.size;
		st->st_blksize = PC_PAGE;
		st->st_blocks = (blkcnt_t)pcs_pages(n) * (PC_PAGE / 512);
		st->st_atim = n->cur.atime;
		st->st_mtim = n->cur.mtime;
		st->st_ctim = n->cur.ctime;
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

/* A new node named path; *out is NULL when the name exists (err is then -EEXIST). */
static int node_create(const char *path, bool dir, mode_t mode, struct pc_node **out)
{
	struct fuse_context *ctx = fuse_get_context();

	*out = NULL;
	if (is_ctl(path))
		return -EEXIST;
	return pcs_create(path, dir, mode, ctx->uid, ctx->gid, out);
}

static int pc_mkdir(const char *path, mode_t mode)
{
	struct pc_node *n;
	int err;

	pthread_mutex_lock(&pc.lock);
	err = node_create(path, true, mode, &n);
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct pc_node *n;
	int err;

	pthread_mutex_lock(&pc.lock);
	err = node_create(path, false, mode, &n);
	if (err == -EEXIST && !(fi->flags & O_EXCL) && !is_ctl(path) && !pcs_resolve(path, &n))
		err = n->dir ? -EISDIR : 0;
	if (!err && (fi->flags & O_TRUNC))
		err = pcs_truncate(n, 0);
	if (!err)
		err = handle_new(fi, n);
	fi->keep_cache = 1;
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_open(const char *path, struct fuse_file_info *fi)
{
	struct pc_node *n = NULL;
	int err = 0;

	pthread_mutex_lock(&pc.lock);
	if (is_ctl(path))
		fi->direct_io = 1; /* counters are read fresh every time, size 0 or not */
	else
		err = pcs_resolve(path, &n);
	if (!err && n && n->dir)
		err = -EISDIR;
	if (!err && n && (fi->flags & O_TRUNC))
		err = pcs_truncate(n, 0);
	if (!err)
		err = handle_new(fi, n);
	fi->keep_cache = n != NULL;
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int node_remove(const char *path, bool dir)
{
	int err;

	if (is_ctl(path))
		return -EPERM;
	pthread_mutex_lock(&pc.lock);
	err = pcs_remove(path, dir);
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_unlink(const char *path)
{
	return node_remove(path, false);
}

static int pc_rmdir(const char *path)
{
	return node_remove(path, true);
}

static int pc_rename(const char *from, const char *to, unsigned int flags)
{
	int err;

	if (is_ctl(from) || is_ctl(to))
		return -EPERM;
	pthread_mutex_lock(&pc.lock);
	err = pcs_rename(from, to, flags);
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct pc_handle *h = handle_of(fi);
	struct pc_node *n;
	int err;

	if (is_ctl(path) || (h && !h->node))
		return 0; /* `echo cut > .powercut` truncates first */
	pthread_mutex_lock(&pc.lock);
	err = target(path, fi, &n);
	if (!err)
		err = n->dir ? -EISDIR : pcs_truncate(n, size);
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct pc_node *n;
	int err = 0;

	(void)path;
	pthread_mutex_lock(&pc.lock);
	if (!handle_of(fi)->node) {
		char text[1024];
		int len = pcs_stats(text, sizeof(text));

		if (off < len) {
			err = (int)(len - off) < (int)size ? (int)(len - off) : (int)size;
			memcpy(buf, text + off, (size_t)err);
		}
	} else if (!(err = handle_node(fi, &n))) {
		err = pcs_read(n, buf, size, off);
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pc_handle *h = handle_of(fi);
	struct pc_paths ps = {0};
	struct pc_node *n;
	bool exit = false;
	size_t i;
	int err;

	(void)path;
	pthread_mutex_lock(&pc.lock);
	if (!h->node) {
		err = ctl_command(buf, size, &ps, &exit);
		err = err ? err : (int)size;
	} else if (!(err = handle_node(fi, &n))) {
		err = pcs_write(n, buf, size, (h->flags & O_APPEND) ? n->cur.size : off);
		pc.st.writes++;
		pc.st.bytes_written += err > 0 ? (uint64_t)err : 0;
	}
	pthread_mutex_unlock(&pc.lock);
	/* after the unlock: dropping a dirty mmap page makes the kernel write it through us */
	for (i = 0; i < ps.n; i++) {
		fuse_invalidate_path(fuse_get_context()->fuse, ps.v[i]);
		free(ps.v[i]);
	}
	free(ps.v);
	if (exit)
		fuse_exit(fuse_get_context()->fuse);
	return err;
}

static int pc_statfs(const char *path, struct statvfs *sv)
{
	struct pc_node *m;
	uint64_t pages = 0, nodes = 0;

	(void)path;
	memset(sv, 0, sizeof(*sv));
	pthread_mutex_lock(&pc.lock);
	for (m = pc.nodes; m; m = m->next, nodes++)
		pages += pcs_pages(m);
	pthread_mutex_unlock(&pc.lock);
	sv->f_bsize = sv->f_frsize = PC_PAGE;
	sv->f_blocks = (fsblkcnt_t)1 << 20; /* 4 GiB: a number, not a limit */
	sv->f_bfree = sv->f_bavail = sv->f_blocks > pages ? sv->f_blocks - pages : 0;
	sv->f_files = (fsfilcnt_t)1 << 20;
	sv->f_ffree = sv->f_favail = sv->f_files > nodes ? sv->f_files - nodes : 0;
	sv->f_namemax = NAME_MAX;
	return 0;
}

static int pc_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	pthread_mutex_lock(&pc.lock);
	handle_free(fi);
	pthread_mutex_unlock(&pc.lock);
	return 0;
}

static int pc_fsync_common(struct fuse_file_info *fi, int datasync, bool dir)
{
	struct pc_node *n;
	int err;

	pthread_mutex_lock(&pc.lock);
	err = handle_node(fi, &n);
	if (!err && n) {
		if (dir)
			pc.st.dirsyncs++;
		else if (datasync)
			pc.st.fdatasyncs++;
		else
			pc.st.fsyncs++;
		err = n->dir ? pcs_sync_dir(n) : pcs_sync_node(n);
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	return pc_fsync_common(fi, datasync, false);
}

static int pc_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	return pc_fsync_common(fi, datasync, true);
}

static int pc_opendir(const char *path, struct fuse_file_info *fi)
{
	struct pc_node *n;
	int err;

	pthread_mutex_lock(&pc.lock);
	err = pcs_resolve(path, &n);
	if (!err && !n->dir)
		err = -ENOTDIR;
	if (!err)
		err = handle_new(fi, n);
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct pc_node *n, *k;
	int err;

	(void)path;
	(void)off;
	(void)flags;
	pthread_mutex_lock(&pc.lock);
	err = handle_node(fi, &n);
	if (!err) {
		fill(buf, ".", NULL, 0, 0);
		fill(buf, "..", NULL, 0, 0);
		for (k = n->kids; k; k = k->sib)
			if (fill(buf, k->lcur.name, NULL, 0, 0))
				break;
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

/* chmod and chown: (mode_t)-1, (uid_t)-1, (gid_t)-1 leave that one as it is. */
static int set_mode_owner(const char *path, struct fuse_file_info *fi, mode_t mode, uid_t uid,
			  gid_t gid)
{
	struct pc_node *n;
	int err;

	if (is_ctl(path))
		return -EPERM;
	pthread_mutex_lock(&pc.lock);
	err = target(path, fi, &n);
	if (!err) {
		if (mode != (mode_t)-1)
			n->cur.mode = (n->cur.mode & S_IFMT) | (mode & 07777);
		if (uid != (uid_t)-1)
			n->cur.uid = uid;
		if (gid != (gid_t)-1)
			n->cur.gid = gid;
		pcs_now(&n->cur.ctime);
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return set_mode_owner(path, fi, mode, (uid_t)-1, (gid_t)-1);
}

static int pc_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	return set_mode_owner(path, fi, (mode_t)-1, uid, gid);
}

static void time_set(struct timespec *dst, const struct timespec *src, const struct timespec *now)
{
	if (src->tv_nsec == UTIME_NOW)
		*dst = *now;
	else if (src->tv_nsec != UTIME_OMIT)
		*dst = *src;
}

static int pc_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct pc_node *n;
	struct timespec now;
	int err;

	if (is_ctl(path))
		return 0;
	pcs_now(&now);
	pthread_mutex_lock(&pc.lock);
	err = target(path, fi, &n);
	if (!err) {
		time_set(&n->cur.atime, &tv[0], &now);
		time_set(&n->cur.mtime, &tv[1], &now);
		n->cur.ctime = now;
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static const struct fuse_operations pc_ops = {
    .init = pc_init,
    .destroy = pc_destroy,
    .getattr = pc_getattr,
    .mkdir = pc_mkdir,
    .unlink = pc_unlink,
    .rmdir = pc_rmdir,
    .rename = pc_rename,
    .chmod = pc_chmod,
    .chown = pc_chown,
    .truncate = pc_truncate,
    .open = pc_open,
    .create = pc_create,
    .read = pc_read,
    .write = pc_write,
    .statfs = pc_statfs,
    .release = pc_release,
    .fsync = pc_fsync,
    .opendir = pc_opendir,
    .readdir = pc_readdir,
    .releasedir = pc_release,
    .fsyncdir = pc_fsyncdir,
    .utimens = pc_utimens,
};

int main(int argc, char **argv)
{
	if (pcs_init(getuid(), getgid()))
		return 1;
	return fuse_main(argc, argv, &pc_ops, NULL);
}
