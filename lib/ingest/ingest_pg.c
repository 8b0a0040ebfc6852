/*
 * ingest_pg: the postgresql target (SPEC.md section 8).
 *
 * One file is one transaction on the run's connection (pgconn.h):
 *   BEGIN; the job's advisory lock (two hosts running the same job wait
 *   for each other instead of both loading); xfer_ingested and
 *   xfer_applied created when missing, in the table's schema; the
 *   duplicate rule (ingest_is_duplicate()); the replace-date DELETE; the
 *   rows through COPY table (columns) FROM STDIN in text format, streamed
 *   as the file is read; the key and applied rows; COMMIT.
 *
 * The table must exist (xfer never guesses column types) and is resolved
 * once by to_regclass(), so `table` is written as in SQL (sales,
 * shop.sales, "Sales").  A header name maps to the table column of the
 * same name, or, when there is none, to the one column whose name
 * differs only in ASCII case ("Amount" -> amount, as an unquoted name in
 * SQL would).  A name that maps to nothing fails the file before
 * anything is written.
 *
 * Values go into COPY's text format, where NULL is \N and everything
 * else is data: a JSON null or a missing JSON Lines field is NULL.  CSV
 * has no NULL, and the empty string fits only a string column (text,
 * varchar, char): an empty value (quoted or not) is the empty string
 * there and NULL in a column of any other type (numeric, date, boolean
 * ...), which is what a partner's empty field means and the only value
 * such a column could take from it.
 * The server converts the text to each column's type; a value it
 * rejects (type, constraint) fails the file with its message and the
 * file's line, found by reading the file again up to that record (COPY
 * names its own line, which is the record's number here, since every
 * record is one line of COPY's input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "db/pgconn.h"
#include "db/pgtext.h"
#include "fault.h"
#include "ingest_impl.h"

/* The first key of xfer's advisory locks ('xfer'); the second is the
 * job's hash, or 0 while creating the key tables. */
#define PG_LOCK_KEY	2020042098
/* COPY data is handed to libpq in pieces of about this size. */
#define PG_COPY_CHUNK	(256 * 1024)

/* The postgresql target's state, in ig->be. */
struct pg {
	PGconn *conn;
	const struct job_db *db;
	char *table;		/* "schema"."name", quoted */
	char *schema;		/* the table's schema, quoted */
	char *ingested;		/* "schema".xfer_ingested */
	char *applied;		/* "schema".xfer_applied */
	struct strlist tcols;	/* the table's columns */
	char *tstring;		/* per table column: 1 for a string type */
	size_t ncols;		/* the file's columns */
	char *empty_null;	/* per file column: an empty value is NULL */
	int copying;		/* COPY FROM STDIN in progress */
	int copy_failed;	/* libpq refused data: the server said why */
	int broken;		/* the connection is not usable any more */
	struct buf out;		/* COPY data not yet handed to libpq */
};

#define PG(ig) ((struct pg *)(ig)->be)

static int
pg_fail(struct ingest *ig, const PGresult *res, const char *what)
{
	struct pg *pg = PG(ig);

	if (PQstatus(pg->conn) != CONNECTION_OK)
		pg->broken = 1;
	return pgconn_fail(ig->err, pg->db, pg->conn, res, what);
}

/* Run sql with text parameters; *resp (unless NULL) gets a TUPLES_OK
 * result to PQclear. */
static int
pg_params(struct ingest *ig, const char *sql, int n, const char *const *v,
    PGresult **resp, const char *what)
{
	PGresult *res;
	ExecStatusType st;

	res = PQexecParams(PG(ig)->conn, sql, n, NULL, v, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_fail(ig, res, what);
		PQclear(res);
		return -1;
	}
	if (resp != NULL)
		*resp = res;
	else
		PQclear(res);
	return 0;
}

static int
pg_exec(struct ingest *ig, const char *sql, const char *what)
{
	return pg_params(ig, sql, 0, NULL, NULL, what);
}

static char *
quote_ident(struct ingest *ig, const char *name)
{
	char *q = PQescapeIdentifier(PG(ig)->conn, name, strlen(name)), *s;

	if (q == NULL) {
		xerr_nomem(ig->err);
		return NULL;
	}
	s = strdup(q);
	PQfreemem(q);
	if (s == NULL)
		xerr_nomem(ig->err);
	return s;
}

/* a b c into one malloc'd string; NULL on ENOMEM. */
static char *
join3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s;

	if ((s = malloc(la + lb + lc + 1)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/*
 * Resolve [ingest] table: its quoted name and schema into PG(ig).  0, 1
 * when there is no such table (err set), -1.
 */
static int
resolve_table(struct ingest *ig)
{
	const char *table = ig->job->ingest.table;
	const char *params[1] = { table };
	struct pg *pg = PG(ig);
	PGresult *res = NULL;
	int rc = -1;

	if (pg_params(ig, "SELECT quote_ident(n.nspname), "
	    "quote_ident(c.relname), c.relkind::text FROM pg_class c "
	    "JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "WHERE c.oid = to_regclass($1)", 1, params, &res,
	    "cannot look up the table") == -1)
		return -1;
	if (PQntuples(res) == 0 || (strcmp(PQgetvalue(res, 0, 2), "r") != 0 &&
	    strcmp(PQgetvalue(res, 0, 2), "p") != 0)) {
		xerr_set(ig->err, XERR_PERM, 0, "database '%s': no table '%s' "
		    "([ingest] table of %s; xfer does not create it)",
		    pgconn_name(pg->db), table, ig->job->file);
		rc = 1;
		goto out;
	}
	if ((pg->schema = strdup(PQgetvalue(res, 0, 0))) == NULL ||
	    (pg->table = join3(pg->schema, ".", PQgetvalue(res, 0, 1))) ==
	    NULL || (pg->ingested = join3(pg->schema, ".",
	    "xfer_ingested")) == NULL || (pg->applied = join3(pg->schema, ".",
	    "xfer_applied")) == NULL) {
		xerr_nomem(ig->err);
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/* The table's columns, those COPY can write (not generated ones). */
static int
table_columns(struct ingest *ig)
{
	const char *params[1] = { PG(ig)->table };
	PGresult *res = NULL;
	int i;

	if (pg_params(ig, "SELECT a.attname, t.typcategory = 'S' FROM "
	    "pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE "
	    "a.attrelid = $1::regclass AND a.attnum > 0 AND NOT "
	    "a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum", 1,
	    params, &res, "cannot read the table's columns") == -1)
		return -1;
	free(PG(ig)->tstring);
	if ((PG(ig)->tstring = calloc((size_t)PQntuples(res) + 1, 1)) ==
	    NULL) {
		PQclear(res);
		return xerr_nomem(ig->err);
	}
	for (i = 0; i < PQntuples(res); i++) {
		if (strlist_add(&PG(ig)->tcols, PQgetvalue(res, i, 0)) == -1) {
			PQclear(res);
			return xerr_nomem(ig->err);
		}
		PG(ig)->tstring[i] = PQgetvalue(res, i, 1)[0] == 't';
	}
	PQclear(res);
	return 0;
}

/* The table column name maps to: the same name, else the one column
 * equal to it but for ASCII case; NULL when none (or several). */
static const char *
map_column(const struct strlist *tcols, const char *name)
{
	const char *found = NULL;
	size_t i;

	for (i = 0; i < tcols->n; i++)
		if (strcmp(tcols->v[i], name) == 0)
			return tcols->v[i];
	for (i = 0; i < tcols->n; i++)
		if (strcasecmp(tcols->v[i], name) == 0) {
			if (found != NULL)
				return NULL;
			found = tcols->v[i];
		}
	return found;
}

/* The header is known: map it to the table and start the COPY. */
static int
pg_names(struct ingest *ig, const char *const *names, size_t n)
{
	const struct job_ingest *ing = &ig->job->ingest;
	const char *name = ig->req->name, *col;
	const char **cols = NULL;
	struct pg *pg = PG(ig);
	char *q = NULL;
	PGresult *res = NULL;
	struct buf b;
	size_t i, j;
	int rc = -1;

	free(pg->empty_null);
	if ((cols = calloc(n + 1, sizeof(*cols))) == NULL ||
	    (pg->empty_null = calloc(n + 1, 1)) == NULL) {
		free(cols);
		return xerr_nomem(ig->err);
	}
	for (i = 0; i < n; i++) {
		if ((col = map_column(&pg->tcols, names[i])) == NULL) {
			xerr_set(ig->err, XERR_DATA, 0, "'%s': table '%s' has "
			    "no column '%s'", name, ing->table, names[i]);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (cols[j] == col) {
				xerr_set(ig->err, XERR_DATA, 0, "'%s': columns "
				    "'%s' and '%s' are both column '%s' of "
				    "table '%s'", name, names[j], names[i],
				    col, ing->table);
				goto out;
			}
		cols[i] = col;
		/* CSV cannot say NULL: an empty field is one, but in a
		 * string column, where it is the empty string. */
		for (j = 0; j < pg->tcols.n; j++)
			if (pg->tcols.v[j] == col)
				pg->empty_null[i] = !pg->tstring[j];
	}
	if (ing->mode == MODE_REPLACE_DATE) {
		col = map_column(&pg->tcols, ing->date_column);
		for (i = 0; i < n && cols[i] != col; i++)
			;
		if (col == NULL || i == n) {
			xerr_set(ig->err, XERR_DATA, 0, "'%s': no column '%s', "
			    "which mode = replace-date deletes by", name,
			    ing->date_column);
			goto out;
		}
	}
	buf_init(&b, 0);
	if (buf_printf(&b, "COPY %s (", pg->table) == -1)
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((q = quote_ident(ig, cols[i])) == NULL)
			goto fail;
		if (buf_printf(&b, "%s%s", i > 0 ? ", " : "", q) == -1)
			goto nomem;
		free(q);
		q = NULL;
	}
	if (buf_puts(&b, ") FROM STDIN") == -1)
		goto nomem;
	res = PQexec(pg->conn, b.data);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		pg_fail(ig, res, "cannot start COPY");
		goto fail;
	}
	pg->copying = 1;
	pg->ncols = n;
	rc = 0;
	goto fail;
nomem:
	xerr_nomem(ig->err);
fail:
	PQclear(res);
	free(q);
	buf_release(&b);
out:
	free(cols);
	return rc;
}

/* Hand the buffered COPY data to libpq. */
static int
copy_flush(struct ingest *ig)
{
	struct pg *pg = PG(ig);

	if (pg->out.len == 0)
		return 0;
	if (PQputCopyData(pg->conn, pg->out.data, (int)pg->out.len) != 1) {
		/* The server ended the COPY (a rejected row) or the
		 * connection is gone: copy_end() tells which. */
		pg->copy_failed = 1;
		return xerr_set(ig->err, XERR_TEMP, 0, "database '%s': COPY "
		    "failed", pgconn_name(pg->db));
	}
	buf_reset(&pg->out);
	return 0;
}

static int
pg_row(struct ingest *ig, const struct record *rec)
{
	struct pg *pg = PG(ig);
	const struct value *v;
	char where[512];
	size_t i;

	if (rec->n != pg->ncols) {
		record_where(rec, where, sizeof(where));
		return xerr_set(ig->err, XERR_DATA, 0, "%s: %zu fields, the "
		    "header has %zu", where, rec->n, pg->ncols);
	}
	for (i = 0; i < rec->n; i++) {
		v = &rec->vals[i];
		if (buf_reserve(&pg->out, 2 * v->len + 3) == -1)
			return xerr_nomem(ig->err);
		if (i > 0)
			pg->out.data[pg->out.len++] = '\t';
		if (v->kind == VAL_NULL || (v->len == 0 &&
		    pg->empty_null[i])) {
			memcpy(pg->out.data + pg->out.len, "\\N", 2);
			pg->out.len += 2;
			continue;
		}
		if (memchr(v->ptr, '\0', v->len) != NULL) {
			record_where(rec, where, sizeof(where));
			return xerr_set(ig->err, XERR_DATA, 0, "%s: the value "
			    "of '%s' holds a NUL byte, which PostgreSQL text "
			    "cannot", where, rec->names[i]);
		}
		pg->out.len += pgtext_copy_escape(pg->out.data + pg->out.len,
		    v->ptr, v->len);
	}
	if (buf_putc(&pg->out, '\n') == -1)
		return xerr_nomem(ig->err);
	if (pg->out.len >= PG_COPY_CHUNK)
		return copy_flush(ig);
	return 0;
}

/* Reading the file again up to the record COPY rejected. */
struct find_line {
	unsigned long want;
	unsigned long n;
	char where[512];
};

static int
find_row(struct ingest *ig, const struct record *rec)
{
	struct find_line *f = ig->be;

	if (++f->n < f->want)
		return 0;
	record_where(rec, f->where, sizeof(f->where));
	return xerr_set(ig->err, XERR_DATA, 0, "found");
}

/* "'name':LINE" of COPY's line n, or "'name'" when it cannot be told. */
static void
file_where(struct ingest *ig, unsigned long n, char *out, size_t size)
{
	struct ingest again = *ig;
	struct find_line f;
	struct xerr scratch;

	snprintf(out, size, "'%s'", ig->req->name);
	if (n == 0)
		return;
	memset(&f, 0, sizeof(f));
	f.want = n;
	xerr_clear(&scratch);
	again.err = &scratch;
	again.be = &f;
	again.names = NULL;
	again.row = find_row;
	again.nrec = 0;
	again.have_names = 0;
	(void)ingest_read_records(&again);
	if (f.where[0] != '\0')
		snprintf(out, size, "%s", f.where);
}

/*
 * End the COPY: with ok, the data is complete and the server's verdict
 * is read; without, it is aborted.  A row the server rejected is
 * XERR_DATA with the file's line.
 */
static int
copy_end(struct ingest *ig, int ok)
{
	struct pg *pg = PG(ig);
	const char *state;
	char where[600], msg[900];
	PGresult *res;
	int rc = 0, n;

	if (!pg->copying)
		return 0;
	pg->copying = 0;
	if (ok && !pg->copy_failed && copy_flush(ig) == -1)
		ok = 0;
	if (PQputCopyEnd(pg->conn, ok && !pg->copy_failed ? NULL :
	    "the file failed") != 1 && !pg->copy_failed) {
		pg->broken = 1;
		return pg_fail(ig, NULL, "cannot end COPY");
	}
	for (n = 0; n < 100 && (res = PQgetResult(pg->conn)) != NULL; n++) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			continue;
		}
		if (PQresultStatus(res) == PGRES_COPY_IN) {
			/* Still copying: libpq could not send the end. */
			PQclear(res);
			pg->broken = 1;
			return pg_fail(ig, NULL, "cannot end COPY");
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (ok || pg->copy_failed) {
			if (pgconn_is_data_error(state)) {
				file_where(ig, pgtext_copy_line(
				    PQresultErrorField(res, PG_DIAG_CONTEXT)),
				    where, sizeof(where));
				pgconn_message(pg->conn, res, msg,
				    sizeof(msg));
				xerr_set(ig->err, XERR_DATA, 0, "%s: cannot "
				    "load into '%s': %s", where,
				    ig->job->ingest.table, msg);
			} else {
				pg_fail(ig, res, "COPY failed");
			}
		}
		rc = -1;
		PQclear(res);
	}
	if (n == 100)
		pg->broken = 1;
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		pg->broken = 1;
		if (rc == 0 || ok)
			return pg_fail(ig, NULL, "COPY failed");
	}
	return rc;
}

/*
 * The key tables, inside the transaction.  Created under a second
 * advisory lock, as two jobs loading into one database for the first
 * time would otherwise race on CREATE TABLE IF NOT EXISTS.
 */
static int
ensure_tables(struct ingest *ig)
{
	const char *params[2] = { PG(ig)->ingested, PG(ig)->applied };
	char lock[96];
	PGresult *res = NULL;
	struct buf b;
	int missing;

	if (pg_params(ig, "SELECT to_regclass($1) IS NULL OR "
	    "to_regclass($2) IS NULL", 2, params, &res,
	    "cannot look for xfer_ingested") == -1)
		return -1;
	missing = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!missing)
		return 0;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, 0)",
	    PG_LOCK_KEY);
	if (pg_exec(ig, lock, "cannot lock the key tables") == -1)
		return -1;
	buf_init(&b, 0);
	if (buf_printf(&b, "CREATE TABLE IF NOT EXISTS %s (job text, "
	    "name text, sha256 text, date text, records bigint, "
	    "ingested_at text, delivery bigint, "
	    "PRIMARY KEY (job, name, sha256)); "
	    "CREATE TABLE IF NOT EXISTS %s (job text, date text, name text, "
	    "sha256 text, records bigint, delivery bigint, applied_at text, "
	    "PRIMARY KEY (job, date))", PG(ig)->ingested,
	    PG(ig)->applied) == -1) {
		buf_release(&b);
		return xerr_nomem(ig->err);
	}
	/* Two statements: PQexec, which takes several (no parameters). */
	res = PQexec(PG(ig)->conn, b.data);
	buf_release(&b);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(ig, res, "cannot create xfer_ingested and "
		    "xfer_applied");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

static long long
value_ll(const PGresult *res, int col)
{
	if (PQgetisnull(res, 0, col))
		return -1;
	return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

/* As sqlite's lookup(): 1 and *kn, 0, -1. */
static int
lookup(struct ingest *ig, int applied, struct ingest_key *kn)
{
	const char *params[3] = { ig->job->name, NULL, NULL };
	PGresult *res = NULL;
	char sql[512];
	int rc;

	if (applied) {
		params[1] = ig->date;
		snprintf(sql, sizeof(sql), "SELECT records, delivery, sha256 "
		    "FROM %s WHERE job = $1 AND date = $2", PG(ig)->applied);
	} else {
		params[1] = ig->req->name;
		params[2] = ig->req->sha256;
		snprintf(sql, sizeof(sql), "SELECT records, delivery, sha256 "
		    "FROM %s WHERE job = $1 AND name = $2 AND sha256 = $3",
		    PG(ig)->ingested);
	}
	if (pg_params(ig, sql, applied ? 2 : 3, params, &res, applied ?
	    "cannot read xfer_applied" : "cannot read xfer_ingested") == -1)
		return -1;
	rc = PQntuples(res) > 0;
	if (rc) {
		kn->records = value_ll(res, 0);
		kn->delivery = value_ll(res, 1);
		snprintf(kn->sha256, sizeof(kn->sha256), "%s",
		    PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return rc;
}

static int
replace_date(struct ingest *ig)
{
	const struct job_ingest *ing = &ig->job->ingest;
	const char *params[1] = { ig->date };
	const char *col;
	PGresult *res = NULL;
	char *q, *sql = NULL;
	int rc;

	if (ing->mode != MODE_REPLACE_DATE)
		return 0;
	if ((col = map_column(&PG(ig)->tcols, ing->date_column)) == NULL)
		return xerr_set(ig->err, XERR_PERM, 0, "database '%s': table "
		    "'%s' has no column '%s' for mode = replace-date",
		    pgconn_name(PG(ig)->db), ing->table, ing->date_column);
	if ((q = quote_ident(ig, col)) == NULL)
		return -1;
	rc = asprintf(&sql, "DELETE FROM %s WHERE %s = $1", PG(ig)->table, q);
	free(q);
	if (rc == -1)
		return xerr_nomem(ig->err);
	rc = pg_params(ig, sql, 1, params, &res,
	    "cannot delete the date's rows");
	free(sql);
	if (rc == -1)
		return -1;
	ig->deleted = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

static int
add_key(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	char now[32], records[32], delivery[32], sql[640];
	const char *params[7];

	ingest_utc_now(now, sizeof(now));
	snprintf(records, sizeof(records), "%lld", ig->nrec);
	snprintf(delivery, sizeof(delivery), "%lld", req->delivery);
	params[0] = ig->job->name;
	params[1] = req->name;
	params[2] = req->sha256;
	params[3] = ig->date;
	params[4] = records;
	params[5] = now;
	params[6] = req->delivery > 0 ? delivery : NULL;
	/* As sqlite: one key row per (job, name, sha256), the newest
	 * ingest's; a plain append that met its key fails, never loads
	 * twice. */
	snprintf(sql, sizeof(sql), "INSERT INTO %s (job, name, sha256, date, "
	    "records, ingested_at, delivery) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7)%s", PG(ig)->ingested, req->force ||
	    ig->job->ingest.mode == MODE_REPLACE_DATE ?
	    " ON CONFLICT (job, name, sha256) DO UPDATE SET date = "
	    "EXCLUDED.date, records = EXCLUDED.records, ingested_at = "
	    "EXCLUDED.ingested_at, delivery = EXCLUDED.delivery" : "");
	return pg_params(ig, sql, 7, params, NULL,
	    "cannot record the file in xfer_ingested");
}

/* As sqlite's set_applied(). */
static int
set_applied(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	char now[32], records[32], delivery[32], sql[640];
	const char *params[7];
	int replace = ig->job->ingest.mode == MODE_REPLACE_DATE;

	ingest_utc_now(now, sizeof(now));
	snprintf(records, sizeof(records), "%lld", ig->nrec);
	snprintf(delivery, sizeof(delivery), "%lld", req->delivery);
	params[0] = ig->job->name;
	params[1] = ig->date;
	params[2] = req->name;
	params[3] = req->sha256;
	params[4] = records;
	params[5] = req->delivery > 0 ? delivery : NULL;
	params[6] = now;
	if (replace)
		snprintf(sql, sizeof(sql), "INSERT INTO %s (job, date, name, "
		    "sha256, records, delivery, applied_at) VALUES ($1, $2, "
		    "$3, $4, $5, $6, $7) ON CONFLICT (job, date) DO UPDATE SET "
		    "name = EXCLUDED.name, sha256 = EXCLUDED.sha256, "
		    "records = EXCLUDED.records, delivery = EXCLUDED.delivery, "
		    "applied_at = EXCLUDED.applied_at", PG(ig)->applied);
	else
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE job = $1 AND "
		    "date = $2", PG(ig)->applied);
	return pg_params(ig, sql, replace ? 7 : 2, params, NULL,
	    "cannot record the version in xfer_applied");
}

/* The job's lock, held to the end of the transaction. */
static int
lock_job(struct ingest *ig)
{
	const char *params[1] = { ig->job->name };
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d, "
	    "hashtext($1))", PG_LOCK_KEY);
	return pg_params(ig, sql, 1, params, NULL, "cannot lock the job");
}

static void
pg_done(struct ingest *ig)
{
	struct pg *pg = PG(ig);

	if (pg->copying)
		(void)copy_end(ig, 0);
	pgconn_release(ig->req->db, pg->conn, pg->broken);
	pg->conn = NULL;
	strlist_free(&pg->tcols);
	free(pg->tstring);
	free(pg->empty_null);
	buf_release(&pg->out);
	free(pg->table);
	free(pg->schema);
	free(pg->ingested);
	free(pg->applied);
	ig->be = NULL;
}

static int
load_pg(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	const struct job_ingest *ing = &ig->job->ingest;
	struct pg pg;
	int rc = -1, dup, k;

	memset(&pg, 0, sizeof(pg));
	pg.db = &ing->db;
	buf_init(&pg.out, 0);
	if (ing->table == NULL)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: [ingest] type = "
		    "postgresql needs table", ig->job->file);
	if (ing->mode == MODE_REPLACE_DATE && ing->date_column == NULL)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: mode = "
		    "replace-date needs date_column", ig->job->file);
	if (pgconn_get(req->db, pg.db, &pg.conn, ig->err) == -1)
		return -1;
	ig->be = &pg;
	if (pg_exec(ig, "BEGIN", "cannot begin a transaction") == -1 ||
	    lock_job(ig) == -1)
		goto out;
	if ((k = resolve_table(ig)) != 0)
		goto out;
	if (ensure_tables(ig) == -1)
		goto out;
	/* Decided under the job's lock, with the rows. */
	if (!req->force) {
		if ((dup = ingest_is_duplicate(ig, &ig->nrec)) == -1)
			goto out;
		if (dup == 1) {
			if (pg_exec(ig, "COMMIT", "cannot commit") == -1)
				goto out;
			ig->res = INGEST_DUPLICATE;
			rc = 0;
			goto out;
		}
	}
	ig->names = pg_names;
	ig->row = pg_row;
	if (table_columns(ig) == -1 || replace_date(ig) == -1)
		goto out;
	if (ingest_read_records(ig) == -1) {
		/* A rejected row: the server's word replaces libpq's. */
		if (pg.copy_failed)
			(void)copy_end(ig, 1);
		goto out;
	}
	if (copy_end(ig, 1) == -1 || add_key(ig) == -1 ||
	    set_applied(ig) == -1)
		goto out;
	FAULT_POINT("ingest_before_commit");
	if (pg_exec(ig, "COMMIT", "cannot commit") == -1)
		goto out;
	FAULT_POINT("ingest_after_commit");
	ingest_log_replaced(ig);
	ig->res = INGEST_DONE;
	rc = 0;
out:
	pg_done(ig);
	return rc;
}

/*
 * Inside load_pg()'s transaction, or on its own for reconciliation on
 * the run's connection: then a target without the table or the key
 * tables knows nothing.
 */
static int
pg_known(struct ingest *ig, int applied, struct ingest_key *kn)
{
	const char *params[1];
	struct pg pg;
	PGresult *res = NULL;
	int rc = -1, k;

	if (ig->be != NULL)
		return lookup(ig, applied, kn);
	memset(&pg, 0, sizeof(pg));
	pg.db = &ig->job->ingest.db;
	buf_init(&pg.out, 0);
	if (ig->job->ingest.table == NULL)
		return 0;
	if (pgconn_get(ig->req->db, pg.db, &pg.conn, ig->err) == -1)
		return -1;
	ig->be = &pg;
	if ((k = resolve_table(ig)) == 1) {
		xerr_clear(ig->err);
		rc = 0;
		goto out;
	}
	if (k == -1)
		goto out;
	params[0] = applied ? pg.applied : pg.ingested;
	if (pg_params(ig, "SELECT to_regclass($1) IS NOT NULL", 1, params,
	    &res, "cannot look for xfer_ingested") == -1)
		goto out;
	k = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	rc = k ? lookup(ig, applied, kn) : 0;
out:
	pg_done(ig);
	return rc;
}

/* check --connect: log in, the table and its columns, the key tables. */
static int
pg_check(const struct job *job, check_report_fn report, void *ctx,
    struct xerr *err)
{
	struct ingest_req req;
	struct ingest ig;
	struct pg pg;
	char cols[INGEST_LIST_MAX], what[INGEST_LIST_MAX + 300];
	size_t i;
	int rc = -1;

	memset(&req, 0, sizeof(req));
	req.job = job;
	req.name = "(check)";
	memset(&ig, 0, sizeof(ig));
	ig.req = &req;
	ig.job = job;
	ig.err = err;
	memset(&pg, 0, sizeof(pg));
	pg.db = &job->ingest.db;
	buf_init(&pg.out, 0);
	if (job->ingest.table == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "%s: [ingest] type = "
		    "postgresql needs table", job->file);
	if (pgconn_get(NULL, pg.db, &pg.conn, err) == -1)
		return -1;
	ig.be = &pg;
	report(ctx, 1, "logged in");
	pgconn_report(pg.conn, report, ctx);
	if (resolve_table(&ig) != 0 || table_columns(&ig) == -1)
		goto out;
	ingest_join_names(cols, sizeof(cols), (const char *const *)
	    pg.tcols.v, pg.tcols.n);
	snprintf(what, sizeof(what), "table %s (%s)", pg.table, cols);
	report(ctx, 1, what);
	for (i = 0; i < job->ingest.columns.n; i++)
		if (map_column(&pg.tcols, job->ingest.columns.v[i]) == NULL) {
			xerr_set(err, XERR_CONFIG, 0, "table '%s' has no "
			    "column '%s' ([ingest] columns)", job->ingest.table,
			    job->ingest.columns.v[i]);
			goto out;
		}
	if (job->ingest.mode == MODE_REPLACE_DATE &&
	    map_column(&pg.tcols, job->ingest.date_column) == NULL) {
		xerr_set(err, XERR_CONFIG, 0, "table '%s' has no column '%s' "
		    "(date_column)", job->ingest.table, job->ingest.date_column);
		goto out;
	}
	rc = 0;
out:
	pg_done(&ig);
	return rc;
}

/* One transaction a file (no group commit yet). */
const struct ingest_ops ingest_pg_ops = {
	load_pg, pg_known, pg_check, NULL, NULL, NULL, NULL,
};
