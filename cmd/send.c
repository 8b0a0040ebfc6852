/* xfer send: produce and upload the batches of send jobs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdate.h"
#include "cmd.h"
#include "ledger.h"
#include "sendjob.h"
#include "spool.h"

static void
send_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer send [--date D | --from D --to D] "
	    "[--dry-run] [JOB...]\n"
	    "  without a date: the current batch of each job and catch-up "
	    "of missing or\n  failed earlier dates; with dates: rebuild "
	    "those batches from the source\n  and send them, whatever their "
	    "state.\n");
}

/* More than this many dates at once is almost certainly a typo. */
#define MAX_RANGE 3660

int
cmd_send(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *date = NULL, *from = NULL, *to = NULL;
	struct send_opts so;
	int c;

	memset(&so, 0, sizeof(so));
	so.now = x->now;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd': date = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'n': so.dry_run = 1; break;
		case 'h': send_usage(stdout); return EXIT_OK;
		default: send_usage(stderr); return EXIT_USAGE;
		}
	}
	if (date && (from || to)) {
		cmd_error("send: --date cannot be combined with --from/--to");
		return EXIT_USAGE;
	}
	if ((from == NULL) != (to == NULL)) {
		cmd_error("send: --from and --to go together");
		return EXIT_USAGE;
	}
	if (date)
		from = to = date;
	if (from) {
		if (bdate_parse(from, &so.from) == -1 ||
		    bdate_parse(to, &so.to) == -1) {
			cmd_error("send: '%s' is not a date (YYYY-MM-DD)",
			    bdate_parse(from, &so.from) == -1 ? from : to);
			return EXIT_USAGE;
		}
		if (so.from > so.to) {
			cmd_error("send: --from %s is after --to %s", from, to);
			return EXIT_USAGE;
		}
		if (so.to - so.from >= MAX_RANGE) {
			cmd_error("send: %s..%s is more than %d days", from, to,
			    MAX_RANGE);
			return EXIT_USAGE;
		}
		so.explicit_dates = 1;
	}

	return cmd_run_send_jobs(x, argc - optind, argv + optind, &so);
}

int
cmd_run_send_jobs(struct xfer_ctx *x, int nnames, char **names,
    const struct send_opts *so)
{
	struct send_outcome out;
	struct ledger *l = NULL;
	struct spool sp = { NULL };
	struct jobset js;
	struct job **jobs = NULL;
	struct xerr err;
	char *lpath = NULL, ds[BDATE_STRLEN];
	int n, i, status = EXIT_OK, failed = 0, locked = 0;

	n = cmd_pick_jobs(x, &js, names, nnames, DIR_SEND,
	    &jobs, &status);
	if (n == -1)
		return status;
	if (n == 0)
		goto out;
	if (spool_open(x->home, &sp, &x->log, &err) == -1) {
		cmd_error("%s", err.msg);
		status = EXIT_FAILED;
		goto out;
	}
	if (asprintf(&lpath, "%s/ledger.db", sp.root) == -1) {
		lpath = NULL;
		cmd_error("out of memory");
		status = EXIT_FAILED;
		goto out;
	}
	if (ledger_open(lpath, &l, &err) == -1) {
		cmd_error("%s", err.msg);
		status = EXIT_FAILED;
		goto out;
	}
	for (i = 0; i < n; i++) {
		xerr_clear(&err);
		if (send_job_run(jobs[i], &sp, l, so, &out, &x->log, &err) ==
		    -1) {
			log_event(&x->log, LOG_ERROR, jobs[i]->name, NULL,
			    "job-failed", NULL, "%s", err.msg);
			failed = 1;
			continue;
		}
		if (out.locked) {
			log_event(&x->log, LOG_WARN, jobs[i]->name, NULL,
			    "locked", NULL, "another xfer is working on this "
			    "job: skipped");
			locked = 1;
		}
		if (out.failed || out.held)
			failed = 1;
		if (so->rerun) {
			bdate_format(so->from, ds);
			printf("rerun %s %s: %d sent, %d failed, %d held, %d "
			    "not redone\n", jobs[i]->name, ds, out.sent,
			    out.failed, out.held, out.skipped);
		}
	}
out:
	if (status == EXIT_OK && failed)
		status = EXIT_FAILED;
	if (status == EXIT_OK && locked)
		status = EXIT_LOCKED;
	ledger_close(l);
	free(lpath);
	spool_close(&sp);
	free(jobs);
	jobset_free(&js);
	return status;
}
