/*
 * ledger_sqlite: the ledger of one host, spool/ledger.db (SQLite, WAL,
 * synchronous=FULL).  No claims: the job lock keeps a second process off.
 */
#include "ledger_impl.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sq_ledger {
	struct ledger base;
	sqlite3 *db;
	char *path;
};

#define SQ(l)	((struct sq_ledger *)(l))

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS send_batches("
    " job TEXT NOT NULL, date TEXT NOT NULL, state TEXT NOT NULL,"
    " file TEXT NOT NULL DEFAULT '', bytes INTEGER, records INTEGER,"
    " sha256 TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '',"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL,"
    " PRIMARY KEY(job, date));"
    "CREATE TABLE IF NOT EXISTS attempts("
    " job TEXT NOT NULL, direction TEXT NOT NULL, date TEXT NOT NULL,"
    " time INTEGER NOT NULL, ok INTEGER NOT NULL, error TEXT);"
    "CREATE INDEX IF NOT EXISTS attempts_job ON attempts(job, date);"
    "CREATE TABLE IF NOT EXISTS receive_files("
    " id INTEGER PRIMARY KEY, job TEXT NOT NULL, name TEXT NOT NULL,"
    " sha256 TEXT NOT NULL DEFAULT '', date TEXT NOT NULL,"
    " state TEXT NOT NULL, spool TEXT NOT NULL DEFAULT '',"
    " manifest_sha256 TEXT NOT NULL DEFAULT '', manifest_records INTEGER,"
    " records INTEGER, bytes INTEGER, attempts INTEGER NOT NULL DEFAULT 0,"
    " transient INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '', first_seen INTEGER NOT NULL,"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS receive_key"
    " ON receive_files(job, name, sha256);"
    "CREATE TABLE IF NOT EXISTS runs(job TEXT PRIMARY KEY,"
    " last_slot INTEGER NOT NULL, last_run INTEGER NOT NULL);";

/*
 * Changes to the schema above, in order; PRAGMA user_version counts those
 * applied.  Each is idempotent, so two processes upgrading one ledger at
 * once end alike.  Append only: a released entry is never edited.
 */
static const char *const migrations[] = {
	/* 1: missing batches (expect, dates never sent) logged by a run,
	 * and the first batch date a job's expect judges. */
	"CREATE TABLE IF NOT EXISTS missing_logged("
	" job TEXT NOT NULL, direction TEXT NOT NULL, date TEXT NOT NULL,"
	" logged INTEGER NOT NULL, PRIMARY KEY(job, direction, date));"
	"CREATE TABLE IF NOT EXISTS expect_since("
	" job TEXT PRIMARY KEY, date TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS receive_date ON receive_files(job, date);",
};

#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

static int
db_err(struct ledger *l, struct xerr *err, const char *what)
{
	int code = sqlite3_errcode(SQ(l)->db);

	return xerr_set(err, code == SQLITE_BUSY || code == SQLITE_LOCKED ||
	    code == SQLITE_FULL || code == SQLITE_IOERR ? XERR_TEMP :
	    XERR_PERM, 0, "ledger '%s': %s: %s", SQ(l)->path, what,
	    sqlite3_errmsg(SQ(l)->db));
}

static void sq_rollback(struct ledger *l);

static int
user_version(struct ledger *l, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Bring an older ledger up to SCHEMA_VERSION, one step per transaction. */
static int
migrate(struct ledger *l, struct xerr *err)
{
	char set[64];
	int v;

	for (;;) {
		if (user_version(l, &v) == -1)
			return db_err(l, err, "cannot read the schema version");
		if (v >= SCHEMA_VERSION)
			return 0;
		if (sqlite3_exec(SQ(l)->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK)
			return db_err(l, err, "cannot upgrade the schema");
		/* Another process may have done it while we waited. */
		if (user_version(l, &v) == -1) {
			db_err(l, err, "cannot read the schema version");
			goto fail;
		}
		if (v < SCHEMA_VERSION) {
			snprintf(set, sizeof(set), "PRAGMA user_version = %d",
			    v + 1);
			if (sqlite3_exec(SQ(l)->db, migrations[v], NULL, NULL,
			    NULL) != SQLITE_OK || sqlite3_exec(SQ(l)->db, set,
			    NULL, NULL, NULL) != SQLITE_OK) {
				db_err(l, err, "cannot upgrade the schema");
				goto fail;
			}
		}
		if (sqlite3_exec(SQ(l)->db, "COMMIT", NULL, NULL, NULL) !=
		    SQLITE_OK) {
			db_err(l, err, "cannot upgrade the schema");
			goto fail;
		}
	}
fail:
	sq_rollback(l);
	return -1;
}

static void sq_close(struct ledger *l);

static int
sq_open(const struct ledger_conf *c, struct ledger **out, struct xerr *err)
{
	const char *path = c->path;
	struct sq_ledger *q;
	struct ledger *l;
	char *msg = NULL;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->path = strdup(path)) == NULL) {
		free(q);
		return xerr_nomem(err);
	}
	l = &q->base;
	ledger_base_init(l, &ledger_sqlite_ops, c);
	if (sqlite3_open_v2(path, &SQ(l)->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		if (SQ(l)->db == NULL) {
			free(SQ(l)->path);
			free(l);
			return xerr_nomem(err);
		}
		db_err(l, err, "cannot open");
		sq_close(l);
		return -1;
	}
	sqlite3_busy_timeout(SQ(l)->db, 30000);
	if (sqlite3_exec(SQ(l)->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		xerr_set(err, XERR_TEMP, 0, "ledger '%s': cannot set up: %s",
		    path, msg ? msg : "unknown error");
		sqlite3_free(msg);
		sq_close(l);
		return -1;
	}
	if (migrate(l, err) == -1) {
		sq_close(l);
		return -1;
	}
	*out = l;
	return 0;
}

static void
sq_close(struct ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_close(SQ(l)->db);
	free(SQ(l)->path);
	free(SQ(l));
}

static int
sq_begin(struct ledger *l, struct xerr *err)
{
	if (sqlite3_exec(SQ(l)->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return db_err(l, err, "cannot begin");
	return 0;
}

static int
sq_commit(struct ledger *l, struct xerr *err)
{
	if (sqlite3_exec(SQ(l)->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot commit");
	return 0;
}

static void
sq_rollback(struct ledger *l)
{
	if (!sqlite3_get_autocommit(SQ(l)->db))
		sqlite3_exec(SQ(l)->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
copy_col(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

#define SEND_COLS "job, date, state, file, bytes, records, sha256," \
	" attempts, last_error, created, updated"

static void
send_row(sqlite3_stmt *st, struct send_batch *b)
{
	char ds[BDATE_STRLEN];

	memset(b, 0, sizeof(*b));
	copy_col(b->job, sizeof(b->job), st, 0);
	copy_col(ds, sizeof(ds), st, 1);
	if (bdate_parse(ds, &b->date) == -1)
		b->date = 0;
	copy_col(b->state, sizeof(b->state), st, 2);
	copy_col(b->file, sizeof(b->file), st, 3);
	b->bytes = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 4);
	b->records = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 5);
	copy_col(b->sha256, sizeof(b->sha256), st, 6);
	b->attempts = sqlite3_column_int(st, 7);
	copy_col(b->last_error, sizeof(b->last_error), st, 8);
	b->created = sqlite3_column_int64(st, 9);
	b->updated = sqlite3_column_int64(st, 10);
}

static int
sq_send_get(struct ledger *l, const char *job, bdate_t date,
    struct send_batch *b, int *found, struct xerr *err)
{
	static const char sql[] = "SELECT " SEND_COLS " FROM send_batches"
	    " WHERE job = ?1 AND date = ?2";
	char ds[BDATE_STRLEN];
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	memset(b, 0, sizeof(*b));
	snprintf(b->job, sizeof(b->job), "%s", job);
	b->date = date;
	b->bytes = b->records = -1;
	bdate_format(date, ds);
	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read batch");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ds, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		send_row(st, b);
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return db_err(l, err, "cannot read batch");
	}
	sqlite3_finalize(st);
	return 0;
}

static int
sq_send_each(struct ledger *l, const char *job,
    int (*fn)(void *ctx, const struct send_batch *b, struct xerr *err),
    void *ctx, struct xerr *err)
{
	static const char sql[] = "SELECT " SEND_COLS " FROM send_batches"
	    " WHERE job = ?1 ORDER BY date";
	struct send_batch b;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read batches");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		send_row(st, &b);
		if (fn(ctx, &b, err) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot read batches");
	return 0;
}

static int
sq_send_put(struct ledger *l, struct send_batch *b, long long token,
    struct xerr *err)
{
	static const char sql[] = "INSERT OR REPLACE INTO send_batches"
	    " (job, date, state, file, bytes, records, sha256, attempts,"
	    " last_error, created, updated)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	char ds[BDATE_STRLEN];
	sqlite3_stmt *st;
	int rc;

	(void)token;	/* one host: no claims */
	b->updated = (long long)time(NULL);
	if (b->created == 0)
		b->created = b->updated;
	bdate_format(b->date, ds);
	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot record batch");
	sqlite3_bind_text(st, 1, b->job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ds, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, b->file, -1, SQLITE_STATIC);
	if (b->bytes >= 0)
		sqlite3_bind_int64(st, 5, b->bytes);
	if (b->records >= 0)
		sqlite3_bind_int64(st, 6, b->records);
	sqlite3_bind_text(st, 7, b->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, b->attempts);
	sqlite3_bind_text(st, 9, b->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, b->created);
	sqlite3_bind_int64(st, 11, b->updated);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot record batch");
	return 0;
}

/*
 * The one date that sql (with the job bound to ?1) selects; *found = 0
 * when it selects no row or NULL.  what names the data in messages.
 */
static int
date_by_job(struct ledger *l, const char *sql, const char *job,
    bdate_t *date, int *found, const char *what, struct xerr *err)
{
	sqlite3_stmt *st;
	const unsigned char *s;
	int rc;

	*found = 0;
	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, what);
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (s = sqlite3_column_text(st, 0)) != NULL &&
	    bdate_parse((const char *)s, date) == 0)
		*found = 1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(l, err, what);
	return 0;
}

static int
sq_send_first(struct ledger *l, const char *job, bdate_t *date,
    int *found, struct xerr *err)
{
	return date_by_job(l, "SELECT min(date) FROM send_batches WHERE "
	    "job = ?1", job, date, found, "cannot read batches", err);
}

static int
sq_attempt_add(struct ledger *l, const char *job, const char *direction,
    bdate_t date, const char *error, long long token, struct xerr *err)
{
	static const char sql[] = "INSERT INTO attempts"
	    " (job, direction, date, time, ok, error)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	char ds[BDATE_STRLEN];
	sqlite3_stmt *st;
	int rc;

	(void)token;	/* one host: no claims */
	bdate_format(date, ds);
	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot record attempt");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, direction, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ds, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (long long)time(NULL));
	sqlite3_bind_int(st, 5, error == NULL);
	if (error)
		sqlite3_bind_text(st, 6, error, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot record attempt");
	return 0;
}

#define RECV_COLS "id, job, name, sha256, date, state, spool," \
	" manifest_sha256, manifest_records, records, bytes, attempts," \
	" transient, last_error, first_seen, created, updated"

static long long
col_int_or(sqlite3_stmt *st, int col, long long dflt)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? dflt :
	    sqlite3_column_int64(st, col);
}

/* RECV_COLS of two rows, f then n. */
#define RECV_COLS_OF(t) t ".id, " t ".job, " t ".name, " t ".sha256, " \
	t ".date, " t ".state, " t ".spool, " t ".manifest_sha256, " \
	t ".manifest_records, " t ".records, " t ".bytes, " t ".attempts, " \
	t ".transient, " t ".last_error, " t ".first_seen, " t ".created, " \
	t ".updated"
#define RECV_NCOLS	17

static void
recv_row_at(sqlite3_stmt *st, int off, struct recv_file *f);

static void
recv_row(sqlite3_stmt *st, struct recv_file *f)
{
	recv_row_at(st, 0, f);
}

/* The row whose RECV_COLS start at column off. */
static void
recv_row_at(sqlite3_stmt *st, int off, struct recv_file *f)
{
	char ds[BDATE_STRLEN];

	memset(f, 0, sizeof(*f));
	f->id = sqlite3_column_int64(st, off + 0);
	copy_col(f->job, sizeof(f->job), st, off + 1);
	copy_col(f->name, sizeof(f->name), st, off + 2);
	copy_col(f->sha256, sizeof(f->sha256), st, off + 3);
	copy_col(ds, sizeof(ds), st, off + 4);
	if (bdate_parse(ds, &f->date) == -1)
		f->date = 0;
	copy_col(f->state, sizeof(f->state), st, off + 5);
	copy_col(f->spool, sizeof(f->spool), st, off + 6);
	copy_col(f->manifest_sha256, sizeof(f->manifest_sha256), st, off + 7);
	f->manifest_records = col_int_or(st, off + 8, -1);
	f->records = col_int_or(st, off + 9, -1);
	f->bytes = col_int_or(st, off + 10, -1);
	f->attempts = sqlite3_column_int(st, off + 11);
	f->transient = sqlite3_column_int(st, off + 12);
	copy_col(f->last_error, sizeof(f->last_error), st, off + 13);
	f->first_seen = sqlite3_column_int64(st, off + 14);
	f->created = sqlite3_column_int64(st, off + 15);
	f->updated = sqlite3_column_int64(st, off + 16);
}

static int
sq_recv_put(struct ledger *l, struct recv_file *f, struct xerr *err)
{
	static const char ins[] = "INSERT INTO receive_files (job, name,"
	    " sha256, date, state, spool, manifest_sha256, manifest_records,"
	    " records, bytes, attempts, transient, last_error, first_seen,"
	    " created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	    " ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
	static const char upd[] = "UPDATE receive_files SET job = ?1,"
	    " name = ?2, sha256 = ?3, date = ?4, state = ?5, spool = ?6,"
	    " manifest_sha256 = ?7, manifest_records = ?8, records = ?9,"
	    " bytes = ?10, attempts = ?11, transient = ?12, last_error = ?13,"
	    " first_seen = ?14, created = ?15, updated = ?16 WHERE id = ?17";
	char ds[BDATE_STRLEN];
	sqlite3_stmt *st;
	int rc;

	f->updated = (long long)time(NULL);
	if (f->created == 0)
		f->created = f->updated;
	if (f->first_seen == 0)
		f->first_seen = f->created;
	bdate_format(f->date, ds);
	if (sqlite3_prepare_v2(SQ(l)->db, f->id ? upd : ins, -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(l, err, "cannot record received file");
	sqlite3_bind_text(st, 1, f->job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ds, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, f->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, f->spool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, f->manifest_sha256, -1, SQLITE_STATIC);
	if (f->manifest_records >= 0)
		sqlite3_bind_int64(st, 8, f->manifest_records);
	if (f->records >= 0)
		sqlite3_bind_int64(st, 9, f->records);
	if (f->bytes >= 0)
		sqlite3_bind_int64(st, 10, f->bytes);
	sqlite3_bind_int(st, 11, f->attempts);
	sqlite3_bind_int(st, 12, f->transient);
	sqlite3_bind_text(st, 13, f->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, f->first_seen);
	sqlite3_bind_int64(st, 15, f->created);
	sqlite3_bind_int64(st, 16, f->updated);
	if (f->id)
		sqlite3_bind_int64(st, 17, f->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot record received file");
	if (f->id == 0)
		f->id = sqlite3_last_insert_rowid(SQ(l)->db);
	return 0;
}

static int
sq_recv_each(struct ledger *l, const char *job, const char *state,
    bdate_t date, int (*fn)(void *ctx, const struct recv_file *f,
    struct xerr *err), void *ctx, struct xerr *err)
{
	static const char sql[] = "SELECT " RECV_COLS " FROM receive_files"
	    " WHERE (?1 IS NULL OR job = ?1) AND (?2 IS NULL OR state = ?2)"
	    " AND (?3 IS NULL OR date = ?3) ORDER BY id";
	char ds[BDATE_STRLEN];
	struct recv_file f;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read received files");
	if (job)
		sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	if (state)
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	if (date >= 0) {
		bdate_format(date, ds);
		sqlite3_bind_text(st, 3, ds, -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		recv_row(st, &f);
		if (fn(ctx, &f, err) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot read received files");
	return 0;
}

static int
sq_recv_find(struct ledger *l, const char *job, const char *name,
    const char *sha256, const char *state, struct recv_file *f, int *found,
    struct xerr *err)
{
	static const char sql[] = "SELECT " RECV_COLS " FROM receive_files"
	    " WHERE job = ?1 AND name = ?2 AND sha256 = ?3"
	    " AND (?4 IS NULL OR state = ?4) ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read received files");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	if (state)
		sqlite3_bind_text(st, 4, state, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		recv_row(st, f);
		*found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(l, err, "cannot read received files");
	return 0;
}

static int
sq_recv_superseded_each(struct ledger *l, const char *job, int by_date,
    int (*fn)(void *ctx, const struct recv_file *f,
    const struct recv_file *by, struct xerr *err), void *ctx,
    struct xerr *err)
{
	static const char sql[] = "SELECT " RECV_COLS_OF("f") ", "
	    RECV_COLS_OF("n") " FROM receive_files AS f"
	    " JOIN receive_files AS n ON n.id = (SELECT min(m.id)"
	    "  FROM receive_files AS m WHERE m.job = f.job AND m.id > f.id"
	    "  AND m.state IN ('ingested', 'duplicate')"
	    "  AND (CASE WHEN ?2 THEN m.date = f.date"
	    "   ELSE m.name = f.name END))"
	    " WHERE f.job = ?1 AND f.state IN ('failed', 'held')"
	    " ORDER BY f.id";
	struct recv_file f, n;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read received files");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, by_date != 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		recv_row_at(st, 0, &f);
		recv_row_at(st, RECV_NCOLS, &n);
		if (fn(ctx, &f, &n, err) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot read received files");
	return 0;
}

static int
sq_run_get(struct ledger *l, const char *job, long long *last_slot,
    int *found, struct xerr *err)
{
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (sqlite3_prepare_v2(SQ(l)->db, "SELECT last_slot FROM runs WHERE"
	    " job = ?1", -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read runs");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*last_slot = sqlite3_column_int64(st, 0);
		*found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(l, err, "cannot read runs");
	return 0;
}

static int
sq_run_put(struct ledger *l, const char *job, long long slot,
    long long when, struct xerr *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, "INSERT OR REPLACE INTO runs"
	    " (job, last_slot, last_run) VALUES (?1, ?2, ?3)", -1, &st,
	    NULL) != SQLITE_OK)
		return db_err(l, err, "cannot record run");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, slot);
	sqlite3_bind_int64(st, 3, when);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot record run");
	return 0;
}

static int
sq_recv_delete(struct ledger *l, long long id, struct xerr *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, "DELETE FROM receive_files WHERE id = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot update received files");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot update received files");
	return 0;
}

static int
sq_status(struct ledger *l, const struct status_filter *f, status_fn fn,
    void *ctx, struct xerr *err)
{
	static const char sql[] = "SELECT job, date, dir, state, file,"
	    " records, bytes, attempts, last_error, updated FROM ("
	    " SELECT job, date, 'send' AS dir, state, file, records, bytes,"
	    "  attempts, last_error, updated, 0 AS id FROM send_batches"
	    " UNION ALL"
	    " SELECT job, date, 'receive', state, name, records, bytes,"
	    "  attempts, last_error, updated, id FROM receive_files)"
	    " WHERE (?1 IS NULL OR date = ?1)"
	    " AND (?2 = 0 OR state IN ('failed', 'held', 'late'))"
	    " ORDER BY job, date, id";
	struct status_row row;
	sqlite3_stmt *st;
	const char *job;
	size_t i;
	int rc, want;

	memset(&row, 0, sizeof(row));
	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read status");
	if (f->date)
		sqlite3_bind_text(st, 1, f->date, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, f->failed_only);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job = (const char *)sqlite3_column_text(st, 0);
		want = f->jobs == NULL;
		for (i = 0; !want && i < f->njobs; i++)
			want = strcmp(f->jobs[i], job) == 0;
		if (!want)
			continue;
		row.job = job;
		row.date = (const char *)sqlite3_column_text(st, 1);
		row.direction = (const char *)sqlite3_column_text(st, 2);
		row.state = (const char *)sqlite3_column_text(st, 3);
		row.file = (const char *)sqlite3_column_text(st, 4);
		row.records = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 5);
		row.bytes = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 6);
		row.attempts = sqlite3_column_int(st, 7);
		row.last_error = (const char *)sqlite3_column_text(st, 8);
		if (row.last_error && row.last_error[0] == '\0')
			row.last_error = NULL;
		row.updated = sqlite3_column_int64(st, 9);
		if (fn(ctx, &row, err) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot read status");
	return 0;
}

static int
sq_job_stats_each(struct ledger *l,
    int (*fn)(void *ctx, const struct ledger_job_stats *s, struct xerr *err),
    void *ctx, struct xerr *err)
{
	/*
	 * Failures of a send job are its failed attempts (the attempts table
	 * only grows, so this is a true counter); receive rows carry their
	 * own attempt count, which counts failures while a row is failed or
	 * held.  Receive rows of the attempts table, if any, only move the
	 * last run time, so no failure is counted twice.
	 */
	static const char sql[] = "SELECT job, dir, max(succ), max(upd),"
	    " sum(rec), sum(byt), sum(fails) FROM ("
	    " SELECT job, 'send' AS dir,"
	    "  max(CASE WHEN state = 'sent' THEN updated END) AS succ,"
	    "  max(updated) AS upd,"
	    "  sum(CASE WHEN state = 'sent' THEN coalesce(records, 0)"
	    "   ELSE 0 END) AS rec,"
	    "  sum(CASE WHEN state = 'sent' THEN coalesce(bytes, 0)"
	    "   ELSE 0 END) AS byt,"
	    "  0 AS fails FROM send_batches GROUP BY job"
	    " UNION ALL"
	    " SELECT job, 'receive',"
	    "  max(CASE WHEN state IN ('ingested', 'duplicate')"
	    "   THEN updated END),"
	    "  max(updated),"
	    "  sum(CASE WHEN state = 'ingested' THEN coalesce(records, 0)"
	    "   ELSE 0 END),"
	    "  sum(CASE WHEN state = 'ingested' THEN coalesce(bytes, 0)"
	    "   ELSE 0 END),"
	    "  sum(CASE WHEN state IN ('failed', 'held') THEN attempts"
	    "   ELSE 0 END) FROM receive_files GROUP BY job"
	    " UNION ALL"
	    " SELECT job, direction, NULL, max(time), 0, 0,"
	    "  CASE WHEN direction = 'send' THEN sum(ok = 0) ELSE 0 END"
	    "  FROM attempts WHERE direction IN ('send', 'receive')"
	    "  GROUP BY job, direction)"
	    " GROUP BY job, dir ORDER BY job, dir";
	struct ledger_job_stats s;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read job statistics");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s.job = (const char *)sqlite3_column_text(st, 0);
		s.direction = (const char *)sqlite3_column_text(st, 1);
		if (s.job == NULL || s.direction == NULL)
			continue;
		s.last_success = col_int_or(st, 2, 0);
		s.last_run = col_int_or(st, 3, 0);
		s.records = col_int_or(st, 4, 0);
		s.bytes = col_int_or(st, 5, 0);
		s.failures = col_int_or(st, 6, 0);
		if (fn(ctx, &s, err) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot read job statistics");
	return 0;
}

static int
sq_state_counts_each(struct ledger *l,
    int (*fn)(void *ctx, const char *job, const char *direction,
    const char *state, long long n, struct xerr *err),
    void *ctx, struct xerr *err)
{
	static const char sql[] = "SELECT job, dir, state, n FROM ("
	    " SELECT job, 'send' AS dir, state, count(*) AS n"
	    "  FROM send_batches GROUP BY job, state"
	    " UNION ALL"
	    " SELECT job, 'receive', state, count(*)"
	    "  FROM receive_files GROUP BY job, state)"
	    " ORDER BY job, dir, state";
	const char *job, *dir, *state;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot count batches");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job = (const char *)sqlite3_column_text(st, 0);
		dir = (const char *)sqlite3_column_text(st, 1);
		state = (const char *)sqlite3_column_text(st, 2);
		if (job == NULL || dir == NULL || state == NULL)
			continue;
		if (fn(ctx, job, dir, state, sqlite3_column_int64(st, 3),
		    err) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot count batches");
	return 0;
}

/* --- missing batches (SPEC.md section 7) ------------------------------ */

static int
sq_missing_logged_each(struct ledger *l, const char *job,
    const char *direction, int (*fn)(void *ctx, bdate_t date,
    long long logged, struct xerr *err), void *ctx, struct xerr *err)
{
	static const char sql[] = "SELECT date, logged FROM missing_logged"
	    " WHERE job = ?1 AND direction = ?2 ORDER BY date";
	const unsigned char *s;
	sqlite3_stmt *st;
	bdate_t d;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read missing batches");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, direction, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((s = sqlite3_column_text(st, 0)) == NULL ||
		    bdate_parse((const char *)s, &d) == -1)
			continue;
		if (fn(ctx, d, sqlite3_column_int64(st, 1), err) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot read missing batches");
	return 0;
}

static int
sq_missing_log(struct ledger *l, const char *job, const char *direction,
    bdate_t date, long long when, struct xerr *err)
{
	static const char sql[] = "INSERT OR IGNORE INTO missing_logged"
	    " (job, direction, date, logged) VALUES (?1, ?2, ?3, ?4)";
	char ds[BDATE_STRLEN];
	sqlite3_stmt *st;
	int rc;

	bdate_format(date, ds);
	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot record a missing batch");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, direction, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ds, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, when);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot record a missing batch");
	return 0;
}

static int
sq_expect_since(struct ledger *l, const char *job, bdate_t *since,
    int *found, struct xerr *err)
{
	return date_by_job(l, "SELECT date FROM expect_since WHERE job = ?1",
	    job, since, found, "cannot read expectations", err);
}

static int
sq_expect_since_put(struct ledger *l, const char *job, bdate_t since,
    struct xerr *err)
{
	char ds[BDATE_STRLEN];
	sqlite3_stmt *st;
	int rc;

	bdate_format(since, ds);
	if (sqlite3_prepare_v2(SQ(l)->db, "INSERT OR REPLACE INTO expect_since"
	    " (job, date) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot record expectations");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ds, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot record expectations");
	return 0;
}

static int
sq_expect_forget(struct ledger *l, const char *job, struct xerr *err)
{
	static const char *const sql[] = {
		"DELETE FROM expect_since WHERE job = ?1",
		"DELETE FROM missing_logged WHERE job = ?1"
		" AND direction = 'receive'",
	};
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (sqlite3_prepare_v2(SQ(l)->db, sql[i], -1, &st, NULL) !=
		    SQLITE_OK)
			return db_err(l, err, "cannot update expectations");
		sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(l, err, "cannot update expectations");
	}
	return 0;
}

static int
sq_recv_done_each(struct ledger *l, const char *job, bdate_t from,
    bdate_t to, int (*fn)(void *ctx, bdate_t date, const char *name,
    struct xerr *err), void *ctx, struct xerr *err)
{
	/* SQLite takes the bare column name from the row of max(id). */
	static const char sql[] = "SELECT date, name, max(id)"
	    " FROM receive_files WHERE job = ?1 AND date >= ?2"
	    " AND date <= ?3 AND state IN ('ingested', 'duplicate')"
	    " GROUP BY date ORDER BY date";
	char f[BDATE_STRLEN], t[BDATE_STRLEN];
	const unsigned char *s, *name;
	sqlite3_stmt *st;
	bdate_t d;
	int rc;

	bdate_format(from, f);
	bdate_format(to, t);
	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot read received files");
	sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((s = sqlite3_column_text(st, 0)) == NULL ||
		    bdate_parse((const char *)s, &d) == -1)
			continue;
		name = sqlite3_column_text(st, 1);
		if (fn(ctx, d, name ? (const char *)name : "", err) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot read received files");
	return 0;
}

static int
sq_missing_counts_each(struct ledger *l,
    int (*fn)(void *ctx, const char *job, const char *direction,
    long long n, struct xerr *err), void *ctx, struct xerr *err)
{
	/* Logged and still missing: no batch (send) or no ingested or
	 * duplicate file (receive) for the date since. */
	static const char sql[] = "SELECT m.job, m.direction, count(*)"
	    " FROM missing_logged m WHERE"
	    " (m.direction = 'send' AND NOT EXISTS (SELECT 1 FROM"
	    "  send_batches s WHERE s.job = m.job AND s.date = m.date))"
	    " OR (m.direction = 'receive' AND NOT EXISTS (SELECT 1 FROM"
	    "  receive_files r WHERE r.job = m.job AND r.date = m.date"
	    "  AND r.state IN ('ingested', 'duplicate')))"
	    " GROUP BY m.job, m.direction ORDER BY m.job, m.direction";
	const char *job, *dir;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(SQ(l)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(l, err, "cannot count missing batches");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job = (const char *)sqlite3_column_text(st, 0);
		dir = (const char *)sqlite3_column_text(st, 1);
		if (job == NULL || dir == NULL)
			continue;
		if (fn(ctx, job, dir, sqlite3_column_int64(st, 2), err) ==
		    -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, err, "cannot count missing batches");
	return 0;
}

static int
sq_schema_version(struct ledger *l, int *v, struct xerr *err)
{
	if (user_version(l, v) == -1)
		return db_err(l, err, "cannot read the schema version");
	return 0;
}

const struct ledger_ops ledger_sqlite_ops = {
	.name = "SQLite",
	.shared = 0,
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.send_get = sq_send_get,
	.send_put = sq_send_put,
	.send_each = sq_send_each,
	.send_first = sq_send_first,
	.attempt_add = sq_attempt_add,
	.recv_put = sq_recv_put,
	.recv_each = sq_recv_each,
	.recv_find = sq_recv_find,
	.recv_delete = sq_recv_delete,
	.recv_superseded_each = sq_recv_superseded_each,
	.recv_done_each = sq_recv_done_each,
	.missing_logged_each = sq_missing_logged_each,
	.missing_log = sq_missing_log,
	.missing_counts_each = sq_missing_counts_each,
	.expect_since = sq_expect_since,
	.expect_since_put = sq_expect_since_put,
	.expect_forget = sq_expect_forget,
	.run_get = sq_run_get,
	.run_put = sq_run_put,
	.status = sq_status,
	.job_stats_each = sq_job_stats_each,
	.state_counts_each = sq_state_counts_each,
};
