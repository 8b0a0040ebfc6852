/*
 * fixedout: records as fixed-width records (format = fixed), for
 * writer.c.  Each field is encoded into the file's encoding and counted
 * in bytes of it, then padded: text left-aligned with spaces (right:
 * right-aligned), numbers right-aligned with zeros, implied decimals and
 * the field's sign convention.  A value too wide, a number with more
 * decimals than the field has, a character the encoding cannot hold: an
 * error naming the record and the field.  truncate cuts text at a
 * character boundary (never splitting a multi-byte character) and pads.
 *
 * The header record, the data records and the trailer record each end
 * in record_end.  Each call appends one whole record to out.
 */
#ifndef XFER_FIXEDOUT_H
#define XFER_FIXEDOUT_H

#include <stddef.h>

#include "bdate.h"
#include "buf.h"
#include "job.h"
#include "layout.h"
#include "record.h"
#include "textenc.h"
#include "xerr.h"

struct fixedout_opts {
	const struct job_layouts *layouts;	/* [record] required */
	enum text_encoding encoding;
	int unmappable_replace;
	enum record_end record_end;
	bdate_t date;
	unsigned long seq;
};

struct fixedout;

struct fixedout *fixedout_new(const struct fixedout_opts *o,
    struct xerr *err);
void fixedout_free(struct fixedout *fo);

/* The names of the records to come: each [record] text/number field's
 * data field must be among them. */
int fixedout_columns(struct fixedout *fo, const char *const *names,
    size_t n, struct xerr *err);

/* The header record (nothing without [header]). */
int fixedout_header(struct fixedout *fo, struct buf *out, struct xerr *err);
/* One data record; recno is its 1-based number in the file's data. */
int fixedout_row(struct fixedout *fo, const struct record *rec,
    unsigned long recno, struct buf *out, struct xerr *err);
/* The trailer record (nothing without [trailer]). */
int fixedout_trailer(struct fixedout *fo, struct buf *out, struct xerr *err);

/* Characters unmappable = replace has turned into '?'. */
unsigned long fixedout_replaced(const struct fixedout *fo);

#endif
