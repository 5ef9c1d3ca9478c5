/* SPDX-License-Identifier: MIT */
/*
 * tls_client: client-side TLS contexts for outgoing connections (the bridge's uplink), part of
 * the tls module (the only one that includes OpenSSL's SSL API). Connections use the same
 * conn_tls transport as the listeners: conn_new(l, fd, &conn_tls, ...), tls_client_attach(),
 * then a read (conn_read_idle) starts the handshake, since a client speaks first.
 */
#ifndef MQTTGW_TLS_CLIENT_H
#define MQTTGW_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "tls.h"

struct tls_client_opts {
	const char *cafile, *capath;	/* CAs trusted for the server (at least one) */
	const char *certfile, *keyfile; /* client certificate, or NULL */
	const char *tls_version;	/* minimum: "tlsv1.1", "tlsv1.2" (default), "tlsv1.3" */
	const char *alpn;		/* one protocol name, or NULL */
};

/* NULL with errno and a sentence naming the option and file in err. Release: tls_ctx_unref. */
struct tls_ctx *tls_client_ctx_new(const struct tls_client_opts *o, char *err, size_t errlen);
/* Make c (made with &conn_tls) a client connection to `host` (SNI when it is a name; the
 * certificate must match host unless verify_host is false, Mosquitto's bridge_insecure).
 * 0 or -ENOMEM. */
int tls_client_attach(struct conn *c, struct tls_ctx *ctx, const char *host, bool verify_host);

#endif /* MQTTGW_TLS_CLIENT_H */
