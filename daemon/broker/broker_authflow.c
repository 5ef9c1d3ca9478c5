/* SPDX-License-Identifier: MIT */
/*
 * broker: MQTT 5 enhanced authentication (4.12, the AUTH packet 3.15) with SCRAM-SHA-256
 * (include/scram.h) against the listener's scram_password_file.
 *
 * At CONNECT: CONNECT (method, client-first) -> AUTH 0x18 (server-first) -> AUTH 0x18
 * (client-final) -> CONNACK 0x00 (method, server-final). The CONNECT is kept as received and
 * decoded again when the proof verified, so the rest of the CONNECT path (will, session,
 * CONNACK) is the one every client goes through. connect_timeout still runs: it bounds the
 * whole exchange.
 * Re-authentication (4.12.1), after CONNACK: AUTH 0x19 (client-first) -> AUTH 0x18 -> AUTH 0x18
 * (client-final) -> AUTH 0x00 (server-final); other packets may interleave.
 *
 * Refusals: an unsupported method, or SCRAM where no scram_password_file applies: CONNACK 0x8C.
 * A failed exchange: CONNACK 0x87 (Not authorized) before CONNACK, DISCONNECT 0x87 after it.
 * 0x87, not 0x86 (Bad User Name or Password): DISCONNECT has no 0x86, and one code for both
 * phases and for every SCRAM failure (wrong password, unknown user, malformed SCRAM message,
 * user name mismatch) tells a prober nothing. An unknown user gets a stand-in salt (derived
 * from a per-boot key and the name) and fails only at the proof, like a wrong password.
 * Protocol errors (AUTH with another method or an out-of-place reason code, other packets
 * before CONNACK, AUTH from a client that did not use enhanced authentication): 0x82.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_auth.h"
#include "broker_authflow.h"
#include "crypto.h"
#include "log.h"

struct client_auth {
	struct scram_server st;
	uint8_t *connect; /* the CONNECT as received (before CONNACK only) */
	size_t connect_len;
	bool assigned; /* the client identifier was assigned by us */
};

static bool method_is_scram(const struct mqtt_buf *m)
{
	return m->len == sizeof(SCRAM_METHOD) - 1 && !memcmp(m->p, SCRAM_METHOD, m->len);
}

void broker_authflow_free(struct client *c)
{
	if (!c->auth)
		return;
	scram_server_wipe(&c->auth->st);
	free(c->auth->connect);
	free(c->auth);
	c->auth = NULL;
}

/* false when the AUTH does not fit the client's Maximum Packet Size [MQTT-3.1.2-24]: the
 * exchange cannot go on. */
static bool send_auth(struct client *c, uint8_t reason, const uint8_t *data, size_t len)
{
	uint8_t buf[SCRAM_MSG_MAX + 64], props[SCRAM_MSG_MAX + 32];
	struct mqtt_propbuf pb;
	long room = client_props_room(c, 1, sizeof(props));
	size_t n;

	codec_props_init(&pb, props, room > 0 ? (uint32_t)room : 0);
	codec_props_str(&pb, MQTT_PROP_AUTH_METHOD, SCRAM_METHOD, sizeof(SCRAM_METHOD) - 1);
	codec_props_str(&pb, MQTT_PROP_AUTH_DATA, data, (uint16_t)len);
	n = codec_encode_disconnect(buf, sizeof(buf), MQTT_V5, MQTT_AUTH, reason, props, pb.len);
	if (room < 0 || pb.overflow || n > sizeof(buf))
		return false;
	client_send_raw(c, buf, n);
	return true;
}

#define AUTH_TOO_BIG "AUTH over the client's Maximum Packet Size"

/*
 * Parse the client-first-message and answer with the server-first-message. user_must: the
 * user name the exchange must be for (NULL: any). Returns 0, or the failure as a log text in
 * *why with -EACCES (refuse as not authorized) or -EIO (server trouble).
 */
static int scram_begin(struct client *c, const struct mqtt_buf *data, const char *user_must,
		       const char **why)
{
	struct broker *b = c->b;
	const struct broker_auth *au = broker_auth_for(b, c->auth_idx);
	struct scram_server *st = &c->auth->st;
	struct scram_secret sec;
	uint8_t rnd[18], out[SCRAM_MSG_MAX];
	char nonce[32];
	int n;

	n = scram_client_first(st, data->p, data->len);
	if (n) {
		*why = n == -ENOTSUP ? "SCRAM: channel binding or a mandatory extension requested"
		       : n == -EPERM ? "SCRAM: authorization identity other than the user"
				     : "SCRAM: malformed client-first-message";
		return -EACCES;
	}
	if (!codec_utf8_valid((const uint8_t *)st->user, st->user_len)) {
		*why = "SCRAM: user name is not valid UTF-8";
		return -EACCES;
	}
	if (user_must && strcmp(user_must, st->user)) {
		*why = "SCRAM user differs from the connection's user name";
		return -EACCES;
	}
	if (!b->scram_key_set) {
		if (crypto_random(b->scram_key, sizeof(b->scram_key))) {
			*why = "no random bytes";
			return -EIO;
		}
		b->scram_key_set = true;
	}
	if (passwd_scram_lookup(au->scram, st->user, &sec) &&
	    scram_secret_fake(b->scram_key, st->user, st->user_len, sec.iterations, &sec)) {
		*why = "SCRAM: hashing failed";
		return -EIO;
	}
	if (crypto_random(rnd, sizeof(rnd))) {
		*why = "no random bytes";
		return -EIO;
	}
	crypto_b64_encode(rnd, sizeof(rnd), nonce, sizeof(nonce));
	n = scram_server_first(st, &sec, nonce, strlen(nonce), out, sizeof(out));
	crypto_wipe(&sec, sizeof(sec));
	if (n < 0) {
		/* only a client nonce too long to fit the answer gets here */
		*why = "SCRAM: client-first-message too long";
		return -EACCES;
	}
	if (!send_auth(c, MQTT_RC_CONTINUE_AUTH, out, (size_t)n)) {
		*why = AUTH_TOO_BIG;
		return -EIO;
	}
	return 0;
}

/* Verify the client-final-message; 0 with the server-final-message in out[0..*len). */
static int scram_finish(struct client *c, const struct mqtt_buf *data, uint8_t *out, size_t *len,
			const char **why)
{
	struct scram_server *st = &c->auth->st;
	int n = scram_client_final(st, data->p, data->len);

	if (n == -EIO || (!n && (n = scram_server_final(st, out, SCRAM_MSG_MAX)) < 0)) {
		*why = "SCRAM: hashing failed";
		return -EIO;
	}
	if (n < 0) {
		*why = n == -EACCES
			   ? (st->sec.fake ? "SCRAM: unknown user" : "SCRAM: wrong password")
		       : n == -EPROTO ? "SCRAM: channel binding or nonce mismatch"
				      : "SCRAM: malformed client-final-message";
		return -EACCES;
	}
	*len = (size_t)n;
	return 0;
}

static int refuse(struct client *c, int err, const char *why)
{
	if (err == -EIO)
		return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
				     MQTT_RC_SERVER_UNAVAILABLE, why);
	client_auth_failed(c);
	return client_refuse(c, c->version, MQTT_CONNACK_NOT_AUTHORIZED, MQTT_RC_NOT_AUTHORIZED,
			     why);
}

int broker_authflow_connect(struct client *c, const struct mqtt_connect *cn, const uint8_t *buf,
			    size_t len, bool assigned)
{
	const struct broker_auth *au = broker_auth_for(c->b, c->auth_idx);
	const char *why = NULL;
	int rc;

	/* [MQTT-4.12.0-1]: a method we do not offer on this listener */
	if (!method_is_scram(&cn->props.auth_method) || !au->scram)
		return client_refuse(c, c->version, MQTT_CONNACK_NOT_AUTHORIZED,
				     MQTT_RC_BAD_AUTH_METHOD, "unsupported authentication method");
	c->auth = calloc(1, sizeof(*c->auth));
	if (c->auth)
		c->auth->connect = malloc(len);
	if (!c->auth || !c->auth->connect)
		return refuse(c, -EIO, "out of memory");
	memcpy(c->auth->connect, buf, len);
	c->auth->connect_len = len;
	c->auth->assigned = assigned;
	/* a CONNECT user name (or certificate identity) must name the same user */
	rc = scram_begin(c, &cn->props.auth_data, c->username, &why);
	if (rc)
		return refuse(c, rc, why);
	c->state = CLIENT_AUTH;
	return 0;
}

int broker_authflow_packet(struct client *c, const uint8_t *buf, size_t len,
			   struct authflow_done *done)
{
	struct mqtt_packet pkt;
	struct mqtt_disconnect *a = &pkt.disconnect;
	uint8_t reason = MQTT_RC_MALFORMED;
	const char *why = NULL;
	int rc;

	rc = codec_decode(buf, len, c->version, &pkt, &reason);
	if (rc < 0) {
		client_log_proto(c, "malformed packet during authentication (reason 0x%02x)",
				 reason);
		return client_refuse(c, c->version, 0, reason, "malformed packet");
	}
	if (pkt.type == MQTT_DISCONNECT) {
		log_info_rl("Client %s [%s] disconnected during authentication.", c->client_id,
			    c->peer);
		conn_close(c->conn, 0);
		return -1;
	}
	if (pkt.type != MQTT_AUTH || a->reason != MQTT_RC_CONTINUE_AUTH ||
	    !method_is_scram(&a->props.auth_method))
		return client_refuse(c, c->version, 0, MQTT_RC_PROTOCOL_ERROR,
				     pkt.type != MQTT_AUTH ? "packet other than AUTH before CONNACK"
							   : "AUTH with another method or reason code");
	rc = scram_finish(c, &a->props.auth_data, done->data, &done->data_len, &why);
	if (rc)
		return refuse(c, rc, why);
	/* the proven SCRAM user is the session's user name (ACL %u, logs) */
	free(c->username);
	c->username = strdup(c->auth->st.user);
	if (!c->username)
		return refuse(c, -EIO, "out of memory");
	c->enhanced = true;
	c->pw_id = passwd_entry_id(broker_auth_for(c->b, c->auth_idx)->scram, c->username);
	done->connect = c->auth->connect;
	done->connect_len = c->auth->connect_len;
	done->assigned = c->auth->assigned;
	c->auth->connect = NULL;
	broker_authflow_free(c);
	return 1;
}

int broker_handle_auth(struct client *c, struct mqtt_packet *pkt)
{
	struct mqtt_disconnect *a = &pkt->disconnect;
	uint8_t out[SCRAM_MSG_MAX];
	const char *why = NULL;
	size_t olen = 0;
	int rc;

	/* [MQTT-4.12.0-7], [MQTT-4.12.1-1] */
	if (!c->enhanced || !method_is_scram(&a->props.auth_method) ||
	    (a->reason == MQTT_RC_REAUTHENTICATE) != !c->auth || a->reason == MQTT_RC_SUCCESS) {
		why = !c->enhanced ? "AUTH without enhanced authentication at CONNECT"
		      : !method_is_scram(&a->props.auth_method)
			  ? "AUTH with another authentication method"
			  : "AUTH reason code out of sequence";
		client_log_proto(c, "%s", why);
		client_close(c, MQTT_RC_PROTOCOL_ERROR, why);
		return -1;
	}
	if (a->reason == MQTT_RC_REAUTHENTICATE) {
		c->auth = calloc(1, sizeof(*c->auth));
		rc = c->auth ? scram_begin(c, &a->props.auth_data, c->username, &why) : -EIO;
		if (!c->auth)
			why = "out of memory";
	} else {
		rc = scram_finish(c, &a->props.auth_data, out, &olen, &why);
		if (!rc) {
			c->pw_id = passwd_entry_id(broker_auth_for(c->b, c->auth_idx)->scram,
						   c->username);
			if (send_auth(c, MQTT_RC_SUCCESS, out, olen)) {
				broker_authflow_free(c);
				log_info_rl("Client %s [%s] re-authenticated as '%s'.",
					    c->client_id, c->peer, c->username);
			} else {
				rc = -EIO;
				why = AUTH_TOO_BIG;
			}
		}
	}
	if (!rc)
		return 0;
	/* [MQTT-4.12.1-2] */
	if (rc != -EIO)
		client_auth_failed(c);
	client_close(c, rc == -EIO ? MQTT_RC_SERVER_UNAVAILABLE : MQTT_RC_NOT_AUTHORIZED, why);
	return -1;
}
