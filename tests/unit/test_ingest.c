/*
 * ingest: files into real SQLite databases (values read back exactly,
 * duplicates, new versions, replace-date, rollback of bad files, manifest
 * counts), versions (append and replace-date duplicates, A-B-A, empty
 * versions, old xfer_ingested schemas upgraded in place), command
 * handlers (exit 0/75/1, environment, timeout), verify only,
 * ingest_known(), and every csv-spectrum file against its JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "ingest.h"

#define SHA_A	"aaaa"
#define SHA_B	"bbbb"

struct fx {
	char dir[64];
	char db[128];
	char jobfile[128];
	char name[32];
	char table[128];
	char date_column[32];
	struct job job;
	bdate_t date;
	long long delivery;	/* the next ingest's ledger id */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/xfer-ingest.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->db, sizeof(fx->db), "%s/target.db", fx->dir);
	snprintf(fx->jobfile, sizeof(fx->jobfile), "%s/sales.job", fx->dir);
	snprintf(fx->name, sizeof(fx->name), "sales");
	snprintf(fx->table, sizeof(fx->table), "sales");
	snprintf(fx->date_column, sizeof(fx->date_column), "date");
	fx->job.name = fx->name;
	fx->job.file = fx->jobfile;
	fx->job.direction = DIR_RECEIVE;
	fx->job.inbox.delimiter = ',';
	fx->job.inbox.header = 1;
	fx->job.ingest.type = INGEST_SQLITE;
	fx->job.ingest.database = fx->db;
	fx->job.ingest.table = fx->table;
	fx->job.ingest.mode = MODE_APPEND;
	fx->job.ingest.date_column = fx->date_column;
	fx->job.ingest.timeout_s = 20;
	assert_int_equal(bdate_parse("2024-03-05", &fx->date), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	struct xerr err;

	strlist_free(&fx->job.ingest.columns);
	strlist_free(&fx->job.ingest.command);
	assert_int_equal(remove_tree(fx->dir, &err), 0);
	free(fx);
	return 0;
}

static void
set_columns(struct fx *fx, const char *list)
{
	strlist_free(&fx->job.ingest.columns);
	if (list != NULL)
		assert_int_equal(strlist_split_commas(&fx->job.ingest.columns,
		    list), 0);
}

/* Write a file of the test directory; returns its path (static). */
static const char *
put_file(struct fx *fx, const char *name, const char *data, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

struct outcome {
	int rc;
	enum ingest_result res;
	long long records;
	struct xerr err;
};

static void
run_ingest(struct fx *fx, const char *name, const char *data,
    enum out_format fmt, const char *sha, long long expect, int force,
    struct outcome *o)
{
	struct ingest_req req;
	const char *path = put_file(fx, name, data, strlen(data));

	memset(&req, 0, sizeof(req));
	req.job = &fx->job;
	req.path = path;
	req.orig_path = path;
	req.name = name;
	req.sha256 = sha;
	req.date = fx->date;
	req.format = fmt;
	req.expect_records = expect;
	req.delivery = fx->delivery;
	req.force = force;
	memset(o, 0, sizeof(*o));
	o->res = (enum ingest_result)-1;
	o->rc = ingest_file(&req, &o->res, &o->records, NULL, &o->err);
}

static void
ingest_ok(struct fx *fx, const char *name, const char *data,
    enum out_format fmt, const char *sha, long long want_records)
{
	struct outcome o;

	run_ingest(fx, name, data, fmt, sha, -1, 0, &o);
	if (o.rc != 0)
		fail_msg("%s: %s", name, o.err.msg);
	assert_int_equal(o.res, INGEST_DONE);
	assert_int_equal(o.records, want_records);
}

/*
 * The rows of a query, each value as 'text' (quotes not escaped), N for
 * NULL or its number, separated by '|', one line per row.
 */
static char *
query(struct fx *fx, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	struct buf b;
	int i, n;

	buf_init(&b, 0);
	assert_int_equal(sqlite3_open_v2(fx->db, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_count(st);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_putc(&b, '|');
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				buf_putc(&b, 'N');
				break;
			case SQLITE_INTEGER:
				buf_printf(&b, "%lld", (long long)
				    sqlite3_column_int64(st, i));
				break;
			default:
				buf_putc(&b, '\'');
				buf_append(&b, sqlite3_column_text(st, i),
				    (size_t)sqlite3_column_bytes(st, i));
				buf_putc(&b, '\'');
			}
		}
		buf_putc(&b, '\n');
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf_detach(&b);
}

/* A small file's contents (malloc'd). */
static char *
read_all(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f;

	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strdup(buf);
}

static void
assert_query(struct fx *fx, const char *sql, const char *want)
{
	char *got = query(fx, sql);

	if (strcmp(got, want) != 0)
		fail_msg("%s:\ngot:\n%swant:\n%s", sql, got, want);
	free(got);
}

static void
assert_fails(const struct outcome *o, enum xerr_class cls, const char *msg)
{
	if (o->rc != -1)
		fail_msg("succeeded, want class %d '%s'", cls, msg);
	if (o->err.cls != cls || strstr(o->err.msg, msg) == NULL)
		fail_msg("got class %d '%s', want class %d '%s'", o->err.cls,
		    o->err.msg, cls, msg);
}

static void
sql(struct fx *fx, const char *s)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	if (sqlite3_exec(db, s, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", s, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* CSV values come back byte for byte: '' is never NULL. */
static void
test_csv_exact(void **state)
{
	struct fx *fx = *state;

	ingest_ok(fx, "s.csv", "a,b,c\n"
	    "\"\",x,\"line1\nline2\"\n"
	    ",\"q\"\"q\",\"crlf\r\ninside\"\r\n"
	    " pad ,\xc3\xa9,\"a,b\"", FMT_CSV, SHA_A, 3);
	assert_query(fx, "SELECT a, b, c, typeof(a) FROM sales ORDER BY rowid",
	    "''|'x'|'line1\nline2'|'text'\n"
	    "''|'q\"q'|'crlf\r\ninside'|'text'\n"
	    "' pad '|'\xc3\xa9'|'a,b'|'text'\n");
	assert_query(fx, "SELECT name, type FROM pragma_table_info('sales')",
	    "'a'|'TEXT'\n'b'|'TEXT'\n'c'|'TEXT'\n");
	assert_query(fx, "SELECT job, name, sha256, date, records, "
	    "ingested_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T"
	    "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z' FROM xfer_ingested",
	    "'sales'|'s.csv'|'aaaa'|'2024-03-05'|3|1\n");
}

/* Another delimiter, and header = no: the names are [ingest] columns. */
static void
test_csv_options(void **state)
{
	struct fx *fx = *state;
	struct outcome o;

	fx->job.inbox.delimiter = ';';
	fx->job.inbox.header = 0;
	set_columns(fx, "a, b");
	ingest_ok(fx, "h.csv", "a;b\n1;\"x;y\"\n", FMT_CSV, SHA_A, 2);
	assert_query(fx, "SELECT a, b FROM sales ORDER BY rowid",
	    "'a'|'b'\n'1'|'x;y'\n");
	run_ingest(fx, "h.csv", "1;2\n3\n", FMT_CSV, SHA_B, -1, 0, &o);
	assert_fails(&o, XERR_DATA, "h.csv:2: record has 1 field, header "
	    "has 2");
	assert_query(fx, "SELECT count(*) FROM sales", "2\n");
}

/* JSON Lines and JSON arrays: null is NULL, the rest is text. */
static void
test_json(void **state)
{
	struct fx *fx = *state;

	ingest_ok(fx, "j.jsonl", "{\"a\":\"x\",\"b\":null,\"c\":1.50}\n"
	    "\n{\"a\":\"\",\"c\":true}\n"
	    "{\"c\":[1, {\"k\": \"v\"}],\"a\":\"\\u00e9\\n\"}\n",
	    FMT_JSONL, SHA_A, 3);
	assert_query(fx, "SELECT a, b, c, typeof(c) FROM sales "
	    "ORDER BY rowid",
	    "'x'|N|'1.50'|'text'\n"
	    "''|N|'true'|'text'\n"
	    "'\xc3\xa9\n'|N|'[1,{\"k\":\"v\"}]'|'text'\n");
	ingest_ok(fx, "j.json", "[{\"a\":\"1\",\"b\":null,\"c\":\"2\"},\n"
	    " {\"a\":\"3\",\"b\":\"\",\"c\":\"4\"}]\n", FMT_JSON, SHA_A, 2);
	assert_query(fx, "SELECT a, b, c FROM sales WHERE rowid > 3 "
	    "ORDER BY rowid", "'1'|N|'2'\n'3'|''|'4'\n");
	ingest_ok(fx, "empty.json", "[]", FMT_JSON, SHA_A, 0);
	assert_query(fx, "SELECT name, records FROM xfer_ingested ORDER BY "
	    "rowid", "'j.jsonl'|3\n'j.json'|2\n'empty.json'|0\n");
}

/* [ingest] columns: same names in the same order, or nothing loads. */
static void
test_columns(void **state)
{
	static const struct {
		const char *columns;
		const char *data;
		enum out_format fmt;
		const char *want;	/* NULL: loads */
	} cases[] = {
		{ "a, b, d", "a,b,c\n1,2,3\n", FMT_CSV,
		    "'f': columns are (a, b, c), expected (a, b, d) "
		    "([ingest] columns)" },
		{ "b, a", "a,b\n1,2\n", FMT_CSV,
		    "'f': columns are (a, b), expected (b, a)" },
		{ "a", "a,b\n1,2\n", FMT_CSV,
		    "'f': columns are (a, b), expected (a) " },
		{ "a, b", "{\"b\":1,\"a\":2}\n", FMT_JSONL,
		    "'f': columns are (b, a), expected (a, b)" },
		{ "a, b", "[{\"a\":1}]", FMT_JSON,
		    "'f': columns are (a), expected (a, b)" },
		{ "A, b", "a,b\n1,2\n", FMT_CSV,
		    "'f': columns are (a, b), expected (A, b)" },
		{ "a, b", "a,b\n1,2\n", FMT_CSV, NULL },
		{ "a, b", "{\"a\":1,\"b\":2}\n{\"a\":3}\n", FMT_JSONL, NULL },
	};
	struct fx *fx = *state;
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_columns(fx, cases[i].columns);
		run_ingest(fx, "f", cases[i].data, cases[i].fmt, SHA_A, -1, 1,
		    &o);
		if (cases[i].want == NULL) {
			if (o.rc != 0)
				fail_msg("case %zu: %s", i, o.err.msg);
			continue;
		}
		assert_fails(&o, XERR_DATA, cases[i].want);
	}
	/* Only the two good files are in. */
	assert_query(fx, "SELECT a, b FROM sales ORDER BY rowid",
	    "'1'|'2'\n'1'|'2'\n'3'|N\n");
}

/* Header names are hostile: quoted always, control characters refused. */
static void
test_hostile_names(void **state)
{
	static const struct {
		const char *data;
		const char *want;	/* NULL: loads */
	} cases[] = {
		{ "\"x\"\"); DROP TABLE t; --\",\"b c\"\n1,2\n", NULL },
		{ "\"a\nb\",c\n1,2\n", "'f': the name of column 1 has a "
		    "control character" },
		{ "a,\"b\x1b[31m\"\n1,2\n", "'f': the name of column 2 has a "
		    "control character" },
		{ "A,a\n1,2\n", "'f': columns 'A' and 'a' are one column in "
		    "SQLite" },
		{ "a,,c\n1,2,3\n", "f:1: header field 2 has no name" },
	};
	struct fx *fx = *state;
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(fx->table, sizeof(fx->table), "t%zu", i);
		run_ingest(fx, "f", cases[i].data, FMT_CSV, SHA_A, -1, 1, &o);
		if (cases[i].want == NULL) {
			if (o.rc != 0)
				fail_msg("case %zu: %s", i, o.err.msg);
			continue;
		}
		assert_fails(&o, XERR_DATA, cases[i].want);
	}
	assert_query(fx, "SELECT \"x\"\"); DROP TABLE t; --\", \"b c\" "
	    "FROM t0", "'1'|'2'\n");
	assert_query(fx, "SELECT count(*) FROM sqlite_master WHERE name "
	    "LIKE 't%'", "1\n");
}

/* Same bytes twice: a duplicate; --force loads again with one key row. */
static void
test_duplicate(void **state)
{
	struct fx *fx = *state;
	struct outcome o;

	ingest_ok(fx, "d.csv", "a\n1\n2\n", FMT_CSV, SHA_A, 2);
	run_ingest(fx, "d.csv", "a\n1\n2\n", FMT_CSV, SHA_A, -1, 0, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.res, INGEST_DUPLICATE);
	assert_int_equal(o.records, 2);
	/* A duplicate is not even read. */
	run_ingest(fx, "d.csv", "not,\"csv", FMT_CSV, SHA_A, 5, 0, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.res, INGEST_DUPLICATE);
	assert_query(fx, "SELECT count(*) FROM sales", "2\n");

	run_ingest(fx, "d.csv", "a\n1\n2\n3\n", FMT_CSV, SHA_A, -1, 1, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.res, INGEST_DONE);
	assert_int_equal(o.records, 3);
	assert_query(fx, "SELECT count(*) FROM sales", "5\n");
	assert_query(fx, "SELECT name, sha256, records FROM xfer_ingested",
	    "'d.csv'|'aaaa'|3\n");

	/* Another job's key is another key. */
	snprintf(fx->name, sizeof(fx->name), "other");
	ingest_ok(fx, "d.csv", "a\n1\n2\n", FMT_CSV, SHA_A, 2);
	assert_query(fx, "SELECT count(*) FROM sales", "7\n");
}

/* Same name, new bytes: a new version, loaded (append keeps both). */
static void
test_new_version(void **state)
{
	struct fx *fx = *state;

	ingest_ok(fx, "v.csv", "a\n1\n", FMT_CSV, SHA_A, 1);
	ingest_ok(fx, "v.csv", "a\n2\n3\n", FMT_CSV, SHA_B, 2);
	assert_query(fx, "SELECT a FROM sales ORDER BY rowid",
	    "'1'\n'2'\n'3'\n");
	assert_query(fx, "SELECT sha256, records FROM xfer_ingested "
	    "ORDER BY rowid", "'aaaa'|1\n'bbbb'|2\n");
}

/* replace-date: that date's rows go, in the same transaction. */
static void
test_replace_date(void **state)
{
	struct fx *fx = *state;
	struct outcome o;
	bdate_t d1 = fx->date;

	fx->job.ingest.mode = MODE_REPLACE_DATE;
	ingest_ok(fx, "r1.csv", "date,v\n2024-03-05,a\n2024-03-05,b\n",
	    FMT_CSV, SHA_A, 2);
	assert_int_equal(bdate_parse("2024-03-06", &fx->date), 0);
	ingest_ok(fx, "r2.csv", "date,v\n2024-03-06,c\n", FMT_CSV, SHA_A, 1);
	fx->date = d1;
	ingest_ok(fx, "r1.csv", "date,v\n2024-03-05,new\n", FMT_CSV, SHA_B, 1);
	assert_query(fx, "SELECT date, v FROM sales ORDER BY date, v",
	    "'2024-03-05'|'new'\n'2024-03-06'|'c'\n");

	/* A bad version deletes nothing: the delete is rolled back too. */
	run_ingest(fx, "r1.csv", "date,v\n2024-03-05,x\n2024-03-05\n",
	    FMT_CSV, "cccc", -1, 0, &o);
	assert_fails(&o, XERR_DATA, "r1.csv:3: record has 1 field");
	assert_query(fx, "SELECT date, v FROM sales ORDER BY date, v",
	    "'2024-03-05'|'new'\n'2024-03-06'|'c'\n");

	/* The file must carry the column the next version deletes by. */
	run_ingest(fx, "r3.csv", "v\nx\n", FMT_CSV, "dddd", -1, 0, &o);
	assert_fails(&o, XERR_DATA, "'r3.csv': no column 'date', which "
	    "mode = replace-date deletes by");

	/* A table without the column: nothing can be replaced. */
	snprintf(fx->table, sizeof(fx->table), "nodate");
	sql(fx, "CREATE TABLE nodate (v TEXT)");
	run_ingest(fx, "r4.csv", "date,v\n2024-03-05,x\n", FMT_CSV, "eeee", -1,
	    0, &o);
	assert_fails(&o, XERR_PERM, "table 'nodate' has no column 'date' for "
	    "mode = replace-date");
	assert_query(fx, "SELECT count(*) FROM xfer_ingested", "3\n");
}

/* A bad file loads nothing: no row, no key. */
static void
test_rollback(void **state)
{
	static const struct {
		const char *data;
		enum out_format fmt;
		const char *want;
	} cases[] = {
		{ "a,b\n1,2\n3,4\n\"5,6\n", FMT_CSV,
		    "m:4: unterminated quoted field" },
		{ "a,b\n1,2\n3,4,5\n", FMT_CSV, "m:3: record has 3 fields" },
		{ "a,b\n1,2\n3,\"x\"y\n", FMT_CSV, "m:3: malformed" },
		{ "{\"a\":\"1\",\"b\":\"2\"}\n{\"a\":\"3\",\"b\":\"4\"}\n"
		    "{\"a\":\n", FMT_JSONL, "m:3:" },
		{ "{\"a\":\"1\",\"b\":\"2\"}\n{\"a\":\"3\",\"z\":\"4\"}\n",
		    FMT_JSONL, "m:2: unexpected key 'z'" },
		{ "[{\"a\":\"1\",\"b\":\"2\"}] x", FMT_JSON, "m:1:" },
		{ "{\"a\":\"1\",\"b\":\"2\"}", FMT_JSON, "m:1:" },
	};
	struct fx *fx = *state;
	struct outcome o;
	size_t i;

	ingest_ok(fx, "good.csv", "a,b\nx,y\n", FMT_CSV, SHA_A, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_ingest(fx, "m", cases[i].data, cases[i].fmt, SHA_B, -1, 0,
		    &o);
		assert_fails(&o, XERR_DATA, cases[i].want);
		assert_query(fx, "SELECT a, b FROM sales", "'x'|'y'\n");
		assert_query(fx, "SELECT name FROM xfer_ingested",
		    "'good.csv'\n");
	}
	/* The database is not left locked. */
	ingest_ok(fx, "m", "a,b\n1,2\n", FMT_CSV, SHA_B, 1);
}

/* The count from a JSON manifest must match. */
static void
test_expect_records(void **state)
{
	struct fx *fx = *state;
	struct outcome o;

	run_ingest(fx, "e.csv", "a\n1\n2\n", FMT_CSV, SHA_A, 3, 0, &o);
	assert_fails(&o, XERR_DATA, "'e.csv': has 2 records, its manifest "
	    "says 3");
	assert_query(fx, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'sales'", "0\n");
	run_ingest(fx, "e.csv", "a\n", FMT_CSV, SHA_A, 1, 0, &o);
	assert_fails(&o, XERR_DATA, "'e.csv': has 0 records, its manifest "
	    "says 1");
	run_ingest(fx, "e.csv", "a\n1\n2\n", FMT_CSV, SHA_A, 2, 0, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.records, 2);
	assert_query(fx, "SELECT count(*) FROM sales", "2\n");
}

/* An existing table: extra columns are fine, a missing one is not. */
static void
test_existing_table(void **state)
{
	struct fx *fx = *state;
	struct outcome o;

	sql(fx, "CREATE TABLE sales (A TEXT, b TEXT, extra INTEGER "
	    "DEFAULT 7, id INTEGER PRIMARY KEY)");
	ingest_ok(fx, "t.csv", "a,b\n1,2\n", FMT_CSV, SHA_A, 1);
	assert_query(fx, "SELECT A, b, extra FROM sales", "'1'|'2'|7\n");
	run_ingest(fx, "t.csv", "a,c\n1,2\n", FMT_CSV, SHA_B, -1, 0, &o);
	assert_fails(&o, XERR_DATA, "'t.csv': table 'sales' has no column "
	    "'c'");
	/* A constraint of the operator's table names the record. */
	run_ingest(fx, "t.csv", "a,id\n1,5\n2,5\n", FMT_CSV, SHA_B, -1, 0, &o);
	assert_fails(&o, XERR_DATA, "t.csv:3: cannot insert into 'sales': "
	    "UNIQUE constraint failed");
	assert_query(fx, "SELECT count(*) FROM sales", "1\n");
}

/* An empty file: 0 records; the table comes from [ingest] columns. */
static void
test_empty(void **state)
{
	struct fx *fx = *state;

	ingest_ok(fx, "z.csv", "", FMT_CSV, SHA_A, 0);
	assert_query(fx, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'sales'", "0\n");
	set_columns(fx, "a, b");
	ingest_ok(fx, "z.csv", "", FMT_CSV, SHA_B, 0);
	ingest_ok(fx, "h.csv", "a,b\n", FMT_CSV, SHA_B, 0);
	assert_query(fx, "SELECT name FROM pragma_table_info('sales')",
	    "'a'\n'b'\n");
	assert_query(fx, "SELECT name, records FROM xfer_ingested ORDER BY "
	    "rowid", "'z.csv'|0\n'z.csv'|0\n'h.csv'|0\n");
}

/* Database trouble: how it is classed; WAL lets readers be. */
static void
test_db_errors(void **state)
{
	struct fx *fx = *state;
	struct outcome o;
	sqlite3 *db;

	/* (A writer holding the lock past the 30 s busy timeout gives
	 * XERR_TEMP: too slow to wait for here.)  A missing directory is
	 * created; one that cannot be (a file is in the way) leaves the
	 * database unopenable, which is transient: not the file's fault. */
	snprintf(fx->db, sizeof(fx->db), "%s/new/dir/fresh.db", fx->dir);
	ingest_ok(fx, "x.csv", "a\n1\n", FMT_CSV, SHA_A, 1);
	put_file(fx, "plainfile", "x", 1);
	snprintf(fx->db, sizeof(fx->db), "%s/plainfile/sub/dir.db", fx->dir);
	run_ingest(fx, "x.csv", "a\n1\n", FMT_CSV, SHA_A, -1, 0, &o);
	assert_fails(&o, XERR_TEMP, "cannot open database '");

	/* Not a database at all. */
	snprintf(fx->db, sizeof(fx->db), "%s/junk.db", fx->dir);
	put_file(fx, "junk.db", "this is not a database, not at all, no\n",
	    40);
	run_ingest(fx, "x.csv", "a\n1\n", FMT_CSV, SHA_A, -1, 0, &o);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.err.cls, XERR_PERM);

	/* A read lock does not stop a WAL writer; a write lock does. */
	snprintf(fx->db, sizeof(fx->db), "%s/target.db", fx->dir);
	ingest_ok(fx, "x.csv", "a\n1\n", FMT_CSV, SHA_A, 1);
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN; SELECT * FROM sales",
	    NULL, NULL, NULL), SQLITE_OK);
	ingest_ok(fx, "x.csv", "a\n2\n", FMT_CSV, SHA_B, 1);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_query(fx, "PRAGMA journal_mode", "'wal'\n");
}

/* A handler: its arguments and environment; exit 0, 75, other. */
static void
test_command(void **state)
{
	static const struct {
		const char *code;
		int rc;
		enum ingest_result res;
		enum xerr_class cls;
		const char *msg;
	} cases[] = {
		{ "0", 0, INGEST_DONE, XERR_NONE, NULL },
		{ "75", 0, INGEST_LATER, XERR_TEMP, "ingest command '/bin/sh' "
		    "asks to try again later: exit status 75: boom 75" },
		{ "1", -1, 0, XERR_PERM, "ingest command '/bin/sh' failed: "
		    "exit status 1: boom 1" },
	};
	static const char handler[] =
	    "out=$1; shift\n"
	    "{ for a in \"$@\"; do echo \"arg=$a\"; done\n"
	    "  echo \"job=$XFER_JOB date=$XFER_DATE\"\n"
	    "  echo \"file=$XFER_FILE sha=$XFER_SHA256\"\n"
	    "  read x || echo stdin-empty; } > \"$out\"\n"
	    "echo noise\n"
	    "code=$(cat \"${out%/*}/code\")\n"
	    "[ \"$code\" = 0 ] || echo \"boom $code\" >&2\n"
	    "exit \"$code\"\n";
	struct fx *fx = *state;
	char script[256], out[256], arg[300], want[1024], *got;
	struct strlist *cmd = &fx->job.ingest.command;
	struct outcome o;
	struct stat st;
	glob_t g;
	size_t i;

	fx->job.ingest.type = INGEST_COMMAND;
	snprintf(script, sizeof(script), "%s", put_file(fx, "handler.sh",
	    handler, strlen(handler)));
	snprintf(out, sizeof(out), "%s/env.out", fx->dir);
	assert_int_equal(strlist_add(cmd, "/bin/sh"), 0);
	assert_int_equal(strlist_add(cmd, script), 0);
	assert_int_equal(strlist_add(cmd, out), 0);
	assert_int_equal(strlist_add(cmd, "--in={file}"), 0);
	assert_int_equal(strlist_add(cmd, "{job}-{date:%Y%m%d}-{{file}}"), 0);
	assert_int_equal(strlist_add(cmd, ""), 0);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_file(fx, "code", cases[i].code, strlen(cases[i].code));
		unlink(out);
		run_ingest(fx, "c.csv", "a\n1\n2\n", FMT_CSV, SHA_A, 2, 0, &o);
		assert_int_equal(o.rc, cases[i].rc);
		assert_int_equal(o.records, 2);
		if (o.rc == 0)
			assert_int_equal(o.res, cases[i].res);
		if (cases[i].msg != NULL) {
			assert_int_equal(o.err.cls, cases[i].cls);
			assert_string_equal(o.err.msg, cases[i].msg);
		}
		snprintf(arg, sizeof(arg), "%s/c.csv", fx->dir);
		snprintf(want, sizeof(want), "arg=--in=%s\n"
		    "arg=sales-20240305-{file}\narg=\n"
		    "job=sales date=2024-03-05\nfile=%s sha=aaaa\n"
		    "stdin-empty\n", arg, arg);
		got = read_all(out);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(got);
	}
	/* No scratch file is left beside the received one. */
	snprintf(arg, sizeof(arg), "%s/.*", fx->dir);
	assert_int_equal(glob(arg, GLOB_PERIOD, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 2);	/* . and .. */
	globfree(&g);

	/* A file that does not verify never reaches the handler. */
	unlink(out);
	run_ingest(fx, "c.csv", "a\n1\n\"2\n", FMT_CSV, SHA_A, -1, 0, &o);
	assert_fails(&o, XERR_DATA, "c.csv:3: unterminated quoted field");
	assert_int_equal(stat(out, &st), -1);
	run_ingest(fx, "c.csv", "a\n1\n", FMT_CSV, SHA_A, 2, 0, &o);
	assert_fails(&o, XERR_DATA, "'c.csv': has 1 record, its manifest "
	    "says 2");
	assert_int_equal(stat(out, &st), -1);

	/* A handler that cannot be started. */
	free(cmd->v[0]);
	assert_non_null(cmd->v[0] = strdup("/nonexistent/handler"));
	run_ingest(fx, "c.csv", "a\n1\n", FMT_CSV, SHA_A, -1, 0, &o);
	assert_fails(&o, XERR_PERM, "[ingest] command: cannot run "
	    "'/nonexistent/handler': No such file or directory");
}

/* A handler past its time limit is killed, with its whole group. */
static void
test_command_timeout(void **state)
{
	struct fx *fx = *state;
	struct strlist *cmd = &fx->job.ingest.command;
	struct outcome o;

	fx->job.ingest.type = INGEST_COMMAND;
	fx->job.ingest.timeout_s = 1;
	assert_int_equal(strlist_add(cmd, "/bin/sh"), 0);
	assert_int_equal(strlist_add(cmd, "-c"), 0);
	assert_int_equal(strlist_add(cmd, "echo slow >&2; sleep 30 & wait"),
	    0);
	run_ingest(fx, "c.csv", "a\n1\n", FMT_CSV, SHA_A, -1, 0, &o);
	assert_fails(&o, XERR_PERM, "ingest command '/bin/sh' failed: timed "
	    "out after 1s, process group killed: slow");
}

/* none: verify only. */
static void
test_none(void **state)
{
	struct fx *fx = *state;
	struct outcome o;

	fx->job.ingest.type = INGEST_NONE;
	set_columns(fx, "a, b");
	run_ingest(fx, "n.jsonl", "{\"a\":1,\"b\":2}\n{\"a\":3}\n", FMT_JSONL,
	    SHA_A, 2, 0, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.res, INGEST_DONE);
	assert_int_equal(o.records, 2);
	run_ingest(fx, "n.csv", "a,c\n1,2\n", FMT_CSV, SHA_A, -1, 0, &o);
	assert_fails(&o, XERR_DATA, "'n.csv': columns are (a, c), expected "
	    "(a, b)");
	run_ingest(fx, "n.json", "[{\"a\":1,\"b\":2},]", FMT_JSON, SHA_A, -1,
	    0, &o);
	assert_fails(&o, XERR_DATA, "n.json:1:");
	/* Nothing was written anywhere. */
	assert_int_equal(access(fx->db, F_OK), -1);
}

static int
known(struct fx *fx, const char *name, const char *sha, long long delivery,
    long long *records)
{
	struct ingest_req req;
	struct xerr err;

	memset(&req, 0, sizeof(req));
	req.job = &fx->job;
	req.name = name;
	req.sha256 = sha;
	req.date = fx->date;
	req.delivery = delivery;
	return ingest_known(&req, records, &err);
}

/* ingest_known: the key in the target database, for reconciliation. */
static void
test_known(void **state)
{
	struct fx *fx = *state;
	long long records = -1;

	assert_int_equal(known(fx, "k.csv", SHA_A, 0, NULL), 0);
	sql(fx, "CREATE TABLE other (x)");
	assert_int_equal(known(fx, "k.csv", SHA_A, 0, NULL), 0);
	ingest_ok(fx, "k.csv", "a\n1\n", FMT_CSV, SHA_A, 1);
	assert_int_equal(known(fx, "k.csv", SHA_A, 0, &records), 1);
	assert_int_equal(records, 1);
	assert_int_equal(known(fx, "k.csv", SHA_B, 0, NULL), 0);
	assert_int_equal(known(fx, "l.csv", SHA_A, 0, NULL), 0);
	/* The database path is a pattern. */
	snprintf(fx->db, sizeof(fx->db), "%s/{date:%%Y}.db", fx->dir);
	ingest_ok(fx, "k.csv", "a\n1\n", FMT_CSV, SHA_A, 1);
	assert_int_equal(known(fx, "k.csv", SHA_A, 0, NULL), 1);
	snprintf(fx->db, sizeof(fx->db), "%s/2024.db", fx->dir);
	assert_query(fx, "SELECT count(*) FROM sales", "1\n");
	/* Not a database: an error, not "unknown". */
	snprintf(fx->db, sizeof(fx->db), "%s/junk", fx->dir);
	put_file(fx, "junk", "0123456789abcdef0123456789abcdef0123456789",
	    42);
	assert_int_equal(known(fx, "k.csv", SHA_A, 0, NULL), -1);
	/* Other targets keep no keys. */
	fx->job.ingest.type = INGEST_COMMAND;
	assert_int_equal(known(fx, "k.csv", SHA_A, 0, NULL), 0);
}

/*
 * ingest_known tells this delivery's ingest from an earlier delivery of
 * the same bytes, and with replace-date only the version applied now is
 * known: A (delivery 1), B (2), A again (3) received but not ingested is
 * not "ingested by a run that died".
 */
static void
test_known_delivery(void **state)
{
	struct fx *fx = *state;
	long long records = -1;

	fx->delivery = 1;
	ingest_ok(fx, "k.csv", "a\n1\n", FMT_CSV, SHA_A, 1);
	assert_int_equal(known(fx, "k.csv", SHA_A, 1, NULL), 1);
	assert_int_equal(known(fx, "k.csv", SHA_A, 2, NULL), 0);
	assert_query(fx, "SELECT delivery FROM xfer_ingested", "1\n");

	snprintf(fx->table, sizeof(fx->table), "rd");
	fx->job.ingest.mode = MODE_REPLACE_DATE;
	fx->delivery = 10;
	ingest_ok(fx, "r.csv", "date\n2024-03-05\n", FMT_CSV, SHA_A, 1);
	fx->delivery = 11;
	ingest_ok(fx, "r.csv", "date\n2024-03-05\n2024-03-05\n", FMT_CSV,
	    SHA_B, 2);
	assert_int_equal(known(fx, "r.csv", SHA_A, 10, NULL), 0);
	assert_int_equal(known(fx, "r.csv", SHA_A, 12, NULL), 0);
	assert_int_equal(known(fx, "r.csv", SHA_B, 11, &records), 1);
	assert_int_equal(records, 2);
	fx->delivery = 12;
	ingest_ok(fx, "r.csv", "date\n2024-03-05\n", FMT_CSV, SHA_A, 1);
	assert_int_equal(known(fx, "r.csv", SHA_A, 12, NULL), 1);
	assert_int_equal(known(fx, "r.csv", SHA_B, 11, NULL), 0);
}

/* replace-date: a duplicate only of the version applied now (A, B, A). */
static void
test_versions_replace_date(void **state)
{
	struct fx *fx = *state;
	static const char a[] = "date,v\n2024-03-05,a1\n2024-03-05,a2\n";
	static const char b[] = "date,v\n2024-03-05,b\n";
	struct outcome o;

	fx->job.ingest.mode = MODE_REPLACE_DATE;
	ingest_ok(fx, "s.csv", a, FMT_CSV, SHA_A, 2);
	run_ingest(fx, "s.csv", a, FMT_CSV, SHA_A, -1, 0, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.res, INGEST_DUPLICATE);
	assert_int_equal(o.records, 2);
	ingest_ok(fx, "s.csv", b, FMT_CSV, SHA_B, 1);
	assert_query(fx, "SELECT v FROM sales", "'b'\n");
	/* A again: a version since replaced is a new version again. */
	ingest_ok(fx, "s.csv", a, FMT_CSV, SHA_A, 2);
	assert_query(fx, "SELECT v FROM sales ORDER BY v", "'a1'\n'a2'\n");
	assert_query(fx, "SELECT job, date, name, sha256, records FROM "
	    "xfer_applied", "'sales'|'2024-03-05'|'s.csv'|'aaaa'|2\n");
	/* One key row per version, every ingest recorded in it. */
	assert_query(fx, "SELECT sha256, records FROM xfer_ingested ORDER BY "
	    "sha256", "'aaaa'|2\n'bbbb'|1\n");
	/* The same bytes under another name for the date add nothing. */
	run_ingest(fx, "t.csv", a, FMT_CSV, SHA_A, -1, 0, &o);
	assert_int_equal(o.res, INGEST_DUPLICATE);
	/* Another date has a version of its own. */
	assert_int_equal(bdate_parse("2024-03-06", &fx->date), 0);
	ingest_ok(fx, "s.csv", "date,v\n2024-03-06,c\n", FMT_CSV, SHA_A, 1);
	assert_query(fx, "SELECT date, v FROM sales ORDER BY date, v",
	    "'2024-03-05'|'a1'\n'2024-03-05'|'a2'\n'2024-03-06'|'c'\n");
}

/* append: a duplicate when (name, sha256) was ever ingested (A, B, A). */
static void
test_versions_append(void **state)
{
	struct fx *fx = *state;
	struct outcome o;

	ingest_ok(fx, "s.csv", "a\n1\n", FMT_CSV, SHA_A, 1);
	ingest_ok(fx, "s.csv", "a\n2\n", FMT_CSV, SHA_B, 1);
	run_ingest(fx, "s.csv", "a\n1\n", FMT_CSV, SHA_A, -1, 0, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.res, INGEST_DUPLICATE);
	assert_query(fx, "SELECT a FROM sales ORDER BY rowid", "'1'\n'2'\n");
	/* Another name with the same bytes is another file. */
	ingest_ok(fx, "t.csv", "a\n1\n", FMT_CSV, SHA_A, 1);
	/* append applies no one version to a date. */
	assert_query(fx, "SELECT count(*) FROM xfer_applied", "0\n");
}

/* An empty version replaces the date's rows with none. */
static void
test_empty_version(void **state)
{
	struct fx *fx = *state;
	struct outcome o;

	fx->job.ingest.mode = MODE_REPLACE_DATE;
	set_columns(fx, "date, v");
	ingest_ok(fx, "s.csv", "date,v\n2024-03-05,a\n2024-03-05,b\n"
	    "2024-03-05,c\n", FMT_CSV, SHA_A, 3);
	ingest_ok(fx, "s.csv", "date,v\n", FMT_CSV, SHA_B, 0);
	assert_query(fx, "SELECT count(*) FROM sales", "0\n");
	ingest_ok(fx, "s.csv", "", FMT_CSV, "cccc", 0);
	assert_query(fx, "SELECT sha256, records FROM xfer_applied",
	    "'cccc'|0\n");
	run_ingest(fx, "s.csv", "", FMT_CSV, "cccc", -1, 0, &o);
	assert_int_equal(o.res, INGEST_DUPLICATE);
	assert_int_equal(o.records, 0);
	/* The good version again: applied. */
	ingest_ok(fx, "s.csv", "date,v\n2024-03-05,a\n2024-03-05,b\n"
	    "2024-03-05,c\n", FMT_CSV, SHA_A, 3);
	assert_query(fx, "SELECT count(*) FROM sales", "3\n");
}

/*
 * A database an older xfer made (xfer_ingested without delivery, no
 * xfer_applied) is upgraded in place, once: the newest key of a date is
 * taken as the version applied, so replace-date's A, B, A applies A.
 */
static void
test_old_schema(void **state)
{
	struct fx *fx = *state;
	struct outcome o;

	fx->job.ingest.mode = MODE_REPLACE_DATE;
	sql(fx, "CREATE TABLE sales (date TEXT, v TEXT);"
	    "INSERT INTO sales VALUES ('2024-03-05', 'b');"
	    "CREATE TABLE xfer_ingested (job TEXT, name TEXT, sha256 TEXT, "
	    "date TEXT, records INTEGER, ingested_at TEXT, "
	    "PRIMARY KEY (job, name, sha256));"
	    "INSERT INTO xfer_ingested VALUES ('sales', 's.csv', 'aaaa', "
	    "'2024-03-05', 1, '2024-03-06T01:00:00Z');"
	    "INSERT INTO xfer_ingested VALUES ('sales', 's.csv', 'bbbb', "
	    "'2024-03-05', 1, '2024-03-06T02:00:00Z');"
	    "INSERT INTO xfer_ingested VALUES ('sales', 'o.csv', 'aaaa', "
	    "'2024-03-04', 7, '2024-03-05T02:00:00Z');");
	/* A look for reconciliation reads it as it is. */
	assert_int_equal(known(fx, "s.csv", SHA_B, 5, NULL), 1);
	assert_int_equal(known(fx, "s.csv", "cccc", 5, NULL), 0);
	/* B is what the old rule left applied: a duplicate. */
	run_ingest(fx, "s.csv", "date,v\n2024-03-05,b\n", FMT_CSV, SHA_B, -1,
	    0, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.res, INGEST_DUPLICATE);
	assert_query(fx, "SELECT date, name, sha256, records, delivery FROM "
	    "xfer_applied ORDER BY date", "'2024-03-04'|'o.csv'|'aaaa'|7|N\n"
	    "'2024-03-05'|'s.csv'|'bbbb'|1|N\n");
	assert_query(fx, "SELECT name FROM pragma_table_info('xfer_ingested')",
	    "'job'\n'name'\n'sha256'\n'date'\n'records'\n'ingested_at'\n"
	    "'delivery'\n");
	/* A again, under the new rule. */
	fx->delivery = 3;
	ingest_ok(fx, "s.csv", "date,v\n2024-03-05,a\n", FMT_CSV, SHA_A, 1);
	assert_query(fx, "SELECT v FROM sales", "'a'\n");
	/* Upgraded once: nothing is added or filled again. */
	ingest_ok(fx, "s.csv", "date,v\n2024-03-05,b\n", FMT_CSV, SHA_B, 1);
	assert_query(fx, "SELECT date, sha256, delivery FROM xfer_applied "
	    "ORDER BY date", "'2024-03-04'|'aaaa'|N\n'2024-03-05'|'bbbb'|3\n");
	assert_query(fx, "SELECT count(*) FROM xfer_ingested", "3\n");
}

/* csv-spectrum: every CSV into SQLite and back equals its JSON. */
static void
test_spectrum(void **state)
{
	struct fx *fx = *state;
	const char *dir = getenv("XFER_TESTDATA");
	char pat[512], json[512], name[128], q[256];
	struct ingest_req req;
	enum ingest_result res;
	long long records;
	json_object *rows, *row, *v;
	struct xerr err;
	sqlite3_stmt *st;
	sqlite3 *db;
	glob_t g;
	size_t i, r, ndone = 0;
	int c, ncol;

	if (dir == NULL)
		dir = "tests/data";
	snprintf(pat, sizeof(pat), "%s/csv-spectrum/csvs/*.csv", dir);
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;

		if (strcmp(base, "location_coordinates.csv") == 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(base) - 4),
		    base);
		snprintf(json, sizeof(json), "%s/csv-spectrum/json/%s.json",
		    dir, name);
		assert_non_null(rows = json_object_from_file(json));
		assert_true(json_object_is_type(rows, json_type_array));

		snprintf(fx->table, sizeof(fx->table), "%s", name);
		memset(&req, 0, sizeof(req));
		req.job = &fx->job;
		req.path = req.orig_path = g.gl_pathv[i];
		req.name = base;
		req.sha256 = SHA_A;
		req.date = fx->date;
		req.format = FMT_CSV;
		req.expect_records = (long long)json_object_array_length(rows);
		if (ingest_file(&req, &res, &records, NULL, &err) != 0)
			fail_msg("%s: %s", base, err.msg);
		assert_int_equal(res, INGEST_DONE);

		assert_int_equal(sqlite3_open_v2(fx->db, &db,
		    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
		snprintf(q, sizeof(q), "SELECT * FROM \"%s\" ORDER BY rowid",
		    name);
		assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL),
		    SQLITE_OK);
		ncol = sqlite3_column_count(st);
		for (r = 0; sqlite3_step(st) == SQLITE_ROW; r++) {
			assert_true(r < json_object_array_length(rows));
			row = json_object_array_get_idx(rows, r);
			assert_int_equal(json_object_object_length(row), ncol);
			c = 0;
			json_object_object_foreach(row, key, val) {
				assert_string_equal(sqlite3_column_name(st, c),
				    key);
				assert_int_equal(sqlite3_column_type(st, c),
				    SQLITE_TEXT);
				v = val;
				if ((size_t)sqlite3_column_bytes(st, c) !=
				    (size_t)json_object_get_string_len(v) ||
				    memcmp(sqlite3_column_text(st, c),
				    json_object_get_string(v),
				    (size_t)sqlite3_column_bytes(st, c)) != 0)
					fail_msg("%s: row %zu, '%s': got '%s', "
					    "want '%s'", name, r, key,
					    sqlite3_column_text(st, c),
					    json_object_get_string(v));
				c++;
			}
		}
		assert_int_equal(r, json_object_array_length(rows));
		sqlite3_finalize(st);
		sqlite3_close(db);
		json_object_put(rows);
		ndone++;
	}
	globfree(&g);
	/* A missing data directory must not pass quietly. */
	assert_int_equal(ndone, 11);
}

/* --- group commit ------------------------------------------------------ */

/* One file's request in a group; path and names live in g[]. */
struct gfile {
	char name[32];
	char path[256];
	struct ingest_req req;
	enum ingest_result res;
	long long records;
	struct xerr err;
};

static void
gfile_init(struct fx *fx, struct gfile *g, const char *name,
    const char *data, const char *sha, bdate_t date)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->path, sizeof(g->path), "%s", put_file(fx, name, data,
	    strlen(data)));
	g->req.job = &fx->job;
	g->req.path = g->path;
	g->req.orig_path = g->path;
	g->req.name = g->name;
	g->req.sha256 = sha;
	g->req.date = date;
	g->req.format = FMT_CSV;
	g->req.expect_records = -1;
	g->req.delivery = fx->delivery++;
}

static int
group_file(struct ingest_group *grp, struct gfile *g)
{
	return ingest_group_file(grp, &g->req, &g->res, &g->records, &g->err);
}

/*
 * Many files, one transaction: each keyed as on its own; a bad one rolled
 * back to its savepoint alone (its rows were in); a duplicate of a file
 * of the same group decided inside it; nothing visible before the commit.
 */
static void
test_group(void **state)
{
	struct fx *fx = *state;
	struct ingest_group *grp = NULL;
	struct gfile g[5];
	struct xerr err;

	fx->delivery = 10;
	gfile_init(fx, &g[0], "a.csv", "k,v\n1,a\n2,a\n", SHA_A, fx->date);
	gfile_init(fx, &g[1], "bad.csv", "k,v\n3,x\n4,x\n5,\"x\n", "cccc",
	    fx->date);
	gfile_init(fx, &g[2], "a.csv", "k,v\n1,a\n2,a\n", SHA_A, fx->date);
	gfile_init(fx, &g[3], "b.csv", "k,v\n6,b\n", SHA_B, fx->date);
	gfile_init(fx, &g[4], "wide.csv", "k,v,w\n7,w,w\n", "dddd", fx->date);
	assert_int_equal(ingest_group_begin(&g[0].req, NULL, &grp, &err), 1);
	assert_int_equal(group_file(grp, &g[0]), 0);
	assert_int_equal(g[0].res, INGEST_DONE);
	assert_int_equal(g[0].records, 2);
	assert_int_equal(group_file(grp, &g[1]), -1);
	assert_int_equal(g[1].err.cls, XERR_DATA);
	assert_int_equal(ingest_group_broken(grp), 0);
	assert_int_equal(group_file(grp, &g[2]), 0);
	assert_int_equal(g[2].res, INGEST_DUPLICATE);
	assert_int_equal(g[2].records, 2);
	assert_int_equal(group_file(grp, &g[3]), 0);
	/* The table has no column w: this file fails, the table stays. */
	assert_int_equal(group_file(grp, &g[4]), -1);
	assert_int_equal(g[4].err.cls, XERR_DATA);
	assert_non_null(strstr(g[4].err.msg, "no column 'w'"));
	/* A reader sees nothing of the group yet. */
	assert_query(fx, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'sales'", "0\n");
	assert_int_equal(ingest_group_commit(grp, &err), 0);
	ingest_group_end(grp);
	assert_query(fx, "SELECT k, v FROM sales ORDER BY rowid",
	    "'1'|'a'\n'2'|'a'\n'6'|'b'\n");
	assert_query(fx, "SELECT name, sha256, records, delivery FROM "
	    "xfer_ingested ORDER BY rowid", "'a.csv'|'aaaa'|2|10\n"
	    "'b.csv'|'bbbb'|1|13\n");
}

/* replace-date in one group: the last version of a date wins; the same
 * bytes again under another name add nothing. */
static void
test_group_replace_date(void **state)
{
	struct fx *fx = *state;
	struct ingest_group *grp = NULL;
	struct gfile g[3];
	struct xerr err;

	fx->job.ingest.mode = MODE_REPLACE_DATE;
	gfile_init(fx, &g[0], "v1.csv", "date,n\n2024-03-05,1\n2024-03-05,2\n",
	    SHA_A, fx->date);
	gfile_init(fx, &g[1], "v2.csv", "date,n\n2024-03-05,3\n", SHA_B,
	    fx->date);
	gfile_init(fx, &g[2], "v2-again.csv", "date,n\n2024-03-05,3\n",
	    SHA_B, fx->date);
	assert_int_equal(ingest_group_begin(&g[0].req, NULL, &grp, &err), 1);
	assert_int_equal(group_file(grp, &g[0]), 0);
	assert_int_equal(group_file(grp, &g[1]), 0);
	assert_int_equal(g[1].res, INGEST_DONE);
	assert_int_equal(group_file(grp, &g[2]), 0);
	assert_int_equal(g[2].res, INGEST_DUPLICATE);
	assert_int_equal(ingest_group_commit(grp, &err), 0);
	ingest_group_end(grp);
	assert_query(fx, "SELECT n FROM sales", "'3'\n");
	assert_query(fx, "SELECT name, sha256 FROM xfer_applied",
	    "'v2.csv'|'bbbb'\n");
}

/* What a group is not for: other targets, --force, another database;
 * and a group ended without its commit leaves nothing. */
static void
test_group_limits(void **state)
{
	struct fx *fx = *state;
	struct ingest_group *grp = NULL;
	struct gfile g[2];
	struct xerr err;
	bdate_t other;
	char pat[160];

	gfile_init(fx, &g[0], "a.csv", "k\n1\n", SHA_A, fx->date);
	fx->job.ingest.type = INGEST_NONE;
	assert_int_equal(ingest_group_begin(&g[0].req, NULL, &grp, &err), 0);
	assert_null(grp);
	fx->job.ingest.type = INGEST_SQLITE;
	g[0].req.force = 1;
	assert_int_equal(ingest_group_begin(&g[0].req, NULL, &grp, &err), 0);
	g[0].req.force = 0;

	/* A database a date names: another date is another group's. */
	snprintf(pat, sizeof(pat), "%s/t_{date:%%d}.db", fx->dir);
	fx->job.ingest.database = pat;
	assert_int_equal(bdate_parse("2024-03-06", &other), 0);
	gfile_init(fx, &g[1], "b.csv", "k\n2\n", SHA_B, other);
	assert_int_equal(ingest_group_begin(&g[0].req, NULL, &grp, &err), 1);
	assert_int_equal(group_file(grp, &g[0]), 0);
	assert_int_equal(group_file(grp, &g[1]), 1);
	ingest_group_end(grp);
	snprintf(fx->db, sizeof(fx->db), "%s/t_05.db", fx->dir);
	assert_query(fx, "SELECT count(*) FROM sqlite_master", "0\n");
	fx->job.ingest.database = fx->db;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_csv_exact, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_csv_options, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_new_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_replace_date, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect_records, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_existing_table, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_known, setup, teardown),
		cmocka_unit_test_setup_teardown(test_known_delivery, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_versions_replace_date,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions_append, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_old_schema, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spectrum, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_replace_date, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_limits, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
