/*
 * source_pg.c: [source] type = postgresql (SPEC.md section 8).
 *
 * The query runs in one BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY
 * transaction on the run's connection (pgconn.h), through a cursor:
 * COPY (query) TO STDOUT cannot take bind parameters, and :date :start
 * :end are bound ($N, sqlparam.h), never pasted.  Rows come in batches
 * of PG_FETCH_ROWS, so memory is one batch whatever the result's size;
 * the next batch is asked for (pipeline mode) before the current one is
 * handed on, so the server produces while xfer aggregates and writes.
 *
 * Values, from the text the server sends (the session has DateStyle ISO,
 * the job's TimeZone, bytea_output hex):
 * - NULL: VAL_NULL (an empty CSV field, JSON null);
 * - integer, numeric, real, double: VAL_NUMBER with the server's exact
 *   text (NaN and the infinities, not numbers in JSON, are VAL_TEXT);
 * - boolean: VAL_BOOL, true or false;
 * - timestamptz: ISO 8601 with the offset of the job's zone,
 *   2026-11-20T09:30:00+09:00; timestamp the same without an offset;
 *   infinity, BC dates and years after 9999 keep the server's text;
 * - json, jsonb: VAL_RAW, the document made compact (whitespace outside
 *   strings removed), so JSON output nests it;
 * - bytea: VAL_TEXT, PostgreSQL's hex form \x0a1b...;
 * - everything else (text, date, uuid, interval, arrays ...): VAL_TEXT,
 *   the server's text.
 */
#include "source_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pgconn.h"
#include "db/pgtext.h"
#include "db/sqlparam.h"

/* Rows per FETCH: about 1 MB for a narrow row. */
#define PG_FETCH_ROWS	10000

/* Type OIDs (pg_type.h is the server's, not libpq's). */
#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_OID		26
#define OID_JSON	114
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_TIMESTAMP	1114
#define OID_TIMESTAMPTZ	1184
#define OID_NUMERIC	1700
#define OID_JSONB	3802

enum pgkind { PK_TEXT, PK_NUMBER, PK_BOOL, PK_TS, PK_JSON };

static enum pgkind
kind_of(Oid type)
{
	switch (type) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return PK_NUMBER;
	case OID_BOOL:
		return PK_BOOL;
	case OID_TIMESTAMP:
	case OID_TIMESTAMPTZ:
		return PK_TS;
	case OID_JSON:
	case OID_JSONB:
		return PK_JSON;
	default:
		return PK_TEXT;
	}
}

/* The run of one query: what each batch of rows needs. */
struct pgrun {
	const struct job *job;
	const struct source_req *req;
	record_fn fn;
	void *ctx;
	int ncol;
	const char **names;
	int *map;		/* output field -> column */
	size_t nout;
	enum pgkind *kinds;	/* per output field */
	struct value *vals;
	char *ts;		/* per output field, PGTEXT_TS_MAX bytes */
	struct record rec;
};

static void
pgrun_free(struct pgrun *r)
{
	free(r->names);
	free(r->map);
	free(r->kinds);
	free(r->vals);
	free(r->ts);
}

/* The first batch: the query's columns, projected. */
static int
columns(struct pgrun *r, const PGresult *res, const char *dbname,
    struct xerr *err)
{
	size_t i;

	r->ncol = PQnfields(res);
	if ((r->names = calloc((size_t)r->ncol + 1, sizeof(*r->names))) ==
	    NULL)
		return xerr_nomem(err);
	for (i = 0; i < (size_t)r->ncol; i++)
		r->names[i] = PQfname(res, (int)i);
	if (source_project(r->job, r->req, r->names, (size_t)r->ncol, &r->map,
	    &r->nout, err) == -1)
		return -1;
	if ((r->kinds = calloc(r->nout + 1, sizeof(*r->kinds))) == NULL ||
	    (r->vals = calloc(r->nout + 1, sizeof(*r->vals))) == NULL ||
	    (r->ts = malloc((r->nout + 1) * PGTEXT_TS_MAX)) == NULL)
		return xerr_nomem(err);
	for (i = 0; i < r->nout; i++)
		r->kinds[i] = kind_of(PQftype(res, r->map[i]));
	if (r->req->on_header && r->req->on_header(r->ctx, dbname, r->names,
	    (size_t)r->ncol, err) == -1)
		return -1;
	memset(&r->rec, 0, sizeof(r->rec));
	r->rec.n = r->nout;
	r->rec.vals = r->vals;
	r->rec.names = r->req->want ? r->req->want : r->names;
	r->rec.file = dbname;
	return 0;
}

static int
not_a_json_number(const char *s)
{
	/* NaN, Infinity, -Infinity (float and numeric). */
	return s[0] == 'N' || s[0] == 'I' || (s[0] == '-' && s[1] == 'I');
}

/* Hand on every row of one batch. */
static int
push_rows(struct pgrun *r, PGresult *res, struct xerr *err)
{
	int nrows = PQntuples(res), row, col;
	struct value *v;
	char *s, *ts;
	size_t i, len;

	for (row = 0; row < nrows; row++) {
		r->rec.recno++;
		for (i = 0; i < r->nout; i++) {
			col = r->map[i];
			v = &r->vals[i];
			if (PQgetisnull(res, row, col)) {
				v->ptr = "";
				v->len = 0;
				v->kind = VAL_NULL;
				continue;
			}
			s = PQgetvalue(res, row, col);
			len = (size_t)PQgetlength(res, row, col);
			v->ptr = s;
			v->len = len;
			v->kind = VAL_TEXT;
			switch (r->kinds[i]) {
			case PK_NUMBER:
				if (!not_a_json_number(s))
					v->kind = VAL_NUMBER;
				break;
			case PK_BOOL:
				v->kind = VAL_BOOL;
				v->ptr = s[0] == 't' ? "true" : "false";
				v->len = s[0] == 't' ? 4 : 5;
				break;
			case PK_TS:
				ts = r->ts + i * PGTEXT_TS_MAX;
				if ((len = pgtext_timestamp(s, len, ts)) > 0) {
					v->ptr = ts;
					v->len = len;
				}
				break;
			case PK_JSON:
				v->len = pgtext_json_compact(s, len);
				v->kind = VAL_RAW;
				break;
			case PK_TEXT:
				break;
			}
		}
		if (r->fn(r->ctx, &r->rec, err) == -1)
			return -1;
	}
	return 0;
}

#define PG_FETCH	"FETCH FORWARD 10000 FROM xfer_c"

/* Pipeline mode: FETCH n+1 is on its way while batch n is handed on;
 * each FETCH is followed by a sync point, so a failed one ends there. */
static int
send_fetch(PGconn *conn)
{
	return PQsendQueryParams(conn, PG_FETCH, 0, NULL, NULL, NULL, NULL,
	    0) == 1 && PQpipelineSync(conn) == 1 ? 0 : -1;
}

/*
 * The results of one FETCH up to its sync point: *resp gets its rows (to
 * PQclear), or NULL with err set.  *synced says the sync point was met
 * (else the connection is of no more use).
 */
static int
read_fetch(PGconn *conn, const struct job *job, PGresult **resp,
    int *synced, struct xerr *err)
{
	PGresult *res, *rows = NULL;
	char what[600];
	int i, rc = 0;

	*resp = NULL;
	*synced = 0;
	/* TUPLES_OK, NULL, PIPELINE_SYNC; an error instead of the rows. */
	for (i = 0; i < 8; i++) {
		res = PQgetResult(conn);
		if (res == NULL) {
			if (PQstatus(conn) != CONNECTION_OK)
				break;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_TUPLES_OK:
			if (rows == NULL) {
				rows = res;
				continue;
			}
			break;
		case PGRES_PIPELINE_SYNC:
			PQclear(res);
			*synced = 1;
			if (rc == 0 && rows == NULL)
				return pgconn_fail(err, &job->source.db, conn,
				    NULL, "the query's rows did not come");
			if (rc == -1)
				PQclear(rows);
			else
				*resp = rows;
			return rc;
		default:
			if (rc == 0) {
				snprintf(what, sizeof(what), "query in "
				    "[source] of %s failed", job->file);
				pgconn_fail(err, &job->source.db, conn, res,
				    what);
			}
			rc = -1;
			break;
		}
		PQclear(res);
	}
	PQclear(rows);
	if (rc == 0)
		pgconn_fail(err, &job->source.db, conn, NULL,
		    "the query's rows did not come");
	return -1;
}

/* Leave pipeline mode, waiting out a FETCH still on its way. */
static int
end_pipeline(PGconn *conn, int inflight)
{
	PGresult *res;
	int synced, i;

	for (synced = !inflight, i = 0; !synced && i < 8; i++) {
		if ((res = PQgetResult(conn)) == NULL) {
			if (PQstatus(conn) != CONNECTION_OK)
				return -1;
			continue;
		}
		synced = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
		PQclear(res);
	}
	return synced && PQexitPipelineMode(conn) == 1 ? 0 : -1;
}

/* Every batch of the open cursor xfer_c. */
static int
fetch_all(PGconn *conn, struct pgrun *r, const char *dbname, int *broken,
    struct xerr *err)
{
	PGresult *res = NULL;
	int inflight = 0, synced, more, rc = -1, first = 1;

	if (PQenterPipelineMode(conn) != 1) {
		*broken = 1;
		return pgconn_fail(err, &r->job->source.db, conn, NULL,
		    "cannot enter pipeline mode");
	}
	if (send_fetch(conn) == -1) {
		pgconn_fail(err, &r->job->source.db, conn, NULL,
		    "cannot fetch the query's rows");
		goto out;
	}
	inflight = 1;
	for (;;) {
		inflight = 0;
		if (read_fetch(conn, r->job, &res, &synced, err) == -1) {
			if (!synced)
				*broken = 1;
			goto out;
		}
		if (first && columns(r, res, dbname, err) == -1)
			goto out;
		first = 0;
		/* A short batch is the last: nothing more to ask for. */
		more = PQntuples(res) == PG_FETCH_ROWS;
		if (more) {
			if (send_fetch(conn) == -1) {
				pgconn_fail(err, &r->job->source.db, conn,
				    NULL, "cannot fetch the query's rows");
				goto out;
			}
			inflight = 1;
		}
		if (push_rows(r, res, err) == -1)
			goto out;
		PQclear(res);
		res = NULL;
		if (!more)
			break;
	}
	rc = 0;
out:
	PQclear(res);
	if (!*broken && end_pipeline(conn, inflight) == -1)
		*broken = 1;
	return rc;
}

int
source_pg_run(const struct job *job, bdate_t date,
    const struct source_req *req, record_fn fn, void *ctx,
    const struct log *lg, struct xerr *err)
{
	const struct job_db *db = &job->source.db;
	char ds[BDATE_STRLEN], start[SOURCE_TS_MAX], end[SOURCE_TS_MAX];
	char *declare = NULL, what[600];
	const char *values[SQLPARAM_MAX];
	struct sqlparam sp;
	struct pgrun r;
	PGconn *conn = NULL;
	PGresult *res;
	int i, rc = -1, broken = 0;

	(void)lg;
	memset(&sp, 0, sizeof(sp));
	memset(&r, 0, sizeof(r));
	r.job = job;
	r.req = req;
	r.fn = fn;
	r.ctx = ctx;
	source_date_params(date, ds, start, end);
	if (job->source.query == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "%s: [source] type = "
		    "postgresql needs query", job->file);
	if (sqlparam_rewrite(job->source.query, SQLPARAM_DOLLAR, &sp,
	    err) == -1)
		return xerr_prefix(err, "%s: query in [source]", job->file);
	for (i = 0; i < sp.n; i++)
		values[i] = sp.which[i] == SQLPARAM_DATE ? ds :
		    sp.which[i] == SQLPARAM_START ? start : end;
	if (asprintf(&declare, "DECLARE xfer_c NO SCROLL CURSOR FOR %s",
	    sp.sql) == -1) {
		declare = NULL;
		xerr_nomem(err);
		goto out;
	}
	if (pgconn_get(req->db, db, &conn, err) == -1)
		goto out;
	if (pgconn_exec(conn, db, "BEGIN ISOLATION LEVEL REPEATABLE READ "
	    "READ ONLY", "cannot begin a transaction", err) == -1)
		goto out;
	res = PQexecParams(conn, declare, sp.n, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(what, sizeof(what), "query in [source] of %s fails",
		    job->file);
		pgconn_fail(err, db, conn, res, what);
		PQclear(res);
		goto out;
	}
	PQclear(res);
	if (fetch_all(conn, &r, pgconn_name(db), &broken, err) == -1)
		goto out;
	if (pgconn_exec(conn, db, "COMMIT", "cannot end the transaction",
	    err) == -1)
		goto out;
	rc = 0;
out:
	pgconn_release(req->db, conn, broken);
	pgrun_free(&r);
	sqlparam_free(&sp);
	free(declare);
	return rc;
}

int
source_pg_check(const struct job *job, check_report_fn report,
    void *ctx, struct xerr *err)
{
	const struct job_db *db = &job->source.db;
	struct sqlparam sp;
	PGconn *conn = NULL;
	PGresult *res;
	char what[600];
	int rc = -1;

	memset(&sp, 0, sizeof(sp));
	if (job->source.query == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "%s: [source] type = "
		    "postgresql needs query", job->file);
	if (sqlparam_rewrite(job->source.query, SQLPARAM_DOLLAR, &sp,
	    err) == -1)
		return xerr_prefix(err, "%s: query in [source]", job->file);
	if (pgconn_get(NULL, db, &conn, err) == -1)
		goto out;
	report(ctx, 1, "logged in");
	pgconn_report(conn, report, ctx);
	res = PQprepare(conn, "", sp.sql, sp.n, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(what, sizeof(what), "query in [source] of %s fails",
		    job->file);
		pgconn_fail(err, db, conn, res, what);
		PQclear(res);
		goto out;
	}
	PQclear(res);
	snprintf(what, sizeof(what), "query prepared (%d parameter%s)", sp.n,
	    sp.n == 1 ? "" : "s");
	report(ctx, 1, what);
	rc = 0;
out:
	pgconn_release(NULL, conn, 0);
	sqlparam_free(&sp);
	return rc;
}
