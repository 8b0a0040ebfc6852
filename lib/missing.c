#include "missing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobdate.h"
#include "pattern.h"
#include "tz.h"

/* Receive dates judged at most, newest first: ten years. */
#define MAX_DAYS	3660
/* Days back from the current date to the newest one already due. */
#define MAX_LOOKBACK	40

int
missing_deadline(const struct job *job, bdate_t d, time_t *out,
    struct xerr *err)
{
	bdate_t day;

	if (jobdate_due_day(job, d, &day, err) == -1)
		return -1;
	*out = tz_wall_time(day, job->inbox.expect_min);
	return 0;
}

int
missing_due_date(const struct job *job, time_t now, bdate_t *out,
    struct xerr *err)
{
	time_t deadline;
	bdate_t d;
	int i, k;

	if (jobdate_current(job, now, &d, err) == -1)
		return -1;
	/* Today's deadline may be ahead; an earlier date's has passed then
	 * (a batch date's due day is after the one before it's). */
	for (i = 0; i < MAX_LOOKBACK; i++, d--) {
		if ((k = jobdate_is_batch(job, d, err)) == -1)
			return -1;
		if (k == 0)
			continue;
		if (missing_deadline(job, d, &deadline, err) == -1)
			return -1;
		if (deadline <= now)
			break;
	}
	*out = d;
	return 0;
}

/* One flag pair per date of [lo, lo + n). */
struct span {
	bdate_t lo;
	size_t n;
	unsigned char *have;	/* receive: a file is in; send: a batch */
	unsigned char *logged;
};

static int
span_init(struct span *s, bdate_t lo, bdate_t hi, struct xerr *err)
{
	s->lo = lo;
	s->n = (size_t)(hi - lo + 1);
	s->have = calloc(s->n, 1);
	s->logged = calloc(s->n, 1);
	if (s->have == NULL || s->logged == NULL) {
		free(s->have);
		free(s->logged);
		s->have = s->logged = NULL;
		return xerr_nomem(err);
	}
	return 0;
}

static void
span_release(struct span *s)
{
	free(s->have);
	free(s->logged);
}

static int
span_in(const struct span *s, bdate_t d)
{
	return d >= s->lo && (size_t)(d - s->lo) < s->n;
}

static int
mark_done(void *ctx, bdate_t d, const char *name, struct xerr *err)
{
	struct span *s = ctx;

	(void)name;
	(void)err;
	if (span_in(s, d))
		s->have[d - s->lo] = 1;
	return 0;
}

static int
mark_batch(void *ctx, const struct send_batch *b, struct xerr *err)
{
	struct span *s = ctx;

	(void)err;
	if (span_in(s, b->date))
		s->have[b->date - s->lo] = 1;
	return 0;
}

static int
mark_logged(void *ctx, bdate_t d, long long when, struct xerr *err)
{
	struct span *s = ctx;

	(void)when;
	(void)err;
	if (span_in(s, d))
		s->logged[d - s->lo] = 1;
	return 0;
}

static int
recv_each(struct ledger *l, const struct job *job, time_t now,
    int (*fn)(void *, const struct missing *, struct xerr *), void *ctx,
    struct xerr *err)
{
	struct missing m;
	struct span s;
	bdate_t due, since, d;
	int found = 0, rc = -1, k;

	if (missing_due_date(job, now, &due, err) == -1)
		return -1;
	since = due;
	if (l != NULL && ledger_expect_since(l, job->name, &since, &found,
	    err) == -1)
		return -1;
	if (!found)
		since = due;
	if (since > due)
		return 0;
	if (due - since >= MAX_DAYS)
		since = due - MAX_DAYS + 1;
	if (span_init(&s, since, due, err) == -1)
		return -1;
	if (l != NULL && (ledger_recv_done_each(l, job->name, since, due,
	    mark_done, &s, err) == -1 || ledger_missing_logged_each(l,
	    job->name, "receive", mark_logged, &s, err) == -1))
		goto out;
	for (d = since; d <= due; d++) {
		if (s.have[d - since])
			continue;
		if ((k = jobdate_is_batch(job, d, err)) == -1)
			goto out;
		if (k == 0)
			continue;	/* no batch that day */
		m.from = m.to = d;
		if (missing_deadline(job, d, &m.deadline, err) == -1)
			goto out;
		m.logged = s.logged[d - since];
		if (fn(ctx, &m, err) == -1)
			goto out;
	}
	rc = 0;
out:
	span_release(&s);
	return rc;
}

static int
send_each(struct ledger *l, const struct job *job, time_t now,
    int (*fn)(void *, const struct missing *, struct xerr *), void *ctx,
    struct xerr *err)
{
	struct missing m;
	struct span s;
	bdate_t first, lo, d, e;
	size_t i;
	int found, rc = -1, k;

	if (l == NULL || ledger_send_first(l, job->name, &first, &found,
	    err) == -1)
		return l == NULL ? 0 : -1;
	/* Catch-up covers [current - catch_up, current] (sendjob.c). */
	if (jobdate_current(job, now, &lo, err) == -1)
		return -1;
	lo -= job->catch_up_days;
	if (!found || first >= lo)
		return 0;
	if (span_init(&s, first, lo - 1, err) == -1)
		return -1;
	if (ledger_send_each(l, job->name, mark_batch, &s, err) == -1 ||
	    ledger_missing_logged_each(l, job->name, "send", mark_logged, &s,
	    err) == -1)
		goto out;
	/* Days that are no batch date have no batch to miss. */
	for (d = first; d < lo; d++) {
		if (s.have[d - first])
			continue;
		if ((k = jobdate_is_batch(job, d, err)) == -1)
			goto out;
		if (k == 0)
			s.have[d - first] = s.logged[d - first] = 1;
	}
	for (d = first; d < lo; d = e + 1) {
		e = d;
		if (s.have[d - first])
			continue;
		while (e + 1 < lo && !s.have[e + 1 - first])
			e++;
		memset(&m, 0, sizeof(m));
		m.from = d;
		m.to = e;
		m.logged = 1;
		for (i = (size_t)(d - first); i <= (size_t)(e - first); i++)
			if (!s.logged[i])
				m.logged = 0;
		if (fn(ctx, &m, err) == -1)
			goto out;
	}
	rc = 0;
out:
	span_release(&s);
	return rc;
}

int
missing_each(struct ledger *l, const struct job *job, time_t now,
    int (*fn)(void *ctx, const struct missing *m, struct xerr *err),
    void *ctx, struct xerr *err)
{
	if (tz_use(job->timezone, err) == -1)
		return -1;
	if (job->direction == DIR_RECEIVE)
		return job->inbox.expect_min < 0 ? 0 :
		    recv_each(l, job, now, fn, ctx, err);
	return send_each(l, job, now, fn, ctx, err);
}

static void
hhmm(int minute, char out[8])
{
	snprintf(out, 8, "%02d:%02d", minute / 60 % 24, minute % 60);
}

/* "xfer send --date A JOB" or "xfer send --from A --to B JOB" */
static void
send_command(const struct job *job, const struct missing *m, char *out,
    size_t size)
{
	char a[BDATE_STRLEN], b[BDATE_STRLEN];

	bdate_format(m->from, a);
	bdate_format(m->to, b);
	if (m->from == m->to)
		snprintf(out, size, "xfer send --date %s %s", a, job->name);
	else
		snprintf(out, size, "xfer send --from %s --to %s %s", a, b,
		    job->name);
}

void
missing_describe(const struct job *job, const struct missing *m, char *out,
    size_t size)
{
	char t[8], iso[64], cmd[300];

	if (job->direction == DIR_RECEIVE) {
		hhmm(job->inbox.expect_min, t);
		tz_format_iso(m->deadline, iso, sizeof(iso));
		snprintf(out, size, "no file came by expect %s (%s)", t, iso);
		return;
	}
	send_command(job, m, cmd, sizeof(cmd));
	snprintf(out, size, "never sent and older than catch_up (%dd): %s",
	    job->catch_up_days, cmd);
}

/* --- receive runs ----------------------------------------------------- */

struct mlist {
	struct missing *v;
	size_t n, cap;
};

static int
mlist_add(void *ctx, const struct missing *m, struct xerr *err)
{
	struct mlist *ml = ctx;
	struct missing *v;

	if (ml->n == ml->cap) {
		if ((v = reallocarray(ml->v, ml->cap ? ml->cap * 2 : 8,
		    sizeof(*v))) == NULL)
			return xerr_nomem(err);
		ml->v = v;
		ml->cap = ml->cap ? ml->cap * 2 : 8;
	}
	ml->v[ml->n++] = *m;
	return 0;
}

/*
 * Only dates already reported missing: a file of one of them that comes
 * now is late.  One the pick-up finds for a date no run has reported is
 * not called late, as it may have waited in the inbox since before its
 * deadline for a run to come.
 */
static int
add_date(void *ctx, const struct missing *m, struct xerr *err)
{
	struct missing_dates *d = ctx;
	bdate_t *v;

	if (!m->logged)
		return 0;
	/* Grown one at a time: a handful of dates at most, as a rule. */
	if ((v = reallocarray(d->v, d->n + 1, sizeof(*v))) == NULL)
		return xerr_nomem(err);
	d->v = v;
	d->v[d->n++] = m->from;
	return 0;
}

void
missing_dates_free(struct missing_dates *d)
{
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

int
missing_recv_begin(struct ledger *l, const struct job *job, time_t now,
    struct missing_dates *before, struct xerr *err)
{
	bdate_t since;
	int found;

	before->v = NULL;
	before->n = 0;
	/* Without expect nothing is missing: what an earlier expect left
	 * goes, so one added again later starts afresh. */
	if (ledger_expect_since(l, job->name, &since, &found, err) == -1)
		return -1;
	if (job->inbox.expect_min < 0)
		return found ? ledger_expect_forget(l, job->name, err) : 0;
	if (!found && (missing_due_date(job, now, &since, err) == -1 ||
	    ledger_expect_since_put(l, job->name, since, err) == -1))
		return -1;
	if (missing_each(l, job, now, add_date, before, err) == -1) {
		missing_dates_free(before);
		return -1;
	}
	return 0;
}

static int
last_name(void *ctx, bdate_t d, const char *name, struct xerr *err)
{
	(void)d;
	(void)err;
	snprintf(ctx, 256, "%s", name);
	return 0;
}

/* "3h12m", "2d4h", "45m", "20s": how late, to the minute. */
static void
span_text(long long secs, char *out, size_t size)
{
	long long d = secs / 86400, h = secs % 86400 / 3600,
	    m = secs % 3600 / 60;

	if (secs < 60)
		snprintf(out, size, "%llds", secs < 0 ? 0 : secs);
	else if (d > 0 && h > 0)
		snprintf(out, size, "%lldd%lldh", d, h);
	else if (d > 0)
		snprintf(out, size, "%lldd", d);
	else if (h > 0 && m > 0)
		snprintf(out, size, "%lldh%lldm", h, m);
	else if (h > 0)
		snprintf(out, size, "%lldh", h);
	else
		snprintf(out, size, "%lldm", m);
}

static void
log_missing(struct ledger *l, const struct job *job, time_t now,
    const struct missing *m, const struct log *lg)
{
	char ds[BDATE_STRLEN], t[8], iso[64], *want = NULL;
	struct xerr e;

	bdate_format(m->from, ds);
	hhmm(job->inbox.expect_min, t);
	tz_format_iso(m->deadline, iso, sizeof(iso));
	if (pattern_expand(job->inbox.pattern, job->name, m->from, &want,
	    &e) == -1)
		want = NULL;
	log_event(lg, LOG_ERROR, job->name, ds, ST_MISSING, NULL, "no file "
	    "for %s came by its deadline %s (expect = %s): nothing matching "
	    "'%s' was ingested; ask the partner for it. The date stays "
	    "missing (`xfer status --failed`) until its file is in", ds, iso,
	    t, want ? want : job->inbox.pattern);
	free(want);
	if (ledger_missing_log(l, job->name, "receive", m->from, (long long)now,
	    &e) == -1)
		log_event(lg, LOG_ERROR, job->name, ds, "ledger", NULL, "%s",
		    e.msg);
}

static void
log_late(struct ledger *l, const struct job *job, time_t now, bdate_t d,
    const struct log *lg)
{
	char ds[BDATE_STRLEN], t[8], iso[64], late[32], name[256] = "";
	time_t deadline;
	struct xerr e;

	if (missing_deadline(job, d, &deadline, &e) == -1)
		return;		/* it was missing: its deadline was known */
	bdate_format(d, ds);
	if (ledger_recv_done_each(l, job->name, d, d, last_name, name, &e) ==
	    -1)
		snprintf(name, sizeof(name), "the file of %s", ds);
	hhmm(job->inbox.expect_min, t);
	tz_format_iso(deadline, iso, sizeof(iso));
	span_text((long long)(now - deadline), late, sizeof(late));
	log_event_always(lg, LOG_WARN, job->name, ds, "arrived-late", NULL,
	    "'%s' arrived %s after expect %s (deadline %s); the date is no "
	    "longer missing", name, late, t, iso);
}

void
missing_recv_end(struct ledger *l, const struct job *job, time_t now,
    const struct missing_dates *before, const struct log *lg,
    int *nmissing)
{
	struct mlist ml = { NULL, 0, 0 };
	struct xerr e;
	size_t i, k;

	*nmissing = 0;
	if (job->inbox.expect_min < 0)
		return;
	if (missing_each(l, job, now, mlist_add, &ml, &e) == -1) {
		/* Not knowing is not "nothing missing": the run fails. */
		log_event(lg, LOG_ERROR, job->name, NULL, ST_MISSING, NULL,
		    "cannot tell which expected files are missing: %s", e.msg);
		*nmissing = 1;
		free(ml.v);
		return;
	}
	for (i = 0; i < ml.n; i++)
		if (!ml.v[i].logged)
			log_missing(l, job, now, &ml.v[i], lg);
	*nmissing = (int)ml.n;
	for (i = 0; i < before->n; i++) {
		for (k = 0; k < ml.n && ml.v[k].from != before->v[i]; k++)
			;
		if (k == ml.n)
			log_late(l, job, now, before->v[i], lg);
	}
	free(ml.v);
}

/* --- send runs -------------------------------------------------------- */

void
missing_send_report(struct ledger *l, const struct job *job, time_t now,
    int dry_run, const struct log *lg)
{
	struct mlist ml = { NULL, 0, 0 };
	char a[BDATE_STRLEN], b[BDATE_STRLEN], cu[32], cmd[300];
	const struct missing *m;
	struct xerr e;
	bdate_t d;
	size_t i;

	if (missing_each(l, job, now, mlist_add, &ml, &e) == -1) {
		log_event(lg, LOG_WARN, job->name, NULL, "never-sent", NULL,
		    "cannot tell which dates older than catch_up were never "
		    "sent: %s", e.msg);
		free(ml.v);
		return;
	}
	snprintf(cu, sizeof(cu), "%dd", job->catch_up_days);
	for (i = 0; i < ml.n; i++) {
		m = &ml.v[i];
		if (m->logged)
			continue;
		bdate_format(m->from, a);
		bdate_format(m->to, b);
		send_command(job, m, cmd, sizeof(cmd));
		if (m->from == m->to)
			log_event_always(lg, LOG_WARN, job->name, a, "never-sent",
			    NULL, "%s was never sent and is older than "
			    "catch_up (%s): send it with %s", a, cu, cmd);
		else
			log_event_always(lg, LOG_WARN, job->name, NULL,
			    "never-sent",
			    NULL, "%s..%s were never sent and are older than "
			    "catch_up (%s): send them with %s", a, b, cu, cmd);
		if (dry_run)
			continue;
		/* One transaction (one fsync) for the whole range. */
		if (ledger_begin(l, &e) == -1)
			goto fail;
		for (d = m->from; d <= m->to; d++)
			if (ledger_missing_log(l, job->name, "send", d,
			    (long long)now, &e) == -1) {
				ledger_rollback(l);
				goto fail;
			}
		if (ledger_commit(l, &e) == -1) {
			ledger_rollback(l);
			goto fail;
		}
	}
	free(ml.v);
	return;
fail:
	log_event(lg, LOG_ERROR, job->name, NULL, "ledger", NULL, "%s", e.msg);
	free(ml.v);
}
