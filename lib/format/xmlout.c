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
 */
#include "format/writer_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmlname.h"

struct xmlout {
	const char *root, *record;
	int attributes;
	const char *encname;
	char **names;
	size_t ncols;
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
	    puts_w(w, ">\n", err) == -1))
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

	if (rows == 0)
		return prologue(x, w, err) == -1 ||
		    puts_w(w, "/>\n", err) == -1 ? -1 : 0;
	return puts_w(w, "</", err) == -1 || puts_w(w, x->root, err) == -1 ||
	    puts_w(w, ">\n", err) == -1 ? -1 : 0;
}

const struct writer_family xmlout_family = {
	xo_open, xo_columns, xo_row, xo_finish, xo_close,
};
