/*
 * pattern: names and paths with {date}, {date:FMT}, {job} and {seq}.
 *
 * FMT is limited to date conversions because a batch is a calendar date:
 * an hour or a time zone in a file name would be invented, not known, and
 * would make the same batch produce differently named files.  The date is
 * expanded as noon of that day in a zone-less struct tm, in the C locale,
 * so neither TZ nor LANG can change a name.
 */
#include "pattern.h"

#include <regex.h>

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

#define FMT_MAX 256		/* longest expansion of one {date:FMT} */

/* Conversions that depend only on the date. */
static const char date_convs[] = "YymdejbBaAuwUVGgF%";
/* Conversions that need a time or a zone: named in the message. */
static const char time_convs[] = "HIklMSsPpzZTRrcX";

enum ph { PH_DATE, PH_DATE_FMT, PH_JOB, PH_SEQ };

#define SEQ_WIDTH_DEFAULT	3

/*
 * Classify the placeholder starting at p (p[0] == '{', not "{{").  Sets
 * *end just past its '}' and, for {date:FMT}, fmt/fmtlen.  -1 with why.
 */
static int
placeholder(const char *p, const char **end, const char **fmt,
    size_t *fmtlen, enum ph *kind, char *why, size_t whysize)
{
	const char *close, *f, *c;

	close = strchr(p, '}');
	if (close == NULL || memchr(p + 1, '{', (size_t)(close - p - 1))) {
		snprintf(why, whysize, "unterminated placeholder '%.*s' (write "
		    "'{{' for a literal brace)", (int)strcspn(p + 1, "{") + 1,
		    p);
		return -1;
	}
	*end = close + 1;
	if (close - p == 5 && strncmp(p, "{date}", 6) == 0) {
		*kind = PH_DATE;
		return 0;
	}
	if (close - p == 4 && strncmp(p, "{job}", 5) == 0) {
		*kind = PH_JOB;
		return 0;
	}
	if (close - p == 4 && strncmp(p, "{seq}", 5) == 0) {
		*kind = PH_SEQ;
		*fmtlen = SEQ_WIDTH_DEFAULT;
		return 0;
	}
	if (close - p == 6 && strncmp(p, "{seq:", 5) == 0 && p[5] >= '1' &&
	    p[5] <= '9') {
		/* {seq:N}: N digits, zero-padded */
		*kind = PH_SEQ;
		*fmtlen = (size_t)(p[5] - '0');
		return 0;
	}
	if (strncmp(p, "{seq", 4) == 0) {
		snprintf(why, whysize, "bad placeholder '%.*s' (expected {seq} "
		    "or {seq:N}, N digits from 1 to 9)", (int)(close - p + 1),
		    p);
		return -1;
	}
	if (strncmp(p, "{date:", 6) != 0) {
		snprintf(why, whysize, "unknown placeholder '%.*s' (expected "
		    "{date}, {date:FMT} or {job})", (int)(close - p + 1), p);
		return -1;
	}
	f = p + 6;
	*fmt = f;
	*fmtlen = (size_t)(close - f);
	*kind = PH_DATE_FMT;
	if (*fmtlen == 0) {
		snprintf(why, whysize, "{date:} has an empty format");
		return -1;
	}
	for (c = f; c < close; c++) {
		if (*c != '%')
			continue;
		if (++c == close) {
			snprintf(why, whysize, "{date:%.*s} ends with a lone "
			    "'%%'", (int)*fmtlen, f);
			return -1;
		}
		if (strchr(date_convs, *c) != NULL)
			continue;
		if (strchr(time_convs, *c) != NULL)
			snprintf(why, whysize, "{date:%.*s} has a time "
			    "conversion '%%%c'; a batch is a date",
			    (int)*fmtlen, f, *c);
		else
			snprintf(why, whysize, "{date:%.*s} has an unsupported "
			    "conversion '%%%c' (allowed: %%Y %%y %%m %%d %%e "
			    "%%j %%b %%B %%a %%A %%u %%w %%U %%V %%G %%g %%F "
			    "%%%%)", (int)*fmtlen, f, *c);
		return -1;
	}
	return 0;
}

int
pattern_check(const char *pat, char *why, size_t whysize)
{
	const char *p, *end, *fmt;
	size_t fmtlen;
	enum ph kind;

	for (p = pat; *p != '\0';) {
		if ((p[0] == '{' && p[1] == '{') ||
		    (p[0] == '}' && p[1] == '}')) {
			p += 2;
			continue;
		}
		if (*p == '}') {
			snprintf(why, whysize, "unmatched '}' (write '}}' for "
			    "a literal brace)");
			return -1;
		}
		if (*p != '{') {
			p++;
			continue;
		}
		if (placeholder(p, &end, &fmt, &fmtlen, &kind, why,
		    whysize) == -1)
			return -1;
		p = end;
	}
	return 0;
}

int
pattern_has_date(const char *pat)
{
	const char *p;

	for (p = pat; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '{') {
			p++;
			continue;
		}
		if (strncmp(p, "{date}", 6) == 0 ||
		    strncmp(p, "{date:", 6) == 0)
			return 1;
	}
	return 0;
}

static int
expand_fmt(struct buf *b, const char *fmt, size_t fmtlen, bdate_t date,
    struct xerr *err)
{
	char f[FMT_MAX + 1], out[FMT_MAX + 1];
	struct tm tm;
	locale_t c;
	size_t n;

	if (fmtlen > FMT_MAX)
		return xerr_set(err, XERR_CONFIG, 0, "{date:%.*s...} has a "
		    "format longer than %d bytes", 20, fmt, FMT_MAX);
	memcpy(f, fmt, fmtlen);
	f[fmtlen] = '\0';
	bdate_to_tm(date, &tm);
	/* glibc hands out its static C locale here without allocating;
	 * freelocale() of it does nothing. */
	if ((c = newlocale(LC_ALL_MASK, "C", (locale_t)0)) == (locale_t)0)
		return xerr_set(err, XERR_TEMP, errno, "cannot create the C "
		    "locale");
	/* Every allowed conversion writes something, so 0 means it did not
	 * fit. */
	n = strftime_l(out, sizeof(out), f, &tm, c);
	freelocale(c);
	if (n == 0)
		return xerr_set(err, XERR_CONFIG, 0, "{date:%s} expands to "
		    "more than %d bytes", f, FMT_MAX);
	if (buf_append(b, out, n) == -1)
		return xerr_nomem(err);
	return 0;
}

int
pattern_has_seq(const char *pat)
{
	const char *p;

	for (p = pat; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '{') {
			p++;
			continue;
		}
		if (strncmp(p, "{seq}", 5) == 0 || strncmp(p, "{seq:", 5) == 0)
			return 1;
	}
	return 0;
}

int
pattern_expand(const char *pat, const char *job, bdate_t date, char **out,
    struct xerr *err)
{
	return pattern_expand_seq(pat, job, date, 1, out, err);
}

int
pattern_expand_seq(const char *pat, const char *job, bdate_t date, long seq,
    char **out, struct xerr *err)
{
	char why[512], ds[BDATE_STRLEN];
	const char *p, *end, *fmt = NULL, *lit;
	size_t fmtlen = 0;
	enum ph kind;
	struct buf b;

	*out = NULL;
	buf_init(&b, 0);
	for (p = pat; *p != '\0';) {
		if ((p[0] == '{' && p[1] == '{') ||
		    (p[0] == '}' && p[1] == '}')) {
			if (buf_putc(&b, *p) == -1)
				goto nomem;
			p += 2;
			continue;
		}
		if (*p == '}') {
			xerr_set(err, XERR_CONFIG, 0, "bad pattern '%s': "
			    "unmatched '}' (write '}}' for a literal brace)",
			    pat);
			goto fail;
		}
		if (*p != '{') {
			lit = p + strcspn(p, "{}");
			if (buf_append(&b, p, (size_t)(lit - p)) == -1)
				goto nomem;
			p = lit;
			continue;
		}
		if (placeholder(p, &end, &fmt, &fmtlen, &kind, why,
		    sizeof(why)) == -1) {
			xerr_set(err, XERR_CONFIG, 0, "bad pattern '%s': %s",
			    pat, why);
			goto fail;
		}
		switch (kind) {
		case PH_DATE:
			bdate_format(date, ds);
			if (buf_puts(&b, ds) == -1)
				goto nomem;
			break;
		case PH_DATE_FMT:
			if (expand_fmt(&b, fmt, fmtlen, date, err) == -1)
				goto fail;
			break;
		case PH_JOB:
			if (job == NULL) {
				xerr_set(err, XERR_CONFIG, 0, "bad pattern "
				    "'%s': {job} without a job", pat);
				goto fail;
			}
			if (buf_puts(&b, job) == -1)
				goto nomem;
			break;
		case PH_SEQ: {
			char digits[32];

			snprintf(digits, sizeof(digits), "%0*ld", (int)fmtlen,
			    seq);
			if (buf_puts(&b, digits) == -1)
				goto nomem;
			break;
		}
		}
		p = end;
	}
	/* buf_append() terminates even an empty result; buf_detach() of a
	 * never-used buf does not (lib/buf.c). */
	if (buf_append(&b, "", 0) == -1 || (*out = buf_detach(&b)) == NULL)
		goto nomem;
	return 0;
nomem:
	xerr_nomem(err);
fail:
	buf_release(&b);
	return -1;
}

/* Append s to the regex, escaping what ERE would read as operators. */
static int
re_literal(struct buf *re, const char *s, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		if (strchr(".[]()*+?{}|^$\\", s[i]) != NULL)
			rc = buf_putc(re, '\\');
		if (rc == 0)
			rc = buf_putc(re, s[i]);
	}
	return rc;
}

/* The regex for a date written with FMT (validated by pattern_check). */
static int
re_date(struct buf *re, const char *fmt, size_t n)
{
	const char *c;
	int rc = 0;

	for (c = fmt; rc == 0 && c < fmt + n; c++) {
		if (*c != '%') {
			rc = re_literal(re, c, 1);
			continue;
		}
		switch (*++c) {
		case 'Y': case 'G':	rc = buf_puts(re, "[0-9]{4}"); break;
		case 'F':	rc = buf_puts(re, "[0-9]{4}-[0-9]{2}-[0-9]{2}");
				break;
		case 'j':	rc = buf_puts(re, "[0-9]{3}"); break;
		case 'e':	rc = buf_puts(re, "[ 0-9][0-9]"); break;
		case 'b': case 'a':	rc = buf_puts(re, "[A-Za-z]{3}"); break;
		case 'B': case 'A':	rc = buf_puts(re, "[A-Za-z]+"); break;
		case 'u':	rc = buf_puts(re, "[1-7]"); break;
		case 'w':	rc = buf_puts(re, "[0-6]"); break;
		case '%':	rc = buf_putc(re, '%'); break;
		default:	rc = buf_puts(re, "[0-9]{2}"); break;
		}
	}
	return rc;
}

/* Read text back as a date written with fmt; -1 if it is none. */
static int
date_from_text(const char *text, const char *fmt, bdate_t *date)
{
	char again[FMT_MAX + 1], ds[BDATE_STRLEN];
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(text, fmt, &tm);
	if (end == NULL || *end != '\0' || tm.tm_mday == 0)
		return -1;
	*date = bdate_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	/* Writing it back must give the same text: no 2026-02-31. */
	bdate_format(*date, ds);
	memset(&tm, 0, sizeof(tm));
	if (strptime(ds, "%Y-%m-%d", &tm) == NULL)
		return -1;
	tm.tm_hour = 12;
	if (strftime(again, sizeof(again), fmt, &tm) == 0 ||
	    strcmp(again, text) != 0)
		return -1;
	return 0;
}

int
pattern_match(const char *pat, const char *job, const char *name,
    int *has_date, bdate_t *date, struct xerr *err)
{
	return pattern_match_seq(pat, job, name, has_date, date, NULL, err);
}

int
pattern_match_seq(const char *pat, const char *job, const char *name,
    int *has_date, bdate_t *date, long *seq, struct xerr *err)
{
	char why[512], fmt[FMT_MAX + 1], *text = NULL;
	const char *p, *end, *f;
	regmatch_t m[3];
	struct buf re;
	size_t flen;
	enum ph kind;
	regex_t rx;
	int rc = 0, captured = 0, e, ngroups = 0, date_group = 0;
	int seq_group = 0;

	*has_date = 0;
	if (seq != NULL)
		*seq = -1;
	buf_init(&re, 64 * 1024);
	fmt[0] = '\0';
	rc |= buf_putc(&re, '^');
	for (p = pat; rc == 0 && *p; ) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			rc = re_literal(&re, p, 1);
			p += 2;
		} else if (*p == '{') {
			if (placeholder(p, &end, &f, &flen, &kind, why,
			    sizeof(why)) == -1) {
				buf_release(&re);
				return xerr_set(err, XERR_CONFIG, 0, "pattern "
				    "'%s': %s", pat, why);
			}
			if (kind == PH_JOB) {
				rc = re_literal(&re, job, strlen(job));
			} else if (kind == PH_SEQ) {
				/* At least N digits: a seq past 10^N - 1
				 * is written longer. */
				char q[48];

				snprintf(q, sizeof(q), "%s[0-9]{%zu,}%s",
				    seq_group ? "" : "(", flen,
				    seq_group ? "" : ")");
				if (!seq_group)
					seq_group = ++ngroups;
				rc = buf_puts(&re, q);
			} else {
				if (kind == PH_DATE) {
					f = "%Y-%m-%d";
					flen = 8;
				}
				if (!captured) {
					snprintf(fmt, sizeof(fmt), "%.*s",
					    (int)flen, f);
					rc = buf_putc(&re, '(');
					date_group = ++ngroups;
				}
				if (rc == 0)
					rc = re_date(&re, f, flen);
				if (rc == 0 && !captured)
					rc = buf_putc(&re, ')');
				captured = 1;
			}
			p = end;
		} else if (*p == '*') {
			rc = buf_puts(&re, ".*");
			p++;
		} else if (*p == '?') {
			rc = buf_putc(&re, '.');
			p++;
		} else if (*p == '[' && (end = strchr(p + 1, ']')) != NULL) {
			rc = buf_putc(&re, '[');
			p++;
			if (*p == '!' || *p == '^') {
				rc |= buf_putc(&re, '^');
				p++;
			}
			rc |= buf_append(&re, p, (size_t)(end - p));
			rc |= buf_putc(&re, ']');
			p = end + 1;
		} else {
			rc = re_literal(&re, p, 1);
			p++;
		}
	}
	if (rc == 0)
		rc = buf_putc(&re, '$');
	if (rc != 0) {
		buf_release(&re);
		return xerr_nomem(err);
	}
	if ((e = regcomp(&rx, re.data, REG_EXTENDED)) != 0) {
		buf_release(&re);
		if (e == REG_ESPACE)
			return xerr_nomem(err);
		return xerr_set(err, XERR_CONFIG, 0, "pattern '%s' cannot be "
		    "used as a glob", pat);
	}
	buf_release(&re);
	rc = 0;
	if (regexec(&rx, name, 3, m, 0) == 0) {
		rc = 1;
		if (seq_group && seq != NULL && m[seq_group].rm_so >= 0) {
			const char *sp = name + m[seq_group].rm_so;
			int nd = (int)(m[seq_group].rm_eo - m[seq_group].rm_so);

			/* More than 9 digits is no sequence of one date. */
			*seq = -1;
			if (nd <= 9) {
				*seq = 0;
				while (nd-- > 0)
					*seq = *seq * 10 + (*sp++ - '0');
			}
		}
		if (captured && m[date_group].rm_so >= 0) {
			text = strndup(name + m[date_group].rm_so,
			    (size_t)(m[date_group].rm_eo -
			    m[date_group].rm_so));
			if (text == NULL) {
				regfree(&rx);
				return xerr_nomem(err);
			}
			if (date_from_text(text, fmt, date) == 0)
				*has_date = 1;
			else
				rc = 0;
			free(text);
		}
	}
	regfree(&rx);
	return rc;
}

int
pattern_seq_cmp(const char *a, const char *b)
{
	const char *a0 = a, *b0 = b, *sa, *sb;
	size_t la, lb;
	int c;

	while (*a != '\0' && *b != '\0') {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			for (sa = a; *sa == '0'; sa++)
				;
			for (sb = b; *sb == '0'; sb++)
				;
			for (la = 0; isdigit((unsigned char)sa[la]); la++)
				;
			for (lb = 0; isdigit((unsigned char)sb[lb]); lb++)
				;
			if (la != lb)
				return la < lb ? -1 : 1;
			if ((c = strncmp(sa, sb, la)) != 0)
				return c;
			a = sa + la;
			b = sb + lb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	if (*a != *b)
		return *a == '\0' ? -1 : 1;
	/* Equal numbers written differently ("01", "1"): still an order. */
	return strcmp(a0, b0);
}
