/*
 * ledger_impl: what the ledger's backends (ledger_sqlite.c, ledger_pg.c)
 * share with its front (ledger.c), which holds the rules common to both:
 * the claims this process holds, and which backend a URL names.
 *
 * Each backend's handle starts with a struct ledger.  The front checks
 * the claim behind every guarded update and hands the backend its token;
 * the backend's SQL makes the update conditional on it.
 */
#ifndef XFER_LEDGER_IMPL_H
#define XFER_LEDGER_IMPL_H

#include <pthread.h>

#include "ledger.h"

struct ledger_ops {
	const char *name;		/* "SQLite", "PostgreSQL" */
	int shared;			/* a fleet's ledger: claims stored */
	int (*open)(const struct ledger_conf *c, struct ledger **out,
	    struct xerr *err);
	void (*close)(struct ledger *l);
	int (*schema_version)(struct ledger *l, int *v, struct xerr *err);

	int (*begin)(struct ledger *l, struct xerr *err);
	int (*commit)(struct ledger *l, struct xerr *err);
	void (*rollback)(struct ledger *l);

	int (*send_get)(struct ledger *l, const char *job, bdate_t date,
	    struct send_batch *b, int *found, struct xerr *err);
	/* token: this node's claim of (job, date); 0 on an unshared one */
	int (*send_put)(struct ledger *l, struct send_batch *b,
	    long long token, struct xerr *err);
	int (*send_each)(struct ledger *l, const char *job,
	    int (*fn)(void *, const struct send_batch *, struct xerr *),
	    void *ctx, struct xerr *err);
	int (*send_first)(struct ledger *l, const char *job, bdate_t *date,
	    int *found, struct xerr *err);
	int (*attempt_add)(struct ledger *l, const char *job,
	    const char *direction, bdate_t date, const char *error,
	    long long token, struct xerr *err);

	int (*recv_put)(struct ledger *l, struct recv_file *f,
	    struct xerr *err);
	int (*recv_each)(struct ledger *l, const char *job, const char *state,
	    bdate_t date, int (*fn)(void *, const struct recv_file *,
	    struct xerr *), void *ctx, struct xerr *err);
	int (*recv_find)(struct ledger *l, const char *job, const char *name,
	    const char *sha256, const char *state, struct recv_file *f,
	    int *found, struct xerr *err);
	int (*recv_delete)(struct ledger *l, long long id, struct xerr *err);
	int (*recv_superseded_each)(struct ledger *l, const char *job,
	    int by_date, int (*fn)(void *, const struct recv_file *,
	    const struct recv_file *, struct xerr *), void *ctx,
	    struct xerr *err);
	int (*recv_done_each)(struct ledger *l, const char *job, bdate_t from,
	    bdate_t to, int (*fn)(void *, bdate_t, const char *,
	    struct xerr *), void *ctx, struct xerr *err);

	int (*missing_logged_each)(struct ledger *l, const char *job,
	    const char *direction, int (*fn)(void *, bdate_t, long long,
	    struct xerr *), void *ctx, struct xerr *err);
	int (*missing_log)(struct ledger *l, const char *job,
	    const char *direction, bdate_t date, long long when,
	    struct xerr *err);
	int (*missing_counts_each)(struct ledger *l, int (*fn)(void *,
	    const char *, const char *, long long, struct xerr *),
	    void *ctx, struct xerr *err);
	int (*expect_since)(struct ledger *l, const char *job,
	    bdate_t *since, int *found, struct xerr *err);
	int (*expect_since_put)(struct ledger *l, const char *job,
	    bdate_t since, struct xerr *err);
	int (*expect_forget)(struct ledger *l, const char *job,
	    struct xerr *err);

	int (*run_get)(struct ledger *l, const char *job,
	    long long *last_slot, int *found, struct xerr *err);
	int (*run_put)(struct ledger *l, const char *job, long long slot,
	    long long when, struct xerr *err);

	int (*status)(struct ledger *l, const struct status_filter *f,
	    status_fn fn, void *ctx, struct xerr *err);
	int (*job_stats_each)(struct ledger *l, int (*fn)(void *,
	    const struct ledger_job_stats *, struct xerr *), void *ctx,
	    struct xerr *err);
	int (*state_counts_each)(struct ledger *l, int (*fn)(void *,
	    const char *, const char *, const char *, long long,
	    struct xerr *), void *ctx, struct xerr *err);

	/*
	 * Claims (shared backends only; NULL otherwise).  claim sets each
	 * c[i]'s state, token, holder, lease_until in one transaction;
	 * release checks each token (XERR_STALE on a mismatch, naming the
	 * holder) and ends or finishes the claims in one transaction; renew
	 * extends the n held claims' leases from the renewing thread (its own
	 * connection) and clears lost[i] (sets it to 1 for a claim found
	 * taken over).
	 */
	int (*claim)(struct ledger *l, struct ledger_claim *c, size_t n,
	    struct xerr *err);
	int (*release)(struct ledger *l, struct ledger_claim *c, size_t n,
	    int done, struct xerr *err);
	int (*renew)(struct ledger *l, const struct ledger_claim *c,
	    size_t n, int *lost, struct xerr *err);
};

/* One claim this process holds (ledger.c keeps them for the guards). */
struct ledger_held {
	enum claim_kind kind;
	char job[128];
	char key[512];
	long long token;
	int lost;		/* the renewer found it taken over */
};

struct ledger {
	const struct ledger_ops *ops;
	char name[600];			/* ledger_name() */
	char node[LEDGER_NODE_MAX];
	int lease_s;
	/* The claims held; the renewing thread reads them too. */
	pthread_mutex_t held_lock;
	struct ledger_held *held;
	size_t nheld, held_cap;
	/* The renewing thread (shared backends). */
	pthread_t renewer;
	pthread_cond_t renewer_wake;
	int renewer_running, renewer_stop;
};

extern const struct ledger_ops ledger_sqlite_ops;
extern const struct ledger_ops ledger_pg_ops;

/* Set up the front's part of a new handle (backends' open calls it). */
void ledger_base_init(struct ledger *l, const struct ledger_ops *ops,
    const struct ledger_conf *c);

#endif
