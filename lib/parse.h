/*
 * parse: the value syntaxes of job files and xfer.conf.
 *
 * Each parser takes the whole (already trimmed) value and returns 0, or -1
 * with a short reason in why that says what is allowed, ready to follow
 * "FILE:LINE: key 'x': ".  No locale, no errno, no partial matches.
 *
 *   durations  "30s" "10m" "2h" "7d", or bare seconds "30"; one unit only
 *   sizes      "512", "10K" "5M" "1G" (powers of 1024; k/m/g, "KB", "KiB"
 *              are accepted too)
 *   booleans   yes/no, true/false, on/off, 1/0 (any case)
 *   integers   decimal, optional sign, within [min, max]
 */
#ifndef XFER_PARSE_H
#define XFER_PARSE_H

#include <stddef.h>
#include <stdint.h>

int parse_duration_s(const char *s, long *secs, char *why, size_t whysize);
int parse_duration_ms(const char *s, long *ms, char *why, size_t whysize);
int parse_size(const char *s, uint64_t *bytes, char *why, size_t whysize);
int parse_bool(const char *s, int *out, char *why, size_t whysize);
int parse_long(const char *s, long min, long max, long *out, char *why,
    size_t whysize);

#endif
