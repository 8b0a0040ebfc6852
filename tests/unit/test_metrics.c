/* metrics: label escaping, the exact text for a small ledger, the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fsutil.h"
#include "ledger.h"
#include "ledger/ledger_impl.h"
#include "metrics.h"

static void
test_label_escape(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "", "" },
		{ "sales", "sales" },
		{ "a\\b", "a\\\\b" },
		{ "say \"hi\"", "say \\\"hi\\\"" },
		{ "two\nlines", "two\\nlines" },
		{ "\\n", "\\\\n" },		/* a backslash, then n */
		{ "tab\there", "tab\there" },	/* only the three are escaped */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },	/* UTF-8 as it is */
		{ "\"\\\n", "\\\"\\\\\\n" },
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 0);
		assert_int_equal(metrics_label_escape(&b, t[i].in), 0);
		assert_string_equal(b.data ? b.data : "", t[i].want);
		buf_release(&b);
	}
}

struct fixture {
	char dir[64];
	char *db;
	struct ledger *l;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct xerr err;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/xfer-metrics.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_non_null(f->db = path_join(f->dir, "ledger.db"));
	assert_int_equal(ledger_open(f->db, &f->l, &err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct xerr err;

	ledger_close(f->l);
	assert_int_equal(remove_tree(f->dir, &err), 0);
	free(f->db);
	free(f);
	return 0;
}

static void
send_put(struct ledger *l, const char *job, const char *date,
    const char *state, long long records, long long bytes)
{
	struct send_batch b;
	struct xerr err;

	memset(&b, 0, sizeof(b));
	snprintf(b.job, sizeof(b.job), "%s", job);
	assert_int_equal(bdate_parse(date, &b.date), 0);
	snprintf(b.state, sizeof(b.state), "%s", state);
	b.records = records;
	b.bytes = bytes;
	assert_int_equal(ledger_send_put(l, &b, &err), 0);
}

static void
recv_put(struct ledger *l, const char *job, const char *name,
    const char *state, long long records, long long bytes, int attempts)
{
	struct recv_file f;
	struct xerr err;

	memset(&f, 0, sizeof(f));
	snprintf(f.job, sizeof(f.job), "%s", job);
	snprintf(f.name, sizeof(f.name), "%s", name);
	assert_int_equal(bdate_parse("2026-11-24", &f.date), 0);
	snprintf(f.state, sizeof(f.state), "%s", state);
	f.records = records;
	f.bytes = bytes;
	f.attempts = attempts;
	f.manifest_records = -1;
	assert_int_equal(ledger_recv_put(l, &f, &err), 0);
}

/* The ledger stamps rows with the clock: pin them for an exact text. */
static void
exec_sql(const char *db, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static const char empty_want[] =
    "# HELP xfer_last_success_timestamp_seconds Unix time of the newest "
    "batch sent, ingested or recognised as a duplicate (0: never).\n"
    "# TYPE xfer_last_success_timestamp_seconds gauge\n"
    "# HELP xfer_last_run_timestamp_seconds Unix time of the newest "
    "attempt or batch update of the job.\n"
    "# TYPE xfer_last_run_timestamp_seconds gauge\n"
    "# HELP xfer_batches Batches (send) or received files (receive) in "
    "the ledger by state.\n"
    "# TYPE xfer_batches gauge\n"
    "# HELP xfer_missing_batches Dates missing, as logged by runs: an "
    "expected file not in by its expect deadline (receive), a date never "
    "sent and older than catch_up (send).\n"
    "# TYPE xfer_missing_batches gauge\n"
    "# HELP xfer_records_total Records in the batches sent or files "
    "ingested.\n"
    "# TYPE xfer_records_total counter\n"
    "# HELP xfer_bytes_total Bytes of the batches sent or files ingested.\n"
    "# TYPE xfer_bytes_total counter\n"
    "# HELP xfer_failures_total Failed attempts (receive: attempts of the "
    "files now failed or held).\n"
    "# TYPE xfer_failures_total counter\n"
    "# HELP xfer_ledger_info The ledger this host uses: its backend, this "
    "host's node name and the schema version (always 1).\n"
    "# TYPE xfer_ledger_info gauge\n"
    "xfer_ledger_info{backend=\"SQLite\",node=\"\",schema=\"1\"} 1\n"
    "# HELP xfer_metrics_generated_timestamp_seconds Unix time this file "
    "was written.\n"
    "# TYPE xfer_metrics_generated_timestamp_seconds gauge\n"
    "xfer_metrics_generated_timestamp_seconds 1700000000\n";

static void
test_empty_ledger(void **state)
{
	struct fixture *f = *state;
	struct xerr err;
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(metrics_format(f->l, 1700000000, &b, &err), 0);
	assert_string_equal(b.data, empty_want);
	buf_release(&b);
}

static void
test_small_ledger(void **state)
{
	struct fixture *f = *state;
	struct xerr err;
	struct buf b;
	bdate_t d;

	/* sales: one sent (3 records), one failed after two failed tries. */
	send_put(f->l, "sales", "2026-11-23", ST_SENT, 3, 120);
	send_put(f->l, "sales", "2026-11-24", ST_FAILED, -1, -1);
	assert_int_equal(bdate_parse("2026-11-23", &d), 0);
	assert_int_equal(ledger_attempt_add(f->l, "sales", "send", d, NULL,
	    &err), 0);
	assert_int_equal(bdate_parse("2026-11-24", &d), 0);
	assert_int_equal(ledger_attempt_add(f->l, "sales", "send", d, "e1",
	    &err), 0);
	assert_int_equal(ledger_attempt_add(f->l, "sales", "send", d, "e2",
	    &err), 0);
	/* rx: ingested (5 records), duplicate (not counted), failed x2, held
	 * x3, a file ingested with unknown records. */
	recv_put(f->l, "rx", "a.csv", ST_INGESTED, 5, 50, 1);
	recv_put(f->l, "rx", "a.csv", ST_DUPLICATE, 5, 50, 0);
	recv_put(f->l, "rx", "b.csv", ST_FAILED, -1, 10, 2);
	recv_put(f->l, "rx", "c.csv", ST_HELD, -1, 10, 3);
	recv_put(f->l, "rx", "d.csv", ST_INGESTED, -1, 7, 1);
	/* Logged missing: sales 11-20 (no batch) and rx 11-22 (no file)
	 * count; sales 11-23 and rx 11-24 have theirs since. */
	assert_int_equal(bdate_parse("2026-11-20", &d), 0);
	assert_int_equal(ledger_missing_log(f->l, "sales", "send", d, 1,
	    &err), 0);
	assert_int_equal(bdate_parse("2026-11-23", &d), 0);
	assert_int_equal(ledger_missing_log(f->l, "sales", "send", d, 1,
	    &err), 0);
	assert_int_equal(bdate_parse("2026-11-22", &d), 0);
	assert_int_equal(ledger_missing_log(f->l, "rx", "receive", d, 1,
	    &err), 0);
	assert_int_equal(bdate_parse("2026-11-24", &d), 0);
	assert_int_equal(ledger_missing_log(f->l, "rx", "receive", d, 1,
	    &err), 0);
	/* A name that needs escaping, in a state of no known list. */
	send_put(f->l, "we\"ird\\job", "2026-11-24", "odd", 1, 1);
	exec_sql(f->db,
	    "UPDATE send_batches SET updated = 1000 WHERE date = '2026-11-23';"
	    "UPDATE send_batches SET updated = 2000 WHERE date = '2026-11-24';"
	    "UPDATE attempts SET time = 2500 WHERE error = 'e2';"
	    "UPDATE attempts SET time = 900 WHERE error IS NOT 'e2';"
	    "UPDATE receive_files SET updated = 100 * id;"
	    "UPDATE send_batches SET updated = 50 WHERE job <> 'sales';");

	buf_init(&b, 0);
	assert_int_equal(metrics_format(f->l, 1700000000, &b, &err), 0);
	assert_string_equal(b.data,
	    "# HELP xfer_last_success_timestamp_seconds Unix time of the "
	    "newest batch sent, ingested or recognised as a duplicate "
	    "(0: never).\n"
	    "# TYPE xfer_last_success_timestamp_seconds gauge\n"
	    "xfer_last_success_timestamp_seconds{job=\"rx\"} 500\n"
	    "xfer_last_success_timestamp_seconds{job=\"sales\"} 1000\n"
	    "xfer_last_success_timestamp_seconds{job=\"we\\\"ird\\\\job\"} 0\n"
	    "# HELP xfer_last_run_timestamp_seconds Unix time of the newest "
	    "attempt or batch update of the job.\n"
	    "# TYPE xfer_last_run_timestamp_seconds gauge\n"
	    "xfer_last_run_timestamp_seconds{job=\"rx\"} 500\n"
	    "xfer_last_run_timestamp_seconds{job=\"sales\"} 2500\n"
	    "xfer_last_run_timestamp_seconds{job=\"we\\\"ird\\\\job\"} 50\n"
	    "# HELP xfer_batches Batches (send) or received files (receive) "
	    "in the ledger by state.\n"
	    "# TYPE xfer_batches gauge\n"
	    "xfer_batches{job=\"rx\",direction=\"receive\",state=\"waiting\"} 0\n"
	    "xfer_batches{job=\"rx\",direction=\"receive\",state=\"late\"} 0\n"
	    "xfer_batches{job=\"rx\",direction=\"receive\",state=\"received\"} 0\n"
	    "xfer_batches{job=\"rx\",direction=\"receive\",state=\"ingested\"} 2\n"
	    "xfer_batches{job=\"rx\",direction=\"receive\",state=\"duplicate\"} 1\n"
	    "xfer_batches{job=\"rx\",direction=\"receive\",state=\"failed\"} 1\n"
	    "xfer_batches{job=\"rx\",direction=\"receive\",state=\"held\"} 1\n"
	    "xfer_batches{job=\"sales\",direction=\"send\",state=\"produced\"} 0\n"
	    "xfer_batches{job=\"sales\",direction=\"send\",state=\"sent\"} 1\n"
	    "xfer_batches{job=\"sales\",direction=\"send\",state=\"failed\"} 1\n"
	    "xfer_batches{job=\"sales\",direction=\"send\",state=\"held\"} 0\n"
	    "xfer_batches{job=\"we\\\"ird\\\\job\",direction=\"send\","
	    "state=\"produced\"} 0\n"
	    "xfer_batches{job=\"we\\\"ird\\\\job\",direction=\"send\","
	    "state=\"sent\"} 0\n"
	    "xfer_batches{job=\"we\\\"ird\\\\job\",direction=\"send\","
	    "state=\"failed\"} 0\n"
	    "xfer_batches{job=\"we\\\"ird\\\\job\",direction=\"send\","
	    "state=\"held\"} 0\n"
	    "xfer_batches{job=\"we\\\"ird\\\\job\",direction=\"send\","
	    "state=\"odd\"} 1\n"
	    "# HELP xfer_missing_batches Dates missing, as logged by runs: an "
	    "expected file not in by its expect deadline (receive), a date "
	    "never sent and older than catch_up (send).\n"
	    "# TYPE xfer_missing_batches gauge\n"
	    "xfer_missing_batches{job=\"rx\",direction=\"receive\"} 1\n"
	    "xfer_missing_batches{job=\"sales\",direction=\"send\"} 1\n"
	    "xfer_missing_batches{job=\"we\\\"ird\\\\job\",direction=\"send\"} 0\n"
	    "# HELP xfer_records_total Records in the batches sent or files "
	    "ingested.\n"
	    "# TYPE xfer_records_total counter\n"
	    "xfer_records_total{job=\"rx\",direction=\"receive\"} 5\n"
	    "xfer_records_total{job=\"sales\",direction=\"send\"} 3\n"
	    "xfer_records_total{job=\"we\\\"ird\\\\job\",direction=\"send\"} 0\n"
	    "# HELP xfer_bytes_total Bytes of the batches sent or files "
	    "ingested.\n"
	    "# TYPE xfer_bytes_total counter\n"
	    "xfer_bytes_total{job=\"rx\",direction=\"receive\"} 57\n"
	    "xfer_bytes_total{job=\"sales\",direction=\"send\"} 120\n"
	    "xfer_bytes_total{job=\"we\\\"ird\\\\job\",direction=\"send\"} 0\n"
	    "# HELP xfer_failures_total Failed attempts (receive: attempts of "
	    "the files now failed or held).\n"
	    "# TYPE xfer_failures_total counter\n"
	    "xfer_failures_total{job=\"rx\",direction=\"receive\"} 5\n"
	    "xfer_failures_total{job=\"sales\",direction=\"send\"} 2\n"
	    "xfer_failures_total{job=\"we\\\"ird\\\\job\",direction=\"send\"} 0\n"
	    "# HELP xfer_ledger_info The ledger this host uses: its backend, "
	    "this host's node name and the schema version (always 1).\n"
	    "# TYPE xfer_ledger_info gauge\n"
	    "xfer_ledger_info{backend=\"SQLite\",node=\"\",schema=\"1\"} 1\n"
	    "# HELP xfer_metrics_generated_timestamp_seconds Unix time this "
	    "file was written.\n"
	    "# TYPE xfer_metrics_generated_timestamp_seconds gauge\n"
	    "xfer_metrics_generated_timestamp_seconds 1700000000\n");
	buf_release(&b);
}

static void
test_write_file(void **state)
{
	struct fixture *f = *state;
	char *path, *missing, data[4096];
	struct dirent *de;
	struct stat st;
	struct xerr err;
	size_t n;
	FILE *fp;
	DIR *d;
	int entries = 0;

	assert_int_equal(metrics_write(f->l, f->dir, 1700000000, &err), 0);
	/* Again over the old file: replaced, not appended to. */
	assert_int_equal(metrics_write(f->l, f->dir, 1700000000, &err), 0);
	assert_non_null(path = path_join(f->dir, "metrics.prom"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_non_null(fp = fopen(path, "r"));
	n = fread(data, 1, sizeof(data) - 1, fp);
	data[n] = '\0';
	fclose(fp);
	assert_string_equal(data, empty_want);
	/* No temporary left behind: only the ledger's files and ours. */
	assert_non_null(d = opendir(f->dir));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".metrics", 8) == 0)
			fail_msg("temporary left: %s", de->d_name);
		entries++;
	}
	closedir(d);
	assert_true(entries >= 4);
	free(path);

	/* A spool that is not there: an error naming the file. */
	assert_non_null(missing = path_join(f->dir, "nope"));
	assert_int_equal(metrics_write(f->l, missing, 1, &err), -1);
	assert_non_null(strstr(err.msg, "nope/metrics.prom"));
	free(missing);
}

/* A fleet's ledger as the metrics see it: rows that carry nodes. */
static int
fake_version(struct ledger *l, int *v, struct xerr *err)
{
	(void)l;
	(void)err;
	*v = 3;
	return 0;
}

static int
fake_stats(struct ledger *l, int (*fn)(void *,
    const struct ledger_job_stats *, struct xerr *), void *ctx,
    struct xerr *err)
{
	(void)l, (void)fn, (void)ctx, (void)err;
	return 0;
}

static int
fake_counts(struct ledger *l, int (*fn)(void *, const char *, const char *,
    const char *, long long, struct xerr *), void *ctx, struct xerr *err)
{
	(void)l, (void)fn, (void)ctx, (void)err;
	return 0;
}

static int
fake_missing(struct ledger *l, int (*fn)(void *, const char *, const char *,
    long long, struct xerr *), void *ctx, struct xerr *err)
{
	(void)l, (void)fn, (void)ctx, (void)err;
	return 0;
}

static int
fake_status(struct ledger *l, const struct status_filter *f, status_fn fn,
    void *ctx, struct xerr *err)
{
	static const char *const rows[][4] = {
		{ "host-a", "sales", "send", "sent" },
		{ "host-b", "sales", "send", "sent" },
		{ "host-a", "sales", "send", "sent" },
		{ "host-b", "sales", "send", "failed" },
		{ "host-a", "rx", "receive", "ingested" },
		{ "", "old", "send", "sent" },		/* before the fleet */
	};
	struct status_row r;
	size_t i;

	(void)l;
	assert_null(f->jobs);
	assert_null(f->date);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.node = rows[i][0];
		r.job = rows[i][1];
		r.direction = rows[i][2];
		r.state = rows[i][3];
		r.date = "2026-11-24";
		if (fn(ctx, &r, err) == -1)
			return -1;
	}
	return 0;
}

static void
test_fleet_ledger(void **state)
{
	struct ledger_ops ops;
	struct ledger_conf conf;
	struct ledger l;
	struct xerr err;
	struct buf b;

	(void)state;
	memset(&ops, 0, sizeof(ops));
	ops.name = "PostgreSQL";
	ops.shared = 1;
	ops.schema_version = fake_version;
	ops.job_stats_each = fake_stats;
	ops.state_counts_each = fake_counts;
	ops.missing_counts_each = fake_missing;
	ops.status = fake_status;
	memset(&conf, 0, sizeof(conf));
	conf.url = "postgresql://x@db/xfer";
	conf.node = "host-a";
	memset(&l, 0, sizeof(l));
	ledger_base_init(&l, &ops, &conf);
	buf_init(&b, 0);
	assert_int_equal(metrics_format(&l, 1700000000, &b, &err), 0);
	assert_non_null(strstr(b.data,
	    "xfer_ledger_info{backend=\"PostgreSQL\",node=\"host-a\","
	    "schema=\"3\"} 1\n"
	    "# HELP xfer_node_batches Batches (send) or received files "
	    "(receive) in the shared ledger by the node that wrote them "
	    "last, and state.\n"
	    "# TYPE xfer_node_batches gauge\n"
	    "xfer_node_batches{node=\"\",job=\"old\",direction=\"send\","
	    "state=\"sent\"} 1\n"
	    "xfer_node_batches{node=\"host-a\",job=\"rx\","
	    "direction=\"receive\",state=\"ingested\"} 1\n"
	    "xfer_node_batches{node=\"host-a\",job=\"sales\","
	    "direction=\"send\",state=\"sent\"} 2\n"
	    "xfer_node_batches{node=\"host-b\",job=\"sales\","
	    "direction=\"send\",state=\"failed\"} 1\n"
	    "xfer_node_batches{node=\"host-b\",job=\"sales\","
	    "direction=\"send\",state=\"sent\"} 1\n"
	    "# HELP xfer_metrics_generated_timestamp_seconds"));
	buf_release(&b);
	pthread_cond_destroy(&l.renewer_wake);
	pthread_mutex_destroy(&l.held_lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test_setup_teardown(test_empty_ledger, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_small_ledger, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_file, setup,
		    teardown),
		cmocka_unit_test(test_fleet_ledger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
