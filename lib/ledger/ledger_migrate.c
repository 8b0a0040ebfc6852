/*
 * ledger_migrate: the SQLite ledger of one host into the PostgreSQL
 * ledger of a fleet.  See ledger_migrate.h for the rules.
 *
 * The tables are described once (their columns, key and how a row relates
 * to a node) and the SQL is made from the description, so the copy, the
 * conflict check and the read-back all look at the same columns.  Values
 * travel as text both ways (SQLite's and PostgreSQL's text of an integer
 * are the same digits), which is also what the canonical text and the
 * digests are made of.  A ledger is small (a row per batch or file), so
 * rows are held in memory and copied one statement at a time inside one
 * transaction.
 */
#include "ledger_migrate.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "db/pgconn.h"
#include "fsutil.h"
#include "job.h"

struct mcol {
	const char *name;
	const char *type;	/* PostgreSQL's, for casts */
};

enum mnode {
	NODE_NONE,	/* the table has no node column */
	NODE_SET,	/* written with this node, not part of the content
			 * (send_batches: who wrote it last) */
	NODE_KEY,	/* the rows of this node only (runs, attempts,
			 * receive_files) */
};

struct mspec {
	const char *name;
	const char *order;	/* SQLite's ORDER BY */
	int nkey;		/* the first nkey columns are the key (with
				 * the node under NODE_KEY); 0: no key */
	enum mnode node;
	size_t ncols;
	struct mcol cols[17];
};

static const struct mspec specs[MIGRATE_TABLES] = {
	{ "send_batches", "job, date", 2, NODE_SET, 11, {
		{ "job", "text" }, { "date", "text" }, { "state", "text" },
		{ "file", "text" }, { "bytes", "bigint" },
		{ "records", "bigint" }, { "sha256", "text" },
		{ "attempts", "integer" }, { "last_error", "text" },
		{ "created", "bigint" }, { "updated", "bigint" } } },
	{ "attempts", "rowid", 0, NODE_KEY, 6, {
		{ "job", "text" }, { "direction", "text" }, { "date", "text" },
		{ "time", "bigint" }, { "ok", "integer" },
		{ "error", "text" } } },
	{ "receive_files", "id", 0, NODE_KEY, 16, {
		{ "job", "text" }, { "name", "text" }, { "sha256", "text" },
		{ "date", "text" }, { "state", "text" }, { "spool", "text" },
		{ "manifest_sha256", "text" },
		{ "manifest_records", "bigint" }, { "records", "bigint" },
		{ "bytes", "bigint" }, { "attempts", "integer" },
		{ "transient", "integer" }, { "last_error", "text" },
		{ "first_seen", "bigint" }, { "created", "bigint" },
		{ "updated", "bigint" } } },
	{ "runs", "job", 1, NODE_KEY, 3, {
		{ "job", "text" }, { "last_slot", "bigint" },
		{ "last_run", "bigint" } } },
	{ "missing_logged", "job, direction, date", 3, NODE_NONE, 4, {
		{ "job", "text" }, { "direction", "text" }, { "date", "text" },
		{ "logged", "bigint" } } },
	{ "expect_since", "job", 1, NODE_NONE, 2, {
		{ "job", "text" }, { "date", "text" } } },
};

/* One SQLite row: its values (NULL: SQL NULL) and canonical text. */
struct mrow {
	char **v;
	char *line;
	int insert;		/* no key: one of the copies PostgreSQL lacks */
};

struct mrows {
	struct mrow *v;
	size_t n, cap;
};

int
migrate_canon(struct buf *out, const char *const *vals, size_t n)
{
	const char *p;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc |= buf_putc(out, '\t');
		if (vals[i] == NULL) {
			rc |= buf_puts(out, "\\N");
			continue;
		}
		for (p = vals[i]; *p != '\0' && rc == 0; p++) {
			switch (*p) {
			case '\\': rc |= buf_puts(out, "\\\\"); break;
			case '\t': rc |= buf_puts(out, "\\t"); break;
			case '\n': rc |= buf_puts(out, "\\n"); break;
			case '\r': rc |= buf_puts(out, "\\r"); break;
			default: rc |= buf_putc(out, (unsigned char)*p);
			}
		}
	}
	return rc ? -1 : 0;
}

/* The canonical text of n values, malloc'd; NULL when out of memory. */
static char *
canon_line(const char *const *vals, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	if (migrate_canon(&b, vals, n) == -1 || buf_putc(&b, '\0') == -1) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static void
rows_release(struct mrows *rs, size_t ncols)
{
	size_t i, k;

	for (i = 0; i < rs->n; i++) {
		for (k = 0; k < ncols; k++)
			free(rs->v[i].v[k]);
		free(rs->v[i].v);
		free(rs->v[i].line);
	}
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* Every row of the table, in the SQLite ledger's order. */
static int
sqlite_rows(sqlite3 *db, const char *path, const struct mspec *t,
    struct mrows *rs, struct xerr *err)
{
	struct buf sql;
	sqlite3_stmt *st = NULL;
	struct mrow *grown, *r;
	const unsigned char *s;
	size_t k;
	int rc;

	buf_init(&sql, 0);
	rc = buf_puts(&sql, "SELECT ");
	for (k = 0; k < t->ncols; k++)
		rc |= buf_printf(&sql, "%s%s", k ? ", " : "", t->cols[k].name);
	rc |= buf_printf(&sql, " FROM %s ORDER BY %s", t->name, t->order);
	if (rc != 0) {
		buf_release(&sql);
		return xerr_nomem(err);
	}
	if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK) {
		xerr_set(err, XERR_PERM, 0, "ledger '%s': cannot read %s: %s",
		    path, t->name, sqlite3_errmsg(db));
		buf_release(&sql);
		return -1;
	}
	buf_release(&sql);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rs->n == rs->cap) {
			size_t cap = rs->cap ? rs->cap * 2 : 64;

			if ((grown = reallocarray(rs->v, cap, sizeof(*grown)))
			    == NULL)
				goto nomem;
			rs->v = grown;
			rs->cap = cap;
		}
		r = &rs->v[rs->n];
		memset(r, 0, sizeof(*r));
		if ((r->v = calloc(t->ncols, sizeof(*r->v))) == NULL)
			goto nomem;
		rs->n++;
		for (k = 0; k < t->ncols; k++)
			if ((s = sqlite3_column_text(st, (int)k)) != NULL &&
			    (r->v[k] = strdup((const char *)s)) == NULL)
				goto nomem;
		if ((r->line = canon_line((const char *const *)r->v,
		    t->ncols)) == NULL)
			goto nomem;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return xerr_set(err, XERR_PERM, 0, "ledger '%s': cannot read "
		    "%s: %s", path, t->name, sqlite3_errmsg(db));
	return 0;
nomem:
	sqlite3_finalize(st);
	return xerr_nomem(err);
}

struct pgctx {
	PGconn *conn;
	struct job_db db;
	const char *node;
};

/* Run sql with the n text parameters; *res for the caller to PQclear. */
static int
pg_run(struct pgctx *pc, const char *sql, const char *const *params,
    int n, ExecStatusType want, PGresult **res, const char *what,
    struct xerr *err)
{
	*res = PQexecParams(pc->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (*res == NULL || PQresultStatus(*res) != want) {
		pgconn_fail(err, &pc->db, pc->conn, *res, what);
		PQclear(*res);
		*res = NULL;
		return -1;
	}
	return 0;
}

/* " WHERE k1 = $1::t AND ... [AND node = $N]" over the key columns (all
 * columns, NULL-safe, when the table has no key), parameters from 1. */
static int
where_key(struct buf *b, const struct mspec *t, int *nparams)
{
	size_t k, n = t->nkey > 0 ? (size_t)t->nkey : t->ncols;
	int rc = 0;

	rc |= buf_puts(b, " WHERE ");
	for (k = 0; k < n; k++)
		rc |= buf_printf(b, "%s%s %s $%zu::%s", k ? " AND " : "",
		    t->cols[k].name, t->nkey > 0 ? "=" :
		    "IS NOT DISTINCT FROM", k + 1, t->cols[k].type);
	*nparams = (int)n;
	if (t->node == NODE_KEY) {
		rc |= buf_printf(b, " AND node = $%zu", n + 1);
		(*nparams)++;
	}
	return rc;
}

/* The parameters of where_key() for row r. */
static void
key_params(const struct mspec *t, const struct mrow *r, const char *node,
    const char **params)
{
	size_t k, n = t->nkey > 0 ? (size_t)t->nkey : t->ncols;

	for (k = 0; k < n; k++)
		params[k] = r->v[k];
	if (t->node == NODE_KEY)
		params[n] = node;
}

static int
insert_row(struct pgctx *pc, const struct mspec *t, const struct mrow *r,
    const char *sql, int *inserted, struct xerr *err)
{
	const char *params[20];
	PGresult *res;
	size_t k;
	int n = (int)t->ncols;

	for (k = 0; k < t->ncols; k++)
		params[k] = r->v[k];
	if (t->node != NODE_NONE)
		params[n++] = pc->node;
	if (pg_run(pc, sql, params, n, PGRES_COMMAND_OK, &res, t->name, err)
	    == -1)
		return -1;
	*inserted = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	return 0;
}

/* The INSERT of one row (ON CONFLICT DO NOTHING for keyed tables). */
static int
insert_sql(struct buf *b, const struct mspec *t)
{
	size_t k;
	int rc = 0;

	rc |= buf_printf(b, "INSERT INTO %s (", t->name);
	for (k = 0; k < t->ncols; k++)
		rc |= buf_printf(b, "%s%s", k ? ", " : "", t->cols[k].name);
	if (t->node != NODE_NONE)
		rc |= buf_puts(b, ", node");
	rc |= buf_puts(b, ") VALUES (");
	for (k = 0; k < t->ncols; k++)
		rc |= buf_printf(b, "%s$%zu::%s", k ? ", " : "", k + 1,
		    t->cols[k].type);
	if (t->node != NODE_NONE)
		rc |= buf_printf(b, ", $%zu", t->ncols + 1);
	rc |= buf_puts(b, ")");
	if (t->nkey > 0)
		rc |= buf_puts(b, " ON CONFLICT DO NOTHING");
	return rc;
}

/* "SELECT c1, c2 ... FROM t" */
static int
select_sql(struct buf *b, const struct mspec *t)
{
	size_t k;
	int rc = 0;

	rc |= buf_puts(b, "SELECT ");
	for (k = 0; k < t->ncols; k++)
		rc |= buf_printf(b, "%s%s::text", k ? ", " : "",
		    t->cols[k].name);
	if (t->node == NODE_SET)
		rc |= buf_puts(b, ", node");
	rc |= buf_printf(b, " FROM %s", t->name);
	return rc;
}

/* The canonical text of row i of res (its first ncols columns). */
static char *
res_line(const PGresult *res, int i, size_t ncols)
{
	const char *vals[20];
	size_t k;

	for (k = 0; k < ncols; k++)
		vals[k] = PQgetisnull(res, i, (int)k) ? NULL :
		    PQgetvalue(res, i, (int)k);
	return canon_line(vals, ncols);
}

/* "(a, 2026-11-24)": a row's key, for the conflict report. */
static void
key_text(const struct mspec *t, const struct mrow *r, char *out,
    size_t size)
{
	size_t k, len = 0;
	int n;

	out[0] = '\0';
	for (k = 0; k < (size_t)t->nkey && len < size; k++) {
		n = snprintf(out + len, size - len, "%s%s", k ? ", " : "(",
		    r->v[k] ? r->v[k] : "NULL");
		if (n < 0)
			break;
		len += (size_t)n;
	}
	if (len < size)
		snprintf(out + len, size - len, ")");
}

/* A keyed table: insert each row unless its key is there; compare. */
static int
copy_keyed(struct pgctx *pc, const struct mspec *t, struct mrows *rs,
    struct migrate_table *mt, struct strlist *conflicts, struct xerr *err)
{
	struct buf ins, sel;
	const char *params[20];
	PGresult *res;
	char key[600], *line;
	size_t i;
	int inserted, np, rc = -1;

	buf_init(&ins, 0);
	buf_init(&sel, 0);
	if (insert_sql(&ins, t) != 0 || select_sql(&sel, t) != 0 ||
	    where_key(&sel, t, &np) != 0) {
		xerr_nomem(err);
		goto out;
	}
	for (i = 0; i < rs->n; i++) {
		if (insert_row(pc, t, &rs->v[i], ins.data, &inserted, err) ==
		    -1)
			goto out;
		if (inserted) {
			mt->copied++;
			continue;
		}
		key_params(t, &rs->v[i], pc->node, params);
		if (pg_run(pc, sel.data, params, np, PGRES_TUPLES_OK, &res,
		    t->name, err) == -1)
			goto out;
		line = PQntuples(res) == 1 ? res_line(res, 0, t->ncols) :
		    NULL;
		if (line != NULL && strcmp(line, rs->v[i].line) == 0)
			mt->there++;
		else {
			mt->conflicts++;
			key_text(t, &rs->v[i], key, sizeof(key));
			if (strlist_addf(conflicts, "%s %s: PostgreSQL has "
			    "other content%s%s%s (kept; the SQLite row is not "
			    "copied)", t->name, key, t->node == NODE_SET &&
			    PQntuples(res) == 1 ? ", written by node '" : "",
			    t->node == NODE_SET && PQntuples(res) == 1 ?
			    PQgetvalue(res, 0, (int)t->ncols) : "",
			    t->node == NODE_SET && PQntuples(res) == 1 ? "'" :
			    "") == -1) {
				free(line);
				PQclear(res);
				xerr_nomem(err);
				goto out;
			}
		}
		free(line);
		PQclear(res);
	}
	rc = 0;
out:
	buf_release(&ins);
	buf_release(&sel);
	return rc;
}

static int
cmp_rowp(const void *a, const void *b)
{
	const struct mrow *const *x = a, *const *y = b;
	int c = strcmp((*x)->line, (*y)->line);

	/* The same text: in SQLite order, so the last ones are marked. */
	return c != 0 ? c : (*x < *y ? -1 : *x > *y);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
lines_free(char **lines, size_t n)
{
	size_t i;

	if (lines != NULL)
		for (i = 0; i < n; i++)
			free(lines[i]);
	free(lines);
}

/* The canonical text of this node's rows of a table without key, sorted
 * (free with lines_free()). */
static int
node_lines(struct pgctx *pc, const struct mspec *t, char ***out, size_t *n,
    struct xerr *err)
{
	const char *params[1] = { pc->node };
	struct buf sel;
	PGresult *res = NULL;
	char **lines = NULL;
	size_t i, rows;
	int rc = -1;

	*out = NULL;
	*n = 0;
	buf_init(&sel, 0);
	if (select_sql(&sel, t) != 0 || buf_puts(&sel, " WHERE node = $1") !=
	    0) {
		xerr_nomem(err);
		goto out;
	}
	if (pg_run(pc, sel.data, params, 1, PGRES_TUPLES_OK, &res, t->name,
	    err) == -1)
		goto out;
	rows = (size_t)PQntuples(res);
	if ((lines = calloc(rows + 1, sizeof(*lines))) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	for (i = 0; i < rows; i++)
		if ((lines[i] = res_line(res, (int)i, t->ncols)) == NULL) {
			lines_free(lines, i);
			xerr_nomem(err);
			goto out;
		}
	if (rows > 1)
		qsort(lines, rows, sizeof(*lines), cmp_str);
	*out = lines;
	*n = rows;
	rc = 0;
out:
	PQclear(res);
	buf_release(&sel);
	return rc;
}

/*
 * A table without key: this node's rows in PostgreSQL and SQLite's as two
 * sorted multisets; for each distinct row the copies PostgreSQL lacks are
 * inserted, in SQLite order.
 */
static int
copy_multiset(struct pgctx *pc, const struct mspec *t, struct mrows *rs,
    struct migrate_table *mt, struct xerr *err)
{
	struct buf ins;
	struct mrow **by = NULL;
	char **have = NULL;
	size_t i, nhave = 0, h = 0;
	int c, inserted, rc = -1;

	buf_init(&ins, 0);
	if (insert_sql(&ins, t) != 0 ||
	    (rs->n > 0 && (by = calloc(rs->n, sizeof(*by))) == NULL)) {
		xerr_nomem(err);
		goto out;
	}
	if (node_lines(pc, t, &have, &nhave, err) == -1)
		goto out;
	for (i = 0; i < rs->n; i++)
		by[i] = &rs->v[i];
	if (rs->n > 1)
		qsort(by, rs->n, sizeof(*by), cmp_rowp);
	/* Each SQLite row takes one equal PostgreSQL row if one is left;
	 * equal rows sort in SQLite order, so the last ones are copied. */
	for (i = 0; i < rs->n; i++) {
		while (h < nhave && (c = strcmp(have[h], by[i]->line)) < 0)
			h++;
		if (h < nhave && strcmp(have[h], by[i]->line) == 0) {
			mt->there++;
			h++;
		} else
			by[i]->insert = 1;
	}
	for (i = 0; i < rs->n; i++) {
		if (!rs->v[i].insert)
			continue;
		if (insert_row(pc, t, &rs->v[i], ins.data, &inserted, err) ==
		    -1)
			goto out;
		mt->copied++;
	}
	rc = 0;
out:
	lines_free(have, nhave);
	free(by);
	buf_release(&ins);
	return rc;
}

/* SHA-256 over the lines, sorted, each ending in a newline. */
static int
digest_lines(char **lines, size_t n, char hex[SHA256_HEXLEN],
    struct xerr *err)
{
	struct sha256 h;
	size_t i;

	if (n > 1)
		qsort(lines, n, sizeof(*lines), cmp_str);
	if (sha256_init(&h, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		sha256_update(&h, lines[i], strlen(lines[i]));
		sha256_update(&h, "\n", 1);
	}
	sha256_final(&h, hex);
	return 0;
}

/*
 * Read the table's rows back from PostgreSQL: for a keyed table the row
 * of each SQLite row's key, else this node's rows that match SQLite's
 * (as a multiset: a node that ran on the fleet before has more); digest
 * both sides.
 */
static int
compare(struct pgctx *pc, const struct mspec *t, struct mrows *rs,
    struct migrate_table *mt, struct xerr *err)
{
	struct buf sel;
	const char *params[20];
	char **mine = NULL, **theirs = NULL, *line;
	PGresult *res = NULL;
	size_t i, n = 0, a, b, kept;
	int np = 0, c, rc = -1;

	buf_init(&sel, 0);
	if ((mine = calloc(rs->n + 1, sizeof(*mine))) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	for (i = 0; i < rs->n; i++)
		mine[i] = rs->v[i].line;
	if (t->nkey > 0) {
		if (select_sql(&sel, t) != 0 || where_key(&sel, t, &np) != 0 ||
		    (theirs = calloc(rs->n + 1, sizeof(*theirs))) == NULL) {
			xerr_nomem(err);
			goto out;
		}
		for (i = 0; i < rs->n; i++) {
			key_params(t, &rs->v[i], pc->node, params);
			if (pg_run(pc, sel.data, params, np, PGRES_TUPLES_OK,
			    &res, t->name, err) == -1)
				goto out;
			if (PQntuples(res) == 1) {
				if ((line = res_line(res, 0, t->ncols)) ==
				    NULL) {
					xerr_nomem(err);
					goto out;
				}
				theirs[n++] = line;
			}
			PQclear(res);
			res = NULL;
		}
	} else {
		if (node_lines(pc, t, &theirs, &n, err) == -1)
			goto out;
		/* Keep only the counterparts of SQLite's rows. */
		if (rs->n > 1)
			qsort(mine, rs->n, sizeof(*mine), cmp_str);
		for (a = b = kept = 0; b < n; b++) {
			while (a < rs->n && (c = strcmp(mine[a], theirs[b])) <
			    0)
				a++;
			if (a < rs->n && strcmp(mine[a], theirs[b]) == 0) {
				theirs[kept++] = theirs[b];
				a++;
			} else
				free(theirs[b]);
		}
		n = kept;
	}
	mt->read_back = (long long)n;
	if (digest_lines(mine, rs->n, mt->sqlite_sha256, err) == -1 ||
	    digest_lines(theirs, n, mt->pg_sha256, err) == -1)
		goto out;
	mt->identical = mt->read_back == mt->rows &&
	    strcmp(mt->sqlite_sha256, mt->pg_sha256) == 0;
	rc = 0;
out:
	PQclear(res);
	lines_free(theirs, n);
	free(mine);
	buf_release(&sel);
	return rc;
}

void
migrate_report_release(struct migrate_report *r)
{
	strlist_free(&r->conflicts);
}

int
ledger_migrate(const char *sqlite_path, const struct ledger_conf *pg,
    struct migrate_report *r, struct xerr *err)
{
	struct mrows rows[MIGRATE_TABLES];
	struct pgctx pc;
	struct ledger *l = NULL;
	struct stat st;
	sqlite3 *db = NULL;
	PGresult *res = NULL;
	size_t i;
	int in_tx = 0, rc = -1;

	memset(r, 0, sizeof(*r));
	memset(rows, 0, sizeof(rows));
	memset(&pc, 0, sizeof(pc));
	for (i = 0; i < MIGRATE_TABLES; i++)
		r->t[i].name = specs[i].name;
	if (pg->url == NULL || pg->node == NULL || pg->node[0] == '\0')
		return xerr_set(err, XERR_CONFIG, 0, "needs "
		    "a PostgreSQL ledger ([ledger] url) and a node name");
	if (stat(sqlite_path, &st) == -1)
		return xerr_set(err, XERR_CONFIG, errno, "no "
		    "SQLite ledger at '%s'", sqlite_path);
	/* Both ledgers at their newest schema: the SQLite one so that
	 * every table is there, the PostgreSQL one created if need be. */
	if (ledger_open(sqlite_path, &l, err) == -1)
		return -1;
	ledger_close(l);
	l = NULL;
	if (ledger_connect(pg, &l, err) == -1)
		return -1;
	ledger_close(l);
	if (sqlite3_open_v2(sqlite_path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		xerr_set(err, XERR_PERM, 0, "ledger '%s': cannot open: %s",
		    sqlite_path, db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 30000);
	/* One read transaction: the tables as of one moment. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		xerr_set(err, XERR_TEMP, 0, "ledger '%s': %s", sqlite_path,
		    sqlite3_errmsg(db));
		goto out;
	}
	for (i = 0; i < MIGRATE_TABLES; i++) {
		if (sqlite_rows(db, sqlite_path, &specs[i], &rows[i], err) ==
		    -1)
			goto out;
		r->t[i].rows = (long long)rows[i].n;
	}
	(void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	pc.node = pg->node;
	pc.db.url = (char *)pg->url;
	pc.db.password_file = (char *)pg->password_file;
	pc.db.connect_timeout_ms = 10000;
	pc.db.statement_timeout_ms = 300000;
	pc.db.lock_timeout_ms = 30000;
	if (pgconn_get(NULL, &pc.db, &pc.conn, err) == -1)
		goto out;
	/* All or nothing; two migrations of one node take turns. */
	if (pgconn_exec(pc.conn, &pc.db, "BEGIN", "begin", err) == -1)
		goto out;
	in_tx = 1;
	{
		const char *p[1] = { pg->node };

		if (pg_run(&pc, "SELECT pg_advisory_xact_lock(2020042100, "
		    "hashtext($1))", p, 1, PGRES_TUPLES_OK, &res, "lock",
		    err) == -1)
			goto out;
		PQclear(res);
		res = NULL;
	}
	for (i = 0; i < MIGRATE_TABLES; i++)
		if ((specs[i].nkey > 0 ? copy_keyed(&pc, &specs[i], &rows[i],
		    &r->t[i], &r->conflicts, err) : copy_multiset(&pc,
		    &specs[i], &rows[i], &r->t[i], err)) == -1)
			goto out;
	if (pgconn_exec(pc.conn, &pc.db, "COMMIT", "commit", err) == -1)
		goto out;
	in_tx = 0;
	/* Read back what is there now, outside the copy's transaction. */
	for (i = 0; i < MIGRATE_TABLES; i++)
		if (compare(&pc, &specs[i], &rows[i], &r->t[i], err) == -1)
			goto out;
	rc = 0;
out:
	if (in_tx)
		PQclear(PQexec(pc.conn, "ROLLBACK"));
	if (rc == -1)
		for (i = 0; i < MIGRATE_TABLES; i++)
			r->t[i].copied = 0;
	if (pc.conn != NULL)
		pgconn_release(NULL, pc.conn, 0);
	for (i = 0; i < MIGRATE_TABLES; i++)
		rows_release(&rows[i], specs[i].ncols);
	sqlite3_close(db);
	return rc;
}

int
ledger_migrate_retire(const char *path, struct xerr *err)
{
	char *to = NULL, *dir = NULL, *slash;
	sqlite3 *db = NULL;
	int rc = -1;

	if (asprintf(&to, "%s.migrated", path) == -1 ||
	    (dir = strdup(path)) == NULL) {
		free(to);
		return xerr_nomem(err);
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	/* Out of WAL mode, so that the one file holds every row. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 30000) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		xerr_set(err, XERR_TEMP, 0, "ledger '%s': cannot fold in its "
		    "WAL: %s", path, db ? sqlite3_errmsg(db) :
		    "out of memory");
		goto out;
	}
	if (sqlite3_close(db) != SQLITE_OK) {
		xerr_set(err, XERR_TEMP, 0, "ledger '%s': cannot close: %s",
		    path, sqlite3_errmsg(db));
		db = NULL;
		goto out;
	}
	db = NULL;
	if (rename(path, to) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot rename '%s' to '%s'",
		    path, to);
		goto out;
	}
	rc = fsync_dir(slash ? dir : ".", err);
out:
	sqlite3_close(db);
	free(to);
	free(dir);
	return rc;
}
