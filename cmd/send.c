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
	    "[--force] [--dry-run] [JOB...]\n"
	    "  without a date: the current batch of each job and catch-up "
	    "of missing or\n  failed earlier dates; with dates: rebuild "
	    "those batches from the source\n  and send them, whatever their "
	    "state.  A rebuilt batch with no records\n  never replaces a "
	    "sent one that had records unless --force is given.\n");
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
		{ "force", no_argument, NULL, 'F' },
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
		case 'F': so.replace_with_empty = 1; break;
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

	return cmd_run_jobs(x, argc - optind, argv + optind, DIR_SEND, &so,
	    NULL);
}

