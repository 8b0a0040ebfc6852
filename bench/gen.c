/*
 * gen: write the sales CSVs that make bench reads.
 *
 *	gen ROWS > sales.csv		the send benchmark's file (run.sh)
 *	gen --db ROWS > dbsales.csv	the database benchmark's file (db.sh)
 *
 * Columns: date,store_id,sku,qty,amount,note.  Every row is dated
 * 2026-11-24 (the batch date of the bench job); store_id is 0..999; about
 * 1% of rows are refunds with negative qty and amount; about 5% of notes
 * hold a quoted comma and about 0.5% a doubled quote, so the parser under
 * test cannot take a fast path that ignores quoting.
 *
 * The rows come from one fixed-seed splitmix64 stream, so the first N rows
 * of a bigger file are exactly the file of N rows: run.sh cuts the 1M-row
 * file with head and either way gets the same bytes.  Every amount has
 * exactly two decimals because the correctness check sums integer cents by
 * deleting the point.
 *
 * With --db the columns are store_id,sku,qty,amount,sold_at,note: the same
 * mix of values (one more draw a row: its second of the day, so not the
 * same rows), the batch date moved into sold_at, a time of 2026-11-24 in UTC
 * written without a zone ("2026-11-24 13:45:07") because MariaDB's LOAD
 * DATA takes no offset; db.sh runs both servers' sessions in UTC.  Every
 * field loads unchanged into numeric/decimal, integer and timestamp
 * columns of PostgreSQL and MariaDB.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSTORES		1000
#define NSKUS		50000
#define OUTBUF		(1 << 20)
#define ROWMAX		256	/* longest row below is about 110 bytes */
#define MAXROWS		10000000000LL

static const char *const plain_notes[] = {
	"express", "member", "promo", "pickup", "weekend",
};

static const char *const comma_notes[] = {
	"\"gift, wrapped\"",
	"\"fragile, handle with care\"",
	"\"red, size M\"",
	"\"call first, then deliver\"",
};

static const char *const quote_notes[] = {
	"\"customer said \"\"thanks\"\"\"",
	"\"\"\"rush\"\" order\"",
	"\"ask for \"\"Kim\"\", back door\"",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct out {
	FILE *fp;
	char *buf;
	size_t len;
};

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z;

	z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The modulo bias of n <= 50000 out of 2^64 is far below anything a
 * benchmark could notice. */
static uint64_t
below(uint64_t *state, uint64_t n)
{
	return splitmix64(state) % n;
}

static char *
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* snprintf costs more than the rest of the row together. */
static char *
put_uint(char *p, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static int
flush_out(struct out *o)
{
	if (o->len > 0 && fwrite(o->buf, 1, o->len, o->fp) != o->len)
		return -1;
	o->len = 0;
	return 0;
}

static const char *
pick_note(uint64_t *state)
{
	uint64_t r = below(state, 1000);

	if (r < 50)
		return comma_notes[below(state, NELEM(comma_notes))];
	if (r < 55)
		return quote_notes[below(state, NELEM(quote_notes))];
	if (r < 200)
		return plain_notes[below(state, NELEM(plain_notes))];
	return "";
}

/* "2026-11-24 HH:MM:SS" for a second of the day. */
static char *
put_sold_at(char *p, uint64_t second)
{
	p = put_str(p, "2026-11-24 ");
	p = put_uint(p, second / 3600, 2);
	*p++ = ':';
	p = put_uint(p, second / 60 % 60, 2);
	*p++ = ':';
	return put_uint(p, second % 60, 2);
}

static char *
put_row(char *p, uint64_t *state, int db)
{
	uint64_t store, sku, qty, unit, cents;
	int refund;

	store = below(state, NSTORES);
	sku = below(state, NSKUS);
	qty = 1 + below(state, 5);
	unit = 99 + below(state, 19901);	/* 0.99 .. 199.99 */
	refund = below(state, 100) == 0;
	cents = qty * unit;

	if (!db)
		p = put_str(p, "2026-11-24,");
	p = put_uint(p, store, 0);
	p = put_str(p, ",SKU");
	p = put_uint(p, sku, 5);
	*p++ = ',';
	if (refund)
		*p++ = '-';
	p = put_uint(p, qty, 0);
	*p++ = ',';
	if (refund)
		*p++ = '-';
	p = put_uint(p, cents / 100, 0);
	*p++ = '.';
	p = put_uint(p, cents % 100, 2);
	*p++ = ',';
	if (db) {
		p = put_sold_at(p, below(state, 86400));
		*p++ = ',';
	}
	p = put_str(p, pick_note(state));
	*p++ = '\n';
	return p;
}

static int
parse_rows(const char *s, long long *rows)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > MAXROWS)
		return -1;
	*rows = v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct out o = { stdout, NULL, 0 };
	uint64_t state = 20261124;
	long long rows, i;
	int db = argc == 3 && strcmp(argv[1], "--db") == 0;

	if (argc != 2 + db || parse_rows(argv[1 + db], &rows) == -1) {
		fprintf(stderr, "usage: gen [--db] ROWS > FILE  "
		    "(ROWS 0..%lld)\n", MAXROWS);
		return 2;
	}
	if ((o.buf = malloc(OUTBUF)) == NULL) {
		fprintf(stderr, "gen: cannot allocate buffer: %s\n",
		    strerror(errno));
		return 1;
	}
	o.len = (size_t)(put_str(o.buf, db ?
	    "store_id,sku,qty,amount,sold_at,note\n" :
	    "date,store_id,sku,qty,amount,note\n") - o.buf);
	for (i = 0; i < rows; i++) {
		if (OUTBUF - o.len < ROWMAX && flush_out(&o) == -1)
			goto fail;
		o.len = (size_t)(put_row(o.buf + o.len, &state, db) - o.buf);
	}
	if (flush_out(&o) == -1 || fflush(o.fp) == EOF || ferror(o.fp))
		goto fail;
	free(o.buf);
	return 0;
fail:
	fprintf(stderr, "gen: cannot write output: %s\n", strerror(errno));
	free(o.buf);
	return 1;
}
