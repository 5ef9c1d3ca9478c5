/* SPDX-License-Identifier: MIT */
/*
 * tls_ctx: server contexts of the tls module (include/tls.h): a listener's certificate, key
 * (a PEM file or an engine's, tls_keys.c), CA, CRL, DH parameters, versions, ciphers and PSK;
 * refcounted, so a reload swaps contexts while connections keep theirs. The transport that
 * uses them is tls.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config.h"
#include "log.h"
#include "psk.h"
#include "tls.h"
#include "tls_int.h"

static unsigned int n_ctx; /* contexts alive: the BIO method goes with the last one */
_Thread_local char tls_verify_detail[256]; /* per thread: handshake steps also run on workers */

/* The subject in RFC 2253 form, as Mosquitto's use_subject_as_username. Length or -errno. */
int tls_name_rfc2253(const X509_NAME *name, char *buf, size_t len)
{
	BIO *m = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int ret;

	if (!m)
		return -ENOMEM;
	if (X509_NAME_print_ex(m, name, 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(m);
		return -ENOMEM;
	}
	n = BIO_get_mem_data(m, &p);
	if (n < 0 || (size_t)n >= len) {
		ret = -ENOSPC;
	} else {
		memcpy(buf, p, (size_t)n);
		buf[n] = '\0';
		ret = (int)n;
	}
	BIO_free(m);
	return ret;
}

static int verify_cb(int ok, X509_STORE_CTX *x)
{
	if (!ok && !tls_verify_detail[0]) {
		X509 *cert = X509_STORE_CTX_get_current_cert(x);
		char subj[160] = "?";

		if (cert && tls_name_rfc2253(X509_get_subject_name(cert), subj, sizeof(subj)) < 0)
			snprintf(subj, sizeof(subj), "?");
		snprintf(tls_verify_detail, sizeof(tls_verify_detail), "%s (depth %d: %s)",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)),
			 X509_STORE_CTX_get_error_depth(x), subj);
	}
	return ok;
}

/* A daemon has no terminal to ask a passphrase on: refuse, and remember that we were asked. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)u = true;
	return 0;
}

const char *tls_ssl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown OpenSSL error";
}

/* The key whose value the last failed ctx_setup() refused, for tls_ctx_check()'s file:line
 * (the daemon is single-threaded, as for rx_scratch). */
static const char *ctx_bad_key;

/* "listener 8883: certfile /x: reason" (the file is checked for access first: clearer). */
static int ctx_file_err(const struct config_listener *l, const char *key, const char *path,
			int mode, char *err, size_t errlen)
{
	ctx_bad_key = key;
	if (access(path, mode) < 0)
		snprintf(err, errlen, "listener %u: %s %s: %s", l->port, key, path,
			 strerror(errno));
	else
		snprintf(err, errlen, "listener %u: %s %s: %s", l->port, key, path,
			 tls_ssl_reason());
	return -EINVAL;
}

/*
 * dhparamfile: Mosquitto's meaning, the DH group of the TLS 1.2 DHE key exchanges; without it
 * OpenSSL offers no DHE suite at all (only ECDHE).
 */
static int ctx_dhparam(SSL_CTX *s, const struct config_listener *l, char *err, size_t errlen)
{
	BIO *bio = BIO_new_file(l->dhparamfile, "r");
	EVP_PKEY *dh = bio ? PEM_read_bio_Parameters(bio, NULL) : NULL;

	BIO_free(bio);
	if (dh && EVP_PKEY_is_a(dh, "DH") && SSL_CTX_set0_tmp_dh_pkey(s, dh) == 1)
		return 0;
	EVP_PKEY_free(dh);
	return ctx_file_err(l, "dhparamfile", l->dhparamfile, R_OK, err, errlen);
}

/* certfile, keyfile (a PEM file, or the key of tls_engine), DH parameters, CA, CRL */
static int ctx_cert(struct tls_ctx *t, const struct config_listener *l, char *err, size_t errlen)
{
	SSL_CTX *s = t->ssl;
	bool asked = false;

	if (SSL_CTX_use_certificate_chain_file(s, l->certfile) != 1)
		return ctx_file_err(l, "certfile", l->certfile, R_OK, err, errlen);
	if (l->tls_engine && tls_engine_key(s, l, &t->engine, &ctx_bad_key, err, errlen) < 0)
		return -EINVAL;
	SSL_CTX_set_default_passwd_cb(s, no_passphrase);
	SSL_CTX_set_default_passwd_cb_userdata(s, &asked);
	if (l->tls_keyform == CONFIG_KEYFORM_PEM &&
	    SSL_CTX_use_PrivateKey_file(s, l->keyfile, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			goto err_mismatch;
		if (!asked)
			return ctx_file_err(l, "keyfile", l->keyfile, R_OK, err, errlen);
		ctx_bad_key = "keyfile";
		snprintf(err, errlen, "listener %u: keyfile %s: encrypted keys are not supported",
			 l->port, l->keyfile);
		return -EINVAL;
	}
	SSL_CTX_set_default_passwd_cb_userdata(s, NULL);
	SSL_CTX_set_default_passwd_cb(s, NULL);
	if (SSL_CTX_check_private_key(s) != 1)
		goto err_mismatch;
	if (l->dhparamfile && ctx_dhparam(s, l, err, errlen) < 0)
		return -EINVAL;
	if (l->cafile && SSL_CTX_load_verify_file(s, l->cafile) != 1)
		return ctx_file_err(l, "cafile", l->cafile, R_OK, err, errlen);
	if (l->capath && SSL_CTX_load_verify_dir(s, l->capath) != 1)
		return ctx_file_err(l, "capath", l->capath, R_OK | X_OK, err, errlen);
	if (l->cafile) {
		/* Name the accepted CAs in the CertificateRequest: clients with several
		 * certificates pick the right one. */
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(l->cafile);

		if (names)
			SSL_CTX_set_client_CA_list(s, names);
	}
	if (l->crlfile) {
		X509_STORE *st = SSL_CTX_get_cert_store(s);
		X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());

		if (!lu || X509_load_crl_file(lu, l->crlfile, X509_FILETYPE_PEM) <= 0)
			return ctx_file_err(l, "crlfile", l->crlfile, R_OK, err, errlen);
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	return 0;

err_mismatch:
	ctx_bad_key = "keyfile";
	snprintf(err, errlen, "listener %u: keyfile %s does not match certfile %s", l->port,
		 l->keyfile, l->certfile);
	return -EINVAL;
}

static int ctx_setup(struct tls_ctx *t, const struct config_listener *l, char *err, size_t errlen)
{
	SSL_CTX *s = t->ssl;
	int minv = TLS1_2_VERSION;
	char sid[32];

	if (l->tls_version && !strcmp(l->tls_version, "tlsv1.3"))
		minv = TLS1_3_VERSION;
	else if (l->tls_version && !strcmp(l->tls_version, "tlsv1.1"))
		minv = TLS1_1_VERSION;
	else if (l->tls_version && strcmp(l->tls_version, "tlsv1.2"))
		goto err_version;
	if (!SSL_CTX_set_min_proto_version(s, minv))
		goto err_version;
	SSL_CTX_set_options(s, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
				   SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				SSL_MODE_RELEASE_BUFFERS);
	ctx_bad_key = "ciphers";
	if (l->ciphers && !SSL_CTX_set_cipher_list(s, l->ciphers)) {
		snprintf(err, errlen, "listener %u: ciphers %s: %s", l->port, l->ciphers,
			 tls_ssl_reason());
		return -EINVAL;
	}
	ctx_bad_key = "ciphers_tls1.3";
	if (l->ciphers_tls13 && !SSL_CTX_set_ciphersuites(s, l->ciphers_tls13)) {
		snprintf(err, errlen, "listener %u: ciphers_tls1.3 %s: %s", l->port,
			 l->ciphers_tls13, tls_ssl_reason());
		return -EINVAL;
	}
	if (l->certfile && ctx_cert(t, l, err, errlen) < 0)
		return -EINVAL;
	/* Mosquitto: no client certificate is even requested unless it is required. */
	SSL_CTX_set_verify(s,
			   l->require_certificate
			       ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
			       : SSL_VERIFY_NONE,
			   verify_cb);
	/* Sessions: a server-side cache (TLS 1.2 session ids) and tickets (on by default). A
	 * session id context is required to resume sessions of verified clients. */
	snprintf(sid, sizeof(sid), "mqttgw-%u", l->port);
	SSL_CTX_set_session_id_context(s, (const unsigned char *)sid, (unsigned int)strlen(sid));
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_SERVER);
	ctx_bad_key = "psk_hint";
	if (l->psk_hint && tls_psk_setup(s, l->psk_hint, t->psk) < 0) {
		snprintf(err, errlen, "listener %u: psk_hint %s: %s", l->port, l->psk_hint,
			 tls_ssl_reason());
		return -EINVAL;
	}
	return 0;

err_version:
	ctx_bad_key = "tls_version";
	snprintf(err, errlen, "listener %u: tls_version %s: not supported (tlsv1.2, tlsv1.3)",
		 l->port, l->tls_version ? l->tls_version : "tlsv1.2");
	return -EINVAL;
}

static void ctx_warn_expiry(SSL_CTX *s, const struct config_listener *l)
{
	X509 *cert = SSL_CTX_get0_certificate(s);

	if (cert && l->certfile && X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
		log_warn("Warning: listener %u: the certificate in %s has expired.", l->port,
			 l->certfile);
	else if (cert && X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
		log_warn("Warning: listener %u: the certificate in %s is not valid yet.", l->port,
			 l->certfile);
}

/* A context for l; psk (taken, may be NULL) answers PSK handshakes when l has psk_hint. */
static struct tls_ctx *ctx_build(const struct config_listener *l, struct psk_db *psk, char *err,
				 size_t errlen)
{
	struct tls_ctx *t;
	int ret;

	if ((!l->certfile || !l->keyfile) && !l->psk_hint) {
		snprintf(err, errlen, "listener %u: TLS needs certfile and keyfile", l->port);
		psk_free(psk);
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !tls_bio_method())
		goto err_nomem;
	ERR_clear_error();
	t->ssl = SSL_CTX_new(TLS_server_method());
	if (!t->ssl)
		goto err_nomem;
	t->refs = 1;
	t->psk = psk;
	psk = NULL;
	n_ctx++;
	ret = ctx_setup(t, l, err, errlen);
	ERR_clear_error();
	if (ret < 0) {
		tls_ctx_unref(t);
		errno = -ret;
		return NULL;
	}
	ctx_warn_expiry(t->ssl, l);
	return t;

err_nomem:
	ERR_clear_error();
	psk_free(psk);
	free(t);
	if (!n_ctx) {
		tls_bio_method_free();
	}
	snprintf(err, errlen, "listener %u: TLS: out of memory", l->port);
	errno = ENOMEM;
	return NULL;
}

struct tls_ctx *tls_ctx_new(const struct config_listener *l, char *err, size_t errlen)
{
	ctx_bad_key = "certfile";
	return ctx_build(l, NULL, err, errlen);
}

struct tls_ctx *tls_ctx_listener(const struct config *cfg, const struct config_listener *l,
				 const char **bad_key, char *err, size_t errlen)
{
	const char *pf = l->psk_hint ? config_listener_psk_file(cfg, l) : NULL;
	struct psk_db *psk = NULL;
	struct tls_ctx *t;
	char msg[400];

	ctx_bad_key = "certfile";
	if (pf && !(psk = psk_load(pf, msg, sizeof(msg)))) {
		int e = errno;

		ctx_bad_key = "psk_file";
		snprintf(err, errlen, "listener %u: psk_file %s", l->port, msg);
		errno = e;
	} else {
		if (l->psk_hint && !pf)
			log_warn("Warning: listener %u has psk_hint but no psk_file applies: every "
				 "PSK handshake will fail.",
				 l->port);
		t = ctx_build(l, psk, err, errlen);
		if (t)
			return t;
	}
	if (bad_key)
		*bad_key = ctx_bad_key;
	return NULL;
}

int tls_ctx_check(const struct config *cfg, const struct config_listener *l, char *err,
		  size_t errlen)
{
	struct tls_ctx *t;
	const char *where, *bad = NULL;
	char msg[512];

	t = tls_ctx_listener(cfg, l, &bad, msg, sizeof(msg));
	if (t) {
		tls_ctx_unref(t);
		return 0;
	}
	if (errno == ENOMEM) {
		snprintf(err, errlen, "%s", msg);
		return -ENOMEM;
	}
	where = config_origin(cfg, l, bad ? bad : "certfile");
	snprintf(err, errlen, "%s%s%s", where ? where : "", where ? ": " : "", msg);
	return -EINVAL;
}

struct tls_ctx *tls_ctx_ref(struct tls_ctx *t)
{
	t->refs++;
	return t;
}

void tls_ctx_unref(struct tls_ctx *t)
{
	if (!t || --t->refs)
		return;
	SSL_CTX_free(t->ssl);
	psk_free(t->psk);
	tls_engine_release(t->engine);
	free(t);
	if (!--n_ctx) {
		tls_bio_method_free();
	}
}

struct tls_ctx *tls_ctx_adopt(SSL_CTX *s)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));

	if (!t || !tls_bio_method()) {
		free(t);
		SSL_CTX_free(s);
		if (!n_ctx) {
			tls_bio_method_free();
		}
		return NULL;
	}
	t->ssl = s;
	t->refs = 1;
	n_ctx++;
	return t;
}
