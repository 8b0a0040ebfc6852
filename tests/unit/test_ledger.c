/* ledger: rows round-trip, first date, status filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
