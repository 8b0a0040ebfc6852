/*
 * buf: a growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * Hostile input cannot make us allocate more than the maximum: growing past
 * it is a data error for the caller to report, not an out-of-memory.
 * The contents are always NUL-terminated.  buf_release() frees; a released
 * or zeroed buf is empty and reusable.
 */
#ifndef XFER_BUF_H
#define XFER_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;	/* hard limit on len; 0 means 1 GiB */
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);		/* len = 0, keeps the memory */

/* 0 on success; -1 with errno ENOMEM or E2BIG (over the maximum). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_putc(struct buf *b, int c);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Room for n more bytes now: appends within it cannot run out of memory.
 * 0, or -1 as buf_append. */
int buf_reserve(struct buf *b, size_t n);

/* Length of the valid UTF-8 sequence at p (n > 0 bytes left), 0 if none. */
size_t utf8_seq(const unsigned char *p, size_t n);

/* Append s as a JSON string literal (quotes and escapes included; bytes
 * that are not UTF-8 become U+FFFD). */
int buf_json_str(struct buf *b, const char *s);

/* Append name between two quote characters, each quote inside doubled:
 * an SQL identifier ('"' for SQLite and PostgreSQL, '`' for MySQL) that
 * is safe for any name without a NUL. */
int buf_put_ident(struct buf *b, const char *name, char quote);

/* Hand the malloc'd string to the caller, who frees it; b becomes empty. */
char *buf_detach(struct buf *b);

#endif
