/*
 * parse: the value syntaxes of job files and xfer.conf.
 *
 * Numbers are read digit by digit with explicit overflow checks instead of
 * strtol: strtol accepts leading blanks, "0x" and a sign that a duration
 * must not have, and its errno protocol is easy to get wrong.
 */
#include "parse.h"

#include <limits.h>
#include <stdio.h>
#include <strings.h>

#define DURATION_WHY \
	"expected a number of seconds or a number with one unit s, m, h " \
	"or d (e.g. 30s, 10m, 2h, 7d)"

/* Leading decimal digits of s into *v (no sign).  Returns the number of
 * digits read (0: none), or -1 when the value exceeds max. */
static int
read_digits(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	int i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (n > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*v = n;
	return i;
}

static int
duration(const char *s, long unit_div, long *out, char *why, size_t whysize)
{
	uint64_t n, mult;
	int nd;

	nd = read_digits(s, (uint64_t)LONG_MAX, &n);
	if (nd == 0) {
		snprintf(why, whysize, "%s", DURATION_WHY);
		return -1;
	}
	if (nd < 0)
		goto toolarge;
	switch (s[nd]) {
	case '\0':
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		snprintf(why, whysize, "%s", DURATION_WHY);
		return -1;
	}
	if (s[nd] != '\0' && s[nd + 1] != '\0') {
		snprintf(why, whysize, "%s", DURATION_WHY);
		return -1;
	}
	/* unit_div is 1 for seconds, 1000 for milliseconds. */
	mult *= (uint64_t)unit_div;
	if (n != 0 && mult > (uint64_t)LONG_MAX / n)
		goto toolarge;
	*out = (long)(n * mult);
	return 0;
toolarge:
	snprintf(why, whysize, "duration '%s' is too large", s);
	return -1;
}

int
parse_duration_s(const char *s, long *secs, char *why, size_t whysize)
{
	return duration(s, 1, secs, why, whysize);
}

int
parse_duration_ms(const char *s, long *ms, char *why, size_t whysize)
{
	return duration(s, 1000, ms, why, whysize);
}

int
parse_size(const char *s, uint64_t *bytes, char *why, size_t whysize)
{
	uint64_t n, mult = 1;
	const char *u;
	int nd;

	nd = read_digits(s, UINT64_MAX, &n);
	if (nd == 0)
		goto bad;
	if (nd < 0)
		goto toolarge;
	u = s + nd;
	switch (*u) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = (uint64_t)1 << 10;
		break;
	case 'm': case 'M':
		mult = (uint64_t)1 << 20;
		break;
	case 'g': case 'G':
		mult = (uint64_t)1 << 30;
		break;
	default:
		goto bad;
	}
	if (*u != '\0') {
		u++;
		if (*u != '\0' && strcasecmp(u, "b") != 0 &&
		    strcasecmp(u, "ib") != 0)
			goto bad;
	}
	if (n != 0 && mult > UINT64_MAX / n)
		goto toolarge;
	*bytes = n * mult;
	return 0;
bad:
	snprintf(why, whysize, "expected a number of bytes, optionally with "
	    "K, M or G (e.g. 512, 10K, 5M, 1G)");
	return -1;
toolarge:
	snprintf(why, whysize, "size '%s' is too large", s);
	return -1;
}

int
parse_bool(const char *s, int *out, char *why, size_t whysize)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	snprintf(why, whysize, "expected yes or no");
	return -1;
}

int
parse_long(const char *s, long min, long max, long *out, char *why,
    size_t whysize)
{
	uint64_t n, lim;
	int neg = 0, nd;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	/* The magnitude of LONG_MIN is LONG_MAX + 1. */
	lim = neg ? (uint64_t)LONG_MAX + 1 : (uint64_t)LONG_MAX;
	nd = read_digits(s, lim, &n);
	if (nd <= 0 || s[nd] != '\0')
		goto bad;
	if (neg) {
		if (n == (uint64_t)LONG_MAX + 1)
			*out = LONG_MIN;
		else
			*out = -(long)n;
	} else
		*out = (long)n;
	if (*out < min || *out > max)
		goto bad;
	return 0;
bad:
	snprintf(why, whysize, "expected a whole number from %ld to %ld", min,
	    max);
	return -1;
}
