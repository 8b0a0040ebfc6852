#include "schedule.h"

#include <string.h>

static int
matches(const struct cron *c, const struct tm *tm)
{
	return cron_matches(c, tm->tm_min, tm->tm_hour, tm->tm_mday,
	    tm->tm_mon + 1, tm->tm_wday);
}

/* A local broken-down time as a count of wall-clock seconds. */
static time_t
wall_of(const struct tm *tm)
{
	struct tm t = *tm;

	return timegm(&t);
}

time_t
schedule_last_slot(const struct cron *c, time_t after, time_t now)
{
	struct tm tm, wt;
	time_t t, wall, prev_wall, max_wall, w, slot = 0;

	if (now - after > SCHEDULE_MAX_LOOKBACK)
		after = now - SCHEDULE_MAX_LOOKBACK;
	/* First whole minute after `after`. */
	t = after - (after % 60 + 60) % 60 + 60;
	{
		time_t before = t - 60;
		struct tm pt;

		localtime_r(&before, &pt);
		prev_wall = wall_of(&pt);
		max_wall = prev_wall;
	}
	for (; t <= now; t += 60) {
		localtime_r(&t, &tm);
		wall = wall_of(&tm);
		if (wall > prev_wall + 60) {
			/* The clock jumped forward: the skipped minutes'
			 * slots happen now. */
			for (w = prev_wall + 60; w < wall; w += 60) {
				gmtime_r(&w, &wt);
				if (matches(c, &wt)) {
					slot = t;
					break;
				}
			}
		}
		if (wall > max_wall) {
			if (matches(c, &tm))
				slot = t;
			max_wall = wall;
		}
		/* else: a repeated wall-clock minute, already counted */
		prev_wall = wall;
	}
	return slot;
}
