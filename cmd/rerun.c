/* xfer rerun: redo the failed and held batches of one date (a receive
 * job picks up that date's files from its inbox first). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdate.h"
#include "cmd.h"
#include "ledger.h"
#include "recvjob.h"
#include "sendjob.h"
#include "spool.h"

static void
rerun_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer rerun --date D [--force] [--regenerate] "
	    "[JOB...]\n"
	    "  redo the failed and held batches of date D: a produced file "
	    "is sent again\n  (--regenerate rebuilds it from the source "
	    "first); --force also redoes\n  batches that were sent.  A "
	    "receive job first picks up D's files from its\n  inbox, then "
	    "redoes D's failed files, and says why it left each other file\n"
	    "  alone (already ingested, duplicate, superseded).\n");
}

int
cmd_rerun(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "regenerate", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *date = NULL;
	struct send_opts so;
	struct recv_opts ro;

	memset(&so, 0, sizeof(so));
	memset(&ro, 0, sizeof(ro));
	optind = 0;
	for (int c; (c = getopt_long(argc, argv, "+", opts, NULL)) != -1;) {
		switch (c) {
		case 'd': date = optarg; break;
		case 'f': so.force = 1; break;
		case 'r': so.regenerate = 1; break;
		case 'h': rerun_usage(stdout); return EXIT_OK;
		default: rerun_usage(stderr); return EXIT_USAGE;
		}
	}
	if (date == NULL) {
		cmd_error("rerun: --date is required");
		rerun_usage(stderr);
		return EXIT_USAGE;
	}
	if (bdate_parse(date, &so.from) == -1) {
		cmd_error("rerun: '%s' is not a date (YYYY-MM-DD)", date);
		return EXIT_USAGE;
	}
	so.to = so.from;
	so.rerun = 1;
	so.now = x->now;
	ro.now = x->now;
	ro.rerun = 1;
	ro.force = so.force;
	ro.date = so.from;
	return cmd_run_jobs(x, argc - optind, argv + optind, -1, &so, &ro);
}
