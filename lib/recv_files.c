/*
 * recv_files: a receive job's files in its spool.  Moving a file
 * durably (across file systems too), new in/TOKEN directories, the
 * manifest beside a file; finishing a file: to the dated backup once it
 * is in (gzip'd when the job says so; a name taken by other bytes gets a
 * SHA-256 prefix), or to failed/TOKEN with NAME.error saying why, its
 * ledger row written either way; and pruning backups past keep_days.
 * Internal to the receive modules (recv_internal.h).
 */
#include "recv_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "compress.h"
#include "digest.h"
#include "fault.h"
#include "fsutil.h"
#include "manifest.h"
#include "pattern.h"
#include "tz.h"
#include "unpack.h"

/* --- moving files in the spool ---------------------------------------- */

/* spool path of f (absolute) */
char *
recv_abs_spool(struct rrun *r, const struct recv_file *f)
{
	if (f->spool[0] == '/')
		return strdup(f->spool);
	return path_join(r->jobdir, f->spool);
}

/* The directory part of a path (malloc'd). */
char *
recv_dir_part(const char *path)
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
enum move_sync {
	MOVE_DURABLE,		/* the file, then both directories */
	MOVE_DEFER_DIRS,	/* the file's bytes; the caller fsyncs the
				 * directories once for a group */
	MOVE_RENAME_ONLY,	/* bytes already durable (in the spool) */
};

static int
move_file(const char *from, const char *to_dir, const char *to_name,
    enum move_sync how, struct xerr *err)
{
	char *to = NULL, *from_dir = NULL;
	struct xerr ferr;
	struct stat st;
	int fd, rc = -1, copy = 0;

	if ((to = path_join(to_dir, to_name)) == NULL ||
	    (from_dir = recv_dir_part(from)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	/* O_NONBLOCK: a FIFO (a hostile manifest) must not hang us. */
	if (how != MOVE_RENAME_ONLY && (fd = open(from, O_RDONLY |
	    O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		/* A group's moves: its bytes and size, not its times (on a
		 * file system without a journal, fsync() writes the inode
		 * block at once, for each file). */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (how == MOVE_DURABLE ? fsync(fd) : fdatasync(fd)) == -1) {
			xerr_set(&ferr, XERR_TEMP, errno, "cannot fsync '%s'",
			    from);
			copy = 1;
		}
		close(fd);
	}
	if (!copy) {
		if (rename(from, to) == 0) {
			if (how != MOVE_DURABLE || (fsync_dir(to_dir, err) ==
			    0 && fsync_dir(from_dir, err) == 0)) {
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

int
recv_move_file(const char *from, const char *to_dir, const char *to_name,
    struct xerr *err)
{
	return move_file(from, to_dir, to_name, MOVE_DURABLE, err);
}

/*
 * recv_move_file() for a group: the directories are not fsync'd (the
 * caller does each once, or syncfs() the file system, before anything
 * counts on the new name); nor is the file when sync_file is 0.
 */
int
recv_move_file_deferred(const char *from, const char *to_dir,
    const char *to_name, int sync_file, struct xerr *err)
{
	return move_file(from, to_dir, to_name, sync_file ? MOVE_DEFER_DIRS :
	    MOVE_RENAME_ONLY, err);
}

/*
 * Can one syncfs() of fd's file system stand for the fsync of every file
 * and directory a group wrote there?  Where syncfs() reports the
 * write-back errors it meets (Linux 5.8 on) and the file system's sync
 * writes its metadata and flushes the device (ext4, xfs, btrfs; tmpfs
 * keeps nothing anyway).  Elsewhere (FUSE, NFS, where syncfs() may do
 * nothing at all) each file and directory is fsync'd.
 */
int
recv_syncfs_ok(int fd)
{
	struct statfs sf;
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) == -1 || sscanf(u.release, "%d.%d", &major, &minor) !=
	    2 || major < 5 || (major == 5 && minor < 8))
		return 0;
	if (fstatfs(fd, &sf) == -1)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC:
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		return 1;
	default:
		return 0;
	}
}

/* Add dir to dirs unless it is there. */
int
recv_dirs_add(struct strlist *dirs, const char *dir, struct xerr *err)
{
	if (strlist_contains(dirs, dir))
		return 0;
	if (strlist_add(dirs, dir) == -1)
		return xerr_nomem(err);
	return 0;
}

int
recv_new_token_dir(struct rrun *r, const char *area, char **out, struct xerr *err)
{
	char *base, *path;
	int made;

	*out = NULL;
	if ((base = path_join(r->jobdir, area)) == NULL)
		return xerr_nomem(err);
	if (asprintf(&path, "%s/%lld.XXXXXX", base, (long long)r->o->now) ==
	    -1) {
		free(base);
		return xerr_nomem(err);
	}
	/* The area is made when it is missing, not looked at every time. */
	made = mkdtemp(path) != NULL;
	if (!made && errno == ENOENT) {
		if (mkdir_p(base, 0700, err) == -1) {
			free(base);
			free(path);
			return -1;
		}
		/* mkdtemp() leaves the X's changed. */
		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
		made = mkdtemp(path) != NULL;
	}
	if (!made) {
		xerr_set(err, XERR_TEMP, errno, "cannot create '%s'", path);
		free(base);
		free(path);
		return -1;
	}
	free(base);
	*out = path;
	return 0;
}

/* The file's manifest in dir, if any: 1 read, 0 none, -1 bad. */
int
recv_load_manifest(const char *dir, const char *name, struct manifest *m,
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

int
recv_fill_from_file(struct recv_file *f, const char *path, struct xerr *err)
{
	long long size = -1;

	if (sha256_file(path, f->sha256, &size, err) == -1)
		return -1;
	f->bytes = size;
	return 0;
}

/* --- finishing a file ------------------------------------------------- */

/*
 * 1 when the token directory dir holds a file other than name and its
 * manifests (a group's files share one token), 0 when not, -1.
 */
static int
token_shared(const char *dir, const char *name, struct xerr *err)
{
	char msha[300], mjson[300];
	struct dirent *de;
	int rc = 0;
	DIR *d;

	manifest_names(name, msha, sizeof(msha), mjson, sizeof(mjson));
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return xerr_set(err, XERR_TEMP, errno, "cannot read '%s'", dir);
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		rc = de->d_name[0] != '.' && strcmp(de->d_name, name) != 0 &&
		    strcmp(de->d_name, msha) != 0 &&
		    strcmp(de->d_name, mjson) != 0;
	closedir(d);
	return rc;
}

/*
 * Everything of a file's token goes, done once the file is safe: the
 * file and its manifests, and the directory with its scratch files
 * unless it holds other files of the group.
 */
int
recv_drop_token(struct rrun *r, const char *file_path, struct xerr *err)
{
	char *d = recv_dir_part(file_path), msha[300], mjson[300], *p;
	const char *name = strrchr(file_path, '/');
	int rc = 0, i, k;

	if (d == NULL)
		return xerr_nomem(err);
	if (strncmp(d, r->jobdir, strlen(r->jobdir)) != 0)
		goto out;
	name = name ? name + 1 : file_path;
	manifest_names(name, msha, sizeof(msha), mjson, sizeof(mjson));
	for (i = 0; i < 3; i++) {
		const char *n = i == 0 ? name : i == 1 ? msha : mjson;

		if (!n[0])
			continue;
		if ((p = path_join(d, n)) == NULL) {
			rc = xerr_nomem(err);
			goto out;
		}
		/* A manifest's name may be too long to exist at all. */
		if (unlink(p) == -1 && errno != ENOENT && errno !=
		    ENAMETOOLONG) {
			rc = xerr_set(err, XERR_TEMP, errno, "cannot remove "
			    "'%s'", p);
			free(p);
			goto out;
		}
		free(p);
	}
	if ((k = token_shared(d, name, err)) == -1)
		rc = -1;
	else if (k == 0)
		rc = remove_tree(d, err);
out:
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
int
recv_backup_target(struct rrun *r, const struct recv_file *f, int gz,
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
 * things as a crash here would, for the next run's recv_reconcile() to finish:
 * never the token gone without its manifest.
 */
static int
backup_manifests(struct rrun *r, const struct recv_file *f, const char *src,
    const char *dir, const char *name, int sync_dirs, struct xerr *err)
{
	char msha[300], mjson[300], bn[460], *srcdir, *mp;
	struct xerr e;
	int i;

	if ((srcdir = recv_dir_part(src)) == NULL)
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
		if (access(mp, F_OK) == 0 && move_file(mp, dir, bn, sync_dirs ?
		    MOVE_DURABLE : MOVE_RENAME_ONLY, &e) == -1) {
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
	return 0;
}

int
recv_backup_rest(struct rrun *r, const struct recv_file *f, const char *src,
    const char *dir, const char *name, struct xerr *err)
{
	if (backup_manifests(r, f, src, dir, name, 1, err) == -1)
		return -1;
	return recv_drop_token(r, src, err);
}

/* Backups are gzip'd when the job says so, unless the file came packed. */
int
recv_backup_gz(const struct rrun *r, const struct recv_file *f)
{
	return r->job->backup.compress == COMPRESS_GZIP &&
	    unpack_kind(f->name, NULL, 0) == COMPRESS_NONE;
}

/*
 * deferred (a group's): no directory is fsync'd and the token directory
 * stays; the backup directory is added to dirs for the caller to fsync
 * once for the group, then drop the token (recv_drop_token()).
 */
int
recv_to_backup(struct rrun *r, struct recv_file *f, struct strlist *deferred,
    struct xerr *err)
{
	char *src = NULL, *dir = NULL, *dst = NULL, *tmp = NULL, name[400];
	int fd = -1, rc = -1, same, gz = recv_backup_gz(r, f);
	time_t t0, t1;

	if ((src = recv_abs_spool(r, f)) == NULL)
		return xerr_nomem(err);
	if (pattern_expand(r->job->backup.path, r->job->name, f->date, &dir,
	    err) == -1)
		goto out;
	/* A group's directory is made once. */
	if ((deferred == NULL || !strlist_contains(deferred, dir)) &&
	    mkdir_p(dir, 0755, err) == -1)
		goto out;
	if (recv_backup_target(r, f, gz, dir, name, sizeof(name), &dst, &same,
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
		if (deferred != NULL && rename(tmp, dst) == -1) {
			xerr_set(err, XERR_TEMP, errno, "cannot rename '%s'",
			    tmp);
			unlink(tmp);
			goto out;
		}
		if (deferred == NULL && rename_durable(tmp, dst, err) == -1) {
			/* Renamed but not durable: no backup to trust. */
			if (access(tmp, F_OK) == -1 && errno == ENOENT)
				unlink(dst);
			unlink(tmp);
			goto out;
		}
	} else if (move_file(src, dir, name, deferred == NULL ? MOVE_DURABLE :
	    MOVE_RENAME_ONLY, err) == -1) {
		goto out;
	}
	FAULT_POINT("recv_mid_backup");
	if (deferred != NULL) {
		if (backup_manifests(r, f, src, dir, name, 0, err) == -1 ||
		    recv_dirs_add(deferred, dir, err) == -1)
			goto out;
	} else if (recv_backup_rest(r, f, src, dir, name, err) == -1) {
		goto out;
	}
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
 * A group's move to the backup that is not durable (its directory's
 * fsync failed), undone: the file and its manifests back in their token
 * at src, for the next run; a backup written (gzip'd) is not to be
 * trusted, so none is kept under its name.  f->spool names src again.
 */
void
recv_backup_undo(struct recv_file *f, const char *src)
{
	char msha[300], mjson[300], bn[PATH_MAX + 32], *srcdir, *tm;
	int i;

	if (access(src, F_OK) == -1)
		(void)rename(f->spool, src);
	else
		(void)unlink(f->spool);
	if ((srcdir = recv_dir_part(src)) != NULL) {
		manifest_names(f->name, msha, sizeof(msha), mjson,
		    sizeof(mjson));
		for (i = 0; i < 2; i++) {
			const char *mn = i ? mjson : msha;

			snprintf(bn, sizeof(bn), "%s%s", f->spool, i ?
			    ".manifest.json" : ".sha256");
			if (!mn[0] || (tm = path_join(srcdir, mn)) == NULL)
				continue;
			if (access(bn, F_OK) == 0 && access(tm, F_OK) == -1)
				(void)rename(bn, tm);
			free(tm);
		}
		free(srcdir);
	}
	snprintf(f->spool, sizeof(f->spool), "%s", src);
}

/*
 * NAME.error beside NAME, unless that (or the ".NAME.tmp.PID" it is
 * written through) would be longer than a file name may be: then
 * ".error", which no picked-up file can be called (names starting with
 * '.' are never picked up).
 */
void
recv_error_name(const char *name, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s.error", name) > NAME_MAX - 16)
		snprintf(out, size, ".error");
}

/*
 * A file of a group's token to a failed/TOKEN of its own.  The ledger
 * hears where it goes first: a crash before the move leaves the file in
 * in/ under a row that names a missing file of the same name and bytes,
 * which recv_reconcile() gives back to it.
 */
static int
to_failed_alone(struct rrun *r, struct recv_file *f, const char *src,
    const char *why, struct xerr *err)
{
	char msha[300], mjson[300], ename[300], *dst = NULL, *srcdir, *mp;
	int i, rc = -1;

	if ((srcdir = recv_dir_part(src)) == NULL)
		return xerr_nomem(err);
	if (recv_new_token_dir(r, "failed", &dst, err) == -1)
		goto out;
	if ((mp = path_join(dst, f->name)) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	snprintf(f->spool, sizeof(f->spool), "%s", mp);
	free(mp);
	recv_record(r, f);
	FAULT_POINT("recv_failed_recorded");
	manifest_names(f->name, msha, sizeof(msha), mjson, sizeof(mjson));
	for (i = 0; i < 2; i++) {
		const char *mn = i ? mjson : msha;

		if (!mn[0] || (mp = path_join(srcdir, mn)) == NULL)
			continue;
		if (access(mp, F_OK) == 0)
			(void)recv_move_file(mp, dst, mn, err);
		free(mp);
	}
	if (recv_move_file(src, dst, f->name, err) == -1) {
		/* Still where it was: so says the ledger again. */
		snprintf(f->spool, sizeof(f->spool), "%s", src);
		recv_record(r, f);
		remove_tree(dst, err);
		goto out;
	}
	recv_error_name(f->name, ename, sizeof(ename));
	if (write_file_durable(dst, ename, why, strlen(why), 0644, err) == -1)
		goto out;
	rc = 0;
out:
	free(srcdir);
	free(dst);
	return rc;
}

/* Move the file's token directory to failed/ and say why beside it. */
int
recv_to_failed(struct rrun *r, struct recv_file *f, const char *why,
    struct xerr *err)
{
	char *src = NULL, *srcdir = NULL, *faildir = NULL, *dst = NULL;
	char ename[300], *base;
	int rc = -1, moved = 1, k;

	if ((src = recv_abs_spool(r, f)) == NULL || (srcdir = recv_dir_part(src)) ==
	    NULL || (faildir = path_join(r->jobdir, "failed")) == NULL) {
		xerr_nomem(err);
		goto out;
	}
	if (mkdir_p(faildir, 0700, err) == -1)
		goto out;
	if (recv_in_spool_in(r, srcdir) && (k = token_shared(srcdir, f->name,
	    err)) != 0) {
		if (k == 1)
			rc = to_failed_alone(r, f, src, why, err);
		goto out;
	}
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
	recv_error_name(f->name, ename, sizeof(ename));
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

void
recv_record(struct rrun *r, struct recv_file *f)
{
	struct xerr e;

	/* The next run's recv_reconcile() repairs the row from the spool, but
	 * this run did not do its work: it fails. */
	if (ledger_recv_put(r->l, f, &e) == -1) {
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, NULL, "ledger", NULL,
		    "%s", e.msg);
	}
}

/*
 * "'NAME': " to put before msg in a log line, or "" when msg already
 * begins with the quoted name (most parse errors do), so no line says
 * the file's name twice.
 */
static const char *
name_prefix(const char *name, const char *msg, char *buf, size_t size)
{
	size_t n = strlen(name);

	if (msg[0] == '\'' && strncmp(msg + 1, name, n) == 0 &&
	    msg[n + 1] == '\'')
		return "";
	snprintf(buf, size, "'%s': ", name);
	return buf;
}

/* A failure: transient ones stay in in/ for the next run. */
void
recv_fail_file(struct rrun *r, struct recv_file *f, const struct xerr *e,
    int transient)
{
	char ds[BDATE_STRLEN], why[1600], hint[300], pb[300];
	const char *pre = name_prefix(f->name, e->msg, pb, sizeof(pb));
	struct xerr e2;

	bdate_format(f->date, ds);
	f->attempts++;
	snprintf(f->last_error, sizeof(f->last_error), "%s", e->msg);
	if (transient && f->attempts < r->job->upload.max_attempts) {
		f->transient = 1;
		snprintf(f->state, sizeof(f->state), "%s", ST_FAILED);
		r->out->failed++;
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "failed", NULL,
		    "%s%s (attempt %d of %d); the next run retries it", pre,
		    e->msg, f->attempts, r->job->upload.max_attempts);
		recv_record(r, f);
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
	/* Set first: a file of a group's token is recorded on its way. */
	snprintf(f->state, sizeof(f->state), "%s", transient ? ST_HELD :
	    ST_FAILED);
	if (recv_to_failed(r, f, why, &e2) == -1)
		log_event(r->lg, LOG_ERROR, r->job->name, ds, "spool", NULL,
		    "%s", e2.msg);
	if (transient)
		r->out->held++;
	else
		r->out->failed++;
	log_event(r->lg, LOG_ERROR, r->job->name, ds, f->state, NULL,
	    "%s%s; kept in '%s': %s", pre, e->msg, f->spool, hint);
	recv_record(r, f);
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
void
recv_prune_backups(struct rrun *r)
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
