#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "decimal.h"

static void
parse_ok(const char *s, struct decimal *d)
{
	if (decimal_parse(s, strlen(s), d) != 0)
		fail_msg("decimal_parse('%s') failed", s);
}

static const char *
fmt(const struct decimal *d, char buf[DECIMAL_STRLEN])
{
	size_t n = decimal_format(d, buf);

	assert_int_equal(n, strlen(buf));
	return buf;
}

static void
test_parse_valid(void **state)
{
	static const struct {
		const char *in;
		const char *want;	/* decimal_format() of the result */
		int scale;
	} t[] = {
		{ "0", "0", 0 },
		{ "3", "3", 0 },
		{ "-12.50", "-12.50", 2 },
		{ "+7", "7", 0 },
		{ "-0", "0", 0 },
		{ "-0.00", "0.00", 2 },
		{ ".5", "0.5", 1 },
		{ "-.5", "-0.5", 1 },
		{ "5.", "5", 0 },
		{ "007.10", "7.10", 2 },
		{ "1e3", "1000", 0 },
		{ "1E+3", "1000", 0 },
		{ "2.5E-2", "0.025", 3 },
		{ "-2.5e1", "-25", 0 },
		{ "1.25e1", "12.5", 1 },
		{ "0e400", "0", 0 },
		{ "1e-30", "0.000000000000000000000000000001", 30 },
		{ "123456789012345678901234567890", "123456789012345678901234567890",
		    0 },
		{ "999999999999999999999999999999.99",
		    "999999999999999999999999999999.99", 2 },
		/* The largest and smallest mantissas that fit in 128 bits. */
		{ "170141183460469231731687303715884105727",
		    "170141183460469231731687303715884105727", 0 },
		{ "-170141183460469231731687303715884105727",
		    "-170141183460469231731687303715884105727", 0 },
		{ "1.70141183460469231731687303715884105727e38",
		    "170141183460469231731687303715884105727", 0 },
		{ "0.000000000000000000000000000000e5", "0.0000000000000000000000000",
		    25 },
	};
	char buf[DECIMAL_STRLEN];
	struct decimal d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i].in, &d);
		assert_string_equal(fmt(&d, buf), t[i].want);
		assert_int_equal(d.scale, t[i].scale);
	}
}

static void
test_parse_invalid(void **state)
{
	static const char *const t[] = {
		"", ".", "-", "+", "-.", "1e", "1e+", "1e-", "e3", ".e3",
		"1.2.3", " 1", "1 ", "0x10", "inf", "-inf", "nan", "NaN",
		"1,000", "1_000", "--1", "+-1", "1e3.5", "1ee3", "abc", "12a",
		/* Scale above DECIMAL_MAX_SCALE. */
		"0.0000000000000000000000000000001", "1e-31", "0e-400",
		/* Too large for 128 bits. */
		"170141183460469231731687303715884105728",
		"-170141183460469231731687303715884105728",
		"1000000000000000000000000000000000000000",
		"1e39", "1e400", "2e38", "1e99999999999999999999",
	};
	struct decimal d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (decimal_parse(t[i], strlen(t[i]), &d) != -1)
			fail_msg("decimal_parse('%s') accepted", t[i]);
	}
}

static void
test_parse_uses_len(void **state)
{
	struct decimal d;
	char buf[DECIMAL_STRLEN];

	(void)state;
	/* Only the first len bytes count: the rest is another field. */
	assert_int_equal(decimal_parse("12.5,7", 4, &d), 0);
	assert_string_equal(fmt(&d, buf), "12.5");
	/* An embedded NUL is not part of a number. */
	assert_int_equal(decimal_parse("1\0" "2", 3, &d), -1);
}

static void
test_add_table(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} t[] = {
		{ "1.5", "2.25", "3.75" },
		{ "2.25", "1.5", "3.75" },
		{ "0.10", "0.20", "0.30" },
		{ "1", "-1", "0" },
		{ "1.00", "-1", "0.00" },
		{ "-0.5", "0.25", "-0.25" },
		{ "-5", "-7.125", "-12.125" },
		{ "0", "0.000", "0.000" },
		{ "1e3", "0.001", "1000.001" },
		{ "999999999999999999999999999999", "1",
		    "1000000000000000000000000000000" },
		{ "1000000000000000000000000000000.5",
		    "-1000000000000000000000000000000.25", "0.25" },
		{ "85070591730234615865843651857942052863",
		    "85070591730234615865843651857942052864",
		    "170141183460469231731687303715884105727" },
		{ "0.000000000000000000000000000001", "12345678",
		    "12345678.000000000000000000000000000001" },
	};
	char buf[DECIMAL_STRLEN];
	struct decimal a, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i].a, &a);
		parse_ok(t[i].b, &b);
		if (decimal_add(&a, &b) != 0)
			fail_msg("%s + %s overflowed", t[i].a, t[i].b);
		assert_string_equal(fmt(&a, buf), t[i].want);
	}
}

static void
test_add_overflow(void **state)
{
	static const struct {
		const char *a, *b;
	} t[] = {
		{ "170141183460469231731687303715884105727", "1" },
		{ "-170141183460469231731687303715884105727", "-2" },
		{ "85070591730234615865843651857942052864",
		    "85070591730234615865843651857942052864" },
		/* Aligning scales overflows: 10^30 * 10^30. */
		{ "1000000000000000000000000000000",
		    "0.000000000000000000000000000001" },
		{ "0.000000000000000000000000000001",
		    "1000000000000000000000000000000" },
		{ "170141183460469231731687303715884105727", "0.1" },
	};
	char before[DECIMAL_STRLEN], after[DECIMAL_STRLEN];
	struct decimal a, b;
	size_t i;
	int scale;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i].a, &a);
		parse_ok(t[i].b, &b);
		fmt(&a, before);
		scale = a.scale;
		if (decimal_add(&a, &b) != -1)
			fail_msg("%s + %s did not overflow", t[i].a, t[i].b);
		/* The accumulator is left as it was. */
		assert_string_equal(fmt(&a, after), before);
		assert_int_equal(a.scale, scale);
	}
}

static void
test_million_dimes(void **state)
{
	char buf[DECIMAL_STRLEN];
	struct decimal acc = { 0, 0 }, x;
	long i;

	(void)state;
	parse_ok("0.10", &x);
	for (i = 0; i < 1000000; i++)
		assert_int_equal(decimal_add(&acc, &x), 0);
	assert_string_equal(fmt(&acc, buf), "100000.00");
}

static void
test_cmp(void **state)
{
	static const struct {
		const char *a, *b;
		int want;
	} t[] = {
		{ "1", "1", 0 },
		{ "1.50", "1.5", 0 },
		{ "-0", "0.000", 0 },
		{ "1.5", "1.49", 1 },
		{ "-1.5", "-1.49", -1 },
		{ "2", "10", -1 },
		{ "-2", "1", -1 },
		{ "0.000000000000000000000000000001", "0", 1 },
		/* Scaling one side overflows: its sign decides. */
		{ "170141183460469231731687303715884105727",
		    "0.000000000000000000000000000001", 1 },
		{ "-170141183460469231731687303715884105727",
		    "0.000000000000000000000000000001", -1 },
		{ "0.000000000000000000000000000001",
		    "170141183460469231731687303715884105727", -1 },
		{ "0.000000000000000000000000000001",
		    "-170141183460469231731687303715884105727", 1 },
		{ "999999999999999999999999999999.999",
		    "1000000000000000000000000000000", -1 },
	};
	struct decimal a, b;
	int r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i].a, &a);
		parse_ok(t[i].b, &b);
		r = decimal_cmp(&a, &b);
		if ((r > 0) - (r < 0) != t[i].want)
			fail_msg("cmp(%s, %s) = %d, want %d", t[i].a, t[i].b,
			    r, t[i].want);
		r = decimal_cmp(&b, &a);
		if ((r > 0) - (r < 0) != -t[i].want)
			fail_msg("cmp(%s, %s) = %d, want %d", t[i].b, t[i].a,
			    r, -t[i].want);
	}
}

static void
test_format_extremes(void **state)
{
	char buf[DECIMAL_STRLEN];
	struct decimal d;
	size_t n;

	(void)state;
	/* The most negative 128-bit value, at the largest scale. */
	d.v = -(__int128)(((unsigned __int128)1 << 127) - 1) - 1;
	d.scale = DECIMAL_MAX_SCALE;
	n = decimal_format(&d, buf);
	assert_string_equal(buf,
	    "-170141183.460469231731687303715884105728");
	assert_true(n < DECIMAL_STRLEN);
	d.v = -5;
	d.scale = 3;
	assert_string_equal(fmt(&d, buf), "-0.005");
	d.v = 0;
	d.scale = 2;
	assert_string_equal(fmt(&d, buf), "0.00");
}

/*
 * decimal_round() then decimal_format_fixed(), as the aggregation prints a
 * column with a fixed scale.  NULL under a mode: the value needs rounding
 * and that mode (EXACT) refuses.
 */
static void
test_round_table(void **state)
{
	static const struct {
		const char *in;
		int scale;
		const char *even, *up, *exact;
	} t[] = {
		/* Ties: half-even to the even digit, half-up away from 0. */
		{ "2.5", 0, "2", "3", NULL },
		{ "3.5", 0, "4", "4", NULL },
		{ "-2.5", 0, "-2", "-3", NULL },
		{ "-3.5", 0, "-4", "-4", NULL },
		{ "0.5", 0, "0", "1", NULL },
		{ "-0.5", 0, "0", "-1", NULL },
		{ "0.25", 1, "0.2", "0.3", NULL },
		{ "0.35", 1, "0.4", "0.4", NULL },
		{ "-0.25", 1, "-0.2", "-0.3", NULL },
		{ "0.125", 2, "0.12", "0.13", NULL },
		{ "-0.135", 2, "-0.14", "-0.14", NULL },
		{ "2.675", 2, "2.68", "2.68", NULL },	/* 2.67499.. in binary */
		/* Not ties: both modes agree. */
		{ "1.4999", 0, "1", "1", NULL },
		{ "1.5001", 0, "2", "2", NULL },
		{ "-1.26", 1, "-1.3", "-1.3", NULL },
		{ "0.2501", 1, "0.3", "0.3", NULL },
		/* Rounding to zero never leaves a sign. */
		{ "-0.004", 2, "0.00", "0.00", NULL },
		{ "-0.005", 2, "0.00", "-0.01", NULL },
		{ "-0.0000001", 0, "0", "0", NULL },
		{ "-0.00", 1, "0.0", "0.0", "0.0" },
		/* Dropping zeros is not rounding; fewer decimals get zeros. */
		{ "12.500", 2, "12.50", "12.50", "12.50" },
		{ "17.7", 2, "17.70", "17.70", "17.70" },
		{ "1e3", 2, "1000.00", "1000.00", "1000.00" },
		{ "-42", 0, "-42", "-42", "-42" },
		{ "0", 18, "0.000000000000000000", "0.000000000000000000",
		    "0.000000000000000000" },
		/* A carry runs through every digit. */
		{ "9999.995", 2, "10000.00", "10000.00", NULL },
		{ "-0.95", 0, "-1", "-1", NULL },
		/* Large values: nothing overflows. */
		{ "170141183460469231731687303715884105727", 30,
		    "170141183460469231731687303715884105727."
		    "000000000000000000000000000000",
		    "170141183460469231731687303715884105727."
		    "000000000000000000000000000000",
		    "170141183460469231731687303715884105727."
		    "000000000000000000000000000000" },
		{ "-17014118346046923173168730371588410572.7", 0,
		    "-17014118346046923173168730371588410573",
		    "-17014118346046923173168730371588410573", NULL },
		{ "1.701411834604692317316873037158", 0, "2", "2",
		    NULL },
		{ "1e-30", 0, "0", "0", NULL },
		{ "5e-30", 29, "0.00000000000000000000000000000",
		    "0.00000000000000000000000000001", NULL },
	};
	static const enum decimal_rounding modes[] = { DECIMAL_HALF_EVEN,
		DECIMAL_HALF_UP, DECIMAL_EXACT };
	char buf[DECIMAL_STRLEN];
	struct decimal d, r;
	const char *want;
	size_t i, m, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i].in, &d);
		for (m = 0; m < 3; m++) {
			want = m == 0 ? t[i].even : m == 1 ? t[i].up :
			    t[i].exact;
			r.v = 12345;
			r.scale = 7;
			rc = decimal_round(&d, t[i].scale, modes[m], &r);
			if (want == NULL) {
				if (rc != -1)
					fail_msg("%s at %d, mode %zu: rounded",
					    t[i].in, t[i].scale, m);
				/* Untouched on refusal. */
				assert_true(r.v == 12345 && r.scale == 7);
				continue;
			}
			if (rc != 0)
				fail_msg("%s at %d, mode %zu: refused",
				    t[i].in, t[i].scale, m);
			assert_true(r.scale <= t[i].scale);
			n = decimal_format_fixed(&r, t[i].scale, buf);
			assert_int_equal(n, strlen(buf));
			assert_true(n < DECIMAL_STRLEN);
			if (strcmp(buf, want) != 0)
				fail_msg("%s at %d, mode %zu: got %s, want %s",
				    t[i].in, t[i].scale, m, buf, want);
		}
	}
}

/* The longest text decimal_format_fixed() can make fits the buffer. */
static void
test_format_fixed_longest(void **state)
{
	char buf[DECIMAL_STRLEN];
	struct decimal d;
	size_t n;

	(void)state;
	d.v = -(__int128)(((unsigned __int128)1 << 127) - 1) - 1;
	d.scale = 0;
	n = decimal_format_fixed(&d, DECIMAL_MAX_SCALE, buf);
	assert_int_equal(n, 1 + 39 + 1 + DECIMAL_MAX_SCALE);
	assert_true(n < DECIMAL_STRLEN);
	assert_int_equal(memcmp(buf, "-170141183460469231731687303715884105728."
	    "000", 44), 0);
	/* A scale already reached is left alone. */
	d.v = 150;
	d.scale = 2;
	decimal_format_fixed(&d, 2, buf);
	assert_string_equal(buf, "1.50");
	decimal_format_fixed(&d, 1, buf);	/* misuse: never cuts */
	assert_string_equal(buf, "1.50");
}

/*
 * Plain numbers of up to 19 digits take a 64-bit path, longer ones and
 * exponents the 128-bit one: around the border both must agree with the
 * text.
 */
static void
test_parse_plain_border(void **state)
{
	static const struct {
		const char *in;
		const char *want;
		int scale;
	} t[] = {
		{ "999999999999999999", "999999999999999999", 0 },
		{ "9999999999999999999", "9999999999999999999", 0 },
		{ "-9999999999999999999", "-9999999999999999999", 0 },
		{ "18446744073709551615", "18446744073709551615", 0 },
		{ "18446744073709551616", "18446744073709551616", 0 },
		{ "99999999999999999999", "99999999999999999999", 0 },
		{ "999999999.9999999999", "999999999.9999999999", 10 },
		{ "9999999999.999999999", "9999999999.999999999", 9 },
		{ "0000000000000000000001", "1", 0 },
		{ "-.0000000000000000001", "-0.0000000000000000001", 19 },
		{ ".00000000000000000001", "0.00000000000000000001", 20 },
		{ "+.5", "0.5", 1 },
		{ "+0.", "0", 0 },
	};
	char buf[DECIMAL_STRLEN];
	struct decimal d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		parse_ok(t[i].in, &d);
		assert_string_equal(fmt(&d, buf), t[i].want);
		assert_int_equal(d.scale, t[i].scale);
	}
}

/*
 * Random "[-+]digits[.digits]" of 1 to 30 digits, against what the text
 * says: the digits without leading zeros, the fraction's length as the
 * scale.  Either parse path may take each of them.
 */
static void
test_parse_plain_random(void **state)
{
	char in[40], want[DECIMAL_STRLEN], buf[DECIMAL_STRLEN];
	unsigned long long x = 7;
	size_t nint, nfrac, n, w, i, lead, start;
	struct decimal d;
	int iter, neg;

	(void)state;
	for (iter = 0; iter < 200000; iter++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		nint = (size_t)(x >> 33) % 20;
		nfrac = (x >> 40) % 3 == 0 ? 0 : (size_t)(x >> 45) % 11;
		if (nint + nfrac == 0)
			nint = 1;
		neg = (x >> 50) % 3 == 0;
		n = 0;
		if (neg || (x >> 52) % 5 == 0)
			in[n++] = neg ? '-' : '+';
		start = n;
		for (i = 0; i < nint + nfrac; i++) {
			if (i == nint)
				in[n++] = '.';
			x = x * 6364136223846793005ULL +
			    1442695040888963407ULL;
			/* Runs of zeros and nines, at the ends too. */
			in[n++] = (char)((x >> 60) < 4 ? '0' : (x >> 60) < 8 ?
			    '9' : '0' + (int)((x >> 33) % 10));
		}
		if (nfrac == 0 && (x >> 55) % 4 == 0)
			in[n++] = '.';
		in[n] = '\0';

		/* decimal_format() of the value: the digits, the point put
		 * back, at least one digit before it, no "-" for zero. */
		w = 0;
		for (i = 0, lead = 1; i < nint; i++) {
			if (lead && in[start + i] == '0' && i + 1 < nint)
				continue;
			lead = 0;
			want[w++] = in[start + i];
		}
		if (nint == 0)
			want[w++] = '0';
		if (nfrac > 0) {
			want[w++] = '.';
			memcpy(want + w, in + n - nfrac, nfrac);
			w += nfrac;
		}
		want[w] = '\0';
		if (neg && strspn(want, "0.") != w) {
			memmove(want + 1, want, w + 1);
			want[0] = '-';
		}

		if (decimal_parse(in, n, &d) != 0)
			fail_msg("decimal_parse('%s') failed", in);
		if (strcmp(fmt(&d, buf), want) != 0 ||
		    d.scale != (int)nfrac)
			fail_msg("'%s': got '%s' scale %d, want '%s' scale %zu",
			    in, buf, d.scale, want, nfrac);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_uses_len),
		cmocka_unit_test(test_parse_plain_border),
		cmocka_unit_test(test_parse_plain_random),
		cmocka_unit_test(test_add_table),
		cmocka_unit_test(test_add_overflow),
		cmocka_unit_test(test_million_dimes),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_format_extremes),
		cmocka_unit_test(test_round_table),
		cmocka_unit_test(test_format_fixed_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
