/* xfer check: validate every job file (and xfer.conf, read at start). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int
cmd_check(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct jobset js;
	struct job **jobs = NULL;
	int c, n, i, status = EXIT_OK;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: xfer check [JOB...]\n");
			return EXIT_OK;
		default:
			fprintf(stderr, "usage: xfer check [JOB...]\n");
			return EXIT_USAGE;
		}
	}
	n = cmd_pick_jobs(x, &js, argv + optind, argc - optind, -1, &jobs,
	    &status);
	for (i = 0; i < n; i++)
		printf("%s: ok (%s, %s)\n", jobs[i]->name,
		    job_direction_name(jobs[i]->direction), jobs[i]->file);
	free(jobs);
	jobset_free(&js);
	return status;
}
