/*
 * ingest_impl: what the ingest targets (lib/ingest/ingest_*.c) share with
 * the common part in ingest.c.  Not an interface for anything outside
 * lib/ingest/.
 *
 * The rules every target follows (SPEC.md sections 4 and 8):
 * - Verify while loading, in ONE transaction: the file's rows, the
 *   replace-date delete, its key in xfer_ingested (job, name, sha256,
 *   date, records, ingested_at, delivery) and, with replace-date, the
 *   version in xfer_applied (job, date, name, sha256, records, delivery,
 *   applied_at) commit together or not at all.  Both tables are created
 *   in the target when missing.
 * - The duplicate rule is decided inside that transaction from what the
 *   target holds (ingest_is_duplicate() with the target's known()).
 * - Column names come from partner files: always quoted as identifiers;
 *   a name the table does not have fails the file before anything is
 *   written (the target's names hook).
 * - FAULT_POINT("ingest_mid") before a row is written, and
 *   "ingest_before_commit" / "ingest_after_commit" around the commit: the
 *   crash loop kills xfer there.
 */
#ifndef XFER_INGEST_IMPL_H
#define XFER_INGEST_IMPL_H

#include <stddef.h>

#include "digest.h"
#include "ingest.h"
#include "record.h"
#include "strlist.h"

#define INGEST_BUSY_MS		30000
/* Column lists in messages are cut to this many bytes. */
#define INGEST_LIST_MAX		300

/* The state of one file's ingest. */
struct ingest {
	const struct ingest_req *req;
	const struct job *job;
	const struct log *lg;
	struct xerr *err;
	char date[BDATE_STRLEN];
	enum ingest_result res;
	long long nrec;
	int have_names;
	long long deleted;	/* replace-date: rows deleted */

	/*
	 * Set by a loader before ingest_read_records().  names: the file's
	 * column names are known (and passed the common checks); make the
	 * target ready for them or fail the file.  row: one record.  Either
	 * may be NULL (verify only).
	 */
	int (*names)(struct ingest *ig, const char *const *names, size_t n);
	int (*row)(struct ingest *ig, const struct record *rec);
	void *be;		/* the target's own state */
};

/* What the target knows of a version: its key, or what is applied. */
struct ingest_key {
	char sha256[SHA256_HEXLEN];	/* applied: the version's */
	long long records;
	long long delivery;		/* -1: not recorded (older xfer) */
};

/* An [ingest] type: a new target is a new table of these. */
struct ingest_ops {
	/* Verify and load one file (ig->req), setting ig->res. */
	int (*load)(struct ingest *ig);
	/*
	 * 1 and *kn when (job, name, sha256) is in xfer_ingested (applied
	 * 0), or when xfer_applied has a version for (job, date) (applied
	 * 1); 0 if not (or no such table or database yet); -1.  Called
	 * inside load's transaction and, for reconciliation after a crash,
	 * outside of any.  NULL: the target keeps no keys (command, none).
	 */
	int (*known)(struct ingest *ig, int applied, struct ingest_key *kn);
	/* check --connect: log in, check the table; NULL: nothing to do. */
	int (*check)(const struct job *job, check_report_fn report,
	    void *ctx, struct xerr *err);
	/*
	 * Group commit (ingest.h); NULL: one transaction a file.  begin:
	 * open, begin the transaction for files like ig->req; load: one
	 * file (ig) in a savepoint, 1 when it is not the group's; commit;
	 * end: roll back what is open, free g->be.
	 */
	int (*group_begin)(struct ingest_group *g, struct ingest *ig);
	int (*group_load)(struct ingest_group *g, struct ingest *ig);
	int (*group_commit)(struct ingest_group *g, struct xerr *err);
	void (*group_end)(struct ingest_group *g);
};

/* A group of files in one transaction (ingest.h). */
struct ingest_group {
	const struct job *job;
	const struct ingest_ops *ops;
	const struct log *lg;
	int broken;		/* the transaction is gone */
	struct ingest *loaded;	/* the files loaded, for after the commit */
	size_t n, cap;
	void *be;		/* the target's own state */
};

extern const struct ingest_ops ingest_sqlite_ops;
extern const struct ingest_ops ingest_command_ops;
extern const struct ingest_ops ingest_pg_ops;
extern const struct ingest_ops ingest_my_ops;

/*
 * Read the whole file (req->path in req->format), check its names
 * (non-empty, no control characters, equal to [ingest] columns when
 * given) and its count (the manifest's), calling ig->names once and
 * ig->row for every record.
 */
int ingest_read_records(struct ingest *ig);

/*
 * 1 when the file adds nothing to what the target holds (SPEC.md
 * section 4): append, its (name, sha256) was ingested before;
 * replace-date, it is the version applied for its date.  *records gets
 * the count stored with that version.  known is the target's.
 */
int ingest_is_duplicate(struct ingest *ig, long long *records);

/* After the commit: log what a replace-date version did to its date. */
void ingest_log_replaced(struct ingest *ig);

/* "a, b, c" into out, cut with "..." when it does not fit. */
void ingest_join_names(char *out, size_t size, const char *const *names,
    size_t n);

/* The current UTC time as 2026-11-21T03:00:00Z (ingested_at). */
void ingest_utc_now(char *out, size_t size);

#endif
