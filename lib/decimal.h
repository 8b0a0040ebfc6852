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
/*
 * Enough for any formatted decimal: a sign, the 39 digits of a 128-bit
 * mantissa, a point, and up to DECIMAL_MAX_SCALE zeros that
 * decimal_format_fixed() appends, and the NUL.
 */
#define DECIMAL_STRLEN 80

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

/*
 * How decimal_round() drops digits.  HALF_UP rounds a tie away from zero
 * (2.5 -> 3, -2.5 -> -3: the commercial rule); HALF_EVEN rounds a tie to
 * the even neighbour (2.5 -> 2, 3.5 -> 4, -2.5 -> -2: banker's rounding,
 * no drift over many sums); EXACT refuses to drop a digit that is not 0.
 */
enum decimal_rounding {
	DECIMAL_HALF_EVEN,
	DECIMAL_HALF_UP,
	DECIMAL_EXACT,
};

/*
 * d with at most scale (0..DECIMAL_MAX_SCALE) fraction digits into *out:
 * rounded by mode when d has more, else d itself (its scale kept; let
 * decimal_format_fixed() add the zeros, which cannot overflow).  Never
 * overflows.  A result of zero has no sign ("-0.004" -> 0).  Returns 0, or
 * -1 under DECIMAL_EXACT when a digit other than 0 would be dropped
 * (*out untouched).
 */
int decimal_round(const struct decimal *d, int scale,
    enum decimal_rounding mode, struct decimal *out);

/*
 * Plain notation with exactly scale fraction digits, for a d with at most
 * that many (decimal_round() first): "1.5" at scale 3 is "1.500".  Returns
 * the length.
 */
size_t decimal_format_fixed(const struct decimal *d, int scale,
    char out[DECIMAL_STRLEN]);

#endif
