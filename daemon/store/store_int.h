/* SPDX-License-Identifier: MIT */
/*
 * store internals shared by store.c (open, migrations, close, move-aside), store_stage.c
 * (batches, the loop-thread side), store_thread.c (the writer thread: applies batches in SQL,
 * keeps message reference counts) and store_load.c (start-up streaming).
 */
#ifndef MQTTGW_STORE_INT_H
#define MQTTGW_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

enum store_op_kind {
	OP_MSG_ADD,
	OP_SESS_PUT,
	OP_SESS_DEL,
	OP_SUB_PUT,
	OP_SUB_DEL,
	OP_OUT_ADD,
	OP_OUT_SENT,
	OP_OUT_PUBREL,
	OP_OUT_DEL,
	OP_RX2_ADD,
	OP_RX2_DEL,
	OP_RET_SET,
	OP_RET_DEL,
	OP_BR_ADD,
	OP_BR_STATE,
	OP_BR_DEL,
};

/* One staged operation; strings and blobs live in the batch arena (offsets, as the arena
 * moves when it grows). */
struct store_op {
	uint8_t kind;
	uint8_t qos, retain, state, dup;
	uint8_t dead; /* cancelled by a later op of the same transaction (store_cancel.c) */
	uint8_t done; /* applied ahead of its turn, with a run of its kind (store_thread.c) */
	uint16_t pid, share;
	uint32_t sub_id;
	uint64_t sid; /* session id, or message id for OP_MSG_ADD */
	uint64_t seq;
	uint64_t msg; /* OP_OUT_DEL / OP_BR_DEL: the row's message as the caller knows it, 0: unknown */
	int64_t expiry;
	size_t s_off, b_off, p_off; /* key string, blob (payload / record), props */
	uint32_t s_len, b_len, p_len;
};

struct store_batch {
	uint64_t seq;
	int64_t t_us; /* handed over at (CLOCK_MONOTONIC): the writer lingers from there */
	struct store_op *ops;
	size_t n, cap;
	uint8_t *arena;
	size_t alen, acap;
	struct store_batch *next;
};

/* Message reference counts, kept by the writer thread (and by the load before it starts).
 * Ids only grow, so this is a sorted array: append on insert, binary search on change, holes
 * (refs 0, deleted) squeezed out after a commit once they are half of it. Changes made inside a
 * transaction are undone if it rolls back. */
struct store_refs {
	uint64_t *ids;
	uint32_t *refs;
	size_t n, cap, live;
	size_t hint; /* the last index the writer found: a drain's ids come in order */
	/* transaction state */
	size_t txn_n, txn_live;
	struct {
		size_t i;
		uint32_t old;
	} * undo;
	size_t undo_n, undo_cap;
	uint64_t *zero; /* ids whose count reached 0 in this transaction: deleted at its end */
	size_t zero_n, zero_cap;
};

/* A delete of one entry row in a transaction (store_cancel.c): by seq, then order. */
struct store_cancel_del {
	uint64_t seq;
	size_t ord; /* position among the transaction's ops */
	const struct store_op *op;
	const struct store_batch *b;
};

/* store_cancel.c's scratch arrays, kept between commits. */
struct store_cancel {
	uint8_t *seq_state; /* per entry seq added in the transaction */
	uint32_t *msg_refs; /* per message id added in it: live references */
	size_t seq_cap, msg_cap;
	struct store_cancel_del *dels;
	size_t dels_cap;
};

enum store_stmt_id {
	ST_MSG_INS,
	ST_MSG_DEL,
	ST_MSG_RANGE_DEL,
	ST_SESS_PUT,
	ST_SESS_DEL,
	ST_SESS_OUT_GET,
	ST_SESS_OUT_DEL,
	ST_SESS_SUB_DEL,
	ST_SESS_RX2_DEL,
	ST_SUB_PUT,
	ST_SUB_DEL,
	ST_OUT_INS,
	ST_OUT_SENT,
	ST_OUT_GET,
	ST_OUT_PUBREL,
	ST_OUT_DEL,
	ST_OUT_DEL_MSG,
	ST_OUT_RANGE_GET,
	ST_OUT_RANGE_DEL,
	ST_RX2_ADD,
	ST_RX2_DEL,
	ST_RET_GET,
	ST_RET_PUT,
	ST_RET_DEL,
	ST_BR_INS,
	ST_BR_STATE,
	ST_BR_RANGE_STATE,
	ST_BR_GET,
	ST_BR_DEL,
	ST_BR_DEL_MSG,
	ST_BR_RANGE_GET,
	ST_BR_RANGE_DEL,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT,
};

struct store {
	sqlite3 *db;
	char *path; /* dir/file */
	enum store_sync sync;
	sqlite3_stmt *stmt[ST_COUNT];

	/* loop-thread side */
	struct store_batch *cur; /* open batch, or NULL */
	struct store_batch *reuse; /* taken from spare: emptied batches that keep their buffers */
	uint64_t next_msg, next_sid, next_seq, last_batch;
	bool loaded;

	/* shared with the thread, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store_batch *pend, **pend_tail;
	struct store_batch *spare; /* written batches handed back for reuse (STORE_SPARE at most) */
	unsigned spare_n;
	struct store_fetch *fetch_pend, **fetch_tail; /* asked (store_fetch.c) */
	struct store_fetch *fetched, **fetched_tail;  /* answered */
	_Atomic bool fetch_asked; /* fetch_pend is not empty: read by the writer mid-commit */
	bool stop;
	struct store_stats stats;
	bool thread_on;
	pthread_t thread;
	int efd;
	bool lingering; /* the thread waits for a batch to age (store_thread.c): no signal needed */
	int64_t linger_us;     /* STORE_LINGER_US (tests set another) */
	_Atomic uint64_t want; /* highest batch seq something waits on: never lingered on */
	_Atomic uint64_t durable;
	_Atomic bool writable;

	/* writer-thread side */
	struct store_refs rc;
	struct store_cancel cancel;
	uint64_t skipped; /* ops naming a message that is not stored */
};

/*
 * Linger (the writer's side of group commit). A batch nothing waits on (no store_want(): only
 * writes whose acks go by another way, the QoS 1 message an online persistent subscriber is
 * about to acknowledge) is committed STORE_LINGER_US after it was handed over, or with a later
 * batch something waits on, whichever comes first: by then its entries' deletions have usually
 * come and store_cancel() drops the pair, so nothing is written or fsynced for them.
 */
#define STORE_LINGER_US 1000 /* ~10 subscriber round trips on an idle 2-core gateway */

/* Written batches go back to the loop, which stages into their warm buffers (no malloc, no
 * page faults per iteration): this many at most, none larger than this (4 MB kept at most). */
#define STORE_SPARE	      32
#define STORE_SPARE_MAX_BYTES (64u << 10)

/* store_thread.c */
int64_t store_now_us(void);
int store_thread_start(struct store *st);
void store_thread_stop(struct store *st);
int store_stmts_prepare(struct store *st);
void store_stmts_finalize(struct store *st);
void store_batch_free(struct store_batch *b);
/* Hand written batches back for reuse (the thread; called with mu held). */
void store_batch_recycle(struct store *st, struct store_batch *list);
/* Run one SQL statement by id with nothing bound, reset it. SQLite result code. */
int store_stmt_run(struct store *st, enum store_stmt_id id);
/* Delete message id now (inside the caller's transaction). SQLite result code. */
int store_msg_delete(struct store *st, uint64_t id);
/* Stat the database and WAL files (bytes). */
uint64_t store_file_bytes(const struct store *st);

/* store_cancel.c: mark the ops of list that cancel out (op.dead): entries added and deleted in
 * it, state changes of entries deleted later in it; returns how many messages are not written
 * because of it. Never fails: without memory nothing is cancelled. */
size_t store_cancel(struct store_cancel *c, struct store_batch *list);
void store_cancel_free(struct store_cancel *c);

/* store_fetch.c: answer the pending fetches (thread side; called and returns with mu held). */
void store_fetch_serve(struct store *st);
/* The writer in the middle of a transaction (mu not held): answer the pending fetches whose rows
 * are all committed, in the order asked, so a read-back never waits for a commit's writes. */
void store_fetch_serve_mid(struct store *st);

/* store_refs.c */
int store_refs_append(struct store_refs *r, uint64_t id);
/* Index of x in the ascending array v[n], or -1. */
long store_u64_find(const uint64_t *v, size_t n, uint64_t x);
/* Index of id or -1. */
long store_refs_find(const struct store_refs *r, uint64_t id);
/* The same for the writer: ids drained in order are found at the last index found or the
 * next one, without a binary search over every stored message. */
long store_refs_find_near(struct store_refs *r, uint64_t id);
void store_refs_squeeze(struct store_refs *r);
void store_refs_free(struct store_refs *r);
void store_refs_txn_begin(struct store_refs *r);
void store_refs_txn_rollback(struct store_refs *r);
/* Change the count of message id by delta (+1 / -1). -ENOENT when the message is not stored
 * (or already went: a caller bug, the op is skipped), -ENOMEM. */
int store_refs_change(struct store_refs *r, uint64_t id, int delta);
/* id's count is 0 in this transaction: deleted at its end unless something refers to it by
 * then (store_thread.c). 0 or -ENOMEM. */
int store_refs_zero_push(struct store_refs *r, uint64_t id);

#endif /* MQTTGW_STORE_INT_H */
