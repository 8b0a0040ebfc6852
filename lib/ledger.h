/*
 * ledger: the record of every batch: its state, attempts and errors.
 *
 * The spool's files are the truth about what exists; the ledger is the
 * truth about what happened to it.  Each update is one transaction written
 * after the file it describes is durable, so a crash between the two
 * leaves a file without its row, which the next run reconciles (see
 * sendjob.c).
 *
 * Two backends behind one interface (lib/ledger/), chosen by xfer.conf's
 * [ledger] url: without one, spool/ledger.db (SQLite, WAL mode) for a
 * single host; with postgresql://..., one ledger shared by a fleet of
 * hosts (SPEC.md section 9), where work two hosts could do at once is
 * claimed first (see "Claims" below) and rows describing a host's own
 * spool carry its node name.
 */
#ifndef XFER_LEDGER_H
#define XFER_LEDGER_H

#include "bdate.h"
#include "digest.h"
#include "xerr.h"

struct ledger;

/* xfer.conf's [ledger] section. */
struct ledger_conf {
	const char *url;	/* NULL: the SQLite file at path */
	const char *path;	/* spool/ledger.db */
	const char *password_file;	/* PostgreSQL; NULL: none (or
					 * ~/.pgpass, PGPASSWORD...) */
	const char *node;	/* this host's name in the fleet */
	int lease_s;		/* a claim's life without renewal */
};

#define LEDGER_LEASE_DEFAULT	120
#define LEDGER_NODE_MAX		64

/* States of a send batch (SPEC.md section 7). */
#define ST_PRODUCED	"produced"
#define ST_SENT		"sent"
#define ST_FAILED	"failed"
#define ST_HELD		"held"

struct send_batch {
	char job[128];
	bdate_t date;
	char state[16];
	char file[256];		/* "" when no file was produced */
	long long bytes;
	long long records;
	char sha256[SHA256_HEXLEN];
	int attempts;
	char last_error[1024];
	long long created;	/* unix time */
	long long updated;
	char node[LEDGER_NODE_MAX];	/* who wrote it last ("": one host) */
};

/*
 * Opens the ledger conf names, creating or upgrading its schema (each
 * upgrade step one transaction, safe against a second process doing the
 * same).  A ledger that cannot be reached is an error: XERR_TEMP.
 */
int ledger_connect(const struct ledger_conf *conf, struct ledger **out,
    struct xerr *err);

/* The SQLite ledger at path, node "" (tests, xfer ledger migrate). */
int ledger_open(const char *path, struct ledger **out, struct xerr *err);

/* Gives up the claims still held (their leases expire at once) and
 * closes.  l may be NULL. */
void ledger_close(struct ledger *l);

/* "SQLite 'PATH'" or "PostgreSQL 'URL'" (no password), for messages. */
const char *ledger_name(const struct ledger *l);

/* "SQLite" or "PostgreSQL": which backend l is (metrics, messages). */
const char *ledger_backend(const struct ledger *l);

/* The schema version the ledger is at (after ledger_connect's upgrade). */
int ledger_schema_version(struct ledger *l, int *version, struct xerr *err);

/* 1 on a ledger shared by a fleet (claims taken, rows carry nodes). */
int ledger_is_shared(const struct ledger *l);

/* This host's node name ("" on a plain ledger_open()). */
const char *ledger_node(const struct ledger *l);

/* Group several updates in one transaction (one fsync). */
int ledger_begin(struct ledger *l, struct xerr *err);
int ledger_commit(struct ledger *l, struct xerr *err);
void ledger_rollback(struct ledger *l);

/* *found = 0 when there is no row. */
int ledger_send_get(struct ledger *l, const char *job, bdate_t date,
    struct send_batch *b, int *found, struct xerr *err);

/* Insert or replace the row of (b->job, b->date); sets updated and node.
 * On a shared ledger only under this node's claim of (job, date): see
 * ledger_claim(). */
int ledger_send_put(struct ledger *l, struct send_batch *b, struct xerr *err);

/* Every row of a send job, oldest first. */
int ledger_send_each(struct ledger *l, const char *job,
    int (*fn)(void *ctx, const struct send_batch *b, struct xerr *err),
    void *ctx, struct xerr *err);

/* The earliest recorded date of a send job; *found = 0 if none. */
int ledger_send_first(struct ledger *l, const char *job, bdate_t *date,
    int *found, struct xerr *err);

/* Record one attempt (error NULL for success). */
int ledger_attempt_add(struct ledger *l, const char *job,
    const char *direction, bdate_t date, const char *error,
    struct xerr *err);

/* States of a received file (SPEC.md section 7). */
#define ST_WAITING	"waiting"	/* manifest not there yet */
#define ST_LATE		"late"		/* still waiting after manifest_timeout */
#define ST_RECEIVED	"received"	/* durable in the spool */
#define ST_INGESTED	"ingested"
#define ST_DUPLICATE	"duplicate"
#define ST_SUPERSEDED	"superseded"	/* failed, then a newer version of
					 * its name (or date) went in */

/* One received file version (one delivery). */
struct recv_file {
	long long id;		/* 0: not in the ledger yet */
	char job[128];
	char name[256];
	char sha256[SHA256_HEXLEN];	/* "" while waiting */
	bdate_t date;
	char state[16];
	char spool[512];	/* where it is now, relative to spool/JOB */
	char manifest_sha256[SHA256_HEXLEN];	/* "" without a manifest */
	long long manifest_records;	/* -1 unless a JSON manifest said */
	long long records;	/* -1: unknown */
	long long bytes;
	int attempts;
	int transient;		/* failed, but retried automatically */
	char last_error[1024];
	long long first_seen;	/* unix time */
	long long created;
	long long updated;
	char node[LEDGER_NODE_MAX];	/* the host whose spool holds it */
};

/*
 * Insert (f->id == 0, sets it) or update the row; sets node.  A received
 * file lives in one host's spool: on a shared ledger, ledger_recv_each(),
 * ledger_recv_find() and ledger_recv_superseded_each() see only this
 * node's rows (status and the missing reports see every node's).
 */
int ledger_recv_put(struct ledger *l, struct recv_file *f, struct xerr *err);

/* Rows of job (every job: NULL) in state (any: NULL) and date (any: -1),
 * oldest first.  The callback may not write to the ledger. */
int ledger_recv_each(struct ledger *l, const char *job, const char *state,
    bdate_t date, int (*fn)(void *ctx, const struct recv_file *f,
    struct xerr *err), void *ctx, struct xerr *err);

/* The newest row of (job, name, sha256) in state (any: NULL). */
int ledger_recv_find(struct ledger *l, const char *job, const char *name,
    const char *sha256, const char *state, struct recv_file *f, int *found,
    struct xerr *err);

int ledger_recv_delete(struct ledger *l, long long id, struct xerr *err);

/*
 * Missing batches (SPEC.md section 7): a receive date whose expected file
 * did not come by its deadline, a send date never sent and older than
 * catch_up.  Which ones are missing is computed from the job and the
 * ledger (missing.c); the ledger remembers which were logged, so each is
 * logged once, and where a job's expectations start.
 */
#define ST_MISSING	"missing"

/* The dates of (job, direction) logged as missing, oldest first. */
int ledger_missing_logged_each(struct ledger *l, const char *job,
    const char *direction, int (*fn)(void *ctx, bdate_t date,
    long long logged, struct xerr *err), void *ctx, struct xerr *err);

/* Note that date was logged as missing at when (a second note keeps the
 * first). */
int ledger_missing_log(struct ledger *l, const char *job,
    const char *direction, bdate_t date, long long when, struct xerr *err);

/* The first batch date a receive job's expect judges; *found = 0: none
 * recorded yet. */
int ledger_expect_since(struct ledger *l, const char *job, bdate_t *since,
    int *found, struct xerr *err);
int ledger_expect_since_put(struct ledger *l, const char *job,
    bdate_t since, struct xerr *err);

/* The job no longer expects files: its start and its logged receive
 * dates go. */
int ledger_expect_forget(struct ledger *l, const char *job,
    struct xerr *err);

/* Each date in [from, to] with an ingested or duplicate file of job,
 * oldest first, with the name of the newest such file. */
int ledger_recv_done_each(struct ledger *l, const char *job, bdate_t from,
    bdate_t to, int (*fn)(void *ctx, bdate_t date, const char *name,
    struct xerr *err), void *ctx, struct xerr *err);

/* Per (job, direction): the logged missing dates that are still missing. */
int ledger_missing_counts_each(struct ledger *l,
    int (*fn)(void *ctx, const char *job, const char *direction,
    long long n, struct xerr *err), void *ctx, struct xerr *err);

/*
 * The failed versions a newer one has superseded: rows of job in state
 * failed or held followed (a higher id: picked up later) by a row in
 * state ingested or duplicate of the same date (by_date: replace-date)
 * or else of the same name.  by is the first such newer row.  The
 * callback may not write to the ledger.
 */
int ledger_recv_superseded_each(struct ledger *l, const char *job,
    int by_date, int (*fn)(void *ctx, const struct recv_file *f,
    const struct recv_file *by, struct xerr *err), void *ctx,
    struct xerr *err);

/* xfer run: the last schedule slot a job ran for (unix time). */
int ledger_run_get(struct ledger *l, const char *job, long long *last_slot,
    int *found, struct xerr *err);
int ledger_run_put(struct ledger *l, const char *job, long long slot,
    long long when, struct xerr *err);

/* One row of `xfer status`. */
struct status_row {
	const char *job;
	const char *date;
	const char *direction;
	const char *state;
	const char *file;
	long long records;	/* -1: unknown */
	long long bytes;	/* -1: unknown */
	int attempts;
	const char *last_error;	/* NULL: none */
	long long updated;
	const char *node;	/* NULL or "": not recorded (one host) */
	long long lease_until;	/* a live claim's expiry (unix time, the
				 * ledger's clock); 0: none */
};

struct status_filter {
	const char *date;		/* NULL: every date */
	int failed_only;		/* failed and held */
	const char *const *jobs;	/* NULL: every job */
	size_t njobs;
};

typedef int (*status_fn)(void *ctx, const struct status_row *row,
    struct xerr *err);

/* Rows ordered by job, date. */
int ledger_status(struct ledger *l, const struct status_filter *f,
    status_fn fn, void *ctx, struct xerr *err);

/*
 * What the metrics (metrics.c) report, per (job, direction) of every job
 * in the ledger.  Strings are valid during the callback only.
 */
struct ledger_job_stats {
	const char *job;
	const char *direction;		/* "send" or "receive" */
	long long last_success;		/* newest sent/ingested/duplicate row
					 * update; 0: never */
	long long last_run;		/* newest attempt or row update */
	long long records;		/* of sent or ingested batches */
	long long bytes;
	long long failures;		/* send: failed attempts recorded;
					 * receive: attempts of failed/held
					 * rows */
};

/* One row per (job, direction), ordered by job, direction. */
int ledger_job_stats_each(struct ledger *l,
    int (*fn)(void *ctx, const struct ledger_job_stats *s, struct xerr *err),
    void *ctx, struct xerr *err);

/* Number of batches (send) or received files (receive) per state, one call
 * per (job, direction, state) present, ordered by them. */
int ledger_state_counts_each(struct ledger *l,
    int (*fn)(void *ctx, const char *job, const char *direction,
    const char *state, long long n, struct xerr *err),
    void *ctx, struct xerr *err);

/*
 * Claims (SPEC.md section 9).  On a shared ledger, work that two hosts
 * could do at once is claimed first: a send batch by (job, date), a remote
 * file by (job, name, size, mtime or etag).  A claim is a lease timed by
 * the ledger's clock (never a host's): it lives lease_s seconds unless
 * renewed, and the ledger renews the claims this process holds on a thread
 * and connection of its own, every lease_s / 3, for as long as the process
 * lives and holds them (a SIGSTOPped or dead process renews nothing).
 * Each claim of a key raises its token; every later update of what the
 * claim covers (ledger_send_put(), ledger_attempt_add() of a send date,
 * ledger_release()) must match the token, and changes 0 rows and fails
 * with XERR_STALE otherwise: the work is another node's now.  Claims are
 * taken in one short transaction, never held across a transfer.
 *
 * On the SQLite ledger (one host, whose job lock keeps a second process
 * off) every claim is granted at once and nothing is stored.
 */
enum claim_kind { CLAIM_SEND, CLAIM_PULL };

enum claim_state {
	CLAIM_OURS,	/* granted: work on it */
	CLAIM_BUSY,	/* another node holds a live lease: skip it */
	CLAIM_DONE,	/* a pull already finished by a node: skip it */
};

struct ledger_claim {
	enum claim_kind kind;
	char job[128];
	char key[512];		/* send: "YYYY-MM-DD"; pull: see
				 * ledger_pull_key() */
	/* Set by ledger_claim(): */
	enum claim_state state;
	long long token;
	char holder[LEDGER_NODE_MAX];	/* BUSY, DONE: that node */
	long long lease_until;	/* BUSY: when its lease ends (unix time) */
};

/* The key of a remote file: "NAME\nSIZE\nSTAMP" (stamp: mtime or etag). */
int ledger_pull_key(char *out, size_t size, const char *name,
    long long bytes, const char *stamp);

/*
 * Claim n keys at once (one transaction): sets each c[i].state, .token,
 * .holder.  A key never claimed, or whose lease has expired (its holder
 * died or stalled), or that this node already holds, is granted.
 */
int ledger_claim(struct ledger *l, struct ledger_claim *c, size_t n,
    struct xerr *err);

/*
 * Give up n claims of this node (one transaction): done (pulls only)
 * marks the key finished for good, so no node claims it again; otherwise
 * its lease ends now and any node may claim it.  A claim taken over
 * meanwhile fails the call with XERR_STALE, naming the node that has it.
 */
int ledger_release(struct ledger *l, struct ledger_claim *c, size_t n,
    int done, struct xerr *err);

/* 1 when this node holds a live claim of (kind, job, key) as far as it
 * knows (the renewing thread has not found it taken over). */
int ledger_claim_held(struct ledger *l, enum claim_kind kind,
    const char *job, const char *key);

#endif
