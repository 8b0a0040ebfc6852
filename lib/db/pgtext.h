/*
 * pgtext: the pure text conversions between PostgreSQL and xfer's
 * records, kept apart from libpq so that unit tests and the fuzzer reach
 * them: a value into COPY's text format, timestamps in DateStyle ISO
 * into ISO 8601, json text into compact JSON, and the line number in a
 * COPY error's context.
 */
#ifndef XFER_PGTEXT_H
#define XFER_PGTEXT_H

#include <stddef.h>

/* Room pgtext_timestamp() needs for its output, with the NUL. */
#define PGTEXT_TS_MAX	64

/*
 * s (len bytes, no NUL among them) for COPY FROM STDIN in text format
 * into out, which has room for 2 * len bytes: backslash, newline,
 * carriage return and tab escaped.  Returns the bytes written.
 */
size_t pgtext_copy_escape(char *out, const char *s, size_t len);

/*
 * A timestamp as the server writes it with DateStyle ISO ("2026-11-20
 * 09:30:00+09", "2026-03-08 01:59:59.5-05", "2026-11-20 09:30:00+05:30",
 * or without a zone for timestamp) into ISO 8601 in out
 * (PGTEXT_TS_MAX): "2026-11-20T09:30:00+09:00".  An offset with seconds
 * (before 1900 in some zones) keeps them ("+00:53:28").  Returns the
 * length, or 0 when s is not of that form (infinity, BC dates, years
 * after 9999): the caller keeps the server's text.
 */
size_t pgtext_timestamp(const char *s, size_t len, char *out);

/*
 * JSON text the server has validated (json or jsonb output) made compact
 * in place: whitespace outside strings removed, nothing else changed
 * (numbers and strings keep their exact text).  Returns the new length.
 */
size_t pgtext_json_compact(char *s, size_t len);

/*
 * The line of COPY's input a server error context names ("COPY sales,
 * line 17, column amount: \"x\""), or 0 when it names none.
 */
unsigned long pgtext_copy_line(const char *context);

#endif
