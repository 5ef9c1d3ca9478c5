/* SPDX-License-Identifier: MIT */
/*
 * broker_connect: CONNECT and CONNACK. broker.c runs the steps in order: decode (client id),
 * server redirection (broker_redirect.c), user name, then either enhanced authentication
 * (broker_authflow.c, which comes back through broker_connect_resume) or authenticate and
 * accept: will, v5 limits, session attach or take-over, CONNACK.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_auth.h"
#include "broker_connect.h"
#include "broker_mount.h"
#include "broker_deliver.h"
#include "broker_session.h"
#include "broker_store.h"
#include "broker_will.h"
#include "log.h"

/* A property of n bytes (identifier included) still fits pb. */
static bool prop_fits(const struct mqtt_propbuf *pb, uint32_t n)
{
	return !pb->overflow && n <= pb->cap - pb->len;
}

/*
 * The CONNACK's properties, within what the client's Maximum Packet Size leaves (pb's cap)
 * [MQTT-3.1.2-24]. First what the client cannot do without: the authentication method and data
 * [MQTT-4.12.0-5], an assigned client id [MQTT-3.2.2-16], a Server Keep Alive it must use
 * [MQTT-3.2.2-21]; -1 when those do not fit. Then the rest, each only if it fits, most useful
 * first; what is left out takes its default (the broker still enforces its limits).
 */
static int connack_props(struct client *c, struct mqtt_propbuf *pb, const struct mqtt_connect *cn,
			 bool assigned, uint16_t server_keepalive, const uint8_t *auth_data,
			 size_t auth_len)
{
	const struct config *cfg = c->b->cfg;

	if (c->enhanced)
		codec_props_str(pb, MQTT_PROP_AUTH_METHOD, cn->props.auth_method.p,
				(uint16_t)cn->props.auth_method.len);
	if (auth_len)
		codec_props_str(pb, MQTT_PROP_AUTH_DATA, auth_data, (uint16_t)auth_len);
	if (assigned)
		codec_props_str(pb, MQTT_PROP_ASSIGNED_CLIENT_ID, c->client_id,
				(uint16_t)strlen(c->client_id));
	if (server_keepalive != cn->keepalive)
		codec_props_u16(pb, MQTT_PROP_SERVER_KEEPALIVE, server_keepalive);
	if (pb->overflow)
		return -1;
	if (cfg->max_receive != 65535 && prop_fits(pb, 3))
		codec_props_u16(pb, MQTT_PROP_RECEIVE_MAX, cfg->max_receive);
	if (c->b->max_packet_in <= MQTT_MAX_REMAINING && prop_fits(pb, 5))
		codec_props_u32(pb, MQTT_PROP_MAX_PACKET_SIZE, c->b->max_packet_in);
	if (client_listener(c)->max_qos < 2 && prop_fits(pb, 2))
		codec_props_byte(pb, MQTT_PROP_MAX_QOS, client_listener(c)->max_qos);
	if (!cfg->retain_available && prop_fits(pb, 2))
		codec_props_byte(pb, MQTT_PROP_RETAIN_AVAILABLE, 0);
	/* absent means 0 [MQTT-3.2.2-...]: say how many aliases we accept */
	if (client_alias_max(c) && prop_fits(pb, 3))
		codec_props_u16(pb, MQTT_PROP_TOPIC_ALIAS_MAX, client_alias_max(c));
	if (cn->props.request_response_info) {
		/* the basis for response topics this client may use [MQTT-3.1.2-28] */
		char ri[96];
		int n = snprintf(ri, sizeof(ri), "response/%.80s", c->client_id);

		if (prop_fits(pb, 3u + (uint32_t)n))
			codec_props_str(pb, MQTT_PROP_RESPONSE_INFO, ri, (uint16_t)n);
	}
	/* Wildcards, subscription identifiers and shared subscriptions default to available. */
	return 0;
}

/* Refuse a CONNECT whose password check (passwd_check) returned r < 0. Returns -1. */
static int password_refused(struct client *c, int r)
{
	if (r == -ENOMEM || r == -EIO || r == -ECANCELED)
		return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
				     MQTT_RC_SERVER_UNAVAILABLE, "password check failed");
	client_auth_failed(c);
	return client_refuse(c, c->version, MQTT_CONNACK_NOT_AUTHORIZED,
			     MQTT_RC_BAD_USERNAME_OR_PASSWORD,
			     r == -ENOENT ? "unknown user name" : "bad user name or password");
}

/*
 * Who may connect [MQTT-3.1.4-2]: a user name checked against the listener's password_file
 * when there is one; no user name only where anonymous access is allowed. The will topic
 * must be writable under the ACL. Refusals are counted and logged rate-limited.
 * preauth: the credential was already checked (client certificate, enhanced authentication).
 */
static int connect_authenticate(struct client *c, const struct mqtt_connect *cn, bool preauth)
{
	struct broker *b = c->b;
	const struct broker_auth *au = broker_auth_for(b, c->auth_idx);
	int r;

	if (preauth) {
		/* the client certificate is the credential: no password_file check (Mosquitto);
		 * likewise a SCRAM exchange that proved the password */
	} else if (!cn->has_username) {
		if (!config_listener_anonymous(b->cfg, client_listener(c))) {
			client_auth_failed(c);
			return client_refuse(c, c->version, MQTT_CONNACK_NOT_AUTHORIZED,
					     MQTT_RC_NOT_AUTHORIZED,
					     "anonymous access not allowed");
		}
	} else if (au->pw) {
		r = passwd_check(au->pw, c->username, cn->has_password ? cn->password.p : NULL,
				 cn->password.len);
		if (r < 0)
			return password_refused(c, r);
		c->pw_id = passwd_entry_id(au->pw, c->username);
	}
	if (cn->will && !acl_check(au->acl, c->client_id, c->username,
				   (const char *)cn->will_topic.p, cn->will_topic.len, ACL_WRITE)) {
		client_auth_failed(c);
		return client_refuse(c, c->version, MQTT_CONNACK_NOT_AUTHORIZED,
				     MQTT_RC_NOT_AUTHORIZED, "will topic not authorized");
	}
	return 0;
}

/*
 * use_identity_as_username / use_subject_as_username on a TLS listener (Mosquitto): the user
 * name is the client certificate's CN, or its whole subject (RFC 2253); the user name and
 * password in CONNECT are ignored. No certificate (or no CN): bad user name or password.
 */
static int connect_cert_username(struct client *c)
{
	const struct config_listener *l = client_listener(c);
	char name[1024];
	enum tls_identity which = l->use_identity_as_username ? TLS_ID_CN : TLS_ID_SUBJECT;
	int n;

	/* a psk_hint listener takes the PSK identity, never a certificate's (Mosquitto; without
	 * use_identity_as_username there is then no name at all: refused) */
	if (l->psk_hint)
		which = TLS_ID_PSK;
	n = l->psk_hint && !l->use_identity_as_username
		? -ENOENT
		: tls_peer_identity(c->conn, which, name, sizeof(name));

	if (n >= 0 && !codec_utf8_valid((const uint8_t *)name, (size_t)n))
		n = -EBADMSG;
	if (n < 0) {
		client_auth_failed(c);
		return client_refuse(c, c->version,
				     n == -EBADMSG ? MQTT_CONNACK_NOT_AUTHORIZED
						   : MQTT_CONNACK_BAD_CREDENTIALS,
				     MQTT_RC_BAD_USERNAME_OR_PASSWORD,
				     n == -ENOENT ? "no client certificate name"
						  : "unusable client certificate name");
	}
	c->username = strdup(name);
	if (!c->username)
		return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
				     MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
	return 0;
}

static bool proto_name_known(const struct mqtt_buf *n)
{
	return (n->len == 4 && !memcmp(n->p, "MQTT", 4)) ||
	       (n->len == 6 && !memcmp(n->p, "MQIsdp", 6));
}

int broker_connect_decode(struct client *c, const uint8_t *buf, size_t len, struct mqtt_packet *pkt,
			  bool *assigned)
{
	struct broker *b = c->b;
	const struct config *cfg = b->cfg;
	struct mqtt_connect *cn = &pkt->connect;
	uint8_t reason = MQTT_RC_MALFORMED;
	char idbuf[240]; /* auto_id_prefix (at most 200 bytes of it) and 34 */
	const char *id;
	size_t id_len;
	int ret;

	*assigned = false;
	memset(pkt, 0, sizeof(*pkt));
	ret = codec_decode(buf, len, 0, pkt, &reason);
	if (ret == -EPROTONOSUPPORT && !proto_name_known(&cn->proto_name)) {
		/* not MQTT at all: close without an answer [MQTT-3.1.2-1] */
		client_log_proto(c, "unknown protocol name");
		return -1;
	}
	if (ret == -EPROTONOSUPPORT)
		return client_refuse(c, cn->version, MQTT_CONNACK_BAD_PROTOCOL,
				     MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION,
				     "unsupported protocol name or level");
	if (ret < 0) {
		if (reason == MQTT_RC_CLIENT_ID_NOT_VALID)
			return client_refuse(c, cn->version, MQTT_CONNACK_ID_REJECTED,
					     MQTT_RC_CLIENT_ID_NOT_VALID, "invalid client id");
		client_log_proto(c, "malformed CONNECT (reason 0x%02x)", reason);
		return -1;
	}
	c->version = cn->version;
	c->bridge = cn->bridge;
	/* from here on nothing larger goes to it, a refusing CONNACK included [MQTT-3.1.2-24] */
	if (c->version == MQTT_V5)
		c->max_packet_out = cn->props.max_packet_size;
	id = (const char *)cn->client_id.p;
	id_len = cn->client_id.len;

	/* client identifier [MQTT-3.1.3-7], [MQTT-3.1.3-8] */
	if (!id_len) {
		/* per_listener_settings: the listener's own allow_zero_length_clientid */
		int zero = client_listener(c)->allow_zero_length_clientid;

		if (c->version == MQTT_V31 || (c->version == MQTT_V311 && !cn->clean) ||
		    !(zero >= 0 ? zero : cfg->allow_zero_length_clientid))
			return client_refuse(c, c->version, MQTT_CONNACK_ID_REJECTED,
					     MQTT_RC_CLIENT_ID_NOT_VALID,
					     "zero-length client id not allowed");
		snprintf(idbuf, sizeof(idbuf), "%.200s%016llx-%llx",
			 cfg->auto_id_prefix ? cfg->auto_id_prefix : "auto-",
			 (unsigned long long)loop_now_us() ^ ((unsigned long long)b->serial << 40),
			 (unsigned long long)c->serial);
		id = idbuf;
		id_len = strlen(idbuf);
		*assigned = true;
	} else if (c->version == MQTT_V31 && id_len > 23) {
		return client_refuse(c, c->version, MQTT_CONNACK_ID_REJECTED,
				     MQTT_RC_CLIENT_ID_NOT_VALID,
				     "MQTT 3.1 client id over 23 bytes");
	}
	/* clientid_prefixes (Mosquitto): only ids that start with it, assigned ones included */
	if (cfg->clientid_prefixes &&
	    (id_len < strlen(cfg->clientid_prefixes) ||
	     memcmp(id, cfg->clientid_prefixes, strlen(cfg->clientid_prefixes))))
		return client_refuse(c, c->version, MQTT_CONNACK_NOT_AUTHORIZED,
				     MQTT_RC_NOT_AUTHORIZED, "client id not in clientid_prefixes");
	c->client_id = strndup(id, id_len);
	if (!c->client_id)
		return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
				     MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
	return 0;
}

int broker_connect_username(struct client *c, const struct mqtt_connect *cn)
{
	const struct config_listener *l = client_listener(c);
	bool by_cert = (l->certfile || l->psk_hint) &&
		       (l->use_identity_as_username || l->use_subject_as_username);

	int ret = 0;
	char *id;

	if (by_cert) {
		if (connect_cert_username(c) < 0)
			return -1;
		ret = 1;
	} else if (cn->has_username) {
		c->username = strndup((const char *)cn->username.p, cn->username.len);
		if (!c->username)
			return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
					     MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
	}
	/* use_username_as_clientid (Mosquitto, per listener): the user name is the client id
	 * (sessions, take-over, %c); a client without one is not authorized */
	if (!l->use_username_as_clientid)
		return ret;
	if (!c->username)
		return client_refuse(c, c->version, MQTT_CONNACK_NOT_AUTHORIZED,
				     MQTT_RC_NOT_AUTHORIZED,
				     "no user name for use_username_as_clientid");
	id = strdup(c->username);
	if (!id)
		return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
				     MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
	free(c->client_id);
	c->client_id = id;
	return ret;
}

int broker_connect_resume(struct client *c, const uint8_t *buf, size_t len, bool assigned,
			  const uint8_t *auth_data, size_t auth_len)
{
	struct mqtt_packet pkt;
	uint8_t reason = MQTT_RC_MALFORMED;

	memset(&pkt, 0, sizeof(pkt));
	/* decoded once already: it cannot fail now */
	if (codec_decode(buf, len, 0, &pkt, &reason) < 0)
		return client_refuse(c, c->version, 0, MQTT_RC_UNSPECIFIED, "CONNECT lost");
	return broker_connect_accept(c, &pkt.connect, assigned, true, auth_data, auth_len);
}

static int connect_accept(struct client *c, const struct mqtt_connect *cn, bool assigned,
			  bool preauth, const uint8_t *auth_data, size_t auth_len)
{
	struct broker *b = c->b;
	const struct config *cfg = b->cfg;
	const char *id = c->client_id;
	size_t id_len = strlen(id);
	bool present;
	struct session *s;
	uint16_t keepalive;
	uint8_t props[512];
	struct mqtt_propbuf pb;

	if (connect_authenticate(c, cn, preauth) < 0)
		return -1;
	keepalive = cn->keepalive;
	if (cfg->max_keepalive && keepalive > cfg->max_keepalive) {
		/* v5 lets us impose ours (Server Keep Alive); v3 can only refuse, as Mosquitto */
		if (c->version != MQTT_V5)
			return client_refuse(c, c->version, MQTT_CONNACK_ID_REJECTED, 0,
					     "keepalive above max_keepalive");
		keepalive = cfg->max_keepalive;
	}

	if (cn->will) {
		if (!topic_name_valid((const char *)cn->will_topic.p, cn->will_topic.len)) {
			client_log_proto(c, "invalid will topic");
			return -1;
		}
		/* max_qos (Mosquitto): v5 CONNACK 0x9B, v3 closed without one */
		if (cn->will_qos > client_listener(c)->max_qos) {
			if (c->version == MQTT_V5)
				return client_refuse(c, c->version, 0, MQTT_RC_QOS_NOT_SUPPORTED,
						     "will QoS above max_qos");
			client_close(c, 0xFF, "will QoS above max_qos");
			return -1;
		}
		if (cn->will_retain && !cfg->retain_available)
			return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
					     MQTT_RC_RETAIN_NOT_SUPPORTED, "retain not available");
		c->will = broker_will_make(c, cn);
		if (!c->will)
			return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
					     MQTT_RC_SERVER_UNAVAILABLE, "will too large");
	}

	if (c->version == MQTT_V5) {
		c->recv_max_out = cn->props.seen & MQTT_PROP_BIT(MQTT_PROP_RECEIVE_MAX)
				      ? cn->props.receive_max
				      : 65535;
		c->problem_info = cn->props.request_problem_info;
		/* we use at most 64 outbound aliases, whatever the client allows */
		c->alias_out_max = cn->props.topic_alias_max < 64 ? cn->props.topic_alias_max : 64;
		if (cn->will)
			c->will_delay = cn->will_props.will_delay;
	}

	codec_props_init(&pb, props, 0);
	if (c->version == MQTT_V5) {
		long room = client_props_room(c, 2, sizeof(props));

		codec_props_init(&pb, props, room > 0 ? (uint32_t)room : 0);
		if (room < 0 || connack_props(c, &pb, cn, assigned, keepalive, auth_data,
					      auth_len) < 0) {
			/* nothing we may send fits: close without a CONNACK */
			log_info_rl("Client %s [%s] refused: its Maximum Packet Size %u is too "
				    "small for the CONNACK.",
				    c->client_id, c->peer, c->max_packet_out);
			conn_close(c->conn, 0);
			return -1;
		}
	}

	/*
	 * session: take over a connected one [MQTT-3.1.4-2], discard on clean [MQTT-3.1.2-6].
	 * The old connection ends as any connection does, with its session attached: a session
	 * that ends with its connection ends now, so the new one cannot resume it [MQTT-3.1.2-6],
	 * [MQTT-3.2.2-3]; a will with a delay is held by a session that lives on, and the new
	 * connection within the delay cancels it [MQTT-3.1.3-9].
	 */
	s = session_find(&b->sessions, id, id_len);
	if (s && s->client) {
		struct client *old = s->client;

		if (cfg->connection_messages)
			log_info_rl(
			    "Client %s [%s] already connected, closing old connection [%s].",
			    c->client_id, c->peer, old->peer);
		client_close(old, MQTT_RC_SESSION_TAKEN_OVER, NULL);
		s = session_find(&b->sessions, id, id_len);
	}
	if (s && cn->clean) {
		/* a held will is dropped, not fired, by a reconnect within its delay, even with
		 * Clean Start (MQTT-3.1.2-8 leaves it to the server) */
		broker_session_expiry_cancel(b, s);
		broker_session_end(b, s);
		s = NULL;
	}
	present = s != NULL;
	if (!s) {
		s = session_create(&b->sessions, id, id_len);
		if (!s)
			return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
					     MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
	}
	broker_session_expiry_cancel(b, s);
	s->clean = cn->clean;
	s->auth_idx = c->auth_idx;
	free(s->username);
	s->username = c->username ? strdup(c->username) : NULL;
	if (c->version == MQTT_V5)
		s->expiry_interval = cn->props.session_expiry;
	else
		s->expiry_interval = cn->clean ? 0 : SESSION_EXPIRY_NEVER;
	s->client = c;
	c->session = s;
	/* while attached the client's id is its session's (one copy per connection less: the RSS
	 * of an idle connection); broker_session_detach() gives the client a copy again */
	free(c->client_id);
	c->client_id = s->client_id;
	s->proto = c->version;
	broker_store_session(b, s, 0, NULL, 0); /* stored while it outlives its connection */
	c->keepalive = keepalive;
	c->state = CLIENT_ACTIVE;
	b->n_clients++;
	if (b->n_clients > b->st.clients_max)
		b->st.clients_max = b->n_clients;

	if (c->version == MQTT_V5) {
		client_send_connack(c, MQTT_V5, present, MQTT_RC_SUCCESS, props, pb.len);
	} else {
		client_send_connack(c, c->version, present, MQTT_CONNACK_ACCEPTED, NULL, 0);
	}
	if (cfg->connection_messages)
		log_info_rl("New %s connected from %s as %s (p%u, c%d, k%u%s%s%s).",
			    c->bridge ? "bridge" : "client", c->peer, c->client_id, c->version,
			    cn->clean ? 1 : 0, keepalive, c->username ? ", u'" : "",
			    c->username ? c->username : "", c->username ? "'" : "");
	broker_session_resume(c);
	client_keepalive_arm(c);
	return 0;
}

/* The will topic is the full one (mount_point) for its ACL check and its message. */
int broker_connect_accept(struct client *c, const struct mqtt_connect *cn, bool assigned,
			  bool preauth, const uint8_t *auth_data, size_t auth_len)
{
	struct mqtt_connect mcn;
	const char *t = (const char *)cn->will_topic.p;
	uint16_t len = (uint16_t)cn->will_topic.len;
	char *heap = NULL;
	int ret;

	/* an invalid one stays as it is: connect_accept refuses it */
	if (cn->will && topic_name_valid(t, len)) {
		if (broker_mount_in(c, &t, &len, &heap) < 0)
			return -1;
		mcn = *cn;
		mcn.will_topic = (struct mqtt_buf){(const uint8_t *)t, len};
		cn = &mcn;
	}
	ret = connect_accept(c, cn, assigned, preauth, auth_data, auth_len);
	free(heap);
	return ret;
}

static void connect_checked(struct client *c, int result, uint32_t pw_id, uint8_t *keep,
			    size_t keep_len);

/* Decode the CONNECT kept by a password job: keep[0] is `assigned`, then the packet. */
static int connect_redecode(uint8_t *keep, size_t keep_len, struct mqtt_packet *pkt)
{
	uint8_t reason = MQTT_RC_MALFORMED;

	memset(pkt, 0, sizeof(*pkt));
	return codec_decode(keep + 1, keep_len - 1, 0, pkt, &reason);
}

int broker_connect_check(struct client *c, const struct mqtt_connect *cn, const uint8_t *buf,
			 size_t len, bool assigned, bool preauth)
{
	const struct broker_auth *au = broker_auth_for(c->b, c->auth_idx);
	uint8_t *keep;
	int rc;

	/* nothing to hash: no password file, no user name (anonymous) or no password (refused
	 * without hashing), or the credential was already checked */
	if (preauth || !au->pw || !cn->has_username || !cn->has_password)
		return broker_connect_accept(c, cn, assigned, preauth, NULL, 0);
	keep = malloc(len + 1);
	if (!keep)
		return client_refuse(c, c->version, MQTT_CONNACK_UNAVAILABLE,
				     MQTT_RC_SERVER_UNAVAILABLE, "out of memory");
	keep[0] = assigned;
	memcpy(keep + 1, buf, len);
	rc = broker_auth_password_start(c, au->pw, cn->password.p, cn->password.len, keep, len + 1,
					connect_checked);
	free(keep);
	if (rc < 0) /* no worker: check in line, as before the pool */
		return broker_connect_accept(c, cn, assigned, false, NULL, 0);
	return CLIENT_HOLD;
}

/* The password job of c's CONNECT ended (on the loop): accept or refuse, then read c again. */
static void connect_checked(struct client *c, int result, uint32_t pw_id, uint8_t *keep,
			    size_t keep_len)
{
	struct mqtt_packet pkt;
	int ret;

	if (!c->conn || c->state != CLIENT_NEW)
		return;
	if (result == 0 || result == -ESTALE) {
		/* decoded once already: it cannot fail now */
		if (connect_redecode(keep, keep_len, &pkt) < 0) {
			client_close(c, 0xFF, "CONNECT lost");
			return;
		}
		c->pw_id = pw_id;
		/* -ESTALE: the password file changed under the job; check against the new one */
		ret = result ? broker_connect_check(c, &pkt.connect, keep + 1, keep_len - 1,
						    keep[0], false)
			     : broker_connect_accept(c, &pkt.connect, keep[0], true, NULL, 0);
	} else {
		ret = password_refused(c, result);
	}
	if (ret < 0)
		client_close(c, 0xFF, NULL);
	else if (ret != CLIENT_HOLD)
		client_hold_release(c);
}
