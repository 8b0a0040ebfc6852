/*
 * ledger: the front of the ledger family.  Chooses the backend a URL
 * names, keeps the claims this process holds (the guards of a shared
 * ledger's updates read them), renews them on a thread of their own, and
 * hands every other call to the backend.
 */
#include "ledger_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
ledger_base_init(struct ledger *l, const struct ledger_ops *ops,
    const struct ledger_conf *c)
{
	l->ops = ops;
	snprintf(l->node, sizeof(l->node), "%s", c->node ? c->node : "");
	l->lease_s = c->lease_s > 0 ? c->lease_s : LEDGER_LEASE_DEFAULT;
	if (c->url != NULL && c->url[0] != '\0')
		snprintf(l->name, sizeof(l->name), "%s '%s'", ops->name,
		    c->url);
	else
		snprintf(l->name, sizeof(l->name), "%s '%s'", ops->name,
		    c->path ? c->path : "");
	pthread_mutex_init(&l->held_lock, NULL);
	pthread_cond_init(&l->renewer_wake, NULL);
}

static int
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

int
ledger_connect(const struct ledger_conf *conf, struct ledger **out,
    struct xerr *err)
{
	const struct ledger_ops *ops;

	*out = NULL;
	if (conf->url == NULL || conf->url[0] == '\0')
		ops = &ledger_sqlite_ops;
	else if (has_prefix(conf->url, "postgresql://") ||
	    has_prefix(conf->url, "postgres://"))
		ops = &ledger_pg_ops;
	else
		return xerr_set(err, XERR_CONFIG, 0, "ledger url '%s': "
		    "expected postgresql://... (or no url: the SQLite "
		    "ledger in the spool)", conf->url);
	return ops->open(conf, out, err);
}

int
ledger_open(const char *path, struct ledger **out, struct xerr *err)
{
	struct ledger_conf c;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.node = "";
	return ledger_connect(&c, out, err);
}

static void renewer_stop(struct ledger *l);

/* The first n held claims as claims, for the backend (under held_lock
 * where the renewer may run). */
static void
held_copy(const struct ledger *l, struct ledger_claim *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		c[i].kind = l->held[i].kind;
		memcpy(c[i].job, l->held[i].job, sizeof(c[i].job));
		memcpy(c[i].key, l->held[i].key, sizeof(c[i].key));
		c[i].token = l->held[i].token;
	}
}

void
ledger_close(struct ledger *l)
{
	struct ledger_claim *c;
	struct xerr e;
	size_t n;

	if (l == NULL)
		return;
	renewer_stop(l);
	/* Claims still held end now: a run that stopped early leaves no
	 * lease for the fleet to wait out. */
	n = l->nheld;
	if (n > 0 && l->ops->release != NULL &&
	    (c = calloc(n, sizeof(*c))) != NULL) {
		held_copy(l, c, n);
		(void)l->ops->release(l, c, n, 0, &e);
		free(c);
	}
	free(l->held);
	pthread_cond_destroy(&l->renewer_wake);
	pthread_mutex_destroy(&l->held_lock);
	l->ops->close(l);
}

const char *
ledger_name(const struct ledger *l)
{
	return l->name;
}

int
ledger_is_shared(const struct ledger *l)
{
	return l->ops->shared;
}

const char *
ledger_node(const struct ledger *l)
{
	return l->node;
}

int
ledger_schema_version(struct ledger *l, int *version, struct xerr *err)
{
	return l->ops->schema_version(l, version, err);
}

int
ledger_begin(struct ledger *l, struct xerr *err)
{
	return l->ops->begin(l, err);
}

int
ledger_commit(struct ledger *l, struct xerr *err)
{
	return l->ops->commit(l, err);
}

void
ledger_rollback(struct ledger *l)
{
	l->ops->rollback(l);
}

/* Claims */

/* The held claim of (kind, job, key), or NULL; under held_lock. */
static struct ledger_held *
held_find(struct ledger *l, enum claim_kind kind, const char *job,
    const char *key)
{
	size_t i;

	for (i = 0; i < l->nheld; i++)
		if (l->held[i].kind == kind &&
		    strcmp(l->held[i].job, job) == 0 &&
		    strcmp(l->held[i].key, key) == 0)
			return &l->held[i];
	return NULL;
}

/*
 * The token an update of (kind, job, key) must carry: 0 on an unshared
 * ledger; an error when this node does not hold the claim (a caller that
 * forgot to claim) or lost it.
 */
static int
held_token(struct ledger *l, enum claim_kind kind, const char *job,
    const char *key, long long *token, struct xerr *err)
{
	struct ledger_held *h;
	int lost = 0, found = 0;

	*token = 0;
	if (!l->ops->shared)
		return 0;
	pthread_mutex_lock(&l->held_lock);
	if ((h = held_find(l, kind, job, key)) != NULL) {
		found = 1;
		lost = h->lost;
		*token = h->token;
	}
	pthread_mutex_unlock(&l->held_lock);
	if (!found)
		return xerr_set(err, XERR_PERM, 0, "ledger %s: %s %s: not "
		    "claimed by node '%s'", l->name, job, key, l->node);
	if (lost)
		return xerr_set(err, XERR_STALE, 0, "ledger %s: %s %s: the "
		    "claim of node '%s' (token %lld) was taken over; this "
		    "node stops", l->name, job, key, l->node, *token);
	return 0;
}

static void
held_forget(struct ledger *l, const struct ledger_claim *c, size_t n)
{
	struct ledger_held *h;
	size_t i;

	pthread_mutex_lock(&l->held_lock);
	for (i = 0; i < n; i++)
		if ((h = held_find(l, c[i].kind, c[i].job, c[i].key)) !=
		    NULL)
			*h = l->held[--l->nheld];
	pthread_mutex_unlock(&l->held_lock);
}

static void *
renewer_main(void *arg)
{
	struct ledger *l = arg;
	struct ledger_claim *c = NULL;
	struct timespec until;
	struct xerr e;
	size_t i, n;
	int *lost = NULL;

	pthread_mutex_lock(&l->held_lock);
	while (!l->renewer_stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += l->lease_s / 3 > 0 ? l->lease_s / 3 : 1;
		while (!l->renewer_stop && pthread_cond_timedwait(
		    &l->renewer_wake, &l->held_lock, &until) != ETIMEDOUT)
			;
		if (l->renewer_stop || (n = l->nheld) == 0)
			continue;
		free(c);
		free(lost);
		c = calloc(n, sizeof(*c));
		lost = calloc(n, sizeof(*lost));
		if (c == NULL || lost == NULL)
			continue;
		held_copy(l, c, n);
		/* The round trip runs unlocked: the work goes on. */
		pthread_mutex_unlock(&l->held_lock);
		if (l->ops->renew(l, c, n, lost, &e) == -1)
			memset(lost, 0, n * sizeof(*lost));
		pthread_mutex_lock(&l->held_lock);
		for (i = 0; i < n; i++) {
			struct ledger_held *h;

			if (lost[i] && (h = held_find(l, c[i].kind, c[i].job,
			    c[i].key)) != NULL && h->token == c[i].token)
				h->lost = 1;
		}
	}
	pthread_mutex_unlock(&l->held_lock);
	free(c);
	free(lost);
	return NULL;
}

/* Under held_lock. */
static int
renewer_start(struct ledger *l, struct xerr *err)
{
	int rc;

	if (l->renewer_running || l->ops->renew == NULL)
		return 0;
	l->renewer_stop = 0;
	if ((rc = pthread_create(&l->renewer, NULL, renewer_main, l)) != 0)
		return xerr_set(err, XERR_TEMP, rc, "ledger %s: cannot start "
		    "the thread that renews claims", l->name);
	l->renewer_running = 1;
	return 0;
}

static void
renewer_stop(struct ledger *l)
{
	pthread_mutex_lock(&l->held_lock);
	if (!l->renewer_running) {
		pthread_mutex_unlock(&l->held_lock);
		return;
	}
	l->renewer_stop = 1;
	pthread_cond_signal(&l->renewer_wake);
	pthread_mutex_unlock(&l->held_lock);
	pthread_join(l->renewer, NULL);
	l->renewer_running = 0;
}

int
ledger_pull_key(char *out, size_t size, const char *name, long long bytes,
    const char *stamp)
{
	int n = snprintf(out, size, "%s\n%lld\n%s", name, bytes,
	    stamp ? stamp : "");

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
ledger_claim(struct ledger *l, struct ledger_claim *c, size_t n,
    struct xerr *err)
{
	struct ledger_held *h, *grown;
	size_t i, cap;
	int rc = 0;

	if (!l->ops->shared) {
		for (i = 0; i < n; i++) {
			c[i].state = CLAIM_OURS;
			c[i].token = 0;
			c[i].holder[0] = '\0';
			c[i].lease_until = 0;
		}
		return 0;
	}
	if (l->ops->claim(l, c, n, err) == -1)
		return -1;
	pthread_mutex_lock(&l->held_lock);
	for (i = 0; i < n && rc == 0; i++) {
		if (c[i].state != CLAIM_OURS)
			continue;
		if ((h = held_find(l, c[i].kind, c[i].job, c[i].key)) ==
		    NULL) {
			if (l->nheld == l->held_cap) {
				cap = l->held_cap ? l->held_cap * 2 : 16;
				if ((grown = reallocarray(l->held, cap,
				    sizeof(*grown))) == NULL) {
					rc = xerr_nomem(err);
					break;
				}
				l->held = grown;
				l->held_cap = cap;
			}
			h = &l->held[l->nheld++];
			memset(h, 0, sizeof(*h));
			h->kind = c[i].kind;
			memcpy(h->job, c[i].job, sizeof(h->job));
			memcpy(h->key, c[i].key, sizeof(h->key));
		}
		h->token = c[i].token;
		h->lost = 0;
	}
	if (rc == 0)
		rc = renewer_start(l, err);
	pthread_mutex_unlock(&l->held_lock);
	/* Claims granted but not remembered would block the fleet for a
	 * lease: give them back. */
	if (rc == -1)
		(void)ledger_release(l, c, n, 0, &(struct xerr){ 0 });
	return rc;
}

int
ledger_release(struct ledger *l, struct ledger_claim *c, size_t n, int done,
    struct xerr *err)
{
	struct ledger_claim *mine;
	struct ledger_held *h;
	size_t i, k = 0;
	int rc;

	if (!l->ops->shared || n == 0)
		return 0;
	/* Only what this node holds, with the token it holds. */
	if ((mine = calloc(n, sizeof(*mine))) == NULL)
		return xerr_nomem(err);
	pthread_mutex_lock(&l->held_lock);
	for (i = 0; i < n; i++)
		if ((h = held_find(l, c[i].kind, c[i].job, c[i].key)) !=
		    NULL) {
			mine[k] = c[i];
			mine[k++].token = h->token;
		}
	pthread_mutex_unlock(&l->held_lock);
	rc = k == 0 ? 0 : l->ops->release(l, mine, k, done, err);
	/* A failure other than a takeover leaves the claims to expire. */
	if (rc == 0 || err->cls == XERR_STALE)
		held_forget(l, mine, k);
	free(mine);
	return rc;
}

int
ledger_claim_held(struct ledger *l, enum claim_kind kind, const char *job,
    const char *key)
{
	struct ledger_held *h;
	int held;

	if (!l->ops->shared)
		return 1;
	pthread_mutex_lock(&l->held_lock);
	h = held_find(l, kind, job, key);
	held = h != NULL && !h->lost;
	pthread_mutex_unlock(&l->held_lock);
	return held;
}

/* Guarded updates */

int
ledger_send_put(struct ledger *l, struct send_batch *b, struct xerr *err)
{
	char ds[BDATE_STRLEN];
	long long token;

	bdate_format(b->date, ds);
	if (held_token(l, CLAIM_SEND, b->job, ds, &token, err) == -1)
		return -1;
	snprintf(b->node, sizeof(b->node), "%s", l->node);
	return l->ops->send_put(l, b, token, err);
}

int
ledger_attempt_add(struct ledger *l, const char *job, const char *direction,
    bdate_t date, const char *error, struct xerr *err)
{
	char ds[BDATE_STRLEN];
	long long token = 0;

	bdate_format(date, ds);
	if (strcmp(direction, "send") == 0 &&
	    held_token(l, CLAIM_SEND, job, ds, &token, err) == -1)
		return -1;
	return l->ops->attempt_add(l, job, direction, date, error, token,
	    err);
}

int
ledger_recv_put(struct ledger *l, struct recv_file *f, struct xerr *err)
{
	snprintf(f->node, sizeof(f->node), "%s", l->node);
	return l->ops->recv_put(l, f, err);
}

/* Everything else goes straight to the backend. */

int
ledger_send_get(struct ledger *l, const char *job, bdate_t date,
    struct send_batch *b, int *found, struct xerr *err)
{
	return l->ops->send_get(l, job, date, b, found, err);
}

int
ledger_send_each(struct ledger *l, const char *job,
    int (*fn)(void *ctx, const struct send_batch *b, struct xerr *err),
    void *ctx, struct xerr *err)
{
	return l->ops->send_each(l, job, fn, ctx, err);
}

int
ledger_send_first(struct ledger *l, const char *job, bdate_t *date,
    int *found, struct xerr *err)
{
	return l->ops->send_first(l, job, date, found, err);
}

int
ledger_recv_each(struct ledger *l, const char *job, const char *state,
    bdate_t date, int (*fn)(void *ctx, const struct recv_file *f,
    struct xerr *err), void *ctx, struct xerr *err)
{
	return l->ops->recv_each(l, job, state, date, fn, ctx, err);
}

int
ledger_recv_find(struct ledger *l, const char *job, const char *name,
    const char *sha256, const char *state, struct recv_file *f, int *found,
    struct xerr *err)
{
	return l->ops->recv_find(l, job, name, sha256, state, f, found, err);
}

int
ledger_recv_delete(struct ledger *l, long long id, struct xerr *err)
{
	return l->ops->recv_delete(l, id, err);
}

int
ledger_recv_superseded_each(struct ledger *l, const char *job, int by_date,
    int (*fn)(void *ctx, const struct recv_file *f,
    const struct recv_file *by, struct xerr *err), void *ctx,
    struct xerr *err)
{
	return l->ops->recv_superseded_each(l, job, by_date, fn, ctx, err);
}

int
ledger_recv_done_each(struct ledger *l, const char *job, bdate_t from,
    bdate_t to, int (*fn)(void *ctx, bdate_t date, const char *name,
    struct xerr *err), void *ctx, struct xerr *err)
{
	return l->ops->recv_done_each(l, job, from, to, fn, ctx, err);
}

int
ledger_missing_logged_each(struct ledger *l, const char *job,
    const char *direction, int (*fn)(void *ctx, bdate_t date,
    long long logged, struct xerr *err), void *ctx, struct xerr *err)
{
	return l->ops->missing_logged_each(l, job, direction, fn, ctx, err);
}

int
ledger_missing_log(struct ledger *l, const char *job, const char *direction,
    bdate_t date, long long when, struct xerr *err)
{
	return l->ops->missing_log(l, job, direction, date, when, err);
}

int
ledger_missing_counts_each(struct ledger *l,
    int (*fn)(void *ctx, const char *job, const char *direction,
    long long n, struct xerr *err), void *ctx, struct xerr *err)
{
	return l->ops->missing_counts_each(l, fn, ctx, err);
}

int
ledger_expect_since(struct ledger *l, const char *job, bdate_t *since,
    int *found, struct xerr *err)
{
	return l->ops->expect_since(l, job, since, found, err);
}

int
ledger_expect_since_put(struct ledger *l, const char *job, bdate_t since,
    struct xerr *err)
{
	return l->ops->expect_since_put(l, job, since, err);
}

int
ledger_expect_forget(struct ledger *l, const char *job, struct xerr *err)
{
	return l->ops->expect_forget(l, job, err);
}

int
ledger_run_get(struct ledger *l, const char *job, long long *last_slot,
    int *found, struct xerr *err)
{
	return l->ops->run_get(l, job, last_slot, found, err);
}

int
ledger_run_put(struct ledger *l, const char *job, long long slot,
    long long when, struct xerr *err)
{
	return l->ops->run_put(l, job, slot, when, err);
}

int
ledger_status(struct ledger *l, const struct status_filter *f, status_fn fn,
    void *ctx, struct xerr *err)
{
	return l->ops->status(l, f, fn, ctx, err);
}

int
ledger_job_stats_each(struct ledger *l,
    int (*fn)(void *ctx, const struct ledger_job_stats *s, struct xerr *err),
    void *ctx, struct xerr *err)
{
	return l->ops->job_stats_each(l, fn, ctx, err);
}

int
ledger_state_counts_each(struct ledger *l,
    int (*fn)(void *ctx, const char *job, const char *direction,
    const char *state, long long n, struct xerr *err),
    void *ctx, struct xerr *err)
{
	return l->ops->state_counts_each(l, fn, ctx, err);
}

const char *
ledger_backend(const struct ledger *l)
{
	return l->ops->name;
}
