/*
 * csvin's fast path against libcsv: plain lines are split by csvin itself,
 * everything else by libcsv, and the two must never differ.  This file
 * includes lib/format/csvin.c to reach read_fd(), which can leave every byte to
 * libcsv; each input is read both ways and the records, line numbers,
 * header calls, return code and error message must be identical.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <sys/mman.h>

#include "buf.h"
#include "format/csvin.c"

/* Everything a reader hands out, as text. */
struct trace {
	struct buf out;
	unsigned long stop_at;		/* the record callback fails here */
	unsigned long calls;
};

static void
put_bytes(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == '\\')
			buf_printf(b, "\\x%02x", (unsigned char)s[i]);
		else
			buf_putc(b, s[i]);
	}
}

static int
trace_rec(void *ctx, const struct record *rec, struct xerr *err)
{
	struct trace *t = ctx;
	size_t i;

	t->calls++;
	buf_printf(&t->out, "R %lu %lu %lu %zu:", rec->recno, rec->line,
	    record_line(rec), rec->n);
	for (i = 0; i < rec->n; i++) {
		assert_int_equal(rec->vals[i].ptr[rec->vals[i].len], '\0');
		buf_printf(&t->out, " %s=%d/%zu/", rec->names[i],
		    (int)rec->vals[i].kind, rec->vals[i].len);
		put_bytes(&t->out, rec->vals[i].ptr, rec->vals[i].len);
	}
	buf_putc(&t->out, '\n');
	if (t->stop_at != 0 && t->calls == t->stop_at)
		return xerr_set(err, XERR_TEMP, 0, "stopped at %lu",
		    rec->recno);
	return 0;
}

static int
trace_header(void *ctx, const char *file, const char *const *names,
    size_t n, struct xerr *err)
{
	struct trace *t = ctx;
	size_t i;

	(void)err;
	buf_printf(&t->out, "H %s %zu:", file, n);
	for (i = 0; i < n; i++) {
		buf_putc(&t->out, ' ');
		put_bytes(&t->out, names[i], strlen(names[i]));
	}
	buf_putc(&t->out, '\n');
	return 0;
}

/* Read data with or without the fast path; the trace into out. */
static void
read_trace(const char *data, size_t len, const struct csvin_opts *o,
    unsigned long stop_at, int fast, struct buf *out)
{
	struct trace t;
	struct xerr err;
	int fd, rc;

	fd = memfd_create("t.csv", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	memset(&t, 0, sizeof(t));
	t.out = *out;
	t.stop_at = stop_at;
	xerr_clear(&err);
	rc = read_fd(fd, "t.csv", o, trace_rec, &t, &err, fast);
	close(fd);
	buf_printf(&t.out, "= %d", rc);
	if (rc == -1)
		buf_printf(&t.out, " %s %d %s", err.cls == XERR_DATA ? "data" :
		    "other", err.sys_errno, err.msg);
	buf_putc(&t.out, '\n');
	*out = t.out;
}

/* Read data both ways and fail with both traces when they differ. */
static void
same_both_ways(const char *data, size_t len, const struct csvin_opts *o,
    unsigned long stop_at)
{
	struct buf fast, slow, in;

	buf_init(&fast, 0);
	buf_init(&slow, 0);
	read_trace(data, len, o, stop_at, 1, &fast);
	read_trace(data, len, o, stop_at, 0, &slow);
	if (fast.len != slow.len || memcmp(fast.data, slow.data,
	    fast.len) != 0) {
		buf_init(&in, 0);
		put_bytes(&in, data, len > 2000 ? 2000 : len);
		buf_putc(&in, '\0');
		buf_putc(&fast, '\0');
		buf_putc(&slow, '\0');
		fail_msg("input: %s\nfast path:\n%s\nlibcsv only:\n%s",
		    in.data, fast.data, slow.data);
	}
	buf_release(&fast);
	buf_release(&slow);
}

static uint64_t
next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The option sets every input is read with. */
struct optset {
	char delim;
	const char *const *want;
	size_t nwant;
	size_t max_field;
	const char *const *names;	/* no header line */
	size_t nnames;
	int lenient;			/* quotes = lenient */
};

static const char *const want_ba[] = { "b", "a" };
static const char *const want_c[] = { "c" };
static const char *const want_aa[] = { "a", "a", "b" };
static const char *const names_abc[] = { "a", "b", "c" };

static const struct optset optsets[] = {
	{ 0, NULL, 0, 0, NULL, 0, 0 },
	{ 0, want_ba, 2, 0, NULL, 0, 0 },
	{ 0, want_c, 1, 0, NULL, 0, 0 },
	{ 0, want_aa, 3, 0, NULL, 0, 0 },
	{ 0, NULL, 0, 3, NULL, 0, 0 },
	{ 0, want_ba, 2, 2, NULL, 0, 0 },
	{ ';', NULL, 0, 0, NULL, 0, 0 },
	{ '\t', want_ba, 2, 0, NULL, 0, 0 },
	{ ' ', NULL, 0, 0, NULL, 0, 0 },
	{ 0, NULL, 0, 0, names_abc, 3, 0 },
	{ 0, want_c, 1, 2, names_abc, 3, 0 },
	{ 0, NULL, 0, 0, NULL, 0, 1 },
	{ ';', want_ba, 2, 0, NULL, 0, 1 },
	{ ' ', NULL, 0, 3, NULL, 0, 1 },
};
#define NOPTSETS (sizeof(optsets) / sizeof(optsets[0]))

static void
opts_from(const struct optset *s, struct csvin_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->delim = s->delim;
	o->want = s->want;
	o->nwant = s->nwant;
	o->max_field = s->max_field;
	o->names = s->names;
	o->nnames = s->nnames;
	o->lenient_quotes = s->lenient;
	o->on_header = trace_header;
}

/*
 * Short random inputs from an alphabet of every byte that means something
 * to a CSV parser, under a header that the projections can find, so that
 * most lines are plain and the rest hit quotes, blanks, CR, blank lines
 * and ragged rows right next to them.
 */
static void
test_random_small(void **state)
{
	static const char alphabet[] = "abxy12  \t,,,;;\"\"\r\n\n\n";
	static const char *const headers[] = {
		"a,b,c\n", "a;b;c\n", "a\tb\tc\n", "a b c\n", "a,b\r\n",
		"a\n", "\"a\",b,c\n", "",
	};
	uint64_t seed = 42;
	char in[96];
	struct csvin_opts o;
	size_t n, h, i, k;
	int iter;

	(void)state;
	for (iter = 0; iter < 4000; iter++) {
		h = next(&seed) % (sizeof(headers) / sizeof(headers[0]));
		n = strlen(headers[h]);
		memcpy(in, headers[h], n);
		k = n + next(&seed) % (sizeof(in) - n);
		for (i = n; i < k; i++)
			in[i] = alphabet[next(&seed) % (sizeof(alphabet) - 1)];
		for (i = 0; i < NOPTSETS; i++) {
			opts_from(&optsets[i], &o);
			same_both_ways(in, k, &o, 0);
		}
		/* A record callback that fails part way. */
		opts_from(&optsets[0], &o);
		same_both_ways(in, k, &o, 1 + next(&seed) % 3);
	}
}

/*
 * Mostly plain lines, a few MB, so that chunk boundaries fall inside
 * plain lines, CRLFs and quoted fields, with the odd awkward line and a
 * field longer than a chunk.
 */
static void
gen_big(struct buf *b, uint64_t seed)
{
	static const char *const odd[] = {
		"\"q,\"\"x\"\"\nnext\",2,3\n", " 1 ,2,3\n", "1,2\n",
		"1,2,3,4\n", "\n", "\r\n", "1,\t2,3\r\n", "1,2,3\r",
		"1,2,\"\"\n", ",,\n", "x\"y,2,3\n",
	};
	size_t i, j, n;
	uint64_t r;

	buf_puts(b, "a,b,c\n");
	for (i = 0; i < 150000; i++) {
		r = next(&seed);
		if (r % 50 == 0) {
			buf_puts(b, odd[(r >> 8) % (sizeof(odd) /
			    sizeof(odd[0]))]);
			continue;
		}
		if (r % 40000 == 1) {
			for (j = 0; j < 300000; j++)
				buf_putc(b, 'L');
			buf_puts(b, ",2,3\n");
			continue;
		}
		n = (size_t)((r >> 16) % 20);
		for (j = 0; j < n; j++)
			buf_putc(b, (char)('a' + (r >> (j % 40)) % 26));
		buf_printf(b, ",%lu,x y%s", (unsigned long)(r >> 40),
		    r % 3 == 0 ? "\r\n" : "\n");
	}
}

static void
test_random_big(void **state)
{
	struct csvin_opts o;
	struct buf b;
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 3; seed++) {
		buf_init(&b, 0);
		gen_big(&b, seed);
		assert_true(b.len > 3 * CSVIN_CHUNK);
		opts_from(&optsets[0], &o);
		same_both_ways(b.data, b.len, &o, 0);
		opts_from(&optsets[1], &o);
		same_both_ways(b.data, b.len, &o, 0);
		/* A field longer than max_field on a plain line, far in. */
		opts_from(&optsets[0], &o);
		o.max_field = 100000;
		same_both_ways(b.data, b.len, &o, 0);
		opts_from(&optsets[0], &o);
		same_both_ways(b.data, b.len, &o, 100000);
		buf_release(&b);
	}
}

/* What the fast path hands on, spelled out for the cases it decides. */
static void
test_plain_lines(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} tab[] = {
		{ "a,b\n1,2\n",
		  "R 1 2 2 2: a=1/1/1 b=1/1/2\n= 0\n" },
		{ "a,b\r\n1,2\r\n3,4\r\n",
		  "R 1 2 2 2: a=1/1/1 b=1/1/2\n"
		  "R 2 3 3 2: a=1/1/3 b=1/1/4\n= 0\n" },
		{ "a,b\n,\n\n x, y \n",
		  "R 1 2 2 2: a=1/0/ b=1/0/\n"
		  "R 2 4 4 2: a=1/2/ x b=1/3/ y \n= 0\n" },
		{ "a,b\n1,2,3\n",
		  "= -1 data 0 t.csv:2: record has 3 fields, header has 2\n" },
		{ "a,b\n1,2\n3\n",
		  "R 1 2 2 2: a=1/1/1 b=1/1/2\n"
		  "= -1 data 0 t.csv:3: record has 1 field, header has 2\n" },
		{ "a,b\n1,abcd\n",
		  "= -1 data 0 t.csv:2: field longer than 3 bytes\n" },
		{ "a,b\n1,2\rx,y\n",
		  "R 1 2 2 2: a=1/1/1 b=1/1/2\n"
		  "R 2 2 2 2: a=1/1/x b=1/1/y\n= 0\n" },
	};
	struct csvin_opts o;
	struct buf got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.max_field = i == 5 ? 3 : 0;
		buf_init(&got, 0);
		read_trace(tab[i].in, strlen(tab[i].in), &o, 0, 1, &got);
		buf_putc(&got, '\0');
		if (strcmp(got.data, tab[i].want) != 0)
			fail_msg("case %zu: got\n%swant\n%s", i, got.data,
			    tab[i].want);
		buf_release(&got);
		same_both_ways(tab[i].in, strlen(tab[i].in), &o, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
