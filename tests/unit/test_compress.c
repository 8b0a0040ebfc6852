#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "compress.h"

/* 2024-03-01 00:00:00 UTC */
#define MTIME ((time_t)1709251200)

struct fixture {
	char dir[64];
	char src[128];
	char empty[128];
	char out[128];
	char *data;
	size_t len;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint32_t x = 1;
	size_t i;
	FILE *fp;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_compress.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->src, sizeof(f->src), "%s/sales.csv", f->dir);
	snprintf(f->empty, sizeof(f->empty), "%s/empty.csv", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
	/* Several read chunks of CSV-like text. */
	f->len = 300000;
	if ((f->data = malloc(f->len + 64)) == NULL)
		return -1;
	for (i = 0; i < f->len; ) {
		x = x * 1103515245u + 12345u;
		i += (size_t)snprintf(f->data + i, 64, "%u,sku-%u,%u.%02u\n",
		    (x >> 8) % 100, (x >> 12) % 1000, (x >> 4) % 500,
		    (x >> 16) % 100);
	}
	f->len = i;
	if ((fp = fopen(f->src, "w")) == NULL ||
	    fwrite(f->data, 1, f->len, fp) != f->len || fclose(fp) != 0)
		return -1;
	if ((fp = fopen(f->empty, "w")) == NULL || fclose(fp) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->src);
	unlink(f->empty);
	unlink(f->out);
	rmdir(f->dir);
	free(f->data);
	free(f);
	return 0;
}

/* Compress src into f->out and return the bytes in b. */
static void
compress_to(struct fixture *f, enum compress_kind kind, const char *src,
    time_t mtime, struct buf *b)
{
	struct xerr err = { 0 };
	char chunk[8192];
	ssize_t r;
	int fd;

	assert_true((fd = open(f->out, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	if (compress_file(kind, src, fd, "sales_20240301.csv", mtime,
	    &err) != 0)
		fail_msg("compress_file: %s", err.msg);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	buf_init(b, 0);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		assert_int_equal(buf_append(b, chunk, (size_t)r), 0);
	assert_int_equal(r, 0);
	close(fd);
}

/* Read the only entry back with libarchive; returns its data in out. */
static void
decompress(const struct buf *in, enum compress_kind kind, struct buf *out,
    char *name, size_t namesz, time_t *mtime, mode_t *mode)
{
	struct archive *a;
	struct archive_entry *e;
	char chunk[8192];
	la_ssize_t r;

	assert_non_null(a = archive_read_new());
	if (kind == COMPRESS_GZIP) {
		assert_int_equal(archive_read_support_filter_gzip(a), ARCHIVE_OK);
		assert_int_equal(archive_read_support_format_raw(a), ARCHIVE_OK);
	} else {
		assert_int_equal(archive_read_support_format_zip(a), ARCHIVE_OK);
	}
	/* libarchive refuses an empty buffer; a gzip or zip is never empty. */
	assert_true(in->len > 0);
	assert_int_equal(archive_read_open_memory(a, in->data, in->len),
	    ARCHIVE_OK);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
	if (kind == COMPRESS_GZIP)
		assert_int_equal(archive_filter_code(a, 0), ARCHIVE_FILTER_GZIP);
	snprintf(name, namesz, "%s", archive_entry_pathname(e));
	*mtime = archive_entry_mtime(e);
	*mode = archive_entry_mode(e);
	buf_init(out, 0);
	while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		assert_int_equal(buf_append(out, chunk, (size_t)r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_EOF);
	archive_read_free(a);
}

static void
test_gzip_round_trip(void **state)
{
	struct fixture *f = *state;
	struct buf z, d;
	char name[64];
	time_t mt;
	mode_t mode;

	compress_to(f, COMPRESS_GZIP, f->src, MTIME, &z);
	assert_true(z.len > 100 && z.len < f->len / 2);
	/* Magic, deflate, no flags (no name), MTIME 0, OS Unix. */
	assert_memory_equal(z.data, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
	assert_int_equal((unsigned char)z.data[9], 3);
	decompress(&z, COMPRESS_GZIP, &d, name, sizeof(name), &mt, &mode);
	assert_int_equal(d.len, f->len);
	assert_memory_equal(d.data, f->data, f->len);
	buf_release(&z);
	buf_release(&d);
}

static void
test_zip_round_trip(void **state)
{
	struct fixture *f = *state;
	struct buf z, d;
	char name[64];
	time_t mt;
	mode_t mode;

	compress_to(f, COMPRESS_ZIP, f->src, MTIME, &z);
	assert_memory_equal(z.data, "PK\x03\x04", 4);
	assert_true(z.len < f->len / 2);
	decompress(&z, COMPRESS_ZIP, &d, name, sizeof(name), &mt, &mode);
	assert_string_equal(name, "sales_20240301.csv");
	assert_int_equal(mt, MTIME);
	assert_int_equal(mode, S_IFREG | 0644);
	assert_int_equal(d.len, f->len);
	assert_memory_equal(d.data, f->data, f->len);
	buf_release(&z);
	buf_release(&d);
}

static void
test_byte_identical(void **state)
{
	static const enum compress_kind kinds[] = {
		COMPRESS_GZIP, COMPRESS_ZIP,
	};
	struct fixture *f = *state;
	struct timespec ts[2];
	struct buf a, b;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		/* Different source mtimes, same content and same mtime arg. */
		ts[0].tv_sec = ts[1].tv_sec = 1000000000;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		assert_int_equal(utimensat(AT_FDCWD, f->src, ts, 0), 0);
		compress_to(f, kinds[i], f->src, MTIME, &a);
		ts[0].tv_sec = ts[1].tv_sec = 1600000000;
		ts[0].tv_nsec = ts[1].tv_nsec = 123;
		assert_int_equal(utimensat(AT_FDCWD, f->src, ts, 0), 0);
		compress_to(f, kinds[i], f->src, MTIME, &b);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
		buf_release(&b);
		/* gzip carries no time at all; zip carries the one given. */
		compress_to(f, kinds[i], f->src, MTIME + 86400, &b);
		if (kinds[i] == COMPRESS_GZIP) {
			assert_int_equal(a.len, b.len);
			assert_memory_equal(a.data, b.data, a.len);
		} else {
			assert_true(a.len != b.len ||
			    memcmp(a.data, b.data, a.len) != 0);
		}
		buf_release(&a);
		buf_release(&b);
	}
}

static void
test_empty_input(void **state)
{
	struct fixture *f = *state;
	struct archive *a;
	struct archive_entry *e;
	struct buf z, d;
	char name[64];
	time_t mt;
	mode_t mode;

	compress_to(f, COMPRESS_GZIP, f->empty, MTIME, &z);
	/*
	 * Header, an empty final deflate block, CRC 0 and size 0: what
	 * gzip -dc reads as zero bytes.  libarchive's raw reader will not
	 * bid on empty data, so its "empty" format checks the stream.
	 */
	assert_int_equal(z.len, 20);
	assert_memory_equal(z.data, "\x1f\x8b\x08\0\0\0\0\0\0\x03"
	    "\x03\0" "\0\0\0\0" "\0\0\0\0", 20);
	assert_non_null(a = archive_read_new());
	assert_int_equal(archive_read_support_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_read_support_format_empty(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, z.data, z.len),
	    ARCHIVE_OK);
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_EOF);
	assert_int_equal(archive_filter_code(a, 0), ARCHIVE_FILTER_GZIP);
	archive_read_free(a);
	buf_release(&z);

	compress_to(f, COMPRESS_ZIP, f->empty, MTIME, &z);
	decompress(&z, COMPRESS_ZIP, &d, name, sizeof(name), &mt, &mode);
	assert_string_equal(name, "sales_20240301.csv");
	assert_int_equal(d.len, 0);
	buf_release(&z);
	buf_release(&d);

	compress_to(f, COMPRESS_NONE, f->empty, MTIME, &z);
	assert_int_equal(z.len, 0);
	buf_release(&z);
}

static void
test_none_copies(void **state)
{
	struct fixture *f = *state;
	struct buf z;

	compress_to(f, COMPRESS_NONE, f->src, MTIME, &z);
	assert_int_equal(z.len, f->len);
	assert_memory_equal(z.data, f->data, f->len);
	buf_release(&z);
}

static void
test_errors(void **state)
{
	static const enum compress_kind kinds[] = {
		COMPRESS_GZIP, COMPRESS_ZIP, COMPRESS_NONE,
	};
	struct fixture *f = *state;
	struct xerr err;
	char path[256], want[512];
	size_t i;
	int fd;

	for (i = 0; i < 3; i++) {
		/* A missing source. */
		snprintf(path, sizeof(path), "%s/nope.csv", f->dir);
		assert_true((fd = open(f->out, O_RDWR | O_CREAT | O_TRUNC,
		    0600)) >= 0);
		xerr_clear(&err);
		assert_int_equal(compress_file(kinds[i], path, fd, "x.csv",
		    MTIME, &err), -1);
		assert_int_equal(err.cls, XERR_TEMP);
		assert_int_equal(err.sys_errno, ENOENT);
		snprintf(want, sizeof(want),
		    "cannot compress '%s': No such file or directory", path);
		assert_string_equal(err.msg, want);

		/* A directory. */
		assert_int_equal(compress_file(kinds[i], f->dir, fd, "x.csv",
		    MTIME, &err), -1);
		assert_int_equal(err.cls, XERR_PERM);
		snprintf(want, sizeof(want),
		    "cannot compress '%s': not a regular file", f->dir);
		assert_string_equal(err.msg, want);
		close(fd);

		/* A full disk. */
		assert_true((fd = open("/dev/full", O_WRONLY)) >= 0);
		xerr_clear(&err);
		assert_int_equal(compress_file(kinds[i], f->src, fd, "x.csv",
		    MTIME, &err), -1);
		assert_int_equal(err.cls, XERR_TEMP);
		assert_int_equal(err.sys_errno, ENOSPC);
		snprintf(want, sizeof(want),
		    "cannot %s '%s': write failed: No space left on device",
		    kinds[i] == COMPRESS_NONE ? "copy" : "compress", f->src);
		assert_string_equal(err.msg, want);
		close(fd);

		/* A destination not open for writing. */
		assert_true((fd = open(f->out, O_RDONLY)) >= 0);
		assert_int_equal(compress_file(kinds[i], f->src, fd, "x.csv",
		    MTIME, &err), -1);
		assert_int_equal(err.cls, XERR_TEMP);
		assert_int_equal(err.sys_errno, EBADF);
		close(fd);
	}
}

static void
test_suffix(void **state)
{
	static const struct {
		enum compress_kind kind;
		const char *want;
	} t[] = {
		{ COMPRESS_NONE, "" },
		{ COMPRESS_GZIP, ".gz" },
		{ COMPRESS_ZIP, ".zip" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(compress_suffix(t[i].kind), t[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_round_trip),
		cmocka_unit_test(test_zip_round_trip),
		cmocka_unit_test(test_byte_identical),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_none_copies),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_suffix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
