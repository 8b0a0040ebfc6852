/*
 * pgconn: a PostgreSQL connection for a job's [source] or [ingest]
 * (SPEC.md section 8), shared by source_pg.c and ingest_pg.c, and the
 * classification of PostgreSQL errors.
 *
 * A connection is opened from a struct job_db with PQconnectdbParams:
 * the URL (or service) first, then what xfer decides: the password read
 * from password_file (after the 0600 check; never in argv, the
 * environment or a message), TLS files, connect_timeout, client_encoding
 * UTF8 and application_name xfer.  Each new session then gets the job's
 * statement_timeout and lock_timeout, DateStyle ISO, IntervalStyle
 * iso_8601, bytea_output hex, extra_float_digits 1 (floats exact even
 * where the server's default rounds them) and the job's zone (the
 * process's TZ) as its TimeZone, so that a query's ::date and the
 * offsets of timestamptz values are the job's.
 *
 * Messages name the database by its URL (which never holds a password:
 * job_load() refuses one) or service: "database 'postgresql://xfer@
 * db:5432/shop': ...".
 */
#ifndef XFER_PGCONN_H
#define XFER_PGCONN_H

#include <libpq-fe.h>

#include "dbsession.h"
#include "job.h"
#include "xerr.h"

/*
 * The session's connection, opened on first use (s may be NULL: a
 * connection for the caller alone).  Give it back with pgconn_release().
 */
int pgconn_get(struct dbsession *s, const struct job_db *db, PGconn **conn,
    struct xerr *err);

/*
 * Done with conn for now: without a session it is closed; with one it
 * stays for the next call unless it is broken (PQstatus), or broken is
 * set (a COPY that could not be ended), when it is closed and the
 * session forgets it.
 */
void pgconn_release(struct dbsession *s, PGconn *conn, int broken);

/* "postgresql://..." or "service NAME": how messages name the database. */
const char *pgconn_name(const struct job_db *db);

/*
 * How a caller should react to SQLSTATE state (NULL or "": none, as when
 * the connection was lost): XERR_TEMP for connection trouble (class 08,
 * or no state with conn_ok 0), serialization failure, deadlock, lock
 * timeout, too many connections and other lack of resources (53),
 * read-only transaction (a failover), the server shutting down or
 * starting (57P01-57P03); XERR_PERM for everything else (28:
 * authentication, syntax, permissions, ...).
 */
enum xerr_class pgconn_class(const char *state, int conn_ok);

/* A failed login (libpq gives no SQLSTATE for it), by libpq's message
 * msg: XERR_PERM for authentication, TLS verification, a missing
 * database or user, bad parameters; XERR_TEMP for the rest (refused,
 * timed out, the server starting or shutting down, too many clients). */
enum xerr_class pgconn_connect_class(const char *msg);

/* 1 when state is a row's fault: a data exception (22) or an integrity
 * constraint violation (23). */
int pgconn_is_data_error(const char *state);

/*
 * Set err from a failed result res (may be NULL: then from the
 * connection) of what: "database 'URL': what: MESSAGE (DETAIL)", classed
 * by pgconn_class().  Returns -1.
 */
int pgconn_fail(struct xerr *err, const struct job_db *db, PGconn *conn,
    const PGresult *res, const char *what);

/* The same with label (say "ledger PostgreSQL 'URL'") naming the
 * database. */
int pgconn_fail_as(struct xerr *err, const char *label, PGconn *conn,
    const PGresult *res, const char *what);

/* The server's message of res (or conn's last) on one line into out:
 * "primary (detail)" without "ERROR:" and newlines. */
void pgconn_message(PGconn *conn, const PGresult *res, char *out,
    size_t size);

/* Run sql (no parameters) expecting PGRES_COMMAND_OK (or TUPLES_OK). */
int pgconn_exec(PGconn *conn, const struct job_db *db, const char *sql,
    const char *what, struct xerr *err);

/* check --connect: "server PostgreSQL 15.8" and "TLS TLSv1.3 (cipher)" or
 * "no TLS" through report. */
void pgconn_report(PGconn *conn, check_report_fn report, void *ctx);

#endif
