/*
 * textenc: the character encodings of partner files (UTF-8, CP949,
 * EUC-KR), through iconv.
 *
 * Inside xfer all text is UTF-8.  Writers encode each value into the
 * file's encoding, so a character the encoding cannot hold is found with
 * the record and field it is in (and never silently turned into
 * something else unless the job says unmappable = replace).  Readers
 * decode: fixed-width fields one by one (their widths are bytes of the
 * file's encoding), other formats as a stream (text_reader, a read()
 * that returns UTF-8).
 *
 * CP949 (Microsoft's Unified Hangul Code) is a superset of EUC-KR (KS X
 * 1001): 뷁 is in CP949 and not in EUC-KR.  In both, a byte below 0x80 is
 * one ASCII character and a byte from 0x81 up starts a two-byte
 * character, which is what text_cut() relies on.
 */
#ifndef XFER_TEXTENC_H
#define XFER_TEXTENC_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "xerr.h"

enum text_encoding { TEXTENC_UTF8 = 0, TEXTENC_CP949, TEXTENC_EUCKR };

/* "utf-8" (or "utf8"), "cp949", "euc-kr" (or "euckr"), any case.  0 / -1. */
int textenc_parse(const char *s, enum text_encoding *out);

/* "UTF-8", "CP949", "EUC-KR": the name an XML declaration carries. */
const char *textenc_name(enum text_encoding enc);

/* UTF-8 into enc.  replace: a character enc cannot hold becomes '?'. */
struct text_encoder;

/* NULL when out of memory (or iconv lacks the encoding: err says). */
struct text_encoder *text_encoder_new(enum text_encoding enc, int replace,
    struct xerr *err);
void text_encoder_free(struct text_encoder *e);

/*
 * Append s[0..len) encoded to out.  -1 with XERR_DATA when s is not valid
 * UTF-8 or holds a character the encoding cannot hold (without replace):
 * "'뷁' (U+BDC1) cannot be written in EUC-KR"; the caller puts the record
 * and field in front (xerr_prefix).  out is then as it was.
 */
int text_encode(struct text_encoder *e, const char *s, size_t len,
    struct buf *out, struct xerr *err);

/* How many characters replace has turned into '?' so far. */
unsigned long text_encoder_replaced(const struct text_encoder *e);

/*
 * The length of the longest prefix of s (len bytes in enc) of at most max
 * bytes that does not end inside a character.
 */
size_t text_cut(enum text_encoding enc, const char *s, size_t len,
    size_t max);

/* enc into UTF-8. */
struct text_decoder;

struct text_decoder *text_decoder_new(enum text_encoding enc,
    struct xerr *err);
void text_decoder_free(struct text_decoder *d);

/*
 * Append s[0..len) (a whole field in enc) decoded to out.  -1 with
 * XERR_DATA "byte N is not valid CP949" (N 1-based within s); the caller
 * puts the file, record and field in front.
 */
int text_decode(struct text_decoder *d, const char *s, size_t len,
    struct buf *out, struct xerr *err);

/*
 * A read() of UTF-8 from an fd holding text in enc: what readers of
 * streamed formats (CSV, JSON Lines, XML) call instead of read().  For
 * UTF-8 it is read() itself.  Bytes that are not valid in enc are an
 * XERR_DATA error naming label and the byte offset in the file.
 */
struct text_reader;

struct text_reader *text_reader_new(int fd, enum text_encoding enc,
    const char *label, struct xerr *err);
void text_reader_free(struct text_reader *r);

/*
 * Read only limit bytes (> 0) from the fd's current offset, which is
 * offset in the file (for the byte offsets of messages): a part of a
 * file, such as the lines between a header line and a trailer line.
 * Call before the first text_reader_read().
 */
void text_reader_range(struct text_reader *r, long long offset,
    long long limit);

/* Up to size (>= 8) bytes of UTF-8 into buf: >0, 0 at the end, -1. */
ssize_t text_reader_read(struct text_reader *r, void *buf, size_t size,
    struct xerr *err);

#endif
