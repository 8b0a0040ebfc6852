/* tz_pin: the system zone's times without switching TZ (for threads),
 * the same as tz_system_time() across a DST change and without one.
 * A binary of its own: the process must start in a zone with DST. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tz.h"

static void
use(const char *zone)
{
	struct xerr err;

	if (tz_use(zone, &err) != 0)
		fail_msg("tz_use '%s': %s", zone, err.msg);
}

static void
same_as_system(const struct tz_pin *pin, time_t t)
{
	struct tm a, b;

	tz_system_time(t, &a);
	tz_pinned_time(pin, t, &b);
	if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon ||
	    a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour ||
	    a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
	    a.tm_gmtoff != b.tm_gmtoff)
		fail_msg("at %lld: system %02d:%02d:%02d%+ld, pinned "
		    "%02d:%02d:%02d%+ld", (long long)t, a.tm_hour, a.tm_min,
		    a.tm_sec, a.tm_gmtoff, b.tm_hour, b.tm_min, b.tm_sec,
		    b.tm_gmtoff);
}

/* Paris went to summer time at 2026-03-29 01:00:00 UTC (1774746000). */
static void
test_dst_change(void **state)
{
	const time_t change = 1774746000;
	struct tz_pin pin;
	time_t t;

	(void)state;
	use("Asia/Tokyo");	/* a job's zone: not the system's */
	tz_pin_system(&pin, change - 86400);
	assert_int_equal(pin.off_before, 3600);
	assert_int_equal(pin.off_after, 7200);
	assert_int_equal((long long)pin.change, (long long)change);
	for (t = change - 86400; t < change + 86400; t += 1800)
		same_as_system(&pin, t);
	same_as_system(&pin, change - 1);
	same_as_system(&pin, change);
	/* The job's zone is still in force. */
	assert_string_equal(getenv("TZ"), "Asia/Tokyo");
}

static void
test_no_change(void **state)
{
	const time_t t0 = 1780000000;	/* 2026-05-28, summer time */
	struct tz_pin pin;
	time_t t;

	(void)state;
	use("UTC");
	tz_pin_system(&pin, t0);
	assert_int_equal(pin.off_before, 7200);
	assert_int_equal(pin.off_after, 7200);
	for (t = t0; t < t0 + 2 * 86400; t += 3607)
		same_as_system(&pin, t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dst_change),
		cmocka_unit_test(test_no_change),
	};

	/* The zone the process starts in is the system's (tz.h). */
	setenv("TZ", "Europe/Paris", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
