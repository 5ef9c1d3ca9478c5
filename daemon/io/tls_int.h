/* SPDX-License-Identifier: MIT */
/* tls internals shared by tls.c and tls_client.c (not for other modules). */
#ifndef MQTTGW_TLS_INT_H
#define MQTTGW_TLS_INT_H

#include <openssl/ssl.h>

#include "tls.h"

/* Wrap an SSL_CTX (taken) in a refcounted tls_ctx usable with tls_conn_attach. NULL on ENOMEM
 * (s is freed). */
struct tls_ctx *tls_ctx_adopt(SSL_CTX *s);
/* The SSL of a connection attached with tls_conn_attach (handshake done or not). */
SSL *tls_conn_ssl(struct conn *c);

#endif /* MQTTGW_TLS_INT_H */
