/*
 * layout: the [header], [record] and [trailer] sections of a job: the
 * fields of a partner's record layout, and what is computed from them.
 *
 * Each key of a section is a field name, in file order; its value is the
 * field's spec:  [WIDTH] TYPE [ARG] [OPTION=VALUE ...]
 *
 *   text [right] [truncate] [field=NAME]   a data field (default: of this
 *                                          name); left-aligned, space-padded
 *   number [decimals=N] [sign=none|leading|trailing] [field=NAME]
 *                                          right-aligned, zero-padded,
 *                                          implied decimals
 *   const TEXT        a constant ("..." keeps spaces; \" and \\ inside)
 *   filler [0]        spaces (or zeros)
 *   date FORMAT       the batch date through strftime (C locale)
 *   count [all]       trailer: data records (all: with header and trailer)
 *   sum FIELD [decimals=N] [sign=...]   trailer: exact sum of a data field
 *   seq               the batch's {seq}
 *
 * WIDTH is bytes in the file's encoding (format = fixed only).  The
 * writers (fixedout for fixed, writer.c for csv, xmlout for xml) ask this
 * module for the computed values and the number formats; the readers
 * (fixedin, the csv path of ingest, xmlin) hand the decoded header and
 * trailer to layout_verify(), which checks them against the data.
 *
 * Everything here is deterministic: no locale (strftime of a struct tm
 * built from the batch date, in the C locale), no floating point (sums
 * are lib/decimal.h), no clock.
 */
#ifndef XFER_LAYOUT_H
#define XFER_LAYOUT_H

#include <stddef.h>

#include "bdate.h"
#include "buf.h"
#include "decimal.h"
#include "job.h"
#include "record.h"
#include "textenc.h"
#include "xerr.h"

/* The widest field and record a layout may have, in bytes. */
#define LAYOUT_FIELD_MAX	65536
#define LAYOUT_RECORD_MAX	(1024 * 1024)

enum layout_part { LAYOUT_HEADER, LAYOUT_RECORD, LAYOUT_TRAILER,
	LAYOUT_PARTS };

enum layout_type { LT_TEXT, LT_NUMBER, LT_CONST, LT_FILLER, LT_DATE,
	LT_COUNT, LT_SUM, LT_SEQ };

enum layout_sign { LS_NONE, LS_LEADING, LS_TRAILING };

struct layout_field {
	char *name;		/* the key */
	unsigned line;		/* in the job file */
	size_t width;		/* bytes; 0: none given */
	enum layout_type type;
	/*
	 * text, number: the data field (field=NAME, default the key);
	 * const: the text; date: the strftime format; sum: the field
	 * summed (a [record] key for fixed, a data column otherwise).
	 */
	char *arg;
	int right;		/* text right */
	int truncate;		/* text truncate */
	int decimals;		/* number, sum: implied decimals; -1 unset */
	enum layout_sign sign;	/* number, sum */
	int zero;		/* filler 0 */
	int all;		/* count all */
};

struct layout {
	struct layout_field *f;
	size_t n;
	size_t width;		/* sum of the widths */
	unsigned line;		/* of the section header; 0: absent */
	size_t nbad;		/* fields refused by layouts_add() */
};

struct job_layouts {
	struct layout part[LAYOUT_PARTS];
};

/* "header", "record", "trailer". */
const char *layout_part_name(enum layout_part p);
/* LAYOUT_PARTS when name is none of them. */
enum layout_part layout_part_of(const char *section);
const char *layout_type_name(enum layout_type t);

/* NULL when out of memory. */
struct job_layouts *layouts_new(void);
void layouts_free(struct job_layouts *ls);

/* 1 when the part has a section in the job (even an empty one). */
int layout_has(const struct job_layouts *ls, enum layout_part p);

/* Note that the section is there (its line), before any field. */
void layouts_section(struct job_layouts *ls, enum layout_part p,
    unsigned line);

/*
 * Parse spec into *f (name and line copied in).  0; -1 with why ("expected
 * a width or a type", ...; the caller puts "[record] 'amount': " in front);
 * -2 out of memory.  layout_field_release() frees what f holds.
 */
int layout_field_parse(const char *name, const char *spec, unsigned line,
    struct layout_field *f, char *why, size_t whysize);
void layout_field_release(struct layout_field *f);

/* Parse and append to part p: 0, -1 (why), -2 (out of memory). */
int layouts_add(struct job_layouts *ls, enum layout_part p, const char *name,
    const char *spec, unsigned line, char *why, size_t whysize);

/* How layouts_check() reports: msg is "[record] 'amount': why". */
typedef void (*layout_report_fn)(void *ctx, unsigned line, const char *msg);

struct layout_use {
	enum out_format format;
	enum record_end record_end;
	enum text_encoding encoding;
	int send;		/* 1: a send job (writes), 0: receive */
};

/*
 * The checks once the whole job is known (format, direction, encoding):
 * widths for fixed and none for csv/xml, [record] for fixed only,
 * count/sum only in [trailer], a sum's field, equal widths with
 * record_end = none, consts that fit.  Returns the number of problems
 * reported (-1: out of memory).
 */
int layouts_check(struct job_layouts *ls, const struct layout_use *u,
    layout_report_fn report, void *ctx);

/* The field of part p named name, or NULL. */
const struct layout_field *layout_find(const struct layout *l,
    const char *name);

/* --- values -------------------------------------------------------------- */

/* What the computed fields of a batch are made of. */
struct layout_totals {
	unsigned long long records;	/* data records */
	size_t n;			/* = trailer fields */
	struct decimal *sums;		/* per trailer field (LT_SUM ones) */
	size_t *col;			/* per trailer field: the column summed */
	int bound;
};

struct layout_ctx {
	const struct job_layouts *ls;
	bdate_t date;
	int has_date;		/* receive: the date came from the name */
	unsigned long seq;
	const struct layout_totals *totals;	/* NULL: header (no totals) */
};

/* 0, -1 out of memory (err). */
int layout_totals_init(struct layout_totals *t, const struct job_layouts *ls,
    struct xerr *err);
void layout_totals_release(struct layout_totals *t);

/*
 * The data records will have these column names: find each sum's column.
 * source: 1 to read a fixed sum's FIELD through its [record] field's
 * field= (send: the records are the source's), 0 to take it as a column
 * name (receive, csv).  -1 XERR_DATA "[trailer] 'total': the data has no
 * field 'amount'".
 */
int layout_totals_bind(struct layout_totals *t, const struct job_layouts *ls,
    const char *const *names, size_t n, int source, struct xerr *err);

/* One data record: count it, add its summed values (exact; a value that
 * is not a number is an error naming the record and field). */
int layout_totals_add(struct layout_totals *t, const struct job_layouts *ls,
    const struct record *rec, struct xerr *err);

/*
 * The value of a computed field (const, date, count, sum, seq; filler is
 * "") as UTF-8 text, appended to out: numbers in plain notation ("1500.00",
 * "-3", "2"), at the field's decimals when set.  -1 XERR_DATA (a sum with
 * more decimals than the field has) or XERR_NOMEM.
 */
int layout_value(const struct layout_field *f, const struct layout_ctx *c,
    struct buf *out, struct xerr *err);

/*
 * A number (plain decimal text) into f->width bytes, as format = fixed
 * writes it: digits right-aligned and zero-padded, decimals implied, the
 * sign by f->sign.  -1 with why: not a number, negative with sign = none,
 * more decimals than f has, too wide.
 */
int layout_number_fixed(const struct layout_field *f, const char *s,
    size_t len, struct buf *out, char *why, size_t whysize);

/*
 * The reverse: f->width bytes of a fixed file to plain decimal text
 * ("0000001250", decimals=2 -> "12.50"; "-000000003" -> "-3").  -1 with
 * why when the bytes are not such a number.
 */
int layout_number_read(const struct layout_field *f, const char *p,
    size_t len, struct buf *out, char *why, size_t whysize);

/*
 * Does a const (or a date's expected text) match what a reader decoded?
 * The writer pads them with spaces and the reader strips trailing ones,
 * so trailing spaces of the expected text do not count.
 */
int layout_text_matches(const char *want, const char *p, size_t len);

/*
 * Receive: check a header or trailer read from file against the data.
 * vals has one value per field of part p (decoded UTF-8, padding
 * stripped; numbers as plain decimal text).  const must match; date must
 * be the batch date when c->has_date; in the trailer, count and sums must
 * equal the data's exactly.  -1 XERR_DATA naming file and field:
 * "F: trailer 'cnt' says 3 records, the file has 2".
 */
int layout_verify(enum layout_part p, const struct value *vals,
    const struct layout_ctx *c, const char *file, struct xerr *err);

#endif
