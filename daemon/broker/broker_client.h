/* SPDX-License-Identifier: MIT */
/*
 * broker_client: the floor of L2, which every other broker file may use. A client is one MQTT
 * connection: its conn (L1), its framing, its state, its keepalive and connect timeout, its
 * place in the broker's client list and backpressure list, and its deferred free. What a
 * packet means is not known here: each whole frame goes up through client_hooks, set by
 * broker.c (upward calls are callbacks, ARCHITECTURE.md).
 */
#ifndef MQTTGW_BROKER_CLIENT_H
#define MQTTGW_BROKER_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker_core.h"

/* A CONNECT can legitimately carry a will payload, user name and password of 64 KiB each
 * plus properties; nothing before CONNECT needs more. */
#define CLIENT_PRE_CONNECT_MAX (512u * 1024u)

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

/* MQTT 5 topic aliases of one client, made at the first alias either way (client_alias()):
 * most clients never use one, and an idle connection then holds only the pointer (RSS per
 * connection is a benchmark figure, README "Footprint"). */
struct client_alias {
	struct alias_out *out; /* assigned by us: [0..out_n) of alias_out_max, NULL: none yet */
	uint16_t out_n;
	uint16_t in_max; /* in[] is [0..in_max]: the listener's Topic Alias Maximum */
	char *in[];	 /* inbound topics by alias (set by the client), NULL: not set */
};

struct client {
	/* Fields by size, so that the struct has no holes: every idle connection holds one
	 * (RSS per connection is a benchmark figure, README "Footprint"). */
	struct broker *b;
	struct conn *conn;
	struct session *session;
	struct client *next, *prev; /* all clients */
	struct loop_timer timer;    /* connect timeout, then keepalive */
	uint64_t serial;
	/* will, kept until a clean DISCONNECT or published on abnormal close */
	struct msg *will;
	struct client_alias *alias; /* MQTT 5 topic aliases, NULL until the first */
	struct fpc *fp;	 /* kernel fast path state (broker_fastpath.c), NULL: not joined */
	/* its retained deliveries still walking (broker_retained.c), NULL: none */
	struct broker_rwalk *rwalk;
	/* the store's hold (broker_store.c): output waits until batch store_hold is durable,
	 * 0: not held; held clients are linked from b->store */
	uint64_t store_hold;
	struct client *hold_next, *hold_prev;
	/* for logs: the session's own while attached (session->client_id), else a copy that
	 * outlives the session */
	char *client_id;
	char *username;
	struct client_auth *auth; /* enhanced authentication (below) in progress, or NULL */
	/* its CONNECT's password check running on the worker pool (broker_auth.c), NULL: none;
	 * meanwhile the client is not read (client_hold) */
	struct broker_pwjob *pwjob;
	/* MQTT 5 limits the client told us */
	uint32_t max_packet_out; /* 0 = no limit */
	uint32_t will_delay;	 /* Will Delay Interval, seconds */
	/* passwd_entry_id() of the password_file (enhanced: scram_password_file) entry it
	 * authenticated with, 0: none; a reload drops the client when it changes */
	uint32_t pw_id;
	/* loop time of the last packet, its low 32 bits (client_last_rx() in broker_client.c):
	 * with it here a 20-byte peer's client is 216 B, glibc's 224-byte chunk */
	uint32_t last_rx;
	uint16_t recv_max_out; /* client's Receive Maximum */
	uint16_t keepalive;
	uint16_t auth_idx; /* index of its listener in the config (password/ACL files) */
	uint16_t alias_out_max; /* the client's Topic Alias Maximum */
	uint8_t state;
	uint8_t version;
	/* one byte for the five flags, not five: the peer text after them then fits a 15-byte
	 * IPv4 peer's client in glibc's 224-byte chunk (README "Footprint") */
	bool got_disconnect : 1; /* a DISCONNECT (without will) arrived: no will */
	bool paused : 1;	 /* not read: a subscriber's queue is full (b->paused) */
	bool problem_info : 1;
	/* enhanced authentication (broker_authflow.c): authenticated by SCRAM-SHA-256 at
	 * CONNECT (re-authentication allowed) */
	bool enhanced : 1;
	bool bridge : 1; /* CONNECT with the bridge bit (Mosquitto): broker_subscribe.c */
	/* "addr:port", also conn_peer(conn), in the same allocation and only as long as the text
	 * (a fixed 48-byte array for the longest IPv6 peer cost every IPv4 client 32 bytes) */
	char peer[];
};

/*
 * What the layers above do at a client's lifecycle points (b->hooks). Every hook may be NULL.
 * on_packet gets one whole frame (f: its header, already checked) and returns 0, 1 to stop
 * reading this client (a subscriber's queue is full: backpressure) or -1 when the client is to
 * be closed. on_parsed: the bytes consumed by one read. on_closing: a server-side close is
 * about to flush the last output. on_close: the connection is gone (after the client left the
 * backpressure list, before it leaves the client list); on_free: just before the free.
 * rx_activity: did the client send anything the daemon did not read (keepalive)? The three
 * conn hooks are the write gate (conn_ops, used only while conn->gated).
 */
struct client_hooks {
	int (*on_packet)(struct client *c, const uint8_t *buf, size_t len,
			 const struct mqtt_frame *f);
	void (*on_parsed)(struct client *c, size_t consumed);
	void (*on_closing)(struct client *c);
	void (*on_close)(struct client *c, int err);
	void (*on_free)(struct client *c);
	bool (*rx_activity)(struct client *c);
	void (*on_output)(struct conn *conn);
	bool (*may_write)(struct conn *conn);
	void (*on_out_empty)(struct conn *conn);
};

/*
 * Serve fd (taken: closed on failure) as a client of listener cl over transport tp. Refused
 * (-ECONNREFUSED) while shutting down or at max_connections. The client is in b->clients
 * with its connect timeout armed. NULL with errno.
 */
struct client *client_new(struct broker *b, int fd, const char *peer,
			  const struct config_listener *cl, const struct conn_transport *tp);
/* The client id for logs ("<unknown>" before CONNECT). */
const char *client_name(const struct client *c);
/* The listener c came in on (b->cfg is never swapped: a reload keeps it, so the index serves
 * where a pointer cost every connection 8 bytes). Never NULL: client_new() takes the index
 * from the listener entry it is given, which fuzz_broker keeps in the array uncounted (so no
 * bound by n_listeners here: one made every fuzzed CONNECT read through NULL). */
static inline const struct config_listener *client_listener(const struct client *c)
{
	return &c->b->cfg->listeners[c->auth_idx];
}
/* The MQTT 5 Topic Alias Maximum c may use: its listener's max_topic_alias, else the global. */
static inline uint16_t client_alias_max(const struct client *c)
{
	int v = client_listener(c)->max_topic_alias;

	return (uint16_t)(v >= 0 ? v : c->b->cfg->max_topic_alias);
}
/* c's topic aliases, made (none set, room for client_alias_max(c) inbound) at the first use.
 * NULL on ENOMEM. */
struct client_alias *client_alias(struct client *c);
/* Log a protocol violation the caller closes c for; it counts as an offence of the peer for the
 * XDP guard's fail2ban (guard.h). */
void client_log_proto(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* c's credentials or authorisation were refused: counted in $SYS and an offence for the guard. */
void client_auth_failed(struct client *c);
/* The length of c->peer's address (without ":port"). */
size_t client_peer_addr_len(const struct client *c);

/* on_packet's answer for a CONNECT whose check runs elsewhere (a worker thread): c is not read
 * until client_hold_release(c); the bytes after the CONNECT wait in its buffer and socket. */
#define CLIENT_HOLD 2
void client_hold_release(struct client *c);

/* Queue a whole encoded packet (dropped when the client has no conn or no memory). */
/* Queue a packet; one over the client's Maximum Packet Size is not sent [MQTT-3.1.2-24]. */
void client_send_raw(struct client *c, const uint8_t *p, size_t n);
/* How many property bytes (at most cap) a packet with a `body`-byte body besides its property
 * block may carry within the client's Maximum Packet Size; -1 when even none fit. */
long client_props_room(const struct client *c, uint32_t body, uint32_t cap);
/* A two-byte packet (PINGRESP); an acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP). 0. */
int client_send_simple(struct client *c, uint8_t type);
int client_send_ack(struct client *c, uint8_t type, uint16_t pid, uint8_t reason);
/* The store's hold on c ended: write what waited (with this iteration's flush). */
void client_want_flush(struct client *c);
/* CONNACK in version's encoding (v5: with props). */
void client_send_connack(struct client *c, uint8_t version, bool present, uint8_t code,
			 const uint8_t *props, uint32_t props_len);
/* Refuse a CONNECT: CONNACK with the code for version (v5: v5code, else v3code, sent as
 * 3.1.1), flushed, then close. Returns -1 for the caller to return. */
int client_refuse(struct client *c, uint8_t version, uint8_t v3code, uint8_t v5code,
		  const char *why);
/*
 * The one place a server-side close is decided. v5 clients past CONNECT get a DISCONNECT
 * with `reason` first (unless reason is 0xFF: close silently); v3 has no server DISCONNECT.
 * What is queued is flushed, best effort, without waiting. No-op when already closed.
 */
void client_close(struct client *c, uint8_t reason, const char *why);
/*
 * Call fn on every client that is active now and still active with a connection when its turn
 * comes; fn may close it (closing unlinks clients, so the list is taken first) and returns
 * whether it did. Returns how many it closed, or -ENOMEM.
 */
int client_close_each(struct broker *b, bool (*fn)(struct client *c, void *ctx), void *ctx);

/* Arm the keepalive timer at 1.5 x keepalive from the last packet (or cancel it for 0). */
void client_keepalive_arm(struct client *c);

/*
 * Let every held-back publisher read again. Called when a subscriber's queue drained or the
 * subscriber left; publishers that still meet a full queue are paused again by the next
 * PUBLISH they send, so resuming all of them is simple and still correct.
 */
void client_resume_all(struct broker *b);

#endif /* MQTTGW_BROKER_CLIENT_H */
