/*
 * ingest_sqlite: the sqlite target.  The table is created when missing,
 * with TEXT columns named by the header, so values are kept exactly as
 * received (a quoted empty CSV field is '', a JSON null is NULL).
 *
 * The write lock (BEGIN IMMEDIATE) is held while the file is read; other
 * writers wait (busy_timeout) or retry later.  SQLite compares column
 * names without regard to case, so "Amount" and "amount" are one column
 * here too.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fault.h"
#include "fsutil.h"
#include "ingest_impl.h"
#include "pattern.h"

/* The sqlite target's state, in ig->be. */
struct sq {
	char *dbpath;
	sqlite3 *db;
	struct strlist tcols;	/* the table's columns; empty: no table */
	sqlite3_stmt *ins;
};

#define SQ(ig) ((struct sq *)(ig)->be)

/* How a caller should react to an SQLite result code. */
static enum xerr_class
sql_class(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_PROTOCOL:
		return XERR_TEMP;
	case SQLITE_NOMEM:
		return XERR_NOMEM;
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return XERR_DATA;
	default:
		return XERR_PERM;
	}
}

static int
sql_fail(struct ingest *ig, int rc, const char *what)
{
	return xerr_set(ig->err, sql_class(rc), 0, "database '%s': %s: %s",
	    SQ(ig)->dbpath, what, sqlite3_errmsg(SQ(ig)->db));
}

static int
sql_exec(struct ingest *ig, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(SQ(ig)->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return sql_fail(ig, rc, what);
	return 0;
}

/* "name", its quotes doubled. */
static int
put_ident(struct buf *b, const char *name)
{
	return buf_put_ident(b, name, '"');
}

static int
has_column(const struct strlist *cols, const char *name)
{
	size_t i;

	for (i = 0; i < cols->n; i++)
		if (sqlite3_stricmp(cols->v[i], name) == 0)
			return 1;
	return 0;
}

/* The table's column names into SQ(ig)->tcols (none: no such table). */
static int
table_columns(struct ingest *ig)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *s;
	int rc;

	rc = sqlite3_prepare_v2(SQ(ig)->db, "SELECT name FROM "
	    "pragma_table_info(?1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(ig, rc, "cannot read the table's columns");
	sqlite3_bind_text(st, 1, ig->job->ingest.table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((s = sqlite3_column_text(st, 0)) == NULL ||
		    strlist_add(&SQ(ig)->tcols, (const char *)s) == -1) {
			sqlite3_finalize(st);
			return xerr_nomem(ig->err);
		}
	}
	if (rc != SQLITE_DONE) {
		sql_fail(ig, rc, "cannot read the table's columns");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* The header is known: make the table fit it and prepare the insert. */
static int
sqlite_names(struct ingest *ig, const char *const *names, size_t n)
{
	const struct job_ingest *ing = &ig->job->ingest;
	const char *name = ig->req->name;
	struct buf b;
	size_t i, j;
	int rc, limit;

	if (ing->mode == MODE_REPLACE_DATE) {
		for (i = 0; i < n; i++)
			if (sqlite3_stricmp(names[i], ing->date_column) == 0)
				break;
		if (i == n)
			return xerr_set(ig->err, XERR_DATA, 0, "'%s': no "
			    "column '%s', which mode = replace-date deletes "
			    "by", name, ing->date_column);
	}
	limit = sqlite3_limit(SQ(ig)->db, SQLITE_LIMIT_COLUMN, -1);
	if (n > (size_t)limit)
		return xerr_set(ig->err, XERR_DATA, 0, "'%s': %zu columns, "
		    "more than SQLite's limit of %d", name, n, limit);
	for (i = 1; i < n; i++)
		for (j = 0; j < i; j++)
			if (sqlite3_stricmp(names[i], names[j]) == 0)
				return xerr_set(ig->err, XERR_DATA, 0,
				    "'%s': columns '%s' and '%s' are one "
				    "column in SQLite (it ignores case)", name,
				    names[j], names[i]);
	for (i = 0; SQ(ig)->tcols.n > 0 && i < n; i++)
		if (!has_column(&SQ(ig)->tcols, names[i]))
			return xerr_set(ig->err, XERR_DATA, 0, "'%s': table "
			    "'%s' has no column '%s'", name, ing->table,
			    names[i]);

	buf_init(&b, 0);
	if (SQ(ig)->tcols.n == 0) {
		if (buf_puts(&b, "CREATE TABLE IF NOT EXISTS ") == -1 ||
		    put_ident(&b, ing->table) == -1 || buf_puts(&b, " (") == -1)
			goto nomem;
		for (i = 0; i < n; i++)
			if ((i > 0 && buf_puts(&b, ", ") == -1) ||
			    put_ident(&b, names[i]) == -1 ||
			    buf_puts(&b, " TEXT") == -1)
				goto nomem;
		if (buf_putc(&b, ')') == -1)
			goto nomem;
		if (sql_exec(ig, b.data, "cannot create the table") == -1)
			goto fail;
		buf_reset(&b);
	}
	if (buf_puts(&b, "INSERT INTO ") == -1 ||
	    put_ident(&b, ing->table) == -1 || buf_puts(&b, " (") == -1)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((i > 0 && buf_puts(&b, ", ") == -1) ||
		    put_ident(&b, names[i]) == -1)
			goto nomem;
	if (buf_puts(&b, ") VALUES (") == -1)
		goto nomem;
	for (i = 0; i < n; i++)
		if (buf_puts(&b, i > 0 ? ", ?" : "?") == -1)
			goto nomem;
	if (buf_putc(&b, ')') == -1)
		goto nomem;
	rc = sqlite3_prepare_v2(SQ(ig)->db, b.data, -1, &SQ(ig)->ins, NULL);
	if (rc != SQLITE_OK) {
		sql_fail(ig, rc, "cannot prepare the insert");
		goto fail;
	}
	buf_release(&b);
	return 0;
nomem:
	xerr_nomem(ig->err);
fail:
	buf_release(&b);
	return -1;
}

static int
insert_row(struct ingest *ig, const struct record *rec)
{
	const struct value *v;
	char where[512];
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < rec->n; i++) {
		v = &rec->vals[i];
		/* The value lives until the callback returns, and the
		 * statement is stepped and reset before that. */
		rc = v->kind == VAL_NULL ?
		    sqlite3_bind_null(SQ(ig)->ins, (int)i + 1) :
		    sqlite3_bind_text64(SQ(ig)->ins, (int)i + 1, v->ptr, v->len,
		    SQLITE_STATIC, SQLITE_UTF8);
		if (rc != SQLITE_OK)
			break;
	}
	if (i == rec->n)
		rc = sqlite3_step(SQ(ig)->ins);
	if (rc != SQLITE_DONE) {
		record_where(rec, where, sizeof(where));
		xerr_set(ig->err, sql_class(rc), 0, "%s: cannot insert into "
		    "'%s': %s", where, ig->job->ingest.table,
		    sqlite3_errmsg(SQ(ig)->db));
		sqlite3_reset(SQ(ig)->ins);
		return -1;
	}
	sqlite3_reset(SQ(ig)->ins);
	return 0;
}
/* Open SQ(ig)->dbpath. */
static int
open_db(struct ingest *ig, int flags)
{
	char *dir, *slash;
	int rc;

	/* SQLite creates the file, not its directory: a fresh target
	 * (say warehouse/sales.db) should just work. */
	if ((flags & SQLITE_OPEN_CREATE) && (dir = strdup(SQ(ig)->dbpath)) !=
	    NULL) {
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			(void)mkdir_p(dir, 0755, ig->err);
		}
		free(dir);
	}
	rc = sqlite3_open_v2(SQ(ig)->dbpath, &SQ(ig)->db, flags, NULL);
	if (rc != SQLITE_OK) {
		/* Not the file's fault: keep it and try again next run. */
		xerr_set(ig->err, rc == SQLITE_CANTOPEN ? XERR_TEMP :
		    sql_class(rc), 0, "cannot open database '%s': %s",
		    SQ(ig)->dbpath, SQ(ig)->db != NULL ? sqlite3_errmsg(SQ(ig)->db) :
		    "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(SQ(ig)->db, 1);
	sqlite3_busy_timeout(SQ(ig)->db, INGEST_BUSY_MS);
	return 0;
}

static void
close_db(struct ingest *ig)
{
	sqlite3_finalize(SQ(ig)->ins);
	SQ(ig)->ins = NULL;
	if (SQ(ig)->db != NULL && !sqlite3_get_autocommit(SQ(ig)->db))
		sqlite3_exec(SQ(ig)->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(SQ(ig)->db);
	SQ(ig)->db = NULL;
	free(SQ(ig)->dbpath);
	SQ(ig)->dbpath = NULL;
}

/* 1 if the database has that table (column NULL) or that column of it,
 * 0 if not, -1. */
static int
db_has(struct ingest *ig, const char *table, const char *column)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(SQ(ig)->db, column == NULL ?
	    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1" :
	    "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
	    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		if (column != NULL)
			sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sql_fail(ig, rc, "cannot read the schema");
}

/*
 * The key table and the applied-version table, inside the ingest's
 * transaction.  A database an older xfer made has xfer_ingested without
 * delivery and no xfer_applied: both are added here, once (the checks
 * run under the write lock), and xfer_applied starts with the newest key
 * of each (job, date), which is what replace-date left applied when a
 * version was never applied twice.
 */
static int
ensure_tables(struct ingest *ig)
{
	int k;

	if (sql_exec(ig, "CREATE TABLE IF NOT EXISTS xfer_ingested (job TEXT, "
	    "name TEXT, sha256 TEXT, date TEXT, records INTEGER, "
	    "ingested_at TEXT, delivery INTEGER, "
	    "PRIMARY KEY (job, name, sha256))",
	    "cannot create xfer_ingested") == -1)
		return -1;
	if ((k = db_has(ig, "xfer_ingested", "delivery")) == -1)
		return -1;
	if (k == 0 && sql_exec(ig, "ALTER TABLE xfer_ingested ADD COLUMN "
	    "delivery INTEGER", "cannot upgrade xfer_ingested") == -1)
		return -1;
	if ((k = db_has(ig, "xfer_applied", NULL)) != 0)
		return k == 1 ? 0 : -1;
	if (sql_exec(ig, "CREATE TABLE xfer_applied (job TEXT, date TEXT, "
	    "name TEXT, sha256 TEXT, records INTEGER, delivery INTEGER, "
	    "applied_at TEXT, PRIMARY KEY (job, date))",
	    "cannot create xfer_applied") == -1)
		return -1;
	return sql_exec(ig, "INSERT INTO xfer_applied (job, date, name, "
	    "sha256, records, delivery, applied_at) SELECT job, date, name, "
	    "sha256, records, delivery, ingested_at FROM xfer_ingested AS k "
	    "WHERE k.rowid = (SELECT n.rowid FROM xfer_ingested AS n "
	    "WHERE n.job = k.job AND n.date = k.date "
	    "ORDER BY n.ingested_at DESC, n.rowid DESC LIMIT 1)",
	    "cannot fill xfer_applied");
}

/*
 * 1 and *kn when (job, name, sha256) is in xfer_ingested (applied 0), or
 * when xfer_applied has a version for (job, date) (applied 1); 0 if not;
 * -1.  The delivery column may be missing (a read-only look at a
 * database an older xfer made).
 */
static int
lookup(struct ingest *ig, int applied, struct ingest_key *kn)
{
	const char *name = ig->req->name, *sha256 = ig->req->sha256;
	sqlite3_stmt *st = NULL;
	const unsigned char *s;
	const char *sql;
	int rc, has_delivery = 1;

	if (!applied && (has_delivery = db_has(ig, "xfer_ingested",
	    "delivery")) == -1)
		return -1;
	if (applied)
		sql = "SELECT records, delivery, sha256 FROM xfer_applied "
		    "WHERE job = ?1 AND date = ?2";
	else if (has_delivery)
		sql = "SELECT records, delivery, sha256 FROM xfer_ingested "
		    "WHERE job = ?1 AND name = ?2 AND sha256 = ?3";
	else
		sql = "SELECT records, NULL, sha256 FROM xfer_ingested "
		    "WHERE job = ?1 AND name = ?2 AND sha256 = ?3";
	rc = sqlite3_prepare_v2(SQ(ig)->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(ig, rc, applied ? "cannot read xfer_applied" :
		    "cannot read xfer_ingested");
	sqlite3_bind_text(st, 1, ig->job->name, -1, SQLITE_STATIC);
	if (applied) {
		sqlite3_bind_text(st, 2, ig->date, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		kn->records = sqlite3_column_int64(st, 0);
		kn->delivery = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 1);
		s = sqlite3_column_text(st, 2);
		snprintf(kn->sha256, sizeof(kn->sha256), "%s",
		    s ? (const char *)s : "");
	} else if (rc != SQLITE_DONE) {
		sql_fail(ig, rc, applied ? "cannot read xfer_applied" :
		    "cannot read xfer_ingested");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
replace_date(struct ingest *ig)
{
	const struct job_ingest *ing = &ig->job->ingest;
	sqlite3_stmt *st = NULL;
	struct buf b;
	int rc;

	/* A table that does not exist yet has nothing to replace. */
	if (ing->mode != MODE_REPLACE_DATE || SQ(ig)->tcols.n == 0)
		return 0;
	if (!has_column(&SQ(ig)->tcols, ing->date_column))
		return xerr_set(ig->err, XERR_PERM, 0, "database '%s': table "
		    "'%s' has no column '%s' for mode = replace-date",
		    SQ(ig)->dbpath, ing->table, ing->date_column);
	buf_init(&b, 0);
	if (buf_puts(&b, "DELETE FROM ") == -1 ||
	    put_ident(&b, ing->table) == -1 ||
	    buf_puts(&b, " WHERE ") == -1 ||
	    put_ident(&b, ing->date_column) == -1 ||
	    buf_puts(&b, " = ?1") == -1) {
		buf_release(&b);
		return xerr_nomem(ig->err);
	}
	rc = sqlite3_prepare_v2(SQ(ig)->db, b.data, -1, &st, NULL);
	buf_release(&b);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, ig->date, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		sql_fail(ig, rc, "cannot delete the date's rows");
		sqlite3_finalize(st);
		return -1;
	}
	ig->deleted = sqlite3_changes(SQ(ig)->db);
	sqlite3_finalize(st);
	return 0;
}


static void
bind_delivery(sqlite3_stmt *st, int col, long long delivery)
{
	if (delivery > 0)
		sqlite3_bind_int64(st, col, delivery);
	else
		sqlite3_bind_null(st, col);
}

static int
add_key(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	ingest_utc_now(now, sizeof(now));
	/*
	 * One key row per (job, name, sha256), with the count, time and
	 * delivery of its newest ingest: a version applied again (forced,
	 * or replace-date's A, B, A) replaces it.  A plain append never
	 * meets its key here (is_duplicate() saw to that); if it did, the
	 * insert fails rather than load rows twice.
	 */
	rc = sqlite3_prepare_v2(SQ(ig)->db, req->force ||
	    ig->job->ingest.mode == MODE_REPLACE_DATE ?
	    "INSERT OR REPLACE INTO xfer_ingested (job, name, sha256, date, "
	    "records, ingested_at, delivery) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7)" :
	    "INSERT INTO xfer_ingested (job, name, sha256, date, records, "
	    "ingested_at, delivery) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1,
	    &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, ig->job->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, req->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, req->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ig->date, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, ig->nrec);
		sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
		bind_delivery(st, 7, req->delivery);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		sql_fail(ig, rc, "cannot record the file in xfer_ingested");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * replace-date: this version is now the date's.  append: the date holds
 * the rows of every version, so no one version is applied (a job that
 * moves to replace-date later must not take its date's rows for one).
 */
static int
set_applied(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc, replace = ig->job->ingest.mode == MODE_REPLACE_DATE;

	ingest_utc_now(now, sizeof(now));
	rc = sqlite3_prepare_v2(SQ(ig)->db, replace ?
	    "INSERT OR REPLACE INTO xfer_applied (job, date, name, sha256, "
	    "records, delivery, applied_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7)" : "DELETE FROM xfer_applied WHERE job = ?1 AND date = ?2",
	    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, ig->job->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ig->date, -1, SQLITE_STATIC);
		if (replace) {
			sqlite3_bind_text(st, 3, req->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, req->sha256, -1,
			    SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, ig->nrec);
			bind_delivery(st, 6, req->delivery);
			sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
		}
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		sql_fail(ig, rc, "cannot record the version in xfer_applied");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}


/* The job's settings a load needs, checked before the database is opened. */
static int
check_settings(struct ingest *ig)
{
	const struct job_ingest *ing = &ig->job->ingest;

	if (ing->table == NULL || ing->database == NULL)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: [ingest] type = "
		    "sqlite needs database and table", ig->job->file);
	if (ing->mode == MODE_REPLACE_DATE && ing->date_column == NULL)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: mode = "
		    "replace-date needs date_column", ig->job->file);
	return 0;
}

/* Open SQ(ig)->dbpath for writing and begin: the write lock is ours. */
static int
open_and_begin(struct ingest *ig)
{
	if (open_db(ig, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) == -1)
		return -1;
	/* WAL: readers go on while a file loads; FULL: a commit survives a
	 * power cut, as the ledger assumes once it reads the key back. */
	if (sql_exec(ig, "PRAGMA journal_mode = WAL", "cannot use WAL") ==
	    -1 || sql_exec(ig, "PRAGMA synchronous = FULL",
	    "cannot set synchronous") == -1)
		return -1;
	if (sql_exec(ig, "BEGIN IMMEDIATE", "cannot begin a transaction") ==
	    -1)
		return -1;
	return ensure_tables(ig);
}

/*
 * One file inside the open transaction: the duplicate rule, then the
 * rows, its key and its version.  The table's columns and the insert
 * are the file's own (the next file may create the table or differ).
 */
static int
load_in_tx(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	int dup, rc = -1;

	strlist_free(&SQ(ig)->tcols);
	ig->res = INGEST_DONE;
	/* Decided under the write lock, with the rows: what the target
	 * holds now, not what a ledger remembers. */
	if (!req->force) {
		if ((dup = ingest_is_duplicate(ig, &ig->nrec)) == -1)
			goto out;
		if (dup == 1) {
			ig->res = INGEST_DUPLICATE;
			rc = 0;
			goto out;
		}
	}
	if (table_columns(ig) == -1 || replace_date(ig) == -1 ||
	    ingest_read_records(ig) == -1 || add_key(ig) == -1 ||
	    set_applied(ig) == -1)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(SQ(ig)->ins);
	SQ(ig)->ins = NULL;
	strlist_free(&SQ(ig)->tcols);
	return rc;
}

static int
load_sqlite(struct ingest *ig)
{
	struct sq sq;
	int rc = -1;

	memset(&sq, 0, sizeof(sq));
	ig->be = &sq;
	ig->names = sqlite_names;
	ig->row = insert_row;
	if (check_settings(ig) == -1)
		return -1;
	if (pattern_expand(ig->job->ingest.database, ig->job->name,
	    ig->req->date, &SQ(ig)->dbpath, ig->err) == -1 ||
	    open_and_begin(ig) == -1 || load_in_tx(ig) == -1)
		goto out;
	/* A duplicate loads nothing; the tables' upgrade, if any, stays. */
	if (ig->res == INGEST_DUPLICATE) {
		if (sql_exec(ig, "COMMIT", "cannot commit") == -1)
			goto out;
		rc = 0;
		goto out;
	}
	FAULT_POINT("ingest_before_commit");
	if (sql_exec(ig, "COMMIT", "cannot commit") == -1)
		goto out;
	FAULT_POINT("ingest_after_commit");
	ingest_log_replaced(ig);
	rc = 0;
out:
	close_db(ig);
	strlist_free(&sq.tcols);
	ig->be = NULL;
	return rc;
}

/* --- group commit: many files, one transaction ------------------------ */

static int
sqlite_group_begin(struct ingest_group *g, struct ingest *ig)
{
	struct sq *sq;

	if ((sq = calloc(1, sizeof(*sq))) == NULL)
		return xerr_nomem(ig->err);
	g->be = sq;
	ig->be = sq;
	if (check_settings(ig) == -1 || pattern_expand(ig->job->ingest.database,
	    ig->job->name, ig->req->date, &sq->dbpath, ig->err) == -1)
		return -1;
	return open_and_begin(ig);
}

/*
 * One file in a savepoint of the group's transaction: what it did goes
 * when it fails, what the files before it did stays.  An error SQLite
 * answers by rolling back the whole transaction (a full disk, I/O)
 * breaks the group.
 */
static int
sqlite_group_load(struct ingest_group *g, struct ingest *ig)
{
	struct sq *sq = g->be;
	char *path = NULL;
	int rc;

	if (pattern_expand(ig->job->ingest.database, ig->job->name,
	    ig->req->date, &path, ig->err) == -1)
		return -1;
	rc = strcmp(path, sq->dbpath) != 0;
	free(path);
	if (rc)
		return 1;
	ig->be = sq;
	ig->names = sqlite_names;
	ig->row = insert_row;
	if (sql_exec(ig, "SAVEPOINT xfer_file", "cannot begin the file's "
	    "savepoint") == -1) {
		g->broken = sqlite3_get_autocommit(sq->db);
		return -1;
	}
	if (load_in_tx(ig) == 0 && sql_exec(ig, "RELEASE xfer_file",
	    "cannot release the file's savepoint") == 0)
		return 0;
	if (sqlite3_get_autocommit(sq->db) ||
	    sqlite3_exec(sq->db, "ROLLBACK TO xfer_file", NULL, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_exec(sq->db, "RELEASE xfer_file", NULL, NULL, NULL) !=
	    SQLITE_OK)
		g->broken = 1;
	return -1;
}

static int
sqlite_group_commit(struct ingest_group *g, struct xerr *err)
{
	struct sq *sq = g->be;
	struct ingest ig;
	int rc;

	memset(&ig, 0, sizeof(ig));
	ig.be = sq;
	ig.err = err;
	FAULT_POINT("ingest_before_commit");
	if ((rc = sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		sql_fail(&ig, rc, "cannot commit");
		if (!sqlite3_get_autocommit(sq->db))
			sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	FAULT_POINT("ingest_after_commit");
	return 0;
}

static void
sqlite_group_end(struct ingest_group *g)
{
	struct sq *sq = g->be;
	struct ingest ig;
	struct xerr e;

	if (sq == NULL)
		return;
	memset(&ig, 0, sizeof(ig));
	ig.be = sq;
	ig.err = &e;
	close_db(&ig);
	strlist_free(&sq->tcols);
	free(sq);
	g->be = NULL;
}

/*
 * Inside load_sqlite()'s transaction, or on its own for reconciliation:
 * then the database is opened read-only, and one an older xfer made may
 * lack xfer_applied (its keys are then what that xfer committed).
 */
static int
sqlite_known(struct ingest *ig, int applied, struct ingest_key *kn)
{
	struct sq sq;
	int rc = -1;

	if (ig->be != NULL)
		return lookup(ig, applied, kn);
	memset(&sq, 0, sizeof(sq));
	ig->be = &sq;
	if (ig->job->ingest.database == NULL)
		goto out;
	if (pattern_expand(ig->job->ingest.database, ig->job->name,
	    ig->req->date, &sq.dbpath, ig->err) == -1)
		goto out;
	if (access(sq.dbpath, F_OK) == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			xerr_set(ig->err, XERR_TEMP, errno, "cannot open "
			    "database '%s'", sq.dbpath);
		goto out;
	}
	if (open_db(ig, SQLITE_OPEN_READONLY) == -1)
		goto out;
	if ((rc = db_has(ig, "xfer_ingested", NULL)) != 1)
		goto out;
	if (applied && (rc = db_has(ig, "xfer_applied", NULL)) != 1) {
		if (rc == -1)
			goto out;
		applied = 0;
	}
	rc = lookup(ig, applied, kn);
out:
	close_db(ig);
	ig->be = NULL;
	return rc;
}

const struct ingest_ops ingest_sqlite_ops = {
	load_sqlite, sqlite_known, NULL, sqlite_group_begin, sqlite_group_load,
	sqlite_group_commit, sqlite_group_end,
};

