/* xfer receive: pick up, verify and ingest the files of receive jobs. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "recvjob.h"

static void
receive_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer receive [--dry-run] [JOB...]\n"
	    "  picks up the files of each receive job from its inbox, "
	    "verifies and\n  ingests them exactly once, and moves them to "
	    "the backup or the failed area.\n");
}

int
cmd_receive(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct recv_opts ro;
	int c;

	memset(&ro, 0, sizeof(ro));
	ro.now = x->now;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'n': ro.dry_run = 1; break;
		case 'h': receive_usage(stdout); return EXIT_OK;
		default: receive_usage(stderr); return EXIT_USAGE;
		}
	}
	return cmd_run_jobs(x, argc - optind, argv + optind, DIR_RECEIVE,
	    NULL, &ro);
}
