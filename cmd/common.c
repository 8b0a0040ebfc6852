#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "metrics.h"

void
cmd_error(const char *fmt, ...)
{
	va_list ap;

	fputs("xfer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cmd_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("xfer: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
errors_of(const struct jobset *js, const char *name, int as_error)
{
	char prefix[300];
	size_t i, n = 0;

	/*
	 * Messages start with the file's path (".../jobs/NAME.job:"), or
	 * quote it when the file could not be read at all ("cannot open
	 * '.../jobs/NAME.job': ...").
	 */
	snprintf(prefix, sizeof(prefix), "/%s.job", name);
	for (i = 0; i < js->errors.n; i++) {
		const char *m = js->errors.v[i], *p = strstr(m, prefix);

		if (p == NULL || (p[strlen(prefix)] != ':' &&
		    p[strlen(prefix)] != '\'' && p[strlen(prefix)] != '\0'))
			continue;
		if (as_error)
			cmd_error("%s", m);
		else
			cmd_warn("%s", m);
		n++;
	}
	return (int)n;
}

int
cmd_pick_jobs(struct xfer_ctx *x, struct jobset *js, char **names,
    int nnames, int direction, struct job ***picked, int *status)
{
	struct job **v;
	struct xerr err;
	size_t i;
	int n = 0, k;

	*picked = NULL;
	if (jobset_load(x->home, js, &err) == -1) {
		cmd_error("%s", err.msg);
		*status = err.cls == XERR_NOMEM ? EXIT_FAILED : EXIT_CONFIG;
		return -1;
	}
	if ((v = calloc(js->n + 1, sizeof(*v))) == NULL) {
		cmd_error("out of memory");
		jobset_free(js);
		*status = EXIT_FAILED;
		return -1;
	}
	if (nnames == 0) {
		/* Without names every job is in scope, invalid ones too:
		 * their direction cannot be trusted. */
		for (i = 0; i < js->invalid.n; i++)
			errors_of(js, js->invalid.v[i], 1);
		if (js->invalid.n > 0)
			*status = EXIT_CONFIG;
		for (i = 0; i < js->n; i++) {
			if (direction >= 0 &&
			    (int)js->jobs[i]->direction != direction)
				continue;
			if (!js->jobs[i]->enabled) {
				log_event(&x->log, LOG_DEBUG, js->jobs[i]->name,
				    NULL, "disabled", NULL, "enabled = no");
				continue;
			}
			v[n++] = js->jobs[i];
		}
		*picked = v;
		return n;
	}
	for (k = 0; k < nnames; k++) {
		struct job *job = jobset_find(js, names[k]);

		if (job == NULL && strlist_contains(&js->invalid, names[k])) {
			errors_of(js, names[k], 1);
			*status = EXIT_CONFIG;
			continue;
		}
		if (job == NULL) {
			cmd_error("no job '%s': there is no %s/jobs/%s.job",
			    names[k], x->home, names[k]);
			*status = EXIT_USAGE;
			continue;
		}
		if (direction >= 0 && (int)job->direction != direction) {
			cmd_error("job '%s' is a %s job", names[k],
			    job_direction_name(job->direction));
			*status = EXIT_USAGE;
			continue;
		}
		if (!job->enabled) {
			cmd_warn("job '%s' has enabled = no: skipped",
			    job->name);
			continue;
		}
		v[n++] = job;
	}
	/* Invalid jobs the command does not touch are only warned about. */
	for (i = 0; i < js->invalid.n; i++) {
		for (k = 0; k < nnames; k++)
			if (strcmp(names[k], js->invalid.v[i]) == 0)
				break;
		if (k == nnames)
			errors_of(js, js->invalid.v[i], 0);
	}
	*picked = v;
	return n;
}

int
cmd_finish_stdout(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		cmd_error("cannot write to standard output: %s",
		    strerror(errno));
		return status == EXIT_OK ? EXIT_FAILED : status;
	}
	return status;
}

int
cmd_write_metrics(struct xfer_ctx *x, struct ledger *l,
    const char *spool_root)
{
	struct xerr err;

	/* The wall clock, not a pinned --now: the ledger's times are real. */
	if (metrics_write(l, spool_root, time(NULL), &err) == -1) {
		log_event(&x->log, LOG_WARN, NULL, NULL, "metrics", NULL,
		    "%s", err.msg);
		return -1;
	}
	log_event(&x->log, LOG_DEBUG, NULL, NULL, "metrics", NULL,
	    "wrote %s/metrics.prom", spool_root);
	return 0;
}
