/*
 * fsutil: the durable-file primitives everything else builds on.
 *
 * The order that makes a file survive a power cut, and never be seen
 * half-written: write under a temporary name in the same directory, fsync
 * the file, rename it to its final name, fsync the directory.  A failed
 * fsync is never retried on the same file (after an fsync error the page
 * cache may have dropped the data: see PostgreSQL's "fsyncgate"); callers
 * treat the file as lost and build it again.
 */
#ifndef XFER_FSUTIL_H
#define XFER_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "xerr.h"

/* Write all of p or fail; EINTR and short writes handled. */
int write_full(int fd, const void *p, size_t len, const char *label,
    struct xerr *err);

/* One read(2), retried on EINTR; *got = 0 at end of file. */
int read_some(int fd, const char *label, char *buf, size_t size,
    size_t *got, struct xerr *err);

/*
 * The start of a streamed text file: 1 while the bytes read so far (n,
 * the last read gave got) are too few to tell whether they start with a
 * UTF-8 byte-order mark (read more; a mark may come in pieces from a
 * pipe); else 0, with *skip 3 for a mark and 0 without.
 */
int utf8_bom_pending(const char *buf, size_t n, size_t got, size_t *skip);

int fsync_fd(int fd, const char *label, struct xerr *err);
int fsync_dir(const char *dir, struct xerr *err);

/* mkdir -p with mode for each created directory. */
int mkdir_p(const char *path, mode_t mode, struct xerr *err);

/* rm -r without following symlinks; a missing path is success. */
int remove_tree(const char *path, struct xerr *err);

/*
 * rename(2) then fsync the destination directory (and the source's).
 * When a directory fsync fails the rename has happened: the caller
 * decides what the new name is worth (it may not survive a power cut).
 */
int rename_durable(const char *from, const char *to, struct xerr *err);

/*
 * rename(2) then fsync the destination directory only: for moves inside
 * the spool whose source directory the next run cleans up or reconciles
 * (a batch seen in both places is resolved by reconcile), so a power cut
 * can at worst leave the old name too, never lose the new one.
 */
int rename_commit(const char *from, const char *to, struct xerr *err);

/*
 * Write data to dir/name durably: dir/.name.tmp.PID, fsync, rename,
 * fsync dir.  On failure the temporary is gone and name holds nothing
 * new: a file whose directory fsync failed is removed (so it is written
 * anew, never trusted).
 */
int write_file_durable(const char *dir, const char *name, const void *data,
    size_t len, mode_t mode, struct xerr *err);

/*
 * Copy src to dst_dir/dst_name via dst_dir/dst_name+temp_suffix with the
 * same discipline (the temporary is replaced if a crash left one) and
 * the same outcome on failure.
 */
int copy_file_durable(const char *src, const char *dst_dir,
    const char *dst_name, const char *temp_suffix, struct xerr *err);

/*
 * Refuse a key or password file that group or others may read, as ssh
 * does (XERR_PERM naming the file, its mode and the chmod to run).
 */
int secret_file_check(const char *path, const char *key, struct xerr *err);

/* Check as above, then read its first line (malloc'd, no newline). */
int secret_file_read(const char *path, const char *key, char **out,
    struct xerr *err);

/* malloc'd "a/b"; NULL on ENOMEM. */
char *path_join(const char *a, const char *b);

/* 1 if name is a plain file name: not empty, not "." or "..", no '/',
 * no control characters, no leading '-', at most 255 bytes. */
int name_is_plain(const char *name);

#endif
