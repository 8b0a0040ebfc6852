#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aggregate.h"
#include "buf.h"

#define MAXF 8

/* Build a record from strings; NULL is VAL_NULL, "#x" is the number x. */
struct trec {
	struct value vals[MAXF];
	struct record rec;
};

static const struct record *
mkrec(struct trec *t, unsigned long line, size_t n, const char *const *s)
{
	size_t i;

	assert_true(n <= MAXF);
	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++) {
		if (s[i] == NULL) {
			t->vals[i].ptr = "";
			t->vals[i].kind = VAL_NULL;
		} else if (s[i][0] == '#') {
			t->vals[i].ptr = s[i] + 1;
			t->vals[i].kind = VAL_NUMBER;
		} else {
			t->vals[i].ptr = s[i];
			t->vals[i].kind = VAL_TEXT;
		}
		t->vals[i].len = strlen(t->vals[i].ptr);
	}
	t->rec.n = n;
	t->rec.vals = t->vals;
	t->rec.file = "sales.csv";
	t->rec.line = line;
	t->rec.recno = line - 1;
	return &t->rec;
}

/*
 * Emitted rows as "v|v|v\n" lines; NULL as "~", numbers with a leading
 * "#", so the tests see both the text and the kind of every value.
 */
static int
collect(void *ctx, const struct record *rec, struct xerr *err)
{
	struct buf *b = ctx;
	size_t i;

	(void)err;
	for (i = 0; i < rec->n; i++) {
		if (i > 0)
			assert_int_equal(buf_putc(b, '|'), 0);
		assert_int_equal(strlen(rec->vals[i].ptr), rec->vals[i].len);
		switch (rec->vals[i].kind) {
		case VAL_NULL:
			assert_int_equal(rec->vals[i].len, 0);
			assert_int_equal(buf_putc(b, '~'), 0);
			continue;
		case VAL_NUMBER:
			assert_int_equal(buf_putc(b, '#'), 0);
			break;
		default:
			break;
		}
		assert_int_equal(buf_append(b, rec->vals[i].ptr,
		    rec->vals[i].len), 0);
	}
	return buf_putc(b, '\n');
}

struct row {
	unsigned long line;
	const char *v[MAXF];
};

/* Feed rows, check the input and output columns, emit, compare. */
static void
run(const struct agg_spec *spec, const char *want_in, const char *want_out,
    const struct row *rows, size_t nrows, const char *want)
{
	const char *const *names;
	struct xerr err = { 0 };
	struct trec t;
	struct buf b, cols;
	struct agg *a;
	size_t n, i;

	buf_init(&b, 0);
	buf_init(&cols, 0);
	assert_non_null(a = agg_new(spec));

	names = agg_input_fields(a, &n);
	for (i = 0; i < n; i++)
		buf_printf(&cols, "%s%s", i ? "," : "", names[i]);
	assert_string_equal(cols.data ? cols.data : "", want_in);
	buf_reset(&cols);
	names = agg_output_names(a, &n);
	for (i = 0; i < n; i++)
		buf_printf(&cols, "%s%s", i ? "," : "", names[i]);
	assert_string_equal(cols.data ? cols.data : "", want_out);

	agg_input_fields(a, &n);
	for (i = 0; i < nrows; i++) {
		if (agg_add(a, mkrec(&t, rows[i].line, n, rows[i].v),
		    &err) != 0)
			fail_msg("agg_add row %zu: %s", i, err.msg);
	}
	assert_int_equal(agg_emit(a, collect, &b, &err), 0);
	assert_string_equal(b.data ? b.data : "", want);
	agg_free(a);
	buf_release(&b);
	buf_release(&cols);
}

static void
test_two_keys_sorted(void **state)
{
	static const char *const gb[] = { "store", "sku" };
	static const char *const sum[] = { "qty", "amount" };
	static const char *const min[] = { "price" };
	static const char *const max[] = { "price" };
	static const struct agg_spec spec = {
		gb, 2, "orders", sum, 2, min, 1, max, 1, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const struct row rows[] = {
		/* store, sku, qty, amount, price */
		{ 2, { "20", "b", "1", "1.5", "1.50" } },
		{ 3, { "10", "b", "2", "2.25", "2.00" } },
		{ 4, { "20", "b", "3", "-0.5", "0.75" } },
		{ 5, { "2", "a", "1", "1", "9" } },
		{ 6, { "10", "a", "1", "0.10", "3" } },
		{ 7, { "10", "b", "1", "0.10", "2.5" } },
		{ 8, { "20", "a", "4", "4.000", "1e1" } },
		{ 9, { "1", "z", "1", "1", "1" } },
	};

	(void)state;
	/* "10" < "2" < "20" bytewise; a shorter prefix sorts first. */
	run(&spec, "store,sku,qty,amount,price",
	    "store,sku,orders,qty,amount,min_price,max_price",
	    rows, sizeof(rows) / sizeof(rows[0]),
	    /* Each column at the most decimals seen in its field
	     * (amount 3, price 2), in plain notation (1e1 is 10.00). */
	    "1|z|#1|#1|#1.000|#1.00|#1.00\n"
	    "10|a|#1|#1|#0.100|#3.00|#3.00\n"
	    "10|b|#2|#3|#2.350|#2.00|#2.50\n"
	    "2|a|#1|#1|#1.000|#9.00|#9.00\n"
	    "20|a|#1|#4|#4.000|#10.00|#10.00\n"
	    "20|b|#2|#4|#1.000|#0.75|#1.50\n");
}

static void
test_field_in_several_roles(void **state)
{
	static const char *const gb[] = { "store" };
	static const char *const sum[] = { "amount", "qty" };
	static const char *const min[] = { "amount" };
	static const char *const max[] = { "amount", "store" };
	static const struct agg_spec spec = {
		gb, 1, NULL, sum, 2, min, 1, max, 2, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const struct row rows[] = {
		/* store, amount, qty */
		{ 2, { "7", "1.50", "1" } },
		{ 3, { "7", "-2", "1" } },
		{ 4, { "7", "1.5", "1" } },
		{ 5, { "5", "0", "1" } },
	};

	(void)state;
	/* Each field is read once; its decimals (amount: 2) hold in every
	 * column it feeds. */
	run(&spec, "store,amount,qty",
	    "store,amount,qty,min_amount,max_amount,max_store",
	    rows, sizeof(rows) / sizeof(rows[0]),
	    "5|#0.00|#1|#0.00|#0.00|#5\n"
	    "7|#1.00|#3|#-2.00|#1.50|#7\n");
}

static void
test_empty_values(void **state)
{
	static const char *const gb[] = { "store" };
	static const char *const sum[] = { "amount" };
	static const char *const min[] = { "amount" };
	static const char *const max[] = { "amount" };
	static const struct agg_spec spec = {
		gb, 1, "n", sum, 1, min, 1, max, 1, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const struct row rows[] = {
		{ 2, { "a", "" } },
		{ 3, { "a", NULL } },
		{ 4, { "b", "" } },
		{ 5, { "b", "2.5" } },
		{ 6, { "b", "" } },
		{ 7, { "", "1" } },
		{ 8, { NULL, "2" } },
		{ 9, { NULL, "3" } },
	};

	(void)state;
	/*
	 * A group with only empty values sums to 0 (at the column's
	 * decimals) and has NULL min/max.  A NULL key and an empty key are
	 * different groups; NULL first.
	 */
	run(&spec, "store,amount", "store,n,amount,min_amount,max_amount",
	    rows, sizeof(rows) / sizeof(rows[0]),
	    "~|#2|#5.0|#2.0|#3.0\n"
	    "|#1|#1.0|#1.0|#1.0\n"
	    "a|#2|#0.0|~|~\n"
	    "b|#3|#2.5|#2.5|#2.5\n");
}

static void
test_key_kinds(void **state)
{
	static const char *const gb[] = { "id", "flag" };
	static const struct agg_spec spec = {
		gb, 2, "n", NULL, 0, NULL, 0, NULL, 0, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const struct row rows[] = {
		{ 2, { "#5", "x" } },
		{ 3, { "5", "x" } },
		{ 4, { "6", "x" } },
		{ 5, { "#6", "x" } },
		{ 6, { "#6", NULL } },
	};

	(void)state;
	/* The same bytes group together; the first record's kind stays. */
	run(&spec, "id,flag", "id,flag,n", rows,
	    sizeof(rows) / sizeof(rows[0]),
	    "#5|x|#2\n"
	    "#6|~|#1\n"
	    "6|x|#2\n");
}

static void
test_count_only(void **state)
{
	static const struct agg_spec spec = {
		NULL, 0, "records", NULL, 0, NULL, 0, NULL, 0, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const struct row rows[] = {
		{ 2, { NULL } }, { 3, { NULL } }, { 4, { NULL } },
	};

	(void)state;
	run(&spec, "", "records", rows, 3, "#3\n");
}

static void
test_sum_without_group_by(void **state)
{
	static const char *const sum[] = { "amount" };
	static const struct agg_spec spec = {
		NULL, 0, NULL, sum, 1, NULL, 0, NULL, 0, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const struct row rows[] = {
		{ 2, { "1.5" } }, { 3, { "2.25" } }, { 4, { "#1e2" } },
	};

	(void)state;
	run(&spec, "amount", "amount", rows, 3, "#103.75\n");
}

static int
never_called(void *ctx, const struct record *rec, struct xerr *err)
{
	(void)ctx;
	(void)rec;
	(void)err;
	fail_msg("emit called with no groups");
	return -1;
}

static void
test_no_groups(void **state)
{
	static const char *const gb[] = { "store" };
	static const char *const sum[] = { "amount" };
	static const struct agg_spec spec = {
		gb, 1, "n", sum, 1, NULL, 0, NULL, 0, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const struct agg_spec count_only = {
		NULL, 0, "n", NULL, 0, NULL, 0, NULL, 0, 0, 0, DECIMAL_HALF_EVEN,
	};
	struct xerr err = { 0 };
	struct agg *a;

	(void)state;
	assert_non_null(a = agg_new(&spec));
	assert_int_equal(agg_ngroups(a), 0);
	assert_int_equal(agg_emit(a, never_called, NULL, &err), 0);
	agg_free(a);
	assert_non_null(a = agg_new(&count_only));
	assert_int_equal(agg_emit(a, never_called, NULL, &err), 0);
	agg_free(a);
	agg_free(NULL);
}

static void
test_errors(void **state)
{
	static const char *const gb[] = { "store" };
	static const char *const sum[] = { "amount" };
	static const char *const max[] = { "price" };
	static const struct agg_spec spec = {
		gb, 1, "n", sum, 1, NULL, 0, max, 1, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const struct {
		struct row row;
		const char *want;
	} t[] = {
		{ { 17, { "a", "abc", "1" } },
		    "sales.csv:17: value 'abc' in 'amount' is not a number" },
		{ { 18, { "a", "1", "1,5" } },
		    "sales.csv:18: value '1,5' in 'price' is not a number" },
		{ { 19, { "a", " 1", "1" } },
		    "sales.csv:19: value ' 1' in 'amount' is not a number" },
		{ { 20, { "a", "1\n2\t\x01\x7f", "1" } },
		    "sales.csv:20: value '1\\n2\\t\\x01\\x7f' in 'amount' "
		    "is not a number" },
		{ { 21, { "a", "true", "1" } },
		    "sales.csv:21: value 'true' in 'amount' is not a number" },
		/* Cut at 64 bytes, but not inside the two-byte "\xc3\xa9". */
		{ { 22, { "a",
		    "0123456789012345678901234567890123456789012345678901234567890"
		    "1\xc3\xa9xxxxxxxxx", "1" } },
		    "sales.csv:22: value '0123456789012345678901234567890123456789"
		    "0123456789012345678901\xc3\xa9...' in 'amount' "
		    "is not a number" },
		{ { 23, { "a",
		    "0123456789012345678901234567890123456789012345678901234567890"
		    "12\xc3\xa9xxxxxxxxx", "1" } },
		    "sales.csv:23: value '0123456789012345678901234567890123456789"
		    "01234567890123456789012...' in 'amount' is not a number" },
		{ { 24, { "a", "170141183460469231731687303715884105727", "1" } },
		    "sales.csv:24: sum of 'amount' overflows" },
	};
	static const char *const first[] = { "a", "1", "1" };
	struct xerr err = { 0 };
	struct buf b;
	struct trec tr;
	struct agg *a;
	size_t i;

	(void)state;
	assert_non_null(a = agg_new(&spec));
	assert_int_equal(agg_add(a, mkrec(&tr, 2, 3, first), &err), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		xerr_clear(&err);
		assert_int_equal(agg_add(a, mkrec(&tr, t[i].row.line, 3,
		    t[i].row.v), &err), -1);
		assert_int_equal(err.cls, XERR_DATA);
		assert_string_equal(err.msg, t[i].want);
	}
	/* A rejected number changed nothing; the overflow row counted. */
	buf_init(&b, 0);
	assert_int_equal(agg_emit(a, collect, &b, &err), 0);
	assert_string_equal(b.data, "a|#2|#1|#1\n");
	buf_release(&b);

	/* A record of the wrong width is refused. */
	assert_int_equal(agg_add(a, mkrec(&tr, 30, 2, first), &err), -1);
	assert_string_equal(err.msg,
	    "sales.csv:30: record has 2 fields, the aggregation reads 3");
	agg_free(a);
}

static int
fail_second(void *ctx, const struct record *rec, struct xerr *err)
{
	int *calls = ctx;

	(void)rec;
	if (++*calls == 2)
		return xerr_set(err, XERR_TEMP, 0, "disk full");
	return 0;
}

static void
test_emit_stops_on_error(void **state)
{
	static const char *const gb[] = { "k" };
	static const struct agg_spec spec = {
		gb, 1, "n", NULL, 0, NULL, 0, NULL, 0, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const char *const k[][1] = { { "a" }, { "b" }, { "c" } };
	struct xerr err = { 0 };
	struct trec t;
	struct agg *a;
	int calls = 0;
	size_t i;

	(void)state;
	assert_non_null(a = agg_new(&spec));
	for (i = 0; i < 3; i++)
		assert_int_equal(agg_add(a, mkrec(&t, i + 2, 1, k[i]), &err),
		    0);
	assert_int_equal(agg_emit(a, fail_second, &calls, &err), -1);
	assert_int_equal(calls, 2);
	assert_string_equal(err.msg, "disk full");
	agg_free(a);
}

/* Enough groups to grow the table many times; every count must be right. */
static void
test_many_groups(void **state)
{
	static const char *const gb[] = { "k" };
	static const char *const sum[] = { "v" };
	static const char *const min[] = { "v" };
	static const struct agg_spec spec = {
		gb, 1, "n", sum, 1, min, 1, NULL, 0, 0, 0, DECIMAL_HALF_EVEN,
	};
	enum { NG = 20000, ROUNDS = 3 };
	struct xerr err = { 0 };
	char key[64], val[32], prev[64], *bar;
	size_t klen, prevlen = 0;
	int c;
	const char *v[2] = { key, val };
	struct trec t;
	struct buf b;
	struct agg *a;
	size_t i, r, line = 0;
	char *p, *nl;

	(void)state;
	assert_non_null(a = agg_new(&spec));
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NG; i++) {
			/* Keys of mixed length, including long ones. */
			snprintf(key, sizeof(key), "%zu%s", (i * 7919) % NG,
			    i % 3 ? "" : "-a-rather-long-key-suffix");
			snprintf(val, sizeof(val), "%zu.%zu", r, i % 10);
			assert_int_equal(agg_add(a, mkrec(&t, ++line + 1, 2, v),
			    &err), 0);
		}
	}
	assert_int_equal(agg_ngroups(a), NG);
	buf_init(&b, 0);
	assert_int_equal(agg_emit(a, collect, &b, &err), 0);
	/* Sorted by key, unique, each with ROUNDS records. */
	for (p = b.data, i = 0; *p != '\0'; p = nl + 1, i++) {
		nl = strchr(p, '\n');
		bar = strchr(p, '|');
		assert_non_null(nl);
		assert_non_null(bar);
		klen = (size_t)(bar - p);
		if (i > 0) {
			c = memcmp(prev, p, prevlen < klen ? prevlen : klen);
			assert_true(c < 0 || (c == 0 && prevlen < klen));
		}
		assert_true(strncmp(bar, "|#3|#", 5) == 0);
		assert_non_null(strstr(bar, "|#0."));
		assert_true(klen < sizeof(prev));
		memcpy(prev, p, klen);
		prevlen = klen;
	}
	assert_int_equal(i, NG);
	buf_release(&b);
	agg_free(a);
}

/*
 * Keys are hashed and compared in place, a word or two at a time when
 * short: keys that differ in a single byte, at every position of every
 * length from 0 to 40, must all be groups of their own, with one and two
 * group_by fields, and a NULL apart from an empty value.
 */
static void
test_keys_differ_in_one_byte(void **state)
{
	static const char *const gb1[] = { "k" };
	static const char *const gb2[] = { "k", "j" };
	static const char *const sum[] = { "v" };
	static const struct agg_spec specs[] = {
		{ gb1, 1, "n", sum, 1, NULL, 0, NULL, 0, 0, 0,
		    DECIMAL_HALF_EVEN },
		{ gb2, 2, "n", sum, 1, NULL, 0, NULL, 0, 0, 0,
		    DECIMAL_HALF_EVEN },
	};
	struct xerr err = { 0 };
	char key[41];
	const char *v[3];
	struct trec t;
	struct buf b;
	struct agg *a;
	size_t sp, len, i, r, want, nin, lines;
	const char *p;

	(void)state;
	for (sp = 0; sp < 2; sp++) {
		assert_non_null(a = agg_new(&specs[sp]));
		agg_input_fields(a, &nin);
		v[0] = key;
		v[1] = sp == 0 ? "1" : "j";
		v[2] = "1";
		want = 0;
		/* Twice, so that each key must find its group again. */
		for (r = 0; r < 2; r++) {
			for (len = 0; len <= 40; len++) {
				memset(key, 'a', len);
				key[len] = '\0';
				assert_int_equal(agg_add(a, mkrec(&t, 2, nin,
				    v), &err), 0);
				want += r == 0;
				for (i = 0; i < len; i++) {
					key[i] = 'b';
					assert_int_equal(agg_add(a, mkrec(&t, 2,
					    nin, v), &err), 0);
					key[i] = 'a';
					want += r == 0;
				}
			}
		}
		v[0] = NULL;
		assert_int_equal(agg_add(a, mkrec(&t, 2, nin, v), &err), 0);
		want++;
		assert_int_equal(agg_ngroups(a), want);
		buf_init(&b, 0);
		assert_int_equal(agg_emit(a, collect, &b, &err), 0);
		/* The NULL key first, then the rest, each twice. */
		assert_true(strncmp(b.data, "~|", 2) == 0);
		for (p = strchr(b.data, '\n') + 1, lines = 1; *p != '\0';
		    p = strchr(p, '\n') + 1, lines++)
			assert_non_null(strstr(p, sp == 0 ? "|#2|#2\n" :
			    "|j|#2|#2\n"));
		assert_int_equal(lines, want);
		buf_release(&b);
		agg_free(a);
	}
}

/*
 * The group is looked up before the values are parsed: a record with a
 * new key and a bad value must still create no group.
 */
static void
test_bad_value_new_key(void **state)
{
	static const char *const gb[] = { "store" };
	static const char *const sum[] = { "amount" };
	static const struct agg_spec spec = {
		gb, 1, "n", sum, 1, NULL, 0, NULL, 0, 0, 0, DECIMAL_HALF_EVEN,
	};
	static const char *const good[] = { "a", "1.5" };
	static const char *const bad[] = { "new", "1.5x" };
	struct xerr err = { 0 };
	struct trec t;
	struct buf b;
	struct agg *a;

	(void)state;
	assert_non_null(a = agg_new(&spec));
	assert_int_equal(agg_add(a, mkrec(&t, 2, 2, good), &err), 0);
	assert_int_equal(agg_add(a, mkrec(&t, 3, 2, bad), &err), -1);
	assert_string_equal(err.msg,
	    "sales.csv:3: value '1.5x' in 'amount' is not a number");
	assert_int_equal(agg_ngroups(a), 1);
	assert_int_equal(agg_add(a, mkrec(&t, 4, 2, good), &err), 0);
	buf_init(&b, 0);
	assert_int_equal(agg_emit(a, collect, &b, &err), 0);
	assert_string_equal(b.data, "a|#2|#3.0\n");
	buf_release(&b);
	agg_free(a);
}

/*
 * Money formatting: one value per group, so sum, min and max show the
 * same rounding.  A fixed scale rounds half-even (ties to the even digit)
 * or half-up (ties away from zero); without one, every value of a column
 * gets the most decimals seen in its field and nothing is rounded.
 */
static void
test_scale_rounding(void **state)
{
	static const char *const gb[] = { "k" };
	static const char *const v[] = { "v" };
	static const char *const in[][2] = {
		{ "a", "2.5" }, { "b", "3.5" }, { "c", "-2.5" },
		{ "d", "0.25" }, { "e", "-0.35" }, { "f", "-0.004" },
		{ "g", "1.4999" }, { "h", "12.20" }, { "i", "17.7" },
		{ "j", "1e3" },
		/* 36 digits before the point: far beyond any money. */
		{ "k", "170141183460469231731687303715884105.727" },
	};
	static const struct {
		int scale_set, scale;
		enum decimal_rounding mode;
		const char *want;	/* each group's value, by key */
	} t[] = {
		{ 0, 0, DECIMAL_HALF_EVEN, "2.5000 3.5000 -2.5000 0.2500 "
		    "-0.3500 -0.0040 1.4999 12.2000 17.7000 1000.0000 "
		    "170141183460469231731687303715884105.7270" },
		{ 1, 0, DECIMAL_HALF_EVEN, "2 4 -2 0 0 0 1 12 18 1000 "
		    "170141183460469231731687303715884106" },
		{ 1, 0, DECIMAL_HALF_UP, "3 4 -3 0 0 0 1 12 18 1000 "
		    "170141183460469231731687303715884106" },
		{ 1, 1, DECIMAL_HALF_EVEN, "2.5 3.5 -2.5 0.2 -0.4 0.0 1.5 "
		    "12.2 17.7 1000.0 170141183460469231731687303715884105.7" },
		{ 1, 1, DECIMAL_HALF_UP, "2.5 3.5 -2.5 0.3 -0.4 0.0 1.5 "
		    "12.2 17.7 1000.0 170141183460469231731687303715884105.7" },
		{ 1, 2, DECIMAL_HALF_UP, "2.50 3.50 -2.50 0.25 -0.35 0.00 "
		    "1.50 12.20 17.70 1000.00 "
		    "170141183460469231731687303715884105.73" },
		{ 1, 4, DECIMAL_EXACT, "2.5000 3.5000 -2.5000 0.2500 "
		    "-0.3500 -0.0040 1.4999 12.2000 17.7000 1000.0000 "
		    "170141183460469231731687303715884105.7270" },
		{ 1, 18, DECIMAL_HALF_EVEN, "2.500000000000000000 "
		    "3.500000000000000000 -2.500000000000000000 "
		    "0.250000000000000000 -0.350000000000000000 "
		    "-0.004000000000000000 1.499900000000000000 "
		    "12.200000000000000000 17.700000000000000000 "
		    "1000.000000000000000000 170141183460469231731687303715884"
		    "105.727000000000000000" },
	};
	struct agg_spec spec = { gb, 1, NULL, v, 1, v, 1, v, 1, 0, 0,
		DECIMAL_HALF_EVEN };
	struct xerr err = { 0 };
	struct buf b, want;
	struct trec tr;
	struct agg *a;
	const char *p, *sp;
	size_t i, r, n;

	(void)state;
	for (r = 0; r < sizeof(t) / sizeof(t[0]); r++) {
		spec.scale_set = t[r].scale_set;
		spec.scale = t[r].scale;
		spec.rounding = t[r].mode;
		assert_non_null(a = agg_new(&spec));
		for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
			assert_int_equal(agg_add(a, mkrec(&tr, i + 2, 2,
			    in[i]), &err), 0);
		buf_init(&b, 0);
		buf_init(&want, 0);
		assert_int_equal(agg_emit(a, collect, &b, &err), 0);
		for (i = 0, p = t[r].want; i < sizeof(in) / sizeof(in[0]);
		    i++, p = sp + 1) {
			sp = strchr(p, ' ');
			n = sp ? (size_t)(sp - p) : strlen(p);
			buf_printf(&want, "%s|#%.*s|#%.*s|#%.*s\n", in[i][0],
			    (int)n, p, (int)n, p, (int)n, p);
			if (sp == NULL)
				break;
		}
		if (strcmp(b.data, want.data) != 0)
			fail_msg("row %zu: got\n%swant\n%s", r, b.data,
			    want.data);
		buf_release(&b);
		buf_release(&want);
		agg_free(a);
	}
}

static int
count_calls(void *ctx, const struct record *rec, struct xerr *err)
{
	(void)rec;
	(void)err;
	++*(int *)ctx;
	return 0;
}

/*
 * rounding = error: a value that would lose a digit fails the emit before
 * any group is handed on, naming the column, the group and the value;
 * dropping zeros is not rounding.
 */
static void
test_scale_error(void **state)
{
	static const char *const gb[] = { "store", "sku" };
	static const char *const sum[] = { "amount" };
	static const char *const max[] = { "price" };
	static const struct agg_spec spec = {
		gb, 2, "n", sum, 1, NULL, 0, max, 1, 1, 2, DECIMAL_EXACT,
	};
	static const struct agg_spec total = {
		NULL, 0, NULL, sum, 1, NULL, 0, NULL, 0, 1, 1, DECIMAL_EXACT,
	};
	static const char *const r1[] = { "s1", "a", "1.100", "2" };
	static const char *const r2[] = { "s1", NULL, "0.005", "9.999" };
	static const char *const r3[] = { "s2", "b", "-3", "2.5" };
	struct xerr err = { 0 };
	struct trec t;
	struct agg *a;
	int calls = 0;

	(void)state;
	assert_non_null(a = agg_new(&spec));
	assert_int_equal(agg_add(a, mkrec(&t, 2, 4, r1), &err), 0);
	assert_int_equal(agg_add(a, mkrec(&t, 3, 4, r3), &err), 0);
	assert_int_equal(agg_emit(a, count_calls, &calls, &err), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(agg_add(a, mkrec(&t, 4, 4, r2), &err), 0);
	calls = 0;
	assert_int_equal(agg_emit(a, count_calls, &calls, &err), -1);
	assert_int_equal(calls, 0);
	assert_int_equal(err.cls, XERR_DATA);
	/* The NULL sku sorts first: its sum is the first value to fail. */
	assert_string_equal(err.msg, "column 'amount' of group store='s1', "
	    "sku=NULL: value 0.005 has more than 2 decimals and rounding = "
	    "error refuses to round it (raise scale, or choose half-even or "
	    "half-up)");
	agg_free(a);

	assert_non_null(a = agg_new(&total));
	assert_int_equal(agg_add(a, mkrec(&t, 2, 1, &r1[2]), &err), 0);
	assert_int_equal(agg_add(a, mkrec(&t, 3, 1, &r2[2]), &err), 0);
	assert_int_equal(agg_emit(a, count_calls, &calls, &err), -1);
	assert_string_equal(err.msg, "column 'amount': value 1.105 has more "
	    "than 1 decimal and rounding = error refuses to round it (raise "
	    "scale, or choose half-even or half-up)");
	agg_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_keys_sorted),
		cmocka_unit_test(test_field_in_several_roles),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_key_kinds),
		cmocka_unit_test(test_count_only),
		cmocka_unit_test(test_sum_without_group_by),
		cmocka_unit_test(test_no_groups),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_emit_stops_on_error),
		cmocka_unit_test(test_many_groups),
		cmocka_unit_test(test_keys_differ_in_one_byte),
		cmocka_unit_test(test_bad_value_new_key),
		cmocka_unit_test(test_scale_rounding),
		cmocka_unit_test(test_scale_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
