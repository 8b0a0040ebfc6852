/*
 * xfer check: validate every job file (and xfer.conf, read at start); with
 * --connect also log in to every destination and report what works.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dest.h"

static void
check_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer check [--connect] [JOB...]\n"
	    "  --connect logs in to every destination and reports what "
	    "works (host key,\n  credentials, write permission, rename or "
	    "MOVE) without uploading data.\n");
}

static void
report(void *ctx, int ok, const char *what)
{
	printf("  %s %s\n", ok ? "ok  " : "FAIL", what);
	(void)ctx;
}

static int
connect_job(struct xfer_ctx *x, const struct job *job)
{
	struct dest *d = NULL;
	struct xerr err;
	int rc;

	printf("%s: %s\n", job->name, job->upload.url);
	xerr_clear(&err);
	if (dest_open(job, &d, &x->log, &err) == -1) {
		report(NULL, 0, err.msg);
		return -1;
	}
	rc = dest_check(d, report, NULL, &err);
	dest_close(d);
	return rc;
}

int
cmd_check(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct jobset js;
	struct job **jobs = NULL;
	int c, n, i, status = EXIT_OK, connect = 0, unreachable = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'c': connect = 1; break;
		case 'h': check_usage(stdout); return EXIT_OK;
		default: check_usage(stderr); return EXIT_USAGE;
		}
	}
	n = cmd_pick_jobs(x, &js, argv + optind, argc - optind, -1, &jobs,
	    &status);
	for (i = 0; i < n; i++) {
		if (!connect) {
			printf("%s: ok (%s, %s)\n", jobs[i]->name,
			    job_direction_name(jobs[i]->direction),
			    jobs[i]->file);
			continue;
		}
		if (jobs[i]->direction == DIR_SEND &&
		    connect_job(x, jobs[i]) == -1)
			unreachable = 1;
	}
	if (status == EXIT_OK && unreachable)
		status = EXIT_FAILED;
	free(jobs);
	jobset_free(&js);
	return status;
}
