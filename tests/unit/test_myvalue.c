/* myvalue: MySQL result values as xfer values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/myvalue.h"

static MYSQL_TIME
mt(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi,
    unsigned s, unsigned long frac)
{
	MYSQL_TIME t;

	memset(&t, 0, sizeof(t));
	t.year = y;
	t.month = mo;
	t.day = d;
	t.hour = h;
	t.minute = mi;
	t.second = s;
	t.second_part = frac;
	t.time_type = MYSQL_TIMESTAMP_DATETIME;
	return t;
}

static const struct {
	const char *zone;
	MYSQL_TIME t;
	int fixed;		/* t is at UTC offset off (TIMESTAMP) */
	long off;
	unsigned decimals;
	const char *want;	/* NULL: refused */
} cases[] = {
	/* TIMESTAMP: the digits at the session's offset, shown in the
	 * job's zone. */
	{ "Asia/Seoul", { 2026, 11, 20, 9, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 32400, 0, "2026-11-20T09:30:00+09:00" },
	{ "Asia/Seoul", { 2026, 11, 19, 23, 59, 59, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 32400, 0, "2026-11-19T23:59:59+09:00" },
	/* The session at -05:00 (the start of 2026-03-08) all day: past the
	 * change, 03:30 at -05:00 is 04:30 EDT. */
	{ "America/New_York", { 2026, 3, 8, 1, 59, 59, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, -18000, 0, "2026-03-08T01:59:59-05:00" },
	{ "America/New_York", { 2026, 3, 8, 3, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, -18000, 0, "2026-03-08T04:30:00-04:00" },
	{ "America/New_York", { 2026, 3, 9, 0, 0, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, -18000, 0, "2026-03-09T01:00:00-04:00" },
	/* At -04:00 (the start of 2026-11-01): 01:30 is EDT's, 02:30 is
	 * the second 01:30 (EST). */
	{ "America/New_York", { 2026, 11, 1, 1, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, -14400, 0, "2026-11-01T01:30:00-04:00" },
	{ "America/New_York", { 2026, 11, 1, 2, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, -14400, 0, "2026-11-01T01:30:00-05:00" },
	{ "Asia/Kolkata", { 2026, 1, 1, 5, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 19800, 0, "2026-01-01T05:30:00+05:30" },
	/* A session offset other than the zone's (UTC). */
	{ "America/New_York", { 2026, 3, 8, 6, 59, 59, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 0, 0, "2026-03-08T01:59:59-05:00" },
	{ "America/New_York", { 2026, 3, 8, 7, 0, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 0, 0, "2026-03-08T03:00:00-04:00" },
	{ "America/New_York", { 2026, 11, 1, 5, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 0, 0, "2026-11-01T01:30:00-04:00" },
	{ "America/New_York", { 2026, 11, 1, 6, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 0, 0, "2026-11-01T01:30:00-05:00" },
	{ "Asia/Kolkata", { 2026, 1, 1, 0, 0, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 0, 0, "2026-01-01T05:30:00+05:30" },
	{ "UTC", { 2026, 1, 1, 0, 0, 0, 123456, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 1, 0, 6, "2026-01-01T00:00:00.123456+00:00" },
	/* DATETIME: the digits kept, the zone's offset at that wall time. */
	{ "America/New_York", { 2026, 3, 8, 1, 30, 0, 250000, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 0, 0, 3, "2026-03-08T01:30:00.250-05:00" },
	{ "America/New_York", { 2026, 3, 8, 3, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 0, 0, 0, "2026-03-08T03:30:00-04:00" },
	/* In the gap: the offset before it. */
	{ "America/New_York", { 2026, 3, 8, 2, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 0, 0, 0, "2026-03-08T02:30:00-05:00" },
	/* Twice: the first time. */
	{ "America/New_York", { 2026, 11, 1, 1, 30, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 0, 0, 0, "2026-11-01T01:30:00-04:00" },
	{ "America/New_York", { 2026, 11, 1, 2, 0, 0, 0, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 0, 0, 0, "2026-11-01T02:00:00-05:00" },
	{ "Europe/Berlin", { 2026, 7, 1, 12, 0, 0, 5, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 0, 0, 2, "2026-07-01T12:00:00.00+02:00" },
	{ "UTC", { 9999, 12, 31, 23, 59, 59, 999999, 0,
	  MYSQL_TIMESTAMP_DATETIME }, 0, 0, 6, "9999-12-31T23:59:59.999999+00:00" },
	/* Refused: no instant. */
	{ "UTC", { 0, 0, 0, 0, 0, 0, 0, 0, MYSQL_TIMESTAMP_DATETIME }, 0, 0, 0,
	  NULL },
	{ "UTC", { 2026, 0, 10, 0, 0, 0, 0, 0, MYSQL_TIMESTAMP_DATETIME }, 1, 0, 0,
	  NULL },
	{ "UTC", { 2026, 2, 30, 0, 0, 0, 0, 0, MYSQL_TIMESTAMP_DATETIME }, 0, 0, 0,
	  NULL },
	{ "UTC", { 2026, 1, 1, 24, 0, 0, 0, 0, MYSQL_TIMESTAMP_DATETIME }, 0, 0, 0,
	  NULL },
};

static void
test_datetimes(void **state)
{
	char out[64];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		setenv("TZ", cases[i].zone, 1);
		tzset();
		n = myvalue_datetime(&cases[i].t, cases[i].fixed ?
		    &cases[i].off : NULL, cases[i].decimals, out,
		    sizeof(out));
		if (cases[i].want == NULL) {
			if (n != -1)
				fail_msg("case %zu: '%s', want refused", i,
				    out);
			continue;
		}
		if (n < 0 || strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i,
			    n < 0 ? "(refused)" : out, cases[i].want);
		assert_int_equal((size_t)n, strlen(cases[i].want));
	}
}

/* Values for a TIMESTAMP column (ingest) as UTC text. */
static const struct {
	const char *zone, *in, *want;	/* want NULL: refused */
} instants[] = {
	{ "Asia/Seoul", "2026-11-20T09:30:00+09:00", "2026-11-20 00:30:00" },
	{ "UTC", "2026-11-20T09:30:00+09:00", "2026-11-20 00:30:00" },
	{ "America/New_York", "2026-11-20T09:30:00+09:00",
	  "2026-11-20 00:30:00" },
	{ "Asia/Seoul", "2026-11-20 09:30:00", "2026-11-20 00:30:00" },
	{ "Asia/Seoul", "2026-11-20T09:30", "2026-11-20 00:30:00" },
	{ "Asia/Seoul", "2026-11-20", "2026-11-19 15:00:00" },
	{ "Asia/Seoul", "2026-11-20T09:30:00Z", "2026-11-20 09:30:00" },
	{ "Asia/Seoul", "2026-11-20T09:30:00.250-0530", "2026-11-20 15:00:00.250" },
	{ "Asia/Seoul", "2026-11-20T09:30:00+01", "2026-11-20 08:30:00" },
	{ "Asia/Kolkata", "2026-01-01 05:30:00", "2026-01-01 00:00:00" },
	/* Without an offset on the DST days: as DATETIME values. */
	{ "America/New_York", "2026-03-08 01:59:59", "2026-03-08 06:59:59" },
	{ "America/New_York", "2026-03-08 03:00:00", "2026-03-08 07:00:00" },
	{ "America/New_York", "2026-03-08 02:30:00", "2026-03-08 07:30:00" },
	{ "America/New_York", "2026-11-01 01:30:00", "2026-11-01 05:30:00" },
	{ "America/New_York", "2026-11-01T01:30:00-05:00",
	  "2026-11-01 06:30:00" },
	{ "America/New_York", "2026-11-01 02:00:00", "2026-11-01 07:00:00" },
	/* Refused: what the server would read in its own zone, or not a
	 * time at all. */
	{ "UTC", "20261120093000", NULL },
	{ "UTC", "2026/11/20 09:30:00", NULL },
	{ "UTC", "2026-11-20T09:30:00 +09:00", NULL },
	{ "UTC", "2026-11-20T09:30:00+09:", NULL },
	{ "UTC", "2026-11-20T09:30:00+24:00", NULL },
	{ "UTC", "2026-02-30 00:00:00", NULL },
	{ "UTC", "2026-11-20T24:00:00", NULL },
	{ "UTC", "2026-11-20T09:30:00.", NULL },
	{ "UTC", "0000-00-00 00:00:00", NULL },
	{ "UTC", "", NULL },
	{ "UTC", "2026-11-20T", NULL },
};

static void
test_timestamp_utc(void **state)
{
	char out[64];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(instants) / sizeof(*instants); i++) {
		setenv("TZ", instants[i].zone, 1);
		tzset();
		n = myvalue_timestamp_utc(instants[i].in,
		    strlen(instants[i].in), out, sizeof(out));
		if (instants[i].want == NULL) {
			if (n != -1)
				fail_msg("'%s': '%s', want refused",
				    instants[i].in, out);
			continue;
		}
		if (n < 0 || strcmp(out, instants[i].want) != 0)
			fail_msg("'%s' in %s: '%s', want '%s'", instants[i].in,
			    instants[i].zone, n < 0 ? "(refused)" : out,
			    instants[i].want);
		assert_int_equal((size_t)n, strlen(instants[i].want));
	}
	/* Not NUL-terminated: only len bytes are read. */
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(myvalue_timestamp_utc("2026-11-20Zjunk", 10, out,
	    sizeof(out)), 19);
	assert_string_equal(out, "2026-11-20 00:00:00");
	assert_int_equal(myvalue_timestamp_utc("2026-11-20", 10, out, 19),
	    -1);
}

static void
test_small_buffer(void **state)
{
	MYSQL_TIME t = mt(2026, 1, 1, 0, 0, 0, 0);
	char out[10];
	long utc = 0;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(myvalue_datetime(&t, &utc, 0, out, sizeof(out)), -1);
}

static void
test_hex(void **state)
{
	const unsigned char b[] = { 0x00, 0xff, 0x10, 0xab };
	char out[16];

	(void)state;
	myvalue_hex(b, sizeof(b), out);
	assert_string_equal(out, "00ff10ab");
	myvalue_hex(b, 0, out);
	assert_string_equal(out, "");
}

static void
test_conv(void **state)
{
	(void)state;
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_NEWDECIMAL, 63), MYV_NUMBER);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_LONGLONG, 63), MYV_NUMBER);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_DOUBLE, 63), MYV_NUMBER);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_TIMESTAMP, 63),
	    MYV_INSTANT);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_DATETIME, 63), MYV_WALL);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_DATE, 63), MYV_TEXT);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_BLOB, 63), MYV_HEX);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_BLOB, 224), MYV_TEXT);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_VAR_STRING, 63), MYV_HEX);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_VAR_STRING, 46), MYV_TEXT);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_BIT, 63), MYV_HEX);
	assert_int_equal(myvalue_conv_of(MYSQL_TYPE_TIME, 63), MYV_TEXT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datetimes),
		cmocka_unit_test(test_timestamp_utc),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_conv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
