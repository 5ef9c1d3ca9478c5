/* SPDX-License-Identifier: MIT */
/*
 * session: client-id -> session state (L0). A session outlives its connections when it is
 * persistent: subscriptions, QoS 1/2 in flight (struct qos_window), messages queued while
 * offline or beyond the in-flight window, and expiry. The broker drives it; durable storage
 * (store) will persist exactly these fields.
 */
#ifndef MQTTGW_SESSION_H
#define MQTTGW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qos.h"

#define SESSION_EXPIRY_NEVER UINT32_MAX

struct msg;

/* A stored session's queue tail that lives in the durable store only (see broker_spill.c):
 * every entry of it comes after every entry in q. */
struct session_spill {
	uint64_t after; /* the store seq after which the tail starts */
	uint64_t batch; /* store batch of the last entry spilled (durable: a fetch sees it) */
	uint64_t bytes; /* payload bytes of the tail (max_queued_bytes) */
	uint32_t n;	/* entries in the tail */
	bool fetching;	/* a read-back is asked */
	bool waiting;	/* a read-back found nothing yet: asks again when a batch is durable */
};

struct session_sub {
	char *filter; /* NUL-terminated copy */
	uint16_t len;
	uint8_t opts; /* topic.h TOPIC_OPT_* */
	uint32_t sub_id;
};

struct session_queued {
	struct msg *msg;
	uint8_t qos;
	uint8_t retain;
	uint16_t share; /* shared subscription it came through + 1, 0: none (see below) */
	uint32_t sub_id;
	uint64_t store_seq; /* the store's entry (store_out_add), 0: not stored */
};

/* Messages queued for a session (offline, or beyond its in-flight window) and their counts, in
 * one allocation made at the first queued message: a session that never queues holds only the
 * pointer (RSS per idle connection, README "Footprint"). */
struct session_ring {
	uint64_t bytes;		   /* msg_size() of the queued messages */
	uint32_t head, count, cap; /* cap a power of two */
	struct session_queued e[];
};

struct session {
	/* Fields by size, so that the struct has no holes, and the client id at the end of the
	 * same allocation, sized to it: every connection has a session (RSS per connection is a
	 * benchmark figure, README "Footprint"). */
	struct session *hnext;
	void *client;	   /* the connected client, NULL while offline */
	struct session_sub *subs;
	struct qos_window qos;	/* a pointer: its state is made at the first QoS 1/2 message */
	struct session_ring *q; /* NULL: nothing queued (yet) */
	uint64_t match_gen; /* broker scratch: de-duplicates overlapping matches */
	uint64_t dropped;   /* messages dropped for this session (queue limits) */
	void *owner_data;   /* the broker's per-session extra (offline expiry timer), or NULL */
	int64_t bp_since;   /* broker: since when this session's full queue holds publishers back */
	char *username;	    /* of its last connection (ACL checks while offline), or NULL */
	/* queued entries beyond q kept in the store only (broker_spill.c; freed with it), or NULL
	 */
	struct session_spill *spill;
	uint64_t store_id;  /* the durable store's id, 0: not stored (broker_store.c) */
	uint32_t expiry_interval; /* seconds after disconnect; 0 = ends with the connection */
	/* subs has room for max(2, n_subs rounded up to a power of two): no capacity field
	 * (session_sub_set) */
	uint32_t n_subs;
	uint32_t match_idx;
	uint16_t auth_idx; /* listener whose password/ACL files apply */
	bool clean;	   /* v3 clean session / v5 clean start of the current connection */
	uint8_t proto;	   /* protocol level of its last connection (3, 4, 5) */
	/* NUL-terminated, in the session's allocation (no pointer to it, no length: MQTT
	 * strings hold no U+0000 [MQTT-1.5.4-2], so strlen() is its length) */
	char client_id[];
};

static inline uint32_t session_queue_count(const struct session *s)
{
	return s->q ? s->q->count : 0;
}
static inline uint64_t session_queue_bytes(const struct session *s)
{
	return s->q ? s->q->bytes : 0;
}
/* The k-th queued message from the oldest, k < session_queue_count(s). */
static inline struct session_queued *session_queue_at(struct session *s, uint32_t k)
{
	return &s->q->e[(s->q->head + k) & (s->q->cap - 1)];
}

struct session_table {
	struct session **b;
	uint32_t nb; /* buckets, power of two */
	uint32_t n;
	uint64_t seed; /* of the client-id hash (hash.h) */
};

/* Also seeds the client-id hash (from the table's address, as topic_tree_new does). */
int session_table_init(struct session_table *t);
/* Frees every session. */
void session_table_fini(struct session_table *t);
struct session *session_find(struct session_table *t, const char *id, size_t len);
/* Create and insert an empty session (the id must not exist). NULL on ENOMEM. */
struct session *session_create(struct session_table *t, const char *id, size_t len);
/* Remove from the table and free (releases all queued/in-flight messages). */
void session_destroy(struct session_table *t, struct session *s);
/* Visit every session; fn may not destroy sessions other than the one it is given. */
void session_foreach(struct session_table *t, void (*fn)(void *ctx, struct session *s),
		     void *ctx);

/* Subscriptions kept by the session (the trie holds the same set). 0 new, 1 replaced,
 * -ENOMEM. */
int session_sub_set(struct session *s, const char *filter, size_t len, uint8_t opts,
		    uint32_t sub_id);
/* 0 removed, -ENOENT. */
int session_sub_del(struct session *s, const char *filter, size_t len);

/*
 * Shared-subscription tags (MQTT 5 4.8.2): a queued or in-flight message that came through one
 * of the session's shared subscriptions carries `share` = that subscription's index in subs
 * + 1 (0: not shared, or more than 65535 subscriptions), so that when the session ends it can
 * go to another member of the group. The tag sits in padding of struct session_queued and
 * struct qos_entry: it costs no memory. session_sub_del() keeps tags right: messages of the
 * deleted subscription lose theirs (they stay with this session), later indexes move down.
 */
/* The tag for filter (one of s's subscriptions), 0 if s has no such subscription. */
uint16_t session_share_tag(const struct session *s, const char *filter, size_t len);
/* The subscription a tag names, NULL for 0 or a stale tag. */
const struct session_sub *session_share_sub(const struct session *s, uint16_t tag);

/* Queue a message (takes a new reference). -ENOBUFS when max_msgs (0 = no limit) or max_bytes
 * (0 = no limit) would be exceeded; -ENOMEM. */
int session_queue_push(struct session *s, struct msg *m, uint8_t qos, uint8_t retain,
		       uint32_t sub_id, uint32_t max_msgs, uint64_t max_bytes);
/* Take the oldest queued message (the caller owns the reference). false when empty. */
bool session_queue_pop(struct session *s, struct session_queued *out);
/* The entry the last successful session_queue_push() made (to tag it; valid until the queue
 * changes), or NULL when empty. */
struct session_queued *session_queue_last(struct session *s);
/* Drop every queued message. */
void session_queue_clear(struct session *s);

#endif /* MQTTGW_SESSION_H */
