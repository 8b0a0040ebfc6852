/* ledger: rows round-trip, first date, status filters, superseded
 * received versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fsutil.h"
#include "ledger.h"

struct seen {
	char lines[1024];
};

static int
collect(void *ctx, const struct status_row *r, struct xerr *err)
{
	struct seen *s = ctx;
	size_t n = strlen(s->lines);

	(void)err;
	snprintf(s->lines + n, sizeof(s->lines) - n, "%s %s %s %s %lld %d %s\n",
	    r->job, r->date, r->direction, r->state, r->records, r->attempts,
	    r->last_error ? r->last_error : "-");
	return 0;
}

static void
put(struct ledger *l, const char *job, const char *date, const char *state,
    long long records, const char *error)
{
	struct send_batch b;
	struct xerr err;

	memset(&b, 0, sizeof(b));
	snprintf(b.job, sizeof(b.job), "%s", job);
	assert_int_equal(bdate_parse(date, &b.date), 0);
	snprintf(b.state, sizeof(b.state), "%s", state);
	b.records = records;
	b.bytes = -1;
	b.attempts = error ? 2 : 1;
	snprintf(b.last_error, sizeof(b.last_error), "%s", error ? error : "");
	assert_int_equal(ledger_send_put(l, &b, &err), 0);
}

static void
test_ledger(void **state)
{
	char dir[] = "/tmp/xfer-ledger.XXXXXX", *path;
	struct status_filter f;
	struct send_batch b;
	struct ledger *l;
	struct seen s;
	struct xerr err;
	const char *jobs[] = { "b" };
	bdate_t d;
	int found;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = path_join(dir, "ledger.db");
	assert_int_equal(ledger_open(path, &l, &err), 0);
	put(l, "a", "2026-11-24", ST_SENT, 3, NULL);
	put(l, "a", "2026-11-22", ST_FAILED, -1, "disk full");
	put(l, "b", "2026-11-24", ST_HELD, 7, "conflict");
	put(l, "a", "2026-11-24", ST_SENT, 4, NULL);	/* replaces */

	assert_int_equal(ledger_send_get(l, "a", 0, &b, &found, &err), 0);
	assert_int_equal(found, 0);
	bdate_parse("2026-11-24", &d);
	assert_int_equal(ledger_send_get(l, "a", d, &b, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_string_equal(b.state, "sent");
	assert_int_equal(b.records, 4);
	assert_int_equal(b.bytes, -1);

	assert_int_equal(ledger_send_first(l, "a", &d, &found, &err), 0);
	assert_int_equal(found, 1);
	bdate_parse("2026-11-22", &b.date);
	assert_int_equal(d, b.date);
	assert_int_equal(ledger_send_first(l, "zz", &d, &found, &err), 0);
	assert_int_equal(found, 0);

	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_status(l, &f, collect, &s, &err), 0);
	assert_string_equal(s.lines,
	    "a 2026-11-22 send failed -1 2 disk full\n"
	    "a 2026-11-24 send sent 4 1 -\n"
	    "b 2026-11-24 send held 7 2 conflict\n");

	memset(&s, 0, sizeof(s));
	f.failed_only = 1;
	assert_int_equal(ledger_status(l, &f, collect, &s, &err), 0);
	assert_string_equal(s.lines,
	    "a 2026-11-22 send failed -1 2 disk full\n"
	    "b 2026-11-24 send held 7 2 conflict\n");

	memset(&s, 0, sizeof(s));
	f.failed_only = 0;
	f.date = "2026-11-24";
	f.jobs = jobs;
	f.njobs = 1;
	assert_int_equal(ledger_status(l, &f, collect, &s, &err), 0);
	assert_string_equal(s.lines, "b 2026-11-24 send held 7 2 conflict\n");

	ledger_close(l);
	/* Reopening keeps the rows (the schema is created only once). */
	assert_int_equal(ledger_open(path, &l, &err), 0);
	bdate_parse("2026-11-24", &d);
	assert_int_equal(ledger_send_get(l, "b", d, &b, &found, &err), 0);
	assert_int_equal(found, 1);
	ledger_close(l);
	free(path);
	assert_int_equal(remove_tree(dir, &err), 0);
}

static int
sql_int(const char *db, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *h;
	int v = -1;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static int
logged_dates(void *ctx, bdate_t d, long long when, struct xerr *err)
{
	char ds[BDATE_STRLEN], *s = ctx;
	size_t n = strlen(s);

	(void)err;
	bdate_format(d, ds);
	snprintf(s + n, 256 - n, "%s@%lld ", ds, when);
	return 0;
}

static int
done_dates(void *ctx, bdate_t d, const char *name, struct xerr *err)
{
	char ds[BDATE_STRLEN], *s = ctx;
	size_t n = strlen(s);

	(void)err;
	bdate_format(d, ds);
	snprintf(s + n, 256 - n, "%s:%s ", ds, name);
	return 0;
}

static void
rput(struct ledger *l, const char *name, const char *date, const char *state)
{
	struct recv_file f;
	struct xerr err;

	memset(&f, 0, sizeof(f));
	snprintf(f.job, sizeof(f.job), "rx");
	snprintf(f.name, sizeof(f.name), "%s", name);
	assert_int_equal(bdate_parse(date, &f.date), 0);
	snprintf(f.state, sizeof(f.state), "%s", state);
	f.records = f.bytes = f.manifest_records = -1;
	assert_int_equal(ledger_recv_put(l, &f, &err), 0);
}

/*
 * A ledger of the first schema (user_version 0, no missing_logged) is
 * brought up to date on open, once; the missing-batch bookkeeping works.
 */
static void
test_upgrade_and_missing(void **state)
{
	char dir[] = "/tmp/xfer-ledger.XXXXXX", *path, buf[256];
	struct ledger *l;
	struct xerr err;
	sqlite3 *h;
	bdate_t d, d2, since;
	int found;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = path_join(dir, "ledger.db");
	assert_int_equal(ledger_open(path, &l, &err), 0);
	ledger_close(l);
	/* Back to how the first version left it. */
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "DROP TABLE missing_logged;"
	    "DROP TABLE expect_since; DROP INDEX receive_date;"
	    "PRAGMA user_version = 0", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'missing_logged'"), 0);
	assert_int_equal(ledger_open(path, &l, &err), 0);
	ledger_close(l);
	assert_int_equal(ledger_open(path, &l, &err), 0);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), 1);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master"
	    " WHERE name IN ('missing_logged', 'expect_since',"
	    " 'receive_date')"), 3);

	/* Logged once: a second note keeps the first time. */
	bdate_parse("2026-11-20", &d);
	bdate_parse("2026-11-21", &d2);
	assert_int_equal(ledger_missing_log(l, "rx", "receive", d2, 200, &err),
	    0);
	assert_int_equal(ledger_missing_log(l, "rx", "receive", d, 100, &err),
	    0);
	assert_int_equal(ledger_missing_log(l, "rx", "receive", d, 300, &err),
	    0);
	assert_int_equal(ledger_missing_log(l, "tx", "send", d, 400, &err), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ledger_missing_logged_each(l, "rx", "receive",
	    logged_dates, buf, &err), 0);
	assert_string_equal(buf, "2026-11-20@100 2026-11-21@200 ");

	/* Dates with an ingested or duplicate file, the newest's name. */
	rput(l, "a.csv", "2026-11-20", ST_INGESTED);
	rput(l, "b.csv", "2026-11-20", ST_DUPLICATE);
	rput(l, "c.csv", "2026-11-21", ST_FAILED);
	rput(l, "d.csv", "2026-11-25", ST_INGESTED);
	memset(buf, 0, sizeof(buf));
	bdate_parse("2026-11-24", &d2);
	assert_int_equal(ledger_recv_done_each(l, "rx", d, d2, done_dates, buf,
	    &err), 0);
	assert_string_equal(buf, "2026-11-20:b.csv ");

	assert_int_equal(ledger_expect_since(l, "rx", &since, &found, &err),
	    0);
	assert_int_equal(found, 0);
	assert_int_equal(ledger_expect_since_put(l, "rx", d, &err), 0);
	assert_int_equal(ledger_expect_since(l, "rx", &since, &found, &err),
	    0);
	assert_int_equal(found, 1);
	assert_int_equal(since, d);
	/* Forgetting takes the receive side only. */
	assert_int_equal(ledger_expect_forget(l, "rx", &err), 0);
	assert_int_equal(ledger_expect_since(l, "rx", &since, &found, &err),
	    0);
	assert_int_equal(found, 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ledger_missing_logged_each(l, "rx", "receive",
	    logged_dates, buf, &err), 0);
	assert_string_equal(buf, "");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ledger_missing_logged_each(l, "tx", "send",
	    logged_dates, buf, &err), 0);
	assert_string_equal(buf, "2026-11-20@400 ");
	ledger_close(l);
	free(path);
	assert_int_equal(remove_tree(dir, &err), 0);
}

static long long
vput(struct ledger *l, const char *name, const char *date, const char *sha,
    const char *state)
{
	struct recv_file f;
	struct xerr err;

	memset(&f, 0, sizeof(f));
	snprintf(f.job, sizeof(f.job), "r");
	snprintf(f.name, sizeof(f.name), "%s", name);
	snprintf(f.sha256, sizeof(f.sha256), "%s", sha);
	assert_int_equal(bdate_parse(date, &f.date), 0);
	snprintf(f.state, sizeof(f.state), "%s", state);
	f.records = f.bytes = f.manifest_records = -1;
	if (strcmp(state, ST_FAILED) == 0)
		snprintf(f.last_error, sizeof(f.last_error), "bad");
	assert_int_equal(ledger_recv_put(l, &f, &err), 0);
	return f.id;
}

struct sup {
	char lines[512];
	struct recv_file last;
};

static int
sup_line(void *ctx, const struct recv_file *f, const struct recv_file *by,
    struct xerr *err)
{
	struct sup *s = ctx;
	size_t n = strlen(s->lines);

	(void)err;
	snprintf(s->lines + n, sizeof(s->lines) - n, "%lld<%lld ",
	    f->id, by->id);
	s->last = *f;
	return 0;
}

/*
 * Failed versions followed by one that went in (ingested or duplicate)
 * are found by name (append) or date (replace-date); superseded rows
 * leave status --failed.
 */
static void
test_superseded(void **state)
{
	char dir[] = "/tmp/xfer-ledger.XXXXXX", *path;
	struct status_filter sf;
	struct ledger *l;
	struct seen s;
	struct sup sup;
	struct xerr err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = path_join(dir, "ledger.db");
	assert_int_equal(ledger_open(path, &l, &err), 0);
	/* 1 failed, 2 (another name) ingested, 3 held, 4 a duplicate, 5
	 * failed (another date), 6 failed and nothing after it. */
	assert_int_equal(vput(l, "a.csv", "2026-11-20", "aa", ST_FAILED), 1);
	vput(l, "b.csv", "2026-11-20", "bb", ST_INGESTED);
	vput(l, "a.csv", "2026-11-20", "a2", ST_HELD);
	vput(l, "a.csv", "2026-11-20", "a3", ST_DUPLICATE);
	vput(l, "a.csv", "2026-11-21", "a4", ST_FAILED);
	vput(l, "c.csv", "2026-11-20", "cc", ST_FAILED);

	/* By name: 1 and 3 are followed by 4 (a.csv); 5 comes after it. */
	memset(&sup, 0, sizeof(sup));
	assert_int_equal(ledger_recv_superseded_each(l, "r", 0, sup_line,
	    &sup, &err), 0);
	assert_string_equal(sup.lines, "1<4 3<4 ");
	assert_string_equal(sup.last.sha256, "a2");
	assert_string_equal(sup.last.state, "held");
	/* By date: 1 by 2 (the first newer one in), 3 by 4; 5 has another
	 * date, 6 nothing after it. */
	memset(&sup, 0, sizeof(sup));
	assert_int_equal(ledger_recv_superseded_each(l, "r", 1, sup_line,
	    &sup, &err), 0);
	assert_string_equal(sup.lines, "1<2 3<4 ");
	/* Another job's rows are not looked at. */
	memset(&sup, 0, sizeof(sup));
	assert_int_equal(ledger_recv_superseded_each(l, "x", 1, sup_line,
	    &sup, &err), 0);
	assert_string_equal(sup.lines, "");

	/* Superseded rows are not failed (3, the held one, here). */
	memset(&sup, 0, sizeof(sup));
	assert_int_equal(ledger_recv_superseded_each(l, "r", 0, sup_line,
	    &sup, &err), 0);
	snprintf(sup.last.state, sizeof(sup.last.state), "%s", ST_SUPERSEDED);
	assert_int_equal(ledger_recv_put(l, &sup.last, &err), 0);
	memset(&sf, 0, sizeof(sf));
	sf.failed_only = 1;
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_status(l, &sf, collect, &s, &err), 0);
	assert_string_equal(s.lines,
	    "r 2026-11-20 receive failed -1 0 bad\n"
	    "r 2026-11-20 receive failed -1 0 bad\n"
	    "r 2026-11-21 receive failed -1 0 bad\n");
	ledger_close(l);
	free(path);
	assert_int_equal(remove_tree(dir, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger),
		cmocka_unit_test(test_upgrade_and_missing),
		cmocka_unit_test(test_superseded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
