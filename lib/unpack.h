/*
 * unpack: turn a received file that may be gzip'd or zipped into a plain
 * file we can read, safely.
 *
 * Nothing is ever extracted to a path taken from the archive: the data of
 * the one regular-file entry is copied into a file of the caller's choice.
 * A zip must hold exactly one entry, a regular file with a plain name (no
 * '/', no "..", not absolute); links, directories, devices, more entries
 * and nested archives (an entry named *.zip or *.gz) are refused.  Output
 * beyond max_size bytes is refused (archive bombs); so is a truncated or
 * corrupt archive.  All of these are XERR_DATA naming the file.
 */
#ifndef XFER_UNPACK_H
#define XFER_UNPACK_H

#include "job.h"
#include "xerr.h"

/* COMPRESS_GZIP for a name ending in .gz, COMPRESS_ZIP for .zip, else
 * COMPRESS_NONE; *inner (may be NULL) gets the name without the suffix. */
enum compress_kind unpack_kind(const char *name, char *inner, size_t size);

/*
 * Decompress src (of kind) into dst_path (created with O_EXCL, fsync'd),
 * at most max_size bytes.  *out_bytes gets the size written.
 */
int unpack_file(enum compress_kind kind, const char *src, const char *label,
    const char *dst_path, long long max_size, long long *out_bytes,
    struct xerr *err);

#endif
