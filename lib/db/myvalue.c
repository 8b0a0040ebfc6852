/*
 * myvalue: see myvalue.h.
 */
#include "myvalue.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum myvalue_conv
myvalue_conv_of(enum enum_field_types type, unsigned charsetnr)
{
	switch (type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
	case MYSQL_TYPE_YEAR:
		return MYV_NUMBER;
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_TIMESTAMP2:
		return MYV_INSTANT;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_DATETIME2:
		return MYV_WALL;
	case MYSQL_TYPE_BIT:
	case MYSQL_TYPE_GEOMETRY:
		return MYV_HEX;
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
		/* 63 is the binary character set: bytes, not text. */
		return charsetnr == 63 ? MYV_HEX : MYV_TEXT;
	default:
		return MYV_TEXT;
	}
}

/* The offset in effect at instant t in the current zone. */
static long
gmtoff_at(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/* 1 when instant t shows wall-clock time w in the current zone. */
static int
shows(time_t t, const struct tm *w)
{
	struct tm tm;

	return localtime_r(&t, &tm) != NULL && tm.tm_year == w->tm_year &&
	    tm.tm_mon == w->tm_mon && tm.tm_mday == w->tm_mday &&
	    tm.tm_hour == w->tm_hour && tm.tm_min == w->tm_min &&
	    tm.tm_sec == w->tm_sec;
}

/*
 * The job zone's offset for wall-clock time w, whose digits read as UTC
 * are g: the offsets a day either side, one of which is right unless
 * the zone changes twice within a day.  A time repeated by a fall-back
 * gets its first occurrence's, one in a spring-forward gap the offset
 * before the gap.
 */
static long
wall_offset(time_t g, const struct tm *w)
{
	long before = gmtoff_at(g - 86400), after = gmtoff_at(g + 86400);

	if (shows(g - before, w))
		return before;
	if (shows(g - after, w))
		return after;
	return before;		/* in a gap: the clock not yet set forward */
}

int
myvalue_datetime(const MYSQL_TIME *t, const long *offset,
    unsigned decimals, char *out, size_t size)
{
	struct tm w, tm;
	time_t g;
	long off;
	char frac[8] = "";
	char sign = '+';
	int n;

	if (t->year < 1 || t->year > 9999 || t->month < 1 || t->month > 12 ||
	    t->day < 1 || t->day > 31 || t->hour > 23 || t->minute > 59 ||
	    t->second > 59 || t->second_part > 999999 || t->neg)
		return -1;
	memset(&w, 0, sizeof(w));
	w.tm_year = (int)t->year - 1900;
	w.tm_mon = (int)t->month - 1;
	w.tm_mday = (int)t->day;
	w.tm_hour = (int)t->hour;
	w.tm_min = (int)t->minute;
	w.tm_sec = (int)t->second;
	tm = w;
	g = timegm(&tm);
	/* timegm normalizes 2026-02-30 into March: not a date. */
	if (tm.tm_mday != w.tm_mday || tm.tm_mon != w.tm_mon)
		return -1;
	if (offset != NULL) {
		/* The digits less the session's offset: the instant. */
		g -= (time_t)*offset;
		if (localtime_r(&g, &w) == NULL)
			return -1;
		off = w.tm_gmtoff;
	} else {
		off = wall_offset(g, &w);
	}
	if (decimals > 6)
		decimals = 6;
	if (decimals > 0) {
		snprintf(frac, sizeof(frac), ".%06lu", t->second_part);
		frac[decimals + 1] = '\0';
	}
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	n = snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02ld:%02ld",
	    w.tm_year + 1900, w.tm_mon + 1, w.tm_mday, w.tm_hour, w.tm_min,
	    w.tm_sec, frac, sign, off / 3600, off / 60 % 60);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* n digits at *p as a number; -1 when they are not all digits. */
static int
digits(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

int
myvalue_timestamp_utc(const char *s, size_t len, char *out, size_t size)
{
	const char *p = s, *end = s + len, *frac = NULL;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om = 0, nfrac = 0;
	int has_off = 0, sign = 1;
	struct tm w, tm;
	time_t g;
	long off = 0;
	int n;

	if ((y = digits(&p, end, 4)) < 0 || p == end || *p++ != '-' ||
	    (mo = digits(&p, end, 2)) < 0 || p == end || *p++ != '-' ||
	    (d = digits(&p, end, 2)) < 0)
		return -1;
	if (p < end) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if ((h = digits(&p, end, 2)) < 0 || p == end || *p++ != ':' ||
		    (mi = digits(&p, end, 2)) < 0)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if ((sec = digits(&p, end, 2)) < 0)
				return -1;
			if (p < end && *p == '.') {
				frac = ++p;
				while (p < end && *p >= '0' && *p <= '9')
					p++;
				nfrac = (int)(p - frac);
				if (nfrac < 1 || nfrac > 9)
					return -1;
			}
		}
		if (p < end && (*p == 'Z' || *p == 'z')) {
			p++;
			has_off = 1;
			off = 0;
		} else if (p < end && (*p == '+' || *p == '-')) {
			sign = *p++ == '-' ? -1 : 1;
			if ((oh = digits(&p, end, 2)) < 0)
				return -1;
			if ((p < end && *p == ':' && ++p == end) ||
			    (p < end && (om = digits(&p, end, 2)) < 0))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			has_off = 1;
			off = sign * (oh * 3600L + om * 60L);
		}
		if (p != end)
			return -1;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 59)
		return -1;
	memset(&w, 0, sizeof(w));
	w.tm_year = y - 1900;
	w.tm_mon = mo - 1;
	w.tm_mday = d;
	w.tm_hour = h;
	w.tm_min = mi;
	w.tm_sec = sec;
	tm = w;
	g = timegm(&tm);
	if (tm.tm_mday != w.tm_mday || tm.tm_mon != w.tm_mon)
		return -1;	/* 2026-02-30 */
	if (!has_off)
		off = wall_offset(g, &w);
	g -= (time_t)off;
	if (gmtime_r(&g, &w) == NULL)
		return -1;
	n = snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d%s%.*s",
	    w.tm_year + 1900, w.tm_mon + 1, w.tm_mday, w.tm_hour, w.tm_min,
	    w.tm_sec, nfrac > 0 ? "." : "", nfrac, frac ? frac : "");
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

void
myvalue_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
