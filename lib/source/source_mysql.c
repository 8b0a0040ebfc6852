/*
 * source_mysql.c: [source] type = mysql, MySQL or MariaDB (SPEC.md
 * section 8).
 *
 * The query runs as a server-side prepared statement in one
 * REPEATABLE READ, READ ONLY transaction started WITH CONSISTENT
 * SNAPSHOT, and its rows are fetched one at a time from the socket
 * (mysql_stmt_fetch without mysql_stmt_store_result): memory holds one
 * row, whatever the result's size.  Values are converted as myvalue.h
 * says.
 *
 * Parameters are bound, never pasted (lib/db/sqlparam.c turns :date
 * :start :end into ?).  :date is the text YYYY-MM-DD.  MySQL has no
 * literal for an instant with an offset (MariaDB drops the offset of
 * '2026-03-08T00:00:00-05:00' with a warning), and the most common
 * column type, DATETIME, is wall-clock time without a zone, read in the
 * job's zone (SPEC.md section 8).  So, for each batch date, the
 * session's time_zone is set to the job zone's UTC offset at the start
 * of the date ('+09:00' for Asia/Seoul), and :start and :end are bound
 * as the DATETIME values DATE 00:00:00 and NEXT-DATE 00:00:00.  A
 * DATETIME column compared with them selects the date exactly; a
 * TIMESTAMP column is compared as wall time in that offset, which is
 * exact on every day of 24 hours.  TIMESTAMP values come out as wall
 * time in that offset and are converted exactly (myvalue.h).
 *
 * A 23- or 25-hour day (the offset at the start of the next date is
 * another): when the server's time zone tables know the job's zone, the
 * session uses the zone by name that day, and both column types are
 * compared exactly (a TIMESTAMP value in the hour a fall-back repeats
 * is then read as a DATETIME's would be: its first occurrence).
 * Without them the fixed offset stays, right for DATETIME, and a
 * TIMESTAMP column is off by the change at :end: a warning that even
 * -q shows says so and how to load the tables.
 *
 * A run that stops early (a record refused downstream) drops the
 * connection instead of reading the rest of a large result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db/myconn.h"
#include "db/myvalue.h"
#include "db/sqlparam.h"
#include "source_impl.h"
#include "tz.h"

#define MYCOL_START	64	/* first buffer per column; grows */
#define MYTS_MAX	48	/* an ISO timestamp with fraction */
#define DAY_SECS	86400
/* The offsets both MySQL (-13:59..+14:00) and MariaDB take as time_zone. */
#define MYOFF_MIN	(-(12 * 3600 + 59 * 60))
#define MYOFF_MAX	(13 * 3600)

struct mycolbuf {
	enum myvalue_conv conv;
	unsigned decimals;
	char *data;		/* fetched bytes (text columns) */
	unsigned long cap;
	char *out;		/* converted text (hex, timestamps) */
	size_t outcap;
	MYSQL_TIME tm;
	unsigned long len;
	my_bool is_null;
	my_bool error;
};

/* The state of one run of the query. */
struct myrun {
	const struct job *job;
	struct myconn *c;
	struct sqlparam sp;
	MYSQL_STMT *st;
	MYSQL_RES *meta;
	unsigned ncol;
	struct mycolbuf *cols;
	MYSQL_BIND *rb;		/* result binds */
	const char **names;
	char ds[BDATE_STRLEN];
	MYSQL_TIME start, end;
	int fixed;		/* the session's time_zone is session_off */
	long session_off;	/* seconds east of UTC */
	MYSQL_BIND pb[SQLPARAM_MAX];
	unsigned long dslen;
};

static void
utc_time(time_t t, MYSQL_TIME *mt)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	memset(mt, 0, sizeof(*mt));
	mt->year = (unsigned)tm.tm_year + 1900;
	mt->month = (unsigned)tm.tm_mon + 1;
	mt->day = (unsigned)tm.tm_mday;
	mt->hour = (unsigned)tm.tm_hour;
	mt->minute = (unsigned)tm.tm_min;
	mt->second = (unsigned)tm.tm_sec;
	mt->time_type = MYSQL_TIMESTAMP_DATETIME;
}

/* "FILE: query in [source] fails: MESSAGE", classed by the code. */
static int
query_fail(struct myrun *r, const char *what, struct xerr *err)
{
	unsigned code = r->st ? mysql_stmt_errno(r->st) : 0;
	const char *msg = r->st ? mysql_stmt_error(r->st) : "";

	if (code == 0) {
		code = mysql_errno(r->c->my);
		msg = mysql_error(r->c->my);
	}
	return xerr_set(err, myconn_err_class(r->c, code), 0, "%s: query in "
	    "[source] "
	    "%s: database '%s': %s", r->job->file, what, r->c->name, msg);
}

/* "+09:00" for off seconds east (whole minutes). */
static void
format_offset(long off, char out[16])
{
	char sign = off < 0 ? '-' : '+';

	if (off < 0)
		off = -off;
	snprintf(out, 16, "%c%02ld:%02ld", sign, off / 3600 % 100,
	    off / 60 % 60);
}

/*
 * The session's time_zone for date: the job zone's offset at the start
 * of the date, or, on a 23- or 25-hour day, the zone by name when the
 * server knows it (see the top of the file).
 */
static int
set_zone(struct myrun *r, bdate_t date, const struct log *lg,
    struct xerr *err)
{
	const char *zone = r->job->timezone;
	char sql[320], esc[2 * 128 + 1], ds[BDATE_STRLEN], next[BDATE_STRLEN];
	char o0[16], o1[16], by[32];
	time_t t0, t1;
	long off0, off1, change;
	int fits, known = 0;

	tz_day_bounds(date, &t0, &t1);
	/* The offsets that make the wall-clock midnights the day's bounds:
	 * the offsets in effect then (or before a gap at midnight). */
	off0 = (long)((time_t)date * DAY_SECS - t0);
	off1 = (long)((time_t)(date + 1) * DAY_SECS - t1);
	fits = off0 % 60 == 0 && off0 >= MYOFF_MIN && off0 <= MYOFF_MAX;
	if ((off0 != off1 || !fits) && zone != NULL && *zone != '\0' &&
	    strlen(zone) < 128 &&
	    (known = myconn_zone_known(r->c, zone, err)) == -1)
		return -1;
	bdate_format(date, ds);
	if (known) {
		mysql_real_escape_string(r->c->my, esc, zone,
		    (unsigned long)strlen(zone));
		snprintf(sql, sizeof(sql), "SET SESSION time_zone = '%s'",
		    esc);
		r->fixed = 0;
		return myconn_exec(r->c, sql, "cannot set the session's time "
		    "zone", err);
	}
	if (!fits)
		return xerr_set(err, XERR_CONFIG, 0, "%s: %s starts at UTC "
		    "offset %+ld s in the job's zone, which a MySQL session "
		    "cannot take as a time_zone, and database '%s' has no "
		    "time zone tables for '%s': load them "
		    "(mariadb-tzinfo-to-sql /usr/share/zoneinfo | mariadb "
		    "mysql)", r->job->file, ds, off0, r->c->name,
		    zone ? zone : "(the system's zone)");
	format_offset(off0, o0);
	snprintf(sql, sizeof(sql), "SET SESSION time_zone = '%s'", o0);
	r->fixed = 1;
	r->session_off = off0;
	if (off0 != off1) {
		bdate_format(date + 1, next);
		format_offset(off1, o1);
		change = off1 > off0 ? off1 - off0 : off0 - off1;
		if (change == 3600)
			snprintf(by, sizeof(by), "one hour");
		else
			snprintf(by, sizeof(by), "%ld minutes", change / 60);
		log_event_always(lg, LOG_WARN, r->job->name, ds,
		    "dst-day", NULL, "%s has %ld hours in the job's zone "
		    "(%s, %s at its start, %s at its end): :start and :end "
		    "are bound as the wall times %s 00:00:00 and %s "
		    "00:00:00 at %s, right for a DATETIME column; a "
		    "TIMESTAMP column compared with :start/:end is off by %s "
		    "this day, because database '%s' has no time zone tables "
		    "for '%s': load them (mariadb-tzinfo-to-sql "
		    "/usr/share/zoneinfo | mariadb mysql)", ds,
		    (long)((t1 - t0) / 3600), zone ? zone : "the system's",
		    o0, o1, ds, next, o0, by, r->c->name,
		    zone ? zone : "(the system's zone; set timezone)");
	}
	return myconn_exec(r->c, sql, "cannot set the session's time zone",
	    err);
}

/* Rewrite the query, prepare it and bind its parameters. */
static int
prepare(struct myrun *r, bdate_t date, struct xerr *err)
{
	char start[SOURCE_TS_MAX], end[SOURCE_TS_MAX];
	int i;

	if (sqlparam_rewrite(r->job->source.query, SQLPARAM_QMARK, &r->sp,
	    err) == -1)
		return xerr_prefix(err, "%s: query in [source]",
		    r->job->file);
	source_date_params(date, r->ds, start, end);
	r->dslen = (unsigned long)strlen(r->ds);
	/* Wall-clock midnights, read in the session's zone (set_zone). */
	utc_time((time_t)date * DAY_SECS, &r->start);
	utc_time((time_t)(date + 1) * DAY_SECS, &r->end);
	if ((r->st = mysql_stmt_init(r->c->my)) == NULL)
		return xerr_nomem(err);
	if (mysql_stmt_prepare(r->st, r->sp.sql, strlen(r->sp.sql)) != 0)
		return query_fail(r, "fails", err);
	if (mysql_stmt_param_count(r->st) != (unsigned long)r->sp.n)
		return xerr_set(err, XERR_CONFIG, 0, "%s: query in [source] "
		    "has %lu placeholders, of which %d are :date, :start or "
		    ":end; a bare ? is not a parameter xfer fills",
		    r->job->file, mysql_stmt_param_count(r->st), r->sp.n);
	memset(r->pb, 0, sizeof(r->pb));
	for (i = 0; i < r->sp.n; i++) {
		if (r->sp.which[i] == SQLPARAM_DATE) {
			r->pb[i].buffer_type = MYSQL_TYPE_STRING;
			r->pb[i].buffer = r->ds;
			r->pb[i].buffer_length = r->dslen;
			r->pb[i].length = &r->dslen;
		} else {
			r->pb[i].buffer_type = MYSQL_TYPE_DATETIME;
			r->pb[i].buffer = r->sp.which[i] == SQLPARAM_START ?
			    &r->start : &r->end;
			r->pb[i].buffer_length = sizeof(MYSQL_TIME);
		}
	}
	if (r->sp.n > 0 && mysql_stmt_bind_param(r->st, r->pb) != 0)
		return query_fail(r, "cannot bind its parameters", err);
	if ((r->meta = mysql_stmt_result_metadata(r->st)) == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "%s: query in [source] "
		    "returns no rows (not a SELECT)", r->job->file);
	r->ncol = mysql_num_fields(r->meta);
	return 0;
}

/* Result buffers for every column. */
static int
bind_results(struct myrun *r, struct xerr *err)
{
	MYSQL_FIELD *f = mysql_fetch_fields(r->meta);
	struct mycolbuf *cb;
	MYSQL_BIND *b;
	unsigned i;

	r->cols = calloc(r->ncol + 1, sizeof(*r->cols));
	r->rb = calloc(r->ncol + 1, sizeof(*r->rb));
	r->names = calloc(r->ncol + 1, sizeof(*r->names));
	if (r->cols == NULL || r->rb == NULL || r->names == NULL)
		return xerr_nomem(err);
	for (i = 0; i < r->ncol; i++) {
		cb = &r->cols[i];
		b = &r->rb[i];
		r->names[i] = f[i].name;
		cb->conv = myvalue_conv_of(f[i].type, f[i].charsetnr);
		cb->decimals = f[i].decimals;
		b->is_null = &cb->is_null;
		b->error = &cb->error;
		b->length = &cb->len;
		if (cb->conv == MYV_INSTANT || cb->conv == MYV_WALL) {
			b->buffer_type = MYSQL_TYPE_DATETIME;
			b->buffer = &cb->tm;
			b->buffer_length = sizeof(cb->tm);
			continue;
		}
		cb->cap = MYCOL_START;
		if ((cb->data = malloc(cb->cap)) == NULL)
			return xerr_nomem(err);
		b->buffer_type = cb->conv == MYV_HEX ? MYSQL_TYPE_BLOB :
		    MYSQL_TYPE_STRING;
		b->buffer = cb->data;
		b->buffer_length = cb->cap;
	}
	if (mysql_stmt_bind_result(r->st, r->rb) != 0)
		return query_fail(r, "cannot bind its columns", err);
	return 0;
}

/* After MYSQL_DATA_TRUNCATED: fetch the columns that did not fit into
 * buffers that do. */
static int
refetch(struct myrun *r, struct xerr *err)
{
	struct mycolbuf *cb;
	unsigned i, grown = 0;
	char *p;

	for (i = 0; i < r->ncol; i++) {
		cb = &r->cols[i];
		if (!cb->error || cb->data == NULL || cb->len < cb->cap)
			continue;
		if (cb->len >= 0x7fffffffUL ||
		    (p = realloc(cb->data, cb->len + 1)) == NULL)
			return xerr_nomem(err);
		cb->data = p;
		cb->cap = cb->len + 1;
		r->rb[i].buffer = cb->data;
		r->rb[i].buffer_length = cb->cap;
		if (mysql_stmt_fetch_column(r->st, &r->rb[i], i, 0) != 0)
			return query_fail(r, "cannot read a value", err);
		grown = 1;
	}
	/* The next rows go into the grown buffers. */
	if (grown && mysql_stmt_bind_result(r->st, r->rb) != 0)
		return query_fail(r, "cannot bind its columns", err);
	return 0;
}

/* Column i of the current row into v. */
static int
convert(struct myrun *r, unsigned i, struct value *v, unsigned long recno,
    struct xerr *err)
{
	struct mycolbuf *cb = &r->cols[i];
	size_t need;
	char *p;
	int n;

	if (cb->is_null) {
		v->kind = VAL_NULL;
		v->ptr = "";
		v->len = 0;
		return 0;
	}
	switch (cb->conv) {
	case MYV_INSTANT:
	case MYV_WALL:
		if (cb->outcap < MYTS_MAX) {
			if ((p = realloc(cb->out, MYTS_MAX)) == NULL)
				return xerr_nomem(err);
			cb->out = p;
			cb->outcap = MYTS_MAX;
		}
		n = myvalue_datetime(&cb->tm, cb->conv == MYV_INSTANT &&
		    r->fixed ? &r->session_off : NULL, cb->decimals, cb->out,
		    cb->outcap);
		if (n < 0)
			return xerr_set(err, XERR_DATA, 0, "database '%s', "
			    "record %lu: column '%s' holds %04u-%02u-%02u "
			    "%02u:%02u:%02u, which is no point in time",
			    r->c->name, recno, r->names[i], cb->tm.year,
			    cb->tm.month, cb->tm.day, cb->tm.hour,
			    cb->tm.minute, cb->tm.second);
		v->kind = VAL_TEXT;
		v->ptr = cb->out;
		v->len = (size_t)n;
		return 0;
	case MYV_HEX:
		need = 2 * (size_t)cb->len + 1;
		if (cb->outcap < need) {
			if ((p = realloc(cb->out, need)) == NULL)
				return xerr_nomem(err);
			cb->out = p;
			cb->outcap = need;
		}
		myvalue_hex((const unsigned char *)cb->data, cb->len, cb->out);
		v->kind = VAL_TEXT;
		v->ptr = cb->out;
		v->len = need - 1;
		return 0;
	default:
		cb->data[cb->len] = '\0';
		v->kind = cb->conv == MYV_NUMBER ? VAL_NUMBER : VAL_TEXT;
		v->ptr = cb->data;
		v->len = cb->len;
		return 0;
	}
}

static void
run_free(struct myrun *r)
{
	unsigned i;

	if (r->meta != NULL)
		mysql_free_result(r->meta);
	if (r->st != NULL)
		mysql_stmt_close(r->st);
	for (i = 0; r->cols != NULL && i < r->ncol; i++) {
		free(r->cols[i].data);
		free(r->cols[i].out);
	}
	free(r->cols);
	free(r->rb);
	free(r->names);
	sqlparam_free(&r->sp);
}

int
source_my_run(const struct job *job, bdate_t date,
    const struct source_req *req, record_fn fn, void *ctx,
    const struct log *lg, struct xerr *err)
{
	struct value *vals = NULL;
	struct record rec;
	struct myrun r;
	int *map = NULL, rc = -1, broken = 0, in_tx = 0, f;
	size_t nout, i;

	memset(&r, 0, sizeof(r));
	r.job = job;
	if (myconn_get(req->db, &job->source.db, MYCONN_SOURCE, &r.c, err) ==
	    -1)
		return -1;
	if (set_zone(&r, date, lg, err) == -1 ||
	    myconn_exec(r.c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE "
	    "READ", "cannot set the isolation level", err) == -1 ||
	    myconn_exec(r.c, "START TRANSACTION WITH CONSISTENT SNAPSHOT, "
	    "READ ONLY", "cannot begin a transaction", err) == -1)
		goto out;
	in_tx = 1;
	if (prepare(&r, date, err) == -1 || bind_results(&r, err) == -1)
		goto out;
	if (source_project(job, req, r.names, r.ncol, &map, &nout, err) == -1)
		goto out;
	if ((vals = calloc(nout + 1, sizeof(*vals))) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (req->on_header && req->on_header(ctx, r.c->name, r.names, r.ncol,
	    err) == -1)
		goto out;
	if (mysql_stmt_execute(r.st) != 0) {
		query_fail(&r, "fails", err);
		goto out;
	}
	/* From here until the last row, the connection is the result's:
	 * leaving early means dropping it. */
	broken = 1;
	memset(&rec, 0, sizeof(rec));
	rec.n = nout;
	rec.vals = vals;
	rec.names = req->want ? req->want : r.names;
	rec.file = r.c->name;
	for (;;) {
		f = mysql_stmt_fetch(r.st);
		if (f == MYSQL_NO_DATA)
			break;
		if (f == 1) {
			query_fail(&r, "failed", err);
			goto out;
		}
		if (f == MYSQL_DATA_TRUNCATED && refetch(&r, err) == -1)
			goto out;
		rec.recno++;
		for (i = 0; i < nout; i++)
			if (convert(&r, (unsigned)map[i], &vals[i], rec.recno,
			    err) == -1)
				goto out;
		if (fn(ctx, &rec, err) == -1)
			goto out;
	}
	broken = 0;
	in_tx = 0;
	if (myconn_exec(r.c, "COMMIT", "cannot end the transaction", err) ==
	    -1)
		goto out;
	rc = 0;
out:
	/*
	 * Closing a statement whose rows are still coming reads them all;
	 * closing the connection first does not (the statement is then
	 * detached, and closing it only frees it).
	 */
	if (broken) {
		myconn_release(req->db, r.c, broken);
		run_free(&r);
	} else {
		run_free(&r);
		if (in_tx && mysql_query(r.c->my, "ROLLBACK") != 0)
			broken = 1;
		myconn_release(req->db, r.c, broken);
	}
	free(map);
	free(vals);
	return rc;
}

int
source_my_check(const struct job *job, check_report_fn report,
    void *ctx, struct xerr *err)
{
	char what[512];
	struct myrun r;
	struct buf b;
	unsigned i;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.job = job;
	if (myconn_get(NULL, &job->source.db, MYCONN_SOURCE, &r.c, err) == -1)
		return -1;
	myconn_report(r.c, report, ctx);
	if (job->timezone != NULL && *job->timezone != '\0') {
		int known = myconn_zone_known(r.c, job->timezone, err);

		if (known == -1)
			goto out;
		snprintf(what, sizeof(what), known ? "time zone tables know "
		    "'%.200s' (23- and 25-hour days exact)" : "no time zone "
		    "tables for '%.200s': on 23- and 25-hour days a TIMESTAMP "
		    "column compared with :start/:end is off by the change",
		    job->timezone);
		report(ctx, 1, what);
	}
	if (prepare(&r, tz_date_of(time(NULL)), err) == -1)
		goto out;
	buf_init(&b, 0);
	for (i = 0; i < r.ncol; i++)
		if ((i > 0 && buf_puts(&b, ", ") == -1) ||
		    buf_puts(&b, mysql_fetch_fields(r.meta)[i].name) == -1) {
			buf_release(&b);
			xerr_nomem(err);
			goto out;
		}
	snprintf(what, sizeof(what), "query prepares: %u column%s (%.400s)",
	    r.ncol, r.ncol == 1 ? "" : "s", b.data ? b.data : "");
	buf_release(&b);
	report(ctx, 1, what);
	rc = 0;
out:
	run_free(&r);
	myconn_release(NULL, r.c, 0);
	return rc;
}
