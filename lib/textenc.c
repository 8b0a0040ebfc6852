/*
 * textenc: UTF-8 <-> CP949 / EUC-KR through iconv (see textenc.h).
 *
 * iconv stops at a character it cannot convert (EILSEQ) without saying
 * which, so the encoder looks at the input there itself: invalid UTF-8
 * and a character the target lacks get different messages, and replace
 * can skip exactly one character.  Each call starts from the initial
 * shift state; none of these encodings has shift states, but a reset
 * costs nothing and keeps a failed call from leaking into the next.
 *
 * glibc's EUC-KR decoder takes the bytes 0x80-0x9F as the C1 control
 * characters U+0080-U+009F.  EUC-KR has no such bytes (its two-byte
 * characters are 0xA1-0xFE twice); they are what CP949's own characters
 * start with (갂 is 0x81 0x41), so a CP949 file declared EUC-KR would be
 * read as controls and letters without a word.  The decoders refuse them
 * before iconv sees them, and the encoder the C1 controls it would write
 * as such bytes.
 */
#include "textenc.h"

#include <errno.h>
#include <iconv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define READER_IN	65536

struct text_encoder {
	enum text_encoding enc;
	int replace;
	iconv_t cd;		/* (iconv_t)-1 for UTF-8 */
	unsigned long replaced;
};

struct text_decoder {
	enum text_encoding enc;
	iconv_t cd;
};

struct text_reader {
	int fd;
	long long left;		/* text_reader_range(): bytes left; -1: all */
	enum text_encoding enc;
	const char *label;
	iconv_t cd;
	char in[READER_IN];
	size_t inoff, inlen;	/* unconverted bytes: in[inoff..inoff+inlen) */
	long long consumed;	/* file offset of in[inoff] */
	int eof;
};

int
textenc_parse(const char *s, enum text_encoding *out)
{
	if (strcasecmp(s, "utf-8") == 0 || strcasecmp(s, "utf8") == 0)
		*out = TEXTENC_UTF8;
	else if (strcasecmp(s, "cp949") == 0)
		*out = TEXTENC_CP949;
	else if (strcasecmp(s, "euc-kr") == 0 || strcasecmp(s, "euckr") == 0)
		*out = TEXTENC_EUCKR;
	else
		return -1;
	return 0;
}

const char *
textenc_name(enum text_encoding enc)
{
	switch (enc) {
	case TEXTENC_CP949:
		return "CP949";
	case TEXTENC_EUCKR:
		return "EUC-KR";
	default:
		return "UTF-8";
	}
}

/*
 * *cd converts UTF-8 into enc (encode) or enc into UTF-8; (iconv_t)-1 for
 * UTF-8 itself, which needs no conversion.
 */
static int
open_cd(enum text_encoding enc, int encode, iconv_t *cd, struct xerr *err)
{
	const char *to = encode ? textenc_name(enc) : "UTF-8";
	const char *from = encode ? "UTF-8" : textenc_name(enc);

	*cd = (iconv_t)-1;
	if (enc == TEXTENC_UTF8 || (*cd = iconv_open(to, from)) != (iconv_t)-1)
		return 0;
	if (errno == ENOMEM)
		return xerr_nomem(err);
	return xerr_set(err, XERR_CONFIG, errno, "cannot convert from %s to "
	    "%s", from, to);
}

static void
close_cd(iconv_t cd)
{
	if (cd != (iconv_t)-1)
		iconv_close(cd);
}

/* The code point of the valid UTF-8 sequence p[0..n). */
static uint32_t
utf8_cp(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t i;

	if (n == 1)
		return p[0];
	c = p[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++)
		c = (c << 6) | (p[i] & 0x3f);
	return c;
}

struct text_encoder *
text_encoder_new(enum text_encoding enc, int replace, struct xerr *err)
{
	struct text_encoder *e;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		xerr_nomem(err);
		return NULL;
	}
	e->enc = enc;
	e->replace = replace;
	if (open_cd(enc, 1, &e->cd, err) == -1) {
		free(e);
		return NULL;
	}
	return e;
}

void
text_encoder_free(struct text_encoder *e)
{
	if (e == NULL)
		return;
	close_cd(e->cd);
	free(e);
}

unsigned long
text_encoder_replaced(const struct text_encoder *e)
{
	return e->replaced;
}

static int
not_utf8(struct xerr *err, size_t off)
{
	return xerr_set(err, XERR_DATA, 0, "byte %zu is not valid UTF-8",
	    off + 1);
}

/*
 * The length of the longest prefix of the UTF-8 s[0..len) that holds no
 * C1 control (U+0080-U+009F): glibc writes those into EUC-KR as the
 * single bytes 0x80-0x9F, which EUC-KR does not have.
 */
static size_t
c1_free(enum text_encoding enc, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	const unsigned char *p;

	if (enc != TEXTENC_EUCKR)
		return len;
	for (p = u; (p = memchr(p, 0xc2, len - (size_t)(p - u))) != NULL;
	    p++)
		if ((size_t)(p - u) + 1 < len && p[1] >= 0x80 && p[1] <= 0x9f)
			return (size_t)(p - u);
	return len;
}

/*
 * 1 when s[0..len) is all ASCII: the same bytes in every encoding here,
 * so the common case (codes, amounts, dates, fillers) skips iconv.
 */
static int
all_ascii(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char any = 0;
	size_t i;

	for (i = 0; i < len; i++)
		any |= u[i];
	return any < 0x80;
}

int
text_encode(struct text_encoder *e, const char *s, size_t len,
    struct buf *out, struct xerr *err)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t old = out->len, i, n, inleft, outleft, part, rest, r;
	char *in, *o;
	char ch[8];

	if (all_ascii(s, len)) {
		if (buf_append(out, s, len) == -1)
			goto nomem;
		return 0;
	}
	if (e->enc == TEXTENC_UTF8) {
		for (i = 0; i < len; i += n)
			if ((n = utf8_seq(u + i, len - i)) == 0)
				return not_utf8(err, i);
		if (buf_append(out, s, len) == -1)
			goto nomem;
		return 0;
	}
	/* Never more bytes out than in: every character of these
	 * encodings takes at most as many bytes as in UTF-8. */
	if (buf_reserve(out, len + 1) == -1)
		goto nomem;
	iconv(e->cd, NULL, NULL, NULL, NULL);
	in = (char *)s;
	inleft = len;
	while (inleft > 0) {
		o = out->data + out->len;
		outleft = out->cap - out->len - 1;
		/* iconv sees the text up to a character it would write as a
		 * byte EUC-KR does not have (see the top of the file). */
		part = c1_free(e->enc, in, inleft);
		rest = inleft - part;
		r = part > 0 ? iconv(e->cd, &in, &part, &o, &outleft) : 0;
		inleft = part + rest;
		out->len = (size_t)(o - out->data);
		if (r != (size_t)-1 && rest == 0)
			break;
		if (r == (size_t)-1 && errno == E2BIG) {
			if (buf_reserve(out, inleft + 16) == -1)
				goto nomem;
			continue;
		}
		/* EILSEQ, or the text before a C1 control went through:
		 * the character at in cannot be written. */
		i = (size_t)(in - s);
		n = utf8_seq(u + i, len - i);
		if (n == 0) {
			out->len = old;
			out->data[old] = '\0';
			return not_utf8(err, i);
		}
		if (!e->replace) {
			memcpy(ch, s + i, n);
			ch[n] = '\0';
			out->len = old;
			out->data[old] = '\0';
			return xerr_set(err, XERR_DATA, 0, "'%s' (U+%04X) "
			    "cannot be written in %s", ch,
			    (unsigned)utf8_cp(u + i, n), textenc_name(e->enc));
		}
		if (buf_putc(out, '?') == -1)
			goto nomem;
		e->replaced++;
		in += n;
		inleft -= n;
		iconv(e->cd, NULL, NULL, NULL, NULL);
	}
	out->data[out->len] = '\0';
	return 0;
nomem:
	out->len = old;
	if (out->data != NULL)
		out->data[old] = '\0';
	return errno == E2BIG ? xerr_set(err, XERR_DATA, 0, "a value is too "
	    "long") : xerr_nomem(err);
}

size_t
text_cut(enum text_encoding enc, const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, step;

	if (len <= max)
		return len;
	if (enc == TEXTENC_UTF8) {
		i = max;
		while (i > 0 && (u[i] & 0xc0) == 0x80)
			i--;
		return i;
	}
	for (i = 0; i < len; i += step) {
		step = u[i] >= 0x81 ? 2 : 1;
		if (i + step > max)
			break;
	}
	return i;
}

struct text_decoder *
text_decoder_new(enum text_encoding enc, struct xerr *err)
{
	struct text_decoder *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		xerr_nomem(err);
		return NULL;
	}
	d->enc = enc;
	if (open_cd(enc, 0, &d->cd, err) == -1) {
		free(d);
		return NULL;
	}
	return d;
}

void
text_decoder_free(struct text_decoder *d)
{
	if (d == NULL)
		return;
	close_cd(d->cd);
	free(d);
}

/*
 * The length of the longest prefix of s[0..len) that iconv may see: for
 * EUC-KR, up to the first byte 0x80-0x9F (see the top of the file).
 */
static size_t
euckr_ok(enum text_encoding enc, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (enc != TEXTENC_EUCKR)
		return len;
	for (i = 0; i < len; i++)
		if (u[i] >= 0x80 && u[i] <= 0x9f)
			break;
	return i;
}

int
text_decode(struct text_decoder *d, const char *s, size_t len,
    struct buf *out, struct xerr *err)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t old = out->len, i, n, inleft, outleft;
	char *in, *o;

	if (all_ascii(s, len)) {
		if (buf_append(out, s, len) == -1)
			goto nomem;
		return 0;
	}
	if (d->enc == TEXTENC_UTF8) {
		for (i = 0; i < len; i += n)
			if ((n = utf8_seq(u + i, len - i)) == 0)
				return not_utf8(err, i);
		if (buf_append(out, s, len) == -1)
			goto nomem;
		return 0;
	}
	if ((i = euckr_ok(d->enc, s, len)) < len)
		return xerr_set(err, XERR_DATA, 0, "byte %zu is not valid %s",
		    i + 1, textenc_name(d->enc));
	/* Two bytes of CP949 are at most three of UTF-8. */
	if (buf_reserve(out, len + len / 2 + 4) == -1)
		goto nomem;
	iconv(d->cd, NULL, NULL, NULL, NULL);
	in = (char *)s;
	inleft = len;
	o = out->data + out->len;
	outleft = out->cap - out->len - 1;
	if (iconv(d->cd, &in, &inleft, &o, &outleft) == (size_t)-1) {
		out->len = old;
		out->data[old] = '\0';
		if (errno == E2BIG)
			return xerr_nomem(err);
		return xerr_set(err, XERR_DATA, 0, "byte %zu is not valid %s",
		    (size_t)(in - s) + 1, textenc_name(d->enc));
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
nomem:
	out->len = old;
	if (out->data != NULL)
		out->data[old] = '\0';
	return errno == E2BIG ? xerr_set(err, XERR_DATA, 0, "a value is too "
	    "long") : xerr_nomem(err);
}

struct text_reader *
text_reader_new(int fd, enum text_encoding enc, const char *label,
    struct xerr *err)
{
	struct text_reader *r;

	/* The input buffer is only needed to convert. */
	r = calloc(1, enc == TEXTENC_UTF8 ?
	    offsetof(struct text_reader, in) : sizeof(*r));
	if (r == NULL) {
		xerr_nomem(err);
		return NULL;
	}
	r->fd = fd;
	r->left = -1;
	r->enc = enc;
	r->label = label;
	if (open_cd(enc, 0, &r->cd, err) == -1) {
		free(r);
		return NULL;
	}
	return r;
}

void
text_reader_free(struct text_reader *r)
{
	if (r == NULL)
		return;
	close_cd(r->cd);
	free(r);
}

void
text_reader_range(struct text_reader *r, long long offset, long long limit)
{
	/* A UTF-8 reader has no conversion state (nor room for it). */
	if (r->enc != TEXTENC_UTF8)
		r->consumed = offset;
	r->left = limit;
}

static ssize_t
read_some(struct text_reader *r, void *buf, size_t size, struct xerr *err)
{
	ssize_t n;

	if (r->left >= 0 && (long long)size > r->left)
		size = (size_t)r->left;
	if (size == 0)
		return 0;
	do
		n = read(r->fd, buf, size);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return xerr_set(err, errno == EIO ? XERR_TEMP : XERR_PERM,
		    errno, "cannot read '%s'", r->label);
	if (r->left >= 0)
		r->left -= n;
	return n;
}

ssize_t
text_reader_read(struct text_reader *r, void *buf, size_t size,
    struct xerr *err)
{
	char *in, *o;
	size_t inleft, outleft, ok;
	ssize_t n;

	if (r->enc == TEXTENC_UTF8)
		return read_some(r, buf, size, err);
	for (;;) {
		if (r->inlen > 0) {
			in = r->in + r->inoff;
			/* iconv sees the bytes up to one it would misread. */
			ok = euckr_ok(r->enc, in, r->inlen);
			inleft = ok;
			o = buf;
			outleft = size;
			if (ok > 0 && iconv(r->cd, &in, &inleft, &o,
			    &outleft) == (size_t)-1 && errno == EILSEQ)
				return xerr_set(err, XERR_DATA, 0, "'%s': byte "
				    "%lld is not valid %s", r->label,
				    r->consumed + (in - (r->in + r->inoff)) + 1,
				    textenc_name(r->enc));
			/* The bad byte is next, and nothing came out (a
			 * character cut by it cannot be finished). */
			if (ok < r->inlen && o == (char *)buf)
				return xerr_set(err, XERR_DATA, 0, "'%s': byte "
				    "%lld is not valid %s", r->label,
				    r->consumed + (long long)ok + 1,
				    textenc_name(r->enc));
			/* E2BIG (buf full) or EINVAL (a character cut by the
			 * end of in[]): hand on what was converted. */
			r->consumed += in - (r->in + r->inoff);
			r->inlen -= (size_t)(in - (r->in + r->inoff));
			r->inoff = (size_t)(in - r->in);
			if (o > (char *)buf)
				return o - (char *)buf;
		}
		if (r->eof) {
			if (r->inlen > 0)
				return xerr_set(err, XERR_DATA, 0, "'%s' ends "
				    "inside a %s character (byte %lld)",
				    r->label, textenc_name(r->enc),
				    r->consumed + 1);
			return 0;
		}
		memmove(r->in, r->in + r->inoff, r->inlen);
		r->inoff = 0;
		n = read_some(r, r->in + r->inlen, sizeof(r->in) - r->inlen,
		    err);
		if (n == -1)
			return -1;
		if (n == 0)
			r->eof = 1;
		r->inlen += (size_t)n;
	}
}
