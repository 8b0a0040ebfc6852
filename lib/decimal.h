/*
 * decimal: exact decimal numbers for sums, never binary floating point.
 *
 * A value is v / 10^scale with a 128-bit v.  Parsing accepts an optional
 * sign, digits, an optional fraction and an optional exponent
 * ("-12.50", "3", ".5", "1e3", "2.5E-2"); nothing else (no spaces, no
 * thousands separators, no "inf"/"nan").  Results keep the largest scale
 * seen, so a million "0.10" sum to exactly "100000.00".
 */
#ifndef XFER_DECIMAL_H
#define XFER_DECIMAL_H

#include <stddef.h>

#define DECIMAL_MAX_SCALE 30
#define DECIMAL_STRLEN 64	/* enough for any formatted decimal */

struct decimal {
	__int128 v;
	int scale;		/* 0..DECIMAL_MAX_SCALE */
};

/* 0, or -1 when s is not a number or does not fit. */
int decimal_parse(const char *s, size_t len, struct decimal *d);

/* acc += x; 0, or -1 on overflow (acc unchanged). */
int decimal_add(struct decimal *acc, const struct decimal *x);

/* <0, 0, >0 like strcmp, by numeric value. */
int decimal_cmp(const struct decimal *a, const struct decimal *b);

/* Plain notation with exactly d->scale fraction digits, e.g. "-0.50".
 * Returns the length. */
size_t decimal_format(const struct decimal *d, char out[DECIMAL_STRLEN]);

#endif
