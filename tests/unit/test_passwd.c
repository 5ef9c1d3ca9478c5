// SPDX-License-Identifier: MIT
/*
 * passwd unit tests.
 *
 * The "real" vectors were made once with Mosquitto 2.0.11's own tool (Debian 12) and pasted:
 *   mosquitto_passwd -c -b vec alice secret
 *   mosquitto_passwd -b vec bob 'pässwörd with spaces'
 *   mosquitto_passwd -I 1000 -b vec carol carol-pw
 *   mosquitto_passwd -H sha512 -b vec dave davepw
 *   mosquitto_passwd -b vec erin ''
 * The constructed ones were computed with Python's hashlib (independent of this code):
 *   s = bytes(range(64)); '$7$1000$' + b64(s) + '$' + b64(pbkdf2_hmac('sha512', b'sixty-four', s,
 * 1000, 64)) s = b'0123456789ab';  '$6$' + b64(s) + '$' + b64(sha512(b'hunter2' + s).digest()) s =
 * b'0123456789abcdef'; '$7$5$' + b64(s) + '$' + b64(pbkdf2_hmac('sha512', b'pw16', s, 5, 64)) The
 * argon2id one is the reference implementation's test vector (phc-winner-argon2 test.c: password
 * "password", salt "somesalt", t=2, m=2^16, p=1). tests/integration/t_passwd_tool.sh checks the
 * same formats against the live tools.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "passwd.h"
#include "warns_test.h"

#define ALICE                                                                                      \
	"alice:$7$101$J6dk3DSoHwhskK6o$+loBCbDutP32GJxI+/"                                         \
	"kxKTg05JkErvMjm9ffQHewqladzPgxpZ0lVenkEbVU"                                               \
	"l5jzU/NsUxzmLW7EjkT5ZqdcNQ==\n"
#define BOB                                                                                        \
	"bob:$7$101$4B7CGFfJB1krvUdj$vdRtpZGPCGC/hmECjy7ckQhmIaS41G/"                              \
	"GXlmkNxl+t2uUYAQyFHjO9pZmUNpBAR"                                                          \
	"jHeZ/bImNLxco60x/tav/x3g==\n"
#define CAROL                                                                                      \
	"carol:$7$1000$hFedw/"                                                                     \
	"aaM3F2NRD2$IWjVeXn9UKiAZ4psensXLQm4hwjeDhVwNhqeA46HmIxk3tKYQZ9YuVcGWOsl"                  \
	"3oAkT8FFEJXPB7neim+3J8I6sw==\n"
#define DAVE                                                                                       \
	"dave:$6$vpUHXC5usPffodfK$umosaEzOnGEjc/"                                                  \
	"P+kPlO3RdCJMunmGq2ZiK98YPb7t4rfuoz33xitNEgXVN5jkCJg+"                                     \
	"/L6vUN5Aj02mIwtgxSbQ==\n"
#define ERIN                                                                                       \
	"erin:$7$101$KI5BHOQJ6/"                                                                   \
	"UUJK94$pid4OemvCNwNPiHLSkmmNEXwfRDqI6Jr5qeo7NsHZLtbr3hZR3B7MT95UGlib7"                    \
	"3ItxWnf36z12Gq2qlmwTINAQ==\n"
#define SALT64                                                                                     \
	"salt64:$7$1000$"                                                                          \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4"             \
	"OTo7PD0+Pw==$YqEvhC7kSTCKvq2kfmheS6TcC35/"                                                \
	"GG96xsoVBkFkA7f6eo0GNUJy3Q6NmlbL0C61EMEuc4bhqkkDn"                                        \
	"KIrZFqs4g==\n"
#define SIX                                                                                        \
	"six:$6$MDEyMzQ1Njc4OWFi$Kgl3AxuVCetFEGDDZOAh44c3ssh9wvPft10MPC9Tjr1rwsIDmYUEICH/"         \
	"zUOFhM8vCQK"                                                                              \
	"mMb8nXrQTl7q2T8alUw==\n"
#define SALT16                                                                                     \
	"salt16:$7$5$MDEyMzQ1Njc4OWFiY2RlZg==$C+eOLS8bSLkYwHYoZRxqd1M+"                            \
	"o0PVcjyiaMTQkTOKeQZx8HB9YbxRrY"                                                           \
	"hWVZGlZa9CnItD99KIx8MKmOacJ5IEtQ==\n"
#define ARGON                                                                                      \
	"argon:$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"                                        \
	"CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPP"                                               \
	"c\n"

static struct passwd_db *parse(const char *text, struct warns *ms)
{
	char err[256] = "";
	struct passwd_db *db;

	memset(ms, 0, sizeof(*ms));
	db = passwd_parse(text, strlen(text), "pw", collect, ms, err, sizeof(err));
	assert_non_null(db);
	return db;
}

static const struct {
	const char *user, *good, *bad;
} users[] = {
    {"alice", "secret", "Secret"},
    {"bob", "pässwörd with spaces", "pässwörd with space"},
    {"carol", "carol-pw", "carol-pw "},
    {"dave", "davepw", "davepwx"},
    {"erin", "", " "},
    {"salt64", "sixty-four", "sixty-five"},
    {"six", "hunter2", "hunter3"},
    {"salt16", "pw16", "pw17"},
};

/* The entry fingerprint: 0 for no user, stable across loads, changed by a new password. */
static void test_entry_id(void **state)
{
	struct warns ms;
	struct passwd_db *a = parse(ALICE BOB, &ms), *b = parse(BOB ALICE, &ms);
	struct passwd_db *c = parse(ALICE SIX, &ms);
	uint32_t ida = passwd_entry_id(a, "alice");

	(void)state;
	assert_int_not_equal(0, ida);
	assert_int_equal(ida, passwd_entry_id(b, "alice")); /* order of lines does not matter */
	assert_int_not_equal(ida, passwd_entry_id(a, "bob"));
	assert_int_equal(0, passwd_entry_id(a, "six"));
	assert_int_equal(0, passwd_entry_id(a, "alic"));
	assert_int_equal(0, passwd_entry_id(NULL, "alice"));
	assert_int_equal(0, passwd_entry_id(a, NULL));
	assert_int_equal(ida, passwd_entry_id(c, "alice"));
	passwd_free(a);
	passwd_free(b);
	passwd_free(c);
	/* the same user with another hash: another fingerprint */
	char line[256];

	snprintf(line, sizeof(line), "alice%s", SIX + 3);
	a = parse(line, &ms);
	assert_int_not_equal(0, passwd_entry_id(a, "alice"));
	assert_int_not_equal(ida, passwd_entry_id(a, "alice"));
	passwd_free(a);
}

/* A reference taken for a check elsewhere keeps the db usable after the owner's free (a
 * reload while a worker thread checks); the last free releases it (ASan: no leak, no UAF). */
static void test_ref(void **state)
{
	struct warns ms;
	struct passwd_db *db = parse(ALICE, &ms);

	(void)state;
	assert_ptr_equal(passwd_ref(db), db);
	assert_null(passwd_ref(NULL));
	passwd_free(db); /* the owner's reference */
	assert_int_equal(passwd_check(db, "alice", "secret", 6), 0);
	assert_int_equal(passwd_count(db), 1);
	passwd_free(db); /* the job's */
}

static void test_real_and_constructed(void **state)
{
	struct warns ms;
	struct passwd_db *db = parse(ALICE BOB CAROL DAVE ERIN SALT64 SIX SALT16, &ms);
	size_t i;

	(void)state;
	assert_int_equal(ms.n, 0);
	assert_int_equal(passwd_count(db), 8);
	assert_int_equal(passwd_rejected(db), 0);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		const char *u = users[i].user;

		assert_int_equal(passwd_check(db, u, users[i].good, strlen(users[i].good)), 0);
		assert_int_equal(passwd_check(db, u, users[i].bad, strlen(users[i].bad)), -EACCES);
		/* no password field in CONNECT */
		assert_int_equal(passwd_check(db, u, NULL, 0), -EACCES);
	}
	/* the whole binary password is hashed: a NUL byte and what follows count */
	assert_int_equal(passwd_check(db, "alice", "secret\0x", 8), -EACCES);
	/* user names are exact */
	assert_int_equal(passwd_check(db, "Alice", "secret", 6), -ENOENT);
	assert_int_equal(passwd_check(db, "alice ", "secret", 6), -ENOENT);
	assert_int_equal(passwd_check(db, "nobody", "secret", 6), -ENOENT);
	assert_int_equal(passwd_check(db, "nobody", NULL, 0), -ENOENT);
	assert_int_equal(passwd_check(db, NULL, "x", 1), -EINVAL);
	assert_int_equal(passwd_check(NULL, "alice", "x", 1), -EINVAL);
	passwd_free(db);
}

static void test_argon2id(void **state)
{
	struct warns ms;
	struct passwd_db *db = parse(ARGON, &ms);

	(void)state;
	assert_int_equal(ms.n, 0);
	assert_int_equal(passwd_count(db), 1);
	assert_int_equal(passwd_check(db, "argon", "password", 8), 0);
	assert_int_equal(passwd_check(db, "argon", "passwore", 8), -EACCES);
	assert_int_equal(passwd_check(db, "argon", "", 0), -EACCES);
	passwd_free(db);
}

/* Each malformed line: the exact message; the entry is rejected, the others still load. */
static const struct {
	const char *line, *msg;
} bad_lines[] = {
    {"plain:text", "pw:2: user 'plain': not a password hash (plain text? convert the file "
		   "with mqttgw-passwd -U): entry ignored"},
    {"weird", "pw:2: no ':' between username and hash: line ignored"},
    {":$6$abc$def", "pw:2: empty username: line ignored"},
    {"  \t:x", "pw:2: empty username: line ignored"},
    {"nohash:", "pw:2: user 'nohash': no password hash: entry ignored"},
    {"nohash:   ", "pw:2: user 'nohash': no password hash: entry ignored"},
    {"x:$7$101$J6dk3DSoHwhskK6o$+loBCbDutP32GJxI+/kxKTg05JkErvMjm9ffQHewqladzPgxpZ0lVenkEbVU"
     "l5jzU/NsUxzmLW7EjkT5ZqdcNQ==:extra",
     "pw:2: user 'x': unexpected ':' after the hash: entry ignored"},
    {"md5:$1$abc$def",
     "pw:2: user 'md5': unknown hash type '$1$' ($6$, $7$, $argon2id$ or "
     "SCRAM-SHA-256$ expected): entry ignored"},
    {"a2i:$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
     "pw:2: user 'a2i': unknown hash type '$argon2i$' ($6$, $7$, $argon2id$ or "
     "SCRAM-SHA-256$ expected): entry ignored"},
    {"it0:$7$0$J6dk3DSoHwhskK6o$AAAA", "pw:2: user 'it0': $7$: iteration count must be 1 to "
				       "2147483647: entry ignored"},
    {"itx:$7$1x$J6dk3DSoHwhskK6o$AAAA", "pw:2: user 'itx': $7$: iteration count must be 1 to "
					"2147483647: entry ignored"},
    {"itbig:$7$99999999999$J6dk3DSoHwhskK6o$AAAA",
     "pw:2: user 'itbig': $7$: iteration count must be 1 to 2147483647: entry ignored"},
    {"nosalt:$7$101", "pw:2: user 'nosalt': $7$: iteration count must be 1 to 2147483647: "
		      "entry ignored"},
    {"s1:$6$J6dk3DSoHwhskK6o", "pw:2: user 's1': missing hash field after the salt: entry "
			       "ignored"},
    {"s2:$6$J6dk3DSo!whskK6o$AAAA", "pw:2: user 's2': salt is not valid base64: entry ignored"},
    {"s3:$6$MDEyMzQ1Njc4OQ==$AAAA", "pw:2: user 's3': salt is 10 bytes (12 to 64 expected): "
				    "entry ignored"},
    {"s4:$6$J6dk3DSoHwhskK6o$AAAA", "pw:2: user 's4': hash is 3 bytes (64 expected): entry "
				    "ignored"},
    {"s5:$6$J6dk3DSoHwhskK6o$AA*A", "pw:2: user 's5': hash is not valid base64: entry ignored"},
    {"s6:$6$J6dk3DSoHwhskK6o$AAAA$BBBB", "pw:2: user 's6': unexpected '$' field after the hash: "
					 "entry ignored"},
    {"a1:$argon2id$v=18$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
     "pw:2: user 'a1': argon2id: version must be v=16 or v=19: entry ignored"},
    {"a2:$argon2id$v=19$m=65536,t=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
     "pw:2: user 'a2': argon2id: expected m=<KiB>,t=<passes>,p=<lanes> after the version: "
     "entry ignored"},
    {"a3:$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
     "pw:2: user 'a3': argon2id: parameters out of range (m 8*p..1048576 KiB, t 1..1000, p "
     "1..64): entry ignored"},
    {"a4:$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
     "pw:2: user 'a4': argon2id: salt missing, not base64 or under 8 bytes: entry ignored"},
    {"a5:$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTF=",
     "pw:2: user 'a5': argon2id: hash missing, not base64 or under 4 bytes: entry ignored"},
    {"sc:SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
     "pw:2: user 'sc': SCRAM-SHA-256: expected $<iterations 1..10000000>:<salt, 1..64 bytes>"
     "$<StoredKey>:<ServerKey> (base64, 32 bytes each): entry ignored"},
    {"ctl\x01:$6$x", "pw:2: user 'ctl?': missing hash field after the salt: entry ignored"},
};

static void test_malformed_lines(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		char text[1024];
		struct warns ms;
		struct passwd_db *db;

		snprintf(text, sizeof(text), "%s%s\n%s", ALICE, bad_lines[i].line, DAVE);
		db = parse(text, &ms);
		assert_int_equal(ms.n, 1);
		assert_string_equal(ms.m[0], bad_lines[i].msg);
		assert_int_equal(passwd_rejected(db), 1);
		assert_int_equal(passwd_count(db), 2);
		assert_int_equal(passwd_check(db, "alice", "secret", 6), 0);
		assert_int_equal(passwd_check(db, "dave", "davepw", 6), 0);
		passwd_free(db);
	}
}

/* RFC 5803 lines (the RFC 7677 example secret of "pencil"): plain checks and SCRAM lookups. */
static void test_scram(void **state)
{
	static const char text[] =
	    "u1:SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=\n" DAVE
	    "u2:SCRAM-SHA-256$17:AAAA$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
	    ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=\n";
	struct scram_secret s;
	struct warns ms;
	struct passwd_db *db;

	(void)state;
	db = parse(text, &ms);
	assert_int_equal(ms.n, 0);
	assert_int_equal(passwd_count(db), 3);
	assert_int_equal(passwd_check(db, "u1", "pencil", 6), 0);
	assert_int_equal(passwd_check(db, "u1", "pencil!", 7), -EACCES);
	assert_int_equal(passwd_scram_lookup(db, "u1", &s), 0);
	assert_int_equal(s.iterations, 4096);
	assert_int_equal(s.salt_len, 16);
	assert_int_equal(scram_secret_verify(&s, "pencil", 6), 0);
	assert_int_equal(passwd_scram_lookup(db, "u2", &s), 0);
	assert_int_equal(s.iterations, 17);
	assert_int_equal(s.salt_len, 3);
	/* a user of another hash type, and no user: the stand-in count of the last SCRAM line */
	assert_int_equal(passwd_scram_lookup(db, "dave", &s), -ENOENT);
	assert_int_equal(s.iterations, 17);
	assert_int_equal(passwd_scram_lookup(db, "nobody", &s), -ENOENT);
	assert_int_equal(s.iterations, 17);
	assert_int_equal(passwd_check(db, "nobody", "pencil", 6), -ENOENT);
	assert_true(passwd_hash_valid(text + 3, 133));
	assert_int_equal(passwd_hash_verify(text + 3, 133, "pencil", 6), 0);
	passwd_free(db);
	db = parse(DAVE, &ms);
	assert_int_equal(passwd_scram_lookup(db, "x", &s), -ENOENT);
	assert_int_equal(s.iterations, 4096);
	passwd_free(db);
}

static void test_layout(void **state)
{
	struct warns ms;
	struct passwd_db *db;

	(void)state;
	/* comments, blank lines, CRLF, blanks around fields, no final newline */
	db = parse("# comment: with a colon\n\n   \n\t\r\n  alice  :  $7$101$J6dk3DSoHwhskK6o$+loB"
		   "CbDutP32GJxI+/kxKTg05JkErvMjm9ffQHewqladzPgxpZ0lVenkEbVUl5jzU/NsUxzmLW7EjkT5Zq"
		   "dcNQ==  \r\n" DAVE "\n#x\n" ERIN,
		   &ms);
	assert_int_equal(ms.n, 0);
	assert_int_equal(passwd_count(db), 3);
	assert_int_equal(passwd_check(db, "alice", "secret", 6), 0);
	assert_int_equal(passwd_check(db, "erin", "", 0), 0);
	passwd_free(db);

	/* an empty file: nobody */
	db = parse("", &ms);
	assert_int_equal(passwd_count(db), 0);
	assert_int_equal(passwd_check(db, "alice", "secret", 6), -ENOENT);
	passwd_free(db);
}

static void test_duplicates(void **state)
{
	struct warns ms;
	struct passwd_db *db;

	(void)state;
	/* alice twice: the later line (dave's hash, password davepw) wins, as in Mosquitto 2.0.11
	 */
	db = parse(ALICE "alice:$6$vpUHXC5usPffodfK$umosaEzOnGEjc/P+kPlO3RdCJMunmGq2ZiK98YPb7t4rfuo"
			 "z33xitNEgXVN5jkCJg+/L6vUN5Aj02mIwtgxSbQ==\n",
		   &ms);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.m[0], "pw:2: user 'alice' also on line 1: this later line is used");
	assert_int_equal(passwd_count(db), 1);
	assert_int_equal(passwd_rejected(db), 0);
	assert_int_equal(passwd_check(db, "alice", "davepw", 6), 0);
	assert_int_equal(passwd_check(db, "alice", "secret", 6), -EACCES);
	passwd_free(db);
}

static void test_hash_encode(void **state)
{
	static const uint8_t salt12[12] = "0123456789ab";
	uint8_t salt64[64];
	char out[PASSWD_ENCODED_MAX];
	int n;

	(void)state;
	n = passwd_hash_pbkdf2("pw", 2, salt12, 12, 1000, out, sizeof(out));
	assert_int_equal(n, (int)strlen(out));
	assert_int_equal(strncmp(out, "$7$1000$MDEyMzQ1Njc4OWFi$", 25), 0);
	assert_int_equal(strlen(out), 25 + 88);
	assert_true(passwd_hash_valid(out, (size_t)n));
	assert_int_equal(passwd_hash_verify(out, (size_t)n, "pw", 2), 0);
	assert_int_equal(passwd_hash_verify(out, (size_t)n, "pW", 2), -EACCES);
	/* the $6$ construction reproduces the Python-made vector */
	n = passwd_hash_sha512("hunter2", 7, salt12, 12, out, sizeof(out));
	assert_int_equal(n, 3 + 16 + 1 + 88);
	assert_int_equal(strncmp(out, strchr(SIX, ':') + 1, (size_t)n), 0);
	/* 64-byte salts fit PASSWD_ENCODED_MAX */
	memset(salt64, 7, sizeof(salt64));
	n = passwd_hash_pbkdf2("pw", 2, salt64, 64, 4294967295u, out, 4);
	assert_int_equal(n, -EINVAL); /* iterations over INT_MAX */
	n = passwd_hash_pbkdf2("pw", 2, salt64, 64, 2147483647u, out, 4);
	assert_int_equal(n, -ENOSPC); /* checked before hashing */
	n = passwd_hash_pbkdf2("pw", 2, salt64, 64, 1, out, sizeof(out));
	assert_true(n > 0 && (size_t)n < sizeof(out));
	assert_int_equal(passwd_hash_pbkdf2("pw", 2, salt12, 11, 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(passwd_hash_pbkdf2("pw", 2, salt12, 12, 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(passwd_hash_pbkdf2("pw", 2, salt12, 12, 1, out, 20), -ENOSPC);
	/* what -U keeps and what it converts */
	assert_true(passwd_hash_valid(strchr(ARGON, '$'), strlen(strchr(ARGON, '$')) - 1));
	assert_false(passwd_hash_valid("secret", 6));
	assert_false(passwd_hash_valid("$7$", 3));
	assert_int_equal(passwd_hash_verify("secret", 6, "secret", 6), -EINVAL);
}

static void test_load(void **state)
{
	char path[] = "/tmp/test_passwd.XXXXXX", err[256];
	struct passwd_db *db;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, ALICE "junk\n", strlen(ALICE "junk\n")),
			 (ssize_t)strlen(ALICE "junk\n"));
	close(fd);
	db = passwd_load(path, NULL, NULL, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(passwd_count(db), 1);
	assert_int_equal(passwd_rejected(db), 1);
	assert_int_equal(passwd_check(db, "alice", "secret", 6), 0);
	passwd_free(db);
	unlink(path);

	errno = 0;
	assert_null(passwd_load(path, NULL, NULL, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_null(passwd_load("/tmp", NULL, NULL, err, sizeof(err)));
	assert_int_equal(errno, EISDIR);
	passwd_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_and_constructed),
	    cmocka_unit_test(test_argon2id),
	    cmocka_unit_test(test_malformed_lines),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_scram),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_hash_encode),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_entry_id),
	    cmocka_unit_test(test_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
