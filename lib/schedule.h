/*
 * schedule: when a job is due, from its cron expression in its time zone.
 *
 * Slots are wall-clock minutes in the zone set with tz_use().  A slot the
 * clock skips (spring forward) falls on the first minute after the jump,
 * so a 02:30 job still runs once that day; a wall-clock minute the clock
 * repeats (fall back) counts once, so it does not run twice.
 */
#ifndef XFER_SCHEDULE_H
#define XFER_SCHEDULE_H

#include <time.h>

#include "cron.h"

/* Look back at most this far: a machine off for longer catches up once. */
#define SCHEDULE_MAX_LOOKBACK (400L * 86400L)

/*
 * The latest slot in (after, now], as the instant it falls on; 0 when
 * there is none.  Missed slots are not counted: a caller that runs once
 * for the latest slot catches up once, not once per slot.
 */
time_t schedule_last_slot(const struct cron *c, time_t after, time_t now);

#endif
