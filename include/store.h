/* SPDX-License-Identifier: MIT */
/*
 * store: the durable store (L1 adapter; owns one SQLite database in WAL mode and the thread that
 * writes it). Everything that must outlive the process: messages (stored once, counted by what
 * refers to them), sessions with their wills, subscriptions, per-session outgoing entries (queued
 * and in flight, in order), incoming QoS 2 packet ids awaiting PUBREL, retained messages and
 * bridge outbound queues. The broker never sees SQL.
 *
 * Threading. Every function here is called from the event loop's thread only. Staging functions
 * (store_*_put/add/del/set) copy what they need into the open batch, in memory, and never block
 * or fail except on ENOMEM; ids (messages, sessions, entry seqs) are allocated at staging time so
 * the broker can keep them at once. store_commit() hands the batch to the store thread (one
 * mutex, no I/O) and returns its sequence number. The thread writes each batch in ONE
 * transaction; batches that queued up while it was busy are merged into one transaction (group
 * commit: one fsync for all of them); a batch nothing waits on may wait a little for the next
 * ones (store_batch_peek(), store_want()). When batches are durable it raises
 * store_durable_seq() and makes store_event_fd() readable. Batches are durable strictly in
 * order.
 *
 * Durability (PRAGMA synchronous; the database is always in WAL mode):
 *   STORE_SYNC_FULL   - each commit fsyncs the WAL before it is reported durable: a durable batch
 *                       survives a process crash, a kernel panic and a power cut (as far as the
 *                       disk honours flushes).
 *   STORE_SYNC_NORMAL - the WAL is written (write(2)) at commit and fsynced only at checkpoints:
 *                       a durable batch survives a crash or SIGKILL of the process, not a power
 *                       cut or kernel crash, after which the last batches before the last
 *                       checkpoint may be missing (the database itself stays consistent).
 *
 * Failure. A commit that fails (disk full, EIO, ...) is rolled back and the batches are kept and
 * retried, in order, with a back-off (10 ms doubling to 1 s) and merged with later batches;
 * meanwhile store_writable() is false and the stats carry the error. When a retry succeeds the
 * store is writable again by itself. Nothing is reported durable out of order.
 *
 * Wiring plan (for the broker; the store keeps nothing the broker must look up by pointer):
 *  - config: `persistence true`, `persistence_location` (dir), `persistence_file` (default
 *    mqttgw.db), `persistence_sync full|normal`; autosave_* keys accepted and ignored (every
 *    change is written as it happens). main.c: store_open() + store_load() before listeners
 *    open, log the msg/line it returns; store_close() after the loop ends (it flushes).
 *  - struct msg gets `uint64_t store_id` (0: not stored) and `uint32_t store_refs` (durable
 *    references staged). A message is staged (store_msg_add) the first time something durable
 *    refers to it; later references reuse the id; when store_refs drops to 0 the store deletes
 *    the row at the end of that batch, so the broker sets store_id = 0 then (a reference staged
 *    to a deleted id is dropped and counted, never written as a dangling row).
 *  - struct session gets `uint64_t store_id`; session_queued and qos_entry get `uint64_t
 *    store_seq` (from store_out_add). Only sessions that outlive their connection (expiry
 *    interval > 0, not clean) are stored; QoS 0 never is.
 *  - PUBLISH QoS 1/2 in: stage msg/out entries/retain/bridge entries while matching, then remember
 *    (client, packet id, ack type) in a list keyed by the seq store_commit() will return (the
 *    broker calls store_commit() once per loop iteration, after processing events). When
 *    store_event_fd() is readable: seq = store_dispatch(); send the PUBACK/PUBREC of every entry
 *    with batch seq <= seq. A PUBLISH that needs no durable write is acked as today. When
 *    !store_writable(): refuse new QoS 1/2 (v5: PUBACK/PUBREC 0x97; v3: disconnect, no ack).
 *  - Outgoing: queue push -> store_out_add; sent to the peer -> store_out_sent(pid, dup);
 *    PUBREC received -> store_out_pubrel; PUBACK/PUBCOMP, expiry or drop -> store_out_del.
 *    Incoming QoS 2: PUBREC sent -> store_rx2_add; PUBREL -> store_rx2_del.
 *  - Subscriptions: store_sub_put/store_sub_del; session end -> store_session_del (drops all).
 *    Connect / disconnect / will changes -> store_session_put (disconnect_ms = wall clock).
 *  - Start-up: store_load() streams sessions, subscriptions, then the entries; msg() returns
 *    the broker's msg for a stored message id (one per id, shared by every entry that refers to
 *    it; built only for entries kept in memory: not for the stored-only tail of a bridge or
 *    session queue) and
 *    release() drops the load's reference afterwards. Times are wall clock ms;
 *    the broker converts to loop time, fires wills whose delay passed, expires what has expired
 *    (and stages the deletions), and sets DUP on every entry in state SENT before resending.
 *  - $SYS/broker/store/...: store_stats().
 */
#ifndef MQTTGW_STORE_H
#define MQTTGW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_record.h"

#define STORE_DEFAULT_FILE   "mqttgw.db"
#define STORE_SCHEMA_VERSION 2

struct store;

enum store_sync {
	STORE_SYNC_FULL = 0,
	STORE_SYNC_NORMAL,
};

struct store_opts {
	const char *dir;  /* persistence_location; must exist */
	const char *file; /* persistence_file; NULL: STORE_DEFAULT_FILE */
	enum store_sync sync;
};

/* State of an outgoing session entry. */
enum store_out_state {
	STORE_OUT_QUEUED = 0, /* not sent yet */
	STORE_OUT_SENT,	      /* PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2) */
	STORE_OUT_PUBREL,     /* PUBREC received, PUBREL sent, waiting for PUBCOMP; no message */
};

/* A stored message (borrowed views, valid during the callback). */
struct store_msg {
	uint64_t id;
	const char *topic;
	const uint8_t *props; /* forwardable MQTT 5 properties as encoded, or NULL */
	const uint8_t *payload;
	int64_t expiry_ms; /* wall clock ms after which it is dropped; 0: never */
	uint32_t props_len, payload_len;
	uint16_t topic_len;
	uint8_t qos, retain;
};

/* The publisher of a retained message (check_retain_source): borrowed views; id NULL: unknown
 * (an entry written before schema v2). */
struct store_source {
	const char *id, *username; /* username NULL: none */
	uint16_t id_len, username_len;
	uint16_t listener; /* index of the listener whose ACL applied */
};

struct store_out {
	uint64_t seq; /* order within the session (store-wide increasing) */
	void *msg;    /* the handle msg() returned; NULL in state PUBREL */
	uint64_t msg_id;
	uint32_t sub_id;
	uint32_t payload_len; /* its message's payload bytes (known without building it) */
	uint16_t pid;	      /* packet id (SENT, PUBREL) */
	uint16_t share;	      /* session.h shared-subscription tag */
	uint8_t qos, retain, state, dup;
};

struct store_bridge_entry {
	const char *bridge; /* bridge name, not NUL-terminated */
	uint64_t seq;	    /* order within the bridge queue */
	void *msg;
	uint64_t msg_id;
	uint16_t bridge_len;
	uint8_t qos, state; /* state: the bridge's own (e.g. queued / sent, pid-less) */
};

/*
 * Load callbacks, in this order: every session, every subscription, then the outgoing entries
 * (per session in seq order), incoming QoS 2 ids, retained entries and bridge entries, each
 * carrying the handle of its message. msg builds that handle (e.g. a struct msg with one
 * reference; NULL fails the load with -ENOMEM) once per stored message, when the first entry
 * that needs it comes: retained entries and outgoing entries in state SENT always do; a queued
 * outgoing entry (state QUEUED) or a bridge entry comes with msg NULL when it is not built yet,
 * and out() / bridge() returns STORE_LOAD_WANT_MSG to be called again with it, or 0 when it
 * keeps the entry in the store only (read back later with store_session_fetch() /
 * store_bridge_fetch(); a message that only such entries refer to is never built). Finally
 * release() once per handle (the load's reference; entries take their own). A callback returning
 * another non-zero value stops the load with that value. Any callback may be NULL (those records
 * are skipped; msg NULL means handles are NULL).
 */
#define STORE_LOAD_WANT_MSG 1
struct store_load_cb {
	int (*session)(void *ctx, const struct store_session *s);
	int (*sub)(void *ctx, uint64_t sid, const char *filter, uint16_t len, uint8_t opts,
		   uint32_t sub_id);
	void *(*msg)(void *ctx, const struct store_msg *m);
	int (*out)(void *ctx, uint64_t sid, const struct store_out *e);
	int (*rx2)(void *ctx, uint64_t sid, uint16_t pid);
	int (*retained)(void *ctx, const char *topic, uint16_t len, void *msg, uint64_t msg_id,
			const struct store_source *src);
	int (*bridge)(void *ctx, const struct store_bridge_entry *e);
	void (*release)(void *ctx, void *msg);
};

struct store_load_result {
	uint64_t sessions, subs, out, rx2, retained, bridge;
	uint64_t messages; /* messages built (handed to cb->msg) */
	uint64_t skipped; /* malformed rows or entries naming a missing message/session: dropped */
	uint64_t orphans; /* messages nothing referred to: deleted */
	uint64_t ms;	  /* time taken */
};

#define STORE_HIST_BUCKETS 8 /* commit latency: <1, <2, <5, <10, <20, <50, <100 ms, more */
/* the upper bounds (ms) of all buckets but the last, for readers (/metrics) */
#define STORE_HIST_BOUNDS_MS {1, 2, 5, 10, 20, 50, 100}

struct store_stats {
	uint64_t db_bytes; /* database + WAL file sizes after the last commit */
	uint64_t messages; /* stored messages */
	uint64_t commits;  /* transactions committed */
	uint64_t batches;  /* batches made durable (>= commits: group commit) */
	uint64_t failures; /* commits that failed (each retried) */
	uint64_t cancelled; /* messages never written: every reference went before their commit */
	uint64_t last_commit_us, max_commit_us;
	uint64_t hist[STORE_HIST_BUCKETS];
	uint64_t commit_us_sum; /* of every commit (the histogram's sum) */
	uint64_t durable_seq, committed_seq; /* last durable batch, last handed to the thread */
	bool writable;
	int last_error; /* SQLite result code of the last failure, 0: none yet */
	char last_error_msg[128];
};

/*
 * Open (creating if needed) dir/file, migrate an older schema, start the store thread after
 * store_load(). A database that cannot be read (not a database, corrupt, newer schema) is renamed
 * to <file>.corrupt-YYYYMMDDTHHMMSS (its -wal likewise) and an empty store is created: msg then
 * says so in one line for the caller to log (msg is "" otherwise). NULL with errno set and msg
 * filled when the directory cannot be written or the database cannot be created.
 */
struct store *store_open(const struct store_opts *o, char *msg, size_t msglen);
/* 0 when a file can be created in dir (what store_open() checks first), else -errno: for a
 * start that checks the location before it listens and opens the store after. */
int store_check_dir(const char *dir);
/* Stream the stored state (see struct store_load_cb); call once, after store_open and before
 * anything is staged. Starts the store thread. 0, the callback's value, or -errno. */
int store_load(struct store *st, const struct store_load_cb *cb, void *ctx,
	       struct store_load_result *res);
/* Commit what is staged, wait for every batch to be written (a failing store gets a few more
 * tries, then what is not durable is lost: nothing of it was acknowledged), stop the thread,
 * close. NULL is a no-op. */
void store_close(struct store *st);

/* ---- staging (in memory; -ENOMEM is the only failure) ---- */
/* A message; returns its id (0 on ENOMEM). It lives while entries refer to it: if nothing does
 * at the end of its batch, it is not kept. */
uint64_t store_msg_add(struct store *st, const struct store_msg *m);
/* Insert or replace a session (its record, not its entries). s->id 0: a new id is assigned. */
int store_session_put(struct store *st, struct store_session *s);
/* Delete a session with its subscriptions, entries and QoS 2 ids. */
int store_session_del(struct store *st, uint64_t sid);
int store_sub_put(struct store *st, uint64_t sid, const char *filter, uint16_t len, uint8_t opts,
		  uint32_t sub_id);
int store_sub_del(struct store *st, uint64_t sid, const char *filter, uint16_t len);
/* Append an outgoing entry (state QUEUED) referring to msg_id; returns its seq, 0 on ENOMEM. */
uint64_t store_out_add(struct store *st, uint64_t sid, uint64_t msg_id, uint8_t qos, uint8_t retain,
		       uint32_t sub_id, uint16_t share);
int store_out_sent(struct store *st, uint64_t sid, uint64_t seq, uint16_t pid, bool dup);
/* PUBREC received: the entry keeps only its packet id and lets go of its message. */
int store_out_pubrel(struct store *st, uint64_t sid, uint64_t seq, uint16_t pid);
int store_out_del(struct store *st, uint64_t sid, uint64_t seq);
/* The same when the caller knows the entry's message (msg_id, 0: not known): the writer then
 * need not read the row for it. A row that names another message or none (PUBREL) is read and
 * deleted as by store_out_del, so a wrong id costs work, never a reference. */
int store_out_del_msg(struct store *st, uint64_t sid, uint64_t seq, uint64_t msg_id);
int store_rx2_add(struct store *st, uint64_t sid, uint16_t pid);
int store_rx2_del(struct store *st, uint64_t sid, uint16_t pid);
/* Retained message for topic (replacing any) and its publisher (src NULL: unknown), or delete
 * it. */
int store_retain_set(struct store *st, const char *topic, uint16_t len, uint64_t msg_id,
		     const struct store_source *src);
int store_retain_del(struct store *st, const char *topic, uint16_t len);
/* Bridge outbound queue: append (returns seq, 0 on ENOMEM), change state, remove. */
uint64_t store_bridge_add(struct store *st, const char *bridge, uint16_t len, uint64_t msg_id,
			  uint8_t qos);
int store_bridge_state(struct store *st, const char *bridge, uint16_t len, uint64_t seq,
		       uint8_t state);
int store_bridge_del(struct store *st, const char *bridge, uint16_t len, uint64_t seq);
/* Remove, knowing the entry's message (as store_out_del_msg). */
int store_bridge_del_msg(struct store *st, const char *bridge, uint16_t len, uint64_t seq,
			 uint64_t msg_id);

/*
 * Reading a bridge queue back (a bridge keeps only the head of a long queue in memory): ask the
 * store thread for up to max entries of `bridge` with after < seq <= upto, in seq order, each
 * with its message. `batch` is the store batch (store_batch_next) of the newest entry the
 * fetch may return (0: all durable already): once it is durable, the thread answers even in the
 * middle of a commit (every row the fetch reads is committed; rows of the open transaction are
 * above upto), otherwise before its next commit. It makes store_event_fd() readable;
 * store_fetch_take() returns answers in the order asked. Rows of batches not yet written are not
 * there yet: an answer is a prefix of what was staged. `durable` in the answer is the durable
 * batch seq when it was read: an empty answer with durable >= batch means the rows are not in
 * the store. 0 or -ENOMEM.
 */
struct store_fetch_row {
	struct store_bridge_entry e; /* e.msg is NULL */
	struct store_msg m;	     /* views into the answer, valid until store_fetch_free */
	/* a session's entry (store_session_fetch): its subscription id, share tag, retain flag */
	uint32_t sub_id;
	uint16_t share;
	uint8_t retain;
};

struct store_fetch {
	struct store_fetch *next;
	uint64_t sid;	    /* a session's queue (store_session_fetch), 0: a bridge's */
	const char *bridge; /* the bridge's name; for a session, the key the caller gave */
	uint16_t bridge_len;
	uint64_t after, upto, batch;
	uint32_t max;
	/* the answer */
	int err; /* 0, or -EIO / -ENOMEM (then n is 0) */
	uint32_t n;
	uint64_t durable;
	struct store_fetch_row *rows;
	uint8_t *arena;
	size_t alen;
};

int store_bridge_fetch(struct store *st, const char *bridge, uint16_t len, uint64_t after,
		       uint64_t upto, uint64_t batch, uint32_t max);
/* The same for a session's queue (sid): up to max outgoing entries in state QUEUED with seq >
 * after, in seq order (a session keeps only the head of a long offline queue in memory).
 * key/len is copied into the answer's `bridge` for the caller to find the session again (its
 * client id). Served between commits only. 0 or -ENOMEM. */
int store_session_fetch(struct store *st, uint64_t sid, const char *key, uint16_t len,
			uint64_t after, uint32_t max);
/* The oldest answered fetch (the caller frees it), or NULL. */
struct store_fetch *store_fetch_take(struct store *st);
void store_fetch_free(struct store_fetch *f);

/* ---- commit and completion ---- */
/* Hand everything staged since the last commit to the store thread; returns the batch's seq
 * (> 0). With nothing staged, returns the last seq handed over (nothing new to wait for). */
uint64_t store_commit(struct store *st);
/* The seq store_commit() will return for what is staged now (last handed over + 1): what is
 * staged now is durable once store_durable_seq() reaches it (the bridge sends an entry only
 * then). The caller waits on it: store_want() of that seq. */
uint64_t store_batch_next(struct store *st);
/* The same seq, for a waiter that something else may release first (a QoS 1 PUBACK whose
 * recipients acknowledge the message): the thread may linger on that batch (up to
 * STORE_LINGER_US, store_int.h) so that writes undone meanwhile are never made. */
uint64_t store_batch_peek(const struct store *st);
/* Something waits for batch seq (handed over or not) to be durable: the thread commits it
 * without lingering. */
void store_want(struct store *st, uint64_t seq);
/* Highest batch seq that is durable (every batch <= it is). */
uint64_t store_durable_seq(const struct store *st);
/* Readable (eventfd, non-blocking) when store_durable_seq() moved; add it to the loop. */
int store_event_fd(const struct store *st);
/* Clear the event fd and return store_durable_seq(). */
uint64_t store_dispatch(struct store *st);
/* False while commits fail (the broker refuses new QoS 1/2 then). */
bool store_writable(const struct store *st);
void store_stats(const struct store *st, struct store_stats *out);

#endif /* MQTTGW_STORE_H */
