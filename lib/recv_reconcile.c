/*
 * recv_reconcile: the spool, the ledger and the target database put
 * back in agreement after a run that died (recv_reconcile()), and the
 * versions superseded: a failed or held file followed by a newer version
 * that went in leaves `status --failed`, is never retried, and stays in
 * the failed area until keep_days (recv_supersede(), recv_tidy_superseded()).
 * Internal to the receive modules (recv_internal.h).
 */
#include "recv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fault.h"
#include "fsutil.h"
#include "ingest.h"
#include "manifest.h"
#include "pattern.h"
#include "tz.h"

/* --- reconciliation ---------------------------------------------------- */

/* Is path under spool/JOB/in/? */
int
recv_in_spool_in(struct rrun *r, const char *path)
{
	size_t n = strlen(r->jobdir);

	return strncmp(path, r->jobdir, n) == 0 &&
	    strncmp(path + n, "/in/", 4) == 0;
}

/* Does a ledger row name a file in the token directory tdir? */
static int
token_known(const struct idlist *rows, const char *tdir)
{
	size_t i, n = strlen(tdir);

	for (i = 0; i < rows->n; i++)
		if (strncmp(rows->v[i].spool, tdir, n) == 0 &&
		    rows->v[i].spool[n] == '/')
			return 1;
	return 0;
}

/*
 * A token directory with no file in it that no row names: a run died in
 * pick_one() after making it or after moving the manifest, before the
 * file itself.  The manifests go back to the inbox as they were, so the
 * file is picked up with them; a pull's token just goes (the remote
 * copies stay until ours is durable).
 */
void
recv_orphan_token(struct rrun *r, const char *tdir)
{
	const char *inbox = r->job->inbox.path;
	struct dirent *de;
	char *to;
	struct xerr e;
	int ok = 1;
	DIR *d;

	if (inbox != NULL && (d = opendir(tdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    !recv_is_manifest_name(de->d_name))
				continue;
			if ((to = path_join(inbox, de->d_name)) == NULL) {
				ok = 0;
				continue;
			}
			/* One there now is newer than ours. */
			if (access(to, F_OK) == -1 && errno == ENOENT) {
				char *from = path_join(tdir, de->d_name);

				if (from == NULL || recv_move_file(from, inbox,
				    de->d_name, &e) == -1) {
					log_event(r->lg, LOG_ERROR,
					    r->job->name, NULL, "spool", NULL,
					    "%s", from ? e.msg : "out of "
					    "memory");
					ok = 0;
				}
				free(from);
			}
			free(to);
		}
		closedir(d);
	}
	if (ok && remove_tree(tdir, &e) == 0)
		log_event(r->lg, LOG_INFO, r->job->name, NULL, "recovered",
		    NULL, "removed '%s', left by a pick-up that did not "
		    "finish%s", tdir, inbox ? " (manifests back to the inbox)" :
		    "");
}

/*
 * An ingested (or duplicate) file gone from in/: a run died after the
 * move to the backup, before the ledger heard where it went.  Find it
 * there by its bytes and finish the move.
 */
static void
backup_recover(struct rrun *r, struct recv_file *f)
{
	char *dir = NULL, *dst = NULL, *src = NULL, name[400];
	char ds[BDATE_STRLEN];
	struct xerr e;
	int same = 0;

	bdate_format(f->date, ds);
	if ((src = strdup(f->spool)) == NULL)
		return;
	if (pattern_expand(r->job->backup.path, r->job->name, f->date, &dir,
	    &e) == -1 || recv_backup_target(r, f, recv_backup_gz(r, f), dir, name,
	    sizeof(name), &dst, &same, &e) == -1) {
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "backup", NULL,
		    "%s", e.msg);
		goto out;
	}
	if (!same) {
		log_event(r->lg, LOG_WARN, r->job->name, ds, "spool-missing",
		    NULL, "'%s' is %s but neither in '%s' nor in the backup "
		    "'%s'", f->name, f->state, src, dir);
		goto out;
	}
	if (recv_backup_rest(r, f, src, dir, name, &e) == -1) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "backup", NULL,
		    "%s", e.msg);
		goto out;
	}
	snprintf(f->spool, sizeof(f->spool), "%s", dst);
	recv_record(r, f);
	log_event(r->lg, LOG_INFO, r->job->name, ds, "recovered", NULL,
	    "'%s' was moved to the backup before a crash; recorded there",
	    f->name);
out:
	free(src);
	free(dir);
	free(dst);
}

static int in_spool_failed(struct rrun *r, const char *path);

/*
 * A file found in in/ that no row names: is it the file of a row that
 * names a missing file in the failed area, of the same name and bytes?
 * A run died between recording where a file of a group's token was going
 * (recv_to_failed()) and moving it there.  That row is the file's again.
 */
static struct recv_file *
lost_row(struct rrun *r, struct idlist *rows, const struct recv_file *f)
{
	size_t i;

	for (i = 0; i < rows->n; i++)
		if (strcmp(rows->v[i].name, f->name) == 0 &&
		    strcmp(rows->v[i].sha256, f->sha256) == 0 &&
		    in_spool_failed(r, rows->v[i].spool) &&
		    access(rows->v[i].spool, F_OK) == -1 && errno == ENOENT)
			return &rows->v[i];
	return NULL;
}

/*
 * After a crash: a token directory the ledger does not know gets a row;
 * a file the target database already holds (its key committed with the
 * rows) is ingested, whatever the ledger says; an ingested file still in
 * in/ goes to the backup, one already there is recorded there; a token
 * directory holding no file and named by no row is undone.
 */
int
recv_reconcile(struct rrun *r, struct xerr *err)
{
	struct idlist rows = { 0 };
	struct dirent *de, *fe;
	struct ingest_req req;
	struct recv_file f, *lost;
	char *indir = NULL, *tdir, *fp;
	DIR *d, *td;
	size_t i;
	int known, ndata, rc = -1;

	if (ledger_recv_each(r->l, r->job->name, NULL, -1, recv_collect, &rows,
	    err) == -1)
		goto out;
	if ((indir = path_join(r->jobdir, "in")) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	/* What cannot be looked at fails the run: a file left unrecorded
	 * would be left without a word. */
	if ((d = opendir(indir)) == NULL && errno != ENOENT) {
		xerr_set(err, XERR_TEMP, errno, "cannot read '%s'", indir);
		goto out;
	}
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if ((tdir = path_join(indir, de->d_name)) == NULL) {
				closedir(d);
				xerr_nomem(err);
				goto out;
			}
			if ((td = opendir(tdir)) == NULL) {
				if (errno != ENOTDIR && errno != ENOENT) {
					xerr_set(err, XERR_TEMP, errno,
					    "cannot read '%s'", tdir);
					closedir(d);
					free(tdir);
					goto out;
				}
				free(tdir);
				continue;
			}
			ndata = 0;
			while ((fe = readdir(td)) != NULL) {
				if (fe->d_name[0] == '.' ||
				    recv_is_manifest_name(fe->d_name))
					continue;
				ndata++;
				if ((fp = path_join(tdir, fe->d_name)) ==
				    NULL) {
					closedir(td);
					closedir(d);
					free(tdir);
					xerr_nomem(err);
					goto out;
				}
				for (i = 0; i < rows.n; i++)
					if (strcmp(rows.v[i].spool, fp) == 0)
						break;
				if (i == rows.n) {
					struct manifest m;
					int hd, k, pm;

					memset(&f, 0, sizeof(f));
					snprintf(f.job, sizeof(f.job), "%s",
					    r->job->name);
					snprintf(f.name, sizeof(f.name), "%s",
					    fe->d_name);
					snprintf(f.spool, sizeof(f.spool), "%s",
					    fp);
					snprintf(f.state, sizeof(f.state), "%s",
					    ST_RECEIVED);
					f.records = f.bytes =
					    f.manifest_records = -1;
					/* Out of memory: left for the next
					 * run, not recorded half known. */
					if ((pm = pattern_match(
					    r->job->inbox.pattern, r->job->name,
					    f.name, &hd, &f.date, err)) == -1 ||
					    recv_fill_from_file(&f, fp, err) == -1 ||
					    ((k = recv_load_manifest(tdir, f.name,
					    &m, err)) == -1 &&
					    err->cls == XERR_NOMEM)) {
						r->out->failed++;
						log_event(r->lg, LOG_ERROR,
						    r->job->name, NULL,
						    "recovered", NULL, "cannot "
						    "record '%s' found in the "
						    "spool: %s", f.name,
						    err->msg);
						free(fp);
						continue;
					}
					if (pm != 1 || !hd)
						f.date = tz_date_of(r->o->now);
					if (k == 1) {
						snprintf(f.manifest_sha256,
						    sizeof(f.manifest_sha256),
						    "%s", m.sha256);
						f.manifest_records = m.records;
					}
					if ((lost = lost_row(r, &rows, &f)) !=
					    NULL) {
						/* Failed again when it is
						 * redone, or superseded. */
						snprintf(lost->spool,
						    sizeof(lost->spool), "%s",
						    fp);
						if (strcmp(lost->state,
						    ST_SUPERSEDED) != 0)
							snprintf(lost->state,
							    sizeof(lost->state),
							    "%s", ST_RECEIVED);
						f = *lost;
					}
					recv_record(r, &f);
					log_event(r->lg, LOG_INFO, r->job->name,
					    NULL, "recovered", NULL, "found "
					    "'%s' in the spool", f.name);
				}
				free(fp);
			}
			closedir(td);
			if (ndata == 0 && !token_known(&rows, tdir))
				recv_orphan_token(r, tdir);
			free(tdir);
		}
		closedir(d);
	}
	for (i = 0; i < rows.n; i++) {
		f = rows.v[i];
		if (!recv_in_spool_in(r, f.spool))
			continue;
		if (strcmp(f.state, ST_INGESTED) == 0 ||
		    strcmp(f.state, ST_DUPLICATE) == 0) {
			if (access(f.spool, F_OK) == 0)
				recv_finish_ok(r, &f, f.state);
			else
				backup_recover(r, &f);
			continue;
		}
		/* Only a file on its way in can have been ingested by a run
		 * that died before the ledger heard of it. */
		if (!ingest_keeps_keys(r->job) || !f.sha256[0] ||
		    !(strcmp(f.state, ST_RECEIVED) == 0 ||
		    (strcmp(f.state, ST_FAILED) == 0 && f.transient)))
			continue;
		memset(&req, 0, sizeof(req));
		req.job = r->job;
		req.name = f.name;
		req.sha256 = f.sha256;
		req.date = f.date;
		req.delivery = f.id;
		req.db = &r->db;
		known = ingest_known(&req, &f.records, err);
		/* Unknown is not "not ingested": process() decides in the
		 * target's transaction. */
		if (known == -1 && err->cls == XERR_NOMEM)
			goto out;
		if (known == 1) {
			log_event(r->lg, LOG_INFO, r->job->name, NULL,
			    "recovered", NULL, "'%s' was ingested before a "
			    "crash; recording it", f.name);
			recv_finish_ok(r, &f, ST_INGESTED);
		}
	}
	rc = 0;
out:
	free(rows.v);
	free(indir);
	return rc;
}

/* --- versions superseded ---------------------------------------------- */

struct superseded {
	struct recv_file f;
	char by_name[256];
	char by_sha256[SHA256_HEXLEN];
};

struct superseded_list {
	struct superseded *v;
	size_t n, cap;
};

static int
collect_superseded(void *ctx, const struct recv_file *f,
    const struct recv_file *by, struct xerr *err)
{
	struct superseded_list *l = ctx;
	struct superseded *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return xerr_nomem(err);
		l->v = v;
	}
	l->v[l->n].f = *f;
	snprintf(l->v[l->n].by_name, sizeof(l->v[l->n].by_name), "%s",
	    by->name);
	snprintf(l->v[l->n].by_sha256, sizeof(l->v[l->n].by_sha256), "%s",
	    by->sha256);
	l->n++;
	return 0;
}

/* Is path in the job's failed area? */
static int
in_spool_failed(struct rrun *r, const char *path)
{
	size_t n = strlen(r->jobdir);

	return strncmp(path, r->jobdir, n) == 0 &&
	    strncmp(path + n, "/failed/", 8) == 0;
}

/*
 * A superseded file goes to (or stays in) the failed area, and its
 * NAME.error says why it is no longer listed; that write also dates the
 * token directory, which prune_superseded() goes by.
 */
static void
park_superseded(struct rrun *r, struct recv_file *f, const char *why)
{
	char *dir, ename[300], ds[BDATE_STRLEN];
	struct xerr e;

	bdate_format(f->date, ds);
	if (recv_in_spool_in(r, f->spool)) {
		/* A failure is told about; the row keeps naming where the
		 * file is, and the next run moves it. */
		if (recv_to_failed(r, f, why, &e) == -1 && access(f->spool, F_OK)
		    == -1)
			log_event(r->lg, LOG_WARN, r->job->name, ds, "spool",
			    NULL, "superseded '%s' stays in '%s': %s; the next "
			    "run moves it to the failed area", f->name,
			    f->spool, e.msg);
		return;
	}
	if (!in_spool_failed(r, f->spool) || (dir = recv_dir_part(f->spool)) ==
	    NULL)
		return;
	recv_error_name(f->name, ename, sizeof(ename));
	if (access(dir, F_OK) == 0 && write_file_durable(dir, ename, why,
	    strlen(why), 0644, &e) == -1)
		log_event(r->lg, LOG_WARN, r->job->name, ds, "spool", NULL,
		    "%s", e.msg);
	free(dir);
}

/*
 * A failed (or held) version followed by a newer version of its name
 * (with replace-date: of its date) that is in the target, ingested or a
 * duplicate of what is there, is superseded: the partner's later word
 * is what the target holds, so it leaves `status --failed` and is never
 * retried.  Derived from the ledger alone and run after recv_reconcile() and
 * again after the run's files, so a run that died between a version's
 * ingest and this step is finished by the next run before it retries
 * anything: a transient failure retried after its successor went in
 * would put an older version over a newer one.
 */
int
recv_supersede(struct rrun *r, struct xerr *err)
{
	struct superseded_list l = { 0 };
	struct log_kv kv = LOG_KV_NONE;
	char ds[BDATE_STRLEN], was[sizeof(l.v->f.last_error)];
	char why[sizeof(l.v->f.last_error) + 400];
	struct recv_file *f;
	size_t i, n;

	if (ledger_recv_superseded_each(r->l, r->job->name,
	    r->job->ingest.mode == MODE_REPLACE_DATE, collect_superseded, &l,
	    err) == -1) {
		free(l.v);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		f = &l.v[i].f;
		bdate_format(f->date, ds);
		FAULT_POINT("recv_before_supersede");
		snprintf(was, sizeof(was), "%s", f->last_error);
		snprintf(why, sizeof(why), "superseded by '%s' (sha256 %.12s), "
		    "a newer version that went in%s%s\n", l.v[i].by_name,
		    l.v[i].by_sha256, was[0] ? "; it had failed: " : "", was);
		park_superseded(r, f, why);
		/* The row keeps what fits, without the newline. */
		n = strlen(why) - 1;
		if (n >= sizeof(f->last_error))
			n = sizeof(f->last_error) - 1;
		memcpy(f->last_error, why, n);
		f->last_error[n] = '\0';
		snprintf(f->state, sizeof(f->state), "%s", ST_SUPERSEDED);
		f->transient = 0;
		recv_record(r, f);
		kv.file = f->name;
		log_event(r->lg, LOG_INFO, r->job->name, ds, ST_SUPERSEDED, &kv,
		    "'%s' (sha256 %.12s) is superseded by '%s' (sha256 %.12s): "
		    "no longer failed; its file stays in the failed area for "
		    "keep_days", f->name, f->sha256, l.v[i].by_name,
		    l.v[i].by_sha256);
	}
	free(l.v);
	return 0;
}

/*
 * Superseded files: one still in in/ (its move failed) goes to the
 * failed area; one there for keep_days since it was superseded goes.
 * Its ledger row stays, as a pruned backup's does.
 */
void
recv_tidy_superseded(struct rrun *r)
{
	struct idlist rows = { 0 };
	char *dir, why[sizeof(rows.v->last_error) + 2];
	struct stat st;
	struct xerr e;
	size_t i;

	if (ledger_recv_each(r->l, r->job->name, ST_SUPERSEDED, -1, recv_collect,
	    &rows, &e) == -1)
		return;
	for (i = 0; i < rows.n; i++) {
		if (recv_in_spool_in(r, rows.v[i].spool)) {
			snprintf(why, sizeof(why), "%s\n",
			    rows.v[i].last_error);
			park_superseded(r, &rows.v[i], why);
			recv_record(r, &rows.v[i]);
			continue;
		}
		if (r->job->backup.keep_days <= 0 ||
		    !in_spool_failed(r, rows.v[i].spool) ||
		    (dir = recv_dir_part(rows.v[i].spool)) == NULL)
			continue;
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_mtime < r->o->now -
		    (time_t)r->job->backup.keep_days * 86400 &&
		    remove_tree(dir, &e) == 0)
			log_event(r->lg, LOG_DEBUG, r->job->name, NULL,
			    "keep-days", NULL, "removed superseded '%s' from "
			    "the failed area", rows.v[i].name);
		free(dir);
	}
	free(rows.v);
}
