/*
 * tz: time-zone arithmetic for batch dates.
 *
 * xfer works in one job's zone at a time: tz_use() sets the process's TZ
 * (the C library keeps the zone in process state; this module is the one
 * place that touches it) and the other functions work in that zone.
 */
#ifndef XFER_TZ_H
#define XFER_TZ_H

#include <stddef.h>
#include <time.h>

#include "bdate.h"
#include "xerr.h"

/* 1 if zone names a readable TZif file under $TZDIR or /usr/share/zoneinfo
 * (no "..", not absolute), else 0. */
int tz_valid(const char *zone);

/* Work in zone from now on; NULL or "" means the system's zone. 0 / -1. */
int tz_use(const char *zone, struct xerr *err);

/* t in the zone the process started in (for times shown to people),
 * whatever zone tz_use() set since. */
void tz_system_time(time_t t, struct tm *tm);

/*
 * tz_system_time() switches TZ back and forth when a job's zone is in
 * force, which other threads must never see: a run that starts threads
 * pins the system zone's UTC offsets first (from now on, with the next
 * change of offset found within two days) and formats its times with
 * tz_pinned_time(), which reads no process state.
 */
struct tz_pin {
	time_t change;		/* first second of off_after */
	long off_before, off_after;	/* seconds east of UTC */
};
void tz_pin_system(struct tz_pin *pin, time_t now);
void tz_pinned_time(const struct tz_pin *pin, time_t t, struct tm *tm);

/* The date of instant t in the current zone. */
bdate_t tz_date_of(time_t t);

/* [start, end) of date d in the current zone (23/25-hour days are right;
 * a day starting inside a DST gap starts at the first existing instant). */
void tz_day_bounds(bdate_t d, time_t *start, time_t *end);

/*
 * The instant the clock of the current zone first shows minute (minutes
 * after midnight, 0-1439) on date d.  A wall time that does not exist
 * that day (skipped by a DST change: 02:30 on a spring-forward day in
 * America/New_York) is the first instant after the gap (03:00 EDT); one
 * that exists twice (a fall-back) is its first occurrence.  Never before
 * the start of d.
 */
time_t tz_wall_time(bdate_t d, int minute);

/* "2026-11-24T00:00:00+09:00" for t in the current zone. */
void tz_format_iso(time_t t, char *out, size_t size);

/*
 * The date a field value stands for: "YYYY-MM-DD", or an ISO 8601
 * timestamp "YYYY-MM-DD[T ]HH:MM[:SS[.frac]]" with optional "Z", "+HH:MM",
 * "+HHMM" or "+HH".  With an offset the instant is converted to the current
 * zone; without one the value is already in the job's zone.  0 or -1.
 */
int tz_value_date(const char *s, size_t len, bdate_t *out);

#endif
