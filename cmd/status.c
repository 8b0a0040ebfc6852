/*
 * xfer status: one line per batch from the ledger, as a table or JSON,
 * with the missing batches (missing.h) computed from the job files merged
 * in by (job, date): they show even when no run has happened since.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "bdate.h"
#include "buf.h"
#include "cmd.h"
#include "ledger.h"
#include "missing.h"
#include "pattern.h"
#include "tz.h"

/* A missing batch as a status row; the strings are owned here. */
struct mrow {
	const char *job;	/* the job's name (owned by the job set) */
	const char *direction;
	char date[BDATE_STRLEN];
	char *file;		/* receive: the expected name; or NULL */
	char *why;
	long long time;		/* receive: the deadline; send: 0 */
};

struct status_out {
	int json;
	int shared;		/* a fleet's ledger: node and lease shown */
	int rows;
	struct mrow *missing;	/* sorted by job, date */
	size_t nmissing, next;	/* next: the first not printed yet */
};

static void
status_usage(FILE *fp)
{
	fprintf(fp, "usage: xfer status [--date D] [--failed] [--json] "
	    "[JOB...]\n"
	    "  --failed lists only failed, held, late and missing batches and "
	    "exits 1\n  when it lists any.\n");
}

static void
iso_time(long long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	tz_system_time(tt, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
}

static int
print_row(void *ctx, const struct status_row *r, struct xerr *err)
{
	struct status_out *so = ctx;
	char t[64], lease[64], rec[32], bytes[32];
	struct buf b;
	int rc = 0;

	if (r->updated > 0)
		iso_time(r->updated, t, sizeof(t));
	else
		snprintf(t, sizeof(t), "-");
	if (r->lease_until > 0)
		iso_time(r->lease_until, lease, sizeof(lease));
	else
		snprintf(lease, sizeof(lease), "-");
	if (!so->json) {
		if (so->rows == 0 && so->shared)
			printf("%-20s %-10s %-7s %-8s %8s %10s %3s  %-25s "
			    "%-12s %-25s %s\n", "JOB", "DATE", "DIR", "STATE",
			    "RECORDS", "BYTES", "TRY", "TIME", "NODE", "LEASE",
			    "ERROR");
		else if (so->rows == 0)
			printf("%-20s %-10s %-7s %-8s %8s %10s %3s  %-25s %s\n",
			    "JOB", "DATE", "DIR", "STATE", "RECORDS", "BYTES",
			    "TRY", "TIME", "ERROR");
		snprintf(rec, sizeof(rec), "%lld", r->records);
		snprintf(bytes, sizeof(bytes), "%lld", r->bytes);
		printf("%-20s %-10s %-7s %-8s %8s %10s %3d  %-25s ",
		    r->job, r->date, r->direction, r->state,
		    r->records >= 0 ? rec : "-", r->bytes >= 0 ? bytes : "-",
		    r->attempts, t);
		/* The node that wrote the row last; the lease of a batch a
		 * node is working on now. */
		if (so->shared)
			printf("%-12s %-25s ", r->node && r->node[0] ?
			    r->node : "-", lease);
		printf("%s\n", r->last_error ? r->last_error : "");
		so->rows++;
		return 0;
	}
	buf_init(&b, 0);
	rc |= buf_puts(&b, so->rows ? ",\n  {" : "\n  {");
	rc |= buf_puts(&b, "\"job\":");
	rc |= buf_json_str(&b, r->job);
	rc |= buf_puts(&b, ",\"date\":");
	rc |= buf_json_str(&b, r->date);
	rc |= buf_puts(&b, ",\"direction\":");
	rc |= buf_json_str(&b, r->direction);
	rc |= buf_puts(&b, ",\"state\":");
	rc |= buf_json_str(&b, r->state);
	rc |= buf_puts(&b, ",\"file\":");
	rc |= r->file && r->file[0] ? buf_json_str(&b, r->file) :
	    buf_puts(&b, "null");
	if (r->records >= 0)
		rc |= buf_printf(&b, ",\"records\":%lld", r->records);
	else
		rc |= buf_puts(&b, ",\"records\":null");
	if (r->bytes >= 0)
		rc |= buf_printf(&b, ",\"bytes\":%lld", r->bytes);
	else
		rc |= buf_puts(&b, ",\"bytes\":null");
	rc |= buf_printf(&b, ",\"attempts\":%d,\"last_error\":", r->attempts);
	rc |= r->last_error ? buf_json_str(&b, r->last_error) :
	    buf_puts(&b, "null");
	rc |= buf_puts(&b, ",\"time\":");
	rc |= r->updated > 0 ? buf_json_str(&b, t) : buf_puts(&b, "null");
	if (so->shared) {
		rc |= buf_puts(&b, ",\"node\":");
		rc |= r->node && r->node[0] ? buf_json_str(&b, r->node) :
		    buf_puts(&b, "null");
		rc |= buf_puts(&b, ",\"lease_until\":");
		rc |= r->lease_until > 0 ? buf_json_str(&b, lease) :
		    buf_puts(&b, "null");
	}
	rc |= buf_puts(&b, "}");
	if (rc != 0) {
		buf_release(&b);
		return xerr_nomem(err);
	}
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	so->rows++;
	return 0;
}

static int
print_mrow(struct status_out *so, const struct mrow *m, struct xerr *err)
{
	struct status_row row;

	memset(&row, 0, sizeof(row));
	row.job = m->job;
	row.date = m->date;
	row.direction = m->direction;
	row.state = ST_MISSING;
	row.file = m->file;
	row.records = row.bytes = -1;
	row.last_error = m->why;
	row.updated = m->time;
	return print_row(so, &row, err);
}

/* Print the missing rows that sort before (job, date); NULL: all left. */
static int
flush_missing(struct status_out *so, const char *job, const char *date,
    struct xerr *err)
{
	const struct mrow *m;
	int c;

	for (; so->next < so->nmissing; so->next++) {
		m = &so->missing[so->next];
		if (job != NULL) {
			c = strcmp(m->job, job);
			if (c > 0 || (c == 0 && strcmp(m->date, date) >= 0))
				break;
		}
		if (print_mrow(so, m, err) == -1)
			return -1;
	}
	return 0;
}

static int
print_merged(void *ctx, const struct status_row *r, struct xerr *err)
{
	if (flush_missing(ctx, r->job, r->date, err) == -1)
		return -1;
	return print_row(ctx, r, err);
}

struct collect {
	struct status_out *so;
	const struct status_filter *f;
	const struct job *job;
	size_t cap;
};

static int
add_mrow(struct collect *c, bdate_t d, const struct missing *m,
    struct xerr *err)
{
	struct status_out *so = c->so;
	struct mrow *v, *r;

	if (so->nmissing == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		if ((v = reallocarray(so->missing, c->cap, sizeof(*v))) ==
		    NULL)
			return xerr_nomem(err);
		so->missing = v;
	}
	r = &so->missing[so->nmissing];
	memset(r, 0, sizeof(*r));
	r->job = c->job->name;
	r->direction = job_direction_name(c->job->direction);
	bdate_format(d, r->date);
	if (c->f->date != NULL && strcmp(c->f->date, r->date) != 0)
		return 0;
	if ((r->why = malloc(512)) == NULL)
		return xerr_nomem(err);
	missing_describe(c->job, m, r->why, 512);
	if (c->job->direction == DIR_RECEIVE) {
		r->time = (long long)m->deadline;
		if (pattern_expand(c->job->inbox.pattern, c->job->name, d,
		    &r->file, err) == -1) {
			free(r->why);
			return -1;
		}
	}
	so->nmissing++;
	return 0;
}

static int
on_missing(void *ctx, const struct missing *m, struct xerr *err)
{
	bdate_t d;

	/* One row per date, as for every batch. */
	for (d = m->from; d <= m->to; d++)
		if (add_mrow(ctx, d, m, err) == -1)
			return -1;
	return 0;
}

static int
cmp_mrow(const void *a, const void *b)
{
	const struct mrow *x = a, *y = b;
	int c = strcmp(x->job, y->job);

	return c != 0 ? c : strcmp(x->date, y->date);
}

/*
 * The missing batches of the jobs asked for, sorted.  A job file that
 * cannot be read is said to be unchecked, not taken for one with nothing
 * missing.
 */
static int
collect_missing(struct xfer_ctx *x, struct ledger *l,
    const struct jobset *js, const struct status_filter *f,
    struct status_out *so, struct xerr *err)
{
	struct collect c = { so, f, NULL, 0 };
	size_t i, k;
	int want;

	for (i = 0; i < js->invalid.n; i++) {
		want = f->jobs == NULL;
		for (k = 0; !want && k < f->njobs; k++)
			want = strcmp(f->jobs[k], js->invalid.v[i]) == 0;
		if (want)
			cmd_warn("job '%s' is not checked for missing batches: "
			    "its job file is invalid (`xfer check %s` says "
			    "why)", js->invalid.v[i], js->invalid.v[i]);
	}
	for (i = 0; i < js->n; i++) {
		c.job = js->jobs[i];
		want = f->jobs == NULL;
		for (k = 0; !want && k < f->njobs; k++)
			want = strcmp(f->jobs[k], c.job->name) == 0;
		if (!want || !c.job->enabled)
			continue;
		if (missing_each(l, c.job, x->now, on_missing, &c, err) == -1)
			return -1;
	}
	if (so->nmissing > 1)
		qsort(so->missing, so->nmissing, sizeof(*so->missing),
		    cmp_mrow);
	return 0;
}

/* The fleet's ledger, or the home's SQLite one. */
static int
open_ledger(const struct ledger_conf *conf, struct ledger **l,
    struct xerr *err)
{
	if (cmd_ledger_unmigrated(conf))
		cmd_warn("'%s' holds this host's history from before [ledger] "
		    "url and is not shown: move it into the fleet's ledger "
		    "with 'xfer ledger migrate'", conf->path);
	return ledger_connect(conf, l, err);
}

int
cmd_status(struct xfer_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, 'd' },
		{ "failed", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status_filter f;
	struct status_out so = { 0, 0, 0, NULL, 0, 0 };
	struct ledger_conf conf;
	struct ledger *l = NULL;
	struct jobset js;
	struct xerr err;
	struct stat st;
	bdate_t d;
	char *path = NULL;
	size_t i;
	int c, status = EXIT_OK;

	memset(&f, 0, sizeof(f));
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (bdate_parse(optarg, &d) == -1) {
				cmd_error("status: '%s' is not a date "
				    "(YYYY-MM-DD)", optarg);
				return EXIT_USAGE;
			}
			f.date = optarg;
			break;
		case 'f': f.failed_only = 1; break;
		case 'j': so.json = 1; break;
		case 'h': status_usage(stdout); return EXIT_OK;
		default: status_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		f.jobs = (const char *const *)argv + optind;
		f.njobs = (size_t)(argc - optind);
	}
	cmd_ledger_conf(x, &conf, &path);
	if (path == NULL) {
		cmd_error("out of memory");
		return EXIT_FAILED;
	}
	/* Without the job files the ledger is still shown, but the run
	 * does not pass for one that found nothing missing. */
	if (jobset_load(x->home, &js, &err) == -1) {
		cmd_error("%s; missing batches are not shown", err.msg);
		status = err.cls == XERR_NOMEM ? EXIT_FAILED : EXIT_CONFIG;
	}
	if (so.json)
		printf("[");
	/* No ledger yet: nothing ever ran, and looking creates nothing;
	 * an expected file can be missing all the same. */
	if ((conf.url != NULL || stat(path, &st) == 0) &&
	    open_ledger(&conf, &l, &err) == -1) {
		cmd_error("%s", err.msg);
		status = EXIT_FAILED;
		goto done;
	}
	/* Node and lease columns only on a fleet's ledger: one host's
	 * output stays as it was. */
	so.shared = l != NULL && ledger_is_shared(l);
	if ((status == EXIT_OK && collect_missing(x, l, &js, &f, &so,
	    &err) == -1) ||
	    (l != NULL && ledger_status(l, &f, print_merged, &so, &err) ==
	    -1) || flush_missing(&so, NULL, NULL, &err) == -1) {
		cmd_error("%s", err.msg);
		status = EXIT_FAILED;
	}
done:
	if (so.json)
		printf(so.rows ? "\n]\n" : "]\n");
	else if (so.rows == 0 && status == EXIT_OK)
		fprintf(stderr, "xfer: no batches%s\n", f.failed_only ?
		    " need attention" : " recorded yet");
	if (status == EXIT_OK && f.failed_only && so.rows > 0)
		status = EXIT_FAILED;
	ledger_close(l);
	for (i = 0; i < so.nmissing; i++) {
		free(so.missing[i].file);
		free(so.missing[i].why);
	}
	free(so.missing);
	jobset_free(&js);
	free(path);
	return status;
}
