/*
 * sendjob: one run of a send job: reconcile the spool with the ledger,
 * choose the batch dates (the current one plus catch-up, or the dates
 * asked for), produce what is missing, deliver what is produced, and
 * record every outcome.  The job's lock is held throughout.
 *
 * On a shared ledger (a fleet, SPEC.md section 9) every date the run
 * works on is claimed first, a group's dates in one ledger_claim(), and
 * reconciled with this host's spool only under that claim; a date another
 * node holds is skipped; a claim found taken over stops that batch with
 * nothing more recorded (send_outcome.lost).  Dry runs claim nothing.
 */
#ifndef XFER_SENDJOB_H
#define XFER_SENDJOB_H

#include <time.h>

#include "bdate.h"
#include "job.h"
#include "ledger.h"
#include "log.h"
#include "spool.h"
#include "xerr.h"

struct send_opts {
	time_t now;
	int dry_run;
	int explicit_dates;	/* rebuild and send from..to, whatever state */
	bdate_t from, to;
	/*
	 * rerun: redo the failed and held batches of from..to (attempts
	 * reset); force: sent ones too; regenerate: rebuild from the source
	 * instead of resending the spooled file.
	 */
	int rerun, force, regenerate;
	/*
	 * send --force: let a rebuilt batch with no records replace a
	 * version the partner has that had records (refused otherwise).
	 */
	int replace_with_empty;
	int lock_held;		/* the caller holds the job's lock */
};

struct send_outcome {
	int locked;		/* another run holds the job: nothing done */
	int sent;
	int failed;		/* batches that failed in this run */
	int held;		/* batches held in this run */
	int skipped;		/* rerun: batches not redone (sent, or none,
				 * or another node's claim) */
	int lost;		/* batches stopped because another node took
				 * over this node's claim (a shared ledger) */
};

/*
 * Returns -1 only when the job could not be worked on at all (spool or
 * ledger trouble); batch failures are counted in *out and logged.
 */
int send_job_run(const struct job *job, const struct spool *sp,
    struct ledger *l, const struct send_opts *o, struct send_outcome *out,
    const struct log *lg, struct xerr *err);

#endif
