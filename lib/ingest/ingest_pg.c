/*
 * ingest_pg: the postgresql target (SPEC.md section 8).  To be built.
 */
#include "ingest_impl.h"

static int
load_pg(struct ingest *ig)
{
	return xerr_set(ig->err, XERR_CONFIG, 0, "%s: [ingest] type = "
	    "postgresql is not built yet", ig->job->file);
}

const struct ingest_ops ingest_pg_ops = { load_pg, NULL, NULL };
