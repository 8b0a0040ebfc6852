/* calendar: the Korean public holidays of 2026 as a holidays file and as
 * an iCalendar file (multi-day events, yearly rules, folded lines), the
 * business-day searches across them, covered years and bad lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "job.h"
#include "jobdate.h"
#include "tz.h"

static const char *
data_dir(void)
{
	const char *dir = getenv("XFER_TESTDATA");

	return dir != NULL ? dir : "tests/data";
}

static struct calendar *
load(const char *name)
{
	struct calendar *cal;
	struct xerr err;
	char path[512];

	snprintf(path, sizeof(path), "%s/calendar/%s", data_dir(), name);
	if (calendar_load(path, name, &cal, &err) == -1)
		fail_msg("%s: %s", path, err.msg);
	return cal;
}

static bdate_t
D(const char *s)
{
	bdate_t d;

	assert_int_equal(bdate_parse(s, &d), 0);
	return d;
}

/* Every day of 2026 that is no business day in Korea (weekends aside). */
static const char *const kr_2026[] = {
	"2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-03-01",
	"2026-03-02", "2026-05-05", "2026-05-24", "2026-05-25", "2026-06-03",
	"2026-06-06", "2026-08-15", "2026-08-17", "2026-09-24", "2026-09-25",
	"2026-09-26", "2026-10-03", "2026-10-05", "2026-10-09", "2026-12-25",
};

static int
is_listed(bdate_t d)
{
	size_t i;

	for (i = 0; i < sizeof(kr_2026) / sizeof(kr_2026[0]); i++)
		if (D(kr_2026[i]) == d)
			return 1;
	return 0;
}

/* Every day of 2026: a business day iff a weekday not listed. */
static void
check_year(struct calendar *cal)
{
	struct xerr err;
	bdate_t d, lo = D("2026-01-01"), hi = D("2026-12-31");
	int wday, want, n = 0;

	for (d = lo; d <= hi; d++) {
		wday = (int)(((d % 7) + 7 + 4) % 7);
		want = wday != 0 && wday != 6 && !is_listed(d);
		n += want;
		if (calendar_is_business_day(cal, d, &err) != want) {
			char ds[BDATE_STRLEN];

			bdate_format(d, ds);
			fail_msg("%s: expected %s", ds, want ? "a business day"
			    : "a day off");
		}
	}
	/* 365 days, 104 weekend days, 14 holidays on weekdays. */
	assert_int_equal(n, 365 - 104 - 14);
}

static void
check_searches(struct calendar *cal)
{
	struct xerr err;
	bdate_t d;

	/* Seollal: Thu 02-19 -> Fri 02-13, over Mon-Wed and the weekend. */
	assert_int_equal(calendar_business_day_before(cal, D("2026-02-19"), 1,
	    &d, &err), 0);
	assert_int_equal(d, D("2026-02-13"));
	assert_int_equal(calendar_business_day_before(cal, D("2026-02-19"), 2,
	    &d, &err), 0);
	assert_int_equal(d, D("2026-02-12"));
	assert_int_equal(calendar_next_business_day(cal, D("2026-02-13"), &d,
	    &err), 0);
	assert_int_equal(d, D("2026-02-19"));
	/* Chuseok and the substitute of 개천절: Mon 09-28 -> Wed 09-23. */
	assert_int_equal(calendar_business_day_before(cal, D("2026-09-28"), 1,
	    &d, &err), 0);
	assert_int_equal(d, D("2026-09-23"));
	assert_int_equal(calendar_next_business_day(cal, D("2026-10-02"), &d,
	    &err), 0);
	assert_int_equal(d, D("2026-10-06"));
	/* 삼일절 on a Sunday, its substitute the Monday. */
	assert_int_equal(calendar_next_business_day(cal, D("2026-02-27"), &d,
	    &err), 0);
	assert_int_equal(d, D("2026-03-03"));
	/* 2025 is not covered: an error, never a business day. */
	assert_int_equal(calendar_business_day_before(cal, D("2026-01-02"), 1,
	    &d, &err), -1);
	assert_non_null(strstr(err.msg, "does not cover 2025"));
	assert_int_equal(calendar_is_business_day(cal, D("2027-01-04"), &err),
	    -1);
	assert_non_null(strstr(err.msg, "2027"));
	assert_int_equal(calendar_covers(cal, 2026), 1);
	assert_int_equal(calendar_covers(cal, 2027), 0);
}

static void
test_holidays_file(void **state)
{
	struct calendar *cal = load("kr-2026.txt");

	(void)state;
	check_year(cal);
	check_searches(cal);
	assert_string_equal(calendar_holiday(cal, D("2026-02-17")),
	    "Seollal (설날)");
	assert_null(calendar_holiday(cal, D("2026-02-19")));
	calendar_free(cal);
}

static void
test_ics(void **state)
{
	struct calendar *cal = load("kr-2026.ics");

	(void)state;
	check_year(cal);
	check_searches(cal);
	/* A folded SUMMARY is unfolded; a yearly rule has its name. */
	assert_string_equal(calendar_holiday(cal, D("2026-02-16")),
	    "Seollal (설날 연휴)");
	assert_string_equal(calendar_holiday(cal, D("2026-10-09")),
	    "Hangeul Day");
	/* A yearly rule repeats, but covers no year by itself. */
	assert_non_null(calendar_holiday(cal, D("2027-12-25")));
	assert_null(calendar_holiday(cal, D("2025-12-25")));
	calendar_free(cal);
}

static void
test_weekend(void **state)
{
	struct calendar *cal = load("kr-2026.txt");
	struct xerr err;
	unsigned w;
	char why[256];

	(void)state;
	assert_int_equal(calendar_parse_weekend("fri, sat", &w, why,
	    sizeof(why)), 0);
	assert_int_equal(w, (1u << 5) | (1u << 6));
	calendar_set_weekend(cal, w);
	/* Sun 2026-03-08 is a business day then, Fri 03-06 not. */
	assert_int_equal(calendar_is_business_day(cal, D("2026-03-08"), &err),
	    1);
	assert_int_equal(calendar_is_business_day(cal, D("2026-03-06"), &err),
	    0);
	assert_int_equal(calendar_parse_weekend("none", &w, why,
	    sizeof(why)), 0);
	assert_int_equal(w, 0);
	assert_int_equal(calendar_parse_weekend("sat, sunday", &w, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "'sunday'"));
	assert_int_equal(calendar_parse_weekend("mon,tue,wed,thu,fri,sat,sun",
	    &w, why, sizeof(why)), -1);
	calendar_free(cal);
}

/* Write text to a temporary file named *.SUFFIX and load it. */
static int
load_text(const char *text, const char *suffix, struct calendar **cal,
    struct xerr *err)
{
	char path[] = "/tmp/xfer-cal-XXXXXX", named[64];
	FILE *fp;
	int fd, rc;

	assert_true((fd = mkstemp(path)) != -1);
	close(fd);
	unlink(path);
	snprintf(named, sizeof(named), "%s.%s", path, suffix);
	assert_non_null(fp = fopen(named, "w"));
	fputs(text, fp);
	fclose(fp);
	rc = calendar_load(named, "cal", cal, err);
	unlink(named);
	return rc;
}

static void
test_bad_lines(void **state)
{
	static const struct {
		const char *text, *suffix, *want;
	} bad[] = {
		{ "2026-01-01 x\n2026-02-30 Typo\n", "txt", "cal:2: '2026-02-30" },
		{ "2026-01-01\n26-01-02\n", "txt", "cal:2:" },
		{ "2026 holidays\n", "txt", "cal:1: a year line" },
		{ "2026-01-01x\n", "txt", "cal:1:" },
		{ "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101"
		  "\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:VEVENT\r\nEND:VCALENDAR"
		  "\r\n", "ics", "cal:4: RRULE:FREQ=WEEKLY" },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101T090000Z\n"
		  "END:VEVENT\nEND:VCALENDAR\n", "ics", "cal:3: DTSTART must be "
		  "a date" },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n"
		  "END:VCALENDAR\n", "ics", "cal:2: the event has no DTSTART" },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260105\n"
		  "DTEND;VALUE=DATE:20260105\nEND:VEVENT\nEND:VCALENDAR\n", "ics",
		  "cal:2: the event's DTEND" },
		{ "BEGIN:VCALENDAR\nBEGIN:VTODO\nEND:VTODO\nEND:VCALENDAR\n",
		  "ics", "cal:2: component 'VTODO'" },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260105\n"
		  "EXDATE;VALUE=DATE:20270105\nEND:VEVENT\nEND:VCALENDAR\n", "ics",
		  "cal:4: EXDATE" },
		{ "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260105\n"
		  "END:VEVENT\n", "ics", "before END:VCALENDAR" },
		{ "DTSTART;VALUE=DATE:20260105\n", "ics", "cal:1:" },
	};
	struct calendar *cal;
	struct xerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load_text(bad[i].text, bad[i].suffix, &cal, &err) != -1)
			fail_msg("case %zu loaded", i);
		if (strstr(err.msg, bad[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
			    bad[i].want);
		assert_int_equal(err.cls, XERR_CONFIG);
	}
	assert_int_equal(calendar_load("/nonexistent/cal.txt", "nope.txt",
	    &cal, &err), -1);
	assert_non_null(strstr(err.msg, "calendar 'nope.txt'"));
}

static void
test_year_line(void **state)
{
	struct calendar *cal;
	struct xerr err;
	bdate_t d;

	(void)state;
	/* 2027 covered with no holidays; a folded-free comment file. */
	assert_int_equal(load_text("# none\n2027\n  \n2026-12-25 Christmas\n",
	    "txt", &cal, &err), 0);
	assert_int_equal(calendar_is_business_day(cal, bdate_from_ymd(2027, 1,
	    1), &err), 1);
	assert_int_equal(calendar_business_day_before(cal, bdate_from_ymd(2027,
	    1, 1), 1, &d, &err), 0);
	assert_int_equal(d, bdate_from_ymd(2026, 12, 31));
	calendar_free(cal);
	/* Rules alone cover nothing. */
	assert_int_equal(load_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;"
	    "VALUE=DATE:20260101\nRRULE:FREQ=YEARLY\nEND:VEVENT\n"
	    "END:VCALENDAR\n", "ics", &cal, &err), 0);
	assert_int_equal(calendar_is_business_day(cal, bdate_from_ymd(2026, 1,
	    2), &err), -1);
	assert_non_null(strstr(err.msg, "does not cover 2026"));
	calendar_free(cal);
}

/* jobdate: the current date, batch dates and due days of a job. */
static void
test_jobdate(void **state)
{
	struct job job;
	struct xerr err;
	bdate_t d;
	int passed;

	(void)state;
	memset(&job, 0, sizeof(job));
	job.direction = DIR_SEND;
	job.cutoff_min = -1;
	job.calendar = load("kr-2026.txt");
	assert_int_equal(tz_use("Asia/Seoul", &err), 0);
	job.date_business = 1;
	/* 2026-02-19 10:00 KST */
	assert_int_equal(jobdate_current(&job, 1771462800, &d, &err), 0);
	assert_int_equal(d, D("2026-02-13"));
	assert_int_equal(jobdate_is_batch(&job, D("2026-02-16"), &err), 0);
	assert_int_equal(jobdate_is_batch(&job, D("2026-02-13"), &err), 1);
	/* Friday's batch is named from Saturday on, but a business-day
	 * rule is due on a business day: the 19th, after Seollal ... */
	assert_int_equal(jobdate_due_day(&job, D("2026-02-13"), &d, &err), 0);
	assert_int_equal(d, D("2026-02-19"));
	/* ... as it is for a job run on business days. */
	job.run_business_days = 1;
	assert_int_equal(jobdate_due_day(&job, D("2026-02-13"), &d, &err), 0);
	assert_int_equal(d, D("2026-02-19"));
	assert_int_equal(jobdate_runs_on(&job, D("2026-02-18"), &err), 0);
	assert_int_equal(jobdate_runs_on(&job, D("2026-02-19"), &err), 1);
	/* business-day-2: on the 19th, Thursday 12th. */
	job.date_business = 2;
	assert_int_equal(jobdate_current(&job, 1771462800, &d, &err), 0);
	assert_int_equal(d, D("2026-02-12"));
	job.run_business_days = 0;
	assert_int_equal(jobdate_due_day(&job, D("2026-02-12"), &d, &err), 0);
	assert_int_equal(d, D("2026-02-19"));
	/* Wednesday before Chuseok (Thu 24th - Sat 26th): due on Monday
	 * the 28th, not on the holiday after it. */
	job.date_business = 1;
	assert_int_equal(jobdate_due_day(&job, D("2026-09-23"), &d, &err), 0);
	assert_int_equal(d, D("2026-09-28"));
	/* A calendar-day rule stays on calendar days. */
	job.date_business = 0;
	job.date_offset = 1;
	assert_int_equal(jobdate_due_day(&job, D("2026-09-23"), &d, &err), 0);
	assert_int_equal(d, D("2026-09-24"));
	job.date_offset = 0;
	job.date_business = 2;
	/* date = yesterday, run on business days: Sunday's batch is due on
	 * the first business day from Monday on. */
	job.date_business = 0;
	job.date_offset = 1;
	job.run_business_days = 1;
	assert_int_equal(jobdate_is_batch(&job, D("2026-02-15"), &err), 1);
	assert_int_equal(jobdate_due_day(&job, D("2026-02-15"), &d, &err), 0);
	assert_int_equal(d, D("2026-02-19"));
	/* The cut-off: 17:00 KST on the due day. */
	job.date_business = 1;
	job.cutoff_min = 17 * 60;
	assert_int_equal(jobdate_past_cutoff(&job, D("2026-02-13"),
	    1771487999, &passed, &d, &err), 0);	/* 16:59:59 KST */
	assert_int_equal(passed, 0);
	assert_int_equal(jobdate_past_cutoff(&job, D("2026-02-13"),
	    1771488000, &passed, &d, &err), 0);	/* 17:00 KST */
	assert_int_equal(passed, 1);
	assert_int_equal(d, D("2026-02-19"));
	/* A year not covered. */
	assert_int_equal(jobdate_current(&job, 1799193600, &d, &err), -1);
	assert_non_null(strstr(err.msg, "does not cover 2027"));
	tz_use(NULL, &err);
	calendar_free(job.calendar);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holidays_file),
		cmocka_unit_test(test_ics),
		cmocka_unit_test(test_weekend),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_year_line),
		cmocka_unit_test(test_jobdate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
