/*
 * recvjob: one run of a receive job: reconcile the spool with the ledger
 * (and with the target database's xfer_ingested table), pick up new files
 * from the inbox into the spool, verify and ingest each exactly once, and
 * move finished files to the dated backup and failed ones to the failed
 * area.  The job's lock is held throughout.
 *
 * Spool layout of a receive job (under spool/JOB/):
 *   in/TOKEN/NAME        picked up, durable, not finished (with its
 *                        manifest beside it, and scratch files); the
 *                        files picked up in one group share a TOKEN
 *   failed/TOKEN/NAME    failed; NAME.error says why (one file a TOKEN)
 *   backup/YYYY/MM/DD/   finished files (the default [backup] path)
 */
#ifndef XFER_RECVJOB_H
#define XFER_RECVJOB_H

#include <time.h>

#include "bdate.h"
#include "job.h"
#include "ledger.h"
#include "log.h"
#include "spool.h"
#include "strlist.h"
#include "xerr.h"

struct recv_opts {
	time_t now;
	int dry_run;
	int rerun;		/* pick up the inbox's files of date, then
				 * redo the date's failed and held files */
	int force;		/* rerun: re-ingest finished ones from backup */
	bdate_t date;
	int lock_held;		/* the caller holds the job's lock */
};

struct recv_outcome {
	int locked;
	int picked;		/* picked up from the inbox */
	int ingested;
	int duplicates;
	int failed;		/* failed in this run */
	int held;
	int waiting;		/* for a manifest */
	int late;		/* waiting past manifest_timeout */
	int refused;		/* hostile names, links, special files */
	int skipped;		/* rerun: nothing to redo */
	int missing;		/* expected dates without their file */
	struct strlist notes;	/* rerun: "'NAME' (sha256 ...): why", one
				 * per file of the date left alone */
};

/* -1 only when the job could not be worked on at all.  Call
 * recv_outcome_release() on out after either. */
int recv_job_run(const struct job *job, const struct spool *sp,
    struct ledger *l, const struct recv_opts *o, struct recv_outcome *out,
    const struct log *lg, struct xerr *err);

void recv_outcome_release(struct recv_outcome *out);

#endif
