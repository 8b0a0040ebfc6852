/*
 * test_layout: field specs, the checks after load, numbers in fixed
 * fields both ways, computed values, totals and the trailer check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

static int
parse(const char *spec, struct layout_field *f, char *why, size_t size)
{
	return layout_field_parse("f", spec, 7, f, why, size);
}

static void
test_parse_specs(void **state)
{
	struct layout_field f;
	char why[256];

	(void)state;
	assert_int_equal(parse("20 text right truncate", &f, why,
	    sizeof(why)), 0);
	assert_int_equal(f.width, 20);
	assert_int_equal(f.type, LT_TEXT);
	assert_true(f.right && f.truncate);
	assert_string_equal(f.arg, "f");	/* the data field: the key */
	layout_field_release(&f);

	assert_int_equal(parse("text field=holder_name", &f, why,
	    sizeof(why)), 0);
	assert_int_equal(f.width, 0);
	assert_string_equal(f.arg, "holder_name");
	layout_field_release(&f);

	assert_int_equal(parse("13 number decimals=2 sign=trailing", &f, why,
	    sizeof(why)), 0);
	assert_int_equal(f.decimals, 2);
	assert_int_equal(f.sign, LS_TRAILING);
	layout_field_release(&f);

	assert_int_equal(parse("5 number", &f, why, sizeof(why)), 0);
	assert_int_equal(f.decimals, 0);
	assert_int_equal(f.sign, LS_NONE);
	layout_field_release(&f);

	/* Quoted: spaces kept, \" and \\ inside. */
	assert_int_equal(parse("6 const \" a \\\"b\"", &f, why, sizeof(why)),
	    0);
	assert_string_equal(f.arg, " a \"b");
	layout_field_release(&f);

	assert_int_equal(parse("8 date \"%Y %m\"", &f, why, sizeof(why)), 0);
	assert_string_equal(f.arg, "%Y %m");
	layout_field_release(&f);

	assert_int_equal(parse("7 count all", &f, why, sizeof(why)), 0);
	assert_true(f.all);
	layout_field_release(&f);

	assert_int_equal(parse("3 filler 0", &f, why, sizeof(why)), 0);
	assert_true(f.zero);
	layout_field_release(&f);

	assert_int_equal(parse("15 sum amount sign=leading", &f, why,
	    sizeof(why)), 0);
	assert_string_equal(f.arg, "amount");
	assert_int_equal(f.decimals, -1);	/* from the record's field */
	layout_field_release(&f);
}

static void
expect_bad(const char *spec, const char *msg)
{
	struct layout_field f;
	char why[256];

	why[0] = '\0';
	assert_int_equal(parse(spec, &f, why, sizeof(why)), -1);
	layout_field_release(&f);
	if (strstr(why, msg) == NULL)
		fail_msg("'%s': got '%s', expected '%s'", spec, why, msg);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	expect_bad("", "expected [WIDTH] TYPE");
	expect_bad("10", "expected a type after the width");
	expect_bad("0 text", "width must be 1 to 65536 bytes, not 0");
	expect_bad("99999999 text", "width must be 1 to");
	expect_bad("10 string", "unknown type 'string'");
	expect_bad("10 text decimals=2", "text takes no option 'decimals'");
	expect_bad("10 number decimals=x", "decimals must be 0 to 18");
	expect_bad("10 number decimals=19", "decimals must be 0 to 18");
	expect_bad("10 number sign=both", "sign must be none, leading or "
	    "trailing");
	expect_bad("10 text right right", "option 'right' given twice");
	expect_bad("10 const", "const needs its text");
	expect_bad("10 const \"abc", "unterminated \"");
	expect_bad("10 const \"a\"b", "expected a blank after the closing");
	expect_bad("8 date", "date needs a format");
	expect_bad("8 sum", "sum needs the field to sum");
	expect_bad("10 text \"x\"", "unexpected \"x\"");
	expect_bad("10 text frob", "unknown option 'frob' for text");
}

struct probs {
	char msg[8][300];
	int n;
};

static void
collect(void *ctx, unsigned line, const char *msg)
{
	struct probs *p = ctx;

	(void)line;
	if (p->n < 8)
		snprintf(p->msg[p->n++], sizeof(p->msg[0]), "%s", msg);
}

static int
has(const struct probs *p, const char *s)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (strstr(p->msg[i], s) != NULL)
			return 1;
	return 0;
}

static struct job_layouts *
make(const char *const *lines)
{
	struct job_layouts *ls = layouts_new();
	enum layout_part p = LAYOUT_RECORD;
	char name[64], why[256];
	const char *eq;
	size_t i;

	assert_non_null(ls);
	for (i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '[') {
			p = layout_part_of(strncmp(lines[i], "[header]", 8) ==
			    0 ? "header" : strncmp(lines[i], "[trailer]", 9) ==
			    0 ? "trailer" : "record");
			layouts_section(ls, p, (unsigned)i + 1);
			continue;
		}
		eq = strchr(lines[i], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - lines[i]),
		    lines[i]);
		if (layouts_add(ls, p, name, eq + 1, (unsigned)i + 1, why,
		    sizeof(why)) != 0)
			fail_msg("%s: %s", lines[i], why);
	}
	return ls;
}

static void
test_checks(void **state)
{
	static const char *const bank[] = { "[header]", "t=1 const H",
		"d=8 date %Y%m%d", "[record]", "t=1 const D", "name=10 text",
		"amount=10 number decimals=2", "[trailer]", "t=1 const T",
		"n=5 count", "total=12 sum amount", NULL };
	static const char *const csvish[] = { "[header]", "d=date %Y%m%d",
		"n=count", "[trailer]", "total=sum amount", "w=10 const X",
		NULL };
	static const char *const widths[] = { "[header]", "h=2 const HDR",
		"[record]", "a=5 text", "[trailer]", "t=4 const T", NULL };
	struct layout_use u = { FMT_FIXED, RECORD_END_CRLF, TEXTENC_CP949, 1 };
	struct job_layouts *ls;
	struct probs p;

	(void)state;
	memset(&p, 0, sizeof(p));
	ls = make(bank);
	assert_int_equal(layouts_check(ls, &u, collect, &p), 0);
	/* A sum's decimals come from the [record] field. */
	assert_int_equal(ls->part[LAYOUT_TRAILER].f[2].decimals, 2);
	assert_int_equal(ls->part[LAYOUT_RECORD].width, 21);
	/* csv: no [record], no widths. */
	u.format = FMT_CSV;
	assert_int_equal(layouts_check(ls, &u, collect, &p), 1);
	assert_true(has(&p, "[record]: only used with format = fixed"));
	layouts_free(ls);

	memset(&p, 0, sizeof(p));
	ls = make(csvish);
	assert_int_equal(layouts_check(ls, &u, collect, &p), 2);
	assert_true(has(&p, "[header] 'n': count is only possible in "
	    "[trailer]"));
	assert_true(has(&p, "[trailer] 'w': no width with format = csv"));
	/* fixed: widths and [record] required. */
	memset(&p, 0, sizeof(p));
	u.format = FMT_FIXED;
	assert_int_equal(layouts_check(ls, &u, collect, &p), 1);
	assert_true(has(&p, "format = fixed needs a [record] section"));
	u.format = FMT_JSONL;
	memset(&p, 0, sizeof(p));
	assert_int_equal(layouts_check(ls, &u, collect, &p), 1);
	assert_true(has(&p, "only used with format = fixed, csv or xml"));
	layouts_free(ls);

	/* record_end = none: equal widths; a const that does not fit. */
	memset(&p, 0, sizeof(p));
	ls = make(widths);
	u.format = FMT_FIXED;
	u.record_end = RECORD_END_NONE;
	assert_int_equal(layouts_check(ls, &u, collect, &p), 3);
	assert_true(has(&p, "[record]: 5 bytes wide, the others 2"));
	assert_true(has(&p, "[trailer]: 4 bytes wide"));
	assert_true(has(&p, "[header] 'h': const 'HDR' is 3 bytes in CP949, "
	    "the field 2"));
	layouts_free(ls);
}

static void
test_send_refuses_data_in_trailer(void **state)
{
	static const char *const l[] = { "[record]", "a=5 text", "[trailer]",
		"x=5 text", "s=5 sum nope", NULL };
	struct layout_use u = { FMT_FIXED, RECORD_END_LF, TEXTENC_UTF8, 1 };
	struct job_layouts *ls;
	struct probs p;

	(void)state;
	memset(&p, 0, sizeof(p));
	ls = make(l);
	assert_int_equal(layouts_check(ls, &u, collect, &p), 2);
	assert_true(has(&p, "[trailer] 'x': a send job has no data"));
	assert_true(has(&p, "[trailer] 's': sum of 'nope': [record] has no "
	    "such field"));
	/* A receive job reads such a field. */
	memset(&p, 0, sizeof(p));
	u.send = 0;
	assert_int_equal(layouts_check(ls, &u, collect, &p), 1);
	layouts_free(ls);
}

static void
number_out(const char *spec, const char *in, const char *want)
{
	struct layout_field f;
	char why[256];
	struct buf b;

	assert_int_equal(parse(spec, &f, why, sizeof(why)), 0);
	buf_init(&b, 0);
	if (want[0] == '!') {
		assert_int_equal(layout_number_fixed(&f, in, strlen(in), &b,
		    why, sizeof(why)), -1);
		if (strstr(why, want + 1) == NULL)
			fail_msg("%s <- %s: '%s'", spec, in, why);
	} else {
		if (layout_number_fixed(&f, in, strlen(in), &b, why,
		    sizeof(why)) != 0)
			fail_msg("%s <- %s: %s", spec, in, why);
		assert_int_equal(b.len, f.width);
		assert_string_equal(b.data, want);
	}
	buf_release(&b);
	layout_field_release(&f);
}

static void
number_in(const char *spec, const char *in, const char *want)
{
	struct layout_field f;
	char why[256];
	struct buf b;

	assert_int_equal(parse(spec, &f, why, sizeof(why)), 0);
	buf_init(&b, 0);
	if (want[0] == '!') {
		assert_int_equal(layout_number_read(&f, in, strlen(in), &b,
		    why, sizeof(why)), -1);
		if (strstr(why, want + 1) == NULL)
			fail_msg("%s -> %s: '%s'", spec, in, why);
	} else {
		if (layout_number_read(&f, in, strlen(in), &b, why,
		    sizeof(why)) != 0)
			fail_msg("%s -> %s: %s", spec, in, why);
		assert_string_equal(b.data, want);
	}
	buf_release(&b);
	layout_field_release(&f);
}

static void
test_numbers(void **state)
{
	(void)state;
	number_out("10 number decimals=2", "12.5", "0000001250");
	number_out("10 number decimals=2", "0.05", "0000000005");
	number_out("10 number", "0", "0000000000");
	number_out("5 number", "12345", "12345");
	number_out("5 number", "123456", "!needs 6 digits, the field has 5");
	number_out("10 number decimals=2", "1.005", "!more than 2 decimals");
	number_out("10 number", "-3", "!negative and the field has no sign");
	number_out("6 number sign=leading", "-3", "-00003");
	number_out("6 number sign=leading", "3", "+00003");
	number_out("6 number sign=trailing decimals=1", "-3.5", "00035-");
	number_out("6 number", "1e3", "001000");
	number_out("6 number", "abc", "!'abc' is not a number");
	number_out("3 number decimals=2", "1.50", "150");

	number_in("10 number decimals=2", "0000001250", "12.50");
	number_in("10 number decimals=2", "0000000005", "0.05");
	number_in("4 number decimals=4", "0005", "0.0005");
	number_in("3 number decimals=4", "005", "0.0005");
	number_in("10 number", "0000000000", "0");
	number_in("6 number sign=leading", "-00003", "-3");
	number_in("6 number sign=leading", "+00003", "3");
	number_in("6 number sign=leading", " 00003", "3");
	number_in("6 number sign=leading", "-00000", "0");
	number_in("6 number sign=trailing decimals=1", "00035-", "-3.5");
	number_in("6 number", "00 003", "!is not a number of 6 digits");
	number_in("6 number sign=leading", "*00003", "!sign '*' is not");
}

static void
test_values_totals_verify(void **state)
{
	static const char *const l[] = { "[header]", "d=8 date %Y%m%d",
		"[record]", "name=10 text", "amount=10 number decimals=2",
		"[trailer]", "k=1 const T", "n=5 count", "all=5 count all",
		"total=12 sum amount sign=leading", "s=3 seq", NULL };
	static const char *const names[] = { "name", "amount" };
	struct layout_use u = { FMT_FIXED, RECORD_END_LF, TEXTENC_UTF8, 0 };
	const struct layout *tr;
	struct job_layouts *ls;
	struct layout_totals t;
	struct layout_ctx c;
	struct value vals[2], tv[5];
	struct record rec;
	struct probs p;
	struct xerr err;
	struct buf b;
	int i;

	(void)state;
	memset(&p, 0, sizeof(p));
	ls = make(l);
	assert_int_equal(layouts_check(ls, &u, collect, &p), 0);
	tr = &ls->part[LAYOUT_TRAILER];
	assert_int_equal(layout_totals_init(&t, ls, &err), 0);
	assert_int_equal(layout_totals_bind(&t, ls, names, 2, 0, &err), 0);
	memset(&rec, 0, sizeof(rec));
	rec.n = 2;
	rec.vals = vals;
	rec.names = names;
	rec.file = "f";
	vals[0] = (struct value){ "a", 1, VAL_TEXT };
	vals[1] = (struct value){ "0.10", 4, VAL_TEXT };
	/* A million tenths are exactly 100000.00, never float. */
	for (i = 0; i < 1000000; i++)
		assert_int_equal(layout_totals_add(&t, ls, &rec, &err), 0);
	vals[1] = (struct value){ "-0.5", 4, VAL_TEXT };
	assert_int_equal(layout_totals_add(&t, ls, &rec, &err), 0);
	vals[1] = (struct value){ "x", 1, VAL_TEXT };
	rec.recno = 7;
	assert_int_equal(layout_totals_add(&t, ls, &rec, &err), -1);
	assert_non_null(strstr(err.msg, "f, record 7: 'x' in 'amount' is not "
	    "a number"));
	t.records--;	/* the refused one */

	memset(&c, 0, sizeof(c));
	c.ls = ls;
	c.date = bdate_from_ymd(2026, 11, 24);
	c.seq = 2;
	c.totals = &t;
	buf_init(&b, 0);
	assert_int_equal(layout_value(&ls->part[LAYOUT_HEADER].f[0], &c, &b,
	    &err), 0);
	assert_string_equal(b.data, "20261124");
	buf_reset(&b);
	assert_int_equal(layout_value(&tr->f[1], &c, &b, &err), 0);
	assert_string_equal(b.data, "1000001");
	buf_reset(&b);
	assert_int_equal(layout_value(&tr->f[2], &c, &b, &err), 0);
	assert_string_equal(b.data, "1000003");	/* with header, trailer */
	buf_reset(&b);
	assert_int_equal(layout_value(&tr->f[3], &c, &b, &err), 0);
	assert_string_equal(b.data, "99999.50");
	buf_reset(&b);
	assert_int_equal(layout_value(&tr->f[4], &c, &b, &err), 0);
	assert_string_equal(b.data, "2");
	buf_release(&b);

	/* The trailer check, as a reader hands it on. */
	tv[0] = (struct value){ "T", 1, VAL_TEXT };
	tv[1] = (struct value){ "1000001", 7, VAL_NUMBER };
	tv[2] = (struct value){ "1000003", 7, VAL_NUMBER };
	tv[3] = (struct value){ "99999.5", 7, VAL_NUMBER };
	tv[4] = (struct value){ "9", 1, VAL_NUMBER };	/* seq: not checked */
	assert_int_equal(layout_verify(LAYOUT_TRAILER, tv, &c, "F", &err), 0);
	tv[1] = (struct value){ "3", 1, VAL_NUMBER };
	assert_int_equal(layout_verify(LAYOUT_TRAILER, tv, &c, "F", &err), -1);
	assert_int_equal(err.cls, XERR_DATA);
	assert_string_equal(err.msg, "'F': trailer 'n' says 3 records, the "
	    "file has 1000001");
	tv[1] = (struct value){ "1000001", 7, VAL_NUMBER };
	tv[3] = (struct value){ "99999.49", 8, VAL_NUMBER };
	assert_int_equal(layout_verify(LAYOUT_TRAILER, tv, &c, "F", &err), -1);
	assert_string_equal(err.msg, "'F': trailer 'total' is 99999.49, the "
	    "records sum to 99999.50");
	tv[3] = (struct value){ "99999.50", 8, VAL_NUMBER };
	tv[0] = (struct value){ "X", 1, VAL_TEXT };
	assert_int_equal(layout_verify(LAYOUT_TRAILER, tv, &c, "F", &err), -1);
	assert_string_equal(err.msg, "'F': trailer 'k' is 'X', expected 'T'");

	/* The header's date: checked only when the name gave the date. */
	tv[0] = (struct value){ "20261123", 8, VAL_TEXT };
	assert_int_equal(layout_verify(LAYOUT_HEADER, tv, &c, "F", &err), 0);
	c.has_date = 1;
	assert_int_equal(layout_verify(LAYOUT_HEADER, tv, &c, "F", &err), -1);
	assert_non_null(strstr(err.msg, "header 'd' is '20261123'"));
	layout_totals_release(&t);
	layouts_free(ls);
}

static void
test_sum_too_many_decimals(void **state)
{
	static const char *const l[] = { "[trailer]", "total=sum amount "
		"decimals=1", NULL };
	static const char *const names[] = { "amount" };
	struct layout_use u = { FMT_CSV, RECORD_END_LF, TEXTENC_UTF8, 1 };
	struct job_layouts *ls;
	struct layout_totals t;
	struct layout_ctx c;
	struct value v = { "1.25", 4, VAL_TEXT };
	struct record rec;
	struct probs p;
	struct xerr err;
	struct buf b;

	(void)state;
	memset(&p, 0, sizeof(p));
	ls = make(l);
	assert_int_equal(layouts_check(ls, &u, collect, &p), 0);
	assert_int_equal(layout_totals_init(&t, ls, &err), 0);
	assert_int_equal(layout_totals_bind(&t, ls, names, 1, 0, &err), 0);
	memset(&rec, 0, sizeof(rec));
	rec.n = 1;
	rec.vals = &v;
	rec.names = names;
	assert_int_equal(layout_totals_add(&t, ls, &rec, &err), 0);
	memset(&c, 0, sizeof(c));
	c.ls = ls;
	c.totals = &t;
	buf_init(&b, 0);
	assert_int_equal(layout_value(&ls->part[LAYOUT_TRAILER].f[0], &c, &b,
	    &err), -1);
	assert_string_equal(err.msg, "[trailer] 'total': the sum 1.25 has "
	    "more than 1 decimal");
	buf_release(&b);
	/* A column that is not there. */
	assert_int_equal(layout_totals_bind(&t, ls, names + 1, 0, 0, &err),
	    -1);
	assert_string_equal(err.msg, "[trailer] 'total': the data has no "
	    "field 'amount' to sum");
	layout_totals_release(&t);
	layouts_free(ls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_specs),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_send_refuses_data_in_trailer),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_values_totals_verify),
		cmocka_unit_test(test_sum_too_many_decimals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
