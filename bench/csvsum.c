/*
 * csvsum: the floor for any libcsv-based design of xfer's send path.
 *
 *	csvsum FILE
 *
 * Streams FILE through libcsv in 256 KiB read(2) chunks and prints, for
 * each store_id 0..999 that occurs, the number of records and the exact sum
 * of amount in integer cents, as "store_id,count,sum".  It does the least
 * any libcsv aggregation must do (every byte through csv_parse, two fields
 * looked at, no allocation per record), so xfer cannot be much faster than
 * this and should not be much slower.
 *
 * Amounts must have exactly two decimals, as bench/gen.c writes them; the
 * columns are found by name in the header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#define CHUNK		(256 * 1024)
#define NSTORES		1000
#define NO_COL		SIZE_MAX
/* Whole units stay below 10^16, so cents stay below 10^18 < INT64_MAX. */
#define MAX_UNITS	1000000000000000LL

struct csvsum {
	const char *file;
	unsigned long long record;	/* 1 is the header */
	size_t field;			/* index in the current record */
	size_t nfields;			/* the header's */
	size_t col_store, col_amount;
	long store;			/* this record's; -1 until seen */
	int64_t cents;			/* this record's */
	int failed;
	char msg[256];
	uint64_t count[NSTORES];
	int64_t sum[NSTORES];
};

static void
fail_record(struct csvsum *st, const char *what, const char *s, size_t len)
{
	if (st->failed)
		return;
	st->failed = 1;
	if (s == NULL)
		snprintf(st->msg, sizeof(st->msg), "%s: record %llu: %s",
		    st->file, st->record, what);
	else
		snprintf(st->msg, sizeof(st->msg), "%s: record %llu: %s '%.*s'",
		    st->file, st->record, what, len > 64 ? 64 : (int)len, s);
}

static int
parse_store(const char *s, size_t len, long *out)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 4)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v >= NSTORES)
		return -1;
	*out = v;
	return 0;
}

/* "-12.34" -> -1234; exactly two decimals, nothing else. */
static int
parse_cents(const char *s, size_t len, int64_t *out)
{
	int64_t units = 0;
	size_t i = 0, ndig;
	int neg = 0;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (len < i + 4 || s[len - 3] != '.')
		return -1;
	for (ndig = 0; i < len - 3; i++, ndig++) {
		if (s[i] < '0' || s[i] > '9' || units >= MAX_UNITS)
			return -1;
		units = units * 10 + (s[i] - '0');
	}
	if (s[len - 2] < '0' || s[len - 2] > '9' ||
	    s[len - 1] < '0' || s[len - 1] > '9')
		return -1;
	units = units * 100 + (s[len - 2] - '0') * 10 + (s[len - 1] - '0');
	*out = neg ? -units : units;
	return 0;
}

static void
on_field(void *s, size_t len, void *ctx)
{
	struct csvsum *st = ctx;

	if (st->record == 1) {
		if (len == 8 && memcmp(s, "store_id", 8) == 0)
			st->col_store = st->field;
		else if (len == 6 && memcmp(s, "amount", 6) == 0)
			st->col_amount = st->field;
	} else if (st->field == st->col_store) {
		if (parse_store(s, len, &st->store) == -1)
			fail_record(st, "bad store_id", s, len);
	} else if (st->field == st->col_amount) {
		if (parse_cents(s, len, &st->cents) == -1)
			fail_record(st, "bad amount", s, len);
	}
	st->field++;
}

static void
on_record(int term, void *ctx)
{
	struct csvsum *st = ctx;

	(void)term;
	if (st->record == 1) {
		if (st->col_store == NO_COL || st->col_amount == NO_COL)
			fail_record(st, "header lacks store_id or amount",
			    NULL, 0);
		st->nfields = st->field;
	} else if (st->field != st->nfields) {
		fail_record(st, "wrong number of fields", NULL, 0);
	} else if (!st->failed) {
		if (__builtin_add_overflow(st->sum[st->store], st->cents,
		    &st->sum[st->store]))
			fail_record(st, "sum overflows", NULL, 0);
		st->count[st->store]++;
	}
	st->record++;
	st->field = 0;
	st->store = -1;
}

static int
print_sums(const struct csvsum *st)
{
	int64_t c;
	size_t i;

	if (printf("store_id,count,sum\n") < 0)
		return -1;
	for (i = 0; i < NSTORES; i++) {
		if (st->count[i] == 0)
			continue;
		c = st->sum[i];
		if (printf("%zu,%llu,%s%lld.%02lld\n", i,
		    (unsigned long long)st->count[i], c < 0 ? "-" : "",
		    (long long)(c < 0 ? -c : c) / 100,
		    (long long)(c < 0 ? -c : c) % 100) < 0)
			return -1;
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct csv_parser parser;
	struct csvsum *st = NULL;
	char *buf = NULL;
	ssize_t n;
	int fd = -1, parser_ok = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: csvsum FILE\n");
		return 2;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (buf = malloc(CHUNK)) == NULL) {
		fprintf(stderr, "csvsum: cannot allocate: %s\n",
		    strerror(errno));
		goto fail;
	}
	st->file = argv[1];
	st->record = 1;
	st->col_store = st->col_amount = NO_COL;
	st->store = -1;
	if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		fprintf(stderr, "csvsum: cannot initialise libcsv\n");
		goto fail;
	}
	parser_ok = 1;
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "csvsum: cannot open '%s': %s\n", argv[1],
		    strerror(errno));
		goto fail;
	}
	for (;;) {
		if ((n = read(fd, buf, CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "csvsum: cannot read '%s': %s\n",
			    argv[1], strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (csv_parse(&parser, buf, (size_t)n, on_field, on_record,
		    st) != (size_t)n) {
			fprintf(stderr, "csvsum: %s: record %llu: %s\n",
			    argv[1], st->record,
			    csv_strerror(csv_error(&parser)));
			goto fail;
		}
		if (st->failed)
			break;
	}
	if (!st->failed && csv_fini(&parser, on_field, on_record, st) != 0) {
		fprintf(stderr, "csvsum: %s: record %llu: %s\n", argv[1],
		    st->record, csv_strerror(csv_error(&parser)));
		goto fail;
	}
	if (st->failed) {
		fprintf(stderr, "csvsum: %s\n", st->msg);
		goto fail;
	}
	if (print_sums(st) == -1) {
		fprintf(stderr, "csvsum: cannot write output: %s\n",
		    strerror(errno));
		goto fail;
	}
	close(fd);
	csv_free(&parser);
	free(buf);
	free(st);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	if (parser_ok)
		csv_free(&parser);
	free(buf);
	free(st);
	return 1;
}
