/*
 * compress: deterministic gzip and zip through libarchive.
 *
 * Byte-identical output for the same input is what lets a resend or a
 * regenerated batch match what the partner already has, so everything that
 * could vary is pinned:
 *   gzip: the raw format (no file name in the header) and "!timestamp"
 *     (MTIME 0); the header is then fixed (OS byte 3, Unix).
 *   zip: one entry whose name, mode (0644), size and mtime we set; owner
 *     ids stay 0 and no owner names, atime or ctime are set, so the extra
 *     fields are the UT field (mtime only) and the ux field (uid/gid 0).
 *     The name is stored as UTF-8 with the UTF-8 flag ("hdrcharset").
 *     Caveat: zip's DOS date/time field is libarchive's localtime() of
 *     mtime, so it follows the process's TZ (the UT field is UTC).
 * The last block is not padded (bytes_in_last_block 1), and output goes
 * through our own write callback with a full-write loop, so short writes
 * are finished and errors keep their errno.
 */
#include "compress.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK		(64 * 1024)
#define BLOCK		(64 * 1024)

/*
 * The output callback never reports a failure to libarchive: libarchive
 * 3.6.2 leaks its zlib state when a write callback fails (its close path
 * is skipped in the fatal state).  A failed write is recorded here instead
 * and everything after it is dropped; the caller checks werrno.
 */
struct out {
	int fd;
	int werrno;	/* errno of the first failed write, or 0 */
	int discard;	/* drop output: the result is already a failure */
};

/* Write all of p; -1 with errno on failure. */
static int
full_write(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static la_ssize_t
out_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct out *o = ctx;

	(void)a;
	if (o->werrno == 0 && !o->discard && full_write(o->fd, p, n) == -1)
		o->werrno = errno;
	return (la_ssize_t)n;
}

/* read() that retries EINTR; 0 at end of file, -1 with errno. */
static ssize_t
read_some(int fd, void *p, size_t n)
{
	ssize_t r;

	while ((r = read(fd, p, n)) == -1 && errno == EINTR)
		;
	return r;
}

static int
copy_plain(int src, const char *src_path, int dst_fd, char *chunk,
    struct xerr *err)
{
	ssize_t r;

	while ((r = read_some(src, chunk, CHUNK)) != 0) {
		if (r == -1)
			return xerr_set(err, XERR_TEMP, errno,
			    "cannot copy '%s': read failed", src_path);
		if (full_write(dst_fd, chunk, (size_t)r) == -1)
			return xerr_set(err, XERR_TEMP, errno,
			    "cannot copy '%s': write failed", src_path);
	}
	return 0;
}

/* The archive's error as ours; a write error keeps its own errno. */
static int
archive_fail(struct archive *a, const struct out *o, const char *src_path,
    struct xerr *err)
{
	if (o->werrno != 0)
		return xerr_set(err, XERR_TEMP, o->werrno,
		    "cannot compress '%s': write failed", src_path);
	return xerr_set(err, XERR_TEMP, 0, "cannot compress '%s': %s",
	    src_path, archive_error_string(a) ? archive_error_string(a) :
	    "libarchive error");
}

int
compress_file(enum compress_kind kind, const char *src_path, int dst_fd,
    const char *entry_name, time_t mtime, struct xerr *err)
{
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	struct out o = { dst_fd, 0, 0 };
	struct stat st;
	char *chunk = NULL;
	off_t total = 0;
	ssize_t r;
	int src, rc = -1;

	if ((src = open(src_path, O_RDONLY | O_CLOEXEC)) == -1)
		return xerr_set(err, XERR_TEMP, errno, "cannot compress '%s'",
		    src_path);
	if (fstat(src, &st) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot compress '%s'",
		    src_path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		xerr_set(err, XERR_PERM, 0,
		    "cannot compress '%s': not a regular file", src_path);
		goto fail;
	}
	if ((chunk = malloc(CHUNK)) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	if (kind == COMPRESS_NONE) {
		rc = copy_plain(src, src_path, dst_fd, chunk, err);
		goto fail;
	}

	if ((a = archive_write_new()) == NULL ||
	    (e = archive_entry_new()) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	if (kind == COMPRESS_GZIP) {
		if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		    archive_write_set_format_raw(a) != ARCHIVE_OK ||
		    archive_write_set_options(a, "gzip:!timestamp") !=
		    ARCHIVE_OK)
			goto setup;
	} else {
		if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
		    archive_write_set_options(a,
		    "zip:compression=deflate,zip:hdrcharset=UTF-8") !=
		    ARCHIVE_OK)
			goto setup;
	}
	if (archive_write_set_bytes_per_block(a, BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
		goto setup;
	if (archive_write_open2(a, &o, NULL, out_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		archive_fail(a, &o, src_path, err);
		goto fail;
	}

	archive_entry_set_pathname_utf8(e, kind == COMPRESS_ZIP ? entry_name :
	    "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_mtime(e, kind == COMPRESS_ZIP ? mtime : 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK || o.werrno != 0) {
		archive_fail(a, &o, src_path, err);
		goto fail;
	}
	while ((r = read_some(src, chunk, CHUNK)) != 0) {
		if (r == -1) {
			xerr_set(err, XERR_TEMP, errno,
			    "cannot compress '%s': read failed", src_path);
			goto fail;
		}
		total += r;
		/* The entry's size is in the header already. */
		if (total > st.st_size)
			break;
		if (archive_write_data(a, chunk, (size_t)r) != r ||
		    o.werrno != 0) {
			archive_fail(a, &o, src_path, err);
			goto fail;
		}
	}
	if (total != st.st_size) {
		xerr_set(err, XERR_TEMP, 0,
		    "cannot compress '%s': file changed while being read",
		    src_path);
		goto fail;
	}
	if (archive_write_close(a) != ARCHIVE_OK || o.werrno != 0) {
		archive_fail(a, &o, src_path, err);
		goto fail;
	}
	rc = 0;
	goto fail;
setup:
	xerr_set(err, XERR_PERM, 0, "cannot set up %s compression: %s",
	    kind == COMPRESS_GZIP ? "gzip" : "zip",
	    archive_error_string(a) ? archive_error_string(a) :
	    "libarchive error");
fail:
	archive_entry_free(e);
	if (a != NULL) {
		/* Free closes the archive: after a failure, write nothing. */
		o.discard = rc != 0;
		archive_write_free(a);
	}
	free(chunk);
	close(src);
	return rc;
}

const char *
compress_suffix(enum compress_kind kind)
{
	switch (kind) {
	case COMPRESS_NONE:	return "";
	case COMPRESS_GZIP:	return ".gz";
	case COMPRESS_ZIP:	return ".zip";
	}
	return "";
}
