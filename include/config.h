/* SPDX-License-Identifier: MIT */
/*
 * config: Mosquitto-compatible configuration text -> one immutable struct config (L0).
 *
 * The parser itself is pure (config_parse_text, config_parse_file): files come through a
 * struct config_source. config_load() adds the file system and nothing else. A reload is: load a new struct, swap the pointer,
 * free the old one. Errors are reported as "file:line: reason" in the caller's buffer.
 */
#ifndef MQTTGW_CONFIG_H
#define MQTTGW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `persistence_sync`: the same values as store.h's enum store_sync */
enum config_persistence_sync { CONFIG_PSYNC_FULL = 0, CONFIG_PSYNC_NORMAL };
enum config_fastpath { CONFIG_FASTPATH_AUTO = 0, CONFIG_FASTPATH_ON, CONFIG_FASTPATH_OFF };

/* Defaults of `fastpath_flow_rates` (frames/s), from measurement: README "Kernel fast path". */
#define CONFIG_FP_RATE_HIGH 40000u
#define CONFIG_FP_RATE_LOW  15000u
/* Default of `control_socket_mode`. */
#define CONFIG_CTL_MODE 0660
/* Default of `fastpath_pin_dir`. */
#define CONFIG_FASTPATH_PIN_DIR "/sys/fs/bpf/mqttgw"

enum config_protocol { CONFIG_PROTO_MQTT = 0, CONFIG_PROTO_WEBSOCKETS };

/* `shared_subscription_strategy`: how a $share group picks the member (see topic.h). */
enum config_share_strategy {
	CONFIG_SHARE_ROUND_ROBIN = 0,
	CONFIG_SHARE_RANDOM,
	CONFIG_SHARE_STICKY,
	CONFIG_SHARE_HASH_TOPIC,
};

/* log_dest bits */
#define CONFIG_LOG_DEST_STDERR 0x01u
#define CONFIG_LOG_DEST_STDOUT 0x02u
#define CONFIG_LOG_DEST_SYSLOG 0x04u
#define CONFIG_LOG_DEST_FILE 0x08u
#define CONFIG_LOG_DEST_TOPIC 0x10u

/* log_type bits (Mosquitto's names) */
#define CONFIG_LOG_ERR 0x01u	   /* error */
#define CONFIG_LOG_WARNING 0x02u   /* warning */
#define CONFIG_LOG_NOTICE 0x04u	   /* notice */
#define CONFIG_LOG_INFO 0x08u	   /* information */
#define CONFIG_LOG_DEBUG 0x10u	   /* debug */
#define CONFIG_LOG_SUBSCRIBE 0x20u /* subscribe */
#define CONFIG_LOG_UNSUBSCRIBE 0x40u /* unsubscribe */
#define CONFIG_LOG_WEBSOCKETS 0x80u  /* websockets */
#define CONFIG_LOG_ALL 0xFFu
/* default when no log_type line is given: error, warning, notice, information */
#define CONFIG_LOG_DEFAULT (CONFIG_LOG_ERR | CONFIG_LOG_WARNING | CONFIG_LOG_NOTICE | CONFIG_LOG_INFO)

/* Defaults of ban_window and ban_time (seconds): fail2ban's findtime and bantime. */
#define CONFIG_BAN_WINDOW 600u
/* Default of half_dead_timeout (seconds): a client's socket stalled this long is closed. */
#define CONFIG_HALF_DEAD_TIMEOUT 20u
#define CONFIG_BAN_TIME	  600u

/* One `xdp_interface` line. mode: enum xdp_guard_mode (auto 0, native, generic). */
struct config_xdp_iface {
	char *name;
	int mode;
};

/* `tls_keyform` */
enum config_keyform {
	CONFIG_KEYFORM_PEM = 0,
	CONFIG_KEYFORM_ENGINE,
};

struct config_listener {
	uint16_t port;		/* 0 is allowed only for tests: "pick one" */
	char *bind_address;	/* NULL = all addresses; from `listener PORT ADDR` or `bind_address` */
	enum config_protocol protocol;
	int max_connections;	/* -1 unlimited */
	int allow_anonymous;	/* -1 unset: see config_listener_anonymous() */
	char *mount_point;
	/* TLS (used from the TLS work on; parsed and kept now) */
	char *cafile, *capath, *certfile, *keyfile, *crlfile;
	char *tls_version, *ciphers, *ciphers_tls13;
	bool require_certificate;
	bool use_identity_as_username;
	bool use_subject_as_username;
	/* per_listener_settings true: this listener's own files (NULL: the global ones apply,
	 * see config_listener_password_file/acl_file) */
	char *password_file, *acl_file;
	char *scram_password_file;
	/* `bind_interface IFNAME` (Mosquitto 2): listen on the interface's first address of each
	 * family (with bind_address: that address, which must be the interface's), following
	 * address changes; NULL: none. config_finish() appends "%IFNAME" to bind_address (the
	 * syntax listener_new() takes), so this field is what the user wrote. */
	char *bind_interface;
	/* `socket_domain ipv4|ipv6`: AF_INET / AF_INET6 only; 0 (default): both (listener_new) */
	int socket_domain;
	/* `dhparamfile`: PEM DH parameters for the DHE ciphers of TLS 1.2 */
	char *dhparamfile;
	/* `psk_hint` (this listener serves TLS-PSK); psk_file is scoped like password_file */
	char *psk_hint, *psk_file;
	/* `tls_engine ID`, `tls_keyform pem|engine` (enum config_keyform), `tls_engine_kpass_sha1
	 * HEX` (40 hex digits, checked by config_finish): keyfile is then the engine's key id */
	char *tls_engine, *tls_engine_kpass_sha1;
	int tls_keyform;
	/*
	 * Applied by the broker: `max_qos` (default 2), `use_username_as_clientid`,
	 * `allow_zero_length_clientid` in a block under per_listener_settings, `max_topic_alias`
	 * in a block. -1: unset, the global value applies.
	 */
	uint8_t max_qos;
	bool use_username_as_clientid;
	int max_topic_alias;
	int allow_zero_length_clientid;
	/* The deprecated default listener: made by `port`/`bind_address`, or by listener keys
	 * (certfile, protocol...) given before any `listener` line, as Mosquitto does. */
	bool is_default;
	/* protocol websockets (config_http.c): `websockets_origin` lines (none: any Origin) and
	 * `http_dir` (NULL: no plain HTTP) */
	char **ws_origins;
	size_t n_ws_origins;
	char *http_dir;
};

struct config {
	struct config_listener *listeners;
	size_t n_listeners;
	/* `metrics_listener [ADDR:]PORT` (mqttgw's): Prometheus /metrics and /healthz */
	bool metrics_on;
	char *metrics_addr; /* NULL: every address */
	uint16_t metrics_port;

	int max_connections;		   /* -1 unlimited (default) */
	int allow_anonymous;		   /* -1 unset (default) */
	uint32_t max_inflight_messages;	   /* default 20; 0 = unlimited */
	uint32_t max_queued_messages;	   /* default 1000; 0 = unlimited */
	uint64_t max_queued_bytes;	   /* default 0 = unlimited */
	uint32_t message_size_limit;	   /* default 0 = MQTT maximum (268435455) */
	uint32_t max_packet_size;	   /* default 0 = no limit beyond the MQTT maximum */
	uint16_t max_keepalive;		   /* default 65535 */
	uint32_t sys_interval;		   /* seconds, default 10; 0 = $SYS disabled */
	bool retain_available;		   /* default true */
	int64_t persistent_client_expiration; /* seconds; default -1 = never */
	bool queue_qos0_messages;	   /* default false */
	bool allow_zero_length_clientid;   /* default true */
	uint32_t connect_timeout;	   /* seconds to receive CONNECT; default 10 (ours) */
	uint64_t memory_limit;		   /* bytes; default 0 = unlimited */
	uint16_t max_topic_alias;	   /* v5 Topic Alias Maximum we accept; default 10 */
	uint16_t max_receive;		   /* v5 Receive Maximum we advertise; default 65535 */

	uint32_t log_dest;	/* CONFIG_LOG_DEST_*; default STDERR */
	char *log_file;		/* for `log_dest file PATH` */
	uint32_t log_type;	/* CONFIG_LOG_*; default CONFIG_LOG_DEFAULT */
	bool log_timestamp;	/* default true */
	/* `log_timestamp_format`: strftime() format of the local time; NULL: seconds since the
	 * epoch (Mosquitto's default) */
	char *log_timestamp_format;
	int log_facility;	/* `log_facility 0..7`: LOG_LOCAL0..7; -1 (default): LOG_DAEMON */
	/* `set_tcp_nodelay`: TCP_NODELAY on client sockets. Default true, unlike Mosquitto's
	 * false: the daemon batches its writes itself (writev per loop iteration). */
	bool set_tcp_nodelay;
	/* `user`: when started as root, the user to drop to after start-up (main.c); NULL:
	 * "mosquitto" if that user exists, else stay root. "root": stay root. */
	char *user;
	char *psk_file; /* TLS-PSK identities (identity:hexkey), scoped like password_file */

	/*
	 * connection_messages (default true), upgrade_outgoing_qos, clientid_prefixes,
	 * auto_id_prefix (default NULL = "auto-") are applied by the broker;
	 * allow_duplicate_messages (default true) is accepted: one copy per client either way
	 * (README). check_retain_source (default true, Mosquitto's): a retained message is sent
	 * to a new subscriber only while its publisher may still write its topic.
	 * max_inflight_bytes (0 unlimited): payload bytes of outgoing QoS 1/2 messages in flight
	 * per client, as Mosquitto counts them (broker_deliver.c).
	 */
	bool connection_messages;
	bool upgrade_outgoing_qos;
	char *clientid_prefixes;
	char *auto_id_prefix;
	bool check_retain_source;
	bool allow_duplicate_messages;
	uint64_t max_inflight_bytes;

	char *password_file;
	char *acl_file;
	/* RFC 5803 SCRAM-SHA-256 secrets for MQTT 5 enhanced authentication (Authentication
	 * Method "SCRAM-SHA-256"); scoped like password_file */
	char *scram_password_file;
	/* the durable store (main.c opens it, broker_store.c wires it): `persistence` (alias
	 * `retained_persistence`), the directory (NULL: the current one, as Mosquitto) and file
	 * (NULL: store.h's STORE_DEFAULT_FILE), `persistence_sync full|normal`. autosave_* are
	 * checked and ignored: every change is written as it happens. */
	bool persistence;	/* default false */
	char *persistence_location;
	char *persistence_file;
	enum config_persistence_sync persistence_sync; /* default full */
	uint32_t autosave_interval;		       /* default 1800, ignored */
	bool autosave_on_changes;		       /* ignored */

	/* MQTT 5 server redirection (4.11), at most one set: new v5 CONNECTs get CONNACK 0x9C
	 * (use_another_server, temporary) or 0x9D (server_moved, permanent) with this Server
	 * Reference ("HOST[:PORT] ..." normalised to single spaces), v3 ones CONNACK 3; a reload
	 * that sets one disconnects the connected clients the same way. NULL: serve normally. */
	char *use_another_server;
	char *server_moved;

	enum config_fastpath fastpath; /* `fastpath auto|on|off`, default auto */
	/* `fastpath_flow_rates HIGH LOW` (frames/s): a kernel-path flow above HIGH moves to the
	 * daemon's batched path, one below LOW moves back; HIGH 0 keeps every flow on the kernel
	 * path. LOW <= HIGH. Defaults CONFIG_FP_RATE_HIGH, CONFIG_FP_RATE_LOW (measured). */
	uint32_t fastpath_rate_high, fastpath_rate_low;
	/* `shared_subscription_strategy round_robin|random|sticky|hash_topic` (EMQX's name) */
	enum config_share_strategy share_strategy;
	/* `fastpath_pin_dir DIR`: where the running daemon pins its fast-path status maps on a
	 * bpffs (read by `mqttgwd --fastpath-status`); NULL: CONFIG_FASTPATH_PIN_DIR; "none": no
	 * pins. */
	char *fastpath_pin_dir;
	char *pid_file;		       /* `pid_file` */
	/* mqttgwctl's control socket (include/ctl.h): `control_socket PATH` (NULL: none), its
	 * `control_socket_mode` (octal, default CONFIG_CTL_MODE) and owner/group names (NULL:
	 * the starting user's / group's); applied before the privilege drop (README "user"). */
	char *control_socket;
	uint32_t control_socket_mode;
	char *control_socket_user, *control_socket_group;

	/* The XDP guard (include/xdp_guard.h, README "XDP guard"): none of it without an
	 * xdp_interface. CIDRs are kept as written (checked by xdp_guard_parse_cidr at parse). */
	struct config_xdp_iface *xdp_ifaces; /* `xdp_interface IFNAME [MODE]`, repeatable */
	size_t n_xdp_ifaces;
	uint32_t xdp_syn_rate, xdp_syn_burst; /* `xdp_syn_rate N [BURST]`; 0: no SYN limit */
	char **xdp_allow, **xdp_deny;	      /* `xdp_allow CIDR`, `xdp_deny CIDR`, repeatable */
	size_t n_xdp_allow, n_xdp_deny;
	bool xdp_required;		/* `xdp_required true`: no guard -> refuse to start */
	uint32_t ban_auth_failures;	/* offences within ban_window that ban; 0: never ban */
	uint32_t ban_window, ban_time;	/* seconds; defaults CONFIG_BAN_WINDOW, CONFIG_BAN_TIME */
	uint32_t half_dead_timeout;	/* seconds (broker_diag.h); 0: off */
	/* `connection NAME` blocks (config_bridge.h), finished at the end of their file;
	 * hostname: this machine's, for their default remote_clientid (set by config_load) */
	struct config_bridge **bridges;
	size_t n_bridges;
	char *hostname;

	/* true: allow_anonymous, password_file and acl_file inside a listener block apply to that
	 * listener only (Mosquitto). Must come before any of them. Default false. */
	bool per_listener_settings;
	/* config.c's bookkeeping across include_dir files (keys already seen); not a setting */
	uint32_t parse_seen;
	/* where each file-naming key was set: see config_origin() */
	struct config_origin *origins;
	size_t n_origins;
};

/* The config line that set a string key: "file:line". */
struct config_origin {
	long listener;	 /* index in listeners[], -1 global */
	const char *key; /* the key table's name */
	char *where;
};

/*
 * "file:line" of the line that set `key` for listener l (its own value first, then the global
 * one; l NULL: the global one), or NULL (not set by a file: a default or the command line).
 * Lets a later check (a missing password file, a bad certificate) name the config line.
 */
const char *config_origin(const struct config *cfg, const struct config_listener *l,
			  const char *key);

/* The psk_file for this listener: its own, else the global one; NULL = none. */
const char *config_listener_psk_file(const struct config *cfg, const struct config_listener *l);

/* A config with every default set and no listener. NULL with errno on failure. */
struct config *config_new(void);
void config_free(struct config *cfg);

/*
 * Where the parser gets files from (the main file and include_dir's): the parser itself never
 * opens one. config_load() passes the file system (daemon/conf/config_load.c, L1); tests and
 * fuzzers pass memory. Both callbacks return 0 or -errno.
 */
struct config_source {
	/*
	 * The whole file at path: a malloc'd copy (NUL-terminated, not counted in *len) in *text,
	 * taken by the parser. Refuse directories (-EISDIR), files over max bytes (-EFBIG) and,
	 * when regular_only, anything but a regular file (-EINVAL). *op: the step that failed
	 * ("cannot open", "stat", "read", ...) for the message, or NULL when the code says it all.
	 */
	int (*read)(void *ctx, const char *path, size_t max, bool regular_only, char **text,
		    size_t *len, const char **op);
	/* The entry names of directory dir, any order: a malloc'd array of *n malloc'd strings,
	 * taken by the parser (free() each, then the array). */
	int (*list)(void *ctx, const char *dir, char ***names, size_t *n);
	void *ctx;
};

/*
 * Parse Mosquitto-style text into cfg (adding to what is there). `name` names the text in
 * errors. Unknown keys, bad values and missing arguments fail with "name:line: reason" in err.
 * `include_dir DIR` parses every "*.conf" file of DIR (from src) in Mosquitto's order into cfg;
 * with src NULL it is an error (included files cannot include further).
 * Returns 0 or -EINVAL (-ENOMEM). On error cfg is partly updated: free it.
 *
 * Scopes: listener keys apply to the last `listener` of the same text, or before one to the
 * default listener (see is_default). max_connections before any `listener` is the global cap.
 * Singletons: the last value wins. Booleans: true|false (and Mosquitto's 1|0).
 */
int config_parse_text(struct config *cfg, const char *text, size_t len, const char *name,
		      const struct config_source *src, char *err, size_t errlen);

/* Read path from src and parse it into cfg (include_dir supported). 0 or -errno + err
 * ("path: reason" when it cannot be read). */
int config_parse_file(struct config *cfg, const char *path, const struct config_source *src,
		      char *err, size_t errlen);

/* Read and parse a file from the file system: config_new() + config_parse_file(). New config
 * in *out, or -errno + err. Does not call config_finish(): the caller may add listeners
 * (command line) first. Not part of the pure module: daemon/conf/config_load.c (L1). */
int config_load(const char *path, struct config **out, char *err, size_t errlen);

/* Append a listener; `bind` may be NULL. Returns the listener (valid until the next add), or
 * NULL (ENOMEM). */
struct config_listener *config_add_listener(struct config *cfg, uint16_t port, const char *bind);

/*
 * Finish a parsed config: if no listener was configured, add 127.0.0.1:1883 (Mosquitto 2.0's
 * local-only mode). Apply cross-key defaults. Returns 0 or -EINVAL with err.
 */
int config_finish(struct config *cfg, char *err, size_t errlen);

/* Whether anonymous clients may connect on this listener: listener setting, else global,
 * else true only when the listener is bound to a loopback address (Mosquitto 2.0). */
bool config_listener_anonymous(const struct config *cfg, const struct config_listener *l);

/* The password_file / acl_file for this listener: its own, else the global one; NULL = none. */
const char *config_listener_password_file(const struct config *cfg,
					  const struct config_listener *l);
const char *config_listener_acl_file(const struct config *cfg, const struct config_listener *l);
const char *config_listener_scram_file(const struct config *cfg, const struct config_listener *l);

#endif /* MQTTGW_CONFIG_H */
