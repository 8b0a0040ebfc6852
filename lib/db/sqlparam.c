/*
 * sqlparam: see sqlparam.h.
 */
#include "sqlparam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static const char *const param_names[] = { "date", "start", "end" };

static int
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* The end of a quoted run starting at s (on the opening quote q). */
static const char *
skip_quoted(const char *s, char q, int backslash)
{
	for (s++; *s != '\0'; s++) {
		if (backslash && *s == '\\' && s[1] != '\0') {
			s++;
			continue;
		}
		if (*s == q) {
			if (s[1] == q) {	/* doubled: a quote inside */
				s++;
				continue;
			}
			return s + 1;
		}
	}
	return s;
}

/* PostgreSQL's $tag$ ... $tag$ at s, or NULL when s is not one. */
static const char *
skip_dollar(const char *s)
{
	const char *t = s + 1, *end;
	size_t taglen;

	while (*t != '$' && (is_ident_start(*t) || (t > s + 1 &&
	    *t >= '0' && *t <= '9')))
		t++;
	if (*t != '$')
		return NULL;
	taglen = (size_t)(t - s + 1);
	for (end = t + 1; *end != '\0'; end++)
		if (*end == '$' && strncmp(end, s, taglen) == 0)
			return end + taglen;
	return end;
}

/* Copy sql from from to to, unchanged. */
static int
put(struct buf *b, const char *from, const char *to)
{
	return buf_append(b, from, (size_t)(to - from));
}

int
sqlparam_rewrite(const char *sql, enum sqlparam_style style,
    struct sqlparam *out, struct xerr *err)
{
	int mysql = style == SQLPARAM_QMARK, slot[3] = { -1, -1, -1 };
	const char *s = sql, *t, *dq;
	struct buf b;
	char num[16];
	size_t len, k;

	memset(out, 0, sizeof(*out));
	buf_init(&b, strlen(sql) + 16);
	while (*s != '\0') {
		t = s + 1;
		if (*s == '\'') {
			/* E'..' (PostgreSQL) and every MySQL string take
			 * backslash escapes. */
			t = skip_quoted(s, '\'', mysql || (s > sql &&
			    (s[-1] == 'E' || s[-1] == 'e') && (s - 1 == sql ||
			    !is_ident(s[-2]))));
		} else if (*s == '"') {
			t = skip_quoted(s, '"', mysql);
		} else if (*s == '`' && mysql) {
			t = skip_quoted(s, '`', 0);
		} else if ((*s == '-' && s[1] == '-') || (*s == '#' && mysql)) {
			t = s + strcspn(s, "\n");
		} else if (*s == '/' && s[1] == '*') {
			/* PostgreSQL nests block comments; MySQL does not.
			 * Nesting only matters for a parameter inside one. */
			t = strstr(s + 2, "*/");
			t = t != NULL ? t + 2 : s + strlen(s);
		} else if (*s == '$' && !mysql && (s == sql ||
		    !is_ident(s[-1])) && (dq = skip_dollar(s)) != NULL) {
			t = dq;
		} else if (*s == ':' && (s[1] == ':' || s[1] == '=')) {
			t = s + 2;
		} else if (*s == ':' && is_ident_start(s[1]) && (s == sql ||
		    !is_ident(s[-1]) || mysql)) {
			for (t = s + 1; is_ident(*t); t++)
				;
			len = (size_t)(t - s - 1);
			for (k = 0; k < 3; k++)
				if (strlen(param_names[k]) == len &&
				    strncmp(s + 1, param_names[k], len) == 0)
					break;
			if (k == 3) {
				buf_release(&b);
				return xerr_set(err, XERR_CONFIG, 0,
				    "unknown parameter ':%.*s' (the "
				    "parameters are :date, :start and :end)",
				    (int)len > 64 ? 64 : (int)len, s + 1);
			}
			if (mysql || slot[k] == -1) {
				if (out->n == SQLPARAM_MAX) {
					buf_release(&b);
					return xerr_set(err, XERR_CONFIG, 0,
					    "more than %d parameters",
					    SQLPARAM_MAX);
				}
				out->which[out->n] = (int)k;
				slot[k] = out->n++;
			}
			if (mysql)
				snprintf(num, sizeof(num), "?");
			else
				snprintf(num, sizeof(num), "$%d", slot[k] + 1);
			if (buf_puts(&b, num) == -1)
				goto nomem;
			s = t;
			continue;
		}
		if (put(&b, s, t) == -1)
			goto nomem;
		s = t;
	}
	out->sql = buf_detach(&b);
	if (out->sql == NULL)
		goto nomem;
	return 0;
nomem:
	buf_release(&b);
	return xerr_nomem(err);
}

void
sqlparam_free(struct sqlparam *p)
{
	free(p->sql);
	p->sql = NULL;
	p->n = 0;
}
