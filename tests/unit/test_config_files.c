/* SPDX-License-Identifier: MIT */
/*
 * config: files. include_dir through a config_source in memory (order, filtering, every read
 * error's message), config_parse_file, and config_load + include_dir on real files in a mkdtemp
 * directory (the L1 source of daemon/conf/config_load.c over daemon/io/file.c).
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_test.h"
#include "tmpdir_test.h"

/* ---- include_dir through a config_source in memory (pure) ---- */

struct mem_file {
	const char *path;
	const char *text; /* NULL: reading it fails with rc and op */
	int rc;
	const char *op;
};

/* A file system in memory: what the parser reads, and how it asked. */
struct mem_fs {
	const struct mem_file *files;
	size_t n;
	int list_rc;
	char order[512]; /* paths read, space-separated */
	size_t last_max;
	bool last_regular;
};

static int mem_read(void *ctx, const char *path, size_t max, bool regular_only, char **text,
		    size_t *len, const char **op)
{
	struct mem_fs *fs = ctx;
	size_t used = strlen(fs->order);

	snprintf(fs->order + used, sizeof(fs->order) - used, "%s%s", used ? " " : "", path);
	fs->last_max = max;
	fs->last_regular = regular_only;
	*op = NULL;
	for (size_t i = 0; i < fs->n; i++) {
		const struct mem_file *f = &fs->files[i];

		if (strcmp(f->path, path))
			continue;
		if (!f->text) {
			*op = f->op;
			return f->rc;
		}
		*text = strdup(f->text);
		assert_non_null(*text);
		*len = strlen(f->text);
		return 0;
	}
	*op = "cannot open";
	return -ENOENT;
}

/* The files directly in dir, in table order (the parser must sort them itself). */
static int mem_list(void *ctx, const char *dir, char ***names, size_t *n)
{
	struct mem_fs *fs = ctx;
	size_t dl = strlen(dir), k = 0;

	if (fs->list_rc)
		return fs->list_rc;
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	*names = calloc(fs->n + 1, sizeof(**names));
	assert_non_null(*names);
	for (size_t i = 0; i < fs->n; i++) {
		const char *p = fs->files[i].path;

		if (!strncmp(p, dir, dl) && p[dl] == '/' && !strchr(p + dl + 1, '/'))
			(*names)[k++] = strdup(p + dl + 1);
	}
	*n = k;
	return 0;
}

static struct config_source mem_source(struct mem_fs *fs)
{
	struct config_source src = {.read = mem_read, .list = mem_list, .ctx = fs};

	fs->order[0] = '\0';
	return src;
}

static void test_include_source(void **state)
{
	static const struct mem_file inc[] = {
	    {"/etc/my dir.d/inc.conf", "listener 2000\nlog_dest syslog\n"},
	};
	static const struct mem_file bad[] = {{"x/inc.conf", "\nbogus 1\n"}};
	static const struct mem_file nested[] = {{"x/inc.conf", "include_dir y\n"}};
	struct mem_fs fs = {.files = inc, .n = 1};
	struct config_source src = mem_source(&fs);
	struct config *cfg;

	(void)state;
	cfg = config_new();
	assert_int_equal(parse_into(cfg,
				    "log_dest stdout\n"
				    "include_dir /etc/my dir.d  \n"
				    "# the main file's block is not the included one's\n"
				    "certfile /c\n",
				    &src),
			 0);
	assert_string_equal(err, "");
	assert_string_equal(fs.order, "/etc/my dir.d/inc.conf");
	/* included files must be regular files of at most 16 MiB */
	assert_true(fs.last_regular);
	assert_int_equal(fs.last_max, 16u << 20);
	/* log_dest keeps adding across files */
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG);
	/* certfile is before any `listener` of t.conf: the default listener */
	assert_int_equal(cfg->n_listeners, 2);
	assert_int_equal(cfg->listeners[0].port, 2000);
	assert_null(cfg->listeners[0].certfile);
	assert_true(cfg->listeners[1].is_default);
	assert_string_equal(cfg->listeners[1].certfile, "/c");
	config_free(cfg);

	/* an error inside the included text names that file */
	fs = (struct mem_fs){.files = bad, .n = 1};
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "include_dir x\n", &src), -EINVAL);
	assert_string_equal(err, "x/inc.conf:2: unknown option 'bogus'");
	config_free(cfg);
	/* nested include_dir: only in the main file */
	fs = (struct mem_fs){.files = nested, .n = 1};
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "include_dir x\n", &src), -EINVAL);
	assert_string_equal(
	    err, "x/inc.conf:1: include_dir is only allowed in the main configuration file");
	config_free(cfg);

	/* the directory cannot be listed */
	fs = (struct mem_fs){.list_rc = -ENOENT};
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "\ninclude_dir /nope\n", &src), -EINVAL);
	assert_string_equal(err, "t.conf:2: include_dir '/nope': No such file or directory");
	config_free(cfg);
	fs = (struct mem_fs){.list_rc = -ENOMEM};
	cfg = config_new();
	assert_int_equal(parse_into(cfg, "include_dir /x\n", &src), -ENOMEM);
	assert_string_equal(err, "t.conf:1: include_dir '/x': out of memory");
	config_free(cfg);

	parse_fail("include_dir /etc\n",
		   "t.conf:1: include_dir is only allowed in the main configuration file");
	parse_fail("include_dir\n", "t.conf:1: include_dir: missing argument");
	parse_fail("include_dir /\xff\n", "t.conf:1: include_dir: value is not valid UTF-8 text");
}

/* Only *.conf entries, in Mosquitto's order, whatever order the source lists them in. */
static void test_include_source_order(void **state)
{
	static const struct mem_file files[] = {
	    {"d/b.conf", "listener 1005\n"},  {"d/notes.txt", "bogus\n"},
	    {"d/A.conf", "listener 1002\n"},  {"d/.conf", "bogus\n"},
	    {"d/01.conf", "listener 1001\n"}, {"d/x.conf.bak", "bogus\n"},
	    {"d/a.conf", "listener 1003\n"},  {"d/B.conf", "listener 1004\n"},
	    {"d/00.conf", "listener 1000\n"}, {"d/sub/z.conf", "bogus\n"},
	};
	struct mem_fs fs = {.files = files, .n = sizeof(files) / sizeof(files[0])};
	struct config_source src = mem_source(&fs);
	struct config *cfg = config_new();

	(void)state;
	assert_int_equal(parse_into(cfg, "include_dir d/\n", &src), 0);
	assert_string_equal(fs.order, "d/00.conf d/01.conf d/A.conf d/a.conf d/B.conf d/b.conf");
	assert_int_equal(cfg->n_listeners, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(cfg->listeners[i].port, 1000 + i);
	config_free(cfg);
}

/* Each way a read can fail keeps config's own wording. */
static void test_include_source_read_errors(void **state)
{
	static const struct {
		int rc;
		const char *op, *msg;
	} cases[] = {
	    {-EACCES, "cannot open", "t.conf:1: d/a.conf: cannot open: Permission denied"},
	    {-EIO, "read", "t.conf:1: d/a.conf: read: Input/output error"},
	    {-EISDIR, NULL, "t.conf:1: d/a.conf: is a directory"},
	    {-EINVAL, NULL, "t.conf:1: d/a.conf: not a regular file"},
	    {-EFBIG, NULL, "t.conf:1: d/a.conf: larger than 16777216 bytes"},
	    {-ENOMEM, NULL, "t.conf:1: d/a.conf: out of memory"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mem_file f = {"d/a.conf", NULL, cases[i].rc, cases[i].op};
		struct mem_fs fs = {.files = &f, .n = 1};
		struct config_source src = mem_source(&fs);
		struct config *cfg = config_new();
		int rc = parse_into(cfg, "include_dir d\n", &src);

		assert_int_equal(rc, cases[i].rc == -ENOMEM ? -ENOMEM : -EINVAL);
		assert_string_equal(err, cases[i].msg);
		config_free(cfg);
	}
}

/* config_parse_file: the main file comes from the source too, and may be any kind of file. */
static void test_parse_file_source(void **state)
{
	static const struct mem_file files[] = {
	    {"main.conf", "max_keepalive 9\ninclude_dir inc\n"},
	    {"inc/x.conf", "sys_interval 3\n"},
	    {"big.conf", NULL, -EFBIG, NULL},
	};
	struct mem_fs fs = {.files = files, .n = 3};
	struct config_source src = mem_source(&fs);
	struct config *cfg = config_new();

	(void)state;
	assert_int_equal(config_parse_file(cfg, "main.conf", &src, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(fs.order, "main.conf inc/x.conf");
	assert_int_equal(cfg->max_keepalive, 9);
	assert_int_equal(cfg->sys_interval, 3);
	config_free(cfg);

	cfg = config_new();
	assert_int_equal(config_parse_file(cfg, "big.conf", &src, err, sizeof(err)), -EFBIG);
	assert_false(fs.last_regular);
	assert_string_equal(err, "big.conf: larger than 16777216 bytes");
	assert_int_equal(config_parse_file(cfg, "none.conf", &src, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "none.conf: cannot open: No such file or directory");
	config_free(cfg);
}

static void test_parse_appends(void **state)
{
	struct config *cfg = config_new();

	(void)state;
	assert_int_equal(parse_into(cfg, "log_type error\nlog_dest stdout\n", NULL), 0);
	assert_int_equal(parse_into(cfg, "log_type debug\nlog_dest syslog\n", NULL), 0);
	assert_int_equal(cfg->log_type, CONFIG_LOG_ERR | CONFIG_LOG_DEBUG);
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG);
	/* a listener from an earlier text is still a duplicate */
	assert_int_equal(parse_into(cfg, "listener 1883\n", NULL), 0);
	assert_int_equal(parse_into(cfg, "listener 1883\n", NULL), -EINVAL);
	assert_string_equal(err, "t.conf:1: listener: 1883 is already configured");
	/* security keys are remembered too */
	assert_int_equal(parse_into(cfg, "password_file /p\n", NULL), 0);
	assert_int_equal(parse_into(cfg, "per_listener_settings true\n", NULL), -EINVAL);
	config_free(cfg);
}

/* ---- include_dir and config_load on real files ---- */

static const char *tpath(const char *rel)
{
	return fmt("%s/%s", tmpdir, rel);
}

static void write_file(const char *rel, const char *text)
{
	FILE *f = fopen(tpath(rel), "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void make_dir(const char *rel)
{
	assert_int_equal(mkdir(tpath(rel), 0755), 0);
}

static int load(const char *rel, struct config **cfg)
{
	return config_load(tpath(rel), cfg, err, sizeof(err));
}

static void test_include_dir_order(void **state)
{
	struct config *cfg;

	(void)state;
	make_dir("order.d");
	/* Mosquitto's order: 00 01 A a B b */
	write_file("order.d/b.conf", "listener 1005\n");
	write_file("order.d/A.conf", "listener 1002\n");
	write_file("order.d/01.conf", "listener 1001\n");
	write_file("order.d/a.conf", "listener 1003\n");
	write_file("order.d/B.conf", "listener 1004\n");
	write_file("order.d/00.conf", "# first\nlistener 1000\nlog_dest syslog\n");
	write_file("order.d/notes.txt", "bogus\n");
	write_file("order.d/.conf", "bogus\n");
	write_file("order.d/x.conf.bak", "bogus\n");
	make_dir("one.d");
	make_dir("two.d");
	make_dir("empty.d");
	write_file("one.d/B.conf", "listener 2001\n");
	write_file("one.d/C.conf", "listener 2002\n");
	write_file("two.d/A.conf", "listener 2003\n");
	write_file("two.d/D.conf", "listener 2004\n");
	write_file("main.conf", fmt("log_dest stdout\ninclude_dir %s/order.d\nmax_keepalive 30\n"
				    "include_dir %s/one.d/\ninclude_dir %s/two.d\n"
				    "include_dir %s/empty.d\n",
				    tmpdir, tmpdir, tmpdir, tmpdir));
	if (load("main.conf", &cfg))
		fail_msg("%s", err);
	assert_int_equal(cfg->n_listeners, 10);
	assert_int_equal(cfg->listeners[0].port, 1000);
	assert_int_equal(cfg->listeners[1].port, 1001);
	assert_int_equal(cfg->listeners[2].port, 1002);
	assert_int_equal(cfg->listeners[3].port, 1003);
	assert_int_equal(cfg->listeners[4].port, 1004);
	assert_int_equal(cfg->listeners[5].port, 1005);
	/* each include_dir completely, in the order written (man page example) */
	assert_int_equal(cfg->listeners[6].port, 2001);
	assert_int_equal(cfg->listeners[7].port, 2002);
	assert_int_equal(cfg->listeners[8].port, 2003);
	assert_int_equal(cfg->listeners[9].port, 2004);
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_STDOUT | CONFIG_LOG_DEST_SYSLOG);
	assert_int_equal(cfg->max_keepalive, 30);
	finish_ok(cfg);
	config_free(cfg);
}

static void test_include_dir_errors(void **state)
{
	struct config *cfg = (struct config *)1;

	(void)state;
	make_dir("bad.d");
	write_file("bad.d/a.conf", "listener 3000\n");
	write_file("bad.d/b.conf", "# fine so far\nmax_keepalive x\n");
	write_file("bad.d/c.conf", "bogus\n");
	write_file("main1.conf", fmt("\ninclude_dir %s/bad.d\n", tmpdir));
	assert_int_equal(load("main1.conf", &cfg), -EINVAL);
	assert_null(cfg);
	assert_string_equal(err,
			    fmt("%s/bad.d/b.conf:2: max_keepalive: invalid number 'x'", tmpdir));

	write_file("main2.conf", fmt("include_dir %s/missing.d\n", tmpdir));
	assert_int_equal(load("main2.conf", &cfg), -EINVAL);
	assert_string_equal(err, fmt("%s:1: include_dir '%s/missing.d': No such file or directory",
				     tpath("main2.conf"), tmpdir));

	write_file("main3.conf", fmt("include_dir %s\n", tpath("main1.conf")));
	assert_int_equal(load("main3.conf", &cfg), -EINVAL);
	assert_string_equal(err, fmt("%s:1: include_dir '%s': Not a directory", tpath("main3.conf"),
				     tpath("main1.conf")));

	make_dir("nest.d");
	write_file("nest.d/n.conf", "max_keepalive 5\ninclude_dir /etc\n");
	write_file("main4.conf", fmt("include_dir %s/nest.d\n", tmpdir));
	assert_int_equal(load("main4.conf", &cfg), -EINVAL);
	assert_string_equal(err, fmt("%s/nest.d/n.conf:2: include_dir is only allowed in the main "
				     "configuration file",
				     tmpdir));

	make_dir("dir.d");
	make_dir("dir.d/sub.conf");
	write_file("main5.conf", fmt("include_dir %s/dir.d\n", tmpdir));
	assert_int_equal(load("main5.conf", &cfg), -EINVAL);
	assert_string_equal(
	    err, fmt("%s:1: %s/dir.d/sub.conf: is a directory", tpath("main5.conf"), tmpdir));

	/* a FIFO named *.conf must not hang the load */
	make_dir("fifo.d");
	assert_int_equal(mkfifo(tpath("fifo.d/x.conf"), 0600), 0);
	write_file("main7.conf", fmt("include_dir %s/fifo.d\n", tmpdir));
	assert_int_equal(load("main7.conf", &cfg), -EINVAL);
	assert_string_equal(
	    err, fmt("%s:1: %s/fifo.d/x.conf: not a regular file", tpath("main7.conf"), tmpdir));

	/* config_load itself; the main file may be a device or a pipe */
	assert_int_equal(config_load("/dev/null", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->n_listeners, 0);
	config_free(cfg);
	assert_int_equal(load("nothere.conf", &cfg), -ENOENT);
	assert_null(cfg);
	assert_string_equal(
	    err, fmt("%s: cannot open: No such file or directory", tpath("nothere.conf")));
	assert_int_equal(load("dir.d", &cfg), -EISDIR);
	assert_string_equal(err, fmt("%s: is a directory", tpath("dir.d")));
	write_file("main6.conf", "max_keepalive 10\n\nlisten 1883\n");
	assert_int_equal(load("main6.conf", &cfg), -EINVAL);
	assert_string_equal(err, fmt("%s:3: unknown option 'listen'", tpath("main6.conf")));
}

static void test_load_realistic(void **state)
{
	struct config *cfg;

	(void)state;
	/* Debian's /etc/mosquitto/mosquitto.conf with a conf.d */
	make_dir("conf.d");
	write_file("conf.d/local.conf", "listener 1883\nallow_anonymous false\n"
					"password_file /etc/mosquitto/passwd\n");
	write_file("conf.d/README", "Any files placed in this directory with a .conf ending\n");
	write_file("mosquitto.conf",
		   fmt("# Place your local configuration in /etc/mosquitto/conf.d/\n"
		       "#\n"
		       "# A full description of the configuration file is at\n"
		       "# /usr/share/doc/mosquitto/examples/mosquitto.conf.example\n"
		       "\n"
		       "pid_file /run/mosquitto/mosquitto.pid\n"
		       "\n"
		       "persistence true\n"
		       "persistence_location /var/lib/mosquitto/\n"
		       "\n"
		       "log_dest file /var/log/mosquitto/mosquitto.log\n"
		       "\n"
		       "include_dir %s/conf.d\n",
		       tmpdir));
	if (load("mosquitto.conf", &cfg))
		fail_msg("%s", err);
	assert_string_equal(cfg->pid_file, "/run/mosquitto/mosquitto.pid");
	assert_true(cfg->persistence);
	assert_string_equal(cfg->persistence_location, "/var/lib/mosquitto/");
	assert_int_equal(cfg->log_dest, CONFIG_LOG_DEST_FILE);
	assert_string_equal(cfg->log_file, "/var/log/mosquitto/mosquitto.log");
	assert_int_equal(cfg->n_listeners, 1);
	assert_string_equal(cfg->password_file, "/etc/mosquitto/passwd");
	finish_ok(cfg);
	/* not Mosquitto's file name: its format is not ours, and an existing mosquitto.db in
	 * the same directory would be taken for a corrupt store and moved aside */
	assert_null(cfg->persistence_file);
	assert_false(config_listener_anonymous(cfg, &cfg->listeners[0]));
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_include_source),
	    cmocka_unit_test(test_include_source_order),
	    cmocka_unit_test(test_include_source_read_errors),
	    cmocka_unit_test(test_parse_file_source),
	    cmocka_unit_test(test_parse_appends),
	    cmocka_unit_test(test_include_dir_order),
	    cmocka_unit_test(test_include_dir_errors),
	    cmocka_unit_test(test_load_realistic),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
