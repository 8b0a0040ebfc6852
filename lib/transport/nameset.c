#include "nameset.h"

#include <stdlib.h>
#include <string.h>

static uint64_t
name_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int
cmp_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
holds(const struct nameset *s, uint64_t h)
{
	return s->n > 0 && bsearch(&h, s->v, s->n, sizeof(h), cmp_hash) !=
	    NULL;
}

static int
grow(struct nameset *s)
{
	uint64_t *v;
	size_t cap;

	if (s->n < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 256;
	if (s->n >= NAMESET_MAX || (v = realloc(s->v, cap * sizeof(*v))) ==
	    NULL)
		return -1;
	s->v = v;
	s->cap = cap;
	return 0;
}

int
nameset_due(struct nameset *s)
{
	return s->state == 0 && ++s->probes > NAMESET_PROBES;
}

void
nameset_seen(struct nameset *s, const char *name)
{
	if (s->state == 0 && s->nseen < NAMESET_PROBES)
		s->seen[s->nseen++] = name_hash(name, strlen(name));
}

int
nameset_add(struct nameset *s, const char *name, size_t len)
{
	if (grow(s) == -1)
		return -1;
	s->v[s->n++] = name_hash(name, len);
	return 0;
}

int
nameset_done(struct nameset *s)
{
	int i;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_hash);
	for (i = 0; i < s->nseen; i++)
		if (!holds(s, s->seen[i])) {
			nameset_drop(s);
			return 0;
		}
	s->state = 1;
	return 1;
}

void
nameset_drop(struct nameset *s)
{
	s->state = -1;
	s->n = 0;
}

int
nameset_absent(const struct nameset *s, const char *name)
{
	return s->state == 1 && !holds(s, name_hash(name, strlen(name)));
}

void
nameset_insert(struct nameset *s, const char *name)
{
	uint64_t h = name_hash(name, strlen(name));
	size_t i;

	if (s->state != 1 || holds(s, h))
		return;
	if (grow(s) == -1) {
		nameset_drop(s);
		return;
	}
	for (i = s->n; i > 0 && s->v[i - 1] > h; i--)
		s->v[i] = s->v[i - 1];
	s->v[i] = h;
	s->n++;
}

void
nameset_free(struct nameset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
