#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compress.h"
#include "unpack.h"
#include "xerr.h"

static char tmpdir[64];

static void
path_in(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

static void
write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The whole file into b (tests only read small files back). */
static void
read_back(const char *path, struct buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_append(b, chunk, n), 0);
	assert_int_equal(fclose(f), 0);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* --- fixtures, built with libarchive's write API --------------------- */

static la_ssize_t
to_buf(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	assert_int_equal(buf_append(ctx, p, n), 0);
	return (la_ssize_t)n;
}

static struct archive *
gzip_writer(struct buf *out)
{
	struct archive *a = archive_write_new();

	assert_non_null(a);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1),
	    ARCHIVE_OK);
	assert_int_equal(archive_write_open2(a, out, NULL, to_buf, NULL, NULL),
	    ARCHIVE_OK);
	return a;
}

static void
raw_header(struct archive *a, long long size)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	archive_entry_free(e);
}

/* gzip of data into out (appended: two calls make a two-member file). */
static void
make_gzip(struct buf *out, const void *data, size_t len)
{
	struct archive *a = gzip_writer(out);

	raw_header(a, (long long)len);
	if (len > 0)
		assert_int_equal(archive_write_data(a, data, len),
		    (la_ssize_t)len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* gzip of n zero bytes, written a chunk at a time. */
static void
make_gzip_zeros(struct buf *out, size_t n)
{
	static const char zeros[65536];
	struct archive *a = gzip_writer(out);
	size_t k;

	raw_header(a, (long long)n);
	for (; n > 0; n -= k) {
		k = n < sizeof(zeros) ? n : sizeof(zeros);
		assert_int_equal(archive_write_data(a, zeros, k),
		    (la_ssize_t)k);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

struct zent {
	const char *name;
	unsigned int type;	/* AE_IFREG, AE_IFLNK, AE_IFDIR */
	const char *data;	/* regular files */
	size_t zeros;		/* or this many zero bytes */
};

static void
make_zip(struct buf *out, const struct zent *ents, size_t n,
    const char *options)
{
	static const char zeros[65536];
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	size_t i, len, k;

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	if (options != NULL) {
		assert_int_equal(archive_write_set_options(a, options),
		    ARCHIVE_OK);
		if (strstr(options, "encryption") != NULL)
			assert_int_equal(archive_write_set_passphrase(a,
			    "secret"), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1),
	    ARCHIVE_OK);
	assert_int_equal(archive_write_open2(a, out, NULL, to_buf, NULL, NULL),
	    ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		len = ents[i].data ? strlen(ents[i].data) : ents[i].zeros;
		e = archive_entry_new();
		archive_entry_set_pathname_utf8(e, ents[i].name);
		archive_entry_set_filetype(e, ents[i].type);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1709251200, 0);
		if (ents[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, "/etc/passwd");
		archive_entry_set_size(e, ents[i].type == AE_IFREG ?
		    (la_int64_t)len : 0);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (ents[i].type == AE_IFREG && ents[i].data != NULL)
			assert_int_equal(archive_write_data(a, ents[i].data,
			    len), (la_ssize_t)len);
		for (; ents[i].type == AE_IFREG && ents[i].data == NULL &&
		    len > 0; len -= k) {
			k = len < sizeof(zeros) ? len : sizeof(zeros);
			assert_int_equal(archive_write_data(a, zeros, k),
			    (la_ssize_t)k);
		}
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* A one-file tar or 7z, to show they are not taken for a zip. */
static void
make_other(struct buf *out, int fmt)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_int_equal(archive_write_set_format(a, fmt), ARCHIVE_OK);
	assert_int_equal(archive_write_open2(a, out, NULL, to_buf, NULL, NULL),
	    ARCHIVE_OK);
	archive_entry_set_pathname(e, "a.csv");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 4);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, "a,b\n", 4), 4);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_unpack.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	static const char *const left[] = { "in", "out", "plain" };
	char path[128];
	size_t i;

	(void)state;
	/* A failed test may leave its files behind. */
	for (i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		path_in(path, sizeof(path), left[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

/* Unpack in (the archive's bytes) to tmpdir/out. */
static int
run_unpack(enum compress_kind kind, const struct buf *in, const char *label,
    long long max_size, long long *bytes, struct xerr *err)
{
	char src[128], dst[128];
	int rc;

	path_in(src, sizeof(src), "in");
	path_in(dst, sizeof(dst), "out");
	write_bytes(src, in->data, in->len);
	xerr_clear(err);
	*bytes = -1;
	rc = unpack_file(kind, src, label, dst, max_size, bytes, err);
	unlink(src);
	return rc;
}

/* --- tests ----------------------------------------------------------- */

static void
test_kind(void **state)
{
	static const struct {
		const char *name;
		enum compress_kind kind;
		const char *inner;
	} t[] = {
		{ "sales.csv.gz", COMPRESS_GZIP, "sales.csv" },
		{ "sales.json.zip", COMPRESS_ZIP, "sales.json" },
		{ "sales.csv", COMPRESS_NONE, "sales.csv" },
		{ "SALES.CSV.GZ", COMPRESS_GZIP, "SALES.CSV" },
		{ "Sales.Zip", COMPRESS_ZIP, "Sales" },
		{ "a.tar.gz", COMPRESS_GZIP, "a.tar" },
		{ "a.zip.gz", COMPRESS_GZIP, "a.zip" },
		{ "a.tgz", COMPRESS_NONE, "a.tgz" },
		{ "a.gzip", COMPRESS_NONE, "a.gzip" },
		{ "a.gz.csv", COMPRESS_NONE, "a.gz.csv" },
		{ "agz", COMPRESS_NONE, "agz" },
		{ "zip", COMPRESS_NONE, "zip" },
		{ ".gz", COMPRESS_GZIP, "" },
		{ "", COMPRESS_NONE, "" },
	};
	char inner[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(inner, 'x', sizeof(inner));
		if (unpack_kind(t[i].name, inner, sizeof(inner)) != t[i].kind)
			fail_msg("%s: wrong kind", t[i].name);
		if (strcmp(inner, t[i].inner) != 0)
			fail_msg("%s: inner '%s', want '%s'", t[i].name, inner,
			    t[i].inner);
		assert_int_equal(unpack_kind(t[i].name, NULL, 0), t[i].kind);
	}
	/* A name that does not fit is not cut to a wrong extension. */
	assert_int_equal(unpack_kind("abcdef.csv.gz", inner, 8), COMPRESS_GZIP);
	assert_string_equal(inner, "");
	assert_int_equal(unpack_kind("abcdef.csv.gz", inner, 11),
	    COMPRESS_GZIP);
	assert_string_equal(inner, "abcdef.csv");
}

/* CSV-like text over several read chunks. */
static void
gen_text(struct buf *b, size_t len)
{
	uint32_t x = 7;

	while (b->len < len) {
		x = x * 1103515245u + 12345u;
		buf_printf(b, "%u,sku-%u,%u.%02u\n", (x >> 8) % 100,
		    (x >> 12) % 1000, (x >> 4) % 500, (x >> 16) % 100);
	}
}

static void
test_gzip_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 9, 65536, 65537, 700000 };
	struct buf data, gz, got;
	struct xerr err;
	long long bytes;
	char dst[128];
	size_t i;

	(void)state;
	path_in(dst, sizeof(dst), "out");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		buf_init(&data, 0);
		buf_init(&gz, 0);
		buf_init(&got, 0);
		gen_text(&data, sizes[i]);
		data.len = sizes[i];
		make_gzip(&gz, data.data, data.len);
		if (run_unpack(COMPRESS_GZIP, &gz, "s.csv.gz", 1LL << 30,
		    &bytes, &err) != 0)
			fail_msg("size %zu: %s", sizes[i], err.msg);
		assert_int_equal(bytes, (long long)data.len);
		read_back(dst, &got);
		assert_int_equal(got.len, data.len);
		assert_memory_equal(got.data ? got.data : "",
		    data.data ? data.data : "", data.len);
		assert_int_equal(unlink(dst), 0);

		/* Exactly max_size bytes is allowed. */
		assert_int_equal(run_unpack(COMPRESS_GZIP, &gz, "s.csv.gz",
		    (long long)data.len, &bytes, &err), 0);
		assert_int_equal(unlink(dst), 0);
		buf_release(&data);
		buf_release(&gz);
		buf_release(&got);
	}

	/* Two members (cat a.gz b.gz): the data of both. */
	buf_init(&gz, 0);
	buf_init(&got, 0);
	make_gzip(&gz, "a,b\n1,2\n", 8);
	make_gzip(&gz, "3,4\n", 4);
	if (run_unpack(COMPRESS_GZIP, &gz, "s.csv.gz", 100, &bytes, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(bytes, 12);
	read_back(dst, &got);
	assert_string_equal(got.data, "a,b\n1,2\n3,4\n");
	assert_int_equal(unlink(dst), 0);

	/* The last member's CRC-32 is checked (earlier ones cannot be). */
	gz.data[gz.len - 8] ^= 1;
	assert_int_equal(run_unpack(COMPRESS_GZIP, &gz, "s.csv.gz", 100, &bytes,
	    &err), -1);
	assert_string_equal(err.msg, "'s.csv.gz' is truncated or corrupt: "
	    "CRC-32 or length in the gzip trailer does not match the data");
	assert_false(exists(dst));
	buf_release(&gz);
	buf_release(&got);
}

/* What xfer's own compressor writes, xfer's receiver unpacks. */
static void
test_compress_round_trip(void **state)
{
	static const enum compress_kind kinds[] = { COMPRESS_GZIP,
	    COMPRESS_ZIP };
	struct buf data, packed, got;
	struct xerr err;
	char plain[128], dst[128], src[128];
	long long bytes;
	size_t i;
	int fd;

	(void)state;
	path_in(plain, sizeof(plain), "plain");
	path_in(src, sizeof(src), "in");
	path_in(dst, sizeof(dst), "out");
	buf_init(&data, 0);
	gen_text(&data, 300000);
	write_bytes(plain, data.data, data.len);
	for (i = 0; i < 2; i++) {
		fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		if (compress_file(kinds[i], plain, fd, "sales.csv", 1709251200,
		    &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(close(fd), 0);
		buf_init(&packed, 0);
		read_back(src, &packed);
		if (run_unpack(kinds[i], &packed, "sales", 1LL << 30, &bytes,
		    &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(bytes, (long long)data.len);
		buf_init(&got, 0);
		read_back(dst, &got);
		assert_int_equal(got.len, data.len);
		assert_memory_equal(got.data, data.data, data.len);
		assert_int_equal(unlink(dst), 0);
		buf_release(&packed);
		buf_release(&got);
	}
	unlink(plain);
	buf_release(&data);
}

static void
test_zip_round_trip(void **state)
{
	static const struct {
		const char *name;
		const char *options;
	} t[] = {
		{ "sales.csv", NULL },
		{ "caf\xc3\xa9 \xe2\x82\xac.csv", NULL },
		{ "stored.csv", "zip:compression=store" },
		{ "a..b", NULL },	/* see below */
	};
	struct zent ent = { NULL, AE_IFREG, "id,amount\n1,2.50\n2,3.00\n", 0 };
	struct buf zip, got;
	struct xerr err;
	long long bytes;
	char dst[128];
	size_t i;
	int rc;

	(void)state;
	path_in(dst, sizeof(dst), "out");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&zip, 0);
		ent.name = t[i].name;
		make_zip(&zip, &ent, 1, t[i].options);
		rc = run_unpack(COMPRESS_ZIP, &zip, "s.zip", 1000, &bytes,
		    &err);
		if (strcmp(t[i].name, "a..b") == 0) {
			/* ".." anywhere is refused, as the spec says. */
			assert_int_equal(rc, -1);
			assert_string_equal(err.msg, "'s.zip': zip entry "
			    "'a..b' is not a plain file name");
			assert_false(exists(dst));
			buf_release(&zip);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", t[i].name, err.msg);
		assert_int_equal(bytes, (long long)strlen(ent.data));
		buf_init(&got, 0);
		read_back(dst, &got);
		assert_string_equal(got.data, ent.data);
		assert_int_equal(unlink(dst), 0);
		buf_release(&zip);
		buf_release(&got);
	}
}

/* Flip one bit at off (from the end if negative). */
static void
flip(struct buf *b, long off)
{
	size_t at = off < 0 ? b->len - (size_t)-off : (size_t)off;

	assert_true(at < b->len);
	b->data[at] ^= 0x10;
}

static size_t
find(const struct buf *b, const char *s)
{
	const char *p = memmem(b->data, b->len, s, strlen(s));

	assert_non_null(p);
	return (size_t)(p - b->data);
}

enum fixture {
	FX_ZIP_EVIL, FX_ZIP_ABS, FX_ZIP_SUBDIR, FX_ZIP_BACKSLASH,
	FX_ZIP_CTRL, FX_ZIP_SYMLINK, FX_ZIP_DIR, FX_ZIP_TWO, FX_ZIP_NESTED,
	FX_ZIP_NESTED_TAR, FX_ZIP_NESTED_GZ, FX_ZIP_EMPTY, FX_ZIP_ZIPCRYPT,
	FX_ZIP_AES, FX_ZIP_TRUNCATED, FX_ZIP_BAD_CRC, FX_ZIP_BIG, FX_TAR,
	FX_7Z, FX_GZ_AS_ZIP, FX_EMPTY_FILE, FX_PLAIN, FX_GZ_CUT_BODY,
	FX_GZ_CUT_TRAILER, FX_GZ_CUT_HEADER, FX_GZ_BAD_CRC, FX_GZ_BAD_LEN,
	FX_GZ_BAD_DATA, FX_GZ_GARBAGE, FX_GZ_ZEROS_AFTER, FX_GZ_TWICE,
	FX_GZ_TAR, FX_GZ_OVER,
};

static void
build(enum fixture fx, struct buf *b)
{
	static const char csv[] = "id,amount\n1,2.50\n2,3.00\n";
	struct zent e[2] = {
		{ "a.csv", AE_IFREG, csv, 0 }, { "b.csv", AE_IFREG, csv, 0 },
	};
	struct buf tmp, text;

	buf_init(&tmp, 0);
	buf_init(&text, 0);
	switch (fx) {
	case FX_ZIP_EVIL:	e[0].name = "../evil"; break;
	case FX_ZIP_ABS:	e[0].name = "/abs"; break;
	case FX_ZIP_SUBDIR:	e[0].name = "dir/a.csv"; break;
	case FX_ZIP_BACKSLASH:	e[0].name = "..\\a.csv"; break;
	case FX_ZIP_CTRL:	e[0].name = "a\x1b[2J.csv"; break;
	case FX_ZIP_SYMLINK:	e[0].name = "link"; e[0].type = AE_IFLNK; break;
	case FX_ZIP_DIR:	e[0].name = "dir/"; e[0].type = AE_IFDIR; break;
	case FX_ZIP_NESTED:	e[0].name = "inner.zip"; break;
	case FX_ZIP_NESTED_TAR:	e[0].name = "inner.tar"; break;
	case FX_ZIP_NESTED_GZ:	e[0].name = "a.csv.GZ"; break;
	case FX_ZIP_BIG:	e[0].data = NULL; e[0].zeros = 5000000; break;
	default:		break;
	}
	switch (fx) {
	case FX_ZIP_TWO:
		make_zip(b, e, 2, NULL);
		break;
	case FX_ZIP_EMPTY:
		make_zip(b, e, 0, NULL);
		break;
	case FX_ZIP_ZIPCRYPT:
		make_zip(b, e, 1, "zip:encryption=zipcrypt");
		break;
	case FX_ZIP_AES:
		make_zip(b, e, 1, "zip:encryption=aes256");
		break;
	case FX_ZIP_TRUNCATED:
		make_zip(b, e, 1, NULL);
		b->len = 60;
		break;
	case FX_ZIP_BAD_CRC:
		make_zip(b, e, 1, "zip:compression=store");
		flip(b, (long)find(b, "2.50"));
		break;
	case FX_TAR:
		make_other(b, ARCHIVE_FORMAT_TAR_USTAR);
		break;
	case FX_7Z:
		make_other(b, ARCHIVE_FORMAT_7ZIP);
		break;
	case FX_GZ_AS_ZIP:
	case FX_GZ_CUT_BODY:
	case FX_GZ_CUT_TRAILER:
	case FX_GZ_CUT_HEADER:
	case FX_GZ_BAD_CRC:
	case FX_GZ_BAD_LEN:
	case FX_GZ_BAD_DATA:
	case FX_GZ_GARBAGE:
	case FX_GZ_ZEROS_AFTER:
		gen_text(&text, 200000);
		make_gzip(b, text.data, text.len);
		if (fx == FX_GZ_CUT_BODY)
			b->len /= 2;
		else if (fx == FX_GZ_CUT_TRAILER)
			b->len -= 3;
		else if (fx == FX_GZ_CUT_HEADER)
			b->len = 8;
		else if (fx == FX_GZ_BAD_CRC)
			flip(b, -6);
		else if (fx == FX_GZ_BAD_LEN)
			flip(b, -2);
		else if (fx == FX_GZ_BAD_DATA)
			/* Inflate alone does not notice this one. */
			flip(b, (long)b->len / 3);
		else if (fx == FX_GZ_GARBAGE)
			buf_puts(b, "GARBAGE");
		else if (fx == FX_GZ_ZEROS_AFTER)
			buf_append(b, "\0\0\0\0", 4);
		break;
	case FX_EMPTY_FILE:
		buf_puts(b, "");
		break;
	case FX_PLAIN:
		buf_puts(b, csv);
		break;
	case FX_GZ_TWICE:
		make_gzip(&tmp, csv, strlen(csv));
		make_gzip(b, tmp.data, tmp.len);
		break;
	case FX_GZ_TAR:
		make_other(&tmp, ARCHIVE_FORMAT_TAR_USTAR);
		make_gzip(b, tmp.data, tmp.len);
		break;
	case FX_GZ_OVER:
		make_gzip(b, csv, strlen(csv));
		break;
	default:
		make_zip(b, e, 1, NULL);
		break;
	}
	buf_release(&tmp);
	buf_release(&text);
}

static void
test_refused(void **state)
{
	static const struct {
		enum fixture fx;
		enum compress_kind kind;
		const char *label;
		long long max_size;
		const char *err;	/* the message, or a prefix ending in ": " */
	} t[] = {
		{ FX_ZIP_EVIL, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry '../evil' is not a plain file name" },
		{ FX_ZIP_ABS, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry '/abs' is not a plain file name" },
		{ FX_ZIP_SUBDIR, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'dir/a.csv' is not a plain file name" },
		/* libarchive turns a DOS path's '\' into '/' */
		{ FX_ZIP_BACKSLASH, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry '../a.csv' is not a plain file name" },
		{ FX_ZIP_CTRL, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'a?[2J.csv' is not a plain file name" },
		{ FX_ZIP_SYMLINK, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'link' is a symbolic link, not a "
		    "regular file" },
		{ FX_ZIP_DIR, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'dir/' is a directory, not a regular "
		    "file" },
		{ FX_ZIP_TWO, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip' holds more than one entry; a zip must hold "
		    "exactly one file" },
		{ FX_ZIP_NESTED, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'inner.zip' is itself an archive; "
		    "nested archives are refused" },
		{ FX_ZIP_NESTED_TAR, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'inner.tar' is itself an archive; "
		    "nested archives are refused" },
		{ FX_ZIP_NESTED_GZ, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'a.csv.GZ' is itself an archive; "
		    "nested archives are refused" },
		{ FX_ZIP_EMPTY, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip' is an empty zip; one file expected" },
		{ FX_ZIP_ZIPCRYPT, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'a.csv' is encrypted" },
		{ FX_ZIP_AES, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip': zip entry 'a.csv' is encrypted" },
		{ FX_ZIP_TRUNCATED, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip' is truncated or corrupt: " },
		{ FX_ZIP_BAD_CRC, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip' is truncated or corrupt: ZIP bad CRC: " },
		{ FX_ZIP_BIG, COMPRESS_ZIP, "x.zip", 1000000,
		    "'x.zip' unpacks to more than 1000000 bytes (max_size); "
		    "refused as a possible archive bomb" },
		{ FX_TAR, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip' is not a zip file" },
		{ FX_7Z, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip' is not a zip file" },
		{ FX_GZ_AS_ZIP, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip' is not a zip file" },
		{ FX_EMPTY_FILE, COMPRESS_ZIP, "x.zip", 1000,
		    "'x.zip' is not a zip file" },
		{ FX_EMPTY_FILE, COMPRESS_GZIP, "x.gz", 1000,
		    "'x.gz' is not gzip data" },
		{ FX_PLAIN, COMPRESS_GZIP, "x.gz", 1000,
		    "'x.gz' is not gzip data" },
		{ FX_ZIP_TWO, COMPRESS_GZIP, "x.gz", 1000,
		    "'x.gz' is not gzip data" },
		{ FX_TAR, COMPRESS_GZIP, "x.gz", 1000,
		    "'x.gz' is not gzip data" },
		{ FX_GZ_CUT_BODY, COMPRESS_GZIP, "x.gz", 1000000,
		    "'x.gz' is truncated or corrupt: truncated gzip input" },
		{ FX_GZ_CUT_TRAILER, COMPRESS_GZIP, "x.gz", 1000000,
		    "'x.gz' is truncated or corrupt: " },
		{ FX_GZ_CUT_HEADER, COMPRESS_GZIP, "x.gz", 1000000,
		    "'x.gz' is truncated or corrupt: " },
		{ FX_GZ_BAD_CRC, COMPRESS_GZIP, "x.gz", 1000000,
		    "'x.gz' is truncated or corrupt: CRC-32 or length in the "
		    "gzip trailer does not match the data" },
		{ FX_GZ_BAD_LEN, COMPRESS_GZIP, "x.gz", 1000000,
		    "'x.gz' is truncated or corrupt: CRC-32 or length in the "
		    "gzip trailer does not match the data" },
		{ FX_GZ_BAD_DATA, COMPRESS_GZIP, "x.gz", 1000000,
		    "'x.gz' is truncated or corrupt: " },
		{ FX_GZ_GARBAGE, COMPRESS_GZIP, "x.gz", 1000000,
		    "'x.gz' has 7 bytes of trailing data after the gzip "
		    "stream" },
		{ FX_GZ_ZEROS_AFTER, COMPRESS_GZIP, "x.gz", 1000000,
		    "'x.gz' has 4 bytes of trailing data after the gzip "
		    "stream" },
		{ FX_GZ_TWICE, COMPRESS_GZIP, "x.gz", 1000,
		    "'x.gz' is compressed twice; nested archives are refused" },
		{ FX_GZ_TAR, COMPRESS_GZIP, "x.tar.gz", 100000,
		    "'x.tar.gz' holds an archive; nested archives are "
		    "refused" },
		{ FX_GZ_OVER, COMPRESS_GZIP, "x.gz", 10,
		    "'x.gz' unpacks to more than 10 bytes (max_size); refused "
		    "as a possible archive bomb" },
	};
	struct buf in;
	struct xerr err;
	long long bytes;
	char dst[128];
	size_t i, n;

	(void)state;
	path_in(dst, sizeof(dst), "out");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&in, 0);
		build(t[i].fx, &in);
		if (run_unpack(t[i].kind, &in, t[i].label, t[i].max_size,
		    &bytes, &err) != -1)
			fail_msg("row %zu (%s): no error", i, t[i].err);
		n = strlen(t[i].err);
		if (t[i].err[n - 1] == ' ' ? strncmp(err.msg, t[i].err, n) != 0
		    : strcmp(err.msg, t[i].err) != 0)
			fail_msg("row %zu: error '%s', want '%s'", i, err.msg,
			    t[i].err);
		if (err.cls != XERR_DATA)
			fail_msg("row %zu: class %s", i,
			    xerr_class_name(err.cls));
		assert_int_equal(bytes, 0);
		if (exists(dst))
			fail_msg("row %zu: output left behind", i);
		buf_release(&in);
	}
}

/*
 * 50 MB of zeros in about 50 KB of gzip, max_size 1 MB: refused after
 * about 1 MB of work, with memory flat.
 */
static void
test_bomb(void **state)
{
	struct rusage ru0, ru1;
	struct timespec t0, t1;
	struct buf gz, zip;
	struct zent ent = { "zeros.csv", AE_IFREG, NULL, 50000000 };
	struct xerr err;
	long long bytes;
	char dst[128];
	double secs;

	(void)state;
	path_in(dst, sizeof(dst), "out");
	buf_init(&gz, 0);
	make_gzip_zeros(&gz, 50000000);
	assert_true(gz.len < 200000);

	assert_int_equal(getrusage(RUSAGE_SELF, &ru0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run_unpack(COMPRESS_GZIP, &gz, "bomb.csv.gz",
	    1000000, &bytes, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(getrusage(RUSAGE_SELF, &ru1), 0);
	assert_string_equal(err.msg, "'bomb.csv.gz' unpacks to more than "
	    "1000000 bytes (max_size); refused as a possible archive bomb");
	assert_int_equal(err.cls, XERR_DATA);
	assert_false(exists(dst));
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* All 50 MB would take several times this even under ASan. */
	if (secs > 1.0)
		fail_msg("took %.2f s", secs);
	/* The peak grew by less than the 50 MB (KiB here). */
	if (ru1.ru_maxrss - ru0.ru_maxrss > 8 * 1024)
		fail_msg("peak memory grew by %ld KiB",
		    ru1.ru_maxrss - ru0.ru_maxrss);

	/* Allowed all of it, the same file unpacks. */
	assert_int_equal(run_unpack(COMPRESS_GZIP, &gz, "bomb.csv.gz",
	    50000000, &bytes, &err), 0);
	assert_int_equal(bytes, 50000000);
	assert_int_equal(unlink(dst), 0);
	buf_release(&gz);

	/* A zip says its size up front: refused before inflating. */
	buf_init(&zip, 0);
	make_zip(&zip, &ent, 1, NULL);
	assert_int_equal(run_unpack(COMPRESS_ZIP, &zip, "bomb.zip", 1000000,
	    &bytes, &err), -1);
	assert_string_equal(err.msg, "'bomb.zip' unpacks to more than "
	    "1000000 bytes (max_size); refused as a possible archive bomb");
	assert_false(exists(dst));
	buf_release(&zip);
}

static void
test_environment(void **state)
{
	struct buf gz, got;
	struct xerr err;
	char src[128], dst[128];
	long long bytes;

	(void)state;
	path_in(src, sizeof(src), "in");
	path_in(dst, sizeof(dst), "out");

	/* An existing output is neither overwritten nor removed. */
	buf_init(&gz, 0);
	make_gzip(&gz, "a,b\n", 4);
	write_bytes(dst, "keep", 4);
	assert_int_equal(run_unpack(COMPRESS_GZIP, &gz, "x.gz", 100, &bytes,
	    &err), -1);
	assert_int_equal(err.cls, XERR_PERM);
	assert_int_equal(err.sys_errno, EEXIST);
	assert_non_null(strstr(err.msg, "cannot create '"));
	buf_init(&got, 0);
	read_back(dst, &got);
	assert_string_equal(got.data, "keep");
	buf_release(&got);
	assert_int_equal(unlink(dst), 0);

	/* Nor is a symlink followed. */
	assert_int_equal(symlink("/nonexistent/target", dst), 0);
	assert_int_equal(run_unpack(COMPRESS_GZIP, &gz, "x.gz", 100, &bytes,
	    &err), -1);
	assert_int_equal(err.sys_errno, EEXIST);
	assert_int_equal(unlink(dst), 0);
	buf_release(&gz);

	/* A missing source. */
	xerr_clear(&err);
	assert_int_equal(unpack_file(COMPRESS_GZIP, src, "x.gz", dst, 100,
	    &bytes, &err), -1);
	assert_int_equal(err.cls, XERR_PERM);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_false(exists(dst));

	/* A directory is not a file to unpack. */
	assert_int_equal(unpack_file(COMPRESS_ZIP, tmpdir, "x.zip", dst, 100,
	    &bytes, &err), -1);
	assert_int_equal(err.cls, XERR_PERM);
	assert_non_null(strstr(err.msg, "not a regular file"));

	/* Nothing to unpack. */
	write_bytes(src, "a,b\n", 4);
	assert_int_equal(unpack_file(COMPRESS_NONE, src, "x.csv", dst, 100,
	    &bytes, &err), -1);
	assert_int_equal(err.cls, XERR_PERM);
	assert_false(exists(dst));
	assert_int_equal(unlink(src), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_gzip_round_trip),
		cmocka_unit_test(test_compress_round_trip),
		cmocka_unit_test(test_zip_round_trip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_environment),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
