/* parse: durations, sizes, booleans, integers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static const struct {
	const char *in;
	long secs;
} durations[] = {
	{ "0", 0 }, { "0s", 0 }, { "30", 30 }, { "30s", 30 },
	{ "10m", 600 }, { "2h", 7200 }, { "7d", 604800 }, { "0d", 0 },
	{ "007s", 7 }, { "3650d", 315360000 },
	{ "9223372036854775807", LONG_MAX },
};

static const char *const bad_durations[] = {
	"", "s", "-1", "+1", " 5", "5 ", "5 s", "5S", "5M", "1h30m", "1.5h",
	"5ms", "5w", "0x10", "ten", "9223372036854775808",
	"99999999999999999999", "106751991167301d",
};

static void
test_duration_s(void **state)
{
	char why[256];
	size_t i;
	long v;

	(void)state;
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		v = -1;
		if (parse_duration_s(durations[i].in, &v, why,
		    sizeof(why)) != 0)
			fail_msg("'%s' rejected: %s", durations[i].in, why);
		assert_int_equal(v, durations[i].secs);
	}
	for (i = 0; i < sizeof(bad_durations) / sizeof(bad_durations[0]);
	    i++) {
		v = -7;
		why[0] = '\0';
		if (parse_duration_s(bad_durations[i], &v, why,
		    sizeof(why)) != -1)
			fail_msg("'%s' accepted", bad_durations[i]);
		assert_int_equal(v, -7);
		assert_true(strlen(why) > 0);
	}
	assert_int_equal(parse_duration_s("5x", &v, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "30s, 10m, 2h, 7d"));
	assert_int_equal(parse_duration_s("99999999999999999999", &v, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "too large"));
}

static void
test_duration_ms(void **state)
{
	char why[256];
	long v;

	(void)state;
	assert_int_equal(parse_duration_ms("2s", &v, why, sizeof(why)), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(parse_duration_ms("30", &v, why, sizeof(why)), 0);
	assert_int_equal(v, 30000);
	assert_int_equal(parse_duration_ms("1m", &v, why, sizeof(why)), 0);
	assert_int_equal(v, 60000);
	assert_int_equal(parse_duration_ms("7d", &v, why, sizeof(why)), 0);
	assert_int_equal(v, 604800000L);
	/* Fits in seconds but not in milliseconds. */
	assert_int_equal(parse_duration_ms("9223372036854775s", &v, why,
	    sizeof(why)), 0);
	assert_int_equal(parse_duration_ms("9223372036854776s", &v, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "too large"));
	assert_int_equal(parse_duration_ms("106751991167d", &v, why,
	    sizeof(why)), 0);
	assert_int_equal(v, 106751991167L * 86400000L);
	assert_int_equal(parse_duration_ms("106751991168d", &v, why,
	    sizeof(why)), -1);
}

static const struct {
	const char *in;
	uint64_t bytes;
} sizes[] = {
	{ "0", 0 }, { "512", 512 }, { "10K", 10240 }, { "10k", 10240 },
	{ "5M", 5242880 }, { "1G", 1073741824 }, { "1KB", 1024 },
	{ "1KiB", 1024 }, { "2gb", 2147483648ULL },
	{ "18446744073709551615", UINT64_MAX },
	{ "17179869183G", 17179869183ULL << 30 },
};

static const char *const bad_sizes[] = {
	"", "K", "-1", "1T", "1.5M", "1 M", "1MBs", "1Mi",
	"18446744073709551616", "17179869184G",
};

static void
test_size(void **state)
{
	char why[256];
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (parse_size(sizes[i].in, &v, why, sizeof(why)) != 0)
			fail_msg("'%s' rejected: %s", sizes[i].in, why);
		assert_true(v == sizes[i].bytes);
	}
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		why[0] = '\0';
		if (parse_size(bad_sizes[i], &v, why, sizeof(why)) != -1)
			fail_msg("'%s' accepted", bad_sizes[i]);
		assert_true(strlen(why) > 0);
	}
}

static void
test_bool(void **state)
{
	static const struct {
		const char *in;
		int want;	/* -1: rejected */
	} rows[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
		{ "YES", 1 }, { "No", 0 }, { "TRUE", 1 }, { "Off", 0 },
		{ "", -1 }, { "y", -1 }, { "n", -1 }, { "2", -1 },
		{ "yes ", -1 }, { "enabled", -1 }, { "nope", -1 },
	};
	char why[256];
	size_t i;
	int v;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		v = 42;
		if (rows[i].want < 0) {
			if (parse_bool(rows[i].in, &v, why, sizeof(why)) != -1)
				fail_msg("'%s' accepted", rows[i].in);
			assert_string_equal(why, "expected yes or no");
			assert_int_equal(v, 42);
		} else {
			assert_int_equal(parse_bool(rows[i].in, &v, why,
			    sizeof(why)), 0);
			assert_int_equal(v, rows[i].want);
		}
	}
}

static void
test_long(void **state)
{
	static const struct {
		const char *in;
		long min, max;
		int ok;
		long want;
	} rows[] = {
		{ "3", 0, 100, 1, 3 },
		{ "0", 0, 100, 1, 0 },
		{ "100", 0, 100, 1, 100 },
		{ "101", 0, 100, 0, 0 },
		{ "-1", 0, 100, 0, 0 },
		{ "-5", -10, 10, 1, -5 },
		{ "+5", -10, 10, 1, 5 },
		{ "007", 0, 10, 1, 7 },
		{ "", 0, 10, 0, 0 },
		{ "-", -10, 10, 0, 0 },
		{ "1e3", 0, 10000, 0, 0 },
		{ " 1", 0, 10, 0, 0 },
		{ "1 ", 0, 10, 0, 0 },
		{ "0x10", 0, 100, 0, 0 },
		{ "9223372036854775807", 0, LONG_MAX, 1, LONG_MAX },
		{ "9223372036854775808", 0, LONG_MAX, 0, 0 },
		{ "-9223372036854775808", LONG_MIN, 0, 1, LONG_MIN },
		{ "-9223372036854775809", LONG_MIN, 0, 0, 0 },
	};
	char why[256];
	size_t i;
	long v;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		v = 4242;
		if (rows[i].ok) {
			if (parse_long(rows[i].in, rows[i].min, rows[i].max,
			    &v, why, sizeof(why)) != 0)
				fail_msg("'%s' rejected: %s", rows[i].in, why);
			assert_int_equal(v, rows[i].want);
		} else if (parse_long(rows[i].in, rows[i].min, rows[i].max,
		    &v, why, sizeof(why)) != -1)
			fail_msg("'%s' accepted", rows[i].in);
	}
	assert_int_equal(parse_long("1000", 1, 100, &v, why, sizeof(why)), -1);
	assert_string_equal(why, "expected a whole number from 1 to 100");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_s),
		cmocka_unit_test(test_duration_ms),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
