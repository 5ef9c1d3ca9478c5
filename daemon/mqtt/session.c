/* SPDX-License-Identifier: MIT */
/* session: client sessions and the client-id table. See include/session.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "msg.h"
#include "session.h"

/* Share tags live in padding: per-connection memory (RSS) is a benchmark figure. The durable
 * store's entry seq costs 8 bytes per entry (it names the row to update on every ack). */
_Static_assert(sizeof(void *) != 8 ||
		       (sizeof(struct qos_entry) == 32 && sizeof(struct session_queued) == 24),
	       "share tags must not grow queued or in-flight entries");

/* Client ids are chosen by clients: seeded, so none can aim a flood at one bucket chain. */
static uint32_t id_hash(const struct session_table *t, const char *s, size_t len)
{
	return hash_bytes(t->seed, s, len);
}

int session_table_init(struct session_table *t)
{
	/* the same kind of seed as topic_tree_new's: from the address (hash.h) */
	t->seed = hash_seed_of(t);
	t->nb = 256;
	t->n = 0;
	t->b = calloc(t->nb, sizeof(*t->b));
	return t->b ? 0 : -ENOMEM;
}

static void session_free(struct session *s)
{
	for (uint32_t i = 0; i < s->n_subs; i++)
		free(s->subs[i].filter);
	free(s->subs);
	qos_fini(&s->qos);
	session_queue_clear(s);
	free(s->q);
	free(s->username);
	free(s->spill);
	free(s);
}

void session_table_fini(struct session_table *t)
{
	for (uint32_t i = 0; i < t->nb; i++) {
		struct session *s = t->b[i];

		while (s) {
			struct session *next = s->hnext;

			session_free(s);
			s = next;
		}
	}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

struct session *session_find(struct session_table *t, const char *id, size_t len)
{
	uint32_t h = id_hash(t, id, len);

	/* strnlen first: memcmp may not read past a shorter id's NUL */
	for (struct session *s = t->b[h & (t->nb - 1)]; s; s = s->hnext)
		if (strnlen(s->client_id, len + 1) == len && !memcmp(s->client_id, id, len))
			return s;
	return NULL;
}

static void table_grow(struct session_table *t)
{
	uint32_t nb = t->nb * 2;
	struct session **b = calloc(nb, sizeof(*b));

	if (!b)
		return; /* keep working with longer chains */
	for (uint32_t i = 0; i < t->nb; i++) {
		struct session *s = t->b[i];

		while (s) {
			struct session *next = s->hnext;
			uint32_t h = id_hash(t, s->client_id, strlen(s->client_id));

			s->hnext = b[h & (nb - 1)];
			b[h & (nb - 1)] = s;
			s = next;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

struct session *session_create(struct session_table *t, const char *id, size_t len)
{
	struct session *s = calloc(1, offsetof(struct session, client_id) + len + 1);
	uint32_t h = id_hash(t, id, len);

	if (!s)
		return NULL;
	memcpy(s->client_id, id, len);
	s->client_id[len] = 0;
	qos_init(&s->qos);
	/* two sessions per bucket on average before the table doubles: 4-8 bytes of buckets per
	 * session rather than 8-16 (an idle connection's footprint); lookups run at CONNECT only */
	if (t->n >= 2 * t->nb)
		table_grow(t);
	s->hnext = t->b[h & (t->nb - 1)];
	t->b[h & (t->nb - 1)] = s;
	t->n++;
	return s;
}

void session_destroy(struct session_table *t, struct session *s)
{
	struct session **pp = &t->b[id_hash(t, s->client_id, strlen(s->client_id)) & (t->nb - 1)];

	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = s->hnext;
		t->n--;
	}
	session_free(s);
}

void session_foreach(struct session_table *t, void (*fn)(void *ctx, struct session *s),
		     void *ctx)
{
	for (uint32_t i = 0; i < t->nb; i++) {
		struct session *s = t->b[i];

		while (s) {
			struct session *next = s->hnext;

			fn(ctx, s);
			s = next;
		}
	}
}

int session_sub_set(struct session *s, const char *filter, size_t len, uint8_t opts,
		    uint32_t sub_id)
{
	struct session_sub *sub;

	for (uint32_t i = 0; i < s->n_subs; i++) {
		sub = &s->subs[i];
		if (sub->len == len && !memcmp(sub->filter, filter, len)) {
			sub->opts = opts;
			sub->sub_id = sub_id;
			return 1;
		}
	}
	/* Full when n_subs is 0 or a power of two from 2 on (the array doubles from 2 and never
	 * shrinks while the session lives); a capacity field would cost every session 4 bytes */
	if (!s->n_subs || (s->n_subs >= 2 && !(s->n_subs & (s->n_subs - 1)))) {
		uint32_t cap = s->n_subs ? 2 * s->n_subs : 2;
		struct session_sub *a = realloc(s->subs, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		s->subs = a;
	}
	sub = &s->subs[s->n_subs];
	sub->filter = malloc(len + 1);
	if (!sub->filter)
		return -ENOMEM;
	memcpy(sub->filter, filter, len);
	sub->filter[len] = 0;
	sub->len = (uint16_t)len;
	sub->opts = opts;
	sub->sub_id = sub_id;
	s->n_subs++;
	return 0;
}

/* Subscription i is gone: its messages keep no tag, later tags move down with the array. */
static uint16_t share_retag(uint16_t tag, uint32_t i)
{
	if (tag == i + 1)
		return 0;
	return tag > i + 1 ? (uint16_t)(tag - 1) : tag;
}

static void share_forget(struct session *s, uint32_t i)
{
	struct qos_entry *e;
	uint32_t k = 0;

	while ((e = qos_out_at(&s->qos, &k)))
		e->share = share_retag(e->share, i);
	for (k = 0; k < session_queue_count(s); k++)
		session_queue_at(s, k)->share = share_retag(session_queue_at(s, k)->share, i);
}

int session_sub_del(struct session *s, const char *filter, size_t len)
{
	for (uint32_t i = 0; i < s->n_subs; i++) {
		struct session_sub *sub = &s->subs[i];

		if (sub->len == len && !memcmp(sub->filter, filter, len)) {
			free(sub->filter);
			/* keep order: resubscription on reconnect follows subscribe order */
			memmove(sub, sub + 1, (s->n_subs - i - 1) * sizeof(*sub));
			s->n_subs--;
			if (i < UINT16_MAX)
				share_forget(s, i);
			return 0;
		}
	}
	return -ENOENT;
}

uint16_t session_share_tag(const struct session *s, const char *filter, size_t len)
{
	for (uint32_t i = 0; i < s->n_subs && i < UINT16_MAX; i++)
		if (s->subs[i].len == len && !memcmp(s->subs[i].filter, filter, len))
			return (uint16_t)(i + 1);
	return 0;
}

const struct session_sub *session_share_sub(const struct session *s, uint16_t tag)
{
	return tag && tag <= s->n_subs ? &s->subs[tag - 1] : NULL;
}

struct session_queued *session_queue_last(struct session *s)
{
	uint32_t n = session_queue_count(s);

	return n ? session_queue_at(s, n - 1) : NULL;
}

int session_queue_push(struct session *s, struct msg *m, uint8_t qos, uint8_t retain,
		       uint32_t sub_id, uint32_t max_msgs, uint64_t max_bytes)
{
	struct session_ring *q = s->q;
	uint32_t n = session_queue_count(s);
	uint64_t sz = msg_size(m);
	struct session_queued *e;

	if ((max_msgs && n >= max_msgs) || (max_bytes && session_queue_bytes(s) + sz > max_bytes))
		return -ENOBUFS;
	if (!q || n == q->cap) {
		uint32_t cap = q ? q->cap * 2 : 8;
		struct session_ring *nq = malloc(sizeof(*nq) + cap * sizeof(nq->e[0]));

		if (!nq)
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++)
			nq->e[i] = *session_queue_at(s, i);
		nq->bytes = session_queue_bytes(s);
		nq->head = 0;
		nq->count = n;
		nq->cap = cap;
		free(q);
		s->q = q = nq;
	}
	e = &q->e[(q->head + n) & (q->cap - 1)];
	e->msg = msg_ref(m);
	e->qos = qos;
	e->retain = retain;
	e->share = 0;
	e->sub_id = sub_id;
	e->store_seq = 0;
	q->count++;
	q->bytes += sz;
	return 0;
}

bool session_queue_pop(struct session *s, struct session_queued *out)
{
	struct session_ring *q = s->q;

	if (!q || !q->count)
		return false;
	*out = q->e[q->head];
	q->head = (q->head + 1) & (q->cap - 1);
	q->count--;
	q->bytes -= msg_size(out->msg);
	if (!q->count && q->cap > 64) {
		free(q);
		s->q = NULL;
	}
	return true;
}

void session_queue_clear(struct session *s)
{
	struct session_queued e;

	while (session_queue_pop(s, &e))
		msg_unref(e.msg);
}
