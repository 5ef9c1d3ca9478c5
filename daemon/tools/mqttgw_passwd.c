// SPDX-License-Identifier: MIT
/*
 * mqttgw-passwd: manage Mosquitto-format password files (a drop-in for mosquitto_passwd 2.0).
 *
 *   mqttgw-passwd [-H sha512-pbkdf2|sha512|scram-sha-256] [-I iterations] [-c | -D] passwordfile username
 *   mqttgw-passwd [-H ...] [-I iterations] [-c] -b passwordfile username password
 *   mqttgw-passwd [-I iterations] -U passwordfile
 *   mqttgw-passwd --bench [iterations...]
 *   mqttgw-passwd --check passwordfile username [password]   (passwd_load + passwd_check)
 *
 * Writes "$7$" PBKDF2-HMAC-SHA512 entries with a 12-byte random salt, exactly what
 * mosquitto_passwd 2.0 writes (Mosquitto reads our files and we read its files). Options,
 * messages and exit codes follow mosquitto_passwd (1: error, 2: the two passwords differ).
 * Differences, on purpose: the file is replaced atomically (temp file in the same directory,
 * fsync, rename) and never left half-written; a new file is mode 0600; an existing file keeps
 * its owner and group and at most its owner-rw/group-r bits (a broker user reading it through
 * its group keeps access; no one else does); a corrupt line fails the command with the file
 * unchanged (mosquitto_passwd 2.0.11 reported it, exited 0 and rewrote the file); -U converts
 * only plain-text lines and keeps lines already hashed (2.0.11 hashed the hashes again);
 * comment and blank lines are kept.
 *
 * Default iteration count: 5000 (mosquitto_passwd 2.0.11 writes 101). Chosen by measurement:
 * one verify is what each CONNECT costs the broker on its 2-core edge gateway, and the budget
 * is a few ms. `mqttgw-passwd --bench` on this project's reference machine (2 vCPU AMD EPYC,
 * OpenSSL 3.0.x, Debian 12, load average 6 from parallel builds, hence CPU time; median of
 * repeated verifies of one $7$ entry, ms of CPU per verify; wall clock when idle is the same):
 *     iterations:  101   1000  2000  5000  10000  20000  50000  100000  210000
 *     cpu ms:      0.055 0.52  1.03  2.58  5.16   10.3   25.7   51.4    108
 * i.e. 0.52 us per iteration. 5000 iterations = 2.6 ms per CONNECT: a reconnect storm of 1000
 * clients costs 2.6 core-seconds (1.3 s on two cores), and an ARM gateway 3x slower stays
 * under 10 ms, while an offline attacker pays 50x more per guess than against
 * mosquitto_passwd's 101. 10000 (5.2 ms) is past the budget; OWASP's 210000 would cost 108 ms
 * per CONNECT here. Re-run --bench on the target and pass -I to trade differently; existing
 * entries keep their own count (the broker reads it from each line).
 *
 * -H scram-sha-256 writes RFC 5803 lines for scram_password_file (MQTT 5 enhanced
 * authentication): "user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>", 16-byte
 * random salt, 4096 iterations by default (RFC 7677's minimum). In a SCRAM exchange the
 * client runs the PBKDF2, not the broker, so the count costs the broker nothing there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "passwd.h"
#include "scram.h"
#include "version.h"

#define DEFAULT_ITERATIONS 5000u
#define SCRAM_ITERATIONS   4096u
#define SCRAM_SALT_LEN	   16
#define PW_MAX		   65535

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void usage(void)
{
	printf(
	    "mqttgw-passwd is a tool for managing password files for mqttgw and mosquitto.\n\n"
	    "Usage: mqttgw-passwd [-H sha512 | -H sha512-pbkdf2 | -H scram-sha-256] [-I iterations] "
	    "[-c | -D] passwordfile username\n"
	    "       mqttgw-passwd [-H ...] [-I iterations] [-c] -b "
	    "passwordfile username password\n"
	    "       mqttgw-passwd [-H ...] [-I iterations] -U passwordfile\n"
	    "       mqttgw-passwd --bench [iterations...]\n"
	    " -b : run in batch mode to allow passing passwords on the command line.\n"
	    " -c : create a new password file. This will overwrite existing files.\n"
	    " -D : delete the username rather than adding/updating its password.\n"
	    " -H : specify the hashing algorithm. Defaults to sha512-pbkdf2, which is "
	    "recommended.\n"
	    "      scram-sha-256 writes RFC 5803 SCRAM-SHA-256 secrets for mqttgwd's\n"
	    "      scram_password_file (MQTT 5 enhanced authentication).\n"
	    " -I : PBKDF2 iterations (default %u; scram-sha-256: %u; see --bench).\n"
	    " -U : update a plain text password file to use hashed passwords.\n"
	    " --bench : time one password check at several iteration counts on this machine.\n"
	    " --version : print the version and exit.\n\n",
	    DEFAULT_ITERATIONS, SCRAM_ITERATIONS);
}

static void restore_tty(int sig)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	if (sig)
		_exit(0);
}

/* One line from stdin, without echo on a terminal. 0, or 1 (EOF/empty), or 3 (too long). */
static int read_password(const char *prompt, char *buf, size_t size)
{
	bool tty = isatty(STDIN_FILENO);
	size_t n;

	/* echo off before the prompt, and no flush: what is typed after the prompt is kept */
	if (tty && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		struct termios t = saved_tio;

		tio_saved = 1;
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	printf("%s", prompt);
	fflush(stdout);
	if (!fgets(buf, (int)size, stdin))
		buf[0] = '\0';
	if (tio_saved) {
		restore_tty(0);
		tio_saved = 0;
	}
	if (tty)
		printf("\n");
	n = strlen(buf);
	if (n == size - 1 && buf[n - 1] != '\n')
		return 3;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return n ? 0 : 1;
}

static int get_password(char *pw, char *pw2, size_t size)
{
	int rc = read_password("Password: ", pw, size);

	if (!rc)
		rc = read_password("Reenter password: ", pw2, size);
	if (rc == 3) {
		fprintf(stderr, "Error: Password must be less than 65536 characters long.\n");
		return 1;
	}
	if (rc) {
		fprintf(stderr, "Error: Empty password.\n");
		return 1;
	}
	if (strcmp(pw, pw2)) {
		fprintf(stderr, "Error: Passwords do not match.\n");
		return 2;
	}
	return 0;
}

struct opts {
	bool sha512;
	bool scram;
	uint32_t iterations; /* 0: the hash type's default */
};

/* An RFC 5803 SCRAM-SHA-256 secret for pw into enc. Length or -errno. */
static int scram_encode(const char *pw, uint32_t iterations, char *enc, size_t size)
{
	uint8_t salt[SCRAM_SALT_LEN];
	struct scram_secret sec;
	int n;

	if (crypto_random(salt, sizeof(salt)))
		return -EIO;
	n = scram_secret_make(pw, strlen(pw), salt, sizeof(salt),
			      iterations ? iterations : SCRAM_ITERATIONS, &sec);
	if (!n)
		n = scram_secret_format(&sec, enc, size);
	crypto_wipe(&sec, sizeof(sec));
	return n;
}

/* "user:hash\n" appended to *out (realloc'd). 0 or 1 with a message. */
static int append_entry(char **out, size_t *len, const char *user, size_t ulen, const char *pw,
			const struct opts *o)
{
	uint8_t salt[PASSWD_SALT_LEN];
	char enc[PASSWD_ENCODED_MAX > SCRAM_SECRET_TEXT_MAX ? PASSWD_ENCODED_MAX
							    : SCRAM_SECRET_TEXT_MAX];
	char *nb;
	int n;

	if (crypto_random(salt, sizeof(salt))) {
		fprintf(stderr, "Error: Unable to hash password.\n");
		return 1;
	}
	if (o->scram)
		n = scram_encode(pw, o->iterations, enc, sizeof(enc));
	else if (o->sha512)
		n = passwd_hash_sha512(pw, strlen(pw), salt, sizeof(salt), enc, sizeof(enc));
	else
		n = passwd_hash_pbkdf2(pw, strlen(pw), salt, sizeof(salt),
				       o->iterations ? o->iterations : DEFAULT_ITERATIONS, enc,
				       sizeof(enc));
	if (n < 0) {
		fprintf(stderr, "Error: Unable to hash password.\n");
		return 1;
	}
	nb = realloc(*out, *len + ulen + (size_t)n + 3);
	if (!nb) {
		fprintf(stderr, "Error: Out of memory.\n");
		return 1;
	}
	memcpy(nb + *len, user, ulen);
	nb[*len + ulen] = ':';
	memcpy(nb + *len + ulen + 1, enc, (size_t)n);
	nb[*len + ulen + 1 + (size_t)n] = '\n';
	*out = nb;
	*len += ulen + (size_t)n + 2;
	crypto_wipe(enc, sizeof(enc));
	return 0;
}

static int append_raw(char **out, size_t *len, const char *s, size_t n)
{
	char *nb = realloc(*out, *len + n + 1);

	if (!nb) {
		fprintf(stderr, "Error: Out of memory.\n");
		return 1;
	}
	memcpy(nb + *len, s, n);
	*len += n;
	if (!n || s[n - 1] != '\n')
		nb[(*len)++] = '\n';
	*out = nb;
	return 0;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\v' || **s == '\f'))
		(*s)++;
	while (*e > *s && strchr(" \t\r\n\v\f", (*e)[-1]))
		(*e)--;
}

enum mode { MODE_UPDATE, MODE_DELETE, MODE_CONVERT };

/*
 * Rewrite the file's text `in` into *out: update/add `user` with `pw`, delete it, or convert
 * plain-text passwords. 0, or 1 with a message printed.
 */
static int rewrite(const char *in, size_t inlen, enum mode mode, const char *user, const char *pw,
		   const struct opts *o, char **out, size_t *outlen)
{
	const char *p = in, *end = in + inlen;
	bool found = false;
	int line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end, *u = p, *ue, *h, *he = le;
		int rc = 0;

		line++;
		trim(&u, &he);
		if (u == he || p[0] == '#') {
			if (append_raw(out, outlen, p, (size_t)(le - p)))
				return 1;
			p = le;
			continue;
		}
		ue = memchr(u, ':', (size_t)(he - u));
		h = ue ? ue + 1 : he;
		if (ue)
			trim(&u, &ue);
		if (ue)
			trim(&h, &he);
		if (!ue || u == ue || h == he || memchr(p, '\0', (size_t)(le - p))) {
			fprintf(stderr, "Error: Corrupt password file at line %d.\n", line);
			return 1;
		}
		if (mode != MODE_CONVERT && (size_t)(ue - u) == strlen(user) &&
		    !memcmp(u, user, (size_t)(ue - u))) {
			/* replace the first line of the user, drop any duplicate */
			if (mode == MODE_UPDATE && !found)
				rc = append_entry(out, outlen, user, strlen(user), pw, o);
			found = true;
		} else if (mode == MODE_CONVERT && !passwd_hash_valid(h, (size_t)(he - h))) {
			char *plain = strndup(h, (size_t)(he - h));

			rc = plain ? append_entry(out, outlen, u, (size_t)(ue - u), plain, o) : 1;
			if (plain)
				crypto_wipe(plain, strlen(plain));
			free(plain);
		} else {
			rc = append_raw(out, outlen, p, (size_t)(le - p));
		}
		if (rc)
			return 1;
		p = le;
	}
	if (mode == MODE_DELETE && !found) {
		fprintf(stderr, "Warning: User %s not found in password file.\n", user);
		return 1;
	}
	if (mode == MODE_UPDATE && !found)
		return append_entry(out, outlen, user, strlen(user), pw, o);
	return 0;
}

/* Replace path with data: temp file beside it, fsync, rename. old: the file replaced. */
static int write_atomic(const char *path, const char *data, size_t len, const struct stat *old)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16), *slash;
	mode_t mode = old ? (old->st_mode & 0640) | 0600 : 0600;
	int fd, dfd, err = 0;
	size_t off = 0;

	if (!tmp) {
		fprintf(stderr, "Error: Out of memory.\n");
		return 1;
	}
	snprintf(tmp, pl + 16, "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "Error: Unable to open file %s for writing. %s.\n", path,
			strerror(errno));
		free(tmp);
		return 1;
	}
	while (!err && off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno != EINTR)
			err = errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (!err && old && fchown(fd, old->st_uid, old->st_gid) && errno != EPERM)
		err = errno;
	if (!err && (fchmod(fd, mode) || fsync(fd)))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		fprintf(stderr, "Error: Unable to write password file %s. %s.\n", path,
			strerror(err));
		unlink(tmp);
		free(tmp);
		return 1;
	}
	/* the rename itself is durable once the directory is synced */
	slash = strrchr(tmp, '/');
	if (slash)
		*slash = '\0';
	dfd = open(slash ? (slash == tmp ? "/" : tmp) : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(tmp);
	return 0;
}

static int read_all(const char *path, char **buf, size_t *len, struct stat *st)
{
	FILE *f = fopen(path, "re");
	size_t cap = 4096, n;

	if (!f || fstat(fileno(f), st) || S_ISDIR(st->st_mode)) {
		fprintf(stderr, "Error: Unable to open password file %s. %s.\n", path,
			strerror(f && S_ISDIR(st->st_mode) ? EISDIR : errno));
		if (f)
			fclose(f);
		return 1;
	}
	*len = 0;
	*buf = malloc(cap);
	while (*buf && (n = fread(*buf + *len, 1, cap - *len, f)) > 0) {
		*len += n;
		if (*len == cap)
			*buf = realloc(*buf, cap *= 2);
	}
	if (!*buf || ferror(f)) {
		fprintf(stderr, "Error: Unable to read password file %s.\n", path);
		fclose(f);
		return 1;
	}
	fclose(f);
	return 0;
}

static bool username_valid(const char *u)
{
	size_t i, n = strlen(u);

	if (n > PW_MAX) {
		fprintf(stderr, "Error: Username must be less than 65536 characters long.\n");
		return false;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] < 0x20 || u[i] == 0x7f) {
			fprintf(stderr, "Error: Username must not contain control characters.\n");
			return false;
		}
	if (strchr(u, ':')) {
		fprintf(stderr, "Error: Username must not contain the ':' character.\n");
		return false;
	}
	return true;
}

static double now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * One passwd_hash_verify() at each iteration count: the median CPU time of this thread (the
 * cost a CONNECT adds, insensitive to other load) and the fastest wall-clock time.
 */
static int bench(int argc, char **argv)
{
	static const uint32_t defaults[] = {101,   1000,  2000,	  5000,	 10000,
					    20000, 50000, 100000, 210000};
	uint8_t salt[PASSWD_SALT_LEN] = "0123456789ab";
	int i, n = argc ? argc : (int)(sizeof(defaults) / sizeof(defaults[0]));

	printf("%10s  %10s  %10s\n", "iterations", "cpu ms", "wall ms");
	for (i = 0; i < n; i++) {
		char enc[PASSWD_ENCODED_MAX], *end = NULL;
		unsigned long it = argc ? strtoul(argv[i], &end, 10) : defaults[i];
		double cpu[25], wall = 1e30, start = now_ms(CLOCK_MONOTONIC);
		int k, runs = 0;

		if ((argc && (*end || !it)) || it > INT_MAX) {
			fprintf(stderr, "Error: bad iteration count '%s'.\n", argv[i]);
			return 1;
		}
		if (passwd_hash_pbkdf2("password", 8, salt, sizeof(salt), (uint32_t)it, enc,
				       sizeof(enc)) < 0)
			return 1;
		for (k = 0; k < 25 && (k < 5 || now_ms(CLOCK_MONOTONIC) - start < 2000); k++) {
			double c0 = now_ms(CLOCK_THREAD_CPUTIME_ID), w0 = now_ms(CLOCK_MONOTONIC);

			if (passwd_hash_verify(enc, strlen(enc), "password", 8))
				return 1;
			cpu[runs++] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
			w0 = now_ms(CLOCK_MONOTONIC) - w0;
			wall = w0 < wall ? w0 : wall;
		}
		qsort(cpu, (size_t)runs, sizeof(cpu[0]), dbl_cmp);
		printf("%10lu  %10.3f  %10.3f\n", it, cpu[runs / 2], wall);
	}
	return 0;
}

static void check_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "Warning: %s\n", msg);
}

/* --check FILE USER [PASSWORD]: passwd_load() + passwd_check(), as the broker will. */
static int check(int argc, char **argv)
{
	static char pw[PW_MAX + 2];
	struct passwd_db *db;
	char err[512];
	int rc;

	if (argc != 2 && argc != 3) {
		usage();
		return 1;
	}
	db = passwd_load(argv[0], check_warn, NULL, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "Error: %s\n", err);
		return 1;
	}
	if (argc == 2 && read_password("Password: ", pw, sizeof(pw)) == 3) {
		fprintf(stderr, "Error: Password must be less than 65536 characters long.\n");
		passwd_free(db);
		return 1;
	}
	rc = passwd_check(db, argv[1], argc == 3 ? argv[2] : pw, strlen(argc == 3 ? argv[2] : pw));
	crypto_wipe(pw, sizeof(pw));
	passwd_free(db);
	if (!rc)
		printf("OK\n");
	else
		fprintf(stderr, "%s\n",
			rc == -EACCES	? "Error: Wrong password."
			: rc == -ENOENT ? "Error: Unknown user."
					: strerror(-rc));
	return !rc ? 0 : rc == -EACCES || rc == -ENOENT ? 2 : 1;
}

int main(int argc, char **argv)
{
	bool batch = false, create = false, del = false, update = false;
	struct opts o = {.iterations = 0};
	const char *file = NULL, *user = NULL, *pwarg = NULL;
	static char pw[PW_MAX + 2], pw2[PW_MAX + 2];
	char *real, *in = NULL, *out = NULL;
	size_t inlen = 0, outlen = 0;
	struct stat st;
	int idx, rc;

	signal(SIGINT, restore_tty);
	signal(SIGTERM, restore_tty);
	if (argc == 1) {
		usage();
		return 1;
	}
	if (!strcmp(argv[1], "--bench"))
		return bench(argc - 2, argv + 2);
	if (!strcmp(argv[1], "--check"))
		return check(argc - 2, argv + 2);
	if (!strcmp(argv[1], "--version")) {
		printf("mqttgw-passwd version %s\n", MQTTGW_VERSION);
		return 0;
	}
	for (idx = 1; idx < argc; idx++) {
		const char *a = argv[idx];

		if (!strcmp(a, "-H") || !strcmp(a, "-I")) {
			if (idx + 1 == argc) {
				fprintf(
				    stderr,
				    "Error: %s argument given but not enough other arguments.\n",
				    a);
				return 1;
			}
			a = argv[++idx];
			if (argv[idx - 1][1] == 'H') {
				o.sha512 = o.scram = false;
				if (!strcmp(a, "sha512")) {
					o.sha512 = true;
				} else if (!strcmp(a, "scram-sha-256")) {
					o.scram = true;
				} else if (strcmp(a, "sha512-pbkdf2")) {
					fprintf(stderr, "Error: Unknown hash type '%s'\n", a);
					return 1;
				}
			} else {
				char *end;
				long v = strtol(a, &end, 10);

				if (*end || end == a || v < 1 || v > INT_MAX) {
					fprintf(stderr,
						"Error: Number of iterations must be > 0.\n");
					return 1;
				}
				o.iterations = (uint32_t)v;
			}
		} else if (!strcmp(a, "-b")) {
			batch = true;
		} else if (!strcmp(a, "-c")) {
			create = true;
		} else if (!strcmp(a, "-D")) {
			del = true;
		} else if (!strcmp(a, "-U")) {
			update = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			return 1;
		} else if (!strcmp(a, "--")) {
			idx++;
			break;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "Error: Unknown option '%s'.\n", a);
			return 1;
		} else {
			break;
		}
	}
	if (o.scram && o.iterations > SCRAM_ITER_MAX) {
		fprintf(stderr, "Error: scram-sha-256: at most %u iterations.\n", SCRAM_ITER_MAX);
		return 1;
	}
	if (create && del) {
		fprintf(stderr, "Error: -c and -D cannot be used together.\n");
		return 1;
	}
	if (create && update) {
		fprintf(stderr, "Error: -c and -U cannot be used together.\n");
		return 1;
	}
	if (del && update) {
		fprintf(stderr, "Error: -D and -U cannot be used together.\n");
		return 1;
	}
	if (del && batch) {
		fprintf(stderr, "Error: -b and -D cannot be used together.\n");
		return 1;
	}
	if (create && (batch ? idx + 2 >= argc : idx + 1 >= argc)) {
		fprintf(stderr, batch ? "Error: -c argument given but password file, username, or "
					"password missing.\n"
				      : "Error: -c argument given but password file or username "
					"missing.\n");
		return 1;
	}
	if (del && idx + 1 >= argc) {
		fprintf(stderr,
			"Error: -D argument given but password file or username missing.\n");
		return 1;
	}
	if (update && idx + 1 != argc) {
		fprintf(stderr, "Error: -U argument given but password file missing.\n");
		return 1;
	}
	if (!create && !del && !update && idx + (batch ? 3 : 2) != argc) {
		usage();
		return 1;
	}
	file = argv[idx];
	if (!update) {
		user = argv[idx + 1];
		pwarg = batch ? argv[idx + 2] : NULL;
	}
	if (user && !username_valid(user))
		return 1;
	if (pwarg && strlen(pwarg) > PW_MAX) {
		fprintf(stderr, "Error: Password must be less than 65536 characters long.\n");
		return 1;
	}
	/* through a symlink: replace its target, as mosquitto_passwd does */
	real = realpath(file, NULL);
	if (!real && errno != ENOENT) {
		fprintf(stderr, "Error reading password file: %s\n", strerror(errno));
		return 1;
	}
	if (real)
		file = real;
	if ((create || (!del && !update)) && !batch) {
		rc = get_password(pw, pw2, sizeof(pw));
		crypto_wipe(pw2, sizeof(pw2));
		if (rc)
			goto out;
		pwarg = pw;
	}
	if (create) {
		bool exists = !stat(file, &st) && S_ISREG(st.st_mode);

		rc = append_entry(&out, &outlen, user, strlen(user), pwarg, &o) ||
		     write_atomic(file, out, outlen, exists ? &st : NULL);
		goto out;
	}
	rc = read_all(file, &in, &inlen, &st);
	if (rc)
		goto out;
	rc = rewrite(in, inlen,
		     update ? MODE_CONVERT
		     : del  ? MODE_DELETE
			    : MODE_UPDATE,
		     user, pwarg, &o, &out, &outlen);
	if (!rc)
		rc = write_atomic(file, out ? out : "", outlen, &st);
out:
	if (in)
		crypto_wipe(in, inlen);
	if (out)
		crypto_wipe(out, outlen);
	crypto_wipe(pw, sizeof(pw));
	free(in);
	free(out);
	free(real);
	return rc;
}
