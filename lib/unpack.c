/*
 * unpack: a received .gz or .zip into a plain file, refusing anything odd.
 *
 * libarchive reads, with only the pieces we accept switched on: the gzip
 * filter with the raw format, or the zip format alone, so a tar, a 7z or a
 * bzip2 file is "unrecognized" rather than quietly unpacked.  Output goes
 * through a fixed buffer and stops as soon as it passes max_size, so an
 * archive bomb costs max_size bytes of disk at most and no memory.
 *
 * Where libarchive 3.6.2 is not strict enough, we are:
 *  - its gzip filter does not check the CRC-32 and length in the gzip
 *    trailer ("XXX TODO" in its source), and inflate alone misses nearly
 *    every flipped bit, so we check them: against everything written for
 *    a single-member file; for a multi-member file (cat a.gz b.gz) against
 *    the last member, read back from the output, since libarchive does not
 *    say where members start, so earlier members go unchecked;
 *  - it ends the stream quietly at bytes that are not another gzip member,
 *    so we compare what it consumed with the file's size (trailing data);
 *  - it unwraps a gzip inside a gzip by itself: two gzip filters is a
 *    nested archive.
 * The zip reader checks each entry's CRC-32 itself (a bad one comes back
 * from archive_read_data as a warning, which we treat as a failure), and
 * with a seek callback it reads the central directory, the listing unzip
 * trusts, rather than the local headers.
 *
 * The output is created with O_EXCL and removed again on any failure, so
 * the caller sees a complete, fsync'd file or none.
 */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#define UNPACK_CHUNK	(64 * 1024)

/* An entry named like one of these is an archive inside the archive. */
static const char *const nested_suffixes[] = {
	".zip", ".gz", ".tgz", ".tar", ".7z", ".bz2", ".xz", ".zst", ".rar",
};

struct src {
	int fd;
	int rerrno;		/* errno of a failed read or seek, or 0 */
	char *buf;
};

static int
has_suffix(const char *name, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && strcasecmp(name + len - n, suffix) == 0;
}

enum compress_kind
unpack_kind(const char *name, char *inner, size_t size)
{
	enum compress_kind kind = COMPRESS_NONE;
	size_t len = strlen(name), keep = len;

	if (has_suffix(name, len, ".gz")) {
		kind = COMPRESS_GZIP;
		keep = len - 3;
	} else if (has_suffix(name, len, ".zip")) {
		kind = COMPRESS_ZIP;
		keep = len - 4;
	}
	if (inner != NULL && size > 0) {
		/* A cut name could end in another extension: give none. */
		if (keep >= size)
			keep = 0;
		memcpy(inner, name, keep);
		inner[keep] = '\0';
	}
	return kind;
}

/* --- CRC-32 (ISO-HDLC, as gzip), table built per call: no globals ---- */

static void
crc_table(uint32_t t[256])
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		t[i] = c;
	}
}

/* crc is the value so far (0 to start). */
static uint32_t
crc_update(const uint32_t t[256], uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	crc = ~crc;
	while (n-- > 0)
		crc = t[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* --- libarchive's input ---------------------------------------------- */

static la_ssize_t
src_read(struct archive *a, void *ctx, const void **p)
{
	struct src *s = ctx;
	ssize_t r;

	while ((r = read(s->fd, s->buf, UNPACK_CHUNK)) == -1 && errno == EINTR)
		;
	if (r == -1) {
		s->rerrno = errno;
		archive_set_error(a, errno, "read failed");
		return ARCHIVE_FATAL;
	}
	*p = s->buf;
	return r;
}

static la_int64_t
src_seek(struct archive *a, void *ctx, la_int64_t off, int whence)
{
	struct src *s = ctx;
	off_t r;

	if ((r = lseek(s->fd, (off_t)off, whence)) == -1) {
		s->rerrno = errno;
		archive_set_error(a, errno, "seek failed");
		return ARCHIVE_FATAL;
	}
	return r;
}

/* --- messages -------------------------------------------------------- */

static int
sys_class(int e)
{
	return e == EACCES || e == EPERM || e == ENOENT || e == ENOTDIR ||
	    e == EISDIR || e == ELOOP || e == EEXIST ? XERR_PERM : XERR_TEMP;
}

/* An entry name fit for a message: control bytes shown as '?'. */
static void
safe_name(const char *name, char *out, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && name[i] != '\0'; i++)
		out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ?
		    '?' : name[i];
	out[i] = '\0';
}

/* libarchive failed: a failed read is ours, anything else the data's. */
static int
archive_fail(struct archive *a, const struct src *s, const char *src,
    const char *label, struct xerr *err)
{
	const char *msg = archive_error_string(a);

	if (s->rerrno != 0)
		return xerr_set(err, sys_class(s->rerrno), s->rerrno,
		    "cannot read '%s'", src);
	if (archive_errno(a) == ENOMEM)
		return xerr_nomem(err);
	/* Some of its failures at the end of the input set no message. */
	return xerr_set(err, XERR_DATA, 0, "'%s' is truncated or corrupt: %s",
	    label, msg != NULL && *msg != '\0' ? msg :
	    "unexpected end of data");
}

/* The file starts as a gzip or zip file does. */
static int
has_magic(int fd, enum compress_kind kind)
{
	unsigned char m[2];

	if (pread(fd, m, sizeof(m), 0) != 2)
		return 0;
	return kind == COMPRESS_GZIP ? m[0] == 0x1f && m[1] == 0x8b :
	    m[0] == 'P' && m[1] == 'K';
}

static int
not_kind(enum compress_kind kind, const char *label, struct xerr *err)
{
	return xerr_set(err, XERR_DATA, 0, kind == COMPRESS_GZIP ?
	    "'%s' is not gzip data" : "'%s' is not a zip file", label);
}

/* libarchive could not start: another kind of file, or a damaged one. */
static int
open_fail(struct archive *a, const struct src *s, enum compress_kind kind,
    const char *src, const char *label, struct xerr *err)
{
	if (s->rerrno == 0 && archive_errno(a) != ENOMEM &&
	    !has_magic(s->fd, kind))
		return not_kind(kind, label, err);
	return archive_fail(a, s, src, label, err);
}

/* --- checks ---------------------------------------------------------- */

static int
is_nested(const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < sizeof(nested_suffixes) / sizeof(nested_suffixes[0]);
	    i++)
		if (has_suffix(name, len, nested_suffixes[i]))
			return 1;
	return 0;
}

/* The one entry of a zip: a regular file with a plain, harmless name. */
static int
check_entry(struct archive_entry *e, const char *label, long long max_size,
    struct xerr *err)
{
	const char *name, *what = NULL;
	char shown[256];
	size_t i;

	name = archive_entry_pathname_utf8(e);
	if (name == NULL)
		name = archive_entry_pathname(e);
	if (name == NULL || *name == '\0')
		return xerr_set(err, XERR_DATA, 0,
		    "'%s': zip entry without a usable name", label);
	safe_name(name, shown, sizeof(shown));
	if (archive_entry_hardlink(e) != NULL)
		what = "a hard link";
	else if (archive_entry_filetype(e) == AE_IFLNK)
		what = "a symbolic link";
	else if (archive_entry_filetype(e) == AE_IFDIR)
		what = "a directory";
	else if (archive_entry_filetype(e) != AE_IFREG)
		what = "a special file";
	if (what != NULL)
		return xerr_set(err, XERR_DATA, 0,
		    "'%s': zip entry '%s' is %s, not a regular file", label,
		    shown, what);
	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			break;
	if (name[0] == '/' || name[i] != '\0' || strstr(name, "..") != NULL ||
	    strchr(name, '/') != NULL || strchr(name, '\\') != NULL)
		return xerr_set(err, XERR_DATA, 0,
		    "'%s': zip entry '%s' is not a plain file name", label,
		    shown);
	if (is_nested(name))
		return xerr_set(err, XERR_DATA, 0,
		    "'%s': zip entry '%s' is itself an archive; nested "
		    "archives are refused", label, shown);
	if (archive_entry_is_encrypted(e))
		return xerr_set(err, XERR_DATA, 0,
		    "'%s': zip entry '%s' is encrypted", label, shown);
	/* What the directory says already: no need to inflate to refuse. */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > max_size)
		return xerr_set(err, XERR_DATA, 0,
		    "'%s' unpacks to more than %lld bytes (max_size); refused "
		    "as a possible archive bomb", label, max_size);
	return 0;
}

static int
check_gzip_stream(struct archive *a, const char *label, struct xerr *err)
{
	char inner[4096];

	if (archive_filter_count(a) > 2)
		return xerr_set(err, XERR_DATA, 0,
		    "'%s' is compressed twice; nested archives are refused",
		    label);
	unpack_kind(label, inner, sizeof(inner));
	if (is_nested(inner))
		return xerr_set(err, XERR_DATA, 0,
		    "'%s' holds an archive; nested archives are refused",
		    label);
	return 0;
}

/* CRC-32 of out_fd from off to its end. */
static int
crc_of_tail(const uint32_t t[256], int out_fd, long long off, char *chunk,
    uint32_t *crc, const char *dst_path, struct xerr *err)
{
	ssize_t r;

	*crc = 0;
	for (;;) {
		r = pread(out_fd, chunk, UNPACK_CHUNK, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return xerr_set(err, XERR_TEMP, errno,
			    "cannot read back '%s'", dst_path);
		if (r == 0)
			return 0;
		*crc = crc_update(t, *crc, chunk, (size_t)r);
		off += r;
	}
}

/*
 * After the last byte: nothing may follow the gzip data, and the trailer
 * must match what came out (see the top of the file).
 */
static int
check_gzip_end(struct archive *a, const struct src *s, off_t file_size,
    const uint32_t t[256], uint32_t crc, long long total, int out_fd,
    char *chunk, const char *label, const char *dst_path, struct xerr *err)
{
	unsigned char tr[8];
	uint32_t want_crc, want_len, tail_crc;
	long long used = archive_filter_bytes(a, -1);
	ssize_t n;

	if (used < 0 || used > (long long)file_size)
		return xerr_set(err, XERR_TEMP, 0,
		    "'%s' changed while it was unpacked", label);
	if (used < (long long)file_size)
		return xerr_set(err, XERR_DATA, 0,
		    "'%s' has %lld bytes of trailing data after the gzip "
		    "stream", label, (long long)file_size - used);
	n = file_size < 8 ? 0 : pread(s->fd, tr, 8, file_size - 8);
	if (n == -1)
		return xerr_set(err, XERR_TEMP, errno,
		    "cannot read the gzip trailer of '%s'", label);
	if (n != 8)
		return xerr_set(err, XERR_DATA, 0,
		    "'%s' is truncated or corrupt: no gzip trailer", label);
	want_crc = (uint32_t)tr[0] | (uint32_t)tr[1] << 8 |
	    (uint32_t)tr[2] << 16 | (uint32_t)tr[3] << 24;
	want_len = (uint32_t)tr[4] | (uint32_t)tr[5] << 8 |
	    (uint32_t)tr[6] << 16 | (uint32_t)tr[7] << 24;
	if ((uint32_t)total == want_len && crc == want_crc)
		return 0;
	/* Several members: the last one is the last want_len bytes. */
	if ((long long)want_len < total) {
		if (crc_of_tail(t, out_fd, total - want_len, chunk, &tail_crc,
		    dst_path, err) == -1)
			return -1;
		if (tail_crc == want_crc)
			return 0;
	}
	return xerr_set(err, XERR_DATA, 0,
	    "'%s' is truncated or corrupt: CRC-32 or length in the gzip "
	    "trailer does not match the data", label);
}

int
unpack_file(enum compress_kind kind, const char *src, const char *label,
    const char *dst_path, long long max_size, long long *out_bytes,
    struct xerr *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	struct src in = { -1, 0, NULL };
	uint32_t t[256], crc = 0;
	char *chunk = NULL;
	long long total = 0;
	struct stat st;
	la_ssize_t r;
	int out = -1, created = 0, rc = -1;

	if (out_bytes != NULL)
		*out_bytes = 0;
	if (label == NULL)
		label = src;
	if (kind != COMPRESS_GZIP && kind != COMPRESS_ZIP)
		return xerr_set(err, XERR_PERM, 0,
		    "cannot unpack '%s': not a .gz or .zip file", label);
	if ((in.fd = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return xerr_set(err, sys_class(errno), errno,
		    "cannot open '%s'", src);
	if (fstat(in.fd, &st) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot stat '%s'", src);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		xerr_set(err, XERR_PERM, 0,
		    "cannot unpack '%s': not a regular file", src);
		goto fail;
	}
	if ((in.buf = malloc(UNPACK_CHUNK)) == NULL ||
	    (chunk = malloc(UNPACK_CHUNK)) == NULL ||
	    (a = archive_read_new()) == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	if (kind == COMPRESS_GZIP) {
		/* "empty": the raw format refuses a stream of 0 bytes. */
		if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
		    archive_read_support_format_raw(a) != ARCHIVE_OK ||
		    archive_read_support_format_empty(a) != ARCHIVE_OK)
			goto setup;
	} else if (archive_read_support_format_zip(a) != ARCHIVE_OK ||
	    archive_read_set_seek_callback(a, src_seek) != ARCHIVE_OK)
		goto setup;
	if (archive_read_open2(a, &in, NULL, src_read, NULL, NULL) !=
	    ARCHIVE_OK) {
		open_fail(a, &in, kind, src, label, err);
		goto fail;
	}
	r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_EOF && kind == COMPRESS_ZIP) {
		xerr_set(err, XERR_DATA, 0,
		    "'%s' is an empty zip; one file expected", label);
		goto fail;
	}
	/* A warning is about the name's character set: we check it below. */
	if (r < ARCHIVE_WARN) {
		open_fail(a, &in, kind, src, label, err);
		goto fail;
	}
	if (kind == COMPRESS_GZIP) {
		/* Raw data: libarchive did not take it for gzip. */
		if (archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP) {
			if (has_magic(in.fd, kind))
				xerr_set(err, XERR_DATA, 0, "'%s' is truncated "
				    "or corrupt: bad or incomplete gzip header",
				    label);
			else
				not_kind(kind, label, err);
			goto fail;
		}
		if (check_gzip_stream(a, label, err) == -1)
			goto fail;
	} else if (check_entry(e, label, max_size, err) == -1)
		goto fail;

	/* Read and write: a multi-member gzip is checked by reading back. */
	out = open(dst_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out == -1) {
		xerr_set(err, sys_class(errno), errno, "cannot create '%s'",
		    dst_path);
		goto fail;
	}
	created = 1;
	crc_table(t);
	/* At EOF already: a gzip of nothing (the "empty" format). */
	while (r != ARCHIVE_EOF &&
	    (r = archive_read_data(a, chunk, UNPACK_CHUNK)) != 0) {
		if (r < 0) {
			archive_fail(a, &in, src, label, err);
			goto fail;
		}
		total += r;
		if (total > max_size) {
			xerr_set(err, XERR_DATA, 0,
			    "'%s' unpacks to more than %lld bytes (max_size); "
			    "refused as a possible archive bomb", label,
			    max_size);
			goto fail;
		}
		if (kind == COMPRESS_GZIP)
			crc = crc_update(t, crc, chunk, (size_t)r);
		if (write_full(out, chunk, (size_t)r, dst_path, err) == -1)
			goto fail;
	}
	if (kind == COMPRESS_GZIP) {
		if (check_gzip_end(a, &in, st.st_size, t, crc, total, out,
		    chunk, label, dst_path, err) == -1)
			goto fail;
	} else {
		r = archive_read_next_header(a, &e);
		if (r != ARCHIVE_EOF) {
			if (r < ARCHIVE_WARN)
				archive_fail(a, &in, src, label, err);
			else
				xerr_set(err, XERR_DATA, 0,
				    "'%s' holds more than one entry; a zip "
				    "must hold exactly one file", label);
			goto fail;
		}
	}
	/* Durable before anyone is told it exists. */
	if (fsync_fd(out, dst_path, err) == -1)
		goto fail;
	if (close(out) == -1) {
		out = -1;
		xerr_set(err, XERR_TEMP, errno, "cannot write '%s'", dst_path);
		goto fail;
	}
	out = -1;
	if (out_bytes != NULL)
		*out_bytes = total;
	rc = 0;
	goto fail;
setup:
	xerr_set(err, XERR_PERM, 0, "cannot set up %s reading: %s",
	    kind == COMPRESS_GZIP ? "gzip" : "zip",
	    archive_error_string(a) ? archive_error_string(a) :
	    "libarchive error");
fail:
	if (a != NULL)
		archive_read_free(a);
	if (out != -1)
		close(out);
	/* Only a file we created: O_EXCL made sure it was not there. */
	if (rc != 0 && created)
		unlink(dst_path);
	free(chunk);
	free(in.buf);
	close(in.fd);
	return rc;
}
