/*
 * myvalue: MySQL/MariaDB result values as xfer values (SPEC.md section
 * 8), the pure part of source_mysql.c, kept apart for the unit tests and
 * the fuzzer.
 *
 * - NULL is VAL_NULL; integers, DECIMAL, FLOAT, DOUBLE and YEAR are
 *   VAL_NUMBER with the text the server (DECIMAL, exact) or the client
 *   library (binary integers and floats) gives; the rest is VAL_TEXT.
 * - TIMESTAMP is an instant, which the server shows as wall-clock time
 *   in the session's time_zone.  When that zone is a fixed offset
 *   (source_mysql.c sets the job zone's offset at the start of the
 *   batch date) the instant is exact: the digits minus the offset,
 *   shown as ISO 8601 in the job's zone with its offset.  When it is
 *   the job's zone by name (a 23- or 25-hour day on a server with time
 *   zone tables), the digits are read as DATETIME's are.  DATETIME has
 *   no zone: its wall-clock digits are kept and the job zone's offset
 *   at that wall time is added; a time repeated by a fall-back gets its
 *   first occurrence's offset, one skipped by a spring-forward the
 *   offset before the gap.  Fractions as the column declares them.
 *   A zero or partial date ('0000-00-00 00:00:00') has no instant and
 *   is refused.
 * - Binary strings (BINARY, VARBINARY, BLOB, BIT, GEOMETRY: character
 *   set 63) are lowercase hex, so that a CSV or JSON file never carries
 *   raw bytes that are not text.
 */
#ifndef XFER_MYVALUE_H
#define XFER_MYVALUE_H

#include <stddef.h>
#include <mysql.h>

#include "record.h"

/* How column f is fetched and shown. */
enum myvalue_conv {
	MYV_TEXT,		/* as the server's text */
	MYV_NUMBER,		/* as text, VAL_NUMBER */
	MYV_HEX,		/* binary: hex */
	MYV_INSTANT,		/* TIMESTAMP: MYSQL_TIME in the session's zone */
	MYV_WALL,		/* DATETIME: MYSQL_TIME in the job's zone */
};

enum myvalue_conv myvalue_conv_of(enum enum_field_types type,
    unsigned charsetnr);

/*
 * t as ISO 8601 with the offset of the current zone (the job's, set
 * with tz_use()), "2026-03-08T01:30:00.250-05:00", decimals (0..6)
 * fraction digits.  offset: t is wall-clock time at that fixed UTC
 * offset (seconds east; a TIMESTAMP in a session whose time_zone is
 * '+09:00' has 32400), so the instant is exact; NULL: t is wall-clock
 * time in the current zone (DATETIME).  Returns the length, or -1 for a
 * date without an instant (zero, out of range) or a too-small out.
 */
int myvalue_datetime(const MYSQL_TIME *t, const long *offset,
    unsigned decimals, char *out, size_t size);

/*
 * A file's value for a TIMESTAMP column (ingest) as the UTC text the
 * session (time_zone '+00:00') stores exactly: "YYYY-MM-DD", or
 * "YYYY-MM-DD[T ]HH:MM[:SS[.frac]]" with optional "Z", "+HH:MM",
 * "+HHMM" or "+HH".  With an offset it is that instant; without one it
 * is wall-clock time in the current zone (the job's), resolved as
 * DATETIME values are above.  "2026-11-20T09:30:00+09:00" gives
 * "2026-11-20 00:30:00".  Returns the length, or -1 when s is not such
 * a value (the caller refuses it rather than let the server read it in
 * another zone) or out is too small.
 */
int myvalue_timestamp_utc(const char *s, size_t len, char *out,
    size_t size);

/* n bytes at p as 2n lowercase hex digits and a NUL at out. */
void myvalue_hex(const unsigned char *p, size_t n, char *out);

#endif
