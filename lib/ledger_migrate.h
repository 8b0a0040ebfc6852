/*
 * ledger_migrate: `xfer ledger migrate`, a single host's SQLite ledger
 * copied into the PostgreSQL ledger of a fleet (SPEC.md section 9).
 *
 * Every table is copied: send_batches, attempts, receive_files, runs,
 * missing_logged, expect_since.  Rows of the SQLite ledger get this
 * host's node (send_batches as the node that wrote them last,
 * receive_files, attempts and runs as the host they belong to).
 *
 * Idempotent and lossless:
 * - A table with a key in PostgreSQL (send_batches (job, date), runs
 *   (job, node), missing_logged (job, direction, date), expect_since
 *   (job)) gets each SQLite row unless a row of that key is there: the
 *   same content counts as already there, other content is a conflict,
 *   reported and never overwritten (the row there may be another host's
 *   newer work; an operator decides, by deleting one of the two).
 * - attempts and receive_files have no key: they are compared as
 *   multisets of this node's rows, and only the copies PostgreSQL lacks
 *   are added (receive_files in the SQLite order of their ids, so later
 *   pick-ups keep higher ids; PostgreSQL gives the new ids).
 * - The copy is one transaction: a run that fails adds nothing, and a
 *   second run adds nothing more.
 * - Then every table is read back from PostgreSQL and compared: the
 *   number of rows and a SHA-256 over the rows' canonical text (sorted),
 *   against the same over the SQLite rows.
 */
#ifndef XFER_LEDGER_MIGRATE_H
#define XFER_LEDGER_MIGRATE_H

#include "buf.h"
#include "digest.h"
#include "ledger.h"
#include "strlist.h"
#include "xerr.h"

#define MIGRATE_TABLES	6

struct migrate_table {
	const char *name;
	long long rows;		/* in the SQLite ledger */
	long long copied;	/* added to PostgreSQL by this run */
	long long there;	/* already there, the same */
	long long conflicts;	/* there with other content: left alone */
	long long read_back;	/* the rows' counterparts read back */
	char sqlite_sha256[SHA256_HEXLEN];	/* over the canonical rows */
	char pg_sha256[SHA256_HEXLEN];
	int identical;		/* read_back == rows, same digest */
};

struct migrate_report {
	struct migrate_table t[MIGRATE_TABLES];
	struct strlist conflicts;	/* one line each: table, key, why */
};

/*
 * Copy the SQLite ledger at sqlite_path into the PostgreSQL ledger pg
 * names (its schema created or upgraded first), giving its rows pg->node,
 * and compare.  0 when the copy and the comparison ran (r says whether
 * every table is identical); -1 with err when they could not.  Release r
 * with migrate_report_release() either way.
 */
int ledger_migrate(const char *sqlite_path, const struct ledger_conf *pg,
    struct migrate_report *r, struct xerr *err);

void migrate_report_release(struct migrate_report *r);

/*
 * After an identical migration: the SQLite ledger at path, its WAL
 * folded in, becomes path.migrated (a copy kept for the operator; a run
 * on a shared ledger refuses to start while path exists, so that no host
 * runs with its history left behind).  The directory is synced.
 */
int ledger_migrate_retire(const char *path, struct xerr *err);

/*
 * A row's canonical text, appended to out: its values in column order,
 * separated by tabs; NULL as \N; backslash, tab, newline and carriage
 * return escaped as \\ \t \n \r.  -1 when out is full.
 */
int migrate_canon(struct buf *out, const char *const *vals, size_t n);

#endif
