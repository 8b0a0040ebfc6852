/*
 * writer: records out as CSV, a JSON array or JSON Lines.
 *
 * Output goes through one 64 KiB buffer so the sink sees few large writes
 * whatever the row sizes.  Every byte written depends only on the records
 * and the options: no locale, no floating point, no clock.
 *
 * After any error the output is incomplete (part of a row may already be
 * out) and the writer refuses further rows: the caller discards the file,
 * as it does for any failed batch.
 */
#include "writer.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decimal.h"

#define WBUF_SIZE	(64 * 1024)

/* Byte classes for JSON strings. */
enum { J_PLAIN, J_ESCAPE, J_UTF8 };

struct writer {
	struct writer_opts o;
	struct sink sink;
	char *buf;
	size_t len;

	size_t ncols;
	char **names;		/* copies of the column names */
	char **jkeys;		/* JSON: "\"name\":" escaped, per column */
	size_t *jkeylen;
	int have_cols;

	unsigned char csvq[256];	/* CSV: 1 for bytes that force quotes */
	unsigned long rows;
	int finished, failed;
};

static const unsigned char jclass[256] = {
	[0x00 ... 0x1f] = J_ESCAPE,
	['"'] = J_ESCAPE,
	['\\'] = J_ESCAPE,
	[0x80 ... 0xff] = J_UTF8,
};

struct writer *
writer_new(const struct writer_opts *o, const struct sink *s)
{
	struct writer *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->buf = malloc(WBUF_SIZE)) == NULL) {
		free(w);
		return NULL;
	}
	w->o = *o;
	if (w->o.delim == '\0')
		w->o.delim = ',';
	w->sink = *s;
	w->csvq[(unsigned char)w->o.delim] = 1;
	w->csvq['"'] = 1;
	w->csvq['\r'] = 1;
	w->csvq['\n'] = 1;
	return w;
}

static void
free_names(struct writer *w)
{
	size_t i;

	for (i = 0; i < w->ncols; i++) {
		if (w->names != NULL)
			free(w->names[i]);
		if (w->jkeys != NULL)
			free(w->jkeys[i]);
	}
	free(w->names);
	free(w->jkeys);
	free(w->jkeylen);
	w->names = w->jkeys = NULL;
	w->jkeylen = NULL;
	w->ncols = 0;
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	free_names(w);
	free(w->buf);
	free(w);
}

unsigned long
writer_rows(const struct writer *w)
{
	return w->rows;
}

static int
flush(struct writer *w, struct xerr *err)
{
	size_t n = w->len;

	if (n == 0)
		return 0;
	w->len = 0;
	return w->sink.write(w->sink.ctx, w->buf, n, err);
}

static int
put(struct writer *w, const void *p, size_t n, struct xerr *err)
{
	if (n <= WBUF_SIZE - w->len) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		return 0;
	}
	if (flush(w, err) == -1)
		return -1;
	if (n >= WBUF_SIZE)
		return w->sink.write(w->sink.ctx, p, n, err);
	memcpy(w->buf, p, n);
	w->len = n;
	return 0;
}

static int
putch(struct writer *w, char c, struct xerr *err)
{
	if (w->len == WBUF_SIZE && flush(w, err) == -1)
		return -1;
	w->buf[w->len++] = c;
	return 0;
}

/* --- CSV ---------------------------------------------------------------- */

/*
 * A cell a spreadsheet would run as a formula.  A number such as "-12.50"
 * or "+3" is left alone whatever its kind, so negative amounts stay numbers;
 * "-2+3" is not a number and is guarded.
 */
static int
needs_guard(const char *p, size_t n)
{
	struct decimal d;

	if (n == 0 || memchr("=+-@\t\r", p[0], 6) == NULL)
		return 0;
	return decimal_parse(p, n, &d) == -1;
}

static int
csv_cell(struct writer *w, const char *p, size_t n, struct xerr *err)
{
	int guard = w->o.formula_guard && needs_guard(p, n);
	const char *q, *end = p + n;
	size_t i;

	for (i = 0; i < n; i++)
		if (w->csvq[(unsigned char)p[i]])
			break;
	/*
	 * A row of one empty cell would be a blank line, which readers skip:
	 * quote it so the row survives (as Python's csv module does).
	 */
	if (i == n && !(n == 0 && w->ncols == 1)) {
		if (guard && putch(w, '\'', err) == -1)
			return -1;
		return put(w, p, n, err);
	}
	if (putch(w, '"', err) == -1)
		return -1;
	if (guard && putch(w, '\'', err) == -1)
		return -1;
	while (p < end) {
		if ((q = memchr(p, '"', (size_t)(end - p))) == NULL) {
			if (put(w, p, (size_t)(end - p), err) == -1)
				return -1;
			break;
		}
		/* Up to and including the quote, then the quote again. */
		if (put(w, p, (size_t)(q - p) + 1, err) == -1 ||
		    putch(w, '"', err) == -1)
			return -1;
		p = q + 1;
	}
	return putch(w, '"', err);
}

static int
csv_eol(struct writer *w, struct xerr *err)
{
	return w->o.crlf ? put(w, "\r\n", 2, err) : putch(w, '\n', err);
}

static int
csv_header(struct writer *w, struct xerr *err)
{
	size_t i;

	for (i = 0; i < w->ncols; i++) {
		if (i > 0 && putch(w, w->o.delim, err) == -1)
			return -1;
		if (csv_cell(w, w->names[i], strlen(w->names[i]), err) == -1)
			return -1;
	}
	return csv_eol(w, err);
}

static int
csv_row(struct writer *w, const struct record *rec, struct xerr *err)
{
	const struct value *v;
	size_t i;

	if (w->rows == 0 && w->o.header && csv_header(w, err) == -1)
		return -1;
	for (i = 0; i < rec->n; i++) {
		v = &rec->vals[i];
		if (i > 0 && putch(w, w->o.delim, err) == -1)
			return -1;
		/* NULL is an empty cell. */
		if (csv_cell(w, v->kind == VAL_NULL ? "" : v->ptr,
		    v->kind == VAL_NULL ? 0 : v->len, err) == -1)
			return -1;
	}
	return csv_eol(w, err);
}

/* --- JSON --------------------------------------------------------------- */

/*
 * A JSON string, quotes included.  0; -1 with err set when the sink
 * fails; 1 (nothing set) when s is not valid UTF-8.
 */
static int
json_string(struct writer *w, const char *s, size_t n, struct xerr *err)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run;
	const unsigned char *end = p + n;
	char esc[6];
	size_t k, elen;

	if (putch(w, '"', err) == -1)
		return -1;
	while (p < end) {
		run = p;
		while (p < end && jclass[*p] == J_PLAIN)
			p++;
		if (p > run && put(w, run, (size_t)(p - run), err) == -1)
			return -1;
		if (p == end)
			break;
		if (jclass[*p] == J_UTF8) {
			if ((k = utf8_seq(p, (size_t)(end - p))) == 0)
				return 1;
			if (put(w, p, k, err) == -1)
				return -1;
			p += k;
			continue;
		}
		esc[0] = '\\';
		elen = 2;
		switch (*p) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\b':	esc[1] = 'b'; break;
		case '\f':	esc[1] = 'f'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\t':	esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			elen = 6;
		}
		if (put(w, esc, elen, err) == -1)
			return -1;
		p++;
	}
	return putch(w, '"', err);
}

/* RFC 8259 number syntax: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number_ok(const char *p, size_t n)
{
	size_t i = 0, start;

#define DIGIT(c) ((unsigned)((c) - '0') <= 9)
	if (i < n && p[i] == '-')
		i++;
	if (i == n)
		return 0;
	if (p[i] == '0')
		i++;
	else if (DIGIT(p[i]))
		while (i < n && DIGIT(p[i]))
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		for (start = ++i; i < n && DIGIT(p[i]); i++)
			;
		if (i == start)
			return 0;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		for (start = i; i < n && DIGIT(p[i]); i++)
			;
		if (i == start)
			return 0;
	}
#undef DIGIT
	return i == n;
}

static int
json_value(struct writer *w, const struct value *v, struct xerr *err)
{
	switch (v->kind) {
	case VAL_NULL:
		return put(w, "null", 4, err);
	case VAL_NUMBER:
		/*
		 * A number whose text is not JSON syntax ("Inf", ".5", "1.",
		 * "+1", "007": SQLite REAL or a min/max kept as read) is
		 * written as a string: the exact text survives and the file
		 * stays valid JSON.
		 */
		if (json_number_ok(v->ptr, v->len))
			return put(w, v->ptr, v->len, err);
		break;
	case VAL_BOOL:
		if ((v->len == 4 && memcmp(v->ptr, "true", 4) == 0) ||
		    (v->len == 5 && memcmp(v->ptr, "false", 5) == 0))
			return put(w, v->ptr, v->len, err);
		break;
	case VAL_RAW:
		/* Compact JSON from the reader; empty cannot stand alone. */
		if (v->len == 0)
			return put(w, "null", 4, err);
		return put(w, v->ptr, v->len, err);
	case VAL_TEXT:
		break;
	}
	return json_string(w, v->ptr, v->len, err);
}

static int
json_row(struct writer *w, const struct record *rec, struct xerr *err)
{
	char where[512];
	size_t i;
	int r;

	if (w->o.format == FMT_JSON &&
	    put(w, w->rows == 0 ? "[\n" : ",\n", 2, err) == -1)
		return -1;
	if (putch(w, '{', err) == -1)
		return -1;
	for (i = 0; i < rec->n; i++) {
		if (i > 0 && putch(w, ',', err) == -1)
			return -1;
		if (put(w, w->jkeys[i], w->jkeylen[i], err) == -1)
			return -1;
		if ((r = json_value(w, &rec->vals[i], err)) == -1)
			return -1;
		if (r == 1) {
			record_where(rec, where, sizeof(where));
			return xerr_set(err, XERR_DATA, 0,
			    "%s: value in '%s' is not valid UTF-8", where,
			    w->names[i]);
		}
	}
	if (putch(w, '}', err) == -1)
		return -1;
	if (w->o.format == FMT_JSONL)
		return putch(w, '\n', err);
	return 0;
}

static int
buf_sink(void *ctx, const void *p, size_t n, struct xerr *err)
{
	if (buf_append(ctx, p, n) == -1)
		return xerr_nomem(err);
	return 0;
}

/*
 * "\"name\":" for every column, built once.  The names are escaped by
 * the code that escapes values, with the sink pointed at a buffer for the
 * time; no row has been written yet, so the output buffer is empty.
 */
static int
json_keys(struct writer *w, struct xerr *err)
{
	struct sink saved = w->sink;
	struct buf b;
	size_t i;
	int r, rc = -1;

	buf_init(&b, 0);
	if ((w->jkeys = calloc(w->ncols + 1, sizeof(*w->jkeys))) == NULL ||
	    (w->jkeylen = calloc(w->ncols + 1, sizeof(*w->jkeylen))) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	if (flush(w, err) == -1)
		goto fail;
	w->sink.write = buf_sink;
	w->sink.ctx = &b;
	for (i = 0; i < w->ncols; i++) {
		buf_reset(&b);
		r = json_string(w, w->names[i], strlen(w->names[i]), err);
		if (r == 1)
			xerr_set(err, XERR_DATA, 0,
			    "column %zu: name is not valid UTF-8", i + 1);
		if (r != 0 || putch(w, ':', err) == -1 || flush(w, err) == -1)
			goto fail;
		w->jkeylen[i] = b.len;
		if ((w->jkeys[i] = buf_detach(&b)) == NULL) {
			xerr_nomem(err);
			goto fail;
		}
	}
	rc = 0;
fail:
	w->len = 0;
	w->sink = saved;
	buf_release(&b);
	return rc;
}

/* --- the interface ------------------------------------------------------ */

int
writer_columns(struct writer *w, const char *const *names, size_t n,
    struct xerr *err)
{
	size_t i;

	if (w->have_cols)
		return xerr_set(err, XERR_PERM, 0,
		    "writer: columns given twice");
	if ((w->names = calloc(n + 1, sizeof(*w->names))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((w->names[i] = strdup(names[i])) == NULL)
			goto nomem;
		w->ncols = i + 1;
	}
	w->ncols = n;
	if (w->o.format != FMT_CSV && json_keys(w, err) == -1)
		goto fail;
	w->have_cols = 1;
	return 0;
nomem:
	xerr_nomem(err);
fail:
	free_names(w);
	w->failed = 1;
	return -1;
}

int
writer_row(struct writer *w, const struct record *rec, struct xerr *err)
{
	char where[512];
	int r;

	if (w->failed || w->finished || !w->have_cols)
		return xerr_set(err, XERR_PERM, 0, "writer: %s",
		    w->failed ? "used after an error" : w->finished ?
		    "row after finish" : "row before columns");
	if (rec->n != w->ncols) {
		record_where(rec, where, sizeof(where));
		w->failed = 1;
		return xerr_set(err, XERR_DATA, 0,
		    "%s: record has %zu fields, the output has %zu columns",
		    where, rec->n, w->ncols);
	}
	r = w->o.format == FMT_CSV ? csv_row(w, rec, err) :
	    json_row(w, rec, err);
	if (r == -1) {
		w->failed = 1;
		return -1;
	}
	w->rows++;
	return 0;
}

int
writer_finish(struct writer *w, struct xerr *err)
{
	int r = 0;

	if (w->failed || w->finished)
		return xerr_set(err, XERR_PERM, 0, "writer: %s",
		    w->failed ? "used after an error" : "finished twice");
	switch (w->o.format) {
	case FMT_CSV:
		if (w->rows == 0 && w->o.empty == EMPTY_HEADER &&
		    w->o.header && w->have_cols)
			r = csv_header(w, err);
		break;
	case FMT_JSON:
		r = w->rows == 0 ? put(w, "[]\n", 3, err) :
		    put(w, "\n]\n", 3, err);
		break;
	case FMT_JSONL:
	case FMT_XML:
	case FMT_FIXED:
		break;
	}
	if (r == -1 || flush(w, err) == -1) {
		w->failed = 1;
		return -1;
	}
	w->finished = 1;
	return 0;
}
