#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define BUF_DEFAULT_MAX ((size_t)1 << 30)

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : BUF_DEFAULT_MAX;
}

void
buf_release(struct buf *b)
{
	size_t max = b->max;

	free(b->data);
	buf_init(b, max);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->max == 0)
		b->max = BUF_DEFAULT_MAX;
	if (extra > b->max - b->len) {
		errno = E2BIG;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_reserve(struct buf *b, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_append(b, &ch, 1);
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (buf_grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
buf_detach(struct buf *b)
{
	char *p;

	if (b->data == NULL) {
		if (buf_grow(b, 0) == -1)
			return NULL;
		b->data[0] = '\0';
	}
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2)		/* a continuation byte, or an overlong lead */
		return 0;
	if (c < 0xe0)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)		/* overlong */
			return 0;
		if (c == 0xed && p[1] > 0x9f)		/* surrogate */
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)		/* overlong */
			return 0;
		if (c == 0xf4 && p[1] > 0x8f)		/* past U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Invalid UTF-8 (a partner's file name, say) becomes U+FFFD, byte by
 * byte: JSON text is UTF-8, and a log line a parser rejects is lost.
 */
int
buf_json_str(struct buf *b, const char *s)
{
	const unsigned char *p, *end = (const unsigned char *)s + strlen(s);
	size_t k;
	int rc;

	rc = buf_putc(b, '"');
	for (p = (const unsigned char *)s; rc == 0 && *p; p++) {
		if (*p >= 0x80) {
			if ((k = utf8_seq(p, (size_t)(end - p))) == 0) {
				rc = buf_puts(b, "\\ufffd");
				continue;
			}
			rc = buf_append(b, p, k);
			p += k - 1;
			continue;
		}
		switch (*p) {
		case '"':	rc = buf_puts(b, "\\\""); break;
		case '\\':	rc = buf_puts(b, "\\\\"); break;
		case '\n':	rc = buf_puts(b, "\\n"); break;
		case '\r':	rc = buf_puts(b, "\\r"); break;
		case '\t':	rc = buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rc = buf_printf(b, "\\u%04x", *p);
			else
				rc = buf_putc(b, *p);
		}
	}
	return rc == 0 ? buf_putc(b, '"') : -1;
}

int
buf_put_ident(struct buf *b, const char *name, char quote)
{
	const char *q;

	if (buf_putc(b, quote) == -1)
		return -1;
	while ((q = strchr(name, quote)) != NULL) {
		if (buf_append(b, name, (size_t)(q - name + 1)) == -1 ||
		    buf_putc(b, quote) == -1)
			return -1;
		name = q + 1;
	}
	if (buf_puts(b, name) == -1 || buf_putc(b, quote) == -1)
		return -1;
	return 0;
}
