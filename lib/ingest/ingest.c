/*
 * ingest: verify one received file and load it into its target, once.
 *
 * This file holds what every target shares (ingest_impl.h says the
 * rules); each [ingest] type is a table of functions in ingest_TYPE.c.
 *
 * A target reads the file once, inside its transaction: rows go in as the
 * records arrive, and anything wrong (a malformed line near the end, a
 * count that differs from the manifest) rolls the whole file back.  No
 * reader of the database ever sees a row of a file that did not verify,
 * which is what "verify before load" is for, and the file is read once
 * instead of twice.  The price is that the write lock is held while the
 * file is read; other writers wait (busy_timeout) or retry later.
 *
 * Decisions a reader may look for here:
 * - The key is looked up first: a duplicate is not read at all, and its
 *   record count is the one stored with the key.
 * - Column names come from partner files and are hostile: they are always
 *   quoted as identifiers, and empty names or names with control
 *   characters are refused.  SQLite compares column names without regard
 *   to case, so "Amount" and "amount" are one column here too.
 * - replace-date deletes the date's rows before the first insert (in the
 *   same transaction); the file must carry the date column, or its rows
 *   could never be replaced by a later version.
 * - A file with no header and no records (zero bytes, "[]") has 0
 *   records.  Its names are then [ingest] columns when given (so the
 *   table is created); otherwise no table is created.
 * - A command only sees a file that verified completely.  Its stderr goes
 *   to an unlinked file in the file's spool directory: nothing to clean up
 *   after a crash, and only its end is read for the message.
 */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csvin.h"
#include "fault.h"
#include "fixedin.h"
#include "ingest_impl.h"
#include "jsonlin.h"
#include "layout.h"
#include "pattern.h"
#include "record.h"
#include "strlist.h"
#include "xmlin.h"

static const struct ingest_ops *ops_of(const struct job *job);

/* "a, b, c" into out, cut with "..." when it does not fit. */
void
ingest_join_names(char *out, size_t size, const char *const *names, size_t n)
{
	size_t i, len = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(out + len, size - len, "%s%s", i ? ", " : "",
		    names[i]);
		if (w < 0 || (size_t)w >= size - len) {
			if (size > 4)
				memcpy(out + size - 4, "...", 4);
			return;
		}
		len += (size_t)w;
	}
}

static int
same_names(const char *const *a, size_t na, const struct strlist *b)
{
	size_t i;

	if (na != b->n)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b->v[i]) != 0)
			return 0;
	return 1;
}

static int
check_name(struct ingest *ig, const char *s, size_t i)
{
	const unsigned char *p;

	if (*s == '\0')
		return xerr_set(ig->err, XERR_DATA, 0, "'%s': column %zu has "
		    "no name", ig->req->name, i + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return xerr_set(ig->err, XERR_DATA, 0, "'%s': the name "
			    "of column %zu has a control character",
			    ig->req->name, i + 1);
	return 0;
}

/* The file's column names are known (header or first object). */
static int
got_names(struct ingest *ig, const char *const *names, size_t n)
{
	const struct strlist *want = &ig->job->ingest.columns;
	char have[INGEST_LIST_MAX], exp[INGEST_LIST_MAX];
	size_t i;

	if (n == 0)
		return xerr_set(ig->err, XERR_DATA, 0, "'%s': records have no "
		    "fields", ig->req->name);
	for (i = 0; i < n; i++)
		if (check_name(ig, names[i], i) == -1)
			return -1;
	if (want->n > 0 && !same_names(names, n, want)) {
		ingest_join_names(have, sizeof(have), names, n);
		ingest_join_names(exp, sizeof(exp), (const char *const *)want->v,
		    want->n);
		return xerr_set(ig->err, XERR_DATA, 0, "'%s': columns are "
		    "(%s), expected (%s) ([ingest] columns)", ig->req->name,
		    have, exp);
	}
	if (ig->names != NULL && ig->names(ig, names, n) == -1)
		return -1;
	ig->have_names = 1;
	return 0;
}

static int
on_header(void *ctx, const char *file, const char *const *names, size_t n,
    struct xerr *err)
{
	(void)file;
	(void)err;
	return got_names(ctx, names, n);
}

static int
on_record(void *ctx, const struct record *rec, struct xerr *err)
{
	struct ingest *ig = ctx;

	(void)err;
	if (!ig->have_names && got_names(ig, rec->names, rec->n) == -1)
		return -1;
	ig->nrec++;
	if (ig->row != NULL) {
		FAULT_POINT("ingest_mid");
		return ig->row(ig, rec);
	}
	return 0;
}

/* A file with layouts: its encoding, and its date when its name has one. */
static void
layout_in_opts(struct ingest *ig, struct fixedin_opts *fo)
{
	const struct job *job = ig->job;
	struct xerr e;
	bdate_t d;
	int has = 0;

	memset(fo, 0, sizeof(*fo));
	fo->layouts = job->layouts;
	fo->encoding = job->inbox.encoding;
	fo->record_end = job->inbox.record_end;
	fo->delim = job->inbox.delimiter;
	fo->lenient_quotes = job->inbox.lenient_quotes;
	fo->date = ig->req->date;
	fo->on_header = on_header;
	if (job->inbox.pattern != NULL && pattern_match(job->inbox.pattern,
	    job->name, ig->req->name, &has, &d, &e) == 1 && has &&
	    d == ig->req->date)
		fo->has_date = 1;
}

/* Read the whole file, handing every record to on_record(). */
int
ingest_read_records(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	const struct job *job = ig->job;
	struct csvin_opts co;
	struct jsonlin_opts jo;
	struct fixedin_opts fo;
	struct xmlin_opts xo;
	int fd, e, rc;

	if ((fd = open(req->path, O_RDONLY | O_CLOEXEC)) == -1) {
		e = errno;
		return xerr_set(ig->err, e == EMFILE || e == ENFILE ||
		    e == ENOMEM || e == EIO || e == EINTR ? XERR_TEMP :
		    XERR_PERM, e, "cannot open '%s'", req->path);
	}
	/* Messages name the file as received, not its place in the spool. */
	switch (req->format) {
	case FMT_CSV:
		memset(&co, 0, sizeof(co));
		co.delim = job->inbox.delimiter;
		co.on_header = on_header;
		co.encoding = job->inbox.encoding;
		co.lenient_quotes = job->inbox.lenient_quotes;
		if (!job->inbox.header) {
			if (job->ingest.columns.n == 0) {
				rc = xerr_set(ig->err, XERR_CONFIG, 0, "%s: "
				    "header = no needs [ingest] columns",
				    job->file);
				break;
			}
			co.names = (const char *const *)job->ingest.columns.v;
			co.nnames = job->ingest.columns.n;
		}
		/* header = no is refused with these at load (job_layout.c). */
		if (layout_has(job->layouts, LAYOUT_HEADER) ||
		    layout_has(job->layouts, LAYOUT_TRAILER)) {
			layout_in_opts(ig, &fo);
			rc = fixedin_csv_read_fd(fd, req->name, &fo, on_record,
			    ig, ig->err);
			break;
		}
		rc = csvin_read_fd(fd, req->name, &co, on_record, ig, ig->err);
		break;
	case FMT_FIXED:
		layout_in_opts(ig, &fo);
		rc = fixedin_read_fd(fd, req->name, &fo, on_record, ig,
		    ig->err);
		break;
	case FMT_JSON:
	case FMT_JSONL:
		/* The job refuses encoding with format = json; a file whose
		 * name says JSON is never read as CP949 or EUC-KR. */
		if (req->format == FMT_JSON &&
		    job->inbox.encoding != TEXTENC_UTF8) {
			rc = xerr_set(ig->err, XERR_DATA, 0, "'%s': a JSON file "
			    "is UTF-8, and [inbox] encoding is %s (it applies "
			    "to csv and jsonl); set format in [inbox]",
			    req->name, textenc_name(job->inbox.encoding));
			break;
		}
		memset(&jo, 0, sizeof(jo));
		jo.encoding = job->inbox.encoding;
		rc = req->format == FMT_JSON ?
		    jsonarr_read_fd(fd, req->name, &jo, on_record, ig,
		    ig->err) :
		    jsonlin_read_fd(fd, req->name, &jo, on_record, ig,
		    ig->err);
		break;
	case FMT_XML:
		memset(&xo, 0, sizeof(xo));
		xo.root = job->inbox.xml.root;
		xo.record = job->inbox.xml.record;
		xo.attributes = job->inbox.xml.attributes;
		xo.encoding = job->inbox.encoding;
		/* [ingest] columns are the column set: a field the file adds
		 * is an error, one it lacks is NULL. */
		if (job->ingest.columns.n > 0) {
			xo.want = (const char *const *)job->ingest.columns.v;
			xo.nwant = job->ingest.columns.n;
		}
		/* The header's date is checked when the name gives one. */
		layout_in_opts(ig, &fo);
		xo.layouts = fo.layouts;
		xo.date = fo.date;
		xo.has_date = fo.has_date;
		rc = xmlin_read_fd(fd, req->name, &xo, on_record, ig, ig->err);
		break;
	default:
		rc = xerr_set(ig->err, XERR_CONFIG, 0, "'%s': unknown format",
		    req->name);
	}
	close(fd);
	if (rc == -1)
		return -1;
	if (!ig->have_names && job->ingest.columns.n > 0 &&
	    got_names(ig, (const char *const *)job->ingest.columns.v,
	    job->ingest.columns.n) == -1)
		return -1;
	if (req->expect_records >= 0 && ig->nrec != req->expect_records)
		return xerr_set(ig->err, XERR_DATA, 0, "'%s': has %lld "
		    "record%s, its manifest says %lld", req->name, ig->nrec,
		    ig->nrec == 1 ? "" : "s", req->expect_records);
	return 0;
}

/*
 * 1 when the file adds nothing to what the target holds (SPEC.md
 * section 4): append, its (name, sha256) was ingested before;
 * replace-date, it is the version applied for its date.  *records gets
 * the count stored with that version.
 */
int
ingest_is_duplicate(struct ingest *ig, long long *records)
{
	const struct ingest_req *req = ig->req;
	const struct ingest_ops *ops = ops_of(ig->job);
	struct ingest_key kn;
	int k;

	if (ops->known == NULL)
		return 0;
	if (ig->job->ingest.mode == MODE_REPLACE_DATE) {
		k = ops->known(ig, 1, &kn);
		if (k == 1 && strcmp(kn.sha256, req->sha256) != 0)
			k = 0;
	} else {
		k = ops->known(ig, 0, &kn);
	}
	if (k == 1)
		*records = kn.records;
	return k;
}

void
ingest_utc_now(char *out, size_t size)
{
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
/* After the commit: what a replace-date version did to its date. */
void
ingest_log_replaced(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	struct log_kv kv = LOG_KV_NONE;

	if (ig->deleted == 0)
		return;
	kv.file = req->name;
	kv.records = ig->nrec;
	if (ig->nrec == 0) {
		/* Maybe a day without data, maybe a sender's mistake (a
		 * glob that matched nothing): applied, as the partner's
		 * last word, but shown even under -q for cron to mail. */
		log_event_always(ig->lg, LOG_WARN, ig->job->name, ig->date,
		    "empty-version", &kv, "version '%s' (sha256 %s) has 0 "
		    "records; removed %lld row%s of %s from table '%s'",
		    req->name, req->sha256, ig->deleted, ig->deleted == 1 ?
		    "" : "s", ig->date, ig->job->ingest.table);
		return;
	}
	kv.records = ig->deleted;
	log_event(ig->lg, LOG_INFO, ig->job->name, ig->date, "replace-date",
	    &kv, "replaced %lld row%s of %s in table '%s'", ig->deleted,
	    ig->deleted == 1 ? "" : "s", ig->date, ig->job->ingest.table);
}
static int
load_none(struct ingest *ig)
{
	if (ingest_read_records(ig) == -1)
		return -1;
	ig->res = INGEST_DONE;
	return 0;
}

static const struct ingest_ops ingest_none_ops = {
	load_none, NULL, NULL, NULL, NULL, NULL, NULL,
};

/* The targets, by [ingest] type. */
static const struct ingest_ops *const targets[] = {
	[INGEST_SQLITE] = &ingest_sqlite_ops,
	[INGEST_COMMAND] = &ingest_command_ops,
	[INGEST_NONE] = &ingest_none_ops,
	[INGEST_POSTGRESQL] = &ingest_pg_ops,
	[INGEST_MYSQL] = &ingest_my_ops,
};

static const struct ingest_ops *
ops_of(const struct job *job)
{
	enum ingest_type type = job->ingest.type;

	if ((size_t)type >= sizeof(targets) / sizeof(*targets))
		return NULL;
	return targets[type];
}

static void
ingest_init(struct ingest *ig, const struct ingest_req *req,
    const struct log *lg, struct xerr *err)
{
	memset(ig, 0, sizeof(*ig));
	ig->req = req;
	ig->job = req->job;
	ig->lg = lg;
	ig->err = err;
	ig->res = INGEST_DONE;
	bdate_format(req->date, ig->date);
}

int
ingest_file(const struct ingest_req *req, enum ingest_result *res,
    long long *records, const struct log *lg, struct xerr *err)
{
	const struct ingest_ops *ops = ops_of(req->job);
	struct ingest ig;
	int rc;

	*res = INGEST_DONE;
	*records = 0;
	if (ops == NULL || ops->load == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "%s: unknown [ingest] "
		    "type", req->job->file);
	ingest_init(&ig, req, lg, err);
	rc = ops->load(&ig);
	*records = ig.nrec;
	if (rc == 0)
		*res = ig.res;
	return rc;
}

int
ingest_known(const struct ingest_req *req, long long *records,
    struct xerr *err)
{
	const struct ingest_ops *ops = ops_of(req->job);
	struct ingest ig;
	struct ingest_key kn;
	int rc;

	if (ops == NULL || ops->known == NULL)
		return 0;
	ingest_init(&ig, req, NULL, err);
	/*
	 * replace-date: only the version applied now for the date is this
	 * delivery's ingest (an older delivery of the same bytes, since
	 * replaced, is not).
	 */
	rc = ops->known(&ig, req->job->ingest.mode == MODE_REPLACE_DATE, &kn);
	if (rc != 1)
		return rc;
	if (strcmp(kn.sha256, req->sha256) != 0 || (kn.delivery != -1 &&
	    req->delivery > 0 && kn.delivery != req->delivery))
		return 0;
	if (records != NULL)
		*records = kn.records;
	return 1;
}

int
ingest_keeps_keys(const struct job *job)
{
	const struct ingest_ops *ops = ops_of(job);

	return ops != NULL && ops->known != NULL;
}

int
ingest_check(const struct job *job, check_report_fn report, void *ctx,
    struct xerr *err)
{
	const struct ingest_ops *ops = ops_of(job);

	if (ops == NULL || ops->check == NULL)
		return 0;
	return ops->check(job, report, ctx, err);
}

/* --- group commit ------------------------------------------------------ */

int
ingest_group_begin(const struct ingest_req *first, const struct log *lg,
    struct ingest_group **out, struct xerr *err)
{
	const struct ingest_ops *ops = ops_of(first->job);
	struct ingest_group *g;
	struct ingest ig;

	*out = NULL;
	if (ops == NULL || ops->group_begin == NULL || first->force)
		return 0;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return xerr_nomem(err);
	g->job = first->job;
	g->ops = ops;
	g->lg = lg;
	ingest_init(&ig, first, lg, err);
	if (ops->group_begin(g, &ig) == -1) {
		ingest_group_end(g);
		return -1;
	}
	*out = g;
	return 1;
}

int
ingest_group_file(struct ingest_group *g, const struct ingest_req *req,
    enum ingest_result *res, long long *records, struct xerr *err)
{
	struct ingest ig, *v;
	int rc;

	*res = INGEST_DONE;
	*records = 0;
	if (g->broken)
		return xerr_set(err, XERR_TEMP, 0, "the group's transaction "
		    "was rolled back");
	/* Forced loads keep their own transaction (ingest_file()). */
	if (req->force || req->job != g->job)
		return 1;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		if ((v = realloc(g->loaded, g->cap * sizeof(*v))) == NULL)
			return xerr_nomem(err);
		g->loaded = v;
	}
	ingest_init(&ig, req, g->lg, err);
	rc = g->ops->group_load(g, &ig);
	*records = ig.nrec;
	if (rc != 0)
		return rc;
	*res = ig.res;
	g->loaded[g->n++] = ig;
	return 0;
}

int
ingest_group_broken(const struct ingest_group *g)
{
	return g->broken;
}

int
ingest_group_commit(struct ingest_group *g, struct xerr *err)
{
	size_t i;

	if (g->broken)
		return xerr_set(err, XERR_TEMP, 0, "the group's transaction "
		    "was rolled back");
	if (g->ops->group_commit(g, err) == -1) {
		g->broken = 1;
		return -1;
	}
	for (i = 0; i < g->n; i++)
		if (g->loaded[i].res == INGEST_DONE)
			ingest_log_replaced(&g->loaded[i]);
	g->n = 0;
	return 0;
}

void
ingest_group_end(struct ingest_group *g)
{
	if (g == NULL)
		return;
	if (g->ops->group_end != NULL)
		g->ops->group_end(g);
	free(g->loaded);
	free(g);
}
