/*
 * csvin: stream RFC 4180 CSV into records through libcsv.
 *
 * Line numbers.  Every record carries the exact line it starts on, even
 * after quoted newlines, CRLF and skipped blank lines, without a per-line
 * cost: with CSV_REPALL_NL libcsv reports every CR and LF outside quotes
 * (an empty row for a blank line), so the row callback counts the LFs.
 * The LFs it cannot see are those inside quoted fields.  In valid CSV a
 * byte is inside quotes exactly when an odd number of quote characters
 * precede it (a doubled quote toggles twice), and libcsv stops at the
 * first quote that breaks that rule, so a memchr walk over the quotes of
 * each chunk finds every quoted LF.  The chunk is fed to libcsv in pieces
 * cut after each of them; at a cut the row in progress is known to have
 * started on the current line.
 *
 * Values are kept exactly as written.  libcsv's default drops blanks
 * (spaces and tabs) around unquoted fields and after a closing quote; a
 * space function that says "never a blank" stops that, but costs an
 * indirect call per byte (30% of the parse).  The function only matters
 * for the blank bytes themselves, so the same walk finds the blanks
 * outside quotes that touch a delimiter, a quote, a line end or another
 * blank, and only the stretch from such a blank to the next quote or LF
 * is parsed with the function set.
 *
 * Most lines need no parser at all.  libcsv looks at every byte through a
 * state machine and copies every field (half the time of a large send);
 * a line without quotes, without a CR but the one of a CRLF, with the
 * header's number of fields and without a blank libcsv would drop (the
 * walk above has cut those out) is only split at its delimiters, so
 * plain_lines() does that itself, a line at a time, whenever libcsv is
 * between rows, and hands on what libcsv would have.  Any other line goes
 * to libcsv, as do the header and the bytes with exact blanks, and every
 * error comes from the code that reports it on the libcsv path.  A test
 * reads every input both ways and compares (tests/unit/test_csvin_fast.c).
 *
 * Fields of a record are copied into one reusable arena (only the wanted
 * ones), so the steady state allocates nothing.
 *
 * quotes = lenient.  libcsv without CSV_STRICT keeps a quote inside an
 * unquoted field as text (37°36'37.8"N), but it also takes text after a
 * closing quote into the field and goes on as if still inside quotes
 * ("abc"def,x then swallows delimiters and line ends up to the next
 * quote): a partner's stray quote would silently merge fields and rows.
 * So libcsv stays strict, and only its "quote inside an unquoted field"
 * error is taken back: that one quote is fed again without CSV_STRICT,
 * which keeps it as text, and parsing goes on strictly.  The quote walk
 * must then not count such a quote as opening quotes: in lenient mode a
 * quote opens only at the start of a field (after a delimiter, a line end
 * or the start of the file) or right after a closing quote (a doubled
 * quote); where libcsv starts a field is exactly there, because blanks
 * next to a quote are always parsed exactly.
 *
 * Encodings.  A file in CP949 or EUC-KR is read through a text_reader,
 * which hands on UTF-8; everything above works on that, so line numbers
 * are the file's.  UTF-8 input is read with read(2) as before.
 */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "strlist.h"
#include "textenc.h"

#define CSVIN_CHUNK	(256 * 1024)
#define CSVIN_MAX_FIELD_DEFAULT	((size_t)64 << 20)
/* A header wider than this is hostile, not data. */
#define CSVIN_MAX_COLUMNS	65536
/* libcsv grows its field buffer by this much at a time (default 128). */
#define CSVIN_BLK_SIZE	(64 * 1024)

/*
 * libcsv 3.0.3 keeps its parser state in the public struct csv_parser;
 * these are its values (libcsv.c: ROW_NOT_BEGUN ... FIELD_MIGHT_HAVE_ENDED).
 */
#define PSTATE_ROW_NOT_BEGUN		0
#define PSTATE_FIELD_BEGUN		2
#define PSTATE_FIELD_MIGHT_HAVE_ENDED	3

/* Byte classes for plain_lines(). */
#define CLS_PLAIN	0
#define CLS_DELIM	1
#define CLS_OTHER	2	/* LF, CR, quote */

struct fpos {
	size_t off;	/* into the arena */
	size_t len;
};

struct csvin {
	struct csv_parser p;
	long long left;			/* csvin_opts limit: bytes to read */
	const char *label;
	const struct csvin_opts *o;
	record_fn fn;
	void *ctx;
	struct xerr *err;
	unsigned char delim;
	size_t max_field;
	int stop;			/* an error is set: ignore the rest */
	int fast;			/* take plain lines without libcsv */
	int lenient;			/* quotes = lenient */
	struct text_reader *tr;		/* decodes; NULL for UTF-8 */
	unsigned char cls[256];		/* CLS_* of each byte */
	int in_header;
	int inq;			/* the walk is inside quotes */
	/* lenient: the last byte of the previous chunk (-1: none yet), and
	 * whether it was a closing quote */
	int last_byte;
	int closed_at_end;
	unsigned long line;		/* LFs parsed so far, plus one */
	/*
	 * Set at a quoted LF: the row in progress started on row_line;
	 * otherwise a row starts on the line its end is on.
	 */
	int row_pending;
	unsigned long row_line;
	unsigned long recno;

	struct strlist names;		/* the header */
	size_t hdr_bytes;
	size_t nhdr;
	size_t nfield;			/* fields seen in the current row */

	/* Projection, fixed once the header is read. */
	size_t nslot;
	size_t *src;			/* slot -> header index */
	unsigned char *keep;		/* header index -> copy it? */
	/*
	 * Header index (nhdr for any beyond) -> the shortest field that needs
	 * keep_field(): 0 for a wanted field, else one past max_field.
	 */
	size_t *need;
	struct fpos *fpos;		/* header index -> where it is */
	size_t *cut;			/* plain_lines(): delimiter offsets */
	struct value *vals;		/* nslot */
	struct record rec;

	char *arena;			/* this record's kept fields */
	size_t alen;
	size_t acap;
};

static int
never_blank(unsigned char c)
{
	(void)c;
	return 0;
}

static int
csvin_fail(struct csvin *c)
{
	c->stop = 1;
	return -1;
}

/* The line the row being parsed started on. */
static unsigned long
start_line(const struct csvin *c)
{
	return c->row_pending ? c->row_line : c->line;
}

/* A row ended (term is the CR or LF that ended it, -1 at the end). */
static void
row_end(struct csvin *c, int term)
{
	c->row_pending = 0;
	c->nfield = 0;
	c->alen = 0;
	if (term == '\n')
		c->line++;
}

static int
arena_grow(struct csvin *c, size_t need)
{
	size_t cap = c->acap ? c->acap : 4096;
	char *p;

	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return xerr_nomem(c->err);
		cap *= 2;
	}
	if ((p = realloc(c->arena, cap)) == NULL)
		return xerr_nomem(c->err);
	c->arena = p;
	c->acap = cap;
	return 0;
}

static void
field_too_long(struct csvin *c)
{
	xerr_set(c->err, XERR_DATA, 0, "%s:%lu: field longer than %zu bytes",
	    c->label, start_line(c), c->max_field);
	csvin_fail(c);
}

/* Copy n bytes, 1 <= n <= 16, with overlapping loads: no call, no loop. */
static inline void
copy_short(char *d, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t x, y;

	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else {
		d[0] = s[0];
		d[n >> 1] = s[n >> 1];
		d[n - 1] = s[n - 1];
	}
}

static void __attribute__((noinline))
keep_field(struct csvin *c, size_t i, const char *s, size_t len)
{
	if (len > c->max_field) {
		if (!c->stop)
			field_too_long(c);
		return;
	}
	if (i >= c->nhdr || !c->keep[i])
		return;
	if (len + 1 > c->acap - c->alen &&
	    arena_grow(c, c->alen + len + 1) == -1) {
		csvin_fail(c);
		return;
	}
	/* CSV_APPEND_NULL put a NUL at s[len]: copy it along. */
	if (len < 16)
		copy_short(c->arena + c->alen, s, len + 1);
	else
		memcpy(c->arena + c->alen, s, len + 1);
	c->fpos[i].off = c->alen;
	c->fpos[i].len = len;
	c->alen += len + 1;
}

/* keep_field() for a field in the input, with no NUL after it. */
static void __attribute__((noinline))
keep_plain(struct csvin *c, size_t i, const char *s, size_t len)
{
	if (len > c->max_field) {
		if (!c->stop)
			field_too_long(c);
		return;
	}
	if (!c->keep[i])
		return;
	if (len + 1 > c->acap - c->alen &&
	    arena_grow(c, c->alen + len + 1) == -1) {
		csvin_fail(c);
		return;
	}
	if (len > 0 && len <= 16)
		copy_short(c->arena + c->alen, s, len);
	else
		memcpy(c->arena + c->alen, s, len);
	c->arena[c->alen + len] = '\0';
	c->fpos[i].off = c->alen;
	c->fpos[i].len = len;
	c->alen += len + 1;
}

/*
 * The hot path: one call per field of every data record.  Skipping an
 * unwanted field must not pay for the copy's register saves, and costs
 * one load and one compare: need[] folds "wanted" and "too long" into one
 * threshold, and a field past the header's count (an error data_row()
 * reports) uses the last entry, so there is no bounds branch either.
 */
static void
data_field(void *s, size_t len, void *data)
{
	struct csvin *c = data;
	size_t i = c->nfield++;

	if (len >= c->need[i < c->nhdr ? i : c->nhdr])
		keep_field(c, i, s, len);
}

static void
data_row(int term, void *data)
{
	struct csvin *c = data;
	const struct fpos *f;
	size_t s;

	/* CSV_REPALL_NL: a CR or LF with no row before it. */
	if (c->nfield == 0 || c->stop)
		goto done;
	if (c->nfield != c->nhdr) {
		xerr_set(c->err, XERR_DATA, 0,
		    "%s:%lu: record has %zu field%s, header has %zu",
		    c->label, start_line(c), c->nfield,
		    c->nfield == 1 ? "" : "s", c->nhdr);
		csvin_fail(c);
		goto done;
	}
	for (s = 0; s < c->nslot; s++) {
		f = &c->fpos[c->src[s]];
		c->vals[s].ptr = c->arena + f->off;
		c->vals[s].len = f->len;
	}
	c->rec.recno = ++c->recno;
	c->rec.line = start_line(c);
	if (c->fn != NULL && c->fn(c->ctx, &c->rec, c->err) == -1)
		csvin_fail(c);
done:
	row_end(c, term);
}

static int
cmp_name(const void *a, const void *b)
{
	const char *const *x = *(const char *const *const *)a;
	const char *const *y = *(const char *const *const *)b;
	int d = strcmp(*x, *y);

	/* Equal names stay in header order. */
	if (d == 0)
		return x < y ? -1 : x > y;
	return d;
}

static int
check_names(struct csvin *c)
{
	char ***sorted, **dup = NULL;
	size_t i;

	for (i = 0; i < c->nhdr; i++)
		if (c->names.v[i][0] == '\0')
			return xerr_set(c->err, XERR_DATA, 0,
			    "%s:%lu: header field %zu has no name", c->label,
			    start_line(c), i + 1);
	if (c->nhdr < 2)
		return 0;
	/* Sort pointers into names.v, to name the first repeat. */
	if ((sorted = malloc(c->nhdr * sizeof(*sorted))) == NULL)
		return xerr_nomem(c->err);
	for (i = 0; i < c->nhdr; i++)
		sorted[i] = &c->names.v[i];
	qsort(sorted, c->nhdr, sizeof(*sorted), cmp_name);
	for (i = 1; i < c->nhdr; i++)
		if (strcmp(*sorted[i - 1], *sorted[i]) == 0 &&
		    (dup == NULL || sorted[i] < dup))
			dup = sorted[i];
	free(sorted);
	if (dup != NULL)
		return xerr_set(c->err, XERR_DATA, 0,
		    "%s:%lu: duplicate field name '%s' in header", c->label,
		    start_line(c), *dup);
	return 0;
}

/* The header is complete: check it and fix the projection. */
static int
header_done(struct csvin *c)
{
	const struct csvin_opts *o = c->o;
	size_t s, i;

	c->nhdr = c->names.n;
	if (check_names(c) == -1)
		return -1;
	if (o->on_header != NULL && o->on_header(c->ctx, c->label,
	    (const char *const *)c->names.v, c->nhdr, c->err) == -1)
		return -1;
	c->nslot = o->want != NULL ? o->nwant : c->nhdr;
	c->src = calloc(c->nslot ? c->nslot : 1, sizeof(*c->src));
	c->vals = calloc(c->nslot ? c->nslot : 1, sizeof(*c->vals));
	c->keep = calloc(c->nhdr, sizeof(*c->keep));
	c->need = calloc(c->nhdr + 1, sizeof(*c->need));
	c->fpos = calloc(c->nhdr, sizeof(*c->fpos));
	c->cut = calloc(c->nhdr, sizeof(*c->cut));
	if (c->src == NULL || c->vals == NULL || c->keep == NULL ||
	    c->need == NULL || c->fpos == NULL || c->cut == NULL)
		return xerr_nomem(c->err);
	/* SIZE_MAX: every length is at most max_field, so 0 does no harm. */
	for (i = 0; i <= c->nhdr; i++)
		c->need[i] = c->max_field + 1;
	for (s = 0; s < c->nslot; s++) {
		if (o->want == NULL)
			i = s;
		else {
			for (i = 0; i < c->nhdr; i++)
				if (strcmp(c->names.v[i], o->want[s]) == 0)
					break;
			if (i == c->nhdr)
				return xerr_set(c->err, XERR_DATA, 0,
				    "%s:%lu: no field '%s' in header",
				    c->label, start_line(c), o->want[s]);
		}
		c->src[s] = i;
		c->keep[i] = 1;
		c->need[i] = 0;
		c->vals[s].kind = VAL_TEXT;
	}
	c->rec.n = c->nslot;
	c->rec.vals = c->vals;
	c->rec.names = o->want != NULL ? o->want :
	    (const char *const *)c->names.v;
	c->rec.file = c->label;
	c->in_header = 0;
	return 0;
}

static void
header_field(void *s, size_t len, void *data)
{
	struct csvin *c = data;

	if (!c->in_header) {
		data_field(s, len, data);
		return;
	}
	c->nfield++;
	if (c->stop)
		return;
	if (len > c->max_field || c->hdr_bytes > c->max_field - len) {
		xerr_set(c->err, XERR_DATA, 0,
		    "%s:%lu: header longer than %zu bytes", c->label,
		    start_line(c), c->max_field);
		csvin_fail(c);
		return;
	}
	if (c->names.n >= CSVIN_MAX_COLUMNS) {
		xerr_set(c->err, XERR_DATA, 0,
		    "%s:%lu: header has more than %d fields", c->label,
		    start_line(c), CSVIN_MAX_COLUMNS);
		csvin_fail(c);
		return;
	}
	if (strlist_add(&c->names, s) == -1) {
		xerr_nomem(c->err);
		csvin_fail(c);
		return;
	}
	c->hdr_bytes += len + 1;
}

static void
header_row(int term, void *data)
{
	struct csvin *c = data;

	if (!c->in_header) {
		data_row(term, data);
		return;
	}
	if (c->nfield > 0 && !c->stop && header_done(c) == -1)
		csvin_fail(c);
	row_end(c, term);
}

/*
 * The fast path.  Between rows, a complete line that holds no quote, no
 * CR but one right before its LF, and exactly as many fields as the
 * header, is split here at its delimiters without libcsv, which would do
 * nothing else with it: feed() only calls this for bytes without blanks
 * that libcsv would drop (see the top of the file), and such a line
 * leaves libcsv between rows again.  The record and the line count come
 * out as data_field() and data_row() make them.  Returns the bytes of the
 * lines taken; stops before any other line.
 */
static size_t
plain_lines(struct csvin *c, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *line;
	const unsigned char *end = p + len, *eol, *f;
	const unsigned char *cls = c->cls;
	size_t nf, i, last = c->nhdr - 1, flen;

	while (p < end) {
		line = p;
		nf = 0;
		for (;;) {
			while (p < end && cls[*p] == CLS_PLAIN)
				p++;
			if (p == end)
				goto stop;
			if (cls[*p] != CLS_DELIM)
				break;
			/* More fields than the header: libcsv's error. */
			if (nf == last)
				goto stop;
			c->cut[nf++] = (size_t)(p - line);
			p++;
		}
		eol = p;
		if (*p == '\r') {
			if (p + 1 == end || p[1] != '\n')
				goto stop;
			p++;
		}
		/* A quote, a blank line or too few fields: for libcsv. */
		if (*p != '\n' || nf != last || (nf == 0 && eol == line))
			goto stop;
		p++;
		for (i = 0, f = line; i <= last; i++) {
			flen = (size_t)((i < last ? line + c->cut[i] : eol) -
			    f);
			if (flen >= c->need[i])
				keep_plain(c, i, (const char *)f, flen);
			f += flen + 1;
		}
		c->nfield = c->nhdr;
		if (*eol == '\r') {
			data_row(CSV_CR, c);
			data_row(CSV_LF, c);
		} else {
			data_row(CSV_LF, c);
		}
		if (c->stop)
			return (size_t)(line - (const unsigned char *)s);
	}
	return len;
stop:
	return (size_t)(line - (const unsigned char *)s);
}

static int
parse_error(struct csvin *c)
{
	int e = csv_error(&c->p);

	if (e == CSV_ENOMEM)
		return xerr_nomem(c->err);
	if (e == CSV_ETOOBIG) {
		field_too_long(c);
		return -1;
	}
	if (c->p.pstate == PSTATE_FIELD_MIGHT_HAVE_ENDED)
		return xerr_set(c->err, XERR_DATA, 0,
		    "%s:%lu: malformed quoted field: text after the closing "
		    "quote", c->label, c->line);
	if (c->p.pstate == PSTATE_FIELD_BEGUN && !c->p.quoted)
		return xerr_set(c->err, XERR_DATA, 0,
		    "%s:%lu: malformed field: quote inside an unquoted field "
		    "(quotes = lenient in the job takes such quotes as text)",
		    c->label, c->line);
	return xerr_set(c->err, XERR_DATA, 0, "%s:%lu: malformed CSV: %s",
	    c->label, c->line, csv_strerror(e));
}

/* Hand s[0..len) to libcsv. */
static int
libcsv_parse(struct csvin *c, const char *s, size_t len)
{
	int opts;
	size_t n;

	for (;;) {
		n = csv_parse(&c->p, s, len, c->in_header ? header_field :
		    data_field, c->in_header ? header_row : data_row, c);
		if (n == len)
			break;
		if (c->stop)
			return -1;
		if (!c->lenient || csv_error(&c->p) != CSV_EPARSE ||
		    c->p.pstate != PSTATE_FIELD_BEGUN || c->p.quoted) {
			csvin_fail(c);
			return parse_error(c);
		}
		/* s[n] is a quote inside an unquoted field: without
		 * CSV_STRICT libcsv keeps it as text (see the top). */
		opts = csv_get_opts(&c->p);
		csv_set_opts(&c->p, (unsigned char)(opts & ~CSV_STRICT));
		n += csv_parse(&c->p, s + n, 1, c->in_header ? header_field :
		    data_field, c->in_header ? header_row : data_row, c);
		csv_set_opts(&c->p, (unsigned char)opts);
		c->p.status = CSV_SUCCESS;
		s += n;
		len -= n;
	}
	return c->stop ? -1 : 0;
}

/*
 * libcsv grows its field buffer by blk_size at a time, so a long field
 * would cost a copy of the buffer every 64 KiB (quadratic: minutes for a
 * field near max_field where realloc cannot grow in place).  Keep the step
 * as large as the buffer, so it doubles, but never past max_field plus a
 * chunk: feed() reports a field longer than max_field within a chunk.
 */
static void
grow_step(struct csvin *c)
{
	size_t have = c->p.entry_size, cap = c->max_field + CSVIN_CHUNK, step;

	step = have < cap ? cap - have : 0;
	if (step > have)
		step = have;
	if (step < CSVIN_BLK_SIZE)
		step = CSVIN_BLK_SIZE;
	if (step != c->p.blk_size)
		csv_set_blk_size(&c->p, step);
}

/*
 * Feed s[0..len) (exact: blanks are plain bytes).  Where libcsv is
 * between rows, plain_lines() takes the lines it can; libcsv gets the rest
 * a line at a time, so that the fast path resumes after the line.
 */
static int
feed(struct csvin *c, const char *s, size_t len, int exact)
{
	const char *lf;
	size_t n;

	if (len == 0)
		return 0;
	csv_set_space_func(&c->p, exact ? never_blank : NULL);
	if (exact || !c->fast) {
		if (libcsv_parse(c, s, len) == -1)
			return -1;
		len = 0;
	}
	while (len > 0) {
		if (!c->in_header && c->p.pstate == PSTATE_ROW_NOT_BEGUN) {
			n = plain_lines(c, s, len);
			if (c->stop)
				return -1;
			s += n;
			len -= n;
			if (len == 0)
				break;
		}
		lf = memchr(s, '\n', len);
		n = lf != NULL ? (size_t)(lf + 1 - s) : len;
		if (libcsv_parse(c, s, n) == -1)
			return -1;
		s += n;
		len -= n;
	}
	/* A field still open: libcsv must not grow it without bound. */
	if (c->p.entry_pos > c->max_field &&
	    c->p.entry_pos - c->max_field > 1) {
		field_too_long(c);
		return -1;
	}
	grow_step(c);
	/*
	 * A row still open with more fields than any header may have: it
	 * cannot end well, so say so now rather than count fields to the
	 * end of a line that may be gigabytes long.
	 */
	if (!c->in_header && c->nfield > CSVIN_MAX_COLUMNS) {
		xerr_set(c->err, XERR_DATA, 0,
		    "%s:%lu: record has more than %d fields, header has %zu",
		    c->label, start_line(c), CSVIN_MAX_COLUMNS, c->nhdr);
		return csvin_fail(c);
	}
	return 0;
}

static int
is_edge(unsigned char ch, unsigned char delim)
{
	return ch == delim || ch == '"' || ch == '\n' || ch == '\r' ||
	    ch == ' ' || ch == '\t';
}

/* The first ch in [from, end), or NULL; ch 0 means none wanted. */
static const char *
find(const char *from, const char *end, int ch)
{
	if (ch == 0 || from >= end)
		return NULL;
	return memchr(from, ch, (size_t)(end - from));
}

/* Earliest of two positions that may be NULL. */
static const char *
first_of(const char *a, const char *b)
{
	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	return a < b ? a : b;
}

/*
 * lenient: whether the quote at q (not inside quotes) opens a quoted
 * field: at the start of a field, or right after the quote that closed
 * one (a doubled quote).  closed is the last closing quote seen in this
 * chunk (NULL: none).
 */
static int
opens_quotes(const struct csvin *c, const char *buf, const char *q,
    const char *closed)
{
	int prev;

	if (q == buf) {
		if (c->closed_at_end)
			return 1;
		prev = c->last_byte;
	} else {
		if (q - 1 == closed)
			return 1;
		prev = (unsigned char)q[-1];
	}
	return prev == -1 || prev == c->delim || prev == '\n' ||
	    prev == '\r';
}

/*
 * Feed one chunk, cut after each quoted LF and around the stretches that
 * need exact blanks (see the top of the file).
 */
static int
parse_chunk(struct csvin *c, const char *buf, size_t n)
{
	const char *end = buf + n, *pos = buf, *scan = buf, *closed = NULL;
	const char *q, *sp, *tab, *b, *lf, *x;
	int rc;
	int chsp = c->delim == ' ' ? 0 : ' ';
	int chtab = c->delim == '\t' ? 0 : '\t';

	q = find(buf, end, '"');
	sp = find(buf, end, chsp);
	tab = find(buf, end, chtab);
	for (;;) {
		if (c->inq) {
			/* Every LF up to the next quote is quoted. */
			x = q != NULL ? q : end;
			for (lf = find(scan, x, '\n'); lf != NULL;
			    lf = find(lf + 1, x, '\n')) {
				if (feed(c, pos, (size_t)(lf + 1 - pos), 0) ==
				    -1)
					return -1;
				pos = lf + 1;
				if (!c->row_pending) {
					c->row_pending = 1;
					c->row_line = c->line;
				}
				c->line++;
			}
			if (q == NULL)
				break;
			c->inq = 0;
			closed = q;
			scan = q + 1;
			q = find(scan, end, '"');
			continue;
		}
		if (sp != NULL && sp < scan)
			sp = find(scan, end, chsp);
		if (tab != NULL && tab < scan)
			tab = find(scan, end, chtab);
		b = first_of(sp, tab);
		if (q != NULL && (b == NULL || q < b)) {
			/* lenient: a quote inside an unquoted field is text */
			c->inq = !c->lenient || opens_quotes(c, buf, q, closed);
			scan = q + 1;
			q = find(scan, end, '"');
			continue;
		}
		if (b == NULL)
			break;
		if (b > buf && b + 1 < end &&
		    !is_edge((unsigned char)b[-1], c->delim) &&
		    !is_edge((unsigned char)b[1], c->delim)) {
			/* Inside a field: libcsv keeps it either way. */
			scan = b + 1;
			continue;
		}
		lf = find(b, end, '\n');
		x = first_of(q, lf);
		if (x == NULL)
			x = end;
		if (feed(c, pos, (size_t)(b - pos), 0) == -1 ||
		    feed(c, b, (size_t)(x - b), 1) == -1)
			return -1;
		pos = scan = x;
	}
	rc = feed(c, pos, (size_t)(end - pos), 0);
	if (n > 0) {
		c->last_byte = (unsigned char)end[-1];
		c->closed_at_end = closed == end - 1;
	}
	return rc;
}

/* The next bytes of the file, decoded when it is not UTF-8. */
static int
read_chunk(struct csvin *c, int fd, char *buf, size_t size, size_t *got)
{
	ssize_t n;

	if (c->tr == NULL) {
		/* csvin_opts limit: the text_reader has its own. */
		if (c->o->limit > 0 && (long long)size > c->left)
			size = (size_t)c->left;
		*got = 0;
		if (size == 0)
			return 0;
		if (read_some(fd, c->label, buf, size, got, c->err) == -1)
			return -1;
		c->left -= (long long)*got;
		return 0;
	}
	if ((n = text_reader_read(c->tr, buf, size, c->err)) == -1)
		return -1;
	*got = (size_t)n;
	return 0;
}

static int
csvin_run(struct csvin *c, int fd)
{
	char *buf, *s;
	size_t n = 0, got = 0, bom;
	const char *nul;
	int first = 1, rc = -1;

	if ((buf = malloc(CSVIN_CHUNK)) == NULL)
		return xerr_nomem(c->err);
	for (;;) {
		if (read_chunk(c, fd, buf + n, CSVIN_CHUNK - n, &got) == -1)
			goto fail;
		n += got;
		s = buf;
		if (first) {
			if (utf8_bom_pending(buf, n, got, &bom))
				continue;
			first = 0;
			s += bom;
			n -= bom;
		}
		/* libcsv would pass NUL on; values are C strings. */
		if ((nul = memchr(s, '\0', n)) != NULL) {
			if (parse_chunk(c, s, (size_t)(nul - s)) == -1)
				goto fail;
			xerr_set(c->err, XERR_DATA, 0,
			    "%s:%lu: NUL byte in field", c->label, c->line);
			goto fail;
		}
		if (parse_chunk(c, s, n) == -1)
			goto fail;
		n = 0;
		if (got == 0)
			break;
	}
	if (csv_fini(&c->p, c->in_header ? header_field : data_field,
	    c->in_header ? header_row : data_row, c) == -1) {
		xerr_set(c->err, XERR_DATA, 0,
		    "%s:%lu: unterminated quoted field", c->label,
		    start_line(c));
		goto fail;
	}
	if (c->stop)
		goto fail;
	rc = 0;
fail:
	free(buf);
	return rc;
}

/* csvin_opts names: there is no header line, the names are given. */
static int
given_header(struct csvin *c)
{
	size_t i;

	if (c->o->nnames == 0)
		return xerr_set(c->err, XERR_CONFIG, 0,
		    "cannot read '%s': no field names given", c->label);
	for (i = 0; i < c->o->nnames; i++)
		if (strlist_add(&c->names, c->o->names[i]) == -1)
			return xerr_nomem(c->err);
	return header_done(c);
}

/* csvin_read_fd(); fast 0 leaves every byte to libcsv (for tests). */
static int
read_fd(int fd, const char *label, const struct csvin_opts *o,
    record_fn fn, void *ctx, struct xerr *err, int fast)
{
	static const struct csvin_opts defaults;
	struct csvin c;
	int rc;

	memset(&c, 0, sizeof(c));
	if (o == NULL)
		o = &defaults;
	if (label == NULL)
		label = "(input)";
	c.delim = o->delim ? (unsigned char)o->delim : ',';
	if (c.delim == '"' || c.delim == '\r' || c.delim == '\n')
		return xerr_set(err, XERR_CONFIG, 0,
		    "cannot read '%s': invalid delimiter", label);
	if (csv_init(&c.p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL |
	    CSV_REPALL_NL) != 0)
		return xerr_nomem(err);
	csv_set_delim(&c.p, c.delim);
	csv_set_blk_size(&c.p, CSVIN_BLK_SIZE);
	c.label = label;
	c.o = o;
	c.fn = fn;
	c.ctx = ctx;
	c.err = err;
	c.max_field = o->max_field ? o->max_field : CSVIN_MAX_FIELD_DEFAULT;
	c.in_header = 1;
	c.line = o->first_line ? o->first_line : 1;
	c.fast = fast;
	c.lenient = o->lenient_quotes;
	c.last_byte = -1;
	c.cls[c.delim] = CLS_DELIM;
	c.cls['\n'] = CLS_OTHER;
	c.cls['\r'] = CLS_OTHER;
	c.cls['"'] = CLS_OTHER;

	rc = o->names != NULL ? given_header(&c) : 0;
	if (rc == 0 && o->encoding != TEXTENC_UTF8 &&
	    (c.tr = text_reader_new(fd, o->encoding, label, err)) == NULL)
		rc = -1;
	c.left = o->limit;
	if (rc == 0 && c.tr != NULL && o->limit > 0)
		text_reader_range(c.tr, lseek(fd, 0, SEEK_CUR), o->limit);
	if (rc == 0)
		rc = csvin_run(&c, fd);

	csv_free(&c.p);
	text_reader_free(c.tr);
	strlist_free(&c.names);
	free(c.src);
	free(c.keep);
	free(c.need);
	free(c.cut);
	free(c.fpos);
	free(c.vals);
	free(c.arena);
	return rc;
}

int
csvin_read_fd(int fd, const char *label, const struct csvin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	return read_fd(fd, label, o, fn, ctx, err, 1);
}

int
csvin_read_file(const char *path, const struct csvin_opts *o, record_fn fn,
    void *ctx, struct xerr *err)
{
	int fd, rc, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		e = errno;
		return xerr_set(err, e == EMFILE || e == ENFILE ||
		    e == ENOMEM || e == EIO || e == EINTR ? XERR_TEMP :
		    XERR_PERM, e, "cannot open '%s'", path);
	}
	rc = csvin_read_fd(fd, path, o, fn, ctx, err);
	close(fd);
	return rc;
}
