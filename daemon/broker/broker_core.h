/* SPDX-License-Identifier: MIT */
/*
 * The bottom of L2: struct broker and the value types every broker_*.c shares. Data only (and
 * one inline check); no file's functions are declared here. Each file includes the headers of
 * the files it calls, which sit lower in this order:
 *
 *   broker.c                       dispatcher, broker.h's lifecycle (top)
 *   broker_connect, broker_publish, broker_subscribe, broker_authflow, broker_redirect,
 *   broker_sys, broker_reload,     packet handlers and operations; never call each other
 *   broker_bridge                  (broker_publish() calls broker_bridge_out: the bridges are
 *                                  subscribers that match by their own topic lines)
 *   broker_session                 detach, expiry, end of a session
 *   broker_will, broker_share      wills; a leaving member's shared messages
 *   broker_deliver                 matching, per-session delivery, queues, retained
 *   broker_client, broker_auth,    the floor: client I/O and lifecycle; password/ACL
 *   broker_fastpath                lookups; the kernel fast path seen from the broker
 *   broker_core.h                  (this file)
 */
#ifndef MQTTGW_BROKER_CORE_H
#define MQTTGW_BROKER_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "broker.h"
#include "codec.h"
#include "config.h"
#include "acl.h"
#include "conn.h"
#include "listener.h"
#include "loop.h"
#include "msg.h"
#include "passwd.h"
#include "session.h"
#include "tls.h"
#include "topic.h"

struct bridge;
struct bridge_wait;
struct client;
struct ws_ctx;
struct broker_logq;
struct broker_figures;
struct broker_metrics;
struct client_hooks;
struct broker_store;
struct broker_ctl;
struct pub;

struct broker_stats {
	uint64_t msgs_received, msgs_sent;	     /* all MQTT packets */
	uint64_t pub_received, pub_sent;	     /* PUBLISH packets */
	uint64_t pub_bytes_received, pub_bytes_sent; /* PUBLISH payload bytes */
	uint64_t pub_dropped;			     /* messages dropped (queue limits, sizes) */
	uint64_t clients_max;			     /* most connected at once */
	uint64_t clients_expired;
	uint64_t conns_refused;
	uint64_t auth_failed; /* CONNECTs refused for bad credentials or authorization */
	uint64_t clients_half_dead; /* closed by broker_diag: the kernel saw the link dead */
};

/* Per listener: the password and ACL databases that apply (NULL: none configured). */
struct broker_auth {
	struct passwd_db *pw;
	struct passwd_db *scram; /* scram_password_file */
	struct acl_db *acl;
};

/* In topic options (bit 6 is reserved by MQTT, so ours): this subscription may deliver only
 * some of the topics it matches under the ACL: check READ for every message. */
#define BROKER_OPT_ACL_CHECK 0x40u

/* One session a message matched (overlapping subscriptions merged). */
struct match {
	struct session *s;
	uint8_t qos;
	uint8_t opts;
	uint16_t share; /* shared: the session's share tag (session.h), else 0 */
	uint32_t sub_id;
};

/* The fields are grouped by the file that writes them; every L2 file may read them. */
struct broker {
	/* broker.c */
	struct loop *loop;
	const struct config *cfg;
	struct msg_pool *mem; /* main.c's: messages and output buffers, memory_limit */
	struct listener **ls;
	size_t n_ls;
	struct tls_ctx **tls; /* one per configured listener; NULL: plain TCP */
	struct ws_ctx **ws;   /* one per configured listener; NULL: not `protocol websockets` */
	struct topic_tree *topics;
	struct session_table sessions;
	uint32_t max_packet_in; /* largest packet we accept */
	/* cfg's max_inflight_bytes, replaced by a SIGHUP (Mosquitto reloads it): 0 no limit */
	uint64_t max_inflight_bytes;
	int64_t start_wall;
	bool shutting_down;
	/* broker_client.c: the clients, their lifecycle hooks (set by broker.c), and the
	 * publishers not read while an online subscriber's queue is full (backpressure) */
	const struct client_hooks *hooks;
	struct client *clients;
	uint32_t n_clients; /* connected (CONNACK sent) */
	uint32_t n_conns;   /* all open client connections */
	uint64_t serial;
	/* paused clients, in no order (an array, not a link in every struct client); freed
	 * when they are resumed */
	struct client **paused;
	uint32_t n_paused, paused_cap;
	struct loop_timer bp_timer;
	/* clients freed since the heap was last trimmed, and the timer that trims it after a
	 * wave of disconnects (broker_client.c) */
	uint32_t freed_since_trim;
	struct loop_timer trim_timer;
	/* counted by whichever file sees the event */
	struct broker_stats st;
	/* broker_auth.c, broker_reload.c */
	struct broker_auth *auth; /* one per configured listener */
	struct workpool *pool;	  /* password hashing off the loop; NULL until first needed */
	/* broker_reload.c: the stored subscriptions' re-check after a reload, in slices; while
	 * acl_walk is set every delivery is checked against the ACL and no fast-path route is
	 * learned (a subscription not reached yet still has the old ACL's flags) */
	struct loop_timer acl_timer;
	uint32_t acl_bucket; /* next session-table bucket to re-check */
	uint32_t acl_slices, acl_subs, acl_turns; /* acl_turns: loop turns the walk spanned */
	int64_t acl_start, acl_longest_us;
	bool acl_walk;
	/* broker_retained.c: retained deliveries on SUBSCRIBE walked in slices, round robin */
	struct broker_rwalk *rwalks;
	struct loop_timer rwalk_timer;
	struct broker_diag *diag; /* broker_diag.c: half-dead clients through sock_diag */
	/* broker_deliver.c: match scratch, valid during one broker_publish() */
	struct match *m;
	uint32_t m_len, m_cap;
	uint64_t match_gen;
	/* broker_sys.c */
	struct loop_timer sys_timer;
	const struct guard *guard; /* the XDP guard's figures, NULL: none */
	struct broker_figures *figs; /* the sink of the broker_figures() call running */
	/* broker_metrics.c: metrics_listener, delivery latency; NULL: no metrics_listener */
	struct broker_metrics *metrics;
	/* broker_log.c: log lines waiting to be published (log_dest topic) */
	struct broker_logq *logq;
	/* broker_fastpath.c */
	struct broker_fp *fp; /* kernel fast path, NULL: inactive */
	/* broker_authflow.c: per-boot random key: unknown SCRAM users get stand-in salts
	 * derived from it */
	uint8_t scram_key[32];
	bool scram_key_set;
	/* broker_store.c: the durable store, NULL while persistence is off */
	struct broker_store *store;
	/* broker_redirect.c: 0x9C/0x9D while configured, else 0 */
	uint8_t redirect_rc;
	char *redirect_ref;
	/* broker_bridge.c: one per cfg->bridges[i], same index */
	struct bridge **bridges;
	size_t n_bridges;
	struct loop_timer bridge_timer; /* starts them in the loop's first iteration */
	struct bridge_wait *bw;		/* upstream acks waiting for the store, FIFO */
	uint32_t bw_head, bw_n, bw_cap;
	/* broker_ctl.c: the control socket (NULL: none), and broker_publish()'s tap while a
	 * `mqttgwctl trace` runs (NULL: none) */
	struct broker_ctl *ctl;
	void (*tap)(struct broker *b, const struct pub *p);
	/* broker_mount.c: some listener has a mount_point (set once by broker_new) */
	bool mounted;
};

/* A message being published: views into a decoded packet, or an existing msg. */
struct pub {
	const char *topic;
	uint16_t topic_len;
	const uint8_t *payload;
	uint32_t payload_len;
	const uint8_t *props; /* forwardable v5 properties, encoded */
	uint32_t props_len;
	uint8_t qos;
	uint8_t retain;
	int64_t expiry;
	const struct session *origin;
	struct msg *msg; /* made on demand (pub_msg); a reference owned by the pub */
	/* the QoS 0 frame as every subscriber without a per-subscriber part gets it, per [MQTT 5]
	 * [RETAIN]: encoded for the first such subscriber, referenced by the others (see
	 * client_send_publish); references owned by the pub. Kept only when fan is set (by
	 * broker_publish: more than one session matched). frame[v5][retain] is valid only while
	 * bit 2 * v5 + retain of `framed` is set, so a pub is cleared without it (pub_clear) and
	 * released without a walk over it when nothing was shared (p2p: every message) */
	bool fan;
	uint8_t framed;
	struct pub_frame { /* keep last: pub_clear() clears what comes before it */
		struct rbuf *rb;
		uint32_t off, len;
		bool payload_ref; /* the frame is a header; the payload follows from msg */
	} frame[2][2];
};

/* In a delivery's subscription identifier: several subscriptions with identifiers matched;
 * the full list is worked out when the PUBLISH is encoded. Identifiers use 28 bits. */
#define BROKER_SUBID_MULTI 0x80000000u

/* How long a full subscriber queue may hold publishers back before messages are dropped. */
#define BROKER_BP_MAX_MS 5000

/* memory_limit: the bytes held in messages and output buffers are over it. */
static inline bool broker_memory_full(const struct broker *b)
{
	return b->cfg->memory_limit && b->mem->bufs.live_bytes > b->cfg->memory_limit;
}

#endif /* MQTTGW_BROKER_CORE_H */
