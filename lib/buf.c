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

int
buf_json_str(struct buf *b, const char *s)
{
	const unsigned char *p;
	int rc;

	rc = buf_putc(b, '"');
	for (p = (const unsigned char *)s; rc == 0 && *p; p++) {
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
