/* SPDX-License-Identifier: MIT */
/*
 * tls: OpenSSL server contexts and the conn_tls transport. See include/tls.h.
 *
 * Reads. OpenSSL reads ciphertext through our BIO, which reads the socket at most once per
 * tls_read() into a scratch buffer shared by every connection (the daemon is single-threaded)
 * and hands out record headers and bodies from there, as OpenSSL asks for them (no read-ahead:
 * OpenSSL never holds more than the record it is working on). So a read costs one syscall for
 * many records, and we know exactly what is left: whole records still in our buffer, or
 * decrypted bytes that did not fit (SSL_pending). Either makes conn come back at once
 * (CONN_TP_READ_PENDING), since no socket event will announce it; a partial record is
 * always inside OpenSSL, and the rest of it comes with the next EPOLLIN. What is left in the
 * scratch buffer when tls_read() returns is copied to the connection (rarely: only when the
 * caller's buffer was full).
 *
 * Writes. Small iovecs are coalesced into full 16 KiB records, large ones are sent from place.
 * When SSL_write stops on EAGAIN, OpenSSL may already have encrypted the bytes into a record
 * it must send unchanged, so the transport keeps a copy of them (wpend), reports them as
 * taken, and resends exactly them first next time (CONN_TP_WRITE_PENDING makes conn call
 * again even when its queue is empty). conn's output queue can thus drop or move what it
 * still holds, as with tcp.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

#define TLS_RECORD_MAX 16384		      /* largest record payload */
#define TLS_RX_SCRATCH (64 * 1024)	      /* ciphertext read from the socket at once */
#define TLS_RX_MIN     (TLS_RECORD_MAX + 512) /* ... and at least (a full record with overhead) */

struct tls_ctx {
	SSL_CTX *ssl;
	unsigned int refs;
	struct psk_db *psk; /* psk_hint: the identities the PSK callback answers from */
	ENGINE *engine;	    /* tls_engine: a functional reference, for the key it holds */
};

struct tls_conn {
	SSL *ssl;
	struct tls_ctx *ctx;
	int fd;
	/* ciphertext read and not yet given to OpenSSL: rx[rx_off..rx_len) (rx_scratch during a
	 * tls_read call, else rx_own or NULL) */
	const uint8_t *rx;
	uint8_t *rx_own;
	uint32_t rx_off, rx_len;
	uint32_t rx_want; /* bytes to ask the socket for */
	bool may_read;	  /* the BIO may read the socket (once per tls_read) */
	bool eof;	  /* the socket said end of stream */
	bool hs_done;
	int sys_err; /* errno of the last failed socket call */
	int failed;  /* errno once the session is broken: every later call fails with it */
	/* plaintext taken but not yet sent: wpend[wpend_off..wpend_len), resent first */
	uint8_t *wpend;
	uint32_t wpend_off, wpend_len;
};

static uint8_t rx_scratch[TLS_RX_SCRATCH];
static uint8_t tx_scratch[TLS_RECORD_MAX];
static BIO_METHOD *bio_method;
static unsigned int n_ctx; /* contexts alive: the BIO method goes with the last one */
/* Why the certificate check of the handshake in progress failed (one thread, one handshake
 * at a time inside SSL_do_handshake). */
static char verify_detail[256];

/* ---- the BIO between OpenSSL and the socket ---- */

static void rx_drop(struct tls_conn *t)
{
	free(t->rx_own);
	t->rx_own = NULL;
	t->rx = NULL;
	t->rx_off = t->rx_len = 0;
}

static int bio_read(BIO *b, char *out, int outl)
{
	struct tls_conn *t = BIO_get_data(b);
	uint32_t n;

	BIO_clear_retry_flags(b);
	if (outl <= 0)
		return 0;
	if (t->rx_off == t->rx_len) {
		ssize_t r;

		rx_drop(t);
		if (!t->may_read) {
			BIO_set_retry_read(b);
			return -1;
		}
		t->may_read = false;
		r = read(t->fd, rx_scratch, t->rx_want);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				BIO_set_retry_read(b);
			else
				t->sys_err = errno;
			return -1;
		}
		if (r == 0) {
			t->eof = true;
			return 0;
		}
		t->rx = rx_scratch;
		t->rx_len = (uint32_t)r;
	}
	n = t->rx_len - t->rx_off;
	if (n > (uint32_t)outl)
		n = (uint32_t)outl;
	memcpy(out, t->rx + t->rx_off, n);
	t->rx_off += n;
	return (int)n;
}

static int bio_write(BIO *b, const char *in, int inl)
{
	struct tls_conn *t = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = send(t->fd, in, (size_t)inl, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		BIO_set_retry_write(b);
	else
		t->sys_err = errno;
	return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	/* Writes go straight to the socket: nothing to flush. Nothing else is supported. */
	return cmd == BIO_CTRL_FLUSH;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *bio_method_get(void)
{
	int idx;
	BIO_METHOD *m;

	if (bio_method)
		return bio_method;
	idx = BIO_get_new_index();
	m = idx < 0 ? NULL : BIO_meth_new(idx | BIO_TYPE_SOURCE_SINK, "mqttgw conn");
	if (!m || !BIO_meth_set_read(m, bio_read) || !BIO_meth_set_write(m, bio_write) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
		BIO_meth_free(m);
		return NULL;
	}
	bio_method = m;
	return m;
}

/* Leave nothing in the shared scratch buffer: copy what is left to the connection. */
static int rx_stash(struct tls_conn *t)
{
	uint32_t left = t->rx_len - t->rx_off;
	uint8_t *p;

	if (!left) {
		rx_drop(t);
		return 0;
	}
	if (t->rx != rx_scratch)
		return 0;
	p = malloc(left);
	if (!p) {
		t->rx = NULL;
		t->rx_off = t->rx_len = 0;
		return -ENOMEM;
	}
	memcpy(p, rx_scratch + t->rx_off, left);
	t->rx = t->rx_own = p;
	t->rx_off = 0;
	t->rx_len = left;
	return 0;
}

/* A whole record waits in our buffer (it starts at a record boundary: without read-ahead
 * OpenSSL takes exactly one header and one body at a time). */
static bool rx_has_record(const struct tls_conn *t)
{
	uint32_t left = t->rx_len - t->rx_off;
	const uint8_t *p = t->rx + t->rx_off;

	return left >= 5 && left >= 5 + ((uint32_t)p[3] << 8 | p[4]);
}

/* ---- contexts ---- */

/* The subject in RFC 2253 form, as Mosquitto's use_subject_as_username. Length or -errno. */
static int name_rfc2253(const X509_NAME *name, char *buf, size_t len)
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
	if (!ok && !verify_detail[0]) {
		X509 *cert = X509_STORE_CTX_get_current_cert(x);
		char subj[160] = "?";

		if (cert && name_rfc2253(X509_get_subject_name(cert), subj, sizeof(subj)) < 0)
			snprintf(subj, sizeof(subj), "?");
		snprintf(verify_detail, sizeof(verify_detail), "%s (depth %d: %s)",
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

static const char *ssl_reason(void)
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
		snprintf(err, errlen, "listener %u: %s %s: %s", l->port, key, path, ssl_reason());
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
			 ssl_reason());
		return -EINVAL;
	}
	ctx_bad_key = "ciphers_tls1.3";
	if (l->ciphers_tls13 && !SSL_CTX_set_ciphersuites(s, l->ciphers_tls13)) {
		snprintf(err, errlen, "listener %u: ciphers_tls1.3 %s: %s", l->port,
			 l->ciphers_tls13, ssl_reason());
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
			 ssl_reason());
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
	if (!t || !bio_method_get())
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
		BIO_meth_free(bio_method);
		bio_method = NULL;
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
		BIO_meth_free(bio_method);
		bio_method = NULL;
	}
}

/* ---- the transport ---- */

int tls_conn_attach(struct conn *c, struct tls_ctx *ctx)
{
	struct tls_conn *t;
	BIO *bio;

	assert(c->tp == &conn_tls && !c->tp_state);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = c->fd;
	t->ssl = SSL_new(ctx->ssl);
	bio = BIO_new(bio_method);
	if (!t->ssl || !bio) {
		BIO_free(bio);
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return -ENOMEM;
	}
	BIO_set_data(bio, t);
	SSL_set_bio(t->ssl, bio, bio); /* one reference, taken by the SSL */
	SSL_set_accept_state(t->ssl);
	t->ctx = tls_ctx_ref(ctx);
	c->tp_state = t;
	return 0;
}

static void tls_handshake_done(struct conn *c, struct tls_conn *t)
{
	t->hs_done = true;
	if (log_enabled(CONFIG_LOG_DEBUG))
		log_debug("TLS handshake with %s: %s, %s%s%s.", c->peer, SSL_get_version(t->ssl),
			  SSL_get_cipher_name(t->ssl),
			  tls_psk_identity(t->ssl)    ? ", PSK identity "
			  : SSL_session_reused(t->ssl) ? ", session resumed"
						       : "",
			  tls_psk_identity(t->ssl) ? tls_psk_identity(t->ssl) : "");
}

/*
 * What an OpenSSL error means for the connection: -EAGAIN (wait), 0 (end of stream), or
 * -errno (broken). TLS failures are logged here, once, rate-limited.
 */
static int tls_error(struct conn *c, struct tls_conn *t, int err)
{
	static struct log_ratelimit rl;
	char why[384];
	unsigned long e;

	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return -EAGAIN;
	if (err == SSL_ERROR_ZERO_RETURN || t->eof) {
		/* close_notify, or the peer just closed (also during the handshake: port
		 * probes are not worth a log line) */
		ERR_clear_error();
		return 0;
	}
	if (err == SSL_ERROR_SYSCALL && t->sys_err) {
		ERR_clear_error();
		return -t->sys_err;
	}
	e = ERR_peek_error();
	if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED &&
	    verify_detail[0])
		snprintf(why, sizeof(why), "%s: %s", ssl_reason(), verify_detail);
	else
		snprintf(why, sizeof(why), "%s", ssl_reason());
	if (t->hs_done)
		log_msg_rl(&rl, CONFIG_LOG_INFO, "TLS error on the connection from %s: %s.",
			   c->peer, why);
	else
		log_msg_rl(&rl, CONFIG_LOG_INFO, "TLS handshake with %s failed: %s.", c->peer, why);
	ERR_clear_error();
	return -EPROTO;
}

static ssize_t tls_read(struct conn *c, void *buf, size_t len)
{
	struct tls_conn *t = c->tp_state;
	int err = SSL_ERROR_NONE, ret;
	size_t got = 0;

	c->tp_flags &= (uint8_t)~(CONN_TP_READ_WANTS_OUT | CONN_TP_READ_PENDING);
	if (t->failed) {
		errno = t->failed;
		return -1;
	}
	ERR_clear_error();
	/* One socket read per call, and none while input is still buffered: a peer that keeps
	 * sending cannot hold the loop here. */
	t->may_read = t->rx_off == t->rx_len && !SSL_pending(t->ssl);
	t->rx_want = len < TLS_RX_MIN	    ? TLS_RX_MIN
		     : len > TLS_RX_SCRATCH ? TLS_RX_SCRATCH
					    : (uint32_t)len;
	if (!t->hs_done) {
		verify_detail[0] = '\0';
		ret = SSL_do_handshake(t->ssl);
		if (ret == 1)
			tls_handshake_done(c, t);
		else
			err = SSL_get_error(t->ssl, ret);
	}
	while (t->hs_done && got < len) {
		size_t n = 0;

		if (SSL_read_ex(t->ssl, (char *)buf + got, len - got, &n) != 1) {
			err = SSL_get_error(t->ssl, 0);
			break;
		}
		got += n;
	}
	t->may_read = false;
	if (rx_stash(t) < 0)
		t->failed = ENOMEM;
	if (err == SSL_ERROR_WANT_WRITE)
		c->tp_flags |= CONN_TP_READ_WANTS_OUT;
	else if (SSL_pending(t->ssl) > 0 || rx_has_record(t))
		c->tp_flags |= CONN_TP_READ_PENDING;
	ret = err == SSL_ERROR_NONE ? -EAGAIN : tls_error(c, t, err);
	if (ret < 0 && ret != -EAGAIN && !t->failed)
		t->failed = -ret;
	if (got) /* the error, if any, comes with the next call */
		return (ssize_t)got;
	if (t->failed) {
		errno = t->failed;
		return -1;
	}
	if (ret == 0)
		return 0;
	errno = EAGAIN;
	return -1;
}

/* SSL_write all of p[0..len): 0, or -1 with the SSL error in *err and *done bytes sent. */
static int tls_write_all(struct tls_conn *t, const uint8_t *p, size_t len, size_t *done, int *err)
{
	*done = 0;
	while (*done < len) {
		size_t w = 0;
		int r = SSL_write_ex(t->ssl, p + *done, len - *done, &w);

		if (r != 1) {
			*err = SSL_get_error(t->ssl, r);
			return -1;
		}
		*done += w;
	}
	return 0;
}

/* A write stopped: 0 to wait (flags set), or -errno (broken; t->failed set). */
static int tls_write_stopped(struct conn *c, struct tls_conn *t, int err)
{
	int ret;

	if (err == SSL_ERROR_WANT_READ)
		c->tp_flags |= CONN_TP_WRITE_WANTS_IN;
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return 0;
	ret = tls_error(c, t, err);
	t->failed = ret < 0 ? -ret : EPIPE;
	return -t->failed;
}

static ssize_t tls_writev(struct conn *c, const struct iovec *iov, int n)
{
	struct tls_conn *t = c->tp_state;
	size_t total = 0, off = 0, done;
	int i = 0, err = SSL_ERROR_NONE, ret;

	c->tp_flags &= (uint8_t)~CONN_TP_WRITE_WANTS_IN;
	if (t->failed) {
		errno = t->failed;
		return -1;
	}
	if (!t->hs_done) {
		/* Reads drive the handshake; conn retries the write after one. */
		c->tp_flags |= CONN_TP_WRITE_WANTS_IN;
		errno = EAGAIN;
		return -1;
	}
	ERR_clear_error();
	t->may_read = false;
	if (t->wpend_len) {
		ret = tls_write_all(t, t->wpend + t->wpend_off, t->wpend_len - t->wpend_off, &done,
				    &err);
		t->wpend_off += (uint32_t)done;
		if (ret < 0) {
			ret = tls_write_stopped(c, t, err);
			errno = ret < 0 ? -ret : EAGAIN;
			return -1;
		}
		free(t->wpend);
		t->wpend = NULL;
		t->wpend_off = t->wpend_len = 0;
		c->tp_flags &= (uint8_t)~CONN_TP_WRITE_PENDING;
	}
	while (i < n) {
		const uint8_t *p;
		size_t len = 0;

		if (iov[i].iov_len - off >= TLS_RECORD_MAX) {
			/* a full record straight from the caller's buffer */
			p = (const uint8_t *)iov[i].iov_base + off;
			len = TLS_RECORD_MAX;
			off += len;
			if (off == iov[i].iov_len) {
				i++;
				off = 0;
			}
		} else {
			/* coalesce into one record */
			while (i < n && len < TLS_RECORD_MAX) {
				size_t k = iov[i].iov_len - off;

				if (k > TLS_RECORD_MAX - len)
					k = TLS_RECORD_MAX - len;
				memcpy(tx_scratch + len, (const uint8_t *)iov[i].iov_base + off, k);
				len += k;
				off += k;
				if (off == iov[i].iov_len) {
					i++;
					off = 0;
				}
			}
			p = tx_scratch;
		}
		if (!len)
			break;
		if (tls_write_all(t, p, len, &done, &err) == 0) {
			total += len;
			continue;
		}
		ret = tls_write_stopped(c, t, err);
		if (ret < 0) {
			total += done;
			break;
		}
		/* The rest may sit in an encrypted record already: keep exactly these bytes. */
		t->wpend = malloc(len - done);
		if (!t->wpend) {
			t->failed = ENOMEM;
			total += done;
			break;
		}
		memcpy(t->wpend, p + done, len - done);
		t->wpend_len = (uint32_t)(len - done);
		c->tp_flags |= CONN_TP_WRITE_PENDING; /* conn calls again, even with no iovec */
		return (ssize_t)(total + len);
	}
	if (total || !t->failed)
		return (ssize_t)total;
	errno = t->failed;
	return -1;
}

/* The lingering close's end of writing: close_notify (best effort, as at close), then FIN. */
static void tls_shutdown(struct conn *c)
{
	struct tls_conn *t = c->tp_state;

	if (t && t->hs_done && !t->failed && !t->eof && !t->wpend_len) {
		t->may_read = false;
		SSL_shutdown(t->ssl);
	}
	shutdown(c->fd, SHUT_WR);
}

static void tls_close(struct conn *c)
{
	struct tls_conn *t = c->tp_state;

	if (t) {
		if (t->hs_done && !t->failed) {
			/* Best effort close_notify, as Mosquitto; never waits. */
			if (!t->eof && !t->wpend_len &&
			    !(SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN)) {
				t->may_read = false;
				SSL_shutdown(t->ssl);
			}
			/* MQTT clients often just close the socket (DISCONNECT ended the session):
			 * no reason for SSL_free to drop their session from the cache. */
			SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		}
		ERR_clear_error();
		SSL_free(t->ssl);
		free(t->rx_own);
		free(t->wpend);
		tls_ctx_unref(t->ctx);
		free(t);
		c->tp_state = NULL;
	}
	close(c->fd);
}

const struct conn_transport conn_tls = {
	.name = "tls",
	.read = tls_read,
	.writev = tls_writev,
	.close = tls_close,
	.shutdown = tls_shutdown,
};

/* ---- what the handshake established ---- */

static const struct tls_conn *tls_of(const struct conn *c)
{
	const struct tls_conn *t = c->tp == &conn_tls ? c->tp_state : NULL;

	return t && t->hs_done ? t : NULL;
}

int tls_peer_identity(const struct conn *c, enum tls_identity which, char *buf, size_t len)
{
	const struct tls_conn *t = tls_of(c);
	const X509_NAME *name;
	const ASN1_STRING *cn;
	unsigned char *u8;
	X509 *cert;
	int i, n;

	if (!t)
		return -ENOTCONN;
	if (which == TLS_ID_PSK) {
		const char *id = tls_psk_identity(t->ssl);

		if (!id)
			return -ENOENT;
		if (strlen(id) >= len)
			return -ENOSPC;
		return snprintf(buf, len, "%s", id);
	}
	cert = SSL_get0_peer_certificate(t->ssl);
	if (!cert)
		return -ENOENT;
	name = X509_get_subject_name(cert);
	if (which == TLS_ID_SUBJECT)
		return name_rfc2253(name, buf, len);
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0)
		return -ENOENT;
	cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	n = ASN1_STRING_to_UTF8(&u8, cn);
	if (n < 0) {
		ERR_clear_error();
		return -EBADMSG;
	}
	if (memchr(u8, 0, (size_t)n))
		n = -EBADMSG;
	else if ((size_t)n >= len)
		n = -ENOSPC;
	else
		memcpy(buf, u8, (size_t)n + 1);
	OPENSSL_free(u8);
	return n;
}

int tls_conn_info(const struct conn *c, struct tls_info *info)
{
	const struct tls_conn *t = tls_of(c);

	if (!t)
		return -ENOTCONN;
	info->version = SSL_get_version(t->ssl);
	info->cipher = SSL_get_cipher_name(t->ssl);
	info->resumed = SSL_session_reused(t->ssl);
	info->peer_cert = SSL_get0_peer_certificate(t->ssl) != NULL;
	return 0;
}

/* ---- for tls_client.c (tls_int.h) ---- */

struct tls_ctx *tls_ctx_adopt(SSL_CTX *s)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));

	if (!t || !bio_method_get()) {
		free(t);
		SSL_CTX_free(s);
		if (!n_ctx) {
			BIO_meth_free(bio_method);
			bio_method = NULL;
		}
		return NULL;
	}
	t->ssl = s;
	t->refs = 1;
	n_ctx++;
	return t;
}

SSL *tls_conn_ssl(struct conn *c)
{
	struct tls_conn *t = c->tp == &conn_tls ? c->tp_state : NULL;

	return t ? t->ssl : NULL;
}
