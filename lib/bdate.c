/*
 * bdate: calendar dates as day numbers.
 *
 * The conversions are Howard Hinnant's days_from_civil / civil_from_days
 * ("chrono-Compatible Low-Level Date Algorithms"): exact for the whole
 * proleptic Gregorian calendar, no tables, no time zone, no libc.
 */
#include "bdate.h"

#include <stddef.h>
#include <string.h>

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const unsigned char mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && is_leap(y))
		return 29;
	return mdays[m - 1];
}

bdate_t
bdate_from_ymd(int y, int m, int d)
{
	long yy = (long)y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;				/* [0, 399] */
	long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */

	return era * 146097 + doe - 719468;
}

void
bdate_to_ymd(bdate_t date, int *y, int *m, int *d)
{
	long z = date + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;			/* [0, 146096] */
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* [0, 365] */
	long mp = (5 * doy + 2) / 153;				/* [0, 11] */
	long mm = mp < 10 ? mp + 3 : mp - 9;

	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
}

static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
bdate_parse(const char *s, bdate_t *out)
{
	int y, m, d, i;

	/* Exactly ten characters: no sign, no blanks, no trailing text. */
	for (i = 0; i < 10; i++)
		if (s[i] == '\0')
			return -1;
	if (s[10] != '\0' || s[4] != '-' || s[7] != '-')
		return -1;
	if ((y = digits(s, 4)) < 1 || (m = digits(s + 5, 2)) < 1 || m > 12 ||
	    (d = digits(s + 8, 2)) < 1 || d > days_in_month(y, m))
		return -1;
	*out = bdate_from_ymd(y, m, d);
	return 0;
}

static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
bdate_format(bdate_t date, char out[BDATE_STRLEN])
{
	int y, m, d;

	bdate_to_ymd(date, &y, &m, &d);
	/* Outside 1..9999 the date cannot be written as YYYY-MM-DD; clamp
	 * rather than overflow the fixed-size buffer. */
	if (y < 0)
		y = 0;
	if (y > 9999)
		y = 9999;
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = '\0';
}

/* Noon of date, without a zone: only the calendar fields matter. */
void
bdate_to_tm(bdate_t date, struct tm *tm)
{
	int y, m, d;

	bdate_to_ymd(date, &y, &m, &d);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	tm->tm_hour = 12;
	/* 1970-01-01 was a Thursday. */
	tm->tm_wday = (int)(((date % 7) + 7 + 4) % 7);
	tm->tm_yday = (int)(date - bdate_from_ymd(y, 1, 1));
}
