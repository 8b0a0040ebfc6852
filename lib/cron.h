/*
 * cron: 5-field cron expressions (minute hour day-of-month month
 * day-of-week) with ranges, steps, lists, names (jan..dec, sun..sat),
 * 7 as Sunday, and the usual rule: when both day fields are restricted a
 * day matches if either matches.
 *
 * A day field counts as unrestricted ("star") when its text begins with
 * '*', as in Vixie cron: "*" and a step over "*" (a star, a slash and a
 * number) are both star.  So a day of month of star-slash-2 with a day of
 * week means "odd days AND that weekday", while the same days written
 * "1-31/2" mean "odd days OR that weekday".
 *
 * The aliases @hourly, @daily (@midnight), @weekly, @monthly and @yearly
 * (@annually) stand for their 5-field forms; @reboot is refused (xfer runs
 * from cron and cannot see a boot).
 */
#ifndef XFER_CRON_H
#define XFER_CRON_H

#include <stddef.h>
#include <stdint.h>

struct cron {
	uint64_t minute;	/* bit n: minute n */
	uint32_t hour;
	uint32_t mday;		/* bits 1..31 */
	uint16_t month;		/* bits 1..12 */
	uint8_t wday;		/* bits 0..6, Sunday 0 */
	int mday_star, wday_star;
};

/* 0, or -1 with the reason in why. */
int cron_parse(const char *expr, struct cron *c, char *why, size_t whysize);

/* 1 if the local wall-clock time (fields as in struct tm) matches. */
int cron_matches(const struct cron *c, int min, int hour, int mday, int mon1,
    int wday);

#endif
