/*
 * fixedout: the format = fixed writer (fixedout.h).
 *
 * Decisions a reader may look for here:
 * - A NULL or empty text value is all padding; a NULL or empty number is
 *   an error (a zero amount must be written as 0 by the source, not
 *   guessed).
 * - A CR or LF inside a text value is an error: it would end the record
 *   early for any reader that splits on lines.
 * - Error messages number the records of the file's data from 1
 *   ("record 3, field 'name': ..."), then name the source's place.
 */
#include "fixedout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writer_impl.h"

struct fixedout {
	struct fixedout_opts o;
	struct text_encoder *enc;
	struct layout_totals totals;
	size_t *col;		/* per [record] field: its column */
	struct buf tmp, val;
	int have_cols;
};

struct fixedout *
fixedout_new(const struct fixedout_opts *o, struct xerr *err)
{
	struct fixedout *fo;
	const struct layout *rl = &o->layouts->part[LAYOUT_RECORD];

	if ((fo = calloc(1, sizeof(*fo))) == NULL) {
		xerr_nomem(err);
		return NULL;
	}
	fo->o = *o;
	buf_init(&fo->tmp, 0);
	buf_init(&fo->val, 0);
	if ((fo->col = calloc(rl->n + 1, sizeof(*fo->col))) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	if (layout_totals_init(&fo->totals, o->layouts, err) == -1)
		goto fail;
	if ((fo->enc = text_encoder_new(o->encoding, o->unmappable_replace,
	    err)) == NULL)
		goto fail;
	return fo;
fail:
	fixedout_free(fo);
	return NULL;
}

void
fixedout_free(struct fixedout *fo)
{
	if (fo == NULL)
		return;
	text_encoder_free(fo->enc);
	layout_totals_release(&fo->totals);
	free(fo->col);
	buf_release(&fo->tmp);
	buf_release(&fo->val);
	free(fo);
}

unsigned long
fixedout_replaced(const struct fixedout *fo)
{
	return fo->enc != NULL ? text_encoder_replaced(fo->enc) : 0;
}

int
fixedout_columns(struct fixedout *fo, const char *const *names, size_t n,
    struct xerr *err)
{
	const struct layout *rl = &fo->o.layouts->part[LAYOUT_RECORD];
	const struct layout_field *f;
	size_t i, j;

	for (i = 0; i < rl->n; i++) {
		f = &rl->f[i];
		if (f->type != LT_TEXT && f->type != LT_NUMBER)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(names[j], f->arg) == 0)
				break;
		if (j == n)
			return xerr_set(err, XERR_DATA, 0, "[record] '%s': the "
			    "data has no field '%s'", f->name, f->arg);
		fo->col[i] = j;
	}
	if (layout_totals_bind(&fo->totals, fo->o.layouts, names, n, 1,
	    err) == -1)
		return -1;
	fo->have_cols = 1;
	return 0;
}

/* n bytes of c (' ' or '0'). */
static int
pad(struct buf *out, char c, size_t n)
{
	static const char spaces[64] = "                                "
	    "                                ";
	static const char zeros[64] = "00000000000000000000000000000000"
	    "00000000000000000000000000000000";
	size_t k;

	while (n > 0) {
		k = n < sizeof(spaces) ? n : sizeof(spaces);
		if (buf_append(out, c == '0' ? zeros : spaces, k) == -1)
			return -1;
		n -= k;
	}
	return 0;
}

/* "record 3" or "header" into where, for messages. */
static void
where_of(enum layout_part p, unsigned long recno, char *where, size_t size)
{
	if (p == LAYOUT_RECORD)
		snprintf(where, size, "record %lu", recno);
	else
		snprintf(where, size, "%s", layout_part_name(p));
}

/* Text (UTF-8) encoded, cut or refused, padded into f->width bytes. */
static int
put_text(struct fixedout *fo, const struct layout_field *f, const char *s,
    size_t len, int right, int truncate, const char *where,
    struct buf *out, struct xerr *err)
{
	size_t n;

	if (memchr(s, '\n', len) != NULL || memchr(s, '\r', len) != NULL)
		return xerr_set(err, XERR_DATA, 0, "%s, field '%s': the value "
		    "holds a line break", where, f->name);
	buf_reset(&fo->tmp);
	if (text_encode(fo->enc, s, len, &fo->tmp, err) == -1) {
		if (err->cls != XERR_NOMEM)
			xerr_prefix(err, "%s, field '%s'", where, f->name);
		return -1;
	}
	n = fo->tmp.len;
	if (n > f->width) {
		if (!truncate)
			return xerr_set(err, XERR_DATA, 0, "%s, field '%s': "
			    "'%.*s' is %zu bytes in %s, the field has %zu",
			    where, f->name, len > 60 ? 60 : (int)len, s, n,
			    textenc_name(fo->o.encoding), f->width);
		n = text_cut(fo->o.encoding, fo->tmp.data, n, f->width);
	}
	if ((right && pad(out, ' ', f->width - n) == -1) ||
	    buf_append(out, fo->tmp.data, n) == -1 ||
	    (!right && pad(out, ' ', f->width - n) == -1))
		return xerr_nomem(err);
	return 0;
}

static int
put_number(const struct layout_field *f, const char *s, size_t len,
    const char *where, struct buf *out, struct xerr *err)
{
	char why[256];
	int rc;

	if (len == 0)
		return xerr_set(err, XERR_DATA, 0, "%s, field '%s': empty (a "
		    "number field needs a value)", where, f->name);
	rc = layout_number_fixed(f, s, len, out, why, sizeof(why));
	if (rc == -2)
		return xerr_nomem(err);
	if (rc == -1)
		return xerr_set(err, XERR_DATA, 0, "%s, field '%s': %s", where,
		    f->name, why);
	return 0;
}

static int
put_record(struct fixedout *fo, enum layout_part p, const struct record *rec,
    unsigned long recno, struct buf *out, struct xerr *err)
{
	const struct layout *l = &fo->o.layouts->part[p];
	const struct layout_field *f;
	const struct value *v;
	struct layout_ctx c;
	char where[64], src[512];
	size_t i, start = out->len;
	int rc = 0;

	where_of(p, recno, where, sizeof(where));
	memset(&c, 0, sizeof(c));
	c.ls = fo->o.layouts;
	c.date = fo->o.date;
	c.seq = fo->o.seq;
	c.totals = p == LAYOUT_TRAILER ? &fo->totals : NULL;
	for (i = 0; i < l->n && rc == 0; i++) {
		f = &l->f[i];
		switch (f->type) {
		case LT_TEXT:
		case LT_NUMBER:
			if (rec == NULL)	/* refused by layouts_check() */
				return xerr_set(err, XERR_CONFIG, 0, "%s, field "
				    "'%s': no data", where, f->name);
			v = &rec->vals[fo->col[i]];
			if (f->type == LT_TEXT)
				rc = put_text(fo, f, v->kind == VAL_NULL ? "" :
				    v->ptr, v->kind == VAL_NULL ? 0 : v->len,
				    f->right, f->truncate, where, out, err);
			else
				rc = put_number(f, v->kind == VAL_NULL ? "" :
				    v->ptr, v->kind == VAL_NULL ? 0 : v->len,
				    where, out, err);
			break;
		case LT_FILLER:
			if (pad(out, f->zero ? '0' : ' ', f->width) == -1)
				return xerr_nomem(err);
			break;
		case LT_CONST:
		case LT_DATE:
			buf_reset(&fo->val);
			if (layout_value(f, &c, &fo->val, err) == -1)
				return -1;
			rc = put_text(fo, f, fo->val.data ? fo->val.data : "",
			    fo->val.len, 0, 0, where, out, err);
			break;
		case LT_COUNT:
		case LT_SUM:
		case LT_SEQ:
			buf_reset(&fo->val);
			if (layout_value(f, &c, &fo->val, err) == -1)
				return -1;
			rc = put_number(f, fo->val.data, fo->val.len, where,
			    out, err);
			break;
		}
	}
	if (rc == -1) {
		out->len = start;
		if (rec != NULL && err->cls == XERR_DATA) {
			record_where(rec, src, sizeof(src));
			xerr_prefix(err, "%s", src);
		}
		return -1;
	}
	switch (fo->o.record_end) {
	case RECORD_END_CRLF:
		rc = buf_append(out, "\r\n", 2);
		break;
	case RECORD_END_LF:
		rc = buf_putc(out, '\n');
		break;
	case RECORD_END_NONE:
		break;
	}
	return rc == -1 ? xerr_nomem(err) : 0;
}

int
fixedout_header(struct fixedout *fo, struct buf *out, struct xerr *err)
{
	if (!layout_has(fo->o.layouts, LAYOUT_HEADER))
		return 0;
	return put_record(fo, LAYOUT_HEADER, NULL, 0, out, err);
}

int
fixedout_row(struct fixedout *fo, const struct record *rec,
    unsigned long recno, struct buf *out, struct xerr *err)
{
	if (!fo->have_cols)
		return xerr_set(err, XERR_PERM, 0, "fixedout: row before "
		    "columns");
	if (put_record(fo, LAYOUT_RECORD, rec, recno, out, err) == -1)
		return -1;
	return layout_totals_add(&fo->totals, fo->o.layouts, rec, err);
}

int
fixedout_trailer(struct fixedout *fo, struct buf *out, struct xerr *err)
{
	if (!layout_has(fo->o.layouts, LAYOUT_TRAILER))
		return 0;
	return put_record(fo, LAYOUT_TRAILER, NULL, 0, out, err);
}

/* --- the writer's family (writer_impl.h) ------------------------------- */

/* One file: its records go through out, the header before the first. */
struct fo_file {
	struct fixedout *fo;
	struct buf out;
	int started;
};

static void *
fo_open(const struct writer_opts *o)
{
	struct fixedout_opts fo;
	struct fo_file *f;
	struct xerr e;

	if (o->layouts == NULL || (f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	memset(&fo, 0, sizeof(fo));
	fo.layouts = o->layouts;
	fo.encoding = o->encoding;
	fo.unmappable_replace = o->replace;
	fo.record_end = o->record_end;
	fo.date = o->date;
	fo.seq = o->seq;
	if ((f->fo = fixedout_new(&fo, &e)) == NULL) {
		free(f);
		return NULL;
	}
	buf_init(&f->out, 0);
	return f;
}

static void
fo_close(void *st)
{
	struct fo_file *f = st;

	fixedout_free(f->fo);
	buf_release(&f->out);
	free(f);
}

static int
fo_columns(void *st, const char *const *names, size_t n, struct xerr *err)
{
	return fixedout_columns(((struct fo_file *)st)->fo, names, n, err);
}

/* What the last call made, to the writer's output. */
static int
fo_put(struct fo_file *f, struct writer *w, struct xerr *err)
{
	return f->out.len > 0 ? writer_put(w, f->out.data, f->out.len, err) :
	    0;
}

/* The header record, once, before anything else. */
static int
fo_begin(struct fo_file *f, struct writer *w, struct xerr *err)
{
	if (f->started)
		return 0;
	f->started = 1;
	buf_reset(&f->out);
	if (fixedout_header(f->fo, &f->out, err) == -1)
		return -1;
	return fo_put(f, w, err);
}

static int
fo_row(void *st, struct writer *w, const struct record *rec,
    unsigned long rowno, struct xerr *err)
{
	struct fo_file *f = st;

	if (fo_begin(f, w, err) == -1)
		return -1;
	buf_reset(&f->out);
	if (fixedout_row(f->fo, rec, rowno, &f->out, err) == -1)
		return -1;
	return fo_put(f, w, err);
}

/* The trailer record, last (after the header of an empty file). */
static int
fo_finish(void *st, struct writer *w, unsigned long rows, struct xerr *err)
{
	struct fo_file *f = st;

	(void)rows;
	if (fo_begin(f, w, err) == -1)
		return -1;
	buf_reset(&f->out);
	if (fixedout_trailer(f->fo, &f->out, err) == -1)
		return -1;
	return fo_put(f, w, err);
}

static unsigned long
fo_replaced(const void *st)
{
	return fixedout_replaced(((const struct fo_file *)st)->fo);
}

const struct writer_family fixedout_family = {
	fo_open, fo_columns, fo_row, fo_finish, fo_replaced, fo_close,
};
