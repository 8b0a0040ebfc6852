/*
 * ingest_mysql: [ingest] type = mysql, MySQL or MariaDB (SPEC.md
 * section 8).
 *
 * One file is one InnoDB transaction: the replace-date DELETE, the rows
 * (batched multi-row INSERTs of at most MY_BATCH_BYTES of SQL), the key
 * in xfer_ingested and, with replace-date, the version in xfer_applied
 * commit together or not at all.  Decisions a reader may look for:
 *
 * - The table must exist (xfer never guesses column types) and be
 *   InnoDB: a non-transactional engine (MyISAM, Aria, MEMORY) cannot
 *   roll a failed file back, so it is refused before anything is done.
 * - xfer_ingested and xfer_applied are created (InnoDB) in the table's
 *   schema when missing, BEFORE the transaction starts: DDL commits
 *   the transaction it runs in.
 * - Ingests of one job are serialized with GET_LOCK('xfer-ingest:JOB'),
 *   taken before the transaction starts, so the duplicate rule reads
 *   the keys the previous ingest committed (REPEATABLE READ takes its
 *   snapshot at the first read).  The lock waits at most lock_timeout;
 *   a lock held longer is transient.
 * - Header names map to table columns by name, without regard to case
 *   (as MySQL compares them).  A header column the table lacks, and a
 *   table column that is NOT NULL without a default that the file lacks,
 *   fail the file before any row is sent.
 * - Values are sent as quoted strings (mysql_real_escape_string) and
 *   converted by the server in strict mode (sql_mode STRICT_ALL_TABLES,
 *   see myconn.c): a value that does not fit is rejected, never
 *   truncated.  An empty value (an empty CSV field, a JSON "") is the
 *   empty string in a string column (CHAR, VARCHAR, TEXT, BINARY, BLOB,
 *   ENUM, SET) and NULL in any other, which could not hold it (CSV has
 *   no NULL; the same rule as for PostgreSQL); JSON null is NULL,
 *   true/false 1/0.
 * - A TIMESTAMP column is the exception: its values are converted here
 *   (myvalue_timestamp_utc) to UTC text, which the session (time_zone
 *   '+00:00') stores exactly.  The server would read a value without an
 *   offset in the session's zone, not the job's (SPEC: values without a
 *   zone are in the job's zone), and refuses one with an offset; so a
 *   value with an offset is that instant, one without is wall time in
 *   the job's zone, and anything else fails the file with its line.
 * - Rows go in batches: on MariaDB one prepared INSERT executed for up
 *   to MY_BULK_ROWS rows at once (array binding); on MySQL multi-row
 *   INSERT statements of up to MY_BATCH_BYTES, the values escaped with
 *   mysql_real_escape_string().  Either way the server converts the
 *   text.
 * - On MariaDB the next batch is read and bound while the server
 *   inserts the last one (a non-blocking execute, the socket
 *   non-blocking only until its reply is in), so reading the file costs
 *   no wall time on top of the server's: as fast as LOAD DATA LOCAL,
 *   without its LOCAL rules (duplicate keys skipped, bad values made
 *   warnings) to undo.  When the server refuses a batch, the first
 *   fault in the file is still the one reported: a later malformed
 *   record waits for the outcome of the batch before it.
 * - A rejected batch is rolled back to a savepoint and replayed one row
 *   at a time to find the row the server refuses, so the message names
 *   the file's line even for errors that carry no row number (duplicate
 *   key, CHECK); memory holds two batches (one sent, one filling) and
 *   their line numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "db/myconn.h"
#include "db/myvalue.h"
#include "fault.h"
#include "ingest_impl.h"

/* SQL bytes per multi-row INSERT: far below any max_allowed_packet
 * (MariaDB 16 MiB, MySQL 64 MiB by default, 4 MiB on older ones). */
#define MY_BATCH_BYTES	(1024 * 1024)
/* Rows per bulk execution, and at most this many values (memory: about
 * 25 bytes of bookkeeping a value, in each of the two batches). */
#define MY_BULK_ROWS	10000
#define MY_BULK_VALUES	200000
#define MY_TS_MAX	40	/* "YYYY-MM-DD HH:MM:SS.fffffffff" */

struct mycol {
	char *name;
	int required;		/* NOT NULL, no default, not generated */
	int string;		/* CHAR, TEXT, BLOB, ENUM, SET ...: can hold
				 * an empty value */
	int instant;		/* TIMESTAMP: converted to UTC here */
};

/* The mysql target's state, in ig->be. */
struct my {
	struct myconn *c;
	int locked;		/* GET_LOCK(lockname) held */
	char lockname[64];
	int in_tx;
	char *schema;		/* the table's schema, or NULL: DATABASE() */
	char *table;		/* its name */
	struct buf qtable;	/* `schema`.`table` */
	struct buf kprefix;	/* `schema`. or "" for xfer_* */
	struct mycol *cols;
	size_t ncols;
	struct buf head;	/* INSERT INTO t (`a`, `b`) VALUES */
	struct buf batch;	/* head + tuples */
	struct buf tmp;
	size_t *offs;		/* per tuple in batch: its offset */
	unsigned long *lines;	/* its file line */
	size_t nrows, cap;
	unsigned char *empty_null;	/* per file column: an empty value
					 * is NULL (not a string column) */
	unsigned char *instant;		/* per file column: TIMESTAMP */

	/* MariaDB: one prepared INSERT executed for a whole batch of rows
	 * (array binding, COM_STMT_BULK_EXECUTE), column by column.  Two
	 * batches: one fills while the server executes the other. */
	int bulk;
	MYSQL_STMT *ins;
	size_t nc, brows;	/* columns; rows a batch holds */
	struct mybatch {
		struct buf arena;	/* the batch's values */
		size_t *aoff;		/* [c * brows + r]: offset in arena */
		const char **vp;	/* pointers, set at execute time */
		unsigned long *lp;	/* lengths */
		char *ip;		/* STMT_INDICATOR_NULL or _NONE */
		unsigned long *lines;	/* per row: its file line */
		size_t nrows;
	} bb[2];
	int fill;		/* bb[fill] takes rows */
	int async;		/* the connection does non-blocking calls */
	int sent;		/* bb[!fill] is executing */
	int status, ret;	/* its mysql_stmt_execute_start/_cont state */
	int drop;		/* the connection is in a state to close */
	MYSQL_BIND *pb;
};

#define MY(ig) ((struct my *)(ig)->be)

static int bulk_setup(struct ingest *ig, size_t n);
static int bulk_send(struct ingest *ig);
static int bulk_wait(struct ingest *ig);

/* `name`, its backticks doubled. */
static int
put_ident(struct buf *b, const char *name)
{
	return buf_put_ident(b, name, '`');
}

/* 'text' escaped for the connection's character set. */
static int
put_lit(struct buf *b, MYSQL *my, const char *s, size_t len)
{
	unsigned long n;

	if (buf_reserve(b, 2 * len + 3) == -1)
		return -1;
	b->data[b->len++] = '\'';
	n = mysql_real_escape_string(my, b->data + b->len, s, len);
	if (n == (unsigned long)-1)
		return -1;
	b->len += n;
	b->data[b->len++] = '\'';
	b->data[b->len] = '\0';
	return 0;
}

static int
put_slit(struct buf *b, MYSQL *my, const char *s)
{
	return put_lit(b, my, s, strlen(s));
}

static int
exec(struct ingest *ig, const char *sql, const char *what)
{
	return myconn_exec(MY(ig)->c, sql, what, ig->err);
}

/* Run sql and return its first row's first column(s) into row, or 0
 * rows; -1 with err set. */
static int
query_row(struct ingest *ig, const char *sql, const char *what,
    MYSQL_RES **resp, MYSQL_ROW *row)
{
	MYSQL *my = MY(ig)->c->my;

	*resp = NULL;
	if (mysql_real_query(my, sql, strlen(sql)) != 0 ||
	    (*resp = mysql_store_result(my)) == NULL)
		return myconn_fail(MY(ig)->c, what, ig->err);
	*row = mysql_fetch_row(*resp);
	return *row != NULL ? 1 : 0;
}

/* Split [ingest] table into schema and name, quote them. */
static int
split_table(struct ingest *ig)
{
	const char *t = ig->job->ingest.table, *dot = strchr(t, '.');
	struct my *m = MY(ig);

	if (dot != NULL) {
		if ((m->schema = strndup(t, (size_t)(dot - t))) == NULL ||
		    (m->table = strdup(dot + 1)) == NULL)
			return xerr_nomem(ig->err);
	} else if ((m->table = strdup(t)) == NULL) {
		return xerr_nomem(ig->err);
	}
	if ((m->schema != NULL && (put_ident(&m->qtable, m->schema) == -1 ||
	    buf_putc(&m->qtable, '.') == -1 ||
	    put_ident(&m->kprefix, m->schema) == -1 ||
	    buf_putc(&m->kprefix, '.') == -1)) ||
	    put_ident(&m->qtable, m->table) == -1 ||
	    buf_puts(&m->kprefix, "") == -1)
		return xerr_nomem(ig->err);
	return 0;
}

/* "TABLE_SCHEMA = 's' AND TABLE_NAME = 't'" for information_schema. */
static int
put_where_table(struct ingest *ig, struct buf *b, const char *table)
{
	MYSQL *my = MY(ig)->c->my;

	if (buf_puts(b, " WHERE TABLE_SCHEMA = ") == -1)
		return -1;
	if (MY(ig)->schema != NULL) {
		if (put_slit(b, my, MY(ig)->schema) == -1)
			return -1;
	} else if (buf_puts(b, "DATABASE()") == -1) {
		return -1;
	}
	if (buf_puts(b, " AND TABLE_NAME = ") == -1 ||
	    put_slit(b, my, table) == -1)
		return -1;
	return 0;
}

/*
 * The table exists and is InnoDB (0), or the error says why not.
 * engine gets the engine's name for check --connect.
 */
static int
check_engine(struct ingest *ig, char *engine, size_t size)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	struct buf b;
	int k, rc = -1;

	buf_init(&b, 0);
	if (buf_puts(&b, "SELECT ENGINE, TABLE_TYPE FROM "
	    "information_schema.TABLES") == -1 ||
	    put_where_table(ig, &b, MY(ig)->table) == -1) {
		xerr_nomem(ig->err);
		goto out;
	}
	if ((k = query_row(ig, b.data, "cannot read the table's engine",
	    &res, &row)) == -1)
		goto out;
	if (k == 0) {
		xerr_set(ig->err, XERR_PERM, 0, "database '%s': table '%s' "
		    "does not exist (xfer does not create it: its column types "
		    "are yours to choose)", MY(ig)->c->name,
		    ig->job->ingest.table);
		goto out;
	}
	snprintf(engine, size, "%s", row[0] != NULL ? row[0] : "none");
	if (row[0] == NULL || strcasecmp(row[0], "InnoDB") != 0) {
		xerr_set(ig->err, XERR_PERM, 0, "database '%s': table '%s' "
		    "%s%s%s, which cannot roll back a failed file; xfer loads "
		    "only into InnoDB tables (ALTER TABLE ... ENGINE=InnoDB)",
		    MY(ig)->c->name, ig->job->ingest.table,
		    row[0] == NULL ? "is a " : "uses engine ",
		    row[0] == NULL ? (row[1] ? row[1] : "view") : row[0],
		    row[0] == NULL ? " (not a base table)" : "");
		goto out;
	}
	rc = 0;
out:
	if (res != NULL)
		mysql_free_result(res);
	buf_release(&b);
	return rc;
}

/* The table's columns into MY(ig)->cols. */
static int
table_columns(struct ingest *ig)
{
	struct my *m = MY(ig);
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	struct buf b;
	size_t n;
	int rc = -1;

	buf_init(&b, 0);
	if (buf_puts(&b, "SELECT COLUMN_NAME, IS_NULLABLE = 'NO' AND "
	    "COLUMN_DEFAULT IS NULL AND EXTRA NOT LIKE '%auto_increment%' AND "
	    "EXTRA NOT LIKE '%GENERATED%' AND EXTRA NOT LIKE '%VIRTUAL%' AND "
	    "EXTRA NOT LIKE '%PERSISTENT%' AND EXTRA NOT LIKE '%STORED%', "
	    "DATA_TYPE IN ('char', 'varchar', 'tinytext', 'text', "
	    "'mediumtext', 'longtext', 'binary', 'varbinary', 'tinyblob', "
	    "'blob', 'mediumblob', 'longblob', 'enum', 'set'), "
	    "DATA_TYPE = 'timestamp' FROM information_schema.COLUMNS") == -1 ||
	    put_where_table(ig, &b, m->table) == -1 ||
	    buf_puts(&b, " ORDER BY ORDINAL_POSITION") == -1) {
		xerr_nomem(ig->err);
		goto out;
	}
	if (mysql_real_query(m->c->my, b.data, b.len) != 0 ||
	    (res = mysql_store_result(m->c->my)) == NULL) {
		myconn_fail(m->c, "cannot read the table's columns", ig->err);
		goto out;
	}
	n = (size_t)mysql_num_rows(res);
	if ((m->cols = calloc(n + 1, sizeof(*m->cols))) == NULL) {
		xerr_nomem(ig->err);
		goto out;
	}
	while ((row = mysql_fetch_row(res)) != NULL && m->ncols < n) {
		if (row[0] == NULL)
			continue;
		if ((m->cols[m->ncols].name = strdup(row[0])) == NULL) {
			xerr_nomem(ig->err);
			goto out;
		}
		m->cols[m->ncols].required = row[1] != NULL &&
		    strcmp(row[1], "1") == 0;
		m->cols[m->ncols].instant = row[3] != NULL &&
		    strcmp(row[3], "1") == 0;
		m->cols[m->ncols++].string = row[2] != NULL &&
		    strcmp(row[2], "1") == 0;
	}
	rc = 0;
out:
	if (res != NULL)
		mysql_free_result(res);
	buf_release(&b);
	return rc;
}

static const struct mycol *
find_col(const struct my *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncols; i++)
		if (strcasecmp(m->cols[i].name, name) == 0)
			return &m->cols[i];
	return NULL;
}

/* The header is known: map it onto the table (or fail the file) and
 * prepare the INSERT's head. */
static int
my_names(struct ingest *ig, const char *const *names, size_t n)
{
	const struct job_ingest *ing = &ig->job->ingest;
	const char *fname = ig->req->name;
	struct my *m = MY(ig);
	unsigned long caps = 0;
	const char *bulk;
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcasecmp(names[i], names[j]) == 0)
				return xerr_set(ig->err, XERR_DATA, 0,
				    "'%s': columns '%s' and '%s' are one "
				    "column in MySQL (it ignores case)", fname,
				    names[j], names[i]);
	for (i = 0; i < n; i++)
		if (find_col(m, names[i]) == NULL)
			return xerr_set(ig->err, XERR_DATA, 0, "'%s': table "
			    "'%s' has no column '%s'", fname, ing->table,
			    names[i]);
	for (j = 0; j < m->ncols; j++) {
		if (!m->cols[j].required)
			continue;
		for (i = 0; i < n; i++)
			if (strcasecmp(names[i], m->cols[j].name) == 0)
				break;
		if (i == n)
			return xerr_set(ig->err, XERR_DATA, 0, "'%s': no "
			    "column '%s', which table '%s' needs (NOT NULL "
			    "without a default)", fname, m->cols[j].name,
			    ing->table);
	}
	if (ing->mode == MODE_REPLACE_DATE) {
		for (i = 0; i < n; i++)
			if (strcasecmp(names[i], ing->date_column) == 0)
				break;
		if (i == n)
			return xerr_set(ig->err, XERR_DATA, 0, "'%s': no "
			    "column '%s', which mode = replace-date deletes "
			    "by", fname, ing->date_column);
	}
	if ((m->empty_null = calloc(n + 1, 1)) == NULL ||
	    (m->instant = calloc(n + 1, 1)) == NULL)
		return xerr_nomem(ig->err);
	for (i = 0; i < n; i++) {
		m->empty_null[i] = !find_col(m, names[i])->string;
		m->instant[i] = find_col(m, names[i])->instant;
	}
	if (buf_puts(&m->head, "INSERT INTO ") == -1 ||
	    buf_append(&m->head, m->qtable.data, m->qtable.len) == -1 ||
	    buf_puts(&m->head, " (") == -1)
		return xerr_nomem(ig->err);
	for (i = 0; i < n; i++)
		if ((i > 0 && buf_puts(&m->head, ", ") == -1) ||
		    put_ident(&m->head, names[i]) == -1)
			return xerr_nomem(ig->err);
	if (buf_puts(&m->head, ") VALUES ") == -1)
		return xerr_nomem(ig->err);
	/* MariaDB 10.2 and later execute an array of rows at once;
	 * XFER_MYSQL_BULK=0 takes the MySQL way there too (for tests). */
	bulk = getenv("XFER_MYSQL_BULK");
	if ((bulk == NULL || strcmp(bulk, "0") != 0) &&
	    mariadb_get_infov(m->c->my,
	    MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &caps) == 0 &&
	    m->c->mariadb && (caps & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >>
	    32)) != 0) {
		if (bulk_setup(ig, n) == -1)
			return -1;
		m->bulk = 1;
	}
	return 0;
}

/* The length of msg without the " at row N" of a one-row statement:
 * the file's line says which row. */
static int
msg_len(const char *msg)
{
	const char *p = strstr(msg, " at row ");
	size_t n = strlen(msg);

	if (p != NULL && p[8] != '\0' && strspn(p + 8, "0123456789") ==
	    strlen(p + 8))
		n = (size_t)(p - msg);
	return n > INT_MAX ? INT_MAX : (int)n;
}

/*
 * The batch failed with a row's fault: replay its rows one by one (the
 * failed statement left nothing behind) to name the row the server
 * refuses and its line.
 */
static int
locate_bad_row(struct ingest *ig, const char *msg0)
{
	struct my *m = MY(ig);
	size_t i, end;
	unsigned code;

	for (i = 0; i < m->nrows; i++) {
		end = i + 1 < m->nrows ? m->offs[i + 1] - 2 : m->batch.len;
		buf_reset(&m->tmp);
		if (buf_append(&m->tmp, m->head.data, m->head.len) == -1 ||
		    buf_append(&m->tmp, m->batch.data + m->offs[i],
		    end - m->offs[i]) == -1)
			return xerr_nomem(ig->err);
		if (mysql_real_query(m->c->my, m->tmp.data, m->tmp.len) == 0)
			continue;
		code = mysql_errno(m->c->my);
		return xerr_set(ig->err, myconn_is_data_error(code) ?
		    XERR_DATA : myconn_err_class(m->c, code), 0, "%s:%lu: cannot insert "
		    "into '%s': %.*s", ig->req->name, m->lines[i],
		    ig->job->ingest.table, msg_len(mysql_error(m->c->my)),
		    mysql_error(m->c->my));
	}
	return xerr_set(ig->err, XERR_DATA, 0, "%s:%lu-%lu: cannot insert "
	    "into '%s': %s", ig->req->name, m->lines[0],
	    m->lines[m->nrows - 1], ig->job->ingest.table, msg0);
}

static int
flush_batch(struct ingest *ig)
{
	struct my *m = MY(ig);
	char msg[512];
	unsigned code;

	if (m->bulk)
		return bulk_send(ig) == -1 ? -1 : bulk_wait(ig);
	if (m->nrows == 0)
		return 0;
	if (mysql_real_query(m->c->my, m->batch.data, m->batch.len) != 0) {
		code = mysql_errno(m->c->my);
		if (!myconn_is_data_error(code)) {
			if (m->nrows == 1)
				return xerr_set(ig->err, myconn_err_class(m->c,
				    code), 0,
				    "%s:%lu: cannot insert into '%s': %s",
				    ig->req->name, m->lines[0],
				    ig->job->ingest.table,
				    mysql_error(m->c->my));
			return myconn_fail(m->c, "cannot insert into the "
			    "table", ig->err);
		}
		snprintf(msg, sizeof(msg), "%s", mysql_error(m->c->my));
		return locate_bad_row(ig, msg);
	}
	buf_reset(&m->batch);
	m->nrows = 0;
	return 0;
}

/* Bulk: room for two batches of nc columns. */
static int
bulk_setup(struct ingest *ig, size_t n)
{
	struct my *m = MY(ig);
	struct mybatch *bt;
	struct buf sql;
	size_t i, cells;
	int rc;

	m->nc = n;
	m->brows = MY_BULK_VALUES / n;
	if (m->brows > MY_BULK_ROWS)
		m->brows = MY_BULK_ROWS;
	if (m->brows == 0)
		m->brows = 1;
	cells = m->nc * m->brows;
	for (i = 0; i < 2; i++) {
		bt = &m->bb[i];
		bt->aoff = calloc(cells, sizeof(*bt->aoff));
		bt->vp = calloc(cells, sizeof(*bt->vp));
		bt->lp = calloc(cells, sizeof(*bt->lp));
		bt->ip = calloc(cells, 1);
		bt->lines = calloc(m->brows, sizeof(*bt->lines));
		if (bt->aoff == NULL || bt->vp == NULL || bt->lp == NULL ||
		    bt->ip == NULL || bt->lines == NULL)
			return xerr_nomem(ig->err);
	}
	if ((m->pb = calloc(n, sizeof(*m->pb))) == NULL)
		return xerr_nomem(ig->err);
	buf_init(&sql, 0);
	if (buf_append(&sql, m->head.data, m->head.len) == -1 ||
	    buf_putc(&sql, '(') == -1)
		goto nomem;
	for (i = 0; i < n; i++)
		if (buf_puts(&sql, i > 0 ? ", ?" : "?") == -1)
			goto nomem;
	if (buf_putc(&sql, ')') == -1)
		goto nomem;
	if ((m->ins = mysql_stmt_init(m->c->my)) == NULL) {
		buf_release(&sql);
		return xerr_nomem(ig->err);
	}
	rc = mysql_stmt_prepare(m->ins, sql.data, sql.len);
	buf_release(&sql);
	if (rc != 0)
		return myconn_stmt_fail(m->c, m->ins, "cannot prepare the "
		    "insert", ig->err);
	/* Non-blocking calls let the next batch be read and bound while
	 * the server inserts this one; without them (0 on success), one
	 * batch after the other. */
	m->async = mysql_options(m->c->my, MYSQL_OPT_NONBLOCK, 0) == 0;
	return 0;
nomem:
	buf_release(&sql);
	return xerr_nomem(ig->err);
}

/*
 * A value for a TIMESTAMP column as UTC text (the session's zone), at
 * out (MY_TS_MAX); or the file fails: the server would read anything
 * else in its session's zone, not the job's.
 */
static int
timestamp_value(struct ingest *ig, const struct record *rec, size_t c,
    char *out)
{
	const struct value *v = &rec->vals[c];
	unsigned long line = record_line(rec);
	int n;

	if ((n = myvalue_timestamp_utc(v->ptr, v->len, out, MY_TS_MAX)) >= 0)
		return n;
	return xerr_set(ig->err, XERR_DATA, 0, "%s:%lu: value '%.*s' for "
	    "TIMESTAMP column '%s' is not YYYY-MM-DD[THH:MM[:SS[.FRAC]]] "
	    "with an optional Z or +HH:MM", ig->req->name,
	    line ? line : rec->recno, v->len > 64 ? 64 : (int)v->len,
	    v->ptr, rec->names ? rec->names[c] : "?");
}

static int
bulk_row(struct ingest *ig, const struct record *rec)
{
	struct my *m = MY(ig);
	struct mybatch *bt = &m->bb[m->fill];
	const struct value *v;
	size_t c, k;

	for (c = 0; c < rec->n && c < m->nc; c++) {
		v = &rec->vals[c];
		k = c * m->brows + bt->nrows;
		if (v->kind == VAL_NULL || (v->len == 0 && m->empty_null[c])) {
			bt->ip[k] = STMT_INDICATOR_NULL;
			bt->lp[k] = 0;
			bt->aoff[k] = 0;
			continue;
		}
		bt->ip[k] = STMT_INDICATOR_NONE;
		bt->aoff[k] = bt->arena.len;
		if (m->instant[c]) {
			char ts[MY_TS_MAX];
			int n = timestamp_value(ig, rec, c, ts);

			if (n < 0)
				return -1;
			if (buf_append(&bt->arena, ts, (size_t)n) == -1)
				return xerr_nomem(ig->err);
			bt->lp[k] = (unsigned long)n;
		} else if (v->kind == VAL_BOOL) {
			if (buf_putc(&bt->arena, v->ptr[0] == 't' ? '1' : '0')
			    == -1)
				return xerr_nomem(ig->err);
			bt->lp[k] = 1;
		} else {
			if (buf_append(&bt->arena, v->ptr, v->len) == -1)
				return xerr_nomem(ig->err);
			bt->lp[k] = v->len;
		}
	}
	bt->lines[bt->nrows] = record_line(rec);
	if (bt->lines[bt->nrows] == 0)
		bt->lines[bt->nrows] = rec->recno;
	bt->nrows++;
	if (bt->nrows == m->brows || bt->arena.len >= MY_BATCH_BYTES)
		return bulk_send(ig);
	return 0;
}

/* Row r of batch bt alone, with plain (not array) binds. */
static int
bulk_one(struct my *m, const struct mybatch *bt, size_t r)
{
	my_bool nul[m->nc > 0 ? m->nc : 1];
	unsigned int zero = 0;
	size_t c, k;

	memset(m->pb, 0, m->nc * sizeof(*m->pb));
	for (c = 0; c < m->nc; c++) {
		k = c * m->brows + r;
		nul[c] = bt->ip[k] == STMT_INDICATOR_NULL;
		m->pb[c].buffer_type = MYSQL_TYPE_STRING;
		m->pb[c].buffer = (void *)bt->vp[k];
		m->pb[c].buffer_length = bt->lp[k];
		m->pb[c].length = &bt->lp[k];
		m->pb[c].is_null = &nul[c];
	}
	if (mysql_stmt_attr_set(m->ins, STMT_ATTR_ARRAY_SIZE, &zero) != 0 ||
	    mysql_stmt_bind_param(m->ins, m->pb) != 0)
		return -1;
	return mysql_stmt_execute(m->ins) != 0 ? -1 : 0;
}

/*
 * Wait for what the pending non-blocking call waits for (status), then
 * let it go on; its new status.  A failed poll is reported to it as a
 * timeout, which ends the call with an error.
 */
static int
bulk_step(struct my *m, int status)
{
	struct pollfd p;
	int n, ev = 0, ms = -1;

	p.fd = mysql_get_socket(m->c->my);
	p.events = 0;
	p.revents = 0;
	if (status & MYSQL_WAIT_READ)
		p.events |= POLLIN;
	if (status & MYSQL_WAIT_WRITE)
		p.events |= POLLOUT;
	if (status & MYSQL_WAIT_EXCEPT)
		p.events |= POLLPRI;
	if (status & MYSQL_WAIT_TIMEOUT)
		ms = (int)mysql_get_timeout_value_ms(m->c->my);
	do
		n = poll(&p, 1, ms);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		ev = MYSQL_WAIT_TIMEOUT;
	} else {
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			ev |= MYSQL_WAIT_READ;
		if (p.revents & (POLLOUT | POLLHUP | POLLERR))
			ev |= MYSQL_WAIT_WRITE;
		if (p.revents & POLLPRI)
			ev |= MYSQL_WAIT_EXCEPT;
		ev &= status;
		if (ev == 0)	/* POLLNVAL: give up */
			ev = MYSQL_WAIT_TIMEOUT;
	}
	return mysql_stmt_execute_cont(&m->ret, m->ins, ev);
}

/*
 * The socket non-blocking (on) or back as the client library keeps it.
 * It connected blocking, and its non-blocking calls only suspend when
 * the socket would block, TLS included.  0 / -1.
 */
static int
bulk_nonblock(struct my *m, int on)
{
	int fd = (int)mysql_get_socket(m->c->my);
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* The executed batch bt's outcome (ret: the execute's return). */
static int
bulk_result(struct ingest *ig, struct mybatch *bt, int ret)
{
	struct my *m = MY(ig);
	char msg[512];
	unsigned code;
	size_t r;

	if (ret == 0) {
		buf_reset(&bt->arena);
		bt->nrows = 0;
		return 0;
	}
	code = mysql_stmt_errno(m->ins);
	if (!myconn_is_data_error(code))
		return myconn_stmt_fail(m->c, m->ins, "cannot insert into the "
		    "table", ig->err);
	snprintf(msg, sizeof(msg), "%s", mysql_stmt_error(m->ins));
	if (exec(ig, "ROLLBACK TO SAVEPOINT xfer_batch", "cannot roll back "
	    "to the savepoint") == -1)
		return -1;
	for (r = 0; r < bt->nrows; r++) {
		if (bulk_one(m, bt, r) == 0)
			continue;
		code = mysql_stmt_errno(m->ins);
		return xerr_set(ig->err, myconn_is_data_error(code) ?
		    XERR_DATA : myconn_err_class(m->c, code), 0, "%s:%lu: "
		    "cannot insert into '%s': %.*s", ig->req->name,
		    bt->lines[r], ig->job->ingest.table,
		    msg_len(mysql_stmt_error(m->ins)),
		    mysql_stmt_error(m->ins));
	}
	return xerr_set(ig->err, XERR_DATA, 0, "%s:%lu-%lu: cannot insert "
	    "into '%s': %s", ig->req->name, bt->lines[0],
	    bt->lines[bt->nrows - 1], ig->job->ingest.table, msg);
}

/* The batch sent last has run: its outcome (0 when none is out). */
static int
bulk_wait(struct ingest *ig)
{
	struct my *m = MY(ig);

	if (!m->sent)
		return 0;
	while (m->status != 0)
		m->status = bulk_step(m, m->status);
	m->sent = 0;
	if (bulk_nonblock(m, 0) == -1) {
		m->drop = 1;
		return xerr_set(ig->err, XERR_TEMP, errno, "database '%s': "
		    "cannot set the connection back to blocking", m->c->name);
	}
	return bulk_result(ig, &m->bb[!m->fill], m->ret);
}

/*
 * Send the filling batch once the one before it has run, and go on
 * filling the other: the server inserts one batch while xfer reads the
 * next.  The savepoint before each batch is what a failed one is
 * rolled back to before its rows are replayed one by one.
 */
static int
bulk_send(struct ingest *ig)
{
	struct my *m = MY(ig);
	struct mybatch *bt = &m->bb[m->fill];
	unsigned int size = (unsigned int)bt->nrows;
	size_t c, r, k;

	if (bt->nrows == 0)
		return 0;
	if (bulk_wait(ig) == -1)
		return -1;
	for (c = 0; c < m->nc; c++)
		for (r = 0; r < bt->nrows; r++) {
			k = c * m->brows + r;
			bt->vp[k] = bt->ip[k] == STMT_INDICATOR_NULL ? NULL :
			    bt->arena.data + bt->aoff[k];
		}
	memset(m->pb, 0, m->nc * sizeof(*m->pb));
	for (c = 0; c < m->nc; c++) {
		m->pb[c].buffer_type = MYSQL_TYPE_STRING;
		m->pb[c].buffer = &bt->vp[c * m->brows];
		m->pb[c].length = &bt->lp[c * m->brows];
		m->pb[c].u.indicator = &bt->ip[c * m->brows];
	}
	if (exec(ig, "SAVEPOINT xfer_batch", "cannot set a savepoint") == -1)
		return -1;
	if (mysql_stmt_attr_set(m->ins, STMT_ATTR_ARRAY_SIZE, &size) != 0 ||
	    mysql_stmt_bind_param(m->ins, m->pb) != 0)
		return bulk_result(ig, bt, -1);
	if (!m->async || bulk_nonblock(m, 1) == -1)
		return bulk_result(ig, bt, mysql_stmt_execute(m->ins));
	/* The whole request goes out now; only its reply is waited for
	 * later. */
	m->status = mysql_stmt_execute_start(&m->ret, m->ins);
	while (m->status & MYSQL_WAIT_WRITE)
		m->status = bulk_step(m, m->status);
	m->sent = 1;
	m->fill = !m->fill;
	return m->status == 0 ? bulk_wait(ig) : 0;
}

static int
my_row(struct ingest *ig, const struct record *rec)
{
	struct my *m = MY(ig);
	const struct value *v;
	size_t i;

	if (m->bulk)
		return bulk_row(ig, rec);
	if (m->batch.len == 0 &&
	    buf_append(&m->batch, m->head.data, m->head.len) == -1)
		return xerr_nomem(ig->err);
	if (m->nrows == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		size_t *o = realloc(m->offs, cap * sizeof(*o));
		unsigned long *l;

		if (o == NULL)
			return xerr_nomem(ig->err);
		m->offs = o;
		if ((l = realloc(m->lines, cap * sizeof(*l))) == NULL)
			return xerr_nomem(ig->err);
		m->lines = l;
		m->cap = cap;
	}
	if (m->nrows > 0 && buf_puts(&m->batch, ", ") == -1)
		return xerr_nomem(ig->err);
	m->offs[m->nrows] = m->batch.len;
	m->lines[m->nrows] = record_line(rec);
	if (m->lines[m->nrows] == 0)
		m->lines[m->nrows] = rec->recno;
	m->nrows++;
	if (buf_putc(&m->batch, '(') == -1)
		return xerr_nomem(ig->err);
	for (i = 0; i < rec->n; i++) {
		v = &rec->vals[i];
		if (i > 0 && buf_puts(&m->batch, ", ") == -1)
			return xerr_nomem(ig->err);
		if (v->kind == VAL_NULL || (v->len == 0 && m->empty_null[i])) {
			if (buf_puts(&m->batch, "NULL") == -1)
				return xerr_nomem(ig->err);
		} else if (m->instant[i]) {
			char ts[MY_TS_MAX];
			int n = timestamp_value(ig, rec, i, ts);

			if (n < 0)
				return -1;
			if (put_lit(&m->batch, m->c->my, ts, (size_t)n) == -1)
				return xerr_nomem(ig->err);
		} else if (v->kind == VAL_BOOL) {
			if (buf_putc(&m->batch, v->ptr[0] == 't' ? '1' : '0') ==
			    -1)
				return xerr_nomem(ig->err);
		} else if (put_lit(&m->batch, m->c->my, v->ptr, v->len) == -1) {
			return xerr_nomem(ig->err);
		}
	}
	if (buf_putc(&m->batch, ')') == -1)
		return xerr_nomem(ig->err);
	if (m->batch.len >= MY_BATCH_BYTES)
		return flush_batch(ig);
	return 0;
}

/* 1 / 0 / -1: xfer_ingested (or xfer_applied) exists. */
static int
has_table(struct ingest *ig, const char *name)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	struct buf b;
	int k;

	buf_init(&b, 0);
	if (buf_puts(&b, "SELECT 1 FROM information_schema.TABLES") == -1 ||
	    put_where_table(ig, &b, name) == -1) {
		buf_release(&b);
		return xerr_nomem(ig->err);
	}
	k = query_row(ig, b.data, "cannot read the schema", &res, &row);
	if (res != NULL)
		mysql_free_result(res);
	buf_release(&b);
	return k;
}

/* The key tables, created when missing (outside any transaction:
 * CREATE TABLE commits). */
static int
ensure_tables(struct ingest *ig)
{
	struct my *m = MY(ig);
	struct buf b;
	int rc = -1, k;

	/* Usually there: no DDL (and its metadata locks) per file. */
	if ((k = has_table(ig, "xfer_ingested")) == -1 ||
	    (k == 1 && (k = has_table(ig, "xfer_applied")) == -1))
		return -1;
	if (k == 1)
		return 0;
	buf_init(&b, 0);
	if (buf_printf(&b, "CREATE TABLE IF NOT EXISTS %sxfer_ingested ("
	    "job VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, "
	    "sha256 CHAR(64) NOT NULL, date CHAR(10), records BIGINT, "
	    "ingested_at VARCHAR(32), delivery BIGINT, "
	    "PRIMARY KEY (job, name, sha256)) ENGINE=InnoDB "
	    "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", m->kprefix.data) ==
	    -1) {
		xerr_nomem(ig->err);
		goto out;
	}
	if (exec(ig, b.data, "cannot create xfer_ingested") == -1)
		goto out;
	buf_reset(&b);
	if (buf_printf(&b, "CREATE TABLE IF NOT EXISTS %sxfer_applied ("
	    "job VARCHAR(255) NOT NULL, date CHAR(10) NOT NULL, "
	    "name VARCHAR(255), sha256 CHAR(64), records BIGINT, "
	    "delivery BIGINT, applied_at VARCHAR(32), "
	    "PRIMARY KEY (job, date)) ENGINE=InnoDB "
	    "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", m->kprefix.data) ==
	    -1) {
		xerr_nomem(ig->err);
		goto out;
	}
	rc = exec(ig, b.data, "cannot create xfer_applied");
out:
	buf_release(&b);
	return rc;
}

/* 1 / 0 / -1: the key or applied version, as sqlite's lookup(). */
static int
lookup(struct ingest *ig, int applied, struct ingest_key *kn)
{
	struct my *m = MY(ig);
	MYSQL *my = m->c->my;
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	struct buf b;
	int k = -1;

	buf_init(&b, 0);
	if (buf_printf(&b, "SELECT records, delivery, sha256 FROM %s%s WHERE "
	    "job = ", m->kprefix.data, applied ? "xfer_applied" :
	    "xfer_ingested") == -1 || put_slit(&b, my, ig->job->name) == -1)
		goto nomem;
	if (applied) {
		if (buf_puts(&b, " AND date = ") == -1 ||
		    put_slit(&b, my, ig->date) == -1)
			goto nomem;
	} else if (buf_puts(&b, " AND name = ") == -1 ||
	    put_slit(&b, my, ig->req->name) == -1 ||
	    buf_puts(&b, " AND sha256 = ") == -1 ||
	    put_slit(&b, my, ig->req->sha256) == -1) {
		goto nomem;
	}
	if ((k = query_row(ig, b.data, applied ? "cannot read xfer_applied" :
	    "cannot read xfer_ingested", &res, &row)) == 1) {
		kn->records = row[0] != NULL ? strtoll(row[0], NULL, 10) : 0;
		kn->delivery = row[1] != NULL ? strtoll(row[1], NULL, 10) : -1;
		snprintf(kn->sha256, sizeof(kn->sha256), "%s",
		    row[2] != NULL ? row[2] : "");
	}
	if (res != NULL)
		mysql_free_result(res);
	buf_release(&b);
	return k;
nomem:
	buf_release(&b);
	return xerr_nomem(ig->err);
}

static int
replace_date(struct ingest *ig)
{
	const struct job_ingest *ing = &ig->job->ingest;
	struct my *m = MY(ig);
	struct buf b;
	int rc;

	if (ing->mode != MODE_REPLACE_DATE)
		return 0;
	if (find_col(m, ing->date_column) == NULL)
		return xerr_set(ig->err, XERR_PERM, 0, "database '%s': table "
		    "'%s' has no column '%s' for mode = replace-date",
		    m->c->name, ing->table, ing->date_column);
	buf_init(&b, 0);
	if (buf_puts(&b, "DELETE FROM ") == -1 ||
	    buf_append(&b, m->qtable.data, m->qtable.len) == -1 ||
	    buf_puts(&b, " WHERE ") == -1 ||
	    put_ident(&b, ing->date_column) == -1 ||
	    buf_puts(&b, " = ") == -1 ||
	    put_slit(&b, m->c->my, ig->date) == -1) {
		buf_release(&b);
		return xerr_nomem(ig->err);
	}
	rc = exec(ig, b.data, "cannot delete the date's rows");
	buf_release(&b);
	if (rc == 0)
		ig->deleted = (long long)mysql_affected_rows(m->c->my);
	return rc;
}

static int
put_delivery(struct buf *b, long long delivery)
{
	return delivery > 0 ? buf_printf(b, "%lld", delivery) :
	    buf_puts(b, "NULL");
}

/* The key row (one per job, name, sha256: a version applied again
 * replaces it) and, replace-date, the applied version. */
static int
add_key(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	struct my *m = MY(ig);
	MYSQL *my = m->c->my;
	int replace = ig->job->ingest.mode == MODE_REPLACE_DATE, rc = -1;
	char now[32];
	struct buf b;

	ingest_utc_now(now, sizeof(now));
	buf_init(&b, 0);
	/* A plain append never meets its key here (the duplicate rule
	 * saw to that); if it did, the insert fails rather than load the
	 * rows twice. */
	if (buf_printf(&b, "INSERT INTO %sxfer_ingested (job, name, sha256, "
	    "date, records, ingested_at, delivery) VALUES (",
	    m->kprefix.data) == -1 || put_slit(&b, my, ig->job->name) == -1 ||
	    buf_puts(&b, ", ") == -1 || put_slit(&b, my, req->name) == -1 ||
	    buf_puts(&b, ", ") == -1 || put_slit(&b, my, req->sha256) == -1 ||
	    buf_puts(&b, ", ") == -1 || put_slit(&b, my, ig->date) == -1 ||
	    buf_printf(&b, ", %lld, '%s', ", ig->nrec, now) == -1 ||
	    put_delivery(&b, req->delivery) == -1 || buf_putc(&b, ')') == -1)
		goto nomem;
	if ((req->force || replace) && buf_puts(&b, " ON DUPLICATE KEY UPDATE "
	    "date = VALUES(date), records = VALUES(records), ingested_at = "
	    "VALUES(ingested_at), delivery = VALUES(delivery)") == -1)
		goto nomem;
	if (exec(ig, b.data, "cannot record the file in xfer_ingested") == -1)
		goto out;
	buf_reset(&b);
	if (replace) {
		if (buf_printf(&b, "REPLACE INTO %sxfer_applied (job, date, "
		    "name, sha256, records, delivery, applied_at) VALUES (",
		    m->kprefix.data) == -1 ||
		    put_slit(&b, my, ig->job->name) == -1 ||
		    buf_puts(&b, ", ") == -1 || put_slit(&b, my, ig->date) ==
		    -1 || buf_puts(&b, ", ") == -1 ||
		    put_slit(&b, my, req->name) == -1 ||
		    buf_puts(&b, ", ") == -1 ||
		    put_slit(&b, my, req->sha256) == -1 ||
		    buf_printf(&b, ", %lld, ", ig->nrec) == -1 ||
		    put_delivery(&b, req->delivery) == -1 ||
		    buf_printf(&b, ", '%s')", now) == -1)
			goto nomem;
	} else {
		/* append: the date holds every version's rows, so no one
		 * version is applied. */
		if (buf_printf(&b, "DELETE FROM %sxfer_applied WHERE job = ",
		    m->kprefix.data) == -1 ||
		    put_slit(&b, my, ig->job->name) == -1 ||
		    buf_puts(&b, " AND date = ") == -1 ||
		    put_slit(&b, my, ig->date) == -1)
			goto nomem;
	}
	rc = exec(ig, b.data, "cannot record the version in xfer_applied");
	goto out;
nomem:
	xerr_nomem(ig->err);
out:
	buf_release(&b);
	return rc;
}

/* GET_LOCK for the job: one ingest of it at a time. */
static int
lock_job(struct ingest *ig)
{
	struct my *m = MY(ig);
	long t = ig->job->ingest.db.lock_timeout_ms;
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	struct buf b;
	int k;

	/* At most 64 characters; a long name cut short only shares its
	 * lock with a job of the same first 51. */
	snprintf(m->lockname, sizeof(m->lockname), "xfer-ingest:%.51s",
	    ig->job->name);
	buf_init(&b, 0);
	if (buf_puts(&b, "SELECT GET_LOCK(") == -1 ||
	    put_slit(&b, m->c->my, m->lockname) == -1 ||
	    buf_printf(&b, ", %ld)", t > 0 ? (t + 999) / 1000 : -1L) == -1) {
		buf_release(&b);
		return xerr_nomem(ig->err);
	}
	k = query_row(ig, b.data, "cannot take the job's lock", &res, &row);
	buf_release(&b);
	if (k == 1 && row[0] != NULL && strcmp(row[0], "1") == 0) {
		m->locked = 1;
		k = 0;
	} else if (k != -1) {
		k = xerr_set(ig->err, XERR_TEMP, 0, "database '%s': another "
		    "ingest of job '%s' holds its lock (waited %lds)",
		    m->c->name, ig->job->name, (t + 999) / 1000);
	}
	if (res != NULL)
		mysql_free_result(res);
	return k;
}

/* Undo what is open; 1 when the connection must be dropped. */
static int
end_tx(struct ingest *ig)
{
	struct my *m = MY(ig);
	struct buf b;
	int broken = 0;

	if (m->c == NULL)
		return 0;
	/* A batch still executing ends first (its outcome no longer
	 * matters): the connection takes nothing else meanwhile. */
	if (m->sent) {
		while (m->status != 0)
			m->status = bulk_step(m, m->status);
		m->sent = 0;
		if ((m->ret != 0 && myconn_broken(m->c)) ||
		    bulk_nonblock(m, 0) == -1)
			broken = 1;
	}
	if (m->drop)
		broken = 1;	/* closing it rolls back */
	if (!broken && m->in_tx && mysql_query(m->c->my, "ROLLBACK") != 0)
		broken = 1;
	m->in_tx = 0;
	if (!broken && m->locked) {
		buf_init(&b, 0);
		if (buf_puts(&b, "DO RELEASE_LOCK(") == -1 ||
		    put_slit(&b, m->c->my, m->lockname) == -1 ||
		    buf_putc(&b, ')') == -1 ||
		    mysql_real_query(m->c->my, b.data, b.len) != 0)
			broken = 1;	/* a lock left held: drop it */
		buf_release(&b);
	}
	m->locked = 0;
	return broken;
}

static void
my_free(struct my *m)
{
	size_t i;

	for (i = 0; i < m->ncols; i++)
		free(m->cols[i].name);
	free(m->cols);
	free(m->schema);
	free(m->table);
	buf_release(&m->qtable);
	buf_release(&m->kprefix);
	buf_release(&m->head);
	buf_release(&m->batch);
	buf_release(&m->tmp);
	free(m->offs);
	free(m->lines);
	if (m->ins != NULL)
		mysql_stmt_close(m->ins);
	for (i = 0; i < 2; i++) {
		buf_release(&m->bb[i].arena);
		free(m->bb[i].aoff);
		free(m->bb[i].vp);
		free(m->bb[i].lp);
		free(m->bb[i].ip);
		free(m->bb[i].lines);
	}
	free(m->pb);
	free(m->empty_null);
	free(m->instant);
}

static int
my_init(struct ingest *ig, struct my *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->qtable, 0);
	buf_init(&m->kprefix, 0);
	buf_init(&m->head, 0);
	buf_init(&m->batch, 0);
	buf_init(&m->tmp, 0);
	buf_init(&m->bb[0].arena, 0);
	buf_init(&m->bb[1].arena, 0);
	ig->be = m;
	if (ig->job->ingest.table == NULL)
		return xerr_set(ig->err, XERR_CONFIG, 0, "%s: [ingest] type = "
		    "mysql needs table", ig->job->file);
	return split_table(ig);
}

static int
load_my(struct ingest *ig)
{
	const struct ingest_req *req = ig->req;
	const struct job_ingest *ing = &ig->job->ingest;
	char engine[64];
	struct my m;
	int rc = -1, dup, broken = 0;

	if (my_init(ig, &m) == -1)
		goto out;
	ig->names = my_names;
	ig->row = my_row;
	if (ing->mode == MODE_REPLACE_DATE && ing->date_column == NULL) {
		xerr_set(ig->err, XERR_CONFIG, 0, "%s: mode = replace-date "
		    "needs date_column", ig->job->file);
		goto out;
	}
	if (myconn_get(req->db, &ing->db, MYCONN_INGEST, &m.c, ig->err) == -1)
		goto out;
	/* Everything that may refuse the table comes before the first
	 * write, the key tables included. */
	if (check_engine(ig, engine, sizeof(engine)) == -1 ||
	    table_columns(ig) == -1 || ensure_tables(ig) == -1 ||
	    lock_job(ig) == -1)
		goto out;
	if (exec(ig, "START TRANSACTION", "cannot begin a transaction") == -1)
		goto out;
	m.in_tx = 1;
	/* Decided under the job's lock, with the rows: what the target
	 * holds now, not what a ledger remembers. */
	if (!req->force) {
		if ((dup = ingest_is_duplicate(ig, &ig->nrec)) == -1)
			goto out;
		if (dup == 1) {
			if (exec(ig, "COMMIT", "cannot commit") == -1)
				goto out;
			m.in_tx = 0;
			ig->res = INGEST_DUPLICATE;
			rc = 0;
			goto out;
		}
	}
	if (replace_date(ig) == -1)
		goto out;
	if (ingest_read_records(ig) == -1) {
		/* The batch still executing holds earlier lines: its
		 * error, if any, is the file's first. */
		if (m.sent) {
			struct xerr later = *ig->err;

			if (bulk_wait(ig) == 0)
				*ig->err = later;
		}
		goto out;
	}
	if (flush_batch(ig) == -1 || add_key(ig) == -1)
		goto out;
	FAULT_POINT("ingest_before_commit");
	if (exec(ig, "COMMIT", "cannot commit") == -1)
		goto out;
	m.in_tx = 0;
	FAULT_POINT("ingest_after_commit");
	ingest_log_replaced(ig);
	ig->res = INGEST_DONE;
	rc = 0;
out:
	if (m.c != NULL) {
		broken = end_tx(ig);
		myconn_release(req->db, m.c, broken);
	}
	my_free(&m);
	ig->be = NULL;
	return rc;
}

/* Inside load_my()'s transaction, or on its own for reconciliation. */
static int
my_known(struct ingest *ig, int applied, struct ingest_key *kn)
{
	struct my m;
	int rc = -1;

	if (ig->be != NULL)
		return lookup(ig, applied, kn);
	if (my_init(ig, &m) == -1)
		goto out;
	if (myconn_get(ig->req->db, &ig->job->ingest.db, MYCONN_INGEST, &m.c,
	    ig->err) == -1)
		goto out;
	if ((rc = has_table(ig, applied ? "xfer_applied" : "xfer_ingested")) !=
	    1)
		goto out;
	rc = lookup(ig, applied, kn);
out:
	if (m.c != NULL)
		myconn_release(ig->req->db, m.c, 0);
	my_free(&m);
	ig->be = NULL;
	return rc;
}

static int
my_check(const struct job *job, check_report_fn report, void *ctx,
    struct xerr *err)
{
	const struct job_ingest *ing = &job->ingest;
	struct ingest_req req;
	struct ingest ig;
	char engine[64], what[512];
	struct my m;
	size_t i;
	int rc = -1;

	memset(&req, 0, sizeof(req));
	memset(&ig, 0, sizeof(ig));
	req.job = job;
	ig.req = &req;
	ig.job = job;
	ig.err = err;
	if (my_init(&ig, &m) == -1)
		goto out;
	if (myconn_get(NULL, &ing->db, MYCONN_INGEST, &m.c, err) == -1)
		goto out;
	myconn_report(m.c, report, ctx);
	if (check_engine(&ig, engine, sizeof(engine)) == -1 ||
	    table_columns(&ig) == -1)
		goto out;
	for (i = 0; i < ing->columns.n; i++)
		if (find_col(&m, ing->columns.v[i]) == NULL) {
			xerr_set(err, XERR_CONFIG, 0, "%s: table '%s' has no "
			    "column '%s' ([ingest] columns)", job->file,
			    ing->table, ing->columns.v[i]);
			goto out;
		}
	if (ing->mode == MODE_REPLACE_DATE && ing->date_column != NULL &&
	    find_col(&m, ing->date_column) == NULL) {
		xerr_set(err, XERR_CONFIG, 0, "%s: table '%s' has no column "
		    "'%s' (date_column)", job->file, ing->table,
		    ing->date_column);
		goto out;
	}
	snprintf(what, sizeof(what), "table '%s' (%s, %zu columns)",
	    ing->table, engine, m.ncols);
	report(ctx, 1, what);
	rc = 0;
out:
	if (m.c != NULL)
		myconn_release(NULL, m.c, 0);
	my_free(&m);
	return rc;
}

/* One transaction a file (no group commit yet). */
const struct ingest_ops ingest_my_ops = {
	load_my, my_known, my_check, NULL, NULL, NULL, NULL,
};
