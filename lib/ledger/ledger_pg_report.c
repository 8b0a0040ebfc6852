/*
 * ledger_pg_report: the PostgreSQL ledger's reports and bookkeeping:
 * status, job statistics, state counts, missing batches, expectations,
 * superseded and done received files.  The same SQL as ledger_sqlite.c
 * in PostgreSQL's dialect; every report sees the whole fleet, except the
 * superseded rows, which a host looks for among its own (its spool holds
 * them).
 */
#include "ledger_pg_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct status_ctx {
	status_fn fn;
	void *ctx;
};

static int
status_row(void *ctx, const PGresult *res, struct xerr *err)
{
	struct status_ctx *c = ctx;
	struct status_row row;

	memset(&row, 0, sizeof(row));
	row.job = pgl_text(res, 0);
	row.date = pgl_text(res, 1);
	row.direction = pgl_text(res, 2);
	row.state = pgl_text(res, 3);
	row.file = pgl_text(res, 4);
	row.records = pgl_int(res, 5, -1);
	row.bytes = pgl_int(res, 6, -1);
	row.attempts = (int)pgl_int(res, 7, 0);
	row.last_error = pgl_text(res, 8);
	if (row.last_error[0] == '\0')
		row.last_error = NULL;
	row.updated = pgl_int(res, 9, 0);
	row.node = pgl_text(res, 10);
	row.lease_until = pgl_int(res, 11, 0);
	return c->fn(c->ctx, &row, err);
}

int
pgl_status(struct ledger *l, const struct status_filter *f, status_fn fn,
    void *ctx, struct xerr *err)
{
	/* A send row's lease: its live claim's (a node working on it). */
	static const char sql[] = "SELECT job, date, dir, state, file,"
	    " records, bytes, attempts, last_error, updated, node, lease"
	    " FROM ("
	    " SELECT s.job, s.date, 'send' AS dir, s.state, s.file,"
	    "  s.records, s.bytes, s.attempts, s.last_error, s.updated,"
	    "  coalesce(c.node, s.node) AS node,"
	    "  coalesce(floor(extract(epoch FROM c.lease_until))::bigint, 0)"
	    "  AS lease, 0::bigint AS id"
	    "  FROM send_batches s LEFT JOIN claims c ON c.kind = 'send'"
	    "   AND c.job = s.job AND c.key = s.date AND NOT c.done"
	    "   AND c.lease_until > now()"
	    " UNION ALL"
	    /* In flight before its first record: shown as claimed. */
	    " SELECT c.job, c.key, 'send', 'claimed', '', NULL, NULL, 0, '',"
	    "  floor(extract(epoch FROM now()))::bigint, c.node,"
	    "  floor(extract(epoch FROM c.lease_until))::bigint, 0"
	    "  FROM claims c WHERE c.kind = 'send' AND NOT c.done"
	    "  AND c.lease_until > now() AND NOT EXISTS (SELECT 1"
	    "   FROM send_batches s WHERE s.job = c.job AND s.date = c.key)"
	    " UNION ALL"
	    " SELECT job, date, 'receive', state, name, records, bytes,"
	    "  attempts, last_error, updated, node, 0, id"
	    "  FROM receive_files) x"
	    " WHERE ($1::text IS NULL OR date = $1)"
	    " AND ($2::integer = 0 OR state IN ('failed', 'held', 'late'))"
	    " AND ($3::text[] IS NULL OR job = ANY($3))"
	    " ORDER BY job, date, id";
	struct status_ctx c = { fn, ctx };
	const char *v[3];
	struct buf jobs;
	size_t i;
	int rc;

	buf_init(&jobs, 0);
	if (f->jobs != NULL) {
		for (i = 0; i < f->njobs; i++)
			if (pgl_array_add(&jobs, f->jobs[i]) == -1)
				goto nomem;
		if (buf_puts(&jobs, f->njobs == 0 ? "{}" : "}") == -1)
			goto nomem;
	}
	v[0] = f->date;
	v[1] = f->failed_only ? "1" : "0";
	v[2] = f->jobs != NULL ? jobs.data : NULL;
	rc = pgl_each(l, sql, 3, v, "cannot read status", status_row, &c,
	    err);
	buf_release(&jobs);
	return rc;
nomem:
	buf_release(&jobs);
	return xerr_nomem(err);
}

struct stats_ctx {
	int (*fn)(void *, const struct ledger_job_stats *, struct xerr *);
	void *ctx;
};

static int
stats_row(void *ctx, const PGresult *res, struct xerr *err)
{
	struct stats_ctx *c = ctx;
	struct ledger_job_stats s;

	if (PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 1))
		return 0;
	s.job = pgl_text(res, 0);
	s.direction = pgl_text(res, 1);
	s.last_success = pgl_int(res, 2, 0);
	s.last_run = pgl_int(res, 3, 0);
	s.records = pgl_int(res, 4, 0);
	s.bytes = pgl_int(res, 5, 0);
	s.failures = pgl_int(res, 6, 0);
	return c->fn(c->ctx, &s, err);
}

int
pgl_job_stats_each(struct ledger *l, int (*fn)(void *,
    const struct ledger_job_stats *, struct xerr *), void *ctx,
    struct xerr *err)
{
	/* As ledger_sqlite.c's: a send job's failures are its failed
	 * attempts; a receive row counts its own while failed or held. */
	static const char sql[] = "SELECT job, dir, max(succ), max(upd),"
	    " sum(rec), sum(byt), sum(fails) FROM ("
	    " SELECT job, 'send' COLLATE \"C\" AS dir,"
	    "  max(CASE WHEN state = 'sent' THEN updated END) AS succ,"
	    "  max(updated) AS upd,"
	    "  sum(CASE WHEN state = 'sent' THEN coalesce(records, 0)"
	    "   ELSE 0 END) AS rec,"
	    "  sum(CASE WHEN state = 'sent' THEN coalesce(bytes, 0)"
	    "   ELSE 0 END) AS byt,"
	    "  0::bigint AS fails FROM send_batches GROUP BY job"
	    " UNION ALL"
	    " SELECT job, 'receive' COLLATE \"C\","
	    "  max(CASE WHEN state IN ('ingested', 'duplicate')"
	    "   THEN updated END),"
	    "  max(updated),"
	    "  sum(CASE WHEN state = 'ingested' THEN coalesce(records, 0)"
	    "   ELSE 0 END),"
	    "  sum(CASE WHEN state = 'ingested' THEN coalesce(bytes, 0)"
	    "   ELSE 0 END),"
	    "  sum(CASE WHEN state IN ('failed', 'held') THEN attempts"
	    "   ELSE 0 END) FROM receive_files GROUP BY job"
	    " UNION ALL"
	    " SELECT job, direction, NULL, max(time), 0, 0,"
	    "  CASE WHEN direction = 'send' THEN"
	    "   sum(CASE WHEN ok = 0 THEN 1 ELSE 0 END) ELSE 0 END"
	    "  FROM attempts WHERE direction IN ('send', 'receive')"
	    "  GROUP BY job, direction) x"
	    " GROUP BY job, dir ORDER BY job, dir";
	struct stats_ctx c = { fn, ctx };

	return pgl_each(l, sql, 0, NULL, "cannot read job statistics",
	    stats_row, &c, err);
}

struct counts_ctx {
	int (*fn)(void *, const char *, const char *, const char *,
	    long long, struct xerr *);
	void *ctx;
};

static int
counts_row(void *ctx, const PGresult *res, struct xerr *err)
{
	struct counts_ctx *c = ctx;

	return c->fn(c->ctx, pgl_text(res, 0), pgl_text(res, 1),
	    pgl_text(res, 2), pgl_int(res, 3, 0), err);
}

int
pgl_state_counts_each(struct ledger *l, int (*fn)(void *, const char *,
    const char *, const char *, long long, struct xerr *), void *ctx,
    struct xerr *err)
{
	static const char sql[] = "SELECT job, dir, state, n FROM ("
	    " SELECT job, 'send' COLLATE \"C\" AS dir, state, count(*) AS n"
	    "  FROM send_batches GROUP BY job, state"
	    " UNION ALL"
	    " SELECT job, 'receive' COLLATE \"C\", state, count(*)"
	    "  FROM receive_files GROUP BY job, state) x"
	    " ORDER BY job, dir, state";
	struct counts_ctx c = { fn, ctx };

	return pgl_each(l, sql, 0, NULL, "cannot count batches", counts_row,
	    &c, err);
}

struct sup_ctx {
	int (*fn)(void *, const struct recv_file *, const struct recv_file *,
	    struct xerr *);
	void *ctx;
};

static int
sup_row(void *ctx, const PGresult *res, struct xerr *err)
{
	struct sup_ctx *c = ctx;
	struct recv_file f, n;

	pgl_recv_row(res, 0, &f);
	pgl_recv_row(res, PGL_RECV_NCOLS, &n);
	return c->fn(c->ctx, &f, &n, err);
}

int
pgl_recv_superseded_each(struct ledger *l, const char *job, int by_date,
    int (*fn)(void *, const struct recv_file *, const struct recv_file *,
    struct xerr *), void *ctx, struct xerr *err)
{
	/* This node's failed rows; the version that went in after one may
	 * have gone in on any node. */
	static const char sql[] = "SELECT " PGL_RECV_COLS_OF("f") ", "
	    PGL_RECV_COLS_OF("n") " FROM receive_files AS f"
	    " JOIN receive_files AS n ON n.id = (SELECT min(m.id)"
	    "  FROM receive_files AS m WHERE m.job = f.job AND m.id > f.id"
	    "  AND m.state IN ('ingested', 'duplicate')"
	    "  AND (CASE WHEN $2::boolean THEN m.date = f.date"
	    "   ELSE m.name = f.name END))"
	    " WHERE f.job = $1 AND f.node = $3"
	    " AND f.state IN ('failed', 'held')"
	    " ORDER BY f.id";
	struct sup_ctx c = { fn, ctx };
	const char *v[3] = { job, by_date ? "true" : "false", l->node };

	return pgl_each(l, sql, 3, v, "cannot read received files", sup_row,
	    &c, err);
}

struct done_ctx {
	int (*fn)(void *, bdate_t, const char *, struct xerr *);
	void *ctx;
};

static int
done_row(void *ctx, const PGresult *res, struct xerr *err)
{
	struct done_ctx *c = ctx;
	bdate_t d;

	if (bdate_parse(pgl_text(res, 0), &d) == -1)
		return 0;
	return c->fn(c->ctx, d, pgl_text(res, 1), err);
}

int
pgl_recv_done_each(struct ledger *l, const char *job, bdate_t from,
    bdate_t to, int (*fn)(void *, bdate_t, const char *, struct xerr *),
    void *ctx, struct xerr *err)
{
	/* Per date, the name of the newest (highest id) such file. */
	static const char sql[] = "SELECT DISTINCT ON (date) date, name"
	    " FROM receive_files WHERE job = $1 AND date >= $2"
	    " AND date <= $3 AND state IN ('ingested', 'duplicate')"
	    " ORDER BY date, id DESC";
	struct done_ctx c = { fn, ctx };
	char f[BDATE_STRLEN], t[BDATE_STRLEN];
	const char *v[3] = { job, f, t };

	bdate_format(from, f);
	bdate_format(to, t);
	return pgl_each(l, sql, 3, v, "cannot read received files", done_row,
	    &c, err);
}

/* Missing batches (SPEC.md section 7) */

struct logged_ctx {
	int (*fn)(void *, bdate_t, long long, struct xerr *);
	void *ctx;
};

static int
logged_row(void *ctx, const PGresult *res, struct xerr *err)
{
	struct logged_ctx *c = ctx;
	bdate_t d;

	if (bdate_parse(pgl_text(res, 0), &d) == -1)
		return 0;
	return c->fn(c->ctx, d, pgl_int(res, 1, 0), err);
}

int
pgl_missing_logged_each(struct ledger *l, const char *job,
    const char *direction, int (*fn)(void *, bdate_t, long long,
    struct xerr *), void *ctx, struct xerr *err)
{
	static const char sql[] = "SELECT date, logged FROM missing_logged"
	    " WHERE job = $1 AND direction = $2 ORDER BY date";
	struct logged_ctx c = { fn, ctx };
	const char *v[2] = { job, direction };

	return pgl_each(l, sql, 2, v, "cannot read missing batches",
	    logged_row, &c, err);
}

int
pgl_missing_log(struct ledger *l, const char *job, const char *direction,
    bdate_t date, long long when, struct xerr *err)
{
	char ds[BDATE_STRLEN], w[24];
	const char *v[4] = { job, direction, ds, w };

	bdate_format(date, ds);
	snprintf(w, sizeof(w), "%lld", when);
	return pgl_query(l, "INSERT INTO missing_logged (job, direction,"
	    " date, logged) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
	    4, v, "cannot record a missing batch", NULL, err);
}

struct mcount_ctx {
	int (*fn)(void *, const char *, const char *, long long,
	    struct xerr *);
	void *ctx;
};

static int
mcount_row(void *ctx, const PGresult *res, struct xerr *err)
{
	struct mcount_ctx *c = ctx;

	return c->fn(c->ctx, pgl_text(res, 0), pgl_text(res, 1),
	    pgl_int(res, 2, 0), err);
}

int
pgl_missing_counts_each(struct ledger *l, int (*fn)(void *, const char *,
    const char *, long long, struct xerr *), void *ctx, struct xerr *err)
{
	/* Logged and still missing: no batch (send) or no ingested or
	 * duplicate file (receive) for the date since. */
	static const char sql[] = "SELECT m.job, m.direction, count(*)"
	    " FROM missing_logged m WHERE"
	    " (m.direction = 'send' AND NOT EXISTS (SELECT 1 FROM"
	    "  send_batches s WHERE s.job = m.job AND s.date = m.date))"
	    " OR (m.direction = 'receive' AND NOT EXISTS (SELECT 1 FROM"
	    "  receive_files r WHERE r.job = m.job AND r.date = m.date"
	    "  AND r.state IN ('ingested', 'duplicate')))"
	    " GROUP BY m.job, m.direction ORDER BY m.job, m.direction";
	struct mcount_ctx c = { fn, ctx };

	return pgl_each(l, sql, 0, NULL, "cannot count missing batches",
	    mcount_row, &c, err);
}

int
pgl_expect_since(struct ledger *l, const char *job, bdate_t *since,
    int *found, struct xerr *err)
{
	const char *v[1] = { job };
	PGresult *res;

	*found = 0;
	if (pgl_query(l, "SELECT date FROM expect_since WHERE job = $1", 1,
	    v, "cannot read expectations", &res, err) == -1)
		return -1;
	if (PQntuples(res) > 0 && bdate_parse(pgl_text(res, 0), since) == 0)
		*found = 1;
	PQclear(res);
	return 0;
}

int
pgl_expect_since_put(struct ledger *l, const char *job, bdate_t since,
    struct xerr *err)
{
	char ds[BDATE_STRLEN];
	const char *v[2] = { job, ds };

	bdate_format(since, ds);
	return pgl_query(l, "INSERT INTO expect_since (job, date)"
	    " VALUES ($1, $2) ON CONFLICT (job) DO UPDATE"
	    " SET date = excluded.date", 2, v, "cannot record expectations",
	    NULL, err);
}

int
pgl_expect_forget(struct ledger *l, const char *job, struct xerr *err)
{
	const char *v[1] = { job };

	/* Both in one statement: one transaction. */
	return pgl_query(l, "WITH e AS (DELETE FROM expect_since"
	    " WHERE job = $1) DELETE FROM missing_logged WHERE job = $1"
	    " AND direction = 'receive'", 1, v,
	    "cannot update expectations", NULL, err);
}
