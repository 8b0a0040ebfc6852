/*
 * bdate: calendar dates as days since 1970-01-01 (proleptic Gregorian),
 * independent of any time zone.  A batch is one job on one bdate.
 */
#ifndef XFER_BDATE_H
#define XFER_BDATE_H

#include <time.h>

typedef long bdate_t;

#define BDATE_STRLEN 11		/* "YYYY-MM-DD" + NUL */

/* Strict "YYYY-MM-DD" (a real calendar day, years 1..9999). 0 or -1. */
int bdate_parse(const char *s, bdate_t *out);
void bdate_format(bdate_t d, char out[BDATE_STRLEN]);
bdate_t bdate_from_ymd(int y, int m, int d);
void bdate_to_ymd(bdate_t date, int *y, int *m, int *d);

/* The calendar fields of date (noon, no zone: tm_wday and tm_yday set)
 * for strftime. */
void bdate_to_tm(bdate_t date, struct tm *tm);

#endif
