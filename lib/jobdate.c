/*
 * jobdate: the date rules of a job (see jobdate.h).  Only here does a
 * job's date_offset or date_business turn into dates.
 */
#include "jobdate.h"

#include "calendar.h"
#include "tz.h"

int
jobdate_current(const struct job *job, time_t now, bdate_t *out,
    struct xerr *err)
{
	bdate_t today = tz_date_of(now);

	if (job->date_business == 0 || job->calendar == NULL) {
		*out = today - job->date_offset;
		return 0;
	}
	return calendar_business_day_before(job->calendar, today,
	    job->date_business, out, err);
}

int
jobdate_is_batch(const struct job *job, bdate_t d, struct xerr *err)
{
	if (job->date_business == 0 || job->calendar == NULL)
		return 1;
	return calendar_is_business_day(job->calendar, d, err);
}

int
jobdate_runs_on(const struct job *job, bdate_t day, struct xerr *err)
{
	if (!job->run_business_days || job->calendar == NULL)
		return 1;
	return calendar_is_business_day(job->calendar, day, err);
}

int
jobdate_due_day(const struct job *job, bdate_t d, bdate_t *out,
    struct xerr *err)
{
	bdate_t day = d;
	int i, k;

	if (job->date_business == 0 || job->calendar == NULL)
		day = d + job->date_offset;
	else {
		/* The N-th business day before T is d from the day after
		 * the (N-1)-th business day after d on. */
		for (i = 1; i < job->date_business; i++)
			if (calendar_next_business_day(job->calendar, day,
			    &day, err) == -1)
				return -1;
		day++;
	}
	/* A business-day contract is due on a business day: Wednesday's
	 * batch before Chuseok (Thu-Sat) is due on Monday, not Thursday. */
	if ((job->run_business_days || job->date_business > 0) &&
	    job->calendar != NULL) {
		if ((k = calendar_is_business_day(job->calendar, day, err)) ==
		    -1)
			return -1;
		if (k == 0 && calendar_next_business_day(job->calendar, day,
		    &day, err) == -1)
			return -1;
	}
	*out = day;
	return 0;
}

int
jobdate_past_cutoff(const struct job *job, bdate_t d, time_t now,
    int *passed, bdate_t *due_day, struct xerr *err)
{
	*passed = 0;
	if (job->direction != DIR_SEND || job->cutoff_min < 0)
		return 0;
	if (jobdate_due_day(job, d, due_day, err) == -1)
		return -1;
	*passed = now >= tz_wall_time(*due_day, job->cutoff_min);
	return 0;
}
