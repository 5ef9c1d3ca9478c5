// SPDX-License-Identifier: MIT
/*
 * tls_keys unit tests: TLS-PSK listeners through the real transport (conn_new + conn_tls in a
 * real loop, an OpenSSL PSK client stepped in the same thread over a socketpair). Covered:
 * TLS 1.2 and 1.3 handshakes with the identity taken as the user name (TLS_ID_PSK, also where
 * OpenSSL 3.0 leaves SSL_get_psk_identity NULL), a wrong key and an unknown identity failing
 * the handshake, tls_ctx_listener's psk_file errors (the key and the file's line), and a
 * psk_hint without psk_file. Engine keys: tests/integration/t_tls_engine.sh (a SoftHSM2 token).
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

void __wrap_log_msg_rl(struct log_ratelimit *rl, uint32_t type, const char *fmt, ...);
void __wrap_log_msg_rl(struct log_ratelimit *rl, uint32_t type, const char *fmt, ...)
{
	(void)rl, (void)type, (void)fmt;
}

static char dir[] = "/tmp/test_tls_keys.XXXXXX", psk_path[64];

struct side {
	struct loop *l;
	struct conn *c;
	bool closed;
	int cfd;
	SSL_CTX *kctx;
	SSL *ssl;
	bool done;
	int failed;
};

static const char *cli_id, *cli_key; /* what the client callback answers */

static unsigned int cli_psk(SSL *ssl, const char *hint, char *id, unsigned int max_id,
			    unsigned char *psk, unsigned int max_psk)
{
	size_t n = strlen(cli_key) / 2;

	(void)ssl;
	/* TLS 1.2 sends the hint; a TLS 1.3 client asks before it could know one */
	if (hint)
		assert_string_equal(hint, "gw");
	snprintf(id, max_id, "%s", cli_id);
	assert_true(n > 0 && n <= max_psk);
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		assert_int_equal(sscanf(cli_key + 2 * i, "%2x", &v), 1);
		psk[i] = (unsigned char)v;
	}
	return (unsigned int)n;
}

static ssize_t srv_on_read(struct conn *c, const uint8_t *buf, size_t len)
{
	(void)c, (void)buf;
	return (ssize_t)len;
}

static void srv_on_close(struct conn *c, int err)
{
	struct side *s = c->owner;

	(void)err;
	s->closed = true, s->c = NULL;
}

static const struct conn_ops srv_ops = {.on_read = srv_on_read, .on_close = srv_on_close};

static void flush_hook(struct loop *l, void *ctx)
{
	(void)l, (void)ctx;
	conn_flush_all();
}

/* A server conn under ctx and a PSK client at version v; true once both finished. */
static bool handshake(struct side *s, struct tls_ctx *ctx, int v)
{
	time_t end = time(NULL) + 5;
	int sv[2], r;

	memset(s, 0, sizeof(*s));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	s->l = loop_new();
	assert_non_null(s->l);
	loop_set_before_wait(s->l, flush_hook, NULL);
	s->c = conn_new(s->l, sv[0], &conn_tls, &srv_ops, s);
	assert_non_null(s->c);
	assert_int_equal(tls_conn_attach(s->c, ctx), 0);
	s->cfd = sv[1];
	s->kctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(s->kctx);
	SSL_CTX_set_min_proto_version(s->kctx, v);
	SSL_CTX_set_max_proto_version(s->kctx, v);
	SSL_CTX_set_psk_client_callback(s->kctx, cli_psk);
	s->ssl = SSL_new(s->kctx);
	assert_int_equal(SSL_set_fd(s->ssl, s->cfd), 1);
	SSL_set_connect_state(s->ssl);
	while (time(NULL) <= end && !s->failed && !s->closed) {
		struct tls_info info;

		if (!s->done) {
			r = SSL_connect(s->ssl);
			if (r == 1)
				s->done = true;
			else if (SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ &&
				 SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_WRITE)
				s->failed = SSL_get_error(s->ssl, r);
		}
		loop_run_once(s->l, 1);
		if (s->done && s->c && !tls_conn_info(s->c, &info))
			return true;
	}
	return false;
}

static void side_close(struct side *s)
{
	if (s->c)
		conn_close(s->c, 0);
	loop_run_once(s->l, 0);
	tls_handshake_pool_free(); /* its workers post to this loop */
	loop_free(s->l);
	SSL_free(s->ssl);
	SSL_CTX_free(s->kctx);
	close(s->cfd);
	ERR_clear_error();
}

static struct tls_ctx *psk_ctx(const char *file_text, char *err, size_t errlen, const char **bad)
{
	struct config_listener l = {.port = 8883, .psk_hint = "gw", .psk_file = psk_path};
	struct config *cfg = config_new();
	struct tls_ctx *ctx;
	FILE *f = fopen(psk_path, "w");

	assert_non_null(f);
	fputs(file_text, f);
	fclose(f);
	assert_non_null(cfg);
	ctx = tls_ctx_listener(cfg, &l, bad, err, errlen);
	config_free(cfg);
	return ctx;
}

static void test_psk_handshakes(void **state)
{
	static const int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};
	char err[512] = "", name[64];
	struct tls_ctx *ctx =
	    psk_ctx("dev1:00a1b2c3d4e5f60718293a4b5c6d7e8f\nother:0102\n", err, sizeof(err), NULL);
	struct side s;

	(void)state;
	if (!ctx)
		fail_msg("tls_ctx_listener: %s", err);
	for (size_t i = 0; i < 2; i++) {
		cli_id = "dev1", cli_key = "00a1b2c3d4e5f60718293a4b5c6d7e8f";
		assert_true(handshake(&s, ctx, versions[i]));
		assert_int_equal(tls_peer_identity(s.c, TLS_ID_PSK, name, sizeof(name)), 4);
		assert_string_equal(name, "dev1");
		assert_int_equal(tls_peer_identity(s.c, TLS_ID_CN, name, sizeof(name)), -ENOENT);
		assert_int_equal(tls_peer_identity(s.c, TLS_ID_PSK, name, 4), -ENOSPC);
		side_close(&s);
		/* a wrong key, an unknown identity: no session */
		cli_key = "00a1b2c3d4e5f60718293a4b5c6d7e80";
		assert_false(handshake(&s, ctx, versions[i]));
		side_close(&s);
		cli_id = "nobody", cli_key = "0102";
		assert_false(handshake(&s, ctx, versions[i]));
		side_close(&s);
	}
	tls_ctx_unref(ctx);
}

static void test_psk_errors(void **state)
{
	struct config_listener p = {.port = 8883, .psk_hint = "gw", .psk_file = psk_path};
	struct config *cfg = config_new();
	char err[512] = "";
	const char *bad = NULL;

	(void)state;
	assert_null(psk_ctx("dev1:00\ndev2:zz\n", err, sizeof(err), &bad));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(bad, "psk_file");
	assert_non_null(strstr(err, "listener 8883: psk_file "));
	assert_non_null(strstr(err, ":2: key for identity \"dev2\" is not hexadecimal"));
	unlink(psk_path);
	assert_non_null(cfg);
	assert_null(tls_ctx_listener(cfg, &p, &bad, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(bad, "psk_file");
	/* psk_hint without any psk_file: a context (with a warning) that knows no identity */
	p.psk_file = NULL;
	{
		struct tls_ctx *ctx = tls_ctx_listener(cfg, &p, &bad, err, sizeof(err));
		struct side s;

		assert_non_null(ctx);
		cli_id = "dev1", cli_key = "00";
		assert_false(handshake(&s, ctx, TLS1_3_VERSION));
		side_close(&s);
		tls_ctx_unref(ctx);
	}
	config_free(cfg);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(psk_path, sizeof(psk_path), "%s/psk", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(psk_path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_psk_handshakes),
	    cmocka_unit_test(test_psk_errors),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
