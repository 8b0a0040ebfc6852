/*
 * pattern: names and paths with {date}, {date:FMT} and {job}.
 *
 * {date} is YYYY-MM-DD; {date:FMT} is strftime(FMT) of the batch date in
 * the C locale (only date conversions make sense: %Y %m %d %j %y %b ...);
 * {job} is the job name.  "{{" and "}}" are literal braces.
 */
#ifndef XFER_PATTERN_H
#define XFER_PATTERN_H

#include <stddef.h>

#include "bdate.h"
#include "xerr.h"

/* Validate pat; on error write the reason to why and return -1. */
int pattern_check(const char *pat, char *why, size_t whysize);

/* Expand pat into a malloc'd string (*out, caller frees).  0 / -1. */
int pattern_expand(const char *pat, const char *job, bdate_t date,
    char **out, struct xerr *err);

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

/* 1 if pat holds {date} or {date:...}. */
int pattern_has_date(const char *pat);

#endif
