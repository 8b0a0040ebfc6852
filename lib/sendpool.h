/*
 * sendpool: deliver produced batches over up to N connections at once
 * ([upload] connections), so that the run's main thread can produce the
 * next batches while earlier ones upload.
 *
 * Each worker thread owns one struct dest (its own connection, opened
 * when it first needs one) and calls dest_deliver(): per batch the order
 * is unchanged (data file, then manifest), and each batch has its own
 * tries and backoff, as one connection had.  The pool touches neither
 * the spool's directories nor the ledger: the caller waits for an item,
 * then moves and records it from its own thread (the ledger is used by
 * one thread only).
 *
 * No thread is started until two batches wait at once: a run with one
 * batch, or a pool of one connection, delivers in the caller's thread
 * inside sendpool_wait(), as before there were pools.  Threads need the
 * log's zone pinned (log.h, pinned_zone) and the fault points read
 * (fault.h), which sendpool_new() checks and does.
 */
#ifndef XFER_SENDPOOL_H
#define XFER_SENDPOOL_H

#include "bdate.h"
#include "dest.h"
#include "job.h"
#include "log.h"
#include "produce.h"
#include "xerr.h"

struct pool_item {
	/*
	 * A task instead of a delivery: task(task_arg) runs on a worker
	 * (sendpool_submit_task()); NULL for a delivery.
	 */
	void (*task)(void *arg);
	void *task_arg;
	/* Set by the caller before sendpool_submit(); kept until done. */
	const char *dir;	/* the batch's spool directory (out/DATE) */
	struct batch_meta m;
	char date[BDATE_STRLEN];
	/*
	 * Optional (NULL: none): asked on the worker before each try;
	 * 0 means the batch is no longer this node's (a shared ledger's
	 * claim was lost), so it is not uploaded: rc -1, err XERR_STALE.
	 * Must be safe to call from any thread.
	 */
	int (*still_ours)(void *arg);
	void *still_ours_arg;
	/* Results, valid once sendpool_wait() returned. */
	int rc;			/* 0 delivered, -1 failed: err */
	int uploaded;		/* see dest_deliver() */
	long long ms;		/* from the first try to the last byte */
	struct xerr err;
	/* The pool's. */
	int done;
	struct pool_item *next;
};

struct sendpool;

/*
 * A pool of connections (1..32) for job; lg must have pinned_zone set
 * when connections > 1.  NULL on allocation failure.
 */
struct sendpool *sendpool_new(const struct job *job, const struct log *lg,
    int connections);

/* Queue it (it->dir, m and date set).  Never fails. */
void sendpool_submit(struct sendpool *p, struct pool_item *it);

/*
 * Queue task(arg) as it, ahead of every queued delivery: the run builds
 * a group's batches on the connections' threads too (file sources only:
 * the task must touch no state another thread uses).
 */
void sendpool_submit_task(struct sendpool *p, struct pool_item *it,
    void (*task)(void *arg), void *arg);

/* Until it is delivered or has failed (with no thread: deliver it now,
 * and every item queued before it). */
void sendpool_wait(struct sendpool *p, struct pool_item *it);

/* Threads started so far (0: every delivery ran in the caller's). */
int sendpool_threads(const struct sendpool *p);

/*
 * Items still queued are dropped (never started: their batches stay
 * produced in out/, for the next run); the ones being delivered finish
 * first.  Closes every connection.
 */
void sendpool_free(struct sendpool *p);

#endif
