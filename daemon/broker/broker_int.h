/* SPDX-License-Identifier: MIT */
/* Private to the broker_*.c files: the client, the broker, and their shared helpers. */
#ifndef MQTTGW_BROKER_INT_H
#define MQTTGW_BROKER_INT_H

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
#include "version.h"

enum client_state {
	CLIENT_NEW = 0, /* accepted, waiting for CONNECT */
	CLIENT_AUTH,	/* CONNECT with an Authentication Method: the AUTH exchange runs */
	CLIENT_ACTIVE,	/* CONNACK sent */
	CLIENT_CLOSED,	/* conn gone; freed at the end of the iteration */
};

struct alias_out {
	char *topic;
	uint16_t len;
};

struct client {
	struct broker *b;
	struct conn *conn;
	struct session *session;
	const struct config_listener *listener;
	struct client *next, *prev; /* all clients */
	struct loop_timer timer;    /* connect timeout, then keepalive */
	int64_t last_rx;	    /* loop time of the last packet */
	uint64_t serial;
	uint8_t state;
	uint8_t version;
	uint16_t keepalive;
	uint16_t auth_idx; /* index of its listener in the config (password/ACL files) */
	bool got_disconnect; /* a DISCONNECT (without will) arrived: no will */
	bool paused;	     /* not read: a subscriber's queue is full (backpressure) */
	struct client *paused_next;
	/* will, kept until a clean DISCONNECT or published on abnormal close */
	struct msg *will;
	/* MQTT 5 limits the client told us */
	uint32_t max_packet_out; /* 0 = no limit */
	uint16_t recv_max_out;	 /* client's Receive Maximum */
	bool problem_info;
	uint32_t will_delay; /* Will Delay Interval, seconds */
	/* MQTT 5 topic aliases: inbound [1..cfg max_topic_alias], outbound assigned by us */
	char **alias_in;
	uint16_t alias_in_max;
	struct alias_out *alias_out;
	uint16_t alias_out_max, alias_out_n;
	struct fpc *fp;	 /* kernel fast path state (broker_fastpath.c), NULL: not joined */
	char *client_id; /* copy for logs after the session is gone */
	char *username;
	/* enhanced authentication (broker_authflow.c): authenticated by SCRAM-SHA-256 at
	 * CONNECT (re-authentication allowed); the exchange in progress, if any */
	bool enhanced;
	/* passwd_entry_id() of the password_file (enhanced: scram_password_file) entry it
	 * authenticated with, 0: none; a reload drops the client when it changes (in padding) */
	uint32_t pw_id;
	struct client_auth *auth;
	char peer[64];
};

struct broker_stats {
	uint64_t msgs_received, msgs_sent;	   /* all MQTT packets */
	uint64_t pub_received, pub_sent;	   /* PUBLISH packets */
	uint64_t pub_bytes_received, pub_bytes_sent; /* PUBLISH payload bytes */
	uint64_t pub_dropped;			   /* messages dropped (queue limits, sizes) */
	uint64_t clients_max;			   /* most connected at once */
	uint64_t clients_expired;
	uint64_t conns_refused;
	uint64_t auth_failed; /* CONNECTs refused for bad credentials or authorization */
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

struct match {
	struct session *s;
	uint8_t qos;
	uint8_t opts;
	uint16_t share; /* shared: the session's share tag (session.h), else 0 */
	uint32_t sub_id;
};

struct broker {
	struct loop *loop;
	const struct config *cfg;
	struct msg_pool *mem; /* main.c's: messages and output buffers, memory_limit */
	struct listener **ls;
	size_t n_ls;
	struct broker_auth *auth; /* one per configured listener */
	struct tls_ctx **tls;	  /* one per configured listener; NULL: plain TCP */
	struct topic_tree *topics;
	struct session_table sessions;
	struct client *clients;
	uint32_t n_clients;  /* connected (CONNACK sent) */
	uint32_t n_conns;    /* all open client connections */
	uint64_t serial;
	uint32_t max_packet_in; /* largest packet we accept */
	struct broker_stats st;
	struct match *m;
	uint32_t m_len, m_cap;
	uint32_t m_subs; /* subscriptions matched by the last broker_publish (before merging) */
	uint64_t match_gen;
	struct loop_timer sys_timer;
	/* backpressure: publishers not read while an online subscriber's queue is full */
	struct client *paused;
	struct loop_timer bp_timer;
	bool pause_request;
	int64_t start_wall;
	bool shutting_down;
	struct broker_fp *fp; /* kernel fast path (broker_fastpath.c), NULL: inactive */
	/* per-boot random key: unknown SCRAM users get stand-in salts derived from it */
	uint8_t scram_key[32];
	bool scram_key_set;
	/* server redirection (broker_redirect.c): 0x9C/0x9D while configured, else 0 */
	uint8_t redirect_rc;
	char *redirect_ref;
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

/* broker.c */
void broker_resume_publishers(struct broker *b);
/* Queue a packet; one over the client's Maximum Packet Size is not sent [MQTT-3.1.2-24]. */
void client_send_raw(struct client *c, const uint8_t *p, size_t n);
/* How many property bytes (at most cap) a packet with a `body`-byte body besides its property
 * block may carry within the client's Maximum Packet Size; -1 when even none fit. */
long client_props_room(const struct client *c, uint32_t body, uint32_t cap);
void client_close(struct client *c, uint8_t reason, const char *why);
/*
 * Call fn on every client that is active now and still active with a connection when its turn
 * comes; fn may close it (closing unlinks clients, so the list is taken first) and returns
 * whether it did. Returns how many it closed, or -ENOMEM.
 */
int broker_close_each(struct broker *b, bool (*fn)(struct client *c, void *ctx), void *ctx);
int client_send_simple(struct client *c, uint8_t type);
int client_send_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason);
void client_log_proto(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void client_keepalive_arm(struct client *c);

/* broker_connect.c */
int broker_handle_connect(struct client *c, const uint8_t *buf, size_t len);
/* Refuse a CONNECT (CONNACK with the code for the client's version, then close): -1. */
int broker_connect_refuse(struct client *c, uint8_t v3code, uint8_t v5code, const char *why);
/* Finish a CONNECT (buf: the packet again) whose enhanced authentication succeeded: the
 * CONNACK carries the method and auth_data[0..auth_len). 0 or -1 (closed). */
int broker_connect_resume(struct client *c, const uint8_t *buf, size_t len, bool assigned,
			  const uint8_t *auth_data, size_t auth_len);

/* broker_authflow.c: MQTT 5 enhanced authentication (4.12) with SCRAM-SHA-256 */
/* CONNECT carried an Authentication Method: start the exchange (or refuse). 0 or -1. */
int broker_authflow_connect(struct client *c, const struct mqtt_connect *cn, const uint8_t *buf,
			    size_t len, bool assigned);
/* A packet while CLIENT_AUTH (only AUTH and DISCONNECT belong there). 0 or -1. */
int broker_authflow_packet(struct client *c, const uint8_t *buf, size_t len);
/* AUTH after CONNACK: re-authentication (4.12.1). 0 or -1. */
int broker_handle_auth(struct client *c, struct mqtt_packet *pkt);
void broker_authflow_free(struct client *c);
void broker_session_detach(struct client *c);
void broker_session_expiry_cancel(struct broker *b, struct session *s);

/* broker_publish.c */
int broker_handle_publish(struct client *c, struct mqtt_packet *pkt);
int broker_handle_ack(struct client *c, struct mqtt_packet *pkt);
int broker_handle_pubrel(struct client *c, struct mqtt_packet *pkt);
/* Returns the number of sessions the message was delivered (or queued) to. */
uint32_t broker_publish(struct broker *b, struct pub *p);
struct msg *pub_msg(struct broker *b, struct pub *p);
void pub_from_msg(struct pub *p, struct msg *m);
void pub_release(struct pub *p);
/* Send what the session has in flight (DUP) and then its queue, within the window. */
void broker_session_resume(struct client *c);
void broker_session_pump(struct client *c);
void broker_backpressure_release(struct broker *b, struct session *s);
/* Deliver a message to one session at qos (retain: RETAIN flag to send; share: the session's
 * share tag when it comes through a shared subscription, else 0). */
void broker_deliver(struct broker *b, struct session *s, struct pub *p, uint8_t qos,
		    uint8_t retain, uint32_t sub_id, uint16_t share);
/* Forward p to s through a subscription granted sub_qos with topic options opts: at the lower
 * QoS, RETAIN kept only with Retain As Published, if the ACL lets s read the topic. Returns
 * whether it was delivered. */
bool broker_forward(struct broker *b, struct session *s, struct pub *p, uint8_t sub_qos,
		    uint8_t opts, uint32_t sub_id, uint16_t share);
void broker_retained_free(void *msg);

/* broker.c: SIGHUP: new TLS contexts from the listeners' files (existing connections keep
 * theirs); a listener whose files fail to load keeps its current one. */
void broker_tls_reload(struct broker *b);

/* broker_auth.c */
int broker_auth_load(struct broker *b, char *err, size_t errlen);
void broker_auth_free(struct broker *b);
const struct broker_auth *broker_auth_for(const struct broker *b, uint16_t idx);
/* May session s receive a message on topic (delivery with opts)? */
bool broker_acl_read(struct broker *b, const struct session *s, uint8_t opts, const char *topic,
		     size_t len);
/* Topic options for a new subscription of s: opts plus BROKER_OPT_ACL_CHECK when needed;
 * false when the ACL lets the filter deliver nothing. */
bool broker_acl_subscribe(struct broker *b, const struct session *s, const char *filter,
			  size_t len, uint8_t *opts);

/* broker_share.c: s ends (unsubscribed from the tree, not destroyed yet): its unacknowledged
 * shared-subscription messages go to other members of their groups (MQTT 5 4.8.2). */
void broker_share_handover(struct broker *b, struct session *s);

/* broker_subscribe.c */
int broker_handle_subscribe(struct client *c, struct mqtt_packet *pkt);
int broker_handle_unsubscribe(struct client *c, struct mqtt_packet *pkt);
void broker_session_unsubscribe_all(struct broker *b, struct session *s);

/*
 * broker_fastpath.c: the kernel fast path (sockmap, include/fastpath.h) seen from the broker:
 * joining (lazily, when a client first has an eligible flow, as publisher or subscriber; always
 * after its CONNACK), the route cache and its invalidation, the one-writer gate, drained
 * accounting, budgets, the per-flow policy and counters. Every hook is a no-op while the fast
 * path is inactive (b->fp NULL) or the client has not joined (c->fp NULL).
 */
struct fastpath;
int broker_fp_start(struct broker *b, struct fastpath *fp);
void broker_fp_stop(struct broker *b);
void broker_fp_closing(struct client *c);		 /* server-side close: last output */
void broker_fp_leave(struct client *c);			 /* connection closed */
void broker_fp_parsed(struct client *c, size_t consumed); /* after each parse: drained */
/* After broker_publish() of a QoS 0 PUBLISH from c (matches in b->m): maybe cache a route,
 * or queue c and its one subscriber to join when the flow is eligible and they are not in.
 * frame_len: the PUBLISH as received; plain: nothing in it the kernel could not forward
 * unchanged (no v5 properties, no alias). */
void broker_fp_learn(struct client *c, const struct pub *p, size_t frame_len, bool plain);
/* A subscription to filter was added, changed or removed: drop the routes it may affect. */
void broker_fp_filter_changed(struct broker *b, const char *filter, size_t len);
void broker_fp_flush_routes(struct broker *b); /* ACL or config reload: drop every route */
/* Frames (and bytes) the kernel relayed since the start. */
uint64_t broker_fp_relayed(struct broker *b, uint64_t *bytes);
/* Keepalive: did the kernel relay anything from c since the last call? */
bool broker_fp_rx_activity(struct client *c);
/* conn_ops write gate (broker.c's client_ops) */
void broker_fp_on_output(struct conn *conn);
bool broker_fp_may_write(struct conn *conn);
void broker_fp_on_out_empty(struct conn *conn);
/* $SYS/broker/fastpath/...: calls pub(b, topic, value) for each figure. */
void broker_fp_sys(struct broker *b, void (*pub)(struct broker *b, const char *topic,
						 const char *value));

/* broker_redirect.c: while redirection is configured, refuse a CONNECT (CONNACK 0x9C/0x9D
 * with the Server Reference, v3: CONNACK 3) and close: -1. 0 when not redirecting.
 * max_packet: the client's Maximum Packet Size (0 = none). */
int broker_redirect_connect(struct client *c, uint8_t version, uint32_t max_packet);

/* broker_sys.c */
void broker_sys_start(struct broker *b);
void broker_sys_publish(struct broker *b);

#endif /* MQTTGW_BROKER_INT_H */
