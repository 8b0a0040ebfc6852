/*
 * send_internal: what the parts of a send run share (sendjob.c, the run;
 * send_claims.c, its claims on a shared ledger; send_reconcile.c, the
 * spool and the ledger made to agree before anything is produced).  Not
 * an interface: sendjob.h is.
 */
#ifndef XFER_SEND_INTERNAL_H
#define XFER_SEND_INTERNAL_H

#include "dbsession.h"
#include "ledger.h"
#include "produce.h"
#include "sendjob.h"

/* A run's dates go in groups (see "groups of batches" below). */
#define GROUP_FIRST	8	/* dates in the first group, doubled... */
#define GROUP_MAX	64	/* ...up to this */

struct run {
	const struct job *job;
	const struct spool *sp;
	struct ledger *l;
	const struct send_opts *o;
	struct send_outcome *out;
	const struct log *lg;
	struct sendpool *pool;	/* the run's connections */
	struct dbsession db;	/* a database source's connection, for
				 * every date of the run */
	int claims;		/* a shared ledger, not a dry run: every
				 * date is claimed before it is touched */
};

/* sendjob.c */
int send_is_dir(const char *path);
/* Remove a batch directory of the spool and sync its parent. */
int send_discard_dir(struct run *r, const char *dir, struct xerr *err);
/* Fill b (state, file, bytes, records, sha256) from a batch.meta. */
void send_batch_describe(struct send_batch *b, const char *state,
    const struct batch_meta *m);

/* send_claims.c: claims of dates on a shared ledger (r->claims). */
/* Does the row b come from another node of the fleet? */
int send_other_node(const struct run *r, const struct send_batch *b);
/* The claim of date was taken over (XERR_STALE in e): say so, count it. */
void send_claim_lost(struct run *r, bdate_t date, const struct xerr *e);
/* 1 when this node still holds date (always without claims). */
int send_claim_held(struct run *r, bdate_t date);
/* Set err to the XERR_STALE of a date whose claim was found lost. */
int send_stale_err(struct run *r, bdate_t date, struct xerr *err);
void send_claim_init(struct run *r, struct ledger_claim *c, bdate_t date);
/* Log a date another node holds (info when asked for, else debug). */
void send_claim_busy(struct run *r, const struct ledger_claim *c, int asked);
/* Give up n claims (their leases end now). */
void send_claims_release(struct run *r, struct ledger_claim *c, size_t n);

/* send_reconcile.c */
/* Out of memory reading a batch.meta says nothing about the batch. */
int send_meta_nomem(const struct xerr *e);
/* The ledger row of date made to agree with this spool's out/ and sent/. */
int send_reconcile_date(struct run *r, bdate_t date, struct xerr *err);
/* Every date of the job's spool and ledger (one host). */
int send_reconcile(struct run *r, struct xerr *err);
/* A shared ledger: the dates of this host's spool, under claims. */
int send_reconcile_fleet(struct run *r, struct xerr *err);

#endif
