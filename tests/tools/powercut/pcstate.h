/* The powercut filesystem's two states (see pcstate.c); every call under pc.lock. */
#ifndef PCSTATE_H
#define PCSTATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define PC_PAGE 4096

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
	struct pc_node *kids;	     /* first child in the current state */
	struct pc_node *sib;	     /* next child of lcur.parent */
	struct pc_node *prev, *next; /* every node */
	unsigned int nopen;	     /* handles: the node outlives its names while open */
	int reach;		     /* cut: 0 unknown, 1 visiting, 2 reachable, 3 not */
};

struct pc_stats {
	uint64_t fsyncs, fdatasyncs, dirsyncs, cuts, writes, bytes_written, stale_ops;
	uint64_t lost_bytes, lost_pages, lost_entries, lost_files; /* at the last cut */
};

/* One lock for everything: a test tool, correctness over concurrency. */
struct pc_state {
	pthread_mutex_t lock;
	struct pc_node *root;
	struct pc_node *nodes;
	uint64_t next_ino;
	uint64_t gen; /* bumped by every cut: handles from an older one get EIO */
	struct pc_stats st;
};

extern struct pc_state pc;

/* Paths to invalidate in the kernel after a cut, collected under the lock (caller frees). */
struct pc_paths {
	char **v;
	size_t n, cap;
};

int pcs_init(uid_t uid, gid_t gid);
void pcs_fini(void);
void pcs_now(struct timespec *ts);

/* The current state, by path: 0 or -errno. */
int pcs_resolve(const char *path, struct pc_node **out);
int pcs_create(const char *path, bool dir, mode_t mode, uid_t uid, gid_t gid, struct pc_node **out);
int pcs_remove(const char *path, bool dir);
int pcs_rename(const char *from, const char *to, unsigned int flags);
/* Free n if no state names it and no handle holds it. */
void pcs_gc(struct pc_node *n);

/* A file's current contents: bytes done or -errno. */
int pcs_read(struct pc_node *n, char *buf, size_t len, off_t off);
int pcs_write(struct pc_node *n, const char *buf, size_t len, off_t off);
int pcs_truncate(struct pc_node *n, off_t size);
size_t pcs_pages(const struct pc_node *n);

/* What becomes durable (the rules: powercut.c) and the cut that keeps only that. */
int pcs_sync_node(struct pc_node *n);
int pcs_sync_dir(struct pc_node *d);
int pcs_sync_all(void);
int pcs_cut(struct pc_paths *ps);

/* The counters as "name value" lines; returns the length (snprintf). */
int pcs_stats(char *buf, size_t len);

#endif
