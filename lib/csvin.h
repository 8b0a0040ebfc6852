/*
 * csvin: stream RFC 4180 CSV into records through libcsv.
 *
 * Quoted fields may hold the delimiter, doubled quotes and newlines; CRLF
 * or LF line ends; a UTF-8 byte-order mark at the start is skipped.  The
 * first record is the header and names the fields (names must be unique
 * and non-empty), unless the names are given (csvin_opts names).  Every
 * later record must have as many fields as the header.  Blank lines are
 * skipped.  Errors name the file and line.  A file in CP949 or EUC-KR is
 * decoded as it is read (csvin_opts encoding).
 */
#ifndef XFER_CSVIN_H
#define XFER_CSVIN_H

#include <stddef.h>

#include "record.h"
#include "textenc.h"
#include "xerr.h"

struct csvin_opts {
	char delim;			/* 0 means ',' */
	/*
	 * Projection: the fields to hand on, in this order.  A wanted field
	 * missing from the header is an error naming the file and field.
	 * NULL: every field, in header order.
	 */
	const char *const *want;
	size_t nwant;
	size_t max_field;		/* bytes per field; 0 means 64 MiB */
	/*
	 * Called once per file after its header is read, before any record,
	 * with the header's names (even when want is set).  May be NULL.
	 */
	int (*on_header)(void *ctx, const char *file,
	    const char *const *names, size_t n, struct xerr *err);
	/*
	 * No header line: every record is data and these are the field
	 * names (nnames > 0; on_header still gets them).  NULL: the first
	 * record is the header.
	 */
	const char *const *names;
	size_t nnames;
	/*
	 * The file's encoding: anything but UTF-8 is decoded into UTF-8
	 * while it is read (textenc.h); a byte not valid in it is an error
	 * naming the file and the byte's offset.
	 */
	enum text_encoding encoding;
	/*
	 * quotes = lenient: a quote inside an unquoted field is text
	 * (37°36'37.8"N), as a spreadsheet writes it.  Everything else stays
	 * strict: a quoted field must end at its closing quote.
	 */
	int lenient_quotes;
	/*
	 * Read at most limit bytes from the fd's offset (0: to the end),
	 * numbering lines from first_line (0 means 1): the lines between a
	 * header record line and a trailer line (fixedin.h).
	 */
	long long limit;
	unsigned long first_line;
};

/* Read everything from fd (not closed); label names it in messages. */
int csvin_read_fd(int fd, const char *label, const struct csvin_opts *o,
    record_fn fn, void *ctx, struct xerr *err);

/* Open path (O_RDONLY|O_CLOEXEC) and read it. */
int csvin_read_file(const char *path, const struct csvin_opts *o,
    record_fn fn, void *ctx, struct xerr *err);

#endif
