/*
 * ini: read an INI file ([section], key = value, # or ; comments) and hand
 * each entry to a callback.  Values are trimmed; a line starting with # or
 * ; is a comment, and " #" starts an inline comment (so "a#b" and
 * "delimiter = ;" keep their values).  Keys outside any
 * section, malformed lines, over-long lines and NUL bytes are errors
 * reported as "FILE:LINE: why".
 */
#ifndef XFER_INI_H
#define XFER_INI_H

#include "xerr.h"

/* Called for "[section]" with key == NULL, then for each key.  Return 0 to
 * go on, -1 to stop (err set). */
typedef int (*ini_fn)(void *ctx, const char *section, const char *key,
    const char *value, unsigned line, struct xerr *err);

int ini_parse_file(const char *path, ini_fn fn, void *ctx, struct xerr *err);
int ini_parse_buffer(const char *label, const char *data, size_t len,
    ini_fn fn, void *ctx, struct xerr *err);

#endif
