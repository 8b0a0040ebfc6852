#include "sendjob.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dest.h"
#include "fault.h"
#include "fsutil.h"
#include "missing.h"
#include "produce.h"
#include "tz.h"

struct run {
	const struct job *job;
	const struct spool *sp;
	struct ledger *l;
	const struct send_opts *o;
	struct send_outcome *out;
	const struct log *lg;
	struct dest *dest;
	struct dbsession db;	/* a database source's connection, for
				 * every date of the run */
};


static int
is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Move dir out of the way into JOB/tmp and delete it there, so a reader
 * never sees a half-deleted batch under its real name.
 */
static int
discard_dir(struct run *r, const char *dir, struct xerr *err)
{
	char *trash;
	int rc;

	if (!is_dir(dir))
		return 0;
	if (spool_tmpdir(r->sp, r->job->name, "discard", &trash, err) == -1)
		return -1;
	/* mkdtemp made it; rename needs an absent or empty target. */
	rc = rename_durable(dir, trash, err);
	if (rc == 0)
		rc = remove_tree(trash, err);
	free(trash);
	return rc;
}

/* --- reconciliation: make the ledger agree with the spool ------------ */

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
static int
meta_nomem(const struct xerr *e)
{
	return e->cls == XERR_NOMEM || e->sys_errno == ENOMEM;
}

static int
reconcile_date(struct run *r, bdate_t date, struct xerr *err)
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
	have_out = is_dir(out);
	have_sent = is_dir(sent);
	if (have_out) {
		k = batch_meta_read(out, &m, &merr);
		if (k == -1 && meta_nomem(&merr)) {
			*err = merr;
			goto done;
		}
		if (k == -1) {
			/* Only whole directories are renamed into out/, so
			 * this is damage: rebuild the batch from the source. */
			log_event(r->lg, LOG_WARN, r->job->name, ds,
			    "spool-damaged", NULL, "%s; the batch will be "
			    "rebuilt", merr.msg);
			if (discard_dir(r, out, err) == -1)
				goto done;
			have_out = 0;
		} else if (!found || strcmp(b.sha256, m.sha256) != 0 ||
		    strcmp(b.state, ST_SENT) == 0) {
			/* The run that produced it died before the ledger
			 * heard of it. */
			snprintf(b.state, sizeof(b.state), "%s", ST_PRODUCED);
			snprintf(b.file, sizeof(b.file), "%s", m.file);
			snprintf(b.sha256, sizeof(b.sha256), "%s", m.sha256);
			b.bytes = m.bytes;
			b.records = m.records;
			b.last_error[0] = '\0';
			if (ledger_send_put(r->l, &b, err) == -1)
				goto done;
			log_event(r->lg, LOG_INFO, r->job->name, ds,
			    "recovered", NULL, "found produced batch '%s' "
			    "in the spool", m.file);
			found = 1;
		}
		if (have_sent && discard_dir(r, sent, err) == -1)
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
		if (k == -1 && meta_nomem(&merr)) {
			*err = merr;
			goto done;
		}
		if (k == 0 && (!found || strcmp(b.sha256, m.sha256) == 0)) {
			/* Delivered and moved, but the ledger missed it. */
			snprintf(b.state, sizeof(b.state), "%s", ST_SENT);
			snprintf(b.file, sizeof(b.file), "%s", m.file);
			snprintf(b.sha256, sizeof(b.sha256), "%s", m.sha256);
			b.bytes = m.bytes;
			b.records = m.records;
			b.last_error[0] = '\0';
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
		/* The ledger knows a file the spool lost: rebuild it. */
		log_event(r->lg, LOG_WARN, r->job->name, ds, "spool-missing",
		    NULL, "the spool lost '%s'; the batch will be rebuilt",
		    b.file);
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

static int
reconcile(struct run *r, struct xerr *err)
{
	static const char *const areas[] = { "out", "sent" };
	struct dates d = { 0 };
	struct dirent *de;
	bdate_t x;
	size_t i, a;
	char *dir;
	DIR *dp;
	int rc = -1;

	if (spool_clean_tmp(r->sp, r->job->name, err) == -1)
		return -1;
	if (ledger_send_each(r->l, r->job->name, collect_date, &d, err) == -1)
		goto out;
	for (a = 0; a < 2; a++) {
		if ((dir = spool_path(r->sp, r->job->name, areas[a], -1)) ==
		    NULL) {
			xerr_nomem(err);
			goto out;
		}
		if ((dp = opendir(dir)) == NULL && errno != ENOENT) {
			/* A batch it holds would be missed without a word. */
			xerr_set(err, XERR_TEMP, errno, "cannot read '%s'", dir);
			free(dir);
			goto out;
		}
		free(dir);
		if (dp == NULL)
			continue;
		while ((de = readdir(dp)) != NULL)
			if (bdate_parse(de->d_name, &x) == 0 &&
			    dates_add(&d, x) == -1) {
				closedir(dp);
				xerr_nomem(err);
				goto out;
			}
		closedir(dp);
	}
	if (d.n > 1)
		qsort(d.v, d.n, sizeof(*d.v), cmp_date);
	for (i = 0; i < d.n; i++)
		if ((i == 0 || d.v[i] != d.v[i - 1]) &&
		    reconcile_date(r, d.v[i], err) == -1)
			goto out;
	rc = 0;
out:
	free(d.v);
	return rc;
}

/* --- one batch ------------------------------------------------------- */

/*
 * A failed attempt: failed (retried by later runs) or held.  Only delivery
 * errors can be permanent (a conflict, refused credentials); what goes
 * wrong while producing comes from the upstream data or its files, which
 * may be fixed by the next run, so it is retried until max_attempts.
 */
static void
record_failure(struct run *r, struct send_batch *b, const struct xerr *e,
    const char *what, int delivering)
{
	char ds[BDATE_STRLEN];
	struct xerr err2;
	int held;

	bdate_format(b->date, ds);
	b->attempts++;
	held = (delivering && (e->cls == XERR_PERM || e->cls == XERR_CONFIG))
	    || b->attempts >= r->job->upload.max_attempts;
	snprintf(b->state, sizeof(b->state), "%s", held ? ST_HELD : ST_FAILED);
	snprintf(b->last_error, sizeof(b->last_error), "%s", e->msg);
	if (ledger_send_put(r->l, b, &err2) == -1 ||
	    ledger_attempt_add(r->l, r->job->name, "send", b->date, e->msg,
	    &err2) == -1)
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "ledger", NULL,
		    "%s", err2.msg);
	if (held) {
		r->out->held++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "held", NULL,
		    "%s failed: %s; the batch is held: run `xfer rerun --date "
		    "%s %s` after fixing", what, e->msg, ds, r->job->name);
	} else if (strstr(e->msg, "`xfer ") != NULL) {
		/* The cause names the command that fixes it (a refused
		 * resend says send --force): a plain send --date would
		 * only fail the same way. */
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "failed", NULL,
		    "%s failed (attempt %d of %d): %s", what, b->attempts,
		    r->job->upload.max_attempts, e->msg);
	} else {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "failed", NULL,
		    "%s failed (attempt %d of %d): %s; the next run retries, "
		    "or run `xfer send --date %s %s`", what, b->attempts,
		    r->job->upload.max_attempts, e->msg, ds, r->job->name);
	}
}

/*
 * The version the partner has of b's date, as far as the spool and the
 * ledger know: sent/DATE (kept until a new version is produced, even when
 * an attempt to rebuild failed since), else the ledger's sent row.
 * 1 and *old when known, 0 when not, -1 on error.
 */
static int
sent_version(struct run *r, const struct send_batch *b,
    struct batch_meta *old, struct xerr *err)
{
	struct xerr merr;
	char *sent;
	int k = -1;

	if ((sent = spool_path(r->sp, r->job->name, "sent", b->date)) == NULL)
		return xerr_nomem(err);
	if (is_dir(sent) && (k = batch_meta_read(sent, old, &merr)) == -1 &&
	    meta_nomem(&merr)) {
		free(sent);
		*err = merr;
		return -1;
	}
	free(sent);
	if (k == 0)
		return 1;
	/* A damaged batch.meta says nothing: the ledger may. */
	if (strcmp(b->state, ST_SENT) != 0 || b->sha256[0] == '\0')
		return 0;
	memset(old, 0, sizeof(*old));
	snprintf(old->file, sizeof(old->file), "%s", b->file);
	snprintf(old->sha256, sizeof(old->sha256), "%s", b->sha256);
	old->records = b->records;
	old->bytes = b->bytes;
	return 1;
}

/*
 * A rebuilt batch m about to replace the version the partner has: other
 * bytes are said at warning level even under -q (SPEC.md section 4,
 * "Replacing what the partner already has"); no records replacing some is
 * refused without --force.  0: go on; -1 with *refused set: refused.
 */
static int
check_replace(struct run *r, const struct send_batch *b,
    const struct batch_meta *m, int *refused, struct xerr *err)
{
	char ds[BDATE_STRLEN];
	struct batch_meta old;
	int k;

	*refused = 0;
	if ((k = sent_version(r, b, &old, err)) == -1)
		return -1;
	if (k == 0 || strcmp(old.sha256, m->sha256) == 0)
		return 0;
	bdate_format(b->date, ds);
	if (m->records == 0 && old.records > 0 &&
	    !r->o->replace_with_empty) {
		*refused = 1;
		return xerr_set(err, XERR_DATA, 0, "refused to replace the "
		    "sent version of %s (%lld record%s, sha256 %s) with one "
		    "of 0 records (sha256 %s): the partner would lose its "
		    "records; if %s really has no data, run `xfer send "
		    "--force --date %s %s`", ds, old.records,
		    old.records == 1 ? "" : "s", old.sha256, m->sha256, ds, ds,
		    r->job->name);
	}
	log_event_always(r->lg, LOG_WARN, r->job->name, ds, "replacing",
	    NULL, "resending %s: replaces the sent version (%lld record%s, "
	    "sha256 %s) with %lld record%s (sha256 %s)%s", ds, old.records,
	    old.records == 1 ? "" : "s", old.sha256, m->records,
	    m->records == 1 ? "" : "s", m->sha256, m->records == 0 &&
	    old.records > 0 ? "; --force given" : "");
	return 0;
}

/*
 * Build the batch and move it into out/DATE.  *refused: the new version
 * would empty what the partner has (check_replace()); nothing changed.
 */
static int
produce(struct run *r, struct send_batch *b, int *refused, struct xerr *err)
{
	char *tmp = NULL, *out = NULL, *sent = NULL, ds[BDATE_STRLEN];
	struct log_kv kv = LOG_KV_NONE;
	long long t0 = mono_ms();
	struct batch_meta m;
	int rc = -1;

	*refused = 0;
	bdate_format(b->date, ds);
	if (spool_tmpdir(r->sp, r->job->name, ds, &tmp, err) == -1)
		return -1;
	/* batch_produce() writes batch.meta last, durably: that fsync of
	 * the directory covers every name in it. */
	if (batch_produce(r->job, b->date, tmp, &r->db, &m, r->lg, err) == -1)
		goto out;
	/* Before anything of the old version goes: a refusal leaves the
	 * spool and the ledger as they were. */
	if (check_replace(r, b, &m, refused, err) == -1)
		goto out;
	out = spool_path(r->sp, r->job->name, "out", b->date);
	sent = spool_path(r->sp, r->job->name, "sent", b->date);
	if (out == NULL || sent == NULL) {
		xerr_nomem(err);
		goto out;
	}
	/* A rebuild replaces what was there.  A crash in between leaves
	 * the old batch gone and the new one in tmp (cleaned): the ledger
	 * row then names a file the spool lacks, and the next run
	 * rebuilds it. */
	if (discard_dir(r, out, err) == -1)
		goto out;
	if (rename_commit(tmp, out, err) == -1) {
		struct xerr e2;

		/* Renamed, but the directory fsync failed: out/DATE may not
		 * survive a power cut, and reconcile() would take it for a
		 * good batch.  It goes; the next run builds it anew. */
		if (!is_dir(tmp) && is_dir(out)) {
			remove_tree(out, &e2);
			xerr_prefix(err, "cannot make '%s' durable", out);
		}
		goto out;
	}
	free(tmp);
	tmp = NULL;
	FAULT_POINT("send_after_out_rename");
	if (discard_dir(r, sent, err) == -1)
		goto out;
	snprintf(b->state, sizeof(b->state), "%s", ST_PRODUCED);
	snprintf(b->file, sizeof(b->file), "%s", m.file);
	snprintf(b->sha256, sizeof(b->sha256), "%s", m.sha256);
	b->bytes = m.bytes;
	b->records = m.records;
	b->last_error[0] = '\0';
	if (ledger_send_put(r->l, b, err) == -1)
		goto out;
	FAULT_POINT("send_after_produced_commit");
	kv.file = m.file;
	kv.records = m.records;
	kv.bytes = m.bytes;
	kv.duration_ms = mono_ms() - t0;
	log_event(r->lg, LOG_INFO, r->job->name, ds, "produced", &kv, "%s",
	    "");
	rc = 0;
out:
	if (tmp != NULL) {
		struct xerr e2;
		remove_tree(tmp, &e2);
	}
	free(tmp);
	free(out);
	free(sent);
	return rc;
}

/*
 * Exponential backoff with jitter: retry_delay * 2^i, +-25%, at most a
 * minute; never shorter than a server's Retry-After (up to 10 minutes).
 */
static void
backoff(const struct job *job, int attempt, long retry_after_s)
{
	long long ms = job->upload.retry_delay_ms;
	int i;

	for (i = 0; i < attempt && ms < 3600 * 1000; i++)
		ms *= 2;
	if (ms > 0) {
		long long j = ms / 4;
		ms += j > 0 ? (long long)(random() % (2 * j + 1)) - j : 0;
	}
	if (ms > 60000)
		ms = 60000;
	if (retry_after_s > 0 && ms < retry_after_s * 1000LL)
		ms = retry_after_s > 600 ? 600000 : retry_after_s * 1000LL;
	if (ms > 0)
		usleep((useconds_t)ms * 1000);
}

static int
deliver(struct run *r, struct send_batch *b, struct xerr *err)
{
	char *out = NULL, *sent = NULL, ds[BDATE_STRLEN], rate[64];
	struct log_kv kv = LOG_KV_NONE;
	struct batch_meta m;
	long long t0, ms;
	int try, rc = -1, uploaded = 0;

	bdate_format(b->date, ds);
	out = spool_path(r->sp, r->job->name, "out", b->date);
	sent = spool_path(r->sp, r->job->name, "sent", b->date);
	if (out == NULL || sent == NULL) {
		xerr_nomem(err);
		goto done;
	}
	if (batch_meta_read(out, &m, err) == -1)
		goto done;
	t0 = mono_ms();
	for (try = 0; ; try++) {
		xerr_clear(err);
		if (r->dest == NULL)
			(void)dest_open(r->job, &r->dest, r->lg, err);
		if (r->dest != NULL && dest_deliver(r->dest, out, &m, ds,
		    r->lg, &uploaded, err) == 0)
			break;
		if (r->dest != NULL && err->cls == XERR_TEMP) {
			/* A broken connection is not reused. */
			dest_close(r->dest);
			r->dest = NULL;
		}
		if (err->cls != XERR_TEMP || try >= r->job->upload.retries)
			goto done;
		log_event(r->lg, LOG_WARN, r->job->name, ds, "retry", NULL,
		    "try %d of %d failed: %s", try + 1,
		    r->job->upload.retries + 1, err->msg);
		backoff(r->job, try, err->retry_after_s);
	}
	ms = mono_ms() - t0;
	FAULT_POINT("send_before_sent_move");
	/* Once delivered, the batch moves to sent/; a crash before the
	 * ledger update is repaired by reconcile(). */
	if (discard_dir(r, sent, err) == -1 ||
	    rename_commit(out, sent, err) == -1)
		goto done;
	FAULT_POINT("send_before_sent_commit");
	b->attempts++;
	snprintf(b->state, sizeof(b->state), "%s", ST_SENT);
	b->last_error[0] = '\0';
	/* One commit (one fsync) for the state and the attempt. */
	if (ledger_begin(r->l, err) == -1)
		goto done;
	if (ledger_send_put(r->l, b, err) == -1 ||
	    ledger_attempt_add(r->l, r->job->name, "send", b->date, NULL,
	    err) == -1 || ledger_commit(r->l, err) == -1) {
		ledger_rollback(r->l);
		goto done;
	}
	r->out->sent++;
	kv.file = m.file;
	kv.records = m.records;
	kv.bytes = m.bytes;
	kv.duration_ms = ms;
	if (!uploaded) {
		log_event(r->lg, LOG_INFO, r->job->name, ds, "sent", &kv,
		    "already at %s with the same bytes", r->job->upload.url);
	} else {
		double bps = (double)m.bytes * 1000.0 / (double)(ms > 0 ? ms :
		    1);

		if (bps >= 1e6)
			snprintf(rate, sizeof(rate), "%.1f MB/s", bps / 1e6);
		else
			snprintf(rate, sizeof(rate), "%.1f kB/s", bps / 1e3);
		log_event(r->lg, LOG_INFO, r->job->name, ds, "sent", &kv,
		    "delivered to %s at %s", r->job->upload.url, rate);
	}
	rc = 0;
done:
	free(out);
	free(sent);
	return rc;
}

static void
dry_run(struct run *r, struct send_batch *b, int need_produce)
{
	char ds[BDATE_STRLEN], *tmp = NULL;
	struct batch_meta m, old;
	struct xerr err;
	int k = 0;

	bdate_format(b->date, ds);
	if (!need_produce) {
		printf("%s %s: would send '%s' from the spool (%lld records, "
		    "%lld bytes) to %s\n", r->job->name, ds, b->file,
		    b->records, b->bytes, r->job->upload.url);
		return;
	}
	if (spool_tmpdir(r->sp, r->job->name, "dry-run", &tmp, &err) == -1 ||
	    batch_produce(r->job, b->date, tmp, &r->db, &m, r->lg, &err) == -1) {
		printf("%s %s: would fail to produce: %s\n", r->job->name, ds,
		    err.msg);
		r->out->failed++;
	} else if ((k = sent_version(r, b, &old, &err)) == 1 &&
	    strcmp(old.sha256, m.sha256) != 0 && m.records == 0 &&
	    old.records > 0 && !r->o->replace_with_empty) {
		printf("%s %s: would refuse to replace the sent version (%lld "
		    "record%s, sha256 %s) with '%s' (0 records, sha256 %s); "
		    "--force sends it\n", r->job->name, ds, old.records,
		    old.records == 1 ? "" : "s", old.sha256, m.file, m.sha256);
		r->out->failed++;
	} else {
		printf("%s %s: would produce '%s' (%lld records, %lld bytes, "
		    "sha256 %s) and send it to %s", r->job->name, ds,
		    m.file, m.records, m.bytes, m.sha256, r->job->upload.url);
		if (k == 1 && strcmp(old.sha256, m.sha256) != 0)
			printf(", replacing the sent version (%lld record%s, "
			    "sha256 %s)", old.records, old.records == 1 ? "" :
			    "s", old.sha256);
		printf("\n");
	}
	if (tmp != NULL)
		remove_tree(tmp, &err);
	free(tmp);
}

/* The batch of date, rebuilt or not; reset: a fresh count of attempts. */
static int
do_batch(struct run *r, bdate_t date, int rebuild, int reset,
    struct xerr *err)
{
	char ds[BDATE_STRLEN];
	struct send_batch b;
	struct xerr e;
	int found, need_produce, refused;

	if (ledger_send_get(r->l, r->job->name, date, &b, &found, err) == -1)
		return -1;
	need_produce = rebuild || !found || b.file[0] == '\0';
	if (r->o->dry_run) {
		dry_run(r, &b, need_produce);
		return 0;
	}
	if (reset)
		b.attempts = 0;
	xerr_clear(&e);
	if (need_produce && produce(r, &b, &refused, &e) == -1) {
		if (refused && strcmp(b.state, ST_SENT) == 0) {
			/* The partner keeps the sent version, and the
			 * ledger's row keeps describing it. */
			bdate_format(date, ds);
			r->out->failed++;
			log_event(r->lg, LOG_ERROR, r->job->name, ds,
			    "refused", NULL, "%s", e.msg);
			if (ledger_attempt_add(r->l, r->job->name, "send",
			    date, e.msg, &e) == -1)
				log_event(r->lg, LOG_ERROR, r->job->name, ds,
				    "ledger", NULL, "%s", e.msg);
			return 0;
		}
		/* A failed production leaves no file to resend, and its
		 * figures are not those of an earlier version. */
		b.file[0] = '\0';
		b.sha256[0] = '\0';
		b.records = -1;
		b.bytes = -1;
		record_failure(r, &b, &e, "producing the batch", 0);
		return 0;
	}
	if (deliver(r, &b, &e) == -1)
		record_failure(r, &b, &e, "delivering the batch", 1);
	return 0;
}

/* rerun: the failed and held batches of date (and sent ones with force). */
static int
rerun_batch(struct run *r, bdate_t date, struct xerr *err)
{
	char ds[BDATE_STRLEN];
	struct send_batch b;
	int found;

	bdate_format(date, ds);
	if (ledger_send_get(r->l, r->job->name, date, &b, &found, err) == -1)
		return -1;
	if (!found || (strcmp(b.state, ST_SENT) == 0 && !r->o->force)) {
		log_event(r->lg, LOG_INFO, r->job->name, ds, "rerun-skip", NULL,
		    "%s", !found ? "no batch recorded for this date; use "
		    "`xfer send --date` to make one" : "already sent; "
		    "--force sends it again");
		r->out->skipped++;
		return 0;
	}
	log_event(r->lg, LOG_INFO, r->job->name, ds, "rerun", NULL,
	    "redoing the %s batch%s", b.state, r->o->regenerate ?
	    " from the source" : "");
	if (strcmp(b.state, ST_SENT) == 0 && !r->o->regenerate &&
	    !r->o->dry_run) {
		/* Sent again as it was: back to out/ for deliver(). */
		char *out = spool_path(r->sp, r->job->name, "out", date);
		char *sent = spool_path(r->sp, r->job->name, "sent", date);
		int rc = out && sent ? rename_durable(sent, out, err) :
		    xerr_nomem(err);

		free(out);
		free(sent);
		if (rc == -1) {
			/* The spooled file is gone: rebuild instead. */
			log_event(r->lg, LOG_WARN, r->job->name, ds,
			    "spool-missing", NULL, "%s; rebuilding from the "
			    "source", err->msg);
			return do_batch(r, date, 1, 1, err);
		}
	}
	return do_batch(r, date, r->o->regenerate, 1, err);
}

/* Is date due for an automatic (catch-up) run? */
static int
due(struct run *r, bdate_t date, struct xerr *err)
{
	char ds[BDATE_STRLEN];
	struct send_batch b;
	int found;

	if (ledger_send_get(r->l, r->job->name, date, &b, &found, err) == -1)
		return -1;
	if (!found || strcmp(b.state, ST_PRODUCED) == 0)
		return 1;
	if (strcmp(b.state, ST_FAILED) != 0)
		return 0;	/* sent, or held for an operator */
	if (b.attempts < r->job->upload.max_attempts)
		return 1;
	bdate_format(date, ds);
	if (!r->o->dry_run) {
		snprintf(b.state, sizeof(b.state), "%s", ST_HELD);
		if (ledger_send_put(r->l, &b, err) == -1)
			return -1;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "held", NULL,
		    "%d attempts failed, the last with: %s; run `xfer rerun "
		    "--date %s %s` after fixing", b.attempts, b.last_error, ds,
		    r->job->name);
	}
	r->out->held++;
	return 0;
}

int
send_job_run(const struct job *job, const struct spool *sp,
    struct ledger *l, const struct send_opts *o, struct send_outcome *out,
    const struct log *lg, struct xerr *err)
{
	struct run r = { job, sp, l, o, out, lg, NULL, { NULL, NULL } };
	bdate_t today, current, first, d, lo;
	int lockfd = -1, rc = -1, found, k;

	memset(out, 0, sizeof(*out));
	if (tz_use(job->timezone, err) == -1)
		return -1;
	if (!o->lock_held) {
		if ((k = spool_lock(sp, job->name, &lockfd, err)) == -1)
			return -1;
		if (k == 1) {
			out->locked = 1;
			return 0;
		}
	}
	if (spool_job_prepare(sp, job->name, err) == -1)
		goto done;
	if (!o->dry_run && reconcile(&r, err) == -1)
		goto done;
	if (o->rerun) {
		for (d = o->from; d <= o->to; d++)
			if (rerun_batch(&r, d, err) == -1)
				goto done;
		rc = 0;
		goto done;
	}
	if (o->explicit_dates) {
		for (d = o->from; d <= o->to; d++)
			if (do_batch(&r, d, 1, 1, err) == -1)
				goto done;
		rc = 0;
		goto done;
	}
	today = tz_date_of(o->now);
	current = today - job->date_offset;
	if (ledger_send_first(l, job->name, &first, &found, err) == -1)
		goto done;
	lo = current - job->catch_up_days;
	if (!found || first > lo)
		lo = found && first < current ? first : current;
	for (d = lo; d <= current; d++) {
		if ((k = due(&r, d, err)) == -1)
			goto done;
		if (k == 1 && do_batch(&r, d, 0, 0, err) == -1)
			goto done;
		if (k == 0 && d == current) {
			char ds[BDATE_STRLEN];

			bdate_format(d, ds);
			log_event(lg, LOG_INFO, job->name, ds, "up-to-date",
			    NULL, "the current batch is not due (already "
			    "sent or held); `xfer status %s` shows it",
			    job->name);
		}
	}
	/* Dates older than the window with no batch: never silently. */
	missing_send_report(l, job, o->now, o->dry_run, lg);
	rc = 0;
done:
	dest_close(r.dest);
	dbsession_close(&r.db);
	spool_unlock(lockfd);
	return rc;
}
