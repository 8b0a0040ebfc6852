/*
 * send_reconcile: before a send run produces anything, the ledger is
 * made to agree with what this host's spool holds (a run that died
 * between a durable file and its ledger row left one without the other).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "send_internal.h"
#include "spool.h"

struct dates {
	bdate_t *v;
	size_t n, cap;
};

static int
dates_add(struct dates *d, bdate_t x)
{
	bdate_t *v;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		if ((v = realloc(d->v, d->cap * sizeof(*v))) == NULL)
			return -1;
		d->v = v;
	}
	d->v[d->n++] = x;
	return 0;
}

static int
collect_date(void *ctx, const struct send_batch *b, struct xerr *err)
{
	if (dates_add(ctx, b->date) == -1)
		return xerr_nomem(err);
	return 0;
}

/* Out of memory reading a batch.meta says nothing about the batch. */
int
send_meta_nomem(const struct xerr *e)
{
	return e->cls == XERR_NOMEM || e->sys_errno == ENOMEM;
}

int
send_reconcile_date(struct run *r, bdate_t date, struct xerr *err)
{
	char *out = NULL, *sent = NULL, ds[BDATE_STRLEN];
	struct batch_meta m;
	struct send_batch b;
	struct xerr merr;
	int found, rc = -1, have_out, have_sent, k;

	bdate_format(date, ds);
	if (ledger_send_get(r->l, r->job->name, date, &b, &found, err) == -1)
		return -1;
	out = spool_path(r->sp, r->job->name, "out", date);
	sent = spool_path(r->sp, r->job->name, "sent", date);
	if (out == NULL || sent == NULL) {
		xerr_nomem(err);
		goto done;
	}
	have_out = send_is_dir(out);
	have_sent = send_is_dir(sent);
	if (have_out) {
		k = batch_meta_read(out, &m, &merr);
		if (k == -1 && send_meta_nomem(&merr)) {
			*err = merr;
			goto done;
		}
		if (k == -1) {
			/* Only whole directories are renamed into out/, so
			 * this is damage: rebuild the batch from the source. */
			log_event(r->lg, LOG_WARN, r->job->name, ds,
			    "spool-damaged", NULL, "%s; the batch will be "
			    "rebuilt", merr.msg);
			if (send_discard_dir(r, out, err) == -1)
				goto done;
			have_out = 0;
		} else if (found && send_other_node(r, &b) &&
		    (strcmp(b.state, ST_SENT) == 0 ||
		    strcmp(b.sha256, m.sha256) != 0)) {
			/* A fleet: this copy was left by a run of this host
			 * that died or stalled, and another node has moved
			 * the date on since (the ledger row is newer than
			 * anything this host did under its lost claim).  On
			 * one host it would be recovered as produced. */
			log_event(r->lg, LOG_INFO, r->job->name, ds,
			    "stale-copy", NULL, "'%s' in this spool is stale: "
			    "node '%s' %s the date since; discarded", m.file,
			    b.node, strcmp(b.state, ST_SENT) == 0 ? "sent" :
			    "worked on");
			if (send_discard_dir(r, out, err) == -1)
				goto done;
			have_out = 0;
		} else if (!found || strcmp(b.sha256, m.sha256) != 0 ||
		    strcmp(b.state, ST_SENT) == 0) {
			/* The run that produced it died before the ledger
			 * heard of it. */
			send_batch_describe(&b, ST_PRODUCED, &m);
			if (ledger_send_put(r->l, &b, err) == -1)
				goto done;
			log_event(r->lg, LOG_INFO, r->job->name, ds,
			    "recovered", NULL, "found produced batch '%s' "
			    "in the spool", m.file);
			found = 1;
		}
		if (have_sent && send_discard_dir(r, sent, err) == -1)
			goto done;
		have_sent = 0;
	}
	if (!have_out && have_sent && (!found ||
	    strcmp(b.state, ST_SENT) != 0)) {
		/* Only the batch the ledger knows (same bytes) was delivered;
		 * a failed rebuild of a sent date stays failed (it has no
		 * SHA-256).  A failed or held one with these bytes was
		 * delivered and moved before its ledger commit failed. */
		k = batch_meta_read(sent, &m, &merr);
		if (k == -1 && send_meta_nomem(&merr)) {
			*err = merr;
			goto done;
		}
		if (k == 0 && (!found || strcmp(b.sha256, m.sha256) == 0)) {
			/* Delivered and moved, but the ledger missed it. */
			send_batch_describe(&b, ST_SENT, &m);
			if (ledger_send_put(r->l, &b, err) == -1)
				goto done;
			log_event(r->lg, LOG_INFO, r->job->name, ds,
			    "recovered", NULL, "'%s' was delivered before the "
			    "ledger heard of it; recorded as sent", m.file);
			found = 1;
		}
	}
	if (found && !have_out && b.file[0] != '\0' &&
	    strcmp(b.state, ST_SENT) != 0) {
		/* The ledger knows a file the spool lost (or, in a fleet,
		 * that another node built in its own spool): rebuild it. */
		if (send_other_node(r, &b))
			log_event(r->lg, LOG_INFO, r->job->name, ds,
			    "spool-missing", NULL, "'%s' (%s) was built by "
			    "node '%s' and is not in this spool; the batch "
			    "will be rebuilt", b.file, b.state, b.node);
		else
			log_event(r->lg, LOG_WARN, r->job->name, ds,
			    "spool-missing", NULL, "the spool lost '%s'; the "
			    "batch will be rebuilt", b.file);
		b.file[0] = '\0';
		b.sha256[0] = '\0';
		if (ledger_send_put(r->l, &b, err) == -1)
			goto done;
	}
	rc = 0;
done:
	free(out);
	free(sent);
	return rc;
}

static int
cmp_date(const void *a, const void *b)
{
	bdate_t x = *(const bdate_t *)a, y = *(const bdate_t *)b;

	return x < y ? -1 : x > y;
}

/* Add the dates of the job's spool area ("out", "sent") to d. */
static int
spool_area_dates(struct run *r, const char *area, struct dates *d,
    struct xerr *err)
{
	struct dirent *de;
	bdate_t x;
	char *dir;
	DIR *dp;

	if ((dir = spool_path(r->sp, r->job->name, area, -1)) == NULL)
		return xerr_nomem(err);
	if ((dp = opendir(dir)) == NULL && errno != ENOENT) {
		/* A batch it holds would be missed without a word. */
		xerr_set(err, XERR_TEMP, errno, "cannot read '%s'", dir);
		free(dir);
		return -1;
	}
	free(dir);
	if (dp == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL)
		if (bdate_parse(de->d_name, &x) == 0 && dates_add(d, x) == -1) {
			closedir(dp);
			return xerr_nomem(err);
		}
	closedir(dp);
	return 0;
}

/* One host: every date of the ledger and of the spool. */
int
send_reconcile(struct run *r, struct xerr *err)
{
	struct dates d = { 0 };
	size_t i;
	int rc = -1;

	if (spool_clean_tmp(r->sp, r->job->name, err) == -1)
		return -1;
	if (ledger_send_each(r->l, r->job->name, collect_date, &d, err) == -1)
		goto out;
	if (spool_area_dates(r, "out", &d, err) == -1 ||
	    spool_area_dates(r, "sent", &d, err) == -1)
		goto out;
	if (d.n > 1)
		qsort(d.v, d.n, sizeof(*d.v), cmp_date);
	for (i = 0; i < d.n; i++)
		if ((i == 0 || d.v[i] != d.v[i - 1]) &&
		    send_reconcile_date(r, d.v[i], err) == -1)
			goto out;
	rc = 0;
out:
	free(d.v);
	return rc;
}

/*
 * Is a date found only in sent/ already what the ledger says?  Then
 * reconciling it would change nothing, and it need not be claimed.
 */
static int
sent_agrees(struct run *r, bdate_t date, struct xerr *err)
{
	struct send_batch b;
	char *out;
	int found, have_out;

	if ((out = spool_path(r->sp, r->job->name, "out", date)) == NULL)
		return xerr_nomem(err);
	have_out = send_is_dir(out);
	free(out);
	if (have_out)
		return 0;
	if (ledger_send_get(r->l, r->job->name, date, &b, &found, err) == -1)
		return -1;
	return found && strcmp(b.state, ST_SENT) == 0;
}

/*
 * A fleet: the ledger's rows are every host's, so only what this host's
 * spool holds is reconciled here (the dates in out/ and sent/), each
 * under this node's claim, GROUP_MAX dates per claim; a date another node
 * holds is left to it.  The dates the run then works on are reconciled
 * again under their own claims (run_dates()), where a row whose file is
 * in another host's spool is seen.
 */
int
send_reconcile_fleet(struct run *r, struct xerr *err)
{
	struct dates d = { 0 }, todo = { 0 };
	struct ledger_claim *c = NULL;
	size_t i, j, n;
	int k, rc = -1;

	if (spool_clean_tmp(r->sp, r->job->name, err) == -1)
		return -1;
	if (spool_area_dates(r, "out", &d, err) == -1 ||
	    spool_area_dates(r, "sent", &d, err) == -1)
		goto out;
	if (d.n > 1)
		qsort(d.v, d.n, sizeof(*d.v), cmp_date);
	for (i = 0; i < d.n; i++) {
		if (i > 0 && d.v[i] == d.v[i - 1])
			continue;
		if ((k = sent_agrees(r, d.v[i], err)) == -1)
			goto out;
		if (k == 0 && dates_add(&todo, d.v[i]) == -1) {
			xerr_nomem(err);
			goto out;
		}
	}
	if (todo.n > 0 && (c = calloc(todo.n < GROUP_MAX ? todo.n : GROUP_MAX,
	    sizeof(*c))) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	for (i = 0; i < todo.n; i += n) {
		n = todo.n - i < GROUP_MAX ? todo.n - i : GROUP_MAX;
		for (j = 0; j < n; j++)
			send_claim_init(r, &c[j], todo.v[i + j]);
		if (ledger_claim(r->l, c, n, err) == -1)
			goto out;
		for (j = 0; j < n; j++) {
			if (c[j].state != CLAIM_OURS) {
				send_claim_busy(r, &c[j], 0);
				continue;
			}
			if (send_reconcile_date(r, todo.v[i + j], err) == 0)
				continue;
			if (err->cls != XERR_STALE) {
				send_claims_release(r, c, n);
				goto out;
			}
			send_claim_lost(r, todo.v[i + j], err);
			xerr_clear(err);
		}
		send_claims_release(r, c, n);
	}
	rc = 0;
out:
	free(c);
	free(d.v);
	free(todo.v);
	return rc;
}
