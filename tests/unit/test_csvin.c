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

#include <json-c/json.h>

#include "buf.h"
#include "csvin.h"
#include "record.h"
#include "xerr.h"

static char tmpdir[64];

/* What the quote error adds after its first words. */
#define LENIENT_HINT	" (quotes = lenient in the job takes such quotes as text)"

/*
 * Records become text, one per line: "LINE:RECNO:name=value|name=value",
 * with \n \r \t and \\ escaped, so a table can say what it wants.
 */
struct collect {
	struct buf out;
	struct buf hdr;			/* on_header names, comma-separated */
	int headers;			/* on_header calls */
	int header_fail;		/* on_header fails */
	unsigned long stop_at;		/* the record callback fails here */
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
		case '\\':	buf_puts(b, "\\\\"); break;
		default:	buf_putc(b, s[i]); break;
		}
	}
}

static int
collect_rec(void *ctx, const struct record *rec, struct xerr *err)
{
	struct collect *c = ctx;
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
		assert_int_equal(rec->vals[i].kind, VAL_TEXT);
		assert_int_equal(rec->vals[i].ptr[rec->vals[i].len], '\0');
		if (i > 0)
			buf_putc(&c->out, '|');
		buf_printf(&c->out, "%s=", rec->names[i]);
		put_escaped(&c->out, rec->vals[i].ptr, rec->vals[i].len);
	}
	buf_putc(&c->out, '\n');
	return 0;
}

static int
collect_header(void *ctx, const char *file, const char *const *names,
    size_t n, struct xerr *err)
{
	struct collect *c = ctx;
	size_t i;

	assert_non_null(file);
	/* Called before any record. */
	assert_int_equal(c->calls, 0);
	c->headers++;
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&c->hdr, ',');
		buf_puts(&c->hdr, names[i]);
	}
	if (c->header_fail)
		return xerr_set(err, XERR_CONFIG, 0, "columns differ");
	return 0;
}

static void
collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->out, 0);
	buf_init(&c->hdr, 0);
	buf_puts(&c->out, "");
	buf_puts(&c->hdr, "");
}

static void
collect_release(struct collect *c)
{
	buf_release(&c->out);
	buf_release(&c->hdr);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Read data (written to a temporary file) through csvin_read_fd. */
static int
run_csv(const char *data, size_t len, const struct csvin_opts *o,
    struct collect *c, struct xerr *err)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	write_file(path, data, len);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	xerr_clear(err);
	rc = csvin_read_fd(fd, "t.csv", o, collect_rec, c, err);
	close(fd);
	unlink(path);
	return rc;
}

static int
run_str(const char *data, const struct csvin_opts *o, struct collect *c,
    struct xerr *err)
{
	return run_csv(data, strlen(data), o, c, err);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_csvin.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	static const char *const left[] = { "t.csv", "big.csv", "bad.csv" };
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
		char delim;
		size_t max_field;
		const char *want;	/* records delivered */
		const char *err;	/* NULL: success */
	} t[] = {
		{ "simple", "a,b\n1,2\n3,4\n", 0, 0, 0,
		    "2:1:a=1|b=2\n3:2:a=3|b=4\n", NULL },
		{ "no final newline", "a,b\n1,2\n3,4", 0, 0, 0,
		    "2:1:a=1|b=2\n3:2:a=3|b=4\n", NULL },
		{ "no final newline, quoted", "a,b\n1,\"2\"", 0, 0, 0,
		    "2:1:a=1|b=2\n", NULL },
		{ "crlf", "a,b\r\n1,2\r\n3,4\r\n", 0, 0, 0,
		    "2:1:a=1|b=2\n3:2:a=3|b=4\n", NULL },
		{ "bom", "\xef\xbb\xbf" "a,b\r\n1,2\r\n", 0, 0, 0,
		    "2:1:a=1|b=2\n", NULL },
		{ "bom only at the start", "a,b\n\xef\xbb\xbf" "1,2\n", 0, 0, 0,
		    "2:1:a=\xef\xbb\xbf" "1|b=2\n", NULL },
		{ "blank lines", "\n\na,b\n\n1,2\r\n\r\n\n3,4\n\n", 0, 0, 0,
		    "5:1:a=1|b=2\n8:2:a=3|b=4\n", NULL },
		{ "delimiter and quotes in quotes",
		    "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", 0, 0, 0,
		    "2:1:a=x,y|b=say \"hi\"\n", NULL },
		{ "newline in quotes", "a,b\n\"1\n2\",3\n4,5\n", 0, 0, 0,
		    "2:1:a=1\\n2|b=3\n4:2:a=4|b=5\n", NULL },
		{ "crlf in quotes is kept", "a,b\r\n\"1\r\n\r\n2\",3\r\n4,5\r\n",
		    0, 0, 0, "2:1:a=1\\r\\n\\r\\n2|b=3\n5:2:a=4|b=5\n", NULL },
		{ "quoted newline first and last",
		    "a,b\n\"\nx\n\",\"\n\"\n5,6", 0, 0, 0,
		    "2:1:a=\\nx\\n|b=\\n\n6:2:a=5|b=6\n", NULL },
		{ "empty fields stay empty text", "a,b,c\n,\"\",x\n\"\",,\n", 0,
		    0, 0, "2:1:a=|b=|c=x\n3:2:a=|b=|c=\n", NULL },
		{ "blanks are kept", "a,b\n 1 ,\t2\t\n\"x\", y\n", 0, 0, 0,
		    "2:1:a= 1 |b=\\t2\\t\n3:2:a=x|b= y\n", NULL },
		{ "blanks before an opening quote", "a,b\nx y,  \"q\" \n", 0, 0, 0,
		    NULL, "t.csv:2: malformed field: quote inside an unquoted "
		    "field" LENIENT_HINT },
		{ "blank-only line is a field", "a\n  \n", 0, 0, 0,
		    "2:1:a=  \n", NULL },
		{ "semicolon", "a;b\n1,5;2\n", 0, ';', 0,
		    "2:1:a=1,5|b=2\n", NULL },
		{ "tab", "a\tb\n1 x\t 2 \n", 0, '\t', 0,
		    "2:1:a=1 x|b= 2 \n", NULL },
		{ "space", "a b\n1  2\n", 0, ' ', 0,
		    NULL, "t.csv:2: record has 3 fields, header has 2" },
		{ "cr alone ends a record on the same line",
		    "a,b\r1,2\r3,4\r", 0, 0, 0,
		    "1:1:a=1|b=2\n1:2:a=3|b=4\n", NULL },
		{ "utf-8 passes through", "a\n\xca\xa4\xef\xbf\xbd\n", 0, 0, 0,
		    "2:1:a=\xca\xa4\xef\xbf\xbd\n", NULL },
		{ "header only", "a,b\n", 0, 0, 0, "", NULL },
		{ "empty file", "", 0, 0, 0, "", NULL },
		{ "bom only", "\xef\xbb\xbf", 0, 0, 0, "", NULL },
		{ "field of max_field bytes", "a\nabc\n\"d\ne\"\n", 0, 0, 3,
		    "2:1:a=abc\n3:2:a=d\\ne\n", NULL },
		{ "field over max_field", "a\nabc\nabcd\n", 0, 0, 3,
		    "2:1:a=abc\n", "t.csv:3: field longer than 3 bytes" },
		{ "quoted field over max_field",
		    "a,b\n1,\"12\n34\n\n56\"\n", 0, 0, 4,
		    NULL, "t.csv:2: field longer than 4 bytes" },
		{ "too many fields", "a,b\n1,2\n1,2,3\n", 0, 0, 0,
		    "2:1:a=1|b=2\n",
		    "t.csv:3: record has 3 fields, header has 2" },
		{ "too few fields", "a,b\n1\n", 0, 0, 0,
		    NULL, "t.csv:2: record has 1 field, header has 2" },
		{ "ragged after quoted newlines and blank lines",
		    "a,b\n\"x\n\ny\",1\n\n\r\n\"p\nq\"\n", 0, 0, 0,
		    "2:1:a=x\\n\\ny|b=1\n",
		    "t.csv:7: record has 1 field, header has 2" },
		{ "ragged after blank lines before the header",
		    "\n\r\na\n1,2\n", 0, 0, 0,
		    NULL, "t.csv:4: record has 2 fields, header has 1" },
		{ "unterminated quote", "a,b\n1,2\n3,\"x\ny\n", 0, 0, 0,
		    "2:1:a=1|b=2\n", "t.csv:3: unterminated quoted field" },
		{ "quote inside an unquoted field", "a,b\n1,x\"y\n", 0, 0, 0,
		    NULL, "t.csv:2: malformed field: quote inside an unquoted "
		    "field" LENIENT_HINT },
		{ "text after a closing quote", "a,b\n1,\"x\ny\"z\n", 0, 0, 0,
		    NULL, "t.csv:3: malformed quoted field: text after the "
		    "closing quote" },
		{ "blank after a closing quote", "a,b\n1,\"x\" \n", 0, 0, 0,
		    NULL, "t.csv:2: malformed quoted field: text after the "
		    "closing quote" },
		{ "duplicate header", "a,b,a\n1,2,3\n", 0, 0, 0,
		    NULL, "t.csv:1: duplicate field name 'a' in header" },
		{ "empty header name", "\n\na,,c\n", 0, 0, 0,
		    NULL, "t.csv:3: header field 2 has no name" },
		{ "quoted empty header name", "\"\"\n1\n", 0, 0, 0,
		    NULL, "t.csv:1: header field 1 has no name" },
		{ "header over max_field", "abc,de\n", 0, 0, 5,
		    NULL, "t.csv:1: header longer than 5 bytes" },
		{ "nul byte", "a,b\n1,2\n3,x\0y\n", 14, 0, 0,
		    "2:1:a=1|b=2\n", "t.csv:3: NUL byte in field" },
		{ "nul byte in quotes", "a,b\n1,\"\n\0\"\n", 11, 0, 0,
		    NULL, "t.csv:3: NUL byte in field" },
	};
	struct csvin_opts o;
	struct collect c;
	struct xerr err;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.delim = t[i].delim;
		o.max_field = t[i].max_field;
		collect_init(&c);
		rc = run_csv(t[i].in, t[i].len ? t[i].len : strlen(t[i].in),
		    &o, &c, &err);
		if (t[i].err == NULL) {
			if (rc != 0)
				fail_msg("%s: unexpected error: %s", t[i].name,
				    err.msg);
		} else {
			if (rc != -1)
				fail_msg("%s: no error", t[i].name);
			if (strcmp(err.msg, t[i].err) != 0)
				fail_msg("%s: error '%s', want '%s'",
				    t[i].name, err.msg, t[i].err);
			assert_int_equal(err.cls, XERR_DATA);
		}
		if (strcmp(c.out.data, t[i].want ? t[i].want : "") != 0)
			fail_msg("%s: got\n%s\nwant\n%s", t[i].name,
			    c.out.data, t[i].want ? t[i].want : "");
		collect_release(&c);
	}
}

static void
test_projection(void **state)
{
	static const char *const want[] = { "c", "a", "c" };
	static const char *const missing[] = { "a", "zz" };
	struct csvin_opts o;
	struct collect c;
	struct xerr err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.want = want;
	o.nwant = 3;
	o.on_header = collect_header;
	collect_init(&c);
	c.want_names = want;
	assert_int_equal(run_str("a,b,c\n1,2,3\n\"4\n\",5,6\n", &o, &c,
	    &err), 0);
	assert_string_equal(c.out.data,
	    "2:1:c=3|a=1|c=3\n3:2:c=6|a=4\\n|c=6\n");
	/* on_header sees the whole header even with a projection. */
	assert_int_equal(c.headers, 1);
	assert_string_equal(c.hdr.data, "a,b,c");
	collect_release(&c);

	/* An empty projection still counts records. */
	o.nwant = 0;
	collect_init(&c);
	if (run_str("a\n1\n2\n", &o, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.out.data, "2:1:\n3:2:\n");
	collect_release(&c);

	/* A field over max_field is an error even when not wanted. */
	o.nwant = 1;
	o.max_field = 3;
	collect_init(&c);
	assert_int_equal(run_str("c,b\n1,234\n5,6789\n", &o, &c, &err), -1);
	assert_string_equal(err.msg, "t.csv:3: field longer than 3 bytes");
	assert_string_equal(c.out.data, "2:1:c=1\n");
	collect_release(&c);
	o.max_field = 0;

	o.want = missing;
	o.nwant = 2;
	collect_init(&c);
	assert_int_equal(run_str("\na,b\n1,2\n", &o, &c, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "t.csv:2: no field 'zz' in header");
	assert_int_equal(c.calls, 0);
	collect_release(&c);
}

static void
test_on_header(void **state)
{
	struct csvin_opts o;
	struct collect c;
	struct xerr err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.on_header = collect_header;
	collect_init(&c);
	assert_int_equal(run_str("x,y\n", &o, &c, &err), 0);
	assert_int_equal(c.headers, 1);
	assert_string_equal(c.hdr.data, "x,y");
	collect_release(&c);

	/* An empty file has no header to report. */
	collect_init(&c);
	assert_int_equal(run_str("", &o, &c, &err), 0);
	assert_int_equal(c.headers, 0);
	collect_release(&c);

	/* Its failure comes back unchanged and stops the file. */
	collect_init(&c);
	c.header_fail = 1;
	assert_int_equal(run_str("x,y\n1,2\n", &o, &c, &err), -1);
	assert_int_equal(err.cls, XERR_CONFIG);
	assert_string_equal(err.msg, "columns differ");
	assert_int_equal(c.calls, 0);
	collect_release(&c);
}

static void
test_callback_stops(void **state)
{
	struct collect c;
	struct xerr err;

	(void)state;
	collect_init(&c);
	c.stop_at = 2;
	/* CR-only line ends: the rest of the chunk is one libcsv call. */
	assert_int_equal(run_str("a\r1\r2\r3\r4\r", NULL, &c, &err), -1);
	assert_int_equal(err.cls, XERR_TEMP);
	assert_int_equal(err.sys_errno, 0);
	assert_string_equal(err.msg, "stopped at 2");
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.out.data, "1:1:a=1\n");
	collect_release(&c);
}

static void
test_open_error(void **state)
{
	char path[128];
	struct collect c;
	struct xerr err;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.csv", tmpdir);
	collect_init(&c);
	assert_int_equal(csvin_read_file(path, NULL, collect_rec, &c, &err),
	    -1);
	assert_int_equal(err.cls, XERR_PERM);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_non_null(strstr(err.msg, "cannot open '"));
	assert_int_equal(c.calls, 0);
	collect_release(&c);

	/* The label of csvin_read_file is the path. */
	snprintf(path, sizeof(path), "%s/bad.csv", tmpdir);
	write_file(path, "a\n1,2\n", 6);
	collect_init(&c);
	assert_int_equal(csvin_read_file(path, NULL, collect_rec, &c, &err),
	    -1);
	assert_non_null(strstr(err.msg, "/bad.csv:2: record has 2 fields"));
	assert_true(strncmp(err.msg, tmpdir, strlen(tmpdir)) == 0);
	collect_release(&c);
	unlink(path);

	memset(&err, 0, sizeof(err));
	collect_init(&c);
	assert_int_equal(csvin_read_fd(0, "x", &(struct csvin_opts){
	    .delim = '"' }, collect_rec, &c, &err), -1);
	assert_int_equal(err.cls, XERR_CONFIG);
	collect_release(&c);
}

/*
 * A plain model of what csvin must do (RFC 4180, strict, blanks kept,
 * blank lines skipped, lines counted by LF), written for clarity, not
 * speed: random inputs must give the same records and the same errors.
 */
static int
model_field(const char *s, size_t n, size_t *i, unsigned long *line,
    struct buf *f, struct buf *out, int lenient)
{
	buf_reset(f);
	buf_puts(f, "");
	if (*i < n && s[*i] == '"') {
		for ((*i)++;; (*i)++) {
			if (*i == n)
				return -2;	/* unterminated */
			if (s[*i] == '"') {
				if (*i + 1 < n && s[*i + 1] == '"') {
					buf_putc(f, '"');
					(*i)++;
					continue;
				}
				(*i)++;
				break;
			}
			if (s[*i] == '\n')
				(*line)++;
			buf_putc(f, s[*i]);
		}
		if (*i < n && s[*i] != ',' && s[*i] != '\r' && s[*i] != '\n') {
			buf_printf(out, "%lu: malformed quoted field: text "
			    "after the closing quote\n", *line);
			return -1;
		}
		return 0;
	}
	for (; *i < n && s[*i] != ',' && s[*i] != '\r' && s[*i] != '\n';
	    (*i)++) {
		if (s[*i] == '"' && !lenient) {
			buf_printf(out, "%lu: malformed field: quote inside "
			    "an unquoted field" LENIENT_HINT "\n", *line);
			return -1;
		}
		buf_putc(f, s[*i]);
	}
	return 0;
}

static void
model(const char *s, size_t n, struct buf *out, int lenient)
{
	struct buf f[8], hdr[8];
	unsigned long line = 1, row_line, recno = 0;
	size_t i = 0, nf, nhdr = 0, k, j;
	int term, rc;

	for (k = 0; k < 8; k++) {
		buf_init(&f[k], 0);
		buf_init(&hdr[k], 0);
	}
	while (i < n) {
		if (s[i] == '\n' || s[i] == '\r') {
			line += s[i++] == '\n';
			continue;
		}
		row_line = line;
		for (nf = 0;; ) {
			if (nf == 8) {
				buf_puts(out, "too wide\n");
				goto done;
			}
			rc = model_field(s, n, &i, &line, &f[nf++], out,
			    lenient);
			if (rc == -2)
				buf_printf(out, "%lu: unterminated quoted "
				    "field\n", row_line);
			if (rc < 0)
				goto done;
			if (i == n || s[i] != ',')
				break;
			i++;
		}
		term = i < n ? s[i++] : -1;
		if (nhdr == 0) {
			for (k = 0; k < nf; k++)
				if (f[k].len == 0) {
					buf_printf(out, "%lu: header field %zu "
					    "has no name\n", row_line, k + 1);
					goto done;
				}
			for (k = 0; k < nf; k++) {
				for (j = 0; j < k; j++)
					if (strcmp(f[j].data, f[k].data) == 0) {
						buf_printf(out, "%lu: duplicate"
						    " field name '%s' in "
						    "header\n", row_line,
						    f[k].data);
						goto done;
					}
			}
			for (k = 0; k < nf; k++) {
				buf_reset(&hdr[k]);
				buf_puts(&hdr[k], f[k].data);
			}
			nhdr = nf;
		} else if (nf != nhdr) {
			buf_printf(out, "%lu: record has %zu field%s, header "
			    "has %zu\n", row_line, nf, nf == 1 ? "" : "s",
			    nhdr);
			goto done;
		} else {
			buf_printf(out, "%lu:%lu:", row_line, ++recno);
			for (k = 0; k < nf; k++) {
				buf_printf(out, "%s%s=", k ? "|" : "",
				    hdr[k].data);
				put_escaped(out, f[k].data, f[k].len);
			}
			buf_putc(out, '\n');
		}
		if (term == '\n')
			line++;
	}
done:
	for (k = 0; k < 8; k++) {
		buf_release(&f[k]);
		buf_release(&hdr[k]);
	}
}

/* Random inputs against the model, strict or with quotes = lenient. */
static void
against_model(int lenient)
{
	static const char alphabet[] = "ab  \t,,\"\"\"\r\n\n";
	unsigned int seed = 42;
	struct csvin_opts o;
	struct buf want;
	struct collect c;
	struct xerr err;
	char in[48];
	size_t n, i;
	int iter, rc;

	memset(&o, 0, sizeof(o));
	o.lenient_quotes = lenient;
	for (iter = 0; iter < 20000; iter++) {
		n = (size_t)(rand_r(&seed) % sizeof(in));
		for (i = 0; i < n; i++)
			in[i] = alphabet[rand_r(&seed) %
			    (sizeof(alphabet) - 1)];
		buf_init(&want, 0);
		buf_puts(&want, "");
		model(in, n, &want, lenient);
		if (strstr(want.data, "too wide") != NULL) {
			buf_release(&want);
			continue;
		}
		collect_init(&c);
		rc = run_csv(in, n, &o, &c, &err);
		/* The model writes errors as "LINE: message". */
		if (rc == -1)
			buf_printf(&c.out, "%s\n", err.msg + strlen("t.csv:"));
		if (strcmp(c.out.data, want.data) != 0) {
			buf_puts(&want, "input: ");
			put_escaped(&want, in, n);
			fail_msg("got\n%swant\n%s", c.out.data, want.data);
		}
		collect_release(&c);
		buf_release(&want);
	}
}

static void
test_against_model(void **state)
{
	(void)state;
	against_model(0);
}

/*
 * quotes = lenient: the same model, where a quote inside an unquoted field
 * is text; line numbers after such a quote must stay right (the quote walk
 * must not take it for an opening quote).
 */
static void
test_against_model_lenient(void **state)
{
	(void)state;
	against_model(1);
}

/*
 * A file of a few MB with every awkward thing at random places, so chunk
 * boundaries fall inside quoted fields, CRLFs, blank runs and a field
 * longer than a chunk.  The generator writes down what it expects.
 */
static void
gen_big(struct buf *in, struct buf *want)
{
	static const char *const plain[] = { "x", "hello world", "12.50",
	    "", "a b  c" };
	unsigned long line = 2, recno = 0;
	unsigned int seed = 12345;
	size_t i, j, k;
	int r;

	buf_puts(in, "\xef\xbb\xbfid,text,n\r\n");
	for (i = 0; i < 60000; i++) {
		r = rand_r(&seed) % 100;
		if (r < 5) {
			buf_puts(in, r < 3 ? "\n" : "\r\n");
			line++;
			continue;
		}
		recno++;
		buf_printf(want, "%lu:%lu:id=%zu|text=", line, recno, i);
		buf_printf(in, "%zu,", i);
		if (r < 15) {
			/* Quoted, with newlines and doubled quotes. */
			buf_putc(in, '"');
			k = (size_t)(rand_r(&seed) % 4);
			for (j = 0; j < k; j++) {
				buf_puts(in, j % 2 ? "\"\"q\r\n" : "ab, c\n");
				buf_puts(want, j % 2 ? "\"q\\r\\n" :
				    "ab, c\\n");
				line++;
			}
			buf_puts(in, "end\"");
			buf_puts(want, "end");
		} else if (r < 20) {
			buf_puts(in, " \t edge\t ");
			buf_puts(want, " \\t edge\\t ");
		} else if (r == 20 && i % 7 == 0) {
			/* Longer than a chunk. */
			for (j = 0; j < 300000; j++)
				buf_putc(in, 'L');
			for (j = 0; j < 300000; j++)
				buf_putc(want, 'L');
		} else {
			k = (size_t)(rand_r(&seed) % 5);
			buf_puts(in, plain[k]);
			buf_puts(want, plain[k]);
		}
		buf_printf(in, ",%d%s", r, r % 2 ? "\r\n" : "\n");
		buf_printf(want, "|n=%d\n", r);
		line++;
	}
	/* The last record has no newline. */
	buf_puts(in, "last,\"q\nq\", 1 ");
	buf_printf(want, "%lu:%lu:id=last|text=q\\nq|n= 1 \n", line,
	    recno + 1);
}

static void
test_big(void **state)
{
	struct buf in, want;
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

	snprintf(path, sizeof(path), "%s/big.csv", tmpdir);
	write_file(path, in.data, in.len);
	collect_init(&c);
	if (csvin_read_file(path, NULL, collect_rec, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.out.data, want.data);
	collect_release(&c);
	unlink(path);

	/* Through a pipe in uneven pieces, the BOM split up. */
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
	if (csvin_read_fd(fds[0], "pipe", NULL, collect_rec, &c, &err) != 0)
		fail_msg("%s", err.msg);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(c.out.data, want.data);
	collect_release(&c);
	buf_release(&in);
	buf_release(&want);
}

/* csv-spectrum: every record of every CSV against its JSON twin. */
struct spectrum {
	const char *name;
	json_object *rows;
	size_t nrec;
};

static int
spectrum_rec(void *ctx, const struct record *rec, struct xerr *err)
{
	struct spectrum *s = ctx;
	json_object *row, *v;
	size_t i = 0;

	(void)err;
	assert_true(s->nrec < json_object_array_length(s->rows));
	row = json_object_array_get_idx(s->rows, s->nrec++);
	assert_int_equal(rec->recno, s->nrec);
	if ((size_t)json_object_object_length(row) != rec->n)
		fail_msg("%s: record %zu has %zu fields", s->name, s->nrec,
		    rec->n);
	json_object_object_foreach(row, key, val) {
		if (strcmp(rec->names[i], key) != 0)
			fail_msg("%s: record %zu: field %zu is '%s', want "
			    "'%s'", s->name, s->nrec, i, rec->names[i], key);
		v = val;
		if ((size_t)json_object_get_string_len(v) != rec->vals[i].len ||
		    memcmp(json_object_get_string(v), rec->vals[i].ptr,
		    rec->vals[i].len) != 0)
			fail_msg("%s: record %zu: '%s' is '%s', want '%s'",
			    s->name, s->nrec, key, rec->vals[i].ptr,
			    json_object_get_string(v));
		i++;
	}
	return 0;
}

static void
test_csv_spectrum(void **state)
{
	static const char *const names[] = { "comma_in_quotes", "empty",
	    "empty_crlf", "escaped_quotes", "json", "newlines",
	    "newlines_crlf", "quotes_and_newlines", "simple", "simple_crlf",
	    "utf8" };
	const char *dir = getenv("XFER_TESTDATA");
	char csv[512], json[512];
	struct spectrum s;
	struct collect c;
	struct csvin_opts o;
	struct xerr err;
	size_t i;

	(void)state;
	if (dir == NULL)
		dir = "tests/data";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(csv, sizeof(csv), "%s/csv-spectrum/csvs/%s.csv", dir,
		    names[i]);
		snprintf(json, sizeof(json), "%s/csv-spectrum/json/%s.json",
		    dir, names[i]);
		s.name = names[i];
		s.nrec = 0;
		s.rows = json_object_from_file(json);
		if (s.rows == NULL)
			fail_msg("cannot read '%s'", json);
		assert_true(json_object_is_type(s.rows, json_type_array));
		if (csvin_read_file(csv, NULL, spectrum_rec, &s, &err) != 0)
			fail_msg("%s: %s", names[i], err.msg);
		assert_int_equal(s.nrec, json_object_array_length(s.rows));
		json_object_put(s.rows);
	}

	/*
	 * location_coordinates.json is one object, not an array, and its
	 * values do not match its CSV (another phone number).  What the CSV
	 * really says: a header of four names, then a row whose second field
	 * is unquoted yet holds '"' (37<U+FFFD>36'37.8"N ...).  RFC 4180 does
	 * not allow a quote in an unquoted field and csvin parses strictly,
	 * so the right outcome is a data error on line 2, after the header.
	 */
	snprintf(csv, sizeof(csv),
	    "%s/csv-spectrum/csvs/location_coordinates.csv", dir);
	memset(&o, 0, sizeof(o));
	o.on_header = collect_header;
	collect_init(&c);
	assert_int_equal(csvin_read_file(csv, &o, collect_rec, &c, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, "location_coordinates.csv:2: "
	    "malformed field: quote inside an unquoted field"));
	assert_string_equal(c.hdr.data, "Contact Phone Number,"
	    "Location Coordinates,Cities,Counties");
	assert_int_equal(c.calls, 0);
	collect_release(&c);
}

/* quotes = lenient: what it accepts, and what stays refused. */
static void
test_lenient_quotes(void **state)
{
	static const struct {
		const char *name;
		const char *in;
		int lenient;
		const char *want;
		const char *err;
	} t[] = {
		{ "a quote in a coordinate", "a,b\n1,37\xc2\xb0" "36'37.8\"N\n"
		    "2,x\n", 1, "2:1:a=1|b=37\xc2\xb0" "36'37.8\"N\n"
		    "3:2:a=2|b=x\n", NULL },
		{ "refused when strict", "a,b\n1,37\xc2\xb0" "36'37.8\"N\n", 0,
		    NULL, "t.csv:2: malformed field: quote inside an unquoted "
		    "field" LENIENT_HINT },
		{ "text after a closing quote stays refused",
		    "a,b\n1,\"x\"y\n", 1, NULL, "t.csv:2: malformed quoted "
		    "field: text after the closing quote" },
		{ "blank then quote after a closing quote stays refused",
		    "a,b\n1,\"x\" \"\n", 1, NULL, "t.csv:2: malformed quoted "
		    "field: text after the closing quote" },
		{ "a quoted field is still one", "a,b\n\"x\"\"y\",\"p,q\"\n", 1,
		    "2:1:a=x\"y|b=p,q\n", NULL },
		{ "a quote at the end of an unquoted field",
		    "a\n12\"\n3\n", 1, "2:1:a=12\"\n3:2:a=3\n", NULL },
		{ "line numbers after a literal quote and a quoted newline",
		    "a,b\nx\"y,\"p\nq\"\nr,s\n", 1,
		    "2:1:a=x\"y|b=p\\nq\n4:2:a=r|b=s\n", NULL },
		{ "two quotes in an unquoted field", "a,b\nab\"\"c,d\n", 1,
		    "2:1:a=ab\"\"c|b=d\n", NULL },
		{ "a quote next to blanks", "a,b\n12 \" x,y\n", 1,
		    "2:1:a=12 \" x|b=y\n", NULL },
		{ "a quote in the header", "a\"b,c\n1,2\n", 1,
		    "2:1:a\"b=1|c=2\n", NULL },
		{ "an unterminated quoted field stays refused",
		    "a,b\n1,\"x\n", 1, NULL, "t.csv:2: unterminated quoted "
		    "field" },
	};
	struct csvin_opts o;
	struct collect c;
	struct xerr err;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.lenient_quotes = t[i].lenient;
		collect_init(&c);
		rc = run_str(t[i].in, &o, &c, &err);
		if (t[i].err == NULL && rc != 0)
			fail_msg("%s: unexpected error: %s", t[i].name,
			    err.msg);
		if (t[i].err != NULL && (rc != -1 ||
		    strcmp(err.msg, t[i].err) != 0))
			fail_msg("%s: error '%s', want '%s'", t[i].name,
			    rc == -1 ? err.msg : "(none)", t[i].err);
		if (strcmp(c.out.data, t[i].want ? t[i].want : "") != 0)
			fail_msg("%s: got\n%s\nwant\n%s", t[i].name,
			    c.out.data, t[i].want ? t[i].want : "");
		collect_release(&c);
	}
}

/*
 * lenient across read boundaries: a literal quote, a doubled quote and a
 * quoted newline at every offset around the end of the first 256 KiB
 * read, against the model.
 */
static void
test_lenient_chunk_edges(void **state)
{
	static const char tail[] = "p,q\"r\n\"x\"\"y\",1\n\"m\nn\",o\n"
	    "z,w\n";
	struct csvin_opts o;
	struct buf in, want;
	struct collect c;
	struct xerr err;
	size_t k, target = 256 * 1024;
	int rc;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.lenient_quotes = 1;
	for (k = 0; k < sizeof(tail) + 4; k++) {
		buf_init(&in, 0);
		buf_puts(&in, "a,b\n");
		while (in.len + 4 < target - sizeof(tail) - 8)
			buf_puts(&in, "x,y\n");
		/* One line long enough that the tail starts k bytes before
		 * the end of the first read. */
		buf_puts(&in, "x,");
		while (in.len + 1 < target - sizeof(tail) - 4 + k)
			buf_putc(&in, 'y');
		buf_putc(&in, '\n');
		buf_puts(&in, tail);
		buf_init(&want, 0);
		buf_puts(&want, "");
		model(in.data, in.len, &want, 1);
		collect_init(&c);
		rc = run_csv(in.data, in.len, &o, &c, &err);
		if (rc == -1)
			buf_printf(&c.out, "%s\n", err.msg + strlen("t.csv:"));
		if (strcmp(c.out.data, want.data) != 0)
			fail_msg("offset %zu: the reader and the model differ",
			    k);
		collect_release(&c);
		buf_release(&want);
		buf_release(&in);
	}
}

/* A CP949 or EUC-KR file is decoded: records are UTF-8. */
static void
test_encoding(void **state)
{
	/* 이름,금액 / 홍길동,100 / "가\n나",1 / 뷁,2 in CP949 */
	static const char cp949[] = "\xc0\xcc\xb8\xa7,\xb1\xdd\xbe\xd7\r\n"
	    "\xc8\xab\xb1\xe6\xb5\xbf,100\r\n\"\xb0\xa1\n\xb3\xaa\",1\r\n"
	    "\x94\xee,2\r\n";
	struct csvin_opts o;
	struct collect c;
	struct xerr err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.encoding = TEXTENC_CP949;
	o.on_header = collect_header;
	collect_init(&c);
	assert_int_equal(run_str(cp949, &o, &c, &err), 0);
	assert_string_equal(c.hdr.data, "이름,금액");
	assert_string_equal(c.out.data, "2:1:이름=홍길동|금액=100\n"
	    "3:2:이름=가\\n나|금액=1\n5:3:이름=뷁|금액=2\n");
	collect_release(&c);

	/* 뷁 is not EUC-KR: the file is refused. */
	o.encoding = TEXTENC_EUCKR;
	collect_init(&c);
	assert_int_equal(run_str(cp949, &o, &c, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, "is not valid EUC-KR"));
	collect_release(&c);

	/* A byte no encoding has, named by its offset in the file. */
	collect_init(&c);
	assert_int_equal(run_str("a\n\xb0\xa1\n\xff\n", &o, &c, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "'t.csv': byte 6 is not valid EUC-KR");
	collect_release(&c);

	/* Read as UTF-8 the same bytes are not decoded (and not UTF-8). */
	o.encoding = TEXTENC_UTF8;
	o.on_header = NULL;
	collect_init(&c);
	assert_int_equal(run_str("a\n\xb0\xa1\n", &o, &c, &err), 0);
	assert_string_equal(c.out.data, "2:1:a=\xb0\xa1\n");
	collect_release(&c);

	/* A file cut inside a character. */
	o.encoding = TEXTENC_CP949;
	collect_init(&c);
	assert_int_equal(run_str("a\n\xb0\xa1\xb0", &o, &c, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "'t.csv' ends inside a CP949 character "
	    "(byte 5)");
	collect_release(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_against_model_lenient),
		cmocka_unit_test(test_lenient_quotes),
		cmocka_unit_test(test_lenient_chunk_edges),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_projection),
		cmocka_unit_test(test_on_header),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test(test_against_model),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_csv_spectrum),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
