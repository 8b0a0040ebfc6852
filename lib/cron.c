/*
 * cron: 5-field cron expressions as bit sets.
 *
 * Each field becomes a bit set of the values it allows, so matching a
 * minute is five bit tests.  The syntax is Vixie cron's (the one in
 * Debian's cron and in crontab(5)), including its rule for when the day
 * fields combine with OR; see cron.h.
 */
#include "cron.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct field {
	const char *name;
	int min, max;
	const char *const *names;	/* names[i] stands for min + i */
	int nnames;
	const char *hint;		/* the allowed range, for messages */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL, 0, "0-59" },
	{ "hour", 0, 23, NULL, 0, "0-23" },
	{ "day of month", 1, 31, NULL, 0, "1-31" },
	{ "month", 1, 12, month_names, 12, "1-12 or jan-dec" },
	/* 7 is Sunday too; it is folded onto 0 after parsing. */
	{ "day of week", 0, 7, day_names, 7, "0-7 or sun-sat" },
};

static const struct {
	const char *alias;
	const char *expr;
} aliases[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* One number or name of field f from s[0..len).  0 or -1 (why set). */
static int
value(const struct field *f, const char *s, size_t len, int *out, char *why,
    size_t whysize)
{
	size_t i;
	int v = 0;

	if (len == 0) {
		snprintf(why, whysize, "%s: missing number", f->name);
		return -1;
	}
	if (s[0] >= '0' && s[0] <= '9') {
		for (i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				goto bad;
			if (v < 1000)
				v = v * 10 + (s[i] - '0');
		}
		if (v < f->min || v > f->max) {
			snprintf(why, whysize, "%s: '%.*s' is out of range %s",
			    f->name, (int)len, s, f->hint);
			return -1;
		}
		*out = v;
		return 0;
	}
	for (i = 0; i < (size_t)f->nnames; i++) {
		if (len == 3 && strncasecmp(s, f->names[i], 3) == 0) {
			*out = f->min + (int)i;
			return 0;
		}
	}
bad:
	snprintf(why, whysize, "%s: '%.*s' is not a valid value (%s)",
	    f->name, (int)len, s, f->hint);
	return -1;
}

/* One comma-separated item: "*", "a", "a-b", each optionally "/step". */
static int
item(const struct field *f, const char *s, size_t len, uint64_t *bits,
    char *why, size_t whysize)
{
	const char *slash, *dash;
	size_t rlen;
	int lo, hi, top, step = 1, span = f->max - f->min + 1, v;

	if (len == 0) {
		snprintf(why, whysize, "%s: empty list item", f->name);
		return -1;
	}
	slash = memchr(s, '/', len);
	rlen = slash != NULL ? (size_t)(slash - s) : len;
	if (slash != NULL) {
		if (value(&(struct field){ f->name, 1, span, NULL, 0, "" },
		    slash + 1, len - rlen - 1, &step, why, whysize) == -1) {
			snprintf(why, whysize, "%s: step in '%.*s' must be a "
			    "number from 1 to %d", f->name, (int)len, s, span);
			return -1;
		}
	}
	/* An open end in the day of week is 6: 7 would repeat Sunday, so
	 * "1/2" means Monday, Wednesday, Friday, as "1-6/2" does. */
	top = f->names == day_names ? 6 : f->max;
	if (rlen == 1 && s[0] == '*') {
		lo = f->min;
		hi = top;
	} else {
		dash = memchr(s, '-', rlen);
		if (dash == NULL) {
			if (value(f, s, rlen, &lo, why, whysize) == -1)
				return -1;
			/* "a/n" means from a to the end in steps of n. */
			hi = slash != NULL ? top : lo;
		} else {
			if (value(f, s, (size_t)(dash - s), &lo, why,
			    whysize) == -1 ||
			    value(f, dash + 1, rlen - (size_t)(dash - s) - 1,
			    &hi, why, whysize) == -1)
				return -1;
			if (lo > hi) {
				snprintf(why, whysize, "%s: reversed range "
				    "'%.*s'", f->name, (int)rlen, s);
				return -1;
			}
		}
	}
	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

static int
field(const struct field *f, const char *s, size_t len, uint64_t *bits,
    char *why, size_t whysize)
{
	const char *comma, *end = s + len;

	*bits = 0;
	for (;;) {
		comma = memchr(s, ',', (size_t)(end - s));
		if (comma == NULL)
			comma = end;
		if (item(f, s, (size_t)(comma - s), bits, why, whysize) == -1)
			return -1;
		if (comma == end)
			return 0;
		s = comma + 1;
	}
}

int
cron_parse(const char *expr, struct cron *c, char *why, size_t whysize)
{
	const char *start[5], *p;
	size_t len[5], i, n = 0;
	uint64_t bits[5];

	while (*expr == ' ' || *expr == '\t')
		expr++;
	if (*expr == '@') {
		for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
			p = expr + strlen(aliases[i].alias);
			if (strncasecmp(expr, aliases[i].alias,
			    strlen(aliases[i].alias)) != 0)
				continue;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0')
				return cron_parse(aliases[i].expr, c, why,
				    whysize);
		}
		snprintf(why, whysize, "unknown schedule '%s' (use 5 fields "
		    "or @hourly, @daily, @weekly, @monthly, @yearly)", expr);
		return -1;
	}
	for (p = expr; *p != '\0';) {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (n < 5)
			start[n] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (n < 5)
			len[n] = (size_t)(p - start[n]);
		n++;
	}
	if (n != 5) {
		snprintf(why, whysize, "expected 5 fields (minute hour "
		    "day-of-month month day-of-week), found %zu", n);
		return -1;
	}
	for (i = 0; i < 5; i++)
		if (field(&fields[i], start[i], len[i], &bits[i], why,
		    whysize) == -1)
			return -1;
	memset(c, 0, sizeof(*c));
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->mday = (uint32_t)bits[2];
	c->month = (uint16_t)bits[3];
	c->wday = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7f);
	c->mday_star = start[2][0] == '*';
	c->wday_star = start[4][0] == '*';
	return 0;
}

int
cron_matches(const struct cron *c, int min, int hour, int mday, int mon1,
    int wday)
{
	int dom, dow;

	if (min < 0 || min > 59 || hour < 0 || hour > 23 || mday < 1 ||
	    mday > 31 || mon1 < 1 || mon1 > 12 || wday < 0 || wday > 7)
		return 0;
	if (wday == 7)
		wday = 0;
	if (!(c->minute >> min & 1) || !(c->hour >> hour & 1) ||
	    !(c->month >> mon1 & 1))
		return 0;
	dom = c->mday >> mday & 1;
	dow = c->wday >> wday & 1;
	if (!c->mday_star && !c->wday_star)
		return dom || dow;
	return dom && dow;
}
