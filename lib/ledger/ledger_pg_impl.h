/*
 * ledger_pg_impl: what the files of the PostgreSQL ledger share:
 * ledger_pg.c (connection, schema, transactions, send and receive rows),
 * ledger_pg_claim.c (claims) and ledger_pg_report.c (status, statistics,
 * counts, missing batches, superseded and done files).
 */
#ifndef XFER_LEDGER_PG_IMPL_H
#define XFER_LEDGER_PG_IMPL_H

#include <libpq-fe.h>

#include "job.h"
#include "ledger_impl.h"

struct pg_ledger {
	struct ledger base;
	struct job_db db;	/* url, password_file, timeouts for pgconn */
	PGconn *conn;		/* the main connection; NULL: reconnect */
	int conn_fatal;		/* the server ended conn's session */
	int in_tx;		/* between begin and commit/rollback */
	PGconn *renew_conn;	/* the renewing thread's own */
	int renew_fatal;
};

#define PGL(l)	((struct pg_ledger *)(l))

/* A send or receive row's columns in the order send_row()/recv_row()
 * read them. */
#define PGL_RECV_COLS "id, job, name, sha256, date, state, spool," \
	" manifest_sha256, manifest_records, records, bytes, attempts," \
	" transient, last_error, first_seen, created, updated, node"
#define PGL_RECV_COLS_OF(t) t ".id, " t ".job, " t ".name, " t ".sha256, " \
	t ".date, " t ".state, " t ".spool, " t ".manifest_sha256, " \
	t ".manifest_records, " t ".records, " t ".bytes, " t ".attempts, " \
	t ".transient, " t ".last_error, " t ".first_seen, " t ".created, " \
	t ".updated, " t ".node"
#define PGL_RECV_NCOLS	18

/* The database's clock in unix seconds (rows' created and updated). */
#define PGL_NOW	"floor(extract(epoch FROM now()))::bigint"

/*
 * Set err for a failure of what on conn (res may be NULL): "ledger
 * PostgreSQL 'URL': what: MESSAGE", classed by pgconn_class() (a lost
 * connection is XERR_TEMP).  Returns -1.
 */
int pgl_fail(struct ledger *l, PGconn *conn, const PGresult *res,
    const char *what, struct xerr *err);

/*
 * The main connection, ready for a call: opened again when the server
 * ended it since the last call outside a transaction; XERR_TEMP when it
 * was lost inside one.
 */
int pgl_ready(struct ledger *l, struct xerr *err);

/* How long a call waits for the server's answer, in seconds. */
int pgl_call_timeout(const struct ledger *l);

/*
 * Send sql on *connp and read every result, waiting at most timeout_s
 * (a server that stops answering without closing the connection, or a
 * network cut, would keep libpq waiting for ever): then *connp is closed
 * and set to NULL, and the call fails with XERR_TEMP.  n < 0: sql is a
 * simple query (several statements, no parameters); else it has the n
 * text parameters v (NULL: SQL NULL).  With row, each row goes to
 * row(ctx, res) as it comes (libpq's single-row mode); else the last
 * result goes to *out (out may be NULL), which the caller PQclear()s.
 */
int pgl_run(struct ledger *l, PGconn **connp, const char *sql, int n,
    const char *const *v, int timeout_s, const char *what,
    int (*row)(void *ctx, const PGresult *res, struct xerr *err),
    void *ctx, PGresult **out, struct xerr *err);

/*
 * Run sql with n text parameters (NULL: SQL NULL) on the main connection,
 * reconnecting first if it was lost between transactions.  *res (the
 * caller PQclear()s it) holds the rows, or is NULL when res is NULL.
 */
int pgl_query(struct ledger *l, const char *sql, int n,
    const char *const *v, const char *what, PGresult **res,
    struct xerr *err);

/*
 * As pgl_query(), calling row(ctx, res) for each row as it comes (libpq's
 * single-row mode: a result of any size in constant memory); row's -1
 * stops.  The callback may not use the ledger.
 */
int pgl_each(struct ledger *l, const char *sql, int n, const char *const *v,
    const char *what, int (*row)(void *ctx, const PGresult *res,
    struct xerr *err), void *ctx, struct xerr *err);

/* Row 0 of res, column col: text ("" for NULL), integer (dflt for NULL),
 * copied text. */
const char *pgl_text(const PGresult *res, int col);
long long pgl_int(const PGresult *res, int col, long long dflt);
void pgl_copy(char *dst, size_t size, const PGresult *res, int col);

struct buf;
/* Append s to b as an element of a PostgreSQL array literal ("{" before
 * the first; the caller closes it with "}"); -1: out of memory. */
int pgl_array_add(struct buf *b, const char *s);

/* A receive row whose PGL_RECV_COLS start at column off of row 0. */
void pgl_recv_row(const PGresult *res, int off, struct recv_file *f);

/*
 * An update guarded by this node's token of (kind, job, key) changed
 * nothing: XERR_STALE naming who holds the claim now.  Returns -1.
 */
int pgl_stale(struct ledger *l, const char *kind, const char *job,
    const char *key, long long token, struct xerr *err);

/* The claims' ops (ledger_pg_claim.c). */
int pgl_claim(struct ledger *l, struct ledger_claim *c, size_t n,
    struct xerr *err);
int pgl_release(struct ledger *l, struct ledger_claim *c, size_t n,
    int done, struct xerr *err);
int pgl_renew(struct ledger *l, const struct ledger_claim *c, size_t n,
    int *lost, struct xerr *err);

/* The connection of the renewing thread: opened (again) as needed. */
int pgl_renew_conn(struct ledger *l, struct xerr *err);

/* The reports' ops (ledger_pg_report.c). */
int pgl_status(struct ledger *l, const struct status_filter *f,
    status_fn fn, void *ctx, struct xerr *err);
int pgl_job_stats_each(struct ledger *l, int (*fn)(void *,
    const struct ledger_job_stats *, struct xerr *), void *ctx,
    struct xerr *err);
int pgl_state_counts_each(struct ledger *l, int (*fn)(void *,
    const char *, const char *, const char *, long long, struct xerr *),
    void *ctx, struct xerr *err);
int pgl_recv_superseded_each(struct ledger *l, const char *job,
    int by_date, int (*fn)(void *, const struct recv_file *,
    const struct recv_file *, struct xerr *), void *ctx, struct xerr *err);
int pgl_recv_done_each(struct ledger *l, const char *job, bdate_t from,
    bdate_t to, int (*fn)(void *, bdate_t, const char *, struct xerr *),
    void *ctx, struct xerr *err);
int pgl_missing_logged_each(struct ledger *l, const char *job,
    const char *direction, int (*fn)(void *, bdate_t, long long,
    struct xerr *), void *ctx, struct xerr *err);
int pgl_missing_log(struct ledger *l, const char *job,
    const char *direction, bdate_t date, long long when, struct xerr *err);
int pgl_missing_counts_each(struct ledger *l, int (*fn)(void *,
    const char *, const char *, long long, struct xerr *), void *ctx,
    struct xerr *err);
int pgl_expect_since(struct ledger *l, const char *job, bdate_t *since,
    int *found, struct xerr *err);
int pgl_expect_since_put(struct ledger *l, const char *job, bdate_t since,
    struct xerr *err);
int pgl_expect_forget(struct ledger *l, const char *job, struct xerr *err);

#endif
