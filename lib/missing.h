/*
 * missing: batches that should exist and do not (SPEC.md sections 4 and 7).
 *
 * - A receive job with [inbox] expect = HH:MM expects the file of batch
 *   date D by HH:MM (its zone) on D's due day (jobdate.h; date =
 *   yesterday: the day after D).  From that deadline D is missing until a
 *   file of D is ingested (or recognised as a duplicate).  The dates
 *   judged run from the first one a receive run saw (the ledger keeps it)
 *   to the newest whose deadline has passed; a job that never ran is
 *   judged on that newest date alone.
 * - A send job's date between its first recorded batch and its current
 *   date, older than catch_up, with no batch at all was never sent: catch-
 *   up passes it over, so it is missing until `xfer send --date` sends it.
 * - Only batch dates can be missing (with a business-day date rule, no
 *   weekend day or holiday is).
 *
 * Everything is computed from the job and the ledger, so `status` shows a
 * missing date even when no run has happened since its deadline (a dead
 * cron).  Runs log each missing date once and remember that in the ledger.
 */
#ifndef XFER_MISSING_H
#define XFER_MISSING_H

#include <stddef.h>
#include <time.h>

#include "bdate.h"
#include "job.h"
#include "ledger.h"
#include "log.h"
#include "xerr.h"

/* The deadline of receive batch date d: expect on d's due day
 * (jobdate.h) in the current zone (see tz_wall_time for DST). */
int missing_deadline(const struct job *job, bdate_t d, time_t *out,
    struct xerr *err);

/* The newest batch date whose deadline is at or before now. */
int missing_due_date(const struct job *job, time_t now, bdate_t *out,
    struct xerr *err);

struct missing {
	bdate_t from, to;	/* receive: one date (from == to); send: a
				 * range of consecutive dates */
	time_t deadline;	/* receive: when its file was due */
	int logged;		/* a run has logged every date of it */
};

/*
 * The missing batches of job at now, oldest first: receive dates one by
 * one, send dates as ranges.  l may be NULL (no ledger yet).  Works in the
 * job's time zone (tz_use).  A job without expect (receive) or with
 * nothing recorded (send) has none.
 */
int missing_each(struct ledger *l, const struct job *job, time_t now,
    int (*fn)(void *ctx, const struct missing *m, struct xerr *err),
    void *ctx, struct xerr *err);

/* What status says about one missing date of m (the `last_error`). */
void missing_describe(const struct job *job, const struct missing *m,
    char *out, size_t size);

/*
 * A receive run.  missing_recv_begin(), before the pick-up, records the
 * first date the job's expect judges (or forgets it when the job has no
 * expect any more) and which dates a run has reported missing;
 * missing_recv_end(), after the files are processed, logs at error level
 * each date missing that no run has logged before, logs as late each
 * reported date that now has its file (by how long after its deadline),
 * and sets *nmissing to the dates still missing.
 */
struct missing_dates {
	bdate_t *v;
	size_t n;
};

int missing_recv_begin(struct ledger *l, const struct job *job, time_t now,
    struct missing_dates *before, struct xerr *err);
void missing_recv_end(struct ledger *l, const struct job *job, time_t now,
    const struct missing_dates *before, const struct log *lg,
    int *nmissing);
void missing_dates_free(struct missing_dates *d);

/*
 * A send run that passed its catch-up window over: logs at warning level,
 * once per range of never-sent dates, the range and the command that
 * sends it (a dry run logs without remembering).
 */
void missing_send_report(struct ledger *l, const struct job *job,
    time_t now, int dry_run, const struct log *lg);

#endif
