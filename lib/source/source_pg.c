/*
 * source_pg.c: [source] type = postgresql (SPEC.md section 8).  To be built.
 */
#include "source_impl.h"

int
source_pg_run(const struct job *job, bdate_t date,
    const struct source_req *req, record_fn fn, void *ctx,
    const struct log *lg, struct xerr *err)
{
	(void)date;
	(void)req;
	(void)fn;
	(void)ctx;
	(void)lg;
	return xerr_set(err, XERR_CONFIG, 0, "%s: [source] type = postgresql is "
	    "not built yet", job->file);
}

int
source_pg_check(const struct job *job, check_report_fn report,
    void *ctx, struct xerr *err)
{
	(void)report;
	(void)ctx;
	return xerr_set(err, XERR_CONFIG, 0, "%s: [source] type = postgresql is "
	    "not built yet", job->file);
}
