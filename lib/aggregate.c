/*
 * aggregate: group-by with count, exact sums, min and max.
 *
 * The per-record path is what a large batch spends its time in, so it
 * allocates nothing: the group key is encoded into a reused scratch buffer,
 * hashed, and looked up in an open-addressing table (linear probing, load
 * at most 1/2).  A group is allocated once, from an arena, when its key is
 * first seen; only a min/max whose winning text outgrows its buffer takes
 * more (geometrically, so the waste stays bounded).
 *
 * A key is encoded field by field as: a tag byte (0 for NULL, 1 for any
 * value), the length as a native uint32, the bytes, and a NUL.  The tag
 * keeps a NULL apart from an empty string; otherwise the bytes alone decide,
 * so the text "5" and the number 5 fall in one group, which keeps the kind
 * of its first record.  The NUL lets emitted values point into the key.
 */
#include "aggregate.h"

#include <inttypes.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "decimal.h"

#define ARENA_CHUNK	(64 * 1024)
#define ARENA_ALIGN	16	/* struct decimal holds an __int128 */
#define KEY_FIELD_HDR	(1 + sizeof(uint32_t))
#define VALUE_SHOWN	64	/* bytes of a bad value quoted in a message */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	alignas(ARENA_ALIGN) unsigned char data[];
};

/* One min or max of a group. */
struct minmax {
	struct decimal d;
	char *text;		/* the winner as read, NUL-terminated */
	size_t len, cap;
	int set;
};

struct group {
	uint64_t count;
	struct decimal *sums;	/* nsum */
	struct minmax *mins;	/* nmin */
	struct minmax *maxs;	/* nmax */
	unsigned char *kinds;	/* ngroup_by: kind of each key value */
	unsigned char *key;	/* encoded key, keylen bytes */
	size_t keylen;
};

struct slot {
	uint64_t hash;
	struct group *g;	/* NULL: empty */
};

struct agg {
	struct agg_spec spec;

	const char **in;	/* distinct input fields */
	size_t nin;
	size_t *gidx;		/* group_by i -> input index */

	/*
	 * The input fields read as numbers, each parsed once per record
	 * however many roles it has; sum/min/max i -> position in num[].
	 */
	size_t *numidx, nnum;
	size_t *sumnum, *minnum, *maxnum;
	struct decimal *num;
	unsigned char *numset;	/* 0: empty value, 1: num[k] holds it */

	const char **out;	/* output column names */
	char **owned;		/* the min_F / max_F names we built */
	size_t nout, nowned;

	struct slot *tab;
	size_t cap, ngroups;
	uint64_t seed;

	unsigned char *kbuf;	/* scratch for the current record's key */
	size_t kcap;

	struct arena_chunk *arena;
};

static void *
arena_alloc(struct agg *a, size_t n)
{
	struct arena_chunk *c = a->arena;
	size_t size;

	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (c == NULL || c->size - c->used < n) {
		/* A large request gets a chunk of its own. */
		size = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		if (n > ARENA_CHUNK / 4 && a->arena != NULL) {
			/* Keep filling the current chunk afterwards. */
			c->next = a->arena->next;
			a->arena->next = c;
		} else {
			c->next = a->arena;
			a->arena = c;
		}
	}
	c->used += n;
	return c->data + c->used - n;
}

static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Eight bytes a step; mix64 at the end spreads them to the low bits. */
static uint64_t
hash_bytes(const unsigned char *p, size_t n, uint64_t seed)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = seed ^ (n * k), w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * k;
	}
	return mix64(h);
}

/* Index of name in a->in, adding it if new. */
static size_t
input_index(struct agg *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nin; i++)
		if (strcmp(a->in[i], name) == 0)
			return i;
	a->in[a->nin] = name;
	return a->nin++;
}

/* Position of input index idx in a->numidx, adding it if new. */
static size_t
num_index(struct agg *a, size_t idx)
{
	size_t k;

	for (k = 0; k < a->nnum; k++)
		if (a->numidx[k] == idx)
			return k;
	a->numidx[a->nnum] = idx;
	return a->nnum++;
}

static int
add_prefixed(struct agg *a, const char *prefix, const char *name)
{
	size_t lp = strlen(prefix), ln = strlen(name);
	char *s;

	if ((s = malloc(lp + ln + 1)) == NULL)
		return -1;
	memcpy(s, prefix, lp);
	memcpy(s + lp, name, ln + 1);
	a->owned[a->nowned++] = s;
	a->out[a->nout++] = s;
	return 0;
}

struct agg *
agg_new(const struct agg_spec *spec)
{
	struct agg *a;
	size_t i, total, nroles;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->spec = *spec;
	nroles = spec->nsum + spec->nmin + spec->nmax;
	total = spec->ngroup_by + nroles;
	/* +1 everywhere so that empty specs still get valid pointers. */
	a->in = calloc(total + 1, sizeof(*a->in));
	a->gidx = calloc(spec->ngroup_by + 1, sizeof(*a->gidx));
	a->numidx = calloc(nroles + 1, sizeof(*a->numidx));
	a->sumnum = calloc(spec->nsum + 1, sizeof(*a->sumnum));
	a->minnum = calloc(spec->nmin + 1, sizeof(*a->minnum));
	a->maxnum = calloc(spec->nmax + 1, sizeof(*a->maxnum));
	a->num = calloc(nroles + 1, sizeof(*a->num));
	a->numset = calloc(nroles + 1, 1);
	a->out = calloc(total + 2, sizeof(*a->out));
	a->owned = calloc(spec->nmin + spec->nmax + 1, sizeof(*a->owned));
	a->cap = 64;
	a->tab = calloc(a->cap, sizeof(*a->tab));
	/* Never NULL, even for an empty key: memcmp() wants a pointer. */
	a->kcap = 256;
	a->kbuf = malloc(a->kcap);
	if (a->kbuf == NULL || a->in == NULL || a->gidx == NULL || a->numidx == NULL ||
	    a->sumnum == NULL || a->minnum == NULL || a->maxnum == NULL ||
	    a->num == NULL || a->numset == NULL || a->out == NULL ||
	    a->owned == NULL || a->tab == NULL)
		goto fail;

	for (i = 0; i < spec->ngroup_by; i++)
		a->gidx[i] = input_index(a, spec->group_by[i]);
	for (i = 0; i < spec->nsum; i++)
		a->sumnum[i] = num_index(a, input_index(a, spec->sum[i]));
	for (i = 0; i < spec->nmin; i++)
		a->minnum[i] = num_index(a, input_index(a, spec->min[i]));
	for (i = 0; i < spec->nmax; i++)
		a->maxnum[i] = num_index(a, input_index(a, spec->max[i]));

	for (i = 0; i < spec->ngroup_by; i++)
		a->out[a->nout++] = spec->group_by[i];
	if (spec->count != NULL)
		a->out[a->nout++] = spec->count;
	for (i = 0; i < spec->nsum; i++)
		a->out[a->nout++] = spec->sum[i];
	for (i = 0; i < spec->nmin; i++)
		if (add_prefixed(a, "min_", spec->min[i]) == -1)
			goto fail;
	for (i = 0; i < spec->nmax; i++)
		if (add_prefixed(a, "max_", spec->max[i]) == -1)
			goto fail;

	/* Only the speed of a run depends on the seed, never its output. */
	if (getrandom(&a->seed, sizeof(a->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(a->seed))
		a->seed = (uint64_t)(uintptr_t)a;
	return a;
fail:
	agg_free(a);
	return NULL;
}

void
agg_free(struct agg *a)
{
	struct arena_chunk *c, *next;
	size_t i;

	if (a == NULL)
		return;
	for (c = a->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	if (a->owned != NULL)
		for (i = 0; i < a->nowned; i++)
			free(a->owned[i]);
	free(a->owned);
	free(a->out);
	free(a->numset);
	free(a->num);
	free(a->maxnum);
	free(a->minnum);
	free(a->sumnum);
	free(a->numidx);
	free(a->gidx);
	free(a->in);
	free(a->tab);
	free(a->kbuf);
	free(a);
}

const char *const *
agg_input_fields(const struct agg *a, size_t *n)
{
	*n = a->nin;
	return a->in;
}

size_t
agg_ngroups(const struct agg *a)
{
	return a->ngroups;
}

const char *const *
agg_output_names(const struct agg *a, size_t *n)
{
	*n = a->nout;
	return a->out;
}

/*
 * Quote a value for a message: at most VALUE_SHOWN bytes (cut at a UTF-8
 * character boundary, "..." marking the cut) with control characters
 * escaped so the message stays on one line.
 */
static void
show_value(const struct value *v, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = v->len, i, o = 0;
	int cut = 0;
	unsigned char c;

	if (n > VALUE_SHOWN) {
		n = VALUE_SHOWN;
		while (n > 0 && ((unsigned char)v->ptr[n] & 0xc0) == 0x80)
			n--;
		cut = 1;
	}
	for (i = 0; i < n && o + 5 < size; i++) {
		c = (unsigned char)v->ptr[i];
		if (c >= 0x20 && c != 0x7f) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		switch (c) {
		case '\n':	out[o++] = 'n'; break;
		case '\r':	out[o++] = 'r'; break;
		case '\t':	out[o++] = 't'; break;
		default:
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (cut && o + 4 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int
not_a_number(const struct record *rec, const char *field,
    const struct value *v, struct xerr *err)
{
	char where[512], shown[VALUE_SHOWN * 4 + 8];

	record_where(rec, where, sizeof(where));
	show_value(v, shown, sizeof(shown));
	return xerr_set(err, XERR_DATA, 0,
	    "%s: value '%s' in '%s' is not a number", where, shown, field);
}

static int
grow_table(struct agg *a)
{
	struct slot *tab, *old = a->tab;
	size_t cap = a->cap * 2, i, j, mask = cap - 1;

	if (cap < a->cap || (tab = calloc(cap, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < a->cap; i++) {
		if (old[i].g == NULL)
			continue;
		for (j = old[i].hash & mask; tab[j].g != NULL; j = (j + 1) & mask)
			;
		tab[j] = old[i];
	}
	free(old);
	a->tab = tab;
	a->cap = cap;
	return 0;
}

static size_t
align_up(size_t n)
{
	return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

/* A new zeroed group for the key in a->kbuf, taking the kinds from rec. */
static struct group *
new_group(struct agg *a, const struct record *rec, size_t keylen)
{
	const struct agg_spec *s = &a->spec;
	size_t o_sums, o_mins, o_maxs, o_kinds, o_key, size, i;
	unsigned char *p;
	struct group *g;

	o_sums = align_up(sizeof(*g));
	o_mins = align_up(o_sums + s->nsum * sizeof(struct decimal));
	o_maxs = o_mins + s->nmin * sizeof(struct minmax);
	o_kinds = o_maxs + s->nmax * sizeof(struct minmax);
	o_key = o_kinds + s->ngroup_by;
	size = o_key + keylen;
	if ((p = arena_alloc(a, size)) == NULL)
		return NULL;
	memset(p, 0, o_key);
	g = (struct group *)(void *)p;
	g->sums = (struct decimal *)(void *)(p + o_sums);
	g->mins = (struct minmax *)(void *)(p + o_mins);
	g->maxs = (struct minmax *)(void *)(p + o_maxs);
	g->kinds = p + o_kinds;
	g->key = p + o_key;
	g->keylen = keylen;
	memcpy(g->key, a->kbuf, keylen);
	for (i = 0; i < s->ngroup_by; i++)
		g->kinds[i] = (unsigned char)rec->vals[a->gidx[i]].kind;
	return g;
}

/* Encode rec's key into a->kbuf; its length, or (size_t)-1 on failure. */
static size_t
encode_key(struct agg *a, const struct record *rec, struct xerr *err)
{
	size_t i, need = 0, o = 0, cap;
	const struct value *v;
	unsigned char *p;
	uint32_t len32;

	for (i = 0; i < a->spec.ngroup_by; i++) {
		v = &rec->vals[a->gidx[i]];
		if (v->len > UINT32_MAX - KEY_FIELD_HDR - 1)
			goto toolong;
		need += KEY_FIELD_HDR + v->len + 1;
		if (need < v->len)
			goto toolong;
	}
	if (need > a->kcap) {
		cap = a->kcap;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		if ((p = realloc(a->kbuf, cap)) == NULL) {
			xerr_nomem(err);
			return (size_t)-1;
		}
		a->kbuf = p;
		a->kcap = cap;
	}
	p = a->kbuf;
	for (i = 0; i < a->spec.ngroup_by; i++) {
		v = &rec->vals[a->gidx[i]];
		if (v->kind == VAL_NULL) {
			p[o] = 0;
			len32 = 0;
		} else {
			p[o] = 1;
			len32 = (uint32_t)v->len;
		}
		memcpy(p + o + 1, &len32, sizeof(len32));
		o += KEY_FIELD_HDR;
		memcpy(p + o, v->ptr, len32);
		o += len32;
		p[o++] = '\0';
	}
	return o;
toolong:
	{
		char where[512];

		record_where(rec, where, sizeof(where));
		xerr_set(err, XERR_DATA, 0, "%s: group key too long", where);
	}
	return (size_t)-1;
}

/* Keep v (already parsed as *d) in mm when less (sign < 0) or more. */
static int
minmax_take(struct agg *a, struct minmax *mm, const struct decimal *d,
    const struct value *v, int sign)
{
	size_t cap;
	char *p;

	if (mm->set) {
		int c = decimal_cmp(d, &mm->d);

		if (sign < 0 ? c >= 0 : c <= 0)
			return 0;
	}
	if (v->len + 1 > mm->cap) {
		cap = mm->cap ? mm->cap * 2 : 16;
		if (cap < v->len + 1)
			cap = v->len + 1;
		if ((p = arena_alloc(a, cap)) == NULL)
			return -1;
		mm->text = p;
		mm->cap = cap;
	}
	memcpy(mm->text, v->ptr, v->len);
	mm->text[v->len] = '\0';
	mm->len = v->len;
	mm->d = *d;
	mm->set = 1;
	return 0;
}

int
agg_add(struct agg *a, const struct record *rec, struct xerr *err)
{
	const struct agg_spec *s = &a->spec;
	const struct value *v;
	struct group *g;
	size_t i, k, keylen, mask, j;
	uint64_t h;

	if (rec->n != a->nin) {
		char where[512];

		record_where(rec, where, sizeof(where));
		return xerr_set(err, XERR_DATA, 0,
		    "%s: record has %zu fields, the aggregation reads %zu",
		    where, rec->n, a->nin);
	}

	/* Parse first, so that a bad record changes no group. */
	for (k = 0; k < a->nnum; k++) {
		v = &rec->vals[a->numidx[k]];
		if (v->kind == VAL_NULL || v->len == 0) {
			a->numset[k] = 0;
			continue;
		}
		if (decimal_parse(v->ptr, v->len, &a->num[k]) == -1)
			return not_a_number(rec, a->in[a->numidx[k]], v, err);
		a->numset[k] = 1;
	}

	if ((keylen = encode_key(a, rec, err)) == (size_t)-1)
		return -1;
	h = hash_bytes(a->kbuf, keylen, a->seed);
	mask = a->cap - 1;
	for (j = h & mask; (g = a->tab[j].g) != NULL; j = (j + 1) & mask) {
		if (a->tab[j].hash == h && g->keylen == keylen &&
		    memcmp(g->key, a->kbuf, keylen) == 0)
			break;
	}
	if (g == NULL) {
		if ((a->ngroups + 1) * 2 > a->cap) {
			if (grow_table(a) == -1)
				return xerr_nomem(err);
			mask = a->cap - 1;
			for (j = h & mask; a->tab[j].g != NULL;
			    j = (j + 1) & mask)
				;
		}
		if ((g = new_group(a, rec, keylen)) == NULL)
			return xerr_nomem(err);
		a->tab[j].hash = h;
		a->tab[j].g = g;
		a->ngroups++;
	}

	g->count++;
	for (i = 0; i < s->nsum; i++) {
		k = a->sumnum[i];
		if (a->numset[k] &&
		    decimal_add(&g->sums[i], &a->num[k]) == -1) {
			char where[512];

			record_where(rec, where, sizeof(where));
			return xerr_set(err, XERR_DATA, 0,
			    "%s: sum of '%s' overflows", where, s->sum[i]);
		}
	}
	for (i = 0; i < s->nmin; i++) {
		k = a->minnum[i];
		if (a->numset[k] && minmax_take(a, &g->mins[i], &a->num[k],
		    &rec->vals[a->numidx[k]], -1) == -1)
			return xerr_nomem(err);
	}
	for (i = 0; i < s->nmax; i++) {
		k = a->maxnum[i];
		if (a->numset[k] && minmax_take(a, &g->maxs[i], &a->num[k],
		    &rec->vals[a->numidx[k]], 1) == -1)
			return xerr_nomem(err);
	}
	return 0;
}

/* Split the next field off an encoded key. */
static const unsigned char *
key_field(const unsigned char *p, int *isnull, uint32_t *len)
{
	*isnull = p[0] == 0;
	memcpy(len, p + 1, sizeof(*len));
	return p + KEY_FIELD_HDR;
}

/* Bytewise, field by field; NULL first, then a shorter prefix first. */
static int
cmp_group(const void *x, const void *y)
{
	const struct group *a = *(const struct group *const *)x;
	const struct group *b = *(const struct group *const *)y;
	const unsigned char *p = a->key, *q = b->key;
	const unsigned char *pend = p + a->keylen;
	uint32_t la, lb;
	int na, nb, c;

	while (p < pend) {
		p = key_field(p, &na, &la);
		q = key_field(q, &nb, &lb);
		if (na != nb)
			return na ? -1 : 1;
		if ((c = memcmp(p, q, la < lb ? la : lb)) != 0)
			return c;
		if (la != lb)
			return la < lb ? -1 : 1;
		p += la + 1;
		q += lb + 1;
	}
	return 0;
}

int
agg_emit(struct agg *a, record_fn fn, void *ctx, struct xerr *err)
{
	const struct agg_spec *s = &a->spec;
	struct group **groups = NULL, *g;
	struct value *vals = NULL;
	char *sumtext = NULL, count[24];
	const unsigned char *p;
	struct record rec;
	size_t i, j, n = 0, o;
	struct minmax *mm;
	uint32_t len;
	int isnull, rc = -1;

	if (a->ngroups == 0)
		return 0;
	groups = malloc(a->ngroups * sizeof(*groups));
	vals = calloc(a->nout + 1, sizeof(*vals));
	sumtext = malloc((s->nsum + 1) * DECIMAL_STRLEN);
	if (groups == NULL || vals == NULL || sumtext == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	for (i = 0; i < a->cap; i++)
		if (a->tab[i].g != NULL)
			groups[n++] = a->tab[i].g;
	qsort(groups, n, sizeof(*groups), cmp_group);

	memset(&rec, 0, sizeof(rec));
	rec.n = a->nout;
	rec.vals = vals;
	rec.names = a->out;
	rec.file = "(aggregate)";
	for (i = 0; i < n; i++) {
		g = groups[i];
		o = 0;
		p = g->key;
		for (j = 0; j < s->ngroup_by; j++, o++) {
			p = key_field(p, &isnull, &len);
			vals[o].ptr = isnull ? "" : (const char *)p;
			vals[o].len = len;
			vals[o].kind = isnull ? VAL_NULL :
			    (enum value_kind)g->kinds[j];
			p += len + 1;
		}
		if (s->count != NULL) {
			vals[o].len = (size_t)snprintf(count, sizeof(count),
			    "%" PRIu64, g->count);
			vals[o].ptr = count;
			vals[o++].kind = VAL_NUMBER;
		}
		for (j = 0; j < s->nsum; j++, o++) {
			vals[o].ptr = sumtext + j * DECIMAL_STRLEN;
			vals[o].len = decimal_format(&g->sums[j],
			    sumtext + j * DECIMAL_STRLEN);
			vals[o].kind = VAL_NUMBER;
		}
		for (j = 0; j < s->nmin + s->nmax; j++, o++) {
			mm = j < s->nmin ? &g->mins[j] : &g->maxs[j - s->nmin];
			if (mm->set) {
				vals[o].ptr = mm->text;
				vals[o].len = mm->len;
				vals[o].kind = VAL_NUMBER;
			} else {
				vals[o].ptr = "";
				vals[o].len = 0;
				vals[o].kind = VAL_NULL;
			}
		}
		rec.recno = i + 1;
		if (fn(ctx, &rec, err) == -1)
			goto fail;
	}
	rc = 0;
fail:
	free(sumtext);
	free(vals);
	free(groups);
	return rc;
}
