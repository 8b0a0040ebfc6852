/*
 * recv_pickup: a receive job's new files into its spool, with the
 * manifests they came with, and a "received" row in the ledger once each
 * is durable there: picked up from a local inbox in groups (a group's
 * files share one new in/TOKEN, are made durable together and recorded
 * in one ledger transaction), or pulled from sftp://, https:// or s3://
 * one at a time, each into its own in/TOKEN (after_pull at the source
 * only once our copy is durable; in a fleet, each file claimed first and
 * after_pull only once it is ingested: see "a fleet" below).  What is
 * still being written, changed within settle, waiting for a required
 * manifest, or not a plain file with a plain name is left where it is,
 * and said so.  Internal to the receive modules (recv_internal.h).
 */
#include "recv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dest.h"
#include "fault.h"
#include "fsutil.h"
#include "manifest.h"
#include "pattern.h"
#include "strlist.h"
#include "tz.h"

int
recv_is_manifest_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 7 && strcmp(name + n - 7, ".sha256") == 0) ||
	    (n > 14 && strcmp(name + n - 14, ".manifest.json") == 0);
}

/* Names a sender is still writing, by the usual conventions. */
static int
is_temp_name(const struct job *job, const char *name)
{
	static const char *const temps[] = { ".part", ".tmp", ".filepart",
	    ".partial", ".crdownload" };
	size_t n = strlen(name), i, k;
	const char *suffix = job->upload.temp_suffix;

	if (name[0] == '.')
		return 1;
	for (i = 0; i < sizeof(temps) / sizeof(temps[0]); i++) {
		k = strlen(temps[i]);
		if (n > k && strcmp(name + n - k, temps[i]) == 0)
			return 1;
	}
	if (suffix && (k = strlen(suffix)) > 0 && n > k &&
	    strcmp(name + n - k, suffix) == 0)
		return 1;
	return 0;
}

/* --- pick-up ---------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A pattern with {seq}: a date's files in seq order (pattern.h). */
static int
cmp_str_seq(const void *a, const void *b)
{
	return pattern_seq_cmp(*(char *const *)a, *(char *const *)b);
}

/* "20:31:00" today (the system's zone), else "2026-11-26 20:31:00". */
static void
clock_text(time_t t, time_t now, char *out, size_t size)
{
	struct tm tm, tn;

	tz_system_time(t, &tm);
	tz_system_time(now, &tn);
	if (tm.tm_year == tn.tm_year && tm.tm_yday == tn.tm_yday)
		snprintf(out, size, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	else
		snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}

/*
 * 1 when a file last changed at mtime (-1: unknown, as some listings
 * are) is still within settle: it is then counted, and listed by a dry
 * run.  settle = 0s never waits, whatever the file's clock says.
 */
static int
left_to_settle(struct rrun *r, const char *name, const char *ds,
    long long mtime)
{
	time_t eligible = (time_t)mtime + (time_t)r->job->inbox.settle_s;
	char at[64];

	if (r->job->inbox.settle_s <= 0 || mtime < 0 ||
	    (long long)r->o->now - mtime >= r->job->inbox.settle_s)
		return 0;
	r->settling++;
	if (r->settling == 1 || eligible < r->settle_next)
		r->settle_next = eligible;
	clock_text(eligible, r->o->now, at, sizeof(at));
	if (r->o->dry_run)
		printf("%s %s: '%s' is waiting to settle (settle = %lds): "
		    "eligible at %s\n", r->job->name, ds, name,
		    r->job->inbox.settle_s, at);
	else if (mtime > r->o->now)
		log_event(r->lg, LOG_DEBUG, r->job->name, ds, "settling", NULL,
		    "'%s' was changed in the future by our clock (the writer's "
		    "clock is ahead?): eligible at %s", name, at);
	else
		log_event(r->lg, LOG_DEBUG, r->job->name, ds, "settling", NULL,
		    "'%s' changed less than %lds ago: eligible at %s", name,
		    r->job->inbox.settle_s, at);
	return 1;
}

/* One line for all the files the pick-up left to settle. */
void
recv_settle_report(struct rrun *r)
{
	char at[64];

	if (r->settling == 0)
		return;
	clock_text(r->settle_next, r->o->now, at, sizeof(at));
	log_event(r->lg, LOG_INFO, r->job->name, NULL, "settling", NULL,
	    "%d file%s waiting to settle (settle = %lds): next eligible at %s",
	    r->settling, r->settling == 1 ? "" : "s", r->job->inbox.settle_s,
	    at);
}

/* require_manifest: note the file as waiting, or late after the timeout. */
static void
wait_for_manifest(struct rrun *r, const char *name, bdate_t date)
{
	const struct job *job = r->job;
	char ds[BDATE_STRLEN];
	struct recv_file w;
	struct xerr e;
	int found;

	bdate_format(date, ds);
	if (ledger_recv_find(r->l, job->name, name, "", NULL, &w, &found,
	    &e) == -1)
		return;
	if (!found) {
		memset(&w, 0, sizeof(w));
		snprintf(w.job, sizeof(w.job), "%s", job->name);
		snprintf(w.name, sizeof(w.name), "%s", name);
		w.date = date;
		w.manifest_records = w.records = w.bytes = -1;
		snprintf(w.state, sizeof(w.state), "%s", ST_WAITING);
		w.first_seen = (long long)r->o->now;
		w.created = w.first_seen;
	}
	if (strcmp(w.state, ST_WAITING) == 0 && r->o->now - w.first_seen >
	    job->inbox.manifest_timeout_s) {
		snprintf(w.state, sizeof(w.state), "%s", ST_LATE);
		snprintf(w.last_error, sizeof(w.last_error), "no manifest "
		    "after %lds (manifest_timeout)",
		    job->inbox.manifest_timeout_s);
		log_event(r->lg, LOG_ERROR, job->name, ds, "late", NULL,
		    "'%s' has waited for its manifest for more than %lds; "
		    "ask the partner for it", name,
		    job->inbox.manifest_timeout_s);
	}
	if (strcmp(w.state, ST_LATE) == 0)
		r->out->late++;
	else
		r->out->waiting++;
	if (!r->o->dry_run)
		recv_record(r, &w);
}

/* A file is durable in token/name: the ledger hears of it (its row into
 * *row unless NULL: id 0 when it could not be recorded). */
static void
register_picked(struct rrun *r, const char *token, const char *name,
    bdate_t date, struct recv_file *row)
{
	const struct job *job = r->job;
	char ds[BDATE_STRLEN], *dst;
	struct recv_file f, w;
	struct manifest m;
	struct xerr e;
	int found, k;

	bdate_format(date, ds);
	if ((dst = path_join(token, name)) == NULL) {
		/* recv_reconcile() finds it in the spool next time. */
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, job->name, ds, "received", NULL,
		    "cannot record '%s': out of memory", name);
		return;
	}
	memset(&f, 0, sizeof(f));
	snprintf(f.job, sizeof(f.job), "%s", job->name);
	snprintf(f.name, sizeof(f.name), "%s", name);
	snprintf(f.spool, sizeof(f.spool), "%s", dst);
	snprintf(f.state, sizeof(f.state), "%s", ST_RECEIVED);
	f.date = date;
	f.records = f.bytes = f.manifest_records = -1;
	/* Without its hash or its manifest's the row would vouch for
	 * nothing: recv_reconcile() records the file next time. */
	if (recv_fill_from_file(&f, dst, &e) == -1 ||
	    ((k = recv_load_manifest(token, name, &m, &e)) == -1 &&
	    e.cls == XERR_NOMEM)) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, job->name, ds, "received", NULL,
		    "cannot record '%s': %s", name, e.msg);
		free(dst);
		return;
	}
	if (k == 1) {
		snprintf(f.manifest_sha256, sizeof(f.manifest_sha256), "%s",
		    m.sha256);
		f.manifest_records = m.records;
	}
	FAULT_POINT("recv_before_received_commit");
	recv_record(r, &f);
	if (row != NULL)
		*row = f;
	r->out->picked++;
	if (job->inbox.require_manifest && ledger_recv_find(r->l, job->name,
	    name, "", NULL, &w, &found, &e) == 0 && found)
		(void)ledger_recv_delete(r->l, w.id, &e);
	log_event(r->lg, LOG_INFO, job->name, ds, "received", NULL,
	    "'%s' is in the spool (%lld bytes)", name, f.bytes);
	free(dst);
}

/* An inbox file ready to be picked up, and what becomes of it. */
struct pick {
	char *name;
	bdate_t date;
	int have_manifest;
	long long size;
	char msha[300], mjson[300];
	int moved;		/* the file is in the group's token */
};

/* Look at one inbox entry: 1 when it is ready to be picked up (in *pk). */
static int
pick_ready(struct rrun *r, int dfd, const char *inbox, const char *name,
    struct pick *pk)
{
	const struct job *job = r->job;
	char msha[300], mjson[300], ds[BDATE_STRLEN];
	struct stat st;
	struct xerr e;
	bdate_t date;
	int has_date, k, have_manifest = 0;

	if (is_temp_name(job, name) || recv_is_manifest_name(name))
		return 0;
	if (!name_is_plain(name)) {
		r->out->refused++;
		log_event(r->lg, LOG_WARN, job->name, NULL, "refused", NULL,
		    "refusing a file whose name is not a plain file name "
		    "(control characters, a leading '-', or too long); it is "
		    "left in '%s'", inbox);
		return 0;
	}
	k = pattern_match(job->inbox.pattern, job->name, name, &has_date,
	    &date, &e);
	if (k == -1) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, job->name, NULL, "pickup", NULL,
		    "cannot match '%s' against the pattern: %s; it stays in "
		    "the inbox for the next run", name, e.msg);
		return 0;
	}
	if (k != 1)
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
		r->out->refused++;
		log_event(r->lg, LOG_WARN, job->name, NULL, "refused", NULL,
		    "'%s' in '%s' is %s; it is left alone", name, inbox,
		    S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(
		    st.st_mode) ? "a directory" : S_ISREG(st.st_mode) ?
		    "a file with several hard links" : "not a regular file");
		return 0;
	}
	if (!has_date)
		date = tz_date_of(r->o->now);
	if (r->o->rerun && date != r->o->date)
		return 0;
	bdate_format(date, ds);
	if (left_to_settle(r, name, ds, (long long)st.st_mtime))
		return 0;
	manifest_names(name, msha, sizeof(msha), mjson, sizeof(mjson));
	if ((msha[0] && faccessat(dfd, msha, F_OK, AT_SYMLINK_NOFOLLOW) == 0) ||
	    (mjson[0] && faccessat(dfd, mjson, F_OK, AT_SYMLINK_NOFOLLOW) ==
	    0))
		have_manifest = 1;
	if (job->inbox.require_manifest && !have_manifest) {
		wait_for_manifest(r, name, date);
		return 0;
	}
	if (r->o->dry_run) {
		printf("%s %s: would pick up '%s' (%lld bytes)\n", job->name,
		    ds, name, (long long)st.st_size);
		return 0;
	}
	memset(pk, 0, sizeof(*pk));
	pk->date = date;
	pk->have_manifest = have_manifest;
	pk->size = (long long)st.st_size;
	snprintf(pk->msha, sizeof(pk->msha), "%s", msha);
	snprintf(pk->mjson, sizeof(pk->mjson), "%s", mjson);
	if ((pk->name = strdup(name)) == NULL) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, job->name, ds, "pickup", NULL,
		    "cannot pick up '%s': out of memory; it stays in the inbox "
		    "for the next run", name);
		return 0;
	}
	return 1;
}

/*
 * The file could not be picked up, or not durably: it and its manifests
 * go back to (or stay in) the inbox, for the next run.
 */
static void
pick_back(struct rrun *r, const char *inbox, const char *token,
    struct pick *pk, const struct xerr *e)
{
	char ds[BDATE_STRLEN], *from, *to;
	int i;

	for (i = -1; token != NULL && i < 2; i++) {
		const char *n = i < 0 ? pk->name : i ? pk->mjson : pk->msha;

		if (!n[0] || (from = path_join(token, n)) == NULL)
			continue;
		/* One there now is newer than ours. */
		if ((to = path_join(inbox, n)) != NULL &&
		    access(from, F_OK) == 0 && access(to, F_OK) == -1)
			(void)rename(from, to);
		free(to);
		free(from);
	}
	pk->moved = 0;
	/* Quietly, to be picked up again at once (pick_group()). */
	if (e == NULL)
		return;
	bdate_format(pk->date, ds);
	r->out->failed++;
	log_event(r->lg, LOG_ERROR, r->job->name, ds, "pickup", NULL, "cannot "
	    "pick up '%s': %s; it stays in the inbox for the next run",
	    pk->name, e->msg);
}

/*
 * One file (and the manifests it came with) into the group's token,
 * renamed without the directories' fsyncs: pick_group() does those once.
 */
static int
pick_move(struct rrun *r, const char *inbox, const char *token,
    struct pick *pk, int sync_file, struct xerr *e)
{
	char ds[BDATE_STRLEN], *src = NULL, *mp;
	int i, k, rc = -1;

	bdate_format(pk->date, ds);
	if ((src = path_join(inbox, pk->name)) == NULL) {
		xerr_nomem(e);
		goto out;
	}
	for (i = 0; pk->have_manifest && i < 2; i++) {
		const char *mn = i ? pk->mjson : pk->msha;

		if (!mn[0])
			continue;
		if ((mp = path_join(inbox, mn)) == NULL) {
			xerr_nomem(e);
			goto out;
		}
		k = access(mp, F_OK) == 0 ? recv_move_file_deferred(mp,
		    token, mn, sync_file, e) : 0;
		free(mp);
		/* Never the file without the manifest it came with. */
		if (k == -1)
			goto out;
	}
	if (pk->have_manifest)
		FAULT_POINT("recv_after_manifest_pickup");
	if ((k = recv_move_file_deferred(src, token, pk->name, sync_file,
	    e)) == -1)
		goto out;
	if (k == 1)
		log_event(r->lg, LOG_WARN, r->job->name, ds, "pickup", NULL,
		    "%s; '%s' was copied into the spool instead", e->msg,
		    pk->name);
	pk->moved = 1;
	rc = 0;
out:
	free(src);
	return rc;
}

/*
 * The group's renames into token, made durable together: with syncfs()
 * (one pass for the file system) when fast, else an fsync of each file
 * and one of each directory (the token, in/, the inbox).  -1 (err) when
 * a sync failed: the moved files are then back in the inbox, quietly
 * when fast (the caller tries the slow way), failed otherwise.
 */
static int
pick_sync(struct rrun *r, const char *inbox, const char *token,
    struct pick *pv, size_t n, int fast, struct xerr *err)
{
	char *indir = NULL;
	size_t i, nmoved = 0;
	int fd = -1, rc = 0;

	/* Opened first: syncfs() reports what write-back met since. */
	if (fast && (fd = open(token, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return xerr_set(err, XERR_TEMP, errno, "cannot open '%s'",
		    token);
	for (i = 0; i < n; i++) {
		if (pv[i].moved)
			continue;
		if (pick_move(r, inbox, token, &pv[i], !fast, err) == -1)
			pick_back(r, inbox, token, &pv[i], err);
		else
			nmoved++;
	}
	FAULT_POINT("recv_group_pickup_renamed");
	if (nmoved == 0)
		goto out;
	if (fast) {
		if (syncfs(fd) == -1)
			rc = xerr_set(err, XERR_TEMP, errno, "cannot sync the "
			    "file system of '%s'", token);
	} else if ((indir = path_join(r->jobdir, "in")) == NULL) {
		rc = xerr_nomem(err);
	} else if (fsync_dir(token, err) == -1 || fsync_dir(indir, err) ==
	    -1 || fsync_dir(inbox, err) == -1) {
		rc = -1;
	}
	for (i = 0; rc == -1 && i < n; i++)
		if (pv[i].moved)
			pick_back(r, inbox, token, &pv[i], fast ? NULL : err);
out:
	if (fd != -1)
		close(fd);
	free(indir);
	return rc;
}

/*
 * A group of ready files into the spool, into one new in/TOKEN, durable
 * together (pick_sync()), then their "received" rows in one ledger
 * transaction.  A file whose sync failed is back in the inbox: picked up
 * again by the next run, never acknowledged.
 */
static void
pick_group(struct rrun *r, const char *inbox, struct pick *pv, size_t n)
{
	char *token = NULL;
	struct xerr e;
	size_t i, nmoved = 0;
	int fd, tx, fast = 0;

	xerr_clear(&e);
	if (recv_new_token_dir(r, "in", &token, &e) == -1) {
		for (i = 0; i < n; i++)
			pick_back(r, inbox, NULL, &pv[i], &e);
		return;
	}
	if ((fd = open(token, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fast = recv_syncfs_ok(fd);
		close(fd);
	}
	if (pick_sync(r, inbox, token, pv, n, fast, &e) == -1 && fast) {
		/* Maybe another file's write-back; each file's own fsync
		 * tells. */
		log_event(r->lg, LOG_WARN, r->job->name, NULL, "pickup", NULL,
		    "%s; picking up the group's files one fsync at a time",
		    e.msg);
		(void)pick_sync(r, inbox, token, pv, n, 0, &e);
	}
	for (i = 0; i < n; i++)
		nmoved += pv[i].moved != 0;
	if (nmoved == 0) {
		if (rmdir(token) == -1)
			recv_orphan_token(r, token);
		free(token);
		return;
	}
	FAULT_POINT("recv_after_pickup");
	tx = ledger_begin(r->l, &e) == 0;
	for (i = 0; i < n; i++)
		if (pv[i].moved)
			register_picked(r, token, pv[i].name, pv[i].date,
			    NULL);
	if (tx && ledger_commit(r->l, &e) == -1) {
		/* recv_reconcile() records them from the spool next time. */
		ledger_rollback(r->l);
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, NULL, "ledger", NULL,
		    "%s; the files picked up are recorded by the next run",
		    e.msg);
	}
	free(token);
}

/* Files picked up together, at most this many or this many bytes. */
#define PICK_GROUP_FILES	256
#define PICK_GROUP_BYTES	(16LL * 1024 * 1024)

int
recv_pick_up_local(struct rrun *r, struct xerr *err)
{
	const char *inbox = r->job->inbox.path;
	struct strlist names = { 0 };
	struct pick *pv = NULL;
	struct dirent *de;
	long long bytes = 0;
	size_t i, j, n = 0;
	DIR *d;

	if ((d = opendir(inbox)) == NULL)
		return xerr_set(err, XERR_TEMP, errno, "cannot read inbox '%s'",
		    inbox);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strlist_add(&names, de->d_name) == -1) {
			closedir(d);
			strlist_free(&names);
			return xerr_nomem(err);
		}
	}
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v),
		    pattern_has_seq(r->job->inbox.pattern) ? cmp_str_seq :
		    cmp_str);
	if ((pv = calloc(PICK_GROUP_FILES, sizeof(*pv))) == NULL) {
		closedir(d);
		strlist_free(&names);
		return xerr_nomem(err);
	}
	for (i = 0; i <= names.n; i++) {
		if (i < names.n && pick_ready(r, dirfd(d), inbox, names.v[i],
		    &pv[n]) == 1) {
			bytes += pv[n].size;
			n++;
		}
		if (n > 0 && (i == names.n || n == PICK_GROUP_FILES ||
		    bytes >= PICK_GROUP_BYTES)) {
			pick_group(r, inbox, pv, n);
			for (j = 0; j < n; j++)
				free(pv[j].name);
			memset(pv, 0, PICK_GROUP_FILES * sizeof(*pv));
			n = 0;
			bytes = 0;
		}
	}
	free(pv);
	closedir(d);
	strlist_free(&names);
	return 0;
}

/* --- pulling from sftp://, https:// or s3:// --------------------------- */

struct entries {
	struct remote_entry *v;
	size_t n, cap;
};

static int
cmp_entry_name(const void *a, const void *b)
{
	return strcmp(((const struct remote_entry *)a)->name,
	    ((const struct remote_entry *)b)->name);
}

static int
cmp_entry_seq(const void *a, const void *b)
{
	return pattern_seq_cmp(((const struct remote_entry *)a)->name,
	    ((const struct remote_entry *)b)->name);
}

static int
keep_entry(void *ctx, const struct remote_entry *e, struct xerr *err)
{
	struct entries *l = ctx;
	struct remote_entry *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return xerr_nomem(err);
		l->v = v;
	}
	if ((l->v[l->n].name = strdup(e->name)) == NULL)
		return xerr_nomem(err);
	l->v[l->n].etag = NULL;
	if (e->etag != NULL && (l->v[l->n].etag = strdup(e->etag)) == NULL) {
		free((char *)l->v[l->n].name);
		return xerr_nomem(err);
	}
	l->v[l->n].size = e->size;
	l->v[l->n].mtime = e->mtime;
	l->v[l->n].gone = e->gone;
	l->n++;
	return 0;
}

static const struct remote_entry *
find_entry(const struct entries *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* after_pull = keep: was this remote file (name, size, time) pulled? */
static int
pulled_before(struct rrun *r, const struct remote_entry *e)
{
	struct idlist rows = { 0 };
	struct xerr err;
	size_t i;
	int seen = 0;

	if (ledger_recv_each(r->l, r->job->name, NULL, -1, recv_collect, &rows,
	    &err) == -1)
		return 0;
	for (i = 0; i < rows.n && !seen; i++)
		seen = strcmp(rows.v[i].name, e->name) == 0 &&
		    rows.v[i].bytes == e->size && rows.v[i].sha256[0] &&
		    (e->mtime < 0 || rows.v[i].created >= e->mtime);
	free(rows.v);
	return seen;
}

/*
 * A manifest at the source without its data file: a run died in
 * pull_one() after after_pull took the file, before its manifest.  It
 * gets the same after_pull, but only once it is known to vouch for bytes
 * we hold (a ledger row of that name and SHA-256): one sent ahead of its
 * file, or for other bytes, stays where it is.
 */
static void
pull_lone_manifest(struct rrun *r, struct dest *d, const struct entries *all,
    const struct remote_entry *e)
{
	const struct job *job = r->job;
	char name[300], msha[300], mjson[300], *tmp = NULL, *mp = NULL;
	struct recv_file f;
	struct manifest m;
	struct xerr err;
	size_t n = strlen(e->name);
	int found = 0, rc;

	if (job->inbox.after_pull == AFTER_PULL_KEEP || r->o->dry_run)
		return;
	/* The data file's name: e->name less ".sha256" or ".manifest.json". */
	n -= n > 14 && strcmp(e->name + n - 14, ".manifest.json") == 0 ? 14 :
	    7;
	if (n >= sizeof(name))
		return;
	memcpy(name, e->name, n);
	name[n] = '\0';
	manifest_names(name, msha, sizeof(msha), mjson, sizeof(mjson));
	if ((strcmp(e->name, msha) && strcmp(e->name, mjson)) ||
	    find_entry(all, name) != NULL)
		return;
	xerr_clear(&err);
	if (spool_tmpdir(r->sp, job->name, "manifest", &tmp, &err) == -1 ||
	    ((mp = path_join(tmp, e->name)) == NULL &&
	    xerr_nomem(&err) == -1) ||
	    dest_pull_get(d, e->name, mp, &err) == -1 ||
	    manifest_read(mp, name, &m, &err) == -1 ||
	    ledger_recv_find(r->l, job->name, name, m.sha256, NULL, &f,
	    &found, &err) == -1 || !found)
		goto out;
	if (job->inbox.after_pull == AFTER_PULL_DELETE)
		rc = dest_pull_remove(d, e->name, &err);
	else
		rc = dest_pull_move(d, e->name, job->inbox.after_pull_dir,
		    &err);
	if (rc == 0)
		log_event(r->lg, LOG_INFO, job->name, NULL, "after-pull", NULL,
		    "'%s' was left at the source by a run that did not finish; "
		    "%s now", e->name, job->inbox.after_pull ==
		    AFTER_PULL_DELETE ? "deleted" : "moved");
out:
	/* Not ours: left without a word.  Not known to be (an error): told
	 * about, and looked at again next run. */
	if (err.msg[0])
		log_event(r->lg, LOG_WARN, job->name, NULL, "after-pull", NULL,
		    "'%s' at the source has no file beside it and is left "
		    "there: %s", e->name, err.msg);
	if (tmp)
		remove_tree(tmp, &err);
	free(tmp);
	free(mp);
}

/* A remote file to pull, with the manifests beside it that go with it. */
struct cand {
	const struct remote_entry *e;
	const char *mnames[2];	/* NULL: not at the source */
	bdate_t date;
};

/*
 * Look at one remote entry: 1 when it is a file to pull now (in *c); a
 * lone manifest is dealt with here, what waits (settle, its manifest) is
 * noted, a dry run says what it would pull.
 */
static int
pull_wanted(struct rrun *r, struct dest *d, const struct entries *all,
    const struct remote_entry *e, struct cand *c)
{
	const struct job *job = r->job;
	char msha[300], mjson[300], ds[BDATE_STRLEN];
	const struct remote_entry *m;
	struct xerr err;
	bdate_t date;
	int has_date, k;

	if (is_temp_name(job, e->name) || e->gone)
		return 0;
	if (recv_is_manifest_name(e->name)) {
		if (name_is_plain(e->name))
			pull_lone_manifest(r, d, all, e);
		return 0;
	}
	/* Never build a path from a remote name that is not plain. */
	if (!name_is_plain(e->name)) {
		r->out->refused++;
		log_event(r->lg, LOG_WARN, job->name, NULL, "refused", NULL,
		    "refusing a remote file whose name is not a plain file "
		    "name in '%s'", job->inbox.url);
		return 0;
	}
	if (pattern_match(job->inbox.pattern, job->name, e->name, &has_date,
	    &date, &err) != 1)
		return 0;
	if (!has_date)
		date = tz_date_of(r->o->now);
	if (r->o->rerun && date != r->o->date)
		return 0;
	bdate_format(date, ds);
	if (left_to_settle(r, e->name, ds, e->mtime))
		return 0;
	/* In a fleet the claims know what was pulled (CLAIM_DONE), and this
	 * node's rows would not. */
	if (job->inbox.after_pull == AFTER_PULL_KEEP &&
	    !ledger_is_shared(r->l) && pulled_before(r, e))
		return 0;
	manifest_names(e->name, msha, sizeof(msha), mjson, sizeof(mjson));
	memset(c, 0, sizeof(*c));
	c->e = e;
	c->date = date;
	for (k = 0; k < 2; k++) {
		if (!(k ? mjson : msha)[0] ||
		    (m = find_entry(all, k ? mjson : msha)) == NULL)
			continue;
		/* Its manifest went after the listing: so did the file
		 * (after_pull takes the file first), or the partner is at
		 * work; the next run sees. */
		if (m->gone)
			return 0;
		c->mnames[k] = m->name;
	}
	if (job->inbox.require_manifest && !c->mnames[0] && !c->mnames[1]) {
		wait_for_manifest(r, e->name, date);
		return 0;
	}
	if (r->o->dry_run) {
		printf("%s %s: would pull '%s' (%lld bytes)\n", job->name, ds,
		    e->name, e->size);
		return 0;
	}
	return 1;
}

/*
 * Download c's file (its manifests first) into a new in/TOKEN, durable,
 * and record it: 0 with its row in *row, -1 (logged, counted) when it is
 * not in the spool.
 */
static int
pull_fetch(struct rrun *r, struct dest *d, const struct cand *c,
    struct recv_file *row)
{
	const struct job *job = r->job;
	const struct remote_entry *e = c->e;
	char ds[BDATE_STRLEN], *token = NULL, *tmp = NULL, *dst = NULL, *mp;
	struct xerr err;
	int i, rc = -1;

	bdate_format(c->date, ds);
	memset(row, 0, sizeof(*row));
	if (recv_new_token_dir(r, "in", &token, &err) == -1)
		goto fail;
	for (i = 0; i < 2; i++) {
		if (c->mnames[i] == NULL)
			continue;
		if ((mp = path_join(token, c->mnames[i])) == NULL ||
		    dest_pull_get(d, c->mnames[i], mp, &err) == -1) {
			free(mp);
			goto fail;
		}
		free(mp);
	}
	/* Download under a temporary name; the rename makes it real. */
	if (asprintf(&tmp, "%s/.download.%s", token, e->name) == -1) {
		tmp = NULL;
		xerr_nomem(&err);
		goto fail;
	}
	if ((dst = path_join(token, e->name)) == NULL) {
		xerr_nomem(&err);
		goto fail;
	}
	if (dest_pull_get(d, e->name, tmp, &err) == -1 ||
	    rename_durable(tmp, dst, &err) == -1)
		goto fail;
	FAULT_POINT("pull_after_download");
	register_picked(r, token, e->name, c->date, row);
	rc = 0;
	goto out;
fail:
	log_event(r->lg, LOG_ERROR, job->name, ds, "pull", NULL,
	    "cannot pull '%s': %s; the next run tries again", e->name,
	    err.msg);
	r->out->failed++;
	if (token)
		remove_tree(token, &err);
out:
	free(token);
	free(tmp);
	free(dst);
	return rc;
}

/* after_pull for c's file and its manifests, the file first. */
static void
pull_after(struct rrun *r, struct dest *d, const struct cand *c)
{
	const struct job *job = r->job;
	char ds[BDATE_STRLEN];
	struct xerr err;
	int i, rc;

	bdate_format(c->date, ds);
	for (i = -1; i < 2; i++) {
		const char *n = i < 0 ? c->e->name : c->mnames[i];

		if (n == NULL || job->inbox.after_pull == AFTER_PULL_KEEP)
			continue;
		FAULT_POINT("pull_before_remove");
		if (job->inbox.after_pull == AFTER_PULL_DELETE)
			rc = dest_pull_remove(d, n, &err);
		else
			rc = dest_pull_move(d, n, job->inbox.after_pull_dir,
			    &err);
		if (rc == -1)
			log_event(r->lg, LOG_WARN, job->name, ds, "after-pull",
			    NULL, "'%s' was received but could not be %s at "
			    "the source: %s", n, job->inbox.after_pull ==
			    AFTER_PULL_DELETE ? "deleted" : "moved", err.msg);
	}
}

/* One host: each file pulled in turn, and taken from the source as soon
 * as our copy is durable; recv_job_run() ingests them after. */
static void
pull_one(struct rrun *r, struct dest *d, const struct entries *all,
    const struct remote_entry *e)
{
	struct recv_file row;
	struct cand c;

	if (pull_wanted(r, d, all, e, &c) != 1)
		return;
	/* Only now that our copy is durable may the remote one go. */
	if (pull_fetch(r, d, &c, &row) == 0)
		pull_after(r, d, &c);
}

/* --- a fleet: each remote file claimed before it is pulled -------------- */

/*
 * On a shared ledger (SPEC.md section 9) the hosts of a fleet pull from
 * the same inbox.  Each file is claimed for one host first, by
 * ledger_pull_key() of its name, size and ETag (else mtime), with the
 * manifests beside it under the same claim: a pair is never split
 * between two hosts.  The files are claimed FLEET_CHUNK at a time (one
 * short transaction), pulled, ingested and finished, and only then is
 * the next chunk claimed, so that the hosts share a big inbox instead of
 * the first one taking it all; each host starts at its own point of the
 * listing (by its node name), so that they rarely ask for the same files.
 *
 * Once its chunk was ingested, a file in this host's spool gets its
 * after_pull and is released as done: no host pulls it again, and what
 * becomes of it is this host's, as on one host (a failure that passes
 * is retried from its spool; pulled again, each run would add a copy).
 * A file that could not be pulled stays at the source and is released
 * for any host (this one's next run too) to try again.  A host that dies
 * holding claims leaves them to expire and the files at the source
 * (after_pull comes after the ingest here): another host pulls and
 * ingests them, and the target's xfer_ingested keeps the ingest to one
 * (the dead host's copy becomes a duplicate when it is back).
 */
#define FLEET_CHUNK	32

/*
 * With replace-date the last version of a date applied must be the last
 * the partner sent: the versions of one date go through one node at a
 * time, in the listing's order, under a claim of the date besides the
 * files' (a version that comes while another node works on the date
 * waits for its next run), and no node starts inside the listing.
 */
static int
fleet_by_date(const struct rrun *r)
{
	return r->job->ingest.mode == MODE_REPLACE_DATE;
}

/* The claim of c's file. */
static int
fleet_claim_of(struct rrun *r, const struct cand *c, struct ledger_claim *cl)
{
	const struct remote_entry *e = c->e;
	char stamp[32];

	memset(cl, 0, sizeof(*cl));
	cl->kind = CLAIM_PULL;
	snprintf(cl->job, sizeof(cl->job), "%s", r->job->name);
	if (e->mtime >= 0)
		snprintf(stamp, sizeof(stamp), "%lld", e->mtime);
	else
		stamp[0] = '\0';
	return ledger_pull_key(cl->key, sizeof(cl->key), e->name, e->size,
	    e->etag != NULL ? e->etag : stamp);
}

static void
fleet_release(struct rrun *r, struct ledger_claim *cl, size_t n, int done)
{
	struct xerr e;

	if (n == 0 || ledger_release(r->l, cl, n, done, &e) == 0)
		return;
	if (e.cls == XERR_STALE)
		log_event(r->lg, LOG_WARN, r->job->name, NULL, "claim", NULL,
		    "%s: another node took the file over when this node's "
		    "lease ran out", e.msg);
	else
		log_event(r->lg, LOG_WARN, r->job->name, NULL, "claim", NULL,
		    "cannot give up %zu claim%s: %s; %s", n, n == 1 ? "" : "s",
		    e.msg, done ? "they expire with their lease, and a node "
		    "that pulls a file again finds it a duplicate" :
		    "they expire with their lease");
}

/*
 * One chunk: claimed in one round, the files granted pulled, ingested
 * and finished, then released.  -1 only when the ledger could not be
 * asked (the run stops: nothing is pulled without a claim).
 */
static int
fleet_chunk(struct rrun *r, struct dest *d, const struct cand *cv, size_t n,
    struct xerr *err)
{
	struct ledger_claim cl[2 * FLEET_CHUNK], rel[FLEET_CHUNK];
	struct log_kv kv = LOG_KV_NONE;
	struct idlist rows = { 0 };
	struct recv_file row;
	char ds[BDATE_STRLEN];
	long long t0, ms;
	size_t i, j, k, nk, nrel;
	size_t ours = 0, busy = 0, gone = 0;
	int ci[FLEET_CHUNK], ri[FLEET_CHUNK], di[FLEET_CHUNK], pass;

	/* ci[i]: file i's claim in cl (-1: none); ri[i]: its row in rows
	 * (-1: not in the spool). */
	for (i = k = 0; i < n; i++) {
		ri[i] = ci[i] = -1;
		if (fleet_claim_of(r, &cv[i], &cl[k]) == -1) {
			r->out->failed++;
			log_event(r->lg, LOG_ERROR, r->job->name, NULL, "claim",
			    NULL, "'%s': its name is too long to be claimed; "
			    "it is left at the source", cv[i].e->name);
			continue;
		}
		ci[i] = (int)k++;
	}
	if (k == 0)
		return 0;
	/* di[i]: the claim of file i's date in cl[k..nk) (-1: none). */
	for (i = 0, nk = k; i < n; i++) {
		di[i] = -1;
		if (ci[i] < 0 || !fleet_by_date(r))
			continue;
		bdate_format(cv[i].date, ds);
		for (j = k; j < nk; j++)
			if (strcmp(cl[j].key + 5, ds) == 0)
				break;
		if (j == nk) {
			memset(&cl[nk], 0, sizeof(cl[nk]));
			cl[nk].kind = CLAIM_PULL;
			snprintf(cl[nk].job, sizeof(cl[nk].job), "%s",
			    r->job->name);
			/* Not a file's key: those have three lines. */
			snprintf(cl[nk].key, sizeof(cl[nk].key), "date\n%s",
			    ds);
			nk++;
		}
		di[i] = (int)j;
	}
	t0 = mono_ms();
	if (ledger_claim(r->l, cl, nk, err) == -1)
		return -1;
	ms = mono_ms() - t0;
	for (i = 0; i < k; i++) {
		ours += cl[i].state == CLAIM_OURS;
		busy += cl[i].state == CLAIM_BUSY;
		gone += cl[i].state == CLAIM_DONE;
	}
	kv.duration_ms = ms;
	log_event(r->lg, LOG_DEBUG, r->job->name, NULL, "claimed", &kv,
	    "n=%zu ours=%zu busy=%zu done=%zu ms=%lld: node '%s' claimed %zu "
	    "of %zu remote files", k, ours, busy, gone, ms, ledger_node(r->l),
	    ours, k);
	/* Pulled, each recorded as soon as it is durable. */
	for (i = 0; i < n; i++) {
		if (ci[i] < 0)
			continue;
		if (cl[ci[i]].state != CLAIM_OURS) {
			bdate_format(cv[i].date, ds);
			log_event(r->lg, LOG_DEBUG, r->job->name, ds, "skip",
			    NULL, "'%s' %s node '%s'", cv[i].e->name,
			    cl[ci[i]].state == CLAIM_BUSY ? "is being pulled "
			    "by" : "was pulled by", cl[ci[i]].holder);
			ci[i] = -1;
			continue;
		}
		if (di[i] >= 0 && cl[di[i]].state != CLAIM_OURS) {
			/* Its claim goes back below (not in the spool). */
			bdate_format(cv[i].date, ds);
			log_event(r->lg, LOG_DEBUG, r->job->name, ds, "skip",
			    NULL, "'%s' waits: node '%s' is applying a version "
			    "of its date", cv[i].e->name, cl[di[i]].holder);
			continue;
		}
		/* Not recorded: recv_reconcile() finds it in the spool. */
		if (pull_fetch(r, d, &cv[i], &row) == 0 && row.id != 0 &&
		    recv_collect(&rows, &row, err) == 0)
			ri[i] = (int)rows.n - 1;
	}
	/* Ingested and finished, in the order they came. */
	if (rows.n > 0 && recv_process(r, &rows, err) == -1) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, NULL, "ingest", NULL,
		    "%s; the files pulled are ingested by the next run",
		    err->msg);
	}
	for (i = 0; i < rows.n; i++)
		if (recv_collect(&r->pulled, &rows.v[i], err) == -1)
			break;	/* only rerun's summary misses them */
	/*
	 * Pass 0, the files in this host's spool: after_pull, then done for
	 * the fleet.  Pass 1, the rest: back for any node to try again.
	 * Pass 2, a claim taken over meanwhile: given up on its own (the
	 * ledger says who has it now); the file at the source is that
	 * node's.  ri[i] now says which pass file i is for.
	 */
	for (i = 0; i < n; i++) {
		if (ci[i] < 0)
			continue;
		if (!ledger_claim_held(r->l, CLAIM_PULL, r->job->name,
		    cl[ci[i]].key))
			ri[i] = 2;
		else
			ri[i] = ri[i] >= 0 ? 0 : 1;
	}
	for (pass = 0; pass < 3; pass++) {
		for (i = nrel = 0; i < n; i++) {
			if (ci[i] < 0 || ri[i] != pass)
				continue;
			if (pass == 2) {
				fleet_release(r, &cl[ci[i]], 1, 0);
				continue;
			}
			if (pass == 0)
				pull_after(r, d, &cv[i]);
			rel[nrel++] = cl[ci[i]];
		}
		fleet_release(r, rel, nrel, pass == 0);
	}
	/* The dates last: their files' claims are settled. */
	for (j = k, nrel = 0; j < nk; j++)
		if (cl[j].state == CLAIM_OURS)
			rel[nrel++] = cl[j];
	fleet_release(r, rel, nrel, 0);
	free(rows.v);
	return 0;
}

/*
 * A file this node noted as waiting for its manifest (or late) that is
 * no longer at the source was taken by another node, with its manifest
 * (or by the partner): the note goes, or it would wait for ever.
 */
static void
fleet_forget_waiting(struct rrun *r, const struct entries *all)
{
	struct idlist rows = { 0 };
	struct xerr e;
	size_t i;
	int k;

	if (r->o->dry_run || !r->job->inbox.require_manifest)
		return;
	for (k = 0; k < 2; k++)
		if (ledger_recv_each(r->l, r->job->name, k ? ST_LATE :
		    ST_WAITING, -1, recv_collect, &rows, &e) == -1) {
			free(rows.v);
			return;
		}
	for (i = 0; i < rows.n; i++) {
		if (find_entry(all, rows.v[i].name) != NULL)
			continue;
		if (ledger_recv_delete(r->l, rows.v[i].id, &e) == 0)
			log_event(r->lg, LOG_DEBUG, r->job->name, NULL,
			    "waiting", NULL, "'%s' is no longer at the source "
			    "(another node pulled it): no longer waiting for "
			    "its manifest here", rows.v[i].name);
	}
	free(rows.v);
}

/* FNV-1a of s: where in the listing a node starts. */
static unsigned long
name_hash(const char *s)
{
	unsigned long h = 2166136261UL;

	for (; *s; s++)
		h = ((h ^ (unsigned char)*s) * 16777619UL) & 0xffffffffUL;
	return h;
}

/*
 * The fleet's pick-up: the files to pull, in the listing's order but
 * starting at a chunk chosen by this node's name (and going round), a
 * chunk at a time (fleet_chunk()).
 */
static int
pull_fleet(struct rrun *r, struct dest *d, const struct entries *all,
    struct xerr *err)
{
	struct cand *cv, chunk[FLEET_CHUNK];
	size_t i, n = 0, nchunks, start, m;
	int rc = 0;

	if ((cv = calloc(all->n + 1, sizeof(*cv))) == NULL)
		return xerr_nomem(err);
	for (i = 0; i < all->n; i++)
		if (pull_wanted(r, d, all, &all->v[i], &cv[n]) == 1)
			n++;
	nchunks = (n + FLEET_CHUNK - 1) / FLEET_CHUNK;
	start = nchunks > 1 && !fleet_by_date(r) ?
	    name_hash(ledger_node(r->l)) % nchunks * FLEET_CHUNK : 0;
	for (i = 0; i < n && rc == 0; i += m) {
		for (m = 0; m < FLEET_CHUNK && i + m < n; m++)
			chunk[m] = cv[(start + i + m) % n];
		rc = fleet_chunk(r, d, chunk, m, err);
	}
	free(cv);
	if (rc == 0)
		fleet_forget_waiting(r, all);
	return rc;
}

int
recv_pick_up_remote(struct rrun *r, struct xerr *err)
{
	struct entries all = { 0 };
	struct dest *d = NULL;
	size_t i;
	int rc = -1;

	if (dest_open(r->job, &d, r->lg, err) == -1)
		return -1;
	if (dest_pull_list(d, keep_entry, &all, err) == -1)
		goto out;
	/* In name order, as a local inbox is read: two versions of a date
	 * are applied in the same order whatever order the server lists. */
	if (all.n > 1)
		qsort(all.v, all.n, sizeof(*all.v),
		    pattern_has_seq(r->job->inbox.pattern) ? cmp_entry_seq :
		    cmp_entry_name);
	if (ledger_is_shared(r->l)) {
		if (pull_fleet(r, d, &all, err) == -1)
			goto out;
	} else {
		for (i = 0; i < all.n; i++)
			pull_one(r, d, &all, &all.v[i]);
	}
	rc = 0;
out:
	for (i = 0; i < all.n; i++) {
		free((char *)all.v[i].name);
		free((char *)all.v[i].etag);
	}
	free(all.v);
	dest_close(d);
	return rc;
}
