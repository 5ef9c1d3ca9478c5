// SPDX-License-Identifier: MIT
/*
 * tls unit tests: a real conn (conn_new + conn_tls) in a real loop, over a socketpair to an
 * OpenSSL client stepped in the same thread; certificates made at test time (openssl command).
 * Covered: TLS 1.2/1.3, ciphers, minimum version, resumption (tickets, TLS 1.2 session cache),
 * client certificates (required, missing, other CA, expired, revoked, not requested unless
 * required), identities, the failure log line, non-TLS input, blocked handshake writes (the
 * read waits for EPOLLOUT), blocked application writes (kept bytes resent exactly), frames
 * split every way with the reader paused (input held by the transport), tls_ctx_new's errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config.h"
#include "conn.h"
#include "log.h"
#include "loop.h"
#include "tls.h"

/* Certificates (openssl ca keeps the DN order of its policy: C, O, CN). */
static const char gen_script[] =
	"set -e; cd \"$1\"; export SAN=DNS:localhost\n"
	"cat >ca.cnf <<'EOF'\n"
	"[ca]\ndefault_ca = ca_default\n[ca_default]\ndir = $ENV::CADIR\nnew_certs_dir = $dir\n"
	"database = $dir/index.txt\nserial = $dir/serial\ncrlnumber = $dir/crlnumber\n"
	"default_md = sha256\ndefault_days = 3650\ndefault_crl_days = 3650\npolicy = policy\n"
	"unique_subject = no\nemail_in_dn = no\n[policy]\ncountryName = optional\n"
	"organizationName = optional\ncommonName = optional\n[server]\nbasicConstraints = CA:FALSE\n"
	"extendedKeyUsage = serverAuth\nsubjectAltName = $ENV::SAN\n[client]\n"
	"basicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\n"
	"EOF\n"
	"key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1.key; }\n"
	"ca() { c=$1; shift; CADIR=$c.db openssl ca -batch -config ca.cnf -cert $c.crt \\\n"
	"	-keyfile $c.key \"$@\"; }\n"
	"mkca() {\n"
	"	key $1; mkdir $1.db; : >$1.db/index.txt; echo 1000 >$1.db/serial\n"
	"	echo 1000 >$1.db/crlnumber; openssl req -x509 -new -key $1.key -out $1.crt \\\n"
	"		-days 3650 -subj \"/CN=mqttgw test $1\" -addext basicConstraints=critical,CA:TRUE\n"
	"}\n"
	"mkcert() { # ca name extensions subject [openssl ca options]\n"
	"	key $2; openssl req -new -utf8 -key $2.key -out $2.csr -subj \"$4\"\n"
	"	c=$1 n=$2 e=$3; shift 4; ca $c -notext -utf8 -extensions $e -in $n.csr -out $n.crt \"$@\"\n"
	"}\n"
	"mkca ca; mkca ca2\n"
	"mkcert ca server server /CN=localhost\n"
	"mkcert ca client client '/C=GB/O=Example/CN=client one'\n"
	"mkcert ca nocn client /C=GB/O=Example\n"
	"mkcert ca utf8 client \"/CN=Jos$(printf '\\303\\251')\"\n"
	"mkcert ca expired client /CN=expired -startdate 20200101000000Z -enddate 20200201000000Z\n"
	"mkcert ca revoked client /CN=revoked\n"
	"mkcert ca2 other client '/CN=other ca'\n"
	"ca ca -revoke revoked.crt; ca ca -gencrl -out crl.pem\n"
	"SAN=DNS:localhost$(seq -f ',DNS:host%g.example.invalid' 1 900 | tr -d '\\n') \\\n"
	"	mkcert ca big server /CN=localhost\n"
	"openssl pkey -in client.key -aes256 -passout pass:secret -out encrypted.key\n";

static char dir[64];

/* dir/name, in one of 32 rotating buffers */
static char *P(const char *name)
{
	static char buf[32][128];
	static unsigned int n;
	char *p = buf[n++ % 32];

	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

/* ---- log capture (tls.c logs through log_msg_rl; the Makefile wraps it) ---- */

static char last_log[1024];
static int n_logs;

void __wrap_log_msg_rl(struct log_ratelimit *rl, uint32_t type, const char *fmt, ...);
void __wrap_log_msg_rl(struct log_ratelimit *rl, uint32_t type, const char *fmt, ...)
{
	va_list ap;

	(void)rl;
	(void)type;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	n_logs++;
}

/* ---- a server conn over conn_tls (owned by the test) and an OpenSSL client ---- */

/* What the client trusts (default ca.crt), its certificate name (name.crt, name.key), ... */
struct cli_opts {
	const char *ca, *name;
	int max_version;
	SSL_SESSION *session;
	bool no_ticket;
};

struct t2 {
	/* server side */
	struct loop *l;
	struct conn *c;
	uint8_t *in; /* application data the owner saw (framed: payloads only) */
	size_t in_len, in_cap;
	bool closed;
	int close_err;
	bool echo;	     /* send back what arrives */
	bool framed;	     /* 4-byte big-endian length + payload; pause after each frame */
	size_t send_on_read; /* on the first data, queue this many pattern bytes */
	/* client side, on the other end of the socketpair */
	int cfd;
	SSL_CTX *kctx;
	SSL *ssl;
	bool k_done, k_eof, k_reading;
	int k_failed; /* SSL_get_error of a fatal error */
	const uint8_t *out;
	size_t out_len, out_off;
	uint8_t *kin;
	size_t kin_len, kin_cap;
};

static void add(uint8_t **b, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (!n)
		return;
	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		*b = realloc(*b, *cap);
		assert_non_null(*b);
	}
	memcpy(*b + *len, p, n);
	*len += n;
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

/* total bytes in pieces of 1 B .. 40 KB: small ones coalesce, big ones span records */
static void queue_pattern(struct conn *c, size_t total)
{
	static uint8_t chunk[40000];

	for (size_t off = 0, k = 1, n; off < total; off += n, k++) {
		n = (k * 7919) % (k % 5 ? 3000 : 40000) + 1;
		if (n > total - off)
			n = total - off;
		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern(off + i);
		assert_int_equal(outq_append(&c->out, chunk, (uint32_t)n), 0);
		outq_frame_done(&c->out);
	}
	conn_want_flush(c);
}

static ssize_t srv_on_read(struct conn *c, const uint8_t *buf, size_t len)
{
	struct t2 *t = c->owner;
	size_t n;

	if (t->send_on_read) {
		queue_pattern(c, t->send_on_read);
		t->send_on_read = 0;
	}
	if (!t->framed) {
		add(&t->in, &t->in_len, &t->in_cap, buf, len);
		if (t->echo) {
			assert_int_equal(outq_append(&c->out, buf, (uint32_t)len), 0);
			outq_frame_done(&c->out);
			conn_want_flush(c);
		}
		return (ssize_t)len;
	}
	if (len < 4)
		return 0;
	n = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
	if (len - 4 < n)
		return 0;
	add(&t->in, &t->in_len, &t->in_cap, buf + 4, n);
	/* one frame per call: what is left waits in conn or in the transport */
	conn_pause_read(c, true);
	return (ssize_t)(4 + n);
}

static void srv_on_close(struct conn *c, int err)
{
	struct t2 *t = c->owner;

	t->closed = true, t->close_err = err, t->c = NULL;
}

/* the address the failure logs name */
static const char *srv_peer(const struct conn *c)
{
	(void)c;
	return "192.0.2.7:4242";
}

static const struct conn_ops srv_ops = {
    .on_read = srv_on_read, .on_close = srv_on_close, .peer = srv_peer};

static void flush_hook(struct loop *l, void *ctx)
{
	(void)l, (void)ctx;
	conn_flush_all();
}

/* The server connection under ctx; a client (unless o is NULL) on the other end. */
static void open2(struct t2 *t, struct tls_ctx *ctx, const struct cli_opts *o, int sndbuf)
{
	int sv[2];

	memset(t, 0, sizeof(*t));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	if (sndbuf)
		assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)),
				 0);
	t->l = loop_new();
	assert_non_null(t->l);
	loop_set_before_wait(t->l, flush_hook, NULL);
	t->c = conn_new(t->l, sv[0], &conn_tls, &srv_ops, t);
	assert_non_null(t->c);
	assert_int_equal(tls_conn_attach(t->c, ctx), 0);
	t->cfd = sv[1];
	if (!o)
		return;
	t->kctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(t->kctx);
	SSL_CTX_set_verify(t->kctx, SSL_VERIFY_PEER, NULL);
	assert_int_equal(SSL_CTX_load_verify_file(t->kctx, o->ca ? o->ca : P("ca.crt")), 1);
	if (o->name) {
		char f[32];

		snprintf(f, sizeof(f), "%s.crt", o->name);
		assert_int_equal(SSL_CTX_use_certificate_file(t->kctx, P(f), SSL_FILETYPE_PEM), 1);
		snprintf(f, sizeof(f), "%s.key", o->name);
		assert_int_equal(SSL_CTX_use_PrivateKey_file(t->kctx, P(f), SSL_FILETYPE_PEM), 1);
	}
	if (o->max_version)
		SSL_CTX_set_max_proto_version(t->kctx, o->max_version);
	if (o->no_ticket)
		SSL_CTX_set_options(t->kctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(t->kctx,
			 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	t->ssl = SSL_new(t->kctx);
	assert_non_null(t->ssl);
	assert_int_equal(SSL_set_fd(t->ssl, t->cfd), 1);
	assert_int_equal(SSL_set1_host(t->ssl, "localhost"), 1);
	if (o->session)
		assert_int_equal(SSL_set_session(t->ssl, o->session), 1);
	SSL_set_connect_state(t->ssl);
	t->k_reading = true;
}

static void close2(struct t2 *t)
{
	if (t->c)
		conn_close(t->c, 0);
	loop_run_once(t->l, 0); /* deferred frees */
	tls_handshake_pool_free(); /* its workers post to this loop */
	loop_free(t->l);
	free(t->in);
	if (t->ssl && t->k_done && !t->k_failed)
		SSL_shutdown(t->ssl); /* else SSL_free marks the session not resumable */
	SSL_free(t->ssl);
	SSL_CTX_free(t->kctx);
	free(t->kin);
	close(t->cfd);
	ERR_clear_error();
}

/* 1 when an SSL call returned r: 0 if it must wait; records a fatal error. */
static int k_ok(struct t2 *t, int r)
{
	int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, r);

	if (e == SSL_ERROR_ZERO_RETURN)
		t->k_eof = true;
	else if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		t->k_failed = e;
	return e == SSL_ERROR_NONE;
}

/* One client step: handshake, write what is left of out, read what is there. */
static void cli_step(struct t2 *t)
{
	uint8_t buf[16384];
	size_t n;

	if (!t->ssl || t->k_failed || t->k_eof ||
	    (!t->k_done && !(t->k_done = k_ok(t, SSL_connect(t->ssl)))))
		return;
	while (t->out_off < t->out_len &&
	       k_ok(t, SSL_write_ex(t->ssl, t->out + t->out_off, t->out_len - t->out_off, &n)))
		t->out_off += n;
	while (t->k_reading && k_ok(t, SSL_read_ex(t->ssl, buf, sizeof(buf), &n)))
		add(&t->kin, &t->kin_len, &t->kin_cap, buf, n);
}

enum until { BOTH_DONE, SRV_CLOSED, CLI_GOT, SRV_GOT };

/* Step the client and run one loop pass (resuming a paused reader) until `u` holds (with
 * arg bytes for *_GOT); false after 5 s. */
static bool pump(struct t2 *t, enum until u, size_t arg)
{
	time_t end = time(NULL) + 5;
	struct tls_info info;

	while (time(NULL) <= end) {
		cli_step(t);
		loop_run_once(t->l, 1);
		if (t->c && t->c->read_paused)
			conn_pause_read(t->c, false);
		if ((u == BOTH_DONE && t->k_done && t->c && !tls_conn_info(t->c, &info)) ||
		    (u == SRV_CLOSED && t->closed) || (u == CLI_GOT && t->kin_len >= arg) ||
		    (u == SRV_GOT && t->in_len >= arg))
			return true;
	}
	return false;
}

/* A listener with certificate name.crt and key name.key. */
static struct config_listener listener(const char *name)
{
	struct config_listener l = {.port = 8883};
	char f[32];

	snprintf(f, sizeof(f), "%s.crt", name);
	l.certfile = P(f);
	snprintf(f, sizeof(f), "%s.key", name);
	l.keyfile = P(f);
	return l;
}

static struct tls_ctx *ctx_of(const struct config_listener *l)
{
	char err[512] = "";
	struct tls_ctx *ctx = tls_ctx_new(l, err, sizeof(err));

	if (!ctx)
		fail_msg("tls_ctx_new: %s", err);
	return ctx;
}

static const struct cli_opts dflt; /* a client trusting our CA, without a certificate */

static void send_str(struct t2 *t, const char *str)
{
	t->out = (const uint8_t *)str;
	t->out_len = strlen(str);
}

/* Handshake, echo "hello" (in TLS 1.3 after a key update the server must answer), and return
 * the client's session (for resumption) if asked. */
static void echo_round(struct tls_ctx *ctx, const struct cli_opts *o, struct tls_info *info,
		       SSL_SESSION **session)
{
	struct t2 t;

	open2(&t, ctx, o, 0);
	t.echo = true;
	assert_true(pump(&t, BOTH_DONE, 0));
	assert_int_equal(tls_conn_info(t.c, info), 0);
	assert_true(SSL_version(t.ssl) != TLS1_3_VERSION ||
		    SSL_key_update(t.ssl, SSL_KEY_UPDATE_REQUESTED));
	send_str(&t, "hello");
	assert_true(pump(&t, CLI_GOT, 5));
	assert_int_equal(t.in_len, 5); /* the owner saw application data only */
	assert_memory_equal(t.in, "hello", 5);
	assert_true(t.kin_len == 5 && !memcmp(t.kin, "hello", 5));
	if (session) {
		*session = SSL_get1_session(t.ssl);
		assert_true(SSL_SESSION_is_resumable(*session));
	}
	close2(&t);
	assert_int_equal(t.close_err, 0);
}

/* The server refuses: closed with -EPROTO, nothing delivered, one log line containing `has`. */
static void refused(struct t2 *t, const char *has)
{
	int logs = n_logs;

	assert_true(pump(t, SRV_CLOSED, 0));
	assert_int_equal(t->close_err, -EPROTO);
	assert_int_equal(t->in_len, 0);
	assert_int_equal(n_logs, logs + 1);
	if (!strstr(last_log, has))
		fail_msg("log line '%s' lacks '%s'", last_log, has);
}

/* ---- tests ---- */

static int group_setup(void **state)
{
	char cmd[256];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/mqttgw-test-tls.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (strlen(dir) > 40 || !mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "sh -s %s >%s/gen.log 2>&1", dir, dir);
	f = popen(cmd, "w");
	if (!f || fputs(gen_script, f) < 0 || pclose(f) != 0) {
		fprintf(stderr, "certificate generation failed, see %s/gen.log\n", dir);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* TLS 1.3 and 1.2 with the configured ciphers; a client that does not trust the server; the
 * minimum version. */
static void test_versions(void **state)
{
	struct config_listener l = listener("server");
	struct cli_opts o = {0};
	struct tls_info info;
	struct tls_ctx *ctx;
	struct t2 t;

	(void)state;
	l.tls_version = "tlsv1.2";
	l.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
	l.ciphers_tls13 = "TLS_CHACHA20_POLY1305_SHA256";
	ctx = ctx_of(&l);
	echo_round(ctx, &o, &info, NULL);
	assert_string_equal(info.version, "TLSv1.3");
	assert_string_equal(info.cipher, "TLS_CHACHA20_POLY1305_SHA256");
	assert_false(info.resumed);
	assert_false(info.peer_cert);
	o.max_version = TLS1_2_VERSION;
	echo_round(ctx, &o, &info, NULL);
	assert_string_equal(info.version, "TLSv1.2");
	assert_string_equal(info.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
	/* a client that does not trust our certificate says so */
	o = (struct cli_opts){.ca = P("ca2.crt")};
	open2(&t, ctx, &o, 0);
	refused(&t, "alert unknown ca");
	assert_int_not_equal(t.k_failed, 0);
	close2(&t);
	tls_ctx_unref(ctx);
	/* tls_version tlsv1.3 refuses a TLS 1.2 client */
	l.tls_version = "tlsv1.3";
	ctx = ctx_of(&l);
	o = (struct cli_opts){.max_version = TLS1_2_VERSION};
	open2(&t, ctx, &o, 0);
	tls_ctx_unref(ctx); /* the connection holds its own reference */
	refused(&t, "TLS handshake with 192.0.2.7:4242 failed: unsupported protocol");
	close2(&t);
}

/* Resumption, three ways: TLS 1.3 tickets, TLS 1.2 tickets, TLS 1.2 session cache. */
static void test_resumption(void **state)
{
	struct config_listener l = listener("server");
	static const struct {
		int max;
		bool no_ticket;
	} ways[] = {{0, false}, {TLS1_2_VERSION, false}, {TLS1_2_VERSION, true}};

	(void)state;
	l.cafile = P("ca.crt");
	l.require_certificate = true;
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		struct tls_ctx *ctx = ctx_of(&l), *other = ctx_of(&l);
		struct cli_opts o = {.max_version = ways[i].max,
				     .no_ticket = ways[i].no_ticket,
				     .name = "client"};
		struct tls_info info;
		SSL_SESSION *sess;

		echo_round(ctx, &o, &info, &sess);
		assert_false(info.resumed);
		o.session = sess;
		echo_round(ctx, &o, &info, NULL);
		assert_true(info.resumed);
		assert_true(info.peer_cert); /* the session keeps the client's certificate */
		/* another context (a reload) does not know the session: full handshake */
		echo_round(other, &o, &info, NULL);
		assert_false(info.resumed);
		SSL_SESSION_free(sess);
		tls_ctx_unref(ctx);
		tls_ctx_unref(other);
	}
}

/* A client certificate name.crt (or none) against `l`: refused with log_has in the log line,
 * or (log_has NULL) accepted with the CN cn (NULL: the server has no client certificate). */
static void client_cert_case(struct config_listener *l, const char *name, const char *log_has,
			     const char *cn)
{
	struct tls_ctx *ctx = ctx_of(l);
	struct cli_opts o = {.name = name};
	int logs = n_logs;
	char id[256];
	struct t2 t;

	open2(&t, ctx, &o, 0);
	t.echo = true;
	send_str(&t, "x");
	if (log_has) {
		refused(&t, log_has);
	} else {
		assert_true(pump(&t, CLI_GOT, 1));
		assert_int_equal(tls_peer_identity(t.c, TLS_ID_CN, id, sizeof(id)),
				 cn ? (int)strlen(cn) : -ENOENT);
		if (cn)
			assert_string_equal(id, cn);
		assert_int_equal(n_logs, logs);
	}
	close2(&t);
	tls_ctx_unref(ctx);
}

static void test_require_certificate(void **state)
{
	struct config_listener l = listener("server");
	char cmd[256];

	(void)state;
	l.cafile = P("ca.crt");
	l.require_certificate = true;
	client_cert_case(&l, "client", NULL, "client one");
	client_cert_case(&l, NULL, "peer did not return a certificate", NULL);
	client_cert_case(&l, "other",
			 "certificate verify failed: unable to get local issuer certificate "
			 "(depth 0: CN=other ca)",
			 NULL);
	client_cert_case(&l, "expired",
			 "certificate verify failed: certificate has expired (depth 0: CN=expired)",
			 NULL);
	/* without the CRL, the revoked certificate is just a certificate */
	client_cert_case(&l, "revoked", NULL, "revoked");
	l.crlfile = P("crl.pem");
	client_cert_case(&l, "revoked",
			 "certificate verify failed: certificate revoked (depth 0: CN=revoked)",
			 NULL);
	client_cert_case(&l, "client", NULL, "client one");
	/* capath instead of cafile: a directory of hashed CA certificates */
	l.cafile = NULL;
	l.crlfile = NULL;
	l.capath = dir;
	snprintf(cmd, sizeof(cmd), "openssl rehash %s >/dev/null 2>&1", dir);
	assert_int_equal(system(cmd), 0);
	client_cert_case(&l, "client", NULL, "client one");
	/* Mosquitto: without require_certificate no certificate is requested, cafile or not */
	l.require_certificate = false;
	client_cert_case(&l, "client", NULL, NULL);
}

static void test_identity(void **state)
{
	struct config_listener l = listener("server");
	static const struct {
		const char *name, *cn, *subject;
	} certs[] = {
	    {"client", "client one", "CN=client one,O=Example,C=GB"},
	    {"nocn", NULL, "O=Example,C=GB"},
	    {"utf8", "Jos\xc3\xa9", "CN=Jos\\C3\\A9"},
	};
	struct conn tcp = {.tp = &conn_tcp};
	struct tls_ctx *ctx;
	char id[256];

	(void)state;
	assert_int_equal(tls_peer_identity(&tcp, TLS_ID_CN, id, sizeof(id)), -ENOTCONN);
	l.cafile = P("ca.crt");
	l.require_certificate = true;
	ctx = ctx_of(&l);
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		struct cli_opts o = {.name = certs[i].name};
		struct t2 t;

		open2(&t, ctx, &o, 0);
		assert_int_equal(tls_peer_identity(t.c, TLS_ID_CN, id, sizeof(id)), -ENOTCONN);
		assert_true(pump(&t, BOTH_DONE, 0));
		assert_int_equal(tls_peer_identity(t.c, TLS_ID_CN, id, sizeof(id)),
				 certs[i].cn ? (int)strlen(certs[i].cn) : -ENOENT);
		if (certs[i].cn)
			assert_string_equal(id, certs[i].cn);
		assert_int_equal(tls_peer_identity(t.c, TLS_ID_SUBJECT, id, sizeof(id)),
				 (int)strlen(certs[i].subject));
		assert_string_equal(id, certs[i].subject);
		assert_int_equal(tls_peer_identity(t.c, TLS_ID_SUBJECT, id, 5), -ENOSPC);
		close2(&t);
	}
	tls_ctx_unref(ctx);
}

/* Plain MQTT to a TLS port; garbage after a handshake; a peer gone mid-handshake. */
static void test_bad_input_and_eof(void **state)
{
	static const char connect[] = "\x10\x10\0\4MQTT\4\2\0\x3c\0\4abcd"; /* MQTT */
	static const uint8_t junk[37] = {0x17, 0x03, 0x03, 0x00, 0x20, 1, 2, 3}; /* bad record */
	struct config_listener l = listener("server");
	struct tls_ctx *ctx = ctx_of(&l);
	struct t2 t;
	int logs;

	(void)state;
	open2(&t, ctx, NULL, 0);
	assert_int_equal(write(t.cfd, connect, sizeof(connect) - 1), 18);
	refused(&t, "TLS handshake with 192.0.2.7:4242 failed: ");
	close2(&t);
	open2(&t, ctx, &dflt, 0);
	assert_true(pump(&t, BOTH_DONE, 0));
	assert_int_equal(write(t.cfd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	refused(&t, "TLS error on the connection from 192.0.2.7:4242: ");
	close2(&t);
	logs = n_logs;
	open2(&t, ctx, &dflt, 0);
	cli_step(&t); /* ClientHello */
	loop_run_once(t.l, 10);
	shutdown(t.cfd, SHUT_RDWR);
	assert_true(pump(&t, SRV_CLOSED, 0));
	assert_int_equal(t.close_err, -EPIPE);
	assert_int_equal(n_logs, logs); /* a port probe is not worth a line */
	close2(&t);
	tls_ctx_unref(ctx);
}

/* Output queued before the handshake waits for it, with no busy EPOLLOUT meanwhile. The
 * server's first flight (a 30 KB certificate) does not fit the socket: the read side waits for
 * EPOLLOUT, not EPOLLIN, until the client reads. Then both go through. */
static void test_handshake_blocks(void **state)
{
	struct config_listener l = listener("big");
	struct tls_ctx *ctx = ctx_of(&l);
	struct t2 t;

	(void)state;
	open2(&t, ctx, &dflt, 4096);
	assert_int_equal(outq_append(&t.c->out, "welcome", 7), 0);
	outq_frame_done(&t.c->out);
	conn_want_flush(t.c);
	loop_run_once(t.l, 0);
	assert_true(t.c->write_blocked);
	assert_true(t.c->tp_flags & CONN_TP_WRITE_WANTS_IN);
	assert_int_equal(t.c->io.events, EPOLLIN);
	cli_step(&t); /* ClientHello only: the client reads nothing yet */
	for (int i = 0; i < 5; i++)
		loop_run_once(t.l, 5);
	assert_true(t.c->tp_flags & CONN_TP_READ_WANTS_OUT);
	assert_int_equal(t.c->io.events, EPOLLOUT);
	t.echo = true;
	send_str(&t, "ping");
	assert_true(pump(&t, CLI_GOT, 11));
	assert_memory_equal(t.kin, "welcomeping", 11);
	assert_false(t.c->write_blocked);
	assert_false(t.c->tp_flags & (CONN_TP_READ_WANTS_OUT | CONN_TP_WRITE_WANTS_IN));
	assert_int_equal(t.c->io.events, EPOLLIN);
	close2(&t);
	tls_ctx_unref(ctx);
}

/* A server handshake step runs on a worker, off the loop: while it runs the connection is out
 * of epoll (CONN_TP_BUSY), and its result comes back to the loop. A connection closed while
 * its step runs leaves the SSL and the socket to the step, freed when it ends (ASan: no leak,
 * no use after free); the next connection still completes its handshake. */
static void test_handshake_off_loop(void **state)
{
	struct config_listener l = listener("server");
	struct tls_ctx *ctx = ctx_of(&l);
	struct t2 t;
	bool busy = false;

	(void)state;
	open2(&t, ctx, &dflt, 0);
	cli_step(&t); /* ClientHello */
	for (int i = 0; i < 50 && !busy; i++) {
		loop_run_once(t.l, 1);
		busy = t.c->tp_flags & CONN_TP_BUSY;
	}
	assert_true(busy);
	assert_int_equal(t.c->io.fd, -1);
	conn_close(t.c, 0);
	t.c = NULL;
	close2(&t); /* joins the worker: its done() frees what the close left */
	open2(&t, ctx, &dflt, 0);
	assert_true(pump(&t, BOTH_DONE, 0));
	assert_false(t.c->tp_flags & CONN_TP_BUSY);
	assert_int_equal(t.c->io.fd, t.c->fd);
	close2(&t);
	tls_ctx_unref(ctx);
}

/* 3 MiB out to a client that does not read at first: writes block (the transport keeps what
 * it encrypted), and every byte arrives once, in order, after the client reads again. */
static void test_write_blocks(void **state)
{
	const size_t total = 3u << 20;
	struct config_listener l = listener("server");
	struct tls_ctx *ctx = ctx_of(&l);
	struct t2 t;

	(void)state;
	open2(&t, ctx, &dflt, 4096);
	t.send_on_read = total;
	send_str(&t, "go");
	assert_true(pump(&t, SRV_GOT, 2));
	t.k_reading = false;
	for (int i = 0; i < 20; i++)
		loop_run_once(t.l, 1);
	assert_true(t.c->write_blocked);
	assert_int_equal(t.c->io.events, EPOLLIN | EPOLLOUT);
	t.k_reading = true;
	if (!pump(&t, CLI_GOT, total))
		fail_msg("client got %zu of %zu bytes", t.kin_len, total);
	assert_int_equal(t.kin_len, total);
	for (size_t i = 0; i < total; i++)
		if (t.kin[i] != pattern(i))
			fail_msg("byte %zu: %u, expected %u", i, t.kin[i], pattern(i));
	assert_false(t.c->write_blocked);
	assert_false(t.c->tp_flags & CONN_TP_WRITE_PENDING);
	close2(&t);
	tls_ctx_unref(ctx);
}

/* 400 frames of 0 B .. 40 KB in one burst; the owner takes one frame per call and pauses:
 * what conn and the transport hold must still arrive, without further socket events. */
static void test_frames_paused_reader(void **state)
{
	struct config_listener l = listener("server");
	struct tls_ctx *ctx = ctx_of(&l);
	uint8_t *wire = NULL, *want = NULL, body[40000];
	size_t wire_len = 0, wire_cap = 0, want_len = 0, want_cap = 0;
	struct t2 t;

	(void)state;
	for (size_t f = 0; f < 400; f++) {
		size_t n = (f * 7919) % (f % 7 ? 700 : 40000);
		uint8_t hdr[4] = {0, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};

		for (size_t i = 0; i < n; i++)
			body[i] = pattern(want_len + i);
		add(&wire, &wire_len, &wire_cap, hdr, 4);
		add(&wire, &wire_len, &wire_cap, body, n);
		add(&want, &want_len, &want_cap, body, n);
	}
	open2(&t, ctx, &dflt, 0);
	t.framed = true;
	t.out = wire;
	t.out_len = wire_len;
	assert_true(pump(&t, SRV_GOT, want_len));
	assert_int_equal(t.in_len, want_len);
	assert_memory_equal(t.in, want, want_len);
	close2(&t);
	tls_ctx_unref(ctx);
	free(wire);
	free(want);
}

static void test_ctx_errors(void **state)
{
#define KEY(k) offsetof(struct config_listener, k)
	static const struct {
		size_t key;
		const char *file, *value, *err;
	} cases[] = {
	    {KEY(certfile), NULL, NULL, "listener 8883: TLS needs certfile and keyfile"},
	    {KEY(certfile), "missing.crt", NULL, "missing.crt: No such file or directory"},
	    {KEY(keyfile), "ca.crt", NULL, "keyfile "},
	    {KEY(keyfile), "client.key", NULL, "client.key does not match certfile "},
	    {KEY(keyfile), "encrypted.key", NULL, "encrypted keys are not supported"},
	    {KEY(tls_version), NULL, "tlsv1.0", "tls_version tlsv1.0: not supported"},
	    {KEY(ciphers), NULL, "NOPE", "ciphers NOPE"},
	    {KEY(ciphers_tls13), NULL, "TLS_NOPE", "ciphers_tls1.3 TLS_NOPE"},
	    {KEY(cafile), "missing-ca.crt", NULL, "cafile "},
	    {KEY(crlfile), "server.crt", NULL, "crlfile "}, /* not a CRL */
	};
#undef KEY
	const struct config_listener base = listener("server");
	struct config_listener l;
	struct tls_ctx *ctx;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		l = base;
		*(const char **)((char *)&l + cases[i].key) =
		    cases[i].file ? P(cases[i].file) : cases[i].value;
		errno = 0;
		assert_null(tls_ctx_new(&l, err, sizeof(err)));
		assert_int_equal(errno, EINVAL);
		if (!strstr(err, cases[i].err))
			fail_msg("error '%s' lacks '%s'", err, cases[i].err);
	}
	/* references (the leak checker sees a miscount) */
	ctx = ctx_of(&base);
	assert_ptr_equal(tls_ctx_ref(ctx), ctx);
	tls_ctx_unref(ctx);
	tls_ctx_unref(ctx);
	tls_ctx_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_resumption),
		cmocka_unit_test(test_require_certificate),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_bad_input_and_eof),
		cmocka_unit_test(test_handshake_blocks),
		cmocka_unit_test(test_handshake_off_loop),
		cmocka_unit_test(test_write_blocks),
		cmocka_unit_test(test_frames_paused_reader),
		cmocka_unit_test(test_ctx_errors),
	};

	signal(SIGPIPE, SIG_IGN); /* the test's client writes to sockets the server closed */
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
