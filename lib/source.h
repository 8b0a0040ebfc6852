/*
 * source: run a send job's [source] for one batch date and push its records
 * to a callback: CSV or JSON Lines files matched by a glob (bytewise
 * order), an SQLite query with :date, :start and :end bound, or a command
 * whose standard output is CSV or JSON Lines, or a PostgreSQL or
 * MySQL/MariaDB query (SPEC.md section 8) run in one read-only,
 * repeatable-read transaction and streamed.
 */
#ifndef XFER_SOURCE_H
#define XFER_SOURCE_H

#include <stddef.h>

#include "bdate.h"
#include "dbsession.h"
#include "job.h"
#include "log.h"
#include "record.h"
#include "xerr.h"

struct source_req {
	/* Projection, as in csvin.h; NULL: every field. */
	const char *const *want;
	size_t nwant;
	/* Column names of each input as soon as they are known (a CSV
	 * header, a query's columns), before its records.  May be NULL. */
	int (*on_header)(void *ctx, const char *file,
	    const char *const *names, size_t n, struct xerr *err);
	/* postgresql, mysql: the run's connection (NULL: one for this
	 * call only), reused for every date of a backfill. */
	struct dbsession *db;
};

/*
 * Push every record of the batch date's input.  tmpdir is a private
 * directory for the command's output.  Errors: XERR_TEMP for a missing
 * ready file, missing input (no file matches the glob, no database) unless
 * the source says required = no (then no records), an unreadable file or
 * a failed command; XERR_DATA for bad records (file and line named).
 */
int source_run(const struct job *job, bdate_t date, const char *tmpdir,
    const struct source_req *req, record_fn fn, void *ctx,
    const struct log *lg, struct xerr *err);

/*
 * Is the input of date there, without reading it?  1 with why set (e.g.
 * "no file matches 'data/order/NAME.csv' (directory 'data/order' does
 * not exist)") when the ready_file, every file of the glob or the SQLite
 * database is absent; 0 when it is there or the type cannot tell (a
 * command).  For `xfer check`; source_run() decides the same way.
 */
int source_input_missing(const struct job *job, bdate_t date, char *why,
    size_t size, struct xerr *err);

/*
 * For `xfer check --connect`: a database source logs in, reports the
 * server's version and TLS, and prepares the query; other types report
 * nothing.  -1 when the source is unusable.
 */
int source_check(const struct job *job, check_report_fn report, void *ctx,
    struct xerr *err);

#endif
