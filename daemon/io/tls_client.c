/* SPDX-License-Identifier: MIT */
/*
 * tls_client: client contexts and connections over the conn_tls transport. See
 * include/tls_client.h. The transport (BIO, reads, writes) is tls.c's; only the context
 * (verify the server, present our certificate) and the connect state differ.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls_client.h"
#include "tls_int.h"

static int client_err(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	snprintf(err, errlen, "%s %s: %s", what, path ? path : "", why ? why : "failed");
	ERR_clear_error();
	return -EINVAL;
}

static int client_setup(SSL_CTX *s, const struct tls_client_opts *o, char *err, size_t errlen)
{
	int minv = TLS1_2_VERSION;

	if (o->tls_version && !strcmp(o->tls_version, "tlsv1.3"))
		minv = TLS1_3_VERSION;
	else if (o->tls_version && !strcmp(o->tls_version, "tlsv1.1"))
		minv = TLS1_1_VERSION;
	if (!SSL_CTX_set_min_proto_version(s, minv))
		return client_err(err, errlen, "bridge_tls_version", o->tls_version);
	SSL_CTX_set_options(s, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				SSL_MODE_RELEASE_BUFFERS);
	if (o->cafile && SSL_CTX_load_verify_file(s, o->cafile) != 1)
		return client_err(err, errlen, "bridge_cafile", o->cafile);
	if (o->capath && SSL_CTX_load_verify_dir(s, o->capath) != 1)
		return client_err(err, errlen, "bridge_capath", o->capath);
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER, NULL);
	if (o->certfile && SSL_CTX_use_certificate_chain_file(s, o->certfile) != 1)
		return client_err(err, errlen, "bridge_certfile", o->certfile);
	if (o->keyfile && (SSL_CTX_use_PrivateKey_file(s, o->keyfile, SSL_FILETYPE_PEM) != 1 ||
			   SSL_CTX_check_private_key(s) != 1))
		return client_err(err, errlen, "bridge_keyfile", o->keyfile);
	if (o->alpn) {
		size_t n = strlen(o->alpn);
		unsigned char wire[256];

		if (!n || n > 255)
			return client_err(err, errlen, "bridge_alpn", o->alpn);
		wire[0] = (unsigned char)n;
		memcpy(wire + 1, o->alpn, n);
		if (SSL_CTX_set_alpn_protos(s, wire, (unsigned int)n + 1))
			return client_err(err, errlen, "bridge_alpn", o->alpn);
	}
	return 0;
}

struct tls_ctx *tls_client_ctx_new(const struct tls_client_opts *o, char *err, size_t errlen)
{
	SSL_CTX *s;
	int ret;

	ERR_clear_error();
	s = SSL_CTX_new(TLS_client_method());
	if (!s) {
		snprintf(err, errlen, "TLS: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ret = client_setup(s, o, err, errlen);
	if (ret < 0) {
		SSL_CTX_free(s);
		errno = -ret;
		return NULL;
	}
	struct tls_ctx *t = tls_ctx_adopt(s);

	if (!t) {
		snprintf(err, errlen, "TLS: out of memory");
		errno = ENOMEM;
	}
	return t;
}

int tls_client_attach(struct conn *c, struct tls_ctx *ctx, const char *host, bool verify_host)
{
	unsigned char any[16];
	bool is_ip = inet_pton(AF_INET, host, any) == 1 || inet_pton(AF_INET6, host, any) == 1;
	int ret = tls_conn_attach(c, ctx);
	SSL *s;

	if (ret < 0)
		return ret;
	s = tls_conn_ssl(c);
	SSL_set_connect_state(s);
	/* SNI is for names only (RFC 6066); an address is checked against the IP SANs */
	if (!is_ip && !SSL_set_tlsext_host_name(s, host))
		goto err;
	if (verify_host) {
		if (is_ip) {
			X509_VERIFY_PARAM *p = SSL_get0_param(s);

			if (!X509_VERIFY_PARAM_set1_ip_asc(p, host))
				goto err;
		} else if (!SSL_set1_host(s, host)) {
			goto err;
		}
	}
	return 0;
err:
	ERR_clear_error();
	return -ENOMEM;
}
