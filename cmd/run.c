/*
 * xfer run: the cron entry point.  Runs every job whose schedule came due
 * since its last run; silent on success.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "cron.h"
#include "jobdate.h"
#include "ledger.h"
#include "recvjob.h"
#include "schedule.h"
#include "sendjob.h"
#include "spool.h"
#include "tz.h"

static void
run_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer run [--now 'YYYY-MM-DD HH:MM[+HH:MM]']\n"
	    "  runs every job whose schedule came due since its last run "
	    "(missed slots\n  once); meant for one crontab line: "
	    "* * * * * xfer -q run  (see xfer cron)\n");
}

/* "YYYY-MM-DD HH:MM" in the system's zone, or with "+HH:MM"/"-HH:MM"/"Z". */
static int
parse_now(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	int sign, oh, om, n = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (p == NULL)
		return -1;
	if (*p == '\0') {
		tm.tm_isdst = -1;
		*out = mktime(&tm);
		return 0;
	}
	if (strcmp(p, "Z") == 0) {
		*out = timegm(&tm);
		return 0;
	}
	if ((*p != '+' && *p != '-') ||
	    sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || p[1 + n] != '\0' ||
	    oh > 23 || om > 59)
		return -1;
	sign = *p == '-' ? -1 : 1;
	*out = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

/*
 * run_on = business-days: the latest slot in (after, now] on a day the job
 * runs (its zone).  A slot of a weekend day or holiday is passed over, not
 * recorded, so the day's own slot still comes.  0 with *slot (0: none
 * left), -1 with err.
 */
static int
run_day_slot(struct xfer_ctx *x, const struct job *job, const struct cron *c,
    time_t after, time_t *slot, struct xerr *err)
{
	char ds[BDATE_STRLEN];
	time_t t0, t1;
	bdate_t day;
	int i, k;

	for (i = 0; i < 400 && *slot != 0; i++) {
		day = tz_date_of(*slot);
		if ((k = jobdate_runs_on(job, day, err)) != 0)
			return k == 1 ? 0 : -1;
		bdate_format(day, ds);
		log_event(&x->log, LOG_DEBUG, job->name, NULL, "not-run-day",
		    NULL, "%s is not a business day of the job's calendar "
		    "(run_on = business-days): its slot is skipped", ds);
		tz_day_bounds(day, &t0, &t1);
		*slot = schedule_last_slot(c, after, t0 - 1);
	}
	*slot = 0;
	return 0;
}

int
cmd_run(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct send_opts so;
	struct recv_opts ro;
	struct ledger *l = NULL;
	struct spool sp = { NULL };
	struct jobset js;
	struct job **jobs = NULL;
	struct xerr err;
	struct cron c;
	char why[256], ds[64];
	long long last;
	time_t after, slot, t0, t1;
	int ch, n, i, k, found, lockfd, status = EXIT_OK, failed = 0;
	int locked = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (parse_now(optarg, &x->now) == -1) {
				cmd_error("run: --now '%s' is not 'YYYY-MM-DD "
				    "HH:MM' (with an optional +HH:MM)",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': run_usage(stdout); return EXIT_OK;
		default: run_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd_error("run: takes no job names; it runs what is due");
		return EXIT_USAGE;
	}
	/* Silent on success: only warnings and failures, unless -v. */
	if (x->log.level == LOG_INFO)
		x->log.level = LOG_WARN;
	n = cmd_pick_jobs(x, &js, NULL, 0, -1, &jobs, &status);
	if (n == -1)
		return status;
	if (n == 0)
		goto out;
	if (cmd_open_spool(x, &sp, &l) == -1) {
		status = EXIT_FAILED;
		goto out;
	}
	memset(&so, 0, sizeof(so));
	memset(&ro, 0, sizeof(ro));
	so.now = ro.now = x->now;
	so.lock_held = ro.lock_held = 1;
	for (i = 0; i < n; i++) {
		const struct job *job = jobs[i];

		if (cmd_pinned_elsewhere(x, job, 0))
			continue;
		if (job->schedule == NULL ||
		    cron_parse(job->schedule, &c, why, sizeof(why)) == -1)
			continue;
		if (tz_use(job->timezone, &err) == -1 ||
		    ledger_run_get(l, job->name, &last, &found, &err) == -1) {
			log_event(&x->log, LOG_ERROR, job->name, NULL, "run",
			    NULL, "%s", err.msg);
			failed = 1;
			continue;
		}
		/* Never ran: its slots count from the start of today. */
		if (!found) {
			tz_day_bounds(tz_date_of(x->now), &t0, &t1);
			last = (long long)t0 - 1;
		}
		after = (time_t)last;
		if ((slot = schedule_last_slot(&c, after, x->now)) == 0)
			continue;
		if (run_day_slot(x, job, &c, after, &slot, &err) == -1) {
			log_event(&x->log, LOG_ERROR, job->name, NULL, "run",
			    NULL, "%s", err.msg);
			failed = 1;
			continue;
		}
		if (slot == 0)
			continue;
		if ((k = spool_lock(&sp, job->name, &lockfd, &err)) != 0) {
			if (k == 1)
				log_event(&x->log, LOG_WARN, job->name, NULL,
				    "locked", NULL, "another xfer is working "
				    "on this job: skipped this minute");
			else {
				log_event(&x->log, LOG_ERROR, job->name, NULL,
				    "run", NULL, "%s", err.msg);
				failed = 1;
			}
			continue;
		}
		/* Again under the lock: a run that just finished counts. */
		if (ledger_run_get(l, job->name, &last, &found, &err) == 0 &&
		    found && last >= (long long)slot) {
			spool_unlock(lockfd);
			continue;
		}
		tz_format_iso(slot, ds, sizeof(ds));
		log_event(&x->log, LOG_DEBUG, job->name, NULL, "due", NULL,
		    "slot %s", ds);
		cmd_run_one(x, job, &sp, l, &so, &ro, &failed, &locked);
		if (ledger_run_put(l, job->name, (long long)slot,
		    (long long)x->now, &err) == -1) {
			log_event(&x->log, LOG_ERROR, job->name, NULL, "run",
			    NULL, "%s", err.msg);
			failed = 1;
		}
		spool_unlock(lockfd);
	}
	cmd_write_metrics(x, l, sp.root);
out:
	if (status == EXIT_OK && failed)
		status = EXIT_FAILED;
	ledger_close(l);
	spool_close(&sp);
	free(jobs);
	jobset_free(&js);
	return status;
}
