/*
 * record: the unit that flows from a source to a writer.
 *
 * Sources push records to a record_fn one at a time; nothing holds more
 * than the current record, so memory stays flat as inputs grow.  A record
 * and everything it points to are only valid during the callback.
 */
#ifndef XFER_RECORD_H
#define XFER_RECORD_H

#include <stddef.h>

#include "xerr.h"

enum value_kind {
	VAL_NULL = 0,	/* SQL NULL, JSON null, or a field missing in JSONL */
	VAL_TEXT,	/* a string: CSV fields are always text */
	VAL_NUMBER,	/* a number; ptr holds its exact original text */
	VAL_BOOL,	/* "true" or "false" */
	VAL_RAW,	/* a nested JSON value, as compact JSON text */
};

struct value {
	const char *ptr;	/* NUL-terminated at ptr[len]; "" for VAL_NULL */
	size_t len;
	enum value_kind kind;
};

struct record {
	size_t n;			/* number of fields */
	const struct value *vals;	/* n values */
	const char *const *names;	/* n field names */
	const char *file;		/* where it came from, for messages */
	unsigned long recno;		/* 1-based data record number in file */
	unsigned long line;		/* 1-based line it starts on; 0: ask line_fn */
	/* Computes the line lazily (a CSV reader may rescan); may be NULL. */
	unsigned long (*line_fn)(const struct record *rec);
	const void *line_ctx;		/* for line_fn */
};

/* Return 0 to go on, -1 (with err set) to stop the source. */
typedef int (*record_fn)(void *ctx, const struct record *rec,
    struct xerr *err);

/* The line the record starts on, or 0 when it cannot be known. */
unsigned long record_line(const struct record *rec);

/*
 * "FILE:LINE" (or "FILE, record N" when the line is unknown) into out,
 * for messages such as "sales.csv:17: value 'x' in 'amount' is not a number".
 */
void record_where(const struct record *rec, char *out, size_t size);

#endif
