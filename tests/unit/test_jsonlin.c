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
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "jsonlin.h"
#include "record.h"
#include "xerr.h"

static char tmpdir[64];

/*
 * Records become text, one per line: "LINE:RECNO:name=Kvalue|...", K the
 * kind (N null, T text, # number, B bool, R raw), with \n \r \t escaped.
 */
struct collect {
	struct buf out;
	unsigned long stop_at;		/* the callback fails here */
	unsigned long calls;
	const char *const *want_names;	/* rec->names must be this */
};

static void
put_escaped(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\n':	buf_puts(b, "\\n"); break;
		case '\r':	buf_puts(b, "\\r"); break;
		case '\t':	buf_puts(b, "\\t"); break;
		default:	buf_putc(b, s[i]); break;
		}
	}
}

static int
collect_rec(void *ctx, const struct record *rec, struct xerr *err)
{
	static const char kinds[] = { 'N', 'T', '#', 'B', 'R' };
	struct collect *c = ctx;
	const struct value *v;
	size_t i;

	c->calls++;
	if (c->want_names != NULL)
		assert_ptr_equal(rec->names, c->want_names);
	assert_non_null(rec->file);
	assert_int_equal(rec->recno, c->calls);
	assert_null(rec->line_fn);
	if (c->stop_at != 0 && rec->recno == c->stop_at)
		return xerr_set(err, XERR_TEMP, 0, "stopped at %lu",
		    rec->recno);
	buf_printf(&c->out, "%lu:%lu:", rec->line, rec->recno);
	for (i = 0; i < rec->n; i++) {
		v = &rec->vals[i];
		assert_true(v->kind <= VAL_RAW);
		assert_int_equal(v->ptr[v->len], '\0');
		assert_int_equal(strlen(v->ptr), v->len);
		if (v->kind == VAL_NULL)
			assert_int_equal(v->len, 0);
		if (i > 0)
			buf_putc(&c->out, '|');
		buf_printf(&c->out, "%s=%c", rec->names[i], kinds[v->kind]);
		put_escaped(&c->out, v->ptr, v->len);
	}
	buf_putc(&c->out, '\n');
	return 0;
}

static void
collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->out, 0);
	buf_puts(&c->out, "");
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int
run_json(const char *data, size_t len, const struct jsonlin_opts *o,
    struct collect *c, struct xerr *err)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/t.jsonl", tmpdir);
	write_file(path, data, len);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	xerr_clear(err);
	rc = jsonlin_read_fd(fd, "t.jsonl", o, collect_rec, c, err);
	close(fd);
	unlink(path);
	return rc;
}

static int
run_arr(const char *data, size_t len, const struct jsonlin_opts *o,
    struct collect *c, struct xerr *err)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/t.json", tmpdir);
	write_file(path, data, len);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	xerr_clear(err);
	rc = jsonarr_read_fd(fd, "t.json", o, collect_rec, c, err);
	close(fd);
	unlink(path);
	return rc;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_jsonlin.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	static const char *const left[] = { "t.jsonl", "big.jsonl", "bad.jsonl",
	    "t.json", "big.json" };
	char path[128];
	size_t i;

	(void)state;
	/* A failed test may leave its file behind. */
	for (i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, left[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

static void
test_table(void **state)
{
	static const struct {
		const char *name;
		const char *in;
		size_t len;		/* 0: strlen(in) */
		size_t max_line;
		const char *want;	/* records delivered */
		const char *err;	/* NULL: success; else a prefix */
	} t[] = {
		{ "basic", "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n", 0, 0,
		    "1:1:a=#1|b=Tx\n2:2:a=#2|b=Ty\n", NULL },
		{ "numbers keep their text",
		    "{\"n\":0.10}\n{\"n\":1e400}\n{\"n\":-0}\n"
		    "{\"n\":12345678901234567890}\n"
		    "{\"n\":123456789012345678901234}\n"
		    "{\"n\":-9223372036854775809}\n{\"n\":-1.5E-7}\n"
		    "{\"n\": 7 }\n{\"n\":-0.0}\n", 0, 0,
		    "1:1:n=#0.10\n2:2:n=#1e400\n3:3:n=#-0\n"
		    "4:4:n=#12345678901234567890\n"
		    "5:5:n=#123456789012345678901234\n"
		    "6:6:n=#-9223372036854775809\n7:7:n=#-1.5E-7\n"
		    "8:8:n=#7\n9:9:n=#-0.0\n", NULL },
		{ "nested values are compact raw JSON",
		    "{\"a\":{\"b\": [1, -0, 1.50, \"x y/\", "
		    "123456789012345678901234]}, \"c\":[ ], "
		    "\"d\":[\"\\u00e9\\/\", {}]}\n", 0, 0,
		    "1:1:a=R{\"b\":[1,-0,1.50,\"x y/\","
		    "123456789012345678901234]}|c=R[]|"
		    "d=R[\"\\u00e9\\/\",{}]\n", NULL },
		{ "null and booleans",
		    "{\"a\":null,\"b\":true,\"c\":false}\n", 0, 0,
		    "1:1:a=N|b=Btrue|c=Bfalse\n", NULL },
		{ "strings are decoded",
		    "{\"a\":\"\\u00e9\\t\\\"q\\\"\\/\",\"b\":\"\xca\xa4\","
		    "\"c\":\"\\ud83d\\ude00\",\"d\":\"\"}\n", 0, 0,
		    "1:1:a=T\xc3\xa9\\t\"q\"/|b=T\xca\xa4|"
		    "c=T\xf0\x9f\x98\x80|d=T\n", NULL },
		{ "keys of the first object, any order later",
		    "{\"a\":1,\"b\":2}\n{\"b\":3}\n{\"b\":4,\"a\":5}\n{}\n", 0,
		    0, "1:1:a=#1|b=#2\n2:2:a=N|b=#3\n3:3:a=#5|b=#4\n"
		    "4:4:a=N|b=N\n", NULL },
		{ "a key the first object did not have",
		    "{\"a\":1}\n{\"a\":2,\"c\":3}\n", 0, 0, "1:1:a=#1\n",
		    "t.jsonl:2: unexpected key 'c' (not in the first "
		    "object)" },
		{ "blank lines, crlf, no final newline",
		    "\n  \t\r\n{\"a\":1}\r\n\n {\"a\":2} \t", 0, 0,
		    "3:1:a=#1\n5:2:a=#2\n", NULL },
		{ "bom", "\xef\xbb\xbf{\"a\":1}\n", 0, 0, "1:1:a=#1\n", NULL },
		{ "empty file", "", 0, 0, "", NULL },
		{ "only blank lines", "\n\r\n \n", 0, 0, "", NULL },
		{ "invalid json", "{\"a\":1}\n\n{\"a\":}\n", 0, 0, "1:1:a=#1\n",
		    "t.jsonl:3: invalid JSON at byte 6: " },
		{ "trailing garbage", "{\"a\":1} x\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte 9: " },
		{ "two objects on a line", "{\"a\":1}{\"a\":2}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte 8: " },
		{ "nul after the object", "{\"a\":1}\0\n", 9, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte 8: text after the "
		    "object" },
		{ "incomplete object", "{\"a\":1\n{\"a\":2}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON: unexpected end of line" },
		{ "array", "{\"a\":1}\n[1,2]\n", 0, 0, "1:1:a=#1\n",
		    "t.jsonl:2: not a JSON object" },
		{ "number", "42\n", 0, 0, NULL,
		    "t.jsonl:1: not a JSON object" },
		{ "string", " \"s\"\n", 0, 0, NULL,
		    "t.jsonl:1: not a JSON object" },
		{ "single quotes", "{'a':1}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte 2: string expected" },
		{ "NaN", "{\"a\":NaN}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte 6: " },
		{ "Infinity", "{\"a\":-Infinity}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte 7: bad number" },
		{ "number ending in a dot", "{\"a\":1.}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte 8: bad number" },
		{ "leading zero", "{\"a\":01}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte " },
		{ "control character in a string", "{\"a\":\"x\x01\"}\n", 0, 0,
		    NULL, "t.jsonl:1: invalid JSON at byte 8: control "
		    "character in string" },
		{ "bad utf-8", "{\"a\":\"\xff\"}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte " },
		{ "duplicate key", "{\"a\":1,\"b\":2,\"a\":3}\n", 0, 0, NULL,
		    "t.jsonl:1: duplicate key 'a'" },
		{ "duplicate key spelled twice ways",
		    "{\"a\":1,\"\\u0061\":2}\n", 0, 0, NULL,
		    "t.jsonl:1: duplicate key in object" },
		{ "nul in a value", "{\"a\":\"x\\u0000\"}\n", 0, 0, NULL,
		    "t.jsonl:1: \\u0000 in the value of 'a'" },
		{ "nul in a key", "{\"a\\u0000b\":1}\n", 0, 0, NULL,
		    "t.jsonl:1: \\u0000 in key 'a\\u0000b'" },
		{ "nul nested is fine", "{\"a\":[\"\\u0000\"]}\n", 0, 0,
		    "1:1:a=R[\"\\u0000\"]\n", NULL },
		{ "too deep",
		    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		    "[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		    "]]]]]]]]]]]]]]]]]]]]]]]}\n", 0, 0, NULL,
		    "t.jsonl:1: invalid JSON at byte " },
		{ "line of max_line bytes", "{\"a\":1}\n{\"a\":\"12345\"}\n", 0,
		    13, "1:1:a=#1\n2:2:a=T12345\n", NULL },
		{ "line over max_line", "{\"a\":1}\n{\"a\":\"123456\"}\n", 0,
		    13, "1:1:a=#1\n", "t.jsonl:2: line longer than 13 bytes" },
		{ "last line over max_line", "{\"a\":1}\n{\"a\":\"123456\"}", 0,
		    13, "1:1:a=#1\n", "t.jsonl:2: line longer than 13 bytes" },
	};
	struct jsonlin_opts o;
	struct collect c;
	struct xerr err;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.max_line = t[i].max_line;
		collect_init(&c);
		rc = run_json(t[i].in, t[i].len ? t[i].len : strlen(t[i].in),
		    &o, &c, &err);
		if (t[i].err == NULL) {
			if (rc != 0)
				fail_msg("%s: unexpected error: %s", t[i].name,
				    err.msg);
		} else {
			if (rc != -1)
				fail_msg("%s: no error", t[i].name);
			if (strncmp(err.msg, t[i].err, strlen(t[i].err)) != 0)
				fail_msg("%s: error '%s', want '%s...'",
				    t[i].name, err.msg, t[i].err);
			assert_int_equal(err.cls, XERR_DATA);
		}
		if (strcmp(c.out.data, t[i].want ? t[i].want : "") != 0)
			fail_msg("%s: got\n%s\nwant\n%s", t[i].name,
			    c.out.data, t[i].want ? t[i].want : "");
		buf_release(&c.out);
	}
}

static void
test_projection(void **state)
{
	static const char *const want[] = { "b", "x", "a", "b" };
	static const char *in =
	    "{\"a\":1,\"b\":\"s\",\"c\":[1]}\n"
	    "{\"c\":2,\"zz\":null}\n"
	    "{\"b\":false,\"a\":{\"k\":\"v\"}}\n";
	struct jsonlin_opts o;
	struct collect c;
	struct xerr err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.want = want;
	o.nwant = 4;
	collect_init(&c);
	c.want_names = want;
	if (run_json(in, strlen(in), &o, &c, &err) != 0)
		fail_msg("%s", err.msg);
	/* Keys not wanted are dropped, wanted keys missing are null. */
	assert_string_equal(c.out.data,
	    "1:1:b=Ts|x=N|a=#1|b=Ts\n"
	    "2:2:b=N|x=N|a=N|b=N\n"
	    "3:3:b=Bfalse|x=N|a=R{\"k\":\"v\"}|b=Bfalse\n");
	buf_release(&c.out);

	o.nwant = 0;
	collect_init(&c);
	if (run_json(in, strlen(in), &o, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.out.data, "1:1:\n2:2:\n3:3:\n");
	buf_release(&c.out);

	/* Still checked when nothing is wanted from it. */
	o.nwant = 1;
	collect_init(&c);
	assert_int_equal(run_json("{\"b\":1}\n{\"b\":1,\"b\":2}\n", 22, &o,
	    &c, &err), -1);
	assert_string_equal(err.msg, "t.jsonl:2: duplicate key 'b'");
	buf_release(&c.out);
}

static void
test_callback_stops(void **state)
{
	static const char *in = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";
	struct collect c;
	struct xerr err;

	(void)state;
	collect_init(&c);
	c.stop_at = 2;
	assert_int_equal(run_json(in, strlen(in), NULL, &c, &err), -1);
	assert_int_equal(err.cls, XERR_TEMP);
	assert_int_equal(err.sys_errno, 0);
	assert_string_equal(err.msg, "stopped at 2");
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.out.data, "1:1:a=#1\n");
	buf_release(&c.out);
}

static void
test_open_error(void **state)
{
	char path[128];
	struct collect c;
	struct xerr err;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.jsonl", tmpdir);
	collect_init(&c);
	assert_int_equal(jsonlin_read_file(path, NULL, collect_rec, &c, &err),
	    -1);
	assert_int_equal(err.cls, XERR_PERM);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_non_null(strstr(err.msg, "cannot open '"));
	buf_release(&c.out);

	snprintf(path, sizeof(path), "%s/bad.jsonl", tmpdir);
	write_file(path, "{\"a\":1}\n[]\n", 11);
	collect_init(&c);
	assert_int_equal(jsonlin_read_file(path, NULL, collect_rec, &c, &err),
	    -1);
	assert_true(strncmp(err.msg, tmpdir, strlen(tmpdir)) == 0);
	assert_non_null(strstr(err.msg, "/bad.jsonl:2: not a JSON object"));
	assert_int_equal(c.calls, 1);
	buf_release(&c.out);
	unlink(path);
}

/*
 * Lines that cross reads: a few MB of objects, one string longer than the
 * read buffer, blank lines and CRLF, read from a file and from a pipe that
 * delivers uneven pieces (the BOM one byte at a time).
 */
static void
gen_big(struct buf *in, struct buf *want)
{
	unsigned long line = 1, recno = 0;
	unsigned int seed = 777;
	size_t i, j;
	int r;

	buf_puts(in, "\xef\xbb\xbf");
	for (i = 0; i < 40000; i++) {
		r = rand_r(&seed) % 100;
		if (r < 5) {
			buf_puts(in, r < 3 ? "\n" : " \r\n");
			line++;
			continue;
		}
		recno++;
		buf_printf(in, "{\"id\":%zu,\"s\":\"", i);
		buf_printf(want, "%lu:%lu:id=#%zu|s=T", line, recno, i);
		if (r == 50 && i % 5 == 0) {
			for (j = 0; j < 300000; j++)
				buf_putc(in, 'L');
			for (j = 0; j < 300000; j++)
				buf_putc(want, 'L');
		} else {
			buf_puts(in, "line\\n two");
			buf_puts(want, "line\\n two");
		}
		buf_printf(in, "\",\"x\":[%d, {\"k\" : %d.50}]}%s", r, r,
		    r % 2 ? "\r\n" : "\n");
		buf_printf(want, "|x=R[%d,{\"k\":%d.50}]\n", r, r);
		line++;
	}
	buf_puts(in, "{\"id\":-1}");
	buf_printf(want, "%lu:%lu:id=#-1|s=N|x=N\n", line, recno + 1);
}

static void
test_big(void **state)
{
	struct buf in, want;
	struct jsonlin_opts o;
	struct collect c;
	struct xerr err;
	char path[128];
	int fds[2], status;
	size_t off, n;
	pid_t pid;

	(void)state;
	buf_init(&in, 0);
	buf_init(&want, 0);
	gen_big(&in, &want);
	assert_true(in.len > 4 * 256 * 1024);

	snprintf(path, sizeof(path), "%s/big.jsonl", tmpdir);
	write_file(path, in.data, in.len);
	collect_init(&c);
	if (jsonlin_read_file(path, NULL, collect_rec, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.out.data, want.data);
	buf_release(&c.out);

	/* The long line passes max_line while it is gathered. */
	memset(&o, 0, sizeof(o));
	o.max_line = 290000;
	collect_init(&c);
	assert_int_equal(jsonlin_read_file(path, &o, collect_rec, &c, &err),
	    -1);
	assert_non_null(strstr(err.msg, ": line longer than 290000 bytes"));
	assert_true(c.calls > 0);
	buf_release(&c.out);
	unlink(path);

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		for (off = 0; off < in.len; off += n) {
			n = off < 3 ? 1 : 1 + (off * 7919) % 70000;
			if (n > in.len - off)
				n = in.len - off;
			if (write(fds[1], in.data + off, n) != (ssize_t)n)
				_exit(1);
			if (off < 3)
				usleep(10000);
		}
		_exit(0);
	}
	close(fds[1]);
	collect_init(&c);
	if (jsonlin_read_fd(fds[0], "pipe", NULL, collect_rec, &c, &err) != 0)
		fail_msg("%s", err.msg);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(c.out.data, want.data);
	buf_release(&c.out);
	buf_release(&in);
	buf_release(&want);
}

/* --- JSON arrays ---------------------------------------------------- */

static void
test_arr_table(void **state)
{
	static const struct {
		const char *name;
		const char *in;
		size_t len;		/* 0: strlen(in) */
		size_t max_line;
		const char *want;	/* records delivered */
		const char *err;	/* NULL: success; else the message,
					 * or a prefix ending in ' ' */
	} t[] = {
		{ "xfer's own output",
		    "[\n{\"a\":1,\"b\":\"x\"},\n{\"a\":2,\"b\":\"y\"}\n]\n", 0, 0,
		    "2:1:a=#1|b=Tx\n3:2:a=#2|b=Ty\n", NULL },
		{ "compact, one line", "[{\"a\":1},{\"a\":2},{\"a\":3}]", 0, 0,
		    "1:1:a=#1\n1:2:a=#2\n1:3:a=#3\n", NULL },
		{ "empty", "[]", 0, 0, "", NULL },
		{ "empty as xfer writes it", "[]\n", 0, 0, "", NULL },
		{ "empty with blanks", " \r\n\t[ \n \r\n]\n\n ", 0, 0, "", NULL },
		{ "blanks everywhere",
		    "\n\n  [  {\"a\" : 1 } ,\n\n\t{\"a\":2}\r\n,{\"a\":3}]\r\n",
		    0, 0, "3:1:a=#1\n5:2:a=#2\n6:3:a=#3\n", NULL },
		{ "bom", "\xef\xbb\xbf[{\"a\":1}]\n", 0, 0, "1:1:a=#1\n", NULL },
		{ "element over several lines",
		    "[\n  {\n    \"a\": 1,\n    \"b\": [\n      1,\n      2\n"
		    "    ]\n  },\n  {\"a\": 2, \"b\": null}\n]\n", 0, 0,
		    "2:1:a=#1|b=R[1,2]\n9:2:a=#2|b=N\n", NULL },
		{ "nested values",
		    "[{\"a\":{\"b\":[1,{\"c\":[]}],\"d\":{}},\"e\":[[\"]\"]]}]",
		    0, 0, "1:1:a=R{\"b\":[1,{\"c\":[]}],\"d\":{}}|"
		    "e=R[[\"]\"]]\n", NULL },
		{ "brackets, commas and quotes in strings",
		    "[{\"s\":\"],}{[\\\"x\\\\\"},{\"s\":\"\\\\\"},"
		    "{\"s\":\"\\\"]\"},{\"s\":\"{\\\\\\\"[\"}]", 0, 0,
		    "1:1:s=T],}{[\"x\\\n1:2:s=T\\\n1:3:s=T\"]\n"
		    "1:4:s=T{\\\"[\n", NULL },
		{ "brackets in keys", "[{\"[{\":1,\"}]\":\"\"}]", 0, 0,
		    "1:1:[{=#1|}]=T\n", NULL },
		{ "numbers keep their text",
		    "[{\"n\":0.10},{\"n\":-0},{\"n\":123456789012345678901234}]",
		    0, 0, "1:1:n=#0.10\n1:2:n=#-0\n"
		    "1:3:n=#123456789012345678901234\n", NULL },
		{ "keys of the first object",
		    "[{\"a\":1,\"b\":2},\n{\"b\":3},\n{\"c\":4}]", 0, 0,
		    "1:1:a=#1|b=#2\n2:2:a=N|b=#3\n",
		    "t.json:3: unexpected key 'c' (not in the first object)" },
		{ "duplicate key", "[\n{\"a\":1,\"a\":2}]", 0, 0, NULL,
		    "t.json:2: duplicate key 'a'" },
		{ "empty object", "[{}]", 0, 0, "1:1:\n", NULL },
		{ "number element", "[1]", 0, 0, NULL,
		    "t.json:1: array element is not a JSON object" },
		{ "array element", "[{\"a\":1},\n[{\"a\":2}]]", 0, 0,
		    "1:1:a=#1\n", "t.json:2: array element is not a JSON "
		    "object" },
		{ "string element", "[\"{}\"]", 0, 0, NULL,
		    "t.json:1: array element is not a JSON object" },
		{ "null element", "[{\"a\":1}, null]", 0, 0, "1:1:a=#1\n",
		    "t.json:1: array element is not a JSON object" },
		{ "nul byte", "[\0]", 3, 0, NULL,
		    "t.json:1: array element is not a JSON object" },
		{ "an object, not an array", "{\"a\":1}\n", 0, 0, NULL,
		    "t.json:1: not a JSON array (JSON Lines? then format = "
		    "jsonl)" },
		{ "json lines", "\n{\"a\":1}\n{\"a\":2}\n", 0, 0, NULL,
		    "t.json:2: not a JSON array (JSON Lines? then format = "
		    "jsonl)" },
		{ "a number", "42", 0, 0, NULL, "t.json:1: not a JSON array" },
		{ "empty file", "", 0, 0, NULL,
		    "t.json:1: not a JSON array: no data" },
		{ "only blanks", "\n \n\n", 0, 0, NULL,
		    "t.json:3: not a JSON array: no data" },
		{ "text after the array", "[{\"a\":1}] x", 0, 0, "1:1:a=#1\n",
		    "t.json:1: invalid JSON at byte 11: text after the array" },
		{ "second array", "[{\"a\":1}]\n[]\n", 0, 0, "1:1:a=#1\n",
		    "t.json:2: invalid JSON at byte 1: text after the array" },
		{ "comma after the array", "[]\n,", 0, 0, NULL,
		    "t.json:2: invalid JSON at byte 1: text after the array" },
		{ "trailing comma", "[{\"a\":1},]", 0, 0, "1:1:a=#1\n",
		    "t.json:1: invalid JSON at byte 10: array element expected "
		    "after ','" },
		{ "leading comma", "[,{\"a\":1}]", 0, 0, NULL,
		    "t.json:1: array element is not a JSON object" },
		{ "missing comma", "[{\"a\":1}\n {\"a\":2}]", 0, 0,
		    "1:1:a=#1\n", "t.json:2: invalid JSON at byte 2: ',' or "
		    "']' expected after an array element" },
		{ "truncated after an element",
		    "[\n{\"a\":1},\n{\"a\":2}\n", 0, 0, "2:1:a=#1\n3:2:a=#2\n",
		    "t.json:3: JSON array not closed with ']' at the end of "
		    "the file (truncated?)" },
		{ "truncated after a comma", "[{\"a\":1},", 0, 0, "1:1:a=#1\n",
		    "t.json:1: JSON array not closed with ']' at the end of "
		    "the file (truncated?)" },
		{ "only the bracket", "[\n", 0, 0, NULL,
		    "t.json:1: JSON array not closed with ']' at the end of "
		    "the file (truncated?)" },
		{ "truncated in an element",
		    "[\n{\"a\":1},\n{\"a\":\n\"xy", 0, 0, "2:1:a=#1\n",
		    "t.json:3: array element not closed at the end of the "
		    "file (truncated?)" },
		{ "truncated in a string that looks closed",
		    "[{\"a\":\"}]\\\"}]\n", 0, 0, NULL,
		    "t.json:1: array element not closed at the end of the "
		    "file (truncated?)" },
		{ "invalid json in the second element, one line",
		    "[{\"a\":1},{\"a\":NaN}]", 0, 0, "1:1:a=#1\n",
		    "t.json:1: invalid JSON at byte 15: " },
		{ "invalid json on a later line of an element",
		    "[\n  {\"a\":1},\n  {\"a\":\n    1.}\n]", 0, 0, "2:1:a=#1\n",
		    "t.json:4: invalid JSON at byte 7: bad number" },
		{ "single quotes", "[{'a':1}]", 0, 0, NULL,
		    "t.json:1: invalid JSON at byte 3: string expected" },
		{ "mismatched brackets", "[{\"a\":[1}]]", 0, 0, NULL,
		    "t.json:1: invalid JSON at byte " },
		{ "raw newline in a string", "[{\"a\":\"x\ny\"}]", 0, 0, NULL,
		    "t.json:1: invalid JSON at byte " },
		{ "bad utf-8", "[{\"a\":\"\xff\"}]", 0, 0, NULL,
		    "t.json:1: invalid JSON at byte " },
		{ "element of max_line bytes", "[{\"a\":1},\n{\"a\":\"12345\"}]",
		    0, 13, "1:1:a=#1\n2:2:a=T12345\n", NULL },
		{ "element over max_line", "[{\"a\":1},\n{\"a\":\"123456\"}]",
		    0, 13, "1:1:a=#1\n",
		    "t.json:2: array element longer than 13 bytes" },
		{ "element over max_line, unfinished", "[{\"a\":\"123456",
		    0, 10, NULL,
		    "t.json:1: array element longer than 10 bytes" },
	};
	struct jsonlin_opts o;
	struct collect c;
	struct xerr err;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.max_line = t[i].max_line;
		collect_init(&c);
		rc = run_arr(t[i].in, t[i].len ? t[i].len : strlen(t[i].in),
		    &o, &c, &err);
		if (t[i].err == NULL) {
			if (rc != 0)
				fail_msg("%s: unexpected error: %s", t[i].name,
				    err.msg);
		} else {
			if (rc != -1)
				fail_msg("%s: no error", t[i].name);
			n = strlen(t[i].err);
			if (t[i].err[n - 1] == ' ' ?
			    strncmp(err.msg, t[i].err, n) != 0 :
			    strcmp(err.msg, t[i].err) != 0)
				fail_msg("%s: error '%s', want '%s'",
				    t[i].name, err.msg, t[i].err);
			assert_int_equal(err.cls, XERR_DATA);
		}
		if (strcmp(c.out.data, t[i].want ? t[i].want : "") != 0)
			fail_msg("%s: got\n%s\nwant\n%s", t[i].name,
			    c.out.data, t[i].want ? t[i].want : "");
		buf_release(&c.out);
	}
}

/* The depth limit is the one JSON Lines has, and deep input fails fast. */
static void
test_arr_deep(void **state)
{
	static const struct {
		size_t open;		/* '[' inside the object */
		int ok;
		const char *err;
	} t[] = {
		{ 62, 1, NULL },
		{ 63, 1, NULL },	/* 64 levels with the object */
		{ 64, 0, "t.json:1: invalid JSON at byte 70: nesting too "
		    "deep" },
		{ 1000000, 0, "t.json:1: invalid JSON at byte 70: nesting too "
		    "deep" },
	};
	struct buf in, line;
	struct collect c;
	struct xerr err;
	size_t i, j;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&line, 0);
		buf_puts(&line, "{\"a\":");
		for (j = 0; j < t[i].open; j++)
			buf_putc(&line, '[');
		for (j = 0; j < t[i].open; j++)
			buf_putc(&line, ']');
		buf_putc(&line, '}');
		buf_init(&in, 0);
		buf_printf(&in, "[%s]", line.data);

		collect_init(&c);
		rc = run_arr(in.data, in.len, NULL, &c, &err);
		assert_int_equal(rc, t[i].ok ? 0 : -1);
		if (!t[i].ok)
			assert_string_equal(err.msg, t[i].err);
		assert_int_equal(c.calls, t[i].ok ? 1 : 0);
		buf_release(&c.out);

		/* JSON Lines takes exactly the same. */
		buf_putc(&line, '\n');
		collect_init(&c);
		rc = run_json(line.data, line.len, NULL, &c, &err);
		assert_int_equal(rc, t[i].ok ? 0 : -1);
		buf_release(&c.out);
		buf_release(&line);
		buf_release(&in);
	}

	/* A million arrays deep: refused at the second byte. */
	buf_init(&in, 0);
	for (j = 0; j < 1000000; j++)
		buf_putc(&in, '[');
	for (j = 0; j < 1000000; j++)
		buf_putc(&in, ']');
	collect_init(&c);
	assert_int_equal(run_arr(in.data, in.len, NULL, &c, &err), -1);
	assert_string_equal(err.msg,
	    "t.json:1: array element is not a JSON object");
	assert_int_equal(c.calls, 0);
	buf_release(&c.out);
	buf_release(&in);
}

static void
test_arr_projection(void **state)
{
	static const char *const want[] = { "b", "x", "a" };
	static const char *in =
	    "[\n{\"a\":1,\"b\":\"s\",\"c\":[1]},\n"
	    "{\"c\":2,\"zz\":null},\n"
	    "{\"b\":false,\"a\":{\"k\":\"v\"}}\n]\n";
	struct jsonlin_opts o;
	struct collect c;
	struct xerr err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.want = want;
	o.nwant = 3;
	collect_init(&c);
	c.want_names = want;
	if (run_arr(in, strlen(in), &o, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.out.data,
	    "2:1:b=Ts|x=N|a=#1\n"
	    "3:2:b=N|x=N|a=N\n"
	    "4:3:b=Bfalse|x=N|a=R{\"k\":\"v\"}\n");
	buf_release(&c.out);
}

static void
test_arr_callback_and_open(void **state)
{
	static const char *in = "[{\"a\":1},{\"a\":2},{\"a\":3}]";
	struct collect c;
	struct xerr err;
	char path[128];

	(void)state;
	collect_init(&c);
	c.stop_at = 2;
	assert_int_equal(run_arr(in, strlen(in), NULL, &c, &err), -1);
	assert_int_equal(err.cls, XERR_TEMP);
	assert_string_equal(err.msg, "stopped at 2");
	assert_int_equal(c.calls, 2);
	buf_release(&c.out);

	snprintf(path, sizeof(path), "%s/missing.json", tmpdir);
	collect_init(&c);
	assert_int_equal(jsonarr_read_file(path, NULL, collect_rec, &c, &err),
	    -1);
	assert_int_equal(err.cls, XERR_PERM);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_non_null(strstr(err.msg, "cannot open '"));
	buf_release(&c.out);

	/* Messages name the path. */
	snprintf(path, sizeof(path), "%s/t.json", tmpdir);
	write_file(path, "[{\"a\":1},\n2]", 12);
	collect_init(&c);
	assert_int_equal(jsonarr_read_file(path, NULL, collect_rec, &c, &err),
	    -1);
	assert_true(strncmp(err.msg, tmpdir, strlen(tmpdir)) == 0);
	assert_non_null(strstr(err.msg,
	    "/t.json:2: array element is not a JSON object"));
	assert_string_equal(c.out.data, "1:1:a=#1\n");
	buf_release(&c.out);
	unlink(path);
}

/*
 * Elements that cross reads: a few MB in xfer's layout mixed with
 * multi-line and compact elements and one string longer than the read
 * buffer, from a file and from a pipe that delivers uneven pieces (the BOM
 * one byte at a time).
 */
static void
gen_big_arr(struct buf *in, struct buf *want)
{
	unsigned long line = 1, recno = 0;
	unsigned int seed = 4242;
	size_t i, j;
	int r;

	buf_puts(in, "\xef\xbb\xbf[\n");
	line++;
	for (i = 0; i < 40000; i++) {
		r = rand_r(&seed) % 100;
		if (i > 0) {
			buf_puts(in, r < 10 ? "," : r < 20 ? "\r\n," : ",\n");
			if (r >= 10)
				line++;
		}
		recno++;
		buf_printf(want, "%lu:%lu:id=#%zu|s=T", line, recno, i);
		if (r < 5) {
			/* Pretty-printed, over four lines. */
			buf_printf(in, "{\n  \"id\": %zu,\n  \"s\": \"a]b\","
			    "\n  \"x\": [%d, {\"k\": %d.50}]}", i, r, r);
			buf_puts(want, "a]b");
			line += 3;
		} else if (r == 50 && i % 5 == 0) {
			buf_printf(in, "{\"id\":%zu,\"s\":\"", i);
			for (j = 0; j < 300000; j++)
				buf_putc(in, 'L');
			for (j = 0; j < 300000; j++)
				buf_putc(want, 'L');
			buf_printf(in, "\",\"x\":[%d,{\"k\":%d.50}]}", r, r);
		} else {
			buf_printf(in, "{\"id\":%zu,\"s\":\"q\\\"}{\\\\\","
			    "\"x\":[%d,{\"k\":%d.50}]}", i, r, r);
			buf_puts(want, "q\"}{\\");
		}
		buf_printf(want, "|x=R[%d,{\"k\":%d.50}]\n", r, r);
	}
	buf_puts(in, "\n]\n");
}

static void
test_arr_big(void **state)
{
	struct buf in, want;
	struct jsonlin_opts o;
	struct collect c;
	struct xerr err;
	char path[128];
	int fds[2], status;
	size_t off, n;
	pid_t pid;

	(void)state;
	buf_init(&in, 0);
	buf_init(&want, 0);
	gen_big_arr(&in, &want);
	assert_true(in.len > 4 * 256 * 1024);

	snprintf(path, sizeof(path), "%s/big.json", tmpdir);
	write_file(path, in.data, in.len);
	collect_init(&c);
	if (jsonarr_read_file(path, NULL, collect_rec, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.calls, 40000);
	assert_string_equal(c.out.data, want.data);
	buf_release(&c.out);

	/* The long element passes max_line while it is gathered. */
	memset(&o, 0, sizeof(o));
	o.max_line = 290000;
	collect_init(&c);
	assert_int_equal(jsonarr_read_file(path, &o, collect_rec, &c, &err),
	    -1);
	assert_non_null(strstr(err.msg,
	    ": array element longer than 290000 bytes"));
	assert_true(c.calls > 0);
	buf_release(&c.out);
	unlink(path);

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		for (off = 0; off < in.len; off += n) {
			n = off < 3 ? 1 : 1 + (off * 7919) % 70000;
			if (n > in.len - off)
				n = in.len - off;
			if (write(fds[1], in.data + off, n) != (ssize_t)n)
				_exit(1);
			if (off < 3)
				usleep(10000);
		}
		_exit(0);
	}
	close(fds[1]);
	collect_init(&c);
	if (jsonarr_read_fd(fds[0], "pipe", NULL, collect_rec, &c, &err) != 0)
		fail_msg("%s", err.msg);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(c.out.data, want.data);
	buf_release(&c.out);
	buf_release(&in);
	buf_release(&want);
}

/* A CP949 or EUC-KR file is decoded: records are UTF-8, lines right. */
static void
test_encoding(void **state)
{
	/* {"이름":"홍길동","n":1} / blank line / {"이름":"뷁","n":2} */
	static const char cp949[] = "{\"\xc0\xcc\xb8\xa7\":\"\xc8\xab\xb1\xe6"
	    "\xb5\xbf\",\"n\":1}\r\n\n{\"\xc0\xcc\xb8\xa7\":\"\x94\xee\","
	    "\"n\":2}\n";
	static const char arr[] = "[\n{\"\xc0\xcc\xb8\xa7\":\"\xb0\xa1\"},\n"
	    "{\"\xc0\xcc\xb8\xa7\":\"\xb3\xaa\"}\n]\n";
	struct jsonlin_opts o;
	struct collect c;
	struct xerr err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.encoding = TEXTENC_CP949;
	collect_init(&c);
	assert_int_equal(run_json(cp949, strlen(cp949), &o, &c, &err), 0);
	assert_string_equal(c.out.data, "1:1:이름=T홍길동|n=#1\n"
	    "3:2:이름=T뷁|n=#2\n");
	buf_release(&c.out);

	collect_init(&c);
	assert_int_equal(run_arr(arr, strlen(arr), &o, &c, &err), 0);
	assert_string_equal(c.out.data, "2:1:이름=T가\n3:2:이름=T나\n");
	buf_release(&c.out);

	/* Not valid EUC-KR: the file and the byte's offset are named. */
	o.encoding = TEXTENC_EUCKR;
	collect_init(&c);
	assert_int_equal(run_json("{\"a\":1}\n{\"a\":\"\xff\"}\n", 18, &o, &c,
	    &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "'t.jsonl': byte 15 is not valid EUC-KR");
	buf_release(&c.out);

	/* Without an encoding those bytes are not UTF-8: refused as before. */
	o.encoding = TEXTENC_UTF8;
	collect_init(&c);
	assert_int_equal(run_json(cp949, strlen(cp949), &o, &c, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	buf_release(&c.out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_projection),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_arr_table),
		cmocka_unit_test(test_arr_deep),
		cmocka_unit_test(test_arr_projection),
		cmocka_unit_test(test_arr_callback_and_open),
		cmocka_unit_test(test_arr_big),
		cmocka_unit_test(test_encoding),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
