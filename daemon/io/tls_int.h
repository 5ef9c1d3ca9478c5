/* SPDX-License-Identifier: MIT */
/* tls internals shared by tls.c and tls_client.c (not for other modules). */
#ifndef MQTTGW_TLS_INT_H
#define MQTTGW_TLS_INT_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"

struct psk_db;

/* A server (or, adopted, client) context: tls_ctx.c makes and frees them, tls.c attaches
 * connections to them. */
struct tls_ctx {
	SSL_CTX *ssl;
	unsigned int refs;
	struct psk_db *psk; /* psk_hint: the identities the PSK callback answers from */
	ENGINE *engine;	    /* tls_engine: a functional reference, for the key it holds */
};

/* tls.c: the BIO method between OpenSSL and our sockets, made on first use (NULL: ENOMEM);
 * tls_ctx.c frees it with the last context. */
BIO_METHOD *tls_bio_method(void);
void tls_bio_method_free(void);
/* tls_ctx.c: why the certificate check of the handshake in progress failed (one thread, one
 * handshake at a time inside SSL_do_handshake); tls.c clears it before each handshake step. */
extern _Thread_local char tls_verify_detail[256];
/* tls_ctx.c: the reason of OpenSSL's first queued error, or a placeholder. */
const char *tls_ssl_reason(void);
/* tls_ctx.c: a subject in RFC 2253 form (use_subject_as_username). Length or -errno. */
int tls_name_rfc2253(const X509_NAME *name, char *buf, size_t len);

/* Wrap an SSL_CTX (taken) in a refcounted tls_ctx usable with tls_conn_attach. NULL on ENOMEM
 * (s is freed). */
struct tls_ctx *tls_ctx_adopt(SSL_CTX *s);
/* The SSL of a connection attached with tls_conn_attach (handshake done or not). */
SSL *tls_conn_ssl(struct conn *c);

struct config_listener;

/* tls_keys.c: answer PSK handshakes on s from db (borrowed: the tls_ctx owns it) with hint.
 * 0, or -EINVAL (hint refused). */
int tls_psk_setup(SSL_CTX *s, const char *hint, const struct psk_db *db);
/* The PSK identity the handshake of ssl was accepted for, or NULL (not a PSK handshake). */
const char *tls_psk_identity(const SSL *ssl);
/* tls_keys.c: l's tls_engine, initialised into *e (release with tls_engine_release), and with
 * tls_keyform engine, l's keyfile loaded through it as s's private key. 0, or -EINVAL/-ENOMEM
 * with "listener N: key ...: reason" in err and the key in *bad_key. */
int tls_engine_key(SSL_CTX *s, const struct config_listener *l, ENGINE **e, const char **bad_key,
		   char *err, size_t errlen);
void tls_engine_release(ENGINE *e);

#endif /* MQTTGW_TLS_INT_H */
