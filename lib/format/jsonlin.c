/*
 * jsonlin: stream JSON Lines (one JSON object per line) into records.
 *
 * json-c parses each line (UTF-8 validation, string decoding, the depth
 * limit).  It is not enough on its own, so a small walker then checks the
 * line against RFC 8259 and notes where each member's key and value are in
 * the text:
 *  - json-c's strict mode still takes 'single quoted' strings, NaN,
 *    Infinity, "1." and raw control characters in strings;
 *  - json-c turns integers into int64/uint64, so -0 comes back as 0 and
 *    123456789012345678901234 silently as 18446744073709551615.  Numbers
 *    are therefore handed on as the walker saw them in the text, and
 *    nested values (VAL_RAW) are the original text with the blanks outside
 *    strings taken out, rather than json-c's re-serialisation;
 *  - json-c keeps the last of two equal keys; the walker counts members,
 *    so a count that differs from json-c's means a repeated key.
 *
 * Lines are read through a fixed buffer; a line that does not fit is
 * gathered in a second buffer that stops at max_line, so an over-long line
 * costs max_line bytes at most.
 *
 * A JSON array of objects goes through the same code one element at a
 * time: a byte scanner that only knows strings, escapes and bracket depth
 * finds where each top-level element starts and ends (and checks the
 * commas and brackets of the array itself), and the element's text is then
 * handled exactly like a JSON Lines line.  The scanner bounds the depth
 * itself, at json-c's limit, so a deep "[[[[..." fails at once instead of
 * being gathered up to max_line.
 *
 * A file in CP949 or EUC-KR (jsonlin_opts encoding) is read through a
 * text_reader, which hands on UTF-8, so everything above, line numbers
 * included, works on the text as if the file were UTF-8.
 */
#include "jsonlin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "fsutil.h"
#include "strlist.h"
#include "textenc.h"

#define JSONLIN_CHUNK		(256 * 1024)
#define JSONLIN_MAX_LINE_DEFAULT	((size_t)64 << 20)
#define JSONLIN_DEPTH		64

/* Where one top-level member is in the line. */
struct member {
	const char *key;	/* the key's text, quotes included */
	size_t klen;
	const char *val;	/* the value's text */
	size_t vlen;
	int key_nul;		/* the key holds \u0000 */
	int val_nul;		/* the value is a string holding \u0000 */
};

struct jsonlin {
	const char *label;
	const struct jsonlin_opts *o;
	record_fn fn;
	void *ctx;
	struct xerr *err;
	size_t max_line;
	struct json_tokener *tok;
	unsigned long line;	/* where the text being parsed starts */
	size_t col0;		/* its byte in that line (arrays), from 0 */
	unsigned long recno;

	/* Field names: want, or the keys of the first object. */
	int have_names;
	struct strlist first;
	const char *const *names;
	size_t nslot;
	size_t hmask;
	size_t *htab;		/* hash of names: slot + 1, 0 is empty */
	size_t *hnext;		/* next slot of the same name, or SIZE_MAX */

	struct value *vals;
	size_t *voff;		/* arena offset of a value, or SIZE_MAX */
	struct record rec;
	struct member *mem;
	size_t nmem;
	size_t memcap;
	struct buf arena;	/* numbers and nested values of a line */
	struct buf part;	/* a line that crosses reads */
	struct text_reader *tr;	/* decodes; NULL for UTF-8 */
};

/* The walker: RFC 8259 over text json-c has already accepted. */
struct walk {
	const char *s;
	const char *p;
	const char *end;
	const char *why;	/* NULL after a failure: out of memory */
};

static int
walk_fail(struct walk *w, const char *why)
{
	w->why = why;
	return -1;
}

static void
walk_ws(struct walk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' ||
	    *w->p == '\r' || *w->p == '\n'))
		w->p++;
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
walk_string(struct walk *w, int *has_nul)
{
	unsigned char c;

	if (w->p >= w->end || *w->p != '"')
		return walk_fail(w, "string expected");
	w->p++;
	for (;;) {
		if (w->p >= w->end)
			return walk_fail(w, "unterminated string");
		c = (unsigned char)*w->p++;
		if (c == '"')
			return 0;
		if (c < 0x20) {
			w->p--;
			return walk_fail(w, "control character in string");
		}
		if (c != '\\')
			continue;
		if (w->p >= w->end)
			return walk_fail(w, "unterminated string");
		c = (unsigned char)*w->p++;
		if (c == 'u') {
			if (w->end - w->p < 4 || !is_hex(w->p[0]) ||
			    !is_hex(w->p[1]) || !is_hex(w->p[2]) ||
			    !is_hex(w->p[3]))
				return walk_fail(w, "bad \\u escape");
			if (memcmp(w->p, "0000", 4) == 0)
				*has_nul = 1;
			w->p += 4;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
			w->p--;
			return walk_fail(w, "bad escape in string");
		}
	}
}

static int
walk_digits(struct walk *w)
{
	const char *start = w->p;

	while (w->p < w->end && *w->p >= '0' && *w->p <= '9')
		w->p++;
	return w->p > start ? 0 : walk_fail(w, "bad number");
}

static int
walk_number(struct walk *w)
{
	if (w->p < w->end && *w->p == '-')
		w->p++;
	if (w->p < w->end && *w->p == '0')
		w->p++;
	else if (walk_digits(w) == -1)
		return -1;
	if (w->p < w->end && *w->p == '.') {
		w->p++;
		if (walk_digits(w) == -1)
			return -1;
	}
	if (w->p < w->end && (*w->p == 'e' || *w->p == 'E')) {
		w->p++;
		if (w->p < w->end && (*w->p == '+' || *w->p == '-'))
			w->p++;
		if (walk_digits(w) == -1)
			return -1;
	}
	return 0;
}

static int
walk_word(struct walk *w, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(w->end - w->p) < n || memcmp(w->p, word, n) != 0)
		return walk_fail(w, "unexpected character");
	w->p += n;
	return 0;
}

static int walk_value(struct walk *, int, int *);

static int
walk_array(struct walk *w, int depth)
{
	int nul;

	w->p++;
	walk_ws(w);
	if (w->p < w->end && *w->p == ']') {
		w->p++;
		return 0;
	}
	for (;;) {
		if (walk_value(w, depth + 1, &nul) == -1)
			return -1;
		walk_ws(w);
		if (w->p < w->end && *w->p == ']') {
			w->p++;
			return 0;
		}
		if (w->p >= w->end || *w->p != ',')
			return walk_fail(w, "',' or ']' expected");
		w->p++;
		walk_ws(w);
	}
}

/* An object; the top one (jl != NULL) records its members. */
static int
walk_object(struct walk *w, int depth, struct jsonlin *jl)
{
	struct member m, *nm;
	size_t cap;

	w->p++;
	walk_ws(w);
	if (w->p < w->end && *w->p == '}') {
		w->p++;
		return 0;
	}
	for (;;) {
		memset(&m, 0, sizeof(m));
		m.key = w->p;
		if (walk_string(w, &m.key_nul) == -1)
			return -1;
		m.klen = (size_t)(w->p - m.key);
		walk_ws(w);
		if (w->p >= w->end || *w->p != ':')
			return walk_fail(w, "':' expected");
		w->p++;
		walk_ws(w);
		m.val = w->p;
		if (walk_value(w, depth + 1, &m.val_nul) == -1)
			return -1;
		m.vlen = (size_t)(w->p - m.val);
		if (jl != NULL) {
			if (jl->nmem == jl->memcap) {
				cap = jl->memcap ? jl->memcap * 2 : 16;
				nm = realloc(jl->mem, cap * sizeof(*nm));
				if (nm == NULL)
					return walk_fail(w, NULL);
				jl->mem = nm;
				jl->memcap = cap;
			}
			jl->mem[jl->nmem++] = m;
		}
		walk_ws(w);
		if (w->p < w->end && *w->p == '}') {
			w->p++;
			return 0;
		}
		if (w->p >= w->end || *w->p != ',')
			return walk_fail(w, "',' or '}' expected");
		w->p++;
		walk_ws(w);
	}
}

static int
walk_value(struct walk *w, int depth, int *has_nul)
{
	*has_nul = 0;
	if (depth > JSONLIN_DEPTH)
		return walk_fail(w, "nesting too deep");
	if (w->p >= w->end)
		return walk_fail(w, "value expected");
	switch (*w->p) {
	case '{':
		return walk_object(w, depth, NULL);
	case '[':
		return walk_array(w, depth);
	case '"':
		return walk_string(w, has_nul);
	case 't':
		return walk_word(w, "true");
	case 'f':
		return walk_word(w, "false");
	case 'n':
		return walk_word(w, "null");
	default:
		if (*w->p == '-' || (*w->p >= '0' && *w->p <= '9'))
			return walk_number(w);
		return walk_fail(w, "unexpected character");
	}
}

/* Append JSON text without the blanks outside strings. */
static int
compact(struct buf *b, const char *s, size_t n)
{
	size_t i, start;

	for (i = 0; i < n; ) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			i++;
			continue;
		}
		start = i;
		if (s[i] == '"') {
			for (i++; s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else {
			while (i < n && s[i] != ' ' && s[i] != '\t' &&
			    s[i] != '\r' && s[i] != '\n' && s[i] != '"')
				i++;
		}
		if (buf_append(b, s + start, i - start) == -1)
			return -1;
	}
	return 0;
}

static size_t
hash_name(const char *s)
{
	size_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Fix the field names and the table that finds a key's slots. */
static int
set_names(struct jsonlin *jl, const char *const *names, size_t n)
{
	size_t i, h, s, cap = 8;

	jl->names = names;
	jl->nslot = n;
	while (cap < 2 * n)
		cap *= 2;
	jl->hmask = cap - 1;
	jl->htab = calloc(cap, sizeof(*jl->htab));
	jl->hnext = calloc(n ? n : 1, sizeof(*jl->hnext));
	jl->vals = calloc(n ? n : 1, sizeof(*jl->vals));
	jl->voff = calloc(n ? n : 1, sizeof(*jl->voff));
	if (jl->htab == NULL || jl->hnext == NULL || jl->vals == NULL ||
	    jl->voff == NULL)
		return xerr_nomem(jl->err);
	for (i = 0; i < n; i++) {
		jl->hnext[i] = SIZE_MAX;
		for (h = hash_name(names[i]) & jl->hmask; jl->htab[h] != 0;
		    h = (h + 1) & jl->hmask)
			if (strcmp(names[jl->htab[h] - 1], names[i]) == 0)
				break;
		if (jl->htab[h] == 0) {
			jl->htab[h] = i + 1;
			continue;
		}
		/* A name wanted twice: chain the later slot. */
		s = jl->htab[h] - 1;
		while (jl->hnext[s] != SIZE_MAX)
			s = jl->hnext[s] - 1;
		jl->hnext[s] = i + 1;
	}
	jl->rec.n = n;
	jl->rec.names = names;
	jl->rec.vals = jl->vals;
	jl->rec.file = jl->label;
	jl->have_names = 1;
	return 0;
}

/* The first slot named key, plus one; 0 if none. */
static size_t
find_slot(const struct jsonlin *jl, const char *key)
{
	size_t h;

	for (h = hash_name(key) & jl->hmask; jl->htab[h] != 0;
	    h = (h + 1) & jl->hmask)
		if (strcmp(jl->names[jl->htab[h] - 1], key) == 0)
			return jl->htab[h];
	return 0;
}

/*
 * A syntax error at byte off of the text s being parsed, named by the line
 * and the byte in that line it is on (an array element may span lines or
 * start in the middle of one).
 */
static int
syntax_error(struct jsonlin *jl, const char *s, size_t off, const char *why)
{
	unsigned long line = jl->line;
	size_t i, col = jl->col0 + off;

	for (i = 0; i < off; i++) {
		if (s[i] == '\n') {
			line++;
			col = off - i - 1;
		}
	}
	return xerr_set(jl->err, XERR_DATA, 0,
	    "%s:%lu: invalid JSON at byte %zu: %s", jl->label, line, col + 1,
	    why);
}

static int
line_error(struct jsonlin *jl, const char *what)
{
	return xerr_set(jl->err, XERR_DATA, 0, "%s:%lu: %s", jl->label,
	    jl->line, what);
}

/* Name a key in a message: its text as written, without the quotes. */
static int
key_error(struct jsonlin *jl, const char *what, const struct member *m,
    const char *why)
{
	int n = m->klen - 2 > 200 ? 200 : (int)(m->klen - 2);

	return xerr_set(jl->err, XERR_DATA, 0, "%s:%lu: %s '%.*s'%s",
	    jl->label, jl->line, what, n, m->key + 1, why);
}

static int
duplicate_error(struct jsonlin *jl)
{
	size_t i, j;

	for (i = 1; i < jl->nmem; i++)
		for (j = 0; j < i; j++)
			if (jl->mem[i].klen == jl->mem[j].klen &&
			    memcmp(jl->mem[i].key, jl->mem[j].key,
			    jl->mem[i].klen) == 0)
				return key_error(jl, "duplicate key",
				    &jl->mem[i], "");
	/* Spelled differently, e.g. "a" and "\u0061". */
	return line_error(jl, "duplicate key in object");
}

/* Set slot s from member m (its value v as json-c parsed it). */
static int
set_value(struct jsonlin *jl, size_t s, const struct member *m,
    json_object *v)
{
	struct value *val = &jl->vals[s];

	jl->voff[s] = SIZE_MAX;
	switch (m->val[0]) {
	case 'n':
		val->kind = VAL_NULL;
		val->ptr = "";
		val->len = 0;
		return 0;
	case 't':
	case 'f':
		val->kind = VAL_BOOL;
		val->ptr = m->val[0] == 't' ? "true" : "false";
		val->len = m->val[0] == 't' ? 4 : 5;
		return 0;
	case '"':
		/* Values are C strings: a NUL inside cannot be handed on. */
		if (m->val_nul)
			return key_error(jl, "\\u0000 in the value of", m, "");
		val->kind = VAL_TEXT;
		val->ptr = json_object_get_string(v);
		val->len = (size_t)json_object_get_string_len(v);
		return 0;
	case '{':
	case '[':
		val->kind = VAL_RAW;
		jl->voff[s] = jl->arena.len;
		if (compact(&jl->arena, m->val, m->vlen) == -1 ||
		    buf_putc(&jl->arena, '\0') == -1)
			return xerr_nomem(jl->err);
		val->len = jl->arena.len - 1 - jl->voff[s];
		return 0;
	default:
		val->kind = VAL_NUMBER;
		jl->voff[s] = jl->arena.len;
		if (buf_append(&jl->arena, m->val, m->vlen) == -1 ||
		    buf_putc(&jl->arena, '\0') == -1)
			return xerr_nomem(jl->err);
		val->len = m->vlen;
		return 0;
	}
}

static int
first_names(struct jsonlin *jl, json_object *obj)
{
	size_t i = 0;

	json_object_object_foreach(obj, key, v) {
		(void)v;
		if (jl->mem[i++].key_nul)
			return key_error(jl, "\\u0000 in key",
			    &jl->mem[i - 1], "");
		if (strlist_add(&jl->first, key) == -1)
			return xerr_nomem(jl->err);
	}
	return set_names(jl, (const char *const *)jl->first.v, jl->first.n);
}

/* One object: hand it on as a record. */
static int
deliver(struct jsonlin *jl, json_object *obj)
{
	const struct member *m;
	size_t i = 0, s;

	if (!jl->have_names && jl->o->want == NULL &&
	    first_names(jl, obj) == -1)
		return -1;
	for (s = 0; s < jl->nslot; s++) {
		jl->vals[s].kind = VAL_NULL;
		jl->vals[s].ptr = "";
		jl->vals[s].len = 0;
		jl->voff[s] = SIZE_MAX;
	}
	buf_reset(&jl->arena);
	json_object_object_foreach(obj, key, v) {
		m = &jl->mem[i++];
		if (m->key_nul)
			return key_error(jl, "\\u0000 in key", m, "");
		if ((s = find_slot(jl, key)) == 0) {
			if (jl->o->want != NULL)
				continue;
			return key_error(jl, "unexpected key", m,
			    " (not in the first object)");
		}
		for (; s != SIZE_MAX; s = jl->hnext[s - 1])
			if (set_value(jl, s - 1, m, v) == -1)
				return -1;
	}
	/* The arena may have moved while it grew. */
	for (s = 0; s < jl->nslot; s++)
		if (jl->voff[s] != SIZE_MAX)
			jl->vals[s].ptr = jl->arena.data + jl->voff[s];
	jl->rec.recno = ++jl->recno;
	jl->rec.line = jl->line;
	if (jl->fn != NULL)
		return jl->fn(jl->ctx, &jl->rec, jl->err);
	return 0;
}

static int
do_line(struct jsonlin *jl, const char *s, size_t len)
{
	enum json_tokener_error e;
	json_object *obj;
	struct walk w;
	size_t i, end;
	int rc, wrc;

	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r');
	    i++)
		;
	if (i == len)
		return 0;
	if (s[i] != '{')
		return line_error(jl, "not a JSON object");
	json_tokener_reset(jl->tok);
	obj = json_tokener_parse_ex(jl->tok, s, (int)len);
	if (obj == NULL) {
		e = json_tokener_get_error(jl->tok);
		if (e == json_tokener_continue)
			return line_error(jl,
			    "invalid JSON: unexpected end of line");
		return syntax_error(jl, s, json_tokener_get_parse_end(jl->tok),
		    json_tokener_error_desc(e));
	}
	rc = -1;
	end = json_tokener_get_parse_end(jl->tok);
	for (i = end; i < len && (s[i] == ' ' || s[i] == '\t' ||
	    s[i] == '\r'); i++)
		;
	if (i < len) {
		syntax_error(jl, s, i, "text after the object");
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		line_error(jl, "not a JSON object");
		goto out;
	}
	w.s = w.p = s;
	w.end = s + len;
	w.why = NULL;
	jl->nmem = 0;
	walk_ws(&w);
	wrc = walk_object(&w, 1, jl);
	if (wrc == 0) {
		walk_ws(&w);
		if (w.p != w.end)
			wrc = walk_fail(&w, "text after the object");
	}
	if (wrc == -1) {
		if (w.why == NULL)
			xerr_nomem(jl->err);
		else
			syntax_error(jl, s, (size_t)(w.p - w.s), w.why);
		goto out;
	}
	if ((size_t)json_object_object_length(obj) != jl->nmem) {
		duplicate_error(jl);
		goto out;
	}
	rc = deliver(jl, obj);
out:
	json_object_put(obj);
	return rc;
}

static int
too_long(struct jsonlin *jl)
{
	return xerr_set(jl->err, XERR_DATA, 0,
	    "%s:%lu: line longer than %zu bytes", jl->label, jl->line,
	    jl->max_line);
}

/* The next bytes of the file, decoded when it is not UTF-8. */
static int
read_chunk(struct jsonlin *jl, int fd, char *buf, size_t size, size_t *got)
{
	ssize_t n;

	if (jl->tr == NULL)
		return read_some(fd, jl->label, buf, size, got, jl->err);
	if ((n = text_reader_read(jl->tr, buf, size, jl->err)) == -1)
		return -1;
	*got = (size_t)n;
	return 0;
}

/* Add s[0..n) to the line being gathered; it may not pass max_line. */
static int
gather(struct jsonlin *jl, const char *s, size_t n)
{
	if (buf_append(&jl->part, s, n) == 0)
		return 0;
	return errno == E2BIG ? too_long(jl) : xerr_nomem(jl->err);
}

static int
jsonlin_run(struct jsonlin *jl, int fd)
{
	char *buf, *s, *nl;
	size_t n = 0, got = 0, len, bom;
	int first = 1, rc = -1;

	if ((buf = malloc(JSONLIN_CHUNK)) == NULL)
		return xerr_nomem(jl->err);
	for (;;) {
		if (read_chunk(jl, fd, buf + n, JSONLIN_CHUNK - n, &got) == -1)
			goto fail;
		n += got;
		s = buf;
		if (first) {
			if (utf8_bom_pending(buf, n, got, &bom))
				continue;
			first = 0;
			s += bom;
			n -= bom;
		}
		while (n > 0) {
			if ((nl = memchr(s, '\n', n)) == NULL) {
				if (gather(jl, s, n) == -1)
					goto fail;
				break;
			}
			len = (size_t)(nl - s);
			if (jl->part.len > 0) {
				if (gather(jl, s, len) == -1 ||
				    do_line(jl, jl->part.data, jl->part.len) ==
				    -1)
					goto fail;
				buf_reset(&jl->part);
			} else if (len > jl->max_line) {
				too_long(jl);
				goto fail;
			} else if (do_line(jl, s, len) == -1)
				goto fail;
			jl->line++;
			s = nl + 1;
			n -= len + 1;
		}
		n = 0;
		if (got == 0)
			break;
	}
	/* The last line may lack its newline. */
	if (jl->part.len > 0 && do_line(jl, jl->part.data, jl->part.len) == -1)
		goto fail;
	rc = 0;
fail:
	free(buf);
	return rc;
}

/* --- JSON arrays ---------------------------------------------------- */

enum arr_state {
	ARR_START,	/* before the '[' */
	ARR_FIRST,	/* after the '[': an element or ']' */
	ARR_NEXT,	/* after a ',': an element */
	ARR_ELEM,	/* inside an element */
	ARR_AFTER,	/* after an element: ',' or ']' */
	ARR_DONE,	/* after the ']': blanks only */
};

struct scan {
	enum arr_state st;
	int in_str;		/* inside a string of the element */
	int esc;		/* after a backslash in that string */
	int depth;		/* brackets open, the element's own included */
	unsigned long line;	/* of the byte being looked at */
	size_t col;		/* its byte in the line, from 0 */
	unsigned long elem_line;	/* where the element started */
	size_t elem_col;
};

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
scan_error(struct jsonlin *jl, const struct scan *sc, const char *why)
{
	return xerr_set(jl->err, XERR_DATA, 0,
	    "%s:%lu: invalid JSON at byte %zu: %s", jl->label, sc->line,
	    sc->col + 1, why);
}

static int
elem_too_long(struct jsonlin *jl, const struct scan *sc)
{
	return xerr_set(jl->err, XERR_DATA, 0,
	    "%s:%lu: array element longer than %zu bytes", jl->label,
	    sc->elem_line, jl->max_line);
}

/* Add s[0..n) to the element being gathered; it may not pass max_line. */
static int
gather_elem(struct jsonlin *jl, const struct scan *sc, const char *s,
    size_t n)
{
	if (buf_append(&jl->part, s, n) == 0)
		return 0;
	return errno == E2BIG ? elem_too_long(jl, sc) : xerr_nomem(jl->err);
}

/* The element ends with s[0..n); its start may be gathered already. */
static int
elem_done(struct jsonlin *jl, const struct scan *sc, const char *s,
    size_t n)
{
	jl->line = sc->elem_line;
	jl->col0 = sc->elem_col;
	if (jl->part.len == 0) {
		if (n > jl->max_line)
			return elem_too_long(jl, sc);
		return do_line(jl, s, n);
	}
	if (gather_elem(jl, sc, s, n) == -1 ||
	    do_line(jl, jl->part.data, jl->part.len) == -1)
		return -1;
	buf_reset(&jl->part);
	return 0;
}

/* A byte outside the elements that is not a blank. */
static int
scan_punct(struct jsonlin *jl, struct scan *sc, unsigned char c)
{
	switch (sc->st) {
	case ARR_START:
		/* Objects one after another are JSON Lines, misnamed. */
		if (c != '[')
			return xerr_set(jl->err, XERR_DATA, 0,
			    "%s:%lu: not a JSON array%s", jl->label, sc->line,
			    c == '{' ? " (JSON Lines? then format = jsonl)" :
			    "");
		sc->st = ARR_FIRST;
		return 0;
	case ARR_FIRST:
	case ARR_NEXT:
		if (c == ']') {
			if (sc->st == ARR_NEXT)
				return scan_error(jl, sc,
				    "array element expected after ','");
			sc->st = ARR_DONE;
			return 0;
		}
		if (c != '{')
			return xerr_set(jl->err, XERR_DATA, 0,
			    "%s:%lu: array element is not a JSON object",
			    jl->label, sc->line);
		sc->st = ARR_ELEM;
		sc->depth = 1;
		sc->elem_line = sc->line;
		sc->elem_col = sc->col;
		return 0;
	case ARR_AFTER:
		if (c == ',')
			sc->st = ARR_NEXT;
		else if (c == ']')
			sc->st = ARR_DONE;
		else
			return scan_error(jl, sc,
			    "',' or ']' expected after an array element");
		return 0;
	case ARR_DONE:
		return scan_error(jl, sc, "text after the array");
	case ARR_ELEM:
		break;
	}
	return 0;
}

static int
scan_eof(struct jsonlin *jl, const struct scan *sc)
{
	/* Name the last line, not the empty one after its newline. */
	unsigned long line = sc->col == 0 && sc->line > 1 ? sc->line - 1 :
	    sc->line;

	switch (sc->st) {
	case ARR_DONE:
		return 0;
	case ARR_START:
		return xerr_set(jl->err, XERR_DATA, 0,
		    "%s:%lu: not a JSON array: no data", jl->label, line);
	case ARR_ELEM:
		return xerr_set(jl->err, XERR_DATA, 0,
		    "%s:%lu: array element not closed at the end of the file "
		    "(truncated?)", jl->label, sc->elem_line);
	default:
		return xerr_set(jl->err, XERR_DATA, 0,
		    "%s:%lu: JSON array not closed with ']' at the end of the "
		    "file (truncated?)", jl->label, line);
	}
}

static int
jsonarr_run(struct jsonlin *jl, int fd)
{
	struct scan sc;
	char *buf, *p, *end, *mark;
	size_t n = 0, got = 0, bom;
	unsigned char c;
	int first = 1, rc = -1;

	memset(&sc, 0, sizeof(sc));
	sc.st = ARR_START;
	sc.line = 1;
	if ((buf = malloc(JSONLIN_CHUNK)) == NULL)
		return xerr_nomem(jl->err);
	for (;;) {
		if (read_chunk(jl, fd, buf + n, JSONLIN_CHUNK - n, &got) == -1)
			goto fail;
		n += got;
		p = buf;
		if (first) {
			if (utf8_bom_pending(buf, n, got, &bom))
				continue;
			first = 0;
			p += bom;
		}
		end = buf + n;
		mark = p;	/* where this chunk's part of an element starts */
		for (; p < end; p++) {
			c = (unsigned char)*p;
			if (sc.st != ARR_ELEM) {
				if (!is_blank(c)) {
					if (scan_punct(jl, &sc, c) == -1)
						goto fail;
					mark = p;
				}
			} else if (sc.in_str) {
				if (sc.esc)
					sc.esc = 0;
				else if (c == '\\')
					sc.esc = 1;
				else if (c == '"')
					sc.in_str = 0;
			} else if (c == '"') {
				sc.in_str = 1;
			} else if (c == '{' || c == '[') {
				if (++sc.depth > JSONLIN_DEPTH) {
					scan_error(jl, &sc, "nesting too deep");
					goto fail;
				}
			} else if ((c == '}' || c == ']') && --sc.depth == 0) {
				if (elem_done(jl, &sc, mark,
				    (size_t)(p + 1 - mark)) == -1)
					goto fail;
				sc.st = ARR_AFTER;
			}
			if (c == '\n') {
				sc.line++;
				sc.col = 0;
			} else
				sc.col++;
		}
		if (sc.st == ARR_ELEM &&
		    gather_elem(jl, &sc, mark, (size_t)(end - mark)) == -1)
			goto fail;
		n = 0;
		if (got == 0)
			break;
	}
	rc = scan_eof(jl, &sc);
fail:
	free(buf);
	return rc;
}

/* --- both ------------------------------------------------------------ */

static int
jsonlin_read(int fd, const char *label, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err,
    int (*run)(struct jsonlin *, int))
{
	static const struct jsonlin_opts defaults;
	struct jsonlin jl;
	int rc = -1;

	memset(&jl, 0, sizeof(jl));
	if (o == NULL)
		o = &defaults;
	jl.label = label != NULL ? label : "(input)";
	jl.o = o;
	jl.fn = fn;
	jl.ctx = ctx;
	jl.err = err;
	jl.max_line = o->max_line ? o->max_line : JSONLIN_MAX_LINE_DEFAULT;
	/* json-c takes an int length. */
	if (jl.max_line > INT_MAX - 1)
		jl.max_line = INT_MAX - 1;
	jl.line = 1;
	buf_init(&jl.arena, 0);
	buf_init(&jl.part, jl.max_line);
	if ((jl.tok = json_tokener_new_ex(JSONLIN_DEPTH)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	json_tokener_set_flags(jl.tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	if (o->want != NULL && set_names(&jl, o->want, o->nwant) == -1)
		goto out;
	if (o->encoding != TEXTENC_UTF8 &&
	    (jl.tr = text_reader_new(fd, o->encoding, jl.label, err)) == NULL)
		goto out;
	rc = run(&jl, fd);
out:
	if (jl.tok != NULL)
		json_tokener_free(jl.tok);
	text_reader_free(jl.tr);
	strlist_free(&jl.first);
	free(jl.htab);
	free(jl.hnext);
	free(jl.vals);
	free(jl.voff);
	free(jl.mem);
	buf_release(&jl.arena);
	buf_release(&jl.part);
	return rc;
}

static int
jsonlin_open(const char *path, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err,
    int (*run)(struct jsonlin *, int))
{
	int fd, rc, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		e = errno;
		return xerr_set(err, e == EMFILE || e == ENFILE ||
		    e == ENOMEM || e == EIO || e == EINTR ? XERR_TEMP :
		    XERR_PERM, e, "cannot open '%s'", path);
	}
	rc = jsonlin_read(fd, path, o, fn, ctx, err, run);
	close(fd);
	return rc;
}

int
jsonlin_read_fd(int fd, const char *label, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	return jsonlin_read(fd, label, o, fn, ctx, err, jsonlin_run);
}

int
jsonlin_read_file(const char *path, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	return jsonlin_open(path, o, fn, ctx, err, jsonlin_run);
}

int
jsonarr_read_fd(int fd, const char *label, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	return jsonlin_read(fd, label, o, fn, ctx, err, jsonarr_run);
}

int
jsonarr_read_file(const char *path, const struct jsonlin_opts *o,
    record_fn fn, void *ctx, struct xerr *err)
{
	return jsonlin_open(path, o, fn, ctx, err, jsonarr_run);
}
