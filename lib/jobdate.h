/*
 * jobdate: a job's batch dates, in one place.
 *
 * Which date a job works on at an instant (its current batch date), which
 * dates are batch dates at all, and the day a batch date is due, follow
 * from [job] date, calendar and run_on (SPEC.md section 4):
 *
 * - date = today | yesterday | today-N: every calendar day is a batch
 *   date; the current one is today - N.
 * - date = previous-business-day | business-day-N: only the calendar's
 *   business days are batch dates; the current one is the N-th business
 *   day before today (on a Saturday, previous-business-day is Friday).
 * - The due day of batch date D is the first day on which the date rule
 *   names D, or, with a business-day date rule or run_on =
 *   business-days, the first business day on or after it (for
 *   previous-business-day: the next business day after D).  A receive
 *   job's expect and a send job's cutoff are times of that day.
 *
 * Everything is in the zone set with tz_use() (the job's).  A date of a
 * year the calendar does not cover is an error (XERR_CONFIG), never
 * silently a business day.
 */
#ifndef XFER_JOBDATE_H
#define XFER_JOBDATE_H

#include <time.h>

#include "bdate.h"
#include "job.h"
#include "xerr.h"

/* The job's current batch date at now. */
int jobdate_current(const struct job *job, time_t now, bdate_t *out,
    struct xerr *err);

/* 1 if d is a batch date of the job, 0 if not, -1 with err. */
int jobdate_is_batch(const struct job *job, bdate_t d, struct xerr *err);

/* The due day of batch date d. */
int jobdate_due_day(const struct job *job, bdate_t d, bdate_t *out,
    struct xerr *err);

/* 1 if `xfer run` runs the job on day (run_on), 0 if not, -1 with err. */
int jobdate_runs_on(const struct job *job, bdate_t day, struct xerr *err);

/*
 * A send job's cut-off for batch date d: *passed 1 when now is at or after
 * cutoff on d's due day (*due_day set); 0 when not or the job has none.
 */
int jobdate_past_cutoff(const struct job *job, bdate_t d, time_t now,
    int *passed, bdate_t *due_day, struct xerr *err);

#endif
