/* tz: zone names, day bounds across DST changes, timestamps to dates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdate.h"
#include "tz.h"

static bdate_t
D(const char *s)
{
	bdate_t d;

	if (bdate_parse(s, &d) != 0)
		fail_msg("bad date in test: '%s'", s);
	return d;
}

static void
use(const char *zone)
{
	struct xerr err;

	if (tz_use(zone, &err) != 0)
		fail_msg("tz_use '%s': %s", zone ? zone : "(system)",
		    err.msg);
}

/* Expected values computed with Python's zoneinfo (first instant whose
 * local date is the day) and checked against zdump -v. */
static const struct {
	const char *zone, *date;
	long long start;
	const char *start_iso, *end_iso;
	int hours;
} bounds[] = {
	{ "Asia/Seoul", "2026-11-24", 1795446000,
	    "2026-11-24T00:00:00+09:00", "2026-11-25T00:00:00+09:00", 24 },
	{ "America/New_York", "2026-03-08", 1772946000,
	    "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 23 },
	{ "America/New_York", "2026-11-01", 1793505600,
	    "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 25 },
	{ "Europe/London", "2026-03-29", 1774742400,
	    "2026-03-29T00:00:00+00:00", "2026-03-30T00:00:00+01:00", 23 },
	{ "Europe/London", "2026-10-25", 1792882800,
	    "2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00+00:00", 25 },
	{ "UTC", "2026-06-01", 1780272000,
	    "2026-06-01T00:00:00+00:00", "2026-06-02T00:00:00+00:00", 24 },
	/* Midnight does not exist: the day starts at 01:00. */
	{ "America/Santiago", "2026-09-06", 1788667200,
	    "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00", 23 },
	{ "America/Santiago", "2026-04-04", 1775271600,
	    "2026-04-04T00:00:00-03:00", "2026-04-05T00:00:00-04:00", 25 },
	{ "Asia/Beirut", "2026-03-29", 1774735200,
	    "2026-03-29T01:00:00+03:00", "2026-03-30T00:00:00+03:00", 23 },
	{ "Asia/Beirut", "2026-10-24", 1792789200,
	    "2026-10-24T00:00:00+03:00", "2026-10-25T00:00:00+02:00", 25 },
	/* Midnight happens twice (00:59 CDT -> 00:00 CST): the first. */
	{ "America/Havana", "2026-11-01", 1793505600,
	    "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 25 },
	/* Samoa skipped 2011-12-30 entirely: an empty day. */
	{ "Pacific/Apia", "2011-12-29", 1325152800,
	    "2011-12-29T00:00:00-10:00", "2011-12-31T00:00:00+14:00", 24 },
	{ "Pacific/Apia", "2011-12-30", 1325239200,
	    "2011-12-31T00:00:00+14:00", "2011-12-31T00:00:00+14:00", 0 },
};

static void
test_day_bounds(void **state)
{
	char s[64], e[64];
	time_t start, end;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		use(bounds[i].zone);
		tz_day_bounds(D(bounds[i].date), &start, &end);
		tz_format_iso(start, s, sizeof(s));
		tz_format_iso(end, e, sizeof(e));
		if ((long long)start != bounds[i].start ||
		    strcmp(s, bounds[i].start_iso) != 0 ||
		    strcmp(e, bounds[i].end_iso) != 0 ||
		    end - start != (time_t)bounds[i].hours * 3600)
			fail_msg("%s %s: got [%s, %s) = %lld s, want [%s, %s)",
			    bounds[i].zone, bounds[i].date, s, e,
			    (long long)(end - start), bounds[i].start_iso,
			    bounds[i].end_iso);
		if (bounds[i].hours > 0) {
			assert_int_equal(tz_date_of(start), D(bounds[i].date));
			assert_int_equal(tz_date_of(end - 1),
			    D(bounds[i].date));
		}
		assert_true(tz_date_of(start - 1) < D(bounds[i].date));
		assert_true(tz_date_of(end) > D(bounds[i].date));
	}
	use(NULL);
}

/* Every day of 2026 in a DST zone: contiguous, 23 to 25 hours. */
static void
test_day_bounds_year(void **state)
{
	static const char *const zones[] = { "America/Santiago",
		"Asia/Beirut", "Europe/London", "Australia/Lord_Howe" };
	time_t start, end, prev_end = 0;
	bdate_t d;
	size_t z;
	int short_days, long_days;

	(void)state;
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		use(zones[z]);
		short_days = long_days = 0;
		for (d = D("2026-01-01"); d <= D("2026-12-31"); d++) {
			tz_day_bounds(d, &start, &end);
			if (d != D("2026-01-01"))
				assert_int_equal(start, prev_end);
			assert_true(end - start >= 23 * 3600 &&
			    end - start <= 25 * 3600);
			short_days += end - start < 24 * 3600;
			long_days += end - start > 24 * 3600;
			prev_end = end;
		}
		assert_int_equal(short_days, 1);
		assert_int_equal(long_days, 1);
	}
	use(NULL);
}

static void
test_format_iso(void **state)
{
	char buf[64];

	(void)state;
	use("Asia/Seoul");
	tz_format_iso(1795446000, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-24T00:00:00+09:00");
	use("UTC");
	tz_format_iso(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
	use("Asia/Kolkata");
	tz_format_iso(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T05:30:00+05:30");
	use("America/St_Johns");
	tz_format_iso(1795446000, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23T11:30:00-03:30");
	/* A short buffer truncates, never overflows. */
	tz_format_iso(0, buf, 11);
	assert_string_equal(buf, "1969-12-31");
	use(NULL);
}

static const struct {
	const char *zone, *value, *want;
} values[] = {
	/* No offset: already the job's wall time. */
	{ "Asia/Seoul", "2026-11-24", "2026-11-24" },
	{ "Asia/Seoul", "2026-11-24T23:59:59", "2026-11-24" },
	{ "Asia/Seoul", "2026-11-24 00:00", "2026-11-24" },
	{ "America/New_York", "2026-11-24T00:00:00.000001", "2026-11-24" },
	/* With an offset: converted to the zone, maybe another date. */
	{ "Asia/Seoul", "2026-11-23T14:59:59Z", "2026-11-23" },
	{ "Asia/Seoul", "2026-11-23T15:00:00Z", "2026-11-24" },
	{ "Asia/Seoul", "2026-11-23T20:00:00.5Z", "2026-11-24" },
	{ "Asia/Seoul", "2026-11-24T10:00:00.123456-05:00", "2026-11-25" },
	{ "Asia/Seoul", "2026-11-24T09:00:00+09:00", "2026-11-24" },
	{ "Asia/Seoul", "2026-11-24T08:59:59+0900", "2026-11-24" },
	{ "Asia/Seoul", "2026-11-24T23:59:59+09", "2026-11-24" },
	{ "America/New_York", "2026-11-24T03:00:00Z", "2026-11-23" },
	{ "America/New_York", "2026-11-24T05:00:00+00:00", "2026-11-24" },
	{ "America/New_York", "2026-11-24 01:30:00+09:00", "2026-11-23" },
	{ "America/New_York", "2026-11-24t04:59z", "2026-11-23" },
	{ "America/New_York", "2026-11-24T10:00:00,5Z", "2026-11-24" },
	/* Across New York's DST change: 04:30Z is 00:30 EDT on 11-01. */
	{ "America/New_York", "2026-11-01T04:30:00Z", "2026-11-01" },
	{ "America/New_York", "2026-11-01T03:59:59Z", "2026-10-31" },
	{ "America/New_York", "2026-03-08T04:59:59Z", "2026-03-07" },
	{ "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08" },
	{ "Europe/London", "2026-10-24T23:30:00Z", "2026-10-25" },
	{ "Europe/London", "2026-10-25T23:30:00Z", "2026-10-25" },
	{ "Europe/London", "2026-01-01T00:30:00+01:00", "2025-12-31" },
	{ "UTC", "2026-12-31T23:59:60Z", "2026-12-31" },
	{ "UTC", "2026-01-01T00:00:00+14:00", "2025-12-31" },
	{ "UTC", "2025-12-31T12:00:00-12:00", "2026-01-01" },
	{ "America/Santiago", "2026-09-06T04:00:00Z", "2026-09-06" },
	{ "America/Santiago", "2026-09-06T03:59:59Z", "2026-09-05" },
};

static const char *const bad_values[] = {
	"", "2026", "2026-11-2", "2026-11-24 ", "2026-02-30", "0000-01-01",
	"2026-11-24T", "2026-11-24T10", "2026-11-24T1:00", "2026-11-24T10:0",
	"2026-11-24T24:00", "2026-11-24T23:60", "2026-11-24T10:00:61",
	"2026-11-24T10:00:6", "2026-11-24X10:00", "2026-11-24T10:00:00.",
	"2026-11-24T10:00:00.Z", "2026-11-24T10:00+24:00",
	"2026-11-24T10:00+05:",
	"2026-11-24T10:00+5", "2026-11-24T10:00+05:6", "2026-11-24T10:00+05:60",
	"2026-11-24T10:00Z ", "2026-11-24T10:00:00Zjunk", "2026-11-24T10:00 Z",
	"2026-11-24T10-00", "2026-11-24T10:00:00+05:00:00",
	"2026-11-24T10:00:00UTC",
};

static void
test_value_date(void **state)
{
	bdate_t d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		use(values[i].zone);
		d = -1;
		if (tz_value_date(values[i].value, strlen(values[i].value),
		    &d) != 0)
			fail_msg("'%s' rejected", values[i].value);
		if (d != D(values[i].want)) {
			char got[BDATE_STRLEN];

			bdate_format(d, got);
			fail_msg("%s '%s': got %s, want %s", values[i].zone,
			    values[i].value, got, values[i].want);
		}
	}
	use("UTC");
	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		d = 777;
		if (tz_value_date(bad_values[i], strlen(bad_values[i]),
		    &d) != -1)
			fail_msg("'%s' accepted", bad_values[i]);
		assert_int_equal(d, 777);
	}
	/* Only len bytes are read: the value need not be terminated. */
	assert_int_equal(tz_value_date("2026-11-24T10:00:00Zxxxx", 20, &d), 0);
	assert_int_equal(d, D("2026-11-24"));
	assert_int_equal(tz_value_date("2026-11-24junk", 10, &d), 0);
	assert_int_equal(d, D("2026-11-24"));
	assert_int_equal(tz_value_date("2026-11-24T10:00:00+05:00", 23, &d),
	    -1);
	use(NULL);
}

static void
test_valid(void **state)
{
	static const struct {
		const char *zone;
		int want;
	} rows[] = {
		{ "Asia/Seoul", 1 }, { "America/New_York", 1 },
		{ "UTC", 1 }, { "Etc/GMT+5", 1 }, { "Europe/London", 1 },
		{ "Mars/Olympus", 0 }, { "", 0 }, { "Asia", 0 },
		{ "/usr/share/zoneinfo/UTC", 0 }, { "../zoneinfo/UTC", 0 },
		{ "Asia/../Asia/Seoul", 0 }, { "Asia/Seoul/", 0 },
		{ "zone.tab", 0 }, { "asia/seoul ", 0 }, { "Asia/Seoul\n", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (tz_valid(rows[i].zone) != rows[i].want)
			fail_msg("'%s': want %d", rows[i].zone, rows[i].want);
	assert_int_equal(tz_valid(NULL), 0);
}

/* $TZDIR is honoured, and only TZif files count as zones. */
static void
test_valid_tzdir(void **state)
{
	char dir[] = "/tmp/test_tz.XXXXXX", path[256];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Fake", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/Fake/Zone", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "TZif2\0\0\0", 8), 8);
	close(fd);
	snprintf(path, sizeof(path), "%s/Fake/Text", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a zone\n", 11), 11);
	close(fd);
	snprintf(path, sizeof(path), "%s/Fake/Fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);

	assert_int_equal(setenv("TZDIR", dir, 1), 0);
	assert_int_equal(tz_valid("Fake/Zone"), 1);
	assert_int_equal(tz_valid("Fake/Text"), 0);
	assert_int_equal(tz_valid("Fake/Fifo"), 0);	/* and no hang */
	assert_int_equal(tz_valid("Asia/Seoul"), 0);
	assert_int_equal(tz_valid("UTC"), 1);
	assert_int_equal(unsetenv("TZDIR"), 0);
	assert_int_equal(tz_valid("Fake/Zone"), 0);

	unlink(path);
	snprintf(path, sizeof(path), "%s/Fake/Text", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/Fake/Zone", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/Fake", dir);
	rmdir(path);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_use(void **state)
{
	struct xerr err;

	(void)state;
	assert_int_equal(tz_use("Asia/Seoul", &err), 0);
	assert_string_equal(getenv("TZ"), "Asia/Seoul");
	assert_int_equal(tz_date_of(1795446000 - 1), D("2026-11-23"));
	assert_int_equal(tz_date_of(1795446000), D("2026-11-24"));

	xerr_clear(&err);
	assert_int_equal(tz_use("Mars/Olympus", &err), -1);
	assert_int_equal(err.cls, XERR_CONFIG);
	assert_string_equal(err.msg, "unknown time zone 'Mars/Olympus'");
	/* A refused zone leaves the current one in place. */
	assert_string_equal(getenv("TZ"), "Asia/Seoul");

	assert_int_equal(tz_use(NULL, &err), 0);
	assert_null(getenv("TZ"));
	assert_int_equal(tz_use("UTC", &err), 0);
	assert_int_equal(tz_date_of(1795446000 - 1), D("2026-11-23"));
	assert_int_equal(tz_date_of(-1), D("1969-12-31"));
	assert_int_equal(tz_use("", &err), 0);
	assert_null(getenv("TZ"));
}

/* Deadlines (expect = HH:MM): expected values from Python's zoneinfo, the
 * first instant whose local date is the day and wall time at or past
 * HH:MM. */
static const struct {
	const char *zone, *date;
	int minute;
	long long t;
	const char *iso;
} walls[] = {
	/* Spring forward: 02:30 does not exist; the gap ends at 03:00. */
	{ "America/New_York", "2026-03-08", 2 * 60 + 30, 1772953200,
	    "2026-03-08T03:00:00-04:00" },
	{ "America/New_York", "2026-03-08", 1 * 60 + 59, 1772953140,
	    "2026-03-08T01:59:00-05:00" },
	{ "America/New_York", "2026-03-08", 3 * 60, 1772953200,
	    "2026-03-08T03:00:00-04:00" },
	{ "America/New_York", "2026-03-09", 2 * 60 + 30, 1773037800,
	    "2026-03-09T02:30:00-04:00" },
	/* Fall back: 01:30 happens twice; the first one counts. */
	{ "America/New_York", "2026-11-01", 1 * 60 + 30, 1793511000,
	    "2026-11-01T01:30:00-04:00" },
	{ "America/New_York", "2026-11-01", 3 * 60, 1793520000,
	    "2026-11-01T03:00:00-05:00" },
	{ "Asia/Seoul", "2026-11-25", 30, 1795534200,
	    "2026-11-25T00:30:00+09:00" },
	{ "Asia/Seoul", "2026-11-24", 23 * 60 + 59, 1795532340,
	    "2026-11-24T23:59:00+09:00" },
	/* The day itself starts at 01:00. */
	{ "America/Santiago", "2026-09-06", 30, 1788667200,
	    "2026-09-06T01:00:00-03:00" },
	{ "Europe/London", "2026-03-29", 1 * 60 + 15, 1774746000,
	    "2026-03-29T02:00:00+01:00" },
	{ "UTC", "2026-06-01", 0, 1780272000, "2026-06-01T00:00:00+00:00" },
};

static void
test_wall_time(void **state)
{
	char iso[64];
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < sizeof(walls) / sizeof(walls[0]); i++) {
		use(walls[i].zone);
		t = tz_wall_time(D(walls[i].date), walls[i].minute);
		tz_format_iso(t, iso, sizeof(iso));
		if ((long long)t != walls[i].t)
			fail_msg("%s %s %02d:%02d: got %lld (%s), want %lld "
			    "(%s)", walls[i].zone, walls[i].date,
			    walls[i].minute / 60, walls[i].minute % 60,
			    (long long)t, iso, walls[i].t, walls[i].iso);
		assert_string_equal(iso, walls[i].iso);
	}
	use(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_bounds),
		cmocka_unit_test(test_day_bounds_year),
		cmocka_unit_test(test_format_iso),
		cmocka_unit_test(test_value_date),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_valid_tzdir),
		cmocka_unit_test(test_use),
		cmocka_unit_test(test_wall_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
