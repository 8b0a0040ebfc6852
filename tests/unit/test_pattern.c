/* pattern: {date}, {date:FMT}, {job}, escapes and rejects. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdate.h"
#include "pattern.h"

static const struct {
	const char *pat;
	const char *date;
	const char *want;
} expand[] = {
	{ "sales.csv", "2026-11-24", "sales.csv" },
	{ "", "2026-11-24", "" },
	{ "sales_{date}.csv", "2026-11-24", "sales_2026-11-24.csv" },
	{ "sales_{date:%Y%m%d}.csv", "2026-11-24", "sales_20261124.csv" },
	{ "{job}/{date:%Y/%m/%d}", "2026-01-05", "shop-sales/2026/01/05" },
	{ "{date:%y%m%d}", "2009-03-07", "090307" },
	{ "{date:%e}", "2026-03-07", " 7" },
	{ "{date:%j}", "2024-12-31", "366" },
	{ "{date:%j}", "2026-01-01", "001" },
	{ "{date:%b %B}", "2026-09-01", "Sep September" },
	{ "{date:%a %A %u %w}", "2026-11-22", "Sun Sunday 7 0" },
	{ "{date:%a %u %w}", "2026-11-24", "Tue 2 2" },
	{ "{date:%F}", "1999-12-31", "1999-12-31" },
	/* ISO week: 2027-01-01 is a Friday in week 53 of 2026. */
	{ "{date:%G-W%V %g}", "2027-01-01", "2026-W53 26" },
	{ "{date:%U}", "2026-01-04", "01" },
	{ "{date:100%%}", "2026-01-01", "100%" },
	{ "{{date}} {{job}}", "2026-01-01", "{date} {job}" },
	{ "a}}b{{c", "2026-01-01", "a}b{c" },
	{ "{{{date}}}", "2026-01-01", "{2026-01-01}" },
	{ "x{date}y{date:%d}z{job}", "2026-02-03",
	    "x2026-02-03y03zshop-sales" },
	{ "*.csv", "2026-01-01", "*.csv" },
};

static void
test_expand(void **state)
{
	struct xerr err;
	char why[256], *out;
	bdate_t d;
	size_t i;

	(void)state;
	/* A non-C locale must not leak into names. */
	setlocale(LC_ALL, "");
	for (i = 0; i < sizeof(expand) / sizeof(expand[0]); i++) {
		assert_int_equal(bdate_parse(expand[i].date, &d), 0);
		if (pattern_check(expand[i].pat, why, sizeof(why)) != 0)
			fail_msg("'%s' rejected: %s", expand[i].pat, why);
		if (pattern_expand(expand[i].pat, "shop-sales", d, &out,
		    &err) != 0)
			fail_msg("'%s': %s", expand[i].pat, err.msg);
		if (strcmp(out, expand[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", expand[i].pat,
			    out, expand[i].want);
		free(out);
	}
}

static const struct {
	const char *pat;
	const char *why;
} rejects[] = {
	{ "{dat}", "unknown placeholder '{dat}' (expected {date}, "
	    "{date:FMT} or {job})" },
	{ "a{}b", "unknown placeholder '{}'" },
	{ "{DATE}", "unknown placeholder '{DATE}'" },
	{ "{ date }", "unknown placeholder '{ date }'" },
	{ "{date", "unterminated placeholder '{date'" },
	{ "x_{date_{job}", "unterminated placeholder '{date_'" },
	{ "{", "unterminated placeholder" },
	{ "a}b", "unmatched '}'" },
	{ "{date:}", "{date:} has an empty format" },
	{ "{date:%H}", "{date:%H} has a time conversion '%H'; a batch is a "
	    "date" },
	{ "{date:%Y%m%d%H%M}", "has a time conversion '%H'" },
	{ "{date:%M}", "time conversion '%M'" },
	{ "{date:%S}", "time conversion '%S'" },
	{ "{date:%s}", "time conversion '%s'" },
	{ "{date:%z}", "time conversion '%z'" },
	{ "{date:%Z}", "time conversion '%Z'" },
	{ "{date:%T}", "time conversion '%T'" },
	{ "{date:%c}", "time conversion '%c'" },
	{ "{date:%p}", "time conversion '%p'" },
	{ "{date:%x}", "unsupported conversion '%x'" },
	{ "{date:%D}", "unsupported conversion '%D'" },
	{ "{date:%-d}", "unsupported conversion '%-'" },
	{ "{date:%Ey}", "unsupported conversion '%E'" },
	{ "{date:%n}", "unsupported conversion '%n'" },
	{ "{date:%Y%}", "{date:%Y%} ends with a lone '%'" },
	{ "x.{seq:0}", "bad placeholder '{seq:0}'" },
	{ "x.{seq:10}", "bad placeholder '{seq:10}'" },
	{ "x.{sequence}", "bad placeholder '{sequence}'" },
};

static void
test_rejects(void **state)
{
	struct xerr err;
	char why[256], *out = (char *)"unchanged";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		why[0] = '\0';
		if (pattern_check(rejects[i].pat, why, sizeof(why)) != -1)
			fail_msg("'%s' accepted", rejects[i].pat);
		if (strstr(why, rejects[i].why) == NULL)
			fail_msg("'%s': got '%s', want '%s'", rejects[i].pat,
			    why, rejects[i].why);
		/* pattern_expand refuses the same patterns. */
		xerr_clear(&err);
		assert_int_equal(pattern_expand(rejects[i].pat, "j", 0, &out,
		    &err), -1);
		assert_null(out);
		assert_int_equal(err.cls, XERR_CONFIG);
		if (strstr(err.msg, rejects[i].why) == NULL)
			fail_msg("'%s': expand says '%s'", rejects[i].pat,
			    err.msg);
	}
}

static void
test_expand_limits(void **state)
{
	char pat[600], why[256], *out;
	struct xerr err;
	size_t i, n;

	(void)state;
	/* 60 x "%F" expands to 60 * 10 = 600 bytes: over 256. */
	n = (size_t)snprintf(pat, sizeof(pat), "{date:");
	for (i = 0; i < 60; i++)
		n += (size_t)snprintf(pat + n, sizeof(pat) - n, "%%F");
	snprintf(pat + n, sizeof(pat) - n, "}");
	assert_int_equal(pattern_check(pat, why, sizeof(why)), 0);
	assert_int_equal(pattern_expand(pat, "j", 0, &out, &err), -1);
	assert_non_null(strstr(err.msg, "more than 256 bytes"));

	/* Exactly 256 bytes is fine: 23 x "%F" (230) + 26 x "x". */
	n = (size_t)snprintf(pat, sizeof(pat), "{date:");
	for (i = 0; i < 23; i++)
		n += (size_t)snprintf(pat + n, sizeof(pat) - n, "%%F");
	snprintf(pat + n, sizeof(pat) - n, "xxxxxxxxxxxxxxxxxxxxxxxxxx}");
	assert_int_equal(pattern_expand(pat, "j", 0, &out, &err), 0);
	assert_int_equal(strlen(out), 256);
	free(out);

	/* {job} needs a job name. */
	assert_int_equal(pattern_expand("{job}.csv", NULL, 0, &out, &err), -1);
	assert_non_null(strstr(err.msg, "{job}"));
}

static void
test_has_date(void **state)
{
	static const struct {
		const char *pat;
		int want;
	} rows[] = {
		{ "sales.csv", 0 },
		{ "{job}.csv", 0 },
		{ "{date}.csv", 1 },
		{ "x_{date:%Y}", 1 },
		{ "{{date}}", 0 },
		{ "{{{date}}}", 1 },
		{ "date", 0 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (pattern_has_date(rows[i].pat) != rows[i].want)
			fail_msg("'%s': want %d", rows[i].pat, rows[i].want);
}

static void
test_seq(void **state)
{
	static const struct {
		const char *pat;
		long seq;
		const char *want;
	} rows[] = {
		{ "b_{date:%Y%m%d}.{seq}", 1, "b_20261124.001" },
		{ "b_{date:%Y%m%d}.{seq}", 2, "b_20261124.002" },
		{ "b_{date:%Y%m%d}.{seq}", 1000, "b_20261124.1000" },
		{ "b_{date:%Y%m%d}_{seq:2}.csv", 7, "b_20261124_07.csv" },
		{ "{seq:1}-{job}", 3, "3-j" },
		{ "{{seq}}", 3, "{seq}" },
	};
	struct xerr err;
	char why[256], *out;
	bdate_t d, got;
	long seq;
	size_t i;
	int has;

	(void)state;
	assert_int_equal(bdate_parse("2026-11-24", &d), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(pattern_check(rows[i].pat, why, sizeof(why)),
		    0);
		assert_int_equal(pattern_expand_seq(rows[i].pat, "j", d,
		    rows[i].seq, &out, &err), 0);
		assert_string_equal(out, rows[i].want);
		/* Read back: the date and the seq. */
		assert_int_equal(pattern_match_seq(rows[i].pat, "j", out, &has,
		    &got, &seq, &err), 1);
		if (strstr(rows[i].pat, "{{") == NULL)
			assert_int_equal(seq, rows[i].seq);
		else
			assert_int_equal(seq, -1);
		if (has)
			assert_int_equal(got, d);
		free(out);
	}
	/* pattern_expand() is seq 1. */
	assert_int_equal(pattern_expand("x.{seq}", "j", d, &out, &err), 0);
	assert_string_equal(out, "x.001");
	free(out);
	/* {seq} matches digits only, at least its width. */
	assert_int_equal(pattern_match_seq("b_{date:%Y%m%d}.{seq}", "j",
	    "b_20261124.01", &has, &got, &seq, &err), 0);
	assert_int_equal(pattern_match_seq("b_{date:%Y%m%d}.{seq}", "j",
	    "b_20261124.00a", &has, &got, &seq, &err), 0);
	assert_int_equal(pattern_match_seq("b_{date:%Y%m%d}.{seq}", "j",
	    "b_20261131.001", &has, &got, &seq, &err), 0);
	/* Without a seq the old call still matches. */
	assert_int_equal(pattern_match("b_{date:%Y%m%d}.{seq}", "j",
	    "b_20261124.004", &has, &got, &err), 1);
	assert_int_equal(has, 1);
	assert_int_equal(pattern_has_seq("a{seq}"), 1);
	assert_int_equal(pattern_has_seq("a{seq:4}"), 1);
	assert_int_equal(pattern_has_seq("a{{seq}}"), 0);
	assert_int_equal(pattern_has_seq("a{date}"), 0);
}

static void
test_seq_order(void **state)
{
	(void)state;
	assert_true(pattern_seq_cmp("b_20261124.002", "b_20261124.010") < 0);
	assert_true(pattern_seq_cmp("b_20261124.999", "b_20261124.1000") < 0);
	assert_true(pattern_seq_cmp("b_20261124.1000", "b_20261125.001") < 0);
	assert_true(pattern_seq_cmp("a.csv", "a.csv") == 0);
	assert_true(pattern_seq_cmp("a.1", "a.01") != 0);
	assert_true(pattern_seq_cmp("a", "a.1") < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_expand_limits),
		cmocka_unit_test(test_has_date),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_seq_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
