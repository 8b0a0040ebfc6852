#include "strlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
strlist_take(struct strlist *l, char *s)
{
	char **v;
	size_t cap;

	if (s == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (l->n + 2 > l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL) {
			free(s);
			errno = ENOMEM;
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

int
strlist_add(struct strlist *l, const char *s)
{
	return strlist_take(l, strdup(s));
}

int
strlist_addf(struct strlist *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = ENOMEM;
		return -1;
	}
	return strlist_take(l, s);
}

int
strlist_contains(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strlist_sort(struct strlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int
strlist_split_commas(struct strlist *l, const char *s)
{
	const char *p = s, *end, *a, *b;

	for (;;) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		a = p;
		b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (a == b) {
			errno = EINVAL;
			return -1;
		}
		if (strlist_take(l, strndup(a, (size_t)(b - a))) == -1)
			return -1;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}
