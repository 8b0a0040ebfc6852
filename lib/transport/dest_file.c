/*
 * dest_file: a local directory as destination ("file:///dir/" or a plain
 * path), written natively with the spool's discipline: NAME+temp_suffix,
 * fsync, rename, fsync the directory.  (libcurl's file:// upload writes the
 * final name in place without fsync, so it is not used.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dest.h"
#include "digest.h"
#include "fsutil.h"

struct file_dest {
	char *dir;
	const char *suffix;
};

static int
file_open(void **state, const struct job *job, const struct log *lg,
    struct xerr *err)
{
	struct file_dest *f;
	const char *url = job->upload.url;

	(void)lg;
	if (strncmp(url, "file://", 7) == 0)
		url += 7;
	if (url[0] != '/')
		return xerr_set(err, XERR_PERM, 0, "%s: key 'url': '%s' is "
		    "not an absolute directory", job->file, job->upload.url);
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->dir = strdup(url)) == NULL) {
		free(f);
		return xerr_nomem(err);
	}
	f->suffix = job->upload.temp_suffix ? job->upload.temp_suffix :
	    ".part";
	if (mkdir_p(f->dir, 0755, err) == -1) {
		if (err->sys_errno == EACCES || err->sys_errno == EROFS)
			err->cls = XERR_PERM;
		free(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
file_probe(void *state, const char *name, const char *local_path,
    const char *sha256, long long size, enum dest_probe *res,
    struct xerr *err)
{
	struct file_dest *f = state;
	char hex[SHA256_HEXLEN], *path;
	long long have;
	struct stat st;
	int rc = -1;

	(void)local_path;
	if ((path = path_join(f->dir, name)) == NULL)
		return xerr_nomem(err);
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT) {
			*res = DEST_ABSENT;
			rc = 0;
		} else {
			xerr_set(err, XERR_TEMP, errno, "cannot stat '%s'",
			    path);
		}
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		xerr_set(err, XERR_PERM, 0, "'%s' at the destination is not "
		    "a regular file", path);
		goto out;
	}
	if ((long long)st.st_size != size) {
		*res = DEST_DIFFERENT;
		rc = 0;
		goto out;
	}
	if (sha256_file(path, hex, &have, err) == -1)
		goto out;
	*res = strcmp(hex, sha256) == 0 ? DEST_SAME : DEST_DIFFERENT;
	rc = 0;
out:
	free(path);
	return rc;
}

static int
file_put(void *state, const struct put_req *req, struct xerr *err)
{
	struct file_dest *f = state;

	/* rename(2) replaces atomically: the name never shows a gap. */
	return copy_file_durable(req->local_path, f->dir, req->name,
	    f->suffix, err);
}

static int
file_remove(void *state, const char *name, struct xerr *err)
{
	struct file_dest *f = state;
	char *path;
	int rc = 0;

	if ((path = path_join(f->dir, name)) == NULL)
		return xerr_nomem(err);
	if (unlink(path) == -1 && errno != ENOENT)
		rc = xerr_set(err, XERR_TEMP, errno, "cannot remove '%s'",
		    path);
	else if (fsync_dir(f->dir, err) == -1)
		rc = -1;
	free(path);
	return rc;
}

static void
file_close(void *state)
{
	struct file_dest *f = state;

	if (f == NULL)
		return;
	free(f->dir);
	free(f);
}

static int
file_check(void *state, void (*fn)(void *ctx, int ok, const char *what),
    void *ctx, struct xerr *err)
{
	struct file_dest *f = state;
	char what[512];

	if (access(f->dir, W_OK | X_OK) == -1) {
		snprintf(what, sizeof(what), "directory '%s' is not writable",
		    f->dir);
		fn(ctx, 0, what);
		return xerr_set(err, XERR_PERM, errno, "cannot write to '%s'",
		    f->dir);
	}
	snprintf(what, sizeof(what), "directory '%s' exists and is writable; "
	    "files are renamed into place", f->dir);
	fn(ctx, 1, what);
	return 0;
}

const struct dest_ops dest_file_ops = {
	.name = "file",
	.open = file_open,
	.probe = file_probe,
	.put = file_put,
	.remove = file_remove,
	.close = file_close,
	.check = file_check,
};
