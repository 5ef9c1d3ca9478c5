/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the store's test binaries (test_store.c, test_store_crash.c) and its
 * micro-benchmark: scratch directories, waiting for durability through the event fd as the
 * broker will, and a load that records everything it is given (with handles that count their
 * references, to check one handle per stored message and one release each).
 */
#ifndef MQTTGW_TEST_STORE_HELPERS_H
#define MQTTGW_TEST_STORE_HELPERS_H

#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static inline int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under $TMPDIR or /var/tmp (a real disk: fsync is real). */
static inline char *scratch_dir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";

	snprintf(buf, len, "%s/mqttgw-store-XXXXXX", base);
	return mkdtemp(buf);
}

static inline int64_t helper_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait (poll on the event fd, as the loop would) until batch seq is durable. */
static inline bool wait_durable(struct store *st, uint64_t seq, int timeout_ms)
{
	int64_t end = helper_ms() + timeout_ms;

	while (store_dispatch(st) < seq) {
		struct pollfd p = {.fd = store_event_fd(st), .events = POLLIN};
		int64_t left = end - helper_ms();

		if (left <= 0)
			return false;
		poll(&p, 1, (int)left);
	}
	return true;
}

struct lmsg {
	struct store_msg m; /* topic/props/payload point into this allocation */
	int refs;	    /* entries the load gave it to */
	int released;
	char data[];
};

struct lout {
	uint64_t sid;
	struct store_out e;
};

struct loaded {
	struct store_session sess[16];
	char sess_ids[16][32], sess_user[16][32];
	int nsess;
	struct {
		uint64_t sid;
		char filter[64];
		uint8_t opts;
		uint32_t sub_id;
	} subs[16];
	int nsubs;
	struct lmsg **msgs;
	size_t nmsgs, capmsgs;
	struct lout *out;
	size_t nout, capout;
	struct {
		uint64_t sid;
		uint16_t pid;
	} rx2[16];
	int nrx2;
	struct {
		char topic[64];
		struct lmsg *m;
		char src[64]; /* "id/user/listener", "" when unknown */
	} ret[16];
	int nret;
	struct store_bridge_entry br[16];
	int nbr;
	/* bridge entries kept in memory (their message built), as a bridge keeps the head of its
	 * queue; later ones are counted in br_stored, store only (the message is not built).
	 * Kept by loaded_free; 0: all in memory */
	int br_mem, br_stored;
	struct store_load_result res;
};

static inline int l_session(void *ctx, const struct store_session *s)
{
	struct loaded *l = ctx;

	if (l->nsess == 16)
		return 0;
	l->sess[l->nsess] = *s;
	snprintf(l->sess_ids[l->nsess], 32, "%.*s", s->client_id_len, s->client_id);
	if (s->username)
		snprintf(l->sess_user[l->nsess], 32, "%.*s", s->username_len, s->username);
	/* the will's views die with the row: keep what the tests look at */
	l->sess[l->nsess].client_id = l->sess_ids[l->nsess];
	l->sess[l->nsess].username = s->username ? l->sess_user[l->nsess] : NULL;
	l->sess[l->nsess].will.topic = NULL;
	l->sess[l->nsess].will.props = NULL;
	l->sess[l->nsess].will.payload = NULL;
	l->nsess++;
	return 0;
}

static inline int l_sub(void *ctx, uint64_t sid, const char *f, uint16_t len, uint8_t opts,
			uint32_t sub_id)
{
	struct loaded *l = ctx;

	if (l->nsubs == 16)
		return 0;
	l->subs[l->nsubs].sid = sid;
	snprintf(l->subs[l->nsubs].filter, 64, "%.*s", len, f);
	l->subs[l->nsubs].opts = opts;
	l->subs[l->nsubs++].sub_id = sub_id;
	return 0;
}

static inline void *l_msg(void *ctx, const struct store_msg *m)
{
	struct loaded *l = ctx;
	struct lmsg *x = malloc(sizeof(*x) + m->topic_len + 1 + m->props_len + m->payload_len);

	if (!x)
		return NULL;
	x->m = *m;
	x->refs = x->released = 0;
	memcpy(x->data, m->topic, m->topic_len);
	x->data[m->topic_len] = 0;
	x->m.topic = x->data;
	x->m.props = (uint8_t *)x->data + m->topic_len + 1;
	if (m->props_len)
		memcpy((uint8_t *)x->m.props, m->props, m->props_len);
	x->m.payload = x->m.props + m->props_len;
	if (m->payload_len)
		memcpy((uint8_t *)x->m.payload, m->payload, m->payload_len);
	if (l->nmsgs == l->capmsgs) {
		l->capmsgs = l->capmsgs ? l->capmsgs * 2 : 64;
		l->msgs = realloc(l->msgs, l->capmsgs * sizeof(*l->msgs));
	}
	l->msgs[l->nmsgs++] = x;
	return x;
}

static inline int l_out(void *ctx, uint64_t sid, const struct store_out *e)
{
	struct loaded *l = ctx;

	if (!e->msg && e->state != STORE_OUT_PUBREL)
		return STORE_LOAD_WANT_MSG; /* kept in memory, as a short session queue is */
	if (l->nout == l->capout) {
		l->capout = l->capout ? l->capout * 2 : 64;
		l->out = realloc(l->out, l->capout * sizeof(*l->out));
	}
	l->out[l->nout].sid = sid;
	l->out[l->nout++].e = *e;
	if (e->msg)
		((struct lmsg *)e->msg)->refs++;
	return 0;
}

static inline int l_rx2(void *ctx, uint64_t sid, uint16_t pid)
{
	struct loaded *l = ctx;

	if (l->nrx2 < 16) {
		l->rx2[l->nrx2].sid = sid;
		l->rx2[l->nrx2++].pid = pid;
	}
	return 0;
}

static inline int l_retained(void *ctx, const char *t, uint16_t len, void *msg, uint64_t id,
			     const struct store_source *src)
{
	struct loaded *l = ctx;

	(void)id;
	if (l->nret < 16) {
		snprintf(l->ret[l->nret].topic, 64, "%.*s", len, t);
		l->ret[l->nret].src[0] = 0;
		if (src)
			snprintf(l->ret[l->nret].src, 64, "%.*s/%.*s/%u", src->id_len, src->id,
				 src->username ? src->username_len : 4,
				 src->username ? src->username : "NULL", src->listener);
		l->ret[l->nret++].m = msg;
		((struct lmsg *)msg)->refs++;
	}
	return 0;
}

static inline int l_bridge(void *ctx, const struct store_bridge_entry *e)
{
	struct loaded *l = ctx;

	if (l->br_mem && l->nbr + l->br_stored >= l->br_mem) {
		l->br_stored++;
		return 0;
	}
	if (!e->msg)
		return STORE_LOAD_WANT_MSG;
	if (l->nbr < 16) {
		l->br[l->nbr] = *e;
		l->br[l->nbr++].bridge = NULL;
		((struct lmsg *)e->msg)->refs++;
	}
	return 0;
}

static inline void l_release(void *ctx, void *msg)
{
	(void)ctx;
	((struct lmsg *)msg)->released++;
}

static const struct store_load_cb loaded_cb = {
    .session = l_session,
    .sub = l_sub,
    .msg = l_msg,
    .out = l_out,
    .rx2 = l_rx2,
    .retained = l_retained,
    .bridge = l_bridge,
    .release = l_release,
};

static inline void loaded_free(struct loaded *l)
{
	int br_mem = l->br_mem;

	for (size_t i = 0; i < l->nmsgs; i++)
		free(l->msgs[i]);
	free(l->msgs);
	free(l->out);
	memset(l, 0, sizeof(*l));
	l->br_mem = br_mem;
}

/* The loaded message with this id, or NULL. */
static inline struct lmsg *loaded_msg(const struct loaded *l, uint64_t id)
{
	for (size_t i = 0; i < l->nmsgs; i++)
		if (l->msgs[i]->m.id == id)
			return l->msgs[i];
	return NULL;
}

static inline struct store *open_dir(const char *dir, enum store_sync sync, char *msg,
				     size_t msglen)
{
	struct store_opts o = {.dir = dir, .sync = sync};

	return store_open(&o, msg, msglen);
}

/* A message with payload "<text>" on topic t. */
static inline uint64_t add_msg(struct store *st, const char *t, const char *text, uint8_t qos)
{
	struct store_msg m = {
	    .topic = t,
	    .topic_len = (uint16_t)strlen(t),
	    .payload = (const uint8_t *)text,
	    .payload_len = (uint32_t)strlen(text),
	    .qos = qos,
	};

	return store_msg_add(st, &m);
}

/* The next answered fetch, waiting up to 10 s for it (NULL: none came). */
static inline struct store_fetch *fetch_take_wait(struct store *st)
{
	int64_t end = helper_ms() + 10000;
	struct store_fetch *r;

	while (!(r = store_fetch_take(st)) && helper_ms() < end) {
		struct pollfd p = {.fd = store_event_fd(st), .events = POLLIN};

		poll(&p, 1, 100);
		store_dispatch(st);
	}
	return r;
}

#endif /* MQTTGW_TEST_STORE_HELPERS_H */
