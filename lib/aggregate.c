/*
 * aggregate: group-by with count, exact sums, min and max.
 *
 * The per-record path is what a large batch spends its time in, so it
 * allocates nothing: the group key is encoded into a reused scratch buffer
 * (with one group_by field, not even that: see below), hashed, and looked
 * up in an open-addressing table (linear probing, load at most 1/4, so
 * that most lookups end at the first slot and the probe loop's branch
 * predicts well).  A group is allocated once, from an arena, when its key
 * is first seen, and nothing more is allocated for it afterwards.
 *
 * With one group_by field (the common case) nothing is encoded per record:
 * the value's bytes are hashed and compared where they are, with two
 * overlapping word loads instead of a loop or a memcmp() call when they
 * are short.  A group is one block: a small header (count, key length),
 * then its sums, mins, maxs, kinds and key at offsets fixed per agg, and
 * starts on a cache line, so that a short key and the first sums share
 * the line the count is on.  The group is looked up before the record's
 * numbers are parsed, so that the loads of its slot and block overlap
 * the parse.
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
#define GROUP_ALIGN	64	/* a cache line */
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
	int set;
};

/*
 * The header of a group's block; the rest is at the agg's o_* offsets:
 * sums[nsum], mins[nmin], maxs[nmax], kinds[ngroup_by] (the kind of each
 * key value) and the encoded key (keylen bytes).
 */
struct group {
	uint64_t count;
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
	int *numscale;		/* the most decimals seen in num[k] so far */

	const char **out;	/* output column names */
	char **owned;		/* the min_F / max_F names we built */
	size_t nout, nowned;

	/* Where the parts of a group's block are (see struct group). */
	size_t o_sums, o_mins, o_maxs, o_kinds, o_key;

	struct slot *tab;
	size_t cap, ngroups;
	uint64_t seed[2];

	unsigned char *kbuf;	/* scratch for the current record's key */
	size_t kcap;

	struct arena_chunk *arena;
};

/* n bytes aligned to align (a power of two, at least ARENA_ALIGN). */
static void *
arena_alloc(struct agg *a, size_t n, size_t align)
{
	struct arena_chunk *c = a->arena;
	size_t size, pad = 0;

	if (n > SIZE_MAX - ARENA_CHUNK - align)
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (c != NULL)
		pad = (size_t)-(uintptr_t)(c->data + c->used) & (align - 1);
	if (c == NULL || c->size - c->used < n + pad) {
		/* A large request gets a chunk of its own. */
		size = n + align > ARENA_CHUNK / 4 ? n + align : ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		if (size != ARENA_CHUNK && a->arena != NULL) {
			/* Keep filling the current chunk afterwards. */
			c->next = a->arena->next;
			a->arena->next = c;
		} else {
			c->next = a->arena;
			a->arena = c;
		}
		pad = (size_t)-(uintptr_t)c->data & (align - 1);
	}
	c->used += pad + n;
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

/* The high and low halves of a 128-bit product, folded (as in wyhash). */
static inline uint64_t
mum(uint64_t x, uint64_t y)
{
	unsigned __int128 r = (unsigned __int128)x * y;

	return (uint64_t)(r >> 64) ^ (uint64_t)r;
}

/*
 * n <= 16 bytes as two words, read with overlapping loads and never past
 * p + n.  Together with n they determine the bytes, so equal n and equal
 * words mean equal bytes.
 */
static inline void
short_words(const unsigned char *p, size_t n, uint64_t *w0, uint64_t *w1)
{
	uint32_t x, y;

	if (n >= 8) {
		memcpy(w0, p, 8);
		memcpy(w1, p + n - 8, 8);
	} else if (n >= 4) {
		memcpy(&x, p, 4);
		memcpy(&y, p + n - 4, 4);
		*w0 = x;
		*w1 = y;
	} else if (n > 0) {
		*w0 = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 |
		    p[n - 1];
		*w1 = 0;
	} else {
		*w0 = 0;
		*w1 = 0;
	}
}

/* Eight bytes a step; mix64 at the end spreads them to the low bits. */
static uint64_t __attribute__((noinline))
hash_long(const unsigned char *p, size_t n, const uint64_t seed[2])
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = seed[0] ^ (n * k), w;

	for (; n > 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	/* The last eight bytes, overlapping the ones before when n < 8. */
	memcpy(&w, p + n - 8, 8);
	h = (h ^ w) * k;
	return mix64(h ^ seed[1]);
}

/*
 * Both seeds are random per agg, so no fixed input makes either factor of
 * mum() zero for every key (which would collide them all).
 */
static inline uint64_t
hash_bytes(const unsigned char *p, size_t n, const uint64_t seed[2])
{
	uint64_t w0, w1;

	if (n > 16)
		return hash_long(p, n, seed);
	short_words(p, n, &w0, &w1);
	return mum(w0 ^ seed[0], w1 ^ seed[1] ^ n);
}

/* Do p and q, both n bytes long, hold the same bytes? */
static inline int
same_bytes(const unsigned char *p, const unsigned char *q, size_t n)
{
	uint64_t a0, a1, b0, b1;

	if (n > 16)
		return memcmp(p, q, n) == 0;
	short_words(p, n, &a0, &a1);
	short_words(q, n, &b0, &b1);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

static size_t
align_up(size_t n)
{
	return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
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
	a->numscale = calloc(nroles + 1, sizeof(*a->numscale));
	a->out = calloc(total + 2, sizeof(*a->out));
	a->owned = calloc(spec->nmin + spec->nmax + 1, sizeof(*a->owned));
	a->cap = 64;
	a->tab = calloc(a->cap, sizeof(*a->tab));
	/* Never NULL, even for an empty key: memcmp() wants a pointer. */
	a->kcap = 256;
	a->kbuf = malloc(a->kcap);
	if (a->kbuf == NULL || a->in == NULL || a->gidx == NULL || a->numidx == NULL ||
	    a->sumnum == NULL || a->minnum == NULL || a->maxnum == NULL ||
	    a->num == NULL || a->numset == NULL || a->numscale == NULL ||
	    a->out == NULL ||
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

	a->o_sums = align_up(sizeof(struct group));
	a->o_mins = align_up(a->o_sums + spec->nsum * sizeof(struct decimal));
	a->o_maxs = a->o_mins + spec->nmin * sizeof(struct minmax);
	a->o_kinds = a->o_maxs + spec->nmax * sizeof(struct minmax);
	a->o_key = a->o_kinds + spec->ngroup_by;

	/* Only the speed of a run depends on the seed, never its output. */
	if (getrandom(a->seed, sizeof(a->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(a->seed)) {
		a->seed[0] = mix64((uint64_t)(uintptr_t)a);
		a->seed[1] = mix64(a->seed[0] ^ 0x9e3779b97f4a7c15ULL);
	}
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
	free(a->numscale);
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
	/* A number by its source's own syntax (JSON) that still does not
	 * parse is out of the exact range, not malformed: say which. */
	if (v->kind == VAL_NUMBER)
		return xerr_set(err, XERR_DATA, 0,
		    "%s: value '%s' in '%s' is too large or too precise for "
		    "an exact decimal sum", where, shown, field);
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

static struct decimal *
g_sums(const struct agg *a, const struct group *g)
{
	return (struct decimal *)(void *)((unsigned char *)(uintptr_t)g +
	    a->o_sums);
}

static struct minmax *
g_mins(const struct agg *a, const struct group *g)
{
	return (struct minmax *)(void *)((unsigned char *)(uintptr_t)g +
	    a->o_mins);
}

static struct minmax *
g_maxs(const struct agg *a, const struct group *g)
{
	return (struct minmax *)(void *)((unsigned char *)(uintptr_t)g +
	    a->o_maxs);
}

static unsigned char *
g_kinds(const struct agg *a, const struct group *g)
{
	return (unsigned char *)(uintptr_t)g + a->o_kinds;
}

static unsigned char *
g_key(const struct agg *a, const struct group *g)
{
	return (unsigned char *)(uintptr_t)g + a->o_key;
}

static int
key_too_long(const struct record *rec, struct xerr *err)
{
	char where[512];

	record_where(rec, where, sizeof(where));
	return xerr_set(err, XERR_DATA, 0, "%s: group key too long", where);
}

/* The encoded length of rec's key; (size_t)-1 when too long. */
static size_t
key_length(const struct agg *a, const struct record *rec)
{
	size_t i, need = 0;
	const struct value *v;

	for (i = 0; i < a->spec.ngroup_by; i++) {
		v = &rec->vals[a->gidx[i]];
		if (v->len > UINT32_MAX - KEY_FIELD_HDR - 1)
			return (size_t)-1;
		need += KEY_FIELD_HDR + v->len + 1;
		if (need < v->len)
			return (size_t)-1;
	}
	return need;
}

/* Encode rec's key into p, which has room for key_length() bytes. */
static void
put_key(const struct agg *a, const struct record *rec, unsigned char *p)
{
	const struct value *v;
	size_t i, o = 0;
	uint32_t len32;

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
}

/* Encode rec's key (keylen bytes) into a->kbuf; -1: out of memory. */
static int
encode_key(struct agg *a, const struct record *rec, size_t keylen)
{
	size_t cap;
	unsigned char *p;

	if (keylen > a->kcap) {
		cap = a->kcap;
		while (cap < keylen)
			cap = cap > SIZE_MAX / 2 ? keylen : cap * 2;
		if ((p = realloc(a->kbuf, cap)) == NULL)
			return -1;
		a->kbuf = p;
		a->kcap = cap;
	}
	put_key(a, rec, a->kbuf);
	return 0;
}

/* A new zeroed group for rec's key (keylen bytes encoded). */
static struct group *
new_group(struct agg *a, const struct record *rec, size_t keylen)
{
	size_t size = a->o_key + keylen, align, i;
	unsigned char *p, *kinds;
	struct group *g;

	/* The smallest power of two that holds it, up to a cache line. */
	align = size <= 16 ? 16 : size <= 32 ? 32 : GROUP_ALIGN;
	if (keylen > SIZE_MAX - a->o_key ||
	    (p = arena_alloc(a, size, align)) == NULL)
		return NULL;
	memset(p, 0, a->o_key);
	g = (struct group *)(void *)p;
	g->keylen = keylen;
	put_key(a, rec, g_key(a, g));
	kinds = g_kinds(a, g);
	for (i = 0; i < a->spec.ngroup_by; i++)
		kinds[i] = (unsigned char)rec->vals[a->gidx[i]].kind;
	return g;
}

#define LOOKUP_TOOLONG	1
#define LOOKUP_NOMEM	2

/*
 * The group of rec, or NULL with *slot the empty slot where it belongs
 * and *hash its hash.  One group_by field is looked up in place; more are
 * encoded into a->kbuf first.  0, or LOOKUP_* for the caller to report.
 */
static int
lookup(struct agg *a, const struct record *rec, struct group **gp,
    size_t *slot, uint64_t *hash, size_t *keylen)
{
	const struct value *v;
	const unsigned char *ptr;
	struct group *g;
	size_t j, mask = a->cap - 1, n;
	unsigned char tag;
	uint64_t h;

	if (a->spec.ngroup_by == 1) {
		v = &rec->vals[a->gidx[0]];
		if (v->len > UINT32_MAX - KEY_FIELD_HDR - 1)
			return LOOKUP_TOOLONG;
		tag = v->kind != VAL_NULL;
		n = tag ? v->len : 0;
		ptr = (const unsigned char *)v->ptr;
		h = hash_bytes(ptr, n, a->seed) ^ tag;
		*keylen = KEY_FIELD_HDR + n + 1;
		for (j = h & mask; (g = a->tab[j].g) != NULL;
		    j = (j + 1) & mask) {
			if (a->tab[j].hash == h && g->keylen == *keylen &&
			    g_key(a, g)[0] == tag &&
			    same_bytes(g_key(a, g) + KEY_FIELD_HDR, ptr, n))
				break;
		}
	} else {
		if ((*keylen = key_length(a, rec)) == (size_t)-1)
			return LOOKUP_TOOLONG;
		if (encode_key(a, rec, *keylen) == -1)
			return LOOKUP_NOMEM;
		h = hash_bytes(a->kbuf, *keylen, a->seed);
		for (j = h & mask; (g = a->tab[j].g) != NULL;
		    j = (j + 1) & mask) {
			if (a->tab[j].hash == h && g->keylen == *keylen &&
			    same_bytes(g_key(a, g), a->kbuf, *keylen))
				break;
		}
	}
	*gp = g;
	*slot = j;
	*hash = h;
	return 0;
}

/* Keep d in mm when less (sign < 0) or more; on a tie the first stays. */
static void
minmax_take(struct minmax *mm, const struct decimal *d, int sign)
{
	if (mm->set) {
		int c = decimal_cmp(d, &mm->d);

		if (sign < 0 ? c >= 0 : c <= 0)
			return;
	}
	mm->d = *d;
	mm->set = 1;
}

/* acc += x like decimal_add(), without the call when the scales agree. */
static inline int
sum_add(struct decimal *acc, const struct decimal *x)
{
	__int128 r;

	if (acc->scale != x->scale)
		return decimal_add(acc, x);
	if (__builtin_add_overflow(acc->v, x->v, &r))
		return -1;
	acc->v = r;
	return 0;
}

int
agg_add(struct agg *a, const struct record *rec, struct xerr *err)
{
	const struct agg_spec *s = &a->spec;
	const struct value *v;
	struct decimal *sums;
	struct minmax *mm;
	struct group *g = NULL;
	size_t i, k, keylen = 0, j = 0;
	uint64_t h = 0;
	int rc;

	if (rec->n != a->nin) {
		char where[512];

		record_where(rec, where, sizeof(where));
		return xerr_set(err, XERR_DATA, 0,
		    "%s: record has %zu fields, the aggregation reads %zu",
		    where, rec->n, a->nin);
	}

	/*
	 * Find the group before parsing, so that its loads overlap the
	 * parse, but change nothing before all is parsed: a bad record
	 * changes no group, and its value's error comes first.
	 */
	rc = lookup(a, rec, &g, &j, &h, &keylen);
	for (k = 0; k < a->nnum; k++) {
		v = &rec->vals[a->numidx[k]];
		if (v->kind == VAL_NULL || v->len == 0) {
			a->numset[k] = 0;
			continue;
		}
		if (decimal_parse(v->ptr, v->len, &a->num[k]) == -1)
			return not_a_number(rec, a->in[a->numidx[k]], v, err);
		a->numset[k] = 1;
		/* Kept even if the record fails below: the batch fails too. */
		if (a->num[k].scale > a->numscale[k])
			a->numscale[k] = a->num[k].scale;
	}

	if (rc == LOOKUP_TOOLONG)
		return key_too_long(rec, err);
	if (rc == LOOKUP_NOMEM)
		return xerr_nomem(err);
	if (g == NULL) {
		if ((a->ngroups + 1) * 4 > a->cap) {
			if (grow_table(a) == -1)
				return xerr_nomem(err);
			for (j = h & (a->cap - 1); a->tab[j].g != NULL;
			    j = (j + 1) & (a->cap - 1))
				;
		}
		if ((g = new_group(a, rec, keylen)) == NULL)
			return xerr_nomem(err);
		a->tab[j].hash = h;
		a->tab[j].g = g;
		a->ngroups++;
	}

	g->count++;
	sums = g_sums(a, g);
	for (i = 0; i < s->nsum; i++) {
		k = a->sumnum[i];
		if (a->numset[k] && sum_add(&sums[i], &a->num[k]) == -1) {
			char where[512];

			record_where(rec, where, sizeof(where));
			return xerr_set(err, XERR_DATA, 0,
			    "%s: sum of '%s' overflows", where, s->sum[i]);
		}
	}
	mm = g_mins(a, g);
	for (i = 0; i < s->nmin; i++) {
		k = a->minnum[i];
		if (a->numset[k])
			minmax_take(&mm[i], &a->num[k], -1);
	}
	mm = g_maxs(a, g);
	for (i = 0; i < s->nmax; i++) {
		k = a->maxnum[i];
		if (a->numset[k])
			minmax_take(&mm[i], &a->num[k], 1);
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
cmp_group(const void *x, const void *y, void *ctx)
{
	const struct agg *ag = ctx;
	const struct group *a = *(const struct group *const *)x;
	const struct group *b = *(const struct group *const *)y;
	const unsigned char *p = g_key(ag, a), *q = g_key(ag, b);
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

/* Value column j: sums, then mins, then maxs; NULL for an unset min/max. */
static const struct decimal *
g_value(const struct agg *a, const struct group *g, size_t j)
{
	const struct agg_spec *s = &a->spec;
	const struct minmax *mm;

	if (j < s->nsum)
		return &g_sums(a, g)[j];
	j -= s->nsum;
	mm = j < s->nmin ? &g_mins(a, g)[j] : &g_maxs(a, g)[j - s->nmin];
	return mm->set ? &mm->d : NULL;
}

/* The position in num[] of value column j's input field. */
static size_t
value_num(const struct agg *a, size_t j)
{
	const struct agg_spec *s = &a->spec;

	if (j < s->nsum)
		return a->sumnum[j];
	j -= s->nsum;
	return j < s->nmin ? a->minnum[j] : a->maxnum[j - s->nmin];
}

/* The output name of value column j. */
static const char *
value_name(const struct agg *a, size_t j)
{
	return a->out[a->spec.ngroup_by + (a->spec.count != NULL) + j];
}

/* " of group F='v', G=NULL" (quoted as in show_value()), cut to size. */
static void
describe_group(const struct agg *a, const struct group *g, char *out,
    size_t size)
{
	char shown[VALUE_SHOWN * 4 + 8];
	const unsigned char *p = g_key(a, g);
	struct value v;
	size_t i, o = 0;
	uint32_t len;
	int isnull, n;

	out[0] = '\0';
	for (i = 0; i < a->spec.ngroup_by; i++) {
		p = key_field(p, &isnull, &len);
		v.ptr = (const char *)p;
		v.len = len;
		show_value(&v, shown, sizeof(shown));
		n = isnull ? snprintf(out + o, size - o, "%s%s=NULL",
		    i ? ", " : " of group ", a->spec.group_by[i]) :
		    snprintf(out + o, size - o, "%s%s='%s'",
		    i ? ", " : " of group ", a->spec.group_by[i], shown);
		if (n < 0 || (size_t)n >= size - o) {
			/* Cut: end with "..." where it still fits. */
			if (size > 4)
				memcpy(out + size - 4, "...", 4);
			return;
		}
		o += (size_t)n;
		p += len + 1;
	}
}

/*
 * With rounding = error, the first value (in output order) that would lose
 * a digit at the fixed scale fails the emit before any group is handed on,
 * so no partial file is ever written for it.
 */
static int
check_exact(const struct agg *a, struct group *const *groups, size_t n,
    size_t nval, struct xerr *err)
{
	char group[512], text[DECIMAL_STRLEN];
	const struct decimal *d;
	struct decimal r;
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nval; j++) {
			d = g_value(a, groups[i], j);
			if (d == NULL || decimal_round(d, a->spec.scale,
			    DECIMAL_EXACT, &r) == 0)
				continue;
			describe_group(a, groups[i], group, sizeof(group));
			decimal_format(d, text);
			return xerr_set(err, XERR_DATA, 0, "column '%s'%s: "
			    "value %s has more than %d decimal%s and "
			    "rounding = error refuses to round it (raise scale, or "
			    "choose half-even or half-up)",
			    value_name(a, j), group, text, a->spec.scale,
			    a->spec.scale == 1 ? "" : "s");
		}
	}
	return 0;
}

int
agg_emit(struct agg *a, record_fn fn, void *ctx, struct xerr *err)
{
	const struct agg_spec *s = &a->spec;
	struct group **groups = NULL, *g;
	struct value *vals = NULL;
	char *numtext = NULL, count[24];
	const unsigned char *p;
	const struct decimal *d;
	struct decimal r;
	struct record rec;
	size_t i, j, n = 0, o, nval = s->nsum + s->nmin + s->nmax;
	int *scale = NULL;
	uint32_t len;
	int isnull, rc = -1;

	if (a->ngroups == 0)
		return 0;
	groups = malloc(a->ngroups * sizeof(*groups));
	vals = calloc(a->nout + 1, sizeof(*vals));
	numtext = malloc((nval + 1) * DECIMAL_STRLEN);
	scale = calloc(nval + 1, sizeof(*scale));
	if (groups == NULL || vals == NULL || numtext == NULL ||
	    scale == NULL) {
		xerr_nomem(err);
		goto fail;
	}
	for (i = 0; i < a->cap; i++)
		if (a->tab[i].g != NULL)
			groups[n++] = a->tab[i].g;
	qsort_r(groups, n, sizeof(*groups), cmp_group, a);

	/*
	 * The decimals of each value column, known before the first group
	 * goes out: all groups are in memory by now, and numscale[] saw
	 * every value, so no column changes its number of decimals midway.
	 */
	for (j = 0; j < nval; j++)
		scale[j] = s->scale_set ? s->scale :
		    a->numscale[value_num(a, j)];
	if (s->scale_set && s->rounding == DECIMAL_EXACT &&
	    check_exact(a, groups, n, nval, err) == -1)
		goto fail;

	memset(&rec, 0, sizeof(rec));
	rec.n = a->nout;
	rec.vals = vals;
	rec.names = a->out;
	rec.file = "(aggregate)";
	for (i = 0; i < n; i++) {
		g = groups[i];
		o = 0;
		p = g_key(a, g);
		for (j = 0; j < s->ngroup_by; j++, o++) {
			p = key_field(p, &isnull, &len);
			vals[o].ptr = isnull ? "" : (const char *)p;
			vals[o].len = len;
			vals[o].kind = isnull ? VAL_NULL :
			    (enum value_kind)g_kinds(a, g)[j];
			p += len + 1;
		}
		if (s->count != NULL) {
			vals[o].len = (size_t)snprintf(count, sizeof(count),
			    "%" PRIu64, g->count);
			vals[o].ptr = count;
			vals[o++].kind = VAL_NUMBER;
		}
		for (j = 0; j < nval; j++, o++) {
			if ((d = g_value(a, g, j)) == NULL) {
				vals[o].ptr = "";
				vals[o].len = 0;
				vals[o].kind = VAL_NULL;
				continue;
			}
			/* Cannot fail: check_exact() ran for EXACT, and
			 * without a fixed scale nothing has more decimals
			 * than its column. */
			if (decimal_round(d, scale[j], s->rounding, &r) == -1)
				abort();
			vals[o].ptr = numtext + j * DECIMAL_STRLEN;
			vals[o].len = decimal_format_fixed(&r, scale[j],
			    numtext + j * DECIMAL_STRLEN);
			vals[o].kind = VAL_NUMBER;
		}
		rec.recno = i + 1;
		if (fn(ctx, &rec, err) == -1)
			goto fail;
	}
	rc = 0;
fail:
	free(scale);
	free(numtext);
	free(vals);
	free(groups);
	return rc;
}
