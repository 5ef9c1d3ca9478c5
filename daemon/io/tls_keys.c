/* SPDX-License-Identifier: MIT */
/*
 * tls_keys: where a TLS listener's secrets come from besides PEM files (part of the tls
 * module; see include/tls.h):
 *
 * TLS-PSK (`psk_hint`, `psk_file`): OpenSSL's PSK server callback looks the client's identity
 * up in the context's psk_db (include/psk.h). The same callback serves TLS 1.2 PSK suites and
 * TLS 1.3 (OpenSSL then makes a session with a SHA-256 suite, TLS_AES_128_GCM_SHA256). The
 * hint goes out in TLS 1.2's ServerKeyExchange, as Mosquitto sends it.
 *
 * Keys in an engine (`tls_engine`, `tls_keyform engine`, `tls_engine_kpass_sha1`), as
 * Mosquitto 2.0 does it: the engine is looked up by id and initialised; with a kpass, the
 * engine is told "SECRET_MODE" SHA-1 (0x1000, the TPM engine's TSS_SECRET_MODE_SHA1) and given
 * the 20 bytes as "PIN"; keyfile is the engine's key id (a `pkcs11:` URI for libp11's pkcs11
 * engine, whose PIN then goes in the URI as pin-value=). Mosquitto's interactive passphrase
 * prompt has no terminal in a daemon: a key that needs one fails with a clear message.
 * The ENGINE API is deprecated in OpenSSL 3 but still the one Mosquitto's keys name; its
 * warnings are silenced in this file only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/ui.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

#include "config.h"
#include "psk.h"
#include "tls_int.h"

/* ---- TLS-PSK ---- */

/* The identity a PSK handshake was accepted for, kept on its SSL: OpenSSL 3.0's TLS 1.3 path
 * makes a session without it, so SSL_get_psk_identity() is NULL there (Mosquitto, too, takes
 * the name inside the callback). */
static int psk_id_index = -1;

static void psk_id_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
				  unsigned int max_psk_len)
{
	const struct psk_db *db = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	int n = psk_lookup(db, identity, psk, max_psk_len);
	char *id;

	/* 0: unknown identity, the handshake fails (alert unknown_psk_identity) */
	if (n <= 0)
		return 0;
	id = strdup(identity);
	if (!id) {
		OPENSSL_cleanse(psk, (size_t)n);
		return 0;
	}
	free(SSL_get_ex_data(ssl, psk_id_index));
	if (!SSL_set_ex_data(ssl, psk_id_index, id)) {
		free(id);
		OPENSSL_cleanse(psk, (size_t)n);
		return 0;
	}
	return (unsigned int)n;
}

const char *tls_psk_identity(const SSL *ssl)
{
	const char *id = psk_id_index >= 0 ? SSL_get_ex_data(ssl, psk_id_index) : NULL;

	return id ? id : SSL_get_psk_identity(ssl);
}

int tls_psk_setup(SSL_CTX *s, const char *hint, const struct psk_db *db)
{
	if (psk_id_index < 0)
		psk_id_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, psk_id_free);
	if (psk_id_index < 0)
		return -ENOMEM;
	SSL_CTX_set_app_data(s, (void *)db);
	SSL_CTX_set_psk_server_callback(s, psk_server_cb);
	return SSL_CTX_use_psk_identity_hint(s, hint) == 1 ? 0 : -EINVAL;
}

/* ---- private keys held by an engine ---- */

#ifndef OPENSSL_NO_ENGINE
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define ENGINE_SECRET_MODE_SHA 0x1000 /* what Mosquitto passes to "SECRET_MODE" */

static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown OpenSSL error";
}

/* The engine's UI asks for a PIN: a daemon has nobody to ask. */
static int ui_no_prompt(UI *ui, UI_STRING *uis)
{
	(void)uis;
	*(bool *)UI_get0_user_data(ui) = true;
	return 0;
}

/*
 * An engine, once used, stays loaded until exit (one structural reference each, never
 * dropped): libp11's pkcs11 engine keeps method tables in statics that unloading its module
 * on a failed start would strand (LeakSanitizer then fails the run), and a SIGHUP reload
 * reuses the loaded module instead of loading it again.
 */
static void engine_keep(ENGINE *e)
{
	static ENGINE *kept[8];

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (kept[i] == e)
			return;
		if (!kept[i] && ENGINE_up_ref(e)) {
			kept[i] = e;
			return;
		}
	}
}

static int hex20(const char *hex, unsigned char *out)
{
	for (int i = 0; i < 20; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (unsigned char)v;
	}
	return 0;
}

int tls_engine_key(SSL_CTX *s, const struct config_listener *l, ENGINE **out, const char **bad_key,
		   char *err, size_t errlen)
{
	UI_METHOD *ui = NULL;
	EVP_PKEY *pk = NULL;
	ENGINE *e;
	bool asked = false;
	unsigned char pin[21];

	*out = NULL;
	*bad_key = "tls_engine";
	e = ENGINE_by_id(l->tls_engine);
	if (!e) {
		snprintf(err, errlen, "listener %u: tls_engine %s: no such OpenSSL engine (%s)",
			 l->port, l->tls_engine, ossl_reason());
		return -EINVAL;
	}
	if (!ENGINE_init(e)) {
		snprintf(err, errlen, "listener %u: tls_engine %s: initialisation failed (%s)",
			 l->port, l->tls_engine, ossl_reason());
		ENGINE_free(e);
		return -EINVAL;
	}
	engine_keep(e);
	ENGINE_free(e); /* the functional reference from ENGINE_init stays */
	*out = e;
	if (l->tls_keyform != CONFIG_KEYFORM_ENGINE)
		return 0;
	if (l->tls_engine_kpass_sha1) {
		*bad_key = "tls_engine_kpass_sha1";
		if (!ENGINE_ctrl_cmd(e, "SECRET_MODE", ENGINE_SECRET_MODE_SHA, NULL, NULL, 0)) {
			snprintf(err, errlen,
				 "listener %u: tls_engine_kpass_sha1: engine %s takes no SHA-1 key "
				 "password (no SECRET_MODE command; Mosquitto refuses it too)%s",
				 l->port, l->tls_engine,
				 !strcmp(l->tls_engine, "pkcs11")
				     ? "; give the token PIN in the keyfile URI (pin-value=)"
				     : "");
			return -EINVAL;
		}
		if (hex20(l->tls_engine_kpass_sha1, pin) < 0 ||
		    !ENGINE_ctrl_cmd(e, "PIN", 0, pin, NULL, 0)) {
			snprintf(err, errlen, "listener %u: tls_engine_kpass_sha1: engine %s: %s",
				 l->port, l->tls_engine, ossl_reason());
			OPENSSL_cleanse(pin, sizeof(pin));
			return -EINVAL;
		}
		OPENSSL_cleanse(pin, sizeof(pin));
	} else {
		ui = UI_create_method("mqttgw: no terminal");
		if (!ui || UI_method_set_reader(ui, ui_no_prompt) < 0) {
			UI_destroy_method(ui);
			snprintf(err, errlen, "listener %u: TLS: out of memory", l->port);
			return -ENOMEM;
		}
	}
	*bad_key = "keyfile";
	ERR_clear_error();
	pk = ENGINE_load_private_key(e, l->keyfile, ui, &asked);
	UI_destroy_method(ui);
	if (!pk) {
		snprintf(err, errlen,
			 "listener %u: keyfile %s: engine %s cannot load the key: %s%s", l->port,
			 l->keyfile, l->tls_engine, ossl_reason(),
			 asked ? " (it asks for a PIN: set tls_engine_kpass_sha1, or pin-value= "
				 "in a pkcs11: URI)"
			       : "");
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey(s, pk) != 1) {
		snprintf(err, errlen, "listener %u: keyfile %s: %s", l->port, l->keyfile,
			 ossl_reason());
		EVP_PKEY_free(pk);
		return -EINVAL;
	}
	EVP_PKEY_free(pk); /* the context holds its own reference */
	return 0;
}

void tls_engine_release(ENGINE *e)
{
	if (e)
		ENGINE_finish(e);
}

#pragma GCC diagnostic pop
#else

int tls_engine_key(SSL_CTX *s, const struct config_listener *l, ENGINE **out, const char **bad_key,
		   char *err, size_t errlen)
{
	(void)s;
	*out = NULL;
	*bad_key = "tls_engine";
	snprintf(err, errlen, "listener %u: tls_engine %s: this OpenSSL has no engine support",
		 l->port, l->tls_engine);
	return -EINVAL;
}

void tls_engine_release(ENGINE *e)
{
	(void)e;
}
#endif
