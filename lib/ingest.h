/*
 * ingest: verify one received file and load it into the job's target,
 * exactly once.
 *
 * Verification reads the whole file before anything is loaded: it must be
 * well-formed CSV, JSON (one array of objects), JSON Lines or
 * XML (xmlin.h: no DOCTYPE, so no entities); its header
 * must equal [ingest] columns when given; its record count must equal the
 * JSON manifest's when one came with it.
 *
 * sqlite: in ONE transaction: the file is a duplicate, and nothing is
 * loaded, when it adds nothing to what the target holds (SPEC.md section
 * 4, "Versions and duplicates"): with mode = append when (job, name,
 * sha256) is already in the database's xfer_ingested table; with mode =
 * replace-date when xfer_applied says the version applied for (job,
 * date) has this sha256.  Otherwise the table is created when missing
 * (TEXT columns named by the header, so values are kept exactly as
 * received: a quoted empty CSV field is '', a JSON null is NULL), with
 * mode = replace-date the rows whose date_column equals the batch date
 * are deleted first, every record is inserted, the key row goes into
 * xfer_ingested (job, name, sha256, date, records, ingested_at,
 * delivery) and, with replace-date, the version into xfer_applied (job,
 * date, name, sha256, records, delivery, applied_at).  A failure rolls
 * the whole file back.  Both tables are created, or upgraded from an
 * older xfer's xfer_ingested, inside that transaction.
 *
 * postgresql, mysql (SPEC.md section 8): the same rule and the same two
 * tables in the target database, rows loaded by COPY FROM STDIN
 * (PostgreSQL) or batched multi-row INSERTs (MySQL/MariaDB, InnoDB) into
 * a table that must exist; header columns map to its columns by name.
 *
 * command: runs the handler (fork/execve, no shell, own process
 * group, timeout) with "{file}" in its arguments replaced by the file's
 * path and XFER_JOB, XFER_DATE, XFER_FILE, XFER_SHA256 in its
 * environment: exit 0 = ingested, 75 = try again later, anything else
 * = failed (the end of its stderr in the message).  none: verify only.
 */
#ifndef XFER_INGEST_H
#define XFER_INGEST_H

#include "bdate.h"
#include "dbsession.h"
#include "job.h"
#include "log.h"
#include "xerr.h"

enum ingest_result {
	INGEST_DONE,		/* loaded (or verified, for none) */
	INGEST_DUPLICATE,	/* adds nothing to what the target holds */
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
	long long delivery;	/* the ledger's id of this delivery: kept
				 * with the key, so that reconciliation
				 * tells this delivery from an earlier one
				 * of the same bytes */
	int force;		/* rerun --force: load even if the key is
				 * already in xfer_ingested (and keep one
				 * key row) */
	struct dbsession *db;	/* postgresql, mysql: the run's connection
				 * (NULL: one for this call only) */
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
 * Group commit: several files in ONE transaction of the target (sqlite;
 * the other types load each file on its own: ingest_group_begin() says
 * 0).  Each file is loaded inside a savepoint and keyed in xfer_ingested
 * as ingest_file() would, so the duplicate rule holds file by file, also
 * between two files of one group; a file that fails is rolled back to
 * its savepoint and the others stay.  Nothing of the group is in the
 * target until ingest_group_commit() returns 0.
 */
struct ingest_group;

/* 1 and *out (a group for files like first: same database), 0 when the
 * job's target loads one file a transaction, -1. */
int ingest_group_begin(const struct ingest_req *first, const struct log *lg,
    struct ingest_group **out, struct xerr *err);

/*
 * Verify and load req inside the group's transaction.  0: loaded, to be
 * committed (req must stay valid until then); 1: not this group's file
 * (another database): nothing done; -1 with err: nothing of this file
 * is loaded, and when ingest_group_broken() the transaction is gone with
 * everything loaded in it (load those files again, on their own).
 */
int ingest_group_file(struct ingest_group *g, const struct ingest_req *req,
    enum ingest_result *res, long long *records, struct xerr *err);

int ingest_group_broken(const struct ingest_group *g);

/* Commit what the group loaded (-1: none of it is in the target). */
int ingest_group_commit(struct ingest_group *g, struct xerr *err);

/* Roll back what is not committed; free g (NULL is fine). */
void ingest_group_end(struct ingest_group *g);

/*
 * For the ledger's reconciliation after a crash: 1 if the target
 * (sqlite, postgresql, mysql) holds the ingest of this delivery (req's
 * job, date, name, sha256 and delivery), 0 if not (or the table or
 * database does not exist yet), -1 on error.  With mode = append: its key is in xfer_ingested; with
 * replace-date: it is the version xfer_applied names for its date (an
 * older delivery of the same bytes, since replaced, is not).  A key an
 * older xfer wrote (no delivery recorded) counts for any delivery.
 * When known, *records (unless NULL) gets the count stored with it, so
 * a ledger repaired after a crash still counts the records.
 */
int ingest_known(const struct ingest_req *req, long long *records,
    struct xerr *err);

/* 1 when the job's target keeps the keys of what it ingested
 * (xfer_ingested): sqlite, postgresql, mysql. */
int ingest_keeps_keys(const struct job *job);

/*
 * For `xfer check --connect`: a database target logs in, reports the
 * server's version and TLS, and checks the table and its columns (and
 * that it can hold a transaction); other types report nothing.  -1 when
 * the target is unusable.
 */
int ingest_check(const struct job *job, check_report_fn report, void *ctx,
    struct xerr *err);

#endif
