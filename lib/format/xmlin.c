/*
 * xmlin: XML batch files into records with expat (see xmlin.h).
 *
 * The parser is created for UTF-8 whatever the file declares: the bytes
 * it gets come out of text_reader, already UTF-8.  The state machine is
 * the depth in the document: 0 before the root, 1 in the root, 2 in a
 * record, 3 in a field (elements); deeper is an error, so no input
 * makes us keep more than one record.
 *
 * A record's values go into one arena, each ending in a NUL, and are
 * handed on once the record's end tag is read.  The first record adds
 * the columns as its fields come; off[i] is where column i's value
 * starts in the arena, or ABSENT.
 *
 * After any error a handler stops the parser; x->failed says err already
 * holds the reason (a record_fn's own error is passed on unchanged).
 */
#include "xmlin.h"

#include <expat.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "layout.h"
#include "strlist.h"

#define XMLIN_CHUNK	(64 * 1024)
#define XMLIN_MAX	((size_t)64 << 20)
#define ABSENT		SIZE_MAX
/* More fields than any table has (SQLite 2000, PostgreSQL 1600). */
#define XMLIN_MAX_COLS	4096

struct xin {
	XML_Parser p;
	const char *label;
	const char *root, *recname;
	int attributes;
	enum text_encoding encoding;
	size_t max;
	record_fn fn;
	void *ctx;
	struct xerr *err;
	int failed;

	int depth;
	struct strlist cols;	/* the columns */
	size_t *slots;		/* hash of cols: index + 1, 0 free */
	size_t nslots;		/* a power of two, over twice cols.n */
	int cols_fixed;		/* want, or the first record is done */

	unsigned long recno, recline;
	size_t names_len;	/* bytes of the column names */
	struct buf arena;
	size_t *off;		/* per column */
	size_t capoff;
	struct value *vals;
	size_t capvals;

	/*
	 * [header], [trailer] (ls NULL: neither): part is the one being
	 * read (LAYOUT_RECORD: a record, or none), its values by field.
	 */
	const struct job_layouts *ls;
	struct layout_ctx lc;
	struct layout_totals totals;
	int totals_bound;
	enum layout_part part;
	int seen_header, seen_trailer;
	size_t *poff;
	struct value *pvals;
	const char *curname;	/* the field being read, for messages */

	unsigned long long fed;	/* bytes handed to expat */
	long long mark;		/* byte index of the last event */
};

static int __attribute__((format(printf, 2, 3)))
fail(struct xin *x, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!x->failed)
		xerr_set(x->err, XERR_DATA, 0, "%s:%lu:%lu: %s", x->label,
		    (unsigned long)XML_GetCurrentLineNumber(x->p),
		    (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1, msg);
	x->failed = 1;
	XML_StopParser(x->p, XML_FALSE);
	return -1;
}

static void
nomem(struct xin *x)
{
	if (!x->failed)
		xerr_nomem(x->err);
	x->failed = 1;
	XML_StopParser(x->p, XML_FALSE);
}

static void
mark(struct xin *x)
{
	x->mark = (long long)XML_GetCurrentByteIndex(x->p);
}

/* --- refusals ---------------------------------------------------------- */

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fail(ud, "DOCTYPE not allowed (xfer reads no DTD, entity "
	    "declaration or external reference)");
}

static void XMLCALL
on_entity_decl(void *ud, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	fail(ud, "entity declaration '%s' not allowed", name);
}

static int XMLCALL
on_external_ref(XML_Parser p, const XML_Char *context, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid)
{
	(void)context;
	(void)base;
	(void)pubid;
	fail(XML_GetUserData(p), "external entity '%s' not allowed",
	    sysid != NULL ? sysid : "");
	return XML_STATUS_ERROR;
}

static void XMLCALL
on_skipped(void *ud, const XML_Char *name, int is_param)
{
	(void)is_param;
	fail(ud, "entity reference '%s' not allowed", name);
}

/* The declaration's encoding must be the one the job reads the file in
 * (CP949 reads EUC-KR, its subset, the same). */
static int
encoding_agrees(enum text_encoding enc, const char *decl)
{
	static const char *const utf8[] = { "UTF-8", "UTF8", NULL };
	static const char *const cp949[] = { "CP949", "UHC", "MS949",
		"windows-949", "x-windows-949", "KS_C_5601-1987", "EUC-KR",
		"EUCKR", NULL };
	static const char *const euckr[] = { "EUC-KR", "EUCKR",
		"KS_C_5601-1987", NULL };
	const char *const *names = enc == TEXTENC_CP949 ? cp949 :
	    enc == TEXTENC_EUCKR ? euckr : utf8;
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(decl, names[i]) == 0)
			return 1;
	return 0;
}

static void XMLCALL
on_xmldecl(void *ud, const XML_Char *version, const XML_Char *encoding,
    int standalone)
{
	struct xin *x = ud;

	(void)version;
	(void)standalone;
	if (encoding != NULL && !encoding_agrees(x->encoding, encoding))
		fail(x, "the XML declaration says encoding=\"%s\", the job "
		    "reads the file as %s ([inbox] encoding)", encoding,
		    textenc_name(x->encoding));
}

/* --- records ------------------------------------------------------------ */

/* FNV-1a: the columns are looked up once per field of every record. */
static size_t
name_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The column named name, or -1. */
static long
find_column(const struct xin *x, const char *name)
{
	size_t mask = x->nslots - 1, h;

	if (x->nslots == 0)
		return -1;
	for (h = name_hash(name) & mask; x->slots[h] != 0; h = (h + 1) & mask)
		if (strcmp(x->cols.v[x->slots[h] - 1], name) == 0)
			return (long)(x->slots[h] - 1);
	return -1;
}

static void
slot_put(size_t *slots, size_t n, const char *name, size_t idx)
{
	size_t mask = n - 1, h;

	for (h = name_hash(name) & mask; slots[h] != 0; h = (h + 1) & mask)
		;
	slots[h] = idx + 1;
}

/* Add a column; 0 / -1 out of memory. */
static int
add_column(struct xin *x, const char *name)
{
	size_t *slots, n, i;

	if (strlist_add(&x->cols, name) == -1)
		return -1;
	if (x->cols.n * 2 < x->nslots) {
		slot_put(x->slots, x->nslots, name, x->cols.n - 1);
		return 0;
	}
	n = x->nslots ? x->nslots * 2 : 64;
	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < x->cols.n; i++)
		slot_put(slots, n, x->cols.v[i], i);
	free(x->slots);
	x->slots = slots;
	x->nslots = n;
	return 0;
}

/* Room for n columns in off and vals. */
static int
room(struct xin *x, size_t n)
{
	size_t *o;
	struct value *v;
	size_t cap;

	if (n <= x->capoff)
		return 0;
	cap = x->capoff ? x->capoff : 16;
	while (cap < n)
		cap *= 2;
	if ((o = reallocarray(x->off, cap, sizeof(*o))) == NULL)
		return -1;
	x->off = o;
	if ((v = reallocarray(x->vals, cap, sizeof(*v))) == NULL)
		return -1;
	x->vals = v;
	x->capoff = x->capvals = cap;
	return 0;
}

/*
 * The column of field name, added while the first record fixes them;
 * -1 (after fail) when there is none or the record has it already.
 */
static long
column_of(struct xin *x, const char *name)
{
	char list[300];
	size_t i, len = 0;
	long c;

	if ((c = find_column(x, name)) >= 0) {
		if (x->off[c] != ABSENT)
			return fail(x, "record %lu: field '%s' twice",
			    x->recno, name);
		return c;
	}
	if (x->cols_fixed) {
		list[0] = '\0';
		for (i = 0; i < x->cols.n && len < sizeof(list); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%s%s", i ? ", " : "", x->cols.v[i]);
		return fail(x, "record %lu: field '%s' is not one of the "
		    "columns (%s)%s", x->recno, name, list, x->recno > 1 ?
		    ", which the first record fixed" : "");
	}
	if (x->cols.n == XMLIN_MAX_COLS)
		return fail(x, "record %lu: more than %d fields", x->recno,
		    XMLIN_MAX_COLS);
	/* The names of the first record count as its bytes. */
	x->names_len += strlen(name) + 1;
	if (x->arena.len + x->names_len >= x->max)
		return fail(x, "record %lu (line %lu) is larger than %zu "
		    "bytes", x->recno, x->recline, x->max);
	if (room(x, x->cols.n + 1) == -1 || add_column(x, name) == -1) {
		nomem(x);
		return -1;
	}
	x->off[x->cols.n - 1] = ABSENT;
	return (long)(x->cols.n - 1);
}

static int
arena_add(struct xin *x, const char *s, size_t n)
{
	if (x->arena.len + x->names_len + n >= x->max)
		return fail(x, "record %lu (line %lu) is larger than %zu "
		    "bytes", x->recno, x->recline, x->max);
	if (n > 0 && buf_append(&x->arena, s, n) == -1) {
		nomem(x);
		return -1;
	}
	return 0;
}

static void
record_start(struct xin *x, const XML_Char **atts)
{
	size_t i;
	long c;

	x->recno++;
	x->recline = (unsigned long)XML_GetCurrentLineNumber(x->p);
	buf_reset(&x->arena);
	if (room(x, x->cols.n) == -1) {
		nomem(x);
		return;
	}
	for (i = 0; i < x->cols.n; i++)
		x->off[i] = ABSENT;
	if (!x->attributes) {
		if (atts[0] != NULL)
			fail(x, "record %lu: attribute '%s' on <%s> (the job "
			    "says xml_fields = elements)", x->recno, atts[0],
			    x->recname);
		return;
	}
	for (i = 0; atts[i] != NULL; i += 2) {
		if ((c = column_of(x, atts[i])) < 0)
			return;
		x->off[c] = x->arena.len;
		if (arena_add(x, atts[i + 1], strlen(atts[i + 1]) + 1) == -1)
			return;
	}
}

static void
record_end(struct xin *x)
{
	struct record rec;
	size_t i;

	x->cols_fixed = 1;
	for (i = 0; i < x->cols.n; i++) {
		if (x->off[i] == ABSENT) {
			x->vals[i].ptr = "";
			x->vals[i].len = 0;
			x->vals[i].kind = VAL_NULL;
		} else {
			x->vals[i].ptr = x->arena.data + x->off[i];
			x->vals[i].len = strlen(x->vals[i].ptr);
			x->vals[i].kind = VAL_TEXT;
		}
	}
	memset(&rec, 0, sizeof(rec));
	rec.n = x->cols.n;
	rec.vals = x->vals;
	rec.names = (const char *const *)x->cols.v;
	rec.file = x->label;
	rec.recno = x->recno;
	rec.line = x->recline;
	if (x->ls != NULL && layout_has(x->ls, LAYOUT_TRAILER) &&
	    ((!x->totals_bound && layout_totals_bind(&x->totals, x->ls,
	    rec.names, rec.n, 0, x->err) == -1) ||
	    layout_totals_add(&x->totals, x->ls, &rec, x->err) == -1)) {
		x->failed = 1;
		XML_StopParser(x->p, XML_FALSE);
		return;
	}
	x->totals_bound = 1;
	if (x->fn(x->ctx, &rec, x->err) == -1) {
		/* err says why already. */
		x->failed = 1;
		XML_StopParser(x->p, XML_FALSE);
	}
}

/* --- header and trailer ------------------------------------------------- */

/* A field of the part being read; -1 (after fail) when it has none. */
static long
part_field(struct xin *x, const char *name)
{
	const struct layout *l = &x->ls->part[x->part];
	const char *el = layout_part_name(x->part);
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->f[i].name, name) == 0)
			break;
	if (i == l->n)
		return fail(x, "<%s>: field '%s' is not in the job's [%s]", el,
		    name, el);
	if (x->poff[i] != ABSENT)
		return fail(x, "<%s>: field '%s' twice", el, name);
	return (long)i;
}

static void
part_start(struct xin *x, enum layout_part p, const XML_Char **atts)
{
	const struct layout *l = &x->ls->part[p];
	size_t i;
	long c;

	x->part = p;
	buf_reset(&x->arena);
	for (i = 0; i < l->n; i++)
		x->poff[i] = ABSENT;
	if (!x->attributes) {
		if (atts[0] != NULL)
			fail(x, "attribute '%s' on <%s> (the job says "
			    "xml_fields = elements)", atts[0],
			    layout_part_name(p));
		return;
	}
	for (i = 0; atts[i] != NULL; i += 2) {
		if ((c = part_field(x, atts[i])) < 0)
			return;
		x->poff[c] = x->arena.len;
		if (arena_add(x, atts[i + 1], strlen(atts[i + 1]) + 1) == -1)
			return;
	}
}

/* The part is read: check it against the job (and the trailer against
 * the records before it). */
static void
part_end(struct xin *x)
{
	const struct layout *l = &x->ls->part[x->part];
	const char *el = layout_part_name(x->part);
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (x->poff[i] == ABSENT) {
			if (l->f[i].type != LT_FILLER) {
				fail(x, "<%s> has no field '%s'", el,
				    l->f[i].name);
				return;
			}
			x->pvals[i].ptr = "";
		} else
			x->pvals[i].ptr = x->arena.data + x->poff[i];
		x->pvals[i].len = strlen(x->pvals[i].ptr);
		x->pvals[i].kind = VAL_TEXT;
	}
	x->lc.totals = x->part == LAYOUT_TRAILER ? &x->totals : NULL;
	if (x->part == LAYOUT_TRAILER)
		x->seen_trailer = 1;
	else
		x->seen_header = 1;
	if (layout_verify(x->part, x->pvals, &x->lc, x->label, x->err) ==
	    -1) {
		x->failed = 1;
		XML_StopParser(x->p, XML_FALSE);
	}
	x->part = LAYOUT_RECORD;
}

/* A child of the root: a record, or the header or trailer. */
static void
root_child(struct xin *x, const char *name, const XML_Char **atts)
{
	int is_header = x->ls != NULL && strcmp(name, "header") == 0 &&
	    layout_has(x->ls, LAYOUT_HEADER);
	int is_trailer = x->ls != NULL && strcmp(name, "trailer") == 0 &&
	    layout_has(x->ls, LAYOUT_TRAILER);

	if (x->seen_trailer) {
		fail(x, "<%s> after <trailer> (the trailer is the last "
		    "element of <%s>)", name, x->root);
		return;
	}
	if (is_header) {
		if (x->seen_header || x->recno > 0)
			fail(x, "<header> must be the first element of <%s>",
			    x->root);
		else
			part_start(x, LAYOUT_HEADER, atts);
		return;
	}
	if (is_trailer) {
		part_start(x, LAYOUT_TRAILER, atts);
		return;
	}
	if (strcmp(name, x->recname) != 0) {
		fail(x, "<%s> inside <%s>: expected <%s> (xml_record)", name,
		    x->root, x->recname);
		return;
	}
	if (x->ls != NULL && layout_has(x->ls, LAYOUT_HEADER) &&
	    !x->seen_header) {
		fail(x, "no <header> before the first record (the job has "
		    "[header])");
		return;
	}
	record_start(x, atts);
}

/* The root ends: the parts the job has must have been there. */
static void
root_end(struct xin *x)
{
	if (x->ls == NULL)
		return;
	if (layout_has(x->ls, LAYOUT_HEADER) && !x->seen_header)
		fail(x, "no <header> (the job has [header])");
	else if (layout_has(x->ls, LAYOUT_TRAILER) && !x->seen_trailer)
		fail(x, "no <trailer> (the job has [trailer])");
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xin *x = ud;
	long c;

	if (x->failed)
		return;
	mark(x);
	switch (x->depth) {
	case 0:
		if (strcmp(name, x->root) != 0) {
			fail(x, "the root element is <%s>, expected <%s> "
			    "(xml_root)", name, x->root);
			return;
		}
		/* Its attributes (xmlns, a version) carry no records. */
		break;
	case 1:
		root_child(x, name, atts);
		break;
	case 2:
		if (x->part != LAYOUT_RECORD) {
			if (x->attributes) {
				fail(x, "element <%s> inside <%s> (the job "
				    "says xml_fields = attributes)", name,
				    layout_part_name(x->part));
				return;
			}
			if (atts[0] != NULL) {
				fail(x, "<%s>, field '%s': attribute '%s' on a "
				    "field", layout_part_name(x->part), name,
				    atts[0]);
				return;
			}
			if ((c = part_field(x, name)) < 0)
				return;
			x->curname = x->ls->part[x->part].f[c].name;
			x->poff[c] = x->arena.len;
			break;
		}
		if (x->attributes) {
			fail(x, "record %lu: element <%s> inside <%s> (the "
			    "job says xml_fields = attributes)", x->recno,
			    name, x->recname);
			return;
		}
		if (atts[0] != NULL) {
			fail(x, "record %lu, field '%s': attribute '%s' on a "
			    "field", x->recno, name, atts[0]);
			return;
		}
		if ((c = column_of(x, name)) < 0)
			return;
		x->curname = x->cols.v[c];
		x->off[c] = x->arena.len;
		break;
	default:
		if (x->part != LAYOUT_RECORD)
			fail(x, "<%s>, field '%s': element <%s> inside a "
			    "field (fields hold text only)",
			    layout_part_name(x->part), x->curname, name);
		else
			fail(x, "record %lu, field '%s': element <%s> inside "
			    "a field (fields hold text only)", x->recno,
			    x->curname, name);
		return;
	}
	x->depth++;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct xin *x = ud;

	(void)name;
	if (x->failed)
		return;
	mark(x);
	switch (x->depth) {
	case 3:
		if (arena_add(x, "", 1) == -1)
			return;
		break;
	case 2:
		if (x->part != LAYOUT_RECORD)
			part_end(x);
		else
			record_end(x);
		break;
	case 1:
		root_end(x);
		break;
	}
	x->depth--;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct xin *x = ud;
	char shown[40];
	int i;

	if (x->failed)
		return;
	mark(x);
	if (x->depth == 3) {
		arena_add(x, s, (size_t)len);
		return;
	}
	for (i = 0; i < len; i++)
		if (!memchr(" \t\r\n", s[i], 4))
			break;
	if (i == len)
		return;
	snprintf(shown, sizeof(shown), "%.*s", len - i < 20 ? len - i : 20,
	    s + i);
	if (x->depth == 2 && x->part != LAYOUT_RECORD)
		fail(x, "<%s>: text '%s' beside the fields",
		    layout_part_name(x->part), shown);
	else if (x->depth == 2)
		fail(x, "record %lu: text '%s' beside the fields", x->recno,
		    shown);
	else
		fail(x, "text '%s' outside the records", shown);
}

static void XMLCALL
on_comment(void *ud, const XML_Char *data)
{
	(void)data;
	mark(ud);
}

static void XMLCALL
on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)target;
	(void)data;
	mark(ud);
}

/* --- the document ------------------------------------------------------- */

static int
xin_init(struct xin *x, const char *label, const struct xmlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	size_t i, n;

	memset(x, 0, sizeof(*x));
	x->label = label;
	x->root = o->root != NULL ? o->root : "records";
	x->recname = o->record != NULL ? o->record : "record";
	x->attributes = o->attributes;
	x->encoding = o->encoding;
	x->max = o->max_record != 0 ? o->max_record : XMLIN_MAX;
	x->fn = fn;
	x->ctx = ctx;
	x->err = err;
	buf_init(&x->arena, 0);
	if (room(x, o->nwant + 1) == -1)
		return xerr_nomem(err);
	for (i = 0; i < o->nwant; i++)
		if (add_column(x, o->want[i]) == -1)
			return xerr_nomem(err);
	x->cols_fixed = o->want != NULL;
	if (room(x, x->cols.n + 1) == -1)
		return xerr_nomem(err);
	x->part = LAYOUT_RECORD;
	if (o->layouts != NULL && (layout_has(o->layouts, LAYOUT_HEADER) ||
	    layout_has(o->layouts, LAYOUT_TRAILER))) {
		x->ls = o->layouts;
		x->lc.ls = x->ls;
		x->lc.date = o->date;
		x->lc.has_date = o->has_date;
		n = x->ls->part[LAYOUT_HEADER].n >
		    x->ls->part[LAYOUT_TRAILER].n ?
		    x->ls->part[LAYOUT_HEADER].n :
		    x->ls->part[LAYOUT_TRAILER].n;
		if ((x->poff = calloc(n + 1, sizeof(*x->poff))) == NULL ||
		    (x->pvals = calloc(n + 1, sizeof(*x->pvals))) == NULL ||
		    layout_totals_init(&x->totals, x->ls, err) == -1)
			return xerr_nomem(err);
	}
	/* The file is UTF-8 by the time expat sees it. */
	if ((x->p = XML_ParserCreate("UTF-8")) == NULL)
		return xerr_nomem(err);
	XML_SetUserData(x->p, x);
	XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
	XML_SetEntityDeclHandler(x->p, on_entity_decl);
	XML_SetExternalEntityRefHandler(x->p, on_external_ref);
	XML_SetSkippedEntityHandler(x->p, on_skipped);
	XML_SetXmlDeclHandler(x->p, on_xmldecl);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	XML_SetCommentHandler(x->p, on_comment);
	XML_SetProcessingInstructionHandler(x->p, on_pi);
	return 0;
}

static void
xin_free(struct xin *x)
{
	if (x->p != NULL)
		XML_ParserFree(x->p);
	strlist_free(&x->cols);
	free(x->slots);
	free(x->poff);
	free(x->pvals);
	if (x->ls != NULL)
		layout_totals_release(&x->totals);
	buf_release(&x->arena);
	free(x->off);
	free(x->vals);
}

/* Hand n bytes (final: the last) to expat.  0 / -1. */
static int
feed(struct xin *x, const char *s, size_t n, int final)
{
	enum XML_Error code;

	x->fed += n;
	if (XML_Parse(x->p, s, (int)n, final) != XML_STATUS_OK) {
		if (x->failed)
			return -1;
		code = XML_GetErrorCode(x->p);
		return xerr_set(x->err, XERR_DATA, 0, "%s:%lu:%lu: %s%s",
		    x->label, (unsigned long)XML_GetCurrentLineNumber(x->p),
		    (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1,
		    XML_ErrorString(code), code == XML_ERROR_NO_ELEMENTS ?
		    " (the file is empty or cut short)" : "");
	}
	if (x->failed)
		return -1;
	/* What expat holds unparsed: one token cannot grow without bound. */
	if (x->fed - (unsigned long long)(x->mark > 0 ? x->mark : 0) >
	    x->max + XMLIN_CHUNK)
		return fail(x, "more than %zu bytes without a complete tag",
		    x->max);
	return 0;
}

int
xmlin_read_fd(int fd, const char *label, const struct xmlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	struct text_reader *tr = NULL;
	struct xin x;
	char *chunk = NULL;
	ssize_t n;
	int rc = -1;

	if (xin_init(&x, label, o, fn, ctx, err) == -1)
		goto out;
	if ((chunk = malloc(XMLIN_CHUNK)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if ((tr = text_reader_new(fd, o->encoding, label, err)) == NULL)
		goto out;
	for (;;) {
		if ((n = text_reader_read(tr, chunk, XMLIN_CHUNK, err)) < 0)
			goto out;
		if (feed(&x, chunk, (size_t)n, n == 0) == -1)
			goto out;
		if (n == 0)
			break;
	}
	rc = 0;
out:
	text_reader_free(tr);
	free(chunk);
	xin_free(&x);
	return rc;
}

int
xmlin_read_mem(const char *data, size_t len, size_t chunk,
    const char *label, const struct xmlin_opts *o, record_fn fn, void *ctx,
    struct xerr *err)
{
	struct xin x;
	size_t at = 0, n;
	int rc = -1;

	if (chunk == 0 || chunk > len)
		chunk = len;
	if (xin_init(&x, label, o, fn, ctx, err) == -1)
		goto out;
	while (at < len) {
		n = len - at < chunk ? len - at : chunk;
		if (feed(&x, data + at, n, 0) == -1)
			goto out;
		at += n;
	}
	if (feed(&x, NULL, 0, 1) == -1)
		goto out;
	rc = 0;
out:
	xin_free(&x);
	return rc;
}
