/*
 * calendar: business days from a list of holidays and the weekly days off.
 *
 * A calendar is read from a file of one of two kinds (the name decides):
 *
 * - a holidays file: one "YYYY-MM-DD [name]" a line, '#' comments, blank
 *   lines; a line "YYYY" alone says that year is covered and has no
 *   holidays (besides the weekend);
 * - an iCalendar file (*.ics): VEVENTs whose DTSTART;VALUE=DATE:YYYYMMDD is
 *   the first holiday, an optional DTEND;VALUE=DATE (exclusive) for a
 *   holiday of several days, and an optional RRULE:FREQ=YEARLY (nothing
 *   else in it) for a holiday on the same day every year from DTSTART on.
 *   Folded lines are unfolded; properties that do not bear on the dates
 *   (SUMMARY, UID, DTSTAMP, ...) are ignored; a cancelled event
 *   (STATUS:CANCELLED) is no holiday; anything else that would change the
 *   dates (a date-time, RDATE, EXDATE, another RRULE, DURATION, a VTODO)
 *   is refused naming the line.
 *
 * A calendar knows only the years it covers: the years with at least one
 * dated holiday (or a bare year line).  A yearly rule covers no year by
 * itself, so a calendar made only of rules covers nothing: whoever keeps
 * the file adds a year's moving holidays (or says "YYYY") when the year
 * is checked.  Asking about a date of a year not covered is an error
 * naming the calendar and the year, never a silent business day.
 */
#ifndef XFER_CALENDAR_H
#define XFER_CALENDAR_H

#include <stddef.h>

#include "bdate.h"
#include "xerr.h"

struct calendar;

/* Weekend bits: 1 << tm_wday (0 Sunday .. 6 Saturday). */
#define CAL_WEEKEND_DEFAULT	((1u << 0) | (1u << 6))

/*
 * Read the calendar at path.  label names it in messages (the path as the
 * job file gives it, say).  A bad line is an XERR_CONFIG "LABEL:LINE:
 * why"; an unreadable file XERR_CONFIG naming it.  *out is freed with
 * calendar_free().
 */
int calendar_load(const char *path, const char *label, struct calendar **out,
    struct xerr *err);
void calendar_free(struct calendar *cal);

/* The weekly days off (CAL_WEEKEND_DEFAULT unless set). */
void calendar_set_weekend(struct calendar *cal, unsigned weekend);

/* "sat, sun" style list -> weekend bits; -1 with why on a bad name.  An
 * empty list (none) is 0. */
int calendar_parse_weekend(const char *list, unsigned *out, char *why,
    size_t whysize);

/* 1 if the calendar has a holiday or a bare year line in year. */
int calendar_covers(const struct calendar *cal, int year);

/*
 * 1 if d is a business day (not a weekend day, not a holiday), 0 if not,
 * -1 with err (XERR_CONFIG) when d's year is not covered.
 */
int calendar_is_business_day(const struct calendar *cal, bdate_t d,
    struct xerr *err);

/* The holiday's name ("" without one) when d is a holiday; NULL if not. */
const char *calendar_holiday(const struct calendar *cal, bdate_t d);

/* The n-th business day before d (n >= 1; 1: the previous one). */
int calendar_business_day_before(const struct calendar *cal, bdate_t d,
    int n, bdate_t *out, struct xerr *err);

/* The first business day after d. */
int calendar_next_business_day(const struct calendar *cal, bdate_t d,
    bdate_t *out, struct xerr *err);

#endif
