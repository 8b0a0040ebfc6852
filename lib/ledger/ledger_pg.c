/*
 * ledger_pg: the ledger a fleet shares, in PostgreSQL (SPEC.md section 9).
 * Not written yet: a [ledger] url is refused.
 */
#include "ledger_impl.h"

static int
pg_open(const struct ledger_conf *c, struct ledger **out, struct xerr *err)
{
	*out = NULL;
	return xerr_set(err, XERR_CONFIG, 0, "ledger url '%s': the "
	    "PostgreSQL ledger is not built yet", c->url);
}

const struct ledger_ops ledger_pg_ops = {
	.name = "PostgreSQL",
	.shared = 1,
	.open = pg_open,
};
