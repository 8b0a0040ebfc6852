/*
 * calendar: holidays files and iCalendar files read into a sorted list of
 * dated holidays, a list of yearly rules and the set of covered years
 * (see calendar.h for what each kind of file may hold and why).
 */
#include "calendar.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define YEAR_MAX	9999
#define LINE_MAX_LEN	4096
#define EVENT_DAYS_MAX	366	/* one event spans at most a year */
#define SEARCH_DAYS_MAX	3660	/* business-day searches give up after */

struct holiday {
	bdate_t date;
	char *name;
};

/* RRULE:FREQ=YEARLY: month/day every year from `from`, len days long. */
struct rule {
	int month, day, from, len;
	char *name;
};

struct calendar {
	char *label;
	unsigned weekend;
	struct holiday *hol;
	size_t nhol, caphol;
	struct rule *rules;
	size_t nrules, caprules;
	unsigned char covered[YEAR_MAX + 1];
};

void
calendar_free(struct calendar *cal)
{
	size_t i;

	if (cal == NULL)
		return;
	for (i = 0; i < cal->nhol; i++)
		free(cal->hol[i].name);
	for (i = 0; i < cal->nrules; i++)
		free(cal->rules[i].name);
	free(cal->hol);
	free(cal->rules);
	free(cal->label);
	free(cal);
}

void
calendar_set_weekend(struct calendar *cal, unsigned weekend)
{
	cal->weekend = weekend & 0x7f;
}

int
calendar_parse_weekend(const char *list, unsigned *out, char *why,
    size_t whysize)
{
	static const char *const days[7] = { "sun", "mon", "tue", "wed",
		"thu", "fri", "sat" };
	const char *p = list, *e;
	unsigned mask = 0;
	size_t n;
	int i;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ',' && *e != ' ' &&
		    *e != '\t'; e++)
			;
		n = (size_t)(e - p);
		if (n == 4 && strncasecmp(p, "none", 4) == 0) {
			p = e;
			continue;
		}
		for (i = 0; i < 7; i++)
			if (n == 3 && strncasecmp(p, days[i], 3) == 0)
				break;
		if (i == 7) {
			snprintf(why, whysize, "'%.*s' is not a day (expected "
			    "a list of mon, tue, wed, thu, fri, sat, sun, or "
			    "none)", (int)(n < 40 ? n : 40), p);
			return -1;
		}
		mask |= 1u << i;
		p = e;
	}
	if (mask == 0x7f) {
		snprintf(why, whysize, "every day of the week cannot be a "
		    "weekend day");
		return -1;
	}
	*out = mask;
	return 0;
}

int
calendar_covers(const struct calendar *cal, int year)
{
	return year >= 1 && year <= YEAR_MAX && cal->covered[year];
}

static int
cmp_holiday(const void *a, const void *b)
{
	const struct holiday *x = a, *y = b;

	return x->date < y->date ? -1 : x->date > y->date;
}

static const struct holiday *
find_dated(const struct calendar *cal, bdate_t d)
{
	struct holiday key = { d, NULL };

	if (cal->nhol == 0)
		return NULL;
	return bsearch(&key, cal->hol, cal->nhol, sizeof(*cal->hol),
	    cmp_holiday);
}

/* Is month/day a real day of year y (no Feb 29 in a common year)? */
static int
real_day(int y, int m, int d)
{
	int yy, mm, dd;

	bdate_to_ymd(bdate_from_ymd(y, m, d), &yy, &mm, &dd);
	return yy == y && mm == m && dd == d;
}

const char *
calendar_holiday(const struct calendar *cal, bdate_t d)
{
	const struct holiday *h = find_dated(cal, d);
	const struct rule *r;
	bdate_t start;
	size_t i;
	int y, m, dd, yy;

	if (h != NULL)
		return h->name != NULL ? h->name : "";
	bdate_to_ymd(d, &y, &m, &dd);
	for (i = 0; i < cal->nrules; i++) {
		r = &cal->rules[i];
		/* A rule's holiday may start in the year before d's. */
		for (yy = y - 1; yy <= y; yy++) {
			if (yy < r->from || yy < 1 ||
			    !real_day(yy, r->month, r->day))
				continue;
			start = bdate_from_ymd(yy, r->month, r->day);
			if (d >= start && d < start + r->len)
				return r->name != NULL ? r->name : "";
		}
	}
	return NULL;
}

/* 1 Sunday .. the bit of d's day of the week. */
static unsigned
wday_bit(bdate_t d)
{
	/* 1970-01-01 was a Thursday (4). */
	return 1u << (int)(((d % 7) + 7 + 4) % 7);
}

int
calendar_is_business_day(const struct calendar *cal, bdate_t d,
    struct xerr *err)
{
	char ds[BDATE_STRLEN];
	int y, m, dd;

	bdate_to_ymd(d, &y, &m, &dd);
	if (!calendar_covers(cal, y)) {
		bdate_format(d, ds);
		return xerr_set(err, XERR_CONFIG, 0, "calendar '%s' does not "
		    "cover %d (asked about %s): add the year's holidays to it "
		    "(a line '%d' alone if it has none)", cal->label, y, ds,
		    y);
	}
	if (cal->weekend & wday_bit(d))
		return 0;
	return calendar_holiday(cal, d) == NULL;
}

static int
search(const struct calendar *cal, bdate_t d, int step, int n, bdate_t *out,
    struct xerr *err)
{
	char ds[BDATE_STRLEN];
	int i, k;

	for (i = 0; i < SEARCH_DAYS_MAX; i++) {
		d += step;
		if ((k = calendar_is_business_day(cal, d, err)) == -1)
			return -1;
		if (k == 1 && --n == 0) {
			*out = d;
			return 0;
		}
	}
	bdate_format(d, ds);
	return xerr_set(err, XERR_CONFIG, 0, "calendar '%s': no business day "
	    "within %d days of %s", cal->label, SEARCH_DAYS_MAX, ds);
}

int
calendar_business_day_before(const struct calendar *cal, bdate_t d, int n,
    bdate_t *out, struct xerr *err)
{
	if (n < 1)
		n = 1;
	return search(cal, d, -1, n, out, err);
}

int
calendar_next_business_day(const struct calendar *cal, bdate_t d,
    bdate_t *out, struct xerr *err)
{
	return search(cal, d, 1, 1, out, err);
}

/* --- reading ----------------------------------------------------------- */

struct reader {
	struct calendar *cal;
	struct xerr *err;
	unsigned line;
	/* iCalendar */
	int in_cal, in_event, done;
	int skip_depth;		/* inside VTIMEZONE/VALARM: nesting */
	unsigned event_line;
	int has_start, has_end, yearly, cancelled;
	bdate_t start, end;
	char *summary;
};

static int
bad(struct reader *rd, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct reader *rd, unsigned line, const char *fmt, ...)
{
	char why[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return xerr_set(rd->err, XERR_CONFIG, 0, "%s:%u: %s", rd->cal->label,
	    line, why);
}

static void
cover(struct calendar *cal, bdate_t d)
{
	int y, m, dd;

	bdate_to_ymd(d, &y, &m, &dd);
	if (y >= 1 && y <= YEAR_MAX)
		cal->covered[y] = 1;
}

static int
add_holiday(struct reader *rd, bdate_t d, const char *name)
{
	struct calendar *cal = rd->cal;
	struct holiday *nh;
	size_t cap;

	if (cal->nhol == cal->caphol) {
		cap = cal->caphol ? cal->caphol * 2 : 64;
		if ((nh = realloc(cal->hol, cap * sizeof(*nh))) == NULL)
			return xerr_nomem(rd->err);
		cal->hol = nh;
		cal->caphol = cap;
	}
	cal->hol[cal->nhol].date = d;
	cal->hol[cal->nhol].name = NULL;
	if (name != NULL && *name != '\0' &&
	    (cal->hol[cal->nhol].name = strdup(name)) == NULL)
		return xerr_nomem(rd->err);
	cal->nhol++;
	cover(cal, d);
	return 0;
}

static int
add_rule(struct reader *rd, bdate_t start, int len, const char *name)
{
	struct calendar *cal = rd->cal;
	struct rule *nr, *r;
	size_t cap;

	if (cal->nrules == cal->caprules) {
		cap = cal->caprules ? cal->caprules * 2 : 16;
		if ((nr = realloc(cal->rules, cap * sizeof(*nr))) == NULL)
			return xerr_nomem(rd->err);
		cal->rules = nr;
		cal->caprules = cap;
	}
	r = &cal->rules[cal->nrules];
	bdate_to_ymd(start, &r->from, &r->month, &r->day);
	r->len = len;
	r->name = NULL;
	if (name != NULL && *name != '\0' && (r->name = strdup(name)) == NULL)
		return xerr_nomem(rd->err);
	cal->nrules++;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* One line of a holidays file. */
static int
holidays_line(struct reader *rd, char *line)
{
	char ds[BDATE_STRLEN], *s = trim(line), *name;
	bdate_t d;
	int y;

	if (*s == '\0' || *s == '#')
		return 0;
	if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) &&
	    (s[4] == '\0' || s[4] == ' ' || s[4] == '\t')) {
		name = trim(s + 4);
		if (*name != '\0' && *name != '#')
			return bad(rd, rd->line, "a year line holds the year "
			    "alone ('%.4s'), not '%s'", s, name);
		y = atoi(s);
		if (y < 1)
			return bad(rd, rd->line, "'%.4s' is not a year", s);
		rd->cal->covered[y] = 1;
		return 0;
	}
	memcpy(ds, s, sizeof(ds) - 1);
	ds[sizeof(ds) - 1] = '\0';
	if (strlen(s) < 10 || bdate_parse(ds, &d) == -1 ||
	    (s[10] != '\0' && s[10] != ' ' && s[10] != '\t'))
		return bad(rd, rd->line, "'%.40s' is not a holiday: expected "
		    "YYYY-MM-DD (a real day) then its name, or a year "
		    "YYYY alone", s);
	return add_holiday(rd, d, trim(s + 10));
}

/* "YYYYMMDD" of an iCalendar DATE value. */
static int
ics_date(const char *v, bdate_t *d)
{
	char ds[BDATE_STRLEN];
	int i;

	for (i = 0; i < 8; i++)
		if (!isdigit((unsigned char)v[i]))
			return -1;
	if (v[8] != '\0')
		return -1;
	snprintf(ds, sizeof(ds), "%.4s-%.2s-%.2s", v, v + 4, v + 6);
	return bdate_parse(ds, d);
}

static int
ics_event_end(struct reader *rd)
{
	int len;
	int rc = 0;

	rd->in_event = 0;
	if (!rd->has_start) {
		rc = bad(rd, rd->event_line, "the event has no DTSTART;"
		    "VALUE=DATE");
		goto out;
	}
	if (!rd->has_end)
		rd->end = rd->start + 1;
	if (rd->end <= rd->start || rd->end - rd->start > EVENT_DAYS_MAX) {
		rc = bad(rd, rd->event_line, "the event's DTEND must be after "
		    "its DTSTART and at most %d days later (DTEND is the day "
		    "after the last holiday)", EVENT_DAYS_MAX);
		goto out;
	}
	len = (int)(rd->end - rd->start);
	if (rd->cancelled)
		goto out;
	if (rd->yearly)
		rc = add_rule(rd, rd->start, len, rd->summary);
	else {
		bdate_t d;

		for (d = rd->start; rc == 0 && d < rd->end; d++)
			rc = add_holiday(rd, d, rd->summary);
	}
out:
	free(rd->summary);
	rd->summary = NULL;
	return rc;
}

/* The iCalendar property of one unfolded line (line: its first line). */
static int
ics_property(struct reader *rd, char *s, unsigned line)
{
	char *colon, *params, *value;
	size_t nlen;
	bdate_t d;

	if (*s == '\0')
		return 0;
	if ((colon = strchr(s, ':')) == NULL)
		return bad(rd, line, "'%.40s' is not an iCalendar line "
		    "(NAME:VALUE)", s);
	*colon = '\0';
	value = colon + 1;
	nlen = strcspn(s, ";");
	params = s[nlen] == ';' ? s + nlen + 1 : NULL;
	s[nlen] = '\0';

	if (strcasecmp(s, "BEGIN") == 0) {
		if (rd->skip_depth > 0) {
			rd->skip_depth++;
			return 0;
		}
		if (!rd->in_cal) {
			if (strcasecmp(value, "VCALENDAR") != 0 || rd->done)
				return bad(rd, line, "expected BEGIN:VCALENDAR");
			rd->in_cal = 1;
			return 0;
		}
		if (strcasecmp(value, "VTIMEZONE") == 0 ||
		    (rd->in_event && strcasecmp(value, "VALARM") == 0)) {
			rd->skip_depth = 1;
			return 0;
		}
		if (!rd->in_event && strcasecmp(value, "VEVENT") == 0) {
			rd->in_event = 1;
			rd->event_line = line;
			rd->has_start = rd->has_end = 0;
			rd->yearly = rd->cancelled = 0;
			return 0;
		}
		return bad(rd, line, "component '%.40s' is not supported "
		    "(a holiday calendar holds VEVENTs)", value);
	}
	if (strcasecmp(s, "END") == 0) {
		if (rd->skip_depth > 0) {
			rd->skip_depth--;
			return 0;
		}
		if (rd->in_event && strcasecmp(value, "VEVENT") == 0)
			return ics_event_end(rd);
		if (!rd->in_event && rd->in_cal &&
		    strcasecmp(value, "VCALENDAR") == 0) {
			rd->in_cal = 0;
			rd->done = 1;
			return 0;
		}
		return bad(rd, line, "'END:%.40s' closes nothing open", value);
	}
	if (rd->skip_depth > 0)
		return 0;
	if (!rd->in_cal)
		return bad(rd, line, "'%.40s' outside BEGIN:VCALENDAR ... "
		    "END:VCALENDAR", s);
	if (!rd->in_event)
		return 0;	/* VERSION, PRODID, X-WR-CALNAME, ... */
	if (strcasecmp(s, "DTSTART") == 0 || strcasecmp(s, "DTEND") == 0) {
		int is_start = toupper((unsigned char)s[2]) == 'S';

		if (params == NULL || strcasecmp(params, "VALUE=DATE") != 0 ||
		    ics_date(value, &d) == -1)
			return bad(rd, line, "%s must be a date: %s;VALUE=DATE:"
			    "YYYYMMDD (a holiday is a whole day; a date-time "
			    "or a time zone is not supported)", s, s);
		if (is_start) {
			rd->start = d;
			rd->has_start = 1;
		} else {
			rd->end = d;
			rd->has_end = 1;
		}
		return 0;
	}
	if (strcasecmp(s, "RRULE") == 0) {
		if (params != NULL || strcasecmp(value, "FREQ=YEARLY") != 0)
			return bad(rd, line, "RRULE:%.60s is not supported "
			    "(only RRULE:FREQ=YEARLY, a holiday on the same "
			    "day every year)", value);
		rd->yearly = 1;
		return 0;
	}
	if (strcasecmp(s, "RDATE") == 0 || strcasecmp(s, "EXDATE") == 0 ||
	    strcasecmp(s, "EXRULE") == 0 || strcasecmp(s, "DURATION") == 0 ||
	    strcasecmp(s, "RECURRENCE-ID") == 0)
		return bad(rd, line, "%s is not supported (give each holiday "
		    "its own VEVENT with DTSTART and DTEND)", s);
	if (strcasecmp(s, "STATUS") == 0 &&
	    strcasecmp(value, "CANCELLED") == 0)
		rd->cancelled = 1;
	else if (strcasecmp(s, "SUMMARY") == 0) {
		free(rd->summary);
		if ((rd->summary = strdup(value)) == NULL)
			return xerr_nomem(rd->err);
	}
	return 0;
}

static int
is_ics(const char *path)
{
	size_t n = strlen(path);

	return n > 4 && strcasecmp(path + n - 4, ".ics") == 0;
}

/* Read the file line by line; iCalendar lines are unfolded first. */
static int
read_file(struct reader *rd, FILE *fp, int ics)
{
	char *line = NULL, *logical = NULL, *nl;
	size_t cap = 0, llen = 0, n;
	unsigned logical_line = 0;
	ssize_t got;
	int rc = 0;

	while (rc == 0 && (got = getline(&line, &cap, fp)) != -1) {
		rd->line++;
		if (got > LINE_MAX_LEN) {
			rc = bad(rd, rd->line, "line longer than %d bytes",
			    LINE_MAX_LEN);
			break;
		}
		if (memchr(line, '\0', (size_t)got) != NULL) {
			rc = bad(rd, rd->line, "a NUL byte: not a text file");
			break;
		}
		if (!ics) {
			rc = holidays_line(rd, line);
			continue;
		}
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if ((line[0] == ' ' || line[0] == '\t') && logical != NULL) {
			if (llen + n > 16 * LINE_MAX_LEN) {
				rc = bad(rd, logical_line, "folded line "
				    "longer than %d bytes", 16 * LINE_MAX_LEN);
				break;
			}
			if ((nl = realloc(logical, llen + n)) == NULL) {
				rc = xerr_nomem(rd->err);
				break;
			}
			logical = nl;
			memcpy(logical + llen, line + 1, n);	/* with NUL */
			llen += n - 1;
			continue;
		}
		if (logical != NULL)
			rc = ics_property(rd, logical, logical_line);
		free(logical);
		logical = NULL;
		if (rc == 0) {
			if ((logical = strdup(line)) == NULL)
				rc = xerr_nomem(rd->err);
			llen = n;
			logical_line = rd->line;
		}
	}
	if (rc == 0 && ferror(fp))
		rc = xerr_set(rd->err, XERR_CONFIG, errno, "cannot read "
		    "calendar '%s'", rd->cal->label);
	if (rc == 0 && logical != NULL)
		rc = ics_property(rd, logical, logical_line);
	if (rc == 0 && ics && (rd->in_cal || !rd->done))
		rc = bad(rd, rd->line, "the file ends %s", rd->in_cal ?
		    "before END:VCALENDAR" : "without a BEGIN:VCALENDAR");
	free(logical);
	free(line);
	free(rd->summary);
	rd->summary = NULL;
	return rc;
}

int
calendar_load(const char *path, const char *label, struct calendar **out,
    struct xerr *err)
{
	struct calendar *cal;
	struct reader rd;
	FILE *fp;
	int rc;

	*out = NULL;
	if ((cal = calloc(1, sizeof(*cal))) == NULL ||
	    (cal->label = strdup(label)) == NULL) {
		free(cal);
		return xerr_nomem(err);
	}
	cal->weekend = CAL_WEEKEND_DEFAULT;
	if ((fp = fopen(path, "r")) == NULL) {
		xerr_set(err, XERR_CONFIG, errno, "cannot open calendar '%s'",
		    label);
		calendar_free(cal);
		return -1;
	}
	memset(&rd, 0, sizeof(rd));
	rd.cal = cal;
	rd.err = err;
	rc = read_file(&rd, fp, is_ics(path));
	fclose(fp);
	if (rc == -1) {
		calendar_free(cal);
		return -1;
	}
	if (cal->nhol > 1)
		qsort(cal->hol, cal->nhol, sizeof(*cal->hol), cmp_holiday);
	*out = cal;
	return 0;
}
