/*
 * jsonlin: stream JSON Lines (one JSON object per line) into records.
 *
 * Parsed with json-c in strict mode with UTF-8 validation; numbers keep
 * their exact original text (VAL_NUMBER), strings become VAL_TEXT, true and
 * false VAL_BOOL, null VAL_NULL, nested arrays/objects VAL_RAW (compact
 * JSON).  Blank lines are skipped; a UTF-8 BOM at the start is skipped.  A
 * line that is not one JSON object, or longer than max_line, is an error
 * naming the file and line.
 */
#ifndef XFER_JSONLIN_H
#define XFER_JSONLIN_H

#include <stddef.h>

#include "record.h"
#include "textenc.h"
#include "xerr.h"

struct jsonlin_opts {
	/*
	 * Projection: fields to hand on, in this order; a key missing from
	 * an object gives VAL_NULL.  NULL: the keys of the first object, in
	 * its order; a later object with a key the first did not have is an
	 * error (data would be dropped silently otherwise).
	 */
	const char *const *want;
	size_t nwant;
	size_t max_line;	/* bytes; 0 means 64 MiB */
	/*
	 * The file's encoding: anything but UTF-8 is decoded into UTF-8
	 * while it is read (textenc.h); a byte not valid in it is an error
	 * naming the file and the byte's offset.
	 */
	enum text_encoding encoding;
};

int jsonlin_read_fd(int fd, const char *label, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err);
int jsonlin_read_file(const char *path, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err);

/*
 * JSON files holding one array of objects ("[{...},{...}]", as xfer's own
 * JSON output), streamed: one element is held at a time (at most max_line
 * bytes each), never the whole document.  Each element is handed on as a
 * record exactly like a JSON Lines object (same kinds, same projection);
 * rec->line is the line the element starts on.  Anything but one array of
 * objects (trailing garbage included) is an error naming file and line.
 */
int jsonarr_read_fd(int fd, const char *label, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err);
int jsonarr_read_file(const char *path, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err);

#endif
