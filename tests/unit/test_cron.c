/* cron: parsing 5-field expressions and matching wall-clock times. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cron.h"

static uint64_t
bits(const int *v)
{
	uint64_t b = 0;

	for (; *v >= 0; v++)
		b |= (uint64_t)1 << *v;
	return b;
}

/* Every value of a field. */
#define AMI	((uint64_t)0x0fffffffffffffffULL)
#define AH	0x00ffffffU
#define AD	0xfffffffeU
#define AMO	0x1ffeU
#define AW	0x7fU
#define B(...)	bits((const int[]){ __VA_ARGS__, -1 })

static void
test_parse_good(void **state)
{
	/* Not static: B() is a function call. */
	const struct {
		const char *expr;
		uint64_t minute;
		uint32_t hour, mday;
		uint16_t month;
		uint8_t wday;
		int mday_star, wday_star;
	} good[] = {
		{ "* * * * *", AMI, AH, AD, AMO, AW, 1, 1 },
		{ "30 2 * * *", B(30), B(2), AD, AMO, AW, 1, 1 },
		{ "  30\t2  *  *  *  ", B(30), B(2), AD, AMO, AW, 1, 1 },
		{ "*/15 * * * *", B(0, 15, 30, 45), AH, AD, AMO, AW, 1, 1 },
		{ "0 9-17/4 * * *", B(0), B(9, 13, 17), AD, AMO, AW, 1, 1 },
		{ "5/20 * * * *", B(5, 25, 45), AH, AD, AMO, AW, 1, 1 },
		{ "1,5,10-12 0 * * *", B(1, 5, 10, 11, 12), B(0), AD, AMO, AW,
		    1, 1 },
		{ "0 0 1,15 * *", B(0), B(0), B(1, 15), AMO, AW, 0, 1 },
		{ "0 0 * jan,JUL,Dec *", B(0), B(0), AD, B(1, 7, 12), AW,
		    1, 1 },
		{ "0 0 * mar-may *", B(0), B(0), AD, B(3, 4, 5), AW, 1, 1 },
		{ "0 0 * * mon-fri", B(0), B(0), AD, AMO, B(1, 2, 3, 4, 5),
		    1, 0 },
		{ "0 0 * * 7", B(0), B(0), AD, AMO, B(0), 1, 0 },
		{ "0 0 * * 5-7", B(0), B(0), AD, AMO, B(0, 5, 6), 1, 0 },
		{ "0 0 * * 0-7", B(0), B(0), AD, AMO, AW, 1, 0 },
		{ "0 0 * * Sun,sat", B(0), B(0), AD, AMO, B(0, 6), 1, 0 },
		{ "0 0 * * 1/2", B(0), B(0), AD, AMO, B(1, 3, 5), 1, 0 },
		{ "0 0 */2 * *", B(0), B(0), B(1, 3, 5, 7, 9, 11, 13, 15, 17,
		    19, 21, 23, 25, 27, 29, 31), AMO, AW, 1, 1 },
		{ "59 23 31 12 6", B(59), B(23), B(31), B(12), B(6), 0, 0 },
		{ "0-59/30 0 * * *", B(0, 30), B(0), AD, AMO, AW, 1, 1 },
		{ "*/60 * * * *", B(0), AH, AD, AMO, AW, 1, 1 },
		{ "@daily", B(0), B(0), AD, AMO, AW, 1, 1 },
		{ "@midnight", B(0), B(0), AD, AMO, AW, 1, 1 },
		{ "@hourly", B(0), AH, AD, AMO, AW, 1, 1 },
		{ "@weekly", B(0), B(0), AD, AMO, B(0), 1, 0 },
		{ "@monthly", B(0), B(0), B(1), AMO, AW, 0, 1 },
		{ "@yearly", B(0), B(0), B(1), B(1), AW, 0, 1 },
		{ "@Annually ", B(0), B(0), B(1), B(1), AW, 0, 1 },
	};
	char why[256];
	struct cron c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (cron_parse(good[i].expr, &c, why, sizeof(why)) != 0)
			fail_msg("'%s' rejected: %s", good[i].expr, why);
		if (c.minute != good[i].minute || c.hour != good[i].hour ||
		    c.mday != good[i].mday || c.month != good[i].month ||
		    c.wday != good[i].wday ||
		    c.mday_star != good[i].mday_star ||
		    c.wday_star != good[i].wday_star)
			fail_msg("'%s': got %llx %x %x %x %x %d %d",
			    good[i].expr, (unsigned long long)c.minute, c.hour,
			    c.mday, c.month, c.wday, c.mday_star, c.wday_star);
	}
}

static const struct {
	const char *expr;
	const char *why;	/* substring of the reason */
} bad[] = {
	{ "", "expected 5 fields" },
	{ "* * * *", "expected 5 fields (minute hour day-of-month month "
	    "day-of-week), found 4" },
	{ "* * * * * *", "found 6" },
	{ "60 * * * *", "minute: '60' is out of range 0-59" },
	{ "* 24 * * *", "hour: '24' is out of range 0-23" },
	{ "* * 0 * *", "day of month: '0' is out of range 1-31" },
	{ "* * 32 * *", "day of month: '32' is out of range" },
	{ "* * * 13 *", "month: '13' is out of range 1-12 or jan-dec" },
	{ "* * * 0 *", "month: '0' is out of range" },
	{ "* * * * 8", "day of week: '8' is out of range 0-7 or sun-sat" },
	{ "5-1 * * * *", "minute: reversed range '5-1'" },
	{ "* * * dec-jan *", "month: reversed range 'dec-jan'" },
	{ "*/0 * * * *", "minute: step in '*/0' must be a number from 1 to "
	    "60" },
	{ "* */25 * * *", "hour: step in '*/25'" },
	{ "*/ * * * *", "minute: step" },
	{ "1,,2 * * * *", "minute: empty list item" },
	{ "1, * * * *", "minute: empty list item" },
	{ ",1 * * * *", "minute: empty list item" },
	{ "-5 * * * *", "minute: missing number" },
	{ "1- * * * *", "minute: missing number" },
	{ "a * * * *", "minute: 'a' is not a valid value (0-59)" },
	{ "jan * * * *", "minute: 'jan' is not a valid value" },
	{ "* * * january *", "month: 'january' is not a valid value" },
	{ "* * * * monday", "day of week: 'monday' is not a valid value" },
	{ "* * * mon *", "month: 'mon' is not a valid value" },
	{ "1-2-3 * * * *", "minute: '2-3' is not a valid value" },
	{ "** * * * *", "minute: '**' is not a valid value" },
	{ "99999999999 * * * *", "minute: '99999999999' is out of range" },
	{ "@reboot", "unknown schedule '@reboot'" },
	{ "@dailyx", "unknown schedule" },
	{ "@daily 5", "unknown schedule" },
};

static void
test_parse_bad(void **state)
{
	char why[256];
	struct cron c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (cron_parse(bad[i].expr, &c, why, sizeof(why)) != -1)
			fail_msg("'%s' accepted", bad[i].expr);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].expr, why,
			    bad[i].why);
	}
}

static const struct {
	const char *expr;
	int min, hour, mday, mon, wday;
	int want;
} matches[] = {
	{ "30 2 * * *", 30, 2, 24, 11, 2, 1 },
	{ "30 2 * * *", 31, 2, 24, 11, 2, 0 },
	{ "30 2 * * *", 30, 3, 24, 11, 2, 0 },
	{ "*/15 * * * *", 45, 7, 1, 1, 0, 1 },
	{ "*/15 * * * *", 46, 7, 1, 1, 0, 0 },
	{ "0 9-17/4 * * *", 0, 13, 5, 5, 5, 1 },
	{ "0 9-17/4 * * *", 0, 12, 5, 5, 5, 0 },
	{ "0 0 * jun-aug *", 0, 0, 10, 7, 3, 1 },
	{ "0 0 * jun-aug *", 0, 0, 10, 9, 3, 0 },
	{ "0 0 * * mon-fri", 0, 0, 10, 7, 1, 1 },
	{ "0 0 * * mon-fri", 0, 0, 11, 7, 6, 0 },
	/* 7 is Sunday, in the expression and in the argument. */
	{ "0 0 * * 7", 0, 0, 12, 7, 0, 1 },
	{ "0 0 * * 0", 0, 0, 12, 7, 7, 1 },
	{ "0 0 * * sun", 0, 0, 12, 7, 1, 0 },
	/* Both days restricted: either one is enough. */
	{ "0 0 13 * fri", 0, 0, 13, 3, 2, 1 },
	{ "0 0 13 * fri", 0, 0, 6, 3, 5, 1 },
	{ "0 0 13 * fri", 0, 0, 6, 3, 4, 0 },
	/* One day field is star: both must match. */
	{ "0 0 13 * *", 0, 0, 13, 3, 2, 1 },
	{ "0 0 13 * *", 0, 0, 14, 3, 3, 0 },
	{ "0 0 * * fri", 0, 0, 6, 3, 5, 1 },
	{ "0 0 * * fri", 0, 0, 13, 3, 2, 0 },
	/* A step over '*' counts as star (Vixie): AND, not OR. */
	{ "0 0 */2 * 1", 0, 0, 3, 3, 1, 1 },
	{ "0 0 */2 * 1", 0, 0, 3, 3, 2, 0 },
	{ "0 0 */2 * 1", 0, 0, 4, 3, 1, 0 },
	/* The same days as a range are restricted: OR. */
	{ "0 0 1-31/2 * 1", 0, 0, 3, 3, 2, 1 },
	{ "0 0 1-31/2 * 1", 0, 0, 4, 3, 1, 1 },
	{ "0 0 1-31/2 * 1", 0, 0, 4, 3, 2, 0 },
	/* Out-of-range arguments never match (and never shift too far). */
	{ "* * * * *", 60, 0, 1, 1, 0, 0 },
	{ "* * * * *", 0, 24, 1, 1, 0, 0 },
	{ "* * * * *", 0, 0, 0, 1, 0, 0 },
	{ "* * * * *", 0, 0, 32, 1, 0, 0 },
	{ "* * * * *", 0, 0, 1, 13, 0, 0 },
	{ "* * * * *", 0, 0, 1, 1, 8, 0 },
	{ "* * * * *", -1, 0, 1, 1, 0, 0 },
	{ "@weekly", 0, 0, 9, 11, 0, 1 },
	{ "@weekly", 0, 0, 9, 11, 1, 0 },
};

static void
test_matches(void **state)
{
	char why[256];
	struct cron c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		if (cron_parse(matches[i].expr, &c, why, sizeof(why)) != 0)
			fail_msg("'%s' rejected: %s", matches[i].expr, why);
		if (cron_matches(&c, matches[i].min, matches[i].hour,
		    matches[i].mday, matches[i].mon, matches[i].wday) !=
		    matches[i].want)
			fail_msg("row %zu: '%s' at %d %d %d %d %d: want %d", i,
			    matches[i].expr, matches[i].min, matches[i].hour,
			    matches[i].mday, matches[i].mon, matches[i].wday,
			    matches[i].want);
	}
}

/* A 02:30 daily schedule matches exactly one minute of each day. */
static void
test_once_a_day(void **state)
{
	char why[256];
	struct cron c;
	int h, m, n = 0;

	(void)state;
	assert_int_equal(cron_parse("30 2 * * *", &c, why, sizeof(why)), 0);
	for (h = 0; h < 24; h++)
		for (m = 0; m < 60; m++)
			n += cron_matches(&c, m, h, 15, 6, 3);
	assert_int_equal(n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_once_a_day),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
