/* SPDX-License-Identifier: MIT */
/*
 * broker_reload: SIGHUP (broker_reload() in broker.h). New TLS contexts from the listeners'
 * files, new password and ACL files, every stored subscription re-checked against the new
 * ACL, fast-path routes dropped, and clients whose password entry changed disconnected.
 *
 * The re-check walks the session table in slices of about ACL_SLICE_SUBS subscriptions, one
 * slice per loop turn (10,000 subscriptions took up to 63 ms in one dispatch: issue 15). Until
 * the walk ends every delivery is checked against the new ACL (broker_acl_read) and no
 * fast-path route is learned, so nothing the new ACL forbids goes out meanwhile. The walk goes
 * by bucket index: the table only grows, by doubling, and a session in a bucket not walked yet
 * moves to a bucket at the same index or above, so none is missed.
 */
#include <errno.h>
#include <stdio.h>

#include "broker_auth.h"
#include "broker_client.h"
#include "broker_fastpath.h"
#include "broker_store.h"
#include "clock.h"
#include "log.h"

void broker_reload_limits(struct broker *b, const struct config *cfg)
{
	if (cfg->max_inflight_bytes == b->max_inflight_bytes)
		return;
	log_notice("max_inflight_bytes: %llu (was %llu).",
		   (unsigned long long)cfg->max_inflight_bytes,
		   (unsigned long long)b->max_inflight_bytes);
	b->max_inflight_bytes = cfg->max_inflight_bytes;
}

/* New TLS contexts from the listeners' files, psk_file included (existing connections keep
 * theirs, as Mosquitto's already connected PSK clients stay); a listener
 * whose files fail to load keeps its current one. */
static void tls_reload(struct broker *b)
{
	for (size_t i = 0; b->tls && i < b->cfg->n_listeners; i++) {
		const struct config_listener *cl = &b->cfg->listeners[i];
		struct tls_ctx *t;
		char err[512];

		if (!b->tls[i])
			continue;
		t = tls_ctx_listener(b->cfg, cl, NULL, err, sizeof(err));
		if (!t) {
			log_err("Error: reload: %s; keeping the previous TLS settings.", err);
			continue;
		}
		tls_ctx_unref(b->tls[i]);
		b->tls[i] = t;
		log_notice("Reloaded the TLS %s of listener %u.",
			   cl->psk_hint ? (cl->certfile ? "certificates and PSK keys" : "PSK keys")
					: "certificates",
			   cl->port);
	}
}

#define ACL_SLICE_SUBS 512

/* After a reload: every stored subscription gets its check flag from the new ACL. A filter
 * the new ACL lets deliver nothing stays subscribed and is checked per message. */
static void resubscribe_acl(struct broker *b, struct session *s)
{
	for (uint32_t i = 0; i < s->n_subs; i++) {
		struct session_sub *sub = &s->subs[i];
		uint8_t opts = sub->opts;

		if (!broker_acl_subscribe(b, s, sub->filter, sub->len, &opts))
			opts |= BROKER_OPT_ACL_CHECK;
		if (opts == sub->opts)
			continue;
		sub->opts = opts;
		topic_sub_add(b->topics, sub->filter, sub->len, s, opts, sub->sub_id);
		broker_store_sub(b, s, sub->filter, sub->len, opts, sub->sub_id);
	}
}

/* Re-check whole buckets from acl_bucket until about `budget` subscriptions (and one per
 * session) are done or the table is; true when it is. */
static bool acl_walk_buckets(struct broker *b, uint32_t budget)
{
	struct session_table *st = &b->sessions;
	uint32_t work = 0;

	while (b->acl_bucket < st->nb && work < budget) {
		for (struct session *s = st->b[b->acl_bucket]; s; s = s->hnext) {
			resubscribe_acl(b, s);
			work += s->n_subs + 1;
			b->acl_subs += s->n_subs;
		}
		b->acl_bucket++;
	}
	return b->acl_bucket >= st->nb;
}

/* The end of the walk: the new ACL alone decides from here. */
static void acl_walk_done(struct broker *b)
{
	b->acl_walk = false;
	broker_fp_flush_routes(b); /* none learned meanwhile; drop any the old flags made */
	log_info("ACL re-check of %u stored subscriptions done in %u slice%s over %u loop turn%s "
		 "(longest %.1f ms, %.1f ms in all).",
		 b->acl_subs, b->acl_slices, b->acl_slices == 1 ? "" : "s", b->acl_turns,
		 b->acl_turns == 1 ? "" : "s", (double)b->acl_longest_us / 1000.0,
		 (double)(clock_mono_us() - b->acl_start) / 1000.0);
}

/* The next slice, in the loop's next pass. */
static void acl_walk_next(struct broker *b)
{
	if (loop_timer_set(b->loop, &b->acl_timer, loop_now(b->loop)) == 0)
		return;
	acl_walk_buckets(b, UINT32_MAX); /* no timer: all of it here rather than never */
	acl_walk_done(b);
}

/*
 * One slice of the re-check; the next one is armed for now, which the loop runs in its next
 * pass, after that pass's events: one slice per loop turn.
 */
static void acl_walk_slice(struct loop *l, struct loop_timer *t)
{
	struct broker *b = t->ctx;
	int64_t t0 = clock_mono_us(), took;
	bool done = acl_walk_buckets(b, ACL_SLICE_SUBS);

	(void)l;
	took = clock_mono_us() - t0;
	b->acl_slices++;
	if (took > b->acl_longest_us)
		b->acl_longest_us = took;
	if (done) {
		acl_walk_done(b);
		return;
	}
	b->acl_turns++;
	acl_walk_next(b);
}

/* Start (or restart, after another reload) the sliced re-check. */
static void acl_walk_start(struct broker *b)
{
	b->acl_walk = true;
	b->acl_bucket = 0;
	b->acl_slices = b->acl_subs = 0;
	b->acl_turns = 1;
	b->acl_longest_us = 0;
	b->acl_start = clock_mono_us();
	if (!loop_timer_armed(&b->acl_timer))
		loop_timer_init(&b->acl_timer, acl_walk_slice, b);
	acl_walk_next(b);
}

void broker_acl_walk_stop(struct broker *b)
{
	loop_timer_cancel(b->loop, &b->acl_timer);
	b->acl_walk = false;
}

/* A client whose password file entry changed or went away since it logged in: closed. */
static bool recheck_client(struct client *c, void *ctx)
{
	const struct broker_auth *au = broker_auth_for(c->b, c->auth_idx);

	(void)ctx;
	if (!c->pw_id || passwd_entry_id(c->enhanced ? au->scram : au->pw, c->username) == c->pw_id)
		return false;
	client_close(c, MQTT_RC_NOT_AUTHORIZED,
		     "user deleted or password changed in the reloaded password file");
	return true;
}

int broker_reload(struct broker *b)
{
	char err[512];
	int dropped;

	tls_reload(b);
	if (broker_auth_load(b, err, sizeof(err)) < 0) {
		log_err("Error: reload failed, keeping the previous password and ACL files: %s",
			err);
		return -EINVAL;
	}
	broker_fp_flush_routes(b); /* routes were installed under the old ACL */
	acl_walk_start(b);
	dropped = client_close_each(b, recheck_client, NULL);
	if (dropped > 0)
		log_notice(
		    "Reloaded password and ACL files: %d client%s disconnected (user deleted "
		    "or password changed).",
		    dropped, dropped == 1 ? "" : "s");
	else
		log_notice("Reloaded password and ACL files.");
	return 0;
}
