/*
 * ini: read an INI file ([section], key = value, # or ; comments) and hand
 * each entry to a callback.  Values are trimmed; a line starting with # or
 * ; is a comment, and " #" starts an inline comment (so "a#b" and
 * "delimiter = ;" keep their values).  Keys outside any
 * section, malformed lines, over-long lines and NUL bytes are errors
 * reported as "FILE:LINE: why": the first stops ini_parse_file(), while
 * ini_parse_file_all() reports each malformed line and reads on.
 */
#ifndef XFER_INI_H
#define XFER_INI_H

#include "xerr.h"

/* Called for "[section]" with key == NULL, then for each key.  Return 0 to
 * go on, -1 to stop (err set). */
typedef int (*ini_fn)(void *ctx, const char *section, const char *key,
    const char *value, unsigned line, struct xerr *err);

/*
 * Called for a line that cannot be read, instead of stopping there: why
 * holds the message the parse would fail with ("FILE:LINE: why").
 * bad_key is the key of a "key = value" line whose key has characters
 * keys cannot have ("group-by"), so the caller can tell the key meant;
 * otherwise NULL.  section is the current section ("" outside any).  The
 * keys after a malformed "[section" line are skipped unseen until the
 * next good one.  Return 0 to read on from the next line, -1 to stop (err
 * set).
 */
typedef int (*ini_bad_fn)(void *ctx, const char *section,
    const char *bad_key, unsigned line, const struct xerr *why,
    struct xerr *err);

/* Stop at the first problem (0, or -1 with err set). */
int ini_parse_file(const char *path, ini_fn fn, void *ctx, struct xerr *err);
int ini_parse_buffer(const char *label, const char *data, size_t len,
    ini_fn fn, void *ctx, struct xerr *err);

/*
 * Read every line, handing the ones that cannot be read to bad.  -1 (err
 * set) only when the file cannot be read as a whole (missing, unsafe, too
 * large, a NUL byte, out of memory) or a callback stopped it.
 */
int ini_parse_file_all(const char *path, ini_fn fn, ini_bad_fn bad,
    void *ctx, struct xerr *err);
int ini_parse_buffer_all(const char *label, const char *data, size_t len,
    ini_fn fn, ini_bad_fn bad, void *ctx, struct xerr *err);

#endif
