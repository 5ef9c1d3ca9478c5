/* SPDX-License-Identifier: MIT */
/*
 * config_bridge: Mosquitto's bridge keys for one `connection` block -> struct config_bridge
 * (layer L0: pure, no I/O, no logging; part of the config module).
 *
 * How the config parser uses it (Mosquitto's grammar: a `connection NAME` line starts a block;
 * every bridge key after it applies to that block until the next `connection`; global keys may
 * appear anywhere and are not the block's):
 *   - `connection NAME`: b = config_bridge_new(NAME, err, len) (NULL + err on a bad name);
 *   - a key with config_bridge_is_key(key) true: config_bridge_key(b, key, args, err, len);
 *     with no block open, that is an error ("KEY outside a connection block");
 *   - at the next `connection` or at the end of the text: config_bridge_finish(b, hostname,
 *     err, len) fills the defaults that depend on other keys and checks the block as a whole
 *     (address given, password needs username, certfile needs keyfile, ...).
 * Every error is a sentence without the file:line, which the parser prefixes.
 *
 * Keys (mosquitto.conf(5), "Configuring bridges"; defaults are Mosquitto's):
 *   address|addresses host[:port] [host[:port]]...  (port 1883; IPv6 needs [addr]:port)
 *   round_robin false, topic PATTERN [in|out|both [QOS [LOCAL-PREFIX REMOTE-PREFIX]]] (out, 0;
 *   repeatable; "" is the empty placeholder), bridge_protocol_version mqttv311 (or mqttv50),
 *   remote_clientid (alias clientid; default NAME.HOSTNAME), local_clientid
 *   (local.REMOTE_CLIENTID), remote_username/remote_password (aliases username/password),
 *   cleansession false, local_cleansession (= cleansession), keepalive_interval 60 (>= 5),
 *   restart_timeout 5 30 (one value: constant delay; two: decorrelated-jitter backoff from base
 *   to cap), start_type automatic|lazy|once, idle_timeout 60, threshold 10, notifications true,
 *   notifications_local_only false, notification_topic ($SYS/broker/connection/CLIENTID/state),
 *   try_private true, bridge_cafile, bridge_capath, bridge_certfile, bridge_keyfile,
 *   bridge_insecure false, bridge_tls_version tlsv1.2, bridge_alpn, bridge_max_packet_size 0,
 *   bridge_outgoing_retain true, max_queued_messages (0: see bridge.h),
 *   bridge_attempt_unsubscribe true (accepted; mqttgw never sends UNSUBSCRIBE upstream).
 * Recognised but refused (an error naming the key): bridge_bind_address, bridge_identity,
 * bridge_psk, bridge_require_ocsp, local_username, local_password (the bridge is inside the
 * broker: there is no local connection to authenticate), mqttv31.
 */
#ifndef MQTTGW_CONFIG_BRIDGE_H
#define MQTTGW_CONFIG_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_BRIDGE_PORT	1883
#define CONFIG_BRIDGE_MAX_ADDRS 16

enum config_bridge_dir {
	CONFIG_BRIDGE_OUT = 1,
	CONFIG_BRIDGE_IN = 2,
	CONFIG_BRIDGE_BOTH = 3, /* OUT | IN */
};

enum config_bridge_start {
	CONFIG_BRIDGE_AUTOMATIC = 0,
	CONFIG_BRIDGE_LAZY,
	CONFIG_BRIDGE_ONCE,
};

struct config_bridge_addr {
	char *host; /* name or address, without brackets */
	uint16_t port;
};

/*
 * One `topic` line. local_topic/remote_topic are the filters each side subscribes to (the
 * pattern with its prefix; the prefix alone when the pattern is ""). A prefix given as "" is
 * NULL here, as in Mosquitto.
 */
struct config_bridge_topic {
	char *pattern; /* NULL for "" */
	char *local_prefix, *remote_prefix;
	char *local_topic, *remote_topic;
	uint8_t dir; /* enum config_bridge_dir */
	uint8_t qos;
};

struct config_bridge {
	char *name;
	struct config_bridge_addr *addrs;
	uint32_t n_addrs;
	struct config_bridge_topic *topics;
	uint32_t n_topics;
	bool round_robin;
	uint8_t protocol; /* 4 (mqttv311) or 5 (mqttv50) */
	char *remote_clientid, *local_clientid;
	char *remote_username, *remote_password;
	bool cleansession;
	int8_t local_cleansession; /* -1 until given */
	uint16_t keepalive;	   /* seconds */
	uint32_t restart_base;	   /* seconds */
	uint32_t restart_cap;	   /* seconds; 0: constant restart_base */
	uint8_t start_type;	   /* enum config_bridge_start */
	uint32_t idle_timeout;	   /* seconds (lazy) */
	uint32_t threshold;	   /* queued messages that start a lazy bridge */
	bool notifications, notifications_local_only;
	char *notification_topic;
	bool try_private;
	char *cafile, *capath, *certfile, *keyfile, *tls_version, *alpn;
	bool insecure;
	bool tls;		  /* finish: bridge_cafile or bridge_capath given */
	uint32_t max_packet_size; /* 0: unlimited */
	bool outgoing_retain;
	uint32_t max_queued;   /* 0: the bridge's defaults (bridge.h) */
	bool attempt_unsubscribe;
};

/* A block with Mosquitto's defaults. NULL with errno (EINVAL + err: empty or bad name). */
struct config_bridge *config_bridge_new(const char *name, char *err, size_t errlen);
void config_bridge_free(struct config_bridge *b);

/* Whether `key` belongs to a connection block (supported or not). */
bool config_bridge_is_key(const char *key);

/* One key line of the block: args is the rest of the line (modified). 0, or -EINVAL with a
 * sentence naming the key in err, or -ENOMEM. */
int config_bridge_key(struct config_bridge *b, const char *key, char *args, char *err,
		      size_t errlen);

/* End of the block: defaults that depend on other keys (hostname: this machine's, for the
 * default remote_clientid), then the checks of the whole block. 0, -EINVAL + err, -ENOMEM. */
int config_bridge_finish(struct config_bridge *b, const char *hostname, char *err, size_t errlen);

#endif /* MQTTGW_CONFIG_BRIDGE_H */
