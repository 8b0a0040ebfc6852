/*
 * source_impl: what the [source] types in lib/source/ share with the
 * dispatcher in source.c.  Not an interface for anything outside
 * lib/source/.
 */
#ifndef XFER_SOURCE_IMPL_H
#define XFER_SOURCE_IMPL_H

#include "source.h"

/* Room for an ISO 8601 timestamp with offset, with its NUL. */
#define SOURCE_TS_MAX	40

/*
 * A query's parameters for date: :date as YYYY-MM-DD into ds
 * (BDATE_STRLEN), :start and :end as ISO 8601 with the offset of the
 * job's zone (the process's TZ) into start and end (SOURCE_TS_MAX each):
 * the start of the date, inclusive, and of the next date, exclusive, so
 * 23- and 25-hour days are right.
 */
void source_date_params(bdate_t date, char *ds, char *start, char *end);

/*
 * The projection of a query's ncol columns (names) onto the fields the
 * caller wants (req->want, or every column): (*map)[i] is the column of
 * output field i, for *nout fields.  A name returned twice, or a wanted
 * name the query lacks, is an error naming the job file.  *map is the
 * caller's to free.
 */
int source_project(const struct job *job, const struct source_req *req,
    const char *const *names, size_t ncol, int **map, size_t *nout,
    struct xerr *err);

/* type = postgresql (source_pg.c) and type = mysql (source_mysql.c):
 * run the query for date, pushing its records; check --connect. */
int source_pg_run(const struct job *job, bdate_t date,
    const struct source_req *req, record_fn fn, void *ctx,
    const struct log *lg, struct xerr *err);
int source_pg_check(const struct job *job, check_report_fn report,
    void *ctx, struct xerr *err);
int source_my_run(const struct job *job, bdate_t date,
    const struct source_req *req, record_fn fn, void *ctx,
    const struct log *lg, struct xerr *err);
int source_my_check(const struct job *job, check_report_fn report,
    void *ctx, struct xerr *err);

#endif
