/*
 * ingest: verify one received file and load it into its target, once.
 *
 * sqlite reads the file once, inside the transaction: rows go in as the
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
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "csvin.h"
#include "digest.h"
#include "fault.h"
#include "jsonlin.h"
#include "fsutil.h"
#include "pattern.h"
#include "proc.h"
#include "record.h"
#include "strlist.h"

#define INGEST_BUSY_MS		30000
#define INGEST_EXIT_LATER	75
/* Column lists in messages are cut to this many bytes. */
#define INGEST_LIST_MAX		300

struct ingest {
	const struct ingest_req *req;
	const struct job *job;
	const struct log *lg;
	struct xerr *err;
	char date[BDATE_STRLEN];
	enum ingest_result res;
	long long nrec;
	int have_names;

	/* sqlite */
	char *dbpath;
	sqlite3 *db;
	struct strlist tcols;	/* the table's columns; empty: no table */
	sqlite3_stmt *ins;
	int deleted;		/* replace-date: rows deleted */
};

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
	    ig->dbpath, what, sqlite3_errmsg(ig->db));
}

static int
sql_exec(struct ingest *ig, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(ig->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return sql_fail(ig, rc, what);
	return 0;
}

/* "name" with its quotes doubled: safe for any name without a NUL. */
static int
put_ident(struct buf *b, const char *name)
{
	const char *q;

	if (buf_putc(b, '"') == -1)
		return -1;
	while ((q = strchr(name, '"')) != NULL) {
		if (buf_append(b, name, (size_t)(q - name + 1)) == -1 ||
		    buf_putc(b, '"') == -1)
			return -1;
		name = q + 1;
	}
	if (buf_puts(b, name) == -1 || buf_putc(b, '"') == -1)
		return -1;
	return 0;
}

/* "a, b, c" into out, cut with "..." when it does not fit. */
static void
join_names(char *out, size_t size, const char *const *names, size_t n)
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
has_column(const struct strlist *cols, const char *name)
{
	size_t i;

	for (i = 0; i < cols->n; i++)
		if (sqlite3_stricmp(cols->v[i], name) == 0)
			return 1;
	return 0;
}

/* The table's column names into ig->tcols (none: no such table). */
static int
table_columns(struct ingest *ig)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *s;
	int rc;

	rc = sqlite3_prepare_v2(ig->db, "SELECT name FROM "
	    "pragma_table_info(?1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(ig, rc, "cannot read the table's columns");
	sqlite3_bind_text(st, 1, ig->job->ingest.table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((s = sqlite3_column_text(st, 0)) == NULL ||
		    strlist_add(&ig->tcols, (const char *)s) == -1) {
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
	limit = sqlite3_limit(ig->db, SQLITE_LIMIT_COLUMN, -1);
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
	for (i = 0; ig->tcols.n > 0 && i < n; i++)
		if (!has_column(&ig->tcols, names[i]))
			return xerr_set(ig->err, XERR_DATA, 0, "'%s': table "
			    "'%s' has no column '%s'", name, ing->table,
			    names[i]);

	buf_init(&b, 0);
	if (ig->tcols.n == 0) {
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
	rc = sqlite3_prepare_v2(ig->db, b.data, -1, &ig->ins, NULL);
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
		join_names(have, sizeof(have), names, n);
		join_names(exp, sizeof(exp), (const char *const *)want->v,
		    want->n);
		return xerr_set(ig->err, XERR_DATA, 0, "'%s': columns are "
		    "(%s), expected (%s) ([ingest] columns)", ig->req->name,
		    have, exp);
	}
	if (ig->db != NULL && sqlite_names(ig, names, n) == -1)
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
		    sqlite3_bind_null(ig->ins, (int)i + 1) :
		    sqlite3_bind_text64(ig->ins, (int)i + 1, v->ptr, v->len,
		    SQLITE_STATIC, SQLITE_UTF8);
		if (rc != SQLITE_OK)
			break;
	}
	if (i == rec->n)
		rc = sqlite3_step(ig->ins);
	if (rc != SQLITE_DONE) {
		record_where(rec, where, sizeof(where));
		xerr_set(ig->err, sql_class(rc), 0, "%s: cannot insert into "
		    "'%s': %s", where, ig->job->ingest.table,
		    sqlite3_errmsg(ig->db));
		sqlite3_reset(ig->ins);
		return -1;
	}
	sqlite3_reset(ig->ins);
	return 0;
}

static int
on_record(void *ctx, const struct record *rec, struct xerr *err)
{
	struct ingest *ig = ctx;

	(void)err;
	if (!ig->have_names && got_names(ig, rec->names, rec->n) == -1)
		return -1;
	ig->nrec++;
	if (ig->ins != NULL) {
		FAULT_POINT("ingest_mid");
		return insert_row(ig, rec);
	}
	return 0;
}

/* Read the whole file, handing every record to on_record(). */
static int
read_records(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	const struct job *job = ig->job;
	struct csvin_opts co;
	struct jsonlin_opts jo;
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
		rc = csvin_read_fd(fd, req->name, &co, on_record, ig, ig->err);
		break;
	case FMT_JSON:
	case FMT_JSONL:
		memset(&jo, 0, sizeof(jo));
		rc = req->format == FMT_JSON ?
		    jsonarr_read_fd(fd, req->name, &jo, on_record, ig,
		    ig->err) :
		    jsonlin_read_fd(fd, req->name, &jo, on_record, ig,
		    ig->err);
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

/* Open ig->dbpath. */
static int
open_db(struct ingest *ig, int flags)
{
	char *dir, *slash;
	int rc;

	/* SQLite creates the file, not its directory: a fresh target
	 * (say warehouse/sales.db) should just work. */
	if ((flags & SQLITE_OPEN_CREATE) && (dir = strdup(ig->dbpath)) !=
	    NULL) {
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			(void)mkdir_p(dir, 0755, ig->err);
		}
		free(dir);
	}
	rc = sqlite3_open_v2(ig->dbpath, &ig->db, flags, NULL);
	if (rc != SQLITE_OK) {
		/* Not the file's fault: keep it and try again next run. */
		xerr_set(ig->err, rc == SQLITE_CANTOPEN ? XERR_TEMP :
		    sql_class(rc), 0, "cannot open database '%s': %s",
		    ig->dbpath, ig->db != NULL ? sqlite3_errmsg(ig->db) :
		    "out of memory");
		return -1;
	}
	sqlite3_extended_result_codes(ig->db, 1);
	sqlite3_busy_timeout(ig->db, INGEST_BUSY_MS);
	return 0;
}

static void
close_db(struct ingest *ig)
{
	sqlite3_finalize(ig->ins);
	ig->ins = NULL;
	if (ig->db != NULL && !sqlite3_get_autocommit(ig->db))
		sqlite3_exec(ig->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(ig->db);
	ig->db = NULL;
	free(ig->dbpath);
	ig->dbpath = NULL;
}

/* 1 if the database has that table (column NULL) or that column of it,
 * 0 if not, -1. */
static int
db_has(struct ingest *ig, const char *table, const char *column)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(ig->db, column == NULL ?
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

/* What the target knows of a version: its key, or what is applied. */
struct known {
	char sha256[SHA256_HEXLEN];	/* applied: the version's */
	long long records;
	long long delivery;		/* -1: not recorded (older xfer) */
};

/*
 * 1 and *kn when (job, name, sha256) is in xfer_ingested (applied 0), or
 * when xfer_applied has a version for (job, date) (applied 1); 0 if not;
 * -1.  The delivery column may be missing (a read-only look at a
 * database an older xfer made).
 */
static int
lookup(struct ingest *ig, int applied, const char *name, const char *sha256,
    struct known *kn)
{
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
	rc = sqlite3_prepare_v2(ig->db, sql, -1, &st, NULL);
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

/*
 * 1 when the file adds nothing to what the target holds (SPEC.md
 * section 4): append, its (name, sha256) was ingested before;
 * replace-date, it is the version applied for its date.  *records gets
 * the count stored with that version.
 */
static int
is_duplicate(struct ingest *ig, long long *records)
{
	const struct ingest_req *req = ig->req;
	struct known kn;
	int k;

	if (ig->job->ingest.mode == MODE_REPLACE_DATE) {
		k = lookup(ig, 1, NULL, NULL, &kn);
		if (k == 1 && strcmp(kn.sha256, req->sha256) != 0)
			k = 0;
	} else {
		k = lookup(ig, 0, req->name, req->sha256, &kn);
	}
	if (k == 1)
		*records = kn.records;
	return k;
}

static int
replace_date(struct ingest *ig)
{
	const struct job_ingest *ing = &ig->job->ingest;
	sqlite3_stmt *st = NULL;
	struct buf b;
	int rc;

	/* A table that does not exist yet has nothing to replace. */
	if (ing->mode != MODE_REPLACE_DATE || ig->tcols.n == 0)
		return 0;
	if (!has_column(&ig->tcols, ing->date_column))
		return xerr_set(ig->err, XERR_PERM, 0, "database '%s': table "
		    "'%s' has no column '%s' for mode = replace-date",
		    ig->dbpath, ing->table, ing->date_column);
	buf_init(&b, 0);
	if (buf_puts(&b, "DELETE FROM ") == -1 ||
	    put_ident(&b, ing->table) == -1 ||
	    buf_puts(&b, " WHERE ") == -1 ||
	    put_ident(&b, ing->date_column) == -1 ||
	    buf_puts(&b, " = ?1") == -1) {
		buf_release(&b);
		return xerr_nomem(ig->err);
	}
	rc = sqlite3_prepare_v2(ig->db, b.data, -1, &st, NULL);
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
	ig->deleted = sqlite3_changes(ig->db);
	sqlite3_finalize(st);
	return 0;
}

static void
utc_now(char *out, size_t size)
{
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

	utc_now(now, sizeof(now));
	/*
	 * One key row per (job, name, sha256), with the count, time and
	 * delivery of its newest ingest: a version applied again (forced,
	 * or replace-date's A, B, A) replaces it.  A plain append never
	 * meets its key here (is_duplicate() saw to that); if it did, the
	 * insert fails rather than load rows twice.
	 */
	rc = sqlite3_prepare_v2(ig->db, req->force ||
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

	utc_now(now, sizeof(now));
	rc = sqlite3_prepare_v2(ig->db, replace ?
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

/* After the commit: what a replace-date version did to its date. */
static void
log_replaced(struct ingest *ig)
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
		    "records; removed %d row%s of %s from table '%s'",
		    req->name, req->sha256, ig->deleted, ig->deleted == 1 ?
		    "" : "s", ig->date, ig->job->ingest.table);
		return;
	}
	kv.records = ig->deleted;
	log_event(ig->lg, LOG_INFO, ig->job->name, ig->date, "replace-date",
	    &kv, "replaced %d row%s of %s in table '%s'", ig->deleted,
	    ig->deleted == 1 ? "" : "s", ig->date, ig->job->ingest.table);
}

static int
load_sqlite(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	const struct job_ingest *ing = &ig->job->ingest;
	int rc = -1, dup;

	if (ing->table == NULL || ing->database == NULL)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: [ingest] type = "
		    "sqlite needs database and table", ig->job->file);
	if (ing->mode == MODE_REPLACE_DATE && ing->date_column == NULL)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: mode = "
		    "replace-date needs date_column", ig->job->file);
	if (pattern_expand(ing->database, ig->job->name, req->date,
	    &ig->dbpath, ig->err) == -1 ||
	    open_db(ig, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) == -1)
		goto out;
	/* WAL: readers go on while a file loads; FULL: a commit survives a
	 * power cut, as the ledger assumes once it reads the key back. */
	if (sql_exec(ig, "PRAGMA journal_mode = WAL", "cannot use WAL") ==
	    -1 || sql_exec(ig, "PRAGMA synchronous = FULL",
	    "cannot set synchronous") == -1)
		goto out;
	if (sql_exec(ig, "BEGIN IMMEDIATE", "cannot begin a transaction") ==
	    -1)
		goto out;
	if (ensure_tables(ig) == -1)
		goto out;
	/* Decided under the write lock, with the rows: what the target
	 * holds now, not what a ledger remembers. */
	if (!req->force) {
		if ((dup = is_duplicate(ig, &ig->nrec)) == -1)
			goto out;
		/* Nothing to load; the tables' upgrade, if any, stays. */
		if (dup == 1) {
			if (sql_exec(ig, "COMMIT", "cannot commit") == -1)
				goto out;
			ig->res = INGEST_DUPLICATE;
			rc = 0;
			goto out;
		}
	}
	if (table_columns(ig) == -1 || replace_date(ig) == -1 ||
	    read_records(ig) == -1 || add_key(ig) == -1 ||
	    set_applied(ig) == -1)
		goto out;
	FAULT_POINT("ingest_before_commit");
	if (sql_exec(ig, "COMMIT", "cannot commit") == -1)
		goto out;
	FAULT_POINT("ingest_after_commit");
	log_replaced(ig);
	ig->res = INGEST_DONE;
	rc = 0;
out:
	close_db(ig);
	return rc;
}

/* arg with "{file}" replaced by path and the patterns expanded. */
static int
expand_arg(struct ingest *ig, const char *arg, const char *path, char **out)
{
	const char *p = arg, *start = arg;
	char *piece = NULL, *expanded = NULL;
	struct buf b;

	buf_init(&b, 0);
	for (;;) {
		if (*p != '\0' && strncmp(p, "{file}", 6) != 0) {
			/* "{{file}}" is the text "{file}", not the file. */
			p += (p[0] == '{' && p[1] == '{') ||
			    (p[0] == '}' && p[1] == '}') ? 2 : 1;
			continue;
		}
		if (p > start) {
			if ((piece = strndup(start, (size_t)(p - start))) ==
			    NULL)
				goto nomem;
			if (pattern_expand(piece, ig->job->name, ig->req->date,
			    &expanded, ig->err) == -1)
				goto fail;
			if (buf_puts(&b, expanded) == -1)
				goto nomem;
			free(piece);
			free(expanded);
			piece = expanded = NULL;
		}
		if (*p == '\0')
			break;
		if (buf_puts(&b, path) == -1)
			goto nomem;
		p += 6;
		start = p;
	}
	if ((*out = buf_detach(&b)) == NULL)
		goto nomem;
	return 0;
nomem:
	xerr_nomem(ig->err);
fail:
	free(piece);
	free(expanded);
	buf_release(&b);
	return -1;
}

/* A file for the handler's stderr, already unlinked: nothing is left. */
static int
stderr_file(struct ingest *ig)
{
	const char *path = ig->req->path, *slash = strrchr(path, '/');
	char tmpl[4096];
	int fd, n;

	if (slash == NULL)
		n = snprintf(tmpl, sizeof(tmpl), ".ingest-stderr.XXXXXX");
	else
		n = snprintf(tmpl, sizeof(tmpl), "%.*s/.ingest-stderr.XXXXXX",
		    (int)(slash - path), path);
	if (n < 0 || (size_t)n >= sizeof(tmpl))
		return xerr_set(ig->err, XERR_PERM, ENAMETOOLONG, "cannot "
		    "create a file beside '%s'", path);
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) == -1)
		return xerr_set(ig->err, XERR_TEMP, errno, "cannot create a "
		    "file beside '%s'", path);
	unlink(tmpl);
	return fd;
}

static int
load_command(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	const struct job_ingest *ing = &ig->job->ingest;
	struct strlist argv = { 0 }, env = { 0 };
	char how[128], tail[400], *s;
	struct proc_spec spec;
	struct proc_result res;
	int errfd = -1, rc = -1;
	size_t i;

	if (read_records(ig) == -1)
		return -1;
	if (ing->command.n == 0)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: [ingest] type = "
		    "command needs command", ig->job->file);
	for (i = 0; i < ing->command.n; i++) {
		if (expand_arg(ig, ing->command.v[i], req->orig_path, &s) ==
		    -1)
			goto out;
		if (strlist_take(&argv, s) == -1) {
			xerr_nomem(ig->err);
			goto out;
		}
	}
	if (strlist_addf(&env, "XFER_JOB=%s", ig->job->name) == -1 ||
	    strlist_addf(&env, "XFER_DATE=%s", ig->date) == -1 ||
	    strlist_addf(&env, "XFER_FILE=%s", req->orig_path) == -1 ||
	    strlist_addf(&env, "XFER_SHA256=%s", req->sha256) == -1) {
		xerr_nomem(ig->err);
		goto out;
	}
	if ((errfd = stderr_file(ig)) == -1)
		goto out;
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv.v;
	spec.env_add = env.v;
	spec.stdin_fd = -1;
	spec.stdout_fd = -1;
	spec.stderr_fd = errfd;
	spec.timeout_ms = ing->timeout_s * 1000;
	if (proc_run(&spec, &res, ig->err) == -1) {
		xerr_prefix(ig->err, "%s: [ingest] command", ig->job->file);
		goto out;
	}
	if (res.exited && res.exit_code == 0) {
		ig->res = INGEST_DONE;
		rc = 0;
		goto out;
	}
	proc_describe(&res, spec.timeout_ms, how, sizeof(how));
	proc_stderr_tail(errfd, tail, sizeof(tail));
	if (res.exited && res.exit_code == INGEST_EXIT_LATER) {
		/* Not an error, but the reason is worth keeping. */
		xerr_set(ig->err, XERR_TEMP, 0, "ingest command '%s' asks to "
		    "try again later: %s%s%s", argv.v[0], how,
		    tail[0] ? ": " : "", tail);
		ig->res = INGEST_LATER;
		rc = 0;
		goto out;
	}
	xerr_set(ig->err, XERR_PERM, 0, "ingest command '%s' failed: %s%s%s",
	    argv.v[0], how, tail[0] ? ": " : "", tail);
out:
	if (errfd != -1)
		close(errfd);
	strlist_free(&argv);
	strlist_free(&env);
	return rc;
}

static int
load_none(struct ingest *ig)
{
	if (read_records(ig) == -1)
		return -1;
	ig->res = INGEST_DONE;
	return 0;
}

/* One loader per [ingest] type: a new target is a new function here. */
static int (*const loaders[])(struct ingest *) = {
	[INGEST_SQLITE] = load_sqlite,
	[INGEST_COMMAND] = load_command,
	[INGEST_NONE] = load_none,
};

int
ingest_file(const struct ingest_req *req, enum ingest_result *res,
    long long *records, const struct log *lg, struct xerr *err)
{
	enum ingest_type type = req->job->ingest.type;
	struct ingest ig;
	int rc;

	memset(&ig, 0, sizeof(ig));
	ig.req = req;
	ig.job = req->job;
	ig.lg = lg;
	ig.err = err;
	ig.res = INGEST_DONE;
	bdate_format(req->date, ig.date);
	*res = INGEST_DONE;
	*records = 0;
	if ((size_t)type >= sizeof(loaders) / sizeof(*loaders) ||
	    loaders[type] == NULL)
		return xerr_set(err, XERR_CONFIG, 0, "%s: unknown [ingest] "
		    "type", req->job->file);
	rc = loaders[type](&ig);
	*records = ig.nrec;
	if (rc == 0)
		*res = ig.res;
	strlist_free(&ig.tcols);
	return rc;
}

int
ingest_known(const struct ingest_req *req, long long *records,
    struct xerr *err)
{
	const struct job *job = req->job;
	struct ingest ig;
	struct known kn;
	int rc = -1, applied;

	if (job->ingest.type != INGEST_SQLITE || job->ingest.database == NULL)
		return 0;
	memset(&ig, 0, sizeof(ig));
	ig.req = req;
	ig.job = job;
	ig.err = err;
	bdate_format(req->date, ig.date);
	if (pattern_expand(job->ingest.database, job->name, req->date,
	    &ig.dbpath, err) == -1)
		return -1;
	if (access(ig.dbpath, F_OK) == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			xerr_set(err, XERR_TEMP, errno, "cannot open database "
			    "'%s'", ig.dbpath);
		free(ig.dbpath);
		return rc;
	}
	if (open_db(&ig, SQLITE_OPEN_READONLY) == -1)
		goto out;
	if ((rc = db_has(&ig, "xfer_ingested", NULL)) != 1)
		goto out;
	/*
	 * replace-date: only the version applied now for the date is this
	 * delivery's ingest.  A database no newer xfer has written to has
	 * no xfer_applied: its keys are what an older xfer committed.
	 */
	applied = job->ingest.mode == MODE_REPLACE_DATE;
	if (applied && (rc = db_has(&ig, "xfer_applied", NULL)) != 1) {
		if (rc == -1)
			goto out;
		applied = 0;
	}
	if ((rc = lookup(&ig, applied, req->name, req->sha256, &kn)) != 1)
		goto out;
	if (strcmp(kn.sha256, req->sha256) != 0 || (kn.delivery != -1 &&
	    req->delivery > 0 && kn.delivery != req->delivery)) {
		rc = 0;
		goto out;
	}
	if (records != NULL)
		*records = kn.records;
out:
	close_db(&ig);
	return rc;
}
