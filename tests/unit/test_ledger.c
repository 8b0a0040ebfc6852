/*
 * ledger: the contract of the ledger's backends (rows round-trip, first
 * date, status filters, missing batches, superseded received versions)
 * and the claims of a shared ledger.
 *
 * The contract tests run against SQLite in a temporary directory, or,
 * with XFER_TEST_LEDGER_URL set (and XFER_TEST_LEDGER_PASSWORD_FILE),
 * against that PostgreSQL database, whose public schema is dropped and
 * made again before each test (tests/e2e/t_ledger_pg.sh starts a server
 * and runs this binary so).  The claim tests need PostgreSQL and are
 * skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <time.h>

#include "fsutil.h"
#include "ledger.h"
#include "ledger/ledger_impl.h"

/* The ledger under test: a directory for SQLite, or PostgreSQL's URL. */
struct fixture {
	char dir[64];
	char *path;		/* dir/ledger.db */
	const char *url;	/* NULL: SQLite */
	const char *password_file;
};

static const char *
pg_url(void)
{
	const char *u = getenv("XFER_TEST_LEDGER_URL");

	return u != NULL && *u != '\0' ? u : NULL;
}

/* A connection of the test's own to the PostgreSQL ledger. */
static PGconn *
admin_conn(void)
{
	const char *kw[3] = { "dbname", "password", NULL };
	const char *val[3] = { pg_url(), NULL, NULL };
	char pw[256] = "";
	FILE *f;
	PGconn *c;

	if (getenv("XFER_TEST_LEDGER_PASSWORD_FILE") != NULL &&
	    (f = fopen(getenv("XFER_TEST_LEDGER_PASSWORD_FILE"), "r")) !=
	    NULL) {
		if (fgets(pw, sizeof(pw), f) == NULL)
			pw[0] = '\0';
		pw[strcspn(pw, "\r\n")] = '\0';
		fclose(f);
		val[1] = pw;
	}
	c = PQconnectdbParams(kw, val, 1);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", pg_url(),
		    PQerrorMessage(c));
	return c;
}

static void
admin_exec(const char *sql)
{
	PGconn *c = admin_conn();
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The one number sql selects (-1: no row). */
static long long
admin_int(const char *sql)
{
	PGconn *c = admin_conn();
	PGresult *r = PQexec(c, sql);
	long long v = -1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	if (PQntuples(r) > 0)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

static void
fx_start(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/xfer-ledger.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->path = path_join(fx->dir, "ledger.db");
	assert_non_null(fx->path);
	fx->url = pg_url();
	fx->password_file = getenv("XFER_TEST_LEDGER_PASSWORD_FILE");
	if (fx->url != NULL)
		admin_exec("SET client_min_messages = warning;"
		    "DROP SCHEMA IF EXISTS public CASCADE;"
		    "CREATE SCHEMA public");
}

/* Open the fixture's ledger as node (lease in seconds). */
static struct ledger *
fx_open_as(const struct fixture *fx, const char *node, int lease)
{
	struct ledger_conf c;
	struct ledger *l = NULL;
	struct xerr err;

	memset(&c, 0, sizeof(c));
	c.url = fx->url;
	c.path = fx->path;
	c.password_file = fx->password_file;
	c.node = node;
	c.lease_s = lease;
	if (ledger_connect(&c, &l, &err) == -1)
		fail_msg("%s", err.msg);
	return l;
}

static struct ledger *
fx_open(const struct fixture *fx)
{
	return fx_open_as(fx, "a", 60);
}

static void
fx_end(struct fixture *fx)
{
	struct xerr err;

	assert_int_equal(remove_tree(fx->dir, &err), 0);
	free(fx->path);
}

/* On a shared ledger a send row needs this node's claim of it. */
static void
claim_send(struct ledger *l, const char *job, const char *date)
{
	struct ledger_claim c;
	struct xerr err;

	memset(&c, 0, sizeof(c));
	c.kind = CLAIM_SEND;
	snprintf(c.job, sizeof(c.job), "%s", job);
	snprintf(c.key, sizeof(c.key), "%s", date);
	assert_int_equal(ledger_claim(l, &c, 1, &err), 0);
	assert_int_equal(c.state, CLAIM_OURS);
}

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

/* job date direction state node lease ("leased" or "-"). */
static int
status_nodes(void *ctx, const struct status_row *r, struct xerr *err)
{
	struct seen *s = ctx;
	size_t n = strlen(s->lines);

	(void)err;
	snprintf(s->lines + n, sizeof(s->lines) - n, "%s %s %s %s %s %s\n",
	    r->job, r->date, r->direction, r->state, r->node ? r->node : "",
	    r->lease_until > 0 ? "leased" : "-");
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
	if (!ledger_claim_held(l, CLAIM_SEND, job, date))
		claim_send(l, job, date);
	if (ledger_send_put(l, &b, &err) == -1)
		fail_msg("%s", err.msg);
}

static void
test_ledger(void **state)
{
	struct fixture fx;
	struct status_filter f;
	struct send_batch b;
	struct ledger *l;
	struct seen s;
	struct xerr err;
	const char *jobs[] = { "b" };
	bdate_t d;
	int found;

	(void)state;
	fx_start(&fx);
	l = fx_open(&fx);
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
	l = fx_open(&fx);
	bdate_parse("2026-11-24", &d);
	assert_int_equal(ledger_send_get(l, "b", d, &b, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_int_equal(ledger_schema_version(l, &found, &err), 0);
	assert_int_equal(found, fx.url != NULL ? 2 : 1);
	ledger_close(l);
	fx_end(&fx);
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

struct opener {
	const struct fixture *fx;
	char node[16];
	int version;
};

static void *
open_one(void *arg)
{
	struct opener *o = arg;
	struct ledger *l = fx_open_as(o->fx, o->node, 60);
	struct xerr err;

	if (ledger_schema_version(l, &o->version, &err) == -1)
		o->version = -1;
	ledger_close(l);
	return NULL;
}

/*
 * SQLite: a ledger of the first schema (user_version 0, no
 * missing_logged) is brought up to date on open, once.  PostgreSQL: three
 * hosts opening a new ledger at once end alike, at the same version.
 * Then the missing-batch bookkeeping works.
 */
static void
test_upgrade_and_missing(void **state)
{
	struct fixture fx;
	char buf[256];
	struct ledger *l;
	struct xerr err;
	sqlite3 *h;
	bdate_t d, d2, since;
	int found, i;

	(void)state;
	fx_start(&fx);
	if (fx.url != NULL) {
		struct opener o[3];
		pthread_t t[3];

		for (i = 0; i < 3; i++) {
			o[i].fx = &fx;
			snprintf(o[i].node, sizeof(o[i].node), "h%c", '0' + i);
			assert_int_equal(pthread_create(&t[i], NULL, open_one,
			    &o[i]), 0);
		}
		for (i = 0; i < 3; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(o[i].version, 2);
		}
		assert_int_equal(admin_int("SELECT count(*) FROM xfer_schema"),
		    1);
		assert_int_equal(admin_int("SELECT version FROM xfer_schema"),
		    2);
		/* Three nodes of one machine, each registered once. */
		assert_int_equal(admin_int("SELECT count(*) FROM nodes"), 3);
		l = fx_open(&fx);
	} else {
		l = fx_open(&fx);
		ledger_close(l);
		/* Back to how the first version left it. */
		assert_int_equal(sqlite3_open(fx.path, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "DROP TABLE missing_logged;"
		    "DROP TABLE expect_since; DROP INDEX receive_date;"
		    "PRAGMA user_version = 0", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
		assert_int_equal(sql_int(fx.path, "SELECT count(*) FROM "
		    "sqlite_master WHERE name = 'missing_logged'"), 0);
		l = fx_open(&fx);
		ledger_close(l);
		l = fx_open(&fx);
		assert_int_equal(sql_int(fx.path, "PRAGMA user_version"), 1);
		assert_int_equal(sql_int(fx.path, "SELECT count(*) FROM "
		    "sqlite_master WHERE name IN ('missing_logged', "
		    "'expect_since', 'receive_date')"), 3);
	}

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
	fx_end(&fx);
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
	struct fixture fx;
	struct status_filter sf;
	struct ledger *l;
	struct seen s;
	struct sup sup;
	struct xerr err;

	(void)state;
	fx_start(&fx);
	l = fx_open(&fx);
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
	fx_end(&fx);
}

/* --- claims (PostgreSQL) ---------------------------------------------- */

#define SKIP_WITHOUT_PG() do { if (pg_url() == NULL) { skip(); } } while (0)

static void
mk_claim(struct ledger_claim *c, enum claim_kind kind, const char *job,
    const char *key)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	snprintf(c->job, sizeof(c->job), "%s", job);
	snprintf(c->key, sizeof(c->key), "%s", key);
}

/* The backend's claim alone: no renewing thread keeps the lease alive,
 * as for a host that stopped. */
static void
raw_claim(struct ledger *l, struct ledger_claim *c)
{
	struct xerr err;

	if (l->ops->claim(l, c, 1, &err) == -1)
		fail_msg("%s", err.msg);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static void
batch(struct send_batch *b, const char *job, const char *date,
    const char *state)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->job, sizeof(b->job), "%s", job);
	assert_int_equal(bdate_parse(date, &b->date), 0);
	snprintf(b->state, sizeof(b->state), "%s", state);
	b->bytes = b->records = -1;
}

/*
 * Granted to the first node; BUSY for another, with the holder and its
 * lease; a new claim by the holder raises the token; after the lease
 * (1 s, not renewed) another node takes it over; the old holder's
 * updates then change 0 rows and fail with XERR_STALE naming the new
 * one; a release ends the lease at once.
 */
static void
test_claim_lease_and_guard(void **state)
{
	struct fixture fx;
	struct ledger *a, *b;
	struct ledger_claim ca, cb;
	struct send_batch sb;
	struct xerr err;
	bdate_t d;
	int found;

	(void)state;
	SKIP_WITHOUT_PG();
	fx_start(&fx);
	a = fx_open_as(&fx, "host-a", 1);
	b = fx_open_as(&fx, "host-b", 1);
	mk_claim(&ca, CLAIM_SEND, "tx", "2026-11-24");
	raw_claim(a, &ca);
	assert_int_equal(ca.state, CLAIM_OURS);
	assert_int_equal(ca.token, 1);
	mk_claim(&cb, CLAIM_SEND, "tx", "2026-11-24");
	raw_claim(b, &cb);
	assert_int_equal(cb.state, CLAIM_BUSY);
	assert_string_equal(cb.holder, "host-a");
	assert_true(cb.lease_until > 0);
	assert_true(cb.lease_until >= admin_int("SELECT floor(extract(epoch"
	    " FROM now()))::bigint"));
	/* The holder's new claim is a new token. */
	raw_claim(a, &ca);
	assert_int_equal(ca.state, CLAIM_OURS);
	assert_int_equal(ca.token, 2);

	/* Not renewed: after its lease another node takes it over. */
	sleep_ms(1300);
	raw_claim(b, &cb);
	assert_int_equal(cb.state, CLAIM_OURS);
	assert_int_equal(cb.token, 3);

	/* The stale holder changes nothing. */
	batch(&sb, "tx", "2026-11-24", ST_SENT);
	assert_int_equal(a->ops->send_put(a, &sb, 2, &err), -1);
	assert_int_equal(err.cls, XERR_STALE);
	assert_non_null(strstr(err.msg, "tx 2026-11-24: the claim of node "
	    "'host-a' (token 2) was taken over by node 'host-b'"));
	d = sb.date;
	assert_int_equal(ledger_send_get(b, "tx", d, &sb, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(a->ops->attempt_add(a, "tx", "send", d, "x", 2,
	    &err), -1);
	assert_int_equal(err.cls, XERR_STALE);
	assert_int_equal(admin_int("SELECT count(*) FROM attempts"), 0);
	/* Inside a transaction too, which stays usable. */
	assert_int_equal(ledger_begin(a, &err), 0);
	batch(&sb, "tx", "2026-11-24", ST_FAILED);
	assert_int_equal(a->ops->send_put(a, &sb, 2, &err), -1);
	assert_int_equal(err.cls, XERR_STALE);
	ledger_rollback(a);

	/* The new holder's token works, the row carries its node. */
	batch(&sb, "tx", "2026-11-24", ST_PRODUCED);
	assert_int_equal(b->ops->send_put(b, &sb, 3, &err), 0);
	assert_true(sb.updated > 0);
	assert_int_equal(b->ops->attempt_add(b, "tx", "send", d, NULL, 3,
	    &err), 0);
	/* And a stale update of an existing row changes it not. */
	batch(&sb, "tx", "2026-11-24", ST_FAILED);
	assert_int_equal(a->ops->send_put(a, &sb, 2, &err), -1);
	assert_int_equal(err.cls, XERR_STALE);
	assert_int_equal(ledger_send_get(a, "tx", d, &sb, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_string_equal(sb.state, ST_PRODUCED);
	assert_string_equal(sb.node, "host-b");
	assert_int_equal(admin_int("SELECT count(*) FROM attempts"), 1);

	/* A stale release fails naming the holder; a release ends the
	 * lease now: the other node may claim at once. */
	ca.token = 2;
	assert_int_equal(a->ops->release(a, &ca, 1, 0, &err), -1);
	assert_int_equal(err.cls, XERR_STALE);
	assert_non_null(strstr(err.msg, "by node 'host-b'"));
	assert_int_equal(b->ops->release(b, &cb, 1, 0, &err), 0);
	raw_claim(a, &ca);
	assert_int_equal(ca.state, CLAIM_OURS);
	assert_int_equal(ca.token, 4);
	ledger_close(a);
	ledger_close(b);
	fx_end(&fx);
}

struct racer {
	const struct fixture *fx;
	pthread_barrier_t *start;
	char node[16];
	struct ledger_claim c[64];
	int rc;
};

static void *
race_one(void *arg)
{
	struct racer *r = arg;
	struct ledger *l = fx_open_as(r->fx, r->node, 30);
	struct xerr err;

	pthread_barrier_wait(r->start);
	r->rc = ledger_claim(l, r->c, 64, &err);
	if (r->rc == -1)
		fprintf(stderr, "%s: %s\n", r->node, err.msg);
	/* Closing releases: not before every host has claimed. */
	pthread_barrier_wait(r->start);
	ledger_close(l);
	return NULL;
}

/*
 * Three hosts claim the same 64 dates at the same moment: each date is
 * granted to exactly one, and the others are told which.
 */
static void
test_claim_race(void **state)
{
	struct fixture fx;
	struct racer r[3];
	pthread_barrier_t start;
	pthread_t t[3];
	int i, k, ours, wins[3] = { 0, 0, 0 };

	(void)state;
	SKIP_WITHOUT_PG();
	fx_start(&fx);
	/* The schema first, so that the three race for claims only. */
	ledger_close(fx_open(&fx));
	pthread_barrier_init(&start, NULL, 3);
	for (i = 0; i < 3; i++) {
		r[i].fx = &fx;
		r[i].start = &start;
		snprintf(r[i].node, sizeof(r[i].node), "host-%c", '0' + i);
		for (k = 0; k < 64; k++) {
			char ds[BDATE_STRLEN];

			bdate_format(20000 + k, ds);
			mk_claim(&r[i].c[k], CLAIM_SEND, "tx", ds);
		}
		assert_int_equal(pthread_create(&t[i], NULL, race_one, &r[i]),
		    0);
	}
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < 3; i++)
		assert_int_equal(r[i].rc, 0);
	for (k = 0; k < 64; k++) {
		int winner = -1;

		for (ours = 0, i = 0; i < 3; i++)
			if (r[i].c[k].state == CLAIM_OURS) {
				ours++;
				winner = i;
			}
		assert_int_equal(ours, 1);
		wins[winner]++;
		for (i = 0; i < 3; i++)
			if (i != winner) {
				assert_int_equal(r[i].c[k].state, CLAIM_BUSY);
				assert_string_equal(r[i].c[k].holder,
				    r[winner].node);
			}
	}
	printf("# dates won: %d %d %d\n", wins[0], wins[1], wins[2]);
	fx_end(&fx);
}

/* A pull released as done is never claimed again, by any node. */
static void
test_claim_done(void **state)
{
	struct fixture fx;
	struct ledger *a, *b;
	struct ledger_claim c[2];
	struct xerr err;
	char key[512];

	(void)state;
	SKIP_WITHOUT_PG();
	fx_start(&fx);
	a = fx_open_as(&fx, "host-a", 30);
	b = fx_open_as(&fx, "host-b", 30);
	assert_int_equal(ledger_pull_key(key, sizeof(key), "in \"1\".csv",
	    42, "1700000000"), 0);
	mk_claim(&c[0], CLAIM_PULL, "rx", key);
	mk_claim(&c[1], CLAIM_PULL, "rx", "other\n1\n2");
	assert_int_equal(ledger_claim(a, c, 2, &err), 0);
	assert_int_equal(c[0].state, CLAIM_OURS);
	assert_int_equal(c[1].state, CLAIM_OURS);
	assert_int_equal(ledger_release(a, c, 1, 1, &err), 0);
	assert_int_equal(ledger_claim_held(a, CLAIM_PULL, "rx", key), 0);
	assert_int_equal(ledger_claim_held(a, CLAIM_PULL, "rx",
	    "other\n1\n2"), 1);
	mk_claim(&c[0], CLAIM_PULL, "rx", key);
	assert_int_equal(ledger_claim(b, c, 1, &err), 0);
	assert_int_equal(c[0].state, CLAIM_DONE);
	assert_string_equal(c[0].holder, "host-a");
	assert_int_equal(ledger_claim(a, c, 1, &err), 0);
	assert_int_equal(c[0].state, CLAIM_DONE);
	/* Closing gives up what is still held: free for the other node. */
	ledger_close(a);
	mk_claim(&c[1], CLAIM_PULL, "rx", "other\n1\n2");
	assert_int_equal(ledger_claim(b, &c[1], 1, &err), 0);
	assert_int_equal(c[1].state, CLAIM_OURS);
	ledger_close(b);
	fx_end(&fx);
}

/*
 * Through the front: the renewing thread keeps a 2 s lease alive for
 * 3.5 s; the row a node claimed shows its node and lease in status.
 */
static void
test_claim_renewed(void **state)
{
	struct fixture fx;
	struct ledger *a, *b;
	struct ledger_claim c;
	struct send_batch sb;
	struct status_filter f;
	struct xerr err;
	struct seen s;
	int i;

	(void)state;
	SKIP_WITHOUT_PG();
	fx_start(&fx);
	a = fx_open_as(&fx, "host-a", 2);
	b = fx_open_as(&fx, "host-b", 2);
	mk_claim(&c, CLAIM_SEND, "tx", "2026-11-24");
	assert_int_equal(ledger_claim(a, &c, 1, &err), 0);
	assert_int_equal(c.state, CLAIM_OURS);
	batch(&sb, "tx", "2026-11-24", ST_PRODUCED);
	assert_int_equal(ledger_send_put(a, &sb, &err), 0);
	sleep_ms(3500);
	mk_claim(&c, CLAIM_SEND, "tx", "2026-11-24");
	assert_int_equal(ledger_claim(b, &c, 1, &err), 0);
	assert_int_equal(c.state, CLAIM_BUSY);
	assert_string_equal(c.holder, "host-a");
	assert_int_equal(ledger_claim_held(a, CLAIM_SEND, "tx", "2026-11-24"),
	    1);
	batch(&sb, "tx", "2026-11-24", ST_SENT);
	assert_int_equal(ledger_send_put(a, &sb, &err), 0);
	/* Not claimed by b: its update is refused before any SQL. */
	assert_int_equal(ledger_send_put(b, &sb, &err), -1);
	assert_int_equal(err.cls, XERR_PERM);

	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_status(b, &f, status_nodes, &s, &err), 0);
	assert_string_equal(s.lines, "tx 2026-11-24 send sent host-a "
	    "leased\n");

	/* Taken over behind a's back: its renewal finds it out (within a
	 * renewing period, 1 s here), and the front refuses a's updates. */
	admin_exec("UPDATE claims SET node = 'host-c', token = token + 1");
	for (i = 0; i < 50 && ledger_claim_held(a, CLAIM_SEND, "tx",
	    "2026-11-24"); i++)
		sleep_ms(100);
	assert_int_equal(ledger_claim_held(a, CLAIM_SEND, "tx", "2026-11-24"),
	    0);
	assert_int_equal(ledger_send_put(a, &sb, &err), -1);
	assert_int_equal(err.cls, XERR_STALE);
	admin_exec("UPDATE claims SET node = 'host-a', token = token - 1");
	ledger_close(a);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_status(b, &f, status_nodes, &s, &err), 0);
	assert_string_equal(s.lines, "tx 2026-11-24 send sent host-a -\n");
	ledger_close(b);
	fx_end(&fx);
}

static int
count_rows(void *ctx, const struct recv_file *f, struct xerr *err)
{
	struct seen *s = ctx;
	size_t n = strlen(s->lines);

	(void)err;
	snprintf(s->lines + n, sizeof(s->lines) - n, "%s@%s ", f->name,
	    f->node);
	return 0;
}

/*
 * Received files are a node's own: recv_each, recv_find and
 * superseded_each see only this node's rows, status all; runs are per
 * node.
 */
static void
test_node_scoping(void **state)
{
	struct fixture fx;
	struct ledger *a, *b;
	struct recv_file f;
	struct status_filter sf;
	struct seen s;
	struct sup sup;
	struct xerr err;
	long long slot;
	int found;

	(void)state;
	SKIP_WITHOUT_PG();
	fx_start(&fx);
	a = fx_open_as(&fx, "host-a", 30);
	b = fx_open_as(&fx, "host-b", 30);
	vput(a, "a.csv", "2026-11-20", "aa", ST_FAILED);
	vput(b, "b.csv", "2026-11-20", "bb", ST_RECEIVED);
	vput(b, "a.csv", "2026-11-20", "a2", ST_INGESTED);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_recv_each(a, NULL, NULL, -1, count_rows, &s,
	    &err), 0);
	assert_string_equal(s.lines, "a.csv@host-a ");
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_recv_each(b, "r", NULL, -1, count_rows, &s,
	    &err), 0);
	assert_string_equal(s.lines, "b.csv@host-b a.csv@host-b ");
	assert_int_equal(ledger_recv_find(b, "r", "a.csv", "aa", NULL, &f,
	    &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(ledger_recv_find(a, "r", "a.csv", "aa", NULL, &f,
	    &found, &err), 0);
	assert_int_equal(found, 1);
	assert_string_equal(f.node, "host-a");
	/* a's failed version, superseded by the one b ingested. */
	memset(&sup, 0, sizeof(sup));
	assert_int_equal(ledger_recv_superseded_each(a, "r", 0, sup_line,
	    &sup, &err), 0);
	assert_string_equal(sup.lines, "1<3 ");
	memset(&sup, 0, sizeof(sup));
	assert_int_equal(ledger_recv_superseded_each(b, "r", 0, sup_line,
	    &sup, &err), 0);
	assert_string_equal(sup.lines, "");
	/* status sees the fleet. */
	memset(&sf, 0, sizeof(sf));
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_status(a, &sf, status_nodes, &s, &err), 0);
	assert_string_equal(s.lines,
	    "r 2026-11-20 receive failed host-a -\n"
	    "r 2026-11-20 receive received host-b -\n"
	    "r 2026-11-20 receive ingested host-b -\n");

	assert_int_equal(ledger_run_put(a, "r", 100, 101, &err), 0);
	assert_int_equal(ledger_run_get(b, "r", &slot, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(ledger_run_put(b, "r", 200, 201, &err), 0);
	assert_int_equal(ledger_run_get(a, "r", &slot, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_int_equal(slot, 100);
	ledger_close(a);
	ledger_close(b);
	fx_end(&fx);
}

/*
 * Many keys in one claim (a receive listing): one round trip each way;
 * the other node finds every one busy.  Prints the time taken.
 */
static void
test_claim_many(void **state)
{
	enum { N = 3000 };
	struct fixture fx;
	struct ledger *a, *b;
	struct ledger_claim *c;
	struct timespec t0, t1, t2;
	struct xerr err;
	size_t i;

	(void)state;
	SKIP_WITHOUT_PG();
	fx_start(&fx);
	a = fx_open_as(&fx, "host-a", 30);
	b = fx_open_as(&fx, "host-b", 30);
	assert_non_null(c = calloc(N, sizeof(*c)));
	for (i = 0; i < N; i++) {
		char key[512];

		snprintf(key, sizeof(key), "file-%05zu.csv\n%zu\n%zu", i,
		    i * 10, 1700000000 + i);
		mk_claim(&c[i], CLAIM_PULL, "rx", key);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ledger_claim(a, c, N, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < N; i++)
		assert_int_equal(c[i].state, CLAIM_OURS);
	assert_int_equal(ledger_claim(b, c, N, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	for (i = 0; i < N; i++) {
		assert_int_equal(c[i].state, CLAIM_BUSY);
		assert_string_equal(c[i].holder, "host-a");
	}
	printf("# claim of %d keys: granted in %.0f ms, found busy in "
	    "%.0f ms\n", N, (t1.tv_sec - t0.tv_sec) * 1e3 +
	    (t1.tv_nsec - t0.tv_nsec) / 1e6, (t2.tv_sec - t1.tv_sec) * 1e3 +
	    (t2.tv_nsec - t1.tv_nsec) / 1e6);
	free(c);
	ledger_close(a);
	ledger_close(b);
	fx_end(&fx);
}

/*
 * A connection the server ended between calls is opened again at the
 * next call; one ended inside a transaction fails it with XERR_TEMP,
 * and the call after the rollback works again.
 */
static void
test_reconnect(void **state)
{
	struct fixture fx;
	struct ledger *a;
	struct send_batch sb;
	struct xerr err;
	static const char kill[] = "SELECT count(pg_terminate_backend(pid))"
	    " FROM pg_stat_activity WHERE application_name = 'xfer'";
	int found;

	(void)state;
	SKIP_WITHOUT_PG();
	fx_start(&fx);
	a = fx_open_as(&fx, "host-a", 30);
	assert_true(admin_int(kill) >= 1);
	sleep_ms(100);
	if (ledger_send_get(a, "tx", 0, &sb, &found, &err) == -1)
		fail_msg("%s", err.msg);
	assert_int_equal(ledger_begin(a, &err), 0);
	assert_true(admin_int(kill) >= 1);
	sleep_ms(100);
	assert_int_equal(ledger_send_get(a, "tx", 0, &sb, &found, &err), -1);
	assert_int_equal(err.cls, XERR_TEMP);
	assert_non_null(strstr(err.msg, "ledger PostgreSQL '"));
	ledger_rollback(a);
	assert_int_equal(ledger_send_get(a, "tx", 0, &sb, &found, &err), 0);
	ledger_close(a);
	fx_end(&fx);
}

/*
 * A server that stops answering without closing the connection (stopped,
 * or cut off by the network) fails a call after the ledger's time limit
 * (10 s at least) with XERR_TEMP instead of hanging the run; the next
 * call, once the server answers again, works on a new connection.
 */
static void
test_unresponsive(void **state)
{
	struct fixture fx;
	struct ledger *a;
	struct send_batch sb;
	struct timespec t0, t1;
	struct xerr err;
	pid_t pid;
	int found;
	double s;

	(void)state;
	SKIP_WITHOUT_PG();
	fx_start(&fx);
	a = fx_open_as(&fx, "host-a", 1);
	pid = (pid_t)admin_int("SELECT pid FROM pg_stat_activity"
	    " WHERE application_name = 'xfer'");
	assert_true(pid > 0);
	if (kill(pid, SIGSTOP) == -1) {
		ledger_close(a);
		fx_end(&fx);
		skip();		/* the server runs as a user we cannot signal */
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	found = ledger_send_get(a, "tx", 0, &sb, &found, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(pid, SIGCONT);
	assert_int_equal(found, -1);
	assert_int_equal(err.cls, XERR_TEMP);
	assert_non_null(strstr(err.msg, "no answer from the server in 10 s"));
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(s >= 9.5 && s < 20);
	if (ledger_send_get(a, "tx", 0, &sb, &found, &err) == -1)
		fail_msg("%s", err.msg);
	ledger_close(a);
	fx_end(&fx);
}

/*
 * A ledger that cannot be reached fails the open with XERR_TEMP and says
 * which; a password in the URL is refused without echoing it.
 */
static void
test_unreachable(void **state)
{
	struct ledger_conf c;
	struct ledger *l = NULL;
	struct xerr err;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.url = "postgresql://xfer@127.0.0.1:1/xfer";
	c.node = "a";
	assert_int_equal(ledger_connect(&c, &l, &err), -1);
	assert_null(l);
	assert_int_equal(err.cls, XERR_TEMP);
	assert_non_null(strstr(err.msg, "ledger PostgreSQL "
	    "'postgresql://xfer@127.0.0.1:1/xfer': cannot connect: "));
	c.url = "postgresql://xfer:s3cret@127.0.0.1:1/xfer";
	assert_int_equal(ledger_connect(&c, &l, &err), -1);
	assert_int_equal(err.cls, XERR_CONFIG);
	assert_null(strstr(err.msg, "s3cret"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger),
		cmocka_unit_test(test_upgrade_and_missing),
		cmocka_unit_test(test_superseded),
		cmocka_unit_test(test_claim_lease_and_guard),
		cmocka_unit_test(test_claim_race),
		cmocka_unit_test(test_claim_done),
		cmocka_unit_test(test_claim_renewed),
		cmocka_unit_test(test_node_scoping),
		cmocka_unit_test(test_claim_many),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_unresponsive),
		cmocka_unit_test(test_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
