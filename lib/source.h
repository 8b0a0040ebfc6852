/*
 * source: run a send job's [source] for one batch date and push its records
 * to a callback: CSV or JSON Lines files matched by a glob (bytewise
 * order), an SQLite query with :date, :start and :end bound, or a command
 * whose standard output is CSV or JSON Lines.
 */
#ifndef XFER_SOURCE_H
#define XFER_SOURCE_H

#include <stddef.h>

#include "bdate.h"
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
};

/*
 * Push every record of the batch date's input.  tmpdir is a private
 * directory for the command's output.  Errors: XERR_TEMP for a missing
 * ready file, an unreadable file or a failed command; XERR_DATA for bad
 * records (file and line named).
 */
int source_run(const struct job *job, bdate_t date, const char *tmpdir,
    const struct source_req *req, record_fn fn, void *ctx,
    const struct log *lg, struct xerr *err);

#endif
