/*
 * test_textenc: UTF-8 <-> CP949 / EUC-KR, byte counts, cutting, streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "textenc.h"

/* 한 is C7 D1 in both; 뷁 is 94 EE in CP949 and absent from EUC-KR. */
static void
test_encode_hangul(void **state)
{
	struct text_encoder *e;
	struct xerr err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	e = text_encoder_new(TEXTENC_CP949, 0, &err);
	assert_non_null(e);
	assert_int_equal(text_encode(e, "A한뷁", strlen("A한뷁"), &b, &err),
	    0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "A\xc7\xd1\x94\xee", 5);
	text_encoder_free(e);

	buf_reset(&b);
	e = text_encoder_new(TEXTENC_EUCKR, 0, &err);
	assert_non_null(e);
	assert_int_equal(text_encode(e, "한", strlen("한"), &b, &err), 0);
	assert_memory_equal(b.data, "\xc7\xd1", 2);
	/* Unmappable: an error naming the character, out as it was. */
	assert_int_equal(text_encode(e, "x뷁", strlen("x뷁"), &b, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg,
	    "'뷁' (U+BDC1) cannot be written in EUC-KR");
	assert_int_equal(b.len, 2);
	/* Not UTF-8 at all. */
	assert_int_equal(text_encode(e, "a\xff", 2, &b, &err), -1);
	assert_string_equal(err.msg, "byte 2 is not valid UTF-8");
	text_encoder_free(e);
	buf_release(&b);
}

static void
test_encode_replace(void **state)
{
	struct text_encoder *e;
	struct xerr err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	e = text_encoder_new(TEXTENC_EUCKR, 1, &err);
	assert_non_null(e);
	assert_int_equal(text_encode(e, "뷁한뷁", strlen("뷁한뷁"), &b,
	    &err), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "?\xc7\xd1?", 4);
	assert_int_equal(text_encoder_replaced(e), 2);
	text_encoder_free(e);
	buf_release(&b);
}

static void
test_utf8_passthrough(void **state)
{
	struct text_encoder *e;
	struct xerr err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	e = text_encoder_new(TEXTENC_UTF8, 0, &err);
	assert_int_equal(text_encode(e, "뷁°", strlen("뷁°"), &b, &err), 0);
	assert_string_equal(b.data, "뷁°");
	assert_int_equal(text_encode(e, "\xe1\x80", 2, &b, &err), -1);
	text_encoder_free(e);
	buf_release(&b);
}

static void
test_cut(void **state)
{
	(void)state;
	/* "A" + 한 + "B" in CP949: A C7 D1 B */
	assert_int_equal(text_cut(TEXTENC_CP949, "A\xc7\xd1" "B", 4, 2), 1);
	assert_int_equal(text_cut(TEXTENC_CP949, "A\xc7\xd1" "B", 4, 3), 3);
	assert_int_equal(text_cut(TEXTENC_CP949, "A\xc7\xd1" "B", 4, 9), 4);
	/* UTF-8: 한 is 3 bytes. */
	assert_int_equal(text_cut(TEXTENC_UTF8, "A한", 4, 3), 1);
	assert_int_equal(text_cut(TEXTENC_UTF8, "A한", 4, 4), 4);
	assert_int_equal(text_cut(TEXTENC_UTF8, "한한", 6, 5), 3);
}

static void
test_decode(void **state)
{
	struct text_decoder *d;
	struct xerr err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	d = text_decoder_new(TEXTENC_CP949, &err);
	assert_non_null(d);
	assert_int_equal(text_decode(d, "\x94\xee" "A", 3, &b, &err), 0);
	assert_string_equal(b.data, "뷁A");
	buf_reset(&b);
	assert_int_equal(text_decode(d, "AB\xc7", 3, &b, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	text_decoder_free(d);
	buf_release(&b);
}

/* A stream of many Hangul characters read 8 bytes at a time: every
 * character cut by a buffer's end comes out whole. */
static void
test_reader(void **state)
{
	char path[] = "/tmp/test_textenc.XXXXXX";
	struct text_reader *r;
	struct xerr err;
	struct buf want, got;
	struct text_encoder *e;
	char chunk[8];
	ssize_t n;
	int fd, i;

	(void)state;
	buf_init(&want, 0);
	buf_init(&got, 0);
	for (i = 0; i < 30000; i++)
		buf_puts(&want, i % 3 == 0 ? "한" : i % 3 == 1 ? "x" : "뷁");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	e = text_encoder_new(TEXTENC_CP949, 0, &err);
	{
		struct buf enc;

		buf_init(&enc, 0);
		assert_int_equal(text_encode(e, want.data, want.len, &enc,
		    &err), 0);
		assert_int_equal(write(fd, enc.data, enc.len),
		    (ssize_t)enc.len);
		buf_release(&enc);
	}
	text_encoder_free(e);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	r = text_reader_new(fd, TEXTENC_CP949, "t.csv", &err);
	assert_non_null(r);
	while ((n = text_reader_read(r, chunk, sizeof(chunk), &err)) > 0)
		buf_append(&got, chunk, (size_t)n);
	assert_int_equal(n, 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	text_reader_free(r);

	/* A file cut inside a character. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(write(fd, "ab\xc7", 3), 3);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	r = text_reader_new(fd, TEXTENC_CP949, "t.csv", &err);
	buf_reset(&got);
	while ((n = text_reader_read(r, chunk, sizeof(chunk), &err)) > 0)
		buf_append(&got, chunk, (size_t)n);
	assert_int_equal(n, -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_non_null(strstr(err.msg, "'t.csv' ends inside a CP949"));
	text_reader_free(r);

	/* An invalid byte in the middle is named by its offset. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(write(fd, "abc\xff\xff" "d", 6), 6);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	r = text_reader_new(fd, TEXTENC_EUCKR, "t.csv", &err);
	while ((n = text_reader_read(r, chunk, sizeof(chunk), &err)) > 0)
		;
	assert_int_equal(n, -1);
	assert_string_equal(err.msg, "'t.csv': byte 4 is not valid EUC-KR");
	text_reader_free(r);
	close(fd);
	buf_release(&want);
	buf_release(&got);
}

/* Read all of data (len bytes, enc) through a text_reader, 8 bytes at a
 * time: -1 with err, or 0 with the UTF-8 in got. */
static int
read_all(const char *data, size_t len, enum text_encoding enc,
    struct buf *got, struct xerr *err)
{
	char path[] = "/tmp/test_textenc.XXXXXX";
	struct text_reader *r;
	char chunk[8];
	ssize_t n;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_non_null(r = text_reader_new(fd, enc, "t.csv", err));
	buf_reset(got);
	while ((n = text_reader_read(r, chunk, sizeof(chunk), err)) > 0)
		buf_append(got, chunk, (size_t)n);
	text_reader_free(r);
	close(fd);
	return n == 0 ? 0 : -1;
}

/*
 * glibc decodes the bytes 0x80-0x9F of "EUC-KR" as C1 controls; EUC-KR
 * has none, and CP949's own characters start with them (갂 is 0x81 0x41):
 * a CP949 file declared EUC-KR must fail, not turn into controls.
 */
static void
test_euckr_c1(void **state)
{
	struct text_decoder *d;
	struct xerr err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_non_null(d = text_decoder_new(TEXTENC_EUCKR, &err));
	assert_int_equal(text_decode(d, "\xb0\xa1\x81\x41", 4, &b, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "byte 3 is not valid EUC-KR");
	assert_int_equal(text_decode(d, "\xb0\xa1" "A", 3, &b, &err), 0);
	assert_string_equal(b.data, "가A");
	text_decoder_free(d);

	/* CP949 has them. */
	buf_reset(&b);
	assert_non_null(d = text_decoder_new(TEXTENC_CP949, &err));
	assert_int_equal(text_decode(d, "\x81\x41", 2, &b, &err), 0);
	assert_string_equal(b.data, "갂");
	text_decoder_free(d);

	/* The stream: at every offset around the 8-byte reads. */
	assert_int_equal(read_all("ab\x81\x41" "cd", 6, TEXTENC_EUCKR, &b,
	    &err), -1);
	assert_string_equal(err.msg, "'t.csv': byte 3 is not valid EUC-KR");
	assert_int_equal(read_all("\x9f", 1, TEXTENC_EUCKR, &b, &err), -1);
	assert_string_equal(err.msg, "'t.csv': byte 1 is not valid EUC-KR");
	/* A lead byte cut by one: the bad byte is named. */
	assert_int_equal(read_all("abcd\xb0\x81", 6, TEXTENC_EUCKR, &b, &err),
	    -1);
	assert_string_equal(err.msg, "'t.csv': byte 6 is not valid EUC-KR");
	assert_int_equal(read_all("\xb0\xa1\xb0\xa1\xb0\xa1\xb0\xa1\x90", 9,
	    TEXTENC_EUCKR, &b, &err), -1);
	assert_string_equal(err.msg, "'t.csv': byte 9 is not valid EUC-KR");
	assert_int_equal(read_all("\xb0\xa1\xb0\xa1\xb0\xa1\xb0\xa1x", 9,
	    TEXTENC_EUCKR, &b, &err), 0);
	assert_string_equal(b.data, "가가가가x");
	assert_int_equal(read_all("\x81\x41", 2, TEXTENC_CP949, &b, &err), 0);
	assert_string_equal(b.data, "갂");
	buf_release(&b);
}

/* Nor are C1 controls written into EUC-KR as those bytes. */
static void
test_euckr_c1_encode(void **state)
{
	struct text_encoder *e;
	struct xerr err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_non_null(e = text_encoder_new(TEXTENC_EUCKR, 0, &err));
	assert_int_equal(text_encode(e, "가\xc2\x81" "A", 6, &b, &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "'\xc2\x81' (U+0081) cannot be written "
	    "in EUC-KR");
	assert_int_equal(b.len, 0);
	/* Latin-1 letters (also 0xC2 0x..) are refused by iconv itself. */
	assert_int_equal(text_encode(e, "\xc2\xa9", 2, &b, &err), -1);
	assert_int_equal(text_encode(e, "x\xc2\x9f", 3, &b, &err), -1);
	assert_string_equal(err.msg, "'\xc2\x9f' (U+009F) cannot be written "
	    "in EUC-KR");
	text_encoder_free(e);

	assert_non_null(e = text_encoder_new(TEXTENC_EUCKR, 1, &err));
	assert_int_equal(text_encode(e, "\xc2\x81가\xc2\x90" "A\xc2\x81",
	    10, &b, &err), 0);
	assert_memory_equal(b.data, "?\xb0\xa1?A?", 6);
	assert_int_equal(b.len, 6);
	assert_int_equal(text_encoder_replaced(e), 3);
	text_encoder_free(e);
	buf_release(&b);
}

static void
test_parse(void **state)
{
	enum text_encoding e;

	(void)state;
	assert_int_equal(textenc_parse("CP949", &e), 0);
	assert_int_equal(e, TEXTENC_CP949);
	assert_int_equal(textenc_parse("euc-kr", &e), 0);
	assert_int_equal(e, TEXTENC_EUCKR);
	assert_int_equal(textenc_parse("utf8", &e), 0);
	assert_int_equal(e, TEXTENC_UTF8);
	assert_int_equal(textenc_parse("latin1", &e), -1);
	assert_string_equal(textenc_name(TEXTENC_EUCKR), "EUC-KR");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_hangul),
		cmocka_unit_test(test_encode_replace),
		cmocka_unit_test(test_utf8_passthrough),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_euckr_c1),
		cmocka_unit_test(test_euckr_c1_encode),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
