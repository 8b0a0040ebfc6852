/* Running a set of jobs: shared by send, receive and rerun. */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "bdate.h"
#include "cmd.h"
#include "ledger.h"
#include "recvjob.h"
#include "sendjob.h"
#include "spool.h"

static int
run_send(struct xfer_ctx *x, const struct job *job, const struct spool *sp,
    struct ledger *l, const struct send_opts *so, int *failed, int *locked)
{
	struct send_outcome out;
	char ds[BDATE_STRLEN];
	struct xerr err;

	xerr_clear(&err);
	if (send_job_run(job, sp, l, so, &out, &x->log, &err) == -1) {
		log_event(&x->log, LOG_ERROR, job->name, NULL, "job-failed",
		    NULL, "%s", err.msg);
		*failed = 1;
		return 0;
	}
	if (out.locked) {
		*locked = 1;
		log_event(&x->log, LOG_WARN, job->name, NULL, "locked", NULL,
		    "another xfer is working on this job: skipped");
	}
	/* A claim lost to another node: this host stalled past its
	 * lease, which is worth a cron mail. */
	if (out.failed || out.held || out.lost)
		*failed = 1;
	if (so->rerun && !out.locked) {
		bdate_format(so->from, ds);
		printf("rerun %s %s: %d sent, %d failed, %d held, %d not "
		    "redone", job->name, ds, out.sent, out.failed,
		    out.held, out.skipped);
		if (out.lost > 0)
			printf(", %d taken over by another node", out.lost);
		printf("\n");
	}
	return 0;
}

static int
run_recv(struct xfer_ctx *x, const struct job *job, const struct spool *sp,
    struct ledger *l, const struct recv_opts *ro, int *failed, int *locked)
{
	struct recv_outcome out;
	char ds[BDATE_STRLEN];
	struct xerr err;
	size_t i;

	xerr_clear(&err);
	if (recv_job_run(job, sp, l, ro, &out, &x->log, &err) == -1) {
		log_event(&x->log, LOG_ERROR, job->name, NULL, "job-failed",
		    NULL, "%s", err.msg);
		recv_outcome_release(&out);
		*failed = 1;
		return 0;
	}
	if (out.locked) {
		*locked = 1;
		log_event(&x->log, LOG_WARN, job->name, NULL, "locked", NULL,
		    "another xfer is working on this job: skipped");
	}
	/* A missing date fails every run until its file is in (logged
	 * once: see missing.h). */
	if (out.failed || out.held || out.late || out.missing)
		*failed = 1;
	if (ro->rerun && !out.locked) {
		bdate_format(ro->date, ds);
		printf("rerun %s %s: %d picked up, %d ingested, %d duplicate, "
		    "%d failed, %d held, %d not redone\n", job->name, ds,
		    out.picked, out.ingested, out.duplicates, out.failed,
		    out.held, out.skipped);
		/* Why each file of the date was left alone. */
		for (i = 0; i < out.notes.n; i++)
			printf("  %s\n", out.notes.v[i]);
	}
	recv_outcome_release(&out);
	return 0;
}

void
cmd_run_one(struct xfer_ctx *x, const struct job *job, const struct spool *sp,
    struct ledger *l, const struct send_opts *so, const struct recv_opts *ro,
    int *failed, int *locked)
{
	if (job->direction == DIR_SEND && so != NULL)
		run_send(x, job, sp, l, so, failed, locked);
	else if (job->direction == DIR_RECEIVE && ro != NULL)
		run_recv(x, job, sp, l, ro, failed, locked);
}

/* The ledger xfer.conf names; *conf's strings point into x. */
void
cmd_ledger_conf(struct xfer_ctx *x, struct ledger_conf *conf, char **path)
{
	memset(conf, 0, sizeof(*conf));
	conf->url = x->ledger_url;
	conf->password_file = x->ledger_password_file;
	conf->node = x->ledger_node ? x->ledger_node : "";
	conf->lease_s = (int)x->ledger_lease_s;
	if (asprintf(path, "%s/spool/ledger.db", x->home) == -1)
		*path = NULL;
	conf->path = *path;
}

int
cmd_ledger_unmigrated(const struct ledger_conf *conf)
{
	return conf->url != NULL && access(conf->path, F_OK) == 0;
}

int
cmd_open_spool(struct xfer_ctx *x, struct spool *sp, struct ledger **l)
{
	struct ledger_conf conf;
	struct xerr err;
	char *lpath;

	*l = NULL;
	if (spool_open(x->home, sp, &x->log, &err) == -1) {
		cmd_error("%s", err.msg);
		return -1;
	}
	cmd_ledger_conf(x, &conf, &lpath);
	if (lpath == NULL) {
		cmd_error("out of memory");
		return -1;
	}
	/* A host joining a fleet with its single-host history left in
	 * the spool would redo (or miss) what that history says. */
	if (cmd_ledger_unmigrated(&conf)) {
		cmd_error("'%s' holds this host's history from before "
		    "[ledger] url: move it into the fleet's ledger with "
		    "'xfer ledger migrate' first; nothing was run", lpath);
		free(lpath);
		return -1;
	}
	if (ledger_connect(&conf, l, &err) == -1) {
		cmd_error("%s", err.msg);
		free(lpath);
		return -1;
	}
	free(lpath);
	return 0;
}

void
cmd_nodes_text(const struct job *job, char *out, size_t size)
{
	size_t i, len = 0;
	int k;

	out[0] = '\0';
	for (i = 0; i < job->nodes.n && len < size; i++) {
		k = snprintf(out + len, size - len, "%s%s", i ? ", " : "",
		    job->nodes.v[i]);
		if (k < 0)
			break;
		len += (size_t)k;
	}
}

int
cmd_pinned_elsewhere(struct xfer_ctx *x, const struct job *job, int named)
{
	char list[512];

	if (job_runs_on(job, x->ledger_node))
		return 0;
	cmd_nodes_text(job, list, sizeof(list));
	if (named)
		cmd_error("job '%s' runs only on node%s %s ([job] nodes in "
		    "%s); this is node '%s'", job->name, job->nodes.n > 1 ?
		    "s" : "", list, job->file, x->ledger_node);
	else
		log_event(&x->log, LOG_DEBUG, job->name, NULL, "pinned", NULL,
		    "runs only on %s; this is node '%s': skipped", list,
		    x->ledger_node);
	return 1;
}

int
cmd_run_jobs(struct xfer_ctx *x, int nnames, char **names, int direction,
    const struct send_opts *so, const struct recv_opts *ro)
{
	struct ledger *l = NULL;
	struct spool sp = { NULL };
	struct jobset js;
	struct job **jobs = NULL;
	int n, i, k, status = EXIT_OK, failed = 0, locked = 0;

	n = cmd_pick_jobs(x, &js, names, nnames, direction, &jobs, &status);
	if (n == -1)
		return status;
	/* A job pinned to other nodes: skipped, or refused when named. */
	for (i = k = 0; i < n; i++) {
		if (!cmd_pinned_elsewhere(x, jobs[i], nnames > 0))
			jobs[k++] = jobs[i];
		else if (nnames > 0)
			status = EXIT_USAGE;
	}
	n = k;
	if (n == 0)
		goto out;
	if (cmd_open_spool(x, &sp, &l) == -1) {
		status = EXIT_FAILED;
		goto out;
	}
	for (i = 0; i < n; i++)
		cmd_run_one(x, jobs[i], &sp, l, so, ro, &failed, &locked);
	/* After every job, once per run; never fails the run.  A dry run
	 * changes nothing, not even this file. */
	if (!(so != NULL && so->dry_run) && !(ro != NULL && ro->dry_run))
		cmd_write_metrics(x, l, sp.root);
out:
	if (status == EXIT_OK && failed)
		status = EXIT_FAILED;
	if (status == EXIT_OK && locked)
		status = EXIT_LOCKED;
	ledger_close(l);
	spool_close(&sp);
	free(jobs);
	jobset_free(&js);
	return status;
}
