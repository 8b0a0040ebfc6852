/*
 * xfer check: validate every job file (and xfer.conf, read at start); with
 * --connect also log in to every destination and report what works.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdate.h"
#include "cmd.h"
#include "dest.h"
#include "fsutil.h"
#include "ingest.h"
#include "jobdate.h"
#include "layout.h"
#include "ledger.h"
#include "pgp.h"
#include "source.h"
#include "tz.h"

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

/* The server database of a job's [source] or [ingest], or NULL. */
static const struct job_db *
job_database(const struct job *job)
{
	if (job->direction == DIR_SEND)
		return job->source.type == SRC_POSTGRESQL ||
		    job->source.type == SRC_MYSQL ? &job->source.db : NULL;
	return job->ingest.type == INGEST_POSTGRESQL ||
	    job->ingest.type == INGEST_MYSQL ? &job->ingest.db : NULL;
}

/* Log in to the job's database and check its query or table. */
static int
connect_database(const struct job *job, const struct job_db *db)
{
	struct xerr err;
	int rc;

	/* A URL here never holds a password: job_load() refuses one. */
	printf("%s: [%s] %s\n", job->name, job->direction == DIR_SEND ?
	    "source" : "ingest", db->url != NULL ? db->url : db->service);
	xerr_clear(&err);
	rc = job->direction == DIR_SEND ?
	    source_check(job, report, NULL, &err) :
	    ingest_check(job, report, NULL, &err);
	if (rc == -1)
		report(NULL, 0, err.msg);
	return rc;
}

/*
 * The OpenPGP keys the job names: in its keyring and usable (not
 * expired or revoked; a secret key to sign with), so that a missing key
 * is found now rather than by the first cron run.  1 if one is not.
 */
static int
check_pgp_keys(const struct job *job)
{
	const struct strlist *keys = job->direction == DIR_SEND ?
	    &job->output.encrypt_to : &job->inbox.require_signature;
	const char *home = job->direction == DIR_SEND ? job->output.keyring :
	    job->inbox.keyring;
	struct xerr err;
	size_t i, usable = 0;
	int bad = 0, send = job->direction == DIR_SEND;

	if (home == NULL)
		return 0;
	/* Every recipient must be usable; of the signers one is enough (a
	 * partner's expired key may stay listed while files signed by its
	 * successor come in), the others are warned of. */
	for (i = 0; i < keys->n; i++) {
		if (pgp_key_check(home, keys->v[i], send ? 'e' : 'v', &err) ==
		    0)
			usable++;
		else if (send) {
			cmd_error("%s: %s", job->file, err.msg);
			bad = 1;
		} else
			cmd_warn("%s: %s", job->file, err.msg);
	}
	if (!send && keys->n > 0 && usable == 0) {
		cmd_error("%s: no key of require_signature can verify a "
		    "signature: every file would fail", job->file);
		bad = 1;
	}
	if (job->direction == DIR_SEND && job->output.sign_with != NULL &&
	    pgp_key_check(home, job->output.sign_with, 's', &err) == -1) {
		cmd_error("%s: %s", job->file, err.msg);
		bad = 1;
	}
	return bad;
}

/* Key and password files private, directories there and writable. */
static int
check_files(const struct job *job)
{
	const struct job_upload *up = &job->upload;
	const struct job_db *db = job_database(job);
	const char *secrets[][2] = {
		{ "identity", up->identity },
		{ "passphrase_file", up->passphrase_file },
		{ "password_file", up->password_file },
		{ "client_key", up->client_key },
		{ "credentials_file", up->credentials_file },
		{ "password_file", db != NULL ? db->password_file : NULL },
		{ "client_key", db != NULL ? db->client_key : NULL },
	};
	struct xerr err;
	const char *dir = NULL;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (secrets[i][1] == NULL)
			continue;
		if (secret_file_check(secrets[i][1], secrets[i][0], &err) ==
		    -1) {
			cmd_error("%s: %s", job->file, err.msg);
			bad = 1;
		}
	}
	if (job->direction == DIR_RECEIVE)
		dir = job->inbox.path;
	else if (up->url && strstr(up->url, "://") == NULL)
		dir = up->url;
	else if (up->url && strncmp(up->url, "file://", 7) == 0)
		dir = up->url + 7;
	if (dir != NULL && access(dir, F_OK) == 0) {
		if (access(dir, W_OK | X_OK) == -1) {
			cmd_error("%s: directory '%s' is not writable",
			    job->file, dir);
			bad = 1;
		}
	} else if (dir != NULL) {
		/* Delivery creates missing directories; an inbox is made by
		 * whoever fills it: say so, it is not an error yet. */
		cmd_warn("%s: directory '%s' does not exist yet%s", job->file,
		    dir, job->direction == DIR_SEND ? "; the first send "
		    "creates it" : "");
	}
	return bad | check_pgp_keys(job);
}

/*
 * A fixed-width layout whose records have different lengths is legal, but
 * partner specifications nearly always give every record one length: a
 * filler one byte short is the typo this catches before the partner does.
 */
static void
check_layout_widths(const struct job *job)
{
	const struct layout *l;
	size_t w = 0, i;
	int differ = 0;

	if (job->layouts == NULL || (job->direction == DIR_SEND ?
	    job->output.format != FMT_FIXED :
	    job->inbox.format != (int)FMT_FIXED))
		return;
	for (i = 0; i < LAYOUT_PARTS; i++) {
		l = &job->layouts->part[i];
		if (l->line == 0)
			continue;
		if (w != 0 && l->width != w)
			differ = 1;
		w = l->width;
	}
	if (!differ)
		return;
	cmd_warn("%s: the records of the layout have different lengths: "
	    "header %zu, record %zu, trailer %zu bytes", job->file,
	    job->layouts->part[LAYOUT_HEADER].width,
	    job->layouts->part[LAYOUT_RECORD].width,
	    job->layouts->part[LAYOUT_TRAILER].width);
}

/*
 * A send job's input for its current date: a typo in a glob matches
 * nothing and would otherwise be found only by the failed (or, with
 * required = no, empty) batch.  A warning: the day's files may simply not
 * be there yet.
 */
static void
check_input(struct xfer_ctx *x, const struct job *job)
{
	char ds[BDATE_STRLEN], why[2 * PATH_MAX + 128];
	struct xerr err;
	bdate_t current;
	int k;

	if (job->direction != DIR_SEND)
		return;
	if (tz_use(job->timezone, &err) == -1) {
		cmd_warn("%s: %s", job->file, err.msg);
		return;
	}
	if (jobdate_current(job, x->now, &current, &err) == -1)
		return;		/* check_dates() said why */
	bdate_format(current, ds);
	if ((k = source_input_missing(job, current, why, sizeof(why), &err))
	    == -1)
		cmd_warn("%s: cannot look at the input: %s", job->file,
		    err.msg);
	else if (k == 1)
		cmd_warn("%s: %s for the current date %s: %s", job->file, why,
		    ds, job->source.required ? "a send now would fail "
		    "(missing input is not an empty day)" : "a send now would "
		    "deliver an empty batch (required = no)");
}

/*
 * A job with a calendar: today and the job's current date must be in
 * years the calendar covers, or every run would fail the same way.
 */
static int
check_dates(struct xfer_ctx *x, const struct job *job)
{
	struct xerr err;
	bdate_t current;

	if (job->calendar == NULL)
		return 0;
	if (tz_use(job->timezone, &err) == -1 ||
	    jobdate_current(job, x->now, &current, &err) == -1 ||
	    jobdate_runs_on(job, tz_date_of(x->now), &err) == -1 ||
	    jobdate_is_batch(job, current, &err) == -1) {
		cmd_error("%s: %s", job->file, err.msg);
		return -1;
	}
	return 0;
}

/* Ledger rows and spool directories of jobs whose file is gone. */
static void
check_orphans(struct xfer_ctx *x, const struct jobset *js)
{
	struct dirent *de;
	struct stat st;
	char *spool, *p;
	DIR *d;

	if (asprintf(&spool, "%s/spool", x->home) == -1)
		return;
	if ((d = opendir(spool)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    (p = path_join(spool, de->d_name)) == NULL)
				continue;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
			    jobset_find(js, de->d_name) == NULL &&
			    !strlist_contains(&js->invalid, de->d_name))
				printf("%s: orphan: '%s' and its ledger rows "
				    "belong to no job file (kept; restore "
				    "jobs/%s.job or remove them by hand)\n",
				    de->d_name, p, de->d_name);
			free(p);
		}
		closedir(d);
	}
	free(spool);
}

/* "2m", "90s", "1h": a lease as xfer.conf would say it. */
static void
duration_text(long s, char *out, size_t size)
{
	if (s % 3600 == 0)
		snprintf(out, size, "%ldh", s / 3600);
	else if (s % 60 == 0)
		snprintf(out, size, "%ldm", s / 60);
	else
		snprintf(out, size, "%lds", s);
}

/*
 * The ledger xfer.conf names, opened as a run would open it: its schema
 * created or brought up to date, and one line saying which ledger it is
 * and at which version.  The SQLite ledger of a home where nothing ran
 * yet is not made here (status does not make it either).  -1: it cannot
 * be used (said on stderr).
 */
static int
check_ledger(struct xfer_ctx *x)
{
	struct ledger_conf conf;
	struct ledger *l = NULL;
	struct xerr err;
	struct stat st;
	char *lpath = NULL, lease[32];
	int version, rc = -1;

	cmd_ledger_conf(x, &conf, &lpath);
	if (lpath == NULL) {
		cmd_error("out of memory");
		return -1;
	}
	if (conf.url == NULL && stat(lpath, &st) == -1) {
		printf("ledger: SQLite '%s', not there yet (the first send or "
		    "receive makes it)\n", lpath);
		free(lpath);
		return 0;
	}
	xerr_clear(&err);
	if (ledger_connect(&conf, &l, &err) == -1 ||
	    ledger_schema_version(l, &version, &err) == -1) {
		/* The message names the ledger. */
		cmd_error("%s", err.msg);
		goto out;
	}
	if (ledger_is_shared(l)) {
		duration_text(x->ledger_lease_s, lease, sizeof(lease));
		printf("ledger: %s, schema version %d, node %s, lease %s\n",
		    ledger_name(l), version, ledger_node(l), lease);
	} else
		printf("ledger: %s, schema version %d\n", ledger_name(l),
		    version);
	rc = 0;
	if (cmd_ledger_unmigrated(&conf)) {
		/* Runs refuse to start (cmd_open_spool): say so here. */
		cmd_error("'%s' holds this host's history from before "
		    "[ledger] url: move it into the fleet's ledger with "
		    "'xfer ledger migrate'; until then runs refuse to start",
		    lpath);
		rc = -1;
	}
out:
	ledger_close(l);
	free(lpath);
	return rc;
}

/* A job pinned to nodes that never runs where nothing else can. */
static void
check_pinned(struct xfer_ctx *x, const struct job *job)
{
	char list[512];

	if (x->ledger_url != NULL || job_runs_on(job, x->ledger_node))
		return;
	cmd_nodes_text(job, list, sizeof(list));
	cmd_warn("%s: nodes = %s, but this host is node '%s' and xfer.conf "
	    "names no shared ledger ([ledger] url): the job never runs here",
	    job->file, list, x->ledger_node);
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
	const struct job_db *db;

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
	if (check_ledger(x) == -1)
		unreachable = 1;
	for (i = 0; i < n; i++) {
		check_pinned(x, jobs[i]);
		/* Send jobs are often sent by hand; files that come in are
		 * picked up only if something runs receive. */
		if (jobs[i]->direction == DIR_RECEIVE &&
		    jobs[i]->schedule == NULL)
			cmd_warn("%s: receive job without schedule: `xfer run` "
			    "never runs it (add schedule = ... in [job], or "
			    "run `xfer receive %s` from cron)%s", jobs[i]->file,
			    jobs[i]->name, jobs[i]->inbox.expect_min >= 0 ?
			    "; its expect is then only judged by `xfer status`"
			    : "");
		if (check_files(jobs[i]) || check_dates(x, jobs[i]) == -1) {
			status = EXIT_CONFIG;
			continue;
		}
		check_input(x, jobs[i]);
		check_layout_widths(jobs[i]);
		if (!connect) {
			printf("%s: ok (%s, %s)\n", jobs[i]->name,
			    job_direction_name(jobs[i]->direction),
			    jobs[i]->file);
			continue;
		}
		if ((db = job_database(jobs[i])) != NULL &&
		    connect_database(jobs[i], db) == -1)
			unreachable = 1;
		if ((jobs[i]->direction == DIR_SEND ||
		    jobs[i]->inbox.url != NULL) &&
		    connect_job(x, jobs[i]) == -1)
			unreachable = 1;
	}
	if (argc - optind == 0)
		check_orphans(x, &js);
	if (status == EXIT_OK && unreachable)
		status = EXIT_FAILED;
	free(jobs);
	jobset_free(&js);
	return status;
}
