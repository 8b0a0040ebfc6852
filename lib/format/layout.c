/*
 * layout: parse the field specs of [header], [record], [trailer], check
 * them against the job, and compute and verify their values (layout.h).
 *
 * Decisions a reader may look for here:
 * - A spec is blank-separated tokens; a token starting with '"' runs to
 *   the next unescaped '"' (\" and \\ inside), so const " " and
 *   date "%Y %m" are possible.  Options are NAME=VALUE; an unknown
 *   option, a repeated one or one the type does not take is an error.
 * - Numbers are never rounded: a value with more decimals than the field
 *   has is an error, as is a negative one with sign = none and one that
 *   does not fit.  A sum's decimals default to those of the [record]
 *   field it sums (fixed), so a sum is written like its parts.
 * - In a send job, text and number fields in [header]/[trailer] have
 *   nothing to be filled from and are refused (use const); a receive job
 *   may have them (a partner's header fields): read, not checked, not
 *   kept.
 * - count and sum only in [trailer]: the header is written before the
 *   records are seen.
 */
#include "layout.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const part_names[LAYOUT_PARTS] = { "header", "record",
	"trailer" };
static const char *const type_names[] = { "text", "number", "const",
	"filler", "date", "count", "sum", "seq", NULL };

const char *
layout_part_name(enum layout_part p)
{
	return p < LAYOUT_PARTS ? part_names[p] : "?";
}

enum layout_part
layout_part_of(const char *section)
{
	int i;

	for (i = 0; i < LAYOUT_PARTS; i++)
		if (strcmp(section, part_names[i]) == 0)
			return (enum layout_part)i;
	return LAYOUT_PARTS;
}

const char *
layout_type_name(enum layout_type t)
{
	return type_names[t];
}

struct job_layouts *
layouts_new(void)
{
	return calloc(1, sizeof(struct job_layouts));
}

void
layout_field_release(struct layout_field *f)
{
	free(f->name);
	free(f->arg);
	memset(f, 0, sizeof(*f));
}

void
layouts_free(struct job_layouts *ls)
{
	size_t i;
	int p;

	if (ls == NULL)
		return;
	for (p = 0; p < LAYOUT_PARTS; p++) {
		for (i = 0; i < ls->part[p].n; i++)
			layout_field_release(&ls->part[p].f[i]);
		free(ls->part[p].f);
	}
	free(ls);
}

int
layout_has(const struct job_layouts *ls, enum layout_part p)
{
	return ls != NULL && ls->part[p].line != 0;
}

void
layouts_section(struct job_layouts *ls, enum layout_part p, unsigned line)
{
	if (ls->part[p].line == 0)
		ls->part[p].line = line ? line : 1;
}

const struct layout_field *
layout_find(const struct layout *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->f[i].name, name) == 0)
			return &l->f[i];
	return NULL;
}

/* --- the spec parser ------------------------------------------------------ */

#define TOKEN_MAX	1024

/*
 * The next token of *sp into tok (NUL-terminated); *quoted says whether
 * it was "...".  0 at the end, 1 a token, -1 with why.
 */
static int
next_token(const char **sp, char *tok, size_t size, int *quoted, char *why,
    size_t whysize)
{
	const char *s = *sp;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*sp = s;
		return 0;
	}
	*quoted = *s == '"';
	if (*quoted) {
		for (s++; *s != '"'; s++) {
			if (*s == '\0') {
				snprintf(why, whysize, "unterminated \"");
				return -1;
			}
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			if (n + 1 >= size) {
				snprintf(why, whysize, "value too long");
				return -1;
			}
			tok[n++] = *s;
		}
		s++;
		if (*s != '\0' && *s != ' ' && *s != '\t') {
			snprintf(why, whysize, "expected a blank after the "
			    "closing \"");
			return -1;
		}
	} else {
		for (; *s != '\0' && *s != ' ' && *s != '\t'; s++) {
			if (n + 1 >= size) {
				snprintf(why, whysize, "value too long");
				return -1;
			}
			tok[n++] = *s;
		}
	}
	tok[n] = '\0';
	*sp = s;
	return 1;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* A field name as data fields have them: not empty, no control byte. */
static int
name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Bits of the options each type takes. */
enum { O_RIGHT = 1, O_TRUNCATE = 2, O_FIELD = 4, O_DECIMALS = 8,
	O_SIGN = 16, O_ZERO = 32, O_ALL = 64 };

static unsigned
options_of(enum layout_type t)
{
	switch (t) {
	case LT_TEXT:	return O_RIGHT | O_TRUNCATE | O_FIELD;
	case LT_NUMBER:	return O_FIELD | O_DECIMALS | O_SIGN;
	case LT_SUM:	return O_DECIMALS | O_SIGN;
	case LT_FILLER:	return O_ZERO;
	case LT_COUNT:	return O_ALL;
	default:	return 0;
	}
}

static int
parse_option(struct layout_field *f, const char *tok, unsigned *seen,
    char *why, size_t whysize)
{
	unsigned allowed = options_of(f->type), bit;
	const char *eq = strchr(tok, '='), *v;
	char key[32];
	size_t kl;

	if (eq == NULL) {
		kl = strlen(tok);
		v = NULL;
	} else {
		kl = (size_t)(eq - tok);
		v = eq + 1;
	}
	if (kl >= sizeof(key))
		kl = sizeof(key) - 1;
	memcpy(key, tok, kl);
	key[kl] = '\0';
	if (v == NULL && strcmp(key, "right") == 0)
		bit = O_RIGHT;
	else if (v == NULL && strcmp(key, "truncate") == 0)
		bit = O_TRUNCATE;
	else if (v == NULL && strcmp(key, "0") == 0)
		bit = O_ZERO;
	else if (v == NULL && strcmp(key, "all") == 0)
		bit = O_ALL;
	else if (v != NULL && strcmp(key, "field") == 0)
		bit = O_FIELD;
	else if (v != NULL && strcmp(key, "decimals") == 0)
		bit = O_DECIMALS;
	else if (v != NULL && strcmp(key, "sign") == 0)
		bit = O_SIGN;
	else {
		snprintf(why, whysize, "unknown option '%s' for %s", tok,
		    type_names[f->type]);
		return -1;
	}
	if (!(allowed & bit)) {
		snprintf(why, whysize, "%s takes no option '%s'",
		    type_names[f->type], key);
		return -1;
	}
	if (*seen & bit) {
		snprintf(why, whysize, "option '%s' given twice", key);
		return -1;
	}
	*seen |= bit;
	switch (bit) {
	case O_RIGHT:
		f->right = 1;
		break;
	case O_TRUNCATE:
		f->truncate = 1;
		break;
	case O_ZERO:
		f->zero = 1;
		break;
	case O_ALL:
		f->all = 1;
		break;
	case O_FIELD:
		if (!name_ok(v)) {
			snprintf(why, whysize, "field= needs a field name");
			return -1;
		}
		free(f->arg);
		if ((f->arg = strdup(v)) == NULL)
			return -2;
		break;
	case O_DECIMALS:
		if (!all_digits(v) || strlen(v) > 2 || atoi(v) > 18) {
			snprintf(why, whysize, "decimals must be 0 to 18, not "
			    "'%s'", v);
			return -1;
		}
		f->decimals = atoi(v);
		break;
	case O_SIGN:
		if (strcmp(v, "none") == 0)
			f->sign = LS_NONE;
		else if (strcmp(v, "leading") == 0)
			f->sign = LS_LEADING;
		else if (strcmp(v, "trailing") == 0)
			f->sign = LS_TRAILING;
		else {
			snprintf(why, whysize, "sign must be none, leading or "
			    "trailing, not '%s'", v);
			return -1;
		}
		break;
	}
	return 0;
}

int
layout_field_parse(const char *name, const char *spec, unsigned line,
    struct layout_field *f, char *why, size_t whysize)
{
	char tok[TOKEN_MAX];
	const char *s = spec;
	unsigned seen = 0;
	int k, quoted = 0, t, rc;

	memset(f, 0, sizeof(*f));
	f->decimals = -1;
	f->line = line;
	if ((f->name = strdup(name)) == NULL)
		return -2;
	if ((k = next_token(&s, tok, sizeof(tok), &quoted, why, whysize)) <= 0) {
		if (k == 0)
			snprintf(why, whysize, "expected [WIDTH] TYPE");
		goto bad;
	}
	if (!quoted && all_digits(tok)) {
		if (strlen(tok) > 6 || atol(tok) < 1 ||
		    atol(tok) > LAYOUT_FIELD_MAX) {
			snprintf(why, whysize, "width must be 1 to %d bytes, "
			    "not %s", LAYOUT_FIELD_MAX, tok);
			goto bad;
		}
		f->width = (size_t)atol(tok);
		if ((k = next_token(&s, tok, sizeof(tok), &quoted, why,
		    whysize)) <= 0) {
			if (k == 0)
				snprintf(why, whysize, "expected a type after "
				    "the width (text, number, const, filler, "
				    "date, count, sum, seq)");
			goto bad;
		}
	}
	for (t = 0; type_names[t] != NULL; t++)
		if (!quoted && strcmp(tok, type_names[t]) == 0)
			break;
	if (type_names[t] == NULL) {
		snprintf(why, whysize, "unknown type '%s' (expected text, "
		    "number, const, filler, date, count, sum or seq)", tok);
		goto bad;
	}
	f->type = (enum layout_type)t;
	/* The argument of the types that take one. */
	if (f->type == LT_CONST || f->type == LT_DATE || f->type == LT_SUM) {
		if ((k = next_token(&s, tok, sizeof(tok), &quoted, why,
		    whysize)) <= 0) {
			if (k == 0)
				snprintf(why, whysize, "%s needs %s",
				    type_names[t], f->type == LT_CONST ?
				    "its text" : f->type == LT_DATE ?
				    "a format (e.g. %Y%m%d)" :
				    "the field to sum");
			goto bad;
		}
		if (tok[0] == '\0' && f->type != LT_CONST) {
			snprintf(why, whysize, "%s needs %s", type_names[t],
			    f->type == LT_DATE ? "a format" : "a field");
			goto bad;
		}
		if (f->type == LT_SUM && !name_ok(tok)) {
			snprintf(why, whysize, "sum needs a field name");
			goto bad;
		}
		if ((f->arg = strdup(tok)) == NULL)
			return -2;
	}
	while ((k = next_token(&s, tok, sizeof(tok), &quoted, why,
	    whysize)) == 1) {
		if (quoted) {
			snprintf(why, whysize, "unexpected \"%s\"", tok);
			goto bad;
		}
		if ((rc = parse_option(f, tok, &seen, why, whysize)) == -2)
			return -2;
		if (rc == -1)
			goto bad;
	}
	if (k == -1)
		goto bad;
	if ((f->type == LT_TEXT || f->type == LT_NUMBER) && f->arg == NULL &&
	    (f->arg = strdup(name)) == NULL)
		return -2;
	if (f->type == LT_NUMBER && f->decimals < 0)
		f->decimals = 0;
	return 0;
bad:
	return -1;
}

int
layouts_add(struct job_layouts *ls, enum layout_part p, const char *name,
    const char *spec, unsigned line, char *why, size_t whysize)
{
	struct layout *l = &ls->part[p];
	struct layout_field f, *nf;
	const struct layout_field *dup;
	int rc;

	layouts_section(ls, p, line);
	if (!name_ok(name)) {
		l->nbad++;
		snprintf(why, whysize, "not a field name");
		return -1;
	}
	if ((dup = layout_find(l, name)) != NULL) {
		l->nbad++;
		snprintf(why, whysize, "duplicate field (first on line %u)",
		    dup->line);
		return -1;
	}
	if (l->n >= 4096) {
		l->nbad++;
		snprintf(why, whysize, "too many fields (at most 4096)");
		return -1;
	}
	rc = layout_field_parse(name, spec, line, &f, why, whysize);
	if (rc != 0) {
		l->nbad++;
		layout_field_release(&f);
		return rc;
	}
	if ((nf = realloc(l->f, (l->n + 1) * sizeof(*nf))) == NULL) {
		layout_field_release(&f);
		return -2;
	}
	l->f = nf;
	l->f[l->n++] = f;
	l->width += f.width;
	return 0;
}

/* --- checks after load ----------------------------------------------------- */

static size_t format_date(bdate_t date, const char *fmt, char *out,
    size_t size);

struct checker {
	const struct job_layouts *ls;
	layout_report_fn report;
	void *ctx;
	int n;
	int nomem;
};

static void __attribute__((format(printf, 4, 5)))
problem(struct checker *ck, enum layout_part p, const struct layout_field *f,
    const char *fmt, ...)
{
	char msg[768], why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (f != NULL)
		snprintf(msg, sizeof(msg), "[%s] '%s': %s", part_names[p],
		    f->name, why);
	else
		snprintf(msg, sizeof(msg), "[%s]: %s", part_names[p], why);
	ck->report(ck->ctx, f != NULL ? f->line : ck->ls->part[p].line, msg);
	ck->n++;
}

/* The bytes of s in enc; (size_t)-1 when it cannot be written. */
static size_t
encoded_len(enum text_encoding enc, const char *s, int *nomem)
{
	struct text_encoder *e;
	struct buf b;
	struct xerr err;
	size_t n = (size_t)-1;

	if ((e = text_encoder_new(enc, 0, &err)) == NULL) {
		*nomem = err.cls == XERR_NOMEM;
		return n;
	}
	buf_init(&b, 0);
	if (text_encode(e, s, strlen(s), &b, &err) == 0)
		n = b.len;
	else if (err.cls == XERR_NOMEM)
		*nomem = 1;
	buf_release(&b);
	text_encoder_free(e);
	return n;
}

static void
check_field(struct checker *ck, const struct job_layouts *ls,
    enum layout_part p, const struct layout_field *f,
    const struct layout_use *u)
{
	int fixed = u->format == FMT_FIXED;
	const struct layout_field *rf;
	size_t n, i, k;
	char s[256];
	bdate_t d;

	if (fixed && f->width == 0) {
		problem(ck, p, f, "format = fixed needs a width in bytes "
		    "(e.g. '10 %s')", type_names[f->type]);
		return;
	}
	if (!fixed && f->width != 0) {
		problem(ck, p, f, "no width with format = %s (widths are for "
		    "format = fixed)", u->format == FMT_XML ? "xml" : "csv");
		return;
	}
	if ((f->type == LT_COUNT || f->type == LT_SUM) &&
	    p != LAYOUT_TRAILER) {
		problem(ck, p, f, "%s is only possible in [trailer]%s",
		    type_names[f->type], p == LAYOUT_HEADER ? " (the header "
		    "is written before the records)" : "");
		return;
	}
	if (f->type == LT_FILLER && !fixed) {
		problem(ck, p, f, "filler is only used with format = fixed");
		return;
	}
	if (u->send && p != LAYOUT_RECORD &&
	    (f->type == LT_TEXT || f->type == LT_NUMBER)) {
		problem(ck, p, f, "a send job has no data for a %s field in "
		    "[%s] (use const, date, count, sum or seq)",
		    type_names[f->type], part_names[p]);
		return;
	}
	if (fixed && (f->sign == LS_LEADING || f->sign == LS_TRAILING) &&
	    f->width < 2) {
		problem(ck, p, f, "a number with a sign needs a width of at "
		    "least 2");
		return;
	}
	if (f->type == LT_CONST && strpbrk(f->arg, "\r\n") != NULL) {
		problem(ck, p, f, "const holds a line break");
		return;
	}
	/* Every format: a header or trailer line must not fail to encode
	 * half-way (csv encodes whole lines). */
	if (f->type == LT_CONST) {
		n = encoded_len(u->encoding, f->arg, &ck->nomem);
		if (n == (size_t)-1 && !ck->nomem)
			problem(ck, p, f, "const '%s' cannot be written in %s",
			    f->arg, textenc_name(u->encoding));
		else if (fixed && n != (size_t)-1 && n > f->width)
			problem(ck, p, f, "const '%s' is %zu bytes in %s, the "
			    "field %zu", f->arg, n, textenc_name(u->encoding),
			    f->width);
	}
	if (f->type == LT_DATE) {
		/* The longest text over a leap year's days (names, %-d and
		 * %-m) and a few years (%-y, %C). */
		n = 0;
		for (i = 0; i < 370; i++) {
			d = i < 366 ? bdate_from_ymd(2000, 1, 1) + (bdate_t)i :
			    bdate_from_ymd(i == 366 ? 1999 : i == 367 ? 2099 :
			    i == 368 ? 9999 : 1, 12, 31);
			k = format_date(d, f->arg, s, sizeof(s));
			if (k == 0)
				continue;
			if (strpbrk(s, "\r\n") != NULL) {
				problem(ck, p, f, "date format '%s' gives a "
				    "line break", f->arg);
				return;
			}
			k = encoded_len(u->encoding, s, &ck->nomem);
			if (k == (size_t)-1) {
				if (!ck->nomem)
					problem(ck, p, f, "date format '%s' "
					    "cannot be written in %s", f->arg,
					    textenc_name(u->encoding));
				return;
			}
			if (k > n)
				n = k;
		}
		if (n == 0)
			problem(ck, p, f, "date format '%s' gives nothing",
			    f->arg);
		else if (fixed && n > f->width)
			problem(ck, p, f, "date format '%s' gives up to %zu "
			    "bytes, the field has %zu", f->arg, n, f->width);
	}
	if (f->type == LT_SUM && fixed) {
		rf = layout_find(&ls->part[LAYOUT_RECORD], f->arg);
		if (rf == NULL)
			problem(ck, p, f, "sum of '%s': [record] has no such "
			    "field", f->arg);
		else if (rf->type != LT_NUMBER)
			problem(ck, p, f, "sum of '%s': a %s field, not a "
			    "number", f->arg, type_names[rf->type]);
	}
}

int
layouts_check(struct job_layouts *ls, const struct layout_use *u,
    layout_report_fn report, void *ctx)
{
	struct checker ck = { ls, report, ctx, 0, 0 };
	struct layout_field *f;
	const struct layout_field *rf;
	size_t i, w = 0;
	int p, any = 0;

	for (p = 0; p < LAYOUT_PARTS; p++)
		any |= layout_has(ls, (enum layout_part)p);
	if (u->format == FMT_FIXED && !layout_has(ls, LAYOUT_RECORD)) {
		problem(&ck, LAYOUT_RECORD, NULL, "format = fixed needs a "
		    "[record] section (the data record's fields)");
		return ck.n;
	}
	if (!any)
		return 0;
	if (u->format == FMT_JSON || u->format == FMT_JSONL) {
		for (p = 0; p < LAYOUT_PARTS; p++)
			if (layout_has(ls, (enum layout_part)p))
				break;
		problem(&ck, (enum layout_part)p, NULL, "only used with "
		    "format = fixed, csv or xml, not %s",
		    u->format == FMT_JSON ? "json" : "jsonl");
		return ck.n;
	}
	if (u->format != FMT_FIXED && layout_has(ls, LAYOUT_RECORD)) {
		problem(&ck, LAYOUT_RECORD, NULL, "only used with format = "
		    "fixed (the columns of %s come from the data)",
		    u->format == FMT_XML ? "xml" : "csv");
		return ck.n;
	}
	for (p = 0; p < LAYOUT_PARTS; p++) {
		if (!layout_has(ls, (enum layout_part)p))
			continue;
		if (ls->part[p].n == 0 && ls->part[p].nbad == 0)
			problem(&ck, (enum layout_part)p, NULL, "no fields");
		for (i = 0; i < ls->part[p].n; i++)
			check_field(&ck, ls, (enum layout_part)p,
			    &ls->part[p].f[i], u);
		if (ls->part[p].width > LAYOUT_RECORD_MAX)
			problem(&ck, (enum layout_part)p, NULL, "%zu bytes "
			    "wide; at most %d", ls->part[p].width,
			    LAYOUT_RECORD_MAX);
	}
	/* A sum's decimals default to its [record] field's. */
	for (i = 0; i < ls->part[LAYOUT_TRAILER].n; i++) {
		f = &ls->part[LAYOUT_TRAILER].f[i];
		if (f->type != LT_SUM || f->decimals >= 0)
			continue;
		rf = layout_find(&ls->part[LAYOUT_RECORD], f->arg);
		if (rf != NULL && rf->type == LT_NUMBER)
			f->decimals = rf->decimals;
		else if (u->format == FMT_FIXED)
			f->decimals = 0;
	}
	if (u->format == FMT_FIXED && u->record_end == RECORD_END_NONE) {
		for (p = 0; p < LAYOUT_PARTS; p++) {
			if (!layout_has(ls, (enum layout_part)p))
				continue;
			if (w == 0)
				w = ls->part[p].width;
			else if (ls->part[p].width != w)
				problem(&ck, (enum layout_part)p, NULL, "%zu "
				    "bytes wide, the others %zu: with "
				    "record_end = none every layout must have "
				    "the same width", ls->part[p].width, w);
		}
	}
	return ck.nomem ? -1 : ck.n;
}

/* --- totals -------------------------------------------------------------- */

int
layout_totals_init(struct layout_totals *t, const struct job_layouts *ls,
    struct xerr *err)
{
	size_t n = ls != NULL ? ls->part[LAYOUT_TRAILER].n : 0;

	memset(t, 0, sizeof(*t));
	t->n = n;
	if ((t->sums = calloc(n + 1, sizeof(*t->sums))) == NULL ||
	    (t->col = calloc(n + 1, sizeof(*t->col))) == NULL) {
		layout_totals_release(t);
		return xerr_nomem(err);
	}
	return 0;
}

void
layout_totals_release(struct layout_totals *t)
{
	free(t->sums);
	free(t->col);
	t->sums = NULL;
	t->col = NULL;
}

int
layout_totals_bind(struct layout_totals *t, const struct job_layouts *ls,
    const char *const *names, size_t n, int source, struct xerr *err)
{
	const struct layout_field *f, *rf;
	const char *want;
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		f = &ls->part[LAYOUT_TRAILER].f[i];
		if (f->type != LT_SUM)
			continue;
		want = f->arg;
		if (source && (rf = layout_find(&ls->part[LAYOUT_RECORD],
		    f->arg)) != NULL)
			want = rf->arg;
		for (j = 0; j < n; j++)
			if (strcmp(names[j], want) == 0)
				break;
		if (j == n)
			return xerr_set(err, XERR_DATA, 0, "[trailer] '%s': "
			    "the data has no field '%s' to sum", f->name,
			    want);
		t->col[i] = j;
	}
	t->bound = 1;
	return 0;
}

int
layout_totals_add(struct layout_totals *t, const struct job_layouts *ls,
    const struct record *rec, struct xerr *err)
{
	const struct layout_field *f;
	const struct value *v;
	struct decimal d;
	char where[512];
	size_t i;

	t->records++;
	for (i = 0; i < t->n; i++) {
		f = &ls->part[LAYOUT_TRAILER].f[i];
		if (f->type != LT_SUM)
			continue;
		if (!t->bound || t->col[i] >= rec->n)
			return xerr_set(err, XERR_PERM, 0, "layout: sums not "
			    "bound to the columns");
		v = &rec->vals[t->col[i]];
		if (v->kind == VAL_NULL || decimal_parse(v->ptr, v->len,
		    &d) == -1) {
			record_where(rec, where, sizeof(where));
			return xerr_set(err, XERR_DATA, 0, "%s: '%.*s' in '%s' "
			    "is not a number ([trailer] '%s' sums it)", where,
			    v->len > 40 ? 40 : (int)v->len, v->ptr,
			    rec->names[t->col[i]], f->name);
		}
		if (decimal_add(&t->sums[i], &d) == -1) {
			record_where(rec, where, sizeof(where));
			return xerr_set(err, XERR_DATA, 0, "%s: the sum of "
			    "'%s' overflows", where, rec->names[t->col[i]]);
		}
	}
	return 0;
}

/* --- values -------------------------------------------------------------- */

/* strftime of the date in the C locale (xfer never calls setlocale). */
static size_t
format_date(bdate_t date, const char *fmt, char *out, size_t size)
{
	struct tm tm;

	bdate_to_tm(date, &tm);
	return strftime(out, size, fmt, &tm);
}

static unsigned long long
count_of(const struct layout_field *f, const struct layout_ctx *c)
{
	unsigned long long n = c->totals != NULL ? c->totals->records : 0;

	if (f->all)
		n += (unsigned long long)layout_has(c->ls, LAYOUT_HEADER) +
		    (unsigned long long)layout_has(c->ls, LAYOUT_TRAILER);
	return n;
}

int
layout_value(const struct layout_field *f, const struct layout_ctx *c,
    struct buf *out, struct xerr *err)
{
	char s[DECIMAL_STRLEN > 256 ? DECIMAL_STRLEN : 256];
	struct decimal d;
	size_t n, i;
	int rc = 0;

	switch (f->type) {
	case LT_CONST:
		rc = buf_puts(out, f->arg);
		break;
	case LT_DATE:
		n = format_date(c->date, f->arg, s, sizeof(s));
		rc = buf_append(out, s, n);
		break;
	case LT_COUNT:
		rc = buf_printf(out, "%llu", count_of(f, c));
		break;
	case LT_SEQ:
		rc = buf_printf(out, "%lu", c->seq);
		break;
	case LT_SUM:
		memset(&d, 0, sizeof(d));
		if (c->totals != NULL) {
			for (i = 0; i < c->ls->part[LAYOUT_TRAILER].n; i++)
				if (&c->ls->part[LAYOUT_TRAILER].f[i] == f)
					break;
			if (i < c->totals->n)
				d = c->totals->sums[i];
		}
		if (f->decimals >= 0) {
			if (decimal_round(&d, f->decimals, DECIMAL_EXACT,
			    &d) == -1) {
				decimal_format(&d, s);
				return xerr_set(err, XERR_DATA, 0, "[trailer] "
				    "'%s': the sum %s has more than %d "
				    "decimal%s", f->name, s, f->decimals,
				    f->decimals == 1 ? "" : "s");
			}
			n = decimal_format_fixed(&d, f->decimals, s);
		} else {
			n = decimal_format(&d, s);
		}
		rc = buf_append(out, s, n);
		break;
	case LT_FILLER:
	case LT_TEXT:
	case LT_NUMBER:
		break;
	}
	return rc == -1 ? xerr_nomem(err) : 0;
}

int
layout_number_fixed(const struct layout_field *f, const char *s, size_t len,
    struct buf *out, char *why, size_t whysize)
{
	char digits[DECIMAL_STRLEN], *p;
	struct decimal d, r;
	size_t nd, room;
	int neg, dec = f->decimals < 0 ? 0 : f->decimals;

	if (decimal_parse(s, len, &d) == -1) {
		snprintf(why, whysize, "'%.*s' is not a number",
		    len > 40 ? 40 : (int)len, s);
		return -1;
	}
	if (decimal_round(&d, dec, DECIMAL_EXACT, &r) == -1) {
		snprintf(why, whysize, "'%.*s' has more than %d decimal%s "
		    "(never rounded)", len > 40 ? 40 : (int)len, s, dec,
		    dec == 1 ? "" : "s");
		return -1;
	}
	neg = r.v < 0;
	if (neg && f->sign == LS_NONE) {
		snprintf(why, whysize, "'%.*s' is negative and the field has "
		    "no sign (sign = none)", len > 40 ? 40 : (int)len, s);
		return -1;
	}
	/* Digits of |r| at dec decimals, the point left out. */
	nd = decimal_format_fixed(&r, dec, digits);
	p = digits;
	if (*p == '-')
		p++, nd--;
	if (dec > 0) {
		char *dot = strchr(p, '.');

		if (dot != NULL) {
			memmove(dot, dot + 1, strlen(dot));
			nd--;
		}
	}
	/* "0.05" -> "005": leading zeros are padding anyway. */
	while (nd > 1 && *p == '0') {
		p++;
		nd--;
	}
	room = f->width - (f->sign != LS_NONE ? 1 : 0);
	if (nd > room) {
		snprintf(why, whysize, "'%.*s' needs %zu digits, the field "
		    "has %zu", len > 40 ? 40 : (int)len, s, nd, room);
		return -1;
	}
	if (f->sign == LS_LEADING && buf_putc(out, neg ? '-' : '+') == -1)
		return -2;
	while (room-- > nd)
		if (buf_putc(out, '0') == -1)
			return -2;
	if (buf_append(out, p, nd) == -1)
		return -2;
	if (f->sign == LS_TRAILING && buf_putc(out, neg ? '-' : '+') == -1)
		return -2;
	return 0;
}

int
layout_number_read(const struct layout_field *f, const char *p, size_t len,
    struct buf *out, char *why, size_t whysize)
{
	int dec = f->decimals < 0 ? 0 : f->decimals, neg = 0;
	char sign = 0;
	size_t i, start;

	if (f->sign == LS_LEADING && len > 0) {
		sign = p[0];
		p++;
		len--;
	} else if (f->sign == LS_TRAILING && len > 0) {
		sign = p[len - 1];
		len--;
	}
	if (sign != 0) {
		if (sign == '-')
			neg = 1;
		else if (sign != '+' && sign != ' ') {
			snprintf(why, whysize, "sign '%c' is not + or -",
			    isprint((unsigned char)sign) ? sign : '?');
			return -1;
		}
	}
	if (len == 0) {
		snprintf(why, whysize, "no digits");
		return -1;
	}
	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9') {
			snprintf(why, whysize, "'%.*s' is not a number of %zu "
			    "digits", (int)len, p, len);
			return -1;
		}
	/* Leading zeros go, but the units digit stays. */
	for (start = 0; start + 1 + (size_t)dec < len && p[start] == '0';
	    start++)
		;
	for (i = start; i < len; i++)
		if (p[i] != '0')
			break;
	if (neg && i < len && buf_putc(out, '-') == -1)
		return -2;
	if ((size_t)dec >= len) {
		if (buf_puts(out, "0.") == -1)
			return -2;
		for (i = len; i < (size_t)dec; i++)
			if (buf_putc(out, '0') == -1)
				return -2;
		return buf_append(out, p, len) == -1 ? -2 : 0;
	}
	if (buf_append(out, p + start, len - (size_t)dec - start) == -1)
		return -2;
	if (dec > 0 && (buf_putc(out, '.') == -1 ||
	    buf_append(out, p + len - dec, (size_t)dec) == -1))
		return -2;
	return 0;
}

/* --- verify on receive --------------------------------------------------- */

int
layout_text_matches(const char *want, const char *p, size_t len)
{
	size_t n = strlen(want), m = len;

	while (n > 0 && want[n - 1] == ' ')
		n--;
	while (m > 0 && p[m - 1] == ' ')
		m--;
	return n == m && memcmp(want, p, n) == 0;
}

int
layout_verify(enum layout_part p, const struct value *vals,
    const struct layout_ctx *c, const char *file, struct xerr *err)
{
	const struct layout *l = &c->ls->part[p];
	const struct layout_field *f;
	const struct value *v;
	struct decimal have, want;
	unsigned long long n;
	char s[256], a[DECIMAL_STRLEN], b[DECIMAL_STRLEN];
	size_t i, len, j;

	for (i = 0; i < l->n; i++) {
		f = &l->f[i];
		v = &vals[i];
		switch (f->type) {
		case LT_CONST:
			if (!layout_text_matches(f->arg, v->ptr, v->len))
				return xerr_set(err, XERR_DATA, 0, "'%s': %s '%s' "
				    "is '%.*s', expected '%s'", file,
				    part_names[p], f->name,
				    v->len > 60 ? 60 : (int)v->len, v->ptr,
				    f->arg);
			break;
		case LT_DATE:
			if (!c->has_date)
				break;
			len = format_date(c->date, f->arg, s, sizeof(s));
			s[len] = '\0';
			if (!layout_text_matches(s, v->ptr, v->len)) {
				bdate_format(c->date, a);
				return xerr_set(err, XERR_DATA, 0, "'%s': %s '%s' "
				    "is '%.*s', the file's date %s gives "
				    "'%s'", file, part_names[p], f->name,
				    v->len > 60 ? 60 : (int)v->len, v->ptr, a,
				    s);
			}
			break;
		case LT_COUNT:
			n = count_of(f, c);
			snprintf(s, sizeof(s), "%llu", n);
			if (decimal_parse(v->ptr, v->len, &have) == -1 ||
			    decimal_parse(s, strlen(s), &want) == -1 ||
			    decimal_cmp(&have, &want) != 0)
				return xerr_set(err, XERR_DATA, 0, "'%s': %s '%s' "
				    "says %.*s record%s, the file has %llu%s",
				    file, part_names[p], f->name,
				    v->len > 40 ? 40 : (int)v->len, v->ptr,
				    v->len == 1 && v->ptr[0] == '1' ? "" : "s",
				    n, f->all ? " (header and trailer "
				    "included)" : "");
			break;
		case LT_SUM:
			memset(&want, 0, sizeof(want));
			if (c->totals != NULL && i < c->totals->n)
				want = c->totals->sums[i];
			if (decimal_parse(v->ptr, v->len, &have) == -1)
				return xerr_set(err, XERR_DATA, 0, "'%s': %s '%s' "
				    "is '%.*s', not a number", file,
				    part_names[p], f->name,
				    v->len > 40 ? 40 : (int)v->len, v->ptr);
			if (decimal_cmp(&have, &want) != 0) {
				j = (size_t)(have.scale > want.scale ?
				    have.scale : want.scale);
				(void)decimal_round(&have, (int)j,
				    DECIMAL_EXACT, &have);
				decimal_format_fixed(&have, (int)j, a);
				decimal_format_fixed(&want, (int)j, b);
				return xerr_set(err, XERR_DATA, 0, "'%s': %s '%s' "
				    "is %s, the records sum to %s", file,
				    part_names[p], f->name, a, b);
			}
			break;
		default:
			break;
		}
	}
	return 0;
}
