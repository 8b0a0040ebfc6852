/*
 * strlist: a growable list of malloc'd strings; the list owns them.
 */
#ifndef XFER_STRLIST_H
#define XFER_STRLIST_H

#include <stddef.h>

struct strlist {
	size_t n;
	char **v;	/* v[n] is NULL when n > 0, so v works as an argv */
	size_t cap;
};

/* Copies s; 0 or -1 (ENOMEM). */
int strlist_add(struct strlist *l, const char *s);
int strlist_addf(struct strlist *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Takes ownership of s (freed on failure too). */
int strlist_take(struct strlist *l, char *s);
int strlist_contains(const struct strlist *l, const char *s);
void strlist_sort(struct strlist *l);	/* bytewise */
void strlist_free(struct strlist *l);	/* frees all, leaves an empty list */

/*
 * Split "a, b ,c" on commas, trimming blanks around each item; empty items
 * are an error.  0 or -1 (errno EINVAL for an empty item, ENOMEM).
 */
int strlist_split_commas(struct strlist *l, const char *s);

#endif
