/*
 * powercut: a FUSE filesystem that forgets, on command, everything that was not synced.
 *
 * Durability tests run a program (mqttgwd's store, SQLite) inside it, "cut the power" and check
 * that everything the program acknowledged is still there. The whole filesystem lives in memory
 * and keeps two states: the CURRENT one, which every read, stat and readdir sees, and the DURABLE
 * one, what a disk would hold after a power cut at this instant. A cut reverts the current state
 * to the durable one.
 *
 *   powercut MOUNTPOINT [-f] [-o FUSE options]     (fusermount3 -u MOUNTPOINT ends it)
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
 * "sync" to make everything durable (a clean shutdown); the write returns when it is done. Read
 * it for counters, one "name value" per line: fsyncs, fdatasyncs, dirsyncs, cuts, writes,
 * bytes_written, stale_ops, nodes, unsynced_pages, and what the last cut threw away:
 * cut_lost_bytes (current bytes in the pages it reverted, plus whole lost files),
 * cut_lost_pages, cut_lost_entries (names created, removed or renamed since their directory's
 * last sync), cut_lost_files (files and directories that no longer exist).
 *
 * After a cut the "machine" has rebooted: every file descriptor opened before it fails with EIO
 * (reads, writes, fsync, readdir), while new opens see the durable state. The kernel's page
 * cache of each file is dropped at the cut, so nothing cached before it is read after it.
 *
 * What SQLite needs works: pread/pwrite at any offset, ftruncate, fsync/fdatasync, fsync of a
 * directory fd, unlink, rename, and shared writable mmap (the WAL index in the -shm file: the
 * page cache is kept across opens, the kernel writes dirty pages back through FUSE). POSIX
 * advisory locks (fcntl F_SETLK) and flock are left to the kernel, which handles them locally
 * when the filesystem has no lock operation: right here, as every user is on this machine.
 * Not supported: hard links, symlinks, device nodes, xattrs (ENOSYS or EPERM).
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PC_PAGE 4096
#define PC_MAX_SIZE ((off_t)1 << 40)
#define PC_CTL "/.powercut"

/* One version (current or durable) of a node's contents and attributes. */
struct pc_data {
	unsigned char **pages; /* NULL: a hole of zeros; bytes past size are always zero */
	size_t cap;	       /* entries in pages[] */
	off_t size;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime, ctime;
};

struct pc_link {
	struct pc_node *parent; /* NULL: no entry */
	char *name;
};

/*
 * A page is shared by both versions when cur.pages[i] == dur.pages[i]: an fsync shares the
 * pages that differ and a write copies a shared page first, so a sync costs a pointer per page.
 */
struct pc_node {
	uint64_t ino;
	bool dir;
	struct pc_data cur, dur;
	struct pc_link lcur, ldur;
	struct pc_node *kids;		/* first child in the current state */
	struct pc_node *sib;		/* next child of lcur.parent */
	struct pc_node *prev, *next;	/* every node */
	unsigned int nopen;		/* handles: the node outlives its names while open */
	int reach;			/* cut: 0 unknown, 1 visiting, 2 reachable, 3 not */
};

struct pc_handle {
	struct pc_node *node; /* NULL: the control file */
	uint64_t gen;	      /* pc.gen at open: an older one means "opened before the cut" */
	int flags;
};

struct pc_stats {
	uint64_t fsyncs, fdatasyncs, dirsyncs, cuts, writes, bytes_written, stale_ops;
	uint64_t lost_bytes, lost_pages, lost_entries, lost_files; /* at the last cut */
};

/* One lock for everything: a test tool, correctness over concurrency. */
static struct {
	pthread_mutex_t lock;
	struct pc_node *root;
	struct pc_node *nodes;
	uint64_t next_ino;
	uint64_t gen;
	struct pc_stats st;
} pc = { .lock = PTHREAD_MUTEX_INITIALIZER, .next_ino = 1 };

/* Paths to invalidate in the kernel after a cut, collected under the lock. */
struct pc_paths {
	char **v;
	size_t n, cap;
};

static void pc_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static unsigned char *page_dur(const struct pc_node *n, size_t i)
{
	return i < n->dur.cap ? n->dur.pages[i] : NULL;
}

static unsigned char *page_cur(const struct pc_node *n, size_t i)
{
	return i < n->cur.cap ? n->cur.pages[i] : NULL;
}

static int data_reserve(struct pc_data *d, size_t npages)
{
	unsigned char **p;
	size_t cap = d->cap ? d->cap : 4;

	if (npages <= d->cap)
		return 0;
	while (cap < npages)
		cap *= 2;
	p = realloc(d->pages, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + d->cap, 0, (cap - d->cap) * sizeof(*p));
	d->pages = p;
	d->cap = cap;
	return 0;
}

/* The current page i, private to the current state (copied if shared with the durable one). */
static unsigned char *page_writable(struct pc_node *n, size_t i)
{
	unsigned char *p, *q;

	if (data_reserve(&n->cur, i + 1))
		return NULL;
	p = n->cur.pages[i];
	if (p && p != page_dur(n, i))
		return p;
	q = malloc(PC_PAGE);
	if (!q)
		return NULL;
	if (p)
		memcpy(q, p, PC_PAGE);
	else
		memset(q, 0, PC_PAGE);
	n->cur.pages[i] = q;
	return q;
}

static void page_drop(struct pc_node *n, size_t i)
{
	unsigned char *p = page_cur(n, i);

	if (p && p != page_dur(n, i))
		free(p);
	if (i < n->cur.cap)
		n->cur.pages[i] = NULL;
}

static int data_write(struct pc_node *n, const char *buf, size_t len, off_t off)
{
	size_t done = 0;

	if (off < 0 || off > PC_MAX_SIZE || (off_t)len > PC_MAX_SIZE - off)
		return -EFBIG;
	while (done < len) {
		off_t pos = off + (off_t)done;
		size_t in = (size_t)(pos % PC_PAGE), k = PC_PAGE - in;
		unsigned char *p = page_writable(n, (size_t)(pos / PC_PAGE));

		if (!p)
			return done ? (int)done : -ENOMEM;
		if (k > len - done)
			k = len - done;
		memcpy(p + in, buf + done, k);
		done += k;
	}
	if (off + (off_t)len > n->cur.size)
		n->cur.size = off + (off_t)len;
	pc_now(&n->cur.mtime);
	n->cur.ctime = n->cur.mtime;
	return (int)len;
}

static int data_read(struct pc_node *n, char *buf, size_t len, off_t off)
{
	size_t done = 0;

	if (off >= n->cur.size)
		return 0;
	if ((off_t)len > n->cur.size - off)
		len = (size_t)(n->cur.size - off);
	while (done < len) {
		off_t pos = off + (off_t)done;
		size_t in = (size_t)(pos % PC_PAGE), k = PC_PAGE - in;
		unsigned char *p = page_cur(n, (size_t)(pos / PC_PAGE));

		if (k > len - done)
			k = len - done;
		if (p)
			memcpy(buf + done, p + in, k);
		else
			memset(buf + done, 0, k);
		done += k;
	}
	return (int)len;
}

static int data_truncate(struct pc_node *n, off_t size)
{
	size_t keep = (size_t)((size + PC_PAGE - 1) / PC_PAGE), i;

	if (size < 0 || size > PC_MAX_SIZE)
		return size < 0 ? -EINVAL : -EFBIG;
	if (size < n->cur.size) {
		for (i = keep; i < n->cur.cap; i++)
			page_drop(n, i);
		/* keep the tail of the last page zero: a later extension must read zeros */
		if (size % PC_PAGE && page_cur(n, keep - 1)) {
			unsigned char *p = page_writable(n, keep - 1);

			if (!p)
				return -ENOMEM;
			memset(p + size % PC_PAGE, 0, PC_PAGE - size % PC_PAGE);
		}
	}
	n->cur.size = size;
	pc_now(&n->cur.mtime);
	n->cur.ctime = n->cur.mtime;
	return 0;
}

/* fsync: the durable version becomes the current one, sharing its pages. */
static int data_commit(struct pc_node *n)
{
	size_t i;

	if (data_reserve(&n->dur, n->cur.cap))
		return -ENOMEM;
	for (i = 0; i < n->dur.cap; i++) {
		unsigned char *c = page_cur(n, i);

		if (n->dur.pages[i] != c) {
			free(n->dur.pages[i]);
			n->dur.pages[i] = c;
		}
	}
	n->dur.size = n->cur.size;
	n->dur.mode = n->cur.mode;
	n->dur.uid = n->cur.uid;
	n->dur.gid = n->cur.gid;
	n->dur.atime = n->cur.atime;
	n->dur.mtime = n->cur.mtime;
	n->dur.ctime = n->cur.ctime;
	return 0;
}

/* A cut: the current version becomes the durable one again; counts what it throws away. */
static int data_revert(struct pc_node *n)
{
	size_t i;

	if (data_reserve(&n->cur, n->dur.cap))
		return -ENOMEM;
	for (i = 0; i < n->cur.cap; i++) {
		unsigned char *d = page_dur(n, i);
		off_t left = n->cur.size - (off_t)i * PC_PAGE;

		if (n->cur.pages[i] == d)
			continue;
		pc.st.lost_pages++;
		if (left > 0)
			pc.st.lost_bytes += left < PC_PAGE ? (uint64_t)left : PC_PAGE;
		free(n->cur.pages[i]);
		n->cur.pages[i] = d;
	}
	n->cur.size = n->dur.size;
	n->cur.mode = n->dur.mode;
	n->cur.uid = n->dur.uid;
	n->cur.gid = n->dur.gid;
	n->cur.atime = n->dur.atime;
	n->cur.mtime = n->dur.mtime;
	n->cur.ctime = n->dur.ctime;
	return 0;
}

static void link_clear(struct pc_link *l)
{
	free(l->name);
	l->name = NULL;
	l->parent = NULL;
}

static int link_set(struct pc_link *l, struct pc_node *parent, const char *name)
{
	char *s = NULL;

	if (parent && !(s = strdup(name)))
		return -ENOMEM;
	free(l->name);
	l->name = s;
	l->parent = parent;
	return 0;
}

static bool link_same(const struct pc_link *a, const struct pc_link *b)
{
	if (a->parent != b->parent)
		return false;
	return !a->parent || !strcmp(a->name, b->name);
}

static struct pc_node *kid_find(struct pc_node *dir, const char *name, size_t len)
{
	struct pc_node *k;

	for (k = dir->kids; k; k = k->sib)
		if (!strncmp(k->lcur.name, name, len) && !k->lcur.name[len])
			return k;
	return NULL;
}

static void kid_add(struct pc_node *dir, struct pc_node *n)
{
	n->sib = dir->kids;
	dir->kids = n;
}

static void kid_del(struct pc_node *n)
{
	struct pc_node **pp;

	if (!n->lcur.parent)
		return;
	for (pp = &n->lcur.parent->kids; *pp; pp = &(*pp)->sib) {
		if (*pp == n) {
			*pp = n->sib;
			break;
		}
	}
	n->sib = NULL;
}

static struct pc_node *node_new(bool dir, mode_t mode, uid_t uid, gid_t gid)
{
	struct pc_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->ino = pc.next_ino++;
	n->dir = dir;
	n->cur.mode = (dir ? S_IFDIR : S_IFREG) | (mode & 07777);
	n->cur.uid = uid;
	n->cur.gid = gid;
	pc_now(&n->cur.mtime);
	n->cur.atime = n->cur.ctime = n->cur.mtime;
	/* the durable version of a new node: what a cut before its first sync leaves, no data */
	n->dur = n->cur;
	n->dur.pages = NULL;
	n->next = pc.nodes;
	if (pc.nodes)
		pc.nodes->prev = n;
	pc.nodes = n;
	return n;
}

static void node_free(struct pc_node *n)
{
	size_t i, cap = n->cur.cap > n->dur.cap ? n->cur.cap : n->dur.cap;

	for (i = 0; i < cap; i++) {
		unsigned char *c = page_cur(n, i), *d = page_dur(n, i);

		free(c);
		if (d != c)
			free(d);
	}
	free(n->cur.pages);
	free(n->dur.pages);
	link_clear(&n->lcur);
	link_clear(&n->ldur);
	if (n->prev)
		n->prev->next = n->next;
	else
		pc.nodes = n->next;
	if (n->next)
		n->next->prev = n->prev;
	free(n);
}

/*
 * Free a node that no state can reach and no handle holds. A directory stays while a durable
 * entry names it as parent (a cut would need it); the next cut frees such orphans.
 */
static void node_gc(struct pc_node *n)
{
	struct pc_node *m;

	if (n == pc.root || n->lcur.parent || n->ldur.parent || n->nopen)
		return;
	if (n->dir)
		for (m = pc.nodes; m; m = m->next)
			if (m->ldur.parent == n)
				return;
	node_free(n);
}

static void node_unlink(struct pc_node *n)
{
	kid_del(n);
	link_clear(&n->lcur);
	pc_now(&n->cur.ctime);
}

/*
 * Make n's durable entry its current one. The node that durably held that name loses it and
 * gets its own current entry made durable too (it was renamed or unlinked in the same
 * transaction); each step settles one more node, and current names are unique, so this ends.
 */
static int link_commit(struct pc_node *n)
{
	while (n && !link_same(&n->ldur, &n->lcur)) {
		struct pc_node *m, *other = NULL;
		int err;

		for (m = pc.nodes; m && n->lcur.parent; m = m->next) {
			if (m != n && m->ldur.parent == n->lcur.parent &&
			    !strcmp(m->ldur.name, n->lcur.name)) {
				other = m;
				break;
			}
		}
		err = link_set(&n->ldur, n->lcur.parent, n->lcur.name);
		if (err)
			return err;
		n = other;
	}
	return 0;
}

/* fsync of a file or directory: its data, and its entry (and new parents') if it is new. */
static int node_sync(struct pc_node *n)
{
	struct pc_node *m;
	int err = data_commit(n);

	for (m = n; !err && m != pc.root && m->lcur.parent && !m->ldur.parent; m = m->lcur.parent)
		err = link_commit(m);
	return err;
}

static int dir_sync(struct pc_node *d)
{
	struct pc_node *m;
	int err = node_sync(d);

	for (m = pc.nodes; m && !err; m = m->next)
		if (m->lcur.parent == d || m->ldur.parent == d)
			err = link_commit(m);
	return err;
}

static int sync_all(void)
{
	struct pc_node *m;
	int err = 0;

	for (m = pc.nodes; m && !err; m = m->next)
		err = data_commit(m);
	for (m = pc.nodes; m && !err; m = m->next)
		err = link_commit(m);
	return err;
}

static bool reachable(struct pc_node *n)
{
	if (n->reach == 0) {
		n->reach = 1; /* a durable cycle (partly synced directory renames) is unreachable */
		n->reach = n->ldur.parent && reachable(n->ldur.parent) ? 2 : 3;
	}
	return n->reach == 2;
}

static int paths_add(struct pc_paths *ps, const char *path)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 64;
		char **v = realloc(ps->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ps->v = v;
		ps->cap = cap;
	}
	if (!(ps->v[ps->n] = strdup(path)))
		return -ENOMEM;
	ps->n++;
	return 0;
}

/* Every current path under dir (prefix is dir's path, "" for the root). */
static void paths_collect(struct pc_node *dir, const char *prefix, struct pc_paths *ps)
{
	struct pc_node *k;
	char path[PATH_MAX];

	for (k = dir->kids; k; k = k->sib) {
		if (snprintf(path, sizeof(path), "%s/%s", prefix, k->lcur.name) >= (int)sizeof(path))
			continue;
		if (paths_add(ps, path))
			return;
		if (k->dir)
			paths_collect(k, path, ps);
	}
}

/*
 * The power cut. Handles opened before it see EIO from now on (pc.gen); the kernel's caches
 * of the paths in ps are dropped by the caller, outside the lock (dropping a dirty mmap page
 * writes it back through us first).
 */
static int pc_cut(struct pc_paths *ps)
{
	struct pc_node *m, *next;
	int err = 0;

	paths_collect(pc.root, "", ps);
	pc.st.lost_bytes = pc.st.lost_pages = pc.st.lost_entries = pc.st.lost_files = 0;
	for (m = pc.nodes; m; m = m->next)
		m->reach = 0;
	pc.root->reach = 2;
	for (m = pc.nodes; m; m = m->next) {
		if (reachable(m)) {
			pc.st.lost_entries += !link_same(&m->lcur, &m->ldur);
			err = err ? err : data_revert(m);
		} else if (m->lcur.parent) {
			pc.st.lost_entries++;
			pc.st.lost_files++;
			pc.st.lost_bytes += (uint64_t)m->cur.size;
		}
		m->kids = m->sib = NULL;
	}
	for (m = pc.nodes; m; m = m->next) {
		if (m == pc.root)
			continue;
		if (m->reach == 2 && !err) {
			err = link_set(&m->lcur, m->ldur.parent, m->ldur.name);
			kid_add(m->lcur.parent, m);
		} else {
			link_clear(&m->lcur);
			link_clear(&m->ldur);
		}
	}
	for (m = pc.nodes; m; m = next) {
		next = m->next;
		if (m->reach == 3 && !m->nopen && m != pc.root)
			node_free(m);
	}
	pc.gen++;
	pc.st.cuts++;
	return err;
}

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
		node_gc(h->node);
	}
	free(h);
}

static bool is_ctl(const char *path)
{
	return path && !strcmp(path, PC_CTL);
}

/* Resolve the first len bytes of an absolute path in the current state. */
static int resolve_len(const char *path, size_t len, struct pc_node **out)
{
	struct pc_node *n = pc.root;
	size_t i = 0;

	while (i < len) {
		size_t j;

		while (i < len && path[i] == '/')
			i++;
		for (j = i; j < len && path[j] != '/'; j++)
			;
		if (j == i)
			break;
		if (!n->dir)
			return -ENOTDIR;
		if (j - i > NAME_MAX)
			return -ENAMETOOLONG;
		n = kid_find(n, path + i, j - i);
		if (!n)
			return -ENOENT;
		i = j;
	}
	*out = n;
	return 0;
}

static int resolve(const char *path, struct pc_node **out)
{
	if (!path)
		return -ENOENT;
	return resolve_len(path, strlen(path), out);
}

/* The parent directory of path and the last name in it. */
static int resolve_parent(const char *path, struct pc_node **dir, const char **name)
{
	const char *slash = strrchr(path, '/');
	int err;

	if (!slash || !slash[1])
		return -EINVAL;
	if (strlen(slash + 1) > NAME_MAX)
		return -ENAMETOOLONG;
	err = resolve_len(path, (size_t)(slash - path), dir);
	if (!err && !(*dir)->dir)
		err = -ENOTDIR;
	*name = slash + 1;
	return err;
}

/* The node an operation is about: its open handle if it has one, else its path. */
static int target(const char *path, struct fuse_file_info *fi, struct pc_node **n)
{
	if (fi && fi->fh)
		return handle_node(fi, n);
	return resolve(path, n);
}

static int stats_format(char *buf, size_t len)
{
	struct pc_node *m;
	uint64_t nodes = 0, unsynced = 0;
	size_t i;

	for (m = pc.nodes; m; m = m->next) {
		nodes++;
		for (i = 0; i < m->cur.cap; i++)
			unsynced += m->cur.pages[i] != page_dur(m, i);
	}
	return snprintf(buf, len,
			"fsyncs %llu\nfdatasyncs %llu\ndirsyncs %llu\ncuts %llu\nwrites %llu\n"
			"bytes_written %llu\nstale_ops %llu\nnodes %llu\nunsynced_pages %llu\n"
			"cut_lost_bytes %llu\ncut_lost_pages %llu\ncut_lost_entries %llu\n"
			"cut_lost_files %llu\n",
			(unsigned long long)pc.st.fsyncs, (unsigned long long)pc.st.fdatasyncs,
			(unsigned long long)pc.st.dirsyncs, (unsigned long long)pc.st.cuts,
			(unsigned long long)pc.st.writes, (unsigned long long)pc.st.bytes_written,
			(unsigned long long)pc.st.stale_ops, (unsigned long long)nodes,
			(unsigned long long)unsynced, (unsigned long long)pc.st.lost_bytes,
			(unsigned long long)pc.st.lost_pages, (unsigned long long)pc.st.lost_entries,
			(unsigned long long)pc.st.lost_files);
}

static int ctl_command(const char *buf, size_t len, struct pc_paths *ps)
{
	char cmd[16];
	size_t n = 0, i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t'))
		i++;
	while (i < len && buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t' && n < sizeof(cmd) - 1)
		cmd[n++] = buf[i++];
	cmd[n] = 0;
	if (!strcmp(cmd, "cut"))
		return pc_cut(ps);
	if (!strcmp(cmd, "sync"))
		return sync_all();
	return -EINVAL;
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
	while (pc.nodes)
		node_free(pc.nodes);
	pc.root = NULL;
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
		size_t i, pages = 0;

		for (i = 0; i < n->cur.cap; i++)
			pages += !!n->cur.pages[i];
		st->st_ino = n->ino;
		st->st_mode = n->cur.mode;
		st->st_nlink = n->dir ? 2 : !!n->lcur.parent || n == pc.root;
		st->st_uid = n->cur.uid;
		st->st_gid = n->cur.gid;
		st->st_size = n->dir ? 0 : n->cur.size;
		st->st_blksize = PC_PAGE;
		st->st_blocks = (blkcnt_t)pages * (PC_PAGE / 512);
		st->st_atim = n->cur.atime;
		st->st_mtim = n->cur.mtime;
		st->st_ctim = n->cur.ctime;
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

/* A new file or directory named path; *out is NULL when the name exists (err is then -EEXIST). */
static int node_create(const char *path, bool dir, mode_t mode, struct pc_node **out)
{
	struct fuse_context *ctx = fuse_get_context();
	struct pc_node *d, *n;
	const char *name;
	int err;

	*out = NULL;
	if (is_ctl(path))
		return -EEXIST;
	err = resolve_parent(path, &d, &name);
	if (err)
		return err;
	if (kid_find(d, name, strlen(name)))
		return -EEXIST;
	n = node_new(dir, mode, ctx->uid, ctx->gid);
	if (!n)
		return -ENOMEM;
	err = link_set(&n->lcur, d, name);
	if (err) {
		node_free(n);
		return err;
	}
	kid_add(d, n);
	pc_now(&d->cur.mtime);
	d->cur.ctime = d->cur.mtime;
	*out = n;
	return 0;
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
	if (err == -EEXIST && !(fi->flags & O_EXCL) && !is_ctl(path) && !resolve(path, &n))
		err = n->dir ? -EISDIR : 0;
	if (!err && (fi->flags & O_TRUNC))
		err = data_truncate(n, 0);
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
		err = resolve(path, &n);
	if (!err && n && n->dir)
		err = -EISDIR;
	if (!err && n && (fi->flags & O_TRUNC))
		err = data_truncate(n, 0);
	if (!err)
		err = handle_new(fi, n);
	fi->keep_cache = n != NULL;
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_unlink_common(const char *path, bool dir)
{
	struct pc_node *n;
	int err;

	if (is_ctl(path))
		return -EPERM;
	pthread_mutex_lock(&pc.lock);
	err = resolve(path, &n);
	if (!err && n == pc.root)
		err = -EBUSY;
	else if (!err && n->dir != dir)
		err = dir ? -ENOTDIR : -EISDIR;
	else if (!err && n->kids)
		err = -ENOTEMPTY;
	if (!err) {
		struct pc_node *d = n->lcur.parent;

		node_unlink(n);
		d->cur.mtime = d->cur.ctime = n->cur.ctime;
		node_gc(n);
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_unlink(const char *path)
{
	return pc_unlink_common(path, false);
}

static int pc_rmdir(const char *path)
{
	return pc_unlink_common(path, true);
}

static int rename_locked(const char *from, const char *to, unsigned int flags)
{
	struct pc_node *s, *d, *t, *m;
	const char *name;
	int err;

	if (flags & ~(unsigned int)RENAME_NOREPLACE)
		return -EINVAL;
	err = resolve(from, &s);
	if (!err)
		err = resolve_parent(to, &d, &name);
	if (err)
		return err;
	if (s == pc.root)
		return -EBUSY;
	t = kid_find(d, name, strlen(name));
	if (t == s)
		return 0;
	if (t && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	for (m = d; s->dir && m; m = m->lcur.parent)
		if (m == s)
			return -EINVAL;
	if (t && t->dir && !s->dir)
		return -EISDIR;
	if (t && !t->dir && s->dir)
		return -ENOTDIR;
	if (t && t->kids)
		return -ENOTEMPTY;
	if (t)
		node_unlink(t);
	kid_del(s);
	err = link_set(&s->lcur, d, name);
	if (!err)
		kid_add(d, s);
	pc_now(&d->cur.mtime);
	d->cur.ctime = s->cur.ctime = d->cur.mtime;
	if (t)
		node_gc(t);
	return err;
}

static int pc_rename(const char *from, const char *to, unsigned int flags)
{
	int err;

	if (is_ctl(from) || is_ctl(to))
		return -EPERM;
	pthread_mutex_lock(&pc.lock);
	err = rename_locked(from, to, flags);
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
		err = n->dir ? -EISDIR : data_truncate(n, size);
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
		int len = stats_format(text, sizeof(text));

		if (off < len) {
			err = (int)(len - off) < (int)size ? (int)(len - off) : (int)size;
			memcpy(buf, text + off, (size_t)err);
		}
	} else if (!(err = handle_node(fi, &n))) {
		err = data_read(n, buf, size, off);
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct pc_handle *h = handle_of(fi);
	struct pc_paths ps = { 0 };
	struct pc_node *n;
	size_t i;
	int err;

	(void)path;
	pthread_mutex_lock(&pc.lock);
	if (!h->node) {
		err = ctl_command(buf, size, &ps);
		err = err ? err : (int)size;
	} else if (!(err = handle_node(fi, &n))) {
		err = data_write(n, buf, size, (h->flags & O_APPEND) ? n->cur.size : off);
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
	return err;
}

static int pc_statfs(const char *path, struct statvfs *sv)
{
	struct pc_node *m;
	uint64_t pages = 0, nodes = 0;
	size_t i;

	(void)path;
	memset(sv, 0, sizeof(*sv));
	pthread_mutex_lock(&pc.lock);
	for (m = pc.nodes; m; m = m->next, nodes++)
		for (i = 0; i < m->cur.cap; i++)
			pages += !!m->cur.pages[i];
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
		err = n->dir ? dir_sync(n) : node_sync(n);
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
	err = resolve(path, &n);
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

static int pc_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct pc_node *n;
	int err;

	if (is_ctl(path))
		return -EPERM;
	pthread_mutex_lock(&pc.lock);
	err = target(path, fi, &n);
	if (!err) {
		n->cur.mode = (n->cur.mode & S_IFMT) | (mode & 07777);
		pc_now(&n->cur.ctime);
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
}

static int pc_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct pc_node *n;
	int err;

	if (is_ctl(path))
		return -EPERM;
	pthread_mutex_lock(&pc.lock);
	err = target(path, fi, &n);
	if (!err) {
		if (uid != (uid_t)-1)
			n->cur.uid = uid;
		if (gid != (gid_t)-1)
			n->cur.gid = gid;
		pc_now(&n->cur.ctime);
	}
	pthread_mutex_unlock(&pc.lock);
	return err;
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
	pc_now(&now);
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
	pc.root = node_new(true, 0755, getuid(), getgid());
	if (!pc.root)
		return 1;
	return fuse_main(argc, argv, &pc_ops, NULL);
}
