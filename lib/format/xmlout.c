/*
 * xmlout: records out as XML (format = xml), a family of writer.c.
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <records>
 *     <record><id>1</id><name>Kim &amp; Lee</name></record>
 *     <record id="2" name="Park"/>          (xml_fields = attributes)
 *   </records>
 *
 * and "<records/>" for a batch without records.  The bytes depend only on
 * the records and the job: LF line ends, one record a line indented by
 * two spaces, fields in column order, no pretty-printing that depends on
 * the values.  The declaration names the job's encoding; the text is
 * written as UTF-8 through the writer, which encodes every row into that
 * encoding as it does CSV's (an unmappable character named by record and
 * field, or '?' with unmappable = replace).
 *
 * Escaping: & < > " ' always become entities, so a value is safe in an
 * element and in an attribute alike (and "]]>" never appears); TAB, LF
 * and CR become character references: an attribute keeps them only that
 * way (a reader normalizes them to spaces otherwise), a CR in an element
 * would be read back as LF, and a newline in a value keeps one record a
 * line.  The other C0 controls, U+FFFE, U+FFFF and bytes that are not
 * UTF-8 cannot be in an XML 1.0 document at all: an error naming the
 * record and the field, never a silently changed value.
 *
 * NULL is an absent element (or attribute); the empty string is an empty
 * element <note></note> (or note=""), so a reader tells them apart.
 *
 * With [header] or [trailer] in the job (layout.h), <header> is the
 * root's first child and <trailer> its last, their fields (every field
 * of the layout, in its order) as elements or attributes like a record's;
 * both are written for an empty batch too (then count 0), and the root is
 * not closed empty.
 */
#include "writer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "layout.h"
#include "xmlname.h"

struct xmlout {
	const char *root, *record;
	int attributes;
	const char *encname;
	char **names;
	size_t ncols;

	/* [header], [trailer]; ls NULL: neither */
	const struct job_layouts *ls;
	int has_header, has_trailer;
	struct layout_ctx lc;
	struct layout_totals totals;
};

static void *
xo_open(const struct writer_opts *o)
{
	struct xmlout *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->root = o->xml != NULL && o->xml->root != NULL ? o->xml->root :
	    "records";
	x->record = o->xml != NULL && o->xml->record != NULL ?
	    o->xml->record : "record";
	x->attributes = o->xml != NULL && o->xml->attributes;
	x->encname = textenc_name(o->encoding);
	if (o->layouts != NULL && (layout_has(o->layouts, LAYOUT_HEADER) ||
	    layout_has(o->layouts, LAYOUT_TRAILER))) {
		x->ls = o->layouts;
		x->has_header = layout_has(x->ls, LAYOUT_HEADER);
		x->has_trailer = layout_has(x->ls, LAYOUT_TRAILER);
		x->lc.ls = x->ls;
		x->lc.date = o->date;
		x->lc.seq = o->seq;
		if (layout_totals_init(&x->totals, x->ls, NULL) == -1) {
			free(x);
			return NULL;
		}
	}
	return x;
}

static void
xo_close(void *st)
{
	struct xmlout *x = st;
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->ncols; i++)
		free(x->names[i]);
	free(x->names);
	if (x->ls != NULL)
		layout_totals_release(&x->totals);
	free(x);
}

static int
xo_columns(void *st, const char *const *names, size_t n, struct xerr *err)
{
	struct xmlout *x = st;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!xml_name_ok(names[i], strlen(names[i])))
			return xerr_set(err, XERR_DATA, 0, "column '%s' is "
			    "not an XML name, so it cannot be an %s of format "
			    "= xml (a letter or '_', then letters, digits, "
			    "'_', '-' or '.'; no ':')", names[i],
			    x->attributes ? "attribute" : "element");
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return xerr_set(err, XERR_DATA, 0, "column "
				    "'%s' twice: XML cannot hold both",
				    names[i]);
	}
	if ((x->names = calloc(n + 1, sizeof(*x->names))) == NULL)
		return xerr_nomem(err);
	for (i = 0; i < n; i++) {
		if ((x->names[i] = strdup(names[i])) == NULL)
			return xerr_nomem(err);
		x->ncols = i + 1;
	}
	if (x->has_trailer && layout_totals_bind(&x->totals, x->ls, names, n,
	    0, err) == -1)
		return -1;
	return 0;
}

static int
puts_w(struct writer *w, const char *s, struct xerr *err)
{
	return writer_put(w, s, strlen(s), err);
}

static int
prologue(struct xmlout *x, struct writer *w, struct xerr *err)
{
	return puts_w(w, "<?xml version=\"1.0\" encoding=\"", err) == -1 ||
	    puts_w(w, x->encname, err) == -1 ||
	    puts_w(w, "\"?>\n<", err) == -1 ||
	    puts_w(w, x->root, err) == -1 ? -1 : 0;
}

/*
 * The value escaped.  0; -1 with err set when the sink fails; 1 (with
 * *bad the offending code point, or -1 for bytes that are not UTF-8) when
 * XML cannot hold the value.
 */
static int
escaped(struct writer *w, const char *s, size_t n, long *bad,
    struct xerr *err)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run = p;
	const char *ent;
	size_t k;

	while (p < end) {
		if (*p >= 0x80) {
			if ((k = utf8_seq(p, (size_t)(end - p))) == 0) {
				*bad = -1;
				return 1;
			}
			/* U+FFFE and U+FFFF are not XML characters. */
			if (k == 3 && p[0] == 0xef && p[1] == 0xbf &&
			    p[2] >= 0xbe) {
				*bad = p[2] == 0xbe ? 0xfffe : 0xffff;
				return 1;
			}
			p += k;
			continue;
		}
		switch (*p) {
		case '&':	ent = "&amp;"; break;
		case '<':	ent = "&lt;"; break;
		case '>':	ent = "&gt;"; break;
		case '"':	ent = "&quot;"; break;
		case '\'':	ent = "&apos;"; break;
		case '\t':	ent = "&#9;"; break;
		case '\n':	ent = "&#10;"; break;
		case '\r':	ent = "&#13;"; break;
		default:
			if (*p < 0x20) {
				*bad = *p;
				return 1;
			}
			p++;
			continue;
		}
		if (p > run && writer_put(w, run, (size_t)(p - run), err) == -1)
			return -1;
		if (puts_w(w, ent, err) == -1)
			return -1;
		run = ++p;
	}
	if (p > run && writer_put(w, run, (size_t)(p - run), err) == -1)
		return -1;
	return 0;
}

static int
field(struct xmlout *x, struct writer *w, const char *name,
    const struct value *v, long *bad, struct xerr *err)
{
	int r;

	if (x->attributes) {
		if (puts_w(w, " ", err) == -1 || puts_w(w, name, err) == -1 ||
		    puts_w(w, "=\"", err) == -1)
			return -1;
		if ((r = escaped(w, v->ptr, v->len, bad, err)) != 0)
			return r;
		return puts_w(w, "\"", err);
	}
	if (puts_w(w, "<", err) == -1 || puts_w(w, name, err) == -1 ||
	    puts_w(w, ">", err) == -1)
		return -1;
	if ((r = escaped(w, v->ptr, v->len, bad, err)) != 0)
		return r;
	return puts_w(w, "</", err) == -1 || puts_w(w, name, err) == -1 ||
	    puts_w(w, ">", err) == -1 ? -1 : 0;
}

/* <header> or <trailer>: the layout's computed values. */
static int
part(struct xmlout *x, struct writer *w, enum layout_part p,
    struct xerr *err)
{
	const struct layout *l = &x->ls->part[p];
	const char *el = layout_part_name(p);
	struct layout_ctx c = x->lc;
	struct value v;
	struct buf b;
	long bad = 0;
	size_t i;
	int r = 0;

	c.totals = p == LAYOUT_TRAILER ? &x->totals : NULL;
	buf_init(&b, 0);
	if (puts_w(w, "  <", err) == -1 || puts_w(w, el, err) == -1 ||
	    (!x->attributes && puts_w(w, ">", err) == -1))
		r = -1;
	for (i = 0; i < l->n && r == 0; i++) {
		buf_reset(&b);
		if (layout_value(&l->f[i], &c, &b, err) == -1) {
			r = -1;
			break;
		}
		v.ptr = b.data != NULL ? b.data : "";
		v.len = b.len;
		v.kind = VAL_TEXT;
		if ((r = field(x, w, l->f[i].name, &v, &bad, err)) == 1)
			r = xerr_set(err, XERR_CONFIG, 0, "[%s] '%s': the "
			    "value cannot be written in XML", el,
			    l->f[i].name);
	}
	buf_release(&b);
	if (r != 0)
		return -1;
	if (x->attributes)
		return puts_w(w, "/>\n", err);
	return puts_w(w, "</", err) == -1 || puts_w(w, el, err) == -1 ||
	    puts_w(w, ">\n", err) == -1 ? -1 : 0;
}

static int
xo_row(void *st, struct writer *w, const struct record *rec,
    unsigned long rowno, struct xerr *err)
{
	struct xmlout *x = st;
	char where[512], what[64];
	long bad = 0;
	size_t i;
	int r;

	if (rowno == 1 && (prologue(x, w, err) == -1 ||
	    puts_w(w, ">\n", err) == -1 ||
	    (x->has_header && part(x, w, LAYOUT_HEADER, err) == -1)))
		return -1;
	if (x->has_trailer &&
	    layout_totals_add(&x->totals, x->ls, rec, err) == -1)
		return -1;
	if (puts_w(w, "  <", err) == -1 || puts_w(w, x->record, err) == -1 ||
	    (!x->attributes && puts_w(w, ">", err) == -1))
		return -1;
	for (i = 0; i < rec->n; i++) {
		/* NULL: the field is absent. */
		if (rec->vals[i].kind == VAL_NULL)
			continue;
		r = field(x, w, x->names[i], &rec->vals[i], &bad, err);
		if (r == -1)
			return -1;
		if (r == 1) {
			record_where(rec, where, sizeof(where));
			if (bad < 0)
				snprintf(what, sizeof(what), "is not valid "
				    "UTF-8");
			else
				snprintf(what, sizeof(what), "holds U+%04lX, "
				    "which XML 1.0 cannot hold", bad);
			return xerr_set(err, XERR_DATA, 0, "record %lu (%s), "
			    "field '%s': the value %s", rowno, where,
			    x->names[i], what);
		}
	}
	if (x->attributes)
		return puts_w(w, "/>\n", err);
	return puts_w(w, "</", err) == -1 || puts_w(w, x->record, err) == -1 ||
	    puts_w(w, ">\n", err) == -1 ? -1 : 0;
}

static int
xo_finish(void *st, struct writer *w, unsigned long rows, struct xerr *err)
{
	struct xmlout *x = st;

	if (rows == 0 && x->ls == NULL)
		return prologue(x, w, err) == -1 ||
		    puts_w(w, "/>\n", err) == -1 ? -1 : 0;
	if (rows == 0 && (prologue(x, w, err) == -1 ||
	    puts_w(w, ">\n", err) == -1 ||
	    (x->has_header && part(x, w, LAYOUT_HEADER, err) == -1)))
		return -1;
	if (x->has_trailer && part(x, w, LAYOUT_TRAILER, err) == -1)
		return -1;
	return puts_w(w, "</", err) == -1 || puts_w(w, x->root, err) == -1 ||
	    puts_w(w, ">\n", err) == -1 ? -1 : 0;
}

const struct writer_family xmlout_family = {
	xo_open, xo_columns, xo_row, xo_finish, NULL, xo_close,
};
