/*
 * tz: time-zone arithmetic for batch dates.
 *
 * The C library keeps the zone in process state (TZ + tzset), so this is
 * the one module that changes it.  Day bounds come from mktime() and are
 * then verified with localtime_r(): mktime's answer for a wall time that
 * does not exist (a midnight skipped by a DST change, as in
 * America/Santiago or Asia/Beirut) or that exists twice (a fall-back at
 * midnight) is unspecified, but "the first instant whose local date is d"
 * can always be checked and, if need be, searched for.
 */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZONEINFO "/usr/share/zoneinfo"
#define DAY 86400

int
tz_valid(const char *zone)
{
	char path[4096], magic[4];
	const char *dir, *p;
	struct stat st;
	int fd, ok = 0;

	if (zone == NULL || *zone == '\0' || *zone == '/' ||
	    strlen(zone) > 255)
		return 0;
	if (strcmp(zone, "UTC") == 0)
		return 1;
	/* No '.' at all, so no ".." and no hidden files. */
	for (p = zone; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		    *p == '+' || *p == '-'))
			return 0;
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = ZONEINFO;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, zone) >=
	    sizeof(path))
		return 0;
	/* O_NONBLOCK: a FIFO planted in the zone directory must not hang
	 * us; a regular file ignores it. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "TZif", 4) == 0)
		ok = 1;
	close(fd);
	return ok;
}

/*
 * The zone the process started in (TZ as given, or unset for
 * /etc/localtime): "the system's zone" of jobs without a timezone key and
 * of every time xfer shows.  Saved once, before the first change.
 */
static struct {
	int saved;
	char *tz;		/* NULL: TZ was unset */
} start_zone;

/* -1 when out of memory: then nothing is saved and TZ must stay. */
static int
save_start_zone(void)
{
	const char *s;

	if (start_zone.saved)
		return 0;
	if ((s = getenv("TZ")) != NULL && (start_zone.tz = strdup(s)) == NULL)
		return -1;
	start_zone.saved = 1;
	return 0;
}

static int
set_tz(const char *value)
{
	if (value == NULL)
		return unsetenv("TZ");
	return setenv("TZ", value, 1);
}

int
tz_use(const char *zone, struct xerr *err)
{
	if (save_start_zone() == -1)
		return xerr_nomem(err);
	if (zone == NULL || *zone == '\0') {
		if (set_tz(start_zone.tz) == -1)
			return xerr_set(err, XERR_TEMP, errno, "cannot restore "
			    "TZ");
	} else {
		if (!tz_valid(zone))
			return xerr_set(err, XERR_CONFIG, 0, "unknown time "
			    "zone '%s'", zone);
		if (setenv("TZ", zone, 1) == -1)
			return xerr_set(err, XERR_TEMP, errno, "cannot set "
			    "TZ to '%s'", zone);
	}
	tzset();
	return 0;
}

void
tz_system_time(time_t t, struct tm *tm)
{
	const char *cur;
	char *keep = NULL;

	/* Nothing saved yet means TZ was never changed. */
	if (save_start_zone() == -1) {
		localtime_r(&t, tm);
		return;
	}
	cur = getenv("TZ");
	if ((cur == NULL) == (start_zone.tz == NULL) &&
	    (cur == NULL || strcmp(cur, start_zone.tz) == 0)) {
		localtime_r(&t, tm);
		return;
	}
	if (cur != NULL && (keep = strdup(cur)) == NULL) {
		gmtime_r(&t, tm);
		return;
	}
	set_tz(start_zone.tz);
	tzset();
	localtime_r(&t, tm);
	set_tz(keep);
	tzset();
	free(keep);
}

void
tz_pin_system(struct tz_pin *pin, time_t now)
{
	time_t lo = now, hi = now + 2 * 86400, mid;
	struct tm tm;

	tz_system_time(lo, &tm);
	pin->off_before = tm.tm_gmtoff;
	tz_system_time(hi, &tm);
	pin->off_after = tm.tm_gmtoff;
	pin->change = hi;
	if (pin->off_after == pin->off_before)
		return;
	/* One change in two days at most: find its first second. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		tz_system_time(mid, &tm);
		if (tm.tm_gmtoff == pin->off_before)
			lo = mid;
		else
			hi = mid;
	}
	pin->change = hi;
}

void
tz_pinned_time(const struct tz_pin *pin, time_t t, struct tm *tm)
{
	long off = t < pin->change ? pin->off_before : pin->off_after;
	time_t local = t + off;

	gmtime_r(&local, tm);
	tm->tm_gmtoff = off;
	tm->tm_isdst = -1;
	tm->tm_zone = NULL;
}

static bdate_t
floor_div_day(time_t t)
{
	return (bdate_t)(t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY));
}

bdate_t
tz_date_of(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return floor_div_day(t);
	return bdate_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The first instant whose local date is d or later. */
static time_t
day_start(bdate_t d)
{
	struct tm tm;
	time_t t, lo, hi, mid;
	int y, m, dd;

	bdate_to_ymd(d, &y, &m, &dd);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = dd;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		t = (time_t)d * DAY;	/* a guess for the search below */
	if (tz_date_of(t) == d && tz_date_of(t - 1) < d)
		return t;
	/* Local dates only move forward with time (offsets change by less
	 * than a day), so binary search for the first instant of d. */
	lo = t - 2 * DAY;
	hi = t + 2 * DAY;
	while (tz_date_of(lo) >= d)
		lo -= DAY;
	while (tz_date_of(hi) < d)
		hi += DAY;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (tz_date_of(mid) >= d)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

void
tz_day_bounds(bdate_t d, time_t *start, time_t *end)
{
	*start = day_start(d);
	*end = day_start(d + 1);
}

/* Seconds of t after the local midnight of date d (negative before d). */
static long long
wall_since(bdate_t d, time_t t)
{
	struct tm tm;
	bdate_t td;

	if (localtime_r(&t, &tm) == NULL)
		return (long long)t - (long long)d * DAY;
	td = bdate_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	return (long long)(td - d) * DAY + tm.tm_hour * 3600 + tm.tm_min * 60 +
	    tm.tm_sec;
}

time_t
tz_wall_time(bdate_t d, int minute)
{
	long long want = (long long)minute * 60, w;
	time_t start, end, t, lo, hi, mid;
	int i;

	tz_day_bounds(d, &start, &end);
	/*
	 * Step by the difference between the wall time wanted and the one
	 * found: one step without a change of offset, two across one.
	 * Starting from the offset in force at midnight reaches the first
	 * occurrence of a repeated time.  A time inside a gap makes the
	 * steps swing across it; the answer is then the end of the gap.
	 */
	t = start + (time_t)(want - wall_since(d, start));
	for (i = 0; i < 4; i++) {
		w = wall_since(d, t);
		if (w == want)
			return t < start ? start : t;
		t += (time_t)(want - w);
	}
	/* In a gap: the first instant whose wall time is at or past the one
	 * wanted, searched between two instants on either side of it (no
	 * fall-back lies within a day of a spring-forward). */
	lo = t;
	hi = t;
	while (wall_since(d, lo) >= want && lo > start - DAY)
		lo -= 3600;
	while (wall_since(d, hi) < want && hi < end + DAY)
		hi += 3600;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (wall_since(d, mid) >= want)
			hi = mid;
		else
			lo = mid;
	}
	return hi < start ? start : hi;
}

void
tz_format_iso(time_t t, char *out, size_t size)
{
	struct tm tm;
	long off;
	char sign = '+';

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "(bad time %lld)", (long long)t);
		return;
	}
	off = tm.tm_gmtoff;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	/* Offsets with seconds (local mean time before 1900) lose them:
	 * ISO 8601 offsets have none. */
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, sign, off / 3600, off / 60 % 60);
}

/* n decimal digits at s, or -1. */
static int
num(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
days_in_month(int y, int m)
{
	static const unsigned char md[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

int
tz_value_date(const char *s, size_t len, bdate_t *out)
{
	int y, mo, d, h, mi, sec = 0, oh, om = 0, sign;
	const char *p, *e = s + len;
	bdate_t date;
	time_t t;

	if (len < 10 || s[4] != '-' || s[7] != '-' ||
	    (y = num(s, 4)) < 1 || (mo = num(s + 5, 2)) < 1 || mo > 12 ||
	    (d = num(s + 8, 2)) < 1 || d > days_in_month(y, mo))
		return -1;
	date = bdate_from_ymd(y, mo, d);
	if (len == 10) {
		*out = date;
		return 0;
	}
	/* "T", "t" (RFC 3339 allows it) or a space, then HH:MM. */
	if (len < 16 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || (h = num(s + 11, 2)) < 0 || h > 23 ||
	    (mi = num(s + 14, 2)) < 0 || mi > 59)
		return -1;
	p = s + 16;
	if (p < e && *p == ':') {
		if (e - p < 3 || (sec = num(p + 1, 2)) < 0 || sec > 60)
			return -1;
		p += 3;
		if (p < e && (*p == '.' || *p == ',')) {
			if (++p == e || *p < '0' || *p > '9')
				return -1;
			while (p < e && *p >= '0' && *p <= '9')
				p++;
		}
	}
	if (p == e) {
		/* No offset: the wall time is already in the job's zone. */
		*out = date;
		return 0;
	}
	if ((*p == 'Z' || *p == 'z') && p + 1 == e) {
		oh = 0;
		sign = 1;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (e - p < 2 || (oh = num(p, 2)) < 0 || oh > 23)
			return -1;
		p += 2;
		if (p < e && *p == ':')
			p++;
		if (p < e) {
			if (e - p != 2 || (om = num(p, 2)) < 0 || om > 59)
				return -1;
		} else if (p[-1] == ':')
			return -1;
	} else
		return -1;
	/* A leap second belongs to the minute before the next one. */
	if (sec == 60)
		sec = 59;
	t = (time_t)date * DAY + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	*out = tz_date_of(t);
	return 0;
}
