/*
 * fixedin: read files laid out by [header], [record], [trailer]
 * (layout.h): fixed-width records (format = fixed), and CSV files with a
 * header record line before the column header and a trailer line last.
 *
 * Fixed: records end in record_end (none: each is the layouts' width);
 * every record's length in bytes must equal its layout's width (an error
 * names the record and both lengths).  The first record is the header
 * and the last the trailer when those sections exist (one record is held
 * back to know which is last).  Fields are cut by bytes and decoded one
 * by one from the file's encoding; text loses its padding, numbers become
 * plain decimal text ("0000001250" with decimals=2 is "12.50").  Data
 * records are handed on as records whose columns are the [record] text
 * and number fields, named by their keys; const fields are checked,
 * filler, date and seq fields are not columns.
 *
 * Both: the header is checked when read (const, and date when has_date),
 * the trailer at the end against the data (count, sums exact): a
 * mismatch is an XERR_DATA error naming the file and the field, and as
 * the last record comes last, a caller loading records in a transaction
 * rolls them all back.  Streaming: memory stays flat.
 */
#ifndef XFER_FIXEDIN_H
#define XFER_FIXEDIN_H

#include <stddef.h>

#include "bdate.h"
#include "job.h"
#include "layout.h"
#include "record.h"
#include "textenc.h"
#include "xerr.h"

struct fixedin_opts {
	const struct job_layouts *layouts;
	enum text_encoding encoding;
	enum record_end record_end;	/* fixed */
	char delim;			/* csv; 0 means ',' */
	int lenient_quotes;		/* csv: quotes = lenient (csvin.h) */
	bdate_t date;			/* the batch date */
	int has_date;			/* ... came from the file's name */
	/* Called once with the data columns' names before any record
	 * (csv: the column header line's); may be NULL. */
	int (*on_header)(void *ctx, const char *file,
	    const char *const *names, size_t n, struct xerr *err);
};

/* format = fixed.  label names the file in messages. */
int fixedin_read_fd(int fd, const char *label, const struct fixedin_opts *o,
    record_fn fn, void *ctx, struct xerr *err);

/* format = csv with [header] and/or [trailer]; fd must be seekable. */
int fixedin_csv_read_fd(int fd, const char *label,
    const struct fixedin_opts *o, record_fn fn, void *ctx,
    struct xerr *err);

#endif
