/*
 * pcstate: the two states of the powercut filesystem (current and durable) and what moves data
 * between them: writes change the current state, syncs copy parts of it to the durable one, a
 * cut copies the durable state back. No FUSE here; the rules are in powercut.c's header comment.
 * The caller holds pc.lock around every call.
 */
#include "pcstate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PC_MAX_SIZE ((off_t)1 << 40)

struct pc_state pc = {.lock = PTHREAD_MUTEX_INITIALIZER, .next_ino = 1};

void pcs_now(struct timespec *ts)
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

int pcs_write(struct pc_node *n, const char *buf, size_t len, off_t off)
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
	pcs_now(&n->cur.mtime);
	n->cur.ctime = n->cur.mtime;
	return (int)len;
}

int pcs_read(struct pc_node *n, char *buf, size_t len, off_t off)
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

int pcs_truncate(struct pc_node *n, off_t size)
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
	pcs_now(&n->cur.mtime);
	n->cur.ctime = n->cur.mtime;
	return 0;
}

/* Everything but the pages. */
static void attr_copy(struct pc_data *to, const struct pc_data *from)
{
	unsigned char **pages = to->pages;
	size_t cap = to->cap;

	*to = *from;
	to->pages = pages;
	to->cap = cap;
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
	attr_copy(&n->dur, &n->cur);
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
	attr_copy(&n->cur, &n->dur);
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
	pcs_now(&n->cur.mtime);
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
void pcs_gc(struct pc_node *n)
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
	pcs_now(&n->cur.ctime);
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
int pcs_sync_node(struct pc_node *n)
{
	struct pc_node *m;
	int err = data_commit(n);

	for (m = n; !err && m != pc.root && m->lcur.parent && !m->ldur.parent; m = m->lcur.parent)
		err = link_commit(m);
	return err;
}

int pcs_sync_dir(struct pc_node *d)
{
	struct pc_node *m;
	int err = pcs_sync_node(d);

	for (m = pc.nodes; m && !err; m = m->next)
		if (m->lcur.parent == d || m->ldur.parent == d)
			err = link_commit(m);
	return err;
}

int pcs_sync_all(void)
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
		if (snprintf(path, sizeof(path), "%s/%s", prefix, k->lcur.name) >=
		    (int)sizeof(path))
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
int pcs_cut(struct pc_paths *ps)
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

int pcs_resolve(const char *path, struct pc_node **out)
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

int pcs_stats(char *buf, size_t len)
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
			(unsigned long long)pc.st.lost_pages,
			(unsigned long long)pc.st.lost_entries,
			(unsigned long long)pc.st.lost_files);
}

/* A new file or directory named path; *out is NULL when the name exists (err is then -EEXIST). */
int pcs_create(const char *path, bool dir, mode_t mode, uid_t uid, gid_t gid, struct pc_node **out)
{
	struct pc_node *d, *n;
	const char *name;
	int err;

	*out = NULL;
	err = resolve_parent(path, &d, &name);
	if (err)
		return err;
	if (kid_find(d, name, strlen(name)))
		return -EEXIST;
	n = node_new(dir, mode, uid, gid);
	if (!n)
		return -ENOMEM;
	err = link_set(&n->lcur, d, name);
	if (err) {
		node_free(n);
		return err;
	}
	kid_add(d, n);
	pcs_now(&d->cur.mtime);
	d->cur.ctime = d->cur.mtime;
	*out = n;
	return 0;
}

int pcs_remove(const char *path, bool dir)
{
	struct pc_node *n;
	int err = pcs_resolve(path, &n);

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
		pcs_gc(n);
	}
	return err;
}

int pcs_rename(const char *from, const char *to, unsigned int flags)
{
	struct pc_node *s, *d, *t, *m;
	const char *name;
	int err;

	if (flags & ~(unsigned int)RENAME_NOREPLACE)
		return -EINVAL;
	err = pcs_resolve(from, &s);
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
	pcs_now(&d->cur.mtime);
	d->cur.ctime = s->cur.ctime = d->cur.mtime;
	if (t)
		pcs_gc(t);
	return err;
}

int pcs_init(uid_t uid, gid_t gid)
{
	pc.root = node_new(true, 0755, uid, gid);
	return pc.root ? 0 : -ENOMEM;
}

void pcs_fini(void)
{
	while (pc.nodes)
		node_free(pc.nodes);
	pc.root = NULL;
}

size_t pcs_pages(const struct pc_node *n)
{
	size_t i, pages = 0;

	for (i = 0; i < n->cur.cap; i++)
		pages += !!n->cur.pages[i];
	return pages;
}
