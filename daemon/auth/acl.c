// SPDX-License-Identifier: MIT
/*
 * acl: Mosquitto acl_file rules (see include/acl.h for the syntax and the decision order).
 *
 * Each rule is split into levels at load (literal, '+', '#', %c, %u), so a check walks the topic
 * once per candidate rule with no allocation and no string building. Deny rules are kept apart
 * from allow rules: Mosquitto puts them first in each list, so any matching deny wins.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "vec.h"

#define ACL_TOPIC_MAX 65535u

enum lvl_kind { LV_LIT, LV_PLUS, LV_HASH, LV_CID, LV_UID, LV_NONE };

struct acl_level {
	uint32_t off; /* into the rule's text */
	uint16_t len;
	uint8_t kind;
};

struct acl_rule {
	char *text; /* the filter as written, NUL-terminated */
	struct acl_level *lv;
	uint32_t nlv;
	uint8_t access; /* ACL_READ | ACL_WRITE; 0 = deny */
	bool has_u;	/* "%u" anywhere in a pattern: skipped for anonymous clients */
};

struct acl_list {
	struct acl_rule *r;
	size_t n, cap;
};

struct acl_block {
	char *user; /* NULL: anonymous block / patterns */
	unsigned int seq;
	struct acl_list deny, allow;
};

struct acl_db {
	struct acl_block anon, patterns;
	struct acl_block *users; /* sorted by user after the load */
	size_t nusers, capusers;
	size_t nrules;
};

/* ---- matching ---- */

struct lvl_it {
	const char *p, *end;
	bool more;
};

static void it_init(struct lvl_it *it, const char *s, size_t len)
{
	it->p = s;
	it->end = s + len;
	it->more = true;
}

static bool it_next(struct lvl_it *it, const char **s, size_t *len)
{
	const char *q;

	if (!it->more)
		return false;
	q = memchr(it->p, '/', (size_t)(it->end - it->p));
	*s = it->p;
	*len = (size_t)((q ? q : it->end) - it->p);
	if (q)
		it->p = q + 1;
	else
		it->more = false;
	return true;
}

static bool eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

/* Level i of r for this client: LV_LIT (text in *s, *len) for literals, %c and %u; or LV_PLUS,
 * LV_HASH; LV_NONE when %c / %u cannot match (NULL, empty, or holding '/'). */
static int resolve(const struct acl_rule *r, uint32_t i, const char *cid, const char *user,
		   const char **s, size_t *len)
{
	const struct acl_level *lv = &r->lv[i];
	const char *v;

	switch (lv->kind) {
	case LV_LIT:
		*s = r->text + lv->off;
		*len = lv->len;
		return LV_LIT;
	case LV_CID:
	case LV_UID:
		v = lv->kind == LV_CID ? cid : user;
		if (!v || !v[0] || strchr(v, '/'))
			return LV_NONE;
		*s = v;
		*len = strlen(v);
		return LV_LIT;
	default:
		return lv->kind;
	}
}

/* '$' topics only match rules beginning with '$', and the reverse. */
static bool dollar_ok(const struct acl_rule *r, const char *t)
{
	return (t[0] == '$') == (r->text[0] == '$');
}

static bool rule_match(const struct acl_rule *r, const char *cid, const char *user, const char *t,
		       size_t tlen)
{
	struct lvl_it it;
	const char *ts, *rs;
	size_t tl, rl;
	uint32_t i;

	if (!tlen || !dollar_ok(r, t))
		return false;
	it_init(&it, t, tlen);
	for (i = 0; i < r->nlv; i++) {
		int k = resolve(r, i, cid, user, &rs, &rl);

		if (k == LV_HASH)
			return true;
		if (!it_next(&it, &ts, &tl) || k == LV_NONE)
			return false;
		if (k == LV_LIT && !eq(rs, rl, ts, tl))
			return false;
	}
	return !it.more;
}

static bool rule_matches_nothing(const struct acl_rule *r, const char *cid, const char *user)
{
	const char *s;
	size_t l;
	uint32_t i;

	for (i = 0; i < r->nlv; i++)
		if (resolve(r, i, cid, user, &s, &l) == LV_NONE)
			return true;
	return false;
}

static int filter_kind(const char *s, size_t len)
{
	if (len == 1 && s[0] == '+')
		return LV_PLUS;
	if (len == 1 && s[0] == '#')
		return LV_HASH;
	return LV_LIT;
}

/*
 * One walk of a rule against a filter, two questions: meet = false, does r match every topic the
 * filter matches (never true wrongly)? meet = true, is there a topic matched by both r and the
 * filter (never false wrongly)?
 */
static bool rule_relates(const struct acl_rule *r, const char *cid, const char *user, const char *f,
			 size_t flen, bool meet)
{
	struct lvl_it it;
	const char *fs = NULL, *rs = NULL;
	size_t fl = 0, rl = 0;
	uint32_t i;

	if (!dollar_ok(r, f) || rule_matches_nothing(r, cid, user))
		return false;
	it_init(&it, f, flen);
	for (i = 0;; i++) {
		bool has_f = it_next(&it, &fs, &fl);
		int rk, fk = has_f ? filter_kind(fs, fl) : LV_NONE;

		if (i == r->nlv)
			return !has_f || (meet && fk == LV_HASH);
		rk = resolve(r, i, cid, user, &rs, &rl);
		if (rk == LV_HASH)
			return true;
		if (!has_f)
			return false;
		if (fk == LV_HASH)
			return meet;
		if (!meet && fk == LV_PLUS && rk != LV_PLUS)
			return false;
		if (fk == LV_LIT && rk == LV_LIT && !eq(rs, rl, fs, fl))
			return false;
	}
}

static int block_cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct acl_block *)elem)->user);
}

static const struct acl_block *find_block(const struct acl_db *db, const char *user)
{
	if (!user)
		return &db->anon;
	if (!db->nusers)
		return NULL;
	return bsearch(user, db->users, db->nusers, sizeof(*db->users), block_cmp_key);
}

static bool dangerous(const char *s)
{
	return s && strpbrk(s, "+#");
}

/* "$SYS/broker/connection/<one level>/state" */
static bool sys_state_topic(const char *t, size_t len)
{
	static const char pre[] = "$SYS/broker/connection/", post[] = "/state";
	const char *mid;
	size_t pl = sizeof(pre) - 1, sl = sizeof(post) - 1;

	if (len < pl + sl || memcmp(t, pre, pl) || memcmp(t + len - sl, post, sl))
		return false;
	mid = t + pl;
	return !memchr(mid, '/', len - pl - sl);
}

/* Step 1 of acl.h: false if the $-rules refuse. */
static bool dollar_rules(const char *t, size_t len, enum acl_access access)
{
	if (!len || t[0] != '$')
		return true;
	if (len >= 4 && !memcmp(t, "$SYS", 4))
		return access != ACL_WRITE || sys_state_topic(t, len);
	if (len >= 6 && !memcmp(t, "$share", 6))
		return access == ACL_SUBSCRIBE;
	return true;
}

/* -1 refused, 1 allowed, 0 no decision by this list pair */
static int list_decide(const struct acl_block *b, bool skip_u, const char *cid, const char *user,
		       const char *t, size_t len, unsigned int access)
{
	size_t i;

	for (i = 0; i < b->deny.n; i++)
		if (!(skip_u && b->deny.r[i].has_u) && rule_match(&b->deny.r[i], cid, user, t, len))
			return -1;
	for (i = 0; i < b->allow.n; i++) {
		const struct acl_rule *r = &b->allow.r[i];

		if ((r->access & access) && !(skip_u && r->has_u) &&
		    rule_match(r, cid, user, t, len))
			return 1;
	}
	return 0;
}

static bool has_patterns(const struct acl_db *db)
{
	return db->patterns.deny.n || db->patterns.allow.n;
}

bool acl_check(const struct acl_db *db, const char *client_id, const char *username,
	       const char *topic, size_t len, enum acl_access access)
{
	const struct acl_block *b;
	int d;

	if (!client_id || !topic || !len ||
	    (access != ACL_READ && access != ACL_WRITE && access != ACL_SUBSCRIBE))
		return false;
	if (!dollar_rules(topic, len, access))
		return false;
	if (!db || access == ACL_SUBSCRIBE)
		return true;
	b = find_block(db, username);
	if (b) {
		d = list_decide(b, false, client_id, username, topic, len, access);
		if (d)
			return d > 0;
	}
	if (!has_patterns(db) || dangerous(username) || dangerous(client_id))
		return false;
	return list_decide(&db->patterns, !username, client_id, username, topic, len, access) > 0;
}

/* Over one list: does any rule (granting READ, or deny) cover / meet the filter? */
struct reach {
	bool deny_cov, deny_meet, allow_cov, allow_meet;
};

static void list_reach(const struct acl_block *b, bool skip_u, const char *cid, const char *user,
		       const char *f, size_t flen, struct reach *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; b && i < b->deny.n; i++) {
		const struct acl_rule *r = &b->deny.r[i];

		if (skip_u && r->has_u)
			continue;
		o->deny_cov = o->deny_cov || rule_relates(r, cid, user, f, flen, false);
		o->deny_meet = o->deny_meet || rule_relates(r, cid, user, f, flen, true);
	}
	for (i = 0; b && i < b->allow.n; i++) {
		const struct acl_rule *r = &b->allow.r[i];

		if (!(r->access & ACL_READ) || (skip_u && r->has_u))
			continue;
		o->allow_cov = o->allow_cov || rule_relates(r, cid, user, f, flen, false);
		o->allow_meet = o->allow_meet || rule_relates(r, cid, user, f, flen, true);
	}
}

/* mosquitto_sub_topic_check(): '+' alone in its level, '#' alone and last; <= 65535 bytes */
static bool filter_valid(const char *s, size_t len)
{
	size_t i;

	if (len > ACL_TOPIC_MAX)
		return false;
	for (i = 0; i < len; i++) {
		bool start = !i || s[i - 1] == '/';

		if (s[i] == '+' && (!start || (i + 1 < len && s[i + 1] != '/')))
			return false;
		if (s[i] == '#' && (!start || i + 1 < len))
			return false;
	}
	return true;
}

enum acl_reach acl_filter_read(const struct acl_db *db, const char *client_id, const char *username,
			       const char *filter, size_t len)
{
	struct reach u, p = {0};
	bool pstage;

	if (!client_id || !filter || !len || !filter_valid(filter, len))
		return ACL_REACH_NONE;
	/* READ of "$share..." topics is refused by the $-rules */
	if (len >= 6 && !memcmp(filter, "$share", 6))
		return ACL_REACH_NONE;
	if (!db)
		return ACL_REACH_ALL;
	list_reach(find_block(db, username), false, client_id, username, filter, len, &u);
	pstage = has_patterns(db) && !dangerous(username) && !dangerous(client_id);
	if (pstage)
		list_reach(&db->patterns, !username, client_id, username, filter, len, &p);
	if (!u.deny_meet && (u.allow_cov || (pstage && !p.deny_meet && p.allow_cov)))
		return ACL_REACH_ALL;
	if (u.deny_cov || (!u.allow_meet && (!pstage || p.deny_cov || !p.allow_meet)))
		return ACL_REACH_NONE;
	return ACL_REACH_SOME;
}

size_t acl_rule_count(const struct acl_db *db)
{
	return db ? db->nrules : 0;
}

/* ---- loading ---- */

struct acl_parse {
	struct acl_db *db;
	const char *name;
	acl_warn_fn warn;
	void *ctx;
	char *err;
	size_t errlen;
	unsigned int line;
};

__attribute__((format(printf, 3, 4))) static void pmsg(struct acl_parse *ps, bool is_err,
						       const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	if (is_err ? !(ps->err && ps->errlen) : !ps->warn)
		return;
	n = snprintf(msg, sizeof(msg), "%s:%u: ", ps->name, ps->line);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (is_err)
		snprintf(ps->err, ps->errlen, "%s", msg);
	else
		ps->warn(ps->ctx, msg);
}

static int list_add(struct acl_list *l, struct acl_rule *r)
{
	if (VEC_GROW(l->r, l->n, l->cap, 4))
		return -ENOMEM;
	l->r[l->n++] = *r;
	return 0;
}

static void rule_free(struct acl_rule *r)
{
	free(r->text);
	free(r->lv);
}

/* Split into levels; warn about %c / %u that are not a whole level. */
static int rule_compile(struct acl_parse *ps, struct acl_rule *r, const char *t, size_t len,
			bool pattern, unsigned int access)
{
	struct lvl_it it;
	const char *s;
	size_t l;
	uint32_t n = 1, i = 0;
	bool partial = false;

	memset(r, 0, sizeof(*r));
	r->access = (uint8_t)access;
	r->text = strndup(t, len);
	for (l = 0; l < len; l++)
		n += t[l] == '/';
	r->lv = calloc(n, sizeof(*r->lv));
	if (!r->text || !r->lv) {
		rule_free(r);
		return -ENOMEM;
	}
	r->nlv = n;
	it_init(&it, r->text, len);
	while (it_next(&it, &s, &l)) {
		struct acl_level *lv = &r->lv[i++];

		lv->off = (uint32_t)(s - r->text);
		lv->len = (uint16_t)l;
		lv->kind = (uint8_t)filter_kind(s, l);
		if (pattern && l == 2 && s[0] == '%' && (s[1] == 'c' || s[1] == 'u'))
			lv->kind = s[1] == 'c' ? LV_CID : LV_UID;
		else if (pattern && (memmem(s, l, "%c", 2) || memmem(s, l, "%u", 2)))
			partial = true;
	}
	if (pattern) {
		r->has_u = strstr(r->text, "%u") != NULL;
		if (!r->has_u && !strstr(r->text, "%c"))
			pmsg(ps, false, "pattern '%s' contains neither %%c nor %%u", r->text);
		else if (partial)
			pmsg(
			    ps, false,
			    "pattern '%s': %%c/%%u are substituted only when they fill a whole "
			    "topic level; here they are literal text (Mosquitto 2.0.11 substituted "
			    "them inside a level)",
			    r->text);
	}
	return 0;
}

static struct acl_block *new_block(struct acl_db *db, const char *user, size_t len)
{
	struct acl_block *b;

	if (VEC_GROW(db->users, db->nusers, db->capusers, 8))
		return NULL;
	b = &db->users[db->nusers];
	memset(b, 0, sizeof(*b));
	b->user = strndup(user, len);
	if (!b->user)
		return NULL;
	b->seq = (unsigned int)db->nusers++;
	return b;
}

static bool space(char c)
{
	return isspace((unsigned char)c);
}

/* A token of Mosquitto's strtok_r(" "): skip spaces, then up to the next space. */
static bool token(const char **p, const char *end, const char **s, size_t *len)
{
	const char *q = *p;

	while (q < end && *q == ' ')
		q++;
	if (q == end)
		return false;
	*s = q;
	while (q < end && *q != ' ')
		q++;
	*len = (size_t)(q - *s);
	*p = q < end ? q + 1 : q; /* strtok consumes the one delimiter */
	return true;
}

/* The rest of the line after a token, blanks trimmed (misc__trimblanks); false if empty. */
static bool rest(const char *p, const char *end, const char **s, size_t *len)
{
	while (p < end && space(*p))
		p++;
	while (end > p && space(end[-1]))
		end--;
	*s = p;
	*len = (size_t)(end - p);
	return p < end;
}

static int parse_line(struct acl_parse *ps, struct acl_block **cur, const char *l, const char *end)
{
	const char *p = l, *t1, *t2, *topic;
	size_t n1, n2, tlen;
	unsigned int access = ACL_READ | ACL_WRITE;
	struct acl_rule r;
	bool pattern;
	int rc;

	while (end > l && space(end[-1]))
		end--;
	if (end == l || l[0] == '#')
		return 0;
	if (memchr(l, '\0', (size_t)(end - l))) {
		pmsg(ps, true, "NUL byte in the line");
		return -EINVAL;
	}
	if (!token(&p, end, &t1, &n1))
		return 0;
	pattern = eq(t1, n1, "pattern", 7);
	if (pattern || eq(t1, n1, "topic", 5)) {
		if (!token(&p, end, &t2, &n2)) {
			pmsg(ps, true, "empty topic");
			return -EINVAL;
		}
		if (!rest(p, end, &topic, &tlen)) {
			topic = t2; /* one word: the topic, with readwrite access */
			tlen = n2;
		} else if (eq(t2, n2, "read", 4)) {
			access = ACL_READ;
		} else if (eq(t2, n2, "write", 5)) {
			access = ACL_WRITE;
		} else if (eq(t2, n2, "deny", 4)) {
			access = 0;
		} else if (!eq(t2, n2, "readwrite", 9)) {
			pmsg(ps, true,
			     "invalid access type '%.*s' (read, write, readwrite or deny)",
			     (int)(n2 > 64 ? 64 : n2), t2);
			return -EINVAL;
		}
		if (!filter_valid(topic, tlen)) {
			pmsg(ps, true, "invalid ACL topic '%.*s'", (int)(tlen > 200 ? 200 : tlen),
			     topic);
			return -EINVAL;
		}
		rc = rule_compile(ps, &r, topic, tlen, pattern, access);
		if (rc)
			return rc;
		if (!pattern && !*cur)
			*cur = &ps->db->anon;
		rc = list_add(access ? &(pattern ? &ps->db->patterns : *cur)->allow
				     : &(pattern ? &ps->db->patterns : *cur)->deny,
			      &r);
		if (rc) {
			rule_free(&r);
			return rc;
		}
		ps->db->nrules++;
		return 0;
	}
	if (eq(t1, n1, "user", 4)) {
		if (!rest(p, end, &t2, &n2)) {
			pmsg(ps, true, "missing username");
			return -EINVAL;
		}
		*cur = new_block(ps->db, t2, n2);
		return *cur ? 0 : -ENOMEM;
	}
	pmsg(ps, true, "invalid line (topic, pattern or user expected): '%.*s'",
	     (int)(end - l > 200 ? 200 : end - l), l);
	return -EINVAL;
}

static void block_fini(struct acl_block *b)
{
	size_t i;

	for (i = 0; i < b->deny.n; i++)
		rule_free(&b->deny.r[i]);
	for (i = 0; i < b->allow.n; i++)
		rule_free(&b->allow.r[i]);
	free(b->deny.r);
	free(b->allow.r);
	free(b->user);
}

static int block_cmp(const void *a, const void *b)
{
	const struct acl_block *x = a, *y = b;
	int c = strcmp(x->user, y->user);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* All of from appended to to, or nothing (-ENOMEM). */
static int list_move(struct acl_list *to, struct acl_list *from)
{
	if (to->n + from->n > to->cap) {
		struct acl_rule *nr = realloc(to->r, (to->n + from->n) * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		to->r = nr;
		to->cap = to->n + from->n;
	}
	if (from->n)
		memcpy(to->r + to->n, from->r, from->n * sizeof(*from->r));
	to->n += from->n;
	free(from->r);
	memset(from, 0, sizeof(*from));
	return 0;
}

/* Sort user blocks for bsearch; merge blocks of the same user (Mosquitto appends to it). */
static int finish(struct acl_db *db)
{
	size_t i, w = 0;

	if (db->nusers)
		qsort(db->users, db->nusers, sizeof(*db->users), block_cmp);
	for (i = 0; i < db->nusers; i++) {
		struct acl_block *b = &db->users[i];

		if (w && !strcmp(db->users[w - 1].user, b->user)) {
			if (list_move(&db->users[w - 1].deny, &b->deny) ||
			    list_move(&db->users[w - 1].allow, &b->allow)) {
				/* b keeps what was not moved: compact the rest after w */
				db->nusers = w + (db->nusers - i); /* keep the rest owned */
				memmove(&db->users[w], b, (db->nusers - w) * sizeof(*b));
				return -ENOMEM;
			}
			block_fini(b);
			continue;
		}
		db->users[w++] = *b;
	}
	db->nusers = w;
	return 0;
}

void acl_free(struct acl_db *db)
{
	size_t i;

	if (!db)
		return;
	block_fini(&db->anon);
	block_fini(&db->patterns);
	for (i = 0; i < db->nusers; i++)
		block_fini(&db->users[i]);
	free(db->users);
	free(db);
}

struct acl_db *acl_parse(const char *text, size_t len, const char *name, acl_warn_fn warn,
			 void *ctx, char *err, size_t errlen)
{
	struct acl_parse ps = {.name = name ? name : "acl_file",
			       .warn = warn,
			       .ctx = ctx,
			       .err = err,
			       .errlen = errlen};
	const char *p = text, *end = text + len;
	struct acl_block *cur = NULL;
	int rc = 0;

	ps.db = calloc(1, sizeof(*ps.db));
	if (!ps.db) {
		rc = -ENOMEM;
		goto fail;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		ps.line++;
		rc = parse_line(&ps, &cur, p, nl ? nl : end);
		if (rc)
			goto fail;
		p = nl ? nl + 1 : end;
	}
	rc = finish(ps.db);
	if (!rc)
		return ps.db;
fail:
	acl_free(ps.db);
	if (rc == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", ps.name);
	errno = -rc;
	return NULL;
}
