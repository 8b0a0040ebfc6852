/*
 * metrics: the ledger as Prometheus text.  See metrics.h.
 *
 * The rows are gathered per (job, direction) first, then printed metric by
 * metric, because the format wants each metric's samples together after
 * its HELP and TYPE lines.  Jobs are few; the whole set fits in memory.
 */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"

#define METRICS_FILE	"metrics.prom"

struct state_count {
	char *state;
	long long n;
};

struct jstat {
	char *job;
	char dir[8];		/* "send" or "receive" */
	long long last_success, last_run, records, bytes, failures;
	long long missing;	/* logged missing dates still missing */
	struct state_count *states;
	size_t nstates;
};

struct mset {
	struct jstat *v;
	size_t n, cap;
};

/* A fleet's ledger: batches per (node, job, direction, state). */
struct ncount {
	char *node, *job, *state;
	char dir[8];
	long long n;
};

struct nset {
	struct ncount *v;
	size_t n, cap;
};

/*
 * Every state a direction can be in is printed, 0 when no batch is in it,
 * so a gauge drops to 0 instead of vanishing (a vanished series keeps its
 * last value in many dashboards and silences alerts on it).
 */
static const char *const send_states[] = {
	ST_PRODUCED, ST_SENT, ST_FAILED, ST_HELD, NULL
};
static const char *const recv_states[] = {
	ST_WAITING, ST_LATE, ST_RECEIVED, ST_INGESTED, ST_DUPLICATE,
	ST_FAILED, ST_HELD, NULL
};

int
metrics_label_escape(struct buf *b, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			if (buf_puts(b, "\\\\") == -1)
				return -1;
			break;
		case '"':
			if (buf_puts(b, "\\\"") == -1)
				return -1;
			break;
		case '\n':
			if (buf_puts(b, "\\n") == -1)
				return -1;
			break;
		default:
			if (buf_putc(b, (unsigned char)*p) == -1)
				return -1;
		}
	}
	return 0;
}

static int
add_state(struct jstat *j, const char *state, long long n)
{
	struct state_count *v;
	size_t i;

	for (i = 0; i < j->nstates; i++) {
		if (strcmp(j->states[i].state, state) == 0) {
			j->states[i].n += n;
			return 0;
		}
	}
	v = reallocarray(j->states, j->nstates + 1, sizeof(*v));
	if (v == NULL)
		return -1;
	j->states = v;
	if ((v[j->nstates].state = strdup(state)) == NULL)
		return -1;
	v[j->nstates].n = n;
	j->nstates++;
	return 0;
}

static struct jstat *
mset_get(struct mset *ms, const char *job, const char *dir)
{
	const char *const *known;
	struct jstat *j, *v;
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (strcmp(ms->v[i].job, job) == 0 &&
		    strcmp(ms->v[i].dir, dir) == 0)
			return &ms->v[i];
	if (ms->n == ms->cap) {
		v = reallocarray(ms->v, ms->cap ? ms->cap * 2 : 16,
		    sizeof(*v));
		if (v == NULL)
			return NULL;
		ms->v = v;
		ms->cap = ms->cap ? ms->cap * 2 : 16;
	}
	j = &ms->v[ms->n];
	memset(j, 0, sizeof(*j));
	if ((j->job = strdup(job)) == NULL)
		return NULL;
	ms->n++;
	snprintf(j->dir, sizeof(j->dir), "%s",
	    strcmp(dir, "send") == 0 ? "send" : "receive");
	known = strcmp(j->dir, "send") == 0 ? send_states : recv_states;
	for (i = 0; known[i] != NULL; i++)
		if (add_state(j, known[i], 0) == -1)
			return NULL;
	return j;
}

static void
mset_release(struct mset *ms)
{
	size_t i, k;

	for (i = 0; i < ms->n; i++) {
		for (k = 0; k < ms->v[i].nstates; k++)
			free(ms->v[i].states[k].state);
		free(ms->v[i].states);
		free(ms->v[i].job);
	}
	free(ms->v);
	memset(ms, 0, sizeof(*ms));
}

static int
on_stats(void *ctx, const struct ledger_job_stats *s, struct xerr *err)
{
	struct jstat *j;

	if ((j = mset_get(ctx, s->job, s->direction)) == NULL)
		return xerr_nomem(err);
	j->last_success = s->last_success;
	j->last_run = s->last_run;
	j->records = s->records;
	j->bytes = s->bytes;
	j->failures = s->failures;
	return 0;
}

static int
on_count(void *ctx, const char *job, const char *dir, const char *state,
    long long n, struct xerr *err)
{
	struct jstat *j;

	if ((j = mset_get(ctx, job, dir)) == NULL || add_state(j, state, n) ==
	    -1)
		return xerr_nomem(err);
	return 0;
}

static int
on_missing(void *ctx, const char *job, const char *dir, long long n,
    struct xerr *err)
{
	struct jstat *j;

	if ((j = mset_get(ctx, job, dir)) == NULL)
		return xerr_nomem(err);
	j->missing = n;
	return 0;
}

/* Bytewise, as SQLite's BINARY collation, so the file is deterministic. */
static int
jstat_cmp(const void *a, const void *b)
{
	const struct jstat *x = a, *y = b;
	int c = strcmp(x->job, y->job);

	return c != 0 ? c : strcmp(x->dir, y->dir);
}

static int
head(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* name{job="J"[,direction="D"[,state="S"]]} value */
static int
sample(struct buf *b, const char *name, const char *job, const char *dir,
    const char *state, long long value)
{
	int rc = 0;

	rc |= buf_printf(b, "%s{job=\"", name);
	rc |= metrics_label_escape(b, job);
	if (dir != NULL) {
		rc |= buf_puts(b, "\",direction=\"");
		rc |= metrics_label_escape(b, dir);
	}
	if (state != NULL) {
		rc |= buf_puts(b, "\",state=\"");
		rc |= metrics_label_escape(b, state);
	}
	rc |= buf_printf(b, "\"} %lld\n", value);
	return rc ? -1 : 0;
}

/* One sample per job: the newest of its directions' times. */
static int
per_job(struct buf *b, const struct mset *ms, const char *name, int success)
{
	size_t i = 0, k;
	long long t;

	while (i < ms->n) {
		t = 0;
		for (k = i; k < ms->n && strcmp(ms->v[k].job, ms->v[i].job) ==
		    0; k++) {
			long long v = success ? ms->v[k].last_success :
			    ms->v[k].last_run;

			if (v > t)
				t = v;
		}
		if (sample(b, name, ms->v[i].job, NULL, NULL, t) == -1)
			return -1;
		i = k;
	}
	return 0;
}

static int
on_status_row(void *ctx, const struct status_row *r, struct xerr *err)
{
	struct nset *ns = ctx;
	const char *node = r->node != NULL ? r->node : "";
	struct ncount *c, *v;
	size_t i;

	for (i = 0; i < ns->n; i++) {
		c = &ns->v[i];
		if (strcmp(c->node, node) == 0 && strcmp(c->job, r->job) == 0 &&
		    strcmp(c->dir, r->direction) == 0 &&
		    strcmp(c->state, r->state) == 0) {
			c->n++;
			return 0;
		}
	}
	if (ns->n == ns->cap) {
		if ((v = reallocarray(ns->v, ns->cap ? ns->cap * 2 : 16,
		    sizeof(*v))) == NULL)
			return xerr_nomem(err);
		ns->v = v;
		ns->cap = ns->cap ? ns->cap * 2 : 16;
	}
	c = &ns->v[ns->n];
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "%s", strcmp(r->direction, "send") ==
	    0 ? "send" : "receive");
	c->n = 1;
	if ((c->node = strdup(node)) == NULL ||
	    (c->job = strdup(r->job)) == NULL ||
	    (c->state = strdup(r->state)) == NULL) {
		free(c->node);
		free(c->job);
		return xerr_nomem(err);
	}
	ns->n++;
	return 0;
}

static void
nset_release(struct nset *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++) {
		free(ns->v[i].node);
		free(ns->v[i].job);
		free(ns->v[i].state);
	}
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

static int
ncount_cmp(const void *a, const void *b)
{
	const struct ncount *x = a, *y = b;
	int c;

	if ((c = strcmp(x->node, y->node)) != 0 ||
	    (c = strcmp(x->job, y->job)) != 0 ||
	    (c = strcmp(x->dir, y->dir)) != 0)
		return c;
	return strcmp(x->state, y->state);
}

/* What the ledger is, and per node of a fleet what it did. */
static int
format_fleet(struct buf *b, const struct nset *ns, const char *backend,
    const char *node, int schema, int shared)
{
	const struct ncount *c;
	size_t i;
	int rc = 0;

	rc |= head(b, "xfer_ledger_info", "gauge",
	    "The ledger this host uses: its backend, this host's node name "
	    "and the schema version (always 1).");
	rc |= buf_puts(b, "xfer_ledger_info{backend=\"");
	rc |= metrics_label_escape(b, backend);
	rc |= buf_puts(b, "\",node=\"");
	rc |= metrics_label_escape(b, node);
	rc |= buf_printf(b, "\",schema=\"%d\"} 1\n", schema);
	if (!shared)
		return rc ? -1 : 0;
	rc |= head(b, "xfer_node_batches", "gauge",
	    "Batches (send) or received files (receive) in the shared ledger "
	    "by the node that wrote them last, and state.");
	for (i = 0; i < ns->n; i++) {
		c = &ns->v[i];
		rc |= buf_puts(b, "xfer_node_batches{node=\"");
		rc |= metrics_label_escape(b, c->node);
		rc |= buf_puts(b, "\",job=\"");
		rc |= metrics_label_escape(b, c->job);
		rc |= buf_printf(b, "\",direction=\"%s\",state=\"", c->dir);
		rc |= metrics_label_escape(b, c->state);
		rc |= buf_printf(b, "\"} %lld\n", c->n);
	}
	return rc ? -1 : 0;
}

static int
format(struct buf *b, const struct mset *ms)
{
	const struct jstat *j;
	size_t i, k;
	int rc = 0;

	rc |= head(b, "xfer_last_success_timestamp_seconds", "gauge",
	    "Unix time of the newest batch sent, ingested or recognised as a "
	    "duplicate (0: never).");
	rc |= per_job(b, ms, "xfer_last_success_timestamp_seconds", 1);
	rc |= head(b, "xfer_last_run_timestamp_seconds", "gauge",
	    "Unix time of the newest attempt or batch update of the job.");
	rc |= per_job(b, ms, "xfer_last_run_timestamp_seconds", 0);
	rc |= head(b, "xfer_batches", "gauge",
	    "Batches (send) or received files (receive) in the ledger by "
	    "state.");
	for (i = 0; i < ms->n; i++) {
		j = &ms->v[i];
		for (k = 0; k < j->nstates; k++)
			rc |= sample(b, "xfer_batches", j->job, j->dir,
			    j->states[k].state, j->states[k].n);
	}
	rc |= head(b, "xfer_missing_batches", "gauge",
	    "Dates missing, as logged by runs: an expected file not in by "
	    "its expect deadline (receive), a date never sent and older than "
	    "catch_up (send).");
	for (i = 0; i < ms->n; i++)
		rc |= sample(b, "xfer_missing_batches", ms->v[i].job,
		    ms->v[i].dir, NULL, ms->v[i].missing);
	rc |= head(b, "xfer_records_total", "counter",
	    "Records in the batches sent or files ingested.");
	for (i = 0; i < ms->n; i++)
		rc |= sample(b, "xfer_records_total", ms->v[i].job,
		    ms->v[i].dir, NULL, ms->v[i].records);
	rc |= head(b, "xfer_bytes_total", "counter",
	    "Bytes of the batches sent or files ingested.");
	for (i = 0; i < ms->n; i++)
		rc |= sample(b, "xfer_bytes_total", ms->v[i].job,
		    ms->v[i].dir, NULL, ms->v[i].bytes);
	rc |= head(b, "xfer_failures_total", "counter",
	    "Failed attempts (receive: attempts of the files now failed or "
	    "held).");
	for (i = 0; i < ms->n; i++)
		rc |= sample(b, "xfer_failures_total", ms->v[i].job,
		    ms->v[i].dir, NULL, ms->v[i].failures);
	return rc ? -1 : 0;
}

static int
format_generated(struct buf *b, time_t now)
{
	int rc = 0;

	rc |= head(b, "xfer_metrics_generated_timestamp_seconds", "gauge",
	    "Unix time this file was written.");
	rc |= buf_printf(b, "xfer_metrics_generated_timestamp_seconds %lld\n",
	    (long long)now);
	return rc ? -1 : 0;
}

int
metrics_format(struct ledger *l, time_t now, struct buf *out,
    struct xerr *err)
{
	struct mset ms = { NULL, 0, 0 };
	struct nset ns = { NULL, 0, 0 };
	struct status_filter every;
	int rc = -1, schema, shared = ledger_is_shared(l);

	memset(&every, 0, sizeof(every));
	if (ledger_job_stats_each(l, on_stats, &ms, err) == -1 ||
	    ledger_state_counts_each(l, on_count, &ms, err) == -1 ||
	    ledger_missing_counts_each(l, on_missing, &ms, err) == -1 ||
	    ledger_schema_version(l, &schema, err) == -1)
		goto fail;
	/* Per node only where rows carry nodes: one host's file stays as
	 * it was but for the info line. */
	if (shared && ledger_status(l, &every, on_status_row, &ns, err) == -1)
		goto fail;
	if (ms.n > 1)
		qsort(ms.v, ms.n, sizeof(ms.v[0]), jstat_cmp);
	if (ns.n > 1)
		qsort(ns.v, ns.n, sizeof(ns.v[0]), ncount_cmp);
	if (format(out, &ms) == -1 || format_fleet(out, &ns,
	    ledger_backend(l), ledger_node(l), schema, shared) == -1 ||
	    format_generated(out, now) == -1) {
		if (errno == E2BIG)
			xerr_set(err, XERR_PERM, 0, "metrics: too many series");
		else
			xerr_nomem(err);
		goto fail;
	}
	rc = 0;
fail:
	mset_release(&ms);
	nset_release(&ns);
	return rc;
}

int
metrics_write(struct ledger *l, const char *spool_root, time_t now,
    struct xerr *err)
{
	struct buf b;
	int rc = -1;

	buf_init(&b, 0);
	if (metrics_format(l, now, &b, err) == -1)
		goto fail;
	/* 0644: node_exporter usually runs as another user. */
	if (write_file_durable(spool_root, METRICS_FILE, b.data, b.len, 0644,
	    err) == -1) {
		xerr_prefix(err, "cannot write '%s/%s'", spool_root,
		    METRICS_FILE);
		goto fail;
	}
	rc = 0;
fail:
	buf_release(&b);
	return rc;
}
