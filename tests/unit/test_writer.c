#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "writer.h"

#define MAXF 8

struct tsink {
	struct buf b;
	int writes;
	int fail_at;	/* fail the Nth write (1-based); 0: never */
};

static int
tsink_write(void *ctx, const void *p, size_t n, struct xerr *err)
{
	struct tsink *t = ctx;

	if (++t->writes == t->fail_at)
		return xerr_set(err, XERR_TEMP, 0, "cannot write 'out.tmp'");
	assert_true(n > 0);
	assert_int_equal(buf_append(&t->b, p, n), 0);
	return 0;
}

/* A cell spec: NULL is VAL_NULL; a leading "#" number, "?" bool, "{" raw. */
struct trow {
	const char *v[MAXF];
};

static void
fill(struct value *vals, size_t n, const char *const *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == NULL) {
			vals[i].ptr = "";
			vals[i].kind = VAL_NULL;
		} else if (s[i][0] == '#') {
			vals[i].ptr = s[i] + 1;
			vals[i].kind = VAL_NUMBER;
		} else if (s[i][0] == '?') {
			vals[i].ptr = s[i] + 1;
			vals[i].kind = VAL_BOOL;
		} else if (s[i][0] == '{' || s[i][0] == '[') {
			vals[i].ptr = s[i];
			vals[i].kind = VAL_RAW;
		} else {
			vals[i].ptr = s[i];
			vals[i].kind = VAL_TEXT;
		}
		vals[i].len = strlen(vals[i].ptr);
	}
}

/*
 * Write rows (ncols columns; names NULL: writer_columns() not called)
 * and compare the whole output.  Returns the output for further checks.
 */
static void
check(const struct writer_opts *o, const char *const *names, size_t ncols,
    const struct trow *rows, size_t nrows, const char *want)
{
	struct tsink t = { .fail_at = 0 };
	struct sink s = { tsink_write, &t };
	struct value vals[MAXF];
	struct record rec;
	struct xerr err = { 0 };
	struct writer *w;
	size_t i;

	buf_init(&t.b, 0);
	assert_non_null(w = writer_new(o, &s));
	if (names != NULL)
		assert_int_equal(writer_columns(w, names, ncols, &err), 0);
	memset(&rec, 0, sizeof(rec));
	rec.n = ncols;
	rec.vals = vals;
	rec.names = names;
	rec.file = "in.csv";
	for (i = 0; i < nrows; i++) {
		fill(vals, ncols, rows[i].v);
		rec.line = i + 2;
		if (writer_row(w, &rec, &err) != 0)
			fail_msg("row %zu: %s", i, err.msg);
	}
	if (writer_finish(w, &err) != 0)
		fail_msg("finish: %s", err.msg);
	assert_int_equal(writer_rows(w), nrows);
	assert_int_equal(t.b.len, strlen(want));
	assert_memory_equal(t.b.len ? t.b.data : "", want, strlen(want));
	/* Everything arrived in one write: the writer buffers. */
	assert_int_equal(t.writes, t.b.len > 0 ? 1 : 0);
	writer_free(w);
	buf_release(&t.b);
}

static const char *const cols3[] = { "id", "name", "amount" };

static const struct trow rows3[] = {
	{ { "#1", "plain", "#12.50" } },
	{ { "#2", "a,b", "#-3" } },
	{ { "#3", "say \"hi\"", NULL } },
	{ { "#4", "two\nlines", "#0" } },
	{ { "#5", "cr\rhere", "" } },
	{ { "#6", "semi;colon\ttab", "?true" } },
};

static void
test_csv(void **state)
{
	struct writer_opts o = { .format = FMT_CSV, .header = 1 };

	(void)state;
	check(&o, cols3, 3, rows3, 6,
	    "id,name,amount\n"
	    "1,plain,12.50\n"
	    "2,\"a,b\",-3\n"
	    "3,\"say \"\"hi\"\"\",\n"
	    "4,\"two\nlines\",0\n"
	    "5,\"cr\rhere\",\n"
	    "6,semi;colon\ttab,true\n");

	o.crlf = 1;
	o.header = 0;
	check(&o, cols3, 3, rows3, 2,
	    "1,plain,12.50\r\n"
	    "2,\"a,b\",-3\r\n");
}

static void
test_csv_delimiters(void **state)
{
	struct writer_opts o = { .format = FMT_CSV, .header = 1, .delim = ';' };
	static const char *const names[] = { "a;b", "c" };
	static const struct trow rows[] = {
		{ { "x,y", "semi;colon" } },
		{ { "tab\there", "\"" } },
	};

	(void)state;
	check(&o, names, 2, rows, 2,
	    "\"a;b\";c\n"
	    "x,y;\"semi;colon\"\n"
	    "tab\there;\"\"\"\"\n");
	o.delim = '\t';
	o.crlf = 1;
	check(&o, names, 2, rows, 2,
	    "a;b\tc\r\n"
	    "x,y\tsemi;colon\r\n"
	    "\"tab\there\"\t\"\"\"\"\r\n");
}

static void
test_csv_empty(void **state)
{
	struct writer_opts o = { .format = FMT_CSV, .header = 1,
	    .empty = EMPTY_HEADER };

	(void)state;
	check(&o, cols3, 3, NULL, 0, "id,name,amount\n");
	o.crlf = 1;
	check(&o, cols3, 3, NULL, 0, "id,name,amount\r\n");
	/* Names unknown: no header can be written. */
	check(&o, NULL, 0, NULL, 0, "");
	o.header = 0;
	check(&o, cols3, 3, NULL, 0, "");
	o.header = 1;
	o.empty = EMPTY_ZERO;
	check(&o, cols3, 3, NULL, 0, "");
	/* With rows, EMPTY_ZERO changes nothing. */
	o.crlf = 0;
	check(&o, cols3, 3, rows3, 1, "id,name,amount\n1,plain,12.50\n");
}

static void
test_csv_single_column(void **state)
{
	struct writer_opts o = { .format = FMT_CSV, .header = 1 };
	static const char *const names[] = { "note" };
	static const struct trow rows[] = {
		{ { "x" } }, { { "" } }, { { NULL } }, { { "y" } },
	};

	(void)state;
	/* A lone empty cell is quoted so the row is not a blank line. */
	check(&o, names, 1, rows, 4, "note\nx\n\"\"\n\"\"\ny\n");
}

static void
test_formula_guard(void **state)
{
	static const struct {
		const char *in;
		const char *guarded;	/* with formula_guard = yes */
	} t[] = {
		{ "=1+2", "'=1+2" },
		{ "+1 (555)", "'+1 (555)" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "-2+3", "'-2+3" },
		{ "-", "'-" },
		{ "+", "'+" },
		{ "\tx", "'\tx" },
		{ "\rx", "\"'\rx\"" },
		{ "=a,b", "\"'=a,b\"" },
		{ "=\"x\"", "\"'=\"\"x\"\"\"" },
		{ "=HYPERLINK(\"http://e.x\")", "\"'=HYPERLINK(\"\"http://e.x\"\")\"" },
		/* Plain numbers stay numbers. */
		{ "-12.50", "-12.50" },
		{ "+5", "+5" },
		{ "-0", "-0" },
		{ "-.5", "-.5" },
		{ "-1e3", "-1e3" },
		/* Only the first character matters. */
		{ "a=1", "a=1" },
		{ " =1", " =1" },
		{ "'=1", "'=1" },
		{ "", "\"\"" },
	};
	struct writer_opts o = { .format = FMT_CSV };
	static const char *const names[] = { "c" };
	struct trow row;
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		row.v[0] = t[i].in;
		o.formula_guard = 1;
		snprintf(want, sizeof(want), "%s\n", t[i].guarded);
		check(&o, names, 1, &row, 1, want);
		/* Without the guard the cell is only quoted as needed. */
		o.formula_guard = 0;
		if (t[i].in[0] == '\r')
			snprintf(want, sizeof(want), "\"%s\"\n", t[i].in);
		else if (strcmp(t[i].in, "=a,b") == 0)
			snprintf(want, sizeof(want), "\"=a,b\"\n");
		else if (strcmp(t[i].in, "=\"x\"") == 0)
			snprintf(want, sizeof(want), "\"=\"\"x\"\"\"\n");
		else if (strncmp(t[i].in, "=HYP", 4) == 0)
			snprintf(want, sizeof(want),
			    "\"=HYPERLINK(\"\"http://e.x\"\")\"\n");
		else
			snprintf(want, sizeof(want), "%s\n",
			    t[i].in[0] ? t[i].in : "\"\"");
		check(&o, names, 1, &row, 1, want);
	}
}

static void
test_formula_guard_header(void **state)
{
	struct writer_opts o = { .format = FMT_CSV, .header = 1,
	    .formula_guard = 1, .empty = EMPTY_HEADER };
	static const char *const names[] = { "=cmd", "-x", "ok", "@a;b" };

	(void)state;
	check(&o, names, 4, NULL, 0, "'=cmd,'-x,ok,'@a;b\n");
	o.delim = ';';
	check(&o, names, 4, NULL, 0, "'=cmd;'-x;ok;\"'@a;b\"\n");
}

static void
test_json(void **state)
{
	struct writer_opts o = { .format = FMT_JSON };

	(void)state;
	check(&o, cols3, 3, rows3, 3,
	    "[\n"
	    "{\"id\":1,\"name\":\"plain\",\"amount\":12.50},\n"
	    "{\"id\":2,\"name\":\"a,b\",\"amount\":-3},\n"
	    "{\"id\":3,\"name\":\"say \\\"hi\\\"\",\"amount\":null}\n"
	    "]\n");
	check(&o, cols3, 3, rows3, 1,
	    "[\n{\"id\":1,\"name\":\"plain\",\"amount\":12.50}\n]\n");
	check(&o, cols3, 3, NULL, 0, "[]\n");
	check(&o, NULL, 0, NULL, 0, "[]\n");

	o.format = FMT_JSONL;
	check(&o, cols3, 3, rows3 + 3, 3,
	    "{\"id\":4,\"name\":\"two\\nlines\",\"amount\":0}\n"
	    "{\"id\":5,\"name\":\"cr\\rhere\",\"amount\":\"\"}\n"
	    "{\"id\":6,\"name\":\"semi;colon\\ttab\",\"amount\":true}\n");
	check(&o, cols3, 3, NULL, 0, "");
	check(&o, NULL, 0, NULL, 0, "");
}

static void
test_json_kinds(void **state)
{
	static const struct {
		const char *cell;	/* as in fill() */
		const char *want;
	} t[] = {
		{ NULL, "null" },
		{ "#0", "0" },
		{ "#-0.5", "-0.5" },
		{ "#1e3", "1e3" },
		{ "#1.5E-2", "1.5E-2" },
		{ "#-12.50", "-12.50" },
		/* Not JSON number syntax: kept exactly, as a string. */
		{ "#.5", "\".5\"" },
		{ "#5.", "\"5.\"" },
		{ "#+1", "\"+1\"" },
		{ "#007", "\"007\"" },
		{ "#Inf", "\"Inf\"" },
		{ "#-", "\"-\"" },
		{ "#", "\"\"" },
		{ "#1e", "\"1e\"" },
		{ "?true", "true" },
		{ "?false", "false" },
		{ "?yes", "\"yes\"" },
		{ "{\"a\":[1,2]}", "{\"a\":[1,2]}" },
		{ "[]", "[]" },
		{ "12", "\"12\"" },
		{ "", "\"\"" },
		{ "null", "\"null\"" },
		{ "q\"b\\s/", "\"q\\\"b\\\\s/\"" },
		{ "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e",
		    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e\"" },
	};
	struct writer_opts o = { .format = FMT_JSONL };
	static const char *const names[] = { "v" };
	struct trow row;
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		row.v[0] = t[i].cell;
		snprintf(want, sizeof(want), "{\"v\":%s}\n", t[i].want);
		check(&o, names, 1, &row, 1, want);
	}
}

/* Values with NUL bytes inside: CSV passes them, JSON escapes them. */
static void
test_embedded_nul(void **state)
{
	struct tsink t = { .fail_at = 0 };
	struct sink s = { tsink_write, &t };
	struct writer_opts o = { .format = FMT_JSONL };
	static const char *const names[] = { "v" };
	struct value v = { "a\0b", 3, VAL_TEXT };
	struct record rec = { .n = 1, .vals = &v, .names = names };
	struct xerr err = { 0 };
	struct writer *w;

	(void)state;
	buf_init(&t.b, 0);
	assert_non_null(w = writer_new(&o, &s));
	assert_int_equal(writer_columns(w, names, 1, &err), 0);
	assert_int_equal(writer_row(w, &rec, &err), 0);
	assert_int_equal(writer_finish(w, &err), 0);
	assert_string_equal(t.b.data, "{\"v\":\"a\\u0000b\"}\n");
	writer_free(w);

	/* CSV passes the bytes; a leading NUL is not a formula. */
	o.format = FMT_CSV;
	o.formula_guard = 1;
	v.ptr = "\0=x";
	buf_reset(&t.b);
	assert_non_null(w = writer_new(&o, &s));
	assert_int_equal(writer_columns(w, names, 1, &err), 0);
	assert_int_equal(writer_row(w, &rec, &err), 0);
	assert_int_equal(writer_finish(w, &err), 0);
	assert_int_equal(t.b.len, 4);
	assert_memory_equal(t.b.data, "\0=x\n", 4);
	writer_free(w);
	buf_release(&t.b);
}

static void
test_json_column_names(void **state)
{
	struct writer_opts o = { .format = FMT_JSON };
	static const char *const names[] = { "a\"b", "\xc3\xa9\t" };
	static const struct trow rows[] = { { { "#1", "#2" } } };

	(void)state;
	check(&o, names, 2, rows, 1,
	    "[\n{\"a\\\"b\":1,\"\xc3\xa9\\t\":2}\n]\n");
}

static void
test_utf8(void **state)
{
	static const struct {
		const char *s;
		int ok;
	} t[] = {
		{ "\xc2\x80", 1 },			/* U+0080 */
		{ "\xdf\xbf", 1 },			/* U+07FF */
		{ "\xe0\xa0\x80", 1 },			/* U+0800 */
		{ "\xed\x9f\xbf", 1 },			/* U+D7FF */
		{ "\xee\x80\x80", 1 },			/* U+E000 */
		{ "\xef\xbf\xbf", 1 },			/* U+FFFF */
		{ "\xf0\x90\x80\x80", 1 },		/* U+10000 */
		{ "\xf4\x8f\xbf\xbf", 1 },		/* U+10FFFF */
		{ "\xef\xbb\xbfx", 1 },			/* a BOM is text */
		{ "\x80", 0 },				/* lone continuation */
		{ "a\xbf", 0 },
		{ "\xc0\xaf", 0 },			/* overlong '/' */
		{ "\xc1\xbf", 0 },
		{ "\xe0\x80\xaf", 0 },			/* overlong */
		{ "\xe0\x9f\xbf", 0 },
		{ "\xed\xa0\x80", 0 },			/* U+D800 */
		{ "\xed\xbf\xbf", 0 },			/* U+DFFF */
		{ "\xf0\x80\x80\xaf", 0 },		/* overlong */
		{ "\xf0\x8f\xbf\xbf", 0 },
		{ "\xf4\x90\x80\x80", 0 },		/* U+110000 */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xff", 0 },
		{ "\xfe", 0 },
		{ "\xc3", 0 },				/* truncated */
		{ "\xe2\x82", 0 },
		{ "\xf0\x9d\x84", 0 },
		{ "\xc3x", 0 },
		{ "\xe2\x82x", 0 },
		{ "\xc3\xa9\xa9", 0 },			/* extra continuation */
	};
	struct writer_opts o = { .format = FMT_JSON };
	static const char *const names[] = { "id", "name" };
	struct tsink ts = { .fail_at = 0 };
	struct sink s = { tsink_write, &ts };
	struct value vals[2];
	struct record rec;
	struct xerr err;
	struct writer *w;
	const char *cells[2];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&ts.b, 0);
		ts.writes = 0;
		assert_non_null(w = writer_new(&o, &s));
		assert_int_equal(writer_columns(w, names, 2, &err), 0);
		cells[0] = "#1";
		cells[1] = t[i].s;
		fill(vals, 2, cells);
		memset(&rec, 0, sizeof(rec));
		rec.n = 2;
		rec.vals = vals;
		rec.file = "sales.csv";
		rec.line = 3;
		xerr_clear(&err);
		r = writer_row(w, &rec, &err);
		if (t[i].ok) {
			if (r != 0)
				fail_msg("case %zu rejected: %s", i, err.msg);
			assert_int_equal(writer_finish(w, &err), 0);
			assert_non_null(strstr(ts.b.data, t[i].s));
		} else {
			if (r != -1)
				fail_msg("case %zu accepted", i);
			assert_int_equal(err.cls, XERR_DATA);
			assert_string_equal(err.msg,
			    "sales.csv:3: value in 'name' is not valid UTF-8");
			/* The writer is spent after an error. */
			assert_int_equal(writer_finish(w, &err), -1);
		}
		writer_free(w);
		buf_release(&ts.b);
	}

	/* A column name must be valid UTF-8 too. */
	{
		static const char *const bad[] = { "ok", "n\xff" };

		assert_non_null(w = writer_new(&o, &s));
		assert_int_equal(writer_columns(w, bad, 2, &err), -1);
		assert_string_equal(err.msg,
		    "column 2: name is not valid UTF-8");
		writer_free(w);
	}
	/* CSV is bytes: no UTF-8 check there. */
	{
		static const char *const names1[] = { "v" };
		static const struct trow row = { { "\xff\xc0" } };
		struct writer_opts c = { .format = FMT_CSV };

		check(&c, names1, 1, &row, 1, "\xff\xc0\n");
	}
}

static void
test_buffering_and_big_values(void **state)
{
	struct writer_opts o = { .format = FMT_CSV, .header = 1 };
	static const char *const names[] = { "n", "text" };
	struct tsink t = { .fail_at = 0 };
	struct sink s = { tsink_write, &t };
	struct value vals[2];
	struct record rec = { .n = 2, .vals = vals, .names = names };
	struct xerr err = { 0 };
	struct writer *w;
	char num[16], *big;
	size_t i, bigsz = 200000, want;

	(void)state;
	buf_init(&t.b, 0);
	assert_non_null(big = malloc(bigsz + 1));
	memset(big, 'x', bigsz);
	big[bigsz] = '\0';
	big[100] = '"';		/* forces quoting and one doubled quote */
	assert_non_null(w = writer_new(&o, &s));
	assert_int_equal(writer_columns(w, names, 2, &err), 0);
	want = strlen("n,text\n");
	for (i = 0; i < 100000; i++) {
		vals[0].len = (size_t)snprintf(num, sizeof(num), "%zu", i);
		vals[0].ptr = num;
		vals[0].kind = VAL_NUMBER;
		if (i == 5000) {
			vals[1].ptr = big;
			vals[1].len = bigsz;
			want += vals[0].len + 1 + bigsz + 3 + 1;
		} else {
			vals[1].ptr = "abc";
			vals[1].len = 3;
			want += vals[0].len + 1 + 3 + 1;
		}
		vals[1].kind = VAL_TEXT;
		assert_int_equal(writer_row(w, &rec, &err), 0);
	}
	assert_int_equal(writer_finish(w, &err), 0);
	assert_int_equal(t.b.len, want);
	/* About one write per 64 KiB, not one per row. */
	assert_true(t.writes <= (int)(want / (64 * 1024)) + 4);
	assert_memory_equal(t.b.data, "n,text\n0,abc\n1,abc\n", 19);
	assert_non_null(strstr(t.b.data, "5000,\"xxx"));
	assert_non_null(strstr(t.b.data, "x\"\"x"));
	assert_non_null(strstr(t.b.data, "xxx\"\n5001,abc\n"));
	assert_int_equal(writer_rows(w), 100000);
	writer_free(w);
	free(big);
	buf_release(&t.b);
}

static void
test_errors(void **state)
{
	struct writer_opts o = { .format = FMT_CSV, .header = 1 };
	struct tsink t = { .fail_at = 1 };
	struct sink s = { tsink_write, &t };
	struct value vals[2] = { { "1", 1, VAL_TEXT }, { "2", 1, VAL_TEXT } };
	struct record rec = { .n = 2, .vals = vals, .file = "in.csv",
	    .line = 9 };
	struct xerr err = { 0 };
	struct writer *w;

	(void)state;
	buf_init(&t.b, 0);
	/* A sink error surfaces from finish, which flushes. */
	assert_non_null(w = writer_new(&o, &s));
	assert_int_equal(writer_columns(w, cols3, 2, &err), 0);
	assert_int_equal(writer_row(w, &rec, &err), 0);
	assert_int_equal(writer_finish(w, &err), -1);
	assert_int_equal(err.cls, XERR_TEMP);
	assert_string_equal(err.msg, "cannot write 'out.tmp'");
	writer_free(w);

	/* Wrong width. */
	assert_non_null(w = writer_new(&o, &s));
	assert_int_equal(writer_columns(w, cols3, 3, &err), 0);
	assert_int_equal(writer_row(w, &rec, &err), -1);
	assert_string_equal(err.msg,
	    "in.csv:9: record has 2 fields, the output has 3 columns");
	writer_free(w);

	/* Misuse is refused, not undefined. */
	assert_non_null(w = writer_new(&o, &s));
	assert_int_equal(writer_row(w, &rec, &err), -1);
	assert_int_equal(writer_columns(w, cols3, 2, &err), 0);
	assert_int_equal(writer_columns(w, cols3, 2, &err), -1);
	writer_free(w);
	writer_free(NULL);
	buf_release(&t.b);
}

/* Write rows of text; 0, or -1 with err (the writer freed either way). */
static int
write_text(const struct writer_opts *o, const char *const *names,
    size_t ncols, const struct trow *rows, size_t nrows, struct buf *out,
    unsigned long *replaced, struct xerr *err)
{
	struct tsink t = { .fail_at = 0 };
	struct sink s = { tsink_write, &t };
	struct value vals[MAXF];
	struct record rec;
	struct writer *w;
	size_t i;
	int rc = -1;

	buf_init(&t.b, 0);
	assert_non_null(w = writer_new(o, &s));
	if (writer_columns(w, names, ncols, err) == -1)
		goto out;
	memset(&rec, 0, sizeof(rec));
	rec.n = ncols;
	rec.vals = vals;
	rec.names = names;
	rec.file = "in.csv";
	for (i = 0; i < nrows; i++) {
		fill(vals, ncols, rows[i].v);
		rec.line = i + 2;
		if (writer_row(w, &rec, err) == -1)
			goto out;
	}
	if (writer_finish(w, err) == -1)
		goto out;
	if (replaced != NULL)
		*replaced = writer_replaced(w);
	rc = 0;
out:
	writer_free(w);
	buf_puts(&t.b, "");
	*out = t.b;
	return rc;
}

static const char *const kcols[] = { "이름", "금액" };

/* CSV and JSON Lines in CP949: every row, and the header, encoded. */
static void
test_encoding(void **state)
{
	static const struct trow rows[] = {
		{ { "홍길동", "#100" } },
		{ { "뷁, \"q\"", NULL } },
	};
	struct writer_opts o = { .format = FMT_CSV, .header = 1, .crlf = 1,
	    .encoding = TEXTENC_CP949 };
	struct xerr err = { 0 };
	unsigned long replaced = 9;
	struct buf out;

	(void)state;
	assert_int_equal(write_text(&o, kcols, 2, rows, 2, &out, &replaced,
	    &err), 0);
	/* No byte-order mark: the header's first byte comes first. */
	assert_string_equal(out.data, "\xc0\xcc\xb8\xa7,\xb1\xdd\xbe\xd7\r\n"
	    "\xc8\xab\xb1\xe6\xb5\xbf,100\r\n\"\x94\xee, \"\"q\"\"\",\r\n");
	assert_int_equal(replaced, 0);
	buf_release(&out);

	/* An empty CSV still gets its header, encoded. */
	assert_int_equal(write_text(&o, kcols, 2, rows, 0, &out, NULL, &err),
	    0);
	assert_string_equal(out.data, "\xc0\xcc\xb8\xa7,\xb1\xdd\xbe\xd7\r\n");
	buf_release(&out);

	o.format = FMT_JSONL;
	assert_int_equal(write_text(&o, kcols, 2, rows, 2, &out, NULL, &err),
	    0);
	assert_string_equal(out.data, "{\"\xc0\xcc\xb8\xa7\":\"\xc8\xab\xb1\xe6"
	    "\xb5\xbf\",\"\xb1\xdd\xbe\xd7\":100}\n{\"\xc0\xcc\xb8\xa7\":"
	    "\"\x94\xee, \\\"q\\\"\",\"\xb1\xdd\xbe\xd7\":null}\n");
	buf_release(&out);

	/* JSON is UTF-8 only. */
	o.format = FMT_JSON;
	assert_int_equal(write_text(&o, kcols, 2, rows, 2, &out, NULL, &err),
	    -1);
	assert_int_equal(err.cls, XERR_CONFIG);
	assert_string_equal(err.msg, "format json is always UTF-8, not CP949");
	buf_release(&out);
}

/* A character the encoding lacks: the record and field, or '?'. */
static void
test_unmappable(void **state)
{
	static const struct trow rows[] = {
		{ { "홍길동", "#100" } },
		{ { "김뷁", "뷁뷁" } },
	};
	static const char *const badcols[] = { "이름", "뷁" };
	struct writer_opts o = { .format = FMT_CSV, .header = 1,
	    .encoding = TEXTENC_EUCKR };
	struct xerr err = { 0 };
	unsigned long replaced = 0;
	struct buf out;

	(void)state;
	assert_int_equal(write_text(&o, kcols, 2, rows, 2, &out, NULL, &err),
	    -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "record 2, field '이름': '뷁' (U+BDC1) "
	    "cannot be written in EUC-KR");
	buf_release(&out);

	o.format = FMT_JSONL;
	assert_int_equal(write_text(&o, kcols, 2, rows, 2, &out, NULL, &err),
	    -1);
	assert_string_equal(err.msg, "record 2, field '이름': '뷁' (U+BDC1) "
	    "cannot be written in EUC-KR");
	buf_release(&out);

	/* In a name: the JSON key of every row, or the CSV header. */
	assert_int_equal(write_text(&o, badcols, 2, rows, 1, &out, NULL,
	    &err), -1);
	assert_string_equal(err.msg, "record 1, the name of field 2: '뷁' "
	    "(U+BDC1) cannot be written in EUC-KR");
	buf_release(&out);
	o.format = FMT_CSV;
	assert_int_equal(write_text(&o, badcols, 2, rows, 0, &out, NULL,
	    &err), -1);
	assert_string_equal(err.msg, "header, column 2: '뷁' (U+BDC1) cannot "
	    "be written in EUC-KR");
	buf_release(&out);

	/* Text that is not UTF-8 is named the same way. */
	{
		static const struct trow bad[] = { { { "ok", "x\xff" } } };

		assert_int_equal(write_text(&o, kcols, 2, bad, 1, &out, NULL,
		    &err), -1);
		assert_string_equal(err.msg, "record 1, field '금액': byte 2 "
		    "is not valid UTF-8");
		buf_release(&out);
	}

	/* replace: '?' for each, counted. */
	o.replace = 1;
	assert_int_equal(write_text(&o, kcols, 2, rows, 2, &out, &replaced,
	    &err), 0);
	assert_string_equal(out.data, "\xc0\xcc\xb8\xa7,\xb1\xdd\xbe\xd7\n"
	    "\xc8\xab\xb1\xe6\xb5\xbf,100\n\xb1\xe8?,??\n");
	assert_int_equal(replaced, 3);
	buf_release(&out);
}

/* Values longer than the buffer are encoded whole, never cut. */
static void
test_encoding_big(void **state)
{
	struct writer_opts o = { .format = FMT_CSV,
	    .encoding = TEXTENC_CP949 };
	static const char *const names[] = { "n", "text" };
	struct tsink t = { .fail_at = 0 };
	struct sink s = { tsink_write, &t };
	struct value vals[2];
	struct record rec = { .n = 2, .vals = vals, .names = names };
	struct xerr err = { 0 };
	struct writer *w;
	size_t i, n = 70001;
	char *big;

	(void)state;
	buf_init(&t.b, 0);
	/* 가 (3 bytes of UTF-8, 2 of CP949) 70001 times: over 64 KiB both
	 * ways, and a buffer of UTF-8 ends inside no character. */
	assert_non_null(big = malloc(n * 3 + 1));
	for (i = 0; i < n; i++)
		memcpy(big + i * 3, "가", 3);
	big[n * 3] = '\0';
	assert_non_null(w = writer_new(&o, &s));
	assert_int_equal(writer_columns(w, names, 2, &err), 0);
	for (i = 0; i < 3; i++) {
		vals[0].ptr = "1";
		vals[0].len = 1;
		vals[0].kind = VAL_NUMBER;
		vals[1].ptr = big;
		vals[1].len = n * 3;
		vals[1].kind = VAL_TEXT;
		assert_int_equal(writer_row(w, &rec, &err), 0);
	}
	assert_int_equal(writer_finish(w, &err), 0);
	assert_int_equal(t.b.len, 3 * (2 + n * 2 + 1));
	for (i = 0; i < 3; i++) {
		assert_memory_equal(t.b.data + i * (n * 2 + 3), "1,", 2);
		assert_memory_equal(t.b.data + i * (n * 2 + 3) + 2 + n * 2 - 2,
		    "\xb0\xa1\n", 3);
	}
	writer_free(w);
	free(big);
	buf_release(&t.b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_delimiters),
		cmocka_unit_test(test_csv_empty),
		cmocka_unit_test(test_csv_single_column),
		cmocka_unit_test(test_formula_guard),
		cmocka_unit_test(test_formula_guard_header),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_kinds),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_json_column_names),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_buffering_and_big_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_unmappable),
		cmocka_unit_test(test_encoding_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
