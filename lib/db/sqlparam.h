/*
 * sqlparam: a source query's named parameters (:date, :start, :end)
 * turned into the server's placeholders, so that their values are bound
 * and never pasted into SQL text (SPEC.md section 8).
 *
 * The scan knows enough SQL to leave alone what only looks like a
 * parameter: string literals ('...', E'...' with backslash escapes,
 * MySQL's "..." and backslashes), quoted identifiers ("..." and
 * `...`), comments (-- and block comments; # in MySQL), PostgreSQL's
 * dollar-quoted strings ($$...$$, $tag$...$tag$), casts (::) and MySQL's
 * := assignment.  Any other :name is refused, so a typo such as :dat
 * fails loudly instead of reaching the server as something else.
 */
#ifndef XFER_SQLPARAM_H
#define XFER_SQLPARAM_H

#include "xerr.h"

enum sqlparam_style {
	SQLPARAM_DOLLAR,	/* $1, $2 ... (PostgreSQL) */
	SQLPARAM_QMARK,		/* ? (MySQL/MariaDB) */
};

enum sqlparam_name { SQLPARAM_DATE, SQLPARAM_START, SQLPARAM_END };

#define SQLPARAM_MAX	64

struct sqlparam {
	char *sql;		/* the rewritten query; sqlparam_free() */
	int n;			/* placeholders: DOLLAR, the distinct
				 * parameters in order of first use ($1,
				 * $2 ...); QMARK, every occurrence */
	int which[SQLPARAM_MAX];	/* enum sqlparam_name of each */
};

/*
 * Rewrite sql for style into *out.  -1 with XERR_CONFIG for an unknown
 * parameter or more than SQLPARAM_MAX occurrences (QMARK), XERR_NOMEM.
 * The message names the parameter; the caller adds the job file.
 */
int sqlparam_rewrite(const char *sql, enum sqlparam_style style,
    struct sqlparam *out, struct xerr *err);

void sqlparam_free(struct sqlparam *p);

#endif
