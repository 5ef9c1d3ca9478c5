// SPDX-License-Identifier: MIT
/*
 * passwd: Mosquitto password files (see include/passwd.h for the format and the API).
 *
 * The db is a sorted array of entries (bsearch by username): built once per load, read-only
 * afterwards, so checks need no locks and no allocation (argon2id aside: libargon2 allocates
 * its m KiB per verify). Every hash is decoded at load time, so a check is the hash function
 * plus one CRYPTO_memcmp.
 */
#include <argon2.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "passwd.h"
#include "scram.h"
#include "vec.h"

#define PW_FIELD_MAX 65535u
/* argon2id limits accepted at load: beyond them one CONNECT could exhaust the gateway */
#define ARGON2_M_MAX	(1u << 20) /* KiB: 1 GiB */
#define ARGON2_T_MAX	1000u
#define ARGON2_P_MAX	64u
#define ARGON2_BLOB_MAX 1024u /* salt/hash bytes */

enum pw_kind { PW_SHA512 = 6, PW_PBKDF2 = 7, PW_ARGON2ID = 8, PW_SCRAM = 9 };

struct pw_hash {
	uint8_t kind;
	uint8_t salt_len;
	uint32_t iterations;
	uint8_t salt[PASSWD_SALT_MAX];
	uint8_t hash[PASSWD_HASH_LEN]; /* SCRAM: StoredKey then ServerKey */
	char *argon2; /* argon2id: the encoded string, NUL-terminated (owned) */
};

struct pw_entry {
	char *user; /* NUL-terminated (owned) */
	struct pw_hash h;
	unsigned int line;
};

struct passwd_db {
	struct pw_entry *e;
	size_t n, cap;
	size_t rejected;
	/* the entry whose hash function an unknown user's password goes through (or none) */
	const struct pw_entry *dummy;
	uint32_t scram_iterations; /* of the last SCRAM entry (0: none) */
	unsigned int refs;	   /* passwd_ref / passwd_free, atomic: jobs on worker threads */
};

struct pw_parse {
	struct passwd_db *db;
	const char *name;
	passwd_warn_fn warn;
	void *ctx;
};

/* ---- messages ---- */

/* Copy at most 64 bytes of s for a message, control bytes as '?' (log-line safety). */
static void shown(char *out, size_t outsz, const char *s, size_t len)
{
	size_t i, n = len < 64 ? len : 64;

	if (n > outsz - 4)
		n = outsz - 4;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (n < len)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
}

__attribute__((format(printf, 3, 4))) static void pw_warn(struct pw_parse *ps, unsigned int line,
							  const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	if (!ps->warn)
		return;
	n = snprintf(msg, sizeof(msg), "%s:%u: ", ps->name, line);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	ps->warn(ps->ctx, msg);
}

/* ---- hash strings ---- */

static const char *field_end(const char *p, const char *end)
{
	const char *d = memchr(p, '$', (size_t)(end - p));

	return d ? d : end;
}

static int parse_u32(const char *p, const char *end, uint32_t *out)
{
	uint64_t v = 0;

	if (p == end)
		return -EINVAL;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

/* "<b64 salt>$<b64 hash>" (the end of a $6$ or $7$ string) into h. */
static int decode_salt_hash(const char *p, const char *end, struct pw_hash *h, char *why,
			    size_t whylen)
{
	const char *se = field_end(p, end);
	uint8_t buf[2 * PASSWD_HASH_LEN];
	int n;

	if (se == end) {
		snprintf(why, whylen, "missing hash field after the salt");
		return -EINVAL;
	}
	n = crypto_b64_decode(p, (size_t)(se - p), buf, sizeof(buf));
	if (n == -EINVAL) {
		snprintf(why, whylen, "salt is not valid base64");
		return -EINVAL;
	}
	if (n < PASSWD_SALT_MIN || n > PASSWD_SALT_MAX) {
		snprintf(why, whylen, "salt is %s%d bytes (%d to %d expected)",
			 n < 0 ? "over " : "", n < 0 ? (int)sizeof(buf) : n, PASSWD_SALT_MIN,
			 PASSWD_SALT_MAX);
		return -EINVAL;
	}
	memcpy(h->salt, buf, (size_t)n);
	h->salt_len = (uint8_t)n;
	p = se + 1;
	if (field_end(p, end) != end) {
		snprintf(why, whylen, "unexpected '$' field after the hash");
		return -EINVAL;
	}
	n = crypto_b64_decode(p, (size_t)(end - p), buf, sizeof(buf));
	if (n == -EINVAL) {
		snprintf(why, whylen, "hash is not valid base64");
		return -EINVAL;
	}
	if (n != PASSWD_HASH_LEN) {
		snprintf(why, whylen, "hash is %s%d bytes (%d expected)", n < 0 ? "over " : "",
			 n < 0 ? (int)sizeof(buf) : n, PASSWD_HASH_LEN);
		return -EINVAL;
	}
	memcpy(h->hash, buf, PASSWD_HASH_LEN);
	crypto_wipe(buf, sizeof(buf));
	return 0;
}

/* An unpadded base64 blob of argon2's encoding: its decoded size, or -EINVAL. */
static int argon2_blob(const char *p, const char *end)
{
	uint8_t buf[ARGON2_BLOB_MAX];

	if (memchr(p, '=', (size_t)(end - p)))
		return -EINVAL;
	return crypto_b64_decode(p, (size_t)(end - p), buf, sizeof(buf));
}

/*
 * "$argon2id$[v=16|19$]m=M,t=T,p=P$<salt>$<hash>": checked here so that a bad entry is
 * rejected at load, not at the first CONNECT; libargon2 decodes it again when verifying.
 */
static int decode_argon2id(const char *s, size_t len, struct pw_hash *h, char *why, size_t whylen)
{
	const char *p = s + 10, *end = s + len, *fe;
	uint32_t m, t, par, v;
	int n;

	fe = field_end(p, end);
	if (fe - p > 2 && !memcmp(p, "v=", 2)) {
		if (parse_u32(p + 2, fe, &v) || (v != 16 && v != 19)) {
			snprintf(why, whylen, "argon2id: version must be v=16 or v=19");
			return -EINVAL;
		}
		if (fe == end)
			goto bad_params;
		p = fe + 1;
		fe = field_end(p, end);
	}
	{
		const char *c1 = memchr(p, ',', (size_t)(fe - p));
		const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(fe - c1 - 1)) : NULL;

		/* each of m=, t=, p= with at least one digit, all inside the field */
		if (!c2 || c1 < p + 3 || c2 < c1 + 4 || fe < c2 + 4 || memcmp(p, "m=", 2) ||
		    memcmp(c1 + 1, "t=", 2) || memcmp(c2 + 1, "p=", 2) ||
		    parse_u32(p + 2, c1, &m) || parse_u32(c1 + 3, c2, &t) ||
		    parse_u32(c2 + 3, fe, &par))
			goto bad_params;
	}
	if (!t || !par || par > ARGON2_P_MAX || t > ARGON2_T_MAX || m < 8 * par ||
	    m > ARGON2_M_MAX) {
		snprintf(why, whylen,
			 "argon2id: parameters out of range (m 8*p..%u KiB, t 1..%u, p 1..%u)",
			 ARGON2_M_MAX, ARGON2_T_MAX, ARGON2_P_MAX);
		return -EINVAL;
	}
	if (fe == end)
		goto bad_params;
	p = fe + 1;
	fe = field_end(p, end);
	n = fe == end ? -EINVAL : argon2_blob(p, fe);
	if (n < 8) {
		snprintf(why, whylen, "argon2id: salt missing, not base64 or under 8 bytes");
		return -EINVAL;
	}
	p = fe + 1;
	n = field_end(p, end) != end ? -EINVAL : argon2_blob(p, end);
	if (n < 4) {
		snprintf(why, whylen, "argon2id: hash missing, not base64 or under 4 bytes");
		return -EINVAL;
	}
	h->kind = PW_ARGON2ID;
	h->iterations = t;
	return 0;
bad_params:
	snprintf(why, whylen, "argon2id: expected m=<KiB>,t=<passes>,p=<lanes> after the version");
	return -EINVAL;
}

/* A SCRAM secret lives in a pw_hash: salt as salt, the two keys one after the other. */
static void scram_to_hash(const struct scram_secret *sec, struct pw_hash *h)
{
	_Static_assert(2 * SCRAM_KEY_LEN <= PASSWD_HASH_LEN && SCRAM_SALT_MAX <= PASSWD_SALT_MAX,
		       "a SCRAM secret fits a pw_hash");
	h->kind = PW_SCRAM;
	h->iterations = sec->iterations;
	h->salt_len = sec->salt_len;
	memcpy(h->salt, sec->salt, sec->salt_len);
	memcpy(h->hash, sec->stored_key, SCRAM_KEY_LEN);
	memcpy(h->hash + SCRAM_KEY_LEN, sec->server_key, SCRAM_KEY_LEN);
}

static void hash_to_scram(const struct pw_hash *h, struct scram_secret *sec)
{
	memset(sec, 0, sizeof(*sec));
	sec->iterations = h->iterations;
	sec->salt_len = h->salt_len;
	memcpy(sec->salt, h->salt, h->salt_len);
	memcpy(sec->stored_key, h->hash, SCRAM_KEY_LEN);
	memcpy(sec->server_key, h->hash + SCRAM_KEY_LEN, SCRAM_KEY_LEN);
}

/* Decode one hash string into h (argon2 not copied). 0 or -EINVAL with the reason. */
static int hash_decode(const char *s, size_t len, struct pw_hash *h, char *why, size_t whylen)
{
	const char *end = s + len, *p;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len > 14 && !memcmp(s, SCRAM_METHOD "$", 14)) {
		struct scram_secret sec;

		if (scram_secret_parse(s, len, &sec)) {
			snprintf(why, whylen,
				 "SCRAM-SHA-256: expected $<iterations 1..%u>:<salt, 1..%d bytes>"
				 "$<StoredKey>:<ServerKey> (base64, 32 bytes each)",
				 SCRAM_ITER_MAX, SCRAM_SALT_MAX);
			return -EINVAL;
		}
		scram_to_hash(&sec, h);
		crypto_wipe(&sec, sizeof(sec));
		return 0;
	}
	if (!len || s[0] != '$') {
		snprintf(
		    why, whylen,
		    "not a password hash (plain text? convert the file with mqttgw-passwd -U)");
		return -EINVAL;
	}
	if (len > 3 && !memcmp(s, "$6$", 3)) {
		h->kind = PW_SHA512;
		return decode_salt_hash(s + 3, end, h, why, whylen);
	}
	if (len > 3 && !memcmp(s, "$7$", 3)) {
		p = field_end(s + 3, end);
		rc = parse_u32(s + 3, p, &h->iterations);
		if (rc || !h->iterations || h->iterations > INT_MAX || p == end) {
			snprintf(why, whylen, "$7$: iteration count must be 1 to %d", INT_MAX);
			return -EINVAL;
		}
		h->kind = PW_PBKDF2;
		return decode_salt_hash(p + 1, end, h, why, whylen);
	}
	if (len > 10 && !memcmp(s, "$argon2id$", 10))
		return decode_argon2id(s, len, h, why, whylen);
	p = field_end(s + 1, end);
	{
		char t[80];

		shown(t, sizeof(t), s + 1, (size_t)(p - s - 1));
		snprintf(why, whylen,
			 "unknown hash type '$%s$' ($6$, $7$, $argon2id$ or SCRAM-SHA-256$ expected)",
			 t);
	}
	return -EINVAL;
}

static int hash_verify(const struct pw_hash *h, const char *argon2, const void *pw, size_t len)
{
	uint8_t out[PASSWD_HASH_LEN];
	int rc;

	switch (h->kind) {
	case PW_SHA512:
		rc = crypto_sha512_salted(pw, len, h->salt, h->salt_len, out);
		break;
	case PW_PBKDF2:
		rc = crypto_pbkdf2_sha512(pw, len, h->salt, h->salt_len, h->iterations, out,
					  sizeof(out));
		break;
	case PW_SCRAM: {
		struct scram_secret sec;

		hash_to_scram(h, &sec);
		rc = scram_secret_verify(&sec, pw, len);
		crypto_wipe(&sec, sizeof(sec));
		return rc;
	}
	case PW_ARGON2ID:
		rc = argon2id_verify(argon2, len ? pw : "", len);
		if (rc == ARGON2_OK)
			return 0;
		if (rc == ARGON2_VERIFY_MISMATCH)
			return -EACCES;
		return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EIO;
	default:
		return -EINVAL;
	}
	if (rc)
		return rc;
	rc = crypto_memeq(out, h->hash, sizeof(out)) ? 0 : -EACCES;
	crypto_wipe(out, sizeof(out));
	return rc;
}

int passwd_hash_verify(const char *hash, size_t hlen, const void *password, size_t len)
{
	struct pw_hash h;
	char why[160], *a2 = NULL;
	int rc;

	if (!hash || hash_decode(hash, hlen, &h, why, sizeof(why)))
		return -EINVAL;
	if (!password)
		return -EACCES;
	if (h.kind == PW_ARGON2ID && !(a2 = strndup(hash, hlen)))
		return -ENOMEM;
	rc = hash_verify(&h, a2, password, len);
	free(a2);
	crypto_wipe(&h, sizeof(h));
	return rc;
}

bool passwd_hash_valid(const char *hash, size_t hlen)
{
	struct pw_hash h;
	char why[160];

	return hash && !hash_decode(hash, hlen, &h, why, sizeof(why));
}

static int encode(int kind, const void *pw, size_t len, const uint8_t *salt, size_t saltlen,
		  uint32_t iterations, char *out, size_t outsz)
{
	uint8_t hash[PASSWD_HASH_LEN];
	char s64[PASSWD_SALT_MAX * 4 / 3 + 4], h64[PASSWD_HASH_LEN * 4 / 3 + 4];
	int rc, n;

	if (saltlen < PASSWD_SALT_MIN || saltlen > PASSWD_SALT_MAX ||
	    (kind == 7 && (!iterations || iterations > INT_MAX)))
		return -EINVAL;
	/* room first: "$7$" <iterations> '$' <salt> '$' <hash>, NUL */
	n = kind == 7 ? snprintf(s64, sizeof(s64), "%u", iterations) + 1 : 0;
	if (outsz <
	    (size_t)n + 3 + crypto_b64_len(saltlen) + 1 + crypto_b64_len(sizeof(hash)) + 1) {
		if (outsz)
			out[0] = '\0';
		return -ENOSPC;
	}
	rc = kind == 7
		 ? crypto_pbkdf2_sha512(pw, len, salt, saltlen, iterations, hash, sizeof(hash))
		 : crypto_sha512_salted(pw, len, salt, saltlen, hash);
	if (rc)
		return rc;
	crypto_b64_encode(salt, saltlen, s64, sizeof(s64));
	crypto_b64_encode(hash, sizeof(hash), h64, sizeof(h64));
	crypto_wipe(hash, sizeof(hash));
	if (kind == 7)
		n = snprintf(out, outsz, "$7$%u$%s$%s", iterations, s64, h64);
	else
		n = snprintf(out, outsz, "$6$%s$%s", s64, h64);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz)
			out[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

int passwd_hash_pbkdf2(const void *password, size_t len, const uint8_t *salt, size_t saltlen,
		       uint32_t iterations, char *out, size_t outsz)
{
	return encode(7, password, len, salt, saltlen, iterations, out, outsz);
}

int passwd_hash_sha512(const void *password, size_t len, const uint8_t *salt, size_t saltlen,
		       char *out, size_t outsz)
{
	return encode(6, password, len, salt, saltlen, 0, out, outsz);
}

/* ---- the file ---- */

static bool blank(char c)
{
	return isspace((unsigned char)c);
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && blank(**s))
		(*s)++;
	while (*e > *s && blank((*e)[-1]))
		(*e)--;
}

/* One line: 0 (added or skipped), -EINVAL (rejected, reported), -ENOMEM. */
static int parse_line(struct pw_parse *ps, const char *l, const char *end, unsigned int line)
{
	const char *colon, *u = l, *ue, *hs, *he = end;
	struct passwd_db *db = ps->db;
	struct pw_entry *e;
	char why[160], who[80];

	trim(&u, &he);
	if (u == he || l[0] == '#')
		return 0;
	if (memchr(l, '\0', (size_t)(end - l))) {
		pw_warn(ps, line, "NUL byte in the line: entry ignored");
		return -EINVAL;
	}
	colon = memchr(u, ':', (size_t)(he - u));
	if (!colon) {
		pw_warn(ps, line, "no ':' between username and hash: line ignored");
		return -EINVAL;
	}
	ue = colon;
	hs = colon + 1;
	trim(&u, &ue);
	trim(&hs, &he);
	if (u == ue) {
		pw_warn(ps, line, "empty username: line ignored");
		return -EINVAL;
	}
	shown(who, sizeof(who), u, (size_t)(ue - u));
	if ((size_t)(ue - u) > PW_FIELD_MAX || (size_t)(he - hs) > PW_FIELD_MAX) {
		pw_warn(ps, line, "user '%s': field over %u bytes: entry ignored", who,
			PW_FIELD_MAX);
		return -EINVAL;
	}
	if (hs == he) {
		pw_warn(ps, line, "user '%s': no password hash: entry ignored", who);
		return -EINVAL;
	}
	/* RFC 5803 secrets have ':' inside; their parser checks their layout */
	if (memchr(hs, ':', (size_t)(he - hs)) &&
	    ((size_t)(he - hs) < 14 || memcmp(hs, SCRAM_METHOD "$", 14))) {
		pw_warn(ps, line, "user '%s': unexpected ':' after the hash: entry ignored", who);
		return -EINVAL;
	}
	if (VEC_GROW(db->e, db->n, db->cap, 16))
		return -ENOMEM;
	e = &db->e[db->n];
	if (hash_decode(hs, (size_t)(he - hs), &e->h, why, sizeof(why))) {
		pw_warn(ps, line, "user '%s': %s: entry ignored", who, why);
		return -EINVAL;
	}
	e->user = strndup(u, (size_t)(ue - u));
	if (e->h.kind == PW_ARGON2ID)
		e->h.argon2 = strndup(hs, (size_t)(he - hs));
	if (!e->user || (e->h.kind == PW_ARGON2ID && !e->h.argon2)) {
		free(e->user);
		free(e->h.argon2);
		return -ENOMEM;
	}
	e->line = line;
	db->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct pw_entry *x = a, *y = b;
	int c = strcmp(x->user, y->user);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void entry_free(struct pw_entry *e)
{
	free(e->user);
	free(e->h.argon2);
	crypto_wipe(&e->h, sizeof(e->h));
}

/* Sort by user; of duplicates keep the last line (Mosquitto 2.0.11's lookup finds that one). */
static void finish(struct pw_parse *ps)
{
	struct passwd_db *db = ps->db;
	size_t i, w = 0;
	unsigned int last = 0;

	if (db->n)
		qsort(db->e, db->n, sizeof(*db->e), entry_cmp);
	for (i = 0; i < db->n; i++) {
		if (i + 1 < db->n && !strcmp(db->e[i].user, db->e[i + 1].user)) {
			char who[80];

			shown(who, sizeof(who), db->e[i].user, strlen(db->e[i].user));
			pw_warn(ps, db->e[i + 1].line,
				"user '%s' also on line %u: this later line is used", who,
				db->e[i].line);
			entry_free(&db->e[i]);
			continue;
		}
		db->e[w++] = db->e[i];
	}
	db->n = w;
	for (i = 0; i < db->n; i++)
		if (db->e[i].line > last) {
			last = db->e[i].line;
			db->dummy = &db->e[i];
		}
	for (i = 0, last = 0; i < db->n; i++)
		if (db->e[i].h.kind == PW_SCRAM && db->e[i].line > last) {
			last = db->e[i].line;
			db->scram_iterations = db->e[i].h.iterations;
		}
}

struct passwd_db *passwd_parse(const char *text, size_t len, const char *name, passwd_warn_fn warn,
			       void *ctx, char *err, size_t errlen)
{
	struct pw_parse ps = {.name = name ? name : "password_file", .warn = warn, .ctx = ctx};
	const char *p = text, *end = text + len;
	unsigned int line = 0;

	ps.db = calloc(1, sizeof(*ps.db));
	if (!ps.db)
		goto err_nomem;
	ps.db->refs = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		int rc = parse_line(&ps, p, le, ++line);

		if (rc == -ENOMEM)
			goto err_nomem;
		if (rc)
			ps.db->rejected++;
		p = nl ? nl + 1 : end;
	}
	finish(&ps);
	return ps.db;
err_nomem:
	passwd_free(ps.db);
	if (err && errlen)
		snprintf(err, errlen, "%s: out of memory", ps.name);
	errno = ENOMEM;
	return NULL;
}

void passwd_free(struct passwd_db *db)
{
	size_t i;

	if (!db || __atomic_sub_fetch(&db->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (i = 0; i < db->n; i++)
		entry_free(&db->e[i]);
	free(db->e);
	free(db);
}

struct passwd_db *passwd_ref(struct passwd_db *db)
{
	if (db)
		__atomic_add_fetch(&db->refs, 1, __ATOMIC_RELAXED);
	return db;
}

size_t passwd_count(const struct passwd_db *db)
{
	return db ? db->n : 0;
}

size_t passwd_rejected(const struct passwd_db *db)
{
	return db ? db->rejected : 0;
}

static int user_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pw_entry *)elem)->user);
}

static const struct pw_entry *find_user(const struct passwd_db *db, const char *username)
{
	return db->n ? bsearch(username, db->e, db->n, sizeof(*db->e), user_cmp) : NULL;
}

int passwd_check(const struct passwd_db *db, const char *username, const void *password, size_t len)
{
	const struct pw_entry *e;

	if (!db || !username)
		return -EINVAL;
	e = find_user(db, username);
	if (!password)
		return e ? -EACCES : -ENOENT;
	if (!e) {
		/* the same work as a wrong password of a real user: no username oracle */
		if (db->dummy)
			(void)hash_verify(&db->dummy->h, db->dummy->h.argon2, password, len);
		return -ENOENT;
	}
	return hash_verify(&e->h, e->h.argon2, password, len);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

uint32_t passwd_entry_id(const struct passwd_db *db, const char *username)
{
	const struct pw_entry *e;
	uint64_t h = 0xcbf29ce484222325ull;

	if (!db || !username || !(e = find_user(db, username)))
		return 0;
	h = fnv1a(h, &e->h.kind, 1);
	h = fnv1a(h, &e->h.iterations, sizeof(e->h.iterations));
	h = fnv1a(h, e->h.salt, e->h.salt_len);
	h = fnv1a(h, e->h.hash, sizeof(e->h.hash));
	if (e->h.argon2)
		h = fnv1a(h, e->h.argon2, strlen(e->h.argon2));
	h ^= h >> 32;
	return (uint32_t)h ? (uint32_t)h : 1;
}

int passwd_scram_lookup(const struct passwd_db *db, const char *username,
			struct scram_secret *out)
{
	const struct pw_entry *e;

	memset(out, 0, sizeof(*out));
	if (!db || !username)
		return -EINVAL;
	e = find_user(db, username);
	if (e && e->h.kind == PW_SCRAM) {
		hash_to_scram(&e->h, out);
		return 0;
	}
	/* a stand-in's iteration count: the one real entries show, so it does not stand out */
	out->iterations = db->scram_iterations ? db->scram_iterations : 4096;
	return -ENOENT;
}
