/*
 * writer: records out as CSV, a JSON array or JSON Lines; XML and
 * fixed-width records through their family in this folder
 * (writer_impl.h).
 *
 * Output goes through one 64 KiB buffer so the sink sees few large writes
 * whatever the row sizes.  Every byte written depends only on the records
 * and the options: no locale, no floating point, no clock.
 *
 * After any error the output is incomplete (part of a row may already be
 * out) and the writer refuses further rows: the caller discards the file,
 * as it does for any failed batch.
 *
 * Another encoding than UTF-8: rows are still made in UTF-8 in the buffer,
 * and the buffer is encoded (text_encode) into a second one at the end of
 * every row (and of the CSV header), so a failure is known while its row
 * is at hand; the field is then found by encoding the values one at a
 * time.  The buffer always ends between characters: put() never splits
 * one.  For UTF-8 none of this runs: bytes go out as they are made.
 */
#include "writer.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decimal.h"
#include "layout.h"
#include "writer_impl.h"

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

	const struct writer_family *fam;	/* NULL: CSV and JSON here */
	void *fst;			/* the family's state */

	unsigned char csvq[256];	/* CSV: 1 for bytes that force quotes */
	unsigned long rows;
	int finished, failed;

	struct text_encoder *enc;	/* NULL: UTF-8, no encoding step */
	struct buf ebuf;		/* encoded, for the sink */
	int enc_failed;			/* text_encode failed: name the field */

	/* CSV with layouts: the header line is out (started), the totals
	 * of the rows. */
	struct layout_totals totals;
	int started;
};

static int layouts_start(struct writer *w);

static const unsigned char jclass[256] = {
	[0x00 ... 0x1f] = J_ESCAPE,
	['"'] = J_ESCAPE,
	['\\'] = J_ESCAPE,
	[0x80 ... 0xff] = J_UTF8,
};

/* The formats written by a family of their own (writer_impl.h). */
static const struct writer_family *const families[] = {
	[FMT_XML] = &xmlout_family,
	[FMT_FIXED] = &fixedout_family,
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
	if ((size_t)o->format < sizeof(families) / sizeof(*families))
		w->fam = families[o->format];
	if (w->fam != NULL && (w->fst = w->fam->open(o)) == NULL) {
		free(w->buf);
		free(w);
		return NULL;
	}
	if (w->o.delim == '\0')
		w->o.delim = ',';
	w->sink = *s;
	w->csvq[(unsigned char)w->o.delim] = 1;
	w->csvq['"'] = 1;
	w->csvq['\r'] = 1;
	w->csvq['\n'] = 1;
	buf_init(&w->ebuf, 0);
	if (layouts_start(w) == -1) {
		writer_free(w);
		return NULL;
	}
	return w;
}

/*
 * The formats whose rows are made in UTF-8 and encoded whole.  fixed
 * encodes field by field itself (its widths are bytes of the encoding).
 */
static int
encodes_rows(enum out_format f)
{
	return f == FMT_CSV || f == FMT_JSONL || f == FMT_XML;
}

/* The encoder, once, when the output is not UTF-8. */
static int
enc_setup(struct writer *w, struct xerr *err)
{
	if (w->enc != NULL || w->o.encoding == TEXTENC_UTF8)
		return 0;
	if (w->o.format == FMT_JSON)
		return xerr_set(err, XERR_CONFIG, 0, "format json is always "
		    "UTF-8, not %s", textenc_name(w->o.encoding));
	if (!encodes_rows(w->o.format))
		return 0;
	if ((w->enc = text_encoder_new(w->o.encoding, w->o.replace, err)) ==
	    NULL)
		return -1;
	return 0;
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
	layout_totals_release(&w->totals);
	if (w->fam != NULL)
		w->fam->close(w->fst);
	free(w->buf);
	text_encoder_free(w->enc);
	buf_release(&w->ebuf);
	free(w);
}

unsigned long
writer_rows(const struct writer *w)
{
	return w->rows;
}

unsigned long
writer_replaced(const struct writer *w)
{
	if (w->fam != NULL && w->fam->replaced != NULL)
		return w->fam->replaced(w->fst);
	return w->enc != NULL ? text_encoder_replaced(w->enc) : 0;
}

/* Hand the encoded bytes to the sink. */
static int
drain(struct writer *w, struct xerr *err)
{
	size_t n = w->ebuf.len;
	int rc;

	if (n == 0)
		return 0;
	rc = w->sink.write(w->sink.ctx, w->ebuf.data, n, err);
	buf_reset(&w->ebuf);
	return rc;
}

/* UTF-8 bytes on their way out: to the sink, or encoded first. */
static int
emit(struct writer *w, const void *p, size_t n, struct xerr *err)
{
	if (w->enc == NULL)
		return w->sink.write(w->sink.ctx, p, n, err);
	if (text_encode(w->enc, p, n, &w->ebuf, err) == -1) {
		w->enc_failed = err->cls == XERR_DATA;
		return -1;
	}
	return w->ebuf.len >= WBUF_SIZE ? drain(w, err) : 0;
}

static int
flush(struct writer *w, struct xerr *err)
{
	size_t n = w->len;

	if (n == 0)
		return 0;
	w->len = 0;
	return emit(w, w->buf, n, err);
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
		return emit(w, p, n, err);
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

int
writer_put(struct writer *w, const void *p, size_t n, struct xerr *err)
{
	return put(w, p, n, err);
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

/*
 * Which of text[0..n) (lens, or strlen when lens is NULL) the encoder
 * refuses: its index, with the reason in err; -1 when none does.
 */
static long
refused(struct writer *w, const char *const *text, const size_t *lens,
    size_t n, struct xerr *err)
{
	struct buf scratch;
	size_t i;
	long at = -1;

	buf_init(&scratch, 0);
	for (i = 0; i < n && at < 0; i++) {
		buf_reset(&scratch);
		if (text[i] != NULL && text_encode(w->enc, text[i],
		    lens != NULL ? lens[i] : strlen(text[i]), &scratch, err) ==
		    -1 && err->cls == XERR_DATA)
			at = (long)i;
	}
	buf_release(&scratch);
	return at;
}

static int
csv_header(struct writer *w, struct xerr *err)
{
	size_t i;
	long at;

	for (i = 0; i < w->ncols; i++) {
		if (i > 0 && putch(w, w->o.delim, err) == -1)
			return -1;
		if (csv_cell(w, w->names[i], strlen(w->names[i]), err) == -1)
			goto fail;
	}
	if (csv_eol(w, err) == 0 && (w->enc == NULL || flush(w, err) == 0))
		return 0;
fail:
	if (w->enc_failed) {
		w->enc_failed = 0;
		if ((at = refused(w, (const char *const *)w->names, NULL,
		    w->ncols, err)) >= 0)
			xerr_prefix(err, "header, column %ld", at + 1);
	}
	return -1;
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

/*
 * The row just made could not be encoded: say which field ("record 2,
 * field 'name': '뷁' (U+BDC1) cannot be written in EUC-KR").
 */
static void
name_refused(struct writer *w, const struct record *rec, struct xerr *err)
{
	const char **text;
	size_t *lens, i;
	long at = -1;

	text = calloc(rec->n + 1, sizeof(*text));
	lens = calloc(rec->n + 1, sizeof(*lens));
	if (text != NULL && lens != NULL) {
		for (i = 0; i < rec->n; i++) {
			text[i] = rec->vals[i].kind == VAL_NULL ? NULL :
			    rec->vals[i].ptr;
			lens[i] = rec->vals[i].len;
		}
		at = refused(w, text, lens, rec->n, err);
		/* Not a value: a name (a JSON key). */
		if (at < 0 && (at = refused(w, (const char *const *)w->names,
		    NULL, w->ncols, err)) >= 0) {
			xerr_prefix(err, "record %lu, the name of field %ld",
			    w->rows + 1, at + 1);
			goto out;
		}
	}
	if (at >= 0)
		xerr_prefix(err, "record %lu, field '%s'", w->rows + 1,
		    w->names[at]);
	else
		xerr_prefix(err, "record %lu", w->rows + 1);
out:
	free(text);
	free(lens);
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
	struct text_encoder *enc = w->enc;
	struct buf b;
	size_t i;
	int r, rc = -1;

	/* The keys stay UTF-8: they are encoded with each row. */
	w->enc = NULL;
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
	w->enc = enc;
	buf_release(&b);
	return rc;
}

/* --- layouts: CSV header and trailer lines ----------------------------- */

/* What the options ask for, before any output. */
static int
layouts_start(struct writer *w)
{
	struct xerr e;

	if (w->o.format == FMT_CSV && w->o.layouts != NULL &&
	    layout_totals_init(&w->totals, w->o.layouts, &e) == -1)
		return -1;
	return 0;
}

/* A CSV line of a layout's computed fields. */
static int
csv_layout_line(struct writer *w, enum layout_part p, struct xerr *err)
{
	const struct layout *l = &w->o.layouts->part[p];
	struct layout_ctx c;
	struct buf v;
	size_t i;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.ls = w->o.layouts;
	c.date = w->o.date;
	c.seq = w->o.seq;
	c.totals = p == LAYOUT_TRAILER ? &w->totals : NULL;
	buf_init(&v, 0);
	for (i = 0; i < l->n && rc == 0; i++) {
		buf_reset(&v);
		if (layout_value(&l->f[i], &c, &v, err) == -1 ||
		    (i > 0 && putch(w, w->o.delim, err) == -1) ||
		    csv_cell(w, v.data != NULL ? v.data : "", v.len, err) == -1)
			rc = -1;
	}
	buf_release(&v);
	return rc == -1 ? -1 : csv_eol(w, err);
}

/* The header record, once, before anything else. */
static int
layout_begin(struct writer *w, struct xerr *err)
{
	if (w->started)
		return 0;
	w->started = 1;
	if (w->o.format == FMT_CSV && layout_has(w->o.layouts, LAYOUT_HEADER))
		return csv_layout_line(w, LAYOUT_HEADER, err);
	return 0;
}

/* The trailer record, last. */
static int
layout_end(struct writer *w, struct xerr *err)
{
	if (w->o.format == FMT_CSV && layout_has(w->o.layouts, LAYOUT_TRAILER))
		return csv_layout_line(w, LAYOUT_TRAILER, err);
	return 0;
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
	if (enc_setup(w, err) == -1)
		goto fail;
	if (w->fam != NULL) {
		if (w->fam->columns(w->fst, names, n, err) == -1)
			goto fail;
	} else if (w->o.format == FMT_CSV && w->o.layouts != NULL) {
		if (layout_totals_bind(&w->totals, w->o.layouts, names, n, 0,
		    err) == -1)
			goto fail;
	} else if (w->o.format != FMT_CSV && json_keys(w, err) == -1)
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
	r = layout_begin(w, err);
	if (r == 0)
		r = w->fam != NULL ?
		    w->fam->row(w->fst, w, rec, w->rows + 1, err) :
		    w->o.format == FMT_CSV ? csv_row(w, rec, err) :
		    json_row(w, rec, err);
	/* Encode the row now, while it is known which one it is. */
	if (r == 0 && w->enc != NULL)
		r = flush(w, err);
	if (r == 0 && w->o.format == FMT_CSV && w->o.layouts != NULL)
		r = layout_totals_add(&w->totals, w->o.layouts, rec, err);
	if (r == -1) {
		if (w->enc_failed) {
			w->enc_failed = 0;
			name_refused(w, rec, err);
		}
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
	if (enc_setup(w, err) == -1) {
		w->failed = 1;
		return -1;
	}
	r = layout_begin(w, err);
	if (w->fam != NULL) {
		if (r == 0)
			r = w->fam->finish(w->fst, w, w->rows, err);
	} else switch (w->o.format) {
	case FMT_CSV:
		if (r == 0 && w->rows == 0 && w->o.empty == EMPTY_HEADER &&
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
	if (r == 0)
		r = layout_end(w, err);
	if (r == -1 || flush(w, err) == -1 || drain(w, err) == -1) {
		w->failed = 1;
		return -1;
	}
	w->finished = 1;
	return 0;
}
