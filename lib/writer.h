/*
 * writer: format records as CSV (RFC 4180), one JSON array, or JSON Lines,
 * into a sink.  Deterministic and locale-independent.
 *
 * CSV quotes a field only when it holds the delimiter, a quote, CR or LF;
 * NULL is an empty field.  formula_guard prefixes "'" to a text cell that
 * starts with = + - @ TAB or CR, unless the cell is a plain number such as
 * "-12.5" (so negative amounts stay numbers).
 *
 * JSON: VAL_NUMBER and VAL_BOOL unquoted, VAL_NULL null, VAL_RAW as is,
 * VAL_TEXT a string with \" \\ \b \f \n \r \t and \u00XX escapes; text that
 * is not valid UTF-8 is an error naming the field.  A JSON file is
 * "[\n" rows joined by ",\n" "\n]\n"; an empty one is "[]\n".  JSON Lines is
 * one object per line; empty is zero bytes.  Fixed-width records are
 * written by lib/format/fixedout.c (the job's layouts).
 *
 * encoding (CSV, JSON Lines): every row, formatted in UTF-8, is encoded
 * into CP949 or EUC-KR before it goes out (the CSV header line too), and
 * never a byte-order mark.  A character the encoding cannot hold fails
 * the row naming the record and field ("record 2, field 'name': '뷁'
 * (U+BDC1) cannot be written in EUC-KR"), or with replace becomes '?'
 * (writer_replaced() counts them).
 *
 * XML (format/xmlout.c): one record a line under the root, fields as
 * elements or attributes (writer_opts xml), NULL absent, & < > " ' TAB LF
 * CR escaped; a value XML 1.0 cannot hold, or a column name that is not
 * an XML name, is an error naming the record and field; an empty batch is
 * "<records/>".
 */
#ifndef XFER_WRITER_H
#define XFER_WRITER_H

#include <stddef.h>

#include "bdate.h"
#include "job.h"
#include "record.h"
#include "textenc.h"
#include "xerr.h"

struct sink {
	/* Write all len bytes or fail; 0 / -1. */
	int (*write)(void *ctx, const void *p, size_t len, struct xerr *err);
	void *ctx;
};

struct writer_opts {
	enum out_format format;
	int header;		/* CSV: write the header line */
	char delim;		/* CSV; 0 means ',' */
	int crlf;		/* CSV: "\r\n" line ends */
	int formula_guard;	/* CSV */
	enum empty_mode empty;	/* CSV with no rows: header only, or 0 bytes */
	enum text_encoding encoding;	/* CSV, JSON Lines, fixed; JSON: UTF-8 */
	int replace;		/* unmappable = replace: '?' */
	/*
	 * [header], [record], [trailer] (layout.h): FMT_FIXED needs them;
	 * CSV writes the header record line before the column header and
	 * the trailer line last (even for no rows).  NULL: none.
	 */
	const struct job_layouts *layouts;
	bdate_t date;		/* date fields */
	unsigned long seq;	/* seq fields */
	enum record_end record_end;	/* FMT_FIXED */
	const struct job_xml *xml;	/* XML: element names (outlives w) */
};

struct writer;

/* NULL on allocation failure.  sink must outlive the writer. */
struct writer *writer_new(const struct writer_opts *o, const struct sink *s);
void writer_free(struct writer *w);

/*
 * The column names (copied).  Must be called once before writer_row(); may
 * be skipped when there are no rows and the names are unknown (then a CSV
 * header cannot be written and the file is empty).
 */
int writer_columns(struct writer *w, const char *const *names, size_t n,
    struct xerr *err);

/* One row; rec->n must equal the number of columns. */
int writer_row(struct writer *w, const struct record *rec, struct xerr *err);

/* Finish the file (header for an empty CSV, "]" for JSON) and flush. */
int writer_finish(struct writer *w, struct xerr *err);

unsigned long writer_rows(const struct writer *w);

/* Characters turned into '?' (unmappable = replace) so far. */
unsigned long writer_replaced(const struct writer *w);

#endif
