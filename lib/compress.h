/*
 * compress: gzip or zip a finished file with libarchive, deterministically
 * (no timestamp in the gzip header; zip entry time set by the caller from
 * the batch date), so the same input gives byte-identical output.
 */
#ifndef XFER_COMPRESS_H
#define XFER_COMPRESS_H

#include <time.h>

#include "job.h"
#include "xerr.h"

/*
 * Read src_path and write its compressed form to dst_fd (not closed, not
 * fsync'd).  entry_name is the name inside a zip; mtime its time.
 */
int compress_file(enum compress_kind kind, const char *src_path, int dst_fd,
    const char *entry_name, time_t mtime, struct xerr *err);

/* The suffix a kind adds to a file name: "", ".gz" or ".zip". */
const char *compress_suffix(enum compress_kind kind);

#endif
