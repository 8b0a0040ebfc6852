#include "recvjob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "dest.h"
#include "digest.h"
#include "fault.h"
#include "fsutil.h"
#include "ingest.h"
#include "manifest.h"
#include "missing.h"
#include "pattern.h"
#include "strlist.h"
#include "tz.h"
#include "unpack.h"

struct rrun {
	const struct job *job;
	const struct spool *sp;
	struct ledger *l;
	const struct recv_opts *o;
	struct recv_outcome *out;
	const struct log *lg;
	char *jobdir;		/* spool/JOB */
	int settling;		/* files left to settle by this pick-up */
	time_t settle_next;	/* when the first of them is eligible */
};

static int
is_manifest_name(const char *name)
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

/* spool path of f (absolute) */
static char *
abs_spool(struct rrun *r, const struct recv_file *f)
{
	if (f->spool[0] == '/')
		return strdup(f->spool);
	return path_join(r->jobdir, f->spool);
}

/* The directory part of a path (malloc'd). */
static char *
dir_part(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? strndup(path, (size_t)(s - path)) : strdup(".");
}

/*
 * Move a file, across file systems too (copy, fsync, unlink).  A regular
 * file is fsync'd first, so that it is durable under its new name (a
 * partner's server may never have done it).  If that fsync fails the
 * disk may have lost what the page cache still shows: the file is not
 * trusted but copied (a new file, fsync'd on its own), and 1 is returned
 * with err saying why.  On failure (-1) the file is where it was.
 */
static int
move_file(const char *from, const char *to_dir, const char *to_name,
    struct xerr *err)
{
	char *to = NULL, *from_dir = NULL;
	struct xerr ferr;
	struct stat st;
	int fd, rc = -1, copy = 0;

	if ((to = path_join(to_dir, to_name)) == NULL ||
	    (from_dir = dir_part(from)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	/* O_NONBLOCK: a FIFO (a hostile manifest) must not hang us. */
	if ((fd = open(from, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) != -1) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    fsync(fd) == -1) {
			xerr_set(&ferr, XERR_TEMP, errno, "cannot fsync '%s'",
			    from);
			copy = 1;
		}
		close(fd);
	}
	if (!copy) {
		if (rename(from, to) == 0) {
			if (fsync_dir(to_dir, err) == 0 &&
			    fsync_dir(from_dir, err) == 0) {
				rc = 0;
				goto out;
			}
			/* The new name may not survive a power cut: back
			 * where it was, so a caller that gives up loses
			 * nothing. */
			if (rename(to, from) == -1)
				xerr_prefix(err, "'%s' is left in '%s'",
				    to_name, to_dir);
			goto out;
		}
		if (errno != EXDEV) {
			xerr_set(err, XERR_TEMP, errno, "cannot move '%s' to "
			    "'%s'", from, to_dir);
			goto out;
		}
	}
	if (copy_file_durable(from, to_dir, to_name, ".xfer-tmp", err) == -1)
		goto out;
	if (unlink(from) == -1) {
		xerr_set(err, XERR_TEMP, errno, "cannot remove '%s'", from);
		unlink(to);
		goto out;
	}
	rc = 0;
	if (copy) {
		*err = ferr;
		rc = 1;
	}
out:
	free(to);
	free(from_dir);
	return rc;
}

static int
new_token_dir(struct rrun *r, const char *area, char **out, struct xerr *err)
{
	char *base, *path;

	*out = NULL;
	if ((base = path_join(r->jobdir, area)) == NULL)
		return xerr_nomem(err);
	if (mkdir_p(base, 0700, err) == -1) {
		free(base);
		return -1;
	}
	if (asprintf(&path, "%s/%lld.XXXXXX", base, (long long)r->o->now) ==
	    -1) {
		free(base);
		return xerr_nomem(err);
	}
	free(base);
	if (mkdtemp(path) == NULL) {
		xerr_set(err, XERR_TEMP, errno, "cannot create '%s'", path);
		free(path);
		return -1;
	}
	*out = path;
	return 0;
}

/* The file's manifest in dir, if any: 1 read, 0 none, -1 bad. */
static int
load_manifest(const char *dir, const char *name, struct manifest *m,
    struct xerr *err)
{
	char sha[300], json[300], *p;
	int rc = 0;

	manifest_names(name, sha, sizeof(sha), json, sizeof(json));
	m->sha256[0] = '\0';
	m->records = -1;
	if (json[0]) {
		if ((p = path_join(dir, json)) == NULL)
			return xerr_nomem(err);
		if (access(p, F_OK) == 0)
			rc = manifest_read(p, name, m, err) == -1 ? -1 : 1;
		free(p);
		if (rc != 0)
			return rc;
	}
	if (sha[0]) {
		if ((p = path_join(dir, sha)) == NULL)
			return xerr_nomem(err);
		if (access(p, F_OK) == 0)
			rc = manifest_read(p, name, m, err) == -1 ? -1 : 1;
		free(p);
	}
	return rc;
}

static int
fill_from_file(struct recv_file *f, const char *path, struct xerr *err)
{
	long long size = -1;

	if (sha256_file(path, f->sha256, &size, err) == -1)
		return -1;
	f->bytes = size;
	return 0;
}

/* --- finishing a file ------------------------------------------------- */

/* Everything of a token directory goes; done once the file is safe. */
static int
drop_token_dir(struct rrun *r, const char *file_path, struct xerr *err)
{
	char *d = dir_part(file_path);
	int rc = 0;

	if (d == NULL)
		return xerr_nomem(err);
	if (strncmp(d, r->jobdir, strlen(r->jobdir)) == 0)
		rc = remove_tree(d, err);
	free(d);
	return rc;
}

/*
 * Does path hold f's bytes as received?  A backup we gzip'd is unpacked
 * into the job's tmp/ to be hashed: only done when a name is already
 * taken, and after a crash.  -1 when memory ran out before it could
 * tell: "no" would put a second copy beside the first.
 */
static int
backup_holds(struct rrun *r, const struct recv_file *f, const char *path,
    int gz, struct xerr *err)
{
	char hex[SHA256_HEXLEN], *tmp = NULL, *plain = NULL;
	struct stat st;
	struct xerr e, e2;
	long long n;
	int rc = 0;

	xerr_clear(&e);
	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return 0;
	if (!gz) {
		if (sha256_file(path, hex, &n, &e) == 0)
			return strcmp(hex, f->sha256) == 0;
	} else if (spool_tmpdir(r->sp, r->job->name, "backup", &tmp, &e) ==
	    0) {
		if ((plain = path_join(tmp, "plain")) == NULL)
			xerr_nomem(&e);
		else if (unpack_file(COMPRESS_GZIP, path, f->name, plain,
		    r->job->inbox.max_size, &n, &e) == 0 &&
		    sha256_file(plain, hex, &n, &e) == 0)
			rc = strcmp(hex, f->sha256) == 0;
		remove_tree(tmp, &e2);
		free(tmp);
		free(plain);
	}
	if (rc == 0 && e.cls == XERR_NOMEM) {
		*err = e;
		return -1;
	}
	return rc;
}

/*
 * A backup's name leaves room for what may follow it in a file name: the
 * longest is ".manifest.json" plus the ".xfer-tmp" of a copy.
 */
#define BACKUP_NAME_MAX	(NAME_MAX - 24)

/*
 * Where f goes in the backup directory dir: its name, or, when that is
 * taken by another version of the same name and date, the name with a
 * SHA-256 prefix.  *same: the bytes are already there (a duplicate, or a
 * run that died after the move), so nothing needs to be written.  A name
 * too long for BACKUP_NAME_MAX keeps its start (the ledger records where
 * the file went; the SHA-256 variant tells cut names apart).
 */
static int
backup_target(struct rrun *r, const struct recv_file *f, int gz,
    const char *dir, char *name, size_t size, char **dst, int *same,
    struct xerr *err)
{
	char sfx[32];
	struct stat st;
	size_t keep;
	int i, k;

	*dst = NULL;
	*same = 0;
	for (i = 0; i < 2; i++) {
		if (i == 0)
			snprintf(sfx, sizeof(sfx), "%s", gz ? ".gz" : "");
		else
			snprintf(sfx, sizeof(sfx), ".%.12s%s", f->sha256,
			    gz ? ".gz" : "");
		keep = strlen(f->name);
		if (keep + strlen(sfx) > BACKUP_NAME_MAX)
			keep = BACKUP_NAME_MAX - strlen(sfx);
		snprintf(name, size, "%.*s%s", (int)keep, f->name, sfx);
		free(*dst);
		if ((*dst = path_join(dir, name)) == NULL)
			return xerr_nomem(err);
		if (lstat(*dst, &st) == -1 && errno == ENOENT)
			return 0;
		if ((k = backup_holds(r, f, *dst, gz, err)) == -1)
			return -1;
		if (k == 1) {
			*same = 1;
			return 0;
		}
	}
	return 0;	/* replaced: same name, date and SHA-256 prefix */
}

/*
 * The manifest goes with the file it vouches for; then the token goes.
 * A failure (-1: out of memory, or a token that cannot be removed) leaves
 * things as a crash here would, for the next run's reconcile() to finish:
 * never the token gone without its manifest.
 */
static int
backup_rest(struct rrun *r, const struct recv_file *f, const char *src,
    const char *dir, const char *name, struct xerr *err)
{
	char msha[300], mjson[300], bn[460], *srcdir, *mp;
	struct xerr e;
	int i;

	if ((srcdir = dir_part(src)) == NULL)
		return xerr_nomem(err);
	manifest_names(f->name, msha, sizeof(msha), mjson, sizeof(mjson));
	for (i = 0; i < 2; i++) {
		const char *mn = i ? mjson : msha;

		if (!mn[0])
			continue;
		if ((mp = path_join(srcdir, mn)) == NULL) {
			free(srcdir);
			return xerr_nomem(err);
		}
		snprintf(bn, sizeof(bn), "%s%s", name, i ?
		    ".manifest.json" : ".sha256");
		/* The file is safe: a manifest that cannot follow it is
		 * only told about, unless memory ran out (the next run
		 * moves it). */
		if (access(mp, F_OK) == 0 && move_file(mp, dir, bn, &e) ==
		    -1) {
			if (e.cls == XERR_NOMEM) {
				*err = e;
				free(mp);
				free(srcdir);
				return -1;
			}
			log_event(r->lg, LOG_WARN, r->job->name, NULL,
			    "backup", NULL, "'%s' is not kept in the backup: "
			    "%s", mn, e.msg);
		}
		free(mp);
	}
	free(srcdir);
	return drop_token_dir(r, src, err);
}

/* Backups are gzip'd when the job says so, unless the file came packed. */
static int
backup_gz(const struct rrun *r, const struct recv_file *f)
{
	return r->job->backup.compress == COMPRESS_GZIP &&
	    unpack_kind(f->name, NULL, 0) == COMPRESS_NONE;
}

static int
to_backup(struct rrun *r, struct recv_file *f, struct xerr *err)
{
	char *src = NULL, *dir = NULL, *dst = NULL, *tmp = NULL, name[400];
	int fd = -1, rc = -1, same, gz = backup_gz(r, f);
	time_t t0, t1;

	if ((src = abs_spool(r, f)) == NULL)
		return xerr_nomem(err);
	if (pattern_expand(r->job->backup.path, r->job->name, f->date, &dir,
	    err) == -1)
		goto out;
	if (mkdir_p(dir, 0755, err) == -1)
		goto out;
	if (backup_target(r, f, gz, dir, name, sizeof(name), &dst, &same,
	    err) == -1)
		goto out;
	if (same) {
		/* Already there: the copy in in/ goes with its token. */
	} else if (gz) {
		if (asprintf(&tmp, "%s.xfer-tmp", dst) == -1) {
			tmp = NULL;
			xerr_nomem(err);
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (fd == -1) {
			xerr_set(err, XERR_TEMP, errno, "cannot create '%s'",
			    tmp);
			goto out;
		}
		tz_day_bounds(f->date, &t0, &t1);
		if (compress_file(COMPRESS_GZIP, src, fd, f->name, t0, err) ==
		    -1 || fsync_fd(fd, tmp, err) == -1) {
			unlink(tmp);
			goto out;
		}
		if (close(fd) == -1) {
			fd = -1;
			xerr_set(err, XERR_TEMP, errno, "cannot close '%s'",
			    tmp);
			unlink(tmp);
			goto out;
		}
		fd = -1;
		if (rename_durable(tmp, dst, err) == -1) {
			/* Renamed but not durable: no backup to trust. */
			if (access(tmp, F_OK) == -1 && errno == ENOENT)
				unlink(dst);
			unlink(tmp);
			goto out;
		}
	} else if (move_file(src, dir, name, err) == -1) {
		goto out;
	}
	FAULT_POINT("recv_mid_backup");
	if (backup_rest(r, f, src, dir, name, err) == -1)
		goto out;
	snprintf(f->spool, sizeof(f->spool), "%s", dst);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(src);
	free(dir);
	free(dst);
	free(tmp);
	return rc;
}

/*
 * NAME.error beside NAME, unless that (or the ".NAME.tmp.PID" it is
 * written through) would be longer than a file name may be: then
 * ".error", which no picked-up file can be called (names starting with
 * '.' are never picked up).
 */
static void
error_name(const char *name, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s.error", name) > NAME_MAX - 16)
		snprintf(out, size, ".error");
}

/* Move the file's token directory to failed/ and say why beside it. */
static int
to_failed(struct rrun *r, struct recv_file *f, const char *why,
    struct xerr *err)
{
	char *src = NULL, *srcdir = NULL, *faildir = NULL, *dst = NULL;
	char ename[300], *base;
	int rc = -1, moved = 1;

	if ((src = abs_spool(r, f)) == NULL || (srcdir = dir_part(src)) ==
	    NULL || (faildir = path_join(r->jobdir, "failed")) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (mkdir_p(faildir, 0700, err) == -1)
		goto out;
	base = strrchr(srcdir, '/');
	if ((dst = path_join(faildir, base ? base + 1 : srcdir)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (strcmp(srcdir, dst) != 0 && rename_durable(srcdir, dst, err) ==
	    -1) {
		if (access(srcdir, F_OK) == 0)
			goto out;
		moved = 0;	/* renamed; a directory fsync failed */
	}
	/* From here the ledger must name the file where it is, whatever
	 * fails next. */
	free(src);
	if ((src = path_join(dst, f->name)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	snprintf(f->spool, sizeof(f->spool), "%s", src);
	if (!moved)
		goto out;
	error_name(f->name, ename, sizeof(ename));
	if (write_file_durable(dst, ename, why, strlen(why), 0644, err) == -1)
		goto out;
	rc = 0;
out:
	free(src);
	free(srcdir);
	free(faildir);
	free(dst);
	return rc;
}

static void
record(struct rrun *r, struct recv_file *f)
{
	struct xerr e;

	/* The next run's reconcile() repairs the row from the spool, but
	 * this run did not do its work: it fails. */
	if (ledger_recv_put(r->l, f, &e) == -1) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, NULL, "ledger", NULL,
		    "%s", e.msg);
	}
}

/* A failure: transient ones stay in in/ for the next run. */
static void
fail_file(struct rrun *r, struct recv_file *f, const struct xerr *e,
    int transient)
{
	char ds[BDATE_STRLEN], why[1600], hint[300];
	struct xerr e2;

	bdate_format(f->date, ds);
	f->attempts++;
	snprintf(f->last_error, sizeof(f->last_error), "%s", e->msg);
	if (transient && f->attempts < r->job->upload.max_attempts) {
		f->transient = 1;
		snprintf(f->state, sizeof(f->state), "%s", ST_FAILED);
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "failed", NULL,
		    "'%s' (attempt %d of %d): %s; the next run retries it",
		    f->name, f->attempts, r->job->upload.max_attempts, e->msg);
		record(r, f);
		return;
	}
	f->transient = 0;
	/*
	 * What works (xfer(1), "Failed files"): the spool is never edited;
	 * a bad file is replaced by the partner's new version, which the
	 * next receive picks up and which supersedes this one; a cause on
	 * our side (database, handler, disk) is fixed, then rerun.
	 */
	if (transient)
		snprintf(hint, sizeof(hint), "once the cause is fixed, run "
		    "`xfer rerun --date %s %s`", ds, r->job->name);
	else
		snprintf(hint, sizeof(hint), "the partner can send it again: "
		    "the next `receive` picks it up (and this one is "
		    "superseded); or `xfer rerun --date %s %s` after the "
		    "cause is fixed", ds, r->job->name);
	snprintf(why, sizeof(why), "%s\n%s\n", e->msg, hint);
	if (to_failed(r, f, why, &e2) == -1)
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "spool", NULL,
		    "%s", e2.msg);
	snprintf(f->state, sizeof(f->state), "%s", transient ? ST_HELD :
	    ST_FAILED);
	if (transient)
		r->out->held++;
	else
		r->out->failed++;
	log_event(r->lg, LOG_ERROR, r->job->name, ds, f->state, NULL,
	    "'%s': %s; kept in '%s': %s", f->name, e->msg, f->spool, hint);
	record(r, f);
}

/* --- processing one picked-up file ------------------------------------ */

static int
format_of(const struct job *job, const char *name, enum out_format *fmt)
{
	char inner[300];
	size_t n;

	if (job->inbox.format >= 0) {
		*fmt = (enum out_format)job->inbox.format;
		return 0;
	}
	(void)unpack_kind(name, inner, sizeof(inner));
	n = strlen(inner);
	if (n > 4 && strcasecmp(inner + n - 4, ".csv") == 0)
		*fmt = FMT_CSV;
	else if (n > 5 && strcasecmp(inner + n - 5, ".json") == 0)
		*fmt = FMT_JSON;
	else if ((n > 6 && strcasecmp(inner + n - 6, ".jsonl") == 0) ||
	    (n > 7 && strcasecmp(inner + n - 7, ".ndjson") == 0))
		*fmt = FMT_JSONL;
	else
		return -1;
	return 0;
}

static void
finish_ok(struct rrun *r, struct recv_file *f, const char *state)
{
	struct log_kv kv = LOG_KV_NONE;
	char ds[BDATE_STRLEN];
	struct xerr e;

	bdate_format(f->date, ds);
	/* reconcile() passes f->state itself: never copy it onto itself. */
	if (state != f->state)
		snprintf(f->state, sizeof(f->state), "%s", state);
	f->transient = 0;
	f->last_error[0] = '\0';
	/* The ledger first: from here on the file is never ingested again,
	 * whatever happens to the move. */
	record(r, f);
	FAULT_POINT("recv_before_backup");
	if (to_backup(r, f, &e) == -1) {
		/* Not a failed file, but a run that needs a look (a full or
		 * broken backup disk): it exits 1. */
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "backup", NULL,
		    "'%s' is %s but could not be moved to the backup: %s; the "
		    "next run moves it", f->name, state, e.msg);
		return;
	}
	FAULT_POINT("recv_after_backup");
	record(r, f);
	kv.file = f->name;
	kv.records = f->records;
	kv.bytes = f->bytes;
	log_event(r->lg, LOG_INFO, r->job->name, ds, state, &kv, "%s",
	    strcmp(state, ST_DUPLICATE) != 0 ? "" :
	    r->job->ingest.mode == MODE_REPLACE_DATE ? "the same bytes as "
	    "the version applied for the date: backed up, not ingested "
	    "again" : "the same name and bytes were already ingested: "
	    "backed up, not ingested again");
	if (strcmp(state, ST_DUPLICATE) == 0)
		r->out->duplicates++;
	else
		r->out->ingested++;
}

/*
 * The duplicate rule (SPEC.md section 4) from the ledger, for targets
 * that keep no keys of their own (command, none; both append only): the
 * same (name, sha256) was ingested before.  1 with *prev that ingest, 0,
 * -1.
 */
static int
ledger_duplicate(struct rrun *r, const struct recv_file *f,
    struct recv_file *prev, struct xerr *err)
{
	int found;

	if (ledger_recv_find(r->l, r->job->name, f->name, f->sha256,
	    ST_INGESTED, prev, &found, err) == -1)
		return -1;
	return found && prev->id != f->id;
}

static void
process(struct rrun *r, struct recv_file *f, int force)
{
	char *path = NULL, *dir = NULL, *plain = NULL, inner[300];
	struct ingest_req req;
	struct recv_file prev;
	struct manifest m;
	enum ingest_result res;
	enum compress_kind kind;
	long long records = -1, pbytes;
	struct xerr e;
	int k;

	xerr_clear(&e);
	if ((path = abs_spool(r, f)) == NULL || (dir = dir_part(path)) ==
	    NULL) {
		xerr_nomem(&e);
		fail_file(r, f, &e, 1);
		goto out;
	}
	/*
	 * A manifest that is there but unusable (another file's name, no
	 * SHA-256, a FIFO) vouches for nothing: the file must not go in
	 * unverified as if it had none.
	 */
	if ((k = load_manifest(dir, f->name, &m, &e)) == -1) {
		fail_file(r, f, &e, e.cls == XERR_TEMP || e.cls == XERR_NOMEM);
		goto out;
	}
	/* A row recorded without the manifest beside the file still gets
	 * the file checked against it. */
	if (k == 1 && !f->manifest_sha256[0]) {
		snprintf(f->manifest_sha256, sizeof(f->manifest_sha256), "%s",
		    m.sha256);
		f->manifest_records = m.records;
	}
	if (f->manifest_sha256[0] && strcmp(f->manifest_sha256, f->sha256)) {
		xerr_set(&e, XERR_DATA, 0, "checksum mismatch: the manifest "
		    "says %.16s..., the file is %.16s...", f->manifest_sha256,
		    f->sha256);
		fail_file(r, f, &e, 0);
		goto out;
	}
	/* sqlite decides in the target's transaction; the others by what
	 * the ledger says was applied. */
	if (!force && r->job->ingest.type != INGEST_SQLITE) {
		if ((k = ledger_duplicate(r, f, &prev, &e)) == -1) {
			fail_file(r, f, &e, 1);
			goto out;
		}
		if (k == 1) {
			f->records = prev.records;
			finish_ok(r, f, ST_DUPLICATE);
			goto out;
		}
	}
	memset(&req, 0, sizeof(req));
	if (format_of(r->job, f->name, &req.format) == -1) {
		xerr_set(&e, XERR_DATA, 0, "cannot tell the format of '%s' "
		    "from its name; set format in [inbox]", f->name);
		fail_file(r, f, &e, 0);
		goto out;
	}
	kind = unpack_kind(f->name, inner, sizeof(inner));
	req.path = path;
	if (kind != COMPRESS_NONE) {
		/* Its name ends as the file's did, within a name's length. */
		if (asprintf(&plain, "%s/.plain.%s", dir, strlen(inner) >
		    NAME_MAX - 16 ? inner + strlen(inner) - (NAME_MAX - 16) :
		    inner) == -1) {
			plain = NULL;
			xerr_nomem(&e);
			fail_file(r, f, &e, 1);
			goto out;
		}
		unlink(plain);
		if (unpack_file(kind, path, f->name, plain,
		    r->job->inbox.max_size, &pbytes, &e) == -1) {
			unlink(plain);
			fail_file(r, f, &e, e.cls == XERR_TEMP ||
			    e.cls == XERR_NOMEM);
			goto out;
		}
		req.path = plain;
	}
	req.job = r->job;
	req.orig_path = path;
	req.name = f->name;
	req.sha256 = f->sha256;
	req.date = f->date;
	req.expect_records = f->manifest_records;
	req.delivery = f->id;
	req.force = force;
	if (ingest_file(&req, &res, &records, r->lg, &e) == -1) {
		fail_file(r, f, &e, e.cls == XERR_TEMP || e.cls == XERR_NOMEM);
		goto out;
	}
	f->records = records;
	f->attempts++;
	if (res == INGEST_LATER) {
		f->attempts--;
		xerr_set(&e, XERR_TEMP, 0, "the ingest command asked to try "
		    "again later (exit status 75)");
		fail_file(r, f, &e, 1);
		goto out;
	}
	if (plain)
		unlink(plain);
	finish_ok(r, f, res == INGEST_DUPLICATE ? ST_DUPLICATE : ST_INGESTED);
out:
	if (plain)
		unlink(plain);
	free(plain);
	free(path);
	free(dir);
}

/* --- pick-up ---------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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

/* A file changed within settle: counted, and listed by a dry run. */
static void
note_settling(struct rrun *r, const char *name, const char *ds,
    time_t mtime)
{
	time_t eligible = mtime + (time_t)r->job->inbox.settle_s;
	char at[64];

	r->settling++;
	if (r->settling == 1 || eligible < r->settle_next)
		r->settle_next = eligible;
	clock_text(eligible, r->o->now, at, sizeof(at));
	if (r->o->dry_run)
		printf("%s %s: '%s' is waiting to settle (settle = %lds): "
		    "eligible at %s\n", r->job->name, ds, name,
		    r->job->inbox.settle_s, at);
	else
		log_event(r->lg, LOG_DEBUG, r->job->name, ds, "settling", NULL,
		    "'%s' changed less than %lds ago: eligible at %s", name,
		    r->job->inbox.settle_s, at);
}

/* One line for all the files the pick-up left to settle. */
static void
settle_report(struct rrun *r)
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
		record(r, &w);
}

/* A file is durable in token/name: the ledger hears of it. */
static void
register_picked(struct rrun *r, const char *token, const char *name,
    bdate_t date)
{
	const struct job *job = r->job;
	char ds[BDATE_STRLEN], *dst;
	struct recv_file f, w;
	struct manifest m;
	struct xerr e;
	int found, k;

	bdate_format(date, ds);
	if ((dst = path_join(token, name)) == NULL) {
		/* reconcile() finds it in the spool next time. */
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
	 * nothing: reconcile() records the file next time. */
	if (fill_from_file(&f, dst, &e) == -1 ||
	    ((k = load_manifest(token, name, &m, &e)) == -1 &&
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
	record(r, &f);
	r->out->picked++;
	if (job->inbox.require_manifest && ledger_recv_find(r->l, job->name,
	    name, "", NULL, &w, &found, &e) == 0 && found)
		(void)ledger_recv_delete(r->l, w.id, &e);
	log_event(r->lg, LOG_INFO, job->name, ds, "received", NULL,
	    "'%s' is in the spool (%lld bytes)", name, f.bytes);
	free(dst);
}

static void orphan_token(struct rrun *, const char *);

/* Look at one inbox entry; move it into the spool when it is ready. */
static void
pick_one(struct rrun *r, int dfd, const char *inbox, const char *name)
{
	const struct job *job = r->job;
	char msha[300], mjson[300], ds[BDATE_STRLEN], *token = NULL;
	char *src = NULL, *mp = NULL;
	struct stat st;
	struct xerr e;
	bdate_t date;
	int has_date, k, have_manifest = 0;

	if (is_temp_name(job, name) || is_manifest_name(name))
		return;
	if (!name_is_plain(name)) {
		r->out->refused++;
		log_event(r->lg, LOG_WARN, job->name, NULL, "refused", NULL,
		    "refusing a file whose name is not a plain file name "
		    "(control characters, a leading '-', or too long); it is "
		    "left in '%s'", inbox);
		return;
	}
	k = pattern_match(job->inbox.pattern, job->name, name, &has_date,
	    &date, &e);
	if (k == -1) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, job->name, NULL, "pickup", NULL,
		    "cannot match '%s' against the pattern: %s; it stays in "
		    "the inbox for the next run", name, e.msg);
		return;
	}
	if (k != 1)
		return;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return;
	if (!S_ISREG(st.st_mode) || st.st_nlink > 1) {
		r->out->refused++;
		log_event(r->lg, LOG_WARN, job->name, NULL, "refused", NULL,
		    "'%s' in '%s' is %s; it is left alone", name, inbox,
		    S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(
		    st.st_mode) ? "a directory" : S_ISREG(st.st_mode) ?
		    "a file with several hard links" : "not a regular file");
		return;
	}
	if (!has_date)
		date = tz_date_of(r->o->now);
	if (r->o->rerun && date != r->o->date)
		return;
	bdate_format(date, ds);
	if ((long long)(r->o->now - st.st_mtime) < job->inbox.settle_s) {
		note_settling(r, name, ds, st.st_mtime);
		return;
	}
	manifest_names(name, msha, sizeof(msha), mjson, sizeof(mjson));
	if ((msha[0] && faccessat(dfd, msha, F_OK, AT_SYMLINK_NOFOLLOW) == 0) ||
	    (mjson[0] && faccessat(dfd, mjson, F_OK, AT_SYMLINK_NOFOLLOW) ==
	    0))
		have_manifest = 1;
	if (job->inbox.require_manifest && !have_manifest) {
		wait_for_manifest(r, name, date);
		return;
	}
	if (r->o->dry_run) {
		printf("%s %s: would pick up '%s' (%lld bytes)\n", job->name,
		    ds, name, (long long)st.st_size);
		return;
	}
	/* Into the spool before anything else happens to it. */
	if (new_token_dir(r, "in", &token, &e) == -1 ||
	    ((src = path_join(inbox, name)) == NULL &&
	    xerr_nomem(&e) == -1)) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, job->name, ds, "spool", NULL, "%s",
		    e.msg);
		goto out;
	}
	if (have_manifest) {
		for (int i = 0; i < 2; i++) {
			const char *mn = i ? mjson : msha;

			if (!mn[0])
				continue;
			if ((mp = path_join(inbox, mn)) == NULL) {
				xerr_nomem(&e);
				goto undo;
			}
			k = access(mp, F_OK) == 0 ? move_file(mp, token, mn,
			    &e) : 0;
			free(mp);
			mp = NULL;
			/* Never the file without the manifest it came with. */
			if (k == -1)
				goto undo;
		}
		FAULT_POINT("recv_after_manifest_pickup");
	}
	if ((k = move_file(src, token, name, &e)) == -1)
		goto undo;
	if (k == 1)
		log_event(r->lg, LOG_WARN, job->name, ds, "pickup", NULL,
		    "%s; '%s' was copied into the spool instead", e.msg, name);
	FAULT_POINT("recv_after_pickup");
	register_picked(r, token, name, date);
	goto out;
undo:
	r->out->failed++;
	log_event(r->lg, LOG_ERROR, job->name, ds, "pickup", NULL, "cannot "
	    "pick up '%s': %s; it stays in the inbox for the next run", name,
	    e.msg);
	/* The file is still in the inbox: its manifests go back beside it
	 * and the token goes (else reconcile() finds the file in it). */
	if (access(src, F_OK) == 0)
		orphan_token(r, token);
out:
	free(token);
	free(src);
}

static int
pick_up_local(struct rrun *r, struct xerr *err)
{
	const char *inbox = r->job->inbox.path;
	struct strlist names = { 0 };
	struct dirent *de;
	size_t i;
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
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (i = 0; i < names.n; i++)
		pick_one(r, dirfd(d), inbox, names.v[i]);
	closedir(d);
	strlist_free(&names);
	return 0;
}

/* --- pulling from sftp:// or https:// ---------------------------------- */

struct idlist {
	struct recv_file *v;
	size_t n, cap;
};

static int
collect(void *ctx, const struct recv_file *f, struct xerr *err)
{
	struct idlist *l = ctx;
	struct recv_file *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return xerr_nomem(err);
		l->v = v;
	}
	l->v[l->n++] = *f;
	return 0;
}



struct entries {
	struct remote_entry *v;
	size_t n, cap;
};

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
	l->v[l->n].size = e->size;
	l->v[l->n].mtime = e->mtime;
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

	if (ledger_recv_each(r->l, r->job->name, NULL, -1, collect, &rows,
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

static void
pull_one(struct rrun *r, struct dest *d, const struct entries *all,
    const struct remote_entry *e)
{
	const struct job *job = r->job;
	char msha[300], mjson[300], ds[BDATE_STRLEN], *token = NULL;
	char *tmp = NULL, *dst = NULL, *mp;
	const char *mnames[2];
	struct xerr err;
	bdate_t date;
	int has_date, i, have_manifest;

	if (is_temp_name(job, e->name))
		return;
	if (is_manifest_name(e->name)) {
		if (name_is_plain(e->name))
			pull_lone_manifest(r, d, all, e);
		return;
	}
	/* Never build a path from a remote name that is not plain. */
	if (!name_is_plain(e->name)) {
		r->out->refused++;
		log_event(r->lg, LOG_WARN, job->name, NULL, "refused", NULL,
		    "refusing a remote file whose name is not a plain file "
		    "name in '%s'", job->inbox.url);
		return;
	}
	if (pattern_match(job->inbox.pattern, job->name, e->name, &has_date,
	    &date, &err) != 1)
		return;
	if (!has_date)
		date = tz_date_of(r->o->now);
	if (r->o->rerun && date != r->o->date)
		return;
	bdate_format(date, ds);
	if (e->mtime >= 0 && r->o->now - e->mtime < job->inbox.settle_s) {
		note_settling(r, e->name, ds, (time_t)e->mtime);
		return;
	}
	if (job->inbox.after_pull == AFTER_PULL_KEEP && pulled_before(r, e))
		return;
	manifest_names(e->name, msha, sizeof(msha), mjson, sizeof(mjson));
	mnames[0] = msha[0] && find_entry(all, msha) ? msha : NULL;
	mnames[1] = mjson[0] && find_entry(all, mjson) ? mjson : NULL;
	have_manifest = mnames[0] || mnames[1];
	if (job->inbox.require_manifest && !have_manifest) {
		wait_for_manifest(r, e->name, date);
		return;
	}
	if (r->o->dry_run) {
		printf("%s %s: would pull '%s' (%lld bytes)\n", job->name, ds,
		    e->name, e->size);
		return;
	}
	if (new_token_dir(r, "in", &token, &err) == -1)
		goto fail;
	for (i = 0; i < 2; i++) {
		if (mnames[i] == NULL)
			continue;
		if ((mp = path_join(token, mnames[i])) == NULL ||
		    dest_pull_get(d, mnames[i], mp, &err) == -1) {
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
	register_picked(r, token, e->name, date);
	/* Only now that our copy is durable may the remote one go. */
	for (i = -1; i < 2; i++) {
		const char *n = i < 0 ? e->name : mnames[i];
		int rc = 0;

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
}

static int
pick_up_remote(struct rrun *r, struct xerr *err)
{
	struct entries all = { 0 };
	struct dest *d = NULL;
	size_t i;
	int rc = -1;

	if (dest_open(r->job, &d, r->lg, err) == -1)
		return -1;
	if (dest_pull_list(d, keep_entry, &all, err) == -1)
		goto out;
	for (i = 0; i < all.n; i++)
		pull_one(r, d, &all, &all.v[i]);
	rc = 0;
out:
	for (i = 0; i < all.n; i++)
		free((char *)all.v[i].name);
	free(all.v);
	dest_close(d);
	return rc;
}

/* --- reconciliation ---------------------------------------------------- */

/* Is path under spool/JOB/in/? */
static int
in_spool_in(struct rrun *r, const char *path)
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
static void
orphan_token(struct rrun *r, const char *tdir)
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
			    !is_manifest_name(de->d_name))
				continue;
			if ((to = path_join(inbox, de->d_name)) == NULL) {
				ok = 0;
				continue;
			}
			/* One there now is newer than ours. */
			if (access(to, F_OK) == -1 && errno == ENOENT) {
				char *from = path_join(tdir, de->d_name);

				if (from == NULL || move_file(from, inbox,
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
	    &e) == -1 || backup_target(r, f, backup_gz(r, f), dir, name,
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
	if (backup_rest(r, f, src, dir, name, &e) == -1) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "backup", NULL,
		    "%s", e.msg);
		goto out;
	}
	snprintf(f->spool, sizeof(f->spool), "%s", dst);
	record(r, f);
	log_event(r->lg, LOG_INFO, r->job->name, ds, "recovered", NULL,
	    "'%s' was moved to the backup before a crash; recorded there",
	    f->name);
out:
	free(src);
	free(dir);
	free(dst);
}

/*
 * After a crash: a token directory the ledger does not know gets a row;
 * a file the target database already holds (its key committed with the
 * rows) is ingested, whatever the ledger says; an ingested file still in
 * in/ goes to the backup, one already there is recorded there; a token
 * directory holding no file and named by no row is undone.
 */
static int
reconcile(struct rrun *r, struct xerr *err)
{
	struct idlist rows = { 0 };
	struct dirent *de, *fe;
	struct ingest_req req;
	struct recv_file f;
	char *indir = NULL, *tdir, *fp;
	DIR *d, *td;
	size_t i;
	int known, ndata, rc = -1;

	if (ledger_recv_each(r->l, r->job->name, NULL, -1, collect, &rows,
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
				    is_manifest_name(fe->d_name))
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
					    fill_from_file(&f, fp, err) == -1 ||
					    ((k = load_manifest(tdir, f.name,
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
					record(r, &f);
					log_event(r->lg, LOG_INFO, r->job->name,
					    NULL, "recovered", NULL, "found "
					    "'%s' in the spool", f.name);
				}
				free(fp);
			}
			closedir(td);
			if (ndata == 0 && !token_known(&rows, tdir))
				orphan_token(r, tdir);
			free(tdir);
		}
		closedir(d);
	}
	for (i = 0; i < rows.n; i++) {
		f = rows.v[i];
		if (!in_spool_in(r, f.spool))
			continue;
		if (strcmp(f.state, ST_INGESTED) == 0 ||
		    strcmp(f.state, ST_DUPLICATE) == 0) {
			if (access(f.spool, F_OK) == 0)
				finish_ok(r, &f, f.state);
			else
				backup_recover(r, &f);
			continue;
		}
		/* Only a file on its way in can have been ingested by a run
		 * that died before the ledger heard of it. */
		if (r->job->ingest.type != INGEST_SQLITE || !f.sha256[0] ||
		    !(strcmp(f.state, ST_RECEIVED) == 0 ||
		    (strcmp(f.state, ST_FAILED) == 0 && f.transient)))
			continue;
		memset(&req, 0, sizeof(req));
		req.job = r->job;
		req.name = f.name;
		req.sha256 = f.sha256;
		req.date = f.date;
		req.delivery = f.id;
		known = ingest_known(&req, &f.records, err);
		/* Unknown is not "not ingested": process() decides in the
		 * target's transaction. */
		if (known == -1 && err->cls == XERR_NOMEM)
			goto out;
		if (known == 1) {
			log_event(r->lg, LOG_INFO, r->job->name, NULL,
			    "recovered", NULL, "'%s' was ingested before a "
			    "crash; recording it", f.name);
			finish_ok(r, &f, ST_INGESTED);
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
	if (in_spool_in(r, f->spool)) {
		/* A failure is told about; the row keeps naming where the
		 * file is, and the next run moves it. */
		if (to_failed(r, f, why, &e) == -1 && access(f->spool, F_OK)
		    == -1)
			log_event(r->lg, LOG_WARN, r->job->name, ds, "spool",
			    NULL, "superseded '%s' stays in '%s': %s; the next "
			    "run moves it to the failed area", f->name,
			    f->spool, e.msg);
		return;
	}
	if (!in_spool_failed(r, f->spool) || (dir = dir_part(f->spool)) ==
	    NULL)
		return;
	error_name(f->name, ename, sizeof(ename));
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
 * retried.  Derived from the ledger alone and run after reconcile() and
 * again after the run's files, so a run that died between a version's
 * ingest and this step is finished by the next run before it retries
 * anything: a transient failure retried after its successor went in
 * would put an older version over a newer one.
 */
static int
supersede(struct rrun *r, struct xerr *err)
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
		record(r, f);
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
static void
tidy_superseded(struct rrun *r)
{
	struct idlist rows = { 0 };
	char *dir, why[sizeof(rows.v->last_error) + 2];
	struct stat st;
	struct xerr e;
	size_t i;

	if (ledger_recv_each(r->l, r->job->name, ST_SUPERSEDED, -1, collect,
	    &rows, &e) == -1)
		return;
	for (i = 0; i < rows.n; i++) {
		if (in_spool_in(r, rows.v[i].spool)) {
			snprintf(why, sizeof(why), "%s\n",
			    rows.v[i].last_error);
			park_superseded(r, &rows.v[i], why);
			record(r, &rows.v[i]);
			continue;
		}
		if (r->job->backup.keep_days <= 0 ||
		    !in_spool_failed(r, rows.v[i].spool) ||
		    (dir = dir_part(rows.v[i].spool)) == NULL)
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

/* --- rerun ------------------------------------------------------------ */

/* Why a row of the date was left alone, for the summary. */
static void
not_redone(struct rrun *r, const struct recv_file *f, const char *why)
{
	char ds[BDATE_STRLEN];

	bdate_format(f->date, ds);
	log_event(r->lg, LOG_INFO, r->job->name, ds, "rerun", NULL,
	    "not redoing '%s': %s", f->name, why);
	if (strlist_addf(&r->out->notes, "'%s' (sha256 %.12s): %s", f->name,
	    f->sha256[0] ? f->sha256 : "unknown", why) == -1)
		log_event(r->lg, LOG_WARN, r->job->name, ds, "rerun", NULL,
		    "out of memory for the summary");
}

static void
reason_of(const struct recv_file *f, char *out, size_t size)
{
	const char *cut;

	if (strcmp(f->state, ST_INGESTED) == 0)
		snprintf(out, size, "already ingested");
	else if (strcmp(f->state, ST_DUPLICATE) == 0)
		snprintf(out, size, "duplicate: the same bytes as a version "
		    "already in the target");
	else if (strcmp(f->state, ST_SUPERSEDED) == 0) {
		/* "superseded by 'X' (sha256 ...), ...; it had failed: ..." */
		cut = strstr(f->last_error, "; it had failed");
		snprintf(out, size, "%.*s", cut ? (int)(cut - f->last_error) :
		    (int)strlen(f->last_error), f->last_error[0] ?
		    f->last_error : "superseded by a newer version");
	} else if (strcmp(f->state, ST_WAITING) == 0)
		snprintf(out, size, "waiting for its manifest");
	else if (strcmp(f->state, ST_LATE) == 0)
		snprintf(out, size, "late: its manifest has not come");
	else
		snprintf(out, size, "%s", f->state);
}

static int
id_in(const long long *ids, size_t n, long long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* Back from failed/ (or, forced, from the backup) into a new in/TOKEN. */
static int
rerun_fetch(struct rrun *r, struct recv_file *f, int force, struct xerr *err)
{
	char *token = NULL, *dst = NULL, *fdir, *e1, inner[300], en[2][300];
	long long n;
	int k, rc = -1;

	if (new_token_dir(r, "in", &token, err) == -1)
		goto out;
	if ((dst = path_join(token, f->name)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (force) {
		/* Only what to_backup() gzip'd is unpacked: a file that
		 * came as .gz is kept as it came. */
		if (unpack_kind(f->spool, inner, sizeof(inner)) ==
		    COMPRESS_GZIP && unpack_kind(f->name, NULL, 0) ==
		    COMPRESS_NONE) {
			if (unpack_file(COMPRESS_GZIP, f->spool, f->name, dst,
			    r->job->inbox.max_size, &n, err) == -1)
				goto out;
		} else if (copy_file_durable(f->spool, token, f->name,
		    ".xfer-tmp", err) == -1) {
			goto out;
		}
	} else {
		fdir = dir_part(f->spool);
		if (move_file(f->spool, token, f->name, err) == -1) {
			free(fdir);
			goto out;
		}
		/* Its manifest (either kind) goes with it. */
		manifest_names(f->name, en[0], sizeof(en[0]), en[1],
		    sizeof(en[1]));
		for (k = 0; k < 2 && fdir != NULL; k++) {
			if (!en[k][0] || (e1 = path_join(fdir, en[k])) == NULL)
				continue;
			if (access(e1, F_OK) == 0)
				(void)move_file(e1, token, en[k], err);
			free(e1);
		}
		if (fdir)
			remove_tree(fdir, err);
		free(fdir);
	}
	snprintf(f->spool, sizeof(f->spool), "%s", dst);
	rc = 0;
out:
	free(token);
	free(dst);
	return rc;
}

/* Redo one failed or held file (or, forced, a finished one). */
static int
rerun_one(struct rrun *r, struct recv_file *f, int force, struct xerr *err)
{
	char ds[BDATE_STRLEN], *tdir;
	struct manifest m;

	bdate_format(f->date, ds);
	if (!in_spool_in(r, f->spool) && rerun_fetch(r, f, force, err) == -1)
		return -1;
	/* The bytes and manifest as they are: the row vouches for them. */
	fill_from_file(f, f->spool, err);
	f->manifest_sha256[0] = '\0';
	f->manifest_records = -1;
	if ((tdir = dir_part(f->spool)) != NULL && load_manifest(tdir,
	    f->name, &m, err) == 1) {
		snprintf(f->manifest_sha256, sizeof(f->manifest_sha256), "%s",
		    m.sha256);
		f->manifest_records = m.records;
	}
	free(tdir);
	snprintf(f->state, sizeof(f->state), "%s", ST_RECEIVED);
	f->attempts = 0;
	f->transient = 0;
	record(r, f);
	log_event(r->lg, LOG_INFO, r->job->name, ds, "rerun", NULL,
	    "redoing '%s'%s", f->name, force ? " from the backup" : "");
	process(r, f, force);
	return 0;
}

/*
 * rerun --date D, after the date's files in the inbox were picked up and
 * processed (their ids in fresh): the failed and held files of D are done
 * again in the order they came, as if they had not failed (with --force
 * the finished ones too, so the newest ends up applied); what goes in
 * supersedes the older failed versions it replaces.  Everything else of
 * D is left alone, and the summary says why.
 */
static int
rerun_date(struct rrun *r, const long long *fresh, size_t nfresh,
    struct xerr *err)
{
	struct idlist rows = { 0 };
	char ds[BDATE_STRLEN], why[1100];
	struct recv_file f;
	size_t i;
	int redo, force, rc = -1;

	bdate_format(r->o->date, ds);
	if (ledger_recv_each(r->l, r->job->name, NULL, r->o->date, collect,
	    &rows, err) == -1)
		return -1;
	for (i = 0; i < rows.n; i++) {
		f = rows.v[i];
		if (id_in(fresh, nfresh, f.id)) {
			/* Picked up by this run: counted as it went. */
			if (strcmp(f.state, ST_DUPLICATE) == 0) {
				reason_of(&f, why, sizeof(why));
				not_redone(r, &f, why);
			}
			continue;
		}
		redo = strcmp(f.state, ST_FAILED) == 0 ||
		    strcmp(f.state, ST_HELD) == 0;
		force = 0;
		if (!redo && r->o->force && (strcmp(f.state, ST_INGESTED) == 0
		    || strcmp(f.state, ST_DUPLICATE) == 0)) {
			if (r->job->ingest.type == INGEST_SQLITE &&
			    r->job->ingest.mode == MODE_APPEND) {
				log_event(r->lg, LOG_ERROR, r->job->name, ds,
				    "rerun-refused", NULL, "not re-ingesting "
				    "'%s': mode = append would duplicate its "
				    "rows (use mode = replace-date)", f.name);
				r->out->skipped++;
				not_redone(r, &f, "not re-ingested: mode = "
				    "append would duplicate its rows");
				continue;
			}
			redo = force = 1;
		}
		if (!redo) {
			r->out->skipped++;
			reason_of(&f, why, sizeof(why));
			not_redone(r, &f, why);
			continue;
		}
		if (r->o->dry_run) {
			printf("%s %s: would redo '%s' (%s)\n", r->job->name,
			    ds, f.name, f.state);
			continue;
		}
		if (rerun_one(r, &f, force, err) == -1) {
			log_event(r->lg, LOG_ERROR, r->job->name, ds, "rerun",
			    NULL, "%s", err->msg);
			goto out;
		}
	}
	/* What went in may supersede older versions that failed again. */
	if (!r->o->dry_run && supersede(r, err) == -1)
		goto out;
	rc = 0;
out:
	free(rows.v);
	return rc;
}

/* --- backups ---------------------------------------------------------- */

static void
prune_dir(const char *dir, time_t cutoff, int depth)
{
	struct dirent *de;
	struct stat st;
	char *p;
	DIR *d;

	if (depth > 6 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (p = path_join(dir, de->d_name)) == NULL)
			continue;
		if (lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				prune_dir(p, cutoff, depth + 1);
				rmdir(p);	/* only when empty */
			} else if (S_ISREG(st.st_mode) &&
			    st.st_mtime < cutoff) {
				unlink(p);
			}
		}
		free(p);
	}
	closedir(d);
}

/* Is path dir itself or below it? */
static int
path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/');
}

/*
 * keep_days: backups older than that go (by file time).  Only below the
 * backup's own fixed part: the pattern up to the directory of its first
 * {date...}, with {job} filled in (the default's is spool/JOB/backup).
 * Never a directory that holds the spool or the job's directory: the
 * ledger, the locks and the unsent batches live there.
 */
static void
prune_backups(struct rrun *r)
{
	const char *pat = r->job->backup.path, *cut;
	char *fixed = NULL, *root = NULL;
	struct xerr e;

	if (r->job->backup.keep_days <= 0 || pat == NULL)
		return;
	if ((cut = strstr(pat, "{date")) != NULL) {
		while (cut > pat && cut[-1] != '/')
			cut--;
		if (cut - pat < 2)
			return;
		cut--;
	} else {
		cut = pat + strlen(pat);
	}
	if ((fixed = strndup(pat, (size_t)(cut - pat))) == NULL ||
	    pattern_expand(fixed, r->job->name, tz_date_of(r->o->now), &root,
	    &e) == -1)
		goto out;
	if (path_within(r->sp->root, root) || path_within(r->jobdir, root)) {
		log_event(r->lg, LOG_WARN, r->job->name, NULL, "keep-days",
		    NULL, "not pruning backups in '%s': it holds the spool; "
		    "give [backup] path a directory of its own", root);
		goto out;
	}
	prune_dir(root, r->o->now - (time_t)r->job->backup.keep_days * 86400,
	    0);
out:
	free(fixed);
	free(root);
}

/* --- the run ---------------------------------------------------------- */

static int
want_retry(void *ctx, const struct recv_file *f, struct xerr *err)
{
	(void)err;
	if ((strcmp(f->state, ST_RECEIVED) == 0 ||
	    (strcmp(f->state, ST_FAILED) == 0 && f->transient)))
		return collect(ctx, f, err);
	return 0;
}

/*
 * A transient failure is not retried when a newer version of its name
 * (with replace-date: its date) waits in the same run: that one is the
 * partner's last word, and supersedes it once it goes in.
 */
static int
newer_waiting(struct rrun *r, const struct idlist *todo, size_t i)
{
	const struct recv_file *f = &todo->v[i], *n;
	size_t j;

	if (strcmp(f->state, ST_FAILED) != 0)
		return 0;
	for (j = i + 1; j < todo->n; j++) {
		n = &todo->v[j];
		if (strcmp(n->state, ST_RECEIVED) == 0 && (r->job->ingest.mode
		    == MODE_REPLACE_DATE ? n->date == f->date :
		    strcmp(n->name, f->name) == 0))
			return 1;
	}
	return 0;
}

int
recv_job_run(const struct job *job, const struct spool *sp,
    struct ledger *l, const struct recv_opts *o, struct recv_outcome *out,
    const struct log *lg, struct xerr *err)
{
	struct rrun r = { job, sp, l, o, out, lg, NULL, 0, 0 };
	struct missing_dates expected = { NULL, 0 };
	struct idlist todo = { 0 };
	long long *fresh = NULL;
	int lockfd = -1, k, rc = -1, judge = 0;
	size_t i, nfresh = 0;

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
	if ((r.jobdir = spool_path(sp, job->name, NULL, -1)) == NULL) {
		xerr_nomem(err);
		goto done;
	}
	if (spool_job_prepare(sp, job->name, err) == -1)
		goto done;
	/* Superseded before anything is retried (see supersede()). */
	if (!o->dry_run && (spool_clean_tmp(sp, job->name, err) == -1 ||
	    reconcile(&r, err) == -1 || supersede(&r, err) == -1))
		goto done;
	/* expect: what is missing before this run's files, judged again
	 * after them (even when the pick-up fails: the file is not in).
	 * Trouble here fails the run but does not keep files out. */
	if (!o->dry_run && !o->rerun) {
		struct xerr e;

		if (missing_recv_begin(l, job, o->now, &expected, &e) == -1) {
			out->failed++;
			log_event(lg, LOG_ERROR, job->name, NULL, "missing",
			    NULL, "cannot check the expected files: %s",
			    e.msg);
		}
		judge = 1;
	}
	/* rerun --date D picks up D's files first, as receive would. */
	if ((job->inbox.path ? pick_up_local(&r, err) :
	    pick_up_remote(&r, err)) == -1)
		goto done;
	settle_report(&r);
	if (!o->dry_run) {
		if (ledger_recv_each(l, job->name, o->rerun ? ST_RECEIVED :
		    NULL, o->rerun ? o->date : -1, want_retry, &todo, err) ==
		    -1)
			goto done;
		if (o->rerun && todo.n > 0 && (fresh = calloc(todo.n,
		    sizeof(*fresh))) == NULL) {
			xerr_nomem(err);
			goto done;
		}
		for (i = 0; i < todo.n; i++) {
			if (!in_spool_in(&r, todo.v[i].spool) ||
			    newer_waiting(&r, &todo, i))
				continue;
			process(&r, &todo.v[i], 0);
			if (fresh != NULL)
				fresh[nfresh++] = todo.v[i].id;
		}
		if (supersede(&r, err) == -1)
			goto done;
	}
	if (o->rerun && rerun_date(&r, fresh, nfresh, err) == -1)
		goto done;
	if (!o->dry_run) {
		tidy_superseded(&r);
		prune_backups(&r);
	}
	rc = 0;
done:
	if (judge)
		missing_recv_end(l, job, o->now, &expected, lg, &out->missing);
	missing_dates_free(&expected);
	free(fresh);
	free(todo.v);
	free(r.jobdir);
	spool_unlock(lockfd);
	return rc;
}

void
recv_outcome_release(struct recv_outcome *out)
{
	strlist_free(&out->notes);
}
