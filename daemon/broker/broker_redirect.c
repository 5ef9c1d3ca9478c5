/* SPDX-License-Identifier: MIT */
/*
 * broker: server redirection (MQTT 5 section 4.11). While `use_another_server` (0x9C, temporary)
 * or `server_moved` (0x9D, permanent) is configured, every CONNECT is refused: v5 clients get
 * the reason code with a Server Reference, v3 clients CONNACK 3 (Server unavailable), the only
 * refusal v3 has for "not here". A reload that sets either key sends every connected client
 * the same way (v5: DISCONNECT with the reason and the Server Reference; v3: closed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker_redirect.h"
#include "log.h"

/* CONNACK / DISCONNECT with a Server Reference of at most 1024 bytes (config.c) */
#define REDIRECT_PKT_MAX 1200u

static const char *redirect_key(uint8_t rc)
{
	return rc == MQTT_RC_SERVER_MOVED ? "server_moved" : "use_another_server";
}

/* The Server Reference property, unless it would make the packet (pkt_fixed bytes without
 * properties) larger than the client's Maximum Packet Size (0 = none) [MQTT-3.1.2-24]. */
static uint32_t redirect_props(const struct broker *b, uint8_t *props, uint32_t cap,
			       uint32_t max_packet, size_t pkt_fixed)
{
	struct mqtt_propbuf pb;

	codec_props_init(&pb, props, cap);
	codec_props_str(&pb, MQTT_PROP_SERVER_REFERENCE, b->redirect_ref,
			(uint16_t)strlen(b->redirect_ref));
	if (pb.overflow || (max_packet && pkt_fixed + 4 + pb.len > max_packet))
		return 0;
	return pb.len;
}

int broker_redirect_connect(struct client *c, uint8_t version, uint32_t max_packet)
{
	struct broker *b = c->b;
	uint8_t buf[REDIRECT_PKT_MAX], props[REDIRECT_PKT_MAX - 16];
	uint32_t plen = 0;
	size_t n;

	if (!b->redirect_rc)
		return 0;
	b->st.conns_refused++;
	log_info_rl("Client %s [%s] refused: %s %s.", c->client_id ? c->client_id : "<unknown>",
		    c->peer, redirect_key(b->redirect_rc), b->redirect_ref);
	if (version == MQTT_V5) {
		plen = redirect_props(b, props, sizeof(props), max_packet, 4);
		n = codec_encode_connack(buf, sizeof(buf), MQTT_V5, false, b->redirect_rc, props,
					 plen);
	} else {
		n = codec_encode_connack(buf, sizeof(buf), MQTT_V311, false,
					 MQTT_CONNACK_UNAVAILABLE, NULL, 0);
	}
	if (n <= sizeof(buf))
		client_send_raw(c, buf, n);
	if (c->conn)
		conn_flush(c->conn);
	if (c->conn)
		conn_close(c->conn, 0);
	return -1;
}

/* A connected client: v5 gets DISCONNECT with the reason and Server Reference; its will is
 * published (a server-side close without the client's DISCONNECT [MQTT-3.1.2-8]). */
static bool redirect_client(struct client *c, void *ctx)
{
	struct broker *b = c->b;

	if (c->version == MQTT_V5) {
		uint8_t buf[REDIRECT_PKT_MAX], props[REDIRECT_PKT_MAX - 16];
		uint32_t plen = redirect_props(b, props, sizeof(props), c->max_packet_out, 4);
		size_t n = codec_encode_disconnect(buf, sizeof(buf), MQTT_V5, MQTT_DISCONNECT,
						   b->redirect_rc, props, plen);

		if (n <= sizeof(buf))
			client_send_raw(c, buf, n);
	}
	(void)ctx;
	client_close(c, 0xFF, redirect_key(b->redirect_rc)); /* 0xFF: no DISCONNECT of its own */
	return true;
}

int broker_redirect(struct broker *b, const struct config *cfg, bool reload)
{
	const char *ref = cfg->server_moved ? cfg->server_moved : cfg->use_another_server;
	uint8_t rc = cfg->server_moved	     ? MQTT_RC_SERVER_MOVED
		     : cfg->use_another_server ? MQTT_RC_USE_ANOTHER_SERVER
					       : 0;
	char *copy = NULL;
	int done;

	if (ref && !(copy = strdup(ref)))
		return -ENOMEM;
	free(b->redirect_ref);
	b->redirect_ref = copy;
	b->redirect_rc = rc;
	if (!rc) {
		if (reload)
			log_notice("Server redirection off: accepting connections.");
		return 0;
	}
	if (!reload) {
		log_notice("Server redirection: %s %s: every CONNECT is refused.",
			   redirect_key(rc), ref);
		return 0;
	}
	done = client_close_each(b, redirect_client, NULL);
	if (done < 0)
		return done;
	log_notice("Server redirection: %s %s: %d client%s redirected.", redirect_key(rc), ref,
		   done, done == 1 ? "" : "s");
	return 0;
}
