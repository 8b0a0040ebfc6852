/* bdate: civil dates <-> day numbers, strict parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bdate.h"

static const struct {
	const char *s;
	bdate_t days;
	int y, m, d;
} known[] = {
	{ "1970-01-01", 0, 1970, 1, 1 },
	{ "1969-12-31", -1, 1969, 12, 31 },
	{ "2000-03-01", 11017, 2000, 3, 1 },
	{ "2026-11-24", 20781, 2026, 11, 24 },
	{ "2024-02-29", 19782, 2024, 2, 29 },
	{ "1900-03-01", -25508, 1900, 3, 1 },
	{ "1600-02-29", -135081, 1600, 2, 29 },
	{ "0001-01-01", -719162, 1, 1, 1 },
	{ "9999-12-31", 2932896, 9999, 12, 31 },
};

static void
test_known_dates(void **state)
{
	char buf[BDATE_STRLEN];
	bdate_t d;
	size_t i;
	int y, m, dd;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_int_equal(bdate_parse(known[i].s, &d), 0);
		assert_int_equal(d, known[i].days);
		assert_int_equal(bdate_from_ymd(known[i].y, known[i].m,
		    known[i].d), known[i].days);
		bdate_to_ymd(known[i].days, &y, &m, &dd);
		assert_int_equal(y, known[i].y);
		assert_int_equal(m, known[i].m);
		assert_int_equal(dd, known[i].d);
		bdate_format(known[i].days, buf);
		assert_string_equal(buf, known[i].s);
	}
}

static const char *const rejects[] = {
	"", "2026", "2026-1-01", "2026-01-1", " 2026-01-01", "2026-01-01 ",
	"2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32", "0000-01-01",
	"2026-04-31", "2023-02-29", "1900-02-29", "2100-02-29", "2026/01/01",
	"20260101", "2026-01-011", "2026-01-0a", "+026-01-01", "-026-01-01",
	"2026-01-01T00:00", "2026-01-01\n",
};

static void
test_rejects(void **state)
{
	bdate_t d = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		if (bdate_parse(rejects[i], &d) != -1)
			fail_msg("accepted '%s'", rejects[i]);
		assert_int_equal(d, 12345);
	}
}

/* Every day from 1600 to 2400 round-trips and follows its predecessor. */
static void
test_roundtrip_consecutive(void **state)
{
	char buf[BDATE_STRLEN];
	bdate_t d, back, first = bdate_from_ymd(1600, 1, 1);
	bdate_t last = bdate_from_ymd(2400, 12, 31);
	int y, m, dd, py = 1599, pm = 12, pd = 31;

	(void)state;
	for (d = first; d <= last; d++) {
		bdate_to_ymd(d, &y, &m, &dd);
		if (dd == pd + 1)
			assert_true(y == py && m == pm);
		else {
			assert_int_equal(dd, 1);
			assert_true((m == pm + 1 && y == py) ||
			    (m == 1 && pm == 12 && y == py + 1));
		}
		assert_int_equal(bdate_from_ymd(y, m, dd), d);
		bdate_format(d, buf);
		assert_int_equal(bdate_parse(buf, &back), 0);
		assert_int_equal(back, d);
		py = y;
		pm = m;
		pd = dd;
	}
	/* 2000 is a leap year, 2100 is not: both decided by the above. */
	assert_int_equal(bdate_from_ymd(2000, 3, 1) -
	    bdate_from_ymd(2000, 2, 28), 2);
	assert_int_equal(bdate_from_ymd(2100, 3, 1) -
	    bdate_from_ymd(2100, 2, 28), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_roundtrip_consecutive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
