/*
 * missing: expect deadlines and the dates they judge (a job that never
 * ran, the start recorded by a run, files in, logged flags), send dates
 * never sent (ranges around batches of any state, catch_up, date), and
 * what status says about them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "ledger.h"
#include "missing.h"
#include "tz.h"

struct fx {
	char dir[64];
	char *db;
	struct ledger *l;
	char name[8], file[16], zone[32], pattern[32];
	struct job job;
};

static bdate_t
D(const char *s)
{
	bdate_t d;

	if (bdate_parse(s, &d) != 0)
		fail_msg("bad date in test: '%s'", s);
	return d;
}

/* "YYYY-MM-DD HH:MM" in UTC. */
static time_t
U(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%d %H:%M", &tm) == NULL)
		fail_msg("bad time in test: '%s'", s);
	return timegm(&tm);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xerr err;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/xfer-missing.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	assert_non_null(fx->db = path_join(fx->dir, "ledger.db"));
	assert_int_equal(ledger_open(fx->db, &fx->l, &err), 0);
	snprintf(fx->name, sizeof(fx->name), "rx");
	snprintf(fx->file, sizeof(fx->file), "rx.job");
	snprintf(fx->zone, sizeof(fx->zone), "Asia/Seoul");
	snprintf(fx->pattern, sizeof(fx->pattern), "s_{date:%%Y%%m%%d}.csv");
	fx->job.name = fx->name;
	fx->job.file = fx->file;
	fx->job.timezone = fx->zone;
	fx->job.direction = DIR_RECEIVE;
	fx->job.date_offset = 1;
	fx->job.catch_up_days = 7;
	fx->job.inbox.pattern = fx->pattern;
	fx->job.inbox.expect_min = 6 * 60;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	struct xerr err;

	ledger_close(fx->l);
	assert_int_equal(remove_tree(fx->dir, &err), 0);
	free(fx->db);
	free(fx);
	return 0;
}

/* "2026-11-23 2026-11-24* " (* logged); send ranges "A..B". */
static int
text(void *ctx, const struct missing *m, struct xerr *err)
{
	char a[BDATE_STRLEN], b[BDATE_STRLEN], *s = ctx;
	size_t n = strlen(s);

	(void)err;
	bdate_format(m->from, a);
	bdate_format(m->to, b);
	if (m->from == m->to)
		snprintf(s + n, 512 - n, "%s%s ", a, m->logged ? "*" : "");
	else
		snprintf(s + n, 512 - n, "%s..%s%s ", a, b, m->logged ? "*" :
		    "");
	return 0;
}

static const char *
each(struct fx *fx, struct ledger *l, time_t now)
{
	static char buf[512];
	struct xerr err;

	memset(buf, 0, sizeof(buf));
	if (missing_each(l, &fx->job, now, text, buf, &err) != 0)
		fail_msg("missing_each: %s", err.msg);
	return buf;
}

static void
recv_put(struct ledger *l, const char *date, const char *state)
{
	struct recv_file f;
	struct xerr err;

	memset(&f, 0, sizeof(f));
	snprintf(f.job, sizeof(f.job), "rx");
	snprintf(f.name, sizeof(f.name), "s_%s.csv", date);
	f.date = D(date);
	snprintf(f.state, sizeof(f.state), "%s", state);
	f.records = f.bytes = f.manifest_records = -1;
	assert_int_equal(ledger_recv_put(l, &f, &err), 0);
}

static void
test_deadline(void **state)
{
	struct fx *fx = *state;
	struct xerr err;
	bdate_t d;
	time_t t;

	assert_int_equal(tz_use(fx->zone, &err), 0);
	/* date = yesterday: 2026-11-24's file is due 11-25 06:00 KST. */
	assert_int_equal(missing_deadline(&fx->job, D("2026-11-24"), &t,
	    &err), 0);
	assert_true(t == U("2026-11-24 21:00"));
	assert_int_equal(missing_due_date(&fx->job, U("2026-11-24 20:59"), &d,
	    &err), 0);
	assert_int_equal(d, D("2026-11-23"));
	assert_int_equal(missing_due_date(&fx->job, U("2026-11-24 21:00"), &d,
	    &err), 0);
	assert_int_equal(d, D("2026-11-24"));
	fx->job.date_offset = 0;
	assert_int_equal(missing_due_date(&fx->job, U("2026-11-24 21:00"), &d,
	    &err), 0);
	assert_int_equal(d, D("2026-11-25"));
	assert_int_equal(missing_due_date(&fx->job, U("2026-11-24 20:59"), &d,
	    &err), 0);
	assert_int_equal(d, D("2026-11-24"));
	tz_use(NULL, &err);
}

static void
test_receive(void **state)
{
	struct fx *fx = *state;
	struct missing_dates before;
	struct xerr err;
	bdate_t since;
	int found;

	/* Never ran, no ledger: the newest deadline passed is judged. */
	assert_string_equal(each(fx, NULL, U("2026-11-24 21:00")),
	    "2026-11-24 ");
	assert_string_equal(each(fx, fx->l, U("2026-11-24 20:59")),
	    "2026-11-23 ");
	/* A run records where judging starts; later dates add up. */
	assert_int_equal(missing_recv_begin(fx->l, &fx->job,
	    U("2026-11-24 20:00"), &before, &err), 0);
	assert_int_equal(before.n, 0);	/* missing, not reported yet */
	missing_dates_free(&before);
	assert_int_equal(ledger_expect_since(fx->l, "rx", &since, &found,
	    &err), 0);
	assert_int_equal(found, 1);
	assert_int_equal(since, D("2026-11-23"));
	assert_string_equal(each(fx, fx->l, U("2026-11-27 21:00")),
	    "2026-11-23 2026-11-24 2026-11-25 2026-11-26 2026-11-27 ");
	/* Ingested or duplicate files are in; failed ones are not. */
	recv_put(fx->l, "2026-11-24", ST_INGESTED);
	recv_put(fx->l, "2026-11-25", ST_DUPLICATE);
	recv_put(fx->l, "2026-11-26", ST_FAILED);
	assert_int_equal(ledger_missing_log(fx->l, "rx", "receive",
	    D("2026-11-23"), 1, &err), 0);
	assert_string_equal(each(fx, fx->l, U("2026-11-27 21:00")),
	    "2026-11-23* 2026-11-26 2026-11-27 ");
	/* A file of a reported date that comes now will be late. */
	assert_int_equal(missing_recv_begin(fx->l, &fx->job,
	    U("2026-11-27 21:00"), &before, &err), 0);
	assert_int_equal(before.n, 1);
	assert_int_equal(before.v[0], D("2026-11-23"));
	missing_dates_free(&before);
	/* A job without expect has nothing missing, and forgets. */
	fx->job.inbox.expect_min = -1;
	assert_string_equal(each(fx, fx->l, U("2026-11-27 21:00")), "");
	assert_int_equal(missing_recv_begin(fx->l, &fx->job,
	    U("2026-11-27 21:00"), &before, &err), 0);
	assert_int_equal(before.n, 0);
	missing_dates_free(&before);
	assert_int_equal(ledger_expect_since(fx->l, "rx", &since, &found,
	    &err), 0);
	assert_int_equal(found, 0);
}

static void
send_put(struct ledger *l, const char *date, const char *state)
{
	struct send_batch b;
	struct xerr err;

	memset(&b, 0, sizeof(b));
	snprintf(b.job, sizeof(b.job), "rx");
	b.date = D(date);
	snprintf(b.state, sizeof(b.state), "%s", state);
	b.records = b.bytes = -1;
	assert_int_equal(ledger_send_put(l, &b, &err), 0);
}

static void
test_send(void **state)
{
	struct fx *fx = *state;
	struct missing m;
	struct xerr err;
	char why[512];

	fx->job.direction = DIR_SEND;
	snprintf(fx->zone, sizeof(fx->zone), "UTC");
	/* Nothing recorded, nothing missing. */
	assert_string_equal(each(fx, fx->l, U("2026-11-25 10:00")), "");
	/* First batch 11-04; current 11-24, catch-up covers 11-17..11-24.
	 * A batch of any state is not missing, so 11-10 splits the gap. */
	send_put(fx->l, "2026-11-04", ST_SENT);
	send_put(fx->l, "2026-11-10", ST_FAILED);
	send_put(fx->l, "2026-11-12", ST_SENT);
	assert_string_equal(each(fx, fx->l, U("2026-11-25 10:00")),
	    "2026-11-05..2026-11-09 2026-11-11 2026-11-13..2026-11-16 ");
	/* A range counts as logged only when every date of it was. */
	assert_int_equal(ledger_missing_log(fx->l, "rx", "send",
	    D("2026-11-11"), 1, &err), 0);
	assert_int_equal(ledger_missing_log(fx->l, "rx", "send",
	    D("2026-11-13"), 1, &err), 0);
	assert_string_equal(each(fx, fx->l, U("2026-11-25 10:00")),
	    "2026-11-05..2026-11-09 2026-11-11* 2026-11-13..2026-11-16 ");
	/* catch_up = 0 and date = today move the edge. */
	fx->job.catch_up_days = 0;
	fx->job.date_offset = 0;
	assert_string_equal(each(fx, fx->l, U("2026-11-25 10:00")),
	    "2026-11-05..2026-11-09 2026-11-11* 2026-11-13..2026-11-24 ");

	memset(&m, 0, sizeof(m));
	m.from = D("2026-11-05");
	m.to = D("2026-11-09");
	fx->job.catch_up_days = 7;
	missing_describe(&fx->job, &m, why, sizeof(why));
	assert_string_equal(why, "never sent and older than catch_up (7d): "
	    "xfer send --from 2026-11-05 --to 2026-11-09 rx");
	m.to = m.from;
	missing_describe(&fx->job, &m, why, sizeof(why));
	assert_string_equal(why, "never sent and older than catch_up (7d): "
	    "xfer send --date 2026-11-05 rx");

	fx->job.direction = DIR_RECEIVE;
	snprintf(fx->zone, sizeof(fx->zone), "Asia/Seoul");
	assert_int_equal(tz_use(fx->zone, &err), 0);
	m.deadline = U("2026-11-24 21:00");
	missing_describe(&fx->job, &m, why, sizeof(why));
	assert_string_equal(why, "no file came by expect 06:00 "
	    "(2026-11-25T06:00:00+09:00)");
	tz_use(NULL, &err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deadline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_receive, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_send, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
