#include "sendjob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dest.h"
#include "fault.h"
#include "fsutil.h"
#include "jobdate.h"
#include "missing.h"
#include "pattern.h"
#include "produce.h"
#include "send_internal.h"
#include "sendpool.h"
#include "tz.h"

int
send_is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Move dir out of the way into JOB/tmp and delete it there, so a reader
 * never sees a half-deleted batch under its real name.
 */
int
send_discard_dir(struct run *r, const char *dir, struct xerr *err)
{
	char *trash;
	int rc;

	if (!send_is_dir(dir))
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

/* b describes the batch m (in the spool), in state. */
void
send_batch_describe(struct send_batch *b, const char *state,
    const struct batch_meta *m)
{
	snprintf(b->state, sizeof(b->state), "%s", state);
	snprintf(b->file, sizeof(b->file), "%s", m->file);
	snprintf(b->sha256, sizeof(b->sha256), "%s", m->sha256);
	b->bytes = m->bytes;
	b->records = m->records;
	b->last_error[0] = '\0';
}

/* The "produced" line of a batch whose production began at t0. */
static void
log_produced(struct run *r, const char *ds, const struct batch_meta *m,
    long long t0)
{
	struct log_kv kv = LOG_KV_NONE;

	kv.file = m->file;
	kv.records = m->records;
	kv.bytes = m->bytes;
	kv.duration_ms = mono_ms() - t0;
	log_event(r->lg, LOG_INFO, r->job->name, ds, "produced", &kv, "%s",
	    "");
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

	/* Not a failure of this node's: the batch is another's now. */
	if (e->cls == XERR_STALE) {
		send_claim_lost(r, b->date, e);
		return;
	}
	bdate_format(b->date, ds);
	b->attempts++;
	held = (delivering && (e->cls == XERR_PERM || e->cls == XERR_CONFIG))
	    || b->attempts >= r->job->upload.max_attempts;
	snprintf(b->state, sizeof(b->state), "%s", held ? ST_HELD : ST_FAILED);
	snprintf(b->last_error, sizeof(b->last_error), "%s", e->msg);
	if (ledger_send_put(r->l, b, &err2) == -1 ||
	    ledger_attempt_add(r->l, r->job->name, "send", b->date, e->msg,
	    &err2) == -1) {
		if (err2.cls == XERR_STALE) {
			send_claim_lost(r, b->date, &err2);
			return;
		}
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "ledger", NULL,
		    "%s", err2.msg);
	}
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
	if (send_is_dir(sent) && (k = batch_meta_read(sent, old, &merr)) == -1 &&
	    send_meta_nomem(&merr)) {
		free(sent);
		*err = merr;
		return -1;
	}
	free(sent);
	/* In a fleet, a version another node sent since is newer than
	 * this host's copy. */
	if (k == 0 && !(send_other_node(r, b) && strcmp(b->state, ST_SENT) == 0 &&
	    b->sha256[0] != '\0'))
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
	/* An encrypted batch is compared by its plain text (batch.meta's
	 * plain_sha256): its ciphertext differs on every build. */
	if (k == 0 || batch_same_content(&old, m))
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
 * An encrypted batch just built in dir whose content is that of the sent
 * version takes its ciphertext (batch_reuse_sent()): the partner gets the
 * same bytes again, as for any batch whose records did not change.
 */
static int
reuse_sent(struct run *r, bdate_t date, const char *dir,
    struct batch_meta *m, unsigned flags, struct xerr *err)
{
	char *sent;
	int rc;

	if (m->plain_sha256[0] == '\0')
		return 0;
	if ((sent = spool_path(r->sp, r->job->name, "sent", date)) == NULL)
		return xerr_nomem(err);
	rc = batch_reuse_sent(r->job, date, dir, m, sent, flags, err);
	free(sent);
	return rc == -1 ? -1 : 0;
}

/*
 * The {seq} to build b's batch with (xfer.job(5), "{seq}").  An unsent
 * version recorded (a retry, a rebuild) keeps its seq.  Otherwise, with a
 * version sent, the build tries the sent one's seq and *bump_sha is its
 * sha256: other bytes make a new version, seq + 1 (build_version()).  The
 * first version of a date is 1.
 */
static int
version_seq(struct run *r, const struct send_batch *b, long *seq,
    char *bump_sha, size_t shasize, struct xerr *err)
{
	struct batch_meta old;
	long n;
	int k;

	*seq = 1;
	bump_sha[0] = '\0';
	if (!pattern_has_seq(r->job->output.name))
		return 0;
	if (strcmp(b->state, ST_SENT) != 0 && b->file[0] != '\0') {
		if ((n = batch_name_seq(r->job, b->file)) > 0)
			*seq = n;
		return 0;
	}
	if ((k = sent_version(r, b, &old, err)) == -1)
		return -1;
	if (k == 1 && (n = batch_name_seq(r->job, old.file)) > 0) {
		*seq = n;
		snprintf(bump_sha, shasize, "%s", old.sha256);
	}
	return 0;
}

/*
 * batch_produce() with seq into *tmp (made here in tmp/); built again
 * with seq + 1 in a fresh directory when the bytes are not those of the
 * sent version bump_sha names.
 */
static int
build_version(struct run *r, bdate_t date, const char *ds, long seq,
    const char *bump_sha, struct dbsession *db, char **tmp,
    struct batch_meta *m, unsigned flags, struct xerr *err)
{
	struct xerr e2;

	if (spool_tmpdir(r->sp, r->job->name, ds, tmp, err) == -1)
		return -1;
	if (batch_produce_seq(r->job, date, seq, *tmp, db, m, r->lg, flags,
	    err) == -1 || reuse_sent(r, date, *tmp, m, flags, err) == -1)
		return -1;
	if (bump_sha[0] == '\0' || strcmp(m->sha256, bump_sha) == 0)
		return 0;
	remove_tree(*tmp, &e2);
	free(*tmp);
	*tmp = NULL;
	if (spool_tmpdir(r->sp, r->job->name, ds, tmp, err) == -1)
		return -1;
	return batch_produce_seq(r->job, date, seq + 1, *tmp, db, m, r->lg,
	    flags, err);
}

/*
 * Build the batch and move it into out/DATE.  *refused: the new version
 * would empty what the partner has (check_replace()); nothing changed.
 */
static int
produce(struct run *r, struct send_batch *b, int *refused, struct xerr *err)
{
	char *tmp = NULL, *out = NULL, *sent = NULL, ds[BDATE_STRLEN];
	char bump_sha[SHA256_HEXLEN];
	long long t0 = mono_ms();
	struct batch_meta m;
	long seq;
	int rc = -1;

	*refused = 0;
	bdate_format(b->date, ds);
	if (version_seq(r, b, &seq, bump_sha, sizeof(bump_sha), err) == -1)
		return -1;
	/* batch_produce() writes batch.meta last, durably: that fsync of
	 * the directory covers every name in it. */
	if (build_version(r, b->date, ds, seq, bump_sha, &r->db, &tmp, &m, 0,
	    err) == -1)
		goto out;
	/* Before anything of the old version goes: a refusal leaves the
	 * spool and the ledger as they were. */
	if (check_replace(r, b, &m, refused, err) == -1)
		goto out;
	/* Nothing of the old version goes under a lost claim. */
	if (!send_claim_held(r, b->date)) {
		send_stale_err(r, b->date, err);
		goto out;
	}
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
	if (send_discard_dir(r, out, err) == -1)
		goto out;
	if (rename_commit(tmp, out, err) == -1) {
		struct xerr e2;

		/* Renamed, but the directory fsync failed: out/DATE may not
		 * survive a power cut, and send_reconcile() would take it for a
		 * good batch.  It goes; the next run builds it anew. */
		if (!send_is_dir(tmp) && send_is_dir(out)) {
			remove_tree(out, &e2);
			xerr_prefix(err, "cannot make '%s' durable", out);
		}
		goto out;
	}
	free(tmp);
	tmp = NULL;
	FAULT_POINT("send_after_out_rename");
	if (send_discard_dir(r, sent, err) == -1)
		goto out;
	send_batch_describe(b, ST_PRODUCED, &m);
	if (ledger_send_put(r->l, b, err) == -1)
		goto out;
	FAULT_POINT("send_after_produced_commit");
	log_produced(r, ds, &m, t0);
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
	    batch_produce(r->job, b->date, tmp, &r->db, &m, r->lg, 0, &err) ==
	    -1) {
		printf("%s %s: would fail to produce: %s\n", r->job->name, ds,
		    err.msg);
		r->out->failed++;
	} else if ((k = sent_version(r, b, &old, &err)) == 1 &&
	    !batch_same_content(&old, &m) && m.records == 0 &&
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
		if (k == 1 && !batch_same_content(&old, &m))
			printf(", replacing the sent version (%lld record%s, "
			    "sha256 %s)", old.records, old.records == 1 ? "" :
			    "s", old.sha256);
		printf("\n");
	}
	if (tmp != NULL)
		remove_tree(tmp, &err);
	free(tmp);
}

/* --- groups of batches ----------------------------------------------- */

/*
 * A run works on its dates in groups (xfer.job(5), "Group commit"): the
 * group's batches are built in tmp/ with no fsync each, made durable
 * together by one syncfs(2), renamed into out/ with one fsync of out/,
 * and recorded as produced in one ledger transaction; only then does
 * any of them go to the connections (sendpool.c).  While they upload,
 * the next group is built.  Once all of a group's deliveries are done,
 * its batches move to sent/ with one fsync of sent/ and are recorded as
 * sent in one transaction.  A crash at any step leaves what send_reconcile()
 * knows: tmp/ is emptied, a batch in out/ the ledger lacks is recovered
 * as produced, one in sent/ as sent.  A failed sync fails the whole
 * group: each of its batches is discarded and built anew by a later
 * run, never delivered.  A group with one batch to build takes the
 * batch's own fsyncs (produce()), as a run of one date always did.
 */
enum stage {
	IT_DONE,	/* nothing more in this run (skipped, failed, sent) */
	IT_PRODUCE,	/* to build */
	IT_BUILT,	/* built in it->tmp, not durable yet */
	IT_RENAMED,	/* durable, in out/DATE; the ledger not told yet */
	IT_READY,	/* in out/DATE, recorded: to deliver */
	IT_SUBMITTED,	/* with the connections */
	IT_DELIVERED,	/* at the destination, still in out/DATE */
	IT_MOVED	/* in sent/DATE; the ledger not told yet */
};

struct item {
	bdate_t date;
	char ds[BDATE_STRLEN];
	struct send_batch b;
	enum stage stage;
	char *tmp;		/* IT_BUILT */
	char *out;		/* out/DATE, once submitted */
	struct batch_meta m;	/* IT_BUILT, IT_RENAMED */
	long long t0;		/* when its production started */
	struct pool_item pi;	/* its delivery */
	/* Built on a connection's thread (build_task()). */
	struct run *r;
	struct dbsession *db;	/* NULL on another thread */
	struct pool_item build;
	struct xerr build_err;
	int build_rc;
	long seq;		/* {seq} to build with (version_seq()) */
	char bump_sha[SHA256_HEXLEN];
};

struct group {
	struct item *v;
	size_t n, cap;
	/* A shared ledger: the group's claims (one ledger_claim()), held
	 * until the group is finished. */
	struct ledger_claim *claims;
	size_t nclaims;
};

/* How a run picks its dates. */
enum pick { PICK_DATES, PICK_RERUN, PICK_DUE };

/* A failed production leaves no file to resend, and its figures are not
 * those of an earlier version. */
static void
production_failed(struct run *r, struct item *it, const struct xerr *e)
{
	it->b.file[0] = '\0';
	it->b.sha256[0] = '\0';
	it->b.records = -1;
	it->b.bytes = -1;
	record_failure(r, &it->b, e, "producing the batch", 0);
	it->stage = IT_DONE;
}

/* check_replace() said no: the partner keeps the sent version, and the
 * ledger's row keeps describing it. */
static void
production_refused(struct run *r, struct item *it, struct xerr *e)
{
	struct xerr e2;
	int rc;

	it->stage = IT_DONE;
	xerr_clear(&e2);
	rc = ledger_attempt_add(r->l, r->job->name, "send", it->date, e->msg,
	    &e2);
	if (rc == -1 && e2.cls == XERR_STALE) {
		send_claim_lost(r, it->date, &e2);
		return;
	}
	r->out->failed++;
	log_event(r->lg, LOG_ERROR, r->job->name, it->ds, "refused", NULL,
	    "%s", e->msg);
	if (rc == -1)
		log_event(r->lg, LOG_ERROR, r->job->name, it->ds, "ledger",
		    NULL, "%s", e2.msg);
}

/*
 * A batch an automatic run would attempt: 1 if it still may, 0 when its
 * cut-off has passed (it is held then, with the reason, once: a held batch
 * is not due again), -1 on a ledger error.
 */
static int
past_cutoff(struct run *r, struct send_batch *b, struct xerr *err)
{
	char ds[BDATE_STRLEN], dues[BDATE_STRLEN];
	bdate_t due_day;
	int passed;

	if (jobdate_past_cutoff(r->job, b->date, r->o->now, &passed, &due_day,
	    err) == -1)
		return -1;
	if (!passed)
		return 1;
	bdate_format(b->date, ds);
	bdate_format(due_day, dues);
	if (!r->o->dry_run) {
		snprintf(b->state, sizeof(b->state), "%s", ST_HELD);
		snprintf(b->last_error, sizeof(b->last_error), "past the "
		    "cut-off %02d:%02d of %s", r->job->cutoff_min / 60,
		    r->job->cutoff_min % 60, dues);
		if (ledger_send_put(r->l, b, err) == -1)
			return -1;
	}
	r->out->held++;
	log_event(r->lg, LOG_ERROR, r->job->name, ds, "held", NULL, "past the "
	    "cut-off %02d:%02d of %s: not attempted; `xfer send --date %s %s` "
	    "sends it anyway", r->job->cutoff_min / 60,
	    r->job->cutoff_min % 60, dues, ds, r->job->name);
	return 0;
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
		return past_cutoff(r, &b, err);
	if (strcmp(b.state, ST_FAILED) != 0)
		return 0;	/* sent, or held for an operator */
	if (b.attempts < r->job->upload.max_attempts)
		return past_cutoff(r, &b, err);
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

/*
 * rerun: the failed and held batches of date (and sent ones with force).
 * 0 with *rebuild set, 1: skipped, -1 on error.
 */
static int
rerun_pick(struct run *r, bdate_t date, int *rebuild, struct xerr *err)
{
	char ds[BDATE_STRLEN];
	struct send_batch b;
	int found;

	bdate_format(date, ds);
	*rebuild = r->o->regenerate;
	if (ledger_send_get(r->l, r->job->name, date, &b, &found, err) == -1)
		return -1;
	if (!found || (strcmp(b.state, ST_SENT) == 0 && !r->o->force)) {
		log_event(r->lg, LOG_INFO, r->job->name, ds, "rerun-skip", NULL,
		    "%s", !found ? "no batch recorded for this date; use "
		    "`xfer send --date` to make one" : "already sent; "
		    "--force sends it again");
		r->out->skipped++;
		return 1;
	}
	log_event(r->lg, LOG_INFO, r->job->name, ds, "rerun", NULL,
	    "redoing the %s batch%s", b.state, r->o->regenerate ?
	    " from the source" : "");
	if (strcmp(b.state, ST_SENT) == 0 && !r->o->regenerate &&
	    !r->o->dry_run) {
		/* Sent again as it was: back to out/ for delivery. */
		char *out = spool_path(r->sp, r->job->name, "out", date);
		char *sent = spool_path(r->sp, r->job->name, "sent", date);
		struct batch_meta m;
		struct xerr merr;
		int rc;

		if (out != NULL && sent != NULL && send_other_node(r, &b) &&
		    (batch_meta_read(sent, &m, &merr) == -1 ||
		    strcmp(m.sha256, b.sha256) != 0)) {
			/* Another node sent it: this spool's copy, if any,
			 * is not the version the partner has. */
			log_event(r->lg, LOG_INFO, r->job->name, ds,
			    "spool-missing", NULL, "node '%s' sent the batch "
			    "and this spool lacks that version; rebuilding "
			    "from the source", b.node);
			free(out);
			free(sent);
			*rebuild = 1;
			return 0;
		}
		rc = out && sent ? rename_durable(sent, out, err) :
		    xerr_nomem(err);

		free(out);
		free(sent);
		if (rc == -1) {
			/* The spooled file is gone: rebuild instead. */
			log_event(r->lg, LOG_WARN, r->job->name, ds,
			    "spool-missing", NULL, "%s; rebuilding from the "
			    "source", err->msg);
			*rebuild = 1;
		}
	}
	return 0;
}

/* An operator's send --date / rerun --date of a batch past its cut-off:
 * done as asked, with a warning. */
static int
warn_cutoff(struct run *r, struct item *it, struct xerr *err)
{
	char dues[BDATE_STRLEN];
	bdate_t due_day;
	int passed;

	if (jobdate_past_cutoff(r->job, it->date, r->o->now, &passed, &due_day,
	    err) == -1)
		return -1;
	if (passed) {
		bdate_format(due_day, dues);
		log_event(r->lg, LOG_WARN, r->job->name, it->ds, "past-cutoff",
		    NULL, "past its cut-off %02d:%02d of %s; sending it as "
		    "asked", r->job->cutoff_min / 60, r->job->cutoff_min % 60,
		    dues);
	}
	return 0;
}

/* What the run does with it->date: it->stage IT_DONE, IT_PRODUCE or
 * IT_READY.  -1 only when the ledger cannot be read or written. */
static int
pick(struct run *r, struct item *it, enum pick how, bdate_t current,
    struct xerr *err)
{
	int found, rebuild = 0, reset = 1, k;

	it->stage = IT_DONE;
	bdate_format(it->date, it->ds);
	if (how == PICK_RERUN) {
		if ((k = rerun_pick(r, it->date, &rebuild, err)) != 0)
			return k == 1 ? 0 : -1;
	} else if (how == PICK_DATES) {
		rebuild = 1;
	}
	if (how != PICK_DUE) {
		if (warn_cutoff(r, it, err) == -1)
			return -1;
	} else {
		reset = 0;
		if ((k = due(r, it->date, err)) == -1)
			return -1;
		if (k == 0) {
			if (it->date == current)
				log_event(r->lg, LOG_INFO, r->job->name,
				    it->ds, "up-to-date", NULL, "the current "
				    "batch is not due (already sent or held); "
				    "`xfer status %s` shows it", r->job->name);
			return 0;
		}
	}
	if (ledger_send_get(r->l, r->job->name, it->date, &it->b, &found,
	    err) == -1)
		return -1;
	k = rebuild || !found || it->b.file[0] == '\0';
	if (r->o->dry_run) {
		dry_run(r, &it->b, k);
		return 0;
	}
	if (reset)
		it->b.attempts = 0;
	it->stage = k ? IT_PRODUCE : IT_READY;
	return 0;
}

/* The one batch of a group to build: with its own fsyncs. */
static void
produce_one(struct run *r, struct item *it)
{
	struct xerr e;
	int refused;

	xerr_clear(&e);
	if (produce(r, &it->b, &refused, &e) == 0)
		it->stage = IT_READY;
	else if (refused && strcmp(it->b.state, ST_SENT) == 0)
		production_refused(r, it, &e);
	else
		production_failed(r, it, &e);
}

static void
drop_tmp(struct item *it)
{
	struct xerr e2;

	if (it->tmp != NULL)
		remove_tree(it->tmp, &e2);
	free(it->tmp);
	it->tmp = NULL;
}

/* Each batch of g at stage from fails with e (its files removed). */
static void
fail_stage(struct run *r, struct group *g, enum stage from,
    const struct xerr *e)
{
	struct xerr e2;
	char *out;
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage != from)
			continue;
		drop_tmp(it);
		if (from == IT_RENAMED && (out = spool_path(r->sp,
		    r->job->name, "out", it->date)) != NULL) {
			/* Its rename may not survive a power cut, and
			 * send_reconcile() would take it for a good batch. */
			remove_tree(out, &e2);
			free(out);
		}
		production_failed(r, it, e);
	}
}

/*
 * Record the group's batches at stage (IT_RENAMED: produced; IT_MOVED:
 * sent, with the attempt) in one transaction.  A batch whose claim was
 * taken over meanwhile is dropped from it (send_claim_lost(), IT_DONE, its
 * files left where they are) and the others are committed without it.
 * -1 with err: none of them is recorded.
 */
static int
commit_stage(struct run *r, struct group *g, enum stage stage,
    struct xerr *err)
{
	struct send_batch nb;
	struct item *it;
	size_t i, tries;

	/* Each round either commits or drops one more batch. */
	for (tries = 0; tries <= g->n; tries++) {
		xerr_clear(err);
		if (ledger_begin(r->l, err) == -1)
			return -1;
		for (i = 0; i < g->n; i++) {
			it = &g->v[i];
			if (it->stage != stage)
				continue;
			if (stage == IT_RENAMED) {
				send_batch_describe(&it->b, ST_PRODUCED, &it->m);
				if (ledger_send_put(r->l, &it->b, err) == -1)
					break;
				continue;
			}
			/* it->b changes only once the commit is done. */
			nb = it->b;
			nb.attempts++;
			snprintf(nb.state, sizeof(nb.state), "%s", ST_SENT);
			nb.last_error[0] = '\0';
			if (ledger_send_put(r->l, &nb, err) == -1 ||
			    ledger_attempt_add(r->l, r->job->name, "send",
			    nb.date, NULL, err) == -1)
				break;
		}
		if (i == g->n && ledger_commit(r->l, err) == 0)
			break;
		ledger_rollback(r->l);
		if (i == g->n || err->cls != XERR_STALE)
			return -1;
		send_claim_lost(r, g->v[i].date, err);
		g->v[i].stage = IT_DONE;
	}
	if (tries > g->n)
		return xerr_set(err, XERR_TEMP, 0, "ledger %s: cannot commit "
		    "the group's rows", ledger_name(r->l));
	if (stage == IT_MOVED)
		for (i = 0; i < g->n; i++) {
			it = &g->v[i];
			if (it->stage != stage)
				continue;
			it->b.attempts++;
			snprintf(it->b.state, sizeof(it->b.state), "%s",
			    ST_SENT);
			it->b.last_error[0] = '\0';
		}
	return 0;
}

/*
 * Build it into a fresh directory of tmp/, nothing fsync'd: here, or on
 * one of the connections' threads for a source of files (no database
 * session, no child process; the log's zone is pinned).
 */
static void
build_task(void *arg)
{
	struct item *it = arg;
	struct run *r = it->r;

	xerr_clear(&it->build_err);
	it->t0 = mono_ms();
	it->build_rc = build_version(r, it->date, it->ds, it->seq,
	    it->bump_sha, it->db, &it->tmp, &it->m, BATCH_DEFER_SYNC,
	    &it->build_err);
}

/* Build the group's batches (IT_PRODUCE) into out/, durably, recorded:
 * IT_READY, or IT_DONE with the failure recorded. */
static void
produce_group(struct run *r, struct group *g)
{
	char *tmpdir = NULL, *outdir = NULL, *out, *sent;
	struct xerr e;
	size_t i, n = 0;
	int fd = -1, refused, parallel;

	for (i = 0; i < g->n; i++)
		n += g->v[i].stage == IT_PRODUCE;
	if (n == 0)
		return;
	if (n == 1) {
		for (i = 0; i < g->n; i++)
			if (g->v[i].stage == IT_PRODUCE)
				produce_one(r, &g->v[i]);
		return;
	}
	xerr_clear(&e);
	tmpdir = spool_path(r->sp, r->job->name, "tmp", -1);
	outdir = spool_path(r->sp, r->job->name, "out", -1);
	if (tmpdir == NULL || outdir == NULL) {
		xerr_nomem(&e);
		fail_stage(r, g, IT_PRODUCE, &e);
		goto out;
	}
	/* Opened before the first write: syncfs() reports any write-back
	 * error of the file system since (Linux 5.8 and later). */
	if ((fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		xerr_set(&e, XERR_TEMP, errno, "cannot open directory '%s'",
		    tmpdir);
		fail_stage(r, g, IT_PRODUCE, &e);
		goto out;
	}
	/* Files are read and written on every thread at once; a database
	 * session or a command's child stays on this one. */
	parallel = r->job->upload.connections > 1 &&
	    (r->job->source.type == SRC_CSV ||
	    r->job->source.type == SRC_JSONL);
	/* Each version's {seq}, here: it reads the spool and the run. */
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage == IT_PRODUCE && version_seq(r, &it->b,
		    &it->seq, it->bump_sha, sizeof(it->bump_sha), &e) == -1)
			production_failed(r, it, &e);
	}
	for (i = 0; parallel && i < g->n; i++)
		if (g->v[i].stage == IT_PRODUCE) {
			g->v[i].r = r;
			sendpool_submit_task(r->pool, &g->v[i].build,
			    build_task, &g->v[i]);
		}
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage != IT_PRODUCE)
			continue;
		if (parallel) {
			sendpool_wait(r->pool, &it->build);
			e = it->build_err;
		} else {
			it->r = r;
			it->db = &r->db;
			build_task(it);
			e = it->build_err;
		}
		if (it->build_rc == -1) {
			drop_tmp(it);
			production_failed(r, it, &e);
			continue;
		}
		/* Before anything of the old version goes. */
		if (check_replace(r, &it->b, &it->m, &refused, &e) == -1) {
			drop_tmp(it);
			if (refused && strcmp(it->b.state, ST_SENT) == 0)
				production_refused(r, it, &e);
			else
				production_failed(r, it, &e);
			continue;
		}
		it->stage = IT_BUILT;
	}
	FAULT_POINT("group_before_sync");
	if (syncfs(fd) == -1) {
		/* What the page cache held may be lost: nothing of the group
		 * is trusted, each batch is built anew. */
		xerr_set(&e, XERR_TEMP, errno, "cannot make the batches built "
		    "in '%s' durable (syncfs)", tmpdir);
		fail_stage(r, g, IT_BUILT, &e);
		goto out;
	}
	FAULT_POINT("group_after_sync");
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage != IT_BUILT)
			continue;
		xerr_clear(&e);
		if (!send_claim_held(r, it->date)) {
			/* Nothing of the old version goes. */
			send_stale_err(r, it->date, &e);
			drop_tmp(it);
			send_claim_lost(r, it->date, &e);
			it->stage = IT_DONE;
			continue;
		}
		if ((out = spool_path(r->sp, r->job->name, "out", it->date)) ==
		    NULL) {
			xerr_nomem(&e);
			drop_tmp(it);
			production_failed(r, it, &e);
			continue;
		}
		/* A rebuild replaces what was there (see produce()). */
		if (send_discard_dir(r, out, &e) == -1) {
			drop_tmp(it);
			production_failed(r, it, &e);
		} else if (rename(it->tmp, out) == -1) {
			xerr_set(&e, XERR_TEMP, errno, "cannot rename '%s' to "
			    "'%s'", it->tmp, out);
			drop_tmp(it);
			production_failed(r, it, &e);
		} else {
			free(it->tmp);
			it->tmp = NULL;
			it->stage = IT_RENAMED;
		}
		free(out);
	}
	xerr_clear(&e);
	if (fsync_dir(outdir, &e) == -1) {
		xerr_prefix(&e, "cannot make the group's batches in '%s' "
		    "durable", outdir);
		fail_stage(r, g, IT_RENAMED, &e);
		goto out;
	}
	FAULT_POINT("send_after_out_rename");
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage != IT_RENAMED)
			continue;
		xerr_clear(&e);
		sent = spool_path(r->sp, r->job->name, "sent", it->date);
		if (sent == NULL)
			xerr_nomem(&e);
		if (sent == NULL || send_discard_dir(r, sent, &e) == -1) {
			/* out/DATE stays: the next run recovers it. */
			production_failed(r, it, &e);
		}
		free(sent);
	}
	/* One transaction (one fsync) for the group's rows. */
	if (commit_stage(r, g, IT_RENAMED, &e) == -1) {
		/* out/DATE stays: the next run recovers it. */
		for (i = 0; i < g->n; i++)
			if (g->v[i].stage == IT_RENAMED)
				production_failed(r, &g->v[i], &e);
		goto out;
	}
	FAULT_POINT("send_after_produced_commit");
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage != IT_RENAMED)
			continue;
		log_produced(r, it->ds, &it->m, it->t0);
		it->stage = IT_READY;
	}
out:
	for (i = 0; i < g->n; i++)
		drop_tmp(&g->v[i]);
	if (fd != -1)
		close(fd);
	free(tmpdir);
	free(outdir);
}

/* Do a and b put a file under the same name at the destination? */
static int
same_remote_name(const struct batch_meta *a, const struct batch_meta *b)
{
	return strcmp(a->file, b->file) == 0 || (a->manifest[0] != '\0' &&
	    strcmp(a->manifest, b->manifest) == 0);
}

/*
 * A name without the date in it (`name = latest.csv`) is put by every
 * batch of a range: two connections must never write it at once (their
 * temporary names are the same too), and the later date must win.  The
 * earlier batch of the same name is waited for before it is handed on.
 */
static void
wait_same_name(struct run *r, struct group *prev, struct group *g,
    size_t upto, const struct batch_meta *m)
{
	struct group *gs[2] = { prev, g };
	size_t k, i, n;

	for (k = 0; k < 2; k++) {
		if (gs[k] == NULL)
			continue;
		n = gs[k] == g ? upto : gs[k]->n;
		for (i = 0; i < n; i++)
			if (gs[k]->v[i].stage == IT_SUBMITTED &&
			    same_remote_name(&gs[k]->v[i].pi.m, m))
				sendpool_wait(r->pool, &gs[k]->v[i].pi);
	}
}

/* The delivery's check, on a connection's thread (the ledger's claim
 * table is locked for it). */
static int
item_still_ours(void *arg)
{
	struct item *it = arg;

	return ledger_claim_held(it->r->l, CLAIM_SEND, it->r->job->name,
	    it->ds);
}

/* Hand the group's IT_READY batches to the connections; prev: the group
 * still being delivered, if any. */
static void
submit_group(struct run *r, struct group *g, struct group *prev)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage != IT_READY)
			continue;
		xerr_clear(&it->pi.err);
		if (!send_claim_held(r, it->date)) {
			/* Lost while it was built: not uploaded again. */
			send_stale_err(r, it->date, &it->pi.err);
			send_claim_lost(r, it->date, &it->pi.err);
			it->stage = IT_DONE;
			continue;
		}
		if ((it->out = spool_path(r->sp, r->job->name, "out",
		    it->date)) == NULL)
			xerr_nomem(&it->pi.err);
		/* A batch built in this group brings its batch.meta along;
		 * one from an earlier run is read from the spool. */
		if (it->out != NULL && it->m.file[0] != '\0')
			it->pi.m = it->m;
		else if (it->out != NULL && batch_meta_read(it->out,
		    &it->pi.m, &it->pi.err) == -1) {
			free(it->out);
			it->out = NULL;
		}
		if (it->out == NULL) {
			record_failure(r, &it->b, &it->pi.err,
			    "delivering the batch", 1);
			it->stage = IT_DONE;
			continue;
		}
		it->pi.dir = it->out;
		memcpy(it->pi.date, it->ds, sizeof(it->pi.date));
		if (r->claims) {
			it->r = r;
			it->pi.still_ours = item_still_ours;
			it->pi.still_ours_arg = it;
		}
		wait_same_name(r, prev, g, i, &it->pi.m);
		sendpool_submit(r->pool, &it->pi);
		it->stage = IT_SUBMITTED;
	}
}

static int
group_pending(const struct group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->v[i].stage == IT_SUBMITTED)
			return 1;
	return 0;
}

static void
log_sent(struct run *r, const struct item *it)
{
	struct log_kv kv = LOG_KV_NONE;
	const struct batch_meta *m = &it->pi.m;
	long long ms = it->pi.ms;
	char rate[64];

	kv.file = m->file;
	kv.records = m->records;
	kv.bytes = m->bytes;
	kv.duration_ms = ms;
	if (!it->pi.uploaded) {
		log_event(r->lg, LOG_INFO, r->job->name, it->ds, "sent", &kv,
		    "already at %s with the same bytes", r->job->upload.url);
		return;
	}
	double bps = (double)m->bytes * 1000.0 / (double)(ms > 0 ? ms : 1);

	if (bps >= 1e6)
		snprintf(rate, sizeof(rate), "%.1f MB/s", bps / 1e6);
	else
		snprintf(rate, sizeof(rate), "%.1f kB/s", bps / 1e3);
	log_event(r->lg, LOG_INFO, r->job->name, it->ds, "sent", &kv,
	    "delivered to %s at %s", r->job->upload.url, rate);
}

/* Each batch of g at stage from failed delivering with e. */
static void
fail_delivered(struct run *r, struct group *g, enum stage from,
    const struct xerr *e)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->v[i].stage == from) {
			record_failure(r, &g->v[i].b, e,
			    "delivering the batch", 1);
			g->v[i].stage = IT_DONE;
		}
}

/*
 * Wait for the group's deliveries, move the delivered batches to sent/
 * and record them, all in one fsync of sent/ and one transaction.  A
 * crash before the commit is repaired by send_reconcile(): a batch still in
 * out/ is delivered again (the same bytes count as sent), one in sent/
 * is recorded as sent.
 */
static void
finish_group(struct run *r, struct group *g)
{
	char *sentdir = NULL, *sent;
	struct xerr e;
	size_t i, n = 0;

	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage != IT_SUBMITTED)
			continue;
		sendpool_wait(r->pool, &it->pi);
		FAULT_POINT("group_delivered");
		if (it->pi.rc == -1) {
			record_failure(r, &it->b, &it->pi.err,
			    "delivering the batch", 1);
			it->stage = IT_DONE;
		} else {
			it->stage = IT_DELIVERED;
			n++;
		}
	}
	if (n == 0)
		return;
	FAULT_POINT("send_before_sent_move");
	xerr_clear(&e);
	if ((sentdir = spool_path(r->sp, r->job->name, "sent", -1)) == NULL) {
		xerr_nomem(&e);
		fail_delivered(r, g, IT_DELIVERED, &e);
		return;
	}
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		if (it->stage != IT_DELIVERED)
			continue;
		xerr_clear(&e);
		if (!send_claim_held(r, it->date)) {
			/* Delivered, but not moved further: the batch is
			 * another node's now (its bytes are the same). */
			send_stale_err(r, it->date, &e);
			send_claim_lost(r, it->date, &e);
			it->stage = IT_DONE;
			continue;
		}
		if ((sent = spool_path(r->sp, r->job->name, "sent",
		    it->date)) == NULL)
			xerr_nomem(&e);
		if (sent == NULL || send_discard_dir(r, sent, &e) == -1) {
			record_failure(r, &it->b, &e, "delivering the batch",
			    1);
			it->stage = IT_DONE;
		} else if (rename(it->out, sent) == -1) {
			xerr_set(&e, XERR_TEMP, errno, "cannot rename '%s' to "
			    "'%s'", it->out, sent);
			record_failure(r, &it->b, &e, "delivering the batch",
			    1);
			it->stage = IT_DONE;
		} else {
			it->stage = IT_MOVED;
		}
		free(sent);
	}
	/* out/ is not synced: after a power cut a batch seen in both is
	 * resolved by send_reconcile(), as with rename_commit(). */
	xerr_clear(&e);
	if (fsync_dir(sentdir, &e) == -1) {
		fail_delivered(r, g, IT_MOVED, &e);
		free(sentdir);
		return;
	}
	free(sentdir);
	FAULT_POINT("send_before_sent_commit");
	/* One commit (one fsync) for the states and the attempts. */
	if (commit_stage(r, g, IT_MOVED, &e) == -1) {
		fail_delivered(r, g, IT_MOVED, &e);
		return;
	}
	for (i = 0; i < g->n; i++)
		if (g->v[i].stage == IT_MOVED) {
			r->out->sent++;
			log_sent(r, &g->v[i]);
			g->v[i].stage = IT_DONE;
		}
}

/* The group is finished (sent or failed recorded): its claims end. */
static void
group_clear(struct run *r, struct group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		drop_tmp(&g->v[i]);
		free(g->v[i].out);
	}
	g->n = 0;
	send_claims_release(r, g->claims, g->nclaims);
	g->nclaims = 0;
}

/*
 * Would a run that picks its own dates (catch-up) do anything with
 * it->date?  Read without a claim, only to leave alone what is sent or
 * held (pick() decides again under the claim).  0 with it->stage IT_DONE:
 * no; 1: claim it.
 */
static int
claim_wanted(struct run *r, struct item *it, enum pick how, bdate_t current,
    struct xerr *err)
{
	int found;

	if (how != PICK_DUE)
		return 1;
	if (ledger_send_get(r->l, r->job->name, it->date, &it->b, &found,
	    err) == -1)
		return -1;
	if (!found || (strcmp(it->b.state, ST_SENT) != 0 &&
	    strcmp(it->b.state, ST_HELD) != 0))
		return 1;
	it->stage = IT_DONE;
	if (it->date == current)
		log_event(r->lg, LOG_INFO, r->job->name, it->ds, "up-to-date",
		    NULL, "the current batch is not due (already sent or "
		    "held); `xfer status %s` shows it", r->job->name);
	return 0;
}

/*
 * A fleet: claim the dates of g (items 0..n) in one ledger_claim(), then
 * reconcile each date granted with this host's spool and pick what to do
 * with it, on the row as it is now (another node may have sent it
 * meanwhile).  A date another node holds is skipped.  -1 only when the
 * ledger cannot be worked with.
 */
static int
claim_and_pick(struct run *r, struct group *g, enum pick how,
    bdate_t current, struct xerr *err)
{
	size_t i, k;
	int w;

	g->nclaims = 0;
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->v[i];

		bdate_format(it->date, it->ds);
		it->stage = IT_DONE;
		if ((w = claim_wanted(r, it, how, current, err)) == -1)
			return -1;
		if (w == 1)
			send_claim_init(r, &g->claims[g->nclaims++], it->date);
	}
	if (g->nclaims == 0)
		return 0;
	if (ledger_claim(r->l, g->claims, g->nclaims, err) == -1) {
		g->nclaims = 0;
		return -1;
	}
	for (i = 0, k = 0; i < g->n && k < g->nclaims; i++) {
		struct item *it = &g->v[i];
		const struct ledger_claim *c = &g->claims[k];

		if (strcmp(c->key, it->ds) != 0)
			continue;	/* not wanted: left alone */
		k++;
		if (c->state != CLAIM_OURS) {
			send_claim_busy(r, c, how != PICK_DUE);
			if (how == PICK_RERUN)
				r->out->skipped++;
			continue;
		}
		if (send_reconcile_date(r, it->date, err) == 0 &&
		    pick(r, it, how, current, err) == 0)
			continue;
		if (err->cls != XERR_STALE)
			return -1;
		send_claim_lost(r, it->date, err);
		xerr_clear(err);
		it->stage = IT_DONE;
	}
	return 0;
}

/*
 * Is d a batch date to work on?  With a business-day date rule the other
 * days have no batch: catch-up and ranges pass them over; a single date
 * the operator names is done as asked, with a warning.
 */
static int
batch_date(struct run *r, bdate_t d, int named, struct xerr *err)
{
	char ds[BDATE_STRLEN];
	int k;

	if ((k = jobdate_is_batch(r->job, d, err)) != 0)
		return k;
	bdate_format(d, ds);
	if (named) {
		log_event(r->lg, LOG_WARN, r->job->name, ds, "not-batch-date",
		    NULL, "not a business day of the job's calendar; sending "
		    "a batch for it as asked");
		return 1;
	}
	log_event(r->lg, LOG_DEBUG, r->job->name, ds, "not-batch-date", NULL,
	    "not a business day of the job's calendar: no batch");
	return 0;
}

/*
 * Every date of lo..hi, picked as how says, in groups; while the
 * connections deliver one group, the next is built.
 */
static int
run_dates(struct run *r, bdate_t lo, bdate_t hi, enum pick how,
    bdate_t current, struct xerr *err)
{
	struct group g[2] = { { NULL, 0, 0, NULL, 0 }, { NULL, 0, 0, NULL, 0 } };
	size_t size = GROUP_FIRST;
	struct group *c, *prev = NULL;
	int rc = -1, cur = 0, k;
	bdate_t d = lo;

	while (d <= hi) {
		c = &g[cur];
		if (c->cap < size) {
			free(c->v);
			free(c->claims);
			c->claims = NULL;
			if ((c->v = calloc(size, sizeof(*c->v))) == NULL ||
			    (r->claims && (c->claims = calloc(size,
			    sizeof(*c->claims))) == NULL)) {
				c->cap = 0;
				xerr_nomem(err);
				goto out;
			}
			c->cap = size;
		}
		for (c->n = 0; d <= hi && c->n < c->cap; d++) {
			struct item *it = &c->v[c->n];

			if ((k = batch_date(r, d, how != PICK_DUE && lo == hi,
			    err)) == -1)
				goto out;
			if (k == 0)
				continue;
			memset(it, 0, sizeof(*it));
			it->date = d;
			c->n++;
			if (!r->claims && pick(r, it, how, current, err) == -1)
				goto out;
		}
		if (r->claims && claim_and_pick(r, c, how, current, err) == -1)
			goto out;
		produce_group(r, c);
		submit_group(r, c, prev);
		if (prev != NULL) {
			/* Built the next while these uploaded. */
			finish_group(r, prev);
			group_clear(r, prev);
			prev = NULL;
		}
		if (sendpool_threads(r->pool) == 0) {
			/* One connection, or one batch so far: delivered in
			 * this thread, nothing to overlap. */
			finish_group(r, c);
			group_clear(r, c);
		} else {
			prev = c;
			cur = 1 - cur;
		}
		if (size < GROUP_MAX)
			size *= 2;
	}
	rc = 0;
out:
	/* Whatever was handed over is delivered and recorded, even when a
	 * later date could not be worked on. */
	for (cur = 0; cur < 2; cur++) {
		if (group_pending(&g[cur]))
			finish_group(r, &g[cur]);
		group_clear(r, &g[cur]);
		free(g[cur].v);
		free(g[cur].claims);
	}
	return rc;
}

int
send_job_run(const struct job *job, const struct spool *sp,
    struct ledger *l, const struct send_opts *o, struct send_outcome *out,
    const struct log *lg, struct xerr *err)
{
	struct run r = { job, sp, l, o, out, lg, NULL, { NULL, NULL }, 0 };
	bdate_t current, first, lo;
	int lockfd = -1, rc = -1, found, k;
	struct log run_lg;
	struct tz_pin pin;

	memset(out, 0, sizeof(*out));
	if (tz_use(job->timezone, err) == -1)
		return -1;
	if (lg != NULL) {
		/* The delivery threads log too: no TZ switching (tz.h). */
		tz_pin_system(&pin, time(NULL));
		run_lg = *lg;
		run_lg.pinned_zone = &pin;
		r.lg = &run_lg;
	}
	if (!o->lock_held) {
		if ((k = spool_lock(sp, job->name, &lockfd, err)) == -1)
			return -1;
		if (k == 1) {
			out->locked = 1;
			return 0;
		}
	}
	if ((r.pool = sendpool_new(job, r.lg, job->upload.connections)) ==
	    NULL) {
		xerr_nomem(err);
		goto done;
	}
	if (spool_job_prepare(sp, job->name, err) == -1)
		goto done;
	r.claims = ledger_is_shared(l) && !o->dry_run;
	if (r.claims ? send_reconcile_fleet(&r, err) == -1 :
	    !o->dry_run && send_reconcile(&r, err) == -1)
		goto done;
	if (o->rerun || o->explicit_dates) {
		rc = run_dates(&r, o->from, o->to, o->rerun ? PICK_RERUN :
		    PICK_DATES, -1, err);
		goto done;
	}
	if (jobdate_current(job, o->now, &current, err) == -1)
		goto done;
	if (ledger_send_first(l, job->name, &first, &found, err) == -1)
		goto done;
	lo = current - job->catch_up_days;
	if (!found || first > lo)
		lo = found && first < current ? first : current;
	if (run_dates(&r, lo, current, PICK_DUE, current, err) == -1)
		goto done;
	/* Dates older than the window with no batch: never silently. */
	missing_send_report(l, job, o->now, o->dry_run, r.lg);
	rc = 0;
done:
	sendpool_free(r.pool);
	dbsession_close(&r.db);
	spool_unlock(lockfd);
	return rc;
}
