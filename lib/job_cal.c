/*
 * job_cal: the business-day keys of [job] (part of the module of job.h):
 * calendar = FILE, weekend = DAYS, run_on = every-day | business-days,
 * cutoff = HH:MM (send jobs) and date = previous-business-day |
 * business-day-N.  The calendar is read here, at load, so a bad line in
 * it fails `xfer check` naming the calendar's file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "job_internal.h"
#include "parse.h"

/* "HH:MM" -> minutes after midnight; -1 if it is not one. */
static int
time_of_day(const char *v)
{
	int h, m;

	if (strlen(v) != 5 || v[2] != ':' || v[0] < '0' || v[0] > '2' ||
	    v[1] < '0' || v[1] > '9' || v[3] < '0' || v[3] > '5' ||
	    v[4] < '0' || v[4] > '9')
		return -1;
	h = (v[0] - '0') * 10 + (v[1] - '0');
	m = (v[3] - '0') * 10 + (v[4] - '0');
	return h > 23 ? -1 : h * 60 + m;
}

/* date = previous-business-day | business-day-N: consumed here (the
 * other forms are left to jf_check_job()).  1 when v is one of ours. */
static int
business_date(struct loader *ld, const char *v)
{
	char why[WHY_MAX];
	long n;

	if (strcmp(v, "previous-business-day") == 0)
		n = 1;
	else if (strncmp(v, "business-day-", 13) == 0) {
		if (parse_long(v + 13, 1, 366, &n, why, sizeof(why)) == -1) {
			jf_bad(ld, K_DATE, "business-day-N: N must be from 1 "
			    "to 366 (business-day-1 is previous-business-day)");
			return 1;
		}
	} else
		return 0;
	ld->job->date_business = (int)n;
	ld->ent[K_DATE].done = 1;	/* not jf_check_job()'s */
	return 1;
}

void
jf_check_calendar(struct loader *ld)
{
	struct job *job = ld->job;
	char why[WHY_MAX], *path;
	struct xerr err;
	unsigned weekend = CAL_WEEKEND_DEFAULT;
	const char *v;
	int k, has_cal = 0;

	if ((v = jf_val(ld, K_CALENDAR)) != NULL) {
		if ((path = jf_home_path(ld, v)) == NULL)
			return;
		if (calendar_load(path, path, &job->calendar, &err) == -1) {
			if (err.cls == XERR_NOMEM)
				ld->nomem = 1;
			else
				jf_bad(ld, K_CALENDAR, "%s", err.msg);
		}
		free(path);
		has_cal = job->calendar != NULL;
	}
	/* A key that needs a calendar the file lacks: a bad calendar was
	 * reported already. */
#define NEEDS_CAL(k, what) do {						\
	if (!jf_is_set(ld, K_CALENDAR))					\
		jf_bad(ld, (k), "%s needs a calendar (set [job] calendar = "	\
		    "FILE)", (what));						\
} while (0)
	if ((v = jf_val(ld, K_WEEKEND)) != NULL) {
		if (calendar_parse_weekend(v, &weekend, why, sizeof(why)) == -1)
			jf_bad(ld, K_WEEKEND, "%s", why);
		else
			NEEDS_CAL(K_WEEKEND, "weekend");
	}
	if (has_cal)
		calendar_set_weekend(job->calendar, weekend);
	if ((v = jf_val(ld, K_DATE)) != NULL && business_date(ld, v) &&
	    job->date_business > 0)
		NEEDS_CAL(K_DATE, "a business-day date");
	if ((v = jf_val(ld, K_RUN_ON)) != NULL) {
		if (strcmp(v, "every-day") == 0)
			job->run_business_days = 0;
		else if (strcmp(v, "business-days") == 0) {
			job->run_business_days = 1;
			NEEDS_CAL(K_RUN_ON, "run_on = business-days");
		} else
			jf_bad(ld, K_RUN_ON, "expected every-day or "
			    "business-days");
	}
	if ((v = jf_val(ld, K_CUTOFF)) != NULL) {
		if (job->direction != DIR_SEND)
			jf_bad(ld, K_CUTOFF, "only send jobs have a cut-off "
			    "(a receive job has [inbox] expect)");
		else if ((k = time_of_day(v)) == -1)
			jf_bad(ld, K_CUTOFF, "'%s' is not a time of day: "
			    "expected HH:MM from 00:00 to 23:59 (e.g. 17:00)",
			    v);
		else
			job->cutoff_min = k;
	}
#undef NEEDS_CAL
}
