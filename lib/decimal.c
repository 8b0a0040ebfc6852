/*
 * decimal: exact decimal arithmetic on a 128-bit mantissa.
 *
 * The aggregation calls decimal_parse() and decimal_add() once per record
 * and summed field, so both stay branch-light: digits accumulate without a
 * multiply-overflow builtin (a compare against a precomputed bound is
 * enough), and adding two values of the same scale is one checked add.
 *
 * Nearly every value in practice is a plain "[-+]digits[.digits]" of at
 * most 19 digits, which fits a uint64 (10^19 - 1 < 2^64): parse_plain()
 * reads those with 64-bit arithmetic and leaves anything else (more
 * digits, an exponent, a stray byte) to the general parser, which gives
 * the same result for what both accept.
 */
#include "decimal.h"

#include <stdint.h>

#define I128_MAX ((__int128)(((unsigned __int128)1 << 127) - 1))

/* 10^18 fits in int64; larger powers are built from it at compile time. */
#define E18 ((__int128)1000000000000000000LL)

static const __int128 pow10_tab[] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	E18, E18 * 10, E18 * 100, E18 * 1000, E18 * 10000, E18 * 100000,
	E18 * 1000000, E18 * 10000000, E18 * 100000000, E18 * 1000000000,
	E18 * 10000000000LL, E18 * 100000000000LL, E18 * 1000000000000LL,
	E18 * 10000000000000LL, E18 * 100000000000000LL,
	E18 * 1000000000000000LL, E18 * 10000000000000000LL,
	E18 * 100000000000000000LL, E18 * E18, E18 * E18 * 10,
	E18 * E18 * 100,
};
#define POW10_MAX ((int)(sizeof(pow10_tab) / sizeof(pow10_tab[0])) - 1)

/* *v * 10^k into *out; 0, or -1 when it does not fit. */
static int
scale_up(__int128 v, int k, __int128 *out)
{
	if (v == 0) {
		*out = 0;
		return 0;
	}
	if (k > POW10_MAX)
		return -1;
	if (__builtin_mul_overflow(v, pow10_tab[k], out))
		return -1;
	return 0;
}

/* Plain notation of at most 19 digits; 0, or -1 to take the long way. */
static inline int
parse_plain(const char *s, size_t len, struct decimal *d)
{
	const char *p = s, *end = s + len, *dot;
	uint64_t m = 0;
	unsigned c;
	int neg = 0;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	/* Too many digits wrap m (unsigned, so defined): checked below. */
	for (; p < end && (c = (unsigned)(*p - '0')) <= 9; p++)
		m = m * 10 + c;
	dot = p;
	if (p < end && *p == '.')
		for (p++; p < end && (c = (unsigned)(*p - '0')) <= 9; p++)
			m = m * 10 + c;
	if (p != end)
		return -1;
	/* The digits: all bytes but the sign and the point. */
	len = (size_t)(end - s) - (size_t)(s < end && (*s == '-' || *s == '+'))
	    - (size_t)(dot < end);
	if (len == 0 || len > 19)
		return -1;
	d->v = neg ? -(__int128)m : (__int128)m;
	d->scale = dot < end ? (int)(end - dot - 1) : 0;
	return 0;
}

int
decimal_parse(const char *s, size_t len, struct decimal *d)
{
	const char *p = s, *end = s + len;
	unsigned __int128 m = 0;
	/* Largest m that can take one more digit without passing I128_MAX. */
	const unsigned __int128 lim = (unsigned __int128)I128_MAX / 10;
	const unsigned lastdig = (unsigned)((unsigned __int128)I128_MAX % 10);
	int neg = 0, ndig = 0, frac = 0, expneg = 0;
	long exp = 0, scale;
	unsigned c;
	__int128 v;

	if (parse_plain(s, len, d) == 0)
		return 0;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end && (c = (unsigned)(*p - '0')) <= 9; p++, ndig++) {
		if (m >= lim && (m > lim || c > lastdig))
			return -1;
		m = m * 10 + c;
	}
	if (p < end && *p == '.') {
		for (p++; p < end && (c = (unsigned)(*p - '0')) <= 9;
		    p++, ndig++, frac++) {
			if (m >= lim && (m > lim || c > lastdig))
				return -1;
			m = m * 10 + c;
		}
	}
	if (ndig == 0)
		return -1;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '-' || *p == '+'))
			expneg = *p++ == '-';
		if (p == end)
			return -1;
		for (; p < end && (c = (unsigned)(*p - '0')) <= 9; p++) {
			/* Saturate: anything this large fails below anyway. */
			if (exp < 100000)
				exp = exp * 10 + c;
		}
	}
	if (p != end)
		return -1;
	v = (__int128)m;
	scale = (long)frac + (expneg ? exp : -exp);
	if (scale < 0) {
		if (scale_up(v, (int)-scale, &v) == -1)
			return -1;
		scale = 0;
	}
	if (scale > DECIMAL_MAX_SCALE)
		return -1;
	d->v = neg ? -v : v;
	d->scale = (int)scale;
	return 0;
}

int
decimal_add(struct decimal *acc, const struct decimal *x)
{
	__int128 a = acc->v, b = x->v, r;
	int scale = acc->scale;

	if (acc->scale < x->scale) {
		if (scale_up(a, x->scale - acc->scale, &a) == -1)
			return -1;
		scale = x->scale;
	} else if (acc->scale > x->scale) {
		if (scale_up(b, acc->scale - x->scale, &b) == -1)
			return -1;
	}
	if (__builtin_add_overflow(a, b, &r))
		return -1;
	acc->v = r;
	acc->scale = scale;
	return 0;
}

static int
sign(__int128 v)
{
	return (v > 0) - (v < 0);
}

int
decimal_cmp(const struct decimal *a, const struct decimal *b)
{
	__int128 x = a->v, y = b->v;

	/*
	 * When scaling one side up overflows, its magnitude exceeds anything
	 * the other side can hold, so its sign decides.
	 */
	if (a->scale < b->scale) {
		if (scale_up(x, b->scale - a->scale, &x) == -1)
			return sign(a->v);
	} else if (a->scale > b->scale) {
		if (scale_up(y, a->scale - b->scale, &y) == -1)
			return -sign(b->v);
	}
	return (x > y) - (x < y);
}

size_t
decimal_format(const struct decimal *d, char out[DECIMAL_STRLEN])
{
	char tmp[DECIMAL_STRLEN];
	unsigned __int128 u;
	size_t n = 0, len = 0;
	int scale = d->scale;

	if (scale < 0)
		scale = 0;
	if (scale > DECIMAL_MAX_SCALE)
		scale = DECIMAL_MAX_SCALE;
	/* Negating through unsigned is defined even for the minimum. */
	u = d->v < 0 ? -(unsigned __int128)d->v : (unsigned __int128)d->v;
	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	while (n < (size_t)scale + 1)
		tmp[n++] = '0';
	if (d->v < 0)
		out[len++] = '-';
	while (n > (size_t)scale)
		out[len++] = tmp[--n];
	if (scale > 0) {
		out[len++] = '.';
		while (n > 0)
			out[len++] = tmp[--n];
	}
	out[len] = '\0';
	return len;
}

int
decimal_round(const struct decimal *d, int scale,
    enum decimal_rounding mode, struct decimal *out)
{
	unsigned __int128 u, q, r, half, p;
	int drop = d->scale - scale, up;

	if (drop <= 0) {
		*out = *d;
		return 0;
	}
	if (drop > POW10_MAX) {
		/* 10^drop > every |v|, by more than twice: it rounds to 0. */
		if (d->v != 0 && mode == DECIMAL_EXACT)
			return -1;
		out->v = 0;
		out->scale = scale;
		return 0;
	}
	/*
	 * Work on the magnitude so that both modes are symmetric around 0;
	 * the sign goes back on at the end.  When 10^drop exceeds |v| the
	 * quotient is 0 and the remainder |v|.
	 */
	u = d->v < 0 ? -(unsigned __int128)d->v : (unsigned __int128)d->v;
	p = (unsigned __int128)pow10_tab[drop];
	q = u / p;
	r = u % p;
	if (r != 0 && mode == DECIMAL_EXACT)
		return -1;
	half = p / 2;		/* p is even: drop >= 1 */
	if (r > half)
		up = 1;
	else if (r < half)
		up = 0;
	else
		up = mode == DECIMAL_HALF_UP || (q & 1) != 0;
	/* q <= |v| / 10 < I128_MAX, so one more still fits. */
	q += (unsigned __int128)up;
	out->v = d->v < 0 ? -(__int128)q : (__int128)q;
	out->scale = scale;
	return 0;
}

size_t
decimal_format_fixed(const struct decimal *d, int scale,
    char out[DECIMAL_STRLEN])
{
	size_t len;
	int pad;

	if (scale > DECIMAL_MAX_SCALE)
		scale = DECIMAL_MAX_SCALE;
	len = decimal_format(d, out);
	pad = scale - (d->scale < 0 ? 0 : d->scale);
	if (pad <= 0)
		return len;
	if (d->scale <= 0)
		out[len++] = '.';
	while (pad-- > 0)
		out[len++] = '0';
	out[len] = '\0';
	return len;
}
