/* SPDX-License-Identifier: MIT */
/*
 * broker_store: the broker's side of the durable store (store.h), seen from the data plane. It
 * sits just above the floor (broker_client): the delivery, session and packet-handler files call
 * it with one-line hooks; it calls only the store and the floor. Every hook is a no-op while
 * persistence is off (b->store NULL) and for sessions that are not stored (s->store_id 0: a
 * session that ends with its connection, 3.1.1 CleanSession=1, 5.0 Session Expiry 0).
 *
 * Messages are stored once: msg.store_id is the store's id, msg.store_refs the durable
 * references staged to it (entries of stored sessions, the retained row). When they drop to 0
 * the store deletes the row at the end of that batch, so the id is forgotten then and a later
 * reference stages the message again under a new id.
 *
 * Acknowledgements (the rule: acknowledged means durable). A PUBACK/PUBREC/PUBCOMP whose packet
 * staged something durable waits in a FIFO keyed by the batch that holds it; broker.c's
 * before-wait hook commits once per loop iteration (group commit) and the store's event fd
 * releases the acks of every durable batch. The order kept is each session's own (MQTT's rule:
 * acks in the order of the client's packets, [MQTT-4.6.0-2]; and a reconnected client's resent
 * QoS 2 PUBLISH or PUBREL stages nothing new, so its PUBREC/PUBCOMP must wait for what the
 * previous connection's packet staged): a session's later acks (durable or not) queue behind its
 * waiting one, while another session's ack that waits for nothing goes at the end of the
 * iteration instead of behind a stranger's fsync.
 *
 * A QoS 1 PUBACK may go before its batch is durable when the message no longer needs to be
 * held: every durable reference to it is gone (msg.store_refs 0: each stored session it was
 * queued for acknowledged it, or dropped it) and the PUBLISH staged nothing else that must
 * last (broker_store_pin: a bridge entry spilled to the store, which msg.store_refs does not
 * count, or the deletion of a retained message). A crash then loses nothing the publisher was
 * told is safe: its recipients have it. So an online persistent subscriber that acknowledges
 * within the commit's fsync takes the fsync out of the publisher's round trip, and the store
 * thread cancels the message's writes (store_cancel.c).
 *
 * Outgoing QoS 2 (the same rule, the other way): what changes the subscriber's QoS 2 state
 * (a PUBLISH sent with its packet id, a PUBREL) must not reach it before the store records it,
 * or a restart resends a completed message (delivered twice) or reuses an id the subscriber
 * still holds (the new message is discarded as a duplicate). Staging such a change for a
 * stored session holds its client's output (c->store_hold, the conn's write gate) until that
 * batch is durable; the store's event fd then flushes it. QoS 1 needs no hold: the subscriber
 * keeps no state per id, so a resend (even under another id) is a duplicate QoS 1 allows.
 */
#ifndef MQTTGW_BROKER_STORE_H
#define MQTTGW_BROKER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "broker_client.h"
#include "store.h"

struct broker_ack {
	struct client *c; /* NULL: the client closed, nothing to send */
	/* whose order it keeps: the client's session (a reconnected client's resends are
	 * acknowledged behind what its previous connection's packets still wait for); compared,
	 * never dereferenced (a reused address only delays an ack) */
	const void *owner;
	struct msg *m;	  /* a QoS 1 PUBACK's message (a reference): it goes once m->store_refs
			   * is 0, durable or not; NULL: waits for seq */
	uint64_t seq;	  /* batch that must be durable first; 0: nothing staged */
	uint16_t pid;
	uint8_t type, reason;
};

/* The broker's store state (b->store), NULL when persistence is off. */
struct broker_store {
	struct store *st;
	struct loop_io io;	 /* the store's event fd */
	uint64_t staged;	 /* durable writes staged so far (a publish compares marks) */
	struct broker_ack *acks; /* FIFO ring, cap a power of two */
	uint32_t a_head, a_count, a_cap;
	/* acks taken from behind a waiting one, being sent (acks_release); a client that closes
	 * meanwhile has its entries' c cleared here too */
	struct broker_ack *tx;
	uint32_t tx_i, tx_n, tx_cap;
	struct client *held; /* clients whose output is held (c->store_hold) */
	uint64_t committed;  /* staged as of the last commit: equal, nothing staged since */
	uint64_t pinned;     /* staged as of the last write msg.store_refs does not count */
	bool down;	     /* not writable: logged once, QoS 1/2 refused */
	/* broker_spill.c: messages staged for entries in the store only keep their id until
	 * the commit (one copy stored for a fan-out); a session waits for a durable batch */
	struct msg **pins;
	uint32_t n_pins, pins_cap;
	bool spill_waiting;
};

/* Hand the broker the store (opened and not loaded yet): registers its event fd. 0, -errno. */
int broker_store_init(struct broker *b, struct store *st);
/* Commit what this iteration staged (the before-wait hook), log a change of writability. */
void broker_store_commit(struct broker *b);
/* Drop the waiting acks, leave the loop (the store itself is main.c's). */
void broker_store_fini(struct broker *b);

/* ---- acknowledgements ---- */
/* Count of durable writes staged so far: take it before handling a packet. */
static inline uint64_t broker_store_mark(const struct broker *b)
{
	return b->store ? b->store->staged : 0;
}
/* Send an ack now, or after the batch holding what the packet staged since mark is durable
 * (or, behind other acks waiting, at the latest when its session's earlier ones went).
 * 0 or -ENOMEM (the client is closed then). */
int broker_store_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason, uint64_t mark);
/* The QoS 1 PUBACK of a PUBLISH whose message is m (NULL: none made): as broker_store_ack,
 * but sent as soon as m needs no holding (see the top), even before its batch is durable. */
int broker_store_puback(struct client *c, uint16_t pid, uint8_t reason, uint64_t mark,
			struct msg *m);
/* The write just staged (counted in staged) must be durable before the PUBACK and no
 * msg.store_refs reference stands for it (a spilled bridge entry, a retained message's
 * deletion): the PUBACK waits for its batch. */
static inline void broker_store_pin(struct broker_store *bs)
{
	bs->pinned = bs->staged;
}
/* A client closed: its waiting acks are dropped (it resends what was not acknowledged). */
void broker_store_client_gone(struct client *c);
/* A QoS 1/2 PUBLISH while the store cannot be written: refused (v5: PUBACK/PUBREC 0x97, 0
 * returned; v3: closed without an ack, -1). 1: go on. */
int broker_store_admit(struct client *c, uint8_t qos, uint16_t pid);

/* ---- sessions and subscriptions ---- */
/* Store s as it is now if it outlives its connection (s->proto, s->expiry_interval, offline
 * since disconnect_ms, will waiting will_delay seconds, or NULL), with everything it holds
 * when it was not stored yet; delete it from the store when it no longer outlives it. */
void broker_store_session(struct broker *b, struct session *s, int64_t disconnect_ms,
			  const struct msg *will, uint32_t will_delay);
/* The session ends: delete it with its entries (call while they are still in s). */
void broker_store_session_del(struct broker *b, struct session *s);
void broker_store_sub(struct broker *b, struct session *s, const char *filter, uint16_t len,
		      uint8_t opts, uint32_t sub_id);
void broker_store_unsub(struct broker *b, struct session *s, const char *filter, uint16_t len);

/* ---- messages ---- */
/* A QoS 1/2 message queued for s: its entry seq (0: not stored). */
uint64_t broker_store_queued(struct broker *b, struct session *s, struct msg *m, uint8_t qos,
			     uint8_t retain, uint32_t sub_id, uint16_t share);
/* Entry e (qos_out_add's, with e->store_seq from the queue or 0) was sent: sets e->store_seq. */
void broker_store_sent(struct broker *b, struct session *s, struct qos_entry *e);
/* The peer acknowledged pid (type PUBACK/PUBREC/PUBCOMP, reason for PUBREC) or it is
 * completed locally (type 0: abandoned): stage what it changes, before qos_out_ack. */
void broker_store_out_ack(struct broker *b, struct session *s, uint8_t type, uint16_t pid,
			  uint8_t reason);
/* c's session resumes (before the resend of its window): a QoS 2 entry sent on an earlier
 * connection whose state is not durable yet holds the resend too (a take-over or a reconnect
 * within one commit of the first send). */
void broker_store_resume(struct client *c);
/* A queued entry left s without being sent (expired, dropped). */
void broker_store_out_del(struct broker *b, struct session *s, uint64_t seq, struct msg *m);
/* Inbound QoS 2 id recorded (add) or released. */
void broker_store_rx2(struct broker *b, struct session *s, uint16_t pid, bool add);
/* The retained message of topic is now m (NULL: deleted); old is the one it replaced. */
void broker_store_retain(struct broker *b, const char *topic, uint16_t len, struct msg *m,
			 struct msg *old);

/* ---- used by the start-up restore (broker_restore.c) ---- */
/* Wall clock ms <-> loop time ms (message expiry). */
int64_t broker_store_wall_ms(const struct broker *b, int64_t loop_ms);
int64_t broker_store_loop_ms(const struct broker *b, int64_t wall_ms);
/* A struct msg (one reference, store_id set, store_refs 0) for a stored message: the restore
 * and a bridge's read-back of its spilled queue. NULL on ENOMEM. */
struct msg *broker_store_msg_new(struct broker *b, const struct store_msg *sm);

/* ---- a stored session's queue tail in the store only (broker_spill.c) ---- */
/* Entries a stored session keeps in memory before later QoS 1/2 ones go to the store only
 * (offline), and at start-up. */
#define BROKER_SPILL_MEM 1024u
/* Entries of s's queue kept in the store only. */
static inline uint32_t broker_spill_n(const struct session *s)
{
	return s->spill ? s->spill->n : 0;
}
/* Entries queued for s: its head in memory plus its tail in the store only (s not NULL). */
static inline uint64_t broker_session_queued(const struct session *s)
{
	return (uint64_t)session_queue_count(s) + broker_spill_n(s);
}
/* Stage an outgoing entry of s for m that stays in the store only (m keeps no reference):
 * its seq, 0 on ENOMEM. */
uint64_t broker_store_spill(struct broker *b, struct session *s, struct msg *m, uint8_t qos,
			    uint8_t retain, uint32_t sub_id, uint16_t share);
/* A QoS 1/2 message for s goes to the store only when s is stored and offline with a full
 * head in memory, or a tail is already there (order). 1: done; 0: not for the store (the
 * caller queues it); -ENOBUFS: over the limits (times mult); -ENOMEM. */
int broker_spill_deliver(struct broker *b, struct session *s, struct msg *m, uint8_t qos,
			 uint8_t retain, uint32_t sub_id, uint16_t share, bool online,
			 uint32_t mult);
/* Start-up: queued entry e of s. 1: it stays in the store only; 0: s keeps it in memory;
 * -ENOMEM. */
int broker_spill_restore(struct session *s, const struct store_out *e);
/* Ask for the next page of s's tail when its head in memory is half drained. */
void broker_spill_refill(struct broker *b, struct session *s);
/* A bridge's read-back answered (store_fetch_take, f->sid 0; broker_bridge.c). */
void broker_bridge_fetched(struct broker *b, const struct store_fetch *f);
/* A read-back answered (store_fetch_take, f->sid set). Both are called from the store's event
 * (the loop's dispatch), before the iteration's commit. */
void broker_spill_fetched(struct broker *b, const struct store_fetch *f);
/* A batch is durable: sessions whose read-back found nothing yet ask again. */
void broker_spill_durable(struct broker *b);
/* The commit: messages pinned for this batch let go of their id (broker_store_commit). */
void broker_spill_unpin(struct broker_store *bs);

#endif /* MQTTGW_BROKER_STORE_H */
