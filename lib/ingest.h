/*
 * ingest: verify one received file and load it into the job's target,
 * exactly once.
 *
 * Verification reads the whole file before anything is loaded: it must be
 * well-formed CSV, JSON (one array of objects) or JSON Lines; its header
 * must equal [ingest] columns when given; its record count must equal the
 * JSON manifest's when one came with it.
 *
 * sqlite: in ONE transaction: if (job, name, sha256) is already in the
 * database's xfer_ingested table the file is a duplicate and nothing is
 * loaded; otherwise the table is created when missing (TEXT columns named
 * by the header, so values are kept exactly as received: a quoted empty
 * CSV field is '', a JSON null is NULL), with mode = replace-date the
 * rows whose date_column equals the batch date are deleted first, every
 * record is inserted, and the key row goes into xfer_ingested (job, name,
 * sha256, date, records, ingested_at).  A failure rolls the whole file
 * back.  command: runs the handler (fork/execve, no shell, own process
 * group, timeout) with "{file}" in its arguments replaced by the file's
 * path and XFER_JOB, XFER_DATE, XFER_FILE, XFER_SHA256 in its
 * environment: exit 0 = ingested, 75 = try again later, anything else
 * = failed (the end of its stderr in the message).  none: verify only.
 */
#ifndef XFER_INGEST_H
#define XFER_INGEST_H

#include "bdate.h"
#include "job.h"
#include "log.h"
#include "xerr.h"

enum ingest_result {
	INGEST_DONE,		/* loaded (or verified, for none) */
	INGEST_DUPLICATE,	/* sqlite: already in xfer_ingested */
	INGEST_LATER,		/* command exited 75: retry on a later run */
};

struct ingest_req {
	const struct job *job;
	const char *path;	/* the plain (decompressed) file to read */
	const char *orig_path;	/* the file as received (handed to a command) */
	const char *name;	/* its name as received, for keys and messages */
	const char *sha256;	/* of the bytes as received */
	bdate_t date;
	enum out_format format;	/* already resolved (extension or job) */
	long long expect_records;	/* from a JSON manifest, or -1 */
	int force;		/* rerun --force: load even if the key is
				 * already in xfer_ingested (and keep one
				 * key row) */
};

/*
 * Verify and load.  Returns -1 with XERR_DATA for a bad file (wrong
 * columns, malformed, count mismatch: it belongs in the failed area),
 * XERR_TEMP for trouble worth retrying (database busy, disk full), other
 * classes for the rest.  *records gets the number of records.
 */
int ingest_file(const struct ingest_req *req, enum ingest_result *res,
    long long *records, const struct log *lg, struct xerr *err);

/*
 * For the ledger's reconciliation after a crash: 1 if (job, name, sha256)
 * is in the sqlite target's xfer_ingested table, 0 if not (or the table or
 * database does not exist yet), -1 on error.
 */
int ingest_known(const struct job *job, bdate_t date, const char *name,
    const char *sha256, struct xerr *err);

/* As ingest_known(); when known, *records gets the count stored with the
 * key, so a ledger repaired after a crash still counts the records. */
int ingest_known_records(const struct job *job, bdate_t date,
    const char *name, const char *sha256, long long *records,
    struct xerr *err);

#endif
