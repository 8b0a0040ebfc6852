/*
 * pattern: names and paths with {date}, {date:FMT}, {job} and {seq}.
 *
 * {date} is YYYY-MM-DD; {date:FMT} is strftime(FMT) of the batch date in
 * the C locale (only date conversions make sense: %Y %m %d %j %y %b ...);
 * {job} is the job name; {seq} is the batch's version number of its date
 * (1 for the first), 3 digits zero-padded, {seq:N} N digits (1-9; a
 * larger number is written longer).  "{{" and "}}" are literal braces.
 */
#ifndef XFER_PATTERN_H
#define XFER_PATTERN_H

#include <stddef.h>

#include "bdate.h"
#include "xerr.h"

/* Validate pat; on error write the reason to why and return -1. */
int pattern_check(const char *pat, char *why, size_t whysize);

/* Expand pat into a malloc'd string (*out, caller frees).  0 / -1.
 * {seq} is 1 there; pattern_expand_seq() gives it. */
int pattern_expand(const char *pat, const char *job, bdate_t date,
    char **out, struct xerr *err);
int pattern_expand_seq(const char *pat, const char *job, bdate_t date,
    long seq, char **out, struct xerr *err);

/*
 * Does the file name match pat, read as a glob (* ? [...]) whose {job}
 * stands for the job's name and whose first {date} or {date:FMT} stands
 * for a date written that way?  1 when it matches, 0 when not (a
 * placeholder whose text is no real date does not match), -1 with err on
 * a bad pattern.  When it matched through a date placeholder *has_date is
 * 1 and *date the date; otherwise *has_date is 0.
 */
int pattern_match(const char *pat, const char *job, const char *name,
    int *has_date, bdate_t *date, struct xerr *err);

/* pattern_match(), and a {seq} in pat matches digits: *seq (seq may be
 * NULL) is their value, -1 when pat has none (or more than 9 digits). */
int pattern_match_seq(const char *pat, const char *job, const char *name,
    int *has_date, bdate_t *date, long *seq, struct xerr *err);

/* 1 if pat holds {date} or {date:...}. */
int pattern_has_date(const char *pat);

/* 1 if pat holds {seq} or {seq:N}. */
int pattern_has_seq(const char *pat);

/*
 * strcmp() but runs of digits compare as numbers: names made by one
 * pattern then sort with the files of a date in {seq} order, also past
 * the padding (x.999 before x.1000).
 */
int pattern_seq_cmp(const char *a, const char *b);

#endif
