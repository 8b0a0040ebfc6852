/* ini: sections, keys, comments, quoting, and the errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ini.h"

/* Collects "LINE [section] key=<value>" lines; stops at key "stop". */
static int
collect(void *ctx, const char *section, const char *key, const char *value,
    unsigned line, struct xerr *err)
{
	struct buf *b = ctx;

	if (key != NULL && strcmp(key, "stop") == 0)
		return xerr_set(err, XERR_CONFIG, 0, "stopped at line %u",
		    line);
	if (key == NULL)
		buf_printf(b, "%u [%s]\n", line, section);
	else
		buf_printf(b, "%u %s.%s=<%s>\n", line, section, key, value);
	return 0;
}

static const struct {
	const char *label;
	const char *in;
	const char *want;
} good[] = {
	{ "basic", "[job]\ndirection = send\n",
	    "1 [job]\n2 job.direction=<send>\n" },
	{ "blanks and comments",
	    "\n  # comment\n; also\n\t[job]   # trailing\n  a=1\nb   =   2  \n",
	    "4 [job]\n5 job.a=<1>\n6 job.b=<2>\n" },
	/* Only " #" starts an inline comment: ';' is a value. */
	{ "inline comments", "[s]\nx = 5  # five\ny = 6 ; six\nz = a#b\n"
	    "w = a;b\nv = # nothing\nu =\nd = ;\n",
	    "1 [s]\n2 s.x=<5>\n3 s.y=<6 ; six>\n4 s.z=<a#b>\n5 s.w=<a;b>\n"
	    "6 s.v=<>\n7 s.u=<>\n8 s.d=<;>\n" },
	{ "value keeps inner blanks and '='", "[s]\nq = SELECT a = 1\n",
	    "1 [s]\n2 s.q=<SELECT a = 1>\n" },
	{ "quoted", "[s]\na = \"  x # y  \"\nb = \"say \\\"hi\\\"\" # c\n"
	    "c = \"back\\\\slash\"\nd = \"C:\\dir\"\ne = \"\"\nf = x\"y\n",
	    "1 [s]\n2 s.a=<  x # y  >\n3 s.b=<say \"hi\">\n"
	    "4 s.c=<back\\slash>\n5 s.d=<C:\\dir>\n6 s.e=<>\n7 s.f=<x\"y>\n" },
	{ "CRLF and BOM", "\xef\xbb\xbf[job]\r\na = 1\r\nb = \"q\"\r\n",
	    "1 [job]\n2 job.a=<1>\n3 job.b=<q>\n" },
	{ "no final newline", "[s]\nk = v", "1 [s]\n2 s.k=<v>\n" },
	{ "section names", "[a_b]\n[ spaced ]\nk_2 = 0\n",
	    "1 [a_b]\n2 [spaced]\n3 spaced.k_2=<0>\n" },
	{ "empty file", "", "" },
};

static void
test_good(void **state)
{
	struct xerr err;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		buf_init(&b, 0);
		buf_puts(&b, "");
		if (ini_parse_buffer("t.ini", good[i].in, strlen(good[i].in),
		    collect, &b, &err) != 0)
			fail_msg("%s: %s", good[i].label, err.msg);
		if (strcmp(b.data, good[i].want) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", good[i].label, b.data,
			    good[i].want);
		buf_release(&b);
	}
}

static const struct {
	const char *in;
	const char *msg;
} bad[] = {
	{ "[job]\nno equals here\n", "t.ini:2: expected 'key = value'" },
	{ "[job]\n= 5\n", "t.ini:2: expected 'key = value'" },
	{ "a = 1\n", "t.ini:1: key outside of a section" },
	{ "\n\n[job\n", "t.ini:3: expected '[section]'" },
	{ "[Job]\n", "t.ini:1: bad section name '[Job]' (lower case letters "
	    "and '_')" },
	{ "[job 2]\n", "t.ini:1: bad section name '[job 2]'" },
	{ "[]\n", "t.ini:1: bad section name '[]'" },
	{ "[job] x\n", "t.ini:1: unexpected text after '[section]'" },
	{ "[job]\nPath = x\n", "t.ini:2: bad key 'Path' (keys are lower case "
	    "letters, digits and '_')" },
	{ "[job]\nmy key = x\n", "t.ini:2: bad key 'my key'" },
	{ "[s]\na = \"open\n", "t.ini:2: key 'a': unterminated quoted value" },
	{ "[s]\na = \"x\" y\n", "t.ini:2: key 'a': unexpected text after the "
	    "closing quote" },
	{ "[s]\na = \"x\"#c\n", "t.ini:2: key 'a': a comment after a quoted "
	    "value must follow a blank" },
	{ "[s]\na = 1\nstop = 1\nb = 2\n", "stopped at line 3" },
};

static void
test_bad(void **state)
{
	struct xerr err;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_init(&b, 0);
		xerr_clear(&err);
		if (ini_parse_buffer("t.ini", bad[i].in, strlen(bad[i].in),
		    collect, &b, &err) != -1)
			fail_msg("accepted: %s", bad[i].in);
		assert_int_equal(err.cls, XERR_CONFIG);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("got '%s', want '%s'", err.msg, bad[i].msg);
		buf_release(&b);
	}
}

static void
test_nul_and_long_lines(void **state)
{
	static const char nul[] = "[s]\na = 1\nb = x\0y\n";
	char *big;
	struct xerr err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(ini_parse_buffer("t.ini", nul, sizeof(nul) - 1,
	    collect, &b, &err), -1);
	assert_string_equal(err.msg, "t.ini:3: NUL byte in the file");
	/* Nothing was handed out before the NUL was found. */
	assert_null(b.data);

	/* A line of exactly 8192 bytes is fine, 8193 is not. */
	big = malloc(20000);
	assert_non_null(big);
	memcpy(big, "[s]\nk = ", 8);
	memset(big + 8, 'v', 8192 - 4);
	memcpy(big + 8 + 8188, "\n", 1);
	assert_int_equal(ini_parse_buffer("t.ini", big, 8 + 8188 + 1,
	    collect, &b, &err), 0);
	memcpy(big + 8 + 8188, "v\n", 2);
	assert_int_equal(ini_parse_buffer("t.ini", big, 8 + 8188 + 2,
	    collect, &b, &err), -1);
	assert_string_equal(err.msg, "t.ini:2: line longer than 8192 bytes");
	free(big);
	buf_release(&b);
}

static char dir[] = "/tmp/test_ini.XXXXXX";

static void
put(const char *name, const char *data, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
test_files(void **state)
{
	char path[256], link_path[256], *big;
	struct xerr err;
	struct buf b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	buf_init(&b, 0);

	put("ok.job", "[job]\ndirection = send\n", 23);
	snprintf(path, sizeof(path), "%s/ok.job", dir);
	assert_int_equal(ini_parse_file(path, collect, &b, &err), 0);
	assert_string_equal(b.data, "1 [job]\n2 job.direction=<send>\n");

	/* Symlinks are followed: config tools manage job files that way. */
	snprintf(link_path, sizeof(link_path), "%s/link.job", dir);
	assert_int_equal(symlink(path, link_path), 0);
	buf_reset(&b);
	assert_int_equal(ini_parse_file(link_path, collect, &b, &err), 0);
	assert_string_equal(b.data, "1 [job]\n2 job.direction=<send>\n");
	unlink(link_path);

	/* Errors name the file given. */
	put("bad.job", "[job]\nx\n", 8);
	snprintf(path, sizeof(path), "%s/bad.job", dir);
	assert_int_equal(ini_parse_file(path, collect, &b, &err), -1);
	assert_non_null(strstr(err.msg, "/bad.job:2: expected 'key = value'"));
	unlink(path);

	snprintf(path, sizeof(path), "%s/missing.job", dir);
	assert_int_equal(ini_parse_file(path, collect, &b, &err), -1);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_non_null(strstr(err.msg, "cannot open '"));
	assert_non_null(strstr(err.msg, "No such file or directory"));

	/* A directory and a FIFO are refused (the FIFO without hanging). */
	assert_int_equal(ini_parse_file(dir, collect, &b, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	snprintf(path, sizeof(path), "%s/fifo.job", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ini_parse_file(path, collect, &b, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	unlink(path);

	/* 1 MiB is the limit. */
	big = malloc(1024 * 1024 + 1);
	assert_non_null(big);
	memset(big, '\n', 1024 * 1024 + 1);
	put("big.job", big, 1024 * 1024);
	snprintf(path, sizeof(path), "%s/big.job", dir);
	assert_int_equal(ini_parse_file(path, collect, &b, &err), 0);
	put("big.job", big, 1024 * 1024 + 1);
	assert_int_equal(ini_parse_file(path, collect, &b, &err), -1);
	assert_non_null(strstr(err.msg, "larger than 1048576 bytes"));
	unlink(path);
	free(big);

	snprintf(path, sizeof(path), "%s/ok.job", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	buf_release(&b);
}

/* Records each bad line as "LINE !<section> <key or -> <message>". */
static int
note_bad(void *ctx, const char *section, const char *bad_key, unsigned line,
    const struct xerr *why, struct xerr *err)
{
	struct buf *b = ctx;

	(void)err;
	buf_printf(b, "%u !%s %s %s\n", line, section,
	    bad_key ? bad_key : "-", why->msg);
	return 0;
}

/* Stops at the first bad line it sees. */
static int
stop_bad(void *ctx, const char *section, const char *bad_key, unsigned line,
    const struct xerr *why, struct xerr *err)
{
	(void)ctx;
	(void)section;
	(void)bad_key;
	(void)why;
	return xerr_set(err, XERR_CONFIG, 0, "stopped at bad line %u", line);
}

/*
 * ini_parse_buffer_all() reads every line: each bad one is handed over
 * (a malformed key with its text), the good ones around it still are,
 * and keys after a malformed section header are skipped unseen.
 */
static void
test_read_on(void **state)
{
	static const char in[] =
	    "[aggregate]\n"			/* 1 */
	    "group-by = store\n"		/* 2 */
	    "sum = amount\n"			/* 3 */
	    "no equals here\n"			/* 4 */
	    "q = \"open\n"			/* 5 */
	    "[output\n"				/* 6 */
	    "hidden = 1\n"			/* 7 */
	    "Also-Hidden = 2\n"			/* 8 */
	    "[output]\n"			/* 9 */
	    "name = x\n";			/* 10 */
	static const char *const want =
	    "1 [aggregate]\n"
	    "2 !aggregate group-by t.ini:2: bad key 'group-by' (keys are "
	    "lower case letters, digits and '_')\n"
	    "3 aggregate.sum=<amount>\n"
	    "4 !aggregate - t.ini:4: expected 'key = value'\n"
	    "5 !aggregate - t.ini:5: key 'q': unterminated quoted value\n"
	    "6 !aggregate - t.ini:6: expected '[section]'\n"
	    "9 [output]\n"
	    "10 output.name=<x>\n";
	struct xerr err;
	struct buf b;
	char *big;
	size_t n;

	(void)state;
	buf_init(&b, 0);
	xerr_clear(&err);
	/* One buffer for both callbacks keeps the order of the lines. */
	assert_int_equal(ini_parse_buffer_all("t.ini", in, strlen(in),
	    collect, note_bad, &b, &err), 0);
	assert_string_equal(b.data, want);
	assert_int_equal(err.cls, XERR_NONE);

	/* The bad callback can stop; the plain parse stops by itself. */
	buf_reset(&b);
	assert_int_equal(ini_parse_buffer_all("t.ini", in, strlen(in),
	    collect, stop_bad, &b, &err), -1);
	assert_string_equal(err.msg, "stopped at bad line 2");
	assert_string_equal(b.data, "1 [aggregate]\n");
	buf_reset(&b);
	assert_int_equal(ini_parse_buffer("t.ini", in, strlen(in), collect,
	    &b, &err), -1);
	assert_string_equal(err.msg, "t.ini:2: bad key 'group-by' (keys are "
	    "lower case letters, digits and '_')");

	/* An over-long line is skipped too; the next one is read. */
	buf_reset(&b);
	n = 4 + 9000 + 1;
	big = malloc(n + 16);
	assert_non_null(big);
	memcpy(big, "[s]\n", 4);
	memset(big + 4, 'v', 9000);
	memcpy(big + 4 + 9000, "\nk = 1\n", 7);
	assert_int_equal(ini_parse_buffer_all("t.ini", big, n + 6, collect,
	    note_bad, &b, &err), 0);
	assert_string_equal(b.data, "1 [s]\n2 !s - t.ini:2: line longer than "
	    "8192 bytes\n3 s.k=<1>\n");
	free(big);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_read_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
