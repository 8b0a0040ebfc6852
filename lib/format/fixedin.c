/*
 * fixedin: the readers of files with layouts (fixedin.h).
 *
 * Decisions a reader may look for here:
 * - The last record may lack its record_end (many partners' files end
 *   without the final CRLF); any other record without one is a length
 *   error like any other.  With record_end = crlf a record ending in LF
 *   alone is an error naming it.
 * - Text fields lose the padding of their alignment (left-aligned:
 *   trailing spaces; right: leading spaces); a const or date field its
 *   trailing spaces, as the writer pads them.
 * - A sign byte may be '+', '-' or a blank (a blank is +).
 * - CSV: the header record line is the first line and the trailer the
 *   last one; neither may hold a quoted line break (their fields are
 *   computed, so they never need one).  The lines between are read by
 *   csvin as a CSV file of their own (limit), so its fast path and its
 *   errors are the ones every CSV gets, with the file's line numbers.
 */
#include "fixedin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "csvin.h"
#include "fsutil.h"

#define FIXEDIN_CHUNK	(64 * 1024)
/* The longest header or trailer line of a CSV file. */
#define CSV_LINE_MAX	(64 * 1024)

struct reader {
	const struct fixedin_opts *o;
	const char *label;
	record_fn fn;
	void *ctx;
	struct xerr *err;
	struct text_decoder *dec;
	struct layout_ctx lc;
	struct layout_totals totals;

	struct buf arena;	/* decoded values of one record */
	size_t *off;		/* per field: offset in arena */
	struct value *vals;	/* per field of the widest layout */
	struct value *cols;	/* the data columns of one record */
	const char **names;	/* the data columns' names */
	size_t ncols;
	size_t *colfield;	/* per column: its [record] field */
	size_t maxfields;

	struct buf held;	/* the record held back (trailer?) */
	unsigned long held_no;
	int have_held;
	unsigned long phys;	/* physical records read */
	unsigned long data;	/* data records handed on */
	int header_done;
};

static int
reader_init(struct reader *r, const struct fixedin_opts *o, const char *label,
    record_fn fn, void *ctx, struct xerr *err)
{
	const struct job_layouts *ls = o->layouts;
	const struct layout *rl = &ls->part[LAYOUT_RECORD];
	size_t i, n = 0;
	int p;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->label = label;
	r->fn = fn;
	r->ctx = ctx;
	r->err = err;
	buf_init(&r->arena, 0);
	buf_init(&r->held, 0);
	r->lc.ls = ls;
	r->lc.date = o->date;
	r->lc.has_date = o->has_date;
	if (layout_totals_init(&r->totals, ls, err) == -1)
		return -1;
	for (p = 0; p < LAYOUT_PARTS; p++)
		if (ls->part[p].n > n)
			n = ls->part[p].n;
	r->maxfields = n;
	if ((r->off = calloc(n + 1, sizeof(*r->off))) == NULL ||
	    (r->vals = calloc(n + 1, sizeof(*r->vals))) == NULL ||
	    (r->cols = calloc(rl->n + 1, sizeof(*r->cols))) == NULL ||
	    (r->names = calloc(rl->n + 1, sizeof(*r->names))) == NULL ||
	    (r->colfield = calloc(rl->n + 1, sizeof(*r->colfield))) == NULL)
		return xerr_nomem(err);
	for (i = 0; i < rl->n; i++) {
		if (rl->f[i].type != LT_TEXT && rl->f[i].type != LT_NUMBER)
			continue;
		r->names[r->ncols] = rl->f[i].name;
		r->colfield[r->ncols++] = i;
	}
	if ((r->dec = text_decoder_new(o->encoding, err)) == NULL)
		return -1;
	return 0;
}

static void
reader_release(struct reader *r)
{
	text_decoder_free(r->dec);
	layout_totals_release(&r->totals);
	buf_release(&r->arena);
	buf_release(&r->held);
	free(r->off);
	free(r->vals);
	free(r->cols);
	free(r->names);
	free(r->colfield);
}

static int
data_names(struct reader *r)
{
	if (r->o->on_header != NULL && r->o->on_header(r->ctx, r->label,
	    r->names, r->ncols, r->err) == -1)
		return -1;
	return layout_totals_bind(&r->totals, r->o->layouts, r->names,
	    r->ncols, 0, r->err);
}

/* "record 3" for messages. */
static int
field_error(struct reader *r, unsigned long no, enum layout_part p,
    const struct layout_field *f, const char *why)
{
	return xerr_set(r->err, XERR_DATA, 0, "'%s': record %lu (%s), field "
	    "'%s': %s", r->label, no, layout_part_name(p), f->name, why);
}

/* Decode the fields of part p from rec (its width long) into r->vals. */
static int
decode(struct reader *r, enum layout_part p, const char *rec,
    unsigned long no)
{
	const struct layout *l = &r->o->layouts->part[p];
	const struct layout_field *f;
	char why[300];
	const char *s;
	size_t i, off = 0, start, n;
	int rc;

	buf_reset(&r->arena);
	for (i = 0; i < l->n; i++) {
		f = &l->f[i];
		s = rec + off;
		off += f->width;
		start = r->arena.len;
		r->off[i] = start;
		r->vals[i].kind = VAL_TEXT;
		switch (f->type) {
		case LT_FILLER:
			break;
		case LT_NUMBER:
		case LT_COUNT:
		case LT_SUM:
		case LT_SEQ:
			r->vals[i].kind = VAL_NUMBER;
			rc = layout_number_read(f, s, f->width, &r->arena, why,
			    sizeof(why));
			if (rc == -2)
				return xerr_nomem(r->err);
			if (rc == -1)
				return field_error(r, no, p, f, why);
			break;
		default:
			if (text_decode(r->dec, s, f->width, &r->arena,
			    r->err) == -1) {
				if (r->err->cls != XERR_NOMEM)
					xerr_prefix(r->err, "'%s': record %lu "
					    "(%s), field '%s'", r->label, no,
					    layout_part_name(p), f->name);
				return -1;
			}
			n = r->arena.len - start;
			if (f->type == LT_TEXT && f->right) {
				for (s = r->arena.data + start;
				    n > 0 && *s == ' '; s++, n--)
					;
				memmove(r->arena.data + start, s, n);
			} else {
				while (n > 0 && r->arena.data[start + n - 1] ==
				    ' ')
					n--;
			}
			r->arena.len = start + n;
			break;
		}
		/* Every value NUL-terminated in place. */
		if (buf_putc(&r->arena, '\0') == -1)
			return xerr_nomem(r->err);
	}
	for (i = 0; i < l->n; i++) {
		r->vals[i].ptr = r->arena.data + r->off[i];
		r->vals[i].len = strlen(r->vals[i].ptr);
	}
	return 0;
}

static int
check_len(struct reader *r, enum layout_part p, size_t len, unsigned long no)
{
	size_t w = r->o->layouts->part[p].width;

	if (len != w)
		return xerr_set(r->err, XERR_DATA, 0, "'%s': record %lu (%s) "
		    "is %zu bytes, the [%s] layout has %zu", r->label, no,
		    layout_part_name(p), len, layout_part_name(p), w);
	return 0;
}

static int
do_header(struct reader *r, const char *rec, size_t len, unsigned long no)
{
	if (check_len(r, LAYOUT_HEADER, len, no) == -1 ||
	    decode(r, LAYOUT_HEADER, rec, no) == -1)
		return -1;
	return layout_verify(LAYOUT_HEADER, r->vals, &r->lc, r->label, r->err);
}

static int
do_data(struct reader *r, const char *rec, size_t len, unsigned long no)
{
	const struct layout *rl = &r->o->layouts->part[LAYOUT_RECORD];
	const struct layout_field *f;
	const struct value *v;
	struct record out;
	size_t i;

	if (check_len(r, LAYOUT_RECORD, len, no) == -1 ||
	    decode(r, LAYOUT_RECORD, rec, no) == -1)
		return -1;
	/* const fields of the data record are checked too. */
	for (i = 0; i < rl->n; i++) {
		f = &rl->f[i];
		v = &r->vals[i];
		if (f->type == LT_CONST &&
		    !layout_text_matches(f->arg, v->ptr, v->len))
			return xerr_set(r->err, XERR_DATA, 0, "'%s': record "
			    "%lu, field '%s' is '%.*s', expected '%s'",
			    r->label, no, f->name, v->len > 60 ? 60 :
			    (int)v->len, v->ptr, f->arg);
	}
	for (i = 0; i < r->ncols; i++)
		r->cols[i] = r->vals[r->colfield[i]];
	memset(&out, 0, sizeof(out));
	out.n = r->ncols;
	out.vals = r->cols;
	out.names = r->names;
	out.file = r->label;
	out.recno = ++r->data;
	out.line = r->o->record_end == RECORD_END_NONE ? 0 : no;
	if (layout_totals_add(&r->totals, r->o->layouts, &out, r->err) == -1)
		return -1;
	return r->fn(r->ctx, &out, r->err);
}

static int
do_trailer(struct reader *r, const char *rec, size_t len, unsigned long no)
{
	if (check_len(r, LAYOUT_TRAILER, len, no) == -1 ||
	    decode(r, LAYOUT_TRAILER, rec, no) == -1)
		return -1;
	r->lc.totals = &r->totals;
	return layout_verify(LAYOUT_TRAILER, r->vals, &r->lc, r->label,
	    r->err);
}

/* One physical record, in file order. */
static int
on_phys(struct reader *r, const char *rec, size_t len)
{
	const struct job_layouts *ls = r->o->layouts;
	unsigned long no = ++r->phys;

	if (no == 1 && layout_has(ls, LAYOUT_HEADER))
		return do_header(r, rec, len, no);
	if (!layout_has(ls, LAYOUT_TRAILER))
		return do_data(r, rec, len, no);
	if (r->have_held &&
	    do_data(r, r->held.data, r->held.len, r->held_no) == -1)
		return -1;
	buf_reset(&r->held);
	if (buf_append(&r->held, rec, len) == -1)
		return xerr_nomem(r->err);
	r->held_no = no;
	r->have_held = 1;
	return 0;
}

static int
at_end(struct reader *r)
{
	const struct job_layouts *ls = r->o->layouts;

	if (layout_has(ls, LAYOUT_HEADER) && r->phys == 0)
		return xerr_set(r->err, XERR_DATA, 0, "'%s': no header record "
		    "(the file is empty)", r->label);
	if (layout_has(ls, LAYOUT_TRAILER)) {
		if (!r->have_held)
			return xerr_set(r->err, XERR_DATA, 0, "'%s': no trailer "
			    "record", r->label);
		return do_trailer(r, r->held.data, r->held.len, r->held_no);
	}
	return 0;
}

static size_t
widest(const struct job_layouts *ls)
{
	size_t w = 0;
	int p;

	for (p = 0; p < LAYOUT_PARTS; p++)
		if (layout_has(ls, (enum layout_part)p) && ls->part[p].width > w)
			w = ls->part[p].width;
	return w;
}

static int
read_records(struct reader *r, int fd)
{
	const struct fixedin_opts *o = r->o;
	size_t maxw = widest(o->layouts), cap, start = 0, end = 0, len, got;
	char *buf, *lf;
	int eof = 0, rc = -1;

	if (o->record_end == RECORD_END_NONE && maxw == 0)
		return xerr_set(r->err, XERR_CONFIG, 0, "'%s': the layouts "
		    "have no width", r->label);
	cap = FIXEDIN_CHUNK > 2 * (maxw + 2) ? FIXEDIN_CHUNK : 2 * (maxw + 2);
	if ((buf = malloc(cap)) == NULL)
		return xerr_nomem(r->err);
	for (;;) {
		/* Every whole record in buf[start, end). */
		for (;;) {
			if (o->record_end == RECORD_END_NONE) {
				if (end - start < maxw)
					break;
				if (on_phys(r, buf + start, maxw) == -1)
					goto out;
				start += maxw;
				continue;
			}
			lf = memchr(buf + start, '\n', end - start);
			if (lf == NULL) {
				if (end - start > maxw + 1) {
					xerr_set(r->err, XERR_DATA, 0, "'%s': "
					    "record %lu is longer than %zu "
					    "bytes (no line end)", r->label,
					    r->phys + 1, maxw);
					goto out;
				}
				break;
			}
			len = (size_t)(lf - (buf + start));
			if (o->record_end == RECORD_END_CRLF) {
				if (len == 0 || buf[start + len - 1] != '\r') {
					xerr_set(r->err, XERR_DATA, 0, "'%s': "
					    "record %lu ends in LF alone "
					    "(record_end = crlf)", r->label,
					    r->phys + 1);
					goto out;
				}
				len--;
			}
			if (on_phys(r, buf + start, len) == -1)
				goto out;
			start = (size_t)(lf - buf) + 1;
		}
		if (eof)
			break;
		if (start > 0) {
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
		}
		if (read_some(fd, r->label, buf + end, cap - end, &got,
		    r->err) == -1)
			goto out;
		if (got == 0)
			eof = 1;
		end += got;
	}
	if (end > start) {
		/* The last record without its record_end. */
		if (o->record_end == RECORD_END_NONE) {
			xerr_set(r->err, XERR_DATA, 0, "'%s': the file ends "
			    "inside record %lu (%zu bytes of %zu)", r->label,
			    r->phys + 1, end - start, maxw);
			goto out;
		}
		len = end - start;
		if (o->record_end == RECORD_END_CRLF && buf[end - 1] == '\r')
			len--;
		if (on_phys(r, buf + start, len) == -1)
			goto out;
	}
	rc = at_end(r);
out:
	free(buf);
	return rc;
}

int
fixedin_read_fd(int fd, const char *label, const struct fixedin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	struct reader r;
	int rc = -1;

	if (!layout_has(o->layouts, LAYOUT_RECORD))
		return xerr_set(err, XERR_CONFIG, 0, "'%s': format = fixed "
		    "needs a [record] layout", label);
	if (reader_init(&r, o, label, fn, ctx, err) == 0 &&
	    data_names(&r) == 0)
		rc = read_records(&r, fd);
	reader_release(&r);
	return rc;
}

/* --- CSV with header and trailer lines ---------------------------------- */

/*
 * Split one CSV line (no line end) into fields in place: quoted fields
 * lose their quotes and doubled quotes.  Returns the number of fields,
 * -1 when malformed or more than max.
 */
static long
split_line(char *s, size_t len, char delim, struct value *vals, size_t max)
{
	size_t n = 0, i = 0, o;
	char *field;

	for (;;) {
		if (n == max)
			return -1;
		field = s + i;
		o = i;
		if (i < len && s[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					return -1;
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						s[o++] = '"';
						i++;
						continue;
					}
					i++;
					break;
				}
				s[o++] = s[i];
			}
			if (i < len && s[i] != delim)
				return -1;
		} else {
			while (i < len && s[i] != delim) {
				if (s[i] == '"')
					return -1;
				s[o++] = s[i++];
			}
		}
		vals[n].ptr = field;
		vals[n].len = (size_t)(s + o - field);
		vals[n].kind = VAL_TEXT;
		n++;
		if (i >= len)
			break;
		s[o] = '\0';
		i++;	/* the delimiter */
	}
	s[o] = '\0';
	return (long)n;
}

/* A header or trailer line of bytes: decoded, split and checked. */
static int
csv_part(struct reader *r, enum layout_part p, const char *raw, size_t len,
    unsigned long line)
{
	const struct layout *l = &r->o->layouts->part[p];
	char delim = r->o->delim ? r->o->delim : ',';
	struct value *tmp;
	char where[300];
	long n;
	size_t i;

	if (line != 0)
		snprintf(where, sizeof(where), "%s:%lu", r->label, line);
	else
		snprintf(where, sizeof(where), "%s, last line", r->label);
	if (len > 0 && raw[len - 1] == '\r')
		len--;
	buf_reset(&r->arena);
	if (text_decode(r->dec, raw, len, &r->arena, r->err) == -1) {
		if (r->err->cls != XERR_NOMEM)
			xerr_prefix(r->err, "%s (%s)", where,
			    layout_part_name(p));
		return -1;
	}
	if ((tmp = calloc(l->n + 2, sizeof(*tmp))) == NULL)
		return xerr_nomem(r->err);
	n = split_line(r->arena.data != NULL ? r->arena.data : (char *)"",
	    r->arena.len, delim, tmp, l->n + 1);
	if (n != (long)l->n) {
		free(tmp);
		if (n < 0)
			return xerr_set(r->err, XERR_DATA, 0, "%s: the %s "
			    "line is not a CSV line of %zu field%s", where,
			    layout_part_name(p), l->n,
			    l->n == 1 ? "" : "s");
		return xerr_set(r->err, XERR_DATA, 0, "%s: the %s line "
		    "has %ld field%s, the [%s] layout %zu", where,
		    layout_part_name(p), n,
		    n == 1 ? "" : "s", layout_part_name(p), l->n);
	}
	for (i = 0; i < l->n; i++)
		r->vals[i] = tmp[i];
	free(tmp);
	return layout_verify(p, r->vals, &r->lc, r->label, r->err);
}

static int
csv_on_header(void *ctx, const char *file, const char *const *names,
    size_t n, struct xerr *err)
{
	struct reader *r = ctx;

	if (r->o->on_header != NULL && r->o->on_header(r->ctx, file, names, n,
	    err) == -1)
		return -1;
	return layout_totals_bind(&r->totals, r->o->layouts, names, n, 0, err);
}

static int
csv_on_record(void *ctx, const struct record *rec, struct xerr *err)
{
	struct reader *r = ctx;

	if (layout_totals_add(&r->totals, r->o->layouts, rec, err) == -1)
		return -1;
	r->data++;
	return r->fn(r->ctx, rec, err);
}

/* Read len bytes at off (pread until done); 0 / -1. */
static int
read_at(int fd, const char *label, char *buf, size_t len, off_t off,
    struct xerr *err)
{
	ssize_t k;
	size_t got = 0;

	while (got < len) {
		k = pread(fd, buf + got, len - got, off + (off_t)got);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return xerr_set(err, k == 0 ? XERR_DATA : XERR_TEMP,
			    k == 0 ? 0 : errno, "cannot read '%s'", label);
		got += (size_t)k;
	}
	return 0;
}

int
fixedin_csv_read_fd(int fd, const char *label, const struct fixedin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	const struct job_layouts *ls = o->layouts;
	struct csvin_opts co;
	struct reader r;
	struct stat st;
	char *buf = NULL, *lf;
	off_t size, data_start = 0, data_end, tstart;
	size_t n, tlen = 0;
	unsigned long first_line = 1;
	int rc = -1;

	if (reader_init(&r, o, label, fn, ctx, err) == -1)
		goto out;
	if (fstat(fd, &st) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot stat '%s'", label);
		goto out;
	}
	size = st.st_size;
	data_end = size;
	if ((buf = malloc(CSV_LINE_MAX + 2)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (layout_has(ls, LAYOUT_HEADER)) {
		n = size < CSV_LINE_MAX + 1 ? (size_t)size : CSV_LINE_MAX + 1;
		if (read_at(fd, label, buf, n, 0, err) == -1)
			goto out;
		if (n == 0) {
			xerr_set(err, XERR_DATA, 0, "'%s': no header record "
			    "(the file is empty)", label);
			goto out;
		}
		if ((lf = memchr(buf, '\n', n)) == NULL && n == (size_t)size)
			lf = buf + n;	/* a file of one line */
		if (lf == NULL) {
			xerr_set(err, XERR_DATA, 0, "%s:1: the header line is "
			    "longer than %d bytes", label, CSV_LINE_MAX);
			goto out;
		}
		if (csv_part(&r, LAYOUT_HEADER, buf, (size_t)(lf - buf), 1) ==
		    -1)
			goto out;
		data_start = (off_t)(lf - buf) + 1;
		first_line = 2;
	}
	if (layout_has(ls, LAYOUT_TRAILER)) {
		/* The last line, its line end left out. */
		n = size - data_start < CSV_LINE_MAX + 2 ?
		    (size_t)(size - data_start) : CSV_LINE_MAX + 2;
		tstart = size - (off_t)n;
		if (read_at(fd, label, buf, n, tstart, err) == -1)
			goto out;
		tlen = n;
		if (tlen > 0 && buf[tlen - 1] == '\n')
			tlen--;
		if (tlen > 0 && buf[tlen - 1] == '\r')
			tlen--;
		lf = tlen > 0 ? memrchr(buf, '\n', tlen) : NULL;
		if (n == 0 || (tlen == 0 && lf == NULL)) {
			xerr_set(err, XERR_DATA, 0, "'%s': no trailer record",
			    label);
			goto out;
		}
		if (lf == NULL && tstart != data_start) {
			xerr_set(err, XERR_DATA, 0, "'%s': the trailer line is "
			    "longer than %d bytes", label, CSV_LINE_MAX);
			goto out;
		}
		data_end = lf == NULL ? data_start : tstart + (lf - buf) + 1;
		/* Checked after the data: its count and sums. */
		if (lf != NULL) {
			memmove(buf, lf + 1, (size_t)(buf + tlen - (lf + 1)));
			tlen = (size_t)(buf + tlen - (lf + 1));
		}
	}
	if (lseek(fd, data_start, SEEK_SET) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot seek in '%s'", label);
		goto out;
	}
	memset(&co, 0, sizeof(co));
	co.delim = o->delim;
	co.encoding = o->encoding;
	co.lenient_quotes = o->lenient_quotes;
	co.on_header = csv_on_header;
	co.limit = (long long)(data_end - data_start);
	co.first_line = first_line;
	if (data_end > data_start) {
		if (csvin_read_fd(fd, label, &co, csv_on_record, &r, err) == -1)
			goto out;
	}
	if (layout_has(ls, LAYOUT_TRAILER)) {
		r.lc.totals = &r.totals;
		if (csv_part(&r, LAYOUT_TRAILER, buf, tlen, 0) == -1)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	reader_release(&r);
	return rc;
}
