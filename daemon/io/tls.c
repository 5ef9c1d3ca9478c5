/* SPDX-License-Identifier: MIT */
/*
 * tls: the conn_tls transport (its contexts: tls_ctx.c; PSK and engine keys: tls_keys.c). See
 * include/tls.h.
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
 * Handshakes off the loop (issue 15). A server handshake step costs a private-key signature
 * (1-30 ms with RSA-2048 on a small machine, more with RSA-4096), so tls_read() hands each
 * step to a small worker pool (include/workpool.h) instead of running it: the connection
 * leaves epoll (CONN_TP_BUSY) while the worker runs SSL_do_handshake, reading and writing the
 * socket through the same BIO with a scratch buffer of the job's own; the result comes back to
 * the loop, which takes it in the next tls_read() (conn_transport_ready). Only one thread
 * touches an SSL at a time, which is all OpenSSL asks. OpenSSL's error queue is per thread,
 * so the worker passes its first error (and the certificate check's detail) to the loop. A
 * connection closed while its step runs leaves the SSL and the socket to the job's done().
 * Client handshakes (bridges) and contexts with an engine key stay on the loop: they are
 * few, and a PKCS#11 engine is not known to be safe from another thread.
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

#include "log.h"
#include "tls.h"
#include "tls_int.h"
#include "workpool.h"

#define TLS_RECORD_MAX 16384		      /* largest record payload */
#define TLS_RX_SCRATCH (64 * 1024)	      /* ciphertext read from the socket at once */
#define TLS_RX_MIN     (TLS_RECORD_MAX + 512) /* ... and at least (a full record with overhead) */

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
	struct hs_job *job; /* a handshake step on a worker, or its result not taken yet */
	uint8_t *scratch;   /* where the BIO reads the socket: rx_scratch, or the job's */
	int sys_err; /* errno of the last failed socket call */
	int failed;  /* errno once the session is broken: every later call fails with it */
	/* plaintext taken but not yet sent: wpend[wpend_off..wpend_len), resent first */
	uint8_t *wpend;
	uint32_t wpend_off, wpend_len;
};

static uint8_t rx_scratch[TLS_RX_SCRATCH];
static uint8_t tx_scratch[TLS_RECORD_MAX];
static BIO_METHOD *bio_method; /* made with the first context, freed with the last */

/* Handshake steps off the loop: one job per step (see the top of this file). */
#define TLS_HS_THREADS 2

struct hs_job {
	struct workpool_job wj;
	struct tls_conn *t;
	struct conn *c; /* NULL once the connection closed (then done() frees t) */
	int ret, err;	/* SSL_do_handshake's return and SSL_get_error on the worker */
	unsigned long e; /* the worker's first queued OpenSSL error */
	bool finished;
	bool nomem;
	char detail[sizeof(tls_verify_detail)];
	uint8_t buf[TLS_RX_MIN]; /* the step's socket reads */
};

static struct workpool *hs_pool;
static struct loop *hs_loop; /* the loop hs_pool posts to */
static bool hs_pool_failed;

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
		r = read(t->fd, t->scratch, t->rx_want);
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
		t->rx = t->scratch;
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

BIO_METHOD *tls_bio_method(void)
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

void tls_bio_method_free(void)
{
	BIO_meth_free(bio_method);
	bio_method = NULL;
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
	if (t->rx != t->scratch)
		return 0;
	p = malloc(left);
	if (!p) {
		t->rx = NULL;
		t->rx_off = t->rx_len = 0;
		return -ENOMEM;
	}
	memcpy(p, t->scratch + t->rx_off, left);
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
	t->scratch = rx_scratch;
	t->ssl = SSL_new(ctx->ssl);
	bio = BIO_new(tls_bio_method());
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
		log_debug("TLS handshake with %s: %s, %s%s%s.", conn_peer(c),
			  SSL_get_version(t->ssl),
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
	    tls_verify_detail[0])
		snprintf(why, sizeof(why), "%s: %s", tls_ssl_reason(), tls_verify_detail);
	else
		snprintf(why, sizeof(why), "%s", tls_ssl_reason());
	if (t->hs_done)
		log_msg_rl(&rl, CONFIG_LOG_INFO, "TLS error on the connection from %s: %s.",
			   conn_peer(c), why);
	else
		log_msg_rl(&rl, CONFIG_LOG_INFO, "TLS handshake with %s failed: %s.", conn_peer(c),
			   why);
	ERR_clear_error();
	return -EPROTO;
}

/* ---- handshake steps on the worker pool ---- */

static void tls_conn_free(struct tls_conn *t);

static void hs_run(struct workpool_job *wj)
{
	struct hs_job *j = (struct hs_job *)wj;
	struct tls_conn *t = j->t;

	ERR_clear_error();
	tls_verify_detail[0] = '\0';
	j->ret = SSL_do_handshake(t->ssl);
	j->err = j->ret == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, j->ret);
	j->e = ERR_peek_error();
	memcpy(j->detail, tls_verify_detail, sizeof(j->detail));
	ERR_clear_error();
	t->may_read = false;
	j->nomem = rx_stash(t) < 0; /* nothing may stay in j->buf */
}

static void hs_done(struct workpool_job *wj, int status)
{
	struct hs_job *j = (struct hs_job *)wj;
	struct tls_conn *t = j->t;

	j->finished = true;
	if (status < 0) { /* never ran (the pool is stopping) */
		j->ret = -1;
		j->err = SSL_ERROR_SYSCALL;
		t->sys_err = -status;
	}
	if (!j->c) {
		tls_conn_free(t); /* frees j */
		return;
	}
	t->scratch = rx_scratch;
	conn_transport_ready(j->c);
}

/* Hand the next handshake step of c to a worker: 0 (c waits for conn_transport_ready), or
 * -errno (run it here). */
static int hs_offload(struct conn *c, struct tls_conn *t)
{
	struct hs_job *j;

	if (hs_pool_failed || !SSL_is_server(t->ssl) || t->ctx->engine ||
	    (hs_pool && hs_loop != c->loop))
		return -ENOTSUP;
	if (!hs_pool) {
		hs_loop = c->loop;
		hs_pool = workpool_new(c->loop, TLS_HS_THREADS);
		if (!hs_pool) {
			hs_pool_failed = true;
			log_warn("TLS handshakes run on the event loop: no worker pool (%s).",
				    strerror(errno));
			return -ENOTSUP;
		}
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->wj.run = hs_run;
	j->wj.done = hs_done;
	j->t = t;
	j->c = c;
	t->scratch = j->buf;
	if (t->rx_want > sizeof(j->buf))
		t->rx_want = sizeof(j->buf);
	t->job = j;
	if (workpool_submit(hs_pool, &j->wj) < 0) {
		t->job = NULL;
		t->scratch = rx_scratch;
		free(j);
		return -ENOTSUP;
	}
	c->tp_flags |= CONN_TP_BUSY;
	return 0;
}

/* The step's result, as if SSL_do_handshake had just returned it here: its error back on
 * this thread's queue for tls_error(). */
static int hs_take(struct tls_conn *t)
{
	struct hs_job *j = t->job;
	int err = j->err;

	t->job = NULL;
	if (j->e)
		ERR_raise(ERR_GET_LIB(j->e), ERR_GET_REASON(j->e));
	memcpy(tls_verify_detail, j->detail, sizeof(tls_verify_detail));
	if (j->nomem)
		t->failed = ENOMEM;
	free(j);
	return err;
}

void tls_handshake_pool_free(void)
{
	workpool_free(hs_pool);
	hs_pool = NULL;
	hs_loop = NULL;
	hs_pool_failed = false;
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
	if (t->job && !t->job->finished) {
		errno = EAGAIN; /* spurious: c waits for the worker */
		return -1;
	}
	if (t->job) {
		/* c->tp_flags are this layer's own here (ws.c swaps them in): clear it here too */
		c->tp_flags &= (uint8_t)~CONN_TP_BUSY;
		err = hs_take(t);
		if (err == SSL_ERROR_NONE)
			tls_handshake_done(c, t);
		if (err == SSL_ERROR_WANT_READ)
			t->may_read = false; /* the worker read: wait for the next EPOLLIN */
	} else if (!t->hs_done) {
		if (hs_offload(c, t) == 0) {
			errno = EAGAIN;
			return -1;
		}
		tls_verify_detail[0] = '\0';
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

/* Free t and close its socket: the connection is gone. */
static void tls_conn_free(struct tls_conn *t)
{
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t->rx_own);
	free(t->wpend);
	free(t->job); /* a step's result nobody took */
	tls_ctx_unref(t->ctx);
	close(t->fd);
	free(t);
}

static void tls_close(struct conn *c)
{
	struct tls_conn *t = c->tp_state;

	if (!t) {
		close(c->fd);
		return;
	}
	c->tp_state = NULL;
	if (t->job && !t->job->finished) {
		/* a worker has the SSL and the socket: the step's done() frees them */
		t->job->c = NULL;
		return;
	}
	if (t->hs_done && !t->failed) {
		/* Best effort close_notify, as Mosquitto; never waits. */
		if (!t->eof && !t->wpend_len && !(SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN)) {
			t->may_read = false;
			SSL_shutdown(t->ssl);
		}
		/* MQTT clients often just close the socket (DISCONNECT ended the session):
		 * no reason for SSL_free to drop their session from the cache. */
		SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	}
	tls_conn_free(t);
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
		return tls_name_rfc2253(name, buf, len);
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

SSL *tls_conn_ssl(struct conn *c)
{
	struct tls_conn *t = c->tp == &conn_tls ? c->tp_state : NULL;

	return t ? t->ssl : NULL;
}
