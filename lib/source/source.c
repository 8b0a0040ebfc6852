/*
 * source: what every [source] type shares, the files, sqlite and command
 * types, and the dispatch by type.  The server databases are in
 * source_pg.c and source_mysql.c (source_impl.h is what they share with
 * this file).
 *
 * The rules every type follows: records are pushed one at a time (memory
 * stays flat); input that is not there is XERR_TEMP unless required = no
 * (SPEC.md section 4, "Missing input is not an empty day"); a query's
 * :date, :start and :end are bound, never pasted into SQL; a query's
 * columns are projected by name (source_project()).
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "csvin.h"
#include "fsutil.h"
#include "jsonlin.h"
#include "pattern.h"
#include "proc.h"
#include "source_impl.h"
#include "strlist.h"
#include "tz.h"

static int
read_one(const struct job *job, enum src_type type, const char *path,
    int fd, const struct source_req *req, record_fn fn, void *ctx,
    struct xerr *err)
{
	struct csvin_opts co;
	struct jsonlin_opts jo;

	if (type == SRC_CSV) {
		memset(&co, 0, sizeof(co));
		co.want = req->want;
		co.nwant = req->nwant;
		co.on_header = req->on_header;
		co.encoding = job->source.encoding;
		co.lenient_quotes = job->source.lenient_quotes;
		return fd >= 0 ? csvin_read_fd(fd, path, &co, fn, ctx, err) :
		    csvin_read_file(path, &co, fn, ctx, err);
	}
	memset(&jo, 0, sizeof(jo));
	jo.want = req->want;
	jo.nwant = req->nwant;
	jo.encoding = job->source.encoding;
	return fd >= 0 ? jsonlin_read_fd(fd, path, &jo, fn, ctx, err) :
	    jsonlin_read_file(path, &jo, fn, ctx, err);
}

/*
 * Why nothing matched pat (or path is absent): name the first missing
 * directory on the way when there is one, the likeliest cause being a
 * typo in it.  Only the part before the first wildcard is looked at.
 */
static void
absent_dir(const char *pat, char *out, size_t size)
{
	size_t end = strcspn(pat, "*?[");
	char dir[PATH_MAX];
	struct stat st;
	size_t i;

	out[0] = '\0';
	while (end > 0 && pat[end - 1] != '/')
		end--;
	if (end <= 1 || end >= sizeof(dir))
		return;
	memcpy(dir, pat, end - 1);
	dir[end - 1] = '\0';
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return;
	/* The shortest missing prefix: where the path goes wrong. */
	for (i = 1; i < end - 1; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (stat(dir, &st) == -1)
			break;
		dir[i] = '/';
	}
	snprintf(out, size, " (directory '%s' does not exist)", dir);
}

static void
files_absent_why(const char *pat, char *why, size_t size)
{
	char dir[PATH_MAX + 64];

	absent_dir(pat, dir, sizeof(dir));
	snprintf(why, size, "no file matches '%s'%s", pat, dir);
}

static void
database_absent_why(const char *path, char *why, size_t size)
{
	char dir[PATH_MAX + 64];

	absent_dir(path, dir, sizeof(dir));
	snprintf(why, size, "database '%s' does not exist%s", path, dir);
}

/* Missing input fails the batch (transient: the next run retries). */
static int
missing_input(const struct job *job, bdate_t date, const char *why,
    struct xerr *err)
{
	char ds[BDATE_STRLEN];

	bdate_format(date, ds);
	return xerr_set(err, XERR_TEMP, 0, "missing input for %s: %s; if no "
	    "input means no data that day, set 'required = no' in [source] "
	    "of %s", ds, why, job->file);
}

static int
glob_err(const char *path, int eerrno)
{
	(void)path;
	/* A directory we cannot read on the way is not "no match" (a
	 * missing one is); GLOB_ERR would abort on both. */
	return eerrno != ENOENT && eerrno != ENOTDIR;
}

static int
run_files(const struct job *job, bdate_t date, const struct source_req *req,
    record_fn fn, void *ctx, const struct log *lg, struct xerr *err)
{
	char *pat = NULL, ds[BDATE_STRLEN];
	struct strlist files = { 0 };
	struct stat st;
	glob_t g;
	size_t i;
	int rc = -1, grc;

	bdate_format(date, ds);
	if (pattern_expand(job->source.path, job->name, date, &pat, err) == -1)
		return -1;
	memset(&g, 0, sizeof(g));
	grc = glob(pat, GLOB_NOSORT, glob_err, &g);
	if (grc == GLOB_NOSPACE) {
		xerr_nomem(err);
		goto out;
	}
	if (grc == GLOB_ABORTED) {
		xerr_set(err, XERR_TEMP, errno, "cannot read the directories "
		    "of '%s'", pat);
		goto out;
	}
	for (i = 0; grc == 0 && i < g.gl_pathc; i++)
		if (strlist_add(&files, g.gl_pathv[i]) == -1) {
			xerr_nomem(err);
			goto out;
		}
	/* Bytewise, whatever the locale: the output must not depend on it. */
	strlist_sort(&files);
	if (files.n == 0) {
		char why[2 * PATH_MAX + 128];

		files_absent_why(pat, why, sizeof(why));
		if (job->source.required) {
			missing_input(job, date, why, err);
			goto out;
		}
		log_event(lg, LOG_INFO, job->name, ds, "no-input", NULL,
		    "%s: the batch is empty (required = no)", why);
	}
	for (i = 0; i < files.n; i++) {
		if (stat(files.v[i], &st) == -1) {
			xerr_set(err, XERR_TEMP, errno, "cannot read '%s'",
			    files.v[i]);
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			xerr_set(err, XERR_DATA, 0, "input '%s' is not a "
			    "regular file", files.v[i]);
			goto out;
		}
		if (read_one(job, job->source.type, files.v[i], -1, req, fn,
		    ctx, err) == -1)
			goto out;
	}
	rc = 0;
out:
	if (grc != GLOB_NOSPACE)
		globfree(&g);
	strlist_free(&files);
	free(pat);
	return rc;
}

void
source_date_params(bdate_t date, char *ds, char *start, char *end)
{
	time_t t0, t1;

	bdate_format(date, ds);
	tz_day_bounds(date, &t0, &t1);
	tz_format_iso(t0, start, SOURCE_TS_MAX);
	tz_format_iso(t1, end, SOURCE_TS_MAX);
}

int
source_project(const struct job *job, const struct source_req *req,
    const char *const *names, size_t ncol, int **mapp, size_t *noutp,
    struct xerr *err)
{
	size_t nout = req->want ? req->nwant : ncol, i, j;
	int *map;

	*mapp = NULL;
	*noutp = 0;
	for (i = 0; i < ncol; i++)
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return xerr_set(err, XERR_PERM, 0, "%s: query "
				    "in [source] returns column '%s' twice; "
				    "name it with AS", job->file, names[i]);
	if ((map = calloc(nout + 1, sizeof(*map))) == NULL)
		return xerr_nomem(err);
	for (i = 0; i < nout; i++) {
		if (req->want == NULL) {
			map[i] = (int)i;
			continue;
		}
		map[i] = -1;
		for (j = 0; j < ncol; j++)
			if (strcmp(req->want[i], names[j]) == 0)
				map[i] = (int)j;
		if (map[i] == -1) {
			free(map);
			return xerr_set(err, XERR_PERM, 0, "%s: query in "
			    "[source] has no column '%s'", job->file,
			    req->want[i]);
		}
	}
	*mapp = map;
	*noutp = nout;
	return 0;
}

static int
run_sqlite(const struct job *job, bdate_t date, const struct source_req *req,
    record_fn fn, void *ctx, const struct log *lg, struct xerr *err)
{
	char *dbpath = NULL, ds[BDATE_STRLEN], start[SOURCE_TS_MAX],
	    end[SOURCE_TS_MAX];
	const char **names = NULL;
	struct value *vals = NULL;
	int *map = NULL, ncol, i, idx, rc = -1, step;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	struct record rec;
	size_t nout;

	source_date_params(date, ds, start, end);
	if (pattern_expand(job->source.database, job->name, date, &dbpath,
	    err) == -1)
		return -1;
	if (access(dbpath, R_OK) == -1 && (errno == ENOENT ||
	    errno == ENOTDIR)) {
		char why[2 * PATH_MAX + 128];

		database_absent_why(dbpath, why, sizeof(why));
		if (job->source.required) {
			missing_input(job, date, why, err);
			goto out;
		}
		/* No database, no records: the batch is empty. */
		log_event(lg, LOG_INFO, job->name, ds, "no-input", NULL,
		    "%s: the batch is empty (required = no)", why);
		rc = 0;
		goto out;
	}
	if (access(dbpath, R_OK) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot open database '%s'",
		    dbpath);
		goto out;
	}
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		xerr_set(err, XERR_TEMP, 0, "cannot open database '%s': %s",
		    dbpath, db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 30000);
	if (sqlite3_prepare_v2(db, job->source.query, -1, &st, NULL) !=
	    SQLITE_OK) {
		xerr_set(err, XERR_PERM, 0, "%s: query in [source] fails: %s",
		    job->file, sqlite3_errmsg(db));
		goto out;
	}
	/* Bound, never pasted: a date cannot inject SQL. */
	if ((idx = sqlite3_bind_parameter_index(st, ":date")) > 0)
		sqlite3_bind_text(st, idx, ds, -1, SQLITE_STATIC);
	if ((idx = sqlite3_bind_parameter_index(st, ":start")) > 0)
		sqlite3_bind_text(st, idx, start, -1, SQLITE_STATIC);
	if ((idx = sqlite3_bind_parameter_index(st, ":end")) > 0)
		sqlite3_bind_text(st, idx, end, -1, SQLITE_STATIC);
	ncol = sqlite3_column_count(st);
	names = calloc((size_t)ncol + 1, sizeof(*names));
	if (names == NULL) {
		xerr_nomem(err);
		goto out;
	}
	for (i = 0; i < ncol; i++)
		names[i] = sqlite3_column_name(st, i);
	if (source_project(job, req, names, (size_t)ncol, &map, &nout,
	    err) == -1)
		goto out;
	if ((vals = calloc(nout + 1, sizeof(*vals))) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (req->on_header && req->on_header(ctx, dbpath, names,
	    (size_t)ncol, err) == -1)
		goto out;
	memset(&rec, 0, sizeof(rec));
	rec.n = nout;
	rec.vals = vals;
	rec.names = req->want ? req->want : names;
	rec.file = dbpath;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		rec.recno++;
		for (i = 0; i < (int)nout; i++) {
			const unsigned char *s;
			int type = sqlite3_column_type(st, map[i]);

			s = sqlite3_column_text(st, map[i]);
			if (s == NULL && type != SQLITE_NULL) {
				xerr_nomem(err);
				goto out;
			}
			vals[i].ptr = s ? (const char *)s : "";
			vals[i].len = s ? (size_t)sqlite3_column_bytes(st,
			    map[i]) : 0;
			vals[i].kind = type == SQLITE_NULL ? VAL_NULL :
			    type == SQLITE_INTEGER || type == SQLITE_FLOAT ?
			    VAL_NUMBER : VAL_TEXT;
		}
		if (fn(ctx, &rec, err) == -1)
			goto out;
	}
	if (step != SQLITE_DONE) {
		xerr_set(err, step == SQLITE_BUSY ? XERR_TEMP : XERR_PERM, 0,
		    "query on '%s' failed: %s", dbpath, sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(names);
	free(map);
	free(vals);
	free(dbpath);
	return rc;
}

static int
run_command(const struct job *job, bdate_t date, const char *tmpdir,
    const struct source_req *req, record_fn fn, void *ctx, struct xerr *err)
{
	struct strlist argv = { 0 }, env = { 0 };
	char ds[BDATE_STRLEN], start[64], end[64], how[128], tail[400];
	char *outpath = NULL, *errpath = NULL, *s;
	int outfd = -1, errfd = -1, rc = -1;
	struct proc_spec spec;
	struct proc_result res;
	time_t t0, t1;
	size_t i;

	bdate_format(date, ds);
	tz_day_bounds(date, &t0, &t1);
	tz_format_iso(t0, start, sizeof(start));
	tz_format_iso(t1, end, sizeof(end));
	for (i = 0; i < job->source.command.n; i++) {
		if (pattern_expand(job->source.command.v[i], job->name, date,
		    &s, err) == -1 || strlist_take(&argv, s) == -1) {
			if (err->cls == XERR_NONE)
				xerr_nomem(err);
			goto out;
		}
	}
	if (strlist_addf(&env, "XFER_JOB=%s", job->name) == -1 ||
	    strlist_addf(&env, "XFER_DATE=%s", ds) == -1 ||
	    strlist_addf(&env, "XFER_START=%s", start) == -1 ||
	    strlist_addf(&env, "XFER_END=%s", end) == -1) {
		xerr_nomem(err);
		goto out;
	}
	/* The output is kept in the spool, not a pipe: the command's exit
	 * status is known before a single record is used, and a slow reader
	 * never stalls it. */
	if ((outpath = path_join(tmpdir, "command.out")) == NULL ||
	    (errpath = path_join(tmpdir, "command.err")) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	outfd = open(outpath, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	errfd = open(errpath, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (outfd == -1 || errfd == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot create '%s'",
		    outfd == -1 ? outpath : errpath);
		goto out;
	}
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv.v;
	spec.env_add = env.v;
	spec.stdin_fd = -1;
	spec.stdout_fd = outfd;
	spec.stderr_fd = errfd;
	spec.timeout_ms = job->source.timeout_s * 1000;
	if (proc_run(&spec, &res, err) == -1) {
		err->cls = XERR_TEMP;
		xerr_prefix(err, "%s: [source] command", job->file);
		goto out;
	}
	if (res.timed_out || !res.exited || res.exit_code != 0) {
		proc_describe(&res, spec.timeout_ms, how, sizeof(how));
		proc_stderr_tail(errfd, tail, sizeof(tail));
		xerr_set(err, XERR_TEMP, 0, "source command '%s' failed: %s%s%s",
		    argv.v[0], how, tail[0] ? ": " : "", tail);
		goto out;
	}
	if (lseek(outfd, 0, SEEK_SET) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot read '%s'", outpath);
		goto out;
	}
	snprintf(tail, sizeof(tail), "output of '%s'", argv.v[0]);
	rc = read_one(job, job->source.format == FMT_JSONL ? SRC_JSONL :
	    SRC_CSV, tail, outfd, req, fn, ctx, err);
out:
	if (outfd != -1)
		close(outfd);
	if (errfd != -1)
		close(errfd);
	if (outpath)
		unlink(outpath);
	if (errpath)
		unlink(errpath);
	free(outpath);
	free(errpath);
	strlist_free(&argv);
	strlist_free(&env);
	return rc;
}

int
source_run(const struct job *job, bdate_t date, const char *tmpdir,
    const struct source_req *req, record_fn fn, void *ctx,
    const struct log *lg, struct xerr *err)
{
	char *ready = NULL;
	int rc;

	if (job->source.ready_file != NULL) {
		if (pattern_expand(job->source.ready_file, job->name, date,
		    &ready, err) == -1)
			return -1;
		if (access(ready, F_OK) == -1) {
			xerr_set(err, XERR_TEMP, errno == ENOENT ? 0 : errno,
			    "ready file '%s' is not there yet%s", ready,
			    errno == ENOENT ? "; the upstream has not "
			    "finished" : "");
			free(ready);
			return -1;
		}
		free(ready);
	}
	switch (job->source.type) {
	case SRC_CSV:
	case SRC_JSONL:
		rc = run_files(job, date, req, fn, ctx, lg, err);
		break;
	case SRC_SQLITE:
		rc = run_sqlite(job, date, req, fn, ctx, lg, err);
		break;
	case SRC_COMMAND:
		rc = run_command(job, date, tmpdir, req, fn, ctx, err);
		break;
	case SRC_POSTGRESQL:
		rc = source_pg_run(job, date, req, fn, ctx, lg, err);
		break;
	case SRC_MYSQL:
		rc = source_my_run(job, date, req, fn, ctx, lg, err);
		break;
	default:
		rc = xerr_set(err, XERR_PERM, 0, "unknown source type");
	}
	return rc;
}

int
source_input_missing(const struct job *job, bdate_t date, char *why,
    size_t size, struct xerr *err)
{
	char *path = NULL;
	int missing = 0, grc;
	glob_t g;

	why[0] = '\0';
	if (job->source.ready_file != NULL) {
		if (pattern_expand(job->source.ready_file, job->name, date,
		    &path, err) == -1)
			return -1;
		if (access(path, F_OK) == -1) {
			snprintf(why, size, "ready file '%s' is not there",
			    path);
			free(path);
			return 1;
		}
		free(path);
		path = NULL;
	}
	switch (job->source.type) {
	case SRC_CSV:
	case SRC_JSONL:
		if (pattern_expand(job->source.path, job->name, date, &path,
		    err) == -1)
			return -1;
		memset(&g, 0, sizeof(g));
		grc = glob(path, GLOB_NOSORT, glob_err, &g);
		if (grc == GLOB_NOSPACE) {
			free(path);
			return xerr_nomem(err);
		}
		/* Unreadable directories are no verdict: source_run() says
		 * what it cannot read. */
		if (grc == GLOB_NOMATCH || (grc == 0 && g.gl_pathc == 0)) {
			files_absent_why(path, why, size);
			missing = 1;
		}
		globfree(&g);
		break;
	case SRC_SQLITE:
		if (pattern_expand(job->source.database, job->name, date,
		    &path, err) == -1)
			return -1;
		if (access(path, F_OK) == -1 && (errno == ENOENT ||
		    errno == ENOTDIR)) {
			database_absent_why(path, why, size);
			missing = 1;
		}
		break;
	default:
		break;
	}
	free(path);
	return missing;
}

int
source_check(const struct job *job, check_report_fn report, void *ctx,
    struct xerr *err)
{
	switch (job->source.type) {
	case SRC_POSTGRESQL:
		return source_pg_check(job, report, ctx, err);
	case SRC_MYSQL:
		return source_my_check(job, report, ctx, err);
	default:
		return 0;
	}
}
