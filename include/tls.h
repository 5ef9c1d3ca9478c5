/* SPDX-License-Identifier: MIT */
/*
 * tls: TLS listeners (L1), the only module that includes OpenSSL's SSL API. Mosquitto's
 * listener keys (see mosquitto.conf(5), "Certificate based SSL/TLS Support"):
 *   certfile, keyfile   server certificate (chain: leaf first, then intermediates) and key;
 *                       both present make a listener TLS (config_finish checks the pair)
 *   cafile, capath      CAs trusted for client certificates
 *   crlfile             revoked client certificates (PEM); every client certificate is then
 *                       checked, and one whose CA has no CRL in the file is refused
 *   tls_version         minimum version: tlsv1.3, tlsv1.2 (default), tlsv1.1 (if the system
 *                       OpenSSL still allows it)
 *   ciphers             TLS 1.2 cipher list; ciphers_tls1.3: TLS 1.3 ciphersuites
 *   require_certificate client certificate requested and required; false: none requested
 *   use_identity_as_username / use_subject_as_username: see tls_peer_identity()
 * Sessions resume through the context's session cache (TLS 1.2 session ids) and tickets
 * (TLS 1.2 and 1.3); ticket keys are per context, so a reload (new context) makes every
 * client do a full handshake again, against the new CA and CRL files.
 *
 * A context is refcounted: each connection holds a reference, so a SIGHUP can swap in a new
 * context for new connections while established ones keep theirs.
 *
 * Connections: conn_new(l, fd, &conn_tls, ops, owner), then tls_conn_attach() before the loop
 * runs again. The handshake runs inside conn's reads: until it completes, reads and writes
 * return -1/EAGAIN and the owner's on_read sees application data only. A failed handshake
 * closes the connection with one rate-limited log line naming the peer and the reason; an
 * unfinished one is the owner's connect timeout to enforce.
 */
#ifndef MQTTGW_TLS_H
#define MQTTGW_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"

struct config_listener;
struct tls_ctx;

/* A server context for listener l (borrowed; its files are read now). l must have certfile
 * and keyfile. NULL with errno and a message naming the key and file in err. */
struct tls_ctx *tls_ctx_new(const struct config_listener *l, char *err, size_t errlen);
struct config;
/*
 * The context of listener l as the broker serves it: its certificate (tls_ctx_new, or the key
 * from tls_engine) and/or TLS-PSK (psk_hint; the keys of config_listener_psk_file(), read
 * now: a reload makes a new context). l must have certfile or psk_hint. NULL with errno as
 * tls_ctx_new; *bad_key (may be NULL) names the key whose file or value failed.
 */
struct tls_ctx *tls_ctx_listener(const struct config *cfg, const struct config_listener *l,
				 const char **bad_key, char *err, size_t errlen);
struct tls_ctx *tls_ctx_ref(struct tls_ctx *t);

/*
 * Build listener l's context as a start would (certificate, key, CA, CRL, DH parameters,
 * ciphers) and free it: `mqttgwd -t`. 0, or -EINVAL with err "file:line: listener N: key
 * path: reason" (the config line that set the offending key), -ENOMEM.
 */
int tls_ctx_check(const struct config *cfg, const struct config_listener *l, char *err,
		  size_t errlen);
/* Drop a reference (NULL is fine); the last one frees the context. */
void tls_ctx_unref(struct tls_ctx *t);
/* Stop the handshake workers (at exit, once every connection is closed): joins them and frees
 * what connections closed during a step left behind. */
void tls_handshake_pool_free(void);

extern const struct conn_transport conn_tls;

/* Make c, made with &conn_tls, a TLS server connection under ctx (a reference is taken).
 * 0 or -ENOMEM (then conn_close(c) releases what was set up). */
int tls_conn_attach(struct conn *c, struct tls_ctx *ctx);

enum tls_identity {
	TLS_ID_CN,	/* use_identity_as_username: the subject's (first) Common Name, UTF-8 */
	TLS_ID_SUBJECT, /* use_subject_as_username: the whole subject, RFC 2253 ("CN=a,O=b,C=GB") */
	TLS_ID_PSK,	/* use_identity_as_username on a psk_hint listener: the PSK identity */
};

/*
 * The client certificate's identity, NUL-terminated in buf, as Mosquitto derives the user
 * name. Returns its length, or -ENOTCONN (not TLS, or no finished handshake), -ENOENT (no
 * client certificate, or no CN; TLS_ID_PSK: not a PSK handshake), -EBADMSG (a CN that is
 * not text: NUL inside, bad encoding), -ENOSPC (buf too small), -ENOMEM.
 */
int tls_peer_identity(const struct conn *c, enum tls_identity which, char *buf, size_t len);

struct tls_info {
	const char *version; /* "TLSv1.3" */
	const char *cipher;  /* "TLS_AES_256_GCM_SHA384" */
	bool resumed;	     /* the session was resumed (no full handshake) */
	bool peer_cert;	     /* the client presented a (verified) certificate */
};
/* After the handshake: 0 with *info filled (strings are static), or -ENOTCONN. */
int tls_conn_info(const struct conn *c, struct tls_info *info);

#endif /* MQTTGW_TLS_H */
